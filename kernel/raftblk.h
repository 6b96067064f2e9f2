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
#include "io_stats.h"

struct raftblk_dev;
struct raftblk_node;
struct raftblk_node_params;
struct raftblk_node_status;

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
	 * Largest discard / write-zeroes request in sectors (a replicated
	 * one is one log entry, which covers at most 1 GiB), or 0: whatever
	 * the backing disk takes.
	 */
	unsigned int max_nodata_sectors;
	/*
	 * Every write completes durable (a replicated one once committed:
	 * in a majority of logs): REQ_FUA asks for nothing more, so the
	 * queue advertises it whatever the backing disk has, and a FUA
	 * write is not cut into a write and a flush by the block layer.
	 */
	bool durable_writes;
	/*
	 * Take a started request. Return BLK_STS_OK once the request is
	 * owned (it is then completed exactly once, later or already, with
	 * raftblk_complete_request()), or an error status to have queue_rq
	 * fail it. May sleep (the queue is BLK_MQ_F_BLOCKING).
	 */
	blk_status_t (*submit)(struct raftblk_dev *dev, struct request *rq);
	/*
	 * Optional: may the disk be opened for writing now? Called from
	 * .open under disk->open_mutex; may sleep (a follower asks to lead
	 * and waits, bounded: node_promote.c). 0, or the errno the open
	 * fails with (-EROFS: a follower refuses writers). NULL: always.
	 */
	int (*open_write)(struct raftblk_dev *dev);
	/*
	 * Optional: the device's network namespace is going away. Close
	 * every socket in it; afterwards the device belongs to init_net.
	 * Called from the namespace's pre_exit with a reference on the
	 * device (not under raftblk_devices_lock).
	 */
	void (*net_exit)(struct raftblk_dev *dev);
	/*
	 * Optional: fill @st (zeroed, role preset to @role) with the
	 * replication state. May be called concurrently with I/O, from
	 * sysfs and netlink, in process context; must not wait for the
	 * backend's disk. NULL: not replicated.
	 */
	void (*get_status)(struct raftblk_dev *dev,
			   struct raftblk_node_status *st);
};

/* Per-request state, in the blk-mq pdu (tag_set.cmd_size). */
struct raftblk_rq {
	/* When it passed each point of its life (io_stats.c). */
	struct raftblk_io_stamps t;

	/* backing.c, while the request is sent to the backing disk: */
	/* Backing bios in flight, plus one while they are being issued. */
	atomic_t pending;
	/* First error seen by a backing bio, BLK_STS_OK if none. */
	blk_status_t status;

	/* The replication layer (node_io.c), while it holds the request: */
	struct list_head node_list;
	u64 index;		/* log index of the request's entry */
	u64 term;		/* and its term */
	/* A write's data, copied (and its crc computed) at submission, in
	 * the submitter's context; the node thread takes it to propose.
	 */
	struct raft_payload *payload;
};

/* Where a device is in its life (dev->state). */
enum raftblk_dev_state {
	RAFTBLK_DEV_CREATING,	/* name taken, being set up: not found */
	RAFTBLK_DEV_LIVE,	/* found by lookups */
	RAFTBLK_DEV_DYING,	/* being torn down: name taken, not found */
};

struct raftblk_dev {
	/*
	 * Entry in raftblk_devices, from the moment create takes the name
	 * until destroy has torn everything down. Under
	 * raftblk_devices_lock, like state, users and destroying.
	 */
	struct list_head list;
	enum raftblk_dev_state state;
	/* References from lookups (raftblk_device_get()); teardown waits. */
	unsigned int users;
	/* A destroy is checking that nobody has the disk open. */
	bool destroying;
	/* Entry in a namespace's list of devices to move (pre_exit). */
	struct list_head exit_list;
	char name[RAFTBLK_NAME_MAXLEN + 1];
	char disk_path[RAFTBLK_PATH_MAXLEN + 1];
	/*
	 * Network namespace the device belongs to: the one that created it,
	 * or init_net once that one is gone. Not a counted reference; read
	 * and changed under raftblk_devices_lock.
	 */
	struct net *net;

