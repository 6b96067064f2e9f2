#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Snapshots as each node holds them (issue 13; suite vm-snapshot-nodes:
# run --nodes 3 --disk-size 128M --timeout 900 snapshot_nodes). Node1 has
# a COW pool (/dev/vda), node2 a pool of 2 MiB (a table and 1 MiB of COW,
# a dm-linear of /dev/vda), node3 none at first.
#
# 0a. node3 is added (peer add) while node1 takes j0 (1 MiB of COW: it
#     fits node2's pool) over 4 MiB of random data, then writes over it:
#     j0 hashes the same on nodes 1 and 2 (not as the origin); node3
#     (no pool) has no j0 device and says why (no-cow, or joined by a
#     copy past it); node1, the leader, lists j0 on each node (`snapshot
#     list --json`, "cluster": reports the followers send it): active on
#     1 and 2, missing on 3 with node3's own reason; j0 is deleted;
#  0. node1 discards the whole device (blkdiscard): with a pool that is
#     zero pages through snapshot-origin, now written by a work item;
#     zeros read back, node1 still leads in the same term (the stall of
#     the node thread this is about was not reproduced here: the check
#     passed on the old code too);
#  1. node1 runs `raftctl events --json`; snapshot a1 (default COW size):
#     node1 has it active; node2 lists it as missing here (no room in the
#     pool) by name; node3 says it has no COW pool and its last entry a1
#     was applied without a snapshot (no-cow); status on each node gives
#     the same counts in its "snapshots" line;
#  2. node3 destroys its device (down); node1 takes b1 and tiny (1 MiB of
#     COW), then writes 32 MiB over the same 4 MiB (twice the log ring):
#     tiny overflows (invalid on node1, an event says so), b1 and a1 stay
#     active; node2, a follower, lists tiny invalid on node1 before node1
#     lists anything (node1's events pushed its report; the leader relays
#     every report to its followers), and its list says it shows the
#     leader's relay; node1 and node2 list b1 as pending on node3 (down,
#     its last report is of an index before b1), missing on node2;
#  3. node3 comes back over its disk, now with a pool: it is behind the
#     leader's compaction point and catches up by a copy: status and
#     `snapshot list` say it joined by a copy of index N >= b1's index
#     ("missing: ... joined by a copy"), b1 is no device there; r1,
#     requested on node1 as soon as node3 is back (while it catches up),
#     is on node3 with node1's sha256 if its entry came after the copy,
#     else neither listed nor a device there (the copy covers it);
#  4. node1 takes c1: node3 takes it too, with the sha256 of node1's;
#     node2 lists it as missing (its pool is full); node1, and node2 as
#     relayed, list c1 on each node (active, missing, active); node1
#     lists b1 and a1 missing on node3 now: it joined by a copy past
#     them ("cannot take a snapshot of a point it never held");
#  5. a1 is deleted: gone on node1, and on node2 (where it was only a
#     record of a missing snapshot); node1's event stream has a create for
#     a1, a change with state invalid for tiny, a destroy for a1;
#  5b. x1 with its own COW device (--cow /dev/loop7, 16 MiB, on nodes 1
#     and 3 only): active there with cow_device /dev/loop7 and the
#     device's size, the same sha256; missing on node2 (no such device),
#     with why; deleted everywhere, the loop devices free again;
#  5c. node1 runs a writer (4 KiB blocks, each acknowledged one noted),
#     issues `peer remove 2` and `snapshot create m1` together: nodes 1
#     and 3 have m1 at the same index and term with the same sha256;
#     node2 (removed) lists m1 at that index if it applied the entry,
#     else neither lists it nor has a device; no write failed and every
#     acknowledged one reads back on node1; node1 holds no report of
#     node2 any more, nor node3 a relayed one; m1 is deleted again. Steps
#     6 and 7 then run with two voters, nodes 1 and 3;
#  6. node3's snapshot helper is a wrapper that sleeps once it took p1:
#     node1 takes p1, node3 is power-cut while its kernel still waits at
#     p1 (the pool records p1), boots again: it applies p1 again (a
#     no-op), has p1 active with node1's sha256;
#  7. destroy leaves no device-mapper device of raftblk0.
. /lib.sh
. /scenarios/lib-cluster.sh
. /scenarios/lib-snapshot.sh

