#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Crash consistency of one raftblk node (make check suite vm-crash:
# run --nodes 2 crash): a one-node cluster on node1 (bootstrapped, so a
# write completes once it is durable in the local log and applied) is
# power-cut by the host in the middle of heavy O_DIRECT writes, then
# restarts on the same disk. node2 only asks the host for the power-cut
# and the restart (a node that asks for its own power-cut is gone).
#
#  boot 1: a writer puts numbered 4 KiB blocks (block N holds
#          "raftblk crash block N", padded) at block N of the device, one
#          O_DIRECT write at a time, and records N in /shared/crash/last
#          after each write completed; two more writers keep the log
#          busy with 1 MiB O_DIRECT writes elsewhere (records spanning
#          several bios); after CRASH_WRITE_SECS (default 8) node2 has
#          the host cut it;
#  boot 2: `raftctl create` without --bootstrap recovers (the kernel log
#          says where the log ends and why), the node leads again, every
#          block 1..last is intact, block last+1 (the write in flight) is
#          either untouched (zero) or complete, and the device takes and
#          returns a new write; then, device destroyed, a torn header is
#          put at the head of the log (see below) and recovery must stop
#          there ("ends: record: bad checksum"), keeping the whole log
#          before it and the data.
. /lib.sh
. /scenarios/lib-cluster.sh

CR=$SHARED/crash
CRASH_WRITE_SECS=${CRASH_WRITE_SECS:-8}
# Numbered blocks live in the first 64 MiB, the other writers above it.
CRASH_MAX_BLOCKS=16384
mkdir -p "$CR"

block() { # N -> the 4096 bytes of numbered block N on stdout
	printf '%-4095s\n' "raftblk crash block $1"
}

[ "$NODES" -ge 2 ] || { tap_fail "crash needs 2 nodes (--nodes 2)"; finish; }
if [ "$NODE" = 2 ]; then
	get crash-cut-now >/dev/null
	check "host power-cuts node1 during the writes" host_request kill 1
	check "host boots node1 again" host_request boot 1
	check "barrier: node1 checked its disk after the restart" \
		barrier crash-checked 1 2
	finish
fi
[ "$NODE" = 1 ] || finish

if [ "$BOOT" = 1 ]; then
	check "insmod raftblk.ko" load_raftblk || finish
	# The log's record block (on-disk-format.rst, "Record block"): by
	# default the disk's physical block (512 on virtio); the parameter
	# takes 0 or a power of two from 512 to 4096 and nothing else.
	p=/sys/module/raftblk/parameters/log_record_block
	check "log_record_block is 0 (the disk's physical block) by default" \
		[ "$(cat $p)" = 0 ]
	check "log_record_block refuses 768, 256 and 8192 and keeps its value" \
		sh -c "! echo 768 >$p 2>/dev/null && ! echo 256 >$p 2>/dev/null &&
		       ! echo 8192 >$p 2>/dev/null && [ \$(cat $p) = 0 ]"
	dmesg -c >/dev/null
	check "raftctl create --bootstrap" rb_create --bootstrap || finish
	check "format chose 512-byte record blocks (virtio's physical block)" \
		sh -c "dmesg | grep -q 'formatted for node $NODE: .*(record block 512)'"
	check "node$NODE leads its one-node cluster" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	echo 0 >"$CR/last"
	dd if=/dev/urandom of=/tmp/rnd bs=1M count=1 2>/dev/null
	for w in 1 2; do
		(
			j=0
			while :; do
				dd if=/tmp/rnd of="/dev/$RB_DEV" bs=1M \
					seek=$((64 + w * 256 + j % 256)) \
					oflag=direct 2>/dev/null
				j=$((j + 1))
			done
		) &
	done
	(
		n=1
		while [ $n -lt $CRASH_MAX_BLOCKS ]; do
			block $n >/tmp/blk
			dd if=/tmp/blk of="/dev/$RB_DEV" bs=4096 seek=$n \
				oflag=direct 2>/dev/null || break
			echo $n >"$CR/last.tmp" && mv "$CR/last.tmp" "$CR/last"
			n=$((n + 1))
		done
		echo "numbered writer stopped at $n" >"$CR/writer-stopped"
	) &
	sleep "$CRASH_WRITE_SECS"
	check "numbered writes completed before the cut" \
		test "$(cat "$CR/last")" -gt 0
	check "writer still running at the cut" test ! -e "$CR/writer-stopped"
	rb_status_diag
	diag "block $(cat "$CR/last") completed when asking for the power-cut"
	put crash-cut-now 1
	sleep 120
	tap_fail "node$NODE was power-cut by the host"
	finish
