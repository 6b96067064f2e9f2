/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft.h - public interface of the raftblk consensus core.
 *
 * The core is a deterministic state machine in the style of etcd's raft
 * package: it performs no I/O, owns no thread and no clock. The caller
 * (the kernel module, or the userspace simulator) drives it:
 *
 *   raft_tick()        one logical clock tick
 *   raft_set_now()     the caller's monotonic time (for lease reads)
 *   raft_step()        a message received from a peer
 *   raft_propose()     new entries (leader only)
 *   raft_read_index()  request a linearizable read point
 *   raft_read_lease()  the read point now, when a lease allows it
 *   raft_change_conf() add a learner, promote it, remove a node
 *   raft_transfer_leader()
 *
 * and then collects the work to do with raft_ready(): hard state and
 * entries to persist, messages to send, committed entries to apply, a
 * snapshot to install, read states. The caller carries it out and calls
 * raft_advance() with what it completed. Messages in a ready batch that
 * depend on durable state (vote grants, append acknowledgements) are
 * released only after the state they depend on is reported durable, so a
 * caller that sends exactly what raft_ready() gives it cannot break the
 * persistence rule.
 *
 * The same files build into raftblk.ko and into userspace tests; the only
 * platform dependency is env.h.
 */
#ifndef RAFT_RAFT_H
#define RAFT_RAFT_H

#include "env.h"

typedef u64 raft_id;	/* node id, never 0 (0 means "none") */
typedef u64 raft_term;
typedef u64 raft_index;

#define RAFT_NONE 0

/*
 * Highest term a node adopts, stores or campaigns for. A message naming a
 * term above it (in term, log_term, hint_term, an entry or a snapshot) is
 * refused by raft_step() as malformed: a forged HEARTBEAT at term 2^64 - 1
 * would otherwise be adopted and saved, and the next campaign would wrap
 * the term to 0. A node whose term reached the cap refuses to campaign
 * instead of wrapping. At one election per millisecond the cap lasts
 * 8900 years. raft_create() refuses a restored state beyond it.
 */
#define RAFT_TERM_MAX ((raft_term)1 << 48)

/* Longest tick raft_options.tick_ns may describe (about 2.1 s). */
#define RAFT_TICK_NS_MAX (1ULL << 31)

/* Most nodes a configuration may name (voters + learners, both halves of
 * a joint configuration together).
 */
#define RAFT_MAX_NODES 16

/* Opaque per-node address carried in the replicated configuration so any
 * leader can reach every member. The core never interprets it.
 */
#define RAFT_ADDR_LEN 64

/* ------------------------------------------------------------------ */
/* Errors                                                             */

/*
 * One convention for all of raftblk's portable code (this core, the wire
 * codec wire.c, the on-disk codec ondisk.c): a function returns 0 or a
 * negative errno value (Linux numbers, from ../portable.h). Codes with a
 * meaning of their own are named (RAFT_E* here, RB_WIRE_E* in wire.h) and
 * the name *is* the negative value: callers compare with
 * "ret == RAFT_EBUSY", and the kernel hands the value on as an errno
 * without a mapping. The named codes of one API are distinct; the errno
 * each one reuses is chosen to read sensibly where it surfaces (netlink
 * replies, logs). Other codes are written as in the kernel (-EBADMSG).
 */
enum raft_err {
	RAFT_OK = 0,
	RAFT_ENOMEM = -ENOMEM,		/* allocation failed; nothing changed */
	RAFT_ENOTLEADER = -EREMOTEIO,	/* operation needs the leader */
	RAFT_EBUSY = -EBUSY,		/* a conf change/transfer in progress */
	RAFT_EINVAL = -EINVAL,		/* bad argument */
	RAFT_ETOOBIG = -ENOBUFS,	/* over the uncommitted-bytes limit */
	RAFT_ECOMPACTED = -ENODATA,	/* index no longer in the log */
	RAFT_ESHUTDOWN = -ESHUTDOWN,	/* node was removed / stopped */
};

/* ------------------------------------------------------------------ */
/* Payloads                                                           */

/*
 * Entry payloads are reference-counted buffers defined by the environment
 * (env.h declares struct raft_payload and raft_payload_{len,get,put}).
 * The core takes a reference for every place it keeps one (log, message)
 * and drops it when done; the caller gets references in ready batches that
 * are valid until raft_advance().
 */
