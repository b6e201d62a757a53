#!/usr/bin/env bash
# `loudva --batch` with "mode": "live" on a running cluster, as an operator
# runs one: two loudva-agent processes started here (--emulate, loopback
# ports, a token file — as they would run on Jetsons), a cluster file naming
# their URLs and the token file, and a live spec with "agents": "cluster".
# The batch must write the usual report with every frame accounted for, keep
# each cell's frames, batches and telemetry in loudva.db (so `loudva report`
# gives the report's figures) and a power timeline whose integral is the
# run's energy; leave both agents running, every clock released between
# cells, and the clock it found pinned pinned again — also when interrupted
# by SIGINT in the middle of a cell. Then bad clusters: a
# device without an agent URL, an agent that does not answer, a wrong
# token — each a message naming the device and the URL, before any cell,
# and nothing at the report's place.
. "$(dirname "$0")/../agent/lib.sh"
LOUDVA=${LOUDVA:-build/san/loudva}

# The batch's own output: the table on stdout, the progress and messages on stderr.
batch() {
	BATCH_RC=0
	"$LOUDVA" --batch "$@" >"$SCRATCH/table.txt" 2>"$SCRATCH/batch.err" || BATCH_RC=$?
}

# nothing_at PREFIX: no report, no scratch directory, no .incomplete beside it.
nothing_at() {
	! compgen -G "$1*" >/dev/null
}

# clock NAME: the agent's clock state as "pinned target_hz" or "governor".
clock() {
	local url_var=${1}_URL
	curl -s "${!url_var}/gpu/frequency" | jq -r 'if .pinned then "pinned \(.target_hz)" else "governor" end'
}

check "--help describes live mode on embedded and running clusters" \
	sh -c "'$LOUDVA' --batch --help | grep -q 'agents\": \"cluster\"' &&
	       '$LOUDVA' --batch --help | grep -q 'agents\": \"embedded\"' &&
	       '$LOUDVA' --batch --help | grep -q -- '--cluster lab.json'"

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SCRATCH/agent.token"
chmod 600 "$SCRATCH/agent.token"
start_agent nx --emulate xavier-nx --token-file "$SCRATCH/agent.token"
start_agent nano --emulate nano --token-file "$SCRATCH/agent.token"
cat >"$SCRATCH/lab.json" <<EOF
{"name": "lab", "profiles": "$PWD/profiles", "token_file": "agent.token",
 "devices": [{"name": "nx-00", "kind": "xavier-nx", "agent": "$nx_URL"},
             {"name": "nano-00", "kind": "nano", "agent": "$nano_URL", "triton": "$nano_URL"}]}
EOF
cat >"$SCRATCH/spec.json" <<EOF
{"name": "lab-tiny", "mode": "live", "agents": "cluster", "cluster": "lab.json", "costs": "prof",
 "sample_s": 0.5, "baseline": "round_robin",
 "traces": [{"name": "gen-2cam-8s", "generate": {"cameras": 2, "duration_s": 8, "min_active_s": 3,
             "max_active_s": 6, "last_entry_s": 3, "budget_s": 3}, "seeds": [5]}],
 "policies": ["loud", "round_robin"]}
EOF
# The operator had pinned the Nano: the batch releases it and pins it back at the end.
nano_hz=$(curl -s "$nano_URL/gpu/frequencies" | jq '.frequencies_hz[2]')
req PUT "$nano_URL/gpu/frequency" -H "Authorization: Bearer $(cat "$SCRATCH/agent.token")" \
	-d "{\"hz\": $nano_hz}"
expect 200 "pin the Nano before the batch"

# 1. The experiment on the running cluster.
OUT=$SCRATCH/lab-tiny
batch "$SCRATCH/spec.json" --out "$OUT" --jobs 2
[ "$BATCH_RC" -eq 0 ] || fail "batch on the running cluster exited $BATCH_RC: $(cat "$SCRATCH/batch.err")"
R=$OUT/report.json
check "the report says live, on the cluster's agents" jq -e '.spec.mode == "live" and
	.spec.agents == "cluster" and (.runs | length) == 2 and all(.runs[]; .mode == "live")' "$R"
check "report.csv says live too" grep -q '^1,loud(prof),prof,live,gen-2cam-8s,5,' "$OUT/report.csv"
frames=$(jq '.runs[0].metrics.frames' "$R")
check "every frame accounted for ($frames per run)" jq -e 'all(.runs[].metrics; .frames > 0 and
	.frames == .accepted and .frames == .frames_served + .expired + .failed + .rejected and
	.failed == 0 and .expired == 0 and .requests > 0 and .energy_j > 0)' "$R"
