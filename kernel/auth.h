/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth.h - peer authentication for the transport: HMAC-SHA256 and HKDF
 * (RFC 5869) on the kernel crypto API ("hmac(sha256)" shash), the values
 * a connection's handshake derives, and the MAC of every frame after it
 * (Poly1305, RFC 8439, by poly1305.h).
 * The construction is specified in Documentation/wire-protocol.rst,
 * "Peer authentication"; wire.h has the frame layouts and the HKDF info.
 *
 * Every function may sleep (the crypto API allocates): process context.
 */
#ifndef RAFTBLK_AUTH_H
#define RAFTBLK_AUTH_H

#include <crypto/sha2.h>
#include <linux/types.h>

#include "wire.h"

struct rb_poly1305;
struct raft_payload;

/* A shared secret: 16 to 128 bytes of anything (a key file's bytes). */
#define RB_AUTH_SECRET_MIN	16
#define RB_AUTH_SECRET_MAX	128
/* Shown by status: the first bytes of SHA-256("raftblk-secret-fp-v1" ||
 * secret); never the secret.
 */
#define RB_AUTH_FP_LEN		8

struct rb_auth_secret {
	u32 len;			/* 0: no secret in this slot */
	u32 gen;			/* distinct per secret installed */
	/*
	 * Second slot only, with len 0: "no secret" is held there, i.e.
	 * peers that do not authenticate are accepted too (switching
	 * authentication on or off is a rotation to or from no secret).
	 */
	bool none;
	u8 key[RB_AUTH_SECRET_MAX];
};

/* HMAC-SHA256(key, msg) into out (RB_WIRE_MAC_LEN bytes). 0 or -errno. */
int rb_hmac_sha256(const u8 *key, u32 key_len, const u8 *msg, size_t len,
		   u8 *out);
/* HKDF-Extract: prk = HMAC(salt, ikm). */
int rb_hkdf_extract(const u8 *salt, u32 salt_len, const u8 *ikm,
		    u32 ikm_len, u8 *prk);
/* HKDF-Expand: out_len (at most 255 * 32) bytes from prk and info. */
int rb_hkdf_expand(const u8 *prk, const u8 *info, u32 info_len, u8 *out,
		   u32 out_len);

/* The fingerprint of a secret (RB_AUTH_FP_LEN bytes). */
void rb_auth_fingerprint(const struct rb_auth_secret *s, u8 *fp);

/*
 * The connection's pseudo-random key: HKDF-Extract with salt = dialer
 * nonce || acceptor nonce and the secret as input keying material.
 */
int rb_auth_prk(const struct rb_auth_secret *s, const u8 *nonce_d,
		const u8 *nonce_a, u8 *prk);
/*
 * A proof or a frame key of the connection (label: enum
 * rb_wire_auth_label): HKDF-Expand(prk, rb_wire_auth_info(...), 32).
 */
int rb_auth_value(const u8 *prk, u8 label, const u8 *cluster, u64 dialer,
		  u64 acceptor, u8 conn_class, u8 *out);

/*
 * One direction of an authenticated connection: the MAC of each frame
 * is Poly1305(otk, header || meta || entry tags) (RB_WIRE_FRAME_MAC_LEN
 * bytes) under a one-time key otk = HMAC-SHA256(key,
 * "raftblk-frame-otk-v1" || seq), seq a 64-bit LE count of the frames
 * of that direction from 0. Frames are MACed and checked in order,
 * one at a time: begin, updates, end.
 */
struct rb_frame_mac {
	/* SHA-256 states after the key's inner and outer pad blocks */
	struct sha256_state ipad, opad;
	struct rb_poly1305 *poly;	/* the frame being MACed */
	u64 seq;			/* of the next frame */
};

int rb_frame_mac_init(struct rb_frame_mac *fm, const u8 *key);
void rb_frame_mac_free(struct rb_frame_mac *fm);
/* The one-time key (RB_WIRE_MAC_LEN bytes) of frame seq (for tests). */
int rb_frame_mac_otk(struct rb_frame_mac *fm, u64 seq, u8 *otk);
int rb_frame_mac_begin(struct rb_frame_mac *fm);
/* Updates and the end cannot fail once begin succeeded: they return 0. */
int rb_frame_mac_update(struct rb_frame_mac *fm, const void *buf,
			size_t len);
/*
 * The data bytes of payload p (raftblk_payload_data_len()): the frame
 * MAC before entry tags, kept for the test module's comparison.
 */
int rb_frame_mac_update_payload(struct rb_frame_mac *fm,
				const struct raft_payload *p);
/*
 * The MAC (RB_WIRE_FRAME_MAC_LEN bytes) into out; the next frame has the
 * next sequence number.
 */
int rb_frame_mac_end(struct rb_frame_mac *fm, u8 *out);

/*
 * The cluster's entry key of secret s (32 bytes): HKDF-Expand(
 * HKDF-Extract("raftblk-entry-v1", secret), rb_wire_auth_info(
 * RB_WIRE_LABEL_ENTRY, cluster, 0, 0, 0), 32). The same on every member
 * holding s: the tag of an entry's data is computed once by the node
 * that sends it first and checked by every receiver.
 */
int rb_auth_entry_key(const struct rb_auth_secret *s, const u8 *cluster,
		      u8 *key);

/*
 * Entry tags under an entry key (a connection keeps the one of the
 * secret it was proven with): tag = nonce (RB_WIRE_ENTRY_NONCE_LEN) ||
 * Poly1305(HMAC-SHA256(key, "raftblk-entry-otk-v1" || nonce), data),
 * RB_WIRE_ENTRY_TAG_LEN bytes. A nonce is never used for two
 * different data: a fresh one is a random 64-bit value drawn once per
 * module load and a 64-bit count.
 */
struct rb_entry_mac {
	struct sha256_state ipad, opad;
};

void rb_entry_mac_init(struct rb_entry_mac *em, const u8 *key);
void rb_entry_mac_free(struct rb_entry_mac *em);
/* The tag of p's data with nonce tag[0..15] into tag[16..31]. */
void rb_entry_tag_compute(const struct rb_entry_mac *em,
			  const struct raft_payload *p, u8 *tag);
/*
 * The tag of p's data to send on a connection proven with the secret
 * of generation gen: the one kept in p if it is of gen, else a fresh
 * nonce and its tag (kept in p if none is kept yet).
 */
void rb_entry_tag_get(const struct rb_entry_mac *em, u32 gen,
		      struct raft_payload *p, u8 *tag);
/*
 * Check a received tag of p's data (constant time): 0, or -EBADMSG. A
 * tag that matches is kept in p (gen), so that the node sends it on
 * without computing it again.
 */
int rb_entry_tag_check(const struct rb_entry_mac *em, u32 gen,
		       struct raft_payload *p, const u8 *tag);
/*
 * The same check with the data MACed as it arrives (the receive path:
 * each pass over a chunk just copied from the socket, not one pass over
 * the whole payload once it is complete): begin with the tag's nonce,
 * update with each range [off, off + len) of p's data in order, then
 * end, which compares (constant time) with tag, keeps it in p as
 * rb_entry_tag_check() does, and wipes the state: 0 or -EBADMSG.
 */
void rb_entry_tag_begin(const struct rb_entry_mac *em, const u8 *tag,
			struct rb_poly1305 *st);
void rb_entry_tag_update(struct rb_poly1305 *st,
			 const struct raft_payload *p, u32 off, u32 len);
int rb_entry_tag_end(struct rb_poly1305 *st, u32 gen,
		     struct raft_payload *p, const u8 *tag);

#endif /* RAFTBLK_AUTH_H */
