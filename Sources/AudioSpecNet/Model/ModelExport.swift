import Foundation

/// How a model file stores its floating-point tensors. Counters (`num_batches_tracked`) stay I64 either way.
public enum ModelStorage: String, CaseIterable, Sendable {
    /// F32: the weights exactly as trained.
    case f32
    /// F16: half the bytes; every value rounded to nearest-even binary16, widened to float32 on load.
    case f16

    public var dtype: SafetensorsDType { self == .f32 ? .f32 : .f16 }
}

/// What a model file exported from a checkpoint says about the run so far (metadata `checkpoint_summary`),
/// from the checkpoint's state: which epoch these weights are from and how that epoch went. (A finished
/// run's `model.safetensors` carries `training_summary`, its summary.json, instead.)
public struct CheckpointSummary: Codable, Equatable, Sendable {
    /// Epochs completed when the weights were saved (and steps into the next, for an interrupted run).
    public var epoch: Int
    public var stepInEpoch: Int
    public var bestEpoch: Int
    /// nil when the run held no fold out.
    public var bestValAccuracy: Double?
    /// The learning-curve row of `epoch`, when there is one.
    public var metrics: EpochMetrics?
    public var epochsRecorded: Int
    public var wallSeconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, metrics
        case stepInEpoch = "step_in_epoch", bestEpoch = "best_epoch", bestValAccuracy = "best_val_acc"
        case epochsRecorded = "epochs_recorded", wallSeconds = "wall_seconds"
    }

    public init(_ state: CheckpointState) {
        epoch = state.epoch
        stepInEpoch = state.stepInEpoch
        bestEpoch = state.bestEpoch
        bestValAccuracy = state.bestValAccuracy >= 0 ? state.bestValAccuracy : nil
        metrics = state.history.last { $0.epoch == state.epoch }
        epochsRecorded = state.history.count
        wallSeconds = state.wallSeconds
    }
}

/// Where float16 rounding moved the values of a model (reported by `export --dtype f16`).
public struct HalfPrecisionReport: Equatable, Sendable {
    public var values = 0
    /// Largest |f16(x) − x|, and largest |f16(x) − x| / |x| over the values in float16's normal range
    /// (|x| ≥ 2⁻¹⁴; at most 2⁻¹¹ ≈ 4.9e-4 there, by round-to-nearest).
    public var maxAbsoluteError: Float = 0
    public var maxRelativeError: Float = 0
    /// Values whose binary16 form is subnormal (|x| < 2⁻¹⁴ ≈ 6.1e-5: fewer significant bits), and non-zero
    /// values that became 0 (|x| ≤ 2⁻²⁵ ≈ 3e-8).
    public var subnormal = 0
    public var flushedToZero = 0
}

/// Model files that are just the model: weights, BatchNorm statistics and metadata, no optimizer state, in
/// float32 or float16. Loading (`ModelFile.load`) reads either and widens F16 to float32.
public enum ModelExport {
    /// Metadata keys that describe a training checkpoint's resumable state, never a model.
    static let checkpointKeys: Set<String> = ["checkpoint"]

    /// The metadata a model file keeps from a model file or checkpoint: architecture, classes, front end,
    /// training options, data identity and training summary; a checkpoint's resumable state becomes
    /// `checkpoint_summary`.
    /// The tool version that wrote the source is kept as `source_tool_version`.
    public static func modelMetadata(_ source: ModelMetadata) -> ModelMetadata {
        var metadata = source
        if let text = source.extra["checkpoint"], let state = try? JSONDecoder().decode(CheckpointState.self, from: Data(text.utf8)) {
            metadata.extra["checkpoint_summary"] = jsonString(CheckpointSummary(state))
        }
        for key in checkpointKeys { metadata.extra[key] = nil }
        if let version = source.extra["tool_version"], source.extra["source_tool_version"] == nil {
            metadata.extra["source_tool_version"] = version
        }
        if metadata.frontend.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            // A bare state_dict records no front end, and the classifier then uses the recipe's: say so.
            metadata.frontend = jsonString(FrontEndConfig.recipe)
        }
        return metadata
    }

    /// The model file's bytes to be. F16 refuses (throws, naming the tensor) a finite value that float16
    /// cannot hold (|x| ≥ 65 520 would round to ∞): clamping to ±65 504 would silently change what the
    /// network computes by an unbounded amount, and such a value (a weight or a running variance) is far
    /// outside what this recipe trains, so it signals a problem worth seeing; `--dtype f32` always works.
    public static func writer(model: AudioCNN, metadata: ModelMetadata, storage: ModelStorage,
                              report: inout HalfPrecisionReport) throws -> SafetensorsWriter {
        if storage == .f32 { return ModelFile.writer(model: model, metadata: metadata) }
        var writer = SafetensorsWriter(metadata: ModelFile.headerMetadata(metadata))
        let arena = model.arena
        for e in arena.entries {
            if e.kind == .counter {
                writer.add(e.name, shape: [], int64s: [arena.counters[e.offset]])
                continue
            }
            let values = UnsafeBufferPointer(start: arena.values(pointer: e.name), count: e.count)
            var bits = [UInt16](repeating: 0, count: e.count)
            for (i, x) in values.enumerated() {
                let h = HalfPrecision.bits(x)
                guard HalfPrecision.isFinite(bits: h) else {
                    throw AudioSpecNetError.invalidArgument(
                        "cannot store \(e.name) as float16: value \(x) at index \(i) is outside float16's range (±65504); use --dtype f32")
                }
                bits[i] = h
                let widened = HalfPrecision.float(h)
                let error = abs(widened - x)
                report.values += 1
                report.maxAbsoluteError = max(report.maxAbsoluteError, error)
                if h & 0x7C00 != 0 { report.maxRelativeError = max(report.maxRelativeError, error / abs(x)) }
                if h & 0x7C00 == 0 {
                    if h & 0x03FF != 0 { report.subnormal += 1 } else if x != 0 { report.flushedToZero += 1 }
                }
            }
            writer.add(e.name, shape: e.shape, float16Bits: bits)
        }
        return writer
    }

    /// Writes `model` as a model file (atomically).
    @discardableResult
    public static func save(model: AudioCNN, metadata: ModelMetadata, storage: ModelStorage, to path: String) throws -> HalfPrecisionReport {
        var report = HalfPrecisionReport()
        try writer(model: model, metadata: metadata, storage: storage, report: &report).write(to: path)
        return report
    }
}
