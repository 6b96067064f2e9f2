# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's fio jobs, run inside a VM (busybox sh) by the bench_*
# scenarios: tools/testing/bench/run copies this file into the run's
# shared folder, the scenario sources it from /shared/bench/ and calls
# bench_fio_all DEVICE on the node that does the I/O.
#
# Every job is one fio run with its own timeout (fio once hung past its
# runtime under TCG) and writes fio's JSON to $RESULTS/fio-JOB.json and
# its exit code to $RESULTS/fio-JOB.rc. The host (tools/testing/bench/
# report) turns those into the table.
#
# Environment (from /shared/bench/params, written by bench/run):
#   BENCH_RUNTIME  seconds per job (default 20)
#   BENCH_SIZE     region of the device the jobs touch (default 512M)
#   BENCH_JOBS     jobs to run (default: all, in the order below)
#   BENCH_PROFILE  nodes whose CPU is profiled during each job, e.g. "1 2"
#                  (bench/run --profile; needs the VM image's perf layer)
#   BENCH_PROFILE_PERIOD_US  sampling period of perf's cpu-clock (default
#                  1000: 1 kHz)

[ -f /shared/bench/params ] && . /shared/bench/params
BENCH_RUNTIME=${BENCH_RUNTIME:-20}
BENCH_SIZE=${BENCH_SIZE:-512M}
BENCH_JOBS=${BENCH_JOBS:-randwrite-qd1 randwrite-qd32 seqwrite-1m randread-qd32}
BENCH_PROFILE=${BENCH_PROFILE:-}
BENCH_PROFILE_PERIOD_US=${BENCH_PROFILE_PERIOD_US:-1000}

# ---- CPU profiles (tools/testing/bench/profile reads them) ----
# Software cpu-clock sampling of the whole VM (TCG has no PMU), with
# kernel call chains; symbols from this guest's /proc/kallsyms (modules,
# raftblk's static functions too) and the binaries in the image.
# $RESULTS/perf-JOB.script is `perf script` of the job's samples,
# perf-JOB.stat the uptime and /proc/stat cpu line at its start and end,
# perf-JOB.modules /proc/modules, perf-JOB.log perf's own messages.

bench_profiled() { # true when this node is profiled
	case " $BENCH_PROFILE " in *" $NODE "*) ;; *) return 1 ;; esac
	command -v perf >/dev/null 2>&1
}

bench_profile_start() { # JOB
	rm -f /tmp/perf-"$1".data
	perf record -a -g -N -e cpu-clock \
		-c $((BENCH_PROFILE_PERIOD_US * 1000)) \
		-o /tmp/perf-"$1".data >"$RESULTS/perf-$1.log" 2>&1 </dev/null &
	echo $! >/tmp/perf-"$1".pid
	# perf is recording once its output file has a header
	LIB_WAIT_STEP=0.1 wait_for 10 test -s /tmp/perf-"$1".data
	bench_profile_stat >"$RESULTS/perf-$1.stat"
}

# uptime and /proc/stat's cpu line, at the start and the end of a profile:
# the busy time the samples share out (a cpu-clock sample due while the
# host had descheduled the vCPU is lost, not late)
bench_profile_stat() {
	echo "uptime $(cut -d' ' -f1 /proc/uptime)"
	grep '^cpu ' /proc/stat
}

bench_profile_end() { # JOB : stop recording
	local pid
	pid=$(cat /tmp/perf-"$1".pid 2>/dev/null) || return 1
	bench_profile_stat >>"$RESULTS/perf-$1.stat"
	kill -INT "$pid" 2>/dev/null
	LIB_WAIT_STEP=0.2 wait_for 60 sh -c "! kill -0 $pid"
}

bench_profile_save() { # JOB : the samples, symbolised, to $RESULTS
	# perf names a module's functions from /proc/kallsyms but puts them
	# in [kernel.kallsyms]; the modules' address ranges tell them apart
	cp /proc/modules "$RESULTS/perf-$1.modules"
	perf script -i /tmp/perf-"$1".data -F comm,tid,period,ip,sym,dso \
		>"$RESULTS/perf-$1.script" 2>>"$RESULTS/perf-$1.log"
	rm -f /tmp/perf-"$1".data /tmp/perf-"$1".pid
}

# bench_profile_follow : on a node that does no I/O, profile each job of
# BENCH_JOBS between the I/O node's "prof-JOB-start" and "prof-JOB-stop"
# (put by bench_fio when profiling is on)
bench_profile_follow() {
	local job
	[ -n "$BENCH_PROFILE" ] || return 0
	for job in $BENCH_JOBS; do
		LIB_WAIT_STEP=0.2 get "prof-$job-start" >/dev/null || return 1
		bench_profiled && bench_profile_start "$job"
		LIB_WAIT_STEP=1 get "prof-$job-stop" >/dev/null
		bench_profiled && bench_profile_end "$job" &&
			bench_profile_save "$job"
	done
	return 0
}

