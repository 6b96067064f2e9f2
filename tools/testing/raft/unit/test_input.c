// SPDX-License-Identifier: GPL-2.0
/*
 * test_input.c - malformed or impossible input is refused with
 * RAFT_EINVAL and changes nothing; allocation failures are survived.
 */
#include <stdlib.h>

#include "unit.h"

struct snapshot {
	raft_term term;
	raft_id vote, leader;
	raft_index commit, last, persisted;
	u8 role;
	u32 conf_n;
	bool ready;
};

static struct snapshot snap(struct fx *f, raft_id id)
{
	struct raft_status st = unit_status(f, id);
	struct snapshot s;

	memset(&s, 0, sizeof(s));
	s.term = st.term;
	s.vote = st.vote;
	s.leader = st.leader;
	s.commit = st.commit;
	s.last = st.last_index;
	s.persisted = st.persisted_index;
	s.role = st.role;
	s.conf_n = st.conf.n;
	s.ready = raft_has_ready(fx_raft(f, id));
	return s;
}

static void base(struct raft_msg *m, u8 type, raft_id from, raft_id to,
		 raft_term term)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = from;
	m->to = to;
	m->term = term;
}

/* An APPEND from 1 to 2 at term t after (prev, prev_term) with n entries
 * at term t (the first one carrying a payload).
 */
static void append(struct raft_msg *m, raft_term t, raft_index prev,
		   raft_term prev_term, u32 n)
{
	u32 i;

	base(m, RAFT_MSG_APPEND, 1, 2, t);
	m->index = prev;
	m->log_term = prev_term;
	m->n_entries = n;
	m->entries = raft_calloc(n, sizeof(*m->entries));
	for (i = 0; i < n; i++) {
		m->entries[i].index = prev + 1 + i;
		m->entries[i].term = t;
		m->entries[i].type = RAFT_ENTRY_NORMAL;
	}
	if (n)
		m->entries[0].payload = raft_payload_new("p", 1);
}

#define EXPECT_REFUSED(f, id, m)					\
	do {								\
		struct snapshot _b = snap((f), (id)), _a;		\
		CHECK_EQ(raft_step(fx_raft((f), (id)), (m)), RAFT_EINVAL); \
		_a = snap((f), (id));					\
		CHECK(!memcmp(&_a, &_b, sizeof(_a)));			\
		CHECK((m)->entries == NULL);				\
		raft_msg_free(m);					\
	} while (0)

