// SPDX-License-Identifier: GPL-2.0
/*
 * data_area.c - the log store's data area: the replicated device's
 * blocks, at the offset the superblock gives (see log_store.h).
 *
 * Applying committed entries (data writes in order, overlapping ones
 * one after the other; discard/write-zeroes zeroed, in the background
 * for the node) and noting each in the extent map; reading it (block
 * reads of the device, a resync's copy). No other file computes where
 * the data area is on the disk. With snapshots the data area is a
 * device-mapper device of its own (rb_store_set_data_bdev()): every
 * data I/O goes to data_bdev at data_base.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/rcupdate.h>

#include "store_int.h"

/* Do the data writes of entries a and b overlap? */
static bool writes_overlap(const struct raft_entry *a,
			   const struct raft_entry *b)
{
	const struct raft_payload *p = a->payload, *q = b->payload;

	if (a->type != RAFT_ENTRY_NORMAL || !p ||
	    b->type != RAFT_ENTRY_NORMAL || !q)
		return false;
	return p->sector < q->sector + (q->len >> SECTOR_SHIFT) &&
		q->sector < p->sector + (p->len >> SECTOR_SHIFT);
}

/* Wait for the in-flight chain of data writes, if any. */
static int apply_wait(struct bio **chain)
{
	int ret;

	if (!*chain)
		return 0;
	ret = submit_bio_wait(*chain);
	bio_put(*chain);
	*chain = NULL;
	return ret;
}

int rb_store_apply_begin(struct rb_store *s, const struct raft_entry *e,
			 u32 n, struct rb_apply *a)
{
	u64 nr = s->data_size >> SECTOR_SHIFT;
	struct bio *bio;
	u32 i, j, k, seg = 0;
	int ret = 0;

	a->chain = NULL;
	a->n = n;
	a->done = 0;
	for (i = 0; i < n && !ret; i++) {
		const struct raft_payload *p = e[i].payload;
		sector_t sector;
		bool barrier;

		/* A barrier is the caller's (a snapshot): it stops here. */
		if (e[i].type == RAFT_ENTRY_BARRIER && a->stop_at_zero) {
			a->n = i;
			break;
		}
		if (e[i].type != RAFT_ENTRY_NORMAL || !p)
			continue;
		if (p->sector > nr || (p->len >> SECTOR_SHIFT) > nr - p->sector) {
			ret = -EINVAL;
			break;
		}
		sector = s->data_base + p->sector;
		rb_emap_note(s->emap, (u64)p->sector << SECTOR_SHIFT, p->len,
			     e[i].index);
		/* In order: a write overlapping one in flight waits for it;
		 * zeroing is synchronous and waits for everything before.
		 */
		barrier = p->flags & RAFTBLK_PL_NODATA;
		if (barrier && a->stop_at_zero) {
			/* the caller zeroes it in the background */
			a->n = i;
			break;
		}
		for (j = seg; j < i && !barrier; j++)
			barrier = writes_overlap(&e[j], &e[i]);
		if (barrier && a->no_wait) {
			/* the caller applies it once the chain completed */
			a->n = i;
			break;
		}
		if (barrier) {
			ret = apply_wait(&a->chain);
			if (ret)
				break;
			a->done = i;
			seg = i;
		}
		/* FUA needs nothing here: the entry is in a majority's log. */
		if (p->flags & RAFTBLK_PL_NODATA) {
			ret = blkdev_issue_zeroout(s->data_bdev, sector,
						   p->len >> SECTOR_SHIFT,
						   GFP_NOIO, 0);
			if (!ret) {
				a->done = i + 1;
				seg = i + 1;
			}
			continue;
		}
		bio = bio_alloc(s->data_bdev, p->nr_pages, REQ_OP_WRITE,
				GFP_NOIO);
		if (!bio) {
			ret = -ENOMEM;
			break;
		}
		bio->bi_iter.bi_sector = sector;
		for (k = 0; k < p->nr_pages; k++) {
			if (bio_add_page(bio, p->bvec[k].bv_page,
					 p->bvec[k].bv_len, 0) !=
			    p->bvec[k].bv_len) {
				bio_put(bio);
				ret = -EIO;
				break;
			}
		}
		if (ret)
			break;
		if (a->chain) {
			bio_chain(a->chain, bio);
			submit_bio(a->chain);
		}
		a->chain = bio;
	}
	if (ret) {
		apply_wait(&a->chain);
		a->n = a->done;		/* rb_store_apply_end() reports done */
	}
	return ret;
}

int rb_store_apply_end(struct rb_apply *a, u32 *done)
{
	int ret = apply_wait(&a->chain);

	if (!ret)
		a->done = a->n;
	*done = a->done;
	return ret;
}

