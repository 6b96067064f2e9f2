/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftblk: counters and latency histograms of the requests a device
 * completes (RAFTBLK_ATTR_IO_STATS, `raftctl metrics`).
 */
#ifndef _RAFTBLK_IO_STATS_H
#define _RAFTBLK_IO_STATS_H

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/raftblk.h>

#define RAFTBLK_IO_OPS		(RAFTBLK_IO_OP_DISCARD + 1)

/* One kind of request (enum raftblk_io_op). */
struct raftblk_io_op_stats {
	atomic64_t count;
	atomic64_t errors;
	atomic64_t bytes;
	atomic64_t latency_sum;		/* ns */
	atomic64_t latency[RAFTBLK_IO_LATENCY_BUCKETS];
};

/*
 * Lock-free: every field is an atomic updated at completion. A reader may
 * see one request counted in some fields and not yet in others.
 */
struct raftblk_io_stats {
	struct raftblk_io_op_stats op[RAFTBLK_IO_OPS];
};

/* A copy of one kind's counters, for netlink. */
struct raftblk_io_op_snapshot {
	u64 count, errors, bytes, latency_sum;
	u64 latency[RAFTBLK_IO_LATENCY_BUCKETS];
};

/* Count @rq, started at @start_ns (ktime_get_ns()), completing now. */
void raftblk_io_stats_account(struct raftblk_io_stats *s,
			      struct request *rq, u64 start_ns,
			      blk_status_t status);
void raftblk_io_stats_read(struct raftblk_io_stats *s,
			   enum raftblk_io_op op,
			   struct raftblk_io_op_snapshot *out);
/* Bucket of a latency of @ns nanoseconds (exposed for the selftests). */
unsigned int raftblk_io_latency_bucket(u64 ns);

#endif /* _RAFTBLK_IO_STATS_H */
