// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the data area's device-mapper stack, and snapshots taken with
 * the dm snapshot target, through a usermode helper.
 *
 * The kernel has no public interface to create device-mapper devices, so,
 * as DRBD runs its handlers, raftblk runs a helper program at the points
 * where it needs one (the module parameter snapshot_helper, by default
 * raftctl: "raftctl helper ACTION", which uses libdevmapper):
 *
 *   attach           at node start: the data area behind
 *                    /dev/mapper/NAME-data (a snapshot-origin over a
 *                    dm-linear of the data area), the snapshots recorded
 *                    in the COW pool made active again
 *   detach           at node stop: all of it removed again
 *   snapshot-create  when a snapshot entry is applied
 *   snapshot-delete  when a snapshot delete entry is applied
 *
 * The helper gets its arguments in the environment (RAFTBLK_*; see
 * Documentation/admin-guide.rst) and answers with its exit status. It
 * runs with UMH_WAIT_PROC: attach and detach from the netlink command that
 * starts or stops the node, the snapshot actions from a work item while
 * the node thread keeps exchanging messages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/umh.h>

#include "raftblk.h"

/* The helper's path; read when it is run (like DRBD's usermode_helper). */
static char raftblk_snapshot_helper[256] = "/usr/local/sbin/raftctl";
module_param_string(snapshot_helper, raftblk_snapshot_helper,
		    sizeof(raftblk_snapshot_helper), 0644);
MODULE_PARM_DESC(snapshot_helper,
		 "program run for device-mapper operations (raftctl)");

#define RAFTBLK_SNAP_ENV_MAX	14

/* Environment strings of one helper run. */
struct raftblk_snap_env {
	char *envp[RAFTBLK_SNAP_ENV_MAX + 1];
	u32 n;
	bool oom;
};

static __printf(2, 3) void snap_env_add(struct raftblk_snap_env *e,
					const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (e->n >= RAFTBLK_SNAP_ENV_MAX) {
		e->oom = true;
		return;
	}
	va_start(ap, fmt);
	s = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!s) {
		e->oom = true;
		return;
	}
	e->envp[e->n++] = s;
}

static void snap_env_free(struct raftblk_snap_env *e)
{
	while (e->n)
		kfree(e->envp[--e->n]);
}

/*
 * Run the helper's @action for @dev: its exit status (0 success, else
 * its code, see RAFTBLK_SNAP_EXIT_*), or a negative errno when it could
 * not be run.
 */
static int raftblk_snap_helper(struct raftblk_dev *dev, const char *pool,
			       const char *action, u64 data_off, u64 data_size,
			       const struct raftblk_snap_cmd *cmd)
{
	struct raftblk_snap_env env = {};
	char path[sizeof(raftblk_snapshot_helper)];
	char *argv[4];
	int ret;

	strscpy(path, raftblk_snapshot_helper, sizeof(path));
	/* "echo PATH > .../snapshot_helper" leaves a newline */
	strim(path);
	argv[0] = path;
	argv[1] = "helper";
	argv[2] = (char *)action;
	argv[3] = NULL;
	snap_env_add(&env, "HOME=/");
	snap_env_add(&env, "PATH=/sbin:/usr/sbin:/bin:/usr/bin");
	snap_env_add(&env, "RAFTBLK_DEVICE=%s", dev->name);
	snap_env_add(&env, "RAFTBLK_DISK=%s", dev->disk_path);
	snap_env_add(&env, "RAFTBLK_POOL=%s", pool);
	snap_env_add(&env, "RAFTBLK_DATA_OFFSET=%llu",
		     (unsigned long long)data_off);
	snap_env_add(&env, "RAFTBLK_DATA_SIZE=%llu",
		     (unsigned long long)data_size);
	if (cmd) {
		snap_env_add(&env, "RAFTBLK_SNAPSHOT=%s", cmd->name);
		snap_env_add(&env, "RAFTBLK_INDEX=%llu",
			     (unsigned long long)cmd->index);
		snap_env_add(&env, "RAFTBLK_TERM=%llu",
			     (unsigned long long)cmd->term);
		snap_env_add(&env, "RAFTBLK_TIME=%llu",
			     (unsigned long long)cmd->time);
		if (cmd->replay)
			snap_env_add(&env, "RAFTBLK_REPLAY=1");
		snap_env_add(&env, "RAFTBLK_COW_SIZE=%llu",
			     (unsigned long long)cmd->cow_size);
		if (cmd->cow_dev[0])
			snap_env_add(&env, "RAFTBLK_COW_DEVICE=%s",
				     cmd->cow_dev);
	}
	if (env.oom) {
		snap_env_free(&env);
		return -ENOMEM;
	}
	ret = call_usermodehelper(path, argv, env.envp,
				  UMH_WAIT_PROC | UMH_KILLABLE);
	snap_env_free(&env);
	if (ret < 0) {
		pr_err("%s: cannot run the snapshot helper %s %s: %d\n",
		       dev->name, path, action, ret);
		return ret;
	}
	/* A wait status: the exit code, or a signal. */
	if (ret & 0x7f) {
		pr_err("%s: snapshot helper %s %s killed by signal %d\n",
		       dev->name, path, action, ret & 0x7f);
		return RAFTBLK_SNAP_EXIT_FAILED;
	}
	ret = (ret >> 8) & 0xff;
	if (ret)
		pr_warn("%s: snapshot helper %s %s exited with %d\n",
			dev->name, path, action, ret);
	return ret;
}

