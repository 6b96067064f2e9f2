// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the registry of devices, and their creation and destruction.
 *
 * A device belongs to the network namespace that created it: only callers
 * in that namespace see it. Disk names are global, so a name is unique
 * across all namespaces. The device does not pin its namespace: when the
 * namespace goes away, its devices move to the initial namespace, as
 * physical network devices do, so they stay reachable and can be
 * destroyed there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "raftblk.h"
#include "node.h"

#define RAFTBLK_NAME_PREFIX	"raftblk"

DEFINE_MUTEX(raftblk_devices_lock);
LIST_HEAD(raftblk_devices);

/* Under raftblk_devices_lock. */
unsigned int raftblk_devices_gen;

/* "raftblk" followed by one or more decimal digits, at most 31 bytes. */
bool raftblk_name_valid(const char *name)
{
	size_t len = strnlen(name, RAFTBLK_NAME_MAXLEN + 1);
	size_t plen = strlen(RAFTBLK_NAME_PREFIX);
	size_t i;

	if (len > RAFTBLK_NAME_MAXLEN || len <= plen)
		return false;
	if (strncmp(name, RAFTBLK_NAME_PREFIX, plen))
		return false;
	for (i = plen; i < len; i++)
		if (!isdigit(name[i]))
			return false;
	return true;
}

/* Role names as sysfs and raftctl show them. */
const char *raftblk_role_name(enum raftblk_role role)
{
	switch (role) {
	case RAFTBLK_ROLE_STANDALONE:
		return "standalone";
	case RAFTBLK_ROLE_FOLLOWER:
		return "follower";
	case RAFTBLK_ROLE_PRE_CANDIDATE:
		return "pre-candidate";
	case RAFTBLK_ROLE_CANDIDATE:
		return "candidate";
	case RAFTBLK_ROLE_LEADER:
		return "leader";
	case RAFTBLK_ROLE_LEARNER:
		return "learner";
	}
	return "unknown";
}

/* The replication state of a device, as its io_ops report it. */
void raftblk_device_info(struct raftblk_dev *dev,
			 struct raftblk_repl_info *info)
{
	memset(info, 0, sizeof(*info));
	info->role = dev->io_ops->role;
	if (dev->io_ops->get_info)
		dev->io_ops->get_info(dev, info);
}

static struct raftblk_dev *raftblk_device_find_any(const char *name)
{
	struct raftblk_dev *dev;

	lockdep_assert_held(&raftblk_devices_lock);
	list_for_each_entry(dev, &raftblk_devices, list)
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

/* The device called @name in @net, or NULL. Under raftblk_devices_lock. */
struct raftblk_dev *raftblk_device_find(struct net *net, const char *name)
{
	struct raftblk_dev *dev = raftblk_device_find_any(name);

	if (dev && net_eq(dev->net, net))
		return dev;
	return NULL;
}

/*
 * Create the device @name over @disk_path: standalone (passthrough) when
 * @repl is NULL, else a replicated device whose node is started (from
 * the log on the disk, or on a freshly formatted one) before the disk is
 * added, so the first request already finds it. On error nothing is left.
 */
int raftblk_device_create(struct net *net, const char *name,
			  const char *disk_path,
			  const struct raftblk_node_params *repl,
			  struct raftblk_err *err)
{
	struct raftblk_dev *dev, *other;
	int ret;

	err->attr = RAFTBLK_ATTR_NAME;
	if (!raftblk_name_valid(name)) {
		err->msg = "device name must be raftblk followed by digits";
		return -EINVAL;
	}
	if (strlen(disk_path) > RAFTBLK_PATH_MAXLEN) {
		err->attr = RAFTBLK_ATTR_DISK_PATH;
		err->msg = "disk path too long";
		return -ENAMETOOLONG;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		err->attr = 0;
		err->msg = "out of memory";
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&dev->list);
	strscpy(dev->name, name, sizeof(dev->name));
	strscpy(dev->disk_path, disk_path, sizeof(dev->disk_path));
	dev->io_ops = &raftblk_passthrough_ops;
	raftblk_events_init(dev);

	mutex_lock(&raftblk_devices_lock);
	other = raftblk_device_find_any(name);
	if (other) {
		err->msg = net_eq(other->net, net) ? "device already exists" :
			"device already exists in another network namespace";
		ret = -EEXIST;
		goto unlock;
	}

	ret = raftblk_backing_open(dev, err);
	if (ret)
		goto unlock;

