// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's block I/O - requests in, completions out.
 *
 * The io_ops of a replicated device (raftblk_replicated_ops): queue_rq
 * hands requests to raftblk_node_submit(), which queues them for the
 * node thread. On the thread, queued writes are proposed to the core in
 * batches and complete once their entry is committed (durable in a
 * majority of logs, the leader's own included), before it is applied to
 * the data area (or fail when their entry lost); queued reads wait behind
 * a read barrier (the core's read index, or a lease read answered at
 * once: at least the commit index when the read started, so past every
 * write completed before it) and go to the data area once it is applied
 * up to the barrier. While the leader holds a lease the node thread
 * published, and the data area is applied up to its floor, reads go to
 * the data area from queue_rq at once, without the node thread
 * (raftblk_node_read_direct()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "node_int.h"

static u32 raftblk_node_leader(struct raftblk_node *n)
{
	return READ_ONCE(n->leader);
}

void raftblk_node_fail_list(struct list_head *head, blk_status_t status)
{
	struct raftblk_rq *pdu, *tmp;

	list_for_each_entry_safe(pdu, tmp, head, node_list) {
		list_del_init(&pdu->node_list);
		if (pdu->payload) {
			raftblk_payload_put(pdu->payload);
			pdu->payload = NULL;
		}
		raftblk_complete_request(rb_pdu_rq(pdu), status);
	}
}

void raftblk_node_kick(struct raftblk_node *n)
{
	wake_up(&n->wait);
}

/*
 * Authenticated transport: the entry tag of a write's data, computed
 * here like its crc rather than by the transport's send work, which
 * would make a pass over the data before sending any of it (to the
 * first follower; the second reuses the tag kept in the payload). The
 * key is copied out in an RCU read-side section, which keeps tp alive
 * (it is cleared, then a grace period passes before it is destroyed:
 * raftblk_node_stop(), raftblk_node_net_exit()); not under tp_lock,
 * whose holders allocate with GFP_KERNEL (reclaim may write to this
 * device). The pass runs outside it.
 */
static void node_tag_payload(struct raftblk_node *n, struct raft_payload *p)
{
	struct rb_transport *tp;
	struct rb_tag_key k;
	bool have;

	rcu_read_lock();
	tp = READ_ONCE(n->tp);
	have = tp && rb_transport_tag_key(tp, &k);
	rcu_read_unlock();
	if (have)
		rb_tag_key_use(&k, p);
}

/*
 * Publish what the core answers now for reads served in queue_rq, or
 * withdraw it (under lock). Called after every raft_ready(), before the
 * batch's messages are sent and its writes complete (so the floor covers
 * every write completed from then on, and a TIMEOUT_NOW or a new
 * configuration made since the last call is never on the wire while the
 * lease that predates it is published), and at the end of each turn of
 * the thread (renewals, step-downs). Withdrawn whatever the core says
 * once the node stops, freezes, hands its leadership over or gave its
 * disk up.
 */
void raftblk_node_lease_publish(struct raftblk_node *n)
{
	struct raft_lease_info li;

	lockdep_assert_held(&n->lock);
	if (n->frozen || n->handing_over || READ_ONCE(n->stopping) ||
	    n->disk_state == RAFTBLK_DISK_STATE_FAILED ||
	    !raft_read_lease_end(n->raft, &li))
		memset(&li, 0, sizeof(li));
	if (!li.end && !n->lease.end)
		return;
	write_seqcount_begin(&n->lease_seq);
	n->lease = li;
	write_seqcount_end(&n->lease_seq);
}

/*
 * Withdraw the lease from queue_rq (under lock): before a call into the
 * core that may let another node lead or change what the lease means (a
 * transfer, a membership change, new timers or read mode), and when the
 * node freezes or stops. Reads that passed the check before it began
 * are served: the lease held when they started and nothing was sent
 * since.
 */
void raftblk_node_lease_withdraw(struct raftblk_node *n)
{
	lockdep_assert_held(&n->lock);
	if (!n->lease.end)
		return;
	write_seqcount_begin(&n->lease_seq);
	memset(&n->lease, 0, sizeof(n->lease));
	write_seqcount_end(&n->lease_seq);
}

/*
 * May @rq (a read, on the leader) go to the data area now, without the
 * node thread? Only while the lease the thread published holds at a time
 * after the read started (the clock is read after the lease), the thread
 * published it less than a stall ago (the core drops its leases after a
 * longer gap, raft_set_now()), and the data area is applied up to its
 * floor: the floor was published before any write it covers completed,
 * so every write completed before this read started is applied (a write
 * not applied yet has not completed: it is concurrent with this read,
 * as with the thread's lease reads). The lease is withdrawn on a
 * step-down, a transfer, a membership change, a change of the read
 * mode or timers, a frozen disk and the stop; ReadIndex mode never
 * publishes one.
 */
static bool raftblk_node_read_direct(struct raftblk_node *n)
{
	struct raft_lease_info li;
	unsigned int seq;
	raft_index applied;
	u64 now;

	/*
	 * applied is a u64 written by the thread without a lock: on a
	 * 32-bit kernel a load can tear (the new high word with the old
	 * low one passes the floor): reads go through the thread there.
	 */
	if (!IS_ENABLED(CONFIG_64BIT))
		return false;
	do {
		seq = read_seqcount_begin(&n->lease_seq);
		li = n->lease;
	} while (read_seqcount_retry(&n->lease_seq, seq));
	if (!li.end)
		return false;
	now = ktime_get_boottime_ns();
	if (now >= li.end || now < li.at || now - li.at > li.stall)
		return false;
	applied = READ_ONCE(n->applied);
	/* Pairs with smp_wmb() before applied is written (node.c). */
	smp_rmb();
	return applied >= li.floor;
}

static blk_status_t raftblk_node_submit(struct raftblk_dev *dev,
				   struct request *rq)
{
	struct raftblk_node *n = dev->node;
	struct raftblk_rq *pdu = rb_pdu(rq);
	struct list_head *to;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		to = &n->in_reads;
		break;
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		to = &n->in_writes;
		break;
	case REQ_OP_FLUSH:
		/*
		 * Every write completed so far is durable on a majority
		 * (completion waits for commit, and commit counts only
		 * durable copies: the leader's once its own log write is
		 * done): a flush has nothing left to do. The data area
		 * may not hold them yet; a restart replays them from the
		 * log, which keeps every entry until its data area write
		 * was flushed (rb_store_compact()).
		 */
		raftblk_complete_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}
	/* The disk was given up: reported once, when it happened. */
	if (READ_ONCE(n->disk_state) == RAFTBLK_DISK_STATE_FAILED)
		return BLK_STS_IOERR;
	if (READ_ONCE(n->role) != RAFT_LEADER) {
		if (!xchg(&n->warned_follower, true))
			pr_warn_ratelimited("%s: not the leader (leader is node %u): I/O refused\n",
					    dev->name,
					    raftblk_node_leader(n));
		return BLK_STS_IOERR;
	}
	INIT_LIST_HEAD(&pdu->node_list);
	pdu->payload = NULL;
	if (to == &n->in_reads && raftblk_node_read_direct(n)) {
		blk_status_t st;

		pdu->t.in_ns = ktime_get_ns();
		pdu->t.barrier_ns = pdu->t.in_ns;
		atomic64_inc(&n->reads_direct);
		st = rb_store_read_rq(n->store, n->dev, rq);
		if (st != BLK_STS_OK)
			raftblk_complete_request(rq, st);
		return BLK_STS_OK;
	}
	if (to == &n->in_writes) {
		/*
		 * Copy the data and compute its crc (and, authenticated,
		 * its entry tag) here, in the submitter's context (the
		 * queue is BLK_MQ_F_BLOCKING): this CPU work then overlaps
		 * the node thread's waits for the disk.
		 */
		struct raft_payload *p = raftblk_payload_from_rq(rq);

		if (IS_ERR_OR_NULL(p))
			return PTR_ERR(p) == -ENOMEM ? BLK_STS_RESOURCE :
				BLK_STS_IOERR;
		raftblk_payload_crc(p);
		if (raftblk_payload_has_data(p))
			node_tag_payload(n, p);
		pdu->payload = p;
	}
	pdu->t.in_ns = ktime_get_ns();
	spin_lock(&n->in_lock);
	if (n->stopping) {
		spin_unlock(&n->in_lock);
		if (pdu->payload) {
			raftblk_payload_put(pdu->payload);
			pdu->payload = NULL;
		}
		return BLK_STS_IOERR;
	}
	list_add_tail(&pdu->node_list, to);
	spin_unlock(&n->in_lock);
	raftblk_node_kick(n);
	return BLK_STS_OK;
}

void raftblk_node_propose(struct raftblk_node *n, struct list_head *writes)
{
	struct raft_entry *ents = n->batch_ents;
	struct raftblk_rq **batch = n->batch_rqs;
	struct raftblk_rq *pdu, *tmp;
	u64 bytes, now;
	u32 i, cnt;
	int ret;

	while (!list_empty(writes)) {
		/*
		 * Writes complete before they are applied: bound what waits
		 * for the data area (a zeroing or snapshot in the background,
		 * a failing data area), as the core bounds what waits for
		 * commit, or the in-memory log and the ring fill with it.
		 * The thread comes back on the next input or tick.
		 */
		if (n->unapplied_bytes >
		    min(n->max_unapplied_bytes, READ_ONCE(n->log_memory)))
			return;
		cnt = 0;
		bytes = 0;
		list_for_each_entry_safe(pdu, tmp, writes, node_list) {
			struct raft_payload *p;

			if (cnt == n->max_batch)
				break;
			/*
			 * A batch must fit the log ring with room to spare
			 * (the core bounds what is uncommitted only between
			 * proposals): 64 writes of 1 MiB overflowed a 16 MiB
			 * ring, the append failed and the leader stepped down.
			 */
			if (cnt && pdu->payload &&
			    bytes + raftblk_payload_data_len(pdu->payload) >
			    n->max_batch_bytes)
				break;
			if (pdu->payload)
				bytes += raftblk_payload_data_len(pdu->payload);
			list_del_init(&pdu->node_list);
			p = pdu->payload;	/* taken over */
			pdu->payload = NULL;
			if (!p) {
				raftblk_complete_request(rb_pdu_rq(pdu),
							 BLK_STS_IOERR);
				continue;
			}
			memset(&ents[cnt], 0, sizeof(ents[cnt]));
			ents[cnt].type = RAFT_ENTRY_NORMAL;
			ents[cnt].payload = p;
			batch[cnt++] = pdu;
		}
		if (!cnt)
			continue;
		ret = raft_propose(n->raft, cnt, ents);
		if (ret == RAFT_ETOOBIG || ret == RAFT_EBUSY) {
			/*
			 * Back-pressure (too much uncommitted) or a leader
			 * transfer: keep the requests, in order, for later.
			 */
			for (i = cnt; i-- > 0;) {
				batch[i]->payload = ents[i].payload;
				list_add(&batch[i]->node_list, writes);
			}
			return;
		}
		now = ktime_get_ns();
		for (i = 0; i < cnt; i++) {
			/* the core took its own references on success */
			raftblk_payload_put(ents[i].payload);
			if (ret) {
				raftblk_complete_request(rb_pdu_rq(batch[i]),
							 ret == RAFT_ENOMEM ?
							 BLK_STS_RESOURCE :
							 BLK_STS_IOERR);
				continue;
			}
			batch[i]->index = ents[i].index;
			batch[i]->term = ents[i].term;
			batch[i]->t.proposed_ns = now;
			list_add_tail(&batch[i]->node_list, &n->proposed);
		}
		if (!ret) {
			n->proposals += cnt;
			if (ents[0].term != n->unapplied_term) {
				n->unapplied_term = ents[0].term;
				n->unapplied_bytes = 0;
			}
			n->unapplied_bytes += bytes;
		}
	}
}

/* Submit @rqs, their read barrier passed at @barrier_ns, to the data area. */
static void raftblk_node_issue_reads(struct raftblk_node *n,
				     struct list_head *rqs, u64 barrier_ns)
{
	struct raftblk_rq *pdu, *ptmp;

	list_for_each_entry_safe(pdu, ptmp, rqs, node_list) {
		struct request *rq = rb_pdu_rq(pdu);
		blk_status_t st;

		list_del_init(&pdu->node_list);
		pdu->t.barrier_ns = barrier_ns;
		atomic64_inc(&n->reads_thread);
		st = rb_store_read_rq(n->store, n->dev, rq);
		if (st != BLK_STS_OK)
			raftblk_complete_request(rq, st);
	}
}

void raftblk_node_start_reads(struct raftblk_node *n, struct list_head *reads)
{
	struct raftblk_node_read *rd;
	raft_index index = 0;
	bool lease;

	if (list_empty(reads))
		return;
	/*
	 * A lease read: the core gives the read index now (judged at the
	 * time raft_set_now() was given, after these reads were taken), no
	 * read state to wait for in a ready batch. Once applied up to it,
	 * the reads go to the data area at once, with no allocation.
	 */
	lease = raft_read_lease(n->raft, &index);
	if (lease && index <= n->applied) {
		raftblk_node_issue_reads(n, reads, ktime_get_ns());
		return;
	}
	rd = kmalloc(sizeof(*rd), GFP_NOIO);
	if (!rd) {
		raftblk_node_fail_list(reads, BLK_STS_RESOURCE);
		return;
	}
	rd->ctx = ++n->next_read_ctx;
	rd->have_index = lease;
	rd->index = index;
	rd->barrier_ns = ktime_get_ns();
	INIT_LIST_HEAD(&rd->rqs);
	list_splice_init(reads, &rd->rqs);
	if (!lease && raft_read_index(n->raft, rd->ctx)) {
		raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
		kfree(rd);
		return;
	}
	list_add_tail(&rd->list, &n->reads_waiting);
}

/* Reads whose barrier index is applied go to the data area. */
void raftblk_node_serve_reads(struct raftblk_node *n)
{
	struct raftblk_node_read *rd, *tmp;

	list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
		if (!rd->have_index || rd->index > n->applied)
			continue;
		list_del(&rd->list);
		raftblk_node_issue_reads(n, &rd->rqs, rd->barrier_ns);
		kfree(rd);
	}
}

