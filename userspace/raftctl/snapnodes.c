// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the state of each snapshot on each node.
 *
 * Each node's snapshots are its COW pool's table and device-mapper's
 * state of each, which raftctl reads on that node (snap_view_load()).
 * raftctl hands what it read to the kernel as the node's snapshot report
 * (SNAPSHOT_REPORT; layout in <linux/raftblk.h>), and a follower's kernel
 * sends its report on to the leader, which relays every report it holds
 * to its followers. SNAPSHOT_NODES gives the reports a node holds: on the
 * leader, every node's; on a follower its own and those its leader
 * relayed. snap_cluster_print() makes the
 * table of them: for each snapshot any node reported, what each member
 * holds of it (active, invalid, inactive, missing, pending, unknown) and
 * how old that information is.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <linux/raftblk.h>
#include "raftctl.h"
#include "snapnodes.h"

/*
 * A node not heard from for this long is marked stale (down, or cut off:
 * a follower resends its report every 10 s).
 */
#define SNAP_STALE_MS	30000

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

int snap_report_push(const struct dev_info *d, const struct snap_view *v)
{
	uint8_t b[RAFTBLK_SNAPREP_MAX_LEN];
	uint32_t n = v->n < RAFTBLK_SNAPREP_MAX_ROWS ? v->n :
		     RAFTBLK_SNAPREP_MAX_ROWS;
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	int ret;

	memset(b, 0, sizeof(b));
	put32(b, n);
	put32(b + 4, v->pool_err ? RAFTBLK_SNAPREP_F_POOL_ERROR : 0);
	for (uint32_t i = 0; i < n; i++) {
		const struct snap_row *r = &v->v[i];
		uint8_t *p = b + RAFTBLK_SNAPREP_HDR_LEN +
			     i * RAFTBLK_SNAPREP_ROW_LEN;

		memcpy(p, r->name, strnlen(r->name,
					   RAFTBLK_SNAPSHOT_NAME_MAXLEN));
		put64(p + 48, r->index);
		put64(p + 56, r->term);
		put64(p + 64, r->time);
		put64(p + 72, r->cow_size);
		put64(p + 80, r->cow_used);
		p[88] = r->rep;
	}
	nl = rb_nl_open(&err);
	if (!nl)
		return -1;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_SNAPSHOT_REPORT, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, d->name) ||
	    nla_put(msg, RAFTBLK_ATTR_SNAPSHOT_REPORT,
		    RAFTBLK_SNAPREP_HDR_LEN + n * RAFTBLK_SNAPREP_ROW_LEN, b)) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return -1;
	}
	/* an older module has no such command: nothing to tell it */
	ret = rb_nl_request(nl, msg, NULL, NULL, &err);
	rb_nl_close(nl);
	return ret ? -1 : 0;
}

void snap_report_refresh(const char *name)
{
	struct snap_view v;
	struct dev_list l;

	if (dev_list_get(name, "snapshot report", &l))
		return;
	if (l.n && l.v[0].has_node) {
		snap_view_load(&l.v[0], &v);
		snap_report_push(&l.v[0], &v);
	}
	free(l.v);
}

