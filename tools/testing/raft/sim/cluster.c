// SPDX-License-Identifier: GPL-2.0
/*
 * cluster.c - simulated nodes around the consensus core: disk, ready
 * handling, crash/restart, client operations.
 *
 * A node's disk holds exactly what completed writes made durable: the
 * hard state, the last snapshot (metadata + block array content) and the
 * log after it. A crash throws away the core and everything in memory,
 * including a write still in flight; a restart is raft_create() from
 * raft_restore() of the disk.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

/* ------------------------------------------------------------------ */
/* Failure reporting                                                  */

void sim_fail(struct sim_cluster *c, const char *what, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (c->failed)
		return;
	c->failed = true;
	k = snprintf(c->why, sizeof(c->why), "%s: ", what);
	va_start(ap, fmt);
	vsnprintf(c->why + k, sizeof(c->why) - k, fmt, ap);
	va_end(ap);
	sim_trace(c, TR_NOTE, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Payloads                                                           */

struct raft_payload *sim_payload_make(u64 block, u64 wid)
{
	u8 buf[SIM_PAYLOAD_LEN];

	rb_put_le64(buf, block);
	rb_put_le64(buf + 8, wid);
	return raft_payload_new(buf, sizeof(buf));
}

void sim_payload_decode(const struct raft_payload *p, u64 *block, u64 *wid)
{
	const u8 *b;

	if (!p || raft_payload_len(p) != SIM_PAYLOAD_LEN) {
		*block = ~0ULL;
		*wid = p ? raft_payload_len(p) : 0;
		return;
	}
	b = raft_payload_data(p);
	*block = rb_get_le64(b);
	*wid = rb_get_le64(b + 8);
}

void sim_node_addr(raft_id id, u8 addr[RAFT_ADDR_LEN])
{
	memset(addr, 0, RAFT_ADDR_LEN);
	snprintf((char *)addr, RAFT_ADDR_LEN, "sim-node-%llu",
		 (unsigned long long)id);
}

/* ------------------------------------------------------------------ */
/* Logs                                                               */

raft_index sim_log_last(const struct sim_log *l)
{
	return l->base + l->n;
}

const struct sim_ent *sim_log_at(const struct sim_log *l, raft_index i)
{
	if (i <= l->base || i > l->base + l->n)
		return NULL;
	return &l->e[i - l->base - 1];
}

raft_term sim_log_term(const struct sim_log *l, raft_index i, bool *ok)
{
	const struct sim_ent *e;

	*ok = true;
	if (i == l->base)
		return l->base_term;
	e = sim_log_at(l, i);
	if (e)
		return e->term;
	*ok = false;
	return 0;
}

bool sim_log_chain(const struct sim_log *l, raft_index i, u64 *chain)
{
	const struct sim_ent *e;

	if (i == l->base) {
		*chain = l->base_chain;
		return true;
	}
	e = sim_log_at(l, i);
	if (!e)
		return false;
	*chain = e->chain;
	return true;
}

static void log_truncate(struct sim_log *l, raft_index last)
{
	while (l->n && l->base + l->n > last) {
		struct sim_ent *e = &l->e[--l->n];

		if (e->p)
			raft_payload_put(e->p);
		e->p = NULL;
	}
}

static void log_reset(struct sim_log *l, raft_index base, raft_term term,
		      u64 chain)
{
	log_truncate(l, 0);
	l->n = 0;
	l->base = base;
	l->base_term = term;
	l->base_chain = chain;
}

static void log_free(struct sim_log *l)
{
	log_truncate(l, 0);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static void log_append(struct sim_log *l, const struct sim_ent *e)
{
	if (l->n == l->cap) {
		u32 cap = l->cap ? 2 * l->cap : 64;
		struct sim_ent *ne = realloc(l->e, cap * sizeof(*ne));

		if (!ne)
			abort();
		l->e = ne;
		l->cap = cap;
	}
	l->e[l->n++] = *e;
	if (e->p)
		raft_payload_get(e->p);
}

/* Drop entries up to index (which must be in the log). */
static void log_compact(struct sim_log *l, raft_index index)
{
	const struct sim_ent *e = sim_log_at(l, index);
	u32 k;

	if (!e)
		return;
	k = (u32)(index - l->base);
	l->base_term = e->term;
	l->base_chain = e->chain;
	for (u32 i = 0; i < k; i++)
		if (l->e[i].p)
			raft_payload_put(l->e[i].p);
	memmove(l->e, l->e + k, (l->n - k) * sizeof(*l->e));
	l->n -= k;
	l->base = index;
}

static void log_copy_nopayload(struct sim_log *dst, const struct sim_log *src)
{
	log_reset(dst, src->base, src->base_term, src->base_chain);
	for (u32 i = 0; i < src->n; i++) {
		struct sim_ent e = src->e[i];

		e.p = NULL;
		log_append(dst, &e);
	}
}

static void ent_from_raft(struct sim_ent *se, const struct raft_entry *e)
{
	memset(se, 0, sizeof(*se));
	se->term = e->term;
	se->type = e->type;
	if (e->type == RAFT_ENTRY_CONF) {
		se->cc_op = e->cc.op;
		se->cc_id = e->cc.id;
	}
	if (e->type == RAFT_ENTRY_NORMAL)
		sim_payload_decode(e->payload, &se->block, &se->wid);
}

static bool disk_put(struct sim_cluster *c, struct sim_node *n, raft_index i,
		     struct sim_ent *se);

/* ------------------------------------------------------------------ */
/* Cluster                                                            */

void sim_config_default(struct sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->election_ticks = 10;
	cfg->heartbeat_ticks = 1;
	cfg->pre_vote = true;
	cfg->check_quorum = true;
	cfg->lease_read = false;
	cfg->lease_restart_wait = true;
	cfg->tick_ns = 10000000;
	cfg->max_inflight_msgs = 256;
	cfg->max_msg_bytes = 1 << 20;
}

void sim_cluster_init(struct sim_cluster *c, u64 seed,
		      const struct sim_config *cfg,
		      const struct sim_net_ops *net, void *net_priv)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->rng.s = seed;
	c->cfg = *cfg;
	c->net = net;
	c->net_priv = net_priv;
	c->next_wid = 1;
	c->next_ctx = 1;
	c->next_msg_id = 1;
	sim_check_init(&c->ck);
	for (raft_id id = 1; id <= SIM_MAX_NODES; id++)
		c->nodes[id].id = id;
}

static void wq_free(struct sim_node *n)
{
	for (u32 i = 0; i < n->wq_n; i++) {
		struct sim_write *w = &n->wq[i];

		for (u32 k = 0; k < w->n; k++)
			if (w->e[k].p)
				raft_payload_put(w->e[k].p);
		free(w->e);
	}
	n->wq_n = 0;
	n->wq_fail_pending = false;
}

static void node_drop_memory(struct sim_cluster *c, struct sim_node *n)
{
	/* queued writes die with the memory (a crash loses them) */
	wq_free(n);
	if (n->r) {
		/* the ready in flight dies with the core */
		raft_destroy(n->r);
		n->r = NULL;
	}
	n->rd_active = false;
	n->rd_disk = false;
	n->rd_fail = false;
	log_free(&n->shadow);
	free(n->rx_snap);
	n->rx_snap = NULL;
	n->n_reads = 0;
	memset(&n->lease, 0, sizeof(n->lease));
	n->n_snaps = 0;
	n->rs_active = false;
	n->rs_done = false;
	memset(n->copies, 0, sizeof(n->copies));
	memset(&n->rules, 0, sizeof(n->rules));
	n->up = false;
}

void sim_cluster_free(struct sim_cluster *c)
{
	for (raft_id id = 1; id <= SIM_MAX_NODES; id++) {
		struct sim_node *n = &c->nodes[id];

		node_drop_memory(c, n);
		free(n->wq);
		n->wq = NULL;
		n->wq_cap = 0;
		log_free(&n->dlog);
	}
	free(c->props);
	sim_check_free(&c->ck);
}

static void node_options(struct sim_cluster *c, struct sim_node *n)
{
	struct raft_options *o = &n->opts;

	raft_options_default(o);
	o->id = n->id;
	o->election_ticks = c->cfg.election_ticks;
	o->heartbeat_ticks = c->cfg.heartbeat_ticks;
	o->pre_vote = c->cfg.pre_vote;
	o->check_quorum = c->cfg.check_quorum;
	o->lease_read = c->cfg.lease_read;
	o->lease_restart_wait = c->cfg.lease_restart_wait;
	o->tick_ns = c->cfg.tick_ns;
	if (c->cfg.max_inflight_msgs)
		o->max_inflight_msgs = c->cfg.max_inflight_msgs;
	if (c->cfg.max_msg_bytes)
		o->max_msg_bytes = c->cfg.max_msg_bytes;
	o->max_inflight_bytes = c->cfg.max_inflight_bytes;
	o->max_uncommitted_bytes = c->cfg.max_uncommitted_bytes;
	o->rand_seed = c->seed * 0x100000001b3ULL + n->id * 7919 + n->inc;
}

/* Start the core from the node's disk. */
static int node_start(struct sim_cluster *c, struct sim_node *n)
{
	struct raft_restore rs;
	struct raft_entry *ents = NULL;
	int err;

	memset(&rs, 0, sizeof(rs));
	rs.hs = n->dhs;
	rs.snap = n->dsnap.meta;
	if (n->dlog.n) {
		ents = calloc(n->dlog.n, sizeof(*ents));
		if (!ents)
			abort();
		for (u32 i = 0; i < n->dlog.n; i++) {
			const struct sim_ent *se = &n->dlog.e[i];
			struct raft_entry *e = &ents[i];

			e->term = se->term;
			e->index = n->dlog.base + 1 + i;
			e->type = se->type;
			if (se->type == RAFT_ENTRY_CONF) {
				e->cc.op = se->cc_op;
				e->cc.id = se->cc_id;
				sim_node_addr(se->cc_id, e->cc.addr);
			}
			e->payload = se->p;
		}
	}
	rs.n_entries = n->dlog.n;
	rs.entries = ents;
	n->inc++;
	node_options(c, n);
	err = raft_create(&n->opts, &rs, &n->r);
	free(ents);
	if (err) {
		sim_fail(c, "restart", "raft_create(node %llu) failed: %d",
			 (unsigned long long)n->id, err);
		n->r = NULL;
		return err;
	}
	n->up = true;
	n->exists = true;
	sim_node_set_now(c, n->id);
	if (n->dmark) {
		/* a copy stopped half way: the data area is no state */
		err = raft_reset_log(n->r, n->dmark_base);
		if (err)
			sim_fail(c, "Resync", "raft_reset_log(node %llu, %llu) = %d at restart",
				 (unsigned long long)n->id,
				 (unsigned long long)n->dmark_base, err);
	}
	n->exact_checked = false;
	log_copy_nopayload(&n->shadow, &n->dlog);
	n->sm = n->dsnap.sm;
	n->aconf = n->dsnap.meta.conf;
	n->snaps[0] = n->dsnap;
	n->n_snaps = 1;
	n->obs_role = 0;
	n->obs_term = n->dhs.term;
	n->obs_commit = 0;
	n->complete_checked = 0;
	return 0;
}

#define BOOT_CHAIN 0x5eed5eed5eedULL

int sim_bootstrap(struct sim_cluster *c, u32 n_voters, u32 n_learners)
{
	return sim_bootstrap_at(c, n_voters, n_learners, 1);
}

int sim_bootstrap_at(struct sim_cluster *c, u32 n_voters, u32 n_learners,
		     raft_index index)
{
	struct raft_conf conf;
	u64 chain = index ? BOOT_CHAIN : 0;

	if (n_voters + n_learners > SIM_MAX_NODES || n_voters == 0)
		return RAFT_EINVAL;
	memset(&conf, 0, sizeof(conf));
	for (u32 i = 0; i < n_voters + n_learners; i++) {
		struct raft_node *rn = &conf.nodes[conf.n++];

		rn->id = i + 1;
		rn->role = i < n_voters ? RAFT_VOTER : RAFT_LEARNER;
		sim_node_addr(rn->id, rn->addr);
	}
	if (index > 1)
		return RAFT_EINVAL;
	c->ck.boot_index = index;
	if (index)
		sim_check_seen(c, 0, 1, 1, BOOT_CHAIN);
	for (u32 i = 0; i < n_voters + n_learners; i++) {
		struct sim_node *n = &c->nodes[i + 1];

		memset(&n->dhs, 0, sizeof(n->dhs));
		n->dhs.term = index;
		n->dhs.commit = index;
		memset(&n->dsnap, 0, sizeof(n->dsnap));
		n->dsnap.meta.index = index;
		n->dsnap.meta.term = index;
		n->dsnap.meta.conf = conf;
		n->dsnap.sm.applied = index;
		n->dsnap.chain = chain;
		log_reset(&n->dlog, index, index, chain);
		if (node_start(c, n))
			return RAFT_EINVAL;
		if (n->id > c->max_id)
			c->max_id = n->id;
	}
	return 0;
}

int sim_node_create_empty(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n;

	if (id < 1 || id > SIM_MAX_NODES)
		return RAFT_EINVAL;
	n = &c->nodes[id];
	if (n->exists)
		return RAFT_EBUSY;
	memset(&n->dhs, 0, sizeof(n->dhs));
	memset(&n->dsnap, 0, sizeof(n->dsnap));
	log_reset(&n->dlog, 0, 0, 0);
	if (id > c->max_id)
		c->max_id = id;
	return node_start(c, n);
}

/*
 * The crash interrupted the oldest write in flight: like a log of
 * checksummed records, a prefix of its entries may have reached the disk
 * (never reported to the core), and its hard state may or may not have.
 */
static void torn_write(struct sim_cluster *c, struct sim_node *n)
{
	u32 k;

	if (n->wq_n) {
		struct sim_write *w = &n->wq[0];

		k = (u32)sim_rng_below(&c->rng, w->n);
		for (u32 i = 0; i < k; i++) {
			struct sim_ent se = w->e[i];

			if (!disk_put(c, n, w->first + i, &se))
				return;
		}
	} else if (n->rd_active && n->rd_disk && !n->rd.snap_to_install) {
		const struct raft_ready *rd = &n->rd;

		if (rd->hs_changed && sim_rng_below(&c->rng, 2))
			n->dhs = rd->hs;
		k = rd->n_entries ? (u32)sim_rng_below(&c->rng, rd->n_entries) : 0;
		for (u32 i = 0; i < k; i++) {
			struct sim_ent se;

			ent_from_raft(&se, &rd->entries[i]);
			se.p = rd->entries[i].payload;
			if (!disk_put(c, n, rd->entries[i].index, &se))
				return;
		}
	} else {
		return;
	}
	sim_trace(c, TR_PERSIST, (u8)n->id, 0, 0, 2, k, 0, 0, 0,
		  sim_log_last(&n->dlog));
}

void sim_node_crash(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];

	if (!n->up)
		return;
	if (n->obs_role == RAFT_LEADER)
		sim_check_leader_gone(c, n, n->obs_term);
	sim_trace(c, TR_CRASH, id, 0, 0, n->rd_disk, n->inc,
		  sim_log_last(&n->dlog), sim_log_last(&n->shadow), 0, 0);
	if (c->torn_writes && sim_rng_below(&c->rng, 2))
		torn_write(c, n);
	node_drop_memory(c, n);
	n->inc++;
}

void sim_node_stop(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];

	sim_node_crash(c, id);
	if (!n->stopped)
		sim_trace(c, TR_STOP, id, 0, 0, 0, 0, 0, 0, 0, 0);
	n->stopped = true;
}

