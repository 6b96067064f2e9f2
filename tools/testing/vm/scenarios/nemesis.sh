#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of a nemesis run (tools/testing/vm/nemesis/run, which also
# starts the host's fault driver and the checker; see
# tools/testing/vm/nemesis/README.md). Any number of nodes >= 3.
#
#  1. a cluster of all nodes over a dm device on /dev/vdb (linear; the
#     driver swaps in dm-delay for disk latency): node1 bootstraps and
#     adds the others; every node sets the run's timeouts and read mode;
#  2. on every node, until the driver writes /shared/nemesis/stop:
#     NEM_WORKERS nemesis-wl processes write and read stamped blocks of
#     /dev/raftblk0 whenever this node can open it (only the leader can),
#     each appending its history to /shared/nemesis/hist-nN-bB-wW.log;
#     `raftctl events --json` goes to events-nN-bB.json; an agent loop
#     publishes the role (status-nN) and runs the driver's commands
#     (cmd/nN.SEQ: partitions as blackhole routes, netem, read mode,
#     disk delay, failing disk writes), answering each in cmd/nN.SEQ.done;
#  3. a node the driver power-cut boots again (BOOT > 1): it recreates the
#     device on the same disk without --bootstrap, rejoins and goes on
#     from 2;
#  4. after the stop: the workers finish, the leader reads every block
#     once (hist-final-nN-bB.log), every node reaches the leader's commit
#     index, and the data areas of all nodes are identical.
#
# Settings come from /shared/nemesis/config.sh (written by the run
# script): NEM_BLOCKS, NEM_WORKERS, NEM_HEARTBEAT_MS, NEM_ELECTION_MS.
. /lib.sh
. /scenarios/lib-cluster.sh

NM=$SHARED/nemesis
[ -f "$NM/config.sh" ] && . "$NM/config.sh"
NEM_BLOCKS=${NEM_BLOCKS:-32}
NEM_WORKERS=${NEM_WORKERS:-2}
NEM_HEARTBEAT_MS=${NEM_HEARTBEAT_MS:-100}
NEM_ELECTION_MS=${NEM_ELECTION_MS:-1000}
NEM_FINAL_WAIT=${NEM_FINAL_WAIT:-240}
DM=nemdisk
mkdir -p "$NM/cmd"

if [ "$NODES" -lt 3 ]; then
	tap_fail "nemesis needs at least 3 nodes"
	finish
fi
if [ ! -x /bin/nemesis-wl ]; then
	tap_fail "nemesis-wl is in the image (make -C tools/testing/vm/nemesis)"
	finish
fi

SZ=$(blockdev --getsz /dev/vdb)
dm_table() { # linear | delay MS | error (every write fails)
	case $1 in
	linear) echo "0 $SZ linear /dev/vdb 0" ;;
	delay) echo "0 $SZ delay /dev/vdb 0 $2" ;;
	error) echo "0 $SZ flakey /dev/vdb 0 0 3600 1 error_writes" ;;
	*) return 1 ;;
	esac
}
dm_set() { # linear | delay MS | error
	local t
	t=$(dm_table "$@") || return 1
	dmsetup suspend $DM && echo "$t" | dmsetup load $DM &&
		dmsetup resume $DM
}

# ---- 1. the cluster ----
check "insmod raftblk.ko" load_raftblk || finish
check "dm device $DM over /dev/vdb" \
	dmsetup create $DM --table "$(dm_table linear)" || finish
RB_DISK=/dev/dm-$(dmsetup info -c --noheadings -o minor $DM)
if [ "$BOOT" = 1 ] && [ "$NODE" = 1 ]; then
	check "create $RB_DEV --bootstrap over $RB_DISK" rb_create --bootstrap ||
		finish
	check "node1 is leader" wait_for "$RB_ELECTION_WAIT" rb_is leader
	check "barrier: all nodes created" barrier created || finish
	for p in $(all_nodes); do
		[ "$p" = 1 ] || check "peer add $p" rb_peer_add "$p"
	done
	check "every node is a voter" rb_wait_joined 300 || finish
