/// Which algorithm computes a convolution. All give the same result up to float32 rounding.
public enum ConvolutionAlgorithm: Sendable, Hashable {
    /// The fastest correct choice for the shape and, for 3×3/1/1, for each call's batch and map size
    /// (see `ConvolutionKernel.algorithm(batch:height:width:)`).
    case auto
    /// im2col + sgemm: any kernel, stride and padding.
    case im2col
    /// Winograd F(2×2, 3×3): 3×3, stride 1, padding 1 only; 2.25× fewer multiplies, float32-exact-ish.
    case winograd2x2
    /// Winograd F(4×4, 3×3): 3×3, stride 1, padding 1 only; 4× fewer multiplies, ~10× the rounding error.
    case winograd4x4
}

/// The convolution a `Conv2d` layer calls: NCHW activations, (K, C, kh, kw) filters, no bias, raw pointers.
/// Stateless between calls (the backward recomputes what it needs from x), with all scratch taken from a
/// shared `ConvolutionWorkspace`, so a model holds no per-layer buffers. Batch and spatial size may change
/// from call to call. Not reentrant on one workspace: run convolutions sharing a workspace one at a time.
public final class ConvolutionKernel {
    public let shape: ConvolutionShape
    /// The algorithm asked for; `.auto` only for Winograd-compatible shapes, where each call picks
    /// (`algorithm(batch:height:width:)`).
    public let algorithm: ConvolutionAlgorithm
    public let workspace: ConvolutionWorkspace

    /// Target for the floats of transformed Winograd tiles (V and M) held at once; larger batches are done
    /// in image groups of at least 512 tiles. 1 Mi floats (4 MiB) keeps them in the caches between the
    /// phases, which measured ≈ 1.5× faster at layer1 than whole-batch (8 Mi floats) groups, and bounds the
    /// workspace. (Tests lower it to exercise the grouping.)
    nonisolated(unsafe) public static var winogradTransformBudget: Int = 1 << 20

    public init(shape: ConvolutionShape, algorithm: ConvolutionAlgorithm = .auto, workspace: ConvolutionWorkspace = .shared) {
        let resolved = Self.resolve(algorithm, for: shape)
        precondition(
            resolved == .im2col || resolved == .auto || shape.isWinogradCompatible,
            "Winograd F(m×m,3×3) needs a 3×3 stride-1 padding-1 convolution, got \(shape)")
        self.shape = shape
        self.algorithm = resolved
        self.workspace = workspace
    }

