// SPDX-License-Identifier: GPL-2.0
/*
 * test_figure2.c - the receiver rules of the Raft paper's Figure 2, one
 * test each, on a single node fed crafted messages.
 */
#include "unit.h"

static void plain(struct raft_options *o)
{
	o->pre_vote = false;
	o->check_quorum = false;
}

/* APPEND from 1 to 2 at term t, after (prev, prev_term), entries at the
 * given terms (payload "e<index>").
 */
static int send_append(struct fx *f, raft_term t, raft_index prev,
		       raft_term prev_term, const raft_term *terms, u32 n,
		       raft_index commit)
{
	struct raft_msg m;
	char buf[16];
	u32 i;

	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_APPEND;
	m.from = 1;
	m.to = 2;
	m.term = t;
	m.index = prev;
	m.log_term = prev_term;
	m.commit = commit;
	m.n_entries = n;
	m.entries = n ? raft_calloc(n, sizeof(*m.entries)) : NULL;
	for (i = 0; i < n; i++) {
		m.entries[i].index = prev + 1 + i;
		m.entries[i].term = terms[i];
		m.entries[i].type = RAFT_ENTRY_NORMAL;
		snprintf(buf, sizeof(buf), "e%llu",
			 (unsigned long long)(prev + 1 + i));
		m.entries[i].payload = raft_payload_new(buf, strlen(buf));
	}
	return raft_step(fx_raft(f, 2), &m);
}

/* Run node 2's ready cycles and return its last APPEND_RESP to 1. */
static bool last_resp(struct fx *f, struct raft_msg *out)
{
	bool found = false;
	u32 i;

	fx_ready(f, 2);
	fx_ready(f, 2);
	for (i = 0; i < f->n_net; i++)
		if (f->net[i].from == 2 &&
		    f->net[i].type == RAFT_MSG_APPEND_RESP) {
			*out = f->net[i];
			found = true;
		}
	if (found)
		out->entries = NULL;
	fx_drop(f, 0, 0, -1);
	return found;
}

static void setup(struct fx *f)
{
	static const raft_term t1[] = { 1, 1, 2 };

	fx_init(f, 3, 3, plain);
	/* node 2 follows leader 1 at term 2 with log 1/1 2/1 3/2 */
	CHECK_EQ(send_append(f, 2, 0, 0, t1, 3, 0), RAFT_OK);
	fx_ready(f, 2);
	fx_drop(f, 0, 0, -1);
}

/* AppendEntries 1: reply false if term < currentTerm. */
static void test_ae_stale_term(void)
{
	static const raft_term t[] = { 1 };
	struct raft_msg r;
	struct fx f;

	setup(&f);
	CHECK_EQ(send_append(&f, 1, 2, 1, t, 1, 0), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).last_index, 3);
	/* stale leader told the current term (CheckQuorum/PreVote on) or
	 * ignored (plain): either way nothing is acknowledged
	 */
	CHECK(!last_resp(&f, &r) || r.term == 2);
	CHECK_EQ(unit_status(&f, 2).term, 2);
	fx_fini(&f);
}

/* AppendEntries 2: reply false if the log has no entry at prevLogIndex
 * with prevLogTerm (too short, or another term there).
 */
static void test_ae_prev_mismatch(void)
{
	static const raft_term t[] = { 2 };
	struct raft_msg r;
	struct fx f;

	setup(&f);
	CHECK_EQ(send_append(&f, 2, 5, 2, t, 1, 0), RAFT_OK);
	CHECK(last_resp(&f, &r));
	CHECK(r.reject);
	CHECK_EQ(r.index, 5);
	CHECK_EQ(r.hint_index, 3);	/* our last entry, term 2 <= 2 */
	CHECK_EQ(r.hint_term, 2);
	CHECK_EQ(send_append(&f, 2, 3, 1, t, 1, 0), RAFT_OK);
	CHECK(last_resp(&f, &r));
	CHECK(r.reject);
	CHECK_EQ(r.hint_index, 2);	/* last entry with term <= 1 */
	CHECK_EQ(r.hint_term, 1);
	CHECK_EQ(unit_status(&f, 2).last_index, 3);
	fx_fini(&f);
}

/* AppendEntries 3: an existing entry conflicting with a new one (same
 * index, other term): delete it and all that follow.
 */
static void test_ae_conflict_deleted(void)
{
	static const raft_term t[] = { 3 };
	struct raft_msg r;
	struct fx f;

	setup(&f);
	CHECK_EQ(send_append(&f, 3, 1, 1, t, 1, 0), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).last_index, 2);
	CHECK(last_resp(&f, &r));
	CHECK(!r.reject);
	CHECK_EQ(r.index, 2);
	CHECK_EQ(fx_node(&f, 2)->n_log, 2);
	CHECK_EQ(fx_node(&f, 2)->log[1].term, 3);
	fx_fini(&f);
}

/* AppendEntries 4: append entries not already in the log; a duplicate or
 * older APPEND changes nothing (and truncates nothing).
 */
