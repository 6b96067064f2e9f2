// SPDX-License-Identifier: GPL-2.0
/*
 * resync.c - the leader's sender and the follower's receiver of a copy of
 * the data area (see resync.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "resync.h"
#include "extent_map.h"
#include "log_store.h"
#include "payload.h"
#include "transport.h"
#include "wire.h"

#define RS_CHUNK		(1U << 20)	/* bytes per copy frame */
/*
 * The unit of a leader's record of the blocks written after a copy's S
 * that the log no longer holds (struct rs_track): a delta copy after a
 * copy that the log ring or the memory budget overtook sends those
 * blocks, not whole extents of the extent map.
 */
#define RS_BLOCK		4096U
/* The largest such record: a data area of 1 TiB (beyond: extents). */
#define RS_TRACK_MAX		(32U << 20)
#define RS_INFLIGHT		8	/* chunks queued per peer, idle */
#define RS_INFLIGHT_BUSY	2	/* ... while application writes wait */
/*
 * Chunks a copy reads ahead of what it queued to the transport (reading
 * or read, not yet sent): the reads and their checksums run on the
 * resync's workqueue, never on the node thread, which only hands read
 * chunks to the transport in order.
 */
#define RS_READ_AHEAD		32
/*
 * ... and at most this many bytes: 4 chunks of a copy by extents; many
 * more of a delta of blocks, whose chunks are mostly one block long
 * (then many frames wait in the peer's queue too: RS_BLOCK_FRAMES).
 */
#define RS_READ_AHEAD_BYTES	(4 * RS_CHUNK)
#define RS_BLOCK_FRAMES		16
/*
 * Receiver: chunk writes to the data area in flight (each waits for the
 * oldest once that many are; the install waits for all).
 */
#define RS_RECV_INFLIGHT	32
#define RS_SILENT_TIMEOUTS	10	/* election timeouts without a frame,
					 * or without the install's ack
					 */
/* The most ticks one gap between two ticks counts for (a stall: less). */
#define RS_TICK_GAP_MAX		4
/*
 * Pacing at a set rate: a token bucket per copy, refilled at the rate,
 * holding at most RS_BURST bytes; a chunk goes while the bucket is not
 * empty (it may go into debt by one chunk), so over any span T the copy
 * sends at most rate * T + RS_BURST + RS_CHUNK bytes.
 */
#define RS_BURST		RS_CHUNK
/*
 * The dynamic default (rate 0) while application writes wait, as DRBD's
 * c-min-rate: a copy is paced at RS_BUSY_RATE, leaving the leader's time
 * to the application, or at twice the pace the log ring fills now (over
 * windows of RS_RING_WINDOW_MS), if that is more, so the copy outruns
 * the writer. The copy no longer has to end before the log is compacted
 * past its S: its follower then gets the blocks written meanwhile
 * (rb_resync_compacting()), fewer each round as long as the copy outruns
 * the writer. (It used to race the ring: twice the rate that ended it
 * before the log grew by the room left, which on a small ring under a
 * random writer meant no pace at all, and the application kept 0.41 of
 * its IOPS.) Writes count as waiting for RS_BUSY_HOLD_MS after they were
 * last seen waiting: an application writing one request at a time has
 * none waiting between a completion and its next write, and a copy let
 * go in each such gap is not paced at all.
 */
#define RS_BUSY_RATE		(8ULL << 20)
#define RS_BUSY_HOLD_MS		500
#define RS_RING_WINDOW_MS	500
/* The rate status reports is measured over the last 1 to 2 windows. */
#define RS_RATE_WINDOW_MS	1000

/*
 * One chunk read for a sender, on the resync's workqueue. Owned by its
 * copy's rd[] slot until finished; a copy that stops drops its slots: a
 * read still running is marked orphan and frees itself when it ends.
 */
struct rs_read {
	struct work_struct work;
	struct rb_resync *rs;
	u64 off;
	u32 len;
	/* set by the work under rs->rlock, with finished */
	struct raft_payload *p;	/* the chunk, checksummed (NULL on error) */
	int err;
	bool finished;
	bool orphan;		/* set by the node thread under rs->rlock */
};

/* One copy, sent or received. */
struct rs_copy {
	bool used;		/* holds a copy (active or finished) */
	bool active;
	bool ok;		/* finished well */
	bool marked;		/* receiver: resyncing mark written */
	bool read_end;		/* sender: every chunk's read started */
	/*
	 * Sender: DONE queued. The copy ends when the follower acknowledges
	 * S (its install is durable), seen in the core's progress
	 * (rb_resync_leader_status()), or fails RS_SILENT_TIMEOUTS election
	 * timeouts (quiet_ms, rb_resync_tick()) after its frames last were in
	 * the send queue without it.
	 */
	bool wait_ack;
	/*
	 * Sender: the transport refuses the next frame (its queue full, or
	 * the bulk connection down, which a copy's frames wait for): the
	 * copy fails after RS_SILENT_TIMEOUTS election timeouts of it
	 * (stuck_ms).
	 */
	bool stuck;
	u32 stuck_ms;
	/*
	 * Milliseconds since the last copy frame (receiver), or since the
	 * DONE's frames left the send queue (sender, wait_ack), counted by
	 * rb_resync_tick(): a gap between two ticks counts at most
	 * RS_TICK_GAP_MAX ticks, so a node thread that stalled does not take
	 * its stall for the peer's silence, and steps the frames that came
	 * meanwhile before it judges again.
	 */
	u32 quiet_ms;
	/*
	 * Sender, finished well: the leader still keeps its log from S
	 * until the follower's match reaches hold_to (its last index when
	 * first asked after the copy), so it can replay from S.
	 */
	bool hold;
	raft_index hold_to;
	/*
	 * Sender: extents to copy besides those written after A (a repair,
	 * rb_resync_want()), NULL if none; rs->want[] owns the bitmap.
	 */
	const unsigned long *want;
	/*
	 * Sender: the blocks (RS_BLOCK) to copy instead of the extents
	 * written after A, when a record of the blocks written after A
	 * covers everything up to S (struct rs_track), NULL if none; owned
	 * by the copy.
	 */
	unsigned long *blocks;
	raft_id peer;
	u64 id;			/* the sender's random copy id */
	struct raft_snapshot_meta snap;	/* S, its term (and conf: receiver) */
	raft_index base;	/* A */
	raft_term term;		/* term of the SNAPSHOT message (receiver:
				 * from the first copy frame)
				 */
	u64 seq;		/* next chunk number (sender: to send) */
	u64 rseq;		/* sender: next chunk number to read */
	u64 pos;		/* sender: next byte offset to read */
	/* sender: chunks seq..rseq-1, being read or read, k at rd[k % AHEAD] */
	struct rs_read *rd[RS_READ_AHEAD];
	u64 ra_bytes;		/* sender: bytes of those chunks */
	u64 done, total;	/* bytes */
	unsigned long start, end;	/* jiffies */
	/* sender: token bucket of the set rate (bytes, may be negative) */
	s64 tokens;
	unsigned long refill_at;	/* jiffies */
	/*
	 * sender: the rate it is paced at now (bytes/s: the set rate, or the
	 * dynamic default's while writes wait; 0: no byte budget), for status
	 */
	u64 pace;
	/* two marks (jiffies, done) at least a window apart: the rate */
	unsigned long mark_at[2];
	u64 mark_done[2];
};

