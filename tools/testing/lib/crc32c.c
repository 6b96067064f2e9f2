// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace crc32c (Castagnoli, reflected polynomial 0x82F63B78) with the
 * kernel's crc32c() contract: raw CRC continued from crc, no inversion
 * (kernel/portable.h declares it and builds raftblk_crc32c() on it).
 */
#include "portable.h"

static uint32_t table[256];
static int table_ready;

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78U : c >> 1;
		table[i] = c;
	}
	table_ready = 1;
}

uint32_t crc32c(uint32_t crc, const void *address, unsigned int length)
{
	const uint8_t *p = address;

	if (!table_ready)
		crc32c_init();
	while (length--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
