// SPDX-License-Identifier: GPL-2.0
/*
 * uenv.c - allocation with failure injection and refcounted payloads for
 * the wire codec tests (see raft_uenv.h).
 */
#include "raft_uenv.h"

long uenv_fail_alloc_after = -1;
long uenv_live_allocs;
long uenv_live_payloads;

static bool alloc_allowed(void)
{
	if (uenv_fail_alloc_after < 0)
		return true;
	if (uenv_fail_alloc_after == 0)
		return false;
	uenv_fail_alloc_after--;
	return true;
}

void *uenv_malloc(size_t size)
{
	void *p;

	if (!alloc_allowed())
		return NULL;
	p = malloc(size ? size : 1);
	if (p)
		uenv_live_allocs++;
	return p;
}

void *uenv_calloc(size_t n, size_t size)
{
	void *p;

	if (!alloc_allowed())
		return NULL;
	p = calloc(n ? n : 1, size ? size : 1);
	if (p)
		uenv_live_allocs++;
	return p;
}

void uenv_free(void *p)
{
	if (p)
		uenv_live_allocs--;
	free(p);
}

struct raft_payload *uenv_payload_new(u64 sector, u32 len, u32 flags,
				      u32 data_len, const u8 *data)
{
	struct raft_payload *p = uenv_malloc(sizeof(*p) + data_len);

	if (!p)
		return NULL;
	p->ref = 1;
	p->sector = sector;
	p->len = len;
	p->flags = flags;
	p->data_len = data_len;
	if (data_len)
		memcpy(p->data, data, data_len);
	uenv_live_payloads++;
	return p;
}

size_t raft_payload_len(const struct raft_payload *p)
{
	return p->data_len;
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
		uenv_live_payloads--;
		uenv_free(p);
	}
}
