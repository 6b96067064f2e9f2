# SPDX-License-Identifier: GPL-2.0
#
# What systemd does at boot and at shutdown for raftblk, done by hand in
# the test VMs (busybox, no systemd): the scenario deb's stand-in for an
# installed Debian system. Not a scenario itself. Source after /lib.sh:
#   . /lib.sh; . /scenarios/lib-sysboot.sh
#
# The installed system lives on the VM's scratch disk (/dev/vda, ext4,
# mounted at SYSROOT): what the packages put there survives a power-off.
# sysboot_start makes it the running system:
#   1. SYSROOT is copied over the initramfs root (the root filesystem);
#   2. depmod, as `dkms install` runs it after putting the module in
#      /lib/modules/KVER/updates/dkms;
#   3. systemd-modules-load: every module named in the modules-load.d
#      files (/etc, /run, /usr/lib, /lib; a file name in an earlier folder
#      hides the same name in a later one; # and ; lines are comments) is
#      loaded with modprobe;
#   4. multi-user.target: every unit linked in
#      /etc/systemd/system/multi-user.target.wants (what `systemctl enable`
#      made), in name order, gets its [Service] ExecStart= lines run,
#      read from the unit file found on the unit path (/etc/systemd/system,
#      /run/systemd/system, /lib/systemd/system, /usr/lib/systemd/system;
#      NAME@INSTANCE.service falls back to the template NAME@.service),
#      with the specifiers %i, %n, %p and %% expanded.
# sysboot_stop runs the ExecStop= lines of the units sysboot_start started,
# in reverse order (shutdown).
#
# Not done (systemd does them, this does not): ordering (After=, Before=,
# Wants=, network-online.target, remote-fs-pre.target), unit drop-ins,
# ExecStart prefixes other than "-", quoting in command lines, Type= other
# than oneshot, timeouts, the fstab mounts that wait for the device.
# An unsupported construct is an error, never skipped silently.

if [ "${0##*/}" = lib-sysboot.sh ]; then
	echo "not ok 1 - lib-sysboot.sh is a helper, not a scenario"
	exit 1
fi

SYSROOT=${SYSROOT:-/sysroot}
SYSBOOT_STARTED=/run/sysboot.started
SYSBOOT_UNIT_PATH="/etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/system"
SYSBOOT_MODLOAD_PATH="/etc/modules-load.d /run/modules-load.d /usr/lib/modules-load.d /lib/modules-load.d"

# sysboot_unit_file UNIT : the file that defines UNIT on the unit path.
sysboot_unit_file() {
	local d tmpl
	tmpl=$(echo "$1" | sed -n 's/^\([^@]*@\)[^@]*\(\.[a-z]*\)$/\1\2/p')
	for d in $SYSBOOT_UNIT_PATH; do
		[ -f "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	[ -n "$tmpl" ] || return 1
	for d in $SYSBOOT_UNIT_PATH; do
		[ -f "$d/$tmpl" ] && { echo "$d/$tmpl"; return 0; }
	done
	return 1
}

# sysboot_exec_lines FILE KEY : the values of KEY= in [Service], one a line.
sysboot_exec_lines() {
	awk -v key="$2" '
	/^[ \t]*\[/ { sec = $0; gsub(/[ \t]/, "", sec); next }
	sec == "[Service]" && index($0, key "=") == 1 {
		print substr($0, length(key) + 2)
	}' "$1"
}

# sysboot_expand UNIT CMD : CMD with the unit specifiers expanded; fails on
# a specifier it does not know.
sysboot_expand() {
	local unit=$1 cmd=$2 base prefix inst out c
	base=${unit%.*}
	prefix=${base%%@*}
	inst=""
	case $base in *@*) inst=${base#*@} ;; esac
	out=""
	while [ -n "$cmd" ]; do
		c=${cmd%"${cmd#?}"}
		cmd=${cmd#?}
		if [ "$c" != % ]; then
			out="$out$c"
			continue
		fi
		c=${cmd%"${cmd#?}"}
		cmd=${cmd#?}
		case $c in
		i) out="$out$inst" ;;
		n) out="$out$unit" ;;
		p) out="$out$prefix" ;;
		%) out="$out%" ;;
		*) echo "sysboot: $unit: specifier %$c not supported" >&2
		   return 1 ;;
		esac
	done
	printf '%s\n' "$out"
}

# sysboot_run UNIT KEY : run the unit's KEY= command lines in order;
# prints each command as it runs it.
sysboot_run() {
	local unit=$1 key=$2 file cmds line ign rc
	file=$(sysboot_unit_file "$unit") ||
		{ echo "sysboot: no unit file for $unit" >&2; return 1; }
	cmds=$(sysboot_exec_lines "$file" "$key")
	if [ "$key" = ExecStart ] && [ -z "$cmds" ]; then
		echo "sysboot: $file has no ExecStart=" >&2
		return 1
	fi
	printf '%s\n' "$cmds" | while IFS= read -r line; do
		[ -n "$line" ] || continue
		ign=0
		case $line in
		-*) ign=1; line=${line#-} ;;
		[@:+!]*) echo "sysboot: $unit: prefix '${line%"${line#?}"}' not supported" >&2
			 exit 1 ;;
		esac
		case $line in *[\"\']*)
			echo "sysboot: $unit: quotes in '$line' not supported" >&2
			exit 1 ;;
		esac
		line=$(sysboot_expand "$unit" "$line") || exit 1
		echo "sysboot: $unit: $key=$line"
		# shellcheck disable=SC2086
		$line
		rc=$?
		if [ $rc -ne 0 ] && [ $ign = 0 ]; then
			echo "sysboot: $unit: $key exited $rc" >&2
			exit 1
		fi
	done
}

# sysboot_modules_load : what systemd-modules-load does.
sysboot_modules_load() {
	local d f n seen=" " rc=0 m
	for d in $SYSBOOT_MODLOAD_PATH; do
		for f in "$d"/*.conf; do
			[ -f "$f" ] || continue
			n=${f##*/}
			case $seen in *" $n "*) continue ;; esac
			seen="$seen$n "
			for m in $(sed -e 's/[#;].*//' "$f"); do
				echo "sysboot: modules-load: $f: modprobe $m"
				modprobe "$m" || { echo "sysboot: modprobe $m failed" >&2; rc=1; }
			done
		done
	done
	return $rc
}

# sysboot_start : the boot of the system in SYSROOT (see the top).
sysboot_start() {
	local l u rc=0
	[ -d "$SYSROOT/usr" ] || { echo "sysboot: nothing installed in $SYSROOT" >&2; return 1; }
	cp -a "$SYSROOT/." / || return 1
	depmod || { echo "sysboot: depmod failed" >&2; return 1; }
	sysboot_modules_load || rc=1
	: >"$SYSBOOT_STARTED"
	for l in /etc/systemd/system/multi-user.target.wants/*; do
		[ -e "$l" ] || [ -L "$l" ] || continue
		u=${l##*/}
		# A unit whose start failed is not stopped (as systemd).
		if sysboot_run "$u" ExecStart; then
			echo "$u" >>"$SYSBOOT_STARTED"
		else
			rc=1
		fi
	done
	return $rc
}

# sysboot_stop : the shutdown: ExecStop of every started unit, last first.
sysboot_stop() {
	local u rc=0
	[ -f "$SYSBOOT_STARTED" ] || return 0
	for u in $(sed '1!G;h;$!d' "$SYSBOOT_STARTED"); do
		sysboot_run "$u" ExecStop || rc=1
	done
	rm -f "$SYSBOOT_STARTED"
	return $rc
}