MNT=/mnt

if [ "$NODES" -ne 3 ]; then
	tap_fail "snapshot_nodes needs exactly 3 nodes (--nodes 3)"
	finish
fi

# snap_sha8 SNAP : sha256 of the first 8 MiB of SNAP's device
snap_sha8() { snap_sha "$1" 8; }
# cluster_cell SNAP NODE KEY : the leader's view of NODE's SNAP (KEY state
# or why) in `snapshot list --json` ("cluster"; one "{" per node there)
cluster_cell() {
	raftctl snapshot list "$RB_DEV" --json 2>/dev/null |
		grep "^    {\"snapshot\": \"$1\", " | tr '{' '\n' |
		sed -n "s/^\"node_id\": $2, .*\"$3\": \"\([^\"]*\)\".*/\1/p"
}
cell_is() { [ "$(cluster_cell "$1" "$2" state)" = "$3" ]; }
cells_are() { # SNAP STATE-OF-NODE1 STATE-OF-NODE2 STATE-OF-NODE3
	cell_is "$1" 1 "$2" && cell_is "$1" 2 "$3" && cell_is "$1" 3 "$4"
}
# the "snapshots" line of `raftctl status`
status_snaps() { raftctl status "$RB_DEV" | sed -n 's/^  snapshots //p'; }
copy_index() {
	raftctl snapshot list "$RB_DEV" --json |
		sed -n 's/^  "copy_index": \([0-9]*\),*$/\1/p'
}

case $NODE in
1) POOLOPT="--snapshot-pool /dev/vda" ;;
2)
	check "a 2 MiB pool for node2" \
		sh -c "dmsetup create smallpool --table '0 4096 linear /dev/vda 0' && dmsetup mknodes smallpool && test -b /dev/mapper/smallpool"
	POOLOPT="--snapshot-pool /dev/mapper/smallpool"
	;;
*) POOLOPT= ;;
esac

teardown() {
	check "barrier: crash checked" barrier crashchecked || finish
	check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
	check "no $RB_DEV device-mapper device left" \
		sh -c "! dmsetup ls | grep -q '^$RB_DEV-'"
	[ "$NODE" = 2 ] && check "remove the small pool" dmsetup remove smallpool
	check "barrier: destroyed" barrier destroyed
	check "rmmod raftblk" rmmod raftblk
	finish
}

check "insmod raftblk.ko" load_raftblk || finish
# 6. (node3, booted again after its power-cut inside p1's helper run)
if [ "$BOOT" -gt 1 ]; then
	check "node3 starts again over its disk and pool" \
		rb_create --snapshot-pool /dev/vda || finish
	pi=$(get p1)
	check "node3 applied p1's entry again (index $pi)" \
		wait_for 120 rb_applied_at_least "$pi"
	diag "$(raftctl snapshot list "$RB_DEV")" "$(dmesg | grep -E 'raftblk.*p1')"
	check "p1 is active on node3 after the power-cut" snap_state_is p1 active
	check "the replay found p1 recorded in the pool (no second COW area)" \
		sh -c "! dmesg | grep -q 'raftblk-helper: $RB_DEV: snapshot p1 taken'"
	check "p1 on node3 at the entry's index" \
		test "$(snap_json p1 index)" = "$pi"
	h1=$(get sha-p1-node1)
	check "p1 hashes the same on node3 as on node1 ($h1)" \
		test -n "$h1" -a "$(snap_sha p1)" = "$h1"
	check "node3's last entry p1: taken" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q 'last snapshot entry: create p1 at index $pi term [0-9]*: taken$'"
	teardown
fi
check "raftctl create $RB_DEV as node $NODE ${POOLOPT:-without a pool}" \
	rb_create $POOLOPT $([ "$NODE" = 1 ] && echo --bootstrap) ||
	{ diag "$(dmesg | tail -n 30)"; finish; }
