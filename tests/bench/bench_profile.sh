#!/usr/bin/env bash
# bench_profile: `loudva profile run` (release build) against an emulated
# Nano whose batches all take 50 ms and whose clock changes take 1 ms, so
# the figures are the sweep's own cost: per batch size, the client-side
# overhead over the server's compute time (HTTP and the 1-4 MB binary body,
# mean over the samples, ms), the wall time of a 3 clock x 4 batch sweep with
# the stability criterion (5%), and the profiler's own CPU (user + system)
# per measured request.
# Figures only, one line each, name first.
set -u
cd "$(dirname "$0")/../.."
LOUDVA=${LOUDVA_REL:-build/loudva}
AGENT=${LOUDVA_AGENT_REL:-build/loudva-agent}
S=$(mktemp -d "${TMPDIR:-/tmp}/loudva-bench-profile-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$S"' EXIT

jq '.points |= map(.latency_s = 0.05) | .clock_change_delay_s = 0.001' profiles/nano.json >"$S/nano.json"
echo bench-token >"$S/token"
chmod 600 "$S/token"
"$AGENT" --emulate nano --profile "$S/nano.json" --listen 127.0.0.1:0 --port-file "$S/port" \
	--log "$S/log" --token-file "$S/token" &
pid=$!
for _ in $(seq 1 200); do
	[ -s "$S/port" ] && break
	sleep 0.05
done
url=http://127.0.0.1:$(cat "$S/port")
printf '{"name": "b", "profiles": "%s", "devices": [{"name": "nano-00", "kind": "nano", "agent": "%s", "triton": "%s"}]}\n' \
	"$PWD/profiles" "$url" "$url" >"$S/cluster.json"
t0=$(date +%s.%N)
TIMEFORMAT='%U %S'
if ! { time "$LOUDVA" profile run --cluster "$S/cluster.json" --token-file "$S/token" \
	--device nano-00 --freqs 614400000,768000000,921600000 --batches 1-4 --requests 10 \
	--stability 5% --out "$S/p.json" 2>"$S/err"; } 2>"$S/cpu"; then
	echo "bench_profile: the sweep failed: $(tail -2 "$S/err")"
	exit 1
fi
t1=$(date +%s.%N)
awk -F, 'NR > 1 { d[$2] += $5 - $6; n[$2]++ }
	END { for (b = 1; b <= 4; b++) printf "profile_overhead_b%d_ms %.3f\n", b, 1e3 * d[b] / n[b] }' \
	"$S/p.json.samples.csv"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "profile_sweep_3x4_s %.2f\n", b - a }'
# Requests: the samples, plus one warm-up per point.
reqs=$(($(wc -l <"$S/p.json.samples.csv") - 1 + 12))
read -r u sy <"$S/cpu"
awk -v u="$u" -v s="$sy" -v n="$reqs" 'BEGIN { printf "profile_cpu_per_request_ms %.3f (%d requests of 1-4 frames)\n", 1e3 * (u + s) / n, n }'
