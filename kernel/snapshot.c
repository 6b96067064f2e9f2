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
 *   snapshot-recover after a snapshot-create or -delete that did not end:
 *                    killed by a signal, or by the timeout below
 *
 * The helper gets its arguments in the environment (RAFTBLK_*; see
 * Documentation/admin-guide.rst) and answers with its exit status. It
 * runs with UMH_WAIT_PROC: attach and detach from the netlink command that
 * starts or stops the node, the snapshot actions from a work item while
 * the node thread keeps exchanging messages.
 *
 * A snapshot-create suspends the origin (NAME-data) while it activates
 * the snapshot: should it die before its resume, every bio of the node
 * waits, and the kernel has no public API to resume a dm device. So a
 * snapshot action runs under a timeout (module parameter
 * snapshot_helper_timeout: then it is sent SIGKILL), and one that was
 * killed, by anyone, is followed by snapshot-recover, which only puts
 * things right: it resumes every suspended device of the node and makes
 * the entry's snapshot devices agree with the pool's table. The entry's
 * result is then what recover found: the snapshot recorded and active
 * (create) or gone (delete), else failed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/umh.h>
#include <linux/workqueue.h>

#include "raftblk.h"

/* The helper's path; read when it is run (like DRBD's usermode_helper). */
static char raftblk_snapshot_helper[256] = "/usr/local/sbin/raftctl";
module_param_string(snapshot_helper, raftblk_snapshot_helper,
		    sizeof(raftblk_snapshot_helper), 0644);
MODULE_PARM_DESC(snapshot_helper,
		 "program run for device-mapper operations (raftctl)");

/* Seconds a snapshot action may run before it is killed (0: no limit). */
static unsigned int raftblk_snapshot_helper_timeout = 120;
module_param_named(snapshot_helper_timeout, raftblk_snapshot_helper_timeout,
		   uint, 0644);
MODULE_PARM_DESC(snapshot_helper_timeout,
		 "seconds before a snapshot helper is killed and recovered (0: none)");

/* Not an exit status: the helper was killed (a signal, or the timeout). */
#define RAFTBLK_SNAP_KILLED	256

