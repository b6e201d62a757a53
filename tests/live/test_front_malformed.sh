#!/usr/bin/env bash
# Issue 21 from the outside: `loudva serve` on the embedded cluster, under a
# normal camera load (`loudva trace gen` + `loudva load`), is sent the
# malformed requests of findings 1, 5, 6 and 10 byte by byte over raw
# loopback connections (bash's /dev/tcp). Checked: each is refused with its
# 4xx and reason, or answered; the controller survives; every accepted
# frame is answered; /status, /metrics and the database agree on the counts.
#
#   1  multipart parts with no name, or no Content-Disposition   -> 400, named
#   5  budgets 0x10, " 5", "5\0junk", 1e308, 1e9, 63 digits, and
#      one over --max-budget                                      -> 400, named
#   6  three POSTs pipelined; a 404 and a refusal pipelined before
#      a good request                                             -> all answered, in order
#  10  two Content-Length headers with a request smuggled behind  -> 400, closed,
#      the smuggled request never run
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
make_images "$SCRATCH/img"
command -v sqlite3 >/dev/null || fail "the sqlite3 command is not installed (Debian package sqlite3)"
IMG=$SCRATCH/img/a.jpg
R=$SCRATCH/raw
mkdir -p "$R"

# ---- requests, byte by byte ----------------------------------------------

# part BODY HEADERS FILE: appends a part (HEADERS with \r\n escapes) holding FILE's bytes.
part() {
	printf -- '--zz\r\n%b\r\n' "$2" >>"$1"
	cat "$3" >>"$1"
	printf '\r\n' >>"$1"
}
image_part() { part "$1" 'Content-Disposition: form-data; name="images"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n' "$IMG"; }
# latency_part BODY TEXT: TEXT through printf %b, so '5\0junk' holds a NUL.
latency_part() {
	printf '%b' "$2" >"$1.lat"
	part "$1" 'Content-Disposition: form-data; name="latency"\r\n' "$1.lat"
}
# post OUT BODY [HEADERS]: appends POST /inference of BODY (closed here) to OUT.
post() {
	printf -- '--zz--\r\n' >>"$2"
	{
		printf 'POST /inference HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=zz\r\n'
		printf '%bContent-Length: %d\r\n\r\n' "${3:-}" "$(wc -c <"$2")"
		cat "$2"
	} >>"$1"
	rm -f "$2"
}
# good OUT [HEADERS]: appends a request of one image with a 2 s budget.
good() {
	image_part "$R/b"
	latency_part "$R/b" 2
	post "$1" "$R/b" "${2:-}"
}
# exchange NAME: sends $R/NAME.req on one connection and keeps what comes back
# until the server closes (every exchange ends with Connection: close or a
# refusal that closes), in $R/NAME.out.
exchange() {
	timeout 60 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && cat "$2" >&3 && cat <&3' _ \
		"$SERVE_PORT" "$R/$1.req" >"$R/$1.out" 2>/dev/null
}
codes() { grep -a -o 'HTTP/1\.1 [0-9][0-9][0-9]' "$R/$1.out" | cut -c10- | tr '\n' ' '; }
# refused NAME CODE NEEDLE: one answer, CODE, its error holding NEEDLE.
refused() {
	local got
	got=$(codes "$1")
	check "$1: answered $2 (got '$got')" test "$got" = "$2 "
	check "$1: the reason says '$3' ($(tail -c 300 "$R/$1.out"))" grep -qaF -- "$3" "$R/$1.out"
}

# ---- the controller, under load -------------------------------------------

start_serve "$SCRATCH/s" --db "$SCRATCH/run.db" --max-budget 30 || finish
"$LOUDVA" trace gen --cameras 3 --duration 12 --min-active 4 --max-active 9 --last-entry 6 \
	--budget 3 --seed 11 --out "$SCRATCH/t.csv" >/dev/null || fail "trace gen"
"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT" --images "$SCRATCH/img" \
	--json >"$SCRATCH/load.json" 2>"$SCRATCH/load.err" &
load_pid=$!
sleep 1

# 1. Parts with no name.
image_part "$R/b"
part "$R/b" 'Content-Disposition: form-data; filename="b.jpg"\r\n' "$IMG"
post "$R/noname.req" "$R/b" 'Connection: close\r\n'
part "$R/b" 'Content-Type: image/jpeg\r\n' "$IMG"
post "$R/nodisp.req" "$R/b" 'Connection: close\r\n'
exchange noname
exchange nodisp
refused noname 400 'part 2 has no name: each part needs Content-Disposition: form-data; name=\"images\" or \"latency\"'
refused nodisp 400 'part 1 has no name'
check "the controller survived parts with no name" kill -0 "$SERVE_PID"

# 5. Budgets.
n=0
for b in '0x10' ' 5' '5\0junk' '1e308' '1e9' "$(printf '9%.0s' $(seq 1 63))" '45'; do
	n=$((n + 1))
	image_part "$R/b"
	latency_part "$R/b" "$b"
	post "$R/budget$n.req" "$R/b" 'Connection: close\r\n'
	exchange "budget$n"
