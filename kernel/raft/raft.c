// SPDX-License-Identifier: GPL-2.0
/*
 * raft.c - node lifecycle, roles, elections, the logical clock and the
 * dispatch of incoming messages (etcd's raft.go).
 */
#include "raft_int.h"

void raft_options_default(struct raft_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->election_ticks = 10;
	opts->heartbeat_ticks = 1;
	opts->pre_vote = true;
	opts->check_quorum = true;
	opts->max_inflight_msgs = 64;
	opts->max_inflight_bytes = 0;
	opts->max_msg_bytes = 1024 * 1024;
	opts->max_uncommitted_bytes = 0;
	opts->lease_read = false;
}

/* splitmix64: small, good enough, and the same everywhere. */
static u64 raft_rand(struct raft *r)
{
	u64 z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void raft_reset_timeout(struct raft *r)
{
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	r->rand_timeout = r->opts.election_ticks +
		(u32)(raft_rand(r) % r->opts.election_ticks);
}

void raft_set_term_vote(struct raft *r, raft_term term, raft_id vote)
{
	if (r->term == term && r->vote == vote)
		return;
	r->term = term;
	r->vote = vote;
	r->hs_seq++;
}

/* Installing a snapshot or waiting for one: no appends, no applies. */
bool raft_paused(const struct raft *r)
{
	return r->snap_pending || r->snap_installing || r->resync;
}

/* The index this node's data area is exact at (its resync base). */
raft_index raft_own_base(const struct raft *r)
{
	return r->resync ? r->resync_base : r->applied;
}

bool raft_promotable(const struct raft *r)
{
	return raft_conf_is_voter(&r->conf, r->id);
}

/*
 * May this node start an election? A voter of its latest configuration
 * may; so may a voter of the configuration in force before an
 * uncommitted change (the conf at the commit index): a leader that
 * removed or demoted itself and then lost its quorum must be able to
 * come back and finish the change, or the cluster can be left with no
 * electable node. Votes are always counted in the latest configuration,
 * so this is a liveness rule only.
 */
bool raft_may_campaign(const struct raft *r)
{
	struct raft_conf *c;
	bool ok;

	/* A node without an exact data area is never elected. */
	if (raft_paused(r))
		return false;
	if (raft_promotable(r))
		return true;
	if (r->conf_index <= r->commit)
		return false;
	c = raft_malloc(sizeof(*c));
	if (!c)
		return false;
	ok = !raft_conf_at(r, r->commit, c) && raft_conf_is_voter(c, r->id);
	raft_free(c);
	return ok;
}

struct raft_progress *raft_pr(struct raft *r, raft_id id)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (r->prs[i].used && r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}

/* Make the progress slots match the configuration (new nodes probe). */
void raft_rebuild_progress(struct raft *r)
{
	u32 i;
	int k;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct raft_progress *pr = &r->prs[i];

		if (!pr->used)
			continue;
		k = raft_conf_find(&r->conf, pr->id);
		if (k >= 0) {
			pr->voter = r->conf.nodes[k].role == RAFT_VOTER;
			pr->removed = false;
		} else if (r->role == RAFT_LEADER && pr->id != r->id) {
			/* keep sending it the log until its removal commits,
			 * so that it learns about it
			 */
			pr->voter = false;
			pr->removed = true;
		} else {
			pr->used = false;
		}
	}
	for (i = 0; i < r->conf.n; i++) {
		const struct raft_node *n = &r->conf.nodes[i];
		struct raft_progress *pr = raft_pr(r, n->id);
		u32 s;

		if (pr)
			continue;
		for (s = 0; s < RAFT_MAX_NODES && r->prs[s].used; s++)
			;
		if (s == RAFT_MAX_NODES) {
			/* reuse the slot of a removed node */
			for (s = 0; s < RAFT_MAX_NODES &&
			     !r->prs[s].removed; s++)
				;
			if (s == RAFT_MAX_NODES)
				break;	/* cannot happen: conf.n <= MAX */
		}
		pr = &r->prs[s];
		pr->used = true;
		pr->removed = false;
		pr->id = n->id;
		pr->voter = n->role == RAFT_VOTER;
		raft_pr_reset(pr, log_last(&r->log));
		if (n->id == r->id) {
			pr->match = r->log.persisted;
			pr->recent_active = true;
		}
	}
}

