// SPDX-License-Identifier: GPL-2.0
/*
 * test_persistence.c - nothing is acknowledged or counted before it is
 * durable; stale completions and failed writes are handled safely.
 */
#include "unit.h"

static void plain(struct raft_options *o)
{
	o->pre_vote = false;
	o->check_quorum = false;
}

static u32 queued(struct fx *f, raft_id from, u8 type, raft_index min_idx)
{
	u32 i, n = 0;

	for (i = 0; i < f->n_net; i++)
		if (f->net[i].from == from && f->net[i].type == type &&
		    f->net[i].index >= min_idx && !f->net[i].reject)
			n++;
	return n;
}

/* A follower acknowledges entries only once they are durable. */
static void test_follower_ack_after_durable(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_node(&f, 2)->defer_persist = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_APPEND);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 2).last_index, 2);
	CHECK_EQ(queued(&f, 2, RAFT_MSG_APPEND_RESP, 2), 0);
	fx_node(&f, 2)->defer_persist = false;
	fx_report_persisted(&f, 2);
	fx_ready_all(&f);
	CHECK_EQ(queued(&f, 2, RAFT_MSG_APPEND_RESP, 2), 1);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 3, "a"));
	fx_fini(&f);
}

/* The leader counts itself only once its own write is durable. */
static void test_leader_counts_itself_when_durable(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_node(&f, 1)->defer_persist = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_APPEND);
	fx_drop(&f, 1, 3, RAFT_MSG_APPEND);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 2, 1, RAFT_MSG_APPEND_RESP);
	fx_ready_all(&f);
	/* 2 has it, the leader's own write is not done: 1 of 3 */
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	fx_node(&f, 1)->defer_persist = false;
	fx_report_persisted(&f, 1);
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	fx_stabilize(&f);
	fx_fini(&f);
}

/* A lone leader commits only after its write is reported. */
static void test_single_leader_commit_after_durable(void)
{
	struct fx f;

	fx_init(&f, 1, 1, NULL);
	fx_elect(&f, 1);
	fx_node(&f, 1)->defer_persist = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	CHECK_EQ(unit_status(&f, 1).persisted_index, 1);
	fx_report_persisted(&f, 1);
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	fx_node(&f, 1)->defer_persist = false;
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 1, "a"));
	fx_fini(&f);
}

/* A granted vote is sent only once the vote is durable; a candidate
 * counts its own vote only once durable.
 */
static void test_vote_after_durable(void)
{
	struct fx f;

	fx_init(&f, 3, 3, plain);
	fx_node(&f, 1)->defer_persist = true;
	fx_node(&f, 2)->defer_persist = true;
	raft_campaign(fx_raft(&f, 1));
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_VOTE);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 2).vote, 1);
	CHECK_EQ(queued(&f, 2, RAFT_MSG_VOTE_RESP, 0), 0);
	fx_node(&f, 2)->defer_persist = false;
	fx_ready_all(&f);	/* the hard state goes out again, durable */
	CHECK_EQ(queued(&f, 2, RAFT_MSG_VOTE_RESP, 0), 1);
	fx_deliver_filter(&f, 2, 1, RAFT_MSG_VOTE_RESP);
	fx_ready_all(&f);
	/* 2's vote is in, its own is not durable */
	CHECK_EQ(unit_status(&f, 1).role, RAFT_CANDIDATE);
	fx_node(&f, 1)->defer_persist = false;
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_LEADER);
	fx_stabilize(&f);
	fx_fini(&f);
}

/* A completion for a write of an entry that has since been replaced at
 * the same index (newer term) acknowledges nothing.
 */
static void test_stale_term_persist_ignored(void)
{
	struct raft_advance adv;
	struct fx f;
	u32 i;

	fx_init(&f, 5, 5, plain);
	fx_elect(&f, 1);
	fx_node(&f, 3)->defer_persist = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 3, RAFT_MSG_APPEND);
	fx_ready_all(&f);
	fx_crash(&f, 1);
	fx_drop(&f, 0, 0, -1);
	/* 2 wins term 2 with 4 and 5; its no-op replaces "a" on 3 */
	raft_campaign(fx_raft(&f, 2));
	fx_ready_all(&f);
	fx_deliver_filter(&f, 2, 0, RAFT_MSG_VOTE);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 2, RAFT_MSG_VOTE_RESP);
	fx_ready_all(&f);
	CHECK_EQ(fx_leader(&f), 2);
	for (i = 0; i < 4; i++) {
		fx_deliver_filter(&f, 0, 3, -1);
		fx_ready_all(&f);
		fx_deliver_filter(&f, 3, 0, -1);
		fx_ready_all(&f);
	}
	CHECK_EQ(unit_status(&f, 3).last_index, 2);
	CHECK_EQ(queued(&f, 3, RAFT_MSG_APPEND_RESP, 2), 0);
	/* the old write of (2, term 1) completes: nothing to acknowledge */
	memset(&adv, 0, sizeof(adv));
	adv.persisted_index = 2;
	adv.persisted_term = 1;
	raft_advance(fx_raft(&f, 3), &adv);
	fx_ready_all(&f);
	CHECK_EQ(queued(&f, 3, RAFT_MSG_APPEND_RESP, 2), 0);
	CHECK_EQ(unit_status(&f, 3).persisted_index, 1);
	/* the new write completes */
	fx_node(&f, 3)->defer_persist = false;
	fx_report_persisted(&f, 3);
	fx_ready_all(&f);
	CHECK_EQ(queued(&f, 3, RAFT_MSG_APPEND_RESP, 2), 1);
	fx_restart(&f, 1);
	fx_stabilize(&f);
	for (i = 1; i <= 5; i++)
		CHECK(!fx_has_applied(&f, i, "a"));
	fx_fini(&f);
}

