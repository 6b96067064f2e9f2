// SPDX-License-Identifier: GPL-2.0
/*
 * wire_test.c - unit tests of the wire codec (kernel/wire.c), TAP output.
 *
 * Round trips of every message and frame type and every field; the byte
 * layout against Documentation/wire-protocol.rst; every single-bit flip
 * and every truncation of valid frames rejected; each validation rule
 * exercised behind re-sealed crcs; random garbage; encoder refusals;
 * allocation failures; limits; the streaming receive API.
 *
 * Usage: wire_test [ITERATIONS] [SEED]
 */
#include "auth_user.h"
#include "poly1305.h"
#include "wire_testlib.h"
#include "portable.h"

static int n_tests, n_failed;
static long iterations = 300;
static u64 seed = 0x2545F4914F6CDD1DULL;

static void ok(bool cond, const char *name, const char *detail)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_tests, name);
	if (!cond && detail)
		printf("# %s\n", detail);
	fflush(stdout);
}

static char detail[512];

#define FAILF(...) snprintf(detail, sizeof(detail), __VA_ARGS__)

static struct rb_wire_limits lim;

static const char *const msg_names[] = {
	[RAFT_MSG_APPEND] = "APPEND",
	[RAFT_MSG_APPEND_RESP] = "APPEND_RESP",
	[RAFT_MSG_VOTE] = "VOTE",
	[RAFT_MSG_VOTE_RESP] = "VOTE_RESP",
	[RAFT_MSG_PREVOTE] = "PREVOTE",
	[RAFT_MSG_PREVOTE_RESP] = "PREVOTE_RESP",
	[RAFT_MSG_HEARTBEAT] = "HEARTBEAT",
	[RAFT_MSG_HEARTBEAT_RESP] = "HEARTBEAT_RESP",
	[RAFT_MSG_SNAPSHOT] = "SNAPSHOT",
	[RAFT_MSG_TIMEOUT_NOW] = "TIMEOUT_NOW",
};

/* Decode a whole frame and release it; returns the result code. */
static long decode_only(const u8 *buf, size_t len,
			const struct rb_wire_limits *l,
			const struct rb_wire_ids *ids, const char **why)
{
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct raft_msg m;
	long ret;

	*why = "";
	ret = rb_wire_decode_frame(buf, len, l, ids, &test_payload_ops, NULL,
				   &h, &c, &m, why);
	if (ret > 0 && h.type == RB_WIRE_RAFT_MSG)
		rb_wire_msg_release(&m);
	return ret;
}

static bool no_leaks(void)
{
	return raft_uenv_live_allocs() == 0 && raft_payload_live() == 0;
}

/* ------------------------------------------------------------------ */

static void test_roundtrip(void)
{
	u8 type;

	for (type = RAFT_MSG_APPEND; type <= RAFT_MSG_TYPE_MAX; type++) {
		u64 rng = seed + type;
		bool good = true;
		long it;
		char name[80];

		detail[0] = 0;
		for (it = 0; it < iterations && good; it++) {
			struct raft_msg m, d;
			struct rb_wire_hdr h;
			struct rb_wire_ctl c;
			const char *why = "", *what = "";
			u8 *buf, *buf2;
			long len, len2, ret;

			test_gen_msg(&rng, type, 24, 8192, &m);
			len = test_encode_frame(&m, &lim, &buf);
			if (len < 0) {
				FAILF("encode failed: %s", rb_wire_err_name(len));
				good = false;
				test_free_msg(&m);
				break;
			}
			ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
						   &test_payload_ops, NULL, &h,
						   &c, &d, &why);
			if (ret != len) {
				FAILF("iteration %ld: decode %ld: %s", it, ret,
				      why);
				good = false;
			} else if (!test_msg_equal(&m, &d, &what)) {
				FAILF("iteration %ld: %s differs", it, what);
				good = false;
			} else {
				/* The encoding is canonical. */
				d.from = 1;
				d.to = 2;
				len2 = test_encode_frame(&d, &lim, &buf2);
				if (len2 != len || memcmp(buf, buf2, len)) {
					FAILF("iteration %ld: re-encoding differs",
					      it);
					good = false;
				}
				free(buf2);
			}
			if (ret == len)
				rb_wire_msg_release(&d);
			free(buf);
			test_free_msg(&m);
		}
		snprintf(name, sizeof(name), "round trip of %s, %ld random messages",
			 msg_names[type], iterations);
		ok(good && no_leaks(), name, detail);
	}
}

static void test_control_roundtrip(void)
{
	u8 buf[RB_WIRE_CTL_MAX];
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct raft_msg m;
	const char *why = "";
	bool good = true;
	long ret;
	int len;
	u8 t;

	detail[0] = 0;
	for (t = RB_WIRE_HELLO; t <= RB_WIRE_HELLO_ACK; t++) {
		u8 cls;

		for (cls = RB_WIRE_CLASS_CONTROL; cls <= RB_WIRE_CLASS_BULK;
		     cls++) {
			len = rb_wire_encode_hello(&test_tx_ids, t, cls, buf);
			ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
						   &test_payload_ops, NULL, &h,
						   &c, &m, &why);
			if (ret != len || h.type != t || c.conn_class != cls ||
			    c.min_version != RB_WIRE_VERSION_MIN ||
			    c.max_version != RB_WIRE_VERSION_MAX ||
			    c.features || h.sender != 1 || h.receiver != 2 ||
			    rb_wire_hello_refusal(&c)) {
				FAILF("hello type %u class %u: %ld %s", t, cls,
				      ret, why);
				good = false;
			}
		}
	}
	for (t = RB_WIRE_REFUSE_CLUSTER; t <= RB_WIRE_REFUSE_MAX; t++) {
		len = rb_wire_encode_refuse(&test_tx_ids, t, buf);
		ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
					   &test_payload_ops, NULL, &h, &c, &m,
					   &why);
		if (ret != len || h.type != RB_WIRE_REFUSE || c.reason != t) {
			FAILF("refuse %u: %ld %s", t, ret, why);
			good = false;
		}
	}
	for (t = RB_WIRE_PING; t <= RB_WIRE_PONG; t++) {
		u64 cookie = 0x0123456789abcdefULL * t;

		len = rb_wire_encode_ping(&test_tx_ids, t, cookie, buf);
		ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
					   &test_payload_ops, NULL, &h, &c, &m,
					   &why);
		if (ret != len || h.type != t || c.cookie != cookie) {
			FAILF("ping type %u: %ld %s", t, ret, why);
			good = false;
		}
	}
	ok(good, "round trip of HELLO, HELLO_ACK, REFUSE, PING, PONG", detail);
	ok(rb_wire_encode_hello(&test_tx_ids, RB_WIRE_PING, 1, buf) ==
	   RB_WIRE_EINVAL &&
	   rb_wire_encode_ping(&test_tx_ids, RB_WIRE_HELLO, 1, buf) ==
	   RB_WIRE_EINVAL &&
	   rb_wire_encode_refuse(&test_tx_ids, 0, buf) == RB_WIRE_EINVAL,
	   "control encoders refuse wrong types and reason 0", NULL);
}

/* A fixed APPEND used by the layout, bit-flip and validation tests:
 * prev index 100 term 5, msg term 7, commit 99, entries
 * 101 NORMAL 1024 data bytes at sector 8 FUA (term 5),
 * 102 CONF add learner 3 (term 6), 103 NORMAL discard 4096 at 64 (term 7),
 * 104 NOOP (term 7).
 */
#define M0	RB_WIRE_HDR_LEN
#define E0	(M0 + RB_WIRE_MSG_LEN)
#define E1	(E0 + RB_WIRE_ENTRY_LEN)
#define CC1	(E1 + RB_WIRE_ENTRY_LEN)
#define E2	(CC1 + RB_WIRE_CC_LEN)
#define E3	(E2 + RB_WIRE_ENTRY_LEN)
#define FIXED_META_LEN	(E3 + RB_WIRE_ENTRY_LEN - M0)
#define FIXED_DATA_LEN	1024

static void fixed_append(struct raft_msg *m)
{
	static struct raft_entry e[4];
	static u8 data[FIXED_DATA_LEN];
	u32 i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (u8)(i * 7 + 3);
	memset(m, 0, sizeof(*m));
	memset(e, 0, sizeof(e));
	m->type = RAFT_MSG_APPEND;
	m->from = 1;
	m->to = 2;
	m->term = 7;
	m->index = 100;
	m->log_term = 5;
	m->commit = 99;
	m->n_entries = 4;
	m->entries = e;
	e[0] = (struct raft_entry){ .term = 5, .index = 101,
				    .type = RAFT_ENTRY_NORMAL };
	e[0].payload = raft_payload_alloc(8, 1024, RB_WIRE_PL_FUA, 1024, data);
	e[1] = (struct raft_entry){ .term = 6, .index = 102,
				    .type = RAFT_ENTRY_CONF };
	e[1].cc.op = RAFT_CONF_ADD_LEARNER;
	e[1].cc.id = 3;
	memcpy(e[1].cc.addr, "addr-of-3", 9);
	e[2] = (struct raft_entry){ .term = 7, .index = 103,
				    .type = RAFT_ENTRY_NORMAL };
	e[2].payload = raft_payload_alloc(64, 4096, RB_WIRE_PL_DISCARD, 0,
					  NULL);
	e[3] = (struct raft_entry){ .term = 7, .index = 104,
				    .type = RAFT_ENTRY_NOOP };
}