check "barrier: all three nodes created" barrier created || finish
if [ "$NODE" = 1 ]; then
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "node2 is a voter" wait_for 180 test -e "$SHARED/kv/voter-2"
	# 0a. j0, requested while node3 is being added: the bytes before it
	# are random, the ones written after it must not show in it
	check "4 MiB of random data written on node1" \
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=1M count=4 oflag=direct
	rb_peer_add 3 >/tmp/add3.out 2>&1 &
	addpid=$!
	out=$(raftctl snapshot create "$RB_DEV" j0 --size 1M 2>&1)
	wait $addpid
	addrc=$?
	check "peer add 3 (j0 requested meanwhile): rc $addrc $(cat /tmp/add3.out)" \
		test "$addrc" = 0
	check "snapshot create j0 while node3 is added: $out" \
		sh -c "echo '$out' | grep -q '^snapshot j0 taken at index'"
	j0i=$(echo "$out" | awk '{print $6}')
	put j0 "$j0i"
	check "256 KiB written over the start of the origin after j0" \
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=256k count=1 oflag=direct
	h1=$(snap_sha8 j0)
	check "nodes 2 and 3 are voters" rb_wait_joined 300
	h2=$(get sha-j0-node2)
	check "j0 hashes the same on node2 as on node1 ($h1)" \
		test -n "$h1" -a "$h1" = "$h2"
	check "the origin is not j0 (the write after it)" test "$h1" != \
		"$(dd if=/dev/$RB_DEV bs=1M count=8 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
	c3=$(get copy-node3)
	if [ "${c3:-0}" -ge "$j0i" ]; then
		why3="joined by a copy of index $c3: cannot take a snapshot of a point it never held"
	else
		why3="no COW pool configured there"
	fi
	check "node1 (leader) lists j0: active on 1 and 2, missing on 3" \
		wait_for 60 cells_are j0 active active missing
	diag "$(raftctl snapshot list "$RB_DEV")"
	check "node1 says why j0 is missing on node3, as node3 has it ($why3)" \
		test "$(cluster_cell j0 3 why)" = "$why3"
	out=$(raftctl snapshot delete "$RB_DEV" j0 2>&1)
	check "snapshot delete j0: $out" \
		sh -c "echo '$out' | grep -q '^snapshot j0 deleted at index'"
	# a whole-device discard goes through snapshot-origin as zero pages,
	# built and submitted by a work item, never by the node thread
	t0=$(rb_term)
	check "blkdiscard of the whole device (zero pages through the origin)" \
		blkdiscard "/dev/$RB_DEV"
	t1=$(rb_term)
	check "node1 still leads in term $t0 after the discard (term $t1, $(rb_role))" \
		test "$t1" = "$t0" -a "$(rb_role)" = leader
	z=$(dd if=/dev/zero bs=1M count=1 2>/dev/null | sha256sum)
	check "the device reads zeros after the discard" test "$z" = \
		"$(dd if=/dev/$RB_DEV bs=1M skip=50 count=1 iflag=direct 2>/dev/null | sha256sum)"
	raftctl events --json >/tmp/ev 2>&1 &
	echo $! >/tmp/ev.pid
	sleep 1
	out=$(raftctl snapshot create "$RB_DEV" a1 2>&1)
	check "snapshot create a1: $out" \
		sh -c "echo '$out' | grep -q '^snapshot a1 taken at index'"
	put a1 "$(echo "$out" | awk '{print $6}')"
else
	check "node$NODE is a voter" rb_wait_joined 300
	j0i=$(get j0)
	check "node$NODE applied j0's entry (index $j0i)" \
		wait_for 120 rb_applied_at_least "$j0i"
	if [ "$NODE" = 2 ]; then
		check "j0 is active on node2" snap_state_is j0 active
		put sha-j0-node2 "$(snap_sha8 j0)"
	else
		# no pool here: j0 was applied without a snapshot, or not at
		# all if node3 joined by a copy of a later index
		c3=$(copy_index)
		diag "$(raftctl snapshot list "$RB_DEV")"
		check "no j0 device on node3" test ! -e "$(snapdev j0)"
		if [ "${c3:-0}" -ge "$j0i" ]; then
			check "node3 says it joined by a copy of index $c3" sh -c \
				"raftctl snapshot list $RB_DEV | grep -q 'joined by a copy of index $c3'"
		else
			check "node3 applied j0 without a snapshot (no-cow)" sh -c \
				"raftctl snapshot list $RB_DEV | grep -q 'last snapshot entry: create j0 at index $j0i term [0-9]*: no-cow$'"
		fi
		put copy-node3 "${c3:-0}"
	fi
