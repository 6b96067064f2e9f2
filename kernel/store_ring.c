// SPDX-License-Identifier: GPL-2.0
/*
 * store_ring.c - the log store's log ring (see log_store.h and
 * Documentation/on-disk-format.rst).
 *
 * Opening a store: pick the superblock, then recover the log (scan the
 * ring from the compaction point, with a read-ahead window). Appends are
 * one chain of bios per contiguous stretch of the ring, made durable by
 * REQ_FUA (one bio) or a flush after the chain. Compaction and snapshot
 * install move the compaction point, replaying the membership entries
 * up to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "store_int.h"

/*
 * A chain of write bios over one contiguous stretch of the disk: pages are
 * added in order; full bios are chained and submitted, the last one is
 * submitted and waited for by wchain_finish().
 */
struct wchain {
	struct block_device *bdev;
	struct bio *bio;
	bool chained;
	u64 off;		/* byte offset of the next page */
};

static void wchain_start(struct wchain *c, struct block_device *bdev,
			 u64 off)
{
	c->bdev = bdev;
	c->bio = NULL;
	c->chained = false;
	c->off = off;
}

static int wchain_add(struct wchain *c, struct page *page, u32 len, u32 off)
{
	if (!c->bio) {
		c->bio = bio_alloc(c->bdev, BIO_MAX_VECS,
				   REQ_OP_WRITE | REQ_SYNC, GFP_NOIO);
		if (!c->bio)
			return -ENOMEM;
		c->bio->bi_iter.bi_sector = c->off >> SECTOR_SHIFT;
	}
	if (bio_add_page(c->bio, page, len, off) != len) {
		struct bio *next;

		next = blk_next_bio(c->bio, c->bdev, BIO_MAX_VECS,
				    REQ_OP_WRITE | REQ_SYNC, GFP_NOIO);
		c->bio = next;
		c->chained = true;
		next->bi_iter.bi_sector = c->off >> SECTOR_SHIFT;
		if (bio_add_page(next, page, len, off) != len)
			return -EIO;
	}
	c->off += len;
	return 0;
}

/* Submit what is left and wait for the whole chain; durable: FUA for a
 * single bio, else a flush once all completed.
 */
static int wchain_finish(struct wchain *c, bool durable)
{
	int ret;

	if (!c->bio)
		return 0;
	if (durable && !c->chained)
		c->bio->bi_opf |= REQ_FUA;
	ret = submit_bio_wait(c->bio);
	bio_put(c->bio);
	c->bio = NULL;
	if (!ret && durable && c->chained)
		ret = blkdev_issue_flush(c->bdev);
	c->chained = false;
	return ret;
}

/* On error the chain's bios are still submitted (chained ones already
 * are): wait for them rather than leak them.
 */
static void wchain_abort(struct wchain *c)
{
	if (c->bio)
		wchain_finish(c, false);
}

/*
 * The recovery scan reads the ring in order: it reads a window of
 * RA_PAGES pages at a time and serves headers and small records from it
 * (one I/O per window rather than two per record).
 */
#define RA_PAGES 64

struct scan_ra {
	struct page *pages[RA_PAGES];
	u64 off;		/* ring offset of the window */
	u32 len;		/* bytes valid, 0 = empty */
};

static void ra_free(struct scan_ra *ra)
{
	u32 i;

	if (!ra)
		return;
	for (i = 0; i < RA_PAGES; i++)
		if (ra->pages[i])
			__free_page(ra->pages[i]);
	kfree(ra);
}

static struct scan_ra *ra_alloc(void)
{
	struct scan_ra *ra = kzalloc(sizeof(*ra), GFP_KERNEL);
	u32 i;

	if (!ra)
		return NULL;
	for (i = 0; i < RA_PAGES; i++) {
		ra->pages[i] = alloc_page(GFP_KERNEL);
		if (!ra->pages[i]) {
			ra_free(ra);
			return NULL;
		}
	}
	return ra;
}

static bool ra_has(const struct scan_ra *ra, u64 off, u32 len)
{
	return ra && ra->len && off >= ra->off &&
		off + len <= ra->off + ra->len;
}

