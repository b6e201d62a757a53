#!/usr/bin/env bash
# Triton's system shared memory extension on the emulated agent (sanitizer
# build): a real agent, a real POSIX shared memory object (on Linux,
# shm_open("/NAME") is the file /dev/shm/NAME, so the test makes one by
# writing that file), registration, infers that take their input from it
# (answered from the frames' own bytes, as the binary body is),
# and what Triton refuses. Whether a mapping is still there is read from the
# agent's /proc/PID/maps, not from the agent's own answers.
. "$(dirname "$0")/lib.sh"

KIND=agx-xavier
PROF=profiles/$KIND.json
CONFIG=model_repository/inception_graphdef/config.pbtxt
SHM=/v2/systemsharedmemory
INFER=v2/models/inception_graphdef/infer

# One frame's bytes from the model configuration (FP32 dims), independently of IMAGE_BYTES.
frame_bytes=$(sed -n '/^input/,/^]/s/^ *dims: *\[\(.*\)\]/\1/p' "$CONFIG" | tr -d ' ' |
	awk -F, '{ n = 4; for (i = 1; i <= NF; i++) n *= $i; print n }')
check "one frame is 299*299*3 FP32 ($frame_bytes bytes)" test "$frame_bytes" = 1072812
B2=$((2 * frame_bytes))
PAGE=$(getconf PAGESIZE)

KEY=lv-test-$$-$RANDOM
KEY2=$KEY-b
KEY_BIG=$KEY-big
KEY_CUT=$KEY-cut
KEY_PA=$KEY-pa
shm_cleanup() {
	rm -f "/dev/shm/$KEY" "/dev/shm/$KEY2" "/dev/shm/$KEY_BIG" "/dev/shm/$KEY_CUT" "/dev/shm/$KEY_PA"
	cleanup
}
trap shm_cleanup EXIT

# The object: room for 2 frames at offset 0, then 100 bytes, then 2 frames at $OFF
# (not page-aligned, so the agent must map from the page below it).
OFF=$((B2 + 100))
head -c "$((OFF + B2))" /dev/zero >"/dev/shm/$KEY"
check "not page-aligned offset" test $((OFF % PAGE)) != 0

start_agent A --emulate "$KIND" --profile "$PROF"

