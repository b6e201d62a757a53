#!/usr/bin/env bash
# The agent's real-Jetson backend over HTTP, against a fake sysfs tree this
# script builds (--sysfs-root) and the thesis's real tegrastats logs replayed
# (--tegrastats FILE) or a command's output (--tegrastats CMD). Expected
# values come from the tree's files and from the logs read with awk. The
# Orin kinds replay real public lines (tests/agent/fixtures/README.md) on
# trees laid out as JetPack 5 and 6 lay out sysfs, and their /metrics goes
# through the real promtool.
. "$(dirname "$0")/lib.sh"

DATA=${LOUDVA_DATA:-../shared/data/jetson-measurements}
echo "jetson-token" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
AUTH=(-H "Authorization: Bearer jetson-token")

# make_tree DIR MODEL DEVFREQ FREQS...: a board: device-tree model, devfreq files,
# full range, at the top clock.
make_tree() {
	local root=$1 model=$2 dev=$3
	shift 3
	mkdir -p "$root/proc/device-tree" "$root/$dev"
	printf '%s\0' "$model" >"$root/proc/device-tree/model"
	echo "$*" >"$root/$dev/available_frequencies"
	local hi=${!#}
	echo "$hi" >"$root/$dev/cur_freq"
	echo "$1" >"$root/$dev/min_freq"
	echo "$hi" >"$root/$dev/max_freq"
}

# add_nvpmodel ROOT CONF [PMODE]: nvpmodel as JetPack installs it — /etc/nvpmodel.conf a
# symlink to the board's file, the status file nvpmodel writes (when PMODE is given), and
# a stand-in for the program at /usr/sbin/nvpmodel: it appends its arguments to
# ROOT/nvpmodel.calls; -m ID writes the status file as nvpmodel does (or, with no status
# file, ROOT/nvpmodel.now, which -q prints from); ROOT/nvpmodel.behaviour "fail" makes
# it fail as nvpmodel does, "ro" as it would in the systemd unit's sandbox, "hang" makes
# it never finish.
add_nvpmodel() {
	local root=$1 conf=$2 pmode=${3:-}
	mkdir -p "$root/etc/nvpmodel" "$root/usr/sbin"
	cp "$conf" "$root/etc/nvpmodel/"
	ln -s "nvpmodel/$(basename "$conf")" "$root/etc/nvpmodel.conf"
	if [ -n "$pmode" ]; then
		mkdir -p "$root/var/lib/nvpmodel"
		printf 'pmode:%04d fmode:quiet\n' "$pmode" >"$root/var/lib/nvpmodel/status"
	fi
	cat >"$root/usr/sbin/nvpmodel" <<'SH'
#!/bin/sh
root=$(cd "$(dirname "$0")/../.." && pwd)
echo "$*" >>"$root/nvpmodel.calls"
case $(cat "$root/nvpmodel.behaviour" 2>/dev/null) in
fail) echo "NVPM ERROR: failed to write /sys/devices/gpu.0/tpc_pg_mask"; exit 1 ;;
ro) echo "NVPM ERROR: Error opening /sys/devices/system/cpu/cpu4/online: Read-only file system"; exit 1 ;;
hang) exec sleep 31.4159 ;;
esac
case $1 in
-m)
	name=$(awk -v id="ID=$2" '$2 == "POWER_MODEL" && $3 == id { sub("NAME=", "", $4); print $4 }' "$root/etc/nvpmodel.conf")
	[ -n "$name" ] || { echo "NVPM ERROR: Invalid power mode ID $2"; exit 1; }
	if [ -d "$root/var/lib/nvpmodel" ]; then
		printf 'pmode:%04d fmode:quiet\n' "$2" >"$root/var/lib/nvpmodel/status"
	else
		echo "$name $2" >"$root/nvpmodel.now"
	fi ;;
-q)
	read -r name id <"$root/nvpmodel.now"
	printf 'NV Fan Mode:quiet\nNV Power Mode: %s\n%s\n' "$name" "$id" ;;
esac
SH
	chmod +x "$root/usr/sbin/nvpmodel"
}

NANO_DEV=sys/devices/57000000.gpu/devfreq/57000000.gpu
AGX_DEV=sys/devices/17000000.gv11b/devfreq/17000000.gv11b
read -r -a NANO_F <<<"$(jq -r '.freqs_hz | join(" ")' profiles/nano.json)"
# the file lists them out of order, as some kernels do
make_tree "$SCRATCH/nano" "NVIDIA Jetson Nano Developer Kit" "$NANO_DEV" \
	"${NANO_F[@]:5}" "${NANO_F[@]:0:5}"
printf '%s\n' "${NANO_F[0]}" >"$SCRATCH/nano/$NANO_DEV/min_freq"
printf '%s\n' "${NANO_F[-1]}" >"$SCRATCH/nano/$NANO_DEV/max_freq"
printf '%s\n' "${NANO_F[-1]}" >"$SCRATCH/nano/$NANO_DEV/cur_freq"
NDIR=$SCRATCH/nano/$NANO_DEV

start_agent N --sysfs-root "$SCRATCH/nano" --tegrastats "$DATA/tegrastats/nano.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"

