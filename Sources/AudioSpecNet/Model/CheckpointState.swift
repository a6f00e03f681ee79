import Foundation

// A training run's curves and resumable state: stored in a checkpoint's metadata, read by Training to
// resume and by model export (`CheckpointSummary`), so they live below both.

/// One row of the learning curves.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// nil when the run holds no fold out (`--test-fold none --val-fold none`).
    public var valLoss: Double?
    public var valAccuracy: Double?
    /// The learning rate of the epoch's last step.
    public var lr: Double
    public var seconds: Double
    public var samplesPerSecond: Double
    public var best: Bool
    /// Seconds the training loop waited for batches (0 when preparation stays off the critical path).
    public var dataWaitSeconds: Double = 0
    /// With `--ema`: the decay of the epoch's last update (the validation figures are the average's).
    public var emaDecay: Double?
    /// Macro-F1 on the validation clips (nil when nothing is held out, and in checkpoints written before it
    /// was recorded).
    public var valMacroF1: Double?

    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double?, valAccuracy: Double?, lr: Double,
                seconds: Double, samplesPerSecond: Double, best: Bool, dataWaitSeconds: Double = 0) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.valLoss = valLoss
        self.valAccuracy = valAccuracy
        self.lr = lr
        self.seconds = seconds
        self.samplesPerSecond = samplesPerSecond
        self.best = best
        self.dataWaitSeconds = dataWaitSeconds
    }

    enum CodingKeys: String, CodingKey {
        case epoch, lr, seconds, best, dataWaitSeconds = "data_wait_s"
        case trainLoss = "train_loss", trainAccuracy = "train_acc", valLoss = "val_loss", valAccuracy = "val_acc"
        case samplesPerSecond = "samples_per_s", emaDecay = "ema_decay", valMacroF1 = "val_macro_f1"
    }

    public static let csvHeader = "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds,samples_per_s,best,data_wait_s,val_macro_f1"
    public var csvRow: String {
        func optional(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
        return String(format: "%d,%.6f,%.6f,%@,%@,%.8g,%.3f,%.2f,%d,%.3f,%@", epoch, trainLoss, trainAccuracy, optional(valLoss),
                      optional(valAccuracy), lr, seconds, samplesPerSecond, best ? 1 : 0, dataWaitSeconds, optional(valMacroF1))
    }
}

/// Everything beyond weights and optimizer moments that a resume needs to continue bit for bit: where
/// in the schedule the run is, the dropout generator, the running sums of an unfinished epoch, the
/// curves so far and the best epoch. Stored as JSON in the checkpoint's metadata (`checkpoint`).
public struct CheckpointState: Codable, Equatable, Sendable {
    /// Epochs completed.
    public var epoch: Int = 0
    /// Steps of epoch `epoch + 1` already taken (0 at an epoch boundary).
    public var stepInEpoch: Int = 0
    /// Optimizer steps taken so far: the schedule position.
    public var globalStep: Int = 0
    public var adamStep: Int = 0
    /// The dropout generator's four state words, hex.
    public var dropoutRNG: [String] = []
    /// Running sums of the unfinished epoch.
    public var partialLoss: Double = 0
    public var partialCorrect: Int = 0
    public var partialSeen: Int = 0
    public var partialSeconds: Double = 0
    public var partialDataWait: Double = 0
    public var history: [EpochMetrics] = []
    public var bestEpoch: Int = 0
    public var bestValAccuracy: Double = -1
    public var bestValLoss: Double = .infinity
    public var wallSeconds: Double = 0
    /// With `--average-last`: how many epochs' weights the running average holds (nil without it).
    public var averagedEpochs: Int?

    enum CodingKeys: String, CodingKey {
        case epoch, history
        case stepInEpoch = "step_in_epoch", globalStep = "global_step", adamStep = "adam_step", dropoutRNG = "dropout_rng"
        case partialLoss = "partial_loss", partialCorrect = "partial_correct", partialSeen = "partial_seen"
        case partialSeconds = "partial_seconds", partialDataWait = "partial_data_wait", bestEpoch = "best_epoch", bestValAccuracy = "best_val_acc"
        case bestValLoss = "best_val_loss", wallSeconds = "wall_seconds", averagedEpochs = "averaged_epochs"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        stepInEpoch = try c.decode(Int.self, forKey: .stepInEpoch)
        globalStep = try c.decode(Int.self, forKey: .globalStep)
        adamStep = try c.decode(Int.self, forKey: .adamStep)
        dropoutRNG = try c.decode([String].self, forKey: .dropoutRNG)
        partialLoss = try c.decode(Double.self, forKey: .partialLoss)
        partialCorrect = try c.decode(Int.self, forKey: .partialCorrect)
        partialSeen = try c.decode(Int.self, forKey: .partialSeen)
        partialSeconds = try c.decode(Double.self, forKey: .partialSeconds)
        partialDataWait = try c.decodeIfPresent(Double.self, forKey: .partialDataWait) ?? 0
        history = try c.decode([EpochMetrics].self, forKey: .history)
        bestEpoch = try c.decode(Int.self, forKey: .bestEpoch)
        bestValAccuracy = try c.decode(Double.self, forKey: .bestValAccuracy)
        // JSON has no infinity: before any epoch the best loss is encoded as null.
        bestValLoss = try c.decodeIfPresent(Double.self, forKey: .bestValLoss) ?? .infinity
        wallSeconds = try c.decode(Double.self, forKey: .wallSeconds)
        averagedEpochs = try c.decodeIfPresent(Int.self, forKey: .averagedEpochs)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(stepInEpoch, forKey: .stepInEpoch)
        try c.encode(globalStep, forKey: .globalStep)
        try c.encode(adamStep, forKey: .adamStep)
        try c.encode(dropoutRNG, forKey: .dropoutRNG)
        try c.encode(partialLoss, forKey: .partialLoss)
        try c.encode(partialCorrect, forKey: .partialCorrect)
        try c.encode(partialSeen, forKey: .partialSeen)
        try c.encode(partialSeconds, forKey: .partialSeconds)
        try c.encode(partialDataWait, forKey: .partialDataWait)
        try c.encode(history, forKey: .history)
        try c.encode(bestEpoch, forKey: .bestEpoch)
        try c.encode(bestValAccuracy, forKey: .bestValAccuracy)
        if bestValLoss.isFinite { try c.encode(bestValLoss, forKey: .bestValLoss) } else { try c.encodeNil(forKey: .bestValLoss) }
        try c.encode(wallSeconds, forKey: .wallSeconds)
        try c.encodeIfPresent(averagedEpochs, forKey: .averagedEpochs)
    }

    static func hexWords(_ words: [UInt64]) -> [String] { words.map { String($0, radix: 16) } }
    static func words(_ hex: [String]) -> [UInt64]? {
        let w = hex.compactMap { UInt64($0, radix: 16) }
        return w.count == 4 ? w : nil
    }
}