int sim_node_restart(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	int err;

	if (n->up || n->stopped || !n->exists)
		return RAFT_EINVAL;
	err = node_start(c, n);
	sim_trace(c, TR_RESTART, id, 0, 0, 0, n->inc, n->dhs.term,
		  sim_log_last(&n->dlog), n->dsnap.meta.index, 0);
	return err;
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */

void sim_msg_free(struct sim_msg *m)
{
	if (!m)
		return;
	raft_msg_free(&m->m);
	free(m->snap);
	free(m->chunk);
	free(m);
}

struct sim_msg *sim_msg_dup(struct sim_cluster *c, const struct sim_msg *src)
{
	struct sim_msg *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	if (raft_msg_clone(&src->m, &m->m))
		abort();
	if (src->snap) {
		m->snap = malloc(sizeof(*m->snap));
		if (!m->snap)
			abort();
		*m->snap = *src->snap;
	}
	if (src->chunk) {
		m->chunk = malloc(sizeof(*m->chunk));
		if (!m->chunk)
			abort();
		*m->chunk = *src->chunk;
	}
	m->from_inc = src->from_inc;
	m->id = c->next_msg_id++;
	return m;
}

static const struct sim_snap *node_find_snap(struct sim_node *n,
					     raft_index index)
{
	for (u32 i = 0; i < n->n_snaps; i++)
		if (n->snaps[i].meta.index == index)
			return &n->snaps[i];
	return NULL;
}

static void node_send(struct sim_cluster *c, struct sim_node *n,
		      const struct raft_msg *rm)
{
	struct sim_msg *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	if (raft_msg_clone(rm, &m->m))
		abort();
	m->from_inc = n->inc;
	m->id = c->next_msg_id++;
	if (rm->type == RAFT_MSG_SNAPSHOT && c->resync_model &&
	    rm->to <= SIM_MAX_NODES) {
		/* metadata only; the data area follows in chunks */
		struct sim_copy *cp = &n->copies[rm->to];

		memset(cp, 0, sizeof(*cp));
		cp->active = true;
		cp->snap_index = rm->snap.index;
		cp->snap_term = rm->snap.term;
		cp->base = rm->commit;
		cp->id = m->id;
		c->n_resyncs++;
	} else if (rm->type == RAFT_MSG_SNAPSHOT) {
		const struct sim_snap *s = node_find_snap(n, rm->snap.index);

		if (!s) {
			sim_fail(c, "Snapshot", "node %llu asked to send a snapshot at index %llu it never took",
				 (unsigned long long)n->id,
				 (unsigned long long)rm->snap.index);
			sim_msg_free(m);
			return;
		}
		if (s->meta.term != rm->snap.term) {
			sim_fail(c, "Snapshot", "node %llu snapshot %llu: core says term %llu, caller took it at term %llu",
				 (unsigned long long)n->id,
				 (unsigned long long)rm->snap.index,
				 (unsigned long long)rm->snap.term,
				 (unsigned long long)s->meta.term);
			sim_msg_free(m);
			return;
		}
		m->snap = malloc(sizeof(*m->snap));
		if (!m->snap)
			abort();
		*m->snap = *s;
		m->snap->meta = rm->snap;
	}
	sim_trace_msg(c, TR_SEND, rm);
	c->net->send(c, m);
}

/* ------------------------------------------------------------------ */
/* Ready handling                                                     */

static void conf_apply(struct raft_conf *conf, u8 op, raft_id id)
{
	u32 i;

	for (i = 0; i < conf->n; i++)
		if (conf->nodes[i].id == id)
			break;
	switch (op) {
	case RAFT_CONF_ADD_LEARNER:
		if (i == conf->n && conf->n < RAFT_MAX_NODES) {
			conf->nodes[conf->n].id = id;
			conf->nodes[conf->n].role = RAFT_LEARNER;
			sim_node_addr(id, conf->nodes[conf->n].addr);
			conf->n++;
		}
		break;
	case RAFT_CONF_PROMOTE:
		if (i < conf->n)
			conf->nodes[i].role = RAFT_VOTER;
		break;
	case RAFT_CONF_DEMOTE:
		if (i < conf->n)
			conf->nodes[i].role = RAFT_LEARNER;
		break;
	case RAFT_CONF_REMOVE:
		if (i < conf->n) {
			memmove(&conf->nodes[i], &conf->nodes[i + 1],
				(conf->n - i - 1) * sizeof(conf->nodes[0]));
			conf->n--;
		}
		break;
	}
}

void sim_disk_conf(const struct sim_node *n, struct raft_conf *conf)
{
	*conf = n->dsnap.meta.conf;
	for (u32 i = 0; i < n->dlog.n; i++)
		if (n->dlog.e[i].type == RAFT_ENTRY_CONF)
			conf_apply(conf, n->dlog.e[i].cc_op,
				   n->dlog.e[i].cc_id);
}

static void node_apply(struct sim_cluster *c, struct sim_node *n,
		       const struct raft_entry *e)
{
	const struct sim_ent *se;
	struct sim_ent tmp;

	if (e->index != n->sm.applied + 1) {
		sim_fail(c, "Apply order", "node %llu applies index %llu after %llu",
			 (unsigned long long)n->id,
			 (unsigned long long)e->index,
			 (unsigned long long)n->sm.applied);
		return;
	}
	se = sim_log_at(&n->shadow, e->index);
	if (!se) {
		sim_fail(c, "Apply", "node %llu applies index %llu which is not in its log [%llu, %llu]",
			 (unsigned long long)n->id,
			 (unsigned long long)e->index,
			 (unsigned long long)n->shadow.base,
			 (unsigned long long)sim_log_last(&n->shadow));
		return;
	}
	ent_from_raft(&tmp, e);
	if (tmp.term != se->term || tmp.type != se->type ||
	    tmp.wid != se->wid || tmp.block != se->block ||
	    tmp.cc_op != se->cc_op || tmp.cc_id != se->cc_id) {
		sim_fail(c, "Apply", "node %llu applies %llu/%llu which differs from the entry it persisted there (%llu)",
			 (unsigned long long)n->id,
			 (unsigned long long)e->index,
			 (unsigned long long)e->term,
			 (unsigned long long)se->term);
		return;
	}
	sim_check_apply(c, n, e->index, se);
	n->sm.applied = e->index;
	if (se->type == RAFT_ENTRY_NORMAL && se->block < SIM_BLOCKS) {
		n->sm.wid[se->block] = se->wid;
		n->sm.widx[se->block] = e->index;
		/* never lowered: after a fuzzy copy the replay rewrites
		 * older values the copy had already overtaken
		 */
		if (n->sm.xidx[se->block / SIM_EXT_BLOCKS] < e->index)
			n->sm.xidx[se->block / SIM_EXT_BLOCKS] = e->index;
		if (se->wid < c->props_cap) {
			struct sim_prop *p = &c->props[se->wid];

			if (p->node == n->id && p->inc == n->inc && !p->acked) {
				p->acked = 1;
				c->n_acked++;
				sim_check_ack(c, n, se->wid, se->block,
					      e->index);
				sim_trace(c, TR_ACK, n->id, 0, 0, 0, se->wid,
					  se->block, e->index, se->term, 0);
			}
		}
	}
	if (se->type == RAFT_ENTRY_CONF)
		conf_apply(&n->aconf, se->cc_op, se->cc_id);
	if (n->dcopy_end && !n->exact_checked && e->index >= n->dcopy_end) {
		/* applied past the end of the copy: exact now */
		n->exact_checked = true;
		sim_check_data(c, n, e->index, true,
			       "applied past the end of its copy");
	}
}

/*
 * The node driver completes a write once the batch that hands its entry
 * out committed begins, before the entry is applied (kernel/node_io.c,
 * raftblk_node_complete_writes()): acknowledge those here too, so that
 * a read has to wait for the apply of what was acknowledged before it.
 */
static void node_ack_committed(struct sim_cluster *c, struct sim_node *n,
			       const struct raft_ready *rd)
{
	for (u32 i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];
		struct sim_prop *p;
		u64 block, wid;

		if (e->type != RAFT_ENTRY_NORMAL || !e->payload)
			continue;
		sim_payload_decode(e->payload, &block, &wid);
		if (block >= SIM_BLOCKS || wid >= c->props_cap)
			continue;
		p = &c->props[wid];
		if (p->node != n->id || p->inc != n->inc || p->acked)
			continue;
		p->acked = 1;
		c->n_acked++;
		sim_check_ack(c, n, wid, block, e->index);
		sim_trace(c, TR_ACK, n->id, 0, 0, 0, wid, block, e->index,
			  e->term, 0);
	}
}