struct rb_resync {
	struct rb_store *store;
	struct block_device *bdev;
	struct rb_transport *tp;
	raft_id self;
	const char *name;
	u64 data_size;
	u64 rate;		/* bytes/s, 0 = dynamic */
	/* the senders' chunk reads (rs_read_work()) */
	struct workqueue_struct *wq;
	/* wakes the node thread when a read finished */
	rb_resync_kick_fn kick;
	void *kick_arg;
	/*
	 * rlock protects the handover of a struct rs_read between its work
	 * and the node thread (finished, orphan, p, err).
	 */
	spinlock_t rlock;
	/*
	 * lock protects the copies' fields read by rb_resync_get() against
	 * the node thread's updates (held briefly, never while sleeping).
	 */
	spinlock_t lock;
	struct rs_copy send[RAFT_MAX_NODES];
	struct rs_copy recv;
	/*
	 * Leader: followers whose SNAPSHOT could not go (no bulk
	 * connection), reported failed to the core at the next pump.
	 */
	raft_id unsent[RAFT_MAX_NODES];
	u32 n_unsent;
	/*
	 * Leader: extents a repair asked to copy to a follower (bitmaps of
	 * the extent map's extents), until a copy to it that includes them
	 * ends well (node thread only).
	 */
	struct {
		raft_id peer;
		unsigned long *map;
	} want[RAFT_MAX_NODES];
	/*
	 * Leader: per follower whose copy the log's compaction overtook (it
	 * went past the copy's S before the follower caught up), the blocks
	 * written at indexes in (from, to] that the log no longer holds
	 * (rb_resync_compacting()): the follower's next copy, a delta with
	 * base from (its S), sends those blocks and is right for any S' <=
	 * to. Node thread only.
	 */
	struct rs_track {
		raft_id peer;
		raft_index from, to;
		unsigned long *bits;	/* NULL: slot unused */
	} track[RAFT_MAX_NODES];
	/*
	 * Leader: how fast the log ring fills (rs_ring_sample(), node
	 * thread only): its head at ring_at (jiffies, 0: no sample), and
	 * the rate in bytes/s (up at once, down by half per window).
	 */
	u64 ring_head;
	unsigned long ring_at;
	u64 ring_rate;
	/*
	 * Leader: application writes count as waiting until then (jiffies,
	 * RS_BUSY_HOLD_MS after they were last seen waiting; node thread)
	 */
	unsigned long busy_until;
	/* jiffies of the last rb_resync_tick() (0: none; node thread) */
	unsigned long tick_at;
	/*
	 * Receiver: the chunk writes in flight, oldest at pend_head (node
	 * thread only): rs_chunk() submits each and waits for the oldest
	 * when RS_RECV_INFLIGHT are; the install, an abort, the next copy
	 * and the teardown wait for all (rs_recv_wait()). A copy's chunks
	 * never overlap, so their order on the disk does not matter.
	 */
	struct rs_pending {
		struct rb_resync *rs;
		struct raft_payload *p;	/* a reference the writes hold */
		blk_status_t status;	/* set by rs_recv_end_io() ... */
		bool done;		/* ... before this (release) */
	} pend[RS_RECV_INFLIGHT];
	u32 pend_head, pend_n;
	/* woken by rs_recv_end_io(); its caller is inside an RCU section */
	wait_queue_head_t recv_wq;
	/* Scratch for the transport's peer list (node thread only). */
	struct rb_transport_peer_info *pi;
	/*
	 * Scratch for a frame being sent: a copy's, or an ABORT (node thread
	 * only; not on its stack).
	 */
	struct raft_msg msg;
};

int rb_resync_create(struct rb_store *store, struct block_device *bdev,
		     raft_id self, const char *name, rb_resync_kick_fn kick,
		     void *kick_arg, struct rb_resync **out)
{
	struct rb_resync *rs = kzalloc(sizeof(*rs), GFP_KERNEL);

	if (!rs)
		return -ENOMEM;
	rs->pi = kcalloc(RAFT_MAX_NODES, sizeof(*rs->pi), GFP_KERNEL);
	/* Unbound: the reads of several copies go on at once. */
	rs->wq = alloc_workqueue("%s_resync", WQ_UNBOUND,
				 RS_READ_AHEAD, name);
	if (!rs->pi || !rs->wq) {
		if (rs->wq)
			destroy_workqueue(rs->wq);
		kfree(rs->pi);
		kfree(rs);
		return -ENOMEM;
	}
	rs->kick = kick;
	rs->kick_arg = kick_arg;
	spin_lock_init(&rs->rlock);
	rs->store = store;
	rs->bdev = bdev;
	rs->self = self;
	rs->name = name;
	rs->data_size = (u64)rb_store_data_sectors(store) << SECTOR_SHIFT;
	spin_lock_init(&rs->lock);
	init_waitqueue_head(&rs->recv_wq);
	*out = rs;
	return 0;
}

static void rs_drop_reads(struct rb_resync *rs, struct rs_copy *c);
static void rs_track_drop_all(struct rb_resync *rs);
static int rs_recv_wait(struct rb_resync *rs);

void rb_resync_destroy(struct rb_resync *rs)
{
	u32 i;

	if (!rs)
		return;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		rs_drop_reads(rs, &rs->send[i]);
		kvfree(rs->send[i].blocks);
		bitmap_free(rs->want[i].map);
	}
	rs_track_drop_all(rs);
	rs_recv_wait(rs);
	synchronize_rcu();	/* rs_recv_end_io() calls are done with rs */
	/* Waits for the reads in flight: each frees itself (orphan). */
	destroy_workqueue(rs->wq);
	kfree(rs->pi);
	kfree(rs);
}

void rb_resync_set_transport(struct rb_resync *rs, struct rb_transport *tp)
{
	rs->tp = tp;
}

void rb_resync_set_rate(struct rb_resync *rs, u64 rate)
{
	WRITE_ONCE(rs->rate, rate);
}

u64 rb_resync_rate(struct rb_resync *rs)
{
	return READ_ONCE(rs->rate);
}

static u64 rs_ms(unsigned long from, unsigned long to)
{
	return jiffies_to_msecs(to - from) ?: 1;
}

/* A copy starts now (under rs->lock). */
static void rs_start(struct rs_copy *c)
{
	c->start = jiffies;
	c->refill_at = c->start;
	c->tokens = RS_BURST;
	c->mark_at[0] = c->start;
	c->mark_at[1] = c->start;
}

/* c->done moved (under rs->lock): roll the rate's marks once a window. */
static void rs_mark(struct rs_copy *c)
{
	if (time_before(jiffies, c->mark_at[1] +
			msecs_to_jiffies(RS_RATE_WINDOW_MS)))
		return;
	c->mark_at[0] = c->mark_at[1];
	c->mark_done[0] = c->mark_done[1];
	c->mark_at[1] = jiffies;
	c->mark_done[1] = c->done;
}

