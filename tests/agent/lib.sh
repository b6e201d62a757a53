# Helpers for the agent scripts: start real loudva-agent processes on free
# loopback ports and drive them over HTTP with curl. Source it; run from the
# repo root. Every agent started here is killed on exit if the test did not
# stop it itself.
set -u
LOUDVA_AGENT=${LOUDVA_AGENT:-build/san/loudva-agent}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/loudva-agent-XXXXXX")
AGENT_PIDS=()
FAILS=0

cleanup() {
	local p
	for p in "${AGENT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	local what=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		fail "$what"
	fi
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}

# start_agent NAME ARGS...: starts the agent on port 0 (it picks a free one
# and writes it to a file), waits until it listens, and sets NAME_PID and
# NAME_URL. Its log goes to $SCRATCH/NAME.log.
start_agent() {
	local name=$1 pf pid i
	shift
	pf=$SCRATCH/$name.port
	rm -f "$pf" # a name used again: its last agent's port is not this one's
	"$LOUDVA_AGENT" --listen 127.0.0.1:0 --port-file "$pf" --log "$SCRATCH/$name.log" "$@" \
		2>>"$SCRATCH/$name.stderr" &
	pid=$!
	AGENT_PIDS+=("$pid")
	for i in $(seq 1 600); do
		[ -s "$pf" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$pf" ]; then
		echo "agent $name did not start:" >&2
		cat "$SCRATCH/$name.log" "$SCRATCH/$name.stderr" >&2
		exit 1
	fi
	printf -v "${name}_PID" '%s' "$pid"
	printf -v "${name}_URL" 'http://127.0.0.1:%s' "$(cat "$pf")"
}

# make_ca NAME: a CA (NAME.pem, NAME.key in $SCRATCH/pki) made with openssl.
make_ca() {
	mkdir -p "$SCRATCH/pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$SCRATCH/pki/$1.key" -out "$SCRATCH/pki/$1.pem" 2>/dev/null ||
		{ echo "openssl cannot make a CA (Debian package openssl)" >&2; exit 1; }
}

# make_cert NAME CA: a server certificate for 127.0.0.1 signed by CA (NAME.pem,
# NAME.key with mode 0600, in $SCRATCH/pki).
make_cert() {
	local d=$SCRATCH/pki
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/$1.ext" &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" -CAkey "$d/$2.key" -CAcreateserial \
			-days 2 -extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null ||
		{ echo "openssl cannot make a certificate" >&2; exit 1; }
	chmod 600 "$d/$1.key"
}

# tls_url NAME: switches NAME_URL to https:// (an agent started with --tls-cert).
tls_url() {
	local v=${1}_URL
	printf -v "$v" '%s' "${!v/http:/https:}"
}

# stop_agent NAME SIGNAL: signals the agent and waits; sets STOP_RC.
stop_agent() {
	local pid_var=${1}_PID
	kill "-$2" "${!pid_var}"
	STOP_RC=0
	wait "${!pid_var}" || STOP_RC=$?
}

# req METHOD URL [CURL ARGS...]: sets CODE; body in $SCRATCH/body, headers in $SCRATCH/headers.
req() {
	local m=$1 u=$2
	shift 2
	CODE=$(curl -s -o "$SCRATCH/body" -D "$SCRATCH/headers" -w '%{http_code}' -X "$m" "$@" "$u")
}

body() { head -c 400 "$SCRATCH/body"; }

# expect STATUS WHAT [JQ-FILTER]: the last response had STATUS (and the body satisfies the filter).
expect() {
	local want=$1 what=$2
	if [ "$CODE" != "$want" ]; then
		fail "$what: status $CODE, want $want: $(body)"
		return
	fi
	if [ $# -ge 3 ] && ! jq -e "$3" "$SCRATCH/body" >/dev/null 2>&1; then
		fail "$what: body fails $3: $(body)"
	fi
}

# expect_error STATUS WHAT NEEDLE: an {"error": "..."} containing NEEDLE.
expect_error() {
	expect "$1" "$2" "(.error | type == \"string\") and (.error | contains(\"$3\"))"
}

# json GET URL FILTER: prints the filter's value of a GET (raw).
jget() {
	curl -s "$1" | jq -r "$2"
}

# await URL FILTER VALUE [PAUSE]: polls GET URL until FILTER gives VALUE (200 tries, PAUSE
# seconds apart [0.02]). The caller checks the value afterwards.
await() {
	for _ in $(seq 1 200); do
		[ "$(jget "$1" "$2")" = "$3" ] && return 0
		sleep "${4:-0.02}"
	done
	return 1
}

header() {
	tr -d '\r' <"$SCRATCH/headers" | sed -n "s/^$1: //Ip" | tail -1
}

IMAGE_BYTES=$((299 * 299 * 3 * 4))
OUT_NAME="InceptionV3/Predictions/Softmax"

# make_bin FILE BATCH [BINARY_BYTES [DECLARED_BYTES [TAIL]]]: a binary infer
# body (JSON header + zero bytes); TAIL follows "inputs" in the header
# (default: the output asked for as binary). Sets HL to the header's length.
make_bin() {
	local file=$1 b=$2
	local bytes=${3:-$((b * IMAGE_BYTES))} decl=${4:-$((b * IMAGE_BYTES))}
	local tail=${5:-",\"outputs\":[{\"name\":\"$OUT_NAME\",\"parameters\":{\"binary_data\":true}}]"}
	local h="{\"id\":\"req-$b\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[$b,299,299,3],\"parameters\":{\"binary_data_size\":$decl}}]$tail}"
	printf '%s' "$h" >"$file"
	head -c "$bytes" /dev/zero >>"$file"
	HL=${#h}
}

# infer URL FILE [CURL ARGS...]: posts a binary body made by make_bin.
infer() {
	local u=$1 f=$2
	shift 2
	req POST "$u/v2/models/inception_graphdef/infer" -H "Inference-Header-Content-Length: $HL" \
		-H 'Content-Type: application/octet-stream' --data-binary "@$f" "$@"
}

# The JSON part of a binary response.
resp_json() {
	head -c "$(header Inference-Header-Content-Length)" "$SCRATCH/body"
}
