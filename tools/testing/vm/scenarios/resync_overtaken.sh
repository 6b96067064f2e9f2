#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A copy the log's compaction overtakes: the node's next copy sends the
# blocks written meanwhile, not every extent they fall in (suite
# vm-resync-overtaken: run --nodes 3 --disk-size 256M --timeout 900
# resync_overtaken).
#
#  1. node1 bootstraps, adds node2; writes 96 MiB at 0 (what a blank
#     node's full copy takes);
#  2. node1 sets its log memory budget to 4 MiB (the log from a copy's S
#     is kept to twice that) and the resync rate to 4 MiB/s (the copy
#     lasts about 24 s), adds node3 (blank disk) and, while the copy
#     runs, writes 64 KiB at random 64 KiB-aligned offsets of those
#     96 MiB, several MiB of log: the compaction passes the copy's S;
#  3. when the first copy ended, the writes stop: node3 installs it, needs
#     the entries after S that the leader no longer has, and gets a
#     second copy, a delta from S of the blocks those entries wrote
#     (the kernel log says "the blocks the log no longer has"): at most
#     the bytes written since peer add plus 1 MiB, where a delta of the
#     extent map's 1 MiB extents would take nearly all 96 MiB;
#  4. node3 is a voter; all three data areas identical at one applied
#     index (the block delta missed nothing).
#
# Before this test the follower of an overtaken copy got a delta of whole
# extents: under a random writer nearly every extent, a second full copy
# (and the dynamic pacing raced the ring instead, unpaced on small rings).
. /lib.sh
. /scenarios/lib-cluster.sh

if [ "$NODES" -ne 3 ]; then
	tap_fail "resync_overtaken needs exactly 3 nodes (--nodes 3)"
	finish
fi

FILL_MIB=96

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create $RB_DEV as node $NODE" \
	rb_create $RB_ROBUST_TIMERS $([ "$NODE" = 1 ] && echo --bootstrap) ||
	finish
check "barrier: all three nodes created" barrier created || finish

case $NODE in
1)
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "node2 is a voter" wait_for 180 test -e "$SHARED/kv/voter-2"
	check "$FILL_MIB MiB written at 0" \
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=1M count=$FILL_MIB \
		oflag=direct 2>/dev/null
	check "log memory budget 4 MiB" raftctl set "$RB_DEV" --log-memory 4M
	check "resync rate 4 MiB/s" raftctl set "$RB_DEV" --resync-rate 4M
	dd if=/dev/urandom of=/tmp/pattern bs=64k count=1 2>/dev/null
	n0=$(dmesg | wc -l)
	c0=$(rb_sb_cur 136 u8)
	check "peer add 3 (blank disk)" rb_peer_add 3
	first_done() {
		dmesg | tail -n +$((n0 + 1)) |
			grep -qE 'resync of node 3 (done|at index)'
	}
	# 64 KiB at random offsets until the first copy ended (at most
	# 2000 writes: 125 MiB)
	w=0
	seed=$$
	while [ $w -lt 2000 ] && ! first_done; do
		seed=$(((seed * 1103515245 + 12345) % 2147483648))
		dd if=/tmp/pattern of="/dev/$RB_DEV" bs=64k count=1 \
			seek=$((seed % (FILL_MIB * 16))) oflag=direct \
			conv=notrunc 2>/dev/null || break
		w=$((w + 1))
	done
	wb=$((w * 65536))
	check "writes during the first copy ($w of 64 KiB, $((wb >> 20)) MiB) ended with it" \
		first_done
	check "the compaction passed the copy's S (compaction point $c0 -> $(rb_sb_cur 136 u8))" \
		test "$(rb_sb_cur 136 u8)" -gt "$c0"
	check "resync rate back to the default" \
		raftctl set "$RB_DEV" --resync-rate 0
	delta_done() {
		dmesg | tail -n +$((n0 + 1)) |
			grep -q 'resync of node 3 done: delta'
	}
	check "a delta copy to node3 done" wait_for 300 delta_done
	check "node3 promoted to voter" wait_for 300 rb_is_voter 3
	lines=$(dmesg | tail -n +$((n0 + 1)) | grep 'resync of node 3')
	diag "$lines"
	blocks() {
		echo "$lines" | grep -q 'delta from index .*(the blocks the log no longer has)'
	}
	check "node3's next copy is a delta of the blocks the log no longer has" \
		blocks
	# every copy after the first: its bytes
	b=0
	for x in $(echo "$lines" | grep 'done: delta' |
		sed -n 's/.*, \([0-9]*\) bytes in.*/\1/p'); do
		b=$((b + x))
	done
	check "bytes of the delta copies ($b) > 0 and <= bytes written since peer add ($wb) + 1 MiB" \
		test "$b" -gt 0 -a "$b" -le $((wb + (1 << 20)))
	put final-commit "$(rb_commit)"
	rb_publish_hash
	h1=$(get hash-node1)
	h2=$(get hash-node2)
	h3=$(get hash-node3)
	diag "node1: $h1" "node2: $h2" "node3: $h3"
	check "the three data areas identical at the same applied index" \
		sh -c "[ '$h1' = '$h2' ] && [ '$h2' = '$h3' ]"
	;;
2)
	check "node2 is a voter" rb_wait_joined 180 || rb_status_diag
	rb_publish_hash
	;;
3)
	check "node3 is a voter" rb_wait_joined 600 || rb_status_diag
	diag "$(dmesg | grep -E 'resync|resyncing')"
	rb_publish_hash
	;;
esac
check "barrier: replicas compared" barrier compared
check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
