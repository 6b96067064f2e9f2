// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node driver's thread, its core's ready/advance, and the
 * node's start and stop.
 *
 * One kernel thread per replicated device ("raftblkN") owns the Raft
 * core. Everything else only queues work for it:
 *
 *   blk-mq queue_rq      -> writes / reads lists (in_lock, node_io.c)
 *   transport deliver    -> msgs list (in_lock, node_peers.c)
 *   netlink (peer add..) -> calls into the core under the node mutex
 *                           (node_admin.c)
 *   netlink (status)     -> reads the published snapshot (pub_spin,
 *                           node_status.c)
 *
 * The thread loops: tick the core when a tick is due, step received
 * messages, propose queued writes as one batch, start a read barrier for
 * queued reads, then carry out every ready batch: send its messages
 * (before the local write, so followers write in parallel with the
 * leader), make its hard state and entries durable in the log store,
 * submit the data-area writes of committed entries (without waiting for
 * them: their completion wakes the thread, and a later batch reports them
 * applied), and advance. Writes complete once their entry is committed
 * (durable in a majority of logs), as soon as the batch that hands it out
 * committed begins, before the data area write; reads are submitted to
 * the data area once a read state covers them and it is applied up to
 * the read's barrier.
 *
 * After each ready batch the thread publishes the node's status (struct
 * raftblk_node_status, node_status.c). A discard or write-zeroes entry
 * is zeroed in the background (up to 1 GiB: seconds): the thread goes on
 * ticking and exchanging messages, and the entries after it are applied
 * once it completed. This file also compacts the log. Failed writes of
 * the backing disk are counted and acted on by node_disk.c.
 *
 * The node's files share struct raftblk_node through node_int.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "node_int.h"

static bool raftblk_node_handle_ready(struct raftblk_node *n);
static void raftblk_node_apply_drain(struct raftblk_node *n);

static void raftblk_node_step_msgs(struct raftblk_node *n, struct list_head *msgs)
{
	struct raftblk_node_msg *nm, *tmp;
	raft_index installed = 0;
	bool snap;

	list_for_each_entry_safe(nm, tmp, msgs, list) {
		raft_id from = nm->m.from;

		list_del(&nm->list);
		snap = nm->m.type == RAFT_MSG_SNAPSHOT;
		/*
		 * A copy's data goes after the data writes and the zeroing
		 * in flight: a SNAPSHOT starts a copy, a REQUEST resets the
		 * log to the applied index to ask for one. The other copy
		 * frames do not wait (chunks come after their SNAPSHOT; the
		 * leader's ABORT, READY, reports and verify frames would
		 * make it wait for its own data writes).
		 */
		if (snap && (!(nm->m.flags & RB_WIRE_MSGF_COPY) ||
			     rb_resync_is_request(&nm->m) ==
			     RB_WIRE_COPY_REQUEST))
			raftblk_node_apply_drain(n);
		/*
		 * Promote frames (node_promote.c), snapshot reports
		 * (node_snaprep.c), verify and repair frames
		 * (verify.c, node_verify.c) and the copy frames of a resync
		 * (resync.c) are the node's.
		 */
		if (raftblk_node_promote_recv(n, &nm->m) ||
		    raftblk_node_snaprep_recv(n, &nm->m) ||
		    rb_verify_intercept(n->vf, &nm->m) ||
		    raftblk_node_resync_requested(n, &nm->m))
			snap = false;
		else if (!rb_resync_intercept(n->rs, n->raft, &nm->m,
					      &installed))
			/* raft_step consumes the message, valid or not. */
			raft_step(n->raft, &nm->m);
		else
			snap = false;
		if (installed) {
			/* Pairs with smp_rmb() in raftblk_node_read_direct(). */
			smp_wmb();
			WRITE_ONCE(n->applied, installed);
			n->compacted = installed;
			n->copy_index = installed;
			installed = 0;
		}
		/* The transport reads again (n->tp cleared before destroy). */
		if (n->tp)
			rb_transport_rx_done(n->tp, from, nm->charge);
		kfree(nm);
		/* Expect the copy before its first chunk is stepped. */
		while (snap && raftblk_node_handle_ready(n))
			;
	}
}

/*
 * Messages to a node that takes no part any more: dropped, their share
 * of the transport's receive budget given back (or the transport stops
 * reading from that peer once the budget is spent).
 */
static void raftblk_node_drop_msgs(struct raftblk_node *n,
				   struct list_head *msgs)
{
	struct raftblk_node_msg *nm, *tmp;

	list_for_each_entry_safe(nm, tmp, msgs, list) {
		list_del(&nm->list);
		if (n->tp)
			rb_transport_rx_done(n->tp, nm->m.from, nm->charge);
		raft_msg_free(&nm->m);
		kfree(nm);
	}
}

static void raftblk_node_role_changed(struct raftblk_node *n, u8 role)
{
	if (role == n->role)
		return;
	if (role == RAFT_LEADER)
		n->elections++;
	/* A peer's messages can flip the role repeatedly: rate-limited. */
	pr_info_ratelimited("%s: node %u is now %s\n", n->dev->name, n->id,
			    raft_role_name(role));
	WRITE_ONCE(n->role, role);
	WRITE_ONCE(n->warned_follower, false);
	if (role != RAFT_LEADER) {
		rb_resync_stop_senders(n->rs);
		struct raftblk_node_read *rd, *tmp;

		/* Their outcome is unknown to us now: report an error. */
		raftblk_node_fail_list(&n->proposed, BLK_STS_IOERR);
		n->unapplied_bytes = 0;
		list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
			list_del(&rd->list);
			raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
			kfree(rd);
		}
	}
}

/*
 * Free log space and bound the memory the in-memory log holds
 * (Documentation/design.rst, "Memory bound"). Two reasons to compact:
 *
 * - memory: the entries in memory hold more payload bytes than the
 *   node's budget (log_memory). Compact so that the applied entries keep
 *   at most half the budget (entries not applied yet are never dropped),
 *   or further, up to what every member has. A member that needs an
 *   entry dropped this way is caught up by a resync.
 * - ring space: the ring is half full. Followers compact up to what they
 *   applied; the leader keeps what a member still needs until the ring
 *   is 7/8 full.
 *
 * The leader never compacts past the snapshot index S of a copy it is
 * sending, or whose follower is still replaying from S (resync.c), while
 * its log holds at most twice the budget: the follower needs the
 * entries after S once it installed the copy, and compacting past them
 * makes it get another (delta) copy. Beyond twice
 * the budget memory comes first; only a full ring
 * (raftblk_node_make_room()) drops them otherwise.
 */
