/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim.h - a simulated raftblk cluster around the consensus core.
 *
 * The cluster model (cluster.c) owns the nodes: each has a raft core, a
 * simulated disk that holds only what was made durable and reported, an
 * in-memory state machine (a small block array) and a "shadow" of the log
 * the core asked it to persist. The model carries out ready batches the
 * way raft.h prescribes and runs the invariant checker (check.c) on
 * everything it sees. How messages travel and when time passes is the
 * driver's business: raftsim.c (random schedules on an event queue),
 * raftscript.c (interaction scripts, FIFO mailboxes), the fuzzer and the
 * benchmark each plug in their own network through sim_cluster.net_send.
 */
#ifndef RAFTSIM_SIM_H
#define RAFTSIM_SIM_H

#include <stdio.h>
#include "raft.h"

#define SIM_MAX_NODES	12	/* node ids 1..SIM_MAX_NODES */
#define SIM_BLOCKS	8	/* blocks of the simulated device */
#define SIM_PAYLOAD_LEN	16	/* payload: block (u64 LE), write id (u64 LE) */
#define SIM_MAX_SNAPS	4	/* snapshots a node keeps for sending */
#define SIM_EXT_BLOCKS	2	/* blocks per extent (the resync unit) */
#define SIM_EXTENTS	(SIM_BLOCKS / SIM_EXT_BLOCKS)

/* ------------------------------------------------------------------ */
/* Deterministic PRNG (splitmix64 seeded xorshift*)                   */

struct sim_rng {
	u64 s;
};