int raftblk_snap_attach(struct raftblk_dev *dev, const char *pool,
			u64 data_off, u64 data_size,
			struct block_device **data, struct raftblk_err *err)
{
	struct block_device *bdev;
	char path[RAFTBLK_NAME_MAXLEN + 32];
	int ret;

	err->attr = RAFTBLK_ATTR_SNAPSHOT_POOL;
	ret = raftblk_backing_share(dev);
	if (ret) {
		err->msg = "cannot reopen the disk for device-mapper";
		return ret;
	}
	ret = raftblk_snap_helper(dev, pool, "attach", data_off, data_size,
				  NULL);
	if (ret) {
		err->msg = ret < 0 ?
			"cannot run the snapshot helper (module parameter snapshot_helper)" :
			"the snapshot helper could not set up the data area's device-mapper devices (see the kernel log)";
		return ret < 0 ? ret : -EIO;
	}
	snprintf(path, sizeof(path), "/dev/mapper/%s-data", dev->name);
	bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				  dev);
	if (IS_ERR(bdev)) {
		raftblk_snap_helper(dev, pool, "detach", data_off, data_size,
				    NULL);
		err->msg = "cannot open the data area's device-mapper device";
		return PTR_ERR(bdev);
	}
	if (bdev_nr_bytes(bdev) != data_size) {
		blkdev_put(bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
		raftblk_snap_helper(dev, pool, "detach", data_off, data_size,
				    NULL);
		err->msg = "the data area's device-mapper device has the wrong size";
		return -EINVAL;
	}
	*data = bdev;
	pr_info("%s: data area behind %s (snapshots in %s)\n", dev->name,
		path, pool);
	return 0;
}

void raftblk_snap_detach(struct raftblk_dev *dev, const char *pool,
			 struct block_device *data)
{
	blkdev_put(data, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	raftblk_snap_helper(dev, pool, "detach", 0, 0, NULL);
}

int raftblk_snap_run(struct raftblk_dev *dev, const char *pool,
		     u64 data_off, u64 data_size,
		     const struct raftblk_snap_cmd *cmd)
{
	return raftblk_snap_helper(dev, pool,
				   cmd->op == RAFTBLK_SNAP_OP_CREATE ?
				   "snapshot-create" : "snapshot-delete",
				   data_off, data_size, cmd);
}

/* Result names as the kernel log and raftctl show them (uapi table). */
const char *raftblk_snapshot_result_name(u8 result)
{
	static const char * const names[] = RAFTBLK_SNAPSHOT_RESULT_NAMES;

	if (result < ARRAY_SIZE(names) && names[result])
		return names[result];
	return "unknown";
}
