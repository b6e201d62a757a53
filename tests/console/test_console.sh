#!/usr/bin/env bash
# The console as an operator uses it, on the embedded emulated thesis cluster
# in a 100x30 tmux pane: the five devices appear and change; :policy
# fixed_batch changes the header and the decisions in the log; Enter opens a
# device (its transport shown) and Esc returns; an experiment launched from
# the keyboard finishes and shows its table; 80x24 keeps a readable layout;
# q asks (work is in flight) and exits, the terminal is restored and no agent
# is left.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh

start 100 30 "LANG=C.UTF-8 LC_ALL=C.UTF-8 '$LOUDVA' console --listen 127.0.0.1:0 \
	--experiments tests/console/specs --results '$SCRATCH/results'"

# 1. The cluster view: five device rows, their power and clock changing.
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
for d in agx-xavier-00 xavier-nx-00 xavier-nx-01 nano-00; do
	screen | grep -q "^$d " || fail "no row for $d"
done
pid=$(console_pid)
agents=$(pgrep -P "$pid" | tr '\n' ' ')
[ "$(echo $agents | wc -w)" -ge 5 ] || fail "want 5 agent processes under $pid, got: $agents"
rows() { screen | grep -E "^(agx|xavier|nano)" | awk '{print $1, $4, $6}'; }
first=$(rows)
end=$((SECONDS + 45))
while [ "$SECONDS" -lt "$end" ] && [ "$(rows)" = "$first" ]; do sleep 0.5; done
[ "$(rows)" != "$first" ] || fail "device clocks and power never changed: $first"
screen | grep -q "policy loud" || fail "header does not name the policy"

# 2. :policy fixed_batch — the header, then the decisions in the log.
keys ':policy fixed_batch' Enter
wait_for "the header after :policy" 15 "policy fixed_batch(32)"
keys 7
wait_for "the switch in the log" 15 -E "policy +switched to fixed_batch\(32\)"
wait_for "a fixed_batch decision in the log" 45 -E "fixed_batch\(32\): batch of [0-9]+ to"

# 3. Enter opens the selected device, Esc returns.
keys 1
wait_for "back on the cluster view" 10 "DEVICE"
keys Down Enter
wait_for "the device view" 10 -E "^xavier-nx-00 \(xavier-nx\)"
wait_for "its charts and batches" 10 "last batches"
# The embedded agents share this host's /dev/shm: batches reach them through regions.
wait_for "its transport" 10 -E "tensors: shm [0-9]+\.[0-9] MB"
keys Escape
wait_for "Esc back to the cluster view" 10 -E "^DEVICE +KIND"

# 4. An experiment from the keyboard, in the background; the dashboard stays live.
keys ':experiment console-tiny' Enter
# A tiny spec can finish between two screen reads: either line proves the
# view switched to the run.
wait_for "the experiments view" 10 -E "running console-tiny|console-tiny finished"
wait_for "the experiment's results table" 60 -E "console-tiny finished"
wait_for "its rows" 5 -E "^ *.*loud\(prof\) +1 +[0-9.]+"
screen | grep -q "frames per joule" || fail "no frames/J bar chart"
screen | grep -q "% frames within budget" || fail "no within-budget bar chart"
# The columns explained where they are shown: a legend under the table, whole on ?.
screen | grep -qE "POLICY +RUNS +FRAMES/J +VS BASE +OK % +ENERGY +P95" || fail "the results table's columns at 100 columns: $(screen | grep POLICY)"
screen | grep -qE "^ .*RUNS: seeds; VS BASE: frames/J against" || fail "no legend under the results table"
keys '?'
wait_for "Help: what the Experiments view's columns mean" 10 "what the Experiments view shows"
for w in "d pts" "req ok%" "bound%"; do
	screen | grep -qF "$w" || fail "Help does not explain the report's '$w'"
done
keys Escape
ls "$SCRATCH"/results/console-tiny-*/summary.csv >/dev/null 2>&1 || fail "no report directory"

# 5. 80x24: still readable — tabs, header, every device row, the status line.
keys 1
tmux resize-window -t "$SESSION" -x 80 -y 24
wait_for "the 80x24 layout" 10 -E "^DEVICE +STATE"
s=$(screen)
[ "$(echo "$s" | wc -l)" -le 24 ] || fail "more than 24 rows at 80x24"
widest=$(echo "$s" | LC_ALL=C.UTF-8 bash -c 'w=0; while IFS= read -r l; do
	[ ${#l} -gt $w ] && w=${#l}; done; echo $w')
[ "$widest" -le 80 ] || fail "a line $widest characters wide at 80x24"
for d in agx-xavier-00 xavier-nx-00 xavier-nx-01 nano-00 nano-01; do
	echo "$s" | grep -q "^$d " || fail "80x24: no row for $d"
done
echo "$s" | head -1 | grep -q "1 Cluster" || fail "80x24: no tab bar"
wait_for "80x24: the status line (after the experiment's message)" 15 -E "^ .*q quit$"
# The results at 80x24: the columns that matter kept (standard deviations dropped first).
keys 5
wait_for "80x24: the results table" 10 -E "POLICY +FRAMES/J +VS BASE +OK %"
keys 1

# 6. q asks once while frames are in flight; y quits; terminal restored; no agent left.
keys q
wait_for "the quit question" 10 "Quit anyway?"
keys y
wait_for "the console to exit" 60 CONSOLE-EXITED
[ "$(cat "$SCRATCH/rc")" = 0 ] || fail "exit status $(cat "$SCRATCH/rc")"
grep -qE "(^| )icanon" "$SCRATCH/stty" && grep -qE "(^| )echo( |$)" "$SCRATCH/stty" ||
	fail "terminal not restored: $(cat "$SCRATCH/stty")"
for a in $agents; do
	if kill -0 "$a" 2>/dev/null; then
		fail "agent $a still running"
	fi
done
finish
