// SPDX-License-Identifier: GPL-2.0
/*
 * store_test.c - in-kernel test of raftblk's log store (kernel/store_*.c,
 * linked into this module with the on-disk codec, the payloads and the
 * core's membership rules). Runs at module load inside a VM (scenario
 * "store") on a scratch disk it formats: format/open/recover, appends
 * with data, truncation of a suffix, a torn tail made by corrupting the
 * last record on the disk, a torn superblock update, a full ring, wrap
 * and compaction, apply to the data area. Results are TAP lines in the
 * kernel log, prefixed "rbst: ".
 *
 * Parameters: disk (default /dev/vda) - everything on it is lost;
 * dm, dm_under: disk is the device-mapper device dm, linear over
 * dm_under; the tests of a failing disk swap its table (through dmsetup,
 * run as a usermode helper) to make a region fail, then recover;
 * mode: "unit" (default) these tests, "write" / "verify" the power-cut
 * test of store_crash.c (with min_index, min_term for verify; lw_mark and
 * appends for write, see there).
 */
#define pr_fmt(fmt) "rbst: " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "raftblk.h"
#include "payload.h"
#include "ondisk.h"
#include "log_store.h"
#include "extent_map.h"
#include "portable.h"
#include "store_test.h"

static char *disk = "/dev/vda";
module_param(disk, charp, 0444);
MODULE_PARM_DESC(disk, "scratch block device (overwritten)");
static char *mode = "unit";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "unit, write (power-cut test) or verify (after it)");
static char *dm;
module_param(dm, charp, 0444);
MODULE_PARM_DESC(dm, "name of the device-mapper device that disk is (its table is swapped to inject errors)");
static char *dm_under = "/dev/vda";
module_param(dm_under, charp, 0444);
MODULE_PARM_DESC(dm_under, "the disk under the dm device");
static unsigned long long min_index;
module_param(min_index, ullong, 0444);
MODULE_PARM_DESC(min_index, "verify: last index acknowledged before the cut");
static unsigned long long min_term;
module_param(min_term, ullong, 0444);
MODULE_PARM_DESC(min_term, "verify: its term");
static char *lw_mark;
module_param(lw_mark, charp, 0444);
MODULE_PARM_DESC(lw_mark, "write: disk is this dm-log-writes device; mark each promise in its log");
static uint appends;
module_param(appends, uint, 0444);
MODULE_PARM_DESC(appends, "write: stop after this many appends (0: never)");

#define MODE (FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static int n_tests, n_failed;

/*
 * data_area.c hands block reads of a device to backing.c, which this
 * module does not link: never called here.
 */
blk_status_t raftblk_backing_submit_at(struct raftblk_dev *dev,
				       struct block_device *bdev,
				       struct request *rq, sector_t off)
{
	return BLK_STS_NOTSUPP;
}
static struct block_device *bdev;
static void *blk;	/* 8 KiB of scratch for raw I/O */

bool rbst_tap(bool ok, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	n_tests++;
	if (!ok)
		n_failed++;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("%sok %d - %pV\n", ok ? "" : "not ", n_tests, &vaf);
	va_end(args);
	return ok;
}

