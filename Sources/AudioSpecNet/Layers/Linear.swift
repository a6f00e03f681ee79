/// y = x·Wᵀ + b, PyTorch's nn.Linear (W is [out, in]).
public final class Linear {
    public let inFeatures: Int, outFeatures: Int
    let weight, bias, weightGradient, biasGradient: UnsafeMutablePointer<Float>

    public init(arena: ParameterArena, name: String, inFeatures: Int, outFeatures: Int) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = arena.pointer("\(name).weight")
        bias = arena.pointer("\(name).bias")
        weightGradient = arena.gradient("\(name).weight")
        biasGradient = arena.gradient("\(name).bias")
    }

    // x is (N, in) → y (N, out).
    public func forward(_ x: Tensor, into y: Tensor) {
        let n = x.shape[0]
        y.reshape([n, outFeatures])
        for i in 0..<n { (y.data + i * outFeatures).update(from: bias, count: outFeatures) }
        sgemm(transB: true, m: n, n: outFeatures, k: inFeatures, a: x.data, b: weight, beta: 1, c: y.data)
    }

    // dW += dyᵀ·x, db += Σₙ dy, dx = dy·W (overwritten).
    public func backward(input x: Tensor, outputGradient dy: Tensor, inputGradient dx: Tensor?) {
        let n = x.shape[0]
        sgemm(transA: true, m: outFeatures, n: inFeatures, k: n, a: dy.data, b: x.data, beta: 1, c: weightGradient)
        for i in 0..<n { for j in 0..<outFeatures { biasGradient[j] += dy.data[i * outFeatures + j] } }
        if let dx {
            dx.reshape(x.shape)
            sgemm(m: n, n: inFeatures, k: outFeatures, a: dy.data, b: weight, c: dx.data)
        }
    }
}
