import CPackedGEMM

/// The GEMM of inference at small batches: C (m×n) = A · B with A — a layer's filters, or one Winograd
/// position's transformed filters — packed once into 16-row panels and kept (`TransformedFilterCache`),
/// so a call streams the filters once and copies nothing. Its AVX2 micro-kernel (16 rows × up to 6 columns)
/// runs any column count at full width, where OpenBLAS packs both operands on every call and pads thin
/// products: on the development machine's shapes at batch 1 it runs 1.1–3× OpenBLAS's speed (docs/benchmarks.md).
/// Written by hand (`Sources/CPackedGEMM`) because no BLAS here offers pre-packed operands. Only on CPUs with
/// AVX2 + FMA (`isAvailable`); elsewhere the callers keep OpenBLAS.
public enum PackedGEMM {
    /// Whether this CPU runs the kernel (AVX2 and FMA).
    public static let isAvailable = apg_available() != 0

    /// Floats of a packed m×k matrix.
    public static func packedCount(m: Int, k: Int) -> Int { apg_packed_count(Int32(m), Int32(k)) }

    /// Packs A (m×k, row stride lda) into `packed` (`packedCount(m:k:)` floats).
    public static func pack(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int? = nil, into packed: UnsafeMutablePointer<Float>) {
        apg_pack(Int32(m), Int32(k), a, lda ?? k, packed)
    }

    /// C (m×n, row stride ldc) = packed A (m×k) · B (k×n, row stride ldb), its 16-row panels split over
    /// `parallel`'s workers (each output element is computed by one worker, in the same order for any count).
    public static func multiply(m: Int, n: Int, k: Int, packed: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int? = nil,
                                c: UnsafeMutablePointer<Float>, ldc: Int? = nil, parallel: Parallel = .serial) {
        guard m > 0, n > 0 else { return }
        precondition(isAvailable, "PackedGEMM needs AVX2 and FMA")
        if k == 0 {
            for i in 0..<m { (c + i * (ldc ?? n)).update(repeating: 0, count: n) }
            return
        }
        let panels = (m + 15) / 16
        parallel.chunks(panels) { range, _ in
            apg_multiply(Int32(m), Int32(n), Int32(k), packed, b, ldb ?? n, c, ldc ?? n, Int32(range.lowerBound), Int32(range.upperBound))
        }
    }
}
