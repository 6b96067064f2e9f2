/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verify.h - online verify of the replicas (Documentation/design.rst,
 * "Online verify"): every node hashes its data area at the same log
 * index and the leader compares.
 *
 * A verify is a BARRIER entry of the log (marker op RAFTBLK_VERIFY_OP),
 * carried out like a snapshot entry (node_snap.c): the data area stops
 * applying at it, so everything before it is applied; a work item then
 * hashes every extent of the data area (the extent map's extents, crc32c
 * each) with no lock of the node held, while the entries after it are
 * applied: a write to an extent not hashed yet has it hashed first
 * (rb_verify_gate()), so every extent is hashed as it was at the entry.
 * The node thread then sends the hashes to the leader it knows (a VERIFY
 * copy frame, wire.h), or keeps them as the reference if it is the
 * leader.
 * The node that receives the hashes of a peer compares them, extent by
 * extent, with its own (the leader's: the copy a repair comes from).
 *
 * Everything runs on the node thread under the node's mutex, except the
 * hashing work item (it writes the hashes of the extents it claims, and
 * the progress counter; the node thread reads the hashes once it is
 * over) and rb_verify_report() / rb_verify_differing(), which take the
 * verify's own spinlock, as the node thread does when it changes what
 * they read.
 */
#ifndef RAFTBLK_VERIFY_H
#define RAFTBLK_VERIFY_H

#include <linux/types.h>

#include "raft/raft.h"

struct rb_store;
struct rb_transport;
struct rb_verify;

/* Extents listed per node in a report (the count is always exact). */
#define RB_VERIFY_LIST_MAX	256

/* What a report says of one node (uapi enum raftblk_verify_node_state). */
struct rb_verify_node_report {
	raft_id id;
	u8 state;		/* enum raftblk_verify_node_state */
	u32 n_differ;		/* extents whose hash differs from ours */
	u32 n_list;		/* of them, the first listed in list[] */
	u32 list[RB_VERIFY_LIST_MAX];
};

struct rb_verify_report {
	raft_index index;	/* the verify entry, 0: none yet */
	raft_term term;
	u8 state;		/* enum raftblk_verify_state */
	bool collector;		/* this node compared the others' hashes */
	u64 extent_bytes;
	u32 n_extents;
	u32 hashed;		/* extents hashed here so far */
	u64 elapsed_ms;		/* since this node applied the entry */
	u32 n_nodes;
	struct rb_verify_node_report nodes[RAFT_MAX_NODES];
};

/* The gist of a report, for the node's status (DEVICE_GET). */
struct rb_verify_summary {
	raft_index index;	/* 0: none yet */
	raft_term term;
	u8 state;		/* enum raftblk_verify_state */
	bool collector;
	u32 extents, hashed;
	u32 differing;		/* extents differing, all nodes */
	u64 elapsed_ms;
};

int rb_verify_create(struct rb_store *store, raft_id self, const char *name,
		     struct rb_verify **out);
void rb_verify_destroy(struct rb_verify *v);
void rb_verify_set_transport(struct rb_verify *v, struct rb_transport *tp);

/*
 * Leader, before it proposes a verify entry: -EBUSY (with the index of
 * the one in progress) while a verify this node proposed or applied is
 * not over, -EINVAL when the data area has too many extents for one
 * frame of hashes. Then rb_verify_proposed() with the entry's index.
 */
int rb_verify_may_start(struct rb_verify *v, raft_index *busy_index);
void rb_verify_proposed(struct rb_verify *v, raft_index index);

/*
 * The verify entry at index, term is applied here (node thread): a new
 * verify whose expected nodes are the members of conf; then the work
 * item calls rb_verify_hash(), and the node thread rb_verify_hashed().
 * -ENOMEM: this node does not take part (its report says so).
 */
int rb_verify_begin(struct rb_verify *v, raft_index index, raft_term term,
		    const struct raft_conf *conf);
/*
 * After rb_verify_begin() (node thread): start hashing. A work item
 * hashes the extents in order; until it is over, rb_verify_gate() must
 * see every write of the data area after the verify entry before it is
 * submitted.
 */
void rb_verify_hash(struct rb_verify *v);
/*
 * Node thread, before the data-area writes of entries e[0..n): those
 * after the verify entry wait until the extents they write are hashed,
 * hashing them here if the work item has not come to them (a read of an
 * extent, about a millisecond a MiB).
 */
void rb_verify_gate(struct rb_verify *v, const struct raft_entry *e, u32 n);
/* Node thread, each tick: true once when the hashing is over. */
bool rb_verify_hash_done(struct rb_verify *v);
/*
 * The hashes are made (node thread, after rb_verify_hash_done()): to the
 * leader (leader, at term), or kept as the reference when this node is
 * it.
 */
void rb_verify_hashed(struct rb_verify *v, raft_id leader, raft_term term);

/* A message for this node: VERIFY frames are consumed (returns true). */
bool rb_verify_intercept(struct rb_verify *v, struct raft_msg *m);
/* Once per tick: hashes not sent yet go again; nodes that never answer
 * are given up after RB_VERIFY_TIMEOUT_MS.
 */
void rb_verify_tick(struct rb_verify *v);

/* The last verify this node took part in (any context but atomic). */
void rb_verify_report(struct rb_verify *v, struct rb_verify_report *r);
void rb_verify_summary(struct rb_verify *v, struct rb_verify_summary *s);
/*
 * The extents in which peer differed in the last verify this node
 * collected: a bitmap of *n bits (kfree() it), or an ERR_PTR: -ENOENT
 * when peer's hashes were not compared here.
 */
unsigned long *rb_verify_differing(struct rb_verify *v, raft_id peer, u32 *n);

#endif /* RAFTBLK_VERIFY_H */