struct raft_payload;

/* ------------------------------------------------------------------ */
/* Log entries                                                        */

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 1,	/* caller data (payload) */
	RAFT_ENTRY_NOOP = 2,	/* appended by a new leader; no payload */
	RAFT_ENTRY_CONF = 3,	/* membership change; payload-less, see conf */
	RAFT_ENTRY_BARRIER = 4,	/* caller marker with no payload (e.g. a
				 * snapshot point), carrying a struct
				 * raft_marker; delivered on apply like
				 * NORMAL
				 */
};

enum raft_conf_op {
	RAFT_CONF_ADD_LEARNER = 1,	/* new node, non-voting */
	RAFT_CONF_PROMOTE = 2,		/* learner becomes voter */
	RAFT_CONF_REMOVE = 3,		/* voter or learner leaves */
	RAFT_CONF_DEMOTE = 4,		/* voter becomes learner */
};

struct raft_conf_change {
	u8 op;			/* enum raft_conf_op */
	raft_id id;
	u8 addr[RAFT_ADDR_LEN];	/* for ADD_LEARNER */
};

/*
 * What a BARRIER entry carries: opaque to the core, the caller's own
 * (raftblk: a snapshot command). Same size as a conf change, with which it
 * shares its place in an entry, on the wire and on disk.
 */
struct raft_marker {
	u8 op;
	u64 arg;
	u8 data[RAFT_ADDR_LEN];
};

struct raft_entry {
	raft_term term;
	raft_index index;
	u8 type;		/* enum raft_entry_type */
	union {
		struct raft_conf_change cc;	/* RAFT_ENTRY_CONF */
		struct raft_marker mark;	/* RAFT_ENTRY_BARRIER */
	};
	struct raft_payload *payload;	/* NORMAL only, else NULL */
};

/* ------------------------------------------------------------------ */
/* Membership                                                         */

enum raft_node_role {
	RAFT_VOTER = 1,
	RAFT_LEARNER = 2,
};

struct raft_node {
	raft_id id;
	u8 role;		/* enum raft_node_role */
	u8 addr[RAFT_ADDR_LEN];
};

/*
 * A configuration. Changes are made one server at a time (Raft
 * dissertation 4.1 with the fix that a leader must first commit an entry
 * of its own term); a configuration takes effect on every node as soon as
 * its entry is appended to the log, and reverts if that entry is
 * truncated.
 */
struct raft_conf {
	u32 n;
	struct raft_node nodes[RAFT_MAX_NODES];
};

/* ------------------------------------------------------------------ */
/* Persistent state                                                   */

struct raft_hard_state {
	raft_term term;
	raft_id vote;
	raft_index commit;
};

/* What a snapshot stands for. The content (for raftblk: the data area at
 * that index) is the caller's business.
 */
struct raft_snapshot_meta {
	raft_index index;
	raft_term term;
	struct raft_conf conf;
};

/* ------------------------------------------------------------------ */
/* Messages                                                           */

enum raft_msg_type {
	RAFT_MSG_APPEND = 1,		/* AppendEntries (also probes) */
	RAFT_MSG_APPEND_RESP,
	RAFT_MSG_VOTE,
	RAFT_MSG_VOTE_RESP,
	RAFT_MSG_PREVOTE,
	RAFT_MSG_PREVOTE_RESP,
	RAFT_MSG_HEARTBEAT,
	RAFT_MSG_HEARTBEAT_RESP,
	RAFT_MSG_SNAPSHOT,		/* InstallSnapshot (meta only) */
	RAFT_MSG_TIMEOUT_NOW,		/* leadership transfer */
	RAFT_MSG_TYPE_MAX = RAFT_MSG_TIMEOUT_NOW,
};

