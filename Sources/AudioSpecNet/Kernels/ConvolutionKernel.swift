/// Which algorithm computes a convolution. All give the same result up to float32 rounding.
public enum ConvolutionAlgorithm: Sendable, Hashable {
    /// The fastest correct choice for the shape and, for 3×3/1/1, for each call's batch and map size and
    /// pass (see `ConvolutionKernel.algorithm(batch:height:width:backward:)`).
    case auto
    /// im2col + sgemm: any kernel, stride and padding.
    case im2col
    /// Winograd F(2×2, 3×3): 3×3, stride 1, padding 1 only; 2.25× fewer multiplies, float32-exact-ish.
    case winograd2x2
    /// Winograd F(4×4, 3×3): 3×3, stride 1, padding 1 only; 4× fewer multiplies, ≈ 3× F(2×2)'s rounding error.
    case winograd4x4
}

/// The convolution a `Conv2d` layer calls: NCHW activations, (K, C, kh, kw) filters, no bias, raw pointers.
/// Stateless between calls (the backward recomputes what it needs from x), with all scratch taken from a
/// shared `ConvolutionWorkspace`, so a model holds no per-layer buffers. Batch and spatial size may change
/// from call to call. Not reentrant on one workspace: run convolutions sharing a workspace one at a time.
public final class ConvolutionKernel {
    public let shape: ConvolutionShape
    /// The algorithm asked for; `.auto` only for Winograd-compatible shapes, where each call picks
    /// (`algorithm(batch:height:width:backward:)`).
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
    /// depends on the batch, map size and pass (see `algorithm(batch:height:width:backward:)`).
    public static func resolve(_ algorithm: ConvolutionAlgorithm, for shape: ConvolutionShape) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        return shape.isWinogradCompatible ? .auto : .im2col
    }

    /// Whether `.auto` may pick F(4×4, 3×3) for the forward pass. Off by default, for accuracy in
    /// training: on the whole recipe network in training mode at batch 2 (ModelParityTests, width 64),
    /// BatchNorm's backward amplifies the forward's rounding into the gradients by about 10⁴. With F(4×4)
    /// for every 3×3/1 forward, Swift's worst gradient error is 0.120 against PyTorch float32's own 0.066
    /// on the same case (F(2×2): 0.078), over the test's 1.5× bar, even with the better-conditioned points
    /// of `WinogradF4` (the textbook ones: 0.122), whose forward error is still ≈ 3× F(2×2)'s; with F(4×4)
    /// at layer1 only (what this switch picks at batch 2) 0.092, at layer1–2 0.074: a draw that F(4×4)
    /// makes wider, not a margin to rely on. Turning it on saves another ≈ 6 % of a training step's
    /// convolutions (batch 32, one core: ≈ 2670 ms instead of ≈ 2850–2940); do so where that accuracy is
    /// acceptable (evaluation mode has no such amplification: its logits stay within 4e-7 of PyTorch's).
    nonisolated(unsafe) public static var autoAllowsWinograd4x4 = false

    /// Whether `.auto` may pick F(4×4, 3×3) for the input- and weight-gradient passes. On by default:
    /// their rounding is not amplified (it enters the gradients linearly), and with F(4×4) in both backward
    /// passes the recipe network's gradients are as close to float64 as with F(2×2) (ModelParityTests,
    /// width 64: worst 0.078 either way, also with F(4×4) forced for every 3×3/1 backward). The backward
    /// being two thirds of the convolutions, this takes a training step's from ≈ 3150 ms (F(2×2)) to
    /// ≈ 2850–2940 ms (ConvolutionBenchmarkTests, batch 32, one core, CPU time).
    nonisolated(unsafe) public static var autoAllowsWinograd4x4InBackward = true

    /// Whether `.auto` may pick F(4×4, 3×3) for an evaluation-mode forward (inference, validation). On by
    /// default: with running statistics nothing amplifies the forward's rounding (ModelParityTests' eval
    /// logits stay within 4e-7 of PyTorch's float64 with F(4×4) everywhere), and batch-1 inference is where
    /// the transform's savings matter most for latency.
    nonisolated(unsafe) public static var autoAllowsWinograd4x4InEvaluation = true

    /// The algorithm a call with this batch and input size runs (never `.auto`); `backward` for the input-
    /// and weight-gradient passes, which may use F(4×4) under different terms (`autoAllowsWinograd4x4InBackward`).
    ///
    /// A cost model fitted to single-core measurements (ConvolutionBenchmarkTests, batch 1 and 32):
    /// Winograd F(m×m) costs α²·K·C·(P + 100) multiply-adds at ≈ 150 GFLOP/s, P being the tiles of the
    /// whole batch and the 100 columns standing for the filter transform and the thin-GEMM overhead that
    /// do not shrink with the batch; im2col costs 9·K·C·(N·H·W) at ≈ 95 GFLOP/s. So Winograd for the large
    /// maps and batches (F(4×4) where allowed, except where its GEMMs get thin: layer4, 4×7, at batch 32),
    /// and im2col at batch 1 on the small maps (layer3/4), where the filter transform would outweigh the
    /// convolution itself.
    public func algorithm(batch: Int, height: Int, width: Int, backward: Bool = false, evaluation: Bool = false) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        let n = Double(batch)
        func tiles(_ m: Int) -> Double { n * Double(((height + m - 1) / m) * ((width + m - 1) / m)) }
        let allowsF4 = Self.autoAllowsWinograd4x4 || (backward && Self.autoAllowsWinograd4x4InBackward)
            || (evaluation && !backward && Self.autoAllowsWinograd4x4InEvaluation)
        let f4 = allowsF4 ? 36 * (tiles(4) + 100) / 150 : .infinity
        let f2 = 16 * (tiles(2) + 100) / 150
        let direct = 9 * n * Double(height * width) / 95
        if direct <= min(f4, f2) { return .im2col }
        return f4 < f2 ? .winograd4x4 : .winograd2x2
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), y is (N,K,OH,OW), overwritten. `evaluation`: a forward whose
    // result no backward will differentiate (see autoAllowsWinograd4x4InEvaluation).
    public func forward(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        evaluation: Bool = false
    ) {
        let (oh, ow) = shape.outputSize(height: height, width: width)
        guard batch > 0, oh > 0, ow > 0 else { return }
        switch algorithm(batch: batch, height: height, width: width, evaluation: evaluation) {
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
        switch algorithm(batch: batch, height: height, width: width, backward: true) {
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
