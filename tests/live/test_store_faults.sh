#!/usr/bin/env bash
# The store under faults, as they happen to an operator: `loudva serve` on the
# embedded cluster with --db, a camera load (`loudva load` replaying a small
# `loudva trace gen` trace), and meanwhile
#   A. another process (the sqlite3 command) holding the database's write lock
#      for longer than the 5 s busy time-out, then letting go: the retries
#      cover the gap, every row is written, exit 0;
#   B. the lock held past the 10 s the controller retries a row: rows are
#      given up and counted, writing resumes when the lock goes, the gap is
#      reported, exit 3 (served, record incomplete);
#   C. the disk full (a small tmpfs this script mounts, filled with dd), then
#      space freed: the same, with a full disk instead of a lock.
# Checked from the outside, each time: every frame answered; /status,
# /metrics, the summary (--json), the event log and the database agree —
# frames in the database + frames counted missing = frames served — and the
# runs row has the requests the load sent and the rows it misses.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || fail "the sqlite3 command is not installed (Debian package sqlite3)"
make_images "$SCRATCH/img"

LOCK_PID=
LOAD_PID=
MNT=
cleanup() {
	[ -n "$LOCK_PID" ] && kill "$LOCK_PID" 2>/dev/null
	[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
	[ -n "$SERVE_PID" ] && kill -INT "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

# Four cameras for 24 s, a budget of 10 s: about 200 frames in 100 requests.
"$LOUDVA" trace gen --cameras 4 --duration 24 --seed 5 --windows 1 --min-active 24 \
	--max-active 24 --last-entry 0 --rate-cap 10 --budget 10 --out "$SCRATCH/t.csv" \
	>/dev/null || fail "trace gen failed"
FRAMES=$(awk -F, 'NR > 1 { n += $2 } END { print n }' "$SCRATCH/t.csv")
REQUESTS=$(awk 'NR > 1' "$SCRATCH/t.csv" | wc -l)

status() { curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/status"; }
metric() { # metric NAME{LABELS}: its value in /metrics
	curl -s --max-time 5 "http://127.0.0.1:$SERVE_PORT/metrics" |
		awk -v k="$1" '$1 == k { print $2 }'
}
# await_status SECONDS JQ: 0 once /status satisfies the jq filter; that
# document is then in $SCRATCH/status.json.
await_status() {
	local n=$(($1 * 5))
	for _ in $(seq 1 "$n"); do
		status >"$SCRATCH/status.json"
		jq -e "$2" "$SCRATCH/status.json" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
TERMINAL='([.frames.ok, .frames.late, .frames.failed, .frames.expired, .frames.rejected] | add)'
# conserved WHAT: in the last /status document, every terminal frame is
# written, lost or pending, once.
conserved() {
	check "$1: /status: frames written + lost + pending = terminal ($(jq -c \
		"[.store.written.frames, .store.lost.frames, .store.pending.frames, $TERMINAL]" \
		"$SCRATCH/status.json"))" jq -e \
		".store.written.frames + .store.lost.frames + .store.pending.frames == $TERMINAL" \
		"$SCRATCH/status.json"
}

# hold_lock DB: the sqlite3 command takes the database's write lock (BEGIN
# EXCLUSIVE, fed through a fifo so it stays open) and keeps it until
# release_lock. Returns once it holds it.
hold_lock() {
	rm -f "$SCRATCH/lock.fifo" "$SCRATCH/lock.out"
	mkfifo "$SCRATCH/lock.fifo"
	sqlite3 "$1" <"$SCRATCH/lock.fifo" >"$SCRATCH/lock.out" 2>&1 &
	LOCK_PID=$!
	exec 7>"$SCRATCH/lock.fifo"
	printf ".timeout 5000\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n" >&7
	for _ in $(seq 1 100); do
		grep -q '^locked$' "$SCRATCH/lock.out" && return 0
		sleep 0.1
	done
	fail "sqlite3 did not get the lock: $(cat "$SCRATCH/lock.out")"
}
release_lock() {
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$LOCK_PID"
	LOCK_PID=
}

start_load() {
	"$LOUDVA" load --trace "$SCRATCH/t.csv" --url "127.0.0.1:$SERVE_PORT" --images "$SCRATCH/img" \
		--json >"$SCRATCH/$1.load.json" 2>"$SCRATCH/$1.load.err" &
	LOAD_PID=$!
}

# stop_and_check NAME DB WANT_RC: waits for the load, takes /status and
# /metrics, stops serve with SIGINT and checks that everything agrees.
stop_and_check() {
	local name=$1 db=$2 want=$3 rc=0
	wait "$LOAD_PID" || fail "$name: load exited $?: $(cat "$SCRATCH/$name.load.err")"
	LOAD_PID=
	check "$name: every frame answered ($(jq -c '{frames, frames_answered}' \
		"$SCRATCH/$name.load.json"))" jq -e --argjson n "$FRAMES" \
		'.frames == $n and .frames_answered == $n and .frames_unanswered == 0' \
		"$SCRATCH/$name.load.json"
	# Nothing arrives any more: wait for a snapshot with every frame terminal
	# (the load's answers may be newer than the snapshot) and written or lost.
	await_status 30 "$TERMINAL == $FRAMES and .store.failing == false and
		.store.pending.frames == 0" ||
		fail "$name: the store did not settle: $(jq -c '{frames, store}' "$SCRATCH/status.json")"
	local st lost_metric failing_metric
	st=$(cat "$SCRATCH/status.json")
	lost_metric=$(metric 'loudva_store_rows_lost_total{kind="frames"}')
	failing_metric=$(metric loudva_store_incomplete)
	echo "$st" | jq -c '{frames, store}' >"$SCRATCH/$name.status.json"
	kill -INT "$SERVE_PID"
	wait "$SERVE_PID" || rc=$?
	SERVE_PID=
	check "$name: serve exits $want (got $rc; $(tail -2 "$SCRATCH/$name.err"))" test "$rc" -eq "$want"
	local sum=$SCRATCH/$name.out
	jq -e . "$sum" >/dev/null || { fail "$name: the summary is no JSON: $(cat "$sum")"; return; }
	# A count the summary or /status lacks reads as 0, and fails the checks below.
	local served db_frames lost st_lost st_written
	served=$(jq '.frames // 0' "$sum")
	db_frames=$(sqlite3 "$db" "select count(*) from frames")
	lost=$(jq '.store.lost.frames // 0' "$sum")
	st_lost=$(echo "$st" | jq '.store.lost.frames // 0')
	st_written=$(echo "$st" | jq '.store.written.frames // 0')
	check "$name: the summary has the store's record" jq -e '.store | type == "object"' "$sum"
	check "$name: the summary counts every frame sent ($served of $FRAMES)" test "$served" -eq "$FRAMES"
	check "$name: frames in the database + frames missing = frames served ($db_frames + $lost vs $served)" \
		test $((db_frames + lost)) -eq "$served"
	check "$name: the summary's written frames are the database's ($(jq .store.written.frames "$sum"))" \
		test "$(jq '.store.written.frames // 0' "$sum")" -eq "$db_frames"
	check "$name: /status said the same (lost $st_lost, written $st_written)" \
		test $((st_lost + st_written)) -eq "$served"
	check "$name: /status's frames are the summary's" \
		test "$(echo "$st" | jq "$TERMINAL")" -eq "$served"
	check "$name: /metrics's lost frames are /status's ($lost_metric)" test "$lost_metric" = "$st_lost"
	check "$name: loudva_store_incomplete says so ($failing_metric)" \
		test "$failing_metric" = "$([ "$lost" -gt 0 ] && echo 1 || echo 0)"
	check "$name: the summary's complete flag" \
		test "$(jq .store.complete "$sum")" = "$([ "$lost" -gt 0 ] && echo false || echo true)"
	# The runs row: the results, the requests answered, the holes.
	check "$name: runs row frames = served" \
		test "$(sqlite3 "$db" "select frames from runs")" -eq "$served"
	check "$name: runs row requests = the load's ($(sqlite3 "$db" "select requests from runs") vs $REQUESTS)" \
		test "$(sqlite3 "$db" "select requests from runs")" -eq "$REQUESTS"
	check "$name: the summary's requests too" test "$(jq '.requests // 0' "$sum")" -eq "$REQUESTS"
	check "$name: runs row frames_lost = the summary's ($lost)" \
		test "$(sqlite3 "$db" "select frames_lost from runs")" -eq "$lost"
	check "$name: runs row batches_lost + batches rows = summary's" test \
		"$(sqlite3 "$db" "select batches_lost + (select count(*) from batches) from runs")" \
		-eq "$(jq '(.store.lost.batches // -1) + (.store.written.batches // 0)' "$sum")"
	check "$name: the database is whole (integrity_check)" \
		test "$(sqlite3 "$db" "pragma integrity_check")" = ok
	echo "$name: $FRAMES frames sent, $(jq .frames_answered "$SCRATCH/$name.load.json") answered;" \
		"$db_frames in the database, $lost counted missing; rows missing of all kinds" \
		"$(jq -c .store.lost "$sum"); $(jq .store.write_failures "$sum") failed writes," \
		"$(jq .store.gaps "$sum") gaps; exit $rc"
}

# A. Locked for 7 s: longer than the busy time-out, shorter than the retries.
start_serve "$SCRATCH/A" --db "$SCRATCH/a.db" --json || finish
start_load A
sleep 3
hold_lock "$SCRATCH/a.db"
# The first write fails after the 5 s busy time-out: let go as soon as /status shows it.
check "A: /status shows the writes failing while the lock is held" \
	await_status 8 '.store.failing == true and .store.write_failures >= 1 and .store.complete'
conserved "A, locked"
release_lock
check "A: writing resumes once the lock is gone" await_status 15 '.store.failing == false'
stop_and_check A "$SCRATCH/a.db" 0
check "A: nothing lost" test "$(jq '.store.rows_missing // -1' "$SCRATCH/A.out")" -eq 0
grep -q "store: writing failed, rows kept for a retry: .*database is locked" "$SCRATCH/A.err" ||
	fail "A: the event log lacks the failure: $(grep store "$SCRATCH/A.err")"
grep -q "store: writing resumed, nothing lost" "$SCRATCH/A.err" ||
	fail "A: the event log lacks the resumption: $(grep store "$SCRATCH/A.err")"
grep -q "record        " "$SCRATCH/A.out" && fail "A: --json summary has text lines"

# B. Locked for longer than the retries: rows given up, the gap reported when it ends.
start_serve "$SCRATCH/B" --db "$SCRATCH/b.db" --json || finish
start_load B
sleep 2
hold_lock "$SCRATCH/b.db"
check "B: /status counts frames lost while the lock is held" \
	await_status 40 '.store.lost.frames > 0 and .store.complete == false'
conserved "B, locked"
release_lock
check "B: writing resumes and the gap is counted" \
	await_status 20 '.store.failing == false and .store.gaps >= 1'
stop_and_check B "$SCRATCH/b.db" 3
check "B: rows are missing ($(jq -c .store.lost "$SCRATCH/B.out"))" \
	test "$(jq '.store.rows_missing // 0' "$SCRATCH/B.out")" -gt 0
grep -q "store: record incomplete: gave up [0-9]* frames" "$SCRATCH/B.err" ||
	fail "B: the event log lacks the loss: $(grep store "$SCRATCH/B.err")"
grep -q "store: writing resumed after a gap: [0-9]* frames.* missing" "$SCRATCH/B.err" ||
	fail "B: the event log lacks the gap: $(grep store "$SCRATCH/B.err")"
grep -q "the record in .*b.db is incomplete: [0-9]* rows missing" "$SCRATCH/B.err" ||
	fail "B: serve does not say the record is incomplete: $(tail -3 "$SCRATCH/B.err")"

# C. A full disk: the database on a small tmpfs, filled, then freed.
MNT=$SCRATCH/mnt
mkdir -p "$MNT"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>"$SCRATCH/mount.err"; then
	echo "SKIP C: cannot mount a tmpfs here ($(cat "$SCRATCH/mount.err"); needs root)"
	MNT=
	finish
	exit $?
fi
start_serve "$SCRATCH/C" --db "$MNT/c.db" --json || finish
start_load C
sleep 2
dd if=/dev/zero of="$MNT/fill" bs=64k >/dev/null 2>&1 # until the disk is full
check "C: the disk is full ($(df --output=avail "$MNT" | tail -1) KB free)" \
	test "$(df --output=avail "$MNT" | tail -1)" -eq 0
check "C: /status counts frames lost while the disk is full" \
	await_status 40 '.store.lost.frames > 0 and .store.complete == false'
conserved "C, full"
check "C: /status names the full disk" \
	await_status 5 '.store.last_error | test("full")'
rm -f "$MNT/fill"
check "C: writing resumes once space is freed, the gap counted" \
	await_status 20 '.store.failing == false and .store.gaps >= 1'
stop_and_check C "$MNT/c.db" 3
grep -q "store: writing failed, rows kept for a retry: .*full" "$SCRATCH/C.err" ||
	fail "C: the event log lacks the failure: $(grep store "$SCRATCH/C.err")"
grep -q "store: writing resumed after a gap" "$SCRATCH/C.err" ||
	fail "C: the event log lacks the gap: $(grep store "$SCRATCH/C.err")"
umount "$MNT" && MNT=
finish