/*
 * One message. Field use by type:
 *
 * APPEND:          index/log_term = entry preceding entries[],
 *                  commit, entries[0..n_entries)
 * APPEND_RESP:     reject=0: index = last index now matching the leader
 *                  reject=1: index = rejected prev index,
 *                            hint_index/hint_term = follower's suggestion
 *                            (fast backtracking by term),
 *                            commit = the follower's resync base: the
 *                            index its data area is exact at (see
 *                            "Resync" below; 0 = a full copy);
 *                            flags RAFT_MSGF_RESYNC: its log was reset
 *                            (raft_reset_log()): it needs a snapshot
 *                            whatever its log holds, at least as up to
 *                            date as hint_index/hint_term (its log's end)
 * VOTE/PREVOTE:    index/log_term = candidate's last entry;
 *                  flags RAFT_MSGF_TRANSFER when campaigning by TimeoutNow
 * *_RESP (votes):  reject = vote refused
 * HEARTBEAT:       commit (min(leader commit, follower match)), context
 * HEARTBEAT_RESP:  context echoed (ReadIndex confirmation),
 *                  commit = the follower's resync base (as in a
 *                  rejection: the leader of a node back from a restart
 *                  learns it before it sends a snapshot)
 * SNAPSHOT:        snap = metadata of the snapshot the caller must ship
 *                  (the caller attaches its content out of band),
 *                  commit = the follower's resync base A: the content
 *                  may leave out what was not written after index A
 * TIMEOUT_NOW:     -
 *
 * PREVOTE carries term = the term the candidate would use (current + 1);
 * a PREVOTE_RESP granting carries that same term.
 */
#define RAFT_MSGF_TRANSFER 0x1
#define RAFT_MSGF_RESYNC 0x2

struct raft_msg {
	u8 type;		/* enum raft_msg_type */
	u8 reject;
	u8 flags;
	raft_id from;
	raft_id to;
	raft_term term;
	raft_index index;
	raft_term log_term;
	raft_index commit;
	raft_index hint_index;
	raft_term hint_term;
	u64 context;
	u32 n_entries;
	struct raft_entry *entries;	/* owned by the message */
	struct raft_snapshot_meta snap;	/* SNAPSHOT only */
};

/* ------------------------------------------------------------------ */
/* Configuration of a node                                            */

struct raft_options {
	raft_id id;
	/* In ticks. The election timeout is randomized in
	 * [election_ticks, 2 * election_ticks).
	 */
	u32 election_ticks;
	u32 heartbeat_ticks;
	bool pre_vote;
	bool check_quorum;
	/* Flow control per follower. */
	u32 max_inflight_msgs;		/* APPENDs in flight (pipeline) */
	u64 max_inflight_bytes;		/* payload bytes in flight, 0 = no limit */
	u64 max_msg_bytes;		/* payload bytes per APPEND (>= 1 entry) */
	u64 max_uncommitted_bytes;	/* leader refuses proposals beyond, 0 = no limit */
	/* Lease reads (needs check_quorum and tick_ns): serve reads without
	 * a round trip while a quorum answered a heartbeat round sent
	 * recently enough that no other leader can exist yet; see
	 * raft_set_now().
	 */
	bool lease_read;
	/* Seed for the randomized election timeout. */
	u64 rand_seed;
	/* With check_quorum: a node started with a non-zero term refuses
	 * votes during its first election_ticks ticks, because it may have
	 * acknowledged a leader's heartbeat (lent it a lease) just before a
	 * crash. Without it a quick restart of a follower can let a new
	 * leader be elected while the old one still serves lease reads.
	 * It protects the leases of whichever node leads, so it applies
	 * whatever this node's own read mode (lease_read may be switched on
	 * later, on any node). Off by default (elections right after a
	 * restart wait a timeout); a caller that may use lease reads on any
	 * node should set it on every node.
	 */
	bool lease_restart_wait;
	/* Length of one tick in nanoseconds of the clock given to
	 * raft_set_now() (the shortest interval the caller ever leaves
	 * between two raft_tick() calls), at most RAFT_TICK_NS_MAX. 0: no
	 * clock, lease_read refused.
	 */
	u64 tick_ns;
};

/* Sensible defaults for opts (id and seed left to the caller). */
void raft_options_default(struct raft_options *opts);

/* ------------------------------------------------------------------ */
/* Restoring a node                                                   */

/*
 * Everything a node has on stable storage, given to raft_create() at
 * start (all zero for a brand-new empty node; a one-node bootstrap is a
 * snapshot at index 0 whose conf names the node as the single voter,
 * see raft_bootstrap_conf()).
 */
