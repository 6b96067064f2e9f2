// SPDX-License-Identifier: GPL-2.0
/*
 * test_transfer_read.c - leadership transfer (TimeoutNow), ReadIndex and
 * lease reads.
 */
#include "unit.h"

static void lease(struct raft_options *o)
{
	o->lease_read = true;
	o->lease_restart_wait = true;
}

static bool read_at_once(struct fx *f, raft_id id, u64 ctx);

/* Transfer to an up-to-date follower. */
static void test_transfer(void)
{
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	t = unit_status(&f, 1).term;
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 2), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 2);
	CHECK_EQ(unit_status(&f, 2).term, t + 1);
	CHECK_EQ(unit_status(&f, 1).leader, 2);
	CHECK_EQ(fx_propose(&f, 2, "x"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 1, "x"));
	/* bad targets */
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 2), 2), RAFT_EINVAL);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 2), 9), RAFT_EINVAL);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 3),
		 RAFT_ENOTLEADER);
	fx_fini(&f);
}

/* Transfer to a node that lags far behind: the leader catches it up
 * first and refuses proposals meanwhile.
 */
static void test_transfer_to_lagging(void)
{
	char buf[16];
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_isolate(&f, 3, true);
	for (i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "e%u", i);
		CHECK_EQ(fx_propose(&f, 1, buf), RAFT_OK);
		if (i % 10 == 0)
			fx_stabilize(&f);
	}
	fx_stabilize(&f);
	fx_heal(&f);
	CHECK_EQ(unit_status(&f, 3).last_index, 1);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 3), RAFT_OK);
	CHECK_EQ(fx_propose(&f, 1, "refused"), RAFT_EBUSY);
	for (i = 0; i < 5 && fx_leader(&f) != 3; i++) {
		fx_tick(&f, 1, 1);
		fx_stabilize(&f);
	}
	CHECK_EQ(fx_leader(&f), 3);
	CHECK(fx_has_applied(&f, 3, "e99"));
	CHECK_EQ(fx_propose(&f, 3, "after"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 1, "after"));
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

/* A transfer to an unreachable node is aborted after an election
 * timeout and the leader accepts proposals again.
 */
static void test_transfer_aborted(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_isolate(&f, 3, true);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 3), RAFT_OK);
	CHECK_EQ(unit_status(&f, 1).transferee, 3);
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_EBUSY);
	fx_tick(&f, 1, 9);
	fx_stabilize(&f);
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_EBUSY);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).transferee, RAFT_NONE);
	CHECK_EQ(fx_leader(&f), 1);
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "b"));
	fx_fini(&f);
}

/* ReadIndex: the read point is the commit index, released once a quorum
 * confirmed the leadership; nothing is released by a cut-off leader.
 */
static void test_read_index(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(raft_read_index(fx_raft(&f, 1), 42), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 0);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 1);
	CHECK_EQ(fx_node(&f, 1)->reads[0].context, 42);
	CHECK_EQ(fx_node(&f, 1)->reads[0].index, 2);
	CHECK_EQ(raft_read_index(fx_raft(&f, 2), 1), RAFT_ENOTLEADER);
	/* cut off: never confirmed */
	fx_isolate(&f, 1, true);
	CHECK_EQ(raft_read_index(fx_raft(&f, 1), 43), RAFT_OK);
	fx_tick(&f, 1, 3);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 1);
	/* one follower answering is enough (2 of 3) */
	fx_heal(&f);
	fx_isolate(&f, 3, true);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 2);
	CHECK_EQ(fx_node(&f, 1)->reads[1].context, 43);
	fx_fini(&f);
}

/* A new leader serves reads only after committing an entry of its term. */
static void test_read_index_new_leader(void)
{
	struct fx f;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 2), RAFT_OK);
	fx_ready_all(&f);
	fx_deliver(&f);		/* TIMEOUT_NOW */
	fx_ready_all(&f);
	fx_deliver(&f);		/* VOTE */
	fx_ready_all(&f);
	fx_deliver(&f);		/* VOTE_RESP */
	CHECK_EQ(unit_status(&f, 2).role, RAFT_LEADER);
	CHECK_EQ(raft_read_index(fx_raft(&f, 2), 7), RAFT_OK);
	fx_ready(&f, 2);
	CHECK_EQ(fx_node(&f, 2)->n_reads, 0);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 2)->n_reads, 1);
	CHECK_EQ(fx_node(&f, 2)->reads[0].index, 2);	/* its no-op */
	fx_fini(&f);
}

