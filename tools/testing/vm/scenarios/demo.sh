#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What `make demo` shows: raftblk0 created over /dev/vdb, formatted,
# mounted, written, inspected, and torn down again. Every step prints the
# command it runs and its output, and is a TAP test too.
. /lib.sh

step() { # title
	echo
	echo "=== $* ==="
}
# show CMD... : print "$ CMD", run it, print its output; a TAP test.
# show_sh SCRIPT : the same for a shell command line.
show_as=""
show_sh() {
	show_as=$1
	show sh -c "$1"
	rc=$?
	show_as=""
	return $rc
}
show() {
	echo "\$ ${show_as:-$*}"
	"$@" >/tmp/show.out 2>&1
	rc=$?
	sed 's/^/    /' /tmp/show.out
	if [ $rc -eq 0 ]; then
		tap_ok "${show_as:-$*}"
	else
		tap_fail "${show_as:-$*}" "exit code $rc"
	fi
	return $rc
}

echo "node$NODE of $NODES, address $ADDR, kernel $(uname -r)"
step "load the module"
show insmod "$RAFTBLK_KO" || finish
show_sh 'grep ^raftblk /proc/modules'

step "create /dev/raftblk0 over /dev/vdb"
show raftctl create raftblk0 --disk /dev/vdb || finish
show ls -l /dev/raftblk0
show raftctl status

step "format and mount"
show mkfs.ext4 -q -L demo /dev/raftblk0 || finish
show mount /dev/raftblk0 /mnt || finish

step "write some files"
show_sh "echo 'hello from raftblk on node$NODE' >/mnt/hello.txt"
show dd if=/dev/urandom of=/mnt/random.bin bs=1M count=16 conv=fsync
show_sh 'cd /mnt && sha256sum hello.txt random.bin | tee /tmp/sums'
show df -h /mnt
show ls -l /mnt
show raftctl status --json

step "unmount, check, remount, verify"
show umount /mnt
show fsck.ext4 -f -n /dev/raftblk0
show mount /dev/raftblk0 /mnt
show_sh 'cd /mnt && sha256sum -c /tmp/sums'
show umount /mnt

step "tear down"
show raftctl destroy raftblk0
show rmmod raftblk
finish
