// SPDX-License-Identifier: GPL-2.0
/*
 * wire.c - raftblk's wire protocol: frame encoder and validating decoder.
 *
 * Portable: no kernel header, no libc header; see wire.h for the API and
 * Documentation/wire-protocol.rst for the format. Every multi-byte field
 * is read and written byte by byte in little-endian order, so neither
 * host byte order nor alignment nor struct layout matters.
 */
#include "raft/raft.h"
#include "portable.h"
#include "wire.h"

/* Header field offsets. */
#define H_MAGIC		0
#define H_VERSION	4
#define H_TYPE		6
#define H_FLAGS		7
#define H_META_LEN	8
#define H_DATA_LEN	12
#define H_CLUSTER	16
#define H_SENDER	32
#define H_RECEIVER	40
#define H_META_CRC	48
#define H_RESERVED	52	/* 8 bytes, zero */
#define H_HDR_CRC	60

/* Entry record flags. */
#define E_HAS_PAYLOAD	0x01

#define SECTOR_BYTES	512U
#define U64_MAX_VAL	(~(u64)0)
#define U32_MAX_VAL	((u32)~0U)

/* ------------------------------------------------------------------ */
/* Byte access (wider fields: rb_{put,get}_le* in portable.h)        */

static void put8(u8 *p, u8 v)
{
	p[0] = v;
}

/* A bounds-checked reader over the meta part. */
struct cursor {
	const u8 *p;
	size_t left;
};

static const u8 *take(struct cursor *c, size_t n)
{
	const u8 *p = c->p;

	if (c->left < n)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

/* ------------------------------------------------------------------ */
/* Names and limits                                                   */

void rb_wire_limits_default(struct rb_wire_limits *lim)
{
	lim->max_meta_len = 1U << 20;
	lim->max_data_len = 32U << 20;
	lim->max_entries = 4096;
	lim->max_payload_data = 1U << 20;
	lim->max_payload_len = 1U << 30;
}

const char *rb_wire_type_name(u8 type)
{
	switch (type) {
	case RB_WIRE_HELLO:
		return "HELLO";
	case RB_WIRE_HELLO_ACK:
		return "HELLO_ACK";
	case RB_WIRE_REFUSE:
		return "REFUSE";
	case RB_WIRE_RAFT_MSG:
		return "RAFT_MSG";
	case RB_WIRE_PING:
		return "PING";
	case RB_WIRE_PONG:
		return "PONG";
	case RB_WIRE_AUTH:
		return "AUTH";
	}
	return "unknown";
}

const char *rb_wire_refuse_name(u16 reason)
{
	switch (reason) {
	case RB_WIRE_REFUSE_CLUSTER:
		return "wrong cluster";
	case RB_WIRE_REFUSE_NODE:
		return "wrong node id";
	case RB_WIRE_REFUSE_VERSION:
		return "version mismatch";
	case RB_WIRE_REFUSE_CLASS:
		return "unknown connection class";
	case RB_WIRE_REFUSE_SHUTDOWN:
		return "shutting down";
	case RB_WIRE_REFUSE_AUTH:
		return "authentication failed";
	}
	return "unknown reason";
}

const char *rb_wire_err_name(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case RB_WIRE_EBADFRAME:
		return "bad frame";
	case RB_WIRE_EVERSION:
		return "unsupported version";
	case RB_WIRE_ECLUSTER:
		return "wrong cluster";
	case RB_WIRE_ENODE:
		return "wrong node id";
	case RB_WIRE_ETOOBIG:
		return "over limit";
	case RB_WIRE_ESHORT:
		return "incomplete frame";
	case RB_WIRE_ENOSPC:
		return "buffer too small";
	case RB_WIRE_EINVAL:
		return "message not encodable";
	case RB_WIRE_ENOMEM:
		return "out of memory";
	}
	return "unknown error";
}

u32 rb_wire_crc_update(u32 state, const void *buf, size_t len)
{
	return crc32c(state, buf, len);
}