static void raftblk_node_compact(struct raftblk_node *n, struct raft_status *st)
{
	u64 used, size, freed = 0, budget = READ_ONCE(n->log_memory);
	raft_index to = n->applied, cut = 0, keep;
	bool ring, mem;
	u32 i;

	n->log_bytes_peak = max(n->log_bytes_peak, st->log_bytes);
	rb_store_usage(n->store, &used, &size);
	ring = size && used >= size / 2;
	mem = st->log_bytes > budget;
	if (!ring && !mem)
		return;
	if (st->role == RAFT_LEADER && !(ring && used >= size / 8 * 7))
		for (i = 0; i < st->n_progress; i++)
			if (st->progress[i].id != n->id)
				to = min_t(raft_index, to,
					   st->progress[i].match);
	keep = st->role == RAFT_LEADER ? rb_resync_keep_from(n->rs, st) : 0;
	/*
	 * A hold the log already went past (at S itself it holds: the
	 * entries after S are still there, and a copy is usually at the
	 * compaction point).
	 */
	if (keep < n->compacted)
		keep = 0;
	if (keep)
		to = min(to, keep);
	if (mem) {
		cut = raft_compact_index(n->raft, budget / 2, &freed);
		/* Mostly entries not applied yet: nothing worth a flush. */
		if (!ring && to <= cut && freed < budget / 8)
			return;
		if (keep && keep < cut && st->log_bytes <= 2 * budget)
			cut = keep;
		to = max(to, cut);
	}
	if (to <= st->first_index)
		return;
	rb_resync_compacting(n->rs, n->raft, to);
	if (raft_compact(n->raft, to))
		return;
	if (!rb_store_compact(n->store, to)) {
		n->compacted = to;
		if (keep && keep < to && rb_resync_release(n->rs, to))
			pr_warn_ratelimited("%s: log memory budget: compacted to index %llu, past the resync at %llu (its node then gets a delta from %llu)\n",
					    n->dev->name,
					    (unsigned long long)to,
					    (unsigned long long)keep,
					    (unsigned long long)keep);
	} else {
		pr_warn_ratelimited("%s: log compaction to %llu failed\n",
				    n->dev->name, (unsigned long long)to);
	}
	if (mem && to == cut)
		n->mem_compactions++;
	/* What the log holds now, for the published status. */
	raft_get_status(n->raft, st);
}

/*
 * The log ring is full: compact up to what this node has applied, even if
 * a lagging member still needs those entries (it will need a resync), or
 * a copy in progress (its follower installs it, then gets a delta from
 * its S), rather than fail the write. Returns true if space was freed.
 */
static bool raftblk_node_make_room(struct raftblk_node *n)
{
	raft_index to = n->applied, keep;

	if (to <= n->compacted)
		return false;
	rb_resync_compacting(n->rs, n->raft, to);
	if (raft_compact(n->raft, to) || rb_store_compact(n->store, to))
		return false;
	n->compacted = to;
	keep = rb_resync_release(n->rs, to);
	if (keep)
		pr_warn_ratelimited("%s: log full: compacted to index %llu, past the resync at %llu (its node then gets a delta from %llu)\n",
				    n->dev->name, (unsigned long long)to,
				    (unsigned long long)keep,
				    (unsigned long long)keep);
	else
		pr_warn_ratelimited("%s: log full: compacted to index %llu\n",
				    n->dev->name, (unsigned long long)to);
	return true;
}

/*
 * Every second or so, the commit index to the superblock (when it moved):
 * a node that restarts replays its log up to it, and reports that as its
 * resync base (see raftblk_node_thread()). The write is synchronous: it
 * is shown as a hard-state wait while it lasts, so a node stalled in it
 * says what it waits for.
 */
static void raftblk_node_save_commit(struct raftblk_node *n)
{
	int ret;

	if (time_before(jiffies, n->commit_sync_at) ||
	    n->disk_state == RAFTBLK_DISK_STATE_FAILED)
		return;
	n->commit_sync_at = jiffies +
			    msecs_to_jiffies(RAFTBLK_NODE_COMMIT_SYNC_MS);
	if (!rb_store_commit_unsaved(n->store))
		return;
	raftblk_node_io_wait(n, RAFTBLK_WAITING_HARD_STATE, 0);
	ret = rb_store_save_commit(n->store);
	raftblk_node_io_wait_end(n);
	if (raftblk_node_is_disk_error(ret))
		raftblk_node_disk_error(n, RB_AREA_LOG, ret);
}

static void raftblk_node_zero_done(struct rb_zero *z)
{
	struct raftblk_node *n = container_of(z, struct raftblk_node, zero);

	WRITE_ONCE(n->zero_kick, true);
	wake_up(&n->wait);
}

static bool raftblk_node_zero_finished(struct raftblk_node *n)
{
	/* Pairs with smp_store_release() in the zeroing's completion. */
	return n->zero_busy && smp_load_acquire(&n->zero.finished);
}

/* Start zeroing entry @e in the background. */
static int raftblk_node_zero_start(struct raftblk_node *n,
				   const struct raft_entry *e)
{
	int ret;

	n->zero.done = raftblk_node_zero_done;
	n->zero_ever = true;
	rb_verify_gate(n->vf, e, 1);	/* a verify hashing: these first */
	ret = rb_store_zero_start(n->store, e, &n->zero);
	if (!ret)
		n->zero_busy = true;
	return ret;
}

/*
 * Where the batch's committed entries stand against a zeroing in the
 * background (always of committed[0]: the core hands entries out again
 * from the first one not reported applied). Returns the disk's error of
 * a zeroing that failed; *first is 1 when committed[0] is now applied;
 * *blocked when it is still in flight.
 */
static int raftblk_node_zero_check(struct raftblk_node *n,
				   const struct raft_ready *rd, u32 *first,
				   bool *blocked)
{
	const struct raft_entry *e = rd->committed;
	int err;

	*first = 0;
	if (!n->zero_busy)
		return 0;
	if (!raftblk_node_zero_finished(n)) {
		*blocked = true;
		return 0;
	}
	n->zero_busy = false;
	/* Not the entry handed out first: zeroed again when it comes. */
	if (!rd->n_committed || e->index != n->zero.index ||
	    e->term != n->zero.term)
		return 0;
	err = n->zero.err;
	/* A disk that turned write-zeroes off: again, with zero pages. */
	if (err == -EOPNOTSUPP && !n->zero_retried) {
		n->zero_retried = true;
		err = raftblk_node_zero_start(n, e);
		if (!err) {
			*blocked = true;
			return 0;
		}
	}
	n->zero_retried = false;
	if (!err)
		*first = 1;
	return err;
}

