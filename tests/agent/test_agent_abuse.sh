#!/usr/bin/env bash
# The agent against clients that do not play fair, on loopback: pipelined
# requests on one connection (all answered, in order, also behind a 401 or a
# 404); a flood of idle connections from another loopback address
# (127.0.0.2), which must not stop /healthz from answering within the
# controller's probe time-out (1 s) nor take more than
# --max-connections-per-client of the agent's connections; and KServe
# requests that claim a batch they do not carry (the 122-byte request that
# once booked 64 Inception frames), each refused 400 with the reason while
# honest ones are still served.
. "$(dirname "$0")/lib.sh"

echo "s3cret-token" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
start_agent A --emulate agx-xavier --token-file "$SCRATCH/token"
PORT=${A_URL##*:}

# raw PORT HEX-REQUESTS [FROM]: writes the requests in one write on one
# connection (from address FROM), reads until the server closes or 2 s of
# quiet; prints the status codes of the answers, one line.
raw() {
	python3 - "$@" <<'EOF'
import re, socket, sys
port, data = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
s = socket.socket()
if len(sys.argv) > 3:
    s.bind((sys.argv[3], 0))
s.settimeout(2)
s.connect(("127.0.0.1", port))
s.sendall(data)
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except socket.timeout:
    pass
print(" ".join(c.decode() for c in re.findall(rb"HTTP/1\.1 (\d{3}) ", got)))
EOF
}
hex() { printf '%b' "$1" | od -An -v -tx1 | tr -d ' \n'; }
GET_H='GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'

# ---- 1. pipelining: three requests in one write, three answers -----------------------
got=$(raw "$PORT" "$(hex "$GET_H$GET_H$GET_H")")
check "three pipelined GET /healthz: three answers ($got)" test "$got" = "200 200 200"
got=$(raw "$PORT" "$(hex "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n$GET_H$GET_H")")
check "a 404 first, then two GETs: three answers ($got)" test "$got" = "404 200 200"
got=$(raw "$PORT" "$(hex "DELETE /gpu/frequency HTTP/1.1\r\nHost: a\r\n\r\n$GET_H${GET_H/healthz/telemetry}")")
check "a 401 (no token) first, then two GETs: three answers ($got)" test "$got" = "401 200 200"
got=$(raw "$PORT" "$(hex "GET /telemetry HTTP/1.1\r\nHost: a\r\n\r\nGET /gpu/frequency HTTP/1.1\r\nHost: a\r\n\r\n$GET_H")")
check "telemetry, frequency, healthz pipelined ($got)" test "$got" = "200 200 200"

# ---- 2. an idle-connection flood from 127.0.0.2 ---------------------------------------
# 100 connections that never send a byte, held open by a helper while /healthz is asked.
python3 - "$PORT" "$SCRATCH/flood" <<'EOF' &
import os, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(100):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        pass
time.sleep(1.0)  # let the agent take them in (or refuse them)
held = 0
for s in socks:  # refused ones read as closed at once; held ones time out
    s.settimeout(0.05)
    try:
        if s.recv(1) == b"":
            continue
    except socket.timeout:
        held += 1
    except OSError:
        continue
with open(out + ".tmp", "w") as f:
    f.write("%d %d\n" % (len(socks), held))
os.rename(out + ".tmp", out)
for _ in range(100):  # hold them until the test is done (at most 20 s)
    if os.path.exists(out + ".done"):
        break
    time.sleep(0.2)
EOF
flood=$!
for _ in $(seq 1 100); do
	[ -s "$SCRATCH/flood" ] && break
	sleep 0.1
done
read -r opened held <"$SCRATCH/flood"
echo "flood from 127.0.0.2: $opened connected, $held held by the agent"
code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$A_URL/healthz")
check "/healthz from 127.0.0.1 answers within 1 s under the flood (HTTP $code)" test "$code" = 200
check "the flood holds at most 32 connections (--max-connections-per-client) ($held)" test "$held" -le 32
check "  and it did hold some (the limit is per client, not a refusal of all) ($held)" test "$held" -ge 1
req GET "$A_URL/telemetry"
expect 200 "telemetry under the flood"
touch "$SCRATCH/flood.done"
wait "$flood"

# ---- 3. batches the request does not carry --------------------------------------------
INFER=$A_URL/v2/models/inception_graphdef/infer
jpost() { req POST "$INFER" -H 'Content-Type: application/json' --data-binary "$1"; }
B122='{"inputs":[{"name":"input","datatype":"FP32","shape":[64,299,299,3],"d\u0061ta":{"lv_count":17164992,"lv_numbers":true}}]}'
check "the request is 122 bytes" test "${#B122}" = 122
jpost "$B122"
expect_error 400 "the 122-byte request booking 64 frames" '\"data\" must be an array, not an object'
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[64,299,299,3],"data":{"lv_skim":0}}]}'
expect_error 400 "a forged skim reference" "must be an array"
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[64,299,299,3],"\u0064\u0061\u0074\u0061":{"lv_skim":0}}]}'
expect_error 400 "an all-escaped data key with an object" "must be an array"
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"d\u0061ta":[1,2,3]}]}'
expect_error 400 "an escaped data key's array is counted (3 numbers)" "unexpected number of elements 3 for input 'input', expecting 268203"
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,299,299,3],"data\u0000x":[1,2]}]}'
expect_error 400 "a key ending in \\u0000 is data to cJSON, and counted" "unexpected number of elements 2"
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[64,299,299,3],"parameters":{"binary_data_size":1e300}}]}'
expect_error 400 "binary_data_size 1e300" "binary_data_size must be a byte count"
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[64,299,299,3],"parameters":{"binary_data_size":68659968}}]}'
expect_error 400 "binary_data_size right for 64 frames, no bytes sent" "the body carries 0 bytes of binary tensor data"
make_bin "$SCRATCH/lie.bin" 64 4 68659968
infer "$A_URL" "$SCRATCH/lie.bin"
expect_error 400 "a binary header for 64 frames and 4 bytes" "the body carries 4 bytes"
jpost '{"inputs":[{"name":"input","datatype":"FP32","shape":[64,299,299,3],"parameters":{"shared_memory_region":"r","shared_memory_byte_size":68659968}}]}'
expect_error 400 "shared memory that was never registered" "Unable to find system shared memory region: 'r'"
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,299,299,3],\"parameters\":{\"pad\":["
	for (i = 0; i < 400000; i++) printf (i ? ",0" : "0"); printf "]}}]}" }' >"$SCRATCH/pad.json"
req POST "$INFER" --data-binary "@$SCRATCH/pad.json"
expect_error 400 "800 KB of numbers outside \"data\" with no tensor" "no tensor data"
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,299,299,3],\"parameters\":{\"pad\":["
	for (i = 0; i < 700000; i++) printf (i ? ",0" : "0"); printf "]}}]}" }' >"$SCRATCH/pad2.json"
req POST "$INFER" --data-binary "@$SCRATCH/pad2.json"
expect_error 400 "1.4 MB of JSON outside the tensors' data" "besides its tensors' \\\"data\\\" arrays, over the limit"
check "no batch was run for any of them" test "$(jget "$A_URL/telemetry" .inflight_batches)" = 0
make_bin "$SCRATCH/b2.bin" 2
infer "$A_URL" "$SCRATCH/b2.bin"
expect 200 "an honest binary request of 2 frames is served"
check "  with 2 frames' outputs" bash -c "head -c $(header Inference-Header-Content-Length) '$SCRATCH/body' | jq -e '.outputs[0].shape == [2,1001]'"
req GET "$A_URL/healthz"
expect 200 "the agent is fine after all that"
stop_agent A TERM
check "SIGTERM: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$SCRATCH/A.stderr'"
finish
