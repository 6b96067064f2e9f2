// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: device-mapper through libdevmapper - the data area's stack and
 * its snapshots. "raftctl helper ACTION" is what the kernel runs (module
 * parameter snapshot_helper) with its arguments in RAFTBLK_* environment
 * variables; its exit status is its answer (0, or RAFTBLK's codes: 2 not
 * found, 17 name taken, 28 no room in the pool, 1 anything else). What it
 * does is logged to /dev/kmsg, next to the kernel's own lines.
 *
 * For device raftblkN over disk D (data area at OFF, SIZE bytes):
 *
 *   raftblkN-data-real       linear D OFF                 (the data area)
 *   raftblkN-data            snapshot-origin of -real     (raftblk's I/O)
 *   raftblkN-snap-NAME-cow   linear POOL at the snapshot's COW area
 *   raftblkN-snap-NAME       snapshot of -real, persistent, 4 KiB chunks
 *
 * Actions: attach, detach, snapshot-create, snapshot-delete, and
 * snapshot-recover, which the kernel runs after a snapshot-create or
 * -delete that was killed (a signal, or its timeout): it resumes what
 * is suspended and puts the entry's snapshot devices in line with the
 * pool's table (helper_snap_recover()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdevmapper.h>
#include "raftctl.h"
#include "pool.h"
#include "dm.h"

#define CHUNK_SECTORS	8	/* 4 KiB copy-on-write chunks */
#define RESUME_TRIES	5	/* resumes of the origin before giving up */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run by the kernel (it always sets RAFTBLK_DEVICE): log to /dev/kmsg. */
static bool to_kmsg;

/* A line into the kernel log (the helper has no terminal), and stderr. */
static void say(const char *fmt, ...)
{
	char line[512], rec[560];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "raftctl: %s\n", line);
	/* One write() per record: /dev/kmsg refuses a line in pieces. */
	n = snprintf(rec, sizeof(rec), "raftblk-helper: %s\n", line);
	fd = to_kmsg ? open("/dev/kmsg", O_WRONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		if (n > 0 && write(fd, rec, (size_t)n < sizeof(rec) ?
				   (size_t)n : sizeof(rec) - 1) < 0)
			fprintf(stderr, "raftctl: /dev/kmsg: %s\n",
				strerror(errno));
		close(fd);
	}
}

void dm_name_data(char *buf, size_t len, const char *dev, bool real)
{
	snprintf(buf, len, "%s-data%s", dev, real ? "-real" : "");
}

void dm_name_snap(char *buf, size_t len, const char *dev, const char *snap,
		  bool cow)
{
	snprintf(buf, len, "%s-snap-%s%s", dev, snap, cow ? "-cow" : "");
}

/* Run DMT with udev synchronization (nodes in /dev/mapper either way). */
static int run_sync(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int ok;

	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return 0;
	ok = dm_task_run(dmt);
	dm_udev_wait(cookie);
	return ok;
}

/* Does device NAME exist? Its major:minor into devno if so. */
static bool dm_exists(const char *name, char *devno, size_t len)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	bool ret = false;

	if (!dmt)
		return false;
	if (dm_task_set_name(dmt, name) && dm_task_run(dmt) &&
	    dm_task_get_info(dmt, &info) && info.exists) {
		ret = true;
		if (devno)
			snprintf(devno, len, "%u:%u", info.major, info.minor);
	}
	dm_task_destroy(dmt);
	return ret;
}

/* Create NAME with one target; its major:minor into devno. */
static int dm_create(const char *name, uint64_t sectors, const char *type,
		     const char *params, bool read_only, char *devno,
		     size_t len)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_CREATE);
	struct dm_info info;
	int ok;

	if (!dmt)
		return -ENOMEM;
	ok = dm_task_set_name(dmt, name) &&
	     (!read_only || dm_task_set_ro(dmt)) &&
	     dm_task_add_target(dmt, 0, sectors, type, params) &&
	     run_sync(dmt) && dm_task_get_info(dmt, &info);
	if (ok && devno)
		snprintf(devno, len, "%u:%u", info.major, info.minor);
	dm_task_destroy(dmt);
	if (!ok) {
		say("cannot create %s (%s %s)", name, type, params);
		return -EIO;
	}
	return 0;
}

