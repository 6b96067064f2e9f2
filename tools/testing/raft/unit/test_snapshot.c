// SPDX-License-Identifier: GPL-2.0
/*
 * test_snapshot.c - log compaction and InstallSnapshot (Raft paper 7).
 */
#include "unit.h"

static void fill(struct fx *f, raft_id leader, const char *pfx, u32 n)
{
	char buf[16];
	u32 i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s%u", pfx, i);
		CHECK_EQ(fx_propose(f, leader, buf), RAFT_OK);
		if (i % 8 == 0)
			fx_stabilize(f);
	}
	fx_stabilize(f);
}

/* Compaction drops applied entries only. */
static void test_compact(void)
{
	struct fx f;
	struct raft_status st;

	fx_init(&f, 1, 1, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "e", 10);
	st = unit_status(&f, 1);
	CHECK_EQ(st.applied, 11);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 12), RAFT_EINVAL);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 6), RAFT_OK);
	st = unit_status(&f, 1);
	CHECK_EQ(st.first_index, 7);
	CHECK_EQ(st.last_index, 11);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 3), RAFT_OK);	/* no-op */
	CHECK_EQ(unit_status(&f, 1).first_index, 7);
	CHECK_EQ(fx_propose(&f, 1, "more"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 1, "more"));
	fx_fini(&f);
}

static void plain_opts(struct raft_options *o)
{
	o->pre_vote = false;
	o->check_quorum = false;
}

/* The payload bytes the log holds in memory, and the index that bounds
 * what the applied entries keep (the node's memory budget, issue 11 #7).
 */
static void test_log_bytes(void)
{
	struct fx f;
	struct raft_status st;
	u64 freed = 1;

	fx_init(&f, 3, 3, plain_opts);
	fx_elect(&f, 1);
	fill(&f, 1, "e", 10);		/* indexes 2..11, 2 bytes each */
	st = unit_status(&f, 1);
	CHECK_EQ(st.applied, 11);
	CHECK_EQ(st.log_bytes, 20);
	CHECK_EQ(unit_status(&f, 2).log_bytes, 20);
	/* keep 5 bytes: entries 10 and 11 (4 bytes) stay */
	CHECK_EQ(raft_compact_index(fx_raft(&f, 1), 5, &freed), 9);
	CHECK_EQ(freed, 16);
	CHECK_EQ(raft_compact_index(fx_raft(&f, 1), 100, &freed), 0);
	CHECK_EQ(freed, 0);
	CHECK_EQ(raft_compact_index(fx_raft(&f, 1), 0, &freed), 11);
	CHECK_EQ(freed, 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 9), RAFT_OK);
	CHECK_EQ(unit_status(&f, 1).log_bytes, 4);
	CHECK_EQ(raft_compact_index(fx_raft(&f, 1), 5, &freed), 9);
	CHECK_EQ(freed, 0);
	/* entries not applied yet are never part of the cut */
	fx_isolate(&f, 2, true);
	fx_isolate(&f, 3, true);
	CHECK_EQ(fx_propose(&f, 1, "pending"), RAFT_OK);
	fx_stabilize(&f);
	st = unit_status(&f, 1);
	CHECK_EQ(st.applied, 11);
	CHECK_EQ(st.log_bytes, 11);
	CHECK_EQ(raft_compact_index(fx_raft(&f, 1), 0, &freed), 11);
	CHECK_EQ(freed, 4);
	/* a truncated suffix leaves the count: node 2 leads, 1 follows */
	fx_heal(&f);
	fx_isolate(&f, 1, true);
	fx_elect(&f, 2);
	CHECK_EQ(fx_leader(&f), 2);
	CHECK_EQ(fx_propose(&f, 2, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 2).log_bytes, 21);
	fx_heal(&f);
	fx_tick(&f, 2, 1);
	fx_stabilize(&f);
	st = unit_status(&f, 1);
	CHECK(st.role != RAFT_LEADER);
	CHECK(fx_has_applied(&f, 1, "x"));
	CHECK(!fx_has_applied(&f, 1, "pending"));
	CHECK_EQ(st.log_bytes, 5);
	fx_fini(&f);
}

/* A follower whose next entry was compacted away gets a snapshot, then
 * the rest of the log; it restarts from the snapshot.
 */
