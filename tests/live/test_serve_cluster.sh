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

# ---- a Triton that could not load the model: the device is down with Triton's reason.
# The agent's repository has a version directory without the weights, as Triton finds it
# before playbooks/model.yml has installed them.
mkdir -p "$SCRATCH/nwrepo/inception_graphdef/1"
cp model_repository/inception_graphdef/config.pbtxt "$SCRATCH/nwrepo/inception_graphdef/"
start_agent nw --emulate xavier-nx --model-repository "$SCRATCH/nwrepo"
req GET "$nw_URL/v2/models/inception_graphdef/ready"
expect_error 400 "the model without weights is not ready" "has no available versions"
req POST "$nw_URL/v2/repository/index" -d '{}'
expect 200 "the repository index says why" '.[0].name == "inception_graphdef" and .[0].version == "1" and .[0].state == "UNAVAILABLE" and (.[0].reason | contains("1/model.graphdef"))'
reason=$(jq -r '.[0].reason' "$SCRATCH/body")
req GET "$nw_URL/v2/health/ready"
expect_error 503 "Triton is not ready without its model" "is not loaded"
cat >"$SCRATCH/nw.json" <<EOF
{"name": "nw", "profiles": "$PWD/profiles",
 "devices": [{"name": "nx-01", "kind": "xavier-nx", "agent": "$nw_URL", "triton": "$nw_URL"}]}
EOF
start_serve "$SCRATCH/serve-nw" --cluster "$SCRATCH/nw.json" --mode prof --json
# one frame, sent in the background: its batch fails there, and the device is probed
printf 'Time,Frames After Filter,Camera Index,latency_constraint\n0,1,0,1\n' >"$SCRATCH/t1.csv"
"$LOUDVA" load --trace "$SCRATCH/t1.csv" --url "http://127.0.0.1:$SERVE_PORT" \
	--images tests/live/fixtures --json >"$SCRATCH/load-nw.json" 2>"$SCRATCH/load-nw.err" &
load_pid=$!
status() { curl -s "http://127.0.0.1:$SERVE_PORT/status" | jq -r "$1"; }
for _ in $(seq 1 100); do
	[ "$(status '.devices[0].state')" = down ] && break
	sleep 0.05
done
check "the device is down ($(status '.devices[0].state'))" test "$(status '.devices[0].state')" = down
check "with Triton's reason in /status ($(status '.devices[0].last_error'))" \
	test "$(status '.devices[0].last_error')" = "model not loaded: $reason"
sleep 0.6 # another probe (0.5 s apart): the reason stays, the device stays down
check "and stays down with it" test "$(status '.devices[0].state') $(status '.devices[0].last_error')" = "down model not loaded: $reason"
kill -INT "$SERVE_PID"
wait "$SERVE_PID" || true
wait "$load_pid" || true
finish