/* A failed log write makes the leader step down in the same term. */
static void test_persist_failure_leader_steps_down(void)
{
	struct fx f;
	raft_term t;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	t = unit_status(&f, 1).term;
	fx_node(&f, 1)->disk_broken = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_FOLLOWER);
	CHECK_EQ(unit_status(&f, 1).term, t);
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_ENOTLEADER);
	fx_node(&f, 1)->disk_broken = false;
	for (i = 0; i < 60 && !fx_leader(&f); i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_leader(&f) != RAFT_NONE);
	CHECK(unit_status(&f, fx_leader(&f)).term > t);
	CHECK_EQ(fx_propose(&f, fx_leader(&f), "c"), RAFT_OK);
	fx_stabilize(&f);
	for (i = 1; i <= 3; i++)
		CHECK(fx_has_applied(&f, i, "c"));
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

/* A follower whose write failed does not acknowledge until a later write
 * succeeds.
 */
static void test_persist_failure_follower(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_node(&f, 2)->disk_broken = true;
	fx_node(&f, 3)->disk_broken = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver(&f);
	fx_ready_all(&f);
	CHECK_EQ(queued(&f, 2, RAFT_MSG_APPEND_RESP, 2), 0);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	fx_node(&f, 2)->disk_broken = false;
	fx_tick(&f, 2, 1);	/* (retries wait for a tick) */
	fx_ready_all(&f);	/* the entries are written again */
	CHECK_EQ(queued(&f, 2, RAFT_MSG_APPEND_RESP, 2), 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	fx_node(&f, 3)->disk_broken = false;
	fx_tick(&f, 3, 1);
	fx_ready_all(&f);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 3, "a"));
	fx_fini(&f);
}

/* Restart from what was persisted: term, vote, log, commit survive. */
static void test_restart_from_restore(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_OK);
	fx_stabilize(&f);
	for (i = 1; i <= 3; i++)
		fx_restart(&f, i);
	CHECK_EQ(unit_status(&f, 2).term, 1);
	CHECK_EQ(unit_status(&f, 2).vote, 1);
	CHECK_EQ(unit_status(&f, 2).last_index, 3);
	CHECK_EQ(unit_status(&f, 2).role, RAFT_FOLLOWER);
	fx_stabilize(&f);
	/* committed entries are applied again from the restored log */
	CHECK(fx_has_applied(&f, 2, "b"));
	for (i = 0; i < 60 && !fx_leader(&f); i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_leader(&f) != RAFT_NONE);
	CHECK_EQ(fx_propose(&f, fx_leader(&f), "c"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 3, "c"));
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

/* raft_create tolerates a hard state older than the log written next to
 * it (separate writes, one lost in a crash): the commit index is clamped
 * and the term raised without a vote.
 */
static void test_restore_hard_state_behind_log(void)
{
	struct raft_options o;
	struct raft_restore rs;
	struct raft_entry e[2];
	struct raft_status st;
	struct raft *r;

	raft_options_default(&o);
	o.id = 1;
	memset(&rs, 0, sizeof(rs));
	memset(e, 0, sizeof(e));
	raft_bootstrap_conf(&rs.snap.conf, 1, NULL);
	rs.snap.index = 5;
	rs.snap.term = 2;
	rs.hs.term = 1;
	rs.hs.vote = 1;
	rs.hs.commit = 9;
	e[0].index = 6;
	e[0].term = 3;
	e[0].type = RAFT_ENTRY_NOOP;
	e[1].index = 7;
	e[1].term = 3;
	e[1].type = RAFT_ENTRY_NORMAL;
	e[1].payload = raft_payload_new("z", 1);
	rs.n_entries = 2;
	rs.entries = e;
	CHECK_EQ(raft_create(&o, &rs, &r), RAFT_OK);
	raft_payload_put(e[1].payload);
	raft_get_status(r, &st);
	CHECK_EQ(st.term, 3);
	CHECK_EQ(st.vote, RAFT_NONE);
	CHECK_EQ(st.commit, 7);
	CHECK_EQ(st.first_index, 6);
	CHECK_EQ(st.last_index, 7);
	raft_destroy(r);
	/* a gap is refused */
	e[1].payload = NULL;
	e[1].index = 9;
	CHECK_EQ(raft_create(&o, &rs, &r), RAFT_EINVAL);
}