static void test_snapshot_to_lagging_follower(void)
{
	struct fx f;
	struct raft_status st;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 5);
	fx_isolate(&f, 3, true);
	fill(&f, 1, "b", 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 20), RAFT_OK);
	fx_heal(&f);
	fx_reset_counts(&f);
	for (i = 0; i < 3; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	st = unit_status(&f, 3);
	CHECK_EQ(st.first_index, 21);
	CHECK_EQ(st.commit, unit_status(&f, 1).commit);
	CHECK_EQ(fx_node(&f, 3)->snap.index, 20);
	CHECK_EQ(fx_node(&f, 3)->snap.conf.n, 3);
	CHECK(fx_has_applied(&f, 3, "b19"));
	CHECK(!fx_has_applied(&f, 3, "b0"));
	raft_report_snapshot(fx_raft(&f, 1), 3, true);
	fill(&f, 1, "c", 3);
	CHECK(fx_has_applied(&f, 3, "c2"));
	CHECK_EQ(unit_status(&f, 1).progress[2].state,
		 RAFT_PROGRESS_PIPELINE);
	/* restart from snapshot + log */
	fx_restart(&f, 3);
	st = unit_status(&f, 3);
	CHECK_EQ(st.first_index, 21);
	CHECK_EQ(st.last_index, unit_status(&f, 1).last_index);
	CHECK_EQ(st.conf.n, 3);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 3, "c2"));
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

/* A failed snapshot transfer is retried. */
static void test_snapshot_failure_retried(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_isolate(&f, 3, true);
	fill(&f, 1, "b", 10);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 8), RAFT_OK);
	fx_heal(&f);
	fx_tick(&f, 1, 1);
	fx_ready_all(&f);
	for (i = 0; i < 10 && !fx_count_queued(&f, RAFT_MSG_SNAPSHOT); i++) {
		fx_deliver(&f);
		fx_ready_all(&f);
	}
	/* the transfer is lost */
	CHECK(fx_drop(&f, 1, 3, RAFT_MSG_SNAPSHOT) == 1);
	CHECK_EQ(unit_status(&f, 1).progress[2].state,
		 RAFT_PROGRESS_SNAPSHOT);
	raft_report_snapshot(fx_raft(&f, 1), 3, false);
	CHECK_EQ(unit_status(&f, 1).progress[2].state, RAFT_PROGRESS_PROBE);
	for (i = 0; i < 3; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_has_applied(&f, 3, "b9"));
	fx_fini(&f);
}

/* A learner added after compaction starts from the snapshot. */
static void test_learner_from_snapshot(void)
{
	struct raft_conf_change cc;
	struct fx f;
	u32 i;

	fx_init(&f, 2, 1, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 10);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 11), RAFT_OK);
	memset(&cc, 0, sizeof(cc));
	cc.op = RAFT_CONF_ADD_LEARNER;
	cc.id = 2;
	CHECK_EQ(raft_change_conf(fx_raft(&f, 1), &cc), RAFT_OK);
	for (i = 0; i < 3; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_node(&f, 2)->snap.index, 11);
	CHECK_EQ(unit_status(&f, 2).commit, 12);
	CHECK_EQ(unit_status(&f, 2).conf.n, 2);
	cc.op = RAFT_CONF_PROMOTE;
	CHECK_EQ(raft_change_conf(fx_raft(&f, 1), &cc), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 13);
	fx_fini(&f);
}

/* The follower fails to install the snapshot: it is handed out again,
 * and the follower ignores appends meanwhile.
 */
static void test_snapshot_install_failure(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_isolate(&f, 3, true);
	fill(&f, 1, "b", 10);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 8), RAFT_OK);
	fx_heal(&f);
	fx_node(&f, 3)->disk_broken = true;
	for (i = 0; i < 3; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK(!fx_has_applied(&f, 3, "b9"));
	CHECK(fx_node(&f, 3)->snap.index == 0);
	fx_node(&f, 3)->disk_broken = false;
	for (i = 0; i < 3; i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_node(&f, 3)->snap.index, 8);
	CHECK(fx_has_applied(&f, 3, "b9"));
	fx_fini(&f);
}

/*
 * Issue 9 defect 6: a follower whose snapshot install never completes
 * (the caller cannot ship the data, or the copy hangs) must still grant
 * its vote once the vote is durable: after the leader crashes, the two
 * survivors elect a leader.
 */
