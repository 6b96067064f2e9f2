// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ondisk.c - libFuzzer target for the on-disk codec (kernel/ondisk.c).
 *
 * The first input byte picks a target:
 *   0  superblock slots: decode + pick; a decoded superblock must
 *      re-encode to exactly the same bytes
 *   1  record header: decode; a decoded record must re-encode to exactly
 *      the same bytes
 *   2  recovery scan over a ring built from record descriptors (valid
 *      records, wrong index/term/lap/epoch, wrap markers, gaps, and byte
 *      corruptions), checking the scan's invariants
 * Bit 7 of that byte asks targets 0 and 1 to fix up the magic and the
 * checksum first, so the fuzzer reaches the field checks behind them.
 * Any sanitizer report or abort() is a finding.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ondisk.h"
#include "portable.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, \
				#cond);					\
			abort();					\
		}							\
	} while (0)

static void fuzz_sb(const u8 *data, size_t size, bool fix)
{
	static u8 area[RAFTBLK_SB_AREA], again[RAFTBLK_SB_SIZE];
	struct raftblk_sb sb, pick;
	const char *why = NULL;
	u32 slot = 7;
	int e0, ep;

	memset(area, 0, sizeof(area));
	memcpy(area, data, size < sizeof(area) ? size : sizeof(area));
	if (fix) {
		for (u32 s = 0; s < RAFTBLK_SB_SLOTS; s++) {
			u8 *p = area + s * RAFTBLK_SB_SIZE;

			memcpy(p, RAFTBLK_SB_MAGIC, 8);
			rb_put_le32(p + RAFTBLK_SB_SIZE - 4,
			      raftblk_crc32c(p, RAFTBLK_SB_SIZE - 4));
		}
	}
	e0 = raftblk_sb_decode(area, RAFTBLK_SB_SIZE, 1ULL << 40, &sb, &why);
	CHECK(e0 == 0 || (e0 < 0 && why));
	if (!e0) {
		CHECK(raftblk_sb_encode(&sb, again, &why) == 0);
		CHECK(!memcmp(again, area, RAFTBLK_SB_SIZE));
	}
	ep = raftblk_sb_pick(area, sizeof(area), 1ULL << 40, &pick, &slot,
			     &why);
	CHECK(ep == 0 || (ep < 0 && why));
	if (!ep) {
		CHECK(slot < RAFTBLK_SB_SLOTS);
		CHECK(!raftblk_sb_decode(area + slot * RAFTBLK_SB_SIZE,
					 RAFTBLK_SB_SIZE, 1ULL << 40, &sb,
					 &why));
		CHECK(sb.seq == pick.seq);
	}
}

/* The record block of this input (4096 or 512: chosen by its bytes). */
static struct raftblk_rec_ctx CTX = {
	.log_size = 1 << 20,
	.data_size = 1ULL << 30,
	.nonce = 0x0807060504030201ULL,
	.rec_block = 4096,
};
#define BLK (CTX.rec_block)

static void fuzz_rec(const u8 *data, size_t size, bool fix)
{
	static u8 hdr[RAFTBLK_REC_BLOCK_MAX], again[RAFTBLK_REC_BLOCK_MAX];
	struct raftblk_rec r;
	const char *why = NULL;
	int err;

	CTX.rec_block = size && (data[size - 1] & 1) ? 512 : 4096;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, data, size < BLK ? size : BLK);
	if (fix) {
		memcpy(hdr, RAFTBLK_REC_MAGIC, 8);
		rb_put_le32(hdr + 16, (u32)CTX.nonce);
		rb_put_le32(hdr + 20, (u32)(CTX.nonce >> 32));
		rb_put_le32(hdr + BLK - 4, raftblk_crc32c(hdr, BLK - 4));
	}
	err = raftblk_rec_decode(hdr, BLK, &CTX, &r, &why);
	CHECK(err == 0 || (err < 0 && why));
	if (!err) {
		CHECK(r.rec_len == raftblk_rec_len(BLK, r.data_len));
		CHECK(r.rec_len <= CTX.log_size);
		CHECK(raftblk_rec_encode(&r, &CTX, again, &why) == 0);
		CHECK(!memcmp(again, hdr, BLK));
	}
}

/* ---- ring ---------------------------------------------------------- */

#define RING (64U << 10)	/* small: many laps, cheap to reset */

static u8 ring[RING];

static struct raftblk_rec_ctx RCTX = {
	.log_size = RING,
	.data_size = 1ULL << 30,
	.nonce = 0x0807060504030201ULL,
	.rec_block = 4096,
};

struct scan_ctx {
	const struct raftblk_sb *sb;
	raft_index next;
	u32 loads;
};

static int rd_hdr(void *ctx, u64 off, void *buf)
{
	(void)ctx;
	CHECK(off % RCTX.rec_block == 0);
	CHECK(off + RCTX.rec_block <= RING);
	memcpy(buf, ring + off, RCTX.rec_block);
	return 0;
}

static int ld(void *ctx, const struct raftblk_rec *r, u64 pos)
{
	struct scan_ctx *s = ctx;
	u64 off = raftblk_ring_off(RING, pos) + RCTX.rec_block;

	CHECK(pos >= s->sb->log_start);
	CHECK(pos + r->rec_len - s->sb->log_start <= RING);

	CHECK(r->index == s->next);
	CHECK(r->type != RAFTBLK_REC_WRAP);
	CHECK(off + r->data_len <= RING);
	s->next++;
	s->loads++;
	if (r->data_len && raftblk_crc32c(ring + off, r->data_len) !=
	    r->data_crc)
		return -EBADMSG;
	return 0;
}

