import Foundation

/// Training data that is not an ESC-50 layout: class-named subfolders or a CSV of `path,label[,fold]`,
/// read by the same readers as `eval` (`LabelledClips`). The classes are the labels present, sorted; held-out
/// sets come from the CSV's folds or, without folds, from a stratified seeded split.
extension TrainingData {
    static func loadLabelled(_ options: DataSelection, frontEnd: FrontEndConfig, threads: Int, cacheDirectory: String?,
                             isCancelled: @escaping @Sendable () -> Bool,
                             progress: @escaping @Sendable (Int, Int) -> Void) throws -> TrainingData {
        let source = options.dataDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw AudioSpecNetError.file(path: source, reason: "no such file or directory")
        }
        let selection = isDirectory.boolValue ? try LabelledClips.classFolders(source) : try LabelledClips.csv(source)
        var notes: [String] = []
        var clips: [LabelledClip] = [], missing: [String] = []
        for clip in selection.clips {
            if FileManager.default.fileExists(atPath: clip.path) { clips.append(clip) } else { missing.append(clip.path) }
        }
        if !missing.isEmpty {
            guard options.allowMissing, !clips.isEmpty else {
                throw AudioSpecNetError.file(path: source, reason: "lists \(missing.count) audio file\(missing.count == 1 ? "" : "s") that do not exist (\(ESC50Dataset.firstFew(missing)))")
            }
            notes.append("skipping \(missing.count) listed file\(missing.count == 1 ? "" : "s") the disk lacks (\(ESC50Dataset.firstFew(missing))), as allowed")
        }
        let classes = Set(clips.map(\.label)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let labels = clips.map { index[$0.label]! }
        // 0 train, 1 validation, 2 test, for each clip
        var role: [Int]
        var trainFolds: [Int] = []
        if clips.contains(where: { $0.fold != nil }) {
            guard options.valSplit == 0, options.testSplit == 0 else {
                throw AudioSpecNetError.invalidArgument("\(source) has a fold column: hold clips out by test and validation fold, not by split fractions")
            }
            let folds = Set(clips.compactMap(\.fold))
            for f in [options.testFold, options.valFold].compactMap({ $0 }) where !folds.contains(f) {
                throw AudioSpecNetError.invalidArgument("fold \(f) does not exist in \(source) (folds \(folds.sorted()))")
            }
            let held = Set([options.testFold, options.valFold].compactMap { $0 })
            trainFolds = options.trainFolds.isEmpty ? folds.subtracting(held).sorted() : options.trainFolds
            role = clips.map { c in
                c.fold == options.testFold ? 2 : c.fold == options.valFold ? 1 : trainFolds.contains(c.fold ?? -1) ? 0 : -1
            }
        } else {
            if let f = options.testFold ?? options.valFold {
                throw AudioSpecNetError.invalidArgument("\(source) has no folds (fold \(f) asked for): hold clips out by validation and test fractions")
            }
            role = stratifiedSplit(labels: labels, classCount: classes.count, val: options.valSplit, test: options.testSplit, seed: options.seed)
        }
        var paths: [String] = []
        var position: [String: Int] = [:]
        func split(_ r: Int) -> Split {
            var s = Split(indices: [], labels: [], names: [])
            for i in clips.indices where role[i] == r {
                let p = clips[i].path
                if position[p] == nil { position[p] = paths.count; paths.append(p) }
                s.indices.append(position[p]!)
                s.labels.append(labels[i])
                s.names.append(p)
            }
            return s
        }
        let trainSplit = split(0), valSplit = split(1), testSplit = split(2)
        // without a validation set, select on the test set (as `--val-fold none` does)
        let validation = valSplit.count == 0 ? testSplit : valSplit
        guard trainSplit.count > 0 else { throw AudioSpecNetError.invalidArgument("\(source): the training set is empty") }
        try checkEveryClassTrains(classes: classes, train: trainSplit, source: source)
        let listing = clips.map { "\($0.path)\t\($0.label)\t\($0.fold.map(String.init) ?? "")" }.joined(separator: "\n")
        let store = try SpectrogramStore.build(paths: paths, frontEnd: try FrontEnd(config: frontEnd), threads: threads,
                                               cacheDirectory: cacheDirectory, isCancelled: isCancelled, progress: progress)
        let data = TrainingData(store: store, classes: classes, train: trainSplit, validation: validation, test: testSplit,
                                trainFolds: trainFolds, metadataHash: fnv1a64Hex(Data(listing.utf8)))
        data.notes = notes + [selection.summary]
        data.clipPaths = paths
        return data
    }

    /// Stratified split: per class (in class order), the clips in listed order are shuffled by one
    /// generator seeded from `seed`, and round(n × fraction) go to validation (1) and test (2), always
    /// leaving at least one for training (0). The same labels and seed give the same split.
    public static func stratifiedSplit(labels: [Int], classCount: Int, val: Double, test: Double, seed: UInt64) -> [Int] {
        var role = Array(repeating: 0, count: labels.count)
        guard val > 0 || test > 0 else { return role }
        var rng = RandomGenerator(seed: seed ^ 0x5B11_7000_0000_0001)
        for c in 0..<classCount {
            var members = labels.indices.filter { labels[$0] == c }
            var i = members.count - 1
            while i > 0 {  // Fisher–Yates, written out so the order does not depend on the standard library
                let j = Int(rng.next() % UInt64(i + 1))
                members.swapAt(i, j)
                i -= 1
            }
            let n = members.count
            var nVal = Int((Double(n) * val).rounded()), nTest = Int((Double(n) * test).rounded())
            while nVal + nTest >= n && nVal + nTest > 0 { if nTest >= nVal { nTest -= 1 } else { nVal -= 1 } }
            for (k, m) in members.enumerated() { role[m] = k < nVal ? 1 : k < nVal + nTest ? 2 : 0 }
        }
        return role
    }
}
