#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A snapshot whose origin refuses to resume (FINDINGS F5; suite
# vm-snapshot-resume: run --nodes 1 --disk-size 128M --timeout 600
# snapshot_resume). One node, a cluster of one, COW pool /dev/vda. Its
# snapshot helper is a wrapper that sets RAFTCTL_FAIL_RESUME: the
# helper's first N resumes of the origin (raftblk0-data, suspended while
# the snapshot is activated) are refused as a failed ioctl would be.
#
#  1. f1, two resumes refused: the helper tries again and takes f1; the
#     origin runs, the kernel log says attempt 2 of 5 was refused;
#  2. f2, every resume refused (five): f2 is not taken: create fails
#     ("the helper failed"), no f2 device nor COW area, the entry failed
#     in `snapshot list`; the origin runs again (the helper removed f2
#     and resumed it once more), a write after it completes and reads
#     back; f1 is still active;
#  3. f3, the helper killed between its suspend and its resume (the
#     wrapper sets RAFTCTL_TEST_SUSPENDED=kill: the helper sends itself
#     SIGKILL once f3 is activated, the origin still suspended): the
#     kernel runs `raftctl helper snapshot-recover`, which resumes the
#     origin and removes f3's devices (not in the pool's table); create
#     fails, the last entry f3 is failed in `snapshot list`, `raftctl
#     events` reported it (result failed), no f3 device; a write after it
#     completes and reads back;
#  4. f4, the helper hangs with the origin suspended
#     (RAFTCTL_TEST_SUSPENDED=hang) under a 10 s snapshot_helper_timeout:
#     a write issued while the origin is suspended completes once the
#     kernel killed the helper (the log says so) and recovered; f4 failed
#     as f3; f1 is still active; no kernel warning in the log;
#  5. f1 deleted; destroy leaves no device-mapper device of raftblk0.
#
# Seen failing with the old helper (one resume, its refusal only
# logged): f1 "taken" with the origin left suspended, every write of the
# node waiting on it. Steps 3 and 4 seen failing without the kernel's
# recovery and timeout (the origin left suspended, the writes after f3
# and during f4 never ending).
. /lib.sh
. /scenarios/lib-cluster.sh
. /scenarios/lib-snapshot.sh

# the origin is not suspended (a suspended one holds every bio of the node)
origin_runs() {
	dmsetup info "$RB_DEV-data" | grep -q '^State: *ACTIVE$'
}
# origin_check WHAT : origin_runs, else resume it (the checks after go on)
origin_check() {
	check "the origin runs $1" origin_runs && return 0
	diag "$(dmsetup info "$RB_DEV-data")"
	dmsetup resume "$RB_DEV-data"
	return 1
}
origin_suspended() {
	dmsetup info "$RB_DEV-data" | grep -q '^State: *SUSPENDED$'
}
# helper_gone : no snapshot helper runs any more; else it is killed (so
# that the checks after go on when the kernel did not end it)
helper_pids() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$f" 2>/dev/null |
			grep -q '^[^ ]*raftctl helper snapshot-' &&
			{ f=${f#/proc/}; echo "${f%/cmdline}"; }
	done
}
helper_gone() {
	local p
	p=$(helper_pids)
	[ -z "$p" ] && return 0
	diag "a snapshot helper still runs: $p, killed"
	kill -9 $p
	return 1
}
# write_reads_back SEEK TEXT : TEXT written at 4 KiB block SEEK, O_DIRECT,
# and read back
write_reads_back() {
	printf '%s' "$2" >/tmp/blk &&
	timeout 60 dd if=/tmp/blk of="/dev/$RB_DEV" bs=4096 seek="$1" \
		conv=sync oflag=direct 2>/dev/null &&
	test "$(timeout 60 dd if="/dev/$RB_DEV" bs=4096 skip="$1" count=1 \
		iflag=direct 2>/dev/null | head -c ${#2})" = "$2"
}
# kernel_clean : no kernel warning, oops or hung task in the log
kernel_clean() {
	! dmesg | grep -Eq 'BUG:|WARNING:|Oops|lockdep|blocked for more than|Call Trace'
}

if [ "$NODES" -ne 1 ]; then
	tap_fail "snapshot_resume needs exactly 1 node (--nodes 1)"
	finish
fi

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create $RB_DEV, a cluster of one, COW pool /dev/vda" \
	rb_create --snapshot-pool /dev/vda --bootstrap || finish
check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish

helper=$(cat /sys/module/raftblk/parameters/snapshot_helper)
cat >/tmp/failhelper <<EOS
#!/bin/sh
case "\$RAFTBLK_SNAPSHOT" in
f1) export RAFTCTL_FAIL_RESUME=2 ;;
f2) export RAFTCTL_FAIL_RESUME=5 ;;
f3) export RAFTCTL_TEST_SUSPENDED=kill ;;
f4) export RAFTCTL_TEST_SUSPENDED=hang ;;
esac
exec $(command -v raftctl) "\$@"
EOS
chmod +x /tmp/failhelper
check "the snapshot helper refuses its first resumes of the origin" sh -c \
	"printf %s /tmp/failhelper >/sys/module/raftblk/parameters/snapshot_helper"

