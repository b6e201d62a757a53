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
# one_policy POLICY TRACE [CLUSTER ARGS...]
one_policy() {
	POLICY=$1
	TRACE=$2
	shift 2
	CL=("$@")
	EMU=() # a cluster file's devices, emulated on loopback as the embedded cluster's are
	[ ${#CL[@]} -gt 0 ] && EMU=(--emulate)
	t0=$(awk -F, 'NR == 2 { print $1 }' "$TRACE")
	rm -f "$SCRATCH/info.json" "$SCRATCH/live.json" "$SCRATCH/sim.json"
	w_sim=$("$LOUDVA" sim --trace "$TRACE" "${CL[@]}" --policy $POLICY --json | jq .window_s)

	"$LOUDVA" serve --listen 127.0.0.1:0 --agent "$AGENT" "${CL[@]}" "${EMU[@]}" --policy $POLICY --json \
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
	"$LOUDVA" load --trace "$TRACE" --url "http://127.0.0.1:$port" --json \
		>"$SCRATCH/load.json" 2>"$SCRATCH/load.err" || fail "load: not every frame answered"
	left=$(awk -v a="$start" -v w="$w_sim" -v n="$(date +%s.%N)" 'BEGIN { d = a + w + 1.5 - n; print (d > 0 ? d : 0) }')
	sleep "$left"
	kill -INT $spid
	wait $spid || fail "serve exited non-zero: $(cat "$SCRATCH/serve.err")"
	w=$(jq .window_s "$SCRATCH/live.json")
	"$LOUDVA" sim --trace "$TRACE" "${CL[@]}" --policy $POLICY --until "$w" --json >"$SCRATCH/sim.json" ||
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
	one_policy $p "$SCRATCH/t.csv"
done

# eco's boost, live: on one AGX Xavier 40 frames (budget 4 s) start on a low
# clock, and 1.2 s later one frame with a 1 s budget arrives behind them.
# Only raising the clock mid-batch (PUT {"now": true} to the agent) serves it
# in time: the simulator shows it late without the boost, on time with it,
# and the live run must serve every frame in time as the twin does.
printf 'Time,Frames After Filter,Camera Index,Throughput,latency_constraint\n0.0,40,0,1,4\n1.2,1,1,1,1.0\n' \
	>"$SCRATCH/boost.csv"
ONE=(--cluster profiles/clusters/single-agx.json)
"$LOUDVA" sim --trace "$SCRATCH/boost.csv" "${ONE[@]}" --policy eco:boost=0 --json >"$SCRATCH/nb.json" ||
	fail "sim without boost"
check "without the boost the tight frame is late in the twin" jq -e '.late == 1' "$SCRATCH/nb.json"
one_policy eco "$SCRATCH/boost.csv" "${ONE[@]}"
check "eco live with the boost: every frame within budget" jq -e '.pct_frames_within_budget == 100' "$SCRATCH/live.json"
check "and in the twin" jq -e '.pct_frames_within_budget == 100 and .late == 0' "$SCRATCH/sim.json"
finish