check "both runs saw the same trace" jq -e '.runs[0].metrics.frames == .runs[1].metrics.frames' "$R"
check "per-device energies from the agents" jq -e 'all(.runs[].devices[]; .energy_j > 0)' "$R"
check "run-info names the cluster's agents and the token file, not the token" jq -e --arg t \
	"$(cat "$SCRATCH/agent.token")" '.live.agents == "cluster" and (.live.devices | length) == 2 and
	.live.devices[1].clock_found_pinned_hz != null and (tostring | contains($t) | not)' \
	"$OUT/run-info.json"
check "the agents are still running" kill -0 "$nx_PID" "$nano_PID"
check "the Xavier NX is back on its governor ($(clock nx))" test "$(clock nx)" = governor
check "the Nano is pinned as it was found ($(clock nano))" test "$(clock nano)" = "pinned $nano_hz"
# Each cell pins clocks (loud does) and every cell ends released: the agent's log shows a
# release after its last pin by a cell, and one before and after each cell.
nx_releases=$(grep -c "released to the default governor" "$SCRATCH/nx.log")
check "the Xavier NX's clock released before and after each cell ($nx_releases)" \
	test "$nx_releases" -ge 5
check "a cell set the Xavier NX's clock" grep -q "pinned to" "$SCRATCH/nx.log"
check "the Xavier NX's last clock change is a release" \
	sh -c "grep -E 'pinned to|released to' '$SCRATCH/nx.log' | tail -1 | grep -q released"
check "the Nano's last clock change is its pin as found" \
	sh -c "grep -E 'pinned to|released to' '$SCRATCH/nano.log' | tail -1 | grep -q 'pinned to $nano_hz'"

# The record: frames, batches and telemetry per run, and loudva report agrees with report.json.
DB=$OUT/loudva.db
check "loudva.db: every frame of each run" test "$(sqlite3 "$DB" \
	"SELECT count(*) FROM frames GROUP BY run_id" | sort -u)" = "$frames"
check "loudva.db: frames under their trace request index, on the trace's time axis" \
	test "$(sqlite3 "$DB" "SELECT min(request) = 0 AND min(arrival_s) >= 0 FROM frames")" = 1
check "loudva.db: batches and both devices' telemetry in each run" test "$(sqlite3 "$DB" \
	"SELECT count(*) FROM (SELECT run_id FROM telemetry GROUP BY run_id
	 HAVING count(DISTINCT device) = 2) JOIN (SELECT DISTINCT run_id r FROM batches) ON r = run_id")" = 2
