#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One node, no replication: the standalone raftblk device end to end.
# Load the module, create raftblk0 over /dev/vdb, check raw I/O passes
# through, mkfs.ext4, mount, write files of known checksums, fsck, remount
# and verify; every kind of bad input with its exact exit code and message;
# destroy; rmmod with a device present. Then a replicated device on the
# same node: a one-node cluster bootstrapped, used, restarted from its disk
# with its data intact, and every refusal of the replication commands.
. /lib.sh

MNT=/mnt
DEV=raftblk0
LONG_NAME=raftblk0000000000000000000000001	# 32 characters
MAX_NAME=raftblk000000000000000000000001	# 31 characters

fs_files() { # write files of known content, record their checksums
	dd if=/dev/urandom of=$MNT/small bs=1 count=1000 2>/dev/null &&
	dd if=/dev/urandom of=$MNT/block bs=4096 count=1 2>/dev/null &&
	dd if=/dev/urandom of=$MNT/big bs=1M count=24 2>/dev/null &&
	mkdir -p $MNT/dir/sub &&
	echo "raftblk node$NODE" >$MNT/dir/sub/hello &&
	sync &&
	(cd $MNT && sha256sum small block big dir/sub/hello) >/tmp/sums
}

no_device() { # NAME: no trace of the device left
	! test -e "/dev/$1" && ! test -e "/sys/block/$1" &&
		! raftctl status 2>/dev/null | grep -q "^$1 "
}

# ---- module ----
expect_fail 1 "raftctl: raftblk module not loaded" raftctl status
check "insmod raftblk.ko" insmod "$RAFTBLK_KO" || finish
check "status with no device prints nothing" \
	sh -c 'test -z "$(raftctl status)"'
check "status --json with no device: empty list" \
	sh -c 'raftctl status --json | tr -d " \n" |
		grep -qx "{\"version\":1,\"devices\":\[\]}"'

# ---- create ----
check "create $DEV over /dev/vdb" raftctl create $DEV --disk /dev/vdb ||
	finish
check "/dev/$DEV is a block device" test -b /dev/$DEV
check "size is the backing disk's" \
	test "$(cat /sys/block/$DEV/size)" = "$(cat /sys/block/vdb/size)"
check "logical block size is the backing disk's" test \
	"$(cat /sys/block/$DEV/queue/logical_block_size)" = \
	"$(cat /sys/block/vdb/queue/logical_block_size)"
check "status lists $DEV as standalone on /dev/vdb" sh -c \
	"raftctl status | grep -Eq '^$DEV +standalone +/dev/vdb +1.0G +0\$'"
check "sysfs role is standalone" \
	test "$(cat /sys/block/$DEV/raftblk/role)" = standalone
for a in term leader commit_index applied_index; do
	check "sysfs $a is 0" test "$(cat /sys/block/$DEV/raftblk/$a)" = 0
done
check "sysfs attributes are read-only" sh -c \
	"! echo 1 >/sys/block/$DEV/raftblk/term"
json_has() { # FILE KEY VALUE: a line "KEY": VALUE in the JSON
	grep -q "^ *\"$2\": $3,\{0,1\}\$" "$1"
}
cap=$(($(cat /sys/block/vdb/size) * 512))
check "status $DEV --json" sh -c "raftctl status $DEV --json >/tmp/st.json"
check "json: name" json_has /tmp/st.json name "\"$DEV\""
check "json: disk" json_has /tmp/st.json disk '"/dev/vdb"'
check "json: role" json_has /tmp/st.json role '"standalone"'
check "json: capacity_bytes" json_has /tmp/st.json capacity_bytes $cap
check "json: logical_block_size" json_has /tmp/st.json logical_block_size \
	"$(cat /sys/block/vdb/queue/logical_block_size)"
check "json: open_count" json_has /tmp/st.json open_count 0

# ---- raw I/O passes straight through to the same sectors ----
dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 2>/dev/null
check "O_DIRECT write of 1 MiB at 6400 KiB" dd if=/tmp/pattern \
	of=/dev/$DEV bs=64k seek=100 oflag=direct conv=fsync
check "O_DIRECT read back through $DEV" sh -c \
	"dd if=/dev/$DEV bs=64k skip=100 count=16 iflag=direct 2>/dev/null |
		cmp - /tmp/pattern"
check "same data on /dev/vdb at the same offset" sh -c \
	"dd if=/dev/vdb bs=64k skip=100 count=16 iflag=direct 2>/dev/null |
		cmp - /tmp/pattern"
check "buffered write and read of the last 4 KiB" sh -c \
	"n=\$((\$(cat /sys/block/$DEV/size) / 8 - 1)) &&
	 dd if=/tmp/pattern of=/dev/$DEV bs=4k count=1 seek=\$n conv=fsync 2>/dev/null &&
	 echo 3 >/proc/sys/vm/drop_caches &&
	 dd if=/dev/$DEV bs=4k count=1 skip=\$n 2>/dev/null >/tmp/last &&
	 dd if=/tmp/pattern bs=4k count=1 2>/dev/null | cmp - /tmp/last"

# ---- metrics (raftctl metrics: the Prometheus text format) ----
metric() { # SERIES: its value in `raftctl metrics $DEV`, e.g. raftblk_x{...}
	raftctl metrics $DEV | awk -v k="$1" '$1 == k { print $2 }'
}
io_series() { # NAME OP [SUFFIX-LABELS]
	echo "$1{device=\"$DEV\",op=\"$2\"$3}"
}
histogram_sane() { # OP: buckets cumulative, +Inf bucket = _count
	raftctl metrics $DEV | awk -v op="$1" -v dev="$DEV" '
		index($1, "raftblk_request_duration_seconds_bucket{device=\"" dev "\",op=\"" op "\"") == 1 {
			if ($2 + 0 < last) bad = 1; last = $2 + 0; n++; inf = $2 }
		$1 == "raftblk_request_duration_seconds_count{device=\"" dev "\",op=\"" op "\"}" { cnt = $2 }
		END { exit !(n == 24 && !bad && inf == cnt && cnt > 0) }'
}
r0=$(metric "$(io_series raftblk_requests_total read)")
w0=$(metric "$(io_series raftblk_requests_total write)")
wb0=$(metric "$(io_series raftblk_request_bytes_total write)")
check "metrics: a standalone device has request counters" \
	test -n "$r0" -a -n "$w0" -a -n "$wb0"
check "O_DIRECT writes of 16 x 64 KiB" dd if=/tmp/pattern of=/dev/$DEV \
	bs=64k seek=100 oflag=direct
check "metrics: the 16 writes counted" test \
	"$(( $(metric "$(io_series raftblk_requests_total write)") - w0 ))" -ge 16
check "metrics: their bytes counted" test \
	"$(( $(metric "$(io_series raftblk_request_bytes_total write)") - wb0 ))" \
	-ge 1048576
check "O_DIRECT reads of 16 x 64 KiB" dd if=/dev/$DEV of=/dev/null bs=64k \
	skip=100 count=16 iflag=direct
check "metrics: the 16 reads counted" test \
	"$(( $(metric "$(io_series raftblk_requests_total read)") - r0 ))" -ge 16
check "metrics: write latency histogram is cumulative, +Inf = count" \
	histogram_sane write
check "metrics: read latency histogram is cumulative, +Inf = count" \
	histogram_sane read
check "metrics: no request failed" test \
	"$(metric "$(io_series raftblk_request_errors_total write)")" = 0
check "metrics: a standalone device is role standalone" test \
	"$(metric "raftblk_role{device=\"$DEV\",role=\"standalone\"}")" = 1
check "metrics: every family has HELP and TYPE once" sh -c \
	"raftctl metrics >/tmp/m.prom && test -s /tmp/m.prom &&
	 test \$(grep -c '^# TYPE ' /tmp/m.prom) = \$(grep -c '^# HELP ' /tmp/m.prom) &&
	 test -z \"\$(grep '^# TYPE ' /tmp/m.prom | sort | uniq -d)\""
check "metrics --output writes the file, no temporary left" sh -c \
	"raftctl metrics --output /tmp/out.prom && test -s /tmp/out.prom &&
	 ! test -e /tmp/out.prom.tmp && grep -q '^raftblk_requests_total' /tmp/out.prom"
expect_fail 2 "raftctl: metrics: --output needs a file name (see 'raftctl metrics --help')" \
	raftctl metrics --output ''
expect_fail 1 "raftctl: metrics: /nonexistent/dir/m.prom.tmp: No such file or directory" \
	raftctl metrics --output /nonexistent/dir/m.prom

parallel_io() { # 4 concurrent O_DIRECT writers, then read everything back
	pids=""
	for i in 1 2 3 4; do
		dd if=/dev/urandom of=/tmp/par$i bs=64k count=32 2>/dev/null
	done
	for i in 1 2 3 4; do
		dd if=/tmp/par$i of=/dev/$DEV bs=64k seek=$((i * 64)) \
			oflag=direct 2>/dev/null &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || return 1
	done
	for i in 1 2 3 4; do
		dd if=/dev/$DEV bs=64k skip=$((i * 64)) count=32 iflag=direct \
			2>/dev/null | cmp - /tmp/par$i || return 1
	done
}
check "4 concurrent writers, data read back intact" parallel_io
for q in discard_max_bytes discard_granularity write_zeroes_max_bytes \
	write_cache fua physical_block_size rotational; do
	check "queue/$q is the backing disk's" test \
		"$(cat /sys/block/$DEV/queue/$q)" = "$(cat /sys/block/vdb/queue/$q)"