/* The removal of the nodes still tracked committed: forget them. */
void raft_drop_removed_progress(struct raft *r)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (r->prs[i].used && r->prs[i].removed)
			r->prs[i].used = false;
}

/* The configuration in force at index idx (from the snapshot conf and the
 * CONF entries in memory).
 */
int raft_conf_at(const struct raft *r, raft_index idx, struct raft_conf *c)
{
	raft_index i;

	*c = r->snap_conf;
	for (i = log_first(&r->log); i <= idx && i <= log_last(&r->log); i++) {
		const struct raft_entry *e = raft_log_get(&r->log, i);

		if (e->type == RAFT_ENTRY_CONF && raft_conf_apply(c, &e->cc))
			return RAFT_EINVAL;
	}
	return 0;
}

/* After a truncation or restore: the conf is the latest in the log. */
int raft_recompute_conf(struct raft *r)
{
	raft_index i, ci = r->log.snap_index;
	int rc;

	for (i = log_first(&r->log); i <= log_last(&r->log); i++)
		if (raft_log_get(&r->log, i)->type == RAFT_ENTRY_CONF)
			ci = i;
	rc = raft_conf_at(r, log_last(&r->log), &r->conf);
	r->conf_index = ci;
	return rc;
}

int raft_create(const struct raft_options *opts,
		const struct raft_restore *rs, struct raft **out)
{
	struct raft *r;
	u32 i, cap;
	int rc;

	if (!opts || !out || opts->id == RAFT_NONE || !opts->election_ticks ||
	    !opts->heartbeat_ticks ||
	    opts->heartbeat_ticks >= opts->election_ticks ||
	    !opts->max_inflight_msgs || opts->max_inflight_msgs > 65536 ||
	    opts->tick_ns > RAFT_TICK_NS_MAX ||
	    !raft_lease_timing_ok(opts->tick_ns, opts->lease_read,
				  opts->check_quorum))
		return RAFT_EINVAL;
	if (rs) {
		/* A term beyond the cap was forged (see RAFT_TERM_MAX). */
		if (!raft_conf_valid(&rs->snap.conf) ||
		    (rs->n_entries && !rs->entries) ||
		    rs->hs.term > RAFT_TERM_MAX ||
		    rs->snap.term > RAFT_TERM_MAX)
			return RAFT_EINVAL;
		for (i = 0; i < rs->n_entries; i++) {
			const struct raft_entry *e = &rs->entries[i];

			if (e->index != rs->snap.index + 1 + i ||
			    e->term < (i ? rs->entries[i - 1].term :
				       rs->snap.term) || !e->term ||
			    e->term > RAFT_TERM_MAX || !raft_entry_valid(e))
				return RAFT_EINVAL;
		}
	}
	r = raft_calloc(1, sizeof(*r));
	if (!r)
		return RAFT_ENOMEM;
	r->opts = *opts;
	r->id = opts->id;
	r->rng = opts->rand_seed ^ (opts->id * 0x2545f4914f6cdd1dULL);
	cap = opts->max_inflight_msgs;
	r->ifl_idx = raft_calloc((size_t)RAFT_MAX_NODES * cap,
				 sizeof(*r->ifl_idx));
	r->ifl_bytes = raft_calloc((size_t)RAFT_MAX_NODES * cap,
				   sizeof(*r->ifl_bytes));
	if (!r->ifl_idx || !r->ifl_bytes) {
		rc = RAFT_ENOMEM;
		goto fail;
	}
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		r->prs[i].ifl.idx = r->ifl_idx + (size_t)i * cap;
		r->prs[i].ifl.bytes = r->ifl_bytes + (size_t)i * cap;
		r->prs[i].ifl.cap = cap;
	}
	if (rs) {
		raft_log_init(&r->log, rs->snap.index, rs->snap.term);
		r->snap_conf = rs->snap.conf;
		rc = raft_log_reserve(&r->log, rs->n_entries);
		if (rc)
			goto fail;
		for (i = 0; i < rs->n_entries; i++) {
			struct raft_entry e = rs->entries[i];

			if (e.payload)
				raft_payload_get(e.payload);
			raft_log_push(&r->log, &e);
		}
		r->log.unstable = log_last(&r->log) + 1;
		r->log.persisted = log_last(&r->log);
		r->term = rs->hs.term;
		r->vote = rs->hs.vote;
		/* The log or snapshot may be newer than the hard state
		 * written next to it: we never voted durably in that term.
		 */
		if (raft_log_last_term(&r->log) > r->term) {
			r->term = raft_log_last_term(&r->log);
			r->vote = RAFT_NONE;
		}
		/* The commit index is a hint: the hard state and the log may
		 * have been written separately (and one lost in a crash).
		 */
		r->commit = rs->hs.commit;
		if (r->commit < rs->snap.index)
			r->commit = rs->snap.index;
		if (r->commit > log_last(&r->log))
			r->commit = log_last(&r->log);
		r->hs_handed = rs->hs;
		r->hs_handed_valid = true;
		if (raft_recompute_conf(r)) {
			rc = RAFT_EINVAL;
			goto fail;
		}
	} else {
		raft_log_init(&r->log, 0, 0);
		r->hs_handed_valid = true;
	}
	r->applied = r->log.snap_index;
	r->apply_next = r->log.snap_index + 1;
	r->role = RAFT_FOLLOWER;
	/* The host starts a node as a follower of no one. */
	r->soft_handed_role = r->role;
	r->soft_handed_leader = r->lead;
	/* A voter that acknowledged a leader just before a crash must not
	 * help elect another one before that leader's lease ran out: refuse
	 * votes for an election timeout after start. The lease is the
	 * leader's, so this node's own read mode does not matter.
	 */
	r->boot_lease = opts->check_quorum && opts->lease_restart_wait &&
		r->term > 0;
	raft_reset_timeout(r);
	raft_rebuild_progress(r);
	*out = r;
	return 0;
