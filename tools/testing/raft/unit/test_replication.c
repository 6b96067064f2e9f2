// SPDX-License-Identifier: GPL-2.0
/*
 * test_replication.c - log replication and commitment (Raft paper
 * Figure 2 "AppendEntries", 5.3, 5.4.2 / Figure 8), fast backtracking
 * and flow control.
 */
#include "unit.h"

static void plain(struct raft_options *o)
{
	o->pre_vote = false;
	o->check_quorum = false;
}

static void small_window(struct raft_options *o)
{
	o->max_inflight_msgs = 2;
}

static void byte_window(struct raft_options *o)
{
	o->max_inflight_bytes = 10;
}

static void small_msgs(struct raft_options *o)
{
	o->max_msg_bytes = 10;
}

static void small_budget(struct raft_options *o)
{
	o->max_uncommitted_bytes = 10;
}

/* Proposals on the leader are replicated, committed and applied in the
 * same order everywhere; followers learn the commit index.
 */
static void test_replicate_and_commit(void)
{
	char buf[16];
	struct fx f;
	u32 i;

	fx_init(&f, 5, 5, NULL);
	fx_elect(&f, 3);
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "e%u", i);
		CHECK_EQ(fx_propose(&f, 3, buf), RAFT_OK);
		if (i % 3 == 0)
			fx_stabilize(&f);
	}
	fx_stabilize(&f);
	for (i = 1; i <= 5; i++) {
		CHECK_EQ(unit_status(&f, i).commit, 21);
		CHECK_EQ(fx_node(&f, i)->n_applied, 21);
		CHECK(fx_has_applied(&f, i, "e19"));
	}
	CHECK(fx_applied_agree(&f));
	CHECK_EQ(fx_propose(&f, 1, "no"), RAFT_ENOTLEADER);
	fx_fini(&f);
}

/* 5.3: a follower deletes conflicting entries and takes the leader's. */
static void test_conflicting_entries_truncated(void)
{
	const raft_id maj[] = { 2, 3 };
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, plain);
	fx_elect(&f, 1);
	fx_partition(&f, maj, 2);
	CHECK_EQ(fx_propose(&f, 1, "x1"), RAFT_OK);
	CHECK_EQ(fx_propose(&f, 1, "x2"), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).last_index, 3);
	CHECK_EQ(unit_status(&f, 1).commit, 1);
	fx_elect(&f, 2);
	CHECK_EQ(fx_leader(&f), 2);
	CHECK_EQ(fx_propose(&f, 2, "y"), RAFT_OK);
	fx_stabilize(&f);
	fx_heal(&f);
	fx_tick(&f, 2, 1);
	fx_stabilize(&f);
	for (i = 1; i <= 3; i++) {
		CHECK(fx_has_applied(&f, i, "y"));
		CHECK(!fx_has_applied(&f, i, "x1"));
		CHECK(!fx_has_applied(&f, i, "x2"));
		CHECK_EQ(unit_status(&f, i).last_index, 3);
	}
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

/* A follower with a long conflicting tail is repaired in a couple of
 * round trips (backtracking by term), not one per entry.
 */