done
if [ "$(cat /sys/block/vdb/queue/discard_max_bytes)" -gt 0 ]; then
	check "blkdiscard of 1 MiB" blkdiscard -o 1048576 -l 1048576 /dev/$DEV
else
	tap_skip "blkdiscard of 1 MiB" "/dev/vdb has no discard"
fi

# ---- filesystem ----
check "mkfs.ext4 /dev/$DEV" run_timeout 300 mkfs.ext4 -q -F /dev/$DEV ||
	finish
check "mount /dev/$DEV" mount -t ext4 /dev/$DEV $MNT || finish
check "write files of known checksums" fs_files
check "status shows the device open" sh -c \
	"raftctl status --json >/tmp/st.json"
check "json: open_count 1 while mounted" json_has /tmp/st.json open_count 1
expect_fail 1 "raftctl: destroy $DEV: device is open (Device or resource busy)" \
	raftctl destroy $DEV
check "still mounted and readable after the refused destroy" sh -c \
	"cd $MNT && sha256sum -c /tmp/sums"
check "umount" umount $MNT
check "fsck.ext4 -n is clean" fsck.ext4 -n -f /dev/$DEV
check "mount again" mount -t ext4 /dev/$DEV $MNT
check "checksums verify after remount" sh -c \
	"echo 3 >/proc/sys/vm/drop_caches && cd $MNT && sha256sum -c /tmp/sums"
check "umount again" umount $MNT

# ---- bad input: exact exit code and message, nothing half-made ----
expect_fail 1 "raftctl: destroy raftblk9: device does not exist (No such device)" \
	raftctl destroy raftblk9
expect_fail 1 "raftctl: status raftblk9: device does not exist (No such device)" \
	raftctl status raftblk9
expect_fail 1 "raftctl: create raftblk1: disk not found: /dev/vdz (No such file or directory)" \
	raftctl create raftblk1 --disk /dev/vdz
expect_fail 1 "raftctl: create raftblk1: disk is in use: /dev/vdb (Device or resource busy)" \
	raftctl create raftblk1 --disk /dev/vdb
expect_fail 1 "raftctl: create $DEV: device already exists (File exists)" \
	raftctl create $DEV --disk /dev/vda
expect_fail 1 "raftctl: create $LONG_NAME: invalid device name (at most 31 bytes): Attribute failed policy validation (Invalid argument)" \
	raftctl create $LONG_NAME --disk /dev/vda
for bad in foo raftblk raftblk1a Raftblk1 raftblk-1; do
	expect_fail 1 "raftctl: create $bad: device name must be raftblk followed by digits (Invalid argument)" \
		raftctl create $bad --disk /dev/vda
done
expect_fail 1 "raftctl: create raftblk1: disk path must be absolute: vda (Invalid argument)" \
	raftctl create raftblk1 --disk vda
expect_fail 1 "raftctl: create raftblk1: disk is not a block device: /dev/null (Block device required)" \
	raftctl create raftblk1 --disk /dev/null
expect_fail 2 "raftctl: create: --disk PATH is required (see 'raftctl create --help')" \
	raftctl create raftblk1
expect_fail 2 "raftctl: unknown verb 'frobnicate' (see 'raftctl --help')" \
	raftctl frobnicate
check "no raftblk1 was left behind" no_device raftblk1
check "/dev/vda is still free (opened exclusively and closed)" sh -c \
	'mkfs.ext4 -q -F /dev/vda'

# An unprivileged caller: mutating commands need CAP_NET_ADMIN.
grep -q '^nobody:' /etc/passwd ||
	echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>/etc/passwd
grep -q '^nogroup:' /etc/group || echo "nogroup:x:65534:" >>/etc/group
as_nobody() {
	su -s /bin/sh nobody -c "PATH=$PATH LD_LIBRARY_PATH=$LD_LIBRARY_PATH $*"
}
check "su nobody works" sh -c "test \"\$(su -s /bin/sh nobody -c 'id -u')\" = 65534"
expect_fail 1 "raftctl: create raftblk1: permission denied, CAP_NET_ADMIN required (Operation not permitted)" \
	as_nobody raftctl create raftblk1 --disk /dev/vda
expect_fail 1 "raftctl: destroy $DEV: permission denied, CAP_NET_ADMIN required (Operation not permitted)" \
	as_nobody raftctl destroy $DEV
# CAP_NET_ADMIN is not enough to create: the disk is opened by path with
# the kernel's rights (CAP_SYS_ADMIN).
expect_fail 1 "raftctl: create raftblk1: creating a device needs CAP_SYS_ADMIN (Operation not permitted)" \
	/usr/bin/setpriv --bounding-set -sys_admin raftctl create raftblk1 --disk /dev/vda
check "without CAP_SYS_ADMIN, CAP_NET_ADMIN still reads the status" sh -c \
	"/usr/bin/setpriv --bounding-set -sys_admin raftctl status | grep -q '^$DEV '"
check "an unprivileged caller may read the status" sh -c \
	"$(command -v su) -s /bin/sh nobody -c 'PATH=$PATH LD_LIBRARY_PATH=$LD_LIBRARY_PATH raftctl status' | grep -q '^$DEV '"

# Stacking a raftblk device on another one is refused.
expect_fail 1 "raftctl: create raftblk1: disk is itself a raftblk device: /dev/$DEV (Invalid argument)" \
	raftctl create raftblk1 --disk /dev/$DEV

# Network namespaces: a device is visible only in the namespace that made
# it; a device whose namespace dies moves to the initial namespace.
check "another namespace sees no device" sh -c \
	'test -z "$(unshare -n raftctl status)"'
expect_fail 1 "raftctl: destroy $DEV: device does not exist (No such device)" \
	unshare -n raftctl destroy $DEV
expect_fail 1 "raftctl: status $DEV: device does not exist (No such device)" \
	unshare -n raftctl status $DEV
expect_fail 1 "raftctl: create $DEV: device already exists in another network namespace (File exists)" \
	unshare -n raftctl create $DEV --disk /dev/vda
check "create raftblk1 in a namespace of its own, visible only there" \
	unshare -n sh -c 'raftctl create raftblk1 --disk /dev/vda &&
		raftctl status | grep -q "^raftblk1 " &&
		! raftctl status | grep -q "^'$DEV' "'
check "raftblk1 moves to the initial namespace when its namespace dies" \
	wait_for 30 sh -c 'raftctl status | grep -q "^raftblk1 "'
check "destroy raftblk1 from the initial namespace" raftctl destroy raftblk1
check "raftblk1 is gone" no_device raftblk1
# The root of a user namespace has CAP_NET_ADMIN over its own network
# namespace only: raftblk wants it in the initial one. Needs
# CONFIG_USER_NS (Debian's kernel has it, the debug kernel does not).
if [ -e /proc/self/ns/user ]; then
	expect_fail 1 "raftctl: create raftblk1: permission denied, CAP_NET_ADMIN required (Operation not permitted)" \
		unshare -r -n raftctl create raftblk1 --disk /dev/vda
else
	tap_skip "the root of a user namespace may not create a device" \
		"kernel without user namespaces (CONFIG_USER_NS)"
fi

# A name of exactly 31 characters is valid.
check "create $MAX_NAME (31 characters)" \
	raftctl create $MAX_NAME --disk /dev/vda
check "/dev/$MAX_NAME exists" test -b /dev/$MAX_NAME
check "status lists both devices" sh -c \
	"test \$(raftctl status | wc -l) = 3"
check "destroy $MAX_NAME" raftctl destroy $MAX_NAME
check "$MAX_NAME is gone" no_device $MAX_NAME

# Create/destroy in a loop while other callers read the status: every
# command succeeds and nothing is left behind.
churn() {
	(
		i=0
		while [ $i -lt 25 ]; do
			raftctl create raftblk7 --disk /dev/vda || exit 1
			raftctl destroy raftblk7 || exit 1
			i=$((i + 1))
		done
	) &
	churner=$!
	bad=0
	i=0
	while [ $i -lt 50 ]; do
		raftctl status >/dev/null || bad=1
		raftctl status --json >/dev/null || bad=1
		i=$((i + 1))
	done
	wait $churner || return 1
	[ $bad = 0 ] && no_device raftblk7
}
check "create/destroy churn with concurrent status dumps" churn

