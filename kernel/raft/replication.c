// SPDX-License-Identifier: GPL-2.0
/*
 * replication.c - the leader side of log replication: appending to its own
 * log, sending APPEND / SNAPSHOT / HEARTBEAT under flow control, and
 * advancing the commit index by counting durable replicas.
 */
#include "raft_int.h"

/* Leader: append entries (type/payload set, term/index assigned here). */
int raft_leader_append(struct raft *r, u32 n, struct raft_entry *ents)
{
	raft_index last = log_last(&r->log);
	bool conf_changed = false;
	u32 i;

	/* Conf changes come one at a time from raft_change_conf(), which
	 * checked that it applies.
	 */
	for (i = 0; i < n; i++)
		if (ents[i].type == RAFT_ENTRY_CONF &&
		    (n != 1 || raft_conf_check(&r->conf, &ents[i].cc)))
			return RAFT_EINVAL;
	if (raft_log_reserve(&r->log, n))
		return RAFT_ENOMEM;
	for (i = 0; i < n; i++) {
		ents[i].term = r->term;
		ents[i].index = last + 1 + i;
		if (ents[i].type == RAFT_ENTRY_CONF) {
			r->conf_index = ents[i].index;
			raft_conf_apply(&r->conf, &ents[i].cc);
			conf_changed = true;
		}
		r->uncommitted += raft_entry_bytes(&ents[i]);
		raft_log_push(&r->log, &ents[i]);
	}
	if (conf_changed)
		raft_rebuild_progress(r);
	/* A lone voter commits on its own once the write is durable. */
	raft_bcast_append(r);
	return 0;
}

/* Is (idx, term) at least as up to date as a follower's reset log? */
static bool above_floor(const struct raft_progress *pr, raft_index idx,
			raft_term term)
{
	return term > pr->floor_term ||
		(term == pr->floor_term && idx >= pr->floor_index);
}

/*
 * A SNAPSHOT to a follower: at the compaction point, or, for a follower
 * that reset a log newer than that, at our applied index (its content is
 * the data area, which is at least there; the entries after it are in
 * the log). Nothing when neither will do yet: the next answer of the
 * follower retries.
 */
void raft_send_snapshot(struct raft *r, struct raft_progress *pr)
{
	raft_index idx = r->log.snap_index;
	raft_term term = r->log.snap_term;
	struct raft_conf *c = NULL;
	struct raft_msg *m;

	if (!pr->recent_active) {
		/* Do not ship a snapshot to a node that is not answering. */
		return;
	}
	if (pr->resync && !above_floor(pr, idx, term)) {
		idx = r->applied;
		term = raft_log_term(&r->log, idx);
		if (!above_floor(pr, idx, term))
			return;
		c = raft_malloc(sizeof(*c));
		if (!c)
			return;
		if (raft_conf_at(r, idx, c)) {
			raft_free(c);
			return;
		}
	}
	m = raft_msg_new(r, RAFT_MSG_SNAPSHOT, pr->id);
	if (!m) {
		raft_free(c);
		return;
	}
	m->snap.index = idx;
	m->snap.term = term;
	m->snap.conf = c ? *c : r->snap_conf;
	m->commit = pr->base;
	raft_free(c);
	raft_pr_become_snapshot(pr, idx);
	raft_logf(RAFT_LOG_INFO,
		  "raft %llu: snapshot %llu to %llu, delta from %llu",
		  (unsigned long long)r->id, (unsigned long long)idx,
		  (unsigned long long)pr->id, (unsigned long long)pr->base);
}

/*
 * Send the entries from pr->next (or an empty probe when send_empty).
 * Returns true when a message went out.
 */
