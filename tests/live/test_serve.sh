#!/usr/bin/env bash
# `loudva serve` end to end on loopback, as an operator runs it: the embedded
# cluster (five emulated loudva-agent processes), cameras posting JPEGs to
# /inference with curl, the SQLite store, an agent killed mid-run and
# restarted by the controller, SIGINT with frames in flight, and a
# controller crash. Checked from the outside: every frame answered, the
# database's counts equal the clients', the device down and up again (the
# event log, /status), no agent left behind.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
make_images "$SCRATCH/img"
command -v sqlite3 >/dev/null || fail "the sqlite3 command is not installed (Debian package sqlite3)"

gone() { ! kill -0 "$1" 2>/dev/null; }
# wait_gone PID SECONDS
wait_gone() {
	for _ in $(seq 1 $(($2 * 10))); do
		gone "$1" && return 0
		sleep 0.1
	done
	return 1
}
db_tally() {
	sqlite3 -separator $'\t' "$1" "select count(*),
		sum(state = 'ok'), sum(state = 'late'), sum(state = 'failed'),
		sum(state = 'expired'), sum(state = 'rejected') from frames"
}

# wait_log FILE PATTERN SECONDS: until serve's stderr has a line matching PATTERN.
wait_log() {
	for _ in $(seq 1 $(($3 * 10))); do
		grep -qE "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# 1. Three cameras; nano-00's agent is killed mid-run; serve restarts it on its port.
start_serve "$SCRATCH/s1" --db "$SCRATCH/run.db" --policy loud || finish
mkdir -p "$SCRATCH/a"
for c in 1 2 3; do camera "$SCRATCH/a" "$c" 6 2 1 0.1 & done
cams=$(jobs -p | grep -v "^$SERVE_PID$")
sleep 1
victim=nano-00
vpid=$(jq -r --arg d $victim '.devices[] | select(.name == $d) | .pid' "$SCRATCH/info.json")
kill -9 "$vpid"
check "$victim down after its agent died" wait_log "$SCRATCH/s1.err" "$victim: down" 15
wait $cams
read -r n ok late failed expired rejected <<<"$(tally "$SCRATCH/a")"
check "every frame answered (36 sent, $n answered)" test "$n" -eq 36
check "nothing rejected or expired ($rejected, $expired)" test "$((rejected + expired))" -eq 0
check "most frames served despite the kill (ok+late $((ok + late)) of 36)" test $((ok + late)) -ge 30
jq -s -e '[.[] | .results[] | select(.state == "ok" or .state == "late") | .device] |
	all(. != "")' "$SCRATCH"/a/*.json >/dev/null || fail "a served frame names no device"

# serve starts the agent again on the same port: the device comes back up.
check "$victim's agent restarted" wait_log "$SCRATCH/s1.err" "$victim: agent restarted on port" 20
check "$victim shown up again after its agent restarted" wait_state $victim up 20
mkdir -p "$SCRATCH/b"
camera "$SCRATCH/b" 9 3 4 1 0
read -r n2 ok2 late2 failed2 expired2 rejected2 <<<"$(tally "$SCRATCH/b")"
check "after the restart every frame is answered ($n2 of 12)" test "$n2" -eq 12
check "after the restart they are served ($ok2 ok, $late2 late)" test $((ok2 + late2)) -eq 12
pids=$(agent_pids)
kill -INT "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
check "serve exits 0 on SIGINT (got $rc; $(tail -3 "$SCRATCH/s1.err"))" test "$rc" -eq 0
for p in $pids; do
	[ "$p" = "$vpid" ] && continue
	check "agent $p stopped with the controller" wait_gone "$p" 5
done
read -r dn dok dlate dfailed dexpired drejected <<<"$(db_tally "$SCRATCH/run.db")"
check "database frames = client frames ($dn vs $((n + n2)))" test "$dn" -eq $((n + n2))
check "database ok = client ok ($dok vs $((ok + ok2)))" test "$dok" -eq $((ok + ok2))
check "database late = client late ($dlate vs $((late + late2)))" test "$dlate" -eq $((late + late2))
check "database failed = client failed ($dfailed vs $((failed + failed2)))" \
	test "$dfailed" -eq $((failed + failed2))
check "the run's summary row agrees" test "$(sqlite3 "$SCRATCH/run.db" \
	"select frames = $dn and ok = $dok from runs where mode = 'live'")" = 1
check "no retry went to the dead device" test "$(sqlite3 "$SCRATCH/run.db" \
	"select count(*) from frames where attempts > 1 and device = 3")" = 0
grep -q "frames        $dn " "$SCRATCH/s1.out" || fail "summary lacks '$dn' frames: $(cat "$SCRATCH/s1.out")"

# 2. SIGINT with frames held: the agents are stopped (SIGSTOP), so batches of
#    six hang in flight on them and what is left waits in the queue; every
#    frame is answered at SIGINT, with the reason.
start_serve "$SCRATCH/s2" --db "$SCRATCH/int.db" --policy fixed_batch:N=6,max_wait=60 || finish
pids=$(agent_pids)
kill -STOP $pids
mkdir -p "$SCRATCH/c"
for c in 1 2 3 4; do post "$SCRATCH/c/three$c.json" 3 60 & done
for c in 1 2; do post "$SCRATCH/c/four$c.json" 4 60 & done
posts=$(jobs -p | grep -v "^$SERVE_PID$")
# SIGINT only once the controller holds all 20 frames: a request that came
# after it would be refused at the door (and rightly not be in the database).
for _ in $(seq 1 200); do
	got=$(curl -s "http://127.0.0.1:$SERVE_PORT/status" | jq -r '.frames.received // 0')
	[ "$got" = 20 ] && break
	sleep 0.05
done
check "the controller holds all 20 frames before SIGINT ($got)" test "$got" = 20
kill -INT "$SERVE_PID"
kill -CONT $pids
wait $posts
rc=0
wait "$SERVE_PID" || rc=$?
check "serve exits 0 on SIGINT with frames held (got $rc)" test "$rc" -eq 0
read -r n ok late failed expired rejected <<<"$(tally "$SCRATCH/c")"
check "every held frame answered at SIGINT ($n of 20)" test "$n" -eq 20
check "in-flight frames failed at shutdown ($failed)" test "$failed" -ge 6
check "queued frames expired at shutdown ($expired)" test "$expired" -ge 1
jq -s -e '[.[] | .results[] | .reason] | all(test("shutting down|timed out"))' \
	"$SCRATCH"/c/*.json >/dev/null || fail "frames ended at shutdown lack the reason"
read -r dn dok dlate dfailed dexpired drejected <<<"$(db_tally "$SCRATCH/int.db")"
check "database agrees after SIGINT ($dn/$dfailed/$dexpired vs $n/$failed/$expired)" \
	test "$dn" -eq "$n" -a "$dexpired" -eq "$expired" -a "$dfailed" -eq "$failed"
for p in $pids; do
	check "agent $p stopped after SIGINT" wait_gone "$p" 5
done

# 3. A controller that crashes (SIGKILL) takes its agents with it.
start_serve "$SCRATCH/s3" || finish
pids=$(agent_pids)
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
for p in $pids; do
	check "agent $p gone after the controller was killed" wait_gone "$p" 5
done

finish
