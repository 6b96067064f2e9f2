#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures injected into raftblk (debug kernel only: suite
# vm-faultinject of `make check-debug`; on a kernel without failslab and
# fail_page_alloc every test is skipped). One node.
#
#  1. Systematic, the netlink paths: a command's kernel side runs in
#     raftctl's own thread, so RAFTCTL_FAIL_NTH=N (raftctl arms
#     /proc/thread-self/fail-nth before its first request) fails the Nth
#     slab or page allocation of that path. For N = 1, 2, ... until raftctl
#     says the Nth point was not reached: create (standalone and a
#     bootstrapped one-node cluster), destroy (both), status. After each
#     N: a failed command left no device (create) or a working device
#     (destroy), a command that succeeded left what it says, and the
#     cleanup without faults works.
#  2. Random, the node thread: a bootstrapped one-node cluster whose node
#     thread fails FI_PROB percent of its allocations (failslab and
#     fail_page_alloc, task-filter with /proc/PID/make-it-fail) for
#     FI_WRITES single-block O_DIRECT writes from an unmarked writer. Then
#     the faults stop: every acknowledged block reads back, after the
#     device is destroyed and started again from its disk too.
# With the harness's console check (KASAN, lockdep, WARNING, ...) and
# /init's kmemleak scan, an error path that leaks, frees twice or sleeps
# in atomic context fails the run.
#
# Arguments (run ... faultinject [STEP [PROB [WRITES]]]): STEP > 1 tries
# only N = 1, 1 + STEP, 1 + 2 STEP, ... (a faster, partial sweep; default
# 1, every N); PROB the percentage of the node thread's allocations that
# fail (default 5); WRITES the number of writes (default 200). FI_MAX_NTH
# bounds N (default 5000).
. /lib.sh
. /scenarios/lib-cluster.sh

DBG=/sys/kernel/debug
FI_STEP=${1:-1}
FI_PROB=${2:-5}
FI_WRITES=${3:-200}
FI_MAX_NTH=${FI_MAX_NTH:-5000}
DEV=$RB_DEV

if [ ! -w $DBG/failslab/probability ] || [ ! -w $DBG/fail_page_alloc/probability ] ||
	[ ! -w /proc/thread-self/fail-nth ]; then
	tap_skip "allocation failures injected into raftblk" \
		"no failslab/fail_page_alloc/fail-nth in this kernel (VM_KERNEL=debug has them)"
	finish
fi
check "insmod raftblk.ko" insmod "$RAFTBLK_KO" || finish

# fi_set PROBABILITY: failslab and fail_page_alloc, sleeping allocations
# included, only in tasks marked with make-it-fail (fail-nth works with
# probability 0 too: it is checked first).
fi_set() {
	local a
	for a in failslab fail_page_alloc; do
		echo Y >$DBG/$a/task-filter &&
		echo N >$DBG/$a/ignore-gfp-wait &&
		echo 1 >$DBG/$a/interval &&
		echo -1 >$DBG/$a/times &&
		echo 0 >$DBG/$a/space &&
		echo 1 >$DBG/$a/verbose &&
		echo "$1" >$DBG/$a/probability || return 1
	done
	echo N >$DBG/fail_page_alloc/ignore-gfp-highmem
}
check "fault injection set up (task-filter, sleeping allocations too)" fi_set 0 ||
	finish

no_device() { # NAME: no trace of the device left
	! test -e "/dev/$1" && ! test -e "/sys/block/$1" &&
		! raftctl status 2>/dev/null | grep -q "^$1 "
}
wipe() {
	dd if=/dev/zero of="$RB_DISK" bs=1M count=1 oflag=direct 2>/dev/null
}
# works: the device takes a 4 KiB O_DIRECT write and reads it back
dd if=/dev/urandom of=/tmp/blk bs=4k count=1 2>/dev/null
works() {
	dd if=/tmp/blk of="/dev/$DEV" bs=4k seek=7 oflag=direct 2>/dev/null &&
	dd if="/dev/$DEV" bs=4k skip=7 count=1 iflag=direct 2>/dev/null |
		cmp -s - /tmp/blk
}
leader() { rb_is leader; }
create_standalone() { raftctl create "$DEV" --disk "$RB_DISK"; }
create_cluster() { wipe && rb_create --bootstrap; }
up_standalone() {
	wipe && create_standalone >/dev/null 2>&1 && wait_for 30 works
}
up_cluster() {
	create_cluster >/dev/null 2>&1 &&
		wait_for "$RB_ELECTION_WAIT" leader && wait_for 60 works
}
gone() { # no device; destroyed without faults when there was one
	if test -e "/sys/block/$DEV"; then
		run_timeout 120 raftctl destroy "$DEV" >/dev/null 2>&1 || return 1
	fi
	no_device "$DEV"
}
# After create: success = a working device, failure = nothing left.
after_create() { # rc
	if [ "$1" = 0 ]; then
		test -b "/dev/$DEV" && wait_for "$RB_ELECTION_WAIT" works
	else
		no_device "$DEV"
	fi
}
after_create_cluster() { # rc
	[ "$1" = 0 ] && { wait_for "$RB_ELECTION_WAIT" leader || return 1; }
	after_create "$1"
}
# After destroy: success = nothing left, failure = still working.
after_destroy() { # rc
	if [ "$1" = 0 ]; then
		no_device "$DEV"
	else
		wait_for 30 works
	fi
}
after_status() { # rc
	wait_for 30 works
}
nothing() { :; }
fresh() { gone && wipe; }

