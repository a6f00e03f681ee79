// Run-time detection of the AVX-512 BF16 path: the instruction sets from cpuid, and from xgetbv that the OS
// saves the opmask and full ZMM state (else using them corrupts registers across context switches).
#include "cbf16.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int cbf16_supported(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 27))) return 0;  // OSXSAVE: xgetbv is usable
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    // XMM (1), YMM (2), opmask (5), ZMM_Hi256 (6), Hi16_ZMM (7).
    const unsigned zmm_state = (1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7);
    if ((xcr0_lo & zmm_state) != zmm_state) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    unsigned max_subleaf;
    __cpuid_count(7, 0, max_subleaf, ebx, ecx, edx);
    const unsigned f = 1u << 16, bw = 1u << 30, vl = 1u << 31;  // AVX512F, AVX512BW, AVX512VL in EBX
    if ((ebx & (f | bw | vl)) != (f | bw | vl)) return 0;
    if (max_subleaf < 1) return 0;
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    return (eax >> 5) & 1u;  // AVX512_BF16
}
#else
int cbf16_supported(void) { return 0; }
#endif
