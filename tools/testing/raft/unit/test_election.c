// SPDX-License-Identifier: GPL-2.0
/*
 * test_election.c - leader election (Raft paper Figure 2 "RequestVote",
 * "Rules for Servers"; 5.2, 5.4.1), PreVote and CheckQuorum.
 */
#include "unit.h"

static void no_prevote(struct raft_options *o)
{
	o->pre_vote = false;
	o->check_quorum = false;
}

static u32 count_leaders(struct fx *f)
{
	u32 i, n = 0;

	for (i = 1; i <= f->n; i++)
		if (fx_node(f, i)->up &&
		    unit_status(f, i).role == RAFT_LEADER)
			n++;
	return n;
}

/* Randomized timeouts elect exactly one leader that everyone follows. */
static void test_election_by_timeout(void)
{
	struct fx f;
	u32 t, i;
	raft_id l;

	fx_init(&f, 3, 3, NULL);
	for (t = 0; t < 100 && !fx_leader(&f); t++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	l = fx_leader(&f);
	CHECK(l != RAFT_NONE);
	CHECK_EQ(count_leaders(&f), 1);
	fx_stabilize(&f);
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(unit_status(&f, i).leader, l);
		CHECK_EQ(unit_status(&f, i).term, unit_status(&f, l).term);
		/* the leader's no-op is committed everywhere */
		CHECK_EQ(unit_status(&f, i).commit, 1);
	}
	fx_fini(&f);
}

/* A bootstrapped single node elects itself, once its vote is durable. */
static void test_single_node_bootstrap(void)
{
	struct raft_advance adv;
	struct raft_ready rd;
	struct fx f;
	struct raft *r;

	fx_init(&f, 1, 1, NULL);
	r = fx_raft(&f, 1);
	CHECK_EQ(raft_campaign(r), RAFT_OK);
	/* PreVote wins at once (only voter); now a candidate at term 1 */
	CHECK_EQ(unit_status(&f, 1).role, RAFT_CANDIDATE);
	CHECK_EQ(raft_ready(r, &rd), RAFT_OK);
	CHECK(rd.hs_changed);
	CHECK_EQ(rd.hs.term, 1);
	CHECK_EQ(rd.hs.vote, 1);
	/* not durable yet: still a candidate */
	memset(&adv, 0, sizeof(adv));
	raft_advance(r, &adv);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_CANDIDATE);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	CHECK_EQ(fx_propose(&f, 1, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 1, "x"));
	fx_fini(&f);
}

/* A fresh node with no configuration never campaigns. */
static void test_blank_node_waits(void)
{
	struct fx f;

	fx_init(&f, 2, 1, NULL);
	fx_tick(&f, 2, 100);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 2).role, RAFT_FOLLOWER);
	CHECK_EQ(unit_status(&f, 2).term, 0);
	CHECK_EQ(f.sent[RAFT_MSG_PREVOTE] + f.sent[RAFT_MSG_VOTE], 0);
	CHECK_EQ(raft_campaign(fx_raft(&f, 2)), RAFT_EINVAL);
	fx_fini(&f);
}

/* Figure 2: a server grants at most one vote per term. */
static void test_one_vote_per_term(void)
{
	struct fx f;

	fx_init(&f, 3, 3, no_prevote);
	raft_campaign(fx_raft(&f, 1));
	raft_campaign(fx_raft(&f, 2));
	fx_ready_all(&f);
	/* node 3 hears 1 first, then 2: grants only 1 */
	fx_deliver_filter(&f, 1, 3, RAFT_MSG_VOTE);
	fx_deliver_filter(&f, 2, 3, RAFT_MSG_VOTE);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 3).vote, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 1);
	CHECK_EQ(count_leaders(&f), 1);
	fx_fini(&f);
}

/* 5.4.1: a voter refuses a candidate whose log is less up to date. */
static void test_vote_refused_stale_log(void)
{
	struct fx f;

	fx_init(&f, 3, 3, no_prevote);
	fx_elect(&f, 1);
	/* node 3 misses an entry that 1 and 2 have committed */
	fx_isolate(&f, 3, true);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	fx_heal(&f);
	CHECK_EQ(unit_status(&f, 3).last_index, 1);
	/* 3 campaigns: 1 (leader, no lease check here) and 2 refuse */
	raft_campaign(fx_raft(&f, 3));
	fx_stabilize(&f);
	CHECK(unit_status(&f, 3).role != RAFT_LEADER);
	/* the up-to-date node 2 can win the next term */
	raft_campaign(fx_raft(&f, 2));
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 2);
	CHECK(fx_has_applied(&f, 3, "a"));
	fx_fini(&f);
}

/* Figure 2: a message with a higher term turns anyone into a follower. */
static void test_higher_term_steps_down(void)
{
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, no_prevote);
	fx_elect(&f, 1);
	t = unit_status(&f, 1).term;
	fx_isolate(&f, 1, true);
	raft_campaign(fx_raft(&f, 2));
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 2);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);	/* stale */
	fx_heal(&f);
	fx_tick(&f, 2, 1);	/* heartbeat */
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	CHECK_EQ(unit_status(&f, 1).term, t + 1);
	CHECK_EQ(unit_status(&f, 1).leader, 2);
	fx_fini(&f);
}

