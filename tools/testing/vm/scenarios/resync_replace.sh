#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Replacing a dead node in a cluster that holds data: it catches up by a
# full copy of the data area (resync) while files keep being written
# (run --nodes 3 --disk-size 256M --timeout 900 resync_replace):
#
#  1. node1 bootstraps, adds nodes 2 and 3; mkfs.ext4 and files totalling
#     at least four times the log ring (16 MiB on a 256 MiB disk), so the
#     leader compacted its log well past index 1; sync; their checksums
#     go to /shared;
#  2. node3 is powered off and removed (peer remove); node1 keeps
#     writing files;
#  3. VM 3 boots again with a blank disk (zeroed) as the new node 4;
#     node1 sets a resync rate of 2 MiB/s (raftctl set --resync-rate 2M:
#     status and sysfs report it back) and adds node 4: it is behind the
#     compaction point and gets a full copy. While it runs, status --json
#     on node1 shows the copy to node 4 (send, full, running, done <=
#     total) with a measured rate within 3x the set one over eight
#     samples, and no more bytes copied between the first and the last
#     sample than the rate allows (the module's byte count against an
#     upper bound of the time between them: a slow VM only loosens it);
#     node 4's status shows the copy it receives (receive, full); then
#     VM 3 is power-cut mid-copy and booted again: node 4 comes back on
#     its disk, knows its data area is incomplete (kernel log), and the
#     leader starts exactly one full copy to it after the cut (the user's
#     "a follower reboots during its copy"); then
#     node1 sets the rate back to 0 (dynamic) and the copy ends
#     (node1's kernel log: "resync of node 4 done: full"). `raftctl
#     events` on node1 carried the copy's progress: running lines with
#     growing byte counts, then finished. Node 4 replays the log from the
#     copy's index and is promoted to voter, all while the writer goes
#     on;
#  4. the writer stops, sync, the list of synced files goes to /shared,
#     then node1 is power-cut while writing more;
#  5. nodes 2 and 4 elect a leader; node 2 hands it to node 4 if needed:
#     on node 4, the new node: mount (journal replay), umount, fsck -n
#     clean, every synced file intact, a file written;
#  6. nodes 2 and 4: data areas (sha256) identical at one applied index.
#
# Settings, as NAME=VALUE arguments of the scenario or in the environment:
# RB_JOIN_WAIT (seconds for node 4 to become a voter, 420), RB_SECRET=1
# (every node, node 4 too, gets the same shared secret, a key file made
# by node1: peers authenticate; make demo does this, default 0).
. /lib.sh
. /scenarios/lib-cluster.sh

for a in "$@"; do
	case $a in
	RB_JOIN_WAIT=[0-9]*|RB_SECRET=[01]) export "$a" ;;
	*) tap_fail "resync_replace: unknown argument '$a'"; finish ;;
	esac
done

RS=$SHARED/resync
RB_JOIN_WAIT=${RB_JOIN_WAIT:-420}
mkdir -p "$RS"

if [ "$NODES" -ne 3 ]; then
	tap_fail "resync_replace needs exactly 3 nodes (--nodes 3)"
	finish
fi

# Files of 4 MiB with known checksums, FROM..TO, into /mnt.
write_files() { # prefix from to
	local i=$2
	while [ "$i" -le "$3" ]; do
		dd if=/dev/urandom of="/mnt/$1$i" bs=1M count=4 2>/dev/null ||
			return 1
		i=$((i + 1))
	done
}

# Keep writing: 8 files of 1 MiB rewritten in turn, one a second, until
# killed (the file system never fills up).
writer() { # prefix
	local k=0
	while :; do
		dd if=/dev/urandom of="/mnt/$1$((k % 8))" bs=256k count=4 \
			2>/dev/null
		k=$((k + 1))
		sleep 1
	done
}

publish_hash() {
	fc=$(get final-commit)
	check "node$1 applied index reaches the final commit $fc" \
		wait_for 240 rb_applied_is "$fc" || rb_status_diag
	a=$(rb_applied)
	h=$(rb_data_sha)
	check "node$1 data area hashed at a stable applied index ($a)" \
		sh -c "[ -n '$h' ] && [ '$a' = '$(rb_applied)' ]"
	put "hash-node$1" "$a $h"
}

teardown() {
	check "barrier: replicas compared" barrier "compared" 2 3
	check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
	check "rmmod raftblk" rmmod raftblk
	finish
}

