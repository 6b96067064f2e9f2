/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resync.h - catching up a node behind the leader's compaction point by
 * a copy of the data area (Documentation/design.rst, "Catching up a node
 * behind the compaction point"; the core's side is raft.h, "Resync").
 *
 * Leader: for each SNAPSHOT message its core emits (index S > 0, base A
 * in commit), a sender streams every extent of the data area last
 * written after A (the extent map) to that follower as copy frames on
 * the bulk connection (wire.h, RB_WIRE_MSGF_COPY), paced by the peer's
 * send queue and the resync rate, while the node keeps applying; after
 * the last chunk and the DONE frame it waits for the follower's
 * acknowledgement of S (the core moves its progress on by itself): the
 * copy is done when the follower has it, not when its last frame is
 * queued (reporting it to the core then made the core start another copy
 * to a follower that had asked for a resync).
 *
 * Follower: when its core hands out the snapshot to install, a receiver
 * waits for the copy; it marks the superblock "resyncing" with base A
 * before it writes the first chunk, writes chunks to the data area, and
 * on DONE installs the snapshot (data flushed, superblock at S, mark
 * cleared) and reports the install to its core. A copy that breaks off
 * (a bad or missing chunk, a SNAPSHOT from a new leader, an APPEND or a
 * HEARTBEAT of a later term than the copy's, nothing for several
 * election timeouts) resets the core's log (raft_reset_log(A)): the
 * leader starts again.
 *
 * Everything here runs on the node thread with the node's mutex held
 * (every call into the core is made under it), except rb_resync_get(),
 * which takes the resync's own lock, and the sender's chunk reads: they
 * run on the resync's workqueue (read and checksummed there, at most
 * RS_READ_AHEAD chunks per copy ahead of the transport), which wakes the
 * node thread by the kick given at create; the node thread hands them to
 * the transport in order. A copy that stops leaves its reads running to
 * free themselves; rb_resync_destroy() waits for them.
 */
#ifndef RAFTBLK_RESYNC_H
#define RAFTBLK_RESYNC_H

#include <linux/types.h>

#include "raft/raft.h"

struct rb_store;
struct rb_transport;
struct rb_resync;

/* Wakes the node thread (from the workqueue: must not sleep). */
typedef void (*rb_resync_kick_fn)(void *arg);

int rb_resync_create(struct rb_store *store, struct block_device *bdev,
		     raft_id self, const char *name, rb_resync_kick_fn kick,
		     void *kick_arg, struct rb_resync **out);
/* Waits for the chunk reads in flight (before the store is closed). */
void rb_resync_destroy(struct rb_resync *rs);

/* The transport to send on (NULL once the namespace went away). */
void rb_resync_set_transport(struct rb_resync *rs, struct rb_transport *tp);
/*
 * The resync rate, bytes per second per copy sent, set online (DEVICE_SET)
 * and applied at once to the copies in progress: a token bucket (at most
 * a chunk of burst). 0 = the dynamic default: the copy goes as fast as
 * the peer's send queue drains, with at most 8 chunks (8 MiB) queued to
 * the peer; while application writes wait for their commit (or did in
 * the last half second), at most 2 queued and a byte budget
 * (rb_resync_pump()), so they get most of the link and the disks.
 */
void rb_resync_set_rate(struct rb_resync *rs, u64 rate);
u64 rb_resync_rate(struct rb_resync *rs);

/*
 * Leader, before rb_resync_leader_msgs(): the copies waiting for their
 * follower's ack that the batch sends a new snapshot (the core does so
 * only after the ack) end well. True if any did: the caller publishes its
 * status then, so that the end of a copy is seen (status, events) before
 * the next copy to the same follower takes its place.
 */
bool rb_resync_leader_acked(struct rb_resync *rs, const struct raft_msg *msgs,
			    u32 n);
/*
 * A SNAPSHOT that starts a copy (index S > 0, not a copy frame). The
 * caller sends every message of a ready batch but these:
 * rb_resync_leader_msgs() sends them.
 */
bool rb_resync_starts_copy(const struct raft_msg *m);
/*
 * Leader: the messages of a ready batch: sends each SNAPSHOT that starts
 * a copy and starts a sender if it went; one the transport refused (the
 * bulk connection down or not known to be the follower's current one,
 * transport.h) is reported failed to the core at the next
 * rb_resync_pump().
 */
void rb_resync_leader_msgs(struct rb_resync *rs, struct raft *r,
			   const struct raft_msg *msgs, u32 n);
/*
 * Leader: send what the pacing allows; writes_waiting says application
 * writes are queued: the dynamic default then (and for half a second
 * after they were last seen waiting) keeps fewer chunks in flight, and
 * paces each copy at 8 MiB/s, or at twice the pace the log ring fills,
 * if that is more. Returns true while some copy is in progress.
 */
bool rb_resync_pump(struct rb_resync *rs, struct raft *r, bool writes_waiting);
/*
 * Leader: the lowest snapshot index S of the copies in progress, and of
 * those finished whose follower has not yet caught up with the log from
 * S (its match in st below the leader's last index when the copy was
 * first seen finished; a follower no longer in st is released), 0 if
 * none: the log is kept from there.
 */