fi

# 1. what each node made of a1
ai=$(get a1)
check "node$NODE applied a1's entry (index $ai)" \
	wait_for 120 rb_applied_at_least "$ai"
diag "$(raftctl snapshot list "$RB_DEV")" "status: $(status_snaps)"
case $NODE in
1)
	check "a1 is active on node1" snap_state_is a1 active
	check "status on node1: 1 taken, none missing ($(status_snaps))" \
		sh -c "raftctl status $RB_DEV | grep -q '^  snapshots 1 taken (0 invalid), 0 missing here, pool /dev/vda$'"
	;;
2)
	check "a1 is listed as missing on node2" snap_state_is a1 missing
	check "a1's index on node2 is the entry's ($(snap_json a1 index))" \
		test "$(snap_json a1 index)" = "$ai"
	check "node2 says why: no room in the COW pool" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^$RB_DEV node 2: a1 missing: not taken here: no room in the COW pool$'"
	check "no a1 device on node2" test ! -e "$(snapdev a1)"
	check "status on node2: 1 missing here ($(status_snaps))" \
		sh -c "raftctl status $RB_DEV | grep -q '^  snapshots 0 taken (0 invalid), 1 missing here, pool /dev/mapper/smallpool$'"
	;;
3)
	check "node3 says it has no COW pool" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^$RB_DEV node 3: no COW pool configured'"
	check "node3's last entry: a1 not taken (no-cow)" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q 'last snapshot entry: create a1 at index $ai term [0-9]*: no-cow$'"
	check "status on node3: none ($(status_snaps))" \
		test "$(status_snaps)" = "none (no COW pool configured)"
	;;
esac
check "barrier: a1 seen" barrier a1 || finish

# 2. node3 down; b1 and tiny taken; writes past the log ring
if [ "$NODE" = 3 ]; then
	check "node3 destroys its device (down)" raftctl destroy "$RB_DEV"
	put node3down 1
fi
if [ "$NODE" = 1 ]; then
	get node3down >/dev/null
	out=$(raftctl snapshot create "$RB_DEV" b1 2>&1)
	check "snapshot create b1 with node3 down: $out" \
		sh -c "echo '$out' | grep -q '^snapshot b1 taken at index'"
	put b1 "$(echo "$out" | awk '{print $6}')"
	out=$(raftctl snapshot create "$RB_DEV" tiny --size 1M 2>&1)
	check "snapshot create tiny --size 1M: $out" \
		sh -c "echo '$out' | grep -q '^snapshot tiny taken at index'"
	i=0
	while [ $i -lt 8 ]; do
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=1M count=4 \
			oflag=direct 2>/dev/null || break
		i=$((i + 1))
	done
	check "32 MiB written over the first 4 MiB" test $i = 8
	# seen by node1's `raftctl events`, which pushes node1's report:
	# node2 lists it through the leader's relay before node1 lists
	check "event: tiny invalid on node1" wait_for 30 grep -q \
		'"event": "change", "object": "snapshot", .*"name": "tiny", .*"state": "invalid"' /tmp/ev
	put tinyev 1
	get tinyseen >/dev/null
	check "tiny is invalid on node1 (COW full)" wait_for 30 \
		snap_state_is tiny invalid
	check "node1 (leader) lists b1 pending on node3 (down), missing on node2" \
		wait_for 60 cells_are b1 active missing pending
	check "node1 lists tiny invalid on node1" cell_is tiny 1 invalid
	check "a1 and b1 are still active on node1" \
		snap_states_are active a1 b1
	put written "$(rb_commit)"
fi
if [ "$NODE" = 2 ]; then
	get tinyev >/dev/null
	check "node2 (follower) lists tiny invalid on node1, as the leader relayed it, before node1 listed it" \
		wait_for 20 cell_is tiny 1 invalid
	put tinyseen 1
	diag "$(raftctl snapshot list "$RB_DEV")"
	check "node2's list: the table as the leader relayed it" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^$RB_DEV node 2 (follower; as the leader, node 1, relayed it [0-9]*s ago): state on each node:$'"
	check "node2 (follower) lists b1 as node1 does: active, missing, pending" \
		cells_are b1 active missing pending