static int dm_simple(int type, const char *name, bool sync)
{
	struct dm_task *dmt = dm_task_create(type);
	int ok;

	if (!dmt)
		return -ENOMEM;
	ok = dm_task_set_name(dmt, name);
	if (ok && type == DM_DEVICE_SUSPEND)
		ok = dm_task_skip_lockfs(dmt);
	if (ok && type == DM_DEVICE_REMOVE)
		ok = dm_task_retry_remove(dmt);
	if (ok)
		ok = sync ? run_sync(dmt) : dm_task_run(dmt);
	dm_task_destroy(dmt);
	return ok ? 0 : -EIO;
}

static int dm_remove(const char *name)
{
	if (!dm_exists(name, NULL, 0))
		return 0;
	if (dm_simple(DM_DEVICE_REMOVE, name, true)) {
		say("cannot remove %s", name);
		return -EIO;
	}
	return 0;
}

int dm_snap_status(const char *dev, const char *snap, struct dm_snap_state *st)
{
	char name[256], *type = NULL, *params = NULL;
	uint64_t start, length;
	struct dm_task *dmt;
	unsigned long long used, total, meta;
	int ret = -ENOENT;

	memset(st, 0, sizeof(*st));
	dm_name_snap(name, sizeof(name), dev, snap, false);
	if (!dm_exists(name, NULL, 0))
		return -ENOENT;
	dmt = dm_task_create(DM_DEVICE_STATUS);
	if (!dmt)
		return -ENOMEM;
	if (dm_task_set_name(dmt, name) && dm_task_run(dmt)) {
		dm_get_next_target(dmt, NULL, &start, &length, &type, &params);
		if (type && !strcmp(type, "snapshot") && params) {
			ret = 0;
			st->active = true;
			if (sscanf(params, "%llu/%llu %llu", &used, &total,
				   &meta) == 3) {
				st->used = (used + meta) << 9;
				st->total = total << 9;
			} else {
				st->invalid = true;
			}
		}
	}
	dm_task_destroy(dmt);
	return ret;
}

/* Environment of the helper. */
struct helper_env {
	const char *dev, *disk, *pool, *snap;
	const char *cow_dev;		/* NULL: an area of the pool */
	uint64_t data_off, data_size, index, term, time, cow_size;
	bool replay;			/* RAFTBLK_REPLAY=1: record only */
};

