/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire.h - raftblk's wire protocol: frame codec.
 *
 * Portable C: the same wire.c builds into raftblk.ko and into the
 * userspace tests and fuzzer (tools/testing/wire/). It includes nothing but
 * raft/raft.h (and through it raft/env.h and portable.h). The protocol
 * itself is specified in Documentation/wire-protocol.rst; this header is
 * the API.
 *
 * A frame is a 64-byte header, a "meta" part (structured fields, meta_len
 * bytes, covered by meta_crc) and a "data" part (data_len bytes of raw
 * payload data, each entry's bytes covered by a crc in its descriptor in
 * the meta part). Everything is little-endian with explicit sizes.
 *
 * Streaming receive (what the kernel transport does):
 *
 *   1. read RB_WIRE_HDR_LEN bytes, rb_wire_decode_header() -> hdr with
 *      meta_len and data_len (both already checked against the limits);
 *   2. read meta_len bytes; for RAFT_MSG frames rb_wire_decode_msg()
 *      -> a struct raft_msg (entries allocated, payloads NULL) and one
 *      payload descriptor per entry; for the other types
 *      rb_wire_decode_ctl();
 *   3. for each entry whose descriptor says data_len > 0, in entry order,
 *      create a payload and read data_len bytes straight into it,
 *      updating a crc with rb_wire_crc_update(); check the result with
 *      rb_wire_check_data(). No intermediate copy of the data is needed.
 *
 * Sending: rb_wire_encode_msg() writes the header and meta part into a
 * caller buffer; the caller then sends each payload's data bytes, in entry
 * order, from the payload itself (zero copy where the platform allows).
 *
 * Errors are negative errno values (enum rb_wire_err, the convention of
 * raft/raft.h) plus a static reason string.
 */
#ifndef RAFTBLK_WIRE_H
#define RAFTBLK_WIRE_H

#include "raft/raft.h"

#define RB_WIRE_MAGIC		0x4B4C4252U	/* bytes "RBLK" */
#define RB_WIRE_VERSION		1		/* only version so far */
#define RB_WIRE_VERSION_MIN	1
#define RB_WIRE_VERSION_MAX	1
#define RB_WIRE_HDR_LEN		64
#define RB_WIRE_UUID_LEN	16

enum rb_wire_type {
	RB_WIRE_HELLO = 1,	/* dialer -> acceptor: who I am, which class */
	RB_WIRE_HELLO_ACK = 2,	/* acceptor -> dialer: accepted */
	RB_WIRE_REFUSE = 3,	/* acceptor -> dialer: refused, then close */
	RB_WIRE_RAFT_MSG = 4,	/* one struct raft_msg */
	RB_WIRE_PING = 5,	/* keepalive, answered by PONG */
	RB_WIRE_PONG = 6,
	RB_WIRE_AUTH = 7,	/* handshake of an authenticated connection */
	RB_WIRE_TYPE_MAX = RB_WIRE_AUTH,
};

/*
 * HELLO/HELLO_ACK feature bits. AUTH: the sender has a shared secret and
 * the connection authenticates (AUTH frames follow, then every frame
 * carries a MAC trailer; Documentation/wire-protocol.rst, "Peer
 * authentication"). MAC_P1305: that trailer is the 16-byte Poly1305 one
 * (RB_WIRE_FRAME_MAC_LEN); AUTH alone was the 32-byte HMAC-SHA256
 * trailer of earlier raftblk, refused now (RB_WIRE_REFUSE_VERSION).
 * MAC_ENTRY: every entry's data carries its own Poly1305 tag (an entry
 * tag block and the trailer follow the meta part, before the data; the
 * frame MAC covers the tags, not the data); earlier raftblk MACed the
 * data in the frame MAC, refused now too. An authenticating node sends
 * all three bits (RB_WIRE_FEAT_AUTH_P1305) and requires all of its peer.
 */
#define RB_WIRE_FEAT_AUTH	(1ULL << 0)
#define RB_WIRE_FEAT_MAC_P1305	(1ULL << 1)
#define RB_WIRE_FEAT_MAC_ENTRY	(1ULL << 4)
#define RB_WIRE_FEAT_AUTH_P1305	(RB_WIRE_FEAT_AUTH | RB_WIRE_FEAT_MAC_P1305 | \
				 RB_WIRE_FEAT_MAC_ENTRY)
