import Foundation

/// Starting a run: the output directory checks, the data (spectrograms built or read from the cache),
/// `config.json`, the resume, and the run's TensorBoard event file. The CLI's `train` and the tests both
/// start runs through here.
public enum TrainingSession {
    /// The JSON written to config.json.
    public struct RunConfig: Encodable {
        public var options: TrainingOptions
        public var resolvedTrainFolds: [Int]
        public var clips: [String: Int]
        public var metadataPath: String
        public var metadataHash: String
        public var dataIdentity: [String: String]
        public var classes: [String]
        public var parameters: Int
        public var stepsPerEpoch: Int
        public var toolVersion: String
        public var cacheDirectory: String?
        public var notes: [String]

        enum CodingKeys: String, CodingKey {
            case options, clips, classes, parameters, notes
            case resolvedTrainFolds = "resolved_train_folds", metadataPath = "metadata_path", metadataHash = "metadata_hash"
            case dataIdentity = "data_identity", stepsPerEpoch = "steps_per_epoch", toolVersion = "tool_version"
            case cacheDirectory = "cache_directory"
        }
    }

    /// Checks `outputDirectory` against `resume` before any expensive work.
    public static func checkOutputDirectory(_ outputDirectory: String, resume: Bool) throws {
        let exists = RunDirectory(outputDirectory).holdsRun
        if resume && !exists {
            throw AudioSpecNetError.file(path: outputDirectory, reason: "nothing to resume (no last.safetensors)")
        }
        if !resume && exists {
            throw AudioSpecNetError.file(path: outputDirectory, reason: "already holds a run (last.safetensors): resume it, or choose another directory")
        }
    }

    /// Loads the data and returns a trainer ready to `run()`, resumed from `last.safetensors` when asked;
    /// `cancellation` stops the spectrogram pass and then the run.
    public static func start(options: TrainingOptions, outputDirectory: String, resume: Bool, cacheDirectory: String?,
                             cancellation: Cancellation = Cancellation(), group: ProcessGroup = SingleProcess(),
                             progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
                             message: (String) -> Void = { _ in }) throws -> Trainer {
        try options.validate()
        try checkOutputDirectory(outputDirectory, resume: resume)
        // the starting model is read and checked before the spectrogram pass, as the resume is
        var options = options
        // before the resume's check: a run resumed with another number of ranks is refused here
        options.worldSize = group.size > 1 ? group.size : nil
        try Trainer.check(options, ranks: group.size)
        let starting = try options.initFrom.map { try StartingModel(path: $0) }
        if let starting {
            try starting.check(architecture: options.architecture, frontEnd: options.frontEnd)
            options.initFromWeights = starting.weightsHash
        }
        // the teachers' weights join the identity: a resume with other teachers is refused before any work
        if let teachers = options.teachers, !teachers.isEmpty {
            options.teacherWeights = try teachers.map { try StartingModel(path: $0).weightsHash }
        }
        if resume {
            // refuse a changed configuration before the (possibly long) spectrogram pass; the data are
            // compared once loaded
            let saved = try Checkpoint.read(path: RunDirectory(outputDirectory).last).options
            var now = options
            now.architecture.numClasses = saved.architecture.numClasses
            if let d = now.firstDifference(from: saved) {
                throw AudioSpecNetError.invalidArgument("cannot resume \(outputDirectory): `\(d.key)` was \(d.saved) in that run and is \(d.now) now")
            }
        }
        let data = try TrainingData.load(options: options, cacheDirectory: cacheDirectory, cancellation: cancellation, progress: progress)
        data.notes.forEach(message)
        data.classCountLines.forEach(message)
        let s = data.store.statistics
        message(String(format: "spectrograms: %d clips [%d×%d] in %.1f s (%d computed, %d from the cache)", data.store.count,
                       data.store.mels, data.store.frames, s.seconds, s.computed, s.fromCache))
        let trainer = try start(options: options, data: data, outputDirectory: outputDirectory, resume: resume,
                                cacheDirectory: cacheDirectory, startingModel: starting, group: group, message: message)
        trainer.cancellation = cancellation
        return trainer
    }

    /// As above, with the data already built (tests, cross-validation reusing a store).
    public static func start(options: TrainingOptions, data: TrainingData, outputDirectory: String, resume: Bool,
                             cacheDirectory: String? = nil, startingModel: StartingModel? = nil, group: ProcessGroup = SingleProcess(),
                             message: (String) -> Void = { _ in }) throws -> Trainer {
        try checkOutputDirectory(outputDirectory, resume: resume)
        let trainer = try Trainer(options: options, data: data, outputDirectory: outputDirectory, startingModel: startingModel, group: group)
        // every rank reads a resume's last.safetensors (a folder all of them see); rank 0 alone writes
        if group.isRoot { try trainer.directory.create() }
        if !resume { trainer.startingNote.map(message) }
        if trainer.options.freezeBackbone == true {
            message("frozen backbone: only fc trains, on features computed once per clip (BatchNorm in evaluation mode; no SpecAugment or mixup)")
        }
        if resume {
            try trainer.resume()
            let st = trainer.state
            message(st.stepInEpoch == 0
                    ? "resuming \(outputDirectory) after epoch \(st.epoch) of \(options.epochs)"
                    : "resuming \(outputDirectory) in epoch \(st.epoch + 1) at step \(st.stepInEpoch + 1) of \(trainer.stepsPerEpoch)")
        } else if group.isRoot {
            let config = RunConfig(
                options: trainer.options, resolvedTrainFolds: data.trainFolds,
                clips: ["train": data.train.count, "val": data.validation.count, "test": data.test.count, "total": data.store.count],
                metadataPath: (try? ESC50Dataset(root: options.dataDirectory).metadata.path) ?? options.dataDirectory,
                metadataHash: data.metadataHash,
                dataIdentity: Dictionary(data.identity.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                classes: data.classes, parameters: trainer.model.arena.parameterCount, stepsPerEpoch: trainer.stepsPerEpoch,
                toolVersion: audioSpecNetVersion, cacheDirectory: cacheDirectory, notes: data.notes + [trainer.startingNote].compactMap { $0 })
            try AtomicFile.write(prettyJSON(config) + "\n", to: trainer.directory.config)
            // the clips of each set, so that a split drawn from a seed can be checked and reproduced
            try AtomicFile.write(data.splitCSV, to: (outputDirectory as NSString).appendingPathComponent("split.csv"))
        }
        guard group.isRoot else { return trainer }
        // a new event file at every start; a resume's begins with SessionLog START at the steps already done
        let log = try TensorBoardLog(directory: trainer.directory, stepsPerEpoch: trainer.stepsPerEpoch,
                                     resumedAt: resume ? trainer.state.globalStep : nil)
        trainer.events = { log.record($0) }
        return trainer
    }
}

extension Trainer {
    /// Adds `handler` after those already attached (the TensorBoard log `TrainingSession.start` attaches):
    /// callers add to `events` this way rather than replace it.
    public func addEventHandler(_ handler: @escaping (TrainerEvent) -> Void) {
        let previous = events
        events = { previous($0); handler($0) }
    }
}