static void fixed_free(struct raft_msg *m)
{
	raft_payload_put(m->entries[0].payload);
	raft_payload_put(m->entries[2].payload);
}

static long fixed_frame(u8 **buf)
{
	struct raft_msg m;
	long len;

	fixed_append(&m);
	len = test_encode_frame(&m, &lim, buf);
	fixed_free(&m);
	raft_assert(len == RB_WIRE_HDR_LEN + FIXED_META_LEN + FIXED_DATA_LEN);
	return len;
}

static void test_layout(void)
{
	u8 *b;
	long len = fixed_frame(&b);
	bool good;

	/* Offsets as tabled in Documentation/wire-protocol.rst. */
	good = !memcmp(b, "RBLK", 4) && b[4] == 1 && b[5] == 0 &&
	       b[6] == RB_WIRE_RAFT_MSG && b[7] == 0 &&
	       rb_get_le32(b + 8) == FIXED_META_LEN &&
	       rb_get_le32(b + 12) == FIXED_DATA_LEN &&
	       !memcmp(b + 16, test_tx_ids.cluster, 16) &&
	       rb_get_le64(b + 32) == 1 && rb_get_le64(b + 40) == 2 &&
	       rb_get_le32(b + 48) ==
	       raftblk_crc32c(b + 64, FIXED_META_LEN) &&
	       rb_get_le64(b + 52) == 0 &&
	       rb_get_le32(b + 60) == raftblk_crc32c(b, 60);
	ok(good, "header layout: magic RBLK, version, type, lengths, ids, crcs",
	   NULL);
	good = b[M0] == RAFT_MSG_APPEND && b[M0 + 1] == 0 &&
	       b[M0 + 2] == 0 && b[M0 + 3] == 0 &&
	       rb_get_le32(b + M0 + 4) == 4 && rb_get_le64(b + M0 + 8) == 7 &&
	       rb_get_le64(b + M0 + 16) == 100 && rb_get_le64(b + M0 + 24) == 5 &&
	       rb_get_le64(b + M0 + 32) == 99 && rb_get_le64(b + M0 + 40) == 0 &&
	       rb_get_le64(b + M0 + 48) == 0 && rb_get_le64(b + M0 + 56) == 0;
	ok(good, "message record layout", NULL);
	good = rb_get_le64(b + E0) == 5 && rb_get_le64(b + E0 + 8) == 101 &&
	       b[E0 + 16] == RAFT_ENTRY_NORMAL && b[E0 + 17] == 1 &&
	       rb_get_le32(b + E0 + 20) == RB_WIRE_PL_FUA &&
	       rb_get_le64(b + E0 + 24) == 8 && rb_get_le32(b + E0 + 32) == 1024 &&
	       rb_get_le32(b + E0 + 36) == 1024 &&
	       rb_get_le32(b + E0 + 40) == raftblk_crc32c(b + M0 +
							  FIXED_META_LEN,
							  1024) &&
	       b[E1 + 16] == RAFT_ENTRY_CONF && b[E1 + 17] == 0 &&
	       b[CC1] == RAFT_CONF_ADD_LEARNER && rb_get_le64(b + CC1 + 8) == 3 &&
	       !memcmp(b + CC1 + 16, "addr-of-3", 9) &&
	       b[E2 + 17] == 1 &&
	       rb_get_le32(b + E2 + 20) == RB_WIRE_PL_DISCARD &&
	       rb_get_le32(b + E2 + 32) == 4096 &&
	       rb_get_le32(b + E2 + 36) == 0 && rb_get_le32(b + E2 + 40) == 0 &&
	       b[E3 + 16] == RAFT_ENTRY_NOOP &&
	       b[M0 + FIXED_META_LEN] == 3 && len == M0 + FIXED_META_LEN + 1024;
	ok(good, "entry, conf change and data layout", NULL);
	free(b);
}

static void three_nodes(struct raft_conf *conf)
{
	int i;

	conf->n = 3;
	for (i = 0; i < 3; i++) {
		conf->nodes[i].id = 100 + 7 * i;
		conf->nodes[i].role = i == 2 ? RAFT_LEARNER : RAFT_VOTER;
		memset(conf->nodes[i].addr, 'a' + i, RAFT_ADDR_LEN);
	}
}

