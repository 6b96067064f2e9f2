// SPDX-License-Identifier: GPL-2.0
/*
 * recv_append_resp.c - the leader learns how far a follower's log matches
 * its own: advance match/next and commit, or back off using the
 * follower's hint (one round trip per conflicting term, not per entry).
 */
#include "raft_int.h"

static void on_reject(struct raft *r, struct raft_progress *pr,
		      const struct raft_msg *m)
{
	raft_index probe = m->hint_index;

	pr->base = m->commit;
	if (m->flags & RAFT_MSGF_RESYNC) {
		/* Its log was reset: a snapshot, whatever its log says. */
		pr->resync = true;
		pr->floor_index = m->hint_index;
		pr->floor_term = m->hint_term;
		if (pr->state == RAFT_PROGRESS_SNAPSHOT)
			return;	/* one in flight: wait for its report */
		raft_pr_become_probe(pr);
		raft_send_snapshot(r, pr);
		return;
	}
	if (m->index == 0) {
		/* Only a node with no state at all rejects index 0: it needs
		 * a snapshot, if only for the base configuration.
		 */
		if (pr->state == RAFT_PROGRESS_SNAPSHOT)
			return;
		raft_pr_become_probe(pr);
		pr->next = 1;
		if (r->log.snap_index)
			raft_send_append(r, pr, true);	/* a snapshot */
		else
			raft_send_snapshot(r, pr);
		return;
	}
	if (m->hint_term > 0)
		probe = raft_log_find_conflict_by_term(&r->log, m->hint_index,
						  m->hint_term, NULL);
	if (!raft_pr_maybe_decr(pr, m->index, probe))
		return;
	if (pr->state == RAFT_PROGRESS_PIPELINE)
		raft_pr_become_probe(pr);
	raft_send_append(r, pr, true);
}

int raft_recv_append_resp(struct raft *r, struct raft_msg *m)
{
	struct raft_progress *pr = raft_pr(r, m->from);
	bool was_paused;

	if (!pr)
		return 0;	/* not (any more) in the configuration */
	pr->recent_active = true;
	if (m->reject) {
		on_reject(r, pr, m);
		return 0;
	}
	if (m->index > log_last(&r->log))
		return RAFT_EINVAL;	/* acknowledges what we never sent */
	if (pr->snap_sent && m->index >= pr->snap_sent) {
		/*
		 * It installed the snapshot at S (the caller may have reported
		 * the copy sent before this ack came): its data area is now
		 * exact at S, so a later resync is a delta from S, not from
		 * the base it reported before the copy.
		 */
		if (pr->base < pr->snap_sent)
			pr->base = pr->snap_sent;
		pr->snap_sent = 0;
	}
	was_paused = raft_pr_is_paused(pr, r->opts.max_inflight_bytes);
	if (pr->state == RAFT_PROGRESS_SNAPSHOT &&
	    m->index >= pr->pending_snap) {
		/* The follower installed the snapshot. */
		pr->resync = false;
		raft_pr_maybe_update(pr, m->index);
		raft_pr_become_probe(pr);
		raft_pr_become_pipeline(pr);
	} else if (!raft_pr_maybe_update(pr, m->index)) {
		/* Nothing new (e.g. the ack of a snapshot at index 0 after
		 * raft_report_snapshot()), but it answers a probe: go on.
		 */
		if (pr->state == RAFT_PROGRESS_PROBE && pr->probe_sent &&
		    m->index == pr->match) {
			pr->probe_sent = false;
			raft_send_append(r, pr, false);
		}
		return 0;
	} else if (pr->state == RAFT_PROGRESS_PROBE) {
		raft_pr_become_pipeline(pr);
	} else if (pr->state == RAFT_PROGRESS_PIPELINE) {
		raft_ifl_free_le(&pr->ifl, m->index);
	}
	if (raft_maybe_commit(r)) {
		if (r->role != RAFT_LEADER)
			return 0;
	} else if (was_paused) {
		/* it may not know the commit index yet */
		raft_send_append(r, pr, true);
	}
	while (raft_send_append(r, pr, false))
		;
	if (m->from == r->transferee && pr->match == log_last(&r->log)) {
		raft_logf(RAFT_LOG_INFO, "raft %llu: %llu caught up, timeout now",
			  (unsigned long long)r->id,
			  (unsigned long long)m->from);
		raft_send_timeout_now(r, m->from);
	}
	return 0;
}
