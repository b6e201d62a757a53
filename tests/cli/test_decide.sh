#!/usr/bin/env bash
# `loudva decide` as an operator uses it, on the thesis cluster. The chosen
# configuration is checked against the committed profiles read with jq (an
# independent route to the same numbers), not against the program's own output.
. "$(dirname "$0")/lib.sh"

CLUSTER=profiles/clusters/thesis.json
kind_of() { jq -r --arg d "$1" '.devices[] | select(.name == $d) | .kind' "$CLUSTER"; }

# energy_j / batch for (kind, freq, batch) from the profile, or empty when not measured.
measured_epf() {
	jq -r --argjson f "$2" --argjson b "$3" \
		'.points[] | select(.freq_hz == $f and .batch == $b) | .energy_j / .batch' \
		"profiles/$1.json"
}
measured_lat() {
	jq -r --argjson f "$2" --argjson b "$3" \
		'.points[] | select(.freq_hz == $f and .batch == $b) | .latency_s' "profiles/$1.json"
}

# 1. prof mode: the choice is a measured configuration that meets the deadline,
#    and no alternative that also meets it costs less per frame.
"$LOUDVA" decide --queue 12 --remaining 1.5 --mode prof --json >"$SCRATCH/d.json" ||
	fail "decide prof exited non-zero"
dev=$(jq -r .device "$SCRATCH/d.json")
f=$(jq -r .freq_hz "$SCRATCH/d.json")
b=$(jq -r .batch "$SCRATCH/d.json")
kind=$(kind_of "$dev")
check "prof: chose a known device ($dev)" test -n "$kind"
epf=$(measured_epf "$kind" "$f" "$b")
check "prof: chosen ($kind, $f, $b) is measured" test -n "$epf"
check "prof: energy per frame matches the profile" \
	jq -e --argjson want "$epf" '(.energy_per_frame_j - $want) | fabs < 1e-9' "$SCRATCH/d.json"
lat=$(measured_lat "$kind" "$f" "$b")
# expected = latency + 0.2 s safety margin (+ clock-change delay if the clock changes)
check "prof: expected latency >= measured + margin" \
	jq -e --argjson l "$lat" '.expected_latency_s >= $l + 0.2 - 1e-9' "$SCRATCH/d.json"
check "prof: meets the deadline" jq -e '.expected_latency_s <= 1.5 and .dispatch and (.wait | not)' "$SCRATCH/d.json"
check "prof: no cheaper feasible alternative" jq -e \
	'.energy_per_frame_j as $e | [.alternatives[] | select(.batch != null and .expected_latency_s <= 1.5 and .energy_per_frame_j < $e - 1e-12)] | length == 0' \
	"$SCRATCH/d.json"
check "prof: alternatives explain themselves" jq -e '(.alternatives | length) == 5 and all(.alternatives[]; .reason | length > 0)' "$SCRATCH/d.json"
check "prof: batch within the kind's max" jq -e --argjson m "$(jq .max_batch "profiles/$kind.json")" '.batch <= $m and .batch <= 12' "$SCRATCH/d.json"

# 2. pred mode answers too, with the same shape.
"$LOUDVA" decide --queue 12 --remaining 1.5 --mode pred --json >"$SCRATCH/p.json" ||
	fail "decide pred exited non-zero"
check "pred: dispatches within the deadline" jq -e '.dispatch and .expected_latency_s <= 1.5 and .energy_per_frame_j > 0' "$SCRATCH/p.json"

# 3. Only nano-00 available: everything else busy to the limit or down.
"$LOUDVA" decide --queue 3 --remaining 5 --mode prof --json --busy agx-xavier-00 --busy agx-xavier-00 \
	--down xavier-nx-00 --down xavier-nx-01 --busy nano-01 --busy nano-01 >"$SCRATCH/n.json" ||
	fail "decide with busy devices exited non-zero"
check "only nano-00 can take it" jq -e '.device == "nano-00"' "$SCRATCH/n.json"
check "unavailable devices are listed as such" jq -e \
	'[.alternatives[] | select(.reason | test("busy|down"))] | length >= 3' "$SCRATCH/n.json"

# 4. Plenty of slack and a short queue: the scheduler waits (strictness 4).
"$LOUDVA" decide --queue 2 --remaining 100 --mode prof --json >"$SCRATCH/w.json" || fail "decide wait"
check "waits with slack" jq -e '.wait and (.dispatch | not) and .ask_again_in_s > 0' "$SCRATCH/w.json"
"$LOUDVA" decide --queue 2 --remaining 100 --mode prof --policy loud:strictness=1000 --json >"$SCRATCH/w2.json" ||
	fail "decide strictness"
