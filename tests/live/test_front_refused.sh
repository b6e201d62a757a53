#!/usr/bin/env bash
# Frames the front end refuses are counted, shown and logged: `loudva serve`
# on the embedded cluster is sent, by `loudva load`, a trace whose second
# request holds 89 images (more than the 64 a request may have: HTTP 413).
# Checked: `load` exits 1 and says the controller refused them; /status,
# /metrics and serve's event log all name the 89 frames and the reason; the
# good request around it is still served. And the three latency figures of
# the same run (serve's, load's, report's) each say what they measure.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
make_images "$SCRATCH/img"

printf 'Time,Frames After Filter,Camera Index,latency_constraint\n0,2,0,10\n0.2,89,1,10\n0.4,1,0,10\n' \
	>"$SCRATCH/t.csv"
start_serve "$SCRATCH/serve" --db "$SCRATCH/run.db" || finish

rc=0
"$LOUDVA" load --json --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT" \
	--images "$SCRATCH/img" >"$SCRATCH/load.json" 2>"$SCRATCH/load.err" || rc=$?
check "load exits 1 when the controller refused frames (got $rc: $(cat "$SCRATCH/load.err"))" \
	test "$rc" -eq 1
check "load says what was refused: $(cat "$SCRATCH/load.err")" \
	grep -q "the controller refused 1 requests (89 frames).*more than 64" "$SCRATCH/load.err"
check "load's --json counts the refused frames: $(cat "$SCRATCH/load.json")" \
	jq -e '.frames_refused == 89 and .requests_refused == 1 and .by_state.ok + .by_state.late == 3' \
	"$SCRATCH/load.json"

curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/status" >"$SCRATCH/status.json"
check "/status counts the refused request and frames: $(jq -c .refused "$SCRATCH/status.json")" \
	jq -e '.refused.requests == 1 and .refused.frames == 89 and
		.refused.by_reason.too_many_images.frames == 89' "$SCRATCH/status.json"
curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/metrics" >"$SCRATCH/metrics.txt"
check "/metrics counts the refused frames: $(grep refused "$SCRATCH/metrics.txt")" \
	grep -qx 'loudva_http_refused_frames_total{reason="too_many_images"} 89' "$SCRATCH/metrics.txt"
check "/metrics counts the refused request" \
	grep -qx 'loudva_http_refused_requests_total{reason="too_many_images"} 1' "$SCRATCH/metrics.txt"

# The text summary of the same load (refused once more) says what each figure measures.
"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT" --images "$SCRATCH/img" \
	>"$SCRATCH/load.txt" 2>&1
grep -q "latency: .*(round trip of each frame's request, as a camera sees it" "$SCRATCH/load.txt" ||
	fail "load's round trip unexplained: $(cat "$SCRATCH/load.txt")"
grep -q "controller: .*(each frame's request: headers received to answer ready" "$SCRATCH/load.txt" ||
	fail "load's controller figure unexplained: $(cat "$SCRATCH/load.txt")"

kill -INT "$SERVE_PID"
wait "$SERVE_PID"
check "serve logs the refusal: $(grep -i refus "$SCRATCH/serve.err")" \
	grep -qE "front: refused a request \(89 frames\): too_many_images: too many images" \
	"$SCRATCH/serve.err"

# The latency figures say what each measures (they differ, and now it shows why).
grep -qE "^latency +p50 [0-9.]+ s, p99 [0-9.]+ s \(per served frame: its request's arrival to its batch's end\)" \
	"$SCRATCH/serve.out" || fail "serve's latency line: $(grep latency "$SCRATCH/serve.out")"
"$LOUDVA" report "$SCRATCH/run.db" >"$SCRATCH/report.txt" 2>&1 || fail "report: $(cat "$SCRATCH/report.txt")"
grep -q "lat mean s: the mean latency of the served frames (ok and late), each from its request's arrival" \
	"$SCRATCH/report.txt" || fail "report's latency column unexplained: $(cat "$SCRATCH/report.txt")"
# The report for machines: --json and --csv, the same figures.
"$LOUDVA" report --json "$SCRATCH/run.db" >"$SCRATCH/report.json" || fail "report --json"
check "report --json: one run, its frames and latency: $(head -c 300 "$SCRATCH/report.json")" \
	jq -e 'length == 1 and .[0].frames >= 3 and .[0].ok + .[0].late >= 3 and (.[0].latency_mean_s > 0)' \
	"$SCRATCH/report.json"
"$LOUDVA" report --csv "$SCRATCH/run.db" >"$SCRATCH/report.csv" || fail "report --csv"
check "report --csv: a header and one row: $(cat "$SCRATCH/report.csv")" test "$(wc -l <"$SCRATCH/report.csv")" -eq 2
head -1 "$SCRATCH/report.csv" | grep -q "^run,policy,trace,trace_seed,seed,frames,ok,late,failed,expired,rejected,batches,energy_j,frames_per_joule,latency_mean_s,latency_max_s$" ||
	fail "report --csv header: $(head -1 "$SCRATCH/report.csv")"
expect_exit 2 "one or the other" -- report --json --csv "$SCRATCH/run.db"
finish