# ---- kind, clocks, pinning -------------------------------------------------------
req GET "$N_URL/healthz"
expect 200 "healthz" '.backend == "jetson" and .kind == "nano" and .model == "NVIDIA Jetson Nano Developer Kit"'
req GET "$N_URL/gpu/frequencies"
expect 200 "available clocks, ascending" ".frequencies_hz == $(jq -c .freqs_hz profiles/nano.json)"
req GET "$N_URL/gpu/frequency"
expect 200 "cur_freq" ".freq_hz == ${NANO_F[-1]} and (.pinned | not)"
mid=${NANO_F[4]}
req PUT "$N_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": $mid}"
expect 200 "pin $mid" ".pinned and .target_hz == $mid"
check "min_freq written" test "$(cat "$NDIR/min_freq")" = "$mid"
check "max_freq written" test "$(cat "$NDIR/max_freq")" = "$mid"
echo "$mid" >"$NDIR/cur_freq" # what the kernel would do
req GET "$N_URL/gpu/frequency"
expect 200 "cur_freq read back" ".freq_hz == $mid and .pinned"
req PUT "$N_URL/gpu/frequency" "${AUTH[@]}" -d '{"hz": 123456}'
expect_error 400 "a clock the board lacks" "123456 Hz is not an available clock of this nano"
check "nothing written for it" test "$(cat "$NDIR/min_freq")" = "$mid"
req PUT "$N_URL/gpu/frequency" -d "{\"hz\": $mid}"
expect_error 401 "no token" "missing bearer token"
req DELETE "$N_URL/gpu/frequency" "${AUTH[@]}"
expect 200 "release" '(.pinned | not) and .released'
check "release: min back to the lowest" test "$(cat "$NDIR/min_freq")" = "${NANO_F[0]}"
check "release: max back to the highest" test "$(cat "$NDIR/max_freq")" = "${NANO_F[-1]}"
req GET "$N_URL/power/mode"
expect 200 "no nvpmodel configuration: no modes, and why" '.power_mode == null and .modes == [] and (.conf_error | contains("etc/nvpmodel.conf"))'
req PUT "$N_URL/power/mode" "${AUTH[@]}" -d '{"id": 0}'
expect_error 409 "  a mode switch is refused" "power modes are unknown"
req GET "$N_URL/v2/health/ready"
expect_error 404 "no Triton on a real board" "only in emulation"
req POST "$N_URL/v2/systemsharedmemory/region/r0/register" -d '{"key": "/x", "byte_size": 8}'
expect_error 404 "no shared memory registration on a real board" "only in emulation"

# ---- telemetry from the replayed Nano log ----------------------------------------
for i in $(seq 1 200); do
	[ "$(jget "$N_URL/telemetry" .tegrastats.samples)" -ge 20 ] && break
	sleep 0.05
done
req GET "$N_URL/telemetry"
cp "$SCRATCH/body" "$SCRATCH/nano-tel.json"
expect 200 "telemetry" '.tegrastats.samples >= 20 and .tegrastats.malformed == 0 and .tegrastats.running and (.rails_w | keys) == ["POM_5V_CPU","POM_5V_GPU","POM_5V_IN"] and .power_w == .rails_w.POM_5V_IN and .gpu_load_pct == 0 and (.temperatures_c | keys) == ["AO","CPU","GPU","PLL","PMIC","thermal"]'
check "the clock is cur_freq's" jq -e ".gpu_freq_hz == $(cat "$NDIR/cur_freq")" "$SCRATCH/nano-tel.json"
# S samples so far: the energy is 0.01 s x the first S lines' POM_5V_IN (no stamps on a Nano)
s=$(jq .tegrastats.samples "$SCRATCH/nano-tel.json")
want=$(awk -v s="$s" 'NR <= s { for (i = 1; i < NF; i++) if ($i == "POM_5V_IN") { split($(i + 1), v, "/"); e += v[1] / 1000 * 0.01 } } END { printf "%.9f", e }' "$DATA/tegrastats/nano.log")
check "energy = interval x the power of the $s lines so far ($want J)" \
	jq -e --argjson w "$want" '(.energy_j - $w) | fabs < 1e-6' "$SCRATCH/nano-tel.json"
p=$(jq .power_w "$SCRATCH/nano-tel.json")
check "power is line $s's POM_5V_IN" awk -v s="$s" -v p="$p" 'NR == s { for (i = 1; i < NF; i++) if ($i == "POM_5V_IN") { split($(i + 1), v, "/"); ok = (v[1] / 1000 == p) } } END { exit !ok }' "$DATA/tegrastats/nano.log"
stop_agent N TERM
check "SIGTERM: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0

# ---- AGX Xavier: its model string, its devfreq node, its log --------------------
read -r -a AGX_F <<<"$(jq -r '.freqs_hz | join(" ")' profiles/agx-xavier.json)"
make_tree "$SCRATCH/agx" "Jetson-AGX" "$AGX_DEV" "${AGX_F[@]}"
# no status file: the mode comes from `nvpmodel -q`
add_nvpmodel "$SCRATCH/agx" tests/agent/fixtures/nvpmodel_t194.conf
echo "MODE_15W 2" >"$SCRATCH/agx/nvpmodel.now"
start_agent X --sysfs-root "$SCRATCH/agx" --tegrastats "$DATA/tegrastats/agx-xavier.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"
req GET "$X_URL/healthz"
expect 200 "AGX healthz" '.kind == "agx-xavier" and .model == "Jetson-AGX"'
req GET "$X_URL/power/mode"
expect 200 "AGX Xavier: the mode from nvpmodel -q, the modes from its file" '.power_mode == {"id": 2, "name": "MODE_15W", "gpu_max_hz": 670000000} and (.source | endswith("usr/sbin/nvpmodel -q")) and ([.modes[].id] == [0, 1, 2, 3, 7]) and .default_id == 7 and .malformed_lines == 0'
req PUT "$X_URL/power/mode" "${AUTH[@]}" -d '{"name": "MODE_30W_ALL"}'
expect 200 "AGX Xavier: set by name" '.power_mode.id == 3 and .power_mode.gpu_max_hz == 900000000 and .previous_id == 2'
check "  nvpmodel ran -q at start, -m 3, then -q" test "$(paste -sd, "$SCRATCH/agx/nvpmodel.calls")" = "-q,-m 3,-q"
req PUT "$X_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": ${AGX_F[0]}}"
expect 200 "AGX pin the lowest clock"
check "AGX min_freq" test "$(cat "$SCRATCH/agx/$AGX_DEV/min_freq")" = "${AGX_F[0]}"
check "AGX max_freq" test "$(cat "$SCRATCH/agx/$AGX_DEV/max_freq")" = "${AGX_F[0]}"
for i in $(seq 1 200); do
	[ "$(jget "$X_URL/telemetry" .tegrastats.samples)" -ge 5 ] && break
	sleep 0.05
