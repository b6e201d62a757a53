#!/usr/bin/env bash
# What an agent exposes, and on what terms. Beyond loopback it wants a token
# file and TLS (or --plain-http), checked before it binds anything. The
# addresses beyond loopback used here are documentation ones (192.0.2.1,
# 2001:db8::1) that no interface of this host has, so even an agent that
# failed to refuse them could not bind them: nothing here listens beyond
# 127.0.0.0/8. With --require-token (what
# listening beyond loopback implies) every endpoint but /healthz needs the
# token: telemetry (/telemetry and /metrics), the clocks, KServe inference and shared memory included;
# on loopback without it, today's rules hold. A token file that group or
# others may read is refused. Every bad argument exits 2 with one line
# naming it, --listen included.
. "$(dirname "$0")/lib.sh"

echo "s3cret-token" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
AUTH=(-H "Authorization: Bearer s3cret-token")

# args_fail WHAT NEEDLE ARGS...: the agent refuses ARGS with exit 2 and NEEDLE on stderr.
args_fail() {
	local what=$1 needle=$2 rc=0
	shift 2
	timeout 20 "$LOUDVA_AGENT" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
	check "$what: exit 2 (rc $rc: $(head -c 300 "$SCRATCH/err"))" test "$rc" = 2
	check "$what: one line naming it" grep -qF -- "$needle" "$SCRATCH/err"
	check "$what: nothing on stdout" test ! -s "$SCRATCH/out"
}

# ---- 1. bad arguments: exit 2, every one --------------------------------------------
args_fail "--listen :18110" "--listen: ':18110': no address before the port" --emulate nano --listen :18110
args_fail "--listen without a port" "--listen: 'nowhere': expected ADDR:PORT" --listen nowhere
args_fail "--listen with port 99999" "the port must be 0 to 65535" --listen 127.0.0.1:99999
args_fail "--listen [::1 unclosed" "expected [IPV6]:PORT" --listen '[::1:5000'
args_fail "an unknown option" "unknown or incomplete option '--frobnicate'" --frobnicate
args_fail "a missing option argument" "unknown or incomplete option '--listen'" --listen
args_fail "a stray argument" "'extra': unexpected" --emulate nano --listen 127.0.0.1:0 extra
args_fail "--max-connections-per-client 0" "--max-connections-per-client: '0'" \
	--max-connections-per-client 0
args_fail "--require-token without a token" "--require-token: '': needs --token-file" \
	--require-token --emulate nano --listen 127.0.0.1:0 --duration 3
args_fail "--timeout 0" "--timeout: '0'" --timeout 0

# ---- 2. beyond loopback: a token and TLS, or nothing is bound -------------------------
args_fail "192.0.2.1 without a token file" "beyond loopback, the agent needs --token-file" \
	--emulate nano --listen 192.0.2.1:5000
args_fail "192.0.2.1 with a token, without TLS" "give --tls-cert FILE --tls-key FILE" \
	--emulate nano --listen 192.0.2.1:5000 --token-file "$SCRATCH/token"
args_fail "[2001:db8::1] without a token file" "beyond loopback" --emulate nano \
	--listen '[2001:db8::1]:5000'

# ---- 3. token files that others may read are refused --------------------------------
for mode in 644 640 604 660; do
	cp "$SCRATCH/token" "$SCRATCH/token-$mode"
	chmod "$mode" "$SCRATCH/token-$mode"
	args_fail "a token file of mode 0$mode" "--token-file $SCRATCH/token-$mode: mode 0$mode" \
		--emulate nano --token-file "$SCRATCH/token-$mode" --listen 127.0.0.1:0 --duration 3
done
args_fail "a token file that is a device" "--token-file /dev/zero: not a regular file" \
	--emulate nano --token-file /dev/zero --listen 127.0.0.1:0 --duration 3
head -c 5000 /dev/zero | tr '\0' x >"$SCRATCH/token-big"
chmod 600 "$SCRATCH/token-big"
args_fail "a token file of 5000 bytes" "5000 bytes, more than" --emulate nano \
	--token-file "$SCRATCH/token-big" --listen 127.0.0.1:0 --duration 3

# ---- 4. --require-token: the token for everything but /healthz ------------------------
start_agent R --emulate agx-xavier --token-file "$SCRATCH/token" --require-token
check "the log says what needs the token" grep -q "the token is needed for all but /healthz" "$SCRATCH/R.log"
req GET "$R_URL/healthz"
expect 200 "/healthz needs no token" '.status == "ok" and .token_configured'
make_bin "$SCRATCH/b1.bin" 1
for ep in /telemetry /metrics /gpu/frequencies /gpu/frequency /v2 /v2/health/live /v2/health/ready \
	/v2/models/inception_graphdef /v2/models/inception_graphdef/ready \
	/v2/systemsharedmemory/status; do
	req GET "$R_URL$ep"
	expect_error 401 "GET $ep without the token" "missing bearer token"
	req GET "$R_URL$ep" "${AUTH[@]}"
	expect 200 "GET $ep with the token"
done
req GET "$R_URL/telemetry" -H "Authorization: Bearer s3cret-tokeX"
expect_error 401 "a wrong token" "wrong bearer token"
infer "$R_URL" "$SCRATCH/b1.bin"
expect_error 401 "an infer without the token" "missing bearer token"
check "  which closes the connection (its body was not read)" test "$(header Connection)" = close
infer "$R_URL" "$SCRATCH/b1.bin" "${AUTH[@]}"
expect 200 "an infer with the token"
req POST "$R_URL/v2/systemsharedmemory/region/r0/register" -d '{"key": "/nope", "byte_size": 4}'
expect_error 401 "a shared memory registration without the token" "missing bearer token"
req POST "$R_URL/v2/systemsharedmemory/unregister"
expect_error 401 "unregistering all without the token" "missing bearer token"
req GET "$R_URL/nope"
expect_error 404 "an unknown path is still 404" "no such endpoint"

# ---- 5. on loopback without --require-token: as before --------------------------------
start_agent L --emulate agx-xavier --token-file "$SCRATCH/token"
req GET "$L_URL/telemetry"
expect 200 "loopback: telemetry needs no token"
req GET "$L_URL/metrics"
expect 200 "loopback: /metrics needs no token either"
infer "$L_URL" "$SCRATCH/b1.bin"
expect 200 "loopback: inference needs no token"
req PUT "$L_URL/gpu/frequency" -d '{"hz": 1377000000}'
expect_error 401 "loopback: a clock change still needs it" "missing bearer token"
finish
