#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# raftctl's command line without a kernel: help, version, and every usage
# error with its exact exit code (2) and one-line message. TAP on stdout.
# (Everything that needs the module is in tools/testing/vm/scenarios/basic.sh.)
#
# Usage: tests/cli.sh [PATH_TO_RAFTCTL]
set -u
rc_bin=${1:-$(dirname "$0")/../raftctl}
[ -x "$rc_bin" ] || { echo "cli.sh: no raftctl at $rc_bin" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/# /'
}

# expect CODE STDERR_LINE ARGS... : exit code and exact (single-line) stderr
expect() {
	code=$1 msg=$2
	shift 2
	"$rc_bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$code" ] && [ "$(cat "$tmp/err")" = "$msg" ]; then
		ok "raftctl $* -> $code: $msg"
	else
		not_ok "raftctl $* -> $code: $msg" "exit code $rc" \
			"stderr: $(cat "$tmp/err")"
	fi
}

# help_ok ARGS... : exit 0, nothing on stderr, a Usage line on stdout
help_ok() {
	"$rc_bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] &&
		grep -q "^Usage: raftctl" "$tmp/out"; then
		ok "raftctl $* prints usage"
	else
		not_ok "raftctl $* prints usage" "exit code $rc" \
			"stderr: $(cat "$tmp/err")"
	fi
}

help_ok --help
help_ok -h
for v in create destroy status metrics top peer transfer-leader set events up down snapshot; do
	help_ok $v --help
	help_ok $v -h
	if "$rc_bin" --help | grep -q "^  $v "; then
		ok "raftctl --help lists $v"
	else
		not_ok "raftctl --help lists $v"
	fi
done
"$rc_bin" --version >"$tmp/out" 2>&1
if [ "$(head -n 1 "$tmp/out")" = "raftctl 0.1 (netlink family raftblk version 1)" ] &&
	[ "$(sed -n 2p "$tmp/out")" = "raftblk module not loaded" ] &&
	[ "$(wc -l <"$tmp/out")" = 2 ]; then
	ok "raftctl --version: raftctl's and the module's (none here)"
else
	not_ok "raftctl --version: raftctl's and the module's (none here)" \
		"got: $(cat "$tmp/out")"
fi

expect 2 "raftctl: missing verb (see 'raftctl --help')"
expect 2 "raftctl: unknown verb 'frobnicate' (see 'raftctl --help')" frobnicate
expect 2 "raftctl: unknown option '--bogus' (see 'raftctl --help')" --bogus
expect 2 "raftctl: unknown option '-x' (see 'raftctl --help')" -x
expect 2 "raftctl: create: missing device name (see 'raftctl create --help')" \
	create --disk /dev/vdb
expect 2 "raftctl: create: --disk PATH is required (see 'raftctl create --help')" \
	create raftblk0
expect 2 "raftctl: create: option '--disk' needs an argument (see 'raftctl create --help')" \
	create raftblk0 --disk
expect 2 "raftctl: create: option '-d' needs an argument (see 'raftctl create --help')" \
	create raftblk0 -d
expect 2 "raftctl: create: unknown option '--json' (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --json
expect 2 "raftctl: create: unexpected argument 'raftblk1' (see 'raftctl create --help')" \
	create raftblk0 raftblk1 --disk /dev/vdb
expect 2 "raftctl: destroy: missing device name (see 'raftctl destroy --help')" \
	destroy
expect 2 "raftctl: destroy: unexpected argument 'raftblk1' (see 'raftctl destroy --help')" \
	destroy raftblk0 raftblk1
expect 2 "raftctl: destroy: unknown option '--force' (see 'raftctl destroy --help')" \
	destroy raftblk0 --force
expect 2 "raftctl: status: unexpected argument 'raftblk1' (see 'raftctl status --help')" \
	status raftblk0 raftblk1
expect 2 "raftctl: status: unknown option '-x' (see 'raftctl status --help')" \
	status -jx
expect 2 "raftctl: metrics: unexpected argument 'raftblk1' (see 'raftctl metrics --help')" \
	metrics raftblk0 raftblk1
expect 2 "raftctl: metrics: --output needs a file name (see 'raftctl metrics --help')" \
	metrics --output ''
expect 2 "raftctl: metrics: option '--output' needs an argument (see 'raftctl metrics --help')" \
	metrics --output
expect 2 "raftctl: top: --interval must be 0.1..3600 seconds, not '0.05' (see 'raftctl top --help')" \
	top --interval 0.05
expect 2 "raftctl: top: --interval must be 0.1..3600 seconds, not '1s' (see 'raftctl top --help')" \
	top -i 1s
expect 2 "raftctl: top: --count must be 1..4294967295, not '0' (see 'raftctl top --help')" \
	top --count 0