/* One SNAPSHOT_NODE nest into N; -1 if malformed. */
static int snap_node_parse(struct nlattr *nest, struct snap_node *n)
{
	static struct nla_policy pol[RAFTBLK_SNAPNODE_ATTR_MAX + 1] = {
		[RAFTBLK_SNAPNODE_ATTR_ID] = { .type = NLA_U32 },
		[RAFTBLK_SNAPNODE_ATTR_SELF] = { .type = NLA_FLAG },
		[RAFTBLK_SNAPNODE_ATTR_AGE_MS] = { .type = NLA_U64 },
		[RAFTBLK_SNAPNODE_ATTR_HEARD_MS] = { .type = NLA_U64 },
		[RAFTBLK_SNAPNODE_ATTR_VIA] = { .type = NLA_U32 },
		[RAFTBLK_SNAPNODE_ATTR_RELAY_MS] = { .type = NLA_U64 },
	};
	struct nlattr *tb[RAFTBLK_SNAPNODE_ATTR_MAX + 1];
	const uint8_t *b;
	uint32_t len;

	memset(n, 0, sizeof(*n));
	if (nla_parse_nested(tb, RAFTBLK_SNAPNODE_ATTR_MAX, nest, pol) ||
	    !tb[RAFTBLK_SNAPNODE_ATTR_ID] || !tb[RAFTBLK_SNAPNODE_ATTR_REPORT])
		return -1;
	n->id = nla_get_u32(tb[RAFTBLK_SNAPNODE_ATTR_ID]);
	n->self = nla_get_flag(tb[RAFTBLK_SNAPNODE_ATTR_SELF]);
	if (tb[RAFTBLK_SNAPNODE_ATTR_AGE_MS])
		n->age_ms = nla_get_u64(tb[RAFTBLK_SNAPNODE_ATTR_AGE_MS]);
	if (tb[RAFTBLK_SNAPNODE_ATTR_HEARD_MS])
		n->heard_ms = nla_get_u64(tb[RAFTBLK_SNAPNODE_ATTR_HEARD_MS]);
	if (tb[RAFTBLK_SNAPNODE_ATTR_VIA])
		n->via = nla_get_u32(tb[RAFTBLK_SNAPNODE_ATTR_VIA]);
	if (tb[RAFTBLK_SNAPNODE_ATTR_RELAY_MS])
		n->relay_ms = nla_get_u64(tb[RAFTBLK_SNAPNODE_ATTR_RELAY_MS]);
	b = nla_data(tb[RAFTBLK_SNAPNODE_ATTR_REPORT]);
	len = nla_len(tb[RAFTBLK_SNAPNODE_ATTR_REPORT]);
	if (len < RAFTBLK_SNAPREP_HDR_LEN)
		return -1;
	n->n = get32(b);
	if (n->n > RAFTBLK_SNAPREP_MAX_ROWS ||
	    len < RAFTBLK_SNAPREP_HDR_LEN + n->n * RAFTBLK_SNAPREP_ROW_LEN)
		return -1;
	n->flags = get32(b + 4);
	n->applied = get64(b + 8);
	n->copy_index = get64(b + 16);
	for (uint32_t i = 0; i < n->n; i++) {
		const uint8_t *p = b + RAFTBLK_SNAPREP_HDR_LEN +
				   i * RAFTBLK_SNAPREP_ROW_LEN;
		struct snap_node_row *r = &n->rows[i];

		memcpy(r->name, p, RAFTBLK_SNAPSHOT_NAME_MAXLEN);
		r->name[RAFTBLK_SNAPSHOT_NAME_MAXLEN] = '\0';
		r->index = get64(p + 48);
		r->term = get64(p + 56);
		r->time = get64(p + 64);
		r->cow_size = get64(p + 72);
		r->cow_used = get64(p + 80);
		r->state = p[88];
	}
	return 0;
}

static int on_snap_nodes(struct nl_msg *reply, void *arg)
{
	struct snap_nodes *s = arg;
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlmsg_hdr(reply)), 0),
			  genlmsg_attrlen(nlmsg_data(nlmsg_hdr(reply)), 0),
			  rem) {
		if (nla_type(a) != RAFTBLK_ATTR_SNAPSHOT_NODE)
			continue;
		if (s->n >= SNAP_NODES_MAX ||
		    snap_node_parse(a, &s->v[s->n])) {
			s->bad++;
			continue;
		}
		s->n++;
	}
	s->got = true;
	return NL_OK;
}

int snap_nodes_get(const char *name, struct snap_nodes *s)
{
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	int ret;

	memset(s, 0, sizeof(*s));
	nl = rb_nl_open(&err);
	if (!nl)
		return -1;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_SNAPSHOT_NODES, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name)) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return -1;
	}
	ret = rb_nl_request(nl, msg, on_snap_nodes, s, &err);
	rb_nl_close(nl);
	return ret || !s->got ? -1 : 0;
}

static const struct snap_node *node_report(const struct snap_nodes *s,
					   uint32_t id)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return &s->v[i];
	return NULL;
}

