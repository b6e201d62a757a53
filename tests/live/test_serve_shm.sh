#!/usr/bin/env bash
# Batches through Triton's system shared memory: `loudva serve --cluster` on
# a running emulated agent marked "shm" hands it batches through regions it
# registers (the JSON header alone goes over HTTP), leaves no name behind in
# /dev/shm, and unregisters the regions at shutdown; /status and /metrics
# show the transport and the regions' bytes. `--no-shm` sends bodies. Every
# way, each frame is answered from its own pixels.
# And the case that happens in the field: a Triton that cannot see this
# host's /dev/shm (here an agent in its own mount namespace, as a container
# without the host's IPC would be) refuses the registration; the controller
# says so and serves every frame through HTTP bodies.
. "$(dirname "$0")/../agent/lib.sh"
LOUDVA=${LOUDVA:-build/san/loudva}
. "$(dirname "$0")/lib.sh"

printf 'Time,Frames After Filter,Camera Index,latency_constraint\n0,2,0,10\n0.1,3,1,10\n0.2,1,2,10\n0.3,2,3,10\n' \
	>"$SCRATCH/t.csv"

cluster() { # cluster FILE URL SHM
	cat >"$1" <<EOF
{"name": "lab", "profiles": "$PWD/profiles",
 "devices": [{"name": "nx-00", "kind": "xavier-nx", "agent": "$2", "triton": "$2", "shm": $3}]}
EOF
}

serve() { # serve CLUSTER ARGS...: lib.sh's start_serve on that cluster
	local c=$1
	shift
	start_serve "$SCRATCH/serve" --cluster "$c" --mode prof --policy transparent --json "$@"
}

stop_serve() {
	kill -INT "$SERVE_PID"
	local rc=0
	wait "$SERVE_PID" || rc=$?
	check "serve exits 0 on SIGINT (got $rc)" test "$rc" -eq 0
}

load() {
	"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT" \
		--images tests/live/fixtures --json >"$SCRATCH/load.json" 2>"$SCRATCH/load.err"
	check "every frame answered ($(tail -2 "$SCRATCH/load.err"))" \
		jq -e '.frames_answered == 8 and .frames_unanswered == 0 and .by_state.failed == 0' \
		"$SCRATCH/load.json"
	# The controller's own time per request (its answers' "latency") within the round trip.
	check "the controller's time is within the round trip: $(jq -c '[.controller_p50_s, .latency_p50_s, .controller_max_s, .latency_max_s]' "$SCRATCH/load.json")" \
		jq -e '.controller_p50_s > 0 and .controller_p50_s <= .latency_p50_s and .controller_max_s <= .latency_max_s' \
		"$SCRATCH/load.json"
}

regions() { curl -s "$1/v2/systemsharedmemory/status"; }

# own_answers WHAT: two different pictures in one request, in both orders. The emulated
# Triton answers each frame from its own bytes (a hash of them picks the top class), so each
# frame's class must follow its picture, and be the same whichever way the tensors went.
CAM=tests/live/fixtures/camera.jpg
STREET=tests/live/fixtures/street.jpg
classes() {
	curl -s -F "images=@$1" -F "images=@$2" "http://127.0.0.1:$SERVE_PORT/inference" |
		jq -r '[.results[].top_class | tostring] | join(" ")'
}
own_answers() {
	local ab ba c1 c2
	ab=$(classes "$CAM" "$STREET")
	ba=$(classes "$STREET" "$CAM")
	read -r c1 c2 <<<"$ab"
	check "$1: each frame's answer is its own ([camera, street]: $ab; [street, camera]: $ba)" \
		test -n "$c2" -a "$c1" != "$c2" -a "$ba" = "$c2 $c1"
	if [ -z "${FIRST_CLASSES:-}" ]; then
		FIRST_CLASSES=$ab
	else
		check "$1: the classes of the shared-memory run ($FIRST_CLASSES; now $ab)" \
			test "$ab" = "$FIRST_CLASSES"
	fi
}

