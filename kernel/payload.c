// SPDX-License-Identifier: GPL-2.0
/*
 * payload.c - reference-counted write payloads (see payload.h).
 */
#include <linux/blk-mq.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "payload.h"
#include "portable.h"
#include "raft_kenv.h"

/* Largest block of pages taken from the allocator at once (64 KiB). */
#define PAYLOAD_MAX_ORDER	4

static struct raft_payload *payload_alloc_struct(u32 nr_pages)
{
	struct raft_payload *p;
	size_t sz;

	/* pages[] then bvec[] in one allocation. */
	sz = struct_size(p, pages, nr_pages);
	sz = size_add(sz, array_size(nr_pages, sizeof(struct bio_vec)));
	p = kzalloc(sz, GFP_NOIO);
	if (!p)
		return NULL;
	refcount_set(&p->ref, 1);
	p->bvec = (struct bio_vec *)&p->pages[nr_pages];
	return p;
}

static void payload_free(struct raft_payload *p)
{
	u32 i;

	for (i = 0; i < p->nr_pages; i++)
		if (p->pages[i])
			__free_page(p->pages[i]);
	kfree(p);
}

struct raft_payload *raftblk_payload_alloc(u32 len)
{
	struct raft_payload *p;
	u32 nr, i, left;

	if (!len || len > RAFTBLK_PL_MAX_DATA || (len & (SECTOR_SIZE - 1)))
		return NULL;
	nr = DIV_ROUND_UP(len, PAGE_SIZE);
	p = payload_alloc_struct(nr);
	if (!p)
		return NULL;
	p->len = len;
	p->nr_pages = nr;
	for (i = 0; i < nr;) {
		/*
		 * Pages come in blocks of up to 2^PAYLOAD_MAX_ORDER, split
		 * into single pages (each freed on its own): one call to the
		 * page allocator per block instead of per page, which under
		 * emulation cost more than copying the data. A block that is
		 * not there at once is not waited for: smaller ones then.
		 */
		u32 order = min_t(u32, ilog2(nr - i), PAYLOAD_MAX_ORDER), j;
		struct page *page;

		for (;;) {
			page = alloc_pages(order ? GFP_NOIO | __GFP_NOWARN |
					   __GFP_NORETRY : GFP_NOIO, order);
			if (page || !order)
				break;
			order--;
		}
		if (!page) {
			payload_free(p);
			return NULL;
		}
		if (order)
			split_page(page, order);
		for (j = 0; j < (1U << order); j++)
			p->pages[i++] = page + j;
	}
	left = len;
	for (i = 0; i < nr; i++) {
		u32 n = min_t(u32, left, PAGE_SIZE);

		bvec_set_page(&p->bvec[i], p->pages[i], n, 0);
		left -= n;
	}
	return p;
}

struct raft_payload *raftblk_payload_alloc_nodata(u64 sector, u32 len,
						  u32 flags)
{
	struct raft_payload *p;
	u32 kind = flags & RAFTBLK_PL_NODATA;

	if (kind != RAFTBLK_PL_DISCARD && kind != RAFTBLK_PL_WRITE_ZEROES)
		return NULL;
	if ((flags & ~RAFTBLK_PL_ALL) || !len || len > RAFTBLK_PL_MAX_LEN ||
	    (len & (SECTOR_SIZE - 1)))
		return NULL;
	p = payload_alloc_struct(0);
	if (!p)
		return NULL;
	p->sector = sector;
	p->len = len;
	p->flags = flags;
	return p;
}

/* Copy len bytes at payload offset off from (dir_in) or to buf. */
static void payload_copy(const struct raft_payload *p, u32 off, void *buf,
			 u32 len, bool dir_in)
{
	u8 *b = buf;

	while (len) {
		u32 pg = off >> PAGE_SHIFT;
		u32 po = offset_in_page(off);
		u32 n = min_t(u32, len, PAGE_SIZE - po);

		if (dir_in)
			memcpy_to_page(p->pages[pg], po, b, n);
		else
			memcpy_from_page(b, p->pages[pg], po, n);
		b += n;
		off += n;
		len -= n;
	}
}

static bool payload_range_ok(const struct raft_payload *p, u32 off, u32 len)
{
	u32 dlen = raftblk_payload_data_len(p);

	return off <= dlen && len <= dlen - off;
}