static void test_fast_backtracking(void)
{
	const raft_id maj[] = { 2, 3 };
	char buf[16];
	struct fx f;
	u32 i, rejects;

	fx_init(&f, 3, 3, plain);
	fx_elect(&f, 1);
	fx_partition(&f, maj, 2);
	for (i = 0; i < 50; i++) {
		snprintf(buf, sizeof(buf), "old%u", i);
		fx_propose(&f, 1, buf);
	}
	fx_stabilize(&f);
	fx_elect(&f, 2);
	for (i = 0; i < 60; i++) {
		snprintf(buf, sizeof(buf), "new%u", i);
		fx_propose(&f, 2, buf);
		fx_stabilize(&f);
	}
	/* a new leader starts probing 1 at its last index */
	fx_elect(&f, 3);
	CHECK_EQ(fx_leader(&f), 3);
	fx_heal(&f);
	fx_reset_counts(&f);
	rejects = 0;
	fx_tick(&f, 3, 1);
	fx_ready_all(&f);
	for (i = 0; i < 50 && f.n_net; i++) {
		u32 k;

		fx_ready_all(&f);
		for (k = 0; k < f.n_net; k++)
			if (f.net[k].type == RAFT_MSG_APPEND_RESP &&
			    f.net[k].from == 1 && f.net[k].reject)
				rejects++;
		fx_deliver(&f);
		fx_ready_all(&f);
	}
	fx_stabilize(&f);
	printf("#   rejections needed: %u\n", rejects);
	CHECK(rejects <= 2);
	CHECK(fx_has_applied(&f, 1, "new59"));
	CHECK(!fx_has_applied(&f, 1, "old0"));
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

static void inject_ack(struct fx *f, raft_id from, raft_id to, raft_term t,
		       raft_index idx)
{
	struct raft_msg m;

	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_APPEND_RESP;
	m.from = from;
	m.to = to;
	m.term = t;
	m.index = idx;
	CHECK_EQ(raft_step(fx_raft(f, to), &m), RAFT_OK);
}

/* Figure 8: an entry from an earlier term stored on a majority is not
 * committed by counting replicas; a later leader may still replace it.
 */
static void test_figure8(void)
{
	struct fx f;
	raft_term t;
	u32 i;

	fx_init(&f, 5, 5, plain);
	/* (a) S1 leads, "old" at index 2 reaches S2 only */
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "old"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 2, RAFT_MSG_APPEND);
	fx_ready_all(&f);
	fx_crash(&f, 1);
	fx_drop(&f, 0, 0, -1);
	CHECK_EQ(unit_status(&f, 2).last_index, 2);
	/* (b) S5 wins with S3, S4; its no-op at index 2 goes nowhere */
	raft_campaign(fx_raft(&f, 5));
	fx_ready_all(&f);
	fx_deliver_filter(&f, 5, 0, RAFT_MSG_VOTE);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 5, RAFT_MSG_VOTE_RESP);
	fx_ready_all(&f);
	CHECK_EQ(fx_leader(&f), 5);
	fx_crash(&f, 5);
	fx_drop(&f, 0, 0, -1);
	/* (c) S1 back, wins term 3; "old" reaches S3 too: a majority */
	fx_restart(&f, 1);
	for (i = 0; i < 3 && fx_leader(&f) != 1; i++) {
		/* term 2 is taken (S3, S4 voted for S5): retry */
		raft_campaign(fx_raft(&f, 1));
		fx_ready_all(&f);
		fx_deliver_filter(&f, 1, 0, RAFT_MSG_VOTE);
		fx_ready_all(&f);
		fx_deliver_filter(&f, 0, 1, RAFT_MSG_VOTE_RESP);
		fx_ready_all(&f);
	}
	CHECK_EQ(fx_leader(&f), 1);
	t = unit_status(&f, 1).term;
	fx_drop(&f, 0, 0, -1);
	inject_ack(&f, 2, 1, t, 2);
	inject_ack(&f, 3, 1, t, 2);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 1);	/* not 2 */
	fx_crash(&f, 1);
	fx_drop(&f, 0, 0, -1);
	/* (d) S5 wins again (S2, S4) and replaces index 2 */
	fx_restart(&f, 5);
	for (i = 0; i < 3 && fx_leader(&f) != 5; i++)
		fx_elect(&f, 5);
	CHECK_EQ(fx_leader(&f), 5);
	fx_restart(&f, 1);
	fx_tick(&f, 5, 1);
	fx_stabilize(&f);
	for (i = 1; i <= 5; i++)
		CHECK(!fx_has_applied(&f, i, "old"));
	CHECK(fx_applied_agree(&f));
	CHECK_EQ(unit_status(&f, 1).commit, unit_status(&f, 5).commit);
	fx_fini(&f);
}

/* Followers learn the commit index from heartbeats too. */
static void test_heartbeat_carries_commit(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 0, RAFT_MSG_APPEND);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 1, RAFT_MSG_APPEND_RESP);
	fx_ready_all(&f);
	fx_drop(&f, 1, 0, RAFT_MSG_APPEND);	/* commit updates lost */
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	CHECK_EQ(unit_status(&f, 2).commit, 1);
	fx_tick(&f, 1, 1);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 0, RAFT_MSG_HEARTBEAT);
	CHECK_EQ(unit_status(&f, 2).commit, 2);
	fx_stabilize(&f);
	fx_fini(&f);
}