static int env_u64(const char *key, uint64_t *v, bool need)
{
	const char *s = getenv(key);
	char *end;

	*v = 0;
	if (!s)
		return need ? -1 : 0;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static int helper_env(struct helper_env *e, bool snap)
{
	memset(e, 0, sizeof(*e));
	e->dev = getenv("RAFTBLK_DEVICE");
	e->disk = getenv("RAFTBLK_DISK");
	e->pool = getenv("RAFTBLK_POOL");
	if (!e->dev || !e->disk || !e->pool || e->pool[0] != '/' ||
	    env_u64("RAFTBLK_DATA_OFFSET", &e->data_off, false) ||
	    env_u64("RAFTBLK_DATA_SIZE", &e->data_size, false))
		return -1;
	if (!snap)
		return 0;
	e->snap = getenv("RAFTBLK_SNAPSHOT");
	if (!e->snap || !e->snap[0] ||
	    strlen(e->snap) > RAFTBLK_SNAPSHOT_NAME_MAXLEN ||
	    env_u64("RAFTBLK_INDEX", &e->index, true) ||
	    env_u64("RAFTBLK_TERM", &e->term, true) ||
	    env_u64("RAFTBLK_TIME", &e->time, false) ||
	    env_u64("RAFTBLK_COW_SIZE", &e->cow_size, false))
		return -1;
	e->replay = getenv("RAFTBLK_REPLAY") &&
		    !strcmp(getenv("RAFTBLK_REPLAY"), "1");
	e->cow_dev = getenv("RAFTBLK_COW_DEVICE");
	if (e->cow_dev && (e->cow_dev[0] != '/' ||
			   strlen(e->snap) + strlen(e->cow_dev) >
			   RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN ||
			   strpbrk(e->cow_dev, " \t\n")))
		return -1;
	return 0;
}

/* The pool's table, formatting a pool never used. fd: opened for write. */
static int load_pool(const char *path, int *fd, struct pool *t)
{
	uint64_t size;
	bool blank;
	int ret;

	*fd = pool_open(path, true, &size);
	if (*fd < 0) {
		say("cannot open the COW pool %s: %s", path, strerror(-*fd));
		return -1;
	}
	ret = pool_read(*fd, size, t, &blank);
	if (ret == -EBADMSG && blank) {
		pool_init(t, size);
		ret = pool_write(*fd, t);
		if (!ret)
			say("COW pool %s initialized (%" PRIu64 " MiB)", path,
			    size >> 20);
	}
	if (ret) {
		say("%s is not a raftblk COW pool (%s): refusing to touch it",
		    path, ret == -EBADMSG ? "no valid table and not blank" :
		    strerror(-ret));
		close(*fd);
		return -1;
	}
	return 0;
}

/* Activate snapshot S of the table (its COW area exists). */
static int activate_snap(const struct helper_env *e, const char *real_devno,
			 const struct pool_snap *s)
{
	char name[256], cow[256], params[512], cow_devno[32];
	int ret;

	dm_name_snap(cow, sizeof(cow), e->dev, s->name, true);
	dm_name_snap(name, sizeof(name), e->dev, s->name, false);
	if (s->state == POOL_SNAP_COW_DEVICE) {
		/* its own COW device, as it is */
		snprintf(params, sizeof(params), "%s %s P %d", real_devno,
			 s->cow_dev, CHUNK_SECTORS);
		return dm_create(name, e->data_size >> 9, "snapshot", params,
				 true, NULL, 0);
	}
	snprintf(params, sizeof(params), "%s %" PRIu64, e->pool,
		 s->cow_off >> 9);
	ret = dm_create(cow, s->cow_size >> 9, "linear", params, false,
			cow_devno, sizeof(cow_devno));
	if (ret)
		return ret;
	snprintf(params, sizeof(params), "%s %s P %d", real_devno, cow_devno,
		 CHUNK_SECTORS);
	ret = dm_create(name, e->data_size >> 9, "snapshot", params, true,
			NULL, 0);
	if (ret)
		dm_remove(cow);
	return ret;
}

/* Remove S's devices (the snapshot, then its COW linear if it has one). */
static int remove_snap(const struct helper_env *e, const struct pool_snap *s)
{
	char name[256];
	int ret;

	dm_name_snap(name, sizeof(name), e->dev, s->name, false);
	ret = dm_remove(name);
	if (s->state != POOL_SNAP_COW_DEVICE) {
		dm_name_snap(name, sizeof(name), e->dev, s->name, true);
		ret = dm_remove(name) ?: ret;
	}
	return ret;
}

static void remove_all(const struct helper_env *e, const struct pool *t)
{
	char name[256];

	for (uint32_t i = 0; t && i < t->n; i++)
		remove_snap(e, &t->v[i]);
	dm_name_data(name, sizeof(name), e->dev, false);
	dm_remove(name);
	dm_name_data(name, sizeof(name), e->dev, true);
	dm_remove(name);
}

static int helper_attach(const struct helper_env *e)
{
	char real[256], origin[256], params[512], real_devno[32];
	struct pool t;
	int fd, ret;

	if (!e->data_size || e->data_off % 4096 || e->data_size % 4096) {
		say("attach %s: bad data area", e->dev);
		return RAFTBLK_HELPER_FAILED;
	}
	if (load_pool(e->pool, &fd, &t))
		return RAFTBLK_HELPER_FAILED;
	close(fd);
	/* Left over by a node that stopped without its detach. */
	remove_all(e, &t);
	dm_name_data(real, sizeof(real), e->dev, true);
	dm_name_data(origin, sizeof(origin), e->dev, false);
	snprintf(params, sizeof(params), "%s %" PRIu64, e->disk,
		 e->data_off >> 9);
	ret = dm_create(real, e->data_size >> 9, "linear", params, false,
			real_devno, sizeof(real_devno));
	if (ret)
		return RAFTBLK_HELPER_FAILED;
	for (uint32_t i = 0; i < t.n; i++)
		if ((t.v[i].state == POOL_SNAP_TAKEN ||
		     t.v[i].state == POOL_SNAP_COW_DEVICE) &&
		    activate_snap(e, real_devno, &t.v[i]))
			say("attach %s: snapshot %s (index %" PRIu64
			    ") could not be activated", e->dev, t.v[i].name,
			    t.v[i].index);
	ret = dm_create(origin, e->data_size >> 9, "snapshot-origin",
			real_devno, false, NULL, 0);
	if (ret) {
		remove_all(e, &t);
		return RAFTBLK_HELPER_FAILED;
	}
	say("%s: data area behind /dev/mapper/%s, %u snapshot(s) from %s",
	    e->dev, origin, t.n, e->pool);
	return 0;
}

static int helper_detach(const struct helper_env *e)
{
	struct pool t;
	uint64_t size;
	bool blank;
	int fd = pool_open(e->pool, false, &size);

	if (fd >= 0 && !pool_read(fd, size, &t, &blank)) {
		remove_all(e, &t);
	} else {
		say("detach %s: COW pool table unreadable, removing the data stack only",
		    e->dev);
		remove_all(e, NULL);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Zero the first chunk of a new COW area: dm-snapshot then starts anew. */
static int zero_cow_header(int fd, uint64_t off)
{
	void *buf;
	int ret = 0;

	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	memset(buf, 0, 4096);
	if (pwrite(fd, buf, 4096, off) != 4096 || fdatasync(fd))
		ret = -EIO;
	free(buf);
	return ret;
}

/*
 * For the tests: RAFTCTL_FAIL_RESUME=N (set by a wrapper given as the
 * module parameter snapshot_helper) fails the first N resumes of the
 * origin in this helper run as a refused ioctl would, the origin still
 * suspended. Unset, nothing fails.
 */
static bool dm_test_fail_resume(void)
{
	static long left = -1;
	const char *v;

	if (left < 0) {
		v = getenv("RAFTCTL_FAIL_RESUME");
		left = v ? strtol(v, NULL, 10) : 0;
		if (left < 0)
			left = 0;
	}
	if (!left)
		return false;
	left--;
	return true;
}

/*
 * For the tests: RAFTCTL_TEST_SUSPENDED (set by a wrapper helper) makes
 * a snapshot-create die with the origin suspended: "kill" sends itself
 * SIGKILL once the snapshot is activated, before the resume (a helper
 * killed there); "hang" waits forever right after the suspend (killed
 * by the kernel's timeout). Unset, nothing happens.
 */
static void dm_test_suspended(const char *when)
{
	const char *v = getenv("RAFTCTL_TEST_SUSPENDED");

	if (!v)
		return;
	if (!strcmp(v, "kill") && !strcmp(when, "activated")) {
		say("test: killed with the origin suspended");
		raise(SIGKILL);
	}
	if (!strcmp(v, "hang") && !strcmp(when, "suspended")) {
		say("test: hanging with the origin suspended");
		for (;;)
			pause();
	}
}

/*
 * Resume ORIGIN, again if refused: a suspended origin holds every bio of
 * raftblk's data area, so one failed ioctl must not leave it so. The
 * tries after the first go without udev synchronization (a cookie that
 * cannot be had is a refusal before the ioctl).
 */
static int resume_origin(const struct helper_env *e, const char *origin)
{
	for (int i = 1; i <= RESUME_TRIES; i++) {
		if (!dm_test_fail_resume() &&
		    !dm_simple(DM_DEVICE_RESUME, origin, i == 1))
			return 0;
		say("%s: cannot resume %s (attempt %d of %d)", e->dev, origin,
		    i, RESUME_TRIES);
		if (i < RESUME_TRIES)
			usleep(100000U * i);
	}
	return -EIO;
}

/*
 * Suspend the origin, activate S, resume: S is the origin as it is. 0
 * only if S is active and the origin runs again. An origin that cannot
 * be resumed is never a snapshot taken: S is removed again (the table
 * will not record it), the resume tried once more, and the failure
 * reported; an origin still suspended after that is said in the log.
 */
static int take_snap(const struct helper_env *e, const struct pool_snap *s)
{
	char origin[256], real_devno[32], real[256];
	int ret;

	dm_name_data(real, sizeof(real), e->dev, true);
	dm_name_data(origin, sizeof(origin), e->dev, false);
	if (!dm_exists(real, real_devno, sizeof(real_devno))) {
		say("%s: snapshot %s: data stack missing", e->dev, s->name);
		return -ENODEV;
	}
	/* No write of the origin between the two: it is suspended. */
	ret = dm_simple(DM_DEVICE_SUSPEND, origin, false);
	if (ret) {
		say("%s: snapshot %s: cannot suspend %s", e->dev, s->name,
		    origin);
		return ret;
	}
	dm_test_suspended("suspended");
	ret = activate_snap(e, real_devno, s);
	dm_test_suspended("activated");
	if (!resume_origin(e, origin))
		return ret;
	if (!ret)
		remove_snap(e, s);
	if (resume_origin(e, origin))
		say("%s: %s LEFT SUSPENDED: raftblk's I/O waits until it is resumed (dmsetup resume %s)",
		    e->dev, origin, origin);
	say("%s: snapshot %s not taken: the origin could not be resumed after it",
	    e->dev, s->name);
	return -EIO;
}

/*
 * Snapshot S on its own COW device (e->cow_dev, the same path on every
 * node): its first chunk zeroed, S recorded with the path. A device that
 * is missing or too small here: recorded as not taken (listed missing).
 */
static int snap_create_on_device(const struct helper_env *e, int pool_fd,
				 struct pool *t, struct pool_snap *s)
{
	const char *why = NULL;
	uint64_t size = 0;
	int fd, ret;

	snprintf(s->cow_dev, sizeof(s->cow_dev), "%s", e->cow_dev);
	for (uint32_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].cow_dev, e->cow_dev) &&
		    t->v[i].state == POOL_SNAP_COW_DEVICE)
			why = "it holds another snapshot";
	fd = why ? -1 : pool_open(e->cow_dev, true, &size);
	if (!why && fd < 0)
		why = strerror(-fd);
	else if (!why && size < (1ULL << 20))
		why = "smaller than 1 MiB";
	if (!why && zero_cow_header(fd, 0))
		why = "cannot write it";
	if (fd >= 0)
		close(fd);
	s->cow_off = 0;
	s->cow_size = why ? 0 : size & ~4095ULL;
	s->state = why ? POOL_SNAP_NO_DEVICE : POOL_SNAP_COW_DEVICE;
	if (!why && take_snap(e, s))
		why = "device-mapper refused it (in use?)";
	if (why) {
		say("%s: snapshot %s not taken here: COW device %s: %s",
		    e->dev, e->snap, e->cow_dev, why);
		s->state = POOL_SNAP_NO_DEVICE;
		s->cow_size = 0;
	}
	ret = RAFTBLK_HELPER_FAILED;
	if (t->n < POOL_MAX_SNAPSHOTS) {
		t->v[t->n++] = *s;
		ret = pool_write(pool_fd, t) ? RAFTBLK_HELPER_FAILED :
		      why ? RAFTBLK_HELPER_FAILED : 0;
	}
	close(pool_fd);
	if (!ret)
		say("%s: snapshot %s taken at index %" PRIu64 " term %" PRIu64
		    " (COW device %s, %" PRIu64 " MiB)", e->dev, e->snap,
		    e->index, e->term, e->cow_dev, s->cow_size >> 20);
	return ret;
}

static int helper_snap_create(const struct helper_env *e)
{
	struct pool_snap *old, s = {};
	struct pool t;
	int fd, ret;

	if (load_pool(e->pool, &fd, &t))
		return RAFTBLK_HELPER_FAILED;
	old = pool_find(&t, e->snap);
	if (old) {
		close(fd);
		/* the same entry again (a replay after a restart): done */
		if (old->index == e->index && old->term == e->term)
			return old->state == POOL_SNAP_TAKEN ||
			       old->state == POOL_SNAP_COW_DEVICE ? 0 :
			       old->state == POOL_SNAP_NO_SPACE ?
			       RAFTBLK_HELPER_NO_SPACE : RAFTBLK_HELPER_FAILED;
		say("%s: snapshot %s exists (index %" PRIu64 "): entry %" PRIu64
		    " not taken", e->dev, e->snap, old->index, e->index);
		return RAFTBLK_HELPER_EXISTS;
	}
	if (e->replay) {
		/*
		 * An entry replayed from the log after a restart with no
		 * record of it here: this node may have applied it (and
		 * writes after it) before, without a pool or without room.
		 * A snapshot now would not be the entry's point in time.
		 */
		close(fd);
		say("%s: snapshot %s (index %" PRIu64 ") replayed after a restart"
		    " with no record of it here: the data area may be past it,"
		    " not taken here", e->dev, e->snap, e->index);
		return RAFTBLK_HELPER_REPLAYED;
	}
	snprintf(s.name, sizeof(s.name), "%s", e->snap);
	s.index = e->index;
	s.term = e->term;
	s.time = e->time;
	if (e->cow_dev)
		return snap_create_on_device(e, fd, &t, &s);
	if (pool_alloc(&t, e->cow_size, &s.cow_off, &s.cow_size)) {
		say("%s: no room in the COW pool %s for snapshot %s (index %"
		    PRIu64 "): not taken here", e->dev, e->pool, e->snap,
		    e->index);
		/* Recorded, so that list names it as missing here. */
		s.cow_off = s.cow_size = 0;
		s.state = POOL_SNAP_NO_SPACE;
		if (t.n < POOL_MAX_SNAPSHOTS) {
			t.v[t.n++] = s;
			if (pool_write(fd, &t))
				say("%s: cannot record snapshot %s as missing in %s",
				    e->dev, e->snap, e->pool);
		}
		close(fd);
		return RAFTBLK_HELPER_NO_SPACE;
	}
	if (zero_cow_header(fd, s.cow_off)) {
		close(fd);
		say("%s: snapshot %s: cannot write its COW area's header in %s",
		    e->dev, e->snap, e->pool);
		return RAFTBLK_HELPER_FAILED;
	}
	if (take_snap(e, &s)) {
		close(fd);
		return RAFTBLK_HELPER_FAILED;
	}
	t.v[t.n++] = s;
	ret = pool_write(fd, &t);
	close(fd);
	if (ret) {
		say("%s: snapshot %s taken but not recorded in %s", e->dev,
		    e->snap, e->pool);
		return RAFTBLK_HELPER_FAILED;
	}
	say("%s: snapshot %s taken at index %" PRIu64 " term %" PRIu64
	    " (COW %" PRIu64 " MiB)", e->dev, e->snap, e->index, e->term,
	    s.cow_size >> 20);
	return 0;
}

static int helper_snap_delete(const struct helper_env *e)
{
	struct pool_snap *s, gone;
	struct pool t;
	bool taken;
	int fd, ret;

	if (load_pool(e->pool, &fd, &t))
		return RAFTBLK_HELPER_FAILED;
	s = pool_find(&t, e->snap);
	if (!s) {
		close(fd);
		return RAFTBLK_HELPER_NOT_FOUND;
	}
	/* Out of the table first: a crash now leaves it inactive after
	 * the restart, never a snapshot nobody deletes any more.
	 */
	gone = *s;
	taken = s->state == POOL_SNAP_TAKEN ||
		s->state == POOL_SNAP_COW_DEVICE;
	pool_remove(&t, s);
	ret = pool_write(fd, &t);
	close(fd);
	if (ret)
		return RAFTBLK_HELPER_FAILED;
	if (!taken) {
		say("%s: snapshot %s (never taken here) deleted", e->dev,
		    e->snap);
		return 0;
	}
	ret = remove_snap(e, &gone);
	say("%s: snapshot %s deleted", e->dev, e->snap);
	return ret ? RAFTBLK_HELPER_FAILED : 0;
}

/*
 * Resume every device of E->dev (named "DEV-...") that is suspended with
 * a live table; one with only an inactive table (a create cut short) is
 * left as it is. The number still suspended, or -1 if the devices
 * cannot be listed.
 */
static int resume_all(const struct helper_env *e)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_LIST);
	size_t plen = strlen(e->dev);
	struct dm_names *names;
	unsigned int next = 0;
	int left = 0;

	if (!dmt)
		return -1;
	if (!dm_task_run(dmt) || !(names = dm_task_get_names(dmt))) {
		dm_task_destroy(dmt);
		return -1;
	}
	for (; names->dev; names = (struct dm_names *)((char *)names + next)) {
		struct dm_task *it;
		struct dm_info info;
		bool stuck = false;

		next = names->next;
		if (!strncmp(names->name, e->dev, plen) &&
		    names->name[plen] == '-' &&
		    (it = dm_task_create(DM_DEVICE_INFO))) {
			if (dm_task_set_name(it, names->name) &&
			    dm_task_run(it) && dm_task_get_info(it, &info) &&
			    info.exists && info.suspended && info.live_table) {
				stuck = true;
				for (int i = 1; stuck && i <= RESUME_TRIES; i++) {
					stuck = dm_simple(DM_DEVICE_RESUME,
							  names->name, false);
					if (stuck && i < RESUME_TRIES)
						usleep(100000U * i);
				}
				say("%s: recover: %s was suspended: %s", e->dev,
				    names->name, stuck ? "CANNOT RESUME IT" :
				    "resumed");
			}
			dm_task_destroy(it);
		}
		left += stuck;
		if (!next)
			break;
	}
	dm_task_destroy(dmt);
	return left;
}

