// SPDX-License-Identifier: GPL-2.0
/*
 * progress.c - the leader's view of one follower: probe / pipeline /
 * snapshot states and the window of APPENDs in flight (etcd's
 * tracker/progress.go and tracker/inflights.go).
 */
#include "raft_int.h"

void raft_ifl_reset(struct raft_inflights *f)
{
	f->start = 0;
	f->count = 0;
	f->total = 0;
}

void raft_ifl_add(struct raft_inflights *f, raft_index idx, u64 bytes)
{
	u32 pos;

	if (f->count >= f->cap)
		return;	/* caller checked raft_pr_is_paused() */
	pos = (f->start + f->count) % f->cap;
	f->idx[pos] = idx;
	f->bytes[pos] = bytes;
	f->count++;
	f->total += bytes;
}

void raft_ifl_free_le(struct raft_inflights *f, raft_index idx)
{
	while (f->count && f->idx[f->start] <= idx) {
		f->total -= f->bytes[f->start];
		f->start = (f->start + 1) % f->cap;
		f->count--;
	}
	if (!f->count)
		f->start = 0;
}

void raft_ifl_free_first(struct raft_inflights *f)
{
	if (f->count)
		raft_ifl_free_le(f, f->idx[f->start]);
}

static bool ifl_full(const struct raft_inflights *f, u64 max_bytes)
{
	return f->count >= f->cap || (max_bytes && f->total >= max_bytes);
}

void raft_pr_reset(struct raft_progress *pr, raft_index last)
{
	pr->match = 0;
	pr->next = last + 1;
	pr->state = RAFT_PROGRESS_PROBE;
	pr->probe_sent = false;
	pr->recent_active = false;
	pr->pending_snap = 0;
	pr->base = 0;
	pr->snap_sent = 0;
	pr->resync = false;
	pr->floor_index = 0;
	pr->floor_term = 0;
	pr->hb_acked = 0;
	pr->lease_sent = 0;
	pr->lease_valid = false;
	raft_ifl_reset(&pr->ifl);
}

void raft_pr_become_probe(struct raft_progress *pr)
{
	if (pr->state == RAFT_PROGRESS_SNAPSHOT) {
		raft_index ps = pr->pending_snap;

		pr->next = (pr->match > ps ? pr->match : ps) + 1;
	} else {
		pr->next = pr->match + 1;
	}
	pr->state = RAFT_PROGRESS_PROBE;
	pr->probe_sent = false;
	pr->pending_snap = 0;
	raft_ifl_reset(&pr->ifl);
}

void raft_pr_become_pipeline(struct raft_progress *pr)
{
	pr->state = RAFT_PROGRESS_PIPELINE;
	pr->next = pr->match + 1;
	pr->probe_sent = false;
	pr->pending_snap = 0;
	raft_ifl_reset(&pr->ifl);
}

void raft_pr_become_snapshot(struct raft_progress *pr, raft_index snap)
{
	pr->state = RAFT_PROGRESS_SNAPSHOT;
	pr->pending_snap = snap;
	pr->snap_sent = snap;
	pr->probe_sent = false;
	raft_ifl_reset(&pr->ifl);
}

bool raft_pr_is_paused(const struct raft_progress *pr, u64 max_bytes)
{
	switch (pr->state) {
	case RAFT_PROGRESS_PROBE:
		return pr->probe_sent;
	case RAFT_PROGRESS_PIPELINE:
		return ifl_full(&pr->ifl, max_bytes);
	default:
		return true;
	}
}

/* An acknowledgement of n: returns true if it moved match forward. */
bool raft_pr_maybe_update(struct raft_progress *pr, raft_index n)
{
	bool updated = false;

	if (pr->match < n) {
		pr->match = n;
		updated = true;
		pr->probe_sent = false;
	}
	if (pr->next < n + 1)
		pr->next = n + 1;
	return updated;
}

/*
 * A rejection of the APPEND whose previous index was rejected; match_hint
 * is where the follower's log may match ours. Returns false for a stale
 * rejection.
 */
bool raft_pr_maybe_decr(struct raft_progress *pr, raft_index rejected,
		   raft_index match_hint)
{
	raft_index next;

	if (pr->state == RAFT_PROGRESS_PIPELINE) {
		if (rejected <= pr->match)
			return false;
		pr->next = pr->match + 1;
		return true;
	}
	if (pr->next - 1 != rejected)
		return false;
	next = match_hint + 1 < rejected ? match_hint + 1 : rejected;
	if (next < pr->match + 1)
		next = pr->match + 1;
	if (next < 1)
		next = 1;
	pr->next = next;
	pr->probe_sent = false;
	return true;
}
