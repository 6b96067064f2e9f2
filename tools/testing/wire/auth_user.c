// SPDX-License-Identifier: GPL-2.0
/*
 * auth_user.c - peer authentication in userspace on OpenSSL (auth_user.h).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "auth_user.h"

int au_hmac(const u8 *key, size_t key_len, const void *const *part,
	    const size_t *len, int n, u8 out[RB_WIRE_MAC_LEN])
{
	size_t total = 0, off = 0, outlen = 0;
	u8 *buf;
	int i;

	for (i = 0; i < n; i++)
		total += len[i];
	buf = malloc(total ? total : 1);
	if (!buf)
		return -1;
	for (i = 0; i < n; i++) {
		memcpy(buf + off, part[i], len[i]);
		off += len[i];
	}
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, buf,
		       total, out, RB_WIRE_MAC_LEN, &outlen) ||
	    outlen != RB_WIRE_MAC_LEN) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

int au_hkdf_extract(const u8 *salt, size_t salt_len, const u8 *ikm,
		    size_t ikm_len, u8 prk[RB_WIRE_MAC_LEN])
{
	const void *p[1] = { ikm };
	size_t l[1] = { ikm_len };

	return au_hmac(salt, salt_len, p, l, 1, prk);
}

int au_hkdf_expand(const u8 prk[RB_WIRE_MAC_LEN], const u8 *info,
		   size_t info_len, u8 *out, size_t out_len)
{
	u8 t[RB_WIRE_MAC_LEN], ctr;
	size_t done = 0, n;

	if (out_len > 255 * RB_WIRE_MAC_LEN)
		return -1;
	for (ctr = 1; done < out_len; ctr++) {
		const void *p[3] = { t, info, &ctr };
		size_t l[3] = { ctr > 1 ? sizeof(t) : 0, info_len, 1 };

		if (au_hmac(prk, RB_WIRE_MAC_LEN, p, l, 3, t))
			return -1;
		n = out_len - done < sizeof(t) ? out_len - done : sizeof(t);
		memcpy(out + done, t, n);
		done += n;
	}
	return 0;
}

int au_prk(const u8 *secret, size_t secret_len, const u8 *nonce_d,
	   const u8 *nonce_a, u8 prk[RB_WIRE_MAC_LEN])
{
	u8 salt[2 * RB_WIRE_NONCE_LEN];

	memcpy(salt, nonce_d, RB_WIRE_NONCE_LEN);
	memcpy(salt + RB_WIRE_NONCE_LEN, nonce_a, RB_WIRE_NONCE_LEN);
	return au_hkdf_extract(salt, sizeof(salt), secret, secret_len, prk);
}

int au_value(const u8 prk[RB_WIRE_MAC_LEN], u8 label, const u8 *cluster,
	     u64 dialer, u64 acceptor, u8 conn_class,
	     u8 out[RB_WIRE_MAC_LEN])
{
	u8 info[RB_WIRE_AUTH_INFO_LEN];
	int len = rb_wire_auth_info(label, cluster, dialer, acceptor,
				    conn_class, info);

	return au_hkdf_expand(prk, info, len, out, RB_WIRE_MAC_LEN);
}

int au_poly1305(const u8 key[RB_WIRE_MAC_LEN], const u8 *msg, size_t len,
	       u8 out[RB_WIRE_FRAME_MAC_LEN])
{
	size_t outlen = 0;

	if (!EVP_Q_mac(NULL, "POLY1305", NULL, NULL, NULL, key,
		       RB_WIRE_MAC_LEN, msg, len, out, RB_WIRE_FRAME_MAC_LEN,
		       &outlen) ||
	    outlen != RB_WIRE_FRAME_MAC_LEN)
		return -1;
	return 0;
}

int au_frame_otk(const u8 key[RB_WIRE_MAC_LEN], u64 seq,
		 u8 otk[RB_WIRE_MAC_LEN])
{
	static const char label[RB_WIRE_OTK_LABEL_LEN] = "raftblk-frame-otk-v1";
	u8 s[8];
	const void *p[2] = { label, s };
	size_t l[2] = { sizeof(label), sizeof(s) };
	int i;

	for (i = 0; i < 8; i++)
		s[i] = (u8)(seq >> (8 * i));
	return au_hmac(key, RB_WIRE_MAC_LEN, p, l, 2, otk);
}

int au_frame_mac(const u8 key[RB_WIRE_MAC_LEN], u64 seq, const u8 *frame,
		 size_t len, u8 out[RB_WIRE_FRAME_MAC_LEN])
{
	u8 otk[RB_WIRE_MAC_LEN];
	int ret;

	ret = au_frame_otk(key, seq, otk);
	if (!ret)
		ret = au_poly1305(otk, frame, len, out);
	memset(otk, 0, sizeof(otk));
	return ret;
}

int au_entry_key(const u8 *secret, size_t secret_len,
		 const u8 cluster[RB_WIRE_UUID_LEN], u8 key[RB_WIRE_MAC_LEN])
{
	static const char salt[RB_WIRE_ENTRY_SALT_LEN] = "raftblk-entry-v1";
	u8 prk[RB_WIRE_MAC_LEN];
	int ret;

	ret = au_hkdf_extract((const u8 *)salt, sizeof(salt), secret,
			      secret_len, prk);
	if (!ret)
		ret = au_value(prk, RB_WIRE_LABEL_ENTRY, cluster, 0, 0, 0, key);
	memset(prk, 0, sizeof(prk));
	return ret;
}

int au_entry_tag(const u8 key[RB_WIRE_MAC_LEN],
		 const u8 nonce[RB_WIRE_ENTRY_NONCE_LEN], const u8 *data,
		 size_t len, u8 out[RB_WIRE_FRAME_MAC_LEN])
{
	static const char label[RB_WIRE_OTK_LABEL_LEN] = "raftblk-entry-otk-v1";
	const void *p[2] = { label, nonce };
	size_t l[2] = { sizeof(label), RB_WIRE_ENTRY_NONCE_LEN };
	u8 otk[RB_WIRE_MAC_LEN];
	int ret;

	ret = au_hmac(key, RB_WIRE_MAC_LEN, p, l, 2, otk);
	if (!ret)
		ret = au_poly1305(otk, data, len, out);
	memset(otk, 0, sizeof(otk));
	return ret;
}
