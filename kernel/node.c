// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node driver.
 *
 * One kernel thread per replicated device ("raftblkN") owns the Raft
 * core. Everything else only queues work for it:
 *
 *   blk-mq queue_rq      -> writes / reads / flushes lists (in_lock)
 *   transport deliver    -> msgs list (in_lock)
 *   netlink (peer add..) -> calls into the core under the node mutex
 *   netlink (status)     -> reads the published snapshot (pub_spin)
 *
 * The thread loops: tick the core when a tick is due, step received
 * messages, propose queued writes as one batch, start a read barrier for
 * queued reads, then carry out every ready batch: send its messages
 * (before the local write, so followers write in parallel with the
 * leader), make its hard state and entries durable in the log store,
 * apply committed entries to the data area, and advance. Writes complete
 * once their entry is applied on this (leader) node; reads are submitted
 * to the data area once a read state covers them and it is applied.
 *
 * After each ready batch the thread publishes the node's status (struct
 * raftblk_node_status): a snapshot that status readers copy under a
 * spinlock, so a status never waits for the node's lock, which the
 * thread holds across its disk writes. Each snapshot is also handed to
 * the device's publish function (the events).
 *
 * A discard or write-zeroes entry is zeroed in the background (up to
 * 1 GiB: seconds): the thread goes on ticking and exchanging messages,
 * and the entries after it are applied once it completed.
 *
 * Backing disk errors: a write of the log or the data area that fails is
 * retried (the log by the core, once per tick; an apply at most every
 * RAFTBLK_NODE_DISK_RETRY_MS) while the node keeps its other work going
 * (disk state "failing"). When it still fails after
 * RAFTBLK_NODE_DISK_RETRIES attempts over at least
 * RAFTBLK_NODE_DISK_GIVEUP_MS, the node gives the disk up ("failed", like
 * DRBD's on-io-error detach): every request fails with EIO, a leader
 * hands its leadership to the most up-to-date voter (or just stops, and
 * the others elect a leader after their timeout), then the node stops
 * calling into the core: no tick, no vote, no acknowledgement, messages
 * dropped. It stays so until it is destroyed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include "raftblk.h"
#include "node.h"
#include "payload.h"
#include "log_store.h"
#include "transport.h"
#include "resync.h"

static_assert(RAFTBLK_NODE_MAX_PEERS >= RAFT_MAX_NODES);

/* Backing disk failures: retry pacing and when to give the disk up. */
#define RAFTBLK_NODE_DISK_RETRY_MS	200
#define RAFTBLK_NODE_DISK_RETRIES	5
#define RAFTBLK_NODE_DISK_GIVEUP_MS	1000

/* The two areas of the disk whose writes are watched. */
enum { RB_AREA_LOG, RB_AREA_DATA, RB_AREAS };

struct raftblk_node_msg {
	struct list_head list;
	size_t charge;		/* receive budget held (transport) */
	struct raft_msg m;
};

/* A read barrier: the reads queued when it was requested. */
struct raftblk_node_read {
	struct list_head list;
	u64 ctx;
	bool have_index;
	raft_index index;
	struct list_head rqs;
};

struct raftblk_node {
	struct raftblk_dev *dev;
	u32 id;
	struct rb_store *store;
	struct rb_transport *tp;
	struct task_struct *thread;
	wait_queue_head_t wait;

	/*
	 * lock serializes every call into the core (raft) and protects the
	 * lists below it; held only by the node thread and by netlink
	 * handlers, in process context.
	 */
	struct mutex lock;
	struct raft *raft;
	/* Writes proposed, in index order, waiting to be applied. */
	struct list_head proposed;
	/* Read barriers waiting for their read state / apply. */
	struct list_head reads_waiting;
	u64 next_read_ctx;
	raft_index applied;
	raft_index compacted;		/* log compacted up to here */
	u8 role;			/* enum raft_role, also read locklessly */
	u32 leader;			/* read locklessly */
	/* Peers the transport knows, to diff against the configuration. */
	u32 n_tp_peers;
	u32 tp_peers[RAFT_MAX_NODES];

	/*
	 * in_lock protects the intake lists, filled from queue_rq and the
	 * transport and drained by the node thread. Never held while
	 * sleeping.
	 */
	spinlock_t in_lock;
	struct list_head in_writes;
	struct list_head in_reads;
	struct list_head in_msgs;
	u32 n_unreachable;		/* peers whose connection dropped */
	raft_id unreachable[RAFT_MAX_NODES];
	bool stopping;

	unsigned long next_tick;	/* jiffies */
	u32 tick_ms;
	u32 heartbeat_ms;
	u32 election_ms;
	u32 max_batch;			/* writes per proposal, under lock */
	u64 max_batch_bytes;		/* data bytes per proposal */
	bool lease_read;		/* read mode, under lock */

	/* Proposal batch being built (node thread only). */
	struct raft_entry batch_ents[RAFTBLK_NODE_MAX_BATCH];
	struct raftblk_rq *batch_rqs[RAFTBLK_NODE_MAX_BATCH];
	/* Scratch for the core's status (node thread, under lock). */
	struct raft_status st_buf;
	/* Copies of the data area sent and received (under lock). */
	struct rb_resync *rs;

	/* Counters (node thread writes, readers tolerate tearing). */
	u64 proposals;
	u64 commits;
	u64 elections;
	bool warned_follower;

	/*
	 * Backing disk health (node thread, under lock; disk_state also read
	 * locklessly). failures/since count the failed attempts in a row of
	 * each area; frozen once the disk was given up and any handover is
	 * over: the core is never called again.
	 */
	u8 disk_state;			/* enum raftblk_disk_state */
	int disk_error;
	u32 failures[RB_AREAS];
	unsigned long fail_since[RB_AREAS];
	unsigned long apply_retry_at;	/* jiffies: no apply before */
	unsigned long handover_until;	/* jiffies: a detached leader */
	bool handing_over;
	bool frozen;

	/*
	 * A discard/write-zeroes entry zeroed in the background (node thread;
	 * zero.finished is set by the completion, which wakes the thread).
	 */
	struct rb_zero zero;
	bool zero_busy;			/* started, not consumed yet */
	bool zero_retried;
	bool zero_ever;			/* one was started (stop waits) */
	bool zero_kick;			/* set by the completion: wake up */
	/*
	 * The published status. pub_lock orders the publishers (node
	 * thread, transport event work, option changes) and their calls of
	 * publish(), and protects conn_up; it is held only to fill pub and
	 * for the call, never across disk I/O. pub_spin protects pub
	 * against readers, who only copy it. Order: lock, pub_lock,
	 * pub_spin.
	 */
	raftblk_node_publish_fn publish;
	struct mutex pub_lock;
	spinlock_t pub_spin;
	struct raftblk_node_status pub;
	/* Peers whose connection is up, as the transport last reported. */
	u32 n_conn_up;
	u32 conn_up[RAFT_MAX_NODES];
	/*
	 * tp_lock keeps tp alive for status readers (who never take lock);
	 * net_exit clears tp under both lock and tp_lock.
	 */
	struct mutex tp_lock;

	/*
	 * Set once the store is open, the core created and the thread
	 * running (release/acquire): the transport listens before that, and
	 * its callbacks drop what arrives until then.
	 */
	bool started;
};

/* The pdu of a request owned by the node driver. */
static inline struct raftblk_rq *rb_pdu(struct request *rq)
{
	return blk_mq_rq_to_pdu(rq);
}

static inline struct request *rb_pdu_rq(struct raftblk_rq *pdu)
{
	return blk_mq_rq_from_pdu(pdu);
}

static enum raftblk_role raftblk_node_role_uapi(u8 role, bool learner)
{
	switch (role) {
	case RAFT_LEADER:
		return RAFTBLK_ROLE_LEADER;
	case RAFT_CANDIDATE:
		return RAFTBLK_ROLE_CANDIDATE;
	case RAFT_PRE_CANDIDATE:
		return RAFTBLK_ROLE_PRE_CANDIDATE;
	default:
		return learner ? RAFTBLK_ROLE_LEARNER : RAFTBLK_ROLE_FOLLOWER;
	}
}

static u32 raftblk_node_leader(struct raftblk_node *n)
{
	return READ_ONCE(n->leader);
}

static void raftblk_node_fail_list(struct list_head *head, blk_status_t status)
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

/* ------------------------------------------------------------------ */
/* Intake (any context that may take a spinlock)                      */

static void raftblk_node_kick(struct raftblk_node *n)
{
	wake_up(&n->wait);
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
		 * durable copies): a flush has nothing left to do.
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
	if (to == &n->in_writes) {
		/*
		 * Copy the data and compute its crc here, in the submitter's
		 * context (the queue is BLK_MQ_F_BLOCKING): this CPU work
		 * then overlaps the node thread's waits for the disk.
		 */
		struct raft_payload *p = raftblk_payload_from_rq(rq);

		if (IS_ERR_OR_NULL(p))
			return PTR_ERR(p) == -ENOMEM ? BLK_STS_RESOURCE :
				BLK_STS_IOERR;
		raftblk_payload_crc(p);
		pdu->payload = p;
	}
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

/*
 * A received message, queued for the node thread. Its charge stays on
 * the transport's receive budget until the thread has stepped it
 * (raftblk_node_step_msgs()): while the thread waits on its disk the
 * queue grows only up to that budget, then the transport stops reading
 * (TCP back-pressure) until the thread catches up.
 */
static int raftblk_node_deliver(void *ctx, struct raft_msg *m, size_t charge)
{
	struct raftblk_node *n = ctx;
	struct raftblk_node_msg *nm;

	/* Pairs with smp_store_release() in raftblk_node_start(). */
	if (!smp_load_acquire(&n->started)) {
		raft_msg_free(m);	/* Raft tolerates a lost message */
		return -EAGAIN;
	}
	nm = kmalloc(sizeof(*nm), GFP_NOIO);
	if (!nm) {
		raft_msg_free(m);	/* Raft tolerates a lost message */
		return -ENOMEM;
	}
	nm->m = *m;
	nm->charge = charge;
	spin_lock(&n->in_lock);
	if (n->stopping) {
		spin_unlock(&n->in_lock);
		raft_msg_free(&nm->m);
		kfree(nm);
		return -ESHUTDOWN;
	}
	list_add_tail(&nm->list, &n->in_msgs);
	spin_unlock(&n->in_lock);
	raftblk_node_kick(n);
	return 0;
}

static void raftblk_node_publish_conn(struct raftblk_node *n, u32 id,
				      bool up);

static void raftblk_node_peer_state(void *ctx, u64 peer_id, bool up)
{
	struct raftblk_node *n = ctx;
	u32 i;

	/* Anyone reaching the port can make this happen: rate-limited. */
	pr_info_ratelimited("%s: peer %llu %s\n", n->dev->name,
			    (unsigned long long)peer_id,
			    up ? "connected" : "disconnected");
	if (peer_id && peer_id <= U32_MAX)
		raftblk_node_publish_conn(n, peer_id, up);
	if (up)
		return;
	/* Tell the core on the node thread (never take n->lock here). */
	spin_lock(&n->in_lock);
	for (i = 0; i < n->n_unreachable; i++)
		if (n->unreachable[i] == peer_id)
			break;
	if (i == n->n_unreachable && i < RAFT_MAX_NODES)
		n->unreachable[n->n_unreachable++] = peer_id;
	spin_unlock(&n->in_lock);
	raftblk_node_kick(n);
}

/* A blank node heard from its cluster for the first time: remember it. */
static int raftblk_node_adopt_cluster(void *ctx,
				      const u8 cluster[RB_WIRE_UUID_LEN])
{
	struct raftblk_node *n = ctx;
	int ret;

	/*
	 * Not started (maybe not formatted yet): refuse, the peer connects
	 * again later. Pairs with smp_store_release() in node start.
	 */
	if (!smp_load_acquire(&n->started))
		return -EAGAIN;
	ret = rb_store_set_uuid(n->store, cluster);
	if (ret)
		pr_err_ratelimited("%s: cannot record the cluster id: %d\n",
				   n->dev->name, ret);
	else
		pr_info_ratelimited("%s: joined cluster %pU\n", n->dev->name,
				    cluster);
	return ret;
}

static const struct rb_transport_ops raftblk_node_tp_ops = {
	.deliver = raftblk_node_deliver,
	.peer_state = raftblk_node_peer_state,
	.adopt_cluster = raftblk_node_adopt_cluster,
};

/* ------------------------------------------------------------------ */
/* Node thread: work under n->lock                                    */

static bool raftblk_node_handle_ready(struct raftblk_node *n);

static void raftblk_node_step_msgs(struct raftblk_node *n, struct list_head *msgs)
{
	struct raftblk_node_msg *nm, *tmp;
	raft_index installed = 0;
	bool snap;

	list_for_each_entry_safe(nm, tmp, msgs, list) {
		raft_id from = nm->m.from;

		list_del(&nm->list);
		snap = nm->m.type == RAFT_MSG_SNAPSHOT;
		/* Copy frames of a resync are the node's (resync.c). */
		if (!rb_resync_intercept(n->rs, n->raft, &nm->m, &installed))
			/* raft_step consumes the message, valid or not. */
			raft_step(n->raft, &nm->m);
		else
			snap = false;
		if (installed) {
			WRITE_ONCE(n->applied, installed);
			n->compacted = installed;
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

/* Messages to a node that takes no part any more: dropped. */
static void raftblk_node_drop_msgs(struct list_head *msgs)
{
	struct raftblk_node_msg *nm, *tmp;

	list_for_each_entry_safe(nm, tmp, msgs, list) {
		list_del(&nm->list);
		raft_msg_free(&nm->m);
		kfree(nm);
	}
}

static void raftblk_node_propose(struct raftblk_node *n, struct list_head *writes)
{
	struct raft_entry *ents = n->batch_ents;
	struct raftblk_rq **batch = n->batch_rqs;
	struct raftblk_rq *pdu, *tmp;
	u64 bytes;
	u32 i, cnt;
	int ret;

	while (!list_empty(writes)) {
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
			list_add_tail(&batch[i]->node_list, &n->proposed);
		}
		if (!ret)
			n->proposals += cnt;
	}
}

static void raftblk_node_start_reads(struct raftblk_node *n, struct list_head *reads)
{
	struct raftblk_node_read *rd;

	if (list_empty(reads))
		return;
	rd = kmalloc(sizeof(*rd), GFP_NOIO);
	if (!rd) {
		raftblk_node_fail_list(reads, BLK_STS_RESOURCE);
		return;
	}
	rd->ctx = ++n->next_read_ctx;
	rd->have_index = false;
	INIT_LIST_HEAD(&rd->rqs);
	list_splice_init(reads, &rd->rqs);
	if (raft_read_index(n->raft, rd->ctx)) {
		raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
		kfree(rd);
		return;
	}
	list_add_tail(&rd->list, &n->reads_waiting);
}

/* Reads whose barrier index is applied go to the data area. */
static void raftblk_node_serve_reads(struct raftblk_node *n)
{
	struct raftblk_node_read *rd, *tmp;
	struct raftblk_rq *pdu, *ptmp;

	list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
		if (!rd->have_index || rd->index > n->applied)
			continue;
		list_del(&rd->list);
		list_for_each_entry_safe(pdu, ptmp, &rd->rqs, node_list) {
			struct request *rq = rb_pdu_rq(pdu);
			blk_status_t st;

			list_del_init(&pdu->node_list);
			st = raftblk_backing_submit_at(n->dev, rq,
						       raftblk_node_data_sector(n));
			if (st != BLK_STS_OK)
				raftblk_complete_request(rq, st);
		}
		kfree(rd);
	}
}

static void raftblk_node_read_states(struct raftblk_node *n, const struct raft_ready *rd)
{
	struct raftblk_node_read *r;
	u32 i;

	for (i = 0; i < rd->n_read_states; i++)
		list_for_each_entry(r, &n->reads_waiting, list)
			if (r->ctx == rd->read_states[i].context) {
				r->have_index = true;
				r->index = rd->read_states[i].index;
			}
}

/* Complete proposed writes up to applied; fail those that lost. */
static void raftblk_node_complete_writes(struct raftblk_node *n,
				    const struct raft_ready *rd)
{
	struct raftblk_rq *pdu, *tmp;
	u32 i;

	/* An entry committed at our index but of another term: ours lost. */
	for (i = 0; i < rd->n_committed; i++) {
		const struct raft_entry *e = &rd->committed[i];

		list_for_each_entry_safe(pdu, tmp, &n->proposed, node_list) {
			if (pdu->index > e->index)
				break;
			if (pdu->index == e->index && pdu->term != e->term) {
				list_del_init(&pdu->node_list);
				raftblk_complete_request(rb_pdu_rq(pdu),
							 BLK_STS_IOERR);
			}
		}
	}
	list_for_each_entry_safe(pdu, tmp, &n->proposed, node_list) {
		if (pdu->index > n->applied)
			break;
		list_del_init(&pdu->node_list);
		raftblk_complete_request(rb_pdu_rq(pdu), BLK_STS_OK);
	}
}

/* Keep the transport's peer list equal to the configuration. */
static void raftblk_node_sync_peers(struct raftblk_node *n, const struct raft_conf *c)
{
	u32 i, j, keep = 0;
	u32 now[RAFT_MAX_NODES];

	if (!n->tp)
		return;

	for (i = 0; i < c->n; i++) {
		struct sockaddr_storage ss;

		if (c->nodes[i].id == n->id)
			continue;
		if (rb_addr_decode(c->nodes[i].addr, &ss))
			continue;
		if (rb_transport_set_peer(n->tp, c->nodes[i].id, &ss))
			continue;
		now[keep++] = c->nodes[i].id;
	}
	for (i = 0; i < n->n_tp_peers; i++) {
		for (j = 0; j < keep; j++)
			if (now[j] == n->tp_peers[i])
				break;
		if (j == keep)
			rb_transport_remove_peer(n->tp, n->tp_peers[i]);
	}
	memcpy(n->tp_peers, now, sizeof(now[0]) * keep);
	n->n_tp_peers = keep;
}

static bool raftblk_node_conf_has(const struct raft_conf *c, u32 id, u8 role)
{
	u32 i;

	for (i = 0; i < c->n; i++)
		if (c->nodes[i].id == id)
			return !role || c->nodes[i].role == role;
	return false;
}

/* ------------------------------------------------------------------ */
/* Status: the published snapshot                                     */

static bool raftblk_node_conn_is_up(struct raftblk_node *n, u32 id)
{
	u32 i;

	for (i = 0; i < n->n_conn_up; i++)
		if (n->conn_up[i] == id)
			return true;
	return false;
}

/* Under pub_lock: hand the snapshot to the device. */
static void raftblk_node_call_publish(struct raftblk_node *n)
{
	lockdep_assert_held(&n->pub_lock);
	if (n->publish)
		n->publish(n->dev, &n->pub);
}

/*
 * Publish the core's status @st (and the node's counters). Called by the
 * node thread after each ready batch, and once at start.
 */
static void raftblk_node_publish(struct raftblk_node *n,
				 const struct raft_status *st)
{
	struct raftblk_node_status *pub = &n->pub;
	u32 i, j;

	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	pub->role = raftblk_node_role_uapi(st->role,
		raftblk_node_conf_has(&st->conf, n->id, RAFT_LEARNER));
	pub->term = st->term;
	pub->leader = st->leader;
	pub->commit = st->commit;
	pub->applied = st->applied;
	pub->proposals = n->proposals;
	pub->commits = n->commits;
	pub->elections = n->elections;
	pub->n_peers = 0;
	for (i = 0; i < st->conf.n; i++) {
		const struct raft_node *cn = &st->conf.nodes[i];
		struct raftblk_node_peer *p = &pub->peers[pub->n_peers];

		if (cn->id == n->id)
			continue;
		p->id = cn->id;
		p->role = cn->role == RAFT_LEARNER ? RAFTBLK_PEER_ROLE_LEARNER :
			  RAFTBLK_PEER_ROLE_VOTER;
		p->conn = raftblk_node_conn_is_up(n, cn->id) ?
			  RAFTBLK_PEER_STATE_CONNECTED :
			  RAFTBLK_PEER_STATE_DISCONNECTED;
		if (rb_addr_decode(cn->addr, &p->addr))
			memset(&p->addr, 0, sizeof(p->addr));
		p->match = 0;
		for (j = 0; j < st->n_progress; j++)
			if (st->progress[j].id == cn->id)
				p->match = st->progress[j].match;
		pub->n_peers++;
	}
	pub->n_resync = rb_resync_get(n->rs, pub->resync,
				      RAFTBLK_NODE_MAX_RESYNC);
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* The options in the snapshot, after a change (under n->lock). */
static void raftblk_node_publish_options(struct raftblk_node *n)
{
	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	n->pub.heartbeat_ms = n->heartbeat_ms;
	n->pub.election_ms = n->election_ms;
	n->pub.max_batch = n->max_batch;
	n->pub.read_mode = n->lease_read ? RAFTBLK_READ_MODE_LEASE :
			   RAFTBLK_READ_MODE_READINDEX;
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* A peer's connection went up or down (transport event work). */
static void raftblk_node_publish_conn(struct raftblk_node *n, u32 id,
				      bool up)
{
	u32 i;

	mutex_lock(&n->pub_lock);
	for (i = 0; i < n->n_conn_up; i++)
		if (n->conn_up[i] == id)
			break;
	if (up && i == n->n_conn_up && i < ARRAY_SIZE(n->conn_up))
		n->conn_up[n->n_conn_up++] = id;
	else if (!up && i < n->n_conn_up)
		n->conn_up[i] = n->conn_up[--n->n_conn_up];
	spin_lock(&n->pub_spin);
	for (i = 0; i < n->pub.n_peers; i++)
		if (n->pub.peers[i].id == id)
			n->pub.peers[i].conn = up ?
				RAFTBLK_PEER_STATE_CONNECTED :
				RAFTBLK_PEER_STATE_DISCONNECTED;
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
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
		list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
			list_del(&rd->list);
			raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
			kfree(rd);
		}
	}
}

/*
 * Free log space. The leader keeps every entry a member still needs (no
 * snapshot transfer yet) until the ring is nearly full; then, like every
 * follower, it compacts up to what it has applied.
 */
static void raftblk_node_compact(struct raftblk_node *n, const struct raft_status *st)
{
	u64 used, size;
	raft_index to = n->applied;
	u32 i;

	rb_store_usage(n->store, &used, &size);
	if (!size || used < size / 2)
		return;
	if (st->role == RAFT_LEADER && used < size / 8 * 7)
		for (i = 0; i < st->n_progress; i++)
			if (st->progress[i].id != n->id)
				to = min_t(raft_index, to,
					   st->progress[i].match);
	if (to <= st->first_index)
		return;
	if (raft_compact(n->raft, to))
		return;
	if (!rb_store_compact(n->store, to))
		n->compacted = to;
	else
		pr_warn_ratelimited("%s: log compaction to %llu failed\n",
				    n->dev->name, (unsigned long long)to);
}

/*
 * The log ring is full: compact up to what this node has applied, even if
 * a lagging member still needs those entries (it will need a full resync),
 * rather than fail the write. Returns true if space was freed.
 */
static bool raftblk_node_make_room(struct raftblk_node *n)
{
	raft_index to = n->applied;

	if (to <= n->compacted)
		return false;
	if (raft_compact(n->raft, to) || rb_store_compact(n->store, to))
		return false;
	n->compacted = to;
	pr_warn_ratelimited("%s: log full: compacted to index %llu\n",
			    n->dev->name, (unsigned long long)to);
	return true;
}

/* Promote learners that have caught up (leader only). */
static void raftblk_node_promote_learners(struct raftblk_node *n)
{
	struct raft_conf_change cc = {};
	struct raft_status *st = &n->st_buf;
	u32 i;

	if (n->role != RAFT_LEADER)
		return;
	raft_get_status(n->raft, st);
	for (i = 0; i < st->n_progress; i++) {
		const struct raft_progress_info *pi = &st->progress[i];

		if (pi->role != RAFT_LEARNER || pi->match < st->commit)
			continue;
		cc.op = RAFT_CONF_PROMOTE;
		cc.id = pi->id;
		if (!raft_change_conf(n->raft, &cc))
			pr_info_ratelimited("%s: node %llu caught up: promoting it to voter\n",
					    n->dev->name,
					    (unsigned long long)pi->id);
		break;	/* one change at a time */
	}
}

/* ------------------------------------------------------------------ */
/* Backing disk failures                                              */

static const char *const raftblk_node_area_name[RB_AREAS] = {
	[RB_AREA_LOG] = "log",
	[RB_AREA_DATA] = "data area",
};

/* The disk's errors, not the store refusing for lack of room/memory. */
static bool raftblk_node_is_disk_error(int err)
{
	return err && err != -ENOSPC && err != -ENOMEM;
}

static void raftblk_node_set_disk_state(struct raftblk_node *n, u8 state,
					int err)
{
	if (n->disk_state == state)
		return;
	WRITE_ONCE(n->disk_state, state);
	n->disk_error = err;
	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	n->pub.disk_state = state;
	n->pub.disk_error = err;
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* A write of @area succeeded: the area works (again). */
static void raftblk_node_disk_ok(struct raftblk_node *n, int area)
{
	n->failures[area] = 0;
	if (n->disk_state == RAFTBLK_DISK_STATE_FAILING &&
	    !n->failures[area ^ 1])
		raftblk_node_set_disk_state(n, RAFTBLK_DISK_STATE_OK, 0);
}

/* The voter (not us) with the longest log, 0 if none. */
static raft_id raftblk_node_best_voter(struct raftblk_node *n)
{
	struct raft_status *st = &n->st_buf;
	raft_index best = 0;
	raft_id to = 0;
	u32 i;

	raft_get_status(n->raft, st);
	for (i = 0; i < st->n_progress; i++) {
		const struct raft_progress_info *pi = &st->progress[i];

		if (pi->id == n->id || pi->role != RAFT_VOTER ||
		    (to && pi->match <= best))
			continue;
		to = pi->id;
		best = pi->match;
	}
	return to;
}

/* Fail every request the node holds or is handed: the disk is gone. */
static void raftblk_node_fail_all(struct raftblk_node *n)
{
	struct raftblk_node_read *rd, *tmp;

	raftblk_node_fail_list(&n->proposed, BLK_STS_IOERR);
	list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
		list_del(&rd->list);
		raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
		kfree(rd);
	}
}

/*
 * Stop calling into the core: no tick, vote, acknowledgement or
 * campaign from now on. The node reports itself a follower with no known
 * leader (it takes no part any more).
 */
static void raftblk_node_freeze(struct raftblk_node *n)
{
	struct raft_status *st = &n->st_buf;

	n->frozen = true;
	n->handing_over = false;
	raftblk_node_fail_all(n);
	WRITE_ONCE(n->role, RAFT_FOLLOWER);
	WRITE_ONCE(n->leader, 0);
	raft_get_status(n->raft, st);
	st->role = RAFT_FOLLOWER;
	st->leader = 0;
	raftblk_node_publish(n, st);
}

/* Give the disk up (once): see the comment at the top of the file. */
static void raftblk_node_detach(struct raftblk_node *n, int area, int err)
{
	raft_id to = 0;

	raftblk_node_set_disk_state(n, RAFTBLK_DISK_STATE_FAILED, err);
	if (n->role == RAFT_LEADER)
		to = raftblk_node_best_voter(n);
	if (to && raft_transfer_leader(n->raft, to))
		to = 0;
	pr_err("%s: backing disk %s: %s writes failed %u times (error %d): disk detached, node %u stops serving%s; destroy the device and replace the disk\n",
	       n->dev->name, n->dev->disk_path, raftblk_node_area_name[area],
	       n->failures[area], err, n->id,
	       to ? " (handing leadership over)" : "");
	raftblk_node_fail_all(n);
	if (to) {
		n->handing_over = true;
		n->handover_until = jiffies +
				    msecs_to_jiffies(2 * n->election_ms);
	} else {
		raftblk_node_freeze(n);
	}
}

/* A write of @area failed with @err (not ENOSPC/ENOMEM). */
static void raftblk_node_disk_error(struct raftblk_node *n, int area, int err)
{
	if (n->disk_state == RAFTBLK_DISK_STATE_FAILED)
		return;
	if (!n->failures[area]++)
		n->fail_since[area] = jiffies;
	if (area == RB_AREA_DATA)
		n->apply_retry_at = jiffies +
			msecs_to_jiffies(RAFTBLK_NODE_DISK_RETRY_MS);
	if (n->failures[area] >= RAFTBLK_NODE_DISK_RETRIES &&
	    time_after_eq(jiffies, n->fail_since[area] +
			  msecs_to_jiffies(RAFTBLK_NODE_DISK_GIVEUP_MS))) {
		raftblk_node_detach(n, area, err);
		return;
	}
	raftblk_node_set_disk_state(n, RAFTBLK_DISK_STATE_FAILING, err);
}

/* ------------------------------------------------------------------ */
/* Applying committed entries                                         */

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
 * writes, and start the zeroing the batch stopped at. *done counts the
 * entries applied; *blocked when a zeroing was started.
 */
static int raftblk_node_apply_end(struct raftblk_node *n, struct rb_apply *a,
				  const struct raft_entry *e, u32 cnt,
				  u32 *done, bool *blocked)
{
	int ret = rb_store_apply_end(a, done);

	if (!ret && *done < cnt) {
		ret = raftblk_node_zero_start(n, &e[*done]);
		if (!ret)
			*blocked = true;
	}
	return ret;
}

/*
 * Carry out one ready batch. Returns false when there was none, or when
 * applying cannot go on now (a zeroing in flight, a failing disk): the
 * thread then waits for its next tick or input instead of looping.
 */
static bool raftblk_node_handle_ready(struct raftblk_node *n)
{
	struct raft_advance adv = {};
	struct raft_ready rd;
	struct raft_status *st;
	raft_id snap_to[RAFT_MAX_NODES];
	bool snap_ok[RAFT_MAX_NODES];
	bool conf_changed = false, blocked = false;
	u32 i, n_snap = 0, n_early, first, done;
	struct rb_apply ap = { .stop_at_zero = true };
	int ret, aret;

	if (!raft_has_ready(n->raft))
		return false;
	if (raft_ready(n->raft, &rd))
		return false;	/* out of memory: retry on the next tick */

	/* 1. messages first: followers write while we write */
	if (n->tp && rd.n_msgs)
		rb_transport_send_batch(n->tp, rd.msgs, rd.n_msgs);
	/* the empty snapshot is all in its message; others copy the data */
	for (i = 0; i < rd.n_msgs && n_snap < RAFT_MAX_NODES; i++)
		if (rd.msgs[i].type == RAFT_MSG_SNAPSHOT &&
		    !rd.msgs[i].snap.index) {
			snap_to[n_snap] = rd.msgs[i].to;
			snap_ok[n_snap++] = true;
		}
	rb_resync_leader_msgs(n->rs, n->raft, rd.msgs, rd.n_msgs);

	/*
	 * 2. a snapshot: the empty one (index 0, the configuration a blank
	 * node joins with) carries no data; any other is a copy of the
	 * leader's data area, installed and reported by resync.c when its
	 * last chunk is in.
	 */
	if (rd.snap_to_install) {
		if (rd.snap.index == 0) {
			ret = rb_store_install_snapshot(n->store, &rd.snap);
			adv.snap_installed = !ret;
		} else {
			rb_resync_expect(n->rs, &rd.snap, rd.snap_base,
					 rd.leader);
		}
	}

	/*
	 * 3. apply the committed entries already in the log (not those of
	 * this batch): their data writes are in flight during the log
	 * write. Not while a zeroing runs, nor before the next retry of a
	 * failing data area, nor once the disk was given up.
	 */
	aret = raftblk_node_zero_check(n, &rd, &first, &blocked);
	if (aret ||
	    (n->failures[RB_AREA_DATA] &&
	     time_before(jiffies, n->apply_retry_at)) ||
	    n->disk_state == RAFTBLK_DISK_STATE_FAILED)
		blocked = true;
	n_early = rd.n_committed;
	if (rd.n_entries)
		while (n_early &&
		       rd.committed[n_early - 1].index >= rd.entries[0].index)
			n_early--;
	n_early = max(n_early, first);
	if (!blocked)
		aret = rb_store_apply_begin(n->store, rd.committed + first,
					    n_early - first, &ap);

	/* 4. durable log and hard state */
	ret = 0;
	if (rd.n_entries) {
		ret = rb_store_append(n->store, rd.entries, rd.n_entries);
		if (ret == -ENOSPC && raftblk_node_make_room(n))
			ret = rb_store_append(n->store, rd.entries,
					      rd.n_entries);
		if (!ret) {
			adv.persisted_index = rd.entries[rd.n_entries - 1].index;
			adv.persisted_term = rd.entries[rd.n_entries - 1].term;
		}
		for (i = 0; i < rd.n_entries; i++)
			if (rd.entries[i].type == RAFT_ENTRY_CONF)
				conf_changed = true;
	}
	if (!ret && rd.hs_changed) {
		ret = rb_store_save_hard_state(n->store, &rd.hs);
		adv.hs_persisted = !ret;
	}
	if (ret)
		adv.persist_failed = true;

	/* 5. the rest of the committed entries, once in the log */
	done = 0;
	if (!blocked && aret)
		rb_store_apply_end(&ap, &done);
	else if (!blocked)
		aret = raftblk_node_apply_end(n, &ap, rd.committed + first,
					      n_early - first, &done, &blocked);
	done += first;
	if (!aret && !blocked && !ret && done == n_early &&
	    n_early < rd.n_committed) {
		u32 more = 0;

		ap = (struct rb_apply){ .stop_at_zero = true };
		aret = rb_store_apply_begin(n->store, rd.committed + n_early,
					    rd.n_committed - n_early, &ap);
		if (!aret)
			aret = raftblk_node_apply_end(n, &ap,
						      rd.committed + n_early,
						      rd.n_committed - n_early,
						      &more, &blocked);
		else
			rb_store_apply_end(&ap, &more);
		done += more;
	}

	for (i = 0; i < done; i++)
		if (rd.committed[i].type == RAFT_ENTRY_CONF)
			conf_changed = true;
	adv.applied = done ? rd.committed[done - 1].index : n->applied;
	n->commits += done;
	WRITE_ONCE(n->applied, adv.applied);
	raftblk_node_read_states(n, &rd);
	raftblk_node_complete_writes(n, &rd);
	raft_advance(n->raft, &adv);
	for (i = 0; i < n_snap; i++)
		raft_report_snapshot(n->raft, snap_to[i], snap_ok[i]);

	/* The disk's health: count failures, give it up if they last. */
	if (raftblk_node_is_disk_error(ret))
		raftblk_node_disk_error(n, RB_AREA_LOG, ret);
	else if (!ret && (rd.n_entries || rd.hs_changed))
		raftblk_node_disk_ok(n, RB_AREA_LOG);
	if (aret) {
		raftblk_node_disk_error(n, RB_AREA_DATA, aret);
		blocked = true;
	} else if (done) {
		raftblk_node_disk_ok(n, RB_AREA_DATA);
	}
	if (n->frozen)
		return false;

	st = &n->st_buf;
	raft_get_status(n->raft, st);
	raftblk_node_role_changed(n, st->role);
	WRITE_ONCE(n->leader, st->leader);
	if (conf_changed || rd.snap_to_install)
		raftblk_node_sync_peers(n, &st->conf);
	if (n->disk_state != RAFTBLK_DISK_STATE_FAILED)
		raftblk_node_compact(n, st);
	raftblk_node_publish(n, st);
	raftblk_node_serve_reads(n);
	/* A detached leader's handover is over: freeze. */
	if (n->handing_over &&
	    (st->role != RAFT_LEADER || time_after(jiffies, n->handover_until)))
		raftblk_node_freeze(n);
	return !blocked && !n->frozen;
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
	while (!kthread_should_stop()) {
		long left = (long)(n->next_tick - jiffies);

		if (left > 0)
			wait_event_interruptible_timeout(n->wait,
				raftblk_node_has_input(n) || kthread_should_stop(),
				left);
		if (n->frozen) {
			/* the disk was given up: drop and refuse everything */
			raftblk_node_take(n, &msgs, &writes, &reads);
			raftblk_node_drop_msgs(&msgs);
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
			rb_resync_tick(n->rs, n->raft, n->election_ms);
			raftblk_node_promote_learners(n);
			n->next_tick += tick;
			/* after a long stall, do not tick in a burst */
			if (time_after(jiffies, n->next_tick))
				n->next_tick = jiffies + tick;
		}
		raftblk_node_step_msgs(n, &msgs);
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
		mutex_unlock(&n->lock);
		cond_resched();
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                          */

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
	 * The read mode can be switched to lease on any node at any time:
	 * every voter protects a leader's lease across its own restart.
	 * Ticks are tick_ms apart at least (jiffies, rounded up).
	 */
	o->lease_restart_wait = true;
	o->tick_ns = (u64)n->tick_ms * NSEC_PER_MSEC;
	o->rand_seed = get_random_u64();
	/* Keep what may wait for commit well inside the log ring. */
	rb_store_usage(n->store, &used, &size);
	o->max_uncommitted_bytes = size / 4;
	n->max_batch_bytes = max_t(u64, size / 8, RAFTBLK_PL_MAX_DATA);
	o->max_inflight_bytes = size / 4;
}

int raftblk_node_start(struct raftblk_dev *dev,
		       const struct raftblk_node_params *p,
		       raftblk_node_publish_fn publish,
		       struct raftblk_err *err)
{
	struct raft_restore *restore;
	struct raft_options opts;
	u8 uuid[RAFTBLK_UUID_LEN];
	struct raftblk_node *n;
	bool blank;
	int ret;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	restore = kzalloc(sizeof(*restore), GFP_KERNEL);
	if (!n || !restore) {
		kfree(n);
		kfree(restore);
		err->msg = "out of memory";
		return -ENOMEM;
	}
	n->dev = dev;
	n->id = p->node_id;
	n->tick_ms = RAFTBLK_NODE_TICK_MS_DEFAULT;
	n->heartbeat_ms = p->heartbeat_ms ?: RAFTBLK_NODE_HEARTBEAT_MS_DEFAULT;
	n->election_ms = p->election_ms ?: RAFTBLK_NODE_ELECTION_MS_DEFAULT;
	n->max_batch = RAFTBLK_NODE_MAX_BATCH;
	n->role = RAFT_FOLLOWER;
	mutex_init(&n->lock);
	spin_lock_init(&n->in_lock);
	mutex_init(&n->pub_lock);
	spin_lock_init(&n->pub_spin);
	mutex_init(&n->tp_lock);
	n->pub.id = n->id;
	n->pub.listen = p->listen;
	n->pub.role = RAFTBLK_ROLE_FOLLOWER;
	n->pub.heartbeat_ms = n->heartbeat_ms;
	n->pub.election_ms = n->election_ms;
	n->pub.max_batch = n->max_batch;
	n->pub.read_mode = RAFTBLK_READ_MODE_READINDEX;
	/* From here on, connection reports reach @publish. */
	n->publish = publish;
	init_waitqueue_head(&n->wait);
	INIT_LIST_HEAD(&n->proposed);
	INIT_LIST_HEAD(&n->reads_waiting);
	INIT_LIST_HEAD(&n->in_writes);
	INIT_LIST_HEAD(&n->in_reads);
	INIT_LIST_HEAD(&n->in_msgs);

	ret = rb_store_open(dev->backing, n->id, &n->store, err);
	if (p->bootstrap && ret != -ENODATA) {
		if (!ret) {
			rb_store_close(n->store);
			ret = -EEXIST;
		}
		err->msg = "the disk already holds a raftblk log: create without --bootstrap to restart this node";
		err->attr = RAFTBLK_ATTR_BOOTSTRAP;
		goto err_free;
	}
	blank = ret == -ENODATA;
	if (ret && !blank)
		goto err_free;
	n->store = blank ? NULL : n->store;
	/* A blank disk: a new cluster, or a node waiting to join. */
	memset(uuid, 0, sizeof(uuid));
	if (blank && p->bootstrap)
		generate_random_uuid(uuid);
	else if (!blank)
		rb_store_uuid(n->store, uuid);

	/*
	 * Listen before a blank disk is formatted, so that a taken address
	 * leaves the disk as it was. Until the node is started the
	 * transport's callbacks drop what they receive.
	 */
	ret = rb_transport_create(dev->net, &p->listen, n->id, uuid, NULL,
				  &raftblk_node_tp_ops, n, &n->tp);
	if (ret) {
		err->msg = ret == -EADDRINUSE ? "listen address in use" :
			   "cannot listen on the address";
		err->attr = RAFTBLK_ATTR_LISTEN;
		goto err_close_store;
	}

	if (blank) {
		u8 addr[RAFT_ADDR_LEN];
		struct raft_conf *conf = &restore->snap.conf;

		if (p->bootstrap) {
			ret = rb_addr_encode(&p->listen, addr);
			if (ret) {
				err->msg = "bad listen address";
				err->attr = RAFTBLK_ATTR_LISTEN;
				goto err_destroy_transport;
			}
			raft_bootstrap_conf(conf, n->id, addr);
		}
		ret = rb_store_format(dev->backing, uuid, n->id, conf,
				      &n->store, err);
		if (ret)
			goto err_destroy_transport;
	}
	memset(restore, 0, sizeof(*restore));
	ret = rb_store_restore(n->store, restore);
	if (ret) {
		err->msg = "cannot read the log from the disk";
		goto err_destroy_transport;
	}

	raftblk_node_options(n, &opts);
	ret = raft_create(&opts, restore, &n->raft);
	rb_store_restore_free(restore);
	if (ret) {
		err->msg = "cannot start the Raft node";
		ret = -ENOMEM;
		goto err_destroy_transport;
	}
	n->applied = restore->snap.index;
	kfree(restore);
	restore = NULL;
	ret = rb_resync_create(n->store, dev->backing, n->id, dev->name,
			       &n->rs);
	if (!ret)
		ret = rb_resync_on_open(n->rs, n->raft);
	if (ret) {
		err->msg = "cannot start the resync of an incomplete data area";
		goto err_destroy_raft;
	}
	rb_resync_set_transport(n->rs, n->tp);

	{
		struct raft_status *st = kmalloc(sizeof(*st), GFP_KERNEL);

		if (!st) {
			ret = -ENOMEM;
			err->msg = "out of memory";
			goto err_destroy_raft;
		}
		raft_get_status(n->raft, st);
		raftblk_node_sync_peers(n, &st->conf);
		raftblk_node_publish(n, st);
		kfree(st);
	}

	dev->node = n;
	dev->capacity = rb_store_data_sectors(n->store);
	dev->io_ops = &raftblk_replicated_ops;
	n->thread = kthread_run(raftblk_node_thread, n, "%s", dev->name);
	if (IS_ERR(n->thread)) {
		ret = PTR_ERR(n->thread);
		dev->node = NULL;
		dev->io_ops = &raftblk_passthrough_ops;
		err->msg = "cannot start the node thread";
		goto err_destroy_raft;
	}
	/* Pairs with smp_load_acquire() in the transport callbacks. */
	smp_store_release(&n->started, true);
	return 0;

err_destroy_raft:
	rb_resync_destroy(n->rs);
	raft_destroy(n->raft);
err_destroy_transport:
	rb_transport_destroy(n->tp);
err_close_store:
	if (n->store)
		rb_store_close(n->store);
err_free:
	kfree(restore);
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
	kthread_stop(n->thread);
	/* As net_exit: queued messages no longer hold its budget. */
	mutex_lock(&n->lock);
	mutex_lock(&n->tp_lock);
	tp = n->tp;
	n->tp = NULL;
	mutex_unlock(&n->tp_lock);
	mutex_unlock(&n->lock);
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
		raftblk_node_drop_msgs(&msgs);
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
	rb_resync_destroy(n->rs);
	raft_destroy(n->raft);
	mutex_unlock(&n->lock);
	rb_store_close(n->store);
	kfree(n);
}

/* ------------------------------------------------------------------ */
/* Administration (netlink), process context                          */

/*
 * The errno and message netlink reports for an administrative call into
 * the core. The core's errors are negative errnos already (raft/raft.h)
 * and go back as they are; a code the operation does not name (a leader
 * that removed itself: RAFT_ESHUTDOWN) is a refusal, -EINVAL. invalid:
 * the message for RAFT_EINVAL; refused: the one for a refusal.
 */
static int raftblk_node_admin_err(int ret, const char *invalid,
				  const char *refused, struct raftblk_err *err)
{
	switch (ret) {
	case 0:
		return 0;
	case RAFT_ENOTLEADER:
		err->msg = "this node is not the leader";
		return ret;
	case RAFT_EBUSY:
		err->msg = "a membership change or leader transfer is in progress";
		return ret;
	case RAFT_ENOMEM:
		err->msg = "out of memory";
		return ret;
	case RAFT_EINVAL:
		err->msg = invalid;
		return ret;
	default:
		err->msg = refused;
		return -EINVAL;
	}
}

static int raftblk_node_conf_change(struct raftblk_node *n, struct raft_conf_change *cc,
			       struct raftblk_err *err)
{
	int ret;

	mutex_lock(&n->lock);
	ret = n->frozen ? RAFT_ENOTLEADER : raft_change_conf(n->raft, cc);
	mutex_unlock(&n->lock);
	raftblk_node_kick(n);
	return raftblk_node_admin_err(ret, "invalid membership change",
				      "membership change refused", err);
}

/*
 * Add a peer: as a learner first; the node thread promotes it to voter
 * once it has caught up (see raftblk_node_promote_learners()).
 */
int raftblk_node_peer_add(struct raftblk_node *n, u32 id,
		     const struct sockaddr_storage *addr,
		     struct raftblk_err *err)
{
	struct raft_conf_change cc = {};

	if (id == 0) {
		err->msg = "node id must not be 0";
		return -EINVAL;
	}
	cc.op = RAFT_CONF_ADD_LEARNER;
	cc.id = id;
	if (rb_addr_encode(addr, cc.addr)) {
		err->msg = "bad peer address";
		return -EINVAL;
	}
	return raftblk_node_conf_change(n, &cc, err);
}

int raftblk_node_peer_remove(struct raftblk_node *n, u32 id, struct raftblk_err *err)
{
	struct raft_conf_change cc = {};

	cc.op = RAFT_CONF_REMOVE;
	cc.id = id;
	return raftblk_node_conf_change(n, &cc, err);
}

int raftblk_node_transfer_leader(struct raftblk_node *n, u32 id,
			    struct raftblk_err *err)
{
	int ret;

	mutex_lock(&n->lock);
	ret = n->frozen ? RAFT_ENOTLEADER : raft_transfer_leader(n->raft, id);
	mutex_unlock(&n->lock);
	raftblk_node_kick(n);
	return raftblk_node_admin_err(ret, "leader transfer refused",
				      "leader transfer refused", err);
}

/* Options changed online (DEVICE_SET): @o over the current ones. */
int raftblk_node_set_options(struct raftblk_node *n,
			     const struct raftblk_node_opts *o,
			     struct raftblk_err *err)
{
	u32 hb_ms, el_ms, hb, el;
	bool lease;
	int ret;

	mutex_lock(&n->lock);
	hb_ms = o->heartbeat_ms ?: n->heartbeat_ms;
	el_ms = o->election_ms ?: n->election_ms;
	lease = o->set_read_mode ? o->read_mode == RAFTBLK_READ_MODE_LEASE :
		n->lease_read;
	if (el_ms < 3 * hb_ms) {
		if (o->election_ms) {
			err->attr = RAFTBLK_ATTR_ELECTION_TIMEOUT_MS;
			err->msg = "election timeout must be at least 3 heartbeats";
		} else {
			err->attr = RAFTBLK_ATTR_HEARTBEAT_MS;
			err->msg = "heartbeat must be at most a third of the election timeout";
		}
		mutex_unlock(&n->lock);
		return -EINVAL;
	}
	hb = max(1U, hb_ms / n->tick_ms);
	el = max(hb * 3, el_ms / n->tick_ms);
	ret = raft_set_timing(n->raft, hb, el, lease);
	if (!ret) {
		n->heartbeat_ms = hb_ms;
		n->election_ms = el_ms;
		if (o->max_batch)
			n->max_batch = o->max_batch;
		n->lease_read = lease;
		raftblk_node_publish_options(n);
	}
	mutex_unlock(&n->lock);
	if (ret) {
		err->attr = 0;
		err->msg = "the Raft core refused the timers";
		return -EINVAL;
	}
	return 0;
}

void raftblk_node_read_status(struct raftblk_node *n,
			      struct raftblk_node_status *out)
{
	struct rb_transport_peer_info *pi;
	struct rb_transport_stats ts;
	int np = 0;
	u32 i, j;

	pi = kcalloc(RAFT_MAX_NODES, sizeof(*pi), GFP_KERNEL);
	spin_lock(&n->pub_spin);
	*out = n->pub;
	spin_unlock(&n->pub_spin);

	memset(&ts, 0, sizeof(ts));
	mutex_lock(&n->tp_lock);
	if (n->tp) {
		if (pi)
			np = min(rb_transport_peers(n->tp, pi, RAFT_MAX_NODES),
				 RAFT_MAX_NODES);
		rb_transport_get_stats(n->tp, &ts);
	}
	mutex_unlock(&n->tp_lock);
	out->bytes_sent = ts.bytes_sent;
	out->bytes_received = ts.bytes_received;
	out->bad_frames = ts.bad_frames;
	out->reconnects = ts.reconnects;
	out->rx_bytes = ts.rx_bytes;
	out->rx_bytes_peak = ts.rx_bytes_peak;
	out->rx_paused = ts.rx_paused;
	/* The transport's view also tells a peer being dialled. */
	for (i = 0; pi && i < out->n_peers; i++) {
		struct raftblk_node_peer *p = &out->peers[i];

		p->conn = RAFTBLK_PEER_STATE_DISCONNECTED;
		for (j = 0; j < np; j++) {
			if (pi[j].id != p->id)
				continue;
			if (pi[j].state[0] == RB_CONN_UP)
				p->conn = RAFTBLK_PEER_STATE_CONNECTED;
			else if (pi[j].state[0] == RB_CONN_CONNECTING)
				p->conn = RAFTBLK_PEER_STATE_CONNECTING;
		}
	}
	kfree(pi);
}

sector_t raftblk_node_data_sector(struct raftblk_node *n)
{
	return rb_store_data_sector(n->store);
}

static bool raftblk_node_may_open_write(struct raftblk_dev *dev)
{
	return READ_ONCE(dev->node->role) == RAFT_LEADER;
}

static void raftblk_node_get_status(struct raftblk_dev *dev,
				    struct raftblk_node_status *st)
{
	raftblk_node_read_status(dev->node, st);
}

/*
 * The namespace the sockets live in is going away: close them all. The
 * node goes on without a network (it cannot be elected or replicate)
 * until it is destroyed.
 */
static void raftblk_node_net_exit(struct raftblk_dev *dev)
{
	struct raftblk_node *n = dev->node;
	struct rb_transport *tp;

	mutex_lock(&n->lock);
	mutex_lock(&n->tp_lock);
	tp = n->tp;
	n->tp = NULL;
	rb_resync_set_transport(n->rs, NULL);
	mutex_unlock(&n->tp_lock);
	mutex_unlock(&n->lock);
	if (tp)
		rb_transport_destroy(tp);
}

const struct raftblk_io_ops raftblk_replicated_ops = {
	.role = RAFTBLK_ROLE_FOLLOWER,
	/* A write is one log record: at most RAFTBLK_PL_MAX_DATA bytes. */
	.max_sectors = RAFTBLK_PL_MAX_DATA >> SECTOR_SHIFT,
	/* A discard/write-zeroes entry covers at most 1 GiB. */
	.max_nodata_sectors = RAFTBLK_PL_MAX_LEN >> SECTOR_SHIFT,
	.submit = raftblk_node_submit,
	.may_open_write = raftblk_node_may_open_write,
	.net_exit = raftblk_node_net_exit,
	.get_status = raftblk_node_get_status,
};
