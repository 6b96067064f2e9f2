// SPDX-License-Identifier: GPL-2.0
/*
 * What the leader's snapshot list says of one node's state of one
 * snapshot (snap_cell_of()), from the node's report: every case. TAP.
 */
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
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
