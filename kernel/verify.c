// SPDX-License-Identifier: GPL-2.0
/*
 * verify.c - online verify: the data area hashed per extent at a verify
 * entry, the hashes sent to the leader and compared there (see verify.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <linux/raftblk.h>

#include "verify.h"
#include "extent_map.h"
#include "log_store.h"
#include "payload.h"
#include "portable.h"
#include "transport.h"
#include "wire.h"

/* A node that sent no hashes this long after ours were made: no answer. */
#define RB_VERIFY_TIMEOUT_MS	60000
/* A verify proposed but never applied here blocks the next this long. */
#define RB_VERIFY_PROPOSE_MS	60000
#define RB_VERIFY_HASH_BYTES	4	/* crc32c, little-endian */

/* One member's hashes, as received (or ours, at self). */
struct rb_verify_node {
	raft_id id;
	u8 state;		/* enum raftblk_verify_node_state */
	u32 *hash;		/* n_extents, NULL until received */
	unsigned long *differ;	/* bitmap, once compared */
	u32 n_differ;
};

/* What a new verify replaces: freed outside v->lock (kvfree sleeps). */
struct rb_verify_old {
	u32 *own;
	u32 n_nodes;
	struct rb_verify_node nodes[RAFT_MAX_NODES];
};

struct rb_verify {
	struct rb_store *store;
	struct rb_transport *tp;
	raft_id self;
	const char *name;
	/*
	 * lock protects the fields below against the readers of reports
	 * (held briefly, never while sleeping), down to own. The node
	 * thread changes them under it.
	 */
	spinlock_t lock;
	raft_index index;	/* of the verify, 0: none */
	raft_term term;
	u8 state;		/* enum raftblk_verify_state */
	bool collector;		/* we compared (we were the leader) */
	bool hashed_ok;		/* own[] is complete (node thread) */
	bool sent;		/* own hashes reached the transport */
	raft_id send_to;	/* the leader they go to */
	raft_term send_term;
	u32 n_extents;
	u64 extent_bytes;
	u32 *own;
	/*
	 * Hashing: the work item hashes the extents in order; a write after
	 * the verify entry to an extent not hashed yet first hashes it on
	 * the node thread (rb_verify_gate()), or waits for the work item's
	 * hash of it. claimed: taken by one of the two (test_and_set_bit);
	 * done: hashed (set_bit, then a wake-up of wq). gating and work_busy
	 * belong to the node thread; finished is released by the work item.
	 */
	struct work_struct work;
	wait_queue_head_t wq;
	unsigned long *claimed, *done;
	atomic_t n_done;
	int hash_err;		/* first error reading the data area */
	bool gating;
	bool work_busy;
	bool finished;
	bool stop;		/* the node stops: the work item gives up */
	struct raft_payload *gate_buf;	/* the node thread's reads */
	u32 ahead;		/* extents the gate hashed before a write */
	unsigned long begun, done_at;	/* jiffies */
	u32 n_nodes;
	struct rb_verify_node nodes[RAFT_MAX_NODES];
	/* Leader: a verify entry proposed here, not applied yet. */
	raft_index proposed;
	unsigned long proposed_at;
	/* Scratch for a frame, for what a verify replaces (node thread). */
	struct raft_msg msg;
	struct rb_verify_old scratch;
};

static void vf_work(struct work_struct *work);
static void vf_work_stop(struct rb_verify *v);

int rb_verify_create(struct rb_store *store, raft_id self, const char *name,
		     struct rb_verify **out)
{
	struct rb_verify *v = kzalloc(sizeof(*v), GFP_KERNEL);

	if (!v)
		return -ENOMEM;
	v->store = store;
	v->self = self;
	v->name = name;
	spin_lock_init(&v->lock);
	init_waitqueue_head(&v->wq);
	INIT_WORK(&v->work, vf_work);
	*out = v;
	return 0;
}

/* Move every node's hashes and our own to old (under v->lock or alone). */
static void vf_clear(struct rb_verify *v, struct rb_verify_old *old)
{
	memcpy(old->nodes, v->nodes, sizeof(v->nodes));
	old->n_nodes = v->n_nodes;
	old->own = v->own;
	memset(v->nodes, 0, sizeof(v->nodes));
	v->n_nodes = 0;
	v->own = NULL;
}

