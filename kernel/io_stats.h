/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftblk: counters and latency histograms of the requests a device
 * completes, and of the phases of their lives (RAFTBLK_ATTR_IO_STATS,
 * RAFTBLK_ATTR_IO_PHASE; `raftctl metrics`).
 */
#ifndef _RAFTBLK_IO_STATS_H
#define _RAFTBLK_IO_STATS_H

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/raftblk.h>

#define RAFTBLK_IO_OPS		(RAFTBLK_IO_OP_DISCARD + 1)
#define RAFTBLK_IO_PHASES	(RAFTBLK_IO_PHASE_APPLY_WAIT + 1)

/* One kind of request (enum raftblk_io_op), or one phase. */
struct raftblk_io_op_stats {
	atomic64_t count;
	atomic64_t errors;		/* kinds of request only */
	atomic64_t bytes;		/* kinds of request only */
	atomic64_t latency_sum;		/* ns */
	atomic64_t latency[RAFTBLK_IO_LATENCY_BUCKETS];
};

/*
 * Lock-free: every field is an atomic updated at completion. A reader may
 * see one request counted in some fields and not yet in others.
 */
struct raftblk_io_stats {
	struct raftblk_io_op_stats op[RAFTBLK_IO_OPS];
	struct raftblk_io_op_stats phase[RAFTBLK_IO_PHASES];
};

/*
 * When a request passed each point of its life (ktime_get_ns(), 0: not
 * passed). Set by blkdev.c (start) and the replicated io_ops (the rest),
 * read when the request completes.
 */
struct raftblk_io_stamps {
	u64 start_ns;		/* blk-mq handed it to queue_rq */
	u64 in_ns;		/* queued for the node thread */
	u64 proposed_ns;	/* a write: proposed to the core */
	u64 durable_ns;		/* a write: durable in this node's log */
	u64 committed_ns;	/* a write: committed */
	u64 barrier_ns;		/* a read: its read index confirmed */
};

/* A copy of one kind's (or phase's) counters, for netlink. */
struct raftblk_io_op_snapshot {
	u64 count, errors, bytes, latency_sum;
	u64 latency[RAFTBLK_IO_LATENCY_BUCKETS];
};

/* Count @rq, stamped @t, completing now with @status. */
void raftblk_io_stats_account(struct raftblk_io_stats *s,
			      struct request *rq,
			      const struct raftblk_io_stamps *t,
			      blk_status_t status);
/* Count @ns spent in @phase. */
void raftblk_io_stats_phase(struct raftblk_io_stats *s,
			    enum raftblk_io_phase phase, u64 ns);
void raftblk_io_stats_read(struct raftblk_io_stats *s,
			   enum raftblk_io_op op,
			   struct raftblk_io_op_snapshot *out);
void raftblk_io_stats_read_phase(struct raftblk_io_stats *s,
				 enum raftblk_io_phase phase,
				 struct raftblk_io_op_snapshot *out);
/* Bucket of a latency of @ns nanoseconds. */
unsigned int raftblk_io_latency_bucket(u64 ns);

#endif /* _RAFTBLK_IO_STATS_H */