static inline u64 sim_rng_next(struct sim_rng *g)
{
	u64 z = (g->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (n > 0) */
static inline u64 sim_rng_below(struct sim_rng *g, u64 n)
{
	return n ? sim_rng_next(g) % n : 0;
}

/* true with probability ppm / 1e6 */
static inline bool sim_rng_ppm(struct sim_rng *g, u32 ppm)
{
	return sim_rng_below(g, 1000000) < ppm;
}

/* uniform in [lo, hi] */
static inline u64 sim_rng_range(struct sim_rng *g, u64 lo, u64 hi)
{
	return hi <= lo ? lo : lo + sim_rng_below(g, hi - lo + 1);
}

/* ------------------------------------------------------------------ */
/* State machine, logs, snapshots                                     */

/* The replicated "device": block -> (write id, index of that write). */
struct sim_sm {
	u64 wid[SIM_BLOCKS];
	raft_index widx[SIM_BLOCKS];
	raft_index applied;
	/* per extent: index of the last write applied to it (the kernel's
	 * extent map, what a delta resync copies by)
	 */
	raft_index xidx[SIM_EXTENTS];
};

/*
 * Resync (cluster.resync_model): the kernel's path for a node behind the
 * compaction point. The leader's SNAPSHOT carries metadata only; the
 * leader then sends its data area extent by extent (chunks, read from
 * its state machine as it is at that moment while it keeps applying:
 * fuzzy), only the extents last written after the follower's base (all
 * of them for base 0), then an end marker; the follower writes chunks
 * straight into its data area, behind a durable "resyncing" mark.
 */
struct sim_chunk {
	raft_index snap_index;		/* the copy it belongs to */
	raft_term snap_term;
	u32 seq;			/* chunks of a copy arrive in order */
	u64 copy_id;			/* which copy (the kernel's hint_index) */
	u32 ext;			/* extent, SIM_EXTENTS = end marker */
	u64 wid[SIM_EXT_BLOCKS];
	raft_index widx[SIM_EXT_BLOCKS];
	raft_index xidx;
	raft_index copy_end;		/* end marker: leader's applied index
					 * when it read the last chunk
					 */
};

/* A copy the leader is sending to one peer. */
struct sim_copy {
	bool active;
	/* every chunk sent: waits for the follower's ack of the install,
	 * as the kernel does (resync.c), for at most wait_ticks ticks
	 */
	bool wait_ack;
	u32 wait_ticks;
	raft_index snap_index;
	raft_term snap_term;
	raft_index base;
	u32 next_ext;
	u32 seq;
	u64 id;				/* names its chunks (unique) */
	raft_index copy_end;
};

/* One log entry as the simulator keeps it. */
struct sim_ent {
	raft_term term;
	u8 type;
	u8 cc_op;		/* CONF: op and id */
	raft_id cc_id;
	u64 block, wid;		/* NORMAL: decoded payload */
	u64 chain;		/* hash of the log prefix ending here */
	struct raft_payload *p;	/* disk copy only: payload ref */
};

/* A queued asynchronous log write. */
struct sim_write {
	u64 done_at;			/* 0 = not scheduled yet */
	bool fail;
	raft_index first;
	u32 n;
	struct sim_ent *e;		/* payload refs held */
};

/* Entries base+1 .. base+n; base is the snapshot point. */
struct sim_log {
	raft_index base;
	raft_term base_term;
	u64 base_chain;
	u32 n, cap;
	struct sim_ent *e;
};

struct sim_snap {
	struct raft_snapshot_meta meta;
	struct sim_sm sm;
	u64 chain;		/* chain hash at meta.index */
};

/* ------------------------------------------------------------------ */
/* Messages in flight                                                 */

struct sim_msg {
	struct raft_msg m;	/* clone owned by the simulator */
	struct sim_snap *snap;	/* SNAPSHOT: content shipped with it */
	struct sim_chunk *chunk; /* resync chunk (m.type SNAPSHOT, not for
				  * the core)
				  */
	u32 from_inc;		/* sender incarnation */
	u64 id;			/* unique, for traces */
	struct sim_msg *next;	/* mailbox link (script driver) */
};

/* ------------------------------------------------------------------ */
/* Nodes                                                              */

struct sim_read {
	u64 ctx;
	u32 block;
	raft_index need;	/* max acked index of block at start */
	raft_index at;		/* read index from the core, 0 = waiting */
};

#define SIM_MAX_READS 16

struct sim_node {
	raft_id id;
	bool exists;		/* created at least once */
	bool up;
	bool stopped;		/* removed for good by the driver */
	u32 inc;		/* incarnation, bumped by crash and restart */
	struct raft *r;
	struct raft_options opts;

	/* Simulated disk: only what completed writes made durable. */
	struct raft_hard_state dhs;
	struct sim_snap dsnap;
	struct sim_log dlog;		/* base = dsnap.meta.index */

	/* The ready being carried out (valid until raft_advance). */
	bool rd_active;
	bool rd_disk;			/* it has a disk write in flight */
	bool rd_fail;			/* that write will fail */
	u64 rd_done_at;
	struct raft_ready rd;
	bool fail_next_write;		/* fault injection */
	bool snap_stall;		/* never completes a snapshot install
					 * (the kernel before resync)
					 */
	/* Asynchronous log writes: a ready with only entries is advanced at
	 * once and its write queued; durability is reported by later
	 * advances (persisted_index/term), in write order.
	 */
	bool async_log;
	struct sim_write *wq;
	u32 wq_n, wq_cap;
	bool wq_fail_pending;		/* a queued write failed, not reported */
	u32 persist_failures;
	/*
	 * kernel/node.c's reporting (set by the driver): durability only
	 * for the entries of the batch just written (persisted_index 0
	 * otherwise, never a later re-report of what the disk holds), and
	 * committed entries applied only in part now and then (a chain of
	 * data writes in flight: applied is reported below the batch's
	 * last committed entry, the core hands the rest out again and the
	 * node goes on at its next event).
	 */
	bool kernel_persist;
	u32 apply_lag_ppm;		/* chance a batch applies a prefix */
	bool apply_deferred;		/* this batch left entries unapplied */
	u64 n_apply_lags;

	/* Memory. */
	struct sim_log shadow;		/* the log as emitted by the core */
	struct sim_sm sm;
	struct raft_conf aconf;		/* configuration as of sm.applied */
	struct sim_snap *rx_snap;	/* last snapshot content received */
	struct sim_snap inst;		/* snapshot being installed */
	struct sim_snap snaps[SIM_MAX_SNAPS]; /* own compaction points */
	u32 n_snaps;
	struct sim_read reads[SIM_MAX_READS];
	u32 n_reads;
	/*
	 * The lease as the node driver publishes it for reads served
	 * without the core (raft_read_lease_end(), kernel/node_io.c):
	 * asked again after every call into the core (sim_lease_publish()),
	 * zero when withdrawn.
	 */
	struct raft_lease_info lease;

	/* Resync, follower side: a copy being received (memory) */
	bool rs_active;
	struct raft_snapshot_meta rs_meta;
	raft_index rs_base;
	u32 rs_seq;			/* next chunk expected */
	u64 rs_copy_id;			/* the copy its first chunk named */
	u32 rs_idle;			/* ticks without a chunk */
	bool rs_done;			/* end marker in: install pending */
	raft_id rs_from;		/* the leader whose copy it takes */
	u32 rs_from_inc;
	raft_index rs_copy_end;
	/* ... on disk */
	bool dmark;			/* the resyncing mark */
	raft_index dmark_base;
	raft_index dcopy_end;		/* exact once applied past it */
	bool exact_checked;
	/* leader side */
	struct sim_copy copies[SIM_MAX_NODES + 1];

	/* Rule checks on steps (check.c), memory: reset by a crash. */
	struct sim_rules {
		/* vote requests stepped, by [pre-vote][candidate]: the
		 * term asked for, and whether the candidate's log was at
		 * least as up to date as ours at any step of that request
		 */
		raft_term vq_term[2][SIM_MAX_NODES + 1];
		bool vq_ok[2][SIM_MAX_NODES + 1];
		/* CheckQuorum: raft_tick() calls, and when (in ticks) each
		 * peer's last answer of our term came in
		 */
		u64 ticks;
		u64 heard_tick[SIM_MAX_NODES + 1];
		raft_term heard_term[SIM_MAX_NODES + 1];
		u64 cq_since;		/* quorum window restarts here */
		raft_term cq_term;	/* leading in that term */
		u64 cq_voters;		/* with these voters (bit mask) */
		/* last membership change accepted as leader */
		raft_term cc_term;
		raft_index cc_index;
	} rules;

	/* Checker observations. */
	u8 obs_role;
	raft_term obs_term;
	raft_index obs_commit;
	raft_term complete_checked;	/* term whose leader log was checked */
	raft_term apply_term;		/* current term while applying */

	/* Monotonic clock given to raft_set_now() (ns), when the driver
	 * has no clock of its own (sim_net_ops.clock): advanced by
	 * sim_node_tick() and sim_node_stall(). It keeps running across a
	 * crash (it is the machine's).
	 */
	u64 clock_ns;

	/* Driver data. */
	u64 tick_period;		/* simulated us per tick */
	u64 stalled_until;		/* thread stalled until then (us) */
	u64 next_tick;
	u64 restart_at;			/* 0 = no restart pending */
};

/* ------------------------------------------------------------------ */
/* Invariant checker state (check.c)                                  */

struct sim_term_rec {
	raft_id leader;
	/* chain hashes of the leader's log when it left leadership */
	raft_index fz_base;
	u32 fz_n;
	u64 *fz;
};

struct sim_committed {
	raft_term term;
	raft_term in_term;	/* term it was committed in (upper bound) */
	u64 chain;
	u8 type;
	u64 block, wid;
};

struct sim_gslot {
	raft_index index;
	raft_term term;
	u64 chain;
};

struct sim_checker {
	struct sim_term_rec *terms;	/* by term */
	u64 n_terms;
	struct sim_gslot *g;		/* (index, term) -> chain */
	u64 g_cap, g_used;
	struct sim_committed *com;	/* by index, term 0 = unknown */
	u64 com_cap;
	raft_index com_max;		/* highest index known committed */
	raft_index boot_index;		/* the cluster's bootstrap snapshot */
	raft_index acked_idx[SIM_BLOCKS];
	u64 n_acked, n_reads_ok, n_commits_seen;
	bool rule_checks;		/* direct Figure 2 / durability checks */
};

/* ------------------------------------------------------------------ */
/* Trace                                                              */

enum sim_tr_kind {
	TR_TICK = 1, TR_SEND, TR_DELIVER, TR_DROP, TR_DUP, TR_CRASH,
	TR_RESTART, TR_PERSIST, TR_PERSIST_FAIL, TR_ROLE, TR_PROPOSE,
	TR_ACK, TR_READ, TR_READ_OK, TR_CONF, TR_TRANSFER, TR_COMPACT,
	TR_PARTITION, TR_HEAL, TR_APPLY_SNAP, TR_NOTE, TR_STOP, TR_STALL,
};

struct sim_tr_ev {
	u64 t;
	u8 kind;
	u8 node;
	u8 peer;
	u8 mtype;
	u8 flag;
	u64 a, b, c, d, e;
};

#define SIM_TRACE_LEN 8192

struct sim_trace {
	struct sim_tr_ev ev[SIM_TRACE_LEN];
	u64 n;
};

/* ------------------------------------------------------------------ */
/* The cluster                                                        */

struct sim_cluster;

/* A client write proposed through a node (by write id). */
struct sim_prop {
	u8 node;
	u8 acked;
	u32 inc;
	u32 block;
};

struct sim_net_ops {
	/* Take ownership of m (a message just emitted by a node). */
	void (*send)(struct sim_cluster *c, struct sim_msg *m);
	/* Optional: a ready batch was taken (before it is carried out). */
	void (*on_ready)(struct sim_cluster *c, struct sim_node *n,
			 const struct raft_ready *rd);
	/* Optional: the node's monotonic clock in ns (else n->clock_ns). */
	u64 (*clock)(struct sim_cluster *c, const struct sim_node *n);
};

struct sim_config {
	u32 election_ticks;
	u32 heartbeat_ticks;
	bool pre_vote;
	bool check_quorum;
	bool lease_read;
	/* Voters refuse votes for an election timeout after a restart, as
	 * kernel/node.c asks (default true).
	 */
	bool lease_restart_wait;
	u64 tick_ns;			/* nominal tick length, ns */
	u32 max_inflight_msgs;
	u64 max_msg_bytes;
	u64 max_inflight_bytes;
	u64 max_uncommitted_bytes;
};

struct sim_cluster {
	u64 seed;
	struct sim_rng rng;
	u64 now;			/* simulated microseconds */
	struct sim_config cfg;
	struct sim_node nodes[SIM_MAX_NODES + 1];
	u32 max_id;			/* highest id created */
	const struct sim_net_ops *net;
	void *net_priv;
	struct sim_checker ck;
	struct sim_trace tr;
	bool failed;
	char why[1024];
	FILE *log;			/* verbose event log, or NULL */
	bool torn_writes;		/* a crash may leave part of a write */
	bool resync_model;		/* snapshots are data-area copies */
	/* every read through the ready cycle (scripts: read-index), never
	 * raft_read_lease()'s answer at once
	 */
	bool reads_via_ready;
	u64 n_resyncs, n_resync_chunks;
	u64 digest;			/* hash of every traced event */
	FILE *out;			/* script output (ready dumps), or NULL */

	/* client */
	u64 next_wid;
	u64 next_ctx;
	u64 next_msg_id;
	struct sim_prop *props;		/* by write id */
	u64 props_cap;
	u64 n_proposed, n_acked, n_reads;
	u64 n_reads_direct;		/* served from the published lease */
	u64 n_events;
};

/* cluster.c */
void sim_cluster_init(struct sim_cluster *c, u64 seed,
		      const struct sim_config *cfg,
		      const struct sim_net_ops *net, void *net_priv);
void sim_cluster_free(struct sim_cluster *c);
void sim_config_default(struct sim_config *cfg);
/* Bootstrap voters 1..n (snapshot at index 1, term 1). */
int sim_bootstrap(struct sim_cluster *c, u32 n_voters, u32 n_learners);
/* Same at index 0 / term 0 (raft_bootstrap_conf style) or index 1. */
int sim_bootstrap_at(struct sim_cluster *c, u32 n_voters, u32 n_learners,
		     raft_index index);
/* A brand-new empty node (to be added as a learner). */
int sim_node_create_empty(struct sim_cluster *c, raft_id id);
void sim_node_crash(struct sim_cluster *c, raft_id id);
int sim_node_restart(struct sim_cluster *c, raft_id id);
void sim_node_stop(struct sim_cluster *c, raft_id id);
/* The latest configuration in a node's durable log. */
void sim_disk_conf(const struct sim_node *n, struct raft_conf *conf);
/*
 * Carry out ready batches of a node: take one, send, apply, and either
 * complete the disk write now (when sync is true or nothing to write)
 * or leave it in flight until sim_node_complete_write(). Loops while the
 * node has work and no write is in flight. Returns the number of ready
 * batches taken.
 */
int sim_node_process(struct sim_cluster *c, raft_id id, bool sync);
void sim_node_complete_write(struct sim_cluster *c, raft_id id);
/* Complete queued async writes due by `now` (all if flush); report. */
void sim_node_complete_queued(struct sim_cluster *c, raft_id id, u64 now,
			      bool flush);
void sim_node_step(struct sim_cluster *c, struct sim_msg *m);
void sim_node_tick(struct sim_cluster *c, raft_id id);
/* The node's thread stalls: its clock runs on by ns (n->clock_ns), no
 * tick is counted.
 */
void sim_node_stall(struct sim_cluster *c, raft_id id, u64 ns);
/* Publish the node's lease for direct reads (after each core call). */
void sim_lease_publish(struct sim_cluster *c, raft_id id);
/* Tell the core the node's clock now (every driver event does). */
void sim_node_set_now(struct sim_cluster *c, raft_id id);
/* Client operations; return the raft error (0 = accepted). */
int sim_propose(struct sim_cluster *c, raft_id id, u32 n, u32 block);
int sim_propose_barrier(struct sim_cluster *c, raft_id id);
int sim_read(struct sim_cluster *c, raft_id id, u32 block);
/* A read that started earlier (queued while the node was stalled): need
 * is the acknowledged index of the block when it started.
 */
int sim_read_need(struct sim_cluster *c, raft_id id, u32 block,
		  raft_index need);
int sim_change_conf(struct sim_cluster *c, raft_id leader, u8 op,
		    raft_id target);
int sim_compact(struct sim_cluster *c, raft_id id);
/* Resync: a leader sends the next chunks of its copies; a follower whose
 * copy stalled gives up (call on each tick).
 */
void sim_resync_tick(struct sim_cluster *c, raft_id id);
/* The transport to `to` failed: a copy in flight is lost. */
void sim_resync_abort(struct sim_cluster *c, raft_id from, u32 inc,
		      raft_id to);
/* Is this a message of the leader's data-area copy path? */
static inline bool sim_msg_bulk_snap(const struct sim_msg *m)
{
	return m->chunk || m->m.type == RAFT_MSG_SNAPSHOT;
}
/* The leader among up nodes with the highest term, or 0. */
raft_id sim_leader(struct sim_cluster *c);
void sim_msg_free(struct sim_msg *m);
struct sim_msg *sim_msg_dup(struct sim_cluster *c, const struct sim_msg *m);
void sim_fail(struct sim_cluster *c, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct raft_payload *sim_payload_make(u64 block, u64 wid);
void sim_payload_decode(const struct raft_payload *p, u64 *block, u64 *wid);
void sim_node_addr(raft_id id, u8 addr[RAFT_ADDR_LEN]);
/* Check every node's view and the cluster invariants after an event. */
void sim_observe(struct sim_cluster *c);
void sim_observe_node(struct sim_cluster *c, raft_id id);

/* log helpers */
raft_index sim_log_last(const struct sim_log *l);
raft_term sim_log_term(const struct sim_log *l, raft_index i, bool *ok);
bool sim_log_chain(const struct sim_log *l, raft_index i, u64 *chain);
const struct sim_ent *sim_log_at(const struct sim_log *l, raft_index i);

/* check.c */
void sim_check_init(struct sim_checker *ck);
void sim_check_free(struct sim_checker *ck);
u64 sim_ent_chain(u64 prev, const struct sim_ent *e);
/* An entry (index, term, chain) was seen in some log. */
void sim_check_seen(struct sim_cluster *c, raft_id id, raft_index i,
		    raft_term t, u64 chain);
bool sim_check_gmap(struct sim_checker *ck, raft_index i, raft_term t,
		    u64 *chain);
void sim_check_ready(struct sim_cluster *c, struct sim_node *n,
		     const struct raft_ready *rd);
void sim_check_msg_out(struct sim_cluster *c, struct sim_node *n,
		       const struct raft_msg *m);
void sim_check_apply(struct sim_cluster *c, struct sim_node *n,
		     raft_index i, const struct sim_ent *e);
void sim_check_status(struct sim_cluster *c, struct sim_node *n,
		      const struct raft_status *st);
void sim_check_leader_gone(struct sim_cluster *c, struct sim_node *n,
			   raft_term term);
void sim_check_ack(struct sim_cluster *c, struct sim_node *n, u64 wid,
		   u64 block, raft_index i);
void sim_check_read(struct sim_cluster *c, struct sim_node *n,
		    const struct sim_read *rd);
/* Rule checks around a message stepped into n (before and after). */
void sim_check_step_pre(struct sim_cluster *c, struct sim_node *n,
			const struct raft_msg *m, struct raft_status *before);
void sim_check_step_post(struct sim_cluster *c, struct sim_node *n,
			 const struct raft_msg *m,
			 const struct raft_status *before);
/* A membership change was accepted by leader n (status before it). */
void sim_check_conf_accepted(struct sim_cluster *c, struct sim_node *n,
			     const struct raft_status *before);
/* Leadership transfer started: CheckQuorum's window restarts. */
void sim_check_transfer_started(struct sim_node *n);
/* After a tick of n: a CheckQuorum leader cut off from its quorum for
 * two election timeouts must have stepped down.
 */
void sim_check_quorum_live(struct sim_cluster *c, struct sim_node *n);
void sim_check_snapshot_content(struct sim_cluster *c, struct sim_node *n,
				const struct sim_snap *s);
/* Every block holds the value of some log prefix ending at or after
 * index (a fuzzy copy at index is sound), or exactly the value at index.
 */
void sim_check_data(struct sim_cluster *c, struct sim_node *n,
		    raft_index index, bool exact, const char *when);
/* Expected state machine at index (replaying known committed entries). */
bool sim_check_expected_sm(struct sim_cluster *c, raft_index i,
			   struct sim_sm *sm);
/* Final: every up node that applied up to com_max holds the expected
 * data, and every acknowledged write is in it.
 */
void sim_check_final(struct sim_cluster *c);

/* mailbox.c: FIFO network for scripts, fuzzer and benchmark */
struct sim_mailbox {
	struct sim_msg *head[SIM_MAX_NODES + 1];
	struct sim_msg *tail[SIM_MAX_NODES + 1];
	u32 n[SIM_MAX_NODES + 1];
	bool cut[SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];
};

extern const struct sim_net_ops sim_mailbox_ops;
/* net_priv of the cluster must point to the mailbox */
void sim_mailbox_push(struct sim_mailbox *mb, struct sim_msg *m);
struct sim_msg *sim_mailbox_pop(struct sim_mailbox *mb, raft_id to);
void sim_mailbox_free(struct sim_mailbox *mb);

/* trace.c */
void sim_trace(struct sim_cluster *c, u8 kind, u8 node, u8 peer, u8 mtype,
	       u8 flag, u64 a, u64 b, u64 c2, u64 d, u64 e);
void sim_trace_msg(struct sim_cluster *c, u8 kind, const struct raft_msg *m);
void sim_trace_dump(struct sim_cluster *c, FILE *f, u32 last);
void sim_dump_nodes(struct sim_cluster *c, FILE *f);
void sim_format_msg(char *buf, size_t len, const struct raft_msg *m);
const char *sim_entry_type_name(u8 type);

#endif /* RAFTSIM_SIM_H */
