// SPDX-License-Identifier: GPL-2.0
/*
 * uenv.c - the userspace platform of the portable code's tests (see
 * raft_uenv.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "raft/env.h"

static long fail_after = -1;
static long live_allocs;
static long payload_live;
int raft_uenv_log_level = 3;

static bool alloc_fails(void)
{
	if (fail_after < 0)
		return false;
	if (fail_after == 0)
		return true;
	fail_after--;
	return false;
}

void raft_uenv_fail_alloc_after(long n)
{
	fail_after = n;
}

long raft_uenv_live_allocs(void)
{
	return live_allocs;
}

static void *counted(void *p)
{
	if (p)
		live_allocs++;
	return p;
}

void *raft_uenv_malloc(size_t size)
{
	return alloc_fails() ? NULL : counted(malloc(size ? size : 1));
}

void *raft_uenv_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL :
	       counted(calloc(n ? n : 1, size ? size : 1));
}

void raft_uenv_free(void *p)
{
	if (p)
		live_allocs--;
	free(p);
}

void raft_uenv_assert_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "%s:%d: raft assertion failed: %s\n", file, line,
		expr);
	fflush(stderr);
	abort();
}

void raft_uenv_logf(int level, const char *fmt, ...)
{
	va_list ap;

	if (level < raft_uenv_log_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct raft_payload *payload_init(struct raft_payload *p, u64 sector,
					 u32 len, u32 flags, u32 data_len,
					 const void *data)
{
	if (!p)
		return NULL;
	p->ref = 1;
	p->sector = sector;
	p->len = len;
	p->flags = flags;
	p->data_len = data_len;
	if (data_len)
		memcpy(p->data, data, data_len);
	payload_live++;
	return p;
}

struct raft_payload *raft_payload_alloc(u64 sector, u32 len, u32 flags,
					u32 data_len, const void *data)
{
	return payload_init(raft_uenv_malloc(sizeof(struct raft_payload) +
					     data_len),
			    sector, len, flags, data_len, data);
}

struct raft_payload *raft_payload_new(const void *data, size_t len)
{
	struct raft_payload *p = counted(malloc(sizeof(*p) + len));

	if (!p)
		raft_uenv_assert_fail(__FILE__, __LINE__, "payload allocated");
	return payload_init(p, 0, (u32)len, 0, (u32)len, data);
}

size_t raft_payload_len(const struct raft_payload *p)
{
	return p->data_len;
}

const void *raft_payload_data(const struct raft_payload *p)
{
	return p->data;
}

void raft_payload_get(struct raft_payload *p)
{
	raft_assert(p->ref > 0);
	p->ref++;
}

void raft_payload_put(struct raft_payload *p)
{
	raft_assert(p->ref > 0);
	if (--p->ref == 0) {
		payload_live--;
		raft_uenv_free(p);
	}
}

long raft_payload_live(void)
{
	return payload_live;
}
