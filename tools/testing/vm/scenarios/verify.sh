#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Online verify of the replicas, and their repair (issue 16 item 5; suite
# vm-verify: run --nodes 3 --disk-size 128M --timeout 900 verify).
#
#  1. node1 bootstraps, adds nodes 2 and 3; writes 8 MiB of random data
#     at 0 and 2 MiB at 20 MiB;
#  2. a verify of the clean cluster while 4 KiB writes go on back to back
#     over extents 90 to 105: the leader applies them while it hashes (its
#     kernel log counts extents hashed before a write to them, > 0);
#     `raftctl verify --json` exits 0, no
#     extent differs, node1 is the reference and nodes 2 and 3 are the
#     same; its human form says "no differences"; a follower's verify
#     is refused ("not the leader"), its --show says it sent its hashes;
#  3. node3 overwrites 4 KiB of its data area in extents 5 and 9 behind
#     raftblk's back (dd to the backing disk at the superblock's data_off
#     plus the offset, O_DIRECT);
#  4. node1 writes on (so the verify entry comes after more writes), then
#     `raftctl verify` exits 3 and reports exactly extents 5 and 9 on node
#     3 and none on node 2 (JSON and the table); status shows the verify,
#     and `raftctl events` its start and end;
#  5. bad input: a second verify while one runs is refused ("already
#     running"; tried a few times, as a verify of 128 MiB may be over
#     before the second starts), resync-extents of an unknown node, of
#     the leader itself, of an extent past the end, and with both extents
#     and --all-differing are refused; of node 2 (nothing differs) there
#     is nothing to repair;
#  6. `raftctl resync-extents raftblk0 3 --all-differing` repairs node3 by
#     a delta copy from the leader; a new verify is clean, and the three
#     data areas hash the same at one applied index.
#
# Planted bug (comparison misses differences: vf_compare() compares only
# extent 0): step 4 failed ("differs" never reported, exit 0).
. /lib.sh
. /scenarios/lib-cluster.sh

if [ "$NODES" -ne 3 ]; then
	tap_fail "verify needs exactly 3 nodes (--nodes 3)"
	finish
fi

teardown() {
	check "barrier: replicas compared" barrier "compared"
	check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
	check "rmmod raftblk" rmmod raftblk
	finish
}

# vjson : the last verify as JSON (one line), into $VJ; $VRC its exit code
vrun() {
	VJ=$(raftctl verify "$RB_DEV" --json --timeout 300 "$@" 2>/tmp/verify.err)
	VRC=$?
	diag "verify (exit $VRC): $VJ" "$(cat /tmp/verify.err)"
}
# has TEXT ERE : a line of TEXT matches
has() { printf '%s\n' "$1" | grep -Eq "$2"; }
vnode() { # ID : that node's object of $VJ
	echo "$VJ" | grep -o "{\"id\":$1,[^}]*}"
}

# writer : 4 KiB O_DIRECT writes of a counter, back to back, spread over
# extents 90 to 105 (hashed last), until /tmp/stopw exists: a node that
# hashed an extent
# after a write that came after the verify entry (or before one that came
# before it) differs from the others
writer() {
	i=0
	while [ ! -e /tmp/stopw ]; do
		printf '%08d\n' $i | dd of="/dev/$RB_DEV" bs=4096 \
			seek=$((23040 + i * 257 % 4096)) count=1 conv=sync,notrunc \
			oflag=direct 2>/dev/null || break
		i=$((i + 1))
	done
	echo "$i" >/tmp/stopw.count
}

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create $RB_DEV as node $NODE" \
	rb_create $([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier created || finish