/* May c send a chunk at rate (bytes/s, 0 = no byte budget)? */
static bool rs_paced(struct rs_copy *c, u64 rate)
{
	unsigned long now = jiffies;
	u64 ms = jiffies_to_msecs(now - c->refill_at);

	c->refill_at = now;
	if (!rate) {
		/* no debt carried into a rate set later */
		c->tokens = RS_BURST;
		return true;
	}
	if (ms >= 10000)	/* long idle (or no rate before): full */
		c->tokens = RS_BURST;
	else
		c->tokens = min_t(s64, c->tokens + div64_u64(rate * ms, 1000),
				  RS_BURST);
	return c->tokens > 0;
}

/* ------------------------------------------------------------------ */
/* Leader                                                             */

/* The repair's extents for peer, NULL if none. */
static unsigned long *rs_want_map(struct rb_resync *rs, raft_id peer)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (rs->want[i].map && rs->want[i].peer == peer)
			return rs->want[i].map;
	return NULL;
}

/* A copy with a repair's extents ended: they are done if it went well. */
static void rs_want_done(struct rb_resync *rs, struct rs_copy *c, bool ok)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES && ok; i++)
		if (rs->want[i].map == c->want) {
			bitmap_free(rs->want[i].map);
			rs->want[i].map = NULL;
		}
	c->want = NULL;
}

/* ---- the blocks a compaction took from a copy's follower ---- */

static u64 rs_nblocks(const struct rb_resync *rs)
{
	return DIV_ROUND_UP_ULL(rs->data_size, RS_BLOCK);
}

/* A zeroed bitmap of the data area's blocks, or NULL. */
static unsigned long *rs_blocks_alloc(struct rb_resync *rs)
{
	unsigned long *b;
	unsigned int noio;

	/* bitmap_set() takes an int; and at most RS_TRACK_MAX bytes */
	if (rs_nblocks(rs) > UINT_MAX ||
	    BITS_TO_LONGS(rs_nblocks(rs)) * sizeof(long) > RS_TRACK_MAX)
		return NULL;
	/* the node thread is on the device's write path: no I/O to reclaim */
	noio = memalloc_noio_save();
	b = kvcalloc(BITS_TO_LONGS(rs_nblocks(rs)), sizeof(long),
		     GFP_KERNEL | __GFP_NOWARN);
	memalloc_noio_restore(noio);
	return b;
}

static struct rs_track *rs_track_find(struct rb_resync *rs, raft_id peer)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (rs->track[i].bits && rs->track[i].peer == peer)
			return &rs->track[i];
	return NULL;
}

static void rs_track_drop(struct rs_track *t)
{
	kvfree(t->bits);
	t->bits = NULL;
}

static void rs_track_drop_all(struct rb_resync *rs)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		rs_track_drop(&rs->track[i]);
}

/* Set the blocks e writes (data, discard or zeroing) in bits. */
static void rs_blocks_mark(struct rb_resync *rs, unsigned long *bits,
			   const struct raft_entry *e)
{
	const struct raft_payload *p = e->payload;
	u64 off, end, first, last;

	if (e->type != RAFT_ENTRY_NORMAL || !p || !p->len)
		return;
	off = (u64)p->sector << SECTOR_SHIFT;
	if (off >= rs->data_size)	/* the apply refuses it */
		return;
	end = min_t(u64, off + p->len, rs->data_size);
	first = div_u64(off, RS_BLOCK);
	last = div_u64(end - 1, RS_BLOCK);
	bitmap_set(bits, first, last - first + 1);
}

/*
 * Leader: record, for each copy whose S the compaction to index passes,
 * the blocks the entries it drops write; the record of a follower goes
 * on at every compaction until its next copy starts (the follower's base
 * stays S). The log must still hold every entry after S when the record
 * starts, and every entry up to index at each call; otherwise the record
 * is dropped and the next copy sends the extents written after its base.
 */
void rb_resync_compacting(struct rb_resync *rs, struct raft *r,
			  raft_index index)
{
	struct rs_track *t;
	raft_index i;
	u32 k, j;

	for (k = 0; k < RAFT_MAX_NODES; k++) {
		struct rs_copy *c = &rs->send[k];

		if (!c->used || (!c->active && !c->hold) ||
		    c->snap.index >= index)
			continue;
		t = rs_track_find(rs, c->peer);
		if (t && t->from == c->snap.index)
			continue;
		if (t)
			rs_track_drop(t);
		if (!raft_entry_at(r, c->snap.index + 1))
			continue;	/* already gone: nothing to build on */
		for (j = 0; j < RAFT_MAX_NODES && rs->track[j].bits; j++)
			;
		if (j == RAFT_MAX_NODES)
			continue;
		t = &rs->track[j];
		t->bits = rs_blocks_alloc(rs);
		if (!t->bits) {
			pr_warn_ratelimited("%s: no memory to record the blocks a compaction takes from node %llu's copy: its next copy sends whole extents\n",
					    rs->name,
					    (unsigned long long)c->peer);
			continue;
		}
		t->peer = c->peer;
		t->from = c->snap.index;
		t->to = c->snap.index;
	}
	for (k = 0; k < RAFT_MAX_NODES; k++) {
		t = &rs->track[k];
		for (i = t->to + 1; t->bits && i <= index; i++) {
			const struct raft_entry *e = raft_entry_at(r, i);

			if (!e)		/* a gap: the record would be wrong */
				rs_track_drop(t);
			else
				rs_blocks_mark(rs, t->bits, e);
		}
		if (t->bits && t->to < index)
			t->to = index;
	}
}

/*
 * The record of the blocks to copy to peer for a copy with base A and
 * snapshot index S, taken over by the copy, or NULL (the copy sends the
 * extents written after A). A record from F <= A up to T >= S holds
 * every block written in (A, S] that the log no longer has (a superset:
 * a block written after its copy was read is sent again, which is
 * right); what the log still has after S the follower replays. A record
 * that does not fit is dropped.
 */
static unsigned long *rs_track_take(struct rb_resync *rs, raft_id peer,
				    raft_index base, raft_index snap)
{
	struct rs_track *t = rs_track_find(rs, peer);
	unsigned long *bits;

	if (!t)
		return NULL;
	if (rs_want_map(rs, peer) || t->from > base || t->to < snap ||
	    (u64)bitmap_weight(t->bits, rs_nblocks(rs)) * RS_BLOCK >=
	    rb_emap_bytes_above(rb_store_emap(rs->store), base)) {
		/* or the extents are no more bytes: both are right */
		rs_track_drop(t);
		return NULL;
	}
	bits = t->bits;
	t->bits = NULL;
	return bits;
}

int rb_resync_want(struct rb_resync *rs, raft_id peer, unsigned long *map,
		   u32 n)
{
	unsigned long *cur = rs_want_map(rs, peer);
	u32 i;

	if (n != rb_emap_count(rb_store_emap(rs->store))) {
		bitmap_free(map);
		return -EINVAL;
	}
	if (cur) {
		/* a copy may be using it: add to it in place */
		bitmap_or(cur, cur, map, n);
		bitmap_free(map);
		return 0;
	}
	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (!rs->want[i].map) {
			rs->want[i].peer = peer;
			rs->want[i].map = map;
			return 0;
		}
	bitmap_free(map);
	return -ENOSPC;
}

