// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - the invariants the simulator checks after every step.
 *
 * Raft paper, Figure 3:
 *   Election Safety       at most one leader per term, over all history
 *   Leader Append-Only    a leader never overwrites or deletes its entries
 *   Log Matching          same index and term => same log prefix
 *   Leader Completeness   a leader's log holds every committed entry
 *   State Machine Safety  no two nodes apply different entries at an index
 * and, for the product:
 *   no acknowledged write lost, reads linearizable.
 *
 * Logs are compared through a chain hash: the hash of an entry covers the
 * whole prefix ending at it, so "same (index, term) => same chain" is Log
 * Matching, and comparing one chain value compares a whole prefix.
 *
 * Direct rule checks (on by default, --no-rule-checks turns them off to
 * see what the safety invariants alone catch):
 *   Durability   an APPEND_RESP acknowledges only a durable prefix that
 *                matches the leader's log; a vote is granted only once
 *                that vote is durable; a leader's commit index only
 *                covers entries durable on a majority of its voters
 *   Commit rule  a leader advances its commit index only to an entry of
 *                its own term (Figure 2, "log[N].term == currentTerm")
 */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define ULL(x) ((unsigned long long)(x))

static u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

u64 sim_ent_chain(u64 prev, const struct sim_ent *e)
{
	u64 h = mix64(prev * 0x100000001b3ULL + e->term + 1);

	h = mix64(h ^ ((u64)e->type << 56) ^ ((u64)e->cc_op << 48) ^
		  e->cc_id * 0x9e3779b97f4a7c15ULL);
	return mix64(h ^ e->block * 0xc2b2ae3d27d4eb4fULL ^
		     e->wid * 0x165667b19e3779f9ULL);
}

void sim_check_init(struct sim_checker *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->rule_checks = true;
}

void sim_check_free(struct sim_checker *ck)
{
	for (u64 t = 0; t < ck->n_terms; t++)
		free(ck->terms[t].fz);
	free(ck->terms);
	free(ck->g);
	free(ck->com);
	memset(ck, 0, sizeof(*ck));
}

/* ------------------------------------------------------------------ */
/* (index, term) -> chain                                             */

static u64 gslot(u64 cap, raft_index i, raft_term t)
{
	return mix64(i * 0x9e3779b97f4a7c15ULL ^ t) & (cap - 1);
}

static void g_grow(struct sim_checker *ck)
{
	u64 cap = ck->g_cap ? ck->g_cap * 2 : 4096;
	struct sim_gslot *ng = calloc(cap, sizeof(*ng));

	if (!ng)
		abort();
	for (u64 k = 0; k < ck->g_cap; k++) {
		struct sim_gslot *s = &ck->g[k];
		u64 j;

		if (!s->term && !s->index)
			continue;
		j = gslot(cap, s->index, s->term);
		while (ng[j].term || ng[j].index)
			j = (j + 1) & (cap - 1);
		ng[j] = *s;
	}
	free(ck->g);
	ck->g = ng;
	ck->g_cap = cap;
}

bool sim_check_gmap(struct sim_checker *ck, raft_index i, raft_term t,
		    u64 *chain)
{
	u64 j;

	if (!i && !t) {
		*chain = 0;	/* the empty log */
		return true;
	}
	if (!ck->g_cap)
		return false;
	j = gslot(ck->g_cap, i, t);
	while (ck->g[j].term || ck->g[j].index) {
		if (ck->g[j].index == i && ck->g[j].term == t) {
			*chain = ck->g[j].chain;
			return true;
		}
		j = (j + 1) & (ck->g_cap - 1);
	}
	return false;
}

