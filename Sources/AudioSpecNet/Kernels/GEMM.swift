import COpenBLAS

/// The single door to BLAS: row-major C = α·op(A)·op(B) + β·C, as darknet's `gemm(TA, TB, …)`.
/// A is M×K (or K×M when `transA`), B is K×N (or N×K when `transB`), C is M×N; lda/ldb/ldc default to
/// the packed row strides.
@inline(__always)
public func sgemm(
    transA: Bool = false, transB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {  // BLAS leaves C untouched when K = 0 only for β = 1; make the empty product explicit.
        for i in 0..<(m * (ldc ?? n)) { c[i] = beta == 0 ? 0 : beta * c[i] }
        return
    }
    _ = BLASThreads.singleThreaded
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(lda ?? (transA ? m : k)),
        b, Int32(ldb ?? (transB ? k : n)),
        beta, c, Int32(ldc ?? n))
}

/// OpenBLAS's own thread pool, kept at one thread. The network runs its own workers over batch items and
/// Winograd positions with BLAS inside each, and the front end runs one clip per worker, so a BLAS pool
/// would only fight them for the cores; and OpenBLAS's threaded sgemm rounds differently from its serial
/// one, so results would depend on the machine's core count. Set before the first BLAS call, never changed.
public enum BLASThreads {
    static let singleThreaded: Void = openblas_set_num_threads(1)
    public static var current: Int { Int(openblas_get_num_threads()) }
}