int rb_resync_request(struct rb_resync *rs, raft_id peer, raft_term term,
		      raft_index index, u8 kind)
{
	struct raft_msg *m = &rs->msg;

	if (!rs->tp)
		return -ENOTCONN;
	memset(m, 0, sizeof(*m));
	m->type = RAFT_MSG_SNAPSHOT;
	m->flags = RB_WIRE_MSGF_COPY;
	m->from = rs->self;
	m->to = peer;
	m->term = term;
	m->hint_term = kind;
	m->snap.index = index;
	m->snap.term = term;
	return rb_transport_send(rs->tp, m);
}

u8 rb_resync_is_request(const struct raft_msg *m)
{
	if (m->type != RAFT_MSG_SNAPSHOT || !(m->flags & RB_WIRE_MSGF_COPY) ||
	    (m->hint_term != RB_WIRE_COPY_REQUEST &&
	     m->hint_term != RB_WIRE_COPY_READY))
		return 0;
	return m->hint_term;
}

bool rb_resync_wants(struct rb_resync *rs, raft_id peer)
{
	return rs_want_map(rs, peer);
}

bool rb_resync_receiving(struct rb_resync *rs)
{
	return rs->recv.active;
}

/* Bytes of the data area c copies: written after A, or asked for. */
static u64 rs_total(struct rb_resync *rs, const unsigned long *blocks,
		    const unsigned long *want, raft_index base)
{
	struct rb_emap *map = rb_store_emap(rs->store);
	u64 total, xb = rb_emap_extent_bytes(map), nb = rs_nblocks(rs);
	u32 n = rb_emap_count(map), e;

	if (blocks) {
		total = (u64)bitmap_weight(blocks, nb) * RS_BLOCK;
		/* the last block may be short */
		if (test_bit(nb - 1, blocks))
			total -= nb * RS_BLOCK - rs->data_size;
		return total;
	}
	total = rb_emap_bytes_above(map, base);
	if (!want)
		return total;
	for_each_set_bit(e, want, n)
		if (rb_emap_get(map, e) <= base)
			total += min(xb, rs->data_size - (u64)e * xb);
	return total;
}

static void rs_finish(struct rb_resync *rs, struct rs_copy *c, bool ok,
		      const char *why)
{
	u64 ms = rs_ms(c->start, jiffies);

	spin_lock(&rs->lock);
	c->active = false;
	c->ok = ok;
	c->end = jiffies;
	spin_unlock(&rs->lock);
	if (c != &rs->recv)
		rs_drop_reads(rs, c);
	if (c != &rs->recv && c->want)
		rs_want_done(rs, c, ok);
	kvfree(c->blocks);
	c->blocks = NULL;
	c->hold = ok && c != &rs->recv;
	c->hold_to = 0;
	if (ok)
		pr_info("%s: resync %s node %llu done: %s from index %llu at %llu, %llu bytes in %llu ms (%llu KiB/s)\n",
			rs->name, c == &rs->recv ? "from" : "of",
			(unsigned long long)c->peer,
			c->base ? "delta" : "full", (unsigned long long)c->base,
			(unsigned long long)c->snap.index,
			(unsigned long long)c->done, (unsigned long long)ms,
			(unsigned long long)(c->done * 1000 / ms >> 10));
	else
		pr_warn("%s: resync %s node %llu at index %llu stopped after %llu of %llu bytes: %s\n",
			rs->name, c == &rs->recv ? "from" : "of",
			(unsigned long long)c->peer,
			(unsigned long long)c->snap.index,
			(unsigned long long)c->done,
			(unsigned long long)c->total, why);
}

static struct rs_copy *rs_sender(struct rb_resync *rs, raft_id peer,
				 bool alloc)
{
	struct rs_copy *free = NULL;
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		if (rs->send[i].used && rs->send[i].peer == peer)
			return &rs->send[i];
		if (!free && (!rs->send[i].used || !rs->send[i].active))
			free = &rs->send[i];
	}
	return alloc ? free : NULL;
}

/* A SNAPSHOT of the core, that starts a copy? */
bool rb_resync_starts_copy(const struct raft_msg *m)
{
	return m->type == RAFT_MSG_SNAPSHOT && m->snap.index &&
	       !(m->flags & RB_WIRE_MSGF_COPY);
}

bool rb_resync_leader_acked(struct rb_resync *rs, const struct raft_msg *msgs,
			    u32 n)
{
	struct rs_copy *c;
	bool any = false;
	u32 i;

	for (i = 0; i < n; i++) {
		if (!rb_resync_starts_copy(&msgs[i]))
			continue;
		c = rs_sender(rs, msgs[i].to, false);
		if (c && c->active && c->wait_ack) {
			rs_finish(rs, c, true, NULL);
			any = true;
		}
	}
	return any;
}

void rb_resync_leader_msgs(struct rb_resync *rs, struct raft *r,
			   const struct raft_msg *msgs, u32 n)
{
	unsigned long *blocks, *want;
	struct rs_copy *c;
	u64 total;
	int ret;
	u32 i;

	for (i = 0; i < n; i++) {
		const struct raft_msg *m = &msgs[i];

		if (!rb_resync_starts_copy(m))
			continue;
		c = rs_sender(rs, m->to, true);
		if (!c)		/* cannot be: one per member */
			continue;
		/*
		 * The core sends a follower another snapshot only once it
		 * left the snapshot state of the last one: a copy waiting
		 * for its ack got it (the core sent the new one at once,
		 * the log having been compacted past S meanwhile), ended by
		 * rb_resync_leader_acked().
		 */
		if (c->used && c->active && c->peer == m->to)
			rs_finish(rs, c, c->wait_ack,
				  "a new snapshot replaces it");
		ret = rs->tp ? rb_transport_send(rs->tp, m) : -ENOTCONN;
		if (ret) {
			/*
			 * The SNAPSHOT did not go (-EAGAIN: the bulk
			 * connection is down, or not yet known to be the
			 * follower's current one): no copy to a node that
			 * never heard of it; the core tries again once told
			 * (at the next pump, after this batch).
			 */
			if (rs->n_unsent < RAFT_MAX_NODES)
				rs->unsent[rs->n_unsent++] = m->to;
			pr_info_ratelimited("%s: resync of node %llu waits for the bulk connection (%d)\n",
					    rs->name,
					    (unsigned long long)m->to, ret);
			continue;
		}
		blocks = rs_track_take(rs, m->to, m->commit, m->snap.index);
		want = rs_want_map(rs, m->to);
		/* a bitmap's weight: not under the spinlock */
		total = rs_total(rs, blocks, want, m->commit);
		kvfree(c->blocks);	/* none: a copy frees its own */
		spin_lock(&rs->lock);
		memset(c, 0, sizeof(*c));
		c->blocks = blocks;
		c->used = true;
		c->active = true;
		c->peer = m->to;
		c->id = get_random_u64() | 1;
		c->snap.index = m->snap.index;
		c->snap.term = m->snap.term;
		c->base = m->commit;
		c->term = m->term;
		c->want = want;
		c->total = total;
		rs_start(c);
		spin_unlock(&rs->lock);
		pr_info("%s: resync of node %llu: %s from index %llu%s, snapshot at %llu: %llu of %llu MiB to copy\n",
			rs->name, (unsigned long long)c->peer,
			c->base ? "delta" : "full", (unsigned long long)c->base,
			c->want ? " and the extents asked for" :
			c->blocks ? " (the blocks the log no longer has)" : "",
			(unsigned long long)c->snap.index,
			(unsigned long long)(c->total >> 20),
			(unsigned long long)(rs->data_size >> 20));
	}
}

