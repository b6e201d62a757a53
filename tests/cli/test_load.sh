#!/usr/bin/env bash
# `loudva load`, the camera workload client: bad input is refused with exit 2
# and one line; with nobody listening every frame is unanswered (exit 1, the
# first error named); against `loudva serve` on the embedded cluster every
# frame of a small trace is answered (exit 0) and the summary's counts equal
# the trace's, counted independently with awk.
. "$(dirname "$0")/lib.sh"

if "$LOUDVA" load --help 2>&1 | grep -q "unknown command"; then
	echo "SKIP: 'load' is not in loudva's command table yet"
	exit 0
fi

cat >"$SCRATCH/t.csv" <<'EOF'
Time,Frames After Filter,Camera Index,latency_constraint
0,2,0,10
0.2,3,1,
0.4,1,0,8
0.6,2,2,10
EOF
frames=$(awk -F, 'NR > 1 { n += $2 } END { print n }' "$SCRATCH/t.csv")
requests=$(awk 'NR > 1' "$SCRATCH/t.csv" | wc -l)
mkdir -p "$SCRATCH/empty"

# 1. Bad input: exit 2, one short line naming the problem.
expect_exit 2 "--trace FILE is required" -- load
expect_exit 2 "nope.csv" -- load --trace "$SCRATCH/nope.csv"
expect_exit 2 "--concurrency: '0' is not a count" -- load --trace "$SCRATCH/t.csv" --concurrency 0
expect_exit 2 "--speed: 'fast' is not a positive number" -- load --trace "$SCRATCH/t.csv" --speed fast
expect_exit 2 "no .jpg, .jpeg or .png files" -- load --trace "$SCRATCH/t.csv" --images "$SCRATCH/empty"
expect_exit 2 "unknown option '--bogus'" -- load --trace "$SCRATCH/t.csv" --bogus 1
expect_exit 0 "" -- load --help
grep -q "usage: loudva load" "$SCRATCH/out" || fail "--help prints the usage"

# 2. Nobody listening (port 1): /healthz is asked first, so it fails fast,
#    exit 1, naming the URL, and sends nothing (no summary of a replay).
expect_exit 1 "no controller at http://127.0.0.1:1/healthz" -- load --trace "$SCRATCH/t.csv" \
	--url http://127.0.0.1:1/inference --json
grep -q "nothing sent" "$SCRATCH/err" || fail "a dead URL: does not say nothing was sent: $(cat "$SCRATCH/err")"
[ ! -s "$SCRATCH/out" ] || fail "a dead URL: a replay summary was printed: $(cat "$SCRATCH/out")"

# 3. Against loudva serve on the embedded cluster, with a directory of images.
if [ -e tests/live/lib.sh ] && [ -x "${LOUDVA_AGENT:-build/san/loudva-agent}" ]; then
	. tests/live/lib.sh
	make_images "$SCRATCH/img"
	if start_serve "$SCRATCH/serve"; then
		rc=0
		"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "127.0.0.1:$SERVE_PORT" \
			--images "$SCRATCH/img" --json >"$SCRATCH/load.json" 2>"$SCRATCH/load.err" || rc=$?
		check "load exits 0 when every frame is answered (got $rc: $(cat "$SCRATCH/load.err"))" \
			test "$rc" -eq 0
		check "every request sent and answered" jq -e --argjson r "$requests" \
			'.requests == $r and .requests_sent == $r and .requests_answered == $r' \
			"$SCRATCH/load.json"
		check "every frame answered, in some state" jq -e --argjson n "$frames" \
			'.frames == $n and .frames_answered == $n and .frames_unanswered == 0 and
			 ([.by_state[]] | add) == $n' "$SCRATCH/load.json"
		check "latency percentiles ordered" jq -e \
			'.latency_p50_s > 0 and .latency_p50_s <= .latency_p95_s and
			 .latency_p95_s <= .latency_p99_s' "$SCRATCH/load.json"
		check "the controller's own time ordered and within the round trip" jq -e \
			'.controller_p50_s > 0 and .controller_p50_s <= .controller_p95_s and
			 .controller_p95_s <= .controller_p99_s and .controller_p99_s <= .controller_max_s and
			 .controller_p50_s <= .latency_p50_s and .controller_max_s <= .latency_max_s' \
			"$SCRATCH/load.json"
		# The text summary says the same.
		"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT/" \
			>"$SCRATCH/load.txt" 2>&1 || fail "text run failed: $(cat "$SCRATCH/load.txt")"
		grep -q "frames:   $frames sent of $frames, $frames answered" "$SCRATCH/load.txt" ||
			fail "text summary: $(cat "$SCRATCH/load.txt")"
		kill -INT "$SERVE_PID"
		wait "$SERVE_PID" || true
	fi
fi
finish
