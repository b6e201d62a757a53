#!/usr/bin/env bash
# `loudva profile run` (sanitizer build) against real emulated agents built
# from profiles/nano.json: the measured latency and energy of every point
# must match the profile within 3% (expected values read with jq, never from
# the program); an interrupted sweep releases the clock and resumes to a
# complete profile; a device that dies mid-sweep gives exit 1, a message
# naming it and the point, and a profile marked incomplete. A spec-only
# kind (an AGX Orin) is refused until a sweep on its board measures it,
# then scheduled. The first sweep also measures the jpeg ensemble's
# preprocessing term (the agent serves the model and its jpeg ensemble, as
# a Triton with both loaded): it must recover the term the emulated agent
# applies (the profile's estimate) within 5%, be written to the profile and
# read back; the uint8 ensemble, not served, is said and left to the
# estimate; --no-preprocess skips it.
. "$(dirname "$0")/lib.sh"
LOUDVA=${LOUDVA:-build/san/loudva}
PROF=profiles/nano.json
F1=768000000
F2=921600000
echo "prof-token" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"

lat() { jq -r --argjson f "$1" --argjson b "$2" '.points[] | select(.freq_hz == $f and .batch == $b) | .latency_s' "$3"; }
energy() { jq -r --argjson f "$1" --argjson b "$2" '.points[] | select(.freq_hz == $f and .batch == $b) | .energy_j' "$3"; }
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d <= p) }'; }
cluster() { # cluster NAME URL FILE
	printf '{"name": "t", "profiles": "%s", "devices": [{"name": "%s", "kind": "nano", "agent": "%s", "triton": "%s"}]}\n' \
		"$PWD/profiles" "$1" "$2" "$2" >"$3"
}
pinned() { curl -s "$1/gpu/frequency" | jq -r .pinned; }
run() { "$LOUDVA" profile run --cluster "$1" --token-file "$SCRATCH/token" --device "$2" \
	--freqs $F1,$F2 --batches 1,2 --requests 2 "${@:3}"; }

start_agent A --emulate nano --profile "$PROF" --token-file "$SCRATCH/token" \
	--model inception_graphdef --model inception_graphdef_jpeg
cluster nano-00 "$A_URL" "$SCRATCH/a.json"

# ---- 1. a sweep matches the profile ------------------------------------------------
OUT=$SCRATCH/p.json
rc=0
run "$SCRATCH/a.json" nano-00 --out "$OUT" 2>"$SCRATCH/run1.err" || rc=$?
check "sweep exits 0 (got $rc: $(tail -3 "$SCRATCH/run1.err"))" test "$rc" -eq 0
check "clock released after the sweep" test "$(pinned "$A_URL")" = false
check "profile marked complete" jq -e '.source | startswith("complete")' "$OUT"
for f in $F1 $F2; do
	for b in 1 2; do
		want_l=$(lat $f $b $PROF) got_l=$(lat $f $b "$OUT")
		want_e=$(energy $f $b $PROF) got_e=$(energy $f $b "$OUT")
		# The client's latency (perf_analyzer's) also carries the loopback upload of
		# the 1 MB/frame tensor, a few ms from a sanitizer build on a loaded machine:
		# it must not be faster than the device, and within 3% plus 10 ms of it. The
		# device's own time (the server's compute) is held to 1% below.
		check "$f Hz b$b latency $got_l vs $want_l within 3% + 10 ms" \
			awk -v a="$got_l" -v b="$want_l" 'BEGIN { exit !(a >= 0.99 * b && a <= 1.03 * b + 0.010) }'
		check "$f Hz b$b energy $got_e vs $want_e within 3%" within "$got_e" "$want_e" 0.03
		srv=$(awk -F, -v f=$f -v b=$b '$1 == f && $2 == b { s += $6; n++ } END { print s / n }' "$OUT.samples.csv")
		check "$f Hz b$b server compute $srv vs $want_l within 1%" within "$srv" "$want_l" 0.01
	done
	csv=$OUT.perf/energy_calculated_freq_$f.csv
	check "perf_analyzer CSV for $f" grep -q '^Concurrency, Mean Power (W), Avg Latency (s), Throughput (Inference/sec), Energy (J)$' "$csv"
	check "two rows in $csv" test "$(wc -l <"$csv")" -eq 3