void sim_check_seen(struct sim_cluster *c, raft_id id, raft_index i,
		    raft_term t, u64 chain)
{
	struct sim_checker *ck = &c->ck;
	u64 old, j;

	if (sim_check_gmap(ck, i, t, &old)) {
		if (old != chain)
			sim_fail(c, "Log Matching", "node %llu has entry %llu/%llu but its log up to there differs from another log holding %llu/%llu",
				 ULL(id), ULL(i), ULL(t), ULL(i), ULL(t));
		return;
	}
	if ((ck->g_used + 1) * 2 > ck->g_cap)
		g_grow(ck);
	j = gslot(ck->g_cap, i, t);
	while (ck->g[j].term || ck->g[j].index)
		j = (j + 1) & (ck->g_cap - 1);
	ck->g[j].index = i;
	ck->g[j].term = t;
	ck->g[j].chain = chain;
	ck->g_used++;
}

/* ------------------------------------------------------------------ */
/* Terms and committed entries                                        */

static struct sim_term_rec *term_rec(struct sim_checker *ck, raft_term t)
{
	if (t >= ck->n_terms) {
		u64 n = ck->n_terms ? ck->n_terms : 64;

		while (n <= t)
			n *= 2;
		ck->terms = realloc(ck->terms, n * sizeof(*ck->terms));
		if (!ck->terms)
			abort();
		memset(ck->terms + ck->n_terms, 0,
		       (n - ck->n_terms) * sizeof(*ck->terms));
		ck->n_terms = n;
	}
	return &ck->terms[t];
}

static struct sim_committed *com_at(struct sim_checker *ck, raft_index i)
{
	if (i >= ck->com_cap) {
		u64 n = ck->com_cap ? ck->com_cap : 1024;

		while (n <= i)
			n *= 2;
		ck->com = realloc(ck->com, n * sizeof(*ck->com));
		if (!ck->com)
			abort();
		memset(ck->com + ck->com_cap, 0,
		       (n - ck->com_cap) * sizeof(*ck->com));
		ck->com_cap = n;
	}
	return &ck->com[i];
}

/* Entry i (from some node's log) is known committed. */
static void committed(struct sim_cluster *c, raft_id id, raft_index i,
		      const struct sim_ent *e, raft_term in_term,
		      const char *how)
{
	struct sim_committed *k = com_at(&c->ck, i);

	if (k->term) {
		if (in_term < k->in_term)
			k->in_term = in_term;
		if (k->chain != e->chain)
			sim_fail(c, "State Machine Safety", "node %llu %s %llu/%llu but %llu/%llu was committed there",
				 ULL(id), how, ULL(i), ULL(e->term), ULL(i),
				 ULL(k->term));
		return;
	}
	k->term = e->term;
	k->in_term = in_term;
	k->chain = e->chain;
	k->type = e->type;
	k->block = e->block;
	k->wid = e->wid;
	if (i > c->ck.com_max)
		c->ck.com_max = i;
	c->ck.n_commits_seen++;
}

