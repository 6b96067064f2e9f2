// SPDX-License-Identifier: GPL-2.0
/*
 * auth.c - HMAC-SHA256, HKDF and the frame MACs of authenticated
 * connections (auth.h), on the kernel crypto API and Poly1305
 * (poly1305.h).
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/once.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "auth.h"
#include "payload.h"
#include "poly1305.h"

static struct crypto_shash *hmac_alloc(const u8 *key, u32 key_len)
{
	struct crypto_shash *tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	int ret;

	if (IS_ERR(tfm))
		return tfm;
	ret = crypto_shash_setkey(tfm, key, key_len);
	if (ret) {
		crypto_free_shash(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

/* HMAC over the concatenation of n parts. */
static int hmac_parts(const u8 *key, u32 key_len, const u8 * const *part,
		      const size_t *len, int n, u8 *out)
{
	struct crypto_shash *tfm = hmac_alloc(key, key_len);
	int i, ret;

	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	{
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc);
		for (i = 0; !ret && i < n; i++)
			ret = crypto_shash_update(desc, part[i], len[i]);
		if (!ret)
			ret = crypto_shash_final(desc, out);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return ret;
}

int rb_hmac_sha256(const u8 *key, u32 key_len, const u8 *msg, size_t len,
		   u8 *out)
{
	return hmac_parts(key, key_len, &msg, &len, 1, out);
}

int rb_hkdf_extract(const u8 *salt, u32 salt_len, const u8 *ikm,
		    u32 ikm_len, u8 *prk)
{
	return rb_hmac_sha256(salt, salt_len, ikm, ikm_len, prk);
}

/* T(i) = HMAC(prk, T(i-1) || info || i), out = T(1) || T(2) ... */
int rb_hkdf_expand(const u8 *prk, const u8 *info, u32 info_len, u8 *out,
		   u32 out_len)
{
	u8 t[RB_WIRE_MAC_LEN], ctr;
	u32 done = 0, n;
	int ret = 0;

	if (out_len > 255 * RB_WIRE_MAC_LEN)
		return -EINVAL;
	for (ctr = 1; done < out_len; ctr++) {
		const u8 *part[3] = { t, info, &ctr };
		size_t len[3] = { ctr > 1 ? sizeof(t) : 0, info_len, 1 };

		ret = hmac_parts(prk, RB_WIRE_MAC_LEN, part, len, 3, t);
		if (ret)
			break;
		n = min_t(u32, out_len - done, sizeof(t));
		memcpy(out + done, t, n);
		done += n;
	}
	memzero_explicit(t, sizeof(t));
	return ret;
}

void rb_auth_fingerprint(const struct rb_auth_secret *s, u8 *fp)
{
	static const char tag[] = "raftblk-secret-fp-v1";
	struct sha256_state st;
	u8 d[SHA256_DIGEST_SIZE];

	sha256_init(&st);
	sha256_update(&st, tag, sizeof(tag) - 1);
	sha256_update(&st, s->key, s->len);
	sha256_final(&st, d);
	memcpy(fp, d, RB_AUTH_FP_LEN);
	memzero_explicit(d, sizeof(d));
	memzero_explicit(&st, sizeof(st));
}

int rb_auth_prk(const struct rb_auth_secret *s, const u8 *nonce_d,
		const u8 *nonce_a, u8 *prk)
{
	u8 salt[2 * RB_WIRE_NONCE_LEN];

	memcpy(salt, nonce_d, RB_WIRE_NONCE_LEN);
	memcpy(salt + RB_WIRE_NONCE_LEN, nonce_a, RB_WIRE_NONCE_LEN);
	return rb_hkdf_extract(salt, sizeof(salt), s->key, s->len, prk);
}

int rb_auth_value(const u8 *prk, u8 label, const u8 *cluster, u64 dialer,
		  u64 acceptor, u8 conn_class, u8 *out)
{
	u8 info[RB_WIRE_AUTH_INFO_LEN];
	int len;

	len = rb_wire_auth_info(label, cluster, dialer, acceptor, conn_class,
				info);
	return rb_hkdf_expand(prk, info, len, out, RB_WIRE_MAC_LEN);
}

/* ------------------------------------------------------------------ */
/* Frame MACs                                                         */

/*
 * The one-time Poly1305 key of frame seq: the 32 bytes of
 * HMAC-SHA256(k_frame, "raftblk-frame-otk-v1" || le64 seq).
 */
static const char otk_label[RB_WIRE_OTK_LABEL_LEN] = "raftblk-frame-otk-v1";

/*
 * HMAC-SHA256 (RFC 2104) by the SHA-256 library with the key's inner
 * and outer states computed once, at init: a frame's one-time key costs
 * its two compression blocks and nothing else (no crypto API call, no
 * indirect call, no state copied in and out of a descriptor). The same
 * function as hmac(sha256): the transport test module checks it against
 * rb_hmac_sha256() and the userspace vector.
 */