fi

# ---- after the power-cut ----
last=$(cat "$CR/last")
diag "last completed numbered write before the cut: block $last"
check "insmod raftblk.ko" load_raftblk || finish
if ! check "raftctl create on the same disk (recovery)" rb_create; then
	diag "$(dmesg | grep raftblk | tail -n 20)"
	finish
fi
rec=$(dmesg | grep -m1 "raftblk: .*: node $NODE: term .*ends: ")
diag "recovery: ${rec#*] }"
check "the kernel log says where the recovered log ends and why" \
	test -n "$rec"
case $rec in
*torn*|*checksum*) diag "a torn record at the end of the log was dropped" ;;
*) diag "the cut left no torn record (the log ends cleanly)" ;;
esac
echo "${rec#*] }" >"$RESULTS/recovery.txt"
check "node$NODE leads again" wait_for "$RB_ELECTION_WAIT" rb_is leader ||
	finish
rb_status_diag

# Blocks 1..last as they must be, read back in one go.
awk -v n="$last" 'BEGIN { for (i = 1; i <= n; i++)
	printf "%-4095s\n", "raftblk crash block " i }' >/tmp/expect
dd if="/dev/$RB_DEV" of=/tmp/got bs=4096 skip=1 count="$last" iflag=direct \
	2>/dev/null
if cmp /tmp/expect /tmp/got >/tmp/cmp.out 2>&1; then
	tap_ok "all $last numbered blocks completed before the cut are intact"
else
	tap_fail "all $last numbered blocks completed before the cut are intact" \
		"$(cat /tmp/cmp.out)" \
		"$(od -A d -c /tmp/got | grep -m3 -v 'raftblk crash')"
fi
dd if="/dev/$RB_DEV" of=/tmp/inflight bs=4096 skip=$((last + 1)) count=1 \
	iflag=direct 2>/dev/null
block $((last + 1)) >/tmp/want
dd if=/dev/zero of=/tmp/zero bs=4096 count=1 2>/dev/null
if cmp -s /tmp/inflight /tmp/want; then
	tap_ok "the write in flight at the cut (block $((last + 1))) is complete"
elif cmp -s /tmp/inflight /tmp/zero; then
	tap_ok "the write in flight at the cut (block $((last + 1))) is absent"
else
	tap_fail "the write in flight at the cut is all or nothing" \
		"$(od -A d -c /tmp/inflight | head -n 4)"
fi
check "a new write after recovery reads back" sh -c \
	"dd if=/tmp/want of=/dev/$RB_DEV bs=4096 seek=$((CRASH_MAX_BLOCKS + 1)) oflag=direct 2>/dev/null &&
	 dd if=/dev/$RB_DEV bs=4096 skip=$((CRASH_MAX_BLOCKS + 1)) count=1 iflag=direct 2>/dev/null | cmp - /tmp/want"
check "raftctl destroy" raftctl destroy "$RB_DEV"