fail:
	raft_log_free(&r->log);
	raft_free(r->ifl_idx);
	raft_free(r->ifl_bytes);
	raft_free(r);
	return rc;
}

static void free_msgs(struct raft_msg *v, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		raft_msg_free(&v[i]);
}

void raft_ready_free(struct raft *r);

void raft_destroy(struct raft *r)
{
	struct raft_held *hv;
	u32 i;

	if (!r)
		return;
	raft_ready_free(r);
	free_msgs(r->out.v, r->out.n);
	hv = r->held.v;
	for (i = 0; i < r->held.n; i++)
		raft_msg_free(&hv[i].m);
	raft_free(r->out.v);
	raft_free(r->held.v);
	raft_free(r->reads.v);
	raft_free(r->read_states.v);
	raft_log_free(&r->log);
	raft_free(r->ifl_idx);
	raft_free(r->ifl_bytes);
	raft_free(r);
}

/* ------------------------------------------------------------------ */
/* Roles                                                                */

static void reset_common(struct raft *r, raft_term term)
{
	if (r->term != term)
		raft_set_term_vote(r, term, RAFT_NONE);
	r->lead = RAFT_NONE;
	r->transferee = RAFT_NONE;
	r->n_votes = 0;
	r->self_vote_pending = false;
	r->uncommitted = 0;
	raft_reset_timeout(r);
	raft_reads_reset(r);
}

void raft_become_follower(struct raft *r, raft_term term, raft_id lead)
{
	if (r->role != RAFT_FOLLOWER || r->term != term)
		raft_logf(RAFT_LOG_INFO, "raft %llu: follower at term %llu",
			  (unsigned long long)r->id, (unsigned long long)term);
	reset_common(r, term);
	r->role = RAFT_FOLLOWER;
	r->lead = lead;
}

static void record_vote(struct raft *r, raft_id id, bool granted)
{
	u32 i;

	for (i = 0; i < r->n_votes; i++)
		if (r->votes[i].id == id)
			return;
	if (r->n_votes < RAFT_MAX_NODES) {
		r->votes[r->n_votes].id = id;
		r->votes[r->n_votes].granted = granted;
		r->n_votes++;
	}
}

