// SPDX-License-Identifier: GPL-2.0
/*
 * recv_timeout_now.c - leadership transfer: the leader tells an up-to-date
 * follower to campaign at once, without PreVote, with a flag that lets it
 * through the voters' leader-lease check.
 */
#include "raft_int.h"

int raft_recv_timeout_now(struct raft *r, struct raft_msg *m)
{
	if (!raft_may_campaign(r))
		return 0;
	raft_logf(RAFT_LOG_INFO, "raft %llu: timeout-now from %llu",
		  (unsigned long long)r->id, (unsigned long long)m->from);
	raft_campaign_now(r, false, true);
	return 0;
}
