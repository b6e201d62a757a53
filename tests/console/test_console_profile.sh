#!/usr/bin/env bash
# Profiling from the console, as an operator does it, on the embedded
# emulated thesis cluster in a 100x30 tmux pane: `:profile nano-01 ...`
# switches to the Profile view; the device is drained (the scheduler sends
# it no batch while it is measured: /status's batch count for it stands
# still) and shown as profiling in the Cluster view; a progress bar and the
# heatmap fill in; the values measured match the profile the emulated device
# runs on within 3% (read with jq); the profile file is written; the device
# is back in service afterwards; a second sweep is refused while one runs;
# x stops a later sweep, which releases the clock and keeps its points.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh
P=profiles/nano.json

start 100 30 "LANG=C.UTF-8 LC_ALL=C.UTF-8 '$LOUDVA' console --listen 127.0.0.1:0 \
	--results '$SCRATCH/results'"
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
port=$(screen | grep -oE "front end :[0-9]+" | grep -oE "[0-9]+$")
[ -n "$port" ] || fail "no front end port on the cluster view"
nano_batches() { curl -s "http://127.0.0.1:$port/status" | jq '.devices[] | select(.name == "nano-01") | .batches'; }
nano_state() { curl -s "http://127.0.0.1:$port/status" | jq -r '.devices[] | select(.name == "nano-01") | .state'; }

# 1. Start a sweep from the command bar: the Profile view, draining then measuring.
keys ':profile nano-01 clocks=768MHz,921.6MHz batches=1,2 requests=2' Enter
wait_for "the Profile view" 10 -E "^nano-01 \(nano\) +(draining|measuring)"
wait_for "the sweep measuring" 60 -E "^nano-01 \(nano\) +measuring"
[ "$(nano_state)" = draining ] || fail "nano-01 not drained during the sweep: $(nano_state)"
before=$(nano_batches)
screen | grep -qE "^ *[0-9]+% [0-9]/4 points" || fail "no progress line"
wait_for "the status line saying so" 15 -E "profiling nano-01 [0-9]/4"
keys 1
wait_for "nano-01 shown as profiling" 10 -E "^nano-01 +nano +prof "
keys ':profile nano-00' Enter
wait_for "one sweep at a time" 10 "nano-01 is being profiled"
[ "$(curl -s "http://127.0.0.1:$port/status" | jq -r '.devices[] | select(.name == "nano-00") | .state')" = up ] ||
	fail "a refused second sweep drained nano-00"
keys 6

# 2. The heatmap fills in, and ends with every point.
wait_for "a measured cell" 60 -E "^ +768 +[0-9]\.[0-9]{3}"
wait_for "the sweep done" 90 -E "^nano-01 \(nano\) +done"
screen | grep -qE "^100% 4/4 points" || fail "progress not at 4/4: $(screen | sed -n 3p)"
after=$(nano_batches)
[ "$before" = "$after" ] || fail "the scheduler used nano-01 during its sweep: $before -> $after batches"
epf() { jq -r --argjson f "$1" --argjson b "$2" '.points[] | select(.freq_hz == $f and .batch == $b) | .energy_j / $b' "$3"; }
lat() { jq -r --argjson f "$1" --argjson b "$2" '.points[] | select(.freq_hz == $f and .batch == $b) | .latency_s' "$3"; }
within() { awk -v a="$1" -v b="$2" -v p="${3:-0.03}" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d <= p) }'; }
OUT=$(ls "$SCRATCH"/results/profiles/nano-01-*.json 2>/dev/null | head -1)
[ -n "$OUT" ] || fail "no profile written under results/profiles/"
s=$(screen)
for f in 768000000 921600000; do
	mhz=$(awk -v f=$f 'BEGIN { printf "%.0f", f / 1e6 }')
	row=$(echo "$s" | grep -E "^ +$mhz +[0-9]")
	for b in 1 2; do
		want=$(epf $f $b $P)
		shown=$(echo "$row" | awk -v k=$((b + 1)) '{ gsub(/\*/, ""); print $k }')
		within "$shown" "$want" || fail "$mhz MHz batch $b: the heatmap shows $shown J/frame, the profile says $want"
		[ -n "$OUT" ] || continue
		within "$(epf $f $b "$OUT")" "$want" || fail "$f Hz b$b: written energy/frame $(epf $f $b "$OUT") vs $want"
		# Latency is the client's, as perf_analyzer's is: it includes sending 1-2 MB of
		# tensor, here from a sanitizer build sharing two cores with the console, the
		# controller, its workload and five agents, so it gets 6%; the device's own
		# compute time (the server's, in the samples) must match within 3%.
		within "$(lat $f $b "$OUT")" "$(lat $f $b $P)" 0.06 || fail "$f Hz b$b: written latency $(lat $f $b "$OUT") vs $(lat $f $b $P)"
		srv=$(awk -F, -v f=$f -v b=$b '$1 == f && $2 == b { s += $6; n++ } END { print s / n }' "$OUT.samples.csv")
		within "$srv" "$(lat $f $b $P)" || fail "$f Hz b$b: server compute $srv vs $(lat $f $b $P)"
	done
