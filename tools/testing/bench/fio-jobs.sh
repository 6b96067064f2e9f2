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

[ -f /shared/bench/params ] && . /shared/bench/params
BENCH_RUNTIME=${BENCH_RUNTIME:-20}
BENCH_SIZE=${BENCH_SIZE:-512M}
BENCH_JOBS=${BENCH_JOBS:-randwrite-qd1 randwrite-qd32 seqwrite-1m randread-qd32}

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

# bench_fio JOB DEVICE : run one job, TAP line "fio JOB on DEVICE"
bench_fio() {
	local job=$1 dev=$2 args rc
	args=$(bench_job_args "$job") || {
		tap_fail "fio $job: unknown job"
		return 1
	}
	# shellcheck disable=SC2086
	run_timeout $((BENCH_RUNTIME * 3 + 90)) fio --name="$job" \
		--filename="$dev" --direct=1 --size="$BENCH_SIZE" \
		--time_based --runtime="$BENCH_RUNTIME" --norandommap \
		--randrepeat=0 --output-format=json \
		--output="$RESULTS/fio-$job.json" $args \
		>"$RESULTS/fio-$job.stdout" 2>&1
	rc=$?
	echo "$rc" >"$RESULTS/fio-$job.rc"
	if [ "$rc" -eq 0 ]; then
		tap_ok "fio $job on $dev"
		return 0
	fi
	tap_fail "fio $job on $dev" "exit code $rc" \
		"$(tail -n 5 "$RESULTS/fio-$job.stdout")"
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
