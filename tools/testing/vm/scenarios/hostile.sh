#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A hostile peer against a real raftblk node (issue 9, defects 7 and 8):
# /bin/hostile_peer (tools/testing/wire/hostile_peer.c, frames built with
# kernel/wire.c) connects over TCP to a one-node cluster on this VM and
#   - says HELLO with a wrong cluster id: the REFUSE names nothing of the
#     node (all-zero cluster id, only the ids the HELLO named);
#   - sends 1000 HEARTBEATs and APPENDs with term 2^64-1 and
#     RAFT_TERM_MAX + 1: each is a bad frame (counted, connection
#     closed), the node's term does not move, the log line is
#     rate-limited, and the node still serves and elects itself again;
#   - sends 1000 APPENDs at the node's own term: the leader's "another
#     leader" warning is rate-limited;
#   - sends APPENDs of 4096 entries (the limit): answered, no WARNING,
#     memory comes back;
#   - floods it with APPENDs while its disk is slowed by dm-delay: the
#     receive budget (128 MiB) holds, MemAvailable does not fall by more
#     than that, and the node serves again once the disk is fast;
#   - restarted with a shared secret: a HEARTBEAT at RAFT_TERM_MAX from
#     a stranger is refused (no connection without the secret), and
#     `hostile_peer auth` (no secret, wrong secret, replayed handshake,
#     reflected proof, replayed frame, frame MACed with the node's own
#     key, forged HEARTBEAT, APPEND_RESP in another node's name, an
#     APPEND with one payload bit flipped after its MAC, a peer of the
#     old HMAC-SHA256 frame MAC) fails every time: counted, logged
#     (rate-limited), term unchanged, the node still serves.
# Suite vm-hostile: `tools/testing/vm/run --nodes 1 --mem 1024 hostile`.
. /lib.sh

DEV=raftblk0
LISTEN=$ADDR:7789
RB_WAIT=60
BUDGET=$((128 << 20))	# rb_transport_config_default(): rx_bytes
SLACK=$((48 << 20))	# sockets, page cache, the attacker itself
TERM_MAX=281474976710656	# RAFT_TERM_MAX, 2^48
U64_MAX=18446744073709551615

