#!/usr/bin/env bash
# The emulated agent (sanitizer build) as the controller and the profiler use
# it: real processes on free loopback ports, driven over HTTP with curl. The
# expected numbers come from profiles/agx-xavier.json and
# model_repository/inception_graphdef/config.pbtxt read with jq and sed (an
# independent route to the same figures), never from the agent's own output.
# Timing is checked as ordering only (old clock before new, a held request
# still running while another is answered), never against a stopwatch.
. "$(dirname "$0")/lib.sh"

KIND=agx-xavier
PROF=profiles/$KIND.json
CONFIG=model_repository/inception_graphdef/config.pbtxt
echo "s3cret-token" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
AUTH=(-H "Authorization: Bearer s3cret-token")

lat() { jq -r --argjson f "$1" --argjson b "$2" '.points[] | select(.freq_hz == $f and .batch == $b) | .latency_s' "$PROF"; }
energy() { jq -r --argjson f "$1" --argjson b "$2" '.points[] | select(.freq_hz == $f and .batch == $b) | .energy_j' "$PROF"; }
idle_w() { jq -r --argjson f "$1" '.idle_power_w[.freqs_hz | index($f)]' "$PROF"; }
near() { awk -v a="$1" -v b="$2" -v e="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= e) }'; }

# Pins the clock of agent A and waits (ordering only) until it has taken effect.
pin() {
	local i
	req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": $1}"
	expect 200 "pin $1"
	for i in $(seq 1 200); do
		[ "$(jget "$A_URL/gpu/frequency" .freq_hz)" = "$1" ] && return
		sleep 0.05
	done
	fail "pin $1: the clock never took effect"
}

# B's repository: the model's configuration with labels for its output, and
# versions 1 and 3 deployed (it serves the latest, 3, which holds its weights).
mkdir -p "$SCRATCH/lrepo/inception_graphdef/1" "$SCRATCH/lrepo/inception_graphdef/3"
echo weights >"$SCRATCH/lrepo/inception_graphdef/3/model.graphdef"
sed 's/^\( *\)dims: \[ 1001 \]/&\n\1label_filename: "labels.txt"/' "$CONFIG" \
	>"$SCRATCH/lrepo/inception_graphdef/config.pbtxt"
seq 0 1000 | sed 's/^/class-/' >"$SCRATCH/lrepo/inception_graphdef/labels.txt"
start_agent A --emulate "$KIND" --profile "$PROF" --token-file "$SCRATCH/token" --max-body 9000000
start_agent B --emulate "$KIND" --max-connections 2 --timeout 2 --model-repository "$SCRATCH/lrepo"

# ---- 1. health and clocks -------------------------------------------------------
req GET "$A_URL/healthz"
expect 200 "healthz" '.status == "ok" and .backend == "emulated" and .kind == "agx-xavier" and .token_configured'
req GET "$A_URL/gpu/frequencies"
expect 200 "frequencies" "$(printf '.frequencies_hz == %s' "$(jq -c .freqs_hz "$PROF")")"
req GET "$A_URL/gpu/frequency"
expect 200 "frequency" "(.pinned | not) and .governor == \"default\" and ([.freq_hz] | inside($(jq -c .freqs_hz "$PROF")))"
req GET "$A_URL/telemetry"
expect 200 "telemetry" '(.timestamp > 1e9) and (.time_s > 0) and (.gpu_freq_hz > 0) and (.gpu_load_pct >= 0) and (.power_w > 0) and (.rails_w.VDD_IN == .power_w) and (.energy_j > 0) and (.temperatures_c | type == "object") and .inflight_batches == 0'

# ---- 2. the token and bad input -------------------------------------------------
req PUT "$A_URL/gpu/frequency" -d '{"hz": 1377000000}'
expect_error 401 "PUT without a token" "missing bearer token"
check "401 names the scheme" test "$(header WWW-Authenticate)" = 'Bearer realm="loudva-agent"'
req PUT "$A_URL/gpu/frequency" -H "Authorization: Bearer wrong" -d '{"hz": 1377000000}'
expect_error 401 "PUT with a wrong token" "wrong bearer token"
req DELETE "$A_URL/gpu/frequency" -H "Authorization: Bearer s3cret-token-and-more"
expect_error 401 "DELETE with a longer token" "wrong bearer token"
req PUT "$B_URL/gpu/frequency" -H "Authorization: Bearer anything" -d '{"hz": 1377000000}'
expect_error 401 "PUT to an agent without a token file" "no token configured"
req DELETE "$B_URL/gpu/frequency"
expect_error 401 "DELETE to an agent without a token file" "no token configured"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d '{"hz": '
expect_error 400 "truncated JSON" "not valid JSON"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d '[1377000000]'
expect_error 400 "not an object" "expected a JSON object"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d '{"freq": 1377000000}'
expect_error 400 "no hz" "hz: missing"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d '{"hz": "fast"}'
expect_error 400 "hz a string" "positive whole number"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d '{"hz": 1377000000.5}'
expect_error 400 "hz a fraction" "positive whole number"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d '{"hz": 1000000000}'
expect_error 400 "unknown clock" "1000000000 Hz is not an available clock"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$SCRATCH/big.json"
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" --data-binary "@$SCRATCH/big.json"
expect_error 413 "a 2 MiB worker API body" "over this endpoint's limit"
req GET "$A_URL/nope"
expect_error 404 "unknown path" "no such endpoint"
req POST "$A_URL/healthz" -d '{}'
expect_error 405 "wrong method" "method not allowed"
check "405 lists the allowed methods" test "$(header Allow)" = "GET"
req GET "$A_URL/gpu/frequency"
expect 200 "nothing was pinned by the refused requests" '.pinned | not'

# ---- 3. the clock change delay: the old clock until it has passed ----------------
old=$(jget "$A_URL/gpu/frequency" .freq_hz)
target=1377000000
[ "$old" = "$target" ] && target=114750000
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": $target}"
expect 200 "PUT a clock" ".pinned and .target_hz == $target and .freq_hz == $old and .clock_change_delay_s == $(jq .clock_change_delay_s "$PROF")"
seen=$(jget "$A_URL/gpu/frequency" .freq_hz)
for i in $(seq 1 200); do
	f=$(jget "$A_URL/gpu/frequency" .freq_hz)
	seen="$seen $f"
	[ "$f" = "$target" ] && break
	sleep 0.02
done
# The PUT's own answer showed the old clock (above); how soon a GET after it
# lands depends on the machine's load, so the GETs are held only to what can
# be seen in any order of events: the old clock, then the new one, nothing else.
check "the old clock, then the new one, and nothing else ($seen)" \
	awk -v s="$seen" -v o="$old" -v n="$target" 'BEGIN { k = split(s, a, " "); ok = a[k] == n; for (i = 1; i < k; i++) if (a[i] != o && a[i] != n) ok = 0; exit !ok }'
req DELETE "$A_URL/gpu/frequency" "${AUTH[@]}"
expect 200 "release" '(.pinned | not) and .governor == "default" and .released'
req GET "$A_URL/gpu/frequency"
expect 200 "released clock" '(.pinned | not) and .target_hz == null'

# ---- 4. energy: batches and idle gaps at a pinned clock equal the profile --------
F=1377000000
pin $F
req GET "$A_URL/telemetry"
cp "$SCRATCH/body" "$SCRATCH/t0.json"
sum_l=0
sum_e=0
for b in 1 4 8; do
	make_bin "$SCRATCH/e$b.bin" "$b"
	infer "$A_URL" "$SCRATCH/e$b.bin"
	expect 200 "infer b=$b at $F"
	resp_json >"$SCRATCH/e$b.json"
	l=$(lat $F "$b")
	e=$(energy $F "$b")
	check "b=$b took the profile's latency $l s" jq -e --argjson l "$l" '(.parameters.compute_s - $l) | fabs < 1e-6' "$SCRATCH/e$b.json"
	check "b=$b drew the profile's energy $e J" jq -e --argjson e "$e" '(.parameters.energy_j - $e) | fabs < 1e-6' "$SCRATCH/e$b.json"
	sum_l=$(awk -v a="$sum_l" -v b="$l" 'BEGIN { printf "%.9f", a + b }')
	sum_e=$(awk -v a="$sum_e" -v b="$e" 'BEGIN { printf "%.9f", a + b }')
	[ "$b" = 1 ] && sleep 0.3
	[ "$b" = 4 ] && sleep 0.2
done
req GET "$A_URL/telemetry"
cp "$SCRATCH/body" "$SCRATCH/t1.json"
t0=$(jq .time_s "$SCRATCH/t0.json")
t1=$(jq .time_s "$SCRATCH/t1.json")
got=$(jq -n --slurpfile a "$SCRATCH/t0.json" --slurpfile b "$SCRATCH/t1.json" '$b[0].energy_j - $a[0].energy_j')
want=$(awk -v t0="$t0" -v t1="$t1" -v l="$sum_l" -v e="$sum_e" -v p="$(idle_w $F)" \
	'BEGIN { printf "%.9f", p * (t1 - t0 - l) + e }')
echo "energy over $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s: telemetry $got J, profile $want J"
check "energy equals idle power x idle time + E(f,b) per batch within 1% ($got vs $want)" \
	near "$got" "$want" "$(awk -v w="$want" 'BEGIN { print w * 0.01 }')"
check "telemetry at the pinned clock" jq -e ".gpu_freq_hz == $F and .inflight_batches == 0" "$SCRATCH/t1.json"

# ---- 5. a held infer blocks nobody; batches queue behind each other ---------------
LOW=114750000
pin $LOW
make_bin "$SCRATCH/q8.bin" 8
curl -s -o "$SCRATCH/q8.out" -D "$SCRATCH/q8.h" -H "Inference-Header-Content-Length: $HL" \
	--data-binary "@$SCRATCH/q8.bin" "$A_URL/v2/models/inception_graphdef/infer" &
slow=$!
await "$A_URL/telemetry" .inflight_batches 1
check "the b=8 batch is in flight" test "$(jget "$A_URL/telemetry" .inflight_batches)" = 1
make_bin "$SCRATCH/q1.bin" 1
curl -s -o "$SCRATCH/q1.out" -D "$SCRATCH/q1.h" -H "Inference-Header-Content-Length: $HL" \
	--data-binary "@$SCRATCH/q1.bin" "$A_URL/v2/models/inception_graphdef/infer" &
second=$!
req GET "$A_URL/healthz"
expect 200 "healthz while a batch is held"
check "the held infer was still running when healthz answered" kill -0 "$slow"
wait "$slow"
wait "$second"
hl8=$(tr -d '\r' <"$SCRATCH/q8.h" | sed -n 's/^Inference-Header-Content-Length: //Ip')
hl1=$(tr -d '\r' <"$SCRATCH/q1.h" | sed -n 's/^Inference-Header-Content-Length: //Ip')
head -c "$hl8" "$SCRATCH/q8.out" >"$SCRATCH/q8.json"
head -c "$hl1" "$SCRATCH/q1.out" >"$SCRATCH/q1.json"
check "b=8 at $LOW took the profile's latency" jq -e --argjson l "$(lat $LOW 8)" '(.parameters.compute_s - $l) | fabs < 1e-6' "$SCRATCH/q8.json"
check "the second batch queued behind the first (one model instance)" jq -e '.parameters.queue_s > 0' "$SCRATCH/q1.json"
check "and then ran its own latency" jq -e --argjson l "$(lat $LOW 1)" '(.parameters.compute_s - $l) | fabs < 1e-6' "$SCRATCH/q1.json"

# ---- 5b. a boost ({"now": true}) speeds up the batch running ---------------------
# The b=8 batch at the lowest clock takes L(LOW,8); a boost to the top while
# it runs lands a clock-change delay later and the rest runs at the top
# clock's speed, so it ends sooner than L(LOW,8) but cannot beat L(TOP,8).
TOP=1377000000
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": $TOP, \"now\": \"yes\"}"
expect_error 400 "now not a boolean" "now: must be true or false"
curl -s -o "$SCRATCH/bo.out" -D "$SCRATCH/bo.h" -H "Inference-Header-Content-Length: $HL" \
	--data-binary "@$SCRATCH/q8.bin" "$A_URL/v2/models/inception_graphdef/infer" &
held=$!
await "$A_URL/telemetry" .inflight_batches 1
req PUT "$A_URL/gpu/frequency" "${AUTH[@]}" -d "{\"hz\": $TOP, \"now\": true}"
expect 200 "boost while a batch runs" ".pinned and .target_hz == $TOP"
wait "$held"
hlb=$(tr -d '\r' <"$SCRATCH/bo.h" | sed -n 's/^Inference-Header-Content-Length: //Ip')
head -c "$hlb" "$SCRATCH/bo.out" >"$SCRATCH/bo.json"
check "the boosted batch ended sooner than L($LOW,8) = $(lat $LOW 8) s" \
	jq -e --argjson l "$(lat $LOW 8)" '.parameters.compute_s < $l - 1e-3' "$SCRATCH/bo.json"
check "but not sooner than L($TOP,8) = $(lat $TOP 8) s" \
	jq -e --argjson l "$(lat $TOP 8)" '.parameters.compute_s > $l' "$SCRATCH/bo.json"
check "the clock is the top one" test "$(jget "$A_URL/gpu/frequency" .freq_hz)" = "$TOP"

# ---- 6. the emulated Triton endpoint ----------------------------------------------
in_name=$(sed -n '/^input/,/^]/s/^ *name: "\(.*\)"/\1/p' "$CONFIG")
out_name=$(sed -n '/^output/,/^]/s/^ *name: "\(.*\)"/\1/p' "$CONFIG")
max_batch=$(sed -n 's/^max_batch_size: *//p' "$CONFIG")
kind_max=$(jq .max_batch "$PROF")
eff_max=$((max_batch < kind_max ? max_batch : kind_max))
req GET "$A_URL/v2"
expect 200 "server metadata" '.extensions | index("binary_tensor_data")'
req GET "$A_URL/v2/health/live"
expect 200 "live"
req GET "$A_URL/v2/health/ready"
expect 200 "ready"
req GET "$A_URL/v2/models/inception_graphdef"
expect 200 "model metadata" ".name == \"inception_graphdef\" and .platform == \"tensorflow_graphdef\" and .inputs == [{\"name\": \"$in_name\", \"datatype\": \"FP32\", \"shape\": [-1,299,299,3]}] and .outputs == [{\"name\": \"$out_name\", \"datatype\": \"FP32\", \"shape\": [-1,1001]}] and .parameters.emulated and .parameters.max_batch_size == $eff_max"
req GET "$A_URL/v2/models/inception_graphdef/ready"
expect 200 "model ready"
req GET "$A_URL/v2/models/resnet50/ready"
expect_error 404 "unknown model ready" "unknown model: 'resnet50'"
req GET "$A_URL/v2/models/resnet50"
expect_error 404 "unknown model metadata" "unknown model"
req GET "$B_URL/v2/models/inception_graphdef"
expect 200 "the second agent serves the model too, at its latest version" '.versions == ["3"]'

# Triton's extensions: versions, the model configuration, statistics, classification
req GET "$A_URL/v2"
expect 200 "the extensions are announced" '[.extensions[] | select(. == "model_configuration" or . == "statistics" or . == "classification")] | length == 3'
req GET "$A_URL/v2/models/inception_graphdef/versions/1"
expect 200 "version 1, the only one" '.versions == ["1"]'
req GET "$A_URL/v2/models/inception_graphdef/versions/7/ready"
expect_error 404 "a version that does not exist" "'inception_graphdef' version 7 is not found"
req GET "$A_URL/v2/models/inception_graphdef/versions/seven"
expect_error 400 "a version that is not a number" "version string 'seven'"
req GET "$B_URL/v2/models/inception_graphdef/versions/1/ready"
expect_error 404 "an older version on disk is not served (latest 1)" "version 1 is not found"
req GET "$B_URL/v2/models/inception_graphdef/versions/3/config"
expect 200 "config at the served version" '.name == "inception_graphdef"'
req GET "$A_URL/v2/models/inception_graphdef/config"
expect 200 "model config" "$(printf '.name == "inception_graphdef" and .platform == "%s" and .backend == "tensorflow" and .max_batch_size == %s and .input == [{"name": "%s", "data_type": "TYPE_FP32", "format": "%s", "dims": [299,299,3], "is_shape_tensor": false, "allow_ragged_batch": false, "optional": false}] and .output[0].name == "%s" and .output[0].data_type == "TYPE_FP32" and .output[0].dims == [1001] and .instance_group[0].count == %s and .instance_group[0].kind == "%s" and .version_policy.latest.num_versions == 1 and (has("dynamic_batching") | not)' \
	"$(sed -n 's/^platform: *"\(.*\)"/\1/p' "$CONFIG")" "$max_batch" "$in_name" \
	"$(sed -n 's/^ *format: *//p' "$CONFIG")" "$out_name" \
	"$(sed -n '/^instance_group/,/^]/s/^ *count: *//p' "$CONFIG")" \
	"$(sed -n '/^instance_group/,/^]/s/^ *kind: *//p' "$CONFIG")")"
req GET "$A_URL/v2/models/resnet50/config"
expect_error 404 "config of an unknown model" "unknown model: 'resnet50'"
req GET "$B_URL/v2/models/inception_graphdef/config"
expect 200 "config names the labels" '.output[0].label_filename == "labels.txt"'
req GET "$A_URL/v2/models/inception_graphdef/stats"
cp "$SCRATCH/body" "$SCRATCH/st0.json"
expect 200 "stats" '.model_stats | length == 1 and .[0].name == "inception_graphdef" and .[0].version == "1"'

# binary in, binary out, b=2
make_bin "$SCRATCH/b2.bin" 2
infer "$A_URL" "$SCRATCH/b2.bin"
expect 200 "binary infer b=2"
resp_json >"$SCRATCH/b2.json"
check "binary response header" jq -e ".id == \"req-2\" and .model_name == \"inception_graphdef\" and .parameters.emulated and .outputs[0].name == \"$out_name\" and .outputs[0].datatype == \"FP32\" and .outputs[0].shape == [2,1001] and .outputs[0].parameters.emulated and .outputs[0].parameters.binary_data_size == 8008" "$SCRATCH/b2.json"
check "content type" test "$(header Content-Type)" = "application/octet-stream"
tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/b2.out"
check "8008 bytes of FP32 after the header" test "$(stat -c %s "$SCRATCH/b2.out")" = 8008
check "each row is a softmax (sums to 1)" bash -c "od -An -v -t f4 -w4004 '$SCRATCH/b2.out' | awk '{ s = 0; for (i = 1; i <= NF; i++) { if (\$i < 0) bad = 1; s += \$i } if (NF != 1001 || s < 0.999 || s > 1.001) bad = 1; n++ } END { exit bad || n != 2 }'"
# the statistics count what was served: one batch of 2 more, and (below) failures
req GET "$A_URL/v2/models/stats"
expect 200 "stats of all models" '.model_stats | length == 1'
jq -e --slurpfile a "$SCRATCH/st0.json" '.model_stats[0] as $n | $a[0].model_stats[0] as $o |
	$n.inference_count == $o.inference_count + 2 and $n.execution_count == $o.execution_count + 1 and
	$n.inference_stats.success.count == $o.inference_stats.success.count + 1 and
	$n.inference_stats.compute_infer.ns > $o.inference_stats.compute_infer.ns and
	$n.inference_stats.fail.count == $o.inference_stats.fail.count and
	$n.last_inference >= $o.last_inference and $n.last_inference > 1e12 and
	([$n.batch_stats[] | select(.batch_size == 2) | .compute_infer.count][0]) ==
	(([$o.batch_stats[] | select(.batch_size == 2) | .compute_infer.count][0] // 0) + 1)' \
	"$SCRATCH/body" >/dev/null || fail "stats after one batch of 2: $(body)"
# the sum of every batch's items is the inference count (sections 4, 5 and this one)
check "batch_stats add up to the counts" jq -e '.model_stats[0] | ([.batch_stats[] | .batch_size * .compute_infer.count] | add) == .inference_count and ([.batch_stats[].compute_infer.count] | add) == .execution_count' "$SCRATCH/body"
# classification: the top 3 of each row as "score:index", the first the FP32 row's argmax
top=$(od -An -v -t f4 -w4004 "$SCRATCH/b2.out" | head -1 | awk '{ m = 1; for (i = 2; i <= NF; i++) if ($i > $m) m = i; print m - 1 }')
make_bin "$SCRATCH/c.bin" 2 "" "" ",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"classification\":3}}]"
infer "$A_URL" "$SCRATCH/c.bin"
expect 200 "classification 3" ".outputs[0].datatype == \"BYTES\" and .outputs[0].shape == [2,3] and (.outputs[0].data | length) == 6 and (.outputs[0].data | all(test(\"^[0-9]+\\\\.[0-9]{6}:[0-9]+\$\"))) and (.outputs[0].data[0] | split(\":\")[1]) == \"$top\" and ([.outputs[0].data[0:3][] | split(\":\")[0] | tonumber] | . == (sort | reverse))"
make_bin "$SCRATCH/c.bin" 1 "" "" ",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"classification\":2,\"binary_data\":true}}]"
infer "$B_URL" "$SCRATCH/c.bin"
expect 200 "classification, binary, with labels"
resp_json >"$SCRATCH/c.json"
check "binary BYTES header" jq -e '.model_version == "3" and .outputs[0].datatype == "BYTES" and .outputs[0].shape == [1,2]' "$SCRATCH/c.json"
tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/c.out"
# each element: a 4-byte little-endian length, then "score:index:class-index"
check "binary BYTES elements carry their labels ($(tr -c '[:print:]' . <"$SCRATCH/c.out"))" python3 -c '
import re, struct, sys
b = open(sys.argv[1], "rb").read(); out = []
while b:
    n = struct.unpack("<I", b[:4])[0]; out.append(b[4:4 + n].decode()); b = b[4 + n:]
ok = len(out) == 2 and all(re.fullmatch(r"\d\.\d{6}:(\d+):class-\1", s) for s in out)
sys.exit(0 if ok else 1)' "$SCRATCH/c.out"
make_bin "$SCRATCH/c.bin" 1 "" "" ",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"classification\":0}}]"
infer "$A_URL" "$SCRATCH/c.bin"
expect_error 400 "classification 0" "classification must be a whole number of classes >= 1"
req GET "$A_URL/v2/models/inception_graphdef/stats"
check "the refused request is counted as a failure" jq -e --slurpfile a "$SCRATCH/st0.json" '.model_stats[0].inference_stats.fail.count == $a[0].model_stats[0].inference_stats.fail.count + 1' "$SCRATCH/body"
# the versioned path and binary_data_output, no outputs listed
make_bin "$SCRATCH/v.bin" 1 "" "" ',"parameters":{"binary_data_output":true}'
req POST "$A_URL/v2/models/inception_graphdef/versions/1/infer" -H "Inference-Header-Content-Length: $HL" --data-binary "@$SCRATCH/v.bin"
expect 200 "versioned path, binary_data_output"
check "all outputs, binary" bash -c "head -c $(header Inference-Header-Content-Length) '$SCRATCH/body' | jq -e '.outputs | length == 1 and .[0].parameters.binary_data_size == 4004'"

# JSON in, JSON out, b=1
awk 'BEGIN { printf "{\"id\":\"j1\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,299,299,3],\"data\":["
	for (i = 0; i < 268203; i++) printf (i ? ",%.2f" : "%.2f"), (i % 255) / 255; printf "]}]}" }' >"$SCRATCH/j1.json"
req POST "$A_URL/v2/models/inception_graphdef/infer" -H 'Content-Type: application/json' --data-binary "@$SCRATCH/j1.json"
expect 200 "JSON infer b=1" ".id == \"j1\" and .outputs[0].shape == [1,1001] and (.outputs[0].data | length) == 1001 and ((.outputs[0].data | add) - 1 | fabs) < 1e-3 and .outputs[0].parameters.emulated and (.outputs[0].parameters | has(\"binary_data_size\") | not)"
check "JSON response content type" test "$(header Content-Type)" = "application/json"
# nested JSON data counts too
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,299,299,3],\"data\":[["
	for (i = 0; i < 299 * 299; i++) printf (i ? ",[0,1,2]" : "[0,1,2]"); printf "]]}]}" }' >"$SCRATCH/j2.json"
