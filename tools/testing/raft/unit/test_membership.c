// SPDX-License-Identifier: GPL-2.0
/*
 * test_membership.c - learners and one-server-at-a-time changes (Raft
 * dissertation 4.1-4.2.2, with the rule that a leader first commits an
 * entry of its own term).
 */
#include "unit.h"

static int change(struct fx *f, raft_id leader, u8 op, raft_id id)
{
	struct raft_conf_change cc;

	memset(&cc, 0, sizeof(cc));
	cc.op = op;
	cc.id = id;
	cc.addr[0] = (u8)('a' + id - 1);
	return raft_change_conf(fx_raft(f, leader), &cc);
}

static bool in_conf(struct raft_status st, raft_id id, u8 role)
{
	u32 i;

	for (i = 0; i < st.conf.n; i++)
		if (st.conf.nodes[i].id == id)
			return st.conf.nodes[i].role == role;
	return false;
}

static void elect_any(struct fx *f)
{
	u32 i;

	for (i = 0; i < 100 && !fx_leader(f); i++) {
		fx_tick_all(f, 1);
		fx_stabilize(f);
	}
}

/* A blank node added as learner catches up (base snapshot, then the
 * log), never votes or campaigns, and is not counted for commit.
 */
static void test_add_learner(void)
{
	struct fx f;

	fx_init(&f, 4, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "before"), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 4), RAFT_OK);
	fx_stabilize(&f);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(in_conf(unit_status(&f, 4), 4, RAFT_LEARNER));
	CHECK(in_conf(unit_status(&f, 4), 1, RAFT_VOTER));
	CHECK(fx_has_applied(&f, 4, "before"));
	CHECK_EQ(unit_status(&f, 4).commit, unit_status(&f, 1).commit);
	/* never campaigns */
	fx_isolate(&f, 4, true);
	fx_tick(&f, 4, 100);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 4).role, RAFT_FOLLOWER);
	CHECK_EQ(raft_campaign(fx_raft(&f, 4)), RAFT_EINVAL);
	/* not counted: with 2 and 3 cut off nothing commits */
	fx_heal(&f);
	fx_isolate(&f, 2, true);
	fx_isolate(&f, 3, true);
	CHECK_EQ(fx_propose(&f, 1, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(!fx_has_applied(&f, 1, "x"));
	fx_heal(&f);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 4, "x"));
	fx_fini(&f);
}

/* Promote a learner: it now counts and can lead. */
static void test_promote(void)
{
	struct fx f;

	fx_init(&f, 4, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 4), RAFT_OK);
	fx_stabilize(&f);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(change(&f, 1, RAFT_CONF_PROMOTE, 4), RAFT_OK);
	fx_stabilize(&f);
	CHECK(in_conf(unit_status(&f, 2), 4, RAFT_VOTER));
	/* 4 voters: 1 and 4 are not a quorum (needs 3) */
	fx_isolate(&f, 2, true);
	fx_isolate(&f, 3, true);
	CHECK_EQ(fx_propose(&f, 1, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(!fx_has_applied(&f, 1, "x"));
	fx_isolate(&f, 3, false);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 1, "x"));
	fx_heal(&f);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 4), RAFT_OK);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 4);
	fx_fini(&f);
}

/* One change at a time, and only after the leader committed an entry of
 * its term; a change takes effect when appended.
 */
static void test_one_change_at_a_time(void)
{
	struct fx f;

	fx_init(&f, 5, 3, NULL);
	raft_campaign(fx_raft(&f, 1));
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 0, RAFT_MSG_PREVOTE);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 0, RAFT_MSG_PREVOTE_RESP);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 0, RAFT_MSG_VOTE);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 0, RAFT_MSG_VOTE_RESP);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);
	/* no-op not committed yet */
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 4), RAFT_EBUSY);
	fx_stabilize(&f);
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 4), RAFT_OK);
	CHECK(in_conf(unit_status(&f, 1), 4, RAFT_LEARNER));
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 5), RAFT_EBUSY);
	/* invalid changes */
	CHECK_EQ(change(&f, 1, RAFT_CONF_PROMOTE, 5), RAFT_EINVAL);
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 2), RAFT_EINVAL);
	CHECK_EQ(change(&f, 2, RAFT_CONF_ADD_LEARNER, 5), RAFT_ENOTLEADER);
	fx_stabilize(&f);
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 5), RAFT_OK);
	fx_stabilize(&f);
	CHECK(in_conf(unit_status(&f, 3), 5, RAFT_LEARNER));
	fx_fini(&f);
}

/* Remove a follower: it is no longer replicated to or counted. */
static void test_remove_follower(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(change(&f, 1, RAFT_CONF_REMOVE, 3), RAFT_OK);
	fx_stabilize(&f);
	CHECK(!in_conf(unit_status(&f, 1), 3, RAFT_VOTER));
	CHECK_EQ(unit_status(&f, 1).n_progress, 2);
	/* 2 voters now: 1 and 2 commit without 3 */
	fx_isolate(&f, 3, true);
	CHECK_EQ(fx_propose(&f, 1, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "x"));
	/* the removed node learnt it and never campaigns */
	CHECK(!in_conf(unit_status(&f, 3), 3, RAFT_VOTER));
	fx_tick(&f, 3, 100);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 3).role, RAFT_FOLLOWER);
	fx_fini(&f);
}

