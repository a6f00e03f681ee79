// The AVX-512 path's own source, renamed and built over emulate_avx512.h (see cbf16_emulated.h).
#define CBF16_EMULATE_AVX512 1
#include "emulate_avx512.h"
#define cbf16_gemm_avx512 cbf16_gemm_emulated
#define cbf16_gemm_workspace_bytes cbf16_emulated_workspace_bytes
#include "../CBF16/cbf16_avx512.c"