void raftblk_node_read_states(struct raftblk_node *n, const struct raft_ready *rd)
{
	struct raftblk_node_read *r;
	u32 i;

	for (i = 0; i < rd->n_read_states; i++)
		list_for_each_entry(r, &n->reads_waiting, list)
			if (r->ctx == rd->read_states[i].context) {
				r->have_index = true;
				r->index = rd->read_states[i].index;
				r->barrier_ns = ktime_get_ns();
			}
}

/*
 * Stamp the proposed writes up to @index not stamped yet with the time
 * now, in the field at @off of their stamps (n->proposed is in index
 * order; it holds only the writes in flight).
 */
static void raftblk_node_stamp(struct raftblk_node *n, raft_index index,
			       size_t off)
{
	struct raftblk_rq *pdu;
	u64 now = 0;

	list_for_each_entry(pdu, &n->proposed, node_list) {
		u64 *at = (u64 *)((char *)&pdu->t + off);

		if (pdu->index > index)
			break;
		if (*at)
			continue;
		if (!now)
			now = ktime_get_ns();
		*at = now;
	}
}

void raftblk_node_stamp_committed(struct raftblk_node *n,
				  const struct raft_ready *rd)
{
	if (rd->n_committed)
		raftblk_node_stamp(n, rd->committed[rd->n_committed - 1].index,
				   offsetof(struct raftblk_io_stamps,
					    committed_ns));
}

