/// 3×3, stride-1, padding-1 convolutions by Winograd F(m×m, 3×3) as batched sgemms (Lavin & Gray 2015):
/// every input tile of every image in a group is transformed (V = Bᵀ d B), then for each of the α² tile
/// positions ξ one GEMM multiplies the transformed filters U[ξ] (K × C) by V[ξ] (C × P tiles), and the
/// products are transformed back (Y = Aᵀ M A). With a batch of at least one image group per core, each
/// core runs whole groups alone (its own scratch, no barrier between the phases; the weight gradient sums
/// one dU per core at the end); otherwise the three phases each run in parallel (over channels, over ξ,
/// over channels). BLAS is single-threaded inside either way.
///
/// - input gradient: a 3×3/1/1 convolution's adjoint is the same convolution of dy with the 180°-rotated,
///   channel-transposed filters, so it reuses the forward machinery;
/// - weight gradient: dU[ξ] = Σ_tiles dM[ξ] V[ξ]ᵀ with dM = A dY Aᵀ, one GEMM per ξ, then dg = Gᵀ dU G.
///
/// Partial tiles at the right and bottom edges (4×7 maps in F(4×4) cover 4×8) read zeros and write nothing.
struct WinogradConvolution<T: WinogradTile> {
    let shape: ConvolutionShape
    let workspace: ConvolutionWorkspace
    let parallel: Parallel
    /// Floats of transformed tiles to hold at once (`ConvolutionPolicy.winogradTransformBudget`).
    let transformBudget: Int

    /// Tile grid of an H×W map (output size = input size here).
    struct Tiling {
        let height: Int, width: Int, tilesH: Int, tilesW: Int
        var perImage: Int { tilesH * tilesW }
        /// Zero-padded input plane covering every tile's α×α window: one row/column of padding before,
        /// the rest after.
        var paddedHeight: Int { tilesH * T.m + 2 }
        var paddedWidth: Int { tilesW * T.m + 2 }
        init(height: Int, width: Int) {
            self.height = height; self.width = width
            tilesH = (height + T.m - 1) / T.m; tilesW = (width + T.m - 1) / T.m
        }
        /// Floats of one image's plane in the transforms' scratch: the padded input plane (larger than the
        /// tiled output plane), rounded to 64 bytes.
        var planeFloats: Int { (paddedHeight * paddedWidth + 15) & ~15 }
        /// Per-worker scratch for groups of up to `images`: one plane per image, then 3·α² SIMD8 tile values.
        func scratchStride(images: Int) -> Int { images * planeFloats + 3 * T.alpha * T.alpha * 8 }
        /// Where each GEMM column's tile starts in a scratch of `images` planes (`planeFloats` apart, row stride
        /// `rowStride`): column j is tile j % perImage of image j / perImage. Padded to a multiple of 8 entries
        /// (the extra ones point at column 0; their lanes are never stored).
        func offsets(images: Int, rowStride: Int) -> [Int] {
            let columns = images * perImage
            var o = [Int](repeating: 0, count: (columns + 7) / 8 * 8)
            for j in 0..<columns {
                let i = j / perImage, t = j % perImage
                o[j] = i * planeFloats + (t / tilesW) * T.m * rowStride + (t % tilesW) * T.m
            }
            return o
        }
    }

    private static var alpha2: Int { T.alpha * T.alpha }

    /// Images per group: as many as keep the transformed tiles of `channels` (V plus M) within the budget,
    /// so they stay in the caches between the transform, the GEMMs and the inverse transform; but at least
    /// enough for `minimumColumns` GEMM columns, since each group re-reads all the transformed filters
    /// (38 MB at layer4 in F(4×4)) and thin GEMMs waste OpenBLAS's packing.
    static var minimumColumns: Int { 512 }
    private static func imagesPerGroup(batch: Int, tiles: Int, channels: Int, budget: Int) -> Int {
        let byBudget = budget / max(1, alpha2 * tiles * channels)
        let byColumns = (minimumColumns + tiles - 1) / tiles
        return max(1, min(batch, max(byBudget, byColumns)))
    }

    // MARK: Forward

