#!/usr/bin/env bash
# `make install` as a Debian package build does it, and the installed programs
# run from a directory outside the checkout:
#   1. a release build with PREFIX=/usr and a packager's CFLAGS, CPPFLAGS and
#      LDFLAGS, installed into a temporary DESTDIR; the flags reach the
#      compiler and the linker, and the programs come out hardened (PIE,
#      full RELRO, stack protector, fortify);
#   2. from an empty directory, with a fresh HOME and the staged share/ on
#      XDG_DATA_DIRS (as /usr/share would be once installed): `loudva demo`,
#      `loudva serve` on the embedded cluster (devices up over HTTP, clean
#      stop), `loudva-agent --emulate nano`, an experiment by its data-path
#      name; caches and results land under the XDG dirs, nothing in the
#      working directory;
#   3. the data search path's error when the data is nowhere, and --data-dir;
#   4. `man -l` renders both pages; bash completion completes commands and
#      options from the installed programs;
#   5. `make uninstall` leaves nothing in DESTDIR;
#   6. installed under a scratch PREFIX, the systemd units pass
#      `systemd-analyze verify`, the controller's `systemd-analyze security`
#      exposure is at most 4.0, its configuration parses, and a changed
#      configuration survives `make uninstall`.
. "$(dirname "$0")/../cli/lib.sh"
unset MAKEFLAGS MFLAGS
S=$SCRATCH
ROOT=$S/root
B=$S/build
mk() { make --no-print-directory -j2 BUILD="$B" PREFIX=/usr DESTDIR="$ROOT" "$@"; }

# 1. build and install with a packager's flags
if ! mk V=1 CFLAGS="-O1 -ffile-prefix-map=$PWD=." CPPFLAGS="-Wdate-time" \
	LDFLAGS="-Wl,--as-needed" install >"$S/make.log" 2>&1; then
	fail "make install failed: $(tail -20 "$S/make.log")"
	finish
fi
grep -E '^(gcc|cc|clang) .* -c core/base/datapath.c' "$S/make.log" >"$S/cc.line"
check "CFLAGS reach the compiler" grep -q -- "-ffile-prefix-map=$PWD=." "$S/cc.line"
check "CPPFLAGS reach the compiler" grep -q -- "-Wdate-time" "$S/cc.line"
check "fortify by default" grep -q -- "-D_FORTIFY_SOURCE=2" "$S/cc.line"
check "stack protector by default" grep -q -- "-fstack-protector-strong" "$S/cc.line"
check "LDFLAGS reach the linker" bash -c "grep -F -- \"-o $B/loudva \" \"$S/make.log\" | grep -qF -- -Wl,--as-needed"
BIN=$ROOT/usr/bin
for p in loudva loudva-agent; do
	check "$p installed" test -x "$BIN/$p"
	check "$p is PIE" bash -c "readelf -h '$BIN/$p' | grep -q 'DYN'"
	check "$p has full RELRO" bash -c "readelf -lW '$BIN/$p' | grep -q GNU_RELRO && readelf -d '$BIN/$p' | grep -q BIND_NOW"
	check "$p has the stack protector" bash -c "nm -D '$BIN/$p' | grep -q __stack_chk_fail"
	check "$p is fortified" bash -c "nm -D '$BIN/$p' | grep -q '_chk@'"
done
for f in profiles/clusters/thesis.json profiles/nano.json model_repository/inception_graphdef/config.pbtxt \
	experiments/tiny.json playbooks/agent.yml; do
	check "share/loudva/$f installed" cmp -s "$f" "$ROOT/usr/share/loudva/$f"
done
check "the agent's unit names the installed binary" \
	grep -q "^ExecStart=/usr/bin/loudva-agent" "$ROOT/usr/lib/systemd/system/loudva-agent.service"

# 2. the installed programs, from outside the checkout
mkdir -p "$S/home" "$S/work"
CHECKOUT=$PWD
cd "$S/work" || exit 1
unset XDG_DATA_HOME XDG_CACHE_HOME XDG_STATE_HOME LOUDVA_DATA_DIR
export HOME="$S/home" XDG_DATA_DIRS="$ROOT/usr/share" TMPDIR="$S"
"$BIN/loudva" demo >"$S/demo.out" 2>"$S/demo.err" || fail "installed loudva demo failed: $(cat "$S/demo.err")"
check "demo compares two policies" grep -q "frames per joule" "$S/demo.out"

