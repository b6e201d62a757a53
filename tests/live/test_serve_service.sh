#!/usr/bin/env bash
# `loudva serve` as loudva-controller.service runs it:
#   1. settings from --config (the command line still wins); a bad line is
#      refused naming the file and the line, and nothing starts;
#   2. Type=notify: on a real sd_notify socket (a datagram socket this test
#      listens on, as systemd does) READY=1 arrives once the front end answers,
#      with a STATUS naming the address and the policy; STOPPING=1 on SIGTERM;
#      WATCHDOG=1 when $WATCHDOG_USEC asks for it;
#   3. journald: with $JOURNAL_STREAM naming its stderr, log lines carry the
#      "<N>" priority prefix; without it they do not.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"

# 1. the configuration file
cat >"$SCRATCH/bad.conf" <<'EOC'
# comment
listen = 127.0.0.1:0

max-budget = lots
EOC
expect_exit 2 "bad.conf, line 4" -- serve --config "$SCRATCH/bad.conf" --agent "$LOUDVA_AGENT"
check "bad value: the option is named" grep -q -- "--max-budget" "$SCRATCH/err"
printf 'listen = 127.0.0.1:0\nbogus-setting = 1\n' >"$SCRATCH/unknown.conf"
expect_exit 2 "unknown.conf:2: unknown setting 'bogus-setting'" -- serve --config "$SCRATCH/unknown.conf"
printf 'json = maybe\n' >"$SCRATCH/flag.conf"
expect_exit 2 "flag.conf:1: json is a flag" -- serve --config "$SCRATCH/flag.conf"
printf 'policy\n' >"$SCRATCH/noval.conf"
expect_exit 2 "noval.conf:1: policy needs a value" -- serve --config "$SCRATCH/noval.conf"
expect_exit 2 "nonexistent.conf" -- serve --config "$SCRATCH/nonexistent.conf"

cat >"$SCRATCH/ctl.conf" <<EOC
# as /etc/loudva/controller.conf
listen = "127.0.0.1:0"
policy = round_robin
db = $SCRATCH/svc.db
json = yes
no-shm = no
EOC

# A datagram socket standing in for systemd's notify socket: every message
# it receives becomes one line of $SCRATCH/notify.log.
cat >"$SCRATCH/notify.py" <<'EOP'
import os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(path + ".ready", "w").close()
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode()
        log.write(msg.replace("\n", " | ") + "\n")
EOP
python3 "$SCRATCH/notify.py" "$SCRATCH/notify.sock" "$SCRATCH/notify.log" &
NPID=$!
for _ in $(seq 1 50); do [ -e "$SCRATCH/notify.sock.ready" ] && break; sleep 0.1; done
touch "$SCRATCH/serve.err"
JS=$(stat -c '%d:%i' "$SCRATCH/serve.err")

NOTIFY_SOCKET=$SCRATCH/notify.sock WATCHDOG_USEC=400000 JOURNAL_STREAM=$JS \
	start_serve "$SCRATCH/serve" --config "$SCRATCH/ctl.conf" --policy loud --log-level debug
# start_serve writes to serve.err by truncation: the same inode, so
# JOURNAL_STREAM still names it.
if [ -n "$SERVE_PORT" ]; then
	for _ in $(seq 1 50); do grep -q READY=1 "$SCRATCH/notify.log" 2>/dev/null && break; sleep 0.1; done
	check "READY=1 sent" grep -q "READY=1" "$SCRATCH/notify.log"
	check "the status names the address and the policy from the command line" \
		grep -q "STATUS=listening on 127.0.0.1:0 (port $SERVE_PORT), policy loud, 5 devices" "$SCRATCH/notify.log"
	check "ready means the front end answers" \
		bash -c "curl -sf http://127.0.0.1:$SERVE_PORT/healthz >/dev/null"
	check "--policy on the command line wins over the file" \
		bash -c "curl -s http://127.0.0.1:$SERVE_PORT/status | jq -e '.policy | startswith(\"loud\")'"
	sleep 1
	check "WATCHDOG=1 sent when asked for" grep -q "WATCHDOG=1" "$SCRATCH/notify.log"
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	rc=$?
	check "SIGTERM: clean exit ($rc)" test "$rc" -eq 0
	check "STOPPING=1 sent" grep -q "STOPPING=1" "$SCRATCH/notify.log"
	check "the database from the file was written" test -s "$SCRATCH/svc.db"
	check "json = yes from the file: the summary is JSON" jq -e '.policy' "$SCRATCH/serve.out"
	check "journal lines carry priorities" grep -qE '^<[3-7]>loudva serve: ' "$SCRATCH/serve.err"
	check "info events at priority 6" grep -qE "^<6>loudva serve: .* info " "$SCRATCH/serve.err"
fi
kill "$NPID" 2>/dev/null
wait "$NPID" 2>/dev/null

# 3. without JOURNAL_STREAM (a terminal, a file): no prefixes, no notify socket needed.
start_serve "$SCRATCH/plain" --duration 1 --log-level debug
if [ -n "$SERVE_PID" ]; then
	wait "$SERVE_PID"
	check "outside the journal: no priority prefixes" bash -c "! grep -qE '^<[0-7]>' '$SCRATCH/plain.err'"
	check "outside the journal: the events are still logged" grep -q "^loudva serve: .* info " "$SCRATCH/plain.err"
fi
finish
