// SPDX-License-Identifier: GPL-2.0
/*
 * ready.c - the Ready / Advance handshake: hand out the work the caller
 * must carry out (persist, send, apply, install) and take back the report
 * of what it completed.
 */
#include "raft_int.h"

static void current_hs(const struct raft *r, struct raft_hard_state *hs)
{
	hs->term = r->term;
	hs->vote = r->vote;
	hs->commit = r->commit;
}

static bool hs_differs(const struct raft *r)
{
	struct raft_hard_state hs;

	current_hs(r, &hs);
	return !r->hs_handed_valid || hs.term != r->hs_handed.term ||
		hs.vote != r->hs_handed.vote ||
		hs.commit != r->hs_handed.commit;
}

static bool soft_differs(const struct raft *r)
{
	return r->role != r->soft_handed_role ||
		r->lead != r->soft_handed_leader;
}

/* Last committed index that may be handed out to apply now. */
static raft_index apply_limit(const struct raft *r)
{
	raft_index lim = r->commit;

	if (raft_paused(r))
		return 0;
	/* Only entries handed out to persist (this batch included). */
	if (lim > log_last(&r->log))
		lim = log_last(&r->log);
	return lim;
}

bool raft_has_ready(const struct raft *r)
{
	raft_index lim;

	if (!r)
		return false;
	if (r->out.n || r->read_states.n || r->snap_pending ||
	    soft_differs(r))
		return true;
	lim = apply_limit(r);
	if (r->persist_backoff) {
		/* a failing disk: no rewrite before the next tick */
		if (lim >= r->log.unstable)
			lim = r->log.unstable - 1;
		return r->apply_next <= lim;
	}
	return hs_differs(r) || r->log.unstable <= log_last(&r->log) ||
		r->apply_next <= lim;
}

static void put_entries(struct raft_entry *v, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (v[i].payload)
			raft_payload_put(v[i].payload);
	raft_free(v);
}

void raft_ready_free(struct raft *r)
{
	struct raft_ready *rd = &r->rd;
	u32 i;

	if (!r->rd_active)
		return;
	put_entries(rd->entries, rd->n_entries);
	put_entries(rd->committed, rd->n_committed);
	for (i = 0; i < rd->n_msgs; i++)
		raft_msg_free(&rd->msgs[i]);
	if (!r->out.v && rd->msgs) {
		/* reuse the array for the next outbox */
		r->out.v = rd->msgs;
		r->out.cap = r->rd_msgs_cap;
		r->out.n = 0;
	} else {
		raft_free(rd->msgs);
	}
	raft_free(rd->read_states);
	memset(rd, 0, sizeof(*rd));
	r->rd_active = false;
}

static struct raft_entry *copy_range(struct raft *r, raft_index from,
				     raft_index to, u32 *n)
{
	struct raft_entry *v;
	raft_index i;

	*n = 0;
	if (from > to)
		return NULL;
	v = raft_calloc((size_t)(to - from + 1), sizeof(*v));
	if (!v)
		return NULL;
	for (i = from; i <= to; i++) {
		struct raft_entry *e = raft_log_get(&r->log, i);

		v[i - from] = *e;
		if (e->payload)
			raft_payload_get(e->payload);
	}
	*n = (u32)(to - from + 1);
	return v;
}

