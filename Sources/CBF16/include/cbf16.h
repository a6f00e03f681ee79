// bf16 GEMM building block: C (M×N, fp32) = α·op(A)·op(B) + β·C with both operands rounded to bfloat16
// (round to nearest, ties to even, as PyTorch's autocast) and fp32 accumulation.
//
// Layout is the one Kernels/GEMM.swift hands to cblas_sgemm: row-major; op(A) is M×K, stored M×K (lda ≥ K)
// or, when trans_a, K×M (lda ≥ M); op(B) is K×N, stored K×N (ldb ≥ N) or, when trans_b, N×K (ldb ≥ K);
// C is M×N with ldc ≥ N. β = 0 never reads C (NaN there is overwritten).
//
// Numerics of both paths (so the fallback gives the fast path's answer): for each C element the K products
// are summed in order, in pairs (k, k+1) with the odd index added first, each addition rounded to fp32 as
// vdpbf16ps does; a bf16 operand that is subnormal counts as zero and a subnormal partial sum is flushed to
// zero (the instruction's DAZ/FTZ). The final value is α·acc (one rounding), then fma(β, C, α·acc). On a
// Sapphire Rapids the vdpbf16ps path matched the reference bit for bit on finite data (Scripts/bf16); where
// partial sums overflow fp32 the instruction can differ (inf/NaN versus finite), so only that is not promised.
// Single-threaded: callers split work across their own threads.
#ifndef CBF16_H
#define CBF16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU and the OS support the AVX-512 BF16 path (AVX512F, AVX512BW, AVX512VL, AVX512_BF16, ZMM state
/// enabled by the OS through XSAVE), else 0. Reads cpuid and xgetbv on each call (about a microsecond): callers
/// keep the answer.
int cbf16_supported(void);

/// fp32 → bf16 bits, round to nearest, ties to even; NaN stays NaN (quiet, sign kept); ±inf stays ±inf;
/// subnormals are rounded like any other value (no flush here).
uint16_t cbf16_from_float(float x);
/// bf16 bits → fp32 (exact).
float cbf16_to_float(uint16_t h);
/// cbf16_from_float over n elements.
void cbf16_round_array(const float *src, uint16_t *dst, size_t n);

/// Bytes of scratch cbf16_gemm_avx512 needs for this call (64-byte alignment is done inside); SIZE_MAX when the
/// size overflows. The reference path needs none.
size_t cbf16_gemm_workspace_bytes(size_t m, size_t n, size_t k, float beta);

/// The portable scalar reference with the numerics above; the fallback where cbf16_supported() is 0.
void cbf16_gemm_reference(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                          const float *a, size_t lda, const float *b, size_t ldb, float beta,
                          float *c, size_t ldc);

/// The packed, cache-blocked vdpbf16ps path. Only call it where cbf16_supported() returned 1 (else it executes
/// illegal instructions). `workspace` holds at least cbf16_gemm_workspace_bytes(m, n, k, beta) bytes.
void cbf16_gemm_avx512(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                       const float *a, size_t lda, const float *b, size_t ldb, float beta,
                       float *c, size_t ldc, void *workspace);

#ifdef __cplusplus
}
#endif
#endif
