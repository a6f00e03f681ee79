import Foundation

/// Stochastic weight averaging (`--average-last K [--average-lr LR|none]`): the equal-weight mean of the
/// trainable parameters taken at the end of each of the last K epochs (E − K + 1 … E), as PyTorch's
/// `torch.optim.swa_utils.AveragedModel` with its default `avg_fn` and `use_buffers=False`; the BatchNorm
/// statistics of the average are recomputed after the last epoch (`BatchNormRecompute`). `lr`: the constant
/// learning rate of those K epochs, OneCycle running over the first E − K (nil: OneCycle over the whole run,
/// whose vanishing tail makes the K weights nearly identical).
public struct AverageSettings: Codable, Equatable, Sendable {
    public var lastEpochs: Int
    public var lr: Double?

    public init(lastEpochs: Int, lr: Double?) {
        self.lastEpochs = lastEpochs
        self.lr = lr
    }

    /// The tail's default rate: a tenth of OneCycle's peak. High enough that the K epochs' weights differ
    /// (averaging identical weights changes nothing), low enough to stay near the minimum OneCycle's decay
    /// reached; SWA's own recipes hold SGD at a fixed fraction of its initial rate (Izmailov et al., 2018).
    public static func defaultLR(maxLR: Double) -> Double { maxLR / 10 }

    enum CodingKeys: String, CodingKey { case lastEpochs = "last_epochs", lr }

    /// `lr` written as null when OneCycle runs throughout, so that config.json shows the choice.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lastEpochs, forKey: .lastEpochs)
        try c.encode(lr, forKey: .lr)
    }

    public func validate(epochs: Int) throws {
        guard lastEpochs >= 1, lastEpochs < epochs else {
            throw AudioSpecNetError.invalidArgument("the number of averaged epochs must be 1…\(epochs - 1) (fewer than the \(epochs) epochs), got \(lastEpochs)")
        }
        if let lr, !(lr > 0 && lr.isFinite && lr <= 10) {
            throw AudioSpecNetError.invalidArgument("the averaging learning rate must be positive and at most 10, got \(lr)")
        }
    }

    /// The first averaged epoch (1-based) of a run of `epochs`.
    public func firstEpoch(epochs: Int) -> Int { epochs - lastEpochs + 1 }

    /// How many epochs' weights the average holds once `completed` epochs are done: a function of the epoch
    /// count alone, which a resume checks the checkpoint's count against.
    public func averagedCount(afterEpochs completed: Int, epochs: Int) -> Int {
        max(0, min(lastEpochs, completed - firstEpoch(epochs: epochs) + 1))
    }

    /// The run's identity value.
    public var identity: String { "\(lastEpochs) lr \(lr.map { "\($0)" } ?? "none (OneCycle throughout)")" }
}

/// The running mean itself, in the arena's parameter layout (buffers are not averaged: they are recomputed).
public final class WeightAverage {
    public let settings: AverageSettings
    public let parameters: UnsafeMutablePointer<Float>
    public let parameterCount: Int
    /// Epochs folded in so far.
    public private(set) var count = 0

    public init(settings: AverageSettings, arena: ParameterArena) {
        self.settings = settings
        parameterCount = arena.parameterCount
        parameters = .allocate(capacity: max(1, parameterCount))
        parameters.initialize(repeating: 0, count: max(1, parameterCount))
    }

    deinit { parameters.deallocate() }

    /// Folds the arena's current parameters in: avg ← avg + (θ − avg)/(n + 1), PyTorch's `get_swa_avg_fn`
    /// (the first fold copies).
    public func add(_ arena: ParameterArena, parallel: Parallel) {
        let n = Float(count + 1), model = arena.parameterValues, avg = parameters
        if count == 0 {
            avg.update(from: model, count: parameterCount)
        } else {
            parallel.chunks(parameterCount, minimumChunk: 1 << 16) { range, _ in
                for i in range { avg[i] = avg[i] + (model[i] - avg[i]) / n }
            }
        }
        count += 1
    }

    /// Overwrites the average and its count (a resume).
    public func load(parameters p: [Float], count: Int) {
        precondition(p.count == parameterCount)
        parameters.update(from: p, count: parameterCount)
        self.count = count
    }

    /// Writes the average into the arena's parameters (the end of the run: the model becomes the average).
    public func copy(into arena: ParameterArena) {
        arena.parameters.update(from: parameters, count: parameterCount)
    }
}

/// What `summary.json` records of the averaged model (`averaged`): which epochs, the BatchNorm pass, and its
/// validation figures (nil when nothing is held out).
public struct AveragedModelSummary: Codable, Equatable, Sendable {
    public var firstEpoch: Int, lastEpoch: Int, averagedEpochs: Int
    /// Batches of the BatchNorm pass: each BatchNorm's num_batches_tracked.
    public var batchNormBatches: Int
    public var valAccuracy: Double?, valLoss: Double?, valMacroF1: Double?

    enum CodingKeys: String, CodingKey {
        case firstEpoch = "first_epoch", lastEpoch = "last_epoch", averagedEpochs = "averaged_epochs", batchNormBatches = "bn_batches"
        case valAccuracy = "val_acc", valLoss = "val_loss", valMacroF1 = "val_macro_f1"
    }

    /// The log's line.
    public var line: String {
        var text = "averaged model: epochs \(firstEpoch)–\(lastEpoch) (\(averagedEpochs)), BatchNorm statistics recomputed over \(batchNormBatches) batches"
        if let valAccuracy, let valLoss {
            text += String(format: "; val loss %.4f, val acc %.2f %%", valLoss, 100 * valAccuracy)
            if let valMacroF1 { text += String(format: ", macro-F1 %.3f", valMacroF1) }
        }
        return text
    }
}
