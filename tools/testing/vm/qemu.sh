# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# QEMU VM lifecycle for tools/testing/vm/run (sourced, bash): the network
# namespace with its bridge and taps, starting/killing VMs, the monitor
# (link up/down) and the host requests scenarios drop in /shared/host/.
#
# Uses from the caller: results, kernel, accel, mem, nodes, scenario,
# VM_NETNS. Per node i: pid in VM_PID[i], boot count in VM_BOOT[i], boot
# start offsets of the console log in results/nodeI.boots.

declare -a VM_PID VM_BOOT VM_MONCAT
VM_NETNS=${VM_NETNS:-}

vm_log() { echo "$(date +%H:%M:%S) $*" >>"$results/host.log"; }

# Namespaces of earlier runs whose harness died without cleaning up (e.g.
# SIGKILL): kill what still runs in them and delete them.
vm_reap_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in raftblk-vm-*) ;; *) continue ;; esac
		pid=${ns#raftblk-vm-}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		kill -0 "$pid" 2>/dev/null && continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null &&
			echo "run: removed stale network namespace $ns" >&2
	done
	return 0
}

# Bridge br0 and tap1..tapN inside a fresh namespace; QEMU runs there too,
# so nothing touches the host's own network.
vm_net_setup() { # nodes
	local i ns=$VM_NETNS
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up &&
	ip -n "$ns" link add br0 type bridge &&
	ip -n "$ns" link set br0 up || return 1
	for i in $(seq 1 "$1"); do
		ip -n "$ns" tuntap add dev "tap$i" mode tap &&
		ip -n "$ns" link set "tap$i" master br0 &&
		ip -n "$ns" link set "tap$i" up || return 1
	done
}