done
check "unswept points kept" test "$(lat 153600000 1 "$OUT")" = "$(lat 153600000 1 $PROF)"
check "progress file removed on success" test ! -e "$OUT.partial.json"
check "profile loads, with its Pareto front" sh -c "\"$LOUDVA\" profile show \"$OUT\" | grep -q \"Pareto front\""
# The jpeg term the emulated agent applies: the estimate of profile.h, 8 ms per frame at the
# board's highest idle power plus 3 W. Measured at the top clock from batches 1 and 2.
want_pl=0.008
want_pe=$(jq '([.idle_power_w[]] | max + 3) * 0.008' $PROF)
got_pl=$(jq '.preprocess.jpeg.latency_s' "$OUT")
got_pe=$(jq '.preprocess.jpeg.energy_j' "$OUT")
check "jpeg preprocessing latency $got_pl vs $want_pl within 5%" within "$got_pl" "$want_pl" 0.05
check "jpeg preprocessing energy $got_pe vs $want_pe within 5%" within "$got_pe" "$want_pe" 0.05
check "  said with the estimate beside it" grep -q "^loudva profile run: jpeg: preprocessing .* per frame (mean over 1 clock; the estimate: 0.00800 s" "$SCRATCH/run1.err"
check "uint8 not served: said, not measured" grep -q "uint8: the device's Triton does not serve inception_graphdef_uint8 (HTTP 404): its preprocessing is not measured; the profile keeps the estimate" "$SCRATCH/run1.err"
check "  and not in the profile" jq -e '.preprocess | has("uint8") | not' "$OUT"
"$LOUDVA" profile show "$OUT" --no-predictor >"$SCRATCH/show1.txt" 2>&1
check "profile show reads the measured term back" grep -q "^preprocessing on the device, jpeg: .* per frame (measured by loudva profile run)$" "$SCRATCH/show1.txt"
check "  and the estimate for uint8" grep -q "^preprocessing on the device, uint8: 0.50 ms .* (estimate, not measured)$" "$SCRATCH/show1.txt"

# ---- 2. SIGINT releases the clock; --resume finishes ------------------------------------
OUT2=$SCRATCH/q.json
(exec "$LOUDVA" profile run --cluster "$SCRATCH/a.json" --token-file "$SCRATCH/token" \
	--device nano-00 --freqs $F1,$F2 --batches 1,2 --requests 2 --out "$OUT2" 2>"$SCRATCH/run2.err") &
pid=$!
for i in $(seq 1 400); do
	[ -s "$OUT2.partial.json" ] && break
	sleep 0.05
done
kill -INT $pid
rc=0
wait $pid || rc=$?
check "interrupted sweep exits 130 (got $rc)" test "$rc" -eq 130
check "clock released after SIGINT" test "$(pinned "$A_URL")" = false
n=$(jq '.points | length' "$OUT2.partial.json")
check "partial has 1..3 points (has $n)" test "$n" -ge 1 -a "$n" -le 3
rc=0
run "$SCRATCH/a.json" nano-00 --out "$OUT2" --resume --no-preprocess 2>"$SCRATCH/run3.err" || rc=$?
check "resumed sweep exits 0 (got $rc)" test "$rc" -eq 0
check "resume skipped measured points" grep -q "resuming with $n points" "$SCRATCH/run3.err"
check "resumed profile complete with 4 points" jq -e '.source | test("^complete.* 4 points")' "$OUT2"
check "--no-preprocess: said, and no term measured" sh -c "grep -q 'preprocessing not measured (--no-preprocess)' \"$SCRATCH/run3.err\" && jq -e 'has(\"preprocess\") | not' \"$OUT2\""
for f in $F1 $F2; do
	for b in 1 2; do
		check "resumed $f b$b measured" within "$(energy $f $b "$OUT2")" "$(energy $f $b $PROF)" 0.03
	done
done

# ---- 3. a device that dies mid-sweep ------------------------------------------------
start_agent B --emulate nano --profile "$PROF" --token-file "$SCRATCH/token"
cluster nano-01 "$B_URL" "$SCRATCH/b.json"
OUT3=$SCRATCH/r.json
(exec "$LOUDVA" profile run --cluster "$SCRATCH/b.json" --token-file "$SCRATCH/token" \
	--device nano-01 --freqs $F1,$F2 --batches 1,2 --requests 2 --out "$OUT3" 2>"$SCRATCH/run4.err") &
pid=$!
for i in $(seq 1 400); do
	[ -s "$OUT3.partial.json" ] && break
	sleep 0.05
done
stop_agent B KILL
rc=0
wait $pid || rc=$?
check "dead device exits 1 (got $rc)" test "$rc" -eq 1
check "error names device and point" grep -q "device nano-01 stopped answering at [0-9]* Hz, batch [0-9]" "$SCRATCH/run4.err"
check "partial profile marked incomplete" jq -e '.source | startswith("incomplete")' "$OUT3"
check "progress file kept" test -s "$OUT3.partial.json"

# ---- 4. the embedded emulated cluster ------------------------------------------------
rc=0
"$LOUDVA" profile run --freqs $F2 --batches 1 --requests 1 --out "$SCRATCH/e.json" \
	2>"$SCRATCH/run5.err" || rc=$?
