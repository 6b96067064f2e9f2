#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A resync interrupted half way never leaves a node that looks whole
# (issue 11 item 4; make check suite vm-resync-interrupt: run --nodes 3
# --disk-size 256M --timeout 1500 resync_interrupt).
#
# Three voters; node1 leads and holds an ext4 file system. node3 is the
# node that resyncs, four times: each case cuts its network while the
# leader writes past its log ring (node3 is then behind the leader's
# compaction point), restores it, and interrupts the copy that follows.
# The leader sends that copy at RS_RATE (raftctl set --resync-rate, 2M),
# so it is still running when the test acts; the rate goes back to the
# default once the copy is interrupted. During every copy the leader
# writes files (each fsynced, then its checksum listed in /shared:
# acknowledged). node3's raftblk disk is a device-mapper device over
# /dev/vdb (linear), so that case d can show nothing holds it.
#
#  c. node3's network is cut mid-copy for RS_CUT_SECS (12, more than the
#     receiver's give-up time of ten election timeouts) and restored: node3
#     gave the copy up (kernel log) and a new one completes;
#  b. node3 is power-cut mid-copy: its superblock has the resyncing mark
#     before the cut; on restart the mark is still there with the base of
#     the interrupted copy, the kernel log says the data area is
#     incomplete, the new copy is from at most that base (a later one
#     would skip extents the interrupted copy may have left stale), the
#     leader refuses to hand it
#     the leadership (transfer-leader fails, as for any node that cannot
#     be elected; it never campaigns), and a new copy completes and
#     clears the mark;
#  a. the leader (node1) is power-cut mid-copy: nodes 2 and 3 elect
#     node2 (never node3), node3 gives the broken copy up no later than
#     it follows node2 (not ten election timeouts after the last chunk),
#     node2 copies to node3 again, mounts the file
#     system (journal replay), fsck -n is clean, every acknowledged file
#     is intact; node1 boots again and rejoins;
#  d. `raftctl peer remove` of node3 on the leader (node2) mid-copy: the
#     leader's copy stops, the cluster keeps serving, node3's device is
#     destroyed (its copy given up), its module unloaded and its dm device
#     removed (nothing holds the disk).
# Nodes 1 and 2 (the leaders) run with a 4 s election timeout, node3 with
# the default 1 s: a leader that hears its one other voter (node3 is away)
# for no full election timeout steps down (check quorum), and under a busy
# host a TCG VM can be silent for a second (one lost its leader in case c
# that way, and the copy came from node2): case c starts with node2
# frozen by the host for 1.5 s while node3 is away, and node1 must lead on
# in its term. node3's own timeout sets its give-up time, which
# RS_CUT_SECS must exceed. With 4 to 8 s between node2's campaigns, its
# election in case a gets RS_WAIT (one run at host load 30-76 took node2
# six pre-campaigns, 53 s).
# Each case ends with the data areas of every member hashed identical at
# one applied index, every acknowledged file intact and fsck -n clean;
# cases c and b also with as many copies reported done by the leader as
# node3 installed, and no copy to node3 running after its install.
# The harness checks every console for kernel WARNINGs.
#
# The data areas are compared by their md5 (RB_DATA_HASH): four rounds of
# three hashes of 239 MiB were a third of the suite's time with sha256.
# Environment: RS_RATE, RS_CUT_SECS, RS_WAIT (seconds for a step of a
# copy, 240).
. /lib.sh
. /scenarios/lib-cluster.sh

RS=$SHARED/rsi
RS_RATE=${RS_RATE:-2M}
RS_CUT_SECS=${RS_CUT_SECS:-12}
RS_WAIT=${RS_WAIT:-240}
LIST=$RS/acked.sha256
# A leader keeps its role through a second of silence of its follower.
case $NODE in
3) RS_TIMERS="" ;;
*) RS_TIMERS="--election-timeout-ms 4000" ;;
esac
DM=rbdisk
RB_DATA_HASH=md5sum
mkdir -p "$RS"

