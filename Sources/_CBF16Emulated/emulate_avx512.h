// Scalar stand-ins for the AVX-512 intrinsics cbf16_avx512.c uses, so that its packing, blocking and edge
// masks can be tested on a CPU without AVX-512 (included by emulated.c, or by selftest builds with
// -DCBF16_EMULATE_AVX512 -include Sources/_CBF16Emulated/emulate_avx512.h). The
// vdpbf16ps stand-in follows Intel's pseudo-code (odd element first, DAZ on operands, FTZ on each sum): it
// checks the plumbing, not the hardware, which only a machine with AVX512_BF16 can.
#include <stdint.h>
#include <string.h>
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float __m512 __attribute__((vector_size(64)));
typedef long long __m512i __attribute__((vector_size(64)));
typedef short __m512bh __attribute__((vector_size(64)));
typedef uint16_t __mmask16;

typedef union { __m512i v; uint32_t u[16]; uint16_t h[32]; float f[16]; } Lanes;
static inline Lanes L(__m512i v) { Lanes l; l.v = v; return l; }
static inline Lanes LF(__m512 v) { Lanes l; memcpy(l.f, &v, 64); return l; }
static inline __m512 F(Lanes l) { __m512 v; memcpy(&v, l.f, 64); return v; }

static inline __m512i _mm512_castps_si512(__m512 x) { return LF(x).v; }
static inline __m512i _mm512_set1_epi32(int x) { Lanes l; for (int i = 0; i < 16; i++) l.u[i] = (uint32_t)x; return l.v; }
static inline __m512i _mm512_setzero_si512(void) { return _mm512_set1_epi32(0); }
static inline __m512 _mm512_setzero_ps(void) { Lanes l; for (int i = 0; i < 16; i++) l.f[i] = 0; return F(l); }
static inline __m512 _mm512_set1_ps(float x) { Lanes l; for (int i = 0; i < 16; i++) l.f[i] = x; return F(l); }
#define BIN32(name, expr) static inline __m512i name(__m512i x, __m512i y) { Lanes a = L(x), b = L(y), r; \
    for (int i = 0; i < 16; i++) { r.u[i] = (expr); } return r.v; }
BIN32(_mm512_and_si512, a.u[i] & b.u[i])
BIN32(_mm512_or_si512, a.u[i] | b.u[i])
BIN32(_mm512_add_epi32, a.u[i] + b.u[i])
BIN32(_mm512_mullo_epi32, a.u[i] * b.u[i])
static inline __m512i _mm512_srli_epi32(__m512i x, int s) { Lanes a = L(x); for (int i = 0; i < 16; i++) a.u[i] >>= s; return a.v; }
static inline __m512i _mm512_slli_epi32(__m512i x, int s) { Lanes a = L(x); for (int i = 0; i < 16; i++) a.u[i] <<= s; return a.v; }
static inline __mmask16 _mm512_cmpgt_epu32_mask(__m512i x, __m512i y) {
    Lanes a = L(x), b = L(y); __mmask16 m = 0; for (int i = 0; i < 16; i++) if (a.u[i] > b.u[i]) m |= 1u << i; return m;
}
static inline __m512i _mm512_mask_mov_epi32(__m512i src, __mmask16 k, __m512i x) {
    Lanes s = L(src), a = L(x); for (int i = 0; i < 16; i++) if (k >> i & 1) s.u[i] = a.u[i]; return s.v;
}
static inline __m512 _mm512_maskz_loadu_ps(__mmask16 k, const float *p) {
    Lanes l; for (int i = 0; i < 16; i++) l.f[i] = (k >> i & 1) ? p[i] : 0.0f; return F(l);
}
static inline void _mm512_mask_storeu_ps(float *p, __mmask16 k, __m512 x) {
    Lanes l = LF(x); for (int i = 0; i < 16; i++) if (k >> i & 1) p[i] = l.f[i];
}
static inline __m512i _mm512_loadu_si512(const void *p) { Lanes l; memcpy(l.u, p, 64); return l.v; }
static inline void _mm512_storeu_si512(void *p, __m512i x) { Lanes l = L(x); memcpy(p, l.u, 64); }
static inline __m512i _mm512_set_epi32(int e15, int e14, int e13, int e12, int e11, int e10, int e9, int e8,
                                       int e7, int e6, int e5, int e4, int e3, int e2, int e1, int e0) {
    int e[16] = {e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15};
    Lanes l; for (int i = 0; i < 16; i++) l.u[i] = (uint32_t)e[i]; return l.v;
}
static inline __m512i _mm512_set_epi16(short e31, short e30, short e29, short e28, short e27, short e26, short e25,
    short e24, short e23, short e22, short e21, short e20, short e19, short e18, short e17, short e16, short e15,
    short e14, short e13, short e12, short e11, short e10, short e9, short e8, short e7, short e6, short e5, short e4,
    short e3, short e2, short e1, short e0) {
    short e[32] = {e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15, e16, e17, e18, e19, e20,
                   e21, e22, e23, e24, e25, e26, e27, e28, e29, e30, e31};
    Lanes l; for (int i = 0; i < 32; i++) l.h[i] = (uint16_t)e[i]; return l.v;
}
static inline __m512i _mm512_permutex2var_epi16(__m512i a, __m512i idx, __m512i b) {
    Lanes x = L(a), y = L(b), k = L(idx), r;
    for (int i = 0; i < 32; i++) { int s = k.h[i] & 63; r.h[i] = s < 32 ? x.h[s] : y.h[s - 32]; }
    return r.v;
}
static inline void _mm512_mask_i32scatter_epi32(void *base, __mmask16 k, __m512i index, __m512i x, int scale) {
    Lanes ix = L(index), v = L(x);
    for (int i = 0; i < 16; i++) if (k >> i & 1) memcpy((char *)base + (int32_t)ix.u[i] * scale, &v.u[i], 4);
}
static inline __m512 _mm512_mul_ps(__m512 x, __m512 y) { Lanes a = LF(x), b = LF(y); for (int i = 0; i < 16; i++) a.f[i] *= b.f[i]; return F(a); }
static inline __m512 _mm512_fmadd_ps(__m512 x, __m512 y, __m512 z) {
    Lanes a = LF(x), b = LF(y), c = LF(z); for (int i = 0; i < 16; i++) a.f[i] = __builtin_fmaf(a.f[i], b.f[i], c.f[i]); return F(a);
}
static inline float emu_bf(uint16_t h) { if ((h & 0x7f80u) == 0) h &= 0x8000u; uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }
static inline float emu_ftz(float x) { uint32_t u; memcpy(&u, &x, 4); if ((u & 0x7f800000u) == 0) u &= 0x80000000u; memcpy(&x, &u, 4); return x; }
static inline __m512 _mm512_dpbf16_ps(__m512 src, __m512bh x, __m512bh y) {
    Lanes s = LF(src), a, b; memcpy(a.h, &x, 64); memcpy(b.h, &y, 64);
    for (int i = 0; i < 16; i++) {
        volatile float p1 = emu_bf(a.h[2 * i + 1]) * emu_bf(b.h[2 * i + 1]);
        float t = emu_ftz(s.f[i] + p1);
        volatile float p0 = emu_bf(a.h[2 * i]) * emu_bf(b.h[2 * i]);
        s.f[i] = emu_ftz(t + p0);
    }
    return F(s);
}
