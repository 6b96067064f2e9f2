#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Backing-disk faults under a three-node cluster (make check suite
# vm-disk: run --nodes 3 --disk-size 3G --timeout 900 diskfail). Every
# node's raftblk disk is a device-mapper device over /dev/vdb whose table
# is swapped to slow down or fail one area (dm-delay, dm's error target):
#
#  1. node1 bootstraps, adds nodes 2 and 3, they become voters;
#  2. large discards: the queue advertises at most 1 GiB per discard (one
#     log entry); with the leader's data area slowed (writes of the
#     discarded 2 GiB delayed 5 s,
#     longer than an election timeout), a 1 GiB blkdiscard and a 2 GiB
#     one succeed and no election happens meanwhile (term and leader
#     unchanged on every node): the zeroing runs in the background while
#     the leader's heartbeats go on; a write of block B after them
#     completes once committed, while the zeroing still holds up the
#     data area (issue 15 item 2), and a read of B at once returns it;
#  3. the leader's data area fails (dm error): writes on it complete
#     (committed: in a majority of logs) until the failed applies make
#     the node give its disk up, then fail with EIO (or EROFS at open,
#     once it handed leadership over) within a bound;
#     status answers and says "disk failed" (human and JSON), the events
#     stream reports it, the kernel log has exactly one line about it,
#     another node becomes leader (handover), and the failed node is
#     destroyed; on the new leader, B and every write acknowledged by
#     the failed one read back;
#  4. the new leader's log area fails: a write fails with EIO, the node
#     gives its disk up too, and is destroyed.
# The harness checks every console for kernel WARNINGs.
. /lib.sh
. /scenarios/lib-cluster.sh

DF=$SHARED/diskfail
mkdir -p "$DF"
DM=rbdisk
SZ=$(cat /sys/block/vdb/size)

if [ "$NODES" -ne 3 ]; then
	tap_fail "diskfail needs exactly 3 nodes (--nodes 3)"
	finish
fi

# dm_table MODE : swap the table of $DM (linear, data-delay, data-error,
# log-error); the areas come from the superblock (data_off). data-delay
# delays the writes of the data area's first DL sectors (the 2 GiB the
# discards cover), not those after it.
DL=4194304
dm_table() {
	local doff=$DOFF rest t
	rest=$((SZ - doff))
	case $1 in
	linear) t="0 $SZ linear /dev/vdb 0" ;;
	data-delay) t="0 $doff linear /dev/vdb 0
$doff $DL delay /dev/vdb $doff 0 /dev/vdb $doff 5000
$((doff + DL)) $((rest - DL)) linear /dev/vdb $((doff + DL))" ;;
	data-error) t="0 $doff linear /dev/vdb 0
$doff $rest error" ;;
	log-error) t="0 $doff error
$doff $rest linear /dev/vdb $doff" ;;
	*) return 1 ;;
	esac
	dmsetup suspend $DM && echo "$t" | dmsetup load $DM &&
		dmsetup resume $DM
}

# rb_disk_state : the disk state of status --json (answers within 10 s)
rb_disk_state() {
	run_timeout 10 raftctl status "$RB_DEV" --json 2>/dev/null |
		sed -n 's/^ *"disk_state": "\([a-z]*\)",*$/\1/p'
}
rb_disk_is() { [ "$(rb_disk_state)" = "$1" ]; }

# write_fails_eio : an O_DIRECT write of 64 KiB fails with EIO within 120 s
write_fails_eio() {
	local e
	dd if=/dev/urandom of=/tmp/blk bs=64k count=1 2>/dev/null
	e=$(run_timeout 120 dd if=/tmp/blk of="/dev/$RB_DEV" bs=64k count=1 \
		oflag=direct 2>&1) && return 1
	case $e in *"I/O error"*|*"Input/output error"*) return 0 ;; esac
	echo "$e"
	return 1
}