if [ "$NODES" -ne 3 ]; then
	tap_fail "resync_interrupt needs exactly 3 nodes (--nodes 3)"
	finish
fi

# ---- helpers ----

# rs_rate RATE : this leader's resync rate (0: the default)
rs_rate() { raftctl set "$RB_DEV" --resync-rate "$1"; }

dm_create() {
	dmsetup create $DM --table "0 $(cat /sys/block/vdb/size) linear /dev/vdb 0"
}

# sb_resyncing : the current superblock has the RESYNCING flag (bit 0
# of flags at 152)
sb_resyncing() {
	local f
	f=$(rb_sb_cur 152 u4)
	echo "superblock flags $f, resync_base $(rb_sb_cur 1440 u8)"
	[ $((f & 1)) = 1 ]
}

# sb_snap_index : the compaction point of the current superblock
sb_snap_index() { rb_sb_cur 136 u8; }

# rs_recv_base : the base of the copy this node receives (or received)
rs_recv_base() { rs_line | awk '$1 == "from" { print $8; exit }'; }

rs_line() { cat "/sys/block/$RB_DEV/raftblk/resync" 2>/dev/null; }

# rs_recv_mid LEADER : this node receives a copy from LEADER, some chunks
# in, not all
rs_recv_mid() {
	rs_line | awk -v l="$1" '$1 == "from" && $2 == l && $4 == "running" &&
		$10 > 0 && $10 < $12 { f = 1 } END { exit !f }'
}
# rs_gave_up LEADER : more "resync from node LEADER ... stopped after"
# lines in the kernel log than when the case began (STOP0)
rs_gave_up() {
	[ "$(dmesg | grep -c "resync from node $1 at index .* stopped after")" \
		-gt "$STOP0" ]
}
# gives_up_at_new_leader : until node3 gave up the copy from node1 (the
# dead leader), it never follows node2 with that copy still running (the
# leader is read first: the status shows both as of one moment, and the
# copy cannot start again)
gives_up_at_new_leader() {
	local end=$(($(date +%s) + RS_WAIT))
	while ! rs_gave_up 1; do
		if leader_is 2 && rs_line | grep -q '^from 1 .* running'; then
			echo "follows node2, copy from node1 running: $(rs_line)"
			return 1
		fi
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep "$LIB_WAIT_STEP"
	done
}
# rs_installs LEADER : copies from LEADER this node installed (this boot)
rs_installs() { dmesg | grep -c "resync from node $1 done"; }
# rs_dones : copies to node3 this leader saw done (acknowledged: this boot)
rs_dones() { dmesg | grep -c "resync of node 3 done"; }
rs_dones_reach() { [ $(($(rs_dones) - DONE0)) -ge "$1" ]; }
rs_recv_from() {
	rs_line | awk -v l="$1" '$1 == "from" && $2 == l { f = 1 }
		END { exit !f }'
}
# rs_recv_done LEADER : the last copy from LEADER finished (installed)
rs_recv_done() {
	rs_line | awk -v l="$1" '$1 == "from" && $2 == l &&
		$4 == "finished" { f = 1 } END { exit !f }'
}
# rs_send_mid PEER : this leader sends a copy to PEER, some chunks in
rs_send_mid() {
	rs_line | awk -v p="$1" '$1 == "to" && $2 == p && $4 == "running" &&
		$10 > 0 && $10 < $12 { f = 1 } END { exit !f }'
}
rs_send_running() {
	rs_line | awk -v p="$1" '$1 == "to" && $2 == p &&
		$4 == "running" { f = 1 } END { exit !f }'
}
rs_send_stopped() { ! rs_send_running "$1"; }
# rs_send_started PEER : this node sent PEER a copy, running or already
# finished (an idle host copies a small delta in a fraction of a second)
rs_send_started() {
	rs_line | awk -v p="$1" '$1 == "to" && $2 == p &&
		($4 == "running" || $4 == "finished") { f = 1 } END { exit !f }'
}
expect_busy() { # CMD... : fails with EBUSY
	local o
	o=$("$@" 2>&1) && return 1
	echo "$o"
	case $o in *"Device or resource busy"*) return 0 ;; esac
	return 1
}
never_led() { ! dmesg | grep -q "node $NODE is now leader"; }
sb_not_resyncing() { ! sb_resyncing; }
not_member() { [ -z "$(rb_peer_field "$1" id)" ]; }