# register NAME BODY: POST .../region/NAME/register
register() { req POST "$A_URL$SHM/region/$1/register" -H 'Content-Type: application/json' -d "$2"; }
# shm_infer JSON: an infer whose body is the JSON alone.
shm_infer() { req POST "$A_URL/$INFER" -H 'Content-Type: application/json' -d "$1"; }
# input_json BATCH PARAMS [EXTRA]: one input "input" of BATCH frames with PARAMS.
input_json() {
	printf '{"name":"input","datatype":"FP32","shape":[%s,299,299,3],"parameters":{%s}%s}' "$1" "$2" "${3:-}"
}
# infer_json INPUT [TAIL]: a request with that input; TAIL follows "inputs" (default: the
# output asked for as binary).
BIN_OUT=",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"binary_data\":true}}]"
infer_json() {
	local tail=$BIN_OUT
	[ $# -ge 2 ] && tail=$2
	printf '{"id":"shm","inputs":[%s]%s}' "$1" "$tail"
}
shm_params() { printf '"shared_memory_region":"%s","shared_memory_byte_size":%s%s' "$1" "$2" "${3:+,\"shared_memory_offset\":$3}"; }
# mapped KEY: how many of the agent's mappings are of /dev/shm/KEY (unlinked or not).
mapped() { grep -cE " /dev/shm/$1( \(deleted\))?\$" "/proc/$A_PID/maps"; }

# ---- 1. the extension is advertised; nothing registered yet ----------------------------
req GET "$A_URL/v2"
expect 200 "server metadata" '(.extensions | index("system_shared_memory")) and (.extensions | index("binary_tensor_data"))'
req GET "$A_URL$SHM/status"
expect 200 "status with nothing registered" '. == []'

# ---- 2. register, status -----------------------------------------------------------------
register r0 "{\"key\":\"/$KEY\",\"byte_size\":$B2}"
expect 200 "register r0 (no offset)"
check "register answers with an empty body" test ! -s "$SCRATCH/body"
register r1 "{\"key\":\"/$KEY\",\"offset\":$OFF,\"byte_size\":$B2}"
expect 200 "register r1 at offset $OFF"
check "both regions are mapped in the agent" test "$(mapped "$KEY")" -ge 2
req GET "$A_URL$SHM/status"
expect 200 "status lists both, in order" "[.[] | [.name, .key, .offset, .byte_size]] == [[\"r0\", \"/$KEY\", 0, $B2], [\"r1\", \"/$KEY\", $OFF, $B2]]"
req GET "$A_URL$SHM/region/r1/status"
expect 200 "status of r1" "[.[] | [.name, .key, .offset, .byte_size]] == [[\"r1\", \"/$KEY\", $OFF, $B2]]"
req GET "$A_URL$SHM/region/nope/status"
expect_error 400 "status of an unknown region" "Unable to find system shared memory region: 'nope'"
req GET "$A_URL$SHM/region/r1/register"
expect_error 405 "GET on register" "method not allowed"

# ---- 3. infers from shared memory equal a binary infer of the same batch -----------------
make_bin "$SCRATCH/b2.bin" 2
infer "$A_URL" "$SCRATCH/b2.bin"
expect 200 "binary infer b=2 (the reference)"
resp_json >"$SCRATCH/ref.json"
tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/ref.out"
check "the reference has 2x1001 FP32" test "$(stat -c %s "$SCRATCH/ref.out")" = 8008

# shm_same WHAT: the last response equals the reference (outputs and their bytes).
shm_same() {
	resp_json >"$SCRATCH/got.json"
	tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/got.out"
	check "$1: the same outputs as the binary infer" \
		jq -e --slurpfile r "$SCRATCH/ref.json" '.outputs == $r[0].outputs and .id == "shm"' "$SCRATCH/got.json"
	check "$1: the same output bytes as the binary infer" cmp -s "$SCRATCH/got.out" "$SCRATCH/ref.out"
}
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "$B2")")")"
expect 200 "infer b=2 from r0"
shm_same "r0"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r1 "$B2" 0)")")"
expect 200 "infer b=2 from r1 (mapped at an unaligned offset)"
shm_same "r1"
# a region of 2 frames read at an offset within it: b=1 at frame 1 (the last byte of r1)
shm_infer "$(infer_json "$(input_json 1 "$(shm_params r1 "$frame_bytes" "$frame_bytes")")")"
expect 200 "infer b=1 at offset $frame_bytes into r1"
check "  its output is [1,1001]" bash -c "head -c $(header Inference-Header-Content-Length) '$SCRATCH/body' | jq -e '.outputs[0].shape == [1,1001]'"
# the body's JSON with an Inference-Header-Content-Length equal to its length
j=$(infer_json "$(input_json 2 "$(shm_params r0 "$B2")")")
req POST "$A_URL/$INFER" -H "Inference-Header-Content-Length: ${#j}" -H 'Content-Type: application/octet-stream' -d "$j"
expect 200 "infer from r0 with Inference-Header-Content-Length = the body"
shm_same "r0 with a header length"
# JSON outputs work as well
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "$B2")")" '')"
expect 200 "infer from r0, JSON output" '.outputs[0].shape == [2,1001] and (.outputs[0].data | length) == 2002'

