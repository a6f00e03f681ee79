import Foundation

/// A training run's TensorBoard log: one event file, `events.out.tfevents.<unix time>.<host>`, at the top of
/// the run folder (so `tensorboard --logdir runs/` shows each run, and each fold of `--cv`, as one run),
/// fed by the trainer's events. Every start of a run, a resume included, writes a new file; a resume's
/// begins with SessionLog START at the resumed global step, so TensorBoard drops what a killed run wrote
/// past its last checkpoint.
///
/// Steps are 0-based global optimizer steps: a step's figures at its own index, an epoch's at the index of
/// its last step (so a resume at step s — s steps done — keeps them, as TensorBoard purges steps ≥ s).
public final class TensorBoardLog {
    /// Per optimizer step: the batch's loss (with mixup and label smoothing, as trained) and the lr used.
    public static let stepTags = ["train/loss", "train/lr"]
    /// Per epoch: the epoch's mean training loss and accuracy (running figures, as metrics.csv), its
    /// throughput, and the validation figures when something is held out.
    public static let epochTags = ["train/epoch_loss", "train/accuracy", "train/samples_per_second", "val/loss", "val/accuracy", "val/macro_f1"]
    /// With the last epoch: curves.png as an image.
    public static let curvesTag = "curves"
    /// With the last epoch: the validation confusion matrix (as `eval`'s confusion.png), when something is held out.
    public static let confusionTag = "val/confusion"
    /// At the start: the command line and config.json as markdown text.
    public static let configTag = "config"
    /// Queued steps are written at least this often (and at every epoch's end).
    public static let flushSeconds = 30.0

    public let path: String
    /// The first write error; the log stops there and training goes on without it.
    public private(set) var writeError: Error?

    private let writer: TFRecordWriter
    private let directory: RunDirectory
    private let stepsPerEpoch: Int
    private let clock: () -> Double
    private var lastFlush: Double
    /// The latest epoch's validation scores, drawn as the confusion matrix with the last epoch.
    private var lastValidation: EvalMetrics?

    /// Creates the event file in `directory` and writes its first events: the file version, SessionLog
    /// START at `resumedAt` (a resume: the global steps already done), and the configuration text.
    public init(directory: RunDirectory, stepsPerEpoch: Int, resumedAt: Int?, commandLine: [String] = CommandLine.arguments,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.directory = directory
        self.stepsPerEpoch = stepsPerEpoch
        self.clock = clock
        let now = clock()
        // TensorBoard reads a folder's files in name order: the 10-digit time keeps that the order of
        // starts, and a suffix keeps two starts within a second apart
        let base = directory.path + String(format: "/events.out.tfevents.%010ld.", Int(now)) + TensorBoardLog.hostName()
        var candidate = base, n = 0
        while FileManager.default.fileExists(atPath: candidate) { n += 1; candidate = base + ".\(n)" }
        writer = try TFRecordWriter(creating: candidate)
        path = candidate
        lastFlush = now
        let start = resumedAt ?? 0
        writer.append(TensorBoardEvent(wallTime: now, step: 0, .fileVersion(TensorBoardEvent.fileVersion)).serialized())
        if let resumedAt { writer.append(TensorBoardEvent(wallTime: now, step: resumedAt, .sessionStart).serialized()) }
        let text = TensorBoardLog.configurationText(commandLine: commandLine, config: directory.config, resumedAt: resumedAt)
        writer.append(TensorBoardEvent(wallTime: now, step: start, .summary([.init(tag: TensorBoardLog.configTag, .text(text))])).serialized())
        try writer.flush()
    }

    /// Records what the trainer reports: scalars per step, scalars per epoch (then a flush), and with the
    /// last epoch the curves picture.
    public func record(_ event: TrainerEvent) {
        guard writeError == nil else { return }
        let now = clock()
        switch event {
        case .step(let p):
            let step = (p.epoch - 1) * stepsPerEpoch + p.step - 1
            append(step: step, now: now, [("train/loss", p.batchLoss), ("train/lr", p.lr)])
            if now - lastFlush >= TensorBoardLog.flushSeconds { flush(now: now) }
        case .epoch(let m, let epochs):
            let step = m.epoch * stepsPerEpoch - 1
            var values = [("train/epoch_loss", m.trainLoss), ("train/accuracy", m.trainAccuracy),
                          ("train/samples_per_second", m.samplesPerSecond)]
            if let loss = m.valLoss, let accuracy = m.valAccuracy { values += [("val/loss", loss), ("val/accuracy", accuracy)] }
            if let f1 = m.valMacroF1 { values.append(("val/macro_f1", f1)) }
            append(step: step, now: now, values)
            if m.epoch == epochs {
                if let png = FileManager.default.contents(atPath: directory.curves), let image = TensorBoardLog.image(png: Array(png)) {
                    writer.append(TensorBoardEvent(wallTime: now, step: step, .summary([.init(tag: TensorBoardLog.curvesTag, image)])).serialized())
                }
                if let scores = lastValidation, let png = try? ConfusionPicture.render(scores).pngData(), let image = TensorBoardLog.image(png: png) {
                    writer.append(TensorBoardEvent(wallTime: now, step: step, .summary([.init(tag: TensorBoardLog.confusionTag, image)])).serialized())
                }
            }
            flush(now: now)
        case .validated(let scores, _):
            lastValidation = scores
        case .stopping:
            flush(now: now)
        case .message:
            break
        }
    }

    /// Writes what is queued (also done by deinit: an interrupted run's last steps reach the file).
    public func close() {
        guard writeError == nil else { return }
        do { try writer.close() } catch { writeError = error }
    }

    private func append(step: Int, now: Double, _ scalars: [(String, Double)]) {
        let values = scalars.map { TensorBoardEvent.SummaryValue(tag: $0.0, .scalar(Float($0.1))) }
        writer.append(TensorBoardEvent(wallTime: now, step: step, .summary(values)).serialized())
    }

    private func flush(now: Double) {
        lastFlush = now
        do { try writer.flush() } catch { writeError = error }
    }

    /// The text of the `config` tag: the command line, the resume point and config.json.
    static func configurationText(commandLine: [String], config: String, resumedAt: Int?) -> String {
        let command = commandLine.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        var text = "    " + command + "\n\n"  // indented: markdown shows it as code
        if let resumedAt { text += "Resumed after global step \(resumedAt).\n\n" }
        if let json = try? String(contentsOfFile: config, encoding: .utf8) {
            text += "config.json:\n\n```json\n" + json + "```\n"
        }
        return text
    }

    /// A PNG's image value, with the size and colour type of its IHDR chunk; nil for anything else.
    static func image(png: [UInt8]) -> TensorBoardEvent.SummaryValue.Kind? {
        guard png.count >= 33, png[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
              png[12..<16].elementsEqual(Array("IHDR".utf8)) else { return nil }
        func be32(_ i: Int) -> Int { png[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        // PNG colour types 0 grey, 4 grey + alpha, 2 RGB, 6 RGBA → Summary.Image colorspace 1, 2, 3, 4
        let colorspace = [0: 1, 4: 2, 2: 3, 6: 4][Int(png[25])] ?? 3
        return .image(encoded: png, height: be32(20), width: be32(16), colorspace: colorspace)
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer).replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }

    deinit { close() }
}
