// The scalar reference: the numerics cbf16.h documents, written plainly. It is the fallback where the CPU
// lacks AVX512_BF16 and the yardstick the vectorised path is tested against.
#include "cbf16.h"
#include <math.h>
#include <string.h>

// The sums below are rounded one by one (the products are exact, so contracting them into FMAs changes
// nothing except for products below FLT_MIN; the self-test builds with -ffp-contract=off).
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

// A bf16 operand as vdpbf16ps reads it: subnormals count as (signed) zero.
static float operand(float x) {
    uint16_t h = cbf16_from_float(x);
    if ((h & 0x7f80u) == 0) h &= 0x8000u;
    return cbf16_to_float(h);
}

// A partial sum as vdpbf16ps leaves it: subnormal results flushed to (signed) zero.
static float flush(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7f800000u) == 0) bits &= 0x80000000u;
    memcpy(&x, &bits, 4);
    return x;
}

void cbf16_gemm_reference(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                          const float *a, size_t lda, const float *b, size_t ldb, float beta,
                          float *c, size_t ldc) {
    if (k == 0) {  // the empty product, as Kernels/GEMM.swift and the AVX-512 path define it
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (size_t p = 0; p < k; p += 2) {
                // Odd index first, as the instruction adds the pair's high half first; a missing odd element
                // (K odd) is the packed zero.
                float a1 = 0.0f, b1 = 0.0f;
                if (p + 1 < k) {
                    a1 = operand(trans_a ? a[(p + 1) * lda + i] : a[i * lda + p + 1]);
                    b1 = operand(trans_b ? b[j * ldb + p + 1] : b[(p + 1) * ldb + j]);
                }
                float a0 = operand(trans_a ? a[p * lda + i] : a[i * lda + p]);
                float b0 = operand(trans_b ? b[j * ldb + p] : b[p * ldb + j]);
                float prod1 = a1 * b1;  // exact: 8-bit × 8-bit significands
                acc = flush(acc + prod1);
                float prod0 = a0 * b0;
                acc = flush(acc + prod0);
            }
            float scaled = alpha * acc;
            c[i * ldc + j] = beta == 0.0f ? scaled : fmaf(beta, c[i * ldc + j], scaled);
        }
    }
}
