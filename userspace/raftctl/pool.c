// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the snapshot table of a COW pool (format in
 * Documentation/on-disk-format.rst, "Snapshot pool").
 *
 * A node's COW pool is a block device of its own. Its first MiB holds the
 * table of the snapshots this node took (two 4 KiB slots, the valid one
 * with the higher sequence number is current, an update writes the other
 * one), the rest is carved into one copy-on-write area per snapshot.
 * Only the helper writes it (raftctl helper ..., run by the kernel);
 * "raftctl snapshot list" reads it.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "pool.h"

#define POOL_MAGIC	"RBSNPOOL"
#define POOL_VERSION	1
#define POOL_SLOT	4096
/* Offsets in a slot. */
#define P_MAGIC		0
#define P_VERSION	8
#define P_COUNT		12
#define P_SEQ		16
#define P_SIZE		24
#define P_ENTRIES	64
#define P_ENTRY_LEN	96
#define P_CRC		4092
/* Offsets in an entry. */
#define E_NAME		0
#define E_INDEX		48
#define E_TERM		56
#define E_TIME		64
#define E_COW_OFF	72
#define E_COW_SIZE	80
#define E_STATE		88	/* 4, enum pool_snap_state */
#define E_RSVD		92

static_assert(P_ENTRIES + POOL_MAX_SNAPSHOTS * P_ENTRY_LEN <= P_CRC,
	      "the table fits in a slot");

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return ~crc;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* One slot into T: 0, or -1 if it is not a valid table. */
static int slot_decode(const uint8_t *b, uint64_t dev_size, struct pool *t)
{
	uint32_t count;
	size_t len;

	if (memcmp(b + P_MAGIC, POOL_MAGIC, 8) ||
	    get32(b + P_VERSION) != POOL_VERSION ||
	    get32(b + P_CRC) != crc32c(b, P_CRC))
		return -1;
	count = get32(b + P_COUNT);
	if (count > POOL_MAX_SNAPSHOTS || get64(b + P_SIZE) > dev_size)
		return -1;
	memset(t, 0, sizeof(*t));
	t->seq = get64(b + P_SEQ);
	t->size = get64(b + P_SIZE);
	t->n = count;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = b + P_ENTRIES + i * P_ENTRY_LEN;
		struct pool_snap *s = &t->v[i];

		memcpy(s->name, e + E_NAME, RAFTBLK_SNAPSHOT_NAME_MAXLEN);
		s->name[RAFTBLK_SNAPSHOT_NAME_MAXLEN] = '\0';
		len = strlen(s->name);
		if (len < RAFTBLK_SNAPSHOT_NAME_MAXLEN) {
			memcpy(s->cow_dev, e + E_NAME + len + 1,
			       RAFTBLK_SNAPSHOT_NAME_MAXLEN - len);
			s->cow_dev[RAFTBLK_SNAPSHOT_NAME_MAXLEN - len] = '\0';
		}
		s->index = get64(e + E_INDEX);
		s->term = get64(e + E_TERM);
		s->time = get64(e + E_TIME);
		s->cow_off = get64(e + E_COW_OFF);
		s->cow_size = get64(e + E_COW_SIZE);
		s->state = get32(e + E_STATE);
		if (s->state == POOL_SNAP_NO_SPACE && !s->cow_off &&
		    !s->cow_size && s->name[0])
			continue;
		/* on a device of its own: nothing in the pool */
		if ((s->state == POOL_SNAP_COW_DEVICE ||
		     s->state == POOL_SNAP_NO_DEVICE) && !s->cow_off &&
		    s->cow_dev[0] == '/' && s->name[0])
			continue;
		if (s->cow_dev[0])
			return -1;
		if (!s->name[0] || s->state != POOL_SNAP_TAKEN ||
		    s->cow_off < POOL_TABLE_SIZE ||
		    s->cow_off % 4096 || s->cow_size % 4096 ||
		    s->cow_size > t->size ||
		    s->cow_off > t->size - s->cow_size)
			return -1;
	}
	return 0;
}

