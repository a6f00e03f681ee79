import Foundation

/// PyTorch's `OneCycleLR` with its defaults (two phases, cosine annealing, div_factor 25,
/// final_div_factor 1e4, cycle_momentum between 0.95 and 0.85 on Adam's β₁). `at(step)` is the learning
/// rate and β₁ that PyTorch's optimizer uses for the step with that 0-based index.
public struct OneCycleLR: Codable, Equatable, Sendable {
    public var maxLR: Double
    public var totalSteps: Int
    public var pctStart: Double = 0.1
    public var divFactor: Double = 25
    public var finalDivFactor: Double = 1e4
    public var baseMomentum: Double = 0.85
    public var maxMomentum: Double = 0.95

    public init(maxLR: Double, totalSteps: Int, pctStart: Double = 0.1) {
        self.maxLR = maxLR
        self.totalSteps = totalSteps
        self.pctStart = pctStart
    }

    public var initialLR: Double { maxLR / divFactor }
    public var minLR: Double { initialLR / finalDivFactor }

    public func at(_ step: Int) -> (lr: Double, beta1: Double) {
        // Phase ends as PyTorch computes them (floats, the first one may be fractional).
        let phases: [(end: Double, lr: (Double, Double), momentum: (Double, Double))] = [
            (pctStart * Double(totalSteps) - 1, (initialLR, maxLR), (maxMomentum, baseMomentum)),
            (Double(totalSteps) - 1, (maxLR, minLR), (baseMomentum, maxMomentum)),
        ]
        let s = Double(step)
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if s <= phase.end || i == phases.count - 1 {
                // A phase of no length (the warm-up when pct_start × total steps is exactly 1, e.g. 10 steps at
                // 0.1) is over at once: its end value. PyTorch divides by zero there (ZeroDivisionError); 0/0
                // here was a NaN learning rate that stopped such a run at its second step.
                let length = phase.end - start
                let pct = length > 0 ? (s - start) / length : 1
                return (anneal(phase.lr.0, phase.lr.1, pct), anneal(phase.momentum.0, phase.momentum.1, pct))
            }
            start = phase.end
        }
        return (minLR, maxMomentum)
    }

    private func anneal(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        end + (start - end) / 2.0 * (cos(Double.pi * pct) + 1)
    }
}