# ---- a torn record at the head of the log, made on purpose ----
# A power-cut of QEMU rarely leaves a half-written record (in-flight
# writes are dropped whole), so the scenario makes one: it walks the log
# ring as recovery does (Documentation/on-disk-format.rst: magic, lap,
# next index, wrap markers) to its head and writes there a header block
# that has the record magic but not the rest (a copy of the last record's
# header with the index bumped, or zeroes when the log was compacted
# empty): its header checksum fails, as for a header torn by a cut.
# Recovery must stop there, say why, and keep everything before it.
u64() { od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
u32() { od -A n -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
u8() { od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
log_walk() { # sets head_off (disk offset of the head), last_hdr, last_idx, rblk
	local sb=0 pos want lap rec_len typ idx n=0 off
	head_off=""
	dd if="$RB_DISK" of=/tmp/sb bs=4096 count=2 iflag=direct 2>/dev/null ||
		return 1
	[ "$(u64 /tmp/sb 4112)" -gt "$(u64 /tmp/sb 16)" ] && sb=4096
	# the record block: superblock version 2 says it at 1456, 1 is 4 KiB
	rblk=4096
	[ "$(u32 /tmp/sb $((sb + 8)))" = 2 ] && rblk=$(u32 /tmp/sb $((sb + 1456)))
	log_off=$(u64 /tmp/sb $((sb + 72)))
	log_size=$(u64 /tmp/sb $((sb + 80)))
	pos=$(u64 /tmp/sb $((sb + 128)))
	want=$(($(u64 /tmp/sb $((sb + 136))) + 1))
	last_idx=$((want - 1))
	last_hdr=""
	while [ $n -lt 100000 ]; do
		n=$((n + 1))
		off=$((log_off + pos % log_size))
		dd if="$RB_DISK" of=/tmp/hdr bs=512 skip=$((off / 512)) \
			count=$((rblk / 512)) iflag=direct 2>/dev/null || return 1
		[ "$(head -c 8 /tmp/hdr)" = "$(printf 'RAFTREC\001')" ] || break
		lap=$(u64 /tmp/hdr 32)
		[ "$lap" = $((pos / log_size)) ] || break
		typ=$(u8 /tmp/hdr 64)
		if [ "$typ" = 128 ]; then	# wrap marker: next lap
			pos=$(((pos / log_size + 1) * log_size))
			continue
		fi
		idx=$(u64 /tmp/hdr 40)
		[ "$idx" = "$want" ] || break
		rec_len=$(u32 /tmp/hdr 8)
		cp /tmp/hdr /tmp/last_hdr
		last_hdr=$off
		last_idx=$idx
		want=$((want + 1))
		pos=$((pos + rec_len))
	done
	head_off=$off
}
log_walk >/tmp/walk.out 2>&1	# not under check: it sets variables
if check "walk the log ring to its head" \
	sh -c "[ -n '${head_off:-}' ] || { cat /tmp/walk.out; exit 1; }"; then
	diag "log: record block $rblk, last index $last_idx (record at disk offset ${last_hdr:-none: compacted}), head at $head_off"
	if [ -n "$last_hdr" ]; then
		# bump the low byte of the index (offset 40)
		b=$(u8 /tmp/last_hdr 40)
		{
			head -c 40 /tmp/last_hdr
			printf "\\$(printf '%03o' $(((b + 1) % 256)))"
			tail -c +42 /tmp/last_hdr
		} >/tmp/torn_hdr
	else
		{
			printf 'RAFTREC\001'
			dd if=/dev/zero bs=$((rblk - 8)) count=1 2>/dev/null
		} >/tmp/torn_hdr
	fi
	check "torn header written at the head of the log" sh -c \
		"[ \$(wc -c </tmp/torn_hdr) = $rblk ] &&
		 dd if=/tmp/torn_hdr of=$RB_DISK bs=$rblk seek=$((head_off / rblk)) \
			count=1 oflag=direct conv=notrunc 2>/dev/null"
	dmesg -c >/dev/null
	check "raftctl create after the torn header (recovery)" rb_create
	rec2=$(dmesg | grep -m1 "raftblk: .*: node $NODE: term .*ends: ")
	diag "recovery: ${rec2#*] }"
	echo "torn header injected: ${rec2#*] }" >>"$RESULTS/recovery.txt"
	check "recovery stops at the torn header and says so" sh -c \
		"echo '$rec2' | grep -q 'ends: record: bad checksum'"
	[ -z "$last_hdr" ] ||
		check "recovery keeps the log up to index $last_idx" sh -c \
			"echo '$rec2' | grep -q '\.\.$last_idx ('"
	check "node$NODE leads again after the torn-header recovery" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader
	check "numbered blocks still intact" sh -c \
		"dd if=/dev/$RB_DEV bs=4096 skip=1 count=$last iflag=direct 2>/dev/null |
		 cmp - /tmp/expect"
	check "raftctl destroy" raftctl destroy "$RB_DEV"
fi
check "rmmod raftblk" rmmod raftblk
check "barrier: checked" barrier crash-checked 1 2
finish