/* A candidate that hears from the leader of its term becomes follower. */
static void test_candidate_yields_to_leader(void)
{
	struct fx f;

	fx_init(&f, 3, 3, no_prevote);
	raft_campaign(fx_raft(&f, 1));
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_VOTE);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 2, 1, RAFT_MSG_VOTE_RESP);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);
	/* 3 campaigns in the same term (it has not heard of 1 yet) */
	fx_drop(&f, 1, 3, -1);
	raft_campaign(fx_raft(&f, 3));
	CHECK_EQ(unit_status(&f, 3).term, 1);
	CHECK_EQ(unit_status(&f, 3).role, RAFT_CANDIDATE);
	fx_ready_all(&f);
	fx_drop(&f, 3, 0, -1);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 3).role, RAFT_FOLLOWER);
	CHECK_EQ(unit_status(&f, 3).leader, 1);
	fx_fini(&f);
}

/* PreVote: an isolated node does not inflate its term, and rejoining
 * does not depose the leader.
 */
static void test_prevote_isolated(void)
{
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	t = unit_status(&f, 1).term;
	fx_isolate(&f, 3, true);
	fx_tick(&f, 3, 100);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 3).term, t);
	CHECK(f.sent[RAFT_MSG_PREVOTE] > 0);
	CHECK_EQ(f.sent[RAFT_MSG_VOTE], 2);	/* only node 1's election */
	fx_heal(&f);
	fx_tick(&f, 3, 100);	/* keeps pre-campaigning, refused */
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 1);
	CHECK_EQ(unit_status(&f, 1).term, t);
	CHECK_EQ(unit_status(&f, 3).leader, 1);
	fx_fini(&f);
}

/* Without PreVote the same isolated node forces a new election. */
static void test_no_prevote_disrupts(void)
{
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, no_prevote);
	fx_elect(&f, 1);
	t = unit_status(&f, 1).term;
	fx_isolate(&f, 3, true);
	fx_tick(&f, 3, 25);
	fx_stabilize(&f);
	CHECK(unit_status(&f, 3).term > t);
	fx_heal(&f);
	fx_tick(&f, 3, 25);	/* campaigns again, now heard */
	fx_stabilize(&f);
	CHECK(unit_status(&f, 1).term > t);
	fx_fini(&f);
}

/* CheckQuorum: a leader cut off from the majority steps down within an
 * election timeout; the majority elects a new leader.
 */
static void test_check_quorum_partition(void)
{
	const raft_id minority[] = { 1 };
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_partition(&f, minority, 1);
	for (i = 0; i < 2 * 10 + 1; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	for (i = 0; i < 40 && !(fx_leader(&f) == 2 || fx_leader(&f) == 3);
	     i++) {
		fx_tick(&f, 2, 1);
		fx_tick(&f, 3, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_leader(&f) == 2 || fx_leader(&f) == 3);
	fx_heal(&f);
	fx_tick(&f, fx_leader(&f), 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).leader, fx_leader(&f));
	fx_fini(&f);
}

/*
 * A leader that steps down on a tick (CheckQuorum) has nothing to send or
 * persist, yet the host must learn it at once: its role is a batch of its
 * own. Before that batch the host kept publishing "leader" for up to an
 * election timeout and took writes and reads as the leader.
 */
static void test_step_down_is_ready(void)
{
	const raft_id minority[] = { 1 };
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_partition(&f, minority, 1);
	for (i = 0; i < 2 * 10 + 1 &&
	     unit_status(&f, 1).role == RAFT_LEADER; i++) {
		fx_tick(&f, 1, 1);
		if (unit_status(&f, 1).role == RAFT_LEADER)
			fx_stabilize(&f);
	}
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	CHECK(raft_has_ready(fx_raft(&f, 1)));
	fx_stabilize(&f);
	CHECK(!raft_has_ready(fx_raft(&f, 1)));
	fx_fini(&f);
}

/* CheckQuorum lease: voters that hear a live leader ignore vote requests
 * (even without PreVote) so a rejoining node cannot disrupt.
 */
static void test_check_quorum_ignores_votes(void)
{
	struct raft_options o;
	struct raft_msg m;
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	t = unit_status(&f, 2).term;
	o = fx_node(&f, 2)->opts;
	(void)o;
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_VOTE;
	m.from = 3;
	m.to = 2;
	m.term = t + 5;
	m.index = 100;
	m.log_term = t + 4;
	CHECK_EQ(raft_step(fx_raft(&f, 2), &m), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).term, t);
	CHECK_EQ(unit_status(&f, 2).vote, 1);
	/* after an election timeout without the leader, it listens */
	fx_tick(&f, 2, 10);
	m.type = RAFT_MSG_VOTE;
	m.from = 3;
	m.to = 2;
	m.term = t + 5;
	CHECK_EQ(raft_step(fx_raft(&f, 2), &m), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).term, t + 5);
	CHECK_EQ(unit_status(&f, 2).vote, 3);
	fx_fini(&f);
}

const struct unit_test election_tests[] = {
	{ "election: randomized timeout elects one leader",
	  test_election_by_timeout },
	{ "election: single bootstrapped node elects itself",
	  test_single_node_bootstrap },
	{ "election: blank node waits to be added", test_blank_node_waits },
	{ "election: one vote per term", test_one_vote_per_term },
	{ "election: vote refused for a stale log",
	  test_vote_refused_stale_log },
	{ "election: higher term steps down", test_higher_term_steps_down },
	{ "election: candidate yields to leader of its term",
	  test_candidate_yields_to_leader },
	{ "prevote: isolated node keeps its term", test_prevote_isolated },
	{ "prevote: off, isolated node disrupts", test_no_prevote_disrupts },
	{ "check-quorum: partitioned leader steps down",
	  test_check_quorum_partition },
	{ "a leader stepping down on a tick hands out a batch",
	  test_step_down_is_ready },
	{ "check-quorum: voters ignore votes under a live leader",
	  test_check_quorum_ignores_votes },
	{ NULL, NULL },
};
