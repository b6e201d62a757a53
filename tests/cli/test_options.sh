#!/usr/bin/env bash
# Every command's options go through one parser (console/opts.c): bad input is
# one line on stderr naming the option as typed and what was wrong, exit 2;
# --help prints the usage made from the same table, exit 0; and every option
# that usage lists is one the parser knows. Nothing here starts a run: each
# command line either asks for help or fails before doing anything.
. "$(dirname "$0")/lib.sh"

# 1. Unknown options and commands.
expect_exit 2 "unknown option '--bogus'" -- --bogus
expect_exit 2 "unknown option '--bogus'" -- console --bogus
expect_exit 2 "unknown option '--bogus'" -- sim --trace t.csv --bogus
expect_exit 2 "unknown option '-x'" -- setup -vx
expect_exit 2 "unknown command 'nosuch'" -- nosuch
expect_exit 2 "unknown subcommand 'nosuch'" -- profile nosuch
expect_exit 2 "unknown subcommand 'nosuch'" -- trace nosuch
expect_exit 2 "a subcommand is required" -- predictor
expect_exit 2 "unexpected argument 'extra'" -- report a.db extra

# 2. A number that is not one: the option and the value are both named.
expect_exit 2 "--seed: 'abc' is not" -- sim --trace t.csv --seed abc
expect_exit 2 "--noise: '1e999' is not" -- sim --trace t.csv --noise 1e999
expect_exit 2 "-r: 'fast' is not" -- -r fast
expect_exit 2 "--refresh: '10' is not a number of ms in 50..10000" -- console --refresh 10
expect_exit 2 "--cameras: '2.5' is not" -- demo --cameras 2.5
expect_exit 2 "--duration: 'soon' is not" -- serve --duration soon
expect_exit 2 "--jobs: 'x' is not" -- --batch spec.json --jobs x
expect_exit 2 "--forks: '0' is not" -- setup -i inv.ini pb.yml --forks 0
expect_exit 2 "--max-windows: '2' is not" -- profile run --max-windows 2
expect_exit 2 "--windows: '3x' is not" -- trace gen --out t.csv --windows 3x
expect_exit 2 "--seed: '-1' is not" -- predictor eval --seed -1
expect_exit 2 "--timeout: '0' is not a positive number" -- load --trace t.csv --timeout=0

# 3. A value missing, or given to a flag; a required option or operand missing.
expect_exit 2 "--trace needs a value (FILE)" -- sim --trace
expect_exit 2 "-i needs a value (FILE)" -- setup -i
expect_exit 2 "--out needs a value (DIR)" -- --batch spec.json --out ""
expect_exit 2 "--json takes no value" -- sim --trace t.csv --json=yes
expect_exit 2 "--trace FILE is required" -- sim
expect_exit 2 "--out FILE is required" -- trace gen
expect_exit 2 "a playbook is required" -- setup -i inv.ini
expect_exit 2 "a FILE or KIND is required" -- profile show

