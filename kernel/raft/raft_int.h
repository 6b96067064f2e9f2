/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_int.h - internal state and helpers of the consensus core.
 *
 * Nothing here is part of the API; see raft.h for that and README.md for
 * the design.
 */
#ifndef RAFT_INT_H
#define RAFT_INT_H

#include "raft.h"

/* Most entries carried by one APPEND (bounds the allocation per message). */
#define RAFT_MSG_MAX_ENTRIES	64
/* Most entries to persist / to apply handed out in one ready batch. */
#define RAFT_READY_MAX_ENTRIES	4096
/* Heartbeat rounds remembered for lease reads (send time per round). */
#define RAFT_HB_RING		16

/* ------------------------------------------------------------------ */
/* In-memory log: entries (snap_index, last] in a ring buffer.          */

struct raft_log {
	struct raft_entry *ring;
	u32 cap;		/* slots, a power of two (0 = no buffer) */
	u32 head;		/* slot of the entry at snap_index + 1 */
	u32 n;			/* entries held */
	raft_index snap_index;	/* compaction point */
	raft_term snap_term;
	raft_index unstable;	/* first index not yet handed out to persist */
	raft_index persisted;	/* log is durable up to here (our entries) */
	u64 bytes;		/* payload bytes of the entries held */
};

static inline raft_index log_first(const struct raft_log *l)
{
	return l->snap_index + 1;
}

static inline raft_index log_last(const struct raft_log *l)
{
	return l->snap_index + l->n;
}

void raft_log_init(struct raft_log *l, raft_index snap_index, raft_term snap_term);
void raft_log_free(struct raft_log *l);
/* Entry at idx, or NULL when compacted or past the end. */
struct raft_entry *raft_log_get(const struct raft_log *l, raft_index idx);
/* Term of the entry at idx; 0 when unknown (compacted / past end). The
 * snapshot point itself is known.
 */
raft_term raft_log_term(const struct raft_log *l, raft_index idx);
raft_term raft_log_last_term(const struct raft_log *l);
bool raft_log_match(const struct raft_log *l, raft_index idx, raft_term term);
bool raft_log_up_to_date(const struct raft_log *l, raft_index idx, raft_term term);
/* Make room for n more entries without changing the log. */
int raft_log_reserve(struct raft_log *l, u32 n);
/* Append one entry (room must be reserved); takes over its payload ref. */
void raft_log_push(struct raft_log *l, const struct raft_entry *e);
/* Drop entries >= idx (payload refs put). */
void raft_log_truncate(struct raft_log *l, raft_index idx);
/* Drop entries <= idx; idx must be in the log. */
void raft_log_compact(struct raft_log *l, raft_index idx);
/* Forget everything and restart at a snapshot point. */
void raft_log_restore(struct raft_log *l, raft_index idx, raft_term term);
/* Largest index <= idx whose term is <= term (etcd's findConflictByTerm). */
raft_index raft_log_find_conflict_by_term(const struct raft_log *l,
				     raft_index idx, raft_term term,
				     raft_term *found_term);
u64 raft_entry_bytes(const struct raft_entry *e);

/* ------------------------------------------------------------------ */
/* Configuration helpers (conf.c).                                      */

int raft_conf_find(const struct raft_conf *c, raft_id id);
bool raft_conf_is_voter(const struct raft_conf *c, raft_id id);
u32 raft_conf_n_voters(const struct raft_conf *c);
/* Would the change apply? 0 or RAFT_EINVAL. */
int raft_conf_check(const struct raft_conf *c, const struct raft_conf_change *cc);
bool raft_conf_valid(const struct raft_conf *c);

/* ------------------------------------------------------------------ */
/* Per-follower progress (progress.c).                                  */

struct raft_inflights {
	raft_index *idx;	/* last index of each APPEND in flight */
	u64 *bytes;		/* payload bytes of each */
	u32 cap;
	u32 start;
	u32 count;
	u64 total;
};

struct raft_progress {
	bool used;
	raft_id id;
	bool voter;
	bool removed;		/* leader: kept until the removal commits */
	u8 state;		/* enum raft_progress_state */
	bool probe_sent;	/* probe: paused until a response */
	bool recent_active;	/* heard from since the last quorum check */
	raft_index match;
	raft_index next;
	raft_index pending_snap;
	struct raft_inflights ifl;
	/*
	 * Resync: the follower's base (from its last rejection or heartbeat
	 * answer, raised to S once it acknowledges a snapshot at S:
	 * snap_sent is the last one sent and not yet acknowledged), and for
	 * one that reset its log the end of that log (a snapshot must be at
	 * least as up to date). The base is a hint: the follower refuses a
	 * delta from a base it does not have.
	 */
	raft_index base;
	raft_index snap_sent;
	bool resync;
	raft_index floor_index;
	raft_term floor_term;
	u64 hb_acked;		/* highest heartbeat round answered */
	u64 lease_sent;		/* send time (ns) of that round */
	bool lease_valid;	/* lease_sent is known and counts */
};