/*
 * Finish applying entries begun with @a (up to @cnt of @e): wait for the
 * writes, and start the zeroing or snapshot (a barrier) the batch stopped
 * at. *done counts the entries applied; *blocked when one was started.
 */
static int raftblk_node_apply_end(struct raftblk_node *n, struct rb_apply *a,
				  const struct raft_entry *e, u32 cnt,
				  u32 *done, bool *blocked)
{
	int ret = rb_store_apply_end(a, done);

	if (!ret && *done < cnt && e[*done].type == RAFT_ENTRY_BARRIER) {
		raftblk_node_snap_start(n, &e[*done]);
		*blocked = true;
	} else if (!ret && *done < cnt) {
		ret = raftblk_node_zero_start(n, &e[*done]);
		if (!ret)
			*blocked = true;
	}
	return ret;
}

/* The completion of a chain of data writes (any context, interrupts too). */
static void raftblk_node_apply_endio(struct bio *bio)
{
	struct raftblk_node *n = bio->bi_private;
	int err = blk_status_to_errno(bio->bi_status);

	bio_put(bio);
	/*
	 * n may be freed once finished is seen and an RCU grace period
	 * passed (raftblk_node_stop()): the wake-up is inside the section.
	 */
	rcu_read_lock();
	n->aio.err = err;
	n->aio.end_ns = ktime_get_ns();
	/* Pairs with smp_load_acquire() by the node thread and the stop. */
	smp_store_release(&n->aio.finished, true);
	WRITE_ONCE(n->zero_kick, true);
	wake_up(&n->wait);
	rcu_read_unlock();
}

/* Drop the payload references of the last chain (node thread). */
static void raftblk_node_apply_put(struct raftblk_node *n)
{
	u32 i;

	for (i = 0; i < n->aio.n_pl; i++)
		raftblk_payload_put(n->aio.pl[i]);
	n->aio.n_pl = 0;
}

/*
 * Submit the chain begun with @a for entries @e (a->n of them) and go on:
 * false when it holds no write (nothing submitted).
 */
static bool raftblk_node_apply_submit(struct raftblk_node *n,
				      const struct raft_entry *e,
				      struct rb_apply *a)
{
	struct raftblk_node_apply *c = &n->aio;
	u32 i;

	if (!a->chain || !a->n)
		return false;
	/* The pages stay until the writes are done, whatever the log does. */
	for (i = 0; i < a->n; i++)
		if (e[i].payload)
			c->pl[c->n_pl++] = raftblk_payload_get(e[i].payload);
	c->index = e[0].index;
	c->term = e[0].term;
	c->last = e[a->n - 1].index;
	c->last_term = e[a->n - 1].term;
	c->n = a->n;
	c->err = 0;
	c->finished = false;
	c->busy = true;
	c->ever = true;
	c->start_ns = ktime_get_ns();
	return rb_store_apply_submit(a, raftblk_node_apply_endio, n);
}

/*
 * Where the batch's committed entries stand against the chain of data
 * writes in flight (of committed[0] on: the core hands entries out again
 * from the first one not reported applied). *blocked (and b->inflight)
 * while it is out; b->first = its entries once it completed; the disk's
 * error if it failed (the core hands them out again, retried as any
 * failed apply).
 */
static int raftblk_node_apply_check(struct raftblk_node *n,
				    struct raftblk_node_batch *b)
{
	struct raftblk_node_apply *c = &n->aio;
	const struct raft_ready *rd = &b->rd;

	if (!c->busy)
		return 0;
	/* Pairs with smp_store_release() in raftblk_node_apply_endio(). */
	if (!smp_load_acquire(&c->finished)) {
		b->blocked = true;
		b->inflight = true;
		return 0;
	}
	c->busy = false;
	raftblk_node_apply_put(n);
	raftblk_io_stats_phase(&n->dev->io_stats, RAFTBLK_IO_PHASE_APPLY_WAIT,
			       c->end_ns - c->start_ns);
	/* Not the entries handed out (a copy came): again when they come. */
	if (rd->n_committed < c->n || rd->committed[0].index != c->index ||
	    rd->committed[0].term != c->term ||
	    rd->committed[c->n - 1].index != c->last ||
	    rd->committed[c->n - 1].term != c->last_term)
		return 0;
	if (c->err)
		return c->err;
	b->first = c->n;
	return 0;
}

/*
 * Wait for the data writes in flight (a copy of the leader's data area
 * is about to be written over it); the chain is taken as usual in the
 * next batch.
 */
static void raftblk_node_apply_drain(struct raftblk_node *n)
{
	if (n->aio.busy)
		/* Pairs with smp_store_release() in the completion. */
		wait_event(n->wait, smp_load_acquire(&n->aio.finished));
	/*
	 * A zeroing too: finishing after a copy's chunks, it would zero
	 * blocks written after its entry (zero_check consumes it later).
	 */
	if (n->zero_busy)
		/* Pairs with smp_store_release() in the zeroing's completion. */
		wait_event(n->wait, smp_load_acquire(&n->zero.finished));
}

/*
 * Apply @cnt committed entries from @e, all in the log: their data
 * writes go out as one chain the thread does not wait for (taken by
 * raftblk_node_apply_check() in a later batch). Without a data write, the
 * entries are applied at once and the zeroing or snapshot they stop at is
 * started. *done counts the entries applied now (none of a chain's).
 */
static int raftblk_node_apply_start(struct raftblk_node *n,
				    struct raftblk_node_batch *b,
				    const struct raft_entry *e, u32 cnt,
				    u32 *done)
{
	struct rb_apply *a = &b->ap;
	int ret;

	*done = 0;
	cnt = min_t(u32, cnt, RAFTBLK_NODE_APPLY_MAX);
	*a = (struct rb_apply){ .stop_at_zero = true, .no_wait = true };
	/* a verify hashing: the extents these write first */
	rb_verify_gate(n->vf, e, cnt);
	ret = rb_store_apply_begin(n->store, e, cnt, a);
	if (ret) {
		rb_store_apply_end(a, done);
		return ret;
	}
	if (raftblk_node_apply_submit(n, e, a)) {
		b->blocked = true;
		b->inflight = true;
		return 0;
	}
	return raftblk_node_apply_end(n, a, e, cnt, done, &b->blocked);
}

/* 1. Messages first: followers write while we write. */
static void raftblk_node_send(struct raftblk_node *n,
			      struct raftblk_node_batch *b)
{
	const struct raft_ready *rd = &b->rd;
	u32 i, from;

