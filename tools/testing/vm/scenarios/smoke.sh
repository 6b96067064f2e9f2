#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the VM platform itself (no raftblk): kernel modules,
# disks, the network between every pair of nodes, the 9p share and the
# barrier helper. With 3 or more nodes it also exercises the host
# requests on node3: link-off/link-on, pause/resume, a power-cut (kill)
# and a restart (boot) that must find the data node3 wrote before the cut.
. /lib.sh

if [ "$BOOT" -gt 1 ]; then
	# node3 after the power-cut: the disk kept what was synced to it.
	check "data synced before the power-cut survived" \
		sh -c 'dd if=/dev/vdb bs=4096 count=1 2>/dev/null | head -n 1 |
			grep -qx "raftblk-smoke-$(cat /shared/kv/smoke-token)"'
	check "ping node1 after the restart" wait_for 30 ping -c 1 -W 2 10.0.0.1
	check "barrier: back after the restart" barrier "rejoined" 1 3
	check "barrier: node1 saw the restart" barrier "seen" 1 3
	finish
fi

for m in virtio_blk virtio_net ext4 dm_mod dm_snapshot 9p sch_netem \
	loop veth drbd; do
	check "module $m loaded" grep -q "^$m " /proc/modules
done
check "/dev/vdb is a block device" test -b /dev/vdb
check "/dev/vda is a block device" test -b /dev/vda
check "/dev/vdb has a size" test "$(cat /sys/block/vdb/size)" -gt 0
check "eth0 has $ADDR" sh -c "/sbin/ip -4 addr show dev eth0 | grep -q 'inet $ADDR/24'"
check "9p share mounted at /shared" grep -q ' /shared 9p ' /proc/mounts
check "9p share writable" sh -c "echo node$NODE >$RESULTS/hello && grep -qx node$NODE $RESULTS/hello"
check "scenario.env from the host is readable" test -f /shared/scenario.env
check "mkfs.ext4, mount, fsck on the scratch disk" sh -c \
	'mkfs.ext4 -q -F /dev/vda && mount /dev/vda /mnt && echo x >/mnt/f &&
	 umount /mnt && fsck.ext4 -n /dev/vda >/dev/null'
check "device-mapper control node present" test -c /dev/mapper/control

# Everyone is up before the pings start (the others may still be booting).
check "barrier: all $NODES nodes up" barrier up
for p in $PEERS; do
	check "ping $p" wait_for 30 ping -c 1 -W 2 "$p"
done
for n in $(all_nodes); do
	check "node$n's file visible through 9p" \
		wait_for 30 test -f "$SHARED/node$n/hello"
done
check "barrier: all $NODES nodes finished the basics" barrier basics

[ "$NODES" -ge 3 ] || finish

# ---- host requests, driven by node1, acting on node3 ----
case $NODE in
1)
	check "host cuts node3's link" host_request link-off 3
	check "node3 unreachable with its link cut" \
		wait_for 20 sh -c '! ping -c 1 -W 1 10.0.0.3'
	check "host restores node3's link" host_request link-on 3
	check "node3 reachable again" wait_for 30 ping -c 1 -W 2 10.0.0.3
	check "host pauses node3" host_request pause 3
	check "paused node3 does not answer" \
		wait_for 20 sh -c '! ping -c 1 -W 1 10.0.0.3'
	check "host resumes node3" host_request resume 3
	check "node3 answers again after resume" wait_for 30 ping -c 1 -W 2 10.0.0.3
	check "barrier: node3 wrote its data" barrier "synced" 1 3
	check "host power-cuts node3" host_request kill 3
	check "node3 unreachable after the power-cut" \
		wait_for 20 sh -c '! ping -c 1 -W 1 10.0.0.3'
	check "host restarts node3" host_request boot 3
	check "barrier: node3 back after the restart" barrier "rejoined" 1 3
	check "node3 answers ping after the restart" \
		wait_for 30 ping -c 1 -W 2 10.0.0.3
	check "barrier: node1 saw the restart" barrier "seen" 1 3
	;;
3)
	token=$$-$(date +%s)
	put smoke-token "$token"
	check "write and sync data to /dev/vdb" sh -c \
		"printf 'raftblk-smoke-%s\n' '$token' | dd of=/dev/vdb bs=4096 conv=sync,fsync 2>/dev/null"
	check "barrier: data written" barrier "synced" 1 3
	# Wait to be power-cut; the host kills this VM here.
	sleep 120
	tap_fail "node3 was power-cut by the host"
	;;
esac
finish