/* The follower's match in st, or false if it is no member. */
static bool rs_match(const struct raft_status *st, raft_id peer,
		     raft_index *match)
{
	u32 i;

	for (i = 0; i < st->n_progress; i++)
		if (st->progress[i].id == peer) {
			*match = st->progress[i].match;
			return true;
		}
	return false;
}

raft_index rb_resync_keep_from(struct rb_resync *rs,
			       const struct raft_status *st)
{
	raft_index from = 0, match;
	u32 i;

	/*
	 * A record is dropped once its follower is no member, or has the
	 * entries it covers from the log (it replayed past them before the
	 * compaction, or caught up since): its next copy, if any, is a
	 * delta from a later base, which a record from S would overshoot.
	 */
	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (rs->track[i].bits &&
		    (!rs_match(st, rs->track[i].peer, &match) ||
		     match >= rs->track[i].to))
			rs_track_drop(&rs->track[i]);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct rs_copy *c = &rs->send[i];

		if (!c->used || (!c->active && !c->hold))
			continue;
		if (!c->active) {
			/* installed, replaying from S: until it caught up */
			if (!rs_match(st, c->peer, &match)) {
				c->hold = false;
				continue;
			}
			if (!c->hold_to)
				c->hold_to = st->last_index;
			if (match >= c->hold_to) {
				c->hold = false;
				continue;
			}
		}
		if (!from || c->snap.index < from)
			from = c->snap.index;
	}
	return from;
}

raft_index rb_resync_release(struct rb_resync *rs, raft_index index)
{
	raft_index from = 0;
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct rs_copy *c = &rs->send[i];

		if (!c->used || (!c->active && !c->hold) ||
		    c->snap.index >= index)
			continue;
		c->hold = false;
		if (!from || c->snap.index < from)
			from = c->snap.index;
	}
	return from;
}

void rb_resync_leader_status(struct rb_resync *rs,
			     const struct raft_status *st)
{
	const struct raft_progress_info *pi;
	u32 i, j;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct rs_copy *c = &rs->send[i];

		if (!c->used || !c->active || !c->wait_ack)
			continue;
		for (j = 0, pi = NULL; j < st->n_progress && !pi; j++)
			if (st->progress[j].id == c->peer)
				pi = &st->progress[j];
		if (!pi)
			rs_finish(rs, c, false, "the node is no member any more");
		else if (pi->state == RAFT_PROGRESS_SNAPSHOT &&
			 pi->pending_snap == c->snap.index)
			continue;	/* still installing */
		else if (pi->match >= c->snap.index)
			rs_finish(rs, c, true, NULL);	/* acknowledged */
		else
			rs_finish(rs, c, false, "the leader gave the copy up");
	}
}

void rb_resync_stop_senders(struct rb_resync *rs)
{
	u32 i;

	rs->n_unsent = 0;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		if (rs->send[i].used && rs->send[i].active)
			rs_finish(rs, &rs->send[i], false,
				  "this node is no longer the leader");
		rs->send[i].hold = false;	/* a follower keeps no log */
	}
	rs_track_drop_all(rs);
}

/* Frames waiting in the send queues to peer. */
static u32 rs_queued(struct rb_resync *rs, raft_id peer)
{
	int n, i;

	if (!rs->tp)		/* after net_exit: nothing is queued */
		return 0;
	n = min(rb_transport_peers(rs->tp, rs->pi, RAFT_MAX_NODES),
		RAFT_MAX_NODES);
	for (i = 0; i < n; i++)
		if (rs->pi[i].id == peer)
			return rs->pi[i].queued_frames;
	return 0;
}

/* Read len bytes of the data area at off into a new payload. */
static int rs_read(struct rb_resync *rs, u64 off, u32 len,
		   struct raft_payload **out)
{
	struct raft_payload *p = raftblk_payload_alloc(len);
	int ret;

	if (!p)
		return -ENOMEM;
	p->sector = off >> SECTOR_SHIFT;
	ret = rb_store_read_data(rs->store, off, p);
	if (ret) {
		raftblk_payload_put(p);
		return ret;
	}
	raftblk_payload_crc(p);
	*out = p;
	return 0;
}

/* The workqueue: one chunk read and checksummed, handed to its copy. */
static void rs_read_work(struct work_struct *work)
{
	struct rs_read *rd = container_of(work, struct rs_read, work);
	struct rb_resync *rs = rd->rs;
	struct raft_payload *p = NULL;
	bool orphan;
	int err;

	err = rs_read(rs, rd->off, rd->len, &p);
	spin_lock(&rs->rlock);
	orphan = rd->orphan;
	if (!orphan) {
		rd->p = p;
		rd->err = err;
		rd->finished = true;
	}
	spin_unlock(&rs->rlock);
	if (orphan) {
		/* its copy stopped: nobody else holds rd */
		if (p)
			raftblk_payload_put(p);
		kfree(rd);
		return;
	}
	/* rs outlives this work: rb_resync_destroy() drains the queue */
	rs->kick(rs->kick_arg);
}

/* Has rd finished (its p and err are then the node thread's)? */
static bool rs_read_finished(struct rb_resync *rs, struct rs_read *rd)
{
	bool fin;

	spin_lock(&rs->rlock);
	fin = rd->finished;
	spin_unlock(&rs->rlock);
	return fin;
}

static void rs_read_free(struct rs_read *rd)
{
	if (rd->p)
		raftblk_payload_put(rd->p);
	kfree(rd);
}

/* A sender stops: its reads are dropped, or orphaned while they run. */
static void rs_drop_reads(struct rb_resync *rs, struct rs_copy *c)
{
	struct rs_read *rd;
	bool fin;
	u32 i;

	for (i = 0; i < RS_READ_AHEAD; i++) {
		rd = c->rd[i];
		if (!rd)
			continue;
		c->rd[i] = NULL;
		spin_lock(&rs->rlock);
		fin = rd->finished;
		if (!fin)
			rd->orphan = true;
		spin_unlock(&rs->rlock);
		if (fin)
			rs_read_free(rd);
	}
	c->rseq = c->seq;
	c->ra_bytes = 0;
}

static void rs_frame(struct rb_resync *rs, const struct rs_copy *c, u8 kind,
		     struct raft_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = RAFT_MSG_SNAPSHOT;
	m->flags = RB_WIRE_MSGF_COPY;
	m->from = rs->self;
	m->to = c->peer;
	m->term = c->term;
	m->commit = c->base;
	m->hint_term = kind;
	m->hint_index = c->id;
	m->index = c->seq;
	m->context = kind == RB_WIRE_COPY_CHUNK ? c->total : c->done;
	m->snap.index = c->snap.index;
	m->snap.term = c->snap.term;
}

