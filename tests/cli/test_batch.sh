#!/usr/bin/env bash
# `loudva --batch` end to end on experiments/tiny.json: the report directory's
# files, determinism (the same bytes twice and for any --jobs), numbers that
# agree with `loudva sim` on the same trace, policy and window, frame
# conservation in every run, the store read back by `loudva report`, bad
# input (one line, exit 2, nothing written) and an interrupted run (no report).
. "$(dirname "$0")/lib.sh"

LOUDVA_REL=${LOUDVA_REL:-build/loudva}
SPEC=experiments/tiny.json
OUT=$SCRATCH/rep

# 1. One run with the sanitizer build: files, and the table on stdout.
"$LOUDVA" --batch "$SPEC" --out "$OUT" >"$SCRATCH/table" 2>"$SCRATCH/progress" ||
	fail "tiny batch exited non-zero: $(tail -3 "$SCRATCH/progress")"
for f in report.json report.csv summary.csv table.txt loudva.db run-info.json plots/plots.gp \
	plots/policies.dat plots/latency_cdf.dat plots/power.dat; do
	check "OUT has $f" test -s "$OUT/$f"
done
if command -v gnuplot >/dev/null; then
	for fig in frames_per_joule within_budget latency_cdf power; do
		check "figure $fig.png" test -s "$OUT/plots/$fig.png"
		check "figure $fig.svg" grep -q "<svg" "$OUT/plots/$fig.svg"
	done
fi
# The figures' script: a colour of its own per policy in the latency CDF, and a frames/J
# axis fitted to the values (from 0 it hid the few-percent differences that matter).
cdf=$(grep -m1 '^plot "latency_cdf.dat"' "$OUT/plots/plots.gp")
check "each policy's CDF line has its own colour: $cdf" test \
	"$(echo "$cdf" | grep -oE 'lc rgb "#[0-9a-f]{6}"' | sort -u | wc -l)" -eq 4
check "the frames/J axis does not start at 0: $(grep -m1 'set yrange' "$OUT/plots/plots.gp")" \
	grep -qE '^set yrange \[[0-9.]*[1-9][0-9.e-]*:[0-9.e-]+\]$' "$OUT/plots/plots.gp"
check "no temporary directory left" test -z "$(ls -d "$OUT".* 2>/dev/null)"
check "no work files left" test ! -e "$OUT/work"
check "stdout is the table" cmp -s "$SCRATCH/table" "$OUT/table.txt"
check "the table names the baseline" grep -q "transparent .*(baseline)" "$SCRATCH/table"
check "the table explains its columns (d pts, req ok%, bound%)" sh -c \
	"grep -q '^vs base: frames/J against transparent' '$SCRATCH/table' &&
	 grep -q 'd pts: ok% minus transparent' '$SCRATCH/table' &&
	 grep -q '^req ok%: requests whose every frame was within budget' '$SCRATCH/table' &&
	 grep -q 'bound%: the energy lower bound as a share of it' '$SCRATCH/table'"
check "progress went to stderr" grep -q "run 12/12 done" "$SCRATCH/progress"

R=$OUT/report.json
check "12 runs = 3 trace instances x 4 policies" jq -e '(.runs | length) == 12 and (.summary | length) == 4' "$R"
check "labels carry parameters and mode" jq -e \
	'[.summary[].policy] == ["loud(pred)", "transparent", "fixed_batch(8)", "interval(0.5)"]' "$R"
check "runs are sim runs in matrix order" jq -e \
	'[.runs[].run] == [range(1; 13)] and all(.runs[]; .mode == "sim")' "$R"
check "report.json holds no wall-clock or host detail" jq -e \
	'[paths | map(tostring) | join(".") | select(test("wall|host|utc|pid"))] | length == 0' "$R"
check "run-info.json has the wall times" jq -e '.wall_s > 0 and (.runs | length) == 12' "$OUT/run-info.json"

# Conservation in every run: accepted = ok + late + failed + expired + rejected,
# and every frame of the trace file was accepted (summed here with awk).
check "conservation in every run" jq -e 'all(.runs[]; .metrics as $m |
	$m.accepted == $m.ok + $m.late + $m.failed + $m.expired + $m.rejected and
	$m.frames == $m.accepted and $m.frames_served == $m.ok + $m.late)' "$R"
trace_frames=$(awk -F, 'NR > 1 { n += $2 } END { print n }' experiments/traces/capped-6cam-60s.csv)
check "the trace file's $trace_frames frames all arrive" jq -e --argjson n "$trace_frames" \
	'all(.runs[] | select(.trace == "capped-6cam"); .metrics.accepted == $n)' "$R"
check "one energy window per trace instance" jq -e \
	'[.runs | group_by([.trace, .trace_seed])[] | map(.metrics.window_s) | unique | length] | all(. == 1)' "$R"