# 1. f1: two resumes refused, the third done
out=$(timeout 120 raftctl snapshot create "$RB_DEV" f1 --size 4M 2>&1)
check "snapshot create f1 (two resumes refused): $out" \
	sh -c "echo '$out' | grep -q '^snapshot f1 taken at index'"
origin_check "after f1"
check "the helper said the second resume was refused" sh -c \
	"dmesg | grep -q 'raftblk-helper: $RB_DEV: cannot resume $RB_DEV-data (attempt 2 of 5)'"
check "f1 is active" snap_state_is f1 active
check "a write after f1" timeout 60 dd if=/dev/urandom of="/dev/$RB_DEV" \
	bs=4k count=1 seek=100 oflag=direct

# 2. f2: every resume refused
out=$(timeout 120 raftctl snapshot create "$RB_DEV" f2 --size 4M 2>&1)
rc=$?
diag "$(dmesg | grep 'raftblk.*f2')"
check "snapshot create f2 (every resume refused) fails: rc $rc: $out" \
	sh -c "[ $rc != 0 ] && echo '$out' | grep -q 'applied, on this node: the helper failed'"
origin_check "after f2 (f2 removed, resumed once more)"
check "the helper said f2 was not taken" sh -c \
	"dmesg | grep -q 'raftblk-helper: $RB_DEV: snapshot f2 not taken: the origin could not be resumed after it'"
check "no f2 device, no f2 COW area device" \
	test ! -e "$(snapdev f2)" -a ! -e "$(snapdev f2)-cow"
check "the last entry f2: failed" sh -c \
	"raftctl snapshot list $RB_DEV | grep -q 'last snapshot entry: create f2 at index [0-9]* term [0-9]*: failed$'"
check "f2 is not listed as a snapshot" test -z "$(snap_json f2 state)"
printf 'after-f2' >/tmp/blk
check "a write after f2 completes" timeout 60 dd if=/tmp/blk \
	of="/dev/$RB_DEV" bs=4096 seek=200 conv=sync oflag=direct
check "and reads back" test "$(timeout 60 dd if="/dev/$RB_DEV" bs=4096 \
	skip=200 count=1 iflag=direct 2>/dev/null | head -c 8)" = after-f2
check "f1 is still active" snap_state_is f1 active

# 3. f3: the helper killed with the origin suspended
raftctl events --json >/tmp/ev 2>&1 &
evpid=$!
sleep 1
out=$(timeout 120 raftctl snapshot create "$RB_DEV" f3 --size 4M 2>&1)
rc=$?
diag "$(dmesg | grep 'raftblk.*f3\|recover')"
check "snapshot create f3 (helper killed while suspended) fails: rc $rc: $out" \
	sh -c "[ $rc != 0 ] && echo '$out' | grep -q 'applied, on this node: the helper failed'"
check "no snapshot helper left running after f3" helper_gone
origin_check "after f3 (the kernel's recovery resumed it)"
check "the helper died with the origin suspended" sh -c \
	"dmesg | grep -q 'raftblk-helper: test: killed with the origin suspended'"
check "the kernel saw it killed and ran the recovery" sh -c \
	"dmesg | grep -q 'raftblk: $RB_DEV: snapshot f3: snapshot-create was killed: not done here, devices resumed'"
