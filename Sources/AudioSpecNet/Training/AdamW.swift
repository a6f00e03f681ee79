import Foundation

/// AdamW exactly as PyTorch's `torch.optim.AdamW` (decoupled weight decay applied to every parameter,
/// bias correction with the β₁ of the current step, ε added after the bias-corrected square root).
/// One loop over the whole parameter arena; m and v have the arena's layout.
public final class AdamW {
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var weightDecay: Double = 0.01
    /// Steps taken so far (PyTorch's `state["step"]`).
    public private(set) var step: Int = 0
    public let count: Int
    public let m: UnsafeMutablePointer<Float>
    public let v: UnsafeMutablePointer<Float>

    public init(parameterCount: Int, weightDecay: Double = 0.01) {
        count = parameterCount
        self.weightDecay = weightDecay
        m = .allocate(capacity: max(1, count))
        m.initialize(repeating: 0, count: max(1, count))
        v = .allocate(capacity: max(1, count))
        v.initialize(repeating: 0, count: max(1, count))
    }

    deinit {
        m.deallocate()
        v.deallocate()
    }

    /// Restores the state saved by a checkpoint.
    public func restore(step: Int, m mValues: UnsafePointer<Float>, v vValues: UnsafePointer<Float>) {
        self.step = step
        m.update(from: mValues, count: count)
        v.update(from: vValues, count: count)
    }

    /// One update of `parameters` from `gradients` at learning rate `lr`; with `range`, of those parameters
    /// only (a frozen backbone: the rest, weight decay included, is left untouched).
    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, lr: Double, parallel: Parallel,
                       range: Range<Int>? = nil) {
        let range = range ?? 0..<count
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "AdamW: range \(range) outside \(count) parameters")
        step += 1
        let t = Double(step)
        let biasCorrection1 = 1 - pow(beta1, t)
        let biasCorrection2Sqrt = (1 - pow(beta2, t)).squareRoot()
        let decay = Float(1 - lr * weightDecay)
        let stepSize = Float(lr / biasCorrection1)
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon), bc2 = Float(biasCorrection2Sqrt)
        let m = self.m, v = self.v
        let first = range.lowerBound
        parallel.chunks(range.count, minimumChunk: 1 << 16) { chunk, _ in
            for i in (first + chunk.lowerBound)..<(first + chunk.upperBound) {
                let g = gradients[i]
                let p = parameters[i] * decay
                let mi = b1 * m[i] + (1 - b1) * g
                let vi = b2 * v[i] + (1 - b2) * g * g
                m[i] = mi
                v[i] = vi
                parameters[i] = p - stepSize * mi / (vi.squareRoot() / bc2 + eps)
            }
        }
    }
}
