#!/usr/bin/env bash
# The console's fallbacks and its bounded mode: under a non-UTF-8 locale the
# charts are ASCII, with NO_COLOR no colour is used (monochrome attributes
# only), and --iterations N exits by itself after N frames with status 0,
# the terminal restored and the agents gone — the mode sanitizer and
# valgrind runs use.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh

start 80 24 "LC_ALL=C LANG=C NO_COLOR=1 '$LOUDVA' console --listen none -r 100 --iterations 80"

wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
wait_for "a sparkline" 20 -E "^cluster power"
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
grep -q "stopped after 80 screen redraws" "$SCRATCH/stderr" || fail "did not stop after 80 screen redraws"
grep -qE "(^| )icanon" "$SCRATCH/stty" || fail "terminal not restored"
for a in $agents; do
	if kill -0 "$a" 2>/dev/null; then
		fail "agent $a still running"
	fi
done
finish
