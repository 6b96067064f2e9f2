// SPDX-License-Identifier: GPL-2.0
/*
 * recv_snapshot.c - a follower too far behind gets the leader's snapshot
 * metadata (InstallSnapshot). The caller ships the content (a copy of the
 * leader's data area, a delta from the follower's base); the core resets
 * its log to the snapshot, hands it out in the next ready batch, applies
 * nothing and refuses appends until raft_advance() reports it installed,
 * and only then acknowledges it.
 */
#include "raft_int.h"

int raft_recv_snapshot(struct raft *r, struct raft_msg *m)
{
	const struct raft_snapshot_meta *s = &m->snap;
	bool blank = r->conf.n == 0 && log_last(&r->log) == 0;
	raft_index base = raft_own_base(r);

	if (r->snap_pending || r->snap_installing)
		return 0;	/* one at a time; the leader retries */
	if (r->resync) {
		/*
		 * Only a snapshot at least as up to date as the log we reset
		 * (we may have acknowledged its entries: voting by an older
		 * position could elect a leader without them), and a delta
		 * from no later than our base.
		 */
		if (!raft_log_up_to_date(&r->log, s->index, s->term) ||
		    m->commit > base) {
			raft_reject_resync(r, m->from, 0);
			return 0;
		}
	} else if (s->index <= r->commit && !blank) {
		raft_ack_append(r, m->from, r->commit);
		return 0;
	} else if (!blank && raft_log_match(&r->log, s->index, s->term)) {
		/* We have it already: just learn it is committed. */
		raft_commit_to(r, s->index);
		raft_ack_append(r, m->from, s->index);
		return 0;
	} else if (m->commit > base) {
		/* a delta from a base we never had: refuse it */
		raft_logf(RAFT_LOG_WARN,
			  "raft %llu: snapshot from base %llu, ours is %llu",
			  (unsigned long long)r->id,
			  (unsigned long long)m->commit,
			  (unsigned long long)base);
		return 0;
	}
	raft_logf(RAFT_LOG_INFO,
		  "raft %llu: restoring snapshot %llu term %llu, base %llu",
		  (unsigned long long)r->id, (unsigned long long)s->index,
		  (unsigned long long)s->term, (unsigned long long)m->commit);
	raft_drop_held_acks(r);
	raft_log_restore(&r->log, s->index, s->term);
	r->snap_conf = s->conf;
	r->conf = s->conf;
	r->conf_index = s->index;
	r->commit = s->index;
	r->apply_next = s->index + 1;
	r->snap_in = *s;
	r->snap_base = m->commit;
	r->snap_pending = true;
	r->resync = false;
	raft_rebuild_progress(r);
	raft_ack_append(r, m->from, s->index);
	return 0;
}
