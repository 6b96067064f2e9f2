// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the backing disk of a device.
 *
 * The disk is opened exclusively (the device is the holder), so nothing
 * else can mount or claim it while raftblk uses it; a node whose data
 * area is behind device-mapper (snapshots) hands the claim over to it. A request is sent to it
 * by cloning each of the request's bios onto the backing disk; the request
 * completes when the last clone does, with the first error seen.
 */
#include <linux/blkdev.h>
#include <linux/bio.h>
#include "raftblk.h"

#define RAFTBLK_BACKING_MODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static const char *raftblk_backing_open_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "disk not found";
	case -ENOTBLK:
		return "disk is not a block device";
	case -EBUSY:
		return "disk is in use";
	case -EACCES:
	case -EROFS:
		return "disk is read-only or access is denied";
	case -ENXIO:
	case -ENODEV:
		return "disk is not present";
	default:
		return "cannot open disk";
	}
}

int raftblk_backing_open(struct raftblk_dev *dev, struct raftblk_err *err)
{
	struct block_device *bdev;
	int ret;

	err->attr = RAFTBLK_ATTR_DISK_PATH;
	if (dev->disk_path[0] != '/') {
		err->msg = "disk path must be absolute";
		return -EINVAL;
	}

	bdev = blkdev_get_by_path(dev->disk_path, RAFTBLK_BACKING_MODE, dev);
	if (IS_ERR(bdev)) {
		ret = PTR_ERR(bdev);
		err->msg = raftblk_backing_open_error(ret);
		return ret;
	}
	if (raftblk_blkdev_is_raftblk(bdev)) {
		err->msg = "disk is itself a raftblk device";
		ret = -EINVAL;
		goto err_put_backing;
	}
	if (!bdev_nr_sectors(bdev)) {
		err->msg = "disk is empty";
		ret = -EINVAL;
		goto err_put_backing;
	}

	ret = bioset_init(&dev->bio_set, BIO_POOL_SIZE, 0, BIOSET_NEED_RESCUER);
	if (ret) {
		err->msg = "out of memory";
		err->attr = 0;
		goto err_put_backing;
	}
	dev->backing = bdev;
	dev->capacity = bdev_nr_sectors(bdev);
	return 0;

err_put_backing:
	blkdev_put(bdev, RAFTBLK_BACKING_MODE);
	return ret;
}

/*
 * Give the exclusive claim up, keeping the disk open: device-mapper then
 * claims it for the data area's stack (snapshot.c), and that claim keeps
 * everything else off the disk instead.
 */
int raftblk_backing_share(struct raftblk_dev *dev)
{
	struct block_device *bdev;

	if (dev->backing_shared)
		return 0;
	bdev = blkdev_get_by_dev(dev->backing->bd_dev,
				 RAFTBLK_BACKING_MODE & ~FMODE_EXCL, NULL);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	blkdev_put(dev->backing, RAFTBLK_BACKING_MODE);
	dev->backing = bdev;
	dev->backing_shared = true;
	return 0;
}

/* Only once no request can reach the backing disk any more. */
void raftblk_backing_close(struct raftblk_dev *dev)
{
	bioset_exit(&dev->bio_set);
	blkdev_put(dev->backing, dev->backing_shared ?
		   RAFTBLK_BACKING_MODE & ~FMODE_EXCL : RAFTBLK_BACKING_MODE);
	dev->backing = NULL;
	dev->backing_shared = false;
}

static void raftblk_backing_put_rq(struct request *rq)
{
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);

	if (atomic_dec_and_test(&pdu->pending))
		raftblk_complete_request(rq, READ_ONCE(pdu->status));
}

static void raftblk_backing_endio(struct bio *bio)
{
	struct request *rq = bio->bi_private;
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);

	if (bio->bi_status)
		WRITE_ONCE(pdu->status, bio->bi_status);
	bio_put(bio);
	raftblk_backing_put_rq(rq);
}

static void raftblk_backing_issue(struct request *rq, struct bio *bio)
{
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);

	bio->bi_end_io = raftblk_backing_endio;
	bio->bi_private = rq;
	atomic_inc(&pdu->pending);
	submit_bio_noacct(bio);
}

/* An empty flush request: flush the backing disk's write cache. */
static void raftblk_backing_flush(struct raftblk_dev *dev, struct request *rq)
{
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);
	struct bio *bio;

	bio = bio_alloc_bioset(dev->backing, 0,
			       REQ_OP_WRITE | REQ_PREFLUSH | REQ_SYNC,
			       GFP_NOIO, &dev->bio_set);
	if (!bio) {
		WRITE_ONCE(pdu->status, BLK_STS_RESOURCE);
		return;
	}
	raftblk_backing_issue(rq, bio);
}

/*
 * Clone every bio of a read, write, discard or write-zeroes request onto
 * the backing disk. The block layer's flush machinery has already turned
 * REQ_PREFLUSH into a separate flush request, and leaves REQ_FUA on the
 * request only when we advertise FUA (then the backing disk has it), so
 * the clones carry exactly the request's REQ_FUA.
 */
static void raftblk_backing_clone(struct raftblk_dev *dev,
				  struct block_device *bdev, struct request *rq,
				  sector_t offset)
{
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);
	struct bio *src, *clone;

	__rq_for_each_bio(src, rq) {
		clone = bio_alloc_clone(bdev, src, GFP_NOIO,
					&dev->bio_set);
		if (!clone) {
			WRITE_ONCE(pdu->status, BLK_STS_RESOURCE);
			return;
		}
		clone->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA | REQ_NOWAIT);
		clone->bi_opf |= rq->cmd_flags & REQ_FUA;
		clone->bi_iter.bi_sector += offset;
		raftblk_backing_issue(rq, clone);
	}
}

/*
 * Send a started request to @bdev (the backing disk, or the data area's
 * device-mapper device), its sector @offset sectors further on (where the
 * data area starts): BLK_STS_OK once the request is owned (it then
 * completes through raftblk_complete_request()), or an error status
 * before anything was sent (the caller completes it).
 */
blk_status_t raftblk_backing_submit_at(struct raftblk_dev *dev,
				       struct block_device *bdev,
				       struct request *rq, sector_t offset)
{
	struct raftblk_rq *pdu = blk_mq_rq_to_pdu(rq);

	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
	case REQ_OP_READ:
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		break;
	default:
		return BLK_STS_NOTSUPP;
	}

	/* One reference held while issuing, so no clone completes us early. */
	atomic_set(&pdu->pending, 1);
	pdu->status = BLK_STS_OK;
	if (req_op(rq) == REQ_OP_FLUSH)
		raftblk_backing_flush(dev, rq);
	else
		raftblk_backing_clone(dev, bdev, rq, offset);
	raftblk_backing_put_rq(rq);
	return BLK_STS_OK;
}

/* The same, at the same sectors: the whole backing disk is the data. */
blk_status_t raftblk_backing_submit(struct raftblk_dev *dev,
				    struct request *rq)
{
	return raftblk_backing_submit_at(dev, dev->backing, rq, 0);
}