/* Raw I/O on the scratch disk, bypassing the store. */
static int raw_io(u64 off, void *buf, u32 len, blk_opf_t opf)
{
	struct bio *bio = bio_alloc(bdev, 1, opf, GFP_KERNEL);
	int ret;

	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	if (bio_add_page(bio, virt_to_page(buf), len, offset_in_page(buf)) !=
	    len) {
		bio_put(bio);
		return -EIO;
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static u8 pattern(raft_index index, u32 i)
{
	return (u8)(index * 131 + i * 7 + (i >> 9));
}

static struct raft_payload *data_payload(raft_index index, u64 sector,
					 u32 len)
{
	struct raft_payload *p = raftblk_payload_alloc(len);
	u8 *tmp;
	u32 i;

	if (!p)
		return NULL;
	tmp = kvmalloc(len, GFP_KERNEL);
	if (!tmp) {
		raftblk_payload_put(p);
		return NULL;
	}
	for (i = 0; i < len; i++)
		tmp[i] = pattern(index, i);
	raftblk_payload_copy_in(p, 0, tmp, len);
	kvfree(tmp);
	p->sector = sector;
	return p;
}

static bool payload_ok(const struct raft_payload *p, raft_index index)
{
	u8 *tmp = kvmalloc(p->len, GFP_KERNEL);
	bool ok = true;
	u32 i;

	if (!tmp || raftblk_payload_copy_out(p, 0, tmp, p->len))
		ok = false;
	for (i = 0; ok && i < p->len; i++)
		if (tmp[i] != pattern(index, i))
			ok = false;
	kvfree(tmp);
	return ok;
}

/* The model: what the store must hold (entries by index). */
#define MAX_ENTS 512
struct ment {
	raft_term term;
	u8 type;
	u32 len;	/* data bytes (0: none) */
	u64 sector;
	u32 flags;
};

static struct ment model[MAX_ENTS + 1];
static raft_index m_last, m_snap;

/* Append entries [from, from + n) of the given shape. */
static int do_append(struct rb_store *s, raft_index from, u32 n,
		     raft_term term, u32 len, u8 type)
{
	struct raft_entry *e;
	u32 i;
	int ret = 0;

	if (from + n > MAX_ENTS)
		return -E2BIG;
	e = kcalloc(n, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		raft_index idx = from + i;

		e[i].index = idx;
		e[i].term = term;
		e[i].type = type;
		if (type == RAFT_ENTRY_CONF) {
			e[i].cc.op = RAFT_CONF_ADD_LEARNER;
			e[i].cc.id = 100 + idx;
			snprintf((char *)e[i].cc.addr, RAFT_ADDR_LEN, "10.0.0.%llu:7789",
				 (unsigned long long)idx % 250);
		}
		if (type == RAFT_ENTRY_NORMAL && len) {
			e[i].payload = data_payload(idx, idx * 8, len);
			if (!e[i].payload)
				ret = -ENOMEM;
		}
	}
	if (!ret)
		ret = rb_store_append(s, e, n);
	if (!ret) {
		for (i = 0; i < n; i++) {
			model[from + i] = (struct ment){ term, type,
				(type == RAFT_ENTRY_NORMAL) ? len : 0,
				(from + i) * 8, 0 };
		}
		m_last = from + n - 1;
	}
	for (i = 0; i < n; i++)
		raftblk_payload_put(e[i].payload);
	kfree(e);
	return ret;
}

/* Reopen and compare what is recovered with the model. */
static bool reopen_check(struct rb_store **s, const char *what,
			 struct raft_restore *out_r)
{
	struct raftblk_err err = {};
	struct raft_restore r;
	bool ok = true;
	u32 i;
	int ret;

	rb_store_close(*s);
	*s = NULL;
	ret = rb_store_open(bdev, 1, s, &err);
	if (ret) {
		pr_info("# %s: open failed %d (%s)\n", what, ret,
			err.msg ? err.msg : "-");
		return false;
	}
	rb_store_restore(*s, &r);
	if (r.snap.index != m_snap || r.n_entries != m_last - m_snap) {
		pr_info("# %s: recovered snap %llu + %u entries, want %llu + %llu\n",
			what, (unsigned long long)r.snap.index, r.n_entries,
			(unsigned long long)m_snap,
			(unsigned long long)(m_last - m_snap));
		ok = false;
	}
	for (i = 0; ok && i < r.n_entries; i++) {
		const struct raft_entry *e = &r.entries[i];
		const struct ment *m = &model[m_snap + 1 + i];

		if (e->index != m_snap + 1 + i || e->term != m->term ||
		    e->type != m->type ||
		    (m->len && (!e->payload || e->payload->len != m->len ||
				e->payload->sector != m->sector ||
				!payload_ok(e->payload, e->index))) ||
		    (!m->len && e->payload)) {
			pr_info("# %s: entry %llu differs\n", what,
				(unsigned long long)e->index);
			ok = false;
		}
	}
	if (out_r)
		*out_r = r;
	else
		rb_store_restore_free(&r);
	return ok;
}

/* Find the record of index on the disk (raw scan of the log area). */
static int find_record(const struct raftblk_sb *sb, raft_index index,
		       u64 *off)
{
	const struct raftblk_rec_ctx ctx = {
		.log_size = sb->log_size, .data_size = sb->data_size,
		.nonce = sb->log_nonce, .rec_block = sb->rec_block,
	};
	struct raftblk_rec r;
	u64 o, best = 0;
	int ret = -ENOENT;

	/* The live record of an index is the one written last: the highest
	 * epoch among the records of that index.
	 */
	for (o = 0; o < sb->log_size; o += sb->rec_block) {
		if (raw_io(sb->log_off + o, blk, sb->rec_block, REQ_OP_READ))
			return -EIO;
		if (!raftblk_rec_decode(blk, sb->rec_block, &ctx, &r,
					NULL) && r.index == index &&
		    r.type != RAFTBLK_REC_WRAP && (ret || r.epoch > best)) {
			best = r.epoch;
			*off = sb->log_off + o;
			ret = 0;
		}
	}
	return ret;
}

static int current_sb(struct raftblk_sb *sb, u32 *slot)
{
	int ret = raw_io(0, blk, RAFTBLK_SB_AREA, REQ_OP_READ);

	if (ret)
		return ret;
	return raftblk_sb_pick(blk, RAFTBLK_SB_AREA, 0, sb, slot, NULL);
}

/*
 * One append whose first record ends exactly at the end of the ring and
 * whose second one therefore starts the next lap at ring offset 0: the
 * second must land there, not past the log area (where the data area
 * begins). Found by the power-cut test: records written beyond the ring
 * were missing from the log and overwrote the first blocks of the data.
 */
static void test_append_across_ring_end(struct rb_store **sp)
{
	static struct raftblk_sb sb;
	struct raft_entry e[2] = {};
	u64 off, end, left;
	u32 slot, i;
	u8 *before;
	bool same;
	int ret;

	before = kmalloc(2 * RAFTBLK_OD_BLOCK, GFP_KERNEL);
	if (!rbst_tap(before, "ring end: scratch buffer"))
		return;
	/* An empty ring starting where the last record ended. */
	ret = rb_store_compact(*sp, m_last);
	if (!ret)
		m_snap = m_last;
	if (!ret)
		ret = current_sb(&sb, &slot);
	if (!ret)
		ret = find_record(&sb, m_last, &off);
	if (!rbst_tap(!ret, "ring end: compacted and found the last record (%d)", ret))
		goto out;
	end = (off - sb.log_off +
	       raftblk_rec_len(sb.rec_block, model[m_last].len)) %
		sb.log_size;
	left = sb.log_size - end;
	/* 1 MiB records until what is left fits one record. */
	while (!ret && left > RAFTBLK_PL_MAX_DATA + sb.rec_block) {
		ret = do_append(*sp, m_last + 1, 1, 4, RAFTBLK_PL_MAX_DATA,
				RAFT_ENTRY_NORMAL);
		left -= raftblk_rec_len(sb.rec_block, RAFTBLK_PL_MAX_DATA);
	}
	if (!ret)
		ret = raw_io(sb.data_off, blk, 2 * RAFTBLK_OD_BLOCK, REQ_OP_READ);
	if (!rbst_tap(!ret, "ring end: filled up to %llu bytes before the end (%d)",
		      (unsigned long long)left, ret))
		goto out;
	memcpy(before, blk, 2 * RAFTBLK_OD_BLOCK);

	for (i = 0; i < 2; i++) {
		/* the first exactly fills the ring, the second wraps */
		u32 len = i ? 2 * RAFTBLK_OD_BLOCK : left - sb.rec_block;
		raft_index idx = m_last + 1 + i;

		e[i].index = idx;
		e[i].term = 4;
		e[i].type = len ? RAFT_ENTRY_NORMAL : RAFT_ENTRY_NOOP;
		if (len) {
			e[i].payload = data_payload(idx, idx * 8, len);
			if (!e[i].payload)
				ret = -ENOMEM;
		}
		model[idx] = (struct ment){ 4, e[i].type, len, idx * 8, 0 };
	}
	if (!ret)
		ret = rb_store_append(*sp, e, 2);
	for (i = 0; i < 2; i++)
		raftblk_payload_put(e[i].payload);
	if (!ret)
		m_last += 2;
	rbst_tap(!ret, "ring end: one append of a record ending at the end of the ring and one after it (%d)",
		 ret);
	ret = raw_io(sb.data_off, blk, 2 * RAFTBLK_OD_BLOCK, REQ_OP_READ);
	same = !ret && !memcmp(before, blk, 2 * RAFTBLK_OD_BLOCK);
	rbst_tap(same, "ring end: the data area is untouched by the log append");
	rbst_tap(reopen_check(sp, "ring-end", NULL),
		 "ring end: reopen recovers both records (the second at the start of the ring)");
out:
	kfree(before);
}

/* The payload helpers the store and the transport rely on. */
static void test_payloads(void)
{
	const u32 len = 3 * PAGE_SIZE + 1024;
	struct raft_payload *p, *q;
	struct iov_iter it;
	u8 *a, *b;
	bool same = true;
	u32 i;

	rbst_tap(!raftblk_payload_alloc(0) && !raftblk_payload_alloc(511) &&
	    !raftblk_payload_alloc(RAFTBLK_PL_MAX_DATA + 512) &&
	    !raftblk_payload_alloc_nodata(0, 4096, RAFTBLK_PL_FUA) &&
	    !raftblk_payload_alloc_nodata(0, 4096, RAFTBLK_PL_NODATA),
	    "payload: bad sizes and flags refused");
	a = kmalloc(len, GFP_KERNEL);
	b = kzalloc(len, GFP_KERNEL);
	p = raftblk_payload_alloc(len);
	if (!a || !b || !p) {
		rbst_tap(false, "payload: allocation");
		goto out;
	}
	for (i = 0; i < len; i++)
		a[i] = pattern(7, i);
	rbst_tap(p->nr_pages == 4 && raftblk_payload_data_len(p) == len &&
	    raft_payload_len(p) == len, "payload: %u bytes in 4 pages", len);
	/* in and out in pieces that straddle page boundaries */
	raftblk_payload_copy_in(p, 0, a, 4000);
	raftblk_payload_copy_in(p, 4000, a + 4000, len - 4000);
	raftblk_payload_copy_out(p, 5000, b + 5000, len - 5000);
	raftblk_payload_copy_out(p, 0, b, 5000);
	rbst_tap(!memcmp(a, b, len), "payload: copy in/out across pages");
	rbst_tap(raftblk_payload_copy_in(p, len - 10, a, 11) == -EINVAL &&
	    raftblk_payload_copy_out(p, len + 1, b, 0) == -EINVAL,
	    "payload: copies outside the data refused");
	memset(b, 0, len);
	if (!raftblk_payload_iter(p, ITER_SOURCE, 4090, 9000, &it) &&
	    iov_iter_count(&it) == 9000)
		same = copy_from_iter(b, 9000, &it) == 9000 &&
			!memcmp(b, a + 4090, 9000);
	else
		same = false;
	rbst_tap(same && raftblk_payload_iter(p, ITER_SOURCE, 100, len, &it) ==
	    -EINVAL, "payload: iov_iter over a sub-range");
	rbst_tap(!p->data_crc_known &&
	    raftblk_payload_crc(p) == raftblk_crc32c(a, len) &&
	    p->data_crc_known && raftblk_payload_crc(p) == raftblk_crc32c(a, len),
	    "payload: crc32c of the data, computed once and kept");
	q = raftblk_payload_alloc(RAFTBLK_PL_MAX_DATA);
	same = q && q->nr_pages == RAFTBLK_PL_MAX_DATA / PAGE_SIZE;
	for (i = 0; same && i < q->nr_pages; i++)
		same = q->pages[i] && q->bvec[i].bv_page == q->pages[i] &&
			q->bvec[i].bv_len == PAGE_SIZE && !q->bvec[i].bv_offset;
	rbst_tap(same, "payload: 1 MiB in 256 single pages (taken in blocks, split)");
	if (q)
		raftblk_payload_put(q);	/* every page freed on its own */
	q = raftblk_payload_alloc_nodata(8, 1 << 20, RAFTBLK_PL_DISCARD);
	rbst_tap(q && raft_payload_len(q) == 0 && !raftblk_payload_has_data(q) &&
	    q->len == 1 << 20, "payload: discard carries no data");
	raft_payload_get(p);
	raft_payload_put(p);
	rbst_tap(refcount_read(&p->ref) == 1, "payload: get/put balance");
	raftblk_payload_put(q);
out:
	raftblk_payload_put(p);
	kfree(a);
	kfree(b);
}

/* Fill every byte of the payload's pages, past len too, with c. */
static void fill_pages(struct raft_payload *p, int c)
{
	u32 i;

	for (i = 0; i < p->nr_pages; i++)
		memset_page(p->pages[i], 0, c, PAGE_SIZE);
}

/* Whether p's pages are the n pages of pg[], in any order. */
static bool same_pages(const struct raft_payload *p, struct page **pg, u32 n)
{
	u32 i, j, found = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < p->nr_pages; j++)
			if (p->pages[j] == pg[i]) {
				found++;
				break;
			}
	return p->nr_pages == n && found == n;
}

/*
 * The payload page pool (payload.c): freed pages come back to the next
 * payload, only pages no one else holds are pooled, the bytes past len
 * are zero in a reused page, and the pool keeps no more than its cap.
 */
static void test_payload_pool(void)
{
	const u32 len = 3 * PAGE_SIZE + 1024, tail = 512;
	struct raftblk_payload_pool_stats s0, s1, s2;
	struct raft_payload *p, *q, **many = NULL;
	struct page *pg[4], *held;
	u32 i, n, nz = 0;
	bool ok;

	raftblk_payload_pool_drain();
	raftblk_payload_pool_stats(&s0);
	p = raftblk_payload_alloc(len);
	if (!p) {
		rbst_tap(false, "pool: allocation");
		return;
	}
	memcpy(pg, p->pages, sizeof(pg));
	fill_pages(p, 0xa5);
	raftblk_payload_put(p);
	raftblk_payload_pool_stats(&s1);
	q = raftblk_payload_alloc(len);
	raftblk_payload_pool_stats(&s2);
	rbst_tap(!s0.pages && s1.pages == 4 && q && same_pages(q, pg, 4) &&
	    s2.reused == s1.reused + 4 && s2.fresh == s1.fresh && !s2.pages,
	    "pool: a freed payload's 4 pages are the next one's (reused %llu -> %llu, fresh %llu -> %llu)",
	    s1.reused, s2.reused, s1.fresh, s2.fresh);
	/* q's last page held 0xa5 up to its end: the tail is zero again */
	if (q) {
		u8 *va = kmap_local_page(q->pages[3]);

		for (i = offset_in_page(len); i < PAGE_SIZE; i++)
			nz += va[i] != 0;
		kunmap_local(va);
		fill_pages(q, 0x5a);
		raftblk_payload_put(q);
	}
	p = raftblk_payload_alloc(PAGE_SIZE + tail);
	if (p) {
		u8 *va = kmap_local_page(p->pages[1]);

		for (i = tail; i < PAGE_SIZE; i++)
			nz += va[i] != 0;
		kunmap_local(va);
	}
	raftblk_payload_pool_stats(&s1);
	rbst_tap(q && p && !nz && s1.reused >= s2.reused + 2,
	    "pool: the bytes past len in a reused last page are zero (%u not)",
	    nz);
	if (p)
		raftblk_payload_put(p);

	/* another reference (TCP's zero-copy send): put, never pooled */
	raftblk_payload_pool_drain();
	p = raftblk_payload_alloc(PAGE_SIZE);
	held = p ? p->pages[0] : NULL;
	if (held)
		get_page(held);
	raftblk_payload_pool_stats(&s0);
	if (p)
		raftblk_payload_put(p);
	raftblk_payload_pool_stats(&s1);
	ok = held && !s1.pages && s1.busy == s0.busy + 1 &&
		page_ref_count(held) == 1;
	rbst_tap(ok, "pool: a page referenced elsewhere is not pooled (pool %llu, busy +%llu, refs %d)",
	    s1.pages, s1.busy - s0.busy, held ? page_ref_count(held) : -1);
	if (held && page_ref_count(held) == 1)
		put_page(held);	/* else leaked: the test failed */

	/* the cap: one more MiB than it freed, the pool keeps the cap */
	raftblk_payload_pool_drain();
	raftblk_payload_pool_stats(&s0);
	n = s0.cap / (RAFTBLK_PL_MAX_DATA / PAGE_SIZE) + 1;
	many = kvcalloc(n, sizeof(*many), GFP_KERNEL);
	for (i = 0; many && i < n; i++) {
		many[i] = raftblk_payload_alloc(RAFTBLK_PL_MAX_DATA);
		if (!many[i])
			break;
	}
	ok = many && i == n;
	for (i = 0; many && i < n && many[i]; i++)
		raftblk_payload_put(many[i]);
	kvfree(many);
	raftblk_payload_pool_stats(&s1);
	raftblk_payload_pool_drain();
	raftblk_payload_pool_stats(&s2);
	rbst_tap(ok && s0.cap && s1.pages == s0.cap &&
	    s1.full - s0.full == (u64)n * (RAFTBLK_PL_MAX_DATA / PAGE_SIZE) -
	    s0.cap && !s2.pages && s2.shrunk - s1.shrunk == s0.cap,
	    "pool: keeps its cap (%llu pages) of %u MiB freed, the rest put; drained",
	    s0.cap, n);
}

/* Close and open again: what a power cut leaves (close writes nothing). */
static int reopen(struct rb_store **s, struct raft_restore *r)
{
	struct raftblk_err err = {};
	int ret;

	rb_store_close(*s);
	*s = NULL;
	ret = rb_store_open(bdev, 1, s, &err);
	if (ret) {
		pr_info("# reopen failed %d (%s)\n", ret, err.msg ? err.msg : "-");
		return ret;
	}
	rb_store_restore(*s, r);
	return 0;
}

/*
 * Resync support in the store: the extent map is durable once a
 * compaction passed the writes it notes, and the resyncing mark found on
 * open drops the log back to index 0 until a copy is installed.
 */
static void test_resync_store(struct rb_store **sp, const u8 *addr)
{
	static struct raft_snapshot_meta meta;
	static struct raft_restore r;
	struct raft_entry e[2] = {};
	struct rb_emap *m;
	raft_index i1 = m_last + 1, i2 = m_last + 2;
	raft_index base = 0;
	u64 xb;
	u32 last, done;
	int ret;

	m = rb_store_emap(*sp);
	xb = rb_emap_extent_bytes(m);
	last = rb_emap_count(m) - 1;
	/* Two writes (extents 3 and 5), in the log and applied. */
	ret = do_append(*sp, i1, 2, 5, 0, RAFT_ENTRY_NOOP);
	e[0].index = i1;
	e[0].term = 5;
	e[0].type = RAFT_ENTRY_NORMAL;
	e[0].payload = data_payload(i1, 3 * xb >> SECTOR_SHIFT, 8192);
	e[1] = e[0];
	e[1].index = i2;
	e[1].payload = data_payload(i2, (5 * xb + 4096) >> SECTOR_SHIFT, 4096);
	if (!ret && e[0].payload && e[1].payload)
		ret = rb_store_apply_many(*sp, e, 2, &done);
	rbst_tap(!ret && rb_emap_get(m, 3) == i1 && rb_emap_get(m, 5) == i2,
	    "extent map: applies note their index (%d)", ret);
	raftblk_payload_put(e[0].payload);
	raftblk_payload_put(e[1].payload);
	ret = rb_store_compact(*sp, i2);
	m_snap = i2;
	if (!ret)
		ret = reopen(sp, &r);
	if (!rbst_tap(!ret, "compact past the writes, reopen (%d)", ret))
		return;
	rb_store_restore_free(&r);
	m = rb_store_emap(*sp);
	rbst_tap(rb_emap_loaded(m) && rb_emap_get(m, 3) == i1 &&
	    rb_emap_get(m, 5) == i2 && rb_emap_get(m, last) == 0,
	    "extent map durable across a power cut: extent 3 at %llu, 5 at %llu, last at 0 (got %llu %llu %llu)",
	    (unsigned long long)i1, (unsigned long long)i2,
	    (unsigned long long)rb_emap_get(m, 3),
	    (unsigned long long)rb_emap_get(m, 5),
	    (unsigned long long)rb_emap_get(m, last));
	rbst_tap(rb_emap_bytes_above(m, i1) == xb &&
	    rb_emap_next_above(m, 0, i1) == 5 &&
	    rb_emap_next_above(m, 6, i1) == rb_emap_count(m),
	    "extent map: extents above a base index");

	/* The resyncing mark. */
	ret = rb_store_set_resyncing(*sp, i1);
	rbst_tap(!ret && rb_store_resyncing(*sp, &base) && base == i1,
	    "resyncing mark set with base %llu (%d)", (unsigned long long)i1,
	    ret);
	ret = reopen(sp, &r);
	base = 0;
	rbst_tap(!ret && rb_store_resyncing(*sp, &base) && base == i1 &&
	    r.snap.index == i2 && r.hs.term == 5,
	    "mark and base found on open, the log's end kept (snap %llu, %u entries, term %llu, base %llu)",
	    (unsigned long long)r.snap.index, r.n_entries,
	    (unsigned long long)r.hs.term, (unsigned long long)base);
	rb_store_restore_free(&r);
	ret = reopen(sp, &r);
	rbst_tap(!ret && rb_store_resyncing(*sp, NULL),
	    "mark still there on the next open");
	rb_store_restore_free(&r);

	/* A copy installed: the mark is cleared with the new point. */
	meta.index = i2 + 50;
	meta.term = 5;
	raft_bootstrap_conf(&meta.conf, 1, addr);
	rb_emap_note_all(rb_store_emap(*sp), meta.index);
	ret = rb_store_install_snapshot(*sp, &meta);
	if (!ret)
		ret = reopen(sp, &r);
	rbst_tap(!ret && !rb_store_resyncing(*sp, NULL) &&
	    r.snap.index == meta.index && r.n_entries == 0 &&
	    rb_emap_get(rb_store_emap(*sp), last) == meta.index,
	    "install clears the mark; the map says every extent copied at %llu",
	    (unsigned long long)meta.index);
	rb_store_restore_free(&r);
	m_snap = meta.index;
	m_last = meta.index;
}

static void run(void)
{
	/* static: too big for the kernel stack together */
	static struct raftblk_sb sb;
	static struct raft_restore r;
	static struct raft_conf conf;
	struct raftblk_err err = {};
	struct rb_store *s = NULL;
	struct raft_hard_state hs;
	u8 uuid[RAFTBLK_UUID_LEN] = "store-test-uuid";
	u8 addr[RAFT_ADDR_LEN] = "10.0.0.1:7789";
	u64 used, size, off;
	u32 slot, i, n;
	bool ok;
	int ret;

	/* A disk that was never formatted. */
	memset(blk, 0, RAFTBLK_SB_AREA);
	raw_io(0, blk, RAFTBLK_SB_AREA, REQ_OP_WRITE);
	ret = rb_store_open(bdev, 1, &s, &err);
	rbst_tap(ret == -ENODATA, "open of an unformatted disk: -ENODATA (%d, %s)",
	    ret, err.msg ? err.msg : "-");

	raft_bootstrap_conf(&conf, 1, addr);
	ret = rb_store_format(bdev, uuid, 1, &conf, &s, &err);
	if (!rbst_tap(!ret, "format (%d)", ret))
		return;
	rb_store_restore(s, &r);
	rbst_tap(r.hs.term == 0 && r.snap.index == 0 && r.n_entries == 0 &&
	    r.snap.conf.n == 1 && r.snap.conf.nodes[0].id == 1 &&
	    r.snap.conf.nodes[0].role == RAFT_VOTER,
	    "formatted store restores the bootstrap state");
	rb_store_restore_free(&r);

	rb_store_close(s);
	s = NULL;
	ret = rb_store_open(bdev, 2, &s, &err);
	rbst_tap(ret == -EINVAL && !s, "open as another node id refused (%d, %s)",
	    ret, err.msg ? err.msg : "-");
	m_last = 0;
	m_snap = 0;
	if (!rbst_tap(reopen_check(&s, "fresh", NULL), "reopen of a fresh format"))
		return;

	/* Entries of every kind, data up to 1 MiB. */
	ret = do_append(s, 1, 1, 1, 0, RAFT_ENTRY_NOOP);
	if (!ret)
		ret = do_append(s, 2, 4, 1, 4096, RAFT_ENTRY_NORMAL);
	if (!ret)
		ret = do_append(s, 6, 1, 1, 0, RAFT_ENTRY_CONF);
	if (!ret)
		ret = do_append(s, 7, 3, 1, 512, RAFT_ENTRY_NORMAL);
	if (!ret)
		ret = do_append(s, 10, 1, 1, RAFTBLK_PL_MAX_DATA,
				RAFT_ENTRY_NORMAL);
	if (!ret)
		ret = do_append(s, 11, 2, 1, 0, RAFT_ENTRY_BARRIER);
	rbst_tap(!ret, "append 12 entries of every type (%d)", ret);
	hs = (struct raft_hard_state){ .term = 1, .vote = 1, .commit = 8 };
	ret = rb_store_save_hard_state(s, &hs);
	rbst_tap(!ret, "save hard state (%d)", ret);
	rbst_tap(reopen_check(&s, "append", &r) && r.hs.term == 1 &&
	    r.hs.vote == 1 && r.hs.commit == 8,
	    "reopen recovers every entry, payload and the hard state");
	rb_store_restore_free(&r);

	/* A conflicting suffix replaced by a new leader's entries. */
	ret = do_append(s, 9, 2, 2, 8192, RAFT_ENTRY_NORMAL);
	rbst_tap(!ret && m_last == 10, "truncate after 8 and append 2 (%d)", ret);
	rbst_tap(reopen_check(&s, "truncate", NULL),
	    "reopen: the replaced suffix is gone (old 11, 12 not read back)");

	/* Torn tail: the data of the last record damaged on the disk. */
	ret = do_append(s, 11, 1, 2, 16384, RAFT_ENTRY_NORMAL);
	if (!ret)
		ret = current_sb(&sb, &slot);
	if (!ret)
		ret = find_record(&sb, 11, &off);
	if (!ret)
		ret = raw_io(off + sb.rec_block + 8192, blk, 4096,
			     REQ_OP_READ);
	if (!ret) {
		((u8 *)blk)[100] ^= 0x01;
		ret = raw_io(off + sb.rec_block + 8192, blk, 4096,
			     REQ_OP_WRITE);
	}
	rbst_tap(!ret, "corrupt one bit of the last record's data (%d)", ret);
	m_last = 10;
	rbst_tap(reopen_check(&s, "torn", NULL),
	    "reopen: torn last record dropped, log ends at 10");
	ret = do_append(s, 11, 2, 2, 4096, RAFT_ENTRY_NORMAL);
	rbst_tap(!ret && reopen_check(&s, "after-torn", NULL),
	    "append after the torn tail and reopen");

	/* Torn header of the last record. */
	ret = current_sb(&sb, &slot);
	if (!ret)
		ret = find_record(&sb, 12, &off);
	if (!ret)
		ret = raw_io(off, blk, 4096, REQ_OP_READ);
	if (!ret) {
		memset((u8 *)blk + 2048, 0x5a, 512);	/* one torn sector */
		ret = raw_io(off, blk, 4096, REQ_OP_WRITE);
	}
	m_last = 11;
	rbst_tap(!ret && reopen_check(&s, "torn-hdr", NULL),
	    "reopen: record with a torn header dropped");

	/* Torn superblock update: the current slot damaged. */
	hs = (struct raft_hard_state){ .term = 3, .vote = 2, .commit = 9 };
	ret = rb_store_save_hard_state(s, &hs);
	hs.term = 4;
	hs.vote = 0;
	if (!ret)
		ret = rb_store_save_hard_state(s, &hs);
	if (!ret)
		ret = current_sb(&sb, &slot);
	if (!ret) {
		raw_io((u64)slot * RAFTBLK_SB_SIZE, blk, 4096, REQ_OP_READ);
		/* the sector holding term and vote half-written */
		memset((u8 *)blk + 40, 0xa5, 512 - 40);
		ret = raw_io((u64)slot * RAFTBLK_SB_SIZE, blk, 4096,
			     REQ_OP_WRITE);
	}
	memset(&r, 0, sizeof(r));
	ok = !ret && reopen_check(&s, "torn-sb", &r) && r.hs.term == 3 &&
		r.hs.vote == 2;
	rbst_tap(ok, "torn superblock: the previous one is in force (term %llu vote %llu)",
	    (unsigned long long)r.hs.term, (unsigned long long)r.hs.vote);
	rb_store_restore_free(&r);

	/* A committed entry is never replaced. */
	ret = do_append(s, 5, 1, 9, 0, RAFT_ENTRY_NOOP);
	rbst_tap(ret == -EINVAL, "truncating a committed entry refused (%d)", ret);
	rbst_tap(reopen_check(&s, "no-truncate", NULL),
	    "the log is unchanged after the refusal");

	/* Apply to the data area and read it back raw. */
	{
		struct raft_entry e = { .index = 50, .term = 4,
					.type = RAFT_ENTRY_NORMAL };
		sector_t ds = rb_store_data_sector(s);
		bool same = true;

		e.payload = data_payload(50, 64, 8192);
		ret = e.payload ? rb_store_apply(s, &e) : -ENOMEM;
		raftblk_payload_put(e.payload);
		if (!ret)
			ret = raw_io((u64)(ds + 64) << SECTOR_SHIFT, blk, 8192,
				     REQ_OP_READ);
		for (i = 0; !ret && i < 8192; i++)
			if (((u8 *)blk)[i] != pattern(50, i))
				same = false;
		rbst_tap(!ret && same, "apply writes the payload at data area + sector");
		/* Read back through the store (data_area.c owns reads). */
		e.payload = raftblk_payload_alloc(8192);
		ret = e.payload ? rb_store_read_data(s, 64 << SECTOR_SHIFT,
						     e.payload) : -ENOMEM;
		if (!ret)
			ret = raftblk_payload_copy_out(e.payload, 0, blk, 8192);
		same = !ret;
		for (i = 0; same && i < 8192; i++)
			if (((u8 *)blk)[i] != pattern(50, i))
				same = false;
		rbst_tap(same, "rb_store_read_data reads the data area at its offset (%d)",
			 ret);
		ret = e.payload ? rb_store_read_data(s,
			((u64)rb_store_data_sectors(s) << SECTOR_SHIFT) - 4096,
			e.payload) : -ENOMEM;
		raftblk_payload_put(e.payload);
		rbst_tap(ret == -EINVAL, "rb_store_read_data beyond the data area refused (%d)",
			 ret);
		e.payload = raftblk_payload_alloc_nodata(64, 4096,
							 RAFTBLK_PL_DISCARD);
		ret = e.payload ? rb_store_apply(s, &e) : -ENOMEM;
		raftblk_payload_put(e.payload);
		if (!ret)
			ret = raw_io((u64)(ds + 64) << SECTOR_SHIFT, blk, 8192,
				     REQ_OP_READ);
		same = !ret && !memchr_inv(blk, 0, 4096) &&
			((u8 *)blk)[4096] == pattern(50, 4096);
		rbst_tap(same, "apply of a discard zeroes exactly its range");
		e.payload = raftblk_payload_alloc_nodata(
			rb_store_data_sectors(s) - 7, 4096, RAFTBLK_PL_WRITE_ZEROES);
		ret = e.payload ? rb_store_apply(s, &e) : -ENOMEM;
		raftblk_payload_put(e.payload);
		rbst_tap(ret == -EINVAL, "apply beyond the data area refused (%d)", ret);
	}

	/* A batch applied with its writes in flight together, in order. */
	{
		static struct raft_entry e[6];
		sector_t ds = rb_store_data_sector(s);
		u32 done = 0;
		bool same = true;

		memset(e, 0, sizeof(e));
		for (i = 0; i < 6; i++) {
			e[i].index = 60 + i;
			e[i].term = 4;
			e[i].type = RAFT_ENTRY_NORMAL;
		}
		e[0].payload = data_payload(60, 200, 8192);
		e[1].payload = data_payload(61, 208, 4096);	/* over e0 */
		e[2].type = RAFT_ENTRY_NOOP;
		e[3].payload = data_payload(63, 300, 4096);
		e[4].payload = raftblk_payload_alloc_nodata(300, 4096,
							    RAFTBLK_PL_DISCARD);
		e[5].payload = data_payload(65, 400, 4096);
		ret = -ENOMEM;
		if (e[0].payload && e[1].payload && e[3].payload &&
		    e[4].payload && e[5].payload)
			ret = rb_store_apply_many(s, e, 6, &done);
		if (!ret)
			ret = raw_io((u64)(ds + 200) << SECTOR_SHIFT, blk, 8192,
				     REQ_OP_READ);
		for (i = 0; !ret && i < 4096; i++)
			if (((u8 *)blk)[i] != pattern(60, i) ||
			    ((u8 *)blk)[4096 + i] != pattern(61, i))
				same = false;
		if (!ret)
			ret = raw_io((u64)(ds + 300) << SECTOR_SHIFT, blk, 4096,
				     REQ_OP_READ);
		if (!ret && memchr_inv(blk, 0, 4096))
			same = false;
		if (!ret)
			ret = raw_io((u64)(ds + 400) << SECTOR_SHIFT, blk, 4096,
				     REQ_OP_READ);
		for (i = 0; !ret && i < 4096; i++)
			if (((u8 *)blk)[i] != pattern(65, i))
				same = false;
		rbst_tap(!ret && same && done == 6,
		    "apply_many: overlapping writes and a discard land in order (%d, %u done)",
		    ret, done);
		e[2].type = RAFT_ENTRY_NORMAL;
		e[2].payload = raftblk_payload_alloc_nodata(
			rb_store_data_sectors(s), 4096, RAFTBLK_PL_WRITE_ZEROES);
		ret = rb_store_apply_many(s, e, 6, &done);
		rbst_tap(ret == -EINVAL && done <= 2,
		    "apply_many: stops at an entry beyond the data area (%d, %u done)",
		    ret, done);
		for (i = 0; i < 6; i++)
			raftblk_payload_put(e[i].payload);
	}

	/* Fill the ring: -ENOSPC, nothing lost. */
	n = 0;
	do {
		ret = do_append(s, m_last + 1, 1, 4, RAFTBLK_PL_MAX_DATA,
				RAFT_ENTRY_NORMAL);
		if (!ret)
			n++;
	} while (!ret && n < 1000);
	rb_store_usage(s, &used, &size);
	rbst_tap(ret == -ENOSPC && n > 4 && used <= size,
	    "full ring refuses the append: -ENOSPC after %u x 1 MiB (%llu of %llu bytes used)",
	    n, (unsigned long long)used, (unsigned long long)size);
	rbst_tap(reopen_check(&s, "full", NULL), "reopen of a full ring recovers every entry");

	/* Compact and go round the ring a few times (wrap markers). */
	for (i = 0; i < 3 * n; i++) {
		ret = do_append(s, m_last + 1, 1, 4, RAFTBLK_PL_MAX_DATA - 4096 * (i % 3),
				RAFT_ENTRY_NORMAL);
		if (ret == -ENOSPC) {
			ret = rb_store_compact(s, m_last - 2);
			if (ret)
				break;
			m_snap = m_last - 2;
			ret = do_append(s, m_last + 1, 1, 4,
					RAFTBLK_PL_MAX_DATA - 4096 * (i % 3),
					RAFT_ENTRY_NORMAL);
		}
		if (ret)
			break;
	}
	rbst_tap(!ret, "%u appends with compaction around the ring (%d)", i, ret);
	rbst_tap(reopen_check(&s, "wrapped", &r) && r.snap.index == m_snap &&
	    r.snap.term == model[m_snap].term && r.snap.conf.n == 2 &&
	    r.snap.conf.nodes[1].id == 106 &&
	    r.snap.conf.nodes[1].role == RAFT_LEARNER,
	    "reopen after wrapping: compaction point %llu with the membership of entry 6",
	    (unsigned long long)m_snap);
	rb_store_restore_free(&r);
	test_append_across_ring_end(&s);

	/* Appending below the compaction point is refused. */
	ret = do_append(s, m_snap, 1, 5, 0, RAFT_ENTRY_NOOP);
	rbst_tap(ret == -EINVAL, "append at a compacted index refused (%d)", ret);
	ret = do_append(s, m_last + 2, 1, 5, 0, RAFT_ENTRY_NOOP);
	rbst_tap(ret == -EINVAL, "append with a gap refused (%d)", ret);

	/* Commit-only hard state changes cost no superblock write. */
	{
		static struct raftblk_sb before;	/* ~1.4 KiB: not on the stack */
		u32 bslot;

		ret = current_sb(&before, &bslot);
		hs = (struct raft_hard_state){ .term = 4, .vote = 0,
					       .commit = m_last };
		if (!ret)
			ret = rb_store_save_hard_state(s, &hs);
		if (!ret)
			ret = current_sb(&sb, &slot);
		rbst_tap(!ret && sb.seq == before.seq,
		    "commit-only hard state change: no superblock write (%d)", ret);
		hs.term = 5;
		ret = rb_store_save_hard_state(s, &hs);
		if (!ret)
			ret = current_sb(&sb, &slot);
		rbst_tap(!ret && sb.seq == before.seq + 1 && sb.hs.term == 5 &&
		    sb.hs.commit == m_last,
		    "term change writes the superblock, with the latest commit");
	}

	/* A snapshot from the leader replaces the whole log. */
	{
		static struct raft_snapshot_meta meta;

		meta.index = m_last + 100;
		meta.term = 5;
		raft_bootstrap_conf(&meta.conf, 1, addr);
		ret = rb_store_install_snapshot(s, &meta);
		m_snap = meta.index;
		m_last = meta.index;
		model[m_last].term = 5;
		rbst_tap(!ret, "install a snapshot at %llu (%d)",
		    (unsigned long long)meta.index, ret);
		ret = do_append(s, m_last + 1, 2, 5, 4096, RAFT_ENTRY_NORMAL);
		ok = !ret && reopen_check(&s, "snapshot", &r) &&
			r.snap.index == meta.index && r.snap.term == 5 &&
			r.snap.conf.n == 1;
		rbst_tap(ok, "reopen after the snapshot: log restarts after it");
		rb_store_restore_free(&r);
	}

	test_resync_store(&s, addr);

	/* Bad superblocks refused with a reason. */
	rb_store_close(s);
	s = NULL;
	raw_io(0, blk, RAFTBLK_SB_AREA, REQ_OP_READ);
	memset((u8 *)blk + 100, 0xff, 8);
	memset((u8 *)blk + RAFTBLK_SB_SIZE + 100, 0xff, 8);
	raw_io(0, blk, RAFTBLK_SB_AREA, REQ_OP_WRITE);
	ret = rb_store_open(bdev, 1, &s, &err);
	rbst_tap(ret == -EUCLEAN && !s, "both superblocks corrupt: refused (%d, %s)",
	    ret, err.msg ? err.msg : "-");
	rb_store_close(s);
}

int rbst_run(char **argv)
{
	static char *envp[] = { "HOME=/", "PATH=/sbin:/bin:/usr/sbin:/usr/bin",
		"LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu",
		NULL };

	return call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC);
}