static void vf_free_old(struct rb_verify_old *old)
{
	u32 i;

	for (i = 0; i < old->n_nodes; i++) {
		kvfree(old->nodes[i].hash);
		bitmap_free(old->nodes[i].differ);
	}
	kvfree(old->own);
}

void rb_verify_destroy(struct rb_verify *v)
{
	struct rb_verify_old *old;

	if (!v)
		return;
	vf_work_stop(v);
	bitmap_free(v->claimed);
	bitmap_free(v->done);
	if (v->gate_buf)
		raftblk_payload_put(v->gate_buf);
	old = kmalloc(sizeof(*old), GFP_KERNEL);
	vf_clear(v, old ?: &v->scratch);
	vf_free_old(old ?: &v->scratch);
	kfree(old);
	kfree(v);
}

void rb_verify_set_transport(struct rb_verify *v, struct rb_transport *tp)
{
	v->tp = tp;
}

static bool vf_running(struct rb_verify *v)
{
	return v->index && v->state == RAFTBLK_VERIFY_STATE_RUNNING;
}

int rb_verify_may_start(struct rb_verify *v, raft_index *busy_index)
{
	struct rb_emap *map = rb_store_emap(v->store);

	if ((u64)rb_emap_count(map) * RB_VERIFY_HASH_BYTES >
	    RAFTBLK_PL_MAX_DATA)
		return -EINVAL;
	if (vf_running(v)) {
		*busy_index = v->index;
		return -EBUSY;
	}
	if (v->proposed && v->proposed > v->index &&
	    time_before(jiffies, v->proposed_at +
			msecs_to_jiffies(RB_VERIFY_PROPOSE_MS))) {
		*busy_index = v->proposed;
		return -EBUSY;
	}
	return 0;
}

void rb_verify_proposed(struct rb_verify *v, raft_index index)
{
	v->proposed = index;
	v->proposed_at = jiffies;
}

static struct rb_verify_node *vf_node(struct rb_verify *v, raft_id id)
{
	u32 i;

	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].id == id)
			return &v->nodes[i];
	return NULL;
}

/* Everyone answered or was given up: the verify is over (under lock). */
static void vf_check_done(struct rb_verify *v)
{
	u32 i, differ = 0, nodes = 0;

	if (v->state != RAFTBLK_VERIFY_STATE_RUNNING || !v->hashed_ok)
		return;
	if (!v->collector && !v->sent)
		return;
	for (i = 0; i < v->n_nodes; i++)
		if (v->collector &&
		    v->nodes[i].state == RAFTBLK_VERIFY_NODE_WAITING)
			return;
	v->state = RAFTBLK_VERIFY_STATE_DONE;
	v->done_at = jiffies;
	if (!v->collector)
		return;
	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].n_differ) {
			differ += v->nodes[i].n_differ;
			nodes++;
		}
	/* printed under the spinlock: a short line, no sleeping */
	if (differ)
		pr_warn("%s: verify at index %llu: %u extents differ on %u nodes\n",
			v->name, (unsigned long long)v->index, differ, nodes);
	else
		pr_info("%s: verify at index %llu: the replicas are the same\n",
			v->name, (unsigned long long)v->index);
}

/* Compare node d's hashes with ours, once both are here (under lock). */
static void vf_compare(struct rb_verify *v, struct rb_verify_node *d)
{
	u32 e;

	if (!d->hash || !v->hashed_ok || d->differ || d->id == v->self)
		return;
	d->differ = bitmap_zalloc(v->n_extents, GFP_ATOMIC);
	if (!d->differ) {
		d->state = RAFTBLK_VERIFY_NODE_NO_ANSWER;
		return;
	}
	d->n_differ = 0;
	for (e = 0; e < v->n_extents; e++)
		if (d->hash[e] != v->own[e]) {
			__set_bit(e, d->differ);
			d->n_differ++;
		}
	d->state = d->n_differ ? RAFTBLK_VERIFY_NODE_DIFFERS :
		   RAFTBLK_VERIFY_NODE_SAME;
}