req POST "$A_URL/v2/models/inception_graphdef/infer" --data-binary "@$SCRATCH/j2.json"
expect 200 "JSON infer with nested data"

# what Triton refuses
jreq() { req POST "$A_URL/v2/models/inception_graphdef/infer" -H 'Content-Type: application/json' -d "$1"; }
jreq '{"inputs":[{"name":"input","datatype":"INT8","shape":[1,299,299,3],"data":[1]}]}'
expect_error 400 "datatype INT8" "data-type is 'INT8', but model 'inception_graphdef' expects 'FP32'"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,4],"data":[1]}]}'
expect_error 400 "shape [1,299,299,4]" "unexpected shape for input 'input'"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[299,299,3],"data":[1]}]}'
expect_error 400 "shape without the batch" "unexpected shape"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[0,299,299,3],"data":[]}]}'
expect_error 400 "batch 0" "batch-size must be >= 1 and <= $eff_max"
jreq "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[$((eff_max + 1)),299,299,3],\"data\":[]}]}"
expect_error 400 "batch above the max" "batch-size must be >= 1 and <= $eff_max"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"data":[1,2,3]}]}'
expect_error 400 "3 numbers for one image" "unexpected number of elements 3 for input 'input', expecting 268203"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"data":["a","b"]}]}'
expect_error 400 "strings for FP32" "FP32 data must be numbers"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"data":{"lv_count":268203,"lv_numbers":true}}]}'
expect_error 400 "an object as data" "must be an array"
jreq '{"inputs":[{"name":"image","datatype":"FP32","shape":[1,299,299,3],"data":[1]}]}'
expect_error 400 "unknown input" "unexpected inference input 'image'"
jreq '{"inputs":[]}'
expect_error 400 "no inputs" "inputs"
jreq '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"data":[1,2'
expect_error 400 "truncated JSON" "failed to parse"
make_bin "$SCRATCH/o.bin" 1 "" "" ',"outputs":[{"name":"logits"}]'
infer "$A_URL" "$SCRATCH/o.bin"
expect_error 400 "unknown output" "unexpected inference output 'logits'"
make_bin "$SCRATCH/short.bin" 1 1000
infer "$A_URL" "$SCRATCH/short.bin"
expect_error 400 "binary part too short" "carries 1000 bytes of binary tensor data"
make_bin "$SCRATCH/decl.bin" 1 "$IMAGE_BYTES" 1000
infer "$A_URL" "$SCRATCH/decl.bin"
expect_error 400 "wrong binary_data_size" "unexpected total byte size 1000 for input 'input', expecting $IMAGE_BYTES"
make_bin "$SCRATCH/hl.bin" 1 10
req POST "$A_URL/v2/models/inception_graphdef/infer" -H "Inference-Header-Content-Length: 999999" --data-binary "@$SCRATCH/hl.bin"
expect_error 400 "header length beyond the body" "Inference-Header-Content-Length"
# over --max-body (9000000): 9 images, declared and chunked
make_bin "$SCRATCH/b9.bin" 9
infer "$A_URL" "$SCRATCH/b9.bin"
expect_error 413 "9 images over --max-body" "over this endpoint's limit"
infer "$A_URL" "$SCRATCH/b9.bin" -H "Transfer-Encoding: chunked"
expect_error 413 "9 images chunked" "over this endpoint's limit"
# compressed bodies: inflated as they arrive, answered as the plain body is
gzip -c "$SCRATCH/b2.bin" >"$SCRATCH/b2.gz"
python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1], "rb").read()))' \
	"$SCRATCH/b2.bin" >"$SCRATCH/b2.zz"