static void node_serve_reads(struct sim_cluster *c, struct sim_node *n)
{
	u32 k = 0;

	for (u32 i = 0; i < n->n_reads; i++) {
		struct sim_read *rd = &n->reads[i];

		if (rd->at && rd->at <= n->sm.applied) {
			if (n->dmark || n->rs_active ||
			    n->sm.applied < n->dcopy_end)
				sim_fail(c, "Resync", "node %llu serves a read at %llu while its data area is not exact (resyncing mark %d, copy end %llu)",
					 (unsigned long long)n->id,
					 (unsigned long long)rd->at, n->dmark,
					 (unsigned long long)n->dcopy_end);
			sim_check_read(c, n, rd);
			sim_trace(c, TR_READ_OK, n->id, 0, 0, 0, rd->ctx,
				  rd->block, rd->at, n->sm.widx[rd->block],
				  rd->need);
			continue;
		}
		n->reads[k++] = *rd;
	}
	n->n_reads = k;
}

static void node_install_snapshot(struct sim_cluster *c, struct sim_node *n,
				  const struct raft_snapshot_meta *meta)
{
	u64 chain;

	if (!n->rx_snap || n->rx_snap->meta.index != meta->index ||
	    n->rx_snap->meta.term != meta->term) {
		sim_fail(c, "Snapshot", "node %llu told to install snapshot %llu/%llu it has not received",
			 (unsigned long long)n->id,
			 (unsigned long long)meta->index,
			 (unsigned long long)meta->term);
		return;
	}
	if (meta->index < n->sm.applied) {
		sim_fail(c, "Snapshot", "node %llu told to install snapshot %llu but applied %llu",
			 (unsigned long long)n->id,
			 (unsigned long long)meta->index,
			 (unsigned long long)n->sm.applied);
		return;
	}
	if (!sim_check_gmap(&c->ck, meta->index, meta->term, &chain)) {
		sim_fail(c, "Snapshot", "node %llu installs snapshot %llu/%llu of an entry no log ever had",
			 (unsigned long long)n->id,
			 (unsigned long long)meta->index,
			 (unsigned long long)meta->term);
		return;
	}
	n->inst = *n->rx_snap;
	n->inst.meta = *meta;
	n->inst.chain = chain;
	sim_check_snapshot_content(c, n, &n->inst);
	n->sm = n->inst.sm;
	n->sm.applied = meta->index;
	n->aconf = meta->conf;
	log_reset(&n->shadow, meta->index, meta->term, chain);
	/* it may be asked to send it on as a leader later */
	if (n->n_snaps == SIM_MAX_SNAPS)
		memmove(&n->snaps[0], &n->snaps[1],
			(SIM_MAX_SNAPS - 1) * sizeof(n->snaps[0]));
	else
		n->n_snaps++;
	n->snaps[n->n_snaps - 1] = n->inst;
	sim_trace(c, TR_APPLY_SNAP, n->id, 0, 0, 0, meta->index, meta->term,
		  0, 0, 0);
}