/* Lease reads: answered at once while the lease holds, by a round trip
 * once it expired.
 */
static void test_lease_read(void)
{
	struct fx f;
	u32 sent;

	fx_init(&f, 3, 3, lease);
	fx_elect(&f, 1);
	fx_tick(&f, 1, 1);	/* heartbeat round acknowledged */
	fx_stabilize(&f);
	fx_reset_counts(&f);
	CHECK_EQ(raft_read_index(fx_raft(&f, 1), 5), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 1);
	CHECK_EQ(f.sent[RAFT_MSG_HEARTBEAT], 0);
	/* the leader is cut off: the lease runs out, no more answers */
	fx_isolate(&f, 1, true);
	fx_tick(&f, 1, 8);
	fx_stabilize(&f);
	sent = f.sent[RAFT_MSG_HEARTBEAT];
	CHECK_EQ(raft_read_index(fx_raft(&f, 1), 6), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 1);
	CHECK(f.sent[RAFT_MSG_HEARTBEAT] > sent);
	fx_fini(&f);
}

/* After sending TIMEOUT_NOW a leader serves no lease reads: the
 * transfer's votes ignore the voters' lease.
 */
static void test_no_lease_after_timeout_now(void)
{
	struct fx f;

	fx_init(&f, 3, 3, lease);
	fx_elect(&f, 1);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(raft_transfer_leader(fx_raft(&f, 1), 2), RAFT_OK);
	fx_ready_all(&f);
	/* TIMEOUT_NOW is on its way; 1 is still leader, lease fresh */
	CHECK_EQ(fx_count_queued(&f, RAFT_MSG_TIMEOUT_NOW), 1);
	CHECK(!read_at_once(&f, 1, 8));
	CHECK_EQ(raft_read_index(fx_raft(&f, 1), 9), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 0);
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 2);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 0);	/* dropped, never stale */
	fx_fini(&f);
}

/* Lease reads switched on online on the leader only (raftctl set
 * --read-mode lease); every node started with lease_restart_wait, as
 * kernel/node.c starts them.
 */
static void restart_wait(struct raft_options *o)
{
	o->lease_restart_wait = true;
}

/* A voter that restarts right after acknowledging the leader keeps
 * honouring its lease: no other leader while lease reads may be served.
 */
static void lease_survives_voter_restart(void (*opts_fn)(struct raft_options *))
{
	struct fx f;
	u32 i;

	fx_init(&f, 3, 3, opts_fn);
	fx_elect(&f, 1);
	CHECK_EQ(raft_set_timing(fx_raft(&f, 1), 1, 10, true), RAFT_OK);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	fx_restart(&f, 2);
	/* 1 is cut off from 3; 3 tries to take over with 2's vote */
	fx_isolate(&f, 1, true);
	for (i = 0; i < 3; i++) {
		raft_campaign(fx_raft(&f, 3));
		fx_stabilize(&f);
		fx_tick(&f, 1, 1);
		fx_tick(&f, 2, 1);
		fx_stabilize(&f);
		CHECK(unit_status(&f, 3).role != RAFT_LEADER);
		CHECK_EQ(raft_read_index(fx_raft(&f, 1), 100 + i), RAFT_OK);
		fx_stabilize(&f);
	}
	/* once the lease is over the others may elect; meanwhile the old
	 * leader never answers a read on its own
	 */
	for (i = 0; i < 40; i++) {
		bool other = false;
		u32 k;

		fx_tick_all(&f, 1);
		fx_stabilize(&f);
		for (k = 2; k <= 3; k++)
			other |= unit_status(&f, k).role == RAFT_LEADER;
		if (other && unit_status(&f, 1).role == RAFT_LEADER) {
			u32 n = fx_node(&f, 1)->n_reads;

			CHECK_EQ(raft_read_index(fx_raft(&f, 1), 7), RAFT_OK);
			fx_ready(&f, 1);
			CHECK_EQ(fx_node(&f, 1)->n_reads, n);
		}
	}
	CHECK(unit_status(&f, 2).role == RAFT_LEADER ||
	      unit_status(&f, 3).role == RAFT_LEADER);
	fx_fini(&f);
}

