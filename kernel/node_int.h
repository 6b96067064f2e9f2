/* SPDX-License-Identifier: GPL-2.0 */
/*
 * node_int.h - the node driver's internals, shared by its files only
 * (never include it elsewhere; node.h is the node's interface):
 *
 *   node.c         the thread loop, the core's ready/advance, compaction,
 *                  start and stop
 *   node_io.c      block requests in, completions out, read barriers
 *                  (the replicated io_ops)
 *   node_peers.c   the transport's callbacks, peer list sync, learner
 *                  promotion
 *   node_status.c  the published status snapshot
 *   node_disk.c    backing disk failures: retry, give up, hand over
 *   node_admin.c   operations from netlink
 *   node_promote.c who may open the device for writing: auto-promote
 *   node_snaprep.c what each node holds of each snapshot: reports
 */
#ifndef RAFTBLK_NODE_INT_H
#define RAFTBLK_NODE_INT_H

#include <linux/blk-mq.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "raftblk.h"
#include "node.h"
#include "payload.h"
#include "log_store.h"
#include "transport.h"
#include "resync.h"
#include "verify.h"

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
	u64 barrier_ns;		/* when have_index was set (io_stats) */
	struct list_head rqs;
};

/* One ready batch being carried out (raftblk_node_handle_ready()). */
struct raftblk_node_batch {
	struct raft_ready rd;
	struct raft_advance adv;
	/* Empty snapshots sent, reported once the batch is advanced. */
	raft_id snap_to[RAFT_MAX_NODES];
	bool snap_ok[RAFT_MAX_NODES];
	u32 n_snap;
	/* Applying committed[first..n_early) while the log is written. */
	struct rb_apply ap;
	u32 first;		/* 1: committed[0] was zeroed, or its snapshot
				 * taken, in the background
				 */
	u32 n_early;		/* committed entries already in the log */
	u32 done;		/* committed entries applied */
	int log_err;		/* of the log append / hard state write */
	int apply_err;		/* of the data area */
	bool blocked;		/* applying cannot go on now */
	bool inflight;		/* ... because a chain of data writes is in
				 * flight (raftblk_node_apply_check())
				 */
	bool conf_changed;
};

/* Entries one chain of data-area writes covers at most. */
#define RAFTBLK_NODE_APPLY_MAX	4096

/*
 * A chain of data-area writes in flight (node.c): the node thread submits
 * it and goes on; its completion (bio end_io, any context) sets err and
 * finished (store-release) and wakes the thread, which takes it in a
 * later batch, where the core hands the entries out again. Everything
 * but err/finished/end_ns belongs to the node thread; those three are the
 * completion's between the submit and the release of finished.
 */
struct raftblk_node_apply {
	raft_index index, last;		/* the entries it applies ... */
	raft_term term, last_term;
	u32 n;				/* ... n of them */
	/* References to their payloads, held while the writes are out. */
	struct raft_payload **pl;
	u32 n_pl;
	u64 start_ns, end_ns;
	int err;
	bool busy;			/* submitted, not taken yet */
	bool finished;
	bool ever;			/* one was submitted (stop waits) */
};

/*
 * A node's snapshot report as it came to this node (node_snaprep.c): from
 * that node (on the leader), or relayed by the leader (on a follower).
 */
struct raftblk_node_srep_peer {
	u32 id;				/* 0: a free slot */
	u8 *buf;			/* the report, len bytes */
	u32 len;
	unsigned long heard;		/* jiffies: when it came */
	u32 via;			/* relayed by this leader */
	u64 lead_heard_ms;		/* its age at the leader then */
};

/* What the leader last relayed to one follower (node thread only). */
struct raftblk_node_srep_sent {
	u32 id;				/* 0: a free slot */
	u64 gen;			/* of what it held then */
	unsigned long at;		/* jiffies */
};