# ---- 3b. the outputs follow the pixels, not the place in the batch or the transport -------
# Two different frames A and B: a batch [A, B] and a batch [B, A] in binary bodies, and [A, B]
# from r0; each frame's top class (argmax of its row) stays with the frame. The frames'
# bytes change with their place (byte i is (i * M + C) % 251 + 1), so the two ways of reading
# them agree only if they read the same places.
pattern() {
	LC_ALL=C awk -v n="$frame_bytes" -v m="$2" -v c="$3" \
		'BEGIN { for (i = 0; i < n; i++) printf "%c", (i * m + c) % 251 + 1 }' >"$1"
}
pattern "$SCRATCH/fa" 7 3
pattern "$SCRATCH/fb" 13 5
check "the patterned frames are $frame_bytes bytes" test "$(stat -c %s "$SCRATCH/fa")" = "$frame_bytes"
JSON_OUT=",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"binary_data\":false}}]"
# tops: the top class of each row of the last (JSON) answer, as "c0 c1".
tops() { jq -r '.outputs[0].data as $d | [range(0; (.outputs[0].shape[0]))] | map(. as $k | $d[$k * 1001:($k + 1) * 1001] | index(max)) | map(tostring) | join(" ")' "$SCRATCH/body"; }
# body2 FILE F0 F1: a binary infer body of the frames F0 then F1, JSON outputs.
body2() {
	local h="{\"inputs\":[$(input_json 2 "\"binary_data_size\":$B2")]$JSON_OUT}"
	printf '%s' "$h" >"$1"
	cat "$2" "$3" >>"$1"
	HL=${#h}
}
body2 "$SCRATCH/ab.bin" "$SCRATCH/fa" "$SCRATCH/fb"
infer "$A_URL" "$SCRATCH/ab.bin"
expect 200 "binary infer [A, B]"
read -r ca cb <<<"$(tops)"
check "A and B get different top classes ($ca, $cb)" test "$ca" != "$cb"
body2 "$SCRATCH/ba.bin" "$SCRATCH/fb" "$SCRATCH/fa"
infer "$A_URL" "$SCRATCH/ba.bin"
expect 200 "binary infer [B, A]"
check "[B, A] gives B's class then A's ($(tops))" test "$(tops)" = "$cb $ca"
cat "$SCRATCH/fa" "$SCRATCH/fb" | dd of="/dev/shm/$KEY" conv=notrunc status=none
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "$B2")")" "$JSON_OUT")"
expect 200 "infer [A, B] from r0"
check "r0 gives A's class then B's ($(tops))" test "$(tops)" = "$ca $cb"
shm_infer "$(infer_json "$(input_json 1 "$(shm_params r0 "$frame_bytes" "$frame_bytes")")" "$JSON_OUT")"
expect 200 "infer [B] at offset $frame_bytes into r0"
check "B alone keeps its class ($(tops))" test "$(tops)" = "$cb"
head -c "$B2" /dev/zero | dd of="/dev/shm/$KEY" conv=notrunc status=none

# ---- 3c. an object truncated under its region: reading it would be SIGBUS ---------------
head -c "$B2" /dev/zero >"/dev/shm/$KEY_CUT"
register rcut "{\"key\":\"/$KEY_CUT\",\"byte_size\":$B2}"
expect 200 "register rcut"
truncate -s 0 "/dev/shm/$KEY_CUT"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params rcut "$B2")")")"
expect_error 400 "infer from a truncated object" "shared memory region 'rcut': its object no longer holds the input's bytes"
check "the agent lives on" curl -sf "$A_URL/healthz" -o /dev/null
req POST "$A_URL$SHM/region/rcut/unregister"
expect 200 "unregister rcut"

