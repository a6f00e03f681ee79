#ifndef AUDIOSPECNET_PACKED_GEMM_H
#define AUDIOSPECNET_PACKED_GEMM_H

/* A GEMM for the thin products of inference at small batches: C (m×n) = A (m×k) · B (k×n), all row-major,
 * with A (the filters) packed once ahead of time into panels of 16 rows, so a call streams the filters once and
 * copies nothing; B is read in place. The micro-kernel holds 16 rows × up to 6 columns of C in 12 AVX2 registers,
 * so any n from 1 up runs at full width (OpenBLAS's kernels pad thin products and pack both operands per call).
 * Compiled for AVX2 + FMA and used only where apg_available() says the CPU has them. */

/* 1 when this CPU runs the AVX2 + FMA kernel, 0 otherwise (then nothing else here may be called). */
int apg_available(void);

/* Floats of a packed m×k matrix: m rounded up to 16, times k. */
long apg_packed_count(int m, int k);

/* Packs A (m×k, row stride lda) into `packed` (apg_packed_count floats): panel p holds rows
 * 16p..16p+15 as k groups of 16 floats; rows past m are zero. */
void apg_pack(int m, int k, const float *a, long lda, float *packed);

/* Rows [16·panel_begin, min(m, 16·panel_end)) of C (row stride ldc) = the packed A's rows · B (k×n, row stride
 * ldb). Panels are independent: split them over threads. */
void apg_multiply(int m, int n, int k, const float *packed, const float *b, long ldb, float *c, long ldc,
                  int panel_begin, int panel_end);

#endif
