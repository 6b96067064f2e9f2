/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log_store.h - a node's durable state on its backing disk: superblock
 * (hard state, membership at the compaction point), the log ring and the
 * data area. Format: ondisk.h and Documentation/on-disk-format.rst.
 *
 * All calls do synchronous block I/O (submit_bio_wait) and may sleep
 * (rb_store_apply_submit() and rb_store_zero_start() only start it):
 * call them in process context, e.g. from the node's worker thread. Calls
 * on one store are serialised by its mutex. Every I/O error is returned
 * as a negative errno; a call that fails leaves the in-memory state as it
 * was before the call, and what it may have written on disk is never
 * taken for valid later (the next append starts a new truncation epoch).
 *
 * Durability, when a call returns 0:
 *   rb_store_save_hard_state()  term and vote on stable storage
 *                               (REQ_PREFLUSH | REQ_FUA)
 *   rb_store_append()           the entries are on stable storage
 *                               (FUA, or a flush after the writes)
 *   rb_store_apply()            written to the data area, NOT flushed: the
 *                               log still holds the entry; the data area is
 *                               flushed before the entry leaves the log
 *   rb_store_compact()          data area flushed, then the new compaction
 *                               point on stable storage
 */
#ifndef RAFTBLK_LOG_STORE_H
#define RAFTBLK_LOG_STORE_H

#include <linux/blkdev.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "raft/raft.h"
#include "ondisk.h"

struct raftblk_dev;
struct raftblk_err;
struct request;
struct rb_store;

/*
 * Format bdev for node id: both superblock slots, an empty log whose
 * compaction point is index 0 with membership conf (the bootstrap conf
 * for a one-node cluster, or an empty conf for a node that waits to be
 * added), and the default layout (log area 1/16 of the disk, 16 MiB to
 * 1 GiB). Anything on the disk before is lost. Opens the store on
 * success.
 */
int rb_store_format(struct block_device *bdev,
		    const u8 uuid[RAFTBLK_UUID_LEN], raft_id id,
		    const struct raft_conf *conf, struct rb_store **out,
		    struct raftblk_err *err);

/*
 * Open a formatted disk: pick the current superblock, check that it is
 * node id's and fits the disk, and recover the log (scan from the
 * compaction point to the first record that is not the next valid one:
 * a torn tail is dropped). Errors: -ENODATA no raftblk superblock (the
 * disk was never formatted), -EINVAL superblock of another node or that
 * does not fit the disk, -EUCLEAN log shorter than the commit index
 * (committed entries are missing), -ENOMEM, -EIO.
 */
int rb_store_open(struct block_device *bdev, raft_id id,
		  struct rb_store **out, struct raftblk_err *err);

/* Release the store (does not write anything). */
void rb_store_close(struct rb_store *s);

/*
 * What was recovered, for raft_create(): hard state, compaction point and
 * the entries after it (with payload references). May be called once
 * after open/format; the caller frees it with rb_store_restore_free()
 * after raft_create() took its own payload references.
 */
int rb_store_restore(struct rb_store *s, struct raft_restore *r);
void rb_store_restore_free(struct raft_restore *r);

/*
 * Persist hard state: term and vote are durable when it returns 0. The
 * commit index is kept and written with the next superblock update
 * (Raft does not need it durable; a restarted node re-learns it and
 * replays from the compaction point), capped at the stored log's end.
 * It is recorded only when the call succeeds: after a failure the same
 * entries and hard state can be written again (an append refuses to
 * rewrite entries at or below the recorded commit index).
 */
int rb_store_save_hard_state(struct rb_store *s,
			     const struct raft_hard_state *hs);

/*
 * Write the commit index recorded by rb_store_save_hard_state() to the
 * superblock now, if it moved since the last superblock write (capped at
 * the stored log's end, as always). The node calls it every second or
 * so: a restarted node replays its log up to the stored commit index
 * before it talks to anyone, and that is the resync base it reports (a
 * node that was away gets a delta from about where it stopped). 0 when
 * there was nothing to write.
 */
int rb_store_save_commit(struct rb_store *s);

/* Would rb_store_save_commit() write (the commit index moved)? */
bool rb_store_commit_unsaved(struct rb_store *s);

