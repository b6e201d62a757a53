#!/usr/bin/env bash
# `loudva setup` as an operator runs it, against a real OpenSSH server that this
# script starts on a free loopback port (generated host and user keys, a fresh
# known_hosts). The shipped playbooks/agent.yml deploys and starts an emulated
# loudva-agent into the scratch directory, which then answers over HTTP; a
# second run changes nothing. With TLS asked for (as beyond loopback), it
# makes a site CA and the host's certificate on the controller, deploys them
# with the right modes and starts the agent on HTTPS, verified against that
# CA; a second run makes nothing new. Then the error cases: unknown and changed host
# keys, a closed port, a wrong key, a failing task, an unknown module.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/sshd.sh"

ROOT=$PWD
AGENT_BIN=$ROOT/${LOUDVA_AGENT_REL:-build/loudva-agent}
export HOME=$SCRATCH/home # no ~/.ssh of the machine's leaks into the test
mkdir -p "$HOME"
unset SSH_AUTH_SOCK SSH_AGENT_PID

cleanup() {
	for f in "$SCRATCH"/opt/loudva-agent.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "${AGENT_PID_SSH:-}" ] && kill "$AGENT_PID_SSH" 2>/dev/null
	[ -f "$SCRATCH/triton/pid" ] && kill "$(cat "$SCRATCH/triton/pid")" 2>/dev/null
	sshd_stop
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

if ! "$LOUDVA" setup --help >/dev/null 2>&1; then
	echo "FAIL: '$LOUDVA setup' does not run: is setup in console/main.c's command table?"
	exit 1
fi
sshd_start || { echo "cannot start sshd"; exit 1; }
KH=$SCRATCH/known_hosts
KEY=$SSHD_DIR/user_key

# setup ARGS...: runs loudva setup; stdout in $SCRATCH/out, stderr in $SCRATCH/err, status in $RC.
# A generous SSH timeout: a loaded machine must not turn a slow handshake into "unreachable".
setup() {
	RC=0
	"$LOUDVA" setup --timeout 60 "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
}

