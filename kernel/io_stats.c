// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: counters and latency histograms of completed requests.
 *
 * blkdev.c stamps each request when blk-mq hands it over and accounts it
 * here when it completes, whatever the io_ops did with it: the latency is
 * what the submitter of the request sees, minus blk-mq's own queueing.
 * The replicated io_ops stamp the points between (struct
 * raftblk_io_stamps); a request that succeeded adds the time between
 * them to its phases. The node times its batches' log appends and data
 * waits itself (raftblk_io_stats_phase()).
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

static void raftblk_io_hist_add(struct raftblk_io_op_stats *o, u64 ns)
{
	atomic64_inc(&o->count);
	atomic64_add(ns, &o->latency_sum);
	atomic64_inc(&o->latency[raftblk_io_latency_bucket(ns)]);
}

void raftblk_io_stats_phase(struct raftblk_io_stats *s,
			    enum raftblk_io_phase phase, u64 ns)
{
	raftblk_io_hist_add(&s->phase[phase], ns);
}

/* FROM -> TO into PHASE, when both points were passed in that order. */
static void raftblk_io_span(struct raftblk_io_stats *s,
			    enum raftblk_io_phase phase, u64 from, u64 to)
{
	if (from && to >= from)
		raftblk_io_stats_phase(s, phase, to - from);
}

static void raftblk_io_phases(struct raftblk_io_stats *s, int op,
			      const struct raftblk_io_stamps *t, u64 now)
{
	if (op == RAFTBLK_IO_OP_WRITE && t->proposed_ns) {
		raftblk_io_span(s, RAFTBLK_IO_PHASE_WRITE_COPY, t->start_ns,
				t->in_ns);
		raftblk_io_span(s, RAFTBLK_IO_PHASE_WRITE_QUEUE, t->in_ns,
				t->proposed_ns);
		raftblk_io_span(s, RAFTBLK_IO_PHASE_WRITE_LOG, t->proposed_ns,
				t->durable_ns);
		raftblk_io_span(s, RAFTBLK_IO_PHASE_WRITE_COMMIT,
				t->proposed_ns, t->committed_ns);
		raftblk_io_span(s, RAFTBLK_IO_PHASE_WRITE_APPLY,
				t->committed_ns, now);
	} else if (op == RAFTBLK_IO_OP_READ && t->barrier_ns) {
		raftblk_io_span(s, RAFTBLK_IO_PHASE_READ_BARRIER, t->start_ns,
				t->barrier_ns);
		raftblk_io_span(s, RAFTBLK_IO_PHASE_READ_DATA, t->barrier_ns,
				now);
	}
}

void raftblk_io_stats_account(struct raftblk_io_stats *s,
			      struct request *rq,
			      const struct raftblk_io_stamps *t,
			      blk_status_t status)
{
	int op = raftblk_io_op_of(rq);
	struct raftblk_io_op_stats *o;
	u64 now = ktime_get_ns();

	if (op < 0)
		return;
	o = &s->op[op];
	if (status != BLK_STS_OK)
		atomic64_inc(&o->errors);
	else
		raftblk_io_phases(s, op, t, now);
	if (op != RAFTBLK_IO_OP_FLUSH)
		atomic64_add(blk_rq_bytes(rq), &o->bytes);
	raftblk_io_hist_add(o, now > t->start_ns ? now - t->start_ns : 0);
}

static void raftblk_io_snapshot(struct raftblk_io_op_stats *o,
				struct raftblk_io_op_snapshot *out)
{
	unsigned int i;

	out->count = atomic64_read(&o->count);
	out->errors = atomic64_read(&o->errors);
	out->bytes = atomic64_read(&o->bytes);
	out->latency_sum = atomic64_read(&o->latency_sum);
	for (i = 0; i < RAFTBLK_IO_LATENCY_BUCKETS; i++)
		out->latency[i] = atomic64_read(&o->latency[i]);
}

void raftblk_io_stats_read(struct raftblk_io_stats *s,
			   enum raftblk_io_op op,
			   struct raftblk_io_op_snapshot *out)
{
	raftblk_io_snapshot(&s->op[op], out);
}

void raftblk_io_stats_read_phase(struct raftblk_io_stats *s,
				 enum raftblk_io_phase phase,
				 struct raftblk_io_op_snapshot *out)
{
	raftblk_io_snapshot(&s->phase[phase], out);
}