static void test_bad_messages(void)
{
	struct raft_msg m;
	struct fx f;
	raft_term t;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	CHECK_EQ(fx_propose(&f, 1, "a"), RAFT_OK);
	fx_stabilize(&f);
	t = unit_status(&f, 1).term;

	base(&m, 0, 1, 2, t);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_TYPE_MAX + 1, 1, 2, t);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_HEARTBEAT, 0, 2, t);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_HEARTBEAT, 2, 2, t);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_HEARTBEAT, 1, 3, t);
	EXPECT_REFUSED(&f, 2, &m);
	/* entries announced but missing */
	base(&m, RAFT_MSG_APPEND, 1, 2, t);
	m.index = 2;
	m.log_term = t;
	m.n_entries = 3;
	EXPECT_REFUSED(&f, 2, &m);
	/* entries on a message type that has none */
	append(&m, t, 2, t, 1);
	m.type = RAFT_MSG_HEARTBEAT;
	EXPECT_REFUSED(&f, 2, &m);
	/* not contiguous */
	append(&m, t, 2, t, 3);
	m.entries[2].index = 9;
	EXPECT_REFUSED(&f, 2, &m);
	/* entry from the future */
	append(&m, t, 2, t, 2);
	m.entries[1].term = t + 1;
	EXPECT_REFUSED(&f, 2, &m);
	/* decreasing terms */
	append(&m, t + 1, 2, t, 2);
	m.entries[0].term = t + 1;
	m.entries[1].term = t;
	EXPECT_REFUSED(&f, 2, &m);
	/* bad entry type / conf change / payload on a no-op */
	append(&m, t, 2, t, 1);
	m.entries[0].type = 9;
	EXPECT_REFUSED(&f, 2, &m);
	append(&m, t, 2, t, 1);
	raft_payload_put(m.entries[0].payload);
	m.entries[0].payload = NULL;
	m.entries[0].type = RAFT_ENTRY_CONF;
	m.entries[0].cc.op = RAFT_CONF_ADD_LEARNER;
	EXPECT_REFUSED(&f, 2, &m);		/* id 0 */
	append(&m, t, 2, t, 1);
	m.entries[0].type = RAFT_ENTRY_NOOP;
	EXPECT_REFUSED(&f, 2, &m);
	/* a conf change that does not apply (promote a voter) */
	append(&m, t, 2, t, 1);
	raft_payload_put(m.entries[0].payload);
	m.entries[0].payload = NULL;
	m.entries[0].type = RAFT_ENTRY_CONF;
	m.entries[0].cc.op = RAFT_CONF_PROMOTE;
	m.entries[0].cc.id = 3;
	EXPECT_REFUSED(&f, 2, &m);
	/* rewriting a committed entry */
	append(&m, t + 1, 1, 1, 1);
	m.entries[0].term = t + 1;
	EXPECT_REFUSED(&f, 2, &m);
	/* votes: term 0, log term above term */
	base(&m, RAFT_MSG_VOTE, 3, 2, 0);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_PREVOTE, 3, 2, t + 1);
	m.log_term = t + 2;
	EXPECT_REFUSED(&f, 2, &m);
	/* snapshot with a broken configuration */
	base(&m, RAFT_MSG_SNAPSHOT, 1, 2, t);
	m.snap.index = 50;
	m.snap.term = t;
	m.snap.conf.n = 2;
	m.snap.conf.nodes[0].id = 1;
	m.snap.conf.nodes[0].role = RAFT_VOTER;
	m.snap.conf.nodes[1].id = 1;
	m.snap.conf.nodes[1].role = RAFT_VOTER;
	EXPECT_REFUSED(&f, 2, &m);
	m.snap.conf.n = RAFT_MAX_NODES + 1;
	EXPECT_REFUSED(&f, 2, &m);
	/* snapshot at index 0 with a term */
	m.snap.conf.n = 1;
	m.snap.index = 0;
	m.snap.term = 1;
	EXPECT_REFUSED(&f, 2, &m);
	/* leader: acknowledgement of what was never sent */
	base(&m, RAFT_MSG_APPEND_RESP, 2, 1, t);
	m.index = 1000;
	EXPECT_REFUSED(&f, 1, &m);
	base(&m, RAFT_MSG_HEARTBEAT_RESP, 2, 1, t);
	m.context = 1000000;
	EXPECT_REFUSED(&f, 1, &m);
	base(&m, RAFT_MSG_APPEND_RESP, 2, 1, t);
	m.reject = 7;
	EXPECT_REFUSED(&f, 1, &m);

	/* still works */
	CHECK_EQ(fx_propose(&f, 1, "b"), RAFT_OK);
	fx_stabilize(&f);
	CHECK(fx_has_applied(&f, 2, "b"));
	fx_fini(&f);
}

/* A vote response from a node outside the configuration is refused. */
static void test_vote_resp_from_stranger(void)
{
	struct raft_msg m;
	struct fx f;

	fx_init(&f, 4, 3, NULL);
	raft_campaign(fx_raft(&f, 1));
	fx_ready_all(&f);
	fx_deliver_filter(&f, 1, 0, RAFT_MSG_PREVOTE);
	fx_ready_all(&f);
	fx_deliver_filter(&f, 0, 1, RAFT_MSG_PREVOTE_RESP);
	CHECK_EQ(unit_status(&f, 1).role, RAFT_CANDIDATE);
	base(&m, RAFT_MSG_VOTE_RESP, 4, 1, unit_status(&f, 1).term);
	EXPECT_REFUSED(&f, 1, &m);
	fx_stabilize(&f);
	CHECK_EQ(fx_leader(&f), 1);
	fx_fini(&f);
}

