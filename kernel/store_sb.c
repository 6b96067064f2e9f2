// SPDX-License-Identifier: GPL-2.0
/*
 * store_sb.c - the log store's superblock (see log_store.h; the format
 * is ondisk.h's, described in Documentation/on-disk-format.rst).
 *
 * A superblock update is a REQ_PREFLUSH | REQ_FUA write to the slot not
 * holding the current superblock. This file owns those writes, the
 * store's allocation, format and close, and what lives only in the
 * superblock: hard state (term, vote), cluster id, the resyncing mark.
 * The log ring and recovery are store_ring.c's, the data area
 * data_area.c's; they share struct rb_store through store_int.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "store_int.h"

/*
 * The record block of the logs formatted from now on (see ondisk.h): 0
 * picks the disk's physical block size (at least 512 bytes); 512, 1024,
 * 2048 or 4096 force it, never below the disk's logical block size. 4096
 * formats disks an older module can still open (superblock version 1).
 */
static unsigned int log_record_block;

static int rec_block_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v && !raftblk_rec_block_ok(v))
		return -EINVAL;
	WRITE_ONCE(log_record_block, v);
	return 0;
}

static const struct kernel_param_ops rec_block_ops = {
	.set = rec_block_set,
	.get = param_get_uint,
};
module_param_cb(log_record_block, &rec_block_ops, &log_record_block, 0644);
MODULE_PARM_DESC(log_record_block,
		 "record block of logs formatted from now on, bytes: 0 (default) the disk's physical block size, at least 512; or 512, 1024, 2048, 4096 (4096: readable by modules before version 2 of the format)");

/*
 * The record block for a new log on bdev: a record's header and data
 * alignment. Never below the logical block size (the I/O unit), and by
 * default the physical block size, so that a record never shares an
 * atomic write unit with the one before it. -EINVAL when the disk's
 * blocks are larger than the format allows.
 */
static int format_rec_block(struct block_device *bdev, u32 *out)
{
	u32 lbs = bdev_logical_block_size(bdev);
	u32 blk = READ_ONCE(log_record_block);

	if (lbs > RAFTBLK_REC_BLOCK_MAX)
		return -EINVAL;
	if (!blk)
		blk = clamp_t(u32, bdev_physical_block_size(bdev),
			      RAFTBLK_REC_BLOCK_MIN, RAFTBLK_REC_BLOCK_MAX);
	*out = max(blk, lbs);
	return 0;
}

