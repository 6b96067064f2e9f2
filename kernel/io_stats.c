// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: counters and latency histograms of completed requests.
 *
 * blkdev.c stamps each request when blk-mq hands it over and accounts it
 * here when it completes, whatever the io_ops did with it: the latency is
 * what the submitter of the request sees, minus blk-mq's own queueing.
 */
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include "io_stats.h"

unsigned int raftblk_io_latency_bucket(u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);

	/* 0 us: bucket 0; [2^(i-1), 2^i) us: bucket i; the last: the rest. */
	if (!us)
		return 0;
	return min_t(unsigned int, ilog2(us) + 1,
		     RAFTBLK_IO_LATENCY_BUCKETS - 1);
}

static int raftblk_io_op_of(struct request *rq)
{
	switch (req_op(rq)) {
	case REQ_OP_READ:
		return RAFTBLK_IO_OP_READ;
	case REQ_OP_WRITE:
		return RAFTBLK_IO_OP_WRITE;
	case REQ_OP_FLUSH:
		return RAFTBLK_IO_OP_FLUSH;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		return RAFTBLK_IO_OP_DISCARD;
	default:
		return -1;
	}
}

void raftblk_io_stats_account(struct raftblk_io_stats *s,
			      struct request *rq, u64 start_ns,
			      blk_status_t status)
{
	int op = raftblk_io_op_of(rq);
	struct raftblk_io_op_stats *o;
	u64 now = ktime_get_ns();
	u64 ns = now > start_ns ? now - start_ns : 0;

	if (op < 0)
		return;
	o = &s->op[op];
	atomic64_inc(&o->count);
	if (status != BLK_STS_OK)
		atomic64_inc(&o->errors);
	if (op != RAFTBLK_IO_OP_FLUSH)
		atomic64_add(blk_rq_bytes(rq), &o->bytes);
	atomic64_add(ns, &o->latency_sum);
	atomic64_inc(&o->latency[raftblk_io_latency_bucket(ns)]);
}

void raftblk_io_stats_read(struct raftblk_io_stats *s,
			   enum raftblk_io_op op,
			   struct raftblk_io_op_snapshot *out)
{
	struct raftblk_io_op_stats *o = &s->op[op];
	unsigned int i;

	out->count = atomic64_read(&o->count);
	out->errors = atomic64_read(&o->errors);
	out->bytes = atomic64_read(&o->bytes);
	out->latency_sum = atomic64_read(&o->latency_sum);
	for (i = 0; i < RAFTBLK_IO_LATENCY_BUCKETS; i++)
		out->latency[i] = atomic64_read(&o->latency[i]);
}