static void test_stalled_install_still_votes(void)
{
	struct raft_status st;
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 5);
	fx_isolate(&f, 3, true);
	fill(&f, 1, "b", 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 20), RAFT_OK);
	fx_node(&f, 3)->snap_stall = true;
	fx_heal(&f);
	for (i = 0; i < 3; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	st = unit_status(&f, 3);
	CHECK_EQ(st.first_index, 21);
	CHECK_EQ(st.applied, 6);
	CHECK_EQ(st.waiting, RAFT_WAIT_SNAPSHOT);
	CHECK_EQ(st.wait_index, 20);
	CHECK_EQ(unit_status(&f, 2).waiting, RAFT_WAIT_NONE);
	/* it still answers heartbeats: the leader keeps its quorum */
	for (i = 0; i < 30; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_leader(&f), 1);
	fx_crash(&f, 1);
	fx_reset_counts(&f);
	for (i = 0; i < 200 && fx_leader(&f) == RAFT_NONE; i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_leader(&f), 2);
	CHECK(f.sent[RAFT_MSG_VOTE_RESP] >= 1);
	/* still paused: it refuses the new leader's appends */
	CHECK_EQ(unit_status(&f, 3).waiting, RAFT_WAIT_SNAPSHOT);
	fx_fini(&f);
}

/* Leader 1 ticks and everyone answers, n rounds. */
static void rounds(struct fx *f, u32 n)
{
	while (n--) {
		fx_tick(f, 1, 1);
		fx_stabilize(f);
	}
}

/*
 * Resync after an interrupted copy: node 3 gets a SNAPSHOT (a delta from
 * its applied index), the copy never ends, it gives up and resets its
 * log: it asks for a new resync from the same base, never campaigns,
 * and installs the next snapshot.
 */
static void test_reset_log_resync(void)
{
	struct raft_status st;
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 5);
	fx_isolate(&f, 3, true);
	fill(&f, 1, "b", 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 20), RAFT_OK);
	fx_node(&f, 3)->snap_stall = true;
	fx_heal(&f);
	rounds(&f, 3);
	/* the SNAPSHOT carries the base 3 reported when it rejected */
	CHECK_EQ(f.last_snap.snap.index, 20);
	CHECK_EQ(f.last_snap.commit, 6);
	CHECK_EQ(fx_node(&f, 3)->snap_base, 6);
	st = unit_status(&f, 1);
	CHECK_EQ(st.progress[2].state, RAFT_PROGRESS_SNAPSHOT);
	CHECK_EQ(st.progress[2].pending_snap, 20);
	CHECK_EQ(st.progress[2].base, 6);
	/* no promotion, no transfer to a node being resynced */
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 3), RAFT_EBUSY);
	/* the copy stopped: 3 gives up; the leader's copy failed */
	CHECK_EQ(raft_reset_log(fx_raft(&f, 3), 27), RAFT_EINVAL);
	CHECK_EQ(raft_reset_log(fx_raft(&f, 1), 6), RAFT_EINVAL);
	CHECK_EQ(raft_reset_log(fx_raft(&f, 3), 6), RAFT_OK);
	st = unit_status(&f, 3);
	CHECK_EQ(st.waiting, RAFT_WAIT_RESYNC);
	CHECK_EQ(st.wait_index, 6);
	CHECK_EQ(st.last_index, 20);	/* votes by the snapshot it had */
	CHECK_EQ(raft_campaign(fx_raft(&f, 3)), RAFT_EINVAL);
	raft_report_snapshot(fx_raft(&f, 1), 3, false);
	fx_reset_counts(&f);
	fx_node(&f, 3)->snap_stall = false;
	rounds(&f, 4);
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	CHECK_EQ(f.last_snap.commit, 6);
	CHECK_EQ(fx_node(&f, 3)->snap.index, 20);
	raft_report_snapshot(fx_raft(&f, 1), 3, true);
	fill(&f, 1, "c", 3);
	CHECK(fx_has_applied(&f, 3, "c2"));
	st = unit_status(&f, 3);
	CHECK_EQ(st.waiting, RAFT_WAIT_NONE);
	CHECK_EQ(unit_status(&f, 1).progress[2].resync, false);
	/* a node that reset never campaigns, whatever the ticks */
	fx_node(&f, 3)->snap_stall = true;
	CHECK_EQ(raft_reset_log(fx_raft(&f, 3), st.applied), RAFT_OK);
	fx_tick(&f, 3, 100);
	fx_ready_all(&f);
	CHECK_EQ(unit_status(&f, 3).role, RAFT_FOLLOWER);
	CHECK_EQ(fx_count_queued(&f, RAFT_MSG_PREVOTE), 0);
	CHECK_EQ(fx_count_queued(&f, RAFT_MSG_VOTE), 0);
	fx_fini(&f);
}

/*
 * Issue 11: one copy per resync. A follower that reset its log gets a
 * snapshot; a caller that reports the copy sent before the follower
 * acknowledged it (the kernel did, when it queued the last frame) must
 * not make the leader start a second copy, neither while the follower
 * still installs the first nor once it acknowledged it (the follower's
 * "needs a resync" mark outlived the copy: a delta from S came right
 * after every such copy).
 */
