#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, run by tools/testing/vm/check-harness with --nodes 3:
# lib.sh's helpers must be able to fail, and each node then misbehaves in
# one way the host must catch:
#   node1  a "WARNING:" line in the kernel log, scenario rc 0
#   node2  scenario exit code 3, clean console (with the debug kernel's
#          "RCU lockdep checking is enabled." banner in it)
#   node3  kernel panic (sysrq crash), no end marker
# Not a test of raftblk; its run is expected to fail in exactly these ways.
. /lib.sh

# Run a helper in a subshell; succeed when its TAP line is "not ok".
reports_failure() {
	(_tap_n=0; "$@") 2>/dev/null | grep -q '^not ok 1 - '
}
reports_success() {
	(_tap_n=0; "$@") 2>/dev/null | grep -q '^ok 1 - '
}

check "check passes a command that succeeds" reports_success check x true
check "check fails a command that fails" reports_failure check x false
check "expect_fail accepts the exact code and line" reports_success \
	expect_fail 3 "boom" sh -c 'echo boom >&2; exit 3'
check "expect_fail rejects another exit code" reports_failure \
	expect_fail 2 "boom" sh -c 'echo boom >&2; exit 3'
check "expect_fail rejects exit code 0" reports_failure \
	expect_fail 3 "boom" sh -c 'echo boom >&2'
check "expect_fail rejects another message" reports_failure \
	expect_fail 3 "boom" sh -c 'echo "boom!" >&2; exit 3'
check "expect_fail wants the whole line" reports_failure \
	expect_fail 3 "boo" sh -c 'echo boom >&2; exit 3'
check "wait_for gives up after its timeout" sh -c '! wait_for 1 false'
check "wait_for returns once the command succeeds" wait_for 5 true
check "barrier times out on a node that never comes" \
	sh -c '! BARRIER_TIMEOUT=1 barrier never-reached 1 2 3 99'
check "host answers an unknown request with an error" \
	sh -c '! host_request frobnicate 1'
check "host refuses to boot a running node" sh -c '! host_request boot 1'

case $NODE in
1)	echo "WARNING: raftblk-vm harness self-test, not a real warning" >/dev/kmsg ;;
2)	# The debug kernel's boot banner is not a complaint (clean console).
	printf 'rcu: \tRCU lockdep checking is enabled.\n' >/dev/kmsg
	echo "# exiting with 3 on purpose"
	exit 3 ;;
3)	sync
	echo c >/proc/sysrq-trigger ;;
esac
finish