bool rb_store_apply_submit(struct rb_apply *a, bio_end_io_t *end_io,
			   void *private)
{
	struct bio *bio = a->chain;

	if (!bio)
		return false;
	a->chain = NULL;
	bio->bi_end_io = end_io;
	bio->bi_private = private;
	submit_bio(bio);
	return true;
}

int rb_store_apply_many(struct rb_store *s, const struct raft_entry *e,
			u32 n, u32 *done)
{
	struct rb_apply a = {};
	int ret = rb_store_apply_begin(s, e, n, &a);

	if (ret) {
		*done = a.done;
		return ret;
	}
	return rb_store_apply_end(&a, done);
}

int rb_store_apply(struct rb_store *s, const struct raft_entry *e)
{
	u32 done;

	return rb_store_apply_many(s, e, 1, &done);
}

/*
 * The zeroing, in a work item: without write-zeroes (a snapshot-origin
 * with a COW pool, many disks) it is zero pages, built and submitted by
 * whoever calls blkdev_issue_zeroout(), waiting for the queue: never the
 * node thread, which must keep exchanging messages (a whole-device
 * discard through snapshot-origin stalled it long enough to lose its
 * leadership).
 */
static void rb_zero_work(struct work_struct *work)
{
	struct rb_zero *z = container_of(work, struct rb_zero, work);

	z->err = blkdev_issue_zeroout(z->bdev, z->sector, z->nr, GFP_NOIO, 0);
	/*
	 * z may be freed once finished is seen and an RCU grace period
	 * passed: the call to done() is inside the read-side section.
	 */
	rcu_read_lock();
	/* Pairs with smp_load_acquire() by whoever waits for it. */
	smp_store_release(&z->finished, true);
	z->done(z);
	rcu_read_unlock();
}

int rb_store_zero_start(struct rb_store *s, const struct raft_entry *e,
			struct rb_zero *z)
{
	const struct raft_payload *p = e->payload;
	u64 nr = s->data_size >> SECTOR_SHIFT;

	if (e->type != RAFT_ENTRY_NORMAL || !p ||
	    !(p->flags & RAFTBLK_PL_NODATA) || p->sector > nr ||
	    (p->len >> SECTOR_SHIFT) > nr - p->sector)
		return -EINVAL;
	z->index = e->index;
	z->term = e->term;
	z->err = 0;
	z->finished = false;
	z->bdev = s->data_bdev;
	z->sector = s->data_base + p->sector;
	z->nr = p->len >> SECTOR_SHIFT;
	rb_emap_note(s->emap, (u64)p->sector << SECTOR_SHIFT, p->len,
		     e->index);
	INIT_WORK(&z->work, rb_zero_work);
	queue_work(system_long_wq, &z->work);
	return 0;
}

struct rb_emap *rb_store_emap(struct rb_store *s)
{
	return s->emap;
}

sector_t rb_store_data_sector(struct rb_store *s)
{
	return s->data_off >> SECTOR_SHIFT;
}

u64 rb_store_data_offset(struct rb_store *s)
{
	return s->data_off;
}

/*
 * The data area moves behind @bdev, of exactly its size (device-mapper:
 * snapshot.c), before anything is applied or read. NULL: back to the
 * backing disk at data_off.
 */
void rb_store_set_data_bdev(struct rb_store *s, struct block_device *bdev)
{
	s->data_bdev = bdev ?: s->bdev;
	s->data_base = bdev ? 0 : s->data_off >> SECTOR_SHIFT;
}

/* Everything applied so far durable (before a snapshot is taken). */
int rb_store_flush_data(struct rb_store *s)
{
	return blkdev_issue_flush(s->data_bdev);
}

sector_t rb_store_data_sectors(struct rb_store *s)
{
	return s->data_size >> SECTOR_SHIFT;
}

/*
 * Reads of the data area. Block reads of the replicated device are
 * cloned onto the backing disk by backing.c, at the offset given here.
 */
blk_status_t rb_store_read_rq(struct rb_store *s, struct raftblk_dev *dev,
			      struct request *rq)
{
	return raftblk_backing_submit_at(dev, s->data_bdev, rq, s->data_base);
}

int rb_store_read_data(struct rb_store *s, u64 off, struct raft_payload *p)
{
	struct bio *bio;
	u32 k;
	int ret;

	if (off > s->data_size || p->len > s->data_size - off)
		return -EINVAL;
	bio = bio_alloc(s->data_bdev, p->nr_pages, REQ_OP_READ, GFP_NOIO);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = s->data_base + (off >> SECTOR_SHIFT);
	for (k = 0; k < p->nr_pages; k++) {
		if (bio_add_page(bio, p->bvec[k].bv_page, p->bvec[k].bv_len,
				 0) != p->bvec[k].bv_len) {
			bio_put(bio);
			return -EIO;
		}
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}
