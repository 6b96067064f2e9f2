#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Power-cuts that lose what was not flushed (1 VM; `make -C
# tools/testing/formats kreplay`, suite store-replay; `make crash-long`
# for more states). A QEMU kill keeps every write the guest issued, so it
# cannot see a missing FLUSH or FUA; here every write of the log store is
# recorded and the disk is rebuilt at crash points where the unflushed
# writes are gone:
#
#  1. /dev/vdb (zeroed) under dm-log-writes "lw", its log on /dev/vda;
#     rb_store_test.ko mode=write formats it and appends (random sizes,
#     suffixes replaced, compaction at the wrap, chains of bios flushed
#     when the bio is full), `appends` times; after each promise it puts a
#     mark in the log (formatted, acked:INDEX:TERM, truncate:INDEX:TERM);
#  2. the log is closed, /dev/vdb zeroed again, and lw_replay (from
#     tools/testing/logwrites) rebuilds /dev/vdb at every flush/FUA entry
#     of the log and at `random` random points between them (unflushed
#     writes dropped, kept out of order or torn; seed printed);
#  3. each state, on a throwaway snapshot of /dev/vdb: the store opens
#     (mode=verify), holds the last entry promised before the next
#     flush/FUA point with its term, every recovered entry holds the data
#     written for it, and it takes an append. A state before the format
#     completed need not open (nothing was promised) but must not upset
#     the kernel.
#
# Arguments: appends=N (default 60: the ring wraps after about 45), random=N (default 30), seed=N
# (default 1). `crash_replay.sh state` is the per-state check lw_replay
# runs (environment LW_*, see lw_replay.c).
. /lib.sh

KO=$SHARED/rb_store_test.ko
# The states load the module from tmpfs, not 9p: 110 loads (the host
# strips its debug sections: 160 KiB instead of 2.2 MiB).
KO_STATE=/tmp/rb_store_test.ko
APPENDS=60
RANDOM_STATES=30
SEED=1
STATE_TIMEOUT=${STATE_TIMEOUT:-120}

snapshot_dev() { # the throwaway copy of /dev/vdb for one state
	dmsetup info -c --noheadings -o minor lwst 2>/dev/null |
		sed 's,^ *,/dev/dm-,'
}

# ---- one state (run by lw_replay with LW_* set); exit 0 = passed ----
if [ "${1:-}" = state ]; then
	say() { echo "#   state $LW_STATE: $*"; }
	sz=$(cat /sys/block/vdb/size)
	dmesg -c >/dev/null
	if ! dmsetup create lwst --table "0 $sz snapshot /dev/vdb $(cat /tmp/cow.dev) N 8"; then
		say "cannot make the snapshot"
		exit 10
	fi
	dev=$(snapshot_dev)
	rc=0
	if [ -n "$LW_PARTIAL" ]; then
		# shellcheck disable=SC2086
		lw_replay /dev/vda partial "$dev" $LW_PARTIAL >/tmp/partial.txt 2>&1 ||
			rc=11
	fi
	case $LW_MARK in
	acked:*|truncate:*)
		idx=$(echo "$LW_MARK" | cut -d: -f2)
		term=$(echo "$LW_MARK" | cut -d: -f3) ;;
	*) idx=0 term=0 ;;
	esac
	[ $rc = 0 ] && { run_timeout "$STATE_TIMEOUT" insmod "$KO_STATE" disk="$dev" \
		mode=verify min_index="$idx" min_term="$term" || rc=12; }
	rmmod rb_store_test 2>/dev/null
	dmsetup remove lwst || rc=13
	dmesg >/tmp/state.dmesg
	reason=$(sed -n 's/.*rb_store_test: .*ends: \([^;]*\).*/\1/p' \
		/tmp/state.dmesg | head -n 1)
	echo "${reason:-no recovery line}" >>/tmp/reasons
	if grep -qE 'WARNING:|BUG:|Oops|general protection|Kernel panic' \
		/tmp/state.dmesg; then
		rc=14
	elif [ -z "$LW_MARK" ]; then
		# before the format completed: opening it or not are both fine
		echo "$LW_STATE" >>/tmp/unformatted
	elif [ $rc = 0 ] && ! grep -q 'rbst: done: [0-9]* tests, 0 failed' \
		/tmp/state.dmesg; then
		rc=1
	fi
	if [ $rc != 0 ]; then
		say "FAILED (rc $rc): $LW_DESC, keeps '$LW_MARK'"
		sed -n 's/.*\(rbst\|rb_store_test\): /#     /p' /tmp/state.dmesg
		[ -z "$LW_PARTIAL" ] || sed 's/^/#     partial: /' /tmp/partial.txt
	fi
	exit $rc
fi

