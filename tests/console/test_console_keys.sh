#!/usr/bin/env bash
# What operators of htop and k9s expect (issue 18), in a 100x30 pane:
#   - sort the Cluster view by a column with < and > (the header marks it
#     v high first, ^ low first), I inverts;
#   - the command bar's history: Up and Down walk it, and it is still there
#     in the next session (a file under $XDG_STATE_HOME);
#   - :export csv|json FILE writes the current table (the devices) or the
#     Log view's events, whole, and says what it wrote;
#   - the mouse: a click on a tab shows it, a device row clicked twice opens.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh

run() { start 100 30 "LANG=C.UTF-8 LC_ALL=C.UTF-8 '$LOUDVA' console --listen none -r 200"; }
# This session in the mono theme, from the configuration file: no colour at all on a
# colour terminal, the meanings carried by bold, reverse and underline.
mkdir -p "$XDG_CONFIG_HOME/loudva"
echo "theme = mono" >"$XDG_CONFIG_HOME/loudva/console.conf"
run
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
if tmux capture-pane -e -p -t "$SESSION" | grep -qE $'\e\\[([0-9]*;)*(3[0-8]|4[0-8])(;[0-9]*)*m'; then
	fail "theme = mono: colours used"
fi
tmux capture-pane -e -p -t "$SESSION" | grep "DEVICE" | grep -q $'\e\\[7m' ||
	fail "theme = mono: the table header is not in reverse video"
wait_for "power readings" 30 -E "^nano-01 .* [0-9.]+ W "

# 1. Sort by POWER (> five times: DEVICE, KIND, STATE, MHz, POWER), then inverted.
keys '>' '>' '>' '>' '>'
wait_for "the POWER header marked" 10 -E "^DEVICE +KIND +STATE +MHz +CLOCK +POWERv "
wait_for "the sort said" 5 "sorted by POWER, highest first"
powers() { screen | grep -E "^(agx|xavier|nano)" | awk '{ print $6 }'; }
# sorted_by HOW: the rows' powers in sort(1)'s HOW order on a whole screen (a capture
# can catch a redraw halfway: a few tries).
sorted_by() {
	for _ in 1 2 3 4 5; do
		p=$(powers)
		[ "$(echo "$p" | sort $1)" = "$p" ] && return 0
		sleep 0.3
	done
	return 1
}
sorted_by -rn || fail "rows not by power, highest first: $(echo $p)"
keys I
wait_for "inverted" 10 -E "^DEVICE +KIND +STATE +MHz +CLOCK +POWER\^ "
sorted_by -n || fail "rows not by power, lowest first: $(echo $p)"
keys '<' '<' '<' '<' '<'
wait_for "back to the file's order" 10 "rows in the cluster file's order"
first=$(screen | grep -E "^(agx|xavier|nano)" | head -1 | awk '{ print $1 }')
[ "$first" = agx-xavier-00 ] || fail "the file's order starts with $first"

# 2. History: Up and Down walk it.
keys ':refresh 300' Enter
wait_for "the first command" 5 "refresh every 300 ms"
keys ':refresh 400' Enter
wait_for "the second command" 5 "refresh every 400 ms"
keys ':' Up
wait_for "Up: the last command" 5 -E "^:refresh 400 *$"
keys Up
wait_for "Up again: the one before" 5 -E "^:refresh 300 *$"
keys Down
wait_for "Down: the later one" 5 -E "^:refresh 400 *$"
keys Down
wait_for "Down past the newest: the empty line being typed" 5 -E "^: *$"
keys Escape

# 3. Export: the devices as CSV and JSON, the Log view's events as JSON.
keys ":export csv $SCRATCH/devices.csv" Enter
wait_for "the CSV export said" 10 "wrote 5 devices to $SCRATCH/devices.csv (CSV)"
head -1 "$SCRATCH/devices.csv" | grep -qx "name,kind,state,freq_hz,power_w,energy_j,inflight,last_batch,fps,frames,late,last_error" ||
	fail "CSV header: $(head -1 "$SCRATCH/devices.csv")"
[ "$(wc -l <"$SCRATCH/devices.csv")" -eq 6 ] || fail "CSV: want 6 lines: $(cat "$SCRATCH/devices.csv")"
grep -q "^nano-01,nano,up," "$SCRATCH/devices.csv" || fail "CSV: no nano-01 row: $(cat "$SCRATCH/devices.csv")"
keys ":export json $SCRATCH/devices.json" Enter
wait_for "the JSON export said" 10 "wrote 5 devices to $SCRATCH/devices.json (JSON)"
jq -e 'length == 5 and (.[0] | has("name") and has("power_w") and has("freq_hz"))' "$SCRATCH/devices.json" >/dev/null ||
	fail "JSON devices: $(head -c 300 "$SCRATCH/devices.json")"
