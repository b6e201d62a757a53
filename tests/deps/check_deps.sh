#!/usr/bin/env bash
# check_deps: the layers' rules, checked (`make check-deps`, run by `make test`).
#
# ARCHITECTURE.md is the prose of these rules; this script is their letter.
# Three checks, each naming the file and line (or object and symbol) at fault:
#   1. includes: each folder includes project headers only from the folders
#      its rule allows, and outside libraries' headers only where allowed;
#   2. link: the scheduling library (core/sched), with every object of
#      core/model and core/base it pulls in, needs no symbol outside the
#      libc/libm allow-list in tests/deps/sched_symbols.txt;
#   3. cycles: no two objects of core/, console/, views/ or agents/ reach
#      each other through the symbols they use (tsort finds the loops).
# Usage: check_deps.sh BUILD_DIR   (BUILD_DIR/rel holds the release objects
# and the per-layer archives libloudva-<layer>.a).
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
REL=$BUILD/rel
bad=0
fail() {
	echo "check-deps: $*" >&2
	bad=1
}

# ---- 1. includes -------------------------------------------------------
# folder: the project folders it may include from (besides itself).
declare -A MAY=(
	[core/base]=""
	[core/model]="base"
	[core/sched]="base model"
	[core/sim]="base model sched"
	[core/store]="base model sched"
	[core/live]="base model sched store"
	[core/front]="base model sched live"
	[core/exp]="base model sched sim store"
	[core/harness]="base model sched front live"
	[core/deploy]="base"
	[agents]="base model sched"
	[views]="base model sched"
	[console]="*"
)
# folder: the outside libraries whose headers it may include.
declare -A LIBS=(
	[core/base]=""
	[core/model]="cjson xgboost"
	[core/sched]=""
	[core/sim]=""
	[core/store]="sqlite3"
	[core/live]="curl cjson"
	[core/front]="microhttpd cjson turbojpeg png"
	[core/exp]="cjson"
	[core/harness]="curl cjson"
	[core/deploy]="libssh yaml pcre2"
	[agents]="microhttpd curl cjson zlib turbojpeg"
	[views]="curses"
	[console]="cjson curl curses sqlite3 microhttpd systemd"
)
# The outside libraries, by the header paths that name them.
lib_of() {
	case $1 in
	cjson/*) echo cjson ;;
	xgboost/*) echo xgboost ;;
	curl/*) echo curl ;;
	microhttpd.h) echo microhttpd ;;
	sqlite3.h) echo sqlite3 ;;
	libssh/*) echo libssh ;;
	yaml.h) echo yaml ;;
	pcre2.h) echo pcre2 ;;
	turbojpeg.h | jpeglib.h) echo turbojpeg ;;
	png.h) echo png ;;
	curses.h | ncurses.h | ncursesw/*) echo curses ;;
	systemd/*) echo systemd ;;
	zlib.h) echo zlib ;;
	esac
}

for dir in "${!MAY[@]}"; do
	[ -d "$dir" ] || continue
	may=" ${MAY[$dir]} "
	libs=" ${LIBS[$dir]} "
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		while IFS=: read -r line text; do
			h=$(sed -E 's/^#include *[<"]([^>"]+)[>"].*/\1/' <<<"$text")
			if [[ $text == *'"'* ]]; then
				case $h in
				*/*) folder=${h%%/*} ;;
				*) continue ;; # the folder's own header
				esac
				[[ $may == " * " || $may == *" $folder "* ]] ||
					fail "$f:$line: includes \"$h\": $dir may include only from: ${MAY[$dir]:-nothing but itself}"
			else
				lib=$(lib_of "$h")
				[ -n "$lib" ] || continue
				[[ $libs == *" $lib "* ]] ||
					fail "$f:$line: includes <$h>: $dir may use only: ${LIBS[$dir]:-libc}"
			fi
		done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" | sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*/\1:#include /')
	done
done

# core/ is UI-free, prints nothing to the terminal and exits nowhere.
grep -nE '\bexit *\(' core/*/*.c && fail "core/ calls exit(): it returns errors, the programs decide"
grep -nE '\b(printf|puts|putchar) *\(' core/*/*.c && fail "core/ prints to the terminal"

# ---- 2. the scheduling library links with libc and libm alone ---------
allow=tests/deps/sched_symbols.txt
sched=$REL/libloudva-sched.a
if [ ! -e "$sched" ]; then
	fail "$sched: not built (make check-deps builds it)"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# A relocatable link of every sched object, with the model and base
	# objects it pulls in, leaves undefined exactly what a program linking
	# the scheduling library must get from outside the project.
	if ! ld -r -o "$tmp/closure.o" --whole-archive "$sched" --no-whole-archive \
		"$REL/libloudva-model.a" "$REL/libloudva-base.a" 2>"$tmp/ld.err"; then
		fail "the scheduling library does not link on its own: $(head -3 "$tmp/ld.err")"
	fi
	nm -u "$tmp/closure.o" 2>/dev/null | awk '{print $2}' | sort -u >"$tmp/undef"
	grep -vE '^[[:space:]]*(#|$)' "$allow" | sort -u >"$tmp/allow"
	outside=$(comm -23 "$tmp/undef" "$tmp/allow")
	if [ -n "$outside" ]; then
		fail "the scheduling library (core/sched + the core/model and core/base objects it pulls in) needs symbols outside libc/libm's allow-list ($allow):"
		for s in $outside; do
			# name the objects that need it
			users=$(cd "$REL/core" && nm -A -u sched/*.o model/*.o base/*.o 2>/dev/null |
				awk -v s="$s" '$NF == s {sub(/:.*/, "", $1); print $1}' | tr '\n' ' ')
			echo "    $s  (used by: $users)" >&2
		done
	fi
	if [ -z "$outside" ]; then
		ld -r -o "$tmp/map.o" -Map="$tmp/map" --whole-archive "$sched" --no-whole-archive \
			"$REL/libloudva-model.a" "$REL/libloudva-base.a" 2>/dev/null
		pulled=$(grep -oE 'libloudva-(model|base)\.a\([^)]*\)' "$tmp/map" | sort -u |
			sed -E 's/libloudva-([a-z]+)\.a\((.*)\)/\1\/\2/' | tr '\n' ' ')
		echo "check-deps: the scheduling library needs $(wc -l <"$tmp/undef") symbols from outside, all on the libc/libm allow-list; it pulls in ${pulled:-no other object}"
	fi