# write_acked NAME : a file of 256 KiB, fsynced, then listed
write_acked() {
	dd if=/dev/urandom of="/mnt/$1" bs=64k count=4 conv=fsync \
		2>/dev/null && (cd /mnt && sha256sum "$1") >>"$LIST"
}

# writer CASE : files of 256 KiB, each fsynced, then its checksum listed
# (acknowledged), one a second, until /tmp/wstop exists
writer() {
	local k=0
	while [ ! -e /tmp/wstop ]; do
		write_acked "w$1$k"
		k=$((k + 1))
		sleep 1
	done
}
wpid=""
writer_start() { rm -f /tmp/wstop; writer "$1" & wpid=$!; }
writer_stop() {
	[ -n "$wpid" ] || return 0
	touch /tmp/wstop
	wait "$wpid" 2>/dev/null
	wpid=""
}

# fill_past INDEX : rewrite six 4 MiB files in turn (fsynced) until this
# leader's compaction point is past INDEX (at most 20 rounds, five log
# rings)
fill_past() {
	local i=0
	[ -n "$1" ] || return 1
	while [ "$(sb_snap_index)" -le "$1" ]; do
		[ $i -ge 20 ] && return 1
		dd if=/dev/urandom of="/mnt/ring$((i % 6))" bs=1M count=4 \
			conv=notrunc,fsync 2>/dev/null || return 1
		i=$((i + 1))
	done
	echo "compaction point $(sb_snap_index) after $i rounds"
}

fs_mount() { mount -o noinit_itable "/dev/$RB_DEV" /mnt; }
acked_intact() {
	(cd /mnt && sha256sum -c "$LIST" >/dev/null) &&
		echo "$(wc -l <"$LIST") files"
}

# fs_check : on the leader, file system unmounted: mount (journal
# replay), umount, fsck -n clean, mount, every acknowledged file intact
fs_check() {
	check "$1: mount (journal replay)" fs_mount || return 1
	check "$1: umount" umount /mnt
	check "$1: fsck.ext4 -n is clean" fsck.ext4 -n -f "/dev/$RB_DEV"
	check "$1: mount" fs_mount || return 1
	check "$1: every acknowledged file is intact" acked_intact
}

# hash_leader CASE NODES... : the leader, its file system unmounted:
# names the commit index, hashes, compares with the other NODES' hashes
hash_leader() {
	local c=$1 n mine other
	shift
	put "fc-$c" "$(rb_commit)"
	hash_publish "$c"
	mine=$(cat "$SHARED/kv/hash-$c-node$NODE")
	for n in "$@"; do
		[ "$n" = "$NODE" ] && continue
		other=$(get "hash-$c-node$n")
		diag "node$NODE: $mine" "node$n: $other"
		check "$c: data areas of node$NODE and node$n identical at one applied index" \
			test "$mine" = "$other"
	done
}
# hash_publish CASE : wait for applied = the leader's named commit, hash
hash_publish() {
	local fc a h
	fc=$(get "fc-$1")
	check "$1: node$NODE applied index reaches $fc" \
		wait_for "$RS_WAIT" rb_applied_is "$fc" || rb_status_diag
	a=$(rb_applied)
	h=$(rb_data_sha)
	check "$1: node$NODE data area hashed at a stable applied index ($a)" \
		sh -c "[ -n '$h' ] && [ '$a' = '$(rb_applied)' ]"
	put "hash-$1-node$NODE" "$a $h"
}

