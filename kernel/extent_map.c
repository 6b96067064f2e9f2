// SPDX-License-Identifier: GPL-2.0
/*
 * extent_map.c - the per-extent last-write index of the data area (see
 * extent_map.h), and its two slots on the disk (ondisk.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

#include "extent_map.h"
#include "portable.h"
#include "ondisk.h"

struct rb_emap {
	struct block_device *bdev;
	struct raftblk_emap_geo geo;
	u64 data_size;
	bool persist;		/* the layout has room for the map */
	bool loaded;		/* a valid map was read at open */
	u64 seq;		/* of the slot written last */
	u32 slot;		/* slot written last (next goes to the other) */
	void *io;		/* slot_size bytes of I/O buffer (kvmalloc) */
	/* lock protects v[] (short, never held while sleeping). */
	spinlock_t lock;
	u64 *v;			/* geo.n indexes */
};

/* One synchronous I/O of len bytes of a kvmalloc'd buffer at off. */
static int emap_io(struct block_device *bdev, void *buf, u64 off, u32 len,
		   blk_opf_t opf)
{
	u32 nr = DIV_ROUND_UP(len, PAGE_SIZE), done = 0;
	struct bio *bio;
	int ret;

	bio = bio_alloc(bdev, min_t(u32, nr, BIO_MAX_VECS), opf, GFP_NOIO);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	while (done < len) {
		void *p = buf + done;
		struct page *pg = is_vmalloc_addr(p) ? vmalloc_to_page(p) :
			virt_to_page(p);
		u32 chunk = min_t(u32, len - done, PAGE_SIZE);

		if (bio_add_page(bio, pg, chunk, 0) != chunk) {
			/* bio full: submit what we have, go on */
			ret = submit_bio_wait(bio);
			bio_put(bio);
			if (ret)
				return ret;
			bio = bio_alloc(bdev, min_t(u32, nr, BIO_MAX_VECS),
					opf, GFP_NOIO);
			if (!bio)
				return -ENOMEM;
			bio->bi_iter.bi_sector = (off + done) >> SECTOR_SHIFT;
			continue;
		}
		done += chunk;
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/* Read slot i; 0 with *h and m->v filled, else an error (no map there). */
static int emap_read_slot(struct rb_emap *m, u32 i,
			  struct raftblk_emap_hdr *h, u64 *v)
{
	const char *why = NULL;
	int ret;

	ret = emap_io(m->bdev, m->io, m->geo.slot_off[i], m->geo.slot_size,
		      REQ_OP_READ);
	if (ret)
		return ret;
	ret = raftblk_emap_hdr_decode(m->io, RAFTBLK_EMAP_HDR_SIZE, &m->geo,
				      m->data_size, h, &why);
	if (!ret)
		ret = raftblk_emap_array_decode(m->io + RAFTBLK_EMAP_HDR_SIZE,
						m->geo.array_len, m->geo.n,
						h->array_crc, v, &why);
	if (ret)
		pr_debug("%pg: extent map slot %u: %s\n", m->bdev, i,
			 why);
	return ret;
}

int rb_emap_open(struct block_device *bdev, u64 log_off, u64 data_size,
		 raft_index floor, struct rb_emap **out)
{
	struct raftblk_emap_hdr h[2];
	struct rb_emap *m;
	u64 *tmp = NULL;
	int ok[2] = { 0, 0 };
	u32 i;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->bdev = bdev;
	m->data_size = data_size;
	spin_lock_init(&m->lock);
	m->persist = !raftblk_emap_geometry(log_off, data_size, &m->geo);
	/* Without room on the disk: the same geometry, in memory only. */
	if (!m->persist &&
	    raftblk_emap_geometry(RAFTBLK_EMAP_OFF + (1 << 20), data_size,
				  &m->geo))
		goto err_free_map;
	m->v = kvcalloc(m->geo.n, sizeof(u64), GFP_KERNEL);
	if (!m->v)
		goto err_free_map;
	if (m->persist) {
		m->io = kvmalloc(m->geo.slot_size, GFP_KERNEL);
		tmp = kvcalloc(m->geo.n, sizeof(u64), GFP_KERNEL);
		if (!m->io || !tmp)
			goto err_free_map;
		for (i = 0; i < 2; i++)
			ok[i] = !emap_read_slot(m, i, &h[i],
						i ? tmp : m->v);
		if (ok[0] && ok[1] && h[1].seq > h[0].seq)
			ok[0] = 0;
		if (ok[1] && !ok[0])
			memcpy(m->v, tmp, m->geo.n * sizeof(u64));
		if (ok[0] || ok[1]) {
			i = ok[0] ? 0 : 1;
			m->loaded = true;
			m->seq = h[i].seq;
			m->slot = i;
		} else {
			m->slot = 1;	/* first save goes to slot 0 */
		}
		kvfree(tmp);
	}
	/*
	 * Without a map every extent may have been written at any index up
	 * to the compaction point (a map on the disk covers those already).
	 */
	if (!m->loaded)
		for (i = 0; i < m->geo.n; i++)
			m->v[i] = floor;
	*out = m;
	return 0;
err_free_map:
	kvfree(tmp);
	rb_emap_free(m);
	return -ENOMEM;
}

void rb_emap_free(struct rb_emap *m)
{
	if (!m)
		return;
	kvfree(m->v);
	kvfree(m->io);
	kfree(m);
}

void rb_emap_note(struct rb_emap *m, u64 off, u64 len, raft_index idx)
{
	u64 first, last, e;

	if (!m || !len || off >= m->data_size)
		return;
	if (len > m->data_size - off)
		len = m->data_size - off;
	first = off >> m->geo.shift;
	last = (off + len - 1) >> m->geo.shift;
	spin_lock(&m->lock);
	for (e = first; e <= last && e < m->geo.n; e++)
		if (m->v[e] < idx)
			m->v[e] = idx;
	spin_unlock(&m->lock);
}

void rb_emap_reset(struct rb_emap *m)
{
	spin_lock(&m->lock);
	memset(m->v, 0, m->geo.n * sizeof(u64));
	spin_unlock(&m->lock);
}

void rb_emap_note_all(struct rb_emap *m, raft_index idx)
{
	if (m)
		rb_emap_note(m, 0, m->data_size, idx);
}

int rb_emap_save(struct rb_emap *m, raft_index covered)
{
	struct raftblk_emap_hdr h = {};
	void *arr;
	u32 slot;
	int ret;

	if (!m || !m->persist)
		return 0;
	arr = m->io + RAFTBLK_EMAP_HDR_SIZE;
	spin_lock(&m->lock);
	raftblk_emap_array_encode(m->v, m->geo.n, arr, m->geo.array_len);
	spin_unlock(&m->lock);
	h.seq = m->seq + 1;
	h.data_size = m->data_size;
	h.shift = m->geo.shift;
	h.n = m->geo.n;
	h.index = covered;
	h.array_crc = raftblk_crc32c(arr, m->geo.array_len);
	ret = raftblk_emap_hdr_encode(&h, m->io, NULL);
	if (ret)
		return -EINVAL;
	slot = m->slot ^ 1;
	ret = emap_io(m->bdev, m->io, m->geo.slot_off[slot], m->geo.slot_size,
		      REQ_OP_WRITE | REQ_SYNC);
	if (ret) {
		pr_err_ratelimited("%pg: extent map write failed: %d\n",
				   m->bdev, ret);
		return ret;
	}
	m->seq = h.seq;
	m->slot = slot;
	return 0;
}

u32 rb_emap_count(const struct rb_emap *m)
{
	return m->geo.n;
}

u64 rb_emap_extent_bytes(const struct rb_emap *m)
{
	return 1ULL << m->geo.shift;
}

raft_index rb_emap_get(struct rb_emap *m, u32 ext)
{
	raft_index v = 0;

	spin_lock(&m->lock);
	if (ext < m->geo.n)
		v = m->v[ext];
	spin_unlock(&m->lock);
	return v;
}

u32 rb_emap_next_above(struct rb_emap *m, u32 from, raft_index base)
{
	u32 e;

	spin_lock(&m->lock);
	for (e = from; e < m->geo.n; e++)
		if (m->v[e] > base)
			break;
	spin_unlock(&m->lock);
	return e;
}

u64 rb_emap_bytes_above(struct rb_emap *m, raft_index base)
{
	u64 ext = 1ULL << m->geo.shift, bytes = 0;
	u32 e;

	spin_lock(&m->lock);
	for (e = 0; e < m->geo.n; e++)
		if (m->v[e] > base)
			bytes += min(ext, m->data_size - ((u64)e << m->geo.shift));
	spin_unlock(&m->lock);
	return bytes;
}

bool rb_emap_loaded(const struct rb_emap *m)
{
	return m->loaded;
}
