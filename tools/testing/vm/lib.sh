# SPDX-License-Identifier: GPL-2.0
#
# Helpers for VM scenarios (busybox sh). Source with ". /lib.sh".
#
# Environment set by /init: NODE (1..NODES), NODES, BOOT (1 on the first
# boot, 2 after the host restarted the VM, ...), ADDR (10.0.0.NODE), ADDRS
# (all addresses), PEERS (the other addresses), SHARED (/shared, the 9p
# folder every VM and the host see), RESULTS (/shared/nodeNODE, per-node
# artifacts kept in the results folder), RAFTBLK_KO, KVER, TIMEOUT_FACTOR
# (the host's VM_TIMEOUT_FACTOR: 1, or 3 on the debug kernel; wait_for,
# run_timeout, barriers and host requests wait that many times longer).
#
# TAP: every helper prints "ok N - name" / "not ok N - name" on stdout;
# the host renumbers the lines of all nodes into one stream.

_tap_n=0
_tap_failed=0
LIB_WAIT_STEP=${LIB_WAIT_STEP:-0.2}
TIMEOUT_FACTOR=${TIMEOUT_FACTOR:-1}
BARRIER_TIMEOUT=${BARRIER_TIMEOUT:-300}
HOST_REQUEST_TIMEOUT=${HOST_REQUEST_TIMEOUT:-60}

# raftctl create TIMERS: on a slow guest (TIMEOUT_FACTOR > 1, the debug
# kernel: KASAN, lockdep and kmemleak under TCG) a multi-node cluster
# created without explicit timers gets the default ones (heartbeat 100 ms,
# election timeout 1000 ms) times TIMEOUT_FACTOR. With the defaults a debug
# guest on a loaded host misses heartbeats and its leader loses the term in
# the middle of a scenario's writes (vm-cluster, 2026-12-03: "stalled:
# leases dropped" every second, the leader deposed while writing its files,
# a 39 s failover). A scenario that passes --heartbeat-ms or
# --election-timeout-ms keeps its own.
if [ "$TIMEOUT_FACTOR" -gt 1 ] && [ "${NODES:-1}" -gt 1 ]; then
	raftctl() {
		if [ "${1:-}" = create ]; then
			case " $* " in
			*" --heartbeat-ms "*|*" --election-timeout-ms "*) ;;
			*) set -- "$@" \
				--heartbeat-ms $((100 * TIMEOUT_FACTOR)) \
				--election-timeout-ms $((1000 * TIMEOUT_FACTOR)) ;;
			esac
		fi
		command raftctl "$@"
	}
fi

# diag TEXT... : print TAP diagnostics, one argument per line, "# " before
# every line
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

tap_ok() { # name
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}

