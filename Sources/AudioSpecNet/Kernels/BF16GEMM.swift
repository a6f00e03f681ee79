import CBF16

/// bfloat16 rounding, bit for bit as PyTorch's `float → bfloat16` (round to nearest, ties to even; NaN stays
/// a quiet NaN; values past bf16's largest finite by half an ulp or more become ±inf; subnormals are rounded,
/// not flushed).
public enum BFloat16 {
    /// The bf16 bits of `x`.
    @inline(__always) public static func bits(_ x: Float) -> UInt16 { cbf16_from_float(x) }
    /// The Float that bf16 bits stand for (exact).
    @inline(__always) public static func float(bits: UInt16) -> Float { cbf16_to_float(bits) }
    /// `x` rounded to the nearest bf16, as a Float.
    @inline(__always) public static func rounded(_ x: Float) -> Float { cbf16_to_float(cbf16_from_float(x)) }
}

/// C = α·op(A)·op(B) + β·C with the operands rounded to bf16 and fp32 accumulation — PyTorch autocast's
/// numerics for convolution and linear layers. Same row-major arguments as `sgemm` (Kernels/GEMM.swift).
///
/// `path` is fixed when the value is made: `.avx512` (vdpbf16ps) where the CPU has AVX512_BF16, else the
/// scalar `.reference`, which computes the same sums in the same order (Sources/CBF16/include/cbf16.h), so
/// both give the same bits on finite data. The reference is slow (one scalar multiply-add per product): on
/// CPUs without AVX512_BF16, fp32 `sgemm` is the fast choice. Single-threaded; callers split the work.
public struct BF16GEMM: Sendable {
    public enum Path: Sendable { case avx512, reference }

    public let path: Path

    /// Whether this CPU and OS run the vdpbf16ps path (cpuid and xgetbv, read on each call).
    public static var hardwareSupported: Bool { cbf16_supported() != 0 }

    /// The fastest path this machine runs.
    public init() { path = Self.hardwareSupported ? .avx512 : .reference }

    /// A given path; `.avx512` where the CPU lacks it falls back to the reference rather than trap.
    public init(path: Path) { self.path = path == .avx512 && !Self.hardwareSupported ? .reference : path }

    /// Bytes of scratch `gemm` wants for this shape (0 on the reference path); nil when the size overflows.
    public func workspaceBytes(m: Int, n: Int, k: Int, beta: Float) -> Int? {
        guard m >= 0, n >= 0, k >= 0 else { return nil }
        guard path == .avx512 else { return 0 }
        let bytes = cbf16_gemm_workspace_bytes(m, n, k, beta)  // size_t arrives as Int: SIZE_MAX reads −1
        return bytes >= 0 ? bytes : nil
    }

    /// The product. `workspace`: at least `workspaceBytes` bytes (any alignment), or nil to allocate one for
    /// this call. lda/ldb/ldc default to the packed row strides, as in `sgemm`.
    public func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        workspace: UnsafeMutableRawBufferPointer? = nil
    ) {
        let lda = lda ?? (transA ? m : k), ldb = ldb ?? (transB ? k : n), ldc = ldc ?? n
        precondition(m >= 0 && n >= 0 && k >= 0, "BF16GEMM: negative size \(m)×\(n)×\(k)")
        precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n,
                     "BF16GEMM: leading dimension below the row length")
        guard m > 0, n > 0 else { return }
        switch path {
        case .reference:
            cbf16_gemm_reference(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        case .avx512:
            guard let need = workspaceBytes(m: m, n: n, k: k, beta: beta) else {
                preconditionFailure("BF16GEMM: workspace size overflows for \(m)×\(n)×\(k)")
            }
            if let workspace, workspace.count >= need, let base = workspace.baseAddress {
                cbf16_gemm_avx512(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, base)
            } else {
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(need, 1), alignment: 64)
                defer { scratch.deallocate() }
                cbf16_gemm_avx512(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch)
            }
        }
    }
}
