/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crc32c.h - crc32c for the portable codecs (on-disk records, wire frames).
 *
 * Same contract as the kernel's crc32c(): crc32c(seed, buf, len) returns the
 * raw (not inverted) Castagnoli CRC continued from seed. Codecs use
 * raftblk_crc32c() below, which starts from ~0 and inverts at the end.
 * In the kernel it is lib/libcrc32c; in userspace tests it is
 * tools/testing/formats/crc32c.c.
 */
#ifndef RAFTBLK_CRC32C_H
#define RAFTBLK_CRC32C_H

#ifdef __KERNEL__
#include <linux/crc32c.h>
#else
#include <stddef.h>
#include <stdint.h>
uint32_t crc32c(uint32_t crc, const void *address, unsigned int length);
#endif

static inline u32 raftblk_crc32c(const void *buf, size_t len)
{
	return ~crc32c(~0U, buf, len);
}

#endif /* RAFTBLK_CRC32C_H */