/* Count the votes of the current configuration's voters. */
void raft_poll(struct raft *r)
{
	u32 i, j, yes = 0, no = 0, nv = raft_conf_n_voters(&r->conf);
	u32 q = nv / 2 + 1;

	for (i = 0; i < r->n_votes; i++) {
		if (!raft_conf_is_voter(&r->conf, r->votes[i].id))
			continue;
		if (r->votes[i].granted)
			yes++;
		else
			no++;
	}
	(void)j;
	if (yes >= q) {
		if (r->role == RAFT_PRE_CANDIDATE)
			raft_campaign_now(r, false, false);
		else if (r->role == RAFT_CANDIDATE)
			raft_become_leader(r);
	} else if (no > nv - q) {
		raft_become_follower(r, r->term, RAFT_NONE);
	}
}

int raft_recv_vote_resp(struct raft *r, struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE_RESP;

	if ((pre && r->role != RAFT_PRE_CANDIDATE) ||
	    (!pre && r->role != RAFT_CANDIDATE))
		return 0;	/* stale */
	if (!raft_conf_is_voter(&r->conf, m->from))
		return RAFT_EINVAL;
	if (pre && !m->reject && m->term != r->term + 1)
		return 0;
	record_vote(r, m->from, !m->reject);
	raft_poll(r);
	return 0;
}

void raft_campaign_now(struct raft *r, bool pre, bool transfer)
{
	raft_term vterm;
	u32 i;

	if (!raft_may_campaign(r))
		return;
	if (r->term >= RAFT_TERM_MAX) {
		/* never wrap the term (see RAFT_TERM_MAX) */
		if (!r->term_cap_warned)
			raft_logf(RAFT_LOG_WARN,
				  "raft %llu: term %llu at the cap, not campaigning",
				  (unsigned long long)r->id,
				  (unsigned long long)r->term);
		r->term_cap_warned = true;
		return;
	}
	if (pre) {
		reset_common(r, r->term);
		r->role = RAFT_PRE_CANDIDATE;
		vterm = r->term + 1;
		record_vote(r, r->id, true);
	} else {
		reset_common(r, r->term + 1);
		raft_set_term_vote(r, r->term, r->id);
		r->role = RAFT_CANDIDATE;
		vterm = r->term;
		/* Our own vote counts once it is durable (raft_advance). */
		r->self_vote_pending = true;
		r->self_vote_seq = r->hs_seq;
	}
	raft_logf(RAFT_LOG_INFO, "raft %llu: %s at term %llu",
		  (unsigned long long)r->id, pre ? "pre-campaign" : "campaign",
		  (unsigned long long)vterm);
	for (i = 0; i < r->conf.n; i++) {
		const struct raft_node *n = &r->conf.nodes[i];
		struct raft_msg *m;

		if (n->id == r->id || n->role != RAFT_VOTER)
			continue;
		m = raft_msg_new(r, pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE,
				 n->id);
		if (!m)
			continue;
		m->term = vterm;
		m->index = log_last(&r->log);
		m->log_term = raft_log_last_term(&r->log);
		if (transfer)
			m->flags |= RAFT_MSGF_TRANSFER;
	}
	if (pre)
		raft_poll(r);
}

/* Called from raft_advance() when the hard state became durable. */
void raft_self_vote_durable(struct raft *r)
{
	if (!r->self_vote_pending || r->hs_durable_seq < r->self_vote_seq)
		return;
	r->self_vote_pending = false;
	if (r->role != RAFT_CANDIDATE || r->vote != r->id)
		return;
	record_vote(r, r->id, true);
	raft_poll(r);
}

void raft_become_leader(struct raft *r)
{
	struct raft_entry noop;
	u32 i;

	raft_assert(r->role == RAFT_CANDIDATE);
	reset_common(r, r->term);
	r->role = RAFT_LEADER;
	r->lead = r->id;
	r->lease_off = false;
	raft_drop_removed_progress(r);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct raft_progress *pr = &r->prs[i];

		if (!pr->used)
			continue;
		raft_pr_reset(pr, log_last(&r->log));
		if (pr->id == r->id) {
			pr->match = r->log.persisted;
			pr->state = RAFT_PROGRESS_PIPELINE;
			pr->recent_active = true;
		}
	}
	raft_logf(RAFT_LOG_INFO, "raft %llu: leader at term %llu",
		  (unsigned long long)r->id, (unsigned long long)r->term);
	memset(&noop, 0, sizeof(noop));
	noop.type = RAFT_ENTRY_NOOP;
	r->term_start = log_last(&r->log) + 1;
	if (raft_leader_append(r, 1, &noop)) {
		/* No memory for the no-op: we cannot commit in this term. */
		raft_logf(RAFT_LOG_WARN, "raft %llu: no memory to lead",
			  (unsigned long long)r->id);
		raft_become_follower(r, r->term, RAFT_NONE);
	}
}

