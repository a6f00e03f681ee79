/// The reference fast path, correct for any kernel, stride and padding: im2col + one sgemm per group of
/// images. Small feature maps (layer4 has 28 outputs per image) make a thin GEMM per image, so images are
/// grouped side by side until a GEMM has a few hundred columns; groups run in parallel, BLAS inside each.
struct Im2colConvolution {
    let shape: ConvolutionShape
    let workspace: ConvolutionWorkspace
    let parallel: Parallel

    /// Images per GEMM and the number of groups for this call.
    private func grouping(batch: Int, outputsPerImage L: Int) -> (perGroup: Int, groups: Int) {
        let threads = parallel.threads
        var groups = max(1, (batch * L + 383) / 384)  // ≥ 384 GEMM columns per group where possible
        groups = min(batch, ((groups + threads - 1) / threads) * threads)
        let perGroup = (batch + groups - 1) / groups
        return (perGroup, (batch + perGroup - 1) / perGroup)
    }

    /// Floats of the filters packed for `PackedGEMM` (a K × C·kh·kw matrix).
    var packedWeightCount: Int { PackedGEMM.packedCount(m: shape.outChannels, k: shape.inChannels * shape.kernelHeight * shape.kernelWidth) }

    /// w (K,C,kh,kw) packed for `PackedGEMM`: what `forward(…packedWeight:…)` takes.
    func packWeights(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        PackedGEMM.pack(m: shape.outChannels, k: shape.inChannels * shape.kernelHeight * shape.kernelWidth, a: w, into: packed)
    }

