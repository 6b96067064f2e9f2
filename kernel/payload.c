// SPDX-License-Identifier: GPL-2.0
/*
 * payload.c - reference-counted write payloads (see payload.h).
 */
#include <linux/blk-mq.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "payload.h"
#include "portable.h"
#include "raft_kenv.h"

/* Largest block of pages taken from the allocator at once (64 KiB). */
#define PAYLOAD_MAX_ORDER	4

/*
 * The payload page pool (Documentation/design.rst, "Payload page pool").
 *
 * A freed payload's pages go back to a module-wide pool instead of the
 * page allocator, and the next payload takes its pages from there: in
 * the steady state of a stream of writes no page is allocated, and none
 * is zeroed again by the allocator (init_on_alloc), which under TCG cost
 * as much as the copy itself. Pages of the pool hold stale data of old
 * writes: every user of raftblk_payload_alloc() overwrites [0, len) (the
 * creator fills the payload before publishing it), and the bytes past
 * len in the last page are zeroed at allocation.
 *
 * A page goes back to the pool only when raftblk holds its only
 * reference (page_ref_count() == 1): TCP's zero-copy send
 * (kernel_sendpage()) keeps a reference until the data is acknowledged,
 * and such a page is put, not pooled (counted in busy). Nobody can take
 * a new reference to a page only we hold: it is not in any page cache
 * or mapping (a pfn walker's speculative get_page_unless_zero() only
 * looks, and drops it).
 *
 * Bounded by payload_pool_mib (pages beyond it go to the allocator), a
 * shrinker gives the pages back under memory pressure, and the pool is
 * emptied when the last device is removed (not while another device
 * still takes pages from it: raftblk_device_free()) and when the module
 * is unloaded.
 */
static int payload_pool_mib = -1;

static struct {
	/*
	 * Protects pages and count. Taken with interrupts off: payloads
	 * are put from softirq (TCP) and possibly bio completion context.
	 * Nothing else is taken under it, and no page is freed under it.
	 */
	spinlock_t lock;
	struct list_head pages;		/* free pages, linked by page->lru */
	unsigned long count;		/* pages on the list */
	atomic_long_t reused;		/* pages handed out from the pool */
	atomic_long_t fresh;		/* pages from the page allocator */
	atomic_long_t busy;		/* not pooled: another reference */
	atomic_long_t full;		/* not pooled: the pool was full */
	atomic_long_t shrunk;		/* given back to the allocator */
} pool = {
	.lock = __SPIN_LOCK_UNLOCKED(pool.lock),
	.pages = LIST_HEAD_INIT(pool.pages),
};

/* The pool's cap in pages (payload_pool_mib, read each time). */
static unsigned long pool_cap(void)
{
	int mib = READ_ONCE(payload_pool_mib);

	/*
	 * With init_on_free the allocator wipes freed pages: a pool would
	 * keep old writes' data in memory, which that option asks not to.
	 */
	if (want_init_on_free())
		return 0;
	if (mib < 0)
		return min_t(unsigned long, 32UL << (20 - PAGE_SHIFT),
			     totalram_pages() / 16);
	/* at most the RAM: no overflow of the shift on 32-bit */
	return min_t(unsigned long, mib,
		     totalram_pages() >> (20 - PAGE_SHIFT)) <<
		(20 - PAGE_SHIFT);
}

/* Take up to nr pages from the pool into pages[]: how many it had. */
static u32 pool_take(struct page **pages, u32 nr)
{
	unsigned long flags;
	u32 n = 0;

	/* Racy peek, as DRBD's: an empty pool costs no lock. */
	if (!READ_ONCE(pool.count))
		return 0;
	spin_lock_irqsave(&pool.lock, flags);
	while (n < nr && !list_empty(&pool.pages)) {
		struct page *page = list_first_entry(&pool.pages,
						     struct page, lru);

		list_del(&page->lru);
		pages[n++] = page;
	}
	pool.count -= n;
	spin_unlock_irqrestore(&pool.lock, flags);
	atomic_long_add(n, &pool.reused);
	return n;
}

/*
 * Give nr pages (NULL entries skipped) back: to the pool those only we
 * hold while it has room, the others put.
 */