make_bin "$SCRATCH/b2.bin" 2 # sets HL
for enc in gzip deflate; do
	f=$SCRATCH/b2.gz
	[ $enc = deflate ] && f=$SCRATCH/b2.zz
	infer "$A_URL" "$f" -H "Content-Encoding: $enc"
	expect 200 "a $enc body ($(stat -c %s "$f") bytes for $(stat -c %s "$SCRATCH/b2.bin"))"
	tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/b2.$enc.out"
	check "the $enc body is answered as the plain one" cmp -s "$SCRATCH/b2.out" "$SCRATCH/b2.$enc.out"
done
infer "$A_URL" "$SCRATCH/b2.gz" -H "Content-Encoding: br"
expect_error 415 "an encoding the agent does not know" "Content-Encoding 'br' is not supported"
head -c $(($(stat -c %s "$SCRATCH/b2.gz") / 2)) "$SCRATCH/b2.gz" >"$SCRATCH/cut.gz"
infer "$A_URL" "$SCRATCH/cut.gz" -H "Content-Encoding: gzip"
expect_error 400 "a gzip body cut short" "ends before its compressed stream does"
infer "$A_URL" "$SCRATCH/b2.bin" -H "Content-Encoding: gzip"
expect_error 400 "a plain body that says gzip" "does not inflate: incorrect header check"
# a zip bomb: 16 gzip members of 16 MB of zeros each (256 MB, 250 KB sent) is
# refused at the limit, and the agent's peak memory grows by far less than it
head -c $((16 << 20)) /dev/zero | gzip -1 >"$SCRATCH/z1.gz"
for _ in $(seq 1 16); do cat "$SCRATCH/z1.gz"; done >"$SCRATCH/bomb.gz"
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$A_PID/status"; }
m0=$(hwm)
infer "$A_URL" "$SCRATCH/bomb.gz" -H "Content-Encoding: gzip"
expect_error 413 "a gzip bomb" "inflates (or is) beyond this endpoint's limit of 9000000"
infer "$A_URL" "$SCRATCH/bomb.gz" -H "Content-Encoding: gzip" -H "Transfer-Encoding: chunked"
expect_error 413 "a gzip bomb, chunked" "beyond this endpoint's limit"
m1=$(hwm)
check "the bombs took $(((m1 - m0) / 1024)) MiB of peak memory, not 256" test $((m1 - m0)) -lt $((128 << 10))
req GET "$A_URL/healthz"
expect 200 "the agent is fine after refusing them"