# ---- 4. what registration refuses ---------------------------------------------------------
register r0 "{\"key\":\"/$KEY\",\"byte_size\":$B2}"
expect_error 400 "r0 again" "shared memory region 'r0' already in manager"
register rx "{\"key\":\"/$KEY\",\"byte_size\":"
expect_error 400 "not JSON" "not valid JSON"
register rx "[\"/$KEY\", $B2]"
expect_error 400 "not an object" "expected a JSON object"
register rx "{\"byte_size\":$B2}"
expect_error 400 "no key" "key: missing"
register rx "{\"key\":7,\"byte_size\":$B2}"
expect_error 400 "key a number" "key: must be a string"
register rx '{"key":"","byte_size":8}'
expect_error 400 "empty key" "key: empty"
register rx "{\"key\":\"/$KEY\"}"
expect_error 400 "no byte_size" "byte_size: missing"
register rx "{\"key\":\"/$KEY\",\"byte_size\":\"$B2\"}"
expect_error 400 "byte_size a string" "byte_size: must be a positive whole number of bytes, got a JSON string"
register rx "{\"key\":\"/$KEY\",\"byte_size\":0}"
expect_error 400 "byte_size 0" "byte_size: must be a positive whole number of bytes, got 0"
register rx "{\"key\":\"/$KEY\",\"byte_size\":-8}"
expect_error 400 "byte_size negative" "got -8"
register rx "{\"key\":\"/$KEY\",\"byte_size\":8.5}"
expect_error 400 "byte_size a fraction" "got 8.5"
register rx "{\"key\":\"/$KEY\",\"offset\":-1,\"byte_size\":8}"
expect_error 400 "offset negative" "offset: must be a whole number of bytes >= 0, got -1"
register rx "{\"key\":\"/$KEY-none\",\"byte_size\":8}"
expect_error 400 "a key that does not exist" "Unable to open shared memory region: '/$KEY-none': No such file or directory"
register rx "{\"key\":\"/$KEY\",\"byte_size\":$((OFF + B2 + 1))}"
expect_error 400 "byte_size beyond the object" "holds $((OFF + B2)) bytes, fewer than offset 0 + byte_size $((OFF + B2 + 1))"
register rx "{\"key\":\"/$KEY\",\"offset\":$((OFF + 1)),\"byte_size\":$B2}"
expect_error 400 "offset + byte_size beyond the object" "fewer than offset $((OFF + 1)) + byte_size $B2"
long=$(printf 'n%.0s' $(seq 1 128))
register "$long" "{\"key\":\"/$KEY\",\"byte_size\":8}"
expect_error 400 "a 128-byte name" "region name: 128 bytes; expected 1 to 127"
register "${long:1}" "{\"key\":\"/$KEY\",\"byte_size\":8}"
expect 200 "a 127-byte name"
req POST "$A_URL$SHM/region/${long:1}/unregister"
expect 200 "unregister the 127-byte name"
# over 8 GiB mapped in all: a sparse 9 GiB object takes no memory
truncate -s 9G "/dev/shm/$KEY_BIG"
register big "{\"key\":\"/$KEY_BIG\",\"byte_size\":$((9 << 30))}"
expect_error 400 "9 GiB" "over the limit of 8589934592 mapped in all"
register big "{\"key\":\"/$KEY_BIG\",\"byte_size\":$((4 << 30))}"
expect 200 "4 GiB (within the limit)"
register big2 "{\"key\":\"/$KEY_BIG\",\"offset\":$((4 << 30)),\"byte_size\":$((4 << 30))}"
expect_error 400 "4 GiB more, over 8 GiB with what is mapped" "over the limit of 8589934592"
req POST "$A_URL$SHM/region/big/unregister"
expect 200 "unregister big"
register big2 "{\"key\":\"/$KEY_BIG\",\"offset\":$((4 << 30)),\"byte_size\":$((4 << 30))}"
expect 200 "the 4 GiB fit again once big is gone"
req POST "$A_URL$SHM/region/big2/unregister"
expect 200 "unregister big2"
rm -f "/dev/shm/$KEY_BIG"
check "the big mappings are gone" test "$(mapped "$KEY_BIG")" = 0
# more than 256 regions: r0, r1 and 254 more fill the table
for i in $(seq 1 254); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -d "{\"key\":\"/$KEY\",\"byte_size\":8}" \
		"$A_URL$SHM/region/many$i/register"