/* The next chunk of c: 0 with *off, *len, or 1 when the copy is done. */
static int rs_next(struct rb_resync *rs, struct rs_copy *c, u64 *off,
		   u32 *len)
{
	struct rb_emap *map = rb_store_emap(rs->store);
	u64 xb = rb_emap_extent_bytes(map), end;
	u32 e;

	if (c->pos >= rs->data_size)
		return 1;
	if (c->blocks) {
		/* a run of blocks from the record, at most a chunk */
		u64 nb = rs_nblocks(rs), b, z;

		b = find_next_bit(c->blocks, nb, div_u64(c->pos, RS_BLOCK));
		if (b >= nb) {
			c->pos = rs->data_size;
			return 1;
		}
		z = find_next_zero_bit(c->blocks,
				       min_t(u64, nb, b + RS_CHUNK / RS_BLOCK),
				       b);
		*off = b * RS_BLOCK;
		*len = min_t(u64, z * RS_BLOCK, rs->data_size) - *off;
		return 0;
	}
	if (!(c->pos & (xb - 1))) {
		/* an extent boundary: skip extents not written after A */
		e = rb_emap_next_above(map, div64_u64(c->pos, xb), c->base);
		if (c->want)	/* or one a repair asked for */
			e = min_t(u32, e, find_next_bit(c->want,
							rb_emap_count(map),
							div64_u64(c->pos, xb)));
		if (e >= rb_emap_count(map)) {
			c->pos = rs->data_size;
			return 1;
		}
		c->pos = (u64)e * xb;
	}
	end = min3(round_down(c->pos, xb) + xb, c->pos + RS_CHUNK,
		   rs->data_size);
	*off = c->pos;
	*len = end - c->pos;
	return 0;
}

/*
 * Start the reads of the next chunks of c, up to RS_READ_AHEAD ahead of
 * the next one to send. Each is read at or after this point, so after S
 * was applied: a fuzzy copy as before (design.rst). A read that cannot be
 * allocated is tried again on the next pump.
 */
static void rs_read_ahead(struct rb_resync *rs, struct rs_copy *c)
{
	struct rs_read *rd;
	u64 off;
	u32 len;

	while (c->active && !c->read_end &&
	       c->rseq - c->seq < RS_READ_AHEAD &&
	       c->ra_bytes < RS_READ_AHEAD_BYTES) {
		if (rs_next(rs, c, &off, &len)) {
			c->read_end = true;
			break;
		}
		rd = kzalloc(sizeof(*rd), GFP_NOIO);
		if (!rd)
			break;
		INIT_WORK(&rd->work, rs_read_work);
		rd->rs = rs;
		rd->off = off;
		rd->len = len;
		c->rd[c->rseq % RS_READ_AHEAD] = rd;
		c->rseq++;
		c->ra_bytes += len;
		c->pos = off + len;
		queue_work(rs->wq, &rd->work);
	}
}

/*
 * A frame of c the transport refused for now (its queue is full, or the
 * bulk connection is down: a copy's frames never take the control one),
 * to be sent again at the next pump: true. Any other result ends the
 * wait.
 */
static bool rs_later(struct rs_copy *c, int ret)
{
	if (ret != -ENOBUFS && ret != -EAGAIN) {
		c->stuck = false;
		c->stuck_ms = 0;
		return false;
	}
	c->stuck = true;
	return true;
}

/* Sample the log ring's head (node thread, while a copy runs). */
static void rs_ring_sample(struct rb_resync *rs)
{
	unsigned long now = jiffies;
	u64 head = rb_store_head(rs->store), ms, rate;

	if (!rs->ring_at || head < rs->ring_head) {
		rs->ring_at = now ?: 1;
		rs->ring_head = head;
		return;
	}
	ms = jiffies_to_msecs(now - rs->ring_at);
	if (ms < RS_RING_WINDOW_MS)
		return;
	rate = div64_u64((head - rs->ring_head) * 1000, ms);
	rs->ring_rate = max(rate, rs->ring_rate / 2);
	rs->ring_at = now ?: 1;
	rs->ring_head = head;
}

/* The byte budget of a copy at the dynamic default while writes wait. */
static u64 rs_busy_rate(struct rb_resync *rs)
{
	return max(2 * rs->ring_rate, RS_BUSY_RATE);
}

/* Queue the chunks of c that were read, in order, while the pacing allows. */
static void rs_send(struct rb_resync *rs, struct raft *r, struct rs_copy *c,
		    bool busy)
{
	u32 queued = rs_queued(rs, c->peer);
	u32 limit = busy ? RS_INFLIGHT_BUSY : RS_INFLIGHT;
	u64 rate = READ_ONCE(rs->rate);
	struct raft_msg *m = &rs->msg;
	struct raft_entry e;
	int ret;

	if (c->blocks) {
		/* as many bytes queued as chunks would be, frames of blocks */
		u64 avg = c->seq ? div64_u64(c->done, c->seq) : RS_CHUNK;

		limit *= min_t(u64, RS_BLOCK_FRAMES,
			       div64_u64(RS_CHUNK, max_t(u64, avg, RS_BLOCK)));
	}
	if (!rate && busy)
		rate = rs_busy_rate(rs);
	if (c->pace != rate) {
		spin_lock(&rs->lock);
		c->pace = rate;
		spin_unlock(&rs->lock);
	}
	rs_read_ahead(rs, c);
	while (c->active && !c->wait_ack && queued < limit) {
		struct rs_read *rd;
		u32 len;

		if (!rs_paced(c, rate))
			break;
		if (c->seq == c->rseq) {
			if (!c->read_end)	/* no read started: later */
				break;
			rs_frame(rs, c, RB_WIRE_COPY_DONE, m);
			ret = rb_transport_send(rs->tp, m);
			if (rs_later(c, ret))
				break;
			if (ret) {
				rs_finish(rs, c, false, "cannot send to the peer");
				raft_report_snapshot(r, c->peer, false);
				break;
			}
			/* ends when the follower has it */
			c->wait_ack = true;
			c->quiet_ms = 0;
			break;
		}
		rd = c->rd[c->seq % RS_READ_AHEAD];
		if (!rs_read_finished(rs, rd))
			break;		/* its work kicks the node thread */
		if (rd->err) {
			rs_finish(rs, c, false, "cannot read the data area");
			raft_report_snapshot(r, c->peer, false);
			break;
		}
		len = rd->len;
		rs_frame(rs, c, RB_WIRE_COPY_CHUNK, m);
		memset(&e, 0, sizeof(e));
		e.index = c->seq + 1;
		e.term = c->term;
		e.type = RAFT_ENTRY_NORMAL;
		e.payload = rd->p;
		m->n_entries = 1;
		m->entries = &e;
		ret = rb_transport_send(rs->tp, m);
		if (rs_later(c, ret))
			break;
		if (ret) {
			rs_finish(rs, c, false, "cannot send to the peer");
			raft_report_snapshot(r, c->peer, false);
			break;
		}
		c->rd[c->seq % RS_READ_AHEAD] = NULL;
		c->ra_bytes -= len;
		rs_read_free(rd);
		spin_lock(&rs->lock);
		c->seq++;
		c->done += len;
		c->tokens -= len;
		rs_mark(c);
		if (c->done > c->total)	/* extents written meanwhile */
			c->total = c->done;
		spin_unlock(&rs->lock);
		queued++;
		rs_read_ahead(rs, c);
	}
}

