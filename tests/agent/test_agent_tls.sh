#!/usr/bin/env bash
# The agent API over TLS, as a site set up by the playbooks runs it: a site
# CA and a certificate for 127.0.0.1 made here with openssl, an agent started
# with --tls-cert/--tls-key and a token, and `loudva serve --cluster` on a
# cluster file naming the agent's https:// URL and the CA. Frames are served
# through it and the clock is released over TLS at the end. An agent whose
# certificate another CA signed is refused: the device goes down with the
# reason in /status and in the controller's log, and frames are not sent to
# it. Bad certificate and key files stop the agent with exit 2 naming them.
. "$(dirname "$0")/lib.sh"
LOUDVA=${LOUDVA:-build/san/loudva}
. "$(dirname "$0")/../live/lib.sh"

if ! command -v openssl >/dev/null; then
	fail "openssl is not installed (Debian package openssl)"
	finish
fi
make_ca site
make_cert nx site
make_ca rogue
make_cert evil rogue
PKI=$SCRATCH/pki
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SCRATCH/agent.token"
chmod 600 "$SCRATCH/agent.token"
TOKEN=$(cat "$SCRATCH/agent.token")

# ---- 1. the agent speaks HTTPS with its certificate, and only that -----------------
start_agent nx --emulate xavier-nx --token-file "$SCRATCH/agent.token" \
	--tls-cert "$PKI/nx.pem" --tls-key "$PKI/nx.key"
tls_url nx
check "the log says HTTPS" grep -q "HTTPS" "$SCRATCH/nx.log"
req GET "$nx_URL/healthz" --cacert "$PKI/site.pem"
expect 200 "/healthz over HTTPS, verified against the site CA" '.status == "ok"'
req GET "$nx_URL/gpu/frequency" --cacert "$PKI/site.pem" -H "Authorization: Bearer $TOKEN"
expect 200 "GET /gpu/frequency over HTTPS with the token" '.pinned | not'
rc=0
curl -s -o /dev/null --cacert "$PKI/rogue.pem" "$nx_URL/healthz" || rc=$?
check "a client trusting another CA refuses the agent (curl rc $rc, 60 = peer not verified)" test "$rc" = 60
rc=0
curl -s -o /dev/null -m 10 "http://127.0.0.1:${nx_URL##*:}/healthz" || rc=$?
check "plain HTTP to the TLS port gets no answer (curl rc $rc)" test "$rc" != 0

# ---- 2. the controller drives it over TLS ----------------------------------------
cat >"$SCRATCH/lab.json" <<EOF
{"name": "lab", "profiles": "$PWD/profiles", "token_file": "agent.token", "ca": "pki/site.pem",
 "devices": [{"name": "nx-00", "kind": "xavier-nx", "agent": "$nx_URL", "triton": "$nx_URL"}]}
EOF
pinned() { curl -s --cacert "$PKI/site.pem" -H "Authorization: Bearer $TOKEN" "$nx_URL/gpu/frequency" | jq -r .pinned; }
start_serve "$SCRATCH/serve" --cluster "$SCRATCH/lab.json" --mode prof --json
printf 'Time,Frames After Filter,Camera Index,latency_constraint\n0,2,0,10\n0.2,2,1,10\n' >"$SCRATCH/t.csv"
"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "http://127.0.0.1:$SERVE_PORT" \
	--images tests/live/fixtures --json >"$SCRATCH/load.json" 2>"$SCRATCH/load.err"
cat "$SCRATCH/load.json"
check "every frame answered over TLS ($(tail -2 "$SCRATCH/load.err"))" \
	jq -e '.frames_answered == 4 and .frames_unanswered == 0' "$SCRATCH/load.json"
check "and served (ok or late), none failed" \
	jq -e '.by_state.failed == 0 and .by_state.ok + .by_state.late == 4' "$SCRATCH/load.json"
check "nx-00 is up" test "$(status_of nx-00)" = up
check "the controller pinned the clock (PUT over TLS with the token)" test "$(pinned)" = true
kill -INT "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
check "serve exits 0 on SIGINT (got $rc)" test "$rc" -eq 0
check "the clock was released over TLS" test "$(pinned)" = false
check "the agent saw no request without the token but /healthz" \
	bash -c "! grep -E 'GET /(telemetry|v2)[^ ]* -> 401' '$SCRATCH/nx.log'"

# ---- 2b. the profiler over TLS: the cluster's CA, the token also on the agent's own /v2 ----
F=$(jq -r '.freqs_hz[0]' profiles/xavier-nx.json)
"$LOUDVA" profile run --cluster "$SCRATCH/lab.json" --device nx-00 --freqs "$F" --batches 1 \
	--requests 1 --out "$SCRATCH/prof.json" >"$SCRATCH/prof.out" 2>"$SCRATCH/prof.err"
rc=$?
check "profile run verifies the agent against the cluster's CA and measures it (rc $rc: $(tail -2 "$SCRATCH/prof.err"))" \
	test "$rc" -eq 0
check "its profile has the point it measured" jq -e '.points | length >= 1' "$SCRATCH/prof.json"
check "and it gave the clock back" test "$(pinned)" = false

