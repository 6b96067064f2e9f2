#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-kernel test of raftblk's TCP transport (tools/testing/wire/ktest):
# the test module, put in /shared by `make -C tools/testing/wire kcheck`,
# runs its tests at load time over loopback and logs TAP lines prefixed
# "rbtt: "; they become this scenario's TAP. Then the module must unload
# cleanly (every transport destroyed, nothing left running).
. /lib.sh

KO=$SHARED/rb_transport_test.ko
check "test module present in /shared" test -f "$KO" || finish
/sbin/ip link set lo up 2>/dev/null || ip link set lo up
check "insmod rb_transport_test.ko" run_timeout 900 insmod "$KO" || finish
dmesg | sed -n 's/.*rbtt: //p' >/tmp/rbtt.log
while IFS= read -r line; do
	case $line in
	"ok "*) tap_ok "${line#ok * - }" ;;
	"not ok "*) tap_fail "${line#not ok * - }" ;;
	"# "*) echo "$line" ;;
	esac
done </tmp/rbtt.log
check "module reported its result" grep -q '^done: ' /tmp/rbtt.log
check "rmmod rb_transport_test" rmmod rb_transport_test
finish
