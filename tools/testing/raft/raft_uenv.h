/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_uenv.h - userspace platform for the consensus core (see
 * kernel/raft/env.h): libc allocation, aborting assertions, stderr
 * logging, and refcounted payloads with a live-object counter so tests
 * can detect leaks.
 */
#ifndef RAFT_UENV_H
#define RAFT_UENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define raft_malloc(size)	raft_uenv_malloc(size)
#define raft_calloc(n, size)	raft_uenv_calloc((n), (size))
#define raft_free(p)		free(p)

void *raft_uenv_malloc(size_t size);
void *raft_uenv_calloc(size_t n, size_t size);

/* Make the next n allocations succeed, then fail (n < 0: never fail). */
void raft_uenv_fail_alloc_after(long n);

void raft_uenv_assert_fail(const char *file, int line, const char *expr);
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

/* Payloads: refcounted byte buffers. */
struct raft_payload;
struct raft_payload *raft_payload_new(const void *data, size_t len);
size_t raft_payload_len(const struct raft_payload *p);
const void *raft_payload_data(const struct raft_payload *p);
void raft_payload_get(struct raft_payload *p);
void raft_payload_put(struct raft_payload *p);
/* Payload objects currently alive (0 when nothing leaked). */
long raft_payload_live(void);

#endif /* RAFT_UENV_H */