# sweep LABEL SETUP VERIFY CLEANUP CMD... : CMD with fail-nth N = 1,
# 1 + STEP, ... until raftctl says N was not reached (then CMD must have
# succeeded). The count of points printed is the first N not reached - 1,
# within STEP of the true count.
sweep() {
	local label=$1 setup=$2 verify=$3 cleanup=$4 n=1 rc bad="" end=0 nf=0
	local tried=0
	shift 4
	while [ $n -le "$FI_MAX_NTH" ]; do
		if ! $setup; then
			bad="$bad setup-before-$n"
			break
		fi
		RAFTCTL_FAIL_NTH=$n "$@" >/tmp/fi.out 2>/tmp/fi.err
		rc=$?
		if grep -q "fail-nth $n not reached" /tmp/fi.err; then
			end=1
			[ $rc = 0 ] || bad="$bad no-fault-but-rc=$rc"
			$verify 0 || bad="$bad no-fault-but-state-wrong"
			$cleanup || bad="$bad cleanup-after-$n"
			break
		fi
		if [ $rc != 0 ]; then
			nf=$((nf + 1))
			[ -s /tmp/fi.err ] || bad="$bad $n:rc=$rc-without-message"
			echo "# $label: fail-nth $n: rc=$rc: $(head -n 1 /tmp/fi.err)"
		fi
		$verify $rc || bad="$bad $n:rc=$rc-state-wrong"
		if ! $cleanup; then
			bad="$bad cleanup-after-$n"
			break
		fi
		tried=$((tried + 1))
		n=$((n + FI_STEP))
	done
	[ $end = 1 ] || bad="$bad end-not-reached-by-$FI_MAX_NTH"
	if [ -z "$bad" ]; then
		tap_ok "$label: $tried of its $((n - 1)) fault points failed in turn (step $FI_STEP; $nf failed the command): clean error or success"
	else
		tap_fail "$label: fault points failed in turn (step $FI_STEP)" \
			"fault points (N) with a wrong outcome:$bad" \
			"(reproduce: RAFTCTL_FAIL_NTH=N raftctl ... in a VM_KERNEL=debug shell)"
	fi
}

sweep "create (standalone)" fresh after_create gone create_standalone
sweep "create --bootstrap (one-node cluster)" wipe after_create_cluster gone \
	create_cluster
sweep "destroy (standalone)" up_standalone after_destroy gone \
	raftctl destroy "$DEV"
sweep "destroy (one-node cluster)" up_cluster after_destroy gone \
	raftctl destroy "$DEV"
check "a one-node cluster for status" up_cluster
sweep "status --json (one-node cluster)" nothing after_status nothing \
	raftctl status --json
check "destroy after the sweeps" gone

# ---- 2. random failures in the node thread ----
check "bootstrap a one-node cluster" up_cluster || finish
tpid=""
for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" = "$DEV" ] && tpid=${p#/proc/}
done
check "node thread $DEV found" test -n "$tpid" || finish
i=0
while [ $i -lt "$FI_WRITES" ]; do
	dd if=/dev/urandom of=/tmp/w.$i bs=4k count=1 2>/dev/null
	i=$((i + 1))
done
faults_on() { echo 1 >"/proc/$tpid/make-it-fail" && fi_set "$FI_PROB"; }
check "faults on: $FI_PROB% of the node thread's allocations fail" faults_on
: >/tmp/acked
i=0
while [ $i -lt "$FI_WRITES" ]; do
	# Block i at 4 KiB * (i + 16); acknowledged when dd exits 0.
	run_timeout 60 dd if=/tmp/w.$i of="/dev/$DEV" bs=4k seek=$((i + 16)) \
		oflag=direct 2>/dev/null && echo $i >>/tmp/acked
	i=$((i + 1))
done
fi_set 0
echo 0 >"/proc/$tpid/make-it-fail" 2>/dev/null
diag "$(wc -l </tmp/acked) of $FI_WRITES writes acknowledged under faults"
readback() { # every acknowledged block holds its data
	local i
	while read -r i; do
		dd if="/dev/$DEV" bs=4k skip=$((i + 16)) count=1 iflag=direct \
			2>/dev/null | cmp -s - /tmp/w.$i || { echo "block $i"; return 1; }
	done </tmp/acked
}
check "faults off: the device works again" wait_for 120 works
check "every acknowledged write reads back" readback
check "destroy" run_timeout 120 raftctl destroy "$DEV"
check "start again from the disk" rb_create
check "a leader again" wait_for "$RB_ELECTION_WAIT" leader
check "every acknowledged write reads back after the restart" readback
check "destroy at the end" run_timeout 120 raftctl destroy "$DEV"
check "rmmod raftblk" rmmod raftblk
finish
