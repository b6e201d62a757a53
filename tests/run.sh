#!/usr/bin/env bash
# Runs every test: the cmocka unit programs (built with ASan+UBSan) and the
# command-line scenario scripts in tests/cli/. Prints each program's result,
# the log of anything that failed, and ends with one line: "N passed, N failed"
# (cmocka cases and scripts counted one each).
#
# Environment: LOUDVA, LOUDVA_AGENT (sanitizer builds), LOUDVA_REL,
# LOUDVA_AGENT_REL (optimised builds), BUILD (build dir).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export LOUDVA=${LOUDVA:-$BUILD/san/loudva}
export LOUDVA_REL=${LOUDVA_REL:-$BUILD/loudva}
export LOUDVA_AGENT=${LOUDVA_AGENT:-$BUILD/san/loudva-agent}
export LOUDVA_AGENT_REL=${LOUDVA_AGENT_REL:-$BUILD/loudva-agent}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TMPDIR=${TMPDIR:-/tmp}
LOGS=$BUILD/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"

passed=0
failed=0
failed_names=()

run_unit() {
	local bin=$1 name log rc p f
	name=$(basename "$bin")
	log=$LOGS/$name.log
	"$bin" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed, sanitizer report, ...
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		printf '  FAIL  %-28s %d passed, %d failed (log: %s)\n' "$name" "$p" "$f" "$log"
		tail -40 "$log" | sed 's/^/        /'
	else
		printf '  ok    %-28s %d passed\n' "$name" "$p"
	fi
}

run_script() {
	local script=$1 name log
	name=$(basename "$script" .sh)
	log=$LOGS/$name.log
	if bash "$script" >"$log" 2>&1; then
		passed=$((passed + 1))
		printf '  ok    %-28s\n' "$name"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		printf '  FAIL  %-28s (log: %s)\n' "$name" "$log"
		tail -40 "$log" | sed 's/^/        /'
	fi
}

echo "unit tests (ASan+UBSan):"
for bin in "$BUILD"/san/tests/test_*; do
	[ -x "$bin" ] || continue
	run_unit "$bin"
done
echo "scenarios (real processes):"
for script in tests/cli/test_*.sh tests/agent/test_*.sh tests/live/test_*.sh \
	tests/console/test_*.sh tests/ssh/test_*.sh tests/fuzz/test_*.sh tests/install/test_*.sh; do
	[ -e "$script" ] || continue
	run_script "$script"
done

echo
if [ "$failed" -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