void raftblk_node_stamp_durable(struct raftblk_node *n, raft_index index)
{
	raftblk_node_stamp(n, index,
			   offsetof(struct raftblk_io_stamps, durable_ns));
}

/*
 * Complete the proposed writes whose entry @rd hands out committed: with
 * their own term they are durable in a majority of logs (the leader's
 * commit counts its own log only once written, raft_maybe_commit()), so
 * they complete now, before the entry is applied; with another term they
 * lost. Called before the batch applies anything: a read that starts
 * after the completion gets a barrier at or after the entry's index (the
 * commit index, raft_read_lease() or raft_read_index()) and waits for
 * its apply (raftblk_node_start_reads(), raftblk_node_serve_reads()).
 */
void raftblk_node_complete_writes(struct raftblk_node *n,
				    const struct raft_ready *rd)
{
	struct raftblk_rq *pdu, *tmp;
	u32 i = 0;

	list_for_each_entry_safe(pdu, tmp, &n->proposed, node_list) {
		blk_status_t st = BLK_STS_IOERR;

		/* Both lists are in index order. */
		while (i < rd->n_committed && rd->committed[i].index < pdu->index)
			i++;
		if (i == rd->n_committed)
			break;		/* not committed yet, nor any after it */
		/*
		 * An index before the first one handed out (never: an entry
		 * proposed comes after every one handed out before) is of
		 * unknown outcome: an error, as at a step-down.
		 */
		if (rd->committed[i].index == pdu->index &&
		    rd->committed[i].term == pdu->term)
			st = BLK_STS_OK;
		list_del_init(&pdu->node_list);
		raftblk_complete_request(rb_pdu_rq(pdu), st);
	}
}