# Errors of the backing disk reach the caller: raftblk1 over a
# device-mapper device on /dev/vda whose table is swapped for "error".
backing_errors() {
	sz=$(cat /sys/block/vda/size)
	check "dm device over /dev/vda" \
		dmsetup create rbtest --table "0 $sz linear /dev/vda 0" || return
	# No udev in the VM: the device-mapper node is devtmpfs's /dev/dm-N.
	dm=/dev/dm-$(dmsetup info -c --noheadings -o minor rbtest)
	check "create raftblk1 over the dm device" \
		raftctl create raftblk1 --disk "$dm" || { dmsetup remove rbtest; return; }
	dd if=/dev/urandom of=/tmp/errpat bs=64k count=4 2>/dev/null
	check "write through raftblk1 while the disk works" dd if=/tmp/errpat \
		of=/dev/raftblk1 bs=64k oflag=direct conv=fsync
	check "switch the dm table to error" sh -c \
		"dmsetup suspend rbtest && dmsetup load rbtest --table '0 $sz error' &&
		 dmsetup resume rbtest"
	check "an O_DIRECT write fails with the disk's error" sh -c \
		"! dd if=/tmp/errpat of=/dev/raftblk1 bs=64k count=1 oflag=direct"
	check "an O_DIRECT read fails with the disk's error" sh -c \
		"! dd if=/dev/raftblk1 of=/dev/null bs=64k count=1 iflag=direct"
	check "fsync (a flush) fails with the disk's error" sh -c \
		"! dd if=/tmp/errpat of=/dev/raftblk1 bs=64k count=1 conv=fsync"
	check "switch the dm table back to linear" sh -c \
		"dmsetup suspend rbtest && dmsetup load rbtest --table '0 $sz linear /dev/vda 0' &&
		 dmsetup resume rbtest"
	check "I/O works again and the data is there" sh -c \
		"dd if=/dev/raftblk1 bs=64k count=4 iflag=direct 2>/dev/null |
			cmp - /tmp/errpat"
	check "destroy raftblk1" raftctl destroy raftblk1
	check "remove the dm device" dmsetup remove rbtest
}
# dmsetup and the dm targets are part of the image (build-initramfs,
# modules.list): their absence is a failure, not a skip.
check "dmsetup in the image" sh -c 'command -v dmsetup >/dev/null' &&
	backing_errors

# ---- destroy ----
check "destroy $DEV" raftctl destroy $DEV
check "$DEV is gone" no_device $DEV
check "the filesystem is intact on /dev/vdb itself" fsck.ext4 -n -f /dev/vdb
check "/dev/vdb can be used again" \
	raftctl create $DEV --disk /dev/vdb
check "the filesystem is there through the new device" sh -c \
	"mount -t ext4 -o ro /dev/$DEV $MNT && cd $MNT &&
	 sha256sum -c /tmp/sums; rc=\$?; cd /; umount $MNT; exit \$rc"

# ---- rmmod with a device present ----
check "rmmod with $DEV present" rmmod raftblk
check "no /dev/$DEV after rmmod" sh -c "! test -e /dev/$DEV"
check "no /sys/block/$DEV after rmmod" sh -c "! test -e /sys/block/$DEV"
check "/dev/vdb released by rmmod" sh -c \
	"mount -t ext4 -o ro /dev/vdb $MNT && umount $MNT"
expect_fail 1 "raftctl: raftblk module not loaded" raftctl status
check "insmod again" insmod "$RAFTBLK_KO"
check "create after reload" raftctl create $DEV --disk /dev/vdb
check "destroy after reload" raftctl destroy $DEV
check "rmmod with no device" rmmod raftblk

# ---- replication on one node: a one-node cluster ----
# Bootstrap a one-node cluster on /dev/vdb, use it, restart it from the
# disk, and every refusal of the replication commands.
LISTEN=$(addr_of "$NODE"):7789
RB_WAIT=${RB_ELECTION_WAIT:-60}
check "insmod for replication" insmod "$RAFTBLK_KO" || finish
check "wipe /dev/vdb's first MiB (a blank disk)" \
	dd if=/dev/zero of=/dev/vdb bs=1M count=1 oflag=direct
repl_json() { raftctl status $DEV --json >/tmp/repl.json; }
repl_index() { # KEY: a number of the device's status --json
	repl_json && sed -n "s/^ *\"$1\": \([0-9]*\),*\$/\1/p" /tmp/repl.json
}
repl_is_leader() {
	repl_json && json_has /tmp/repl.json role '"leader"'
}
check "create $DEV --node-id 1 --listen $LISTEN --bootstrap" \
	raftctl create $DEV --disk /dev/vdb --node-id 1 --listen "$LISTEN" \
	--bootstrap || finish
check "the one-node cluster elects itself leader" \
	wait_for "$RB_WAIT" repl_is_leader
raftctl status $DEV | sed 's/^/# /'
check "status --json: node_id 1" json_has /tmp/repl.json node_id 1
check "status --json: listen" json_has /tmp/repl.json listen "\"$LISTEN\""
check "status --json: leader_id 1" json_has /tmp/repl.json leader_id 1
check "status --json: no peers" grep -q '"peers": \[\]' /tmp/repl.json
check "status --json: heartbeat_ms 100" json_has /tmp/repl.json heartbeat_ms 100
check "status --json: election_timeout_ms 1000" \
	json_has /tmp/repl.json election_timeout_ms 1000
check "status --json: read_mode lease (the default)" \
	json_has /tmp/repl.json read_mode '"lease"'
check "status shows node, role and term" sh -c \
	"raftctl status $DEV | grep -q '^$DEV: node 1, leader, term [1-9]'"
# The log area of the device just created: 256 writes of 4 KiB are 256
# records of a header of one record block (512 bytes on these disks,
# their physical block) and 4 KiB of data; besides them only a few small
# entries (a no-op per election, barriers).
la_blk=$(repl_index log_record_block)
la_w0=$(repl_index log_area_written)
la_used=$(repl_index log_area_used)
la_size=$(repl_index log_area_size)
check "status --json: log_record_block is the disk's physical block, 512" \
	sh -c "test '$la_blk' = 512 &&
	       test '$la_blk' = \$(cat /sys/block/vdb/queue/physical_block_size)"
check "status --json: log_area_written $la_w0, used $la_used of size $la_size" \
	sh -c "test '$la_w0' -ge 0 && test '$la_used' -ge 0 &&
	       test '$la_size' -gt 0 && test '$la_used' -le '$la_size'"
check "256 separate O_DIRECT writes of 4 KiB" dd if=/dev/urandom \
	of=/dev/$DEV bs=4096 count=256 oflag=direct
la_min=$((${la_w0:-0} + 256 * (4096 + ${la_blk:-0})))
la_grown() { test "$(repl_index log_area_written)" -ge "$la_min"; }
check "log_area_written grew by 256 records (4 KiB + a record block each)" \
	wait_for 10 la_grown
la_w1=$(repl_index log_area_written)
la_used=$(repl_index log_area_used)
la_size=$(repl_index log_area_size)
check "... and by less than 64 KiB more ($la_w0 -> $la_w1)" \
	test $((${la_w1:-0} - ${la_w0:-0})) -lt $((la_min - ${la_w0:-0} + 65536))
check "256 writes of 4 KiB cost at most 4.6 KiB of log each" \
	test $(((${la_w1:-0} - ${la_w0:-0}) * 10)) -le $((256 * 46 * 1024))
check "log_area_used <= log_area_size ($la_used of $la_size)" \
	test "${la_used:-1}" -le "${la_size:-0}"
check "status shows the log area" sh -c "raftctl status $DEV |
	grep -Eq '^  log area [0-9]+\.[0-9] MiB used of [0-9]+\.[0-9] MiB, record block 512 B, [0-9]+\.[0-9] MiB written\$'"
check "metrics: the log area as status --json has it" sh -c \
	"raftctl metrics $DEV >/tmp/la.prom &&
	 grep -qx 'raftblk_log_record_block_bytes{device=\"$DEV\"} 512' /tmp/la.prom &&
	 grep -qx 'raftblk_log_area_size_bytes{device=\"$DEV\"} $la_size' /tmp/la.prom &&
	 grep -q '^raftblk_log_area_used_bytes{device=\"$DEV\"} [0-9]' /tmp/la.prom &&
	 awk '\$1 == \"raftblk_log_area_written_bytes_total{device=\\\"$DEV\\\"}\" &&
	      \$2 >= ${la_w1:-0} { ok = 1 } END { exit !ok }' /tmp/la.prom"
check "the device is smaller than the disk (log area)" test \
	"$(cat /sys/block/$DEV/size)" -lt "$(cat /sys/block/vdb/size)"
check "sysfs role is leader" \
	test "$(cat /sys/block/$DEV/raftblk/role)" = leader
check "peer list: no peers" sh -c \
	"raftctl peer list $DEV | grep -qx 'no peers'"
dd if=/dev/urandom of=/tmp/rpat bs=64k count=16 2>/dev/null
check "replicated O_DIRECT write of 1 MiB" dd if=/tmp/rpat \
	of=/dev/$DEV bs=64k seek=10 oflag=direct conv=fsync
check "read back through $DEV" sh -c \
	"dd if=/dev/$DEV bs=64k skip=10 count=16 iflag=direct 2>/dev/null |
		cmp - /tmp/rpat"
check "metrics: a replicated device's writes are counted" test \
	"$(metric "$(io_series raftblk_requests_total write)")" -ge 16
check "metrics: role leader" test \
	"$(metric "raftblk_role{device=\"$DEV\",role=\"leader\"}")" = 1
check "metrics: commit index is status's" test \
	"$(metric "raftblk_commit_index{device=\"$DEV\"}")" = \
	"$(raftctl status $DEV --json | sed -n 's/^ *"commit_index": \([0-9]*\),*$/\1/p')"
check "metrics: proposals counted" test \
	"$(metric "raftblk_proposals_total{device=\"$DEV\"}")" -ge 16