static void test_lease_survives_voter_restart(void)
{
	lease_survives_voter_restart(lease);
}

/* The restarted voter's own read mode does not matter: it protects the
 * leader's lease (the core asked for lease_read on the voter too).
 */
static void test_lease_survives_voter_restart_any_mode(void)
{
	lease_survives_voter_restart(restart_wait);
}

/*
 * Read at once? (a lease read leaves a read state in the next ready).
 * raft_read_lease(), the answer outside the ready cycle, agrees.
 */
static bool read_at_once(struct fx *f, raft_id id, u64 ctx)
{
	u32 n = fx_node(f, id)->n_reads;
	raft_index idx = 0;
	bool now = raft_read_lease(fx_raft(f, id), &idx);

	if (now)
		CHECK_EQ(idx, unit_status(f, id).commit);
	CHECK_EQ(raft_read_index(fx_raft(f, id), ctx), RAFT_OK);
	fx_ready(f, id);
	CHECK_EQ(fx_node(f, id)->n_reads > n, now);
	return fx_node(f, id)->n_reads > n;
}

/* Deliver everything but node id's APPENDs until the network is quiet. */
static void stabilize_no_append(struct fx *f, raft_id id)
{
	u32 i;

	for (i = 0; i < 50; i++) {
		fx_ready_all(f);
		fx_drop(f, id, 0, RAFT_MSG_APPEND);
		if (!fx_deliver(f))
			break;
	}
}

/*
 * raft_read_lease() answers at the commit index only on a leader that
 * holds a lease and committed an entry of its own term; when it says
 * no, nothing was registered (no read state, no heartbeat round).
 */
static void test_read_lease_at_once(void)
{
	struct fx f;
	raft_index idx = 0;
	struct raft *r;
	u32 i;

	fx_init(&f, 3, 3, lease);
	fx_elect(&f, 1);
	r = fx_raft(&f, 1);
	CHECK(!raft_read_lease(NULL, &idx));
	CHECK(!raft_read_lease(r, NULL));
	CHECK(!raft_read_lease(fx_raft(&f, 2), &idx));	/* a follower */
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	fx_reset_counts(&f);
	fx_node(&f, 1)->n_reads = 0;
	CHECK(raft_read_lease(r, &idx));
	CHECK_EQ(idx, unit_status(&f, 1).commit);
	CHECK(fx_has_applied(&f, 1, "a"));
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 0);
	CHECK_EQ(f.sent[RAFT_MSG_HEARTBEAT], 0);

	/* ReadIndex mode: never at once */
	CHECK_EQ(raft_set_timing(r, 1, 10, false), RAFT_OK);
	CHECK(!raft_read_lease(r, &idx));
	CHECK_EQ(raft_set_timing(r, 1, 10, true), RAFT_OK);
	CHECK(!raft_read_lease(r, &idx));	/* the switch dropped it */
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(raft_read_lease(r, &idx));

	/*
	 * 2 takes over (a transfer), its APPENDs dropped: it holds a
	 * lease (a heartbeat round answered) but no entry of its term
	 * committed; its commit index may be behind what 1 committed.
	 */
	CHECK_EQ(raft_transfer_leader(r, 2), RAFT_OK);
	stabilize_no_append(&f, 2);
	CHECK(unit_status(&f, 2).role == RAFT_LEADER);
	fx_tick(&f, 2, 1);
	stabilize_no_append(&f, 2);
	CHECK(!raft_read_lease(fx_raft(&f, 2), &idx));
	fx_node(&f, 2)->n_reads = 0;
	CHECK_EQ(raft_read_index(fx_raft(&f, 2), 7), RAFT_OK);
	fx_ready(&f, 2);
	CHECK_EQ(fx_node(&f, 2)->n_reads, 0);
	/* its no-op commits (sent again on the next round): at once now */
	fx_tick(&f, 2, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 2)->n_reads, 1);
	CHECK(raft_read_lease(fx_raft(&f, 2), &idx));
	CHECK_EQ(idx, unit_status(&f, 2).commit);
	/* the old leader, a follower now, answers none */
	CHECK(!raft_read_lease(r, &idx));

	/*
	 * 2 is cut off and its clock stands still (more drift than the
	 * margin covers) while 1 and 3 elect a leader; once 2 hears of the
	 * new term it is a follower and answers nothing, whatever its
	 * leases say.
	 */
	fx_isolate(&f, 2, true);
	for (i = 0; i < 60 && unit_status(&f, 1).role != RAFT_LEADER &&
	     unit_status(&f, 3).role != RAFT_LEADER; i++) {
		fx_tick(&f, 1, 1);
		fx_tick(&f, 3, 1);
		fx_stabilize(&f);
	}
	CHECK(unit_status(&f, 1).role == RAFT_LEADER ||
	      unit_status(&f, 3).role == RAFT_LEADER);
	CHECK(unit_status(&f, 2).role == RAFT_LEADER);	/* it has not heard */
	fx_isolate(&f, 2, false);
	fx_tick(&f, unit_status(&f, 1).role == RAFT_LEADER ? 1 : 3, 1);
	fx_stabilize(&f);
	CHECK(unit_status(&f, 2).role == RAFT_FOLLOWER);
	CHECK(!raft_read_lease(fx_raft(&f, 2), &idx));
	fx_fini(&f);
}

