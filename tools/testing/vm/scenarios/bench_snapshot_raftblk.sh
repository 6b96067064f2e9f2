#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark target "raftblk-snapshot" (issue 13): what one active
# snapshot costs application writes. Three nodes, each with a COW pool
# (/dev/vda); on node1, the leader:
#   1. fio randwrite-qd32 (4k) with no snapshot: fio-snap-none.json;
#   2. 4 KiB O_DIRECT writes back to back while `raftctl snapshot create
#      raftblk0 bench --size 192M` runs: the longest gap between two
#      completed writes, in ms, to /shared/node1/snapshot.txt (pause_ms);
#   3. the same fio job with that snapshot active (dm-snapshot copies
#      each first write of a 4 KiB chunk to the COW area on every node):
#      fio-snap-one.json.
# Run by tools/testing/bench/run; the report prints the rows.
#
# vm-needs: bench
. /lib.sh
. /scenarios/lib-cluster.sh

check "bench jobs present in /shared/bench" test -f /shared/bench/fio-jobs.sh ||
	finish
. /shared/bench/fio-jobs.sh

[ "$NODES" -ge 3 ] || { tap_fail "bench_snapshot_raftblk needs 3 nodes"; finish; }
[ "$NODE" -le 3 ] || finish

# fio_named NAME : randwrite-qd32 on the device, results fio-NAME.*
fio_named() {
	args=$(bench_fio_args "$1" randwrite-qd32 "/dev/$RB_DEV") || return 1
	# shellcheck disable=SC2086
	run_timeout $((BENCH_RUNTIME * 3 + 90)) fio $args \
		>"$RESULTS/fio-$1.stdout" 2>&1
	rc=$?
	echo "$rc" >"$RESULTS/fio-$1.rc"
	return $rc
}

# 4 KiB O_DIRECT writes until /tmp/stopw exists; completion times
writer() {
	i=0
	while [ ! -e /tmp/stopw ]; do
		dd if=/dev/zero of="/dev/$RB_DEV" bs=4096 count=1 \
			seek=$((i % 256)) oflag=direct conv=notrunc 2>/dev/null ||
			break
		cut -d' ' -f1 /proc/uptime >>/tmp/w.times
		i=$((i + 1))
	done
}

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create as node $NODE with a COW pool" \
	rb_create --snapshot-pool /dev/vda \
	$([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier bench-created 1 2 3 || finish
if [ "$NODE" = 1 ]; then
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180 || finish
	check "fio randwrite-qd32, no snapshot" fio_named snap-none
	rm -f /tmp/stopw /tmp/w.times
	writer &
	sleep 3
	out=$(raftctl snapshot create "$RB_DEV" bench --size 192M 2>&1)
	check "snapshot create bench: $out" \
		sh -c "echo '$out' | grep -q '^snapshot bench taken'"
	sleep 3
	touch /tmp/stopw
	wait
	gap=$(awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 }
		END { printf "%d\n", m * 1000 }' /tmp/w.times)
	echo "pause_ms=$gap" >"$RESULTS/snapshot.txt"
	echo "pause_writes=$(wc -l </tmp/w.times)" >>"$RESULTS/snapshot.txt"
	diag "longest gap between two 4 KiB writes while the snapshot was taken: $gap ms"
	check "fio randwrite-qd32, one snapshot active" fio_named snap-one
	check "the snapshot survived the run (not invalid)" sh -c \
		"raftctl snapshot list $RB_DEV | grep -q '^bench .* active '"
	check "node1 still the leader after the jobs" rb_is leader
else
	check "node$NODE was added and promoted to voter" rb_wait_joined 180
fi
LIB_WAIT_STEP=2
check "barrier: benchmark done" barrier bench-done 1 2 3
check "raftctl destroy" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