/*
 * Swap the table of the dm device: sectors [0, err_sectors) fail with
 * dm's "error" target (none if 0), the rest maps linearly to dm_under.
 * dmsetup runs as a usermode helper, in the VM's environment.
 */
static int dm_fail_head(u64 err_sectors)
{
	u64 total = bdev_nr_sectors(bdev);
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char *table, *cmd;
	int ret;

	if (err_sectors)
		table = kasprintf(GFP_KERNEL, "0 %llu error\\n%llu %llu linear %s %llu\\n",
				  err_sectors, err_sectors, total - err_sectors,
				  dm_under, err_sectors);
	else
		table = kasprintf(GFP_KERNEL, "0 %llu linear %s 0\\n", total,
				  dm_under);
	cmd = table ? kasprintf(GFP_KERNEL,
				"dmsetup suspend %s && printf '%s' | dmsetup load %s && dmsetup resume %s",
				dm, table, dm, dm) : NULL;
	kfree(table);
	if (!cmd)
		return -ENOMEM;
	argv[2] = cmd;
	ret = rbst_run(argv);
	if (ret)
		pr_info("# dmsetup failed (%d): %s\n", ret, cmd);
	kfree(cmd);
	return ret;
}

/*
 * A follower's batch: its entries are appended (the log area works),
 * then the superblock write with the new term, vote and commit index
 * fails. The node reports the failure and the core hands the same
 * entries and hard state out again: once the disk works again the retry
 * must be accepted (it was refused as "conflicts with committed" when
 * the commit index was recorded before the superblock write).
 */