	/*
	 * All but the SNAPSHOTs that start copies: rb_resync_leader_msgs()
	 * sends those, and starts a copy only if its SNAPSHOT went.
	 */
	for (i = 0, from = 0; n->tp && i <= rd->n_msgs; i++) {
		if (i < rd->n_msgs && !rb_resync_starts_copy(&rd->msgs[i]))
			continue;
		if (i > from)
			rb_transport_send_batch(n->tp, rd->msgs + from,
						i - from);
		from = i + 1;
	}
	/* the empty snapshot is all in its message; others copy the data */
	for (i = 0; i < rd->n_msgs && b->n_snap < RAFT_MAX_NODES; i++)
		if (rd->msgs[i].type == RAFT_MSG_SNAPSHOT &&
		    !rd->msgs[i].snap.index) {
			b->snap_to[b->n_snap] = rd->msgs[i].to;
			b->snap_ok[b->n_snap++] = true;
		}
	if (rb_resync_leader_acked(n->rs, rd->msgs, rd->n_msgs)) {
		/* each copy's end is seen before the next one starts */
		raft_get_status(n->raft, &n->st_buf);
		raftblk_node_publish(n, &n->st_buf);
	}
	rb_resync_leader_msgs(n->rs, n->raft, rd->msgs, rd->n_msgs);
}

/*
 * 2. A snapshot: the empty one (index 0, the configuration a blank node
 * joins with) carries no data; any other is a copy of the leader's data
 * area, installed and reported by resync.c when its last chunk is in.
 */
static void raftblk_node_install(struct raftblk_node *n,
				 struct raftblk_node_batch *b)
{
	const struct raft_ready *rd = &b->rd;

	if (!rd->snap_to_install)
		return;
	raftblk_node_apply_drain(n);
	if (rd->snap.index == 0)
		b->adv.snap_installed =
			!rb_store_install_snapshot(n->store, &rd->snap);
	else
		rb_resync_expect(n->rs, &rd->snap, rd->snap_base, rd->leader);
}

/*
 * 3. Start applying the committed entries already in the log (not those
 * of this batch): their data writes are in flight during the log write,
 * and after it: the thread does not wait for them. Not while a chain of
 * them, a zeroing or a snapshot runs, nor before the next retry of a
 * failing data area, nor once the disk was given up.
 */
static void raftblk_node_apply_logged(struct raftblk_node *n,
				      struct raftblk_node_batch *b)
{
	const struct raft_ready *rd = &b->rd;
	u32 n_early;
	int err;

	b->apply_err = raftblk_node_zero_check(n, rd, &b->first, &b->blocked);
	raftblk_node_snap_check(n, rd, &b->first, &b->blocked);
	err = raftblk_node_apply_check(n, b);
	if (!b->apply_err)
		b->apply_err = err;
	if (b->apply_err ||
	    (n->failures[RB_AREA_DATA] &&
	     time_before(jiffies, n->apply_retry_at)) ||
	    n->disk_state == RAFTBLK_DISK_STATE_FAILED)
		b->blocked = true;
	n_early = rd->n_committed;
	if (rd->n_entries)
		while (n_early &&
		       rd->committed[n_early - 1].index >= rd->entries[0].index)
			n_early--;
	b->n_early = max(n_early, b->first);
	b->done = b->first;
	if (!b->blocked && b->n_early > b->first) {
		u32 done;

		b->apply_err = raftblk_node_apply_start(n, b,
							rd->committed + b->first,
							b->n_early - b->first,
							&done);
		b->done += done;
	}
}

/* 4. The entries and hard state durable in the log store. */
static void raftblk_node_persist(struct raftblk_node *n,
				 struct raftblk_node_batch *b)
{
	const struct raft_ready *rd = &b->rd;
	int ret = 0;
	u32 i;

	if (rd->n_entries)
		raftblk_node_io_wait(n, RAFTBLK_WAITING_LOG,
				     rd->entries[rd->n_entries - 1].index);
	else if (rd->hs_changed)
		raftblk_node_io_wait(n, RAFTBLK_WAITING_HARD_STATE, 0);
	if (rd->n_entries) {
		u64 t0 = ktime_get_ns();

		ret = rb_store_append(n->store, rd->entries, rd->n_entries);
		if (ret == -ENOSPC && raftblk_node_make_room(n))
			ret = rb_store_append(n->store, rd->entries,
					      rd->n_entries);
		if (!ret) {
			raftblk_io_stats_phase(&n->dev->io_stats,
					       RAFTBLK_IO_PHASE_LOG_APPEND,
					       ktime_get_ns() - t0);
			b->adv.persisted_index =
				rd->entries[rd->n_entries - 1].index;
			b->adv.persisted_term =
				rd->entries[rd->n_entries - 1].term;
			raftblk_node_stamp_durable(n, b->adv.persisted_index);
		}
		for (i = 0; i < rd->n_entries; i++)
			if (rd->entries[i].type == RAFT_ENTRY_CONF)
				b->conf_changed = true;
	}
	if (!ret && rd->hs_changed) {
		ret = rb_store_save_hard_state(n->store, &rd->hs);
		b->adv.hs_persisted = !ret;
	}
	if (ret)
		b->adv.persist_failed = true;
	b->log_err = ret;
}

/*
 * 5. The rest of the committed entries, now in the log, when those
 * before them are applied: their data writes too go out without a wait.
 */
static void raftblk_node_apply_rest(struct raftblk_node *n,
				    struct raftblk_node_batch *b)
{
	const struct raft_ready *rd = &b->rd;
	u32 more = 0;

	if (!b->apply_err && !b->blocked && !b->log_err &&
	    b->done == b->n_early && b->n_early < rd->n_committed) {
		b->apply_err = raftblk_node_apply_start(n, b,
						rd->committed + b->n_early,
						rd->n_committed - b->n_early,
						&more);
		b->done += more;
	}
}

/*
 * 6. Report to the core what is durable and applied (the writes
 * completed when the batch began: raftblk_node_complete_writes()).
 */
static void raftblk_node_advance(struct raftblk_node *n,
				 struct raftblk_node_batch *b)
{
	const struct raft_ready *rd = &b->rd;
	u32 i;

	for (i = 0; i < b->done; i++)
		if (rd->committed[i].type == RAFT_ENTRY_CONF)
			b->conf_changed = true;
	b->adv.applied = b->done ? rd->committed[b->done - 1].index :
		n->applied;
	n->commits += b->done;
	/*
	 * The data writes up to it are complete (apply_check's acquire):
	 * pairs with smp_rmb() in raftblk_node_read_direct().
	 */
	smp_wmb();
	WRITE_ONCE(n->applied, b->adv.applied);
	raftblk_node_applied(n, rd, b->done);
	raftblk_node_read_states(n, rd);
	raft_advance(n->raft, &b->adv);
	for (i = 0; i < b->n_snap; i++)
		raft_report_snapshot(n->raft, b->snap_to[i], b->snap_ok[i]);
}