fi
check "barrier: written" barrier written || finish

# 3. node3 back, caught up by a copy
bi=$(get b1)
if [ "$NODE" = 3 ]; then
	check "node3 creates its device again, now with a pool" \
		rb_create --snapshot-pool /dev/vda
	put node3created 1
	wc=$(get written)
	check "node3 caught up (applied >= $wc)" \
		wait_for 300 rb_applied_at_least "$wc"
	put node3caught 1
	ci=$(copy_index)
	diag "$(raftctl snapshot list "$RB_DEV")" "status: $(status_snaps)"
	check "node3 joined by a copy of index ${ci:-none} >= b1's $bi" \
		test -n "$ci" -a "${ci:-0}" -ge "$bi"
	check "list on node3 says snapshots up to $ci are missing" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^$RB_DEV node 3: missing: this node joined by a copy of index $ci (resync)'"
	check "list --json on node3 has missing_before index $ci" sh -c \
		"raftctl snapshot list $RB_DEV --json | grep -q '^  \"missing_before\": {\"index\": $ci, '"
	check "status on node3 says so ($(status_snaps))" sh -c \
		"raftctl status $RB_DEV | grep -q '^  snapshots [01] taken (0 invalid), 0 missing here, pool /dev/vda; joined by a copy of index $ci$'"
	check "no b1 device on node3" test ! -e "$(snapdev b1)"
	# r1, requested while node3 caught up: taken here with node1's
	# bytes if its entry came after the copy, else missing by the copy
	ri=$(get r1)
	check "node3 applied r1's entry (index $ri)" \
		wait_for 300 rb_applied_at_least "$ri"
	ci=$(copy_index)
	diag "r1 at index $ri, node3's copy of index $ci"
	if [ "${ci:-0}" -ge "$ri" ]; then
		check "r1 came before node3's copy ($ri <= $ci): not listed, no device" \
			sh -c "[ -z \"\$(raftctl snapshot list $RB_DEV --json | grep '\"name\": \"r1\"')\" ] && [ ! -e $(snapdev r1) ]"
	else
		check "r1 came after node3's copy ($ri > $ci): active" \
			snap_state_is r1 active
		check "r1 hashes the same on node3 as on node1" \
			test "$(snap_sha r1)" = "$(get sha-r1-node1)"
	fi
fi
if [ "$NODE" = 1 ]; then
	get node3created >/dev/null
	diag "node1's copy to node3 when r1 is requested: $(rb_resync 3)"
	out=$(raftctl snapshot create "$RB_DEV" r1 2>&1)
	check "snapshot create r1 while node3 catches up: $out" \
		sh -c "echo '$out' | grep -q '^snapshot r1 taken at index'"
	put r1 "$(echo "$out" | awk '{print $6}')"
	# hashed once the copy is over: reading 111 MiB beside the copy,
	# the leader once went silent long enough for an election (load 35)
	get node3caught >/dev/null
	put sha-r1-node1 "$(snap_sha r1)"
fi
check "barrier: node3 back" barrier back || finish

# 4. c1, taken by node3 after its copy
if [ "$NODE" = 1 ]; then
	out=$(raftctl snapshot create "$RB_DEV" c1 2>&1)
	check "snapshot create c1: $out" \
		sh -c "echo '$out' | grep -q '^snapshot c1 taken at index'"
	put c1 "$(echo "$out" | awk '{print $6}')"
fi
ci1=$(get c1)
check "node$NODE applied c1's entry (index $ci1)" \
	wait_for 120 rb_applied_at_least "$ci1"
case $NODE in
1 | 3)
	check "c1 is active on node$NODE" snap_state_is c1 active
	put "sha-c1-node$NODE" "$(snap_sha c1)"
	;;
2)
	check "c1 is missing on node2 (pool full)" snap_state_is c1 missing
	check "node2 (follower) lists c1 on each node: active, missing, active" \
		wait_for 60 cells_are c1 active missing active
	check "node2's cluster view is the leader's relay" sh -c \
		"raftctl snapshot list $RB_DEV --json | grep -q '^  \"cluster_source\": \"relayed\",$'"
	;;
