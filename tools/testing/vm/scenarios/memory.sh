#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Bounded memory on a leader while a follower is away (issue 11 item 7)
# (run --nodes 3 --mem 512 --disk-size 8G --timeout 900 memory): a big
# log ring (512 MiB: 1/16 of the 8 GiB disk) and little RAM.
#
#  1. node1 bootstraps and adds nodes 2 and 3; the budget of the
#     in-memory log is the default, the smaller of 64 MiB and 1/8 of the
#     RAM; `raftctl set --log-memory` changes it online (node 2);
#  2. node1 writes 16 MiB (warm-up), then the host power-cuts node3;
#  3. node1 writes RB_MEM_WRITE_MIB (224) MiB sequentially in 32 MiB
#     steps (O_DIRECT: no page cache), noting MemAvailable after each:
#     every write completes (no EIO), node1 stays leader in the same
#     term, MemAvailable never falls more than the budget plus
#     RB_MEM_MARGIN_MIB (80) below where it was before node3 went away,
#     the log's payload in memory (log_bytes_peak) stays within the
#     budget plus one batch, and the budget forced compactions; the
#     payload page pool handed out more reused pages than fresh ones,
#     and drop_caches (its shrinker) empties it;
#  4. VM 3 boots again on its disk; node1 catches it up by a resync of
#     the extents written (full or delta, whatever its base). An
#     application on node1 writes 4 KiB blocks (O_DIRECT, one at a time)
#     from before the boot until RB_MEM_PACE_SAMPLES (6) samples a second
#     apart were taken during the copy: its writes keep completing (its
#     count grew over the samples, the copy running at the first and the
#     last), the copy is paced while they wait (the dynamic default:
#     `status --json` shows pace >= 8 MiB/s in every sample: the ring
#     has room here), and the copy sent no more between the first and
#     the last sample than its pace allows (the module's byte count
#     against the guest's clock, a chunk of burst and one of debt, and a
#     second of slack: a slow VM only loosens it). Counts of progress,
#     never a speed;
#  5. node 2 restarts its device (destroy, create on the same disk): it
#     loads no more than the budget (before, a follower kept its log
#     until the ring was half full: all 240 MiB);
#  6. the three data areas hash identical (over the first
#     RB_MEM_WRITE_MIB + 32 MiB, all that was ever written) once each
#     applied the final commit index (no write after it: a new leader's
#     empty entry may follow).
#
# Before the budget (main at 484ee79) the leader's MemAvailable fell by
# about 1 MiB per MiB written (344 MiB before, 70 MiB after 288 MiB).
. /lib.sh
. /scenarios/lib-cluster.sh

RB_MEM_WRITE_MIB=${RB_MEM_WRITE_MIB:-224}
RB_MEM_MARGIN_MIB=${RB_MEM_MARGIN_MIB:-80}
# A leader change is what the scenario looks for: a VM starved by a busy
# host (TCG) for a second must not cause one (RB_ROBUST_TIMERS).
RB_MEM_WAIT=${RB_MEM_WAIT:-420}
RB_MEM_PACE_SAMPLES=${RB_MEM_PACE_SAMPLES:-6}
HASH_MIB=$((RB_MEM_WRITE_MIB + 32))
# node 2 waits for the final commit through the writes and the resync
BARRIER_TIMEOUT=900

if [ "$NODES" -ne 3 ]; then
	tap_fail "memory needs exactly 3 nodes (--nodes 3)"
	finish
fi

mem_avail_mib() {
	awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo
}

# rb_counter KEY : a counter of `status --json` (depth 4)
rb_counter() {
	rb_json | sed -n "s/^ *\"$1\": \([0-9]*\).*/\1/p" | head -n 1
}

# sha256 of the first HASH_MIB MiB of the data area (everything the
# scenario wrote; the rest was never written on any node)
data_sha_head() {
	dd if="$RB_DISK" bs=1M iflag=direct,skip_bytes \
		skip="$(rb_sb_u64 88)" count="$HASH_MIB" 2>/dev/null |
		sha256sum | cut -d' ' -f1
}