# recap HOST FIELD: the number after FIELD= in HOST's PLAY RECAP line.
recap() {
	sed -n "/^PLAY RECAP/,\$p" "$SCRATCH/out" | grep "^$1 " | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

expect_rc() {
	if [ "$RC" -ne "$1" ]; then
		fail "$2: exit $RC, want $1"
		sed 's/^/    | /' "$SCRATCH/out" "$SCRATCH/err" | tail -40 >&2
	fi
}

host_line() { # NAME [VARS...]
	local name=$1
	shift
	echo "$name ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=root $*"
}

# ---- 1. host keys: an unknown host is refused, then accepted with --accept-new
cat >"$SCRATCH/inv.ini" <<EOF
[jetsons]
$(host_line dev0 ansible_ssh_private_key_file="$KEY" jetson_kind=nano kind=nano)

[jetsons:vars]
ansible_ssh_common_args='-o UserKnownHostsFile=$KH -o StrictHostKeyChecking=yes'
EOF
setup -i "$SCRATCH/inv.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH"
expect_rc 4 "unknown host key"
check "unknown host: unreachable=1" test "$(recap dev0 unreachable)" = 1
check "unknown host: the refusal says why" grep -q "not in $KH" "$SCRATCH/out"
check "unknown host: known_hosts untouched" test ! -s "$KH"
check "unknown host: nothing ran" test ! -e "$SCRATCH/ping-dev0"

setup -i "$SCRATCH/inv.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH" --accept-new
expect_rc 0 "--accept-new"
check "--accept-new records the key" grep -q "127.0.0.1\]:$SSHD_PORT" "$KH"
check "--accept-new: ok=2 changed=1" test "$(recap dev0 ok)/$(recap dev0 changed)" = 2/1
setup -i "$SCRATCH/inv.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH"
expect_rc 0 "known host, second run"
check "idempotent ping: changed=0" test "$(recap dev0 changed)" = 0
check "recap is Ansible's format" grep -qE "^dev0 +: ok=2 +changed=0 +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=0" "$SCRATCH/out"

# ---- 2. the shipped agent.yml deploys an emulated agent that answers over HTTP
AGENT_PORT=$(free_port)
AGENT_VARS="loudva_agent_dir=$SCRATCH/opt loudva_etc_dir=$SCRATCH/etc loudva_service_manager=none"
AGENT_VARS+=" loudva_agent_install_from=binary loudva_agent_binary=$AGENT_BIN loudva_agent_emulate=true"
AGENT_VARS+=" loudva_agent_listen_addr=127.0.0.1 loudva_agent_port=$AGENT_PORT"
AGENT_VARS+=" loudva_token_file=$SCRATCH/controller/agent.token"
if [ ! -x "$AGENT_BIN" ]; then
	fail "the agent binary $AGENT_BIN is missing (make builds it)"
else
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$AGENT_VARS"
	expect_rc 0 "agent.yml, first run"
	cp "$SCRATCH/out" "$SCRATCH/agent-run1.txt"
	check "agent.yml: changes on the first run" test "$(recap dev0 changed)" -gt 3
	check "agent.yml: nothing failed" test "$(recap dev0 failed)/$(recap dev0 unreachable)" = 0/0
	check "agent answers /healthz" curl -sf "http://127.0.0.1:$AGENT_PORT/healthz"
	tok=$SCRATCH/controller/agent.token
	check "token: 64 hex digits made on the controller" grep -qxE '[0-9a-f]{64}' "$tok"
	check "token deployed with mode 0600" test "$(stat -c %a "$SCRATCH/etc/agent.token")" = 600
	check "token deployed unchanged" cmp -s "$tok" "$SCRATCH/etc/agent.token"
	check "the token never shows in the output" test "$(grep -c "$(cat "$tok")" "$SCRATCH/out")" = 0
	check "binary deployed" cmp -s "$AGENT_BIN" "$SCRATCH/opt/bin/loudva-agent"
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $(cat "$tok")" \
		-d '{"hz": 614400000}' "http://127.0.0.1:$AGENT_PORT/gpu/frequency")
	check "the deployed token authorises clock changes (HTTP $code)" test "$code" = 200

	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$AGENT_VARS"
	expect_rc 0 "agent.yml, second run"
	cp "$SCRATCH/out" "$SCRATCH/agent-run2.txt"
	check "agent.yml is idempotent: changed=0" test "$(recap dev0 changed)" = 0
	check "second run: agent still up" curl -sf "http://127.0.0.1:$AGENT_PORT/healthz"

	# --check reports a drifted file without touching it
	echo " " >>"$SCRATCH/opt/profiles/nano.json"
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$AGENT_VARS" --check
	expect_rc 0 "--check"
	check "--check: the drift shows as changed" test "$(recap dev0 changed)" -ge 1
	check "--check: the file is left alone" test "$(tail -c 2 "$SCRATCH/opt/profiles/nano.json")" = " "
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$AGENT_VARS"
	expect_rc 0 "repair run"
	check "repair run restores the profile" cmp -s profiles/nano.json "$SCRATCH/opt/profiles/nano.json"
	check "repair run restarts the agent (handler)" grep -q "RUNNING HANDLER \[Restart the agent (no service manager)\]" "$SCRATCH/out"
	check "agent answers after the restart" curl -sf "http://127.0.0.1:$AGENT_PORT/healthz"

	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$AGENT_VARS" --tags stop
	expect_rc 0 "--tags stop"
	check "--tags stop: one change" test "$(recap dev0 changed)" = 1
	check "--tags stop: the agent is gone" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$AGENT_PORT) 2>/dev/null"

	# ---- 2b. TLS: the site CA and the host's certificate, made and deployed
	PKI=$SCRATCH/controller/pki
	TLS_VARS="$AGENT_VARS loudva_agent_tls=true loudva_pki_dir=$PKI"
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$TLS_VARS"
	expect_rc 0 "agent.yml with TLS"
	cp "$SCRATCH/out" "$SCRATCH/agent-tls1.txt"
	check "TLS: the site CA made on the controller" openssl x509 -noout -in "$PKI/ca.pem"
	check "TLS: the CA's key is the controller's only (mode 0600)" test "$(stat -c %a "$PKI/ca.key")" = 600
	check "TLS: the CA's key is not on the host" bash -c "! grep -rl 'PRIVATE KEY' '$SCRATCH/etc' | grep -v agent.key"
	check "TLS: dev0's certificate is signed by the site CA" openssl verify -CAfile "$PKI/ca.pem" "$PKI/dev0.pem"
	check "TLS: and names 127.0.0.1 (its ansible_host)" bash -c "openssl x509 -noout -text -in '$PKI/dev0.pem' | grep -q 'IP Address:127.0.0.1'"
	check "TLS: certificate deployed (mode 0644)" test "$(stat -c %a "$SCRATCH/etc/agent.pem")" = 644
	check "TLS: key deployed (mode 0600)" test "$(stat -c %a "$SCRATCH/etc/agent.key")" = 600
	check "TLS: the CA deployed for clients on the host" cmp -s "$PKI/ca.pem" "$SCRATCH/etc/ca.pem"
	check "TLS: the key deployed unchanged" cmp -s "$PKI/dev0.key" "$SCRATCH/etc/agent.key"
	check "TLS: the key never shows in the output" \
		bash -c "! grep -qF '$(sed -n 2p "$PKI/dev0.key")' '$SCRATCH/out'"
	check "TLS: the agent answers HTTPS, verified against the site CA" \
		curl -sf --cacert "$PKI/ca.pem" "https://127.0.0.1:$AGENT_PORT/healthz"
	check "TLS: the agent was started with its certificate" \
		bash -c "tr '\\0' ' ' </proc/\$(cat '$SCRATCH/opt/loudva-agent.pid')/cmdline | grep -q -- '--tls-cert $SCRATCH/etc/agent.pem --tls-key $SCRATCH/etc/agent.key'"
	rc=0
	curl -s -o /dev/null -m 10 "http://127.0.0.1:$AGENT_PORT/healthz" || rc=$?
	check "TLS: plain HTTP gets no answer (curl rc $rc)" test "$rc" != 0
	CLOCK_VARS="loudva_etc_dir=$SCRATCH/etc loudva_agent_port=$AGENT_PORT loudva_agent_tls=true"
	setup -i "$SCRATCH/inv.ini" playbooks/clocks.yml --tags gpu -e "$CLOCK_VARS gpu_clock_hz=614400000"
	expect_rc 0 "clocks.yml pins the clock over HTTPS"
	pinned=$(curl -s --cacert "$PKI/ca.pem" -H "Authorization: Bearer $(cat "$tok")" \
		"https://127.0.0.1:$AGENT_PORT/gpu/frequency" | jq -r .target_hz)
	check "TLS: clocks.yml pinned 614.4 MHz through the CA and the token ($pinned)" test "$pinned" = 614400000
	ca_sum=$(sha256sum <"$PKI/ca.pem")
	cert_sum=$(sha256sum <"$PKI/dev0.pem")
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$TLS_VARS"
	expect_rc 0 "agent.yml with TLS, second run"
	check "TLS: the second run changes nothing" test "$(recap dev0 changed)" = 0
	check "TLS: the CA is made once" test "$(sha256sum <"$PKI/ca.pem")" = "$ca_sum"
	check "TLS: the certificate too" test "$(sha256sum <"$PKI/dev0.pem")" = "$cert_sum"
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "$TLS_VARS" --tags stop
	expect_rc 0 "--tags stop (TLS)"
