/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_int.h - the log store's internals, shared by its files only
 * (never include it elsewhere; log_store.h is the store's interface):
 *
 *   store_sb.c    the superblock: its writes, format, open's allocation,
 *                 close, hard state, cluster id, resyncing mark
 *   store_ring.c  the log ring: open and recovery, append, compaction
 *                 and snapshot install (membership replay)
 *   data_area.c   the data area: applying entries, zeroing
 */
#ifndef RAFTBLK_STORE_INT_H
#define RAFTBLK_STORE_INT_H

#include <linux/blkdev.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "raftblk.h"
#include "payload.h"
#include "ondisk.h"
#include "extent_map.h"
#include "portable.h"
#include "log_store.h"

static_assert(RAFTBLK_PL_ALL == RAFTBLK_REC_F_ALL);
static_assert(RAFTBLK_PL_MAX_DATA / PAGE_SIZE <= BIO_MAX_VECS);
static_assert(RAFTBLK_REC_BLOCK_MAX <= PAGE_SIZE);	/* a header in one page */

/* Where a stored entry's record is. */
struct rb_store_ent {
	u64 pos;		/* absolute ring position */
	raft_term term;
	u32 rec_len;
	u8 type;
};

struct rb_store {
	struct block_device *bdev;
	u64 dev_size;
	/* The data area (bytes), fixed once open: read without the lock. */
	u64 data_off, data_size;
	/*
	 * Where its I/O goes: the disk at data_off, or a device-mapper
	 * device at 0 (set before the node starts, then fixed).
	 */
	struct block_device *data_bdev;
	sector_t data_base;
	/*
	 * lock serialises every call that reads or changes the fields
	 * below (all but the layout, which never changes once open).
	 */
	struct mutex lock;
	struct raftblk_sb sb;	/* as last written: on stable storage */
	struct raftblk_sb nsb;	/* the next one, being written */
	u32 slot;		/* slot holding sb */
	u64 head;		/* absolute position after the last record */
	raft_index commit;	/* latest commit index reported, maybe not
				 * written yet (see rb_store_save_hard_state)
				 */
	/* A write failed half-way: records after the log's end may be
	 * valid-looking; the next append starts a new epoch first.
	 */
	bool bump_epoch;
	/* Entries snap.index + 1 .. : ents[(first + i) % cap], i < n. */
	struct rb_store_ent *ents;
	u32 cap, first, n;
	void *buf;		/* RAFTBLK_SB_AREA bytes of I/O scratch */
	/* Read-ahead window of the ring, during the recovery scan only. */
	struct scan_ra *ra;
	/* Recovered entries, until rb_store_restore() takes them. */
	struct raft_entry *rec_ents;
	u32 rec_n, rec_cap;
	/* Last-write index per data-area extent (its own lock). */
	struct rb_emap *emap;
};

static inline struct rb_store_ent *ent(struct rb_store *s, u32 i)
{
	return &s->ents[(s->first + i) % s->cap];
}

static inline raft_index last_index(const struct rb_store *s)
{
	return s->sb.snap.index + s->n;
}

/* store_sb.c */
int rb_store_io(struct rb_store *s, u64 off, u32 len, blk_opf_t opf);
struct raftblk_sb *rb_store_next_sb(struct rb_store *s);
int rb_store_write_sb(struct rb_store *s);
struct rb_store *rb_store_alloc(struct block_device *bdev);
int rb_store_alloc_ents(struct rb_store *s);
/* Room for want entries in the index (growing it); -ENOMEM, or -ENOSPC
 * beyond what the ring can hold.
 */
int rb_store_ents_reserve(struct rb_store *s, u64 want);
void rb_store_free_entries(struct raft_entry *e, u32 n);

#endif /* RAFTBLK_STORE_INT_H */
