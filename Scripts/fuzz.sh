#!/usr/bin/env bash
# Builds the libFuzzer driver (AddressSanitizer + libFuzzer, through the Swift toolchain) and fuzzes one
# entry point that reads bytes from outside for a given time.
#
#   Scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags…]     TARGET: audio | safetensors | csv
#
# The corpus grows in .build-fuzz/corpus/TARGET (seeded from Tests/Fixtures/fuzz/TARGET); a crashing input
# lands in .build-fuzz/artifacts/TARGET/: copy it to Tests/Fixtures/fuzz/TARGET/crash-<what> so that
# FuzzRegressionTests replays it forever after. Limits: 10 s per input, 1 GB of memory.
# libsndfile, FFTW, soxr and OpenBLAS are not instrumented: coverage is of the Swift code.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Scripts/fuzz.sh audio|safetensors|csv [seconds] [libFuzzer flags]}
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
flags=(-c release --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
swift build "${flags[@]}" --product audiospecnet-fuzz
bin="$(swift build "${flags[@]}" --show-bin-path)/audiospecnet-fuzz"
corpus=.build-fuzz/corpus/$target artifacts=.build-fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts"
FUZZ_TARGET=$target "$bin" "$corpus" "Tests/Fixtures/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=1024 -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