/*
 * SNAPREP: the sender takes SNAPREPORT copy frames (a node sends its
 * snapshot report only to a leader that announced it; an earlier node
 * would drop the connection on the unknown frame kind).
 */
#define RB_WIRE_FEAT_SNAPREP	(1ULL << 2)
/*
 * SNAPRELAY: the sender takes SNAPRELAY copy frames (a leader relays the
 * snapshot reports it holds only to a follower that announced it).
 */
#define RB_WIRE_FEAT_SNAPRELAY	(1ULL << 3)
/* The optional features this version announces in every handshake. */
#define RB_WIRE_FEAT_OURS	(RB_WIRE_FEAT_SNAPREP | RB_WIRE_FEAT_SNAPRELAY)

/* AUTH frames: steps of the challenge-response, in order. */
enum rb_wire_auth_step {
	RB_WIRE_AUTH_CHALLENGE = 1,	/* dialer: its nonce */
	RB_WIRE_AUTH_RESPONSE = 2,	/* acceptor: its nonce and proof */
	RB_WIRE_AUTH_PROOF = 3,		/* dialer: its proof */
};

#define RB_WIRE_NONCE_LEN	32
#define RB_WIRE_MAC_LEN		32	/* HMAC-SHA256: proofs, keys */
#define RB_WIRE_FRAME_MAC_LEN	16	/* Poly1305: the frame MAC trailer */
/* "raftblk-frame-otk-v1": the label of the one-time keys of frames */
#define RB_WIRE_OTK_LABEL_LEN	20
/*
 * An entry tag (authenticated connections, per entry with data, in entry
 * order after the meta part): its nonce, then the Poly1305 tag of its
 * data under the one-time key HMAC-SHA256(entry key,
 * "raftblk-entry-otk-v1" || nonce).
 */
#define RB_WIRE_ENTRY_NONCE_LEN	16
#define RB_WIRE_ENTRY_TAG_LEN	(RB_WIRE_ENTRY_NONCE_LEN + RB_WIRE_FRAME_MAC_LEN)
/* HKDF-Extract salt of the entry key: "raftblk-entry-v1" */
#define RB_WIRE_ENTRY_SALT_LEN	16

/*
 * Labels of the values derived from a connection's handshake (the info
 * of HKDF-Expand, rb_wire_auth_info()).
 */
enum rb_wire_auth_label {
	RB_WIRE_LABEL_DIALER_PROOF = 1,
	RB_WIRE_LABEL_ACCEPTOR_PROOF = 2,
	RB_WIRE_LABEL_DIALER_FRAMES = 3,	/* key of the dialer's frames */
	RB_WIRE_LABEL_ACCEPTOR_FRAMES = 4,
	/*
	 * The cluster's entry key (dialer, acceptor and class 0): from the
	 * secret alone, not a handshake, so that every member tags an
	 * entry's data the same way (rb_auth_entry_key()).
	 */
	RB_WIRE_LABEL_ENTRY = 5,
};

#define RB_WIRE_AUTH_INFO_LEN	49

/*
 * The HKDF info of label for the connection dialed by node dialer to
 * node acceptor of cluster, class conn_class: "raftblk-auth-v1", the
 * label byte, the cluster id, both ids (LE64) and the class. buf holds
 * RB_WIRE_AUTH_INFO_LEN bytes; returns that length.
 */
int rb_wire_auth_info(u8 label, const u8 cluster[RB_WIRE_UUID_LEN],
		      raft_id dialer, raft_id acceptor, u8 conn_class,
		      u8 *buf);

/*
 * A SNAPSHOT message with this flag is a frame of a data-area copy
 * (resync), handled by the node, never given to the core (see
 * Documentation/wire-protocol.rst, "Copy frames"). hint_term says which:
 * CHUNK carries one NORMAL entry whose payload is data-area bytes at its
 * sector; DONE ends the copy; ABORT, from the receiver, says it dropped
 * (or never had) the copy that hint_index names.
 */
