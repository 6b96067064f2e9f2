// SPDX-License-Identifier: GPL-2.0
/*
 * recv_vote.c - a node is asked for its vote (or pre-vote): Raft paper
 * Figure 2, "RequestVote RPC, receiver implementation", plus PreVote
 * (dissertation 9.6). A granted vote is released only once durable.
 */
#include "raft_int.h"

int raft_recv_vote(struct raft *r, struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	u8 rtype = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP;
	bool can_vote;
	struct raft_msg *resp;

	can_vote = r->vote == m->from ||
		(r->vote == RAFT_NONE && r->lead == RAFT_NONE) ||
		(pre && m->term > r->term);
	if (can_vote && raft_log_up_to_date(&r->log, m->index, m->log_term)) {
		if (pre) {
			resp = raft_msg_new(r, rtype, m->from);
		} else {
			r->election_elapsed = 0;
			raft_set_term_vote(r, r->term, m->from);
			resp = raft_held_new(r, rtype, m->from, 0);
		}
		if (resp)
			resp->term = m->term;
		raft_release_held(r);
		return 0;
	}
	resp = raft_msg_new(r, rtype, m->from);
	if (resp)
		resp->reject = 1;
	return 0;
}
