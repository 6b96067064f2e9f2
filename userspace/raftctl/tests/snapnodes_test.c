// SPDX-License-Identifier: GPL-2.0
/*
 * What the leader's snapshot list says of one node's state of one
 * snapshot (snap_cell_of()), from the node's report: every case. TAP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../snapnodes.h"

static int n, failed;

static void expect(const char *name, const struct snap_node *nd,
		   const char *state, const char *why)
{
	static const struct snap_node_row s = {
		.name = "nightly", .index = 100, .term = 3,
	};
	struct snap_cell c;

	snap_cell_of(nd, 2, &s, &c);
	n++;
	if (!strcmp(c.state, state) && strstr(c.why, why)) {
		printf("ok %d - %s: %s\n", n, name, state);
	} else {
		failed++;
		printf("not ok %d - %s\n# got:  %s: %s\n# want: %s: ...%s...\n",
		       n, name, c.state, c.why, state, why);
	}
}

static void row(struct snap_node *nd, const char *name, uint64_t index,
		uint8_t state)
{
	struct snap_node_row *r = &nd->rows[nd->n++];

	snprintf(r->name, sizeof(r->name), "%s", name);
	r->index = index;
	r->term = 3;
	r->cow_size = 1 << 20;
	r->cow_used = 4096;
	r->state = state;
}

static void check(bool good, const char *name, const struct snap_cluster *c)
{
	n++;
	if (good) {
		printf("ok %d - %s\n", n, name);
	} else {
		failed++;
		printf("not ok %d - %s\n# source %d, %u snapshots, note: %s\n",
		       n, name, c->source, c->n, c->note);
	}
}

/* A node's report of "nightly" at index 100 in STATE. */
static void report(struct snap_nodes *r, uint32_t id, bool self, uint32_t via,
		   uint64_t relay_ms, uint8_t state)
{
	struct snap_node *nd = &r->v[r->n++];

	memset(nd, 0, sizeof(*nd));
	nd->id = id;
	nd->self = self;
	nd->via = via;
	nd->relay_ms = relay_ms;
	nd->applied = 120;
	nd->flags = RAFTBLK_SNAPREP_F_POOL | RAFTBLK_SNAPREP_F_KNOWN;
	row(nd, "nightly", 100, state);
}

static bool cells(const struct snap_cluster *c, const char *s1,
		  const char *s2, const char *s3)
{
	return c->n == 1 && c->n_nodes == 3 &&
	       !strcmp(c->v[0].cells[0].state, s1) &&
	       !strcmp(c->v[0].cells[1].state, s2) &&
	       !strcmp(c->v[0].cells[2].state, s3);
}

/*
 * snap_cluster_build(): the table on the leader from what it holds, on a
 * follower from what its leader relayed, else only the local view.
 */