expect 2 "raftctl: top: unexpected argument 'raftblk1' (see 'raftctl top --help')" \
	top raftblk0 raftblk1

# Replication options of create.
expect 2 "raftctl: create: --node-id needs --listen ADDR:PORT (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1
expect 2 "raftctl: create: --listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --listen 10.0.0.1:7789
expect 2 "raftctl: create: --listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --bootstrap
expect 2 "raftctl: create: --listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --heartbeat-ms 100
expect 2 "raftctl: create: --listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --read-mode readindex
expect 2 "raftctl: create: --read-mode must be readindex or lease, not 'fast' (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1 --listen 10.0.0.1:7789 \
	--read-mode fast
for bad in 0 -1 x 1x 4294967296; do
	expect 2 "raftctl: create: --node-id must be a number 1..4294967295, not '$bad' (see 'raftctl create --help')" \
		create raftblk0 --disk /dev/vdb --node-id "$bad" --listen 10.0.0.1:7789
done
bad_listen() { # ADDR CAUSE
	expect 2 "raftctl: create: bad --listen address '$1': $2 (ADDR:PORT or [ADDR6]:PORT) (see 'raftctl create --help')" \
		create raftblk0 --disk /dev/vdb --node-id 1 --listen "$1"
}
bad_listen 10.0.0.1 "missing ':PORT'"
bad_listen 10.0.0.1: "missing port after ':'"
bad_listen 10.0.0.1:0 "port must be 1..65535"
bad_listen 10.0.0.1:65536 "port must be 1..65535"
bad_listen 10.0.0.1:77x9 "port is not a number"
bad_listen 10.0.0.256:7789 "not an IPv4 address"
bad_listen host:7789 "not an IPv4 address"
bad_listen :7789 "not an IPv4 address"
bad_listen 0.0.0.0:7789 "not a unicast IPv4 address"
bad_listen 224.0.0.1:7789 "not a unicast IPv4 address"
bad_listen fd00::1:7789 "an IPv6 address needs brackets: [ADDR]:PORT"
bad_listen "[fd00::1]" "missing ':PORT' after the IPv6 address"
bad_listen "[fd00::1" "missing ']' after the IPv6 address"
bad_listen "[fd00::g]:7789" "not an IPv6 address"
bad_listen "[::]:7789" "not a unicast IPv6 address"
bad_listen "[ff02::1]:7789" "not a unicast IPv6 address"
expect 2 "raftctl: create: --heartbeat-ms must be 50..60000, not '10' (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1 --listen 10.0.0.1:7789 --heartbeat-ms 10
expect 2 "raftctl: create: --election-timeout-ms must be 150..600000, not '100' (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1 --listen 10.0.0.1:7789 --election-timeout-ms 100
expect 2 "raftctl: create: --election-timeout-ms must be at least 3 times --heartbeat-ms (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1 --listen "[fd00::1]:7789" --heartbeat-ms 500 --election-timeout-ms 1000
expect 2 "raftctl: create: option '--listen' needs an argument (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1 --listen

# peer and transfer-leader.
expect 2 "raftctl: peer: missing subcommand: add, remove or list (see 'raftctl peer --help')" \
	peer
expect 2 "raftctl: peer: unknown subcommand 'frob': add, remove or list (see 'raftctl peer --help')" \
	peer frob raftblk0
expect 2 "raftctl: peer: missing device name (see 'raftctl peer --help')" \
	peer add
expect 2 "raftctl: peer: missing node id (see 'raftctl peer --help')" \
	peer add raftblk0
expect 2 "raftctl: peer: missing peer address ADDR:PORT (see 'raftctl peer --help')" \
	peer add raftblk0 2
expect 2 "raftctl: peer: unexpected argument 'x' (see 'raftctl peer --help')" \
	peer add raftblk0 2 10.0.0.2:7789 x
expect 2 "raftctl: peer: node id must be a number 1..4294967295, not '0' (see 'raftctl peer --help')" \
	peer add raftblk0 0 10.0.0.2:7789
expect 2 "raftctl: peer: bad peer address '10.0.0.2': missing ':PORT' (ADDR:PORT or [ADDR6]:PORT) (see 'raftctl peer --help')" \
	peer add raftblk0 2 10.0.0.2
expect 2 "raftctl: peer: missing node id (see 'raftctl peer --help')" \
	peer remove raftblk0
expect 2 "raftctl: peer: node id must be a number 1..4294967295, not 'two' (see 'raftctl peer --help')" \
	peer remove raftblk0 two
expect 2 "raftctl: peer: missing device name (see 'raftctl peer --help')" \
	peer list
expect 2 "raftctl: peer: --json is only for 'peer list' (see 'raftctl peer --help')" \
	peer add raftblk0 2 10.0.0.2:7789 --json
