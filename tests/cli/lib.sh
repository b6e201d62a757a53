# Helpers for the command-line scenario scripts. Source it; run from the repo root.
set -u
LOUDVA=${LOUDVA:-build/san/loudva}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/loudva-cli-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
FAILS=0

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# expect_exit CODE NEEDLE -- ARGS...: runs loudva ARGS, checks the exit code and
# that stderr contains NEEDLE (skip the check with an empty NEEDLE).
expect_exit() {
	local want=$1 needle=$2
	shift 3
	local rc=0
	"$LOUDVA" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "loudva $* exited $rc, want $want; stderr: $(cat "$SCRATCH/err")"
		return
	fi
	if [ -n "$needle" ] && ! grep -qF -- "$needle" "$SCRATCH/err"; then
		fail "loudva $*: stderr lacks '$needle': $(cat "$SCRATCH/err")"
	fi
	if [ "$want" -eq 2 ] && [ "$(wc -l <"$SCRATCH/err")" -gt 3 ]; then
		fail "loudva $*: bad input should give a short message, got: $(cat "$SCRATCH/err")"
	fi
}

# check DESCRIPTION CONDITION...: evaluates a test(1) expression.
check() {
	local what=$1
	shift
	if ! "$@" >/dev/null; then
		fail "$what"
	fi
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}
