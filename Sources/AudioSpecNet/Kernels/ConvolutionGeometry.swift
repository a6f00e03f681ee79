/// The static geometry of one convolution layer: channels, kernel, stride, padding. Spatial size and batch
/// are per call (the last batch of an epoch is smaller, inference runs at batch 1).
public struct ConvolutionShape: Hashable, Sendable {
    public var inChannels: Int
    public var outChannels: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideH: Int
    public var strideW: Int
    public var padH: Int
    public var padW: Int

    public init(
        inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
        strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernelHeight > 0 && kernelWidth > 0)
        precondition(strideH > 0 && strideW > 0 && padH >= 0 && padW >= 0)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
    }

    /// Square kernel, equal stride and padding on both axes (every conv of the AudioCNN).
    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.init(
            inChannels: inChannels, outChannels: outChannels, kernelHeight: kernel, kernelWidth: kernel,
            strideH: stride, strideW: stride, padH: padding, padW: padding)
    }

    /// PyTorch's floor((H + 2p − k) / s) + 1; zero (or less, clamped to 0) when the kernel does not fit.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let oh = height + 2 * padH - kernelHeight
        let ow = width + 2 * padW - kernelWidth
        return (oh < 0 ? 0 : oh / strideH + 1, ow < 0 ? 0 : ow / strideW + 1)
    }

    /// Multiply-adds of the direct convolution for one image, the work every algorithm is measured against.
    public func multiplyAdds(height: Int, width: Int) -> Int {
        let o = outputSize(height: height, width: width)
        return o.height * o.width * outChannels * inChannels * kernelHeight * kernelWidth
    }

    /// The 3×3, stride-1, padding-1 convolutions that Winograd F(m×m, 3×3) computes.
    public var isWinogradCompatible: Bool {
        kernelHeight == 3 && kernelWidth == 3 && strideH == 1 && strideW == 1 && padH == 1 && padW == 1
    }

    /// 1×1 without padding: a plain matrix product (after a strided gather when the stride is not 1).
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && padH == 0 && padW == 0 }

    public var weightCount: Int { outChannels * inChannels * kernelHeight * kernelWidth }
}