/*
 * After a snapshot-create or -delete (RAFTBLK_INTERRUPTED) that did not
 * end: first every suspended device of the node resumed (a create killed
 * between its suspend and resume holds all of the node's I/O), then the
 * entry's snapshot devices made to agree with the pool's table, as it
 * would be after a restart: devices of a name the table does not record
 * are removed (a create killed before its record, a delete after it), a
 * snapshot it records is left alone. Safe to run any number of times.
 * 0: the interrupted action had done its work (create: the entry's
 * snapshot recorded and active; delete: the name gone); 1: it had not;
 * 16: a device is still suspended.
 */
static int helper_snap_recover(const struct helper_env *e)
{
	const char *what = getenv("RAFTBLK_INTERRUPTED");
	bool create = what && !strcmp(what, "snapshot-create");
	char name[256], cow[256];
	struct pool_snap *s, gone = {};
	struct dm_snap_state st;
	struct pool t;
	uint64_t size;
	bool blank, done;
	int fd, left, ret;

	left = resume_all(e);
	if (left < 0)
		say("%s: recover: cannot list the device-mapper devices", e->dev);
	fd = pool_open(e->pool, false, &size);
	if (fd < 0 || pool_read(fd, size, &t, &blank)) {
		say("%s: recover: COW pool %s unreadable: snapshot %s left as it is",
		    e->dev, e->pool, e->snap);
		if (fd >= 0)
			close(fd);
		return left ? RAFTBLK_HELPER_SUSPENDED : RAFTBLK_HELPER_FAILED;
	}
	/*
	 * The killed action may have written the table without its flush:
	 * what is answered "done" must survive a power cut.
	 */
	if (fdatasync(fd))
		say("%s: recover: cannot flush COW pool %s: %s", e->dev,
		    e->pool, strerror(errno));
	close(fd);
	s = pool_find(&t, e->snap);
	if (!s) {
		/* not recorded: whatever devices carry its name go */
		snprintf(gone.name, sizeof(gone.name), "%s", e->snap);
		gone.state = POOL_SNAP_TAKEN;
		dm_name_snap(name, sizeof(name), e->dev, e->snap, false);
		dm_name_snap(cow, sizeof(cow), e->dev, e->snap, true);
		if ((dm_exists(name, NULL, 0) || dm_exists(cow, NULL, 0)) &&
		    (ret = remove_snap(e, &gone)) >= 0)
			say("%s: recover: snapshot %s is not in the pool's table: %s",
			    e->dev, e->snap, ret ? "CANNOT REMOVE its devices" :
			    "its devices removed");
		done = !create;
	} else {
		done = create && s->index == e->index && s->term == e->term &&
		       (s->state == POOL_SNAP_TAKEN ||
			s->state == POOL_SNAP_COW_DEVICE) &&
		       !dm_snap_status(e->dev, e->snap, &st) && st.active;
	}
	say("%s: recover after %s of %s (index %" PRIu64 "): %s%s", e->dev,
	    what ? what : "?", e->snap, e->index,
	    done ? "it was done" : "not done here",
	    left > 0 ? ", a device LEFT SUSPENDED" : ", nothing left suspended");
	if (left > 0)
		return RAFTBLK_HELPER_SUSPENDED;
	return done ? 0 : RAFTBLK_HELPER_FAILED;
}

