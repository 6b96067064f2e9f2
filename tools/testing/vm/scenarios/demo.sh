#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What `make demo` shows: a shared secret made, raftblk0 created over
# /dev/vdb as a one-node cluster that authenticates its peers with it
# (README's quick start on one machine), formatted, mounted, written,
# inspected, and torn down again. Every step prints the command it runs
# and its output, and is a TAP test too.
. /lib.sh
. /scenarios/lib-cluster.sh

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

step "a shared secret: random bytes in a key file only root can read"
show_sh 'mkdir -p /etc/raftblk && head -c 32 /dev/urandom >/etc/raftblk/r0.key && chmod 600 /etc/raftblk/r0.key' ||
	finish
show ls -l /etc/raftblk/r0.key

step "create /dev/raftblk0 over /dev/vdb: node 1 of a new cluster"
show raftctl create raftblk0 --disk /dev/vdb --node-id 1 \
	--listen "$ADDR:7789" --bootstrap --secret-file /etc/raftblk/r0.key ||
	finish
show ls -l /dev/raftblk0
echo "(waiting until node 1 is leader)"
check "node 1 elects itself leader" \
	wait_for "$RB_ELECTION_WAIT" rb_is leader || finish
show raftctl status
show_sh 'raftctl status --json | grep -A3 "\"secret\""'

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
