#!/usr/bin/env bash
# `make agent` as playbooks/agent.yml runs it on a Jetson: in a clean copy of
# what the playbook packs (Makefile, core/, agents/), it builds
# build/agent/loudva-agent through its own package list (make agent-deps)
# and never through the controller's (make deps): none of the controller's
# packages is asked for, no controller library is linked, and the agent it
# builds runs (an emulated device answering /healthz). It has no XGBoost: not
# on the package list, not linked, and the predictor's cost modes are refused
# at start-up with the reason.
. "$(dirname "$0")/../cli/lib.sh"
unset MAKEFLAGS MFLAGS
SRC=$SCRATCH/src
mkdir -p "$SRC"
tar -cf - Makefile core agents | tar -xf - -C "$SRC"

# The controller's packages: none may be on the agent's list.
CONTROLLER_ONLY="libsqlite3-dev libssh-dev libyaml-dev libpng-dev
	libncurses-dev gnuplot-nox jq tmux sqlite3 wrk prometheus libsystemd-dev libcmocka-dev
	ansible-lint yamllint clang openssh-server"
list=$(make --no-print-directory -s -C "$SRC" agent-deps-list)
check "make agent-deps-list names packages" test -n "$list"
for p in $CONTROLLER_ONLY; do
	case " $list " in *" $p "*) fail "make agent-deps would install the controller's $p" ;; esac
done
for p in gcc make pkg-config libmicrohttpd-dev libcjson-dev zlib1g-dev libturbojpeg0-dev; do
	case " $list " in *" $p "*) ;; *) fail "make agent-deps lacks $p" ;; esac
done
# Each JetPack release's list: no XGBoost, no libcurl (the agent does not use
# it); 18.04 and 20.04 predate the cJSON and libmicrohttpd the agent needs
# (18.04 the libjpeg-turbo too), which are built from source there
# (AGENT_LIB_PREFIX, playbooks/agent.yml): what those builds need instead.
for v in 18.04 20.04 22.04; do
	l=$(make --no-print-directory -s -C "$SRC" OS_VERSION_ID=$v agent-deps-list)
	case " $l " in *" libxgboost-dev "* | *" libcurl"*) fail "the $v list: $l" ;; esac
	has=$(for p in libcjson-dev libmicrohttpd-dev libturbojpeg0-dev cmake libgnutls28-dev; do
		case " $l " in *" $p "*) echo -n "$p " ;; esac
	done)
	case $v in
	18.04) want="cmake libgnutls28-dev " ;;
	20.04) want="libturbojpeg0-dev cmake libgnutls28-dev " ;;
	22.04) want="libcjson-dev libmicrohttpd-dev libturbojpeg0-dev " ;;
	esac
	check "the $v list names '$has', want '$want' ($l)" test "$has" = "$want"
done
# Building against libraries in a prefix adds what their builds need.
l=$(make --no-print-directory -s -C "$SRC" AGENT_LIB_PREFIX=/opt/x agent-deps-list)
for p in cmake libgnutls28-dev; do
	case " $l " in *" $p "*) ;; *) fail "agent-deps-list with AGENT_LIB_PREFIX lacks $p ($l)" ;; esac
done

# -O0 and no hardening: the test is about what is built and linked, not speed.
if ! make --no-print-directory -j2 -C "$SRC" agent CFLAGS=-O0 HARDEN=0 >"$SCRATCH/build.log" 2>&1; then
	fail "make agent failed in a clean copy"
	tail -20 "$SCRATCH/build.log" >&2
fi
A=$SRC/build/agent/loudva-agent
check "make agent built build/agent/loudva-agent" test -x "$A"
check "it went through agent-deps" test -e "$SRC/build/.agent-deps-ok"
check "it never went through the controller's deps" test ! -e "$SRC/build/.deps-ok"
check "it built no controller program" test ! -e "$SRC/build/loudva"
# A library pkg-config cannot find, or finds too old, stops agent-deps with
# its name (and on 18.04 and 20.04 what to install by hand), before anything
# is compiled.
mkdir -p "$SCRATCH/nopc"
rm -f "$SRC/build/.agent-deps-ok"
rc=0
PKG_CONFIG_LIBDIR=$SCRATCH/nopc make --no-print-directory -C "$SRC" OS_VERSION_ID=20.04 agent-deps \
	>/dev/null 2>"$SCRATCH/err" || rc=$?
check "agent-deps without the libraries fails" test "$rc" != 0
check "  naming them" grep -qF "pkg-config finds no libcjson >= 1.7.13, libmicrohttpd >= 0.9.71, zlib, libturbojpeg >= 2.0" "$SCRATCH/err"
check "  and, on 20.04, how to build them" grep -q "Ubuntu 20.04 (JetPack 5) has too old a cJSON and libmicrohttpd: build them from their source releases into a prefix and run make agent AGENT_LIB_PREFIX=DIR" "$SCRATCH/err"
check "  leaving no stamp" test ! -e "$SRC/build/.agent-deps-ok"
rc=0
make --no-print-directory -C "$SRC" agent-deps AGENT_PKG_MIN=libcjson:99 >/dev/null 2>"$SCRATCH/err" || rc=$?
check "agent-deps with too old a library fails ($rc)" test "$rc" != 0
check "  naming the version it has" grep -q "pkg-config finds no libcjson >= 99 (it has [0-9]" "$SCRATCH/err"
dirs=$(cd "$SRC/build/agent" && find . -name '*.o' -exec dirname {} \; | sed 's|^\./||' | sort -u | tr '\n' ' ')
check "it compiled only agents/ and core/base, model, sched ($dirs)" \
	test "$dirs" = "agents core/base core/model core/sched "
if [ -x "$A" ]; then
	needed=$(readelf -d "$A" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
	for lib in libsqlite3 libssh libyaml libncurses libpng libsystemd libxgboost; do
		case "$needed" in *"$lib"*) fail "the agent links the controller's $lib ($needed)" ;; esac
	done
	# fill and pred need the predictor: refused before anything starts.
	for m in pred fill; do
		LOUDVA=$A expect_exit 2 "--mode: '$m': this loudva-agent was built without the cost predictor" \
			-- --emulate nano --profile profiles/nano.json --mode $m --listen 127.0.0.1:0
	done
	check "  and it says what works instead" grep -qF -- "--mode prof" "$SCRATCH/err"
	PORT=$((20000 + RANDOM % 40000))
	"$A" --emulate nano --profile profiles/nano.json --listen "127.0.0.1:$PORT" --duration 20 \
		>"$SCRATCH/agent.log" 2>&1 &
	APID=$!
	ok=0
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$PORT/healthz" >"$SCRATCH/health" 2>/dev/null && { ok=1; break; }
		kill -0 "$APID" 2>/dev/null || break
		sleep 0.1
	done
	check "the agent built alone answers /healthz" test "$ok" = 1
	check "  as an emulated nano" grep -q '"kind": *"nano"' "$SCRATCH/health"
	kill "$APID" 2>/dev/null
	wait "$APID" 2>/dev/null
fi
finish