check "strictness is a parameter" jq -e '.dispatch' "$SCRATCH/w2.json"

# 5. Nothing can meet 0.1 s: fallback, and the table says so.
"$LOUDVA" decide --queue 64 --remaining 0.1 --mode prof --json >"$SCRATCH/f.json" || fail "decide fallback"
check "fallback when nothing meets r" jq -e '.fallback and .dispatch and .feasible == 0' "$SCRATCH/f.json"
"$LOUDVA" decide --queue 64 --remaining 0.1 --mode prof >"$SCRATCH/f.txt" || fail "decide table"
check "the table names the fallback" grep -q "no configuration meets" "$SCRATCH/f.txt"

# 6. --clock: only the AGX up, one frame, 0.3 s. At its top clock batch 1 takes
#    0.027 s (+0.2 s margin) and every other clock adds the 0.56 s clock change,
#    so only the current clock meets r. At 114.75 MHz (0.27 s) nothing does.
others="--down xavier-nx-00 --down xavier-nx-01 --down nano-00 --down nano-01"
"$LOUDVA" decide --queue 1 --remaining 0.3 --mode prof --json $others \
	--clock agx-xavier-00=1377000000 >"$SCRATCH/c.json" || fail "decide --clock top"
check "--clock top: stays at the current clock" jq -e '.freq_hz == 1377000000 and (.fallback | not) and .feasible == 1' "$SCRATCH/c.json"
"$LOUDVA" decide --queue 1 --remaining 0.3 --mode prof --json $others \
	--clock agx-xavier-00=114750000 >"$SCRATCH/c2.json" || fail "decide --clock low"
check "--clock low: nothing meets r" jq -e '.fallback and .feasible == 0' "$SCRATCH/c2.json"

# 7. The serving systems' baselines explain themselves, on the single AGX (max batch 64).
AGX=profiles/clusters/single-agx.json
"$LOUDVA" decide --cluster $AGX --queue 70 --remaining 5 --mode prof --policy dynamic_batch --json \
	>"$SCRATCH/db.json" || fail "decide dynamic_batch"
check "dynamic_batch: a full batch of 64" jq -e '.dispatch and .batch == 64 and (.why | test("full batch of 64"))' "$SCRATCH/db.json"
# Preferred sizes from the profile, read with jq: batches whose throughput b/L at the top clock is
# at least 0.95 of the best for b <= 64; with 40 queued the largest of them <= 40 goes out.
want=$(jq '(.freqs_hz | max) as $top | [.points[] | select(.freq_hz == $top and .batch <= 64)
	| {b: .batch, t: (.batch / .latency_s)}] | (map(.t) | max) as $best
	| [.[] | select(.t >= 0.95 * $best and .b <= 40) | .b] | max' profiles/agx-xavier.json)
"$LOUDVA" decide --cluster $AGX --queue 40 --remaining 5 --mode prof --json \
	--policy dynamic_batch:max_queue_delay=0.5 >"$SCRATCH/dp.json" || fail "decide dynamic_batch preferred"
check "dynamic_batch: the largest preferred size ($want)" jq -e --argjson w "$want" \
	'.dispatch and .batch == $w and (.why | test("largest preferred"))' "$SCRATCH/dp.json"
"$LOUDVA" decide --cluster $AGX --queue 3 --remaining 5 --oldest 0.1 --mode prof --json \
	--policy dynamic_batch:max_queue_delay=0.5 >"$SCRATCH/dw.json" || fail "decide dynamic_batch wait"
check "dynamic_batch: waits for the queue delay" jq -e '.wait and .ask_again_in_s == 0.5' "$SCRATCH/dw.json"
"$LOUDVA" decide --cluster $AGX --queue 3 --remaining -0.5 --mode prof \
	--policy dynamic_batch:allow_timeout_override=1 --json >"$SCRATCH/dr.json" || fail "decide reject"
check "dynamic_batch: rejects a frame whose budget ran out in the queue" jq -e \
	'.reject == 1 and (.dispatch | not) and (.wait | not) and (.reject_reason | test("timed out"))' "$SCRATCH/dr.json"
"$LOUDVA" decide --cluster $AGX --queue 3 --remaining -0.5 --mode prof \
	--policy dynamic_batch:allow_timeout_override=1 >"$SCRATCH/dr.txt" || fail "decide reject table"
