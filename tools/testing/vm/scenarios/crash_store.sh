#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Power-cut test of raftblk's log store (tools/testing/formats/ktest,
# store_crash.c), 2 VMs: node 1 appends to its log on /dev/vdb from the
# test module (mode=write), logging "rbst: acked INDEX TERM" after each
# durable append (and "rbst: truncate INDEX TERM" before replacing a
# suffix), copied to /shared as it happens; node 2 waits for some
# progress, has the host SIGKILL node 1 at a random moment and boot it
# again. On its second boot node 1 checks (mode=verify) that the log it
# recovers holds everything acknowledged before the cut, with the right
# data, and takes new appends. Run by `make -C tools/testing/formats
# kcrash`, which puts the module in /shared.
. /lib.sh

KO=$SHARED/rb_store_test.ko
ACKS=$SHARED/node1-kmsg

if [ "$NODE" = 2 ]; then
	check "node1 started writing" \
		wait_for 300 grep -q 'rbst: acked [0-9]* ' "$ACKS" || finish
	# let it run a random while: the cut lands anywhere in an append
	check "node1 acknowledged 150 appends (the ring wraps)" \
		wait_for 300 sh -c "grep 'rbst: acked' '$ACKS' | sed -n 150p | grep -q ." ||
		finish
	sleep $((RANDOM % 4)).$((RANDOM % 10))
	check "host power-cuts node1" host_request kill 1
	check "host boots node1 again" host_request boot 1
	check "node1 verified its log" get crash-verified >/dev/null
	finish
fi

if [ "$BOOT" = 1 ]; then
	check "test module present in /shared" test -f "$KO" || finish
	cat /dev/kmsg >"$ACKS" &
	check "insmod rb_store_test.ko mode=write" \
		insmod "$KO" disk=/dev/vdb mode=write || finish
	# node 2 has the host kill this VM; never returns normally
	sleep 600
	tap_fail "still running 600 s after starting to write"
	finish
fi

# The last promise: "acked I T" after an append, or "truncate I T" before
# one that replaces a suffix (then only the log up to I is promised).
last=$(grep -oE 'rbst: (acked|truncate) [0-9]+ [0-9]+' "$ACKS" | tail -n 1)
diag "last promise before the cut: ${last#rbst: }"
diag "$(grep -c 'rbst: acked' "$ACKS") appends acknowledged"
idx=$(echo "$last" | cut -d' ' -f3)
term=$(echo "$last" | cut -d' ' -f4)
check "an acknowledgement survived in /shared" test -n "$idx" || finish
check "insmod rb_store_test.ko mode=verify" \
	insmod "$KO" disk=/dev/vdb mode=verify min_index="$idx" min_term="$term" ||
	finish
dmesg | sed -n 's/.*rbst: //p' >/tmp/rbst.log
dmesg | grep -E '(raftblk|rb_store_test): vdb' | sed 's/^/# /'
while IFS= read -r line; do
	case $line in
	"ok "*) tap_ok "${line#ok * - }" ;;
	"not ok "*) tap_fail "${line#not ok * - }" ;;
	esac
done </tmp/rbst.log
check "verification reported its result" grep -q '^done: ' /tmp/rbst.log
check "rmmod rb_store_test" rmmod rb_store_test
put crash-verified 1
finish
