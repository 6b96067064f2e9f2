#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Who may write, across three VMs (run --nodes 3 --timeout 900
# autopromote; issue 16 item 4):
#
#  1. node1 bootstraps and adds nodes 2 and 3 (voters); auto-promote is on
#     by default (status shows it);
#  2. auto-promote: node3 opens its device for writing (dd oflag=direct)
#     while node1 leads with nothing open: node3 becomes the leader and the
#     write succeeds (read back); node3 makes an ext4 and mounts it;
#  3. the leader holds the device (mounted): node1's open for writing fails
#     at once with EROFS and node1 stays a follower; node3's
#     transfer-leader is refused ("open for writing here"); node3 unmounts;
#  4. node2 mounts the filesystem: it becomes the leader, finds node3's
#     file, writes one; node1's open fails (EROFS); node2's transfer-leader
#     is refused while mounted (and remounted read-only: the device is
#     still open for writing), goes through with --force (node1 leads);
#  5. auto-promote off (raftctl set) on node3: its open fails with EROFS,
#     it stays a follower; on again: it leads;
#  6. node3 (the leader) frozen (SIGSTOP): node1's open with a 100 ms
#     timeout fails with EBUSY (no answer, long before an election).
#  7. the leader serves reads in queue_rq under its lease (sysfs
#     reads_direct); after it sent TIMEOUT_NOW to a frozen node (a transfer
#     that cannot complete: it stays the leader of its term) none, every
#     read through its node thread (reads_thread); a follower once the
#     target took over.
#
# Environment: RB_ELECTION_WAIT (lib-cluster.sh), RB_JOIN_WAIT (seconds
# for a new node to become a voter, default 180).
. /lib.sh
. /scenarios/lib-cluster.sh

RB_JOIN_WAIT=${RB_JOIN_WAIT:-180}
MNT=/mnt/r

if [ "$NODES" -ne 3 ]; then
	tap_fail "autopromote needs exactly 3 nodes (--nodes 3)"
	finish
fi

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create $RB_DEV as node $NODE" \
	rb_create $([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier created || finish

leader_is() { [ "$(rb_leader)" = "$1" ]; }
# Opening for writing fails with EROFS (the open's own error, from sh).
refuses_open() { rb_refuses_write_open; }
# One 4 KiB block of known content at block $1: written (the open asks
# to lead) and read back.
write_block() { # SEEK
	dd if=/dev/urandom of="$SHARED/blk-$1" bs=4096 count=1 2>/dev/null &&
	dd if="$SHARED/blk-$1" of="/dev/$RB_DEV" bs=4096 seek="$1" \
		oflag=direct conv=notrunc 2>/tmp/dd.err &&
	read_block "$1"
}
read_block() { # SEEK
	dd if="/dev/$RB_DEV" bs=4096 skip="$1" count=1 iflag=direct \
		2>/dev/null | cmp - "$SHARED/blk-$1"
}
dmesg_has() { dmesg | grep -q "$1"; }

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
	;;
*)
	check "node$NODE becomes a voter" \
		wait_for "$RB_JOIN_WAIT" rb_self_voter || rb_status_diag
	;;
esac
check "status: auto-promote yes, timeout 5000 ms (the defaults)" sh -c \
	"raftctl status $RB_DEV | grep -qx '  auto-promote yes, timeout 5000 ms' &&
	 raftctl status $RB_DEV --json | grep -q '\"auto_promote\": true' &&
	 raftctl status $RB_DEV --json | grep -q '\"auto_promote_timeout_ms\": 5000'"
check "barrier: joined" barrier joined || finish

# ---- 2. node3 writes: auto-promoted ----
if [ "$NODE" = 3 ]; then
	check "node3 is a follower" rb_is follower
	check "node3: dd oflag=direct: the open makes node3 the leader, the write succeeds" \
		write_block 5 || diag "$(cat /tmp/dd.err)"
	check "node3 leads" rb_is leader
	check "kernel log: auto-promote, node 3 leads" \
		dmesg_has "auto-promote: node 3 leads"
	check "mkfs.ext4 on node3" run_timeout 300 mkfs.ext4 -q -F "/dev/$RB_DEV"
	check "mount on node3" sh -c "mkdir -p $MNT && mount -t ext4 /dev/$RB_DEV $MNT"
	check "a file on node3" sh -c \
		"echo from-node3 >$MNT/n3 && sync"
fi
check "barrier: node3 mounted" barrier n3-mounted || finish
if [ "$NODE" = 1 ]; then
	check "node1 handed over (kernel log)" \
		dmesg_has "auto-promote: handing leadership over to node 3"
