#!/usr/bin/env bash
# The short fuzz run of `make test`: builds the libFuzzer harnesses
# (tests/fuzz/fuzz_*.c, clang with ASan and UBSan), runs each over its
# committed seed corpus, then fuzzes each for a few seconds. Fails naming the
# harness and the input on any crash, leak, timeout, out-of-memory or
# sanitizer report. Long runs: `make fuzz`.
#
# Environment: BUILD (build dir), FUZZ_SHORT_SECONDS [3].
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# Not a sub-make of `make test`'s jobserver: a make of its own.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -s -j2 BUILD="$BUILD" fuzz-build; then
	echo "FAIL: the fuzz harnesses do not build (clang and libclang-rt-14-dev: make deps)"
	exit 1
fi
names=()
for src in tests/fuzz/fuzz_*.c; do
	n=${src#tests/fuzz/fuzz_}
	names+=("${n%.c}")
done
BUILD=$BUILD tests/fuzz/run_fuzz.sh --seconds "${FUZZ_SHORT_SECONDS:-3}" "${names[@]}"
