#!/usr/bin/env bash
# Inputs taken as an operator means them (issue 18, bug 17):
#   trace gen --cameras 4 --duration 60 gives 4 cameras (the default window
#   start no longer outlives a short trace), a --last-entry past the end is
#   refused; profile import --out NEWDIR makes the directory; profile run
#   takes --freqs in MHz, to the nearest step (said), and refuses a bad one
#   before it starts anything.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh

# 1. trace gen: every camera asked for is in a short trace.
for seed in 1 2 3; do
	"$LOUDVA" trace gen --cameras 4 --duration 60 --seed $seed --out "$SCRATCH/t$seed.csv" \
		>"$SCRATCH/out" 2>"$SCRATCH/err" || fail "trace gen seed $seed: $(cat "$SCRATCH/err")"
	cams=$(awk -F, 'NR > 1 { c[$3] = 1 } END { print length(c) }' "$SCRATCH/t$seed.csv")
	check "trace gen --cameras 4 --duration 60 --seed $seed: 4 cameras, got $cams" test "$cams" -eq 4
done
expect_exit 2 "--last-entry: 100 s is not before the trace's end" -- \
	trace gen --cameras 2 --duration 60 --last-entry 100 --out "$SCRATCH/x.csv"

# 2. profile import --out a directory that does not exist yet.
if [ -d "${LOUDVA_DATA:-../shared/data/jetson-measurements}" ]; then
	expect_exit 0 "" -- profile import --kind nano --out "$SCRATCH/new/profiles"
	check "profile import made --out and wrote the profile" test -s "$SCRATCH/new/profiles/nano.json"
	grep -q "wrote $SCRATCH/new/profiles/nano.json" "$SCRATCH/out" || fail "import: $(tail -2 "$SCRATCH/out")"
else
	fail "the measurements are not at ../shared/data/jetson-measurements (or \$LOUDVA_DATA)"
fi

# 3. profile run --freqs in MHz: a bad clock is refused at once, nothing started.
expect_exit 2 "--freqs: '921.6GHzz' is not a clock" -- profile run --freqs 921.6GHzz --out "$SCRATCH/p.json"
grep -qi "agent" "$SCRATCH/err" && fail "a bad --freqs started an agent first: $(cat "$SCRATCH/err")"
if [ -x "${LOUDVA_AGENT:-build/san/loudva-agent}" ]; then
	"$LOUDVA" profile run --agent "${LOUDVA_AGENT:-build/san/loudva-agent}" --freqs 921.6MHz,500 \
		--batches 1 --requests 1 --out "$SCRATCH/p.json" >"$SCRATCH/run.out" 2>"$SCRATCH/run.err" ||
		fail "profile run --freqs in MHz: $(tail -3 "$SCRATCH/run.err")"
	grep -q -- "--freqs: 500 MHz -> 537.6 MHz, the nearest step" "$SCRATCH/run.err" ||
		fail "the nearest step not said: $(head -5 "$SCRATCH/run.err")"
	grep -q "2 points; wrote" "$SCRATCH/run.err" || fail "not 2 points measured: $(tail -3 "$SCRATCH/run.err")"
fi
finish