struct raftblk_node_srep {
	/*
	 * lock protects own, own_len, own_at, seq, held, relay and peers
	 * (taken by netlink and the node thread, never across a sleep).
	 */
	spinlock_t lock;
	u8 *own;			/* raftctl's report, NULL: none yet */
	u32 own_len;
	unsigned long own_at;		/* jiffies: when it came */
	u64 seq;			/* bumped on every change of ours */
	u64 held;			/* bumped on every report taken */
	struct raftblk_node_srep_peer relay[RAFT_MAX_NODES];
	struct raftblk_node_srep_peer peers[RAFT_MAX_NODES];
	/* Our report sent to the leader (node thread only). */
	u64 sent_seq;
	u32 sent_to;
	unsigned long sent_at;		/* jiffies */
	/* On the leader: what it relayed to each follower (node thread). */
	struct raftblk_node_srep_sent rsent[RAFT_MAX_NODES];
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
	/* Writes proposed, in index order, waiting to be committed. */
	struct list_head proposed;
	/*
	 * Data bytes of the entries this leader proposed in unapplied_term
	 * and has not applied yet (completed or not), and the most it lets
	 * wait before it proposes more (1/4 of the log ring, and at most
	 * log_memory). Node thread.
	 */
	u64 unapplied_bytes;
	u64 max_unapplied_bytes;
	raft_term unapplied_term;
	/* Read barriers waiting for their read state / apply. */
	struct list_head reads_waiting;
	u64 next_read_ctx;
	/*
	 * Applied to the data area: written by the node thread (and the
	 * start) after smp_wmb(), read locklessly with smp_rmb() after by
	 * queue_rq's lease reads.
	 */
	raft_index applied;
	/*
	 * The lease the core last answered with (raft_read_lease_end()),
	 * for reads served in queue_rq without the node thread
	 * (node_io.c): end 0 when withdrawn. lease_seq is a seqcount whose
	 * writers hold lock (the node thread, admin calls, the stop);
	 * readers (queue_rq) never take lock, they retry while a write is
	 * in progress.
	 */
	seqcount_mutex_t lease_seq;
	struct raft_lease_info lease;
	/* Reads served in queue_rq, and by the node thread (any context). */
	atomic64_t reads_direct;
	atomic64_t reads_thread;
	raft_index compacted;		/* log compacted up to here */
	unsigned long commit_sync_at;	/* next rb_store_save_commit() */
	/*
	 * Payload bytes the in-memory log may keep beyond what this node
	 * still has to apply (read locklessly by the node thread).
	 */
	u64 log_memory;
	/* The most the in-memory log held, and compactions the budget
	 * forced past what a member had (node thread).
	 */
	u64 log_bytes_peak;
	u64 mem_compactions;
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

	/*
	 * Auto-promote (node_promote.c). auto_promote and promote_ms are
	 * options (written under lock, read locklessly by openers);
	 * transferring: this leader is handing leadership over (node
	 * thread and admin, under lock; read locklessly). promote_cookie
	 * names the ask of the opener waiting for this node to lead (at
	 * most one: the disk's open_mutex serializes opens; 0: none) and
	 * promote_err is the leader's refusal of it: both under in_lock.
	 * promote_wq wakes that opener on a refusal and when the node
	 * becomes leader.
	 */
	bool auto_promote;
	u32 promote_ms;
	bool transferring;
	u64 promote_cookie;
	int promote_err;
	wait_queue_head_t promote_wq;