bool rb_resync_pump(struct rb_resync *rs, struct raft *r, bool writes_waiting)
{
	bool any = false;
	u32 i;

	for (i = 0; i < rs->n_unsent; i++)
		raft_report_snapshot(r, rs->unsent[i], false);
	any = rs->n_unsent;
	rs->n_unsent = 0;
	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (rs->send[i].used && rs->send[i].active)
			break;
	if (i == RAFT_MAX_NODES) {
		rs->ring_at = 0;	/* no copy: start afresh */
		rs->busy_until = 0;
		return any;
	}
	rs_ring_sample(rs);
	if (writes_waiting)
		rs->busy_until = jiffies + msecs_to_jiffies(RS_BUSY_HOLD_MS);
	else if (rs->busy_until && time_before(jiffies, rs->busy_until))
		writes_waiting = true;
	else
		rs->busy_until = 0;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		struct rs_copy *c = &rs->send[i];

		if (!c->used || !c->active)
			continue;
		if (!rs->tp) {
			rs_finish(rs, c, false, "no network");
			raft_report_snapshot(r, c->peer, false);
			continue;
		}
		rs_send(rs, r, c, writes_waiting);
		any |= c->active;
	}
	return any;
}

/* ------------------------------------------------------------------ */
/* Follower                                                           */

/*
 * A chunk's writes completed (any context). rs outlives the call: its
 * teardown waits for every chunk, then for an RCU grace period.
 */
static void rs_recv_end_io(struct bio *bio)
{
	struct rs_pending *pd = bio->bi_private;
	struct rb_resync *rs = pd->rs;

	pd->status = bio->bi_status;
	bio_put(bio);
	rcu_read_lock();
	/* Pairs with rs_recv_wait_one()'s acquire: status is seen set. */
	smp_store_release(&pd->done, true);
	wake_up(&rs->recv_wq);
	rcu_read_unlock();
}

/* Receiver: wait for the oldest chunk write in flight (one is). */
static int rs_recv_wait_one(struct rb_resync *rs)
{
	struct rs_pending *pd = &rs->pend[rs->pend_head];
	int ret;

	/* Pairs with rs_recv_end_io()'s release. */
	wait_event(rs->recv_wq, smp_load_acquire(&pd->done));
	ret = blk_status_to_errno(pd->status);
	raft_payload_put(pd->p);
	pd->p = NULL;
	rs->pend_head = (rs->pend_head + 1) % RS_RECV_INFLIGHT;
	rs->pend_n--;
	return ret;
}

/* Receiver: wait for every chunk write in flight; the first error. */
static int rs_recv_wait(struct rb_resync *rs)
{
	int ret = 0, err;

	while (rs->pend_n) {
		err = rs_recv_wait_one(rs);
		if (!ret)
			ret = err;
	}
	return ret;
}

static void rs_abort_recv(struct rb_resync *rs, struct raft *r,
			  const char *why)
{
	int ret;

	if (!rs->recv.active)
		return;
	/* its writes end before the log is reset (errors: given up anyway) */
	rs_recv_wait(rs);
	rs_finish(rs, &rs->recv, false, why);
	ret = raft_reset_log(r, rs->recv.base);
	if (ret)
		pr_err("%s: cannot reset the log after a broken resync: %d\n",
		       rs->name, ret);
}

void rb_resync_expect(struct rb_resync *rs, const struct raft_snapshot_meta *s,
		      raft_index base, raft_id leader)
{
	struct rs_copy *c = &rs->recv;

	rs_recv_wait(rs);	/* none: a copy that ends waits for its own */
	spin_lock(&rs->lock);
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->active = true;
	c->peer = leader;
	c->snap = *s;
	c->base = base;
	rs_start(c);
	spin_unlock(&rs->lock);
	pr_info("%s: resync from node %llu: %s from index %llu, snapshot at %llu: waiting for the copy\n",
		rs->name, (unsigned long long)leader, base ? "delta" : "full",
		(unsigned long long)base, (unsigned long long)s->index);
}

/* A chunk of the copy in progress: checked, then written. */
static int rs_chunk(struct rb_resync *rs, struct rs_copy *c,
		    struct raft_msg *m, const char **why)
{
	struct raft_payload *p = m->entries[0].payload;
	struct rs_pending *pd;
	struct raft_entry e;
	struct rb_apply a;
	u32 done;
	u64 off;
	int ret;

	if (!c->seq && !m->index)
		c->id = m->hint_index;	/* the first chunk names the copy */
	if (m->hint_index != c->id || m->index != c->seq) {
		*why = "chunk missing or out of order";
		return -EPROTO;
	}
	if (!p || !raftblk_payload_has_data(p) || p->flags ||
	    p->len > RS_CHUNK || !IS_ALIGNED(p->len, 4096)) {
		*why = "bad chunk size";
		return -EPROTO;
	}
	off = (u64)p->sector << SECTOR_SHIFT;
	if (!IS_ALIGNED(off, 4096) || off >= rs->data_size ||
	    p->len > rs->data_size - off) {
		*why = "chunk outside the data area";
		return -EPROTO;
	}
	if (!c->marked) {
		/* Durable before the first copied byte lands. */
		ret = rb_store_set_resyncing(rs->store, c->base);
		if (ret) {
			*why = "cannot write the resyncing mark";
			return ret;
		}
		c->marked = true;
	}
	if (rs->pend_n == RS_RECV_INFLIGHT) {
		ret = rs_recv_wait_one(rs);
		if (ret) {
			*why = "cannot write the data area";
			return ret;
		}
	}
	memset(&e, 0, sizeof(e));
	e.index = c->snap.index;	/* notes the extent map at S */
	e.term = c->snap.term;
	e.type = RAFT_ENTRY_NORMAL;
	e.payload = p;
	pd = &rs->pend[(rs->pend_head + rs->pend_n) % RS_RECV_INFLIGHT];
	memset(&a, 0, sizeof(a));
	ret = rb_store_apply_begin(rs->store, &e, 1, &a);
	if (!ret) {
		pd->rs = rs;
		pd->p = p;
		pd->done = false;
		raft_payload_get(p);	/* the writes' pages */
		if (rb_store_apply_submit(&a, rs_recv_end_io, pd)) {
			rs->pend_n++;
		} else {		/* no write (cannot be for data) */
			raft_payload_put(p);
			pd->p = NULL;
			ret = rb_store_apply_end(&a, &done);
		}
	} else {
		rb_store_apply_end(&a, &done);	/* waits for what it started */
	}
	if (ret) {
		*why = "cannot write the data area";
		return ret;
	}
	spin_lock(&rs->lock);
	c->seq++;
	c->done += p->len;
	c->total = max(m->context, c->done);
	c->quiet_ms = 0;
	rs_mark(c);
	spin_unlock(&rs->lock);
	return 0;
}

/* The end of the copy: install the snapshot and report it. */
static int rs_done(struct rb_resync *rs, struct raft *r, struct rs_copy *c,
		   struct raft_msg *m, const char **why)
{
	struct raft_advance adv = {};
	int ret;

	if ((c->seq && m->hint_index != c->id) || m->index != c->seq ||
	    m->context != c->done) {
		*why = "the copy ends with chunks missing";
		return -EPROTO;
	}
	ret = rs_recv_wait(rs);
	if (ret) {
		*why = "cannot write the data area";
		return ret;
	}
	/* Flushes the chunks, writes the map, then the superblock at S. */
	ret = rb_store_install_snapshot(rs->store, &c->snap);
	if (ret) {
		*why = "cannot install the snapshot";
		return ret;
	}
	adv.snap_installed = true;
	raft_advance(r, &adv);
	rs_finish(rs, c, true, NULL);
	return 0;
}