done >"$SCRATCH/many.codes"
check "254 more regions registered" test "$(grep -c '^200$' "$SCRATCH/many.codes")" = 254
register many255 "{\"key\":\"/$KEY\",\"byte_size\":8}"
expect_error 400 "a 257th region" "too many shared memory regions (at most 256"
req GET "$A_URL$SHM/status"
expect 200 "status lists 256" 'length == 256'
for i in $(seq 1 254); do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST "$A_URL$SHM/region/many$i/unregister"
done >"$SCRATCH/many.codes"
check "and they unregister" test "$(grep -c '^200$' "$SCRATCH/many.codes")" = 254
req GET "$A_URL$SHM/status"
expect 200 "r0 and r1 are left" '[.[].name] == ["r0", "r1"]'

# ---- 5. what infer refuses ----------------------------------------------------------------
shm_infer "$(infer_json "$(input_json 2 '"shared_memory_region":"r0"')")"
expect_error 400 "a region without a byte size" "only shared_memory_region was given"
shm_infer "$(infer_json "$(input_json 2 "\"shared_memory_byte_size\":$B2")")"
expect_error 400 "a byte size without a region" "only shared_memory_byte_size was given"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "\"$B2\"")")")"
expect_error 400 "a byte size as a string" "must be whole numbers of bytes"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params nope "$B2")")")"
expect_error 400 "an unknown region" "Unable to find system shared memory region: 'nope'"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "$frame_bytes")")")"
expect_error 400 "a byte size that is not the shape's" "unexpected total byte size $frame_bytes for input 'input', expecting $B2"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r1 "$B2" 4)")")"
expect_error 400 "offset + byte size beyond the region" "Invalid offset + byte size for shared memory region: 'r1'"
shm_infer "$(infer_json "$(input_json 1 "$(shm_params r1 "$frame_bytes" $((frame_bytes + 1)))")")"
expect_error 400 "one byte beyond the region's end" "Invalid offset + byte size for shared memory region: 'r1'"
shm_infer "$(infer_json "$(input_json 1 "$(shm_params r0 "$frame_bytes")" ',"data":[1,2,3]')")"
expect_error 400 "shared memory and data" "has both shared_memory_region and data"
h="{\"inputs\":[$(input_json 2 "\"binary_data_size\":$B2,$(shm_params r0 "$B2")")]}"
printf '%s' "$h" >"$SCRATCH/both.bin"
head -c "$B2" /dev/zero >>"$SCRATCH/both.bin"
HL=${#h}
infer "$A_URL" "$SCRATCH/both.bin"
expect_error 400 "shared memory and binary_data_size" "has both shared_memory_region and binary_data_size"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "$B2")")" ",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"shared_memory_region\":\"r1\",\"shared_memory_byte_size\":8008}}]")"
expect_error 400 "an output in shared memory" "shared memory for outputs is not supported"
shm_infer "$(infer_json "$(input_json $(($(jq .max_batch "$PROF") + 1)) "$(shm_params r0 "$B2")")")"
expect_error 400 "the batch limit still applies" "batch-size must be >= 1"
check "r0 and r1 are still mapped after the refusals" test "$(mapped "$KEY")" -ge 2

# ---- 6. the mapping outlives the object's name -------------------------------------------
head -c "$B2" /dev/zero >"/dev/shm/$KEY2"
register r2 "{\"key\":\"/$KEY2\",\"byte_size\":$B2}"
expect 200 "register r2"
rm -f "/dev/shm/$KEY2"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r2 "$B2")")")"
expect 200 "infer from r2 after its object was unlinked"
shm_same "r2 unlinked"
register r3 "{\"key\":\"/$KEY2\",\"byte_size\":$B2}"
expect_error 400 "but the name cannot be registered again" "Unable to open shared memory region: '/$KEY2'"

