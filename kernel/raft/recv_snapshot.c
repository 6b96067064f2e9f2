// SPDX-License-Identifier: GPL-2.0
/*
 * recv_snapshot.c - a follower too far behind gets the leader's snapshot
 * metadata (InstallSnapshot). The caller ships the content; the core
 * resets its log to the snapshot, hands it out in the next ready batch and
 * acknowledges only after raft_advance() reports it installed.
 */
#include "raft_int.h"

static void ack_snap(struct raft *r, raft_id to, raft_index idx)
{
	struct raft_msg *resp;

	if (raft_held_has_ack(r, to, idx))
		return;
	resp = raft_held_new(r, RAFT_MSG_APPEND_RESP, to, idx);
	if (resp)
		resp->index = idx;
	raft_release_held(r);
}

int raft_recv_snapshot(struct raft *r, struct raft_msg *m)
{
	const struct raft_snapshot_meta *s = &m->snap;
	bool blank = r->conf.n == 0 && log_last(&r->log) == 0;

	if (r->snap_pending || r->snap_installing)
		return 0;	/* one at a time; the leader retries */
	if (s->index <= r->commit && !blank) {
		ack_snap(r, m->from, r->commit);
		return 0;
	}
	if (!blank && log_match(&r->log, s->index, s->term)) {
		/* We have it already: just learn it is committed. */
		raft_commit_to(r, s->index);
		ack_snap(r, m->from, s->index);
		return 0;
	}
	raft_logf(RAFT_LOG_INFO, "raft %llu: restoring snapshot %llu term %llu",
		  (unsigned long long)r->id, (unsigned long long)s->index,
		  (unsigned long long)s->term);
	raft_drop_held_from(r, 1);
	log_restore(&r->log, s->index, s->term);
	r->snap_conf = s->conf;
	r->conf = s->conf;
	r->conf_index = s->index;
	r->commit = s->index;
	r->apply_next = s->index + 1;
	r->snap_in = *s;
	r->snap_pending = true;
	raft_rebuild_progress(r);
	ack_snap(r, m->from, s->index);
	return 0;
}
