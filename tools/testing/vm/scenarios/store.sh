#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-kernel test of raftblk's log store (tools/testing/formats/ktest):
# the test module, put in /shared by `make -C tools/testing/formats
# kcheck`, formats the scratch disk /dev/vda (through a dm device, rbst)
# and runs its tests at load
# time, logging TAP lines prefixed "rbst: "; they become this scenario's
# TAP. Then the module must unload cleanly. Twice: with the record block
# format picks for the disk (512 bytes: virtio's physical block), then
# with log_record_block=4096 (superblock version 1, what modules before
# version 2 of the format read and wrote).
. /lib.sh

KO=$SHARED/rb_store_test.ko
check "test module present in /shared" test -f "$KO" || finish
# The scratch disk through a device-mapper device (linear): the tests of a
# failing disk swap its table to make a region fail (dmsetup).
sz=$(cat /sys/block/vda/size)
check "dm device rbst over /dev/vda" \
	dmsetup create rbst --table "0 $sz linear /dev/vda 0" || finish
dm=/dev/dm-$(dmsetup info -c --noheadings -o minor rbst)
for rblk in 512 4096; do
	param=
	[ $rblk = 4096 ] && param=log_record_block=4096
	dmesg -c >/dev/null	# this pass's lines only
	check "insmod rb_store_test.ko $param" run_timeout 900 insmod "$KO" \
		disk="$dm" dm=rbst dm_under=/dev/vda $param || finish
	dmesg | sed -n 's/.*rbst: //p' >/tmp/rbst.log
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_ok "[$rblk] ${line#ok * - }" ;;
		"not ok "*) tap_fail "[$rblk] ${line#not ok * - }" ;;
		"# "*) echo "$line" ;;
		esac
	done </tmp/rbst.log
	check "[$rblk] module reported its result" grep -q '^done: ' /tmp/rbst.log
	check "[$rblk] every format chose a $rblk-byte record block" sh -c \
		"dmesg | grep -q 'formatted for node' &&
		 ! dmesg | grep 'formatted for node' | grep -vq '(record block $rblk)'"
	# the superblock's version: 2 with a record block field, else 1
	dd if=/dev/vda of=/tmp/sb bs=4096 count=1 iflag=direct 2>/dev/null
	v=$(od -A n -t u4 -j 8 -N 4 /tmp/sb | tr -d ' ')
	f=$(od -A n -t u4 -j 1456 -N 4 /tmp/sb | tr -d ' ')
	want="2 $rblk"
	[ $rblk = 4096 ] && want="1 0"
	check "[$rblk] superblock version and record block field: $v $f" \
		[ "$v $f" = "$want" ]
	check "[$rblk] rmmod rb_store_test" rmmod rb_store_test
done
check "remove the dm device" dmsetup remove rbst
finish
