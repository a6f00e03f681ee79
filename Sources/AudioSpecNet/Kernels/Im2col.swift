/// The patch matrix of one image and its adjoint. Row r = (c·kh + u)·kw + v of `col` holds, for every
/// output position (i, j), the input pixel x[c, i·sh − ph + u, j·sw − pw + v] (zero in the padding), so
/// the convolution becomes W (K × C·kh·kw) · col (C·kh·kw × OH·OW). `ld` lets several images sit side by
/// side in one wider matrix (one GEMM for a group of small images).
enum Im2col {
    /// The output columns jLo..<jHi whose input column j·sw − pw + v (kernel tap v) lies inside [0, W).
    @inline(__always)
    static func insideColumns(shape s: ConvolutionShape, tap v: Int, width: Int, outWidth ow: Int) -> (Int, Int) {
        let sw = s.strideW
        let jLo = min(ow, max(0, (s.padW - v + sw - 1) / sw))
        let last = width - 1 + s.padW - v  // j·sw ≤ last (negative: no column at all)
        return (jLo, last < 0 ? jLo : max(jLo, min(ow, last / sw + 1)))
    }

    // x is (C,H,W), col is (C·kh·kw) rows of `ld` floats, OH·OW of them written
    static func gather(
        shape s: ConvolutionShape, height: Int, width: Int, outHeight oh: Int, outWidth ow: Int,
        input x: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>, ld: Int
    ) {
        let kh = s.kernelHeight, kw = s.kernelWidth, sh = s.strideH, sw = s.strideW
        for c in 0..<s.inChannels {
            let plane = x + c * height * width
            for u in 0..<kh {
                for v in 0..<kw {
                    let row = col + ((c * kh + u) * kw + v) * ld
                    let (jLo, jHi) = insideColumns(shape: s, tap: v, width: width, outWidth: ow)
                    for i in 0..<oh {
                        let h = i * sh - s.padH + u
                        let dst = row + i * ow
                        if h < 0 || h >= height {
                            dst.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + h * width - s.padW + v
                        for j in 0..<jLo { dst[j] = 0 }
                        if sw == 1 {
                            (dst + jLo).update(from: src + jLo, count: jHi - jLo)
                        } else {
                            for j in jLo..<jHi { dst[j] = src[j * sw] }
                        }
                        for j in jHi..<ow { dst[j] = 0 }
                    }
                }
            }
        }
    }

    // col is (C·kh·kw) rows of `ld` floats; dx (C,H,W) += its scatter (the adjoint of `gather`)
    static func scatterAdd(
        shape s: ConvolutionShape, height: Int, width: Int, outHeight oh: Int, outWidth ow: Int,
        col: UnsafePointer<Float>, ld: Int, inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        let kh = s.kernelHeight, kw = s.kernelWidth, sh = s.strideH, sw = s.strideW
        for c in 0..<s.inChannels {
            let plane = dx + c * height * width
            for u in 0..<kh {
                for v in 0..<kw {
                    let row = col + ((c * kh + u) * kw + v) * ld
                    let (jLo, jHi) = insideColumns(shape: s, tap: v, width: width, outWidth: ow)
                    for i in 0..<oh {
                        let h = i * sh - s.padH + u
                        if h < 0 || h >= height { continue }
                        let src = row + i * ow
                        let dst = plane + h * width - s.padW + v
                        if sw == 1 {
                            for j in jLo..<jHi { dst[j] += src[j] }
                        } else {
                            for j in jLo..<jHi { dst[j * sw] += src[j] }
                        }
                    }
                }
            }
        }
    }
}
