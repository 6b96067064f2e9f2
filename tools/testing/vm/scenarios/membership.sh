#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cluster membership and leadership by hand, across three VMs
# (run --nodes 3 --timeout 900 membership):
#
#  1. node1 bootstraps, nodes 2 and 3 start empty; node1 adds node 2,
#     waits until it is a voter, then node 3; a second add of a member is
#     refused; peer list (table and JSON) shows both as connected voters;
#  2. on a follower, peer add / transfer-leader are refused ("this node is
#     not the leader");
#  3. node1 hands leadership to node 2 (transfer-leader); node 2 leads,
#     writes and reads back a block; node 1 refuses I/O;
#  4. node 2 removes node 3; nodes 1 and 2 no longer list it; node 2 still
#     commits writes with node 1 alone (a majority of the two voters).
#
# Environment: RB_ELECTION_WAIT (lib-cluster.sh), RB_JOIN_WAIT (seconds
# for a new node to become a voter, default 180).
. /lib.sh
. /scenarios/lib-cluster.sh

RB_JOIN_WAIT=${RB_JOIN_WAIT:-180}

if [ "$NODES" -ne 3 ]; then
	tap_fail "membership needs exactly 3 nodes (--nodes 3)"
	finish
fi

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create $RB_DEV as node $NODE" \
	rb_create $([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier created || finish

not_in_peers() { # ID: this node does not list ID as a peer
	[ -z "$(rb_peer_field "$1" id)" ] && rb_json >/dev/null
}
leader_is() { [ "$(rb_leader)" = "$1" ]; }
peer_connected() { [ "$(rb_peer_field "$1" state)" = connected ]; }

# A block written through the device and read back (O_DIRECT).
write_read_block() { # SEEK
	dd if=/dev/urandom of=/tmp/blk bs=4096 count=1 2>/dev/null &&
	dd if=/tmp/blk of="/dev/$RB_DEV" bs=4096 seek="$1" oflag=direct \
		2>/dev/null &&
	dd if="/dev/$RB_DEV" bs=4096 skip="$1" count=1 iflag=direct \
		2>/dev/null | cmp - /tmp/blk
}

case $NODE in
1)
	check "node1 leads its one-node cluster" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "node 2 becomes a voter" \
		wait_for "$RB_JOIN_WAIT" rb_is_voter 2 || rb_status_diag
	check "peer add 3" rb_peer_add 3
	check "node 3 becomes a voter" \
		wait_for "$RB_JOIN_WAIT" rb_is_voter 3 || rb_status_diag
	expect_fail 1 "raftctl: peer add $RB_DEV 2: invalid membership change (Invalid argument)" \
		raftctl peer add "$RB_DEV" 2 "$(rb_listen 2)"
	check "peer 2 connected" wait_for 30 peer_connected 2
	check "peer 3 connected" wait_for 30 peer_connected 3
	check "peer 2's address" test "$(rb_peer_field 2 address)" = "$(rb_listen 2)"
	check "a write on the leader" write_read_block 1
	check "peer list shows both peers with their lag" sh -c \
		"raftctl peer list $RB_DEV >/tmp/pl &&
		 grep -Eq '^2 +$(rb_listen 2) +voter +connected +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]s ago\$' /tmp/pl &&
		 grep -Eq '^3 +$(rb_listen 3) +voter +connected +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]s ago\$' /tmp/pl"
	check "peer list --json" sh -c \
		"raftctl peer list $RB_DEV --json >/tmp/pl.json &&
		 grep -q '\"name\": \"$RB_DEV\"' /tmp/pl.json &&
		 test \$(grep -c '\"role\": \"voter\"' /tmp/pl.json) = 2 &&
		 grep -q '\"lag\": [0-9]' /tmp/pl.json"
	rb_status_diag
	put joined 1
	check "barrier: followers checked" barrier followers-checked ||
		finish
	check "transfer-leader $RB_DEV 2" raftctl transfer-leader "$RB_DEV" 2
	check "node1 sees node 2 as the leader" \
		wait_for "$RB_ELECTION_WAIT" leader_is 2 || rb_status_diag
	check "node1 is a follower" rb_is follower
	check "node1 refuses reads now" rb_refuses_read
	check "barrier: transferred" barrier transferred || finish
	check "node1 no longer lists node 3" \
		wait_for "$RB_ELECTION_WAIT" not_in_peers 3 || rb_status_diag
	;;
2|3)
	check "node$NODE becomes a voter" \
		wait_for "$RB_JOIN_WAIT" rb_self_voter || rb_status_diag
	get joined >/dev/null
	expect_fail 1 "raftctl: peer add $RB_DEV 4: this node is not the leader (Remote I/O error)" \
		raftctl peer add "$RB_DEV" 4 10.0.0.4:7789
	expect_fail 1 "raftctl: peer remove $RB_DEV 1: this node is not the leader (Remote I/O error)" \
		raftctl peer remove "$RB_DEV" 1
	expect_fail 1 "raftctl: transfer-leader $RB_DEV $NODE: this node is not the leader (Remote I/O error)" \
		raftctl transfer-leader "$RB_DEV" "$NODE"
	check "follower's peer list has the other two" sh -c \
		"raftctl peer list $RB_DEV | tail -n +2 | awk '{ print \$1 }' |
		 sort | tr '\n' ' ' | grep -qx '$(for n in 1 2 3; do
			[ $n = "$NODE" ] || printf '%s ' $n; done)'"
	check "barrier: followers checked" barrier followers-checked ||
		finish
	if [ "$NODE" = 2 ]; then
		check "node2 becomes the leader" \
			wait_for "$RB_ELECTION_WAIT" rb_is leader ||
			rb_status_diag
		check "a write on the new leader" write_read_block 2
		check "barrier: transferred" barrier transferred || finish
		check "peer remove 3" raftctl peer remove "$RB_DEV" 3
		check "node2 no longer lists node 3" \
			wait_for "$RB_ELECTION_WAIT" not_in_peers 3 ||
			rb_status_diag
		check "writes commit with nodes 1 and 2" write_read_block 3
		rb_status_diag
	else
		check "barrier: transferred" barrier transferred || finish
	fi
	;;
esac

check "barrier: done" barrier done
check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