# ---- 7. unregistered while an infer holds it: unmapped when that infer is done -----------
# A b=8 batch at the lowest clock is held long enough to unregister under it (ordering only).
req GET "$A_URL/gpu/frequencies"
low=$(jq '.frequencies_hz[0]' "$SCRATCH/body")
echo "t0k3n" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
stop_agent A TERM
check "first agent stopped cleanly (rc $STOP_RC)" test "$STOP_RC" = 0
check "first agent: no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' '$SCRATCH/A.stderr'"

start_agent H --emulate "$KIND" --profile "$PROF" --token-file "$SCRATCH/token"
A_PID=$H_PID
A_URL=$H_URL
req PUT "$A_URL/gpu/frequency" -H "Authorization: Bearer t0k3n" -d "{\"hz\": $low}"
expect 200 "pin the lowest clock $low"
await "$A_URL/gpu/frequency" .freq_hz "$low" 0.05
B8=$((8 * frame_bytes))
head -c "$B8" /dev/zero >"/dev/shm/$KEY2"
register held "{\"key\":\"/$KEY2\",\"byte_size\":$B8}"
expect 200 "register a region of 8 frames (no token needed, as with Triton)"
rm -f "/dev/shm/$KEY2"
infer_json "$(input_json 8 "$(shm_params held "$B8")")" >"$SCRATCH/held.json"
curl -s -o "$SCRATCH/held.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "@$SCRATCH/held.json" "$A_URL/$INFER" >"$SCRATCH/held.code" &
held=$!
await "$A_URL/telemetry" .inflight_batches 1
check "the b=8 batch is in flight" test "$(jget "$A_URL/telemetry" .inflight_batches)" = 1
req POST "$A_URL$SHM/region/held/unregister"
expect 200 "unregister the held region"
req GET "$A_URL$SHM/region/held/status"
expect_error 400 "it is no longer registered" "Unable to find system shared memory region: 'held'"
check "the infer is still running" kill -0 "$held"
check "its mapping is still there while the infer runs" test "$(mapped "$KEY2")" = 1
wait "$held"
check "the held infer answered 200 ($(cat "$SCRATCH/held.code"))" grep -qx 200 "$SCRATCH/held.code"
check "and then the mapping was gone" test "$(mapped "$KEY2")" = 0

