#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# raftblk from its Debian packages, across a reboot (make check suite
# vm-deb: tools/testing/deb-check builds the packages and puts what they
# install in /shared/deb/root, then runs this with 2 VMs). node1 is the
# machine under test, node2 only has the host start node1 again after it
# powered off.
#
#  boot 1: the image's own raftctl and raftblk.ko (the tree's build) are
#          removed; the packages' files are installed on the VM's disk
#          (/dev/vda, ext4, mounted at /sysroot): raftctl's package as
#          dpkg-deb -x unpacks it, raftblk.ko where `dkms install` puts
#          the module DKMS built from the raftblk-dkms package, the
#          raftblk@r0 link `systemctl enable` made; the resource file
#          /etc/raftblk/r0.conf is the package's example with this host
#          and only node 1 (a one-node cluster). The installed system is
#          started (lib-sysboot.sh: modules-load.d, then the enabled
#          units' ExecStart read from the installed unit file), raftctl of
#          the package drives the DKMS-built module, the device takes
#          data; shutdown (the units' ExecStop), power-off;
#  boot 2: nothing of raftblk in the image; the installed system on
#          /dev/vda is started the same way, and nothing else: the
#          resource must be up by itself, leading, with the data of boot
#          1, and take writes.
# The shared libraries the package's raftctl needs (libnl, libblkid,
# libdevmapper: its Depends) are in the image already, from the same
# Debian packages, brought there for the tree's raftctl.
# What this does not exercise (no systemd in the guest): see
# lib-sysboot.sh, and the "Installing from packages" section of
# Documentation/admin-guide.rst.
. /lib.sh
. /scenarios/lib-cluster.sh
. /scenarios/lib-sysboot.sh

PKG=$SHARED/deb
MB=8	# data written on boot 1, checked on boot 2

[ "$NODES" -ge 2 ] || { tap_fail "deb needs 2 nodes (--nodes 2)"; finish; }
if [ "$NODE" = 2 ]; then
	check "node1 shut down after its first boot" get deb-shutdown &&
	check "host boots node1 again (the reboot)" wait_for 120 host_request boot 1
	check "node1 checked its second boot" get deb-done
	finish
fi
[ "$NODE" = 1 ] || finish

# Nothing of raftblk but what the packages installed: the image's own
# raftctl and module go on every boot.
rm -f /sbin/raftctl "$RAFTBLK_KO"
check "boot $BOOT: no raftctl and no raftblk module before the installed system starts" \
	sh -c '! command -v raftctl && ! grep -q "^raftblk " /proc/modules'
mkdir -p "$SYSROOT"

# bail : end this boot early; node2 still gets the word it waits for
bail() {
	if [ "$BOOT" = 1 ]; then put deb-shutdown 1; else put deb-done 1; fi
	finish
}

# up_diag : what sysboot printed and the device's status, as diagnostics
up_diag() {
	diag "$(cat /tmp/sysboot.out)"
	diag "$(/usr/sbin/raftctl status 2>&1)"
}

if [ "$BOOT" = 1 ]; then
	check "the package tree is in /shared/deb/root" \
		test -x "$PKG/root/usr/sbin/raftctl" || bail
	check "install: ext4 on /dev/vda, mounted at $SYSROOT" \
		sh -c "mkfs.ext4 -q -F /dev/vda && mount /dev/vda $SYSROOT" || bail
	check "install: the packages' files copied to $SYSROOT" \
		cp -a "$PKG/root/." "$SYSROOT/" || bail
	ex=$SYSROOT/usr/share/doc/raftctl/examples/r0.conf
	# The example with its [node 1] as this host, and without the other
	# nodes: a one-node cluster that node 1 bootstraps.
	mkdir -p "$SYSROOT/etc/raftblk"
	check "admin: /etc/raftblk/r0.conf from the package's example" \
		sh -c "awk '/^\[node 2\]/ { exit } { print }' '$ex' |
			sed 's/^host = .*/host = node1/' >$SYSROOT/etc/raftblk/r0.conf &&
			grep -q '^bootstrap-node = 1' $SYSROOT/etc/raftblk/r0.conf"
	diag "$(grep -v '^#' "$SYSROOT/etc/raftblk/r0.conf" | grep .)"
	check "admin: raftblk@r0 enabled (multi-user.target.wants link)" \
		test -L "$SYSROOT/etc/systemd/system/multi-user.target.wants/raftblk@r0.service"
	sync