check "baseline ratio is 1" jq -e \
	'.summary[] | select(.policy == "transparent") | .vs_baseline.frames_per_joule_ratio == 1' "$R"
check "summary mean is the mean of the runs" jq -e '.summary[0].policy as $p |
	([.runs[] | select(.policy == $p) | .metrics.frames_per_joule] | add / length) as $m |
	((.summary[0].frames_per_joule.mean - $m) | fabs) < 1e-12' "$R"
check "report.csv: a header and one row per run" test "$(wc -l <"$OUT/report.csv")" -eq 13
check "report.csv names policies as report.json does" grep -q '^3,fixed_batch(8),prof,sim,capped-6cam,,1,1,' "$OUT/report.csv"

# 2. Determinism: same bytes from the release build, with 1 and 3 workers.
"$LOUDVA_REL" --batch "$SPEC" --out "$SCRATCH/j1" --quiet >/dev/null || fail "rel --jobs 1 failed"
"$LOUDVA_REL" --batch "$SPEC" --out "$SCRATCH/j3" --jobs 3 --quiet --no-plots >/dev/null ||
	fail "rel --jobs 3 failed"
check "report.json identical across runs and builds" cmp -s "$R" "$SCRATCH/j1/report.json"
check "report.json identical with --jobs 3" cmp -s "$R" "$SCRATCH/j3/report.json"
check "report.csv identical with --jobs 3" cmp -s "$OUT/report.csv" "$SCRATCH/j3/report.csv"
check "--no-plots skips the figures" test ! -e "$SCRATCH/j3/plots"
"$LOUDVA_REL" --batch "$SPEC" --out "$SCRATCH/j1" --quiet --no-plots >/dev/null || fail "rerun over a report failed"
check "a rerun replaces the old report" test ! -e "$SCRATCH/j1/plots"
check "and writes the same report" cmp -s "$R" "$SCRATCH/j1/report.json"

# 3. The same numbers as `loudva sim` over the same window.
agree() { # agree RUN POLICY MODE TRACE
	local w
	w=$(jq ".runs[$(($1 - 1))].metrics.window_s" "$R")
	"$LOUDVA_REL" sim --trace "$4" --cluster profiles/clusters/single-agx.json --policy "$2" \
		--mode "$3" --until "$w" --json >"$SCRATCH/sim.json" || { fail "sim $2 failed"; return; }
	# counts exactly; reals to 1e-12 relative (loudva sim prints 15 digits)
	check "run $1 ($2) agrees with loudva sim" jq -e --slurpfile s "$SCRATCH/sim.json" \
		"def near(a; b): ((a - b) | fabs) <= 1e-12 * (b | fabs) + 1e-15;
		 .runs[$(($1 - 1))].metrics as \$m | \$s[0] as \$x |
		 near(\$m.energy_j; \$x.energy_j) and near(\$m.frames_per_joule; \$x.frames_per_joule) and
		 \$m.ok == \$x.ok and \$m.late == \$x.late and \$m.expired == \$x.expired and
		 \$m.frames == \$x.frames and near(\$m.latency_p95_s; \$x.latency_p95_s) and
		 near(\$m.window_s; \$x.window_s)" "$R"
}
agree 3 fixed_batch:N=8 prof experiments/traces/capped-6cam-60s.csv
agree 2 transparent prof experiments/traces/capped-6cam-60s.csv
"$LOUDVA_REL" trace gen --cameras 2 --duration 60 --max-active 40 --last-entry 40 --seed 2 \
	--out "$SCRATCH/gen2.csv" >/dev/null || fail "trace gen failed"
agree 9 loud pred "$SCRATCH/gen2.csv"
agree 12 interval:T=0.5 prof "$SCRATCH/gen2.csv"

# 4. The store: `loudva report` counts the frames table; it must match the report.
"$LOUDVA" report "$OUT/loudva.db" >"$SCRATCH/db.txt" || fail "loudva report failed"
check "loudva report lists 12 runs" grep -q "12 runs" "$SCRATCH/db.txt"
awk '$1 ~ /^[0-9]+$/ { print $1, $5, $6, $7, $10 }' "$SCRATCH/db.txt" >"$SCRATCH/db.counts"
jq -r '.runs[] | "\(.run) \(.metrics.frames) \(.metrics.ok) \(.metrics.late) \(.metrics.rejected)"' "$R" >"$SCRATCH/rep.counts"
check "store frames by state = report" cmp -s "$SCRATCH/db.counts" "$SCRATCH/rep.counts"
expect_exit 2 "no such database" -- report "$SCRATCH/none.db"

