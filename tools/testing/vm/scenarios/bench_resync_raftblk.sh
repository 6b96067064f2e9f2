#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark target "raftblk-resync": a full copy of the data area (resync)
# to a node with a blank disk, in a cluster that holds data, and the
# application's 4 KiB random writes on the leader during the copy. Run by
# tools/testing/bench/run (3 VMs, resync rate 0: the dynamic default):
#
#  1. node1 bootstraps, adds node2 (voter); writes the first BENCH_SIZE
#     of /dev/raftblk0 (random data, so the copy of a new node covers
#     exactly BENCH_SIZE); fio BENCH_RESYNC_JOB for BENCH_RUNTIME s, no
#     copy running (fio-resync-base.json);
#  2. idle copy: node3 (blank disk) is added; its full copy runs with no
#     application I/O: bytes and milliseconds from node3's own counters
#     (kernel log "resync from node 1 done: ... B bytes in M ms", the
#     copy that was installed), the copies the leader started (a copy
#     that breaks off is sent again) and the time from peer add until
#     node3 is a voter;
#  3. copy under load: node3 is destroyed and removed, its disk wiped,
#     and VM 3 added again as node 4 (blank): once the copy to node 4 is
#     running, fio BENCH_RESYNC_JOB on node1 (fio-resync-during.json),
#     stopped early (SIGINT) if the copy ends first; the bytes the copy
#     advanced during fio (node1's sysfs resync line) over fio's window.
#
# Results: node1/resync.txt and node3/resync.txt (key=value), the fio
# JSON in node1/.
#
# vm-needs: bench
. /lib.sh
. /scenarios/lib-cluster.sh

check "bench jobs present in /shared/bench" test -f /shared/bench/fio-jobs.sh ||
	finish
. /shared/bench/fio-jobs.sh

# Seconds for one phase (a copy, the fill) under a loaded TCG host.
BARRIER_TIMEOUT=${BENCH_PHASE_WAIT:-1200}
RS_SYSFS=/sys/block/$RB_DEV/raftblk/resync
# Waits poll once a second: the waiting shells take little CPU from the
# copy and the application being measured (timings come from the
# module's counters, not from these polls).
LIB_WAIT_STEP=1

[ "$NODES" -ge 3 ] || { tap_fail "bench_resync_raftblk needs 3 nodes (--nodes 3)"; finish; }
[ "$NODE" -le 3 ] || finish

# rs_line DIR PEER : this node's sysfs resync line "DIR PEER ..." (to/from)
rs_line() {
	awk -v d="$1" -v p="$2" '$1 == d && $2 == p' "$RS_SYSFS"
}
rs_state() { rs_line "$1" "$2" | awk '{ print $4 }'; }
rs_done() { rs_line "$1" "$2" | awk '{ print $10 }'; }
# A copy that breaks off is started again by the leader: wait for one
# that finished (the line is the last copy's).
rs_finished() { [ "$(rs_state "$1" "$2")" = finished ]; }
rs_sent() { # PEER : copies this leader started to PEER (kernel log)
	dmesg | grep -c "resync of node $1: "
}
voter_key() { test -e "$SHARED/kv/voter-$1"; }
# rs_log_result PHASE SKIP : the copies this node installed, from its
# kernel log ("resync from node 1 done: full from index 0 at S, B bytes
# in M ms"), but the first SKIP: their bytes and milliseconds added up as
# PHASE_bytes and PHASE_ms, their number as PHASE_copies
rs_log_result() {
	local s
	s=$(dmesg | grep 'resync from node 1 done: ' | tail -n +$(($2 + 1)) |
		sed -n 's/.*, \([0-9]*\) bytes in \([0-9]*\) ms.*/\1 \2/p' |
		awk '{ b += $1; ms += $2; n++ } END { if (n) print b, ms, n }')
	check "the kernel log has the $1 copies' bytes and time ($s)" \
		test -n "$s"
	set -- "$1" $s
	bench_result "$1_bytes" "$2"
	bench_result "$1_ms" "$3"
	bench_result "$1_copies" "$4"
}

check "insmod raftblk.ko" load_raftblk || finish