	dev->net = net;
	if (repl) {
		err->attr = 0;
		err->msg = NULL;
		ret = raftblk_node_start(dev, repl, err);
		if (ret) {
			if (!err->msg)
				err->msg = "cannot start replication";
			goto close;
		}
		dev->listen = repl->listen;
	}

	ret = raftblk_blkdev_add(dev);
	if (ret) {
		err->attr = 0;
		err->msg = "cannot add the block device";
		goto stop;
	}

	list_add_tail(&dev->list, &raftblk_devices);
	raftblk_devices_gen++;
	raftblk_events_device_created(dev);
	if (dev->node)
		pr_info("%s: created over %s as node %u (%llu sectors)\n",
			dev->name, dev->disk_path, repl->node_id,
			(unsigned long long)get_capacity(dev->disk));
	else
		pr_info("%s: created over %s (%llu sectors)\n", dev->name,
			dev->disk_path,
			(unsigned long long)get_capacity(dev->disk));
	mutex_unlock(&raftblk_devices_lock);
	return 0;

stop:
	if (dev->node)
		raftblk_node_stop(dev->node);
close:
	raftblk_backing_close(dev);
unlock:
	mutex_unlock(&raftblk_devices_lock);
	kfree(dev);
	return ret;
}

/* Tear down a device that is off the list and marked dying. */
static void raftblk_device_free(struct raftblk_dev *dev)
{
	/* No request can arrive once the disk is gone: stop the node. */
	raftblk_blkdev_remove(dev);
	if (dev->node) {
		raftblk_node_stop(dev->node);
		dev->node = NULL;
		dev->io_ops = &raftblk_passthrough_ops;
	}
	raftblk_backing_close(dev);
	raftblk_events_device_destroyed(dev);
	pr_info("%s: destroyed\n", dev->name);
	kfree(dev);
}

int raftblk_device_destroy(struct net *net, const char *name,
			   struct raftblk_err *err)
{
	struct raftblk_dev *dev;

	err->attr = RAFTBLK_ATTR_NAME;
	mutex_lock(&raftblk_devices_lock);
	dev = raftblk_device_find(net, name);
	if (!dev) {
		mutex_unlock(&raftblk_devices_lock);
		err->msg = "device does not exist";
		return -ENODEV;
	}
	if (raftblk_blkdev_mark_dying(dev)) {
		mutex_unlock(&raftblk_devices_lock);
		err->msg = "device is open";
		return -EBUSY;
	}
	list_del(&dev->list);
	raftblk_devices_gen++;
	raftblk_device_free(dev);
	mutex_unlock(&raftblk_devices_lock);
	return 0;
}

/*
 * Module exit: the netlink family is gone, and no disk is open (an opener
 * holds a reference on the module), so every device can go.
 */
void raftblk_devices_destroy_all(void)
{
	struct raftblk_dev *dev, *next;

	mutex_lock(&raftblk_devices_lock);
	list_for_each_entry_safe(dev, next, &raftblk_devices, list) {
		if (raftblk_blkdev_mark_dying(dev))
			pr_err("%s: still open at module exit\n", dev->name);
		list_del(&dev->list);
		raftblk_devices_gen++;
		raftblk_device_free(dev);
	}
	mutex_unlock(&raftblk_devices_lock);
}

/*
 * Devices of a namespace that is going away move to the initial one,
 * after their io_ops closed what they had in the old one.
 */
static void __net_exit raftblk_net_pre_exit(struct net *net)
{
	struct raftblk_dev *dev;

	mutex_lock(&raftblk_devices_lock);
	list_for_each_entry(dev, &raftblk_devices, list) {
		if (!net_eq(dev->net, net))
			continue;
		if (dev->io_ops->net_exit)
			dev->io_ops->net_exit(dev);
		/* Read locklessly (under RCU) by the events. */
		WRITE_ONCE(dev->net, &init_net);
		raftblk_devices_gen++;
		pr_info("%s: its network namespace is gone, moved to the initial one\n",
			dev->name);
	}
	mutex_unlock(&raftblk_devices_lock);
}

static struct pernet_operations raftblk_net_ops = {
	.pre_exit = raftblk_net_pre_exit,
};

int __init raftblk_devices_init(void)
{
	return register_pernet_subsys(&raftblk_net_ops);
}

/* After raftblk_devices_destroy_all(). */
void raftblk_devices_exit(void)
{
	unregister_pernet_subsys(&raftblk_net_ops);
}