static void test_one_copy_per_resync(void)
{
	struct raft_status st;
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 20);
	/* 3 found its data area incomplete (a copy broke off): it resets */
	fx_node(&f, 3)->snap_stall = true;
	CHECK_EQ(raft_reset_log(fx_raft(&f, 3), 6), RAFT_OK);
	fx_reset_counts(&f);
	for (i = 0; i < 10 && !f.sent[RAFT_MSG_SNAPSHOT]; i++) {
		CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_OK);
		fx_ready_all(&f);
		fx_deliver(&f);
	}
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	CHECK_EQ(f.last_snap.commit, 6);
	st = unit_status(&f, 1);
	CHECK(st.progress[2].resync);
	CHECK_EQ(st.progress[2].state, RAFT_PROGRESS_SNAPSHOT);
	/* every chunk sent, reported before 3 installed it */
	raft_report_snapshot(fx_raft(&f, 1), 3, true);
	rounds(&f, 5);
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	CHECK_EQ(unit_status(&f, 3).waiting, RAFT_WAIT_SNAPSHOT);
	/* 3 installs it and acknowledges S: replication goes on, no copy */
	fx_finish_install(&f, 3);
	rounds(&f, 5);
	fill(&f, 1, "c", 3);
	rounds(&f, 5);
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	CHECK(fx_has_applied(&f, 3, "c2"));
	st = unit_status(&f, 1);
	CHECK_EQ(st.progress[2].resync, false);
	CHECK_EQ(st.progress[2].state, RAFT_PROGRESS_PIPELINE);
	CHECK_EQ(st.progress[2].match, st.last_index);
	fx_fini(&f);
}

/*
 * A node that reset a log more recent than the leader's compaction point
 * gets a snapshot at the leader's applied index: one at the compaction
 * point would let it vote by an older log than the one it acknowledged.
 */
static void test_reset_snapshot_above_floor(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 10), RAFT_OK);
	CHECK_EQ(unit_status(&f, 3).applied, 21);
	fx_node(&f, 3)->snap_stall = true;
	CHECK_EQ(raft_reset_log(fx_raft(&f, 3), 21), RAFT_OK);
	fx_reset_counts(&f);
	fill(&f, 1, "b", 1);
	rounds(&f, 2);
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	/* the end of 3's log (the compaction point is 10) */
	CHECK_EQ(f.last_snap.snap.index, 21);
	CHECK_EQ(f.last_snap.snap.conf.n, 3);
	CHECK_EQ(f.last_snap.commit, 21);
	CHECK_EQ(fx_node(&f, 3)->snap_base, 21);
	fx_fini(&f);
}

/*
 * The vote floor: node 3 acknowledged entries node 2 lacks, then reset
 * its log. After the leader crashes, 3 must not help 2 win (2's log
 * lacks committed entries); with a log reset to empty it would.
 */
static void test_reset_keeps_vote_floor(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 3);
	fx_isolate(&f, 2, true);
	fill(&f, 1, "b", 5);
	CHECK(fx_has_applied(&f, 3, "b4"));
	CHECK(!fx_has_applied(&f, 2, "b4"));
	CHECK_EQ(raft_reset_log(fx_raft(&f, 3), 9), RAFT_OK);
	fx_crash(&f, 1);
	fx_heal(&f);
	fx_reset_counts(&f);
	for (i = 0; i < 100; i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_leader(&f), RAFT_NONE);
	CHECK(f.sent[RAFT_MSG_PREVOTE] + f.sent[RAFT_MSG_VOTE] > 0);
	/* the leader comes back: it is elected, 3 resyncs */
	fx_restart(&f, 1);
	for (i = 0; i < 100 && fx_leader(&f) != 1; i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_leader(&f), 1);
	fill(&f, 1, "c", 2);
	CHECK(fx_has_applied(&f, 3, "c1"));
	CHECK(fx_has_applied(&f, 2, "c1"));
	fx_fini(&f);
}

/* A learner being resynced is not promoted. */
static void test_learner_resync_not_promoted(void)
{
	struct raft_conf_change cc;
	struct fx f;

	fx_init(&f, 2, 1, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 10);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 11), RAFT_OK);
	fx_node(&f, 2)->snap_stall = true;
	memset(&cc, 0, sizeof(cc));
	cc.op = RAFT_CONF_ADD_LEARNER;
	cc.id = 2;
	CHECK_EQ(raft_change_conf(fx_raft(&f, 1), &cc), RAFT_OK);
	rounds(&f, 3);
	CHECK_EQ(f.last_snap.commit, 0);	/* blank: a full copy */
	cc.op = RAFT_CONF_PROMOTE;
	CHECK_EQ(raft_change_conf(fx_raft(&f, 1), &cc), RAFT_EBUSY);
	fx_fini(&f);
}

