// fp32 ↔ bf16 conversions, bit-level so that every compiler and CPU gives the same bits.
#include "cbf16.h"
#include <string.h>

uint16_t cbf16_from_float(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u);  // NaN: keep it quiet
    // Ties to even: add 0x7fff plus the lowest kept bit; a carry into the exponent is the correct rounding
    // (up to inf for values at or beyond bf16's largest finite + half an ulp).
    uint32_t lsb = (bits >> 16) & 1u;
    return (uint16_t)((bits + 0x7fffu + lsb) >> 16);
}

float cbf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float x;
    memcpy(&x, &bits, 4);
    return x;
}

void cbf16_round_array(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = cbf16_from_float(src[i]);
}
