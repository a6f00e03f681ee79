/// Direct convolution by its definition, in Float64: the algorithmic reference every fast path is
/// tested against (kept in the library, as llm.c keeps its reference kernels). Slow on purpose: no
/// reordering, no transforms, nothing that could share a bug with the fast paths.
public enum NaiveConvolution {
    // x is (N,C,H,W), w is (K,C,kh,kw), y is (N,K,OH,OW)
    public static func forward(
        shape s: ConvolutionShape, batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Double>, weight w: UnsafePointer<Double>, output y: UnsafeMutablePointer<Double>
    ) {
        let (oh, ow) = s.outputSize(height: height, width: width)
        let C = s.inChannels, K = s.outChannels, kh = s.kernelHeight, kw = s.kernelWidth
        for n in 0..<batch {
            for k in 0..<K {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var sum = 0.0
                        for c in 0..<C {
                            for u in 0..<kh {
                                let h = i * s.strideH - s.padH + u
                                if h < 0 || h >= height { continue }
                                for v in 0..<kw {
                                    let ww = j * s.strideW - s.padW + v
                                    if ww < 0 || ww >= width { continue }
                                    sum += x[((n * C + c) * height + h) * width + ww]
                                        * w[((k * C + c) * kh + u) * kw + v]
                                }
                            }
                        }
                        y[((n * K + k) * oh + i) * ow + j] = sum
                    }
                }
            }
        }
    }

    // dy is (N,K,OH,OW), w is (K,C,kh,kw); dx (N,C,H,W) is overwritten with dL/dx
    public static func inputGradient(
        shape s: ConvolutionShape, batch: Int, height: Int, width: Int,
        weight w: UnsafePointer<Double>, outputGradient dy: UnsafePointer<Double>,
        inputGradient dx: UnsafeMutablePointer<Double>
    ) {
        let (oh, ow) = s.outputSize(height: height, width: width)
        let C = s.inChannels, K = s.outChannels, kh = s.kernelHeight, kw = s.kernelWidth
        dx.update(repeating: 0, count: batch * C * height * width)
        // y[n,k,i,j] = Σ x[n,c,h,w]·w[k,c,u,v], so each output's gradient flows back to the inputs it read.
        for n in 0..<batch {
            for k in 0..<K {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let g = dy[((n * K + k) * oh + i) * ow + j]
                        for c in 0..<C {
                            for u in 0..<kh {
                                let h = i * s.strideH - s.padH + u
                                if h < 0 || h >= height { continue }
                                for v in 0..<kw {
                                    let ww = j * s.strideW - s.padW + v
                                    if ww < 0 || ww >= width { continue }
                                    dx[((n * C + c) * height + h) * width + ww] += g * w[((k * C + c) * kh + u) * kw + v]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // x is (N,C,H,W), dy is (N,K,OH,OW); dw (K,C,kh,kw) is overwritten with dL/dw
    public static func weightGradient(
        shape s: ConvolutionShape, batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Double>, outputGradient dy: UnsafePointer<Double>,
        weightGradient dw: UnsafeMutablePointer<Double>
    ) {
        let (oh, ow) = s.outputSize(height: height, width: width)
        let C = s.inChannels, K = s.outChannels, kh = s.kernelHeight, kw = s.kernelWidth
        for k in 0..<K {
            for c in 0..<C {
                for u in 0..<kh {
                    for v in 0..<kw {
                        var sum = 0.0
                        for n in 0..<batch {
                            for i in 0..<oh {
                                let h = i * s.strideH - s.padH + u
                                if h < 0 || h >= height { continue }
                                for j in 0..<ow {
                                    let ww = j * s.strideW - s.padW + v
                                    if ww < 0 || ww >= width { continue }
                                    sum += dy[((n * K + k) * oh + i) * ow + j] * x[((n * C + c) * height + h) * width + ww]
                                }
                            }
                        }
                        dw[((k * C + c) * kh + u) * kw + v] = sum
                    }
                }
            }
        }
    }
}