static u32 queued_to(struct fx *f, raft_id to, u8 type)
{
	u32 i, n = 0;

	for (i = 0; i < f->n_net; i++)
		if (f->net[i].to == to && f->net[i].type == type)
			n++;
	return n;
}

/* Pipeline: at most max_inflight_msgs APPENDs in flight per follower. */
static void test_inflight_msgs_limit(void)
{
	char buf[8];
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, small_window);
	fx_elect(&f, 1);
	CHECK_EQ(unit_status(&f, 1).progress[1].state,
		 RAFT_PROGRESS_PIPELINE);
	for (i = 0; i < 6; i++) {
		snprintf(buf, sizeof(buf), "p%u", i);
		CHECK_EQ(fx_propose(&f, 1, buf), RAFT_OK);
		fx_ready_all(&f);
	}
	CHECK_EQ(queued_to(&f, 2, RAFT_MSG_APPEND), 2);
	CHECK_EQ(queued_to(&f, 3, RAFT_MSG_APPEND), 2);
	fx_stabilize(&f);
	for (i = 1; i <= 3; i++)
		CHECK(fx_has_applied(&f, i, "p5"));
	fx_fini(&f);
}

/* ... and at most max_inflight_bytes of payload. */
static void test_inflight_bytes_limit(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, byte_window);
	fx_elect(&f, 1);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(fx_propose(&f, 1, "123456"), RAFT_OK);
		fx_ready_all(&f);
	}
	CHECK_EQ(queued_to(&f, 2, RAFT_MSG_APPEND), 2);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 2).commit, 5);
	fx_fini(&f);
}

/* max_msg_bytes splits a batch into several APPENDs. */
static void test_msg_bytes_batching(void)
{
	struct raft_entry e[5];
	struct fx f;
	u32 i, k;

	fx_init(&f, 2, 2, small_msgs);
	fx_elect(&f, 1);
	memset(e, 0, sizeof(e));
	for (i = 0; i < 5; i++) {
		e[i].type = RAFT_ENTRY_NORMAL;
		e[i].payload = raft_payload_new("abcd", 4);
	}
	CHECK_EQ(raft_propose(fx_raft(&f, 1), 5, e), RAFT_OK);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(e[i].index, 2 + i);
		raft_payload_put(e[i].payload);
	}
	fx_ready_all(&f);
	for (k = 0; k < f.n_net; k++)
		if (f.net[k].type == RAFT_MSG_APPEND) {
			CHECK(f.net[k].n_entries <= 2);
			CHECK(f.net[k].n_entries >= 1);
		}
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 2).commit, 6);
	fx_fini(&f);
}

/* The leader refuses proposals beyond max_uncommitted_bytes. */
static void test_uncommitted_bytes_limit(void)
{
	struct fx f;

	fx_init(&f, 3, 3, small_budget);
	fx_elect(&f, 1);
	fx_isolate(&f, 1, true);
	CHECK_EQ(fx_propose(&f, 1, "123456"), RAFT_OK);
	CHECK_EQ(fx_propose(&f, 1, "123456"), RAFT_ETOOBIG);
	fx_stabilize(&f);
	fx_heal(&f);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	CHECK_EQ(fx_propose(&f, 1, "123456"), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 3).commit, 3);
	fx_fini(&f);
}

/* APPENDs lost with a full window: heartbeat answers free a slot, the
 * follower's rejection of the gap sends the leader back to probing, and
 * replication resumes.
 */
static void test_lost_appends_recovered(void)
{
	char buf[8];
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, small_window);
	fx_elect(&f, 1);
	for (i = 0; i < 6; i++) {
		snprintf(buf, sizeof(buf), "l%u", i);
		CHECK_EQ(fx_propose(&f, 1, buf), RAFT_OK);
		fx_ready_all(&f);
	}
	CHECK_EQ(fx_drop(&f, 1, 2, RAFT_MSG_APPEND), 2);
	fx_stabilize(&f);
	CHECK(!fx_has_applied(&f, 2, "l5"));
	for (i = 0; i < 4 && !fx_has_applied(&f, 2, "l5"); i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_has_applied(&f, 2, "l5"));
	fx_fini(&f);
}

