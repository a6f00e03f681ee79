import Foundation

/// Which clips of an ESC-50 layout a run uses: the held-out folds (nil: none) and the training folds
/// (empty: every other fold that has audio on disk).
public struct DataSelection: Sendable {
    public var dataDirectory: String
    public var testFold: Int?
    public var valFold: Int?
    public var trainFolds: [Int]
    /// Skip clips the metadata lists but the disk lacks, instead of failing.
    public var allowMissing: Bool
    /// Data without folds: stratified fractions held out for validation and test, drawn from `seed`.
    public var valSplit = 0.0, testSplit = 0.0
    public var seed: UInt64 = 0
    /// ESC-50 layouts: only the rows whose `esc10` column is True.
    public var esc10 = false
    public init(dataDirectory: String, testFold: Int?, valFold: Int?, trainFolds: [Int] = [], allowMissing: Bool = false) {
        self.dataDirectory = dataDirectory
        self.testFold = testFold
        self.valFold = valFold
        self.trainFolds = trainFolds
        self.allowMissing = allowMissing
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
    /// The file of each clip of the store, by store index.
    public var clipPaths: [String] = []
    /// With waveform mixing: the training clips' waveforms, and each store index's row in them (−1: none).
    public private(set) var waveforms: WaveformStore?
    public private(set) var waveformRows: [Int] = []
    /// The front end that turns a mixed waveform into the network's input (the spectrograms' own).
    public private(set) var waveformFrontEnd: FrontEnd?
    /// `path,label,split` of every clip in use, written to the run folder as `split.csv`.
    public var splitCSV: String {
        var out = "path,label,split\n"
        for (name, split) in [("train", train), ("val", validation), ("test", test)] {
            for i in 0..<split.count { out += "\(CSVReader.quoted(split.names[i])),\(CSVReader.quoted(classes[split.labels[i]])),\(name)\n" }
        }
        return out
    }

    /// One line per class: clips in training, validation and test.
    public var classCountLines: [String] {
        var counts = Array(repeating: [0, 0, 0], count: classes.count)
        for (k, split) in [train, validation, test].enumerated() { for l in split.labels { counts[l][k] += 1 } }
        return ["clips per class (train/val/test):"] + classes.indices.map { "  \(classes[$0]): \(counts[$0][0])/\(counts[$0][1])/\(counts[$0][2])" }
    }

    /// Refuses, in one line, a class without a training clip.
    static func checkEveryClassTrains(classes: [String], train: Split, source: String) throws {
        let present = Set(train.labels)
        if let missing = classes.indices.first(where: { !present.contains($0) }) {
            throw AudioSpecNetError.invalidArgument("\(source): class \"\(classes[missing])\" has no training clip")
        }
    }

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

    /// Decodes the training clips' waveforms (`--mixup-domain waveform`), once per run.
    public func loadWaveforms(frontEnd: FrontEnd, threads: Int, isCancelled: @escaping @Sendable () -> Bool = { false }) throws {
        precondition(clipPaths.count == store.count, "the clips' paths are needed to decode their waveforms")
        let unique = Array(Set(train.indices)).sorted()
        waveforms = try WaveformStore.build(paths: unique.map { clipPaths[$0] }, frontEnd: frontEnd, threads: threads, isCancelled: isCancelled)
        waveformRows = Array(repeating: -1, count: store.count)
        for (row, index) in unique.enumerated() { waveformRows[index] = row }
        waveformFrontEnd = frontEnd
    }

    /// Waveforms given directly (tests): `waveforms` row r belongs to store index `indices[r]`.
    public func setWaveforms(_ waveforms: WaveformStore, storeIndices indices: [Int], frontEnd: FrontEnd) {
        self.waveforms = waveforms
        waveformRows = Array(repeating: -1, count: store.count)
        for (row, index) in indices.enumerated() { waveformRows[index] = row }
        waveformFrontEnd = frontEnd
    }

    /// Opens the ESC-50 layout, selects the folds, and builds the spectrograms (in parallel over `threads`,
    /// cached). Throws `CancellationError` once `isCancelled` returns true.
    public static func load(_ options: DataSelection, frontEnd: FrontEndConfig, threads: Int, cacheDirectory: String?,
                            isCancelled: @escaping @Sendable () -> Bool = { false },
                            progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> TrainingData {
        guard LabelledClips.esc50Metadata(root: options.dataDirectory) != nil else {
            return try loadLabelled(options, frontEnd: frontEnd, threads: threads, cacheDirectory: cacheDirectory,
                                    isCancelled: isCancelled, progress: progress)
        }
        guard options.valSplit == 0, options.testSplit == 0 else {
            throw AudioSpecNetError.invalidArgument("\(options.dataDirectory) is an ESC-50 layout with folds: hold out with --test-fold/--val-fold, not --val-split/--test-split")
        }
        let dataset = try ESC50Dataset(root: options.dataDirectory, esc10: options.esc10)
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
            notes.append("skipping \(allMissing.count) clip\(allMissing.count == 1 ? "" : "s") the metadata lists but the disk lacks (\(ESC50Dataset.firstFew(allMissing))), as allowed")
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
            return Split(indices: indices, labels: clips.map { dataset.metadata.classIndex[$0.target]! }, names: clips.map(\.filename))
        }
        let trainSplit = split(trainClips), valSplit = split(valClips), testSplit = split(testClips)
        let classes = dataset.metadata.classes
        // ESC-50 folds are fixed (cross-validation on a few clips may leave a class out of training): say so
        // rather than refuse; data with splits is refused (`loadLabelled`).
        do { try checkEveryClassTrains(classes: classes, train: trainSplit, source: options.dataDirectory) } catch {
            notes.append("\(error)")
        }
        let store = try SpectrogramStore.build(paths: all.map { dataset.path(of: $0) }, frontEnd: try FrontEnd(config: frontEnd),
                                               threads: threads, cacheDirectory: cacheDirectory, isCancelled: isCancelled,
                                               progress: progress)
        let data = TrainingData(store: store, classes: classes, train: trainSplit, validation: valSplit,
                                test: testSplit, trainFolds: train, metadataHash: dataset.metadata.contentHash)
        data.notes = notes
        data.clipPaths = all.map { dataset.path(of: $0) }
        return data
    }
}