    // x is (N,C,H,W), w is (K,C,kh,kw), y is (N,K,OH,OW), overwritten
    func forward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>
    ) {
        forward(batch: batch, height: height, width: width, input: x, filters: .plain(w), output: y)
    }

    // The same with the filters from `packWeights`: the GEMMs go through `PackedGEMM` (the same sums, rounded in
    // another order than OpenBLAS's).
    func forward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>
    ) {
        forward(batch: batch, height: height, width: width, input: x, filters: .packed(packedWeight), output: y)
    }

    private enum Filters {
        case plain(UnsafePointer<Float>)
        case packed(UnsafePointer<Float>)
    }

    private func forward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, filters: Filters, output y: UnsafeMutablePointer<Float>
    ) {
        let s = shape
        let (oh, ow) = s.outputSize(height: height, width: width)
        let L = oh * ow, C = s.inChannels, K = s.outChannels, CKK = C * s.kernelHeight * s.kernelWidth
        guard batch > 0, L > 0 else { return }
        let inPlane = C * height * width, outPlane = K * L
        let (G, groups) = grouping(batch: batch, outputsPerImage: L)
        let direct = G == 1 && s.isPointwise && s.strideH == 1 && s.strideW == 1  // x[n] is already col
        let colSize = direct ? 0 : CKK * G * L, outSize = G == 1 ? 0 : K * G * L
        let perThread = (colSize + outSize + 15) & ~15
        let scratch = workspace.floats(perThread * parallel.threads)
        // c (K × n) = filters · b (CKK × n), the K rows split over `rows`' workers
        func gemm(n: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, rows: Parallel) {
            switch filters {
            case .packed(let packed):
                PackedGEMM.multiply(m: K, n: n, k: CKK, packed: packed, b: b, c: c, parallel: rows)
            case .plain(let w):
                rows.chunks(K, minimumChunk: 8) { range, _ in
                    sgemm(m: range.count, n: n, k: CKK, a: w + range.lowerBound * CKK, b: b, c: c + range.lowerBound * n)
                }
            }
        }
        if groups < parallel.threads {
            // Fewer groups than cores (inference at batch 1): one group at a time, each GEMM's output rows
            // split over the cores instead.
            for g in 0..<groups {
                let n0 = g * G, count = min(G, batch - n0), ld = count * L
                let col = scratch, out = col + colSize
                if !direct {
                    parallel.forEach(count) { i in
                        Im2col.gather(
                            shape: s, height: height, width: width, outHeight: oh, outWidth: ow,
                            input: x + (n0 + i) * inPlane, col: col + i * L, ld: ld)
                    }
                }
                let b = direct ? x + n0 * inPlane : UnsafePointer(col)
                let c = count == 1 ? y + n0 * outPlane : out
                gemm(n: ld, b: b, c: c, rows: parallel)
                if count > 1 {
                    for i in 0..<count {
                        let dst = y + (n0 + i) * outPlane
                        for k in 0..<K { (dst + k * L).update(from: out + k * ld + i * L, count: L) }
                    }
                }
            }
            return
        }
        parallel.chunks(groups) { range, worker in
            let col = scratch + worker * perThread, out = col + colSize
            for g in range {
                let n0 = g * G, count = min(G, batch - n0), ld = count * L
                if !direct {
                    for i in 0..<count {
                        Im2col.gather(
                            shape: s, height: height, width: width, outHeight: oh, outWidth: ow,
                            input: x + (n0 + i) * inPlane, col: col + i * L, ld: ld)
                    }
                }
                let b = direct ? x + n0 * inPlane : UnsafePointer(col)
                if count == 1 {
                    gemm(n: L, b: b, c: y + n0 * outPlane, rows: .serial)
                } else {
                    // out is (K, count·L): image i's block is columns i·L..<(i+1)·L of every row.
                    gemm(n: ld, b: b, c: out, rows: .serial)
                    for i in 0..<count {
                        let dst = y + (n0 + i) * outPlane
                        for k in 0..<K { (dst + k * L).update(from: out + k * ld + i * L, count: L) }
                    }
                }
            }
        }
    }

    // x is (N,C,H,W), dy is (N,K,OH,OW); dx (N,C,H,W) overwritten when given, dw (K,C,kh,kw) += dL/dw when given
    func backward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradient dx: UnsafeMutablePointer<Float>?, weightGradient dw: UnsafeMutablePointer<Float>?
    ) {
        let s = shape
        let (oh, ow) = s.outputSize(height: height, width: width)
        let L = oh * ow, C = s.inChannels, K = s.outChannels, CKK = C * s.kernelHeight * s.kernelWidth
        let inPlane = C * height * width, outPlane = K * L
        guard batch > 0 else { return }
        if L == 0 {  // nothing was computed, so nothing flows back
            dx?.update(repeating: 0, count: batch * inPlane)
            return
        }
        let (G, groups) = grouping(batch: batch, outputsPerImage: L)
        let threads = parallel.threads
        let workers = dw == nil ? 0 : min(threads, groups)  // weight-gradient accumulators
        let colSize = CKK * G * L, dySize = G == 1 ? 0 : K * G * L
        // Worker 0 accumulates straight into dw; the others into private copies summed at the end.
        let accSize = s.weightCount
        let perThread = (colSize + dySize + 15) & ~15
        let accBase = perThread * threads
        let scratch = workspace.floats(accBase + accSize * max(0, workers - 1))
        for wk in 1..<max(1, workers) { (scratch + accBase + (wk - 1) * accSize).update(repeating: 0, count: accSize) }
        parallel.chunks(groups) { range, worker in
            let col = scratch + worker * perThread, dyg = col + colSize
            let acc: UnsafeMutablePointer<Float>? = dw == nil ? nil : worker == 0 ? dw : scratch + accBase + (worker - 1) * accSize
            for g in range {
                let n0 = g * G, count = min(G, batch - n0), ld = count * L
                // dy of the group as one (K, count·L) matrix, matching col's columns.
                let d: UnsafePointer<Float>
                if count == 1 {
                    d = dy + n0 * outPlane
                } else {
                    for i in 0..<count {
                        let src = dy + (n0 + i) * outPlane
                        for k in 0..<K { (dyg + k * ld + i * L).update(from: src + k * L, count: L) }
                    }
                    d = UnsafePointer(dyg)
                }
                if let acc {
                    for i in 0..<count {
                        Im2col.gather(
                            shape: s, height: height, width: width, outHeight: oh, outWidth: ow,
                            input: x + (n0 + i) * inPlane, col: col + i * L, ld: ld)
                    }
                    // dW (K × CKK) += dy (K × count·L) · colᵀ
                    sgemm(transB: true, m: K, n: CKK, k: ld, a: d, b: col, beta: 1, c: acc)
                }
                guard let dx else { continue }
                // dcol (CKK × count·L) = Wᵀ · dy, then scattered back onto the input pixels it came from.
                sgemm(transA: true, m: CKK, n: ld, k: K, a: w, b: d, c: col)
                for i in 0..<count {
                    let dst = dx + (n0 + i) * inPlane
                    dst.update(repeating: 0, count: inPlane)
                    Im2col.scatterAdd(
                        shape: s, height: height, width: width, outHeight: oh, outWidth: ow,
                        col: col + i * L, ld: ld, inputGradient: dst)
                }
            }
        }
        if let dw {
            for wk in 1..<max(1, workers) {
                let acc = scratch + accBase + (wk - 1) * accSize
                for i in 0..<accSize { dw[i] += acc[i] }
            }
        }
    }
}
