#!/usr/bin/env bash
# `loudva console --attach URL` under tmux against two running `loudva serve`
# controllers on the embedded cluster: the attached console shows the
# controller's devices, a policy switch typed in it shows in the controller's
# /status (sent with --token-file's token), `:experiment NAME` runs on the
# controller (POST /control/experiment) with its progress in the Experiments
# view and `:experiment stop` stops it there (DELETE),
# quitting it leaves the controller answering. Attached to both without a token: the Sites view
# lists the two, Enter drills into one, a change is refused with the
# controller's 401 and changes nothing, 9 goes back to Sites, and a
# controller that stops shows as gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../live/lib.sh"

check() {
	local what=$1
	shift
	"$@" >/dev/null || fail "$what"
}
policy_of() { curl -s --max-time 5 "http://127.0.0.1:$1/status" | jq -r .policy; }
wait_policy() { # PORT POLICY
	for _ in $(seq 1 100); do
		[ "$(policy_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# bad URLs are refused before anything starts
rc=0
"$LOUDVA" console --attach ftp://127.0.0.1:1 >/dev/null 2>"$SCRATCH/bad.err" || rc=$?
check "--attach ftp://... exits 2 ($rc)" test "$rc" = 2
check "... naming the URL" grep -q "ftp://127.0.0.1:1: not an http:// or https:// URL" "$SCRATCH/bad.err"

TOKEN=attach-$$-$RANDOM
printf '%s\n' "$TOKEN" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
start_serve "$SCRATCH/a" --control-token-file "$SCRATCH/token" --results "$SCRATCH/results" || finish
A=$SERVE_PORT
A_PID=$SERVE_PID
start_serve "$SCRATCH/b" || finish
B=$SERVE_PORT
B_PID=$SERVE_PID
trap 'kill -INT $A_PID $B_PID 2>/dev/null; wait; tmux kill-server 2>/dev/null; rm -rf "$SCRATCH"' EXIT

# 1. one controller, with its token
start 120 30 "$LOUDVA" console --attach "http://127.0.0.1:$A" --token-file "$SCRATCH/token"
wait_for "the controller's devices" 60 -E 'nano-01 +nano +up'
wait_for "the attached controller named" 5 -F "http://127.0.0.1:$A (attached)"
keys ":policy round_robin" Enter
check "the console's policy switch shows in the controller's /status ($(policy_of "$A"))" \
	wait_policy "$A" round_robin
wait_for "the switch in the console's header" 10 -F "policy round_robin"
exp_of() { curl -s --max-time 5 "http://127.0.0.1:$A/control/experiment" | jq -r "$1"; }
keys ":experiment thesis-single-agx" Enter # minutes long: there is time to watch and stop it
wait_for "the controller's experiment, its progress in the Experiments view" 30 -F "running thesis-single-agx: pass"
check "the controller runs it ($(exp_of .state))" test "$(exp_of .spec)" = thesis-single-agx
keys ":experiment stop" Enter
for _ in $(seq 1 100); do [ "$(exp_of .state)" = stopped ] && break; sleep 0.1; done
check "':experiment stop' stopped it on the controller ($(exp_of .state))" test "$(exp_of .state)" = stopped
wait_for "... and the view says so" 10 -F "stopped through the control API"
keys q
wait_for "the console exits at once (nothing of its own to stop)" 20 -F CONSOLE-EXITED
check "it exits 0" test "$(cat "$SCRATCH/rc")" = 0
check "it says the controller keeps serving" grep -qF "the controllers keep serving" "$SCRATCH/stderr"
check "the controller still answers" curl -sf --max-time 5 "http://127.0.0.1:$A/healthz"
tmux kill-server 2>/dev/null
for _ in $(seq 1 50); do tmux has-session -t "$SESSION" 2>/dev/null || break; sleep 0.1; done

# 2. two controllers, no token
start 120 30 "$LOUDVA" console --attach "http://127.0.0.1:$A" --attach "http://127.0.0.1:$B/"
wait_for "the Sites view" 30 -F "Sites 2 controllers"
wait_for "site A's row, up with 5 devices" 30 -E "http://127.0.0.1:$A +up .* 5/0 "
wait_for "site B's row" 30 -E "http://127.0.0.1:$B +up .* 5/0 "
keys Enter
wait_for "Enter drills into the first site" 10 -F "http://127.0.0.1:$A (attached)"
wait_for "its devices" 10 -E 'nano-00 +nano +up'
keys ":policy fixed_batch" Enter
wait_for "a change without the token is refused with the controller's 401" 20 -F "HTTP 401"
check "... and changes nothing ($(policy_of "$A"))" test "$(policy_of "$A")" = round_robin
keys 9
wait_for "9 goes back to the Sites view" 10 -F "Sites 2 controllers"
kill -INT "$B_PID"
wait "$B_PID"
wait_for "a controller that stops shows as gone" 30 -E "http://127.0.0.1:$B +gone"
wait_for "... and as an alert" 10 -F "controller gone"
keys q
wait_for "the console exits" 20 -F CONSOLE-EXITED
check "the other controller still answers" curl -sf --max-time 5 "http://127.0.0.1:$A/healthz"
finish
