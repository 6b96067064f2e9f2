#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark target "drbd": DRBD 8.4 (Debian's in-tree module, drbd-utils'
# 8.4 tools), protocol C, two nodes (node1 primary, node2 secondary), on
# /dev/vdb with internal metadata; fio on /dev/drbd0 of node1. The initial
# sync is skipped (new-current-uuid --clear-bitmap: both disks start
# zeroed). ping-int 1 s / ping-timeout 2 s: shorter ones broke the link
# under TCG (see /work/shared/VM-NOTES.md). Run by tools/testing/bench/run.
#
# vm-needs: bench
. /lib.sh

check "bench jobs present in /shared/bench" test -f /shared/bench/fio-jobs.sh ||
	finish
. /shared/bench/fio-jobs.sh

DRBD_WAIT=${DRBD_WAIT:-60}
PATH=/usr/lib/drbd:/usr/sbin:/sbin:$PATH
export PATH
drbdadm() { drbdadm-84 "$@"; }

[ "$NODES" -ge 2 ] || { tap_fail "bench_drbd needs 2 nodes (--nodes 2)"; finish; }
[ "$NODE" -le 2 ] || finish	# nodes beyond the pair idle

hostname "node$NODE"
mkdir -p /var/lib/drbd /var/run/drbd /run/drbd /var/lock /run/lock
cat >/etc/drbd.conf <<CONF
global { usage-count no; }
resource r0 {
	protocol C;
	net { ping-int 1; ping-timeout 20; }
	on node1 {
		device /dev/drbd0;
		disk /dev/vdb;
		address 10.0.0.1:7788;
		meta-disk internal;
	}
	on node2 {
		device /dev/drbd0;
		disk /dev/vdb;
		address 10.0.0.2:7788;
		meta-disk internal;
	}
}
CONF

check "drbd module loaded" grep -q '^drbd ' /proc/modules
check "drbd is 8.4" grep -q '^version: 8\.4' /proc/drbd
check "drbdadm create-md" sh -c 'yes yes | drbdadm-84 create-md --force r0'
check "drbdadm up" drbdadm up r0
connected() { grep -q 'cs:Connected' /proc/drbd; }
if ! check "connected to the peer" wait_for "$DRBD_WAIT" connected; then
	diag "$(cat /proc/drbd)"
	finish
fi
barrier drbd-connected 1 2

if [ "$NODE" = 1 ]; then
	check "skip the initial sync (new-current-uuid --clear-bitmap)" \
		drbdadm new-current-uuid --clear-bitmap r0
	check "both disks UpToDate" \
		wait_for 60 grep -q 'ds:UpToDate/UpToDate' /proc/drbd
	check "node1 primary" drbdadm primary r0
	diag "$(cat /proc/drbd)"
	bench_fio_all /dev/drbd0
	check "still connected and UpToDate after the jobs" \
		grep -q 'cs:Connected.*ds:UpToDate/UpToDate' /proc/drbd
	diag "$(cat /proc/drbd)"
	check "node1 secondary" drbdadm secondary r0
else
	# bench/run --profile: the secondary's CPU profile of each job
	bench_profile_follow
fi
# The peers wait through the whole run: poll rarely, so the waiting
# shell takes no CPU from the replication being measured.
LIB_WAIT_STEP=2
check "barrier: benchmark done" barrier drbd-done 1 2
check "drbdadm down" drbdadm down r0
finish
