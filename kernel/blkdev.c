// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the blk-mq disk /dev/raftblkN.
 *
 * queue_rq hands each request to the device's io_ops (passthrough.c for
 * a standalone device, the node's for a replicated one); they complete it
 * through raftblk_complete_request(). The queue is BLK_MQ_F_BLOCKING
 * because the io_ops may sleep (submitting to the backing disk, copying a
 * write into a payload for the Raft log). Limits are the backing disk's,
 * the request size capped by the io_ops' max_sectors.
 */
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include "raftblk.h"

#define RAFTBLK_QUEUE_DEPTH	128

static blk_status_t raftblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				     const struct blk_mq_queue_data *bd)
{
	struct raftblk_dev *dev = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);
	blk_status_t status;

	/* The pdu is reused: no stamp of the previous request may stay. */
	memset(&pdu->t, 0, sizeof(pdu->t));
	pdu->t.start_ns = ktime_get_ns();
	blk_mq_start_request(rq);
	status = dev->io_ops->submit(dev, rq);
	/* Refused: blk-mq ends it (a resource shortage requeues it). */
	if (status != BLK_STS_OK && status != BLK_STS_RESOURCE &&
	    status != BLK_STS_DEV_RESOURCE)
		raftblk_io_stats_account(&dev->io_stats, rq, &pdu->t, status);
	return status;
}

void raftblk_complete_request(struct request *rq, blk_status_t status)
{
	struct raftblk_dev *dev = rq->q->queuedata;
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);

	raftblk_io_stats_account(&dev->io_stats, rq, &pdu->t, status);
	blk_mq_end_request(rq, status);
}

/*
 * A flush request of ours may complete inside the backing disk's flush
 * completion, under its hctx's fq->mq_flush_lock (our clone's end_io runs
 * there and ends our request): our flush queue's lock gets a class of its
 * own, or lockdep takes the nesting for recursive locking. Stacking
 * raftblk on raftblk is refused, so one class does.
 */
static struct lock_class_key raftblk_hctx_fq_lock_key;

static int raftblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			     unsigned int hctx_idx)
{
	blk_mq_hctx_set_fq_lock_class(hctx, &raftblk_hctx_fq_lock_key);
	return 0;
}

static const struct blk_mq_ops raftblk_mq_ops = {
	.queue_rq = raftblk_queue_rq,
	.init_hctx = raftblk_init_hctx,
};

static int raftblk_open(struct block_device *bdev, fmode_t mode)
{
	struct raftblk_dev *dev = bdev->bd_disk->private_data;
	int ret;

	/* Called under disk->open_mutex, like raftblk_blkdev_mark_dying(). */
	if (dev->dying)
		return -ENXIO;
	if ((mode & FMODE_WRITE) && dev->io_ops->open_write) {
		/* A follower may wait here to become the leader. */
		ret = dev->io_ops->open_write(dev);
		if (ret)
			return ret;
	}
	if (mode & FMODE_WRITE)
		atomic_inc(&dev->write_openers);
	return 0;
}

static void raftblk_release(struct gendisk *disk, fmode_t mode)
{
	struct raftblk_dev *dev = disk->private_data;

	if (mode & FMODE_WRITE)
		atomic_dec(&dev->write_openers);
}

static const struct block_device_operations raftblk_fops = {
	.owner = THIS_MODULE,
	.open = raftblk_open,
	.release = raftblk_release,
};

/* Is @bdev a raftblk disk? Stacking one on another is refused. */
bool raftblk_blkdev_is_raftblk(struct block_device *bdev)
{
	return bdev->bd_disk->fops == &raftblk_fops;
}

static void raftblk_blkdev_set_limits(struct raftblk_dev *dev,
				      struct request_queue *q)
{
	struct block_device *b = dev->backing;
	struct request_queue *bq = bdev_get_queue(b);
	unsigned int nodata;