/*
 * raft_read_lease_end(), what the node driver publishes for reads served
 * in queue_rq: true exactly when raft_read_lease() answers, at the same
 * index (the floor); its end is the instant the core's own lease runs
 * out (checked on both sides of it); a TIMEOUT_NOW withdraws it as soon
 * as raft_transfer_leader() returns (before the message is even handed
 * out), and so does the ReadIndex mode and a step-down.
 */
static void test_read_lease_end(void)
{
	struct raft_lease_info li, li2;
	raft_index idx = 0;
	struct raft *r;
	struct fx f;
	u64 t;

	fx_init(&f, 3, 3, lease);
	fx_elect(&f, 1);
	r = fx_raft(&f, 1);
	CHECK(!raft_read_lease_end(NULL, &li));
	CHECK(!raft_read_lease_end(r, NULL));
	li.end = 1;
	CHECK(!raft_read_lease_end(fx_raft(&f, 2), &li));	/* a follower */
	CHECK_EQ(li.end, 0);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(raft_read_lease(r, &idx));
	CHECK(raft_read_lease_end(r, &li));
	CHECK_EQ(li.floor, idx);
	CHECK_EQ(li.floor, unit_status(&f, 1).commit);
	CHECK_EQ(li.term, unit_status(&f, 1).term);
	CHECK_EQ(li.at, fx_node(&f, 1)->clock_ns);
	CHECK(li.end > li.at);
	CHECK(li.stall > 0);

	/* up to just before end the core answers, from end on it does not */
	for (t = li.at; t + li.stall / 2 < li.end - 1; t += li.stall / 2) {
		raft_set_now(r, t);
		CHECK(raft_read_lease_end(r, &li2));
		CHECK_EQ(li2.end, li.end);
	}
	raft_set_now(r, li.end - 1);
	CHECK(raft_read_lease(r, &idx));
	CHECK(raft_read_lease_end(r, &li2));
	raft_set_now(r, li.end);
	CHECK(!raft_read_lease(r, &idx));
	CHECK(!raft_read_lease_end(r, &li2));
	CHECK_EQ(li2.end, 0);
	fx_node(&f, 1)->clock_ns = li.end;

	/* renewed by the next round; the floor follows the commit index */
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(raft_read_lease_end(r, &li2));
	CHECK(li2.end > li.end);
	CHECK(li2.floor > li.floor);
	CHECK_EQ(li2.floor, unit_status(&f, 1).commit);

	/* ReadIndex mode: never */
	CHECK_EQ(raft_set_timing(r, 1, 10, false), RAFT_OK);
	CHECK(!raft_read_lease_end(r, &li2));
	CHECK_EQ(raft_set_timing(r, 1, 10, true), RAFT_OK);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(raft_read_lease_end(r, &li2));

	/* a transfer to an up-to-date node: withdrawn before it is sent */
	CHECK_EQ(raft_transfer_leader(r, 2), RAFT_OK);
	CHECK(unit_status(&f, 1).role == RAFT_LEADER);
	CHECK(!raft_read_lease_end(r, &li2));
	fx_stabilize(&f);
	CHECK(unit_status(&f, 2).role == RAFT_LEADER);
	CHECK(!raft_read_lease_end(r, &li2));		/* a follower now */
	fx_tick(&f, 2, 1);
	fx_stabilize(&f);
	CHECK(raft_read_lease_end(fx_raft(&f, 2), &li2));
	CHECK_EQ(li2.floor, unit_status(&f, 2).commit);
	fx_fini(&f);
}