int raft_ready(struct raft *r, struct raft_ready *out)
{
	struct raft_ready *rd = &r->rd;
	raft_index last = log_last(&r->log), alim;
	struct raft_entry *ents = NULL, *comm = NULL;
	u32 n_ents = 0, n_comm = 0;

	raft_ready_free(r);
	if (r->persist_backoff)
		last = r->log.unstable - 1;	/* nothing to persist now */
	/* Bounded batches: the rest comes in the next one. */
	if (last >= r->log.unstable &&
	    last - r->log.unstable >= RAFT_READY_MAX_ENTRIES)
		last = r->log.unstable + RAFT_READY_MAX_ENTRIES - 1;
	alim = apply_limit(r);
	if (alim > last)
		alim = last;	/* only entries handed out to persist */
	if (alim >= r->apply_next &&
	    alim - r->apply_next >= RAFT_READY_MAX_ENTRIES)
		alim = r->apply_next + RAFT_READY_MAX_ENTRIES - 1;
	if (r->log.unstable <= last) {
		ents = copy_range(r, r->log.unstable, last, &n_ents);
		if (!ents)
			return RAFT_ENOMEM;
	}
	if (r->apply_next <= alim) {
		comm = copy_range(r, r->apply_next, alim, &n_comm);
		if (!comm) {
			put_entries(ents, n_ents);
			return RAFT_ENOMEM;
		}
	}
	/* Nothing can fail from here on. */
	memset(rd, 0, sizeof(*rd));
	r->rd_active = true;
	if (!r->persist_backoff && hs_differs(r)) {
		rd->hs_changed = true;
		current_hs(r, &rd->hs);
		r->hs_handed = rd->hs;
		r->hs_handed_valid = true;
	}
	r->rd_hs_seq = r->hs_seq;
	r->soft_handed_role = r->role;
	r->soft_handed_leader = r->lead;
	rd->entries = ents;
	rd->n_entries = n_ents;
	r->log.unstable = last + 1;
	if (r->snap_pending) {
		rd->snap_to_install = true;
		rd->snap = r->snap_in;
		rd->snap_base = r->snap_base;
		r->snap_pending = false;
		r->snap_installing = true;
	}
	rd->msgs = r->out.v;
	rd->n_msgs = r->out.n;
	r->rd_msgs_cap = r->out.cap;
	memset(&r->out, 0, sizeof(r->out));
	rd->committed = comm;
	rd->n_committed = n_comm;
	if (n_comm)
		r->apply_next = alim + 1;
	rd->read_states = r->read_states.v;
	rd->n_read_states = r->read_states.n;
	memset(&r->read_states, 0, sizeof(r->read_states));
	rd->leader = r->lead;
	rd->role = r->role;
	*out = *rd;
	return 0;
}

static void on_persisted(struct raft *r, raft_index idx, raft_term term)
{
	struct raft_log *l = &r->log;

	if (r->snap_pending || r->snap_installing)
		return;	/* reports about the log the snapshot replaced */
	if (idx <= l->persisted || idx >= l->unstable ||
	    idx > log_last(l) || raft_log_term(l, idx) != term)
		return;	/* stale, or a write of an entry since replaced */
	l->persisted = idx;
	if (r->role == RAFT_LEADER) {
		struct raft_progress *self = raft_pr(r, r->id);

		if (self)
			self->match = idx;
		raft_maybe_commit(r);
	}
}

void raft_advance(struct raft *r, const struct raft_advance *adv)
{
	bool had_hs = r->rd_active && r->rd.hs_changed;
	bool had_snap = r->rd_active && r->rd.snap_to_install;
	raft_index c_first = 0, c_last = 0;

	if (r->rd_active && r->rd.n_committed) {
		c_first = r->rd.committed[0].index;
		c_last = r->rd.committed[r->rd.n_committed - 1].index;
	}
	raft_ready_free(r);
	if (!adv)
		return;
	if (r->snap_installing && adv->snap_installed) {
		/* (possibly reported after the batch, by an async caller) */
		r->snap_installing = false;
		r->log.persisted = r->log.snap_index;
		r->applied = r->log.snap_index;
	} else if (r->snap_installing && had_snap && adv->persist_failed) {
		/* the install failed: hand the snapshot out again */
		r->snap_installing = false;
		r->snap_pending = true;
	}
	if (adv->persist_failed) {
		struct raft_log *l = &r->log;

		raft_logf(RAFT_LOG_WARN,
			  "raft %llu: log write failed at term %llu",
			  (unsigned long long)r->id,
			  (unsigned long long)r->term);
		/* Write it again (same entries at the same indexes), at once
		 * the first time, after the next tick if it keeps failing.
		 */
		if (l->unstable > l->persisted + 1)
			l->unstable = l->persisted + 1;
		r->hs_handed_valid = false;
		if (++r->persist_fail_streak >= 2)
			r->persist_backoff = true;
		if (r->role == RAFT_LEADER)
			raft_become_follower(r, r->term, RAFT_NONE);
	} else {
		if ((had_hs && adv->hs_persisted) ||
		    (adv->persisted_index && !r->snap_installing))
			r->persist_fail_streak = 0;
		if (had_hs && adv->hs_persisted)
			r->hs_durable_seq = r->rd_hs_seq;
		else if (had_hs)
			r->hs_handed_valid = false;	/* hand it out again */
		if (adv->persisted_index)
			on_persisted(r, adv->persisted_index,
				     adv->persisted_term);
	}
	if (adv->applied > r->applied && adv->applied < r->apply_next)
		r->applied = adv->applied;
	/* Entries of this batch reported not applied (the apply failed
	 * part way) are handed out again.
	 */
	if (c_last && adv->applied + 1 >= c_first && adv->applied < c_last &&
	    r->apply_next == c_last + 1)
		r->apply_next = adv->applied + 1;
	raft_self_vote_durable(r);
	raft_release_held(r);
}