check "embedded sweep exits 0 (got $rc: $(tail -2 "$SCRATCH/run5.err"))" test "$rc" -eq 0
check "embedded point within 3%" within "$(energy $F2 1 "$SCRATCH/e.json")" "$(energy $F2 1 $PROF)" 0.03
"$LOUDVA" profile run --bogus 2>/dev/null
check "bad option exits 2" test $? -eq 2

# ---- 5. a kind known by its specs only: refused until measured, then usable ----------
# An AGX Orin as a site runs it: the agent on the board (a fake JetPack 6 tree, a "kernel"
# loop here making cur_freq follow the pin, the public Orin lines replayed), Triton beside it
# (agent A's emulated Nano, so the latencies are a Nano's: this checks the workflow, not
# an Orin's figures).
OT=$SCRATCH/orin-tree
ODEV=$OT/sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu
mkdir -p "$OT/proc/device-tree" "$ODEV" "$OT/sys/class/devfreq"
printf 'NVIDIA Jetson AGX Orin Developer Kit\0' >"$OT/proc/device-tree/model"
jq -r '.freqs_hz | join(" ")' profiles/agx-orin.json >"$ODEV/available_frequencies"
jq -r '.freqs_hz[0]' profiles/agx-orin.json | tee "$ODEV/min_freq" >"$ODEV/cur_freq"
jq -r '.freqs_hz[-1]' profiles/agx-orin.json >"$ODEV/max_freq"
ln -s ../../devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu "$OT/sys/class/devfreq/17000000.gpu"
(while :; do cp "$ODEV/min_freq" "$ODEV/cur_freq.new" && mv "$ODEV/cur_freq.new" "$ODEV/cur_freq"; sleep 0.02; done) &
KERNEL_PID=$!
start_agent O --sysfs-root "$OT" --tegrastats tests/agent/fixtures/agx-orin-jp6.tegrastats.log \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"
mkdir -p "$SCRATCH/op"
cp profiles/*.json "$SCRATCH/op/"
printf '{"name": "o", "profiles": "%s", "devices": [{"name": "agx-orin-00", "kind": "agx-orin", "agent": "%s", "triton": "%s"}]}\n' \
	"$SCRATCH/op" "$O_URL" "$A_URL" >"$SCRATCH/o.json"
"$LOUDVA" profile show "$SCRATCH/op/agx-orin.json" --no-predictor >"$SCRATCH/oshow.txt" 2>&1
check "spec-only: profile show says it is not measured, naming the command" grep -q "^measure it on the board with loudva profile run --cluster FILE --device NAME --out profiles/agx-orin.json$" "$SCRATCH/oshow.txt"
rc=0
"$LOUDVA" decide --queue 1 --remaining 1 --cluster "$SCRATCH/o.json" 2>"$SCRATCH/od1.err" || rc=$?
check "spec-only: decide refuses (rc $rc)" test "$rc" -ne 0
check "  naming the kind and the command that measures it" grep -q "agx-orin (Jetson AGX Orin 64GB): no measured points yet.*loudva profile run --cluster FILE --device NAME" "$SCRATCH/od1.err"
OF=$(jq -r '.freqs_hz[1]' profiles/agx-orin.json)
rc=0
"$LOUDVA" profile run --cluster "$SCRATCH/o.json" --token-file "$SCRATCH/token" --device agx-orin-00 \
	--freqs "$OF" --batches 1 --requests 1 --max-windows 3 --out "$SCRATCH/op/agx-orin.json" 2>"$SCRATCH/orun.err" || rc=$?
check "the sweep of the AGX Orin exits 0 (got $rc: $(tail -2 "$SCRATCH/orun.err"))" test "$rc" -eq 0
check "  its profile has the measured point" jq -e "[.points[] | [.freq_hz, .batch]] == [[$OF, 1]]" "$SCRATCH/op/agx-orin.json"
check "  and the idle power measured at $OF Hz, no longer the estimate" jq -e --argjson f "$OF" '[.freqs_hz, .idle_power_w] | transpose | map(select(.[0] == $f))[0][1] != 7.132' "$SCRATCH/op/agx-orin.json"
check "  the clock released" test "$(cat "$ODEV/min_freq") $(cat "$ODEV/max_freq")" = "$(jq -r '"\(.freqs_hz[0]) \(.freqs_hz[-1])"' profiles/agx-orin.json)"
rc=0
"$LOUDVA" decide --queue 1 --remaining 1 --mode prof --cluster "$SCRATCH/o.json" >"$SCRATCH/od2.out" 2>"$SCRATCH/od2.err" || rc=$?
check "measured: decide schedules on it (rc $rc: $(tail -1 "$SCRATCH/od2.err"))" test "$rc" -eq 0
kill "$KERNEL_PID"
wait "$KERNEL_PID" 2>/dev/null

finish