esac
if [ "$NODE" = 3 ]; then
	h1=$(get sha-c1-node1)
	check "c1 hashes the same on node3 as on node1 ($h1)" \
		test -n "$h1" -a "$h1" = "$(get sha-c1-node3)"
fi
if [ "$NODE" = 1 ]; then
	# node3 was down for b1 and came back by a copy past it
	diag "$(raftctl snapshot list "$RB_DEV")"
	check "node1 (leader) lists c1: active on 1 and 3, missing on 2" \
		wait_for 60 cells_are c1 active missing active
	check "node1 lists b1 missing on node3 now (joined by a copy)" \
		cells_are b1 active missing missing
	check "node1 says why: node3 joined by a copy of a later index" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^$RB_DEV b1 node 3: missing: joined by a copy of index [0-9]*: cannot take a snapshot of a point it never held$'"
	check "node1 lists a1 missing on nodes 2 and 3" \
		cells_are a1 active missing missing
fi
check "barrier: c1 checked" barrier c1 || finish

# 5. delete a1: on node2 the record of a missing snapshot goes too
if [ "$NODE" = 1 ]; then
	out=$(raftctl snapshot delete "$RB_DEV" a1 2>&1)
	check "snapshot delete a1: $out" \
		sh -c "echo '$out' | grep -q '^snapshot a1 deleted at index'"
	put del "$(echo "$out" | awk '{print $6}')"
fi
di=$(get del)
check "node$NODE applied the delete (index $di)" \
	wait_for 120 rb_applied_at_least "$di"
check "a1 is not listed on node$NODE" test -z "$(snap_json a1 index)"
check "a1 is no device on node$NODE" test ! -e "$(snapdev a1)"
if [ "$NODE" = 1 ]; then
	sleep 2
	kill "$(cat /tmp/ev.pid)"
	diag "$(grep '"snapshot"' /tmp/ev)"
	check "event: create snapshot a1" grep -q \
		'"event": "create", "object": "snapshot", .*"name": "a1", "op": "create", "index": '"$ai"', .*"result": "taken"' /tmp/ev
	check "event: change snapshot tiny, state invalid" grep -q \
		'"event": "change", "object": "snapshot", .*"name": "tiny", .*"state": "invalid"' /tmp/ev
	check "event: destroy snapshot a1" grep -q \
		'"event": "destroy", "object": "snapshot", .*"name": "a1", "op": "delete", "index": '"$di"', .*"result": "deleted"' /tmp/ev
fi
check "barrier: deleted" barrier deleted || finish

# 5b. x1 on a COW device of its own (--cow /dev/loop7): a 16 MiB loop
# device on nodes 1 and 3, none on node2
if [ "$NODE" != 2 ]; then
	check "a 16 MiB COW device /dev/loop7 on node$NODE" sh -c \
		"dd if=/dev/zero of=/tmp/cow.img bs=1M count=16 2>/dev/null && losetup /dev/loop7 /tmp/cow.img"
fi
check "barrier: COW devices ready" barrier cowdev || finish
if [ "$NODE" = 1 ]; then
	out=$(raftctl snapshot create "$RB_DEV" x1 --cow /dev/loop7 2>&1)
	check "snapshot create x1 --cow /dev/loop7: $out" \
		sh -c "echo '$out' | grep -q '^snapshot x1 taken at index'"
	put x1 "$(echo "$out" | awk '{print $6}')"
fi
xi=$(get x1)
check "node$NODE applied x1's entry (index $xi)" \
	wait_for 120 rb_applied_at_least "$xi"
diag "$(raftctl snapshot list "$RB_DEV")"
if [ "$NODE" = 2 ]; then
	check "x1 is missing on node2 (no /dev/loop7 here)" \
		snap_state_is x1 missing
	check "node2 says why: its COW device" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^$RB_DEV node 2: x1 missing: not taken here: its COW device is missing'"
else
	check "x1 is active on node$NODE" snap_state_is x1 active
	check "x1's COW device on node$NODE is /dev/loop7" \
		test "$(snap_json x1 cow_device)" = /dev/loop7
	check "x1's COW size on node$NODE is the device's (16 MiB)" \
		test "$(snap_json x1 cow_size)" = 16777216
	check "no pool COW area device for x1 on node$NODE" \
		test ! -e "/dev/mapper/$RB_DEV-snap-x1-cow"
	put "sha-x1-node$NODE" "$(snap_sha x1)"