done
req GET "$X_URL/telemetry"
expect 200 "AGX telemetry: six rails, the total their sum" '(.rails_w | keys) == ["CPU","CV","GPU","SOC","SYS5V","VDDRQ"] and ((.power_w - ([.rails_w[]] | add)) | fabs) < 1e-9 and (.temperatures_c | has("Tdiode"))'
stop_agent X TERM
check "AGX SIGTERM: exit 0" test "$STOP_RC" = 0

# ---- a tegrastats command, and its end ---------------------------------------------
marker="loudva-test-$$-$RANDOM"
line='RAM 1/2MB GR3D_FREQ 12%@921 GPU@30.5C POM_5V_IN 2000/2000 POM_5V_GPU 700/650 POM_5V_CPU 300/300'
start_agent T --sysfs-root "$SCRATCH/nano" --tegrastats "while :; do echo '$line'; echo 'not a tegrastats line'; sleep 0.05; done # $marker"
for i in $(seq 1 200); do
	[ "$(jget "$T_URL/telemetry" .tegrastats.samples)" -ge 2 ] && break
	sleep 0.05
done
req GET "$T_URL/telemetry"
expect 200 "command telemetry" '.power_w == 2 and .gpu_load_pct == 12 and .rails_w.POM_5V_GPU == 0.7 and .temperatures_c.GPU == 30.5 and .tegrastats.running and .tegrastats.malformed >= 1'
pattern="[${marker:0:1}]${marker:1}" # matches the marker, not itself
check "the command runs" pgrep -f "$pattern"
stop_agent T TERM
check "command SIGTERM: exit 0" test "$STOP_RC" = 0
check "the command was stopped with the agent" bash -c "! pgrep -f '$pattern'"

# a command that is not there: the agent still controls clocks, telemetry says so, and
# the temperatures come from the kernel's thermal zones (millidegrees; -256 C: no sensor)
for z in 0:CPU-therm:23500 1:GPU-therm:22000 2:CV0-therm:-256000; do
	IFS=: read -r n type mc <<<"$z"
	mkdir -p "$SCRATCH/nano/sys/class/thermal/thermal_zone$n"
	echo "$type" >"$SCRATCH/nano/sys/class/thermal/thermal_zone$n/type"
	echo "$mc" >"$SCRATCH/nano/sys/class/thermal/thermal_zone$n/temp"
done
start_agent M --sysfs-root "$SCRATCH/nano" --tegrastats "/nonexistent/tegrastats --interval 200"
for i in $(seq 1 200); do
	[ "$(jget "$M_URL/telemetry" .tegrastats.running)" = false ] && break
	sleep 0.05
done
req GET "$M_URL/telemetry"
expect 200 "no tegrastats: no power, and it says so" '.power_w == null and (.tegrastats.running | not) and .tegrastats.samples == 0 and .gpu_freq_hz > 0'
check "  temperatures from sysfs, the absent sensor left out" jq -e '.temperatures_c == {"CPU-therm": 23.5, "GPU-therm": 22}' "$SCRATCH/body"
stop_agent M INT
check "SIGINT: exit 0" test "$STOP_RC" = 0