vm_mac() { printf '52:54:00:00:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }

vm_start() { # node
	local i=$1 con=$results/node$1.console.log boot mon=$results/node$1.mon
	boot=$(( ${VM_BOOT[$i]:-0} + 1 ))
	VM_BOOT[$i]=$boot
	# Each boot appends to the same console log; remember where it starts.
	[ -e "$con" ] || : >"$con"
	echo "$boot $(stat -c %s "$con")" >>"$results/node$i.boots"
	[ "$boot" -gt 1 ] && echo "==== raftblk-vm: node$i boot $boot ====" >>"$con"
	[ -p "$mon.in" ] || mkfifo "$mon.in" "$mon.out" || return 1
	# no_timer_check: under TCG on a loaded host the emulated PIT may not
	# tick during the boot-time timer check, which then panics.
	local cmdline="console=ttyS0,115200 quiet panic=-1 oops=panic no_timer_check"
	cmdline="$cmdline rbvm.node=$i rbvm.nodes=$nodes rbvm.boot=$boot"
	cmdline="$cmdline rbvm.scenario=$scenario ${kernel_args:-} ${VM_APPEND:-}"
	local cpu=max
	[ "$accel" = kvm ] && cpu=host
	# request-merging=off: QEMU 7.2 (Debian 12) fails with EINVAL a
	# request that, merged by virtio-blk from the guest's requests up to
	# IOV_MAX (1024) vectors, is not aligned to the host's O_DIRECT
	# alignment (4 KiB with cache=none): padding it needs two vectors
	# more (qemu_iovec_init_extended() refuses; fixed in QEMU 8.1 by
	# "block: Collapse padded I/O vecs exceeding IOV_MAX"). The guest
	# sees EIO for well-formed writes (FINDINGS F6). Unmerged, a request
	# has at most the guest's 254 segments.
	# event_idx=off: with VIRTIO_RING_F_EVENT_IDX a device notifies only
	# when its used index crosses the driver's used_event; one crossing
	# missed (QEMU 7.2 under TCG, FINDINGS F5: QEMU had completed all
	# 190 requests of vdb, used index 0xbe7f, the driver's used_event
	# still 0xbdc1) and no later completion ever notifies again: every
	# request on that disk waits forever. With flag-based suppression a
	# lost notification is made up by the next completion.
	# VM_QEMU_ARGS: extra QEMU arguments, split at blanks (e.g. -trace).
	local -a extra=()
	read -r -a extra <<<"${VM_QEMU_ARGS:-}"
	# Interactive (scenario shell): node1's console is this terminal,
	# still logged to the console file.
	local serial="file,id=con,path=$con,append=on"
	if [ "${interactive:-0}" = 1 ] && [ "$i" = 1 ]; then
		serial="stdio,id=con,logfile=$con,logappend=on,signal=off"
		exec 3<&0 4>&1
	else
		exec 3</dev/null 4>>"$results/node$i.qemu.log"
	fi
	ip netns exec "$VM_NETNS" qemu-system-x86_64 \
		-name "node$i" -nodefaults -no-user-config -no-reboot \
		-display none -vga none \
		-accel "$accel" -cpu "$cpu" -smp 1 -m "$mem" \
		-kernel "$kernel" -initrd "$results/initramfs.cpio" \
		-append "$cmdline" \
		-chardev "$serial" -serial chardev:con \
		-chardev "pipe,id=mon,path=$mon" -mon chardev=mon,mode=readline \
		-drive "file=$results/node$i.scratch.img,if=virtio,format=raw,cache=unsafe" \
		-drive "file=$results/node$i.disk.img,if=virtio,format=raw,cache=${VM_DISK_CACHE:-none},aio=threads" \
		-global virtio-blk-pci.request-merging=off \
		-global virtio-blk-pci.event_idx=off \
		"${extra[@]}" \
		-netdev "tap,id=n0,ifname=tap$i,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$(vm_mac "$i"),romfile=" \
		-virtfs "local,path=$results/shared,mount_tag=shared,security_model=none,id=shared" \
		<&3 >&4 2>>"$results/node$i.qemu.log" &
	VM_PID[$i]=$!
	exec 3<&- 4>&-
	cat "$mon.out" >>"$results/node$i.monitor.log" 2>/dev/null &
	VM_MONCAT[$i]=$!
	vm_log "node$i boot $boot started (pid ${VM_PID[$i]})"
}

vm_running() { # node
	local p=${VM_PID[$1]:-}
	[ -n "$p" ] || return 1
	if kill -0 "$p" 2>/dev/null; then
		return 0
	fi
	wait "$p" 2>/dev/null
	vm_log "node$1 boot ${VM_BOOT[$1]} exited (rc $?)"
	VM_PID[$1]=""
	return 1
}

# Record (once) the seconds from the start of the run until the node's
# first boot printed RAFTBLK-INIT: the boot-time figure in run.info.
declare -a VM_INIT_AT
vm_note_init() { # node t_start
	[ -n "${VM_INIT_AT[$1]:-}" ] && return 0
	grep -q '^RAFTBLK-INIT' "$results/node$1.console.log" 2>/dev/null ||
		return 0
	VM_INIT_AT[$1]=$(awk -v a="$2" -v b="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", b - a }')
}

vm_kill() { # node reason
	local p=${VM_PID[$1]:-}
	[ -n "$p" ] || return 1
	kill -KILL "$p" 2>/dev/null
	kill -CONT "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	VM_PID[$1]=""
	mkdir -p "$results/shared/node$1"
	echo "$2" >"$results/shared/node$1/boot${VM_BOOT[$1]}.killed"
	vm_log "node$1 boot ${VM_BOOT[$1]} killed ($2)"
}

vm_monitor() { # node command
	vm_running "$1" || return 1
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$results/node$1.mon.in"
}

# The guest-physical addresses of each virtqueue's avail ring, its
# used_event word and its used ring, as the last "info
# virtio-queue-status" of node N wrote them to its monitor log.
vm_ring_words() { # node
	local num av us
	tr -d '\r' <"$results/node$1.monitor.log" 2>/dev/null |
		sed 's/\x1b\[[0-9]*[A-Za-z]//g' |
		awk '/^ *num: / { num = $2 } /^ *avail: *0x/ { av = $2 }
		/^ *used: *0x/ { print num, av, $2 }' | tail -n 4 |
		while read -r num av us; do
			printf '0x%x\n0x%x\n0x%x\n' "$((av))" \
				"$((av + 4 + 2 * num))" "$((us))"
		done
}

# " nodeN=MS" for each running VM: its QEMU's CPU time (utime + stime).
vm_cpu_ms() {
	local i f hz
	hz=$(getconf CLK_TCK)
	for i in $(seq 1 "$nodes"); do
		vm_running "$i" || continue
		# fields 14 and 15 after the ")" that ends the command name
		f=$(sed 's/.*) //' "/proc/${VM_PID[$i]}/stat" 2>/dev/null) ||
			continue
		set -- $f
		printf ' node%s=%s' "$i" $(((${12} + ${13}) * 1000 / hz))
	done
}

# Execute request files /shared/host/ACTION-nodeN, answer in ...done.
vm_serve_requests() {
	local f name act n ans
	for f in "$results"/shared/host/*-node*; do
		[ -e "$f" ] || continue
		name=${f##*/}
		case $name in *.done|*.tmp*) continue ;; esac
		act=${name%-node*}
		n=${name##*-node}
		if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt "$nodes" ]; then
			ans="error: no such node '$n'"
		else
			case $act in
			kill)
				if vm_running "$n"; then
					vm_kill "$n" "power-cut requested by a scenario"
					ans="ok killed node$n"
				else
					ans="error: node$n is not running"
				fi ;;
			boot)
				if vm_running "$n"; then
					ans="error: node$n is running"
				elif vm_start "$n"; then
					ans="ok node$n boot ${VM_BOOT[$n]}"
				else
					ans="error: starting node$n failed"
				fi ;;
			link-off|link-on)
				if vm_monitor "$n" "set_link n0 ${act#link-}"; then
					ans="ok node$n link ${act#link-}"
				else
					ans="error: monitor of node$n unavailable"
				fi ;;
			pause|resume)
				local c=stop
				[ "$act" = resume ] && c=cont
				if vm_monitor "$n" "$c"; then
					ans="ok node$n ${act}d"
				else
					ans="error: monitor of node$n unavailable"
				fi ;;
			virtio-status)
				# After a stall in the guest: the device side
				# of each virtqueue 0 (requests the device
				# holds, used index, last one signalled) into
				# nodeN.monitor.log, next to the guest's view.
				local d ok=1
				vm_monitor "$n" "info virtio" || ok=""
				for d in 0 1 2 3; do
					vm_monitor "$n" "info virtio-queue-status /machine/peripheral-anon/device[$d]/virtio-backend 0" || ok=""
				done
				# and the rings in guest memory: avail flags and
				# idx, the driver's used_event (the used index it
				# had consumed when it last asked for an
				# interrupt: behind used idx with nothing in
				# flight = a completion it never processed),
				# used flags and idx
				sleep 1
				vm_ring_words "$n" | while read -r a; do
					vm_monitor "$n" "xp /2hx $a"
				done
				if [ -n "$ok" ]; then
					ans="ok node$n virtio queues in node$n.monitor.log"
				else
					ans="error: monitor of node$n unavailable"
				fi ;;
			sigstop|sigcont)
				# The whole QEMU process frozen (not the
				# monitor's "stop"): the guest's clock runs on,
				# as on a machine that hung and came back.
				local sig=STOP
				[ "$act" = sigcont ] && sig=CONT
				if vm_running "$n" &&
					kill -"$sig" "${VM_PID[$n]}" 2>/dev/null; then
					ans="ok node$n SIG$sig"
				else
					ans="error: node$n is not running"
				fi ;;
			cpu)
				# CPU time each running VM's QEMU process
				# used so far (user + system, all its
				# threads), in ms: what the VMs cost the host,
				# which the guests' own clocks cannot tell on
				# a host short of CPU (bench_fio).
				ans="ok cpu_ms$(vm_cpu_ms)" ;;
			*) ans="error: unknown action '$act'" ;;
			esac
		fi
		vm_log "request $name: $ans"
		echo "$ans" >"$f.done.tmp" && mv "$f.done.tmp" "$f.done"
		rm -f "$f"
	done
}