fi

# ---- 3. no cycles between object files ---------------------------------
# An edge "A B" for every object A that uses a symbol object B defines;
# tsort reports each loop it meets.
edges() {
	nm -A -P "$@" 2>/dev/null | awk '
		{ split($1, p, ":"); o = p[1]; sym = $2; kind = $3 }
		kind == "U" { use[o] = use[o] " " sym; next }
		kind ~ /^[TDBRCVWG]$/ { if (!(sym in def)) def[sym] = o; objs[o] = 1 }
		END {
			for (o in objs) print o, o
			for (o in use) {
				n = split(use[o], u, " ")
				for (i = 1; i <= n; i++)
					if ((u[i] in def) && def[u[i]] != o) print o, def[u[i]]
			}
		}'
}
mapfile -t objs < <(find "$REL/core" "$REL/console" "$REL/views" "$REL/agents" -name '*.o' 2>/dev/null | sort)
if [ "${#objs[@]}" -eq 0 ]; then
	fail "no release objects under $REL: build first"
else
	# tsort prints each loop it breaks as "input contains a loop:" and then
	# its members, a line each; one line per distinct loop here.
	loops=$(edges "${objs[@]}" | tsort 2>&1 >/dev/null | sed "s|$REL/||g" | awk '
		/input contains a loop/ { if (m != "") print m; m = ""; next }
		{ sub(/^tsort: /, ""); m = m " " $0 }
		END { if (m != "") print m }' |
		while read -r -a members; do
			printf '%s\n' "${members[@]}" | sort -u | tr '\n' ' '
			echo
		done | sort -u)
	if [ -n "$loops" ]; then
		fail "objects that reach each other through the symbols they use (each line one cycle; arrows must only point down):"
		sed 's/^/    /' <<<"$loops" >&2
	else
		echo "check-deps: ${#objs[@]} objects, no cycle"
	fi
fi

exit $bad
