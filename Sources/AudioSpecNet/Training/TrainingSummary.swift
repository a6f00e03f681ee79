import Foundation

/// The outcome written to `summary.json`.
public struct TrainingSummary: Codable, Equatable, Sendable {
    public var epochs: Int
    public var bestEpoch: Int
    /// nil when nothing was held out: the model is then the last epoch.
    public var bestValAccuracy: Double?
    public var bestValLoss: Double?
    /// nil without a test fold.
    public var testAccuracy: Double?
    public var testLoss: Double?
    public var testFold: Int?
    public var valFold: Int?
    public var selection: String
    public var trainClips: Int, valClips: Int, testClips: Int
    public var meanSamplesPerSecond: Double
    public var wallSeconds: Double
    public var note: String?
    /// With `--average-last`: the averaged model's figures (it is the run's model; the test figures are its).
    public var averaged: AveragedModelSummary?

    enum CodingKeys: String, CodingKey {
        case epochs, selection, note, averaged
        case bestEpoch = "best_epoch", bestValAccuracy = "best_val_acc", bestValLoss = "best_val_loss"
        case testAccuracy = "test_acc", testLoss = "test_loss", testFold = "test_fold", valFold = "val_fold"
        case trainClips = "train_clips", valClips = "val_clips", testClips = "test_clips"
        case meanSamplesPerSecond = "samples_per_s", wallSeconds = "wall_seconds"
    }
}

/// Why a run stopped early.
public enum TrainingStop: Error, CustomStringConvertible {
    /// A stop was requested (Ctrl-C): the state after `step` steps of epoch `epoch` is saved at `checkpoint`.
    case interrupted(epoch: Int, step: Int, checkpoint: String)
    /// The loss turned NaN/Inf; `lastGood` is the newest checkpoint that predates it (nil when none).
    case nonFinite(epoch: Int, step: Int, loss: Double, lastGood: String?)
    /// A stop was requested before training started (while the spectrograms were being built).
    case cancelled

    public var description: String {
        switch self {
        case .interrupted(let epoch, let step, let checkpoint):
            return "interrupted in epoch \(epoch) after step \(step); state saved to \(checkpoint)"
        case .cancelled:
            return "interrupted before training started; nothing was saved"
        case .nonFinite(let epoch, let step, let loss, let lastGood):
            return "the training loss became \(loss) at epoch \(epoch), step \(step); stopped without saving. Last good checkpoint: \(lastGood ?? "none (no epoch completed)")"
        }
    }
}
