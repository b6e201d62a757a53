#!/usr/bin/env bash
# bench_console: what the console costs while an operator idly watches the
# embedded cluster — CPU of the `loudva` process (optimised build) over
# ~10 s at the default 500 ms refresh, read from /proc/<pid>/stat, with the
# UI thread (the main thread, /proc/<pid>/task/<pid>/stat) apart from the
# engine, dispatcher and front-end threads. Once with the synthetic
# workload on (the default) and once with it off. Figures only, one line
# each; never a pass/fail.
set -u
cd "$(dirname "$0")/../.."
LOUDVA=${LOUDVA_REL:-build/loudva}
WINDOW_S=${BENCH_CONSOLE_WINDOW_S:-10}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/loudva-bench-console-XXXXXX")
export TMUX_TMPDIR=$SCRATCH
trap 'tmux kill-server 2>/dev/null; rm -rf "$SCRATCH"' EXIT
HZ=$(getconf CLK_TCK)

ticks() { # utime + stime of a /proc stat file (fields 14 and 15, after the "(comm)")
	sed 's/^.*) //' "$1" 2>/dev/null | awk '{ print $12 + $13 }'
}

measure() { # LABEL EXTRA-ARGS
	local label=$1 extra=$2 s=bench$RANDOM
	tmux new-session -d -s "$s" -x 100 -y 30 \
		"'$LOUDVA' console --listen none $extra 2>/dev/null; sleep 60"
	local end=$((SECONDS + 60))
	until tmux capture-pane -p -t "$s" | grep -q "^nano-01 "; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "console idle CPU ($label): the console did not come up"
			tmux kill-session -t "$s"
			return
		fi
		sleep 0.3
	done
	local pid
	pid=$(pgrep -P "$(tmux display -p -t "$s" '#{pane_pid}')" | head -1)
	sleep 3 # let start-up settle: the first traces, the history filling
	local p0 u0 t0 p1 u1 t1
	p0=$(ticks /proc/$pid/stat)
	u0=$(ticks /proc/$pid/task/$pid/stat)
	t0=$(date +%s.%N)
	sleep "$WINDOW_S"
	p1=$(ticks /proc/$pid/stat)
	u1=$(ticks /proc/$pid/task/$pid/stat)
	t1=$(date +%s.%N)
	awk -v p="$((p1 - p0))" -v u="$((u1 - u0))" -v hz="$HZ" -v t0="$t0" -v t1="$t1" -v l="$label" \
		'BEGIN { s = t1 - t0; printf "console idle CPU (%s, 500 ms refresh, 100x30): process %.2f%% of a core, UI thread %.2f%%, engine/dispatcher/telemetry %.2f%% (%.1f s window)\n", l, 100 * p / hz / s, 100 * u / hz / s, 100 * (p - u) / hz / s, s }'
	tmux send-keys -t "$s" ':q!' Enter
	end=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
	tmux kill-session -t "$s" 2>/dev/null
}

measure "workload on" ""
measure "workload off" "--no-workload"
