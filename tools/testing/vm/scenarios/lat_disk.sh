#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Diagnostic (not in make check): what a durable (REQ_FUA) write costs on
# the VM's virtio disk in the patterns of raftblk's log append (issue 15),
# fio on /dev/vdb of one VM. Each pattern writes $RESULTS/lat-NAME.json;
# tools/testing/bench/lat-disk-report prints the table.
#
#   r4k     4 KiB random FUA writes (the bench's randwrite-qd1 on the disk)
#   s8k     8 KiB sequential FUA writes: a log record (header + 4 KiB)
#           walking the ring
#   s4k     4 KiB sequential FUA writes
#   +bg     with 4 KiB random writes without FUA on another region at the
#           same time (the data-area writes of the previous entries)
#   +bg200  the same, the background at 200 writes/s
#   sparse  the region was never written (the host file has holes there);
#   alloc   the region was written before (blocks allocated on the host)
#
# With --nodes 1 every pattern above; with more, node 1 alone and then
# every node at once (solo-*, all-*): the host disk and CPUs shared as
# by raftblk's three nodes.
#
# Environment (from /shared/bench/params when present): LAT_RUNTIME
# seconds per pattern (default 10).
#
# vm-needs: bench
. /lib.sh

[ -f /shared/bench/params ] && . /shared/bench/params
LAT_RUNTIME=${LAT_RUNTIME:-10}
D=/dev/vdb

# lat NAME FIO-ARGS... : one pattern
lat() {
	local name=$1
	shift
	run_timeout $((LAT_RUNTIME * 3 + 90)) fio --filename=$D --direct=1 \
		--time_based --runtime="$LAT_RUNTIME" --norandommap \
		--randrepeat=0 --output-format=json \
		--output="$RESULTS/lat-$name.json" "$@" \
		>"$RESULTS/lat-$name.stdout" 2>&1
	check "fio $name" test -s "$RESULTS/lat-$name.json"
}

# the durable writes of a pattern (job "fg")
FUA4R="--name=fg --rw=randwrite --bs=4k --ioengine=psync --iodepth=1 --sync=1"
FUA8S="--name=fg --rw=write --bs=8k --ioengine=psync --iodepth=1 --sync=1"
FUA4S="--name=fg --rw=write --bs=4k --ioengine=psync --iodepth=1 --sync=1"
# the background writes (job "bg")
BG="--name=bg --rw=randwrite --bs=4k --ioengine=psync --iodepth=1"

# regions: A [0,256M) and B [256M,512M) random, R [512M,768M) a ring
fill() { # A and R written once: their blocks allocated on the host
	dd if=/dev/zero of=$D bs=1M seek=0 count=256 oflag=direct &&
		dd if=/dev/zero of=$D bs=1M seek=512 count=256 oflag=direct
}

check "fio present" command -v fio || finish
if [ "$NODES" = 1 ]; then
	lat r4k-sparse $FUA4R --offset=0 --size=256M
	lat s8k-sparse $FUA8S --offset=512M --size=256M
	check "fill A and R" fill
	lat r4k-alloc $FUA4R --offset=0 --size=256M
	lat s8k-alloc $FUA8S --offset=512M --size=256M
	lat s4k-alloc $FUA4S --offset=512M --size=256M
	lat s8k-alloc+bg-alloc $FUA8S --offset=512M --size=256M \
		$BG --offset=0 --size=256M
	lat s8k-alloc+bg200-alloc $FUA8S --offset=512M --size=256M \
		$BG --offset=0 --size=256M --rate_iops=200
	lat s8k-alloc+bg200-sparse $FUA8S --offset=512M --size=256M \
		$BG --offset=256M --size=256M --rate_iops=200
	lat r4k-alloc+bg200-alloc $FUA4R --offset=0 --size=128M \
		$BG --offset=128M --size=128M --rate_iops=200
	finish
fi
# Several VMs (raftblk's three nodes on one host disk): node 1 alone,
# then every node at once, in the same run.
check "fill A and R" fill
check "barrier: filled" barrier lat-filled || finish
if [ "$NODE" = 1 ]; then
	lat solo-r4k-alloc $FUA4R --offset=0 --size=256M
	lat solo-s8k-alloc $FUA8S --offset=512M --size=256M
fi
check "barrier: solo done" barrier lat-solo || finish
lat all-r4k-alloc $FUA4R --offset=0 --size=256M
check "barrier: all 1" barrier lat-all1 || finish
lat all-s8k-alloc $FUA8S --offset=512M --size=256M
check "barrier: all 2" barrier lat-all2 || finish
lat all-s8k-alloc+bg200-alloc $FUA8S --offset=512M --size=256M \
	$BG --offset=0 --size=256M --rate_iops=200
finish