/* The example of Documentation/wire-protocol.rst, byte for byte. */
static void test_golden(void)
{
	static const u8 golden[] = {
		0x52, 0x42, 0x4c, 0x4b, 0x01, 0x00, 0x04, 0x00,
		0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x5a, 0x11, 0x7e, 0x42, 0x90, 0x01, 0x4c, 0x33,
		0x8b, 0x2d, 0xe0, 0x19, 0x77, 0xc4, 0x06, 0xfd,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xcc, 0x16, 0x11, 0x4a, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xb3, 0xee, 0x1f, 0x0b,
		0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xe7, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x4d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct raft_msg m = { .type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2,
			      .term = 42, .commit = 999, .context = 77 };
	u8 *b;
	long len = test_encode_frame(&m, &lim, &b);

	ok(len == sizeof(golden) && !memcmp(b, golden, len) &&
	   raftblk_crc32c("123456789", 9) == 0xE3069283,
	   "golden frame of the documentation, crc32c check value", NULL);
	free(b);
}

/* Every single-bit flip of a valid frame must be rejected. */
static void flip_all(const char *name, const u8 *frame, long len)
{
	u8 *b = malloc(len);
	bool good = true;
	long bit;
	char tname[120];

	raft_assert(b);
	detail[0] = 0;
	for (bit = 0; bit < len * 8 && good; bit++) {
		const char *why;
		long ret;

		memcpy(b, frame, len);
		b[bit / 8] ^= (u8)(1U << (bit % 8));
		ret = decode_only(b, len, &lim, &test_rx_ids, &why);
		if (ret >= 0) {
			FAILF("flip of bit %ld accepted", bit);
			good = false;
		} else if (ret != RB_WIRE_EBADFRAME && bit < 64 * 8) {
			FAILF("flip of header bit %ld: %s (%s), not a crc error",
			      bit, rb_wire_err_name(ret), why);
			good = false;
		}
	}
	free(b);
	snprintf(tname, sizeof(tname),
		 "every single-bit flip of %s (%ld bits) is rejected", name,
		 len * 8);
	ok(good && no_leaks(), tname, detail);
}

static void truncate_all(const char *name, const u8 *frame, long len)
{
	bool good = true;
	long n;
	char tname[120];

	detail[0] = 0;
	for (n = 0; n < len && good; n++) {
		u8 *b = malloc(n ? n : 1);
		const char *why;
		long ret;

		raft_assert(b);
		memcpy(b, frame, n);
		ret = decode_only(b, n, &lim, &test_rx_ids, &why);
		if (ret != RB_WIRE_ESHORT) {
			FAILF("prefix of %ld bytes: %ld (%s)", n, ret, why);
			good = false;
		}
		free(b);
	}
	snprintf(tname, sizeof(tname),
		 "every truncation of %s is reported incomplete", name);
	ok(good && no_leaks(), tname, detail);
}

static void test_flips_and_truncations(void)
{
	u8 ctl[RB_WIRE_CTL_MAX];
	u64 rng = seed ^ 0x77;
	struct raft_msg m;
	u8 *b;
	long len;
	int n;

	len = fixed_frame(&b);
	flip_all("an APPEND with data, conf, discard and noop", b, len);
	truncate_all("an APPEND", b, len);
	free(b);

	test_gen_msg(&rng, RAFT_MSG_SNAPSHOT, 0, 0, &m);
	three_nodes(&m.snap.conf);
	len = test_encode_frame(&m, &lim, &b);
	test_free_msg(&m);
	flip_all("a SNAPSHOT", b, len);
	truncate_all("a SNAPSHOT", b, len);
	free(b);

	test_gen_msg(&rng, RAFT_MSG_VOTE, 0, 0, &m);
	len = test_encode_frame(&m, &lim, &b);
	flip_all("a VOTE", b, len);
	free(b);

	n = rb_wire_encode_hello(&test_tx_ids, RB_WIRE_HELLO,
				 RB_WIRE_CLASS_BULK, ctl);
	flip_all("a HELLO", ctl, n);
	truncate_all("a HELLO", ctl, n);
	n = rb_wire_encode_refuse(&test_tx_ids, RB_WIRE_REFUSE_CLUSTER, ctl);
	flip_all("a REFUSE", ctl, n);
	n = rb_wire_encode_ping(&test_tx_ids, RB_WIRE_PING, 42, ctl);
	flip_all("a PING", ctl, n);
}

/* ------------------------------------------------------------------ */
/* Validation behind the crcs: edit a valid frame, re-seal, expect a
 * specific error.
 */

struct edit {
	const char *name;
	u8 base;		/* which frame to start from */
	int off;		/* byte offset to change, -1: none */
	int width;		/* 1, 4 or 8 bytes */
	u64 value;
	int grow_meta;		/* zero bytes appended to the meta part */
	int grow_data;		/* zero bytes appended to the data part */
	int err;		/* expected rb_wire_err */
	bool no_reseal;
};

/* value of a 1-byte edit that flips bits instead of setting them */
#define XOR(v)	(0x100 | (v))

enum { B_APPEND, B_SNAP, B_VOTE, B_HELLO, B_REFUSE, B_PING };

#define MS	(E0)			/* snapshot record in a SNAPSHOT */
#define N0	(MS + RB_WIRE_SNAP_LEN)	/* its first node */

static const struct edit edits[] = {
	{ "bad magic", B_APPEND, 0, 1, 'X', 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "version 0", B_APPEND, 4, 1, 0, 0, 0, RB_WIRE_EVERSION, 0 },
	{ "version 2", B_APPEND, 4, 1, 2, 0, 0, RB_WIRE_EVERSION, 0 },
	{ "frame type 0", B_APPEND, 6, 1, 0, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "frame type 7", B_APPEND, 6, 1, 7, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "header flags", B_APPEND, 7, 1, 1, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "header reserved", B_APPEND, 55, 1, 1, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "meta crc", B_APPEND, 48, 1, XOR(0x55), 0, 0, RB_WIRE_EBADFRAME, 1 },
	{ "another cluster", B_APPEND, 20, 1, 0, 0, 0, RB_WIRE_ECLUSTER, 0 },
	{ "another receiver", B_APPEND, 40, 8, 3, 0, 0, RB_WIRE_ENODE, 0 },
	{ "unexpected sender", B_APPEND, 32, 8, 3, 0, 0, RB_WIRE_ENODE, 0 },
	{ "sender 0", B_APPEND, 32, 8, 0, 0, 0, RB_WIRE_ENODE, 0 },
	{ "sender is receiver", B_APPEND, 32, 8, 2, 0, 0, RB_WIRE_ENODE, 0 },
	{ "meta_len over limit", B_APPEND, 8, 4, (1U << 20) + 1, 0, 0,
	  RB_WIRE_ETOOBIG, 0 },
	{ "data_len over limit", B_APPEND, 12, 4, (32U << 20) + 1, 0, 0,
	  RB_WIRE_ETOOBIG, 0 },
	{ "meta_len below a message", B_APPEND, 8, 4, 63, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "data_len more than payloads", B_APPEND, -1, 0, 0, 0, 512,
	  RB_WIRE_EBADFRAME, 0 },
	{ "trailing meta bytes", B_APPEND, -1, 0, 0, 80, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "raft type 0", B_APPEND, M0, 1, 0, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "raft type 11", B_APPEND, M0, 1, 11, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "reject on APPEND", B_APPEND, M0 + 1, 1, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "reject 2", B_VOTE, M0 + 1, 1, 2, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "unknown msg flag", B_VOTE, M0 + 2, 1, 2, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "transfer flag on APPEND", B_APPEND, M0 + 2, 1, RAFT_MSGF_TRANSFER,
	  0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "resync flag on APPEND", B_APPEND, M0 + 2, 1, RAFT_MSGF_RESYNC,
	  0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "msg reserved", B_APPEND, M0 + 3, 1, 1, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "n_entries beyond meta", B_APPEND, M0 + 4, 4, 5, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "n_entries short of meta", B_APPEND, M0 + 4, 4, 3, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "n_entries over limit", B_APPEND, M0 + 4, 4, 0xffffffff, 0, 0,
	  RB_WIRE_ETOOBIG, 0 },
	{ "entries on a VOTE", B_VOTE, M0 + 4, 4, 1, RB_WIRE_ENTRY_LEN, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry index overflow", B_APPEND, M0 + 16, 8, ~0ULL - 2, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "prev index mismatch", B_APPEND, M0 + 16, 8, 99, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry index gap", B_APPEND, E1 + 8, 8, 103, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry term below prev term", B_APPEND, E0, 8, 4, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry terms decrease", B_APPEND, E3, 8, 6, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry term above msg term", B_APPEND, E3, 8, 8, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "term 2^64-1", B_VOTE, M0 + 8, 8, ~0ULL, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "term RAFT_TERM_MAX + 1", B_VOTE, M0 + 8, 8, RAFT_TERM_MAX + 1, 0,
	  0, RB_WIRE_EBADFRAME, 0 },
	{ "APPEND term above the cap", B_APPEND, M0 + 8, 8,
	  RAFT_TERM_MAX + 1, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "log term above the cap", B_VOTE, M0 + 24, 8, ~0ULL, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "hint term above the cap", B_VOTE, M0 + 48, 8, RAFT_TERM_MAX + 1,
	  0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "snapshot term above the cap", B_SNAP, MS + 8, 8, ~0ULL, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry type 0", B_APPEND, E3 + 16, 1, 0, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "entry type 5", B_APPEND, E3 + 16, 1, 5, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "entry flags", B_APPEND, E3 + 17, 1, 2, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "entry reserved 18", B_APPEND, E3 + 18, 1, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entry reserved 44", B_APPEND, E0 + 44, 1, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "payload fields without payload", B_APPEND, E3 + 24, 8, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "payload on a NOOP", B_APPEND, E2 + 16, 1, RAFT_ENTRY_NOOP, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "payload on a CONF", B_APPEND, E1 + 17, 1, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "unknown payload flag", B_APPEND, E0 + 20, 4, 8, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "payload len 0", B_APPEND, E2 + 32, 4, 0, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "payload len not *512", B_APPEND, E2 + 32, 4, 4000, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "payload len over limit", B_APPEND, E2 + 32, 4, (1U << 30) + 512,
	  0, 0, RB_WIRE_ETOOBIG, 0 },
	{ "data_len differs from len", B_APPEND, E0 + 32, 4, 1536, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "discard with data", B_APPEND, E2 + 36, 4, 4096, 0, 4096,
	  RB_WIRE_EBADFRAME, 0 },
	{ "discard with crc", B_APPEND, E2 + 40, 4, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "discard and write-zeroes", B_APPEND, E2 + 20, 4,
	  RB_WIRE_PL_NODATA, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "payload data crc", B_APPEND, E0 + 40, 1, XOR(1), 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "payload data byte", B_APPEND, M0 + FIXED_META_LEN + 1000, 1, XOR(0x80),
	  0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "conf op 0", B_APPEND, CC1, 1, 0, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "conf op 5", B_APPEND, CC1, 1, 5, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "conf reserved", B_APPEND, CC1 + 3, 1, 1, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "conf node 0", B_APPEND, CC1 + 8, 8, 0, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "snapshot reserved", B_SNAP, MS + 20, 1, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "snapshot 17 nodes", B_SNAP, MS + 16, 4, 17, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "snapshot nodes beyond meta", B_SNAP, MS + 16, 4, 4, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "snapshot node id 0", B_SNAP, N0, 8, 0, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "snapshot duplicate node", B_SNAP, N0 + RB_WIRE_NODE_LEN, 8, 100,
	  0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "snapshot node role 0", B_SNAP, N0 + 8, 1, 0, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "snapshot node role 3", B_SNAP, N0 + 8, 1, 3, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "snapshot node reserved", B_SNAP, N0 + 12, 1, 1, 0, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "entries on a SNAPSHOT", B_SNAP, M0 + 4, 4, 1, RB_WIRE_ENTRY_LEN, 0,
	  RB_WIRE_EBADFRAME, 0 },
	{ "hello reserved", B_HELLO, M0 + 5, 1, 1, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "hello min version 0", B_HELLO, M0, 1, 0, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "hello min above max", B_HELLO, M0, 1, 2, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "hello with data", B_HELLO, 12, 4, 1, 0, 1, RB_WIRE_EBADFRAME, 0 },
	{ "hello meta length", B_HELLO, 8, 4, 8, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "hello from another cluster", B_HELLO, 31, 1, 0, 0, 0,
	  RB_WIRE_ECLUSTER, 0 },
	{ "refuse reason 0", B_REFUSE, M0, 1, 0, 0, 0, RB_WIRE_EBADFRAME, 0 },
	{ "refuse reserved", B_REFUSE, M0 + 7, 1, 1, 0, 0, RB_WIRE_EBADFRAME,
	  0 },
	{ "ping meta length", B_PING, 8, 4, 16, 8, 0, RB_WIRE_EBADFRAME, 0 },
};

static long base_frame(u8 which, u8 **out)
{
	u8 *b = malloc(RB_WIRE_CTL_MAX);
	struct raft_msg m;
	u64 rng = 5;
	long len;

	raft_assert(b);
	switch (which) {
	case B_APPEND:
		free(b);
		return fixed_frame(out);
	case B_SNAP:
	case B_VOTE:
		free(b);
		test_gen_msg(&rng, which == B_SNAP ? RAFT_MSG_SNAPSHOT :
						     RAFT_MSG_VOTE, 0, 0, &m);
		if (which == B_SNAP)
			three_nodes(&m.snap.conf);
		m.reject = 0;
		m.flags = 0;
		len = test_encode_frame(&m, &lim, out);
		raft_assert(len > 0);
		return len;
	case B_HELLO:
		len = rb_wire_encode_hello(&test_tx_ids, RB_WIRE_HELLO,
					   RB_WIRE_CLASS_CONTROL, b);
		break;
	case B_REFUSE:
		len = rb_wire_encode_refuse(&test_tx_ids,
					    RB_WIRE_REFUSE_VERSION, b);
		break;
	default:
		len = rb_wire_encode_ping(&test_tx_ids, RB_WIRE_PING, 7, b);
		break;
	}
	*out = b;
	return len;
}

static void test_edits(void)
{
	size_t i;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const struct edit *e = &edits[i];
		u8 *b, *nb;
		long len = base_frame(e->base, &b);
		u32 meta = rb_get_le32(b + 8), data = rb_get_le32(b + 12);
		const char *why;
		char name[120];
		bool changed = false;
		long ret;
		int k;

		/* Untouched, the base frame decodes. */
		ret = decode_only(b, len, &lim, &test_rx_ids, &why);
		raft_assert(ret == len);
		if (e->grow_meta || e->grow_data) {
			nb = calloc(1, len + e->grow_meta + e->grow_data);
			raft_assert(nb);
			memcpy(nb, b, M0 + meta);
			memcpy(nb + M0 + meta + e->grow_meta, b + M0 + meta,
			       data);
			rb_put_le32(nb + 8, meta + e->grow_meta);
			rb_put_le32(nb + 12, data + e->grow_data);
			free(b);
			b = nb;
			len += e->grow_meta + e->grow_data;
		}
		if (e->off >= 0 && e->width == 1 && (e->value & 0x100)) {
			b[e->off] ^= (u8)e->value;
		} else {
			for (k = 0; e->off >= 0 && k < e->width; k++) {
				u8 v = (u8)(e->value >> (8 * k));

				changed |= b[e->off + k] != v;
				b[e->off + k] = v;
			}
			/* An edit that changes nothing tests nothing. */
			raft_assert(changed || e->off < 0 || e->grow_meta ||
				    e->grow_data);
		}
		if (!e->no_reseal)
			test_reseal(b, len);
		ret = decode_only(b, len, &lim, &test_rx_ids, &why);
		snprintf(name, sizeof(name), "rejects %s: %s", e->name,
			 rb_wire_err_name(e->err));
		FAILF("got %ld (%s): %s", ret, rb_wire_err_name((int)ret), why);
		ok(ret == e->err && no_leaks(), name, detail);
		free(b);
	}
}