# ---- the Orins: detection, the devfreq node, the full telemetry, /metrics ----------
FIX=tests/agent/fixtures
# make_orin DIR MODEL COMPATIBLE NODE FREQS...: a board whose GPU devfreq lives under
# sys/devices/platform (the real path) with sys/class/devfreq/NODE a symlink to it,
# as sysfs lays it out; COMPATIBLE's entries are ';'-separated here, NUL-separated in
# the file.
make_orin() {
	local root=$1 model=$2 compat=$3 node=$4
	shift 4
	local real=sys/devices/platform/bus@0/$node/devfreq/$node
	make_tree "$root" "$model" "$real" "$@"
	printf '%s\0' ${compat//;/ } >"$root/proc/device-tree/compatible"
	mkdir -p "$root/sys/class/devfreq"
	ln -s "../../devices/platform/bus@0/$node/devfreq/$node" "$root/sys/class/devfreq/$node"
}
# sourced clock tables (tests/agent/fixtures/README.md, agents/README.md)
AGXO_F=(306000000 408000000 510000000 612000000 714000000 816000000 918000000 1020000000 1122000000 1224000000 1300500000)
ONANO_F=(306000000 408000000 510000000 612000000 714000000 816000000 918000000 1020000000)
ONX_F=(306000000 408000000 510000000 612000000 714000000 816000000 918000000)
# JetPack 6 names the node 17000000.gpu, JetPack 5 17000000.ga10b
make_orin "$SCRATCH/agxo" "NVIDIA Jetson AGX Orin Developer Kit" \
	"nvidia,p3737-0000+p3701-0005;nvidia,p3701-0005;nvidia,tegra234" 17000000.gpu "${AGXO_F[@]}"
make_orin "$SCRATCH/onano" "NVIDIA Jetson Orin Nano Developer Kit" \
	"nvidia,p3768-0000+p3767-0005;nvidia,p3767-0005;nvidia,tegra234" 17000000.gpu "${ONANO_F[@]}"
# early JetPack 5 names every small Orin carrier "Orin Jetson-Small": the module decides
make_orin "$SCRATCH/onx" "NVIDIA Orin Jetson-Small Developer Kit" \
	"nvidia,p3768-0000+p3767-0000;nvidia,p3767-0000;nvidia,tegra234" 17000000.ga10b "${ONX_F[@]}"

# the AGX Orin in MODE_50W (GPU cap 816 MHz, the status file says 3)
add_nvpmodel "$SCRATCH/agxo" "$FIX/nvpmodel_p3701_0000.conf" 3
# the Orin NX's file with three bad lines: before any section, a mode without an id,
# a GPU cap that is not a number; no status file, no nvpmodel program
mkdir -p "$SCRATCH/onx/etc"
{ echo "GPU MAX_FREQ 1"; sed -e 's/ID=1 NAME=MODE_15W/ID=one NAME=MODE_15W/' \
	-e 's/^GPU MAX_FREQ 816000000/GPU MAX_FREQ fast/' "$FIX/nvpmodel_p3701_0000.conf"; } >"$SCRATCH/onx/etc/nvpmodel.conf"
start_agent AO --sysfs-root "$SCRATCH/agxo" --tegrastats "$FIX/agx-orin-jp6.tegrastats.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token" --nvpmodel-timeout 0.5
start_agent ON --sysfs-root "$SCRATCH/onano" --tegrastats "$FIX/orin-nano-jp6.tegrastats.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"
start_agent OX --sysfs-root "$SCRATCH/onx" --tegrastats "$FIX/orin-nano-jp6.tegrastats.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"
req GET "$AO_URL/healthz"
expect 200 "AGX Orin: kind from the compatible list" '.kind == "agx-orin" and .model == "NVIDIA Jetson AGX Orin Developer Kit"'
req GET "$ON_URL/healthz"
expect 200 "Orin Nano" '.kind == "orin-nano"'
req GET "$OX_URL/healthz"
expect 200 "Orin NX, its model string ambiguous" '.kind == "orin-nx" and .model == "NVIDIA Orin Jetson-Small Developer Kit"'
req GET "$AO_URL/gpu/frequencies"
expect 200 "AGX Orin clocks through sys/class/devfreq/17000000.gpu" ".frequencies_hz == [$(IFS=,; echo "${AGXO_F[*]}")]"
req GET "$OX_URL/gpu/frequencies"
expect 200 "Orin NX clocks through sys/class/devfreq/17000000.ga10b" ".frequencies_hz == [$(IFS=,; echo "${ONX_F[*]}")]"
AODIR=$SCRATCH/agxo/sys/devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu
req PUT "$AO_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": ${AGXO_F[3]}}"
expect 200 "AGX Orin pin ${AGXO_F[3]}" ".pinned and .target_hz == ${AGXO_F[3]}"
check "  written through the symlink: min_freq" test "$(cat "$AODIR/min_freq")" = "${AGXO_F[3]}"
check "  and max_freq" test "$(cat "$AODIR/max_freq")" = "${AGXO_F[3]}"
req DELETE "$AO_URL/gpu/frequency" "${AUTH[@]}"
expect 200 "AGX Orin release" '(.pinned | not)'
check "  the range back up to MODE_50W's cap, not beyond" test "$(cat "$AODIR/min_freq") $(cat "$AODIR/max_freq")" = "${AGXO_F[0]} 816000000"

await "$AO_URL/telemetry" '.tegrastats.samples >= 3' true 0.05 || true
req GET "$AO_URL/telemetry"
cp "$SCRATCH/body" "$SCRATCH/agxo-tel.json"
expect 200 "AGX Orin telemetry: three rails, their sum, the memory clock, RAM, CPU, temperatures" \
	'.tegrastats.malformed == 0 and (.rails_w | keys) == ["VDD_CPU_CV","VDD_GPU_SOC","VIN_SYS_5V0"] and ((.power_w - ([.rails_w[]] | add)) | fabs) < 1e-9 and .emc_freq_hz == 2133000000 and (.emc_load_pct | IN(2, 3)) and .ram_total_bytes == 62841 * 1048576 and (.ram_used_bytes / 1048576 | IN(18207, 18202, 18203)) and .cpu_cores_online == 12 and .cpu_load_pct > 0 and (.temperatures_c | keys) == ["cpu","soc0","soc1","soc2","tj"] and .gpu_freq_hz == 1300500000'
# the same sample through /metrics, checked by promtool and against /telemetry
req GET "$AO_URL/metrics"
cp "$SCRATCH/body" "$SCRATCH/agxo.prom"
expect 200 "AGX Orin /metrics"
check "  text/plain; version=0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' "$SCRATCH/headers"
if command -v promtool >/dev/null; then
	check "  promtool check metrics accepts it" bash -c "promtool check metrics <'$SCRATCH/agxo.prom' >'$SCRATCH/promtool.out' 2>&1 || { cat '$SCRATCH/promtool.out' >&2; false; }"
else
	fail "promtool is not installed (make deps installs the prometheus package)"
fi
# metric VALUE-OF NAME[{LABELS}]: the sample's value in the exposition
metric() { awk -v n="$1" '$1 == n { print $2 }' "$SCRATCH/agxo.prom"; }
check "  every family has HELP and TYPE" bash -c "test \$(grep -c '^# HELP loudva_agent_' '$SCRATCH/agxo.prom') -ge 15 && test \$(grep -c '^# HELP' '$SCRATCH/agxo.prom') = \$(grep -c '^# TYPE' '$SCRATCH/agxo.prom')"
check "  loudva_agent_info names the board" grep -q '^loudva_agent_info{backend="jetson",kind="agx-orin",model="NVIDIA Jetson AGX Orin Developer Kit"} 1$' "$SCRATCH/agxo.prom"
check "  the memory clock in Hz" test "$(metric loudva_agent_emc_frequency_hertz)" = 2133000000
check "  the GPU clock in Hz" test "$(metric loudva_agent_gpu_frequency_hertz)" = 1300500000
check "  rails in watts, one per rail" test "$(metric 'loudva_agent_rail_power_watts{rail="VDD_GPU_SOC"}')" = 2.412
check "  tj in Celsius" grep -q '^loudva_agent_temperature_celsius{sensor="tj"} 52\.' "$SCRATCH/agxo.prom"
check "  RAM in bytes" test "$(metric loudva_agent_ram_total_bytes)" = $((62841 * 1048576))
check "  energy is a counter" grep -q '^# TYPE loudva_agent_energy_joules_total counter$' "$SCRATCH/agxo.prom"
check "  no tegrastats line was malformed" test "$(metric loudva_agent_tegrastats_malformed_total)" = 0
check "  the power mode: its id, named" test "$(metric 'loudva_agent_power_mode{name="MODE_50W"}')" = 3
check "  and its GPU cap" test "$(metric loudva_agent_power_mode_gpu_max_hertz)" = 816000000