phase_count() { # PHASE: how many times the phase was timed
	metric "raftblk_phase_duration_seconds_count{device=\"$DEV\",phase=\"$1\"}"
}
for ph in write-copy write-queue write-log write-commit write-apply log-append; do
	check "metrics: phase $ph timed for the writes" \
		test "$(phase_count $ph)" -ge 16
done
check "metrics: phases apply-wait, read-barrier and read-data timed" sh -c \
	"test \$(raftctl metrics $DEV | awk '/^raftblk_phase_duration_seconds_count/ &&
		/phase=\"(apply-wait|read-barrier|read-data)\"/ && \$2 > 0' | wc -l) = 3"
# raftctl top under tmux: drawn in place, refreshed, q quits.
pane() { tmux capture-pane -p -t top; }
pane_flag() { tmux display-message -p -t top "#{$1}"; }
check "top starts in a tmux pane" env TERM=screen tmux -f /dev/null \
	new-session -d -s top -x 150 -y 30 \
	"raftctl top --interval 0.5 $DEV; echo \$? >/tmp/top.rc"
check "remain-on-exit (the screen stays readable after top quits)" \
	tmux set-option -w -t top remain-on-exit on
check "top shows the device as leader with its term and indexes" \
	wait_for 30 sh -c "tmux capture-pane -p -t top |
		grep -Eq '^$DEV  leader .* term [1-9][0-9]* .* commit [0-9]+ +applied [0-9]+ +disk ok'"
check "top draws on the alternate screen" test "$(pane_flag alternate_on)" = 1
top_commit() { pane | sed -n "s/.* commit \([0-9]*\) .*/\1/p"; }
c_before=$(top_commit)
dd if=/tmp/rpat of=/dev/$DEV bs=64k seek=10 oflag=direct 2>/dev/null
check "top refreshes: the commit index it shows advances with writes" \
	wait_for 30 sh -c "test \"\$(tmux capture-pane -p -t top |
		sed -n 's/.* commit \([0-9]*\) .*/\1/p')\" -gt ${c_before:-999999999}"
check "top redraws in place: one header, at the top" sh -c \
	"tmux capture-pane -p -t top >/tmp/pane && head -1 /tmp/pane | grep -q '^raftctl top ' &&
	 test \$(grep -c '^raftctl top ' /tmp/pane) = 1"
check "top shows a write rate with its median latency" wait_for 30 sh -c \
	"dd if=/tmp/rpat of=/dev/$DEV bs=64k seek=10 oflag=direct 2>/dev/null;
	 tmux capture-pane -p -t top | grep -Eq 'write [1-9][0-9]*/s .*/s p50 <[0-9]+(us|ms|s)'"
tmux send-keys -t top q
check "q quits top" wait_for 30 sh -c \
	"test \"\$(tmux display-message -p -t top '#{pane_dead}')\" = 1"
check "top exits with status 0" test "$(cat /tmp/top.rc)" = 0
check "top leaves the alternate screen" test "$(pane_flag alternate_on)" = 0
pane | sed 's/^/# /' | head -5
tmux kill-server >/dev/null 2>&1
check "top --batch --count 2 prints two frames and exits" sh -c \
	"raftctl top --batch --count 2 --interval 0.2 $DEV >/tmp/top.out &&
	 test \$(grep -c '^raftctl top ' /tmp/top.out) = 2 &&
	 ! grep -q \"\$(printf '\\033')\" /tmp/top.out"
expect_fail 1 "raftctl: top nosuchdev: device does not exist (No such device)" \
	raftctl top --batch --count 1 nosuchdev
check "mkfs.ext4 on the replicated device" \
	run_timeout 600 mkfs.ext4 -q -F /dev/$DEV || finish
check "mount it" mount -t ext4 /dev/$DEV $MNT || finish
check "write files of known checksums" fs_files
check "umount" umount $MNT
check "fsck.ext4 -n is clean" fsck.ext4 -n -f /dev/$DEV
check "the files read back from the disk after a remount" sh -c \
	"mount -t ext4 /dev/$DEV $MNT && echo 3 >/proc/sys/vm/drop_caches &&
	 cd $MNT && sha256sum -c /tmp/sums; rc=\$?; cd /; umount $MNT; exit \$rc"
check "commit index advanced with the writes" \
	test "$(repl_index commit_index)" -gt 10
check "applied index is the commit index (one node)" \
	test "$(repl_index applied_index)" = "$(repl_index commit_index)"
check "destroy the replicated device" raftctl destroy $DEV
check "$DEV is gone" no_device $DEV

# Restart from the disk: the same node id, no --bootstrap.
check "create again without --bootstrap (a restart)" \
	raftctl create $DEV --disk /dev/vdb --node-id 1 --listen "$LISTEN" \
	--heartbeat-ms 200 --election-timeout-ms 1500 \
	--read-mode readindex || finish
check "the restarted node is leader again" wait_for "$RB_WAIT" repl_is_leader
check "status --json: read_mode readindex from create on" \
	json_has /tmp/repl.json read_mode '"readindex"'
check "status --json: heartbeat_ms 200" json_has /tmp/repl.json heartbeat_ms 200
check "status --json: election_timeout_ms 1500" \
	json_has /tmp/repl.json election_timeout_ms 1500
check "the files are intact after the restart" sh -c \
	"mount -t ext4 /dev/$DEV $MNT && cd $MNT &&
	 sha256sum -c /tmp/sums; rc=\$?; cd /; umount $MNT; exit \$rc"

# ---- options online, the event stream, resource files ----
check "set --max-batch 8 --read-mode readindex" \
	raftctl set $DEV --max-batch 8 --read-mode readindex
check "status --json after set" repl_json
check "status --json: max_batch 8" json_has /tmp/repl.json max_batch 8
check "status --json: read_mode readindex" json_has /tmp/repl.json read_mode '"readindex"'
check "status --json: the timers kept" json_has /tmp/repl.json heartbeat_ms 200
check "status shows the options" sh -c \
	"raftctl status $DEV | grep -q 'election timeout 1500 ms, max batch 8, read mode readindex'"
check "reads in readindex mode" sh -c \
	"dd if=/dev/$DEV bs=64k count=16 iflag=direct of=/dev/null"
expect_fail 1 "raftctl: set $DEV: election timeout must be at least 3 heartbeats (Invalid argument)" \
	raftctl set $DEV --election-timeout-ms 500
expect_fail 1 "raftctl: set raftblk9: device does not exist (No such device)" \
	raftctl set raftblk9 --max-batch 3
expect_fail 1 "raftctl: set $DEV: permission denied, CAP_NET_ADMIN required (Operation not permitted)" \
	as_nobody raftctl set $DEV --max-batch 3
check "set back to lease" raftctl set $DEV --read-mode lease
check "reads in lease mode" sh -c \
	"dd if=/dev/$DEV bs=64k count=16 iflag=direct of=/dev/null"

check "events --now: the device" sh -c "raftctl events --now >/tmp/ev.now &&
	grep -Eq '^exists device $DEV role:leader term:[1-9][0-9]* leader:1 disk:/dev/vdb node-id:1 listen:$LISTEN heartbeat-ms:200 election-timeout-ms:1500 max-batch:8 read-mode:lease resync-rate:[0-9]+ log-memory:[1-9][0-9]* auto-promote:yes auto-promote-timeout-ms:5000 disk-state:ok waiting:none\$' /tmp/ev.now"
check "events --now: ends with 'exists -'" sh -c \
	"test \"\$(tail -n 1 /tmp/ev.now)\" = 'exists -'"
sed 's/^/# /' /tmp/ev.now
check "events --now --json: one object per line, then the marker" sh -c \
	"raftctl events --now --json >/tmp/ev.json &&
	 grep -q '^{\"event\": \"exists\", \"object\": \"device\", \"device\": \"$DEV\", \"device_id\": [0-9]*, \"seq\": [0-9]*, \"time\": \"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{6\}Z\", \"role\": \"leader\", \"term\": [0-9]*, \"leader\": 1, ' /tmp/ev.json &&
	 test \"\$(tail -n 1 /tmp/ev.json)\" = '{\"event\": \"initial-state-done\"}'"
check "events --now --timestamps: each line starts with the time (UTC)" sh -c \
	"raftctl events --now --timestamps >/tmp/ev.ts &&
	 grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z exists device $DEV role:leader ' /tmp/ev.ts"
check "--version names the loaded module's version" sh -c \
	"raftctl --version | grep -qx 'raftblk module 0.1 (loaded)'"
check "events --now with another device's name prints only the marker" \
	sh -c "test \"\$(raftctl events raftblk9 --now)\" = 'exists -'"

# Resource files: this node (1) and one that is not up (2).
mkdir -p /tmp/rbconf
cat >/tmp/rbconf/r0.conf <<EOF
# one node up here, node 2 never comes
[resource]
device = $DEV
bootstrap-node = 1
max-batch = 4

[node 1]
host = node1-of-the-test
address = $LISTEN
disk = /dev/vdb