int rb_verify_begin(struct rb_verify *v, raft_index index, raft_term term,
		    const struct raft_conf *conf)
{
	struct rb_emap *map = rb_store_emap(v->store);
	u32 n = rb_emap_count(map), i;
	/* the node thread: no reclaim by writes to this very device */
	unsigned int noio;
	u32 *own;

	vf_work_stop(v);	/* a verify before it still hashing */
	noio = memalloc_noio_save();
	own = kvcalloc(n, sizeof(u32), GFP_KERNEL);
	bitmap_free(v->claimed);
	bitmap_free(v->done);
	v->claimed = bitmap_zalloc(n, GFP_KERNEL);
	v->done = bitmap_zalloc(n, GFP_KERNEL);
	if (!v->gate_buf)
		v->gate_buf = raftblk_payload_alloc(RAFTBLK_PL_MAX_DATA);
	memalloc_noio_restore(noio);
	if (!v->claimed || !v->done || !v->gate_buf) {
		kvfree(own);
		own = NULL;
	}
	atomic_set(&v->n_done, 0);
	v->hash_err = 0;
	v->ahead = 0;
	spin_lock(&v->lock);
	v->scratch.n_nodes = 0;
	v->scratch.own = NULL;
	if (v->index == index) {	/* the same entry again: hash again */
		v->scratch.own = v->own;
		v->own = NULL;
	} else {
		vf_clear(v, &v->scratch);
		for (i = 0; i < conf->n && i < RAFT_MAX_NODES; i++) {
			v->nodes[i].id = conf->nodes[i].id;
			v->nodes[i].state = RAFTBLK_VERIFY_NODE_WAITING;
		}
		v->n_nodes = i;
	}
	v->index = index;
	v->term = term;
	v->state = RAFTBLK_VERIFY_STATE_RUNNING;
	v->collector = false;
	v->hashed_ok = false;
	v->sent = false;
	v->send_to = 0;
	v->n_extents = n;
	v->extent_bytes = rb_emap_extent_bytes(map);
	v->own = own;
	v->begun = jiffies;
	v->done_at = 0;
	if (!own)
		v->state = RAFTBLK_VERIFY_STATE_FAILED;
	spin_unlock(&v->lock);
	vf_free_old(&v->scratch);
	if (!own) {
		pr_err("%s: verify at index %llu: out of memory\n", v->name,
		       (unsigned long long)index);
		return -ENOMEM;
	}
	pr_info("%s: verify at index %llu: hashing %u extents of %llu KiB\n",
		v->name, (unsigned long long)index, n,
		(unsigned long long)(v->extent_bytes >> 10));
	return 0;
}

/* crc32c of the data area's bytes [off, off + len), in 1 MiB reads. */
static int vf_hash_extent(struct rb_verify *v, struct raft_payload *p,
			  u64 off, u64 len, u32 *out)
{
	u32 crc = ~0U, k, chunk;
	int ret;

	while (len) {
		chunk = min_t(u64, len, RAFTBLK_PL_MAX_DATA);
		/* a payload of the full size reads the tail in full pages */
		p->len = chunk;
		ret = rb_store_read_data(v->store, off, p);
		p->len = RAFTBLK_PL_MAX_DATA;
		if (ret)
			return ret;
		for (k = 0; k < p->nr_pages && k * PAGE_SIZE < chunk; k++) {
			void *a = kmap_local_page(p->pages[k]);

			crc = crc32c(crc, a, min_t(u32, PAGE_SIZE,
						   chunk - k * PAGE_SIZE));
			kunmap_local(a);
		}
		off += chunk;
		len -= chunk;
		cond_resched();
	}
	*out = ~crc;
	return 0;
}

/* Hash extent e into own[e] with buffer p; done, and the waiters woken. */
static void vf_hash_one(struct rb_verify *v, struct raft_payload *p, u32 e)
{
	u64 size = (u64)rb_store_data_sectors(v->store) << SECTOR_SHIFT;
	u64 off = (u64)e * v->extent_bytes;
	int ret;

	ret = vf_hash_extent(v, p, off, min(v->extent_bytes, size - off),
			     &v->own[e]);
	if (ret)
		cmpxchg(&v->hash_err, 0, ret);
	set_bit(e, v->done);
	atomic_inc(&v->n_done);
	wake_up_all(&v->wq);
}

