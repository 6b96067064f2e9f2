/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portable.h - the kernel-independent basics shared by the portable code
 * (the consensus core in raft/, the wire codec wire.c, the on-disk codec
 * ondisk.c) and by every userspace test of it.
 *
 *   types     u8 u16 u32 u64 s64 bool size_t NULL true false
 *   bytes     rb_put_le{16,32,64}(p, v), rb_get_le{16,32,64}(p): fields
 *             stored little-endian byte by byte, so neither host byte
 *             order nor alignment matters; rb_all_zero(p, n) for
 *             reserved fields
 *   errors    the errno numbers (E*): every function of the portable code
 *             returns 0 or a negative errno value, and its named codes
 *             (RAFT_E*, RB_WIRE_E*) are negative errno values too, so the
 *             kernel passes them up unchanged (see "Errors" in raft/raft.h)
 *   crc32c    raftblk_crc32c(buf, len): the Castagnoli CRC, started from
 *             ~0 and inverted at the end; built on crc32c(seed, buf, len)
 *             with the kernel's contract (raw CRC continued from seed):
 *             lib/libcrc32c in the kernel, tools/testing/lib/crc32c.c in
 *             userspace
 *
 * In the kernel it includes <linux/types.h>, <linux/errno.h> and
 * <linux/crc32c.h> only; in userspace the C library's fixed-width types
 * and <errno.h> (the same numbers on Linux). Everything else a
 * platform gives the core (memory, assertions, logging, payloads) is in
 * raft/env.h.
 */
#ifndef RAFTBLK_PORTABLE_H
#define RAFTBLK_PORTABLE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/crc32c.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

uint32_t crc32c(uint32_t crc, const void *address, unsigned int length);
#endif

/* ------------------------------------------------------------------ */
/* Little-endian fields                                               */

static inline void rb_put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline void rb_put_le32(u8 *p, u32 v)
{
	rb_put_le16(p, (u16)v);
	rb_put_le16(p + 2, (u16)(v >> 16));
}

static inline void rb_put_le64(u8 *p, u64 v)
{
	rb_put_le32(p, (u32)v);
	rb_put_le32(p + 4, (u32)(v >> 32));
}

static inline u16 rb_get_le16(const u8 *p)
{
	return (u16)(p[0] | (p[1] << 8));
}

static inline u32 rb_get_le32(const u8 *p)
{
	return (u32)rb_get_le16(p) | ((u32)rb_get_le16(p + 2) << 16);
}

static inline u64 rb_get_le64(const u8 *p)
{
	return (u64)rb_get_le32(p) | ((u64)rb_get_le32(p + 4) << 32);
}

static inline bool rb_all_zero(const u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* crc32c                                                             */

static inline u32 raftblk_crc32c(const void *buf, size_t len)
{
	return ~crc32c(~0U, buf, len);
}

#endif /* RAFTBLK_PORTABLE_H */