void raft_pr_reset(struct raft_progress *pr, raft_index last);
void raft_pr_become_probe(struct raft_progress *pr);
void raft_pr_become_pipeline(struct raft_progress *pr);
void raft_pr_become_snapshot(struct raft_progress *pr, raft_index snap);
bool raft_pr_is_paused(const struct raft_progress *pr, u64 max_bytes);
bool raft_pr_maybe_update(struct raft_progress *pr, raft_index n);
bool raft_pr_maybe_decr(struct raft_progress *pr, raft_index rejected,
		   raft_index match_hint);
void raft_ifl_add(struct raft_inflights *f, raft_index idx, u64 bytes);
void raft_ifl_free_le(struct raft_inflights *f, raft_index idx);
void raft_ifl_free_first(struct raft_inflights *f);
void raft_ifl_reset(struct raft_inflights *f);

/* ------------------------------------------------------------------ */
/* The node.                                                            */

/* A message waiting for local durability before it may be sent. */
struct raft_held {
	struct raft_msg m;
	u64 need_hs_seq;	/* hard state change it depends on */
	raft_index need_index;	/* log must be durable up to here */
	raft_term need_term;	/* ... with this term at need_index */
};

struct raft_read_req {
	u64 ctx;
	raft_index index;	/* commit index at request, 0 = not yet */
	u64 seq;		/* heartbeat round confirming it */
};

struct raft_vote {
	raft_id id;
	bool granted;
};

struct raft_vec {
	void *v;
	u32 n;
	u32 cap;
};

struct raft {
	struct raft_options opts;
	raft_id id;
	u8 role;
	raft_term term;
	raft_id vote;
	raft_id lead;
	raft_index commit;
	raft_index applied;
	raft_index apply_next;	/* first committed index not handed out */

	struct raft_log log;
	struct raft_conf conf;		/* effective (latest in log) */
	raft_index conf_index;		/* index of the latest CONF entry */
	struct raft_conf snap_conf;	/* conf at log.snap_index */

	struct raft_progress prs[RAFT_MAX_NODES];
	raft_index *ifl_idx;		/* RAFT_MAX_NODES * max_inflight */
	u64 *ifl_bytes;

	struct raft_vote votes[RAFT_MAX_NODES];
	u32 n_votes;
	bool self_vote_pending;		/* candidate: own vote not durable */
	u64 self_vote_seq;

	u32 election_elapsed;
	u32 heartbeat_elapsed;
	u32 rand_timeout;
	u64 ticks;
	u64 rng;

	/* Caller's monotonic time (raft_set_now), ns. lease_epoch counts the
	 * stalls seen (0: no time given yet); a heartbeat round makes a
	 * lease only if answered in the epoch it was sent in.
	 */
	u64 now;
	u64 lease_epoch;

	raft_id transferee;
	bool lease_off;			/* leader: sent TIMEOUT_NOW this term */
	bool boot_lease;		/* restarted: honour a leader lease we
					 * may have granted before the crash
					 */
	raft_index term_start;		/* leader: index of its NOOP */
	bool term_cap_warned;		/* said once: no campaign at the cap */
	u64 uncommitted;		/* leader: bytes appended, uncommitted */

	/* Consecutive failed persists; from the second one on, nothing is
	 * handed out to persist again before the next tick.
	 */
	u32 persist_fail_streak;
	bool persist_backoff;

	/* Hard state durability: hs_seq counts term/vote changes. */
	u64 hs_seq;
	u64 hs_durable_seq;
	struct raft_hard_state hs_handed;
	bool hs_handed_valid;
	/*
	 * Role and leader when the last batch was handed out: a change of
	 * either (a leader stepping down on a tick, with nothing to send
	 * or persist) is a batch of its own, so the host learns it at once.
	 */
	u8 soft_handed_role;
	raft_id soft_handed_leader;

	struct raft_vec out;		/* struct raft_msg, ready to send */
	struct raft_vec held;		/* struct raft_held */
	struct raft_vec reads;		/* struct raft_read_req, leader */
	struct raft_vec read_states;	/* struct raft_read_state */

