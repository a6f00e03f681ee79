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
    public var seed: UInt64 = 0
    public var architecture: AudioCNNConfig = .recipe
    public var frontEnd: FrontEndConfig = .recipe
    public var allowMissing = false
    /// Not part of the run's identity: speed only (results are bit-identical for a fixed thread count).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    public var prefetch = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dataDirectory = "data", testFold = "test_fold", valFold = "val_fold", trainFolds = "train_folds"
        case epochs, batchSize = "batch_size", maxLR = "max_lr", pctStart = "pct_start", weightDecay = "weight_decay"
        case labelSmoothing = "label_smoothing", dropout, specAugment = "spec_augment", mixup, seed, architecture
        case frontEnd = "frontend", allowMissing = "allow_missing", threads, prefetch
    }

    /// The front end for a sample rate: the recipe's, with f_max capped at the Nyquist frequency.
    public static func frontEnd(sampleRate: Int) -> FrontEndConfig {
        var config = FrontEndConfig.recipe
        config.sampleRate = sampleRate
        config.fMax = min(config.fMax, Double(sampleRate) / 2)
        return config
    }

    /// Bounds on the numbers a flag or a saved config may set (README, "Bad input").
    public static let maxEpochs = 100_000, maxBatchSize = 4_096, maxThreads = 1_024, maxFold = ESC50Metadata.maxFold

    public func validate() throws {
        func bad(_ s: String) -> AudioSpecNetError { .invalidArgument(s) }
        // Bounded so that epochs × steps and every schedule position stay far from Int.max.
        guard (1...Self.maxEpochs).contains(epochs) else { throw bad("--epochs must be 1…\(Self.maxEpochs), got \(epochs)") }
        guard (1...Self.maxBatchSize).contains(batchSize) else { throw bad("--batch-size must be 1…\(Self.maxBatchSize), got \(batchSize)") }
        guard (1...Self.maxThreads).contains(threads) else { throw bad("--threads must be 1…\(Self.maxThreads), got \(threads)") }
        guard maxLR > 0, maxLR.isFinite, maxLR <= 10 else { throw bad("--max-lr must be positive and at most 10, got \(maxLR)") }
        guard pctStart > 0, pctStart < 1 else { throw bad("pct_start must be in (0, 1), got \(pctStart)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw bad("weight_decay must be ≥ 0, got \(weightDecay)") }
        guard labelSmoothing >= 0, labelSmoothing < 1 else { throw bad("label_smoothing must be in [0, 1), got \(labelSmoothing)") }
        guard dropout >= 0, dropout < 1 else { throw bad("dropout must be in [0, 1), got \(dropout)") }
        for fold in trainFolds + [testFold, valFold].compactMap({ $0 }) where !(0...Self.maxFold).contains(fold) {
            throw bad("folds must be 0…\(Self.maxFold), got \(fold)")
        }
        if let valFold, let testFold, valFold == testFold { throw bad("--val-fold \(valFold) is also the test fold; pick another or `--val-fold none`") }
        if (testFold.map { trainFolds.contains($0) } ?? false) || (valFold.map { trainFolds.contains($0) } ?? false) {
            throw bad("the training folds \(trainFolds) overlap the test or validation fold")
        }
        do { try architecture.validate() } catch { throw bad("architecture: \(error)") }
        try frontEnd.validate()
    }

    /// The settings that define the run, by the name a user knows them under, as comparable strings.
    public var identity: [(key: String, value: String)] {
        [("test-fold", testFold.map(String.init) ?? "none"), ("val-fold", valFold.map(String.init) ?? "none"),
         ("train-folds", trainFolds.map(String.init).joined(separator: ",")), ("epochs", "\(epochs)"),
         ("batch-size", "\(batchSize)"), ("max-lr", "\(maxLR)"), ("pct-start", "\(pctStart)"),
         ("weight-decay", "\(weightDecay)"), ("label-smoothing", "\(labelSmoothing)"), ("dropout", "\(dropout)"),
         ("spec-augment", jsonString(specAugment)), ("mixup", jsonString(mixup)), ("seed", "\(seed)"),
         ("width", "\(architecture.width)"), ("architecture", jsonString(architecture)),
         ("sample-rate", "\(frontEnd.sampleRate)"), ("frontend", jsonString(frontEnd))]
    }

    /// The first setting whose value differs, as (key, saved, now).
    public func firstDifference(from saved: TrainingOptions) -> (key: String, saved: String, now: String)? {
        for (a, b) in zip(saved.identity, identity) where a.value != b.value { return (a.key, a.value, b.value) }
        return nil
    }
}

/// The clips of a run: spectrograms of every clip in use (one store), and which of them form the
/// training, validation and test sets, with labels.
public final class TrainingData {
    public struct Split {
        /// Indices into the store.
        public var indices: [Int]
        public var labels: [Int]
        public var names: [String]
        public var count: Int { indices.count }
        public init(indices: [Int], labels: [Int], names: [String]) { self.indices = indices; self.labels = labels; self.names = names }
    }

    public let store: SpectrogramStore
    public let classes: [String]
    public let train: Split
    /// The selection split: the validation fold, or the test fold with `--val-fold none`.
    public let validation: Split
    public let test: Split
    public let trainFolds: [Int]
    public let metadataHash: String
    public var notes: [String] = []

    public init(store: SpectrogramStore, classes: [String], train: Split, validation: Split, test: Split,
                trainFolds: [Int], metadataHash: String) {
        self.store = store
        self.classes = classes
        self.train = train
        self.validation = validation
        self.test = test
        self.trainFolds = trainFolds
        self.metadataHash = metadataHash
    }

    /// Identity of the data: counts, the metadata's hash and a hash of the clip lists.
    public var identity: [(key: String, value: String)] {
        let list = (train.names + ["|"] + validation.names + ["|"] + test.names).joined(separator: "\n")
        return [("classes", "\(classes.count)"), ("train-clips", "\(train.count)"), ("val-clips", "\(validation.count)"),
                ("test-clips", "\(test.count)"), ("metadata-hash", metadataHash), ("clip-list", fnv1a64Hex(Data(list.utf8)))]
    }

    /// Opens the ESC-50 layout, selects the folds, and builds the spectrograms (in parallel, cached).
    public static func load(options: TrainingOptions, cacheDirectory: String?,
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> TrainingData {
        let dataset = try ESC50Dataset(root: options.dataDirectory)
        var notes = dataset.warnings
        let inUseOther = Set((options.testFold.map { [$0] } ?? []) + (options.valFold.map { [$0] } ?? []))
        let listedFolds = Set(dataset.metadata.clips.map(\.fold))
        for f in inUseOther where !listedFolds.contains(f) {
            throw AudioSpecNetError.invalidArgument("fold \(f) does not exist in \(dataset.metadata.path) (folds \(listedFolds.sorted()))")
        }
        let trainFolds = options.trainFolds.isEmpty ? listedFolds.subtracting(inUseOther).sorted() : options.trainFolds
        // Folds not listed on disk at all may be absent (e.g. a 4-fold copy) only when not in use; when the
        // train folds were derived, drop those that have no audio at all rather than failing.
        let onDisk = Set(dataset.foldsOnDisk)
        var train = trainFolds
        if options.trainFolds.isEmpty {
            let absent = train.filter { !onDisk.contains($0) }
            if !absent.isEmpty {
                train.removeAll { absent.contains($0) }
                notes.append("fold\(absent.count == 1 ? "" : "s") \(absent.map(String.init).joined(separator: ",")) \(absent.count == 1 ? "has" : "have") no audio on disk: training on fold\(train.count == 1 ? "" : "s") \(train.map(String.init).joined(separator: ","))")
            }
        }
        guard !train.isEmpty else { throw AudioSpecNetError.invalidArgument("no training folds left (test fold \(options.testFold.map(String.init) ?? "none"), validation \(options.valFold.map(String.init) ?? "none"))") }
        var allMissing: [String] = []
        func pick(_ folds: [Int]) throws -> [ESC50Clip] {
            let (clips, missing) = try dataset.select(folds: Set(folds), allowMissing: options.allowMissing)
            allMissing += missing
            return clips
        }
        let trainClips = try pick(train)
        let testClips = try options.testFold.map { try pick([$0]) } ?? []
        let valClips = try options.valFold.map { try pick([$0]) } ?? testClips
        if !allMissing.isEmpty {
            notes.append("skipping \(allMissing.count) clip\(allMissing.count == 1 ? "" : "s") the metadata lists but the disk lacks (\(ESC50Dataset.firstFew(allMissing))) (--allow-missing)")
        }
        let required = [("training", trainClips, true), ("validation", valClips, options.valFold != nil || options.testFold != nil),
                        ("test", testClips, options.testFold != nil)]
        for (name, clips, needed) in required where needed && clips.isEmpty {
            throw AudioSpecNetError.invalidArgument("the \(name) set is empty")
        }
        var all: [ESC50Clip] = []
        var position: [String: Int] = [:]
        func split(_ clips: [ESC50Clip]) -> Split {
            var indices: [Int] = []
            for c in clips {
                if let p = position[c.filename] { indices.append(p); continue }
                position[c.filename] = all.count
                indices.append(all.count)
                all.append(c)
            }
            return Split(indices: indices, labels: clips.map(\.target), names: clips.map(\.filename))
        }
        let trainSplit = split(trainClips), valSplit = split(valClips), testSplit = split(testClips)
        let frontEnd = try FrontEnd(config: options.frontEnd)
        let store = try SpectrogramStore.build(paths: all.map { dataset.path(of: $0) }, frontEnd: frontEnd,
                                               cacheDirectory: cacheDirectory, progress: progress)
        let data = TrainingData(store: store, classes: dataset.metadata.classes, train: trainSplit, validation: valSplit,
                                test: testSplit, trainFolds: train, metadataHash: dataset.metadata.contentHash)
        data.notes = notes
        return data
    }
}