expect 2 "raftctl: peer: unknown option '--force' (see 'raftctl peer --help')" \
	peer remove raftblk0 2 --force
expect 2 "raftctl: transfer-leader: missing device name (see 'raftctl transfer-leader --help')" \
	transfer-leader
expect 2 "raftctl: transfer-leader: missing node id (see 'raftctl transfer-leader --help')" \
	transfer-leader raftblk0
expect 2 "raftctl: transfer-leader: node id must be a number 1..4294967295, not '2x' (see 'raftctl transfer-leader --help')" \
	transfer-leader raftblk0 2x
expect 2 "raftctl: transfer-leader: unexpected argument '3' (see 'raftctl transfer-leader --help')" \
	transfer-leader raftblk0 2 3
expect 2 "raftctl: transfer-leader: unknown option '--forced' (see 'raftctl transfer-leader --help')" \
	transfer-leader raftblk0 2 --forced
# --force gets past the parser, before or after the arguments: it fails
# only for want of the module (the refusal itself is the kernel's: vm
# basic and vm autopromote).
for args in "raftblk0 2 --force" "--force raftblk0 2"; do
	# shellcheck disable=SC2086
	"$rc_bin" transfer-leader $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && ! grep -q "force\|usage\|see 'raftctl" "$tmp/err"; then
		ok "raftctl transfer-leader $args is accepted by the parser"
	else
		not_ok "raftctl transfer-leader $args is accepted by the parser" \
			"exit code $rc" "stderr: $(cat "$tmp/err")"
	fi
done
if "$rc_bin" transfer-leader --help | grep -q -- "--force .*open for writing"; then
	ok "transfer-leader --help tells what --force does"
else
	not_ok "transfer-leader --help tells what --force does"
fi


# ---- set ----
expect 2 "raftctl: set: missing device name (see 'raftctl set --help')" set
expect 2 "raftctl: set: nothing to set: give at least one option (see 'raftctl set --help')" \
	set raftblk0
# --defaults alone is something to set: it gets as far as the kernel.
expect 1 "raftctl: raftblk module not loaded" set raftblk0 --defaults
expect 2 "raftctl: set: --heartbeat-ms must be 50..60000, not '49' (see 'raftctl set --help')" \
	set raftblk0 --heartbeat-ms 49
# Shared secrets: from a file or stdin, 16..128 bytes, checked before
# anything is asked of the kernel.
expect 2 "raftctl: set: --promote-secret and --retire-secret: one at a time (see 'raftctl set --help')" \
	set raftblk0 --promote-secret --retire-secret
expect 2 "raftctl: set: --no-secret goes alone, without --secret-file, --promote-secret or --retire-secret (see 'raftctl set --help')" \
	set raftblk0 --no-secret --promote-secret
expect 2 "raftctl: set: --no-secret goes alone, without --secret-file, --promote-secret or --retire-secret (see 'raftctl set --help')" \
	set raftblk0 --secret-file /dev/null --no-secret
expect 1 "raftctl: set raftblk0: cannot read the secret file $tmp/nokey: No such file or directory" \
	set raftblk0 --secret-file "$tmp/nokey"
printf 'fifteen bytes!!\n' >"$tmp/short.key"
chmod 600 "$tmp/short.key"
expect 2 "raftctl: set raftblk0: the secret in $tmp/short.key must be 16 to 128 bytes, not 15" \
	set raftblk0 --secret-file "$tmp/short.key"
head -c 129 /dev/zero | tr '\0' x >"$tmp/long.key"
chmod 600 "$tmp/long.key"
expect 2 "raftctl: set raftblk0: the secret in $tmp/long.key must be 16 to 128 bytes, not more than 128" \
	set raftblk0 --secret-file "$tmp/long.key"
expect 2 "raftctl: create: --secret-file needs --node-id (a standalone device has no peers) (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/null --secret-file "$tmp/short.key"
expect 2 "raftctl: set: --election-timeout-ms must be 150..600000, not '600001' (see 'raftctl set --help')" \
	set raftblk0 --election-timeout-ms 600001
expect 2 "raftctl: set: --max-batch must be 1..64, not '0' (see 'raftctl set --help')" \
	set raftblk0 --max-batch 0
expect 2 "raftctl: set: --max-batch must be 1..64, not '65' (see 'raftctl set --help')" \
	set raftblk0 --max-batch 65
expect 2 "raftctl: set: --read-mode must be readindex or lease, not 'fast' (see 'raftctl set --help')" \
	set raftblk0 --read-mode fast
for bad_size in 3M 4194303 0 1.5G 64X 64MiBs -1 M 2T 18446744073709551615K; do
	expect 2 "raftctl: set: --log-memory must be a size from 4M to 1T (K, M, G, T: binary units), not '$bad_size' (see 'raftctl set --help')" \
		set raftblk0 --log-memory "$bad_size"
