#!/usr/bin/env bash
# Conservation under faults: `loudva serve` on the embedded cluster (the
# sanitizer builds of loudva and loudva-agent) fed by `loudva load`, while
# (a) an agent is killed (SIGKILL) mid-batch, (b) an agent is stopped for
# 30 s (SIGSTOP, then SIGCONT), and the controller is stopped by (c)
# SIGTERM, (d) SIGINT and (e) SIGHUP under ten times the load the cluster
# can serve; then (f) SIGTERM while it is still starting and (g) a closed
# pipe on its stderr (SIGPIPE).
#
# Conservation, checked from every side: the frames the controller accepted
# equal the frames it answered (received = ok + late + failed + expired +
# rejected, nothing pending), and /status, /metrics, serve's --json summary
# and the database (its frames and its run row) agree on the counts by
# terminal state; every accepted frame got exactly one answer at the client
# (`loudva load` exits 0 when every frame was answered; when the controller
# is stopped under it, the client's ok/late/failed/expired equal the
# controller's, and its rejected are the controller's plus the requests
# refused at the door while it stopped). After every stop: exit 0, the
# summary printed, the run row finished, the agents gone and the cluster's
# temporary directory (with the token) removed.
#
# Rates come from the profiles: the cluster's capacity is the sum over its
# devices of the best frames per second any (clock, batch) point reaches.
# Traces are bounded (seconds) and everything is on 127.0.0.1.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
make_images "$SCRATCH/img"
command -v sqlite3 >/dev/null || fail "the sqlite3 command is not installed (Debian package sqlite3)"
# The camera client: the optimised build when there is one, so the machine's
# cores go to the controller under test.
CLIENT=${LOUDVA_REL:-build/loudva}
[ -x "$CLIENT" ] || CLIENT=$LOUDVA
CLUSTER=profiles/clusters/thesis.json

capacity() {
	jq -r '.devices[].kind' "$CLUSTER" | while read -r k; do
		jq '.instances as $n | [.points[] | .batch / .latency_s] | max * $n' "profiles/$k.json"
	done | awk '{ s += $1 } END { printf "%.1f", s }'
}
CAP=$(capacity)
OVER=$(awk -v c="$CAP" 'BEGIN { printf "%.1f", 10 * c }')

# trace OUT FPS FRAMES SECONDS BUDGET: requests of FRAMES frames at FPS frames/s.
trace() {
	awk -v rate="$2" -v f="$3" -v d="$4" -v b="$5" 'BEGIN {
		print "Time,Frames After Filter,Camera Index,latency_constraint"
		n = int(rate * d / f); gap = f / rate
		for (i = 0; i < n; i++) printf "%.3f,%d,%d,%g\n", i * gap, f, i % 64, b }' >"$1"
}
trace "$SCRATCH/steady.csv" "$(awk -v c="$CAP" 'BEGIN { print c / 4 }')" 4 10 4
trace "$SCRATCH/stall.csv" "$(awk -v c="$CAP" 'BEGIN { print c / 8 }')" 3 34 4
trace "$SCRATCH/over.csv" "$OVER" 8 3 2

# load NAME TRACE: the client in the background (LOAD_PID); its --json in $SCRATCH/load-NAME.json.
load() {
	"$CLIENT" load --json --trace "$2" --url "http://127.0.0.1:$SERVE_PORT" --images "$SCRATCH/img" \
		--timeout 60 >"$SCRATCH/load-$1.json" 2>"$SCRATCH/load-$1.err" &
	LOAD_PID=$!
}
# load_wait: waits for the client; LOAD_RC is its exit status.
load_wait() {
	LOAD_RC=0
	wait "$LOAD_PID" || LOAD_RC=$?
}

