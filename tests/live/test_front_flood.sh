#!/usr/bin/env bash
# The front end under attack while it serves cameras: `loudva serve` on the
# embedded cluster with a camera load (`loudva load` replaying a generated
# trace from 127.0.0.1) while, from other loopback addresses, 300 clients
# trickle their headers a byte a second (127.0.0.2..8) and 20 uploads
# announce 60 MB bodies, send 54 MB and hold them (127.0.0.9). Checked from outside:
# /healthz keeps answering, every camera frame is answered, the slow clients
# are cut off at the header time-out, held uploads beyond the byte budget are
# answered 503 with Retry-After and the one let in is cut off at the body
# time-out, the controller's peak memory stays within what the limits allow,
# and /status conserves frames. Before that, on the same controller: a
# request whose body comes after its budget has run out is answered expired
# with its real latency (the budget clock starts at the headers), and images
# over --max-request-pixels are refused 413 before decoding.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
make_images "$SCRATCH/img"
command -v python3 >/dev/null || fail "python3 is not installed"
FLOOD="python3 $(dirname "$0")/flood.py"

expect_exit 2 "--header-timeout: '0' is not" -- serve --header-timeout 0
expect_exit 2 "--max-buffered-bytes: '-5' is not" -- serve --max-buffered-bytes -5

HEADER_S=3
BODY_S=6
BUDGET_BYTES=$((64 * 1024 * 1024))
MAX_CONN=128
PER_CLIENT=32
start_serve "$SCRATCH/s" --max-connections $MAX_CONN --max-connections-per-client $PER_CLIENT \
	--header-timeout $HEADER_S --body-timeout $BODY_S --max-buffered-bytes $BUDGET_BYTES \
	--max-request-pixels 4000000 --json || finish
PID=$SERVE_PID
URL="http://127.0.0.1:$SERVE_PORT"
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status"; }
# jqe FILE JQ-ARGS...: jq -e on FILE, which must not be empty (jq -e passes on no input).
jqe() {
	local f=$1
	shift
	[ -s "$f" ] && jq -e "$@" "$f"
}

# 1. The budget clock: the body comes 2.5 s after the headers, the budget is 1 s.
IMAGE="$SCRATCH/img/a.jpg" $FLOOD slowbody "$SERVE_PORT" 2.5 1 >"$SCRATCH/slowbody.json"
check "a frame whose budget ran out before it was decoded is answered expired: $(cat "$SCRATCH/slowbody.json")" \
	jqe "$SCRATCH/slowbody.json" '.results[0].state == "expired" and (.results[0].reason | test("budget ran out"))'
check "its latency counts from its headers (about 2.5 s, not the 1 s budget): $(jq -c '[.latency, .results[0].latency_s]' "$SCRATCH/slowbody.json")" \
	jqe "$SCRATCH/slowbody.json" '.latency >= 2.3 and .results[0].latency_s >= 2.3'

# 2. Decoding work: 2 × 3 MP is over 4 MP, refused before decoding; 3 MP alone is served.
$FLOOD png 2000 1500 "$SCRATCH/big.png"
curl -s --max-time 60 -o "$SCRATCH/px2.json" -w '%{http_code}' -F "images=@$SCRATCH/big.png" \
	-F "images=@$SCRATCH/big.png" -F latency=20 "$URL/inference" >"$SCRATCH/px2.code"
check "two 2000×1500 images are refused 413 ($(cat "$SCRATCH/px2.code"))" test "$(cat "$SCRATCH/px2.code")" = 413
check "the refusal names max_request_pixels: $(cat "$SCRATCH/px2.json")" \
	jqe "$SCRATCH/px2.json" '.error | test("add up to 6000000 pixels.*over max_request_pixels \\(4000000\\)")'
curl -s --max-time 60 -o "$SCRATCH/px1.json" -w '%{http_code}' -F "images=@$SCRATCH/big.png" \
	-F latency=20 "$URL/inference" >"$SCRATCH/px1.code"
check "one is served ($(cat "$SCRATCH/px1.code"): $(cat "$SCRATCH/px1.json"))" \
	jqe "$SCRATCH/px1.json" '.results[0].state == "ok" or .results[0].state == "late"'

# 3. Cameras, and the flood from other addresses.
"$LOUDVA" trace gen --cameras 3 --seed 7 --duration 20 --min-active 8 --max-active 16 \
	--last-entry 4 --budget 5 --rate-cap 6 --out "$SCRATCH/t.csv" >/dev/null || fail "trace gen"
hwm0=$(hwm_kb)
"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "$URL" --images "$SCRATCH/img" --concurrency 16 \
	--json >"$SCRATCH/load.json" 2>"$SCRATCH/load.err" &