#define RB_WIRE_MSGF_COPY	0x80
#define RB_WIRE_COPY_CHUNK	1
#define RB_WIRE_COPY_DONE	2
#define RB_WIRE_COPY_ABORT	3	/* follower -> leader: copy dropped */
/*
 * VERIFY (node -> leader) carries one NORMAL entry whose payload is the
 * node's crc32c of each extent of its data area at the verify entry
 * snap.index/snap.term (context: extents, hint_index: extent bytes;
 * verify.h). REQUEST (leader -> follower) asks it to reset its log and
 * ask for a delta copy from its applied index (resync-extents); READY
 * (follower -> leader) answers it once the log is reset: the leader then
 * appends an entry, which the follower rejects asking for the copy.
 */
#define RB_WIRE_COPY_VERIFY	4
#define RB_WIRE_COPY_REQUEST	5
#define RB_WIRE_COPY_READY	6
/*
 * SNAPREPORT (follower -> leader, only to a leader whose HELLO had
 * RB_WIRE_FEAT_SNAPREP): one NORMAL entry whose payload is the node's
 * snapshot report (layout below, zero-padded to a multiple of 512);
 * context: the report's length in bytes; snap.index: the report's
 * sequence number (from 1), snap.term: the message term.
 */
#define RB_WIRE_COPY_SNAPREPORT	7
/*
 * SNAPRELAY (leader -> follower, only to a follower whose handshake had
 * RB_WIRE_FEAT_SNAPRELAY): one report the leader holds, so that the
 * follower can list every node's state too. One NORMAL entry whose
 * payload is the report (as in SNAPREPORT; its age field: how old its
 * rows were when the leader sent it); context: the report's length;
 * hint_index: the node it is of (1..U32_MAX, not the receiver);
 * commit: milliseconds since the leader heard from that node (0: the
 * leader's own); snap.index: the leader's relay round (from 1),
 * snap.term: the message term.
 */
#define RB_WIRE_COPY_SNAPRELAY	8
#define RB_WIRE_COPY_KIND_MAX	8

/*
 * The snapshot report (the same layout as the netlink attribute
 * RAFTBLK_ATTR_SNAPSHOT_REPORT, include/uapi/linux/raftblk.h, where it is
 * documented; Documentation/wire-protocol.rst "Snapshot reports").
 */
#define RB_WIRE_SNAPREP_HDR_LEN		32
#define RB_WIRE_SNAPREP_ROW_LEN		96
#define RB_WIRE_SNAPREP_MAX_ROWS	64
#define RB_WIRE_SNAPREP_MAX_LEN		(RB_WIRE_SNAPREP_HDR_LEN + \
					 RB_WIRE_SNAPREP_MAX_ROWS * \
					 RB_WIRE_SNAPREP_ROW_LEN)
#define RB_WIRE_SNAPREP_NAME_LEN	48
#define RB_WIRE_SNAPREP_FLAGS_ALL	0x7
#define RB_WIRE_SNAPREP_STATE_MAX	5
/* The most milliseconds a relayed age may say (about 8900 years). */
#define RB_WIRE_SNAPREP_AGE_MAX		(1ULL << 48)

/*
 * Check a snapshot report of len bytes (padding after its rows allowed
 * only if pad_ok, and then only zeros): 0, or RB_WIRE_EBADFRAME with
 * *why saying what is wrong.
 */
int rb_wire_snaprep_check(const u8 *b, u32 len, bool pad_ok,
			  const char **why);

/*
 * A TIMEOUT_NOW message with this flag is an auto-promote frame, handled
 * by the node, never given to the core (Documentation/wire-protocol.rst,
 * "Promote frames"). hint_term says which: ASK, from a follower whose
 * device is being opened for writing, asks the leader to hand leadership
 * over to it; REFUSED, from the leader, says why it will not (hint_index:
 * enum rb_wire_promote_reason). context: the ask's cookie, echoed.
 */
#define RB_WIRE_MSGF_PROMOTE	0x40
#define RB_WIRE_PROMOTE_ASK	1
#define RB_WIRE_PROMOTE_REFUSED	2

enum rb_wire_promote_reason {
	RB_WIRE_PROMOTE_IN_USE = 1,	/* open for writing on the leader */
	RB_WIRE_PROMOTE_BUSY = 2,	/* not the leader, or no transfer now */
	RB_WIRE_PROMOTE_REASON_MAX = RB_WIRE_PROMOTE_BUSY,
};

/* Connection classes (HELLO). */
enum rb_wire_class {
	RB_WIRE_CLASS_CONTROL = 1,	/* votes, heartbeats, responses */
	RB_WIRE_CLASS_BULK = 2,		/* APPEND with entries, SNAPSHOT */
};