leader_is() { [ "$(rb_leader)" = "$1" ]; }

# ---- node3's part of a case: slow data area, away, back, mid-copy ----

# node3_away CASE LEADER : node3 goes away (network cut); the leader
# fills its log; node3 comes back and waits for its copy to be half way
node3_away() {
	local c=$1 l=$2
	get "go-$c" >/dev/null
	STOP0=$(dmesg | grep -c "resync from node $l at index .* stopped after")
	INST0=$(rs_installs "$l")
	check "$c: host cuts node3's network" host_request link-off 3
	put "off-$c" 1
	get "filled-$c" >/dev/null
	check "$c: host restores node3's network" host_request link-on 3
	check "$c: node3 receives a copy from node$l, half way" \
		wait_for "$RS_WAIT" rs_recv_mid "$l" ||
		diag "$(rs_line)" "$(dmesg | grep resync | tail -n 5)"
	diag "$(rs_line)"
}

# node3_installed CASE LEADER : a copy from LEADER is installed
node3_installed() {
	check "$1: a copy from node$2 is installed" \
		wait_for "$RS_WAIT" rs_recv_done "$2" ||
		diag "$(rs_line)" "$(dmesg | grep resync | tail -n 5)"
	diag "$(dmesg | grep -E 'resync' | tail -n 6)"
	put "inst-$1" $(($(rs_installs "$2") - ${INST0:-0}))
	put "installed-$1" 1
}

# leader_installed CASE : node3 installed its copy; the writer stops
leader_installed() {
	get "interrupted-$1" >/dev/null
	check "$1: resync rate back to the default" rs_rate 0
	get "installed-$1" >/dev/null
	i=$(get "inst-$1")
	# A copy is done when node3 has it, not when its last frame is
	# queued; and none starts after it (the leader once reported copies
	# done that node3 never installed, and started another right after
	# each install).
	wait_for 60 rs_dones_reach "$i"
	sleep 3
	diag "$(rs_line)" "$(dmesg | grep 'resync' | tail -n 6)"
	check "$1: the copies this leader reports done are the $i node3 installed ($(($(rs_dones) - DONE0)))" \
		test $(($(rs_dones) - DONE0)) = "$i"
	check "$1: no copy to node3 runs after its install" rs_send_stopped 3
	writer_stop
}

# leads_in TERM : this node leads, still in TERM, and never stepped down
# (its status may still say leader a moment after the core stepped down)
leads_in() {
	rb_is leader && [ "$(rb_term)" = "$1" ] &&
		! dmesg | grep -q 'lost quorum, stepping down'
}

# node2_silent CASE : the host freezes node2 (QEMU stop) for over a
# second while node3 is away: a starved VM, to the leader; it leads on
# (with node1's election timeout at 1 s, it stepped down)
node2_silent() {
	local t
	t=$(rb_term)
	check "$1: host freezes node2 (node3 away)" host_request pause 2
	sleep 1.5
	check "$1: host resumes node2" host_request resume 2
	check "$1: node1 still leads in term $t after node2 was silent for over a second" \
		leads_in "$t"
}

# The leader's part: node3 away, the log filled past node3's index.
leader_away() {
	local c=$1 m
	DONE0=$(rs_dones)
	check "$c: resync rate $RS_RATE" rs_rate "$RS_RATE"
	put "go-$c" 1
	get "off-$c" >/dev/null
	[ "$c" = c ] && node2_silent "$c"
	m=$(rb_peer_field 3 match_index)
	check "$c: log filled past node3's match ($m) while it is away" \
		fill_past "$m"
	writer_start "$c"
	put "filled-$c" 1
}