# bench_job_args JOB : fio options of one job (besides the common ones)
bench_job_args() {
	case $1 in
	randwrite-qd1)	# O_DIRECT + O_SYNC, one request at a time
		echo "--rw=randwrite --bs=4k --ioengine=psync --iodepth=1 --sync=1" ;;
	randwrite-qd32)
		echo "--rw=randwrite --bs=4k --ioengine=libaio --iodepth=32" ;;
	seqwrite-1m)
		echo "--rw=write --bs=1M --ioengine=libaio --iodepth=8" ;;
	randread-qd32)
		echo "--rw=randread --bs=4k --ioengine=libaio --iodepth=32" ;;
	*)
		return 1 ;;
	esac
}

# bench_fio_args NAME JOB DEVICE : fio's command line (without "fio") for
# JOB on DEVICE, its results in $RESULTS/fio-NAME.json
bench_fio_args() {
	local args
	args=$(bench_job_args "$2") || return 1
	echo "--name=$2 --filename=$3 --direct=1 --size=$BENCH_SIZE" \
		"--time_based --runtime=$BENCH_RUNTIME --norandommap" \
		"--randrepeat=0 --output-format=json" \
		"--output=$RESULTS/fio-$1.json $args"
}

# bench_fio JOB DEVICE : run one job, TAP line "fio JOB on DEVICE".
# A scenario may define bench_job_hook before|after JOB (e.g. to save
# the device's metrics around the job).
bench_fio() {
	local job=$1 dev=$2 args rc
	args=$(bench_fio_args "$job" "$job" "$dev") || {
		tap_fail "fio $job: unknown job"
		return 1
	}
	command -v bench_job_hook >/dev/null && bench_job_hook before "$job"
	if [ -n "$BENCH_PROFILE" ]; then
		put "prof-$job-start" 1
		bench_profiled && bench_profile_start "$job"
	fi
	# This VM's CPU time around the job (report: CPU ms per MiB
	# written), and every VM's QEMU's on the host (host CPU ms per MiB:
	# not inflated when the host is short of CPU, as the guest's is)
	host_request cpu "$NODE" >"$RESULTS/hostcpu-$job" 2>&1
	grep '^cpu ' /proc/stat >"$RESULTS/cpu-$job"
	# shellcheck disable=SC2086
	run_timeout $((BENCH_RUNTIME * 3 + 90)) fio $args \
		>"$RESULTS/fio-$job.stdout" 2>&1
	rc=$?
	grep '^cpu ' /proc/stat >>"$RESULTS/cpu-$job"
	host_request cpu "$NODE" >>"$RESULTS/hostcpu-$job" 2>&1
	if [ -n "$BENCH_PROFILE" ]; then
		bench_profiled && bench_profile_end "$job"
		put "prof-$job-stop" 1
		bench_profiled && bench_profile_save "$job"
	fi
	command -v bench_job_hook >/dev/null && bench_job_hook after "$job"
	echo "$rc" >"$RESULTS/fio-$job.rc"
	if [ "$rc" -eq 0 ]; then
		tap_ok "fio $job on $dev"
		return 0
	fi
	tap_fail "fio $job on $dev" "exit code $rc" \
		"$(tail -n 5 "$RESULTS/fio-$job.stdout")"
	return 1
}

# bench_fio_start NAME JOB DEVICE : start JOB on DEVICE in the background
# (results fio-NAME.*); its pid goes to $RESULTS/fio-NAME.pid, its exit
# code to $RESULTS/fio-NAME.rc when it ends. Not under check (its command
# substitution would wait for fio to end).
bench_fio_start() {
	local name=$1 args
	args=$(bench_fio_args "$1" "$2" "$3") || return 1
	rm -f "$RESULTS/fio-$name.pid" "$RESULTS/fio-$name.rc"
	(
		# shellcheck disable=SC2086
		fio $args >"$RESULTS/fio-$name.stdout" 2>&1 &
		echo $! >"$RESULTS/fio-$name.pid"
		wait $!
		echo $? >"$RESULTS/fio-$name.rc"
	) </dev/null >/dev/null 2>&1 &
	LIB_WAIT_STEP=0.1 wait_for 10 test -s "$RESULTS/fio-$name.pid"
}

bench_fio_running() { # NAME
	[ ! -e "$RESULTS/fio-$1.rc" ]
}

# bench_fio_stop NAME : end it now; fio still writes its results (SIGINT)
bench_fio_stop() {
	bench_fio_running "$1" && kill -INT "$(cat "$RESULTS/fio-$1.pid")"
	return 0
}

