/* SPDX-License-Identifier: GPL-2.0 */
/*
 * node.h - the node driver: one replicated device's Raft node.
 *
 * The node driver owns the consensus core of a device and runs its
 * ready/advance loop on a dedicated kernel thread: block requests become
 * proposals and read barriers, received messages are stepped into the
 * core, ready batches are carried out (transport sends, log store writes,
 * data-area applies) and requests complete when their entries are applied.
 */
#ifndef RAFTBLK_NODE_H
#define RAFTBLK_NODE_H

#include <linux/jiffies.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <linux/raftblk.h>

#include "auth.h"
#include "resync.h"
#include "verify.h"

struct raftblk_dev;
struct raftblk_err;
struct raftblk_node;

/* Timer defaults: a 50 ms tick, heartbeat every 100 ms, election timeout
 * randomized in [1 s, 2 s). Failover on a real network: about 1-2 s;
 * stable under TCG emulation (a heartbeat may be late by a few hundred
 * milliseconds without an election).
 */
#define RAFTBLK_NODE_TICK_MS_DEFAULT		50
#define RAFTBLK_NODE_HEARTBEAT_MS_DEFAULT	100
#define RAFTBLK_NODE_ELECTION_MS_DEFAULT	1000
/* How often a moved commit index is written to the superblock. */
#define RAFTBLK_NODE_COMMIT_SYNC_MS		1000
/* Most writes proposed in one batch (the default and the upper bound). */
#define RAFTBLK_NODE_MAX_BATCH			64
/* design.rst, "Read modes": lease unless asked otherwise */
#define RAFTBLK_NODE_READ_MODE_DEFAULT		RAFTBLK_READ_MODE_LEASE
/* The resync rate: the dynamic default (resync.h) */
#define RAFTBLK_NODE_RESYNC_RATE_DEFAULT	0
/*
 * Memory budget of the in-memory log (payload bytes kept beyond what the
 * node still has to apply): by default the smaller of 64 MiB and 1/8 of
 * the RAM; at least 4 MiB (four of the largest entries).
 */
#define RAFTBLK_NODE_LOG_MEMORY_DEFAULT		(64ULL << 20)
#define RAFTBLK_NODE_LOG_MEMORY_MIN		(4ULL << 20)
#define RAFTBLK_NODE_LOG_MEMORY_MAX		(1ULL << 40)
/*
 * Auto-promote (node_promote.c): on by default; an open for writing on a
 * follower waits at most this long for this node to lead.
 */
#define RAFTBLK_NODE_AUTO_PROMOTE_DEFAULT	true
#define RAFTBLK_NODE_PROMOTE_MS_DEFAULT		5000
#define RAFTBLK_NODE_PROMOTE_MS_MIN		100
#define RAFTBLK_NODE_PROMOTE_MS_MAX		600000

struct raftblk_node_params {
	u32 node_id;
	struct sockaddr_storage listen;
	bool bootstrap;			/* format and start a one-node cluster */
	u32 heartbeat_ms;		/* 0: default */
	u32 election_ms;		/* 0: default */
	u64 log_memory;			/* 0: default */
	bool set_read_mode;		/* false: the default, lease */
	u8 read_mode;			/* enum raftblk_read_mode */
	/* The cluster's shared secret (auth.h), NULL: none. */
	const struct rb_auth_secret *secret;
	/* This node's COW pool device (snapshots), "" for none. */
	char snap_pool[RAFTBLK_PATH_MAXLEN + 1];
};

/* The last snapshot entry a node applied, and what it made of it. */
struct raftblk_node_snap {
	char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
	bool delete;
	u64 index;
	u64 term;
	u64 time;			/* the leader's clock, seconds */
	u8 result;			/* enum raftblk_snapshot_result */
	u64 count;			/* entries applied since start */
};

/* Peers a node reports: at least RAFT_MAX_NODES (checked in node_int.h). */
#define RAFTBLK_NODE_MAX_PEERS			16
#define RAFTBLK_NODE_MAX_RESYNC			4

/* One member of the configuration other than this node. */
struct raftblk_node_peer {
	u32 id;
	u8 role;			/* enum raftblk_peer_role */
	u8 conn;			/* enum raftblk_peer_state */
	bool heard;			/* heard_ms is known */
	u32 heard_ms;			/* ms since its last frame */
	struct sockaddr_storage addr;
	u64 match;			/* on the leader, else 0 */
};