static const struct raftblk_scan_ops ops = { .read_hdr = rd_hdr, .load = ld };

static void fuzz_ring(const u8 *data, size_t size)
{
	struct raftblk_sb sb;
	struct raftblk_scan_result res;
	struct scan_ctx sc;
	u8 buf[RAFTBLK_REC_BLOCK_MAX];
	u32 rb;
	raft_term prev_term;
	raft_index index;
	u64 head;
	int err;

	if (size < 8)
		return;
	memset(ring, 0, sizeof(ring));
	memset(&sb, 0, sizeof(sb));
	sb.seq = 1;
	sb.node_id = 1;
	sb.log_off = 1 << 20;
	sb.log_size = RING;
	sb.data_off = 2 << 20;
	sb.data_size = CTX.data_size;
	sb.log_nonce = CTX.nonce;
	rb = data[7] & 1 ? 512 : 4096;
	RCTX.rec_block = rb;
	sb.rec_block = rb;
	sb.log_epoch = data[0] & 3;
	sb.epoch_index = data[1];
	sb.snap.index = data[2] & 7;
	sb.snap.term = sb.snap.index ? 1 + (data[3] & 1) : 0;
	sb.hs.term = 5;
	sb.hs.commit = sb.snap.index;
	/* start anywhere in lap 0..3, record block aligned */
	sb.log_start = (((u64)(data[4] & 3) << 20) |
		((u64)(data[5] | (data[6] & 0xf) << 8) << 12)) +
		(rb < 4096 ? (data[7] >> 1 & 7) * rb : 0);
	data += 8;
	size -= 8;

	head = sb.log_start;
	index = sb.snap.index + 1;
	prev_term = sb.snap.term;
	/* 8-byte record descriptors; the ring holds 16 blocks, so a few
	 * laps' worth is enough
	 */
	for (u32 k = 0; size >= 8 && k < 64; k++) {
		const u8 *d = data;
		struct raftblk_rec r;
		u64 pos;
		u32 blocks = d[1] & 7;

		memset(&r, 0, sizeof(r));
		r.nonce = CTX.nonce;
		r.epoch = d[5] & 3;
		r.term = prev_term + (d[3] & 1);
		if (!r.term)
			r.term = 1;
		r.index = index + (d[2] % 5 == 4 ? 1 : 0) - (d[2] % 5 == 3);
		r.prev_term = r.index == 1 ? 0 : prev_term + (d[3] >> 7);
		r.type = 1 + (d[0] & 3);
		if (d[0] & 0x40)
			r.type = RAFTBLK_REC_WRAP;
		if (r.type == RAFT_ENTRY_CONF) {
			r.cc.op = 1 + (d[0] >> 2 & 3);
			r.cc.id = 2;
		}
		if (r.type == RAFT_ENTRY_NORMAL && blocks) {
			r.data_len = blocks * 1024;
			r.len = r.data_len;
			r.sector = d[6];
			r.flags = d[0] >> 7;
		}
		pos = raftblk_ring_place(RING, head + (d[7] & 0x10 ?
						       (d[7] & 0xf) * 4096 : 0),
					 raftblk_rec_len(rb, r.data_len));
		r.lap = raftblk_ring_lap(RING, pos) - ((d[4] & 3) == 3);
		if (raftblk_ring_lap(RING, pos) == 0)
			r.lap = 0;
		if (pos != head && !(d[7] & 0x20)) {
			struct raftblk_rec w = r;

			w.type = RAFTBLK_REC_WRAP;
			memset(&w.cc, 0, sizeof(w.cc));
			w.sector = w.len = w.flags = w.data_len = 0;
			w.lap = raftblk_ring_lap(RING, head);
			raftblk_rec_encode(&w, &RCTX, ring +
					   raftblk_ring_off(RING, head), NULL);
		}
		if (raftblk_ring_off(RING, pos) + raftblk_rec_len(rb, r.data_len) <=
		    RING) {
			u8 *dd = ring + raftblk_ring_off(RING, pos) + rb;

			for (u32 i = 0; i < r.data_len; i++)
				dd[i] = (u8)(i * 31 + d[6]);
			r.data_crc = raftblk_crc32c(dd, r.data_len);
		}
		if (!raftblk_rec_encode(&r, &RCTX, ring + raftblk_ring_off(RING, pos),
					NULL)) {
			if (d[4] & 0x80)	/* corrupt one byte */
				ring[raftblk_ring_off(RING, pos) +
				     (d[6] * 97) % raftblk_rec_len(rb, r.data_len)]
					^= 1 + (d[4] & 0x7f);
			head = pos + raftblk_rec_len(rb, r.data_len);
			index = r.index + 1;
			prev_term = r.term;
		}
		data += 8;
		size -= 8;
	}

	sc.sb = &sb;
	sc.next = sb.snap.index + 1;
	sc.loads = 0;
	err = raftblk_ring_scan(&sb, &ops, &sc, buf, &res);
	CHECK(err == 0);
	CHECK(res.last_index == sb.snap.index + res.n_records);
	CHECK(res.n_records <= sc.loads);
	CHECK(res.head >= sb.log_start);
	CHECK(res.head - sb.log_start <= sb.log_size);
	CHECK(res.stop_why != NULL);
	CHECK(res.n_records <= RING / rb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_sb(data + 1, size - 1, data[0] & 0x80);
		break;
	case 1:
		fuzz_rec(data + 1, size - 1, data[0] & 0x80);
		break;
	default:
		fuzz_ring(data + 1, size - 1);
		break;
	}
	return 0;
}
