#!/usr/bin/env bash
# make bench: the C benchmark program, then every tests/bench/bench_*.sh.
# Figures only — one line each, name first — never a pass/fail.
set -u
cd "$(dirname "$0")/../.."
"${LOUDVA_BENCH:-build/rel/loudva-bench}"
for s in tests/bench/bench_*.sh; do
	[ -e "$s" ] || continue
	bash "$s" || echo "$(basename "$s" .sh): did not complete (exit $?)"
done
