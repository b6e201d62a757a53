#!/usr/bin/env bash
# The control API over real HTTP, against `loudva serve` on the embedded
# cluster: every change needs the bearer token (--control-token-file, private
# as the agents want theirs), is refused with a clear 4xx otherwise and
# changes nothing; a policy switch with parameters, drain / up / pin / release
# of a device show in /status; an experiment (the sim spec `tiny`, a
# `loudva --batch` child of serve) starts, is followed to its summary, and
# another is stopped; the server-sent event stream carries the changes, the
# experiment's start, runs and end, and the /status document, resumes after
# an event id, and ends when the controller stops cleanly.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"

TOKEN=control-$$-$RANDOM
printf '%s\n' "$TOKEN" >"$SCRATCH/token"
chmod 600 "$SCRATCH/token"
AUTH="Authorization: Bearer $TOKEN"

# A token file others may read is refused before anything starts.
cp "$SCRATCH/token" "$SCRATCH/open-token"
chmod 644 "$SCRATCH/open-token"
expect_exit 2 "open-token: group or others may read it" -- serve --listen 127.0.0.1:0 \
	--control-token-file "$SCRATCH/open-token" --agent "$LOUDVA_AGENT"

# code METHOD PATH [CURL ARGS...]: the HTTP status; the body in $SCRATCH/body.
code() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$SCRATCH/body" -D "$SCRATCH/headers" -w '%{http_code}' --max-time 10 -X "$m" "$@" \
		"http://127.0.0.1:$SERVE_PORT$p"
}
policy() { curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/status" | jq -r .policy; }
body_has() { grep -qF -- "$1" "$SCRATCH/body"; }

# 1. without a token configured: the API lists itself, but takes no change.
start_serve "$SCRATCH/open" || finish
check "GET /control lists the endpoints" test "$(code GET /control)" = 200
check "the list names /control/policy" body_has '/control/policy'
check "no token configured: a change is 403" \
	test "$(code POST /control/policy -H "$AUTH" -d '{"policy":"round_robin"}')" = 403
check "403 says how to configure it" body_has "--control-token-file"
kill -INT "$SERVE_PID"
wait "$SERVE_PID"

# 2. with a token
start_serve "$SCRATCH/serve" --control-token-file "$SCRATCH/token" --results "$SCRATCH/results" || finish
before=$(policy)
check "no token: 401" test "$(code POST /control/policy -d '{"policy":"round_robin"}')" = 401
check "401 asks for a bearer token" grep -qi '^WWW-Authenticate: Bearer' "$SCRATCH/headers"
check "401 names what is missing" body_has "missing bearer token"
check "wrong token: 401" \
	test "$(code POST /control/policy -H 'Authorization: Bearer nope' -d '{"policy":"round_robin"}')" = 401
check "a wrong token changes nothing" test "$(policy)" = "$before"
check "drain without the token: 401" test "$(code POST /control/devices/nano-00/drain)" = 401
check "... and the device stays up" test "$(status_of nano-00)" = up

# the policy, with parameters
check "policy switch: 200" \
	test "$(code POST /control/policy -H "$AUTH" -H 'Content-Type: application/json' \
		-d '{"policy":"fixed_batch:N=4,max_wait=2"}')" = 200
for _ in $(seq 1 50); do [ "$(policy)" = "fixed_batch(4,wait=2)" ] && break; sleep 0.1; done
check "the switch shows in /status ($(policy))" test "$(policy)" = "fixed_batch(4,wait=2)"
check "unknown policy: 400" test "$(code POST /control/policy -H "$AUTH" -d '{"policy":"nope"}')" = 400
check "400 names the policy" body_has "unknown policy 'nope'"
check "bad parameter: 400" test "$(code POST /control/policy -H "$AUTH" -d '{"policy":"fixed_batch:N=zero"}')" = 400
check "no policy field: 400" test "$(code POST /control/policy -H "$AUTH" -d '{"polcy":"loud"}')" = 400
check "400 names the field" body_has "policy: want a policy name"
check "not JSON: 400" test "$(code POST /control/policy -H "$AUTH" -d 'policy=loud')" = 400
head -c 5000 /dev/zero | tr '\0' ' ' >"$SCRATCH/big"
check "a body over 4 KiB: 413" test "$(code POST /control/policy -H "$AUTH" --data-binary "@$SCRATCH/big")" = 413
check "after all the refusals, the policy is the one switched to" test "$(policy)" = "fixed_batch(4,wait=2)"

# devices
check "drain: 200" test "$(code POST /control/devices/nano-00/drain -H "$AUTH")" = 200
check "nano-00 draining in /status" wait_state nano-00 draining 5
check "up: 200" test "$(code POST /control/devices/nano-00/up -H "$AUTH")" = 200
check "nano-00 up again" wait_state nano-00 up 5
maxf=$(curl -s "http://127.0.0.1:$SERVE_PORT/status" | jq -r '.devices[] | select(.name == "nano-01") | .max_freq_hz')
check "pin at the device's top clock: 200" \
	test "$(code POST /control/devices/nano-01/pin -H "$AUTH" -d "{\"freq_hz\": $maxf}")" = 200
check "pin answers the clock" jq -e --arg f "$maxf" '.freq_hz == $f' "$SCRATCH/body"
check "pin at a clock the device lacks: 400" \
	test "$(code POST /control/devices/nano-01/pin -H "$AUTH" -d '{"freq_hz": 12}')" = 400
check "400 names the clock" body_has "12 Hz is not a clock of nano"
check "pin without freq_hz: 400" test "$(code POST /control/devices/nano-01/pin -H "$AUTH" -d '{}')" = 400
check "release: 200" test "$(code POST /control/devices/nano-01/release -H "$AUTH")" = 200
check "unknown device: 404" test "$(code POST /control/devices/nano-99/drain -H "$AUTH")" = 404
check "404 names the device" body_has "nano-99"
check "unknown verb: 404" test "$(code POST /control/devices/nano-00/reboot -H "$AUTH")" = 404
check "GET on a change: 405" test "$(code GET /control/policy)" = 405
check "405 says what is allowed" grep -qi '^Allow: POST' "$SCRATCH/headers"

# experiments: refusals first (nothing runs, so each says what is wrong)
exp_state() { curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/control/experiment" | jq -r .state; }
check "experiment: idle before any start" test "$(exp_state)" = idle
check "experiment: /status carries it" \
	bash -c "curl -s http://127.0.0.1:$SERVE_PORT/status | jq -e '.experiment.state == \"idle\"'"
check "experiment without the token: 401" test "$(code POST /control/experiment -d '{"spec":"tiny"}')" = 401
check "experiment, not JSON: 400" test "$(code POST /control/experiment -H "$AUTH" -d 'spec=tiny')" = 400
check "experiment, no spec field: 400" test "$(code POST /control/experiment -H "$AUTH" -d '{"name":"tiny"}')" = 400
check "400 names the field" body_has "spec: want an experiment spec's name"
check "unknown spec: 404" test "$(code POST /control/experiment -H "$AUTH" -d '{"spec":"nope"}')" = 404
check "404 names the spec" body_has "nope.json: no such spec"
printf '{"name": "half", "mode": "sim"}\n' >"$SCRATCH/half.json"
check "a spec that does not load: 400" \
	test "$(code POST /control/experiment -H "$AUTH" -d "{\"spec\":\"$SCRATCH/half.json\"}")" = 400
check "400 says what the spec lacks" body_has "half.json: cluster: missing"
check "stop with none run: 404" test "$(code DELETE /control/experiment -H "$AUTH")" = 404
check "nothing started by the refusals" test "$(exp_state)" = idle
# start tiny, refuse a second, follow it to its summary
check "start tiny: 200" test "$(code POST /control/experiment -H "$AUTH" -d '{"spec":"tiny"}')" = 200
check "the answer says it runs" jq -e '.state == "running" and .spec == "tiny"' "$SCRATCH/body"
check "a second start while it runs: 409" \
	test "$(code POST /control/experiment -H "$AUTH" -d '{"spec":"tiny"}')" = 409
check "409 names the running one" body_has "experiment tiny is still running"
for _ in $(seq 1 600); do [ "$(exp_state)" = running ] || break; sleep 0.1; done
code GET /control/experiment >/dev/null
check "tiny done: exit 0, every run" \
	jq -e '.state == "done" and .exit_status == 0 and .runs_done == .runs_total and .runs_total > 0' "$SCRATCH/body"
check "its summary table" test -s "$(jq -r .summary "$SCRATCH/body")"
check "the summary in the report directory" \
	test "$(jq -r .summary "$SCRATCH/body")" = "$(jq -r .out_dir "$SCRATCH/body")/summary.csv"
check "the summary compares the policies" grep -q '^fixed_batch' "$(jq -r .summary "$SCRATCH/body")"
check "stop when none runs: 409" test "$(code DELETE /control/experiment -H "$AUTH")" = 409
# start one and stop it
check "start again: 200" test "$(code POST /control/experiment -H "$AUTH" -d '{"spec":"tiny"}')" = 200
check "stop without the token: 401" test "$(code DELETE /control/experiment)" = 401
check "stop: 200" test "$(code DELETE /control/experiment -H "$AUTH")" = 200
for _ in $(seq 1 100); do [ "$(exp_state)" = running ] || break; sleep 0.1; done
check "stopped, with the signal's exit status" \
	bash -c "curl -s http://127.0.0.1:$SERVE_PORT/status | jq -e '.experiment.state == \"stopped\" and .experiment.exit_status == 143 and .experiment.summary == null'"

# 3. the event stream: what happened so far, the status document, resuming
curl -sN --max-time 30 "http://127.0.0.1:$SERVE_PORT/control/events?status=1" >"$SCRATCH/events" &
CURL=$!
code POST /control/devices/xavier-nx-01/drain -H "$AUTH" >/dev/null
for _ in $(seq 1 50); do
	grep -q 'xavier-nx-01: draining' "$SCRATCH/events" && grep -q '^event: status' "$SCRATCH/events" && break
	sleep 0.1
done
check "stream: content type" \
	bash -c "curl -s -D - -o /dev/null --max-time 1 http://127.0.0.1:$SERVE_PORT/control/events | grep -qi '^content-type: text/event-stream'"
check "stream: the policy switch, as an event" grep -q '"source":"control","text":"policy fixed_batch:N=4,max_wait=2"' "$SCRATCH/events"
check "stream: a change made while it is open" grep -q 'xavier-nx-01: draining' "$SCRATCH/events"
check "stream: the experiment's start" grep -q '"source":"experiment","text":"experiment tiny started' "$SCRATCH/events"
check "stream: its runs, one by one" grep -q '"text":"experiment tiny: run 1 of [0-9]* done' "$SCRATCH/events"
check "stream: its end, with the summary" grep -q '"text":"experiment tiny finished: exit 0, .*summary.csv' "$SCRATCH/events"
check "stream: the stop" grep -q '"text":"experiment tiny stopped (exit 143)' "$SCRATCH/events"
check "stream: the /status document (status=1)" \
	bash -c "grep -A1 '^event: status' '$SCRATCH/events' | sed -n 's/^data: //p' | head -1 | jq -e '.devices | length == 5'"
last=$(sed -n 's/^id: //p' "$SCRATCH/events" | tail -1)
first=$(sed -n 's/^id: //p' "$SCRATCH/events" | head -1)
check "stream: event ids ($first..$last)" test -n "$last" -a "${first:-0}" -lt "${last:-0}"
curl -sN --max-time 2 -H "Last-Event-ID: $((last - 1))" "http://127.0.0.1:$SERVE_PORT/control/events" >"$SCRATCH/resumed"
check "resume after Last-Event-ID: the next event only" \
	test "$(sed -n 's/^id: //p' "$SCRATCH/resumed" | head -1)" = "$last"
check "a bad Last-Event-ID: 400" test "$(code GET '/control/events?since=x')" = 400

# 4. stopping with the stream open: serve stops cleanly, the stream ends
kill -INT "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
check "serve stops cleanly with an event stream open ($rc)" test "$rc" -eq 0
wait "$CURL"
crc=$?
check "the stream ended when the controller stopped (curl $crc, not its time-out 28)" test "$crc" -ne 28
finish
