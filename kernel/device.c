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
#include <linux/wait_bit.h>
#include "raftblk.h"
#include "node.h"
#include "payload.h"

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

/* Role names as sysfs and raftctl show them (the uapi header's table). */
const char *raftblk_role_name(enum raftblk_role role)
{
	static const char * const names[] = RAFTBLK_ROLE_NAMES;

	if (role < ARRAY_SIZE(names) && names[role])
		return names[role];
	return "unknown";
}

/* Names of what a node waits for (the uapi header's table). */
const char *raftblk_waiting_name(enum raftblk_waiting waiting)
{
	static const char * const names[] = RAFTBLK_WAITING_NAMES;

	if (waiting < ARRAY_SIZE(names) && names[waiting])
		return names[waiting];
	return "unknown";
}

/*
 * The status of a device as its io_ops report it: the role alone for a
 * standalone device, the node's snapshot for a replicated one.
 */
void raftblk_device_status(struct raftblk_dev *dev,
			   struct raftblk_node_status *st)
{
	memset(st, 0, sizeof(*st));
	st->role = dev->io_ops->role;
	if (dev->io_ops->get_status)
		dev->io_ops->get_status(dev, st);
}

void raftblk_device_info(struct raftblk_dev *dev,
			 struct raftblk_dev_info *info)
{
	info->name = dev->name;
	info->disk_path = dev->disk_path;
	info->capacity = (u64)get_capacity(dev->disk) << SECTOR_SHIFT;
	info->open_count = raftblk_blkdev_openers(dev);
	info->logical_block_size = queue_logical_block_size(dev->disk->queue);
	info->replicated = dev->io_ops->get_status;
	info->io_stats = &dev->io_stats;
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

/*
 * The live device called @name in @net with a reference taken (drop it
 * with raftblk_device_put()), or NULL.
 */
struct raftblk_dev *raftblk_device_get(struct net *net, const char *name)
{
	struct raftblk_dev *dev;

	mutex_lock(&raftblk_devices_lock);
	dev = raftblk_device_find_any(name);
	if (dev && (dev->state != RAFTBLK_DEV_LIVE || !net_eq(dev->net, net)))
		dev = NULL;
	if (dev)
		dev->users++;
	mutex_unlock(&raftblk_devices_lock);
	return dev;
}

/* Under raftblk_devices_lock. */
static void raftblk_device_put_locked(struct raftblk_dev *dev)
{
	lockdep_assert_held(&raftblk_devices_lock);
	if (!--dev->users)
		wake_up_var(&dev->users);
}

void raftblk_device_put(struct raftblk_dev *dev)
{
	mutex_lock(&raftblk_devices_lock);
	raftblk_device_put_locked(dev);
	mutex_unlock(&raftblk_devices_lock);
}

/*
 * Walk the live devices of @net: the one after @prev (whose reference is
 * dropped), or the first one when @prev is NULL, with a reference taken;
 * NULL at the end. A device holding a reference stays on the list, so
 * the walk can go on from it. *@gen is the registry's generation.
 */
struct raftblk_dev *raftblk_device_next(struct net *net,
					struct raftblk_dev *prev,
					unsigned int *gen)
{
	struct raftblk_dev *dev;

	mutex_lock(&raftblk_devices_lock);
	*gen = raftblk_devices_gen;
	dev = list_prepare_entry(prev, &raftblk_devices, list);
	list_for_each_entry_continue(dev, &raftblk_devices, list) {
		if (dev->state == RAFTBLK_DEV_LIVE && net_eq(dev->net, net)) {
			dev->users++;
			goto out;
		}
	}
	dev = NULL;
out:
	if (prev)
		raftblk_device_put_locked(prev);
	mutex_unlock(&raftblk_devices_lock);
	return dev;
}

/*
 * Create the device @name over @disk_path: standalone (passthrough) when
 * @repl is NULL, else a replicated device whose node is started (from
 * the log on the disk, or on a freshly formatted one) before the disk is
 * added, so the first request already finds it. The name is taken first
 * (CREATING), then the device is set up without the registry lock (the
 * log scan and the disk's registration may take long) and made LIVE. On
 * error nothing is left.
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
	INIT_LIST_HEAD(&dev->exit_list);
	strscpy(dev->name, name, sizeof(dev->name));
	strscpy(dev->disk_path, disk_path, sizeof(dev->disk_path));
	dev->io_ops = &raftblk_passthrough_ops;
	dev->net = net;
	dev->state = RAFTBLK_DEV_CREATING;
	raftblk_events_init(dev);

	mutex_lock(&raftblk_devices_lock);
	other = raftblk_device_find_any(name);
	if (other) {
		err->msg = !net_eq(other->net, net) ?
			"device already exists in another network namespace" :
			other->state == RAFTBLK_DEV_LIVE ?
			"device already exists" :
			"a device of that name is being created or destroyed";
		mutex_unlock(&raftblk_devices_lock);
		ret = -EEXIST;
		goto free;
	}
	list_add_tail(&dev->list, &raftblk_devices);
	mutex_unlock(&raftblk_devices_lock);

	ret = raftblk_backing_open(dev, err);
	if (ret)
		goto unlist;

	if (repl) {
		err->attr = 0;
		err->msg = NULL;
		ret = raftblk_node_start(dev, repl, raftblk_events_node_changed,
					 err);
		if (ret) {
			if (!err->msg)
				err->msg = "cannot start replication";
			goto close;
		}
	}

	ret = raftblk_blkdev_add(dev);
	if (ret) {
		err->attr = 0;
		err->msg = "cannot add the block device";
		goto stop;
	}

	/* DEVICE_CREATE before the device shows in a dump. */
	raftblk_events_device_created(dev);
	mutex_lock(&raftblk_devices_lock);
	dev->state = RAFTBLK_DEV_LIVE;
	raftblk_devices_gen++;
	mutex_unlock(&raftblk_devices_lock);
	if (dev->node)
		pr_info("%s: created over %s as node %u (%llu sectors)\n",
			dev->name, dev->disk_path, repl->node_id,
			(unsigned long long)get_capacity(dev->disk));
	else
		pr_info("%s: created over %s (%llu sectors)\n", dev->name,
			dev->disk_path,
			(unsigned long long)get_capacity(dev->disk));
	return 0;

stop:
	if (dev->node)
		raftblk_node_stop(dev->node);
close:
	raftblk_backing_close(dev);
unlist:
	mutex_lock(&raftblk_devices_lock);
	list_del(&dev->list);
	mutex_unlock(&raftblk_devices_lock);
free:
	raftblk_events_release(dev);
	kfree(dev);
	return ret;
}