/*
 * What a node reports about itself: the snapshot it publishes (see
 * raftblk_node_start()), which DEVICE_GET, the events and sysfs read.
 * In a published snapshot, conn is connected or disconnected as the
 * transport last reported; raftblk_node_read_status() also says
 * connecting and adds the transport's counters.
 */
struct raftblk_node_status {
	u32 id;
	struct sockaddr_storage listen;	/* as configured */
	u8 role;			/* enum raftblk_role */
	u64 term;
	u32 leader;
	u64 commit;
	u64 applied;
	u32 heartbeat_ms;
	u32 election_ms;
	u32 max_batch;
	u8 read_mode;			/* enum raftblk_read_mode */
	u64 resync_rate;		/* bytes/s, 0: dynamic (resync.h) */
	u64 log_memory;			/* budget of the in-memory log */
	bool auto_promote;
	u32 auto_promote_ms;		/* its timeout */
	u8 disk_state;			/* enum raftblk_disk_state */
	int disk_error;			/* last errno of the disk, 0 if none */
	/*
	 * What the node waits for (its core's account, or a log or hard
	 * state write in flight) and since when.
	 */
	u8 waiting;			/* enum raftblk_waiting */
	u64 wait_index;			/* snapshot, log: index; resync: base */
	unsigned long wait_since;	/* jiffies */
	u32 n_peers;
	struct raftblk_node_peer peers[RAFTBLK_NODE_MAX_PEERS];
	/* Copies of the data area this node sends or receives (resync.h):
	 * the ones in progress and the last finished of each peer.
	 */
	u32 n_resync;
	struct rb_resync_info resync[RAFTBLK_NODE_MAX_RESYNC];
	u64 proposals;
	u64 commits;
	u64 elections;
	u64 bytes_sent;
	u64 bytes_received;
	u64 bad_frames;
	u64 reconnects;
	u64 rx_bytes;			/* transport receive budget in use */
	u64 rx_bytes_peak;		/* the most of it ever in use */
	u64 rx_paused;			/* reads stopped for lack of it */
	u64 log_bytes;			/* payload bytes in the in-memory log */
	u64 log_bytes_peak;		/* the most it held */
	u64 mem_compactions;		/* compactions the budget forced */
	/* The log area on the disk, as the node thread last published it. */
	u64 log_area_used;		/* bytes of the ring in use */
	u64 log_area_size;		/* the ring's size */
	u64 log_area_written;		/* its head: bytes written since format */
	u32 log_rec_block;		/* the log's record block, bytes */
	/* Read by raftblk_node_read_status() only: reads the leader served
	 * in queue_rq under its published lease, and by its node thread.
	 */
	u64 reads_direct;
	u64 reads_thread;
	/* Read from the transport by raftblk_node_read_status() only. */
	u64 auth_failed;		/* peers/frames that failed to authenticate */
	u64 frames_direct;		/* frames a sender sent itself */
	bool secret_set[2];		/* current, second (next or previous) */
	u8 secret_fp[2][RB_AUTH_FP_LEN];	/* their fingerprints */
	bool secret_next_none;		/* the second is "no secret" */
	char snap_pool[RAFTBLK_PATH_MAXLEN + 1];	/* "" for none */
	struct raftblk_node_snap snap;	/* count 0: none applied yet */
	u64 copy_index;			/* the last copy installed, 0: none */
	/* The last verify (read live by raftblk_node_read_status()). */
	struct rb_verify_summary verify;
};

/* How long the node of @st has waited for what it waits for, in ms. */
static inline u64 raftblk_node_wait_ms(const struct raftblk_node_status *st)
{
	if (st->waiting == RAFTBLK_WAITING_NONE)
		return 0;
	return jiffies_to_msecs(jiffies - st->wait_since);
}

/*
 * Called with every snapshot the node publishes: once from
 * raftblk_node_start() before it returns, then from the node thread
 * after each ready batch, from the transport when a peer connects or
 * disconnects, and when options change. Calls never overlap and come in
 * the order of the snapshots; @st is valid only during the call. Process
 * context; must not wait for the node (its lock or its disk).
 */
typedef void (*raftblk_node_publish_fn)(struct raftblk_dev *dev,
					const struct raftblk_node_status *st);

/*
 * Start replication on dev, whose backing disk is open and whose gendisk
 * is not added yet: opens (or formats) the log store, starts the core,
 * the transport and the node thread, and sets dev->node, dev->io_ops =
 * &raftblk_replicated_ops and dev->capacity (the data area). On error
 * nothing is left running and dev is unchanged.
 */
int raftblk_node_start(struct raftblk_dev *dev,
		       const struct raftblk_node_params *p,
		       raftblk_node_publish_fn publish,
		       struct raftblk_err *err);
