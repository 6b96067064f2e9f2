# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the scenarios that run a raftblk cluster (cluster, crash,
# bench_raftblk): not a scenario itself. Source after /lib.sh:
#   . /lib.sh; . /scenarios/lib-cluster.sh
#
# Everything that depends on raftctl's command line or its JSON lives
# here, so a change of either is fixed in one place.

if [ "${0##*/}" = lib-cluster.sh ]; then
	echo "not ok 1 - lib-cluster.sh is a helper, not a scenario"
	exit 1
fi

RB_DEV=${RB_DEV:-raftblk0}
RB_DISK=${RB_DISK:-/dev/vdb}
RB_PORT=${RB_PORT:-7789}
# Generous bound for an election (default timeout 1-2 s) under TCG.
RB_ELECTION_WAIT=${RB_ELECTION_WAIT:-60}
# Timers for a scenario that loads its VMs for minutes (copies of the
# data area, ring-sized writes, a slow disk): a 4 s election timeout with
# 200 ms heartbeats, what auth, memory and resync_interrupt use. The
# kernel's default (1 s: failover on a real network) risks spurious
# elections under TCG on a loaded host, where a VM or its node thread
# stalls for a second. Give them to rb_create (and to every create of
# the run: a lease assumes one election timeout on every node); a step
# that needs a shorter timeout says why.
RB_ROBUST_TIMERS="--heartbeat-ms 200 --election-timeout-ms 4000"

rb_listen() { # node id -> ip:port
	echo "$(addr_of "$1"):$RB_PORT"
}

# rb_secret_setup : the cluster's shared secret, as a key file on every
# node (what README's quick start does by hand): node 1 makes 32 random
# bytes in /shared on its first boot, every node (on every boot) copies
# them to RB_SECRET_KEY, mode 600. rb_secret_init runs it as a test and
# sets RB_SECRET_FILE, so that rb_create passes --secret-file. Scenarios
# do this when given the argument RB_SECRET=1 (make demo does).
RB_SECRET_KEY=/etc/raftblk/r0.key
RB_SECRET_FILE=${RB_SECRET_FILE:-}
rb_secret_setup() {
	local f=$SHARED/secret/r0.key
	if [ "$NODE" = 1 ] && [ ! -e "$f" ]; then
		mkdir -p "$SHARED/secret" &&
		head -c 32 /dev/urandom >"$f.tmp" && chmod 600 "$f.tmp" &&
			mv "$f.tmp" "$f" || return 1
	fi
	wait_for "$BARRIER_TIMEOUT" test -e "$f" || return 1
	mkdir -p "${RB_SECRET_KEY%/*}" && cp "$f" "$RB_SECRET_KEY" &&
		chmod 600 "$RB_SECRET_KEY"
}
rb_secret_init() {
	check "the cluster's shared secret in a key file $RB_SECRET_KEY" \
		rb_secret_setup || finish
	RB_SECRET_FILE=$RB_SECRET_KEY
}

# rb_secret_args : --secret-file RB_SECRET_FILE when there is a secret
rb_secret_args() {
	[ -n "$RB_SECRET_FILE" ] && echo "--secret-file $RB_SECRET_FILE"
}

# rb_secret_check : with a secret, this node's status shows a fingerprint
# (and never the secret); a TAP test, the status line a diagnostic
rb_secret_check() {
	[ -n "$RB_SECRET_FILE" ] || return 0
	diag "node$NODE: $(raftctl status "$RB_DEV" 2>&1 | grep -m1 '^  secret')"
	check "node$NODE: peers authenticate (status: the secret's fingerprint)" \
		sh -c "raftctl status $RB_DEV | grep -Eq '^  secret [0-9a-f]{16}'"
}

# rb_create [--bootstrap] : the device over RB_DISK as node NODE (with
# the shared secret, if rb_secret_setup made one)
rb_create() {
	# shellcheck disable=SC2046
	raftctl create "$RB_DEV" --disk "$RB_DISK" --node-id "$NODE" \
		--listen "$(rb_listen "$NODE")" $(rb_secret_args) "$@"
}

rb_peer_add() { # id
	raftctl peer add "$RB_DEV" "$1" "$(rb_listen "$1")"
}