st_json() { raftctl status $DEV --json >/tmp/st.json; }
num() { # KEY: a number of the last status --json
	sed -n "s/^ *\"$1\": \([0-9]*\),*\$/\1/p" /tmp/st.json
}
is_leader() { st_json && grep -q '"role": "leader"' /tmp/st.json; }
leader_at() { is_leader && test "$(num term)" = "$1"; }
mem_avail() { sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
# The node still takes writes and reads them back.
serves() {
	dd if=/dev/urandom of=/tmp/pat bs=64k count=4 2>/dev/null &&
	run_timeout 120 dd if=/tmp/pat of=/dev/$DEV bs=64k seek=$1 \
		oflag=direct conv=fsync 2>/dev/null &&
	dd if=/dev/$DEV bs=64k skip=$1 count=4 iflag=direct 2>/dev/null |
		cmp - /tmp/pat
}
hp() { run_timeout 300 hostile_peer "$LISTEN" 1 "$DISK" "$@"; }

check "hostile_peer in the image" sh -c 'command -v hostile_peer' || finish
check "insmod raftblk.ko" insmod "$RAFTBLK_KO" || finish
/sbin/ip link set lo up 2>/dev/null

# The node's disk: dm-delay over /dev/vdb, no delay until the flood.
sz=$(cat /sys/block/vdb/size)
delay_table() { echo "0 $sz delay /dev/vdb 0 0 /dev/vdb 0 $1"; }
check "dm-delay device over /dev/vdb" \
	dmsetup create rbslow --table "$(delay_table 0)" || finish
DISK=/dev/dm-$(dmsetup info -c --noheadings -o minor rbslow)
set_delay() { # MS: write delay of the node's disk
	dmsetup suspend rbslow && dmsetup load rbslow --table "$(delay_table $1)" &&
		dmsetup resume rbslow
}
dd if=/dev/zero of=$DISK bs=1M count=1 oflag=direct 2>/dev/null
check "create a one-node cluster on it" raftctl create $DEV --disk $DISK \
	--node-id 1 --listen "$LISTEN" --bootstrap || finish
check "it elects itself" wait_for $RB_WAIT is_leader || finish
# A restart, so that term 1 is a stale leader's term below the node's.
check "restart it (term 2 or more)" sh -c "raftctl destroy $DEV &&
	raftctl create $DEV --disk $DISK --node-id 1 --listen $LISTEN" || finish
check "it elects itself again" wait_for $RB_WAIT is_leader || finish
TERM0=$(num term)
diag "node term $TERM0"

# ---- a HELLO with a wrong cluster id (defect 7) ----
check "wrong-cluster HELLO: the REFUSE names nothing of the node" \
	hp refuse
check "wrong-cluster HELLO naming node 7: nothing of node 1 either" \
	hp refuse 7

# ---- term bombs (defect 7) ----
st_json
BF0=$(num bad_frames)
dmesg -c >/dev/null
t0=$(date +%s)
check "500 HEARTBEATs with term 2^64-1: every connection closed" \
	hp term-bomb $U64_MAX 500 heartbeat
check "250 APPENDs with term 2^64-1: every connection closed" \
	hp term-bomb $U64_MAX 250 append
check "250 HEARTBEATs with term RAFT_TERM_MAX+1: every connection closed" \
	hp term-bomb $((TERM_MAX + 1)) 250 heartbeat
secs=$(($(date +%s) - t0))
dmesg >/tmp/bomb.dmesg
st_json
diag "1000 term bombs in $secs s"
check "the node's term is unchanged ($TERM0)" test "$(num term)" = "$TERM0"
check "bad_frames counted every one (+1000)" \
	test "$(num bad_frames)" -eq $((BF0 + 1000))
# printk_ratelimited: at most 10 lines per 5 s per call site.
maxl=$((10 * (secs / 5 + 2)))
n=$(grep -c 'bad frame from node 99.*term above the cap' /tmp/bomb.dmesg)
check "the bad-frame log line is rate-limited ($n lines, at most $maxl)" \
	test "$n" -ge 1 -a "$n" -le $maxl
n=$(grep -c 'peer 99 \(dis\)*connected' /tmp/bomb.dmesg)
check "the peer log line is rate-limited ($n lines, at most $maxl)" \
	test "$n" -le $maxl
check "still the leader after the bombs" is_leader
# A stranger's APPENDs at the node's own term: the leader warns of
# "another leader", once per 5 s burst, not once per frame.
dmesg -c >/dev/null
t0=$(date +%s)
check "1000 APPENDs at the node's term from a stranger are taken" \
	hp send append $TERM0 1000
secs=$(($(date +%s) - t0))
maxl=$((10 * (secs / 5 + 2)))
n=$(dmesg | grep -c 'APPEND from 99, another leader')
check "the 'another leader' line is rate-limited ($n lines, at most $maxl)" \
	test "$n" -ge 1 -a "$n" -le $maxl
check "still the leader after them, same term" leader_at $TERM0
check "still takes writes after the bombs" serves 10
check "restart after the bombs" sh -c "raftctl destroy $DEV &&
	raftctl create $DEV --disk $DISK --node-id 1 --listen $LISTEN" || finish
check "it elects itself at a sane term" wait_for $RB_WAIT is_leader
TERM1=$(num term)
check "the new term ($TERM1) is the old one plus a few" \
	test "$TERM1" -gt "$TERM0" -a "$TERM1" -le $((TERM0 + 3))
check "the data written after the bombs is there" sh -c \
	"dd if=/dev/$DEV bs=64k skip=10 count=4 iflag=direct 2>/dev/null |
		cmp - /tmp/pat"

# ---- APPENDs of 4096 entries (defect 1, 8) ----
# The first ones cost the kernel some 14 MiB for good (page lists, socket
# memory): measured after a first round.
check "4 APPENDs of 4096 entries (512 B each) are answered" \
	hp entries 4096 4 1
sync; echo 3 >/proc/sys/vm/drop_caches
st_json
BF0=$(num bad_frames)
m0=$(mem_avail)
check "32 more are answered" \
	hp entries 4096 32 1
sync; echo 3 >/proc/sys/vm/drop_caches
m1=$(mem_avail)
diag "MemAvailable $m0 kB before, $m1 kB after"
check "their memory came back (MemAvailable within 8 MiB)" \
	test $((m0 - m1)) -le 8192
st_json
check "none was a bad frame" test "$(num bad_frames)" = "$BF0"
check "receive budget all returned" wait_for 30 sh -c \
	"raftctl status $DEV --json | grep -q '\"rx_bytes\": 0,'"
check "still takes writes after the 4096-entry APPENDs" serves 20

# ---- frames faster than the disk (defect 8) ----
# A writer keeps the node thread waiting on a disk that takes 10 s per
# write while three peers send APPENDs of 1 MiB as fast as TCP allows.
st_json
TERM1=$(num term)
dd if=/dev/zero of=/dev/$DEV bs=4k count=100000 oflag=direct 2>/dev/null &
writer=$!
check "the node's disk now takes 10 s per write" set_delay 10000
flood() { hp flood 15 128 3 1 >/tmp/flood.out; }
check "flood for 15 s (3 peers, up to 128 MiB each)" flood
sed 's/^/# /' /tmp/flood.out
st_json
peak=$(num rx_bytes_peak)
paused=$(num rx_paused)
drop=$(sed -n 's/.*mem_drop_kib=\([0-9-]*\).*/\1/p' /tmp/flood.out)
diag "rx_bytes_peak $peak, rx_paused $paused, MemAvailable drop $drop KiB"
check "the flood outran the disk (a connection stopped reading)" \
	test "$paused" -gt 0
check "the receive budget was used (peak above half of it)" \
	test "$peak" -gt $((BUDGET / 2))
check "the receive budget held (peak $peak <= $BUDGET)" test "$peak" -le $BUDGET
check "MemAvailable fell by no more than the budget" \
	test -n "$drop" -a "$drop" -le $(((BUDGET + SLACK) >> 10))
check "the disk is fast again" set_delay 0
kill $writer 2>/dev/null
check "the held messages are stepped and released" wait_for 60 sh -c \
	"raftctl status $DEV --json | grep -q '\"rx_bytes\": 0,'"
check "still the leader after the flood" wait_for $RB_WAIT is_leader
check "term unchanged by the flood ($TERM1)" test "$(num term)" = "$TERM1"
check "still takes writes after the flood" serves 30

# ---- a node with a shared secret (issue 14) ----
head -c 32 /dev/urandom >/tmp/key
check "restart the node with a shared secret" sh -c "raftctl destroy $DEV &&
	raftctl create $DEV --disk $DISK --node-id 1 --listen $LISTEN --secret-file /tmp/key" ||
	finish
check "it elects itself with the secret" wait_for $RB_WAIT is_leader || finish
st_json
TERM2=$(num term)
AF0=$(num auth_failed)
BF0=$(num bad_frames)
dmesg -c >/dev/null
# With the secret, even a HEARTBEAT at RAFT_TERM_MAX itself never gets
# through: that needed a connection, which a stranger no longer gets.
hp send heartbeat $TERM_MAX 1 >/tmp/hb.out 2>&1
check "without the secret: a HEARTBEAT at RAFT_TERM_MAX never gets a connection (REFUSE: authentication failed)" \
	grep -q "did not accept node 99's HELLO (authentication failed)" /tmp/hb.out ||
	diag "$(cat /tmp/hb.out)"
st_json
check "that HELLO without a secret was counted (+1)" \
	test "$(num auth_failed)" -eq $((AF0 + 1)) ||
	diag "auth_failed $(num auth_failed), before $AF0"
check "every attack on the handshake and the frame MACs fails" \
	hp auth /tmp/key
dmesg >/tmp/auth.dmesg
st_json
check "authentication failures counted (+10: the HELLO above, 9 attacks)" \
	test "$(num auth_failed)" -eq $((AF0 + 10)) ||
	diag "auth_failed $(num auth_failed), before $AF0"
check "the APPEND_RESP in another node's name was a bad frame (+1)" \
	test "$(num bad_frames)" -eq $((BF0 + 1))
check "the node's term is unchanged ($TERM2)" leader_at $TERM2
n=$(grep -c 'authentication with node' /tmp/auth.dmesg)
check "each failure logged ($n lines, rate-limited: at most 10)" \
	test "$n" -ge 1 -a "$n" -le 10
check "the log names no secret byte" sh -c \
	"! grep -qF \"\$(od -An -tx1 /tmp/key | tr -d ' \n' | cut -c1-16)\" /tmp/auth.dmesg"
check "still takes writes after the attacks" serves 40

check "destroy $DEV" raftctl destroy $DEV
check "remove the dm device" dmsetup remove rbslow
check "rmmod raftblk" rmmod raftblk
finish