/* ------------------------------------------------------------------ */
/* Resync (resync_model): the kernel's path, see sim.h                */

static void node_resync_finish(struct sim_cluster *c, struct sim_node *n);

/* The core handed out a snapshot to install: mark, then wait for data. */
static void node_resync_begin(struct sim_cluster *c, struct sim_node *n,
			      const struct raft_ready *rd)
{
	u64 chain;

	if (!sim_check_gmap(&c->ck, rd->snap.index, rd->snap.term, &chain)) {
		sim_fail(c, "Snapshot", "node %llu installs snapshot %llu/%llu of an entry no log ever had",
			 (unsigned long long)n->id,
			 (unsigned long long)rd->snap.index,
			 (unsigned long long)rd->snap.term);
		return;
	}
	/* its data area must be (at least) at the base it asks from */
	sim_check_data(c, n, rd->snap_base, false, "at the start of a resync");
	n->rs_active = true;
	n->rs_done = false;
	n->rs_meta = rd->snap;
	n->rs_base = rd->snap_base;
	n->rs_seq = 0;
	n->rs_idle = 0;
	/* the data area (exact at the base) flushed, then the mark made
	 * durable, before the first chunk; the sim's disk keeps the data
	 * area in dsnap.sm (with the mark set nothing replays onto it)
	 */
	n->dsnap.sm = n->sm;
	n->dmark = true;
	n->dmark_base = rd->snap_base;
	log_reset(&n->shadow, rd->snap.index, rd->snap.term, chain);
	sim_trace(c, TR_APPLY_SNAP, n->id, 0, 0, 1, rd->snap.index,
		  rd->snap.term, rd->snap_base, 0, 0);
}