# ---- the AGX Orin's power modes (nvpmodel) -------------------------------------------
AOROOT=$SCRATCH/agxo
req GET "$AO_URL/power/mode"
expect 200 "power mode from the status file, modes from the file" '.power_mode == {"id": 3, "name": "MODE_50W", "gpu_max_hz": 816000000} and (.source | endswith("var/lib/nvpmodel/status")) and .modes == [{"id": 0, "name": "MAXN", "gpu_max_hz": null, "default": false}, {"id": 1, "name": "MODE_15W", "gpu_max_hz": 408000000, "default": false}, {"id": 2, "name": "MODE_30W", "gpu_max_hz": 612000000, "default": true}, {"id": 3, "name": "MODE_50W", "gpu_max_hz": 816000000, "default": false}] and .default_id == 2 and .malformed_lines == 0 and .conf_error == null'
check "  in /telemetry too" jq -e '.power_mode == {"id": 3, "name": "MODE_50W", "gpu_max_hz": 816000000}' "$SCRATCH/agxo-tel.json"
req GET "$AO_URL/gpu/frequencies"
expect 200 "the clocks above the mode's cap are marked, the modes listed" ".above_mode_cap_hz == [$(IFS=,; echo "${AGXO_F[*]:6}")] and .power_mode.id == 3 and ([.power_modes[].gpu_max_hz] == [null, 408000000, 612000000, 816000000])"
echo 612000000 >"$AODIR/max_freq"
req PUT "$AO_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": ${AGXO_F[-1]}}"
expect_error 409 "a pin above the cap is refused, naming the mode and its cap" "${AGXO_F[-1]} Hz is above the GPU cap of power mode 3 (MODE_50W): 816000000 Hz"
check "  nothing written" test "$(cat "$AODIR/max_freq")" = 612000000
req PUT "$AO_URL/power/mode" -d '{"name": "MAXN"}'
expect_error 401 "a mode switch without the token" "missing bearer token"
check "  nvpmodel not run" test ! -e "$AOROOT/nvpmodel.calls"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"name": "MAXN"}'
expect 200 "set by name: MAXN (the same TPC mask: no reboot)" '.power_mode == {"id": 0, "name": "MAXN", "gpu_max_hz": null} and .previous_id == 3 and (.pin_released | not)'
check "  nvpmodel -m 0 ran" test "$(cat "$AOROOT/nvpmodel.calls")" = "-m 0"
check "  the status file it wrote" grep -q '^pmode:0000' "$AOROOT/var/lib/nvpmodel/status"
req GET "$AO_URL/gpu/frequencies"
expect 200 "  no clock above MAXN's cap" '.above_mode_cap_hz == [] and .power_mode.name == "MAXN"'
req PUT "$AO_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": ${AGXO_F[-1]}}"
expect 200 "  the top clock pins now" ".pinned and .target_hz == ${AGXO_F[-1]}"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 3}'
expect 200 "set by id: 3, and the pin it overrode is released" '.power_mode.name == "MODE_50W" and .previous_id == 0 and .pin_released'
req GET "$AO_URL/gpu/frequency"
expect 200 "  not pinned any more" '(.pinned | not)'
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"name": "TURBO"}'
expect_error 400 "an unknown name, the valid ones listed" "power mode 'TURBO' is not one of this board's"
check "  all four" jq -e '.error | endswith(": 0 MAXN, 1 MODE_15W, 2 MODE_30W, 3 MODE_50W")' "$SCRATCH/body"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 9}'
expect_error 400 "an unknown id" "power mode 9 is not one of this board's"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 1, "name": "MODE_15W"}'
expect_error 400 "id and name both" "give id or name, not both"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 1}'
expect_error 409 "a switch that needs a reboot is refused" "switching from power mode 3 (MODE_50W) to 1 (MODE_15W) needs a reboot"
check "  nvpmodel ran twice in all" test "$(wc -l <"$AOROOT/nvpmodel.calls")" = 2
echo fail >"$AOROOT/nvpmodel.behaviour"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 0}'
expect_error 500 "nvpmodel failing: its status and words" "-m 0\` exited with status 1: NVPM ERROR: failed to write"
echo ro >"$AOROOT/nvpmodel.behaviour"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 0}'
expect_error 500 "nvpmodel kept from writing: the sandbox named" "Read-only file system (the agent's systemd sandbox keeps nvpmodel from writing"
echo hang >"$AOROOT/nvpmodel.behaviour"
req PUT "$AO_URL/power/mode" "${AUTH[@]}" -d '{"id": 0}'
expect_error 500 "nvpmodel hanging: killed at --nvpmodel-timeout" "did not finish within 0.5 s and was killed"
check "  its process group is gone" bash -c "! pgrep -f 'sleep 31[.]4159'"
rm "$AOROOT/nvpmodel.behaviour"
req GET "$AO_URL/power/mode"
expect 200 "  still MODE_50W" '.power_mode.id == 3'
check "  the log says what was set and refused" grep -q "power mode 0 (MAXN) set, was 3" "$SCRATCH/AO.log"

await "$ON_URL/telemetry" '.tegrastats.samples >= 2' true 0.05 || true
req GET "$ON_URL/telemetry"
expect 200 "Orin Nano telemetry: VDD_IN the total, EMC 2133 busy or 204 idle" \
	'.tegrastats.malformed == 0 and (.rails_w | keys) == ["VDD_CPU_GPU_CV","VDD_IN","VDD_SOC"] and .power_w == .rails_w.VDD_IN and (.emc_freq_hz | IN(2133000000, 204000000)) and .cpu_cores_online == 6 and (.temperatures_c | has("gpu"))'