bool raft_send_append(struct raft *r, struct raft_progress *pr,
		      bool send_empty)
{
	raft_index prev, last = log_last(&r->log), i;
	struct raft_msg *m;
	u64 bytes = 0;
	u32 n = 0;

	if (pr->id == r->id || raft_pr_is_paused(pr, r->opts.max_inflight_bytes))
		return false;
	prev = pr->next - 1;
	if (prev < r->log.snap_index || pr->resync) {
		raft_send_snapshot(r, pr);
		return false;
	}
	for (i = pr->next; i <= last && n < RAFT_MSG_MAX_ENTRIES; i++) {
		u64 b = raft_entry_bytes(raft_log_get(&r->log, i));

		if (n && r->opts.max_msg_bytes &&
		    bytes + b > r->opts.max_msg_bytes)
			break;
		bytes += b;
		n++;
	}
	if (!n && !send_empty)
		return false;
	m = raft_msg_new(r, RAFT_MSG_APPEND, pr->id);
	if (!m)
		return false;
	if (n) {
		m->entries = raft_calloc(n, sizeof(*m->entries));
		if (!m->entries) {
			r->out.n--;	/* drop it: like a lost message */
			return false;
		}
		for (i = 0; i < n; i++) {
			struct raft_entry *e = raft_log_get(&r->log, pr->next + i);

			m->entries[i] = *e;
			if (e->payload)
				raft_payload_get(e->payload);
		}
		m->n_entries = n;
	}
	m->index = prev;
	m->log_term = raft_log_term(&r->log, prev);
	m->commit = r->commit;
	switch (pr->state) {
	case RAFT_PROGRESS_PIPELINE:
		if (n) {
			pr->next += n;
			raft_ifl_add(&pr->ifl, pr->next - 1, bytes);
		}
		break;
	case RAFT_PROGRESS_PROBE:
		pr->probe_sent = true;
		break;
	default:
		break;
	}
	return true;
}

void raft_bcast_append(struct raft *r)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (r->prs[i].used && r->prs[i].id != r->id)
			raft_send_append(r, &r->prs[i], true);
}

void raft_bcast_heartbeat(struct raft *r)
{
	u32 i, slot;

	r->hb_seq++;
	slot = r->hb_seq % RAFT_HB_RING;
	r->hb_ring_seq[slot] = r->hb_seq;
	r->hb_ring_time[slot] = r->now;
	r->hb_ring_epoch[slot] = r->lease_epoch;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct raft_progress *pr = &r->prs[i];
		struct raft_msg *m;

		if (!pr->used || pr->id == r->id)
			continue;
		m = raft_msg_new(r, RAFT_MSG_HEARTBEAT, pr->id);
		if (!m)
			continue;
		m->commit = pr->match < r->commit ? pr->match : r->commit;
		m->context = r->hb_seq;
	}
}

void raft_send_timeout_now(struct raft *r, raft_id to)
{
	/* The target's votes bypass the voters' lease check: from now on
	 * in this term a lease proves nothing.
	 */
	r->lease_off = true;
	raft_msg_new(r, RAFT_MSG_TIMEOUT_NOW, to);
}

/* Any node: move the commit index forward (never back). */
void raft_commit_to(struct raft *r, raft_index idx)
{
	if (idx > log_last(&r->log))
		idx = log_last(&r->log);
	if (idx > r->commit)
		r->commit = idx;
}

static void leader_committed(struct raft *r, raft_index old)
{
	raft_index i;

	/* Release the uncommitted budget of what just committed. */
	for (i = old + 1; i <= r->commit; i++) {
		const struct raft_entry *e = raft_log_get(&r->log, i);
		u64 b = e ? raft_entry_bytes(e) : 0;

		if (i >= r->term_start)
			r->uncommitted -= b < r->uncommitted ? b :
				r->uncommitted;
	}
	/* tell the followers (and a node being removed) */
	raft_bcast_append(r);
	if (r->conf_index <= r->commit)
		raft_drop_removed_progress(r);
	raft_reads_on_commit(r);
	/* A leader removed (or demoted) by a committed change steps down. */
	if (r->conf_index <= r->commit && !raft_promotable(r)) {
		raft_logf(RAFT_LOG_INFO,
			  "raft %llu: removed from the voters, stepping down",
			  (unsigned long long)r->id);
		raft_become_follower(r, r->term, RAFT_NONE);
	}
}

/*
 * Leader: the highest index a quorum of voters holds durably; commit it if
 * it belongs to the current term (Raft paper 5.4.2).
 */
bool raft_maybe_commit(struct raft *r)
{
	raft_index m[RAFT_MAX_NODES], v, old = r->commit;
	u32 i, j, n = 0;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		const struct raft_progress *pr = &r->prs[i];

		if (!pr->used || !pr->voter)
			continue;
		v = pr->id == r->id ? r->log.persisted : pr->match;
		/* insertion sort, descending */
		for (j = n; j > 0 && m[j - 1] < v; j--)
			m[j] = m[j - 1];
		m[j] = v;
		n++;
	}
	if (!n)
		return false;
	v = m[n / 2];	/* the (n/2+1)-th largest */
	if (v <= r->commit || raft_log_term(&r->log, v) != r->term)
		return false;
	r->commit = v;
	leader_committed(r, old);
	return true;
}
