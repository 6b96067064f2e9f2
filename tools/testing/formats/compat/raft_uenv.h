/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_uenv.h (formats) - the consensus core's userspace environment
 * (kernel/raft/env.h), reduced to what the portable on-disk codec needs.
 * The formats tests use this one rather than tools/testing/raft's, so
 * they depend on nothing but the codec itself.
 */
#ifndef RAFT_UENV_H
#define RAFT_UENV_H

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

#define raft_malloc(size)	malloc(size)
#define raft_calloc(n, size)	calloc((n), (size))
#define raft_free(p)		free(p)

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

struct raft_payload;
size_t raft_payload_len(const struct raft_payload *p);
void raft_payload_get(struct raft_payload *p);
void raft_payload_put(struct raft_payload *p);

#endif /* RAFT_UENV_H */