# ---- 3. an agent with another CA's certificate is refused -------------------------
start_agent evil --emulate xavier-nx --token-file "$SCRATCH/agent.token" \
	--tls-cert "$PKI/evil.pem" --tls-key "$PKI/evil.key"
tls_url evil
cat >"$SCRATCH/rogue.json" <<EOF
{"name": "lab", "profiles": "$PWD/profiles", "token_file": "agent.token", "ca": "pki/site.pem",
 "devices": [{"name": "evil-00", "kind": "xavier-nx", "agent": "$evil_URL", "triton": "$evil_URL"}]}
EOF
start_serve "$SCRATCH/serve2" --cluster "$SCRATCH/rogue.json" --mode prof --json
check "evil-00 goes down" wait_state evil-00 down 30
err=$(curl -s "http://127.0.0.1:$SERVE_PORT/status" | jq -r '.devices[] | select(.name == "evil-00") | .last_error')
echo "evil-00 in /status: $err"
check "its error in /status says why ($err)" grep -qi "certificate" <<<"$err"
grep -i "evil-00" "$SCRATCH/serve2.err" | head -3
check "the controller's log says it went down and why" grep -qiE "evil-00.*down.*certificate" "$SCRATCH/serve2.err"
printf 'Time,Frames After Filter,Camera Index,latency_constraint\n0,1,0,2\n' >"$SCRATCH/t1.csv"
"$LOUDVA" load --trace "$SCRATCH/t1.csv" --url "http://127.0.0.1:$SERVE_PORT" \
	--images tests/live/fixtures --json >"$SCRATCH/load2.json" 2>"$SCRATCH/load2.err"
check "a frame posted meanwhile is answered, and not served ($(cat "$SCRATCH/load2.json"))" \
	jq -e '.frames_answered == 1 and .by_state.ok == 0 and .by_state.late == 0' "$SCRATCH/load2.json"
kill -INT "$SERVE_PID"
wait "$SERVE_PID"
check "the rogue agent never saw an HTTP request (the handshake failed first)" \
	bash -c "! grep -qE 'GET|PUT|POST' '$SCRATCH/evil.log'"

# ---- 4. bad certificate and key files: exit 2, naming the file ---------------------
bad_tls() { # WHAT NEEDLE ARGS...
	local what=$1 needle=$2 rc=0
	shift 2
	"$LOUDVA_AGENT" --emulate nano --listen 127.0.0.1:0 --duration 5 "$@" >/dev/null 2>"$SCRATCH/err" || rc=$?
	check "$what: exit 2 (rc $rc)" test "$rc" = 2
	check "$what: the message names it ($(head -c 300 "$SCRATCH/err"))" grep -qF -- "$needle" "$SCRATCH/err"
}
cp "$PKI/nx.key" "$SCRATCH/open.key"
chmod 644 "$SCRATCH/open.key"
bad_tls "a key readable by others" "--tls-key $SCRATCH/open.key: mode 0644" \
	--tls-cert "$PKI/nx.pem" --tls-key "$SCRATCH/open.key"
bad_tls "a missing certificate" "--tls-cert $SCRATCH/none.pem: cannot open" \
	--tls-cert "$SCRATCH/none.pem" --tls-key "$PKI/nx.key"
bad_tls "the key given as certificate" "--tls-cert $PKI/nx.key: a private key, not a certificate" \
	--tls-cert "$PKI/nx.key" --tls-key "$PKI/nx.key"
bad_tls "a certificate given as key" "--tls-key $PKI/evil.key" \
	--tls-cert "$PKI/nx.pem" --tls-key "$PKI/evil.key"
bad_tls "  (that one: the certificate and the key do not match)" "do not match" \
	--tls-cert "$PKI/nx.pem" --tls-key "$PKI/evil.key"
bad_tls "a certificate without a key" "--tls-cert and --tls-key go together" --tls-cert "$PKI/nx.pem"
bad_tls "not PEM" "no PEM certificate" --tls-cert "$PKI/nx.ext" --tls-key "$PKI/nx.key"
bad_tls "a directory" "not a regular file" --tls-cert "$PKI" --tls-key "$PKI/nx.key"
bad_tls "TLS and --plain-http" "--plain-http" --plain-http --tls-cert "$PKI/nx.pem" --tls-key "$PKI/nx.key"

# ---- 5. a cluster file's CA must be there and meant for https:// ------------------
sed 's|"pki/site.pem"|"pki/nothere.pem"|' "$SCRATCH/lab.json" >"$SCRATCH/noca.json"
rc=0
"$LOUDVA" serve --cluster "$SCRATCH/noca.json" --listen 127.0.0.1:0 --duration 1 >/dev/null 2>"$SCRATCH/err" || rc=$?
check "a missing CA file stops serve (rc $rc) naming it ($(head -c 200 "$SCRATCH/err"))" \
	grep -q "noca.json: ca: .*nothere.pem" "$SCRATCH/err"
check "serve's exit status is not 0" test "$rc" != 0
finish