fi

# ---- 2c. model.yml: weights installed only with the right checksum, then "Triton"
# restarted and waited for. Triton on this host is an emulated agent serving the
# repository (it serves the latest version directory), restarted by the command
# the playbook is given where there is no systemd.
if [ -x "$AGENT_BIN" ]; then
	T=$SCRATCH/triton
	REPO=$T/models
	W=$REPO/inception_graphdef
	mkdir -p "$W"
	cp model_repository/inception_graphdef/config.pbtxt "$W/"
	TRITON_PORT=$(free_port)
	cat >"$T/restart.sh" <<EOF
#!/bin/sh
pid=\$(cat "$T/pid" 2>/dev/null)
if [ -n "\$pid" ]; then
	kill "\$pid" 2>/dev/null
	while kill -0 "\$pid" 2>/dev/null; do sleep 0.05; done
fi
echo restart >>"$T/restarts"
cd "$ROOT" && setsid nohup "$AGENT_BIN" --emulate nano --listen 127.0.0.1:$TRITON_PORT \\
	--model-repository "$REPO" --log "$T/log" >/dev/null 2>&1 </dev/null &
echo \$! >"$T/pid"
EOF
	chmod +x "$T/restart.sh"
	head -c 300000 /dev/urandom >"$T/w2.graphdef"
	head -c 300000 /dev/urandom >"$T/w3.graphdef"
	sum2=$(sha256sum <"$T/w2.graphdef" | cut -d ' ' -f 1)
	sum3=$(sha256sum <"$T/w3.graphdef" | cut -d ' ' -f 1)
	MV="loudva_triton_models=$REPO loudva_service_manager=none loudva_triton_http_port=$TRITON_PORT"
	MV+=" loudva_triton_restart_cmd=$T/restart.sh"
	versions() { curl -s "http://127.0.0.1:$TRITON_PORT/v2/models/inception_graphdef" | jq -c .versions; }
	restarts() { wc -l <"$T/restarts"; }
	setup -i "$SCRATCH/inv.ini" playbooks/model.yml \
		-e "$MV loudva_model_version=2 loudva_model_src=$T/w2.graphdef loudva_model_sha256=$sum2"
	expect_rc 0 "model.yml, version 2 from the controller"
	check "model.yml: the weights installed as <model>/2/model.graphdef" cmp -s "$T/w2.graphdef" "$W/2/model.graphdef"
	check "model.yml: Triton restarted once" test "$(restarts)" = 1
	check "model.yml: and waited for until version 2 was ready" \
		grep -q "RUNNING HANDLER \[Wait until Triton serves the new version\]" "$SCRATCH/out"
	check "model.yml: Triton serves version 2 ($(versions))" test "$(versions)" = '["2"]'
	pid2=$(cat "$T/pid")
	setup -i "$SCRATCH/inv.ini" playbooks/model.yml \
		-e "$MV loudva_model_version=2 loudva_model_src=$T/w2.graphdef loudva_model_sha256=$sum2"
	expect_rc 0 "model.yml, the same again"
	check "model.yml: the same weights change nothing and restart nothing" \
		test "$(recap dev0 changed)/$(restarts)" = 0/1
	setup -i "$SCRATCH/inv.ini" playbooks/model.yml \
		-e "$MV loudva_model_version=3 loudva_model_url=file://$T/w3.graphdef loudva_model_sha256=$sum2"
	expect_rc 2 "model.yml, a wrong checksum"
	check "wrong checksum: the host failed" test "$(recap dev0 failed)" = 1
	check "wrong checksum: the failure names both sums" \
		grep -q "sha256 $sum3, but $sum2 was expected; nothing installed, Triton not restarted" "$SCRATCH/out"
	check "wrong checksum: nothing installed" test ! -e "$W/3"
	check "wrong checksum: nothing left in staging" test -z "$(ls -A "$REPO/.staging")"
	check "wrong checksum: Triton not restarted" test "$(restarts)/$(cat "$T/pid")" = "1/$pid2"
	check "wrong checksum: Triton still serves version 2" test "$(versions)" = '["2"]'
	setup -i "$SCRATCH/inv.ini" playbooks/model.yml \
		-e "$MV loudva_model_version=3 loudva_model_url=file://$T/w3.graphdef loudva_model_sha256=$sum3"
	expect_rc 0 "model.yml, version 3 from a URL"
	check "model.yml: version 3 installed from the URL" cmp -s "$T/w3.graphdef" "$W/3/model.graphdef"
	check "model.yml: Triton restarted and serves version 3" test "$(restarts)/$(versions)" = '2/["3"]'
	setup -i "$SCRATCH/inv.ini" playbooks/model.yml -e "$MV loudva_model_version=4"
	expect_rc 2 "model.yml without weights"
	check "model.yml without weights: says what to give" grep -q "give the version and the weights" "$SCRATCH/out"