static void slot_encode(const struct pool *t, uint8_t *b)
{
	memset(b, 0, POOL_SLOT);
	memcpy(b + P_MAGIC, POOL_MAGIC, 8);
	put32(b + P_VERSION, POOL_VERSION);
	put32(b + P_COUNT, t->n);
	put64(b + P_SEQ, t->seq);
	put64(b + P_SIZE, t->size);
	for (uint32_t i = 0; i < t->n; i++) {
		uint8_t *e = b + P_ENTRIES + i * P_ENTRY_LEN;
		const struct pool_snap *s = &t->v[i];

		strncpy((char *)e + E_NAME, s->name,
			RAFTBLK_SNAPSHOT_NAME_MAXLEN);
		/* a COW device's path: after the name's NUL (they fit) */
		if (s->cow_dev[0])
			memcpy(e + E_NAME + strlen(s->name) + 1, s->cow_dev,
			       strlen(s->cow_dev));
		put64(e + E_INDEX, s->index);
		put64(e + E_TERM, s->term);
		put64(e + E_TIME, s->time);
		put64(e + E_COW_OFF, s->cow_off);
		put64(e + E_COW_SIZE, s->cow_size);
		put32(e + E_STATE, s->state);
	}
	put32(b + P_CRC, crc32c(b, P_CRC));
}

int pool_open(const char *path, bool write, uint64_t *size)
{
	int fd = open(path, (write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int pool_read(int fd, uint64_t dev_size, struct pool *t, bool *blank)
{
	struct pool a, b;
	uint8_t *buf;
	int va, vb;

	*blank = false;
	if (posix_memalign((void **)&buf, 4096, 2 * POOL_SLOT))
		return -ENOMEM;
	if (pread(fd, buf, 2 * POOL_SLOT, 0) != 2 * POOL_SLOT) {
		free(buf);
		return -EIO;
	}
	va = slot_decode(buf, dev_size, &a);
	vb = slot_decode(buf + POOL_SLOT, dev_size, &b);
	*blank = va && vb && all_zero(buf, 2 * POOL_SLOT);
	free(buf);
	if (va && vb)
		return -EBADMSG;
	*t = !va && (vb || a.seq > b.seq) ? a : b;
	return 0;
}

int pool_write(int fd, struct pool *t)
{
	uint8_t *buf;
	int ret = 0;

	if (posix_memalign((void **)&buf, 4096, POOL_SLOT))
		return -ENOMEM;
	t->seq++;
	slot_encode(t, buf);
	/* slot seq % 2: never the one holding the table in force */
	if (pwrite(fd, buf, POOL_SLOT, (t->seq % 2) * POOL_SLOT) != POOL_SLOT ||
	    fdatasync(fd))
		ret = -EIO;
	free(buf);
	return ret;
}

void pool_init(struct pool *t, uint64_t dev_size)
{
	memset(t, 0, sizeof(*t));
	t->size = dev_size & ~4095ULL;
}

struct pool_snap *pool_find(struct pool *t, const char *name)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static int by_off(const void *a, const void *b)
{
	const struct pool_snap *x = a, *y = b;

	return x->cow_off < y->cow_off ? -1 : x->cow_off > y->cow_off;
}

int pool_alloc(struct pool *t, uint64_t want, uint64_t *off, uint64_t *size)
{
	struct pool_snap v[POOL_MAX_SNAPSHOTS];
	uint64_t pos = POOL_TABLE_SIZE, best = 0, best_off = 0;
	uint32_t nv = 0;

	if (t->n >= POOL_MAX_SNAPSHOTS || t->size <= POOL_TABLE_SIZE)
		return -ENOSPC;
	/* the COW areas in the pool (entries not taken have none) */
	for (uint32_t i = 0; i < t->n; i++)
		if (t->v[i].state == POOL_SNAP_TAKEN)
			v[nv++] = t->v[i];
	qsort(v, nv, sizeof(v[0]), by_off);
	/* first fit for a size asked for, else the largest gap */
	for (uint32_t i = 0; i <= nv; i++) {
		uint64_t end = i < nv ? v[i].cow_off : t->size;
		uint64_t gap = end > pos ? end - pos : 0;

		if (want && gap >= want) {
			*off = pos;
			*size = want;
			return 0;
		}
		if (gap > best) {
			best = gap;
			best_off = pos;
		}
		if (i < nv)
			pos = v[i].cow_off + v[i].cow_size;
	}
	if (want)
		return -ENOSPC;
	/* default: a quarter of the pool's COW space, or the gap left */
	want = ((t->size - POOL_TABLE_SIZE) / 4) & ~4095ULL;
	if (want > best)
		want = best & ~4095ULL;
	if (want < (1ULL << 20))
		return -ENOSPC;
	*off = best_off;
	*size = want;
	return 0;
}

void pool_remove(struct pool *t, struct pool_snap *s)
{
	uint32_t i = s - t->v;

	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
}
