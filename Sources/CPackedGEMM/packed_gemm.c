#include "packed_gemm.h"
#include <stddef.h>

enum { MR = 16, NR = 6, KC = 384, NB = 96 };

long apg_packed_count(int m, int k) { return (long)((m + MR - 1) / MR) * MR * k; }

void apg_pack(int m, int k, const float *a, long lda, float *packed) {
    for (int p = 0; p < (m + MR - 1) / MR; p++) {
        float *dst = packed + (size_t)p * MR * k;
        for (int i = 0; i < MR; i++) {
            int row = p * MR + i;
            for (int kk = 0; kk < k; kk++) dst[(size_t)kk * MR + i] = row < m ? a[(size_t)row * lda + kk] : 0.0f;
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int apg_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* C[0..<rows, 0..<COLS] (+)= A panel slice (kc × 16) · B[0..<kc, 0..<COLS]; 2·COLS accumulators. */
#define DEFINE_KERNEL(COLS)                                                                                      \
    __attribute__((target("avx2,fma"))) static void kernel##COLS(int kc, const float *ap, const float *b,       \
                                                                 size_t ldb, float *c, size_t ldc, int rows,      \
                                                                 int accumulate) {                                \
        __m256 lo[COLS], hi[COLS];                                                                               \
        for (int j = 0; j < COLS; j++) { lo[j] = _mm256_setzero_ps(); hi[j] = _mm256_setzero_ps(); }             \
        for (int k = 0; k < kc; k++) {                                                                           \
            __m256 a0 = _mm256_loadu_ps(ap), a1 = _mm256_loadu_ps(ap + 8);                                         \
            for (int j = 0; j < COLS; j++) {                                                                     \
                __m256 bj = _mm256_broadcast_ss(b + j);                                                           \
                lo[j] = _mm256_fmadd_ps(a0, bj, lo[j]);                                                           \
                hi[j] = _mm256_fmadd_ps(a1, bj, hi[j]);                                                           \
            }                                                                                                    \
            ap += MR;                                                                                            \
            b += ldb;                                                                                            \
        }                                                                                                        \
        float out[COLS][MR] __attribute__((aligned(32)));                                                        \
        for (int j = 0; j < COLS; j++) { _mm256_store_ps(out[j], lo[j]); _mm256_store_ps(out[j] + 8, hi[j]); }   \
        for (int i = 0; i < rows; i++)                                                                           \
            for (int j = 0; j < COLS; j++)                                                                       \
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + out[j][i] : out[j][i];                           \
    }
DEFINE_KERNEL(1)
DEFINE_KERNEL(2)
DEFINE_KERNEL(3)
DEFINE_KERNEL(4)
DEFINE_KERNEL(5)
DEFINE_KERNEL(6)

typedef void (*kernel_fn)(int, const float *, const float *, size_t, float *, size_t, int, int);
static const kernel_fn kernels[NR + 1] = {0, kernel1, kernel2, kernel3, kernel4, kernel5, kernel6};

/* Column blocks of NB keep B's rows of a K block in L2 while every panel passes over them; within a panel the
 * K block's slice of A (KC × 16 floats, 24 KiB) stays in L1 across the column groups. */
void apg_multiply(int m, int n, int k, const float *packed, const float *b, long ldb, float *c, long ldc,
                  int panel_begin, int panel_end) {
    for (int n0 = 0; n0 < n; n0 += NB) {
        int n1 = n - n0 < NB ? n : n0 + NB;
        for (int p = panel_begin; p < panel_end; p++) {
            int rows = m - p * MR < MR ? m - p * MR : MR;
            const float *ap = packed + (size_t)p * MR * k;
            float *cp = c + (size_t)p * MR * ldc;
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = k - k0 < KC ? k - k0 : KC;
                for (int j = n0; j < n1; j += NR) {
                    int cols = n1 - j < NR ? n1 - j : NR;
                    kernels[cols](kc, ap + (size_t)k0 * MR, b + (size_t)k0 * ldb + j, (size_t)ldb, cp + j, (size_t)ldc,
                                  rows, k0 > 0);
                }
            }
        }
    }
}

#else
/* Not x86: no kernel (apg_available() is 0, so the callers keep OpenBLAS and never call the others). */
int apg_available(void) { return 0; }
void apg_multiply(int m, int n, int k, const float *packed, const float *b, long ldb, float *c, long ldc,
                  int panel_begin, int panel_end) {
    (void)m; (void)n; (void)k; (void)packed; (void)b; (void)ldb; (void)c; (void)ldc; (void)panel_begin; (void)panel_end;
}
#endif