static void test_superblock_write_failure(void)
{
	static struct raftblk_sb sb;
	static struct raft_restore r;
	static struct raft_conf conf;
	u8 uuid[RAFTBLK_UUID_LEN] = "store-test-dm";
	u8 addr[RAFT_ADDR_LEN] = "10.0.0.1:7789";
	struct raftblk_err err = {};
	struct rb_store *s = NULL;
	struct raft_hard_state hs;
	u32 slot;
	bool ok;
	int ret;

	if (!rbst_tap(dm && *dm, "failing superblock: the disk is a dm device (dm=%s)",
		      dm ? dm : "(not given)"))
		return;
	raft_bootstrap_conf(&conf, 1, addr);
	ret = rb_store_format(bdev, uuid, 1, &conf, &s, &err);
	m_last = 0;
	m_snap = 0;
	if (!ret)
		ret = do_append(s, 1, 3, 1, 4096, RAFT_ENTRY_NORMAL);
	hs = (struct raft_hard_state){ .term = 1, .vote = 1, .commit = 0 };
	if (!ret)
		ret = rb_store_save_hard_state(s, &hs);
	if (!ret)
		ret = current_sb(&sb, &slot);
	if (!rbst_tap(!ret, "failing superblock: format, 3 entries, hard state (%d)", ret))
		goto out;

	ret = dm_fail_head(sb.log_off >> SECTOR_SHIFT);
	if (!rbst_tap(!ret, "failing superblock: superblock area switched to dm error (%d)",
		      ret))
		goto out;
	ret = do_append(s, 4, 2, 2, 4096, RAFT_ENTRY_NORMAL);
	rbst_tap(!ret, "failing superblock: append of 4..5 succeeds (log area works) (%d)",
		 ret);
	hs = (struct raft_hard_state){ .term = 2, .vote = 2, .commit = 5 };
	ret = rb_store_save_hard_state(s, &hs);
	rbst_tap(ret < 0, "failing superblock: hard state term 2 commit 5 fails (%d)",
		 ret);
	ret = do_append(s, 4, 2, 2, 4096, RAFT_ENTRY_NORMAL);
	rbst_tap(ret < 0, "failing superblock: the retry fails while the disk fails (%d)",
		 ret);

	ret = dm_fail_head(0);
	if (!rbst_tap(!ret, "failing superblock: disk recovered (dm linear again) (%d)",
		      ret))
		goto out;
	ret = do_append(s, 4, 2, 2, 4096, RAFT_ENTRY_NORMAL);
	rbst_tap(!ret, "failing superblock: the retried append of 4..5 is accepted (%d)",
		 ret);
	ret = rb_store_save_hard_state(s, &hs);
	rbst_tap(!ret, "failing superblock: the retried hard state is saved (%d)", ret);
	memset(&r, 0, sizeof(r));
	ok = reopen_check(&s, "sb-retry", &r) && r.hs.term == 2 &&
		r.hs.vote == 2 && r.n_entries == 5;
	rbst_tap(ok, "failing superblock: reopen recovers 1..5 and term 2 (term %llu, %u entries)",
		 (unsigned long long)r.hs.term, r.n_entries);
	rb_store_restore_free(&r);
out:
	dm_fail_head(0);
	rb_store_close(s);
}