fi
if [ "$NODE" = 3 ]; then
	h1=$(get sha-x1-node1)
	check "x1 hashes the same on node3 as on node1 ($h1)" \
		test -n "$h1" -a "$h1" = "$(get sha-x1-node3)"
fi
check "barrier: x1 checked" barrier x1 || finish
if [ "$NODE" = 1 ]; then
	out=$(raftctl snapshot delete "$RB_DEV" x1 2>&1)
	check "snapshot delete x1: $out" \
		sh -c "echo '$out' | grep -q '^snapshot x1 deleted at index'"
	put delx "$(echo "$out" | awk '{print $6}')"
fi
dx=$(get delx)
check "node$NODE applied x1's delete (index $dx)" \
	wait_for 120 rb_applied_at_least "$dx"
check "x1 is gone on node$NODE" test ! -e "$(snapdev x1)"
if [ "$NODE" != 2 ]; then
	check "/dev/loop7 is free again on node$NODE" losetup -d /dev/loop7
fi
check "barrier: x1 deleted" barrier x1deleted || finish

# 5c. m1, requested while node2 is being removed and a writer runs on
# node1: nodes 1 and 3 (the members) take it at the same index and term
# with the same bytes; node2 lists it (as missing: its pool is full) at
# that index if it applied the entry before it was cut off, else neither
# lists it nor has a device; every write node1 acknowledged reads back
if [ "$NODE" = 1 ]; then
	# 4 KiB blocks from 64 MiB on, each holding its sequence number;
	# an acknowledged one is appended to /tmp/acked
	WB=16384
	rm -f /tmp/stopw /tmp/werr
	: >/tmp/acked
	(
		i=0
		while [ ! -e /tmp/stopw ] && [ $i -lt 300 ]; do
			printf 'w%07d' $i | dd of="/dev/$RB_DEV" bs=4096 \
				seek=$((WB + i)) conv=sync oflag=direct \
				2>/dev/null || { echo "write $i failed" >/tmp/werr; break; }
			echo $i >>/tmp/acked
			i=$((i + 1))
		done
	) &
	wpid=$!
	check "the writer runs (5 writes acknowledged)" \
		wait_for 120 sh -c "test \$(wc -l </tmp/acked) -ge 5"
	raftctl peer remove "$RB_DEV" 2 >/tmp/rm.out 2>&1 &
	rmpid=$!
	out=$(raftctl snapshot create "$RB_DEV" m1 --size 8M 2>&1)
	wait $rmpid
	rmrc=$?
	check "peer remove 2 (in parallel with m1): rc $rmrc $(cat /tmp/rm.out)" \
		test "$rmrc" = 0
	check "snapshot create m1 while node2 is removed: $out" \
		sh -c "echo '$out' | grep -q '^snapshot m1 taken at index'"
	mi=$(echo "$out" | awk '{print $6}')
	n=$(wc -l </tmp/acked)
	check "writes go on after m1 ($n acknowledged so far)" \
		wait_for 120 sh -c "test \$(wc -l </tmp/acked) -ge $((n + 5)) -o -s /tmp/werr"
	touch /tmp/stopw
	wait $wpid
	check "no write of the writer failed" test ! -s /tmp/werr ||
		diag "$(cat /tmp/werr)"
	check "node1 no longer lists node 2" \
		wait_for "$RB_ELECTION_WAIT" sh -c \
		"[ -z \"\$(raftctl peer list $RB_DEV | awk '\$1 == 2')\" ]"
	check "node1 holds no report of node 2 any more (reports from 1, 3)" \
		wait_for 30 sh -c "raftctl snapshot list $RB_DEV --json | grep -q '^  \"reports_from\": \[1, 3\],$'"
	bad=
	for i in $(cat /tmp/acked); do
		got=$(dd if="/dev/$RB_DEV" bs=4096 skip=$((WB + i)) count=1 \
			iflag=direct 2>/dev/null | head -c 8)
		[ "$got" = "$(printf 'w%07d' "$i")" ] || bad="$bad $i"
	done
	check "all $(wc -l </tmp/acked) acknowledged writes read back on node1${bad:+ (lost:$bad)}" \
		test -z "$bad"
	check "m1 is active on node1" snap_state_is m1 active
	put sha-m1-node1 "$(snap_sha m1)"
	put m1term "$(snap_json m1 term)"
	put m1 "$mi"
