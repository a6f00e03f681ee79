// The vdpbf16ps path: Goto-style blocking (jc over N, pc over K, ic over M) with A and B packed to bf16 pairs
// and a 12×32 register tile. Compiled for AVX-512 by function attribute only, so the file builds for any
// x86-64 and the caller picks it at run time (cbf16_supported).
#include "cbf16.h"
#include <stdint.h>
#include <string.h>

enum {
    MR = 12,   // rows of the register tile: 12 × 2 accumulators + 2 B vectors + a broadcast fit 32 ZMM
    NR = 32,   // columns: two ZMM of 16 fp32
    KC = 256,  // K per block (even): a packed B micro-panel, KC/2 × NR pairs = 16 KiB, stays in L1
    MC = 192,  // rows per packed A block (multiple of MR): MC × KC bf16 = 96 KiB, in L2
    NC = 4096  // columns per packed B block (multiple of NR): KC × NC bf16 = 2 MiB, in L2/L3
};

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// Sizes checked for overflow: a + b and a * b with SIZE_MAX as the poisoned result.
static size_t add_sz(size_t a, size_t b) { return (a == SIZE_MAX || b > SIZE_MAX - a) ? SIZE_MAX : a + b; }
static size_t mul_sz(size_t a, size_t b) {
    if (a == SIZE_MAX || b == SIZE_MAX) return SIZE_MAX;
    return (a != 0 && b > SIZE_MAX / a) ? SIZE_MAX : a * b;
}

// Scratch layout: packed A (MC × KC bf16), packed B (KC × NC bf16), and when β ≠ 0 and K spans several blocks,
// fp32 partial sums for M × min(N, NC) (C itself holds the partials when β = 0).
static size_t a_bytes(void) { return (size_t)MC * KC * 2; }
static size_t b_bytes(size_t n) { return (size_t)KC * round_up(n < NC ? n : NC, NR) * 2; }
static int needs_partials(size_t k, float beta) { return beta != 0.0f && k > KC; }

size_t cbf16_gemm_workspace_bytes(size_t m, size_t n, size_t k, float beta) {
    size_t total = add_sz(add_sz(64, a_bytes()), b_bytes(n));
    if (needs_partials(k, beta)) total = add_sz(total, mul_sz(mul_sz(m, n < NC ? n : NC), 4));
    return total;
}

#if defined(CBF16_EMULATE_AVX512)
// Sources/_CBF16Emulated includes this file after scalar stand-ins of the intrinsics (emulate_avx512.h), so
// the blocking is tested on machines without AVX-512.
#define TARGET
#define HAVE_AVX512_PATH 1
#elif defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define HAVE_AVX512_PATH 1
#endif

#ifdef HAVE_AVX512_PATH

// 16 fp32 → 16 bf16 in the low halves of 32-bit lanes, bit for bit as cbf16_from_float.
TARGET static inline __m512i round16(__m512 x) {
    __m512i bits = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(bits, _mm512_set1_epi32(0x7fff)), lsb), 16);
    __m512i magnitude = _mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(magnitude, _mm512_set1_epi32(0x7f800000));
    __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40));
    return _mm512_mask_mov_epi32(rounded, nan, quiet);
}

static inline uint32_t pair(float lo, float hi) {
    return (uint32_t)cbf16_from_float(lo) | ((uint32_t)cbf16_from_float(hi) << 16);
}

