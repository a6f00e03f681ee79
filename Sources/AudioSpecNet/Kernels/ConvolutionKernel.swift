/// Which algorithm computes a convolution. All give the same result up to float32 rounding.
public enum ConvolutionAlgorithm: Sendable, Hashable {
    /// The fastest correct choice for the shape (see `ConvolutionKernel.resolve`).
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
    /// The algorithm actually used (never `.auto`).
    public let algorithm: ConvolutionAlgorithm
    public let workspace: ConvolutionWorkspace

    /// Upper bound on the floats of transformed Winograd tiles (V and M) held at once; larger batches are
    /// done in image groups. 8 Mi floats = 32 MiB keeps the whole model's peak memory in budget and the
    /// GEMM operands near the caches, while leaving each GEMM hundreds of columns. (Tests lower it to
    /// exercise the grouping.)
    nonisolated(unsafe) public static var winogradTransformBudget: Int = 8 << 20

    public init(shape: ConvolutionShape, algorithm: ConvolutionAlgorithm = .auto, workspace: ConvolutionWorkspace = .shared) {
        let resolved = Self.resolve(algorithm, for: shape)
        precondition(
            resolved == .im2col || shape.isWinogradCompatible,
            "Winograd F(m×m,3×3) needs a 3×3 stride-1 padding-1 convolution, got \(shape)")
        self.shape = shape
        self.algorithm = resolved
        self.workspace = workspace
    }

    /// `.auto`: Winograd F(2×2, 3×3) for every 3×3/1/1 convolution, im2col for everything else (the 7×7
    /// stem, the stride-2 3×3s, the 1×1 shortcuts). F(4×4) has 1.8× fewer multiplies again, but on the
    /// whole recipe network in training mode its float32 gradients drift twice as far from float64 as
    /// PyTorch's own float32 does (ModelParityTests, width 64), while F(2×2) stays level with PyTorch.
    public static func resolve(_ algorithm: ConvolutionAlgorithm, for shape: ConvolutionShape) -> ConvolutionAlgorithm {
        guard algorithm == .auto else { return algorithm }
        return shape.isWinogradCompatible ? .winograd2x2 : .im2col
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), y is (N,K,OH,OW), overwritten
    public func forward(
        batch: Int, height: Int, width: Int,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let (oh, ow) = shape.outputSize(height: height, width: width)
        guard batch > 0, oh > 0, ow > 0 else { return }
        switch algorithm {
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
        guard batch > 0, height > 0, width > 0 else { return }
        switch algorithm {
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