/* ------------------------------------------------------------------ */

/*
 * Random input never crashes the decoder; whatever it accepts re-encodes
 * to the very same bytes (so nothing is accepted that a correct sender
 * could not have produced). With sealing, random bytes get a valid
 * header crc and meta crc, which takes them past the crcs into the
 * structural checks.
 */
static void test_garbage(void)
{
	u64 rng = seed ^ 0xabcdef;
	long it, accepted = 0, rounds = iterations * 100;
	bool good = true;

	detail[0] = 0;
	for (it = 0; it < rounds && good; it++) {
		size_t len = test_rand(&rng) % 1024;
		u8 *b = malloc(len + RB_WIRE_HDR_LEN);
		bool seal = it & 1;
		struct rb_wire_hdr h;
		struct rb_wire_ctl c;
		struct raft_msg m;
		const char *why;
		size_t i;
		long ret;

		raft_assert(b);
		for (i = 0; i < len + RB_WIRE_HDR_LEN; i++)
			b[i] = (u8)test_rand(&rng);
		if (seal) {
			len += RB_WIRE_HDR_LEN;
			memcpy(b, "RBLK\1\0", 6);
			b[6] = 1 + test_rand(&rng) % RB_WIRE_TYPE_MAX;
			b[7] = 0;
			memset(b + 52, 0, 8);
			memcpy(b + 16, test_rx_ids.cluster, 16);
			rb_put_le64(b + 32, 1);
			rb_put_le64(b + 40, 2);
			rb_put_le32(b + 8, (u32)(len - RB_WIRE_HDR_LEN));
			rb_put_le32(b + 12, 0);
			if (len > RB_WIRE_HDR_LEN) {
				b[RB_WIRE_HDR_LEN] = 1 + test_rand(&rng) % 10;
				if (len > RB_WIRE_HDR_LEN + 7)
					rb_put_le32(b + RB_WIRE_HDR_LEN + 4,
						   test_rand(&rng) % 3);
			}
			test_reseal(b, len);
		}
		ret = rb_wire_decode_frame(b, len, &lim, &test_rx_ids,
					   &test_payload_ops, NULL, &h, &c, &m,
					   &why);
		if (ret > 0 && h.type == RB_WIRE_RAFT_MSG) {
			u8 *again;
			long len2;

			accepted++;
			m.from = 1;
			m.to = 2;
			len2 = test_encode_frame(&m, &lim, &again);
			if (len2 != ret || memcmp(again, b, ret)) {
				FAILF("accepted frame %ld re-encodes differently",
				      it);
				good = false;
			}
			free(again);
			rb_wire_msg_release(&m);
		} else if (ret > 0) {
			accepted++;
		}
		free(b);
	}
	printf("# %ld of %ld random frames accepted\n", accepted, rounds);
	ok(good && no_leaks(),
	   "random and crc-sealed random frames: no crash, canonical if accepted",
	   detail);
}

static void test_encoder_refusals(void)
{
	struct raft_msg m, bad;
	struct rb_wire_ids ids = test_tx_ids;
	u8 *buf = malloc(4096);
	size_t flen;
	const char *why;
	u32 dlen;
	bool good = true;
	int ret;

	raft_assert(buf);
	fixed_append(&m);
#define ENC(msg, idp, cap)						\
	rb_wire_encode_msg(idp, msg, &lim, &test_payload_ops, NULL, buf, cap, \
			   &flen, &dlen, &why)
	ret = ENC(&m, &ids, 4096);
	good &= ret == 0 && flen == M0 + FIXED_META_LEN && dlen == 1024;
	good &= ENC(&m, &ids, flen - 1) == RB_WIRE_ENOSPC;
	ids.peer = 3;
	good &= ENC(&m, &ids, 4096) == RB_WIRE_EINVAL;
	ids.peer = 0;
	good &= ENC(&m, &ids, 4096) == RB_WIRE_EINVAL;
	ids = test_tx_ids;
	bad = m;
	bad.type = 0;
	good &= ENC(&bad, &ids, 4096) == RB_WIRE_EINVAL;
	bad = m;
	bad.reject = 1;
	good &= ENC(&bad, &ids, 4096) == RB_WIRE_EINVAL;
	bad = m;
	bad.index = 101;	/* entries no longer follow it */
	good &= ENC(&bad, &ids, 4096) == RB_WIRE_EINVAL;
	bad = m;
	bad.term = 6;		/* entries of term 7 above it */
	good &= ENC(&bad, &ids, 4096) == RB_WIRE_EINVAL;
	m.entries[3].payload = m.entries[2].payload;	/* payload on NOOP */
	good &= ENC(&m, &ids, 4096) == RB_WIRE_EINVAL;
	m.entries[3].payload = NULL;
	m.entries[0].payload->len = 1000;
	m.entries[0].payload->data_len = 1000;
	good &= ENC(&m, &ids, 4096) == RB_WIRE_EINVAL;
	m.entries[0].payload->len = 1024;
	m.entries[0].payload->data_len = 1024;
	m.entries[1].cc.op = 9;
	good &= ENC(&m, &ids, 4096) == RB_WIRE_EINVAL;
	m.entries[1].cc.op = RAFT_CONF_ADD_LEARNER;
	bad = m;
	bad.type = RAFT_MSG_SNAPSHOT;
	bad.n_entries = 0;
	bad.snap.conf.n = RAFT_MAX_NODES + 1;
	good &= ENC(&bad, &ids, 4096) == RB_WIRE_EINVAL &&
		rb_wire_msg_size(&bad) == 0;
	good &= ENC(&m, &ids, 4096) == 0;
#undef ENC
	fixed_free(&m);
	free(buf);
	ok(good && no_leaks(),
	   "encoder refuses invalid messages, wrong ids, small buffers", NULL);
}

/* Every allocation the decoder makes may fail: clean error, no leak. */
static void test_alloc_failures(void)
{
	u8 *b;
	long len = fixed_frame(&b), ret = 0;
	bool good = true;
	long n;

	detail[0] = 0;
	for (n = 0; n < 16; n++) {
		const char *why;

		raft_uenv_fail_alloc_after(n);
		ret = decode_only(b, len, &lim, &test_rx_ids, &why);
		raft_uenv_fail_alloc_after(-1);
		if (ret == len)
			break;
		if (ret != RB_WIRE_ENOMEM || !no_leaks()) {
			FAILF("failing allocation %ld: %ld %s", n, ret, why);
			good = false;
		}
	}
	free(b);
	ok(good && ret == len && n >= 3 && no_leaks(),
	   "each failed allocation while decoding: ENOMEM, nothing leaked",
	   detail);
}

static void test_limits(void)
{
	struct rb_wire_limits l = lim;
	struct raft_msg m;
	const char *why;
	u64 rng = 99;
	u8 *b;
	long len;
	bool good = true;

	/* Exactly at a limit passes, one over fails, both directions. */
	fixed_append(&m);
	len = test_encode_frame(&m, &lim, &b);
	l.max_entries = 4;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) == len;
	l.max_entries = 3;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) ==
		RB_WIRE_ETOOBIG;
	{
		u8 *none;

		good &= test_encode_frame(&m, &l, &none) == RB_WIRE_ETOOBIG;
	}
	l = lim;
	l.max_data_len = 1024;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) == len;
	l.max_data_len = 1023;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) ==
		RB_WIRE_ETOOBIG;
	l = lim;
	l.max_payload_data = 1024;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) == len;
	l.max_payload_data = 512;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) ==
		RB_WIRE_ETOOBIG;
	l = lim;
	l.max_payload_len = 4096;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) == len;
	l.max_payload_len = 3584;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) ==
		RB_WIRE_ETOOBIG;
	l = lim;
	l.max_meta_len = FIXED_META_LEN;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) == len;
	l.max_meta_len = FIXED_META_LEN - 1;
	good &= decode_only(b, len, &l, &test_rx_ids, &why) ==
		RB_WIRE_ETOOBIG;
	free(b);
	fixed_free(&m);
	/* The default limits carry the largest message the defaults allow. */
	test_gen_msg(&rng, RAFT_MSG_HEARTBEAT, 0, 0, &m);
	len = test_encode_frame(&m, &lim, &b);
	good &= len == RB_WIRE_HDR_LEN + RB_WIRE_MSG_LEN;
	free(b);
	ok(good && no_leaks(), "limits: at the limit accepted, over it refused",
	   NULL);
}