keys 7 ":export json $SCRATCH/log.json" Enter
wait_for "the log export said" 10 -E "wrote [0-9]+ events to $SCRATCH/log.json \(JSON\)"
jq -e 'length > 0 and any(.[]; .text | test("exported 5 devices"))' "$SCRATCH/log.json" >/dev/null ||
	fail "JSON log: $(head -c 300 "$SCRATCH/log.json")"
keys ":export json $SCRATCH/no/such/dir/x.json" Enter
wait_for "an export that cannot be written is a failure, said" 10 "export not written:"
[ ! -e "$SCRATCH/no/such/dir/x.json" ] || fail "a failed export left a file"

# 3b. The mouse (xterm's X10 reports, as a terminal sends them): a tab, then a device row
#     clicked twice (select, then open).
# click COL ROW: a left-button click at 0-based COL, ROW.
click() {
	local seq
	# the press, then the release (# is "no button"): a click as xterm reports it
	seq=$(printf '\033[M \\x%02x\\x%02x\033[M#\\x%02x\\x%02x' $((33 + $1)) $((33 + $2)) \
		$((33 + $1)) $((33 + $2)))
	tmux send-keys -t "$SESSION" -l "$(printf '%b' "$seq")"
}
keys 1
wait_for "the cluster view again" 10 "^DEVICE "
col=$(screen | head -1 | awk '{ print index($0, "7 Log") - 1 }')
click "$col" 0
wait_for "a click on the Log tab" 10 "event log"
col=$(screen | head -1 | awk '{ print index($0, "1 Cluster") - 1 }')
click "$col" 0
wait_for "a click on the Cluster tab" 10 "^DEVICE "
row=$(screen | grep -n "^nano-00 " | cut -d: -f1)
click 3 $((row - 1))
click 3 $((row - 1))
wait_for "a device row clicked twice opens it" 10 -E "^nano-00 \(nano\)"
keys Escape

# 4. The history is still there in the next session.
keys ':q!' Enter
wait_for "the console to exit" 60 CONSOLE-EXITED
grep -qx "refresh 400" "$XDG_STATE_HOME/loudva/history" ||
	fail "history file: $(cat "$XDG_STATE_HOME/loudva/history" 2>&1)"
tmux kill-server 2>/dev/null
# wait for the old server to be gone: a new session started while it shuts
# down can go down with it
for _ in $(seq 1 50); do
	tmux has-session 2>/dev/null || break
	sleep 0.1
done
sleep 0.3
# The next session with another configuration file: the light theme, a colour of the
# operator's and a key binding (Z does what 7 does: the Log view).
cat >"$XDG_CONFIG_HOME/loudva/console.conf" <<'CONF'
# light terminal
theme = light
color title = red bold   # section titles
bind Z = 7
CONF
run
tmux has-session 2>/dev/null || { sleep 0.5; run; }
wait_for "the second session" 90 "^nano-01 " || { finish; exit 1; }
keys ':' Up
wait_for "Up in a new session: the last command of the one before" 5 -E "^:q! *$"
keys Up
wait_for "Up again: the one before it" 5 -E "^:export json $SCRATCH/no/such/dir/x.json *$"
keys Escape
# Colours as tmux's escaped capture shows them (SGR): the light theme's table header
# is white on blue (37, 44; the default's is black on cyan), the titles are red (31).
tmux capture-pane -e -p -t "$SESSION" | grep -E "DEVICE" | grep -q $'\e\\[37m\e\\[44mDEVICE' ||
	fail "light theme: the table header is not white on blue: $(tmux capture-pane -e -p -t "$SESSION" | grep DEVICE | cat -v | cut -c1-60)"
keys Z
wait_for "the binding: Z shows the Log view" 10 "^event log "
tmux capture-pane -e -p -t "$SESSION" | grep -qE $'\e\\[1m\e\\[31m(\e\\[[0-9;]*m)*event log' ||
	fail "color title: the Log view's title is not bold red: $(tmux capture-pane -e -p -t "$SESSION" | grep 'event log' | cat -v | cut -c1-60)"
keys '?'
wait_for "Help" 10 "^keys of the Log view"
keys G
wait_for "Help: the theme and the binding" 10 -E "^ +theme +light \("
screen | grep -qE "^ +bindings +Z does 7" || fail "Help does not list the binding Z does 7"
# Its wrapped lines lose no word at their ends (joined, the sentence is whole).
screen | tr -s ' \n' '  ' | grep -q "the key on the left does what the one on the right does" ||
	fail "Help's wrapped format line lost words: $(screen | tail -8)"
keys Escape ':q!' Enter
wait_for "the console to exit" 60 CONSOLE-EXITED
finish