# ---- VM 3, second boot: node3 restarts after its power-cut (case b) ----
node3_boot2() {
	check "insmod raftblk.ko" load_raftblk || finish
	check "dm device $DM over /dev/vdb" dm_create || finish
	RB_DISK=/dev/dm-$(dmsetup info -c --noheadings -o minor $DM)
	check "b: node3's superblock still has the resyncing mark" sb_resyncing
	bb=$(get b-base)
	check "b: the mark keeps the base of the interrupted copy ($bb)" \
		test "$(rb_sb_cur 1440 u8)" = "$bb"
	check "b: raftctl create on the same disk (recovery)" \
		rb_create $RS_TIMERS ||
		finish
	check "b: the kernel log says the data area is incomplete" \
		sh -c "dmesg | grep -q 'resyncing mark' &&
			dmesg | grep -q 'data area is incomplete'"
	diag "$(dmesg | grep -E 'resyncing|incomplete')"
	put b-back 1
	get b-checked >/dev/null
	check "b: node3 never became leader" never_led
	node3_installed b 1
	# A copy from a later base would skip extents whose last write lies
	# between the two: the ones the interrupted copy may not have reached.
	check "b: the new copy is from at most that base (from $(rs_recv_base))" \
		test "$(rs_recv_base)" -le "$bb"
	check "b: the resyncing mark is cleared" sb_not_resyncing
	hash_publish b
	node3_cases_a_d
}

# node3, cases a and d (after the restart of case b)
node3_cases_a_d() {
	node3_away a 1
	check "a: host power-cuts the leader (node1) mid-copy" \
		host_request kill 1
	put cut-a 1
	put interrupted-a 1
	check "a: node3 gives the copy from node1 up once it hears from a new leader" \
		gives_up_at_new_leader
	diag "$(dmesg | grep 'stopped after' | tail -n 1)"
	check "a: node3 votes node2 in (node3 is never a candidate)" \
		wait_for "$RS_WAIT" leader_is 2 || rb_status_diag
	check "a: node3 receives a new copy from node2" \
		wait_for "$RS_WAIT" rs_recv_from 2 ||
		diag "$(rs_line)" "$(dmesg | grep resync | tail -n 5)"
	node3_installed a 2
	check "a: node3 never became leader" never_led
	hash_publish a

	node3_away d 2
	put mid-d 1
	get removed-d >/dev/null
	check "d: raftctl destroy on the removed node" \
		run_timeout 120 raftctl destroy "$RB_DEV"
	check "d: rmmod raftblk" rmmod raftblk
	check "d: dm device removed (nothing holds the disk)" \
		dmsetup remove $DM
	put done-3 1
	finish
}

if [ "$NODE" = 3 ] && [ "$BOOT" -gt 1 ]; then
	node3_boot2
fi
if [ "$NODE" = 1 ] && [ "$BOOT" -gt 1 ]; then
	# ---- node1 boots again after its power-cut (case a) ----
	check "insmod raftblk.ko" load_raftblk || finish
	check "a: raftctl create on the same disk (recovery)" \
		rb_create $RS_TIMERS ||
		finish
	check "a: node1 follows node2" \
		wait_for "$RS_WAIT" leader_is 2 || rb_status_diag
	hash_publish a
	hash_publish d
	get done-d >/dev/null
	check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
	check "rmmod raftblk" rmmod raftblk
	finish
fi

# ---- first boot of every node ----
check "insmod raftblk.ko" load_raftblk || finish
if [ "$NODE" = 3 ]; then
	check "dm device $DM over /dev/vdb" dm_create || finish
	RB_DISK=/dev/dm-$(dmsetup info -c --noheadings -o minor $DM)