	/*
	 * Backing disk, opened exclusively with this device as holder, or
	 * shared (raftblk_backing_share()) once device-mapper claimed it.
	 */
	struct block_device *backing;
	bool backing_shared;
	/* Opens of /dev/raftblkN for writing (open/release, atomic). */
	atomic_t write_openers;
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
	/*
	 * Replication state (node*.c); NULL for a standalone device. Only
	 * device.c hands it to the node's functions; status is read
	 * through io_ops->get_status.
	 */
	struct raftblk_node *node;

	/*
	 * Set under disk->open_mutex once destroy has checked that nobody
	 * has the disk open: from then on .open fails, so the device can be
	 * torn down without an opener sneaking in.
	 */
	bool dying;

	/* What the events group was last told about the device. */
	struct raftblk_events events;
	/* Requests completed (blkdev.c); lock-free, atomic fields. */
	struct raftblk_io_stats io_stats;
};

/* device.c: registry of devices. */

/*
 * raftblk_devices_lock protects raftblk_devices (the list, each device's
 * state, users, destroying and net) and the generation. It is held only
 * for lookups, insertion and removal, never across I/O, a node's lock or
 * a wait: a device found LIVE is pinned by a reference (users), and
 * destroy waits for the references to go before tearing it down. Never
 * taken from the I/O path or from .open/.release.
 */
extern struct mutex raftblk_devices_lock;
extern struct list_head raftblk_devices;
/* Bumped on every change of the visible devices, for dump consistency. */
extern unsigned int raftblk_devices_gen;

/* Why a create or destroy failed: a static message and the attribute. */
struct raftblk_err {
	const char *msg;	/* a string literal (extended ack) */
	int attr;	/* RAFTBLK_ATTR_* at fault, or 0 */
};

bool raftblk_name_valid(const char *name);
struct raftblk_dev *raftblk_device_get(struct net *net, const char *name);
struct raftblk_dev *raftblk_device_next(struct net *net,
					struct raftblk_dev *prev,
					unsigned int *gen);
void raftblk_device_put(struct raftblk_dev *dev);
int raftblk_device_create(struct net *net, const char *name,
			  const char *disk_path,
			  const struct raftblk_node_params *repl,
			  struct raftblk_err *err);
int raftblk_device_destroy(struct net *net, const char *name,
			   struct raftblk_err *err);
void raftblk_devices_destroy_all(void);
void raftblk_device_status(struct raftblk_dev *dev,
			   struct raftblk_node_status *st);

/* What DEVICE_GET says about the block device itself. */
struct raftblk_dev_info {
	const char *name;		/* valid while the device is */
	const char *disk_path;
	u64 capacity;			/* bytes */
	u32 open_count;
	u32 logical_block_size;
	bool replicated;		/* a node's status goes with it */
	struct raftblk_io_stats *io_stats;	/* the device's, live */
};

void raftblk_device_info(struct raftblk_dev *dev,
			 struct raftblk_dev_info *info);
int raftblk_device_peer_add(struct raftblk_dev *dev, u32 id,
			    const struct sockaddr_storage *addr,
			    struct raftblk_err *err);
int raftblk_device_peer_remove(struct raftblk_dev *dev, u32 id,
			       struct raftblk_err *err);
int raftblk_device_transfer_leader(struct raftblk_dev *dev, u32 id,
				   bool force, struct raftblk_err *err);
struct raftblk_node_opts;
int raftblk_device_set_options(struct raftblk_dev *dev,
			       const struct raftblk_node_opts *o,
			       struct raftblk_err *err);
int raftblk_device_snapshot(struct raftblk_dev *dev, u8 op, const char *name,
			    u64 cow_size, const char *cow_dev, u64 *index,
			    u64 *term, struct raftblk_err *err);
struct rb_verify_report;
int raftblk_device_verify_start(struct raftblk_dev *dev, u64 *index,
				u64 *term, struct raftblk_err *err);
