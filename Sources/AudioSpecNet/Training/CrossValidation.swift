import Foundation

/// `--cv`: every fold with audio is the test fold once (validation = the fold before it, cyclically, or
/// none), each run in `OUT/fold<K>/`; `cv.csv` lists the folds and the mean ± sample standard deviation of
/// the test accuracies. With `resume`, finished folds (summary.json present) are reused and an unfinished
/// one continues from its last.safetensors.
public enum CrossValidation {
    public struct Result {
        public var folds: [(fold: Int, summary: TrainingSummary)]
        public var mean: Double
        public var standardDeviation: Double
    }

    /// The per-fold options: test fold, validation fold and training folds.
    public static func plan(options: TrainingOptions, folds: [Int]) -> [TrainingOptions] {
        folds.enumerated().map { k, fold in
            var o = options
            o.testFold = fold
            o.valFold = options.valFold == nil ? nil : folds[(k + folds.count - 1) % folds.count]
            o.trainFolds = folds.filter { $0 != o.testFold && $0 != o.valFold }
            return o
        }
    }

    /// The folds that have audio on disk: of an ESC-50 layout (its `--esc10` rows when asked), or of a CSV's
    /// `fold` column. Class folders and CSVs without folds have none to cross-validate over.
    public static func foldsWithAudio(_ options: TrainingOptions) throws -> [Int] {
        let data = options.dataDirectory
        if LabelledClips.esc50Metadata(root: data) != nil { return try ESC50Dataset(root: data, esc10: options.esc10 ?? false).foldsOnDisk }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), !isDirectory.boolValue {
            let clips = try LabelledClips.csv(data).clips
            let folds = Set(clips.filter { FileManager.default.fileExists(atPath: $0.path) }.compactMap(\.fold))
            if !folds.isEmpty { return folds.sorted() }
        }
        throw AudioSpecNetError.invalidArgument("\(data) has no folds to cross-validate over: cross-validation needs an ESC-50 layout or a CSV with a fold column")
    }

    /// Runs the folds through `train(options, directory, resume)` and writes cv.csv.
    public static func run(options: TrainingOptions, outputDirectory: String, resume: Bool,
                           message: (String) -> Void = { _ in },
                           train: (TrainingOptions, String, Bool) throws -> TrainingSummary) throws -> Result {
        let folds = try foldsWithAudio(options)
        guard folds.count >= 3 || (folds.count >= 2 && options.valFold == nil) else {
            throw AudioSpecNetError.invalidArgument("cross-validation needs at least 3 folds with audio (2 without a validation fold), found \(folds)")
        }
        message("cross-validation over folds \(folds.map(String.init).joined(separator: ",")) (each the test fold once\(options.valFold == nil ? ", selection on the test fold: optimistic" : ", validation = the fold before it"))")
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var rows: [(fold: Int, summary: TrainingSummary)] = []
        for (fold, o) in zip(folds, plan(options: options, folds: folds)) {
            let dir = outputDirectory + "/fold\(fold)"
            if resume, let data = FileManager.default.contents(atPath: dir + "/summary.json"),
               let done = try? JSONDecoder().decode(TrainingSummary.self, from: data) {
                message("fold \(fold): already complete (test accuracy \(String(format: "%.4f", done.testAccuracy ?? .nan)))")
                rows.append((fold, done))
                continue
            }
            message("fold \(fold) as test, validation \(o.valFold.map(String.init) ?? "none"), training on \(o.trainFolds.map(String.init).joined(separator: ",")) → \(dir)")
            let canResume = resume && FileManager.default.fileExists(atPath: dir + "/last.safetensors")
            rows.append((fold, try train(o, dir, canResume)))
        }
        let accs = rows.map { $0.summary.testAccuracy ?? .nan }
        let mean = accs.reduce(0, +) / Double(accs.count)
        let std = (accs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, accs.count - 1))).squareRoot()
        var csv = "test_fold,val_fold,best_epoch,best_val_acc,test_acc,test_loss,wall_seconds\n"
        for r in rows {
            csv += "\(r.fold),\(r.summary.valFold.map(String.init) ?? "none"),\(r.summary.bestEpoch),"
                + String(format: "%.6f,%.6f,%.6f,%.1f\n", r.summary.bestValAccuracy ?? .nan, r.summary.testAccuracy ?? .nan,
                                r.summary.testLoss ?? .nan, r.summary.wallSeconds)
        }
        csv += String(format: "mean,,,,%.6f,,\nstd,,,,%.6f,,\n", mean, std)
        try AtomicFile.write(csv, to: outputDirectory + "/cv.csv")
        return Result(folds: rows, mean: mean, standardDeviation: std)
    }
}
