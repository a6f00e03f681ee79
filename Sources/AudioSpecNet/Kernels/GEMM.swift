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
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(lda ?? (transA ? m : k)),
        b, Int32(ldb ?? (transB ? k : n)),
        beta, c, Int32(ldc ?? n))
}

/// OpenBLAS's own thread pool. The network runs its own threads over batch items and Winograd
/// positions, with BLAS single-threaded inside each, so the two pools never fight over the 2 cores.
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
