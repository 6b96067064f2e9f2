// SPDX-License-Identifier: GPL-2.0
/*
 * uenv.c - userspace implementation of the core's platform (raft_uenv.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "raft_uenv.h"

struct raft_payload {
	long refs;
	size_t len;
	unsigned char data[];
};

static long payload_live;
static long fail_after = -1;
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

void *raft_uenv_malloc(size_t size)
{
	return alloc_fails() ? NULL : malloc(size ? size : 1);
}

void *raft_uenv_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : calloc(n ? n : 1, size ? size : 1);
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

struct raft_payload *raft_payload_new(const void *data, size_t len)
{
	struct raft_payload *p = malloc(sizeof(*p) + len);

	if (!p)
		return NULL;
	p->refs = 1;
	p->len = len;
	if (len)
		memcpy(p->data, data, len);
	payload_live++;
	return p;
}

size_t raft_payload_len(const struct raft_payload *p)
{
	return p->len;
}

const void *raft_payload_data(const struct raft_payload *p)
{
	return p->data;
}

void raft_payload_get(struct raft_payload *p)
{
	if (p->refs <= 0)
		raft_uenv_assert_fail(__FILE__, __LINE__, "payload refs > 0");
	p->refs++;
}

void raft_payload_put(struct raft_payload *p)
{
	if (p->refs <= 0)
		raft_uenv_assert_fail(__FILE__, __LINE__, "payload refs > 0");
	if (--p->refs == 0) {
		payload_live--;
		free(p);
	}
}

long raft_payload_live(void)
{
	return payload_live;
}