"$BIN/loudva" serve --listen 127.0.0.1:0 --info "$S/info.json" >"$S/serve.out" 2>"$S/serve.err" &
pid=$!
for _ in $(seq 1 300); do
	[ -s "$S/info.json" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -s "$S/info.json" ]; then
	port=$(jq -r .port "$S/info.json")
	up=""
	for _ in $(seq 1 100); do
		up=$(curl -s --max-time 5 "http://127.0.0.1:$port/status" | jq '[.devices[] | select(.state == "up")] | length')
		[ "$up" = 5 ] && break
		sleep 0.1
	done
	check "installed serve: five embedded devices up ($up)" test "$up" = 5
	check "installed serve: /metrics answers" bash -c "curl -sf http://127.0.0.1:$port/metrics | grep -q '^loudva_'"
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	check "installed serve stops cleanly on SIGINT (exit $rc)" test "$rc" -eq 0
else
	fail "installed serve did not come up: $(cat "$S/serve.err")"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
fi
check "predictor cache under XDG_CACHE_HOME" test -s "$S/home/.cache/loudva/predictor.json"

"$BIN/loudva-agent" --emulate nano --listen 127.0.0.1:0 --port-file "$S/agent.port" \
	2>"$S/agent.err" &
apid=$!
for _ in $(seq 1 100); do
	[ -s "$S/agent.port" ] && break
	kill -0 "$apid" 2>/dev/null || break
	sleep 0.1
done
if [ -s "$S/agent.port" ]; then
	aport=$(cat "$S/agent.port")
	check "installed agent: emulated nano healthy" \
		bash -c "curl -s http://127.0.0.1:$aport/healthz | jq -e '.kind == \"nano\"'"
	check "installed agent: the model from the installed repository" \
		bash -c "curl -s http://127.0.0.1:$aport/v2/models/inception_graphdef | jq -e '.name == \"inception_graphdef\"'"
	kill -TERM "$apid"
	wait "$apid"
	check "installed agent stops cleanly" test "$?" -eq 0
else
	fail "installed agent did not come up: $(cat "$S/agent.err")"
	kill "$apid" 2>/dev/null
	wait "$apid" 2>/dev/null
fi

"$BIN/loudva" --batch experiments/tiny.json >"$S/batch.out" 2>"$S/batch.err" ||
	fail "installed --batch experiments/tiny.json failed: $(tail -3 "$S/batch.err")"
check "experiment results under XDG_STATE_HOME" test -s "$S/home/.local/state/loudva/results/tiny/report.json"
check "nothing written in the working directory ($(ls -A "$S/work"))" test -z "$(ls -A "$S/work")"

# 3. no data anywhere: the error names the file; --data-dir finds it again
(XDG_DATA_DIRS=/nonexistent "$BIN/loudva" decide --queue 4 --remaining 1) >/dev/null 2>"$S/nodata.err"
check "missing data: the message names the cluster file" grep -q "profiles/clusters/thesis.json" "$S/nodata.err"
(XDG_DATA_DIRS=/nonexistent "$BIN/loudva" --data-dir "$ROOT/usr/share/loudva" demo) >"$S/dd.out" 2>"$S/dd.err" ||
	fail "loudva --data-dir DIR demo failed: $(cat "$S/dd.err")"

# 4. man pages and completion
for page in man1/loudva.1 man8/loudva-agent.8; do
	MANWIDTH=80 man -l "$ROOT/usr/share/man/$page" >"$S/man.txt" 2>"$S/man.err"
	check "man -l $page renders" grep -q "^NAME" "$S/man.txt"
	check "man -l $page: no warnings" test ! -s "$S/man.err"
done
check "loudva(1) documents the data search path" grep -q "XDG_DATA_DIRS" "$S/man.txt" ||
	MANWIDTH=80 man -l "$ROOT/usr/share/man/man1/loudva.1" | grep -q XDG_DATA_DIRS