done
expect 2 "raftctl: set: --election-timeout-ms must be at least 3 times --heartbeat-ms (see 'raftctl set --help')" \
	set raftblk0 --heartbeat-ms 100 --election-timeout-ms 299
expect 2 "raftctl: set: unexpected argument 'raftblk1' (see 'raftctl set --help')" \
	set raftblk0 raftblk1 --max-batch 3
expect 2 "raftctl: set: option '--max-batch' needs an argument (see 'raftctl set --help')" \
	set raftblk0 --max-batch
expect 2 "raftctl: set: unknown option '--bootstrap' (see 'raftctl set --help')" \
	set raftblk0 --bootstrap
# --resync-rate: 0 (dynamic) or 1M..1T bytes per second, K/M/G/T suffixes
for r in 1048575 1023K 2T 1099511627777 -1 1.5M 40MB 40m/s M "" " 1M" 0x100000; do
	expect 2 "raftctl: set: --resync-rate must be 0 (dynamic) or 1M..1T bytes per second, not '$r' (see 'raftctl set --help')" \
		set raftblk0 --resync-rate "$r"
done
expect 2 "raftctl: set: option '--resync-rate' needs an argument (see 'raftctl set --help')" \
	set raftblk0 --resync-rate
# Good rates get past the parser: they fail only for want of the module.
for r in 0 1M 1048576 40M 40m 1024K 1G 1T 1099511627776; do
	"$rc_bin" set raftblk0 --resync-rate "$r" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && ! grep -q "resync-rate" "$tmp/err"; then
		ok "raftctl set --resync-rate $r is accepted by the parser"
	else
		not_ok "raftctl set --resync-rate $r is accepted by the parser" \
			"exit code $rc" "stderr: $(cat "$tmp/err")"
	fi
done
# --auto-promote yes|no, --auto-promote-timeout-ms 100..600000
for a in maybe "" Yes 2; do
	expect 2 "raftctl: set: --auto-promote must be yes or no, not '$a' (see 'raftctl set --help')" \
		set raftblk0 --auto-promote "$a"
done
for t in 99 600001 0 5s -1; do
	expect 2 "raftctl: set: --auto-promote-timeout-ms must be 100..600000, not '$t' (see 'raftctl set --help')" \
		set raftblk0 --auto-promote-timeout-ms "$t"
done
for a in "--auto-promote yes" "--auto-promote no" "--auto-promote off" \
	"--auto-promote-timeout-ms 100" "--auto-promote-timeout-ms 600000"; do
	# shellcheck disable=SC2086
	"$rc_bin" set raftblk0 $a >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && ! grep -q "auto-promote" "$tmp/err"; then
		ok "raftctl set $a is accepted by the parser"
	else
		not_ok "raftctl set $a is accepted by the parser" \
			"exit code $rc" "stderr: $(cat "$tmp/err")"
	fi
done
for r in 4M 4194304 48M 64m 4096K 1G 1T 1099511627776; do
	"$rc_bin" set raftblk0 --log-memory "$r" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && ! grep -q "log-memory" "$tmp/err"; then
		ok "raftctl set --log-memory $r is accepted by the parser"
	else
		not_ok "raftctl set --log-memory $r is accepted by the parser" \
			"exit code $rc" "stderr: $(cat "$tmp/err")"
	fi
done

# ---- create refuses a disk with someone else's data (libblkid) ----
# Refused before the kernel is asked, so no module is needed; a disk that
# passes the check gets as far as the kernel ("module not loaded" here).
disk_refused() {	# DESC IMAGE WHAT
	"$rc_bin" create raftblk0 --disk "$2" --node-id 1 \
		--listen 10.0.0.1:7789 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	want="raftctl: create raftblk0: $2 holds $3; a node would format it and destroy that (use --force if you mean it)"
	if [ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "$want" ]; then
		ok "create refuses $1"
	else
		not_ok "create refuses $1" "exit code $rc" "stderr: $(cat "$tmp/err")"
	fi
}
disk_passes() {	# DESC IMAGE [OPTIONS...]
	d=$1 img=$2
	shift 2
	"$rc_bin" create raftblk0 --disk "$img" --node-id 1 \
		--listen 10.0.0.1:7789 "$@" >"$tmp/out" 2>"$tmp/err"
	if ! grep -q "holds" "$tmp/err"; then
		ok "create does not refuse $d"
	else
		not_ok "create does not refuse $d" "stderr: $(cat "$tmp/err")"
	fi
}
truncate -s 32M "$tmp/ext4.img" "$tmp/blank.img" "$tmp/mbr.img" \
	"$tmp/log.img"
