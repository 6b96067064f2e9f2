#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark target "drbd-resync": DRBD 8.4's full sync of BENCH_SIZE
# (`drbdadm invalidate` on the secondary), and the application's 4 KiB
# random writes on the primary during the sync. Run by
# tools/testing/bench/run (2 VMs). DRBD is set up as in bench_drbd
# (protocol C, internal metadata, ping-int 1 s), the device limited to
# BENCH_SIZE (disk { size }) and the resync controller left at DRBD's
# defaults (dynamic: c-plan-ahead 20, c-fill-target 100s, c-max-rate
# 100M, c-min-rate 250k; `drbdsetup show --show-defaults` goes to
# node1/drbd-settings.txt); BENCH_DRBD_DISK adds options to the disk
# section (e.g. "resync-rate 40M; c-plan-ahead 0;" for a fixed rate).
#
#  1. node1 primary; writes BENCH_SIZE of /dev/drbd0 (random data); fio
#     BENCH_RESYNC_JOB for BENCH_RUNTIME s, no sync running
#     (fio-resync-base.json);
#  2. idle sync: node2 `drbdadm invalidate`; node2 times it from the
#     command to UpToDate/UpToDate with oos:0 in /proc/drbd (polled every
#     0.1 s; DRBD's own "Resync done (total N sec" line is kept too), the
#     bytes being the device's (a full sync copies every block);
#  3. sync under load: node2 invalidates again; once node1 is SyncSource,
#     fio BENCH_RESYNC_JOB on node1 (fio-resync-during.json), stopped
#     early (SIGINT) if the sync ends first; the sync's progress during
#     fio from node1's oos: (KiB out of sync) over fio's window.
#
# Results: node1/resync.txt and node2/resync.txt (key=value), the fio
# JSON in node1/.
#
# vm-needs: bench
. /lib.sh

check "bench jobs present in /shared/bench" test -f /shared/bench/fio-jobs.sh ||
	finish
. /shared/bench/fio-jobs.sh

BARRIER_TIMEOUT=${BENCH_PHASE_WAIT:-1200}
DRBD_WAIT=${DRBD_WAIT:-60}
LIB_WAIT_STEP=1
PATH=/usr/lib/drbd:/usr/sbin:/sbin:$PATH
export PATH
drbdadm() { drbdadm-84 "$@"; }

[ "$NODES" -ge 2 ] || { tap_fail "bench_resync_drbd needs 2 nodes (--nodes 2)"; finish; }
[ "$NODE" -le 2 ] || finish

hostname "node$NODE"
mkdir -p /var/lib/drbd /var/run/drbd /run/drbd /var/lock /run/lock
cat >/etc/drbd.conf <<CONF
global { usage-count no; }
resource r0 {
	protocol C;
	net { ping-int 1; ping-timeout 20; }
	disk { size $(bench_mib "$BENCH_SIZE")M; ${BENCH_DRBD_DISK:-} }
	on node1 {
		device /dev/drbd0;
		disk /dev/vdb;
		address 10.0.0.1:7788;
		meta-disk internal;
	}
	on node2 {
		device /dev/drbd0;
		disk /dev/vdb;
		address 10.0.0.2:7788;
		meta-disk internal;
	}
}
CONF

# oos: KiB out of sync, in /proc/drbd
oos() { sed -n 's/.* oos:\([0-9]*\).*/\1/p' /proc/drbd | head -n 1; }
in_sync() {
	grep -q 'cs:Connected.*ds:UpToDate/UpToDate' /proc/drbd &&
		[ "$(oos)" = 0 ]
}
syncing() { grep -q 'cs:Sync' /proc/drbd; }

check "drbd module loaded" grep -q '^drbd ' /proc/modules
check "drbd is 8.4" grep -q '^version: 8\.4' /proc/drbd
check "drbdadm create-md" sh -c 'yes yes | drbdadm-84 create-md --force r0'
check "drbdadm up" drbdadm up r0
connected() { grep -q 'cs:Connected' /proc/drbd; }
if ! check "connected to the peer" wait_for "$DRBD_WAIT" connected; then
	diag "$(cat /proc/drbd)"
	finish