leader_is() { [ "$(rb_leader)" = "$1" ]; }

# ---- VM 3, second boot: the replacement node 4 on a blank disk; third
# boot: node 4 again on that disk, power-cut in the middle of its copy ----
if [ "$NODE" = 3 ] && [ "$BOOT" -gt 1 ]; then
	if [ "$BOOT" = 2 ]; then
		mib=$(($(cat "/sys/block/${RB_DISK#/dev/}/size") / 2048))
		check "blank disk (all $mib MiB zeroed)" dd if=/dev/zero \
			of="$RB_DISK" bs=1M count="$mib" oflag=direct 2>/dev/null
	fi
	check "insmod raftblk.ko" load_raftblk || finish
	[ "${RB_SECRET:-0}" = 1 ] && rb_secret_init
	# shellcheck disable=SC2046
	check "raftctl create $RB_DEV as the new node 4 $(rb_secret_args)" \
		raftctl create "$RB_DEV" --disk "$RB_DISK" --node-id 4 \
		--listen "$(rb_listen 3)" $RB_ROBUST_TIMERS $(rb_secret_args) ||
		finish
	rb_secret_check
fi
if [ "$NODE" = 3 ] && [ "$BOOT" = 2 ]; then
	put node4-ready 1
	recv_running() { [ "$(rb_resync_field 1 state)" = running ]; }
	check "status on node 4: a copy from node 1 is running" \
		wait_for 180 recv_running || rb_status_diag
	l=$(rb_resync 1)
	diag "copy from node 1: $l"
	recv_ok() {
		[ "$(rb_field "$l" direction)" = receive ] &&
		[ "$(rb_field "$l" kind)" = full ] &&
		[ "$(rb_field "$l" done_bytes)" -le \
			"$(rb_field "$l" total_bytes)" ]
	}
	check "status on node 4: it receives a full copy, done <= total" \
		recv_ok
	put node4-saw-copy 1
	# power-cut by node1 in the middle of the copy, then booted again
	sleep 600
	tap_fail "node 4 was power-cut by the host"
	finish
fi
if [ "$NODE" = 3 ] && [ "$BOOT" -gt 2 ]; then
	incomplete() {
		dmesg | grep -q 'the data area is incomplete (resyncing mark)'
	}
	check "node 4, power-cut mid-copy, knows its data area is incomplete" \
		wait_for 60 incomplete
	put node4-back 1
	copied() { dmesg | grep -q 'resync from node 1 done: full'; }
	check "node 4 installed a full copy of the data area" \
		wait_for "$RB_JOIN_WAIT" copied
	check "node 4 caught up and is a voter" \
		wait_for "$RB_JOIN_WAIT" rb_self_voter || rb_status_diag
	diag "$(dmesg | grep -E 'resync|resyncing' | head -n 10)"
	get cut >/dev/null
	check "node 4 is made leader" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || rb_status_diag
	check "mount on node 4 (journal replay)" mount "/dev/$RB_DEV" /mnt
	check "umount" umount /mnt
	check "fsck.ext4 -n is clean" fsck.ext4 -n -f "/dev/$RB_DEV"
	check "mount again" mount "/dev/$RB_DEV" /mnt
	check "every file synced before the cut is intact" \
		sh -c "cd /mnt && sha256sum -c $RS/files.sha256 >/dev/null"
	check "a file written on node 4" sh -c \
		"dd if=/dev/urandom of=/mnt/after bs=64k count=4 2>/dev/null && sync"
	check "umount" umount /mnt
	put final-commit "$(rb_commit)"
	publish_hash 4
	h2=$(get hash-node2)
	h4=$(get hash-node4)
	diag "node2: $h2" "node4: $h4"
	check "data areas of nodes 2 and 4 identical at the same applied index" \
		test "$h2" = "$h4"
	teardown
fi

check "insmod raftblk.ko" load_raftblk || finish
[ "${RB_SECRET:-0}" = 1 ] && rb_secret_init
check "raftctl create $RB_DEV as node $NODE $(rb_secret_args)" \
	rb_create $RB_ROBUST_TIMERS $([ "$NODE" = 1 ] && echo --bootstrap) ||
	finish
rb_secret_check
check "barrier: all three nodes created" barrier created || finish