static void node_recv_chunk(struct sim_cluster *c, struct sim_node *n,
			    const struct sim_msg *m)
{
	const struct sim_chunk *ch = m->chunk;

	if (!n->rs_active || n->rs_done ||
	    ch->snap_index != n->rs_meta.index ||
	    ch->snap_term != n->rs_meta.term || ch->seq != n->rs_seq)
		return;		/* not the copy it waits for, or a gap */
	if (ch->seq == 0) {
		n->rs_from = m->m.from;
		n->rs_from_inc = m->from_inc;
		n->rs_copy_id = ch->copy_id;
	} else if (m->m.from != n->rs_from || m->from_inc != n->rs_from_inc ||
		   ch->copy_id != n->rs_copy_id) {
		/*
		 * another leader's copy, or another copy of the same
		 * snapshot by this one (a copy restarted after a lost
		 * chunk): the kernel's first chunk names its copy
		 * (resync.c rs_chunk(), hint_index) and a chunk of another
		 * is refused; without it a restarted delta's end marker
		 * completed the first copy's chunks, an extent missing
		 */
		return;
	}
	n->rs_seq++;
	n->rs_idle = 0;
	if (ch->ext >= SIM_EXTENTS) {
		n->rs_done = true;
		n->rs_copy_end = ch->copy_end;
		if (!n->rd_active)
			node_resync_finish(c, n);
		return;
	}
	/* straight into the data area (memory and disk alike) */
	for (u32 k = 0; k < SIM_EXT_BLOCKS; k++) {
		u32 b = ch->ext * SIM_EXT_BLOCKS + k;

		n->sm.wid[b] = n->dsnap.sm.wid[b] = ch->wid[k];
		n->sm.widx[b] = n->dsnap.sm.widx[b] = ch->widx[k];
	}
	n->sm.xidx[ch->ext] = n->dsnap.sm.xidx[ch->ext] = ch->xidx;
	c->n_resync_chunks++;
}

/* The last chunk is in: make the install durable, report it. */
static void node_resync_finish(struct sim_cluster *c, struct sim_node *n)
{
	const struct raft_snapshot_meta *meta = &n->rs_meta;
	struct raft_advance adv;
	u64 chain;

	n->rs_active = false;
	n->rs_done = false;
	if (!sim_check_gmap(&c->ck, meta->index, meta->term, &chain))
		return;
	n->sm.applied = meta->index;
	n->aconf = meta->conf;
	/* a fuzzy copy: every block at least at the snapshot index */
	sim_check_data(c, n, meta->index, false, "at the end of its copy");
	n->dsnap.meta = *meta;
	n->dsnap.sm = n->sm;
	n->dsnap.chain = chain;
	log_reset(&n->dlog, meta->index, meta->term, chain);
	n->dcopy_end = n->rs_copy_end;
	n->exact_checked = false;
	n->dmark = false;
	sim_trace(c, TR_APPLY_SNAP, n->id, 0, 0, 2, meta->index, meta->term,
		  n->rs_copy_end, 0, 0);
	memset(&adv, 0, sizeof(adv));
	adv.snap_installed = true;
	adv.applied = meta->index;
	raft_advance(n->r, &adv);
}

static void send_chunk(struct sim_cluster *c, struct sim_node *n, raft_id to,
		       struct sim_copy *cp, u32 ext)
{
	struct sim_msg *m = calloc(1, sizeof(*m));
	struct sim_chunk *ch = calloc(1, sizeof(*ch));
	raft_index end = n->sm.applied;

	if (!m || !ch)
		abort();
	/* a leader may itself hold data of a copy not yet replayed past */
	if (n->dcopy_end > end)
		end = n->dcopy_end;
	if (end > cp->copy_end)
		cp->copy_end = end;
	ch->snap_index = cp->snap_index;
	ch->snap_term = cp->snap_term;
	ch->seq = cp->seq++;
	ch->copy_id = cp->id;
	ch->ext = ext;
	if (ext < SIM_EXTENTS) {
		for (u32 k = 0; k < SIM_EXT_BLOCKS; k++) {
			ch->wid[k] = n->sm.wid[ext * SIM_EXT_BLOCKS + k];
			ch->widx[k] = n->sm.widx[ext * SIM_EXT_BLOCKS + k];
		}
		ch->xidx = n->sm.xidx[ext];
	}
	ch->copy_end = cp->copy_end;
	m->chunk = ch;
	m->m.type = RAFT_MSG_SNAPSHOT;
	m->m.from = n->id;
	m->m.to = to;
	m->m.index = ext;
	m->m.commit = ch->seq;
	m->from_inc = n->inc;
	m->id = c->next_msg_id++;
	sim_trace_msg(c, TR_SEND, &m->m);
	c->net->send(c, m);
}

/*
 * A copy whose last chunk is sent ends when the leader's core moved the
 * follower out of the snapshot state (its ack of the install, or a
 * report), or fails after ten election timeouts without it (the kernel's
 * rb_resync_leader_status() and rb_resync_tick()).
 */
static void copy_wait_ack(struct sim_cluster *c, struct sim_node *n,
			  raft_id to, struct sim_copy *cp)
{
	struct raft_status st;
	u32 i;

	raft_get_status(n->r, &st);
	for (i = 0; i < st.n_progress; i++) {
		const struct raft_progress_info *pi = &st.progress[i];

		if (pi->id != to)
			continue;
		if (pi->state != RAFT_PROGRESS_SNAPSHOT ||
		    pi->pending_snap != cp->snap_index)
			break;
		if (++cp->wait_ticks <= 10 * c->cfg.election_ticks)
			return;
		cp->active = false;
		raft_report_snapshot(n->r, to, false);
		return;
	}
	cp->active = false;	/* acknowledged, or no member any more */
}

void sim_resync_tick(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	u8 role;

	if (!n->up || !c->resync_model)
		return;
	/* a copy that stopped coming: give up, ask for a new one */
	if (n->rs_active && !n->rs_done && !n->rd_active &&
	    ++n->rs_idle > 6 * c->cfg.election_ticks) {
		int err = raft_reset_log(n->r, n->rs_base);

		n->rs_active = false;
		sim_trace(c, TR_NOTE, n->id, 2, 0, (u8)err, n->rs_base, 0, 0,
			  0, 0);
		if (err)
			sim_fail(c, "Resync", "raft_reset_log(node %llu, %llu) = %d",
				 (unsigned long long)id,
				 (unsigned long long)n->rs_base, err);
	}
	role = n->obs_role;
	for (raft_id to = 1; to <= SIM_MAX_NODES; to++) {
		struct sim_copy *cp = &n->copies[to];

		if (!cp->active)
			continue;
		if (role != RAFT_LEADER) {
			cp->active = false;	/* the copy dies with the role */
			continue;
		}
		if (cp->wait_ack) {
			copy_wait_ack(c, n, to, cp);
			continue;
		}
		/* a few extents per tick, paced */
		for (u32 sent = 0; sent < 2 && cp->active; sent++) {
			u32 e = cp->next_ext;

			while (e < SIM_EXTENTS && cp->base &&
			       n->sm.xidx[e] <= cp->base)
				e++;	/* not written since the base */
			if (e < SIM_EXTENTS) {
				send_chunk(c, n, to, cp, e);
				cp->next_ext = e + 1;
				continue;
			}
			send_chunk(c, n, to, cp, SIM_EXTENTS);
			cp->wait_ack = true;	/* done when the follower has it */
		}
	}
}

