#!/usr/bin/env bash
# `loudva profile show` as an operator reads a profile: the heatmap of energy
# per frame has a row per clock and a column per batch up to the max batch,
# its '*' sits on the least energy per frame (found with jq, not by the
# program), its glyphs follow the values' order; colour only when asked or on
# a terminal; the measured-vs-predicted table names the worst points, and
# calls a profile of the training set what it is; a freshly measured profile
# that differs from the shipped one shows its differences; bad input names
# what was wrong.
. "$(dirname "$0")/lib.sh"

P=profiles/nano.json
"$LOUDVA" profile show nano >"$SCRATCH/show.txt" 2>"$SCRATCH/err" || fail "show nano exited non-zero: $(cat "$SCRATCH/err")"
heat() { sed -n '/^heatmap:/,/least energy per frame/p' "$1"; }
heat "$SCRATCH/show.txt" >"$SCRATCH/heat.txt"
nf=$(jq '.freqs_hz | length' $P)
mb=$(jq .max_batch $P)
rows=$(grep -cE '^ +[0-9]+ MHz  ' "$SCRATCH/heat.txt")
check "a heatmap row per clock ($rows vs $nf)" test "$rows" -eq "$nf"
# Rows run from the highest clock down.
top=$(jq '.freqs_hz | max / 1e6 | round' $P)
first=$(grep -m1 -oE '^ +[0-9]+ MHz' "$SCRATCH/heat.txt" | tr -dc 0-9)
check "first row is the top clock ($first vs $top)" test "$first" -eq "$top"
# The best cell, independently: least energy/batch among batch <= max batch.
read -r bf bb < <(jq -r --argjson m "$mb" '[.points[] | select(.batch <= $m)] | min_by(.energy_j / .batch) | "\(.freq_hz) \(.batch)"' $P)
mhz=$(awk -v f="$bf" 'BEGIN { printf "%.0f", f / 1e6 }')
row=$(grep -E "^ +$mhz MHz  " "$SCRATCH/heat.txt")
check "the best row ($mhz MHz) ends its batch-$bb cell in '*': '$row'" \
	test "${row:$((11 + 3 * bb - 1)):1}" = "*"
# '*' is the best cell's mark only: no legend level uses it (it once meant both).
check "no legend level drawn as '*': $(grep '^ *J/frame' "$SCRATCH/heat.txt")" \
	sh -c "! grep -E '^ *J/frame' '$SCRATCH/heat.txt' | grep -qF '*'"
check "one '*' in the map" test "$(grep -E '^ +[0-9]+ MHz' "$SCRATCH/heat.txt" | tr -cd '*' | wc -c)" -eq 1
grep -q "least energy per frame: .* at $(awk -v f="$bf" 'BEGIN { printf "%g", f / 1e6 }') MHz, batch $bb" "$SCRATCH/heat.txt" ||
	fail "the legend names the best point ($bf Hz, batch $bb): $(tail -1 "$SCRATCH/heat.txt")"
# Glyph order follows value order: for batch 1 at the lowest and the best clock,
# the lower energy never gets a denser glyph.
ramp='.:-=+ox#%@'
glyph_at() { grep -E "^ +$1 MHz  " "$SCRATCH/heat.txt" | cut -c$((12 + 3 * ($2 - 1))); }
low=$(jq '.freqs_hz | min / 1e6 | round' $P)
gl=$(glyph_at "$low" 1) gb=$(glyph_at "$mhz" 1)
il=$(awk -v r="$ramp" -v g="$gl" 'BEGIN { print index(r, g) }')
ib=$(awk -v r="$ramp" -v g="$gb" 'BEGIN { print index(r, g) }')
check "glyphs follow energy ($low MHz '$gl' denser than $mhz MHz '$gb')" test "$il" -gt "$ib"
check "no colour escapes when not a terminal" sh -c "! grep -q \$(printf '\\033') '$SCRATCH/show.txt'"
"$LOUDVA" profile show --color nano >"$SCRATCH/color.txt" || fail "show --color exited non-zero"
check "--color draws 256-colour cells" grep -q "$(printf '\033')\[48;5;" "$SCRATCH/color.txt"

# Measured vs predicted.
grep -q "^measured vs predicted (the cost predictor trained on profiles/\*.json; this profile is one of them" "$SCRATCH/show.txt" ||
	fail "in-sample predictor table not labelled: $(grep -A1 '^measured vs' "$SCRATCH/show.txt")"
n=$(grep -A2 '^measured vs predicted' "$SCRATCH/show.txt" | grep -oE 'over [0-9]+ points' | tr -dc 0-9)
want=$(jq --argjson m "$mb" '[.points[] | select(.batch <= $m)] | length' $P)
check "predicted over every dispatchable point ($n vs $want)" test "$n" = "$want"

# A "measured" Nano whose 768 MHz batch-2 energy is 40% above the shipped one:
# that point leads the table, with the predictor's error near -29%.
jq '(.points[] | select(.freq_hz == 768000000 and .batch == 2) | .energy_j) *= 1.4' $P >"$SCRATCH/measured.json"
"$LOUDVA" profile show "$SCRATCH/measured.json" >"$SCRATCH/m.txt" || fail "show FILE exited non-zero"
grep -q "^measured vs predicted (the cost predictor trained on profiles/\*.json)$" "$SCRATCH/m.txt" ||
	fail "out-of-sample table mislabelled: $(grep '^measured vs' "$SCRATCH/m.txt")"
worst=$(grep -A3 '^measured vs predicted' "$SCRATCH/m.txt" | tail -1)
echo "$worst" | grep -qE '^ +768 +2 .* -2[5-9]\.[0-9]%$' || fail "the altered point is not the worst: '$worst'"
"$LOUDVA" profile show --no-predictor nano >"$SCRATCH/np.txt"
check "--no-predictor skips the table" sh -c "! grep -q '^measured vs' '$SCRATCH/np.txt'"

# Bad input.
expect_exit 2 "no-such.json" -- profile show "$SCRATCH/no-such.json"
expect_exit 2 "unknown option '--colour'" -- profile show --colour nano
echo '{"kind": "nano"}' >"$SCRATCH/broken.json"
expect_exit 2 "broken.json" -- profile show "$SCRATCH/broken.json"

finish