static void lease_long(struct raft_options *o)
{
	o->lease_read = true;
	o->lease_restart_wait = true;
	o->election_ticks = 12000;	/* 600 s of 50 ms ticks, scaled */
}

/*
 * The lease is measured on the clock: it ends at the round's send time +
 * election timeout - margin, margin = timeout / 8 + one tick, whatever
 * the timeout (a fixed 2-tick margin was 10% at 20 ticks and nothing at
 * 600 s). The fixture's ticks are 1 ms.
 */
static void test_lease_clock_margin(void)
{
	struct fx f;

	/* 10 ticks: the lease lasts 10 - 1.25 - 1 = 7.75 ms after the send */
	fx_init(&f, 3, 3, lease);
	fx_elect(&f, 1);
	fx_tick(&f, 1, 1);	/* round sent at t0, answered */
	fx_stabilize(&f);
	fx_isolate(&f, 1, true);
	fx_tick(&f, 1, 7);	/* t0 + 7 ms */
	fx_stabilize(&f);
	CHECK(read_at_once(&f, 1, 1));
	fx_tick(&f, 1, 1);	/* t0 + 8 ms */
	fx_stabilize(&f);
	CHECK(!read_at_once(&f, 1, 2));
	fx_fini(&f);

	/* 12000 ticks: 12000 - 1500 - 1 = 10499 ms */
	fx_init(&f, 3, 3, lease_long);
	fx_elect(&f, 1);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	fx_isolate(&f, 1, true);
	fx_tick(&f, 1, 10498);
	fx_stabilize(&f);
	CHECK(read_at_once(&f, 1, 1));
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(!read_at_once(&f, 1, 2));
	fx_tick(&f, 1, 1000);	/* 2 ticks short of the timeout */
	fx_stabilize(&f);
	CHECK(!read_at_once(&f, 1, 3));
	fx_fini(&f);
}

/*
 * A stall of the leader's thread longer than the margin (its clock ran
 * on, no tick counted) drops every lease, even one the clock alone would
 * still allow; answers to rounds sent before the stall make no new one.
 * A round sent after the stall renews it.
 */
static void test_lease_stall(void)
{
	struct fx f;

	fx_init(&f, 3, 3, lease);
	fx_elect(&f, 1);
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(read_at_once(&f, 1, 1));
	/* a gap just under the margin (2.25 ms) keeps the lease */
	fx_stall(&f, 1, 1000000);
	fx_tick(&f, 1, 1);	/* the round it sends is not delivered yet */
	CHECK(read_at_once(&f, 1, 2));
	fx_drop(&f, 1, 0, RAFT_MSG_HEARTBEAT);
	/* a 4 ms gap: over the margin, though t0 + 6 ms < t0 + 7.75 ms */
	fx_stall(&f, 1, 3000000);
	fx_tick(&f, 1, 1);
	CHECK(!read_at_once(&f, 1, 3));
	fx_stabilize(&f);	/* the ReadIndex round confirms read 3 */
	CHECK_EQ(fx_node(&f, 1)->n_reads, 3);

	/* a round sent, the thread stalls, the answers come after */
	fx_tick(&f, 1, 1);
	fx_ready(&f, 1);	/* HEARTBEATs out */
	fx_deliver_filter(&f, 1, 0, RAFT_MSG_HEARTBEAT);
	fx_ready_all(&f);	/* answers queued for 1 */
	fx_stall(&f, 1, 3000000);
	fx_tick(&f, 1, 1);	/* 1 sees the gap */
	fx_drop(&f, 1, 0, RAFT_MSG_HEARTBEAT);
	fx_deliver_filter(&f, 0, 1, RAFT_MSG_HEARTBEAT_RESP);
	CHECK(!read_at_once(&f, 1, 4));
	fx_stabilize(&f);
	/* after a round sent since the stall, leases again */
	fx_tick(&f, 1, 1);
	fx_stabilize(&f);
	CHECK(read_at_once(&f, 1, 5));
	fx_fini(&f);
}

