/// The convolution a `Conv2d` layer calls: NCHW activations, (K, C, kh, kw) filters, no bias, raw pointers.
/// Stateless between calls (the backward recomputes what it needs from x): threads, scratch memory and the
/// `.auto` policy come from the `ComputeContext` of each call, so a model holds no per-layer buffers and
/// batch and spatial size may change from call to call. Calls sharing a context's workspace run one at a time.
public struct ConvolutionKernel: Sendable {
    public let shape: ConvolutionShape
    /// The algorithm asked for; `.auto` only for Winograd-compatible shapes, where each call picks
    /// (`ConvolutionPolicy.algorithm(batch:height:width:pass:)`).
    public let algorithm: ConvolutionAlgorithm

    public init(shape: ConvolutionShape, algorithm: ConvolutionAlgorithm = .auto) {
        let resolved = Self.resolve(algorithm, for: shape)
        precondition(
            resolved == .im2col || resolved == .auto || shape.isWinogradCompatible,
            "Winograd F(m×m,3×3) needs a 3×3 stride-1 padding-1 convolution, got \(shape)")
        self.shape = shape
        self.algorithm = resolved
    }

    /// What `.auto` means for a shape: im2col when Winograd does not apply (the 7×7 stem, the stride-2
    /// 3×3s, the 1×1 shortcuts); otherwise it stays `.auto` and the choice is made per call, because it
    /// depends on the batch, map size and pass.
    public static func resolve(_ algorithm: ConvolutionAlgorithm, for shape: ConvolutionShape) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        return shape.isWinogradCompatible ? .auto : .im2col
    }

    /// The algorithm a call with this batch, input size and pass runs under `policy` (never `.auto`);
    /// `filtersCached`: an evaluation forward given a filter cache that the policy lets it use.
    public func algorithm(batch: Int, height: Int, width: Int, pass: ConvolutionPolicy.Pass,
                          policy: ConvolutionPolicy = ConvolutionPolicy(), filtersCached: Bool = false) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        return policy.algorithm(batch: batch, height: height, width: width, pass: pass, filtersCached: filtersCached)
    }

    /// The algorithm `forward` runs for this call (never `.auto`): `cachesFilters` is whether it was given a
    /// filter cache, which the policy may let an evaluation forward use. What `bench --layers` prints.
    public func forwardAlgorithm(batch: Int, height: Int, width: Int, evaluation: Bool, cachesFilters: Bool,
                                 policy: ConvolutionPolicy) -> ConvolutionAlgorithm {
        algorithm(batch: batch, height: height, width: width, pass: evaluation ? .evaluationForward : .trainingForward,
                  policy: policy, filtersCached: evaluation && cachesFilters && policy.cachesTransformedFilters(batch: batch))
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), y is (N,K,OH,OW), overwritten. `evaluation`: a forward whose
    // result no backward will differentiate (see ConvolutionPolicy.winograd4x4InEvaluation). `filters`: where
    // an evaluation forward may keep and reuse w's Winograd transform (the layer's cache and the weights'
    // version); the result is the same bits either way.
    public func forward(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        evaluation: Bool = false, filters: FilterCacheKey? = nil, context: ComputeContext
    ) {
        let (oh, ow) = shape.outputSize(height: height, width: width)
        guard batch > 0, oh > 0, ow > 0 else { return }
        let workspace = context.workspace, parallel = context.parallel
        let cache = evaluation && context.convolution.cachesTransformedFilters(batch: batch) ? filters : nil
        func winograd<T: WinogradTile>(_ conv: WinogradConvolution<T>, _ algorithm: ConvolutionAlgorithm) {
            guard let cache else {
                conv.forward(batch: batch, height: height, width: width, input: input, weight: weight, output: output)
                return
            }
            if PackedGEMM.isAvailable {
                let u = cache.cache.filters(algorithm: algorithm, packed: true, version: cache.version, threads: parallel.threads,
                                            count: conv.packedTransformedWeightCount) {
                    conv.transformAndPackWeights(weight, into: $0)
                }
                conv.forward(batch: batch, height: height, width: width, input: input, transformedWeight: u, packed: true, output: output)
                return
            }
            let u = cache.cache.filters(algorithm: algorithm, version: cache.version, threads: parallel.threads,
                                        count: conv.transformedWeightCount) {
                conv.transformWeights(weight, into: $0)
            }
            conv.forward(batch: batch, height: height, width: width, input: input, transformedWeight: u, output: output)
        }
        let budget = context.convolution.winogradTransformBudget
        switch forwardAlgorithm(batch: batch, height: height, width: width, evaluation: evaluation, cachesFilters: filters != nil,
                                policy: context.convolution) {
        case .winograd2x2:
            winograd(WinogradConvolution<WinogradF2>(shape: shape, workspace: workspace, parallel: parallel, transformBudget: budget),
                     .winograd2x2)
        case .winograd4x4:
            winograd(WinogradConvolution<WinogradF4>(shape: shape, workspace: workspace, parallel: parallel, transformBudget: budget),
                     .winograd4x4)
        case .im2col, .auto:
            let conv = Im2colConvolution(shape: shape, workspace: workspace, parallel: parallel)
            if let cache, PackedGEMM.isAvailable {
                let packed = cache.cache.filters(algorithm: .im2col, packed: true, version: cache.version, threads: parallel.threads,
                                                 count: conv.packedWeightCount) {
                    conv.packWeights(weight, into: $0)
                }
                conv.forward(batch: batch, height: height, width: width, input: input, packedWeight: packed, output: output)
            } else {
                conv.forward(batch: batch, height: height, width: width, input: input, weight: weight, output: output)
            }
        }
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), dy is (N,K,OH,OW);
    // dx (N,C,H,W) is OVERWRITTEN with dL/dx (nil: not needed), dw (K,C,kh,kw) is ACCUMULATED (+=)
    public func backward(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>, context: ComputeContext
    ) {
        run(batch: batch, height: height, width: width, input: input, weight: weight, outputGradient: outputGradient,
            inputGradient: inputGradient, weightGradient: weightGradient, context: context)
    }

    /// The input-gradient half of `backward` alone: dx (N,C,H,W) OVERWRITTEN (for frozen filters, benchmarks).
    public func inputGradient(
        batch: Int, height: Int, width: Int,
        weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>,
        context: ComputeContext
    ) {
        // The input is not read when only dx is wanted; any valid pointer will do.
        run(batch: batch, height: height, width: width, input: weight, weight: weight, outputGradient: outputGradient,
            inputGradient: inputGradient, weightGradient: nil, context: context)
    }

    /// The weight-gradient half of `backward` alone: dw (K,C,kh,kw) += dL/dw.
    public func accumulateWeightGradient(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
        context: ComputeContext
    ) {
        run(batch: batch, height: height, width: width, input: input, weight: input, outputGradient: outputGradient,
            inputGradient: nil, weightGradient: weightGradient, context: context)
    }

    private func run(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?, context: ComputeContext
    ) {
        guard batch > 0, height > 0, width > 0 else { return }
        let workspace = context.workspace, parallel = context.parallel
        switch algorithm(batch: batch, height: height, width: width, pass: .backward, policy: context.convolution) {
        case .winograd2x2:
            WinogradConvolution<WinogradF2>(shape: shape, workspace: workspace, parallel: parallel,
                                            transformBudget: context.convolution.winogradTransformBudget).backward(
                batch: batch, height: height, width: width, input: input, weight: weight,
                outputGradient: outputGradient, inputGradient: inputGradient, weightGradient: weightGradient)
        case .winograd4x4:
            WinogradConvolution<WinogradF4>(shape: shape, workspace: workspace, parallel: parallel,
                                            transformBudget: context.convolution.winogradTransformBudget).backward(
                batch: batch, height: height, width: width, input: input, weight: weight,
                outputGradient: outputGradient, inputGradient: inputGradient, weightGradient: weightGradient)
        case .im2col, .auto:
            Im2colConvolution(shape: shape, workspace: workspace, parallel: parallel).backward(
                batch: batch, height: height, width: width, input: input, weight: weight,
                outputGradient: outputGradient, inputGradient: inputGradient, weightGradient: weightGradient)
        }
    }
}