# writes_until_eio : O_DIRECT writes of 64 KiB blocks 0, 1, ... of the
# 64 MiB at 2304 MiB until one fails with EIO, or its open with EROFS
# once the node handed leadership over (within 120 s); each one that
# completed is kept in $DF/acked.N
writes_until_eio() {
	local i=0 e end=$(($(date +%s) + 120))
	while [ "$(date +%s)" -lt $end ] && [ $i -lt 1024 ]; do
		dd if=/dev/urandom of=/tmp/blk bs=64k count=1 2>/dev/null
		if e=$(run_timeout 120 dd if=/tmp/blk of="/dev/$RB_DEV" bs=64k \
			seek=$((36864 + i)) count=1 oflag=direct 2>&1); then
			cp /tmp/blk "$DF/acked.$i"
			i=$((i + 1))
			continue
		fi
		echo "# $i writes completed before one failed"
		case $e in
		*"I/O error"*|*"Input/output error"*) return 0 ;;
		*"Read-only file system"*) return 0 ;;	# at open: not the leader
		esac
		echo "$e"
		return 1
	done
	return 1
}

# acked_read_back : every block writes_until_eio kept reads back here
acked_read_back() {
	local f i n=0
	for f in "$DF"/acked.*; do
		[ -e "$f" ] || continue
		i=${f##*.}
		dd if="/dev/$RB_DEV" bs=64k skip=$((36864 + i)) count=1 \
			iflag=direct 2>/dev/null | cmp -s - "$f" ||
			{ echo "# block $i differs"; return 1; }
		n=$((n + 1))
	done
	echo "# $n acknowledged blocks read back"
}

# write_refused : a write fails with EIO, or opening for write with EROFS
write_refused() {
	write_fails_eio || rb_refuses_write_open
}

detached_lines() { dmesg | grep -c "disk detached"; }

# ---- 1. the cluster over dm devices ----
check "insmod raftblk.ko" load_raftblk || finish
check "dm device $DM over /dev/vdb" \
	dmsetup create $DM --table "0 $SZ linear /dev/vdb 0" || finish
RB_DISK=/dev/dm-$(dmsetup info -c --noheadings -o minor $DM)
if [ "$NODE" = 1 ]; then
	check "create $RB_DEV --bootstrap over $RB_DISK" rb_create --bootstrap ||
		finish
	check "node1 is leader" wait_for "$RB_ELECTION_WAIT" rb_is leader
	barrier created || finish
	check "add node 2" rb_peer_add 2
	check "add node 3" rb_peer_add 3
else
	check "create $RB_DEV over $RB_DISK" rb_create || finish
	barrier created || finish
fi
check "every node is a voter" rb_wait_joined 240 || finish
barrier joined || finish
# The data area's first sector (the superblock's data_off).
DOFF=$(($(rb_sb_u64 88) / 512))
check "data area found at sector $DOFF" test "$DOFF" -gt 0

# ---- 2. large discards with a slow data area ----
# Only the leader's: followers that stalled at the same time would not
# notice a stalled leader.
[ "$NODE" = 1 ] &&
	check "the leader's data area writes delayed 5 s (dm-delay)" \
		dm_table data-delay
barrier delayed || finish
term0=$(rb_term)
leader0=$(rb_leader)
if [ "$NODE" = 1 ]; then
	max=$(cat /sys/block/$RB_DEV/queue/discard_max_bytes)
	check "discard_max_bytes is at most 1 GiB (what one entry covers): $max" \
		test "$max" -gt 0 -a "$max" -le 1073741824
	check "blkdiscard of 1 GiB with the data area slowed" \
		run_timeout 600 blkdiscard -o 0 -l 1073741824 /dev/$RB_DEV
	check "blkdiscard of 2 GiB" \
		run_timeout 600 blkdiscard -o 0 -l 2147483648 /dev/$RB_DEV
	# The zeroings hold up the data area (5 s per write): a write
	# after them (outside the delayed 2 GiB: its apply does not hold the
	# node thread past an election timeout) completes once committed,
	# a read at once waits for it.
	dd if=/dev/urandom of="$DF/B" bs=4k count=1 2>/dev/null
	check "write B (4 KiB at 2560 MiB) while the zeroing runs" \
		run_timeout 120 dd if="$DF/B" of=/dev/$RB_DEV bs=4k seek=655360 \
		oflag=direct
	check "it completed before it was applied (applied < commit)" \
		test "$(rb_applied)" -lt "$(rb_commit)"
	check "a read of B at once returns it" sh -c \
		"dd if=/dev/$RB_DEV bs=4k skip=655360 count=1 iflag=direct \
			2>/dev/null | cmp -s - $DF/B"
	check "the end of the discarded range reads back as zeroes" sh -c \
		"dd if=/dev/$RB_DEV of=/tmp/z bs=1M count=4 skip=2044 \
			iflag=direct 2>/dev/null &&
		 test \$(wc -c </tmp/z) = 4194304 &&
		 test \$(tr -d '\\000' </tmp/z | wc -c) = 0"
	put discarded 1
fi
check "the discards are over" wait_for 900 test -e "$SHARED/kv/discarded"
check "term unchanged during the discards ($term0 -> $(rb_term))" \
	test "$(rb_term)" = "$term0"
check "leader unchanged during the discards" test "$(rb_leader)" = "$leader0"
[ "$NODE" = 1 ] && check "data area back to linear" dm_table linear
barrier undelayed || finish
applied_ok() { # every node applied what the leader committed
	c=$(cat "$SHARED/kv/commit" 2>/dev/null)
	[ -n "$c" ] && rb_applied_at_least "$c"
}
[ "$NODE" = 1 ] && put commit "$(rb_commit)"
check "every node applied the discards" wait_for 300 applied_ok
check "disk state ok" rb_disk_is ok
barrier phase3 || finish

# ---- 3. the leader's data area fails ----
if [ "$NODE" = 1 ]; then
	raftctl events --json >/tmp/ev.json 2>/tmp/ev.err &
	ev_pid=$!
	check "events: the initial state is out" \
		wait_for 30 grep -q initial-state-done /tmp/ev.json
	check "node1's data area fails (dm error)" dm_table data-error
	check "writes on the leader complete until it gives the disk up, then fail (EIO, or EROFS at open: not the leader; within 120 s)" \
		writes_until_eio
	check "status answers and says the disk failed" \
		wait_for 60 rb_disk_is failed
	check "status (human) says 'disk failed'" sh -c \
		"timeout 10 raftctl status $RB_DEV | grep -q ', disk failed\$'"
	check "node1 is no longer leader" test "$(rb_role)" != leader
	check "events: disk_state failed" wait_for 30 \
		grep -q '"disk_state": "failed"' /tmp/ev.json
	kill "$ev_pid" 2>/dev/null
	wait "$ev_pid" 2>/dev/null
	check "exactly one kernel log line about it" \
		test "$(detached_lines)" = 1
	dmesg | grep "disk detached" | sed 's/^/# /'
	check "another write is refused (EIO, or EROFS at open: not the leader)" \
		write_refused
	check "still one kernel log line" test "$(detached_lines)" = 1
	put node1failed 1
	check "the failed node is destroyed" run_timeout 60 raftctl destroy "$RB_DEV"
	check "$DM back to linear" dm_table linear
	check "remove $DM" dmsetup remove $DM
	barrier phase4 || finish
	finish
fi
check "node1's disk failed" wait_for 300 test -e "$SHARED/kv/node1failed"
new_leader() {
	[ -e "$SHARED/kv/newleader-2" ] || [ -e "$SHARED/kv/newleader-3" ] ||
		{ rb_is leader && put "newleader-$NODE" 1; }
}
check "a new leader among nodes 2 and 3" wait_for "$RB_ELECTION_WAIT" new_leader
check "its term moved on" test "$(rb_term)" -gt "$term0"
if [ -e "$SHARED/kv/newleader-$NODE" ]; then
	check "B reads back on the new leader" sh -c \
		"dd if=/dev/$RB_DEV bs=4k skip=655360 count=1 iflag=direct \
			2>/dev/null | cmp -s - $DF/B"
	check "every write the failed leader acknowledged reads back" \
		acked_read_back
fi
barrier phase4 || finish

# ---- 4. the new leader's log fails ----
if [ -e "$SHARED/kv/newleader-$NODE" ]; then
	check "node$NODE's log area fails (dm error)" dm_table log-error
	check "a write on it fails with EIO (within 120 s)" write_fails_eio
	check "status says the disk failed" wait_for 60 rb_disk_is failed
	check "exactly one kernel log line about it" \
		test "$(detached_lines)" = 1
	dmesg | grep "disk detached" | sed 's/^/# /'
	check "node$NODE is no longer leader" test "$(rb_role)" != leader
fi
barrier phase4done 2 3 || finish
check "destroy" run_timeout 60 raftctl destroy "$RB_DEV"
check "$DM back to linear" dm_table linear
check "remove $DM" dmsetup remove $DM
finish
