#!/usr/bin/env bash
# The console's fallbacks and its bounded mode: under a non-UTF-8 locale the
# charts are ASCII, with NO_COLOR no colour is used (monochrome attributes
# only), and --iterations N exits by itself after N frames with status 0,
# the terminal restored and the agents gone — the mode sanitizer and
# valgrind runs use.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh

# A configuration file with a bad line: reported with its file and line, and not
# applied (no half-applied file: the light theme of line 2 is not taken either).
mkdir -p "$XDG_CONFIG_HOME/loudva"
printf '# the operator'"'"'s\ntheme = light\nbind F13 = q\n' >"$XDG_CONFIG_HOME/loudva/console.conf"
start 80 24 "LC_ALL=C LANG=C NO_COLOR=1 '$LOUDVA' console --listen none -r 100 --iterations 150"

wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
wait_for "a sparkline" 20 -E "^cluster power"
wait_for "the bad configuration line on the status line" 10 "/loudva/console\.conf:3:"
keys 7
wait_for "the bad configuration line in the Log view" 10 "conf:3: 'F13' is not a key"
keys '?'
wait_for "Help" 10 "^keys of the Log view"
keys G
wait_for "Help: the file not applied, the default theme" 10 -E "^ +theme +default \("
pid=$(console_pid)
agents=$(pgrep -P "$pid" | tr '\n' ' ')
if screen | LC_ALL=C grep -q '[^[:print:][:space:]]'; then
	fail "non-ASCII output under LC_ALL=C:"
	screen | LC_ALL=C grep -n '[^[:print:][:space:]]' | head -3 >&2
fi
# Colours would show as SGR 30-37 / 40-47 / 38;5 / 48;5 in tmux's escaped capture.
if tmux capture-pane -e -p -t "$SESSION" | grep -qE $'\e\\[([0-9]*;)*(3[0-8]|4[0-8])(;[0-9]*)*m'; then
	fail "colours used with NO_COLOR set"
fi
tmux capture-pane -e -p -t "$SESSION" | grep -q $'\e\\[' || fail "no attributes at all (want bold/reverse)"

wait_for "the console to stop after its iterations" 60 CONSOLE-EXITED
[ "$(cat "$SCRATCH/rc")" = 0 ] || fail "exit status $(cat "$SCRATCH/rc")"
grep -q "stopped after 150 screen redraws" "$SCRATCH/stderr" || fail "did not stop after 150 screen redraws"
grep -qE "(^| )icanon" "$SCRATCH/stty" || fail "terminal not restored"
grep -q "^loudva: .*/loudva/console.conf:3: 'F13' is not a key .* the file is ignored" \
	"$SCRATCH/stderr" || fail "the bad configuration line not on stderr at start-up"
for a in $agents; do
	if kill -0 "$a" 2>/dev/null; then
		fail "agent $a still running"
	fi
done
finish