/* The members, in id order: this node and its peers. */
static uint32_t members(const struct dev_info *d, uint32_t *ids)
{
	uint32_t n = 0;

	ids[n++] = d->node_id;
	for (size_t i = 0; i < d->n_peers && n < SNAP_NODES_MAX; i++)
		if (d->peers[i].id != d->node_id)
			ids[n++] = d->peers[i].id;
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

/* The snapshots any member reported, by index (name and index: one). */
static uint32_t snap_union(const struct snap_nodes *s, const uint32_t *ids,
			   uint32_t n_ids, const struct snap_node_row **u,
			   uint32_t max)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < n_ids; k++) {
		const struct snap_node *nd = node_report(s, ids[k]);

		for (uint32_t i = 0; nd && i < nd->n; i++) {
			const struct snap_node_row *r = &nd->rows[i];
			uint32_t j;

			for (j = 0; j < n; j++)
				if (u[j]->index == r->index &&
				    !strcmp(u[j]->name, r->name))
					break;
			if (j < n || n >= max)
				continue;
			/* insertion by index */
			for (j = n++; j > 0 && u[j - 1]->index > r->index; j--)
				u[j] = u[j - 1];
			u[j] = r;
		}
	}
	return n;
}

static const char *const state_names[] = {
	[RAFTBLK_SNAPREP_ACTIVE] = "active",
	[RAFTBLK_SNAPREP_INVALID] = "invalid",
	[RAFTBLK_SNAPREP_INACTIVE] = "inactive",
	[RAFTBLK_SNAPREP_NO_SPACE] = "missing",
	[RAFTBLK_SNAPREP_NO_DEVICE] = "missing",
};

void snap_cell_of(const struct snap_node *nd, uint32_t id,
		  const struct snap_node_row *s, struct snap_cell *c)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	if (!nd) {
		c->state = "unknown";
		snprintf(c->why, sizeof(c->why),
			 "no report from node %u (down since the leader leads, or of an earlier version)",
			 id);
		return;
	}
	c->age_ms = nd->age_ms;
	c->have_age = true;
	c->stale = nd->heard_ms > SNAP_STALE_MS;
	for (uint32_t i = 0; i < nd->n; i++) {
		const struct snap_node_row *r = &nd->rows[i];

		if (strcmp(r->name, s->name))
			continue;
		if (r->index != s->index) {
			c->state = "missing";
			snprintf(c->why, sizeof(c->why),
				 "another snapshot of that name there (index %" PRIu64 ")",
				 r->index);
			return;
		}
		c->state = r->state < sizeof(state_names) /
			   sizeof(state_names[0]) && state_names[r->state] ?
			   state_names[r->state] : "unknown";
		c->cow_used = r->cow_used;
		c->cow_size = r->cow_size;
		c->taken = r->state <= RAFTBLK_SNAPREP_INACTIVE;
		if (r->state == RAFTBLK_SNAPREP_INVALID)
			snprintf(c->why, sizeof(c->why),
				 "its COW space overflowed there: lost");
		else if (r->state == RAFTBLK_SNAPREP_INACTIVE)
			snprintf(c->why, sizeof(c->why),
				 "taken, its device not set up there");
		else if (r->state == RAFTBLK_SNAPREP_NO_SPACE)
			snprintf(c->why, sizeof(c->why),
				 "not taken there: no room in its COW pool");
		else if (r->state == RAFTBLK_SNAPREP_NO_DEVICE)
			snprintf(c->why, sizeof(c->why),
				 "not taken there: its COW device is missing, too small or in use");
		return;
	}
	if (nd->applied < s->index) {
		c->state = "pending";
		snprintf(c->why, sizeof(c->why),
			 "entry not applied there yet (node at index %" PRIu64 "%s)",
			 nd->applied, c->stale ?
			 ", not heard from lately: down?" : "");
	} else if (nd->copy_index >= s->index) {
		c->state = "missing";
		snprintf(c->why, sizeof(c->why),
			 "joined by a copy of index %" PRIu64
			 ": cannot take a snapshot of a point it never held",
			 nd->copy_index);
	} else if (!(nd->flags & RAFTBLK_SNAPREP_F_POOL)) {
		c->state = "missing";
		snprintf(c->why, sizeof(c->why),
			 "no COW pool configured there");
	} else if (!(nd->flags & RAFTBLK_SNAPREP_F_KNOWN)) {
		c->state = "unknown";
		snprintf(c->why, sizeof(c->why),
			 "its pool was not read since it started (raftctl status there)");
	} else if (nd->flags & RAFTBLK_SNAPREP_F_POOL_ERROR) {
		c->state = "unknown";
		snprintf(c->why, sizeof(c->why),
			 "its COW pool cannot be read there");
	} else {
		c->state = "missing";
		snprintf(c->why, sizeof(c->why),
			 "applied there but not taken (replayed after a restart, or deleted there)");
	}
}