/* REFUSE reasons. */
enum rb_wire_refuse {
	RB_WIRE_REFUSE_CLUSTER = 1,	/* cluster UUID differs */
	RB_WIRE_REFUSE_NODE = 2,	/* receiver id is not this node, or
					 * sender id is 0 / this node's id
					 */
	RB_WIRE_REFUSE_VERSION = 3,	/* no common protocol version */
	RB_WIRE_REFUSE_CLASS = 4,	/* unknown connection class */
	RB_WIRE_REFUSE_SHUTDOWN = 5,	/* node is shutting down */
	RB_WIRE_REFUSE_AUTH = 6,	/* authentication failed or one end
					 * has a secret and the other not
					 */
	RB_WIRE_REFUSE_MAX = RB_WIRE_REFUSE_AUTH,
};

/* Errors: negative errno values (see "Errors" in raft/raft.h). */
enum rb_wire_err {
	/* malformed / corrupt frame */
	RB_WIRE_EBADFRAME = -EBADMSG,
	/* frame of an unsupported protocol version */
	RB_WIRE_EVERSION = -EPROTONOSUPPORT,
	/* frame from another cluster (a cross-cluster link) */
	RB_WIRE_ECLUSTER = -EXDEV,
	/* wrong sender or receiver node id */
	RB_WIRE_ENODE = -EADDRNOTAVAIL,
	/* over a configured limit */
	RB_WIRE_ETOOBIG = -EMSGSIZE,
	/* buffer holds less than a whole frame (more bytes needed) */
	RB_WIRE_ESHORT = -EAGAIN,
	/* encode buffer too small */
	RB_WIRE_ENOSPC = -ENOSPC,
	/* message cannot be encoded (bad fields) */
	RB_WIRE_EINVAL = -EINVAL,
	/* allocation failed */
	RB_WIRE_ENOMEM = -ENOMEM,
};

/* Payload flags on the wire (same values as RAFTBLK_PL_* in payload.h). */
#define RB_WIRE_PL_FUA		(1U << 0)
#define RB_WIRE_PL_DISCARD	(1U << 1)
#define RB_WIRE_PL_WRITE_ZEROES	(1U << 2)
#define RB_WIRE_PL_NODATA	(RB_WIRE_PL_DISCARD | RB_WIRE_PL_WRITE_ZEROES)
#define RB_WIRE_PL_ALL		(RB_WIRE_PL_FUA | RB_WIRE_PL_NODATA)

/* Fixed sizes of the meta part's records (see the documentation). */
#define RB_WIRE_MSG_LEN		64	/* raft_msg fixed fields */
#define RB_WIRE_SNAP_LEN	24	/* snapshot meta, before its nodes */
#define RB_WIRE_NODE_LEN	80	/* one raft_node */
#define RB_WIRE_ENTRY_LEN	48	/* one raft_entry with payload desc */
#define RB_WIRE_CC_LEN		80	/* conf change after a CONF entry */
#define RB_WIRE_HELLO_LEN	16	/* HELLO and HELLO_ACK meta */
#define RB_WIRE_REFUSE_LEN	8
#define RB_WIRE_PING_LEN	8
#define RB_WIRE_AUTH_LEN	72	/* step, reserved, nonce, proof */

/* What the receiver accepts (and what the sender promises not to exceed). */
struct rb_wire_limits {
	u32 max_meta_len;	/* bytes of meta per frame */
	u32 max_data_len;	/* bytes of data per frame */
	u32 max_entries;	/* entries per RAFT_MSG */
	u32 max_payload_data;	/* data bytes per entry */
	u32 max_payload_len;	/* bytes covered per entry (discard) */
};

/* Defaults: 1 MiB meta, 32 MiB data, 4096 entries, 1 MiB data and
 * 1 GiB covered per entry.
 */
void rb_wire_limits_default(struct rb_wire_limits *lim);

/* The identities a connection checks frames against / stamps them with. */
struct rb_wire_ids {
	u8 cluster[RB_WIRE_UUID_LEN];
	raft_id local;		/* this node */
	raft_id peer;		/* the other end, 0 = not known yet */
};

