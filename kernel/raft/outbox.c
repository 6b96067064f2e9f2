// SPDX-License-Identifier: GPL-2.0
/*
 * outbox.c - outgoing messages: the queue handed out by raft_ready(), and
 * the messages held back until the local state they promise is durable
 * (vote grants, append acknowledgements).
 */
#include "raft_int.h"

int raft_vec_reserve(struct raft_vec *v, u32 n, size_t elem)
{
	u32 cap = v->cap ? v->cap : 8;
	void *p;

	if (v->n + n <= v->cap)
		return 0;
	while (cap < v->n + n)
		cap *= 2;
	p = raft_calloc(cap, elem);
	if (!p)
		return RAFT_ENOMEM;
	if (v->n)
		memcpy(p, v->v, (size_t)v->n * elem);
	raft_free(v->v);
	v->v = p;
	v->cap = cap;
	return 0;
}

/*
 * A new message to send, in the outbox. Returns NULL when out of memory:
 * the message is then lost, which Raft tolerates like a network drop.
 */
/*
 * Tell leader `to` that our log matches its up to idx (an APPEND_RESP,
 * held until what it promises is durable), unless such an
 * acknowledgement is held already.
 */
void raft_ack_append(struct raft *r, raft_id to, raft_index idx)
{
	struct raft_msg *resp;

	if (raft_held_has_ack(r, to, idx))
		return;
	resp = raft_held_new(r, RAFT_MSG_APPEND_RESP, to, idx);
	if (resp)
		resp->index = idx;
	raft_release_held(r);
}

struct raft_msg *raft_msg_new(struct raft *r, u8 type, raft_id to)
{
	struct raft_msg *m;

	if (raft_vec_reserve(&r->out, 1, sizeof(struct raft_msg))) {
		raft_logf(RAFT_LOG_WARN, "raft %llu: no memory for a message",
			  (unsigned long long)r->id);
		return NULL;
	}
	m = (struct raft_msg *)r->out.v + r->out.n++;
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = r->id;
	m->to = to;
	m->term = r->term;
	return m;
}

/*
 * A message that may be sent only once the current hard state and the log
 * up to need_index are durable.
 */
struct raft_msg *raft_held_new(struct raft *r, u8 type, raft_id to,
			       raft_index need_index)
{
	struct raft_held *h;

	if (raft_vec_reserve(&r->held, 1, sizeof(struct raft_held))) {
		raft_logf(RAFT_LOG_WARN, "raft %llu: no memory for a message",
			  (unsigned long long)r->id);
		return NULL;
	}
	h = (struct raft_held *)r->held.v + r->held.n++;
	memset(h, 0, sizeof(*h));
	h->need_hs_seq = r->hs_seq;
	h->need_index = need_index;
	h->need_term = raft_log_term(&r->log, need_index);
	h->m.type = type;
	h->m.from = r->id;
	h->m.to = to;
	h->m.term = r->term;
	return &h->m;
}

/*
 * Is the same acknowledgement already waiting? (A leader probing a node
 * whose disk fails resends the same APPEND: do not pile up answers.)
 */
bool raft_held_has_ack(const struct raft *r, raft_id to, raft_index idx)
{
	const struct raft_held *hv = r->held.v;
	u32 i;

	for (i = 0; i < r->held.n; i++)
		if (hv[i].m.type == RAFT_MSG_APPEND_RESP &&
		    hv[i].m.to == to && hv[i].m.index == idx &&
		    hv[i].m.term == r->term && hv[i].need_index == idx &&
		    hv[i].need_term == raft_log_term(&r->log, idx))
			return true;
	return false;
}

/* The log from idx on was replaced: acknowledgements of it are void. */
void raft_drop_held_from(struct raft *r, raft_index idx)
{
	struct raft_held *hv = r->held.v;
	u32 i, w = 0;

	for (i = 0; i < r->held.n; i++)
		if (!hv[i].need_index || hv[i].need_index < idx) {
			if (w != i)
				hv[w] = hv[i];
			w++;
		}
	r->held.n = w;
}

/*
 * May a held message go now? Each kind waits only for what it promises:
 * a vote grant for the term and vote to be durable, and nothing else
 * (not a pending log write, not a snapshot install: a node whose install
 * stalls must still help elect a leader); an append acknowledgement also
 * for the log up to need_index, and while a snapshot is being installed
 * for that install (the only ones left then acknowledge the snapshot
 * itself, possibly at index 0: the others were dropped when it replaced
 * the log).
 */
/* The log was reset: no acknowledgement of it may go (votes stay). */
void raft_drop_held_acks(struct raft *r)
{
	struct raft_held *hv = r->held.v;
	u32 i, w = 0;

	for (i = 0; i < r->held.n; i++)
		if (hv[i].m.type != RAFT_MSG_APPEND_RESP) {
			if (w != i)
				hv[w] = hv[i];
			w++;
		}
	r->held.n = w;
}

static bool held_ready(const struct raft *r, const struct raft_held *h,
		       bool *drop)
{
	const struct raft_log *l = &r->log;

	*drop = false;
	if (h->need_hs_seq > r->hs_durable_seq)
		return false;
	if (h->m.type != RAFT_MSG_APPEND_RESP)
		return true;	/* a vote grant */
	if (r->snap_pending || r->snap_installing)
		return false;
	if (h->need_index == 0)
		return true;
	if (h->need_index > log_last(l)) {
		*drop = true;
		return false;
	}
	if (h->need_index >= l->snap_index &&
	    raft_log_term(l, h->need_index) != h->need_term) {
		*drop = true;
		return false;
	}
	return l->persisted >= h->need_index;
}

/* Move held messages whose conditions now hold to the outbox, in order. */
void raft_release_held(struct raft *r)
{
	struct raft_held *hv = r->held.v;
	u32 i, w = 0;
	bool drop;

	for (i = 0; i < r->held.n; i++) {
		if (held_ready(r, &hv[i], &drop)) {
			if (!raft_vec_reserve(&r->out, 1, sizeof(struct raft_msg))) {
				((struct raft_msg *)r->out.v)[r->out.n++] =
					hv[i].m;
				continue;
			}
			/* no memory: keep it for the next advance */
		} else if (drop) {
			continue;
		}
		if (w != i)
			hv[w] = hv[i];
		w++;
	}
	r->held.n = w;
}