if [ "$NODE" = 1 ]; then
	check "raftctl create as node 1 (bootstrap)" rb_create --bootstrap ||
		finish
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "raftctl set --resync-rate 0 (dynamic, the default)" \
		raftctl set "$RB_DEV" --resync-rate 0
	get node2-created >/dev/null
	check "peer add 2" rb_peer_add 2
	check "node2 is a voter" wait_for "$BARRIER_TIMEOUT" voter_key 2 ||
		finish
	check "fill the first $BENCH_SIZE of /dev/$RB_DEV" \
		bench_fill "/dev/$RB_DEV" || finish
	check "the leader compacted its log (compaction point $(rb_sb_u64 136))" \
		test "$(rb_sb_u64 136)" -gt 0
	bench_cpu_start
	bench_fio_start resync-base "$BENCH_RESYNC_JOB" "/dev/$RB_DEV" &&
		bench_fio_wait resync-base
	bench_cpu_stop "fio, no copy"

	# 2. the idle copy to node 3
	put idle-go 1
	get node3-created >/dev/null
	t0=$(bench_now_ms)
	check "peer add 3 (blank disk)" rb_peer_add 3
	check "a copy to node 3 finished" \
		wait_for "$BARRIER_TIMEOUT" rs_finished to 3
	t1=$(bench_now_ms)
	diag "$(rs_line to 3)"
	check "node3 is a voter" wait_for "$BARRIER_TIMEOUT" voter_key 3
	t2=$(bench_now_ms)
	diag "$(dmesg | grep 'resync of node 3')"
	bench_result idle_leader_ms $((t1 - t0))
	bench_result idle_voter_ms $((t2 - t0))
	bench_result idle_copies_sent "$(rs_sent 3)"
	rb_status_diag

	# 3. the copy to node 4 under the application's writes
	put replace-go 1
	get node3-destroyed >/dev/null
	check "peer remove 3" wait_for 60 raftctl peer remove "$RB_DEV" 3
	put node3-removed 1
	get node4-created >/dev/null
	# fio first, then the copy: the copy starts under the application's
	# writes, and its pacing decides how long it lasts. fio runs until
	# stopped (a runtime longer than any copy); the application's IOPS
	# come from the device's own counter of completed writes, over a
	# window before peer add and over the copy (peer add to the leader's
	# copy finished), so fio's start and stop do not blur them.
	bench_cpu_start
	rt=$BENCH_RUNTIME
	BENCH_RUNTIME=$BARRIER_TIMEOUT
	bench_fio_start resync-during "$BENCH_RESYNC_JOB" "/dev/$RB_DEV"
	fio_ok=$?
	BENCH_RUNTIME=$rt
	if [ "$fio_ok" = 0 ]; then
		tap_ok "fio $BENCH_RESYNC_JOB started before the copy"
		sleep "$BENCH_RESYNC_WARM"
		w0=$(bench_writes "$RB_DEV") t0=$(bench_now_ms)
		sleep "$BENCH_RESYNC_WARM"
		w1=$(bench_writes "$RB_DEV") t1=$(bench_now_ms)
		check "peer add 4 (VM 3, blank disk) while fio writes" \
			raftctl peer add "$RB_DEV" 4 "$(rb_listen 3)"
		# the resync ends when node 4 is a voter: its copies (a copy
		# the log's compaction overtook is followed by a delta of the
		# blocks written meanwhile) and its replay of the log; or when
		# fio ended (then the figures are partial: said in the result)
		while bench_fio_running resync-during && ! voter_key 4; do
			sleep 0.2
		done
		w2=$(bench_writes "$RB_DEV") t2=$(bench_now_ms)
		st=$(rs_state to 4)
		bench_fio_running resync-during && fio_end=0 || fio_end=1
		bench_fio_stop resync-during
		bench_fio_wait resync-during
		bench_cpu_stop "fio during the copy"
		diag "$(rs_line to 4)"
		bench_result pre_iops $(((w1 - w0) * 1000 / (t1 - t0 + 1)))
		bench_result during_iops $(((w2 - w1) * 1000 / (t2 - t1 + 1)))
		bench_result load_window_ms $((t2 - t1))
		bench_result load_copy_state_after_fio "$st"
		bench_result load_fio_ended_first "$fio_end"
	else
		tap_fail "fio $BENCH_RESYNC_JOB started before the copy"
		check "peer add 4 (VM 3, blank disk)" \
			raftctl peer add "$RB_DEV" 4 "$(rb_listen 3)"
	fi
	check "a copy to node 4 finished" \
		wait_for "$BARRIER_TIMEOUT" rs_finished to 4
	check "node4 is a voter" wait_for "$BARRIER_TIMEOUT" voter_key 4
	diag "$(dmesg | grep 'resync of node 4')"
	bench_result load_copies_sent "$(rs_sent 4)"
	check "node1 still the leader" rb_is leader
	rb_status_diag
	diag "$(cat "$RS_SYSFS")"
elif [ "$NODE" = 2 ]; then
	check "raftctl create as node 2" rb_create || finish
	put node2-created 1
	check "node2 was added and promoted to voter" \
		wait_for "$BARRIER_TIMEOUT" rb_self_voter && put voter-2 1
else
	get idle-go >/dev/null
	check "raftctl create as node 3 (blank disk)" rb_create || finish
	put node3-created 1
	check "node3 receives a full copy, and one finishes" \
		wait_for "$BARRIER_TIMEOUT" rs_finished from 1
	diag "$(rs_line from 1)" "$(dmesg | grep 'resync from node 1')"
	rs_log_result idle 0
	check "node3 caught up and is a voter" \
		wait_for "$BARRIER_TIMEOUT" rb_self_voter && put voter-3 1

	get replace-go >/dev/null
	idle_copies=$(dmesg | grep -c 'resync from node 1 done: ')
	check "raftctl destroy (node 3)" raftctl destroy "$RB_DEV"
	put node3-destroyed 1
	get node3-removed >/dev/null
	# The superblocks, the extent map and the log ring: a blank node (the
	# copy rewrites every written extent of the data area).
	mib=$(($(rb_sb_u64 88) / 1048576))
	check "wipe the disk's first $mib MiB (metadata and log)" \
		dd if=/dev/zero of="$RB_DISK" bs=1M count="$mib" oflag=direct
	check "raftctl create as node 4 (blank disk)" \
		raftctl create "$RB_DEV" --disk "$RB_DISK" --node-id 4 \
		--listen "$(rb_listen 3)" || finish
	put node4-created 1
	check "node4 receives a full copy, and one finishes" \
		wait_for "$BARRIER_TIMEOUT" rs_finished from 1
	diag "$(rs_line from 1)"
	check "node4 caught up and is a voter" \
		wait_for "$BARRIER_TIMEOUT" rb_self_voter && put voter-4 1
	diag "$(dmesg | grep 'resync from node 1')"
	rs_log_result load "$idle_copies"
fi
# The peers wait through the whole run: poll rarely, so the waiting
# shell takes no CPU from the replication being measured.
LIB_WAIT_STEP=2
check "barrier: benchmark done" barrier bench-done 1 2 3
check "raftctl destroy" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
