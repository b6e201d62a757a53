#!/usr/bin/env bash
# Runs every test: the cmocka unit programs (built with ASan+UBSan) and the
# scenario scripts (real processes). Items run TEST_JOBS at a time (default: the
# number of cores; the scenarios mostly wait on processes and sockets, so they
# pack well); those in SOLO run afterwards, one at a time, with nothing beside
# them, because they hold measured timing or energy to a model (an emulated
# agent's latency within 3%, a live run against the twin). Prints each
# item's result as it ends, with its wall time, the log of anything that failed,
# and ends with one line: "N passed, N failed" (cmocka cases and scripts counted
# one each).
#
# Environment: LOUDVA, LOUDVA_AGENT (sanitizer builds), LOUDVA_REL,
# LOUDVA_AGENT_REL (optimised builds), BUILD (build dir), TEST_JOBS,
# TEST_ONLY (a grep -E pattern on item names: run just those), ITEM_TIMEOUT (seconds an
# item may run before it is stopped and failed [900]).
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
JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
case $JOBS in '' | *[!0-9]* | 0)
	echo "tests/run.sh: TEST_JOBS must be a positive whole number, not '$JOBS'" >&2
	exit 2
	;;
esac
SOLO=" test_fidelity test_profile_run test_agent test_agent_jetson "
# The longest scenarios (a minute or more), started first so none ends the run alone.
LONG=" test_fuzz test_setup test_conservation test_store_faults test_install test_front_flood
	test_options test_agent_tls test_prometheus "
LOGS=$BUILD/test-logs
rm -rf "$LOGS" && mkdir -p "$LOGS"

passed=0
failed=0
failed_names=()

# run_item KIND PATH: runs one item, leaves "passed failed seconds" in
# $LOGS/NAME.result. A unit program counts its cmocka cases; a script counts one.
run_item() {
	local kind=$1 path=$2 name log rc p f t0
	name=$(item_name "$path")
	log=$LOGS/$name.log
	t0=${EPOCHREALTIME/./}
	# Each item has ITEM_TIMEOUT seconds [900]: one that hangs fails, named, and the
	# run goes on (timeout's 124, or 137 after the KILL that follows 30 s later).
	if [ "$kind" = unit ]; then
		timeout --kill-after=30 "${ITEM_TIMEOUT:-900}" "$path" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "TIMEOUT: still running after ${ITEM_TIMEOUT:-900} s, stopped" >>"$log"
		fi
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed, sanitizer report, ...
	else
		timeout --kill-after=30 "${ITEM_TIMEOUT:-900}" bash "$path" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then p=1 f=0; else p=0 f=1; fi
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "TIMEOUT: still running after ${ITEM_TIMEOUT:-900} s, stopped" >>"$log"
		fi
	fi
	echo "$p $f $(((${EPOCHREALTIME/./} - t0) / 1000000))" >"$LOGS/$name.result"
}

item_name() { basename "$1" .sh; }

# report PATH: adds an ended item's result to the totals and prints its line.
report() {
	local name p f s
	name=$(item_name "$1")
	read -r p f s <"$LOGS/$name.result" 2>/dev/null || { p=0 f=1 s=0; }
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		printf '  FAIL  %-28s %4ds  %d passed, %d failed (log: %s)\n' "$name" "$s" "$p" "$f" \
			"$LOGS/$name.log"
		tail -40 "$LOGS/$name.log" | sed 's/^/        /'
	else
		printf '  ok    %-28s %4ds  %d passed\n' "$name" "$s" "$p"
	fi
}

declare -A running=() # pid -> path
# pool KIND PATH...: runs the items JOBS at a time, reporting each as it ends.
pool() {
	local kind=$1 path pid
	shift
	for path in "$@"; do
		while [ "${#running[@]}" -ge "$JOBS" ]; do
			wait -n -p pid
			report "${running[$pid]}"
			unset "running[$pid]"
		done
		run_item "$kind" "$path" &
		running[$!]=$path
	done
}
drain() {
	local pid
	while [ "${#running[@]}" -gt 0 ]; do
		wait -n -p pid
		report "${running[$pid]}"
		unset "running[$pid]"
	done
}

selected() { [ -z "${TEST_ONLY:-}" ] || item_name "$1" | grep -Eq -- "$TEST_ONLY"; }

units=() long=() scripts=() solo=()
for bin in "$BUILD"/san/tests/test_*; do
	[ -x "$bin" ] && selected "$bin" && units+=("$bin")
done
for script in tests/cli/test_*.sh tests/agent/test_*.sh tests/live/test_*.sh \
	tests/console/test_*.sh tests/ssh/test_*.sh tests/fuzz/test_*.sh tests/install/test_*.sh; do
	[ -e "$script" ] && selected "$script" || continue
	case $SOLO in
	*" $(item_name "$script") "*) solo+=("$script") ;;
	*)
		case $LONG in
		*[[:space:]]"$(item_name "$script")"[[:space:]]*) long+=("$script") ;;
		*) scripts+=("$script") ;;
		esac
		;;
	esac
done

# One name, one log and one result: two items of a name would overwrite each other's.
dups=$(for x in "${units[@]}" "${long[@]}" "${scripts[@]}" "${solo[@]}"; do item_name "$x"; done |
	sort | uniq -d | paste -sd' ')
if [ -n "$dups" ]; then
	echo "tests/run.sh: more than one test is named $dups: rename one (the name is the file's, without .sh)" >&2
	exit 2
fi

echo "tests: ${#units[@]} unit programs (ASan+UBSan) and $((${#long[@]} + ${#scripts[@]})) scenarios, $JOBS at a time;" \
	"then ${#solo[@]} alone"
# Scenarios first, the longest first: they would otherwise end the run alone.
pool script "${long[@]}" "${scripts[@]}"
pool unit "${units[@]}"
drain
JOBS=1
pool script "${solo[@]}"
drain

echo
if [ "$failed" -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
