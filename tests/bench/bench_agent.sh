#!/usr/bin/env bash
# bench_agent: the emulated agent (release build) on loopback — KServe v2
# infer round trips per second with a profile whose batches take 1 µs (so
# the figure is the agent's own cost: HTTP, the 1 MB binary body of one
# Inception image, validation, the device model, the response), driven by
# wrk with a Lua POST; the same for a small GET (/telemetry); and the
# agent's resident memory idle and after the load. Figures only, one line
# each, name first.
set -u
cd "$(dirname "$0")/../.."
AGENT=${LOUDVA_AGENT_REL:-build/loudva-agent}
DUR=${BENCH_AGENT_SECONDS:-5}
S=$(mktemp -d "${TMPDIR:-/tmp}/loudva-bench-agent-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$S"' EXIT

if ! command -v wrk >/dev/null; then
	echo "bench_agent: wrk is not installed (make deps installs it)"
	exit 0
fi
jq '.points |= map(.latency_s = 1e-6) | .clock_change_delay_s = 0.001' profiles/agx-xavier.json \
	>"$S/agx-xavier.json"
"$AGENT" --emulate agx-xavier --profile "$S/agx-xavier.json" --listen 127.0.0.1:0 \
	--port-file "$S/port" --log "$S/log" &
pid=$!
for _ in $(seq 1 200); do
	[ -s "$S/port" ] && break
	sleep 0.05
done
url=http://127.0.0.1:$(cat "$S/port")

rss_kb() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }

h='{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"parameters":{"binary_data_size":1072812}}],"outputs":[{"name":"InceptionV3/Predictions/Softmax","parameters":{"binary_data":true}}]}'
printf '%s' "$h" >"$S/body"
head -c 1072812 /dev/zero >>"$S/body"
cat >"$S/post.lua" <<LUA
local f = io.open("$S/body", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Inference-Header-Content-Length"] = "${#h}"
LUA
curl -s -o /dev/null "$url/healthz"
rss_idle=$(rss_kb VmRSS)

conns=${BENCH_AGENT_CONNECTIONS:-4}
wrk -t2 -c"$conns" -d"${DUR}s" -s "$S/post.lua" "$url/v2/models/inception_graphdef/infer" >"$S/infer.out" 2>&1
rps=$(awk '/^Requests\/sec:/ { print $2 }' "$S/infer.out")
bad=$(awk '/Non-2xx/ { print $NF }' "$S/infer.out")
lat=$(awk '$1 == "Latency" { print $2 }' "$S/infer.out")
mbps=$(awk -v r="${rps:-0}" -v b="$(stat -c %s "$S/body")" 'BEGIN { printf "%.0f", r * b / 1e6 }')
echo "agent_infer_roundtrips ${rps:-?} /s (batch 1, 1.07 MB binary body, ${mbps} MB/s in; wrk 2 threads, $conns connections, ${DUR} s; mean latency $lat; non-200: ${bad:-0}; $(nproc) cores)"
rss_peak_infer=$(rss_kb VmHWM)

wrk -t2 -c"$conns" -d"${DUR}s" "$url/telemetry" >"$S/get.out" 2>&1
grps=$(awk '/^Requests\/sec:/ { print $2 }' "$S/get.out")
echo "agent_get_telemetry ${grps:-?} /s (wrk 2 threads, $conns connections, ${DUR} s)"

sleep 0.5
echo "agent_rss_idle $(awk -v k="$rss_idle" 'BEGIN { printf "%.1f", k / 1024 }') MB (VmRSS after start)"
echo "agent_rss_after_load $(awk -v k="$(rss_kb VmRSS)" 'BEGIN { printf "%.1f", k / 1024 }') MB (VmRSS; peak VmHWM $(awk -v k="$(rss_kb VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }') MB, $(awk -v k="$rss_peak_infer" 'BEGIN { printf "%.1f", k / 1024 }') MB after the infer run)"
kill -TERM "$pid"
wait "$pid"
pid=