[node 2]
host = node2-of-the-test
address = 127.0.0.1:7795
disk = /dev/vdb
EOF
# The live stream while the device goes down and comes up again.
raftctl events --json >/tmp/ev.live 2>/tmp/ev.live.err &
ev_pid=$!
ev_has() { grep -q "$1" /tmp/ev.live; }
check "events: the initial state is out" wait_for 30 ev_has initial-state-done
check "up on a device that is up: nothing to create" sh -c \
	"raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 60 >/tmp/up.out &&
	 grep -q '^$DEV: already up (node 1, leader)' /tmp/up.out"
sed 's/^/# /' /tmp/up.out
check "up set the file's max-batch" sh -c \
	"raftctl status $DEV | grep -q 'max batch 4,'"
check "events: the options change" wait_for 30 ev_has \
	"\"event\": \"change\", \"object\": \"device\", \"device\": \"$DEV\", .*\"max_batch\": 4"
check "up on the leader added node 2 as a learner" sh -c \
	"raftctl peer list $DEV | grep -Eq '^ *2 +127.0.0.1:7795 +learner '"
check "events: node 2 joined" wait_for 30 ev_has \
	"\"event\": \"create\", \"object\": \"peer\", \"device\": \"$DEV\", .*\"peer\": 2, \"role\": \"learner\""
check "up again: node 2 is not added twice" \
	raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 60
# up applies exactly the file's options (what drbdadm adjust does): an
# option taken out of the file goes back to its default, it does not keep
# the value the file gave before. Every settable option, one by one.
check "status --json before the options of the file" repl_json
lm_default=$(sed -n 's/^ *"log_memory": \([0-9]*\),\{0,1\}$/\1/p' /tmp/repl.json)
echo "# log_memory default here: $lm_default"
opts_of_file="heartbeat-ms = 150
election-timeout-ms = 1200
read-mode = readindex
resync-rate = 20M
log-memory = 8M
auto-promote = no
auto-promote-timeout-ms = 7000"
printf '%s\n' "$opts_of_file" >/tmp/rbconf/opts
sed -i '/^max-batch = 4$/r /tmp/rbconf/opts' /tmp/rbconf/r0.conf
check "up with every option in the file" \
	raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 60
check "status --json after up" repl_json
for kv in "heartbeat_ms 150" "election_timeout_ms 1200" "max_batch 4" \
	'read_mode "readindex"' "resync_rate 20971520" "log_memory 8388608" \
	"auto_promote false" "auto_promote_timeout_ms 7000"; do
	# shellcheck disable=SC2086 # KEY VALUE
	check "up set the file's ${kv% *}" json_has /tmp/repl.json $kv
done
sed -i '/^\(heartbeat-ms\|election-timeout-ms\|read-mode\|resync-rate\|log-memory\|auto-promote\|auto-promote-timeout-ms\|max-batch\) = /d' \
	/tmp/rbconf/r0.conf
check "the file gives no option any more" sh -c \
	"! grep -E '^(heartbeat|election|read|resync|log|auto|max)' /tmp/rbconf/r0.conf"
check "up again after the options left the file" \
	raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 60
check "status --json after up again" repl_json
for kv in "heartbeat_ms 100" "election_timeout_ms 1000" "max_batch 64" \
	'read_mode "lease"' "resync_rate 0" "log_memory $lm_default" \
	"auto_promote true" "auto_promote_timeout_ms 5000"; do
	# shellcheck disable=SC2086 # KEY VALUE
	check "up put the default ${kv% *} back" json_has /tmp/repl.json $kv
done
sed 's/^/# /' /tmp/repl.json | grep -E 'ms"|batch|mode|rate"|memory|promote'
# set --defaults: the same by hand, but for the options given.
check "set --resync-rate 30M --max-batch 5" \
	raftctl set $DEV --resync-rate 30M --max-batch 5
check "set --defaults --max-batch 7" raftctl set $DEV --defaults --max-batch 7
check "status --json after set --defaults" repl_json
check "set --defaults: the resync rate back to dynamic" \
	json_has /tmp/repl.json resync_rate 0
check "set --defaults: the max batch given" json_has /tmp/repl.json max_batch 7
check "set --defaults alone" raftctl set $DEV --defaults
check "status --json after set --defaults alone" repl_json
check "set --defaults alone: max batch 64" json_has /tmp/repl.json max_batch 64
expect_fail 1 "raftctl: set $DEV: election timeout must be at least 3 heartbeats (Invalid argument)" \
	raftctl set $DEV --defaults --election-timeout-ms 200
expect_fail 1 "raftctl: set $DEV: heartbeat must be at most a third of the election timeout (Invalid argument)" \
	raftctl set $DEV --defaults --heartbeat-ms 400
check "a refused set --defaults changed nothing" sh -c \
	"raftctl status $DEV --json >/tmp/repl.json &&
	 grep -q '\"heartbeat_ms\": 100,' /tmp/repl.json &&
	 grep -q '\"election_timeout_ms\": 1000,' /tmp/repl.json"
# up again after the file changed (what drbdadm adjust does): a member
# cannot move, so a new address is refused with the way to do it; a node
# taken out of the file is removed from the cluster.
sed -i 's/127.0.0.1:7795/127.0.0.1:7796/' /tmp/rbconf/r0.conf
check "up refuses a member's changed address, saying how" sh -c \
	"! raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 60 2>/tmp/up.err &&
	 grep -qx \"raftctl: up r0: node 2 is a member at 127.0.0.1:7795, the file says 127.0.0.1:7796: a member keeps its address ('raftctl peer remove $DEV 2', then 'up' again adds it at the new one)\" /tmp/up.err"
sed 's/^/# /' /tmp/up.err
check "node 2 is still a member at its address" sh -c \
	"raftctl peer list $DEV | grep -Eq '^ *2 +127.0.0.1:7795 +learner '"
sed -i '/^\[node 2\]/,$d' /tmp/rbconf/r0.conf
check "up removes node 2, taken out of the file (it never came)" sh -c \
	"raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 60 >/tmp/up.out &&
	 grep -qx '$DEV: removed node 2, which the file no longer has' /tmp/up.out"
sed 's/^/# /' /tmp/up.out
# peer remove returns once the change is proposed; the list shows it
# once applied (a node thread stalled under TCG took longer than the
# next command once)
not_member2() { ! raftctl peer list $DEV | grep -Eq '^ *2 '; }
check "node 2 is no member any more" wait_for 30 not_member2
check "events: node 2 left" wait_for 30 ev_has \
	"\"event\": \"destroy\", \"object\": \"peer\", \"device\": \"$DEV\", .*\"peer\": 2"
check "down" sh -c "raftctl down r0 --config-dir /tmp/rbconf --node-id 1 >/tmp/down.out &&
	grep -qx '$DEV: destroyed' /tmp/down.out"
check "$DEV is gone after down" no_device $DEV
check "down again: already down" sh -c \
	"raftctl down r0 --config-dir /tmp/rbconf --node-id 1 | grep -qx '$DEV: already down'"
check "events: the device destroyed" wait_for 30 ev_has \
	"\"event\": \"destroy\", \"object\": \"device\", \"device\": \"$DEV\""
# bootstrap-node is this node, but the disk holds a log: a restart.
# (Node 2 out of the file: up would add it again.)
sed -i '/^\[node 2\]/,$d' /tmp/rbconf/r0.conf
check "up again: restarted from the log, not bootstrapped" sh -c \
	"raftctl up r0 --config-dir /tmp/rbconf --node-id 1 --timeout 120 >/tmp/up.out &&
	 grep -q '^$DEV: created over /dev/vdb as node 1, from the log on the disk' /tmp/up.out"
sed 's/^/# /' /tmp/up.out
check "events: created again" wait_for 30 ev_has \
	"\"event\": \"create\", \"object\": \"device\", \"device\": \"$DEV\", .*\"seq\": 1,"
check "events: leader again" wait_for "$RB_WAIT" ev_has \
	"\"event\": \"change\", \"object\": \"device\", \"device\": \"$DEV\", .*\"role\": \"leader\""
check "the files are intact after down and up" sh -c \
	"mount -t ext4 /dev/$DEV $MNT && cd $MNT &&
	 sha256sum -c /tmp/sums; rc=\$?; cd /; umount $MNT; exit \$rc"
kill "$ev_pid" 2>/dev/null
wait "$ev_pid" 2>/dev/null
check "events: nothing on stderr" test ! -s /tmp/ev.live.err
check "events: every line is one JSON object" sh -c \
	"! grep -v '^{\"event\": \".*}\$' /tmp/ev.live"
sed 's/^/# /' /tmp/ev.live | head -n 40

# A blank disk of the bootstrap node: up starts the cluster.
cat >/tmp/rbconf/r1.conf <<EOF
[resource]
device = raftblk1
bootstrap-node = 2
[node 2]
host = node2-of-the-test
address = 127.0.0.1:7792
disk = /dev/vda
EOF
check "wipe /dev/vda for r1" dd if=/dev/zero of=/dev/vda bs=1M count=1 oflag=direct
check "up r1 on a blank disk bootstraps" sh -c \
	"raftctl up r1 --config-dir /tmp/rbconf --node-id 2 --timeout 120 >/tmp/up.out &&
	 grep -q '^raftblk1: created over /dev/vda as node 2, new cluster (bootstrap)' /tmp/up.out"