check "the recovery resumed the origin" sh -c \
	"dmesg | grep -q 'raftblk-helper: $RB_DEV: recover: $RB_DEV-data was suspended: resumed'"
check "no f3 device, no f3 COW area device" \
	test ! -e "$(snapdev f3)" -a ! -e "$(snapdev f3)-cow"
check "the last entry f3: failed" sh -c \
	"raftctl snapshot list $RB_DEV | grep -q 'last snapshot entry: create f3 at index [0-9]* term [0-9]*: failed$'"
check "f3 is not listed as a snapshot" test -z "$(snap_json f3 state)"
check "a write after f3 completes and reads back" write_reads_back 300 after-f3
kill "$evpid" 2>/dev/null
diag "$(grep '"snapshot"' /tmp/ev)"
check "raftctl events: f3's entry, result failed" grep -q \
	'"event": "change", "object": "snapshot", .*"name": "f3", "op": "create", .*"result": "failed"' /tmp/ev

# 4. f4: the helper hangs with the origin suspended; the kernel's timeout
to=/sys/module/raftblk/parameters/snapshot_helper_timeout
to0=$(cat $to)
check "snapshot_helper_timeout 10 s (was $to0)" sh -c "echo 10 >$to"
timeout 180 raftctl snapshot create "$RB_DEV" f4 --size 4M >/tmp/f4.out 2>&1 &
f4pid=$!
check "the origin is suspended while f4's helper hangs" \
	wait_for 60 origin_suspended
timeout 120 sh -c "printf during-f4 >/tmp/blk4 && dd if=/tmp/blk4 \
	of=/dev/$RB_DEV bs=4096 seek=400 conv=sync oflag=direct" 2>/dev/null &
wpid=$!
wait "$f4pid"
rc=$?
out=$(cat /tmp/f4.out)
diag "$(dmesg | grep 'raftblk.*f4\|recover')"
check "snapshot create f4 (helper hung while suspended) fails: rc $rc: $out" \
	sh -c "[ $rc != 0 ] && echo '$out' | grep -q 'applied, on this node: the helper failed'"
check "no snapshot helper left running after f4" helper_gone
origin_check "after f4 (killed by the timeout, recovered)"
check "the kernel killed f4's helper after 10 s" sh -c \
	"dmesg | grep -q 'raftblk: $RB_DEV: snapshot helper .* snapshot-create still running after 10 s: killed'"
check "the kernel ran the recovery after f4" sh -c \
	"dmesg | grep -q 'raftblk: $RB_DEV: snapshot f4: snapshot-create was killed: not done here, devices resumed'"
wait "$wpid"
wrc=$?
check "the write issued while the origin was suspended completed: rc $wrc" \
	test "$wrc" = 0
check "and reads back" test "$(timeout 60 dd if="/dev/$RB_DEV" bs=4096 \
	skip=400 count=1 iflag=direct 2>/dev/null | head -c 9)" = during-f4
check "no f4 device, no f4 COW area device" \
	test ! -e "$(snapdev f4)" -a ! -e "$(snapdev f4)-cow"
check "the last entry f4: failed" sh -c \
	"raftctl snapshot list $RB_DEV | grep -q 'last snapshot entry: create f4 at index [0-9]* term [0-9]*: failed$'"
check "a write after f4 completes and reads back" write_reads_back 500 after-f4
check "f1 is still active" snap_state_is f1 active
check "snapshot_helper_timeout back to $to0" sh -c "echo $to0 >$to"
check "no kernel warning, oops or hung task" kernel_clean
diag "$(dmesg | grep -E 'BUG:|WARNING:|Oops|lockdep|blocked for more than|Call Trace')"

# 5. cleanup
check "the snapshot helper is raftctl again" sh -c \
	"printf %s '$helper' >/sys/module/raftblk/parameters/snapshot_helper"
out=$(timeout 120 raftctl snapshot delete "$RB_DEV" f1 2>&1)
check "snapshot delete f1: $out" \
	sh -c "echo '$out' | grep -q '^snapshot f1 deleted at index'"
check "raftctl destroy $RB_DEV" timeout 120 raftctl destroy "$RB_DEV"
check "no $RB_DEV device-mapper device left" \
	sh -c "! dmsetup ls | grep -q '^$RB_DEV-'"
check "rmmod raftblk" rmmod raftblk
finish
