#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Diagnostic (not in make check): a three-node cluster, 1 MiB O_DIRECT
# writes on the leader, timed one by one, with the status of every peer
# sampled while they run. For chasing sequential-write throughput.
#
# vm-needs: bench
. /lib.sh
. /scenarios/lib-cluster.sh

[ "$NODE" -le 3 ] || finish
thread_ticks() { # "comm utime stime" of every thread
	for t in /proc/[0-9]*; do
		echo "$(cat $t/comm 2>/dev/null) $(cut -d' ' -f14,15 $t/stat 2>/dev/null)"
	done
}
prof_start() {
	read -r _ u0 n0 s0 i0 w0 q0 sq0 _ < /proc/stat
	thread_ticks >/tmp/thr0
}
prof_stop() {
	read -r _ u1 n1 s1 i1 w1 q1 sq1 _ < /proc/stat
	diag "cpu ticks: user $((u1-u0)) sys $((s1-s0)) idle $((i1-i0)) iowait $((w1-w0)) irq $((q1-q0)) softirq $((sq1-sq0))"
	thread_ticks >/tmp/thr1
	awk 'NR==FNR { a[$1] += $2 + $3; next } { b[$1] += $2 + $3 } END { for (k in b) if (b[k] - a[k] > 0) print b[k] - a[k], k }' /tmp/thr0 /tmp/thr1 | sort -rn | head -8 | sed 's/^/# thread ticks: /'
	raftctl status raftblk0 --json | grep -E 'dropped|bad_frames|reconnect|bytes_|frames' | tr -d ' \n' | sed 's/^/# counters: /'; echo
}
check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create as node $NODE" \
	rb_create $([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier perf-created 1 2 3 || finish
if [ "$NODE" = 1 ]; then
	check "node1 leads" wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180 || finish
	diag "crc32c: $(grep -A2 '^name *: crc32c$' /proc/crypto | grep driver | tr -s ' ' | tr '\n' ' ')"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		s=$(cat /proc/uptime | cut -d' ' -f1)
		dd if=/dev/urandom of=/dev/raftblk0 bs=1M count=1 seek=$i oflag=direct 2>/dev/null
		e=$(cat /proc/uptime | cut -d' ' -f1)
		diag "dd 1M #$i: $s -> $e"
	done
	rb_status_diag
	s=$(cat /proc/uptime | cut -d' ' -f1)
	dd if=/dev/zero of=/dev/raftblk0 bs=1M count=32 oflag=direct 2>&1 | tail -1 | sed 's/^/# /'
	e=$(cat /proc/uptime | cut -d' ' -f1)
	diag "dd 32x1M: $s -> $e"
	rb_status_diag
	put prof-start 1
	prof_start
	timeout 40 fio --name=seq --filename=/dev/raftblk0 --rw=write --bs=1M --iodepth=8 \
		--ioengine=libaio --direct=1 --runtime=15 --time_based --size=256M 2>&1 |
		grep -E 'WRITE|lat.*avg|clat' | sed 's/^/# /'
	prof_stop
	put prof-stop 1
	rb_status_diag
	put perf-done 1
else
	check "node$NODE was added and promoted to voter" rb_wait_joined 180
	LIB_WAIT_STEP=1 get prof-start >/dev/null
	prof_start
	LIB_WAIT_STEP=2 get prof-stop >/dev/null
	prof_stop
	get perf-done >/dev/null
fi
diag "$(dmesg | grep -i raftblk | tail -20)"
check "barrier: done" barrier perf-end 1 2 3
finish