/*
 * Term bomb: one HEARTBEAT at term 2^64 - 1 from anyone who can reach the
 * port was adopted and saved, and the next campaign wrapped the term to 0,
 * which every receiver refuses: no election ever again. Terms above
 * RAFT_TERM_MAX are refused in every field; a node at the cap does not
 * campaign; a stored state beyond it does not start.
 */
static void test_term_bomb(void)
{
	u8 addr[RAFT_ADDR_LEN] = { 0 };
	struct raft_restore rs;
	struct raft_options o;
	struct raft_entry e;
	struct raft_msg m;
	struct raft *r;
	struct fx f;
	raft_term t;
	u32 i;

	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	fx_stabilize(&f);
	t = unit_status(&f, 1).term;

	base(&m, RAFT_MSG_HEARTBEAT, 3, 2, ~0ULL);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_HEARTBEAT, 3, 2, RAFT_TERM_MAX + 1);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_VOTE, 3, 2, ~0ULL);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_PREVOTE, 3, 2, RAFT_TERM_MAX + 1);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_APPEND_RESP, 2, 1, ~0ULL);
	EXPECT_REFUSED(&f, 1, &m);
	base(&m, RAFT_MSG_APPEND_RESP, 2, 1, t);
	m.reject = 1;
	m.index = 2;
	m.hint_index = 2;
	m.hint_term = ~0ULL;
	EXPECT_REFUSED(&f, 1, &m);
	base(&m, RAFT_MSG_TIMEOUT_NOW, 1, 2, ~0ULL);
	EXPECT_REFUSED(&f, 2, &m);
	base(&m, RAFT_MSG_SNAPSHOT, 1, 2, ~0ULL);
	m.snap.index = 5;
	m.snap.term = ~0ULL;
	m.snap.conf = unit_status(&f, 1).conf;
	EXPECT_REFUSED(&f, 2, &m);
	CHECK_EQ(unit_status(&f, 2).term, t);
	CHECK_EQ(fx_node(&f, 2)->hs.term, t);

	/* the cap itself is a term like any other, but the last one */
	base(&m, RAFT_MSG_HEARTBEAT, 3, 2, RAFT_TERM_MAX);
	CHECK_EQ(raft_step(fx_raft(&f, 2), &m), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 2).term, RAFT_TERM_MAX);
	CHECK_EQ(raft_campaign(fx_raft(&f, 2)), RAFT_EINVAL);
	for (i = 0; i < 40; i++) {
		fx_tick(&f, 2, 1);
		fx_stabilize(&f);
		CHECK_EQ(unit_status(&f, 2).term, RAFT_TERM_MAX);
		CHECK(unit_status(&f, 2).role == RAFT_FOLLOWER);
	}
	fx_fini(&f);

	/* a state saved beyond the cap (by a version without it) */
	raft_options_default(&o);
	o.id = 1;
	memset(&rs, 0, sizeof(rs));
	raft_bootstrap_conf(&rs.snap.conf, 1, addr);
	rs.hs.term = ~0ULL;
	CHECK_EQ(raft_create(&o, &rs, &r), RAFT_EINVAL);
	rs.hs.term = 2;
	memset(&e, 0, sizeof(e));
	e.index = 1;
	e.term = RAFT_TERM_MAX + 1;
	e.type = RAFT_ENTRY_NOOP;
	rs.n_entries = 1;
	rs.entries = &e;
	CHECK_EQ(raft_create(&o, &rs, &r), RAFT_EINVAL);
	e.term = 2;
	CHECK_EQ(raft_create(&o, &rs, &r), RAFT_OK);
	raft_destroy(r);
}