struct raft_restore {
	struct raft_hard_state hs;
	struct raft_snapshot_meta snap;	/* compaction point */
	u32 n_entries;			/* log after snap.index, in order */
	const struct raft_entry *entries; /* core takes its own payload
					   * refs; the caller keeps its own
					   */
};

/* ------------------------------------------------------------------ */
/* Ready / Advance                                                    */

struct raft_read_state {
	u64 context;		/* as passed to raft_read_index() */
	raft_index index;	/* read is linearizable once applied >= index */
};

/*
 * Work for the caller. All pointers stay valid until raft_advance().
 * Order the caller must respect:
 *   1. if snap_to_install: install the snapshot content, persist its
 *      meta and drop the whole stored log (the log restarts after
 *      snap.index), then persist;
 *   2. persist hs (if hs_changed) and entries[] (which may first truncate
 *      the stored log after entries[0].index - 1) - durably;
 *   3. send msgs[] (the core only puts here messages that are safe to send
 *      before step 2 completes: it holds back the rest until the
 *      persisted index/term are reported through raft_advance());
 *   4. apply committed[] in order;
 *   5. call raft_advance().
 * Steps 2 and 3 may run in parallel on a leader: its own log write and the
 * APPENDs to followers overlap, and the leader counts itself toward commit
 * only once raft_advance() reports the write durable.
 */
struct raft_ready {
	bool hs_changed;
	struct raft_hard_state hs;

	u32 n_entries;			/* to append to stable log */
	struct raft_entry *entries;

	bool snap_to_install;
	struct raft_snapshot_meta snap;
	raft_index snap_base;		/* the content comes as a delta from
					 * this index (0 = full): keep it in
					 * the resyncing mark
					 */

	u32 n_msgs;
	struct raft_msg *msgs;

	u32 n_committed;		/* to apply */
	struct raft_entry *committed;

	u32 n_read_states;
	struct raft_read_state *read_states;

	/* soft state, informational */
	raft_id leader;
	u8 role;			/* enum raft_role */
};

/* What the caller reports back. */
struct raft_advance {
	/* Last index/term of the log that is now durable; must cover the
	 * ready's entries to acknowledge them. persisted_term tells which
	 * write this was: an index persisted under an older term than the
	 * entry now at that index acknowledges nothing.
	 */
	raft_index persisted_index;
	raft_term persisted_term;
	bool hs_persisted;		/* ready's hs is durable */
	bool snap_installed;		/* ready's snapshot is installed */
	raft_index applied;		/* last index applied; if below the
					 * last of the ready's committed[]
					 * (an apply failed), the rest is
					 * handed out again
					 */
	/* A local log write failed: the core refuses to reuse the index;
	 * a leader steps down.
	 */
	bool persist_failed;
};

/* ------------------------------------------------------------------ */
/* The node                                                           */

enum raft_role {
	RAFT_FOLLOWER = 1,
	RAFT_PRE_CANDIDATE,
	RAFT_CANDIDATE,
	RAFT_LEADER,
};

struct raft;	/* opaque */

int raft_create(const struct raft_options *opts,
		const struct raft_restore *restore, struct raft **out);
void raft_destroy(struct raft *r);

/*
 * Change the timers and the read mode of a running node (the options an
 * administrator tunes online; the others are fixed at raft_create()).
 * heartbeat_ticks >= 1, election_ticks > heartbeat_ticks, and lease_read
 * needs check_quorum; else RAFT_EINVAL and nothing changes. The elapsed
 * time of the running timers is kept; the randomized election timeout is
 * drawn again from the new range. A shorter election timeout or a change
 * of read mode drops the leases this node holds as a leader (they were
 * counted with the old timeout): reads take the ReadIndex round trip
 * until the next heartbeat round renews them. Lease reads assume every
 * voter waits at least this node's election timeout before it votes for
 * another leader: give every node the same timeout.
 */
int raft_set_timing(struct raft *r, u32 heartbeat_ticks, u32 election_ticks,
		    bool lease_read);

/* Conf for a brand-new one-node cluster whose only voter is id. */
void raft_bootstrap_conf(struct raft_conf *conf, raft_id id,
			 const u8 addr[RAFT_ADDR_LEN]);
/* Apply one change with the core's rules (what a CONF entry does):
 * RAFT_OK, or RAFT_EINVAL with conf untouched when it does not fit. The
 * core's own CONF entries go through it, and so do callers that rebuild a
 * configuration from stored CONF entries (kernel/store_ring.c).
 */
