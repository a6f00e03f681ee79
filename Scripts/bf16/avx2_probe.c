// Probe, not product: does an AVX2 "bf16 emulation" (B stored as bf16, widened to fp32 by a zero interleave,
// multiplied with FMA in fp32) beat OpenBLAS's fp32 sgemm on an AVX2 machine? Same FMA count as sgemm plus
// the widening, so only the halved B traffic could help. Single thread, 6×16 register tile, K blocked at 256.
//   gcc -O3 -march=native Scripts/bf16/avx2_probe.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas -o avx2_probe
#include <cblas.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MR = 6, NR = 16, KC = 256 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static uint16_t bf(float x) { uint32_t u; memcpy(&u, &x, 4); return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16); }
static float fb(uint16_t h) { uint32_t u = (uint32_t)h << 16; float x; memcpy(&x, &u, 4); return x; }

// Packed B strip: for each k, 16 bf16 in the order the in-lane unpack puts back as columns 0..15.
static const int order[16] = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15};

static void kernel(int kb, const float *pa, const uint16_t *pb, float *c, int ldc, int first) {
    __m256 acc[MR][2];
    for (int i = 0; i < MR; i++) {
        acc[i][0] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + i * ldc);
        acc[i][1] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(c + i * ldc + 8);
    }
    const __m256i zero = _mm256_setzero_si256();
    for (int p = 0; p < kb; p++) {
        __m256i raw = _mm256_loadu_si256((const __m256i *)(pb + p * NR));
        __m256 b0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, raw));
        __m256 b1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, raw));
        for (int i = 0; i < MR; i++) {
            __m256 a = _mm256_broadcast_ss(pa + p * MR + i);
            acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < MR; i++) { _mm256_storeu_ps(c + i * ldc, acc[i][0]); _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]); }
}

// C (M×N) = A (M×K) · B (K×N), row-major, M multiple of 6 and N of 16 (a probe, not a general GEMM).
static void gemm_bf16_avx2(int m, int n, int k, const float *a, const float *b, float *c, float *pa, uint16_t *pb) {
    for (int pc = 0; pc < k; pc += KC) {
        int kb = k - pc < KC ? k - pc : KC;
        for (int s = 0; s < n / NR; s++)
            for (int p = 0; p < kb; p++)
                for (int j = 0; j < NR; j++) pb[(size_t)s * KC * NR + p * NR + j] = bf(b[(size_t)(pc + p) * n + s * NR + order[j]]);
        for (int r = 0; r < m / MR; r++) {
            for (int p = 0; p < kb; p++)
                for (int i = 0; i < MR; i++) pa[p * MR + i] = fb(bf(a[(size_t)(r * MR + i) * k + pc + p]));
            for (int s = 0; s < n / NR; s++) kernel(kb, pa, pb + (size_t)s * KC * NR, c + (size_t)r * MR * n + s * NR, n, pc == 0);
        }
    }
}

int main(void) {
    openblas_set_num_threads(1);
    const int shapes[][3] = {{66, 27648, 576}, {126, 6912, 1152}, {258, 1728, 2304}, {510, 432, 4608}};
    for (int t = 0; t < 4; t++) {
        int m = shapes[t][0], n = shapes[t][1], k = shapes[t][2];
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *c0 = malloc(sizeof(float) * m * n), *c1 = malloc(sizeof(float) * m * n), *pa = malloc(sizeof(float) * KC * MR);
        uint16_t *pb = malloc(2 * (size_t)KC * n);
        for (int i = 0; i < m * k; i++) a[i] = (float)rand() / RAND_MAX - 0.5f;
        for (int i = 0; i < k * n; i++) b[i] = (float)rand() / RAND_MAX - 0.5f;
        double best32 = 1e30, best16 = 1e30, flops = 2.0 * m * n * k;
        for (int rep = 0; rep < 3; rep++) {  // interleaved, best of 3 each: the machine is shared
            double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c0, n);
            double t1 = now();
            gemm_bf16_avx2(m, n, k, a, b, c1, pa, pb);
            double t2 = now();
            if (t1 - t0 < best32) best32 = t1 - t0;
            if (t2 - t1 < best16) best16 = t2 - t1;
        }
        double err = 0, scale = 0;
        for (int i = 0; i < m * n; i++) { err = fmax(err, fabs(c0[i] - c1[i])); scale = fmax(scale, fabs(c0[i])); }
        printf("M=%-4d N=%-6d K=%-5d: OpenBLAS sgemm %6.1f GFLOP/s, AVX2 bf16-widened %6.1f GFLOP/s (%.2fx), max|diff| %.1e of %.1e\n",
               m, n, k, flops / best32 * 1e-9, flops / best16 * 1e-9, best32 / best16, err, scale);
        free(a); free(b); free(c0); free(c1); free(pa); free(pb);
    }
    return 0;
}
