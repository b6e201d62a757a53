#!/usr/bin/env bash
# `loudva --batch` with "mode": "live": experiments/live-tiny.json (two
# policies, one 12 s generated trace) on fresh embedded emulated clusters,
# release builds. The report must say mode "live", account for every frame,
# agree with `loudva sim` on the same trace and policy over the same window
# (frames/J within 5 %), keep each run's frames and telemetry in loudva.db,
# and leave no agent running.
#
# The window: each live run's window opens at trace time 0 (the controller's
# window lead) and closes at shutdown, no earlier than the simulator's common
# window; the simulator is then held to the live window with --until.
. "$(dirname "$0")/../cli/lib.sh"
LOUDVA=${LOUDVA_REL:-build/loudva}
AGENT=${LOUDVA_AGENT_REL:-build/loudva-agent}
OUT=$SCRATCH/live-tiny

TMPDIR="$SCRATCH" "$LOUDVA" --batch experiments/live-tiny.json --out "$OUT" --agent "$AGENT" \
	--jobs 2 --no-plots >"$SCRATCH/table.txt" 2>"$SCRATCH/batch.err" ||
	fail "batch live: $(cat "$SCRATCH/batch.err")"
R=$OUT/report.json
check "jobs forced to 1 (said so)" grep -q -- "--jobs 2 ignored" "$SCRATCH/batch.err"
check "two runs, all mode live" jq -e '(.runs | length) == 2 and all(.runs[]; .mode == "live") and .spec.mode == "live"' "$R"
check "every frame accounted for" jq -e 'all(.runs[].metrics; .frames > 0 and
	.frames == .frames_served + .expired + .failed + .rejected)' "$R"
check "no embedded agent left" sh -c "! pgrep -f 'loudva-agen[t].*$SCRATCH' >/dev/null"
check "report.csv says live" grep -q '^1,loud(pred),pred,live,' "$OUT/report.csv"
check "request figures measured live" jq -e 'all(.runs[].metrics; .requests > 0 and
	.pct_requests_within_budget != null)' "$R"
# Each run's record in loudva.db: every frame, and telemetry from all five agents.
for run in 1 2; do
	n=$(jq --argjson r "$run" '.runs[] | select(.run == $r) | .metrics.frames' "$R")
	check "loudva.db: run $run's $n frames" test "$(sqlite3 "$OUT/loudva.db" \
		"SELECT count(*) FROM frames WHERE run_id = $run")" = "$n"
	check "loudva.db: run $run's telemetry from five devices" test "$(sqlite3 "$OUT/loudva.db" \
		"SELECT count(DISTINCT device) FROM telemetry WHERE run_id = $run")" = 5
done

# The same trace as the spec generates, for the simulator.
"$LOUDVA" trace gen --cameras 3 --seed 11 --duration 12 --min-active 4 --max-active 9 \
	--last-entry 6 --budget 3 --out "$SCRATCH/t.csv" >/dev/null || fail "trace gen"
for p in loud round_robin; do
	run=$(jq -c --arg p "$p" '.runs[] | select(.policy | startswith($p)) | .metrics' "$R")
	w=$(jq .window_s <<<"$run")
	live_fpj=$(jq .frames_per_joule <<<"$run")
	"$LOUDVA" sim --trace "$SCRATCH/t.csv" --policy "$p" --mode pred --until "$w" --json \
		>"$SCRATCH/sim-$p.json" || fail "sim $p"
	sim_fpj=$(jq .frames_per_joule "$SCRATCH/sim-$p.json")
	echo "$p: live $live_fpj frames/J, sim $sim_fpj frames/J, window $w s"
	check "$p: same frames live and simulated" test "$(jq .frames <<<"$run")" = "$(jq .frames "$SCRATCH/sim-$p.json")"
	check "$p: one window" jq -e --argjson a "$w" '(.window_s - $a) | fabs < 1e-6' "$SCRATCH/sim-$p.json"
	check "$p: frames/J within 5 % (live $live_fpj, sim $sim_fpj)" \
		jq -n -e --argjson a "$live_fpj" --argjson b "$sim_fpj" '($a - $b) / $b | fabs <= 0.05'
done
finish
