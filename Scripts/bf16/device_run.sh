#!/usr/bin/env bash
# One device run: CPU model, the C self-test (AVX-512 path against the scalar reference) and micro-benchmark,
# then the fp32/bf16 yardsticks from Python where installed. Run from a folder holding Sources/CBF16 and
# Scripts/bf16 (the repository root, or a copy of those two folders).
set -uo pipefail
lscpu | grep -E "Model name|^CPU\(s\)|Thread|L1d|L2|L3|Flags" | sed 's/^Flags:.*/Flags (avx512*): '"$(grep -o 'avx512[a-z_0-9]*\|amx[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' ')"'/'
gcc --version | head -1
gcc -O3 -march=native -ffp-contract=off -Wall -I Sources/CBF16/include Sources/CBF16/*.c Scripts/bf16/selftest.c -lm -o "${TMPDIR:-/tmp}/bf16_selftest" || exit 1
timeout 200 "${TMPDIR:-/tmp}/bf16_selftest"; echo "selftest exit $?"
timeout 60 python3 Scripts/bf16/bench_reference.py 2>&1 | tail -12