if command -v mkfs.ext4 >/dev/null; then
	mkfs.ext4 -q -F -L mydata "$tmp/ext4.img" >/dev/null 2>&1
	disk_refused "a disk with ext4" "$tmp/ext4.img" "ext4 (label 'mydata')"
	disk_passes "a disk with ext4 given --force" "$tmp/ext4.img" --force
	# raftblk's magic in a superblock slot: a node's own disk, restarted
	# from its log, whatever else blkid sees there (here an ext4
	# superblock left over at 1 KiB).
	mkfs.ext4 -q -F "$tmp/log.img" >/dev/null 2>&1
	printf 'RAFTBLK\001' | dd of="$tmp/log.img" conv=notrunc 2>/dev/null
	disk_passes "a disk that holds a raftblk log" "$tmp/log.img"
else
	not_ok "mkfs.ext4 is installed (scripts/install-deps)"
fi
# An MBR with one Linux partition at LBA 2048.
printf '\000\000\000\000\203\000\000\000\000\010\000\000\000\010\000\000' |
	dd of="$tmp/mbr.img" bs=1 seek=446 conv=notrunc 2>/dev/null
printf '\125\252' | dd of="$tmp/mbr.img" bs=1 seek=510 conv=notrunc 2>/dev/null
disk_refused "a disk with a partition table" "$tmp/mbr.img" "dos"
disk_passes "a blank disk" "$tmp/blank.img"
expect 2 "raftctl: create: --force needs --node-id (a standalone device formats nothing) (see 'raftctl create --help')" \
	create raftblk0 --disk "$tmp/ext4.img" --force

# ---- events ----
# -n is --node-id everywhere; events has only --now.
expect 2 "raftctl: events: unknown option '-n' (see 'raftctl events --help')" \
	events -n
expect 2 "raftctl: events: unexpected argument 'raftblk1' (see 'raftctl events --help')" \
	events raftblk0 raftblk1
expect 2 "raftctl: events: unknown option '--follow' (see 'raftctl events --help')" \
	events --follow

# ---- up / down: arguments ----
expect 2 "raftctl: up: missing resource name (see 'raftctl up --help')" up
expect 2 "raftctl: down: missing resource name (see 'raftctl down --help')" down
expect 2 "raftctl: up: unexpected argument 'r1' (see 'raftctl up --help')" up r0 r1
expect 2 "raftctl: up: --node-id must be a number 1..4294967295, not '0' (see 'raftctl up --help')" \
	up r0 --node-id 0
expect 2 "raftctl: up: --timeout must be 0..86400 seconds, not 'x' (see 'raftctl up --help')" \
	up r0 --timeout x
expect 2 "raftctl: down: unknown option '--timeout' (see 'raftctl down --help')" \
	down r0 --timeout 3
expect 2 "raftctl: up: option '--config-dir' needs an argument (see 'raftctl up --help')" \
	up r0 --config-dir
expect 1 "raftctl: bad resource name '../r0' (letters, digits, '_', '.', '-')" \
	up ../r0 --config-dir "$tmp"
expect 1 "raftctl: $tmp/none.conf: No such file or directory" \
	up none --config-dir "$tmp"

# ---- resource files: the parser ----
# conf NAME: stdin becomes $tmp/NAME.conf
conf() { cat >"$tmp/$1.conf"; }

good_nodes='[node 1]
host = alpha
address = 10.0.0.1:7789
disk = /dev/vdb

[node 2]
host = beta.example.com   # a comment after a value
address = 10.0.0.2:7789
disk = /dev/vdb

[node 3]
host = gamma
address = [fd00::3]:7789
disk = /dev/disk/by-id/virtio-data'

conf good <<EOF
# three nodes
[resource]
device = raftblk0
bootstrap-node = 1
heartbeat-ms = 100
election-timeout-ms = 1000
max-batch = 32
read-mode = lease
resync-rate = 40M
log-memory = 48M

$good_nodes
EOF
"$rc_bin" up good --config-dir "$tmp" --node-id 1 --dry-run >"$tmp/out" 2>"$tmp/err"
if [ $? = 0 ] && [ ! -s "$tmp/err" ] &&
	grep -q "create raftblk0 over /dev/vdb as node 1 listening on 10.0.0.1:7789, bootstrap if the disk is blank" "$tmp/out" &&
	grep -q "if leader: add node 3 (gamma) at \[fd00::3\]:7789" "$tmp/out" &&
	grep -q "set the options of the file" "$tmp/out"; then
	ok "up --dry-run of a good file, node 1"
else
	not_ok "up --dry-run of a good file, node 1" "$(cat "$tmp/out" "$tmp/err")"