/* ------------------------------------------------------------------ */
/* Clock                                                                */

static bool quorum_active(struct raft *r)
{
	u32 i, act = 0, nv = raft_conf_n_voters(&r->conf);

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct raft_progress *pr = &r->prs[i];

		if (!pr->used || !pr->voter)
			continue;
		if (pr->id == r->id || pr->recent_active)
			act++;
		if (pr->id != r->id)
			pr->recent_active = false;
	}
	return act >= nv / 2 + 1;
}

static void tick_leader(struct raft *r)
{
	r->heartbeat_elapsed++;
	r->election_elapsed++;
	if (r->election_elapsed >= r->opts.election_ticks) {
		r->election_elapsed = 0;
		if (r->opts.check_quorum && !quorum_active(r)) {
			raft_logf(RAFT_LOG_INFO,
				  "raft %llu: lost quorum, stepping down",
				  (unsigned long long)r->id);
			raft_become_follower(r, r->term, RAFT_NONE);
			return;
		}
		if (r->transferee != RAFT_NONE) {
			raft_logf(RAFT_LOG_INFO,
				  "raft %llu: transfer to %llu timed out",
				  (unsigned long long)r->id,
				  (unsigned long long)r->transferee);
			r->transferee = RAFT_NONE;
		}
	}
	if (r->heartbeat_elapsed >= r->opts.heartbeat_ticks) {
		r->heartbeat_elapsed = 0;
		raft_bcast_heartbeat(r);
	}
}

void raft_tick(struct raft *r)
{
	r->ticks++;
	r->persist_backoff = false;
	if (r->role == RAFT_LEADER) {
		tick_leader(r);
		return;
	}
	r->election_elapsed++;
	if (r->election_elapsed >= r->rand_timeout) {
		r->election_elapsed = 0;
		if (raft_may_campaign(r))
			raft_campaign_now(r, r->opts.pre_vote, false);
		else
			raft_reset_timeout(r);
	}
}

int raft_set_timing(struct raft *r, u32 heartbeat_ticks, u32 election_ticks,
		    bool lease_read)
{
	if (!r || !heartbeat_ticks || heartbeat_ticks >= election_ticks ||
	    !raft_lease_timing_ok(r->opts.tick_ns, lease_read,
				  r->opts.check_quorum))
		return RAFT_EINVAL;
	if (election_ticks < r->opts.election_ticks ||
	    lease_read != r->opts.lease_read)
		raft_lease_drop(r);
	r->opts.heartbeat_ticks = heartbeat_ticks;
	r->opts.election_ticks = election_ticks;
	r->opts.lease_read = lease_read;
	r->rand_timeout = election_ticks + (u32)(raft_rand(r) % election_ticks);
	return 0;
}

int raft_campaign(struct raft *r)
{
	if (r->role == RAFT_LEADER)
		return 0;
	if (!raft_may_campaign(r) || r->term >= RAFT_TERM_MAX)
		return RAFT_EINVAL;
	raft_campaign_now(r, r->opts.pre_vote, false);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Messages                                                             */

static bool from_leader_type(u8 t)
{
	return t == RAFT_MSG_APPEND || t == RAFT_MSG_HEARTBEAT ||
	       t == RAFT_MSG_SNAPSHOT;
}

static int step_term(struct raft *r, struct raft_msg *m)
{
	struct raft_msg *resp;

	if (m->term > r->term) {
		if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE) {
			bool force = m->flags & RAFT_MSGF_TRANSFER;
			bool boot = r->boot_lease &&
				r->ticks < r->opts.election_ticks;
			bool lease = r->opts.check_quorum &&
				(r->lead != RAFT_NONE || boot) &&
				r->election_elapsed < r->opts.election_ticks;

			if (!force && lease)
				return 1;	/* a live leader: ignore */
		}
		if (m->type == RAFT_MSG_PREVOTE ||
		    (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject))
			return 0;	/* pre-votes never change terms */
		raft_become_follower(r, m->term, from_leader_type(m->type) ?
				     m->from : RAFT_NONE);
		return 0;
	}
	if (m->term < r->term) {
		if ((r->opts.check_quorum || r->opts.pre_vote) &&
		    (m->type == RAFT_MSG_APPEND ||
		     m->type == RAFT_MSG_HEARTBEAT)) {
			/* Tell a stale leader about the new term. */
			raft_msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			resp = raft_msg_new(r, RAFT_MSG_PREVOTE_RESP, m->from);
			if (resp)
				resp->reject = 1;
		}
		return 1;
	}
	return 0;
}

