# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the snapshot scenarios (snapshot, snapshot_nodes,
# snapshot_resume): not a scenario itself. Source after
# lib-cluster.sh:
#   . /lib.sh; . /scenarios/lib-cluster.sh; . /scenarios/lib-snapshot.sh

if [ "${0##*/}" = lib-snapshot.sh ]; then
	echo "not ok 1 - lib-snapshot.sh is a helper, not a scenario"
	exit 1
fi

# Every snapshot read is bounded (FINDINGS F5: a read that never ended):
# over READ_MAX s it gives no hash and dumps what it waits for (lib.sh's
# bounded, stall_dump), so the check fails instead of the suite hanging.
# Reading 111 MiB takes 15 s under TCG, up to about a minute on a host
# loaded 30 deep.
READ_MAX=${RB_SNAP_READ_MAX:-300}

snapdev() { echo "/dev/mapper/$RB_DEV-snap-$1"; }
# snap_sha SNAP [COUNT] : sha256 of SNAP's device (its first COUNT MiB),
# read with O_DIRECT; empty, with a stall dump, if it takes over READ_MAX s
snap_sha() {
	bounded "$READ_MAX" "node$NODE: O_DIRECT read of $(snapdev "$1")" \
		sh -c "dd if=$(snapdev "$1") bs=1M ${2:+count=$2} iflag=direct \
		2>/dev/null | sha256sum | cut -d' ' -f1"
}
# snap_json SNAP KEY : a field of SNAP's object in the "snapshots" array
# of `snapshot list --json` (one object per line, indented 4)
snap_json() {
	raftctl snapshot list "$RB_DEV" --json |
		sed -n "s/^    {\"name\": \"$1\", \(.*\)}.*/\1/p" |
		tr ',' '\n' | sed -n "s/^ *\"$2\": \"*\([^\"]*\)\"*$/\1/p"
}
snap_state_is() { [ "$(snap_json "$1" state)" = "$2" ]; }
snap_states_are() { # STATE SNAP... : each SNAP in STATE here
	local st=$1
	shift
	for s in "$@"; do snap_state_is "$s" "$st" || return 1; done
}