check "down r1" raftctl down r1 --config-dir /tmp/rbconf --node-id 2
check "up r1 again restarts from the log" sh -c \
	"raftctl up r1 --config-dir /tmp/rbconf --node-id 2 --timeout 120 >/tmp/up.out &&
	 grep -q '^raftblk1: created over /dev/vda as node 2, from the log' /tmp/up.out"
check "down r1 once more" raftctl down r1 --config-dir /tmp/rbconf --node-id 2
check "wipe /dev/vda after r1" \
	dd if=/dev/zero of=/dev/vda bs=1M count=1 oflag=direct

# A reader too slow for the kernel loses events: it says so ('resync -')
# and prints the state again, then goes on. Its socket gets a small
# receive buffer (rmem_max caps what raftctl asks for) so that a hundred
# events overflow it.
rmem_max=$(cat /proc/sys/net/core/rmem_max)
echo 16384 >/proc/sys/net/core/rmem_max
raftctl events >/tmp/ev.slow 2>/tmp/ev.slow.err &
slow_pid=$!
check "events: a reader that will be stopped is up" \
	wait_for 30 grep -qx 'exists -' /tmp/ev.slow
echo "$rmem_max" >/proc/sys/net/core/rmem_max
kill -STOP "$slow_pid"
churn() { # N: create and destroy raftblk2 N times
	local i=0
	while [ $i -lt "$1" ]; do
		raftctl create raftblk2 --disk /dev/vda && raftctl destroy raftblk2 ||
			return 1
		i=$((i + 1))
	done
}
check "100 creates and destroys while the reader is stopped" churn 100
kill -CONT "$slow_pid"
check "events: the stopped reader says it resyncs" \
	wait_for 60 grep -qx 'resync -' /tmp/ev.slow
check "events: after the resync, the state again and 'exists -'" \
	wait_for 30 sh -c "awk '/^resync -\$/ { r = 1 }
		r && /^exists device $DEV / { d = 1 }
		r && d && /^exists -\$/ { ok = 1 } END { exit !ok }' /tmp/ev.slow"
check "events: the stream goes on after the resync" sh -c \
	"raftctl create raftblk2 --disk /dev/vda && raftctl destroy raftblk2"
check "events: the reader sees the new device after the resync" \
	wait_for 30 sh -c "awk '/^resync -\$/ { r = 1 }
		r && /^destroy device raftblk2\$/ { ok = 1 } END { exit !ok }' /tmp/ev.slow"
kill "$slow_pid" 2>/dev/null
wait "$slow_pid" 2>/dev/null
check "events: the slow reader printed no error" test ! -s /tmp/ev.slow.err
grep -n -m 3 -A 2 '^resync -' /tmp/ev.slow | sed 's/^/# /'

# Refusals of the replication commands.
expect_fail 1 "raftctl: peer add $DEV 1: invalid membership change (Invalid argument)" \
	raftctl peer add $DEV 1 "$LISTEN"
expect_fail 1 "raftctl: transfer-leader $DEV 9: leader transfer refused (Invalid argument)" \
	raftctl transfer-leader $DEV 9
# Mounted (open for writing) here: refused, unless --force.
check "mount for the transfer refusal" mount -t ext4 /dev/$DEV $MNT
expect_fail 1 "raftctl: transfer-leader $DEV 9: the device is open for writing here (mounted?): close it first, or force (Device or resource busy)" \
	raftctl transfer-leader $DEV 9
expect_fail 1 "raftctl: transfer-leader $DEV 9: leader transfer refused (Invalid argument)" \
	raftctl transfer-leader $DEV 9 --force
check "umount after the transfer refusal" umount $MNT
check "destroy before the bootstrap test" raftctl destroy $DEV
expect_fail 1 "raftctl: create $DEV: the disk already holds a raftblk log: create without --bootstrap to restart this node (File exists)" \
	raftctl create $DEV --disk /dev/vdb --node-id 1 --listen "$LISTEN" \
	--bootstrap
check "nothing left after the refused bootstrap" no_device $DEV
expect_fail 1 "raftctl: create $DEV: the disk belongs to another node id (Invalid argument)" \
	raftctl create $DEV --disk /dev/vdb --node-id 2 --listen "$LISTEN"
check "nothing left after the refused node id" no_device $DEV
check "/dev/vdb is free after the refusals" sh -c \
	"exec 3</dev/vdb && dd if=/dev/vdb of=/dev/null bs=4k count=1 2>/dev/null"
check "a standalone device" raftctl create raftblk1 --disk /dev/vda
expect_fail 1 "raftctl: peer add raftblk1 2: device is not replicated (Operation not supported)" \
	raftctl peer add raftblk1 2 10.0.0.2:7789
expect_fail 1 "raftctl: peer remove raftblk1 2: device is not replicated (Operation not supported)" \
	raftctl peer remove raftblk1 2
expect_fail 1 "raftctl: transfer-leader raftblk1 2: device is not replicated (Operation not supported)" \
	raftctl transfer-leader raftblk1 2
expect_fail 1 "raftctl: peer list raftblk1: device is not replicated" \
	raftctl peer list raftblk1
expect_fail 1 "raftctl: peer add raftblk9 2: device does not exist (No such device)" \
	raftctl peer add raftblk9 2 10.0.0.2:7789
check "destroy the standalone device" raftctl destroy raftblk1
for bad in 10.0.0.1 10.0.0.1:0 10.0.0.1:70000 10.0.0.256:7789 fd00::1:7789 \
	'[fd00::1]' '[fd00::1]7789' host:7789 0.0.0.0:7789 '[::]:7789'; do
	check "bad address '$bad' refused with exit 2" sh -c \
		"raftctl create $DEV --disk /dev/vdb --node-id 1 --listen '$bad' 2>/tmp/bad.err; test \$? = 2 && grep -q 'bad --listen address' /tmp/bad.err"
done
expect_fail 2 "raftctl: create: --node-id needs --listen ADDR:PORT (see 'raftctl create --help')" \
	raftctl create $DEV --disk /dev/vdb --node-id 1
expect_fail 2 "raftctl: create: --listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id (see 'raftctl create --help')" \
	raftctl create $DEV --disk /dev/vdb --bootstrap
check "nothing was created by the bad commands" no_device $DEV

# A replicated device whose network namespace dies loses its sockets and
# moves to the initial namespace, where it can be destroyed.
check "replicated raftblk1 in a namespace of its own" \
	unshare -n sh -c 'ip link set lo up &&
		raftctl create raftblk1 --disk /dev/vda --node-id 5 \
			--listen 127.0.0.1:7790 --bootstrap &&
		raftctl status raftblk1 | grep -q "^raftblk1: node 5"'
check "it moves to the initial namespace when its namespace dies" \
	wait_for 30 sh -c 'raftctl status | grep -q "^raftblk1 "'
check "destroy it from the initial namespace" raftctl destroy raftblk1
check "raftblk1 is gone" no_device raftblk1