#define RAFTBLK_SNAP_ENV_MAX	15

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
 * One helper run under a timeout. Its pid is taken in the child before
 * the exec (umh's init callback), so that the timeout can kill it.
 */
struct raftblk_snap_exec {
	spinlock_t lock;		/* protects pid and killed */
	struct pid *pid;		/* the helper's, once it was forked */
	bool killed;			/* the timeout sent it SIGKILL */
	struct delayed_work timeout;
};

/* In the helper's process, before it execs (umh init callback). */
static int raftblk_snap_exec_init(struct subprocess_info *info,
				  struct cred *new)
{
	struct raftblk_snap_exec *x = info->data;

	spin_lock(&x->lock);
	x->pid = get_pid(task_pid(current));
	spin_unlock(&x->lock);
	return 0;
}

static void raftblk_snap_exec_timeout(struct work_struct *work)
{
	struct raftblk_snap_exec *x =
		container_of(to_delayed_work(work), struct raftblk_snap_exec,
			     timeout);
	bool again;

	spin_lock(&x->lock);
	again = !x->pid;
	if (x->pid)
		x->killed = !kill_pid(x->pid, SIGKILL, 1);
	spin_unlock(&x->lock);
	/* not forked yet: it will be soon (the waiter cancels this) */
	if (again)
		schedule_delayed_work(&x->timeout, HZ);
}

/*
 * call_usermodehelper(UMH_WAIT_PROC | UMH_KILLABLE), killed after
 * @timed seconds (0: never): its wait status, a negative errno, or
 * -ETIMEDOUT once killed by the timeout. @x lives on this stack: the
 * waiter is a work item or a netlink command, and only a fatal signal
 * to the waiter (never to a kworker) would end the wait before the
 * child is done with it; the untimed runs (attach, detach, from
 * netlink) pass no init callback for that reason.
 */
static int raftblk_snap_exec(char *path, char **argv, char **envp,
			     unsigned int timed)
{
	struct raftblk_snap_exec x = { .pid = NULL };
	struct subprocess_info *info;
	int ret;

	if (!timed)
		return call_usermodehelper(path, argv, envp,
					   UMH_WAIT_PROC | UMH_KILLABLE);
	spin_lock_init(&x.lock);
	info = call_usermodehelper_setup(path, argv, envp, GFP_KERNEL,
					 raftblk_snap_exec_init, NULL, &x);
	if (!info)
		return -ENOMEM;
	INIT_DELAYED_WORK_ONSTACK(&x.timeout, raftblk_snap_exec_timeout);
	/* capped: timed * HZ overflows an unsigned long on 32-bit */
	schedule_delayed_work(&x.timeout,
			      min_t(unsigned long, timed,
				    MAX_JIFFY_OFFSET / HZ) * HZ);
	ret = call_usermodehelper_exec(info, UMH_WAIT_PROC | UMH_KILLABLE);
	cancel_delayed_work_sync(&x.timeout);
	destroy_delayed_work_on_stack(&x.timeout);
	put_pid(x.pid);
	if (x.killed && ret >= 0 && (ret & 0x7f) == SIGKILL)
		return -ETIMEDOUT;
	return ret;
}

/*
 * Run the helper's @action for @dev: its exit status (0 success, else
 * its code, see RAFTBLK_SNAP_EXIT_*), RAFTBLK_SNAP_KILLED if it was
 * killed (by a signal, or after @timed seconds; 0: no limit), or a
 * negative errno when it could not be run. @interrupted: for
 * snapshot-recover, the action that did not end.
 */
static int raftblk_snap_helper(struct raftblk_dev *dev, const char *pool,
			       const char *action, u64 data_off, u64 data_size,
			       const struct raftblk_snap_cmd *cmd,
			       const char *interrupted, unsigned int timed)
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
	if (interrupted)
		snap_env_add(&env, "RAFTBLK_INTERRUPTED=%s", interrupted);
	if (env.oom) {
		snap_env_free(&env);
		return -ENOMEM;
	}
	ret = raftblk_snap_exec(path, argv, env.envp, timed);
	snap_env_free(&env);
	if (ret == -ETIMEDOUT) {
		pr_err("%s: snapshot helper %s %s still running after %u s: killed\n",
		       dev->name, path, action, timed);
		return RAFTBLK_SNAP_KILLED;
	}
	if (ret < 0) {
		pr_err("%s: cannot run the snapshot helper %s %s: %d\n",
		       dev->name, path, action, ret);
		return ret;
	}
	/* A wait status: the exit code, or a signal. */
	if (ret & 0x7f) {
		pr_err("%s: snapshot helper %s %s killed by signal %d\n",
		       dev->name, path, action, ret & 0x7f);
		return RAFTBLK_SNAP_KILLED;
	}
	ret = (ret >> 8) & 0xff;
	/* recover's 1 is an answer (not done), said by raftblk_snap_run() */
	if (ret && !(interrupted && ret == RAFTBLK_SNAP_EXIT_FAILED))
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
				  NULL, NULL, 0);
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
				    NULL, NULL, 0);
		err->msg = "cannot open the data area's device-mapper device";
		return PTR_ERR(bdev);
	}
	if (bdev_nr_bytes(bdev) != data_size) {
		blkdev_put(bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
		raftblk_snap_helper(dev, pool, "detach", data_off, data_size,
				    NULL, NULL, 0);
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
	raftblk_snap_helper(dev, pool, "detach", 0, 0, NULL, NULL, 0);
}

/*
 * A snapshot entry's action; one that did not end (killed, or over the
 * timeout) is followed by snapshot-recover, whose answer is then the
 * entry's: 0 if it found the action done, else failed.
 */
int raftblk_snap_run(struct raftblk_dev *dev, const char *pool,
		     u64 data_off, u64 data_size,
		     const struct raftblk_snap_cmd *cmd)
{
	unsigned int timed = READ_ONCE(raftblk_snapshot_helper_timeout);
	const char *action = cmd->op == RAFTBLK_SNAP_OP_CREATE ?
			     "snapshot-create" : "snapshot-delete";
	int ret;

	ret = raftblk_snap_helper(dev, pool, action, data_off, data_size, cmd,
				  NULL, timed);
	if (ret != RAFTBLK_SNAP_KILLED)
		return ret;
	ret = raftblk_snap_helper(dev, pool, "snapshot-recover", data_off,
				  data_size, cmd, action, timed);
	if (!ret) {
		pr_info("%s: snapshot %s: %s was killed, but had done its work\n",
			dev->name, cmd->name, action);
		return 0;
	}
	if (ret == RAFTBLK_SNAP_EXIT_FAILED)
		pr_warn("%s: snapshot %s: %s was killed: not done here, devices resumed\n",
			dev->name, cmd->name, action);
	else
		pr_err("%s: snapshot %s: %s was killed and its recovery failed (%d): %s's devices may be LEFT SUSPENDED (dmsetup resume)\n",
		       dev->name, cmd->name, action, ret, dev->name);
	return RAFTBLK_SNAP_EXIT_FAILED;
}

/* Result names as the kernel log and raftctl show them (uapi table). */
const char *raftblk_snapshot_result_name(u8 result)
{
	static const char * const names[] = RAFTBLK_SNAPSHOT_RESULT_NAMES;

	if (result < ARRAY_SIZE(names) && names[result])
		return names[result];
	return "unknown";
}
