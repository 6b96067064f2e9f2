#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run every selftest program in /selftests (built on the host from
# tools/testing/selftests/raftblk/) with raftblk.ko loaded, and pass their
# kselftest TAP through: each "ok N name" / "not ok N name" line of a
# program becomes one "ok N - PROGRAM: name" line here (the host renumbers
# them), everything else is kept as a "# " comment so nothing is counted
# twice. A program that exits non-zero without reporting a failed case,
# or runs past SELFTEST_TIMEOUT seconds, adds one failed line. Every time
# bound scales with the host's VM_TIMEOUT_FACTOR (TIMEOUT_FACTOR here):
# SELFTEST_TIMEOUT through run_timeout, the programs' own bounds and the
# harness's per-test alarms through RAFTBLK_ST_TIMEOUT_FACTOR
# (tools/testing/selftests/raftblk/st_timeout.h).
#
# Arguments: optional program names to run (default: all).
. /lib.sh

SELFTEST_TIMEOUT=${SELFTEST_TIMEOUT:-300}
export RAFTBLK_ST_TIMEOUT_FACTOR="$TIMEOUT_FACTOR"

check "insmod raftblk.ko" load_raftblk || finish

progs="$*"
if [ -z "$progs" ]; then
	for p in /selftests/*; do
		[ -f "$p" ] && [ -x "$p" ] && progs="$progs ${p##*/}"
	done
fi
[ -n "$progs" ] || tap_fail "selftest programs found in /selftests"

for p in $progs; do
	if [ ! -x "/selftests/$p" ]; then
		tap_fail "$p: no such selftest program"
		continue
	fi
	run_timeout "$SELFTEST_TIMEOUT" "/selftests/$p" >/tmp/st.out 2>&1
	rc=$?
	# Rewrite the program's TAP; count its failures.
	awk -v prog="$p" -v base="$_tap_n" '
		/^(not )?ok [0-9]+/ {
			not = ($1 == "not")
			line = $0
			sub(/^(not )?ok [0-9]+( -)? ?/, "", line)
			n++
			printf "%sok %d - %s: %s\n", not ? "not " : "", base + n, prog, line
			if (not)
				f++
			next
		}
		/^#/ { print; next }
		{ print "# " $0 }
		END { printf "%d %d\n", n, f > "/tmp/st.count" }
	' /tmp/st.out
	read -r cnt nfail </tmp/st.count
	_tap_n=$((_tap_n + cnt))
	_tap_failed=$((_tap_failed + nfail))
	if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
		tap_fail "$p: exited $rc$([ "$rc" -ge 124 ] && echo " (timeout ${SELFTEST_TIMEOUT}s?)")"
	elif [ "$cnt" -eq 0 ]; then
		tap_fail "$p: printed no test results"
	fi
done
check "rmmod raftblk" rmmod raftblk
finish