static int fail(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

#define BAD(reason)	fail(why, reason, RB_WIRE_EBADFRAME)

/* ------------------------------------------------------------------ */
/* Header                                                             */

static void put_header(u8 *b, const struct rb_wire_ids *ids, u8 type,
		       u32 meta_len, u32 data_len)
{
	u8 *meta = b + RB_WIRE_HDR_LEN;

	rb_put_le32(b + H_MAGIC, RB_WIRE_MAGIC);
	rb_put_le16(b + H_VERSION, RB_WIRE_VERSION);
	put8(b + H_TYPE, type);
	put8(b + H_FLAGS, 0);
	rb_put_le32(b + H_META_LEN, meta_len);
	rb_put_le32(b + H_DATA_LEN, data_len);
	memcpy(b + H_CLUSTER, ids->cluster, RB_WIRE_UUID_LEN);
	rb_put_le64(b + H_SENDER, ids->local);
	rb_put_le64(b + H_RECEIVER, ids->peer);
	rb_put_le32(b + H_META_CRC, raftblk_crc32c(meta, meta_len));
	memset(b + H_RESERVED, 0, 8);
	rb_put_le32(b + H_HDR_CRC, raftblk_crc32c(b, H_HDR_CRC));
}

int rb_wire_decode_header(const void *buf, const struct rb_wire_limits *lim,
			  const struct rb_wire_ids *ids,
			  struct rb_wire_hdr *h, const char **why)
{
	const u8 *b = buf;
	bool ctl_len_ok;

	memset(h, 0, sizeof(*h));
	if (rb_get_le32(b + H_MAGIC) != RB_WIRE_MAGIC)
		return BAD("bad magic");
	/* Magic and version keep their place in every version. */
	h->version = rb_get_le16(b + H_VERSION);
	if (rb_get_le32(b + H_HDR_CRC) != raftblk_crc32c(b, H_HDR_CRC))
		return BAD("header crc mismatch");
	h->type = b[H_TYPE];
	h->flags = b[H_FLAGS];
	h->meta_len = rb_get_le32(b + H_META_LEN);
	h->data_len = rb_get_le32(b + H_DATA_LEN);
	memcpy(h->cluster, b + H_CLUSTER, RB_WIRE_UUID_LEN);
	h->sender = rb_get_le64(b + H_SENDER);
	h->receiver = rb_get_le64(b + H_RECEIVER);
	h->meta_crc = rb_get_le32(b + H_META_CRC);

	if (h->version < RB_WIRE_VERSION_MIN ||
	    h->version > RB_WIRE_VERSION_MAX)
		return fail(why, "unsupported protocol version",
			    RB_WIRE_EVERSION);
	if (h->flags)
		return BAD("unknown header flags");
	if (!rb_all_zero(b + H_RESERVED, 8))
		return BAD("reserved header bytes not zero");

	switch (h->type) {
	case RB_WIRE_HELLO:
	case RB_WIRE_HELLO_ACK:
		ctl_len_ok = h->meta_len == RB_WIRE_HELLO_LEN;
		break;
	case RB_WIRE_REFUSE:
		ctl_len_ok = h->meta_len == RB_WIRE_REFUSE_LEN;
		break;
	case RB_WIRE_PING:
	case RB_WIRE_PONG:
		ctl_len_ok = h->meta_len == RB_WIRE_PING_LEN;
		break;
	case RB_WIRE_AUTH:
		ctl_len_ok = h->meta_len == RB_WIRE_AUTH_LEN;
		break;
	case RB_WIRE_RAFT_MSG:
		if (h->meta_len < RB_WIRE_MSG_LEN)
			return BAD("meta part shorter than a message");
		if (h->meta_len > lim->max_meta_len)
			return fail(why, "meta part over the limit",
				    RB_WIRE_ETOOBIG);
		if (h->data_len > lim->max_data_len)
			return fail(why, "data part over the limit",
				    RB_WIRE_ETOOBIG);
		ctl_len_ok = true;
		break;
	default:
		return BAD("unknown frame type");
	}
	if (!ctl_len_ok)
		return BAD("meta length wrong for the frame type");
	if (h->type != RB_WIRE_RAFT_MSG && h->data_len)
		return BAD("data part in a control frame");

	if (!h->sender || !h->receiver)
		return fail(why, "node id 0", RB_WIRE_ENODE);
	if (h->sender == h->receiver)
		return fail(why, "sender is the receiver", RB_WIRE_ENODE);
	/* A refusal may come from anywhere: the dialer only logs it. */
	if (h->type == RB_WIRE_REFUSE)
		return 0;
	/* All zero is a blank node's "no cluster yet", never a cluster. */
	if (rb_all_zero(h->cluster, RB_WIRE_UUID_LEN))
		return fail(why, "frame without a cluster id", RB_WIRE_ECLUSTER);
	if (memcmp(h->cluster, ids->cluster, RB_WIRE_UUID_LEN))
		return fail(why, "frame from another cluster",
			    RB_WIRE_ECLUSTER);
	if (h->receiver != ids->local)
		return fail(why, "frame for another node", RB_WIRE_ENODE);
	if (ids->peer && h->sender != ids->peer)
		return fail(why, "frame from an unexpected sender",
			    RB_WIRE_ENODE);
	return 0;
}

static int check_meta_crc(const struct rb_wire_hdr *h, const void *meta,
			  const char **why)
{
	if (raftblk_crc32c(meta, h->meta_len) != h->meta_crc)
		return BAD("meta crc mismatch");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Control frames                                                     */

int rb_wire_decode_ctl(const struct rb_wire_hdr *h, const void *meta,
		       struct rb_wire_ctl *c, const char **why)
{
	const u8 *b = meta;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = check_meta_crc(h, meta, why);
	if (ret)
		return ret;
	switch (h->type) {
	case RB_WIRE_HELLO:
	case RB_WIRE_HELLO_ACK:
		c->min_version = rb_get_le16(b);
		c->max_version = rb_get_le16(b + 2);
		c->conn_class = b[4];
		c->features = rb_get_le64(b + 8);
		if (!rb_all_zero(b + 5, 3))
			return BAD("reserved hello bytes not zero");
		break;
	case RB_WIRE_REFUSE:
		c->reason = rb_get_le16(b);
		c->min_version = rb_get_le16(b + 2);
		c->max_version = rb_get_le16(b + 4);
		if (!c->reason)
			return BAD("refusal without a reason");
		if (rb_get_le16(b + 6))
			return BAD("reserved refuse bytes not zero");
		break;
	case RB_WIRE_PING:
	case RB_WIRE_PONG:
		c->cookie = rb_get_le64(b);
		return 0;
	case RB_WIRE_AUTH:
		c->auth_step = b[0];
		memcpy(c->nonce, b + 8, RB_WIRE_NONCE_LEN);
		memcpy(c->proof, b + 8 + RB_WIRE_NONCE_LEN, RB_WIRE_MAC_LEN);
		if (!rb_all_zero(b + 1, 7))
			return BAD("reserved auth bytes not zero");
		if (c->auth_step < RB_WIRE_AUTH_CHALLENGE ||
		    c->auth_step > RB_WIRE_AUTH_PROOF)
			return BAD("unknown auth step");
		/* Exactly what the step carries: one encoding per frame. */
		if ((c->auth_step == RB_WIRE_AUTH_PROOF) !=
		    rb_all_zero(c->nonce, RB_WIRE_NONCE_LEN))
			return BAD("auth nonce where the step has none, or none where it has one");
		if ((c->auth_step == RB_WIRE_AUTH_CHALLENGE) !=
		    rb_all_zero(c->proof, RB_WIRE_MAC_LEN))
			return BAD("auth proof where the step has none, or none where it has one");
		return 0;
	default:
		return BAD("not a control frame");
	}
	if (!c->min_version || c->min_version > c->max_version)
		return BAD("bad version range");
	return 0;
}

u16 rb_wire_hello_refusal(const struct rb_wire_ctl *hello)
{
	if (hello->min_version > RB_WIRE_VERSION ||
	    hello->max_version < RB_WIRE_VERSION)
		return RB_WIRE_REFUSE_VERSION;
	if (hello->conn_class != RB_WIRE_CLASS_CONTROL &&
	    hello->conn_class != RB_WIRE_CLASS_BULK)
		return RB_WIRE_REFUSE_CLASS;
	return 0;
}

int rb_wire_encode_hello_feat(const struct rb_wire_ids *ids, u8 type,
			      u8 conn_class, u64 features, void *buf)
{
	u8 *b = buf;
	u8 *m = b + RB_WIRE_HDR_LEN;

	if (type != RB_WIRE_HELLO && type != RB_WIRE_HELLO_ACK)
		return RB_WIRE_EINVAL;
	memset(m, 0, RB_WIRE_HELLO_LEN);
	rb_put_le16(m, RB_WIRE_VERSION_MIN);
	rb_put_le16(m + 2, RB_WIRE_VERSION_MAX);
	put8(m + 4, conn_class);
	rb_put_le64(m + 8, features);
	put_header(b, ids, type, RB_WIRE_HELLO_LEN, 0);
	return RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN;
}

int rb_wire_encode_hello(const struct rb_wire_ids *ids, u8 type,
			 u8 conn_class, void *buf)
{
	return rb_wire_encode_hello_feat(ids, type, conn_class, 0, buf);
}

int rb_wire_encode_auth(const struct rb_wire_ids *ids, u8 step,
			const u8 *nonce, const u8 *proof, void *buf)
{
	u8 *b = buf;
	u8 *m = b + RB_WIRE_HDR_LEN;

	if (step < RB_WIRE_AUTH_CHALLENGE || step > RB_WIRE_AUTH_PROOF ||
	    !nonce != (step == RB_WIRE_AUTH_PROOF) ||
	    !proof != (step == RB_WIRE_AUTH_CHALLENGE))
		return RB_WIRE_EINVAL;
	memset(m, 0, RB_WIRE_AUTH_LEN);
	put8(m, step);
	if (nonce)
		memcpy(m + 8, nonce, RB_WIRE_NONCE_LEN);
	if (proof)
		memcpy(m + 8 + RB_WIRE_NONCE_LEN, proof, RB_WIRE_MAC_LEN);
	put_header(b, ids, RB_WIRE_AUTH, RB_WIRE_AUTH_LEN, 0);
	return RB_WIRE_HDR_LEN + RB_WIRE_AUTH_LEN;
}

int rb_wire_auth_info(u8 label, const u8 cluster[RB_WIRE_UUID_LEN],
		      raft_id dialer, raft_id acceptor, u8 conn_class,
		      u8 *buf)
{
	static const char tag[15] = "raftblk-auth-v1";

	memcpy(buf, tag, sizeof(tag));
	put8(buf + 15, label);
	memcpy(buf + 16, cluster, RB_WIRE_UUID_LEN);
	rb_put_le64(buf + 32, dialer);
	rb_put_le64(buf + 40, acceptor);
	put8(buf + 48, conn_class);
	return RB_WIRE_AUTH_INFO_LEN;
}

int rb_wire_encode_refuse(const struct rb_wire_ids *ids, u16 reason,
			  void *buf)
{
	struct rb_wire_ids anon = *ids;
	u8 *b = buf;
	u8 *m = b + RB_WIRE_HDR_LEN;

	if (!reason)
		return RB_WIRE_EINVAL;
	/* A refusal never names the refusing node's cluster. */
	memset(anon.cluster, 0, RB_WIRE_UUID_LEN);
	rb_put_le16(m, reason);
	rb_put_le16(m + 2, RB_WIRE_VERSION_MIN);
	rb_put_le16(m + 4, RB_WIRE_VERSION_MAX);
	rb_put_le16(m + 6, 0);
	put_header(b, &anon, RB_WIRE_REFUSE, RB_WIRE_REFUSE_LEN, 0);
	return RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN;
}

int rb_wire_encode_refusal(const struct rb_wire_hdr *refused, u16 reason,
			   void *buf)
{
	struct rb_wire_ids echo = {
		.local = refused->receiver,
		.peer = refused->sender,
	};

	if (!echo.local || !echo.peer || echo.local == echo.peer)
		return RB_WIRE_EINVAL;
	return rb_wire_encode_refuse(&echo, reason, buf);
}

int rb_wire_encode_ping(const struct rb_wire_ids *ids, u8 type, u64 cookie,
			void *buf)
{
	u8 *b = buf;

	if (type != RB_WIRE_PING && type != RB_WIRE_PONG)
		return RB_WIRE_EINVAL;
	rb_put_le64(b + RB_WIRE_HDR_LEN, cookie);
	put_header(b, ids, type, RB_WIRE_PING_LEN, 0);
	return RB_WIRE_HDR_LEN + RB_WIRE_PING_LEN;
}

/* ------------------------------------------------------------------ */
/* Message validation (shared by the encoder and the decoder)         */

static bool is_response(u8 type)
{
	return type == RAFT_MSG_APPEND_RESP || type == RAFT_MSG_VOTE_RESP ||
	       type == RAFT_MSG_PREVOTE_RESP;
}

static int check_conf(const struct raft_conf *conf, const char **why)
{
	u32 i, j;

	if (conf->n > RAFT_MAX_NODES)
		return BAD("too many nodes in a configuration");
	for (i = 0; i < conf->n; i++) {
		const struct raft_node *nd = &conf->nodes[i];

		if (!nd->id)
			return BAD("node id 0 in a configuration");
		if (nd->role != RAFT_VOTER && nd->role != RAFT_LEARNER)
			return BAD("bad node role in a configuration");
		for (j = 0; j < i; j++)
			if (conf->nodes[j].id == nd->id)
				return BAD("duplicate node in a configuration");
	}
	return 0;
}

/* Fields of the message itself, before its entries. */
static int check_msg(const struct raft_msg *m,
		     const struct rb_wire_limits *lim, const char **why)
{
	if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_TYPE_MAX)
		return BAD("unknown raft message type");
	if (m->reject > 1)
		return BAD("reject is not 0 or 1");
	if (m->reject && !is_response(m->type))
		return BAD("reject set on a message that is no response");
	if (m->flags & ~(RAFT_MSGF_TRANSFER | RAFT_MSGF_RESYNC |
			 RB_WIRE_MSGF_COPY | RB_WIRE_MSGF_PROMOTE))
		return BAD("unknown raft message flags");
	if (m->flags & RB_WIRE_MSGF_PROMOTE) {
		if (m->type != RAFT_MSG_TIMEOUT_NOW ||
		    m->flags != RB_WIRE_MSGF_PROMOTE)
			return BAD("promote flag on a message that is no timeout-now");
		if (m->hint_term == RB_WIRE_PROMOTE_ASK) {
			if (m->hint_index)
				return BAD("promote ask with a reason");
		} else if (m->hint_term == RB_WIRE_PROMOTE_REFUSED) {
			if (!m->hint_index ||
			    m->hint_index > RB_WIRE_PROMOTE_REASON_MAX)
				return BAD("unknown promote refusal reason");
		} else {
			return BAD("unknown promote frame kind");
		}
	}
	if (m->flags & RB_WIRE_MSGF_COPY) {
		if (m->type != RAFT_MSG_SNAPSHOT || m->flags != RB_WIRE_MSGF_COPY)
			return BAD("copy flag on a message that is no snapshot");
		if (m->hint_term < RB_WIRE_COPY_CHUNK ||
		    m->hint_term > RB_WIRE_COPY_KIND_MAX)
			return BAD("unknown copy frame kind");
		if (m->n_entries != (m->hint_term == RB_WIRE_COPY_CHUNK ||
				     m->hint_term == RB_WIRE_COPY_VERIFY ||
				     m->hint_term == RB_WIRE_COPY_SNAPREPORT ||
				     m->hint_term == RB_WIRE_COPY_SNAPRELAY))
			return BAD("copy chunk without exactly one entry");
		if (m->snap.conf.n || !m->snap.index || !m->snap.term)
			return BAD("copy frame with a membership or no snapshot");
		if (m->hint_term == RB_WIRE_COPY_SNAPRELAY &&
		    (!m->hint_index || m->hint_index > U32_MAX_VAL ||
		     m->hint_index == m->to))
			return BAD("snapshot relay of no node or of its receiver");
		if (m->hint_term == RB_WIRE_COPY_SNAPRELAY &&
		    m->commit > RB_WIRE_SNAPREP_AGE_MAX)
			return BAD("snapshot relay with its age out of range");
	}
	if ((m->flags & RAFT_MSGF_RESYNC) &&
	    (m->type != RAFT_MSG_APPEND_RESP || !m->reject))
		return BAD("resync flag on a message that is no rejection");
	if ((m->flags & RAFT_MSGF_TRANSFER) && m->type != RAFT_MSG_VOTE &&
	    m->type != RAFT_MSG_PREVOTE)
		return BAD("transfer flag on a message that is no vote");
	if (!m->from || !m->to || m->from == m->to)
		return fail(why, "bad from/to", RB_WIRE_ENODE);
	/*
	 * A term past the cap is never adopted: one such message would
	 * make the next campaign wrap the term (entry terms are bounded by
	 * the message term, checked with each entry).
	 */
	if (m->term > RAFT_TERM_MAX || m->log_term > RAFT_TERM_MAX ||
	    m->hint_term > RAFT_TERM_MAX ||
	    (m->type == RAFT_MSG_SNAPSHOT && m->snap.term > RAFT_TERM_MAX))
		return BAD("term above the cap (RAFT_TERM_MAX)");
	if (m->n_entries) {
		if (m->type != RAFT_MSG_APPEND &&
		    !(m->flags & RB_WIRE_MSGF_COPY))
			return BAD("entries in a message that is no append");
		if (m->n_entries > lim->max_entries)
			return fail(why, "too many entries", RB_WIRE_ETOOBIG);
		if (m->index > U64_MAX_VAL - m->n_entries)
			return BAD("entry index overflows");
	}
	if (m->type == RAFT_MSG_SNAPSHOT)
		return check_conf(&m->snap.conf, why);
	return 0;
}

static int check_payload(const struct rb_wire_payload_desc *d,
			 const struct rb_wire_limits *lim, const char **why)
{
	u32 kind = d->flags & RB_WIRE_PL_NODATA;

	if (d->flags & ~RB_WIRE_PL_ALL)
		return BAD("unknown payload flags");
	if (!d->len || d->len % SECTOR_BYTES)
		return BAD("payload length not a positive multiple of 512");
	if (d->len > lim->max_payload_len)
		return fail(why, "payload length over the limit",
			    RB_WIRE_ETOOBIG);
	if (kind == RB_WIRE_PL_NODATA)
		return BAD("payload both discard and write-zeroes");
	if (kind) {
		if (d->data_len || d->crc)
			return BAD("data in a discard/write-zeroes payload");
		return 0;
	}
	if (d->data_len != d->len)
		return BAD("payload data length differs from its length");
	if (d->data_len > lim->max_payload_data)
		return fail(why, "payload data over the limit",
			    RB_WIRE_ETOOBIG);
	return 0;
}

/*
 * CONF entries are followed by their conf change, BARRIER entries by
 * their marker (the same 80 bytes: op, 7 zero bytes, id or argument,
 * 64 bytes of address or data).
 */
static bool rb_wire_entry_has_ext(const struct raft_entry *e)
{
	return e->type == RAFT_ENTRY_CONF || e->type == RAFT_ENTRY_BARRIER;
}

/* Entry i of m, whose payload is described by d (present or not). */
static int check_entry(const struct raft_msg *m, u32 i,
		       const struct rb_wire_payload_desc *d,
		       const struct rb_wire_limits *lim, u64 *data_total,
		       const char **why)
{
	const struct raft_entry *e = &m->entries[i];
	raft_term prev_term = i ? m->entries[i - 1].term : m->log_term;
	int ret;

	if (e->type < RAFT_ENTRY_NORMAL || e->type > RAFT_ENTRY_BARRIER)
		return BAD("unknown entry type");
	if (e->index != m->index + 1 + i)
		return BAD("entry indices not contiguous after the message index");
	if (e->term < prev_term)
		return BAD("entry terms decrease");
	if (e->term > m->term)
		return BAD("entry term above the message term");
	if (e->type == RAFT_ENTRY_CONF) {
		if (e->cc.op < RAFT_CONF_ADD_LEARNER ||
		    e->cc.op > RAFT_CONF_DEMOTE)
			return BAD("unknown conf change op");
		if (!e->cc.id)
			return BAD("conf change for node 0");
	}
	if ((m->flags & RB_WIRE_MSGF_COPY) &&
	    (e->type != RAFT_ENTRY_NORMAL || !d->present || !d->data_len ||
	     d->flags))
		return BAD("copy chunk without data");
	if (!d->present)
		return 0;
	if (e->type != RAFT_ENTRY_NORMAL)
		return BAD("payload on an entry that is not NORMAL");
	ret = check_payload(d, lim, why);
	if (ret)
		return ret;
	*data_total += d->data_len;
	if (*data_total > lim->max_data_len)
		return fail(why, "data part over the limit", RB_WIRE_ETOOBIG);
	return 0;
}

/* ------------------------------------------------------------------ */
/* RAFT_MSG encoding                                                  */

static size_t msg_meta_len(const struct raft_msg *m)
{
	size_t len = RB_WIRE_MSG_LEN;
	u32 i;

	if (m->type == RAFT_MSG_SNAPSHOT) {
		if (m->snap.conf.n > RAFT_MAX_NODES)
			return 0;
		len += RB_WIRE_SNAP_LEN +
		       (size_t)m->snap.conf.n * RB_WIRE_NODE_LEN;
	}
	if (m->n_entries && !m->entries)
		return 0;
	for (i = 0; i < m->n_entries; i++) {
		len += RB_WIRE_ENTRY_LEN;
		if (rb_wire_entry_has_ext(&m->entries[i]))
			len += RB_WIRE_CC_LEN;
	}
	return len;
}

size_t rb_wire_msg_size(const struct raft_msg *m)
{
	size_t meta = msg_meta_len(m);

	return meta ? RB_WIRE_HDR_LEN + meta : 0;
}

static u8 *put_msg_fixed(u8 *p, const struct raft_msg *m)
{
	put8(p, m->type);
	put8(p + 1, m->reject);
	put8(p + 2, m->flags);
	put8(p + 3, 0);
	rb_put_le32(p + 4, m->n_entries);
	rb_put_le64(p + 8, m->term);
	rb_put_le64(p + 16, m->index);
	rb_put_le64(p + 24, m->log_term);
	rb_put_le64(p + 32, m->commit);
	rb_put_le64(p + 40, m->hint_index);
	rb_put_le64(p + 48, m->hint_term);
	rb_put_le64(p + 56, m->context);
	return p + RB_WIRE_MSG_LEN;
}

static u8 *put_snap(u8 *p, const struct raft_snapshot_meta *s)
{
	u32 i;

	rb_put_le64(p, s->index);
	rb_put_le64(p + 8, s->term);
	rb_put_le32(p + 16, s->conf.n);
	rb_put_le32(p + 20, 0);
	p += RB_WIRE_SNAP_LEN;
	for (i = 0; i < s->conf.n; i++) {
		const struct raft_node *nd = &s->conf.nodes[i];

		rb_put_le64(p, nd->id);
		put8(p + 8, nd->role);
		memset(p + 9, 0, 7);
		memcpy(p + 16, nd->addr, RAFT_ADDR_LEN);
		p += RB_WIRE_NODE_LEN;
	}
	return p;
}

static u8 *put_entry(u8 *p, const struct raft_entry *e,
		     const struct rb_wire_payload_desc *d)
{
	rb_put_le64(p, e->term);
	rb_put_le64(p + 8, e->index);
	put8(p + 16, e->type);
	put8(p + 17, d->present ? E_HAS_PAYLOAD : 0);
	rb_put_le16(p + 18, 0);
	rb_put_le32(p + 20, d->flags);
	rb_put_le64(p + 24, d->sector);
	rb_put_le32(p + 32, d->len);
	rb_put_le32(p + 36, d->data_len);
	rb_put_le32(p + 40, d->crc);
	rb_put_le32(p + 44, 0);
	p += RB_WIRE_ENTRY_LEN;
	/* a barrier's marker has the conf change's layout (raft.h) */
	if (rb_wire_entry_has_ext(e)) {
		put8(p, e->cc.op);
		memset(p + 1, 0, 7);
		rb_put_le64(p + 8, e->cc.id);
		memcpy(p + 16, e->cc.addr, RAFT_ADDR_LEN);
		p += RB_WIRE_CC_LEN;
	}
	return p;
}

int rb_wire_encode_msg(const struct rb_wire_ids *ids,
		       const struct raft_msg *m,
		       const struct rb_wire_limits *lim,
		       const struct rb_wire_payload_ops *ops, void *ctx,
		       void *buf, size_t cap, size_t *frame_len,
		       u32 *data_len, const char **why)
{
	u8 *b = buf;
	u8 *p = b + RB_WIRE_HDR_LEN;
	u64 data_total = 0;
	size_t meta_len;
	u32 i;
	int ret;

	if (!ids->peer || m->from != ids->local || m->to != ids->peer)
		return fail(why, "from/to differ from the connection's ids",
			    RB_WIRE_EINVAL);
	ret = check_msg(m, lim, why);
	if (ret)
		return ret == RB_WIRE_ETOOBIG ? ret : RB_WIRE_EINVAL;
	meta_len = msg_meta_len(m);
	if (!meta_len)
		return fail(why, "message not encodable", RB_WIRE_EINVAL);
	if (meta_len > lim->max_meta_len)
		return fail(why, "meta part over the limit", RB_WIRE_ETOOBIG);
	if (cap < RB_WIRE_HDR_LEN + meta_len)
		return fail(why, "buffer too small", RB_WIRE_ENOSPC);

	p = put_msg_fixed(p, m);
	if (m->type == RAFT_MSG_SNAPSHOT)
		p = put_snap(p, &m->snap);
	for (i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		struct rb_wire_payload_desc d;

		memset(&d, 0, sizeof(d));
		if (e->payload) {
			ret = ops->describe(ctx, e->payload, &d);
			if (ret)
				return fail(why, "payload not describable",
					    ret);
			d.present = true;
		}
		ret = check_entry(m, i, &d, lim, &data_total, why);
		if (ret)
			return ret == RB_WIRE_ETOOBIG ? ret : RB_WIRE_EINVAL;
		p = put_entry(p, e, &d);
	}
	put_header(b, ids, RB_WIRE_RAFT_MSG, (u32)meta_len, (u32)data_total);
	*frame_len = RB_WIRE_HDR_LEN + meta_len;
	*data_len = (u32)data_total;
	return 0;
}

/* ------------------------------------------------------------------ */
/* RAFT_MSG decoding                                                  */

static int get_msg_fixed(struct cursor *c, struct raft_msg *m,
			 const char **why)
{
	const u8 *p = take(c, RB_WIRE_MSG_LEN);

	if (!p)
		return BAD("meta part shorter than a message");
	m->type = p[0];
	m->reject = p[1];
	m->flags = p[2];
	if (p[3])
		return BAD("reserved message byte not zero");
	m->n_entries = rb_get_le32(p + 4);
	m->term = rb_get_le64(p + 8);
	m->index = rb_get_le64(p + 16);
	m->log_term = rb_get_le64(p + 24);
	m->commit = rb_get_le64(p + 32);
	m->hint_index = rb_get_le64(p + 40);
	m->hint_term = rb_get_le64(p + 48);
	m->context = rb_get_le64(p + 56);
	return 0;
}

static int get_snap(struct cursor *c, struct raft_snapshot_meta *s,
		    const char **why)
{
	const u8 *p = take(c, RB_WIRE_SNAP_LEN);
	u32 i;

	if (!p)
		return BAD("snapshot meta truncated");
	s->index = rb_get_le64(p);
	s->term = rb_get_le64(p + 8);
	s->conf.n = rb_get_le32(p + 16);
	if (rb_get_le32(p + 20))
		return BAD("reserved snapshot bytes not zero");
	if (s->conf.n > RAFT_MAX_NODES)
		return BAD("too many nodes in a configuration");
	for (i = 0; i < s->conf.n; i++) {
		struct raft_node *nd = &s->conf.nodes[i];

		p = take(c, RB_WIRE_NODE_LEN);
		if (!p)
			return BAD("snapshot configuration truncated");
		nd->id = rb_get_le64(p);
		nd->role = p[8];
		if (!rb_all_zero(p + 9, 7))
			return BAD("reserved node bytes not zero");
		memcpy(nd->addr, p + 16, RAFT_ADDR_LEN);
	}
	return 0;
}

static int get_entry(struct cursor *c, struct raft_entry *e,
		     struct rb_wire_payload_desc *d, const char **why)
{
	const u8 *p = take(c, RB_WIRE_ENTRY_LEN);
	u8 eflags;

	if (!p)
		return BAD("entry truncated");
	e->term = rb_get_le64(p);
	e->index = rb_get_le64(p + 8);
	e->type = p[16];
	eflags = p[17];
	if (eflags & ~E_HAS_PAYLOAD)
		return BAD("unknown entry flags");
	if (rb_get_le16(p + 18) || rb_get_le32(p + 44))
		return BAD("reserved entry bytes not zero");
	d->present = eflags & E_HAS_PAYLOAD;
	d->flags = rb_get_le32(p + 20);
	d->sector = rb_get_le64(p + 24);
	d->len = rb_get_le32(p + 32);
	d->data_len = rb_get_le32(p + 36);
	d->crc = rb_get_le32(p + 40);
	if (!d->present && !rb_all_zero(p + 20, 24))
		return BAD("payload fields in an entry without payload");
	if (!rb_wire_entry_has_ext(e))
		return 0;
	p = take(c, RB_WIRE_CC_LEN);
	if (!p)
		return BAD("conf change truncated");
	e->cc.op = p[0];
	if (!rb_all_zero(p + 1, 7))
		return BAD("reserved conf change bytes not zero");
	e->cc.id = rb_get_le64(p + 8);
	memcpy(e->cc.addr, p + 16, RAFT_ADDR_LEN);
	return 0;
}

void rb_wire_msg_release(struct raft_msg *m)
{
	raft_msg_free(m);
	memset(m, 0, sizeof(*m));
}

int rb_wire_decode_msg(const struct rb_wire_hdr *h, const void *meta,
		       const struct rb_wire_limits *lim, struct raft_msg *m,
		       struct rb_wire_payload_desc **descs, const char **why)
{
	struct rb_wire_payload_desc *d = NULL;
	struct cursor c = { .p = meta, .left = h->meta_len };
	u64 data_total = 0;
	u32 i, n;
	int ret;

	memset(m, 0, sizeof(*m));
	*descs = NULL;
	if (h->type != RB_WIRE_RAFT_MSG)
		return BAD("not a raft message frame");
	ret = check_meta_crc(h, meta, why);
	if (ret)
		return ret;
	ret = get_msg_fixed(&c, m, why);
	if (ret)
		goto out_zero;
	m->from = h->sender;
	m->to = h->receiver;
	n = m->n_entries;
	if (m->type == RAFT_MSG_SNAPSHOT) {
		ret = get_snap(&c, &m->snap, why);
		if (ret)
			goto out_zero;
	}
	ret = check_msg(m, lim, why);
	if (ret)
		goto out_zero;
	if (!n)
		goto done;
	/* Bound the allocation by what the frame can really hold. */
	if (n > c.left / RB_WIRE_ENTRY_LEN) {
		ret = BAD("more entries than the meta part holds");
		goto out_zero;
	}
	m->n_entries = 0;
	m->entries = raft_calloc(n, sizeof(*m->entries));
	d = raft_calloc(n, sizeof(*d));
	if (!m->entries || !d) {
		ret = fail(why, "no memory for entries", RB_WIRE_ENOMEM);
		goto out_free;
	}
	m->n_entries = n;
	for (i = 0; i < n; i++) {
		ret = get_entry(&c, &m->entries[i], &d[i], why);
		if (ret)
			goto out_free;
		ret = check_entry(m, i, &d[i], lim, &data_total, why);
		if (ret)
			goto out_free;
	}
done:
	if (c.left) {
		ret = BAD("trailing bytes in the meta part");
		goto out_free;
	}
	if (data_total != h->data_len) {
		ret = BAD("data length differs from the payloads' sum");
		goto out_free;
	}
	*descs = d;
	return 0;

out_free:
	raft_free(d);
	if (m->entries)
		raft_free(m->entries);
out_zero:
	memset(m, 0, sizeof(*m));
	return ret;
}

int rb_wire_check_data(const struct rb_wire_payload_desc *d, u32 crc_state,
		       const char **why)
{
	if (rb_wire_crc_end(crc_state) != d->crc)
		return BAD("payload data crc mismatch");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Whole frames                                                       */

static int attach_payloads(const u8 *data,
			   const struct rb_wire_payload_desc *d,
			   const struct rb_wire_payload_ops *ops, void *ctx,
			   struct raft_msg *m, const char **why)
{
	u32 i;
	int ret;

	for (i = 0; i < m->n_entries; i++) {
		const u8 *bytes = d[i].data_len ? data : NULL;

		if (!d[i].present)
			continue;
		if (d[i].data_len) {
			u32 crc = rb_wire_crc_update(rb_wire_crc_begin(),
						     bytes, d[i].data_len);

			ret = rb_wire_check_data(&d[i], crc, why);
			if (ret)
				return ret;
		}
		ret = ops->build(ctx, &d[i], bytes, &m->entries[i].payload);
		if (ret)
			return fail(why, "cannot build a payload", ret);
		data += d[i].data_len;
	}
	return 0;
}

long rb_wire_decode_frame(const void *buf, size_t len,
			  const struct rb_wire_limits *lim,
			  const struct rb_wire_ids *ids,
			  const struct rb_wire_payload_ops *ops, void *ctx,
			  struct rb_wire_hdr *h, struct rb_wire_ctl *c,
			  struct raft_msg *m, const char **why)
{
	const u8 *b = buf;
	struct rb_wire_payload_desc *d;
	u64 total;
	int ret;

	memset(c, 0, sizeof(*c));
	memset(m, 0, sizeof(*m));
	if (len < RB_WIRE_HDR_LEN)
		return fail(why, "shorter than a header", RB_WIRE_ESHORT);
	ret = rb_wire_decode_header(b, lim, ids, h, why);
	if (ret)
		return ret;
	total = (u64)RB_WIRE_HDR_LEN + h->meta_len + h->data_len;
	if (len < total)
		return fail(why, "shorter than the frame", RB_WIRE_ESHORT);
	if (h->type != RB_WIRE_RAFT_MSG) {
		ret = rb_wire_decode_ctl(h, b + RB_WIRE_HDR_LEN, c, why);
		return ret ? ret : (long)total;
	}
	ret = rb_wire_decode_msg(h, b + RB_WIRE_HDR_LEN, lim, m, &d, why);
	if (ret)
		return ret;
	ret = attach_payloads(b + RB_WIRE_HDR_LEN + h->meta_len, d, ops,
			      ctx, m, why);
	raft_free(d);
	if (ret) {
		rb_wire_msg_release(m);
		return ret;
	}
	return (long)total;
}

/* ------------------------------------------------------------------ */
/* Snapshot reports                                                   */

/* Snapshot name rules (kernel/device.c, raftctl): [A-Za-z0-9][A-Za-z0-9_.+-]* */
static bool snaprep_name_char(u8 c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '+' || c == '-');
}

static int snaprep_check_row(const u8 *r, const char **why)
{
	u32 i, len = 0;

	while (len < RB_WIRE_SNAPREP_NAME_LEN && r[len])
		len++;
	if (!len || len == RB_WIRE_SNAPREP_NAME_LEN)
		return BAD("snapshot report: name empty or not NUL-terminated");
	for (i = 0; i < len; i++)
		if (!snaprep_name_char(r[i], !i))
			return BAD("snapshot report: bad character in a name");
	for (i = len; i < RB_WIRE_SNAPREP_NAME_LEN; i++)
		if (r[i])
			return BAD("snapshot report: name not NUL-padded");
	if (!rb_get_le64(r + 48))
		return BAD("snapshot report: snapshot at index 0");
	if (rb_get_le64(r + 56) > RAFT_TERM_MAX)
		return BAD("snapshot report: term above the cap");
	if (!r[88] || r[88] > RB_WIRE_SNAPREP_STATE_MAX)
		return BAD("snapshot report: unknown snapshot state");
	for (i = 89; i < RB_WIRE_SNAPREP_ROW_LEN; i++)
		if (r[i])
			return BAD("snapshot report: reserved bytes not 0");
	return 0;
}

int rb_wire_snaprep_check(const u8 *b, u32 len, bool pad_ok,
			  const char **why)
{
	u32 n, i, j, need;
	int ret;

	if (len < RB_WIRE_SNAPREP_HDR_LEN)
		return BAD("snapshot report shorter than its header");
	n = rb_get_le32(b);
	if (n > RB_WIRE_SNAPREP_MAX_ROWS)
		return BAD("snapshot report with too many rows");
	if (rb_get_le32(b + 4) & ~(u32)RB_WIRE_SNAPREP_FLAGS_ALL)
		return BAD("snapshot report: unknown flags");
	need = RB_WIRE_SNAPREP_HDR_LEN + n * RB_WIRE_SNAPREP_ROW_LEN;
	if (len < need || (len > need && !pad_ok))
		return BAD("snapshot report length does not match its rows");
	for (i = need; i < len; i++)
		if (b[i])
			return BAD("snapshot report: padding not 0");
	for (i = 0; i < n; i++) {
		const u8 *r = b + RB_WIRE_SNAPREP_HDR_LEN +
			      i * RB_WIRE_SNAPREP_ROW_LEN;

		ret = snaprep_check_row(r, why);
		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!memcmp(r, b + RB_WIRE_SNAPREP_HDR_LEN +
				    j * RB_WIRE_SNAPREP_ROW_LEN,
				    RB_WIRE_SNAPREP_NAME_LEN))
				return BAD("snapshot report: a name twice");
	}
	return 0;
}
