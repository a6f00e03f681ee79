import Foundation

/// BatchNorm2d exactly as PyTorch: training normalises with the batch's biased variance and moves the
/// running statistics by momentum 0.1 using the unbiased variance; evaluation uses the running ones.
/// The ReLU that follows most BatchNorms can be fused: one pass over memory instead of two.
public final class BatchNorm2d {
    public let channels: Int
    public let momentum: Float = 0.1
    public let epsilon: Float = 1e-5
    let weight, bias, weightGradient, biasGradient, runningMean, runningVar: UnsafeMutablePointer<Float>
    let arena: ParameterArena
    let counter: Int
    /// Per-channel mean and 1/σ used by the last forward (batch or running statistics).
    private(set) var mean: [Float]
    private(set) var invStd: [Float]
    private var trainedForward = false

    public init(arena: ParameterArena, name: String, channels: Int) {
        self.channels = channels
        self.arena = arena
        weight = arena.pointer("\(name).weight")
        bias = arena.pointer("\(name).bias")
        weightGradient = arena.gradient("\(name).weight")
        biasGradient = arena.gradient("\(name).bias")
        runningMean = arena.pointer("\(name).running_mean")
        runningVar = arena.pointer("\(name).running_var")
        counter = arena.counterIndex("\(name).num_batches_tracked")
        mean = Array(repeating: 0, count: channels)
        invStd = Array(repeating: 1, count: channels)
    }

    /// Sets γ = 1, β = 0, running mean 0, running var 1: PyTorch's initial state.
    public func resetToDefaults() {
        weight.update(repeating: 1, count: channels)
        bias.update(repeating: 0, count: channels)
        runningMean.update(repeating: 0, count: channels)
        runningVar.update(repeating: 1, count: channels)
        arena.counters[counter] = 0
    }

    // x is (N,C,H,W). x is OVERWRITTEN with the normalised x̂ that backward needs (the conv output it came
    // from is not needed again); y = γ·x̂ + β, then max(·, 0) when `relu`.
    public func forward(_ x: Tensor, output y: Tensor, training: Bool, relu: Bool, context: ComputeContext) {
        context.measure("batchnorm\(relu ? "+relu" : "") forward") {
            forwardUnprofiled(x, output: y, training: training, relu: relu, parallel: context.parallel)
        }
    }

    private func forwardUnprofiled(_ x: Tensor, output y: Tensor, training: Bool, relu: Bool, parallel: Parallel) {
        y.reshape(x.shape)
        let n = x.shape[0], c = channels, plane = x.count / (n * c)
        let m = n * plane
        trainedForward = training
        let xp = x.data, yp = y.data
        mean.withUnsafeMutableBufferPointer { meanP in
        invStd.withUnsafeMutableBufferPointer { invP in
            let meanB = meanP.baseAddress!, invB = invP.baseAddress!
            parallel.chunks(c) { channels, _ in
                for ch in channels {
                    var mu: Float, inv: Float
                    if training {
                        // Two passes (mean, then squared deviations): one-pass E[x²] − E[x]² cancels badly
                        // on dB-scale inputs. Per-plane SIMD sums, accumulated across planes in Double.
                        var sum = 0.0
                        for b in 0..<n { sum += Double(VectorReductions.sum(xp + (b * c + ch) * plane, plane)) }
                        let meanD = sum / Double(m)
                        var sq = 0.0
                        for b in 0..<n { sq += Double(VectorReductions.sumSquaredDeviations(xp + (b * c + ch) * plane, plane, mean: Float(meanD))) }
                        let variance = sq / Double(m)
                        mu = Float(meanD)
                        inv = Float(1 / (variance + Double(epsilon)).squareRoot())
                        let unbiased = m > 1 ? variance * Double(m) / Double(m - 1) : variance
                        runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * Float(meanD)
                        runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
                    } else {
                        mu = runningMean[ch]
                        inv = 1 / (runningVar[ch] + epsilon).squareRoot()
                    }
                    meanB[ch] = mu
                    invB[ch] = inv
                    let g = weight[ch], be = bias[ch]
                    for b in 0..<n {
                        let p = xp + (b * c + ch) * plane, q = yp + (b * c + ch) * plane
                        if relu {
                            for i in 0..<plane { let h = (p[i] - mu) * inv; p[i] = h; q[i] = max(g * h + be, 0) }
                        } else {
                            for i in 0..<plane { let h = (p[i] - mu) * inv; p[i] = h; q[i] = g * h + be }
                        }
                    }
                }
            }
        } }
        if training { arena.counters[counter] += 1 }
    }

    // dy is (N,C,H,W); when `relu`, it is first masked by y > 0 (y is the fused output). dγ and dβ
    // accumulate; dx (may be dy itself) is overwritten. In training mode the batch statistics depend on x:
    // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)); in evaluation mode dx = γ/σ · dy.
    public func backward(outputGradient dy: Tensor, output y: Tensor, normalized xhat: Tensor, relu: Bool, inputGradient dx: Tensor,
                         context: ComputeContext) {
        context.measure("batchnorm\(relu ? "+relu" : "") backward") {
            backwardUnprofiled(outputGradient: dy, output: y, normalized: xhat, relu: relu, inputGradient: dx, parallel: context.parallel)
        }
    }

    private func backwardUnprofiled(outputGradient dy: Tensor, output y: Tensor, normalized xhat: Tensor, relu: Bool, inputGradient dx: Tensor,
                                    parallel: Parallel) {
        dx.reshape(dy.shape)
        let n = dy.shape[0], c = channels, plane = dy.count / (n * c)
        let m = Float(n * plane)
        let dyp = dy.data, yp = y.data, hp = xhat.data, dxp = dx.data
        let training = trainedForward
        invStd.withUnsafeBufferPointer { invP in
            let invB = invP.baseAddress!
            parallel.chunks(c) { channels, _ in
                for ch in channels {
                    var sumDy = 0.0, sumDyH = 0.0
                    for b in 0..<n {
                        let o = (b * c + ch) * plane
                        let d = dyp + o, h = hp + o
                        if relu { let q = yp + o; for i in 0..<plane { d[i] = q[i] > 0 ? d[i] : 0 } }
                        sumDy += Double(VectorReductions.sum(d, plane))
                        sumDyH += Double(VectorReductions.dot(d, h, plane))
                    }
                    weightGradient[ch] += Float(sumDyH)
                    biasGradient[ch] += Float(sumDy)
                    let scale = weight[ch] * invB[ch]
                    let meanDy = Float(sumDy) / m, meanDyH = Float(sumDyH) / m
                    for b in 0..<n {
                        let o = (b * c + ch) * plane
                        let d = dyp + o, h = hp + o, out = dxp + o
                        if training {
                            for i in 0..<plane { out[i] = scale * (d[i] - meanDy - h[i] * meanDyH) }
                        } else {
                            for i in 0..<plane { out[i] = scale * d[i] }
                        }
                    }
                }
            }
        }
    }
}
