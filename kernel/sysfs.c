// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: read-only sysfs attributes of a device, for monitoring without
 * netlink, in /sys/block/raftblkN/raftblk/:
 *
 *   role           standalone, follower, pre-candidate, candidate, leader
 *                  or learner
 *   term           current Raft term (0 when standalone)
 *   leader         node id of the known leader, 0 if none
 *   commit_index   highest log index known committed
 *   applied_index  highest log index applied to the data area
 *   waiting        what the node waits for: none, snapshot, log,
 *                  hard-state or resync (Documentation/admin-guide.rst
 *                  "What a node waits for")
 *   wait_index     the index it waits for (snapshot, log), its base
 *                  (resync), 0 otherwise
 *   resync         one line per copy of the data area this node sends
 *                  (to a follower) or receives (from the leader), see
 *                  Documentation/admin-guide.rst "Resync"
 *   resync_rate    bytes per second the leader sends each copy at most,
 *                  0 for the dynamic default (raftctl set --resync-rate)
 *   reads_direct   reads this node served as leader in queue_rq, under
 *                  the lease its node thread published
 *   reads_thread   reads its node thread served (after a read barrier)
 *
 * The attributes are removed by del_gendisk() before the device is freed,
 * and kernfs waits for readers, so a reader always sees a live device.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include "raftblk.h"
#include "node.h"

static struct raftblk_dev *raftblk_sysfs_dev(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

/*
 * Show one field of the device's status (read without waiting for its
 * node: the snapshot the node published).
 */
static ssize_t raftblk_sysfs_show(struct device *d, char *buf,
				  int (*show)(char *buf,
					      const struct raftblk_node_status *st))
{
	struct raftblk_node_status *st;
	ssize_t ret;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	raftblk_device_status(raftblk_sysfs_dev(d), st);
	ret = show(buf, st);
	kfree(st);
	return ret;
}

static int raftblk_sysfs_role(char *buf, const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%s\n", raftblk_role_name(st->role));
}

static int raftblk_sysfs_term(char *buf, const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->term);
}

static int raftblk_sysfs_leader(char *buf,
				const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%u\n", st->leader);
}

static int raftblk_sysfs_commit(char *buf,
				const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->commit);
}

static int raftblk_sysfs_applied(char *buf,
				 const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->applied);
}

static int raftblk_sysfs_waiting(char *buf,
				 const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%s\n", raftblk_waiting_name(st->waiting));
}

static int raftblk_sysfs_wait_index(char *buf,
				    const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->wait_index);
}

static int raftblk_sysfs_resync(char *buf,
				const struct raftblk_node_status *st)
{
	int len = 0;
	u32 i;

	for (i = 0; i < st->n_resync; i++) {
		const struct rb_resync_info *r = &st->resync[i];

		len += sysfs_emit_at(buf, len,
				     "%s %llu %s %s index %llu base %llu done %llu total %llu rate %llu eta %llu pace %llu\n",
				     r->sending ? "to" : "from",
				     (unsigned long long)r->peer,
				     r->full ? "full" : "delta",
				     r->active ? "running" :
				     r->ok ? "finished" : "failed",
				     r->index, r->base, r->done, r->total,
				     r->rate, r->eta_s, r->pace);
	}
	return len;
}

static int raftblk_sysfs_reads_direct(char *buf,
				      const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->reads_direct);
}

static int raftblk_sysfs_reads_thread(char *buf,
				      const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->reads_thread);
}

static int raftblk_sysfs_resync_rate(char *buf,
				     const struct raftblk_node_status *st)
{
	return sysfs_emit(buf, "%llu\n", st->resync_rate);
}

static ssize_t role_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_role);
}
static DEVICE_ATTR_RO(role);

static ssize_t term_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_term);
}
static DEVICE_ATTR_RO(term);

static ssize_t leader_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_leader);
}
static DEVICE_ATTR_RO(leader);

static ssize_t commit_index_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_commit);
}
static DEVICE_ATTR_RO(commit_index);

static ssize_t applied_index_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_applied);
}
static DEVICE_ATTR_RO(applied_index);

static ssize_t waiting_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_waiting);
}
static DEVICE_ATTR_RO(waiting);

static ssize_t wait_index_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_wait_index);
}
static DEVICE_ATTR_RO(wait_index);

static ssize_t resync_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_resync);
}
static DEVICE_ATTR_RO(resync);

static ssize_t resync_rate_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_resync_rate);
}
static DEVICE_ATTR_RO(resync_rate);

static ssize_t reads_direct_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_reads_direct);
}
static DEVICE_ATTR_RO(reads_direct);

static ssize_t reads_thread_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return raftblk_sysfs_show(d, buf, raftblk_sysfs_reads_thread);
}
static DEVICE_ATTR_RO(reads_thread);

static struct attribute *raftblk_attrs[] = {
	&dev_attr_role.attr,
	&dev_attr_term.attr,
	&dev_attr_leader.attr,
	&dev_attr_commit_index.attr,
	&dev_attr_applied_index.attr,
	&dev_attr_waiting.attr,
	&dev_attr_wait_index.attr,
	&dev_attr_resync.attr,
	&dev_attr_resync_rate.attr,
	&dev_attr_reads_direct.attr,
	&dev_attr_reads_thread.attr,
	NULL,
};

static const struct attribute_group raftblk_attr_group = {
	.name = "raftblk",
	.attrs = raftblk_attrs,
};

const struct attribute_group *raftblk_disk_groups[] = {
	&raftblk_attr_group,
	NULL,
};