/*
 * Tear down a DYING device (its DEVICE_DESTROY is out): wait for the
 * references, remove the disk, stop the node, close the backing disk,
 * then give the name back. Without raftblk_devices_lock.
 */
static void raftblk_device_free(struct raftblk_dev *dev)
{
	bool last;

	wait_var_event(&dev->users, !READ_ONCE(dev->users));
	/* No request can arrive once the disk is gone: stop the node. */
	raftblk_blkdev_remove(dev);
	if (dev->node) {
		raftblk_node_stop(dev->node);
		dev->node = NULL;
		dev->io_ops = &raftblk_passthrough_ops;
	}
	raftblk_backing_close(dev);
	pr_info("%s: destroyed\n", dev->name);
	mutex_lock(&raftblk_devices_lock);
	list_del(&dev->list);
	last = list_empty(&raftblk_devices);
	mutex_unlock(&raftblk_devices_lock);
	raftblk_events_release(dev);
	kfree(dev);
	/*
	 * Its node's log held most of what the payload page pool got
	 * back. The pool is the module's, shared by every device: while
	 * another one exists, its next writes take those pages (draining
	 * would make it allocate, and zero, them again), and the pool
	 * stays within payload_pool_mib with the shrinker giving it back
	 * under pressure. Only the last device's removal gives the pages
	 * to the allocator: nothing will take them until the next create.
	 * A device created meanwhile only starts from an emptier pool.
	 */
	if (last)
		raftblk_payload_pool_drain();
}

/* Under raftblk_devices_lock: the device disappears from lookups. */
static void raftblk_device_kill(struct raftblk_dev *dev)
{
	lockdep_assert_held(&raftblk_devices_lock);
	dev->state = RAFTBLK_DEV_DYING;
	raftblk_devices_gen++;
	raftblk_events_device_destroyed(dev);
}

int raftblk_device_destroy(struct net *net, const char *name,
			   struct raftblk_err *err)
{
	struct raftblk_dev *dev;

	err->attr = RAFTBLK_ATTR_NAME;
	mutex_lock(&raftblk_devices_lock);
	dev = raftblk_device_find_any(name);
	if (!dev || dev->state != RAFTBLK_DEV_LIVE || !net_eq(dev->net, net)) {
		mutex_unlock(&raftblk_devices_lock);
		err->msg = "device does not exist";
		return -ENODEV;
	}
	if (dev->destroying) {
		mutex_unlock(&raftblk_devices_lock);
		err->msg = "device is being destroyed";
		return -EBUSY;
	}
	dev->destroying = true;
	dev->users++;
	mutex_unlock(&raftblk_devices_lock);

