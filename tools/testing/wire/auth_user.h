/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth_user.h - the peer authentication of Documentation/wire-protocol.rst
 * ("Peer authentication") in userspace, on OpenSSL: what a hostile or
 * test peer needs to do the handshake and MAC frames by hand. The
 * kernel's side is kernel/auth.c; the byte layouts come from the shared
 * codec (rb_wire_auth_info()).
 */
#ifndef AUTH_USER_H
#define AUTH_USER_H

#include "wire_testlib.h"

/* HMAC-SHA256 of the concatenation of n parts. 0 or -1. */
int au_hmac(const u8 *key, size_t key_len, const void *const *part,
	    const size_t *len, int n, u8 out[RB_WIRE_MAC_LEN]);
int au_hkdf_extract(const u8 *salt, size_t salt_len, const u8 *ikm,
		    size_t ikm_len, u8 prk[RB_WIRE_MAC_LEN]);
int au_hkdf_expand(const u8 prk[RB_WIRE_MAC_LEN], const u8 *info,
		   size_t info_len, u8 *out, size_t out_len);
/* prk of a connection: salt nonce_d || nonce_a, the secret as IKM. */
int au_prk(const u8 *secret, size_t secret_len, const u8 *nonce_d,
	   const u8 *nonce_a, u8 prk[RB_WIRE_MAC_LEN]);
/* A proof or frame key (enum rb_wire_auth_label). */
int au_value(const u8 prk[RB_WIRE_MAC_LEN], u8 label, const u8 *cluster,
	     u64 dialer, u64 acceptor, u8 conn_class,
	     u8 out[RB_WIRE_MAC_LEN]);
/* Poly1305 (RFC 8439) of msg under the one-time key key. 0 or -1. */
int au_poly1305(const u8 key[RB_WIRE_MAC_LEN], const u8 *msg, size_t len,
		u8 out[RB_WIRE_FRAME_MAC_LEN]);
/* One-time key of frame seq: HMAC(key, "raftblk-frame-otk-v1" || seq LE64). */
int au_frame_otk(const u8 key[RB_WIRE_MAC_LEN], u64 seq,
		 u8 otk[RB_WIRE_MAC_LEN]);
/* The MAC of a frame: Poly1305(au_frame_otk(key, seq), frame). */
int au_frame_mac(const u8 key[RB_WIRE_MAC_LEN], u64 seq, const u8 *frame,
		 size_t len, u8 out[RB_WIRE_FRAME_MAC_LEN]);
/*
 * The cluster's entry key: HKDF-Expand(HKDF-Extract("raftblk-entry-v1",
 * secret), info(RB_WIRE_LABEL_ENTRY, cluster, 0, 0, 0), 32).
 */
int au_entry_key(const u8 *secret, size_t secret_len,
		 const u8 cluster[RB_WIRE_UUID_LEN], u8 key[RB_WIRE_MAC_LEN]);
/* An entry's tag: Poly1305(HMAC(key, "raftblk-entry-otk-v1" || nonce), data). */
int au_entry_tag(const u8 key[RB_WIRE_MAC_LEN],
		 const u8 nonce[RB_WIRE_ENTRY_NONCE_LEN], const u8 *data,
		 size_t len, u8 out[RB_WIRE_FRAME_MAC_LEN]);

#endif /* AUTH_USER_H */
