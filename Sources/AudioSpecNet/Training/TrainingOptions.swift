import Foundation

/// Every setting of a training run. Written to `config.json`, stored in each checkpoint, and compared on
/// `--resume`: a key that changes the model, the data or the optimisation refuses the resume.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var dataDirectory: String = ""
    /// nil: no test fold (with `valFold` nil too, nothing is held out and the model is the last epoch).
    public var testFold: Int? = 5
    /// nil: select the best epoch on the test fold (the reference's choice; the test figure is optimistic).
    public var valFold: Int? = 4
    /// Empty: every fold of the metadata that is neither test nor validation.
    public var trainFolds: [Int] = []
    public var epochs: Int = 100
    public var batchSize: Int = 32
    public var maxLR: Double = 0.002
    public var pctStart: Double = 0.1
    public var weightDecay: Double = 0.01
    public var labelSmoothing: Float = 0.1
    public var dropout: Float = 0.5
    public var specAugment = SpecAugment()
    public var mixup = Mixup()
    /// `--mixup-domain waveform`: a mixed batch mixes the clips' waveforms (BC learning) instead of their
    /// log-mels (nil: the spectrogram, the recipe; joins `identity` only when set to waveform).
    public var mixupDomain: MixupDomain?
    /// `--noise-snr`: white noise on a share of the training clips' waveforms (nil: off; joins `identity` when set).
    public var noise: NoiseAugmentation?
    public var seed: UInt64 = 0
    public var architecture: AudioCNNConfig = .recipe
    public var frontEnd: FrontEndConfig = .recipe
    public var allowMissing = false
    /// Not part of the run's identity: speed only (results are bit-identical for a fixed thread count).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    public var prefetch = true
    /// Data without folds (class folders, a CSV without `fold`): the stratified fractions held out for
    /// validation and test. nil in runs made before they existed; they join `identity` only when set.
    public var valSplit: Double?
    public var testSplit: Double?
    /// Only the ESC-10 rows of an ESC-50 layout (nil: all; joins `identity` only when set).
    public var esc10: Bool?
    /// Fine-tuning: the model file or checkpoint the run starts from (nil: from scratch), and the hash of its
    /// weights (`StartingModel.weightsHash`, filled in when the run starts), which joins `identity`.
    public var initFrom: String?
    public var initFromWeights: String?
    /// Train only the classifier on features computed once by the starting model's frozen network (BatchNorm
    /// in evaluation mode); needs `initFrom`, and SpecAugment and mixup off (nil: the whole network trains).
    public var freezeBackbone: Bool?
    /// A random gain per training clip (`--gain-db`) and a random circular time shift (`--time-shift`),
    /// applied before SpecAugment (nil: off, the recipe; they join `identity` only when set).
    public var gain: RandomGain?
    public var timeShift: TimeShift?
    /// An exponential moving average of the weights, evaluated and saved as the model (`--ema`; nil: off).
    public var ema: EMASettings?
    /// Weight averaging over the last epochs with their constant learning rate (`--average-last`; nil: off).
    public var average: AverageSettings?
    /// Distillation (`--teacher`, repeatable): the teachers' model files, their weights hashes (filled in when
    /// the run starts; they join `identity`), and the loss (1 − α)·CE + α·T²·KL(teachers ‖ student at T).
    public var teachers: [String]?
    public var teacherWeights: [String]?
    public var distillation: Distillation?
    /// Data-parallel runs: the number of ranks (nil: one process). It joins `identity`, so a run resumed with
    /// another world size is refused (its batches would split differently); set by the run from its process group.
    public var worldSize: Int?
    /// `--sync-bn`: BatchNorm's batch statistics over all ranks (nil: per rank). It changes nothing in one
    /// process, so it joins `identity` only with a world size above 1.
    public var syncBatchNorm: Bool?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dataDirectory = "data", testFold = "test_fold", valFold = "val_fold", trainFolds = "train_folds"
        case epochs, batchSize = "batch_size", maxLR = "max_lr", pctStart = "pct_start", weightDecay = "weight_decay"
        case labelSmoothing = "label_smoothing", dropout, specAugment = "spec_augment", mixup, seed, architecture
        case frontEnd = "frontend", allowMissing = "allow_missing", threads, prefetch
        case valSplit = "val_split", testSplit = "test_split", esc10
        case initFrom = "init_from", initFromWeights = "init_from_weights", freezeBackbone = "freeze_backbone"
        case gain = "gain_db", timeShift = "time_shift", ema, teachers, teacherWeights = "teacher_weights", distillation, average
        case worldSize = "world_size", syncBatchNorm = "sync_bn", mixupDomain = "mixup_domain", noise
    }

    /// The front end for a sample rate: the recipe's, with f_max capped at the Nyquist frequency.
    public static func frontEnd(sampleRate: Int) -> FrontEndConfig {
        var config = FrontEndConfig.recipe
        config.sampleRate = sampleRate
        config.fMax = min(config.fMax, Double(sampleRate) / 2)
        return config
    }

    /// Bounds on the numbers a flag or a saved config may set (docs/hardening.md, "Bad input").
    public static let maxEpochs = 100_000, maxBatchSize = 4_096, maxThreads = 1_024, maxFold = ESC50Metadata.maxFold

    public func validate() throws {
        func bad(_ s: String) -> AudioSpecNetError { .invalidArgument(s) }
        // Bounded so that epochs × steps and every schedule position stay far from Int.max.
        guard (1...Self.maxEpochs).contains(epochs) else { throw bad("epochs must be 1…\(Self.maxEpochs), got \(epochs)") }
        guard (1...Self.maxBatchSize).contains(batchSize) else { throw bad("the batch size must be 1…\(Self.maxBatchSize), got \(batchSize)") }
        guard (1...Self.maxThreads).contains(threads) else { throw bad("threads must be 1…\(Self.maxThreads), got \(threads)") }
        guard maxLR > 0, maxLR.isFinite, maxLR <= 10 else { throw bad("the peak learning rate must be positive and at most 10, got \(maxLR)") }
        guard pctStart > 0, pctStart < 1 else { throw bad("pct_start must be in (0, 1), got \(pctStart)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw bad("weight_decay must be ≥ 0, got \(weightDecay)") }
        guard labelSmoothing >= 0, labelSmoothing < 1 else { throw bad("label_smoothing must be in [0, 1), got \(labelSmoothing)") }
        guard dropout >= 0, dropout < 1 else { throw bad("dropout must be in [0, 1), got \(dropout)") }
        for fold in trainFolds + [testFold, valFold].compactMap({ $0 }) where !(0...Self.maxFold).contains(fold) {
            throw bad("folds must be 0…\(Self.maxFold), got \(fold)")
        }
        for (name, f) in [("val", valSplit), ("test", testSplit)] {
            if let f, !(f >= 0 && f < 1) { throw bad("the \(name) split must be in [0, 1), got \(f)") }
        }
        guard (valSplit ?? 0) + (testSplit ?? 0) < 1 else { throw bad("the validation and test splits leave nothing to train on") }
        if let valFold, let testFold, valFold == testFold { throw bad("validation fold \(valFold) is also the test fold") }
        if (testFold.map { trainFolds.contains($0) } ?? false) || (valFold.map { trainFolds.contains($0) } ?? false) {
            throw bad("the training folds \(trainFolds) overlap the test or validation fold")
        }
        guard mixup.probability >= 0, mixup.probability <= 1 else { throw bad("the mixup probability must be in [0, 1], got \(mixup.probability)") }
        guard mixup.alpha > 0, mixup.alpha.isFinite, mixup.alpha <= 100 else { throw bad("mixup's alpha must be in (0, 100], got \(mixup.alpha)") }
        guard specAugment.freqMask >= 0, specAugment.timeMask >= 0, specAugment.freqMask <= FrontEndConfig.maxMels,
              specAugment.timeMask <= 100_000 else {
            throw bad("SpecAugment's mask widths must be ≥ 0, got \(specAugment.freqMask) mels and \(specAugment.timeMask) frames")
        }
        try gain?.validate()
        try timeShift?.validate()
        try noise?.validate()
        try ema?.validate()
        try average?.validate(epochs: epochs)
        if ema != nil && average != nil { throw bad("--ema and --average-last are two averages of the weights: use one") }
        try distillation?.validate()
        if let teachers, !teachers.isEmpty, distillation == nil { throw bad("teachers need distillation settings (temperature, alpha)") }
        if freezeBackbone == true {
            guard initFrom != nil else { throw bad("a frozen backbone needs a model to start from") }
            guard ema == nil, average == nil, teachers == nil else {
                throw bad("a frozen backbone trains fc alone: --ema, --average-last and --teacher are for whole-network runs")
            }
            guard specAugment.freqMask == 0, specAugment.timeMask == 0, mixup.probability == 0, gain == nil, timeShift == nil,
                  mixupDomain != .waveform, noise == nil else {
                throw bad("a frozen backbone's features are computed once per clip: SpecAugment, mixup, gain and time shift must be off")
            }
        }
        do { try architecture.validate() } catch { throw bad("architecture: \(error)") }
        try frontEnd.validate()
    }

    /// The settings that define the run, by the name a user knows them under, as comparable strings.
    public var identity: [(key: String, value: String)] {
        var keys = baseIdentity
        // Appended only when set, so that runs made before these options resume unchanged.
        if let valSplit { keys.append(("val-split", "\(valSplit)")) }
        if let testSplit { keys.append(("test-split", "\(testSplit)")) }
        if esc10 == true { keys.append(("esc10", "true")) }
        if initFrom != nil { keys.append(("init-from", initFromWeights ?? "unread")) }
        if freezeBackbone == true { keys.append(("freeze-backbone", "true")) }
        if let gain { keys.append(("gain-db", "\(gain.lowDB):\(gain.highDB)")) }
        if let timeShift { keys.append(("time-shift", "\(timeShift.maxSeconds)")) }
        if mixupDomain == .waveform { keys.append(("mixup-domain", "waveform")) }
        if let noise { keys.append(("noise", "\(noise.lowDB):\(noise.highDB) p \(noise.probability)")) }
        if let ema { keys.append(("ema", "\(ema.decay) warm-up power \(ema.warmupPower)")) }
        if let average { keys.append(("average-last", average.identity)) }
        if let teachers, !teachers.isEmpty {
            keys.append(("teachers", (teacherWeights ?? ["unread"]).joined(separator: ",")))
            if let distillation { keys.append(("distillation", "T \(distillation.temperature) alpha \(distillation.alpha)")) }
        }
        if let worldSize, worldSize > 1 {
            keys.append(("world-size", "\(worldSize)"))
            if syncBatchNorm == true { keys.append(("sync-bn", "true")) }
        }
        return keys
    }

    private var baseIdentity: [(key: String, value: String)] {
        [("test-fold", testFold.map(String.init) ?? "none"), ("val-fold", valFold.map(String.init) ?? "none"),
         ("train-folds", trainFolds.map(String.init).joined(separator: ",")), ("epochs", "\(epochs)"),
         ("batch-size", "\(batchSize)"), ("max-lr", "\(maxLR)"), ("pct-start", "\(pctStart)"),
         ("weight-decay", "\(weightDecay)"), ("label-smoothing", "\(labelSmoothing)"), ("dropout", "\(dropout)"),
         ("spec-augment", jsonString(specAugment)), ("mixup", jsonString(mixup)), ("seed", "\(seed)"),
         ("width", "\(architecture.width)"), ("architecture", jsonString(architecture)),
         ("sample-rate", "\(frontEnd.sampleRate)"), ("frontend", jsonString(frontEnd))]
    }

    /// Whether a batch may need the training clips' waveforms: waveform mixing, or noise.
    public var needsWaveforms: Bool {
        (mixupDomain == .waveform && mixup.probability > 0) || (noise.map { $0.probability > 0 } ?? false)
    }

    /// SpecAugment and mixup switched off, as a frozen backbone needs them.
    public mutating func disableAugmentation() {
        specAugment = SpecAugment(freqMask: 0, timeMask: 0)
        mixup.probability = 0
        gain = nil
        timeShift = nil
        mixupDomain = nil
        noise = nil
    }

    /// The first setting whose value differs, as (key, saved, now).
    public func firstDifference(from saved: TrainingOptions) -> (key: String, saved: String, now: String)? {
        let old = Dictionary(saved.identity, uniquingKeysWith: { a, _ in a }), new = Dictionary(identity, uniquingKeysWith: { a, _ in a })
        for (key, _) in identity + saved.identity where old[key] != new[key] {
            let absent = key == "world-size" ? "1" : "unset"  // one process records no world size
            return (key, old[key] ?? absent, new[key] ?? absent)
        }
        return nil
    }
}

extension TrainingData {
    /// The data of a run with these options: their folds, front end and thread count; stops with
    /// `TrainingStop.cancelled` when `cancellation` is cancelled (Ctrl-C) while the spectrograms are built.
    public static func load(options: TrainingOptions, cacheDirectory: String?, cancellation: Cancellation = Cancellation(),
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> TrainingData {
        var selection = DataSelection(dataDirectory: options.dataDirectory, testFold: options.testFold, valFold: options.valFold,
                                      trainFolds: options.trainFolds, allowMissing: options.allowMissing)
        selection.valSplit = options.valSplit ?? 0
        selection.testSplit = options.testSplit ?? 0
        selection.esc10 = options.esc10 ?? false
        selection.seed = options.seed
        do {
            let data = try load(selection, frontEnd: options.frontEnd, threads: options.threads, cacheDirectory: cacheDirectory,
                                isCancelled: { cancellation.isCancelled }, progress: progress)
            if options.needsWaveforms {
                try data.loadWaveforms(frontEnd: try FrontEnd(config: options.frontEnd), threads: options.threads,
                                       isCancelled: { cancellation.isCancelled })
            }
            return data
        } catch is CancellationError {
            throw TrainingStop.cancelled
        }
    }
}

/// The distillation loss's settings: temperature T and the weight α of the teachers' term.
public struct Distillation: Codable, Equatable, Sendable {
    public var temperature: Float = 2
    public var alpha: Float = 0.5

    public init(temperature: Float = 2, alpha: Float = 0.5) {
        self.temperature = temperature
        self.alpha = alpha
    }

    public func validate() throws {
        guard temperature.isFinite, temperature > 0, temperature <= 100 else {
            throw AudioSpecNetError.invalidArgument("the distillation temperature must be in (0, 100], got \(temperature)")
        }
        guard alpha >= 0, alpha <= 1 else { throw AudioSpecNetError.invalidArgument("the distillation weight alpha must be in [0, 1], got \(alpha)") }
    }
}
