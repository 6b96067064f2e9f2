// SPDX-License-Identifier: GPL-2.0
/*
 * wire_testlib.c - see wire_testlib.h.
 */
#include "wire_testlib.h"
#include "portable.h"

static int describe(void *ctx, const struct raft_payload *p,
		    struct rb_wire_payload_desc *d)
{
	(void)ctx;
	d->flags = p->flags;
	d->sector = p->sector;
	d->len = p->len;
	d->data_len = p->data_len;
	d->crc = p->data_len ?
		 rb_wire_crc_end(rb_wire_crc_update(rb_wire_crc_begin(),
						    p->data, p->data_len)) :
		 0;
	return 0;
}

static int build(void *ctx, const struct rb_wire_payload_desc *d,
		 const u8 *data, struct raft_payload **out)
{
	(void)ctx;
	*out = raft_payload_alloc(d->sector, d->len, d->flags, d->data_len,
				  data);
	return *out ? 0 : RB_WIRE_ENOMEM;
}

const struct rb_wire_payload_ops test_payload_ops = {
	.describe = describe,
	.build = build,
};

const struct rb_wire_ids test_tx_ids = {
	.cluster = { 0x5a, 0x11, 0x7e, 0x42, 0x90, 0x01, 0x4c, 0x33,
		     0x8b, 0x2d, 0xe0, 0x19, 0x77, 0xc4, 0x06, 0xfd },
	.local = 1,
	.peer = 2,
};

const struct rb_wire_ids test_rx_ids = {
	.cluster = { 0x5a, 0x11, 0x7e, 0x42, 0x90, 0x01, 0x4c, 0x33,
		     0x8b, 0x2d, 0xe0, 0x19, 0x77, 0xc4, 0x06, 0xfd },
	.local = 2,
	.peer = 1,
};