rb_json() {
	raftctl status "$RB_DEV" --json 2>/dev/null
}

# rb_get KEY... : a scalar of the device's object in `status --json`, the
# first of the KEYs present (the pretty-printed output has one key per
# line: depth 3 is the device, depth 5 a peer). Quotes and the trailing
# comma are stripped.
rb_get() {
	rb_json | awk -v keys="$*" '
		BEGIN { nk = split(keys, k, " ") }
		{ d0 = depth; line = $0
		  n = gsub(/[{[]/, "&", line); m = gsub(/[]}]/, "&", line)
		  depth += n - m }
		d0 == 3 {
			for (i = 1; i <= nk; i++)
				if ($1 == "\"" k[i] "\":" && !(i in val)) {
					v = $0; sub(/^[^:]*:[ \t]*/, "", v)
					sub(/,[ \t]*$/, "", v); gsub(/"/, "", v)
					val[i] = v } }
		END { for (i = 1; i <= nk; i++) if (i in val) { print val[i]; exit } }'
}

# rb_peers : one line per peer object of `status --json`: "key=value ..."
# (and per copy of the data area, "resyncs": those have a direction=)
rb_peers() {
	rb_json | awk '
		{ d0 = depth; line = $0
		  n = gsub(/[{[]/, "&", line); m = gsub(/[]}]/, "&", line)
		  depth += n - m }
		d0 == 5 && /^[ \t]*"[a-z_]+":/ {
			k = $1; gsub(/[":]/, "", k)
			v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/,[ \t]*$/, "", v)
			gsub(/"/, "", v); rec = rec (rec == "" ? "" : " ") k "=" v }
		d0 >= 5 && depth < 5 && rec != "" { print rec; rec = "" }'
}

# rb_peer_field ID KEY : KEY of the peer with that id
rb_peer_field() {
	rb_peers | awk -v id="$1" -v key="$2" '
		{ f = ""; hit = 0
		  for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "id" && kv[2] == id) hit = 1
			if (kv[1] == key) f = kv[2] } }
		hit { print f; exit }'
}

# rb_resync PEER : the "key=value ..." line of this node's copy of the data
# area to or from node PEER ("resyncs" of `status --json`), empty if none
rb_resync() {
	rb_peers | awk -v id="$1" '
		(" " $0 " ") ~ / direction=/ && (" " $0 " ") ~ (" peer=" id " ") {
			print; exit }'
}

# rb_field LINE KEY : the value of KEY in a "key=value ..." line
rb_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

rb_resync_field() { # PEER KEY
	rb_field "$(rb_resync "$1")" "$2"
}

rb_role() { rb_get role; }
rb_is() { [ "$(rb_role)" = "$1" ]; }
rb_applied() { rb_get applied_index applied; }
rb_commit() { rb_get commit_index commit; }
rb_term() { rb_get term; }
rb_leader() { rb_get leader_id leader; }

# rb_is_voter ID : the leader lists node ID as a voter
rb_is_voter() { [ "$(rb_peer_field "$1" role)" = voter ]; }

# rb_self_voter : this node was added and promoted: a follower (a learner
# reports "learner") that has seen committed entries (an empty node that
# nobody added has commit 0)
rb_self_voter() {
	local c
	rb_is follower || return 1
	c=$(rb_commit)
	[ -n "$c" ] && [ "$c" -gt 0 ]
}

# rb_wait_joined SECS : nodes other than 1 wait until they are voters and
# say so ("voter-N" in /shared/kv); node 1 waits for both others' word
rb_wait_joined() {
	local n
	if [ "$NODE" != 1 ]; then
		wait_for "$1" rb_self_voter || return 1
		put "voter-$NODE" 1
		return 0
	fi
	for n in $(all_nodes); do
		[ "$n" = 1 ] && continue
		wait_for "$1" test -e "$SHARED/kv/voter-$n" || return 1
	done
}

# rb_applied_is N : this node applied exactly up to N
rb_applied_is() { [ "$(rb_applied)" = "$1" ]; }
rb_applied_at_least() { a=$(rb_applied); [ -n "$a" ] && [ "$a" -ge "$1" ]; }

# rb_status_diag : the status as TAP diagnostics
rb_status_diag() {
	diag "$(raftctl status "$RB_DEV" 2>&1)"
}

# rb_sb_u64 OFFSET : a little-endian u64 field of superblock slot 0 of
# RB_DISK (see Documentation/on-disk-format.rst; the layout fields are
# the same in both slots)
rb_sb_u64() {
	dd if="$RB_DISK" bs=4096 count=1 iflag=direct 2>/dev/null |
		od -A n -t u8 -j "$1" -N 8 | tr -d ' '
}

# rb_sb_field SLOT OFFSET TYPE : a field of superblock slot 0 or 1 of
# RB_DISK (od TYPE: u4, u8)
rb_sb_field() {
	dd if="$RB_DISK" bs=4096 skip="$1" count=1 iflag=direct 2>/dev/null |
		od -A n -t "$3" -j "$2" -N "${3#u}" | tr -d ' '
}

# rb_sb_cur OFFSET TYPE : a field of the current superblock (the slot
# with the higher seq), e.g. rb_sb_cur 136 u8: the compaction point
rb_sb_cur() {
	local slot=0
	[ "$(rb_sb_field 1 16 u8)" -gt "$(rb_sb_field 0 16 u8)" ] && slot=1
	rb_sb_field $slot "$1" "$2"
}

# rb_data_sha : sha256 of the data area of RB_DISK (read with O_DIRECT:
# raftblk writes the disk behind the page cache of RB_DISK); with
# RB_DATA_HASH=md5sum its md5: enough to tell two replicas apart, and
# three times faster under TCG (busybox: 9 s against 26 s for 239 MiB on
# a busy host)
rb_data_sha() {
	local off size
	off=$(rb_sb_u64 88)
	size=$(rb_sb_u64 96)
	[ -n "$off" ] && [ -n "$size" ] && [ "$size" -gt 0 ] || return 1
	dd if="$RB_DISK" bs=1M iflag=direct,skip_bytes,count_bytes \
		skip="$off" count="$size" 2>/dev/null |
		"${RB_DATA_HASH:-sha256sum}" | cut -d' ' -f1
}

# rb_block_size : logical block size of the device
rb_block_size() {
	cat "/sys/block/$RB_DEV/queue/logical_block_size"
}

# rb_refuses_io : the device refuses reads (EIO) and opening for write
# (EROFS): what a follower and a deposed leader must do
rb_refuses_read() {
	local e
	e=$(dd if="/dev/$RB_DEV" of=/dev/null bs=4096 count=1 iflag=direct 2>&1) &&
		return 1
	case $e in *"I/O error"*|*"Input/output error"*) return 0 ;; esac
	echo "$e"
	return 1
}
rb_refuses_write_open() {
	local e
	e=$(sh -c "exec 3>>/dev/$RB_DEV" 2>&1) && return 1
	case $e in *"Read-only file system"*) return 0 ;; esac
	echo "$e"
	return 1
}

# rb_mtime PATH : the host's modification time of a file in /shared in
# seconds with fractions (files created there get the host's clock, the
# one clock all VMs share)
rb_mtime() {
	stat -c %y "$1" | awk '{ split($2, t, ":")
		printf "%.3f\n", t[1] * 3600 + t[2] * 60 + t[3] }'
}

# rb_elapsed T0 T1 : T1 - T0 in seconds (times of day from rb_mtime)
rb_elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; if (d < 0) d += 86400
		printf "%.2f\n", d }'
}

# rb_publish_hash : wait until this node applied the index the test put
# as final-commit, hash its data area at a stable applied index, and put
# "APPLIED SHA" as hash-nodeN (the scenario compares them)
rb_publish_hash() {
	fc=$(get final-commit)
	check "node$NODE applied index reaches the final commit $fc" \
		wait_for 240 rb_applied_is "$fc" || rb_status_diag
	a=$(rb_applied)
	h=$(rb_data_sha)
	check "node$NODE data area hashed at a stable applied index ($a)" \
		sh -c "[ -n '$h' ] && [ '$a' = '$(rb_applied)' ]"
	put "hash-node$NODE" "$a $h"
}
