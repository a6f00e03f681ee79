import Foundation

/// Knowledge distillation's soft-label term (Hinton et al., 2015), as PyTorch writes it:
/// `T² · kl_div(log_softmax(z / T), p, reduction="batchmean")` = (T²/N) Σₙ Σⱼ pₙⱼ (log pₙⱼ − log qₙⱼ) with
/// q = softmax(z / T) and p the teachers' softened probabilities (rows summing to 1). The T² keeps the
/// gradient's size independent of T: ∂/∂z = T (q − p) / N.
public enum DistillationLoss {
    /// The teachers' soft labels: the mean over teachers of softmax(logits / T), (N, C) rows.
    public static func softLabels(teacherLogits: [[Float]], rows n: Int, classes c: Int, temperature: Float) -> [Float] {
        var p = [Float](repeating: 0, count: n * c)
        guard !teacherLogits.isEmpty else { return p }
        let share = 1 / Double(teacherLogits.count), t = Double(temperature)
        for logits in teacherLogits {
            precondition(logits.count == n * c, "DistillationLoss: \(logits.count) teacher logits for \(n)×\(c)")
            for i in 0..<n {
                let z = logits[(i * c)...]
                var zmax = -Double.infinity
                for j in 0..<c { zmax = max(zmax, Double(z[i * c + j]) / t) }
                var sum = 0.0
                for j in 0..<c { sum += exp(Double(z[i * c + j]) / t - zmax) }
                for j in 0..<c { p[i * c + j] += Float(share * exp(Double(z[i * c + j]) / t - zmax) / sum) }
            }
        }
        return p
    }

    /// The term's value (mean over the batch, in Double); with `gradient`, `weight` × its gradient is ADDED
    /// into it (so it can follow the cross-entropy's).
    @discardableResult
    public static func forwardBackward(logits: Tensor, softLabels p: [Float], temperature: Float,
                                       gradient: Tensor?, weight: Float = 1) -> Double {
        let n = logits.shape[0], c = logits.shape[1], t = Double(temperature)
        precondition(p.count == n * c, "DistillationLoss: \(p.count) soft labels for \(n)×\(c) logits")
        var total = 0.0
        for i in 0..<n {
            let z = logits.data + i * c
            var zmax = -Double.infinity
            for j in 0..<c { zmax = max(zmax, Double(z[j]) / t) }
            var sum = 0.0
            for j in 0..<c { sum += exp(Double(z[j]) / t - zmax) }
            let logSum = zmax + log(sum)
            for j in 0..<c {
                let pj = Double(p[i * c + j]), logQ = Double(z[j]) / t - logSum
                if pj > 0 { total += pj * (log(pj) - logQ) }
                if let g = gradient?.data.advanced(by: i * c + j) {
                    g.pointee += Float(Double(weight) * t * (exp(logQ) - pj) / Double(n))
                }
            }
        }
        return t * t * total / Double(n)
    }
}