fi

# ---- 3. the leader holds it: the others cannot take it ----
if [ "$NODE" = 1 ]; then
	check "node1 follows node3" wait_for "$RB_ELECTION_WAIT" leader_is 3
	check "node1: opening for writing fails (EROFS): node3 has it open" \
		refuses_open
	check "node1 is still a follower" rb_is follower
	check "kernel log: refused, open for writing on the leader" \
		dmesg_has "auto-promote: refused, the device is open for writing on leader 3"
fi
check "barrier: node1 refused" barrier n1-refused || finish
if [ "$NODE" = 3 ]; then
	check "node3 still leads" rb_is leader
	expect_fail 1 "raftctl: transfer-leader $RB_DEV 1: the device is open for writing here (mounted?): close it first, or force (Device or resource busy)" \
		raftctl transfer-leader "$RB_DEV" 1
	check "node3 still leads after the refusal" rb_is leader
	check "umount on node3" umount $MNT
fi
check "barrier: node3 unmounted" barrier n3-unmounted || finish

# ---- 4. node2 mounts: auto-promoted; transfer refused, then forced ----
if [ "$NODE" = 2 ]; then
	check "node2 mounts: it becomes the leader" sh -c \
		"mkdir -p $MNT && mount -t ext4 /dev/$RB_DEV $MNT"
	check "node2 leads" rb_is leader
	check "node3's file on node2" grep -qx from-node3 $MNT/n3
	check "a file on node2" sh -c "echo from-node2 >$MNT/n2 && sync"
fi
check "barrier: node2 mounted" barrier n2-mounted || finish
if [ "$NODE" = 1 ]; then
	check "node1 follows node2" wait_for "$RB_ELECTION_WAIT" leader_is 2
	check "node1: opening for writing fails (EROFS): node2 has it mounted" \
		refuses_open
	check "node1 is still a follower" rb_is follower
fi
check "barrier: node1 refused again" barrier n1-refused-2 || finish
if [ "$NODE" = 2 ]; then
	expect_fail 1 "raftctl: transfer-leader $RB_DEV 1: the device is open for writing here (mounted?): close it first, or force (Device or resource busy)" \
		raftctl transfer-leader "$RB_DEV" 1
	check "node2 still leads" rb_is leader
	# Read-only from now on (nothing to lose to the transfer), the
	# device still open for writing: still refused without --force.
	check "remount read-only on node2" mount -o remount,ro $MNT
	expect_fail 1 "raftctl: transfer-leader $RB_DEV 1: the device is open for writing here (mounted?): close it first, or force (Device or resource busy)" \
		raftctl transfer-leader "$RB_DEV" 1
	check "transfer-leader --force while mounted" \
		raftctl transfer-leader "$RB_DEV" 1 --force
	check "node1 leads after the forced transfer" \
		wait_for "$RB_ELECTION_WAIT" leader_is 1
	# Nothing to read or write here any more (a follower): unmount.
	check "umount on node2" umount $MNT
fi
check "barrier: forced" barrier forced || finish

# ---- 5. auto-promote off ----
if [ "$NODE" = 3 ]; then
	check "node3 follows node1" wait_for "$RB_ELECTION_WAIT" leader_is 1
	check "raftctl set --auto-promote no" \
		raftctl set "$RB_DEV" --auto-promote no
	check "status: auto-promote no" sh -c \
		"raftctl status $RB_DEV | grep -qx '  auto-promote no, timeout 5000 ms'"
	check "node3: opening for writing fails (EROFS): auto-promote off" \
		refuses_open
	check "node3 is still a follower" rb_is follower
	check "raftctl set --auto-promote yes --auto-promote-timeout-ms 20000" \
		raftctl set "$RB_DEV" --auto-promote yes \
		--auto-promote-timeout-ms 20000
	check "status: auto-promote yes, timeout 20000 ms" sh -c \
		"raftctl status $RB_DEV | grep -qx '  auto-promote yes, timeout 20000 ms'"
	check "node3: dd oflag=direct: it leads again, the write succeeds" \
		write_block 6 || diag "$(cat /tmp/dd.err)"
	check "node3 leads" rb_is leader
fi
check "barrier: done writing" barrier written || finish
check "node$NODE: follows or leads node3" \
	wait_for "$RB_ELECTION_WAIT" leader_is 3
check "barrier: all follow node3" barrier follow-n3 || finish

