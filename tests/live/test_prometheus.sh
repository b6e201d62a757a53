#!/usr/bin/env bash
# Several sites through Prometheus: a real Prometheus server (the Debian
# package) on loopback scrapes two `loudva serve` controllers (embedded
# clusters) with monitoring/'s rules. promtool checks the configuration and
# runs the rules' unit tests; a query through Prometheus's HTTP API returns
# the fleet's summed frames, equal to what the two controllers' /metrics
# say; an agent that stops answering (SIGSTOP: a hung board, which the
# launcher does not restart) makes LoudvaDeviceDown fire for its site. The
# alert's `for:` is shortened to 2 s in the copy this test loads, so it
# fires within the test; the shipped minute is checked by promtool.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"

for t in prometheus promtool; do
	command -v "$t" >/dev/null || {
		fail "$t is not installed (make deps installs the prometheus package)"
		finish
	}
done
promtool check config monitoring/prometheus.yml >"$SCRATCH/check.out" 2>&1 ||
	fail "promtool check config: $(cat "$SCRATCH/check.out")"
promtool test rules monitoring/tests/rules_test.yml >"$SCRATCH/rules.out" 2>&1 ||
	fail "promtool test rules: $(cat "$SCRATCH/rules.out")"
check "the Grafana dashboard is JSON with panels" jq -e '.panels | length > 0' monitoring/grafana/loudva-fleet.json

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# two sites
PIDS=()
PORTS=()
for site in a b; do
	TMPDIR="$SCRATCH" "$LOUDVA" serve --listen 127.0.0.1:0 --agent "$LOUDVA_AGENT" \
		--info "$SCRATCH/$site.json" >"$SCRATCH/$site.out" 2>"$SCRATCH/$site.err" &
	PIDS+=($!)
done
for site in a b; do
	for _ in $(seq 1 600); do [ -s "$SCRATCH/$site.json" ] && break; sleep 0.1; done
	PORTS+=("$(jq -r .port "$SCRATCH/$site.json" 2>/dev/null)")
done
PROM_PID=
cleanup() {
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
if [ -z "${PORTS[0]}" ] || [ "${PORTS[0]}" = null ] || [ -z "${PORTS[1]}" ] || [ "${PORTS[1]}" = null ]; then
	fail "the controllers did not come up: $(cat "$SCRATCH"/a.err "$SCRATCH"/b.err)"
	finish
fi

# load: a few requests to each site
make_images "$SCRATCH/img"
mkdir -p "$SCRATCH/ans"
for i in 0 1; do
	SERVE_PORT=${PORTS[$i]}
	for r in 1 2 3; do post "$SCRATCH/ans/$i-$r.json" 2 5; done
done

# Prometheus, on loopback, with the shipped rules
mkdir -p "$SCRATCH/prom/rules"
cp monitoring/rules/loudva-recording.yml "$SCRATCH/prom/rules/"
sed -e '/alert: LoudvaDeviceDown/,/for:/s/for: 1m/for: 2s/' monitoring/rules/loudva-alerts.yml \
	>"$SCRATCH/prom/rules/loudva-alerts.yml"
check "the test's copy shortens only LoudvaDeviceDown's for:" \
	test "$(diff monitoring/rules/loudva-alerts.yml "$SCRATCH/prom/rules/loudva-alerts.yml" | grep -c '^>')" = 1
cat >"$SCRATCH/prom/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - rules/loudva-recording.yml
  - rules/loudva-alerts.yml
scrape_configs:
  - job_name: loudva
    static_configs:
      - targets: ["127.0.0.1:${PORTS[0]}"]
        labels: { site: a }
      - targets: ["127.0.0.1:${PORTS[1]}"]
        labels: { site: b }
EOC
promtool check config "$SCRATCH/prom/prometheus.yml" >"$SCRATCH/check2.out" 2>&1 ||
	fail "promtool check config (test copy): $(cat "$SCRATCH/check2.out")"
PP=$(free_port)
prometheus --config.file="$SCRATCH/prom/prometheus.yml" --storage.tsdb.path="$SCRATCH/prom/data" \
	--web.listen-address="127.0.0.1:$PP" >"$SCRATCH/prom.log" 2>&1 &
PROM_PID=$!
query() { curl -s --max-time 5 --data-urlencode "query=$1" "http://127.0.0.1:$PP/api/v1/query"; }

# the fleet's frames: what the two controllers say, summed, against Prometheus's sum
want=0
for p in "${PORTS[@]}"; do
	n=$(curl -s "http://127.0.0.1:$p/metrics" | awk '/^loudva_frames_total\{/ { s += $2 } END { print s + 0 }')
	want=$((want + n))
done
check "the two sites answered frames ($want)" test "$want" -ge 12
got=
for _ in $(seq 1 300); do
	got=$(query 'sum(loudva_frames_total)' | jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
check "Prometheus sums the fleet's frames ($got, want $want)" test "$got" = "$want"
for _ in $(seq 1 100); do
	rec=$(query 'fleet:loudva_frames:total' | jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
	[ "$rec" = "$want" ] && break
	sleep 0.1
done
check "the recording rule agrees ($rec)" test "$rec" = "$want"
sites=$(query 'count by (site) (up{job="loudva"} == 1)' | jq -r '[.data.result[].metric.site] | sort | join(",")')
check "both sites scraped ($sites)" test "$sites" = "a,b"
vers=$(query 'count by (version) (loudva_build_info{job="loudva"})' | jq -r '[.data.result[] | "\(.metric.version)=\(.value[1])"] | join(",")')
check "build info from both sites ($vers)" test "$vers" = "$("$LOUDVA" --version | cut -d' ' -f2)=2"
procs=$(query 'count(process_resident_memory_bytes{job="loudva"} > 0 and process_open_fds > 0 and process_cpu_seconds_total >= 0 and process_start_time_seconds > 1.6e9)' | jq -r '.data.result[0].value[1] // empty')
check "process metrics from both sites ($procs)" test "$procs" = 2

# every series the rules and the dashboard read is one a controller exports
curl -s "http://127.0.0.1:${PORTS[0]}/metrics" >"$SCRATCH/a.metrics"
missing=
for m in $(cat monitoring/rules/*.yml monitoring/grafana/loudva-fleet.json |
	grep -oE '(^|[^:a-z_])(loudva|process)_[a-z_]+' | grep -oE '(loudva|process)_[a-z_]+' | sort -u); do
	# a board's sensors; the emulated agents report no temperature
	[ "$m" = loudva_device_temperature_celsius ] && continue
	grep -q "^# TYPE ${m%_bucket} " "$SCRATCH/a.metrics" || missing="$missing $m"
done
check "the rules and the dashboard read only exported metrics (missing:$missing)" test -z "$missing"

# a hung agent at site b: its device goes down, the alert fires for site b only
dev=$(jq -r '.devices[0].name' "$SCRATCH/b.json")
apid=$(jq -r '.devices[0].pid' "$SCRATCH/b.json")
kill -STOP "$apid"
SERVE_PORT=${PORTS[1]}
wait_state "$dev" down 60 || fail "$dev did not go down at site b"
firing=
for _ in $(seq 1 300); do
	firing=$(query 'ALERTS{alertname="LoudvaDeviceDown",alertstate="firing"}' |
		jq -r '[.data.result[].metric | "\(.site)/\(.device)"] | join(",")')
	[ -n "$firing" ] && break
	sleep 0.1
done
check "LoudvaDeviceDown fires for b/$dev ($firing)" test "$firing" = "b/$dev"
kill -CONT "$apid"
finish