done
# The star sits on the least energy per frame of the four.
best=$(jq -r '[.points[] | select((.freq_hz == 768000000 or .freq_hz == 921600000) and .batch <= 2)] | min_by(.energy_j / .batch) | "\(.freq_hz / 1e6 | round) \(.batch)"' $P)
echo "$s" | grep -qE "least: [0-9.]+ J at ${best% *} MHz, batch ${best#* }" ||
	fail "best point should be ${best% *} MHz batch ${best#* }: $(echo "$s" | grep least)"

# The legend: what a blank cell and the star mean (the star is not a level).
echo "$s" | grep -q "blank: not yet" || fail "the heatmap legend does not say what a blank cell is"
echo "$s" | grep -qF "* marks the least (not a level)" || fail "the heatmap legend does not say what * is"

# 3. Back in service: marked up, and the log says so.
for _ in $(seq 1 50); do [ "$(nano_state)" = up ] && break; sleep 0.2; done
[ "$(nano_state)" = up ] || fail "nano-01 not up after the sweep: $(nano_state)"
keys 7
wait_for "the sweep in the log" 10 -E "profiling nano-01 finished: 4 points"

# 4. x stops a longer sweep: the clock is released, the points kept, the device up.
keys ':profile nano-00 batches=1-4 requests=3' Enter
wait_for "a second sweep measuring" 60 -E "^nano-00 \(nano\) +measuring"
wait_for "its first point" 90 -E "^ *[0-9]+% [1-9][0-9]*/44 points"
keys x
wait_for "the stop" 60 -E "stopped; clock released; [0-9]+ of 44 points kept"
for _ in $(seq 1 50); do
	[ "$(curl -s "http://127.0.0.1:$port/status" | jq -r '.devices[] | select(.name == "nano-00") | .state')" = up ] && break
	sleep 0.2
done
[ "$(curl -s "http://127.0.0.1:$port/status" | jq -r '.devices[] | select(.name == "nano-00") | .state')" = up ] ||
	fail "nano-00 not up after the stop"
ls "$SCRATCH"/results/profiles/nano-00-*.json.partial.json >/dev/null 2>&1 || fail "the stopped sweep kept no progress file"

# 5. Bad input is answered on the status line, nothing started.
keys ':profile nano-00 clocks=100MHz' Enter
wait_for "an unknown clock refused" 10 -E "100 MHz is not a clock of nano-00"

keys q
wait_for "the quit question" 10 "Quit anyway?"
keys y
wait_for "the console to exit" 60 CONSOLE-EXITED
[ "$(cat "$SCRATCH/rc")" = 0 ] || fail "exit status $(cat "$SCRATCH/rc")"
finish
