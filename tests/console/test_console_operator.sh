#!/usr/bin/env bash
# The console as a new operator tries it (issue 18), on the embedded cluster
# in a 100x30 pane:
#   - a request of 89 images is refused (413): the header and the alert
#     strip count the 89 frames, `!` says why;
#   - :pin nano-00 500 takes the nearest step in MHz and says so; 5000 is
#     refused as a failure, with the valid clocks, whole on the screen;
#   - the Policies view shows the running parameters, and an edit saved
#     with `s` keeps the others (not the defaults);
#   - a refused :policy reads as a refusal, whole, in the status line and
#     in the Log view (wrapped), and Enter there shows the event whole;
#   - `/` opens empty, the filter and its row count show on the status
#     line, Esc clears it (and stays in the view); a view without a filter
#     says so;
#   - Help opens at its top after being scrolled, and End/g move in it;
#   - charts say now, peak and axis; a frozen agent: "down" in the alert
#     strip, its error whole on `!`, its clock "-" rather than a made-up one.
cd "$(dirname "$0")/../.."
. tests/console/lib.sh

start 100 30 "LANG=C.UTF-8 LC_ALL=C.UTF-8 '$LOUDVA' console --listen 127.0.0.1:0 -r 200"
wait_for "the cluster view" 90 "^nano-01 " || { finish; exit 1; }
port=$(screen | grep -oE 'front end :[0-9]+' | grep -oE '[0-9]+$')
[ -n "$port" ] || fail "no front end port in the header"

# 1. 89 images: refused, counted and shown.
args=()
for _ in $(seq 1 89); do args+=(-F "images=@tests/live/fixtures/camera.jpg"); done
curl -s --max-time 30 "${args[@]}" "http://127.0.0.1:$port/inference" >"$SCRATCH/413.json"
grep -q "more than 64" "$SCRATCH/413.json" || fail "the 89-image request: $(cat "$SCRATCH/413.json")"
wait_for "the refused frames in the header" 10 -E "rejected 0 +refused 89 \(1 req"
wait_for "the refused frames in the alert strip" 10 -E "^LV .*! .*refused 89"
keys '!'
wait_for "the alert whole on !" 5 -E "the front end refused 1 requests \(89 frames\)"

# 2. Clocks in MHz, to the nearest step; a failure reads as one, whole.
keys ':pin nano-00 500' Enter
wait_for "the nearest step, said" 10 "nano-00: clock pinned at 537.6 MHz (500 MHz -> 537.6 MHz, the nearest step)"
keys ':pin nano-00 5000' Enter
wait_for "a refused clock as a failure" 10 "cannot pin nano-00: 5000 MHz is outside this device's clocks"
wait_for "the valid clocks, whole (wrapped, not cut)" 5 "844.8 921.6 MHz"
screen | grep -q "clock pinned at 0 MHz" && fail "a refused clock worded as pinned"
keys ':release nano-00' Enter
keys ':policy loud:strictness=0' Enter
wait_for "a refused policy as a failure" 10 "cannot switch the policy to loud:strictness=0"
wait_for "its reason whole" 5 -E "is outside \[1, *$"
wait_for "its reason's end" 5 -E "^ *1000\]"
screen | grep -q "(from the next decision)" && fail "a refused policy worded as switched"

# 3. The Log view wraps the event; Enter shows it whole.
keys 7
wait_for "the Log view" 10 "event log"
wait_for "the refusal wrapped in the log" 10 -E "^ +1000\]"
keys Enter
wait_for "Enter: the event whole" 5 -E "event [0-9]+ at .* \(Enter or Esc closes\)"
keys Escape
wait_gone "Esc closes the event panel" 5 "(Enter or Esc closes)"
wait_for "and stays in the Log view" 5 "event log"
keys W
# A continuation row: indented to the text column (32), under an event's text.
wait_for "W: one row per event, said in the title" 5 "not wrapped (W)"
wait_gone "W: no continuation rows" 5 -E "^ {32}[^ ]"
keys W
wait_gone "W again: wrapped, said in the title" 5 "not wrapped (W)"
wait_for "W again: continuation rows" 5 -E "^ {32}[^ ]"

# 2b. The Policies view shows the running parameters, and `s` keeps those not edited.
keys 1 ':policy fixed_batch:N=16,max_wait=5' Enter
wait_for "the switch" 10 "policy fixed_batch(16,wait=5)"
keys 4
wait_for "the Policies view opens on the running policy" 10 "fixed_batch (running)"
wait_for "its running N" 5 -E " N +16 1\.\.1024 frames"
wait_for "its running max_wait" 5 -E "max_wait +5 "
keys Right Enter C-u 8 Enter s
wait_for "N edited, max_wait kept" 10 "policy fixed_batch:N=8,max_wait=5 (from the next decision)"
wait_for "the running policy with both" 10 " fixed_batch(8,wait=5) | workload"
keys ':policy loud' Enter
wait_for "back to loud" 10 "policy loud"
keys 1

# 4. The filter: empty on `/`, shown with its count, cleared by Esc in place.
keys 1 / n a n o Enter
wait_for "the filter on the status line" 10 "filter 'nano': 2 of 5 rows (Esc clears)"
screen | grep -q "^agx-xavier-00 " && fail "the filter let agx-xavier-00 through"
keys /
wait_for "/ opens an empty bar" 5 -E "^/ *$"
keys Escape
wait_for "Esc in the bar clears the filter" 10 "^agx-xavier-00 "
keys / x a v Enter Escape
wait_for "Esc in the view clears the filter, stays" 10 "^agx-xavier-00 "
screen | grep -q "^DEVICE " || fail "Esc with a filter left the Cluster view"
screen | grep -q "filter '" && fail "the filter still shown after Esc"
keys 4 /
wait_for "a view without a filter says so" 5 "the Policies view has no filter"
keys 1

# 5. Help: End goes to the end, and a new opening is at the top.
keys '?'
wait_for "Help" 10 "keys of the Cluster view"
keys End
wait_for "Help's end" 5 ":q, :quit, :q!"
screen | grep -q "keys of the Cluster view" && fail "End left Help at its top"
keys g
wait_for "g: Help's top" 5 "keys of the Cluster view"
keys End Escape '?'
wait_for "Help reopened at its top" 10 "keys of the Cluster view"
keys Escape

# 6. Charts: now, peak and axis — the peak is a value reached, not the scale.
wait_for "the power chart's labels" 10 -E "cluster power, last .* now [0-9.]+ W +peak [0-9.]+ W +axis 0-[0-9.]+ W"

# 7. A frozen agent: down in the alert strip, the whole error on !, no made-up clock.
pid=$(console_pid)
agent=$(pgrep -P "$pid" -f "loudva-agent.*nano" | tail -1)
[ -n "$agent" ] || agent=$(pgrep -P "$pid" | tail -1)
kill -STOP "$agent"
wait_for "the frozen device down in the alert strip" 60 -E "^LV .*! .*nano-0[01] down"
wait_for "its row down with no clock" 10 -E "^nano-0[01] +nano +down +- "
keys '!'
wait_for "! shows the device's error whole" 5 -E "nano-0[01] \(nano\) is down: "
kill -CONT "$agent"
wait_for "the device back up" 60 -E "^nano-01 +nano +(up|busy) "

keys ':q!' Enter
wait_for "the console to exit" 60 CONSOLE-EXITED
finish
