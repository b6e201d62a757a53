#!/usr/bin/env bash
# `loudva serve --cluster` on a running cluster, as on Jetsons: one
# loudva-agent started here with a token file, a cluster file naming it.
# Frames posted through the front end are served on it (the controller
# pins the clock its decisions want), and on SIGINT the controller answers
# everything, releases the clock it set to the governor and leaves the agent
# running.
. "$(dirname "$0")/../agent/lib.sh"
LOUDVA=${LOUDVA:-build/san/loudva}
. "$(dirname "$0")/lib.sh"

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SCRATCH/agent.token"
chmod 600 "$SCRATCH/agent.token"
start_agent nx --emulate xavier-nx --token-file "$SCRATCH/agent.token"
cat >"$SCRATCH/lab.json" <<EOF
{"name": "lab", "profiles": "$PWD/profiles", "token_file": "agent.token",
 "devices": [{"name": "nx-00", "kind": "xavier-nx", "agent": "$nx_URL", "triton": "$nx_URL"}]}
EOF
pinned() { curl -s "$nx_URL/gpu/frequency" | jq -r .pinned; }
check "the agent starts on its governor" test "$(pinned)" = false

start_serve "$SCRATCH/serve" --cluster "$SCRATCH/lab.json" --mode prof --json

# Two requests of two frames with loose budgets: loud dispatches them at a clock of its choosing.
printf 'Time,Frames After Filter,Camera Index,latency_constraint\n0,2,0,10\n0.2,2,1,10\n' >"$SCRATCH/t.csv"
"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT" \
	--images tests/live/fixtures --json >"$SCRATCH/load.json" 2>"$SCRATCH/load.err"
check "every frame answered ($(tail -2 "$SCRATCH/load.err"))" jq -e '.frames_answered == 4 and .frames_unanswered == 0' "$SCRATCH/load.json"
check "the controller set the clock while serving" test "$(pinned)" = true

kill -INT "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
check "serve exits 0 on SIGINT (got $rc)" test "$rc" -eq 0
check "the clock is the governor's again" test "$(pinned)" = false
check "the agent is still running" curl -sf "$nx_URL/healthz" -o /dev/null
finish
