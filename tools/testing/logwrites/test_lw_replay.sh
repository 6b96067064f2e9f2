#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of lw_replay (TAP): a dm-log-writes log written by hand (the
# format of Documentation/admin-guide/device-mapper/log-writes.rst),
# replayed into a file: the states at the flush/FUA points hold exactly
# the entries up to them and keep the marks logged before the next
# point; a random state holds, sector by sector, the base or one of the
# writes of its epoch; the same seed gives the same states; a failing
# check fails the run; bad logs are refused with a message.
#
# Usage: test_lw_replay.sh path/to/lw_replay
set -u
LW=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}
check() { # NAME CMD...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else nok "$name" "$out"; fi
}

le64() { # N -> 8 little-endian bytes
	local v=$1 i
	for i in 0 1 2 3 4 5 6 7; do
		printf "\\$(printf '%03o' $((v & 255)))"
		v=$((v >> 8))
	done
}
sector_of() { # CHAR -> 512 bytes of it
	head -c 512 /dev/zero | tr '\0' "$1"
}
FLUSH=1 FUA=2 DISCARD=4 MARK=8
entry() { # SECTOR NR FLAGS [MARKTEXT | DATACHAR]
	local text=${4:-}
	{
		le64 "$1"; le64 "$2"; le64 "$3"
		if [ $(($3 & MARK)) != 0 ]; then
			le64 ${#text}
			printf '%s' "$text"
			head -c $((512 - 32 - ${#text})) /dev/zero
		else
			le64 0
			head -c 480 /dev/zero
			local i
			for ((i = 0; i < $2; i++)); do
				if [ $(($3 & DISCARD)) = 0 ]; then
					sector_of "$text"
				fi
			done
		fi
	} >>"$T/entries"
	nent=$((nent + 1))
}
mklog() { # -> $T/log from $T/entries
	{
		le64 $((0x6a736677736872)); le64 1; le64 "$nent"
		printf '\0\2\0\0'	# sector size 512
		head -c $((512 - 28)) /dev/zero
		cat "$T/entries"
	} >"$T/log"
}

# The log: FUA A@0, mark m1, plain B B@2, plain C@8, discard 2@0
# (after B), flush, mark m2, FUA D@4, plain E@9 (never flushed), end.
nent=0
: >"$T/entries"
entry 0 1 $FUA A
entry 0 0 $MARK m1
entry 2 2 0 B
entry 8 1 0 C
entry 0 2 $DISCARD
entry 0 0 $FLUSH
entry 0 0 $MARK m2
entry 4 1 $FUA D
entry 9 1 0 E
entry 0 0 $MARK dm-log-writes-end
mklog

check "info counts the entries" sh -c \
	"'$LW' '$T/log' info | grep -qx '10 entries: 5 writes (3072 bytes), 1 discards, 1 flushes, 2 FUA, 3 marks; sector size 512'"
check "list shows the marks and writes" sh -c \
	"'$LW' '$T/log' list | grep -q \"^7 off .* mark 'm2'\" &&
	 '$LW' '$T/log' list | grep -q '^3 off .* write 2@2'"

# Expected images: 16 sectors.
img() { # CHARS (one per sector, '.' = zero) -> file
	local c
	for c in $(echo "$1" | fold -w1); do
		if [ "$c" = . ]; then head -c 512 /dev/zero; else sector_of "$c"; fi
	done
}
img "................" >"$T/p0"
img "A..............." >"$T/p1"
img "..BB....C......." >"$T/p6"	# A discarded after B
img "..BBD...C......." >"$T/p8"
head -c 8192 /dev/zero >"$T/dev"
cat >"$T/hook" <<EOF
#!/bin/sh
echo "\$LW_STATE \$LW_KIND mark=\$LW_MARK partial=\$LW_PARTIAL" >>"$T/seen"
if [ -z "\$LW_PARTIAL" ]; then
	cp "$T/dev" "$T/state.\$LW_STATE"
else
	cp "$T/dev" "$T/rand.\$LW_STATE"
	"$LW" "$T/log" partial "$T/rand.\$LW_STATE" \$LW_PARTIAL >/dev/null
fi
EOF
chmod +x "$T/hook"
: >"$T/seen"
check "run checks every state and passes" \
	"$LW" "$T/log" run "$T/dev" --check "$T/hook" --seed 5 --random 20
check "four point states (empty disk, FUA 1, flush 6, FUA 8)" sh -c \
	"[ \$(grep -c ' point ' '$T/seen') = 4 ]"
check "point states keep the marks logged before the next point" sh -c \
	"grep -qx '1 point mark= partial=' '$T/seen' &&
	 grep -q ' point mark=m1 partial=\$' '$T/seen' &&
	 grep -q ' point mark=m2 partial=\$' '$T/seen' &&
	 ! grep -q 'dm-log-writes-end' '$T/seen'"
states=$(grep ' point ' "$T/seen" | cut -d' ' -f1)
i=0
for want in p0 p1 p6 p8; do
	s=$(echo $states | cut -d' ' -f$((i + 1)))
	check "point state $s is the disk at entry $want (unflushed writes lost)" \
		cmp "$T/$want" "$T/state.$s"
	i=$((i + 1))
done
check "twenty random states" sh -c "[ \$(grep -c ' random ' '$T/seen') = 20 ]"

# Every sector of a random state: the base's, or one written in its epoch.
bad=0
for f in "$T"/rand.*; do
	st=${f##*.}
	from=$(grep "^$st random" "$T/seen" | sed 's/.*partial=\([0-9]*\) \([0-9]*\).*/\1/')
	case $from in
	1) base=p0 allowed="0:A" ;;	# the epoch of FUA A
	2) base=p1 allowed="2:B 3:B 8:C 0:." ;;
	7) base=p6 allowed="4:D" ;;
	9) base=p8 allowed="9:E" ;;
	*) bad=$((bad + 1)); continue ;;
	esac
	for s in $(seq 0 15); do
		got=$(dd if="$f" bs=512 skip="$s" count=1 2>/dev/null | md5sum)
		want=$(dd if="$T/$base" bs=512 skip="$s" count=1 2>/dev/null | md5sum)
		[ "$got" = "$want" ] && continue
		okay=0
		for a in $allowed; do
			[ "${a%%:*}" = "$s" ] || continue
			if [ "${a#*:}" = . ]; then
				w=$(head -c 512 /dev/zero | md5sum)
			else
				w=$(sector_of "${a#*:}" | md5sum)
			fi
			[ "$got" = "$w" ] && okay=1
		done
		[ $okay = 1 ] || { bad=$((bad + 1)); echo "# state $st sector $s"; }
	done