// B block (kb × nb at row k0, column j0 of op(B)) → strips of NR columns; in a strip, pair row q holds for
// each column the bf16 pair (k0+2q, k0+2q+1) as one 32-bit word. Missing rows/columns are zero.
TARGET static void pack_b(int trans_b, const float *b, size_t ldb, size_t k0, size_t kb, size_t j0, size_t nb,
                          uint32_t *out) {
    size_t kp = (kb + 1) / 2;
    for (size_t s = 0; s < nb; s += NR) {
        uint32_t *strip = out + s / NR * kp * NR;
        size_t cols = nb - s < NR ? nb - s : NR;
        if (!trans_b) {
            // Rows of B are contiguous along j: convert 16 columns of two rows and interleave in 32-bit lanes.
            for (size_t q = 0; q < kp; q++) {
                const float *r0 = b + (k0 + 2 * q) * ldb + j0 + s;
                const float *r1 = r0 + ldb;
                int has1 = 2 * q + 1 < kb;
                for (size_t h = 0; h < NR; h += 16) {
                    __mmask16 mask = h >= cols ? 0 : (cols - h >= 16 ? 0xffff : (__mmask16)((1u << (cols - h)) - 1));
                    __m512i lo = round16(_mm512_maskz_loadu_ps(mask, r0 + h));
                    __m512i hi = has1 ? round16(_mm512_maskz_loadu_ps(mask, r1 + h)) : _mm512_setzero_si512();
                    _mm512_storeu_si512(strip + q * NR + h, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
                }
            }
        } else {
            // Columns of op(B) are contiguous along k: 32 values of k become 16 pairs, scattered down the strip.
            const __m512i evens = _mm512_set_epi16(62, 60, 58, 56, 54, 52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 32,
                                                   30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
            const __m512i rows = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                                    _mm512_set1_epi32(NR));
            for (size_t jj = 0; jj < NR; jj++) {
                if (jj >= cols) {
                    for (size_t q = 0; q < kp; q++) strip[q * NR + jj] = 0;
                    continue;
                }
                const float *col = b + (j0 + s + jj) * ldb + k0;
                for (size_t kk = 0; kk < kb; kk += 32) {
                    size_t left = kb - kk;
                    __mmask16 m0 = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
                    __mmask16 m1 = left >= 32 ? 0xffff : (left <= 16 ? 0 : (__mmask16)((1u << (left - 16)) - 1));
                    __m512i lo = round16(_mm512_maskz_loadu_ps(m0, col + kk));
                    __m512i hi = round16(_mm512_maskz_loadu_ps(m1, col + kk + 16));
                    __m512i pairs = _mm512_permutex2var_epi16(lo, evens, hi);
                    size_t npairs = (left + 1) / 2 < 16 ? (left + 1) / 2 : 16;
                    __mmask16 pm = npairs >= 16 ? 0xffff : (__mmask16)((1u << npairs) - 1);
                    _mm512_mask_i32scatter_epi32(strip + (kk / 2) * NR + jj, pm, rows, pairs, 4);
                }
            }
        }
    }
}

// A block (mb × kb at row i0, column k0 of op(A)) → strips of MR rows; pair row q holds MR words. Only M × K
// elements per N block, so plain scalar code is fast enough.
static void pack_a(int trans_a, const float *a, size_t lda, size_t i0, size_t mb, size_t k0, size_t kb,
                   uint32_t *out) {
    size_t kp = (kb + 1) / 2;
    for (size_t r = 0; r < mb; r += MR) {
        uint32_t *strip = out + r / MR * kp * MR;
        for (size_t q = 0; q < kp; q++) {
            size_t k = k0 + 2 * q;
            int has1 = 2 * q + 1 < kb;
            for (size_t ii = 0; ii < MR; ii++) {
                size_t i = i0 + r + ii;
                if (r + ii >= mb) { strip[q * MR + ii] = 0; continue; }
                float lo = trans_a ? a[k * lda + i] : a[i * lda + k];
                float hi = has1 ? (trans_a ? a[(k + 1) * lda + i] : a[i * lda + k + 1]) : 0.0f;
                strip[q * MR + ii] = pair(lo, hi);
            }
        }
    }
}

typedef struct {
    int first, last;       // first/last K block: start from zero / write α·acc + β·C
    float alpha, beta;
    float *partial;        // where non-final blocks keep raw sums (C itself when β = 0)
    size_t ldp;
} Pass;

// One MR × NR tile: acc (from zero or the stored partials) += A strip · B strip over kp pairs, then stored.
TARGET static void tile(size_t kp, const uint32_t *pa, const uint32_t *pb, size_t rows, size_t cols,
                        float *c, size_t ldc, float *partial, const Pass *pass) {
    __mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? 0xffff : (cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1));
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
        if (pass->first || (size_t)i >= rows) {
            acc[i][0] = _mm512_setzero_ps();
            acc[i][1] = _mm512_setzero_ps();
        } else {
            acc[i][0] = _mm512_maskz_loadu_ps(m0, partial + i * pass->ldp);
            acc[i][1] = _mm512_maskz_loadu_ps(m1, partial + i * pass->ldp + 16);
        }
    }
    for (size_t q = 0; q < kp; q++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(pb + q * NR);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(pb + q * NR + 16);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)pa[q * MR + i]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
    }
    if (!pass->last) {
        for (size_t i = 0; i < rows; i++) {
            _mm512_mask_storeu_ps(partial + i * pass->ldp, m0, acc[i][0]);
            _mm512_mask_storeu_ps(partial + i * pass->ldp + 16, m1, acc[i][1]);
        }
        return;
    }
    __m512 alpha = _mm512_set1_ps(pass->alpha), beta = _mm512_set1_ps(pass->beta);
    for (size_t i = 0; i < rows; i++) {
        __m512 s0 = _mm512_mul_ps(alpha, acc[i][0]), s1 = _mm512_mul_ps(alpha, acc[i][1]);
        if (pass->beta != 0.0f) {
            s0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, c + i * ldc), s0);
            s1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, c + i * ldc + 16), s1);
        }
        _mm512_mask_storeu_ps(c + i * ldc, m0, s0);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, s1);
    }
}

