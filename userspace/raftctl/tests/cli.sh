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
for v in create destroy status; do
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

echo "1..$n"
[ "$failed" = 0 ]