case $NODE in
1)
	check "node1 leads its one-node cluster" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	check "peer add 2" rb_peer_add 2
	check "peer add 3" rb_peer_add 3
	check "nodes 2 and 3 are voters" rb_wait_joined 180
	check "mkfs.ext4" mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1 \
		"/dev/$RB_DEV" || finish
	check "mount" mount "/dev/$RB_DEV" /mnt || finish
	check "16 files of 4 MiB (four log rings)" write_files f 1 16
	check "sync" sync
	check "the leader compacted its log (compaction point $(rb_sb_u64 136))" \
		test "$(rb_sb_u64 136)" -gt 0
	check "host powers off node3" host_request kill 3
	check "peer remove 3" wait_for 60 raftctl peer remove "$RB_DEV" 3
	writer g &
	wpid=$!
	raftctl events "$RB_DEV" >/tmp/events.log 2>&1 &
	epid=$!
	RATE=2097152
	check "raftctl set --resync-rate 2M" \
		raftctl set "$RB_DEV" --resync-rate 2M
	check "status --json reports resync_rate $RATE" \
		test "$(rb_get resync_rate)" = "$RATE"
	check "sysfs resync_rate is $RATE" \
		test "$(cat "/sys/block/$RB_DEV/raftblk/resync_rate")" = "$RATE"
	check "host boots VM 3 again (the new node 4)" host_request boot 3
	get node4-ready >/dev/null
	check "peer add 4 (VM 3's address)" \
		raftctl peer add "$RB_DEV" 4 "$(rb_listen 3)"
	send_running() { [ "$(rb_resync_field 4 state)" = running ]; }
	check "status --json: a copy to node 4 is running" \
		wait_for 180 send_running || rb_status_diag
	l=$(rb_resync 4)
	check "it is a full copy this node sends" test \
		"$(rb_field "$l" direction) $(rb_field "$l" kind)" = "send full"
	rb_status_diag
	diag "$(cat "/sys/block/$RB_DEV/raftblk/resync")"
	check "sysfs resync: the copy to node 4, full, running" \
		awk '$1 == "to" && $2 == 4 && $3 == "full" &&
			$4 == "running" { f = 1 } END { exit !f }' \
		"/sys/block/$RB_DEV/raftblk/resync"
	# Eight samples a second apart, while the copy runs at 2 MiB/s; the
	# first read after t0, the last before t1.
	t0=$(date +%s)
	l=$(rb_resync 4)
	d0=$(rb_field "$l" done_bytes)
	n=0 over="" bad_rate="" d1=$d0
	while [ "$n" -lt 8 ]; do
		sleep 1
		l=$(rb_resync 4)
		[ "$(rb_field "$l" state)" = running ] || break
		n=$((n + 1))
		d1=$(rb_field "$l" done_bytes)
		diag "copy to node 4: $l"
		[ "$d1" -le "$(rb_field "$l" total_bytes)" ] || over="$over $d1"
		[ "$(rb_field "$l" rate)" -le $((3 * RATE)) ] ||
			bad_rate="$bad_rate $(rb_field "$l" rate)"
	done
	t1=$(date +%s)
	check "the copy ran through 8 samples at the set rate (got $n)" \
		test "$n" -ge 8
	check "bytes done <= total in every sample" test -z "$over"
	check "measured rate in status <= 3 x $RATE in every sample" \
		test -z "$bad_rate"
	allowed=$((RATE * (t1 - t0 + 1) + 2 * 1048576))
	check "copied $((d1 - d0)) bytes in at most $((t1 - t0 + 1)) s: <= $allowed" \
		test $((d1 - d0)) -le "$allowed"
	get node4-saw-copy >/dev/null
	n4=$(dmesg | wc -l)
	check "host power-cuts VM 3 (node 4) in the middle of its copy" \
		host_request kill 3
	check "host boots VM 3 again (node 4 on its disk)" host_request boot 3
	get node4-back >/dev/null
	n4b=$(dmesg | wc -l)
	check "raftctl set --resync-rate 0 (dynamic)" \
		raftctl set "$RB_DEV" --resync-rate 0
	check "status --json reports resync_rate 0" \
		test "$(rb_get resync_rate)" = 0
	check "node 4 becomes a voter while files are written" \
		wait_for "$RB_JOIN_WAIT" rb_is_voter 4 || rb_status_diag
	diag "$(dmesg | grep -E 'resync' | head -n 10)"
	check "node1 sent node 4 a full copy" \
		sh -c "dmesg | grep -q 'resync of node 4 done: full'"
	lines=$(dmesg | tail -n +$((n4 + 1)) | grep 'resync of node 4')
	diag "$lines"
	check "a full copy to node 4 completed after its power-cut" \
		sh -c "echo \"\$1\" | grep -q 'resync of node 4 done: full'" \
		sh "$lines"
	# The copy cut off (or one started to the dead node) may end with
	# "the node dropped the copy" once node 4 is back; none started
	# since node 4 was back may (its SNAPSHOT went on the leader's
	# connection to node 4's first boot: node 4 never heard of it).
	dropped_new=$(dmesg | tail -n +$((n4b + 1)) | awk '
		/resync of node 4: / { s = $0; sub(/.*snapshot at /, "", s)
			sub(/:.*/, "", s); started[s] = 1 }
		/resync of node 4 at index .* the node dropped the copy/ {
			s = $0; sub(/.*at index /, "", s); sub(/ .*/, "", s)
			if (s in started) print s }')
	check "node 4 dropped no copy started after it was back (${dropped_new:-none})" \
		test -z "$dropped_new"
	ev="change resync $RB_DEV peer:4 direction:send kind:full"
	ev_fin() { grep -q "^$ev state:finished" /tmp/events.log; }
	check "events: the copy to node 4 finished" wait_for 30 ev_fin
	kill "$epid" 2>/dev/null
	wait "$epid" 2>/dev/null
	diag "$(grep ' resync ' /tmp/events.log | head -n 12)"
	check "events: progress of the running copy, growing byte counts" \
		sh -c "grep '^$ev state:running' /tmp/events.log |
			sed 's/.* done:\([0-9]*\) .*/\1/' | uniq |
			awk '\$1 > p { n++ } { p = \$1 } END { exit n < 3 }'"
	diag "$(cat /sys/block/$RB_DEV/raftblk/resync)"
	# sysfs shows a follower's last copy: the full one, or the delta from
	# its S that follows it at its ack when the leader's ring filled
	# during the copy ("log full: compacted to index ..., past the
	# resync"); the full one's end is in the events (above)
	full_base=0
	dmesg | grep -q 'log full: compacted to index .* past the resync' &&
		full_base=$(dmesg | sed -n 's/.*resync of node 4 done: full from index 0 at \([0-9]*\),.*/\1/p' | head -n 1)
	check "sysfs resync: the copy to node 4 (full, or a delta from the full one's S $full_base), finished, done = total" \
		awk -v fb="${full_base:-0}" '$1 == "to" && $2 == 4 && $4 == "finished" &&
			($3 == "full" || (fb > 0 && $3 == "delta" && $8 >= fb)) &&
			$10 > 0 && $10 == $12 { f = 1 } END { exit !f }' \
		"/sys/block/$RB_DEV/raftblk/resync"
	check "the writer was still writing" kill -0 "$wpid"
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	check "sync" sync
	(cd /mnt && sha256sum f* g*) >/tmp/files.sha256
	check "sync" sync
	cp /tmp/files.sha256 "$RS/files.sha256.tmp" &&
		mv "$RS/files.sha256.tmp" "$RS/files.sha256"
	diag "$(wc -l </tmp/files.sha256) files synced"
	rb_status_diag
	writer late &
	put leader-ready 1
	sleep 600
	tap_fail "node1 was power-cut by the host"
	finish
	;;
2)
	check "node2 is a voter" rb_wait_joined 180 || rb_status_diag
	# node1 gets there after node 4's two copies and its reboot: more
	# than a barrier's wait on a loaded host
	check "node1 is ready to be cut" wait_for $((RB_JOIN_WAIT + 300)) \
		test -e "$SHARED/kv/leader-ready"
	sleep 1
	check "host power-cuts the leader (node1)" host_request kill 1
	put cut 1
	lead24() { l=$(rb_leader); [ "$l" = 2 ] || [ "$l" = 4 ]; }
	check "a leader among nodes 2 and 4" \
		wait_for "$RB_ELECTION_WAIT" lead24 || rb_status_diag
	if rb_is leader; then
		check "transfer-leader to node 4" \
			raftctl transfer-leader "$RB_DEV" 4
	fi
	publish_hash 2
	teardown
	;;
3)
	check "node3 is a voter" rb_wait_joined 180 || rb_status_diag
	# powered off by node1 (then booted again as node 4)
	sleep 600
	tap_fail "node3 was powered off by the host"
	finish
	;;
esac