/* 7. The disk's health: count failures, give it up if they last. */
static void raftblk_node_check_disk(struct raftblk_node *n,
				    struct raftblk_node_batch *b)
{
	if (raftblk_node_is_disk_error(b->log_err))
		raftblk_node_disk_error(n, RB_AREA_LOG, b->log_err);
	else if (!b->log_err && (b->rd.n_entries || b->rd.hs_changed))
		raftblk_node_disk_ok(n, RB_AREA_LOG);
	if (b->apply_err) {
		raftblk_node_disk_error(n, RB_AREA_DATA, b->apply_err);
		b->blocked = true;
	} else if (b->done) {
		raftblk_node_disk_ok(n, RB_AREA_DATA);
	}
}

/*
 * 8. The node after the batch: role and leader, peers, compaction, the
 * published status, the reads it unblocked, and the end of a detached
 * leader's handover.
 */
static void raftblk_node_after_batch(struct raftblk_node *n,
				     const struct raftblk_node_batch *b)
{
	struct raft_status *st = &n->st_buf;

	raft_get_status(n->raft, st);
	raftblk_node_role_changed(n, st->role);
	WRITE_ONCE(n->leader, st->leader);
	raftblk_node_promote_role(n, st->role, st->transferee);
	if (b->conf_changed || b->rd.snap_to_install)
		raftblk_node_sync_peers(n, &st->conf);
	if (st->role == RAFT_LEADER)
		rb_resync_leader_status(n->rs, st);
	if (n->disk_state != RAFTBLK_DISK_STATE_FAILED)
		raftblk_node_compact(n, st);
	raftblk_node_publish(n, st);
	raftblk_node_serve_reads(n);
	if (n->handing_over &&
	    (st->role != RAFT_LEADER || time_after(jiffies, n->handover_until)))
		raftblk_node_freeze(n);
}

/*
 * Carry out one ready batch. Returns false when there was none, or when
 * applying cannot go on now (a zeroing in flight, a failing disk): the
 * thread then waits for its next tick or input instead of looping.
 */
static bool raftblk_node_handle_ready(struct raftblk_node *n)
{
	/* In the node (1.7 KiB, over 2 KiB with KASAN): not on the stack. */
	struct raftblk_node_batch *b = &n->batch;

	if (!raft_has_ready(n->raft))
		return false;
	memset(b, 0, sizeof(*b));
	b->ap.stop_at_zero = true;
	if (raft_ready(n->raft, &b->rd))
		return false;	/* out of memory: retry on the next tick */
	/* Before the writes complete and the messages go (node_io.c). */
	raftblk_node_lease_publish(n);
	raftblk_node_stamp_committed(n, &b->rd);
	/*
	 * Committed: complete, the apply below is off the writes' path;
	 * and before the messages: the transport sends on an idle
	 * connection from this thread (rb_transport_send()), which a
	 * completion need not wait for.
	 */
	raftblk_node_complete_writes(n, &b->rd);
	raftblk_node_send(n, b);
	raftblk_node_install(n, b);
	raftblk_node_apply_logged(n, b);
	raftblk_node_persist(n, b);
	raftblk_node_apply_rest(n, b);
	raftblk_node_advance(n, b);
	raftblk_node_check_disk(n, b);
	if (n->frozen)
		return false;
	raftblk_node_after_batch(n, b);
	if (n->frozen)
		return false;
	/*
	 * Data writes in flight block only the apply: carry out what else
	 * the core has (acknowledgements released by this batch's log
	 * write, more entries) at once. A batch that only hands the same
	 * entries out again ends the round; the writes' completion wakes
	 * the thread.
	 */
	if (b->blocked && b->inflight)
		return b->rd.n_entries || b->rd.n_msgs || b->rd.hs_changed ||
		       b->rd.n_read_states || b->rd.snap_to_install ||
		       b->done;
	return !b->blocked;
}

static void raftblk_node_take(struct raftblk_node *n, struct list_head *msgs,
			      struct list_head *writes,
			      struct list_head *reads)
{
	raft_id lost[RAFT_MAX_NODES];
	u32 i, n_lost;

	WRITE_ONCE(n->zero_kick, false);
	spin_lock(&n->in_lock);
	list_splice_init(&n->in_msgs, msgs);
	list_splice_init(&n->in_writes, writes);
	list_splice_init(&n->in_reads, reads);
	n_lost = n->n_unreachable;
	memcpy(lost, n->unreachable, sizeof(lost[0]) * n_lost);
	n->n_unreachable = 0;
	spin_unlock(&n->in_lock);
	if (!n_lost)
		return;
	mutex_lock(&n->lock);
	for (i = 0; i < n_lost; i++)
		raft_report_unreachable(n->raft, lost[i]);
	mutex_unlock(&n->lock);
}

static bool raftblk_node_has_input(struct raftblk_node *n)
{
	bool ret;

	if (READ_ONCE(n->zero_kick))
		return true;
	spin_lock(&n->in_lock);
	ret = !list_empty(&n->in_msgs) || !list_empty(&n->in_writes) ||
	      !list_empty(&n->in_reads) || n->n_unreachable;
	spin_unlock(&n->in_lock);
	return ret;
}

