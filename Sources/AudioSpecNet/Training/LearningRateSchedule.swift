import Foundation

/// The run's learning rate and AdamW β₁ for each 0-based optimizer step: OneCycle over every step (the
/// recipe), or with `--average-last K --average-lr LR` OneCycle over the first E − K epochs' steps and LR
/// held for the last K epochs (SWA's constant tail). β₁ in the tail stays where OneCycle left it (its
/// maximum, 0.95), as PyTorch's `SWALR` leaves momentum alone. A pure function of the step, so a resume
/// continues it exactly.
public struct LearningRateSchedule: Sendable {
    public var oneCycle: OneCycleLR
    /// The first step of the constant tail and its rate (nil: OneCycle throughout).
    public var tail: (firstStep: Int, lr: Double)?

    public init(options: TrainingOptions, stepsPerEpoch: Int) {
        let total = options.epochs * stepsPerEpoch
        if let average = options.average, let lr = average.lr {
            let first = (options.epochs - average.lastEpochs) * stepsPerEpoch
            oneCycle = OneCycleLR(maxLR: options.maxLR, totalSteps: first, pctStart: options.pctStart)
            tail = (first, lr)
        } else {
            oneCycle = OneCycleLR(maxLR: options.maxLR, totalSteps: total, pctStart: options.pctStart)
            tail = nil
        }
    }

    public func at(_ step: Int) -> (lr: Double, beta1: Double) {
        if let tail, step >= tail.firstStep { return (tail.lr, oneCycle.maxMomentum) }
        return oneCycle.at(step)
    }
}