/*
 * On a follower: whether R holds a recent relay from its leader (the
 * leader's own report in it); else why not, into C's note.
 */
static bool relay_fresh(const struct dev_info *d, const struct snap_nodes *r,
			struct snap_cluster *c)
{
	const struct snap_node *ld = NULL;

	for (uint32_t i = 0; i < r->n; i++)
		if (r->v[i].id == d->leader_id && r->v[i].via == d->leader_id)
			ld = &r->v[i];
	if (!d->leader_id) {
		snprintf(c->note, sizeof(c->note), "no leader known");
		return false;
	}
	if (!ld) {
		snprintf(c->note, sizeof(c->note),
			 "the leader (node %u) relayed nothing since this node follows it (unreachable, or of an earlier version)",
			 d->leader_id);
		return false;
	}
	if (ld->relay_ms > SNAP_RELAY_STALE_MS) {
		snprintf(c->note, sizeof(c->note),
			 "nothing from the leader (node %u) for %" PRIu64 "s: unreachable",
			 d->leader_id, ld->relay_ms / 1000);
		return false;
	}
	c->relay_ms = ld->relay_ms;
	return true;
}

void snap_cluster_build(const struct dev_info *d, const struct snap_nodes *r,
			struct snap_cluster *c)
{
	uint32_t ids[SNAP_NODES_MAX];
	const struct snap_node_row *u[SNAP_CLUSTER_MAX];

	memset(c, 0, sizeof(*c));
	c->leader = d->role == RAFTBLK_ROLE_LEADER;
	c->leader_id = d->leader_id;
	c->reports = *r;
	if (c->leader)
		c->source = SNAP_SRC_LEADER;
	else if (relay_fresh(d, r, c))
		c->source = SNAP_SRC_RELAYED;
	else
		c->source = SNAP_SRC_LOCAL;
	if (c->source == SNAP_SRC_LOCAL)
		return;
	c->n_nodes = members(d, ids);
	memcpy(c->nodes, ids, sizeof(ids[0]) * c->n_nodes);
	c->n = snap_union(&c->reports, ids, c->n_nodes, u, SNAP_CLUSTER_MAX);
	for (uint32_t i = 0; i < c->n; i++) {
		c->v[i].snap = *u[i];
		for (uint32_t k = 0; k < c->n_nodes; k++)
			snap_cell_of(node_report(&c->reports, ids[k]), ids[k],
				     u[i], &c->v[i].cells[k]);
	}
}

int snap_cluster_load(const struct dev_info *d, struct snap_cluster *c)
{
	static struct snap_nodes r;	/* large: not on the stack */

	if (snap_nodes_get(d->name, &r)) {
		memset(&r, 0, sizeof(r));
		snap_cluster_build(d, &r, c);
		return -1;
	}
	snap_cluster_build(d, &r, c);
	return 0;
}

static void fmt_age(char *buf, size_t len, const struct snap_cell *c)
{
	if (!c->have_age)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRIu64 "s%s", c->age_ms / 1000,
			 c->stale ? " (stale)" : "");
}

/* The line above the table: which node's view, and how fresh. */
static void cluster_title(const struct dev_info *d, const struct snap_cluster *c)
{
	if (c->source == SNAP_SRC_LEADER)
		printf("%s node %u (leader): ", d->name, d->node_id);
	else
		printf("%s node %u (follower; as the leader, node %u, relayed it %" PRIu64 "s ago): ",
		       d->name, d->node_id, c->leader_id, c->relay_ms / 1000);
}