static int raftblk_node_thread(void *arg)
{
	struct raftblk_node *n = arg;
	unsigned long tick = msecs_to_jiffies(n->tick_ms);
	LIST_HEAD(msgs);
	LIST_HEAD(writes);
	LIST_HEAD(reads);

	n->next_tick = jiffies + tick;
	n->commit_sync_at = jiffies +
			    msecs_to_jiffies(RAFTBLK_NODE_COMMIT_SYNC_MS);
	/*
	 * Replay the log up to the stored commit index before any message
	 * is stepped: the resync base this node reports (its applied index)
	 * is then about where it stopped, not its compaction point.
	 */
	mutex_lock(&n->lock);
	raft_set_now(n->raft, ktime_get_boottime_ns());
	while (!kthread_should_stop()) {
		if (raftblk_node_handle_ready(n))
			continue;
		/* the replay's data writes: wait for them here */
		if (!n->aio.busy || n->frozen)
			break;
		/*
		 * Nothing left to wait for, yet no batch could be had (out
		 * of memory): retry a tick later rather than spin.
		 */
		if (smp_load_acquire(&n->aio.finished) &&
		    (!n->zero_busy || raftblk_node_zero_finished(n))) {
			mutex_unlock(&n->lock);
			schedule_timeout_interruptible(tick);
			mutex_lock(&n->lock);
			continue;
		}
		raftblk_node_apply_drain(n);
	}
	mutex_unlock(&n->lock);
	while (!kthread_should_stop()) {
		long left = (long)(n->next_tick - jiffies);

		if (left > 0)
			wait_event_interruptible_timeout(n->wait,
				raftblk_node_has_input(n) || kthread_should_stop(),
				left);
		if (n->frozen) {
			/* the disk was given up: drop and refuse everything */
			raftblk_node_take(n, &msgs, &writes, &reads);
			raftblk_node_drop_msgs(n, &msgs);
			raftblk_node_fail_list(&writes, BLK_STS_IOERR);
			raftblk_node_fail_list(&reads, BLK_STS_IOERR);
			n->next_tick = jiffies + tick;
			continue;
		}
		raftblk_node_take(n, &msgs, &writes, &reads);

		mutex_lock(&n->lock);
		/*
		 * The core's lease reads run on this clock: it counts while
		 * the thread is stalled and while the machine is suspended.
		 * Taken after the intake, so a read is judged at a time after
		 * it started; a gap longer than the lease margin (the missed
		 * ticks skipped below) drops the leases.
		 */
		raft_set_now(n->raft, ktime_get_boottime_ns());
		if (time_after_eq(jiffies, n->next_tick)) {
			raft_tick(n->raft);
			rb_resync_tick(n->rs, n->raft, n->election_ms,
				       n->tick_ms);
			if (rb_verify_hash_done(n->vf)) {
				raft_get_status(n->raft, &n->st_buf);
				rb_verify_hashed(n->vf, n->st_buf.leader,
						 n->st_buf.term);
			}
			rb_verify_tick(n->vf);
			raftblk_node_save_commit(n);
			raftblk_node_promote_learners(n);
			raftblk_node_snaprep_tick(n);
			n->next_tick += tick;
			/* after a long stall, do not tick in a burst */
			if (time_after(jiffies, n->next_tick))
				n->next_tick = jiffies + tick;
		}
		raftblk_node_step_msgs(n, &msgs);
		/* a step-down or a renewal (a ready batch follows a step-down) */
		raftblk_node_lease_publish(n);
		if (!list_empty(&writes)) {
			if (n->role == RAFT_LEADER &&
			    n->disk_state != RAFTBLK_DISK_STATE_FAILED)
				raftblk_node_propose(n, &writes);
			else
				raftblk_node_fail_list(&writes, BLK_STS_IOERR);
		}
		if (!list_empty(&reads)) {
			if (n->role == RAFT_LEADER &&
			    n->disk_state != RAFTBLK_DISK_STATE_FAILED)
				raftblk_node_start_reads(n, &reads);
			else
				raftblk_node_fail_list(&reads, BLK_STS_IOERR);
		}
		while (!kthread_should_stop() && raftblk_node_handle_ready(n))
			;
		/* copies to followers: chunks as the pacing allows */
		if (n->role == RAFT_LEADER &&
		    rb_resync_pump(n->rs, n->raft, !list_empty(&n->proposed)))
			while (!kthread_should_stop() &&
			       raftblk_node_handle_ready(n))
				;
		/* A detached leader's handover is over: freeze. */
		if (n->handing_over &&
		    (n->role != RAFT_LEADER ||
		     time_after(jiffies, n->handover_until)))
			raftblk_node_freeze(n);
		raftblk_node_lease_publish(n);
		mutex_unlock(&n->lock);
		cond_resched();
	}
	return 0;
}

static void raftblk_node_options(struct raftblk_node *n, struct raft_options *o)
{
	u64 used, size;

	raft_options_default(o);
	o->id = n->id;
	o->heartbeat_ticks = max(1U, n->heartbeat_ms / n->tick_ms);
	o->election_ticks = max(o->heartbeat_ticks * 3,
				n->election_ms / n->tick_ms);
	o->pre_vote = true;
	o->check_quorum = true;
	/*
	 * Lease reads by default (check_quorum and pre-vote on above; the
	 * core refuses lease timing that is unsafe). The read mode can be
	 * switched on any node at any time: every voter protects a leader's
	 * lease across its own restart. Ticks are tick_ms apart at least
	 * (jiffies, rounded up).
	 */
	o->lease_read = n->lease_read;
	o->lease_restart_wait = true;
	o->tick_ns = (u64)n->tick_ms * NSEC_PER_MSEC;
	o->rand_seed = get_random_u64();
	/*
	 * Keep what may wait for commit well inside the log ring, and
	 * within the memory budget (what is uncommitted or in flight is
	 * held in memory too).
	 */
	rb_store_usage(n->store, &used, &size);
	o->max_uncommitted_bytes = min(size / 4, n->log_memory);
	n->max_batch_bytes = max_t(u64, size / 8, RAFTBLK_PL_MAX_DATA);
	n->max_unapplied_bytes = size / 4;
	o->max_inflight_bytes = min(size / 4, n->log_memory);
}

/* The smaller of RAFTBLK_NODE_LOG_MEMORY_DEFAULT and 1/8 of the RAM. */
u64 raftblk_node_log_memory_default(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	return clamp_t(u64, ram / 8, RAFTBLK_NODE_LOG_MEMORY_MIN,
		       RAFTBLK_NODE_LOG_MEMORY_DEFAULT);
}

