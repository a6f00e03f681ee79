import Foundation

/// Softmax cross-entropy against soft targets, mean over the batch: loss = −(1/N) Σₙ Σⱼ tₙⱼ log pₙⱼ.
/// Soft targets cover both recipe tricks: label smoothing (t = (1−ε)·onehot + ε/C, which is exactly
/// PyTorch's `label_smoothing=ε`) and mixup (t = λ·t_a + (1−λ)·t_b, which equals the reference's
/// λ·CE(a) + (1−λ)·CE(b) because CE is linear in the target).
public enum SoftmaxCrossEntropy {
    /// The smoothed one-hot target of `label` among `classes`, added with `weight` into `row`.
    public static func addTarget(label: Int, classes: Int, smoothing: Float, weight: Float, into row: UnsafeMutablePointer<Float>) {
        let base = weight * smoothing / Float(classes)
        for j in 0..<classes { row[j] += base }
        row[label] += weight * (1 - smoothing)
    }

    /// Targets (N, C) for hard labels, or mixup pairs when `mix` is given as (partner labels, λ).
    public static func targets(labels: [Int], classes: Int, smoothing: Float, mix: (partners: [Int], lambda: Float)? = nil) -> Tensor {
        let t = Tensor(shape: [labels.count, classes])
        writeTargets(labels: labels, classes: classes, smoothing: smoothing, mix: mix, into: t.data)
        return t
    }

    /// The soft targets of a batch, (N, C) rows OVERWRITTEN at `targets`: each row the smoothed one-hot of its
    /// label, or with `mix` (partner labels, λ) λ·that + (1−λ)·the partner's. The one place training and
    /// tests build targets.
    public static func writeTargets(labels: [Int], classes: Int, smoothing: Float, mix: (partners: [Int], lambda: Float)?,
                                    into targets: UnsafeMutablePointer<Float>) {
        targets.update(repeating: 0, count: labels.count * classes)
        for (i, label) in labels.enumerated() {
            let row = targets + i * classes
            if let mix {
                addTarget(label: label, classes: classes, smoothing: smoothing, weight: mix.lambda, into: row)
                addTarget(label: mix.partners[i], classes: classes, smoothing: smoothing, weight: 1 - mix.lambda, into: row)
            } else {
                addTarget(label: label, classes: classes, smoothing: smoothing, weight: 1, into: row)
            }
        }
    }

    /// Returns the mean loss (computed in Double) and, when `gradient` is given, writes
    /// ∂loss/∂logits = (softmax − t)/N into it.
    @discardableResult
    public static func forwardBackward(logits: Tensor, targets: Tensor, gradient: Tensor?) -> Double {
        let n = logits.shape[0], c = logits.shape[1]
        gradient?.reshape(logits.shape)
        var total = 0.0
        for i in 0..<n {
            let z = logits.data + i * c, t = targets.data + i * c
            var zmax = -Double.infinity
            for j in 0..<c { zmax = max(zmax, Double(z[j])) }
            var sum = 0.0
            for j in 0..<c { sum += exp(Double(z[j]) - zmax) }
            let logSum = zmax + log(sum)
            for j in 0..<c { total -= Double(t[j]) * (Double(z[j]) - logSum) }
            if let g = gradient?.data.advanced(by: i * c) {
                for j in 0..<c { g[j] = Float((exp(Double(z[j]) - logSum) - Double(t[j])) / Double(n)) }
            }
        }
        return total / Double(n)
    }

    /// Softmax probabilities of each row, for inference.
    public static func probabilities(logits: UnsafePointer<Float>, classes c: Int) -> [Float] {
        var zmax = -Float.infinity
        for j in 0..<c { zmax = max(zmax, logits[j]) }
        var p = (0..<c).map { exp(Double(logits[$0] - zmax)) }
        let s = p.reduce(0, +)
        for j in 0..<c { p[j] /= s }
        return p.map { Float($0) }
    }
}
