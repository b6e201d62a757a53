# Helpers for the console scenario scripts: the real `loudva` in a detached
# tmux session, driven with send-keys and read with capture-pane. Source it;
# run from the repository root. Nothing here is timed: wait_for polls the
# screen until a condition holds, with a generous cap, and fails only then.
set -u
LOUDVA=${LOUDVA:-build/san/loudva}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/loudva-console-XXXXXX")
SESSION="lvtest-$$"
FAILS=0
export TMUX_TMPDIR=$SCRATCH # a private tmux server: never the operator's
# The console's history and configuration in the scratch directory, never the operator's.
export XDG_STATE_HOME=$SCRATCH/state XDG_CONFIG_HOME=$SCRATCH/config

cleanup() {
	tmux kill-server 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# start COLS ROWS COMMAND...: a shell in a COLS x ROWS pane runs COMMAND, then
# records its exit status and the terminal's modes in $SCRATCH.
start() {
	local cols=$1 rows=$2
	shift 2
	tmux new-session -d -s "$SESSION" -x "$cols" -y "$rows" \
		"cd '$PWD' && $* 2>'$SCRATCH/stderr'; echo \$? >'$SCRATCH/rc'; stty -a >'$SCRATCH/stty' 2>&1; echo CONSOLE-EXITED; sleep 600"
}

screen() {
	tmux capture-pane -p -t "$SESSION"
}

keys() {
	tmux send-keys -t "$SESSION" "$@"
}

# wait_for WHAT CAP_S GREP-ARGS...: polls the screen until grep matches.
wait_for() {
	local what=$1 cap=$2
	shift 2
	local end=$((SECONDS + cap))
	while [ "$SECONDS" -lt "$end" ]; do
		if screen | grep -q "$@"; then
			return 0
		fi
		sleep 0.3
	done
	fail "$what: not on screen within ${cap}s; screen:"
	screen >&2
	return 1
}

# wait_gone WHAT CAP_S GREP-ARGS...: polls the screen until grep no longer matches.
wait_gone() {
	local what=$1 cap=$2
	shift 2
	local end=$((SECONDS + cap))
	while [ "$SECONDS" -lt "$end" ]; do
		if ! screen | grep -q "$@"; then
			return 0
		fi
		sleep 0.3
	done
	fail "$what: still on screen after ${cap}s; screen:"
	screen >&2
	return 1
}

# The console's pid: the pane's shell's child.
console_pid() {
	local shell
	shell=$(tmux display -p -t "$SESSION" '#{pane_pid}')
	pgrep -P "$shell" | head -1
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "--- console stderr:"
		cat "$SCRATCH/stderr" 2>/dev/null
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}
