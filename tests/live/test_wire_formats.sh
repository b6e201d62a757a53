#!/usr/bin/env bash
# The three wire formats end to end (issue 19): an embedded cluster of three
# emulated Xavier NX, one per "wire" — fp32 tensors, uint8 pixels, the
# camera's JPEG — each agent emulating the model's ensemble for its format
# (model_repository/), so it checks the datatype, shape and byte counts and
# decodes every JPEG. Camera JPEGs are posted; every frame must be served,
# every device must serve some, and the bytes sent to each (/status,
# /metrics) must be its format's per frame. Then the controller's refusal of a cluster file
# with a wire it does not know, and an agent refusing malformed uint8 and
# jpeg bodies with a clear 400.
. "$(dirname "$0")/../agent/lib.sh"
LOUDVA=${LOUDVA:-build/san/loudva}
. "$(dirname "$0")/lib.sh"

cat >"$SCRATCH/wire.json" <<EOF2
{"name": "wire", "profiles": "$PWD/profiles",
 "devices": [{"name": "nx-fp32", "kind": "xavier-nx"},
             {"name": "nx-uint8", "kind": "xavier-nx", "wire": "uint8"},
             {"name": "nx-jpeg", "kind": "xavier-nx", "wire": "jpeg"}]}
EOF2
start_serve "$SCRATCH/serve" --cluster "$SCRATCH/wire.json" --emulate --mode prof \
	--policy round_robin --keep-logs || finish

make_images "$SCRATCH/img"
# Five requests of two frames, one after the other: round_robin spreads them.
mkdir -p "$SCRATCH/ans"
for r in $(seq 1 5); do
	curl -s --max-time 60 -F "images=@$SCRATCH/img/a.jpg" -F "images=@tests/live/fixtures/street.jpg" \
		-F latency=10 "http://127.0.0.1:$SERVE_PORT/inference" >"$SCRATCH/ans/r$r.json"
done
read -r frames ok late failed expired rejected <<<"$(tally "$SCRATCH/ans")"
check "every frame done ($frames frames: $ok ok, $late late, $failed failed: $(cat "$SCRATCH/ans"/*.json | jq -r '.results[]?.reason // empty' | sort -u | head -3))" \
	test "$frames" = 10 -a $((ok + late)) = 10
