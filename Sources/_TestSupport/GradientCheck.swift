import AudioSpecNet

/// Central-difference gradient checking. The loss is evaluated in float32 layers but summed in Double;
/// `h` is large enough that rounding in the loss (≈ 1e-7·|L|/h) stays far below the tolerance, small
/// enough that the O(h²) truncation of smooth layers does too.
public enum GradientCheck {
    /// Compares `analytic` with central differences of `loss` w.r.t. values[i] for the given indices
    /// (all when nil). Returns ‖numeric − analytic‖∞ / max(‖numeric‖∞, tiny) over the checked indices.
    public static func relativeError(values: UnsafeMutablePointer<Float>, count: Int, analytic: [Float],
                                     indices: [Int]? = nil, h: Float = 1e-2, loss: () -> Double) -> Double {
        var worst = 0.0, scale = 1e-12
        for i in indices ?? Array(0..<count) {
            let saved = values[i]
            values[i] = saved + h
            let plus = loss()
            values[i] = saved - h
            let minus = loss()
            values[i] = saved
            let numeric = (plus - minus) / (2 * Double(h))
            worst = max(worst, abs(numeric - Double(analytic[i])))
            scale = max(scale, abs(numeric))
        }
        return worst / scale
    }

    /// A few spread-out indices (first, last and a deterministic sample) for large tensors.
    public static func sampleIndices(count: Int, samples: Int, seed: UInt64 = 7) -> [Int] {
        if count <= samples { return Array(0..<count) }
        var rng = RandomGenerator(seed: seed)
        return Array(Set([0, count - 1] + (0..<(samples - 2)).map { _ in rng.nextInt(below: count) })).sorted()
    }

    /// Σ y ⊙ r in Double: a loss whose gradient w.r.t. y is exactly r.
    public static func projection(_ y: Tensor, _ r: [Float]) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(r[i]) }
        return s
    }
}

public func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, values: (0..<n).map { _ in Float(rng.nextNormal()) * scale })
}

public func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = RandomGenerator(seed: seed)
    return (0..<count).map { _ in Float(rng.nextNormal()) * scale }
}