static int step(struct raft *r, struct raft_msg *m)
{
	if (step_term(r, m))
		return 0;
	switch (m->type) {
	case RAFT_MSG_VOTE:
	case RAFT_MSG_PREVOTE:
		return raft_recv_vote(r, m);
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_PREVOTE_RESP:
		return raft_recv_vote_resp(r, m);
	case RAFT_MSG_APPEND_RESP:
		return r->role == RAFT_LEADER ?
			raft_recv_append_resp(r, m) : 0;
	case RAFT_MSG_HEARTBEAT_RESP:
		return r->role == RAFT_LEADER ?
			raft_recv_heartbeat_resp(r, m) : 0;
	case RAFT_MSG_TIMEOUT_NOW:
		return r->role == RAFT_FOLLOWER ?
			raft_recv_timeout_now(r, m) : 0;
	default:
		break;
	}
	/* APPEND, HEARTBEAT, SNAPSHOT from the leader of our term. */
	if (r->role == RAFT_LEADER) {
		raft_logf(RAFT_LOG_WARN,
			  "raft %llu: %s from %llu, another leader at term %llu",
			  (unsigned long long)r->id,
			  raft_msg_type_name(m->type),
			  (unsigned long long)m->from,
			  (unsigned long long)r->term);
		return 0;
	}
	if (r->role != RAFT_FOLLOWER)
		raft_become_follower(r, r->term, m->from);
	r->lead = m->from;
	r->election_elapsed = 0;
	switch (m->type) {
	case RAFT_MSG_APPEND:
		return raft_recv_append(r, m);
	case RAFT_MSG_HEARTBEAT:
		return raft_recv_heartbeat(r, m);
	default:
		return raft_recv_snapshot(r, m);
	}
}