/* An apply that fails part way: the rest is handed out again. */
static void test_apply_failure_redelivered(void)
{
	struct raft_entry e[4];
	struct fx f;
	u32 i;

	fx_init(&f, 1, 1, NULL);
	fx_elect(&f, 1);
	memset(e, 0, sizeof(e));
	for (i = 0; i < 4; i++) {
		char buf[4] = { 'q', (char)('0' + i), 0, 0 };

		e[i].type = RAFT_ENTRY_NORMAL;
		e[i].payload = raft_payload_new(buf, 2);
	}
	CHECK_EQ(raft_propose(fx_raft(&f, 1), 4, e), RAFT_OK);
	for (i = 0; i < 4; i++)
		raft_payload_put(e[i].payload);
	fx_node(&f, 1)->apply_fail_at = 4;	/* q2 */
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->applied_index, 5);
	CHECK(fx_has_applied(&f, 1, "q3"));
	CHECK_EQ(unit_status(&f, 1).applied, 5);
	fx_fini(&f);
}

/* Ready batches are bounded; the rest follows in the next ones. */
static void test_bounded_ready(void)
{
	struct raft_entry e[100];
	struct raft_advance adv;
	struct raft_ready rd;
	struct fx f;
	u32 i, k;

	fx_init(&f, 1, 1, NULL);
	fx_elect(&f, 1);
	memset(e, 0, sizeof(e));
	for (k = 0; k < 50; k++) {
		for (i = 0; i < 100; i++) {
			e[i].type = RAFT_ENTRY_NORMAL;
			e[i].payload = raft_payload_new("b", 1);
		}
		CHECK_EQ(raft_propose(fx_raft(&f, 1), 100, e), RAFT_OK);
		for (i = 0; i < 100; i++)
			raft_payload_put(e[i].payload);
	}
	CHECK_EQ(raft_ready(fx_raft(&f, 1), &rd), RAFT_OK);
	CHECK_EQ(rd.n_entries, 4096);
	CHECK_EQ(rd.entries[0].index, 2);
	memset(&adv, 0, sizeof(adv));
	adv.persisted_index = rd.entries[4095].index;
	adv.persisted_term = rd.entries[4095].term;
	adv.hs_persisted = true;
	adv.applied = 1;
	raft_advance(fx_raft(&f, 1), &adv);
	CHECK_EQ(unit_status(&f, 1).commit, 4097);
	CHECK_EQ(raft_ready(fx_raft(&f, 1), &rd), RAFT_OK);
	CHECK_EQ(rd.n_entries, 5001 - 4097);
	CHECK_EQ(rd.n_committed, 4096);
	CHECK_EQ(rd.committed[0].index, 2);
	raft_advance(fx_raft(&f, 1), NULL);
	fx_fini(&f);
}

/* A disk that keeps failing: one immediate retry, then one per tick
 * (no busy loop in a caller that drains ready batches).
 */
static void test_persist_failure_backoff(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_node(&f, 2)->disk_broken = true;
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_APPEND);
	CHECK(fx_ready(&f, 2));		/* fails */
	CHECK(fx_ready(&f, 2));		/* retried at once, fails again */
	CHECK(!raft_has_ready(fx_raft(&f, 2)));
	fx_tick(&f, 2, 1);
	CHECK(raft_has_ready(fx_raft(&f, 2)));
	CHECK(fx_ready(&f, 2));		/* fails again */
	CHECK(!raft_has_ready(fx_raft(&f, 2)));
	fx_node(&f, 2)->disk_broken = false;
	fx_tick(&f, 2, 1);
	CHECK(fx_ready(&f, 2));		/* written */
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "a"));
	fx_fini(&f);
}

const struct unit_test persistence_tests[] = {
	{ "persist: failing disk retried once per tick",
	  test_persist_failure_backoff },
	{ "persist: ready batches are bounded", test_bounded_ready },
	{ "persist: failed apply handed out again",
	  test_apply_failure_redelivered },
	{ "persist: restore with hard state behind the log",
	  test_restore_hard_state_behind_log },
	{ "persist: follower acks only durable entries",
	  test_follower_ack_after_durable },
	{ "persist: leader counts itself only when durable",
	  test_leader_counts_itself_when_durable },
	{ "persist: lone leader commits after its write",
	  test_single_leader_commit_after_durable },
	{ "persist: votes sent and counted only when durable",
	  test_vote_after_durable },
	{ "persist: stale-term completion ignored",
	  test_stale_term_persist_ignored },
	{ "persist: failed write, leader steps down",
	  test_persist_failure_leader_steps_down },
	{ "persist: failed write, follower withholds ack",
	  test_persist_failure_follower },
	{ "persist: restart from raft_restore", test_restart_from_restore },
	{ NULL, NULL },
};