# A stalled disk holds up only its own device (issue 9 defect 10): the
# log disk of raftblk1 is suspended (dm) while a write is in flight, so
# its node thread waits in a log write. Status of every device (that one
# included), its sysfs, and creating and destroying another device must
# still answer. Each probe runs in the background with a generous bound
# (a hang, not a speed, is what fails): a probe stuck in the kernel
# cannot be killed until the disk resumes.
STALL_BOUND=${STALL_BOUND:-60}
probe() { # NAME CMD...: run CMD in the background, rc in /tmp/probe.NAME.rc
	_p=$1
	shift
	rm -f /tmp/probe.$_p.rc
	( "$@" >/tmp/probe.$_p.out 2>&1; echo $? >/tmp/probe.$_p.rc ) &
}
probe_ok() { # NAME: the probe finished with 0
	test -s /tmp/probe.$1.rc && test "$(cat /tmp/probe.$1.rc)" = 0
}
all_probes_done() {
	for _p in "$@"; do test -s /tmp/probe.$_p.rc || return 1; done
}
stalled_disk() {
	sz=$(cat /sys/block/vda/size)
	half=$((sz / 2))
	check "two dm devices over /dev/vda (slow, fast)" sh -c \
		"dmsetup create rbslow --table '0 $half linear /dev/vda 0' &&
		 dmsetup create rbfast --table '0 $half linear /dev/vda $half'" ||
		return
	slow=/dev/dm-$(dmsetup info -c --noheadings -o minor rbslow)
	fast=/dev/dm-$(dmsetup info -c --noheadings -o minor rbfast)
	dd if=/dev/zero of="$slow" bs=1M count=1 oflag=direct 2>/dev/null
	dd if=/dev/zero of="$fast" bs=1M count=1 oflag=direct 2>/dev/null
	check "replicated raftblk1 over the slow one" \
		raftctl create raftblk1 --disk "$slow" --node-id 3 \
		--listen 127.0.0.1:7793 --bootstrap
	check "replicated raftblk2 over the fast one" \
		raftctl create raftblk2 --disk "$fast" --node-id 4 \
		--listen 127.0.0.1:7794 --bootstrap
	check "both elect themselves" wait_for "$RB_WAIT" sh -c \
		"raftctl status raftblk1 | grep -q '^raftblk1: node 3, leader' &&
		 raftctl status raftblk2 | grep -q '^raftblk2: node 4, leader'"
	# What the node waits for (issue 9 defect 6): nothing before the
	# stall, its log write during it (status, sysfs, an event once the
	# write has lasted a second), nothing again after it.
	# (its first entry's write may still be in flight: poll, then the
	# idle node writes nothing more)
	check "sysfs waiting is none, wait_index 0" wait_for 30 sh -c \
		'test "$(cat /sys/block/raftblk1/raftblk/waiting)" = none &&
		 test "$(cat /sys/block/raftblk1/raftblk/wait_index)" = 0'
	check "status --json: waiting for nothing" sh -c \
		"raftctl status raftblk1 --json >/tmp/st.wait &&
		 grep -A4 '\"waiting\": {' /tmp/st.wait | tr -d ' \n' |
		 grep -qx '\"waiting\":{\"state\":\"none\",\"index\":0,\"for_ms\":0},*'"
	check "status: no waiting line" sh -c \
		"raftctl status raftblk1 >/tmp/st.wait && ! grep -q waiting /tmp/st.wait"
	raftctl events raftblk1 --json >/tmp/ev.wait 2>/tmp/ev.wait.err &
	evw=$!
	check "events raftblk1: the initial state is out" \
		wait_for 30 grep -q initial-state-done /tmp/ev.wait
	check "events: raftblk1 exists, waiting for nothing" grep -q \
		'^{"event": "exists", "object": "device", "device": "raftblk1", .*"disk_state": "ok", "waiting": "none"}$' \
		/tmp/ev.wait
	# The node saves its commit index to the superblock about a second
	# after it moved (the election's entry): suspended before that, the
	# thread stalls in that save (a hard-state wait, checked below) and
	# never reaches the log write this checks (full check 2026-12-05
	# 00:13, 5 not ok). Let it pass first.
	sleep 2
	check "suspend raftblk1's disk" dmsetup suspend rbslow
	probe write dd if=/dev/urandom of=/dev/raftblk1 bs=4k count=1 \
		oflag=direct
	# The write is taken by raftblk1 (in flight) and its node thread
	# goes on to the log write, which waits for the disk.
	check "a write to raftblk1 is in flight" wait_for 30 sh -c \
		"! grep -qx ' *0 *0' /sys/block/raftblk1/inflight"
	sleep 2
	probe dump raftctl status
	probe get1 raftctl status raftblk1
	probe get2 raftctl status raftblk2 --json
	probe sysfs cat /sys/block/raftblk1/raftblk/role
	probe churn sh -c "raftctl create raftblk3 --disk /dev/vdb &&
		raftctl status raftblk3 && raftctl destroy raftblk3"
	wait_for "$STALL_BOUND" all_probes_done dump get1 get2 sysfs churn
	check "the write is still waiting for the disk" \
		test ! -s /tmp/probe.write.rc
	check "status of all devices answers while a disk is stalled" \
		probe_ok dump
	check "status of the stalled device answers" probe_ok get1
	check "it still says leader" \
		grep -q '^raftblk1: node 3, leader' /tmp/probe.get1.out
	check "status of another device answers" probe_ok get2
	check "sysfs of the stalled device answers" probe_ok sysfs
	check "another device is created and destroyed meanwhile" \
		probe_ok churn
	for _p in dump get1 get2 sysfs churn; do
		sed "s/^/# $_p: /" /tmp/probe.$_p.out
	done
	# (each status bounded: a hang is a failure, not a stuck test)
	waits_for_log() {
		run_timeout 20 raftctl status raftblk1 >/tmp/st.wait &&
		grep -Eq '^  waiting: log write up to [1-9][0-9]*, for [0-9]+\.[0-9] s$' \
			/tmp/st.wait
	}
	check "status: the stalled node waits for its log write" \
		wait_for "$STALL_BOUND" waits_for_log
	sed 's/^/# /' /tmp/st.wait
	check "sysfs: waiting log, at the index of its last entry" sh -c \
		'test "$(cat /sys/block/raftblk1/raftblk/waiting)" = log &&
		 test "$(cat /sys/block/raftblk1/raftblk/wait_index)" -gt 0'
	json_waits_for_log() {
		run_timeout 20 raftctl status raftblk1 --json >/tmp/st.wait &&
		grep -A4 '"waiting": {' /tmp/st.wait | tr -d ' \n' |
		grep -Eqx '"waiting":\{"state":"log","index":[1-9][0-9]*,"for_ms":[1-9][0-9]*\},?'
	}
	check "status --json: waiting log, its index, for how long" \
		wait_for "$STALL_BOUND" json_waits_for_log
	check "events: a change to waiting log once the write lasts" \
		wait_for "$STALL_BOUND" grep -Eq \
		'^\{"event": "change", "object": "device", "device": "raftblk1", "device_id": [0-9]+, "seq": [0-9]+, "time": "[0-9T:.Z-]+", "waiting": "log", "wait_index": [1-9][0-9]*\}$' \
		/tmp/ev.wait
	check "resume raftblk1's disk" dmsetup resume rbslow
	check "the stalled write completes" wait_for 120 probe_ok write
	waits_for_nothing() {
		run_timeout 20 raftctl status raftblk1 >/tmp/st.wait &&
		! grep -q waiting /tmp/st.wait &&
		test "$(cat /sys/block/raftblk1/raftblk/waiting)" = none
	}
	check "status and sysfs: waiting for nothing again" \
		wait_for 120 waits_for_nothing
	ev_none_after() { # WAIT: an event "waiting none" after one "waiting WAIT"
		awk -v w="\"waiting\": \"$1\"" 'index($0, w) { l = 1 }
		     l && /^\{"event": "change", .*"device": "raftblk1", .*"waiting": "none"\}$/ { ok = 1 }
		     END { exit !ok }' /tmp/ev.wait
	}
	check "events: waiting none after waiting log" \
		wait_for 120 ev_none_after log
	# The commit-index save is a synchronous superblock write as well
	# and says so while it waits: "hard state write". Two writes a
	# moment apart: the save of the first one's commit starts a second
	# before the next save, and the disk is suspended within it, so the
	# save of the second one's commit stalls. (Should the save come
	# before the suspend, the round is tried again.)
	waits_for_hs() {
		run_timeout 20 raftctl status raftblk1 >/tmp/st.hs &&
		grep -Eq '^  waiting: hard state write, for [0-9]+\.[0-9] s$' \
			/tmp/st.hs
	}
	save_stalls() {
		dd if=/dev/urandom of=/dev/raftblk1 bs=4k count=1 \
			oflag=direct 2>/dev/null &&
		dd if=/dev/urandom of=/dev/raftblk1 bs=4k count=1 seek=1 \
			oflag=direct 2>/dev/null &&
		dmsetup suspend rbslow || return 1
		wait_for 5 waits_for_hs && return 0
		dmsetup resume rbslow
		return 1
	}
	_r=0
	until save_stalls; do
		_r=$((_r + 1))
		[ $_r -lt 5 ] || break
	done
	check "status: a node stalled in its commit-index save waits for its hard state write ($_r retries)" \
		test $_r -lt 5
	sed 's/^/# /' /tmp/st.hs
	check "sysfs: waiting hard-state, index 0" sh -c \
		'test "$(cat /sys/block/raftblk1/raftblk/waiting)" = hard-state &&
		 test "$(cat /sys/block/raftblk1/raftblk/wait_index)" = 0'
	check "events: a change to waiting hard-state once the save lasts" \
		wait_for "$STALL_BOUND" grep -Eq \
		'^\{"event": "change", "object": "device", "device": "raftblk1", "device_id": [0-9]+, "seq": [0-9]+, "time": "[0-9T:.Z-]+", "waiting": "hard-state"(, "wait_index": 0)?\}$' \
		/tmp/ev.wait
	check "resume raftblk1's disk (after the save)" dmsetup resume rbslow
	check "status and sysfs: waiting for nothing after the save" \
		wait_for 120 waits_for_nothing
	check "events: waiting none after waiting hard-state" \
		wait_for 120 ev_none_after hard-state
	kill "$evw" 2>/dev/null
	wait "$evw" 2>/dev/null
	check "events raftblk1: nothing on stderr" test ! -s /tmp/ev.wait.err
	sed 's/^/# ev: /' /tmp/ev.wait | head -n 20
	wait_for 120 all_probes_done dump get1 get2 sysfs churn
	check "destroy raftblk1 and raftblk2" sh -c \
		"raftctl destroy raftblk1 && raftctl destroy raftblk2"
	check "remove the dm devices" sh -c \
		"dmsetup remove rbslow && dmsetup remove rbfast"
	raftctl destroy raftblk3 2>/dev/null
}
stalled_disk