	/* Under the disk's open_mutex, which a closer holds across a sync. */
	if (raftblk_blkdev_mark_dying(dev)) {
		mutex_lock(&raftblk_devices_lock);
		dev->destroying = false;
		raftblk_device_put_locked(dev);
		mutex_unlock(&raftblk_devices_lock);
		err->msg = "device is open";
		return -EBUSY;
	}
	mutex_lock(&raftblk_devices_lock);
	raftblk_device_put_locked(dev);
	raftblk_device_kill(dev);
	mutex_unlock(&raftblk_devices_lock);
	raftblk_device_free(dev);
	return 0;
}

/*
 * Module exit: the netlink family is gone (no command runs, none is
 * running), and no disk is open (an opener holds a reference on the
 * module), so every device can go.
 */
void raftblk_devices_destroy_all(void)
{
	struct raftblk_dev *dev;

	for (;;) {
		mutex_lock(&raftblk_devices_lock);
		dev = list_first_entry_or_null(&raftblk_devices,
					       struct raftblk_dev, list);
		if (dev) {
			if (raftblk_blkdev_mark_dying(dev))
				pr_err("%s: still open at module exit\n",
				       dev->name);
			raftblk_device_kill(dev);
		}
		mutex_unlock(&raftblk_devices_lock);
		if (!dev)
			break;
		raftblk_device_free(dev);
	}
}

/*
 * Devices of a namespace that is going away move to the initial one,
 * after their io_ops closed what they had in the old one. The io_ops
 * may wait (for the node's lock), so they run on references taken under
 * the registry lock, without it.
 */
static void __net_exit raftblk_net_pre_exit(struct net *net)
{
	struct raftblk_dev *dev, *tmp;
	LIST_HEAD(moving);

	mutex_lock(&raftblk_devices_lock);
	list_for_each_entry(dev, &raftblk_devices, list) {
		if (dev->state != RAFTBLK_DEV_LIVE || !net_eq(dev->net, net))
			continue;
		dev->users++;
		list_add_tail(&dev->exit_list, &moving);
	}
	mutex_unlock(&raftblk_devices_lock);

	list_for_each_entry_safe(dev, tmp, &moving, exit_list) {
		if (dev->io_ops->net_exit)
			dev->io_ops->net_exit(dev);
		mutex_lock(&raftblk_devices_lock);
		list_del_init(&dev->exit_list);
		/* Read locklessly (under RCU) by the events. */
		WRITE_ONCE(dev->net, &init_net);
		raftblk_devices_gen++;
		raftblk_device_put_locked(dev);
		mutex_unlock(&raftblk_devices_lock);
		pr_info("%s: its network namespace is gone, moved to the initial one\n",
			dev->name);
	}
}

/* Administration of a replicated device's node. */

static int raftblk_device_need_node(struct raftblk_dev *dev,
				    struct raftblk_err *err)
{
	if (dev->node)
		return 0;
	err->attr = RAFTBLK_ATTR_NAME;
	err->msg = "device is not replicated";
	return -EOPNOTSUPP;
}

int raftblk_device_peer_add(struct raftblk_dev *dev, u32 id,
			    const struct sockaddr_storage *addr,
			    struct raftblk_err *err)
{
	return raftblk_device_need_node(dev, err) ?:
		raftblk_node_peer_add(dev->node, id, addr, err);
}

int raftblk_device_peer_remove(struct raftblk_dev *dev, u32 id,
			       struct raftblk_err *err)
{
	return raftblk_device_need_node(dev, err) ?:
		raftblk_node_peer_remove(dev->node, id, err);
}

int raftblk_device_transfer_leader(struct raftblk_dev *dev, u32 id,
				   bool force, struct raftblk_err *err)
{
	int ret = raftblk_device_need_node(dev, err);

	if (ret)
		return ret;
	/*
	 * A filesystem mounted here would get EIO on its next write once
	 * this node is no longer the leader: hand over only when nothing
	 * has the device open for writing, unless told to.
	 */
	if (!force && atomic_read(&dev->write_openers)) {
		err->msg = "the device is open for writing here (mounted?): close it first, or force";
		err->attr = RAFTBLK_ATTR_FORCE;
		return -EBUSY;
	}
	return raftblk_node_transfer_leader(dev->node, id, err);
}