int raft_conf_apply(struct raft_conf *conf, const struct raft_conf_change *cc);

void raft_tick(struct raft *r);

/*
 * Lease reads. The core reads no clock: the caller tells it the time of a
 * monotonic clock that keeps counting while the node is stalled or
 * suspended (the kernel: ktime_get_boottime_ns()), in nanoseconds, with
 * raft_set_now(). Call it on every turn of the loop that drives the
 * node, after taking the requests to hand to raft_read_index() and before
 * raft_tick(), raft_step() and raft_read_index(): a lease read is judged
 * at the last time given, which must not be earlier than the start of
 * the read.
 *
 * A heartbeat round is stamped with the time given before it was sent.
 * A follower that answered it refuses to vote for another leader until
 * it counted election_ticks ticks, the first of which may come at once:
 * at least (election_ticks - 1) * tick_ns after the round was sent. The
 * leader's lease on a voter's answer to a round sent at S ends at
 *
 *   S + election_ticks * tick_ns - margin,
 *   margin = election_ticks * tick_ns / 8 + tick_ns
 *
 * (one tick for the follower's first tick, 12.5% of the timeout for the
 * drift between the clocks of the nodes: rates within 5% of each
 * other). Reads are answered at once while the leader's own vote and the
 * leases of enough voters to make a quorum are running.
 *
 * A stall: when two successive times given are further apart than the
 * margin (the thread driving the node was not running: a disk stall, a
 * paused or suspended machine) or the time goes backwards, every lease is
 * dropped, and answers to heartbeat rounds sent before the stall never
 * make a new one. Reads take the ReadIndex round trip until a round sent
 * after the stall is answered.
 *
 * Lease reads assume the clock counts the time the node was stopped:
 * a hypervisor that hides a pause from the guest's clock defeats them
 * (use ReadIndex there).
 */
void raft_set_now(struct raft *r, u64 now_ns);

/*
 * msg is consumed whatever the result: its entries' payload refs are taken
 * over or dropped and its entries array is released with raft_free() (so
 * it must come from raft_malloc/raft_calloc, as raft_msg_clone() makes
 * it); msg->entries is left NULL. The struct itself stays the caller's.
 * RAFT_EINVAL: malformed or impossible message, nothing changed.
 */
int raft_step(struct raft *r, struct raft_msg *msg);
/* n entries of type NORMAL or BARRIER; the core takes its own payload
 * refs on success and writes each entry's assigned term and index back
 * into entries[].
 */
int raft_propose(struct raft *r, u32 n, struct raft_entry *entries);
int raft_read_index(struct raft *r, u64 context);
/*
 * A lease read answered at once, outside the ready cycle: true and
 * *index the read index (as a read state of raft_read_index() would
 * carry) when this leader holds a lease and committed an entry of its
 * term, false (nothing registered, nothing changed) otherwise: then use
 * raft_read_index(). Judged at the time of the last raft_set_now(), as
 * raft_read_index() is.
 */
bool raft_read_lease(struct raft *r, raft_index *index);

/*
 * The lease as a caller may publish it, to answer reads in another
 * thread without calling into the core (the node driver's queue_rq):
 * until the time end (on the clock of raft_set_now()), no other node can
 * be elected leader without a TIMEOUT_NOW from this one or a new
 * configuration, so a read that starts before end may be answered at
 * the read index floor. at: the time the core judged it at (the last
 * raft_set_now()); stall: the gap between two raft_set_now() calls that
 * drops every lease (the margin): a caller that has not published for
 * that long must not use what it published.
 */
struct raft_lease_info {
	u64 end;		/* ns, the clock of raft_set_now() */
	raft_index floor;	/* the commit index */
	raft_term term;
	u64 at;			/* ns, the last raft_set_now() */
	u64 stall;		/* ns */
};

/*
 * True with *out filled when raft_read_lease() would answer now: this
 * node leads, committed an entry of its term and holds a lease (never in
 * ReadIndex mode, nor after it sent TIMEOUT_NOW in this term). False,
 * *out zeroed, otherwise. The caller publishes the answer and withdraws
 * it before anything that could let another node lead: a TIMEOUT_NOW or
 * a new configuration reaches no other node before the next raft_ready()
 * after the call that made it, so asking again after every raft_ready()
 * (before sending its messages) and before raft_change_conf(),
 * raft_transfer_leader() and raft_set_timing() covers them. The floor
 * only grows while the lease holds, and covers every entry raft_ready()
 * hands out committed up to the call.
 */