/* A node with its defaults, locks and lists; nothing started yet. */
static struct raftblk_node *raftblk_node_alloc(struct raftblk_dev *dev,
					       const struct raftblk_node_params *p,
					       raftblk_node_publish_fn publish)
{
	struct raftblk_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return NULL;
	n->aio.pl = kvcalloc(RAFTBLK_NODE_APPLY_MAX, sizeof(*n->aio.pl),
			     GFP_KERNEL);
	if (!n->aio.pl) {
		kfree(n);
		return NULL;
	}
	n->dev = dev;
	n->id = p->node_id;
	n->tick_ms = RAFTBLK_NODE_TICK_MS_DEFAULT;
	n->heartbeat_ms = p->heartbeat_ms ?: RAFTBLK_NODE_HEARTBEAT_MS_DEFAULT;
	n->election_ms = p->election_ms ?: RAFTBLK_NODE_ELECTION_MS_DEFAULT;
	n->max_batch = RAFTBLK_NODE_MAX_BATCH;
	n->lease_read = (p->set_read_mode ? p->read_mode :
			 RAFTBLK_NODE_READ_MODE_DEFAULT) ==
			RAFTBLK_READ_MODE_LEASE;
	n->log_memory = p->log_memory ?: raftblk_node_log_memory_default();
	n->auto_promote = RAFTBLK_NODE_AUTO_PROMOTE_DEFAULT;
	n->promote_ms = RAFTBLK_NODE_PROMOTE_MS_DEFAULT;
	init_waitqueue_head(&n->promote_wq);
	n->role = RAFT_FOLLOWER;
	mutex_init(&n->lock);
	seqcount_mutex_init(&n->lease_seq, &n->lock);
	atomic64_set(&n->reads_direct, 0);
	atomic64_set(&n->reads_thread, 0);
	spin_lock_init(&n->in_lock);
	mutex_init(&n->pub_lock);
	spin_lock_init(&n->pub_spin);
	raftblk_node_snaprep_init(n);
	INIT_DELAYED_WORK(&n->wait_work, raftblk_node_wait_work);
	mutex_init(&n->tp_lock);
	n->pub.id = n->id;
	n->pub.listen = p->listen;
	n->pub.role = RAFTBLK_ROLE_FOLLOWER;
	n->pub.heartbeat_ms = n->heartbeat_ms;
	n->pub.election_ms = n->election_ms;
	n->pub.max_batch = n->max_batch;
	n->pub.read_mode = n->lease_read ? RAFTBLK_READ_MODE_LEASE :
			   RAFTBLK_READ_MODE_READINDEX;
	n->pub.log_memory = n->log_memory;
	n->pub.auto_promote = n->auto_promote;
	n->pub.auto_promote_ms = n->promote_ms;
	/* From here on, connection reports reach @publish. */
	n->publish = publish;
	init_waitqueue_head(&n->wait);
	INIT_LIST_HEAD(&n->proposed);
	INIT_LIST_HEAD(&n->reads_waiting);
	INIT_LIST_HEAD(&n->in_writes);
	INIT_LIST_HEAD(&n->in_reads);
	INIT_LIST_HEAD(&n->in_msgs);
	return n;
}

/*
 * Open the log store on the backing disk, and the cluster id the node
 * goes by. *blank: the disk holds no raftblk log (n->store stays NULL),
 * a new cluster (bootstrap: a new id) or a node waiting to join (id 0).
 */
static int raftblk_node_open_store(struct raftblk_node *n,
				   const struct raftblk_node_params *p,
				   u8 uuid[RAFTBLK_UUID_LEN], bool *blank,
				   struct raftblk_err *err)
{
	int ret;

	ret = rb_store_open(n->dev->backing, n->id, &n->store, err);
	if (p->bootstrap && ret != -ENODATA) {
		if (!ret) {
			rb_store_close(n->store);
			n->store = NULL;
			ret = -EEXIST;
		}
		err->msg = "the disk already holds a raftblk log: create without --bootstrap to restart this node";
		err->attr = RAFTBLK_ATTR_BOOTSTRAP;
		return ret;
	}
	*blank = ret == -ENODATA;
	if (ret && !*blank)
		return ret;
	n->store = *blank ? NULL : n->store;
	memset(uuid, 0, RAFTBLK_UUID_LEN);
	if (*blank && p->bootstrap)
		generate_random_uuid(uuid);
	else if (!*blank)
		rb_store_uuid(n->store, uuid);
	return 0;
}

/*
 * Listen before a blank disk is formatted, so that a taken address
 * leaves the disk as it was. Until the node is started the transport's
 * callbacks drop what they receive.
 */
static int raftblk_node_listen(struct raftblk_node *n,
			       const struct raftblk_node_params *p,
			       const u8 uuid[RAFTBLK_UUID_LEN],
			       struct raftblk_err *err)
{
	struct rb_transport_config cfg;
	int ret;

	rb_transport_config_default(&cfg);
	cfg.secret = p->secret;
	ret = rb_transport_create(n->dev->net, &p->listen, n->id, uuid, &cfg,
				  &raftblk_node_tp_ops, n, &n->tp);
	if (ret) {
		err->msg = ret == -EADDRINUSE ? "listen address in use" :
			   "cannot listen on the address";
		err->attr = RAFTBLK_ATTR_LISTEN;
	}
	return ret;
}

/*
 * Format a blank disk: with a one-node configuration of this node
 * (bootstrap), else with the empty @conf of a node waiting to join.
 */
static int raftblk_node_format(struct raftblk_node *n,
			       const struct raftblk_node_params *p,
			       const u8 uuid[RAFTBLK_UUID_LEN],
			       struct raft_conf *conf, struct raftblk_err *err)
{
	u8 addr[RAFT_ADDR_LEN];
	int ret;

	if (p->bootstrap) {
		ret = rb_addr_encode(&p->listen, addr);
		if (ret) {
			err->msg = "bad listen address";
			err->attr = RAFTBLK_ATTR_LISTEN;
			return ret;
		}
		raft_bootstrap_conf(conf, n->id, addr);
	}
	return rb_store_format(n->dev->backing, uuid, n->id, conf, &n->store,
			       err);
}

/* Create the core from what the store recovered (@restore: scratch). */
static int raftblk_node_create_core(struct raftblk_node *n,
				    struct raft_restore *restore,
				    struct raftblk_err *err)
{
	struct raft_options opts;
	int ret;

	memset(restore, 0, sizeof(*restore));
	ret = rb_store_restore(n->store, restore);
	if (ret) {
		err->msg = "cannot read the log from the disk";
		return ret;
	}
	raftblk_node_options(n, &opts);
	ret = raft_create(&opts, restore, &n->raft);
	n->replay_upto = restore->snap.index + restore->n_entries;
	rb_store_restore_free(restore);
	if (ret) {
		err->msg = "cannot start the Raft node";
		return -ENOMEM;
	}
	n->applied = restore->snap.index;
	n->copy_index = rb_store_copy_index(n->store);
	return 0;
}

/* A resync's chunk read finished (workqueue): the node thread sends it. */
static void raftblk_node_resync_kick(void *arg)
{
	struct raftblk_node *n = arg;

	WRITE_ONCE(n->zero_kick, true);
	wake_up(&n->wait);
}

/* The resync state; a copy that stopped half way resets the core's log. */
static int raftblk_node_start_resync(struct raftblk_node *n,
				     struct raftblk_err *err)
{
	int ret;

	ret = rb_resync_create(n->store, n->dev->backing, n->id,
			       n->dev->name, raftblk_node_resync_kick, n,
			       &n->rs);
	if (!ret)
		ret = rb_resync_on_open(n->rs, n->raft);
	if (ret) {
		err->msg = "cannot start the resync of an incomplete data area";
		return ret;
	}
	rb_resync_set_transport(n->rs, n->tp);
	ret = rb_verify_create(n->store, n->id, n->dev->name, &n->vf);
	if (ret) {
		err->msg = "out of memory";
		return ret;
	}
	rb_verify_set_transport(n->vf, n->tp);
	return 0;
}