/* One synchronous I/O of len bytes of s->buf at byte offset off. */
int rb_store_io(struct rb_store *s, u64 off, u32 len, blk_opf_t opf)
{
	struct bio *bio;
	int ret;

	bio = bio_alloc(s->bdev, 1, opf, GFP_NOIO);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	if (bio_add_page(bio, virt_to_page(s->buf), len,
			 offset_in_page(s->buf)) != len) {
		bio_put(bio);
		return -EIO;
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/*
 * Start the next superblock: a copy of the current one to modify, with
 * the latest commit index the store knows, never beyond its durable log.
 */
struct raftblk_sb *rb_store_next_sb(struct rb_store *s)
{
	raft_index c = min(max(s->sb.hs.commit, s->commit), last_index(s));

	s->nsb = s->sb;
	s->nsb.hs.commit = max(c, s->sb.hs.commit);
	return &s->nsb;
}

/*
 * Write s->nsb (seq set here) to the slot not holding the current one.
 * With preflush, everything written before is durable first (a
 * compaction point or a term and vote must never be durable before what
 * they stand on); without it only this write is made durable (FUA), for
 * a superblock that depends on nothing written but not yet flushed.
 */
static int store_write_sb(struct rb_store *s, bool preflush)
{
	const char *why = NULL;
	u32 slot = s->slot ^ 1;
	int ret;

	s->nsb.seq = s->sb.seq + 1;
	ret = raftblk_sb_encode(&s->nsb, s->buf, &why);
	if (ret) {
		pr_err_ratelimited("%pg: refusing to write an invalid superblock: %s\n",
				   s->bdev, why);
		return -EINVAL;
	}
	ret = rb_store_io(s, (u64)slot * RAFTBLK_SB_SIZE, RAFTBLK_SB_SIZE,
			  REQ_OP_WRITE | REQ_SYNC | REQ_FUA |
			  (preflush ? REQ_PREFLUSH : 0));
	if (ret) {
		pr_err_ratelimited("%pg: superblock write failed: %d\n",
				   s->bdev, ret);
		return ret;
	}
	s->sb = s->nsb;
	s->slot = slot;
	return 0;
}

int rb_store_write_sb(struct rb_store *s)
{
	return store_write_sb(s, true);
}

struct rb_store *rb_store_alloc(struct block_device *bdev)
{
	struct rb_store *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->buf = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					  get_order(RAFTBLK_SB_AREA));
	if (!s->buf) {
		kfree(s);
		return NULL;
	}
	s->bdev = bdev;
	s->dev_size = bdev_nr_bytes(bdev);
	mutex_init(&s->lock);
	return s;
}

/*
 * The entry index: room for one record per 4 KiB of the ring at first
 * (a log of 4 KiB writes); rb_store_ents_reserve() grows it for smaller
 * records.
 */
int rb_store_alloc_ents(struct rb_store *s)
{
	s->cap = s->sb.log_size / RAFTBLK_OD_BLOCK;
	s->ents = kvcalloc(s->cap, sizeof(*s->ents), GFP_KERNEL);
	return s->ents ? 0 : -ENOMEM;
}

int rb_store_ents_reserve(struct rb_store *s, u64 want)
{
	/* Every record takes a record block at least: the ring bounds n. */
	u64 most = s->sb.log_size / s->sb.rec_block;
	struct rb_store_ent *ne;
	unsigned int noio;
	u32 cap, i;

	if (want <= s->cap)
		return 0;
	if (want > most)
		return -ENOSPC;
	cap = min_t(u64, max_t(u64, want, 2ULL * s->cap), most);
	/* GFP_KERNEL for kvmalloc's vmalloc fallback, without I/O: the
	 * node thread appends while writes wait on it.
	 */
	noio = memalloc_noio_save();
	ne = kvmalloc_array(cap, sizeof(*ne), GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!ne)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		ne[i] = *ent(s, i);
	kvfree(s->ents);
	s->ents = ne;
	s->first = 0;
	s->cap = cap;
	return 0;
}

void rb_store_free_entries(struct raft_entry *e, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		raftblk_payload_put(e[i].payload);
	kvfree(e);
}

void rb_store_close(struct rb_store *s)
{
	if (!s)
		return;
	rb_store_free_entries(s->rec_ents, s->rec_n);
	rb_emap_free(s->emap);
	kvfree(s->ents);
	free_pages((unsigned long)s->buf, get_order(RAFTBLK_SB_AREA));
	kfree(s);
}

int rb_store_format(struct block_device *bdev,
		    const u8 uuid[RAFTBLK_UUID_LEN], raft_id id,
		    const struct raft_conf *conf, struct rb_store **out,
		    struct raftblk_err *err)
{
	struct raftblk_sb *nsb;
	const char *why = NULL;
	struct rb_store *s;
	int ret;

	if (id == RAFT_NONE || raftblk_conf_check(conf, &why)) {
		err->msg = "invalid node id or membership";
		return -EINVAL;
	}
	s = rb_store_alloc(bdev);
	if (!s) {
		err->msg = "out of memory";
		return -ENOMEM;
	}
	nsb = &s->nsb;
	ret = format_rec_block(bdev, &nsb->rec_block);
	if (ret) {
		pr_err("%pg: cannot format: logical block size %u above %u\n",
		       bdev, bdev_logical_block_size(bdev),
		       RAFTBLK_REC_BLOCK_MAX);
		err->msg = "disk's logical block size above 4 KiB";
		goto err_close_store;
	}
	ret = raftblk_layout_default(s->dev_size, 0, &nsb->log_off,
				     &nsb->log_size, &nsb->data_off,
				     &nsb->data_size, &why);
	if (ret) {
		pr_err("%pg: cannot format: %s\n", bdev, why);
		err->msg = "disk too small for raftblk (needs 18 MiB)";
		ret = -ENOSPC;
		goto err_close_store;
	}
	memcpy(nsb->uuid, uuid, RAFTBLK_UUID_LEN);
	nsb->node_id = id;
	nsb->log_nonce = get_random_u64();
	nsb->snap.conf = *conf;
	s->sb.log_size = nsb->log_size;
	ret = rb_store_alloc_ents(s);
	if (ret) {
		err->msg = "out of memory";
		goto err_close_store;
	}
	/*
	 * A fresh map (nothing written yet) in both slots, so that no map
	 * of an earlier format of the disk is ever read back; written
	 * before the superblocks, whose preflush makes it durable first (a
	 * crash in between leaves a disk that is not formatted yet).
	 */
	ret = rb_emap_open(bdev, nsb->log_off, nsb->data_size, 0, &s->emap);
	if (!ret) {
		rb_emap_reset(s->emap);
		ret = rb_emap_save(s->emap, 0);
		if (!ret)
			ret = rb_emap_save(s->emap, 0);
	}
	if (ret) {
		err->msg = "cannot write the extent map";
		goto err_close_store;
	}
	/* Both slots, so no superblock of an earlier format survives:
	 * slot 1 gets sequence 1, slot 0 sequence 2.
	 */
	s->slot = 0;
	ret = rb_store_write_sb(s);
	if (!ret) {
		rb_store_next_sb(s);
		ret = rb_store_write_sb(s);
	}
	if (ret) {
		err->msg = "cannot write the superblock";
		goto err_close_store;
	}
	s->head = 0;
	s->data_off = s->sb.data_off;
	s->data_size = s->sb.data_size;
	rb_store_set_data_bdev(s, NULL);
	pr_info("%pg: formatted for node %llu: log %llu MiB at %llu MiB (record block %u), data %llu MiB at %llu MiB\n",
		bdev, (unsigned long long)id,
		(unsigned long long)(s->sb.log_size >> 20),
		(unsigned long long)(s->sb.log_off >> 20), s->sb.rec_block,
		(unsigned long long)(s->sb.data_size >> 20),
		(unsigned long long)(s->sb.data_off >> 20));
	*out = s;
	return 0;
err_close_store:
	rb_store_close(s);
	return ret;
}

int rb_store_save_hard_state(struct rb_store *s,
			     const struct raft_hard_state *hs)
{
	struct raftblk_sb *nsb;
	int ret = 0;

	mutex_lock(&s->lock);
	/*
	 * The commit index alone is not written: Raft needs only term and
	 * vote to be durable, a restarted node learns the commit index
	 * again, and this saves a flush per batch. It goes to disk with the
	 * next superblock update.
	 *
	 * It is recorded only once this call succeeds: the append refuses
	 * to rewrite entries at or below it, and when the superblock write
	 * fails the caller hands the same entries (and this commit index)
	 * out again - they must still be accepted then.
	 */
	if (hs->term != s->sb.hs.term || hs->vote != s->sb.hs.vote) {
		raft_index prev = s->commit;

		s->commit = max(s->commit, hs->commit);
		nsb = rb_store_next_sb(s);
		nsb->hs.term = hs->term;
		nsb->hs.vote = hs->vote;
		ret = rb_store_write_sb(s);
		if (ret)
			s->commit = prev;
	} else {
		s->commit = max(s->commit, hs->commit);
	}
	mutex_unlock(&s->lock);
	return ret;
}

/* Under s->lock: the commit index moved past the stored one. */
static bool store_commit_unsaved(struct rb_store *s)
{
	lockdep_assert_held(&s->lock);
	return min(s->commit, last_index(s)) > s->sb.hs.commit;
}

bool rb_store_commit_unsaved(struct rb_store *s)
{
	bool ret;

	mutex_lock(&s->lock);
	ret = store_commit_unsaved(s);
	mutex_unlock(&s->lock);
	return ret;
}

int rb_store_save_commit(struct rb_store *s)
{
	int ret = 0;

	mutex_lock(&s->lock);
	/*
	 * No preflush: the new superblock differs from the durable one
	 * only by a commit index capped at the log's end, and every log
	 * record is durable (FUA) before the end moves; the data area
	 * needs no flush either (a restart replays the log up to this
	 * commit). A flush here would wait behind the data area's writes
	 * (a slow data area stalled the node thread every second: vm-disk).
	 * FUA still makes it durable before the other slot is rewritten.
	 */
	if (store_commit_unsaved(s)) {
		rb_store_next_sb(s);
		ret = store_write_sb(s, false);
	}
	mutex_unlock(&s->lock);
	return ret;
}

int rb_store_set_uuid(struct rb_store *s, const u8 uuid[RAFTBLK_UUID_LEN])
{
	int ret;

	mutex_lock(&s->lock);
	memcpy(rb_store_next_sb(s)->uuid, uuid, RAFTBLK_UUID_LEN);
	ret = rb_store_write_sb(s);
	mutex_unlock(&s->lock);
	return ret;
}

int rb_store_set_resyncing(struct rb_store *s, raft_index base)
{
	struct raftblk_sb *nsb;
	int ret = 0;

	mutex_lock(&s->lock);
	if (!(s->sb.flags & RAFTBLK_SB_F_RESYNCING) ||
	    s->sb.resync_base != base) {
		nsb = rb_store_next_sb(s);
		nsb->flags |= RAFTBLK_SB_F_RESYNCING;
		nsb->resync_base = base;
		/* PREFLUSH|FUA: the mark and every earlier data write */
		ret = rb_store_write_sb(s);
	}
	mutex_unlock(&s->lock);
	return ret;
}

bool rb_store_resyncing(struct rb_store *s, raft_index *base)
{
	bool ret;

	mutex_lock(&s->lock);
	ret = s->sb.flags & RAFTBLK_SB_F_RESYNCING;
	if (base)
		*base = s->sb.resync_base;
	mutex_unlock(&s->lock);
	return ret;
}

void rb_store_uuid(struct rb_store *s, u8 uuid[RAFTBLK_UUID_LEN])
{
	mutex_lock(&s->lock);
	memcpy(uuid, s->sb.uuid, RAFTBLK_UUID_LEN);
	mutex_unlock(&s->lock);
}
