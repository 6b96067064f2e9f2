#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rbdump on a model image written by test_ondisk --image (TAP).
# Usage: test_rbdump.sh BUILD_DIR
b=${1:-build}
n=0
fail=0
t() { # name, then a shell condition
	name=$1
	shift
	n=$((n + 1))
	if eval "$@"; then
		echo "ok $n - rbdump: $name"
	else
		echo "not ok $n - rbdump: $name"
		fail=1
	fi
}
img=$b/model.img
for blk in 4096 512; do
"$b/test_ondisk" --image "$img" $blk || { echo "not ok 1 - rbdump: image written"; exit 1; }
out=$("$b/rbdump" "$img")
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
t "record block $blk: exit code 0 on a valid disk" '[ $rc = 0 ]'
t "record block shown" \
	'printf "%s\n" "$out" | grep -q "record block $blk\$"'
t "both slots valid, slot 0 current" \
	'printf "%s\n" "$out" | grep -q "^current superblock: slot 0"'
t "epoch of the truncation shown" \
	'printf "%s\n" "$out" | grep -q "epoch 1 after index 4"'
t "conf entry decoded" \
	'printf "%s\n" "$out" | grep -qE "^ +2  term 1 +conf +add-learner node 3"'
t "write entry decoded" \
	'printf "%s\n" "$out" | grep -qE "^ +5  term 2 +normal +write sector 160 \+8192"'
t "truncated suffix not listed" \
	'! printf "%s\n" "$out" | grep -qE "^ +[56]  term 1 "'
t "log ends at the torn record" \
	'printf "%s\n" "$out" | grep -q "entries 1..6," &&
	 printf "%s\n" "$out" | grep -q "data checksum mismatch (torn)"'
done
head -c 65536 /dev/zero >"$b/zero.img"
"$b/rbdump" -q "$b/zero.img" >/dev/null
rc=$?
t "exit code 1 on a disk without superblock" '[ $rc = 1 ]'
"$b/rbdump" -q "$b/does-not-exist" 2>/dev/null
rc=$?
t "exit code 2 on a missing file" '[ $rc = 2 ]'
exit $fail
