/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.h - random schedules: one seeded run of a simulated cluster with
 * faults of one class, then a heal phase that checks liveness.
 */
#ifndef RAFTSIM_SCHED_H
#define RAFTSIM_SCHED_H

#include "sim.h"

enum sched_class {
	SC_LOSSY,		/* drop, duplicate, delay, reorder */
	SC_PARTITION,		/* symmetric, asymmetric, partial cuts */
	SC_CRASH,		/* crash / restart, slow disks */
	SC_DISK,		/* slow and failing log writes, crashes */
	SC_MEMBERSHIP,		/* learners, promote, remove, transfer */
	SC_SNAPSHOT,		/* compaction, lagging followers */
	SC_CHURN,		/* leaders crash or get cut off right after
				 * election, entries trickle: Figure 8 land */
	SC_MIXED,		/* all of the above */
	SC_STALE_HEAL,		/* a leader cut off with entries it alone
				 * has; a new leader commits; heal under
				 * loss; every node converges, no new write
				 */
	SC_N,
};

extern const char *const sched_class_names[SC_N];

struct sched_opts {
	u64 max_steps;		/* chaos-phase events, 0 = by time only */
	bool rule_checks;
	FILE *log;		/* verbose event log */
};

struct sched_result {
	bool failed;
	char why[1024];
	u64 sim_us;		/* simulated time */
	u64 events;
	u64 acked;
	u64 reads;
	u64 reads_direct;	/* of them, served from the published lease */
	u64 leaders;		/* terms that had a leader */
	u64 digest;		/* fingerprint of the whole event history */
	u64 resyncs;		/* data-area copies started */
	u64 chunks;		/* extents received */
	u64 apply_lags;		/* batches applied in part (kernel style) */
};

/* Nodes and class of a seed (when not forced). */
u32 sched_seed_nodes(u64 seed);
u32 sched_seed_class(u64 seed);
/* Print the running schedule's seed and trace if the process dies. */
void sched_install_crash_report(void);
/* Run one schedule; on failure print the trace to trace_out. */
void sched_run(u64 seed, u32 nodes, u32 cls, const struct sched_opts *o,
	       struct sched_result *res, FILE *trace_out);

#endif /* RAFTSIM_SCHED_H */