publish_hash() {
	local fc a h
	fc=$(get final-commit)
	check "node$NODE applied index reaches the final commit $fc" \
		wait_for "$RB_MEM_WAIT" rb_applied_at_least "$fc" ||
		rb_status_diag
	a=$(rb_applied)
	h=$(data_sha_head)
	check "node$NODE data area hashed (applied $a)" test -n "$h"
	put "hash-node$NODE" "$h"
}

# app_writer : 4 KiB O_DIRECT writes, one at a time, 16 per dd, into the
# hashed part of the device, until /tmp/app-stop exists; /tmp/app-count
# holds the number of dd runs that completed
app_writer() {
	local k=0
	rm -f /tmp/app-stop
	echo 0 >/tmp/app-count
	while [ ! -e /tmp/app-stop ]; do
		dd if=/dev/urandom of="/dev/$RB_DEV" bs=4k count=16 \
			seek=$(((k % 4096) * 16)) oflag=direct 2>/dev/null ||
			break
		k=$((k + 1))
		echo "$k" >/tmp/app-count
	done
}

# uptime in centiseconds (the guest's clock, which the module paces by)
uptime_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }

# pace_samples : RB_MEM_PACE_SAMPLES samples a second apart of node1's
# copy to node 3 and of the application's count, while both run
pace_samples() {
	local l i=0 t0 t1 d0 d1 c0 c1 p maxp=0 unpaced="" state
	l=$(rb_resync 3)
	t0=$(uptime_cs)
	d0=$(rb_field "$l" done_bytes)
	c0=$(cat /tmp/app-count)
	state=$(rb_field "$l" state)
	diag "copy to node 3 at the start: $l (app count $c0)"
	check "the copy to node 3 runs at the first sample ($state)" \
		test "$state" = running || return 1
	d1=$d0 c1=$c0
	while [ "$i" -lt "$RB_MEM_PACE_SAMPLES" ]; do
		sleep 1
		l=$(rb_resync 3)
		c1=$(cat /tmp/app-count)
		t1=$(uptime_cs)
		state=$(rb_field "$l" state)
		[ "$state" = running ] || break
		d1=$(rb_field "$l" done_bytes)
		p=$(rb_field "$l" pace)
		diag "copy to node 3: done $d1 pace $p rate $(rb_field "$l" rate) (app count $c1)"
		[ "${p:-0}" -ge $((8 << 20)) ] || unpaced="$unpaced ${p:-none}"
		[ "${p:-0}" -gt "$maxp" ] && maxp=$p
		i=$((i + 1))
	done
	check "the copy to node 3 still runs at the last sample ($i of $RB_MEM_PACE_SAMPLES, $state)" \
		test "$i" = "$RB_MEM_PACE_SAMPLES"
	check "application writes kept completing during the copy ($((16 * (c1 - c0))) writes of 4 KiB)" \
		test "$c1" -gt "$c0"
	check "status --json: the copy paced at >= 8 MiB/s while writes wait (not:${unpaced:- none})" \
		test -z "$unpaced"
	allowed=$((maxp * (t1 - t0 + 100) / 100 + (2 << 20)))
	check "copied $((d1 - d0)) bytes in $((t1 - t0)) cs at pace <= $maxp: <= $allowed" \
		test $((d1 - d0)) -le "$allowed"
}

teardown() {
	check "barrier: replicas compared" barrier "compared" 1 2 3
	check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
	check "rmmod raftblk" rmmod raftblk
	finish
}

# ---- VM 3, second boot: back after the writes ----
if [ "$NODE" = 3 ] && [ "$BOOT" -gt 1 ]; then
	check "insmod raftblk.ko" load_raftblk || finish
	check "raftctl create $RB_DEV as node 3 again (same disk)" \
		rb_create $RB_ROBUST_TIMERS || finish
	diag "$(dmesg | grep 'vdb: node 3:')"
	put node3-back 1
	publish_hash
	teardown