/*
 * The receiver: tell the sender of copy frame m that this node dropped
 * (or never had) its copy, so that it stops sending to nobody and its
 * core starts again at once (the frames of a copy already given up are
 * answered too: at most the few queued when the sender hears it).
 */
static void rs_nak(struct rb_resync *rs, const struct raft_msg *m)
{
	struct raft_msg *a = &rs->msg;

	if (!rs->tp)
		return;
	memset(a, 0, sizeof(*a));
	a->type = RAFT_MSG_SNAPSHOT;
	a->flags = RB_WIRE_MSGF_COPY;
	a->from = rs->self;
	a->to = m->from;
	a->term = m->term;
	a->commit = m->commit;
	a->hint_term = RB_WIRE_COPY_ABORT;
	a->hint_index = m->hint_index;
	a->index = m->index;
	a->snap.index = m->snap.index;
	a->snap.term = m->snap.term;
	rb_transport_send(rs->tp, a);	/* lost: the timeouts still hold */
}

/* The sender: the follower dropped the copy that m names. */
static void rs_nakked(struct rb_resync *rs, struct raft *r,
		      const struct raft_msg *m)
{
	struct rs_copy *c = rs_sender(rs, m->from, false);

	if (!c || !c->active || c->id != m->hint_index ||
	    c->snap.index != m->snap.index)
		return;		/* of an earlier copy */
	rs_finish(rs, c, false, "the node dropped the copy");
	raft_report_snapshot(r, c->peer, false);
}

bool rb_resync_intercept(struct rb_resync *rs, struct raft *r,
			 struct raft_msg *m, raft_index *installed)
{
	struct rs_copy *c = &rs->recv;
	const char *why = NULL;
	int ret;

	if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT) {
		/*
		 * A leader of a later term than the copy's: the sender
		 * stepped down and stopped its copy, and the core, busy
		 * installing, does not answer this leader. Give the copy up
		 * now, so that the core asks the new leader for a resync
		 * (an older leader's messages change nothing).
		 */
		if (c->active && c->term && m->term > c->term)
			rs_abort_recv(rs, r, "a new leader was elected");
		return false;
	}
	if (m->type != RAFT_MSG_SNAPSHOT)
		return false;
	if (!(m->flags & RB_WIRE_MSGF_COPY)) {
		/* a new copy from another leader, or of another index */
		if (c->active && (m->from != c->peer ||
				  m->snap.index != c->snap.index))
			rs_abort_recv(rs, r, "a new snapshot replaces it");
		return false;
	}
	if (m->hint_term == RB_WIRE_COPY_ABORT) {
		rs_nakked(rs, r, m);
		goto out;
	}
	if (!c->active || m->from != c->peer ||
	    m->snap.index != c->snap.index || m->snap.term != c->snap.term ||
	    m->commit != c->base) {
		rs_nak(rs, m);	/* of no copy in progress here */
		goto out;
	}
	if (!c->term)
		c->term = m->term;	/* the sender's term, as it leads */
	if (m->hint_term == RB_WIRE_COPY_CHUNK)
		ret = rs_chunk(rs, c, m, &why);
	else
		ret = rs_done(rs, r, c, m, &why);
	if (ret) {
		rs_abort_recv(rs, r, why);
		rs_nak(rs, m);
	} else if (!c->active)
		*installed = c->snap.index;
out:
	raft_msg_free(m);
	return true;
}

void rb_resync_tick(struct rb_resync *rs, struct raft *r, u32 election_ms,
		    u32 tick_ms)
{
	u32 silent = RS_SILENT_TIMEOUTS * election_ms, gap = tick_ms;
	struct rs_copy *c = &rs->recv;
	unsigned long now = jiffies;
	u32 i;

	/* A late tick counts as late; a stall, as a few ticks at most. */
	if (rs->tick_at)
		gap = min(jiffies_to_msecs(now - rs->tick_at),
			  RS_TICK_GAP_MAX * tick_ms);
	rs->tick_at = now ?: 1;
	if (c->active) {
		c->quiet_ms += gap;
		if (c->quiet_ms > silent)
			rs_abort_recv(rs, r, "no copy frame for several election timeouts");
	}
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		c = &rs->send[i];
		if (!c->used || !c->active)
			continue;
		if (!c->wait_ack && c->stuck) {
			c->stuck_ms += gap;
			if (c->stuck_ms > silent) {
				rs_finish(rs, c, false, "the transport took no frame for several election timeouts");
				raft_report_snapshot(r, c->peer, false);
				continue;
			}
		}
		if (!c->wait_ack)
			continue;
		/*
		 * The wait starts when the copy's last frames have left the
		 * send queue: on a slow link they took longer than the wait
		 * to drain, and a copy the node was installing failed.
		 */
		if (rs_queued(rs, c->peer)) {
			c->quiet_ms = 0;
			continue;
		}
		c->quiet_ms += gap;
		if (c->quiet_ms <= silent)
			continue;
		/* the DONE or the ack got lost: the core starts again */
		rs_finish(rs, c, false, "the node did not acknowledge the install");
		raft_report_snapshot(r, c->peer, false);
	}
}

int rb_resync_on_open(struct rb_resync *rs, struct raft *r)
{
	raft_index base;
	int ret;

	if (!rb_store_resyncing(rs->store, &base))
		return 0;
	ret = raft_reset_log(r, base);
	if (ret)
		pr_err("%s: cannot reset the log of a node found resyncing: %d\n",
		       rs->name, ret);
	else
		pr_info("%s: the data area is incomplete (resyncing mark): waiting for a copy from the leader (base %llu)\n",
			rs->name, (unsigned long long)base);
	return ret ? -EINVAL : 0;
}

/* ------------------------------------------------------------------ */
/* Status                                                             */

static void rs_info(const struct rs_copy *c, bool sending,
		    struct rb_resync_info *o)
{
	u64 ms = rs_ms(c->start, c->active ? jiffies : c->end);

	memset(o, 0, sizeof(*o));
	o->peer = c->peer;
	o->sending = sending;
	o->active = c->active;
	o->ok = c->ok;
	o->full = !c->base;
	o->index = c->snap.index;
	o->base = c->base;
	o->done = c->done;
	o->total = max(c->total, c->done);
	if (c->active)	/* recent: since the older mark */
		o->rate = div64_u64((c->done - c->mark_done[0]) * 1000,
				    rs_ms(c->mark_at[0], jiffies));
	else		/* the whole copy */
		o->rate = div64_u64(c->done * 1000, ms);
	if (c->active && o->rate)
		o->eta_s = div64_u64(o->total - o->done, o->rate);
	o->pace = c->active ? c->pace : 0;
}

u32 rb_resync_get(struct rb_resync *rs, struct rb_resync_info *out, u32 max)
{
	u32 i, n = 0;

	if (!rs)
		return 0;
	spin_lock(&rs->lock);
	for (i = 0; i < RAFT_MAX_NODES && n < max; i++)
		if (rs->send[i].used)
			rs_info(&rs->send[i], true, &out[n++]);
	if (rs->recv.used && n < max)
		rs_info(&rs->recv, false, &out[n++]);
	spin_unlock(&rs->lock);
	return n;
}
