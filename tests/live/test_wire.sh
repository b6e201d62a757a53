#!/usr/bin/env bash
# The three wire formats end to end (issue 19): an embedded cluster of three
# emulated Xavier NX, one per "wire" — fp32 tensors, uint8 pixels, the
# camera's JPEG — each agent emulating the model's ensemble for its format
# (model_repository/), so it checks the datatype, shape and byte counts and
# decodes every JPEG. JPEG and PNG frames are posted; every frame must be
# served, on every device. Then the controller's refusal of a cluster file
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
# Nine requests of two frames, one after the other: round_robin spreads them.
mkdir -p "$SCRATCH/ans"
for r in $(seq 1 9); do
	curl -s --max-time 60 -F "images=@$SCRATCH/img/a.jpg" -F "images=@tests/live/fixtures/street.jpg" \
		-F latency=10 "http://127.0.0.1:$SERVE_PORT/inference" >"$SCRATCH/ans/r$r.json"
done
read -r frames ok late failed expired rejected <<<"$(tally "$SCRATCH/ans")"
check "every frame done ($frames frames: $ok ok, $late late, $failed failed: $(cat "$SCRATCH/ans"/*.json | jq -r '.results[]?.reason // empty' | sort -u | head -3))" \
	test "$frames" = 18 -a $((ok + late)) = 18
for d in nx-fp32 nx-uint8 nx-jpeg; do
	n=$(cat "$SCRATCH/ans"/*.json | jq -s --arg d "$d" '[.[].results[] | select(.device == $d)] | length')
	check "$d served frames ($n)" test "$n" -gt 0
done
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
# body OUT DATATYPE SHAPE DECLARED PAYLOAD-FILE: a KServe binary body; prints the header length.
body() {
	python3 - "$@" <<'PY'
import json, sys
out, dt, shape, declared, payload = sys.argv[1:]
data = open(payload, "rb").read()
hdr = json.dumps({"inputs": [{"name": "image", "datatype": dt, "shape": json.loads(shape),
                              "parameters": {"binary_data_size": int(declared)}}],
                  "outputs": [{"name": "InceptionV3/Predictions/Softmax",
                               "parameters": {"binary_data": True}}]}).encode()
open(out, "wb").write(hdr + data)
print(len(hdr))
PY
}
# bytes_of OUT FILE...: KServe BYTES elements (4-byte little-endian length, then the bytes).
bytes_of() {
	python3 -c 'import struct, sys
out = b"".join(struct.pack("<I", len(d)) + d for d in (open(f, "rb").read() for f in sys.argv[2:]))
open(sys.argv[1], "wb").write(out)' "$@"
}
post_body() { # URL MODEL FILE HDRLEN
	req POST "$1/v2/models/$2/infer" -H "Inference-Header-Content-Length: $4" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$3"
}
head -c $((2 * 299 * 299 * 3)) /dev/urandom >"$SCRATCH/px2"
hl=$(body "$SCRATCH/u8.bin" UINT8 '[2,299,299,3]' $((2 * 299 * 299 * 3)) "$SCRATCH/px2")
post_body "$u8_URL" inception_graphdef_uint8 "$SCRATCH/u8.bin" "$hl"
expect 200 "uint8 pixels, b=2"
head -c $((2 * 299 * 299 * 3 - 1)) "$SCRATCH/px2" >"$SCRATCH/px2short"
hl=$(body "$SCRATCH/u8s.bin" UINT8 '[2,299,299,3]' $((2 * 299 * 299 * 3 - 1)) "$SCRATCH/px2short")
post_body "$u8_URL" inception_graphdef_uint8 "$SCRATCH/u8s.bin" "$hl"
expect_error 400 "a uint8 body a byte short" "unexpected total byte size 536405 for input 'image', expecting 536406"
hl=$(body "$SCRATCH/u8f.bin" FP32 '[2,299,299,3]' $((2 * 299 * 299 * 3)) "$SCRATCH/px2")
post_body "$u8_URL" inception_graphdef_uint8 "$SCRATCH/u8f.bin" "$hl"
expect_error 400 "FP32 to the uint8 ensemble" "data-type is 'FP32', but model 'inception_graphdef_uint8' expects 'UINT8'"

bytes_of "$SCRATCH/j2" tests/live/fixtures/camera.jpg tests/live/fixtures/street.jpg
hl=$(body "$SCRATCH/j.bin" BYTES '[2,1]' "$(stat -c %s "$SCRATCH/j2")" "$SCRATCH/j2")
post_body "$jp_URL" inception_graphdef_jpeg "$SCRATCH/j.bin" "$hl"
expect 200 "two JPEGs, b=2"
head -c 4000 tests/live/fixtures/camera.jpg >"$SCRATCH/cut.jpg"
bytes_of "$SCRATCH/jc" tests/live/fixtures/street.jpg "$SCRATCH/cut.jpg"
hl=$(body "$SCRATCH/jc.bin" BYTES '[2,1]' "$(stat -c %s "$SCRATCH/jc")" "$SCRATCH/jc")
post_body "$jp_URL" inception_graphdef_jpeg "$SCRATCH/jc.bin" "$hl"
expect_error 400 "a truncated JPEG" "input 'image' of model 'inception_graphdef_jpeg': element 1: the JPEG does not decode"
bytes_of "$SCRATCH/jn" "$SCRATCH/px2short"
hl=$(body "$SCRATCH/jn.bin" BYTES '[1,1]' "$(stat -c %s "$SCRATCH/jn")" "$SCRATCH/jn")
post_body "$jp_URL" inception_graphdef_jpeg "$SCRATCH/jn.bin" "$hl"
expect_error 400 "pixels sent as a JPEG" "element 0: not a JPEG"
bytes_of "$SCRATCH/j1" tests/live/fixtures/camera.jpg
hl=$(body "$SCRATCH/j3.bin" BYTES '[2,1]' "$(stat -c %s "$SCRATCH/j1")" "$SCRATCH/j1")
post_body "$jp_URL" inception_graphdef_jpeg "$SCRATCH/j3.bin" "$hl"
expect_error 400 "a shape of two JPEGs with one sent" "element 1: no 4-byte length"
hl=$(body "$SCRATCH/j4.bin" BYTES '[1,1]' "$(stat -c %s "$SCRATCH/j2")" "$SCRATCH/j2")
post_body "$jp_URL" inception_graphdef_jpeg "$SCRATCH/j4.bin" "$hl"
expect_error 400 "two JPEGs for a shape of one" "bytes after the 1 elements of the shape"
finish
