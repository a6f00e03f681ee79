import AudioSpecNet
import Foundation

/// How `train` talks. The run's record (what it does, one line per epoch, the final summary) goes to
/// stdout, so `train … | tee log` keeps it; with --json stdout carries JSON lines only and the record goes
/// to stderr. Progress goes to stderr: on a terminal a live line (bar, step/steps, loss, running accuracy,
/// samples/s, ETA of the epoch and of the run) rewritten in place; without one, an occasional plain line.
final class TrainingOutput: @unchecked Sendable {
    let quiet: Bool
    let json: Bool
    private var lastPlain = DispatchTime.now().uptimeNanoseconds
    private var lastLive: UInt64 = 0
    /// Seconds the last complete epoch took (train and validation), for the run's ETA.
    private var lastEpochSeconds: Double?
    private let lock = NSLock()

    init(quiet: Bool, json: Bool) {
        self.quiet = quiet
        self.json = json
    }

    /// A line of the run's record: stdout, or stderr when stdout carries JSON.
    func line(_ text: String) {
        guard !quiet else { return }
        record(text)
    }

    private func record(_ text: String) {
        finish()
        if json {
            FileHandleOutput.standardError(text)
        } else {
            print(text)
            flushStandardOutput()
        }
    }

    func finish() { FileHandleOutput.progress(nil) }

    /// Spectrogram progress: live on a terminal, a plain line per quarter otherwise.
    func frontEnd(done: Int, total: Int) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        if FileHandleOutput.stderrIsTerminal {
            let now = DispatchTime.now().uptimeNanoseconds
            if done == total || now - lastLive > 100_000_000 {
                lastLive = now
                FileHandleOutput.progress("spectrograms \(bar(Double(done) / Double(max(1, total)))) \(done)/\(total)")
            }
        } else if total >= 8, done % max(1, total / 4) == 0, done < total {
            FileHandleOutput.standardError("spectrograms: \(done)/\(total)")
        }
    }

    func event(_ event: TrainerEvent) {
        switch event {
        case .message(let text): line(text)
        case .validated, .stopping: break  // its macro-F1 is in the epoch's line; the confusion matrix goes to TensorBoard
        case .step(let p):
            guard !quiet else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            let live = FileHandleOutput.stderrIsTerminal
            // format only when a line is due (at most 5 a second live, every 30 s plain)
            guard live ? (p.step == p.steps || now - lastLive > 200_000_000) : (now - lastPlain > 30_000_000_000 && p.step < p.steps) else { return }
            let head = String(format: "epoch %d/%d ", p.epoch, p.epochs) + (live ? bar(Double(p.step) / Double(p.steps)) + " " : "")
            // The run's ETA: this epoch's, then the remaining epochs at the last epoch's pace (or this one's).
            let perEpoch = lastEpochSeconds ?? p.etaSeconds * Double(p.steps) / Double(max(1, p.steps - p.step))
            let runETA = p.etaSeconds + Double(p.epochs - p.epoch) * perEpoch
            let text = head + String(format: "%d/%d  loss %.4f  acc %.3f  %.1f samples/s  ETA ", p.step, p.steps, p.loss, p.accuracy,
                                     p.samplesPerSecond) + duration(p.etaSeconds) + " (run " + duration(runETA) + ")"
            if live { lastLive = now; FileHandleOutput.progress(text) } else { lastPlain = now; FileHandleOutput.standardError(text) }
        case .epoch(let m, let epochs):
            finish()
            lastEpochSeconds = m.seconds
            if json {
                print(jsonString(m))
                flushStandardOutput()
            }
            guard !quiet else { return }
            record(String(
                format: "epoch %3d/%d  train loss %.4f acc %.4f  %@%@  lr %.3g  %@  (%.1f samples/s, data wait %.2fs)",
                m.epoch, epochs, m.trainLoss, m.trainAccuracy,
                m.valLoss.map { String(format: "val loss %.4f acc %.4f", $0, m.valAccuracy ?? .nan) + (m.valMacroF1.map { String(format: " F1 %.4f", $0) } ?? "") }
                    ?? "(nothing held out)",
                m.best ? " *" : "  ", m.lr,
                duration(m.seconds), m.samplesPerSecond, m.dataWaitSeconds) + (m.emaDecay.map { String(format: "  ema decay %.5f", $0) } ?? ""))
        }
    }

    func summary(_ s: TrainingSummary, outDir: String) {
        finish()
        if json { print(jsonString(s)) }
        var text: String
        // An averaged run's selection already says which epochs the model averages: said once.
        let averaged = s.averaged != nil
        if let acc = s.testAccuracy, let fold = s.testFold {
            text = String(format: "test accuracy %.2f %% (fold %d, %d clips)", 100 * acc, fold, s.testClips)
                + (averaged ? "" : " with the best epoch \(s.bestEpoch)")
        } else {
            text = averaged ? "no test fold" : "no test fold; the model is epoch \(s.bestEpoch)"
        }
        if let val = s.averaged?.valAccuracy ?? s.bestValAccuracy { text += String(format: " (val acc %.2f %%)", 100 * val) }
        text += "; \(s.selection); wall \(duration(s.wallSeconds)); results in \(outDir)"
        if let note = s.note { text += "\nnote: " + note }
        record(text)  // the summary is shown even with --quiet
    }

    func result(_ text: String, json values: [String: Double]) {
        finish()
        if json, let data = try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
        record(text)
    }

    private func bar(_ fraction: Double, width: Int = 20) -> String {
        let filled = Int((max(0, min(1, fraction)) * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}

func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm%02ds", s / 3600, (s / 60) % 60, s % 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%.1fs", seconds)
}