fi

check "insmod raftblk.ko" load_raftblk || finish
check "raftctl create $RB_DEV as node $NODE" \
	rb_create $RB_ROBUST_TIMERS $([ "$NODE" = 1 ] && echo --bootstrap) ||
	finish
check "barrier: all three nodes created" barrier created || finish

case $NODE in
1)
	check "node1 leads its one-node cluster" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180
	ram=$(awk '$1 == "MemTotal:" { print $2 * 1024 }' /proc/meminfo)
	budget=$(rb_get log_memory)
	want=$((ram / 8))
	[ -n "$budget" ] || diag "no log_memory in the status (before the budget)"
	[ "$want" -gt $((64 << 20)) ] && want=$((64 << 20))
	diag "RAM $((ram >> 20)) MiB, log memory budget $budget"
	check "default budget: the smaller of 64 MiB and 1/8 of the RAM" \
		test "${budget:-0}" = "$want"
	put budget "${budget:-$want}"
	check "warm-up: 16 MiB written" run_timeout 120 dd if=/dev/urandom \
		of="/dev/$RB_DEV" bs=1M count=16 oflag=direct
	term=$(rb_term)
	check "host powers off node3" host_request kill 3
	sleep 2
	base=$(mem_avail_mib)
	low=$base
	diag "MemAvailable before: $base MiB"
	off=16
	end=$((16 + RB_MEM_WRITE_MIB))
	ok=1
	while [ "$off" -lt "$end" ]; do
		if ! o=$(run_timeout 300 dd if=/dev/urandom of="/dev/$RB_DEV" \
			bs=1M count=32 seek="$off" oflag=direct 2>&1); then
			tap_fail "32 MiB written at $off MiB" "$o"
			ok=0
			break
		fi
		off=$((off + 32))
		m=$(mem_avail_mib)
		[ "$m" -lt "$low" ] && low=$m
		diag "written $((off - 16)) MiB: MemAvailable $m MiB, log $(rb_counter log_bytes) bytes"
	done
	[ $ok = 1 ] && tap_ok "$RB_MEM_WRITE_MIB MiB written with node3 away, no error"
	now="$(rb_role) $(rb_term)"
	check "node1 is still the leader, term $term ($now)" \
		test "$now" = "leader $term"
	drop=$((base - low))
	bmib=$((${budget:-0} >> 20))
	diag "MemAvailable: $base MiB before, lowest $low MiB (drop $drop MiB), budget $bmib MiB"
	check "MemAvailable fell at most budget + $RB_MEM_MARGIN_MIB MiB ($drop <= $((bmib + RB_MEM_MARGIN_MIB)))" \
		test "$drop" -le $((bmib + RB_MEM_MARGIN_MIB))
	peak=$(rb_counter log_bytes_peak)
	check "log_bytes_peak within the budget + 8 MiB ($peak)" \
		test "${peak:-x}" -le $((${budget:-0} + (8 << 20)))
	mc=$(rb_counter mem_compactions)
	check "the budget forced compactions ($mc)" test "${mc:-0}" -gt 0
	# The payload page pool: the pages compaction freed came back to
	# new entries (reused), and memory pressure takes the pool back
	# (drop_caches runs every shrinker; nothing writes now).
	pr=$(rb_counter pool_reused) pf=$(rb_counter pool_fresh)
	pp=$(rb_counter pool_pages) ps=$(rb_counter pool_shrunk)
	diag "payload pool: reused $pr fresh $pf pages $pp busy $(rb_counter pool_busy) full $(rb_counter pool_full) shrunk $ps"
	check "status --json: payload pages reused ($pr) more than fresh ($pf)" \
		test "${pr:-0}" -gt "${pf:-x}"
	# Lowering payload_pool_mib at runtime trims the pool at once.
	pm=/sys/module/raftblk/parameters/payload_pool_mib
	check "the pool holds more than 1 MiB ($pp pages)" \
		test "${pp:-0}" -gt 256
	echo 1 >$pm
	pp1=$(rb_counter pool_pages) ps1=$(rb_counter pool_shrunk)
	check "payload_pool_mib lowered to 1: the pool trimmed to 256 pages at once ($pp -> $pp1, shrunk $ps -> $ps1)" \
		test "${pp1:-x}" -le 256 -a "${ps1:-0}" -gt "${ps:-0}"
	echo -1 >$pm
	check "payload_pool_mib back to the default ($(cat $pm))" \
		test "$(cat $pm)" = -1
	# (a page or two may leave the pool for a payload meanwhile: the
	# pool is module-wide; so no exact count below)
	pp=$pp1 ps=$ps1
	echo 2 >/proc/sys/vm/drop_caches
	pp2=$(rb_counter pool_pages) ps2=$(rb_counter pool_shrunk)
	check "the shrinker empties the pool ($pp -> $pp2 pages, shrunk $ps -> $ps2)" \
		sh -c "test '${pp2:-x}' = 0 && { test '${pp:-0}' = 0 || test '${ps2:-0}' -gt '${ps:-0}'; }"
	rb_status_diag
	app_writer &
	apid=$!
	check "host boots VM 3 again" host_request boot 3
	get node3-back >/dev/null
	send_mid() {
		awk '$1 == "to" && $2 == 3 && $4 == "running" && $10 > 0 &&
			$10 < $12 { f = 1 } END { exit !f }' \
			"/sys/block/$RB_DEV/raftblk/resync"
	}
	check "a copy to node 3 runs, with the application writing" \
		wait_for "$RB_MEM_WAIT" send_mid || rb_status_diag
	pace_samples
	touch /tmp/app-stop
	wait "$apid"
	done3() { dmesg | grep -q 'resync of node 3 done'; }
	check "node1 caught node 3 up by a resync" \
		wait_for "$RB_MEM_WAIT" done3 || rb_status_diag
	diag "$(dmesg | grep -E 'resync' | tail -n 4)"
	put node3-synced 1
	get node2-back >/dev/null
	put final-commit "$(rb_commit)"
	publish_hash
	h1=$(get hash-node1)
	h2=$(get hash-node2)
	h3=$(get hash-node3)
	diag "node1: $h1" "node2: $h2" "node3: $h3"
	check "data areas of nodes 1, 2 and 3 identical" \
		sh -c "[ '$h1' = '$h2' ] && [ '$h1' = '$h3' ]"
	teardown
	;;
