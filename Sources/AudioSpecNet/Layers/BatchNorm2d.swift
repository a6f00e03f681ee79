import Foundation

/// BatchNorm2d exactly as PyTorch: training normalises with the batch's biased variance and moves the
/// running statistics by momentum 0.1 using the unbiased variance; evaluation uses the running ones.
/// `momentum = nil` is PyTorch's `momentum=None`: a cumulative average, factor 1/num_batches_tracked.
/// The ReLU that follows most BatchNorms can be fused: one pass over memory instead of two.
public final class BatchNorm2d {
    public let channels: Int
    /// nil: the running statistics are the plain mean over the training forwards since the last reset
    /// (what `torch.optim.swa_utils.update_bn` sets to recompute them).
    public var momentum: Float? = 0.1
    public let epsilon: Float = 1e-5
    let weight, bias, weightGradient, biasGradient, runningMean, runningVar: UnsafeMutablePointer<Float>
    let arena: ParameterArena
    let counter: Int
    /// Per-channel mean and 1/σ used by the last forward (batch or running statistics).
    private(set) var mean: [Float]
    private(set) var invStd: [Float]
    private var trainedForward = false
    /// `--sync-bn` in a data-parallel run: sums per-channel figures over the ranks, in place (every rank calls
    /// it at the same layers in the same order). With it a training forward normalises with the statistics of
    /// all ranks' clips and the backward uses all ranks' sums of dy and dy·x̂ — N ranks × B/N clips then equal
    /// one process × B up to rounding. nil: this rank's batch alone (DDP's default). Each reduction is a step
    /// of its own between the per-channel sums and their use.
    public var reduceAcrossRanks: ((UnsafeMutablePointer<Double>, Int) -> Void)?
    /// With `reduceAcrossRanks`: whether this rank adds the reduced sums of dy and dy·x̂ to γ's and β's
    /// gradients (rank 0 alone: the other ranks add nothing, and the gradient arena's sum is then the global
    /// double-precision sum rounded once to float, as one process rounds it, rather than N rounded parts).
    public var addsReducedGradients = true
    /// The number of values each channel's statistics were taken over in the last training forward (all ranks').
    private var statisticsCount = 0

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