# transport WANT: /status and /metrics say how nx-00's batches go (shm with its regions' bytes, or body).
transport() {
	curl -s "http://127.0.0.1:$SERVE_PORT/status" >"$SCRATCH/status.json"
	curl -s "http://127.0.0.1:$SERVE_PORT/metrics" >"$SCRATCH/metrics.txt"
	local bytes
	bytes=$(sed -n 's/^loudva_device_shm_bytes{device="nx-00"} //p' "$SCRATCH/metrics.txt")
	if [ "$1" = shm ]; then
		check "/status: transport shm, regions held: $(jq -c '.devices[0] | [.transport, .shm_bytes]' "$SCRATCH/status.json")" \
			jq -e '.devices[0].transport == "shm" and .devices[0].shm_bytes >= 1072812' "$SCRATCH/status.json"
		check "/metrics: the regions' bytes ($bytes)" test "${bytes:-0}" -ge 1072812
	else
		check "/status: transport body, no region: $(jq -c '.devices[0] | [.transport, .shm_bytes]' "$SCRATCH/status.json")" \
			jq -e '.devices[0].transport == "body" and .devices[0].shm_bytes == 0' "$SCRATCH/status.json"
		check "/metrics: no region's bytes ($bytes)" test "$bytes" = 0
	fi
}

# 1. Through shared memory.
start_agent nx --emulate xavier-nx
cluster "$SCRATCH/shm.json" "$nx_URL" true
serve "$SCRATCH/shm.json"
load
regions "$nx_URL" >"$SCRATCH/regions.json"
check "the agent holds the controller's regions: $(cat "$SCRATCH/regions.json")" \
	jq -e --arg p "loudva-$SERVE_PID-" 'length >= 1 and all(.[]; (.name | startswith($p)) and .byte_size >= 1072812 and .key == "/" + .name)' \
	"$SCRATCH/regions.json"
check "no region's name is left in /dev/shm" test -z "$(find /dev/shm -maxdepth 1 -name "loudva-$SERVE_PID-*")"
check "the log says so once, at info: $(grep -c registered "$SCRATCH/serve.err")" \
	test "$(grep -c "info nx-00: shared-memory region loudva-$SERVE_PID-[0-9]* registered" "$SCRATCH/serve.err")" -eq 1
check "no warning in the log ($(grep warn "$SCRATCH/serve.err" | head -1))" test -z "$(grep ' warn ' "$SCRATCH/serve.err")"
transport shm
own_answers "shared memory"
stop_serve
check "the summary counts 12 frames served" jq -e '.frames == 12 and (.ok + .late) == 12' "$SCRATCH/serve.out"
check "the regions are unregistered at shutdown: $(regions "$nx_URL")" test "$(regions "$nx_URL" | jq length)" = 0
check "the agent is still running" curl -sf "$nx_URL/healthz" -o /dev/null

# 2. --no-shm: the same device gets bodies.
serve "$SCRATCH/shm.json" --no-shm
load
check "no region with --no-shm: $(regions "$nx_URL")" test "$(regions "$nx_URL" | jq length)" = 0
transport body
own_answers "--no-shm"
stop_serve
check "no shared memory in the log" test -z "$(grep -i 'shared' "$SCRATCH/serve.err")"

# 3. A Triton that cannot see this host's /dev/shm: its own mount namespace, its own tmpfs.
cat >"$SCRATCH/agent-ns" <<EOF
#!/bin/sh
exec unshare --mount sh -c 'mount -t tmpfs tmpfs /dev/shm && exec "\$0" "\$@"' "$PWD/$LOUDVA_AGENT" "\$@"
EOF
chmod +x "$SCRATCH/agent-ns"
LOUDVA_AGENT=$SCRATCH/agent-ns start_agent apart --emulate xavier-nx
cluster "$SCRATCH/apart.json" "$apart_URL" true
serve "$SCRATCH/apart.json"
load
transport body
own_answers "refused shared memory"
stop_serve
check "the refusal is in the log: $(grep -m1 warn "$SCRATCH/serve.err")" \
	grep -q "warn nx-00: Triton refused shared memory (HTTP 400: .*/loudva-$SERVE_PID-.*): tensors go in HTTP bodies" "$SCRATCH/serve.err"
check "said once, not per batch" test "$(grep -c 'refused shared memory' "$SCRATCH/serve.err")" -eq 1
check "the summary counts 12 frames served" jq -e '.frames == 12 and (.ok + .late) == 12' "$SCRATCH/serve.out"
check "nothing left in this host's /dev/shm" test -z "$(find /dev/shm -maxdepth 1 -name "loudva-$SERVE_PID-*")"
finish