void snap_cluster_print(const struct dev_info *d, const struct snap_cluster *c)
{
	static const char *const hdr[] = {
		"SNAPSHOT", "INDEX", "TERM", "NODE", "STATE", "COW-USED",
		"AS-OF",
	};
	struct table *tab;

	if (c->source == SNAP_SRC_LOCAL) {
		printf("%s node %u: state on each node not known here: %s; above is this node's own view only (local)\n",
		       d->name, d->node_id, c->note);
		return;
	}
	cluster_title(d, c);
	if (!c->n) {
		printf("no snapshot on any node\n");
		return;
	}
	printf("state on each node:\n");
	tab = table_new(7, hdr);
	for (uint32_t i = 0; i < c->n; i++) {
		const struct snap_node_row *s = &c->v[i].snap;

		for (uint32_t k = 0; k < c->n_nodes; k++) {
			const struct snap_cell *x = &c->v[i].cells[k];
			char idx[24], term[24], node[16], used[16], age[32];
			const char *row[7];

			snprintf(idx, sizeof(idx), "%" PRIu64, s->index);
			snprintf(term, sizeof(term), "%" PRIu64, s->term);
			snprintf(node, sizeof(node), "%u", x->id);
			if (x->taken)
				format_size(used, sizeof(used), x->cow_used);
			else
				snprintf(used, sizeof(used), "-");
			fmt_age(age, sizeof(age), x);
			row[0] = s->name;
			row[1] = idx;
			row[2] = term;
			row[3] = node;
			row[4] = x->state;
			row[5] = used;
			row[6] = age;
			table_add_row(tab, row);
		}
	}
	table_print(tab, stdout);
	table_free(tab);
	for (uint32_t i = 0; i < c->n; i++)
		for (uint32_t k = 0; k < c->n_nodes; k++)
			if (c->v[i].cells[k].why[0])
				printf("%s %s node %u: %s: %s\n", d->name,
				       c->v[i].snap.name, c->v[i].cells[k].id,
				       c->v[i].cells[k].state,
				       c->v[i].cells[k].why);
}

static const char *const source_names[] = {
	[SNAP_SRC_LEADER] = "leader",
	[SNAP_SRC_RELAYED] = "relayed",
	[SNAP_SRC_LOCAL] = "local",
};

void snap_cluster_json(const struct dev_info *d, const struct snap_cluster *c)
{
	printf(",\n  \"cluster_source\": \"%s\"", source_names[c->source]);
	printf(",\n  \"leader_id\": %u", c->leader_id);
	if (c->source == SNAP_SRC_RELAYED)
		printf(",\n  \"relay_age_ms\": %" PRIu64, c->relay_ms);
	/* the nodes whose reports this node holds, its own first */
	printf(",\n  \"reports_from\": [");
	for (uint32_t i = 0; i < c->reports.n; i++)
		printf("%s%u", i ? ", " : "", c->reports.v[i].id);
	printf("]");
	printf(",\n  \"cluster\": ");
	if (c->source == SNAP_SRC_LOCAL) {
		printf("null,\n  \"cluster_note\": ");
		json_string(stdout, c->note);
		return;
	}
	printf("[");
	for (uint32_t i = 0; i < c->n; i++) {
		const struct snap_node_row *s = &c->v[i].snap;

		printf("%s\n    {\"snapshot\": ", i ? "," : "");
		json_string(stdout, s->name);
		printf(", \"index\": %" PRIu64 ", \"term\": %" PRIu64
		       ", \"nodes\": [", s->index, s->term);
		for (uint32_t k = 0; k < c->n_nodes; k++) {
			const struct snap_cell *x = &c->v[i].cells[k];

			printf("%s{\"node_id\": %u, \"state\": \"%s\"",
			       k ? ", " : "", x->id, x->state);
			if (x->taken)
				printf(", \"cow_used\": %" PRIu64
				       ", \"cow_size\": %" PRIu64, x->cow_used,
				       x->cow_size);
			if (x->have_age)
				printf(", \"age_ms\": %" PRIu64
				       ", \"stale\": %s", x->age_ms,
				       x->stale ? "true" :
				       "false");
			printf(", \"why\": ");
			if (x->why[0])
				json_string(stdout, x->why);
			else
				printf("null");
			printf("}");
		}
		printf("]}");
	}
	printf("%s]", c->n ? "\n  " : "");
	(void)d;
}