    /// PyTorch's `reset_running_stats`: running mean 0, running var 1, no batches tracked; γ and β kept.
    public func resetRunningStatistics() {
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
        let synced = training ? reduceAcrossRanks.map { syncedStatistics(x, reduce: $0, parallel: parallel) } : nil
        statisticsCount = synced?.count ?? m
        // momentum nil: PyTorch counts this batch first, then moves by 1/count in double (as its CPU kernel)
        let cumulative = momentum == nil ? 1 / Double(arena.counters[counter] + 1) : nil
        mean.withUnsafeMutableBufferPointer { meanP in
        invStd.withUnsafeMutableBufferPointer { invP in
            let meanB = meanP.baseAddress!, invB = invP.baseAddress!
            parallel.chunks(c) { channels, _ in
                for ch in channels {
                    var mu: Float, inv: Float
                    if training {
                        let meanD: Double, variance: Double, counted = synced?.count ?? m
                        if let synced {
                            (meanD, variance) = (synced.mean[ch], synced.variance[ch])
                        } else {
                            // Two passes (mean, then squared deviations): one-pass E[x²] − E[x]² cancels badly
                            // on dB-scale inputs. Per-plane SIMD sums, accumulated across planes in Double.
                            var sum = 0.0
                            for b in 0..<n { sum += Double(VectorReductions.sum(xp + (b * c + ch) * plane, plane)) }
                            meanD = sum / Double(m)
                            var sq = 0.0
                            for b in 0..<n { sq += Double(VectorReductions.sumSquaredDeviations(xp + (b * c + ch) * plane, plane, mean: Float(meanD))) }
                            variance = sq / Double(m)
                        }
                        mu = Float(meanD)
                        inv = Float(1 / (variance + Double(epsilon)).squareRoot())
                        let unbiased = counted > 1 ? variance * Double(counted) / Double(counted - 1) : variance
                        if let momentum {
                            runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * Float(meanD)
                            runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
                        } else if let f = cumulative {
                            runningMean[ch] = Float(f * meanD + (1 - f) * Double(runningMean[ch]))
                            runningVar[ch] = Float(f * unbiased + (1 - f) * Double(runningVar[ch]))
                        }
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

    /// Inference: evaluation mode with no backward to follow. y = γ·(x − μ)/σ + β with the running statistics,
    /// plus `residual` (the block's shortcut) when given, then max(·, 0) when `relu`: the same floats as
    /// `forward(training: false)` followed by `Elementwise.add`, in one pass that reads x (and the residual)
    /// and writes y alone. x is left as it was: no x̂ is stored, since nothing will differentiate this pass.
    public func inferenceForward(_ x: Tensor, output y: Tensor, residual: Tensor? = nil, relu: Bool, context: ComputeContext) {
        precondition(residual.map { $0.shape == x.shape } ?? true, "BatchNorm2d: residual \(residual!.shape) vs \(x.shape)")
        context.measure("batchnorm\(residual == nil ? "" : "+add")\(relu ? "+relu" : "") inference") {
            y.reshape(x.shape)
            let n = x.shape[0], c = channels, plane = x.count / (n * c)
            let xp = x.data, yp = y.data, rp = residual?.data
            context.parallel.chunks(c) { channels, _ in
                for ch in channels {
                    let mu = runningMean[ch], inv = 1 / (runningVar[ch] + epsilon).squareRoot()
                    let g = weight[ch], be = bias[ch]
                    for b in 0..<n {
                        let o = (b * c + ch) * plane
                        let p = xp + o, q = yp + o
                        switch (rp.map { $0 + o }, relu) {
                        case (let r?, true): for i in 0..<plane { q[i] = max((g * ((p[i] - mu) * inv) + be) + r[i], 0) }
                        case (let r?, false): for i in 0..<plane { q[i] = (g * ((p[i] - mu) * inv) + be) + r[i] }
                        case (nil, true): for i in 0..<plane { q[i] = max(g * ((p[i] - mu) * inv) + be, 0) }
                        case (nil, false): for i in 0..<plane { q[i] = g * ((p[i] - mu) * inv) + be }
                        }
                    }
                }
            }
        }
    }

    /// `--sync-bn`: each channel's mean and biased variance over every rank's clips, the same two passes as
    /// one process (sums, reduced; then squared deviations from the global mean, reduced).
    private func syncedStatistics(_ x: Tensor, reduce: (UnsafeMutablePointer<Double>, Int) -> Void,
                                  parallel: Parallel) -> (mean: [Double], variance: [Double], count: Int) {
        let n = x.shape[0], c = channels, plane = x.count / (n * c), xp = x.data
        var sums = [Double](repeating: 0, count: c + 1)
        sums.withUnsafeMutableBufferPointer { s in
            let sp = s.baseAddress!
            parallel.chunks(c) { channels, _ in
                for ch in channels {
                    var sum = 0.0
                    for b in 0..<n { sum += Double(VectorReductions.sum(xp + (b * c + ch) * plane, plane)) }
                    sp[ch] = sum
                }
            }
            sp[c] = Double(n * plane)
            reduce(sp, c + 1)
        }
        let count = Int(sums[c].rounded())
        let mean = (0..<c).map { sums[$0] / Double(max(1, count)) }
        var squares = [Double](repeating: 0, count: c)
        squares.withUnsafeMutableBufferPointer { q in
            let qp = q.baseAddress!
            parallel.chunks(c) { channels, _ in
                for ch in channels {
                    var sq = 0.0
                    for b in 0..<n { sq += Double(VectorReductions.sumSquaredDeviations(xp + (b * c + ch) * plane, plane, mean: Float(mean[ch]))) }
                    qp[ch] = sq
                }
            }
            reduce(qp, c)
        }
        return (mean, squares.map { $0 / Double(max(1, count)) }, count)
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
        let dyp = dy.data, yp = y.data, hp = xhat.data, dxp = dx.data
        let training = trainedForward
        // all ranks' count with --sync-bn, and then all ranks' sums of dy and dy·x̂ (γ's and β's gradients
        // get them on one rank: the gradient arena's reduction then sums them with zeros)
        let m = Float(training ? statisticsCount : n * plane)
        var global: [Double]? = nil
        if training, let reduce = reduceAcrossRanks {
            var sums = [Double](repeating: 0, count: 2 * c)
            sums.withUnsafeMutableBufferPointer { s in
                let sp = s.baseAddress!
                parallel.chunks(c) { channels, _ in
                    for ch in channels {
                        (sp[ch], sp[c + ch]) = Self.channelSums(ch, dy: dyp, normalized: hp, output: yp, relu: relu, n: n, c: c, plane: plane)
                    }
                }
            }
            sums.withUnsafeMutableBufferPointer { reduce($0.baseAddress!, 2 * c) }
            if addsReducedGradients {
                for ch in 0..<c { weightGradient[ch] += Float(sums[c + ch]); biasGradient[ch] += Float(sums[ch]) }
            }
            global = sums
        }
        invStd.withUnsafeBufferPointer { invP in
            let invB = invP.baseAddress!
            parallel.chunks(c) { channels, _ in
                for ch in channels {
                    var sumDy = 0.0, sumDyH = 0.0
                    if let global {
                        (sumDy, sumDyH) = (global[ch], global[c + ch])
                    } else {
                        (sumDy, sumDyH) = Self.channelSums(ch, dy: dyp, normalized: hp, output: yp, relu: relu, n: n, c: c, plane: plane)
                        weightGradient[ch] += Float(sumDyH)
                        biasGradient[ch] += Float(sumDy)
                    }
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

    /// Channel `ch`'s Σdy and Σdy·x̂ over the batch (in double), masking dy in place by y > 0 first when the
    /// ReLU was fused: the two sums every form of the backward needs, local or reduced over ranks.
    private static func channelSums(_ ch: Int, dy dyp: UnsafeMutablePointer<Float>, normalized hp: UnsafeMutablePointer<Float>,
                                    output yp: UnsafeMutablePointer<Float>, relu: Bool, n: Int, c: Int, plane: Int) -> (Double, Double) {
        var sumDy = 0.0, sumDyH = 0.0
        for b in 0..<n {
            let o = (b * c + ch) * plane
            let d = dyp + o, h = hp + o
            if relu { let q = yp + o; for i in 0..<plane { d[i] = q[i] > 0 ? d[i] : 0 } }
            sumDy += Double(VectorReductions.sum(d, plane))
            sumDyH += Double(VectorReductions.dot(d, h, plane))
        }
        return (sumDy, sumDyH)
    }
}