int cmd_helper(const struct verb *v, int argc, char **argv)
{
	struct helper_env e;
	const char *action;
	bool snap;
	int ret;

	if (argc != 2)
		return usage_error(v, "expected one ACTION");
	action = argv[1];
	snap = !strncmp(action, "snapshot-", 9);
	to_kmsg = getenv("RAFTBLK_DEVICE");
	if (helper_env(&e, snap)) {
		say("helper %s: missing or bad RAFTBLK_* environment", action);
		return RAFTBLK_HELPER_FAILED;
	}
	/* No udev in an initramfs: libdevmapper makes the nodes itself. */
	dm_udev_set_sync_support(1);
	if (!strcmp(action, "attach"))
		ret = helper_attach(&e);
	else if (!strcmp(action, "detach"))
		ret = helper_detach(&e);
	else if (!strcmp(action, "snapshot-create"))
		ret = helper_snap_create(&e);
	else if (!strcmp(action, "snapshot-delete"))
		ret = helper_snap_delete(&e);
	else if (!strcmp(action, "snapshot-recover"))
		ret = helper_snap_recover(&e);
	else
		return usage_error(v, "unknown ACTION '%s'", action);
	/* the node's snapshot report, for its leader's list */
	if (snap)
		snap_report_refresh(e.dev);
	dm_lib_release();
	return ret;
}
