# Helpers for the SSH scenario scripts: a real OpenSSH server on a free
# loopback port, with a host key, a user key and known_hosts all generated in
# the scratch directory. Source it after tests/cli/lib.sh; run from the repo root.
#
#   sshd_start          starts sshd; sets SSHD_PORT, SSHD_DIR (keys, config)
#   sshd_start_bare     a second sshd without SFTP (after sshd_start); sets
#                       SSHD_NOSFTP_PORT and SSHD_NOSCP_PORT (no scp either)
#   sshd_restart_newkey replaces the host key (a "reinstalled" host)
#   free_port           prints a free TCP port on 127.0.0.1 (bash only, no python)
#   closed_port         prints a loopback port nothing listens on

# A random port in 20000..60999 that nothing listens on now (the caller binds
# it soon after; a clash makes sshd or the agent fail loudly, not silently).
# Below the kernel's ephemeral range (32768 and up here), which the port-0
# listeners and client sockets of tests running beside this one draw from:
# a port chosen there could be taken before its server binds it.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		port_open "$p" || break
	done
	echo "$p"
}

closed_port() {
	free_port
}

# port_open PORT: is something listening on 127.0.0.1:PORT?
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _sshd_write_config [FILE [PORT]]: the server's configuration; the default
# server has the SFTP subsystem, others get their own lines after it.
_sshd_write_config() {
	local file=${1:-$SSHD_DIR/sshd_config} port=${2:-$SSHD_PORT}
	cat >"$file" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_key
PidFile none
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
MaxStartups 50:30:100
MaxSessions 50
LogLevel VERBOSE
CFG
	[ "$file" = "$SSHD_DIR/sshd_config" ] && echo "Subsystem sftp internal-sftp" >>"$file"
	return 0
}

# The login user's ~/.bashrc runs for every command sshd starts (bash does so
# when started by sshd); a heavy one (pyenv init takes seconds here) would make
# each task slow. When a private mount namespace can be had, sshd runs in one
# where that file is empty; the machine's own file is not touched.
#
# _sshd_launch [CONFIG LOG PORT]: starts the default server, or another one;
# the process is in LAUNCHED_PID (and SSHD_PID for the default).
_sshd_launch() {
	local rc cfg=${1:-$SSHD_DIR/sshd_config} log=${2:-$SSHD_DIR/sshd.log} port=${3:-$SSHD_PORT}
	rc="$(getent passwd "$(id -un)" | cut -d: -f6)/.bashrc"
	if [ -f "$rc" ] && unshare -m true 2>/dev/null; then
		: >"$SSHD_DIR/empty_bashrc"
		unshare -m sh -c 'mount --bind "$1" "$2" && exec /usr/sbin/sshd -D -f "$3" -E "$4"' \
			sh "$SSHD_DIR/empty_bashrc" "$rc" "$cfg" "$log" &
	else
		/usr/sbin/sshd -D -f "$cfg" -E "$log" &
	fi
	LAUNCHED_PID=$!
	[ $# -eq 0 ] && SSHD_PID=$LAUNCHED_PID
	local i
	for i in $(seq 1 100); do
		port_open "$port" && return 0
		kill -0 "$LAUNCHED_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "sshd did not start:" >&2
	cat "$log" >&2
	return 1
}

sshd_start() {
	SSHD_DIR=$SCRATCH/sshd
	mkdir -p "$SSHD_DIR" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -C loudva-test-host -f "$SSHD_DIR/host_key"
	ssh-keygen -q -t ed25519 -N '' -C loudva-test-user -f "$SSHD_DIR/user_key"
	ssh-keygen -q -t ed25519 -N '' -C loudva-test-stranger -f "$SSHD_DIR/wrong_key"
	cp "$SSHD_DIR/user_key.pub" "$SSHD_DIR/authorized_keys"
	chmod 600 "$SSHD_DIR/authorized_keys"
	# Another process may take the port between free_port and sshd's bind:
	# then try another port.
	local try
	for try in 1 2 3 4 5; do
		SSHD_PORT=$(free_port)
		_sshd_write_config
		: >"$SSHD_DIR/sshd.log"
		_sshd_launch 2>/dev/null && return 0
		grep -q "Address already in use" "$SSHD_DIR/sshd.log" || break
	done
	echo "sshd did not start:" >&2
	cat "$SSHD_DIR/sshd.log" >&2
	return 1
}

# A host as some minimal images are: sshd without an SFTP subsystem, the same
# keys. On SSHD_NOSFTP_PORT scp is there; on SSHD_NOSCP_PORT the login's PATH
# is a directory of links to every program of /usr/bin and /bin but scp, so
# only a pipe through the shell can move files.
sshd_start_bare() {
	local cfg=$SSHD_DIR/sshd_bare_config log=$SSHD_DIR/sshd_bare.log nobin=$SSHD_DIR/noscp-bin
	mkdir -p "$nobin"
	ln -s /usr/bin/* "$nobin/"
	[ -L /bin ] || ln -s /bin/* "$nobin/" 2>/dev/null # names in both: /usr/bin's
	rm -f "$nobin/scp"
	local try
	for try in 1 2 3 4 5; do
		SSHD_NOSFTP_PORT=$(free_port)
		SSHD_NOSCP_PORT=$(free_port)
		_sshd_write_config "$cfg" "$SSHD_NOSFTP_PORT"
		printf 'Port %s\nMatch LocalPort %s\n\tSetEnv PATH=%s:/usr/sbin:/sbin\n' \
			"$SSHD_NOSCP_PORT" "$SSHD_NOSCP_PORT" "$nobin" >>"$cfg"
		: >"$log"
		if _sshd_launch "$cfg" "$log" "$SSHD_NOSFTP_PORT" 2>/dev/null; then
			SSHD_BARE_PID=$LAUNCHED_PID
			return 0
		fi
		grep -q "Address already in use" "$log" || break
	done
	echo "the sshd without SFTP did not start:" >&2
	cat "$log" >&2
	return 1
}

_sshd_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Stops every server started here.
sshd_stop() {
	_sshd_kill "${SSHD_PID:-}"
	_sshd_kill "${SSHD_BARE_PID:-}"
	SSHD_PID=
	SSHD_BARE_PID=
}

sshd_restart_newkey() {
	_sshd_kill "${SSHD_PID:-}"
	SSHD_PID=
	rm -f "$SSHD_DIR/host_key" "$SSHD_DIR/host_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C loudva-test-host-2 -f "$SSHD_DIR/host_key"
	# Same port (the test wants a changed key at a known address); the old
	# listener may take a moment to go.
	local try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		: >"$SSHD_DIR/sshd.log"
		_sshd_launch 2>/dev/null && return 0
		grep -q "Address already in use" "$SSHD_DIR/sshd.log" || break
		sleep 0.5
	done
	echo "sshd did not restart:" >&2
	cat "$SSHD_DIR/sshd.log" >&2
	return 1
}
