/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture.h - a few Raft nodes wired together in memory for unit tests:
 * messages wait in a network queue until a test delivers them; each node
 * has a "disk" (hard state, snapshot meta, log) so it can crash and
 * restart from what it persisted.
 */
#ifndef RAFT_UNIT_FIXTURE_H
#define RAFT_UNIT_FIXTURE_H

#include "raft.h"

#define FX_MAX 8
/* Every node's clock advances this much per fx_tick() (1 ms). */
#define FX_TICK_NS 1000000ULL

struct fx_applied {
	raft_index index;
	raft_term term;
	u8 type;
	char data[32];
};

struct fx_node {
	raft_id id;
	struct raft *r;
	struct raft_options opts;
	bool up;
	/* durable state */
	struct raft_hard_state hs;
	struct raft_snapshot_meta snap;
	struct raft_entry *log;		/* entries after snap.index */
	u32 n_log;
	/* state machine */
	struct fx_applied *applied;
	u32 n_applied;
	raft_index applied_index;
	/* every write fails (persist_failed) */
	bool disk_broken;
	/* writes land on the disk but completion is not reported to the
	 * core until fx_report_persisted()
	 */
	bool defer_persist;
	/* a snapshot handed out is never reported installed (what the
	 * kernel did before it could ship the data area); the hard state
	 * still is persisted
	 */
	bool snap_stall;
	raft_index snap_base;		/* of the last snapshot handed out */
	struct raft_snapshot_meta stalled;	/* ... and its meta */
	/* applying this index fails once (the rest of the batch too) */
	raft_index apply_fail_at;
	/* monotonic clock given to raft_set_now(), ns; runs on across a
	 * restart (it is the machine's)
	 */
	u64 clock_ns;
	/* gather read states */
	struct raft_read_state reads[64];
	u32 n_reads;
};

struct fx {
	u32 n;
	struct fx_node nodes[FX_MAX];	/* node i has id i + 1 */
	struct raft_msg *net;
	u32 n_net, cap_net;
	bool cut[FX_MAX + 1][FX_MAX + 1];	/* drop from -> to */
	u32 sent[RAFT_MSG_TYPE_MAX + 1];	/* by type, since reset */
	struct raft_msg last_snap;		/* last SNAPSHOT sent */
	u32 dropped;
};

/* n nodes; the first n_voters are bootstrapped voters, the others blank.
 * opts_fn (may be NULL) adjusts each node's options.
 */
void fx_init(struct fx *f, u32 n, u32 n_voters,
	     void (*opts_fn)(struct raft_options *o));
void fx_fini(struct fx *f);
struct fx_node *fx_node(struct fx *f, raft_id id);
struct raft *fx_raft(struct fx *f, raft_id id);

/* Run one ready/advance cycle on node id (persist, queue msgs, apply). */
bool fx_ready(struct fx *f, raft_id id);
/* Ready cycles on every node until none has work. */
void fx_ready_all(struct fx *f);
/* A stalled install (snap_stall) completes now: installed and reported,
 * as the kernel does when the last chunk of the copy is in.
 */
void fx_finish_install(struct fx *f, raft_id id);
/* Report the stored log as durable (index/term of its last entry). */
void fx_report_persisted(struct fx *f, raft_id id);
/* Deliver every queued message once (new ones stay queued). */
u32 fx_deliver(struct fx *f);
/* Deliver only queued messages to / from one node (0 = any). */
u32 fx_deliver_filter(struct fx *f, raft_id from, raft_id to, int type);
/* Drop queued messages matching (0 / -1 = any). */
u32 fx_drop(struct fx *f, raft_id from, raft_id to, int type);
/* ready + deliver until quiet; returns rounds used. */
u32 fx_stabilize(struct fx *f);
void fx_tick(struct fx *f, raft_id id, u32 n);
void fx_tick_all(struct fx *f, u32 n);
/* The node's thread stalls: its clock runs ns on, no tick is counted
 * (the next fx_tick() shows the core the gap).
 */
void fx_stall(struct fx *f, raft_id id, u64 ns);
/* campaign on id and stabilize */
void fx_elect(struct fx *f, raft_id id);
raft_id fx_leader(struct fx *f);
int fx_propose(struct fx *f, raft_id id, const char *data);
void fx_isolate(struct fx *f, raft_id id, bool cut);
void fx_partition(struct fx *f, const raft_id *side, u32 n_side);
void fx_heal(struct fx *f);
void fx_crash(struct fx *f, raft_id id);
void fx_restart(struct fx *f, raft_id id);
u32 fx_count_queued(struct fx *f, int type);
void fx_reset_counts(struct fx *f);
/* The applied sequences of all nodes agree (prefixes of each other). */
bool fx_applied_agree(struct fx *f);
bool fx_has_applied(struct fx *f, raft_id id, const char *data);

#endif /* RAFT_UNIT_FIXTURE_H */