/* The streaming path gives what the whole-frame path gives. */
static void test_streaming(void)
{
	u64 rng = seed ^ 0x5151;
	bool good = true;
	long it;

	detail[0] = 0;
	for (it = 0; it < iterations && good; it++) {
		struct rb_wire_payload_desc *d;
		struct rb_wire_hdr h;
		struct raft_msg m, r;
		const char *why = "", *what = "";
		u8 *b, *data;
		long len;
		u32 i;
		int ret;

		test_gen_msg(&rng, RAFT_MSG_APPEND, 16, 16384, &m);
		len = test_encode_frame(&m, &lim, &b);
		raft_assert(len > 0);
		ret = rb_wire_decode_header(b, &lim, &test_rx_ids, &h, &why);
		if (!ret)
			ret = rb_wire_decode_msg(&h, b + RB_WIRE_HDR_LEN, &lim,
						 &r, &d, &why);
		if (ret) {
			FAILF("iteration %ld: %s", it, why);
			good = false;
			free(b);
			test_free_msg(&m);
			break;
		}
		data = b + RB_WIRE_HDR_LEN + h.meta_len;
		for (i = 0; i < r.n_entries && good; i++) {
			u32 crc = rb_wire_crc_begin(), off = 0;

			if (!d[i].present)
				continue;
			/* Receive in random chunks, as from a socket. */
			while (off < d[i].data_len) {
				u32 n = 1 + test_rand(&rng) % 3000;

				if (n > d[i].data_len - off)
					n = d[i].data_len - off;
				crc = rb_wire_crc_update(crc, data + off, n);
				off += n;
			}
			if (rb_wire_check_data(&d[i], crc, &why)) {
				FAILF("entry %u: %s", i, why);
				good = false;
			}
			r.entries[i].payload =
				raft_payload_alloc(d[i].sector, d[i].len,
						   d[i].flags, d[i].data_len,
						   d[i].data_len ? data : NULL);
			data += d[i].data_len;
		}
		if (good && !test_msg_equal(&m, &r, &what)) {
			FAILF("iteration %ld: %s differs", it, what);
			good = false;
		}
		if (good && data != b + len) {
			FAILF("iteration %ld: data not consumed exactly", it);
			good = false;
		}
		raft_free(d);
		rb_wire_msg_release(&r);
		free(b);
		test_free_msg(&m);
	}
	ok(good && no_leaks(),
	   "streaming decode (header, meta, chunked data crc) matches", detail);
}

static void test_identities(void)
{
	struct rb_wire_ids any = test_rx_ids, other = test_rx_ids;
	u8 buf[RB_WIRE_CTL_MAX];
	struct rb_wire_hdr h;
	const char *why;
	bool good = true;
	int n;

	any.peer = 0;
	other.cluster[0] ^= 1;
	n = rb_wire_encode_hello(&test_tx_ids, RB_WIRE_HELLO,
				 RB_WIRE_CLASS_CONTROL, buf);
	good &= decode_only(buf, n, &lim, &any, &why) == n;
	good &= rb_wire_decode_header(buf, &lim, &other, &h, &why) ==
		RB_WIRE_ECLUSTER && h.sender == 1 && h.type == RB_WIRE_HELLO;
	/* All zero is no cluster id, even for a blank receiver. */
	{
		struct rb_wire_ids blank_tx = test_tx_ids, blank_rx = any;

		memset(blank_tx.cluster, 0, RB_WIRE_UUID_LEN);
		memset(blank_rx.cluster, 0, RB_WIRE_UUID_LEN);
		n = rb_wire_encode_hello(&blank_tx, RB_WIRE_HELLO,
					 RB_WIRE_CLASS_CONTROL, buf);
		good &= rb_wire_decode_header(buf, &lim, &blank_rx, &h,
					      &why) == RB_WIRE_ECLUSTER;
		/* ... but a blank node may refuse. */
		n = rb_wire_encode_refuse(&blank_tx, RB_WIRE_REFUSE_CLUSTER,
					  buf);
		good &= decode_only(buf, n, &lim, &test_rx_ids, &why) == n;
	}
	/* A REFUSE is readable whatever the cluster. */
	n = rb_wire_encode_refuse(&test_tx_ids, RB_WIRE_REFUSE_CLUSTER, buf);
	good &= decode_only(buf, n, &lim, &other, &why) == n;
	ok(good, "identity checks: any sender during handshake, cluster, zero cluster, REFUSE",
	   NULL);
}

/*
 * Terms: RAFT_TERM_MAX is a term like any other; one above it is refused
 * by the encoder (the core must never produce it) and by the decoder
 * (the edits above), so a HEARTBEAT with term 2^64-1 is never adopted.
 */
static void test_term_cap(void)
{
	struct raft_msg m;
	const char *why;
	bool good = true;
	u64 rng = seed;
	u8 *b = NULL;
	long len;

	test_gen_msg(&rng, RAFT_MSG_HEARTBEAT, 0, 0, &m);
	m.term = RAFT_TERM_MAX;
	m.log_term = RAFT_TERM_MAX;
	m.hint_term = RAFT_TERM_MAX;
	len = test_encode_frame(&m, &lim, &b);
	good &= len > 0 && b &&
		decode_only(b, len, &lim, &test_rx_ids, &why) == len;
	free(b);
	b = NULL;
	m.term = ~0ULL;
	good &= test_encode_frame(&m, &lim, &b) == RB_WIRE_EINVAL;
	free(b);
	b = NULL;
	m.term = RAFT_TERM_MAX + 1;
	good &= test_encode_frame(&m, &lim, &b) == RB_WIRE_EINVAL;
	free(b);
	ok(good && no_leaks() && RAFT_TERM_MAX == 1ULL << 48,
	   "terms up to RAFT_TERM_MAX (2^48) pass, above it the encoder refuses",
	   NULL);
}

static bool has_bytes(const u8 *buf, size_t len, const u8 *pat, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, pat, n))
			return true;
	return false;
}

/*
 * The REFUSE a node answers a HELLO with names nothing of that node: its
 * cluster id is all zero and its ids are the ones the HELLO named (the
 * dialer learns nothing it did not send), whatever the reason.
 */
static void test_refusal_contents(void)
{
	struct rb_wire_ids dialer = test_tx_ids, node = test_rx_ids;
	u8 hello[RB_WIRE_CTL_MAX], buf[RB_WIRE_CTL_MAX], id[8];
	struct rb_wire_hdr h, r;
	struct rb_wire_ctl c;
	const char *why;
	bool good = true;
	int n, k;

	/* The node is 77 of a cluster the dialer does not know; the
	 * dialer believes it is calling node 2 of another cluster.
	 */
	node.local = 77;
	node.peer = 0;
	memset(node.cluster, 0xc5, RB_WIRE_UUID_LEN);
	for (k = 0; k < 8; k++)
		id[k] = (u8)(node.local >> (8 * k));
	n = rb_wire_encode_hello(&dialer, RB_WIRE_HELLO,
				 RB_WIRE_CLASS_CONTROL, hello);
	good &= rb_wire_decode_header(hello, &lim, &node, &h, &why) ==
		RB_WIRE_ECLUSTER;
	n = rb_wire_encode_refusal(&h, RB_WIRE_REFUSE_CLUSTER, buf);
	good &= n == RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN;
	good &= !rb_wire_decode_header(buf, &lim, &dialer, &r, &why) &&
		r.type == RB_WIRE_REFUSE && r.sender == dialer.peer &&
		r.receiver == dialer.local &&
		!rb_wire_decode_ctl(&r, buf + RB_WIRE_HDR_LEN, &c, &why) &&
		c.reason == RB_WIRE_REFUSE_CLUSTER;
	for (k = 0; k < RB_WIRE_UUID_LEN; k++)
		good &= r.cluster[k] == 0;
	good &= !has_bytes(buf, n, node.cluster, RB_WIRE_UUID_LEN) &&
		!has_bytes(buf, n, id, sizeof(id));
	/* Even with the node's own ids, a REFUSE has no cluster id. */
	n = rb_wire_encode_refuse(&node, RB_WIRE_REFUSE_SHUTDOWN, buf);
	good &= n > 0 && !has_bytes(buf, n, node.cluster, RB_WIRE_UUID_LEN);
	/* Nothing to echo: no refusal. */
	h.sender = 0;
	good &= rb_wire_encode_refusal(&h, RB_WIRE_REFUSE_NODE, buf) ==
		RB_WIRE_EINVAL;
	h.sender = h.receiver;
	good &= rb_wire_encode_refusal(&h, RB_WIRE_REFUSE_NODE, buf) ==
		RB_WIRE_EINVAL;
	ok(good, "a REFUSE names nothing of the refusing node (zero cluster, the HELLO's ids echoed)",
	   NULL);
}