/* The transport's peers and the first status, from the core. */
static int raftblk_node_first_status(struct raftblk_node *n,
				     struct raftblk_err *err)
{
	struct raft_status *st = kmalloc(sizeof(*st), GFP_KERNEL);

	if (!st) {
		err->msg = "out of memory";
		return -ENOMEM;
	}
	raft_get_status(n->raft, st);
	raftblk_node_sync_peers(n, &st->conf);
	raftblk_node_publish(n, st);
	kfree(st);
	return 0;
}

/* Hand the device to the node and start its thread. */
static int raftblk_node_run(struct raftblk_node *n, struct raftblk_err *err)
{
	struct raftblk_dev *dev = n->dev;

	dev->node = n;
	dev->capacity = rb_store_data_sectors(n->store);
	dev->io_ops = &raftblk_replicated_ops;
	n->thread = kthread_run(raftblk_node_thread, n, "%s", dev->name);
	if (IS_ERR(n->thread)) {
		dev->node = NULL;
		dev->io_ops = &raftblk_passthrough_ops;
		err->msg = "cannot start the node thread";
		return PTR_ERR(n->thread);
	}
	return 0;
}

int raftblk_node_start(struct raftblk_dev *dev,
		       const struct raftblk_node_params *p,
		       raftblk_node_publish_fn publish,
		       struct raftblk_err *err)
{
	struct raft_restore *restore;
	u8 uuid[RAFTBLK_UUID_LEN];
	struct raftblk_node *n;
	bool blank;
	int ret;

	n = raftblk_node_alloc(dev, p, publish);
	restore = kzalloc(sizeof(*restore), GFP_KERNEL);
	if (!n || !restore) {
		if (n)
			kvfree(n->aio.pl);
		kfree(n);
		kfree(restore);
		err->msg = "out of memory";
		return -ENOMEM;
	}
	ret = raftblk_node_open_store(n, p, uuid, &blank, err);
	if (ret)
		goto err_free;
	ret = raftblk_node_listen(n, p, uuid, err);
	if (ret)
		goto err_close_store;
	if (blank) {
		ret = raftblk_node_format(n, p, uuid, &restore->snap.conf, err);
		if (ret)
			goto err_destroy_transport;
	}
	ret = raftblk_node_snap_attach(n, p, err);
	if (ret)
		goto err_destroy_transport;
	ret = raftblk_node_create_core(n, restore, err);
	if (ret)
		goto err_destroy_transport;
	kfree(restore);
	restore = NULL;
	ret = raftblk_node_start_resync(n, err);
	if (ret)
		goto err_destroy_raft;
	ret = raftblk_node_first_status(n, err);
	if (ret)
		goto err_destroy_raft;
	ret = raftblk_node_run(n, err);
	if (ret)
		goto err_destroy_raft;
	/* Pairs with smp_load_acquire() in the transport callbacks. */
	smp_store_release(&n->started, true);
	return 0;

err_destroy_raft:
	rb_verify_destroy(n->vf);
	rb_resync_destroy(n->rs);
	raft_destroy(n->raft);
err_destroy_transport:
	rb_transport_destroy(n->tp);
err_close_store:
	if (n->store)
		rb_store_close(n->store);
	raftblk_node_snap_detach(n);
err_free:
	kfree(restore);
	raftblk_node_snaprep_free(n);
	kvfree(n->aio.pl);
	kfree(n);
	return ret;
}
void raftblk_node_stop(struct raftblk_node *n)
{
	struct rb_transport *tp;
	LIST_HEAD(msgs);
	LIST_HEAD(writes);
	LIST_HEAD(reads);
	struct raftblk_node_read *rd, *tmp;

	spin_lock(&n->in_lock);
	n->stopping = true;
	spin_unlock(&n->in_lock);
	/* the thread publishes none from now on (stopping) */
	mutex_lock(&n->lock);
	raftblk_node_lease_withdraw(n);
	mutex_unlock(&n->lock);
	kthread_stop(n->thread);
	cancel_delayed_work_sync(&n->wait_work);
	raftblk_node_snap_stop(n);
	/* As net_exit: queued messages no longer hold its budget. */
	mutex_lock(&n->lock);
	mutex_lock(&n->tp_lock);
	tp = n->tp;
	WRITE_ONCE(n->tp, NULL);
	/* The messages stepped below may answer a copy: never on tp. */
	rb_resync_set_transport(n->rs, NULL);
	rb_verify_set_transport(n->vf, NULL);
	mutex_unlock(&n->tp_lock);
	mutex_unlock(&n->lock);
	if (tp)
		synchronize_rcu();	/* node_tag_payload() is out of tp */
	rb_transport_destroy(tp);
	/*
	 * A zeroing in flight uses the disk and n: wait for it, and for its
	 * completion to be out of n (an RCU read-side section, see
	 * rb_store_zero_start()).
	 */
	if (n->zero_ever) {
		/* Pairs with smp_store_release() in the completion. */
		wait_event(n->wait, smp_load_acquire(&n->zero.finished));
		synchronize_rcu();
	}

	raftblk_node_take(n, &msgs, &writes, &reads);
	mutex_lock(&n->lock);
	if (n->frozen)
		raftblk_node_drop_msgs(n, &msgs);
	else
		raftblk_node_step_msgs(n, &msgs);
	raftblk_node_fail_list(&writes, BLK_STS_IOERR);
	raftblk_node_fail_list(&reads, BLK_STS_IOERR);
	raftblk_node_fail_list(&n->proposed, BLK_STS_IOERR);
	list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
		list_del(&rd->list);
		raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
		kfree(rd);
	}
	rb_verify_destroy(n->vf);
	rb_resync_destroy(n->rs);
	raft_destroy(n->raft);
	mutex_unlock(&n->lock);
	/*
	 * The same for data writes in flight (raftblk_node_apply_endio()),
	 * the messages just stepped included; they hold their own payload
	 * references.
	 */
	if (n->aio.ever) {
		/* Pairs with smp_store_release() in the completion. */
		wait_event(n->wait, smp_load_acquire(&n->aio.finished));
		synchronize_rcu();
		raftblk_node_apply_put(n);
	}
	rb_store_close(n->store);
	raftblk_node_snap_detach(n);
	raftblk_node_snaprep_free(n);
	kvfree(n->aio.pl);
	kfree(n);
}