done
refused budget1 400 "latency: '0x10' is not a plain decimal number of seconds"
refused budget2 400 "latency: ' 5' is not a plain decimal number of seconds"
refused budget3 400 "latency: '5\\\\x00junk' is not a number of seconds: it holds a NUL byte"
refused budget4 400 "latency: '1e308' is over the maximum budget of 30 s"
refused budget5 400 "latency: '1e9' is over the maximum budget of 30 s"
refused budget6 400 "is not a number of seconds: longer than 32 characters"
refused budget7 400 "latency: '45' is over the maximum budget of 30 s"

# 6. Pipelining: three good requests in one write; then a 404 and a bad budget before a good one.
good "$R/pipe3.req"
good "$R/pipe3.req"
good "$R/pipe3.req" 'Connection: close\r\n'
exchange pipe3
check "three pipelined POSTs, three answers (got '$(codes pipe3)')" test "$(codes pipe3)" = "200 200 200 "
printf 'GET /nope HTTP/1.1\r\nHost: t\r\n\r\n' >"$R/pipemix.req"
image_part "$R/b"
latency_part "$R/b" '0x10'
post "$R/pipemix.req" "$R/b"
good "$R/pipemix.req" 'Connection: close\r\n'
exchange pipemix
check "refusals pipelined before a good request: all answered in order (got '$(codes pipemix)')" \
	test "$(codes pipemix)" = "404 400 200 "

# 10. Two Content-Length headers, a good request smuggled in the body behind the first length.
image_part "$R/b"
post "$R/twocl.req" "$R/b" 'Content-Length: 3\r\n'
good "$R/twocl.req" 'Connection: close\r\n'
exchange twocl
refused twocl 400 "2 Content-Length headers: a request has at most one"
check "the controller survived the battery" kill -0 "$SERVE_PID"

# ---- everything accepted is answered, and counted the same everywhere --------

rc=0
wait "$load_pid" || rc=$?
check "load: every frame answered (exit $rc; $(tail -2 "$SCRATCH/load.err"))" \
	jq -e '.frames > 0 and .frames_answered == .frames and .frames_unanswered == 0' "$SCRATCH/load.json"
load_frames=$(jq .frames "$SCRATCH/load.json")
raw_ok=$(cat "$R"/*.out | grep -a -o '"status":"completed"' | wc -l)
check "the four good raw requests were answered with results ($raw_ok)" test "$raw_ok" -eq 4
accepted=$((load_frames + 4))
# The snapshot behind /status is published a few times a second, so the last
# answers may reach the client before they reach it: poll until it holds
# (or 10 s have passed, and the checks below fail).
for _ in $(seq 1 100); do
	curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/status" >"$SCRATCH/status.json"
	jq -e --argjson n "$accepted" '.frames as $f | $f.received == $n and
		$f.received == $f.ok + $f.late + $f.failed + $f.expired + $f.rejected' \
		"$SCRATCH/status.json" >/dev/null && break
	sleep 0.1
done
check "/status: received = the frames accepted ($accepted): $(jq -c .frames "$SCRATCH/status.json")" \
	jq -e --argjson n "$accepted" '.frames.received == $n' "$SCRATCH/status.json"
check "/status: every frame received is in a terminal state" jq -e '.frames as $f |
	$f.received == $f.ok + $f.late + $f.failed + $f.expired + $f.rejected' "$SCRATCH/status.json"
bad=$(cat "$R"/*.out | grep -a -o 'HTTP/1.1 400' | wc -l)
curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/metrics" >"$SCRATCH/metrics.txt"
check "/metrics counts the $bad requests refused with 400" \
	grep -qx "loudva_http_inference_requests_total{outcome=\"bad_request\"} $bad" "$SCRATCH/metrics.txt"

kill -INT "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
check "serve exits 0 on SIGINT (got $rc; $(tail -3 "$SCRATCH/s.err"))" test "$rc" -eq 0
check "the database holds every accepted frame ($accepted)" \
	test "$(sqlite3 "$SCRATCH/run.db" "select count(*) from frames")" -eq "$accepted"
check "the run's row says so too" \
	test "$(sqlite3 "$SCRATCH/run.db" "select frames from runs where mode = 'live'")" -eq "$accepted"
check "no sanitizer report from the controller" bash -c "! grep -q 'runtime error\|Sanitizer' '$SCRATCH/s.err'"
echo "frames accepted $accepted (load $load_frames, raw 4), answered $(($(jq .frames_answered "$SCRATCH/load.json") + raw_ok))," \
	"in /status $(jq .frames.received "$SCRATCH/status.json"), in the database" \
	"$(sqlite3 "$SCRATCH/run.db" "select count(*) from frames"); requests refused with 400: $bad"
finish