void sim_resync_abort(struct sim_cluster *c, raft_id from, u32 inc,
		      raft_id to)
{
	struct sim_node *n;

	if (from < 1 || from > SIM_MAX_NODES || to > SIM_MAX_NODES)
		return;
	n = &c->nodes[from];
	if (!n->up || n->inc != inc || !n->copies[to].active)
		return;
	n->copies[to].active = false;
	raft_report_snapshot(n->r, to, false);
}

static void node_advance(struct sim_cluster *c, struct sim_node *n,
			 bool wrote, bool failed)
{
	struct raft_advance adv;
	bool ok;

	memset(&adv, 0, sizeof(adv));
	if (!n->kernel_persist) {
		adv.persisted_index = sim_log_last(&n->dlog);
		adv.persisted_term = sim_log_term(&n->dlog,
						  adv.persisted_index, &ok);
	} else if (wrote && !failed && n->rd.n_entries) {
		/* kernel/node.c: the last entry of the batch written */
		adv.persisted_index = n->rd.entries[n->rd.n_entries - 1].index;
		adv.persisted_term = n->rd.entries[n->rd.n_entries - 1].term;
	}
	adv.hs_persisted = wrote && !failed && n->rd.hs_changed;
	adv.snap_installed = wrote && !failed && n->rd.snap_to_install &&
		!c->resync_model && !n->snap_stall;
	adv.applied = n->sm.applied;
	adv.persist_failed = failed || n->wq_fail_pending;
	n->wq_fail_pending = false;
	n->rd_active = false;
	n->rd_disk = false;
	n->rd_fail = false;
	raft_advance(n->r, &adv);
}

/* Store one entry at index i of the disk log (truncating after i - 1). */
static bool disk_put(struct sim_cluster *c, struct sim_node *n, raft_index i,
		     struct sim_ent *se)
{
	u64 prev;

	if (i <= n->dlog.base)
		return true;	/* covered by the snapshot */
	log_truncate(&n->dlog, i - 1);
	if (!sim_log_chain(&n->dlog, i - 1, &prev)) {
		sim_fail(c, "Persist", "node %llu: entries to persist start at %llu but the stored log ends at %llu",
			 (unsigned long long)n->id, (unsigned long long)i,
			 (unsigned long long)sim_log_last(&n->dlog));
		return false;
	}
	se->chain = sim_ent_chain(prev, se);
	log_append(&n->dlog, se);
	return true;
}

static void wq_push(struct sim_node *n, const struct raft_ready *rd)
{
	struct sim_write *w;

	if (n->wq_n == n->wq_cap) {
		n->wq_cap = n->wq_cap ? 2 * n->wq_cap : 8;
		n->wq = realloc(n->wq, n->wq_cap * sizeof(*n->wq));
		if (!n->wq)
			abort();
	}
	w = &n->wq[n->wq_n++];
	memset(w, 0, sizeof(*w));
	w->first = rd->entries[0].index;
	w->n = rd->n_entries;
	w->e = calloc(w->n, sizeof(*w->e));
	if (!w->e)
		abort();
	for (u32 i = 0; i < w->n; i++) {
		ent_from_raft(&w->e[i], &rd->entries[i]);
		w->e[i].p = rd->entries[i].payload;
		if (w->e[i].p)
			raft_payload_get(w->e[i].p);
	}
	w->fail = n->fail_next_write;
	n->fail_next_write = false;
}

void sim_node_complete_queued(struct sim_cluster *c, raft_id id, u64 now,
			      bool flush)
{
	struct sim_node *n = &c->nodes[id];
	u32 done = 0;
	bool failed = false;

	if (!n->up)
		return;
	while (done < n->wq_n && !c->failed) {
		struct sim_write *w = &n->wq[done];

		if (!flush && (!w->done_at || w->done_at > now))
			break;
		if (w->fail) {
			/* this write and everything queued behind it fail */
			failed = true;
			n->persist_failures++;
			sim_trace(c, TR_PERSIST_FAIL, (u8)id, 0, 0, 0,
				  w->first, w->n, 0, 0, 0);
			done = n->wq_n;
			break;
		}
		for (u32 k = 0; k < w->n; k++) {
			struct sim_ent se = w->e[k];

			if (!disk_put(c, n, w->first + k, &se))
				break;
		}
		sim_trace(c, TR_PERSIST, (u8)id, 0, 0, 0, w->first, w->n, 0,
			  0, sim_log_last(&n->dlog));
		done++;
	}
	if (!done)
		return;
	for (u32 i = 0; i < done; i++) {
		struct sim_write *w = &n->wq[i];

		for (u32 k = 0; k < w->n; k++)
			if (w->e[k].p)
				raft_payload_put(w->e[k].p);
		free(w->e);
	}
	memmove(n->wq, n->wq + done, (n->wq_n - done) * sizeof(*n->wq));
	n->wq_n -= done;
	if (failed)
		n->wq_fail_pending = true;
	/* report now, or with the ready in flight when it completes */
	if (!n->rd_active)
		node_advance(c, n, false, false);
}

/* Make the in-flight write durable (or fail it) and advance. */
void sim_node_complete_write(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	struct raft_ready *rd = &n->rd;

	if (!n->up || !n->rd_active)
		return;
	/* queued writes were issued before this one */
	if (n->wq_n) {
		sim_node_complete_queued(c, id, c->now, true);
		if (!n->up || !n->rd_active || c->failed)
			return;
	}
	if (n->rd_fail || n->wq_fail_pending) {
		n->persist_failures++;
		sim_trace(c, TR_PERSIST_FAIL, id, 0, 0, 0,
			  rd->n_entries ? rd->entries[0].index : 0,
			  rd->n_entries, rd->hs.term, 0, 0);
		node_advance(c, n, true, true);
		return;
	}
	if (rd->snap_to_install && !c->resync_model && !n->snap_stall) {
		n->dsnap = n->inst;
		log_reset(&n->dlog, n->inst.meta.index, n->inst.meta.term,
			  n->inst.chain);
	}
	if (rd->hs_changed)
		n->dhs = rd->hs;
	for (u32 i = 0; i < rd->n_entries; i++) {
		const struct raft_entry *e = &rd->entries[i];
		struct sim_ent se;

		ent_from_raft(&se, e);
		se.p = e->payload;
		if (!disk_put(c, n, e->index, &se))
			return;
	}
	sim_trace(c, TR_PERSIST, id, rd->hs_changed, 0, rd->snap_to_install,
		  rd->n_entries ? rd->entries[0].index : 0, rd->n_entries,
		  rd->hs.term, rd->hs.vote, sim_log_last(&n->dlog));
	node_advance(c, n, true, false);
}