req GET "$ON_URL/metrics"
cp "$SCRATCH/body" "$SCRATCH/onano.prom"
check "Orin Nano /metrics: promtool accepts it" bash -c "promtool check metrics <'$SCRATCH/onano.prom' >/dev/null 2>&1"
req GET "$OX_URL/telemetry"
expect 200 "Orin NX telemetry (the Orin Nano's lines: same rails)" '(.rails_w | has("VDD_IN")) and .gpu_freq_hz == 918000000'
# a configuration with bad lines: each counted and named with file and line
ONXCONF=$SCRATCH/onx/etc/nvpmodel.conf
bad=$(grep -n -e '^GPU MAX_FREQ 1$' -e 'ID=one' -e 'MAX_FREQ fast' "$ONXCONF" | cut -d: -f1 | paste -sd' ')
read -r l1 l2 l3 <<<"$bad"
req GET "$OX_URL/power/mode"
expect 200 "malformed lines counted, the good modes kept" ".malformed_lines == 3 and ([.modes[].name] == [\"MAXN\", \"MODE_30W\", \"MODE_50W\"]) and .modes[2].gpu_max_hz == null and .power_mode == null"
check "  each named by file:line (lines $bad)" jq -e --arg f "$ONXCONF" --argjson a "$l1" --argjson b "$l2" --argjson c "$l3" '.conf_issues | length == 3 and (.[0] | startswith("\($f):\($a): ") and contains("outside any section")) and (.[1] | startswith("\($f):\($b): ") and contains("without an ID")) and (.[2] | startswith("\($f):\($c): ") and contains("GPU MAX_FREQ"))' "$SCRATCH/body"
check "  and in the log at start" grep -q "$ONXCONF:$l3: GPU MAX_FREQ 'fast'" "$SCRATCH/OX.log"
check "  no status file, no program: the mode unknown, and why" jq -e '.source | contains("var/lib/nvpmodel/status") and contains("cannot run")' "$SCRATCH/body"
req GET "$OX_URL/telemetry"
expect 200 "  telemetry: power_mode null" '.power_mode == null'
for n in AO ON OX; do
	stop_agent "$n" TERM
	check "$n SIGTERM: exit 0" test "$STOP_RC" = 0
done

# an Orin tree without a devfreq node: both JetPacks' paths are named
mkdir -p "$SCRATCH/onode/proc/device-tree"
printf 'NVIDIA Jetson AGX Orin Developer Kit\0' >"$SCRATCH/onode/proc/device-tree/model"
rc=0
"$LOUDVA_AGENT" --sysfs-root "$SCRATCH/onode" --tegrastats "" --listen 127.0.0.1:0 2>"$SCRATCH/err" || rc=$?
check "Orin without devfreq: exit 2 (rc $rc)" test "$rc" = 2
check "  naming both nodes" grep -q "sys/class/devfreq/17000000.ga10b/available_frequencies nor sys/class/devfreq/17000000.gpu/available_frequencies" "$SCRATCH/err"

# ---- the controller's /status: a real board's telemetry per device --------------------
# A Nano as a site runs it: this agent on the board (the thesis's Nano log, which has the
# memory clock, RAM and CPU fields), Triton beside it (an emulated Nano serves /v2 here).
# And an AGX Xavier in MODE_30W_ALL (GPU cap 900 MHz), whose agent refuses a pin above
# the cap: the controller learns the mode (from telemetry, or from the refusal) and holds
# its clocks to the cap.
LOUDVA=${LOUDVA:-build/san/loudva}
. tests/live/lib.sh
start_agent S --sysfs-root "$SCRATCH/nano" --tegrastats "$DATA/tegrastats/nano.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"
start_agent T --emulate nano --token-file "$SCRATCH/token"
make_tree "$SCRATCH/agxc" "Jetson-AGX" "$AGX_DEV" "${AGX_F[@]}"
add_nvpmodel "$SCRATCH/agxc" tests/agent/fixtures/nvpmodel_t194.conf 3
CDIR=$SCRATCH/agxc/$AGX_DEV
start_agent C --sysfs-root "$SCRATCH/agxc" --tegrastats "$DATA/tegrastats/agx-xavier.log" \
	--tegrastats-interval 0.01 --token-file "$SCRATCH/token"
req GET "$T_URL/power/mode"
expect_error 404 "emulation: no power modes" "the emulated backend has no power modes"
req GET "$T_URL/telemetry"
expect 200 "  power_mode null in its telemetry" '.power_mode == null'
cat >"$SCRATCH/site.json" <<EOF
{"name": "site", "profiles": "$PWD/profiles", "token_file": "$SCRATCH/token",
 "devices": [{"name": "nano-00", "kind": "nano", "agent": "$S_URL", "triton": "$T_URL"},
             {"name": "agx-00", "kind": "agx-xavier", "agent": "$C_URL", "triton": "$T_URL"}]}
