/// A 2-D convolution without bias (every conv of the recipe is followed by BatchNorm, which has its own
/// shift). The arithmetic lives in `ConvolutionKernel`, which picks im2col or Winograd for the shape.
public final class Conv2d {
    public let shape: ConvolutionShape
    public let weightGradient: UnsafeMutablePointer<Float>
    let kernel: ConvolutionKernel
    private let arena: ParameterArena
    /// `\(name).weight` in the arena, read by the passes (writers go through `weight`).
    private let filters: UnsafePointer<Float>
    /// The transformed filters evaluation forwards reuse while the arena's `parameterVersion` holds.
    public let transformedFilters = TransformedFilterCache()

    /// Binds to `\(name).weight` [outChannels, inChannels, k, k] in the arena.
    public init(arena: ParameterArena, name: String, inChannels: Int, outChannels: Int, kernel k: Int, stride: Int, padding: Int,
                algorithm: ConvolutionAlgorithm = .auto) {
        shape = ConvolutionShape(inChannels: inChannels, outChannels: outChannels, kernelHeight: k, kernelWidth: k,
                                 strideH: stride, strideW: stride, padH: padding, padW: padding)
        self.arena = arena
        filters = arena.values(pointer: "\(name).weight")
        weightGradient = arena.gradient("\(name).weight")
        kernel = ConvolutionKernel(shape: shape, algorithm: algorithm)
    }

    /// The weights [outChannels, inChannels, k, k], for writing: a change of the arena's parameters (see
    /// `ParameterArena.parameterVersion`), which retires the transformed filters.
    public var weight: UnsafeMutablePointer<Float> {
        arena.parametersChanged()
        return UnsafeMutablePointer(mutating: filters)
    }

    public func outputShape(for x: Tensor) -> [Int] {
        let (oh, ow) = shape.outputSize(height: x.shape[2], width: x.shape[3])
        return [x.shape[0], shape.outChannels, oh, ow]
    }

    // x is (N,C,H,W), y is (N,K,OH,OW) and is overwritten. `training: false` lets the kernel use the
    // faster F(4×4) transform, whose rounding only a training backward would amplify.
    public func forward(_ x: Tensor, into y: Tensor, training: Bool = true, context: ComputeContext) {
        y.reshape(outputShape(for: x))
        context.measure(profileName(x, training ? "forward" : "eval " + algorithmName(x, context)), flops: flops(y)) {
            kernel.forward(batch: x.shape[0], height: x.shape[2], width: x.shape[3], input: x.data, weight: filters, output: y.data,
                           evaluation: !training, filters: FilterCacheKey(cache: transformedFilters, version: arena.parameterVersion),
                           context: context)
        }
    }

    // dy is (N,K,OH,OW); dW += ∂L/∂W; dx (when given) is overwritten with ∂L/∂x.
    public func backward(input x: Tensor, outputGradient dy: Tensor, inputGradient dx: Tensor?, context: ComputeContext) {
        dx?.reshape(x.shape)
        context.measure(profileName(x, "backward"), flops: flops(dy) * (dx == nil ? 1 : 2)) {
            kernel.backward(batch: x.shape[0], height: x.shape[2], width: x.shape[3], input: x.data, weight: filters,
                            outputGradient: dy.data, inputGradient: dx?.data, weightGradient: weightGradient, context: context)
        }
    }

    /// Multiply-adds of the direct convolution ×2: the FLOP count GFLOP/s figures are quoted against.
    func flops(_ y: Tensor) -> Double {
        2 * Double(y.count) * Double(shape.inChannels * shape.kernelHeight * shape.kernelWidth)
    }

    /// The algorithm an evaluation forward of x runs, for the profile's names.
    func algorithmName(_ x: Tensor, _ context: ComputeContext) -> String {
        switch kernel.forwardAlgorithm(batch: x.shape[0], height: x.shape[2], width: x.shape[3], evaluation: true,
                                       cachesFilters: true, policy: context.convolution) {
        case .winograd2x2: "F(2×2)"
        case .winograd4x4: "F(4×4)"
        case .im2col, .auto: "im2col"
        }
    }

    func profileName(_ x: Tensor, _ pass: String) -> String {
        "conv \(shape.kernelHeight)x\(shape.kernelWidth)/\(shape.strideH) \(shape.inChannels)→\(shape.outChannels) @\(x.shape[2])x\(x.shape[3]) \(pass)"
    }
}