vm_cleanup() {
	local i
	for i in "${!VM_PID[@]}"; do
		[ -n "${VM_PID[$i]}" ] && kill -KILL "${VM_PID[$i]}" 2>/dev/null
	done
	for i in "${!VM_MONCAT[@]}"; do
		kill "${VM_MONCAT[$i]}" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "$VM_NETNS" ] && ip netns del "$VM_NETNS" 2>/dev/null
	VM_NETNS=""
	# A killed interactive QEMU leaves the terminal raw.
	[ "${interactive:-0}" = 1 ] && [ -t 0 ] && stty sane 2>/dev/null
	return 0
}

# Print "kvm" when a KVM guest reaches /init within 20 s, else "tcg".
vm_probe_kvm() { # results kernel
	local log=$1/kvm-probe.log
	[ -w /dev/kvm ] || { echo tcg; return; }
	timeout 20 qemu-system-x86_64 -nodefaults -no-user-config -no-reboot \
		-display none -vga none -accel kvm -cpu host -smp 1 -m 256 \
		-kernel "$2" -initrd "$1/initramfs.cpio" \
		-append "console=ttyS0 quiet panic=-1 no_timer_check" \
		-serial "file:$log" </dev/null >/dev/null 2>&1
	if grep -q 'RAFTBLK-SCENARIO-END rc=0' "$log" 2>/dev/null; then
		echo kvm
	else
		echo tcg
	fi
}