static void cluster_cases(void)
{
	static struct dev_info d;
	static struct snap_nodes r;
	static struct snap_cluster c;

	snprintf(d.name, sizeof(d.name), "raftblk0");
	d.node_id = 2;
	d.leader_id = 1;
	d.role = RAFTBLK_ROLE_FOLLOWER;
	d.n_peers = 2;
	d.peers[0].id = 1;
	d.peers[1].id = 3;

	memset(&r, 0, sizeof(r));
	report(&r, 2, true, 0, 0, RAFTBLK_SNAPREP_ACTIVE);
	report(&r, 1, false, 1, 2000, RAFTBLK_SNAPREP_ACTIVE);
	report(&r, 3, false, 1, 2000, RAFTBLK_SNAPREP_NO_SPACE);
	snap_cluster_build(&d, &r, &c);
	check(c.source == SNAP_SRC_RELAYED && c.relay_ms == 2000 &&
	      cells(&c, "active", "active", "missing"),
	      "follower: every node's state, as its leader relayed it", &c);

	r.v[1].relay_ms = SNAP_RELAY_STALE_MS + 1000;
	snap_cluster_build(&d, &r, &c);
	check(c.source == SNAP_SRC_LOCAL && !c.n &&
	      strstr(c.note, "nothing from the leader (node 1) for 31s: unreachable"),
	      "follower, leader's relay too old: local view, says why", &c);

	r.v[1].relay_ms = 2000;
	r.v[1].via = r.v[2].via = 3;
	snap_cluster_build(&d, &r, &c);
	check(c.source == SNAP_SRC_LOCAL &&
	      strstr(c.note, "relayed nothing since this node follows it"),
	      "follower, relay of a former leader only: local view", &c);

	r.n = 1;
	snap_cluster_build(&d, &r, &c);
	check(c.source == SNAP_SRC_LOCAL &&
	      strstr(c.note, "the leader (node 1) relayed nothing"),
	      "follower, no relay at all: local view, says why", &c);

	d.leader_id = 0;
	snap_cluster_build(&d, &r, &c);
	check(c.source == SNAP_SRC_LOCAL && strstr(c.note, "no leader known"),
	      "follower without a leader: local view", &c);

	d.node_id = 1;
	d.leader_id = 1;
	d.role = RAFTBLK_ROLE_LEADER;
	d.peers[0].id = 2;
	memset(&r, 0, sizeof(r));
	report(&r, 1, true, 0, 0, RAFTBLK_SNAPREP_ACTIVE);
	report(&r, 2, false, 0, 0, RAFTBLK_SNAPREP_INVALID);
	snap_cluster_build(&d, &r, &c);
	check(c.source == SNAP_SRC_LEADER &&
	      cells(&c, "active", "invalid", "unknown"),
	      "leader: the reports it holds, unknown for a silent node", &c);
}

int main(void)
{
	struct snap_node nd;
	const struct snap_node base = {
		.id = 2, .age_ms = 3000, .applied = 120,
		.flags = RAFTBLK_SNAPREP_F_POOL | RAFTBLK_SNAPREP_F_KNOWN,
	};

	expect("no report", NULL, "unknown", "no report from node 2");
	nd = base;
	row(&nd, "weekly", 50, RAFTBLK_SNAPREP_ACTIVE);
	row(&nd, "nightly", 100, RAFTBLK_SNAPREP_ACTIVE);
	expect("reported active", &nd, "active", "");
	nd = base;
	row(&nd, "nightly", 100, RAFTBLK_SNAPREP_INVALID);
	expect("reported invalid", &nd, "invalid", "overflowed");
	nd = base;
	row(&nd, "nightly", 100, RAFTBLK_SNAPREP_NO_SPACE);
	expect("reported without room", &nd, "missing", "no room");
	nd = base;
	row(&nd, "nightly", 100, RAFTBLK_SNAPREP_NO_DEVICE);
	expect("reported without its COW device", &nd, "missing",
	       "COW device");
	nd = base;
	row(&nd, "nightly", 90, RAFTBLK_SNAPREP_ACTIVE);
	expect("another snapshot of that name", &nd, "missing",
	       "another snapshot of that name there (index 90)");
	nd = base;
	nd.applied = 99;
	expect("entry not applied yet", &nd, "pending", "node at index 99)");
	nd.age_ms = 31000;
	expect("entry not applied, rows old, node heard", &nd, "pending",
	       "node at index 99)");
	nd.heard_ms = 31000;
	expect("entry not applied, node not heard lately", &nd, "pending",
	       "not heard from lately: down?");
	nd = base;
	nd.copy_index = 100;
	expect("joined by a copy of the entry's index", &nd, "missing",
	       "joined by a copy of index 100: cannot take a snapshot of a point it never held");
	nd = base;
	nd.copy_index = 99;
	expect("copy before the entry: applied, not taken", &nd, "missing",
	       "applied there but not taken");
	nd = base;
	nd.flags = 0;
	expect("no pool there", &nd, "missing", "no COW pool configured there");
	nd = base;
	nd.flags = RAFTBLK_SNAPREP_F_POOL;
	expect("pool never read there", &nd, "unknown", "not read since");
	nd = base;
	nd.flags |= RAFTBLK_SNAPREP_F_POOL_ERROR;
	expect("pool unreadable there", &nd, "unknown", "cannot be read");
	cluster_cases();
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