# bench_fio_wait NAME : wait for it (killed after BENCH_RUNTIME * 3 + 90
# seconds), TAP line "fio NAME"; stopped by SIGINT (exit code 128 or
# 130) it counts as done when fio wrote its JSON
bench_fio_wait() {
	local name=$1 rc
	if ! wait_for $((BENCH_RUNTIME * 3 + 90)) \
		test -e "$RESULTS/fio-$name.rc"; then
		kill -KILL "$(cat "$RESULTS/fio-$name.pid")" 2>/dev/null
		wait_for 10 test -e "$RESULTS/fio-$name.rc"
	fi
	rc=$(cat "$RESULTS/fio-$name.rc" 2>/dev/null)
	case $rc in
	128|130) grep -q '"jobs"' "$RESULTS/fio-$name.json" && rc=0 ;;
	esac
	if [ "$rc" = 0 ]; then
		tap_ok "fio $name"
		return 0
	fi
	tap_fail "fio $name" "exit code ${rc:-none}" \
		"$(tail -n 5 "$RESULTS/fio-$name.stdout")"
	return 1
}

# bench_fio_all DEVICE : every job of BENCH_JOBS in turn
bench_fio_all() {
	local job
	echo "$1" >"$RESULTS/fio-device"
	for job in $BENCH_JOBS; do
		bench_fio "$job" "$1"
	done
}

# ---- resync benchmarks (bench_resync_drbd, bench_resync_raftblk) ----
# The copy covers the first BENCH_SIZE of the device (written before).
#   BENCH_RESYNC_JOB   the application's fio job during the copy
#                      (default randwrite-qd32)
BENCH_RESYNC_JOB=${BENCH_RESYNC_JOB:-randwrite-qd32}
#   BENCH_RESYNC_WARM  seconds fio runs before the window the IOPS without
#                      a copy are measured over, and that window's length
#                      (default 3)
BENCH_RESYNC_WARM=${BENCH_RESYNC_WARM:-3}

bench_writes() { # DEV : writes DEV completed (its block layer counter)
	awk '{ print $5 }' "/sys/block/$1/stat"
}

bench_now_ms() { # milliseconds since boot (10 ms steps)
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

bench_mib() { # SIZE like 512M or 1G -> MiB
	case $1 in
	*[Gg]) echo $((${1%?} * 1024)) ;;
	*[Mm]) echo "${1%?}" ;;
	*) echo $(($1 / 1048576)) ;;
	esac
}

# bench_fill DEVICE : write the first BENCH_SIZE of DEVICE with random
# data (16 MiB of /dev/urandom, repeated), O_DIRECT, 1 MiB blocks
bench_fill() {
	local mib i=0
	mib=$(bench_mib "$BENCH_SIZE")
	dd if=/dev/urandom of=/tmp/bench-pattern bs=1M count=16 2>/dev/null ||
		return 1
	while [ "$i" -lt "$mib" ]; do
		dd if=/tmp/bench-pattern of="$1" bs=1M count=16 seek="$i" \
			oflag=direct conv=notrunc 2>/dev/null || return 1
		i=$((i + 16))
	done
	rm -f /tmp/bench-pattern
}

# bench_result KEY VALUE : one line of $RESULTS/resync.txt (read by the
# host's report)
bench_result() {
	echo "$1=$2" >>"$RESULTS/resync.txt"
}

# bench_cpu_start / bench_cpu_stop LABEL : this VM's CPU time between the
# two (ticks of 10 ms: user, system, idle, iowait, softirq) and the
# threads that took most of it, as TAP diagnostics (where the time goes)
bench_thread_ticks() { # "comm ticks" of every thread
	local t
	for t in /proc/[0-9]*/task/[0-9]*; do
		echo "$(cat "$t/comm" 2>/dev/null)" \
			"$(cut -d' ' -f14,15 "$t/stat" 2>/dev/null)"
	done | awk 'NF == 3 { print $1, $2 + $3 }'
}
bench_cpu_start() {
	head -n 1 /proc/stat >/tmp/bench-cpu0
	bench_thread_ticks >/tmp/bench-thr0
}
bench_cpu_stop() {
	local s
	s=$(head -n 1 /proc/stat | cat /tmp/bench-cpu0 - | awk '
		NR == 1 { for (i = 2; i <= NF; i++) a[i] = $i; next }
		{ printf "user %d system %d idle %d iowait %d softirq %d",
			$2 - a[2], $4 - a[4], $5 - a[5], $6 - a[6], $8 - a[8] }')
	diag "$1: cpu ticks: $s"
	bench_thread_ticks | awk 'NR == FNR { a[$1] += $2; next }
		{ b[$1] += $2 }
		END { for (k in b) if (b[k] - a[k] > 0) print b[k] - a[k], k }' \
		/tmp/bench-thr0 - | sort -rn | head -n 8 |
		sed "s/^/$1: thread ticks: /" | while read -r l; do diag "$l"; done
}