static void test_hello_refusal(void)
{
	struct rb_wire_ctl c = { .min_version = 1, .max_version = 1,
				 .conn_class = RB_WIRE_CLASS_BULK };
	bool good = rb_wire_hello_refusal(&c) == 0;

	c.min_version = 2;
	c.max_version = 5;
	good &= rb_wire_hello_refusal(&c) == RB_WIRE_REFUSE_VERSION;
	c.min_version = 1;
	good &= rb_wire_hello_refusal(&c) == 0;
	c.conn_class = 3;
	good &= rb_wire_hello_refusal(&c) == RB_WIRE_REFUSE_CLASS;
	c.conn_class = 0;
	good &= rb_wire_hello_refusal(&c) == RB_WIRE_REFUSE_CLASS;
	ok(good, "hello negotiation: common version, known class", NULL);
}


/* A snapshot report of n rows into b (valid), its length. */
static u32 snaprep_make(u8 *b, u32 n)
{
	u32 i, len = RB_WIRE_SNAPREP_HDR_LEN + n * RB_WIRE_SNAPREP_ROW_LEN;

	memset(b, 0, RB_WIRE_SNAPREP_MAX_LEN + 512);
	rb_put_le32(b, n);
	rb_put_le32(b + 4, 0x1);
	rb_put_le64(b + 8, 77);
	for (i = 0; i < n; i++) {
		u8 *r = b + RB_WIRE_SNAPREP_HDR_LEN +
			i * RB_WIRE_SNAPREP_ROW_LEN;

		snprintf((char *)r, RB_WIRE_SNAPREP_NAME_LEN, "snap-%u.x", i);
		rb_put_le64(r + 48, 10 + i);
		rb_put_le64(r + 56, 2);
		rb_put_le64(r + 72, 1 << 20);
		r[88] = 1 + i % RB_WIRE_SNAPREP_STATE_MAX;
	}
	return len;
}

/* Snapshot reports (rb_wire_snaprep_check()): what a node takes. */
static void test_snaprep(void)
{
	static u8 b[RB_WIRE_SNAPREP_MAX_LEN + 512];
	u8 *r0 = b + RB_WIRE_SNAPREP_HDR_LEN;
	const char *why = NULL;
	u32 len;

	len = snaprep_make(b, 3);
	ok(!rb_wire_snaprep_check(b, len, false, &why),
	   "snapshot report of 3 rows taken", why);
	len = snaprep_make(b, 0);
	ok(!rb_wire_snaprep_check(b, len, false, &why),
	   "snapshot report of no rows taken", why);
	len = snaprep_make(b, RB_WIRE_SNAPREP_MAX_ROWS);
	ok(!rb_wire_snaprep_check(b, len, false, &why),
	   "snapshot report of the most rows taken", why);
	ok(!rb_wire_snaprep_check(b, 512 * 13, true, &why) && len <= 512 * 13,
	   "snapshot report with zero padding taken where allowed", why);
	ok(rb_wire_snaprep_check(b, len + 8, false, &why) ==
	   RB_WIRE_EBADFRAME, "snapshot report with bytes after its rows refused", why);
	len = snaprep_make(b, 2);
	b[len + 3] = 1;
	ok(rb_wire_snaprep_check(b, len + 512, true, &why) ==
	   RB_WIRE_EBADFRAME, "snapshot report with padding not 0 refused", why);
#define SNAPREP_BAD(what, edit) do {					\
		len = snaprep_make(b, 2);				\
		edit;							\
		ok(rb_wire_snaprep_check(b, len, false, &why) ==	\
		   RB_WIRE_EBADFRAME, "snapshot report " what " refused", \
		   why);						\
	} while (0)
	SNAPREP_BAD("shorter than its header", len = 31);
	SNAPREP_BAD("missing a row", len -= RB_WIRE_SNAPREP_ROW_LEN);
	SNAPREP_BAD("with too many rows",
		    rb_put_le32(b, RB_WIRE_SNAPREP_MAX_ROWS + 1));
	SNAPREP_BAD("with a row count past its length", rb_put_le32(b, 3));
	SNAPREP_BAD("with unknown flags", rb_put_le32(b + 4, 0x8));
	SNAPREP_BAD("with an empty name", r0[0] = 0);
	SNAPREP_BAD("with a name not NUL-terminated",
		    memset(r0, 'a', RB_WIRE_SNAPREP_NAME_LEN));
	SNAPREP_BAD("with a name starting with '-'", r0[0] = '-');
	SNAPREP_BAD("with a '/' in a name", r0[2] = '/');
	SNAPREP_BAD("with bytes after a name's NUL", r0[40] = 'x');
	SNAPREP_BAD("with a snapshot at index 0", rb_put_le64(r0 + 48, 0));
	SNAPREP_BAD("with a term above the cap",
		    rb_put_le64(r0 + 56, RAFT_TERM_MAX + 1));
	SNAPREP_BAD("with state 0", r0[88] = 0);
	SNAPREP_BAD("with an unknown state",
		    r0[88] = RB_WIRE_SNAPREP_STATE_MAX + 1);
	SNAPREP_BAD("with reserved bytes not 0", r0[95] = 1);
	SNAPREP_BAD("with a name twice",
		    memcpy(r0 + RB_WIRE_SNAPREP_ROW_LEN, r0,
			   RB_WIRE_SNAPREP_NAME_LEN));
#undef SNAPREP_BAD
}

/* Copy frames of a resync (SNAPSHOT + RB_WIRE_MSGF_COPY): a chunk and a
 * DONE round trip; the codec refuses a copy frame of another shape.
 */
/* hint_index and commit of the next copy_frame() (a relay's node, age) */
static u64 cf_hint = 99, cf_commit = 40;

static long copy_frame(u8 kind, u32 n_ent, u32 data, u8 type, u8 flags,
		       u32 conf_n, const char **why)
{
	static u8 bytes[8192];
	struct raft_entry e = {};
	struct raft_msg m = {};
	long len, ret;
	u8 *buf;

	m.type = type;
	m.flags = flags;
	m.from = 1;
	m.to = 2;
	m.term = 3;
	m.index = 7;		/* chunk sequence number */
	m.commit = cf_commit;	/* base */
	m.hint_term = kind;
	m.hint_index = cf_hint;	/* copy id */
	m.snap.index = 500;
	m.snap.term = 3;
	m.snap.conf.n = conf_n;
	if (conf_n) {
		m.snap.conf.nodes[0].id = 1;
		m.snap.conf.nodes[0].role = RAFT_VOTER;
	}
	if (n_ent) {
		e.index = 8;
		e.term = 3;
		e.type = RAFT_ENTRY_NORMAL;
		e.payload = raft_payload_alloc(2048, data ? data : 4096,
					       data ? 0 : RB_WIRE_PL_DISCARD,
					       data, data ? bytes : NULL);
		m.entries = &e;
		m.n_entries = 1;
	}
	*why = "";
	len = test_encode_frame(&m, &lim, &buf);
	if (e.payload)
		raft_payload_put(e.payload);
	if (len < 0)
		return len;
	ret = decode_only(buf, len, &lim, &test_rx_ids, why);
	free(buf);
	return ret;
}

