// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - the in-memory Raft log: entries after the compaction point in a
 * growable ring buffer, plus the bookkeeping of what was handed out to be
 * persisted (unstable) and what is known durable (persisted).
 */
#include "raft_int.h"

u64 raft_entry_bytes(const struct raft_entry *e)
{
	return e->payload ? raft_payload_len(e->payload) : 0;
}

void raft_log_init(struct raft_log *l, raft_index snap_index, raft_term snap_term)
{
	memset(l, 0, sizeof(*l));
	l->snap_index = snap_index;
	l->snap_term = snap_term;
	l->unstable = snap_index + 1;
	l->persisted = snap_index;
}

static struct raft_entry *slot(const struct raft_log *l, u32 i)
{
	return &l->ring[(l->head + i) & (l->cap - 1)];
}

void raft_log_free(struct raft_log *l)
{
	u32 i;

	for (i = 0; i < l->n; i++) {
		struct raft_entry *e = slot(l, i);

		if (e->payload)
			raft_payload_put(e->payload);
	}
	raft_free(l->ring);
	l->ring = NULL;
	l->cap = 0;
	l->n = 0;
	l->head = 0;
	l->bytes = 0;
}

struct raft_entry *raft_log_get(const struct raft_log *l, raft_index idx)
{
	if (idx <= l->snap_index || idx > log_last(l))
		return NULL;
	return slot(l, (u32)(idx - l->snap_index - 1));
}

raft_term raft_log_term(const struct raft_log *l, raft_index idx)
{
	const struct raft_entry *e;

	if (idx == l->snap_index)
		return l->snap_term;
	e = raft_log_get(l, idx);
	return e ? e->term : 0;
}

raft_term raft_log_last_term(const struct raft_log *l)
{
	return raft_log_term(l, log_last(l));
}

bool raft_log_match(const struct raft_log *l, raft_index idx, raft_term term)
{
	if (idx < l->snap_index || idx > log_last(l))
		return false;
	return raft_log_term(l, idx) == term;
}

bool raft_log_up_to_date(const struct raft_log *l, raft_index idx, raft_term term)
{
	raft_term lt = raft_log_last_term(l);

	return term > lt || (term == lt && idx >= log_last(l));
}

int raft_log_reserve(struct raft_log *l, u32 n)
{
	struct raft_entry *ring;
	u32 cap = l->cap ? l->cap : 16;
	u32 i;

	if ((u64)l->n + n > (1u << 30))
		return RAFT_ENOMEM;
	if (l->n + n <= l->cap)
		return 0;
	while (cap < l->n + n)
		cap *= 2;
	ring = raft_calloc(cap, sizeof(*ring));
	if (!ring)
		return RAFT_ENOMEM;
	for (i = 0; i < l->n; i++)
		ring[i] = *slot(l, i);
	raft_free(l->ring);
	l->ring = ring;
	l->cap = cap;
	l->head = 0;
	return 0;
}

void raft_log_push(struct raft_log *l, const struct raft_entry *e)
{
	raft_assert(l->n < l->cap);
	raft_assert(e->index == log_last(l) + 1);
	if (l->n >= l->cap)
		return;	/* (kernel: warned once; never write past) */
	*slot(l, l->n) = *e;
	l->n++;
	l->bytes += raft_entry_bytes(e);
}

void raft_log_truncate(struct raft_log *l, raft_index idx)
{
	if (idx <= l->snap_index)
		idx = l->snap_index + 1;
	while (log_last(l) >= idx) {
		struct raft_entry *e = slot(l, l->n - 1);

		l->bytes -= raft_entry_bytes(e);
		if (e->payload)
			raft_payload_put(e->payload);
		memset(e, 0, sizeof(*e));
		l->n--;
	}
	if (l->unstable > idx)
		l->unstable = idx;
	if (l->persisted >= idx)
		l->persisted = idx - 1;
}

void raft_log_compact(struct raft_log *l, raft_index idx)
{
	raft_term t = raft_log_term(l, idx);

	if (idx <= l->snap_index || idx > log_last(l))
		return;
	while (l->snap_index < idx) {
		struct raft_entry *e = slot(l, 0);

		l->bytes -= raft_entry_bytes(e);
		if (e->payload)
			raft_payload_put(e->payload);
		memset(e, 0, sizeof(*e));
		l->head = (l->head + 1) & (l->cap - 1);
		l->n--;
		l->snap_index++;
	}
	l->snap_term = t;
	if (l->unstable <= idx)
		l->unstable = idx + 1;
	if (l->persisted < idx)
		l->persisted = idx;
}

void raft_log_restore(struct raft_log *l, raft_index idx, raft_term term)
{
	raft_log_truncate(l, l->snap_index + 1);
	l->snap_index = idx;
	l->snap_term = term;
	l->head = 0;
	l->unstable = idx + 1;
	l->persisted = idx;
}

raft_index raft_log_find_conflict_by_term(const struct raft_log *l,
				     raft_index idx, raft_term term,
				     raft_term *found_term)
{
	raft_term t = 0;

	if (idx > log_last(l))
		idx = log_last(l);
	for (; idx > 0; idx--) {
		if (idx < l->snap_index) {
			/* compacted: unknown term */
			t = 0;
			break;
		}
		t = raft_log_term(l, idx);
		if (t <= term)
			break;
	}
	if (found_term)
		*found_term = idx ? t : 0;
	return idx;
}
