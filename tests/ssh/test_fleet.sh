#!/usr/bin/env bash
# The fleet playbooks against a real OpenSSH server on loopback (the host is
# this machine, logged into as root, so they run in check mode only: nothing
# on it changes), under `loudva setup` and, where installed, `ansible-playbook`,
# with the same recap from both:
#   - bootstrap.yml: a new service user, its key, the sudo rule;
#   - firewall.yml: nftables, the rules, their unit;
#   - logs.yml: journald's drop-in and logrotate's file;
# and what can be done for real without harm: bootstrap's sudo rule written
# to a scratch file through `validate: visudo -cf %s` (visudo passes it, mode
# 0440), a broken rule refused by visudo, leaving the previous file in place;
# the user module making and removing a throwaway system user on this
# machine, and refusing `groups` without `append: true` at load.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/sshd.sh"

export HOME=$SCRATCH/home # no ~/.ssh of the machine's leaks into the test
mkdir -p "$HOME"
unset SSH_AUTH_SOCK SSH_AGENT_PID
trap 'sshd_stop; rm -rf "$SCRATCH"' EXIT
sshd_start || { echo "cannot start sshd"; exit 1; }
KH=$SCRATCH/known_hosts
KEY=$SSHD_DIR/user_key
# A user name this machine does not have, so bootstrap has something to do.
NEWUSER=lvt$(date +%s%N | tail -c 7)
getent passwd "$NEWUSER" >/dev/null && { echo "user $NEWUSER exists"; exit 1; }

cat >"$SCRATCH/inv.ini" <<INV
[jetsons]
dev0 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT ansible_user=root ansible_ssh_private_key_file=$KEY

[jetsons:vars]
ansible_ssh_common_args='-o UserKnownHostsFile=$KH -o StrictHostKeyChecking=accept-new'
ansible_python_interpreter=/usr/bin/python3
INV
VARS=$SCRATCH/vars.json
printf '{"loudva_service_user": "%s", "loudva_authorized_key": "%s",
  "loudva_controller_addr": "127.0.0.2", "loudva_agent_dir": "%s"}\n' \
	"$NEWUSER" "$(cat "$KEY.pub")" "$SCRATCH/opt" >"$VARS"

# recap_of FILE: dev0's recap line, spaces squeezed.
recap_of() { sed -n '/^PLAY RECAP/,$p' "$1" | grep '^dev0 ' | tr -s ' '; }

# setup NAME ARGS...: loudva setup; output in $SCRATCH/NAME.lv, status in $RC.
setup() {
	local name=$1
	shift
	RC=0
	"$LOUDVA" setup --timeout 60 -i "$SCRATCH/inv.ini" "$@" >"$SCRATCH/$name.lv" 2>&1 || RC=$?
}

# bootstrap 5 ok (4 changed), firewall 5 (4, the start and its handler
# skipped), logs 3 (3, its handler skipped)
WANT="ok=13 changed=11 unreachable=0 failed=0 skipped=3"
setup fleet tests/ssh/fleet.yml --check -e "@$VARS"
if [ "$RC" -ne 0 ]; then
	fail "fleet.yml --check: exit $RC"
	tail -30 "$SCRATCH/fleet.lv" >&2
fi
got=$(recap_of "$SCRATCH/fleet.lv")
echo "loudva setup --check:     $got"
case "$got" in
*"$WANT"*) ;;
*) fail "bootstrap, firewall, logs --check: recap '$got', want '$WANT'" ;;
esac
check "check mode made no user" bash -c "! getent passwd $NEWUSER"
check "check mode wrote no sudo rule" test ! -e /etc/sudoers.d/loudva
check "check mode wrote no firewall unit" test ! -e /etc/systemd/system/loudva-firewall.service

# bootstrap's sudo rule, for real, into a scratch file
SUDOERS=$SCRATCH/sudoers.d/loudva
mkdir -p "$SCRATCH/sudoers.d"
setup sudo playbooks/bootstrap.yml --tags sudo -e "@$VARS" -e "loudva_sudoers_file=$SUDOERS"
if [ "$RC" -ne 0 ]; then
	fail "bootstrap.yml --tags sudo: exit $RC"
	tail -20 "$SCRATCH/sudo.lv" >&2
