#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark target "raftblk": a three-node cluster (node1 bootstraps and
# leads, nodes 2 and 3 join as voters); fio on /dev/raftblk0 of node1.
# Target "raftblk-auth" (BENCH_SECRET=1 in /shared/bench/params): the
# same with a shared secret, so every connection is authenticated and
# every frame carries a MAC. Run by tools/testing/bench/run.
#
# vm-needs: bench
. /lib.sh
. /scenarios/lib-cluster.sh

check "bench jobs present in /shared/bench" test -f /shared/bench/fio-jobs.sh ||
	finish
. /shared/bench/fio-jobs.sh

[ "$NODES" -ge 3 ] || { tap_fail "bench_raftblk needs 3 nodes (--nodes 3)"; finish; }
[ "$NODE" -le 3 ] || finish

check "insmod raftblk.ko" load_raftblk || finish
# The device's metrics around each job (tools/testing/bench/breakdown):
# where a request's time goes on the leader, phase by phase.
bench_job_hook() { # before|after JOB
	raftctl metrics "$RB_DEV" >"$RESULTS/metrics-$2-$1.prom" 2>&1
}

[ "${BENCH_SECRET:-0}" = 1 ] && rb_secret_init
check "raftctl create as node $NODE $(rb_secret_args)" \
	rb_create $([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier bench-created 1 2 3 || finish
if [ "$NODE" = 1 ]; then
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180 || finish
	rb_status_diag
	# raftblk-auth measures authentication only if it is on.
	rb_secret_check
	bench_fio_all "/dev/$RB_DEV"
	check "node1 still the leader after the jobs" rb_is leader
	rb_status_diag
else
	check "node$NODE was added and promoted to voter" rb_wait_joined 180
	raftctl metrics "$RB_DEV" >"$RESULTS/metrics-run-before.prom" 2>&1
	# bench/run --profile: this follower's CPU profile of each job
	bench_profile_follow
fi
# The peers wait through the whole run: poll rarely, so the waiting
# shell takes no CPU from the replication being measured.
LIB_WAIT_STEP=2
check "barrier: benchmark done" barrier bench-done 1 2 3
raftctl metrics "$RB_DEV" >"$RESULTS/metrics-run-after.prom" 2>&1
check "raftctl destroy" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
finish