u64 test_rand(u64 *s)
{
	u64 x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static u64 r64(u64 *rng)
{
	/* Mix small and huge values: both ends of every range matter. */
	switch (test_rand(rng) % 4) {
	case 0:
		return test_rand(rng) % 4;
	case 1:
		return ~(u64)0 - test_rand(rng) % 4;
	default:
		return test_rand(rng);
	}
}

static void fill(u64 *rng, u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (u8)test_rand(rng);
}

static void gen_conf(u64 *rng, struct raft_conf *conf)
{
	u32 i;

	conf->n = test_rand(rng) % (RAFT_MAX_NODES + 1);
	for (i = 0; i < conf->n; i++) {
		conf->nodes[i].id = 100 + i * 7 + test_rand(rng) % 7;
		conf->nodes[i].role = test_rand(rng) % 2 ? RAFT_VOTER :
							  RAFT_LEARNER;
		fill(rng, conf->nodes[i].addr, RAFT_ADDR_LEN);
	}
}

/* A term as a valid message carries it: at most RAFT_TERM_MAX. */
static u64 r_term(u64 *rng)
{
	switch (test_rand(rng) % 4) {
	case 0:
		return test_rand(rng) % 4;
	case 1:
		return RAFT_TERM_MAX - test_rand(rng) % 4;
	default:
		return test_rand(rng) % (RAFT_TERM_MAX + 1);
	}
}

static struct raft_payload *gen_payload(u64 *rng, u32 max_data)
{
	u32 kind = test_rand(rng) % 4;
	u32 flags = test_rand(rng) % 2 ? RB_WIRE_PL_FUA : 0;
	u64 sector = r64(rng);
	struct raft_payload *p;
	u8 *data;
	u32 len;

	if (kind == 0) {
		len = 512 * (1 + test_rand(rng) % (1U << 21));
		flags |= test_rand(rng) % 2 ? RB_WIRE_PL_DISCARD :
					      RB_WIRE_PL_WRITE_ZEROES;
		p = raft_payload_alloc(sector, len, flags, 0, NULL);
	} else {
		len = 512 * (1 + test_rand(rng) % (max_data / 512));
		data = malloc(len);
		raft_assert(data);
		fill(rng, data, len);
		p = raft_payload_alloc(sector, len, flags, len, data);
		free(data);
	}
	raft_assert(p);
	return p;
}

void test_gen_msg(u64 *rng, u8 type, u32 max_entries, u32 max_data,
		  struct raft_msg *m)
{
	u32 i, n;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = test_tx_ids.local;
	m->to = test_tx_ids.peer;
	m->term = r_term(rng);
	m->index = r64(rng);
	m->log_term = r_term(rng);
	m->commit = r64(rng);
	m->hint_index = r64(rng);
	m->hint_term = r_term(rng);
	m->context = r64(rng);
	if (type == RAFT_MSG_APPEND_RESP || type == RAFT_MSG_VOTE_RESP ||
	    type == RAFT_MSG_PREVOTE_RESP)
		m->reject = test_rand(rng) % 2;
	if (type == RAFT_MSG_VOTE || type == RAFT_MSG_PREVOTE)
		m->flags = test_rand(rng) % 2 ? RAFT_MSGF_TRANSFER : 0;
	if (type == RAFT_MSG_SNAPSHOT) {
		m->snap.index = r64(rng);
		m->snap.term = r_term(rng);
		gen_conf(rng, &m->snap.conf);
	}
	if (type != RAFT_MSG_APPEND || !max_entries)
		return;
	n = test_rand(rng) % (max_entries + 1);
	if (!n)
		return;
	/* Entries need room for their indices and non-decreasing terms. */
	m->index = test_rand(rng) % 2 ? test_rand(rng) >> 1 :
					~(u64)0 - n - test_rand(rng) % 3;
	m->log_term = test_rand(rng) % 1000;
	m->term = m->log_term + test_rand(rng) % 1000;
	m->entries = calloc(n, sizeof(*m->entries));
	raft_assert(m->entries);
	m->n_entries = n;
	for (i = 0; i < n; i++) {
		struct raft_entry *e = &m->entries[i];
		raft_term prev = i ? m->entries[i - 1].term : m->log_term;

		e->index = m->index + 1 + i;
		e->term = prev + test_rand(rng) % (m->term - prev + 1);
		switch (test_rand(rng) % 6) {
		case 0:
			e->type = RAFT_ENTRY_NOOP;
			break;
		case 1:
			e->type = RAFT_ENTRY_CONF;
			e->cc.op = RAFT_CONF_ADD_LEARNER +
				   test_rand(rng) % RAFT_CONF_DEMOTE;
			e->cc.id = 1 + test_rand(rng) % 1000;
			fill(rng, e->cc.addr, RAFT_ADDR_LEN);
			break;
		case 2:
			e->type = RAFT_ENTRY_BARRIER;
			e->mark.op = test_rand(rng);
			e->mark.arg = test_rand(rng);
			fill(rng, e->mark.data, RAFT_ADDR_LEN);
			break;
		case 3:
			e->type = RAFT_ENTRY_NORMAL;	/* without payload */
			break;
		default:
			e->type = RAFT_ENTRY_NORMAL;
			e->payload = gen_payload(rng, max_data);
			break;
		}
	}
}

void test_free_msg(struct raft_msg *m)
{
	u32 i;

	for (i = 0; i < m->n_entries; i++)
		if (m->entries[i].payload)
			raft_payload_put(m->entries[i].payload);
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

#define NEQ(field)							\
	do {								\
		if (a->field != b->field) {				\
			*what = #field;					\
			return false;					\
		}							\
	} while (0)

static bool conf_equal(const struct raft_conf *a, const struct raft_conf *b,
		       const char **what)
{
	u32 i;

	NEQ(n);
	for (i = 0; i < a->n; i++) {
		NEQ(nodes[i].id);
		NEQ(nodes[i].role);
		if (memcmp(a->nodes[i].addr, b->nodes[i].addr,
			   RAFT_ADDR_LEN)) {
			*what = "node addr";
			return false;
		}
	}
	return true;
}

static bool payload_equal(const struct raft_payload *a,
			  const struct raft_payload *b, const char **what)
{
	if (!a || !b) {
		*what = "payload presence";
		return a == b;
	}
	NEQ(sector);
	NEQ(len);
	NEQ(flags);
	NEQ(data_len);
	if (memcmp(a->data, b->data, a->data_len)) {
		*what = "payload data";
		return false;
	}
	return true;
}

bool test_msg_equal(const struct raft_msg *a, const struct raft_msg *b,
		    const char **what)
{
	u32 i;

	NEQ(type);
	NEQ(reject);
	NEQ(flags);
	NEQ(from);
	NEQ(to);
	NEQ(term);
	NEQ(index);
	NEQ(log_term);
	NEQ(commit);
	NEQ(hint_index);
	NEQ(hint_term);
	NEQ(context);
	NEQ(n_entries);
	if (a->type == RAFT_MSG_SNAPSHOT) {
		NEQ(snap.index);
		NEQ(snap.term);
		if (!conf_equal(&a->snap.conf, &b->snap.conf, what))
			return false;
	}
	for (i = 0; i < a->n_entries; i++) {
		NEQ(entries[i].term);
		NEQ(entries[i].index);
		NEQ(entries[i].type);
		if (a->entries[i].type == RAFT_ENTRY_BARRIER) {
			NEQ(entries[i].mark.op);
			NEQ(entries[i].mark.arg);
			if (memcmp(a->entries[i].mark.data,
				   b->entries[i].mark.data, RAFT_ADDR_LEN)) {
				*what = "marker data";
				return false;
			}
		}
		if (a->entries[i].type == RAFT_ENTRY_CONF) {
			NEQ(entries[i].cc.op);
			NEQ(entries[i].cc.id);
			if (memcmp(a->entries[i].cc.addr, b->entries[i].cc.addr,
				   RAFT_ADDR_LEN)) {
				*what = "cc addr";
				return false;
			}
		}
		if ((a->entries[i].payload || b->entries[i].payload) &&
		    !payload_equal(a->entries[i].payload,
				   b->entries[i].payload, what))
			return false;
	}
	return true;
}

long test_encode_frame(const struct raft_msg *m,
		       const struct rb_wire_limits *lim, u8 **out)
{
	size_t size = rb_wire_msg_size(m), flen;
	const char *why = NULL;
	u32 dlen, i;
	u8 *buf, *p;
	int ret;

	*out = NULL;
	if (!size)
		return RB_WIRE_EINVAL;
	buf = malloc(size);
	raft_assert(buf);
	ret = rb_wire_encode_msg(&test_tx_ids, m, lim, &test_payload_ops,
				 NULL, buf, size, &flen, &dlen, &why);
	if (ret) {
		free(buf);
		return ret;
	}
	raft_assert(flen == size);
	buf = realloc(buf, flen + dlen);
	raft_assert(buf);
	p = buf + flen;
	for (i = 0; i < m->n_entries; i++) {
		const struct raft_payload *pl = m->entries[i].payload;

		if (pl && pl->data_len) {
			memcpy(p, pl->data, pl->data_len);
			p += pl->data_len;
		}
	}
	raft_assert((size_t)(p - buf) == flen + dlen);
	*out = buf;
	return (long)(flen + dlen);
}

void test_reseal(u8 *buf, size_t len)
{
	u32 meta_len = rb_get_le32(buf + 8);

	if (meta_len <= len - RB_WIRE_HDR_LEN)
		rb_put_le32(buf + 48, raftblk_crc32c(buf + RB_WIRE_HDR_LEN,
						    meta_len));
	rb_put_le32(buf + 60, raftblk_crc32c(buf, 60));
}