/* Fill the window from ring offset off (never past the ring's end). */
static int ra_fill(struct rb_store *s, u64 off)
{
	struct scan_ra *ra = s->ra;
	u32 len = min_t(u64, RA_PAGES * PAGE_SIZE, s->sb.log_size - off);
	struct bio *bio;
	u32 i, n;
	int ret;

	ra->len = 0;
	bio = bio_alloc(s->bdev, RA_PAGES, REQ_OP_READ, GFP_KERNEL);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = (s->sb.log_off + off) >> SECTOR_SHIFT;
	for (i = 0; i * PAGE_SIZE < len; i++) {
		n = min_t(u32, PAGE_SIZE, len - i * PAGE_SIZE);
		if (bio_add_page(bio, ra->pages[i], n, 0) != n) {
			bio_put(bio);
			return -EIO;
		}
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	if (ret)
		return ret;
	ra->off = off;
	ra->len = len;
	return 0;
}

/* Copy len bytes at ring offset off (inside the window) to dst or, when
 * dst is NULL, into payload p from its start.
 */
static void ra_copy(const struct scan_ra *ra, u64 off, void *dst,
		    struct raft_payload *p, u32 len)
{
	u32 at = off - ra->off, done = 0;

	while (done < len) {
		u32 pg = (at + done) / PAGE_SIZE;
		u32 po = (at + done) % PAGE_SIZE;
		u32 n = min_t(u32, len - done, PAGE_SIZE - po);
		void *a = kmap_local_page(ra->pages[pg]);

		if (dst)
			memcpy((u8 *)dst + done, (u8 *)a + po, n);
		else
			raftblk_payload_copy_in(p, done, (u8 *)a + po, n);
		kunmap_local(a);
		done += n;
	}
}

static int scan_read_hdr(void *ctx, u64 off, void *buf)
{
	struct rb_store *s = ctx;
	u32 blk = s->sb.rec_block;
	int ret;

	if (s->ra) {
		if (!ra_has(s->ra, off, blk)) {
			ret = ra_fill(s, off);
			if (ret)
				return ret;
		}
		ra_copy(s->ra, off, buf, NULL, blk);
		return 0;
	}
	ret = rb_store_io(s, s->sb.log_off + off, blk, REQ_OP_READ);
	if (ret)
		return ret;
	if (buf != s->buf)
		memcpy(buf, s->buf, blk);
	return 0;
}

/* Read the data of the record at absolute position pos into p. */
static int read_payload(struct rb_store *s, struct raft_payload *p, u64 pos)
{
	u64 roff = raftblk_ring_off(s->sb.log_size, pos) + s->sb.rec_block;
	u64 off = s->sb.log_off + roff;
	struct bio *bio;
	u32 i;
	int ret;

	if (ra_has(s->ra, roff, p->len)) {
		ra_copy(s->ra, roff, NULL, p, p->len);
		return 0;
	}
	bio = bio_alloc(s->bdev, p->nr_pages, REQ_OP_READ, GFP_KERNEL);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	for (i = 0; i < p->nr_pages; i++) {
		if (bio_add_page(bio, p->bvec[i].bv_page, p->bvec[i].bv_len,
				 0) != p->bvec[i].bv_len) {
			bio_put(bio);
			return -EIO;
		}
	}
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

static int scan_load(void *ctx, const struct raftblk_rec *r, u64 pos)
{
	struct rb_store *s = ctx;
	struct raft_payload *p = NULL;
	struct raft_entry *e;
	int ret;

	ret = rb_store_ents_reserve(s, s->n + 1UL);
	if (ret == -ENOSPC)	/* cannot happen: the scan bounds it */
		return -EUCLEAN;
	if (ret)
		return ret;
	if (r->type == RAFT_ENTRY_NORMAL && r->len && !r->data_len) {
		p = raftblk_payload_alloc_nodata(r->sector, r->len, r->flags);
		if (!p)
			return -ENOMEM;
	} else if (r->type == RAFT_ENTRY_NORMAL && r->len) {
		p = raftblk_payload_alloc(r->data_len);
		if (!p)
			return -ENOMEM;
		ret = read_payload(s, p, pos);
		if (!ret && raftblk_payload_crc(p) != r->data_crc)
			ret = -EBADMSG;	/* torn: the end of the log */
		if (ret) {
			raftblk_payload_put(p);
			return ret;
		}
		p->sector = r->sector;
		p->flags = r->flags;
	}
	if (s->rec_n == s->rec_cap) {
		u32 cap = max(64U, s->rec_cap * 2);
		struct raft_entry *ne;

		ne = kvrealloc(s->rec_ents, s->rec_cap * sizeof(*ne),
			       cap * sizeof(*ne), GFP_KERNEL);
		if (!ne) {
			raftblk_payload_put(p);
			return -ENOMEM;
		}
		s->rec_ents = ne;
		s->rec_cap = cap;
	}
	e = &s->rec_ents[s->rec_n++];
	memset(e, 0, sizeof(*e));
	e->term = r->term;
	e->index = r->index;
	e->type = r->type;
	if (r->type == RAFT_ENTRY_CONF)
		e->cc = r->cc;
	else if (r->type == RAFT_ENTRY_BARRIER)
		e->mark = r->mark;
	e->payload = p;
	*ent(s, s->n++) = (struct rb_store_ent){
		.pos = pos, .term = r->term, .rec_len = r->rec_len,
		.type = r->type,
	};
	return 0;
}

static const struct raftblk_scan_ops scan_ops = {
	.read_hdr = scan_read_hdr,
	.load = scan_load,
};

static bool has_magic(const u8 *slot)
{
	return !memcmp(slot, RAFTBLK_SB_MAGIC, 8);
}

int rb_store_open(struct block_device *bdev, raft_id id,
		  struct rb_store **out, struct raftblk_err *err)
{
	struct raftblk_scan_result res;
	struct raftblk_sb *nsb;
	const char *why = NULL;
	struct rb_store *s;
	u32 slot;
	int ret;

	s = rb_store_alloc(bdev);
	if (!s) {
		err->msg = "out of memory";
		return -ENOMEM;
	}
	ret = rb_store_io(s, 0, RAFTBLK_SB_AREA, REQ_OP_READ);
	if (ret) {
		err->msg = "cannot read the superblock";
		goto err_close_store;
	}
	ret = raftblk_sb_pick(s->buf, RAFTBLK_SB_AREA, s->dev_size, &s->sb,
			      &slot, &why);
	if (ret) {
		if (!has_magic(s->buf) &&
		    !has_magic((u8 *)s->buf + RAFTBLK_SB_SIZE)) {
			err->msg = "no raftblk superblock on the disk";
			ret = -ENODATA;
		} else {
			pr_err("%pg: no valid superblock: %s\n", bdev,
			       why);
			err->msg = "raftblk superblock corrupt or does not fit the disk";
			ret = -EUCLEAN;
		}
		goto err_close_store;
	}
	if (s->sb.node_id != id) {
		pr_err("%pg: the disk belongs to node %llu, not %llu\n",
		       bdev, (unsigned long long)s->sb.node_id,
		       (unsigned long long)id);
		err->msg = "the disk belongs to another node id";
		ret = -EINVAL;
		goto err_close_store;
	}
	if (s->sb.rec_block < bdev_logical_block_size(bdev)) {
		pr_err("%pg: log record block %u below the disk's logical block size %u\n",
		       bdev, s->sb.rec_block, bdev_logical_block_size(bdev));
		err->msg = "log record block below the disk's logical block size";
		ret = -EINVAL;
		goto err_close_store;
	}
	s->slot = slot;
	s->data_off = s->sb.data_off;
	s->data_size = s->sb.data_size;
	rb_store_set_data_bdev(s, NULL);
	ret = rb_emap_open(bdev, s->sb.log_off, s->data_size, s->sb.snap.index,
			   &s->emap);
	if (ret) {
		err->msg = "out of memory";
		goto err_close_store;
	}
	ret = rb_store_alloc_ents(s);
	if (ret) {
		err->msg = "out of memory";
		goto err_close_store;
	}

	s->ra = ra_alloc();	/* without it: one read per header */
	ret = raftblk_ring_scan(&s->sb, &scan_ops, s, s->buf, &res);
	ra_free(s->ra);
	s->ra = NULL;
	if (ret) {
		pr_err("%pg: log scan failed: %d\n", bdev, ret);
		err->msg = "cannot read the log";
		goto err_close_store;
	}
	s->head = res.head;
	pr_info("%pg: node %llu: term %llu, commit %llu, log %llu..%llu (%llu records), ends: %s; superblock %llu (slot %u)\n",
		bdev, (unsigned long long)id,
		(unsigned long long)s->sb.hs.term,
		(unsigned long long)s->sb.hs.commit,
		(unsigned long long)s->sb.snap.index + 1,
		(unsigned long long)res.last_index,
		(unsigned long long)res.n_records,
		res.stop_why ? res.stop_why : "-",
		(unsigned long long)s->sb.seq, slot);
	if (res.last_index < s->sb.hs.commit) {
		pr_err("%pg: log ends at %llu, before the commit index %llu\n",
		       bdev, (unsigned long long)res.last_index,
		       (unsigned long long)s->sb.hs.commit);
		err->msg = "committed log entries are missing from the disk";
		ret = -EUCLEAN;
		goto err_close_store;
	}

	/*
	 * Start a new epoch after what was recovered: records a crash left
	 * beyond the end are never read back. Entries of a term the hard
	 * state does not have yet (crash between the append and the hard
	 * state) raise the term; no vote was cast in it, or it would have
	 * been on disk before it was sent.
	 */
	nsb = rb_store_next_sb(s);
	nsb->log_epoch++;
	nsb->epoch_index = res.last_index;
	if (res.last_term > nsb->hs.term) {
		nsb->hs.term = res.last_term;
		nsb->hs.vote = RAFT_NONE;
	}
	ret = rb_store_write_sb(s);
	if (!ret && (s->sb.flags & RAFTBLK_SB_F_RESYNCING))
		pr_warn("%pg: node %llu: the data area was being copied from the leader when the node stopped (resyncing mark, base %llu): it serves nothing until a new copy is installed\n",
			bdev, (unsigned long long)id,
			(unsigned long long)s->sb.resync_base);
	if (ret) {
		err->msg = "cannot write the superblock";
		goto err_close_store;
	}
	*out = s;
	return 0;
err_close_store:
	rb_store_close(s);
	return ret;
}

int rb_store_restore(struct rb_store *s, struct raft_restore *r)
{
	mutex_lock(&s->lock);
	memset(r, 0, sizeof(*r));
	r->hs = s->sb.hs;
	r->snap = s->sb.snap;
	r->n_entries = s->rec_n;
	r->entries = s->rec_ents;
	s->rec_ents = NULL;
	s->rec_n = 0;
	s->rec_cap = 0;
	mutex_unlock(&s->lock);
	return 0;
}

void rb_store_restore_free(struct raft_restore *r)
{
	rb_store_free_entries((struct raft_entry *)r->entries, r->n_entries);
	r->entries = NULL;
	r->n_entries = 0;
}

static u32 entry_data_len(const struct raft_entry *e)
{
	if (e->type != RAFT_ENTRY_NORMAL || !e->payload)
		return 0;
	return raftblk_payload_data_len(e->payload);
}

static void entry_to_rec(const struct rb_store *s, const struct raft_entry *e,
			 raft_term prev_term, u64 pos, struct raftblk_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->nonce = s->sb.log_nonce;
	r->epoch = s->sb.log_epoch;
	r->lap = raftblk_ring_lap(s->sb.log_size, pos);
	r->index = e->index;
	r->term = e->term;
	r->prev_term = prev_term;
	r->type = e->type;
	if (e->type == RAFT_ENTRY_CONF)
		r->cc = e->cc;
	else if (e->type == RAFT_ENTRY_BARRIER)
		r->mark = e->mark;
	if (e->type == RAFT_ENTRY_NORMAL && e->payload) {
		r->sector = e->payload->sector;
		r->len = e->payload->len;
		r->flags = e->payload->flags;
		r->data_len = entry_data_len(e);
		if (r->data_len)
			r->data_crc = raftblk_payload_crc(e->payload);
	}
}

/* Encode a header block into page at offset off. */
static int encode_hdr(const struct rb_store *s, const struct raftblk_rec *r,
		      struct page *page, u32 off)
{
	const struct raftblk_rec_ctx ctx = {
		.log_size = s->sb.log_size,
		.data_size = s->sb.data_size,
		.nonce = s->sb.log_nonce,
		.rec_block = s->sb.rec_block,
	};
	const char *why = NULL;
	void *a;
	int ret;

	a = kmap_local_page(page);
	ret = raftblk_rec_encode(r, &ctx, (u8 *)a + off, &why);
	kunmap_local(a);
	if (ret) {
		pr_err_ratelimited("%pg: cannot store entry %llu: %s\n",
				   s->bdev, (unsigned long long)r->index, why);
		return -EINVAL;
	}
	return 0;
}

/* Length of the record of an entry with dlen data bytes. */
static u32 record_len(const struct rb_store *s, u32 dlen)
{
	return raftblk_rec_len(s->sb.rec_block, dlen);
}

/*
 * Plan: check the entries follow the kept log and find the ring position
 * of each record; -ENOSPC when the ring is full. Returns the head after
 * the last record in *end.
 */
static int append_plan(struct rb_store *s, const struct raft_entry *e, u32 n,
		       u64 head, raft_term prev_term, u64 *end)
{
	u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		u32 dlen;

		if (e[i].index != e[0].index + i || !e[i].term ||
		    e[i].term < prev_term)
			return -EINVAL;
		if (e[i].type == RAFT_ENTRY_NORMAL && e[i].payload &&
		    e[i].payload->len == 0)
			return -EINVAL;
		dlen = entry_data_len(&e[i]);
		if (dlen > RAFTBLK_REC_MAX_DATA)
			return -EINVAL;
		ret = raftblk_ring_reserve(s->sb.log_size, s->sb.log_start,
					   head, record_len(s, dlen), &head);
		if (ret)
			return -ENOSPC;
		prev_term = e[i].term;
	}
	*end = head;
	return 0;
}

/* Byte offset on the disk of absolute ring position pos. */
static u64 ring_addr(const struct rb_store *s, u64 pos)
{
	return s->sb.log_off + raftblk_ring_off(s->sb.log_size, pos);
}

/* The ring position after the first keep entries of the log. */
static u64 append_head(struct rb_store *s, u32 keep)
{
	return keep ? ent(s, keep - 1)->pos + ent(s, keep - 1)->rec_len :
		s->sb.log_start;
}

/*
 * Entries from e0 on may be stored: they follow the log or replace a
 * suffix of it, never a committed entry. *keep: the entries kept.
 */
static int append_check(struct rb_store *s, raft_index e0, u32 *keep)
{
	raft_index commit = max(s->sb.hs.commit, s->commit);

	if (e0 <= s->sb.snap.index || e0 > last_index(s) + 1)
		return -EINVAL;
	*keep = e0 - 1 - s->sb.snap.index;
	if (*keep < s->n && e0 <= commit) {
		/* Raft never replaces a committed entry: refuse to. */
		pr_err_ratelimited("%pg: refusing to truncate committed entry %llu (commit %llu)\n",
				   s->bdev, (unsigned long long)e0,
				   (unsigned long long)commit);
		return -EINVAL;
	}
	return 0;
}

/*
 * Start a new epoch after entry @after, durably, before anything is
 * written: records beyond it (a suffix being replaced, or what a failed
 * append left) are never read back.
 */
static int append_new_epoch(struct rb_store *s, raft_index after, u32 keep,
			    u64 head)
{
	struct raftblk_sb *nsb = rb_store_next_sb(s);
	int ret;

	nsb->log_epoch++;
	nsb->epoch_index = after;
	ret = rb_store_write_sb(s);
	if (ret)
		return ret;
	s->bump_epoch = false;
	s->n = keep;
	s->head = head;
	return 0;
}

/*
 * An append being written: its chain of writes and its header pages,
 * each holding PAGE_SIZE / rec_block headers (at most one per record and
 * one per wrap marker: 2 * n pages).
 */
struct append_io {
	struct wchain c;
	struct page **hdrs;
	u32 nh;
	u32 used;		/* bytes of hdrs[nh - 1] holding headers */
};

/* Encode header @r into the current header page and add it to the chain. */
static int append_hdr(struct rb_store *s, struct append_io *io,
		      const struct raftblk_rec *r)
{
	u32 blk = s->sb.rec_block;
	struct page *pg;
	int ret;

	if (!io->nh || io->used + blk > PAGE_SIZE) {
		pg = alloc_page(GFP_NOIO);
		if (!pg)
			return -ENOMEM;
		io->hdrs[io->nh++] = pg;
		io->used = 0;
	}
	pg = io->hdrs[io->nh - 1];
	ret = encode_hdr(s, r, pg, io->used);
	if (ret)
		return ret;
	ret = wchain_add(&io->c, pg, blk, io->used);
	io->used += blk;
	return ret;
}

/* Make what the chain holds durable, then go on at ring position pos. */
static int append_restart(struct rb_store *s, struct append_io *io, u64 pos)
{
	int ret = wchain_finish(&io->c, true);

	if (ret)
		return ret;
	wchain_start(&io->c, s->bdev, ring_addr(s, pos));
	return 0;
}

/*
 * A wrap marker at @head, durable before the record of @e, which starts
 * the next lap at @pos.
 */
static int append_wrap(struct rb_store *s, struct append_io *io,
		       const struct raft_entry *e, raft_term prev_term,
		       u64 head, u64 pos)
{
	struct raftblk_rec r;
	int ret;

	entry_to_rec(s, e, prev_term, head, &r);
	memset(&r.cc, 0, sizeof(r.cc));
	r.type = RAFTBLK_REC_WRAP;
	r.sector = 0;
	r.len = 0;
	r.flags = 0;
	r.data_len = 0;
	r.data_crc = 0;
	ret = append_hdr(s, io, &r);
	if (!ret)
		ret = append_restart(s, io, pos);
	return ret;
}

/* The record of @e at @pos: header, data, padding to its length. */
static int append_record(struct rb_store *s, struct append_io *io,
			 const struct raft_entry *e, raft_term prev_term,
			 u64 pos, u32 rec_len)
{
	u32 dlen = entry_data_len(e);
	struct raftblk_rec r;
	u32 k;
	int ret;

	entry_to_rec(s, e, prev_term, pos, &r);
	ret = append_hdr(s, io, &r);
	for (k = 0; !ret && dlen && k < e->payload->nr_pages; k++)
		ret = wchain_add(&io->c, e->payload->bvec[k].bv_page,
				 e->payload->bvec[k].bv_len, 0);
	if (!ret && rec_len - s->sb.rec_block > dlen)
		ret = wchain_add(&io->c, ZERO_PAGE(0), rec_len -
				 s->sb.rec_block - dlen, 0);
	return ret;
}

/* Write the records of e[0..n) from ring position @head on, durably. */
static int append_write(struct rb_store *s, struct append_io *io,
			const struct raft_entry *e, u32 n, u64 head,
			raft_term prev_term)
{
	int ret = 0;
	u32 i;

	wchain_start(&io->c, s->bdev, ring_addr(s, head));
	for (i = 0; i < n && !ret; i++) {
		u32 rec_len = record_len(s, entry_data_len(&e[i]));
		u64 pos = raftblk_ring_place(s->sb.log_size, head, rec_len);

		if (pos != head)
			ret = append_wrap(s, io, &e[i], prev_term, head, pos);
		else if (io->c.off != ring_addr(s, pos))
			/*
			 * The previous record ended exactly at the end of the
			 * ring: this one starts the next lap at offset 0, not
			 * where the chain goes on (past the log area, in the
			 * data area). What the chain holds is durable first,
			 * as before a wrap marker.
			 */
			ret = append_restart(s, io, pos);
		if (!ret)
			ret = append_record(s, io, &e[i], prev_term, pos,
					    rec_len);
		prev_term = e[i].term;
		head = pos + rec_len;
	}
	if (!ret)
		ret = wchain_finish(&io->c, true);
	else
		wchain_abort(&io->c);
	return ret;
}

/* The records are durable: now they are the log, after keep entries. */
static void append_index(struct rb_store *s, const struct raft_entry *e,
			 u32 n, u32 keep)
{
	u64 head = append_head(s, keep);
	u32 i;

	s->n = keep;
	for (i = 0; i < n; i++) {
		u32 rec_len = record_len(s, entry_data_len(&e[i]));
		u64 pos = raftblk_ring_place(s->sb.log_size, head, rec_len);

		*ent(s, s->n++) = (struct rb_store_ent){
			.pos = pos, .term = e[i].term, .rec_len = rec_len,
			.type = e[i].type,
		};
		head = pos + rec_len;
	}
	s->head = head;
}

int rb_store_append(struct rb_store *s, const struct raft_entry *e, u32 n)
{
	struct append_io io = {};
	raft_term prev_term;
	u32 keep, i;
	u64 head, end;
	int ret;

	if (!n)
		return 0;
	mutex_lock(&s->lock);
	ret = append_check(s, e[0].index, &keep);
	if (ret)
		goto out;
	head = append_head(s, keep);
	prev_term = keep ? ent(s, keep - 1)->term : s->sb.snap.term;
	ret = append_plan(s, e, n, head, prev_term, &end);
	if (ret)
		goto out;
	ret = rb_store_ents_reserve(s, (u64)keep + n);
	if (ret)
		goto out;
	io.hdrs = kcalloc(2 * n, sizeof(*io.hdrs), GFP_NOIO);
	if (!io.hdrs) {
		ret = -ENOMEM;
		goto out;
	}
	/* Replacing a suffix: make the truncation durable first. */
	if (keep < s->n || s->bump_epoch) {
		ret = append_new_epoch(s, e[0].index - 1, keep, head);
		if (ret)
			goto out;
	}
	ret = append_write(s, &io, e, n, head, prev_term);
	if (ret) {
		/* Whatever reached the disk must never be read back. */
		s->bump_epoch = true;
		pr_err_ratelimited("%pg: log append of %llu..%llu failed: %d\n",
				   s->bdev, (unsigned long long)e[0].index,
				   (unsigned long long)e[n - 1].index, ret);
		goto out;
	}
	append_index(s, e, n, keep);
out:
	for (i = 0; i < io.nh; i++)
		__free_page(io.hdrs[i]);
	kfree(io.hdrs);
	mutex_unlock(&s->lock);
	return ret;
}
/* The membership in force at index (snapshot conf + stored CONF
 * entries up to index), reading the CONF records back from the ring.
 */
static int conf_at(struct rb_store *s, u32 k, struct raft_conf *conf)
{
	const struct raftblk_rec_ctx ctx = {
		.log_size = s->sb.log_size,
		.data_size = s->sb.data_size,
		.nonce = s->sb.log_nonce,
		.rec_block = s->sb.rec_block,
	};
	struct raftblk_rec r;
	const char *why = NULL;
	u32 i;
	int ret;

	*conf = s->sb.snap.conf;
	for (i = 0; i < k; i++) {
		const struct rb_store_ent *en = ent(s, i);

		if (en->type != RAFT_ENTRY_CONF)
			continue;
		ret = scan_read_hdr(s, raftblk_ring_off(s->sb.log_size,
							en->pos), s->buf);
		if (ret)
			return ret;
		ret = raftblk_rec_decode(s->buf, s->sb.rec_block, &ctx,
					 &r, &why);
		if (ret || r.index != s->sb.snap.index + 1 + i ||
		    r.type != RAFT_ENTRY_CONF) {
			pr_err_ratelimited("%pg: membership entry %llu unreadable: %s\n",
					   s->bdev,
					   (unsigned long long)s->sb.snap.index + 1 + i,
					   why ? why : "not the stored entry");
			return -EIO;
		}
		if (raft_conf_apply(conf, &r.cc))
			return -EINVAL;
	}
	return 0;
}

/*
 * The term of the compaction point may be above the stored term (entries
 * are appended before the hard state of their term is saved): raise it,
 * without a vote - any vote in that term would already be on disk.
 */
static void raise_term(struct raftblk_sb *nsb)
{
	if (nsb->hs.term < nsb->snap.term) {
		nsb->hs.term = nsb->snap.term;
		nsb->hs.vote = RAFT_NONE;
	}
}

int rb_store_compact(struct rb_store *s, raft_index index)
{
	struct raftblk_sb *nsb;
	u32 k;
	int ret;

	mutex_lock(&s->lock);
	ret = 0;
	if (index <= s->sb.snap.index)
		goto out;
	ret = -EINVAL;
	if (index > last_index(s))
		goto out;
	k = index - s->sb.snap.index;
	nsb = rb_store_next_sb(s);
	ret = conf_at(s, k, &nsb->snap.conf);
	if (ret)
		goto out;
	nsb->snap.index = index;
	nsb->snap.term = ent(s, k - 1)->term;
	nsb->log_start = k < s->n ? ent(s, k)->pos : s->head;
	if (nsb->hs.commit < index)	/* applied, hence committed */
		nsb->hs.commit = index;
	raise_term(nsb);
	/* The map covers every write up to index before the entries leave
	 * the log (its write is flushed by the superblock's PREFLUSH).
	 */
	ret = rb_emap_save(s->emap, index);
	if (ret)
		goto out;
	/* REQ_PREFLUSH: the data area writes of every applied entry (all
	 * completed) are on stable storage before the entries leave the log.
	 */
	ret = rb_store_write_sb(s);
	if (ret)
		goto out;
	s->first = (s->first + k) % s->cap;
	s->n -= k;
out:
	mutex_unlock(&s->lock);
	return ret;
}

int rb_store_install_snapshot(struct rb_store *s,
			      const struct raft_snapshot_meta *meta)
{
	struct raftblk_sb *nsb;
	int ret;

	mutex_lock(&s->lock);
	/* The caller noted the copied extents: the map first, flushed by
	 * the superblock write.
	 */
	ret = rb_emap_save(s->emap, meta->index);
	if (ret)
		goto out;
	nsb = rb_store_next_sb(s);
	nsb->snap = *meta;
	nsb->flags &= ~RAFTBLK_SB_F_RESYNCING;
	nsb->resync_base = 0;
	/* A copy (not the empty snapshot a blank node joins with). */
	if (meta->index)
		nsb->copy_index = meta->index;
	/* The log restarts empty at head; whatever follows is stale. */
	nsb->log_start = s->head;
	nsb->log_epoch++;
	nsb->epoch_index = meta->index;
	if (nsb->hs.commit < meta->index)
		nsb->hs.commit = meta->index;
	raise_term(nsb);
	ret = rb_store_write_sb(s);
	if (!ret) {
		s->first = 0;
		s->n = 0;
	}
out:
	mutex_unlock(&s->lock);
	return ret;
}

raft_index rb_store_copy_index(struct rb_store *s)
{
	raft_index ret;

	mutex_lock(&s->lock);
	ret = s->sb.copy_index;
	mutex_unlock(&s->lock);
	return ret;
}

void rb_store_ring_info(struct rb_store *s, struct rb_store_ring_info *ri)
{
	mutex_lock(&s->lock);
	ri->used = s->head - s->sb.log_start;
	ri->size = s->sb.log_size;
	ri->head = s->head;
	ri->rec_block = s->sb.rec_block;
	mutex_unlock(&s->lock);
}

void rb_store_usage(struct rb_store *s, u64 *used, u64 *size)
{
	struct rb_store_ring_info ri;

	rb_store_ring_info(s, &ri);
	*used = ri.used;
	*size = ri.size;
}

u64 rb_store_head(struct rb_store *s)
{
	u64 head;

	mutex_lock(&s->lock);
	head = s->head;
	mutex_unlock(&s->lock);
	return head;
}

void rb_store_last(struct rb_store *s, raft_index *index, raft_term *term)
{
	mutex_lock(&s->lock);
	*index = last_index(s);
	*term = s->n ? ent(s, s->n - 1)->term : s->sb.snap.term;
	mutex_unlock(&s->lock);
}