int raft_step(struct raft *r, struct raft_msg *m)
{
	int rc;

	if (!r || !m)
		return RAFT_EINVAL;
	rc = raft_msg_validate(r, m);
	if (!rc)
		rc = step(r, m);
	raft_msg_free(m);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */

int raft_propose(struct raft *r, u32 n, struct raft_entry *entries)
{
	u64 bytes = 0;
	u32 i;

	if (!r || !n || !entries)
		return RAFT_EINVAL;
	for (i = 0; i < n; i++) {
		if (entries[i].type != RAFT_ENTRY_NORMAL &&
		    entries[i].type != RAFT_ENTRY_BARRIER)
			return RAFT_EINVAL;
		if (entries[i].type == RAFT_ENTRY_BARRIER &&
		    entries[i].payload)
			return RAFT_EINVAL;
		bytes += raft_entry_bytes(&entries[i]);
	}
	if (r->role != RAFT_LEADER)
		return RAFT_ENOTLEADER;
	if (r->transferee != RAFT_NONE)
		return RAFT_EBUSY;
	if (raft_conf_find(&r->conf, r->id) < 0)
		return RAFT_ESHUTDOWN;
	if (r->opts.max_uncommitted_bytes && r->uncommitted &&
	    r->uncommitted + bytes > r->opts.max_uncommitted_bytes)
		return RAFT_ETOOBIG;
	for (i = 0; i < n; i++)
		if (entries[i].payload)
			raft_payload_get(entries[i].payload);
	if (raft_leader_append(r, n, entries)) {
		for (i = 0; i < n; i++)
			if (entries[i].payload)
				raft_payload_put(entries[i].payload);
		return RAFT_ENOMEM;
	}
	return 0;
}

int raft_change_conf(struct raft *r, const struct raft_conf_change *cc)
{
	struct raft_entry e;
	int rc;

	if (!r || !cc)
		return RAFT_EINVAL;
	if (r->role != RAFT_LEADER)
		return RAFT_ENOTLEADER;
	if (raft_conf_check(&r->conf, cc))
		return RAFT_EINVAL;
	if (r->transferee != RAFT_NONE || r->conf_index > r->commit ||
	    r->commit < r->term_start)
		return RAFT_EBUSY;
	if (raft_conf_find(&r->conf, r->id) < 0)
		return RAFT_ESHUTDOWN;
	if (cc->op == RAFT_CONF_PROMOTE) {
		/* a node being resynced is not caught up */
		struct raft_progress *pr = raft_pr(r, cc->id);

		if (!pr || pr->resync || pr->state == RAFT_PROGRESS_SNAPSHOT)
			return RAFT_EBUSY;
	}
	memset(&e, 0, sizeof(e));
	e.type = RAFT_ENTRY_CONF;
	e.cc = *cc;
	rc = raft_leader_append(r, 1, &e);
	return rc ? RAFT_ENOMEM : 0;
}

int raft_transfer_leader(struct raft *r, raft_id to)
{
	struct raft_progress *pr;

	if (!r)
		return RAFT_EINVAL;
	if (r->role != RAFT_LEADER)
		return RAFT_ENOTLEADER;
	if (to == r->id || !raft_conf_is_voter(&r->conf, to))
		return RAFT_EINVAL;
	pr = raft_pr(r, to);
	if (!pr)
		return RAFT_EINVAL;
	if (pr->resync || pr->state == RAFT_PROGRESS_SNAPSHOT)
		return RAFT_EBUSY;	/* it could not campaign */
	if (r->transferee == to)
		return 0;
	r->transferee = to;
	r->election_elapsed = 0;
	raft_logf(RAFT_LOG_INFO, "raft %llu: transferring leadership to %llu",
		  (unsigned long long)r->id, (unsigned long long)to);
	if (pr->match == log_last(&r->log))
		raft_send_timeout_now(r, to);
	else
		raft_send_append(r, pr, true);
	return 0;
}

int raft_compact(struct raft *r, raft_index index)
{
	struct raft_conf *c;

	if (!r)
		return RAFT_EINVAL;
	if (index > r->applied || index > log_last(&r->log))
		return RAFT_EINVAL;
	if (index <= r->log.snap_index)
		return 0;
	c = raft_malloc(sizeof(*c));
	if (!c)
		return RAFT_ENOMEM;
	if (raft_conf_at(r, index, c)) {
		raft_free(c);
		return RAFT_EINVAL;
	}
	r->snap_conf = *c;
	raft_free(c);
	raft_log_compact(&r->log, index);
	return 0;
}

raft_index raft_compact_index(const struct raft *r, u64 keep, u64 *freed)
{
	const struct raft_log *l = &r->log;
	raft_index i = r->applied;
	u64 kept = 0;

	if (i > log_last(l))
		i = log_last(l);
	for (; i > l->snap_index; i--) {
		u64 b = raft_entry_bytes(raft_log_get(l, i));

		if (kept + b > keep)
			break;
		kept += b;
	}
	if (i < l->snap_index)
		i = l->snap_index;
	if (freed) {
		/* all bytes, less those kept and those not applied yet */
		raft_index j;
		u64 tail = 0;

		for (j = (r->applied > i ? r->applied : i) + 1;
		     j <= log_last(l); j++)
			tail += raft_entry_bytes(raft_log_get(l, j));
		*freed = l->bytes - kept - tail;
	}
	return i;
}

const struct raft_entry *raft_entry_at(const struct raft *r, raft_index idx)
{
	const struct raft_log *l = &r->log;

	if (idx <= l->snap_index || idx > log_last(l))
		return NULL;
	return raft_log_get(l, idx);
}

void raft_report_snapshot(struct raft *r, raft_id to, bool ok)
{
	struct raft_progress *pr;

	if (!r || r->role != RAFT_LEADER)
		return;
	pr = raft_pr(r, to);
	if (!pr || pr->state != RAFT_PROGRESS_SNAPSHOT)
		return;
	if (!ok)
		pr->pending_snap = 0;
	else
		/*
		 * The copy it asked for is sent (its install may still run:
		 * meanwhile it ignores probes): another only if it asks
		 * again (a copy that broke off, a failed install), not on
		 * the next probe.
		 */
		pr->resync = false;
	raft_pr_become_probe(pr);
	/* Wait for the follower's answer (or a heartbeat) before probing. */
	pr->probe_sent = true;
}

int raft_reset_log(struct raft *r, raft_index base)
{
	struct raft_log *l;

	if (!r)
		return RAFT_EINVAL;
	l = &r->log;
	if (r->role == RAFT_LEADER || base > log_last(l))
		return RAFT_EINVAL;
	if (r->rd_active)
		return RAFT_EBUSY;
	if (r->role != RAFT_FOLLOWER)
		raft_become_follower(r, r->term, RAFT_NONE);
	raft_logf(RAFT_LOG_INFO,
		  "raft %llu: log reset at %llu/%llu, resync from %llu",
		  (unsigned long long)r->id, (unsigned long long)log_last(l),
		  (unsigned long long)raft_log_last_term(l),
		  (unsigned long long)base);
	raft_drop_held_acks(r);
	/* Keep the end of the log (what it may have acknowledged) as the
	 * position it votes by; the entries go.
	 */
	r->snap_conf = r->conf;
	raft_log_restore(l, log_last(l), raft_log_last_term(l));
	r->snap_pending = false;
	r->snap_installing = false;
	r->resync = true;
	r->resync_base = base;
	return 0;
}

void raft_report_unreachable(struct raft *r, raft_id to)
{
	struct raft_progress *pr;

	if (!r || r->role != RAFT_LEADER)
		return;
	pr = raft_pr(r, to);
	if (pr && pr->state == RAFT_PROGRESS_PIPELINE)
		raft_pr_become_probe(pr);
}

/* What the node waits for, the longest wait first. */
static void get_wait(const struct raft *r, struct raft_status *st)
{
	const struct raft_log *l = &r->log;

	if (r->snap_pending || r->snap_installing) {
		st->waiting = RAFT_WAIT_SNAPSHOT;
		st->wait_index = r->snap_in.index;
	} else if (r->resync) {
		st->waiting = RAFT_WAIT_RESYNC;
		st->wait_index = r->resync_base;
	} else if (l->unstable > l->persisted + 1) {
		/* handed out to persist, not reported durable */
		st->waiting = RAFT_WAIT_LOG;
		st->wait_index = l->unstable - 1;
	} else if (r->hs_durable_seq < r->hs_seq) {
		st->waiting = RAFT_WAIT_HARD_STATE;
	}
}

void raft_get_status(const struct raft *r, struct raft_status *st)
{
	u32 i;

	memset(st, 0, sizeof(*st));
	st->id = r->id;
	st->role = r->role;
	st->term = r->term;
	st->vote = r->vote;
	st->leader = r->lead;
	st->commit = r->commit;
	st->applied = r->applied;
	st->first_index = log_first(&r->log);
	st->last_index = log_last(&r->log);
	st->last_term = raft_log_last_term(&r->log);
	st->persisted_index = r->log.persisted;
	st->log_bytes = r->log.bytes;
	st->conf = r->conf;
	st->transferee = r->transferee;
	get_wait(r, st);
	if (r->role != RAFT_LEADER)
		return;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		const struct raft_progress *pr = &r->prs[i];
		struct raft_progress_info *pi;

		if (!pr->used)
			continue;
		pi = &st->progress[st->n_progress++];
		pi->id = pr->id;
		pi->role = pr->voter ? RAFT_VOTER : RAFT_LEARNER;
		pi->state = pr->state;
		pi->recent_active = pr->recent_active;
		pi->match = pr->match;
		pi->next = pr->next;
		pi->pending_snap = pr->state == RAFT_PROGRESS_SNAPSHOT ?
			pr->pending_snap : 0;
		pi->base = pr->base;
		pi->resync = pr->resync;
	}
}