for d in nx-fp32 nx-uint8 nx-jpeg; do
	n=$(cat "$SCRATCH/ans"/*.json | jq -s --arg d "$d" '[.[].results[] | select(.device == $d)] | length')
	check "$d served frames ($n)" test "$n" -gt 0
done
# Bytes counted: /status gives each device's format and the bytes sent to it in that format.
curl -s "http://127.0.0.1:$SERVE_PORT/status" >"$SCRATCH/status.json"
curl -s "http://127.0.0.1:$SERVE_PORT/metrics" >"$SCRATCH/metrics.txt"
per_frame() { # DEVICE: wire_bytes / frames served, as "wire bytes"
	jq -r --arg d "$1" '.devices[] | select(.name == $d) |
		"\(.wire) \(if .frames > 0 then .wire_bytes / .frames else -1 end)"' "$SCRATCH/status.json"
}
jpeg_avg=$(( ($(stat -c %s "$SCRATCH/img/a.jpg") + $(stat -c %s tests/live/fixtures/street.jpg)) / 2 + 4 ))
check "fp32: 1072812 bytes per frame ($(per_frame nx-fp32))" test "$(per_frame nx-fp32)" = "fp32 1072812"
check "uint8: 268203 bytes per frame ($(per_frame nx-uint8))" test "$(per_frame nx-uint8)" = "uint8 268203"
read -r w b <<<"$(per_frame nx-jpeg)"
check "jpeg: the camera's JPEGs, length-prefixed ($w $b, the two average $jpeg_avg)" \
	test "$w" = jpeg -a "${b%.*}" -gt 10000 -a "${b%.*}" -lt 20000
check "/metrics counts them too" grep -q '^loudva_device_wire_bytes_total{device="nx-uint8"} [1-9]' "$SCRATCH/metrics.txt"

kill -INT "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
check "serve exits 0 on SIGINT (got $rc: $(tail -3 "$SCRATCH/serve.err"))" test "$rc" -eq 0

# ---- a wire the controller does not know: refused, naming the file and device ----
sed 's/"wire": "uint8"/"wire": "int4"/' "$SCRATCH/wire.json" >"$SCRATCH/bad.json"
rc=0
"$LOUDVA" serve --cluster "$SCRATCH/bad.json" --emulate --listen 127.0.0.1:0 \
	--agent "$LOUDVA_AGENT" --duration 1 >/dev/null 2>"$SCRATCH/bad.err" || rc=$?
check "an unknown wire is refused ($rc: $(cat "$SCRATCH/bad.err"))" \
	grep -q "bad.json: devices\[1\].wire: 'int4' is not a wire format (fp32, uint8 or jpeg)" "$SCRATCH/bad.err"

# ---- the agents themselves: the ensembles' bodies, good and malformed ---------------
start_agent u8 --emulate xavier-nx --model inception_graphdef_uint8
start_agent jp --emulate xavier-nx --model inception_graphdef_jpeg
# The bodies, made in one go: NAME.bin (a KServe binary body) and NAME.hl (its header length).
python3 - "$SCRATCH" tests/live/fixtures/camera.jpg tests/live/fixtures/street.jpg <<'PY'
import json, os, struct, sys
d, cam, street = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
px = os.urandom(2 * 299 * 299 * 3)
def elements(*v): # KServe BYTES: a 4-byte little-endian length, then the bytes
    return b"".join(struct.pack("<I", len(x)) + x for x in v)
def body(name, dt, shape, payload, declared=None):
    hdr = json.dumps({"inputs": [{"name": "image", "datatype": dt, "shape": shape,
        "parameters": {"binary_data_size": len(payload) if declared is None else declared}}],
        "outputs": [{"name": "InceptionV3/Predictions/Softmax",
                     "parameters": {"binary_data": True}}]}).encode()
    open(os.path.join(d, name + ".bin"), "wb").write(hdr + payload)
    open(os.path.join(d, name + ".hl"), "w").write(str(len(hdr)))
body("u8", "UINT8", [2, 299, 299, 3], px)
body("u8short", "UINT8", [2, 299, 299, 3], px[:-1])
body("u8fp32", "FP32", [2, 299, 299, 3], px)
body("jpeg", "BYTES", [2, 1], elements(cam, street))
body("jpegcut", "BYTES", [2, 1], elements(street, cam[:4000]))
body("jpegpixels", "BYTES", [1, 1], elements(px[:5000]))
body("jpegfew", "BYTES", [2, 1], elements(cam))
body("jpegmany", "BYTES", [1, 1], elements(cam, street))
PY
post_body() { # URL MODEL NAME
	req POST "$1/v2/models/$2/infer" -H "Inference-Header-Content-Length: $(cat "$SCRATCH/$3.hl")" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$SCRATCH/$3.bin"
}
post_body "$u8_URL" inception_graphdef_uint8 u8
expect 200 "uint8 pixels, b=2"
post_body "$u8_URL" inception_graphdef_uint8 u8short
expect_error 400 "a uint8 body a byte short" "unexpected total byte size 536405 for input 'image', expecting 536406"
post_body "$u8_URL" inception_graphdef_uint8 u8fp32
expect_error 400 "FP32 to the uint8 ensemble" "data-type is 'FP32', but model 'inception_graphdef_uint8' expects 'UINT8'"
post_body "$jp_URL" inception_graphdef_jpeg jpeg
expect 200 "two JPEGs, b=2"
post_body "$jp_URL" inception_graphdef_jpeg jpegcut
expect_error 400 "a truncated JPEG" "input 'image' of model 'inception_graphdef_jpeg': element 1: the JPEG does not decode"
post_body "$jp_URL" inception_graphdef_jpeg jpegpixels
expect_error 400 "pixels sent as a JPEG" "element 0: not a JPEG"
post_body "$jp_URL" inception_graphdef_jpeg jpegfew
expect_error 400 "a shape of two JPEGs with one sent" "element 1: no 4-byte length"
post_body "$jp_URL" inception_graphdef_jpeg jpegmany
expect_error 400 "two JPEGs for a shape of one" "bytes after the 1 elements of the shape"
# ---- a JPEG that does not decode, in a batch with good ones ----------------------------
# The front end passes a camera's JPEG on with its header checked only, so a
# truncated one reaches the device, which refuses the batch naming the element.
# That frame alone fails; the two good frames of its batch go back to the queue and
# are served; the device stays up (a bad image is no fault of the device).
cat >"$SCRATCH/jpeg1.json" <<EOF2
{"name": "jpeg1", "profiles": "$PWD/profiles",
 "devices": [{"name": "nx-jpeg", "kind": "xavier-nx", "wire": "jpeg"}]}
EOF2
head -c 4000 tests/live/fixtures/street.jpg >"$SCRATCH/cut.jpg"
start_serve "$SCRATCH/serve1" --cluster "$SCRATCH/jpeg1.json" --emulate --mode prof \
	--policy transparent --keep-logs || finish
mkdir -p "$SCRATCH/ans1"
curl -s --max-time 60 -F "images=@tests/live/fixtures/camera.jpg" -F "images=@$SCRATCH/cut.jpg" \
	-F "images=@tests/live/fixtures/street.jpg" -F latency=10 \
	"http://127.0.0.1:$SERVE_PORT/inference" >"$SCRATCH/ans1/r.json"
read -r frames ok late failed expired rejected <<<"$(tally "$SCRATCH/ans1")"
check "the two good frames served, the cut one failed ($frames: $ok ok, $late late, $failed failed)" \
	test "$frames" = 3 -a $((ok + late)) = 2 -a "$failed" = 1
check "  the cut one is the second, refused by the device" \
	test "$(jq -r '.results[1].state + ": " + (.results[1].reason // "")' "$SCRATCH/ans1/r.json")" = \
	"failed: the device refused its image (the event log says why)"
check "  the device stays up ($(status_of nx-jpeg))" test "$(status_of nx-jpeg)" = up
curl -s "http://127.0.0.1:$SERVE_PORT/status" >"$SCRATCH/status1.json"
check "  its batch counted failed, none of the device's failures" \
	test "$(jq -r '.devices[0] | "\(.last_error // "")"' "$SCRATCH/status1.json")" = ""
kill -INT "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
check "  the log says which frame and why" \
	grep -q "frame [0-9]* refused (HTTP 400: .*element 1: the JPEG does not decode" \
	"$SCRATCH/serve1.out" "$SCRATCH/serve1.err"

finish