# 4. --help for every command: usage on stdout, exit 0, nothing on stderr, the
#    options named here among its lines, and each option line naming one the
#    parser knows (given a value and followed by an unknown option, the parser
#    stops at the unknown one or at the value, never at the listed option).
help_lists() { # help_lists "CMD WORDS" OPTION...: the usage names each OPTION
	local cmd=$1
	shift
	# shellcheck disable=SC2086
	expect_exit 0 "" -- $cmd --help
	grep -q "^usage: loudva $cmd" "$SCRATCH/out" ||
		fail "loudva $cmd --help: no usage line: $(head -1 "$SCRATCH/out")"
	check "loudva $cmd --help: nothing on stderr" test ! -s "$SCRATCH/err"
	for o in "$@" --help; do
		grep -qE -- "(^|[ ,])$o(,| |$)" "$SCRATCH/out" || fail "loudva $cmd --help does not list $o"
	done
	cp "$SCRATCH/out" "$SCRATCH/help"
	local listed
	listed=$(grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' "$SCRATCH/help" | grep -oE -- '--[a-z-]+')
	check "loudva $cmd --help lists options" test -n "$listed"
	for o in $listed; do
		[ "$o" = --help ] && continue
		# shellcheck disable=SC2086
		local rc=0
		"$LOUDVA" $cmd "$o=x" --zz-not-an-option >/dev/null 2>"$SCRATCH/err" || rc=$?
		if [ "$rc" -ne 2 ] || grep -qF -- "unknown option '$o'" "$SCRATCH/err"; then
			fail "loudva $cmd $o=x: exit $rc, want 2 and $o known: $(head -3 "$SCRATCH/err")"
		fi
	done
}
help_lists console -r --refresh --duration --iterations --cluster --policy --mode --listen \
	--cameras --seed --no-workload --workload --experiments --results --plots --db --mono \
	--ascii --agent --predictor --token-file --keep-logs --max-budget
help_lists serve --cluster --emulate --no-shm --listen --policy --mode --db --duration \
	--window-lead --token-file --agent --model-config --predictor --info --keep-logs --max-budget \
	--log-level --json
help_lists setup -i -l -t -C -f -e -v --inventory --limit --tags --skip-tags --check --forks --extra-vars \
	--known-hosts --accept-new --ssh-config --timeout --syntax-check --list-hosts --verbose
help_lists decide --queue --remaining --cluster --mode --predictor --policy --clock --busy \
	--down --oldest --alternatives --json
help_lists sim --trace --cluster --mode --predictor --policy --seed --noise --lognormal \
	--no-governor --until --json
help_lists demo --cameras --duration --seed --cluster --mode --predictor
help_lists load --trace --url --images --concurrency --speed --timeout --json
help_lists report
help_lists --batch --out --jobs --cluster --token-file --emulate --agent --quiet --no-plots
help_lists "profile import" --data --kind --out
help_lists "profile check" --data --kind --dir
help_lists "profile show" --dir --color --no-color --no-predictor
help_lists "profile run" --cluster --token-file --device --agent --freqs --batches \
	--requests --stability --max-windows --out --resume --preprocess-freqs --no-preprocess
help_lists "predictor train" --profiles --out
help_lists "predictor eval" --profiles --seed --json
help_lists "trace gen" --cameras --seed --duration --windows --min-active --max-active \
	--last-entry --rate-cap --budget --out
help_lists "trace show" --ascii
# The commands of verbs print every verb's usage.
for cmd in profile predictor trace; do
	expect_exit 0 "" -- $cmd --help
	check "loudva $cmd --help: one usage per verb" \
		test "$(grep -c "^usage: loudva $cmd " "$SCRATCH/out")" -ge 2
done
# Defaults that come from the value itself: --mode's.
"$LOUDVA" demo --help | grep -qE -- '--mode .*\[prof\]$' || fail "demo --help: --mode [prof]"
"$LOUDVA" sim --help | grep -qE -- '--mode .*\[pred\]$' || fail "sim --help: --mode [pred]"

# The console needs a terminal on stdout: into a pipe or file it refuses at
# once, before starting anything, instead of writing escape codes for ever.
# (timeout: the console it replaces ran until killed.)
for args in "console --listen none" "--listen none"; do
	rc=0
	timeout 60 "$LOUDVA" $args >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null || rc=$?
	check "loudva $args into a file: exit 2, got $rc" test "$rc" -eq 2
	grep -q "standard output is not a terminal.*loudva serve" "$SCRATCH/err" ||
		fail "loudva $args into a file: no reason given: $(head -3 "$SCRATCH/err")"
	[ ! -s "$SCRATCH/out" ] || fail "loudva $args wrote to a file: $(head -c 100 "$SCRATCH/out" | od -c | head -2)"
done

# A typo in a cluster file's field is an error naming the file, line and field
# (before it, serve ran the device without its agent and printed frames/J nan).
printf '{\n  "name": "typo",\n  "devices": [\n    {"name": "n0", "kind": "nano",\n     "agnet": "http://127.0.0.1:1", "triton": "http://127.0.0.1:1"}\n  ]\n}\n' \
	>"$SCRATCH/typo.json"
expect_exit 2 "typo.json:5: devices[0].agnet: unknown field (known: name, kind" -- \
	serve --cluster "$SCRATCH/typo.json" --listen none --duration 1

finish
