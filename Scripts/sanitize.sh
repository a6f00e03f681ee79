#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in its own build folder (.build-address, .build-thread).
#
#   Scripts/sanitize.sh address|thread [--filter REGEX]
#
# address: AddressSanitizer (out-of-bounds, use-after-free; leaks are not checked: LeakSanitizer reports
# the Swift runtime's intentional one-time allocations). thread: ThreadSanitizer, for the kernels that hand
# raw pointers to worker threads. Both in release mode, as the suite's timings assume; expect 2–5× slower.
# The benchmark tests skip themselves unless AUDIOSPECNET_BENCH is set, so they add nothing here.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: Scripts/sanitize.sh address|thread [--filter REGEX]}
shift
case $kind in
  address) export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1} ;;
  thread) export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} ;;
  *) echo "sanitizer must be address or thread, got $kind" >&2; exit 2 ;;
esac
# The CLI tests run the binary built here, with the same sanitizer.
export AUDIOSPECNET_BINARY="$PWD/.build-$kind/release/audiospecnet"
swift build -c release --scratch-path ".build-$kind" --sanitize="$kind"
swift test -c release --scratch-path ".build-$kind" --sanitize="$kind" --disable-swift-testing "$@"