fi
"$rc_bin" up good --config-dir "$tmp" --node-id 2 --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q "this is node 2 (beta.example.com)" "$tmp/out" &&
	! grep -q bootstrap "$tmp/out"; then
	ok "up --dry-run: node 2 does not bootstrap"
else
	not_ok "up --dry-run: node 2 does not bootstrap" "$(cat "$tmp/out")"
fi
# A file without options: up still puts every option of a device that
# was up back to its default (drbdadm adjust).
conf noopts <<EOF
[resource]
device = raftblk0
bootstrap-node = 1

$good_nodes
EOF
"$rc_bin" up noopts --config-dir "$tmp" --node-id 1 --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && ! grep -q "set the options of the file" "$tmp/out" &&
	grep -qx "  if it was up: set every option back to its default (the file gives none)" "$tmp/out"; then
	ok "up --dry-run of a file without options: every option back to its default"
else
	not_ok "up --dry-run of a file without options: every option back to its default" "$(cat "$tmp/out")"
fi
# A '#' inside a value is part of it; after a blank it starts a comment.
sed 's|^disk = /dev/disk/by-id/virtio-data|disk = /dev/disk/by-label/a#b	# the data disk|' \
	"$tmp/good.conf" >"$tmp/hash.conf"
"$rc_bin" up hash --config-dir "$tmp" --node-id 3 --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q "over /dev/disk/by-label/a#b as node 3" "$tmp/out"; then
	ok "a '#' inside a value is part of the value"
else
	not_ok "a '#' inside a value is part of the value" "$(cat "$tmp/out")"
fi
"$rc_bin" down good --config-dir "$tmp" --node-id 3 --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q "destroy raftblk0" "$tmp/out"; then
	ok "down --dry-run of a good file"
else
	not_ok "down --dry-run of a good file" "$(cat "$tmp/out")"
fi
expect 1 "raftctl: $tmp/good.conf: no [node 9]" \
	up good --config-dir "$tmp" --node-id 9 --dry-run
expect 1 "raftctl: $tmp/good.conf: no [node 9]" \
	down good --config-dir "$tmp" --node-id 9 --dry-run
# By host name: this machine's name.
me=$(uname -n)
conf byhost <<EOF
[resource]
device = raftblk0
bootstrap-node = 5
[node 5]
host = $me
address = 10.0.0.5:7789
disk = /dev/vdb
EOF
"$rc_bin" up byhost --config-dir "$tmp" --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q "this is node 5 ($me)" "$tmp/out"; then
	ok "up finds this node by its host name"
else
	not_ok "up finds this node by its host name" "$(cat "$tmp/out")"
fi
sed "s/host = $me/host = not-$me/" "$tmp/byhost.conf" >"$tmp/nothere.conf"
expect 1 "raftctl: $tmp/nothere.conf: this host ($me) is not a node of resource nothere (give --node-id N)" \
	up nothere --config-dir "$tmp" --dry-run