elif [ "$BOOT" = 1 ]; then
	check "create $RB_DEV over $RB_DISK" rb_create || finish
	check "barrier: all nodes created" barrier created || finish
	check "node$NODE joined as a voter" rb_wait_joined 300 || finish
else
	# Power-cut by the driver and booted again: rejoin from the disk.
	if ! check "boot $BOOT: create $RB_DEV over $RB_DISK (recovery)" \
		rb_create; then
		diag "$(dmesg | grep raftblk | tail -n 20)"
		finish
	fi
fi
mode=$(cat "$NM/read-mode" 2>/dev/null || echo readindex)
# Auto-promote off: the workers of every node open the device for
# writing; each open on a follower would ask to lead.
check "timeouts ${NEM_HEARTBEAT_MS}/${NEM_ELECTION_MS} ms, read mode $mode, auto-promote no" \
	raftctl set "$RB_DEV" --heartbeat-ms "$NEM_HEARTBEAT_MS" \
	--election-timeout-ms "$NEM_ELECTION_MS" --read-mode "$mode" \
	--auto-promote no

# ---- 2. workload, events, agent ----
raftctl events --json >"$NM/events-n$NODE-b$BOOT.json" 2>&1 &
ev_pid=$!
wl_pids=""
w=1
while [ "$w" -le "$NEM_WORKERS" ]; do
	nemesis-wl --dev "/dev/$RB_DEV" --blocks "$NEM_BLOCKS" \
		--writer $((NODE << 24 | BOOT << 8 | w)) \
		--seed "$(cat "$NM/seed" 2>/dev/null || echo 1)" \
		--hist "$NM/hist-n$NODE-b$BOOT-w$w.log" \
		--clock "$NM/clk-n$NODE-b$BOOT-w$w" \
		2>"$RESULTS/wl$w-b$BOOT.err" &
	wl_pids="$wl_pids $!"
	w=$((w + 1))
done
put "running-n$NODE-b$BOOT" 1
tap_ok "boot $BOOT: $NEM_WORKERS workers, events and the agent running"

# One command of the driver: partitions are blackhole routes (outgoing
# packets to those addresses dropped: both sides of a symmetric
# partition get one, only one side of an asymmetric one), netem on eth0,
# the read mode, dm-delay under the whole disk.
agent_cmd() { # verb args...
	local v=$1
	shift
	case $v in
	part)
		for a in "$@"; do
			/sbin/ip route replace blackhole "$a/32" || return 1
		done ;;
	netem) /sbin/tc qdisc replace dev eth0 root netem "$@" ;;
	heal-net)
		/sbin/ip route flush type blackhole
		/sbin/tc qdisc del dev eth0 root 2>/dev/null
		return 0 ;;
	read-mode) raftctl set "$RB_DEV" --read-mode "$1" ;;
	disk-delay) dm_set delay "$1" ;;
	disk-error) dm_set error ;;
	disk-heal) dm_set linear ;;
	*) echo "unknown command '$v'"; return 1 ;;
	esac
}

agent_status() {
	local j role term leader
	j=$(run_timeout 10 raftctl status "$RB_DEV" --json 2>/dev/null) || return 1
	role=$(echo "$j" | sed -n 's/^      "role": "\([a-z]*\)",*$/\1/p')
	term=$(echo "$j" | sed -n 's/^      "term": \([0-9]*\),*$/\1/p')
	leader=$(echo "$j" | sed -n 's/^      "leader_id": \([0-9]*\),*$/\1/p')
	echo "$role $term $leader $BOOT" >"$NM/status-n$NODE.tmp" &&
		mv "$NM/status-n$NODE.tmp" "$NM/status-n$NODE"
}