/* A decoded header. */
struct rb_wire_hdr {
	u16 version;
	u8 type;		/* enum rb_wire_type */
	u8 flags;		/* 0 in version 1 */
	u32 meta_len;
	u32 data_len;
	u8 cluster[RB_WIRE_UUID_LEN];
	raft_id sender;
	raft_id receiver;
	u32 meta_crc;
};

/* The content of a HELLO, HELLO_ACK, REFUSE, PING or PONG frame. */
struct rb_wire_ctl {
	u16 min_version;	/* HELLO/HELLO_ACK/REFUSE: supported range */
	u16 max_version;
	u8 conn_class;		/* HELLO/HELLO_ACK: enum rb_wire_class */
	u64 features;		/* HELLO/HELLO_ACK: none defined in v1 */
	u16 reason;		/* REFUSE: enum rb_wire_refuse */
	u64 cookie;		/* PING/PONG */
	u8 auth_step;		/* AUTH: enum rb_wire_auth_step */
	u8 nonce[RB_WIRE_NONCE_LEN];	/* AUTH CHALLENGE, RESPONSE */
	u8 proof[RB_WIRE_MAC_LEN];	/* AUTH RESPONSE, PROOF */
};

/* How one entry's payload travels. */
struct rb_wire_payload_desc {
	bool present;		/* the entry has a payload */
	u32 flags;		/* RB_WIRE_PL_* */
	u64 sector;
	u32 len;		/* bytes covered on the device */
	u32 data_len;		/* bytes carried in the data part: len or 0 */
	u32 crc;		/* rb_wire crc of the data bytes, 0 if none */
};

/*
 * The platform's view of its payloads, given to the encoder and to the
 * whole-frame decoder.
 */
struct rb_wire_payload_ops {
	/* Fill d (present = true) for payload p, computing d->crc over its
	 * data bytes with rb_wire_crc_*(). Return 0 or an
	 * rb_wire_err.
	 */
	int (*describe)(void *ctx, const struct raft_payload *p,
			struct rb_wire_payload_desc *d);
	/* Whole-frame decoding only: make a payload from d and its
	 * d->data_len data bytes (NULL when 0). Return 0 or an
	 * rb_wire_err.
	 */
	int (*build)(void *ctx, const struct rb_wire_payload_desc *d,
		     const u8 *data, struct raft_payload **out);
};

/* CRC of data bytes, computed incrementally (crc32c, as raftblk_crc32c). */
static inline u32 rb_wire_crc_begin(void)
{
	return ~0U;
}

u32 rb_wire_crc_update(u32 state, const void *buf, size_t len);

static inline u32 rb_wire_crc_end(u32 state)
{
	return ~state;
}

/*
 * Decode and validate a header: magic, version, header crc, type, flags,
 * reserved fields, meta_len/data_len for the type and within lim, cluster
 * id (not all zero, equal to ids->cluster), receiver == ids->local, sender != 0 and != local and == ids->peer
 * when ids->peer is set. A REFUSE frame is not checked against ids
 * (the refusing node may belong to another cluster) but is otherwise
 * validated. On RB_WIRE_ECLUSTER / RB_WIRE_ENODE / RB_WIRE_EVERSION h is
 * filled so that the caller can answer with a REFUSE.
 */
int rb_wire_decode_header(const void *buf, const struct rb_wire_limits *lim,
			  const struct rb_wire_ids *ids,
			  struct rb_wire_hdr *h, const char **why);

/* Decode the meta part of a HELLO, HELLO_ACK, REFUSE, PING or PONG frame
 * (h from rb_wire_decode_header(), meta of h->meta_len bytes).
 */
int rb_wire_decode_ctl(const struct rb_wire_hdr *h, const void *meta,
		       struct rb_wire_ctl *c, const char **why);

/* Acceptor side: 0 if a decoded HELLO can be accepted, else the
 * enum rb_wire_refuse reason to answer with (version range without a
 * common version, unknown connection class).
 */
u16 rb_wire_hello_refusal(const struct rb_wire_ctl *hello);

/*
 * Decode the meta part of a RAFT_MSG frame into m (from/to from the
 * header). On success m->entries (if n_entries > 0) is allocated with
 * raft_calloc() and every entry's payload is NULL; *descs (raft_calloc,
 * one per entry, free with raft_free()) says which entries have a payload
 * and how many data bytes follow for each, in entry order. On error
 * nothing is left allocated and m is zeroed.
 */