case $NODE in
1)
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180 || finish
	check "8 MiB written at 0" dd if=/dev/urandom of="/dev/$RB_DEV" \
		bs=1M count=8 oflag=direct
	check "2 MiB written at 20 MiB" dd if=/dev/urandom \
		of="/dev/$RB_DEV" bs=1M seek=20 count=2 oflag=direct

	# ---- 2. a clean cluster, written during the verify ----
	rm -f /tmp/stopw
	writer &
	sleep 1
	vrun
	touch /tmp/stopw
	wait
	check "the writer wrote during the verify ($(cat /tmp/stopw.count) writes)" \
		test "$(cat /tmp/stopw.count)" -gt 0
	check "verify of the clean cluster exits 0" test "$VRC" = 0
	ahead() { # the writer's writes went on while the leader hashed
		dmesg | grep -Eq 'verify at index [0-9]+: [0-9]+ extents hashed, [1-9][0-9]* of them before a write'
	}
	check "writes went on during the hashing (extents hashed before a write)" \
		ahead
	diag "$(dmesg | grep 'extents hashed')"
	check "no extent differs" sh -c "echo '$VJ' | grep -q '\"differing\":0,\"nodes\"'"
	check "node1 is the reference" sh -c "echo '$(vnode 1)' | grep -q '\"state\":\"reference\"'"
	check "extents of 1 MiB" sh -c "echo '$VJ' | grep -q '\"extent_bytes\":1048576,'"
	check "node2 is the same" sh -c "echo '$(vnode 2)' | grep -q '\"state\":\"same\",\"differing\":0'"
	check "node3 is the same" sh -c "echo '$(vnode 3)' | grep -q '\"state\":\"same\",\"differing\":0'"
	out=$(raftctl verify "$RB_DEV" --show 2>&1)
	diag "$out"
	check "verify --show: no differences" has "$out" '^no differences$'

	put clean-verified 1
	check "node3 corrupted its data area" \
		wait_for 120 test -e "$SHARED/kv/corrupted"

	# ---- 4. the corruption found ----
	raftctl events >/tmp/ev 2>&1 &
	evpid=$!
	check "1 MiB written at 30 MiB after the corruption" \
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=1M seek=30 count=1 \
		oflag=direct
	vrun
	check "verify exits 3: replicas differ" test "$VRC" = 3
	check "node3 differs in extents 5 and 9, exactly" \
		sh -c "echo '$(vnode 3)' | grep -q '\"state\":\"differs\",\"differing\":2,\"extents\":\[5,9\]'"
	check "node2 is the same" sh -c "echo '$(vnode 2)' | grep -q '\"state\":\"same\",\"differing\":0'"
	check "2 extents differ in all" sh -c "echo '$VJ' | grep -q '\"differing\":2,\"nodes\"'"
	out=$(raftctl verify "$RB_DEV" --show 2>&1)
	diag "$out"
	check "the table: node 3 differs in 2 extents, 5,9" \
		has "$out" '^3 +differs +2 +5,9$'
	check "the table: node 2 the same" has "$out" '^2 +same +0 +-$'
	check "the table: 2 extents differ on 1 node" \
		has "$out" '^2 extents differ on 1 node from'

	st=$(raftctl status "$RB_DEV" 2>&1)
	diag "$st"
	check "status shows the verify" \
		has "$st" '^  verify at index [0-9]+: done, 2 extents differ'
	evdone() {
		grep -Eq '^change verify raftblk0 index:[0-9]+ term:[0-9]+ state:done collector:yes differing:2$' /tmp/ev
	}
	check "events: the verify done, 2 extents differing" wait_for 30 evdone
	check "events: the verify running before" \
		grep -Eq '^change verify raftblk0 index:[0-9]+ term:[0-9]+ state:running' /tmp/ev
	diag "$(grep verify /tmp/ev)"
	kill $evpid
	check "status --json: the verify" \
		has "$(raftctl status "$RB_DEV" --json)" '"verify": \{"index": [0-9]+, .*"differing": 2,'


	# ---- 5. bad input ----
	busy=0
	# Two at once: whichever starts second is refused (either one).
	for i in 1 2 3 4 5; do
		raftctl verify "$RB_DEV" >/tmp/vbg 2>&1 &
		bg=$!
		e=$(raftctl verify "$RB_DEV" 2>&1)
		rc=$?
		wait $bg
		bgrc=$?
		if [ $rc = 1 ] && echo "$e" | grep -q "already running"; then
			busy=1
		elif [ $bgrc = 1 ] && grep -q "already running" /tmp/vbg; then
			busy=1
			e=$(cat /tmp/vbg)
		fi
		if [ $busy = 1 ]; then
			diag "$e"
			break
		fi
	done
	check "a verify while one runs is refused (already running)" \
		test "$busy" = 1
	e=$(raftctl resync-extents "$RB_DEV" 9 5 2>&1)
	rc=$?
	diag "$e"
	check "resync-extents of an unknown node is refused" \
		sh -c "[ $rc = 1 ] && echo '$e' | grep -q 'no such node'"
	e=$(raftctl resync-extents "$RB_DEV" 1 5 2>&1)
	rc=$?
	check "resync-extents of the leader is refused" \
		sh -c "[ $rc = 1 ] && echo '$e' | grep -q 'name a follower'"
	e=$(raftctl resync-extents "$RB_DEV" 3 999999 2>&1)
	rc=$?
	check "resync-extents of an extent past the end is refused" \
		sh -c "[ $rc = 1 ] && echo '$e' | grep -q 'past the end'"
	raftctl resync-extents "$RB_DEV" 3 5 --all-differing >/dev/null 2>&1
	check "extents and --all-differing together: a usage error" test $? = 2
	e=$(raftctl resync-extents "$RB_DEV" 2 --all-differing 2>&1)
	rc=$?
	check "node2: nothing to repair" \
		sh -c "[ $rc = 0 ] && echo '$e' | grep -q 'no extent to repair'"

	# ---- 6. repair ----
	out=$(raftctl resync-extents "$RB_DEV" 3 --all-differing 2>&1)
	rc=$?
	diag "$out" "$(dmesg | grep -E 'resync|repair' | tail -n 5)"
	check "resync-extents 3 --all-differing: the copy is done" test $rc = 0
	vrun
	check "verify after the repair exits 0" test "$VRC" = 0
	check "node3 is the same again" sh -c "echo '$(vnode 3)' | grep -q '\"state\":\"same\",\"differing\":0'"
	check "a last write" dd if=/dev/urandom of="/dev/$RB_DEV" bs=1M \
		seek=40 count=1 oflag=direct
	put final-commit "$(rb_commit)"
	rb_publish_hash
	h1=$(get hash-node1)
	h2=$(get hash-node2)
	h3=$(get hash-node3)
	diag "node1: $h1" "node2: $h2" "node3: $h3"
	check "the three data areas identical at the same applied index" \
		sh -c "[ '$h1' = '$h2' ] && [ '$h2' = '$h3' ]"
	teardown
	;;
