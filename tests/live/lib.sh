# Helpers for the live scripts: start `loudva serve` on the embedded cluster,
# post frames with curl, tally the answers. Source it from the repo root
# after tests/cli/lib.sh.
LOUDVA_AGENT=${LOUDVA_AGENT:-build/san/loudva-agent}
SERVE_PID=
SERVE_PORT=

# The test image: a 320x240 JPEG fixture (committed, so no image tool is needed).
make_images() {
	mkdir -p "$1"
	cp tests/live/fixtures/camera.jpg "$1/a.jpg"
}

# start_serve LOGFILE ARGS...: starts loudva serve in the background on a
# free port with --info $SCRATCH/info.json; waits until it is up.
start_serve() {
	local log=$1
	shift
	rm -f "$SCRATCH/info.json"
	# SIGHUP at its default: serve leaves an ignored SIGHUP ignored (nohup), and a suite
	# started under nohup would otherwise wait for ever on a test that sends it one
	TMPDIR="$SCRATCH" env --default-signal=HUP "$LOUDVA" serve --listen 127.0.0.1:0 \
		--agent "$LOUDVA_AGENT" --info "$SCRATCH/info.json" "$@" >"$log.out" 2>"$log.err" &
	SERVE_PID=$!
	for _ in $(seq 1 600); do
		[ -s "$SCRATCH/info.json" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$SCRATCH/info.json" ]; then
		fail "serve did not come up: $(cat "$log.err")"
		return 1
	fi
	SERVE_PORT=$(jq -r .port "$SCRATCH/info.json")
}

# post OUT N BUDGET: one request of N copies of the test image.
post() {
	local out=$1 n=$2 budget=$3 args=()
	for _ in $(seq 1 "$n"); do args+=(-F "images=@$SCRATCH/img/a.jpg"); done
	curl -s --max-time 120 "${args[@]}" -F "latency=$budget" \
		"http://127.0.0.1:$SERVE_PORT/inference" >"$out" || echo '{"curl":"failed"}' >"$out"
}

# camera DIR ID REQUESTS FRAMES BUDGET GAP: a camera posting REQUESTS requests in turn.
camera() {
	local dir=$1 id=$2 reqs=$3 n=$4 budget=$5 gap=$6
	for r in $(seq 1 "$reqs"); do
		post "$dir/cam$id-$r.json" "$n" "$budget"
		sleep "$gap"
	done
}

# tally DIR: "frames ok late failed expired rejected" over the answers in DIR.
tally() {
	cat "$1"/*.json | jq -s -r '[.[] | .results // [] | .[]] as $f |
		[($f | length), ([$f[] | select(.state == "ok")] | length),
		 ([$f[] | select(.state == "late")] | length),
		 ([$f[] | select(.state == "failed")] | length),
		 ([$f[] | select(.state == "expired")] | length),
		 ([$f[] | select(.state == "rejected")] | length)] | @tsv'
}

# status_of DEVICE: the device's state in GET /status.
status_of() {
	curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/status" |
		jq -r --arg d "$1" '.devices[] | select(.name == $d) | .state'
}

# wait_state DEVICE STATE SECONDS: 0 once /status shows it.
wait_state() {
	for _ in $(seq 1 $(($3 * 10))); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# agent_pids: the embedded agents' process ids.
agent_pids() {
	jq -r '.devices[].pid' "$SCRATCH/info.json"
}
