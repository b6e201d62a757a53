#!/usr/bin/env bash
# Runs libFuzzer harnesses: each one first over its seed corpus
# (tests/fuzz/corpus/NAME/, every file once), then fuzzing for SECONDS.
# Stops at nothing: every harness runs, and the end says which failed, how
# (crash, leak, timeout, out of memory, sanitizer report) and on what input.
#
#   run_fuzz.sh [--seconds N] [--keep DIR] NAME...
#
# --seconds N  fuzzing time per harness [3]
# --keep DIR   keep what fuzzing finds: new inputs in DIR/corpus/NAME,
#              reproducers in DIR/artifacts/NAME (else a scratch directory)
#
# Environment: BUILD (build dir, binaries in $BUILD/fuzz/fuzz_NAME). Exit 0
# when every harness ran clean, 1 otherwise.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_EACH=3
KEEP=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_EACH=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "run_fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: run_fuzz.sh [--seconds N] [--keep DIR] NAME..." >&2; exit 2; }

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/loudva-fuzz.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
# Bounds for one input: 2 s, 1 GiB (ASan's shadow included), no single
# allocation above that either.
LIMITS=(-timeout=2 -rss_limit_mb=1024 -malloc_limit_mb=1024)
failures=()

# report NAME LOG WHAT INPUT: prints the failure and the end of the log.
report() {
	failures+=("$1: $3 on $4")
	echo "  FAIL  fuzz_$1: $3"
	echo "        input: $4"
	grep -E "ERROR: |runtime error:|contract broken|SUMMARY:|#[0-9]+ 0x" "$2" | head -12 |
		sed 's/^/        /'
}

# kind_of LOG: what went wrong, from libFuzzer's and the sanitizers' words.
kind_of() {
	if grep -q "ERROR: LeakSanitizer" "$1"; then echo "memory leak"
	elif grep -q "ERROR: libFuzzer: timeout" "$1"; then echo "timeout"
	elif grep -qE "ERROR: libFuzzer: (out-of-memory|malloc)" "$1"; then echo "out of memory"
	elif grep -q "runtime error:" "$1"; then echo "undefined behaviour"
	elif grep -q "stack-overflow" "$1"; then echo "stack overflow"
	elif grep -q "ERROR: AddressSanitizer" "$1"; then echo "memory error"
	elif grep -q "contract broken" "$1"; then echo "broken contract"
	else echo "crash"
	fi
}

for name in "$@"; do
	bin=$BUILD/fuzz/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	if [ ! -x "$bin" ]; then
		failures+=("$name: no binary $bin")
		echo "  FAIL  fuzz_$name: $bin not built"
		continue
	fi
	if [ -n "$KEEP" ]; then
		corpus=$KEEP/corpus/$name
		artifacts=$KEEP/artifacts/$name
	else
		corpus=$SCRATCH/corpus/$name
		artifacts=$SCRATCH/artifacts/$name
	fi
	mkdir -p "$corpus" "$artifacts"
	log=$SCRATCH/$name.log
	start=$(date +%s)

	# 1. every seed once, by name, so a failure names the committed input
	seed_files=()
	[ -d "$seeds" ] && mapfile -t seed_files < <(find "$seeds" -type f | sort)
	if [ ${#seed_files[@]} -gt 0 ]; then
		if ! "$bin" "${LIMITS[@]}" "${seed_files[@]}" >"$log" 2>&1; then
			input=$(sed -n 's/^Running: //p' "$log" | tail -1)
			report "$name" "$log" "$(kind_of "$log")" "${input:-one of $seeds/*}"
			continue
		fi
	fi

	# 2. fuzzing, from the seeds and what earlier runs kept
	dirs=("$corpus")
	[ -d "$seeds" ] && dirs+=("$seeds")
	if ! "$bin" "${LIMITS[@]}" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1; then
		input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		if [ -n "$input" ] && [ -z "$KEEP" ]; then
			# the scratch directory goes away: keep the reproducer in the build dir
			mkdir -p "$BUILD/fuzz/artifacts/$name"
			cp "$input" "$BUILD/fuzz/artifacts/$name/"
			input=$BUILD/fuzz/artifacts/$name/$(basename "$input")
		fi
		report "$name" "$log" "$(kind_of "$log")" "${input:-unknown (see the log above)}"
		continue
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	printf '  ok    fuzz_%-16s %3d seeds, %s runs in %ss\n' "$name" "${#seed_files[@]}" \
		"${runs:-?}" "$(($(date +%s) - start))"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "fuzzing failed:"
	printf '  %s\n' "${failures[@]}"
	exit 1
fi
exit 0