/* Chain of entry i in the log of the leader of term t, if known. */
static bool leader_chain(struct sim_cluster *c, raft_term t, raft_index i,
			 u64 *chain)
{
	struct sim_term_rec *tr;
	struct sim_node *l;

	if (t >= c->ck.n_terms)
		return false;
	tr = &c->ck.terms[t];
	if (!tr->leader)
		return false;
	l = &c->nodes[tr->leader];
	if (l->up && l->obs_role == RAFT_LEADER && l->obs_term == t)
		return sim_log_chain(&l->shadow, i, chain);
	if (tr->fz && i > tr->fz_base && i <= tr->fz_base + tr->fz_n) {
		*chain = tr->fz[i - tr->fz_base - 1];
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Ready batches                                                      */

static bool ent_same(const struct sim_ent *a, const struct sim_ent *b)
{
	return a->term == b->term && a->type == b->type &&
	       a->cc_op == b->cc_op && a->cc_id == b->cc_id &&
	       a->block == b->block && a->wid == b->wid;
}

static void leader_completeness(struct sim_cluster *c, struct sim_node *n,
				const struct raft_status *st)
{
	struct sim_checker *ck = &c->ck;
	raft_index m = ck->com_max;
	u64 chain;

	if (n->complete_checked == st->term)
		return;
	/* entries committed in earlier terms (Figure 3: "committed in a
	 * given term ... present in the logs of the leaders for all
	 * higher-numbered terms"); a stale leader of an older term may lack
	 * entries committed later
	 */
	while (m && (!ck->com[m].term || ck->com[m].in_term >= st->term))
		m--;
	if (!m)
		return;
	if (st->last_index < m) {
		n->complete_checked = st->term;
		sim_fail(c, "Leader Completeness", "node %llu leads term %llu with log ending at %llu, but %llu/%llu is committed",
			 ULL(n->id), ULL(st->term), ULL(st->last_index),
			 ULL(m), ULL(ck->com[m].term));
		return;
	}
	if (sim_log_last(&n->shadow) < st->last_index)
		return;		/* not all handed out yet: check later */
	n->complete_checked = st->term;
	if (m < n->shadow.base)
		return;		/* covered by its snapshot */
	if (!sim_log_chain(&n->shadow, m, &chain) || chain != ck->com[m].chain) {
		bool ok;
		raft_term t = sim_log_term(&n->shadow, m, &ok);

		sim_fail(c, "Leader Completeness", "node %llu leads term %llu but its entry %llu is %llu/%llu, the committed one is %llu/%llu",
			 ULL(n->id), ULL(st->term), ULL(m), ULL(m), ULL(t),
			 ULL(m), ULL(ck->com[m].term));
	}
}

void sim_check_ready(struct sim_cluster *c, struct sim_node *n,
		     const struct raft_ready *rd)
{
	struct sim_log *l = &n->shadow;
	struct raft_status st;

	for (u32 k = 0; k < rd->n_entries && !c->failed; k++) {
		const struct raft_entry *e = &rd->entries[k];
		struct sim_ent se;
		u64 prev;

		if (e->index <= l->base)
			continue;
		memset(&se, 0, sizeof(se));
		se.term = e->term;
		se.type = e->type;
		if (e->type == RAFT_ENTRY_CONF) {
			se.cc_op = e->cc.op;
			se.cc_id = e->cc.id;
		}
		if (e->type == RAFT_ENTRY_NORMAL)
			sim_payload_decode(e->payload, &se.block, &se.wid);
		if (e->index <= sim_log_last(l)) {
			const struct sim_ent *old = sim_log_at(l, e->index);

			if (rd->role == RAFT_LEADER && old && !ent_same(old, &se))
				sim_fail(c, "Leader Append-Only", "leader %llu overwrites its entry %llu/%llu with %llu/%llu",
					 ULL(n->id), ULL(e->index),
					 ULL(old->term), ULL(e->index),
					 ULL(e->term));
			/* truncate the shadow (no payload refs there) */
			l->n = (u32)(e->index - 1 - l->base);
		}
		if (!sim_log_chain(l, e->index - 1, &prev)) {
			sim_fail(c, "Log", "node %llu: entries to persist start at %llu, its log ends at %llu",
				 ULL(n->id), ULL(e->index), ULL(sim_log_last(l)));
			return;
		}
		if (k && e->term < rd->entries[k - 1].term)
			sim_fail(c, "Log", "node %llu: terms go down in its log at %llu",
				 ULL(n->id), ULL(e->index));
		se.chain = sim_ent_chain(prev, &se);
		sim_check_seen(c, n->id, e->index, e->term, se.chain);
		if (l->n == l->cap) {
			u32 cap = l->cap ? 2 * l->cap : 64;

			l->e = realloc(l->e, cap * sizeof(*l->e));
			if (!l->e)
				abort();
			l->cap = cap;
		}
		l->e[l->n++] = se;
	}
	if (rd->role == RAFT_LEADER && !c->failed) {
		raft_get_status(n->r, &st);
		if (st.role == RAFT_LEADER)
			leader_completeness(c, n, &st);
	}
}

static void vote_rule(struct sim_cluster *c, struct sim_node *n,
		      const struct raft_msg *m);

void sim_check_msg_out(struct sim_cluster *c, struct sim_node *n,
		       const struct raft_msg *m)
{
	u64 chain, want;

	if (m->from != n->id) {
		sim_fail(c, "Message", "node %llu sends a message from %llu",
			 ULL(n->id), ULL(m->from));
		return;
	}
	switch (m->type) {
	case RAFT_MSG_APPEND:
		/* what the leader sends must be what its log has */
		if (!m->n_entries || !sim_check_gmap(&c->ck, m->index,
						     m->log_term, &chain))
			break;
		for (u32 k = 0; k < m->n_entries; k++) {
			const struct raft_entry *e = &m->entries[k];
			struct sim_ent se;

			memset(&se, 0, sizeof(se));
			se.term = e->term;
			se.type = e->type;
			if (e->type == RAFT_ENTRY_CONF) {
				se.cc_op = e->cc.op;
				se.cc_id = e->cc.id;
			}
			if (e->type == RAFT_ENTRY_NORMAL)
				sim_payload_decode(e->payload, &se.block,
						   &se.wid);
			if (e->index != m->index + 1 + k) {
				sim_fail(c, "Message", "node %llu: APPEND after %llu carries entry %u with index %llu",
					 ULL(n->id), ULL(m->index), k,
					 ULL(e->index));
				return;
			}
			chain = sim_ent_chain(chain, &se);
			sim_check_seen(c, n->id, e->index, e->term, chain);
		}
		break;
	case RAFT_MSG_APPEND_RESP:
		if (m->reject || !c->ck.rule_checks)
			break;
		if (m->index > sim_log_last(&n->dlog)) {
			sim_fail(c, "Durability", "node %llu acknowledges index %llu (term %llu) to %llu but its disk holds only up to %llu",
				 ULL(n->id), ULL(m->index), ULL(m->term),
				 ULL(m->to), ULL(sim_log_last(&n->dlog)));
			break;
		}
		if (m->index < n->dlog.base ||
		    !leader_chain(c, m->term, m->index, &want) ||
		    !sim_log_chain(&n->dlog, m->index, &chain))
			break;
		if (chain != want) {
			bool ok;

			sim_fail(c, "Durability", "node %llu acknowledges index %llu to the leader of term %llu but its durable entry there is %llu/%llu, not the leader's",
				 ULL(n->id), ULL(m->index), ULL(m->term),
				 ULL(m->index),
				 ULL(sim_log_term(&n->dlog, m->index, &ok)));
		}
		break;
	case RAFT_MSG_PREVOTE_RESP:
		vote_rule(c, n, m);
		break;
	case RAFT_MSG_VOTE_RESP:
		vote_rule(c, n, m);
		if (m->reject || !c->ck.rule_checks)
			break;
		if (n->dhs.term < m->term ||
		    (n->dhs.term == m->term && n->dhs.vote != m->to))
			sim_fail(c, "Durability", "node %llu grants its vote to %llu in term %llu but its disk says term %llu vote %llu",
				 ULL(n->id), ULL(m->to), ULL(m->term),
				 ULL(n->dhs.term), ULL(n->dhs.vote));
		break;
	default:
		break;
	}
}

void sim_check_apply(struct sim_cluster *c, struct sim_node *n,
		     raft_index i, const struct sim_ent *e)
{
	/* committed by a leader of a term <= the node's current one */
	committed(c, n->id, i, e, n->apply_term, "applies");
}

void sim_check_leader_gone(struct sim_cluster *c, struct sim_node *n,
			   raft_term term)
{
	struct sim_term_rec *tr = term_rec(&c->ck, term);
	struct sim_log *l = &n->shadow;

	if (tr->leader != n->id)
		return;
	free(tr->fz);
	tr->fz = NULL;
	tr->fz_n = 0;
	tr->fz_base = l->base;
	if (!l->n)
		return;
	tr->fz = malloc(l->n * sizeof(*tr->fz));
	if (!tr->fz)
		abort();
	for (u32 k = 0; k < l->n; k++)
		tr->fz[k] = l->e[k].chain;
	tr->fz_n = l->n;
}

static void commit_checks(struct sim_cluster *c, struct sim_node *n,
			  const struct raft_status *st)
{
	struct sim_checker *ck = &c->ck;
	raft_index ci = st->commit;
	const struct sim_ent *e = sim_log_at(&n->shadow, ci);
	u32 voters = 0, durable = 0;
	u64 chain;

	if (ci <= n->shadow.base)
		return;
	if (!e) {
		sim_fail(c, "Commit", "leader %llu commits %llu beyond the log it persisted (%llu)",
			 ULL(n->id), ULL(ci), ULL(sim_log_last(&n->shadow)));
		return;
	}
	if (ck->rule_checks && e->term != st->term) {
		sim_fail(c, "Commit rule", "leader %llu of term %llu advances its commit index to %llu, an entry of term %llu (Figure 2: only entries of the current term are committed by counting)",
			 ULL(n->id), ULL(st->term), ULL(ci), ULL(e->term));
		return;
	}
	chain = e->chain;
	if (ck->rule_checks) {
		for (u32 k = 0; k < st->conf.n; k++) {
			const struct raft_node *v = &st->conf.nodes[k];
			struct sim_node *vn;
			u64 vc;

			if (v->role != RAFT_VOTER)
				continue;
			voters++;
			if (v->id < 1 || v->id > SIM_MAX_NODES)
				continue;
			vn = &c->nodes[v->id];
			if (!vn->exists)
				continue;
			if (ci <= vn->dlog.base ||
			    (sim_log_chain(&vn->dlog, ci, &vc) && vc == chain))
				durable++;
		}
		if (2 * durable <= voters) {
			sim_fail(c, "Durability", "leader %llu of term %llu commits %llu but only %u of %u voters hold it on disk",
				 ULL(n->id), ULL(st->term), ULL(ci), durable,
				 voters);
			return;
		}
	}
	/* everything up to ci is committed now */
	for (raft_index i = n->obs_commit + 1; i <= ci && !c->failed; i++) {
		const struct sim_ent *x = sim_log_at(&n->shadow, i);

		if (x)
			committed(c, n->id, i, x, st->term, "commits");
	}
}

void sim_check_status(struct sim_cluster *c, struct sim_node *n,
		      const struct raft_status *st)
{
	struct sim_checker *ck = &c->ck;

	if (st->role == RAFT_LEADER) {
		struct sim_term_rec *tr = term_rec(ck, st->term);

		if (n->dmark || n->rs_active) {
			sim_fail(c, "Resync", "node %llu leads term %llu while its data area is being copied (resyncing mark %d)",
				 ULL(n->id), ULL(st->term), n->dmark);
			return;
		}

		if (tr->leader && tr->leader != n->id) {
			sim_fail(c, "Election Safety", "nodes %llu and %llu are both leaders of term %llu",
				 ULL(tr->leader), ULL(n->id), ULL(st->term));
			return;
		}
		tr->leader = n->id;
	}
	if (n->obs_role == RAFT_LEADER &&
	    (st->role != RAFT_LEADER || st->term != n->obs_term))
		sim_check_leader_gone(c, n, n->obs_term);
	if (st->role == RAFT_LEADER && n->obs_role == RAFT_LEADER &&
	    st->term == n->obs_term && st->commit > n->obs_commit)
		commit_checks(c, n, st);
	if (st->role != n->obs_role || st->term != n->obs_term)
		sim_trace(c, TR_ROLE, n->id, 0, 0, st->role, st->term,
			  st->leader, st->commit, st->last_index, 0);
	n->obs_role = st->role;
	n->obs_term = st->term;
	n->obs_commit = st->commit;
}

/* ------------------------------------------------------------------ */
/* Client-visible checks                                              */

void sim_check_ack(struct sim_cluster *c, struct sim_node *n, u64 wid,
		   u64 block, raft_index i)
{
	(void)n;
	(void)wid;
	if (block < SIM_BLOCKS && i > c->ck.acked_idx[block])
		c->ck.acked_idx[block] = i;
	c->ck.n_acked++;
}

void sim_check_read(struct sim_cluster *c, struct sim_node *n,
		    const struct sim_read *rd)
{
	raft_index have = n->sm.widx[rd->block];

	if (have < rd->need) {
		sim_fail(c, "Linearizable read", "node %llu serves read %llu of block %u at read index %llu with the write of index %llu, but the write at index %llu was acknowledged before the read started",
			 ULL(n->id), ULL(rd->ctx), rd->block, ULL(rd->at),
			 ULL(have), ULL(rd->need));
		return;
	}
	c->ck.n_reads_ok++;
}

bool sim_check_expected_sm(struct sim_cluster *c, raft_index i,
			   struct sim_sm *sm)
{
	struct sim_checker *ck = &c->ck;

	memset(sm, 0, sizeof(*sm));
	sm->applied = i;
	/* up to the bootstrap snapshot there is no data */
	for (raft_index k = ck->boot_index + 1; k <= i; k++) {
		const struct sim_committed *e;

		if (k >= ck->com_cap || !ck->com[k].term)
			return false;
		e = &ck->com[k];
		if (e->type == RAFT_ENTRY_NORMAL && e->block < SIM_BLOCKS) {
			sm->wid[e->block] = e->wid;
			sm->widx[e->block] = k;
		}
	}
	return true;
}

static bool sm_equal(const struct sim_sm *a, const struct sim_sm *b)
{
	return !memcmp(a->wid, b->wid, sizeof(a->wid)) &&
	       !memcmp(a->widx, b->widx, sizeof(a->widx));
}

void sim_check_snapshot_content(struct sim_cluster *c, struct sim_node *n,
				const struct sim_snap *s)
{
	struct sim_sm want;

	if (!sim_check_expected_sm(c, s->meta.index, &want))
		return;
	if (!sm_equal(&want, &s->sm))
		sim_fail(c, "Snapshot", "node %llu installs snapshot %llu/%llu whose data differs from the committed log",
			 ULL(n->id), ULL(s->meta.index), ULL(s->meta.term));
}

void sim_check_final(struct sim_cluster *c)
{
	for (raft_id id = 1; id <= c->max_id && !c->failed; id++) {
		struct sim_node *n = &c->nodes[id];
		struct sim_sm want;

		/* a copy in progress (a node removed during its resync):
		 * its data area is no state at all
		 */
		if (!n->up || n->dmark || n->rs_active)
			continue;
		if (n->sm.applied < n->dcopy_end) {
			/* not past the end of its copy (removed before) */
			sim_check_data(c, n, n->sm.applied, false,
				       "at the end, short of its copy's end");
			continue;
		}
		if (!sim_check_expected_sm(c, n->sm.applied, &want))
			continue;
		if (!sm_equal(&want, &n->sm)) {
			sim_fail(c, "State Machine Safety", "node %llu data at applied index %llu differs from the committed log",
				 ULL(id), ULL(n->sm.applied));
			return;
		}
		if (n->sm.applied < c->ck.com_max)
			continue;
		for (u32 b = 0; b < SIM_BLOCKS; b++)
			if (n->sm.widx[b] < c->ck.acked_idx[b])
				sim_fail(c, "Lost write", "node %llu block %u holds the write of index %llu, older than the acknowledged write at %llu",
					 ULL(id), b, ULL(n->sm.widx[b]),
					 ULL(c->ck.acked_idx[b]));
	}
}

/* ------------------------------------------------------------------ */
/* Resync                                                             */

void sim_check_data(struct sim_cluster *c, struct sim_node *n,
		    raft_index index, bool exact, const char *when)
{
	struct sim_checker *ck = &c->ck;
	struct sim_sm want;

	if (c->failed || !sim_check_expected_sm(c, index, &want))
		return;
	for (u32 b = 0; b < SIM_BLOCKS; b++) {
		raft_index w = n->sm.widx[b];
		const struct sim_committed *k;

		if (n->sm.xidx[b / SIM_EXT_BLOCKS] < w) {
			sim_fail(c, "Resync", "node %llu %s: extent %u's last-write index %llu is below the write of index %llu its block %u holds",
				 ULL(n->id), when, b / SIM_EXT_BLOCKS,
				 ULL(n->sm.xidx[b / SIM_EXT_BLOCKS]), ULL(w), b);
			return;
		}
		if (exact ? w != want.widx[b] : w < want.widx[b]) {
			sim_fail(c, "Resync", "node %llu %s: block %u holds the write of index %llu, %s the last write up to index %llu is at %llu",
				 ULL(n->id), when, b, ULL(w),
				 exact ? "but" : "older than the log prefix it must hold at least:",
				 ULL(index), ULL(want.widx[b]));
			return;
		}
		if (!w || w >= ck->com_cap || !ck->com[w].term)
			continue;
		k = &ck->com[w];
		if (k->type != RAFT_ENTRY_NORMAL || k->block != b ||
		    k->wid != n->sm.wid[b]) {
			sim_fail(c, "Resync", "node %llu %s: block %u holds write %llu as if of index %llu, which committed something else",
				 ULL(n->id), when, b, ULL(n->sm.wid[b]), ULL(w));
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Rule checks on steps                                               */

static bool up_to_date(raft_index ci, raft_term ct, raft_index vi,
		       raft_term vt)
{
	return ct > vt || (ct == vt && ci >= vi);
}

void sim_check_step_pre(struct sim_cluster *c, struct sim_node *n,
			const struct raft_msg *m, struct raft_status *before)
{
	struct sim_rules *ru = &n->rules;
	raft_id f = m->from;

	raft_get_status(n->r, before);
	if (f < 1 || f > SIM_MAX_NODES)
		return;
	switch (m->type) {
	case RAFT_MSG_VOTE:
	case RAFT_MSG_PREVOTE: {
		/* Figure 2, RequestVote: grant only if the candidate's log
		 * is at least as up to date as ours (5.4.1)
		 */
		int pre = m->type == RAFT_MSG_PREVOTE;

		/* A stale request (a duplicate or a late delivery of an
		 * older term's ask) is never granted by a node that has
		 * seen the newer one, but a grant decided earlier for its
		 * term may still be waiting for the term and vote to be
		 * durable: keep the record of the newest term, whose
		 * grant is the one the check must judge.
		 */
		if (m->term < ru->vq_term[pre][f])
			break;
		if (ru->vq_term[pre][f] != m->term) {
			ru->vq_term[pre][f] = m->term;
			ru->vq_ok[pre][f] = false;
		}
		if (up_to_date(m->index, m->log_term, before->last_index,
			       before->last_term))
			ru->vq_ok[pre][f] = true;
		break;
	}
	case RAFT_MSG_APPEND_RESP:
	case RAFT_MSG_HEARTBEAT_RESP:
		/* what CheckQuorum counts as hearing from a peer */
		if (m->term == before->term) {
			ru->heard_tick[f] = ru->ticks;
			ru->heard_term[f] = m->term;
		}
		break;
	default:
		break;
	}
	(void)c;
}

void sim_check_step_post(struct sim_cluster *c, struct sim_node *n,
			 const struct raft_msg *m,
			 const struct raft_status *before)
{
	struct raft_status st;
	raft_index bound;

	if (m->type != RAFT_MSG_APPEND || !c->ck.rule_checks || !n->up)
		return;
	/* Figure 2, AppendEntries step 5: commitIndex = min(leaderCommit,
	 * index of last new entry); never from a log tail the leader did
	 * not vouch for in this message
	 */
	raft_get_status(n->r, &st);
	bound = m->index + m->n_entries;
	if (m->commit < bound)
		bound = m->commit;
	if (st.commit > before->commit && st.commit > bound)
		sim_fail(c, "Commit rule", "follower %llu moves its commit index from %llu to %llu on an APPEND from %llu (term %llu) whose last new entry is %llu and commit %llu (Figure 2: min(leaderCommit, last new entry))",
			 ULL(n->id), ULL(before->commit), ULL(st.commit),
			 ULL(m->from), ULL(m->term),
			 ULL(m->index + m->n_entries), ULL(m->commit));
}

/* Called for every outgoing vote grant. */
static void vote_rule(struct sim_cluster *c, struct sim_node *n,
		      const struct raft_msg *m)
{
	int pre = m->type == RAFT_MSG_PREVOTE_RESP;
	raft_id to = m->to;

	if (m->reject || !c->ck.rule_checks || to < 1 || to > SIM_MAX_NODES)
		return;
	if (n->rules.vq_term[pre][to] == m->term && !n->rules.vq_ok[pre][to])
		sim_fail(c, "Vote rule", "node %llu grants its %svote for term %llu to %llu, whose log was never at least as up to date as its own when it asked (5.4.1)",
			 ULL(n->id), pre ? "pre-" : "", ULL(m->term), ULL(to));
}

void sim_check_conf_accepted(struct sim_cluster *c, struct sim_node *n,
			     const struct raft_status *before)
{
	struct sim_rules *ru = &n->rules;
	bool ok;
	raft_term t;

	if (!c->ck.rule_checks) {
		ru->cc_term = before->term;
		ru->cc_index = before->last_index + 1;
		return;
	}
	/* one change at a time: the previous one this leader made is
	 * committed (dissertation 4.1)
	 */
	if (ru->cc_term == before->term && ru->cc_index > before->commit)
		sim_fail(c, "Membership", "leader %llu (term %llu) accepts a configuration change while its change at %llu is not committed (commit %llu): two changes in flight",
			 ULL(n->id), ULL(before->term), ULL(ru->cc_index),
			 ULL(before->commit));
	/* and not before an entry of its own term committed (a change of
	 * an earlier leader may still be pending; raft-dev 2015 fix)
	 */
	if (before->commit < c->ck.com_cap &&
	    c->ck.com[before->commit].term) {
		/* the entry committed there, whoever committed it */
		t = c->ck.com[before->commit].term;
		ok = true;
	} else {
		/* the shadow is the core's log once all was handed out */
		t = sim_log_term(&n->shadow, before->commit, &ok);
		ok = ok && !n->rd_active && !raft_has_ready(n->r);
	}
	if (!c->failed && ok && t != before->term)
		sim_fail(c, "Membership", "leader %llu (term %llu) accepts a configuration change before an entry of its term committed (commit %llu is of term %llu)",
			 ULL(n->id), ULL(before->term), ULL(before->commit),
			 ULL(t));
	ru->cc_term = before->term;
	ru->cc_index = before->last_index + 1;
}

void sim_check_transfer_started(struct sim_node *n)
{
	n->rules.cq_since = n->rules.ticks;
}

void sim_check_quorum_live(struct sim_cluster *c, struct sim_node *n)
{
	struct sim_rules *ru = &n->rules;
	struct raft_status st;
	u64 w = 2ULL * c->cfg.election_ticks, voters = 0;
	u32 nv = 0, heard = 0;

	if (!c->cfg.check_quorum || !n->up)
		return;
	raft_get_status(n->r, &st);
	if (st.role != RAFT_LEADER)
		return;
	for (u32 k = 0; k < st.conf.n; k++) {
		raft_id v = st.conf.nodes[k].id;

		if (st.conf.nodes[k].role != RAFT_VOTER || v > SIM_MAX_NODES)
			continue;
		voters |= 1ULL << v;
		nv++;
		if (v == n->id || (ru->heard_term[v] == st.term &&
				   ru->ticks - ru->heard_tick[v] <= w))
			heard++;
	}
	/* the window restarts with a new term or voter set */
	if (ru->cq_term != st.term || ru->cq_voters != voters) {
		ru->cq_term = st.term;
		ru->cq_voters = voters;
		ru->cq_since = ru->ticks;
	}
	if (ru->ticks - ru->cq_since <= w || !nv || heard >= nv / 2 + 1)
		return;
	sim_fail(c, "CheckQuorum", "leader %llu of term %llu heard only %u of %u voters in the last %llu ticks (two election timeouts) and still leads",
		 ULL(n->id), ULL(st.term), heard, nv, ULL(w));
}
