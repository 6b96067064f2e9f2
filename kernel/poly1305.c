// SPDX-License-Identifier: GPL-2.0
/*
 * poly1305.c - Poly1305 in radix 2^64 (poly1305.h).
 *
 * The accumulator h = h2 * 2^128 + h1 * 2^64 + h0 is kept below about
 * 2^131 between blocks (partly reduced modulo p = 2^130 - 5); r = r1 *
 * 2^64 + r0, clamped (RFC 8439 section 2.5), so r0 < 2^60, r1 < 2^60 and
 * r1 is a multiple of 4. Each block is h = (h + m) * r mod p, where the
 * products at 2^128 and above are folded back with 2^130 = 5 (mod p):
 * h1 * r1 * 2^128 = h1 * (r1 / 4) * 2^130 = h1 * (r1 / 4) * 5, which is
 * h1 * s1 with s1 = r1 + r1 / 4; likewise h2 * r1 * 2^192 = h2 * s1 *
 * 2^64. The final step reduces h fully and adds s modulo 2^128.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/string.h>
#else
/* The userspace build defines __always_inline and noinline (-D). */
#include <string.h>
#endif

#include "poly1305.h"

#ifdef RB_POLY1305_64

void rb_poly1305_init(struct rb_poly1305 *st, const u8 *key)
{
	st->r0 = rb_get_le64(key) & 0x0ffffffc0fffffffULL;
	st->r1 = rb_get_le64(key + 8) & 0x0ffffffc0ffffffcULL;
	st->s1 = st->r1 + (st->r1 >> 2);
	st->h0 = 0;
	st->h1 = 0;
	st->h2 = 0;
	st->pad0 = rb_get_le64(key + 16);
	st->pad1 = rb_get_le64(key + 24);
	st->buflen = 0;
}

/*
 * hibit: 1 for a whole block (the 2^128 bit of RFC 8439), 0 for the last,
 * already padded, partial one. 128-bit integers only for the products,
 * carries by comparison: with 128-bit sums the compiler spills to the
 * stack, and under QEMU TCG every memory access costs.
 */
static __always_inline void blocks(struct rb_poly1305 *st, const u8 *src,
				   size_t nblocks, const u64 hibit)
{
	const u8 *end = src + nblocks * 16;
	const u64 r0 = st->r0, r1 = st->r1, s1 = st->s1;
	u64 h0 = st->h0, h1 = st->h1, h2 = st->h2;
	u64 m0, m1, c, d0lo, d0hi, d1lo, d1hi, t;
	__uint128_t p, q;

	while (src != end) {
		/* h += m */
		m0 = rb_get_le64(src);
		m1 = rb_get_le64(src + 8);
		h0 += m0;
		c = h0 < m0;
		h1 += c;
		c = h1 < c;
		h1 += m1;
		c += h1 < m1;
		h2 += c + hibit;

		/*
		 * h *= r, partly reduced: d0 = h0 r0 + h1 s1, d1 = h0 r1 +
		 * h1 r0 + h2 s1 (h2 < 8, so h2 s1 < 2^64), h2 = h2 r0.
		 */
		p = (__uint128_t)h0 * r0 + (__uint128_t)h1 * s1;
		q = (__uint128_t)h0 * r1 + (__uint128_t)h1 * r0;
		d0lo = (u64)p;
		d0hi = (u64)(p >> 64);
		d1lo = (u64)q;
		d1hi = (u64)(q >> 64);
		t = h2 * s1;
		d1lo += t;
		d1hi += d1lo < t;
		h2 *= r0;

		/* h = h2 2^128 + d1 2^64 + d0 */
		h0 = d0lo;
		d1lo += d0hi;
		d1hi += d1lo < d0hi;
		h1 = d1lo;
		h2 += d1hi;

		/* fold the bits at 2^130 and above: times 5 */
		c = (h2 >> 2) + (h2 & ~3ULL);
		h2 &= 3;
		h0 += c;
		c = h0 < c;
		h1 += c;
		c = h1 < c;
		h2 += c;

		src += 16;
	}
	st->h0 = h0;
	st->h1 = h1;
	st->h2 = h2;
}

static noinline void full_blocks(struct rb_poly1305 *st, const u8 *src,
				 size_t nblocks)
{
	blocks(st, src, nblocks, 1);
}

void rb_poly1305_update(struct rb_poly1305 *st, const u8 *src, size_t len)
{
	size_t n;

	if (st->buflen) {
		n = len < 16 - st->buflen ? len : 16 - st->buflen;
		memcpy(st->buf + st->buflen, src, n);
		st->buflen += n;
		src += n;
		len -= n;
		if (st->buflen < 16)
			return;
		full_blocks(st, st->buf, 1);
		st->buflen = 0;
	}
	if (len >= 16) {
		n = len / 16;
		full_blocks(st, src, n);
		src += n * 16;
		len -= n * 16;
	}
	if (len) {
		memcpy(st->buf, src, len);
		st->buflen = len;
	}
}

void rb_poly1305_final(struct rb_poly1305 *st, u8 *out)
{
	u64 h0, h1, h2, g0, g1, g2, mask, c;

	if (st->buflen) {
		st->buf[st->buflen] = 1;
		memset(st->buf + st->buflen + 1, 0, 15 - st->buflen);
		blocks(st, st->buf, 1, 0);
	}
	h0 = st->h0;
	h1 = st->h1;
	h2 = st->h2;

	/* g = h + 5 - 2^130: h - p when h >= p (then bit 130 of h + 5) */
	g0 = h0 + 5;
	c = g0 < 5;
	g1 = h1 + c;
	c = g1 < c;
	g2 = h2 + c;
	/* h >= p: take g (constant time: a mask, no branch) */
	mask = 0 - (g2 >> 2);
	h0 = (h0 & ~mask) | (g0 & mask);
	h1 = (h1 & ~mask) | (g1 & mask);

	/* tag = (h + s) mod 2^128 */
	h0 += st->pad0;
	c = h0 < st->pad0;
	h1 += st->pad1 + c;
	rb_put_le64(out, h0);
	rb_put_le64(out + 8, h1);
}

#else /* !RB_POLY1305_64: the kernel library's generic code */

void rb_poly1305_init(struct rb_poly1305 *st, const u8 *key)
{
	poly1305_init_generic(&st->g, key);
}

void rb_poly1305_update(struct rb_poly1305 *st, const u8 *src, size_t len)
{
	while (len) {
		unsigned int n = min_t(size_t, len, UINT_MAX & ~15U);

		poly1305_update_generic(&st->g, src, n);
		src += n;
		len -= n;
	}
}

void rb_poly1305_final(struct rb_poly1305 *st, u8 *out)
{
	poly1305_final_generic(&st->g, out);
}

#endif /* RB_POLY1305_64 */