fi
mi=$(get m1)
mt=$(get m1term)
if [ "$NODE" = 3 ]; then
	check "node3 applied m1's entry (index $mi)" \
		wait_for 120 rb_applied_at_least "$mi"
	diag "$(raftctl snapshot list "$RB_DEV")"
	check "m1 is active on node3" snap_state_is m1 active
	check "m1 on node3 at node1's index $mi and term $mt" \
		test "$(snap_json m1 index)" = "$mi" -a "$(snap_json m1 term)" = "$mt"
	h1=$(get sha-m1-node1)
	check "m1 hashes the same on node3 as on node1 ($h1)" \
		test -n "$h1" -a "$(snap_sha m1)" = "$h1"
	check "node3 holds no relayed report of node 2 (removed): from 3, 1" \
		wait_for 30 sh -c "raftctl snapshot list $RB_DEV --json | grep -q '^  \"reports_from\": \[3, 1\],$'"
fi
if [ "$NODE" = 2 ]; then
	a=$(rb_applied)
	diag "node2 removed, applied $a, m1 at $mi" \
		"$(raftctl snapshot list "$RB_DEV")"
	check "no m1 device on node2" test ! -e "$(snapdev m1)"
	if [ -n "$(snap_json m1 index)" ]; then
		check "node2 lists m1 at node1's index $mi and term $mt, missing" \
			test "$(snap_json m1 index)" = "$mi" -a \
			"$(snap_json m1 term)" = "$mt" -a \
			"$(snap_json m1 state)" = missing
	else
		check "node2 does not list m1: it did not apply its entry (applied $a < $mi)" \
			test "${a:-0}" -lt "$mi"
	fi
fi
check "barrier: m1 checked" barrier m1 || finish
# m1's COW area back to node1's pool (p1 below needs the room)
if [ "$NODE" = 1 ]; then
	out=$(raftctl snapshot delete "$RB_DEV" m1 2>&1)
	check "snapshot delete m1: $out" \
		sh -c "echo '$out' | grep -q '^snapshot m1 deleted at index'"
fi

# 6. node3 power-cut while its helper takes p1: the helper recorded p1 in
# the pool, the kernel had not yet heard back (it still waits at p1)
if [ "$NODE" = 3 ]; then
	cat >/tmp/slowhelper <<-EOS
	#!/bin/sh
	$(command -v raftctl) "\$@"
	rc=\$?
	if [ "\$2" = snapshot-create ] && [ "\$RAFTBLK_SNAPSHOT" = p1 ]; then
		touch "$SHARED/kv/p1-helper-done"
		sleep 3600
	fi
	exit \$rc
	EOS
	chmod +x /tmp/slowhelper
	check "node3's snapshot helper sleeps after taking p1" sh -c \
		"printf %s /tmp/slowhelper >/sys/module/raftblk/parameters/snapshot_helper"
	put slowready 1
	get p1 >/dev/null
	check "node3's helper took and recorded p1" \
		wait_for 120 test -e "$SHARED/kv/p1-helper-done"
	a=$(rb_applied)
	check "node3 still waits at p1 (applied $a < $(get p1))" \
		test "$a" -lt "$(get p1)"
	put p1-inside 1
	sleep 600	# power-cut by node1 here
fi
if [ "$NODE" = 1 ]; then
	get slowready >/dev/null
	out=$(raftctl snapshot create "$RB_DEV" p1 2>&1)
	check "snapshot create p1: $out" \
		sh -c "echo '$out' | grep -q '^snapshot p1 taken at index'"
	put sha-p1-node1 "$(snap_sha p1)"
	put p1 "$(echo "$out" | awk '{print $6}')"
	get p1-inside >/dev/null
	check "host power-cuts node3 inside p1's helper run" host_request kill 3
	check "host boots node3 again" host_request boot 3
fi
teardown