# Counts as "received ok late failed expired rejected", from each side.
client_counts() { # the frames the client got answers for
	jq -r '[.frames_answered, .by_state.ok, .by_state.late, .by_state.failed,
		.by_state.expired, .by_state.rejected] | @tsv' "$@" |
		awk '{ for (i = 1; i <= 6; i++) s[i] += $i } END { print s[1], s[2], s[3], s[4], s[5], s[6] }'
}
status_counts() {
	curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/status" |
		jq -r '.frames | "\(.received) \(.ok) \(.late) \(.failed) \(.expired) \(.rejected)"'
}
metrics_counts() {
	curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/metrics" | awk '
		/^loudva_frames_received_total / { r = $2 }
		/^loudva_frames_total\{state="(ok|late|failed|expired|rejected)"\}/ {
			split($1, a, "\""); s[a[2]] = $2 }
		END { print r, s["ok"], s["late"], s["failed"], s["expired"], s["rejected"] }'
}
pending() { # frames queued or in flight, per /status
	curl -s --max-time 10 "http://127.0.0.1:$SERVE_PORT/status" |
		jq -r '.frames.queued + .frames.inflight'
}
summary_counts() {
	jq -r '"\(.frames) \(.ok) \(.late) \(.failed) \(.expired) \(.rejected)"' "$1"
}
db_counts() {
	sqlite3 -separator ' ' "$1" "select count(*), total(state = 'ok'), total(state = 'late'),
		total(state = 'failed'), total(state = 'expired'), total(state = 'rejected')
		from frames" | awk '{ printf "%d %d %d %d %d %d\n", $1, $2, $3, $4, $5, $6 }'
}
db_run_counts() {
	sqlite3 -separator ' ' "$1" "select frames, ok, late, failed, expired, rejected from runs
		where mode = 'live'"
}
# balanced WHAT "received ok late failed expired rejected": received = the sum of the states.
balanced() {
	read -r n ok late failed expired rejected <<<"$2"
	check "$1: accepted = answered ($2)" test "$n" -eq $((ok + late + failed + expired + rejected))
}
# agree WHAT A B: the two count lines are the same.
agree() {
	check "$1 ('$2' vs '$3')" test "$2" = "$3"
}
# after_stop WHAT CLIENT SERVER: a client cut off by the stop agrees on what the controller
# accepted; its rejected may include requests refused at the door while it stopped.
after_stop() {
	echo "$1: client answered/ok/late/failed/expired/rejected $2; controller $3"
	read -r _ cok clate cfailed cexpired crej <<<"$2"
	read -r _ sok slate sfailed sexpired srej <<<"$3"
	check "$1: the client's ok/late/failed/expired are the controller's ('$2' vs '$3')" \
		test "$cok $clate $cfailed $cexpired" = "$sok $slate $sfailed $sexpired"
	check "$1: every frame the controller rejected was answered so ($crej >= $srej)" \
		test "$crej" -ge "$srej"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_gone() { # PID SECONDS
	for _ in $(seq 1 $(($2 * 10))); do
		gone "$1" && return 0
		sleep 0.1
	done
	return 1
}
# clean_stop WHAT SIG LOG DB PIDS: after serve stopped on SIG: exit 0, said so, summary, run
# row, agents gone, directory gone.
clean_stop() {
	local what=$1 sig=$2 log=$3 db=$4 pids=$5
	[ -n "$db" ] && echo "$what: summary $(summary_counts "$log.out"); database $(db_counts "$db"); run row $(db_run_counts "$db")"
	check "$what: serve exits 0 (got $SERVE_RC; $(tail -2 "$log.err" | tr '\n' ' '))" \
		test "$SERVE_RC" -eq 0
	grep -q "$sig: stopping" "$log.err" || fail "$what: no '$sig: stopping' on stderr"
	jq -e '.frames | type == "number"' "$log.out" >/dev/null 2>&1 ||
		fail "$what: no --json summary: $(head -c 300 "$log.out")"
	! grep -q "could not release the clock" "$log.err" || fail "$what: a clock was not given back"
	for p in $pids; do
		check "$what: agent $p stopped with the controller" wait_gone "$p" 5
	done
	local left
	left=$(find "$SCRATCH" -maxdepth 1 -name 'loudva-cluster-*' | head -1)
	check "$what: the cluster directory was removed ($left)" test -z "$left"
	if [ -n "$db" ]; then
		agree "$what: the database's frames = the summary" "$(db_counts "$db")" \
			"$(summary_counts "$log.out")"
		agree "$what: the run row = the summary" "$(db_run_counts "$db")" \
			"$(summary_counts "$log.out")"
	fi
}
stop_serve() { # SIGNAL: sends it, waits (3 minutes at most, then a failure); SERVE_RC
	kill "-$1" "$SERVE_PID"
	SERVE_RC=0
	local n=0
	while kill -0 "$SERVE_PID" 2>/dev/null && [ $n -lt 1800 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$SERVE_PID" 2>/dev/null; then
		fail "serve did not stop within 3 minutes of SIG$1"
		kill -KILL "$SERVE_PID"
	fi
	wait "$SERVE_PID" || SERVE_RC=$?
}
pid_of() { jq -r --arg d "$1" '.devices[] | select(.name == $d) | .pid' "$SCRATCH/info.json"; }
# inflight DEVICE: its batches in flight per /status.
inflight() {
	curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/status" |
		jq -r --arg d "$1" '.devices[] | select(.name == $d) | .inflight'
}
restarts() {
	curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/status" |
		jq -r --arg d "$1" '.devices[] | select(.name == $d) | .restarts'
}
await_restarts() { # DEVICE N SECONDS
	for _ in $(seq 1 $(($3 * 10))); do
		[ "$(restarts "$1")" = "$2" ] && [ "$(status_of "$1")" = up ] && return 0
		sleep 0.1
	done
	return 1
}
# with_everything WHAT CLIENT-COUNTS: /status and /metrics, once nothing is pending, agree
# with the client.
with_everything() {
	for _ in $(seq 1 100); do
		[ "$(pending)" = 0 ] && break
		sleep 0.1
	done
	local st me
	st=$(status_counts)
	me=$(metrics_counts)
	echo "$1: client answered/ok/late/failed/expired/rejected $2; /status $st; /metrics $me"
	balanced "$1: /status" "$st"
	agree "$1: /status = the client" "$st" "$2"
	agree "$1: /metrics = /status" "$me" "$st"
}

echo "capacity $CAP frames/s; overload $OVER frames/s"

# ---- (a) an agent killed mid-batch; (b) an agent stopped for 30 s; (d) SIGINT ----------
echo "[${SECONDS}s] (a) SIGKILL mid-batch"
start_serve "$SCRATCH/s1" --db "$SCRATCH/s1.db" --json || finish
S1_PIDS=$(agent_pids)
victim=agx-xavier-00
vpid=$(pid_of $victim)
load a "$SCRATCH/steady.csv"
# Mid-batch for sure: a batch in flight on it, the agent frozen (so the batch cannot end), the
# batch still in flight, then SIGKILL. Tried for up to 10 s of the load.
midbatch=0
for _ in $(seq 1 200); do
	if [ "$(inflight $victim)" -ge 1 ] 2>/dev/null; then
		kill -STOP "$vpid"
		[ "$(inflight $victim)" -ge 1 ] 2>/dev/null && midbatch=1 && break
		kill -CONT "$vpid"
	fi
	sleep 0.05
done
check "(a) a batch in flight on $victim when its agent was killed" test "$midbatch" = 1
kill -9 "$vpid"
check "(a) $victim's agent restarted, up again, counted in /status" await_restarts $victim 1 30
grep -qE "$victim: agent \(pid $vpid, port [0-9]+\) killed by signal 9" "$SCRATCH/s1.err" ||
	fail "(a) the death is not in serve's event log: $(grep $victim "$SCRATCH/s1.err" | tail -3)"
grep -qE "$victim: agent restarted on port [0-9]+ \(pid [0-9]+, restart 1\)" "$SCRATCH/s1.err" ||
	fail "(a) the restart is not in serve's event log"
curl -s "http://127.0.0.1:$SERVE_PORT/metrics" |
	grep -q "^loudva_device_agent_restarts_total{device=\"$victim\"} 1$" ||
	fail "(a) /metrics does not count the restart"
load_wait
check "(a) every frame answered at the client (load exit $LOAD_RC: $(cat "$SCRATCH/load-a.err"))" \
	test "$LOAD_RC" -eq 0
A=$(client_counts "$SCRATCH/load-a.json")
with_everything "(a)" "$A"
read -r _ _ _ afailed _ _ <<<"$A"
retried=$(sqlite3 "$SCRATCH/s1.db" "select count(*) from frames where attempts > 1")
echo "(a): $retried frames retried after the kill, $afailed failed"
check "(a) the batch on the killed agent was retried elsewhere or failed ($retried retried, $afailed failed)" \
	test $((retried + afailed)) -ge 1

echo "[${SECONDS}s] (b) SIGSTOP for 30 s"
stalled=xavier-nx-00
spid=$(pid_of $stalled)
load b "$SCRATCH/stall.csv"
sleep 1
kill -STOP "$spid"
stopped_at=$SECONDS
check "(b) $stalled shown down while its agent is stopped" wait_state $stalled down 25
left_s=$((30 - (SECONDS - stopped_at)))
[ "$left_s" -gt 0 ] && sleep "$left_s"

kill -CONT "$spid"
check "(b) $stalled shown up again after SIGCONT" wait_state $stalled up 25
check "(b) a stopped agent is not restarted (restarts $(restarts $stalled))" \
	test "$(restarts $stalled)" = 0
load_wait
check "(b) every frame answered at the client (load exit $LOAD_RC: $(cat "$SCRATCH/load-b.err"))" \
	test "$LOAD_RC" -eq 0
with_everything "(a)+(b)" "$(client_counts "$SCRATCH/load-a.json" "$SCRATCH/load-b.json")"

echo "[${SECONDS}s] (d) SIGINT under overload"
load d "$SCRATCH/over.csv"
sleep 2
stop_serve INT
load_wait
clean_stop "(d) SIGINT under overload" SIGINT "$SCRATCH/s1" "$SCRATCH/s1.db" "$S1_PIDS"
balanced "(d) the summary" "$(summary_counts "$SCRATCH/s1.out")"
after_stop "(d)" "$(client_counts "$SCRATCH/load-a.json" "$SCRATCH/load-b.json" "$SCRATCH/load-d.json")" \
	"$(summary_counts "$SCRATCH/s1.out")"

# ---- (c) SIGTERM and (e) SIGHUP under overload -------------------------------------------
for sig in TERM HUP; do
	name=$([ $sig = TERM ] && echo c || echo e)
	echo "[${SECONDS}s] ($name) SIG$sig under overload"
	start_serve "$SCRATCH/$name" --db "$SCRATCH/$name.db" --json || finish
	pids=$(agent_pids)
	load "$name" "$SCRATCH/over.csv"
	sleep 2
	stop_serve $sig
	load_wait
	clean_stop "($name) SIG$sig under overload" SIG$sig "$SCRATCH/$name" "$SCRATCH/$name.db" "$pids"
	balanced "($name) the summary" "$(summary_counts "$SCRATCH/$name.out")"
	after_stop "($name)" "$(client_counts "$SCRATCH/load-$name.json")" \
		"$(summary_counts "$SCRATCH/$name.out")"
done

# ---- (f) SIGTERM during the start: held until everything is up, then the clean stop ------
echo "[${SECONDS}s] (f) SIGTERM while starting"
rm -rf "$SCRATCH"/loudva-cluster-* # (only if a check above failed)
TMPDIR="$SCRATCH" "$LOUDVA" serve --listen 127.0.0.1:0 --agent "$LOUDVA_AGENT" --json \
	--db "$SCRATCH/f.db" >"$SCRATCH/f.out" 2>"$SCRATCH/f.err" &
SERVE_PID=$!
for _ in $(seq 1 3000); do
	[ -n "$(find "$SCRATCH" -maxdepth 1 -name 'loudva-cluster-*' | head -1)" ] && break
	sleep 0.01
done
stop_serve TERM
clean_stop "(f) SIGTERM while starting" SIGTERM "$SCRATCH/f" "$SCRATCH/f.db" ""

# ---- (g) stderr a closed pipe: SIGPIPE is ignored, the run ends as asked -----------------
echo "[${SECONDS}s] (g) SIGPIPE"
{
	TMPDIR="$SCRATCH" "$LOUDVA" serve --listen 127.0.0.1:0 --agent "$LOUDVA_AGENT" --json \
		--db "$SCRATCH/g.db" --duration 2 2>&1 >"$SCRATCH/g.out"
	echo $? >"$SCRATCH/g.rc"
} | true
check "(g) serve exits 0 with its stderr a closed pipe (got $(cat "$SCRATCH/g.rc"))" \
	test "$(cat "$SCRATCH/g.rc")" = 0
jq -e '.frames == 0' "$SCRATCH/g.out" >/dev/null 2>&1 || fail "(g) no summary: $(cat "$SCRATCH/g.out")"
agree "(g) the run row is finished" "$(db_run_counts "$SCRATCH/g.db")" "0 0 0 0 0 0"
left=$(find "$SCRATCH" -maxdepth 1 -name 'loudva-cluster-*' | head -1)
check "(g) the cluster directory was removed ($left)" test -z "$left"

echo "[${SECONDS}s] done"
finish