/* The work item: every extent not claimed by a write, in order. */
static void vf_work(struct work_struct *work)
{
	struct rb_verify *v = container_of(work, struct rb_verify, work);
	struct raft_payload *p = raftblk_payload_alloc(RAFTBLK_PL_MAX_DATA);
	u32 e;

	if (!p)
		cmpxchg(&v->hash_err, 0, -ENOMEM);
	for (e = 0; p && e < v->n_extents && !READ_ONCE(v->stop); e++)
		if (!test_and_set_bit(e, v->claimed))
			vf_hash_one(v, p, e);
	if (p)
		raftblk_payload_put(p);
	/* those a write claimed are hashed by the node thread, at once */
	wait_event(v->wq, atomic_read(&v->n_done) == v->n_extents ||
		   READ_ONCE(v->stop) || !p);
	/* Pairs with smp_load_acquire() in rb_verify_tick(). */
	smp_store_release(&v->finished, true);
}

/* The node stops, or a new verify replaces this one: no work item left. */
static void vf_work_stop(struct rb_verify *v)
{
	if (!v->work_busy)
		return;
	WRITE_ONCE(v->stop, true);
	wake_up_all(&v->wq);
	flush_work(&v->work);
	v->work_busy = false;
	v->gating = false;
	WRITE_ONCE(v->stop, false);
}

void rb_verify_hash(struct rb_verify *v)
{
	if (!v->own || !v->claimed || !v->done || !v->gate_buf)
		return;		/* begin failed: the verify failed here */
	v->finished = false;
	v->gating = true;
	v->work_busy = true;
	queue_work(system_unbound_wq, &v->work);
}

/* A write of [off, off + len) of the data area comes: its extents first. */
static void vf_gate_range(struct rb_verify *v, u64 off, u64 len)
{
	u32 e, last;

	if (!len || !v->extent_bytes)
		return;
	e = div64_u64(off, v->extent_bytes);
	last = div64_u64(off + len - 1, v->extent_bytes);
	for (; e <= last && e < v->n_extents; e++) {
		if (test_bit(e, v->done))
			continue;
		if (!test_and_set_bit(e, v->claimed)) {
			vf_hash_one(v, v->gate_buf, e);
			v->ahead++;
		} else {
			/* the work item is reading it: a moment */
			wait_event(v->wq, test_bit(e, v->done));
		}
	}
}

void rb_verify_gate(struct rb_verify *v, const struct raft_entry *e, u32 n)
{
	const struct raft_payload *p;
	u32 i;

	if (!v->gating)
		return;
	for (i = 0; i < n; i++) {
		p = e[i].payload;
		if (e[i].type != RAFT_ENTRY_NORMAL || !p ||
		    e[i].index <= v->index)
			continue;
		vf_gate_range(v, (u64)p->sector << SECTOR_SHIFT, p->len);
	}
}

/* Our hashes as a frame's payload: n_extents crc32c, LE, 512-padded. */
static struct raft_payload *vf_payload(struct rb_verify *v)
{
	u32 len = round_up(v->n_extents * RB_VERIFY_HASH_BYTES, 512), e;
	struct raft_payload *p = raftblk_payload_alloc(len);
	__le32 h;

	if (!p)
		return NULL;
	p->sector = 0;
	for (e = 0; e < v->n_extents; e++) {
		h = cpu_to_le32(v->own[e]);
		raftblk_payload_copy_in(p, e * RB_VERIFY_HASH_BYTES, &h,
					sizeof(h));
	}
	h = 0;
	for (e *= RB_VERIFY_HASH_BYTES; e < len; e += sizeof(h))
		raftblk_payload_copy_in(p, e, &h, sizeof(h));
	raftblk_payload_crc(p);
	return p;
}

/* Send our hashes to v->send_to: true when the transport took them. */
static bool vf_send(struct rb_verify *v)
{
	struct raft_msg *m = &v->msg;
	struct raft_entry e;
	int ret;

	if (!v->tp)
		return false;
	memset(m, 0, sizeof(*m));
	memset(&e, 0, sizeof(e));
	m->type = RAFT_MSG_SNAPSHOT;
	m->flags = RB_WIRE_MSGF_COPY;
	m->from = v->self;
	m->to = v->send_to;
	m->term = v->send_term;
	m->hint_term = RB_WIRE_COPY_VERIFY;
	m->context = v->n_extents;
	m->hint_index = v->extent_bytes;
	m->snap.index = v->index;
	m->snap.term = v->term;
	e.index = 1;
	e.term = v->send_term;
	e.type = RAFT_ENTRY_NORMAL;
	e.payload = vf_payload(v);
	if (!e.payload)
		return false;
	m->n_entries = 1;
	m->entries = &e;
	ret = rb_transport_send(v->tp, m);
	raftblk_payload_put(e.payload);
	return !ret;
}

