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
 *
 * The attributes are removed by del_gendisk() before the device is freed,
 * and kernfs waits for readers, so a reader always sees a live device.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/sysfs.h>
#include "raftblk.h"

static struct raftblk_dev *raftblk_sysfs_dev(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

static ssize_t role_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	struct raftblk_repl_info info;

	raftblk_device_info(raftblk_sysfs_dev(d), &info);
	return sysfs_emit(buf, "%s\n", raftblk_role_name(info.role));
}
static DEVICE_ATTR_RO(role);

static ssize_t term_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	struct raftblk_repl_info info;

	raftblk_device_info(raftblk_sysfs_dev(d), &info);
	return sysfs_emit(buf, "%llu\n", info.term);
}
static DEVICE_ATTR_RO(term);

static ssize_t leader_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	struct raftblk_repl_info info;

	raftblk_device_info(raftblk_sysfs_dev(d), &info);
	return sysfs_emit(buf, "%u\n", info.leader_id);
}
static DEVICE_ATTR_RO(leader);

static ssize_t commit_index_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct raftblk_repl_info info;

	raftblk_device_info(raftblk_sysfs_dev(d), &info);
	return sysfs_emit(buf, "%llu\n", info.commit_index);
}
static DEVICE_ATTR_RO(commit_index);

static ssize_t applied_index_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	struct raftblk_repl_info info;

	raftblk_device_info(raftblk_sysfs_dev(d), &info);
	return sysfs_emit(buf, "%llu\n", info.applied_index);
}
static DEVICE_ATTR_RO(applied_index);

static struct attribute *raftblk_attrs[] = {
	&dev_attr_role.attr,
	&dev_attr_term.attr,
	&dev_attr_leader.attr,
	&dev_attr_commit_index.attr,
	&dev_attr_applied_index.attr,
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