/* Remove the leader: it keeps replicating until the removal commits
 * (without counting itself), then steps down; the rest elect a leader.
 */
static void test_remove_leader(void)
{
	struct fx f;
	raft_id l;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(change(&f, 1, RAFT_CONF_REMOVE, 1), RAFT_OK);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);
	CHECK_EQ(fx_propose(&f, 1, "x"), RAFT_ESHUTDOWN);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	CHECK(unit_status(&f, 2).commit >= 2);
	elect_any(&f);
	l = fx_leader(&f);
	CHECK(l == 2 || l == 3);
	CHECK_EQ(fx_propose(&f, l, "y"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "y") && fx_has_applied(&f, 3, "y"));
	fx_fini(&f);
}

/* The removal of a leader commits with the remaining voters only. */
static void test_remove_leader_not_counted(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(change(&f, 1, RAFT_CONF_REMOVE, 1), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_APPEND);
	fx_drop(&f, 1, 3, RAFT_MSG_APPEND);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 2, 1, RAFT_MSG_APPEND_RESP);
	fx_ready_all(&f);
	/* leader + 2 would be a majority of the old conf, not of {2,3} */
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	fx_fini(&f);
}

/* Demote a voter: it stays as a learner and stops campaigning. */
static void test_demote(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(change(&f, 1, RAFT_CONF_DEMOTE, 3), RAFT_OK);
	fx_stabilize(&f);
	CHECK(in_conf(unit_status(&f, 3), 3, RAFT_LEARNER));
	CHECK_EQ(raft_campaign(fx_raft(&f, 3)), RAFT_EINVAL);
	CHECK_EQ(fx_propose(&f, 1, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 3, "x"));
	/* the last voter cannot go */
	CHECK_EQ(change(&f, 1, RAFT_CONF_REMOVE, 2), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(change(&f, 1, RAFT_CONF_DEMOTE, 1), RAFT_EINVAL);
	CHECK_EQ(change(&f, 1, RAFT_CONF_REMOVE, 1), RAFT_EINVAL);
	fx_fini(&f);
}

/* A truncated change is reverted. */
static void test_conf_reverted_on_truncation(void)
{
	const raft_id maj[] = { 2, 3 };
	struct fx f;
	raft_id l;
	u32 i;

	fx_init(&f, 4, 3, NULL);
	fx_elect(&f, 1);
	fx_partition(&f, maj, 2);
	CHECK_EQ(change(&f, 1, RAFT_CONF_ADD_LEARNER, 4), RAFT_OK);
	fx_stabilize(&f);
	CHECK(in_conf(unit_status(&f, 1), 4, RAFT_LEARNER));
	for (i = 0; i < 100 && fx_leader(&f) != 2 && fx_leader(&f) != 3;
	     i++) {
		fx_tick(&f, 2, 1);
		fx_tick(&f, 3, 1);
		fx_stabilize(&f);
	}
	l = fx_leader(&f);
	CHECK(l == 2 || l == 3);
	CHECK_EQ(fx_propose(&f, l, "y"), RAFT_OK);
	fx_stabilize(&f);
	fx_heal(&f);
	fx_tick(&f, l, 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	CHECK(!in_conf(unit_status(&f, 1), 4, RAFT_LEARNER));
	CHECK_EQ(unit_status(&f, 1).conf.n, 3);
	CHECK(fx_has_applied(&f, 1, "y"));
	fx_fini(&f);
}

/* A leader removes itself, then loses its quorum before the removal
 * commits: it must still be able to campaign (it is a voter of the
 * committed configuration) to finish the change, or nobody can lead
 * (simulator finding F1).
 */
static void test_removed_leader_loses_quorum(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 2, 2, NULL);
	fx_elect(&f, 1);
	fx_isolate(&f, 1, true);
	CHECK_EQ(change(&f, 1, RAFT_CONF_REMOVE, 1), RAFT_OK);
	for (i = 0; i < 25; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	fx_heal(&f);
	for (i = 0; i < 200 && !(fx_leader(&f) == 2 &&
				 unit_status(&f, 2).conf.n == 1); i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_leader(&f), 2);
	CHECK_EQ(unit_status(&f, 2).conf.n, 1);
	CHECK_EQ(fx_propose(&f, 2, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "x"));
	fx_fini(&f);
}

const struct unit_test membership_tests[] = {
	{ "membership: removed leader that lost quorum recovers",
	  test_removed_leader_loses_quorum },
	{ "membership: add learner (blank node joins)", test_add_learner },
	{ "membership: promote learner", test_promote },
	{ "membership: one change at a time, own-term commit first",
	  test_one_change_at_a_time },
	{ "membership: remove follower", test_remove_follower },
	{ "membership: remove leader", test_remove_leader },
	{ "membership: removed leader not counted",
	  test_remove_leader_not_counted },
	{ "membership: demote voter", test_demote },
	{ "membership: truncated change reverted",
	  test_conf_reverted_on_truncation },
	{ NULL, NULL },
};
