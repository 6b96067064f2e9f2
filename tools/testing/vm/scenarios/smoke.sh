#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the VM platform itself (no raftblk): kernel modules,
# disks, the network between every pair of nodes, the 9p share and the
# barrier helper. Run with --nodes 1 and --nodes 3.
. /lib.sh

for m in virtio_blk virtio_net ext4 dm_mod dm_snapshot 9p sch_netem \
	loop veth drbd; do
	check "module $m loaded" grep -q "^$m " /proc/modules
done
check "/dev/vdb is a block device" test -b /dev/vdb
check "/dev/vda is a block device" test -b /dev/vda
check "/dev/vdb has the configured size" \
	test "$(cat /sys/block/vdb/size)" -gt 0
check "eth0 has $ADDR" sh -c "/sbin/ip -4 addr show dev eth0 | grep -q 'inet $ADDR/24'"
check "9p share mounted at /shared" grep -q ' /shared 9p ' /proc/mounts
check "9p share writable" sh -c "echo node$NODE >$RESULTS/hello && grep -qx node$NODE $RESULTS/hello"
check "scenario.env from the host is readable" test -f /shared/scenario.env
check "mkfs.ext4 + mount on the scratch disk" sh -c \
	'mkfs.ext4 -q -F /dev/vda && mount /dev/vda /mnt && echo x >/mnt/f &&
	 umount /mnt && fsck.ext4 -n /dev/vda >/dev/null'
check "dm-mod answers (dmsetup-free: /dev/mapper/control)" test -c /dev/mapper/control

# Everyone is up before the pings start (the others may still be booting).
check "barrier: all $NODES nodes up" barrier up
for p in $PEERS; do
	check "ping $p" wait_for 30 ping -c 1 -W 2 "$p"
done
# Host side of the 9p share: every node sees every node's file.
for n in $(all_nodes); do
	check "node$n's file visible through 9p" \
		wait_for 30 test -f "$SHARED/node$n/hello"
done
check "barrier: all $NODES nodes done" barrier done
finish
