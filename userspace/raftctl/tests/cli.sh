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
for v in create destroy status peer transfer-leader; do
	help_ok $v --help
	help_ok $v -h
	if "$rc_bin" --help | grep -q "^  $v "; then
		ok "raftctl --help lists $v"
	else
		not_ok "raftctl --help lists $v"
	fi
done
if [ "$("$rc_bin" --version)" = "raftctl 0.1 (netlink family raftblk version 1)" ]; then
	ok "raftctl --version"
else
	not_ok "raftctl --version" "got: $("$rc_bin" --version 2>&1)"
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

# Replication options of create.
expect 2 "raftctl: create: --node-id needs --listen ADDR:PORT (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --node-id 1
expect 2 "raftctl: create: --listen, --bootstrap and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --listen 10.0.0.1:7789
expect 2 "raftctl: create: --listen, --bootstrap and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --bootstrap
expect 2 "raftctl: create: --listen, --bootstrap and the timers need --node-id (see 'raftctl create --help')" \
	create raftblk0 --disk /dev/vdb --heartbeat-ms 100
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

echo "1..$n"
[ "$failed" = 0 ]
