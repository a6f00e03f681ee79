/// Inverted dropout: in training each value is zeroed with probability p and the survivors are scaled by
/// 1/(1−p), so evaluation is the identity. The mask comes from the caller's seeded generator, or, with
/// `rowKeys`, row i's from a generator seeded with rowKeys[i] (the trainer keys each clip's mask by its
/// place in the global batch, so that a data-parallel rank draws what one process draws).
public final class Dropout {
    public var probability: Float
    public var rowKeys: [UInt64]?
    private var mask: [Float] = []

    public init(probability: Float = 0.5) { self.probability = probability }

    public func forward(_ x: Tensor, into y: Tensor, training: Bool, rng: inout RandomGenerator) {
        y.reshape(x.shape)
        guard training, probability > 0 else {
            if x !== y { y.data.update(from: x.data, count: x.count) }
            mask = []
            return
        }
        let keep = 1 - probability, scale = probability < 1 ? 1 / keep : 0
        if let rowKeys, x.shape[0] == rowKeys.count, !rowKeys.isEmpty {
            let width = x.count / rowKeys.count
            mask = []
            mask.reserveCapacity(x.count)
            for key in rowKeys {
                var row = RandomGenerator(seed: key)
                for _ in 0..<width { mask.append(row.nextFloat() < keep ? scale : 0) }
            }
        } else {
            mask = (0..<x.count).map { _ in rng.nextFloat() < keep ? scale : 0 }
        }
        for i in 0..<x.count { y.data[i] = x.data[i] * mask[i] }
    }

    public func backward(outputGradient dy: Tensor, inputGradient dx: Tensor) {
        dx.reshape(dy.shape)
        if mask.isEmpty {
            if dx !== dy { dx.data.update(from: dy.data, count: dy.count) }
            return
        }
        for i in 0..<dy.count { dx.data[i] = dy.data[i] * mask[i] }
    }
}