if [ -r /usr/share/bash-completion/bash_completion ]; then
	cat >"$S/comp.sh" <<'EOS'
source /usr/share/bash-completion/bash_completion
source "$ROOT/usr/share/bash-completion/completions/loudva"
source "$ROOT/usr/share/bash-completion/completions/loudva-agent"
comp() {
	COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}; COMPREPLY=()
	"$FN" "${COMP_WORDS[0]}" "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
	echo "${COMPREPLY[*]}"
}
FN=_loudva comp "$ROOT/usr/bin/loudva" se
FN=_loudva comp "$ROOT/usr/bin/loudva" serve --li
FN=_loudva comp "$ROOT/usr/bin/loudva" profile s
FN=_loudva_agent comp "$ROOT/usr/bin/loudva-agent" --emulate n
EOS
	ROOT=$ROOT bash "$S/comp.sh" >"$S/comp.out" 2>&1
	check "completion: loudva se<TAB>" sed -n 1p "$S/comp.out" | grep -qx "serve setup"
	check "completion: serve --li<TAB>" bash -c "sed -n 2p '$S/comp.out' | grep -qx -- --listen"
	check "completion: profile s<TAB>" bash -c "sed -n 3p '$S/comp.out' | grep -qx show"
	check "completion: loudva-agent --emulate n<TAB>" bash -c "sed -n 4p '$S/comp.out' | grep -qx nano"
else
	fail "bash-completion is not installed (make deps installs it)"
fi

# 5. uninstall leaves nothing
cd "$CHECKOUT" || exit 1
mk uninstall >"$S/uninstall.log" 2>&1 || fail "make uninstall failed: $(tail -5 "$S/uninstall.log")"
left=$(find "$ROOT" -mindepth 1 2>/dev/null)
check "make uninstall leaves nothing (left: $left)" test -z "$left"

# 6. the systemd units, installed for real under a prefix (so that the paths
#    they name exist): systemd-analyze verify passes, the controller's
#    exposure is at most 4.0, the configuration is installed once and kept
#    when changed. Only the data path's object is rebuilt for the new PREFIX.
P=$S/prefix
pk() { make --no-print-directory -j2 BUILD="$B" PREFIX="$P" "$@"; }
pk install >"$S/install2.log" 2>&1 || fail "make install PREFIX=$P failed: $(tail -5 "$S/install2.log")"
UNITS=$P/lib/systemd/system
check "controller unit installed" test -s "$UNITS/loudva-controller.service"
check "controller unit runs the installed loudva with the installed configuration" \
	grep -qx "ExecStart=$P/bin/loudva serve --config $P/etc/loudva/controller.conf" \
	"$UNITS/loudva-controller.service"
check "controller configuration installed" test -s "$P/etc/loudva/controller.conf"
if MANPATH="$P/share/man:" systemd-analyze verify "$UNITS/loudva-controller.service" \
	"$UNITS/loudva-agent.service" >"$S/verify.out" 2>&1; then
	:
else
	fail "systemd-analyze verify: $(cat "$S/verify.out")"
fi
systemd-analyze security --offline=yes "$UNITS/loudva-controller.service" >"$S/security.out" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for loudva-controller.service: \([0-9.]*\).*/\1/p' "$S/security.out")
check "controller exposure $exposure <= 4.0" awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 4.0) }'
# The installed configuration is what serve reads: it parses as serve's options.
sed -e 's|^db = .*|db = '"$S"'/svc.db|' "$P/etc/loudva/controller.conf" >"$S/controller.conf"
"$P/bin/loudva" serve --config "$S/controller.conf" --help >/dev/null 2>"$S/conf.err" ||
	fail "the installed configuration does not parse: $(cat "$S/conf.err")"
echo "# a local change" >>"$P/etc/loudva/controller.conf"
pk uninstall >"$S/uninstall2.log" 2>&1 || fail "make uninstall PREFIX=$P failed"
check "a changed configuration is kept" test -s "$P/etc/loudva/controller.conf"
rm -f "$P/etc/loudva/controller.conf"
rmdir "$P/etc/loudva" 2>/dev/null
check "uninstall removed the units and programs" test ! -e "$UNITS/loudva-controller.service" -a ! -e "$P/bin/loudva"
finish
