import Foundation

/// Checkpoint files: a model file (loadable by `eval`/`infer` as is) plus, under the reserved
/// `__checkpoint__.` prefix, AdamW's m and v; the options, the data identity and `CheckpointState` live
/// in the metadata as JSON.
public enum Checkpoint {
    public static let mName = ModelFile.checkpointPrefix + "adamw.m"
    public static let vName = ModelFile.checkpointPrefix + "adamw.v"
    /// With `--ema` the checkpoint's model tensors are the average (what was evaluated, what `eval` reads),
    /// and the weights training continues from are kept here, flat in the arena's layout.
    public static let rawParametersName = ModelFile.checkpointPrefix + "raw.parameters"
    public static let rawBuffersName = ModelFile.checkpointPrefix + "raw.buffers"
    /// With `--average-last`, once the first averaged epoch is done: the running mean of the parameters
    /// (its count is `CheckpointState.averagedEpochs`); the model tensors stay the training weights.
    public static let averageName = ModelFile.checkpointPrefix + "average.parameters"

    public static func write(to path: String, model: AudioCNN, optimizer: AdamW, state: CheckpointState,
                             options: TrainingOptions, dataIdentity: [(key: String, value: String)], classes: [String],
                             ema: WeightEMA? = nil, average: WeightAverage? = nil) throws {
        var extra: [String: String] = [:]
        extra["checkpoint"] = jsonString(state)
        extra["training_options"] = jsonString(options)
        extra["data_identity"] = jsonString(Dictionary(dataIdentity.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        let metadata = ModelMetadata(architecture: model.config, classes: classes, frontend: jsonString(options.frontEnd), extra: extra)
        // the average goes in as the model; the arena is restored before returning, whatever happens
        ema?.swap(with: model.arena)
        defer { ema?.swap(with: model.arena) }
        var writer = ModelFile.writer(model: model, metadata: metadata)
        if let ema {
            writer.add(rawParametersName, shape: [ema.parameterCount], floats: UnsafeBufferPointer(start: ema.parameters, count: ema.parameterCount))
            writer.add(rawBuffersName, shape: [ema.bufferCount], floats: UnsafeBufferPointer(start: ema.buffers, count: ema.bufferCount))
        }
        if let average, average.count > 0 {
            writer.add(averageName, shape: [average.parameterCount], floats: UnsafeBufferPointer(start: average.parameters, count: average.parameterCount))
        }
        writer.add(mName, shape: [optimizer.count], floats: UnsafeBufferPointer(start: optimizer.m, count: optimizer.count))
        writer.add(vName, shape: [optimizer.count], floats: UnsafeBufferPointer(start: optimizer.v, count: optimizer.count))
        try writer.write(to: path)
    }

    public struct Loaded {
        public var file: SafetensorsFile
        public var state: CheckpointState
        public var options: TrainingOptions
        public var dataIdentity: [String: String]
    }

    /// Reads the training state of a checkpoint (weights are loaded separately, into a model).
    public static func read(path: String) throws -> Loaded {
        let file = try SafetensorsFile(bytes: try ModelFile.readModelBytes(path), path: path)
        func bad(_ why: String) -> AudioSpecNetError { .format(path: path, reason: why) }
        guard let stateText = file.metadata["checkpoint"], let optionsText = file.metadata["training_options"] else {
            throw bad("not a training checkpoint (no checkpoint metadata); a model file cannot be resumed")
        }
        let decoder = JSONDecoder()
        guard let state = try? decoder.decode(CheckpointState.self, from: Data(stateText.utf8)) else { throw bad("checkpoint state is unreadable") }
        guard let options = try? decoder.decode(TrainingOptions.self, from: Data(optionsText.utf8)) else { throw bad("training options are unreadable") }
        let identity = (file.metadata["data_identity"]).flatMap { try? decoder.decode([String: String].self, from: Data($0.utf8)) } ?? [:]
        guard file.entries[mName] != nil, file.entries[vName] != nil else { throw bad("optimizer state missing") }
        if options.ema != nil, file.entries[rawParametersName] == nil || file.entries[rawBuffersName] == nil {
            throw bad("a run with --ema, but the training weights behind the average are missing")
        }
        if let average = options.average {
            let expected = average.averagedCount(afterEpochs: state.epoch, epochs: options.epochs)
            guard state.averagedEpochs ?? 0 == expected else {
                throw bad("a run with --average-last: the average holds \(state.averagedEpochs ?? 0) epochs after epoch \(state.epoch), expected \(expected)")
            }
            if expected > 0, file.entries[averageName] == nil { throw bad("a run with --average-last, but the running average is missing") }
        }
        if let problem = state.firstProblem { throw bad("checkpoint state: \(problem)") }
        return Loaded(file: file, state: state, options: options, dataIdentity: identity)
    }
}

extension CheckpointState {
    /// A counter that no run can produce (negative, or past the largest run), which would otherwise trap
    /// in the loop's arithmetic: its key and value.
    var firstProblem: String? {
        let limit = TrainingOptions.maxEpochs
        let counters: [(String, Int, Int)] = [("epoch", epoch, limit), ("best_epoch", bestEpoch, limit),
                                              ("step_in_epoch", stepInEpoch, 1 << 40), ("global_step", globalStep, 1 << 50),
                                              ("adam_step", adamStep, 1 << 50), ("partial_correct", partialCorrect, 1 << 50),
                                              ("partial_seen", partialSeen, 1 << 50)]
        for (key, value, maximum) in counters where value < 0 || value > maximum { return "\(key) is \(value), must be 0…\(maximum)" }
        if history.count > limit { return "history has \(history.count) epochs" }
        for (key, value) in [("partial_loss", partialLoss), ("partial_seconds", partialSeconds), ("wall_seconds", wallSeconds)] where !value.isFinite {
            return "\(key) is \(value)"
        }
        return nil
    }
}