# ---- 7. connection limits, slow clients ------------------------------------------
port_b=${B_URL##*:}
exec {c1}<>"/dev/tcp/127.0.0.1/$port_b"
exec {c2}<>"/dev/tcp/127.0.0.1/$port_b"
req GET "$B_URL/healthz"
expect_error 503 "a third connection beyond --max-connections 2" "too many connections"
exec {c1}>&- {c2}>&-
for i in $(seq 1 200); do
	req GET "$B_URL/healthz"
	[ "$CODE" = 200 ] && break
	sleep 0.05
done
expect 200 "served again once the idle connections closed"
# a client that sends half a request holds only its own connection...
port_a=${A_URL##*:}
exec {slow_fd}<>"/dev/tcp/127.0.0.1/$port_a"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&"$slow_fd"
req GET "$A_URL/telemetry"
expect 200 "served while a slow client dawdles"
exec {slow_fd}>&-
# ...and the connection timeout (--timeout 2) ends it
exec {slow_fd}<>"/dev/tcp/127.0.0.1/$port_b"
printf 'GET /healthz HTTP/1.1\r\n' >&"$slow_fd"
rc=0
read -r -t 30 -u "$slow_fd" line || rc=$?
check "the server closed the dawdling connection (read rc $rc, not a timeout)" test "$rc" = 1
exec {slow_fd}>&-

# ---- 8. stopping ---------------------------------------------------------------
make_bin "$SCRATCH/s.bin" 8
curl -s -o "$SCRATCH/s.out" -w '%{http_code}' -H "Inference-Header-Content-Length: $HL" \
	--data-binary "@$SCRATCH/s.bin" "$A_URL/v2/models/inception_graphdef/infer" >"$SCRATCH/s.code" &
held=$!
await "$A_URL/telemetry" .inflight_batches 1
stop_agent A TERM
check "SIGTERM with an infer held: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0
wait "$held"
check "the held infer was failed, not left hanging ($(cat "$SCRATCH/s.code"))" grep -qx 503 "$SCRATCH/s.code"
check "the log says why it stopped" grep -q "stopping (signal)" "$SCRATCH/A.log"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$SCRATCH/A.stderr'"
stop_agent B INT
check "SIGINT: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0
start_agent C --emulate nano --duration 1
rc=0
wait "$C_PID" || rc=$?
check "--duration: exits 0 by itself (rc $rc)" test "$rc" = 0
check "--duration: the log says so" grep -q "duration elapsed" "$SCRATCH/C.log"

# ---- 9. bad start-up input: one line, exit 2 -------------------------------------
rc=0
"$LOUDVA_AGENT" --emulate nano --profile "$PROF" --duration 1 >/dev/null 2>"$SCRATCH/err" || rc=$?
check "a profile of another kind: exit 2 (rc $rc)" test "$rc" = 2
check "  and the message names it" grep -q "kind: 'agx-xavier', but the agent emulates 'nano'" "$SCRATCH/err"
rc=0
"$LOUDVA_AGENT" --emulate nano --listen nowhere >/dev/null 2>"$SCRATCH/err" || rc=$?
check "a bad --listen: exit non-zero (rc $rc)" test "$rc" != 0
rc=0
"$LOUDVA_AGENT" --emulate nano --mode best >/dev/null 2>"$SCRATCH/err" || rc=$?
check "a bad --mode: exit 2" test "$rc" = 2
: >"$SCRATCH/empty"
rc=0
"$LOUDVA_AGENT" --emulate nano --token-file "$SCRATCH/empty" >/dev/null 2>"$SCRATCH/err" || rc=$?
check "an empty token file: exit 2" test "$rc" = 2
mkdir -p "$SCRATCH/repo/inception_graphdef"
printf 'name: "inception_graphdef"\ninput [{ name: "input" data_type: TYPE_FP32 dims: [299, 299, 3] }\n' \
	>"$SCRATCH/repo/inception_graphdef/config.pbtxt"
rc=0
"$LOUDVA_AGENT" --emulate nano --model-repository "$SCRATCH/repo" >/dev/null 2>"$SCRATCH/err" || rc=$?
check "a broken config.pbtxt: exit 2 naming file and line ($(cat "$SCRATCH/err"))" \
	grep -q "inception_graphdef/config.pbtxt:3: expected ',' or ']'" "$SCRATCH/err"

finish
