/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_uenv.h - userspace platform (raft/env.h) for the wire codec tests.
 *
 * The codec needs what the kernel's struct raft_payload carries (sector,
 * covered length, flags, data), so these tests bring their own payload
 * rather than the consensus core's test environment. Allocations can be
 * made to fail on purpose (uenv_fail_alloc_after) to test error paths.
 */
#ifndef WIRE_RAFT_UENV_H
#define WIRE_RAFT_UENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* Fail the allocation after this many more succeed; < 0: never. */
extern long uenv_fail_alloc_after;
/* Allocations not yet freed (leak check on top of ASan). */
extern long uenv_live_allocs;

void *uenv_malloc(size_t size);
void *uenv_calloc(size_t n, size_t size);
void uenv_free(void *p);

#define raft_malloc(size)	uenv_malloc(size)
#define raft_calloc(n, size)	uenv_calloc((n), (size))
#define raft_free(p)		uenv_free(p)

#define raft_assert(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: assertion %s failed\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#define RAFT_LOG_DEBUG	0
#define RAFT_LOG_INFO	1
#define RAFT_LOG_WARN	2
#define raft_logf(level, fmt, ...)					\
	do {								\
		if ((level) >= RAFT_LOG_WARN)				\
			fprintf(stderr, fmt "\n", ##__VA_ARGS__);	\
	} while (0)

/* Same meaning as the kernel's struct raft_payload (kernel/payload.h). */
struct raft_payload {
	int ref;
	u64 sector;
	u32 len;	/* bytes covered */
	u32 flags;	/* RB_WIRE_PL_* == RAFTBLK_PL_* */
	u32 data_len;	/* bytes carried: len, or 0 for discard/zeroes */
	u8 data[];
};

/* Live payloads (leak check). */
extern long uenv_live_payloads;

struct raft_payload *uenv_payload_new(u64 sector, u32 len, u32 flags,
				      u32 data_len, const u8 *data);
size_t raft_payload_len(const struct raft_payload *p);
void raft_payload_get(struct raft_payload *p);
void raft_payload_put(struct raft_payload *p);

#endif /* WIRE_RAFT_UENV_H */