/*
 * Issue 11, delta defect 2: once the follower acknowledges a snapshot at
 * S (the caller reported the copy sent before the ack came, as the
 * kernel does), the leader's next snapshot to it is a delta from S, not
 * from the base it reported before the copy (here 6).
 */
static void test_base_raised_on_install(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 5);
	fx_isolate(&f, 3, true);
	fill(&f, 1, "b", 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 20), RAFT_OK);
	fx_heal(&f);
	fx_tick(&f, 1, 1);
	fx_ready_all(&f);
	for (i = 0; i < 10 && !fx_count_queued(&f, RAFT_MSG_SNAPSHOT); i++) {
		fx_deliver(&f);
		fx_ready_all(&f);
	}
	CHECK_EQ(f.last_snap.snap.index, 20);
	CHECK_EQ(f.last_snap.commit, 6);
	/* the copy is sent: reported before the follower's ack */
	raft_report_snapshot(fx_raft(&f, 1), 3, true);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 3)->snap.index, 20);
	CHECK_EQ(unit_status(&f, 1).progress[2].base, 20);
	/* away again while the leader compacts past it: a delta from 20 */
	fx_isolate(&f, 3, true);
	fill(&f, 1, "c", 10);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 30), RAFT_OK);
	raft_report_unreachable(fx_raft(&f, 1), 3);
	fx_heal(&f);
	fx_reset_counts(&f);
	fx_node(&f, 3)->snap_stall = true;
	for (i = 0; i < 5 && !f.sent[RAFT_MSG_SNAPSHOT]; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	CHECK_EQ(f.last_snap.snap.index, 30);
	CHECK(f.last_snap.commit >= 20);
	fx_fini(&f);
}

/*
 * Issue 11, delta defect 1 (core part): a follower back from a restart
 * that the leader sends a snapshot without ever having seen a rejection
 * from it (its progress went back to probing at match + 1, below the
 * compaction point) gets a delta from the base its heartbeat answer
 * carries, not a full copy from base 0.
 */
static void test_restarted_follower_base(void)
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fill(&f, 1, "a", 5);
	CHECK_EQ(unit_status(&f, 3).applied, 6);
	CHECK_EQ(unit_status(&f, 1).progress[2].base, 0);	/* never rejected */
	fx_crash(&f, 3);
	fill(&f, 1, "b", 20);
	CHECK_EQ(raft_compact(fx_raft(&f, 1), 20), RAFT_OK);
	raft_report_unreachable(fx_raft(&f, 1), 3);
	fx_restart(&f, 3);
	fx_node(&f, 3)->snap_stall = true;
	fx_ready_all(&f);	/* 3 replays its log up to its commit */
	CHECK_EQ(unit_status(&f, 3).applied, 6);
	fx_reset_counts(&f);
	for (i = 0; i < 5 && !f.sent[RAFT_MSG_SNAPSHOT]; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(f.sent[RAFT_MSG_SNAPSHOT], 1);
	CHECK_EQ(f.last_snap.snap.index, 20);
	CHECK_EQ(f.last_snap.commit, 6);
	CHECK_EQ(fx_node(&f, 3)->snap_base, 6);
	fx_fini(&f);
}

const struct unit_test snapshot_tests[] = {
	{ "resync: the base rises to S once the install is acknowledged",
	  test_base_raised_on_install },
	{ "resync: a restarted follower's heartbeat answer carries its base",
	  test_restarted_follower_base },
	{ "snapshot: failed install retried", test_snapshot_install_failure },
	{ "snapshot: compaction bounds", test_compact },
	{ "snapshot: payload bytes held, memory-bound cut", test_log_bytes },
	{ "snapshot: lagging follower installs, restarts",
	  test_snapshot_to_lagging_follower },
	{ "snapshot: failed transfer retried",
	  test_snapshot_failure_retried },
	{ "snapshot: learner added after compaction",
	  test_learner_from_snapshot },
	{ "snapshot: a stalled install still grants votes (issue 9 #6)",
	  test_stalled_install_still_votes },
	{ "resync: interrupted copy, log reset, new resync from the same base",
	  test_reset_log_resync },
	{ "resync: snapshot at least as recent as the reset log",
	  test_reset_snapshot_above_floor },
	{ "resync: one copy per resync, reported before the ack",
	  test_one_copy_per_resync },
	{ "resync: a reset log keeps its vote floor",
	  test_reset_keeps_vote_floor },
	{ "resync: a learner being resynced is not promoted",
	  test_learner_resync_not_promoted },
	{ NULL, NULL },
};