/*
 * Append n entries (consecutive indices). When e[0].index is not the next
 * index, the stored log after e[0].index - 1 is truncated first (durably)
 * - Raft replacing a conflicting suffix. -ENOSPC when the ring would have
 * to overwrite entries not yet compacted (nothing is written: compact
 * and retry); -EINVAL for entries that do not follow the log or cannot
 * be stored (payload outside the data area, compacted index).
 */
int rb_store_append(struct rb_store *s, const struct raft_entry *e, u32 n);

/*
 * Apply a committed NORMAL entry to the data area: write its payload at
 * data area + sector; discard and write-zeroes both zero the range (so
 * that every replica reads the same bytes). Entries without payload and
 * other types are a no-op.
 */
int rb_store_apply(struct rb_store *s, const struct raft_entry *e);

/*
 * Apply n committed entries in order, with their data writes in flight
 * together (a write overlapping an earlier one of the batch waits for it;
 * discard/write-zeroes wait for everything before them). *done is the
 * number of entries from e[0] known applied: n on success, fewer on
 * error.
 */
int rb_store_apply_many(struct rb_store *s, const struct raft_entry *e,
			u32 n, u32 *done);

/*
 * The same in two steps, so other I/O (the log append) can run while the
 * data writes are in flight: rb_store_apply_begin() submits (waiting only
 * where order requires it) and rb_store_apply_end() waits for the rest
 * and reports *done as rb_store_apply_many() does. After an error of
 * begin(), end() must still be called (it reports what was done). a is
 * the caller's and holds nothing once end() returned.
 */
struct rb_apply {
	struct bio *chain;	/* the writes in flight, chained */
	u32 n;			/* entries done once the chain completes */
	u32 done;		/* entries known applied */
	/*
	 * Set by the caller before begin(): stop before the first discard
	 * or write-zeroes entry instead of zeroing synchronously, and before
	 * the first BARRIER entry (the caller's: a snapshot); end() then
	 * reports *done below n with 0, and the caller starts that entry
	 * (rb_store_zero_start(), or what the barrier asks for). Without
	 * it, a barrier is a no-op.
	 */
	bool stop_at_zero;
	/*
	 * Set by the caller before begin(), with stop_at_zero: stop before
	 * a write that overlaps an earlier one of the chain instead of
	 * waiting for it, so begin() never waits for the disk; end()
	 * reports *done below n, and the caller applies that entry once
	 * the chain completed.
	 */
	bool no_wait;
};

int rb_store_apply_begin(struct rb_store *s, const struct raft_entry *e,
			 u32 n, struct rb_apply *a);
int rb_store_apply_end(struct rb_apply *a, u32 *done);
/*
 * Instead of rb_store_apply_end() after a begin() that returned 0:
 * submit the chain and return at once. @end_io(bio) is called once every
 * write of the chain completed (in any context, interrupts included:
 * keep it short), with bio->bi_private = @private and bio->bi_status the
 * first error of the chain; it must bio_put(bio). The a->n entries are
 * applied once it reports success. false (nothing submitted, end_io
 * never called) when the chain holds no write: call
 * rb_store_apply_end() then. The entries' payloads must stay until
 * end_io (the caller holds references) and the disk open.
 */
bool rb_store_apply_submit(struct rb_apply *a, bio_end_io_t *end_io,
			   void *private);

/*
 * Zero the range of a discard or write-zeroes entry in the background: a
 * zeroing of up to 1 GiB can take seconds, which the node thread must
 * not spend waiting (heartbeats would stop). Queues the zeroing (write
 * zeroes, or zero pages where the disk has no such command, built and
 * submitted by a work item, never by the caller) and returns 0; once it
 * has completed, z->err is set, z->finished becomes true (store-release)
 * and z->done(z) is called from the work item (only wake someone up:
 * keep it short), inside an RCU read-side
 * section: the owner of z may free it once it saw finished and an RCU
 * grace period passed (synchronize_rcu()). -EINVAL for an entry that is
 * not a discard/write-zeroes or beyond the data area (nothing started).
 * One zeroing at a time per rb_zero; the disk must stay open until it
 * finished.
 */
struct rb_zero {
	raft_index index;	/* the entry being zeroed */
	raft_term term;
	int err;		/* once finished: 0 or the disk's error */
	bool finished;
	void (*done)(struct rb_zero *z);
	/* The zeroing itself, off the caller's thread (set at start). */
	struct work_struct work;
	struct block_device *bdev;
	sector_t sector, nr;
};

int rb_store_zero_start(struct rb_store *s, const struct raft_entry *e,
			struct rb_zero *z);