	blk_queue_logical_block_size(q, bdev_logical_block_size(b));
	blk_queue_physical_block_size(q, bdev_physical_block_size(b));
	blk_queue_io_min(q, bdev_io_min(b));
	blk_queue_io_opt(q, bdev_io_opt(b));
	if (dev->io_ops->max_sectors) {
		/*
		 * The data is copied out of the request: any page layout
		 * will do, so one request may fill the whole limit (the
		 * default of 128 segments cut 1 MiB writes in two entries).
		 */
		blk_queue_max_hw_sectors(q, min(queue_max_hw_sectors(bq),
						dev->io_ops->max_sectors));
		blk_queue_max_segments(q, max_t(unsigned int, BLK_MAX_SEGMENTS,
			dev->io_ops->max_sectors >> (PAGE_SHIFT - SECTOR_SHIFT)));
	} else
		blk_queue_max_hw_sectors(q, queue_max_hw_sectors(bq));
	blk_queue_update_dma_alignment(q, queue_dma_alignment(bq));

	/*
	 * Discard and write-zeroes only when the backing disk has them, no
	 * larger than the ops honour (the block layer splits the rest).
	 */
	nodata = dev->io_ops->max_nodata_sectors ?: UINT_MAX;
	blk_queue_max_discard_sectors(q, min(bdev_max_discard_sectors(b),
					     nodata));
	q->limits.discard_granularity = bdev_discard_granularity(b);
	blk_queue_max_write_zeroes_sectors(q, min(bdev_write_zeroes_sectors(b),
						  nodata));

	/*
	 * Flush and FUA as the backing disk: clones pass them on. FUA too
	 * when every write completes durable anyway (io_ops): the block
	 * layer would otherwise follow each FUA write with a flush
	 * request, two more trips through kblockd for nothing.
	 */
	blk_queue_write_cache(q, bdev_write_cache(b),
			      bdev_fua(b) || dev->io_ops->durable_writes);

	if (bdev_nonrot(b))
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	else
		blk_queue_flag_clear(QUEUE_FLAG_NONROT, q);
}

/* Create and register the disk; on success I/O can arrive at once. */
int raftblk_blkdev_add(struct raftblk_dev *dev)
{
	struct blk_mq_tag_set *set = &dev->tag_set;
	struct gendisk *disk;
	int ret;

	set->ops = &raftblk_mq_ops;
	set->nr_hw_queues = 1;
	set->queue_depth = RAFTBLK_QUEUE_DEPTH;
	set->numa_node = NUMA_NO_NODE;
	set->cmd_size = sizeof(struct raftblk_rq);
	set->flags = BLK_MQ_F_SHOULD_MERGE | BLK_MQ_F_BLOCKING;
	set->driver_data = dev;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;

	disk = blk_mq_alloc_disk(set, dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_free_tag_set;
	}
	disk->fops = &raftblk_fops;
	disk->private_data = dev;
	disk->flags |= GENHD_FL_NO_PART;
	strscpy(disk->disk_name, dev->name, DISK_NAME_LEN);
	raftblk_blkdev_set_limits(dev, disk->queue);
	set_capacity(disk, dev->capacity);

	dev->disk = disk;
	ret = device_add_disk(NULL, disk, raftblk_disk_groups);
	if (ret)
		goto err_put_disk;
	return 0;

err_put_disk:
	dev->disk = NULL;
	put_disk(disk);
err_free_tag_set:
	blk_mq_free_tag_set(set);
	return ret;
}

/*
 * Make sure nobody has the disk open and nobody can open it from now on.
 * -EBUSY if it is open.
 */
int raftblk_blkdev_mark_dying(struct raftblk_dev *dev)
{
	struct gendisk *disk = dev->disk;
	int ret = 0;

	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk))
		ret = -EBUSY;
	else
		dev->dying = true;
	mutex_unlock(&disk->open_mutex);
	return ret;
}

/* Remove the disk; waits for every request still in flight. */
void raftblk_blkdev_remove(struct raftblk_dev *dev)
{
	del_gendisk(dev->disk);
	put_disk(dev->disk);
	dev->disk = NULL;
	blk_mq_free_tag_set(&dev->tag_set);
}

unsigned int raftblk_blkdev_openers(struct raftblk_dev *dev)
{
	return disk_openers(dev->disk);
}