"$LOUDVA" report "$DB" >"$SCRATCH/report.txt" || fail "loudva report: $(cat "$SCRATCH/report.txt")"
for run in 1 2; do
	want=$(jq -r --argjson r "$run" '.runs[] | select(.run == $r) | .metrics |
		"\(.frames) \(.ok) \(.late) \(.failed) \(.expired) \(.rejected)"' "$R")
	got=$(awk -v r="$run" '$1 == r { print $5, $6, $7, $8, $9, $10 }' "$SCRATCH/report.txt")
	check "loudva report: run $run as report.json ($got vs $want)" test "$got" = "$want"
done
# The power timeline of the first loud run: 0.5 s samples over its window, integral = its energy.
check "plots/power.dat: the first run's power timeline integrates to its energy" \
	awk -v w="$(jq '.runs[0].metrics.window_s' "$R")" -v e="$(jq '.runs[0].metrics.energy_j' "$R")" \
	'!/^#/ { t[n] = $1; p[n++] = $2 }
	 END { for (i = 0; i < n; i++) { len = (i + 1 < n ? 0.5 : w - t[i]); j += p[i] * len; if (p[i] <= 0) exit 1 }
	       exit !(n == int(w / 0.5 + 0.999999) && (j - e) / e < 1e-4 && (e - j) / e < 1e-4) }' \
	"$OUT/plots/power.dat"

# Live against simulated for the loud cell, over the live run's window (a figure, loosely
# checked: the agents idled on their governor before the cell, the simulator starts at the
# top clock).
"$LOUDVA" trace gen --cameras 2 --seed 5 --duration 8 --min-active 3 --max-active 6 \
	--last-entry 3 --budget 3 --out "$SCRATCH/t.csv" >/dev/null || fail "trace gen"
w=$(jq '.runs[0].metrics.window_s' "$R")
"$LOUDVA" sim --trace "$SCRATCH/t.csv" --cluster "$SCRATCH/lab.json" --policy loud --mode prof \
	--until "$w" --json >"$SCRATCH/sim.json" || fail "sim"
live_fpj=$(jq '.runs[0].metrics.frames_per_joule' "$R")
sim_fpj=$(jq .frames_per_joule "$SCRATCH/sim.json")
echo "loud(prof) on the running cluster: live $live_fpj frames/J, sim $sim_fpj frames/J, window $w s"
check "live and simulated: the same frames" test "$(jq .frames "$SCRATCH/sim.json")" = "$frames"
check "live and simulated frames/J within 15 % ($live_fpj vs $sim_fpj)" \
	jq -n -e --argjson a "$live_fpj" --argjson b "$sim_fpj" '($a - $b) / $b | fabs <= 0.15'

# 2. SIGINT during a cell: the cell is cut short, OUT.incomplete is left, the agents run on
#    and the clocks are put back as found.
pins=$(grep -c "pinned to" "$SCRATCH/nx.log")
"$LOUDVA" --batch "$SCRATCH/spec.json" --out "$SCRATCH/int" >/dev/null 2>"$SCRATCH/int.err" &
bpid=$!
for _ in $(seq 1 300); do # until the first cell's policy has set a clock
	[ "$(grep -c "pinned to" "$SCRATCH/nx.log")" -gt "$pins" ] && break
	sleep 0.1
done
kill -INT "$bpid"
rc=0
wait "$bpid" || rc=$?
check "SIGINT mid-cell: exit 130 ($rc: $(tail -2 "$SCRATCH/int.err"))" test "$rc" -eq 130
check "SIGINT mid-cell: marked incomplete, no report" \
	test -f "$SCRATCH/int.incomplete/INCOMPLETE" -a ! -e "$SCRATCH/int"
check "SIGINT mid-cell: the agents run on" kill -0 "$nx_PID" "$nano_PID"
check "SIGINT mid-cell: clocks as found ($(clock nx), $(clock nano))" \
	test "$(clock nx)" = governor -a "$(clock nano)" = "pinned $nano_hz"

# 3. Bad clusters: a clear message before any cell, nothing written, the agents untouched.
req PUT "$nx_URL/gpu/frequency" -H "Authorization: Bearer $(cat "$SCRATCH/agent.token")" \
	-d "{\"hz\": $(curl -s "$nx_URL/gpu/frequencies" | jq '.frequencies_hz[1]')}"
nx_before=$(clock nx)
jq 'del(.devices[1].agent, .devices[1].triton)' "$SCRATCH/lab.json" >"$SCRATCH/nourl.json"
batch "$SCRATCH/spec.json" --cluster "$SCRATCH/nourl.json" --out "$SCRATCH/bad1"
check "no agent URL: exit 2 ($BATCH_RC)" test "$BATCH_RC" -eq 2
check "no agent URL: names the device" grep -q 'nourl.json: device nano-00 has no "agent" URL' \
	"$SCRATCH/batch.err"
check "no agent URL: nothing written" nothing_at "$SCRATCH/bad1"

jq --arg u "http://127.0.0.1:9" '.devices[1].agent = $u | .devices[1].triton = $u' \
	"$SCRATCH/lab.json" >"$SCRATCH/dead.json"
batch "$SCRATCH/spec.json" --cluster "$SCRATCH/dead.json" --out "$SCRATCH/bad2"
check "unreachable agent: exit 1 ($BATCH_RC)" test "$BATCH_RC" -eq 1
check "unreachable agent: names the device and the URL" \
	grep -q 'device nano-00: agent http://127.0.0.1:9 does not answer' "$SCRATCH/batch.err"
check "unreachable agent: nothing written" nothing_at "$SCRATCH/bad2"

echo "not-the-token" >"$SCRATCH/wrong.token"
batch "$SCRATCH/spec.json" --token-file "$SCRATCH/wrong.token" --out "$SCRATCH/bad3"
check "wrong token: exit 1 ($BATCH_RC)" test "$BATCH_RC" -eq 1
check "wrong token: names the device, the URL and the token file" grep -q \
	"device nx-00: agent $nx_URL refused the token in $SCRATCH/wrong.token: .*wrong bearer token" \
	"$SCRATCH/batch.err"
check "wrong token: nothing written" nothing_at "$SCRATCH/bad3"
check "the failed checks left the clocks alone ($(clock nx), $(clock nano))" \
	test "$(clock nx)" = "$nx_before" -a "$(clock nano)" = "pinned $nano_hz"
check "the agents are still running after the failed checks" kill -0 "$nx_PID" "$nano_PID"
check "a sim spec refuses --cluster" sh -c "'$LOUDVA' --batch experiments/tiny.json \
	--cluster '$SCRATCH/lab.json' --out '$SCRATCH/bad4' 2>&1 | grep -q 'are for live experiments'"
finish