/* Send our hashes to the leader; once they went, our part is over. */
static void vf_send_done(struct rb_verify *v)
{
	if (!vf_send(v))
		return;
	pr_info("%s: verify at index %llu: hashes sent to node %llu\n",
		v->name, (unsigned long long)v->index,
		(unsigned long long)v->send_to);
	spin_lock(&v->lock);
	v->sent = true;
	vf_check_done(v);
	spin_unlock(&v->lock);
}

void rb_verify_hashed(struct rb_verify *v, raft_id leader, raft_term term)
{
	u32 i;

	spin_lock(&v->lock);
	if (v->state != RAFTBLK_VERIFY_STATE_RUNNING) {
		spin_unlock(&v->lock);
		return;
	}
	v->done_at = jiffies;	/* the answers' timeout starts now */
	if (!v->hashed_ok) {
		v->state = RAFTBLK_VERIFY_STATE_FAILED;
		spin_unlock(&v->lock);
		return;
	}
	v->collector = leader == v->self;
	if (v->collector) {
		for (i = 0; i < v->n_nodes; i++) {
			if (v->nodes[i].id == v->self)
				v->nodes[i].state =
					RAFTBLK_VERIFY_NODE_REFERENCE;
			vf_compare(v, &v->nodes[i]);
		}
		v->sent = true;
	} else {
		v->send_to = leader;
		v->send_term = term;
	}
	vf_check_done(v);
	spin_unlock(&v->lock);
	if (!v->collector && leader)
		vf_send_done(v);
}

/* A VERIFY frame's hashes into d (node thread). */
static int vf_take(struct rb_verify *v, struct rb_verify_node *d,
		   const struct raft_msg *m)
{
	struct raft_payload *p = m->entries[0].payload;
	u32 n = m->context, e;
	__le32 h;
	u32 *hash;

	unsigned int noio;

	if (d->hash || !p || n != v->n_extents ||
	    p->len < n * RB_VERIFY_HASH_BYTES)
		return -EPROTO;
	noio = memalloc_noio_save();
	hash = kvmalloc_array(n, sizeof(u32), GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!hash)
		return -ENOMEM;
	for (e = 0; e < n; e++) {
		raftblk_payload_copy_out(p, e * RB_VERIFY_HASH_BYTES, &h,
					 sizeof(h));
		hash[e] = le32_to_cpu(h);
	}
	spin_lock(&v->lock);
	d->hash = hash;
	vf_compare(v, d);
	vf_check_done(v);
	spin_unlock(&v->lock);
	return 0;
}

bool rb_verify_intercept(struct rb_verify *v, struct raft_msg *m)
{
	struct rb_verify_node *d;
	int ret;

	if (m->type != RAFT_MSG_SNAPSHOT || !(m->flags & RB_WIRE_MSGF_COPY) ||
	    m->hint_term != RB_WIRE_COPY_VERIFY)
		return false;
	if (m->snap.index != v->index || m->snap.term != v->term ||
	    m->hint_index != v->extent_bytes) {
		pr_info_ratelimited("%s: verify hashes of node %llu for index %llu dropped: not the verify here (index %llu)\n",
				    v->name, (unsigned long long)m->from,
				    (unsigned long long)m->snap.index,
				    (unsigned long long)v->index);
		goto out;
	}
	d = vf_node(v, m->from);
	if (!d) {
		pr_info_ratelimited("%s: verify hashes of node %llu dropped: no member at index %llu\n",
				    v->name, (unsigned long long)m->from,
				    (unsigned long long)v->index);
		goto out;
	}
	ret = vf_take(v, d, m);
	if (ret)
		pr_warn_ratelimited("%s: verify hashes of node %llu dropped: %d\n",
				    v->name, (unsigned long long)m->from, ret);
out:
	raft_msg_free(m);
	return true;
}