static void test_ae_idempotent(void)
{
	static const raft_term t[] = { 1, 1 };
	struct raft_msg r;
	struct fx f;

	setup(&f);
	CHECK_EQ(send_append(&f, 2, 0, 0, t, 2, 0), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).last_index, 3);
	CHECK(last_resp(&f, &r));
	CHECK(!r.reject);
	CHECK_EQ(r.index, 2);		/* what this message proves */
	CHECK_EQ(fx_node(&f, 2)->n_log, 3);
	fx_fini(&f);
}

/* AppendEntries 5: commitIndex = min(leaderCommit, index of last new
 * entry).
 */
static void test_ae_commit_bounded(void)
{
	static const raft_term t[] = { 2 };
	struct fx f;

	setup(&f);
	CHECK_EQ(send_append(&f, 2, 1, 1, NULL, 0, 9), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).commit, 1);
	CHECK_EQ(send_append(&f, 2, 3, 2, t, 1, 9), RAFT_OK);
	CHECK_EQ(unit_status(&f, 2).commit, 4);
	fx_ready(&f, 2);
	CHECK_EQ(fx_node(&f, 2)->n_applied, 4);
	fx_fini(&f);
}

static int send_vote(struct fx *f, raft_id from, raft_term t,
		     raft_index last, raft_term last_term)
{
	struct raft_msg m;

	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_VOTE;
	m.from = from;
	m.to = 2;
	m.term = t;
	m.index = last;
	m.log_term = last_term;
	return raft_step(fx_raft(f, 2), &m);
}

static int vote_resp(struct fx *f, raft_id to)
{
	u32 i;
	int res = -1;

	fx_ready(f, 2);
	fx_ready(f, 2);
	for (i = 0; i < f->n_net; i++)
		if (f->net[i].type == RAFT_MSG_VOTE_RESP &&
		    f->net[i].to == to)
			res = !f->net[i].reject;
	fx_drop(f, 0, 0, -1);
	return res;
}

/* RequestVote 1: reply false if term < currentTerm. */
static void test_rv_stale_term(void)
{
	struct fx f;

	setup(&f);
	CHECK_EQ(send_vote(&f, 3, 1, 10, 1), RAFT_OK);
	CHECK(vote_resp(&f, 3) != 1);
	CHECK_EQ(unit_status(&f, 2).vote, RAFT_NONE);
	fx_fini(&f);
}

/* RequestVote 2: grant if not voted (or voted for this candidate) and the
 * candidate's log is at least as up to date; at most one per term.
 */
static void test_rv_grant_rules(void)
{
	struct fx f;

	setup(&f);
	/* older last term: refused */
	CHECK_EQ(send_vote(&f, 3, 3, 9, 1), RAFT_OK);
	CHECK_EQ(vote_resp(&f, 3), 0);
	CHECK_EQ(unit_status(&f, 2).term, 3);
	/* same last term, shorter: refused */
	CHECK_EQ(send_vote(&f, 3, 3, 2, 2), RAFT_OK);
	CHECK_EQ(vote_resp(&f, 3), 0);
	/* same last term, as long: granted */
	CHECK_EQ(send_vote(&f, 3, 3, 3, 2), RAFT_OK);
	CHECK_EQ(vote_resp(&f, 3), 1);
	CHECK_EQ(unit_status(&f, 2).vote, 3);
	/* again for the same candidate: granted; another one: refused */
	CHECK_EQ(send_vote(&f, 3, 3, 3, 2), RAFT_OK);
	CHECK_EQ(vote_resp(&f, 3), 1);
	CHECK_EQ(send_vote(&f, 1, 3, 50, 3), RAFT_OK);
	CHECK_EQ(vote_resp(&f, 1), 0);
	/* the vote survives a restart */
	fx_restart(&f, 2);
	CHECK_EQ(unit_status(&f, 2).vote, 3);
	CHECK_EQ(send_vote(&f, 1, 3, 50, 3), RAFT_OK);
	CHECK_EQ(vote_resp(&f, 1), 0);
	fx_fini(&f);
}

/* Candidates: a split vote times out and a new election starts at the
 * next term.
 */
static void test_candidate_retries(void)
{
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, plain);
	fx_isolate(&f, 1, true);
	raft_campaign(fx_raft(&f, 1));
	fx_stabilize(&f);
	t = unit_status(&f, 1).term;
	CHECK_EQ(unit_status(&f, 1).role, RAFT_CANDIDATE);
	fx_tick(&f, 1, 20);
	fx_stabilize(&f);
	CHECK(unit_status(&f, 1).term > t);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_CANDIDATE);
	fx_fini(&f);
}

const struct unit_test figure2_tests[] = {
	{ "figure2: AppendEntries 1, stale term refused", test_ae_stale_term },
	{ "figure2: AppendEntries 2, prev mismatch refused with hint",
	  test_ae_prev_mismatch },
	{ "figure2: AppendEntries 3, conflicts deleted",
	  test_ae_conflict_deleted },
	{ "figure2: AppendEntries 4, only new entries appended",
	  test_ae_idempotent },
	{ "figure2: AppendEntries 5, commit bounded by last new entry",
	  test_ae_commit_bounded },
	{ "figure2: RequestVote 1, stale term refused", test_rv_stale_term },
	{ "figure2: RequestVote 2, grant rules", test_rv_grant_rules },
	{ "figure2: candidate retries after a split vote",
	  test_candidate_retries },
	{ NULL, NULL },
};