u32 raftblk_payload_crc(struct raft_payload *p)
{
	u32 left = raftblk_payload_data_len(p), crc = ~0U, i;

	/* Pairs with the smp_store_release() below. */
	if (smp_load_acquire(&p->data_crc_known))
		return p->data_crc;
	for (i = 0; left; i++) {
		u32 n = min_t(u32, left, p->bvec[i].bv_len);
		void *va = kmap_local_page(p->pages[i]);

		crc = crc32c(crc, va, n);
		kunmap_local(va);
		left -= n;
	}
	WRITE_ONCE(p->data_crc, ~crc);
	/* data_crc before the flag: pairs with smp_load_acquire() above. */
	smp_store_release(&p->data_crc_known, true);
	return ~crc;
}

/*
 * Take crc as the data's crc without a pass over it, for a receiver whose
 * data and crc are both authenticated (transport.c): set before the
 * payload is shared.
 */
void raftblk_payload_set_crc(struct raft_payload *p, u32 crc)
{
	WRITE_ONCE(p->data_crc, crc);
	/* data_crc before the flag: pairs with raftblk_payload_crc() */
	smp_store_release(&p->data_crc_known, true);
}

int raftblk_payload_copy_in(struct raft_payload *p, u32 off,
			    const void *buf, u32 len)
{
	if (!payload_range_ok(p, off, len))
		return -EINVAL;
	payload_copy(p, off, (void *)buf, len, true);
	return 0;
}

int raftblk_payload_copy_out(const struct raft_payload *p, u32 off,
			     void *buf, u32 len)
{
	if (!payload_range_ok(p, off, len))
		return -EINVAL;
	payload_copy(p, off, buf, len, false);
	return 0;
}

struct raft_payload *raftblk_payload_from_rq(struct request *rq)
{
	struct raft_payload *p;
	struct req_iterator it;
	struct bio_vec bv;
	u32 len = blk_rq_bytes(rq);
	u32 off = 0;

	switch (req_op(rq)) {
	case REQ_OP_WRITE:
		break;
	case REQ_OP_DISCARD:
		p = raftblk_payload_alloc_nodata(blk_rq_pos(rq), len,
						 RAFTBLK_PL_DISCARD);
		return p ? p : ERR_PTR(-EINVAL);
	case REQ_OP_WRITE_ZEROES:
		p = raftblk_payload_alloc_nodata(blk_rq_pos(rq), len,
						 RAFTBLK_PL_WRITE_ZEROES);
		return p ? p : ERR_PTR(-EINVAL);
	default:
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (!len || len > RAFTBLK_PL_MAX_DATA || (len & (SECTOR_SIZE - 1)))
		return ERR_PTR(-EINVAL);
	p = raftblk_payload_alloc(len);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->sector = blk_rq_pos(rq);
	if (rq->cmd_flags & REQ_FUA)
		p->flags |= RAFTBLK_PL_FUA;
	rq_for_each_segment(bv, rq, it) {
		void *src;

		if (WARN_ON_ONCE(bv.bv_len > len - off)) {
			raftblk_payload_put(p);
			return ERR_PTR(-EINVAL);
		}
		src = bvec_kmap_local(&bv);
		payload_copy(p, off, src, bv.bv_len, true);
		kunmap_local(src);
		off += bv.bv_len;
	}
	if (WARN_ON_ONCE(off != len)) {
		raftblk_payload_put(p);
		return ERR_PTR(-EINVAL);
	}
	return p;
}

int raftblk_payload_copy_to_rq(const struct raft_payload *p, u32 off,
			       struct request *rq)
{
	struct req_iterator it;
	struct bio_vec bv;

	if (!payload_range_ok(p, off, blk_rq_bytes(rq)))
		return -EINVAL;
	rq_for_each_segment(bv, rq, it) {
		void *dst = bvec_kmap_local(&bv);

		payload_copy(p, off, dst, bv.bv_len, false);
		kunmap_local(dst);
		off += bv.bv_len;
	}
	return 0;
}

int raftblk_payload_iter(struct raft_payload *p, unsigned int direction,
			 u32 off, u32 len, struct iov_iter *iter)
{
	if (!payload_range_ok(p, off, len))
		return -EINVAL;
	iov_iter_bvec(iter, direction, p->bvec, p->nr_pages,
		      raftblk_payload_data_len(p));
	iov_iter_advance(iter, off);
	iov_iter_truncate(iter, len);
	return 0;
}

void raftblk_payload_put(struct raft_payload *p)
{
	if (p && refcount_dec_and_test(&p->ref))
		payload_free(p);
}

/* The consensus core's view (raft/env.h). */
size_t raft_payload_len(const struct raft_payload *p)
{
	return raftblk_payload_data_len(p);
}

void raft_payload_get(struct raft_payload *p)
{
	raftblk_payload_get(p);
}

void raft_payload_put(struct raft_payload *p)
{
	raftblk_payload_put(p);
}
