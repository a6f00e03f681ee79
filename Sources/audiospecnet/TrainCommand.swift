import ArgumentParser
import AudioSpecNet
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the recipe network on labelled audio (validation-selected best epoch, test once at the end).",
        discussion: """
        DATA is what `eval --data` reads: an ESC-50 layout (DIR/audio/*.wav or *.flac and DIR/meta/esc50.csv; \
        without meta/, the tool's esc50-meta/esc50.csv is used; --esc10 keeps the ESC-10 rows), a folder of \
        class-named subfolders of audio files, or a CSV of path,label with an optional fold column. The classes \
        are the labels present. Data without folds is split per class with --val-split (default 0.2) and \
        --test-split, drawn from --seed; OUT/split.csv lists every clip's set. With folds, trains on the folds that are neither --test-fold nor --val-fold, picks \
        the best epoch on the validation fold and evaluates the test fold once with it. `--val-fold none` \
        selects on the test fold (the reference's choice; the test figure is then optimistic). --cv trains \
        every fold (of an ESC-50 layout or a CSV's fold column) as the test in turn (validation = the fold \
        before it, or none with `--val-fold none`) and writes cv.csv.

        Fine-tuning: --init-from MODEL (a model.safetensors or a checkpoint) starts from that model's weights \
        and BatchNorm statistics, with its network and front end (--width/--sample-rate, when given, must \
        match them). With the model's classes, every tensor is kept; with other classes, the final linear \
        layer (fc) starts from --seed's initialisation and the rest is kept. --freeze-backbone trains fc alone, \
        on each clip's pooled features computed once by the frozen network (BatchNorm in evaluation mode; no \
        SpecAugment or mixup, which act on spectrograms): an epoch takes seconds. Measured settings (docs/training.md, \
        "Fine-tuning"): --epochs 20 --max-lr 0.01 with --freeze-backbone, --epochs 20 --max-lr 0.001 for the \
        whole network.

        OUT receives config.json, metrics.jsonl, metrics.csv, last.safetensors, best.safetensors, \
        summary.json and curves.png. Checkpoints are atomic: after a kill or Ctrl-C, the same command with \
        --resume continues bit for bit. Spectrograms are cached under --cache (default \
        ~/.cache/audiospecnet/spectrograms; `--cache none` disables).

        Output: what the run does, one line per epoch and the final summary go to stdout (`train … | tee log` \
        keeps them); with --json stdout carries only JSON lines (one per epoch, then the summary) and the text \
        goes to stderr. On a terminal a live progress line (step, loss, ETA of the epoch and of the run) is \
        drawn on stderr. Exit status: 0 done; 1 the run failed after it started (non-finite loss, a write \
        error); 2 it could not start; 130 stopped by Ctrl-C (last.safetensors is saved: resume with --resume).
        """)

    @Option(help: ArgumentHelp("ESC-50 directory, class-named subfolders, or a CSV of path,label[,fold].", valueName: "DATA"), completion: .file())
    var data: String
    @Option(name: .customLong("test-fold"), help: ArgumentHelp("Fold evaluated once at the end, or `none` (with `--val-fold none`: train on every fold; the model is the last epoch). Default 5 for data with folds.", valueName: "F|none"))
    var testFoldFlag: String?
    @Option(name: .customLong("val-fold"), help: ArgumentHelp("Fold that selects the best epoch, or `none` (select on the test fold). Default 4 for data with folds.", valueName: "F|none"))
    var valFoldFlag: String?
    @Option(name: .customLong("val-split"), help: ArgumentHelp("Data without folds: the fraction of each class that selects the best epoch (default 0.2).", valueName: "FRACTION"))
    var valSplit: Double?
    @Option(name: .customLong("test-split"), help: ArgumentHelp("Data without folds: the fraction of each class tested once at the end (default 0).", valueName: "FRACTION"))
    var testSplit: Double?
    @Flag(help: "ESC-50 layouts: train on the ESC-10 rows only (10 classes).") var esc10 = false
    @Option(help: "Epochs.") var epochs = 100
    @Option(name: .customLong("batch-size"), help: "Batch size.") var batchSize = 32
    @Option(name: .customLong("max-lr"), help: "OneCycle peak learning rate.") var maxLR = 0.002
    @Option(help: "Seed for initialisation, shuffling, augmentation and dropout.") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Output directory (default runs/test<F>-val<V>-s<seed>).", valueName: "DIR"), completion: .directory)
    var out: String?
    @Flag(help: "Continue the run in --out from its last.safetensors.") var resume = false
    @Flag(help: "Cross-validate: every fold with audio is the test fold once; writes OUT/cv.csv.") var cv = false
    @Option(help: "Network width (default 64, the recipe; with --init-from, the model's).") var width: Int?
    @Option(name: .customLong("sample-rate"), help: "Front-end sample rate (default 22050; f_max is capped at half of it; with --init-from, the model's front end).")
    var sampleRate: Int?
    @Option(name: .customLong("init-from"), help: ArgumentHelp("Start from this model's weights (model.safetensors, a checkpoint, or `default`: the model shipped with the tool); fc is re-initialised when the classes differ.", valueName: "MODEL|default"), completion: .file())
    var initFrom: String?
    @Flag(name: .customLong("freeze-backbone"), help: "With --init-from: train only fc, on features computed once per clip (no SpecAugment or mixup).")
    var freezeBackbone = false
    @Option(name: .customLong("time-shift"), help: ArgumentHelp("Roll each training clip in time by a random amount up to this many seconds either way (whole log-mel frames; off by default).", valueName: "SECONDS"))
    var timeShift: Double?
    @Option(name: .customLong("gain-db"), help: ArgumentHelp("A random gain per training clip, uniform in LOW:HIGH dB (or ±G for a single G), applied to the log-mel as the same gain on the waveform would be. Write negative ranges with = (--gain-db=-20:6). Off by default.", valueName: "LOW:HIGH|G"))
    var gainDB: String?
    @Option(name: .customLong("mixup-p"), help: "Probability that a batch is mixed (recipe: 0.3).") var mixupP: Double?
    @Option(name: .customLong("mixup-alpha"), help: "Mixup's Beta(α, α) parameter (recipe: 0.2).") var mixupAlpha: Double?
    @Option(name: .customLong("mixup-domain"), help: ArgumentHelp("What a mixed batch mixes: spectrogram (the recipe: the log-mels in dB) or waveform (the two sounds before the front end, at BC learning's level-aware ratio; the clips' waveforms are kept in memory, about 384 MB for 1 200 clips at 16 kHz).", valueName: "spectrogram|waveform"))
    var mixupDomain: String?
    @Option(name: .customLong("noise-snr"), help: ArgumentHelp("White noise on a share of the training clips (--noise-p, default 0.5) at an SNR uniform in LOW:HIGH dB (or a single SNR), added to the waveform as `eval --perturb noise:SNR` adds it; those clips go through the front end at each step (the clips' waveforms are kept in memory). Off by default.", valueName: "LOW:HIGH|SNR"))
    var noiseSNR: String?
    @Option(name: .customLong("noise-p"), help: ArgumentHelp("With --noise-snr: the probability that a clip gets noise (default 0.5).", valueName: "P"))
    var noiseP: Double?
    @Option(name: .customLong("freq-mask"), help: "SpecAugment's widest frequency mask in mel bands (recipe: 30; 0 turns it off).") var freqMask: Int?
    @Option(name: .customLong("time-mask"), help: "SpecAugment's widest time mask in frames (recipe: 80; 0 turns it off).") var timeMask: Int?
    @Option(help: ArgumentHelp("Keep an exponential moving average of the weights with this decay (e.g. 0.999), warmed up as timm's ModelEmaV3; it is what each epoch validates and what the run saves. Off by default.", valueName: "DECAY"))
    var ema: Double?
    @Option(name: .customLong("ema-warmup-power"), help: ArgumentHelp("The EMA warm-up: the decay after t+1 steps is min(DECAY, 1 − (1+t)^−POWER) (default 0.75; 0: no warm-up).", valueName: "POWER"))
    var emaWarmupPower: Double?
    @Option(name: .customLong("average-last"), help: ArgumentHelp("Average the weights of the last K epochs (SWA; 1 ≤ K < --epochs): the mean of the weights at the end of epochs E−K+1…E, its BatchNorm statistics recomputed by one pass over the training clips; it is the model the run saves and tests. Off by default.", valueName: "K"))
    var averageLast: Int?
    @Option(name: .customLong("average-lr"), help: ArgumentHelp("With --average-last: the constant learning rate of the last K epochs, OneCycle running over the first E−K (default --max-lr/10: enough for the K weights to differ, small enough to stay in the basin OneCycle reached); `none` keeps OneCycle over the whole run, whose vanishing tail leaves the K weights nearly identical.", valueName: "LR|none"))
    var averageLR: String?
    @Option(name: .customLong("level-norm"), help: ArgumentHelp("Normalise each clip's loudness before the log-mel: rms:DB or peak:DB (dBFS, e.g. rms:-20). Part of the front end: recorded in the model, repeated by infer, eval and serve. Off by default.", valueName: "rms:DB|peak:DB"))
    var levelNorm: String?
    @Option(name: .customLong("teacher"), help: ArgumentHelp("Distil from this model (repeatable: their softened probabilities are averaged); the teachers must have the run's classes and front end. The student stays one network.", valueName: "MODEL"), completion: .file())
    var teacher: [String] = []
    @Option(name: .customLong("distill-temperature"), help: ArgumentHelp("Distillation temperature T (default 2).", valueName: "T"))
    var distillTemperature: Float?
    @Option(name: .customLong("distill-alpha"), help: ArgumentHelp("Weight α of the distillation term: loss = (1 − α)·CE + α·T²·KL (default 0.5).", valueName: "ALPHA"))
    var distillAlpha: Float?
    @OptionGroup var compute: ThreadOptions
    @Flag(name: .customLong("allow-missing"), help: "Skip clips the metadata lists but the disk lacks.") var allowMissing = false
    @Option(help: ArgumentHelp("Spectrogram cache directory, or `none`.", valueName: "DIR|none"), completion: .directory)
    var cache: String?
    @Flag(help: "Only errors and the final summary.") var quiet = false
    @OptionGroup var format: JSONOptions
    @Flag(name: .customLong("no-prefetch"), help: "Assemble batches on the training thread instead of ahead of time.") var noPrefetch = false
    @Flag(name: .customLong("sync-bn"), help: "Under mpirun/srun: BatchNorm's batch statistics over all ranks' clips (then N ranks equal one process up to rounding); changes nothing in one process.")
    var syncBN = false

    /// Whether --data has no folds (class folders, a CSV without a fold column): splits instead of folds.
    var foldless: Bool {
        if LabelledClips.esc50Metadata(root: data) != nil { return false }
        if valSplit != nil || testSplit != nil { return true }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) else { return false }
        if isDirectory.boolValue { return true }
        guard let selection = try? LabelledClips.csv(data) else { return false }
        return !selection.clips.contains { $0.fold != nil }
    }
    var testFold: String { testFoldFlag ?? (foldless ? "none" : "5") }
    var valFold: String { valFoldFlag ?? (foldless ? "none" : "4") }

    /// --test-fold and --val-fold as fold numbers (nil: none).
    func folds() throws -> (test: Int?, validation: Int?) {
        func fold(_ text: String, _ flag: String) throws -> Int? {
            if text.lowercased() == "none" { return nil }
            guard let f = Int(text), f >= 1 else { throw ValidationError("\(flag) must be a fold number or `none`, got \(text)") }
            return f
        }
        return (try fold(testFold, "--test-fold"), try fold(valFold, "--val-fold"))
    }

    func validate() throws {
        let (test, validation) = try folds()
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard maxLR > 0, maxLR.isFinite else { throw ValidationError("--max-lr must be positive, got \(maxLR)") }
        if let width, width < 1 { throw ValidationError("--width must be at least 1, got \(width)") }
        if let sampleRate, sampleRate < 1 { throw ValidationError("--sample-rate must be positive, got \(sampleRate)") }
        if freezeBackbone && initFrom == nil { throw ValidationError("--freeze-backbone needs --init-from MODEL (a backbone to freeze)") }
        for (flag, f) in [("--val-split", valSplit), ("--test-split", testSplit)] {
            if let f, !(f >= 0 && f < 1) { throw ValidationError("\(flag) must be in [0, 1), got \(f)") }
        }
        if let test, let validation, test == validation {
            throw ValidationError("--val-fold \(validation) is also the test fold; pick another or `--val-fold none`")
        }
        if let gainDB { _ = try Self.gainRange(gainDB) }
        if let levelNorm {
            do { _ = try LevelNormalization(parsing: levelNorm) } catch { throw ValidationError("--level-norm: \(error)") }
            if initFrom != nil { throw ValidationError("--level-norm changes the front end; with --init-from the model's front end is kept") }
        }
        if let timeShift, !(timeShift >= 0 && timeShift <= FrontEndConfig.maxClipSeconds) {
            throw ValidationError("--time-shift must be 0…\(Int(FrontEndConfig.maxClipSeconds)) seconds, got \(timeShift)")
        }
        if (distillTemperature != nil || distillAlpha != nil) && teacher.isEmpty {
            throw ValidationError("--distill-temperature and --distill-alpha need --teacher MODEL")
        }
        if let distillTemperature, !(distillTemperature > 0 && distillTemperature <= 100) {
            throw ValidationError("--distill-temperature must be in (0, 100], got \(distillTemperature)")
        }
        if let distillAlpha, !(distillAlpha >= 0 && distillAlpha <= 1) { throw ValidationError("--distill-alpha must be in [0, 1], got \(distillAlpha)") }
        if let ema, !(ema > 0 && ema < 1) { throw ValidationError("--ema must be a decay in (0, 1), e.g. 0.999, got \(ema)") }
        if let emaWarmupPower {
            guard ema != nil else { throw ValidationError("--ema-warmup-power needs --ema DECAY") }
            guard emaWarmupPower >= 0 && emaWarmupPower <= 10 else { throw ValidationError("--ema-warmup-power must be 0…10, got \(emaWarmupPower)") }
        }
        if averageLR != nil && averageLast == nil { throw ValidationError("--average-lr needs --average-last K") }
        if let averageLast {
            guard averageLast >= 1 && averageLast < epochs else {
                throw ValidationError("--average-last must be 1…\(epochs - 1) (fewer than --epochs \(epochs)), got \(averageLast)")
            }
            if ema != nil { throw ValidationError("--average-last and --ema are two averages of the weights: use one") }
            if freezeBackbone { throw ValidationError("--average-last averages the whole network: it does not go with --freeze-backbone") }
        }
        if let averageLR { _ = try Self.averageRate(averageLR, maxLR: maxLR) }
        if let mixupP, !(mixupP >= 0 && mixupP <= 1) { throw ValidationError("--mixup-p must be in [0, 1], got \(mixupP)") }
        if let mixupAlpha, !(mixupAlpha > 0 && mixupAlpha <= 100) { throw ValidationError("--mixup-alpha must be in (0, 100], got \(mixupAlpha)") }
        if noiseSNR != nil || noiseP != nil { _ = try noise() }
        if let mixupDomain, MixupDomain(rawValue: mixupDomain) == nil {
            throw ValidationError("--mixup-domain must be spectrogram or waveform, got \(mixupDomain)")
        }
        for (flag, width) in [("--freq-mask", freqMask), ("--time-mask", timeMask)] {
            if let width, width < 0 { throw ValidationError("\(flag) must be ≥ 0 (0 turns it off), got \(width)") }
        }
        if freezeBackbone && (timeShift != nil || gainDB != nil || mixupP != nil || mixupAlpha != nil || mixupDomain != nil || noiseSNR != nil || freqMask != nil || timeMask != nil || ema != nil || !teacher.isEmpty) {
            throw ValidationError("--freeze-backbone trains on features computed once per clip: it takes no augmentation options")
        }
    }

    /// `--average-lr`: a positive rate (at most 10), or `none` (nil: OneCycle throughout); absent, a tenth of the peak.
    static func averageRate(_ text: String?, maxLR: Double) throws -> Double? {
        guard let text else { return AverageSettings.defaultLR(maxLR: maxLR) }
        if text.lowercased() == "none" { return nil }
        guard let lr = Double(text), lr > 0, lr.isFinite, lr <= 10 else {
            throw ValidationError("--average-lr must be a learning rate in (0, 10] or `none`, got \(text)")
        }
        return lr
    }

    /// `--noise-snr LOW:HIGH|SNR` with `--noise-p`; nil without `--noise-snr`.
    func noise() throws -> NoiseAugmentation? {
        guard let noiseSNR else {
            if noiseP != nil { throw ValidationError("--noise-p needs --noise-snr LOW:HIGH") }
            return nil
        }
        let parts = noiseSNR.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        let values = parts.compactMap { $0 }
        guard values.count == parts.count, values.count == 1 || values.count == 2 else {
            throw ValidationError("--noise-snr must be LOW:HIGH or SNR in dB (e.g. --noise-snr 10:30), got \(noiseSNR)")
        }
        let noise = NoiseAugmentation(lowDB: values[0], highDB: values.last!, probability: noiseP ?? 0.5)
        do { try noise.validate() } catch { throw ValidationError("--noise-snr/--noise-p: \(error)") }
        return noise
    }

    /// `--gain-db`: "LOW:HIGH" or "G" (meaning −G:G), in dB.
    static func gainRange(_ text: String) throws -> RandomGain {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
        let values = parts.compactMap { $0 }
        guard values.count == parts.count, values.count == 1 || values.count == 2 else {
            throw ValidationError("--gain-db must be LOW:HIGH or G in dB (e.g. --gain-db=-20:6 or --gain-db 10), got \(text)")
        }
        let range = values.count == 1 ? RandomGain(lowDB: -abs(values[0]), highDB: abs(values[0])) : RandomGain(lowDB: values[0], highDB: values[1])
        do { try range.validate() } catch { throw ValidationError("--gain-db: \(error)") }
        return range
    }

    func run() throws {
        // one process alone, or a rank of an MPI job (docs/distributed.md); refused here when a launcher
        // started several processes but Open MPI cannot be loaded, rather than training N copies
        let group = try Launcher.processGroup()
        guard let mpi = group as? MPIProcessGroup else { return try train(group: group) }
        do {
            try train(group: mpi)
            mpi.finish(failed: false, code: 0)
        } catch let code as ExitCode where code == ExitStatus.interrupted {
            mpi.finish(failed: false, code: 0)  // a stop every rank agreed on: all end here, rank 0 has saved
            throw code
        } catch {
            // this rank failed (possibly alone): say why, then take the whole job down rather than leave the
            // other ranks waiting in their next reduction
            if !(error is ExitCode) { printError("rank \(mpi.rank) of \(mpi.size): \(error)") }
            mpi.finish(failed: true, code: (error as? ExitCode)?.rawValue ?? 2)
            throw error
        }
    }

    func train(group: ProcessGroup) throws {
        if cv && group.size > 1 {
            throw AudioSpecNetError.invalidArgument("--cv runs its folds one after another in one process: under mpirun/srun run each fold as its own job (docs/distributed.md)")
        }
        let (test, validation) = try folds()
        var options = TrainingOptions()
        options.dataDirectory = data
        options.testFold = test
        options.valFold = validation
        if foldless {
            options.valSplit = valSplit ?? 0.2
            options.testSplit = testSplit
        }
        if esc10 { options.esc10 = true }
        options.epochs = epochs
        options.batchSize = batchSize
        options.maxLR = maxLR
        options.seed = seed
        options.architecture.width = width ?? 64
        options.frontEnd = TrainingOptions.frontEnd(sampleRate: sampleRate ?? 22_050)
        if var initFrom {
            if initFrom == "default" { initFrom = try DefaultModel.path() }  // the model shipped with the tool
            // the model's network and front end, unless given (then they must match: the library refuses)
            let starting = try StartingModel(path: initFrom)
            options.initFrom = initFrom
            options.architecture = starting.metadata.architecture
            if let width { options.architecture.width = width }
            if let sampleRate { options.frontEnd = TrainingOptions.frontEnd(sampleRate: sampleRate) } else { options.frontEnd = starting.frontEnd }
            try starting.check(architecture: options.architecture, frontEnd: options.frontEnd)
        }
        if freezeBackbone {
            options.freezeBackbone = true
            options.disableAugmentation()
        }
        // after the frozen backbone's defaults, so that the library refuses a conflicting flag rather than dropping it
        if let timeShift { options.timeShift = TimeShift(maxSeconds: timeShift) }
        if let gainDB { options.gain = try Self.gainRange(gainDB) }
        if let mixupP { options.mixup.probability = mixupP }
        if let mixupAlpha { options.mixup.alpha = mixupAlpha }
        if mixupDomain.flatMap(MixupDomain.init(rawValue:)) == .waveform { options.mixupDomain = .waveform }
        options.noise = try noise()
        if let freqMask { options.specAugment.freqMask = freqMask }
        if let timeMask { options.specAugment.timeMask = timeMask }
        if let ema { options.ema = EMASettings(decay: ema, warmupPower: emaWarmupPower ?? 0.75) }
        if let averageLast { options.average = AverageSettings(lastEpochs: averageLast, lr: try Self.averageRate(averageLR, maxLR: maxLR)) }
        if !teacher.isEmpty {
            options.teachers = teacher
            options.distillation = Distillation(temperature: distillTemperature ?? 2, alpha: distillAlpha ?? 0.5)
        }
        if let levelNorm { options.frontEnd.level = try LevelNormalization(parsing: levelNorm) }
        options.threads = compute.count
        options.allowMissing = allowMissing
        options.prefetch = !noPrefetch
        if syncBN { options.syncBatchNorm = true }
        let cacheDirectory: String? = cache.map { $0 == "none" ? nil : $0 } ?? SpectrogramStore.defaultCacheDirectory
        let output = TrainingOutput(quiet: quiet || !group.isRoot, json: format.json)  // rank 0 alone reports
        let outDir = out ?? (cv ? "runs/cv-s\(seed)" : "runs/test\(options.testFold.map(String.init) ?? "none")-val\(options.valFold.map(String.init) ?? "none")-s\(seed)")
        if !cv && !resume && FileManager.default.fileExists(atPath: outDir + "/last.safetensors") {
            throw AudioSpecNetError.file(path: outDir, reason: "already holds a run (last.safetensors); pass --resume to continue it, or choose another --out")
        }
        let cancellation = Cancellation()
        let signals = StopSignals(cancelling: cancellation)
        defer { withExtendedLifetime(signals) {} }
        do {
            if cv {
                try runCrossValidation(options: options, outDir: outDir, cacheDirectory: cacheDirectory, cancellation: cancellation, output: output)
            } else {
                let summary = try TrainingRun.run(options: options, outDir: outDir, resume: resume, cacheDirectory: cacheDirectory,
                                                  cancellation: cancellation, group: group, output: output)
                if group.isRoot { output.summary(summary, outDir: outDir) }
            }
        } catch let stop as TrainingStop {
            output.finish()
            switch stop {
            case .interrupted:
                if group.isRoot { printError("\(stop). Resume with: \(resumeCommand(outDir))") }
                throw ExitStatus.interrupted
            case .cancelled:
                printError("\(stop)")
                throw ExitStatus.interrupted
            case .nonFinite:
                printError("\(stop)")
                throw ExitStatus.someFailed
            }
        } catch let failure as TrainingRun.Failure {
            // Training ran (epochs, checkpoints) and then failed: not a usage problem.
            output.finish()
            printError("\(failure.error)")
            throw ExitStatus.someFailed
        } catch let missing as MissingClips {
            output.finish()
            throw AudioSpecNetError.invalidArgument("\(missing); pass --allow-missing to train without them")
        } catch {
            output.finish()
            throw error
        }
    }

    /// The command line that continues this run: the original arguments with --resume (and --out).
    func resumeCommand(_ outDir: String) -> String {
        var args = Array(CommandLine.arguments.dropFirst())
        if out == nil { args += ["--out", outDir] }
        if !resume { args.append("--resume") }
        let exe = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "audiospecnet"
        return ([exe] + args).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    func runCrossValidation(options: TrainingOptions, outDir: String, cacheDirectory: String?, cancellation: Cancellation,
                            output: TrainingOutput) throws {
        let result = try CrossValidation.run(options: options, outputDirectory: outDir, resume: resume, message: { output.line($0) }) { o, dir, canResume in
            let summary = try TrainingRun.run(options: o, outDir: dir, resume: canResume, cacheDirectory: cacheDirectory,
                                              cancellation: cancellation, output: output)
            output.summary(summary, outDir: dir)
            return summary
        }
        let text = String(format: "cross-validated test accuracy %.2f %% ± %.2f %% (mean ± sample std over %d folds); %@/cv.csv",
                          100 * result.mean, 100 * result.standardDeviation, result.folds.count, outDir)
        output.result(text, json: ["cv_mean_test_acc": result.mean, "cv_std_test_acc": result.standardDeviation, "folds": Double(result.folds.count)])
    }
}