EOF
if start_serve "$SCRATCH/serve" --cluster "$SCRATCH/site.json" --mode prof \
	--control-token-file "$SCRATCH/token"; then
	st() { curl -s "http://127.0.0.1:$SERVE_PORT/status"; }
	# await_status FILTER: polls /status into status.json until the filter holds (10 s at most)
	await_status() {
		for _ in $(seq 1 200); do
			st >"$SCRATCH/status.json"
			jq -e "$1" "$SCRATCH/status.json" >/dev/null 2>&1 && return 0
			sleep 0.05
		done
		fail "/status never had $1: $(head -c 600 "$SCRATCH/status.json")"
	}
	# pin DEVICE HZ: the operator pins a clock through the control API
	pin() {
		CODE=$(curl -s -o "$SCRATCH/body" -w '%{http_code}' -X POST "${AUTH[@]}" \
			-d "{\"freq_hz\": $2}" "http://127.0.0.1:$SERVE_PORT/control/devices/$1/pin")
		check "pin $1 at $2 Hz: 200 ($CODE)" test "$CODE" = 200
	}
	await_status '.devices[0].emc_freq_hz != null and .devices[1].power_mode != null'
	check "/status: the AGX's power mode and its cap" jq -e '.devices[1].power_mode == {"id": 3, "name": "MODE_30W_ALL", "gpu_max_hz": 900000000} and .devices[1].clock_clamps == 0 and .devices[1].clamp == null' "$SCRATCH/status.json"
	check "/status: the Nano has no modes file: a real board's mode unknown" jq -e '.devices[0].power_mode == {"id": null, "name": null, "gpu_max_hz": null}' "$SCRATCH/status.json"
	curl -s "http://127.0.0.1:$SERVE_PORT/metrics" >"$SCRATCH/serve.prom"
	check "/metrics: promtool check metrics" promtool check metrics <"$SCRATCH/serve.prom"
	check "/metrics: the mode's id, named" grep -qx 'loudva_device_power_mode{device="agx-00",name="MODE_30W_ALL"} 3' "$SCRATCH/serve.prom"
	check "/metrics: its GPU cap, for the AGX alone" test "$(grep -c '^loudva_device_power_mode_gpu_max_hertz{device="agx-00"} 900000000$' "$SCRATCH/serve.prom"),$(grep -c '^loudva_device_power_mode' "$SCRATCH/serve.prom")" = 1,2
	# the top clock, above the cap: held to the highest clock within it
	pin agx-00 "${AGX_F[-1]}"
	await_status '.devices[1].clock_clamps == 1 and .devices[1].clamp.hz == 828750000'
	check "/status: the clamp, asked and given, no error" jq -e ".devices[1].clamp == {\"asked_hz\": ${AGX_F[-1]}, \"hz\": 828750000} and .devices[1].last_error == null" "$SCRATCH/status.json"
	await "$C_URL/gpu/frequency" .target_hz 828750000
	check "  the agent pinned 828.75 MHz, the highest within the cap" test "$(cat "$CDIR/min_freq"),$(cat "$CDIR/max_freq")" = 828750000,828750000
	# a console attached to this controller, under tmux: the Device view's telemetry panel
	if command -v tmux >/dev/null; then
		export TMUX_TMPDIR=$SCRATCH XDG_STATE_HOME=$SCRATCH/state XDG_CONFIG_HOME=$SCRATCH/config
		tmux new-session -d -s lvpm -x 120 -y 40 \
			"$LOUDVA console --attach http://127.0.0.1:$SERVE_PORT 2>'$SCRATCH/console.err'; sleep 600"
		# on_screen GREP-ARGS...: polls the pane until grep matches (10 s at most)
		on_screen() {
			for _ in $(seq 1 100); do
				tmux capture-pane -p -t lvpm >"$SCRATCH/screen" 2>/dev/null
				grep -q "$@" "$SCRATCH/screen" && return 0
				sleep 0.1
			done
			return 1
		}
		on_screen agx-00
		tmux send-keys -t lvpm ":view device agx-00" Enter
		check "console: the AGX's mode and cap, and the clock held" on_screen -e "mode MODE_30W_ALL, cap 900 MHz"
		check "  and the clock held" grep -q "held 1377 -> 829 MHz by the cap" "$SCRATCH/screen"
		check "  rails read back from /status" grep -q "rails [A-Z0-9_]* [0-9.]* W" "$SCRATCH/screen"
		check "  and RAM" grep -q "RAM [0-9.]*/[0-9.]*" "$SCRATCH/screen"
		tmux send-keys -t lvpm ":view device nano-00" Enter
		check "console: the Nano's mode unknown" on_screen "power mode unknown"
		tmux send-keys -t lvpm q
		tmux kill-server
	fi
	# the mode lowered behind the controller's back (nvpmodel run on the board: its status
	# file), and a pin between the caps before telemetry can tell: the agent is stopped
	# meanwhile, so the controller's PUT meets the new cap and the agent's 409 teaches it
	kill -STOP "$C_PID"
	for _ in $(seq 1 200); do # every thread stopped: none reads the status file after this
		awk '{ sub(/.*\) /, ""); if ($1 != "T") exit 1 }' /proc/"$C_PID"/task/*/stat && break
		sleep 0.01
	done
	printf 'pmode:0002 fmode:quiet\n' >"$SCRATCH/agxc/var/lib/nvpmodel/status"
	pin agx-00 "${AGX_F[6]}"
	kill -CONT "$C_PID"
	await "$C_URL/gpu/frequency" .target_hz 624750000
	check "  the agent pinned 624.75 MHz, under the new cap" test "$(cat "$CDIR/max_freq")" = 624750000
	await_status '.devices[1].power_mode.id == 2 and .devices[1].clock_clamps == 2'
	check "  /status: the new cap, counted once more, no error" jq -e '.devices[1].clamp.hz == 624750000 and .devices[1].last_error == null and .devices[1].power_mode.gpu_max_hz == 670000000' "$SCRATCH/status.json"
	check "  learnt from the refusal" grep -q "agx-00: the agent refused 675.75 MHz: power mode MODE_15W caps the GPU at 670.00 MHz" "$SCRATCH/serve.err"
	check "  each clock pinned on the board once, none retried" test "$(sed -n 's/.*GPU clock pinned to \([0-9]*\) Hz.*/\1/p' "$SCRATCH/C.log" | head -2 | paste -sd,)" = 828750000,624750000
	# MAXN, switched through the agent, lifts the cap: the operator's pin comes back whole
	pin agx-00 "${AGX_F[-1]}"
	req PUT "$C_URL/power/mode" "${AUTH[@]}" -d '{"name": "MAXN"}'
	await "$C_URL/gpu/frequency" .target_hz "${AGX_F[-1]}"
	check "MAXN: the top clock pinned, as the operator asked" test "$(cat "$CDIR/max_freq")" = "${AGX_F[-1]}"
	await_status '.devices[1].power_mode.name == "MAXN"'
	check "  /status: MAXN, no cap, nothing held, two clamps, no error" jq -e '.devices[1].power_mode.gpu_max_hz == null and .devices[1].clamp == null and .devices[1].clock_clamps == 2 and .devices[1].last_error == null' "$SCRATCH/status.json"
	curl -s "http://127.0.0.1:$SERVE_PORT/metrics" >"$SCRATCH/serve.prom"
	check "/metrics: no cap under MAXN, the clamps counted" test "$(grep -c '^loudva_device_power_mode_gpu_max_hertz' "$SCRATCH/serve.prom"),$(awk '$1 == "loudva_device_clock_clamps_total{device=\"agx-00\"}" { print $2 }' "$SCRATCH/serve.prom")" = 0,2
	check "/metrics: promtool still content" promtool check metrics <"$SCRATCH/serve.prom"
	# a policy that wants the top clock (transparent:pin=1, as jetson_clocks) under 30 W:
	# told the cap (the engine's lv_engine_device_cap), it asks for the top clock within it,
	# 828.75 MHz, itself: nothing to hold, no clamp, the frames served at that clock
	ctl() {
		CODE=$(curl -s -o "$SCRATCH/body" -w '%{http_code}' -X POST "${AUTH[@]}" "$@")
	}
	ctl "http://127.0.0.1:$SERVE_PORT/control/devices/agx-00/release"
	check "release the pin: 200 ($CODE)" test "$CODE" = 200
	ctl "http://127.0.0.1:$SERVE_PORT/control/devices/nano-00/drain"
	check "drain the Nano: 200 ($CODE)" test "$CODE" = 200
	ctl -d '{"policy": "transparent:pin=1"}' "http://127.0.0.1:$SERVE_PORT/control/policy"
	check "policy transparent:pin=1: 200 ($CODE)" test "$CODE" = 200
	req PUT "$C_URL/power/mode" "${AUTH[@]}" -d '{"name": "MODE_30W_ALL"}'
	await_status '.devices[1].power_mode.id == 3'
	make_images "$SCRATCH/img"
	post "$SCRATCH/answer.json" 3 10
	check "three frames served on the AGX, at the clock it ran" jq -e '[.results[] | select(.state == "ok" and .device == "agx-00" and .freq_hz == 828750000)] | length == 3' "$SCRATCH/answer.json"
	await "$C_URL/gpu/frequency" .target_hz 828750000
	await_status '.devices[1].frames == 3'
	check "  the policy asked for 828.75 MHz itself: no clamp (still two), no error" jq -e ".devices[1].clock_clamps == 2 and .devices[1].last_error == null" "$SCRATCH/status.json"
	check "the board's pins: each once, none above a cap" test "$(sed -n 's/.*GPU clock pinned to \([0-9]*\) Hz.*/\1/p' "$SCRATCH/C.log" | paste -sd,)" = 828750000,624750000,${AGX_F[-1]},828750000
	check "one warning per cap met by an operator's pin, naming the device, the mode, the cap and the clock asked; none for the policy" test "$(grep -c "agx-00: clock 1377.00 MHz is above the GPU cap of power mode MODE_30W_ALL (id 3), 900.00 MHz: held at 828.75 MHz" "$SCRATCH/serve.err"),$(grep -c "agx-00: clock 675.75 MHz is above the GPU cap of power mode MODE_15W (id 2), 670.00 MHz: held at 624.75 MHz" "$SCRATCH/serve.err"),$(grep -c "above the GPU cap of power mode" "$SCRATCH/serve.err")" = 1,1,2
	st >"$SCRATCH/status.json"
	# the log's memory clocks, RAM total and rails, read with awk
	emcs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "EMC_FREQ") { split($(i + 1), v, "@"); print v[2] * 1000000 } }' "$DATA/tegrastats/nano.log" | sort -u | paste -sd,)
	total=$(awk 'NR == 1 { split($2, v, "/"); print v[2] + 0 }' "$DATA/tegrastats/nano.log")
	check "/status: the memory clock is one of the log's ($emcs)" jq -e ".devices[0].emc_freq_hz | IN($emcs)" "$SCRATCH/status.json"
	check "/status: RAM of the log's board (${total} MB)" jq -e ".devices[0].ram_total_bytes == $total * 1048576 and .devices[0].ram_used_bytes > 0" "$SCRATCH/status.json"
	check "/status: CPU load and the three rails" jq -e '.devices[0].cpu_load_pct >= 0 and (.devices[0].rails_w | keys) == ["POM_5V_CPU","POM_5V_GPU","POM_5V_IN"] and .devices[0].power_w == .devices[0].rails_w.POM_5V_IN' "$SCRATCH/status.json"
	kill -INT "$SERVE_PID"
	wait "$SERVE_PID" || fail "serve did not exit 0 on SIGINT"
fi
stop_agent S TERM
stop_agent T TERM
stop_agent C TERM

# ---- a board LoudVA does not know ------------------------------------------------
make_tree "$SCRATCH/pi" "Raspberry Pi 4 Model B Rev 1.4" "$NANO_DEV" 100 200
rc=0
"$LOUDVA_AGENT" --sysfs-root "$SCRATCH/pi" --tegrastats "" --listen 127.0.0.1:0 2>"$SCRATCH/err" || rc=$?
check "unknown board: exit 2 (rc $rc)" test "$rc" = 2
check "  naming the model string" grep -q "'Raspberry Pi 4 Model B Rev 1.4' is not a board LoudVA knows" "$SCRATCH/err"
rc=0
"$LOUDVA_AGENT" --sysfs-root "$SCRATCH/nowhere" --listen 127.0.0.1:0 2>"$SCRATCH/err" || rc=$?
check "no device tree: exit 2 naming the file" grep -q "nowhere/proc/device-tree/model" "$SCRATCH/err"

finish