/* The entries of @rd up to @done were applied: what no longer waits. */
void raftblk_node_applied(struct raftblk_node *n, const struct raft_ready *rd,
			  u32 done)
{
	u32 i, len;

	for (i = 0; i < done; i++) {
		const struct raft_entry *e = &rd->committed[i];

		if (e->type != RAFT_ENTRY_NORMAL || !e->payload ||
		    e->term != n->unapplied_term)
			continue;
		len = raftblk_payload_data_len(e->payload);
		n->unapplied_bytes -= min_t(u64, len, n->unapplied_bytes);
	}
}

static int raftblk_node_open_write_op(struct raftblk_dev *dev)
{
	return raftblk_node_open_write(dev->node);
}

const struct raftblk_io_ops raftblk_replicated_ops = {
	.role = RAFTBLK_ROLE_FOLLOWER,
	/* A write is one log record: at most RAFTBLK_PL_MAX_DATA bytes. */
	.max_sectors = RAFTBLK_PL_MAX_DATA >> SECTOR_SHIFT,
	/* A discard/write-zeroes entry covers at most 1 GiB. */
	.max_nodata_sectors = RAFTBLK_PL_MAX_LEN >> SECTOR_SHIFT,
	/* Completed once committed: durable in a majority of logs. */
	.durable_writes = true,
	.submit = raftblk_node_submit,
	.open_write = raftblk_node_open_write_op,
	.net_exit = raftblk_node_net_exit,
	.get_status = raftblk_node_get_status,
};