# A write completes once committed, before its data area write (issue 15
# item 2), and a read that follows it at once waits for that write: never
# stale. A one-node cluster over a dm device whose data area writes are
# delayed 8 s (dm-delay, reads not): a discard is zeroed in the background,
# so the entries after it wait for the data area while the node thread
# goes on; a write of block B after it completes (committed) while the
# node's applied index is still below its commit index, and a read of B
# through the device at once returns the new data. In both read modes.
early_ack() {
	sz=$(cat /sys/block/vda/size)
	check "dm device rbapply over /dev/vda" \
		dmsetup create rbapply --table "0 $sz linear /dev/vda 0" || return
	dm=/dev/dm-$(dmsetup info -c --noheadings -o minor rbapply)
	dd if=/dev/zero of="$dm" bs=1M count=1 oflag=direct 2>/dev/null
	if ! check "replicated raftblk1 over it" \
		raftctl create raftblk1 --disk "$dm" --node-id 5 \
		--listen 127.0.0.1:7795 --bootstrap; then
		dmsetup remove rbapply
		return
	fi
	check "raftblk1 elects itself" wait_for "$RB_WAIT" sh -c \
		"raftctl status raftblk1 | grep -q '^raftblk1: node 5, leader'"
	# The data area's first sector (the superblock's data_off, bytes).
	ds=$(($(dd if="$dm" bs=4096 count=1 iflag=direct 2>/dev/null |
		od -A n -t u8 -j 88 -N 8 | tr -d ' ') / 512))
	check "data area found at sector $ds" test "$ds" -gt 0
	delayed="0 $ds linear /dev/vda 0
$ds $((sz - ds)) delay /dev/vda $ds 0 /dev/vda $ds 8000"
	rbapply_table() { # TABLE (lines): swap rbapply's table
		dmsetup suspend rbapply &&
			echo "$1" | dmsetup load rbapply &&
			dmsetup resume rbapply
	}
	blk=16384	# B: 4 KiB at 64 MiB, past the discarded 32 MiB
	ea_index() { # KEY: commit_index or applied_index of raftblk1
		raftctl status raftblk1 --json |
			sed -n "s/^ *\"$1\": \([0-9]*\),*\$/\1/p"
	}
	behind() { # raftblk1 has not applied all it committed
		test "$(ea_index applied_index)" -lt "$(ea_index commit_index)"
	}
	caught_up() { ! behind; }
	zeroed_32m() { # the first 32 MiB of raftblk1 are zeroes
		test "$(dd if=/dev/raftblk1 bs=1M count=32 iflag=direct \
			2>/dev/null | tr -d '\000' | wc -c)" = 0
	}
	through_dev() { # FILE: what B reads through raftblk1
		dd if=/dev/raftblk1 bs=4k skip=$blk count=1 iflag=direct \
			2>/dev/null | cmp -s - "$1"
	}
	for mode in readindex lease; do
		check "$mode: set --read-mode $mode" \
			raftctl set raftblk1 --read-mode $mode
		dd if=/dev/urandom of=/tmp/ea.old bs=4k count=1 2>/dev/null
		dd if=/dev/urandom of=/tmp/ea.new bs=4k count=1 2>/dev/null
		check "$mode: write B" dd if=/tmp/ea.old of=/dev/raftblk1 \
			bs=4k seek=$blk oflag=direct
		check "$mode: B reads back" through_dev /tmp/ea.old
		check "$mode: everything committed is applied" \
			wait_for 60 caught_up
		check "$mode: the data area's writes delayed 8 s (dm-delay)" \
			rbapply_table "$delayed"
		check "$mode: discard of 32 MiB (zeroed in the background)" \
			run_timeout 120 blkdiscard -o 0 -l 33554432 /dev/raftblk1
		check "$mode: write B again" run_timeout 120 dd if=/tmp/ea.new \
			of=/dev/raftblk1 bs=4k seek=$blk oflag=direct
		check "$mode: it completed before it was applied" behind
		check "$mode: a read of B at once returns the new data" \
			through_dev /tmp/ea.new
		check "$mode: the data area's writes no longer delayed" \
			rbapply_table "0 $sz linear /dev/vda 0"
		check "$mode: everything committed is applied again" \
			wait_for 60 caught_up
		check "$mode: the discarded 32 MiB read as zeroes" zeroed_32m
	done
	check "destroy raftblk1" raftctl destroy raftblk1
	check "remove the dm device" dmsetup remove rbapply
}
early_ack

# The payload page pool is the module's, shared by the devices
# (design.rst, "Payload page pool"): removing one of two devices leaves
# its pages in the pool for the other one, whose writes take them
# (before, every removal drained it); removing the last device empties
# it. Two one-node clusters; raftblk1 writes 8 MiB, whose pages its
# compactions and, at its removal, its log give to the pool.
pool_ctr() { # DEVICE KEY: a counter of its status --json
	raftctl status "$1" --json | sed -n "s/^ *\"$2\": \([0-9]*\).*/\1/p" |
		head -n 1
}
pool_test() {
	local pp ps pp1 ps1 pr1 pp2 ps2 pr2 ps3
	check "pool: create $DEV again (a restart)" \
		raftctl create $DEV --disk /dev/vdb --node-id 1 \
		--listen "$LISTEN" || return 1
	check "pool: wipe /dev/vda" \
		dd if=/dev/zero of=/dev/vda bs=1M count=1 oflag=direct
	check "pool: replicated raftblk1 over /dev/vda" \
		raftctl create raftblk1 --disk /dev/vda --node-id 6 \
		--listen 127.0.0.1:7796 --bootstrap || return 1
	check "pool: both lead" wait_for "$RB_WAIT" sh -c \
		"raftctl status $DEV --json | grep -q '\"role\": \"leader\"' &&
		 raftctl status raftblk1 --json | grep -q '\"role\": \"leader\"'" ||
		return 1
	check "pool: 8 MiB written to raftblk1" run_timeout 120 \
		dd if=/dev/urandom of=/dev/raftblk1 bs=1M count=8 oflag=direct
	pp=$(pool_ctr $DEV pool_pages) ps=$(pool_ctr $DEV pool_shrunk)
	check "pool: destroy raftblk1 ($DEV stays)" raftctl destroy raftblk1
	pp1=$(pool_ctr $DEV pool_pages) ps1=$(pool_ctr $DEV pool_shrunk)
	pr1=$(pool_ctr $DEV pool_reused)
	diag "pool: pages $pp -> $pp1, shrunk $ps -> $ps1, reused $pr1"
	check "pool: the removal left the pool to $DEV (pages $pp -> $pp1, not fewer, 1024 or more; shrunk $ps -> $ps1 unchanged)" \
		test "${pp1:-0}" -ge "${pp:-x}" -a "${pp1:-0}" -ge 1024 \
		-a "${ps1:-x}" = "${ps:-y}"
	check "pool: $DEV writes 4 MiB" run_timeout 120 \
		dd if=/dev/urandom of=/dev/$DEV bs=1M count=4 seek=64 \
		oflag=direct
	pp2=$(pool_ctr $DEV pool_pages) ps2=$(pool_ctr $DEV pool_shrunk)
	pr2=$(pool_ctr $DEV pool_reused)
	check "pool: $DEV's writes took the pool's pages (reused $pr1 -> $pr2 >= +1024, pages $pp1 -> $pp2, shrunk $ps2)" \
		test "${pr2:-0}" -ge $((${pr1:-0} + 1024)) -a "${ps2:-x}" = "${ps:-y}"
	check "pool: destroy $DEV, the last device" raftctl destroy $DEV
	check "pool: create $DEV again to read the pool" \
		raftctl create $DEV --disk /dev/vdb --node-id 1 \
		--listen "$LISTEN" || return 1
	ps3=$(pool_ctr $DEV pool_shrunk)
	check "pool: the last removal emptied the pool (shrunk $ps2 -> $ps3, >= +$pp2)" \
		test "${ps3:-0}" -ge $((${ps2:-0} + ${pp2:-1}))
	check "pool: destroy $DEV" raftctl destroy $DEV
}
pool_test
raftctl destroy raftblk1 2>/dev/null
raftctl destroy $DEV 2>/dev/null

# Only CAP_NET_ADMIN may change the membership.
check "create $DEV for the permission checks" \
	raftctl create $DEV --disk /dev/vdb --node-id 1 --listen "$LISTEN"
expect_fail 1 "raftctl: peer add $DEV 2: permission denied, CAP_NET_ADMIN required (Operation not permitted)" \
	as_nobody raftctl peer add $DEV 2 10.0.0.2:7789
expect_fail 1 "raftctl: transfer-leader $DEV 2: permission denied, CAP_NET_ADMIN required (Operation not permitted)" \
	as_nobody raftctl transfer-leader $DEV 2
check "an unprivileged caller may list the peers" \
	as_nobody raftctl peer list $DEV

# A listen address in use is refused before a blank disk is formatted.
check "wipe /dev/vda" dd if=/dev/zero of=/dev/vda bs=1M count=1 oflag=direct
expect_fail 1 "raftctl: create raftblk1: listen address in use (Address already in use)" \
	raftctl create raftblk1 --disk /dev/vda --node-id 2 --listen "$LISTEN" \
	--bootstrap
check "nothing left after the refused listen address" no_device raftblk1
check "the disk was left blank: bootstrap on another port works" \
	raftctl create raftblk1 --disk /dev/vda --node-id 2 \
	--listen 127.0.0.1:7791 --bootstrap
check "destroy raftblk1" raftctl destroy raftblk1
check "destroy $DEV" raftctl destroy $DEV

# A replicated device present at rmmod is stopped cleanly.
check "create the replicated device once more" \
	raftctl create $DEV --disk /dev/vdb --node-id 1 --listen "$LISTEN"
check "leader again" wait_for "$RB_WAIT" repl_is_leader
check "rmmod with the replicated device present" rmmod raftblk
check "no /dev/$DEV after rmmod" sh -c "! test -e /dev/$DEV"
finish