raft_index rb_resync_keep_from(struct rb_resync *rs,
			       const struct raft_status *st);
/*
 * Leader: the log was compacted up to index (the ring was full): copies
 * whose S is below it hold nothing any more (a copy in progress goes on:
 * its follower gets a delta from S after it). Returns the lowest such S,
 * 0 if none.
 */
raft_index rb_resync_release(struct rb_resync *rs, raft_index index);
/*
 * Leader, before compacting the core's log up to index: for every copy
 * whose S that passes (in progress, or installed and replaying), and
 * afterwards for its follower until its next copy, record the blocks the
 * dropped entries write, so that next copy (a delta from S) sends those
 * blocks rather than every extent written since S. A record that cannot
 * be kept (no memory) only costs that precision.
 */
void rb_resync_compacting(struct rb_resync *rs, struct raft *r,
			  raft_index index);
/*
 * Leader, after each ready batch: a copy whose DONE is queued ends well
 * once the core's progress of its follower left the snapshot state with
 * match >= S (the follower acknowledged the install), badly if it left
 * it otherwise or the follower is no member any more.
 */
void rb_resync_leader_status(struct rb_resync *rs,
			     const struct raft_status *st);
/*
 * Leader, a repair (resync-extents): the next copy to peer also copies
 * the extents set in map (n bits, the extent map's count; the bitmap is
 * taken over, added to one not done yet), until a copy with them ends
 * well. -EINVAL for a map of another size, -ENOSPC.
 */
int rb_resync_want(struct rb_resync *rs, raft_id peer, unsigned long *map,
		   u32 n);
/*
 * A repair's frames (kind RB_WIRE_COPY_REQUEST: leader to follower peer,
 * "reset your log and ask for a copy"; RB_WIRE_COPY_READY: the answer)
 * at term; index: the sender's applied index, any non-zero value. The
 * transport's result.
 */
int rb_resync_request(struct rb_resync *rs, raft_id peer, raft_term term,
		      raft_index index, u8 kind);
/* The kind of m if it is a REQUEST or READY copy frame, else 0. */
u8 rb_resync_is_request(const struct raft_msg *m);
/* Leader: a repair of peer's extents is pending. */
bool rb_resync_wants(struct rb_resync *rs, raft_id peer);
/* Follower: is a copy being received? */
bool rb_resync_receiving(struct rb_resync *rs);

/* This node is no longer the leader: every copy stops. */
void rb_resync_stop_senders(struct rb_resync *rs);

/*
 * Follower: a message for this node before the core sees it. Copy frames
 * are consumed (returns true, message freed); a SNAPSHOT from another
 * leader or for another index than the copy in progress, or an APPEND or
 * HEARTBEAT of a later term than the copy's, first gives the copy up and
 * resets the log (returns false: the caller steps it).
 */
bool rb_resync_intercept(struct rb_resync *rs, struct raft *r,
			 struct raft_msg *m, raft_index *installed);
/* Follower: the ready hands out a snapshot at S > 0 with base. */
void rb_resync_expect(struct rb_resync *rs, const struct raft_snapshot_meta *s,
		      raft_index base, raft_id leader);
/*
 * Once per tick (tick_ms apart at least). Follower: gives up a copy that
 * went silent. Leader: a copy whose follower did not acknowledge the
 * install within RS_SILENT_TIMEOUTS election timeouts of its DONE fails
 * (reported to the core: it starts again), and so does one the transport
 * took no frame of for as long. These waits add up the time between
 * ticks, a gap counting for at most a few ticks: a node thread that
 * stalled does not count the stall as the peer's silence, and steps the
 * frames that came meanwhile before it judges again.
 */
void rb_resync_tick(struct rb_resync *rs, struct raft *r, u32 election_ms,
		    u32 tick_ms);
/* At start: the store has the resyncing mark: reset the core's log. */
int rb_resync_on_open(struct rb_resync *rs, struct raft *r);

/* What status shows: one per copy this node sends or receives. */
struct rb_resync_info {
	raft_id peer;		/* the follower (sender) or leader (receiver) */
	bool sending;
	bool active;		/* in progress (else the last one, finished) */
	bool full;		/* base 0: the whole data area */
	bool ok;		/* finished: installed / reported ok */
	raft_index index;	/* S */
	raft_index base;	/* A */
	u64 done;		/* bytes copied */
	u64 total;		/* bytes to copy (as planned at the start) */
	u64 rate;		/* bytes per second: recent (the last 1-2 s)
				 * while active, else over the whole copy
				 */
	u64 eta_s;		/* seconds left at that rate */
	u64 pace;		/* sender, running: the rate it is paced at
				 * now (bytes/s: the set rate, or the dynamic
				 * default's while application writes wait),
				 * 0 if none
				 */
};

/* Fill up to max infos; returns how many. */
u32 rb_resync_get(struct rb_resync *rs, struct rb_resync_info *out, u32 max);

#endif /* RAFTBLK_RESYNC_H */