	u64 hb_seq;
	u64 hb_ring_seq[RAFT_HB_RING];
	u64 hb_ring_time[RAFT_HB_RING];		/* r->now when sent */
	u64 hb_ring_epoch[RAFT_HB_RING];	/* r->lease_epoch when sent */

	/* Snapshot received: to hand out, then being installed. */
	bool snap_pending;
	bool snap_installing;
	struct raft_snapshot_meta snap_in;
	raft_index snap_base;		/* its delta base */
	/* Log reset (raft_reset_log): waiting for a snapshot; the data area
	 * was exact at resync_base before the copy that was interrupted.
	 */
	bool resync;
	raft_index resync_base;

	/* The batch handed out by raft_ready(), freed by raft_advance(). */
	bool rd_active;
	struct raft_ready rd;
	u32 rd_msgs_cap;
	u64 rd_hs_seq;
};

/* raft.c */
void raft_become_follower(struct raft *r, raft_term term, raft_id lead);
void raft_become_leader(struct raft *r);
void raft_campaign_now(struct raft *r, bool pre, bool transfer);
void raft_set_term_vote(struct raft *r, raft_term term, raft_id vote);
void raft_reset_timeout(struct raft *r);
bool raft_promotable(const struct raft *r);
bool raft_may_campaign(const struct raft *r);
bool raft_paused(const struct raft *r);
raft_index raft_own_base(const struct raft *r);
struct raft_progress *raft_pr(struct raft *r, raft_id id);
void raft_rebuild_progress(struct raft *r);
void raft_drop_removed_progress(struct raft *r);
int raft_conf_at(const struct raft *r, raft_index idx, struct raft_conf *c);
int raft_recompute_conf(struct raft *r);
void raft_poll(struct raft *r);
void raft_self_vote_durable(struct raft *r);

/* ready.c */
void raft_ready_free(struct raft *r);

/* outbox.c: messages */
struct raft_msg *raft_msg_new(struct raft *r, u8 type, raft_id to);
struct raft_msg *raft_held_new(struct raft *r, u8 type, raft_id to,
			       raft_index need_index);
void raft_release_held(struct raft *r);
bool raft_held_has_ack(const struct raft *r, raft_id to, raft_index idx);
void raft_ack_append(struct raft *r, raft_id to, raft_index idx);
void raft_drop_held_from(struct raft *r, raft_index idx);
void raft_drop_held_acks(struct raft *r);
int raft_vec_reserve(struct raft_vec *v, u32 n, size_t elem);

/* replication.c: leader side */
bool raft_send_append(struct raft *r, struct raft_progress *pr,
		      bool send_empty);
void raft_bcast_append(struct raft *r);
void raft_send_snapshot(struct raft *r, struct raft_progress *pr);
void raft_bcast_heartbeat(struct raft *r);
bool raft_maybe_commit(struct raft *r);
void raft_commit_to(struct raft *r, raft_index idx);
void raft_send_timeout_now(struct raft *r, raft_id to);
int raft_leader_append(struct raft *r, u32 n, struct raft_entry *ents);

/* recv_*.c */
int raft_recv_append(struct raft *r, struct raft_msg *m);
void raft_reject_resync(struct raft *r, raft_id to, raft_index idx);
int raft_recv_append_resp(struct raft *r, struct raft_msg *m);
int raft_recv_vote(struct raft *r, struct raft_msg *m);
int raft_recv_vote_resp(struct raft *r, struct raft_msg *m);
int raft_recv_heartbeat(struct raft *r, struct raft_msg *m);
int raft_recv_heartbeat_resp(struct raft *r, struct raft_msg *m);
int raft_recv_snapshot(struct raft *r, struct raft_msg *m);
int raft_recv_timeout_now(struct raft *r, struct raft_msg *m);

/* read_index.c */
void raft_reads_on_commit(struct raft *r);
void raft_reads_on_ack(struct raft *r);
void raft_reads_reset(struct raft *r);
bool raft_lease_valid(struct raft *r);
void raft_lease_drop(struct raft *r);
u64 raft_lease_margin(const struct raft *r);
bool raft_lease_timing_ok(u64 tick_ns, bool lease_read, bool check_quorum);

/* msg.c */
int raft_msg_validate(const struct raft *r, const struct raft_msg *m);
bool raft_entry_valid(const struct raft_entry *e);

#endif /* RAFT_INT_H */
