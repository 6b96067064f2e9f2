// SPDX-License-Identifier: GPL-2.0
/*
 * raftscript - interaction scripts for the consensus core, in the style of
 * etcd raft testdata files (datadriven): each directive is a command
 * line, a "----" line and the expected output, ended by a blank line.
 *
 *   raftscript [--tap] [--rewrite] FILE...
 *
 * --rewrite replaces the expected output with what the core produces now
 * (review the diff before committing it). Every command runs the
 * simulator's invariant checker; a broken invariant shows up in the
 * output. Commands are documented in Documentation/raft-testing.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define ULL(x) ((unsigned long long)(x))
#define MAX_ARGS 32

/* ------------------------------------------------------------------ */
/* Output buffer                                                      */

struct obuf {
	char *s;
	size_t n, cap;
};

static void out(struct obuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(struct obuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->s ? b->s + b->n : NULL,
			      b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (b->s && (size_t)k < b->cap - b->n)
			break;
		b->cap = (b->cap + k + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	b->n += k;
}

/* ------------------------------------------------------------------ */
/* Environment                                                        */

struct env {
	struct sim_cluster c;
	struct sim_mailbox mb;
	bool have_cluster;
	bool async[SIM_MAX_NODES + 1];	/* writes wait for "persist N" */
	struct obuf *o;
};

static struct env E;

static const char *err_name(int err)
{
	switch (err) {
	case RAFT_OK: return "ok";
	case RAFT_ENOMEM: return "ENOMEM";
	case RAFT_ENOTLEADER: return "ENOTLEADER";
	case RAFT_EBUSY: return "EBUSY";
	case RAFT_EINVAL: return "EINVAL";
	case RAFT_ETOOBIG: return "ETOOBIG";
	case RAFT_ECOMPACTED: return "ECOMPACTED";
	case RAFT_ESHUTDOWN: return "ESHUTDOWN";
	}
	return "E?";
}

static void fmt_entry(struct obuf *o, const struct raft_entry *e)
{
	out(o, "%llu/%llu %s", ULL(e->term), ULL(e->index),
	    sim_entry_type_name(e->type));
	if (e->type == RAFT_ENTRY_NORMAL) {
		u64 b, w;

		sim_payload_decode(e->payload, &b, &w);
		out(o, " b%llu=w%llu", ULL(b), ULL(w));
	} else if (e->type == RAFT_ENTRY_CONF) {
		static const char *const ops[] = { "?", "add-learner",
			"promote", "remove", "demote" };

		out(o, " %s %llu", e->cc.op <= 4 ? ops[e->cc.op] : "?",
		    ULL(e->cc.id));
	}
}

static void fmt_conf(struct obuf *o, const struct raft_conf *c)
{
	int f = 0;

	out(o, "voters=(");
	for (u32 i = 0; i < c->n; i++)
		if (c->nodes[i].role == RAFT_VOTER)
			out(o, "%s%llu", f++ ? "," : "", ULL(c->nodes[i].id));
	out(o, ")");
	f = 0;
	for (u32 i = 0; i < c->n; i++)
		if (c->nodes[i].role == RAFT_LEARNER)
			out(o, "%s%llu", f++ ? "," : " learners=(",
			    ULL(c->nodes[i].id));
	if (f)
		out(o, ")");
}

static void on_ready(struct sim_cluster *c, struct sim_node *n,
		     const struct raft_ready *rd)
{
	struct obuf *o = E.o;
	char buf[2048];

	(void)c;
	out(o, "> %llu handling Ready\n", ULL(n->id));
	out(o, "  %s leader=%llu\n", raft_role_name(rd->role),
	    ULL(rd->leader));
	if (rd->hs_changed)
		out(o, "  HardState term=%llu vote=%llu commit=%llu\n",
		    ULL(rd->hs.term), ULL(rd->hs.vote), ULL(rd->hs.commit));
	if (rd->snap_to_install) {
		out(o, "  Snapshot index=%llu term=%llu ", ULL(rd->snap.index),
		    ULL(rd->snap.term));
		fmt_conf(o, &rd->snap.conf);
		out(o, "\n");
	}
	if (rd->n_entries) {
		out(o, "  Entries:\n");
		for (u32 i = 0; i < rd->n_entries; i++) {
			out(o, "  ");
			fmt_entry(o, &rd->entries[i]);
			out(o, "\n");
		}
	}
	if (rd->n_committed) {
		out(o, "  Committed:\n");
		for (u32 i = 0; i < rd->n_committed; i++) {
			out(o, "  ");
			fmt_entry(o, &rd->committed[i]);
			out(o, "\n");
		}
	}
	if (rd->n_read_states) {
		out(o, "  ReadStates:\n");
		for (u32 i = 0; i < rd->n_read_states; i++)
			out(o, "  ctx=%llu index=%llu\n",
			    ULL(rd->read_states[i].context),
			    ULL(rd->read_states[i].index));
	}
	if (rd->n_msgs) {
		out(o, "  Messages:\n");
		for (u32 i = 0; i < rd->n_msgs; i++) {
			sim_format_msg(buf, sizeof(buf), &rd->msgs[i]);
			out(o, "  %s\n", buf);
		}
	}
	if ((rd->hs_changed || rd->n_entries || rd->snap_to_install) &&
	    E.async[n->id])
		out(o, "  (write in flight)\n");
}

static const struct sim_net_ops script_net = {
	.send = NULL,	/* set in main: mailbox */
	.on_ready = on_ready,
};

static struct sim_net_ops net_ops;

static void env_reset(void)
{
	if (E.have_cluster) {
		sim_mailbox_free(&E.mb);
		sim_cluster_free(&E.c);
	}
	memset(&E.mb, 0, sizeof(E.mb));
	memset(E.async, 0, sizeof(E.async));
	E.have_cluster = false;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                          */

struct args {
	int n;
	char *v[MAX_ARGS];
};

static bool parse_id(const char *s, raft_id *id)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (!*s || *end || v < 1 || v > SIM_MAX_NODES)
		return false;
	*id = v;
	return true;
}

/* "(1,2,3)" -> bitmask of ids */
static bool parse_set(const char *s, u64 *mask)
{
	char tmp[128], *p, *tok, *save;

	*mask = 0;
	if (*s != '(' || s[strlen(s) - 1] != ')' || strlen(s) >= sizeof(tmp))
		return false;
	snprintf(tmp, sizeof(tmp), "%.*s", (int)strlen(s) - 2, s + 1);
	for (p = tmp; (tok = strtok_r(p, ",", &save)); p = NULL) {
		raft_id id;

		if (!parse_id(tok, &id))
			return false;
		*mask |= 1ULL << id;
	}
	return true;
}

static const char *kv(const struct args *a, const char *key)
{
	size_t k = strlen(key);

	for (int i = 1; i < a->n; i++)
		if (!strncmp(a->v[i], key, k) && a->v[i][k] == '=')
			return a->v[i] + k + 1;
	return NULL;
}

static bool kv_bool(const struct args *a, const char *key, bool def)
{
	const char *v = kv(a, key);

	if (!v)
		return def;
	return !strcmp(v, "true") || !strcmp(v, "1");
}

static u64 kv_u64(const struct args *a, const char *key, u64 def)
{
	const char *v = kv(a, key);

	return v ? strtoull(v, NULL, 0) : def;
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */

static bool need_node(struct obuf *o, const struct args *a, int i,
		      raft_id *id)
{
	if (!E.have_cluster) {
		out(o, "error: no cluster (add-nodes first)\n");
		return false;
	}
	if (i >= a->n || !parse_id(a->v[i], id)) {
		out(o, "error: expected a node id\n");
		return false;
	}
	if (!E.c.nodes[*id].exists) {
		out(o, "error: node %llu does not exist\n", ULL(*id));
		return false;
	}
	return true;
}

static bool node_up(struct obuf *o, raft_id id)
{
	if (!E.c.nodes[id].up) {
		out(o, "error: node %llu is down\n", ULL(id));
		return false;
	}
	return true;
}

static void process(raft_id id)
{
	sim_node_process(&E.c, id, !E.async[id]);
	sim_observe_node(&E.c, id);
}

static bool deliver_one(struct obuf *o, raft_id to, struct sim_msg *m,
			bool header)
{
	char buf[2048];
	raft_id from = m->m.from;

	sim_format_msg(buf, sizeof(buf), &m->m);
	if (header)
		out(o, "> %llu receiving messages\n", ULL(to));
	if (from <= SIM_MAX_NODES && E.mb.cut[from][to]) {
		out(o, "  %s (dropped: partition)\n", buf);
		if (m->m.type == RAFT_MSG_SNAPSHOT && E.c.nodes[from].up &&
		    E.c.nodes[from].inc == m->from_inc)
			raft_report_snapshot(E.c.nodes[from].r, to, false);
		sim_msg_free(m);
		return true;
	}
	if (!E.c.nodes[to].up) {
		out(o, "  %s (dropped: node down)\n", buf);
		sim_msg_free(m);
		return true;
	}
	out(o, "  %s\n", buf);
	if (m->m.type == RAFT_MSG_SNAPSHOT) {
		struct sim_node *f = &E.c.nodes[from];

		sim_node_step(&E.c, m);
		/* the transport finished shipping the snapshot */
		if (f->up && !f->rd_active)
			raft_report_snapshot(f->r, to, true);
	} else {
		sim_node_step(&E.c, m);
	}
	sim_observe_node(&E.c, to);
	return true;
}

/* Deliver queued messages to `to` (all, or those of type / from). */
static int deliver(struct obuf *o, raft_id to, int type, raft_id from,
		   bool drop)
{
	struct sim_msg *keep_h = NULL, *keep_t = NULL, *m;
	int n = 0;
	char buf[2048];

	while ((m = sim_mailbox_pop(&E.mb, to))) {
		bool match = (type < 0 || m->m.type == type) &&
			     (!from || m->m.from == from);

		if (!match) {
			m->next = NULL;
			if (keep_t)
				keep_t->next = m;
			else
				keep_h = m;
			keep_t = m;
			continue;
		}
		if (drop) {
			sim_format_msg(buf, sizeof(buf), &m->m);
			out(o, "  dropped: %s\n", buf);
			if (m->m.type == RAFT_MSG_SNAPSHOT &&
			    E.c.nodes[m->m.from].up &&
			    E.c.nodes[m->m.from].inc == m->from_inc)
				raft_report_snapshot(E.c.nodes[m->m.from].r,
						     to, false);
			sim_msg_free(m);
		} else {
			deliver_one(o, to, m, n == 0);
		}
		n++;
	}
	while ((m = keep_h)) {
		keep_h = m->next;
		sim_mailbox_push(&E.mb, m);
	}
	return n;
}

static int msg_type_by_name(const char *s)
{
	for (int t = 1; t <= RAFT_MSG_TYPE_MAX; t++) {
		const char *n = raft_msg_type_name((u8)t);
		char tmp[32];

		if (!strcasecmp(s, n))
			return t;
		/* also accept the short names printed in messages */
		struct raft_msg m = { .type = (u8)t };

		sim_format_msg(tmp, sizeof(tmp), &m);
		if (!strncmp(tmp + 5, s, strlen(s)) &&
		    tmp[5 + strlen(s)] == ' ')
			return t;
	}
	return -1;
}

static void stabilize(struct obuf *o)
{
	for (int round = 0; round < 1000; round++) {
		bool did = false;

		for (raft_id id = 1; id <= E.c.max_id; id++) {
			struct sim_node *n = &E.c.nodes[id];

			if (n->up && !n->rd_active && raft_has_ready(n->r)) {
				process(id);
				did = true;
			}
		}
		for (raft_id id = 1; id <= E.c.max_id; id++)
			if (E.mb.head[id]) {
				deliver(o, id, -1, 0, false);
				did = true;
			}
		if (!did || E.c.failed)
			return;
	}
	out(o, "error: not stable after 1000 rounds\n");
}

static void status(struct obuf *o, raft_id id)
{
	struct sim_node *n = &E.c.nodes[id];
	struct raft_status st;

	if (!n->up) {
		out(o, "%llu: down (disk: term=%llu vote=%llu log %llu..%llu)\n",
		    ULL(id), ULL(n->dhs.term), ULL(n->dhs.vote),
		    ULL(n->dlog.base + 1), ULL(sim_log_last(&n->dlog)));
		return;
	}
	raft_get_status(n->r, &st);
	out(o, "%llu: %s term=%llu vote=%llu leader=%llu commit=%llu applied=%llu log=%llu..%llu persisted=%llu ",
	    ULL(id), raft_role_name(st.role), ULL(st.term), ULL(st.vote),
	    ULL(st.leader), ULL(st.commit), ULL(n->sm.applied),
	    ULL(st.first_index), ULL(st.last_index),
	    ULL(st.persisted_index));
	fmt_conf(o, &st.conf);
	out(o, "\n");
	for (u32 i = 0; i < st.n_progress; i++) {
		static const char *const states[] = { "?", "probe",
			"pipeline", "snapshot" };
		const struct raft_progress_info *p = &st.progress[i];

		out(o, "  %llu: %s match=%llu next=%llu%s%s\n", ULL(p->id),
		    p->state <= 3 ? states[p->state] : "?", ULL(p->match),
		    ULL(p->next), p->role == RAFT_LEARNER ? " learner" : "",
		    p->recent_active ? " active" : "");
	}
	if (st.transferee)
		out(o, "  transferring to %llu\n", ULL(st.transferee));
	if (st.waiting) {
		static const char *const waits[] = { "none", "snapshot",
			"log", "hard-state", "resync" };

		out(o, "  waiting: %s %llu\n",
		    st.waiting <= RAFT_WAIT_RESYNC ? waits[st.waiting] : "?",
		    ULL(st.wait_index));
	}
}

static void raft_log(struct obuf *o, raft_id id, bool disk)
{
	struct sim_node *n = &E.c.nodes[id];
	const struct sim_log *l = disk ? &n->dlog : &n->shadow;

	if (!disk && !n->up) {
		out(o, "%llu: down\n", ULL(id));
		return;
	}
	if (l->base)
		out(o, "snapshot %llu/%llu\n", ULL(l->base_term), ULL(l->base));
	if (!l->n)
		out(o, "(empty)\n");
	for (u32 i = 0; i < l->n; i++) {
		const struct sim_ent *e = &l->e[i];

		out(o, "%llu/%llu %s", ULL(e->term), ULL(l->base + 1 + i),
		    sim_entry_type_name(e->type));
		if (e->type == RAFT_ENTRY_NORMAL)
			out(o, " b%llu=w%llu", ULL(e->block), ULL(e->wid));
		else if (e->type == RAFT_ENTRY_CONF)
			out(o, " op%u %llu", e->cc_op, ULL(e->cc_id));
		out(o, "\n");
	}
}

static void cmd_add_nodes(struct obuf *o, const struct args *a)
{
	struct sim_config cfg;
	u64 voters = 0, learners = 0;
	u32 nv = 0, nl = 0;
	const char *v;

	env_reset();
	sim_config_default(&cfg);
	cfg.election_ticks = (u32)kv_u64(a, "election", 10);
	cfg.heartbeat_ticks = (u32)kv_u64(a, "heartbeat", 1);
	cfg.pre_vote = kv_bool(a, "prevote", false);
	cfg.check_quorum = kv_bool(a, "checkquorum", false);
	cfg.lease_read = kv_bool(a, "lease", false);
	cfg.lease_restart_wait = kv_bool(a, "lease-restart-wait", false);
	cfg.max_inflight_msgs = (u32)kv_u64(a, "max-inflight", 256);
	cfg.max_msg_bytes = kv_u64(a, "max-msg-bytes", 1 << 20);
	if ((v = kv(a, "voters")) && !parse_set(v, &voters)) {
		out(o, "error: bad voters=\n");
		return;
	}
	if ((v = kv(a, "learners")) && !parse_set(v, &learners)) {
		out(o, "error: bad learners=\n");
		return;
	}
	for (raft_id id = 1; id <= SIM_MAX_NODES; id++) {
		nv += voters >> id & 1;
		nl += learners >> id & 1;
	}
	/* ids must be 1..nv voters then learners */
	if (!nv || voters != ((1ULL << (nv + 1)) - 2) ||
	    learners != (((1ULL << (nv + nl + 1)) - 2) & ~voters)) {
		out(o, "error: voters must be (1..n), learners the next ids\n");
		return;
	}
	if (a->n < 2 || strtoul(a->v[1], NULL, 10) != nv + nl) {
		out(o, "error: count does not match voters + learners\n");
		return;
	}
	sim_cluster_init(&E.c, kv_u64(a, "seed", 1), &cfg, &net_ops, &E.mb);
	/* read-index means the ready cycle; the lease fast path is unit-tested */
	E.c.reads_via_ready = true;
	E.have_cluster = true;
	if (sim_bootstrap_at(&E.c, nv, nl, kv_u64(a, "index", 1))) {
		out(o, "error: bootstrap failed\n");
		return;
	}
	out(o, "ok\n");
}

static bool dispatch(struct obuf *o, struct args *a)
{
	const char *c = a->v[0];
	raft_id id, id2;
	int err;

	if (!strcmp(c, "add-nodes")) {
		cmd_add_nodes(o, a);
	} else if (!strcmp(c, "new-node")) {
		/* a blank node (empty disk), to be added by a conf change */
		if (!E.have_cluster || a->n < 2 || !parse_id(a->v[1], &id)) {
			out(o, "error: new-node ID\n");
			return true;
		}
		err = sim_node_create_empty(&E.c, id);
		out(o, "%s\n", err_name(err));
	} else if (!strcmp(c, "campaign")) {
		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		err = raft_campaign(E.c.nodes[id].r);
		out(o, "%s\n", err_name(err));
	} else if (!strcmp(c, "tick")) {
		u64 k = a->n > 2 ? strtoull(a->v[2], NULL, 10) : 1;

		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		for (u64 i = 0; i < k; i++)
			sim_node_tick(&E.c, id);
		sim_observe_node(&E.c, id);
		out(o, "ok\n");
	} else if (!strcmp(c, "stall")) {
		u64 k = a->n > 2 ? strtoull(a->v[2], NULL, 10) : 1;

		/* the node's thread stops for k ticks: its clock runs on, it
		 * counts no tick
		 */
		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		sim_node_stall(&E.c, id, k * E.c.cfg.tick_ns);
		out(o, "ok\n");
	} else if (!strcmp(c, "tick-all")) {
		u64 k = a->n > 1 ? strtoull(a->v[1], NULL, 10) : 1;

		for (u64 i = 0; i < k; i++)
			for (id = 1; id <= E.c.max_id; id++)
				if (E.c.nodes[id].up)
					sim_node_tick(&E.c, id);
		sim_observe(&E.c);
		out(o, "ok\n");
	} else if (!strcmp(c, "process-ready")) {
		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		if (E.c.nodes[id].rd_active)
			out(o, "(a write is in flight: persist %llu first)\n",
			    ULL(id));
		else if (!raft_has_ready(E.c.nodes[id].r))
			out(o, "(no ready)\n");
		process(id);
	} else if (!strcmp(c, "deliver-msgs") || !strcmp(c, "drop-msgs")) {
		const char *t = kv(a, "type"), *f = kv(a, "from");
		int type = t ? msg_type_by_name(t) : -1;
		raft_id from = 0;

		if (!need_node(o, a, 1, &id))
			return true;
		if ((t && type < 0) || (f && !parse_id(f, &from))) {
			out(o, "error: bad type= or from=\n");
			return true;
		}
		if (!deliver(o, id, type, from, c[0] == 'd' && c[1] == 'r'))
			out(o, "(no messages)\n");
	} else if (!strcmp(c, "stabilize")) {
		stabilize(o);
	} else if (!strcmp(c, "status")) {
		if (!need_node(o, a, 1, &id))
			return true;
		status(o, id);
	} else if (!strcmp(c, "raft-log") || !strcmp(c, "disk-log")) {
		if (!need_node(o, a, 1, &id))
			return true;
		raft_log(o, id, c[0] == 'd');
	} else if (!strcmp(c, "propose")) {
		u64 b = 0;

		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		if (a->n > 2 && a->v[2][0] == 'b')
			b = strtoull(a->v[2] + 1, NULL, 10);
		err = sim_propose(&E.c, id, (u32)kv_u64(a, "n", 1), (u32)b);
		out(o, "%s\n", err_name(err));
	} else if (!strcmp(c, "read-index")) {
		u64 b = 0;

		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		if (a->n > 2 && a->v[2][0] == 'b')
			b = strtoull(a->v[2] + 1, NULL, 10);
		err = sim_read(&E.c, id, (u32)b);
		out(o, "%s", err_name(err));
		if (!err)
			out(o, " ctx=%llu", ULL(E.c.next_ctx - 1));
		out(o, "\n");
	} else if (!strcmp(c, "crash")) {
		if (!need_node(o, a, 1, &id))
			return true;
		sim_node_crash(&E.c, id);
		out(o, "ok\n");
	} else if (!strcmp(c, "restart")) {
		if (!need_node(o, a, 1, &id))
			return true;
		err = sim_node_restart(&E.c, id);
		out(o, "%s\n", err_name(err));
	} else if (!strcmp(c, "transfer-leader")) {
		if (!need_node(o, a, 1, &id) || !node_up(o, id) ||
		    a->n < 3 || !parse_id(a->v[2], &id2)) {
			out(o, "error: transfer-leader FROM TO\n");
			return true;
		}
		err = raft_transfer_leader(E.c.nodes[id].r, id2);
		if (!err)
			sim_check_transfer_started(&E.c.nodes[id]);
		out(o, "%s\n", err_name(err));
	} else if (!strcmp(c, "conf-change")) {
		static const char *const ops[] = { "", "add-learner",
			"promote", "remove", "demote" };
		u8 op = 0;

		if (!need_node(o, a, 1, &id) || !node_up(o, id) ||
		    a->n < 4 || !parse_id(a->v[3], &id2)) {
			out(o, "error: conf-change LEADER OP ID\n");
			return true;
		}
		for (u8 k = 1; k <= 4; k++)
			if (!strcmp(a->v[2], ops[k]))
				op = k;
		if (!op) {
			out(o, "error: unknown op %s\n", a->v[2]);
			return true;
		}
		err = sim_change_conf(&E.c, id, op, id2);
		out(o, "%s\n", err_name(err));
	} else if (!strcmp(c, "compact")) {
		if (!need_node(o, a, 1, &id))
			return true;
		err = sim_compact(&E.c, id);
		out(o, "%s", err_name(err));
		if (!err)
			out(o, " snapshot at %llu\n",
			    ULL(E.c.nodes[id].dsnap.meta.index));
		else
			out(o, "\n");
	} else if (!strcmp(c, "snap-stall")) {
		/* snapshots handed out to this node are never installed */
		if (!need_node(o, a, 1, &id))
			return true;
		E.c.nodes[id].snap_stall = true;
		out(o, "ok\n");
	} else if (!strcmp(c, "persist-fail")) {
		if (!need_node(o, a, 1, &id))
			return true;
		/* the write in flight, else the next one */
		if (E.c.nodes[id].rd_active && E.c.nodes[id].rd_disk)
			E.c.nodes[id].rd_fail = true;
		else
			E.c.nodes[id].fail_next_write = true;
		out(o, "ok\n");
	} else if (!strcmp(c, "disk")) {
		if (!need_node(o, a, 1, &id) || a->n < 3) {
			out(o, "error: disk ID sync|async\n");
			return true;
		}
		E.async[id] = !strcmp(a->v[2], "async");
		out(o, "ok\n");
	} else if (!strcmp(c, "persist")) {
		if (!need_node(o, a, 1, &id) || !node_up(o, id))
			return true;
		if (!E.c.nodes[id].rd_active || !E.c.nodes[id].rd_disk) {
			out(o, "(no write in flight)\n");
			return true;
		}
		{
			u32 before = E.c.nodes[id].persist_failures;

			sim_node_complete_write(&E.c, id);
			out(o, "%s: durable to %llu\n",
			    E.c.nodes[id].persist_failures != before ?
			    "FAILED" : "done",
			    ULL(sim_log_last(&E.c.nodes[id].dlog)));
		}
		sim_observe_node(&E.c, id);
	} else if (!strcmp(c, "partition")) {
		u64 g[8];
		int ng = 0;

		if (!E.have_cluster)
			return false;
		memset(E.mb.cut, 0, sizeof(E.mb.cut));
		for (int i = 1; i < a->n && ng < 8; i++)
			if (!parse_set(a->v[i], &g[ng++])) {
				out(o, "error: partition (a,b) (c) ...\n");
				return true;
			}
		for (int x = 0; x < ng; x++)
			for (int y = 0; y < ng; y++)
				for (int i = 1; i <= SIM_MAX_NODES; i++)
					for (int j = 1; j <= SIM_MAX_NODES; j++)
						if (x != y && (g[x] >> i & 1) &&
						    (g[y] >> j & 1))
							E.mb.cut[i][j] = true;
		out(o, "ok\n");
	} else if (!strcmp(c, "cut")) {
		/* cut A->B: B stops hearing A (one direction) */
		char *arrow = a->n > 1 ? strstr(a->v[1], "->") : NULL;

		if (!E.have_cluster || !arrow)
			return false;
		*arrow = 0;
		if (!parse_id(a->v[1], &id) || !parse_id(arrow + 2, &id2)) {
			out(o, "error: cut A->B\n");
			return true;
		}
		E.mb.cut[id][id2] = true;
		out(o, "ok\n");
	} else if (!strcmp(c, "heal")) {
		if (!E.have_cluster)
			return false;
		memset(E.mb.cut, 0, sizeof(E.mb.cut));
		out(o, "ok\n");
	} else if (!strcmp(c, "check")) {
		if (!E.have_cluster)
			return false;
		sim_check_final(&E.c);
		if (!E.c.failed)
			out(o, "ok: %llu entries known committed, %llu writes acknowledged, %llu reads checked\n",
			    ULL(E.c.ck.com_max), ULL(E.c.n_acked),
			    ULL(E.c.ck.n_reads_ok));
	} else {
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Files                                                              */

struct directive {
	char *pre;		/* comments and blank lines before it */
	char *cmd;
	char *expected;
	int line;
};

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc(n + 1);
	if (!s || fread(s, 1, n, f) != (size_t)n) {
		fclose(f);
		free(s);
		return NULL;
	}
	s[n] = 0;
	fclose(f);
	return s;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

/* Split text into directives; returns count, -1 on a syntax error. */
static int parse(char *text, struct directive *d, int max, int *bad_line)
{
	char *p = text;
	int n = 0, line = 1;

	while (*p) {
		char *pre = p, *eol;

		/* comments and blank lines */
		while (*p && (*p == '#' || *p == '\n')) {
			eol = strchr(p, '\n');
			p = eol ? eol + 1 : p + strlen(p);
			line++;
		}
		if (!*p) {
			if (n < max && p > pre) {
				d[n].pre = dupn(pre, p - pre);
				d[n].cmd = NULL;
				d[n].expected = NULL;
				n++;
			}
			break;
		}
		if (n >= max)
			return -1;
		d[n].pre = dupn(pre, p - pre);
		d[n].line = line;
		eol = strchr(p, '\n');
		if (!eol) {
			*bad_line = line;
			return -1;
		}
		d[n].cmd = dupn(p, eol - p);
		p = eol + 1;
		line++;
		if (strncmp(p, "----\n", 5)) {
			*bad_line = line;
			return -1;
		}
		p += 5;
		line++;
		/* expected output: up to a blank line */
		char *start = p;

		while (*p && *p != '\n') {
			eol = strchr(p, '\n');
			p = eol ? eol + 1 : p + strlen(p);
			line++;
		}
		d[n].expected = dupn(start, p - start);
		n++;
	}
	return n;
}

static void split_args(char *cmd, struct args *a)
{
	char *save, *tok, *p = cmd;

	a->n = 0;
	while (a->n < MAX_ARGS && (tok = strtok_r(p, " \t", &save))) {
		a->v[a->n++] = tok;
		p = NULL;
	}
}

/* Copy text with every line prefixed by "#   " (TAP diagnostics). */
static int prefixed(char *dst, size_t len, const char *text)
{
	size_t k = 0;

	if (!len)
		return 0;
	while (*text && k + 6 < len) {
		const char *eol = strchr(text, '\n');
		size_t n = eol ? (size_t)(eol - text) : strlen(text);

		if (n > len - k - 6)
			n = len - k - 6;
		memcpy(dst + k, "#   ", 4);
		memcpy(dst + k + 4, text, n);
		k += 4 + n;
		dst[k++] = '\n';
		text += n;
		if (*text == '\n')
			text++;
	}
	dst[k] = 0;
	return (int)k;
}

static int run_file(const char *path, bool rewrite, char *err, size_t errlen)
{
	static struct directive d[4096];
	char *text = read_file(path);
	int n, bad = 0, fails = 0;
	struct obuf all = { 0 };

	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return 1;
	}
	n = parse(text, d, 4096, &bad);
	free(text);
	if (n < 0) {
		snprintf(err, errlen, "%s:%d: syntax error (command, then ----, then output, then a blank line)",
			 path, bad);
		return 1;
	}
	env_reset();
	err[0] = 0;
	for (int i = 0; i < n; i++) {
		struct obuf o = { 0 };
		struct args a;
		char *cmd;

		out(&all, "%s", d[i].pre);
		if (!d[i].cmd)
			continue;
		cmd = strdup(d[i].cmd);
		if (!cmd)
			abort();
		split_args(cmd, &a);
		E.o = &o;
		out(&o, "%s", "");
		if (!a.n || !dispatch(&o, &a))
			out(&o, "error: unknown command\n");
		if (E.have_cluster && E.c.failed) {
			out(&o, "INVARIANT BROKEN: %s\n", E.c.why);
			E.c.failed = false;
		}
		free(cmd);
		out(&all, "%s\n----\n%s", d[i].cmd, o.s);
		if (strcmp(o.s, d[i].expected) && !fails++) {
			int m = snprintf(err, errlen, "%s:%d: %s: output differs\n# expected:\n",
					 path, d[i].line, d[i].cmd);

			m += prefixed(err + m, errlen - m, d[i].expected);
			m += snprintf(err + m, errlen - m, "# got:\n");
			prefixed(err + m, errlen - m, o.s);
		}
		free(o.s);
	}
	env_reset();
	if (rewrite) {
		FILE *f = fopen(path, "w");

		if (!f || fwrite(all.s, 1, all.n, f) != all.n) {
			snprintf(err, errlen, "cannot write %s", path);
			fails = 1;
		} else {
			fails = 0;
		}
		if (f)
			fclose(f);
	}
	free(all.s);
	for (int i = 0; i < n; i++) {
		free(d[i].pre);
		free(d[i].cmd);
		free(d[i].expected);
	}
	return fails;
}

int main(int argc, char **argv)
{
	bool tap = false, rewrite = false;
	int nfiles = 0, failed = 0, k = 0;
	static char err[65536];

	net_ops = script_net;
	net_ops.send = sim_mailbox_ops.send;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap"))
			tap = true;
		else if (!strcmp(argv[i], "--rewrite"))
			rewrite = true;
		else
			nfiles++;
	}
	if (!nfiles) {
		fprintf(stderr, "usage: raftscript [--tap] [--rewrite] FILE...\n");
		return 2;
	}
	if (tap)
		printf("1..%d\n", nfiles);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		k++;
		if (run_file(argv[i], rewrite, err, sizeof(err))) {
			failed++;
			printf("not ok %d - %s\n# %s", k, argv[i], err);
		} else {
			printf("ok %d - %s%s\n", k, argv[i],
			       rewrite ? " (rewritten)" : "");
		}
	}
	if (raft_payload_live())
		printf("# warning: %ld payloads leaked\n", raft_payload_live());
	return failed ? 1 : 0;
}
