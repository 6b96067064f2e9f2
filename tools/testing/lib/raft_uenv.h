/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_uenv.h - the userspace platform (kernel/raft/env.h) of every
 * userspace test of the portable code: the consensus core's unit tests,
 * scripts, simulator and fuzzer (tools/testing/raft/), the wire codec's
 * (tools/testing/wire/) and the on-disk codec's (tools/testing/formats/).
 * kernel/raft_kenv.h is the kernel's.
 *
 * Types, little-endian helpers and crc32c come from kernel/portable.h
 * (through env.h). Here: libc allocation with failure injection and a
 * live-allocation count, aborting assertions, stderr logging, and one
 * payload type with the fields of the kernel's struct raft_payload
 * (kernel/payload.h) that the tests need.
 */
#ifndef RAFT_UENV_H
#define RAFT_UENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Memory                                                             */

#define raft_malloc(size)	raft_uenv_malloc(size)
#define raft_calloc(n, size)	raft_uenv_calloc((n), (size))
#define raft_free(p)		raft_uenv_free(p)

void *raft_uenv_malloc(size_t size);
void *raft_uenv_calloc(size_t n, size_t size);
void raft_uenv_free(void *p);

/* Make the next n allocations succeed, then fail (n < 0: never fail). */
void raft_uenv_fail_alloc_after(long n);
/* Allocations (payloads included) not freed yet: 0 when nothing leaked. */
long raft_uenv_live_allocs(void);

/* ------------------------------------------------------------------ */
/* Checks and logging                                                 */

void raft_uenv_assert_fail(const char *file, int line, const char *expr)
	__attribute__((noreturn));
#define raft_assert(cond)						\
	do {								\
		if (!(cond))						\
			raft_uenv_assert_fail(__FILE__, __LINE__, #cond); \
	} while (0)

#define RAFT_LOG_DEBUG	0
#define RAFT_LOG_INFO	1
#define RAFT_LOG_WARN	2

/* Messages at or above this level go to stderr (default: none). */
extern int raft_uenv_log_level;
void raft_uenv_logf(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define raft_logf(level, fmt, ...) raft_uenv_logf((level), fmt, ##__VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Payloads                                                           */

/*
 * One replicated write, as the kernel's struct raft_payload describes it:
 * sector, bytes covered (len), flags (RAFTBLK_PL_* == RB_WIRE_PL_*) and
 * the data bytes carried (data_len: len, or 0 for discard/write-zeroes).
 * raft_payload_len() is data_len, as in the kernel.
 */
struct raft_payload {
	long ref;
	u64 sector;
	u32 len;
	u32 flags;
	u32 data_len;
	u8 data[];
};

/*
 * A payload made the way a platform makes one (a receiver decoding a
 * frame): through raft_malloc, so it fails (NULL) when failure injection
 * says so. data may be NULL when data_len is 0.
 */
struct raft_payload *raft_payload_alloc(u64 sector, u32 len, u32 flags,
					u32 data_len, const void *data);
/*
 * A test's own input: len bytes of data at sector 0, no flags. Never
 * fails (failure injection does not apply; aborts if libc has no memory).
 */
struct raft_payload *raft_payload_new(const void *data, size_t len);

size_t raft_payload_len(const struct raft_payload *p);
const void *raft_payload_data(const struct raft_payload *p);
void raft_payload_get(struct raft_payload *p);
void raft_payload_put(struct raft_payload *p);
/* Payload objects currently alive (0 when nothing leaked). */
long raft_payload_live(void);

#endif /* RAFT_UENV_H */