# ---- 6. a leader that does not answer: the open times out (EBUSY) ----
# node3 (the leader) frozen whole; node1 opens at once, long before an
# election (1 s at least), with a 100 ms timeout: no answer, EBUSY.
busy_open() {
	local e
	e=$(sh -c "exec 3>>/dev/$RB_DEV" 2>&1) && return 1
	case $e in *"Device or resource busy"*) return 0 ;; esac
	echo "$e"
	return 1
}
if [ "$NODE" = 1 ]; then
	check "raftctl set --auto-promote-timeout-ms 100" \
		raftctl set "$RB_DEV" --auto-promote-timeout-ms 100
	check "host freezes node3 (the leader)" host_request sigstop 3
	check "node1: opening for writing fails (EBUSY): the leader does not answer in 100 ms" \
		busy_open
	check "host lets node3 run again" host_request sigcont 3
	check "kernel log: node 1 does not lead after 100 ms" \
		dmesg_has "auto-promote: node 1 does not lead after 100 ms"
fi
check "barrier: timed out" barrier timed-out || finish
check "node$NODE: a leader again" wait_for "$RB_ELECTION_WAIT" sh -c \
	"raftctl status $RB_DEV --json | grep -q '\"leader_id\": [1-3]'"
rb_status_diag

# ---- 7. lease reads in queue_rq, none once a transfer was started ----
# The leader serves reads in queue_rq under the lease its node thread
# published (sysfs reads_direct). It starts a transfer to a node the host
# froze: TIMEOUT_NOW is sent, the target does not campaign, and the
# leader stays the leader of its term, where a lease proves nothing any
# more (the target's votes would bypass the others' leases): every read
# from then on goes through its node thread (a ReadIndex round with the
# third node: reads_thread), none in queue_rq. Once the target runs
# again it takes over, and the old leader refuses reads as a follower.
rb_reads() { cat "/sys/block/$RB_DEV/raftblk/reads_$1"; }
read_blocks() { # COUNT: each 4 KiB block read on its own (O_DIRECT)
	local i=0
	while [ "$i" -lt "$1" ]; do
		dd if="/dev/$RB_DEV" of=/dev/null bs=4096 skip="$i" count=1 \
			iflag=direct 2>/dev/null || return 1
		i=$((i + 1))
	done
}
# reads_KIND grew by at least MIN (and at most MAX, if given) since BASE
reads_grew() { # KIND BASE MIN [MAX]
	local d=$(($(rb_reads "$1") - $2))
	echo "reads_$1 +$d"
	[ "$d" -ge "$3" ] && { [ -z "${4:-}" ] || [ "$d" -le "$4" ]; }
}
if rb_is leader; then
	put lease-leader "$NODE"
fi
check "barrier: the leader named" barrier lease-named || finish
L=$(get lease-leader)
T=1
[ "$L" = 1 ] && T=2
if [ "$NODE" = "$L" ]; then
	d0=$(rb_reads direct)
	check "node$NODE (the leader): 20 reads" read_blocks 20
	check "node$NODE: some served in queue_rq (reads_direct grows)" \
		reads_grew direct "$d0" 1
	check "host freezes node$T" host_request sigstop "$T"
	check "node$NODE: transfer-leader to the frozen node$T (TIMEOUT_NOW sent)" \
		raftctl transfer-leader "$RB_DEV" "$T"
	check "node$NODE still leads (node$T cannot campaign)" rb_is leader
	d0=$(rb_reads direct)
	t0=$(rb_reads thread)
	check "node$NODE: 20 reads after the transfer started, served" \
		read_blocks 20
	check "node$NODE: none of them in queue_rq (reads_direct unchanged)" \
		reads_grew direct "$d0" 0 0
	check "node$NODE: all of them by the node thread (reads_thread +20)" \
		reads_grew thread "$t0" 20
	check "node$NODE still leads" rb_is leader
	check "host lets node$T run again" host_request sigcont "$T"
	check "node$NODE: node$T takes over, node$NODE follows" \
		wait_for "$RB_ELECTION_WAIT" rb_is follower
	d0=$(rb_reads direct)
	check "node$NODE (a follower): a read is refused" sh -c \
		"! dd if=/dev/$RB_DEV of=/dev/null bs=4096 count=1 iflag=direct"
	check "node$NODE: reads_direct unchanged" reads_grew direct "$d0" 0 0
fi
check "barrier: lease reads checked" barrier lease-checked || finish
check "node$NODE: a leader again" wait_for "$RB_ELECTION_WAIT" sh -c \
	"raftctl status $RB_DEV --json | grep -q '\"leader_id\": [1-3]'"
rb_status_diag

check "barrier: done" barrier done
check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