bool rb_verify_hash_done(struct rb_verify *v)
{
	/* Pairs with smp_store_release() in vf_work(). */
	if (!v->work_busy || !smp_load_acquire(&v->finished))
		return false;
	flush_work(&v->work);	/* it is past its last access to v */
	v->work_busy = false;
	v->gating = false;
	v->hashed_ok = !v->hash_err;
	if (v->hash_err)
		pr_err("%s: verify at index %llu: cannot read the data area: %d\n",
		       v->name, (unsigned long long)v->index, v->hash_err);
	else
		pr_info("%s: verify at index %llu: %u extents hashed, %u of them before a write to them\n",
			v->name, (unsigned long long)v->index, v->n_extents,
			v->ahead);
	return true;
}

void rb_verify_tick(struct rb_verify *v)
{
	u32 i;

	if (!vf_running(v) || !v->done_at)
		return;
	if (!v->sent && v->send_to)
		vf_send_done(v);
	if (!vf_running(v))
		return;
	if (time_before(jiffies, v->done_at +
			msecs_to_jiffies(RB_VERIFY_TIMEOUT_MS)))
		return;
	spin_lock(&v->lock);
	for (i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].state == RAFTBLK_VERIFY_NODE_WAITING)
			v->nodes[i].state = RAFTBLK_VERIFY_NODE_NO_ANSWER;
	if (!v->collector)	/* a follower's part ends when it sent */
		v->state = v->sent ? RAFTBLK_VERIFY_STATE_DONE :
			   RAFTBLK_VERIFY_STATE_FAILED;
	vf_check_done(v);
	spin_unlock(&v->lock);
}

void rb_verify_report(struct rb_verify *v, struct rb_verify_report *r)
{
	u32 i, e;

	memset(r, 0, sizeof(*r));
	spin_lock(&v->lock);
	r->index = v->index;
	r->term = v->term;
	r->state = v->state;
	r->collector = v->collector;
	r->extent_bytes = v->extent_bytes;
	r->n_extents = v->n_extents;
	r->hashed = atomic_read(&v->n_done);
	if (v->index)
		r->elapsed_ms = jiffies_to_msecs((v->state ==
			RAFTBLK_VERIFY_STATE_RUNNING ? jiffies : v->done_at) -
			v->begun);
	r->n_nodes = v->n_nodes;
	for (i = 0; i < v->n_nodes; i++) {
		const struct rb_verify_node *d = &v->nodes[i];
		struct rb_verify_node_report *o = &r->nodes[i];

		o->id = d->id;
		o->state = d->state;
		o->n_differ = d->n_differ;
		if (!d->differ)
			continue;
		for_each_set_bit(e, d->differ, v->n_extents) {
			if (o->n_list == RB_VERIFY_LIST_MAX)
				break;
			o->list[o->n_list++] = e;
		}
	}
	spin_unlock(&v->lock);
}

void rb_verify_summary(struct rb_verify *v, struct rb_verify_summary *s)
{
	u32 i;

	memset(s, 0, sizeof(*s));
	spin_lock(&v->lock);
	s->index = v->index;
	s->term = v->term;
	s->state = v->state;
	s->collector = v->collector;
	s->extents = v->n_extents;
	s->hashed = atomic_read(&v->n_done);
	for (i = 0; i < v->n_nodes; i++)
		s->differing += v->nodes[i].n_differ;
	if (v->index)
		s->elapsed_ms = jiffies_to_msecs((v->state ==
			RAFTBLK_VERIFY_STATE_RUNNING ? jiffies : v->done_at) -
			v->begun);
	spin_unlock(&v->lock);
}

unsigned long *rb_verify_differing(struct rb_verify *v, raft_id peer, u32 *n)
{
	struct rb_verify_node *d;
	unsigned long *map;
	u32 cnt;

	/* allocated before the lock; the size is re-checked under it */
	cnt = READ_ONCE(v->n_extents);
	map = bitmap_zalloc(cnt ?: 1, GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	spin_lock(&v->lock);
	d = v->collector ? vf_node(v, peer) : NULL;
	if (!d || !d->differ || v->n_extents != cnt) {
		spin_unlock(&v->lock);
		bitmap_free(map);
		return ERR_PTR(-ENOENT);
	}
	bitmap_copy(map, d->differ, cnt);
	spin_unlock(&v->lock);
	*n = cnt;
	return map;
}