check "the table names the reject" grep -q "reject 1 frame at the head of the queue: timed out" "$SCRATCH/dr.txt"
"$LOUDVA" decide --cluster $AGX --queue 5 --remaining 5 --mode prof --policy aimd --json >"$SCRATCH/a.json" ||
	fail "decide aimd"
check "aimd: the starting cap of 1" jq -e '.batch == 1 and (.why | test("batch cap is 1.00"))' "$SCRATCH/a.json"
"$LOUDVA" decide --cluster $AGX --queue 5 --remaining 5 --mode prof --policy transparent:pin=1 --json \
	--clock agx-xavier-00=114750000 >"$SCRATCH/t.json" || fail "decide transparent:pin=1"
check "transparent:pin=1: the top clock, set and dispatched" jq -e \
	'.policy == "transparent(pin=1)" and .freq_hz == 1377000000 and .clocks == [{"device": "agx-xavier-00", "freq_hz": 1377000000}]' \
	"$SCRATCH/t.json"


# 8. Bad input: one line naming what was wrong, exit 2.
expect_exit 2 "5000 MHz is outside this device's clocks: 153.6 230.4" -- decide --queue 1 --remaining 1 --clock nano-00=5000
# MHz to the nearest step, said: 1377 is the AGX's top clock exactly; 500 on a nano is 537.6.
"$LOUDVA" decide --queue 1 --remaining 0.3 --mode prof --down xavier-nx-00 --down xavier-nx-01 \
	--down nano-00 --down nano-01 --json --clock agx-xavier-00=1377 >"$SCRATCH/c3.json" ||
	fail "decide --clock in MHz"
check "--clock 1377 (MHz) is 1377000000 Hz" jq -e '.freq_hz == 1377000000' "$SCRATCH/c3.json"
expect_exit 0 "nano-00=500: 500 MHz -> 537.6 MHz, the nearest step" -- decide --queue 1 --remaining 1 --clock nano-00=500
expect_exit 2 "no device 'bogus'" -- decide --queue 1 --remaining 1 --busy bogus
expect_exit 2 "--remaining: 'abc'" -- decide --queue 1 --remaining abc
expect_exit 2 "--queue: '-3'" -- decide --queue -3 --remaining 1
expect_exit 2 "--mode: 'best'" -- decide --queue 1 --remaining 1 --mode best
expect_exit 2 "unknown policy 'fastest'" -- decide --queue 1 --remaining 1 --policy fastest
expect_exit 2 "parameter strictness: 'x' is not a number" -- decide --queue 1 --remaining 1 --policy loud:strictness=x
expect_exit 2 "unknown parameter 'speed'" -- decide --queue 1 --remaining 1 --policy loud:speed=2
expect_exit 2 "required" -- decide --queue 1
expect_exit 2 "timeout_action: 3 is outside [0, 1]" -- decide --queue 1 --remaining 1 --policy dynamic_batch:timeout_action=3

mkdir -p "$SCRATCH/p/clusters"
cp profiles/*.json "$SCRATCH/p/"
printf '{"name": "x", "devices": [{"name": "a", "kind": "tx2"}]}' >"$SCRATCH/p/clusters/tx2.json"
expect_exit 2 "devices[0].kind: no usable profile for 'tx2'" -- decide --queue 1 --remaining 1 --cluster "$SCRATCH/p/clusters/tx2.json"
printf '{"name": "x", "devices": [{"name": "a"}]}' >"$SCRATCH/p/clusters/nokind.json"
expect_exit 2 "devices[0].kind: missing" -- decide --queue 1 --remaining 1 --cluster "$SCRATCH/p/clusters/nokind.json"
printf '{"name": "x", "devices": [' >"$SCRATCH/p/clusters/trunc.json"
expect_exit 2 "trunc.json" -- decide --queue 1 --remaining 1 --cluster "$SCRATCH/p/clusters/trunc.json"
printf '{"name": "x", "devices": [{"name": "a", "kind": "nano"}]}' >"$SCRATCH/p/clusters/one.json"
jq '.points[3].latency_s = -1' profiles/nano.json >"$SCRATCH/p/nano.json"
expect_exit 2 "points[3].latency_s" -- decide --queue 1 --remaining 1 --mode prof --cluster "$SCRATCH/p/clusters/one.json"
expect_exit 2 "missing.json" -- decide --queue 1 --remaining 1 --cluster "$SCRATCH/missing.json"

finish