# up all / down all: every NAME.conf of the directory, in name order,
# going on after a failure (here bad.conf and friends fail) .
mkdir "$tmp/all"
cp "$tmp/byhost.conf" "$tmp/all/b.conf"
sed "s/raftblk0/raftblk1/; s/7789/7790/" "$tmp/byhost.conf" >"$tmp/all/a.conf"
echo 'not a resource' >"$tmp/all/notes.txt"
"$rc_bin" up all --config-dir "$tmp/all" --dry-run >"$tmp/out" 2>"$tmp/err"
if [ $? = 0 ] && [ ! -s "$tmp/err" ] &&
	[ "$(grep '^resource' "$tmp/out" | cut -d' ' -f2)" = "a
b" ]; then
	ok "up all --dry-run: every resource file, in name order"
else
	not_ok "up all --dry-run: every resource file, in name order" \
		"$(cat "$tmp/out" "$tmp/err")"
fi
printf '[resource]\n' >"$tmp/all/0bad.conf"
"$rc_bin" down all --config-dir "$tmp/all" --dry-run >"$tmp/out" 2>"$tmp/err"
if [ $? = 1 ] && grep -q '0bad.conf' "$tmp/err" &&
	[ "$(grep -c 'destroy raftblk' "$tmp/out")" = 2 ]; then
	ok "down all goes on after a bad file and fails"
else
	not_ok "down all goes on after a bad file and fails" \
		"$(cat "$tmp/out" "$tmp/err")"
fi
mkdir "$tmp/empty"
expect 1 "raftctl: $tmp/empty: no resource files (NAME.conf)" \
	up all --config-dir "$tmp/empty" --dry-run
expect 2 "raftctl: up: --node-id names a node of one resource, not of all (see 'raftctl up --help')" \
	up all --node-id 1
expect 2 "raftctl: down: unknown option '--force' (see 'raftctl down --help')" \
	down r0 --force

# bad CONTENT "LINE: MESSAGE": up (and down) refuse the file with exit 1.
bad() {
	printf '%s\n' "$1" >"$tmp/bad.conf"
	expect 1 "raftctl: $tmp/bad.conf:$2" up bad --config-dir "$tmp" \
		--node-id 1 --dry-run
}
bad "[resource]
device = raftblk0
shared-secret = too short" "3: shared-secret must be 16 to 128 bytes"
bad "[resource]
device = raftblk0
shared-secret = sixteen bytes ok
shared-secret-file = /nonexistent" "4: shared-secret and shared-secret-file: only one"
bad "[resource]
device = raftblk0
color = blue" "3: unknown key 'color' in [resource] (device, bootstrap-node, heartbeat-ms, election-timeout-ms, max-batch, read-mode, resync-rate, log-memory, auto-promote, auto-promote-timeout-ms, shared-secret, shared-secret-file)"
expect 1 "raftctl: $tmp/bad.conf:3: unknown key 'color' in [resource] (device, bootstrap-node, heartbeat-ms, election-timeout-ms, max-batch, read-mode, resync-rate, log-memory, auto-promote, auto-promote-timeout-ms, shared-secret, shared-secret-file)" \
	down bad --config-dir "$tmp" --node-id 1
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb
colour = red" "7: unknown key 'colour' in [node 1] (host, address, disk, snapshot-pool)"
bad "[resource]
device = raftblk0
$good_nodes
[node 2]
host = delta" "17: duplicate node 2 (first at line 8)"
bad "[resource]
device = raftblk0
[node 1]
host = a
disk = /dev/vdb" "3: [node 1] needs address = ADDR:PORT"
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:70000
disk = /dev/vdb" "5: bad address '10.0.0.1:70000': port must be 1..65535 (ADDR:PORT or [ADDR6]:PORT)"
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1
disk = /dev/vdb" "5: bad address '10.0.0.1': missing ':PORT' (ADDR:PORT or [ADDR6]:PORT)"
bad "[resource]
device = raftblk0
[node 1]
host = a
host = b" "5: duplicate key 'host'"
bad "device = raftblk0" "1: 'device' outside a section (start with [resource])"
bad "[resource]
device = sda" "2: device must be raftblk followed by digits, not 'sda'"
bad "[resource]
device = raftblk0
[nodes 1]" "3: unknown section [nodes 1] (expected [resource] or [node N])"
bad "[resource]
device = raftblk0
[node 0]" "3: node id must be a number 1..4294967295, not '0'"
bad "[resource]
device = raftblk0
[node 1" "3: bad section header (expected [resource] or [node N])"
bad "[resource]
device raftblk0" "2: expected 'key = value' or a [section]"
bad "[resource]
device =" "2: missing value for 'device'"
bad "[resource]
device = raftblk0
bootstrap-node = 4
$good_nodes" "3: bootstrap-node 4 is not a [node N]"
bad "[resource]
device = raftblk0
heartbeat-ms = 500
election-timeout-ms = 1000
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb" "4: election-timeout-ms must be at least 3 times heartbeat-ms"
bad "[resource]
device = raftblk0
read-mode = fast" "3: read-mode must be readindex or lease, not 'fast'"
bad "[resource]
device = raftblk0
resync-rate = 512K" "3: resync-rate must be 0 (dynamic) or 1M..1T bytes per second, not '512K'"
bad "[resource]
device = raftblk0
resync-rate = fast" "3: resync-rate must be 0 (dynamic) or 1M..1T bytes per second, not 'fast'"
bad "[resource]
device = raftblk0
resync-rate = 0
resync-rate = 40M" "4: duplicate key 'resync-rate'"
# The key alone is an option of the file: up sets it.
conf rateonly <<EOF
[resource]
device = raftblk0
bootstrap-node = 1
resync-rate = 0
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb
EOF
"$rc_bin" up rateonly --config-dir "$tmp" --node-id 1 --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q "set the options of the file" "$tmp/out"; then
	ok "up --dry-run: resync-rate = 0 alone is an option to set"
else
	not_ok "up --dry-run: resync-rate = 0 alone is an option to set" "$(cat "$tmp/out")"
fi
bad "[resource]
device = raftblk0
log-memory = 1M" "3: log-memory must be a size from 4M to 1T, not '1M'"
bad "[resource]
device = raftblk0
auto-promote = sometimes" "3: auto-promote must be yes or no, not 'sometimes'"
bad "[resource]
device = raftblk0
auto-promote-timeout-ms = 50" "3: auto-promote-timeout-ms must be 100..600000, not '50'"
cat >"$tmp/promoteonly.conf" <<EOF
[resource]
device = raftblk0
bootstrap-node = 1
auto-promote = no
auto-promote-timeout-ms = 20000
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb
EOF
"$rc_bin" up promoteonly --config-dir "$tmp" --node-id 1 --dry-run >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q "set the options of the file" "$tmp/out"; then
	ok "up --dry-run: auto-promote options are options to set"
else
	not_ok "up --dry-run: auto-promote options are options to set" "$(cat "$tmp/out")"
fi
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:7789
disk = vdb" "6: disk must be an absolute path of at most 255 bytes, not 'vdb'"
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb
[node 2]
host = b
address = 10.0.0.1:7789
disk = /dev/vdb" "7: [node 2] has the address of node 1"
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb
[node 2]
host = a
address = 10.0.0.2:7789
disk = /dev/vdb" "7: [node 2] has the host of node 1"
bad "[node 1]
host = a" "2: no [resource] section"
# No bootstrap node: every node would wait to be added, none would start.
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb" "1: [resource] needs bootstrap-node = N, the node that starts the cluster on a blank disk"
bad "[resource]
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb" "1: [resource] needs device = raftblkN"
bad "[resource]
device = raftblk0" "2: no [node N] section"
bad "[resource]
device = raftblk0
[node 1]
host = a
address = 10.0.0.1:7789
disk = /dev/vdb
snapshot-pool = vdc" "7: snapshot-pool must be an absolute path of at most 255 bytes, not 'vdc'"

# snapshot: every usage error before the kernel is asked.
S="(see 'raftctl snapshot --help')"
NAMES="1 to 47 letters, digits or _.+- starting with a letter or digit"
expect 2 "raftctl: snapshot: missing create, list or delete $S" snapshot
expect 2 "raftctl: snapshot: unknown snapshot command 'take' (create, list, delete) $S" \
	snapshot take raftblk0 s
expect 2 "raftctl: snapshot: missing device name $S" snapshot create
expect 2 "raftctl: snapshot: missing snapshot name $S" \
	snapshot create raftblk0
expect 2 "raftctl: snapshot: missing snapshot name $S" \
	snapshot delete raftblk0
expect 2 "raftctl: snapshot: unexpected argument 's' $S" \
	snapshot list raftblk0 s
expect 2 "raftctl: snapshot: unexpected argument 'x' $S" \
	snapshot create raftblk0 s x
for name in ../x -x .x "a b" "a/b" \
	aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; do
	expect 2 "raftctl: snapshot: bad snapshot name '$name': $NAMES $S" \
		snapshot delete raftblk0 -- "$name"
done
expect 2 "raftctl: snapshot: --size must be a multiple of 4K, at least 1M, not '4k' $S" \
	snapshot create raftblk0 s --size 4k
expect 2 "raftctl: snapshot: --size must be a multiple of 4K, at least 1M, not '1x' $S" \
	snapshot create raftblk0 s --size 1x
expect 2 "raftctl: snapshot: --size is for create $S" \
	snapshot delete raftblk0 s --size 1M
expect 2 "raftctl: snapshot: --cow is for create $S" \
	snapshot delete raftblk0 s --cow /dev/vdc
expect 2 "raftctl: snapshot: --cow must be an absolute device path of letters, digits and /_.+-:, not 'vdc' $S" \
	snapshot create raftblk0 s --cow vdc
expect 2 "raftctl: snapshot: --cow must be an absolute device path of letters, digits and /_.+-:, not '/dev/a b' $S" \
	snapshot create raftblk0 s --cow "/dev/a b"
expect 2 "raftctl: snapshot: --cow and --size: one or the other $S" \
	snapshot create raftblk0 s --cow /dev/vdc --size 1M
expect 2 "raftctl: snapshot: --cow: the snapshot name and the device path together must be at most 46 bytes (they share the log entry's name field) $S" \
	snapshot create raftblk0 nightly-of-the-cluster --cow /dev/mapper/vg0-snapshot-cow
expect 2 "raftctl: snapshot: --json is for list $S" \
	snapshot create raftblk0 s --json
expect 2 "raftctl: snapshot: --timeout is for create and delete $S" \
	snapshot list raftblk0 --timeout 5
expect 2 "raftctl: create: --listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --snapshot-pool /dev/vdc
expect 2 "raftctl: create: --snapshot-pool must be an absolute path of at most 255 bytes (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1 --listen 10.0.0.1:7789 \
	--snapshot-pool vdc
# The helper without its environment does nothing and says so.
expect 1 "raftctl: helper snapshot-create: missing or bad RAFTBLK_* environment" \
	helper snapshot-create
expect 1 "raftctl: helper attach: missing or bad RAFTBLK_* environment" \
	helper attach
expect 1 "raftctl: helper snapshot-recover: missing or bad RAFTBLK_* environment" \
	helper snapshot-recover

echo "1..$n"
[ "$failed" = 0 ]
