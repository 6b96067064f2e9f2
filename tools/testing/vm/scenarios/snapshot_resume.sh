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
#  3. f1 deleted; destroy leaves no device-mapper device of raftblk0.
#
# Seen failing with the old helper (one resume, its refusal only
# logged): f1 "taken" with the origin left suspended, every write of the
# node waiting on it.
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

# 3. cleanup
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
