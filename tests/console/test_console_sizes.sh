#!/usr/bin/env bash
# The console's use of the screen (issue 18, bug 7): at 80x24 nothing the
# operator needs is cut — the Cluster view's frame counts to their last
# figure, every column header, the Device view's chart labels and its whole
# telemetry panel; at 200x60 the charts fill the screen instead of leaving
# rows blank, and the clock bar stays a gauge (the spare width goes to LAST
# ERROR).
cd "$(dirname "$0")/../.."
. tests/console/lib.sh

start 80 24 "LANG=C.UTF-8 LC_ALL=C.UTF-8 '$LOUDVA' console --listen 127.0.0.1:0 -r 200"
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }

# 80x24, Cluster: the counts line ends with its last figure; every header is there.
wait_for "80x24: the frame counts whole" 10 -E "^ok [0-9]+ late [0-9]+ failed [0-9]+ expired [0-9]+ rejected [0-9]+ queued [0-9]+ infl [0-9]+ batches [0-9]+ *$"
wait_for "80x24: the table's headers" 5 -E "^DEVICE +STATE +MHz +CLOCK +POWER +ENERGY +INFL +BATCH +FPS +LATE *$"

# The three cluster charts, each with its y axis (the top, and 0 at the bottom), to the
# last row above the status line.
wait_for "80x24: the late-share chart" 10 -E "^late share \(10 s\), last [0-9]+s now "
s=$(screen)
[ "$(echo "$s" | grep -cE '^ +0│')" -ge 3 ] || fail "80x24: not three charts with a 0 on their y axis: $s"
echo "$s" | grep -qE '^ *[0-9.]+k?│' || fail "80x24: no chart with its top value on the y axis"
[ "$(echo "$s" | sed -n 23p | grep -cE '^ +0│')" = 1 ] || fail "80x24: the last chart does not reach row 23: $s"

# ...and still whole with a refusal counted in it (the shortest words).
port=$(screen | grep -oE 'front end :[0-9]+' | grep -oE '[0-9]+$')
args=()
for _ in $(seq 1 65); do args+=(-F "images=@tests/live/fixtures/camera.jpg"); done
curl -s --max-time 30 "${args[@]}" "http://127.0.0.1:$port/inference" >/dev/null
wait_for "80x24: the counts with a refusal, whole" 10 -E "^ok [0-9]+ late [0-9]+ fail [0-9]+ exp [0-9]+ rej [0-9]+ ref 65/1r q [0-9]+ infl [0-9]+ b [0-9]+ *$"

# 80x24, Device: chart labels with their peak, the telemetry panel to its last line.
keys Enter
wait_for "80x24: the device view" 10 "last batches"
wait_for "80x24: the device's counts line whole (short words)" 10 -E "^batches [0-9]+ frames [0-9]+ late [0-9]+ \(.*\) infl [0-9]+ [0-9.]+ f/s  shm [0-9.]+ MB *$"
wait_for "80x24: the power chart's peak" 10 -E "^power now [0-9.]+ W +peak [0-9.]+ W"
wait_for "80x24: the telemetry panel's clocks" 10 -E "^clocks [0-9]+\.\.[0-9]+ MHz, [0-9]+ steps"
wait_for "80x24: the telemetry panel's last line" 5 "^+/- c pin  r release  d drain  u up  P profile"
s=$(screen)
[ "$(echo "$s" | wc -l)" -le 24 ] || fail "80x24: more than 24 rows"
bar=$(echo "$s" | grep -E "^clock [0-9]+ MHz " | sed -E 's/^clock [0-9]+ MHz //')
[ "${#bar}" -le 24 ] || fail "80x24: the telemetry clock bar is ${#bar} cells wide: $bar"

# 200x60, Cluster: the CLOCK column stays narrow, charts fill the height.
keys Escape
tmux resize-window -t "$SESSION" -x 200 -y 60
wait_for "200x60: the wide header" 10 -E "^DEVICE +KIND +STATE +MHz +CLOCK +POWER"
hdr=$(screen | grep -E "^DEVICE +KIND")
gap=$(echo "$hdr" | awk '{ c = index($0, "CLOCK"); p = index($0, "POWER"); print p - c }')
[ "$gap" -le 16 ] || fail "200x60: the CLOCK column is $gap columns wide: $hdr"
echo "$hdr" | grep -qE "LAST ERROR *$" || fail "200x60: no LAST ERROR header at the end: $hdr"
# Room for a sparkline per device: its power, a cell a second.
echo "$hdr" | grep -qE " LATE +POWER TREND +LAST ERROR *$" || fail "200x60: no POWER TREND column before LAST ERROR: $hdr"
wait_for "200x60: a device's power sparkline" 10 -E "^agx-xavier-00 .*%.*[▁▂▃▄▅▆▇█]"
# The last chart's title row: in the lower third when the charts take the height.
at=$(screen | grep -nE "^late share \(10 s\)" | cut -d: -f1)
[ "${at:-0}" -ge 40 ] || { fail "200x60: the late-share chart starts at row ${at:-none}: the charts leave the rest blank"; screen >&2; }

keys ':q!' Enter
wait_for "the console to exit" 60 CONSOLE-EXITED
finish