/// Runs one training run with the CLI's output.
enum TrainingRun {
    /// An error after training started (a checkpoint that cannot be written, …): exit 1, not 2.
    struct Failure: Error { let error: Error }

    static func run(options: TrainingOptions, outDir: String, resume: Bool, cacheDirectory: String?, cancellation: Cancellation,
                    group: ProcessGroup = SingleProcess(), output: TrainingOutput) throws -> TrainingSummary {
        let trainer = try TrainingSession.start(options: options, outputDirectory: outDir, resume: resume, cacheDirectory: cacheDirectory,
                                                cancellation: cancellation, group: group,
                                                progress: { done, total in output.frontEnd(done: done, total: total) },
                                                message: { output.line($0) })
        output.finish()
        if group.isRoot { trainer.addEventHandler { output.event($0) } }  // after the run's TensorBoard log
        if !resume {
            let sets = options.valSplit != nil || options.testSplit != nil
                ? "training \(trainer.data.train.count) clips, validating on \(trainer.data.validation.count) (split \(options.valSplit ?? 0)\((options.valSplit ?? 0) == 0 ? ": the test split" : "")), testing on \(trainer.data.test.count) (split \(options.testSplit ?? 0), seed \(options.seed)); OUT/split.csv lists them"
                : "training \(trainer.data.train.count) clips (folds \(trainer.data.trainFolds.map(String.init).joined(separator: ","))), validating on \(trainer.data.validation.count) (\(options.valFold.map { "fold \($0)" } ?? "the test fold: --val-fold none")), testing on \(trainer.data.test.count) (fold \(options.testFold.map(String.init) ?? "none"))"
            let ranks = group.size > 1 ? ", \(group.size) ranks × \(options.batchSize / group.size) clips per step" : ""
            output.line("\(sets)\(ranks); width \(trainer.model.config.width), \(trainer.model.arena.parameterCount) parameters, \(trainer.stepsPerEpoch) steps/epoch × \(options.epochs) epochs, \(options.threads) threads → \(outDir)")
        }
        do {
            return try trainer.run()
        } catch let stop as TrainingStop {
            throw stop
        } catch {
            throw Failure(error: error)
        }
    }
}
