#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A three-node cluster with a shared secret, and a rotation of the secret
# while the leader writes (make check suite vm-auth: run --nodes 3 auth):
#
#  1. node1 makes two random secrets (old, new) and a wrong one in
#     /shared; every node creates its device with --secret-file old
#     (node1 bootstraps and adds 2 and 3: they connect, authenticated,
#     and become voters); every node shows the same fingerprint and 0
#     authentication failures, and nothing of the secret;
#  2. a node restarted with the wrong secret (node3) is refused by the
#     others (their authentication failures grow, it never catches up),
#     and with the right one rejoins;
#  3. node1 writes with O_DIRECT in a loop while every node, one after
#     the other, installs the new secret (set --secret-file), then
#     promotes it, then retires the old one; after each step the node's
#     TCP connections are killed (ss -K), so every step is followed by
#     new handshakes between nodes at different steps (a promoted node
#     with one that is not: each end must accept the other's secret);
#  4. while node1 still writes, authentication is switched off and on
#     again the same way, as rotations to and from "no secret": every
#     node, one after the other, set --no-secret, then --promote-secret,
#     then --retire-secret (status: "secret none", no node can be told
#     apart from one that never had a secret); then --secret-file,
#     --promote-secret, --retire-secret (the old fingerprint back); ss -K
#     after each step as in 3;
#  5. no write failed, the leader and term did not change (no election),
#     no node counted an authentication failure during 3 and 4, and the
#     followers applied what the leader committed; the leader's
#     status --json has the transport's frames_direct (frames a sender
#     wrote itself, its connection idle), and it grew with the writes.
#
# Timers: heartbeat 200 ms, election timeout 4 s, so that the reconnects
# after ss -K (100 ms backoff, a handshake) never look like a dead leader
# under TCG.
# Environment: RB_AUTH_WAIT (seconds for joins and catch-up, default 240).
. /lib.sh
. /scenarios/lib-cluster.sh

AU=$SHARED/auth
RB_AUTH_WAIT=${RB_AUTH_WAIT:-240}

if [ "$NODES" -ne 3 ]; then
	tap_fail "auth needs exactly 3 nodes (--nodes 3)"
	finish
fi

fp() { # fingerprint of the current secret in status --json
	rb_json | awk -F'"' '$2 == "fingerprint" { print $4; exit }'
}
next_fp() {
	rb_json | awk -F'"' '$2 == "next_fingerprint" { print $4; exit }'
}
auth_failed() {
	rb_json | awk -F'[:,]' '/"auth_failed"/ { gsub(/ /, "", $2); print $2; exit }'
}
connected() { # peer id
	[ "$(rb_peer_field "$1" state)" = connected ]
}
failures_seen() { [ "$(auth_failed)" -gt 0 ]; }
reconnects() {
	rb_json | awk -F'[:,]' '/"reconnects"/ { gsub(/ /, "", $2); print $2; exit }'
}
reconnected_since() { [ "$(reconnects)" -gt "$1" ]; }
frames_direct() {
	rb_json | awk -F'[:,]' '/"frames_direct"/ { gsub(/ /, "", $2); print $2; exit }'
}
# Kill this node's raftblk TCP connections (sock_diag destroy): the
# transport sees them fail and dials again, with a new handshake.
drop_conns() {
	ss -K -t "( sport = :$RB_PORT or dport = :$RB_PORT )" >/dev/null
}
not_connected() { ! connected "$1"; }
all_connected() {
	local p
	for p in $(all_nodes); do
		[ "$p" = "$NODE" ] && continue
		connected "$p" || return 1
	done
}

check "insmod raftblk.ko" load_raftblk || finish
if [ "$NODE" = 1 ]; then
	mkdir -p "$AU"
	head -c 32 /dev/urandom >"$AU/old.tmp" && mv "$AU/old.tmp" "$AU/old"
	head -c 48 /dev/urandom >"$AU/new"
	head -c 32 /dev/urandom >"$AU/wrong"
	chmod 600 "$AU/old" "$AU/new" "$AU/wrong"
	put keys 1
fi
get keys >/dev/null
expect_fail 2 "raftctl: create $RB_DEV: the secret in stdin must be 16 to 128 bytes, not 5" \
	sh -c "echo short | raftctl create $RB_DEV --disk $RB_DISK --node-id $NODE --listen $(rb_listen "$NODE") --secret-file -"
