#!/usr/bin/env bash
# Live against simulated, as the design promises: one seeded camera trace and
# our candidate (eco) and no scheduler (transparent), replayed live (`loudva
# load` against `loudva serve` on the embedded emulated cluster, release builds) and in the simulator
# (`loudva sim`), over the same energy window. Frames per joule must agree
# within 5 % and the share of frames within budget within 3 points.
#
# The windows: the simulator's is [0, end] of trace time; serve is told the
# trace's first request time (--window-lead) so its summary's window opens
# that long before the first frame, and it is stopped no earlier than the
# simulator's own end; then sim is run again with --until the live window.
. "$(dirname "$0")/../cli/lib.sh"
LOUDVA=${LOUDVA_REL:-build/loudva}
AGENT=${LOUDVA_AGENT_REL:-build/loudva-agent}

"$LOUDVA" trace gen --cameras 3 --seed 11 --duration 20 --last-entry 10 --min-active 5 \
	--max-active 15 --budget 3 --out "$SCRATCH/t.csv" >/dev/null || fail "trace gen"
t0=$(awk -F, 'NR == 2 { print $1 }' "$SCRATCH/t.csv")
one_policy() {
	POLICY=$1
	rm -f "$SCRATCH/info.json" "$SCRATCH/live.json" "$SCRATCH/sim.json"
	w_sim=$("$LOUDVA" sim --trace "$SCRATCH/t.csv" --policy $POLICY --json | jq .window_s)

	"$LOUDVA" serve --listen 127.0.0.1:0 --agent "$AGENT" --policy $POLICY --json \
		--window-lead "$t0" --info "$SCRATCH/info.json" >"$SCRATCH/live.json" 2>"$SCRATCH/serve.err" &
	spid=$!
	for _ in $(seq 1 300); do
		[ -s "$SCRATCH/info.json" ] && break
		sleep 0.1
	done
	port=$(jq -r .port "$SCRATCH/info.json" 2>/dev/null) || {
		fail "$POLICY: serve did not start: $(cat "$SCRATCH/serve.err")"
		return
	}
	start=$(date +%s.%N)
	"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$port" --json \
		>"$SCRATCH/load.json" 2>"$SCRATCH/load.err" || fail "load: not every frame answered"
	left=$(awk -v a="$start" -v w="$w_sim" -v n="$(date +%s.%N)" 'BEGIN { d = a + w + 1.5 - n; print (d > 0 ? d : 0) }')
	sleep "$left"
	kill -INT $spid
	wait $spid || fail "serve exited non-zero: $(cat "$SCRATCH/serve.err")"
	w=$(jq .window_s "$SCRATCH/live.json")
	"$LOUDVA" sim --trace "$SCRATCH/t.csv" --policy $POLICY --until "$w" --json >"$SCRATCH/sim.json" ||
		fail "sim"

	live_fpj=$(jq .frames_per_joule "$SCRATCH/live.json")
	sim_fpj=$(jq .frames_per_joule "$SCRATCH/sim.json")
	live_ok=$(jq .pct_frames_within_budget "$SCRATCH/live.json")
	sim_ok=$(jq .pct_frames_within_budget "$SCRATCH/sim.json")
	echo "$POLICY live: $live_fpj frames/J, $live_ok % within budget; sim: $sim_fpj frames/J, $sim_ok %; window $w s"
	check "$POLICY: same frames live and simulated" test "$(jq .frames "$SCRATCH/live.json")" = "$(jq .frames "$SCRATCH/sim.json")"
	check "$POLICY: one window ($w vs $(jq .window_s "$SCRATCH/sim.json"))" \
		jq -e --argjson a "$w" '(.window_s - $a) | fabs < 1e-6' "$SCRATCH/sim.json"
	check "$POLICY: frames/J within 5 % (live $live_fpj, sim $sim_fpj)" \
		jq -n -e --argjson a "$live_fpj" --argjson b "$sim_fpj" '($a - $b) / $b | fabs <= 0.05'
	check "$POLICY: % within budget within 3 points (live $live_ok, sim $sim_ok)" \
		jq -n -e --argjson a "$live_ok" --argjson b "$sim_ok" '($a - $b) | fabs <= 3'
}

for p in eco transparent; do
	one_policy $p
done
finish
