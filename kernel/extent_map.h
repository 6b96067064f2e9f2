/* SPDX-License-Identifier: GPL-2.0 */
/*
 * extent_map.h - per extent of the data area, the log index of the last
 * write applied to it (an upper bound), kept durable in the map area
 * between the superblocks and the log (ondisk.h, on-disk-format.rst).
 *
 * The leader of a delta resync copies only the extents whose index is
 * above the follower's base index. The rule that makes that safe: every
 * write at an index <= the superblock's compaction point is covered by
 * the map on disk (rb_emap_save() runs before the compaction point
 * advances), and every write applied since open is noted in memory
 * (recovery replays the log from the compaction point, noting again).
 * A device without a valid map on disk (formatted by an older module, or
 * a layout without room for it) starts with every extent at the
 * compaction point: "written at some index <= it", which is true.
 *
 * Calls may come from several threads (apply on the node thread, save
 * from compaction, reads from status): the array is under a spinlock;
 * rb_emap_save() sleeps (block I/O) and must not run concurrently with
 * itself (the store calls it under its mutex).
 */
#ifndef RAFTBLK_EXTENT_MAP_H
#define RAFTBLK_EXTENT_MAP_H

#include <linux/blkdev.h>
#include <linux/types.h>

#include "raft/raft.h"

struct rb_emap;

/*
 * Load the map of a device whose log area starts at log_off and whose
 * data area is data_size bytes; floor is the compaction point (the value
 * of every extent when no valid map is on the disk). Returns 0 or
 * -ENOMEM; I/O errors and invalid slots only mean "no map on disk".
 */
int rb_emap_open(struct block_device *bdev, u64 log_off, u64 data_size,
		 raft_index floor, struct rb_emap **out);
void rb_emap_free(struct rb_emap *m);

/* A write of len bytes at byte offset off of the data area, at idx. */
void rb_emap_note(struct rb_emap *m, u64 off, u64 len, raft_index idx);
/* Every extent back to index 0 (a freshly formatted disk). */
void rb_emap_reset(struct rb_emap *m);
/* Every extent raised to at least idx (a full copy installed at idx). */
void rb_emap_note_all(struct rb_emap *m, raft_index idx);

/*
 * Write the map to the slot after the current one (no flush: the
 * superblock write that follows flushes first). covered: every write up
 * to it is in the map. Returns 0, -EIO or -ENOMEM; a device without room
 * for a map returns 0 and writes nothing.
 */
int rb_emap_save(struct rb_emap *m, raft_index covered);

/* Extents: count, size (bytes, a power of two) and one extent's index. */
u32 rb_emap_count(const struct rb_emap *m);
u64 rb_emap_extent_bytes(const struct rb_emap *m);
raft_index rb_emap_get(struct rb_emap *m, u32 ext);
/* First extent >= from whose index is above base, or count if none. */
u32 rb_emap_next_above(struct rb_emap *m, u32 from, raft_index base);
/* Bytes of the data area in extents whose index is above base. */
u64 rb_emap_bytes_above(struct rb_emap *m, raft_index base);
/* Whether a valid map was found on the disk at open. */
bool rb_emap_loaded(const struct rb_emap *m);

#endif /* RAFTBLK_EXTENT_MAP_H */