/*
 * Records smaller than 4 KiB: with a 512-byte record block a no-op is
 * 512 bytes, so more records than one per 4 KiB of the ring are live
 * and the store's index grows past its first size (log_size / 4 KiB),
 * in append and again in the recovery scan. With 4 KiB record blocks
 * the ring is full at exactly that many records.
 */
static void test_small_records(void)
{
	static struct raftblk_sb sb;
	static struct raft_restore r;
	static struct raft_conf conf;
	u8 uuid[RAFTBLK_UUID_LEN] = "store-test-small";
	u8 addr[RAFT_ADDR_LEN] = "10.0.0.1:7789";
	struct raftblk_err err = {};
	struct rb_store *s = NULL;
	struct raft_entry *e;
	u32 per_4k, want, done = 0, i, slot;
	const u32 batch = 256;
	int ret;

	e = kcalloc(batch, sizeof(*e), GFP_KERNEL);
	if (!rbst_tap(e, "small records: scratch"))
		return;
	raft_bootstrap_conf(&conf, 1, addr);
	ret = rb_store_format(bdev, uuid, 1, &conf, &s, &err);
	if (!ret)
		ret = current_sb(&sb, &slot);
	if (!rbst_tap(!ret, "small records: format (%d, %s)", ret,
		      err.msg ? err.msg : "-"))
		goto out;
	per_4k = sb.log_size / RAFTBLK_OD_BLOCK;
	/* one lap's worth of no-ops: everything the ring holds */
	want = sb.log_size / sb.rec_block;
	while (!ret && done < want) {
		u32 n = min(batch, want - done);

		for (i = 0; i < n; i++)
			e[i] = (struct raft_entry){ .index = done + 1 + i,
				.term = 1, .type = RAFT_ENTRY_NOOP };
		ret = rb_store_append(s, e, n);
		if (!ret)
			done += n;
	}
	rbst_tap(!ret && done == want,
		 "small records: %u no-ops of %u bytes fill the ring (%u records per 4 KiB before: %u) (%d)",
		 done, sb.rec_block, sb.rec_block < RAFTBLK_OD_BLOCK ?
		 RAFTBLK_OD_BLOCK / sb.rec_block : 1, per_4k, ret);
	e[0] = (struct raft_entry){ .index = done + 1, .term = 1,
				    .type = RAFT_ENTRY_NOOP };
	ret = rb_store_append(s, e, 1);
	rbst_tap(ret == -ENOSPC, "small records: one more is refused, the ring is full (%d)",
		 ret);
	rb_store_close(s);
	s = NULL;
	ret = rb_store_open(bdev, 1, &s, &err);
	if (!rbst_tap(!ret, "small records: reopen (%d, %s)", ret,
		      err.msg ? err.msg : "-"))
		goto out;
	rb_store_restore(s, &r);
	rbst_tap(r.n_entries == done && r.n_entries &&
		 r.entries[r.n_entries - 1].index == done,
		 "small records: the scan recovers all %u (%u)", done,
		 r.n_entries);
	rb_store_restore_free(&r);
	/* compact half, the ring takes that many again */
	ret = rb_store_compact(s, done / 2);
	for (i = 0; !ret && i < min(batch, done / 2); i++)
		e[i] = (struct raft_entry){ .index = done + 1 + i, .term = 1,
			.type = RAFT_ENTRY_NOOP };
	if (!ret)
		ret = rb_store_append(s, e, min(batch, done / 2));
	rbst_tap(!ret, "small records: after compacting half, appends go on (%d)",
		 ret);
	done += min(batch, done / 2);
	/*
	 * What a 4 KiB write costs in the log: one record block of header
	 * and the data (8 KiB with 4 KiB record blocks, 4.5 KiB with 512).
	 */
	{
		u64 before;
		struct raft_entry w[8] = {};

		before = rb_store_head(s);
		for (i = 0; i < 8; i++) {
			w[i].index = done + 1 + i;
			w[i].term = 1;
			w[i].type = RAFT_ENTRY_NORMAL;
			w[i].payload = data_payload(w[i].index, i * 8, 4096);
			if (!w[i].payload)
				ret = -ENOMEM;
		}
		if (!ret)
			ret = rb_store_append(s, w, 8);
		for (i = 0; i < 8; i++)
			raftblk_payload_put(w[i].payload);
		rbst_tap(!ret && rb_store_head(s) - before ==
			 8 * (sb.rec_block + 4096ULL),
			 "small records: 8 writes of 4 KiB take %llu bytes of log, %u each (%d)",
			 (unsigned long long)(rb_store_head(s) - before),
			 sb.rec_block + 4096, ret);
	}
out:
	kfree(e);
	rb_store_close(s);
}

