#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo, part 4 (run --nodes 3 --disk-size 128M snapshot_demo): a
# snapshot of a three-node cluster, the same bytes on every node.
#
#  1. node1 bootstraps, adds nodes 2 and 3, every node with a COW pool
#     (/dev/vda); ext4 on the leader, files written;
#  2. the filesystem is frozen, `raftctl snapshot create raftblk0 backup`,
#     thawed, more files written (not in the snapshot);
#  3. every node: `raftctl snapshot list`, the sha256 of
#     /dev/mapper/raftblk0-snap-backup, fsck -n of it, mounted read-only:
#     the files of before, not those of after; node1 writes the three
#     hashes side by side to /shared/snapshot.txt (make demo prints it);
#  4. the snapshot is deleted on every node through one entry.
. /lib.sh
. /scenarios/lib-cluster.sh

MNT=/mnt
SNAP=/dev/mapper/$RB_DEV-snap-backup

if [ "$NODES" -ne 3 ]; then
	tap_fail "snapshot_demo needs exactly 3 nodes (--nodes 3)"
	finish
fi

check "insmod raftblk.ko" load_raftblk || finish
# As make demo's other clusters: a shared secret (lib-cluster.sh).
rb_secret_init
check "raftctl create $RB_DEV as node $NODE, COW pool /dev/vda $(rb_secret_args)" \
	rb_create --snapshot-pool /dev/vda \
	$([ "$NODE" = 1 ] && echo --bootstrap) || finish
rb_secret_check
check "barrier: all three nodes created" barrier created || finish
if [ "$NODE" = 1 ]; then
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180
	check "mkfs.ext4 -E nodiscard" \
		mkfs.ext4 -q -F -E nodiscard "/dev/$RB_DEV"
	mkdir -p $MNT
	check "mount" mount -t ext4 "/dev/$RB_DEV" $MNT
	for f in a b c; do
		dd if=/dev/urandom of=$MNT/before-$f bs=1M count=2 2>/dev/null
	done
	check "files before the snapshot written" sync
	check "fsfreeze $MNT" fsfreeze --freeze $MNT
	out=$(raftctl snapshot create "$RB_DEV" backup 2>&1)
	check "raftctl snapshot create $RB_DEV backup: $out" \
		sh -c "echo '$out' | grep -q '^snapshot backup taken at index'"
	check "fsfreeze --unfreeze $MNT" fsfreeze --unfreeze $MNT
	check "a file after the snapshot written" \
		dd if=/dev/urandom of=$MNT/after bs=1M count=2 conv=fsync
	put backup "$(echo "$out" | awk '{print $6, $8}')"
	put sums "$(cd $MNT && sha256sum before-*)"
else
	check "node$NODE is a voter" rb_wait_joined 180
fi

b=$(get backup)
check "node$NODE applied the snapshot entry (index ${b% *})" \
	wait_for 120 rb_applied_at_least "${b% *}"
check "$SNAP on node$NODE, read-only" \
	test -b "$SNAP" -a "$(blockdev --getro "$SNAP")" = 1
raftctl snapshot list "$RB_DEV" | sed 's/^/# /'
put "sha-node$NODE" "$(dd if="$SNAP" bs=1M iflag=direct 2>/dev/null |
	sha256sum | cut -d' ' -f1)"
check "fsck.ext4 -n of the snapshot is clean on node$NODE" \
	fsck.ext4 -n "$SNAP"
mkdir -p /snap
check "the snapshot mounts read-only on node$NODE" \
	mount -t ext4 -o ro,noload "$SNAP" /snap
get sums >/tmp/sums
check "the files of before are intact in it on node$NODE" \
	sh -c "cd /snap && sha256sum -c /tmp/sums"
check "the file of after is not in it" test ! -e /snap/after
umount /snap
check "barrier: hashed" barrier hashed || finish

if [ "$NODE" = 1 ]; then
	h1=$(get sha-node1)
	h2=$(get sha-node2)
	h3=$(get sha-node3)
	{
		echo "snapshot backup at index/term $b, sha256 of $SNAP:"
		echo "  node1 $h1"
		echo "  node2 $h2"
		echo "  node3 $h3"
	} >"$SHARED/snapshot.txt"
	check "the snapshot is identical on all three nodes" \
		test -n "$h1" -a "$h1" = "$h2" -a "$h1" = "$h3"
	out=$(raftctl snapshot delete "$RB_DEV" backup 2>&1)
	check "raftctl snapshot delete $RB_DEV backup: $out" \
		sh -c "echo '$out' | grep -q '^snapshot backup deleted'"
	put del "$(echo "$out" | awk '{print $6}')"
	umount $MNT
fi
d=$(get del)
check "node$NODE applied the delete (index $d)" \
	wait_for 120 rb_applied_at_least "$d"
check "the snapshot is gone on node$NODE" test ! -e "$SNAP"
check "barrier: deleted" barrier deleted || finish
check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
