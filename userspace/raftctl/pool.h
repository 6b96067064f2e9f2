/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftctl: the snapshot table of a COW pool (pool.c).
 */
#ifndef RAFTCTL_POOL_H
#define RAFTCTL_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/raftblk.h>

#define POOL_TABLE_SIZE		(1ULL << 20)	/* table area, then COW */
#define POOL_MAX_SNAPSHOTS	32

/* What became of a snapshot entry here (the table's entry state). */
enum pool_snap_state {
	POOL_SNAP_TAKEN = 0,		/* taken: its COW area is in the pool */
	POOL_SNAP_NO_SPACE = 1,		/* not taken: no room in the pool */
	POOL_SNAP_COW_DEVICE = 2,	/* taken, on a COW device of its own */
	POOL_SNAP_NO_DEVICE = 3,	/* not taken: that device unusable */
};

/*
 * A snapshot this node took, and its copy-on-write area in the pool; or
 * one it could not take for want of room (state NO_SPACE, no COW area).
 */
struct pool_snap {
	char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
	uint64_t index, term;
	uint64_t time;			/* the leader's clock, seconds */
	uint64_t cow_off, cow_size;	/* bytes in the pool; 0 if not taken */
	uint32_t state;			/* enum pool_snap_state */
	/* COW_DEVICE, NO_DEVICE: its path (after the name's NUL on disk) */
	char cow_dev[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
};

struct pool {
	uint64_t seq;
	uint64_t size;			/* of the pool device, 4 KiB aligned */
	uint32_t n;
	struct pool_snap v[POOL_MAX_SNAPSHOTS];
};

/* The pool device opened (O_DIRECT), its size in *size; -errno. */
int pool_open(const char *path, bool write, uint64_t *size);
/*
 * The table in force into T: 0, or -EBADMSG when there is none (*blank:
 * the table area is all zero, a pool never used), or -errno.
 */
int pool_read(int fd, uint64_t dev_size, struct pool *t, bool *blank);
/* T made durable in the slot not in force (its seq goes up); -errno. */
int pool_write(int fd, struct pool *t);
/* An empty table for a pool of DEV_SIZE bytes. */
void pool_init(struct pool *t, uint64_t dev_size);
struct pool_snap *pool_find(struct pool *t, const char *name);
/*
 * Room for a COW area of WANT bytes (0: a quarter of the pool, or the
 * largest free gap if smaller): *off and *size, or -ENOSPC.
 */
int pool_alloc(struct pool *t, uint64_t want, uint64_t *off, uint64_t *size);
void pool_remove(struct pool *t, struct pool_snap *s);

#endif /* RAFTCTL_POOL_H */