static void test_copy_frames(void)
{
	const char *why;
	long ret;

	ret = copy_frame(RB_WIRE_COPY_CHUNK, 1, 8192, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "copy chunk: round trip", why);
	ret = copy_frame(RB_WIRE_COPY_DONE, 0, 0, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "copy done: round trip", why);
	ok(copy_frame(RB_WIRE_COPY_CHUNK, 0, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "copy chunk without an entry refused", why);
	ok(copy_frame(RB_WIRE_COPY_DONE, 1, 4096, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "copy done with an entry refused", why);
	ok(copy_frame(RB_WIRE_COPY_CHUNK, 1, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "copy chunk of a discard (no data) refused", why);
	ret = copy_frame(RB_WIRE_COPY_ABORT, 0, 0, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "copy abort: round trip", why);
	ok(copy_frame(RB_WIRE_COPY_ABORT, 1, 4096, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "copy abort with an entry refused", why);
	ret = copy_frame(RB_WIRE_COPY_VERIFY, 1, 512, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "verify hashes: round trip", why);
	ok(copy_frame(RB_WIRE_COPY_VERIFY, 0, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "verify hashes without an entry refused", why);
	ret = copy_frame(RB_WIRE_COPY_REQUEST, 0, 0, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "repair request: round trip", why);
	ret = copy_frame(RB_WIRE_COPY_READY, 0, 0, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "repair ready: round trip", why);
	ok(copy_frame(RB_WIRE_COPY_REQUEST, 1, 4096, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "repair request with an entry refused", why);
	ret = copy_frame(RB_WIRE_COPY_SNAPREPORT, 1, 512, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "snapshot report: round trip", why);
	ok(copy_frame(RB_WIRE_COPY_SNAPREPORT, 0, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot report without an entry refused", why);
	ok(copy_frame(RB_WIRE_COPY_SNAPREPORT, 1, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot report without data refused", why);
	ret = copy_frame(RB_WIRE_COPY_SNAPRELAY, 1, 512, RAFT_MSG_SNAPSHOT,
			 RB_WIRE_MSGF_COPY, 0, &why);
	ok(ret > 0 && no_leaks(), "snapshot relay: round trip", why);
	ok(copy_frame(RB_WIRE_COPY_SNAPRELAY, 0, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot relay without an entry refused", why);
	cf_hint = 0;
	ok(copy_frame(RB_WIRE_COPY_SNAPRELAY, 1, 512, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot relay of node 0 refused", why);
	cf_hint = 2;		/* the receiver */
	ok(copy_frame(RB_WIRE_COPY_SNAPRELAY, 1, 512, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot relay of its receiver refused", why);
	cf_hint = 1ULL << 32;
	ok(copy_frame(RB_WIRE_COPY_SNAPRELAY, 1, 512, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot relay of a node id past 32 bits refused", why);
	cf_hint = 3;
	cf_commit = RB_WIRE_SNAPREP_AGE_MAX + 1;
	ok(copy_frame(RB_WIRE_COPY_SNAPRELAY, 1, 512, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "snapshot relay with an age out of range refused", why);
	cf_commit = RB_WIRE_SNAPREP_AGE_MAX;
	ok(copy_frame(RB_WIRE_COPY_SNAPRELAY, 1, 512, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) > 0 && no_leaks(),
	   "snapshot relay with the largest age taken", why);
	cf_hint = 99;
	cf_commit = 40;
	ok(copy_frame(RB_WIRE_COPY_KIND_MAX + 1, 0, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "copy frame of an unknown kind refused", why);
	ok(copy_frame(0, 0, 0, RAFT_MSG_SNAPSHOT, RB_WIRE_MSGF_COPY, 0,
		      &why) < 0 && no_leaks(),
	   "copy frame of kind 0 refused", why);
	ok(copy_frame(RB_WIRE_COPY_CHUNK, 1, 4096, RAFT_MSG_APPEND,
		      RB_WIRE_MSGF_COPY, 0, &why) < 0 && no_leaks(),
	   "copy flag on an APPEND refused", why);
	ok(copy_frame(RB_WIRE_COPY_DONE, 0, 0, RAFT_MSG_SNAPSHOT,
		      RB_WIRE_MSGF_COPY, 1, &why) < 0 && no_leaks(),
	   "copy frame with a membership refused", why);
	ok(copy_frame(RB_WIRE_COPY_CHUNK, 1, 4096, RAFT_MSG_SNAPSHOT, 0, 0,
		      &why) < 0 && no_leaks(),
	   "entries on a SNAPSHOT without the copy flag refused", why);
}

/*
 * Promote frames (TIMEOUT_NOW + RB_WIRE_MSGF_PROMOTE): an ask and a
 * refusal round trip with their fields; the codec refuses the flag on
 * another type, with other flags, of an unknown kind or reason.
 */
static long promote_frame(u8 type, u8 flags, u64 kind, u64 reason,
			  struct raft_msg *out, const char **why)
{
	struct raft_msg m = {};
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	long len, ret;
	u8 *buf;

	m.type = type;
	m.flags = flags;
	m.from = 1;
	m.to = 2;
	m.term = 5;
	m.hint_term = kind;
	m.hint_index = reason;
	m.context = 0x1234567890abcdefULL;	/* the ask's cookie */
	*why = "";
	len = test_encode_frame(&m, &lim, &buf);
	if (len < 0)
		return len;
	memset(out, 0, sizeof(*out));
	ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
				   &test_payload_ops, NULL, &h, &c, &m, why);
	free(buf);
	if (ret > 0) {
		*out = m;	/* the fields; it has no entries to keep */
		rb_wire_msg_release(&m);
	}
	return ret;
}

static void test_promote_frames(void)
{
	struct raft_msg m;
	const char *why;
	long ret;

	ret = promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE,
			    RB_WIRE_PROMOTE_ASK, 0, &m, &why);
	ok(ret > 0 && m.type == RAFT_MSG_TIMEOUT_NOW &&
	   m.flags == RB_WIRE_MSGF_PROMOTE &&
	   m.hint_term == RB_WIRE_PROMOTE_ASK && !m.hint_index &&
	   m.context == 0x1234567890abcdefULL && m.term == 5 && no_leaks(),
	   "promote ask: round trip", why);
	ret = promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE,
			    RB_WIRE_PROMOTE_REFUSED, RB_WIRE_PROMOTE_IN_USE,
			    &m, &why);
	ok(ret > 0 && m.hint_term == RB_WIRE_PROMOTE_REFUSED &&
	   m.hint_index == RB_WIRE_PROMOTE_IN_USE && no_leaks(),
	   "promote refusal (in use): round trip", why);
	ret = promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE,
			    RB_WIRE_PROMOTE_REFUSED, RB_WIRE_PROMOTE_BUSY,
			    &m, &why);
	ok(ret > 0 && m.hint_index == RB_WIRE_PROMOTE_BUSY && no_leaks(),
	   "promote refusal (busy): round trip", why);
	ok(promote_frame(RAFT_MSG_HEARTBEAT, RB_WIRE_MSGF_PROMOTE,
			 RB_WIRE_PROMOTE_ASK, 0, &m, &why) < 0 && no_leaks(),
	   "promote flag on a HEARTBEAT refused", why);
	ok(promote_frame(RAFT_MSG_TIMEOUT_NOW,
			 RB_WIRE_MSGF_PROMOTE | RAFT_MSGF_TRANSFER,
			 RB_WIRE_PROMOTE_ASK, 0, &m, &why) < 0 && no_leaks(),
	   "promote frame with another flag refused", why);
	ok(promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE, 3, 0, &m,
			 &why) < 0 && no_leaks(),
	   "promote frame of an unknown kind refused", why);
	ok(promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE,
			 RB_WIRE_PROMOTE_ASK, 1, &m, &why) < 0 && no_leaks(),
	   "promote ask with a reason refused", why);
	ok(promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE,
			 RB_WIRE_PROMOTE_REFUSED, 0, &m, &why) < 0 &&
	   no_leaks(), "promote refusal without a reason refused", why);
	ok(promote_frame(RAFT_MSG_TIMEOUT_NOW, RB_WIRE_MSGF_PROMOTE,
			 RB_WIRE_PROMOTE_REFUSED,
			 RB_WIRE_PROMOTE_REASON_MAX + 1, &m, &why) < 0 &&
	   no_leaks(), "promote refusal of an unknown reason refused", why);
}

/* ---- peer authentication: AUTH frames, the HKDF info, HMAC/HKDF ---- */

static bool hex_is(const u8 *got, const char *hex, size_t n)
{
	size_t i;
	unsigned int v;

	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || got[i] != v)
			return false;
	}
	return true;
}

static void hex_to(u8 *out, const char *hex, size_t n)
{
	unsigned int v;
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = sscanf(hex + 2 * i, "%2x", &v) == 1 ? (u8)v : 0;
}

/*
 * kernel/poly1305.c (the kernel's frame MAC, built here as portable C):
 * RFC 8439 section 2.5.2 and appendix A.3 vectors 5, 6 and 11 (the
 * final reduction, the carry out of s, the partial reduction's carries),
 * then OpenSSL's Poly1305 on random keys (all-ones ones first) and
 * messages of 0 to 1100 bytes cut in random pieces, iterations * 20
 * times. The kernel test module checks the same against the kernel
 * library's generic code.
 */
static void test_rb_poly1305(void)
{
	static const struct {
		const char *key, *msg, *tag;
	} v[] = {
		{ "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
		  "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
		  "a8061dc1305136c6c22b8baf0c0127a9" },
		{ "0200000000000000000000000000000000000000000000000000000000000000",
		  "ffffffffffffffffffffffffffffffff",
		  "03000000000000000000000000000000" },
		{ "02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
		  "02000000000000000000000000000000",
		  "03000000000000000000000000000000" },
		{ "0100000000000000040000000000000000000000000000000000000000000000",
		  "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
		  "00000000000000000000000000000000",
		  "13000000000000000000000000000000" },
	};
	struct rb_poly1305 st;
	u8 key[32], buf[1100], tag[16], want[16];
	size_t i, len, off, n;
	u64 rng = seed ^ 0x1305;
	bool good = true;
	long it;

	for (i = 0; good && i < sizeof(v) / sizeof(v[0]); i++) {
		len = strlen(v[i].msg) / 2;
		hex_to(key, v[i].key, 32);
		hex_to(buf, v[i].msg, len);
		rb_poly1305_init(&st, key);
		/* in two pieces: across a block boundary when long enough */
		rb_poly1305_update(&st, buf, len / 3);
		rb_poly1305_update(&st, buf + len / 3, len - len / 3);
		rb_poly1305_final(&st, tag);
		good = hex_is(tag, v[i].tag, 16);
	}
	ok(good, "kernel/poly1305.c: RFC 8439 section 2.5.2 and appendix A.3 vectors 5, 6, 11",
	   NULL);
	for (it = 0; good && it < iterations * 20; it++) {
		for (i = 0; i < sizeof(key); i++)
			key[i] = it < 16 ? 0xff : (u8)test_rand(&rng);
		len = it < 16 ? (size_t)(1024 + it) : test_rand(&rng) % sizeof(buf);
		for (i = 0; i < len; i++)
			buf[i] = it < 8 ? 0xff : (u8)test_rand(&rng);
		rb_poly1305_init(&st, key);
		for (off = 0; off < len; off += n) {
			n = 1 + test_rand(&rng) % (len - off);
			rb_poly1305_update(&st, buf + off, n);
		}
		rb_poly1305_final(&st, tag);
		good = !au_poly1305(key, buf, len, want) &&
		       !memcmp(tag, want, sizeof(tag));
	}
	ok(good, "kernel/poly1305.c: the same tags as OpenSSL's Poly1305 (random keys, lengths, splits; all-ones keys and messages)",
	   NULL);
}

/*
 * The frame MAC: Poly1305 against RFC 8439 section 2.5.2, then the whole
 * construction (one-time key from the frame key and seq, Poly1305 of the
 * frame) against a vector computed by an independent implementation
 * (Python's hmac and a big-integer Poly1305): key bytes 0..31, seq
 * 0x0102030405060708, frame bytes 7 * i for i < 100. The kernel test
 * module checks the same vectors (tools/testing/wire/ktest).
 */
static void test_frame_mac_vectors(void)
{
	static const char msg[] = "Cryptographic Forum Research Group";
	u8 key[RB_WIRE_MAC_LEN], otk[RB_WIRE_MAC_LEN], frame[100];
	u8 tag[RB_WIRE_FRAME_MAC_LEN];
	bool good;
	int i;

	for (i = 0; i < RB_WIRE_MAC_LEN; i++)
		key[i] = (u8)i;
	for (i = 0; i < (int)sizeof(frame); i++)
		frame[i] = (u8)(7 * i);
	{
		static const char k[] = "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b";
		u8 rk[RB_WIRE_MAC_LEN];
		unsigned int v;

		for (i = 0; i < RB_WIRE_MAC_LEN; i++) {
			if (sscanf(k + 2 * i, "%2x", &v) != 1)
				v = 0;
			rk[i] = (u8)v;
		}
		good = !au_poly1305(rk, (const u8 *)msg, sizeof(msg) - 1, tag) &&
		       hex_is(tag, "a8061dc1305136c6c22b8baf0c0127a9", 16);
	}
	ok(good, "userspace Poly1305: RFC 8439 section 2.5.2 test vector",
	   NULL);
	good = !au_frame_otk(key, 0x0102030405060708ULL, otk) &&
	       hex_is(otk, "db4302f3d56df6c5150c2dd871fa0d26872915136c29b7c0a1ec44c5f78e586b", 32) &&
	       !au_frame_mac(key, 0x0102030405060708ULL, frame, sizeof(frame),
			     tag) &&
	       hex_is(tag, "d6bafe6af4952bf8ae9d88fe3bdc870d", 16);
	/* Another seq, another key: never the same tag. */
	good = good && !au_frame_otk(key, 0x0102030405060709ULL, otk) &&
	       !hex_is(otk, "db4302f3d56df6c5150c2dd871fa0d26872915136c29b7c0a1ec44c5f78e586b", 32);
	ok(good, "userspace frame MAC: one-time key and Poly1305 tag of a known frame",
	   NULL);
}

static void test_auth(void)
{
	u8 buf[RB_WIRE_CTL_MAX], nonce[RB_WIRE_NONCE_LEN], proof[RB_WIRE_MAC_LEN];
	u8 key[22], salt[13], info[RB_WIRE_AUTH_INFO_LEN], out[42], prk[32];
	const void *p[1];
	size_t l[1];
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct raft_msg m;
	const char *why = "";
	bool good = true;
	long ret;
	int len, i;
	u8 step;

	detail[0] = 0;
	for (i = 0; i < RB_WIRE_NONCE_LEN; i++) {
		nonce[i] = (u8)(i + 1);
		proof[i] = (u8)(0xa0 + i);
	}
	for (step = RB_WIRE_AUTH_CHALLENGE; step <= RB_WIRE_AUTH_PROOF;
	     step++) {
		const u8 *n = step == RB_WIRE_AUTH_PROOF ? NULL : nonce;
		const u8 *pr = step == RB_WIRE_AUTH_CHALLENGE ? NULL : proof;

		len = rb_wire_encode_auth(&test_tx_ids, step, n, pr, buf);
		ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
					   &test_payload_ops, NULL, &h, &c, &m,
					   &why);
		if (len != RB_WIRE_HDR_LEN + RB_WIRE_AUTH_LEN || ret != len ||
		    h.type != RB_WIRE_AUTH || c.auth_step != step ||
		    buf[RB_WIRE_HDR_LEN] != step ||
		    (n && memcmp(c.nonce, nonce, sizeof(nonce))) ||
		    (pr && memcmp(c.proof, proof, sizeof(proof))) ||
		    (n && memcmp(buf + RB_WIRE_HDR_LEN + 8, nonce, 32)) ||
		    (pr && memcmp(buf + RB_WIRE_HDR_LEN + 40, proof, 32))) {
			FAILF("auth step %u: %ld %s", step, ret, why);
			good = false;
		}
	}
	ok(good, "AUTH frames: round trip of the three steps, documented offsets",
	   detail);
	good = rb_wire_encode_auth(&test_tx_ids, 0, nonce, NULL, buf) ==
	       RB_WIRE_EINVAL &&
	       rb_wire_encode_auth(&test_tx_ids, RB_WIRE_AUTH_CHALLENGE, nonce,
				   proof, buf) == RB_WIRE_EINVAL &&
	       rb_wire_encode_auth(&test_tx_ids, RB_WIRE_AUTH_PROOF, nonce,
				   proof, buf) == RB_WIRE_EINVAL &&
	       rb_wire_encode_auth(&test_tx_ids, RB_WIRE_AUTH_RESPONSE, NULL,
				   proof, buf) == RB_WIRE_EINVAL;
	/* A CHALLENGE carrying a proof, re-sealed: refused by the decoder. */
	len = rb_wire_encode_auth(&test_tx_ids, RB_WIRE_AUTH_CHALLENGE, nonce,
				  NULL, buf);
	buf[RB_WIRE_HDR_LEN + 40] = 1;
	test_reseal(buf, len);
	ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
				   &test_payload_ops, NULL, &h, &c, &m, &why);
	good = good && ret == RB_WIRE_EBADFRAME;
	len = rb_wire_encode_auth(&test_tx_ids, RB_WIRE_AUTH_PROOF, NULL,
				  proof, buf);
	buf[RB_WIRE_HDR_LEN] = 4;	/* unknown step */
	test_reseal(buf, len);
	ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
				   &test_payload_ops, NULL, &h, &c, &m, &why);
	good = good && ret == RB_WIRE_EBADFRAME;
	ok(good, "AUTH frames: wrong steps and fields refused by encoder and decoder",
	   NULL);
	len = rb_wire_encode_hello_feat(&test_tx_ids, RB_WIRE_HELLO,
					RB_WIRE_CLASS_BULK,
					RB_WIRE_FEAT_AUTH_P1305, buf);
	ret = rb_wire_decode_frame(buf, len, &lim, &test_rx_ids,
				   &test_payload_ops, NULL, &h, &c, &m, &why);
	ok(ret == len && c.features == RB_WIRE_FEAT_AUTH_P1305 &&
	   buf[RB_WIRE_HDR_LEN + 8] == 0x13,
	   "HELLO carries the AUTH, MAC_P1305 and MAC_ENTRY feature bits (bits 0, 1 and 4)",
	   NULL);
	len = rb_wire_auth_info(RB_WIRE_LABEL_ACCEPTOR_PROOF,
				test_tx_ids.cluster, 0x0102030405060708ULL, 9,
				RB_WIRE_CLASS_BULK, info);
	ok(len == RB_WIRE_AUTH_INFO_LEN && !memcmp(info, "raftblk-auth-v1", 15) &&
	   info[15] == 2 && !memcmp(info + 16, test_tx_ids.cluster, 16) &&
	   info[32] == 8 && info[39] == 1 && info[40] == 9 && info[48] == 2,
	   "HKDF info: label, cluster, dialer, acceptor, class at the documented offsets",
	   NULL);

	/* The userspace HMAC/HKDF (hostile peer) against RFC 4231 / 5869. */
	memset(key, 0x0b, 20);
	p[0] = "Hi There";
	l[0] = 8;
	good = !au_hmac(key, 20, p, l, 1, out) &&
	       hex_is(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32);
	p[0] = "what do ya want for nothing?";
	l[0] = 28;
	good = good && !au_hmac((const u8 *)"Jefe", 4, p, l, 1, out) &&
	       hex_is(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32);
	ok(good, "userspace HMAC-SHA256: RFC 4231 test cases 1 and 2", NULL);
	memset(key, 0x0b, sizeof(key));
	for (i = 0; i < (int)sizeof(salt); i++)
		salt[i] = (u8)i;
	for (i = 0; i < 10; i++)
		info[i] = (u8)(0xf0 + i);
	ok(!au_hkdf_extract(salt, sizeof(salt), key, sizeof(key), prk) &&
	   hex_is(prk, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", 32) &&
	   !au_hkdf_expand(prk, info, 10, out, 42) &&
	   hex_is(out, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", 42),
	   "userspace HKDF-SHA256: RFC 5869 test case 1", NULL);
	test_frame_mac_vectors();
	test_rb_poly1305();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		iterations = strtol(argv[1], NULL, 0);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	printf("# wire codec tests, %ld iterations, seed 0x%llx\n", iterations,
	       (unsigned long long)seed);
	rb_wire_limits_default(&lim);
	test_roundtrip();
	test_control_roundtrip();
	test_layout();
	test_golden();
	test_flips_and_truncations();
	test_edits();
	test_garbage();
	test_encoder_refusals();
	test_alloc_failures();
	test_limits();
	test_streaming();
	test_identities();
	test_hello_refusal();
	test_term_cap();
	test_refusal_contents();
	test_copy_frames();
	test_snaprep();
	test_promote_frames();
	test_auth();
	printf("1..%d\n", n_tests);
	printf("# %d passed, %d failed\n", n_tests - n_failed, n_failed);
	return n_failed ? 1 : 0;
}