fi
barrier drbd-connected 1 2

if [ "$NODE" = 1 ]; then
	check "skip the initial sync (new-current-uuid --clear-bitmap)" \
		drbdadm new-current-uuid --clear-bitmap r0
	check "both disks UpToDate" wait_for 60 in_sync
	check "node1 primary" drbdadm primary r0
	drbdsetup-84 show r0 --show-defaults >"$RESULTS/drbd-settings.txt" 2>&1
	diag "$(grep -E 'resync-rate|c-' "$RESULTS/drbd-settings.txt")"
	size=$(blockdev --getsize64 /dev/drbd0)
	check "/dev/drbd0 is $BENCH_SIZE ($size bytes)" \
		test "$size" = $(($(bench_mib "$BENCH_SIZE") * 1048576))
	check "fill /dev/drbd0 ($BENCH_SIZE)" bench_fill /dev/drbd0 || finish
	bench_fio_start resync-base "$BENCH_RESYNC_JOB" /dev/drbd0 &&
		bench_fio_wait resync-base

	put idle-go 1
	get idle-done >/dev/null
	check "in sync after the idle sync" wait_for 60 in_sync

	put load-go 1
	check "node1 is SyncSource" wait_for 60 syncing
	diag "$(cat /proc/drbd)"
	# The copy's progress over fio's run: from when fio started to when
	# it ended, or to when the copy ended (then fio is stopped).
	stopped=0
	# (not under check: that would wait for the background fio)
	if bench_fio_start resync-during "$BENCH_RESYNC_JOB" /dev/drbd0; then
		tap_ok "fio $BENCH_RESYNC_JOB started during the copy"
		d0=$(oos)
		t0=$(bench_now_ms)
		while bench_fio_running resync-during; do
			if ! syncing; then
				bench_fio_stop resync-during
				stopped=1
				break
			fi
			sleep 0.2
		done
		t1=$(bench_now_ms)
		d1=$(oos)
		syncing && st=running || st=finished
		bench_fio_wait resync-during
		diag "$(cat /proc/drbd)"
		bench_result load_bytes $(((d0 - d1) * 1024))
		bench_result load_ms $((t1 - t0))
		bench_result load_copy_state_after_fio "$st"
		bench_result load_fio_stopped "$stopped"
	else
		tap_fail "fio $BENCH_RESYNC_JOB started during the copy"
	fi
	check "in sync after the sync under load" \
		wait_for "$BARRIER_TIMEOUT" in_sync
	diag "$(cat /proc/drbd)"
	check "node1 secondary" drbdadm secondary r0
else
	get idle-go >/dev/null
	t0=$(bench_now_ms)
	check "drbdadm invalidate (full sync from node1)" drbdadm invalidate r0
	LIB_WAIT_STEP=0.1 wait_for 5 syncing
	o=$(oos)
	LIB_WAIT_STEP=0.1
	check "the sync ends: UpToDate/UpToDate, oos:0" \
		wait_for "$BARRIER_TIMEOUT" in_sync
	t1=$(bench_now_ms)
	LIB_WAIT_STEP=1
	diag "out of sync at the start: $o KiB" \
		"$(dmesg | grep 'Resync done' | tail -n 1)"
	# a full sync: every block of the device (oos: was read a moment
	# after the sync started)
	check "a full sync ($o KiB out of sync at the start)" test "${o:-0}" -gt 0
	bench_result idle_bytes $(($(bench_mib "$BENCH_SIZE") * 1048576))
	bench_result idle_ms $((t1 - t0))
	bench_result idle_drbd_log "\"$(dmesg | grep 'Resync done' | tail -n 1 |
		sed 's/.*Resync done/Resync done/')\""
	put idle-done 1

	get load-go >/dev/null
	check "drbdadm invalidate again (under load)" drbdadm invalidate r0
	check "the sync under load ends" wait_for "$BARRIER_TIMEOUT" in_sync
fi
LIB_WAIT_STEP=2
check "barrier: benchmark done" barrier drbd-done 1 2
check "drbdadm down" drbdadm down r0
finish