ncmd=0
round=0
while [ ! -e "$NM/stop" ]; do
	[ $((round % 4)) = 0 ] && agent_status
	round=$((round + 1))
	# In the order of their sequence numbers (zero-padded: the glob
	# sorts them); no fork in the loop while there is nothing to do.
	for f in "$NM/cmd/n$NODE".[0-9]*; do
		case $f in *.done|*.tmp|*"[0-9]*") continue ;; esac
		read -r c <"$f" || continue
		# shellcheck disable=SC2086
		o=$(agent_cmd $c 2>&1)
		r=$?
		echo "rc=$r $o" >"$f.done.tmp"
		mv "$f.done.tmp" "$f.done"
		rm -f "$f"
		echo "$(date +%T) $c -> rc=$r $o" >>"$RESULTS/agent-b$BOOT.log"
		ncmd=$((ncmd + 1))
	done
	sleep 0.2
done
diag "agent ran $ncmd commands"

# ---- 4. stop, final reads, replicas ----
agent_cmd heal-net
agent_cmd disk-heal
kill -TERM $wl_pids 2>/dev/null
# An operation in flight is finished first; one hung for 120 s is killed
# (and stays "unknown" in the history). The watchdog kills its own sleep
# when it is told to stop, and holds none of the scenario's output: a
# sleep left behind kept init's tee of the console waiting for it, and
# every VM up, for the rest of its 120 s.
(
	sleep 120 &
	s=$!
	trap 'kill $s; exit 0' TERM
	wait $s
	kill -KILL $wl_pids
) >/dev/null 2>&1 &
watchdog=$!
rc=0
for p in $wl_pids; do
	wait "$p" || rc=$?
done
kill "$watchdog" 2>/dev/null
check "workers finished their operation in flight and exited cleanly" \
	test "$rc" = 0 || diag "$(cat "$RESULTS"/wl*-b"$BOOT".err)"
barrier nem-stopped >/dev/null 2>&1

final_read() {
	[ -e "$SHARED/kv/final-commit" ] && return 0
	rb_is leader || return 1
	nemesis-wl --final --dev "/dev/$RB_DEV" --blocks "$NEM_BLOCKS" \
		--writer $((NODE << 24 | BOOT << 8 | 255)) \
		--hist "$NM/hist-final-n$NODE-b$BOOT.log" \
		--clock "$NM/clk-final-n$NODE-b$BOOT" \
		2>>"$RESULTS/final.err" || return 1
	put final-reader "$NODE"
	put final-commit "$(rb_commit)"
}
check "the leader read every block once after the stop" \
	wait_for "$NEM_FINAL_WAIT" final_read || rb_status_diag
fc=$(get final-commit)
check "node$NODE applied index reaches the final commit $fc" \
	wait_for "$NEM_FINAL_WAIT" rb_applied_at_least "$fc" || rb_status_diag
# No write after the stop: applied stays where it is.
sleep 1
a=$(rb_applied)
h=$(rb_data_sha)
check "node$NODE data area hashed at a stable applied index ($a)" \
	sh -c "[ -n '$h' ] && [ '$a' = '$(rb_applied)' ]"
put "hash-n$NODE" "$a $h"
if [ "$NODE" = "$(get final-reader)" ]; then
	same=1
	for n in $(all_nodes); do
		hn=$(get "hash-n$n")
		diag "node$n: $hn"
		[ "$hn" = "$(get "hash-n$NODE")" ] || same=0
	done
	check "all $NODES data areas identical at the same applied index" \
		test "$same" = 1
fi
check "barrier: replicas compared" barrier nem-compared
kill "$ev_pid" 2>/dev/null
wait "$ev_pid" 2>/dev/null
check "raftctl destroy $RB_DEV" raftctl destroy "$RB_DEV"
check "remove $DM" dmsetup remove $DM
check "rmmod raftblk" rmmod raftblk
finish