2)
	check "node2 is a voter" rb_wait_joined 180 || rb_status_diag
	check "set --log-memory 48M (online)" \
		raftctl set "$RB_DEV" --log-memory 48M
	check "status --json: log_memory 50331648" \
		test "$(rb_get log_memory)" = 50331648
	check "raftctl status shows the log memory" \
		sh -c "raftctl status $RB_DEV | grep -q 'log memory .* of 48.0 MiB'"
	check "set --log-memory 64M" raftctl set "$RB_DEV" --log-memory 64M
	check "set --log-memory back to the default" \
		raftctl set "$RB_DEV" --log-memory "$(get budget)"
	get node3-synced >/dev/null
	check "node2 restarts its device: destroy" raftctl destroy "$RB_DEV"
	check "create again on the same disk" rb_create $RB_ROBUST_TIMERS
	diag "$(dmesg | grep 'vdb: node 2:' | tail -n 1)"
	budget=$(rb_get log_memory)
	lb=$(rb_counter log_bytes)
	check "the restart loaded at most the budget + 8 MiB ($lb of $budget)" \
		test "${lb:-x}" -le $((${budget:-0} + (8 << 20)))
	put node2-back 1
	publish_hash
	teardown
	;;
3)
	check "node3 is a voter" rb_wait_joined 180 || rb_status_diag
	# powered off by node1, then booted again
	sleep 900
	tap_fail "node3 was powered off by the host"
	finish
	;;
esac