*)
	check "node$NODE is a voter" rb_wait_joined 180 || rb_status_diag
	check "the clean verify is over" \
		wait_for 300 test -e "$SHARED/kv/clean-verified"
	e=$(raftctl verify "$RB_DEV" 2>&1)
	rc=$?
	check "a follower's verify is refused (not the leader)" \
		sh -c "[ $rc = 1 ] && echo '$e' | grep -q 'not the leader'"
	out=$(raftctl verify "$RB_DEV" --show 2>&1)
	diag "$out"
	check "a follower's --show: it sent its hashes" \
		has "$out" 'sent its hashes'
	check "a follower's status: hashes sent to the leader" \
		has "$(raftctl status "$RB_DEV")" '^  verify at index [0-9]+: done, hashes sent to the leader'

	if [ "$NODE" = 3 ]; then
		off=$(rb_sb_u64 88)
		check "data area at byte $off of $RB_DISK" test "$off" -gt 0
		bad() { # byte offset in the data area
			head -c 4096 /dev/urandom |
				dd of="$RB_DISK" bs=4096 oflag=direct,seek_bytes \
					seek=$((off + $1)) conv=notrunc 2>/dev/null
		}
		check "4 KiB of extent 5 overwritten behind raftblk" \
			bad $((5 * 1048576 + 3 * 4096))
		check "4 KiB of extent 9 overwritten behind raftblk" \
			bad $((9 * 1048576 + 700 * 1024))
		put corrupted 1
	fi
	rb_publish_hash
	teardown
	;;
esac