	/* Proposal batch being built (node thread only). */
	struct raft_entry batch_ents[RAFTBLK_NODE_MAX_BATCH];
	struct raftblk_rq *batch_rqs[RAFTBLK_NODE_MAX_BATCH];
	/* Scratch for the core's status (node thread, under lock). */
	struct raft_status st_buf;
	/* The ready batch being carried out (node thread, under lock). */
	struct raftblk_node_batch batch;
	/* Copies of the data area sent and received (under lock). */
	struct rb_resync *rs;
	/* Online verify: hashes made, sent and compared (under lock). */
	struct rb_verify *vf;

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
	bool zero_kick;			/* set by a completion (zeroing,
					 * snapshot, resync read, data
					 * writes): wake up
					 */
	/* The data writes of applied entries in flight (node.c). */
	struct raftblk_node_apply aio;
	/*
	 * A snapshot entry carried out in the background (node_snap.c):
	 * snap_cmd and snap_busy belong to the node thread, and to
	 * snap_work while it runs (between queue_work() and the release of
	 * snap_finished, which it sets with snap_result and a zero_kick).
	 */
	struct work_struct snap_work;
	struct raftblk_snap_cmd snap_cmd;
	u8 snap_result;			/* enum raftblk_snapshot_result */
	bool snap_busy;
	bool snap_finished;
	bool snap_ever;			/* one was queued (stop waits) */
	/* The last one applied (node thread, copied into pub). */
	struct raftblk_node_snap snap_last;
	/*
	 * The last log index when the device started: snapshot entries up
	 * to it are replays (node thread; raftblk_snap_cmd.replay).
	 */
	raft_index replay_upto;
	/* The last copy installed (node thread; rb_store_copy_index()). */
	raft_index copy_index;
	/* Snapshot reports (node_snaprep.c). */
	struct raftblk_node_srep srep;
	/* The COW pool, and the data area's dm device (fixed once open). */
	char snap_pool[RAFTBLK_PATH_MAXLEN + 1];
	struct block_device *snap_data;
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
	/*
	 * Peers whose connection is up, and of those the silent ones, as
	 * the transport last reported (pub_lock).
	 */
	u32 n_conn_up;
	u32 conn_up[RAFT_MAX_NODES];
	u32 n_conn_silent;		/* of conn_up, those silent */
	u32 conn_silent[RAFT_MAX_NODES];
	/*
	 * pub shows a log or hard-state write in flight (under pub_lock and
	 * pub_spin); wait_work publishes it once it lasts.
	 */
	bool io_wait;
	struct delayed_work wait_work;
	/*
	 * tp_lock keeps tp alive for status readers (who never take lock);
	 * net_exit clears tp under both lock and tp_lock, then waits for
	 * an RCU grace period before destroying it: the block submitter
	 * reads tp under rcu_read_lock() only (node_tag_payload()).
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

/* node.c: the default budget of the in-memory log (node.h) */
u64 raftblk_node_log_memory_default(void);

/* node_io.c */
void raftblk_node_fail_list(struct list_head *head, blk_status_t status);
void raftblk_node_kick(struct raftblk_node *n);
void raftblk_node_propose(struct raftblk_node *n, struct list_head *writes);
void raftblk_node_start_reads(struct raftblk_node *n, struct list_head *reads);
void raftblk_node_serve_reads(struct raftblk_node *n);
void raftblk_node_read_states(struct raftblk_node *n, const struct raft_ready *rd);
/* The proposed writes now committed (in @rd), or durable up to @index. */
void raftblk_node_stamp_committed(struct raftblk_node *n,
				  const struct raft_ready *rd);
void raftblk_node_stamp_durable(struct raftblk_node *n, raft_index index);
void raftblk_node_complete_writes(struct raftblk_node *n,
				    const struct raft_ready *rd);
void raftblk_node_applied(struct raftblk_node *n, const struct raft_ready *rd,
			  u32 done);
/* The lease for queue_rq: published from the core, or withdrawn. */
void raftblk_node_lease_publish(struct raftblk_node *n);
void raftblk_node_lease_withdraw(struct raftblk_node *n);

/* node_peers.c */
extern const struct rb_transport_ops raftblk_node_tp_ops;
void raftblk_node_sync_peers(struct raftblk_node *n, const struct raft_conf *c);
bool raftblk_node_conf_has(const struct raft_conf *c, u32 id, u8 role);
void raftblk_node_promote_learners(struct raftblk_node *n);
void raftblk_node_net_exit(struct raftblk_dev *dev);

/* node_status.c */
void raftblk_node_call_publish(struct raftblk_node *n);
void raftblk_node_publish(struct raftblk_node *n,
			  const struct raft_status *st);
void raftblk_node_publish_options(struct raftblk_node *n);
void raftblk_node_io_wait(struct raftblk_node *n, u8 waiting, u64 index);
void raftblk_node_io_wait_end(struct raftblk_node *n);
void raftblk_node_wait_work(struct work_struct *work);
void raftblk_node_publish_silent(struct raftblk_node *n, u32 id,
				 bool silent, u32 heard_ms);
void raftblk_node_publish_conn(struct raftblk_node *n, u32 id,
			       bool up);
void raftblk_node_get_status(struct raftblk_dev *dev,
			     struct raftblk_node_status *st);

/* node_admin.c */
int raftblk_node_admin_err(int ret, const char *busy, const char *invalid,
			   const char *refused, struct raftblk_err *err);

/* node_snap.c */
int raftblk_node_snap_attach(struct raftblk_node *n,
			     const struct raftblk_node_params *p,
			     struct raftblk_err *err);
void raftblk_node_snap_detach(struct raftblk_node *n);
int raftblk_node_propose_result(int ret, const struct raft_entry *e,
				u64 *index, u64 *term, const char *refused,
				struct raftblk_err *err);
void raftblk_node_snap_start(struct raftblk_node *n,
			     const struct raft_entry *e);
void raftblk_node_snap_check(struct raftblk_node *n,
			     const struct raft_ready *rd, u32 *first,
			     bool *blocked);
void raftblk_node_snap_stop(struct raftblk_node *n);
bool raftblk_node_resync_requested(struct raftblk_node *n,
				   struct raft_msg *m);

/* node_snaprep.c */
void raftblk_node_snaprep_init(struct raftblk_node *n);
void raftblk_node_snaprep_free(struct raftblk_node *n);
void raftblk_node_snaprep_changed(struct raftblk_node *n);
void raftblk_node_snaprep_tick(struct raftblk_node *n);
bool raftblk_node_snaprep_recv(struct raftblk_node *n, struct raft_msg *m);
void raftblk_node_snaprep_prune(struct raftblk_node *n);

/* node_promote.c */
int raftblk_node_open_write(struct raftblk_node *n);
bool raftblk_node_promote_recv(struct raftblk_node *n, struct raft_msg *m);
void raftblk_node_promote_role(struct raftblk_node *n, u8 role,
			       raft_id transferee);

/* node_disk.c */
bool raftblk_node_is_disk_error(int err);
void raftblk_node_disk_ok(struct raftblk_node *n, int area);
void raftblk_node_freeze(struct raftblk_node *n);
void raftblk_node_disk_error(struct raftblk_node *n, int area, int err);

#endif /* RAFTBLK_NODE_INT_H */
