#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark target "plain": fio on the bare virtio disk /dev/vdb of one VM,
# the upper limit for the replicated devices. Run by tools/testing/bench/run
# (it puts the jobs into /shared/bench/); see tools/testing/bench/README.md.
#
# vm-needs: bench
. /lib.sh

check "bench jobs present in /shared/bench" test -f /shared/bench/fio-jobs.sh ||
	finish
. /shared/bench/fio-jobs.sh

if [ "$NODE" = 1 ]; then
	check "fio present" command -v fio
	bench_fio_all /dev/vdb
fi
finish