/* Bad arguments to the API. */
static void test_bad_api_args(void)
{
	struct raft_options o;
	struct raft_entry e;
	struct raft *r;
	struct fx f;

	raft_options_default(&o);
	CHECK_EQ(raft_create(&o, NULL, &r), RAFT_EINVAL);	/* id 0 */
	o.id = 1;
	o.election_ticks = 1;
	CHECK_EQ(raft_create(&o, NULL, &r), RAFT_EINVAL);
	raft_options_default(&o);
	o.id = 1;
	o.lease_read = true;
	o.check_quorum = false;
	o.tick_ns = 1000000;
	CHECK_EQ(raft_create(&o, NULL, &r), RAFT_EINVAL);
	/* lease reads need a clock */
	o.check_quorum = true;
	o.tick_ns = 0;
	CHECK_EQ(raft_create(&o, NULL, &r), RAFT_EINVAL);
	o.tick_ns = RAFT_TICK_NS_MAX + 1;
	CHECK_EQ(raft_create(&o, NULL, &r), RAFT_EINVAL);
	o.tick_ns = 1000000;
	CHECK_EQ(raft_create(&o, NULL, &r), RAFT_OK);
	raft_destroy(r);

	fx_init(&f, 1, 1, NULL);
	fx_elect(&f, 1);
	memset(&e, 0, sizeof(e));
	e.type = RAFT_ENTRY_CONF;
	CHECK_EQ(raft_propose(fx_raft(&f, 1), 1, &e), RAFT_EINVAL);
	CHECK_EQ(raft_propose(fx_raft(&f, 1), 0, &e), RAFT_EINVAL);
	e.type = RAFT_ENTRY_BARRIER;
	CHECK_EQ(raft_propose(fx_raft(&f, 1), 1, &e), RAFT_OK);
	fx_stabilize(&f);
	CHECK_EQ(unit_status(&f, 1).commit, 2);
	CHECK(!strcmp(raft_role_name(RAFT_LEADER), "leader"));
	CHECK(!strcmp(raft_msg_type_name(RAFT_MSG_TIMEOUT_NOW),
		      "TIMEOUT_NOW"));
	CHECK(!strcmp(raft_msg_type_name(77), "UNKNOWN"));
	fx_fini(&f);
}

/* Random allocation failures: every call copes (RAFT_ENOMEM or a lost
 * message), and the cluster recovers once memory is back.
 */
static void test_allocation_failures(void)
{
	struct fx f;
	char buf[16];
	u32 round, i;

	srand(7);
	fx_init(&f, 3, 3, NULL);
	fx_elect(&f, 1);
	for (round = 0; round < 200; round++) {
		raft_id l = fx_leader(&f);
		struct raft_ready rd;

		raft_uenv_fail_alloc_after(rand() % 40);
		if (l) {
			snprintf(buf, sizeof(buf), "r%u", round);
			fx_propose(&f, l, buf);
		}
		/* a failing raft_ready leaves the node as it was */
		if (raft_ready(fx_raft(&f, 2), &rd) == RAFT_OK)
			raft_advance(fx_raft(&f, 2), NULL);
		raft_uenv_fail_alloc_after(-1);
		fx_tick_all(&f, 1);
		raft_uenv_fail_alloc_after(rand() % 40);
		for (i = 0; i < 3; i++) {
			fx_deliver(&f);
			raft_uenv_fail_alloc_after(-1);
			fx_ready_all(&f);
			raft_uenv_fail_alloc_after(rand() % 40);
		}
		raft_uenv_fail_alloc_after(-1);
	}
	for (i = 0; i < 100 && !fx_leader(&f); i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	CHECK(fx_leader(&f) != RAFT_NONE);
	CHECK_EQ(fx_propose(&f, fx_leader(&f), "final"), RAFT_OK);
	for (i = 0; i < 5; i++) {
		fx_tick_all(&f, 1);
		fx_stabilize(&f);
	}
	for (i = 1; i <= 3; i++)
		CHECK(fx_has_applied(&f, i, "final"));
	CHECK(fx_applied_agree(&f));
	fx_fini(&f);
}

const struct unit_test input_tests[] = {
	{ "input: malformed messages refused, no state change",
	  test_bad_messages },
	{ "input: vote response from a stranger refused",
	  test_vote_resp_from_stranger },
	{ "input: bad API arguments", test_bad_api_args },
	{ "input: term bomb refused, no wrap at the cap", test_term_bomb },
	{ "input: allocation failures survived", test_allocation_failures },
	{ NULL, NULL },
};