/*
 * Move the compaction point to index (<= last stored index; the caller
 * has applied it): the data area is flushed, then the superblock records
 * index, its term and the membership in force there, and the ring space
 * of entries up to index is free.
 */
int rb_store_compact(struct rb_store *s, raft_index index);

/*
 * Install a snapshot received from the leader: the log is emptied and the
 * compaction point becomes meta (index, term, membership), durably, and
 * the resyncing mark is cleared. The data area must already hold the
 * snapshot's content (nothing for the index-0 snapshot a blank node joins
 * with) and the extent map must note what was copied: it is written
 * before the superblock.
 */
int rb_store_install_snapshot(struct rb_store *s,
			      const struct raft_snapshot_meta *meta);

/* The index of the last copy installed (0: none ever). */
raft_index rb_store_copy_index(struct rb_store *s);

/*
 * Mark the superblock "resyncing" with base, the index the data area is
 * exact at (durably, after a flush of every earlier write): the data
 * area is about to be overwritten by a copy from the leader.
 * rb_store_install_snapshot() clears it. A store opened with the mark
 * recovers its log as usual; the caller must reset the core's log
 * (raft_reset_log(base)) before anything else: the data area is no
 * state at all. 0 or a negative errno.
 */
int rb_store_set_resyncing(struct rb_store *s, raft_index base);
/* Is the mark set (and its base)? */
bool rb_store_resyncing(struct rb_store *s, raft_index *base);

/* The store's extent map (extent_map.h): every apply notes its write,
 * compaction and install save it before the superblock.
 */
struct rb_emap *rb_store_emap(struct rb_store *s);

/*
 * Adopt the cluster UUID (a node formatted empty, before it first hears
 * from its cluster). Durable when it returns 0.
 */
int rb_store_set_uuid(struct rb_store *s, const u8 uuid[RAFTBLK_UUID_LEN]);

/* Ring usage in bytes: used (live records, wasted lap ends included)
 * and the ring size.
 */
void rb_store_usage(struct rb_store *s, u64 *used, u64 *size);
/*
 * The ring's head: the absolute byte position after its last record,
 * which grows by what is appended (a follower's truncation moves it
 * back): how fast the ring fills.
 */
u64 rb_store_head(struct rb_store *s);
/* The log area as one reading (what status shows). */
struct rb_store_ring_info {
	u64 used, size;		/* as rb_store_usage() */
	u64 head;		/* as rb_store_head() */
	u32 rec_block;		/* the log's record block, bytes (ondisk.h): a
				 * record is a header of one record block and
				 * its data padded to whole record blocks
				 */
};

void rb_store_ring_info(struct rb_store *s, struct rb_store_ring_info *ri);

void rb_store_uuid(struct rb_store *s, u8 uuid[RAFTBLK_UUID_LEN]);
/*
 * The data area on the backing disk, in 512-byte sectors: where it
 * starts (for the store's tests; everyone else reads it with the calls
 * below) and its size (the replicated device's capacity).
 */
sector_t rb_store_data_sector(struct rb_store *s);
sector_t rb_store_data_sectors(struct rb_store *s);
/* Where the data area starts on the backing disk, in bytes. */
u64 rb_store_data_offset(struct rb_store *s);
/*
 * Snapshots: the data area's I/O goes to @bdev (a device-mapper device of
 * exactly the data area's size, at its sector 0) instead of the backing
 * disk; NULL puts it back. Before the node starts, never while it runs.
 */
void rb_store_set_data_bdev(struct rb_store *s, struct block_device *bdev);
/* Flush the data area's device (everything applied made durable). */
int rb_store_flush_data(struct rb_store *s);

/*
 * Submit block read @rq of @dev (whose backing disk holds the store) to
 * the data area: its bios are cloned there (backing.c) and @rq completes
 * with raftblk_complete_request(). BLK_STS_OK once submitted.
 */
blk_status_t rb_store_read_rq(struct rb_store *s, struct raftblk_dev *dev,
			      struct request *rq);
/*
 * Read p->len bytes of the data area at byte offset @off into payload
 * @p (synchronously). -EINVAL beyond the data area, else the disk's
 * error.
 */
int rb_store_read_data(struct rb_store *s, u64 off, struct raft_payload *p);
/* Last stored index and its term. */
void rb_store_last(struct rb_store *s, raft_index *index, raft_term *term);

#endif /* RAFTBLK_LOG_STORE_H */