static void pool_give(struct page **pages, u32 nr)
{
	unsigned long cap = pool_cap(), flags;
	u32 i, busy = 0, full = 0;

	spin_lock_irqsave(&pool.lock, flags);
	for (i = 0; i < nr; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		/* a poisoned page goes back to the allocator to be kept out */
		if (page_ref_count(page) != 1 || PageHWPoison(page)) {
			busy++;
			continue;
		}
		if (pool.count >= cap) {
			full++;
			continue;
		}
		list_add(&page->lru, &pool.pages);
		pool.count++;
		pages[i] = NULL;
	}
	spin_unlock_irqrestore(&pool.lock, flags);
	/* outside the lock: put_page() may free to the allocator */
	for (i = 0; i < nr; i++)
		if (pages[i])
			put_page(pages[i]);
	if (busy)
		atomic_long_add(busy, &pool.busy);
	if (full)
		atomic_long_add(full, &pool.full);
}

/* Give up to nr pages of the pool back to the allocator: how many. */
static unsigned long pool_release(unsigned long nr)
{
	unsigned long flags, n = 0;
	LIST_HEAD(out);
	struct page *page, *tmp;

	spin_lock_irqsave(&pool.lock, flags);
	if (nr >= pool.count) {
		/* all of it (a drain): no page-by-page walk, irqs off */
		list_splice_init(&pool.pages, &out);
		n = pool.count;
	}
	while (n < nr && !list_empty(&pool.pages)) {
		list_move(pool.pages.next, &out);
		n++;
	}
	pool.count -= n;
	spin_unlock_irqrestore(&pool.lock, flags);
	list_for_each_entry_safe(page, tmp, &out, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	atomic_long_add(n, &pool.shrunk);
	return n;
}

/*
 * payload_pool_mib set at runtime: a lower cap takes effect at once (the
 * pages beyond it go back to the allocator), not only as pages cycle.
 */
static int pool_mib_set(const char *val, const struct kernel_param *kp)
{
	unsigned long cap, count;
	int ret;

	ret = param_set_int(val, kp);
	if (ret)
		return ret;
	cap = pool_cap();
	count = READ_ONCE(pool.count);
	if (count > cap)
		pool_release(count - cap);
	return 0;
}

static const struct kernel_param_ops pool_mib_ops = {
	.set = pool_mib_set,
	.get = param_get_int,
};
module_param_cb(payload_pool_mib, &pool_mib_ops, &payload_pool_mib, 0644);
MODULE_PARM_DESC(payload_pool_mib,
		 "MiB of freed payload pages kept for reuse (-1: half the default log memory budget, min(32, RAM/16); 0: no pool); lowering it trims the pool at once");

static unsigned long pool_shrink_count(struct shrinker *sh,
				       struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(pool.count);

	return n ? n : SHRINK_EMPTY;
}

static unsigned long pool_shrink_scan(struct shrinker *sh,
				      struct shrink_control *sc)
{
	unsigned long n = pool_release(sc->nr_to_scan);

	return n ? n : SHRINK_STOP;
}

static struct shrinker pool_shrinker = {
	.count_objects = pool_shrink_count,
	.scan_objects = pool_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};
static bool pool_shrinker_on;

int raftblk_payload_pool_init(void)
{
	int ret = register_shrinker(&pool_shrinker, "raftblk-payload-pool");

	pool_shrinker_on = !ret;
	return ret;
}

void raftblk_payload_pool_exit(void)
{
	if (pool_shrinker_on)
		unregister_shrinker(&pool_shrinker);
	pool_shrinker_on = false;
	raftblk_payload_pool_drain();
}

void raftblk_payload_pool_drain(void)
{
	pool_release(ULONG_MAX);
}

void raftblk_payload_pool_stats(struct raftblk_payload_pool_stats *st)
{
	st->pages = READ_ONCE(pool.count);
	st->cap = pool_cap();
	st->reused = atomic_long_read(&pool.reused);
	st->fresh = atomic_long_read(&pool.fresh);
	st->busy = atomic_long_read(&pool.busy);
	st->full = atomic_long_read(&pool.full);
	st->shrunk = atomic_long_read(&pool.shrunk);
}

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
	pool_give(p->pages, p->nr_pages);
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
	/* from the pool first, the rest from the allocator as before */
	i = pool_take(p->pages, nr);
	while (i < nr) {
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
		atomic_long_add(1UL << order, &pool.fresh);
		for (j = 0; j < (1U << order); j++)
			p->pages[i++] = page + j;
	}
	left = len;
	for (i = 0; i < nr; i++) {
		u32 n = min_t(u32, left, PAGE_SIZE);

		bvec_set_page(&p->bvec[i], p->pages[i], n, 0);
		left -= n;
	}
	/*
	 * The bytes past len in the last page are never sent, written or
	 * checksummed; they are zero all the same (a pooled page holds an
	 * old write's data), as a page fresh from the allocator is.
	 */
	if (offset_in_page(len))
		memzero_page(p->pages[nr - 1], offset_in_page(len),
			     PAGE_SIZE - offset_in_page(len));
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