    // x is (N,C,H,W), w is (K,C,3,3), y is (N,K,H,W), overwritten
    func forward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>
    ) {
        let C = shape.inChannels, K = shape.outChannels
        var layout = WorkspaceLayout()
        let uAt = layout.reserve(transformedWeightCount)
        let core = coreLayout(batch: batch, height: height, width: width, inChannels: C, outChannels: K, from: &layout)
        let base = workspace.floats(layout.total)
        let u = base + uAt
        Self.transformWeights(outChannels: K, inChannels: C, weight: w, into: u, parallel: parallel)
        Self.convolve(
            batch: batch, height: height, width: width, inChannels: C, outChannels: K,
            input: x, transformedWeight: u, output: y, scratch: base, layout: core, parallel: parallel)
    }

    /// Floats of the transformed filters U (α², K, C).
    var transformedWeightCount: Int { Self.alpha2 * shape.outChannels * shape.inChannels }

    /// U (α², K, C) = G g Gᵀ of every filter of w (K,C,3,3): what `forward(…transformedWeight:…)` takes.
    func transformWeights(_ w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        Self.transformWeights(outChannels: shape.outChannels, inChannels: shape.inChannels, weight: w, into: u, parallel: parallel)
    }

    /// Floats of the transformed filters packed for `PackedGEMM`: α² packed (K × C) matrices.
    var packedTransformedWeightCount: Int { Self.alpha2 * PackedGEMM.packedCount(m: shape.outChannels, k: shape.inChannels) }

    /// U as `transformWeights` makes it, then each position's (K × C) matrix packed for `PackedGEMM`: what
    /// `forward(…packed: true…)` takes.
    func transformAndPackWeights(_ w: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        let K = shape.outChannels, C = shape.inChannels, stride = PackedGEMM.packedCount(m: K, k: C)
        let u = UnsafeMutablePointer<Float>.allocate(capacity: transformedWeightCount)
        defer { u.deallocate() }
        transformWeights(w, into: u)
        parallel.forEach(Self.alpha2) { xi in PackedGEMM.pack(m: K, k: C, a: u + xi * K * C, into: packed + xi * stride) }
    }

    // x is (N,C,H,W), u is (α², K, C) from `transformWeights` (or, `packed`, from `transformAndPackWeights`),
    // y is (N,K,H,W), overwritten. The same arithmetic as `forward(…weight:…)` without the filter transform;
    // packed filters go through `PackedGEMM` instead of OpenBLAS (the same sums, rounded in another order).
    func forward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, transformedWeight u: UnsafePointer<Float>, packed: Bool = false, output y: UnsafeMutablePointer<Float>
    ) {
        let C = shape.inChannels, K = shape.outChannels
        var layout = WorkspaceLayout()
        let core = coreLayout(batch: batch, height: height, width: width, inChannels: C, outChannels: K, from: &layout)
        let base = workspace.floats(layout.total)
        Self.convolve(
            batch: batch, height: height, width: width, inChannels: C, outChannels: K, weights: packed ? .packed : .plain,
            input: x, transformedWeight: u, output: y, scratch: base, layout: core, parallel: parallel)
    }

    // MARK: Backward

    // x is (N,C,H,W), w is (K,C,3,3), dy is (N,K,H,W); dx overwritten when given, dw (K,C,3,3) += dL/dw
    func backward(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
        inputGradient dx: UnsafeMutablePointer<Float>?, weightGradient dw: UnsafeMutablePointer<Float>?
    ) {
        if let dx { inputGradient(batch: batch, height: height, width: width, weight: w, outputGradient: dy, inputGradient: dx) }
        if let dw { weightGradient(batch: batch, height: height, width: width, input: x, outputGradient: dy, weightGradient: dw) }
    }

    // dy is (N,K,H,W), w is (K,C,3,3); dx (N,C,H,W) overwritten: dx = conv(dy, rot180(w) with K↔C swapped)
    func inputGradient(
        batch: Int, height: Int, width: Int,
        weight w: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        let C = shape.inChannels, K = shape.outChannels
        var layout = WorkspaceLayout()
        let uAt = layout.reserve(Self.alpha2 * K * C)
        let core = coreLayout(batch: batch, height: height, width: width, inChannels: K, outChannels: C, from: &layout)
        let base = workspace.floats(layout.total)
        // U'[ξ] (K × C) from the rotated filters, used transposed: M[ξ] (C × p) = U'[ξ]ᵀ · V[ξ] (K × p).
        Self.transformWeights(outChannels: K, inChannels: C, weight: w, rotated: true, into: base + uAt, parallel: parallel)
        Self.convolve(
            batch: batch, height: height, width: width, inChannels: K, outChannels: C, weights: .transposed,
            input: dy, transformedWeight: base + uAt, output: dx, scratch: base, layout: core, parallel: parallel)
    }

    // x is (N,C,H,W), dy is (N,K,H,W); dw (K,C,3,3) += Σ over images and tiles, via dU[ξ] = dM[ξ]·V[ξ]ᵀ
    func weightGradient(
        batch: Int, height: Int, width: Int,
        input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, weightGradient dw: UnsafeMutablePointer<Float>
    ) {
        let C = shape.inChannels, K = shape.outChannels, a2 = Self.alpha2
        var layout = WorkspaceLayout()
        let core = coreLayout(batch: batch, height: height, width: width, inChannels: C, outChannels: K, from: &layout)
        let tiling = core.tiling, tiles = tiling.perImage
        // One dU per worker: each sums its own images' tiles; the partial sums are added at the end.
        let duStride = (a2 * K * C + 15) & ~15
        let duAt = layout.reserve(duStride * core.workers)
        let base = workspace.floats(layout.total)
        let inOffsets = tiling.offsets(images: core.group, rowStride: tiling.paddedWidth)
        let outOffsets = tiling.offsets(images: core.group, rowStride: tiling.tilesW * T.m)
        func run(_ lo: Int, _ hi: Int, worker w: Int, parallel: Parallel) {
            let v = base + core.v + w * core.vStride, dm = base + core.m + w * core.mStride
            let scratch = base + core.scratch + w * core.scratchStride, du = base + duAt + w * duStride
            var n0 = lo
            while n0 < hi {
                let count = min(core.group, hi - n0), p = count * tiles
                Self.transformTiles(
                    .input, images: count, channels: C, tiling: tiling, from: x + n0 * C * height * width,
                    columns: p, into: v, offsets: inOffsets, scratch: scratch, scratchStride: core.scratchStride,
                    parallel: parallel)
                Self.transformTiles(
                    .outputGradient, images: count, channels: K, tiling: tiling, from: dy + n0 * K * height * width,
                    columns: p, into: dm, offsets: outOffsets, scratch: scratch, scratchStride: core.scratchStride,
                    parallel: parallel)
                let beta: Float = n0 == lo ? 0 : 1
                parallel.forEach(a2) { xi in
                    // dU[ξ] (K × C) (+)= dM[ξ] (K × p) · V[ξ]ᵀ (p × C)
                    sgemm(
                        transB: true, m: K, n: C, k: p, a: dm + xi * K * p, b: v + xi * C * p,
                        beta: beta, c: du + xi * K * C)
                }
                n0 += count
            }
        }
        let du = base + duAt
        if core.workers > 1 {
            let workers = core.workers
            // Each worker owns a core: everything it calls runs inline.
            parallel.forEach(workers) { w in
                run(batch * w / workers, batch * (w + 1) / workers, worker: w, parallel: .serial)
            }
            parallel.chunks(a2 * K * C, minimumChunk: 1 << 14) { range, _ in
                for w in 1..<workers {
                    let partial = du + w * duStride
                    for i in range { du[i] += partial[i] }
                }
            }
        } else {
            run(0, batch, worker: 0, parallel: parallel)
        }
        Self.accumulateWeightGradient(outChannels: K, inChannels: C, transformed: du, into: dw, parallel: parallel)
    }

    // MARK: The shared convolution core

    /// Where a convolution's scratch lives. With `workers` > 1 each worker has its own V, M and plane
    /// scratch (at `worker × …Stride`) and runs whole image groups alone.
    struct CoreLayout {
        let v: Int, m: Int, scratch: Int, scratchStride: Int, group: Int, tiling: Tiling
        let workers: Int, vStride: Int, mStride: Int
    }

    private func coreLayout(
        batch: Int, height: Int, width: Int, inChannels C: Int, outChannels K: Int, from layout: inout WorkspaceLayout
    ) -> CoreLayout {
        let alpha2 = Self.alpha2, minimumColumns = Self.minimumColumns
        let tiling = Tiling(height: height, width: width)
        var group = Self.imagesPerGroup(batch: batch, tiles: tiling.perImage, channels: C + K, budget: transformBudget)
        let available = parallel.threads
        if available > 1, batch / group < available {
            // Smaller groups, one per worker, while their GEMMs keep half the usual minimum of columns.
            let perWorker = batch / available
            if perWorker * tiling.perImage >= minimumColumns / 2 { group = min(group, perWorker) }
        }
        let P = group * tiling.perImage
        // Whole groups per worker when the batch has at least one group for each: no barrier between the
        // three phases and each worker's tiles stay in its own core's caches. Otherwise (inference at
        // batch 1, small batches) the workers share each phase.
        let workers = max(1, min(available, batch / group))
        let vStride = (alpha2 * C * P + 15) & ~15, mStride = (alpha2 * K * P + 15) & ~15
        let v = layout.reserve(vStride * workers)
        let m = layout.reserve(mStride * workers)
        // Per worker: a plane for each image of a group, plus room for the SIMD8 tiles of the transforms.
        let stride = tiling.scratchStride(images: group)
        let scratch = layout.reserve(stride * available)
        return CoreLayout(v: v, m: m, scratch: scratch, scratchStride: stride, group: group, tiling: tiling,
                          workers: workers, vStride: vStride, mStride: mStride)
    }

    /// How `convolve` reads U: (α², K, C) as is, (α², C, K) transposed, or α² (K × C) matrices packed for `PackedGEMM`.
    enum WeightForm { case plain, transposed, packed }

    // x is (N,C,H,W), u is (α², K, C) in `weights`' form, y is (N,K,H,W), overwritten
    private static func convolve(
        batch: Int, height: Int, width: Int, inChannels C: Int, outChannels K: Int, weights: WeightForm = .plain,
        input x: UnsafePointer<Float>, transformedWeight u: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
        scratch base: UnsafeMutablePointer<Float>, layout: CoreLayout, parallel: Parallel
    ) {
        let tiling = layout.tiling, tiles = tiling.perImage
        let packedStride = weights == .packed ? PackedGEMM.packedCount(m: K, k: C) : 0
        let inOffsets = tiling.offsets(images: layout.group, rowStride: tiling.paddedWidth)
        let outOffsets = tiling.offsets(images: layout.group, rowStride: tiling.tilesW * T.m)
        // Images lo..<hi in groups, with one worker's V, M and plane scratch.
        func run(_ lo: Int, _ hi: Int, worker w: Int, parallel: Parallel) {
            let v = base + layout.v + w * layout.vStride, mm = base + layout.m + w * layout.mStride
            let scratch = base + layout.scratch + w * layout.scratchStride
            var n0 = lo
            while n0 < hi {
                let count = min(layout.group, hi - n0), p = count * tiles
                transformTiles(
                    .input, images: count, channels: C, tiling: tiling, from: x + n0 * C * height * width,
                    columns: p, into: v, offsets: inOffsets, scratch: scratch, scratchStride: layout.scratchStride,
                    parallel: parallel)
                parallel.forEach(alpha2) { xi in
                    // M[ξ] (K × p) = U[ξ] (K × C) · V[ξ] (C × p)
                    if weights == .packed {
                        PackedGEMM.multiply(m: K, n: p, k: C, packed: u + xi * packedStride, b: v + xi * C * p, c: mm + xi * K * p)
                    } else {
                        sgemm(transA: weights == .transposed, m: K, n: p, k: C, a: u + xi * K * C, b: v + xi * C * p, c: mm + xi * K * p)
                    }
                }
                transformOutputs(
                    images: count, channels: K, tiling: tiling, products: mm, columns: p,
                    output: y + n0 * K * height * width, offsets: outOffsets, scratch: scratch,
                    scratchStride: layout.scratchStride, parallel: parallel)
                n0 += count
            }
        }
        if layout.workers > 1 {
            // Each worker owns a core: everything it calls runs inline.
            parallel.forEach(layout.workers) { w in
                run(batch * w / layout.workers, batch * (w + 1) / layout.workers, worker: w, parallel: .serial)
            }
        } else {
            run(0, batch, worker: 0, parallel: parallel)
        }
    }

    // MARK: Tile transforms (each parallel over channels)
    //
    // Each channel's tiles are transformed eight GEMM columns at a time, one per SIMD lane, across the images
    // of a group: small maps have fewer tiles per image than lanes (layer3's 8×10 has 6 in F(4×4), layer4's
    // 4×5 has 2), and lanes that stay within one image would idle. A lane's arithmetic is the same wherever
    // its tile comes from.

    /// What `transformTiles` reads: the input, whose overlapping α×α tiles lie in a plane padded by one row and
    /// column before (copied in at (1, 1), row stride `paddedWidth`), or the output gradient, whose m×m tiles lie
    /// in an unpadded plane (at (0, 0), row stride tilesW·m; zeros past the edges).
    private enum TileSource { case input, outputGradient }

    // x is (n,C,H,W); v is (α², C, columns), tile t of image i in column i·tiles + t: B x Bᵀ of each α×α input
    // tile, or A dY Aᵀ of each m×m output-gradient tile
    private static func transformTiles(
        _ source: TileSource, images: Int, channels C: Int, tiling: Tiling, from x: UnsafePointer<Float>, columns p: Int,
        into v: UnsafeMutablePointer<Float>, offsets: [Int], scratch: UnsafeMutablePointer<Float>, scratchStride: Int,
        parallel: Parallel
    ) {
        let a2 = alpha2, planeFloats = tiling.planeFloats, H = tiling.height, W = tiling.width
        let size = source == .input ? T.alpha : T.m
        let rowStride = source == .input ? tiling.paddedWidth : tiling.tilesW * T.m
        let origin = source == .input ? rowStride + 1 : 0
        offsets.withUnsafeBufferPointer { offs in
            parallel.chunks(C) { range, worker in
                let planes = scratch + worker * scratchStride
                let tiles8 = UnsafeMutableRawPointer(planes + images * planeFloats).bindMemory(to: F8.self, capacity: 3 * a2)
                let d = tiles8, out = tiles8 + a2, tmp = tiles8 + 2 * a2
                // The padding borders and the rows/columns past the image stay zero across channels.
                planes.update(repeating: 0, count: images * planeFloats)
                for c in range {
                    for i in 0..<images {
                        let src = x + (i * C + c) * H * W, plane = planes + i * planeFloats + origin
                        for r in 0..<H { (plane + r * rowStride).update(from: src + r * W, count: W) }
                    }
                    let row = v + c * p
                    var j0 = 0
                    while j0 < p {
                        gather(into: d, size: size, from: planes, rowStride: rowStride, tiles: offs, first: j0)
                        switch source {
                        case .input: T.transformInput(d, out, tmp)
                        case .outputGradient: T.transformOutputGradient(d, out, tmp)
                        }
                        store(out, count: min(8, p - j0), to: row + j0, stride: C * p, positions: a2)
                        j0 += 8
                    }
                }
            }
        }
    }

    // mm is (α², K, columns); y is (n,K,H,W) = Aᵀ M A of each tile, cropped at the edges
    private static func transformOutputs(
        images: Int, channels K: Int, tiling: Tiling, products mm: UnsafePointer<Float>, columns p: Int,
        output y: UnsafeMutablePointer<Float>, offsets: [Int], scratch: UnsafeMutablePointer<Float>, scratchStride: Int,
        parallel: Parallel
    ) {
        let m = T.m, a2 = alpha2, planeFloats = tiling.planeFloats
        let H = tiling.height, W = tiling.width, ow = tiling.tilesW * m
        offsets.withUnsafeBufferPointer { offs in
            parallel.chunks(K) { range, worker in
                let planes = scratch + worker * scratchStride
                let tiles8 = UnsafeMutableRawPointer(planes + images * planeFloats).bindMemory(to: F8.self, capacity: 3 * a2)
                let d = tiles8, out = tiles8 + a2, tmp = tiles8 + 2 * a2
                for k in range {
                    let row = mm + k * p
                    var j0 = 0
                    while j0 < p {
                        let n = min(8, p - j0)
                        load(from: row + j0, count: n, stride: K * p, positions: a2, into: d)
                        T.transformOutput(d, out, tmp)
                        let o = tileOffsets(offs, first: j0)
                        for r in 0..<m {
                            for s in 0..<m {
                                let b = planes + r * ow + s, val = out[r * m + s]
                                for l in 0..<n { b[o[l]] = val[l] }
                            }
                        }
                        j0 += 8
                    }
                    for i in 0..<images {
                        let dst = y + (i * K + k) * H * W, plane = planes + i * planeFloats
                        for r in 0..<H { (dst + r * W).update(from: plane + r * ow, count: W) }
                    }
                }
            }
        }
    }

    /// The scratch offsets of columns t0..<t0+8 (the offsets array is padded to a multiple of 8).
    @inline(__always)
    private static func tileOffsets(_ offs: UnsafeBufferPointer<Int>, first t0: Int) -> SIMD8<Int> {
        SIMD8<Int>(offs[t0], offs[t0 + 1], offs[t0 + 2], offs[t0 + 3], offs[t0 + 4], offs[t0 + 5], offs[t0 + 6], offs[t0 + 7])
    }

    /// d[r·size + s] lane l = the (r, s) value of column t0 + l's tile: eight size×size tiles read from
    /// planes of row stride `rowStride`, one SIMD lane per tile.
    @inline(__always)
    private static func gather(
        into d: UnsafeMutablePointer<F8>, size: Int, from plane: UnsafePointer<Float>, rowStride: Int,
        tiles offs: UnsafeBufferPointer<Int>, first t0: Int
    ) {
        let o = tileOffsets(offs, first: t0)
        for r in 0..<size {
            for s in 0..<size {
                let b = plane + r * rowStride + s
                d[r * size + s] = F8(b[o[0]], b[o[1]], b[o[2]], b[o[3]], b[o[4]], b[o[5]], b[o[6]], b[o[7]])
            }
        }
    }

    /// Writes lane l of tile value ξ to dst[ξ·stride + l] for l < count.
    @inline(__always)
    private static func store(_ vals: UnsafePointer<F8>, count: Int, to dst: UnsafeMutablePointer<Float>, stride: Int, positions: Int) {
        if count == 8 {
            for xi in 0..<positions { UnsafeMutableRawPointer(dst + xi * stride).storeBytes(of: vals[xi], as: F8.self) }
        } else {
            for xi in 0..<positions {
                let val = vals[xi], row = dst + xi * stride
                for l in 0..<count { row[l] = val[l] }
            }
        }
    }

    /// vals[ξ] lane l = src[ξ·stride + l] for l < count, zero beyond.
    @inline(__always)
    private static func load(from src: UnsafePointer<Float>, count: Int, stride: Int, positions: Int, into vals: UnsafeMutablePointer<F8>) {
        if count == 8 {
            for xi in 0..<positions { vals[xi] = UnsafeRawPointer(src + xi * stride).loadUnaligned(as: F8.self) }
        } else {
            for xi in 0..<positions {
                var val = F8()
                let row = src + xi * stride
                for l in 0..<count { val[l] = row[l] }
                vals[xi] = val
            }
        }
    }

    // MARK: Filter transforms (one sgemm with kron(G, G), split over filters)

    // w is (K,C,3,3); u is (α², K, C) = G g Gᵀ of each filter, or of the 180°-rotated filter when `rotated`
    static func transformWeights(
        outChannels K: Int, inChannels C: Int, weight w: UnsafePointer<Float>, rotated: Bool = false,
        into u: UnsafeMutablePointer<Float>, parallel: Parallel
    ) {
        let count = K * C, a2 = alpha2
        var t = T.filterMatrix  // (α², 9)
        if rotated {  // rot180 reverses the 9 taps: T_rot[ξ][e] = T[ξ][8 − e]
            for xi in 0..<a2 { t[(xi * 9)..<(xi * 9 + 9)].reverse() }
        }
        t.withUnsafeBufferPointer { tp in
            parallel.chunks(count, minimumChunk: 4096) { range, _ in
                // U[:, q] (α² × n) = T (α² × 9) · W[q]ᵀ (9 × n), W[q] being n rows of 9 taps
                sgemm(transB: true, m: a2, n: range.count, k: 9, a: tp.baseAddress!, b: w + range.lowerBound * 9, ldb: 9,
                      c: u + range.lowerBound, ldc: count)
            }
        }
    }

    // du is (α², K, C); dw (K,C,3,3) += Gᵀ dU G of each filter, i.e. dW (KC × 9) += dUᵀ · T
    static func accumulateWeightGradient(outChannels K: Int, inChannels C: Int, transformed du: UnsafePointer<Float>, into dw: UnsafeMutablePointer<Float>,
                                         parallel: Parallel) {
        let count = K * C, a2 = alpha2
        let t = T.filterMatrix
        t.withUnsafeBufferPointer { tp in
            parallel.chunks(count, minimumChunk: 4096) { range, _ in
                sgemm(transA: true, m: range.count, n: 9, k: a2, a: du + range.lowerBound, lda: count,
                      b: tp.baseAddress!, beta: 1, c: dw + range.lowerBound * 9, ldc: 9)
            }
        }
    }
}