static int __init store_test_init(void)
{
	int ret;

	ret = raftblk_payload_pool_init();
	if (ret)
		return ret;
	bdev = blkdev_get_by_path(disk, MODE, &n_tests);
	if (IS_ERR(bdev)) {
		pr_err("cannot open %s: %ld\n", disk, PTR_ERR(bdev));
		raftblk_payload_pool_exit();
		return PTR_ERR(bdev);
	}
	if (!strcmp(mode, "write")) {
		ret = rbst_crash_write_start(bdev, lw_mark, appends);
		if (ret) {
			blkdev_put(bdev, MODE);
			raftblk_payload_pool_exit();
		}
		return ret;
	}
	if (!strcmp(mode, "verify")) {
		rbst_crash_verify(bdev, min_index, min_term);
		blkdev_put(bdev, MODE);
		pr_info("done: %d tests, %d failed\n", n_tests, n_failed);
		return 0;
	}
	blk = (void *)__get_free_pages(GFP_KERNEL, 1);
	if (blk) {
		test_payloads();
		test_payload_pool();
		run();
		test_superblock_write_failure();
		test_small_records();
		free_pages((unsigned long)blk, 1);
	} else {
		rbst_tap(false, "scratch memory");
	}
	blkdev_put(bdev, MODE);
	pr_info("done: %d tests, %d failed\n", n_tests, n_failed);
	return 0;
}

static void __exit store_test_exit(void)
{
	if (!strcmp(mode, "write")) {
		rbst_crash_write_stop();
		blkdev_put(bdev, MODE);
	}
	raftblk_payload_pool_exit();
}

module_init(store_test_init);
module_exit(store_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("raftblk log store test");