fi
check "raftctl create $RB_DEV as node $NODE" \
	rb_create $RS_TIMERS $([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier created || finish

case $NODE in
1)
	check "node1 leads its one-node cluster" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180 || finish
	check "mkfs.ext4" mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1 \
		"/dev/$RB_DEV" || finish
	check "mount" fs_mount || finish
	: >"$LIST"
	writer_start s
	sleep 3
	writer_stop

	# c. node3's network cut mid-copy
	leader_away c
	leader_installed c
	check "c: umount" umount /mnt
	fs_check c
	check "c: umount" umount /mnt
	hash_leader c 1 2 3
	check "c: mount" fs_mount || finish

	# b. node3 power-cut mid-copy
	leader_away b
	get cut-b >/dev/null
	check "b: host boots node3 again" \
		wait_for 120 host_request boot 3
	get b-back >/dev/null
	# Refused (RAFT_EBUSY): node3's progress is in snapshot state.
	check "b: transfer-leader to node3 (found resyncing) is refused" \
		expect_busy raftctl transfer-leader "$RB_DEV" 3
	sleep 3
	check "b: node1 still leads after a transfer-leader to node3" \
		rb_is leader
	put interrupted-b 1
	put b-checked 1
	leader_installed b
	check "b: umount" umount /mnt
	fs_check b
	check "b: umount" umount /mnt
	hash_leader b 1 2 3
	check "b: mount" fs_mount || finish

	# a. this node is power-cut mid-copy (by node3)
	leader_away a
	sleep 600
	tap_fail "node1 was power-cut by the host"
	finish
	;;
2)
	check "node2 is a voter" rb_wait_joined 180 || rb_status_diag
	hash_publish c
	hash_publish b
	# a. node1 is power-cut mid-copy: node2 leads and copies to node3
	get cut-a >/dev/null
	check "a: node2 is elected" \
		wait_for "$RS_WAIT" rb_is leader || rb_status_diag
	check "a: node2 sends node3 a new copy" \
		wait_for "$RS_WAIT" rs_send_started 3 || diag "$(rs_line)"
	get installed-a >/dev/null
	diag "$(rs_line)" "$(dmesg | grep 'resync' | tail -n 6)"
	fs_check a
	check "a: a file written on node2" write_acked after-a
	check "a: host boots node1 again" host_request boot 1
	check "a: umount" umount /mnt
	hash_leader a 1 2 3
	check "a: mount" fs_mount || finish

	# d. node3 removed mid-copy
	leader_away d
	get mid-d >/dev/null
	check "d: the leader is copying to node3" \
		wait_for "$RS_WAIT" rs_send_running 3 || diag "$(rs_line)"
	diag "$(rs_line)"
	check "d: peer remove 3 during its resync" \
		raftctl peer remove "$RB_DEV" 3
	put removed-d 1
	check "d: the leader stopped the copy to node3" \
		wait_for 60 rs_send_stopped 3
	diag "$(rs_line)"
	check "d: node3 is no longer a member" not_member 3
	check "d: node2 still leads" rb_is leader
	check "d: resync rate back to the default" rs_rate 0
	check "d: a file written after the removal" write_acked after-d
	writer_stop
	check "d: umount" umount /mnt
	fs_check d
	check "d: umount" umount /mnt
	hash_leader d 1 2
	get done-3 >/dev/null
	put done-d 1
	check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
	check "rmmod raftblk" rmmod raftblk
	finish
	;;
3)
	check "node3 is a voter" rb_wait_joined 180 || rb_status_diag

	# c. network cut mid-copy
	node3_away c 1
	check "c: host cuts node3's network mid-copy" host_request link-off 3
	sleep "$RS_CUT_SECS"
	check "c: host restores node3's network" host_request link-on 3
	put interrupted-c 1
	check "c: node3 gave up the interrupted copy" \
		wait_for "$RS_WAIT" rs_gave_up 1
	node3_installed c 1
	hash_publish c

	# b. power-cut mid-copy
	node3_away b 1
	put b-base "$(rs_recv_base)"
	check "b: the resyncing mark is on disk before the cut" sb_resyncing
	put cut-b 1
	host_request kill 3
	sleep 600
	tap_fail "node3 was power-cut by the host"
	finish
	;;
esac