tap_fail() { # name [diagnostic...]
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

tap_skip() { # name reason
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

# check NAME CMD... : ok when CMD exits 0; on failure its output and exit
# code become diagnostics. Returns CMD's success.
check() {
	local name=$1 o rc
	shift
	o=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		tap_ok "$name"
		return 0
	fi
	tap_fail "$name" "command: $*" "exit code: $rc" "$(printf '%s\n' "$o" | tail -n 20)"
	return 1
}

# expect_fail CODE MSG CMD... : ok when CMD exits with exactly CODE and one
# line of its stderr is exactly MSG. The test is named after CMD and MSG.
expect_fail() {
	local code=$1 msg=$2 rc name
	shift 2
	name="'$*' fails with $code: $msg"
	"$@" >/tmp/expect_fail.out 2>/tmp/expect_fail.err
	rc=$?
	if [ "$rc" -eq "$code" ] && grep -qxF -- "$msg" /tmp/expect_fail.err; then
		tap_ok "$name"
		return 0
	fi
	tap_fail "$name" "exit code: $rc (want $code)" \
		"stderr: $(cat /tmp/expect_fail.err)" \
		"stdout: $(head -c 2000 /tmp/expect_fail.out)"
	return 1
}

# wait_for TIMEOUT_SECS CMD... : run CMD until it succeeds; 1 on timeout.
wait_for() {
	local t=$(($1 * TIMEOUT_FACTOR)) end
	shift
	end=$(($(date +%s) + t))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep "$LIB_WAIT_STEP"
	done
	return 0
}

# run_timeout SECS CMD... : CMD killed after SECS (exit code 124 then, or
# 143 from busybox timeout); put this around every guest workload.
run_timeout() {
	local t=$(($1 * TIMEOUT_FACTOR))
	shift
	timeout "$t" "$@"
}

# stall_dump WHAT : what the kernel is waiting on, when WHAT did not end
# in time: the blocked tasks (sysrq w, to the console: writes to
# /proc/sysrq-trigger are not subject to the kernel.sysrq mask) and, as
# diagnostics, the kernel stack of every task in D state and of every dd,
# raftblk and kcopyd task, the device-mapper status and the
# hung-task settings (a task blocked in I/O waits in slices of half the
# hung-task timeout and never trips it: this is the only trace it leaves)
stall_dump() {
	local p c st
	diag "stall: $1" \
		"hung_task_timeout_secs $(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null), printk $(cat /proc/sys/kernel/printk)"
	echo w >/proc/sysrq-trigger
	# one awk for all tasks: a fork per task is slow under TCG
	awk '/^Name:/ { n = $2 } /^State:/ && ($2 == "D" || n == "dd" ||
		n ~ /^(raftblk|kcopyd)/) { f = FILENAME; sub(/\/status$/, "", f)
		print f, n, $2 }' /proc/[0-9]*/status 2>/dev/null |
	while read -r p c st; do
		diag "${p#/proc/} $c state $st wchan $(cat "$p/wchan" 2>/dev/null)" \
			"$(sed 's/^/  /' "$p/stack" 2>/dev/null)"
	done
	# a suspended device holds its bios (attr s), not counted in flight
	diag "$(dmsetup info -c -o name,attr,open 2>&1)" "$(dmsetup status 2>&1)"
	# requests a disk has not completed (a lost interrupt would leave
	# some here, with nothing above waiting on a lock)
	for p in /sys/block/vd* /sys/block/dm-* /sys/block/raftblk*; do
		[ -e "$p/inflight" ] &&
			diag "${p##*/} in flight (reads writes): $(cat "$p/inflight")"
	done
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
	for p in /sys/kernel/debug/block/vd*/hctx*; do
		[ -e "$p/busy" ] && diag "$p busy: $(cat "$p/busy")" \
			"$p dispatch: $(cat "$p/dispatch")"
	done
	# and the device's side of the virtqueues (QEMU's monitor)
	diag "host: $(host_request virtio-status "$NODE" 2>&1)"
}

# stall_poke PID : after a stall, one 4 KiB O_DIRECT read of each virtio
# disk; if PID ends within 10 s after them, its I/O had completed in the
# device but the guest had not noticed (a lost interrupt: the next
# completion's interrupt finds both), else it is still waiting
stall_poke() {
	local d i=0
	# in the background: a read of a dead queue never ends (D state)
	for d in /dev/vd?; do
		dd if="$d" of=/dev/null bs=4k count=1 iflag=direct \
			</dev/null >/dev/null 2>&1 &
	done
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		diag "stall: still waiting after a read of each virtio disk"
	else
		diag "stall: it ended once each virtio disk was read again: a completion the guest had missed (lost interrupt)"
	fi
	diag "$(for d in /sys/block/vd*; do echo "${d##*/} in flight: $(cat "$d/inflight")"; done)"
}

# bounded SECS WHAT CMD... : CMD in the background, its output printed
# once it ended; when it has not ended after SECS, stall_dump WHAT, it is
# killed (a task stuck in D state stays) and bounded returns 124. For
# reads that must end: a stall fails the test with what blocked it
# instead of hanging the scenario.
bounded() {
	local t=$(($1 * TIMEOUT_FACTOR)) what=$2 pid i=0 rc
	shift 2
	# no fd of the scenario's output: a task stuck in I/O keeps its fds,
	# and /init waits for the output pipe's end
	"$@" </dev/null >/tmp/bounded.out 2>/tmp/bounded.err &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$i" -ge "$((t * 5))" ]; then
			stall_dump "$what: not done after $t s" >&2
			stall_poke "$pid" >&2
			kill "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.2
		i=$((i + 1))
	done
	wait "$pid"
	rc=$?
	cat /tmp/bounded.err >&2
	cat /tmp/bounded.out
	return $rc
}

# finish : the scenario's exit: 0 only when no test failed.
finish() {
	echo "# node$NODE: $_tap_n tests, $_tap_failed failed"
	[ "$_tap_failed" -eq 0 ] && exit 0
	exit 1
}

addr_of() { # node id -> address
	echo "10.0.0.$1"
}

all_nodes() { # 1 2 ... NODES
	local i=1 l=""
	while [ "$i" -le "$NODES" ]; do
		l="$l${l:+ }$i"
		i=$((i + 1))
	done
	echo "$l"
}

# barrier NAME [NODE...] : wait until every listed node (default: all)
# reached the barrier of that NAME. Names must be unique within a run
# (add "$BOOT" to the name in scenarios that survive restarts).
barrier() {
	local name=$1 dir n missing end
	shift
	[ $# -gt 0 ] || set -- $(all_nodes)
	dir=$SHARED/barriers/$name
	mkdir -p "$dir" && touch "$dir/node$NODE" || return 1
	end=$(($(date +%s) + BARRIER_TIMEOUT * TIMEOUT_FACTOR))
	while :; do
		missing=""
		for n in "$@"; do
			[ -e "$dir/node$n" ] || missing="$missing node$n"
		done
		[ -z "$missing" ] && return 0
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "# barrier $name: timed out waiting for$missing" >&2
			return 1
		fi
		sleep "$LIB_WAIT_STEP"
	done
}

# Values shared between nodes through the 9p folder.
put() { # key value
	mkdir -p "$SHARED/kv" && echo "$2" >"$SHARED/kv/$1.tmp.$NODE" &&
		mv "$SHARED/kv/$1.tmp.$NODE" "$SHARED/kv/$1"
}
get() { # key -> value (waits up to BARRIER_TIMEOUT for it)
	wait_for "$BARRIER_TIMEOUT" test -e "$SHARED/kv/$1" && cat "$SHARED/kv/$1"
}

# host_request ACTION NODE : ask the host harness to act on a VM and wait
# until it did. ACTION is one of
#   kill      power-cut: the VM's QEMU is killed with SIGKILL
#   boot      start a killed or powered-off VM again on the same disks
#             (BOOT increments there; the scenario runs again from the top)
#   link-off  cut the VM's network link (QEMU monitor set_link off)
#   link-on   restore it
#   pause     freeze the VM (QEMU monitor "stop"): a hung node, not a dead one
#   resume    let it run again ("cont")
#   sigstop   SIGSTOP to the VM's QEMU process: frozen whole, its clock
#             runs on (a machine that hung and came back)
#   sigcont   SIGCONT: let it run again
#   cpu       the CPU time each running VM's QEMU used so far, in ms
#             ("ok cpu_ms node1=MS node2=MS ..."; NODE is any running one)
#   virtio-status  the device side of the VM's virtqueues (QEMU's "info
#             virtio-queue-status") into nodeN.monitor.log (stall_dump)
# Prints the host's answer; returns 0 when it starts with "ok".
host_request() {
	local req=$SHARED/host/$1-node$2 ans
	mkdir -p "$SHARED/host"
	rm -f "$req.done"
	# Made whole under a name the host skips, then renamed: the host may
	# serve and remove the request at once, and a touch still working on
	# it then fails with ENOENT though the request was carried out.
	: >"$req.tmp" && mv "$req.tmp" "$req" || return 1
	wait_for "$HOST_REQUEST_TIMEOUT" test -e "$req.done" || {
		echo "host_request $1 node$2: no answer from the host" >&2
		return 1
	}
	ans=$(cat "$req.done")
	echo "$ans"
	case $ans in ok*) return 0 ;; esac
	return 1
}

# The module, with raftctl (/sbin in the image) as its snapshot helper.
load_raftblk() {
	insmod "$RAFTBLK_KO" snapshot_helper="$(command -v raftctl)"
}
