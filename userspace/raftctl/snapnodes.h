/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftctl: the state of each snapshot on each node (snapnodes.c).
 */
#ifndef RAFTCTL_SNAPNODES_H
#define RAFTCTL_SNAPNODES_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/raftblk.h>
#include "raftctl.h"

#define SNAP_NODES_MAX		17	/* the kernel's peers and itself */
#define SNAP_CLUSTER_MAX	64	/* snapshots in the table */

struct snap_node_row {
	char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
	uint64_t index, term, time, cow_size, cow_used;
	uint8_t state;			/* enum raftblk_snaprep_state */
};

/* One node's report, as this node holds it (SNAPSHOT_NODE). */
struct snap_node {
	uint32_t id;
	bool self;
	uint32_t via;			/* relayed by this leader, 0: not */
	uint64_t age_ms, heard_ms, relay_ms;
	uint32_t flags;			/* RAFTBLK_SNAPREP_F_* */
	uint64_t applied, copy_index;
	uint32_t n;
	struct snap_node_row rows[RAFTBLK_SNAPREP_MAX_ROWS];
};

struct snap_nodes {
	bool got;
	uint32_t n, bad;
	struct snap_node v[SNAP_NODES_MAX];
};

/* The reports node NAME holds: 0, or -1 (an older module: none). */
int snap_nodes_get(const char *name, struct snap_nodes *s);

/* What one node holds of one snapshot. */
struct snap_cell {
	uint32_t id;
	const char *state;	/* active invalid inactive missing pending unknown */
	bool taken;		/* cow_used and cow_size known */
	uint64_t cow_used, cow_size;
	bool have_age;
	uint64_t age_ms;	/* of the node's rows (its pool last read) */
	bool stale;		/* not heard from lately (down?) */
	char why[160];
};

/* What node ND (NULL: no report from it) holds of snapshot S. */
void snap_cell_of(const struct snap_node *nd, uint32_t id,
		  const struct snap_node_row *s, struct snap_cell *c);

/*
 * A follower takes its leader's relay as the cluster's view while the
 * leader's own report in it came this recently (the leader relays every
 * 10 s); past that the leader is unreachable and its view is local only.
 */
#define SNAP_RELAY_STALE_MS	30000

/* Where the per-node table comes from. */
enum snap_source {
	SNAP_SRC_LEADER,	/* this node leads: it has every report */
	SNAP_SRC_RELAYED,	/* a follower: as its leader relayed them */
	SNAP_SRC_LOCAL,		/* a follower without a recent relay */
};

/* Every snapshot any member reported, and each member's cell. */
struct snap_cluster {
	bool leader;		/* this node leads: it has every report */
	enum snap_source source;
	uint64_t relay_ms;	/* RELAYED: how old the leader's relay is */
	char note[200];		/* LOCAL: why, for the list */
	uint32_t leader_id;
	uint32_t n_nodes;
	uint32_t nodes[SNAP_NODES_MAX];
	struct snap_nodes reports;
	uint32_t n;
	struct {
		struct snap_node_row snap;
		struct snap_cell cells[SNAP_NODES_MAX];
	} v[SNAP_CLUSTER_MAX];
};

/*
 * C from D's node: on the leader from the reports it holds, on a follower
 * from those its leader relayed (source LOCAL when none came lately, with
 * c->note saying why): 0 or -1.
 */
int snap_cluster_load(const struct dev_info *d, struct snap_cluster *c);
/* The same from the reports R (snap_nodes_get()), which C keeps. */
void snap_cluster_build(const struct dev_info *d, const struct snap_nodes *r,
			struct snap_cluster *c);
void snap_cluster_print(const struct dev_info *d, const struct snap_cluster *c);
/* ",\n  \"cluster\": ..." for snapshot list --json. */
void snap_cluster_json(const struct dev_info *d, const struct snap_cluster *c);

#endif /* RAFTCTL_SNAPNODES_H */