fi

if [ "$BOOT" -gt 1 ]; then
	check "boot $BOOT: the installed system's disk mounts" \
		mount /dev/vda "$SYSROOT" || bail
fi

sysboot_start >/tmp/sysboot.out 2>&1
rc=$?
if [ $rc = 0 ]; then
	tap_ok "boot $BOOT: the installed system started (modules-load.d, enabled units)"
else
	tap_fail "boot $BOOT: the installed system started (modules-load.d, enabled units)" \
		"$(cat /tmp/sysboot.out)"
fi
check "boot $BOOT: the unit ran ExecStart=/usr/sbin/raftctl up r0" \
	grep -qx 'sysboot: raftblk@r0.service: ExecStart=/usr/sbin/raftctl up r0' \
	/tmp/sysboot.out
diag "$(grep '^sysboot:' /tmp/sysboot.out)"
dkms_ko=/lib/modules/$KVER/updates/dkms/raftblk.ko
check "boot $BOOT: modules-load.d loaded the DKMS-built raftblk.ko" \
	sh -c "grep -q '^raftblk ' /proc/modules &&
		[ \"\$(cat /sys/module/raftblk/srcversion)\" = \
		  \"\$(modinfo -F srcversion $dkms_ko)\" ]"
check "boot $BOOT: raftctl is the package's (/usr/sbin/raftctl)" \
	test "$(command -v raftctl)" = /usr/sbin/raftctl
check "boot $BOOT: raftctl --version shows the loaded module" \
	sh -c 'raftctl --version | grep -qx "raftblk module 0.1 (loaded)"'
if check "boot $BOOT: /dev/raftblk0 is up and leads" \
	wait_for "$RB_ELECTION_WAIT" rb_is leader; then
	:
else
	up_diag
fi

if [ "$BOOT" = 1 ]; then
	check "boot 1: $MB MiB written to /dev/raftblk0" \
		sh -c "[ -b /dev/raftblk0 ] &&
			head -c $((MB * 1024 * 1024)) /dev/urandom >/tmp/data &&
			dd if=/tmp/data of=/dev/raftblk0 bs=1M conv=fsync 2>/dev/null &&
			mkdir -p $SYSROOT/root &&
			md5sum </tmp/data | cut -d' ' -f1 >$SYSROOT/root/data.md5"
	check "boot 1: read back" \
		sh -c "[ \"\$(head -c $((MB * 1024 * 1024)) /dev/raftblk0 | md5sum | cut -d' ' -f1)\" = \
			\"\$(cat $SYSROOT/root/data.md5)\" ]"
	put deb-md5 "$(cat "$SYSROOT/root/data.md5")"
	sysboot_stop >/tmp/sysboot.out 2>&1
	check "shutdown: the unit's ExecStop ran and the device is gone" \
		sh -c 'grep -qx "sysboot: raftblk@r0.service: ExecStop=/usr/sbin/raftctl down r0" /tmp/sysboot.out &&
			! [ -e /dev/raftblk0 ]' || diag "$(cat /tmp/sysboot.out)"
	check "shutdown: the disk of the installed system unmounts" \
		sh -c "sync && umount $SYSROOT"
	put deb-shutdown 1
	finish
fi

want=$(get deb-md5)
check "boot $BOOT: the data written before the reboot is there" \
	sh -c "[ -b /dev/raftblk0 ] &&
		[ \"\$(head -c $((MB * 1024 * 1024)) /dev/raftblk0 | md5sum | cut -d' ' -f1)\" = '$want' ]"
check "boot $BOOT: the device takes a write after the reboot" \
	sh -c '[ -b /dev/raftblk0 ] &&
		printf "after the reboot\n" | dd of=/dev/raftblk0 bs=4096 seek=4096 conv=sync,fsync 2>/dev/null &&
		dd if=/dev/raftblk0 bs=4096 skip=4096 count=1 2>/dev/null | grep -q "after the reboot"'
sysboot_stop >/dev/null 2>&1
umount "$SYSROOT" 2>/dev/null
put deb-done 1
finish