bool raft_read_lease_end(struct raft *r, struct raft_lease_info *out);
int raft_change_conf(struct raft *r, const struct raft_conf_change *cc);
int raft_transfer_leader(struct raft *r, raft_id to);
/* Campaign now (tests, and an administrator's forced election).
 * RAFT_EINVAL when this node may not campaign (not a voter, or its term
 * reached RAFT_TERM_MAX).
 */
int raft_campaign(struct raft *r);
/* The caller has snapshot content up to index (its applied data); log
 * entries up to index may be dropped from memory. Index must be applied.
 */
int raft_compact(struct raft *r, raft_index index);
/*
 * Bounding the log's memory: the index to compact to so that the applied
 * entries still held keep at most keep payload bytes, i.e. the smallest
 * index i >= the compaction point, i <= applied, such that the entries in
 * (i, applied] hold at most keep bytes (raft_status.log_bytes counts them
 * all). Walks back from the applied index: O(entries kept). *freed (if
 * not NULL): the payload bytes of the entries up to i.
 */
raft_index raft_compact_index(const struct raft *r, u64 keep, u64 *freed);
/*
 * The entry at idx, held in the log (after the compaction point, at most
 * the last index), or NULL. Valid until the next call that changes the
 * log (step, propose, compact, ready/advance); read only.
 */
const struct raft_entry *raft_entry_at(const struct raft *r, raft_index idx);
/*
 * A follower's snapshot transfer finished (ok) or failed. Ok may come
 * before the follower acknowledged the snapshot (its install may still
 * run): the follower then gets no other snapshot unless it asks again.
 * Once it acknowledged S, the report changes nothing.
 */
void raft_report_snapshot(struct raft *r, raft_id to, bool ok);

/*
 * Resync: catching up a node behind the leader's compaction point
 * (Documentation/design.rst, "Catching up a node behind the compaction
 * point"). The content of a snapshot is the data area, copied fuzzily by
 * the callers while the leader keeps applying; the core orders it:
 *
 * Leader. A follower that needs entries compacted away, or that asks for
 * a resync (RAFT_MSGF_RESYNC), gets a SNAPSHOT message: snap = (S, term,
 * conf), S the leader's compaction point (or its applied index when the
 * compaction point is older than the follower's log), and commit = the
 * follower's base A. The caller sends the message, then copies every
 * extent of its data area last written after A (all of them if A is 0)
 * while it keeps applying; the follower's acknowledgement of S ends the
 * copy (raft_report_snapshot(!ok) when the copy failed: the core starts
 * again later; ok when every chunk is sent, if the caller does not wait
 * for the acknowledgement). It should not
 * compact its log past S before then (the follower replays from S + 1).
 * The progress of such a follower is in state RAFT_PROGRESS_SNAPSHOT
 * (pending_snap = S, base = A) until it acknowledges S; it cannot be
 * promoted nor made leader before (raft_change_conf() and
 * raft_transfer_leader() return RAFT_EBUSY).
 *
 * Follower. The SNAPSHOT comes out of raft_ready() as snap_to_install
 * with snap_base; from then on the core refuses appends and applies
 * nothing (it still votes), until the caller reports the install with
 * raft_advance(snap_installed). The caller makes a "resyncing" mark
 * holding snap_base durable before it writes the first chunk, writes
 * the chunks, makes the data and the snapshot meta durable, clears the
 * mark and reports the install. The data area is exact once the node has
 * applied past the end of the copy (the leader's applied index when it
 * read the last chunk).
 */

/*
 * The data area is not exact any more (a copy was interrupted: the node
 * found its resyncing mark on open, or gave up waiting for chunks): reset
 * the log and ask the leader for a resync from base, the index the data
 * area was exact at before the copy started (the mark's snap_base).
 * Term and vote are kept, and so is the position of the log's end: the
 * node still votes by it (it may have acknowledged those entries, so it
 * must not vote for a log that lacks them), but it never campaigns,
 * refuses appends (rejecting them with RAFT_MSGF_RESYNC), applies
 * nothing, and accepts only a snapshot at least as up to date as that
 * position. The caller keeps its stored log and its mark as they are
 * until the next install. Call it with no ready batch outstanding.
 * RAFT_EINVAL on a leader or with base past the log's end; RAFT_EBUSY
 * between raft_ready() and raft_advance().
 */