/* Timers and read mode changed on a running node. */
static void test_set_timing(void)
{
	struct raft *r;
	struct fx f;
	u32 sent;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	r = fx_raft(&f, 1);
	CHECK_EQ(raft_set_timing(r, 0, 10, false), RAFT_EINVAL);
	CHECK_EQ(raft_set_timing(r, 10, 10, false), RAFT_EINVAL);
	CHECK_EQ(raft_set_timing(NULL, 1, 10, false), RAFT_EINVAL);

	/* a heartbeat every 3 ticks instead of every tick */
	CHECK_EQ(raft_set_timing(r, 3, 30, false), RAFT_OK);
	fx_stabilize(&f);
	fx_reset_counts(&f);
	fx_tick(&f, 1, 6);
	fx_stabilize(&f);
	CHECK_EQ(f.sent[RAFT_MSG_HEARTBEAT], 2 * 2);

	/* ReadIndex: a read waits for a round trip */
	CHECK_EQ(raft_read_index(r, 1), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 0);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 1);

	/* lease reads switched on: answered at once after a round */
	CHECK_EQ(raft_set_timing(r, 3, 30, true), RAFT_OK);
	fx_tick(&f, 1, 3);
	fx_stabilize(&f);
	CHECK_EQ(raft_read_index(r, 2), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, 2);

	/* a shorter election timeout drops the lease held */
	CHECK_EQ(raft_set_timing(r, 3, 20, true), RAFT_OK);
	sent = fx_node(&f, 1)->n_reads;
	CHECK_EQ(raft_read_index(r, 3), RAFT_OK);
	fx_ready(&f, 1);
	CHECK_EQ(fx_node(&f, 1)->n_reads, sent);
	fx_stabilize(&f);
	CHECK_EQ(fx_node(&f, 1)->n_reads, sent + 1);

	/* a follower with a longer timeout stays a follower longer */
	CHECK_EQ(raft_set_timing(fx_raft(&f, 2), 1, 50, false), RAFT_OK);
	fx_isolate(&f, 1, true);
	fx_tick(&f, 2, 49);
	fx_stabilize(&f);
	CHECK(unit_status(&f, 2).role == RAFT_FOLLOWER);
	CHECK(unit_status(&f, 2).term == unit_status(&f, 1).term);
	fx_fini(&f);
}

const struct unit_test transfer_read_tests[] = {
	{ "options: timers and read mode changed online",
	  test_set_timing },
	{ "read: lease survives a voter restart",
	  test_lease_survives_voter_restart },
	{ "read: restarted voter honours leases in any read mode",
	  test_lease_survives_voter_restart_any_mode },
	{ "read: lease on the clock, margin proportional",
	  test_lease_clock_margin },
	{ "read: stall of the leader drops its leases", test_lease_stall },
	{ "read: no lease reads after TIMEOUT_NOW",
	  test_no_lease_after_timeout_now },
	{ "read: a lease read answered outside the ready cycle",
	  test_read_lease_at_once },
	{ "read: the lease published for reads outside the core",
	  test_read_lease_end },
	{ "transfer: to an up-to-date follower", test_transfer },
	{ "transfer: to a lagging node", test_transfer_to_lagging },
	{ "transfer: aborted after an election timeout",
	  test_transfer_aborted },
	{ "read: ReadIndex confirmed by a quorum", test_read_index },
	{ "read: new leader waits for its term's commit",
	  test_read_index_new_leader },
	{ "read: lease read", test_lease_read },
	{ NULL, NULL },
};