int raftblk_device_verify_report(struct raftblk_dev *dev,
				 struct rb_verify_report *r,
				 struct raftblk_err *err);
int raftblk_device_resync_extents(struct raftblk_dev *dev, u32 id,
				  const u32 *ext, u32 n_ext, u32 *count,
				  struct raftblk_err *err);
struct raftblk_snaprep_view;
int raftblk_device_snaprep_set(struct raftblk_dev *dev, const u8 *b, u32 len,
			       struct raftblk_err *err);
int raftblk_device_snaprep_read(struct raftblk_dev *dev,
				struct raftblk_snaprep_view *v,
				struct raftblk_err *err);
const char *raftblk_role_name(enum raftblk_role role);
const char *raftblk_waiting_name(enum raftblk_waiting waiting);
int __init raftblk_devices_init(void);
void raftblk_devices_exit(void);

/* backing.c: the backing disk. */
int raftblk_backing_open(struct raftblk_dev *dev, struct raftblk_err *err);
void raftblk_backing_close(struct raftblk_dev *dev);
blk_status_t raftblk_backing_submit(struct raftblk_dev *dev,
				    struct request *rq);
blk_status_t raftblk_backing_submit_at(struct raftblk_dev *dev,
				       struct block_device *bdev,
				       struct request *rq, sector_t offset);
int raftblk_backing_share(struct raftblk_dev *dev);

/*
 * snapshot.c: the data area's device-mapper stack and its snapshots,
 * through the usermode helper. A snapshot command is a BARRIER entry's
 * marker (struct raft_marker): op, arg = COW bytes, data = the name
 * (RAFTBLK_SNAP_NAME_OFF, NUL-padded; a create with a COW device has
 * the device's path after the name's NUL, in the same 48 bytes) and the
 * leader's time
 * (RAFTBLK_SNAP_TIME_OFF, le64 seconds); Documentation/on-disk-format.rst.
 */
#define RAFTBLK_SNAP_OP_CREATE		1
#define RAFTBLK_SNAP_OP_DELETE		2
/* A verify (verify.h): every node hashes its data area; no data. */
#define RAFTBLK_VERIFY_OP		3
#define RAFTBLK_SNAP_NAME_OFF		0
#define RAFTBLK_SNAP_TIME_OFF		48
/* The helper's exit codes with a meaning (others: it failed). */
#define RAFTBLK_SNAP_EXIT_FAILED	1
#define RAFTBLK_SNAP_EXIT_NOT_FOUND	2
/* snapshot-recover: a device of the node is still suspended */
#define RAFTBLK_SNAP_EXIT_SUSPENDED	16
#define RAFTBLK_SNAP_EXIT_EXISTS	17
#define RAFTBLK_SNAP_EXIT_NO_SPACE	28
#define RAFTBLK_SNAP_EXIT_REPLAYED	29

struct raftblk_snap_cmd {
	u8 op;				/* RAFTBLK_SNAP_OP_* */
	char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
	u64 index, term;
	u64 time;			/* seconds since the epoch */
	u64 cow_size;			/* bytes, 0: the helper's default */
	/*
	 * The entry was in the log when the device started: it may have
	 * been applied before (with writes after it since), so the helper
	 * only reports a record it made then and takes nothing new.
	 */
	bool replay;
	char cow_dev[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];	/* "": the pool */
};

int raftblk_snap_attach(struct raftblk_dev *dev, const char *pool,
			u64 data_off, u64 data_size,
			struct block_device **data, struct raftblk_err *err);
void raftblk_snap_detach(struct raftblk_dev *dev, const char *pool,
			 struct block_device *data);
int raftblk_snap_run(struct raftblk_dev *dev, const char *pool,
		     u64 data_off, u64 data_size,
		     const struct raftblk_snap_cmd *cmd);
const char *raftblk_snapshot_result_name(u8 result);

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
int __init raftblk_netlink_init(void);
void raftblk_netlink_exit(void);

#endif /* _RAFTBLK_H */
