#!/usr/bin/env bash
# The serving systems' baselines run end to end in the simulator as an operator
# runs them (`loudva --batch`), checked against their rules in the run's store:
# experiments/baselines.json runs; transparent(pin=1) runs every batch at the
# top clock; aimd starts at one frame; dynamic_batch's queue time-out rejects
# frames — each with its reason, after waiting at least the time-out, never
# lost — and DELAY keeps them.
. "$(dirname "$0")/lib.sh"

OUT=$SCRATCH/base
"$LOUDVA" --batch experiments/baselines.json --out "$OUT" >"$SCRATCH/table" 2>"$SCRATCH/progress" ||
	fail "baselines batch exited non-zero: $(tail -3 "$SCRATCH/progress")"
R=$OUT/report.json
check "18 runs = 3 trace instances x 6 policies" jq -e '(.runs | length) == 18' "$R"
check "the six labels" jq -e '[.summary[].policy] == ["transparent", "transparent(pin=1)",
	"loud(pred)", "dynamic_batch", "dynamic_batch(delay=0.5,timeout=2)", "aimd"]' "$R"
check "conservation in every run" jq -e 'all(.runs[]; .metrics as $m |
	$m.accepted == $m.ok + $m.late + $m.failed + $m.expired + $m.rejected and $m.frames_served > 0)' "$R"

DB=$OUT/loudva.db
q() { sqlite3 -batch -noheader "$DB" "$1"; }
top=$(jq '.freqs_hz | max' profiles/agx-xavier.json)
check "transparent(pin=1): every batch at the top clock ($top)" test "$(q "SELECT COUNT(*) FROM batches b
	JOIN runs r ON r.id = b.run_id WHERE r.policy = 'transparent(pin=1)' AND b.freq_hz != $top")" = 0
check "transparent(pin=1) ran batches" test "$(q "SELECT COUNT(*) FROM batches b JOIN runs r
	ON r.id = b.run_id WHERE r.policy = 'transparent(pin=1)'")" -gt 0
check "aimd: each run's first batch is one frame (start=1)" test "$(q "SELECT COUNT(*) FROM batches b
	JOIN runs r ON r.id = b.run_id WHERE r.policy = 'aimd' AND b.batch_id = (SELECT MIN(batch_id)
	FROM batches WHERE run_id = b.run_id) AND b.frames != 1")" = 0

# An overloaded AGX (16 cameras, 0.5 s budgets): the time-out rejects.
jq '.name = "overload" | .cluster = "'"$PWD"'/profiles/clusters/single-agx.json"
	| .traces = [{"name": "over", "generate": {"cameras": 16, "duration_s": 30, "budget_s": 0.5}}]
	| .policies = [{"name": "dynamic_batch", "params": {"max_queue_delay": 0.1, "timeout": 0.4}},
		{"name": "dynamic_batch", "params": {"max_queue_delay": 0.1, "timeout": 0.4, "timeout_action": 1}},
		{"name": "dynamic_batch", "params": {"allow_timeout_override": 1}}]
	| .baseline = "dynamic_batch(delay=0.1,timeout=0.4)"' experiments/baselines.json >"$SCRATCH/over.json"
"$LOUDVA" --batch "$SCRATCH/over.json" --out "$SCRATCH/over" >/dev/null 2>"$SCRATCH/progress" ||
	fail "overload batch exited non-zero: $(tail -3 "$SCRATCH/progress")"
DB=$SCRATCH/over/loudva.db
REJECT="dynamic_batch(delay=0.1,timeout=0.4)"
DELAY="dynamic_batch(delay=0.1,timeout=0.4,timeout_action=1)"
OVERRIDE="dynamic_batch(override=1)"
check "REJECT: some frames rejected" test "$(q "SELECT rejected FROM runs WHERE policy = '$REJECT'")" -gt 0
check "REJECT: the run's count is the frames' count" test "$(q "SELECT rejected FROM runs WHERE policy = '$REJECT'")" = \
	"$(q "SELECT COUNT(*) FROM frames f JOIN runs r ON r.id = f.run_id WHERE r.policy = '$REJECT' AND f.state = 'rejected'")"
check "REJECT: every rejected frame says why" test "$(q "SELECT COUNT(*) FROM frames f JOIN runs r ON r.id = f.run_id
	WHERE r.policy = '$REJECT' AND f.state = 'rejected' AND f.reason NOT LIKE 'timed out in the dynamic batcher%'")" = 0
check "REJECT: and waited its 0.4 s time-out, never dispatched" test "$(q "SELECT COUNT(*) FROM frames f
	JOIN runs r ON r.id = f.run_id WHERE r.policy = '$REJECT' AND f.state = 'rejected'
	AND (f.done_s - f.arrival_s < 0.4 - 1e-9 OR f.attempts != 0)")" = 0
check "DELAY: nothing rejected" test "$(q "SELECT rejected FROM runs WHERE policy = '$DELAY'")" = 0
check "override: frames rejected once their budget is spent" test "$(q "SELECT COUNT(*) FROM frames f
	JOIN runs r ON r.id = f.run_id WHERE r.policy = '$OVERRIDE' AND f.state = 'rejected'
	AND f.done_s < f.deadline_s - 1e-9")" = 0
check "every frame of every run ended" jq -e 'all(.runs[]; .metrics as $m |
	$m.accepted == $m.ok + $m.late + $m.failed + $m.expired + $m.rejected)' "$SCRATCH/over/report.json"

finish