# 5. Bad input: one line, exit 2, before any run — nothing written.
cl=$PWD/profiles/clusters/single-agx.json
tr=$PWD/experiments/traces/capped-6cam-60s.csv
mk() { printf '%s' "$2" >"$SCRATCH/$1.json"; }
mk missing "{\"cluster\": \"$cl\", \"traces\": [{\"file\": \"nope.csv\"}], \"policies\": [\"transparent\"]}"
mk policy "{\"cluster\": \"$cl\", \"traces\": [{\"file\": \"$tr\"}], \"policies\": [\"fastest\"]}"
mk param "{\"cluster\": \"$cl\", \"traces\": [{\"file\": \"$tr\"}], \"policies\": [{\"name\": \"fixed_batch\", \"params\": {\"speed\": 3}}]}"
mk empty "{\"cluster\": \"$cl\", \"traces\": [], \"policies\": [\"transparent\"]}"
mk live "{\"mode\": \"lab\", \"cluster\": \"$cl\", \"traces\": [{\"file\": \"$tr\"}], \"policies\": [\"transparent\"]}"
mk ok "{\"cluster\": \"$cl\", \"traces\": [{\"file\": \"$tr\"}], \"policies\": [\"transparent\"]}"
B=$SCRATCH/bad
expect_exit 2 "missing.json: traces[0].file: " -- --batch "$SCRATCH/missing.json" --out "$B"
expect_exit 2 "policy.json: policies[0]: unknown policy 'fastest'" -- --batch "$SCRATCH/policy.json" --out "$B"
expect_exit 2 "param.json: policies[0]: policy fixed_batch: unknown parameter 'speed'" -- --batch "$SCRATCH/param.json" --out "$B"
expect_exit 2 "empty.json: traces: must be a non-empty array" -- --batch "$SCRATCH/empty.json" --out "$B"
expect_exit 2 "live.json: mode: 'lab' is not \"sim\" or \"live\"" -- --batch "$SCRATCH/live.json" --out "$B"
expect_exit 2 "cannot open" -- --batch "$SCRATCH/absent.json" --out "$B"
: >"$SCRATCH/afile"
expect_exit 2 "--out $SCRATCH/afile/out: cannot create" -- --batch "$SCRATCH/ok.json" --out "$SCRATCH/afile/out"
mkdir -p "$SCRATCH/notes" && echo keep >"$SCRATCH/notes/mine.txt"
expect_exit 2 "is not a loudva report" -- --batch "$SCRATCH/ok.json" --out "$SCRATCH/notes"
expect_exit 2 "--jobs: '0'" -- --batch "$SCRATCH/ok.json" --jobs 0
expect_exit 2 "unknown option '--fast'" -- --batch "$SCRATCH/ok.json" --fast
expect_exit 2 "a spec is required" -- --batch
check "bad input wrote nothing" test -z "$(ls -d "$B"* 2>/dev/null)"
check "a foreign directory is left alone" test "$(ls "$SCRATCH/notes")" = mine.txt
for f in missing policy param empty live; do
	"$LOUDVA" --batch "$SCRATCH/$f.json" --out "$B" 2>"$SCRATCH/err1" >/dev/null
	check "$f: exactly one line" test "$(wc -l <"$SCRATCH/err1")" -eq 1
done

# 6. Interrupted: SIGINT once the first run has finished leaves OUT.incomplete
#    (marked INCOMPLETE) and no report. The spec is long enough (40 runs) that
#    the signal lands mid-matrix; if this machine finished first, say so.
mk slow "{\"cluster\": \"$PWD/profiles/clusters/thesis.json\", \"window\": \"own\",
 \"traces\": [{\"generate\": {\"cameras\": 20, \"duration_s\": 600}, \"seeds\": [$(seq -s, 1 20)]}],
 \"policies\": [\"transparent\", \"round_robin\"]}"
I=$SCRATCH/int/out
mkdir -p "$SCRATCH/int"
"$LOUDVA" --batch "$SCRATCH/slow.json" --out "$I" --jobs 2 >/dev/null 2>"$SCRATCH/int.err" &
pid=$!
until ls "$I".tmp-*/cells/run-00001.json >/dev/null 2>&1 || ! kill -0 "$pid" 2>/dev/null; do
	sleep 0.05
done
if kill -INT "$pid" 2>/dev/null; then
	rc=0
	wait "$pid" || rc=$?
	check "interrupted run exits 130 (got $rc)" test "$rc" -eq 130
	check "no report at OUT" test ! -e "$I"
	check "OUT.incomplete is marked" grep -q "interrupted by SIGINT after" "$I.incomplete/INCOMPLETE"
	check "OUT.incomplete holds no report" test ! -e "$I.incomplete/report.json"
	check "no temporary directory left" test -z "$(ls -d "$I".tmp-* 2>/dev/null)"
	check "the interruption is reported on stderr" grep -q "no report at" "$SCRATCH/int.err"
else
	wait "$pid"
	echo "note: the slow spec finished before the signal; interruption not exercised"
fi

finish