/*
 * A snapshot name: 1..RAFTBLK_SNAPSHOT_NAME_MAXLEN letters, digits and
 * "_.+-", the first a letter or digit (it becomes part of a device-mapper
 * name, /dev/mapper/raftblkN-snap-NAME).
 */
static bool raftblk_snapshot_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > RAFTBLK_SNAPSHOT_NAME_MAXLEN || !isalnum(name[0]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("_.+-", name[i]))
			return false;
	return true;
}

/*
 * A COW device path: absolute, letters, digits and "/_.+-:" (it goes into
 * a device-mapper table line), and with the snapshot name within the
 * entry's name field.
 */
static bool raftblk_snapshot_cow_dev_valid(const char *name, const char *dev)
{
	size_t i, len = strlen(dev);

	if (dev[0] != '/' || len < 2 ||
	    strlen(name) + len > RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(dev[i]) && !strchr("/_.+-:", dev[i]))
			return false;
	return true;
}

int raftblk_device_snapshot(struct raftblk_dev *dev, u8 op, const char *name,
			    u64 cow_size, const char *cow_dev, u64 *index,
			    u64 *term, struct raftblk_err *err)
{
	int ret = raftblk_device_need_node(dev, err);

	if (ret)
		return ret;
	err->attr = RAFTBLK_ATTR_SNAPSHOT_NAME;
	if (!raftblk_snapshot_name_valid(name)) {
		err->msg = "snapshot name: 1 to 47 letters, digits or _.+- starting with a letter or digit";
		return -EINVAL;
	}
	if (cow_size && (cow_size < RAFTBLK_SNAPSHOT_COW_MIN ||
			 cow_size % 4096)) {
		err->attr = RAFTBLK_ATTR_SNAPSHOT_COW_SIZE;
		err->msg = "COW size: a multiple of 4 KiB, at least 1 MiB";
		return -EINVAL;
	}
	if (cow_dev[0] && (op != RAFTBLK_SNAP_OP_CREATE || cow_size ||
			   !raftblk_snapshot_cow_dev_valid(name, cow_dev))) {
		err->attr = RAFTBLK_ATTR_SNAPSHOT_COW_DEVICE;
		err->msg = "COW device: an absolute path of letters, digits and /_.+-:, at most 46 bytes with the snapshot name, for a create without a COW size";
		return -EINVAL;
	}
	err->attr = 0;
	return raftblk_node_snapshot(dev->node, op, name, cow_size, cow_dev,
				     index, term, err);
}

int raftblk_device_verify_start(struct raftblk_dev *dev, u64 *index,
				u64 *term, struct raftblk_err *err)
{
	return raftblk_device_need_node(dev, err) ?:
		raftblk_node_verify_start(dev->node, index, term, err);
}

int raftblk_device_verify_report(struct raftblk_dev *dev,
				 struct rb_verify_report *r,
				 struct raftblk_err *err)
{
	int ret = raftblk_device_need_node(dev, err);

	if (!ret)
		raftblk_node_verify_report(dev->node, r);
	return ret;
}

int raftblk_device_snaprep_set(struct raftblk_dev *dev, const u8 *b, u32 len,
			       struct raftblk_err *err)
{
	return raftblk_device_need_node(dev, err) ?:
		raftblk_node_snaprep_set(dev->node, b, len, err);
}

int raftblk_device_snaprep_read(struct raftblk_dev *dev,
				struct raftblk_snaprep_view *v,
				struct raftblk_err *err)
{
	int ret = raftblk_device_need_node(dev, err);

	if (!ret)
		raftblk_node_snaprep_read(dev->node, v);
	return ret;
}

int raftblk_device_resync_extents(struct raftblk_dev *dev, u32 id,
				  const u32 *ext, u32 n_ext, u32 *count,
				  struct raftblk_err *err)
{
	int ret = raftblk_device_need_node(dev, err);

	if (ret)
		return ret;
	err->attr = RAFTBLK_ATTR_NODE_ID;
	return raftblk_node_resync_extents(dev->node, id, ext, n_ext, count,
					   err);
}

/*
 * DEVICE_SET; a change is announced to the events group (a set that
 * leaves every option as it was, as `raftctl up` on a running device
 * with an unchanged file, announces nothing).
 */
int raftblk_device_set_options(struct raftblk_dev *dev,
			       const struct raftblk_node_opts *o,
			       struct raftblk_err *err)
{
	bool changed = false;
	int ret = raftblk_device_need_node(dev, err) ?:
		raftblk_node_set_options(dev->node, o, err, &changed);

	if (!ret && changed)
		raftblk_events_options_changed(dev);
	return ret;
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
