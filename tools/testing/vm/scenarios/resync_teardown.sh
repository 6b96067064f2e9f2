#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A leader's copy stops with chunk reads in flight (make check suite
# vm-resync-teardown: run --nodes 3 --disk-size 256M resync_teardown).
#
# The leader reads a copy's chunks on a workqueue, up to four chunks
# ahead of what it sent (kernel/resync.c, design.rst "The leader reads
# the copy off its node thread"); a copy that stops must leave no read
# behind that uses freed memory or unloaded code. To have reads in
# flight at any moment, nodes 1 and 2 run raftblk over a dm-delay device
# that delays every read by TD_READ_MS (writes are not delayed).
#
#  1. node1 bootstraps, adds node2 (voter), writes TD_FILL_MIB of random
#     data, so that node3, added with a blank disk, needs a full copy;
#  2. step-down mid-copy: once node1's copy to node3 is running, node1
#     hands the leadership to node2: its copy stops (kernel log);
#  3. device destroy mid-copy: once node2's copy to node3 is running,
#     node2 destroys its device and unloads the module at once (a read
#     still running would then return into freed code), loads it again
#     and re-creates the device over the same disk;
#  4. the copy completes, node3 is promoted to voter, the data areas of
#     the three nodes hash identical (nothing is written after the fill).
# The harness fails the run on any kernel WARNING/BUG/oops in a console.
#
# Environment: TD_READ_MS (500), TD_FILL_MIB (48).
. /lib.sh
. /scenarios/lib-cluster.sh

TD_READ_MS=${TD_READ_MS:-500}
TD_FILL_MIB=${TD_FILL_MIB:-48}
BARRIER_TIMEOUT=${TD_WAIT:-900}
RS_SYSFS=/sys/block/$RB_DEV/raftblk/resync
DM=rbslow

[ "$NODES" -ge 3 ] || { tap_fail "resync_teardown needs 3 nodes (--nodes 3)"; finish; }
[ "$NODE" -le 3 ] || finish

# rs_line DIR PEER : this node's sysfs resync line "DIR PEER ..." (to/from)
rs_line() {
	awk -v d="$1" -v p="$2" '$1 == d && $2 == p' "$RS_SYSFS" 2>/dev/null
}
rs_state() { rs_line "$1" "$2" | awk '{ print $4 }'; }
rs_done() { rs_line "$1" "$2" | awk '{ print $10 }'; }
# a copy to node 3 is running and has sent something
copying() {
	[ "$(rs_state to 3)" = running ] && [ "$(rs_done to 3)" -gt 0 ]
}
slow_disk() {
	dmsetup create $DM --table "0 $(cat /sys/block/vdb/size) delay /dev/vdb 0 $TD_READ_MS /dev/vdb 0 0"
}

check "insmod raftblk.ko" load_raftblk || finish
if [ "$NODE" != 3 ]; then
	check "dm-delay over /dev/vdb (reads ${TD_READ_MS} ms)" slow_disk ||
		finish
	RB_DISK=/dev/dm-$(dmsetup info -c --noheadings -o minor $DM)
fi

if [ "$NODE" = 1 ]; then
	check "raftctl create as node 1 (bootstrap)" \
		rb_create $RB_ROBUST_TIMERS --bootstrap ||
		finish
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	get node2-created >/dev/null
	check "peer add 2" rb_peer_add 2
	check "node2 is a voter" wait_for "$BARRIER_TIMEOUT" \
		test -e "$SHARED/kv/voter-2" || finish
	check "write $TD_FILL_MIB MiB of random data" \
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=1M \
		count="$TD_FILL_MIB" oflag=direct status=none || finish
	check "the leader compacted its log (compaction point $(rb_sb_u64 136))" \
		test "$(rb_sb_u64 136)" -gt 0
	put fill-index "$(rb_applied)"
	put filled 1
	get node3-created >/dev/null
	check "peer add 3 (blank disk)" rb_peer_add 3
	check "2: node1's copy to node3 is running" wait_for 300 copying
	diag "$(rs_line to 3)"
	check "2: transfer-leader to node2 mid-copy" \
		raftctl transfer-leader "$RB_DEV" 2
	check "2: node1 steps down" wait_for "$RB_ELECTION_WAIT" rb_is follower
	check "2: node1's copy stopped as it stepped down (kernel log)" \
		sh -c "dmesg | grep -q 'resync of node 3 at index .* stopped after .*no longer the leader'"
	diag "$(dmesg | grep 'resync of node 3')"
	put stepped-down 1
elif [ "$NODE" = 2 ]; then
	check "raftctl create as node 2" rb_create $RB_ROBUST_TIMERS || finish
	put node2-created 1
	check "node2 was added and promoted to voter" \
		wait_for "$BARRIER_TIMEOUT" rb_self_voter && put voter-2 1
	get stepped-down >/dev/null
	check "3: node2 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader
	check "3: node2's copy to node3 is running" wait_for 300 copying
	diag "$(rs_line to 3)"
	check "3: raftctl destroy on the leader mid-copy" \
		raftctl destroy "$RB_DEV"
	check "3: rmmod raftblk at once" rmmod raftblk
	check "3: insmod raftblk.ko again" load_raftblk || finish
	check "3: raftctl create as node 2 over the same disk" \
		rb_create $RB_ROBUST_TIMERS ||
		finish
	put node2-back 1
else
	get filled >/dev/null
	check "raftctl create as node 3 (blank disk)" \
		rb_create $RB_ROBUST_TIMERS || finish
	put node3-created 1
	# the last copy's line: "from LEADER full finished ..."
	installed() {
		awk '$1 == "from" && $4 == "finished" { f = 1 }
			END { exit !f }' "$RS_SYSFS" 2>/dev/null
	}
	check "4: a copy to node3 finished" \
		wait_for "$BARRIER_TIMEOUT" installed
	check "4: node3 was promoted to voter" \
		wait_for "$BARRIER_TIMEOUT" rb_self_voter
	diag "$(dmesg | grep 'resync from node')"
fi

check "barrier: node3 is a voter" barrier voter3 1 2 3
# Nothing is written after the fill: every data area ends the same once
# each node applied its last write (an election's no-op writes nothing).
fidx=$(get fill-index)
check "4: node$NODE applied the fill (index $fidx)" \
	wait_for "$BARRIER_TIMEOUT" rb_applied_at_least "$fidx"
# hashed through /dev/vdb, not the slow device (the same blocks)
put "sha-$NODE" "$(RB_DISK=/dev/vdb rb_data_sha)"
check "barrier: hashes taken" barrier hashed 1 2 3
if [ "$NODE" = 1 ]; then
	check "4: the data areas of nodes 1, 2 and 3 hash identical" \
		test "$(get sha-1)" = "$(get sha-2)" -a \
		"$(get sha-1)" = "$(get sha-3)"
	diag "$(get sha-1) $(get sha-2) $(get sha-3)"
fi
check "barrier: checked" barrier checked 1 2 3
check "raftctl destroy" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
[ "$NODE" = 3 ] || check "dmsetup remove $DM" dmsetup remove $DM
finish