int raft_reset_log(struct raft *r, raft_index base);
/* The transport lost its connection to a peer: probe again. */
void raft_report_unreachable(struct raft *r, raft_id to);

bool raft_has_ready(const struct raft *r);
/* Fills rd; returns RAFT_OK or RAFT_ENOMEM (nothing handed out). Call
 * raft_advance() after each successful raft_ready().
 */
int raft_ready(struct raft *r, struct raft_ready *rd);
/* adv may be NULL (nothing done); it may also be called without a ready
 * batch to report a later persisted_index/term or applied index.
 */
void raft_advance(struct raft *r, const struct raft_advance *adv);

/* ------------------------------------------------------------------ */
/* Introspection                                                      */

struct raft_progress_info {
	raft_id id;
	u8 role;		/* enum raft_node_role */
	u8 state;		/* enum raft_progress_state */
	bool recent_active;
	raft_index match;
	raft_index next;
	raft_index pending_snap;	/* state SNAPSHOT: its index S */
	raft_index base;	/* the follower's resync base (last reported) */
	bool resync;		/* it reset its log: needs a snapshot */
};

enum raft_progress_state {
	RAFT_PROGRESS_PROBE = 1,
	RAFT_PROGRESS_PIPELINE,
	RAFT_PROGRESS_SNAPSHOT,
};

/*
 * What a node waits for before it can go on (raft_status.waiting): a
 * node that answers heartbeats but cannot acknowledge entries says why.
 * Votes never wait for any of these (a vote grant waits only for the
 * term and vote to be durable).
 */
enum raft_wait {
	RAFT_WAIT_NONE = 0,
	RAFT_WAIT_SNAPSHOT,	/* the install of the snapshot at wait_index:
				 * meanwhile it refuses appends and applies
				 * nothing
				 */
	RAFT_WAIT_LOG,		/* its log write up to wait_index to be
				 * reported durable
				 */
	RAFT_WAIT_HARD_STATE,	/* its term and vote to be reported durable */
	RAFT_WAIT_RESYNC,	/* its log was reset: a snapshot from the
				 * leader, a delta from wait_index (its base)
				 */
};

struct raft_status {
	raft_id id;
	u8 role;		/* enum raft_role */
	raft_term term;
	raft_id vote;
	raft_id leader;
	raft_index commit;
	raft_index applied;
	raft_index first_index;	/* first entry kept in memory */
	raft_index last_index;
	raft_term last_term;	/* term of the entry at last_index */
	raft_index persisted_index;
	u64 log_bytes;		/* payload bytes of the entries in memory */
	struct raft_conf conf;
	u32 n_progress;		/* leader only */
	struct raft_progress_info progress[RAFT_MAX_NODES];
	raft_id transferee;
	u8 waiting;		/* enum raft_wait */
	raft_index wait_index;	/* SNAPSHOT, LOG: index; RESYNC: base */
};

void raft_get_status(const struct raft *r, struct raft_status *st);

/* Messages and entries from raft_ready() are owned by the core; a caller
 * that must keep a message beyond raft_advance() (e.g. a queued send)
 * copies it with raft_msg_clone() and frees it with raft_msg_free().
 */
int raft_msg_clone(const struct raft_msg *src, struct raft_msg *dst);

/* Release what m owns (its entries and their payload references); m
 * itself is the caller's. NULL is allowed. Inline: the wire codec uses it
 * without linking the core.
 */
static inline void raft_msg_free(struct raft_msg *m)
{
	u32 i;

	if (!m)
		return;
	if (m->entries) {
		for (i = 0; i < m->n_entries; i++)
			if (m->entries[i].payload)
				raft_payload_put(m->entries[i].payload);
		raft_free(m->entries);
	}
	m->entries = NULL;
	m->n_entries = 0;
}

const char *raft_role_name(u8 role);
const char *raft_msg_type_name(u8 type);

#endif /* RAFT_RAFT_H */