static void node_take_ready(struct sim_cluster *c, struct sim_node *n,
			    bool sync)
{
	struct raft_ready *rd = &n->rd;
	u32 n_apply;
	bool disk;

	if (c->net->on_ready)
		c->net->on_ready(c, n, rd);
	/* a leader that stepped down without a ready: freeze its log view
	 * before a new leader's entries change it
	 */
	if (n->obs_role == RAFT_LEADER && rd->role != RAFT_LEADER)
		sim_observe_node(c, n->id);
	if (rd->snap_to_install && c->resync_model)
		node_resync_begin(c, n, rd);
	else if (rd->snap_to_install && !n->snap_stall)
		node_install_snapshot(c, n, &rd->snap);
	/* entries into the shadow log, leader checks, message checks */
	sim_check_ready(c, n, rd);
	for (u32 i = 0; i < rd->n_msgs && !c->failed; i++) {
		sim_check_msg_out(c, n, &rd->msgs[i]);
		node_send(c, n, &rd->msgs[i]);
	}
	if (rd->n_committed) {
		struct raft_status st;

		raft_get_status(n->r, &st);
		n->apply_term = st.term;
		node_ack_committed(c, n, rd);
	}
	n_apply = rd->n_committed;
	if (n_apply && n->apply_lag_ppm &&
	    sim_rng_ppm(&c->rng, n->apply_lag_ppm)) {
		/* a chain of data writes in flight: a prefix (maybe none) */
		n_apply = (u32)sim_rng_below(&c->rng, n_apply);
		n->apply_deferred = true;
		n->n_apply_lags++;
	}
	for (u32 i = 0; i < n_apply && !c->failed; i++)
		node_apply(c, n, &rd->committed[i]);
	for (u32 i = 0; i < rd->n_read_states; i++) {
		const struct raft_read_state *rs = &rd->read_states[i];

		for (u32 k = 0; k < n->n_reads; k++)
			if (n->reads[k].ctx == rs->context && !n->reads[k].at)
				n->reads[k].at = rs->index ? rs->index : 1;
	}
	node_serve_reads(c, n);
	disk = rd->hs_changed || rd->n_entries || rd->snap_to_install;
	if (disk && n->async_log && !rd->hs_changed && !rd->snap_to_install &&
	    !sync) {
		/* queue the log write, acknowledge the batch now */
		wq_push(n, rd);
		disk = false;
	}
	if (!disk) {
		node_advance(c, n, false, false);
		return;
	}
	n->rd_disk = true;
	n->rd_fail = n->fail_next_write;
	n->fail_next_write = false;
	if (sync)
		sim_node_complete_write(c, n->id);
}

int sim_node_process(struct sim_cluster *c, raft_id id, bool sync)
{
	struct sim_node *n = &c->nodes[id];
	int taken = 0;

	if (n->up && !n->rd_active && n->rs_done)
		node_resync_finish(c, n);
	while (n->up && !n->rd_active && !c->failed && raft_has_ready(n->r)) {
		int err = raft_ready(n->r, &n->rd);

		if (err) {
			sim_fail(c, "Ready", "raft_ready(node %llu) = %d",
				 (unsigned long long)id, err);
			break;
		}
		/* before its messages go and its writes are acknowledged */
		sim_lease_publish(c, id);
		n->rd_active = true;
		taken++;
		n->apply_deferred = false;
		node_take_ready(c, n, sync);
		if (n->apply_deferred) {
			/* the rest when the writes complete: its next event */
			n->apply_deferred = false;
			break;
		}
		if (taken > 10000) {
			sim_fail(c, "Ready", "node %llu keeps producing ready batches",
				 (unsigned long long)id);
			break;
		}
	}
	return taken;
}

void sim_node_step(struct sim_cluster *c, struct sim_msg *m)
{
	raft_id to = m->m.to;
	struct sim_node *n;

	if (to < 1 || to > SIM_MAX_NODES || !c->nodes[to].up) {
		sim_trace_msg(c, TR_DROP, &m->m);
		sim_msg_free(m);
		return;
	}
	n = &c->nodes[to];
	sim_trace_msg(c, TR_DELIVER, &m->m);
	sim_node_set_now(c, to);
	if (m->chunk) {
		node_recv_chunk(c, n, m);
		sim_msg_free(m);
		return;
	}
	if (m->snap) {
		if (!n->rx_snap) {
			n->rx_snap = malloc(sizeof(*n->rx_snap));
			if (!n->rx_snap)
				abort();
		}
		*n->rx_snap = *m->snap;
	}
	{
		struct raft_msg hdr = m->m;	/* header, entries not owned */
		struct raft_status before;

		sim_check_step_pre(c, n, &hdr, &before);
		raft_step(n->r, &m->m);
		sim_lease_publish(c, to);
		sim_check_step_post(c, n, &hdr, &before);
	}
	/* raft_step consumed the message (entries and their payloads) */
	memset(&m->m, 0, sizeof(m->m));
	sim_msg_free(m);
}

void sim_node_tick(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];

	if (!n->up)
		return;
	if (!c->net->clock)
		n->clock_ns += c->cfg.tick_ns;
	sim_node_set_now(c, id);
	raft_tick(n->r);
	sim_lease_publish(c, id);
	n->rules.ticks++;
	sim_check_quorum_live(c, n);
}

void sim_node_stall(struct sim_cluster *c, raft_id id, u64 ns)
{
	c->nodes[id].clock_ns += ns;
}

void sim_lease_publish(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];

	(void)c;
	if (!n->up || !raft_read_lease_end(n->r, &n->lease))
		memset(&n->lease, 0, sizeof(n->lease));
}

static u64 node_clock(struct sim_cluster *c, const struct sim_node *n)
{
	return c->net->clock ? c->net->clock(c, n) : n->clock_ns;
}

/*
 * A read served at once from the published lease, as queue_rq serves it
 * (kernel/node_io.c, raftblk_node_read_direct()): the lease holds on the
 * node's clock now, was published less than a stall ago, and the node
 * applied up to its floor.
 */
static bool node_read_direct(struct sim_cluster *c, struct sim_node *n,
			     struct sim_read *rd)
{
	const struct raft_lease_info *li = &n->lease;
	u64 now = node_clock(c, n);

	if (!li->end || now >= li->end || now < li->at ||
	    now - li->at > li->stall || n->sm.applied < li->floor)
		return false;
	rd->at = li->floor ? li->floor : 1;
	return true;
}

void sim_node_set_now(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];

	if (n->up)
		raft_set_now(n->r, node_clock(c, n));
}

/* ------------------------------------------------------------------ */
/* Client                                                             */

static void props_reserve(struct sim_cluster *c, u64 wid)
{
	if (wid < c->props_cap)
		return;
	u64 cap = c->props_cap ? c->props_cap * 2 : 1024;

	while (cap <= wid)
		cap *= 2;
	c->props = realloc(c->props, cap * sizeof(*c->props));
	if (!c->props)
		abort();
	memset(c->props + c->props_cap, 0,
	       (cap - c->props_cap) * sizeof(*c->props));
	c->props_cap = cap;
}