done
check "random states hold only the base or writes of their epoch" test $bad = 0
check "random states differ from one another (drops, tears)" sh -c \
	"[ \$(md5sum '$T'/rand.* | cut -d' ' -f1 | sort -u | wc -l) -ge 3 ]"
cp "$T/seen" "$T/seen1"
: >"$T/seen"
head -c 8192 /dev/zero >"$T/dev"
"$LW" "$T/log" run "$T/dev" --check "$T/hook" --seed 5 --random 20 >/dev/null
check "the same seed gives the same states" cmp "$T/seen1" "$T/seen"
: >"$T/seen"
head -c 8192 /dev/zero >"$T/dev"
"$LW" "$T/log" run "$T/dev" --check "$T/hook" --seed 6 --random 20 >/dev/null
check "another seed gives other states" sh -c "! cmp -s '$T/seen1' '$T/seen'"
: >"$T/seen"
p6=$(echo $states | cut -d' ' -f3)
head -c 8192 /dev/zero >"$T/dev"
"$LW" "$T/log" run "$T/dev" --check "$T/hook" --seed 5 --random 20 \
	--only "$p6" >/dev/null
check "--only K checks state K alone, on the right base" sh -c \
	"[ \$(wc -l <'$T/seen') = 1 ] && cmp '$T/p6' '$T/state.$p6'"

out=$("$LW" "$T/log" run "$T/dev" --check 'test "$LW_STATE" != 3' 2>&1)
rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q '^state 3: .*FAILED$' &&
	echo "$out" | grep -q '4 states checked, 1 failed'; then
	ok "a failing check fails the run and names the state"
else
	nok "a failing check fails the run and names the state" "rc $rc" "$out"
fi

refused() { # NAME MESSAGE ARGS...
	local name=$1 msg=$2 out rc
	shift 2
	out=$("$LW" "$@" 2>&1)
	rc=$?
	if [ $rc = 2 ] && echo "$out" | grep -q "$msg"; then
		ok "$name"
	else
		nok "$name" "rc $rc" "$out"
	fi
}
head -c 4096 /dev/urandom >"$T/junk"
refused "not a log: refused" "not a dm-log-writes log" "$T/junk" info
head -c 6000 "$T/log" >"$T/short"
refused "truncated log: refused" "past the end" "$T/short" info
refused "missing log: refused" "cannot open log" "$T/nonexistent" info
head -c 256 /dev/zero >"$T/tiny"
refused "entry beyond the target: refused" "beyond the target" \
	"$T/log" partial "$T/tiny" 1 1 1
refused "partial outside the log: refused" "not in the log" \
	"$T/log" partial "$T/dev" 5 11 1
refused "run without --check: refused" "is required" "$T/log" run "$T/dev"
echo "1..$n"
[ $failed = 0 ]