fi
check "the sudo rule is written" test -s "$SUDOERS"
check "  with mode 0440" test "$(stat -c %a "$SUDOERS" 2>/dev/null)" = 440
check "  and visudo -cf passes it" visudo -cf "$SUDOERS"
check "  for the service user alone" grep -q "^$NEWUSER ALL=(root) NOPASSWD: LOUDVA_OPS" "$SUDOERS"
cp "$SUDOERS" "$SCRATCH/sudoers.good"
setup badsudo playbooks/bootstrap.yml --tags sudo -e "@$VARS" -e "loudva_sudoers_file=$SUDOERS" \
	-e '{"loudva_service_user": "no body"}'
check "a rule visudo refuses fails the task (exit $RC)" test "$RC" = 2
check "  saying why" grep -q "failed to validate" "$SCRATCH/badsudo.lv"
check "  and the previous rule stays" cmp -s "$SCRATCH/sudoers.good" "$SUDOERS"

# The user module for real, on the controller (a local connection): a
# throwaway system user made, made again (ok), removed.
echo "localhost ansible_connection=local" >"$SCRATCH/local.ini"
trap 'userdel "$NEWUSER" 2>/dev/null; sshd_stop; rm -rf "$SCRATCH"' EXIT
for step in present:changed=1 present:changed=0 absent:changed=1; do
	RC=0
	"$LOUDVA" setup -i "$SCRATCH/local.ini" tests/ssh/user.yml \
		-e "u_name=$NEWUSER u_state=${step%%:*}" >"$SCRATCH/user.lv" 2>&1 || RC=$?
	check "user ${step%%:*}: exit $RC" test "$RC" = 0
	check "user ${step%%:*}: ${step#*:}" grep -qE "^localhost +: ok=1 +${step#*:} " "$SCRATCH/user.lv"
	if [ "${step%%:*}" = present ]; then
		check "  a system user with its shell" \
			test "$(getent passwd "$NEWUSER" | cut -d: -f7)" = /usr/sbin/nologin
		check "  in the video group" bash -c "id -nG $NEWUSER | tr ' ' '\n' | grep -qx video"
	fi
done
check "user absent: the user is gone" bash -c "! getent passwd $NEWUSER"
printf -- '- hosts: all\n  tasks:\n    - ansible.builtin.user: {name: x, groups: [video]}\n' \
	>"$SCRATCH/user_noappend.yml"
RC=0
"$LOUDVA" setup -i "$SCRATCH/local.ini" "$SCRATCH/user_noappend.yml" --syntax-check \
	>"$SCRATCH/out" 2>&1 || RC=$?
check "user: groups without append: true is refused at load (exit $RC)" test "$RC" = 2
check "  saying why" grep -q "groups needs append: true" "$SCRATCH/out"

# The same check runs under Ansible: the same recaps. It takes Ansible about
# a minute here; LOUDVA_ANSIBLE_CHECK=0 leaves it out.
if [ "${LOUDVA_ANSIBLE_CHECK:-1}" != 0 ] && command -v ansible-playbook >/dev/null; then
	export ANSIBLE_LOCAL_TEMP=$SCRATCH/ansible-local ANSIBLE_REMOTE_TEMP=/tmp/.ansible-lv
	export ANSIBLE_PIPELINING=1 ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_CONFIG=$SCRATCH/ansible.cfg
	: >"$SCRATCH/ansible.cfg"
	ansible-playbook -i "$SCRATCH/inv.ini" tests/ssh/fleet.yml --check -e "@$VARS" \
		>"$SCRATCH/fleet.ap" 2>&1 || fail "ansible-playbook fleet.yml --check: exit $?"
	echo "ansible-playbook --check: $(recap_of "$SCRATCH/fleet.ap")"
	if [ "$(recap_of "$SCRATCH/fleet.ap")" != "$(recap_of "$SCRATCH/fleet.lv")" ]; then
		fail "bootstrap, firewall, logs --check: ansible-playbook's recap differs from loudva setup's"
		tail -40 "$SCRATCH/fleet.ap" >&2
	fi
else
	echo "the comparison with ansible-playbook is skipped (not installed, or LOUDVA_ANSIBLE_CHECK=0)"
fi
finish