static void hmac_pads(const u8 *key, struct sha256_state *ipad,
		      struct sha256_state *opad)
{
	u8 pad[SHA256_BLOCK_SIZE];
	int i;

	/* the key (32 bytes) is shorter than a block: zero-padded */
	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, RB_WIRE_MAC_LEN);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	sha256_init(ipad);
	sha256_update(ipad, pad, sizeof(pad));
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha256_init(opad);
	sha256_update(opad, pad, sizeof(pad));
	memzero_explicit(pad, sizeof(pad));
}

int rb_frame_mac_init(struct rb_frame_mac *fm, const u8 *key)
{
	memset(fm, 0, sizeof(*fm));
	fm->poly = kzalloc(sizeof(*fm->poly), GFP_KERNEL);
	if (!fm->poly)
		return -ENOMEM;
	hmac_pads(key, &fm->ipad, &fm->opad);
	return 0;
}

void rb_frame_mac_free(struct rb_frame_mac *fm)
{
	kfree_sensitive(fm->poly);
	memzero_explicit(fm, sizeof(*fm));
}

/*
 * Both hashes of the HMAC are one block each after the pad block:
 * inner label (20) || seq (8), outer the inner digest (32), each padded
 * as SHA-256 pads it (0x80, zeros, the message's length in bits with
 * the 64-byte pad block, big-endian), so each is one
 * sha256_update() of a whole block and the digest is the state.
 */
static void sha256_last_block(const struct sha256_state *from, u8 *block,
			      u32 len, u8 *out)
{
	struct sha256_state st = *from;
	int i;

	block[len] = 0x80;
	memset(block + len + 1, 0, SHA256_BLOCK_SIZE - 8 - len - 1);
	put_unaligned_be64((u64)(SHA256_BLOCK_SIZE + len) * 8,
			   block + SHA256_BLOCK_SIZE - 8);
	sha256_update(&st, block, SHA256_BLOCK_SIZE);
	for (i = 0; i < 8; i++)
		put_unaligned_be32(st.state[i], out + 4 * i);
	memzero_explicit(&st, sizeof(st));
}

/* HMAC-SHA256 from the pad states of a message of one or two parts. */
static void hmac_short(const struct sha256_state *ipad,
		       const struct sha256_state *opad, const void *a,
		       u32 alen, const void *b, u32 blen, u8 *out)
{
	u8 block[SHA256_BLOCK_SIZE];

	memcpy(block, a, alen);
	memcpy(block + alen, b, blen);
	sha256_last_block(ipad, block, alen + blen, block);
	/* the inner digest is now block[0..31] */
	sha256_last_block(opad, block, SHA256_DIGEST_SIZE, out);
	memzero_explicit(block, sizeof(block));
}

int rb_frame_mac_otk(struct rb_frame_mac *fm, u64 seq, u8 *otk)
{
	u8 le[8];

	BUILD_BUG_ON(sizeof(otk_label) + 8 > SHA256_BLOCK_SIZE - 9);
	put_unaligned_le64(seq, le);
	hmac_short(&fm->ipad, &fm->opad, otk_label, sizeof(otk_label), le,
		   sizeof(le), otk);
	return 0;
}

/*
 * Poly1305 by rb_poly1305 (poly1305.h), never the arch code of the
 * library: no FPU section in the send and receive paths, and fewer
 * instructions than the library's generic code (under QEMU TCG, where
 * the tests run, every instruction counts).
 */
int rb_frame_mac_begin(struct rb_frame_mac *fm)
{
	u8 otk[RB_WIRE_MAC_LEN];
	int ret;

	ret = rb_frame_mac_otk(fm, fm->seq, otk);
	if (!ret)
		rb_poly1305_init(fm->poly, otk);
	memzero_explicit(otk, sizeof(otk));
	return ret;
}

int rb_frame_mac_update(struct rb_frame_mac *fm, const void *buf,
			size_t len)
{
	rb_poly1305_update(fm->poly, buf, len);
	return 0;
}

int rb_frame_mac_update_payload(struct rb_frame_mac *fm,
				const struct raft_payload *p)
{
	u32 left = raftblk_payload_data_len(p), i;

	for (i = 0; left; i++) {
		u32 n = min_t(u32, left, p->bvec[i].bv_len);
		void *va = kmap_local_page(p->pages[i]);

		rb_poly1305_update(fm->poly, va, n);
		kunmap_local(va);
		left -= n;
	}
	return 0;
}