for a; do
	case $a in
	appends=*) APPENDS=${a#*=} ;;
	random=*) RANDOM_STATES=${a#*=} ;;
	seed=*) SEED=${a#*=} ;;
	*) tap_fail "unknown argument '$a'"; finish ;;
	esac
done
[ "$NODE" = 1 ] || finish
diag "appends=$APPENDS random=$RANDOM_STATES seed=$SEED"
check "test module present in /shared" test -f "$KO" || finish
check "lw_replay in the image" command -v lw_replay || finish
# Without a volatile write cache the block layer drops FLUSH and FUA
# before dm-log-writes sees them: every write would look durable.
check "/dev/vdb has a write-back cache" \
	grep -q 'write back' /sys/block/vdb/queue/write_cache || finish
sz=$(cat /sys/block/vdb/size)
check "dm-log-writes over /dev/vdb, log on /dev/vda" \
	dmsetup create lw --table "0 $sz log-writes /dev/vdb /dev/vda" ||
	finish
lw=/dev/dm-$(dmsetup info -c --noheadings -o minor lw | tr -d ' ')
t0=$(date +%s)
check "insmod rb_store_test.ko mode=write appends=$APPENDS lw_mark=lw" \
	insmod "$KO" disk="$lw" mode=write appends="$APPENDS" lw_mark=lw ||
	finish
check "the writer finished its $APPENDS appends" \
	wait_for 900 sh -c "dmesg | grep -q 'rbst: writer \(finished\|stopped\)'"
dmesg | grep -E 'rbst: (writer|compact|#)' | sed 's/^/# /'
check "the writer reports no error" \
	sh -c "dmesg | grep -q 'rbst: writer finished $APPENDS appends'"
check "rmmod rb_store_test" rmmod rb_store_test
check "remove the dm-log-writes device" dmsetup remove lw || finish
diag "writing took $(($(date +%s) - t0)) s"
info=$(lw_replay /dev/vda info 2>&1)
diag "log: $info"
lw_replay /dev/vda list >"$RESULTS/log.txt" 2>&1
check "the log holds the writer's promises" \
	grep -q "mark 'acked:" "$RESULTS/log.txt" || finish
check "the log holds a compaction (ring wrapped)" \
	sh -c "dmesg | grep -q 'rbst: compact'"
check "the log holds plain writes made durable by a later flush" sh -c \
	"grep -q ' write [0-9]' '$RESULTS/log.txt' &&
	 grep -q ' write+flush' '$RESULTS/log.txt'"

# The replay: /dev/vdb back to zero, a RAM copy-on-write store for the
# per-state snapshots.
check "zero /dev/vdb" \
	dd if=/dev/zero of=/dev/vdb bs=1M count=$((sz / 2048)) oflag=direct || finish
truncate -s 256M /tmp/cow
cow=$(losetup -f)
check "loop device for the snapshots" losetup "$cow" /tmp/cow || finish
echo "$cow" >/tmp/cow.dev
cp "$KO" "$KO_STATE"
: >/tmp/reasons
: >/tmp/unformatted
t0=$(date +%s)
lw_replay /dev/vda run /dev/vdb --seed "$SEED" --random "$RANDOM_STATES" \
	--check "sh /scenarios/crash_replay.sh state" >"$RESULTS/replay.txt" 2>&1
rc=$?
dt=$(($(date +%s) - t0))
grep '^#' "$RESULTS/replay.txt" | head -n 60
grep '^lw_replay:' "$RESULTS/replay.txt" | sed 's/^/# /'
n=$(grep -c '^state ' "$RESULTS/replay.txt")
np=$(grep '^state ' "$RESULTS/replay.txt" | grep -vc 'random part')
nr=$((n - np))
fp=$(grep '^state ' "$RESULTS/replay.txt" | grep -v 'random part' |
	grep -c 'FAILED$')
fr=$(grep '^state ' "$RESULTS/replay.txt" | grep 'random part' |
	grep -c 'FAILED$')
diag "$n states in $dt s ($np at flush/FUA points, $nr random; seed $SEED);" \
	"$(grep -c . /tmp/unformatted) before the format completed"
diag "how the recovered logs ended:"
sort /tmp/reasons | uniq -c | sort -rn | head -n 12 | sed 's/^/#   /'
check "lw_replay ran every state (rc $rc)" \
	sh -c "[ $rc -le 1 ] && grep -q '^lw_replay: $n states checked' '$RESULTS/replay.txt'"
check "every flush/FUA point state ($np) recovers and keeps its promises" \
	test "$fp" = 0
check "every random state ($nr: unflushed writes dropped, reordered, torn) recovers and keeps its promises" \
	test "$fr" = 0
check "remove the loop device" losetup -d "$cow"
finish
