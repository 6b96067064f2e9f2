/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poly1305.h - Poly1305 (RFC 8439 section 2.5) with the accumulator in
 * 64-bit limbs (radix 2^64: two 64x64->128-bit products and two 64-bit
 * ones per 16-byte block), for the frame MACs of authenticated
 * connections (auth.c).
 *
 * Why not the kernel's library: its generic code (radix 2^44, nine
 * 128-bit products per block) is the one usable in the send and receive
 * paths without an FPU section, and under QEMU TCG, where the tests and
 * the benchmarks run, the vector code is emulated and slower still
 * (tools/testing/bench/README.md, "Authentication"). This one computes
 * the same function in fewer instructions. Without 128-bit integer
 * support in the compiler it falls back to the library's generic code.
 *
 * Plain computation: no allocation, no sleeping, any context; portable
 * C (portable.h), also built into the userspace wire tests. The state
 * holds key material: the caller wipes it (memzero_explicit) when done.
 */
#ifndef RAFTBLK_POLY1305_H
#define RAFTBLK_POLY1305_H

#include "portable.h"

/*
 * Radix 2^64 where the compiler has 128-bit integers: 64-bit kernels
 * (CONFIG_ARCH_SUPPORTS_INT128) and userspace, where the wire unit tests
 * check this file against OpenSSL.
 */
#if defined(__KERNEL__) ? defined(CONFIG_ARCH_SUPPORTS_INT128) : \
	defined(__SIZEOF_INT128__)
#define RB_POLY1305_64 1
#else
#include <crypto/poly1305.h>
#endif

#define RB_POLY1305_KEY_LEN	32	/* r (clamped here) || s */
#define RB_POLY1305_TAG_LEN	16

struct rb_poly1305 {
#ifdef RB_POLY1305_64
	u64 r0, r1, s1;		/* r, and r1 + r1 / 4 (r1 * 5 / 4) */
	u64 h0, h1, h2;		/* the accumulator, partly reduced */
	u64 pad0, pad1;		/* s */
	u8 buf[16];		/* a partial block */
	unsigned int buflen;
#else
	struct poly1305_desc_ctx g;
#endif
};

void rb_poly1305_init(struct rb_poly1305 *st, const u8 *key);
void rb_poly1305_update(struct rb_poly1305 *st, const u8 *src,
			size_t len);
/* The tag (RB_POLY1305_TAG_LEN bytes) into out. */
void rb_poly1305_final(struct rb_poly1305 *st, u8 *out);

#endif /* RAFTBLK_POLY1305_H */