# ---- 8. unregister, unregister all -----------------------------------------------------
register r0 "{\"key\":\"/$KEY\",\"byte_size\":$B2}"
expect 200 "register r0 on the second agent"
register r1 "{\"key\":\"/$KEY\",\"offset\":$OFF,\"byte_size\":$B2}"
expect 200 "register r1 on the second agent"
req POST "$A_URL$SHM/region/r0/unregister"
expect 200 "unregister r0"
req POST "$A_URL$SHM/region/r0/unregister"
expect 200 "unregister r0 again (as Triton: not an error)"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r0 "$B2")")")"
expect_error 400 "infer from r0 after unregistering it" "Unable to find system shared memory region: 'r0'"
req GET "$A_URL$SHM/status"
expect 200 "only r1 is left" '[.[].name] == ["r1"]'
check "r1's mapping is still there" test "$(mapped "$KEY")" = 1
req POST "$A_URL$SHM/unregister"
expect 200 "unregister all"
req GET "$A_URL$SHM/status"
expect 200 "nothing is left" '. == []'
check "nothing of the object is mapped any more" test "$(mapped "$KEY")" = 0
shm_infer "$(infer_json "$(input_json 2 "$(shm_params r1 "$B2" 0)")")"
expect_error 400 "infer from r1 after unregistering all" "Unable to find system shared memory region: 'r1'"
# ---- 8b. the request sequence perf_analyzer makes through tritonclient's HTTP client -------
# (perf_analyzer -m inception_graphdef -b 2 --shared-memory system, and the same without
# shared memory, compressed as the client compresses it): live, ready, server and model
# metadata, the model's configuration, statistics before, unregister all, register the
# input's region, its status, infers, statistics after, unregister.
head -c "$B2" /dev/urandom >"/dev/shm/$KEY_PA"
M=v2/models/inception_graphdef
req GET "$A_URL/v2/health/live"
expect 200 "perf_analyzer: live"
req GET "$A_URL/v2/health/ready"
expect 200 "perf_analyzer: ready"
req GET "$A_URL/v2"
expect 200 "perf_analyzer: server metadata" '(.extensions | index("statistics")) and (.extensions | index("model_configuration"))'
req GET "$A_URL/$M"
expect 200 "perf_analyzer: model metadata" '.inputs[0].shape == [-1,299,299,3] and .versions == ["1"]'
req GET "$A_URL/$M/config"
expect 200 "perf_analyzer: model config" '.max_batch_size >= 2 and .input[0].dims == [299,299,3] and .input[0].data_type == "TYPE_FP32" and (.sequence_batching == null) and (.ensemble_scheduling == null)'
req GET "$A_URL/$M/stats"
expect 200 "perf_analyzer: statistics before" '.model_stats[0].name == "inception_graphdef"'
cp "$SCRATCH/body" "$SCRATCH/pa0.json"
req POST "$A_URL$SHM/unregister"
expect 200 "perf_analyzer: unregister all"
register pa_input "{\"key\":\"/$KEY_PA\",\"offset\":0,\"byte_size\":$B2}"
expect 200 "perf_analyzer: register the input's region"
req GET "$A_URL$SHM/status"
expect 200 "perf_analyzer: shared memory status" "[.[].name] == [\"pa_input\"]"
shm_infer "$(infer_json "$(input_json 2 "$(shm_params pa_input "$B2" 0)")")"
expect 200 "perf_analyzer: infer b=2 from shared memory"
resp_json >"$SCRATCH/pa-shm.json"
tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/pa-shm.out"
# the same two frames in a binary body, gzip-compressed
j=$(infer_json "$(input_json 2 "\"binary_data_size\":$B2")")
{ printf '%s' "$j"; cat "/dev/shm/$KEY_PA"; } | gzip -1 >"$SCRATCH/pa.gz"
req POST "$A_URL/$INFER" -H "Inference-Header-Content-Length: ${#j}" -H 'Content-Encoding: gzip' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$SCRATCH/pa.gz"
expect 200 "perf_analyzer: infer b=2, binary data, gzip"
tail -c +"$(($(header Inference-Header-Content-Length) + 1))" "$SCRATCH/body" >"$SCRATCH/pa-bin.out"
check "perf_analyzer: both ways give the same answer" cmp -s "$SCRATCH/pa-shm.out" "$SCRATCH/pa-bin.out"
req GET "$A_URL/$M/stats"
expect 200 "perf_analyzer: statistics after"
check "perf_analyzer: the statistics count both requests (4 frames, 2 batches)" \
	jq -e --slurpfile a "$SCRATCH/pa0.json" '.model_stats[0] as $n | $a[0].model_stats[0] as $o |
	$n.inference_count == $o.inference_count + 4 and $n.execution_count == $o.execution_count + 2 and
	$n.inference_stats.success.count == $o.inference_stats.success.count + 2 and
	$n.inference_stats.queue.count == $o.inference_stats.queue.count + 2' "$SCRATCH/body"
req POST "$A_URL$SHM/region/pa_input/unregister"
expect 200 "perf_analyzer: unregister the region"
req GET "$A_URL$SHM/status"
expect 200 "perf_analyzer: nothing registered at the end" '. == []'
rm -f "/dev/shm/$KEY_PA"

# a region left registered at shutdown is unmapped there (the sanitizer build checks the rest)
register r0 "{\"key\":\"/$KEY\",\"byte_size\":$B2}"
expect 200 "register r0 to leave at shutdown"

# ---- 9. alive, and clean ---------------------------------------------------------------
req GET "$A_URL/healthz"
expect 200 "healthz at the end" '.status == "ok"'
stop_agent H TERM
check "SIGTERM with a region registered: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' '$SCRATCH/H.stderr'"

finish
