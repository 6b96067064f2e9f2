/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftblk: internal structures shared by the files of the module.
 *
 * A device (struct raftblk_dev) is a blk-mq disk /dev/raftblkN over one
 * exclusively opened backing disk. A request goes
 *
 *   queue_rq (blkdev.c) -> dev->io_ops->submit() -> ... ->
 *   raftblk_complete_request() (blkdev.c)
 *
 * The io_ops decide what a request means: passthrough.c sends it straight
 * to the backing disk (role "standalone"); the replication layer provides
 * its own io_ops that turns writes into Raft log entries.
 */
#ifndef _RAFTBLK_H
#define _RAFTBLK_H

#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <net/net_namespace.h>
#include <linux/raftblk.h>
#include "events.h"

struct raftblk_dev;
struct raftblk_node;
struct raftblk_node_params;

/* What a device reports about its replication (sysfs and netlink). */
struct raftblk_repl_info {
	enum raftblk_role role;
	u64 term;
	u32 leader_id;		/* 0: no known leader */
	u64 commit_index;
	u64 applied_index;
};

/* How a device turns block requests into I/O. */
struct raftblk_io_ops {
	/* Reported as RAFTBLK_ATTR_ROLE while these ops are in use. */
	enum raftblk_role role;
	/*
	 * Largest request in sectors the ops can take (a replicated write
	 * becomes one log record), or 0: whatever the backing disk takes.
	 */
	unsigned int max_sectors;
	/*
	 * Take a started request. Return BLK_STS_OK once the request is
	 * owned (it is then completed exactly once, later or already, with
	 * raftblk_complete_request()), or an error status to have queue_rq
	 * fail it. May sleep (the queue is BLK_MQ_F_BLOCKING).
	 */
	blk_status_t (*submit)(struct raftblk_dev *dev, struct request *rq);
	/*
	 * Optional: may the disk be opened for writing now? Called from
	 * .open under disk->open_mutex; false fails the open with -EROFS
	 * (a follower refuses writers). NULL: always.
	 */
	bool (*may_open_write)(struct raftblk_dev *dev);
	/*
	 * Optional: the device's network namespace is going away. Close
	 * every socket in it; afterwards the device belongs to init_net.
	 * Called under raftblk_devices_lock from the namespace's pre_exit,
	 * so it must not wait for anything that takes that lock.
	 */
	void (*net_exit)(struct raftblk_dev *dev);
	/*
	 * Optional: fill @info (zeroed, role preset to @role) with the live
	 * replication state. May be called concurrently with I/O, from
	 * sysfs and netlink, in process context. NULL: not replicated.
	 */
	void (*get_info)(struct raftblk_dev *dev,
			 struct raftblk_repl_info *info);
};

/* Per-request state, in the blk-mq pdu (tag_set.cmd_size). */
struct raftblk_rq {
	/* backing.c, while the request is sent to the backing disk: */
	/* Backing bios in flight, plus one while they are being issued. */
	atomic_t pending;
	/* First error seen by a backing bio, BLK_STS_OK if none. */
	blk_status_t status;

	/* The replication layer (node.c), while it holds the request: */
	struct list_head node_list;
	u64 index;		/* log index of the request's entry */
	u64 term;		/* and its term */
	/* A write's data, copied (and its crc computed) at submission, in
	 * the submitter's context; the node thread takes it to propose.
	 */
	struct raft_payload *payload;
};

struct raftblk_dev {
	/* Entry in raftblk_devices, under raftblk_devices_lock. */
	struct list_head list;
	char name[RAFTBLK_NAME_MAXLEN + 1];
	char disk_path[RAFTBLK_PATH_MAXLEN + 1];
	/*
	 * Network namespace the device belongs to: the one that created it,
	 * or init_net once that one is gone. Not a counted reference; read
	 * and changed under raftblk_devices_lock.
	 */
	struct net *net;

