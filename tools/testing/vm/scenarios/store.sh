#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-kernel test of raftblk's log store (tools/testing/formats/ktest):
# the test module, put in /shared by `make -C tools/testing/formats
# kcheck`, formats the scratch disk /dev/vda (through a dm device, rbst)
# and runs its tests at load
# time, logging TAP lines prefixed "rbst: "; they become this scenario's
# TAP. Then the module must unload cleanly.
. /lib.sh

KO=$SHARED/rb_store_test.ko
check "test module present in /shared" test -f "$KO" || finish
# The scratch disk through a device-mapper device (linear): the tests of a
# failing disk swap its table to make a region fail (dmsetup).
sz=$(cat /sys/block/vda/size)
check "dm device rbst over /dev/vda" \
	dmsetup create rbst --table "0 $sz linear /dev/vda 0" || finish
dm=/dev/dm-$(dmsetup info -c --noheadings -o minor rbst)
check "insmod rb_store_test.ko" run_timeout 900 insmod "$KO" disk="$dm" \
	dm=rbst dm_under=/dev/vda || finish
dmesg | sed -n 's/.*rbst: //p' >/tmp/rbst.log
while IFS= read -r line; do
	case $line in
	"ok "*) tap_ok "${line#ok * - }" ;;
	"not ok "*) tap_fail "${line#not ok * - }" ;;
	"# "*) echo "$line" ;;
	esac
done </tmp/rbst.log
check "module reported its result" grep -q '^done: ' /tmp/rbst.log
check "rmmod rb_store_test" rmmod rb_store_test
check "remove the dm device" dmsetup remove rbst
finish
