/// MaxPool2d(kernel, stride, padding) as PyTorch: padding counts as −∞, the first maximum in scan order
/// wins ties, and NaN propagates. Forward records each output's source index for the backward.
public final class MaxPool2d {
    public let kernel: Int, stride: Int, padding: Int
    private var argmax: [Int32] = []

    public init(kernel: Int = 3, stride: Int = 2, padding: Int = 1) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        ((height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1)
    }

    // x is (N,C,H,W) → y (N,C,OH,OW).
    public func forward(_ x: Tensor, into y: Tensor, context: ComputeContext) {
        let nc = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3]
        let (oh, ow) = outputSize(height: h, width: w)
        y.reshape([x.shape[0], x.shape[1], oh, ow])
        if argmax.count < y.count { argmax = Array(repeating: 0, count: y.count) }
        let k = kernel, s = stride, pad = padding
        let xp = x.data, yp = y.data
        argmax.withUnsafeMutableBufferPointer { idxBuffer in
            let idx = idxBuffer.baseAddress!
            context.parallel.chunks(nc) { planes, _ in
                for plane in planes {
                    let src = xp + plane * h * w, dst = yp + plane * oh * ow, arg = idx + plane * oh * ow
                    for oy in 0..<oh {
                        let y0 = max(oy * s - pad, 0), y1 = min(oy * s - pad + k, h)
                        for ox in 0..<ow {
                            let x0 = max(ox * s - pad, 0), x1 = min(ox * s - pad + k, w)
                            var best = -Float.infinity, bestIndex = y0 * w + x0
                            for iy in y0..<y1 {
                                for ix in x0..<x1 {
                                    let v = src[iy * w + ix]
                                    if v > best || v.isNaN { best = v; bestIndex = iy * w + ix; if v.isNaN { break } }
                                }
                                if best.isNaN { break }
                            }
                            dst[oy * ow + ox] = best
                            arg[oy * ow + ox] = Int32(bestIndex)
                        }
                    }
                }
            }
        }
    }

    // dy is (N,C,OH,OW); dx (N,C,H,W) is overwritten: each dy goes to the position that won its window.
    public func backward(outputGradient dy: Tensor, inputShape: [Int], inputGradient dx: Tensor, context: ComputeContext) {
        dx.reshape(inputShape)
        dx.zero()
        let nc = inputShape[0] * inputShape[1], hw = inputShape[2] * inputShape[3]
        let ohw = dy.count / nc
        let dyp = dy.data, dxp = dx.data
        argmax.withUnsafeBufferPointer { idxBuffer in
            let idx = idxBuffer.baseAddress!
            context.parallel.chunks(nc) { planes, _ in
                for plane in planes {
                    let g = dyp + plane * ohw, a = idx + plane * ohw, out = dxp + plane * hw
                    for i in 0..<ohw { out[Int(a[i])] += g[i] }
                }
            }
        }
    }
}