/*
 * Issue 12 (cluster_netns leader_cut_off): the cut-off old leader
 * truncated its stale entry after the heal and took the new leader's
 * NOOP; the APPEND with the next write is lost while the window has room
 * (no slot to free) and no write follows. Heartbeat answers alone must
 * bring it to the leader's commit, last and applied index: the empty
 * APPEND from next is rejected and the leader probes back from match.
 */
static void test_truncated_follower_lost_append(void)
{
	const raft_id maj[] = { 2, 3 };
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, plain);
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	fx_partition(&f, maj, 2);
	CHECK_EQ(fx_propose(&f, 1, "stale"), RAFT_OK);
	fx_stabilize(&f);
	fx_elect(&f, 2);
	CHECK_EQ(fx_leader(&f), 2);
	fx_heal(&f);
	fx_tick(&f, 2, 1);
	fx_stabilize(&f);
	/* node 1 truncated "stale" and holds the new leader's NOOP */
	CHECK(!fx_has_applied(&f, 1, "stale"));
	CHECK_EQ(unit_status(&f, 1).last_index, unit_status(&f, 2).last_index);
	CHECK_EQ(unit_status(&f, 2).progress[0].state, RAFT_PROGRESS_PIPELINE);
	/* a write whose APPENDs to node 1 are lost (the one carrying it
	 * and the one telling its commit), then no write
	 */
	CHECK_EQ(fx_propose(&f, 2, "y"), RAFT_OK);
	for (i = 0; i < 6; i++) {
		fx_ready_all(&f);
		fx_drop(&f, 2, 1, RAFT_MSG_APPEND);
		fx_deliver(&f);
	}
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "y"));
	CHECK(fx_has_applied(&f, 3, "y"));
	CHECK(!fx_has_applied(&f, 1, "y"));
	for (i = 0; i < 10 && !fx_has_applied(&f, 1, "y"); i++) {
		fx_tick(&f, 2, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_has_applied(&f, 1, "y"));
	CHECK_EQ(unit_status(&f, 1).commit, unit_status(&f, 2).commit);
	CHECK_EQ(unit_status(&f, 1).applied, unit_status(&f, 2).commit);
	CHECK_EQ(unit_status(&f, 1).last_index, unit_status(&f, 2).last_index);
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

/* The transport reports a peer unreachable: pipeline falls back to
 * probe.
 */
static void test_report_unreachable(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(unit_status(&f, 1).progress[1].state,
		 RAFT_PROGRESS_PIPELINE);
	raft_report_unreachable(fx_raft(&f, 1), 2);
	CHECK_EQ(unit_status(&f, 1).progress[1].state, RAFT_PROGRESS_PROBE);
	CHECK_EQ(fx_propose(&f, 1, "u"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "u"));
	CHECK_EQ(unit_status(&f, 1).progress[1].state,
		 RAFT_PROGRESS_PIPELINE);
	fx_fini(&f);
}

const struct unit_test replication_tests[] = {
	{ "flow: lost appends with a full window recovered",
	  test_lost_appends_recovered },
	{ "flow: unreachable peer probed again", test_report_unreachable },
	{ "flow: truncated follower, lost APPEND, heartbeats alone",
	  test_truncated_follower_lost_append },
	{ "replication: propose, replicate, commit, apply",
	  test_replicate_and_commit },
	{ "replication: conflicting entries truncated",
	  test_conflicting_entries_truncated },
	{ "replication: fast backtracking by term", test_fast_backtracking },
	{ "replication: Figure 8, commit only current term", test_figure8 },
	{ "replication: heartbeat carries commit",
	  test_heartbeat_carries_commit },
	{ "flow: max in-flight messages", test_inflight_msgs_limit },
	{ "flow: max in-flight bytes", test_inflight_bytes_limit },
	{ "flow: max message bytes batching", test_msg_bytes_batching },
	{ "flow: max uncommitted bytes", test_uncommitted_bytes_limit },
	{ NULL, NULL },
};
