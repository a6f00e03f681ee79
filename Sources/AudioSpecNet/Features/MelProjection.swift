/// The mel projection [nMels, nFreqs] · power over only the filterbank's non-zero weights. Each HTK
/// triangle covers a contiguous run of bins and each bin lies under at most two triangles, so the recipe's
/// 128 × 513 filterbank has about 1 000 non-zero weights of 65 664: the dense sgemm spent 98 % of its
/// multiplications on zeros. The sums are the same products in another order (float rounding apart).
struct MelProjection {
    /// Frames projected together: one SIMD8 lane per frame.
    static let block = 8
    let nMels: Int, nFreqs: Int
    /// Band m's weights are `weights[offsets[m] ..< offsets[m + 1]]`, for bins `first[m] ...`.
    let first: [Int]
    let offsets: [Int]
    let weights: [Float]

    /// `filterbank` is row-major [nMels, nFreqs] (`MelFilterbank.weights`).
    init(filterbank: [Float], nMels: Int, nFreqs: Int) {
        self.nMels = nMels
        self.nFreqs = nFreqs
        var first: [Int] = [], offsets = [0], weights: [Float] = []
        for m in 0..<nMels {
            let row = filterbank[(m * nFreqs)..<((m + 1) * nFreqs)]
            // The run from the first to the last non-zero weight (a triangle has no zeros inside it).
            let lo = row.firstIndex { $0 != 0 }, hi = row.lastIndex { $0 != 0 }
            if let lo, let hi {
                first.append(lo - m * nFreqs)
                weights += row[lo...hi]
            } else {
                first.append(0)
            }
            offsets.append(weights.count)
        }
        self.first = first
        self.offsets = offsets
        self.weights = weights
    }

    /// Projects up to `block` frames whose power spectra are stored bin-major in `power`
    /// ([nFreqs][block]: bin k of frame j at k · block + j), writing frame j's band m to
    /// `output[m · stride + j]` for j < `frames`.
    func project(_ power: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>, stride: Int) {
        let raw = UnsafeRawPointer(power), lane = MemoryLayout<SIMD8<Float>>.stride
        weights.withUnsafeBufferPointer { w in
            for m in 0..<nMels {
                var acc = SIMD8<Float>(repeating: 0)
                var k = first[m]
                for i in offsets[m]..<offsets[m + 1] {
                    // Multiply then add: the package targets baseline x86-64, where a fused SIMD multiply-add
                    // would become a libm call per lane.
                    acc += w[i] * raw.loadUnaligned(fromByteOffset: k * lane, as: SIMD8<Float>.self)
                    k += 1
                }
                let row = output + m * stride
                if frames == MelProjection.block {
                    UnsafeMutableRawPointer(row).storeBytes(of: acc, as: SIMD8<Float>.self)
                } else {
                    for j in 0..<frames { row[j] = acc[j] }
                }
            }
        }
    }
}
