#!/usr/bin/env bash
# The console stopped the ways an operator's session ends it, on the
# embedded cluster with its synthetic workload and a database: (1) the
# terminal closed (tmux kills the pane: SIGHUP, and a dead terminal), (2)
# SIGTERM, after an agent was killed and restarted with the event in the Log
# view, (3) SIGHUP while it is still starting. Each time: the stop is the
# orderly one (said on stderr), every frame is answered and recorded (the
# run row finished and equal to the frames' rows), no agent is left, the
# cluster's temporary directory (with the token) is removed; with a live
# terminal it is restored and the exit status is 0.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh
command -v sqlite3 >/dev/null || fail "the sqlite3 command is not installed (Debian package sqlite3)"

# run_console N: the console in a 100x30 pane, its temporary directory under $SCRATCH/tN.
run_console() {
	mkdir -p "$SCRATCH/t$1"
	rm -f "$SCRATCH/rc" "$SCRATCH/stty"
	start 100 30 "TMPDIR='$SCRATCH/t$1' LANG=C.UTF-8 LC_ALL=C.UTF-8 '$LOUDVA' console \
		--listen 127.0.0.1:0 --db '$SCRATCH/c$1.db' -r 200"
}
wait_gone() { # PID SECONDS
	for _ in $(seq 1 $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
# stopped_cleanly WHAT N SIG PID AGENTS: the checks every stop shares.
stopped_cleanly() {
	local what=$1 n=$2 sig=$3 pid=$4 agents=$5
	wait_gone "$pid" 60 || fail "$what: the console did not stop"
	grep -q "loudva: $sig: stopping" "$SCRATCH/stderr" ||
		fail "$what: no '$sig: stopping' on stderr: $(tail -3 "$SCRATCH/stderr")"
	for a in $agents; do
		wait_gone "$a" 5 || fail "$what: agent $a still running"
	done
	local left
	left=$(find "$SCRATCH/t$n" -maxdepth 1 -name 'loudva-cluster-*' | head -1)
	[ -z "$left" ] || fail "$what: the cluster directory was left: $left"
	local row rows
	row=$(sqlite3 "$SCRATCH/c$n.db" "select frames, ok + late + failed + expired + rejected
		from runs where mode = 'live'" 2>&1)
	rows=$(sqlite3 "$SCRATCH/c$n.db" "select count(*) from frames" 2>&1)
	[ "$row" = "$rows|$rows" ] ||
		fail "$what: the run row ($row) does not account for the frames recorded ($rows)"
	echo "$what: $rows frames recorded, run row $row"
}

# 1. The terminal closes under the running console.
run_console 1
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
pid=$(console_pid)
agents=$(pgrep -P "$pid" | tr '\n' ' ')
sleep 2 # the workload's frames flow
tmux kill-session -t "$SESSION"
stopped_cleanly "(1) terminal closed" 1 SIGHUP "$pid" "$agents"

# 2. An agent killed: restarted, the event in the Log view; then SIGTERM.
run_console 2
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
pid=$(console_pid)
agents=$(pgrep -P "$pid" | tr '\n' ' ')
victim=$(pgrep -P "$pid" -f 'nano-00\.port')
[ -n "$victim" ] || fail "(2) no agent for nano-00 among $agents"
kill -9 "$victim"
keys 7
wait_for "(2) the death in the Log view" 30 -E "nano-00 +agent \(pid $victim, port [0-9]+\) killed"
wait_for "(2) the restart in the Log view" 30 -E "nano-00 +agent restarted on port [0-9]+"
agents="$agents $(pgrep -P "$pid" -f 'nano-00\.port')"
kill -TERM "$pid"
wait_for "(2) the console to exit" 60 CONSOLE-EXITED
[ "$(cat "$SCRATCH/rc")" = 0 ] || fail "(2) exit status $(cat "$SCRATCH/rc")"
grep -qE "(^| )icanon" "$SCRATCH/stty" || fail "(2) terminal not restored: $(cat "$SCRATCH/stty")"
stopped_cleanly "(2) SIGTERM" 2 SIGTERM "$pid" "$agents"

# 3. SIGHUP while the console is starting its cluster: held until it is up, then the stop.
tmux kill-server 2>/dev/null
run_console 3
pid=
for _ in $(seq 1 3000); do
	[ -n "$(find "$SCRATCH/t3" -maxdepth 1 -name 'loudva-cluster-*' | head -1)" ] && break
	sleep 0.01
done
pid=$(console_pid)
kill -HUP "$pid"
wait_for "(3) the console to exit" 60 CONSOLE-EXITED
[ "$(cat "$SCRATCH/rc")" = 0 ] || fail "(3) exit status $(cat "$SCRATCH/rc")"
grep -qE "(^| )icanon" "$SCRATCH/stty" || fail "(3) terminal not sane: $(cat "$SCRATCH/stty")"
stopped_cleanly "(3) SIGHUP while starting" 3 SIGHUP "$pid" ""
finish