load_pid=$!
sleep 1
# /healthz from 127.0.0.1 twice a second while the flood lasts: each check may try 3 times.
(
	for _ in $(seq 1 40); do
		ok=0
		for _ in 1 2 3; do
			curl -sf --max-time 2 "$URL/healthz" -o /dev/null && ok=1 && break
			sleep 0.2
		done
		echo $ok
		sleep 0.5
	done >"$SCRATCH/healthz.txt"
) &
hz_pid=$!
$FLOOD uploads "$SERVE_PORT" 20 $((60 * 1024 * 1024)) $((54 * 1024 * 1024)) 127.0.0.9 \
	>"$SCRATCH/uploads.json" 2>"$SCRATCH/uploads.err" &
up_pid=$!
sleep 0.5
$FLOOD slow "$SERVE_PORT" 300 2 8 $((HEADER_S + 12)) >"$SCRATCH/slow.json" 2>"$SCRATCH/slow.err"
wait $up_pid || fail "uploads: $(cat "$SCRATCH/uploads.err")"
wait $hz_pid
wait $load_pid || fail "load: not every frame answered ($(tail -3 "$SCRATCH/load.err"))"
hwm1=$(hwm_kb)

n_hz=$(wc -l <"$SCRATCH/healthz.txt")
bad_hz=$(grep -c '^0$' "$SCRATCH/healthz.txt")
check "/healthz answered through the flood ($bad_hz of $n_hz checks failed)" test "$bad_hz" -eq 0 -a "$n_hz" -eq 40
check "every camera frame answered: $(jq -c '{frames_sent, frames_answered, frames_unanswered, requests_failed}' "$SCRATCH/load.json")" \
	jqe "$SCRATCH/load.json" '.frames_sent > 0 and .frames_answered == .frames_sent and .frames_unanswered == 0'

slow=$(cat "$SCRATCH/slow.json")
check "no slow client is left open ($slow)" jqe "$SCRATCH/slow.json" '.still_open == 0 and .answered == 0'
check "every slow client is cut off by the header time-out ($HEADER_S s, + 3 s)" \
	jqe "$SCRATCH/slow.json" --argjson t $HEADER_S '[.closed_after_s[] | select(. > $t + 3)] | length == 0'
check "those that were let in stayed until the header time-out" \
	jqe "$SCRATCH/slow.json" --argjson t $HEADER_S '[.closed_after_s[] | select(. >= $t - 0.3)] | length > 0'
check "none sent more than a few header bytes" jqe "$SCRATCH/slow.json" --argjson t $HEADER_S '.most_bytes_sent <= $t + 4'

up=$(cat "$SCRATCH/uploads.json")
check "held uploads over the byte budget are answered 503 with Retry-After ($up)" \
	jqe "$SCRATCH/uploads.json" '.refused_503 == 19 and .retry_after == 19 and .admitted == 1'
check "the one let in is cut off at the body time-out ($BODY_S s): $(jq -c .cut_after_s "$SCRATCH/uploads.json")" \
	jqe "$SCRATCH/uploads.json" --argjson t $BODY_S '.still_open == 0 and (.cut_after_s | length == 1) and
		.cut_after_s[0] >= $t - 0.3 and .cut_after_s[0] <= $t + 3'

# Peak memory over what it was before the cameras and the flood began, bounded
# by what the limits and the load allow: the byte budget twice (a buffer may
# grow by doubling), libmicrohttpd's 128 KB per connection and a thread stack's
# touched pages for every connection let in (128 KB), the cameras' frames in
# flight (16 requests of at most 6 frames, 1.1 MB of tensor each), the pools
# that keep tensors and decode buffers (64 tensors, 64 MB), and 64 MB of slack
# for the allocator. Unbounded, the held uploads alone would add 20 × 54 MB.
conn_kb=$(((MAX_CONN + MAX_CONN / 8 + 4) * 256))
camera_kb=$(((16 * 6 + 64) * 1100 + 64 * 1024))
bound_kb=$((2 * BUDGET_BYTES / 1024 + conn_kb + camera_kb + 64 * 1024))
check "peak memory grew by $(((hwm1 - hwm0) / 1024)) MB, within the limits' $((bound_kb / 1024)) MB" \
	test $((hwm1 - hwm0)) -le "$bound_kb"

# Conservation: every frame received is in exactly one terminal state.
curl -s --max-time 5 "$URL/status" >"$SCRATCH/status.json"
frames=$(jq -r '.frames_sent' "$SCRATCH/load.json")
check "/status conserves frames: $(jq -c .frames "$SCRATCH/status.json")" \
	jqe "$SCRATCH/status.json" --argjson n "$frames" '.frames | .received == .ok + .late + .failed + .expired + .rejected and
		.queued == 0 and .inflight == 0 and .received == $n + 2'

kill -INT "$PID"
rc=0
wait "$PID" || rc=$?
check "serve exits 0 on SIGINT (got $rc)" test "$rc" -eq 0
check "no sanitizer report: $(grep -m3 -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$SCRATCH/s.err")" \
	test -z "$(grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$SCRATCH/s.err")"
finish
