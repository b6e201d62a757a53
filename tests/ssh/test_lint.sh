#!/usr/bin/env bash
# The shipped playbooks and the agent's unit, checked by the tools operators
# and packagers use: yamllint (playbooks/.yamllint) and ansible-lint's
# production profile, offline, on every playbook; `loudva setup
# --syntax-check` on each; the agent's unit template rendered by `loudva setup`
# for make install's paths must say exactly what agents/loudva-agent.service
# says (comments aside), and both must pass `systemd-analyze verify` and score
# at most 4.0 in `systemd-analyze security`; Triton's unit, rendered the same
# way, passes `systemd-analyze verify` and runs as its own user.
. "$(dirname "$0")/../cli/lib.sh"

ROOT=$PWD
AGENT_BIN=$ROOT/${LOUDVA_AGENT_REL:-build/loudva-agent}

# ---- lint
for tool in yamllint ansible-lint systemd-analyze; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (make deps installs it)"
done
if command -v yamllint >/dev/null; then
	yamllint -s -c playbooks/.yamllint playbooks >"$SCRATCH/yamllint" 2>&1 ||
		{ fail "yamllint finds problems in playbooks/"; cat "$SCRATCH/yamllint" >&2; }
fi
if command -v ansible-lint >/dev/null; then
	(cd playbooks && ansible-lint --offline --nocolor --profile production ./*.yml) \
		>"$SCRATCH/ansible-lint" 2>&1 ||
		{ fail "ansible-lint (production profile) finds problems"; tail -30 "$SCRATCH/ansible-lint" >&2; }
	grep -q "Passed with production profile" "$SCRATCH/ansible-lint" ||
		fail "ansible-lint did not say it passed the production profile"
fi
for f in playbooks/*.yml; do
	"$LOUDVA" setup -i playbooks/inventory.example.ini "$f" --syntax-check >"$SCRATCH/out" 2>&1 ||
		{ fail "loudva setup --syntax-check $f"; cat "$SCRATCH/out" >&2; }
done
# (ansible-lint's fqcn rule, in the production profile, holds every module
# name to ansible.builtin.NAME.)

# ---- the agent's unit: one source
echo "localhost ansible_connection=local" >"$SCRATCH/inv.ini"
ARGS="--listen 0.0.0.0:5000 --token-file /etc/loudva/agent.token"
ARGS+=" --tls-cert /etc/loudva/agent.pem --tls-key /etc/loudva/agent.key"
"$LOUDVA" setup -i "$SCRATCH/inv.ini" tests/ssh/render_unit.yml \
	-e "{\"repo_dir\": \"$ROOT\", \"out\": \"$SCRATCH/rendered.service\",
	     \"agent_bin\": \"/usr/local/bin/loudva-agent\", \"agent_args\": \"$ARGS \"}" \
	>"$SCRATCH/out" 2>&1 || { fail "loudva setup cannot render the unit"; cat "$SCRATCH/out" >&2; }
directives() { grep -vE '^[[:space:]]*(#|$)' "$1"; }
if ! diff <(directives agents/loudva-agent.service) <(directives "$SCRATCH/rendered.service") \
	>"$SCRATCH/drift"; then
	fail "agents/loudva-agent.service drifted from playbooks/templates/loudva-agent.service.j2"
	cat "$SCRATCH/drift" >&2
fi

# systemd-analyze wants the ExecStart binary to exist: point both at the build's.
for f in agents/loudva-agent.service "$SCRATCH/rendered.service"; do
	u=$SCRATCH/check/$(basename "$(dirname "$f")")/loudva-agent.service
	mkdir -p "$(dirname "$u")"
	sed "s|/usr/local/bin/loudva-agent|$AGENT_BIN|" "$f" >"$u"
	systemd-analyze verify "$u" >"$SCRATCH/verify" 2>&1 ||
		{ fail "systemd-analyze verify $f"; cat "$SCRATCH/verify" >&2; }
	score=$(systemd-analyze security --offline=true "$u" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "$f: exposure $score"
	check "$f: systemd-analyze security gives a score" test -n "$score"
	check "$f: exposure $score is at most 4.0" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 4.0) }'
	check "$f: logs to the journal" grep -qx "StandardError=journal" "$u"
	check "$f: writes only the GPU's devfreq files" \
		test "$(grep -cE '^ReadWritePaths=-/sys/(devices/[^ ]*/devfreq|class/devfreq)/' "$u")" = "$(grep -c '^ReadWritePaths=' "$u")"
done

# Triton's unit: rendered as triton.yml installs it, verified (its ExecStart
# must name an executable: a link to true stands in for the release tarball's
# binary, which only a Jetson has; outside /tmp, which the unit makes private).
TRITON_DIR=$ROOT/${BUILD:-build}/lint-triton.$$
trap 'rm -rf "$SCRATCH" "$TRITON_DIR"' EXIT
mkdir -p "$TRITON_DIR/bin"
ln -s /bin/true "$TRITON_DIR/bin/tritonserver"
"$LOUDVA" setup -i "$SCRATCH/inv.ini" tests/ssh/render_unit.yml \
	-e "{\"repo_dir\": \"$ROOT\", \"out\": \"$SCRATCH/tritonserver.service\",
	     \"unit\": \"tritonserver.service\", \"triton_dir\": \"$TRITON_DIR\",
	     \"triton_models\": \"$SCRATCH/models\", \"triton_http_port\": 8000,
	     \"triton_user\": \"triton\"}" \
	>"$SCRATCH/out" 2>&1 || { fail "loudva setup cannot render Triton's unit"; cat "$SCRATCH/out" >&2; }
systemd-analyze verify "$SCRATCH/tritonserver.service" >"$SCRATCH/verify" 2>&1 ||
	{ fail "systemd-analyze verify tritonserver.service"; cat "$SCRATCH/verify" >&2; }
check "Triton runs as its own user" grep -qx "User=triton" "$SCRATCH/tritonserver.service"
check "Triton logs to the journal" grep -qx "StandardError=journal" "$SCRATCH/tritonserver.service"
check "Triton without client shared memory unless asked for" \
	bash -c "! grep -q -- --allow-client-shm '$SCRATCH/tritonserver.service'"
# triton.yml sets triton_client_shm_flag when this Triton's --help names the option
"$LOUDVA" setup -i "$SCRATCH/inv.ini" tests/ssh/render_unit.yml \
	-e "{\"repo_dir\": \"$ROOT\", \"out\": \"$SCRATCH/shm.service\",
	     \"unit\": \"tritonserver.service\", \"triton_dir\": \"$TRITON_DIR\",
	     \"triton_models\": \"$SCRATCH/models\", \"triton_http_port\": 8000,
	     \"triton_user\": \"triton\", \"triton_client_shm_flag\": true}" \
	>"$SCRATCH/out" 2>&1 || { fail "loudva setup cannot render Triton's unit with shm"; cat "$SCRATCH/out" >&2; }
check "Triton with --allow-client-shm=true when it knows the option" \
	grep -qE '^ExecStart=.* --allow-client-shm=true$' "$SCRATCH/shm.service"
finish
