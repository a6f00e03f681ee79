// Test-only: Sources/CBF16/cbf16_avx512.c compiled against scalar stand-ins of its intrinsics, so that its
// packing, cache blocking and edge masks run (and are tested) on CPUs without AVX-512, CI's included.
#ifndef CBF16_EMULATED_H
#define CBF16_EMULATED_H
#include <stddef.h>

size_t cbf16_emulated_workspace_bytes(size_t m, size_t n, size_t k, float beta);
void cbf16_gemm_emulated(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                         const float *a, size_t lda, const float *b, size_t ldb, float beta,
                         float *c, size_t ldc, void *workspace);
#endif