/* Stop: fail queued requests, stop the thread and transport, close. */
void raftblk_node_stop(struct raftblk_node *n);

int raftblk_node_peer_add(struct raftblk_node *n, u32 id,
			  const struct sockaddr_storage *addr,
			  struct raftblk_err *err);
int raftblk_node_peer_remove(struct raftblk_node *n, u32 id,
			     struct raftblk_err *err);
int raftblk_node_transfer_leader(struct raftblk_node *n, u32 id,
				 struct raftblk_err *err);
/*
 * Append a snapshot entry (RAFTBLK_SNAP_OP_CREATE or _DELETE of @name,
 * with @cow_dev or "" for the pool, validated by the caller) on the
 * leader; *index and *term: its place.
 */
int raftblk_node_snapshot(struct raftblk_node *n, u8 op, const char *name,
			  u64 cow_size, const char *cow_dev, u64 *index,
			  u64 *term, struct raftblk_err *err);

/*
 * Online verify (verify.h): append a verify entry on the leader (*index,
 * *term: its place; -EBUSY with *index of the one running); the last
 * verify's report; a repair of @n_ext extents @ext (NULL: those the last
 * verify found differing) of follower @id from the leader (*count: how
 * many; 0 and nothing done when none).
 */
int raftblk_node_verify_start(struct raftblk_node *n, u64 *index, u64 *term,
			      struct raftblk_err *err);
void raftblk_node_verify_report(struct raftblk_node *n,
				struct rb_verify_report *r);
int raftblk_node_resync_extents(struct raftblk_node *n, u32 id,
				const u32 *ext, u32 n_ext, u32 *count,
				struct raftblk_err *err);

/*
 * Snapshot reports (node_snaprep.c): this node's, as raftctl gives it
 * (@b, @len: the RAFTBLK_SNAPREP_* layout; checked here), and the ones
 * this node holds: its own first, then, on the leader, those its
 * followers sent, on a follower those its leader relayed.
 */
struct raftblk_snaprep_node {
	u32 id;
	bool self;
	u32 via;			/* relayed by this leader, 0: not */
	u64 age_ms;			/* of its rows, now */
	u64 heard_ms;			/* since its node sent it (not self) */
	u64 relay_ms;			/* since the relay came (via) */
	u32 len;
	u8 report[RAFTBLK_SNAPREP_MAX_LEN];
};

struct raftblk_snaprep_view {
	u32 n;
	struct raftblk_snaprep_node nodes[RAFTBLK_NODE_MAX_PEERS + 1];
};

int raftblk_node_snaprep_set(struct raftblk_node *n, const u8 *b, u32 len,
			     struct raftblk_err *err);
void raftblk_node_snaprep_read(struct raftblk_node *n,
			       struct raftblk_snaprep_view *v);

/* Options that can change while the node runs; 0: keep the current. */
struct raftblk_node_opts {
	/* what is not given below goes back to its default, not kept */
	bool defaults;
	u32 heartbeat_ms;
	u32 election_ms;		/* at least 3 heartbeats */
	u32 max_batch;			/* 1..RAFTBLK_NODE_MAX_BATCH */
	bool set_read_mode;
	u8 read_mode;			/* enum raftblk_read_mode */
	bool set_resync_rate;
	u64 resync_rate;		/* bytes/s, 0: dynamic */
	u64 log_memory;			/* RAFTBLK_NODE_LOG_MEMORY_MIN..MAX */
	bool set_auto_promote;
	bool auto_promote;
	u32 auto_promote_ms;		/* RAFTBLK_NODE_PROMOTE_MS_MIN..MAX */
	/*
	 * Peer authentication: install secret (secret_len bytes) as the
	 * next one, then secret_op (enum raftblk_secret_op) if not NONE.
	 */
	const u8 *secret;
	u32 secret_len;
	u32 secret_op;
};

/*
 * Apply @o over the current options (under the node's lock, so two
 * changes never lose one another) and publish them. *@changed: some
 * option (or the secret) is not what it was.
 */
int raftblk_node_set_options(struct raftblk_node *n,
			     const struct raftblk_node_opts *o,
			     struct raftblk_err *err, bool *changed);

/*
 * The node's last published snapshot, with live connection states and
 * transport counters. Never waits for the node thread or its disk.
 */
void raftblk_node_read_status(struct raftblk_node *n,
			      struct raftblk_node_status *st);

extern const struct raftblk_io_ops raftblk_replicated_ops;

#endif /* RAFTBLK_NODE_H */