check "raftctl create $RB_DEV as node $NODE with a secret" \
	rb_create $RB_ROBUST_TIMERS --secret-file "$AU/old" \
	$([ "$NODE" = 1 ] && echo --bootstrap) || finish
check "barrier: all three nodes created" barrier created || finish

if [ "$NODE" = 1 ]; then
	check "node1 leads its one-node cluster" \
		wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
	for p in 2 3; do
		check "peer add $p" rb_peer_add "$p"
	done
fi
check "nodes joined and are voters (authenticated)" \
	rb_wait_joined "$RB_AUTH_WAIT" || rb_status_diag
check "connected to both peers" wait_for 60 all_connected
put "fp-old-$NODE" "$(fp)"
check "barrier: joined" barrier joined
check "every node shows the same 16-digit fingerprint" sh -c \
	"f=\$(cat $SHARED/kv/fp-old-1); echo \$f | grep -qE '^[0-9a-f]{16}\$' &&
	 [ \"\$f\" = \"\$(cat $SHARED/kv/fp-old-2)\" ] &&
	 [ \"\$f\" = \"\$(cat $SHARED/kv/fp-old-3)\" ]"
check "status shows the fingerprint, never the secret" sh -c \
	"raftctl status $RB_DEV | grep -q '^  secret $(fp), 0 authentication failures' &&
	 ! raftctl status $RB_DEV --json | grep -qF \"\$(od -An -tx1 $AU/old | tr -d ' \n' | cut -c1-16)\""
check "no authentication failure" test "$(auth_failed)" = 0
rb_status_diag

# ---- 2. node3 with the wrong secret, then the right one ----
check "barrier: before the wrong secret" barrier wrong-start
if [ "$NODE" = 3 ]; then
	check "node3 destroyed" raftctl destroy "$RB_DEV"
	check "node3 restarts with the wrong secret" \
		rb_create $RB_ROBUST_TIMERS --secret-file "$AU/wrong"
	sleep 5
	check "node3 is not connected to node1" not_connected 1
	check "node3 is not connected to node2" not_connected 2
	check "node3 counts the others' failed proofs" \
		wait_for 60 failures_seen
	put wrong-done 1
	get wrong-checked >/dev/null
	check "node3 destroyed again" raftctl destroy "$RB_DEV"
	check "node3 restarts with the right secret" \
		rb_create $RB_ROBUST_TIMERS --secret-file "$AU/old"
else
	get wrong-done >/dev/null
	check "node$NODE refuses node3 with the wrong secret (counted)" \
		wait_for 60 failures_seen
	check "node$NODE does not count node3 as connected" not_connected 3
	put "wrong-checked-$NODE" 1
	[ "$NODE" = 2 ] && get wrong-checked-1 >/dev/null &&
		put wrong-checked 1
fi
check "connected to both peers again" wait_for "$RB_AUTH_WAIT" all_connected
check "barrier: node3 is back" barrier back || finish

# ---- 3. rotation while node1 writes ----
base_failed=$(auth_failed)
put "term-before-$NODE" "$(rb_term)"
if [ "$NODE" = 1 ]; then
	fd0=$(frames_direct)
	check "status --json: the leader's frames_direct ($fd0)" \
		sh -c "echo '$fd0' | grep -qE '^[0-9]+\$'"
	rm -f /tmp/stop /tmp/writer
	(
		i=0 fails=0
		while [ ! -e /tmp/stop ]; do
			dd if=/dev/urandom of="/dev/$RB_DEV" bs=4096 count=4 \
				seek=$((i % 4096 * 4)) oflag=direct conv=notrunc \
				2>/dev/null || fails=$((fails + 1))
			i=$((i + 1))
		done
		echo "$i $fails" >/tmp/writer
	) &
	writer=$!
	sleep 2
fi
rotate_step() { # step option... : this node's turn, then the next one's
	local prev=$(( NODE - 1 ))
	[ "$prev" -ge 1 ] && get "$1-$prev" >/dev/null
	shift_step=$1
	shift
	check "node$NODE: set $*" raftctl set "$RB_DEV" "$@"
	rc0=$(reconnects)
	check "node$NODE: its connections killed after $shift_step (ss -K)" \
		drop_conns
	check "node$NODE: connected to both peers again after $shift_step" \
		wait_for 60 all_connected
	check "node$NODE: and they were new connections (reconnects > $rc0)" \
		wait_for 30 reconnected_since "$rc0"
	put "$shift_step-$NODE" 1
	get "$shift_step-3" >/dev/null
}
rotate_step install --secret-file "$AU/new"
check "status: old secret current, new one also accepted" sh -c \
	"[ '$(fp)' = '$(get fp-old-1)' ] && [ -n '$(next_fp)' ]"
rotate_step promote --promote-secret
rotate_step retire --retire-secret
check "after the rotation: connected to both peers" \
	wait_for 60 all_connected
put "fp-new-$NODE" "$(fp)"
check "barrier: rotated" barrier rotated
check "every node shows the same new fingerprint, no second secret" sh -c \
	"f=\$(cat $SHARED/kv/fp-new-1); [ -n \"\$f\" ] &&
	 [ \"\$f\" != \"\$(cat $SHARED/kv/fp-old-1)\" ] &&
	 [ \"\$f\" = \"\$(cat $SHARED/kv/fp-new-2)\" ] &&
	 [ \"\$f\" = \"\$(cat $SHARED/kv/fp-new-3)\" ] && [ -z '$(next_fp)' ]"

# ---- 4. authentication switched off, then on, while node1 writes ----
status_secret() { raftctl status "$RB_DEV" | grep -m1 '^  secret'; }
status_is() { # expected "  secret ..." line
	[ "$(status_secret)" = "$1" ]
}
rotate_step off-next --no-secret
check "status: new secret current, no secret also accepted" status_is \
	"  secret $(get fp-new-1), also accepted none (unauthenticated peers), $base_failed authentication failures"
check "status --json: next_none" sh -c \
	"raftctl status $RB_DEV --json | grep -q '\"next_none\": true'"
rotate_step off-promote --promote-secret
check "status: no secret current, the new one also accepted" status_is \
	"  secret none, also accepted $(get fp-new-1) (not required yet), $base_failed authentication failures"
rotate_step off-retire --retire-secret
check "status: authentication off (secret none)" status_is \
	"  secret none (peers are not authenticated)"
expect_fail 1 "raftctl: set $RB_DEV: authentication is already off: no secret to switch off (Required key not available)" \
	raftctl set "$RB_DEV" --no-secret
rotate_step on-next --secret-file "$AU/old"
rotate_step on-promote --promote-secret
check "status: old secret current again, no secret also accepted" status_is \
	"  secret $(get fp-old-1), also accepted none (unauthenticated peers), $base_failed authentication failures"
rotate_step on-retire --retire-secret
check "status: authentication on, the old fingerprint, no second secret" \
	status_is "  secret $(get fp-old-1), $base_failed authentication failures"
if [ "$NODE" = 1 ]; then
	sleep 2
	: >/tmp/stop
	wait "$writer"
	read -r writes fails </tmp/writer
	diag "writer: $writes writes of 16 KiB during the rotation and authentication off and on, $fails failed"
	check "writes went on during the rotation ($writes)" \
		test "$writes" -gt 0
	check "no write failed during the rotation and authentication off and on" \
		test "$fails" = 0
	fd1=$(frames_direct)
	check "frames_direct grew on the leader with the writes (${fd0:-none} -> ${fd1:-none})" \
		test "${fd1:-0}" -gt "${fd0:-0}"
	put final-commit "$(rb_commit)"
fi
check "no authentication failure during the rotation and off and on" \
	test "$(auth_failed)" = "$base_failed"
check "no election: same term, leader still node1" sh -c \
	"[ '$(rb_term)' = '$(get term-before-$NODE)' ] && [ '$(rb_leader)' = 1 ]"
fc=$(get final-commit)
check "node$NODE applied up to the leader's commit $fc" \
	wait_for "$RB_AUTH_WAIT" rb_applied_at_least "$fc" || rb_status_diag
expect_fail 1 "raftctl: set $RB_DEV: no second secret to retire (Required key not available)" \
	raftctl set "$RB_DEV" --retire-secret
rb_status_diag
check "barrier: done" barrier done
check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
check "rmmod raftblk" rmmod raftblk
dmesg | grep -i 'authentic' | head -n 8 | sed 's/^/# /'
finish