int rb_wire_decode_msg(const struct rb_wire_hdr *h, const void *meta,
		       const struct rb_wire_limits *lim, struct raft_msg *m,
		       struct rb_wire_payload_desc **descs, const char **why);

/* Check the crc state accumulated over a payload's data bytes. */
int rb_wire_check_data(const struct rb_wire_payload_desc *d, u32 crc_state,
		       const char **why);

/* Put the payloads attached to m and free its entries (decode results). */
void rb_wire_msg_release(struct raft_msg *m);

/*
 * Decode one whole frame held in buf (tests, fuzzer). Returns the frame's
 * length, or an rb_wire_err (RB_WIRE_ESHORT when len is less than
 * the frame announced in its header). For a RAFT_MSG, *m receives the
 * message with payloads built by ops->build (release it with
 * rb_wire_msg_release()); for the other types *c receives the content.
 */
long rb_wire_decode_frame(const void *buf, size_t len,
			  const struct rb_wire_limits *lim,
			  const struct rb_wire_ids *ids,
			  const struct rb_wire_payload_ops *ops, void *ctx,
			  struct rb_wire_hdr *h, struct rb_wire_ctl *c,
			  struct raft_msg *m, const char **why);

/*
 * Encode the header and meta part of a RAFT_MSG carrying m from ids->local
 * to ids->peer (m->from and m->to must match them) into buf of cap bytes.
 * The message is validated exactly as the receiver will validate it.
 * *frame_len gets the bytes written (header + meta), *data_len the data
 * bytes the caller must send after them: each payload's data, in entry
 * order. rb_wire_msg_size() tells the buffer size needed.
 */
int rb_wire_encode_msg(const struct rb_wire_ids *ids,
		       const struct raft_msg *m,
		       const struct rb_wire_limits *lim,
		       const struct rb_wire_payload_ops *ops, void *ctx,
		       void *buf, size_t cap, size_t *frame_len,
		       u32 *data_len, const char **why);

/* Header + meta bytes needed to encode m, or 0 if m is not encodable. */
size_t rb_wire_msg_size(const struct raft_msg *m);

/* Control frames; buf must hold RB_WIRE_CTL_MAX bytes (the largest, an
 * AUTH frame). Return the frame length, or an rb_wire_err.
 * type is HELLO or HELLO_ACK for rb_wire_encode_hello(), PING or PONG
 * for rb_wire_encode_ping().
 */
#define RB_WIRE_CTL_MAX		(RB_WIRE_HDR_LEN + RB_WIRE_AUTH_LEN)
int rb_wire_encode_hello(const struct rb_wire_ids *ids, u8 type,
			 u8 conn_class, void *buf);
/* The same with feature bits (RB_WIRE_FEAT_*). */
int rb_wire_encode_hello_feat(const struct rb_wire_ids *ids, u8 type,
			      u8 conn_class, u64 features, void *buf);
/*
 * An AUTH frame of step (enum rb_wire_auth_step): nonce for CHALLENGE
 * and RESPONSE, proof for RESPONSE and PROOF (NULL: the step carries
 * none; the field is zero).
 */
int rb_wire_encode_auth(const struct rb_wire_ids *ids, u8 step,
			const u8 *nonce, const u8 *proof, void *buf);
/*
 * A REFUSE from ids->local to ids->peer. Its cluster id is always all
 * zero: a refusal names nothing of the refusing node.
 */
int rb_wire_encode_refuse(const struct rb_wire_ids *ids, u16 reason,
			  void *buf);
/*
 * The REFUSE answering a frame whose (decoded or partly decoded) header
 * is refused: it only echoes that frame's ids (sender = the receiver it
 * named, receiver = its sender), so the dialer learns nothing it did not
 * send. RB_WIRE_EINVAL if those ids are 0 or equal (then do not answer).
 */
int rb_wire_encode_refusal(const struct rb_wire_hdr *refused, u16 reason,
			   void *buf);
int rb_wire_encode_ping(const struct rb_wire_ids *ids, u8 type, u64 cookie,
			void *buf);

const char *rb_wire_type_name(u8 type);
const char *rb_wire_refuse_name(u16 reason);
const char *rb_wire_err_name(int err);

#endif /* RAFTBLK_WIRE_H */