    /// What `.auto` means for a shape: im2col when Winograd does not apply (the 7×7 stem, the stride-2
    /// 3×3s, the 1×1 shortcuts); otherwise it stays `.auto` and the choice is made per call, because it
    /// depends on the batch and map size (see `algorithm(batch:height:width:)`).
    public static func resolve(_ algorithm: ConvolutionAlgorithm, for shape: ConvolutionShape) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        return shape.isWinogradCompatible ? .auto : .im2col
    }

    /// Whether `.auto` may pick F(4×4, 3×3). Off by default: on the whole recipe network in training mode
    /// its float32 gradients drift about twice as far from float64 as PyTorch's own float32 does
    /// (ModelParityTests, width 64), while F(2×2) stays level with PyTorch. F(4×4) saves another ≈ 15 % of
    /// the convolution time (ConvolutionBenchmarkTests); turn this on where that accuracy is acceptable.
    nonisolated(unsafe) public static var autoAllowsWinograd4x4 = false

    /// The algorithm a call with this batch and input size runs (never `.auto`).
    ///
    /// A cost model fitted to single-core measurements (ConvolutionBenchmarkTests, batch 1 and 32):
    /// Winograd F(m×m) costs α²·K·C·(P + 100) multiply-adds at ≈ 150 GFLOP/s, P being the tiles of the
    /// whole batch and the 100 columns standing for the filter transform and the thin-GEMM overhead that
    /// do not shrink with the batch; im2col costs 9·K·C·(N·H·W) at ≈ 95 GFLOP/s. So Winograd for the large
    /// maps and batches (F(4×4) where allowed, except where its GEMMs get thin: layer4, 4×7, at batch 32),
    /// and im2col at batch 1 on the small maps (layer3/4), where the filter transform would outweigh the
    /// convolution itself.
    public func algorithm(batch: Int, height: Int, width: Int) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        let n = Double(batch)
        func tiles(_ m: Int) -> Double { n * Double(((height + m - 1) / m) * ((width + m - 1) / m)) }
        let f4 = Self.autoAllowsWinograd4x4 ? 36 * (tiles(4) + 100) / 150 : .infinity
        let f2 = 16 * (tiles(2) + 100) / 150
        let direct = 9 * n * Double(height * width) / 95
        if direct <= min(f4, f2) { return .im2col }
        return f4 < f2 ? .winograd4x4 : .winograd2x2
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), y is (N,K,OH,OW), overwritten
    public func forward(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let (oh, ow) = shape.outputSize(height: height, width: width)
        guard batch > 0, oh > 0, ow > 0 else { return }
        switch algorithm(batch: batch, height: height, width: width) {
        case .winograd2x2:
            WinogradConvolution<WinogradF2>(shape: shape, workspace: workspace)
                .forward(batch: batch, height: height, width: width, input: input, weight: weight, output: output)
        case .winograd4x4:
            WinogradConvolution<WinogradF4>(shape: shape, workspace: workspace)
                .forward(batch: batch, height: height, width: width, input: input, weight: weight, output: output)
        case .im2col, .auto:
            Im2colConvolution(shape: shape, workspace: workspace)
                .forward(batch: batch, height: height, width: width, input: input, weight: weight, output: output)
        }
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), dy is (N,K,OH,OW);
    // dx (N,C,H,W) is OVERWRITTEN with dL/dx (nil: not needed), dw (K,C,kh,kw) is ACCUMULATED (+=)
    public func backward(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>
    ) {
        run(batch: batch, height: height, width: width, input: input, weight: weight, outputGradient: outputGradient,
            inputGradient: inputGradient, weightGradient: weightGradient)
    }

    /// The input-gradient half of `backward` alone: dx (N,C,H,W) OVERWRITTEN (for frozen filters, benchmarks).
    public func inputGradient(
        batch: Int, height: Int, width: Int,
        weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>
    ) {
        // The input is not read when only dx is wanted; any valid pointer will do.
        run(batch: batch, height: height, width: width, input: weight, weight: weight, outputGradient: outputGradient,
            inputGradient: inputGradient, weightGradient: nil)
    }

    /// The weight-gradient half of `backward` alone: dw (K,C,kh,kw) += dL/dw.
    public func accumulateWeightGradient(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>
    ) {
        run(batch: batch, height: height, width: width, input: input, weight: input, outputGradient: outputGradient,
            inputGradient: nil, weightGradient: weightGradient)
    }

    private func run(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>?
    ) {
        guard batch > 0, height > 0, width > 0 else { return }
        switch algorithm(batch: batch, height: height, width: width) {
        case .winograd2x2:
            WinogradConvolution<WinogradF2>(shape: shape, workspace: workspace).backward(
                batch: batch, height: height, width: width, input: input, weight: weight,
                outputGradient: outputGradient, inputGradient: inputGradient, weightGradient: weightGradient)
        case .winograd4x4:
            WinogradConvolution<WinogradF4>(shape: shape, workspace: workspace).backward(
                batch: batch, height: height, width: width, input: input, weight: weight,
                outputGradient: outputGradient, inputGradient: inputGradient, weightGradient: weightGradient)
        case .im2col, .auto:
            Im2colConvolution(shape: shape, workspace: workspace).backward(
                batch: batch, height: height, width: width, input: input, weight: weight,
                outputGradient: outputGradient, inputGradient: inputGradient, weightGradient: weightGradient)
        }
    }
}
