// SPDX-License-Identifier: GPL-2.0
/*
 * recv_heartbeat.c - heartbeats carry the commit index to followers and
 * confirm leadership (the answers drive ReadIndex, lease reads,
 * CheckQuorum and the probing of paused followers).
 */
#include "raft_int.h"

int raft_recv_heartbeat(struct raft *r, struct raft_msg *m)
{
	struct raft_msg *resp;

	if (!raft_paused(r))
		raft_commit_to(r, m->commit);
	resp = raft_msg_new(r, RAFT_MSG_HEARTBEAT_RESP, m->from);
	if (resp) {
		resp->context = m->context;
		/* our resync base, so a leader that must resync us (after
		 * our restart, say) knows it before it sends the snapshot
		 */
		resp->commit = raft_own_base(r);
	}
	return 0;
}

/* Send time of round seq, if it is remembered and sent since the last
 * stall (see raft_set_now()).
 */
static u64 round_time(const struct raft *r, u64 seq, bool *known)
{
	u32 slot = seq % RAFT_HB_RING;

	*known = seq && r->hb_ring_seq[slot] == seq && r->lease_epoch &&
		r->hb_ring_epoch[slot] == r->lease_epoch;
	return *known ? r->hb_ring_time[slot] : 0;
}

int raft_recv_heartbeat_resp(struct raft *r, struct raft_msg *m)
{
	struct raft_progress *pr = raft_pr(r, m->from);
	bool known;
	u64 t;

	if (!pr)
		return 0;
	if (m->context > r->hb_seq)
		return RAFT_EINVAL;	/* answers a round never sent */
	pr->recent_active = true;
	pr->probe_sent = false;
	pr->base = m->commit;
	if (m->context > pr->hb_acked) {
		pr->hb_acked = m->context;
		t = round_time(r, m->context, &known);
		if (known) {
			pr->lease_sent = t;
			pr->lease_valid = true;
		}
	}
	if (pr->state == RAFT_PROGRESS_PIPELINE &&
	    raft_pr_is_paused(pr, r->opts.max_inflight_bytes))
		raft_ifl_free_first(&pr->ifl);
	if (pr->match < log_last(&r->log) || pr->match < r->commit)
		raft_send_append(r, pr, true);
	raft_reads_on_ack(r);
	return 0;
}