int sim_propose(struct sim_cluster *c, raft_id id, u32 cnt, u32 block)
{
	struct sim_node *n = &c->nodes[id];
	struct raft_entry ents[64];
	u64 wid0 = c->next_wid;
	int err;

	if (!n->up)
		return RAFT_ESHUTDOWN;
	if (cnt > 64)
		cnt = 64;
	memset(ents, 0, sizeof(ents));
	for (u32 i = 0; i < cnt; i++) {
		ents[i].type = RAFT_ENTRY_NORMAL;
		ents[i].payload = sim_payload_make((block + i) % SIM_BLOCKS,
						   wid0 + i);
		if (!ents[i].payload)
			abort();
	}
	err = raft_propose(n->r, cnt, ents);
	for (u32 i = 0; i < cnt; i++)
		raft_payload_put(ents[i].payload);
	sim_trace(c, TR_PROPOSE, id, 0, 0, (u8)err, wid0, cnt, block, 0, 0);
	if (err)
		return err;
	props_reserve(c, wid0 + cnt);
	for (u32 i = 0; i < cnt; i++) {
		struct sim_prop *p = &c->props[wid0 + i];

		p->node = (u8)id;
		p->inc = n->inc;
		p->block = (block + i) % SIM_BLOCKS;
	}
	c->next_wid += cnt;
	c->n_proposed += cnt;
	return 0;
}

int sim_propose_barrier(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	struct raft_entry e;

	if (!n->up)
		return RAFT_ESHUTDOWN;
	memset(&e, 0, sizeof(e));
	e.type = RAFT_ENTRY_BARRIER;
	return raft_propose(n->r, 1, &e);
}

int sim_read(struct sim_cluster *c, raft_id id, u32 block)
{
	return sim_read_need(c, id, block,
			     c->ck.acked_idx[block % SIM_BLOCKS]);
}

int sim_read_need(struct sim_cluster *c, raft_id id, u32 block,
		  raft_index need)
{
	struct sim_node *n = &c->nodes[id];
	struct sim_read *rd;
	int err;

	if (!n->up)
		return RAFT_ESHUTDOWN;
	if (n->n_reads == SIM_MAX_READS)
		return RAFT_EBUSY;
	rd = &n->reads[n->n_reads];
	memset(rd, 0, sizeof(*rd));
	rd->ctx = c->next_ctx++;
	rd->block = block % SIM_BLOCKS;
	rd->need = need;
	/*
	 * Every other read takes the node driver's fast paths: half of
	 * those first the lease published for queue_rq (judged before the
	 * core hears the time: it is not asked), then a lease read
	 * answered at once by the core; the rest go through the ready
	 * cycle.
	 */
	if (!c->reads_via_ready && (rd->ctx & 3) == 3 &&
	    node_read_direct(c, n, rd)) {
		sim_trace(c, TR_READ, id, 0, 0, 0, rd->ctx, rd->block,
			  rd->need, 0, 0);
		n->n_reads++;
		c->n_reads++;
		c->n_reads_direct++;
		node_serve_reads(c, n);
		return 0;
	}
	sim_node_set_now(c, id);
	if (!c->reads_via_ready && (rd->ctx & 1) &&
	    raft_read_lease(n->r, &rd->at)) {
		if (!rd->at)
			rd->at = 1;
		sim_trace(c, TR_READ, id, 0, 0, 0, rd->ctx, rd->block,
			  rd->need, 0, 0);
		n->n_reads++;
		c->n_reads++;
		node_serve_reads(c, n);
		return 0;
	}
	err = raft_read_index(n->r, rd->ctx);
	sim_trace(c, TR_READ, id, 0, 0, (u8)err, rd->ctx, rd->block, rd->need,
		  0, 0);
	if (err)
		return err;
	n->n_reads++;
	c->n_reads++;
	return 0;
}

int sim_change_conf(struct sim_cluster *c, raft_id leader, u8 op,
		    raft_id target)
{
	struct sim_node *n = &c->nodes[leader];
	struct raft_conf_change cc;
	struct raft_status before;
	int err;

	if (!n->up)
		return RAFT_ESHUTDOWN;
	if (target < 1 || target > SIM_MAX_NODES)
		return RAFT_EINVAL;
	memset(&cc, 0, sizeof(cc));
	cc.op = op;
	cc.id = target;
	sim_node_addr(target, cc.addr);
	/* commits so far were made under the current configuration */
	sim_observe_node(c, leader);
	if (!n->up)
		return RAFT_ESHUTDOWN;
	raft_get_status(n->r, &before);
	err = raft_change_conf(n->r, &cc);
	sim_lease_publish(c, leader);
	sim_trace(c, TR_CONF, leader, (u8)target, 0, (u8)err, op, 0, 0, 0, 0);
	if (err)
		return err;
	sim_check_conf_accepted(c, n, &before);
	if (op == RAFT_CONF_ADD_LEARNER && !c->nodes[target].exists)
		return sim_node_create_empty(c, target);
	return 0;
}

int sim_compact(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	raft_index idx = n->sm.applied;
	const struct sim_ent *e;
	int err;

	if (!n->up || n->rd_active || n->rs_active || n->dmark)
		return RAFT_EBUSY;
	if (idx <= n->dsnap.meta.index || idx > sim_log_last(&n->dlog))
		return RAFT_EINVAL;
	e = sim_log_at(&n->dlog, idx);
	if (!e)
		return RAFT_EINVAL;
	err = raft_compact(n->r, idx);
	sim_trace(c, TR_COMPACT, id, 0, 0, (u8)err, idx, e->term, 0, 0, 0);
	if (err)
		return err;
	memset(&n->dsnap, 0, sizeof(n->dsnap));
	n->dsnap.meta.index = idx;
	n->dsnap.meta.term = e->term;
	n->dsnap.meta.conf = n->aconf;
	n->dsnap.sm = n->sm;
	n->dsnap.chain = e->chain;
	log_compact(&n->dlog, idx);
	if (sim_log_at(&n->shadow, idx))
		log_compact(&n->shadow, idx);
	if (n->n_snaps == SIM_MAX_SNAPS)
		memmove(&n->snaps[0], &n->snaps[1],
			(SIM_MAX_SNAPS - 1) * sizeof(n->snaps[0]));
	else
		n->n_snaps++;
	n->snaps[n->n_snaps - 1] = n->dsnap;
	return 0;
}

raft_id sim_leader(struct sim_cluster *c)
{
	raft_id best = 0;
	raft_term bt = 0;

	/* as last observed (sim_observe_node) */
	for (raft_id id = 1; id <= c->max_id; id++) {
		struct sim_node *n = &c->nodes[id];

		if (n->up && n->obs_role == RAFT_LEADER && n->obs_term >= bt) {
			best = id;
			bt = n->obs_term;
		}
	}
	return best;
}

void sim_observe_node(struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	struct raft_status st;

	if (!n->up || c->failed)
		return;
	raft_get_status(n->r, &st);
	sim_check_status(c, n, &st);
}

void sim_observe(struct sim_cluster *c)
{
	for (raft_id id = 1; id <= c->max_id; id++)
		sim_observe_node(c, id);
}