TARGET void cbf16_gemm_avx512(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                              const float *a, size_t lda, const float *b, size_t ldb, float beta,
                              float *c, size_t ldc, void *workspace) {
    if (m == 0 || n == 0) return;
    if (k == 0) {  // the empty product, as Kernels/GEMM.swift defines it
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    uintptr_t base = ((uintptr_t)workspace + 63) & ~(uintptr_t)63;
    uint32_t *packed_a = (uint32_t *)base;
    uint32_t *packed_b = (uint32_t *)(base + a_bytes());
    float *partials = needs_partials(k, beta) ? (float *)(base + a_bytes() + b_bytes(n)) : NULL;
    size_t ldw = n < NC ? n : NC;

    for (size_t jc = 0; jc < n; jc += NC) {
        size_t nb = n - jc < NC ? n - jc : NC;
        for (size_t pc = 0; pc < k; pc += KC) {
            size_t kb = k - pc < KC ? k - pc : KC, kp = (kb + 1) / 2;
            Pass pass = {pc == 0, pc + kb == k, alpha, beta, NULL, 0};
            pack_b(trans_b, b, ldb, pc, kb, jc, nb, packed_b);
            for (size_t ic = 0; ic < m; ic += MC) {
                size_t mb = m - ic < MC ? m - ic : MC;
                pack_a(trans_a, a, lda, ic, mb, pc, kb, packed_a);
                for (size_t jr = 0; jr < nb; jr += NR) {
                    const uint32_t *pb = packed_b + jr / NR * kp * NR;
                    for (size_t ir = 0; ir < mb; ir += MR) {
                        const uint32_t *pa = packed_a + ir / MR * kp * MR;
                        float *ct = c + (ic + ir) * ldc + jc + jr;
                        float *pt = partials ? partials + (ic + ir) * ldw + jr : ct;
                        pass.ldp = partials ? ldw : ldc;
                        tile(kp, pa, pb, mb - ir < MR ? mb - ir : MR, nb - jr < NR ? nb - jr : NR, ct, ldc, pt, &pass);
                    }
                }
            }
        }
    }
}
#else
void cbf16_gemm_avx512(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                       const float *a, size_t lda, const float *b, size_t ldb, float beta,
                       float *c, size_t ldc, void *workspace) {
    (void)workspace;  // no AVX-512 on this architecture: cbf16_supported() is 0, the reference answers
    cbf16_gemm_reference(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#endif