int rb_frame_mac_end(struct rb_frame_mac *fm, u8 *out)
{
	rb_poly1305_final(fm->poly, out);
	fm->seq++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry tags                                                         */

static const char entry_salt[RB_WIRE_ENTRY_SALT_LEN] = "raftblk-entry-v1";
static const char entry_label[RB_WIRE_OTK_LABEL_LEN] = "raftblk-entry-otk-v1";

int rb_auth_entry_key(const struct rb_auth_secret *s, const u8 *cluster,
		      u8 *key)
{
	u8 prk[RB_WIRE_MAC_LEN];
	int ret;

	ret = rb_hkdf_extract(entry_salt, sizeof(entry_salt), s->key, s->len,
			      prk);
	if (!ret)
		ret = rb_auth_value(prk, RB_WIRE_LABEL_ENTRY, cluster, 0, 0, 0,
				    key);
	memzero_explicit(prk, sizeof(prk));
	return ret;
}

void rb_entry_mac_init(struct rb_entry_mac *em, const u8 *key)
{
	hmac_pads(key, &em->ipad, &em->opad);
}

void rb_entry_mac_free(struct rb_entry_mac *em)
{
	memzero_explicit(em, sizeof(*em));
}

void rb_entry_tag_begin(const struct rb_entry_mac *em, const u8 *tag,
			struct rb_poly1305 *st)
{
	u8 otk[RB_WIRE_MAC_LEN];

	BUILD_BUG_ON(sizeof(entry_label) + RB_WIRE_ENTRY_NONCE_LEN >
		     SHA256_BLOCK_SIZE - 9);
	hmac_short(&em->ipad, &em->opad, entry_label, sizeof(entry_label),
		   tag, RB_WIRE_ENTRY_NONCE_LEN, otk);
	rb_poly1305_init(st, otk);
	memzero_explicit(otk, sizeof(otk));
}

void rb_entry_tag_update(struct rb_poly1305 *st,
			 const struct raft_payload *p, u32 off, u32 len)
{
	/* pages are full but the last: page i holds [i, i + 1) pages */
	while (len) {
		u32 i = off >> PAGE_SHIFT, po = offset_in_page(off);
		u32 n = min_t(u32, len, p->bvec[i].bv_len - po);
		u8 *va = kmap_local_page(p->pages[i]);

		rb_poly1305_update(st, va + po, n);
		kunmap_local(va);
		off += n;
		len -= n;
	}
}

void rb_entry_tag_compute(const struct rb_entry_mac *em,
			  const struct raft_payload *p, u8 *tag)
{
	struct rb_poly1305 poly;

	rb_entry_tag_begin(em, tag, &poly);
	rb_entry_tag_update(&poly, p, 0, raftblk_payload_data_len(p));
	rb_poly1305_final(&poly, tag + RB_WIRE_ENTRY_NONCE_LEN);
	memzero_explicit(&poly, sizeof(poly));
}

/* Keep tag in p for gen unless one is kept (or being kept) already. */
static void entry_tag_keep(struct raft_payload *p, u32 gen, const u8 *tag)
{
	if (atomic_cmpxchg(&p->tag_state, 0, 1) != 0)
		return;
	p->tag_gen = gen;
	memcpy(p->tag, tag, RB_WIRE_ENTRY_TAG_LEN);
	/* gen and tag before the state: pairs with atomic_read_acquire() */
	atomic_set_release(&p->tag_state, 2);
}

static u64 nonce_epoch;
static atomic64_t nonce_count = ATOMIC64_INIT(0);

void rb_entry_tag_get(const struct rb_entry_mac *em, u32 gen,
		      struct raft_payload *p, u8 *tag)
{
	BUILD_BUG_ON(sizeof(p->tag) != RB_WIRE_ENTRY_TAG_LEN);
	if (atomic_read_acquire(&p->tag_state) == 2 && p->tag_gen == gen) {
		memcpy(tag, p->tag, RB_WIRE_ENTRY_TAG_LEN);
		return;
	}
	get_random_once(&nonce_epoch, sizeof(nonce_epoch));
	put_unaligned_le64(nonce_epoch, tag);
	put_unaligned_le64(atomic64_inc_return(&nonce_count), tag + 8);
	rb_entry_tag_compute(em, p, tag);
	entry_tag_keep(p, gen, tag);
}

int rb_entry_tag_end(struct rb_poly1305 *st, u32 gen,
		     struct raft_payload *p, const u8 *tag)
{
	u8 mine[RB_POLY1305_TAG_LEN];
	int bad;

	BUILD_BUG_ON(RB_WIRE_ENTRY_NONCE_LEN + RB_POLY1305_TAG_LEN !=
		     RB_WIRE_ENTRY_TAG_LEN);
	rb_poly1305_final(st, mine);
	memzero_explicit(st, sizeof(*st));
	bad = crypto_memneq(mine, tag + RB_WIRE_ENTRY_NONCE_LEN,
			    RB_POLY1305_TAG_LEN);
	memzero_explicit(mine, sizeof(mine));
	if (bad)
		return -EBADMSG;
	entry_tag_keep(p, gen, tag);
	return 0;
}

int rb_entry_tag_check(const struct rb_entry_mac *em, u32 gen,
		       struct raft_payload *p, const u8 *tag)
{
	struct rb_poly1305 poly;

	rb_entry_tag_begin(em, tag, &poly);
	rb_entry_tag_update(&poly, p, 0, raftblk_payload_data_len(p));
	return rb_entry_tag_end(&poly, gen, p, tag);
}
