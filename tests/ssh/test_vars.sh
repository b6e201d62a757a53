#!/usr/bin/env bash
# Variables, configuration and expressions as Ansible has them (issue 20),
# against a real OpenSSH server on loopback: tests/ssh/vars/ holds an
# inventory with group_vars/ and host_vars/ beside it, and a playbook with its
# own beside it. The SSH user, key, host key checking and the inventory come
# from an ansible.cfg (through ANSIBLE_CONFIG, then ./ansible.cfg). One run
# checks the precedence of every level, the facts gather_facts gathers,
# filters, range(), ansible_play_hosts and {% if %}/{% for %} in a template,
# and lineinfile's regexp '^v=\d+' replacing the line (a second run changes
# nothing). A playbook with a filter loudva setup lacks is refused when it
# loads, before its first task changes anything. Where ansible-playbook is
# installed, the same playbook runs under it from the same start: the recaps
# and the files written must be identical.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/sshd.sh"

ROOT=$PWD
LOUDVA=$ROOT/$LOUDVA
V=$ROOT/tests/ssh/vars
export HOME=$SCRATCH/home
mkdir -p "$HOME"
unset SSH_AUTH_SOCK SSH_AGENT_PID ANSIBLE_CONFIG

cleanup() {
	sshd_stop
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

sshd_start || { echo "cannot start sshd"; exit 1; }

# ansible.cfg: the user and key the inventory does not name; host keys unchecked
cat >"$SCRATCH/ansible.cfg" <<CFG
[defaults]
inventory = $V/inventory/hosts.ini
remote_user = root
private_key_file = $SSHD_DIR/user_key
host_key_checking = False
forks = 2
timeout = 60
interpreter_python = auto_silent
retry_files_enabled = False
gather_subset = !all,hardware
[ssh_connection]
pipelining = True
CFG
CONN="ansible_host=127.0.0.1 ansible_port=$SSHD_PORT"

# run OUTDIR TOOL [ARGS...]: runs TOOL (loudva or ansible) on site.yml writing into OUTDIR.
run() {
	local out=$1 tool=$2
	shift 2
	RC=0
	# key=value -e with quotes, as Ansible splits it: one value with a blank in it
	local kv="extra_msg='two words' greeting=\"hi there\" plain=a=b"
	if [ "$tool" = loudva ]; then
		ANSIBLE_CONFIG=$SCRATCH/ansible.cfg "$LOUDVA" setup "$V/play/site.yml" \
			-e "$CONN out=$out" -e "$kv" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
	else
		ANSIBLE_CONFIG=$SCRATCH/ansible.cfg ansible-playbook "$V/play/site.yml" \
			-e "$CONN out=$out" -e "$kv" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
	fi
}

recap_line() {
	sed -n '/^PLAY RECAP/,$p' "$SCRATCH/out" | grep '^dev0 ' | tr -s ' '
}

fresh() { # DIR: an empty output directory with the file lineinfile edits
	mkdir -p "$1"
	printf 'name=x\nv=1\n' >"$1/app.conf"
}

# ---- 1. loudva setup: precedence, facts, filters, templates, lineinfile
OUT=$SCRATCH/loudva
fresh "$OUT"
run "$OUT" loudva
check "site.yml runs (exit $RC)" test "$RC" = 0
[ "$RC" = 0 ] || sed 's/^/    | /' "$SCRATCH/out" "$SCRATCH/err" | tail -30 >&2
LOUDVA_RECAP=$(recap_line)
check "recap: facts, template, lineinfile: ok=3 changed=2 ($LOUDVA_RECAP)" \
	grep -q "ok=3 changed=2 unreachable=0 failed=0" <<<"$LOUDVA_RECAP"
check "the facts task is Ansible's" grep -q '^TASK \[Gathering Facts\]' "$SCRATCH/out"
R=$OUT/report.txt
touch "$R"
want() { # KEY VALUE: the report says KEY=VALUE
	check "$1 = $2 (got: $(grep "^$1=" "$R"))" grep -qx "$1=$2" "$R"
}
want from_all inventory_file
want from_parent inventory_file
want from_child inventory_file
want from_host_line inventory_file
want from_gv_all inventory_group_vars_all        # group_vars/all over the file's [all:vars]
want from_gv_parent inventory_group_vars_jetsons # a parent's group_vars over the file's child vars
want from_pgv playbook_group_vars_nano           # the playbook's group_vars over the inventory's
want from_hv inventory_host_vars                 # host_vars over every group
want from_phv playbook_host_vars                 # the playbook's host_vars over the inventory's
want arch "$(uname -m)"
dist=$(. /etc/os-release && echo "${NAME%% *} $VERSION_ID")
if grep -q '^ID=debian' /etc/os-release && [ -r /etc/debian_version ]; then
	dist="Debian $(cat /etc/debian_version)"
fi
want distribution "$dist"
want memory True
want processors True
want play_hosts dev0
want admins amy,zed
want others bob
want keys b,a
want range 123
want regex "version 12"
want extra "two words|hi there|a=b"
check "no statement left in the report" test "$(grep -c '{%\|{{' "$R")" = 0
check "lineinfile '^v=\\d+' replaced the line, did not append" \
	test "$(cat "$OUT/app.conf")" = "$(printf 'name=x\nv=2')"
run "$OUT" loudva
check "second run: changed=0 ($(recap_line))" grep -q "ok=3 changed=0" <<<"$(recap_line)"
# --check: facts are still gathered (the template renders the same), the drift is reported only
printf 'name=x\nv=7\n' >"$OUT/app.conf"
run "$OUT" loudva --check
check "--check: facts gathered, the drift shows ($(recap_line))" \
	grep -q "ok=3 changed=1 unreachable=0 failed=0" <<<"$(recap_line)"
check "--check: the file is left alone" grep -qx "v=7" "$OUT/app.conf"
printf 'name=x\nv=2\n' >"$OUT/app.conf" # as the first run left it, for the comparison below

# ---- 2. a filter loudva lacks: refused at load, nothing touched; ./ansible.cfg is found
mkdir -p "$SCRATCH/cwd" && cp "$SCRATCH/ansible.cfg" "$SCRATCH/cwd/"
RC=0
(cd "$SCRATCH/cwd" && "$LOUDVA" setup "$V/play/refused.yml" -e "$CONN out=$OUT") \
	>"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
check "refused.yml: exit 2 ($RC)" test "$RC" = 2
check "the refusal names file:line and the filter ($(cat "$SCRATCH/err"))" \
	grep -q "refused.yml:16: .*unknown filter 'to_nice_yaml'" "$SCRATCH/err"
check "no task ran" test ! -e "$OUT/touched.txt"
check "no recap" test ! -s "$SCRATCH/out"
# a bad ansible.cfg value names file:line and touches nothing
printf '[defaults]\nforks = lots\n' >"$SCRATCH/cwd/ansible.cfg"
RC=0
(cd "$SCRATCH/cwd" && "$LOUDVA" setup "$V/play/site.yml" -e "$CONN out=$OUT") \
	>"$SCRATCH/out" 2>"$SCRATCH/err" || RC=$?
check "bad ansible.cfg: exit 2, names ansible.cfg:2 ($(cat "$SCRATCH/err"))" \
	grep -q "ansible.cfg:2: forks = 'lots'" "$SCRATCH/err"

# ---- 3. the same playbook under ansible-playbook: the same recap and files
if command -v ansible-playbook >/dev/null; then
	AOUT=$SCRATCH/ansible
	fresh "$AOUT"
	run "$AOUT" ansible
	check "ansible-playbook runs site.yml (exit $RC)" test "$RC" = 0
	[ "$RC" = 0 ] || sed 's/^/    | /' "$SCRATCH/out" "$SCRATCH/err" | tail -30 >&2
	A_RECAP=$(recap_line)
	check "identical recaps: loudva '$LOUDVA_RECAP', ansible '$A_RECAP'" \
		test "$LOUDVA_RECAP" = "$A_RECAP"
	touch "$AOUT/report.txt"
	check "identical reports ($(diff "$OUT/report.txt" "$AOUT/report.txt" | head -5))" \
		cmp -s "$OUT/report.txt" "$AOUT/report.txt"
	check "identical lineinfile results" cmp -s "$OUT/app.conf" "$AOUT/app.conf"
else
	echo "skip: ansible-playbook is not installed; the comparison with Ansible is left out"
fi
finish