fi

# ---- 2d. JetPack 4 and 5: agent.yml builds cJSON, libmicrohttpd and libjpeg-turbo
# from source release tarballs (here Debian's copies of the upstream releases,
# fetched from Debian's archive and pinned by SHA-256), checked on the
# controller, into the agent's own prefix, and the agent from source against
# them; loudva_agent_build_libs=true stands in for Ubuntu 18.04 or 20.04, whose
# packages are too old (auto picks those two releases). Then: a second run
# builds nothing, a tarball whose SHA-256 is not the one named is refused
# before anything is copied, and asking for the build without tarballs is
# refused with what to set.
LIBS_DIR=$SCRATCH/libtar
mkdir -p "$LIBS_DIR"
fetch_pinned() { # POOL_PATH SHA256: into $LIBS_DIR, or fail
	local f=$LIBS_DIR/${1##*/}
	curl -sSf --max-time 120 -o "$f" "http://deb.debian.org/debian/pool/main/$1" ||
		{ fail "cannot fetch $1 from Debian's archive"; return 1; }
	echo "$2  $f" | sha256sum -c --quiet - || { fail "$1: not the pinned SHA-256"; return 1; }
}
CJSON_SHA=5308fd4bd90cef7aa060558514de6a1a4a0819974a26e6ed13973c5f624c24b2
MHD_SHA=796e7e217a4802679fcac667a4e98501c53185dcf50ca0583870e84192620131
JPEG_SHA=254f3642b04e309fee775123133c6464181addc150499561020312ec61c1bf7c
if fetch_pinned c/cjson/cjson_1.7.15.orig.tar.gz $CJSON_SHA &&
	fetch_pinned libm/libmicrohttpd/libmicrohttpd_0.9.75.orig.tar.xz $MHD_SHA &&
	fetch_pinned libj/libjpeg-turbo/libjpeg-turbo_2.1.5.orig.tar.gz $JPEG_SHA; then
	LIB_PORT=$(free_port)
	libs_vars() { # CJSON_SHA256: the vars file, naming that checksum for cJSON
		cat >"$SCRATCH/libs-vars.yml" <<EOF
loudva_agent_dir: $SCRATCH/opt
loudva_etc_dir: $SCRATCH/etc
loudva_service_manager: none
loudva_agent_install_from: source
loudva_agent_emulate: true
loudva_agent_listen_addr: 127.0.0.1
loudva_agent_port: $LIB_PORT
loudva_token_file: $SCRATCH/controller/agent.token
loudva_agent_build_libs: true
loudva_agent_libs:
  - {name: cjson, tarball: $LIBS_DIR/cjson_1.7.15.orig.tar.gz, sha256: "$1",
     build: cmake, options: "-DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF"}
  - {name: libmicrohttpd, tarball: $LIBS_DIR/libmicrohttpd_0.9.75.orig.tar.xz,
     sha256: "$MHD_SHA", build: configure,
     options: "--disable-doc --disable-examples --disable-curl"}
  - {name: libjpeg-turbo, tarball: $LIBS_DIR/libjpeg-turbo_2.1.5.orig.tar.gz,
     sha256: "$JPEG_SHA", build: cmake, options: "-DENABLE_STATIC=OFF"}
EOF
	}
	# a wrong checksum: refused on the controller, before anything is copied
	libs_vars 0000000000000000000000000000000000000000000000000000000000000000
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "@$SCRATCH/libs-vars.yml"
	expect_rc 2 "agent.yml with a tarball that is not the one named"
	check "a wrong SHA-256 is refused, naming the library and the tarball" \
		grep -q "cjson: $LIBS_DIR/cjson_1.7.15.orig.tar.gz is missing, its SHA-256 is not 0000" "$SCRATCH/out"
	check "  before any library is copied" test ! -e "$SCRATCH/opt/libsrc/cjson.tar"
	check "  the loop shows each library by its name (loop_control.label)" \
		grep -q "(item=libmicrohttpd)" "$SCRATCH/out"
	# the build, then a second run that builds nothing
	libs_vars $CJSON_SHA
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "@$SCRATCH/libs-vars.yml"
	expect_rc 0 "agent.yml building the agent's libraries from source"
	cp "$SCRATCH/out" "$SCRATCH/libs-run1.txt"
	A=$SCRATCH/opt/bin/loudva-agent
	P=$SCRATCH/opt/libs
	for pc in libcjson libmicrohttpd libturbojpeg; do
		check "$pc installed in the agent's prefix" test -e "$P/lib/pkgconfig/$pc.pc"
	done
	check "the agent was built from source" test -x "$SCRATCH/opt/src/build/agent/loudva-agent"
	check "  with its prefix as its RUNPATH" bash -c "readelf -d '$A' | grep -q 'RUNPATH.*\[$P/lib\]'"
	for so in libcjson.so.1 libmicrohttpd.so.12 libturbojpeg.so.0; do
		check "  and loads $so from there" bash -c "ldd '$A' | grep -q '$so => $P/lib/$so'"
	done
	check "the agent built against them answers /healthz" curl -sf "http://127.0.0.1:$LIB_PORT/healthz"
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "@$SCRATCH/libs-vars.yml"
	expect_rc 0 "agent.yml with the libraries, second run"
	if [ "$(recap dev0 changed)" != 0 ]; then
		fail "the second run builds nothing: changed=$(recap dev0 changed), want 0"
		grep -B3 "^changed:" "$SCRATCH/out" | sed 's/^/    | /' >&2
	fi
	# ansible-playbook, on the host as loudva setup left it, sees nothing to do
	# either, task for task (its unarchive with creates skips, as ours)
	if [ "${LOUDVA_ANSIBLE_CHECK:-1}" != 0 ] && command -v ansible-playbook >/dev/null; then
		want=$(grep "^dev0 " "$SCRATCH/out" | tr -s ' ')
		ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_NOCOLOR=1 ansible-playbook -i "$SCRATCH/inv.ini" \
			playbooks/agent.yml -e "@$SCRATCH/libs-vars.yml" >"$SCRATCH/ansible-libs.out" 2>&1
		got=$(grep "^dev0 " "$SCRATCH/ansible-libs.out" | tr -s ' ')
		check "ansible-playbook agrees on the built host: '$got' vs '$want'" test -n "$want" -a "$want" = "$got"
	fi
	# without the tarballs, the build from source is refused, saying what to set
	sed -i '/^loudva_agent_libs:/,$d' "$SCRATCH/libs-vars.yml"
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "@$SCRATCH/libs-vars.yml"
	expect_rc 2 "agent.yml asked to build the libraries without their tarballs"
	check "  says to set loudva_agent_libs" grep -q "set loudva_agent_libs to their source release tarballs" "$SCRATCH/out"
	setup -i "$SCRATCH/inv.ini" playbooks/agent.yml -e "@$SCRATCH/libs-vars.yml" \
		-e loudva_agent_build_libs=false --tags stop
	expect_rc 0 "--tags stop (the agent built from source)"
fi

# ---- 3. features: blocks, loops, handlers, fetch, templates, delegate_to, ...
tar -cf "$SCRATCH/bundle.tar" -C tests/ssh templates
cat >"$SCRATCH/inv2.ini" <<EOF
[lab]
$(host_line dev0 kind=nano)
$(host_line dev1 kind=xavier-nx)

[lab:vars]
ansible_ssh_private_key_file=$KEY
ansible_ssh_common_args='-o UserKnownHostsFile=$KH'
EOF
setup -i "$SCRATCH/inv2.ini" tests/ssh/features.yml -e "scratch=$SCRATCH" -f 2
expect_rc 0 "features, first run"
cp "$SCRATCH/out" "$SCRATCH/features-run1.txt"
for h in dev0 dev1; do
	check "features $h: rescued=1 ignored=1 skipped=2 failed=0" \
		test "$(recap $h rescued)/$(recap $h ignored)/$(recap $h skipped)/$(recap $h failed)" = 1/1/2/0
	w=$SCRATCH/remote/$h
	check "features $h: content and mode" test "$(cat "$w/greeting.txt")/$(stat -c %a "$w/greeting.txt")" = "hello from $h/640"
	check "features $h: directory mode" test "$(stat -c %a "$w")" = 750
	check "features $h: template rendered" grep -qx "greeting=HELLO" "$w/features.conf"
	kind=nano
	[ $h = dev1 ] && kind=xavier-nx
	check "features $h: host var in template" grep -qx "kind=$kind" "$w/features.conf"
	check "features $h: lineinfile" grep -qx "level=3" "$w/settings.conf"
	check "features $h: loop made dirs" test -d "$w/dir-a" -a -d "$w/dir-b"
	check "features $h: unarchive" test -f "$w/templates/features.conf.j2"
	check "features $h: fetch to dest/<host>/<path>" cmp -s "$w/greeting.txt" "$SCRATCH/fetched/$h$w/greeting.txt"
	check "features $h: handler ran" test -e "$w/handler-ran"
done
check "features: run_once on the controller" test "$(cat "$SCRATCH/controller.txt")" = controller
check "features: debug var shows the registered output" grep -q '"upper.stdout": "HELLO FROM DEV0"' "$SCRATCH/out"
check "features: rescued failure printed as fatal" grep -q "fatal: \[dev0\]: FAILED!" "$SCRATCH/out"
check "features: ignored failure says so" grep -q "^\.\.\.ignoring" "$SCRATCH/out"
setup -i "$SCRATCH/inv2.ini" tests/ssh/features.yml -e "scratch=$SCRATCH" -f 2
expect_rc 0 "features, second run"
cp "$SCRATCH/out" "$SCRATCH/features-run2.txt"
check "features: second run changes nothing" test "$(recap dev0 changed)/$(recap dev1 changed)" = 0/0
check "features: no handler on the second run" test "$(grep -c 'RUNNING HANDLER' "$SCRATCH/out")" = 0

# ---- 3b. the same playbook under ansible-playbook gives the same recap,
# wherever ansible-playbook is installed (make deps installs it with
# ansible-lint); LOUDVA_ANSIBLE_CHECK=0 leaves the comparisons out.
if [ "${LOUDVA_ANSIBLE_CHECK:-1}" != 0 ] && command -v ansible-playbook >/dev/null; then
	mkdir -p "$SCRATCH/ans"
	cp "$SCRATCH/bundle.tar" "$SCRATCH/ans/"
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_NOCOLOR=1 ansible-playbook -i "$SCRATCH/inv2.ini" \
		tests/ssh/features.yml -e "scratch=$SCRATCH/ans" -f 2 >"$SCRATCH/ansible.out" 2>&1
	for h in dev0 dev1; do
		want=$(grep "^$h " "$SCRATCH/ansible.out" | tr -s ' ')
		got=$(grep "^$h " "$SCRATCH/features-run1.txt" | tr -s ' ')
		check "ansible-playbook agrees on $h: '$want' vs '$got'" test -n "$want" -a "$want" = "$got"
	done
	check "ansible-playbook made the same files" cmp -s "$SCRATCH/remote/dev1/features.conf" \
		"$SCRATCH/ans/remote/dev1/features.conf"
else
	echo "the cross-check with ansible-playbook is skipped (not installed, or LOUDVA_ANSIBLE_CHECK=0)"
fi

# ---- 3c. hosts without SFTP: files go by scp, or through a pipe in the shell when
# scp is missing too, with the same recap and the same files as over SFTP; and
# --check counts command/shell with creates/removes as ansible-playbook does.
sshd_start_bare || fail "the sshd without SFTP did not start"
cat >"$SCRATCH/inv-x.ini" <<EOF
[lab]
sftp0 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT
nosftp0 ansible_host=127.0.0.1 ansible_port=$SSHD_NOSFTP_PORT
noscp0 ansible_host=127.0.0.1 ansible_port=$SSHD_NOSCP_PORT

[lab:vars]
ansible_user=root
kind=nano
ansible_ssh_private_key_file=$KEY
ansible_ssh_common_args='-o UserKnownHostsFile=$KH -o StrictHostKeyChecking=accept-new'
EOF
XHOSTS="sftp0 nosftp0 noscp0"
mkdir -p "$SCRATCH/lv" "$SCRATCH/ans"
head -c 100000 /dev/urandom >"$SCRATCH/lv/blob.bin"
: >"$SCRATCH/lv/empty.txt"
cp "$SCRATCH/lv/blob.bin" "$SCRATCH/lv/empty.txt" "$SCRATCH/ans/"
# recap_rest HOST [FILE]: HOST's recap counts, without its name
recap_rest() { grep "^$1 " "${2:-$SCRATCH/out}" | sed 's/^[^:]*: //' | tr -s ' '; }
# xfer_files DIR: how many hosts got each file with each mode, size and content
# (host names in the content made equal)
xfer_files() {
	local h f
	for h in $XHOSTS; do
		for f in blob.bin empty.txt features.conf features-default.conf settings.conf built.txt; do
			echo "$f $(stat -c %a "$1/xfer/$h/$f")" \
				"$(sed "s/$h/HOST/g" "$1/xfer/$h/$f" | wc -c)" \
				"$(sed "s/$h/HOST/g" "$1/xfer/$h/$f" | md5sum)"
		done
	done | sort | uniq -c
}
setup -i "$SCRATCH/inv-x.ini" tests/ssh/transfer.yml -e "scratch=$SCRATCH/lv" -f 3 -v
expect_rc 0 "transfers without SFTP"
cp "$SCRATCH/out" "$SCRATCH/xfer-run1.txt"
for h in $XHOSTS; do
	check "transfers: $h's recap is sftp0's, changed=9 ($(recap_rest $h))" \
		test "$(recap_rest $h)" = "$(recap_rest sftp0)" -a "$(recap $h changed)" = 9
	check "transfers: $h's binary file arrived intact" cmp -s "$SCRATCH/lv/blob.bin" "$SCRATCH/lv/xfer/$h/blob.bin"
	check "transfers: and came back intact to $h (fetch)" \
		cmp -s "$SCRATCH/lv/blob.bin" "$SCRATCH/lv/fetched/$h$SCRATCH/lv/xfer/$h/blob.bin"
done
LV_FILES=$(xfer_files "$SCRATCH/lv")
check "transfers: the same files, modes and contents on the three hosts" \
	test "$(echo "$LV_FILES" | awk '$1 != 3' | wc -l)" = 0
check "transfers: modes as asked (0604, 0600, 0640), kept by lineinfile, and 0666 less the umask" \
	test "$(stat -c %a "$SCRATCH"/lv/xfer/noscp0/{blob.bin,empty.txt,features.conf,settings.conf,features-default.conf} | tr '\n' ' ')" = "604 600 640 640 $(printf %o $((0666 & ~0$(umask)))) "
check "-v: sftp0 uses SFTP" grep -qx "<sftp0> files are transferred with sftp" "$SCRATCH/out"
check "-v: nosftp0 uses scp" grep -qx "<nosftp0> files are transferred with scp" "$SCRATCH/out"
check "-v: noscp0 uses a pipe" grep -qx "<noscp0> files are transferred with piped" "$SCRATCH/out"
check "one warning for nosftp0, naming why" \
	test "$(grep -c "^\[WARNING\]: file transfers to \[nosftp0\] fall back to scp: cannot start SFTP" "$SCRATCH/err")" = 1
check "one warning for noscp0" \
	test "$(grep -c "^\[WARNING\]: file transfers to \[noscp0\] fall back to piped: .*cannot start scp" "$SCRATCH/err")" = 1
check "no warning for sftp0" test "$(grep -c "\[sftp0\]" "$SCRATCH/err")" = 0
setup -i "$SCRATCH/inv-x.ini" tests/ssh/transfer.yml -e "scratch=$SCRATCH/lv" -f 3
expect_rc 0 "transfers without SFTP, second run"
for h in $XHOSTS; do
	check "transfers: $h's second run changes nothing" test "$(recap $h ok)/$(recap $h changed)" = 11/0
done
# --check: built.txt is missing (creates: the command would run) and one host
# has a stale.txt (removes: would run); fetch skips itself, as Ansible's does
rm -f "$SCRATCH"/lv/xfer/*/built.txt
touch "$SCRATCH/lv/xfer/noscp0/stale.txt"
setup -i "$SCRATCH/inv-x.ini" tests/ssh/transfer.yml -e "scratch=$SCRATCH/lv" -f 3 --check -v
expect_rc 0 "transfers, --check"
cp "$SCRATCH/out" "$SCRATCH/xfer-check.txt"
check "--check with creates: changed, as Ansible counts it ($(recap_rest sftp0))" \
	test "$(recap sftp0 ok)/$(recap sftp0 changed)/$(recap sftp0 skipped)" = 9/1/2
check "--check with removes: changed too ($(recap_rest noscp0))" \
	test "$(recap noscp0 ok)/$(recap noscp0 changed)/$(recap noscp0 skipped)" = 9/2/2
check "--check: Ansible's message" grep -q "Command would have run if not in check mode" "$SCRATCH/out"
check "--check: and when it would not run" grep -q "Would not run command since '[^']*stale.txt' does not exist" "$SCRATCH/out"
check "--check: nothing built" test ! -e "$SCRATCH/lv/xfer/sftp0/built.txt"
check "--check: nothing removed" test -e "$SCRATCH/lv/xfer/noscp0/stale.txt"

# ---- 3d. the same under ansible-playbook (unless LOUDVA_ANSIBLE_CHECK=0)
if [ "${LOUDVA_ANSIBLE_CHECK:-1}" != 0 ] && command -v ansible-playbook >/dev/null; then
	ansible() {
		ANSIBLE_NOCOLOR=1 ansible-playbook -i "$SCRATCH/inv-x.ini" tests/ssh/transfer.yml \
			-e "scratch=$SCRATCH/ans" -f 3 "$@" >"$SCRATCH/ansible.out" 2>&1
	}
	ansible || fail "ansible-playbook transfer.yml: $(tail -5 "$SCRATCH/ansible.out")"
	for h in $XHOSTS; do
		check "ansible-playbook agrees on $h: '$(recap_rest $h "$SCRATCH/ansible.out")'" \
			test "$(recap_rest $h "$SCRATCH/ansible.out")" = "$(recap_rest $h "$SCRATCH/xfer-run1.txt")"
	done
	check "ansible-playbook wrote the same files, modes and contents" \
		test "$(xfer_files "$SCRATCH/ans")" = "$LV_FILES"
	rm -f "$SCRATCH"/ans/xfer/*/built.txt
	touch "$SCRATCH/ans/xfer/noscp0/stale.txt"
	ansible --check || fail "ansible-playbook --check transfer.yml: $(tail -5 "$SCRATCH/ansible.out")"
	for h in $XHOSTS; do
		check "ansible-playbook --check agrees on $h: '$(recap_rest $h "$SCRATCH/ansible.out")'" \
			test "$(recap_rest $h "$SCRATCH/ansible.out")" = "$(recap_rest $h "$SCRATCH/xfer-check.txt")"
	done
fi

# ---- 4. an unreachable host and a wrong key: the others go on
cat >"$SCRATCH/inv3.ini" <<EOF
dev0 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=root ansible_ssh_private_key_file=$KEY
down0 ansible_host=127.0.0.1 ansible_port=$(closed_port) ansible_user=root ansible_ssh_private_key_file=$KEY
stranger0 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=root ansible_ssh_private_key_file=$SSHD_DIR/wrong_key

[all:vars]
ansible_ssh_common_args='-o UserKnownHostsFile=$KH'
EOF
rm -f "$SCRATCH"/ping-*
setup -i "$SCRATCH/inv3.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH" --accept-new
expect_rc 4 "unreachable hosts"
check "closed port: unreachable=1 failed=0" test "$(recap down0 unreachable)/$(recap down0 failed)" = 1/0
check "wrong key: unreachable=1 failed=0" test "$(recap stranger0 unreachable)/$(recap stranger0 failed)" = 1/0
check "wrong key: permission denied" grep -q "stranger0\]: UNREACHABLE!.*permission denied" "$SCRATCH/out"
check "the reachable host went on" test "$(recap dev0 ok)/$(recap dev0 failed)" = 2/0
check "the reachable host's marker" test -e "$SCRATCH/ping-dev0"
check "no marker for unreachable hosts" test ! -e "$SCRATCH/ping-down0" -a ! -e "$SCRATCH/ping-stranger0"

# ---- 5. a failing task stops that host only
setup -i "$SCRATCH/inv2.ini" tests/ssh/fail.yml -e "scratch=$SCRATCH"
expect_rc 2 "a failing task"
check "failing host: failed=1" test "$(recap dev0 failed)/$(recap dev0 ok)" = 1/0
check "failing host stopped there" test ! -e "$SCRATCH/after-dev0"
check "the other host went on" test -e "$SCRATCH/after-dev1"
check "the other host: skipped=1 changed=1" test "$(recap dev1 skipped)/$(recap dev1 changed)" = 1/1
check "failure shows rc" grep -q 'fatal: \[dev0\]: FAILED! => .*"rc": 1' "$SCRATCH/out"

# ---- 6. an unknown module: nothing runs
setup -i "$SCRATCH/inv2.ini" tests/ssh/bad_module.yml -e "scratch=$SCRATCH"
expect_rc 2 "unknown module"
line=$(grep -n "frobnicate:" tests/ssh/bad_module.yml | cut -d: -f1)
((line--)) # the task starts on its "- name:" line
check "unknown module: file:line and module named" grep -q "tests/ssh/bad_module.yml:$line: unknown module 'frobnicate'" "$SCRATCH/err"
check "unknown module: no recap" test ! -s "$SCRATCH/out"
check "unknown module: nothing ran" test ! -e "$SCRATCH/bad-marker"

# ---- 7. hosts from an OpenSSH config file, and keys from the SSH agent
cat >"$SCRATCH/ssh_config" <<EOF
Host cfghost
    HostName 127.0.0.1
    Port $SSHD_PORT
    User root
    IdentityFile $KEY
    UserKnownHostsFile $KH
EOF
printf 'cfghost\n' >"$SCRATCH/inv4.ini"
setup -i "$SCRATCH/inv4.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH" --ssh-config "$SCRATCH/ssh_config" --known-hosts "$KH"
expect_rc 0 "host from ssh_config"
check "ssh_config host reached" test -e "$SCRATCH/ping-cfghost"

eval "$(ssh-agent -s -a "$SCRATCH/agent.sock")" >/dev/null
AGENT_PID_SSH=$SSH_AGENT_PID
ssh-add -q "$KEY" 2>/dev/null
printf 'agenthost ansible_host=127.0.0.1 ansible_port=%s ansible_user=root\n' "$SSHD_PORT" >"$SCRATCH/inv5.ini"
setup -i "$SCRATCH/inv5.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH" --known-hosts "$KH" --ssh-config ""
expect_rc 0 "key from the SSH agent"
check "agent-authenticated host reached" test -e "$SCRATCH/ping-agenthost"
kill "$AGENT_PID_SSH" 2>/dev/null
unset SSH_AUTH_SOCK SSH_AGENT_PID AGENT_PID_SSH

# ---- 8. a changed host key is refused, even with --accept-new
sshd_restart_newkey || fail "sshd did not restart"
setup -i "$SCRATCH/inv.ini" tests/ssh/ping.yml -e "scratch=$SCRATCH" --accept-new
expect_rc 4 "changed host key"
check "changed key: unreachable=1" test "$(recap dev0 unreachable)" = 1
check "changed key: the refusal says so" grep -q "HAS CHANGED" "$SCRATCH/out"

# ---- 9. the shipped playbooks parse, and ansible-playbook agrees when installed
for pb in playbooks/site.yml playbooks/agent.yml playbooks/triton.yml playbooks/clocks.yml \
	playbooks/time.yml playbooks/reboot.yml playbooks/model.yml; do
	setup -i playbooks/inventory.example.ini "$pb" --syntax-check
	expect_rc 0 "--syntax-check $pb"
done
setup -i playbooks/inventory.example.ini playbooks/site.yml --list-hosts
check "inventory ranges and children: five Jetsons" test "$(grep -c '^    ' "$SCRATCH/out")" -ge 5
if [ "${LOUDVA_ANSIBLE_CHECK:-1}" != 0 ] && command -v ansible-playbook >/dev/null; then
	for pb in playbooks/site.yml tests/ssh/features.yml; do
		ANSIBLE_LOCALHOST_WARNING=false ansible-playbook -i playbooks/inventory.example.ini \
			--syntax-check "$pb" >"$SCRATCH/ansible.out" 2>&1 ||
			fail "ansible-playbook --syntax-check $pb: $(tail -5 "$SCRATCH/ansible.out")"
	done
fi

finish
