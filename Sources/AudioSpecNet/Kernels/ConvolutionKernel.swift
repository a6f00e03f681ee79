// TEMPORARY minimal im2col kernel with the agreed API, replaced by the kernels branch on merge.
public struct ConvolutionShape: Hashable, Sendable {
    public var inChannels, outChannels, kernelHeight, kernelWidth, strideH, strideW, padH, padW: Int
    public init(inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int, strideH: Int, strideW: Int, padH: Int, padW: Int) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideH = strideH; self.strideW = strideW; self.padH = padH; self.padW = padW
    }
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padH - kernelHeight) / strideH + 1, (width + 2 * padW - kernelWidth) / strideW + 1)
    }
}
public enum ConvolutionAlgorithm { case auto, im2col, winograd2x2, winograd4x4 }
public final class ConvolutionKernel {
    let shape: ConvolutionShape
    public init(shape: ConvolutionShape, algorithm: ConvolutionAlgorithm = .auto) { self.shape = shape }
    private func im2col(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int, _ col: UnsafeMutablePointer<Float>) {
        let s = shape; let (oh, ow) = s.outputSize(height: h, width: w)
        var r = 0
        for c in 0..<s.inChannels { for kh in 0..<s.kernelHeight { for kw in 0..<s.kernelWidth {
            for y in 0..<oh { for xo in 0..<ow {
                let iy = y * s.strideH - s.padH + kh, ix = xo * s.strideW - s.padW + kw
                col[r * oh * ow + y * ow + xo] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x[(c * h + iy) * w + ix] : 0
            } }
            r += 1
        } } }
    }
    private func col2im(_ col: UnsafePointer<Float>, _ h: Int, _ w: Int, _ x: UnsafeMutablePointer<Float>) {
        let s = shape; let (oh, ow) = s.outputSize(height: h, width: w)
        x.update(repeating: 0, count: s.inChannels * h * w)
        var r = 0
        for c in 0..<s.inChannels { for kh in 0..<s.kernelHeight { for kw in 0..<s.kernelWidth {
            for y in 0..<oh { for xo in 0..<ow {
                let iy = y * s.strideH - s.padH + kh, ix = xo * s.strideW - s.padW + kw
                if iy >= 0 && iy < h && ix >= 0 && ix < w { x[(c * h + iy) * w + ix] += col[r * oh * ow + y * ow + xo] }
            } }
            r += 1
        } } }
    }
    public func forward(batch: Int, height: Int, width: Int, input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let s = shape; let (oh, ow) = s.outputSize(height: height, width: width)
        let k = s.inChannels * s.kernelHeight * s.kernelWidth, p = oh * ow
        let col = UnsafeMutablePointer<Float>.allocate(capacity: k * p); defer { col.deallocate() }
        for n in 0..<batch {
            im2col(input + n * s.inChannels * height * width, height, width, col)
            sgemm(m: s.outChannels, n: p, k: k, a: weight, b: col, c: output + n * s.outChannels * p)
        }
    }
    public func backward(batch: Int, height: Int, width: Int, input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>) {
        let s = shape; let (oh, ow) = s.outputSize(height: height, width: width)
        let k = s.inChannels * s.kernelHeight * s.kernelWidth, p = oh * ow
        let col = UnsafeMutablePointer<Float>.allocate(capacity: k * p); defer { col.deallocate() }
        for n in 0..<batch {
            let dy = outputGradient + n * s.outChannels * p
            im2col(input + n * s.inChannels * height * width, height, width, col)
            sgemm(transB: true, m: s.outChannels, n: k, k: p, a: dy, b: col, beta: 1, c: weightGradient)
            if let dx = inputGradient {
                sgemm(transA: true, m: k, n: p, k: s.outChannels, a: weight, b: dy, c: col)
                col2im(col, height, width, dx + n * s.inChannels * height * width)
            }
        }
    }
}