	/* Backing disk, opened exclusively with this device as holder. */
	struct block_device *backing;
	/*
	 * Size of the device in sectors: the whole backing disk, or what
	 * the io_ops leave of it (a replicated device's data area). Set
	 * before the disk is added; fixed afterwards.
	 */
	sector_t capacity;
	/* Clones of request bios sent to the backing disk, and flushes. */
	struct bio_set bio_set;

	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	/* Set before the disk is added, fixed for the device's life. */
	const struct raftblk_io_ops *io_ops;
	/* Replication state (node.c); NULL for a standalone device. */
	struct raftblk_node *node;
	/* A replicated device's listen address, as it was configured. */
	struct sockaddr_storage listen;

	/*
	 * Set under disk->open_mutex once destroy has checked that nobody
	 * has the disk open: from then on .open fails, so the device can be
	 * torn down without an opener sneaking in.
	 */
	bool dying;

	/* What the events group was last told about the device. */
	struct raftblk_events events;
};

/* device.c: registry of devices. */

/*
 * raftblk_devices_lock protects raftblk_devices (the list and each
 * device's membership in it) and serializes create and destroy, so a
 * device found under the lock stays fully set up until the lock is
 * released. Never taken from the I/O path or from .open/.release.
 */
extern struct mutex raftblk_devices_lock;
extern struct list_head raftblk_devices;
/* Bumped on every change of raftblk_devices, for dump consistency. */
extern unsigned int raftblk_devices_gen;

/* Why a create or destroy failed: a static message and the attribute. */
struct raftblk_err {
	const char *msg;	/* a string literal (extended ack) */
	int attr;	/* RAFTBLK_ATTR_* at fault, or 0 */
};

bool raftblk_name_valid(const char *name);
struct raftblk_dev *raftblk_device_find(struct net *net, const char *name);
int raftblk_device_create(struct net *net, const char *name,
			  const char *disk_path,
			  const struct raftblk_node_params *repl,
			  struct raftblk_err *err);
int raftblk_device_destroy(struct net *net, const char *name,
			   struct raftblk_err *err);
void raftblk_devices_destroy_all(void);
void raftblk_device_info(struct raftblk_dev *dev,
			 struct raftblk_repl_info *info);
const char *raftblk_role_name(enum raftblk_role role);
int __init raftblk_devices_init(void);
void raftblk_devices_exit(void);

/* backing.c: the backing disk. */
int raftblk_backing_open(struct raftblk_dev *dev, struct raftblk_err *err);
void raftblk_backing_close(struct raftblk_dev *dev);
blk_status_t raftblk_backing_submit(struct raftblk_dev *dev,
				    struct request *rq);
blk_status_t raftblk_backing_submit_at(struct raftblk_dev *dev,
				       struct request *rq, sector_t offset);

/* blkdev.c: the blk-mq disk. */
int raftblk_blkdev_add(struct raftblk_dev *dev);
bool raftblk_blkdev_is_raftblk(struct block_device *bdev);
int raftblk_blkdev_mark_dying(struct raftblk_dev *dev);
void raftblk_blkdev_remove(struct raftblk_dev *dev);
unsigned int raftblk_blkdev_openers(struct raftblk_dev *dev);
void raftblk_complete_request(struct request *rq, blk_status_t status);

/* sysfs.c: /sys/block/raftblkN/raftblk/. */
extern const struct attribute_group *raftblk_disk_groups[];

/* passthrough.c: requests go straight to the backing disk. */
extern const struct raftblk_io_ops raftblk_passthrough_ops;

/* netlink.c: the generic netlink family. */
extern struct genl_family raftblk_genl_family;
/* Multicast groups of the family, in the order of its mcgrps. */
enum raftblk_mcgrp {
	RAFTBLK_MCGRP_EVENTS,
};
int raftblk_nl_put_addr(struct sk_buff *skb, int type,
			const struct sockaddr_storage *ss);
int __init raftblk_netlink_init(void);
void raftblk_netlink_exit(void);

#endif /* _RAFTBLK_H */
