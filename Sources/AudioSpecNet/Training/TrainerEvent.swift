import Foundation

/// What a training run reports while it runs; the CLI renders these (live line, plain lines, JSON).
public enum TrainerEvent {
    /// A step finished: running figures of the current epoch.
    case step(StepProgress)
    /// An epoch finished (validation done, checkpoints written).
    case epoch(EpochMetrics, epochs: Int)
    /// The validation scores of an epoch (per class, confusion matrix), just before its `.epoch`; absent when
    /// nothing is held out.
    case validated(EvalMetrics, epoch: Int)
    /// A stop was requested: the run saves its checkpoint after `globalStep` steps and ends.
    case stopping(globalStep: Int)
    /// Informational line (resume point, notes).
    case message(String)
}

public struct StepProgress: Sendable {
    public var epoch: Int, epochs: Int
    /// 1-based step within the epoch, and the epoch's step count.
    public var step: Int, steps: Int
    public var loss: Double, accuracy: Double
    public var samplesPerSecond: Double
    /// Seconds left in this epoch's training steps.
    public var etaSeconds: Double
    /// This step's own batch loss and the learning rate it used (TensorBoard's per-step curves).
    public var batchLoss: Double, lr: Double
}
