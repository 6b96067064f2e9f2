// SPDX-License-Identifier: GPL-2.0
/*
 * test_ondisk.c - userspace tests of the portable on-disk codec
 * (kernel/ondisk.c): round trips, documented offsets, every single-bit
 * corruption, every invalid field, torn superblocks and records, stale
 * records (older lap, truncated suffix, another format), ring placement
 * and space accounting, and a randomized crash model of the log.
 *
 * Prints TAP; exits non-zero when a test fails.
 * Usage: test_ondisk [SEED [ROUNDS]]
 */
#include <stdarg.h>
#include <inttypes.h>
#include <unistd.h>

#include "ondisk.h"
#include "portable.h"

/* ------------------------------------------------------------------ */
/* TAP                                                                */

static int n_test, n_fail;

/* Run expr first, then report (the reason string is set by expr). */
#define OK_AFTER(expr, ...)			\
	do {					\
		bool c_ = (expr);		\
		ok(c_, __VA_ARGS__);		\
	} while (0)

static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (!cond)
		n_fail++;
	printf("%sok %d - ", cond ? "" : "not ", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ------------------------------------------------------------------ */
/* Deterministic PRNG (xorshift64*)                                   */

static u64 rng_state = 88172645463325252ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

static void rnd_fill(void *buf, size_t len)
{
	u8 *p = buf;

	while (len--)
		*p++ = (u8)rnd();
}

/* Recompute the trailing crc32c of a 4 KiB block (superblock or record
 * header), so a field can be made invalid without tripping the checksum.
 */
static void refresh_crc(u8 *p)
{
	rb_put_le32(p + 4092, raftblk_crc32c(p, 4092));
}

/* ------------------------------------------------------------------ */
/* Superblock                                                         */

#define DEV_SIZE (64ULL << 20)

static void sample_sb(struct raftblk_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->seq = 7;
	for (int i = 0; i < RAFTBLK_UUID_LEN; i++)
		sb->uuid[i] = 0xa0 + i;
	sb->node_id = 2;
	sb->hs.term = 9;
	sb->hs.vote = 3;
	sb->hs.commit = 1000;
	sb->log_off = 1 << 20;
	sb->log_size = 16 << 20;
	sb->data_off = 17 << 20;
	sb->data_size = DEV_SIZE - (17 << 20);
	sb->log_nonce = 0x1122334455667788ULL;
	sb->log_epoch = 4;
	sb->epoch_index = 900;
	sb->log_start = (3ULL << 24) + 8192;
	sb->rec_block = 4096;
	sb->snap.index = 950;
	sb->snap.term = 8;
	sb->snap.conf.n = 3;
	for (u32 i = 0; i < 3; i++) {
		sb->snap.conf.nodes[i].id = i + 1;
		sb->snap.conf.nodes[i].role = i == 2 ? RAFT_LEARNER : RAFT_VOTER;
		snprintf((char *)sb->snap.conf.nodes[i].addr, RAFT_ADDR_LEN,
			 "10.0.0.%u:7789", i + 1);
	}
}

static bool sb_equal(const struct raftblk_sb *a, const struct raftblk_sb *b)
{
	if (a->seq != b->seq || memcmp(a->uuid, b->uuid, RAFTBLK_UUID_LEN) ||
	    a->node_id != b->node_id || a->hs.term != b->hs.term ||
	    a->hs.vote != b->hs.vote || a->hs.commit != b->hs.commit ||
	    a->log_off != b->log_off || a->log_size != b->log_size ||
	    a->data_off != b->data_off || a->data_size != b->data_size ||
	    a->log_nonce != b->log_nonce || a->log_epoch != b->log_epoch ||
	    a->epoch_index != b->epoch_index ||
	    a->log_start != b->log_start ||
	    a->snap.index != b->snap.index || a->snap.term != b->snap.term ||
	    a->snap.conf.n != b->snap.conf.n)
		return false;
	for (u32 i = 0; i < a->snap.conf.n; i++) {
		const struct raft_node *x = &a->snap.conf.nodes[i];
		const struct raft_node *y = &b->snap.conf.nodes[i];

		if (x->id != y->id || x->role != y->role ||
		    memcmp(x->addr, y->addr, RAFT_ADDR_LEN))
			return false;
	}
	return true;
}

static void test_sb_roundtrip(void)
{
	struct raftblk_sb sb, out;
	u8 buf[RAFTBLK_SB_SIZE];
	const char *why = NULL;
	int err;

	sample_sb(&sb);
	err = raftblk_sb_encode(&sb, buf, &why);
	ok(err == 0, "superblock encodes (%s)", why ? why : "-");
	err = raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why);
	ok(err == 0 && sb_equal(&sb, &out), "superblock round trip (%s)",
	   err ? why : "-");

	/* Offsets as documented in Documentation/on-disk-format.rst. */
	ok(!memcmp(buf, "RAFTBLK\x01", 8) && rb_get_le32(buf + 8) == 1 &&
	   rb_get_le32(buf + 12) == 4096 && rb_get_le64(buf + 16) == sb.seq &&
	   buf[24] == 0xa0 && buf[39] == 0xaf && rb_get_le64(buf + 40) == 2 &&
	   rb_get_le64(buf + 48) == 9 && rb_get_le64(buf + 56) == 3 &&
	   rb_get_le64(buf + 64) == 1000 && rb_get_le64(buf + 72) == 1 << 20 &&
	   rb_get_le64(buf + 80) == 16 << 20 && rb_get_le64(buf + 88) == 17 << 20 &&
	   rb_get_le64(buf + 96) == sb.data_size &&
	   rb_get_le64(buf + 104) == sb.log_nonce && rb_get_le64(buf + 112) == 4 &&
	   rb_get_le64(buf + 120) == 900 && rb_get_le64(buf + 128) == sb.log_start &&
	   rb_get_le64(buf + 136) == 950 && rb_get_le64(buf + 144) == 8 &&
	   rb_get_le32(buf + 152) == 0 && rb_get_le32(buf + 156) == 3 &&
	   rb_get_le64(buf + 160) == 1 && buf[168] == RAFT_VOTER &&
	   !memcmp(buf + 176, "10.0.0.1:7789", 14) &&
	   rb_get_le64(buf + 240) == 2 && rb_get_le64(buf + 320) == 3 &&
	   buf[328] == RAFT_LEARNER &&
	   rb_get_le32(buf + 4092) == raftblk_crc32c(buf, 4092),
	   "superblock fields at their documented offsets");

	/* Every single-bit flip anywhere in the slot is detected. */
	u32 missed = 0;

	for (u32 bit = 0; bit < RAFTBLK_SB_SIZE * 8; bit++) {
		buf[bit / 8] ^= 1 << (bit % 8);
		if (!raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why))
			missed++;
		buf[bit / 8] ^= 1 << (bit % 8);
	}
	ok(missed == 0, "superblock: all %u single-bit flips detected (%u missed)",
	   RAFTBLK_SB_SIZE * 8, missed);

	/* Random multi-byte corruption. */
	missed = 0;
	for (int i = 0; i < 2000; i++) {
		u8 c[RAFTBLK_SB_SIZE];
		u32 off = rnd_below(sizeof(c) - 16);

		memcpy(c, buf, sizeof(c));
		rnd_fill(c + off, 1 + rnd_below(16));
		if (memcmp(c, buf, sizeof(c)) &&
		    !raftblk_sb_decode(c, sizeof(c), DEV_SIZE, &out, &why))
			missed++;
	}
	ok(missed == 0, "superblock: random burst corruptions detected");

	OK_AFTER(raftblk_sb_decode(buf, sizeof(buf) - 1, DEV_SIZE, &out, &why) ==
	   -EBADMSG, "superblock: short buffer refused");
	memset(buf, 0, sizeof(buf));
	OK_AFTER(raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why) ==
	   -EBADMSG, "superblock: zeroed slot refused (%s)", why);
}

/* A field made invalid with a valid checksum must still be refused. */
struct sb_mut {
	const char *name;
	u32 off;
	u32 width;	/* 1, 4 or 8 */
	u64 value;
	int want;	/* expected error */
};

/* The resyncing mark survives a round trip at its documented offset. */
static void test_sb_resyncing(void)
{
	struct raftblk_sb sb, out;
	u8 buf[RAFTBLK_SB_SIZE];
	const char *why = NULL;

	sample_sb(&sb);
	sb.flags = RAFTBLK_SB_F_RESYNCING;
	sb.resync_base = 777;
	ok(!raftblk_sb_encode(&sb, buf, &why) && rb_get_le32(buf + 152) == 1 &&
	   rb_get_le64(buf + 1440) == 777,
	   "superblock: resyncing mark is bit 0 of flags at 152, its base at 1440");
	ok(!raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why) &&
	   out.flags == RAFTBLK_SB_F_RESYNCING && out.resync_base == 777,
	   "superblock: resyncing mark and base decoded");
	sb.flags = 0;
	OK_AFTER(raftblk_sb_encode(&sb, buf, &why) == -EINVAL,
	   "superblock: encoder refuses a resync base without the mark (%s)", why);
	sb.resync_base = 0;
	sb.flags = 4;
	OK_AFTER(raftblk_sb_encode(&sb, buf, &why) == -EINVAL,
	   "superblock: encoder refuses an unknown flag (%s)", why);
}

/* The index of the last copy installed, at its documented offset. */
static void test_sb_copy_index(void)
{
	struct raftblk_sb sb, out;
	u8 buf[RAFTBLK_SB_SIZE];
	const char *why = NULL;

	sample_sb(&sb);
	sb.copy_index = sb.hs.commit;
	ok(!raftblk_sb_encode(&sb, buf, &why) &&
	   rb_get_le64(buf + 1448) == sb.hs.commit,
	   "superblock: copy index at 1448");
	ok(!raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why) &&
	   out.copy_index == sb.hs.commit,
	   "superblock: copy index decoded");
	sb.copy_index = sb.hs.commit + 1;
	OK_AFTER(raftblk_sb_encode(&sb, buf, &why) == -EINVAL,
	   "superblock: encoder refuses a copy index beyond commit (%s)", why);
}

/*
 * The record block: 4 KiB is version 1 (no field, a disk an older module
 * reads); smaller ones are version 2 with the field at 1456.
 */
static void test_sb_rec_block(void)
{
	static const u32 bad[] = { 0, 256, 768, 8192 };
	struct raftblk_sb sb, out;
	u8 buf[RAFTBLK_SB_SIZE];
	const char *why = NULL;

	sample_sb(&sb);
	ok(!raftblk_sb_encode(&sb, buf, &why) && rb_get_le32(buf + 8) == 1 &&
	   rb_get_le32(buf + 1456) == 0 &&
	   !raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why) &&
	   out.rec_block == 4096,
	   "superblock: 4 KiB record blocks are version 1, no field");
	for (u32 b = 512; b < 4096; b *= 2) {
		sb.rec_block = b;
		ok(!raftblk_sb_encode(&sb, buf, &why) &&
		   rb_get_le32(buf + 8) == 2 && rb_get_le32(buf + 1456) == b &&
		   !raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out, &why) &&
		   out.rec_block == b,
		   "superblock: %u-byte record blocks are version 2, field at 1456",
		   b);
	}
	for (u32 i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sb.rec_block = bad[i];
		OK_AFTER(raftblk_sb_encode(&sb, buf, &why) == -EINVAL,
		   "superblock: encoder refuses a %u-byte record block (%s)",
		   bad[i], why);
	}
	/* Version 2 with each bad value, and with 4096 (never written). */
	sb.rec_block = 512;
	raftblk_sb_encode(&sb, buf, NULL);
	for (u32 i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		u32 v = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : 4096;

		rb_put_le32(buf + 1456, v);
		refresh_crc(buf);
		OK_AFTER(raftblk_sb_decode(buf, sizeof(buf), DEV_SIZE, &out,
					   &why) == -EBADMSG,
		   "superblock: version 2 with a %u-byte record block refused (%s)",
		   v, why);
	}
	/* Positions are multiples of the record block. */
	sample_sb(&sb);
	sb.rec_block = 1024;
	sb.log_start += 512;
	OK_AFTER(raftblk_sb_encode(&sb, buf, &why) == -EINVAL,
	   "superblock: log start off a record block refused (%s)", why);
	sb.rec_block = 512;
	why = NULL;
	ok(!raftblk_sb_encode(&sb, buf, &why),
	   "superblock: log start on a 512-byte record block accepted (%s)",
	   why ? why : "-");
}

/* Extent map: geometry, round trip, corruption, foreign geometry. */
static void test_emap(void)
{
	struct raftblk_emap_geo geo, g2;
	struct raftblk_emap_hdr h, out;
	static u8 arr[1 << 16];
	static u64 v[8192], w[8192];
	u8 hb[RAFTBLK_EMAP_HDR_SIZE];
	const char *why = NULL;
	u32 i, missed;

	ok(!raftblk_emap_geometry(1 << 20, 512ULL << 20, &geo) &&
	   geo.shift == 20 && geo.n == 512 && geo.array_len == 4096 &&
	   geo.slot_off[0] == 8192 && geo.slot_off[1] == 8192 + 520192 &&
	   geo.slot_off[1] + geo.slot_size <= (1 << 20),
	   "extent map: 512 MiB data area, 1 MiB log offset: 512 extents of 1 MiB, two slots before the log");
	ok(!raftblk_emap_geometry(1 << 20, 1ULL << 40, &g2) && g2.shift == 25 &&
	   g2.n == 32768 && g2.slot_off[1] + g2.slot_size <= (1 << 20),
	   "extent map: 1 TiB data area uses 32 MiB extents (%u)", g2.shift);
	ok(!raftblk_emap_geometry(1 << 20, 5000, &g2) && g2.n == 1,
	   "extent map: a data area smaller than an extent has one");
	ok(raftblk_emap_geometry(8192 + 4096, 1 << 20, &g2) ==
	   -ENOSPC, "extent map: no room before the log: no map");

	for (i = 0; i < geo.n; i++)
		v[i] = rnd_below(1000000);
	raftblk_emap_array_encode(v, geo.n, arr, geo.array_len);
	memset(&h, 0, sizeof(h));
	h.seq = 7;
	h.data_size = 512ULL << 20;
	h.shift = geo.shift;
	h.n = geo.n;
	h.index = 4242;
	h.array_crc = raftblk_crc32c(arr, geo.array_len);
	ok(!raftblk_emap_hdr_encode(&h, hb, &why) && !memcmp(hb, "RAFTMAP\x01", 8) &&
	   rb_get_le32(hb + 8) == 1 && rb_get_le32(hb + 12) == 20 &&
	   rb_get_le64(hb + 16) == 7 && rb_get_le64(hb + 24) == h.data_size &&
	   rb_get_le32(hb + 32) == 512 && rb_get_le32(hb + 36) == h.array_crc &&
	   rb_get_le64(hb + 40) == 4242 &&
	   rb_get_le32(hb + 4092) == raftblk_crc32c(hb, 4092),
	   "extent map: header fields at their documented offsets");
	ok(!raftblk_emap_hdr_decode(hb, sizeof(hb), &geo, h.data_size, &out,
				    &why) && out.seq == 7 && out.index == 4242 &&
	   out.array_crc == h.array_crc,
	   "extent map: header round trip");
	ok(!raftblk_emap_array_decode(arr, geo.array_len, geo.n, h.array_crc,
				      w, &why) &&
	   !memcmp(v, w, geo.n * sizeof(v[0])),
	   "extent map: array round trip");
	missed = 0;
	for (u32 bit = 0; bit < RAFTBLK_EMAP_HDR_SIZE * 8; bit++) {
		hb[bit / 8] ^= 1 << (bit % 8);
		if (!raftblk_emap_hdr_decode(hb, sizeof(hb), &geo, h.data_size,
					     &out, &why))
			missed++;
		hb[bit / 8] ^= 1 << (bit % 8);
	}
	ok(missed == 0, "extent map: every single-bit flip of the header detected");
	missed = 0;
	for (u32 bit = 0; bit < geo.array_len * 8; bit += 7) {
		arr[bit / 8] ^= 1 << (bit % 8);
		if (!raftblk_emap_array_decode(arr, geo.array_len, geo.n,
					       h.array_crc, w, &why))
			missed++;
		arr[bit / 8] ^= 1 << (bit % 8);
	}
	ok(missed == 0, "extent map: array bit flips detected");
	OK_AFTER(raftblk_emap_hdr_decode(hb, sizeof(hb), &geo, 256ULL << 20,
					 &out, &why) == -EBADMSG,
	   "extent map: map of another data size refused (%s)", why);
	memset(hb, 0, sizeof(hb));
	OK_AFTER(raftblk_emap_hdr_decode(hb, sizeof(hb), &geo, h.data_size,
					 &out, &why) == -EBADMSG,
	   "extent map: zeroed slot (a device formatted before the map) refused (%s)",
	   why);
}

static void test_sb_fields(void)
{
	static const struct sb_mut muts[] = {
		{ "version 3", 8, 4, 3, -EBADMSG },
		{ "record block in version 1", 1456, 4, 512, -EBADMSG },
		{ "length 4095", 12, 4, 4095, -EBADMSG },
		{ "sequence 0", 16, 8, 0, -EBADMSG },
		{ "node id 0", 40, 8, 0, -EBADMSG },
		{ "commit below compaction point", 64, 8, 949, -EBADMSG },
		{ "term below compaction term", 48, 8, 7, -EBADMSG },
		{ "log offset inside superblocks", 72, 8, 4096, -EBADMSG },
		{ "log offset unaligned", 72, 8, (1 << 20) + 512, -EBADMSG },
		{ "log size too small", 80, 8, 4096, -EBADMSG },
		{ "log size unaligned", 80, 8, (16 << 20) + 512, -EBADMSG },
		{ "log size huge", 80, 8, ~0ULL & ~4095ULL, -EBADMSG },
		{ "data area overlaps log", 88, 8, 16 << 20, -EBADMSG },
		{ "data size 0", 96, 8, 0, -EBADMSG },
		{ "data area beyond device", 96, 8, DEV_SIZE, -EINVAL },
		{ "data size wraps", 96, 8, ~0ULL & ~4095ULL, -EBADMSG },
		{ "log start overflows", 128, 8, ~0ULL - 4096, -EBADMSG },
		{ "compaction index without term", 144, 8, 0, -EBADMSG },
		{ "unknown flag", 152, 4, 2, -EBADMSG },
		{ "resync base without the mark", 1440, 8, 5, -EBADMSG },
		{ "17 nodes", 156, 4, 17, -EBADMSG },
		{ "n below used slots", 156, 4, 2, -EBADMSG },
		{ "node id 0 in conf", 160, 8, 0, -EBADMSG },
		{ "duplicate node id", 240, 8, 1, -EBADMSG },
		{ "unknown role", 168, 1, 3, -EBADMSG },
		{ "node reserved byte", 170, 1, 1, -EBADMSG },
		{ "unused conf slot", 160 + 3 * 80, 8, 4, -EBADMSG },
		{ "reserved tail", 2000, 1, 1, -EBADMSG },
		{ "magic", 0, 1, 'X', -EBADMSG },
	};
	struct raftblk_sb sb, out;
	u8 buf[RAFTBLK_SB_SIZE], c[RAFTBLK_SB_SIZE];
	const char *why;

	sample_sb(&sb);
	raftblk_sb_encode(&sb, buf, NULL);
	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		const struct sb_mut *m = &muts[i];
		int err;

		memcpy(c, buf, sizeof(c));
		if (m->width == 1)
			c[m->off] = m->value;
		else if (m->width == 4)
			rb_put_le32(c + m->off, m->value);
		else
			rb_put_le64(c + m->off, m->value);
		refresh_crc(c);
		why = NULL;
		err = raftblk_sb_decode(c, sizeof(c), DEV_SIZE, &out, &why);
		ok(err == m->want && why, "superblock: %s refused: %d (%s)",
		   m->name, err, why ? why : "no reason");
	}

	/* The encoder refuses what the decoder would refuse. */
	struct raftblk_sb bad;

	bad = sb;
	bad.node_id = 0;
	OK_AFTER(raftblk_sb_encode(&bad, c, &why) == -EINVAL,
	   "superblock: encoder refuses node id 0 (%s)", why);
	bad = sb;
	bad.snap.conf.nodes[1].id = 1;
	OK_AFTER(raftblk_sb_encode(&bad, c, &why) == -EINVAL,
	   "superblock: encoder refuses duplicate member (%s)", why);
	bad = sb;
	bad.snap.conf.n = RAFT_MAX_NODES + 1;
	OK_AFTER(raftblk_sb_encode(&bad, c, &why) == -EINVAL,
	   "superblock: encoder refuses too many members (%s)", why);
	bad = sb;
	bad.data_off = bad.log_off;
	OK_AFTER(raftblk_sb_encode(&bad, c, &why) == -EINVAL,
	   "superblock: encoder refuses overlapping areas (%s)", why);
	OK_AFTER(raftblk_sb_decode(buf, sizeof(buf), 32 << 20, &out, &why) ==
	   -EINVAL, "superblock: refused on a smaller device (%s)",
	   why);
}

static void test_sb_pick(void)
{
	struct raftblk_sb a, b, out;
	u8 area[RAFTBLK_SB_AREA], torn[RAFTBLK_SB_AREA];
	const char *why = NULL;
	u32 slot = 9;
	int err;

	sample_sb(&a);
	b = a;
	b.seq = a.seq + 1;
	b.hs.term = a.hs.term + 1;
	raftblk_sb_encode(&a, area, NULL);
	raftblk_sb_encode(&b, area + RAFTBLK_SB_SIZE, NULL);
	err = raftblk_sb_pick(area, sizeof(area), DEV_SIZE, &out, &slot, &why);
	ok(!err && slot == 1 && out.seq == b.seq && out.hs.term == b.hs.term,
	   "pick: higher sequence in slot 1 wins");

	raftblk_sb_encode(&b, area, NULL);
	raftblk_sb_encode(&a, area + RAFTBLK_SB_SIZE, NULL);
	err = raftblk_sb_pick(area, sizeof(area), DEV_SIZE, &out, &slot, &why);
	ok(!err && slot == 0 && out.seq == b.seq, "pick: higher sequence in slot 0 wins");

	/* Torn update of slot 0 (the newer one): every split point of a
	 * 512-byte-sector granular write falls back to slot 1.
	 */
	u8 newer[RAFTBLK_SB_SIZE];
	bool all = true;

	b.seq = a.seq + 2;
	raftblk_sb_encode(&b, newer, NULL);
	for (u32 cut = 512; cut < RAFTBLK_SB_SIZE; cut += 512) {
		memcpy(torn, area, sizeof(torn));
		memcpy(torn, newer, cut);	/* first sectors new, rest old */
		err = raftblk_sb_pick(torn, sizeof(torn), DEV_SIZE, &out, &slot,
				      &why);
		if (err || slot != 1 || out.seq != a.seq)
			all = false;
		memcpy(torn, area, sizeof(torn));
		memcpy(torn + cut, newer + cut, RAFTBLK_SB_SIZE - cut);
		err = raftblk_sb_pick(torn, sizeof(torn), DEV_SIZE, &out, &slot,
				      &why);
		if (err || slot != 1 || out.seq != a.seq)
			all = false;
	}
	ok(all, "pick: torn superblock update leaves the previous one in force");

	memset(torn, 0, sizeof(torn));
	OK_AFTER(raftblk_sb_pick(torn, sizeof(torn), DEV_SIZE, &out, &slot, &why) ==
	   -EBADMSG, "pick: no valid slot refused (%s)", why);

	raftblk_sb_encode(&a, area, NULL);
	raftblk_sb_encode(&a, area + RAFTBLK_SB_SIZE, NULL);
	OK_AFTER(raftblk_sb_pick(area, sizeof(area), DEV_SIZE, &out, &slot, &why) ==
	   -EBADMSG, "pick: equal sequence numbers refused (%s)", why);

	b = a;
	b.seq++;
	b.node_id = 5;
	raftblk_sb_encode(&b, area + RAFTBLK_SB_SIZE, NULL);
	OK_AFTER(raftblk_sb_pick(area, sizeof(area), DEV_SIZE, &out, &slot, &why) ==
	   -EBADMSG, "pick: slots of different nodes refused (%s)",
	   why);

	memset(area + RAFTBLK_SB_SIZE, 0xff, RAFTBLK_SB_SIZE);
	err = raftblk_sb_pick(area, sizeof(area), DEV_SIZE, &out, &slot, &why);
	ok(!err && slot == 0 && out.seq == a.seq,
	   "pick: one valid slot is enough");
}

static void test_layout(void)
{
	u64 lo, ls, dof, ds;
	const char *why = NULL;
	int err;

	err = raftblk_layout_default(1ULL << 30, 0, &lo, &ls, &dof, &ds, &why);
	ok(!err && lo == 1 << 20 && ls == 64 << 20 && dof == 65 << 20 &&
	   ds == (1ULL << 30) - (65 << 20),
	   "layout: 1 GiB device gets a 64 MiB log (%s)", err ? why : "-");
	err = raftblk_layout_default(64ULL << 20, 0, &lo, &ls, &dof, &ds, &why);
	ok(!err && ls == 16 << 20 && dof == 17 << 20 &&
	   ds == (64ULL << 20) - (17 << 20), "layout: small device, 16 MiB log");
	err = raftblk_layout_default(1ULL << 40, 0, &lo, &ls, &dof, &ds, &why);
	ok(!err && ls == 1 << 30, "layout: log capped at 1 GiB");
	err = raftblk_layout_default((1ULL << 30) + 123 * 512, 4 << 20, &lo,
				     &ls, &dof, &ds, &why);
	ok(!err && ls == 4 << 20 && dof == 5 << 20 && !(ds & 4095) &&
	   dof + ds <= (1ULL << 30) + 123 * 512,
	   "layout: explicit log size, data size rounded down to 4 KiB");
	OK_AFTER(raftblk_layout_default(17 << 20, 0, &lo, &ls, &dof, &ds, &why) ==
	   -ENOSPC, "layout: device too small refused (%s)", why);
	OK_AFTER(raftblk_layout_default(1ULL << 30, 12345, &lo, &ls, &dof, &ds,
				  &why) == -EINVAL,
	   "layout: unaligned log size refused (%s)", why);
}

/* ------------------------------------------------------------------ */
/* Records                                                            */

/*
 * The record block the record, ring and model tests run with (main()
 * runs them once per record block); CTX follows it.
 */
static u32 blk = 4096;

static struct raftblk_rec_ctx CTX = {
	.log_size = 16 << 20,
	.data_size = 1ULL << 30,
	.nonce = 0xfeedfacecafebeefULL,
	.rec_block = 4096,
};

static void set_rec_block(u32 b)
{
	blk = b;
	CTX.rec_block = b;
	diag("record block %u", b);
}

/* The header crc of a record block in buf. */
static void rec_refresh_crc(u8 *p)
{
	rb_put_le32(p + blk - 4, raftblk_crc32c(p, blk - 4));
}

static void sample_rec(struct raftblk_rec *r, u8 type)
{
	memset(r, 0, sizeof(*r));
	r->nonce = CTX.nonce;
	r->epoch = 3;
	r->lap = 5;
	r->index = 1234;
	r->term = 7;
	r->prev_term = 6;
	r->type = type;
	if (type == RAFT_ENTRY_CONF) {
		r->cc.op = RAFT_CONF_ADD_LEARNER;
		r->cc.id = 4;
		memcpy(r->cc.addr, "10.0.0.4:7789", 13);
	}
	if (type == RAFT_ENTRY_BARRIER) {
		r->mark.op = 1;
		r->mark.arg = 0x0102030405060708ULL;
		memcpy(r->mark.data, "nightly", 7);
		r->mark.data[RAFT_ADDR_LEN - 1] = 0xff;
	}
	if (type == RAFT_ENTRY_NORMAL) {
		r->sector = 2048;
		r->len = 8192;
		r->flags = RAFTBLK_REC_F_FUA;
		r->data_len = 8192;
		r->data_crc = 0x12345678;
	}
}

static bool rec_equal(const struct raftblk_rec *a, const struct raftblk_rec *b)
{
	return a->rec_len == b->rec_len && a->data_len == b->data_len &&
		a->data_crc == b->data_crc && a->nonce == b->nonce &&
		a->epoch == b->epoch && a->lap == b->lap &&
		a->index == b->index && a->term == b->term &&
		a->prev_term == b->prev_term && a->type == b->type &&
		a->cc.op == b->cc.op && a->cc.id == b->cc.id &&
		!memcmp(a->cc.addr, b->cc.addr, RAFT_ADDR_LEN) &&
		a->sector == b->sector && a->len == b->len &&
		a->flags == b->flags;
}

static void test_rec_roundtrip(void)
{
	static const u8 types[] = { RAFT_ENTRY_NORMAL, RAFT_ENTRY_NOOP,
				    RAFT_ENTRY_CONF, RAFT_ENTRY_BARRIER };
	u8 buf[RAFTBLK_REC_BLOCK_MAX];
	struct raftblk_rec r, out;
	const char *why = NULL;

	for (size_t t = 0; t < sizeof(types); t++) {
		int err;

		sample_rec(&r, types[t]);
		err = raftblk_rec_encode(&r, &CTX, buf, &why);
		r.rec_len = raftblk_rec_len(blk, r.data_len);
		if (!err)
			err = raftblk_rec_decode(buf, blk, &CTX, &out, &why);
		ok(!err && rec_equal(&r, &out), "record type %u round trip (%s)",
		   types[t], err ? why : "-");
	}

	/* Discard / write-zeroes: no data. */
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	r.flags = RAFTBLK_REC_F_DISCARD;
	r.len = 1 << 30;
	r.sector = 0;
	r.data_len = 0;
	r.data_crc = 0;
	ok(!raftblk_rec_encode(&r, &CTX, buf, &why) &&
	   !raftblk_rec_decode(buf, blk, &CTX, &out, &why) &&
	   out.len == 1U << 30 && out.rec_len == blk,
	   "record: discard of the whole data area round trips");

	/* Documented offsets. */
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	raftblk_rec_encode(&r, &CTX, buf, NULL);
	ok(!memcmp(buf, "RAFTREC\x01", 8) && rb_get_le32(buf + 8) == blk + 8192 &&
	   rb_get_le32(buf + 12) == 8192 && rb_get_le64(buf + 16) == CTX.nonce &&
	   rb_get_le64(buf + 24) == 3 && rb_get_le64(buf + 32) == 5 &&
	   rb_get_le64(buf + 40) == 1234 && rb_get_le64(buf + 48) == 7 &&
	   rb_get_le64(buf + 56) == 6 && buf[64] == RAFT_ENTRY_NORMAL &&
	   buf[65] == 0 && rb_get_le32(buf + 68) == 0x12345678 &&
	   rb_get_le64(buf + 144) == 2048 && rb_get_le32(buf + 152) == 8192 &&
	   rb_get_le32(buf + 156) == RAFTBLK_REC_F_FUA &&
	   rb_get_le32(buf + blk - 4) == raftblk_crc32c(buf, blk - 4),
	   "record fields at their documented offsets");
	sample_rec(&r, RAFT_ENTRY_CONF);
	raftblk_rec_encode(&r, &CTX, buf, NULL);
	ok(buf[64] == RAFT_ENTRY_CONF && buf[65] == RAFT_CONF_ADD_LEARNER &&
	   rb_get_le64(buf + 72) == 4 && !memcmp(buf + 80, "10.0.0.4:7789", 13),
	   "conf change fields at their documented offsets");
	sample_rec(&r, RAFT_ENTRY_BARRIER);
	raftblk_rec_encode(&r, &CTX, buf, NULL);
	ok(buf[64] == RAFT_ENTRY_BARRIER && buf[65] == 1 &&
	   rb_get_le64(buf + 72) == 0x0102030405060708ULL &&
	   !memcmp(buf + 80, "nightly", 7) && buf[143] == 0xff,
	   "barrier marker fields at their documented offsets");

	/* Every bit flip in the header block is detected. */
	u32 missed = 0;

	sample_rec(&r, RAFT_ENTRY_NORMAL);
	raftblk_rec_encode(&r, &CTX, buf, NULL);
	for (u32 bit = 0; bit < blk * 8; bit++) {
		buf[bit / 8] ^= 1 << (bit % 8);
		if (!raftblk_rec_decode(buf, blk, &CTX, &out, &why))
			missed++;
		buf[bit / 8] ^= 1 << (bit % 8);
	}
	ok(missed == 0, "record: all %u single-bit flips in the header detected",
	   blk * 8);

	/* Torn header: any 512-byte sector prefix/suffix of a new header
	 * over an old one is refused.
	 */
	u8 old[RAFTBLK_REC_BLOCK_MAX], torn[RAFTBLK_REC_BLOCK_MAX];
	bool all = true;

	sample_rec(&r, RAFT_ENTRY_NOOP);
	raftblk_rec_encode(&r, &CTX, old, NULL);
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	r.index = 2000;
	raftblk_rec_encode(&r, &CTX, buf, NULL);
	for (u32 cut = 512; cut < blk; cut += 512) {
		memcpy(torn, old, blk);
		memcpy(torn, buf, cut);
		if (!raftblk_rec_decode(torn, blk, &CTX, &out, &why))
			all = false;
		memcpy(torn, buf, blk);
		memcpy(torn, old, cut);
		if (!raftblk_rec_decode(torn, blk, &CTX, &out, &why))
			all = false;
	}
	ok(all, "record: torn header (old/new sectors mixed) refused");

	OK_AFTER(raftblk_rec_decode(buf, blk - 1, &CTX, &out, &why) ==
	   -EBADMSG, "record: short buffer refused");
	struct raftblk_rec_ctx other = CTX;

	other.nonce++;
	OK_AFTER(raftblk_rec_decode(buf, blk, &other, &out, &why) ==
	   -EBADMSG, "record: another log's record refused (%s)",
	   why);
	/* Read with the other record block: refused, whichever way. */
	other = CTX;
	other.rec_block = blk == 4096 ? 512 : 4096;
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	raftblk_rec_encode(&r, &CTX, buf, NULL);
	OK_AFTER(raftblk_rec_decode(buf, RAFTBLK_REC_BLOCK_MAX, &other, &out,
				    &why) == -EBADMSG,
	   "record: a %u-byte record block's header read as %u refused (%s)",
	   blk, other.rec_block, why);
	other.rec_block = 768;
	OK_AFTER(raftblk_rec_decode(buf, RAFTBLK_REC_BLOCK_MAX, &other, &out,
				    &why) == -EINVAL &&
		 raftblk_rec_encode(&r, &other, buf, &why) == -EINVAL,
	   "record: a record block that is no power of two refused (%s)", why);
}

struct rec_mut {
	const char *name;
	u8 type;	/* base record */
	u32 off;
	u32 width;
	u64 value;
};

static void test_rec_fields(void)
{
	static const struct rec_mut muts[] = {
		{ "record length + 4 KiB", RAFT_ENTRY_NORMAL, 8, 4, 0 },
		{ "record length 0", RAFT_ENTRY_NOOP, 8, 4, 0 },
		{ "data length odd", RAFT_ENTRY_NORMAL, 12, 4, 8191 },
		{ "data length over 1 MiB", RAFT_ENTRY_NORMAL, 12, 4, 2 << 20 },
		{ "data length in a noop", RAFT_ENTRY_NOOP, 12, 4, 512 },
		{ "lap overflow", RAFT_ENTRY_NOOP, 32, 8, ~0ULL },
		{ "index 0", RAFT_ENTRY_NOOP, 40, 8, 0 },
		{ "index max", RAFT_ENTRY_NOOP, 40, 8, ~0ULL },
		{ "term 0", RAFT_ENTRY_NOOP, 48, 8, 0 },
		{ "previous term above term", RAFT_ENTRY_NOOP, 56, 8, 8 },
		{ "previous term 0 after index 1", RAFT_ENTRY_NOOP, 56, 8, 0 },
		{ "type 0", RAFT_ENTRY_NOOP, 64, 1, 0 },
		{ "type 5", RAFT_ENTRY_NOOP, 64, 1, 5 },
		{ "conf op in a noop", RAFT_ENTRY_NOOP, 65, 1, 1 },
		{ "conf op 0", RAFT_ENTRY_CONF, 65, 1, 0 },
		{ "conf op 5", RAFT_ENTRY_CONF, 65, 1, 5 },
		{ "conf node 0", RAFT_ENTRY_CONF, 72, 8, 0 },
		{ "marker argument in a noop", RAFT_ENTRY_NOOP, 72, 8, 3 },
		{ "marker data in a normal entry", RAFT_ENTRY_NORMAL, 140, 1, 1 },
		{ "payload length in a barrier", RAFT_ENTRY_BARRIER, 152, 4, 512 },
		{ "conf address in a normal entry", RAFT_ENTRY_NORMAL, 90, 1, 'x' },
		{ "reserved byte 66", RAFT_ENTRY_NOOP, 66, 1, 1 },
		{ "reserved tail", RAFT_ENTRY_NOOP, 0, 1, 1 },	/* blk - 5 */
		{ "data crc without data", RAFT_ENTRY_NOOP, 68, 4, 1 },
		{ "sector in a noop", RAFT_ENTRY_NOOP, 144, 8, 1 },
		{ "payload length unaligned", RAFT_ENTRY_NORMAL, 152, 4, 8000 },
		{ "payload length differs from data", RAFT_ENTRY_NORMAL, 152, 4, 4096 },
		{ "unknown payload flag", RAFT_ENTRY_NORMAL, 156, 4, 8 },
		{ "discard with data", RAFT_ENTRY_NORMAL, 156, 4,
		  RAFTBLK_REC_F_DISCARD },
		{ "discard and write-zeroes", RAFT_ENTRY_NORMAL, 156, 4,
		  RAFTBLK_REC_F_DISCARD | RAFTBLK_REC_F_WRITE_ZEROES },
		{ "payload beyond data area", RAFT_ENTRY_NORMAL, 144, 8,
		  (1ULL << 21) - 8 },
		{ "payload sector huge", RAFT_ENTRY_NORMAL, 144, 8, ~0ULL },
		{ "nonce", RAFT_ENTRY_NOOP, 16, 8, 1 },
	};
	u8 buf[RAFTBLK_REC_BLOCK_MAX];
	struct raftblk_rec r, out;
	const char *why;

	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		const struct rec_mut *m = &muts[i];
		u32 off = m->off;
		u64 value = m->value;
		int err;

		/* the two mutations that depend on the record block */
		if (!strcmp(m->name, "reserved tail"))
			off = blk - 5;
		if (!strcmp(m->name, "record length + 4 KiB"))
			value = raftblk_rec_len(blk, 8192) + 4096;
		sample_rec(&r, m->type);
		if (raftblk_rec_encode(&r, &CTX, buf, &why)) {
			ok(false, "record: base for %s encodes (%s)", m->name, why);
			continue;
		}
		if (m->width == 1)
			buf[off] = value;
		else if (m->width == 4)
			rb_put_le32(buf + off, value);
		else
			rb_put_le64(buf + off, value);
		rec_refresh_crc(buf);
		why = NULL;
		err = raftblk_rec_decode(buf, blk, &CTX, &out, &why);
		ok(err == -EBADMSG && why, "record: %s refused (%s)",
		   m->name, why ? why : "no reason");
	}

	/* Encoder refusals. */
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	r.data_len = 3 << 20;
	OK_AFTER(raftblk_rec_encode(&r, &CTX, buf, &why) == -EINVAL,
	   "record: encoder refuses 3 MiB of data (%s)", why);
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	r.nonce = 1;
	OK_AFTER(raftblk_rec_encode(&r, &CTX, buf, &why) == -EINVAL,
	   "record: encoder refuses a foreign nonce (%s)", why);
	sample_rec(&r, 9);
	OK_AFTER(raftblk_rec_encode(&r, &CTX, buf, &why) == -EINVAL,
	   "record: encoder refuses an unknown type (%s)", why);
	struct raftblk_rec_ctx tiny = CTX;

	tiny.log_size = 8192;
	sample_rec(&r, RAFT_ENTRY_NORMAL);
	OK_AFTER(raftblk_rec_encode(&r, &tiny, buf, &why) == -EINVAL,
	   "record: encoder refuses a record longer than the ring (%s)", why);
}

/* ------------------------------------------------------------------ */
/* Ring placement                                                     */

static void test_ring_math(void)
{
	const u64 L = 1 << 20;
	u64 end = 0;

	ok(raftblk_ring_place(L, 0, 4096) == 0 &&
	   raftblk_ring_place(L, L - 8192, 8192) == L - 8192 &&
	   raftblk_ring_place(L, L - 8192, 12288) == L &&
	   raftblk_ring_place(L, 3 * L + 4096, L) == 4 * L,
	   "ring: records never cross the end of the ring");
	ok(!raftblk_ring_reserve(L, 0, 0, L, &end) && end == L,
	   "ring: one record may fill the whole ring");
	ok(raftblk_ring_reserve(L, 0, 4096, L, &end) == -ENOSPC,
	   "ring: wrap that would overwrite the tail refused");
	ok(!raftblk_ring_reserve(L, 8192, L, 8192, &end) && end == L + 8192,
	   "ring: wrap up to the tail allowed");
	ok(raftblk_ring_reserve(L, 8192, L, 12288, &end) == -ENOSPC,
	   "ring: one block past the tail refused");
	ok(raftblk_ring_reserve(L, 4096, 0, 4096, &end) == -ENOSPC,
	   "ring: head before tail refused");
	ok(raftblk_ring_reserve(L, 0, 0, L + 4096, &end) == -ENOSPC,
	   "ring: record longer than the ring refused");
	ok(!raftblk_ring_reserve(L, L - 4096, L - 4096, 8192, &end) &&
	   end == L + 8192, "ring: wasted tail of a lap counted as used");
}

/* ------------------------------------------------------------------ */
/* A model log on an in-memory disk                                   */

#define MLOG_SIZE	(1 << 20)
#define MDATA_SIZE	(256ULL << 20)
#define MAX_ENTS	4096

struct ment {
	raft_term term;
	u8 type;
	u32 data_len;
	u32 seed;
	u64 pos;	/* absolute position of the record */
	u64 end;
};

struct mlog {
	u8 sbarea[RAFTBLK_SB_AREA];
	u8 ring[MLOG_SIZE];
	struct raftblk_sb sb;	/* last written */
	u32 slot;		/* last written slot */
	u64 head;
	raft_index last;
	struct ment ents[MAX_ENTS];	/* by index - sb.snap.index - 1 */
	u32 n;
	u32 wraps;
};

/* What is on stable storage: the ring as of the last flush. */
static u8 durable_ring[MLOG_SIZE];

static void mlog_flush(const struct mlog *m)
{
	memcpy(durable_ring, m->ring, sizeof(durable_ring));
}

static void entry_data(u32 seed, u8 *buf, u32 len)
{
	u64 s = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (u32 i = 0; i < len; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		buf[i] = (u8)s;
	}
}

static void mlog_write_sb(struct mlog *m)
{
	m->sb.seq++;
	m->slot ^= 1;
	if (raftblk_sb_encode(&m->sb, m->sbarea + m->slot * RAFTBLK_SB_SIZE,
			      NULL))
		abort();
}

static void mlog_format(struct mlog *m, u64 nonce, u64 start)
{
	memset(m, 0, sizeof(*m));
	rnd_fill(m->ring, sizeof(m->ring));	/* whatever was on the disk */
	m->sb.seq = 0;
	m->slot = 1;
	memcpy(m->sb.uuid, "0123456789abcdef", 16);
	m->sb.node_id = 1;
	m->sb.log_off = 1 << 20;
	m->sb.log_size = MLOG_SIZE;
	m->sb.data_off = 2 << 20;
	m->sb.data_size = MDATA_SIZE;
	m->sb.log_nonce = nonce;
	m->sb.log_start = start;
	m->sb.rec_block = blk;
	m->head = start;
	mlog_write_sb(m);
	mlog_write_sb(m);
}

static raft_term mlog_term(const struct mlog *m, raft_index i)
{
	if (i == m->sb.snap.index)
		return m->sb.snap.term;
	return m->ents[i - m->sb.snap.index - 1].term;
}

/* Truncate the log after index after (durably: superblock first). */
static void mlog_truncate(struct mlog *m, raft_index after)
{
	if (after >= m->last)
		return;
	m->sb.log_epoch++;
	m->sb.epoch_index = after;
	mlog_write_sb(m);
	m->n = after - m->sb.snap.index;
	m->head = m->n ? m->ents[m->n - 1].end : m->sb.log_start;
	m->last = after;
}

/* Append one entry; -ENOSPC when the ring is full. */
static int mlog_append(struct mlog *m, raft_term term, u8 type, u32 data_len,
		       u32 seed)
{
	static u8 data[RAFTBLK_REC_MAX_DATA];
	struct raftblk_rec r;
	const char *why;
	u64 end, pos;
	int err;

	memset(&r, 0, sizeof(r));
	r.rec_len = raftblk_rec_len(blk, data_len);
	err = raftblk_ring_reserve(MLOG_SIZE, m->sb.log_start, m->head,
				   r.rec_len, &end);
	if (err)
		return err;
	if (m->n == MAX_ENTS)
		return -ENOSPC;
	pos = end - r.rec_len;
	if (pos != m->head) {
		/* wrap marker at the head, durable before the record */
		struct raftblk_rec w;

		memset(&w, 0, sizeof(w));
		w.nonce = m->sb.log_nonce;
		w.epoch = m->sb.log_epoch;
		w.lap = raftblk_ring_lap(MLOG_SIZE, m->head);
		w.index = m->last + 1;
		w.term = term;
		w.prev_term = mlog_term(m, m->last);
		w.type = RAFTBLK_REC_WRAP;
		if (raftblk_rec_encode(&w, &(struct raftblk_rec_ctx){
			MLOG_SIZE, MDATA_SIZE, m->sb.log_nonce, blk }, m->ring +
			raftblk_ring_off(MLOG_SIZE, m->head), &why)) {
			diag("encode wrap: %s", why);
			abort();
		}
		m->wraps++;
		mlog_flush(m);
	}
	r.nonce = m->sb.log_nonce;
	r.epoch = m->sb.log_epoch;
	r.lap = raftblk_ring_lap(MLOG_SIZE, pos);
	r.index = m->last + 1;
	r.term = term;
	r.prev_term = mlog_term(m, m->last);
	r.type = type;
	if (type == RAFT_ENTRY_CONF) {
		r.cc.op = RAFT_CONF_ADD_LEARNER;
		r.cc.id = 2 + seed % 10;
	}
	if (type == RAFT_ENTRY_NORMAL && data_len) {
		entry_data(seed, data, data_len);
		r.data_len = data_len;
		r.len = data_len;
		r.sector = seed % 1000 * 8;
		r.data_crc = raftblk_crc32c(data, data_len);
	}
	err = raftblk_rec_encode(&r, &(struct raftblk_rec_ctx){
		MLOG_SIZE, MDATA_SIZE, m->sb.log_nonce, blk }, m->ring +
		raftblk_ring_off(MLOG_SIZE, pos), &why);
	if (err) {
		diag("encode: %s", why);
		abort();
	}
	memcpy(m->ring + raftblk_ring_off(MLOG_SIZE, pos) + blk,
	       data, r.data_len);
	m->ents[m->n++] = (struct ment){ term, type, r.data_len, seed, pos, end };
	m->last++;
	m->head = end;
	return 0;
}

/* Compact up to index (superblock update). */
static void mlog_compact(struct mlog *m, raft_index index)
{
	u32 k = index - m->sb.snap.index;

	if (index <= m->sb.snap.index || index > m->last)
		return;
	m->sb.log_start = k < m->n ? m->ents[k].pos : m->head;
	m->sb.snap.term = mlog_term(m, index);
	m->sb.snap.index = index;
	if (m->sb.hs.commit < index)
		m->sb.hs.commit = index;
	if (m->sb.hs.term < m->sb.snap.term)
		m->sb.hs.term = m->sb.snap.term;
	memmove(m->ents, m->ents + k, (m->n - k) * sizeof(m->ents[0]));
	m->n -= k;
}

/* Scan callbacks over the model. */
struct scanned {
	const struct mlog *m;
	u32 n;
	struct raftblk_rec recs[MAX_ENTS];
	u64 pos[MAX_ENTS];
};

static int mread_hdr(void *ctx, u64 off, void *buf)
{
	struct scanned *s = ctx;

	if (off + blk > MLOG_SIZE)
		return -EIO;
	memcpy(buf, s->m->ring + off, blk);
	return 0;
}

static int mload(void *ctx, const struct raftblk_rec *r, u64 pos)
{
	struct scanned *s = ctx;
	u64 off = raftblk_ring_off(MLOG_SIZE, pos) + blk;

	if (off + r->data_len > MLOG_SIZE || s->n == MAX_ENTS)
		return -EIO;
	if (r->data_len &&
	    raftblk_crc32c(s->m->ring + off, r->data_len) != r->data_crc)
		return -EBADMSG;
	s->recs[s->n++] = *r;
	return 0;
}

static const struct raftblk_scan_ops mops = {
	.read_hdr = mread_hdr,
	.load = mload,
};

static struct scanned scan_buf;

/* Recover from the model's disk: superblock pick, then the scan. */
static int mlog_recover(const struct mlog *m, struct raftblk_sb *sb,
			struct raftblk_scan_result *res)
{
	u8 hdr[RAFTBLK_REC_BLOCK_MAX];
	const char *why;
	u32 slot;
	int err;

	err = raftblk_sb_pick(m->sbarea, sizeof(m->sbarea), 0, sb, &slot,
			      &why);
	if (err) {
		diag("pick: %s", why);
		return err;
	}
	memset(&scan_buf, 0, sizeof(scan_buf));
	scan_buf.m = m;
	return raftblk_ring_scan(sb, &mops, &scan_buf, hdr, res);
}

/* Does the recovered log equal the model's first n entries? */
static bool recovered_is(const struct mlog *m, u32 n, const char **why)
{
	for (u32 i = 0; i < scan_buf.n && i < n; i++) {
		const struct raftblk_rec *r = &scan_buf.recs[i];
		const struct ment *e = &m->ents[i];

		if (r->index != m->sb.snap.index + 1 + i || r->term != e->term ||
		    r->type != e->type || r->data_len != e->data_len) {
			diag("entry %u: index %llu/%llu term %llu/%llu type %u/%u len %u/%u",
			     i, (unsigned long long)r->index,
			     (unsigned long long)(m->sb.snap.index + 1 + i),
			     (unsigned long long)r->term,
			     (unsigned long long)e->term, r->type, e->type,
			     r->data_len, e->data_len);
			*why = "entry differs";
			return false;
		}
	}
	if (scan_buf.n != n) {
		*why = "entry count differs";
		return false;
	}
	return true;
}

static bool mlog_check(const struct mlog *m, const char *what)
{
	struct raftblk_sb sb;
	struct raftblk_scan_result res;
	const char *why = "-";
	int err = mlog_recover(m, &sb, &res);

	if (err || !recovered_is(m, m->n, &why) || res.head != m->head ||
	    res.last_index != m->last) {
		diag("%s: err %d, %u records recovered, model %u (%s); stop: %s",
		     what, err, scan_buf.n, m->n, why,
		     res.stop_why ? res.stop_why : "-");
		return false;
	}
	return true;
}

static struct mlog ml, ml2;

static void test_ring_basic(void)
{
	bool good = true;

	mlog_format(&ml, 42, 0);
	ok(mlog_check(&ml, "empty"), "scan: freshly formatted ring over random bytes is empty");

	for (u32 i = 0; i < 40; i++)
		mlog_append(&ml, 1 + i / 10, i % 4 + 1, i % 4 == 0 ? 512 * (i + 1) : 0, i);
	ok(mlog_check(&ml, "append"), "scan: 40 records of every type recovered");

	/* Truncate after 30, append 5 entries of a newer term. */
	mlog_truncate(&ml, 30);
	for (u32 i = 0; i < 5; i++)
		mlog_append(&ml, 9, RAFT_ENTRY_NOOP, 0, 100 + i);
	ok(mlog_check(&ml, "truncate"),
	   "scan: truncated suffix not resurrected after a shorter rewrite");

	/* Truncation durable but nothing rewritten yet (crash). */
	memcpy(&ml2, &ml, sizeof(ml));
	mlog_truncate(&ml2, 20);
	ok(mlog_check(&ml2, "truncate-crash"),
	   "scan: truncation with no new records ends the log there");

	/* Same-size rewrite: old record 32 sits exactly where 32 goes next.
	 * Without the epoch it would look like the next entry.
	 */
	memcpy(&ml2, &ml, sizeof(ml));
	mlog_truncate(&ml2, 31);
	ml2.sb.log_epoch--;		/* pretend: no epoch bump */
	mlog_write_sb(&ml2);
	{
		struct raftblk_sb sb;
		struct raftblk_scan_result res;

		mlog_recover(&ml2, &sb, &res);
		ok(scan_buf.n == ml.n, "scan: (control) without the epoch bump the old suffix is read back");
	}
	mlog_truncate(&ml, 31);
	ok(mlog_check(&ml, "truncate-same"), "scan: epoch rejects a same-place stale suffix");

	/* Data corruption in the last record: that record is the torn tail. */
	memcpy(&ml2, &ml, sizeof(ml));
	mlog_append(&ml2, 9, RAFT_ENTRY_NORMAL, 8192, 7);
	ml2.ring[raftblk_ring_off(MLOG_SIZE, ml2.ents[ml2.n - 1].pos) + blk + 5000] ^= 1;
	ml2.n--;
	ml2.last--;
	ml2.head = ml2.ents[ml2.n - 1].end;
	ok(mlog_check(&ml2, "torn-data"), "scan: record with torn data is the end of the log");

	/* Corruption in the middle: everything after is lost, nothing wrong
	 * is returned.
	 */
	memcpy(&ml2, &ml, sizeof(ml));
	ml2.ring[raftblk_ring_off(MLOG_SIZE, ml2.ents[10].pos) + 100] ^= 0x40;
	ml2.n = 10;
	ml2.last = 10;
	ml2.head = ml2.ents[9].end;
	ok(mlog_check(&ml2, "mid-corrupt"), "scan: corrupt header ends the log before it");

	/* Every single-bit flip in the last record's data is detected. */
	memcpy(&ml2, &ml, sizeof(ml));
	mlog_append(&ml2, 9, RAFT_ENTRY_NORMAL, 4096, 77);
	{
		u8 *d = ml2.ring + raftblk_ring_off(MLOG_SIZE, ml2.ents[ml2.n - 1].pos) + blk;
		u32 missed = 0;

		for (u32 bit = 0; bit < 4096 * 8; bit += 61) {
			struct raftblk_sb sb;
			struct raftblk_scan_result res;

			d[bit / 8] ^= 1 << (bit % 8);
			mlog_recover(&ml2, &sb, &res);
			if (scan_buf.n != ml2.n - 1)
				missed++;
			d[bit / 8] ^= 1 << (bit % 8);
		}
		ok(missed == 0, "scan: bit flips in record data detected (%u missed)", missed);
	}
	(void)good;
}

static void test_ring_laps(void)
{
	u32 seed = 1;
	int err = 0;

	/* Fill the ring, compacting as we go, over several laps. */
	mlog_format(&ml, 43, 0);
	for (u32 i = 0; i < 2000; i++) {
		u32 dl = (u32)rnd_below(40) * 512;

		err = mlog_append(&ml, 1 + i / 100, RAFT_ENTRY_NORMAL, dl, seed++);
		if (err == -ENOSPC) {
			mlog_compact(&ml, ml.last - rnd_below(ml.n / 2 + 1));
			mlog_write_sb(&ml);
			err = mlog_append(&ml, 1 + i / 100, RAFT_ENTRY_NORMAL, dl, seed++);
		}
		if (err)
			break;
	}
	ok(!err && raftblk_ring_lap(MLOG_SIZE, ml.head) >= 3,
	   "ring: 2000 appends with compaction went over %" PRIu64 " laps",
	   raftblk_ring_lap(MLOG_SIZE, ml.head));
	ok(mlog_check(&ml, "laps"), "scan: log recovered after several laps");

	/* A record of the previous lap with the expected index at the head
	 * position (as if left over) is refused.
	 */
	memcpy(&ml2, &ml, sizeof(ml));
	{
		struct raftblk_rec r;
		u64 pos = raftblk_ring_place(MLOG_SIZE, ml2.head, blk);
		struct raftblk_rec_ctx c = { MLOG_SIZE, MDATA_SIZE, ml2.sb.log_nonce, blk };
		struct raftblk_sb sb;
		struct raftblk_scan_result res;

		memset(&r, 0, sizeof(r));
		r.nonce = ml2.sb.log_nonce;
		r.epoch = ml2.sb.log_epoch;
		r.lap = raftblk_ring_lap(MLOG_SIZE, pos) - 1;
		r.index = ml2.last + 1;
		r.term = mlog_term(&ml2, ml2.last);
		r.prev_term = r.term;
		r.type = RAFT_ENTRY_NOOP;
		raftblk_rec_encode(&r, &c, ml2.ring + raftblk_ring_off(MLOG_SIZE, pos), NULL);
		mlog_recover(&ml2, &sb, &res);
		ok(scan_buf.n == ml2.n && res.stop_why &&
		   strstr(res.stop_why, "lap"),
		   "scan: previous-lap record at the head refused (%s)",
		   res.stop_why ? res.stop_why : "-");
		/* Right lap, but it does not follow the last entry. */
		r.lap++;
		r.prev_term++;
		r.term++;
		raftblk_rec_encode(&r, &c, ml2.ring + raftblk_ring_off(MLOG_SIZE, pos), NULL);
		mlog_recover(&ml2, &sb, &res);
		ok(scan_buf.n == ml2.n && res.stop_why &&
		   strstr(res.stop_why, "previous entry"),
		   "scan: record whose previous term differs refused (%s)",
		   res.stop_why ? res.stop_why : "-");
		/* Control: with the right lap and term it is accepted. */
		r.prev_term--;
		raftblk_rec_encode(&r, &c, ml2.ring + raftblk_ring_off(MLOG_SIZE, pos), NULL);
		mlog_recover(&ml2, &sb, &res);
		ok(scan_buf.n == ml2.n + 1, "scan: (control) same record with the current lap accepted");
	}

	/* A full ring refuses appends rather than overwriting live records. */
	memcpy(&ml2, &ml, sizeof(ml));
	for (u32 i = 0; i < 10000 && !err; i++)
		err = mlog_append(&ml2, 50, RAFT_ENTRY_NORMAL, 64 * 512, seed++);
	ok(err == -ENOSPC && mlog_check(&ml2, "full"),
	   "ring: a full ring refuses the append and keeps every entry");

	/* Records formatted by an earlier format of the same disk (another
	 * nonce) are never read back.
	 */
	memcpy(&ml2, &ml, sizeof(ml));
	{
		struct raftblk_sb sb;
		struct raftblk_scan_result res;
		u8 keep[MLOG_SIZE];

		memcpy(keep, ml.ring, sizeof(keep));
		mlog_format(&ml2, 44, ml.sb.log_start);
		memcpy(ml2.ring, keep, sizeof(keep));
		mlog_recover(&ml2, &sb, &res);
		ok(scan_buf.n == 0 && res.stop_why && strstr(res.stop_why, "nonce"),
		   "scan: records of a previous format refused (%s)",
		   res.stop_why ? res.stop_why : "-");
	}
}

/*
 * The crash model: random appends (batches), truncations and compactions;
 * at random points a crash tears the last batch (each 512-byte sector of
 * it written or not, independently) or the last superblock update. The
 * recovered log must be exactly the durable log before the operation plus
 * a prefix of the batch, never anything else.
 */
static void test_crash_model(u32 rounds)
{
	u32 bad = 0, crashes = 0, torn_tails = 0, ops = 0;
	raft_term term = 1;
	u32 seed = 1000;

	mlog_format(&ml, 45, MLOG_SIZE * 3 - 8192);
	for (u32 round = 0; round < rounds && !bad; round++) {
		u32 n_before, batch = 1 + rnd_below(8), wrote = 0;
		u64 end;
		int err = 0;

		/* Room for the worst batch, else compact first (as the
		 * node driver does on -ENOSPC).
		 */
		if (raftblk_ring_reserve(MLOG_SIZE, ml.sb.log_start, ml.head,
					 8 * raftblk_rec_len(blk, 64 * 512), &end) &&
		    ml.n) {
			mlog_compact(&ml, ml.sb.snap.index + 1 + rnd_below(ml.n));
			if (raftblk_ring_reserve(MLOG_SIZE, ml.sb.log_start,
						 ml.head, 8 * raftblk_rec_len(blk, 64 * 512),
						 &end))
				mlog_compact(&ml, ml.last);
			mlog_write_sb(&ml);
		}
		mlog_flush(&ml);
		if (ml.n && rnd_below(5) == 0) {
			/* conflict: a new leader replaces a suffix */
			term++;
			mlog_truncate(&ml, ml.sb.snap.index + rnd_below(ml.n));
		} else if (rnd_below(10) == 0) {
			term++;
		}
		n_before = ml.n;
		for (u32 i = 0; i < batch && !err; i++) {
			u8 type = rnd_below(6) ? RAFT_ENTRY_NORMAL : 1 + rnd_below(4);
			u32 dl = type == RAFT_ENTRY_NORMAL ? rnd_below(65) * 512 : 0;

			err = mlog_append(&ml, term, type, dl, seed++);
			if (!err)
				wrote++;
		}
		ops++;
		if (err) {
			bad++;
			diag("round %u: append failed %d", round, err);
			break;
		}
		if (rnd_below(4)) {
			if (!mlog_check(&ml, "model"))
				bad++;
			continue;
		}

		/* Crash: each 512-byte sector the batch changed is written
		 * or not, independently.
		 */
		crashes++;
		memcpy(&ml2, &ml, sizeof(ml));
		for (u32 s = 0; s < MLOG_SIZE / 512; s++)
			if (memcmp(ml2.ring + s * 512, durable_ring + s * 512, 512) &&
			    rnd_below(3) == 0)
				memcpy(ml2.ring + s * 512, durable_ring + s * 512, 512);
		{
			struct raftblk_sb sb;
			struct raftblk_scan_result res;
			const char *why = "-";
			int e = mlog_recover(&ml2, &sb, &res);
			u32 got = scan_buf.n;

			/* Recovered = the log before the batch + a prefix of
			 * the batch, entry by entry equal to the model.
			 */
			if (e || got < n_before || got > ml.n ||
			    !recovered_is(&ml, got, &why)) {
				bad++;
				diag("round %u: crash recovered %u entries, want %u..%u (%s, stop: %s)",
				     round, got, n_before, ml.n, why,
				     res.stop_why ? res.stop_why : "-");
			}
			if (got < ml.n)
				torn_tails++;
			/* Reopen as the store does: continue after the
			 * recovered log, the torn tail made stale by an
			 * epoch bump.
			 */
			memcpy(ml.ring, ml2.ring, sizeof(ml.ring));
			ml.n = got;
			ml.last = ml.sb.snap.index + got;
			ml.head = res.head;
			ml.sb.log_epoch++;
			ml.sb.epoch_index = ml.last;
			mlog_write_sb(&ml);
		}
	}
	ok(bad == 0 && crashes > 0 && ml.wraps > 10,
	   "crash model: %u operations, %u crashes (%u torn tails), %u wraps: recovered log always a durable prefix",
	   ops, crashes, torn_tails, ml.wraps);

	/* Crash during a superblock update (truncation): the torn slot is
	 * ignored and the previous state recovered.
	 */
	bad = 0;
	for (u32 i = 0; i < 50; i++) {
		struct raftblk_sb sb;
		struct raftblk_scan_result res;
		u8 prev[RAFTBLK_SB_SIZE];
		u32 n0 = ml.n;
		u32 cut = 512 * (1 + rnd_below(7));

		if (!ml.n)
			mlog_append(&ml, term, RAFT_ENTRY_NOOP, 0, seed++);
		n0 = ml.n;
		memcpy(&ml2, &ml, sizeof(ml));
		memcpy(prev, ml2.sbarea + (ml2.slot ^ 1) * RAFTBLK_SB_SIZE, sizeof(prev));
		mlog_truncate(&ml2, ml2.sb.snap.index + rnd_below(ml2.n));
		/* tear the slot just written */
		memcpy(ml2.sbarea + ml2.slot * RAFTBLK_SB_SIZE + cut,
		       prev + cut, RAFTBLK_SB_SIZE - cut);
		if (mlog_recover(&ml2, &sb, &res) || scan_buf.n != n0)
			bad++;
	}
	ok(bad == 0, "crash model: torn truncation superblock leaves the old log");
}

/*
 * A small log for rbdump's test (test_rbdump.sh): every entry type, a
 * truncated suffix, and a last record with torn data. The image is the
 * model's disk: superblocks at 0, ring at 1 MiB, sparse up to the end of
 * the data area.
 */
static int write_image(const char *path)
{
	FILE *f;
	u8 *d;

	mlog_format(&ml, 0x1234, 0);
	mlog_append(&ml, 1, RAFT_ENTRY_NOOP, 0, 1);
	mlog_append(&ml, 1, RAFT_ENTRY_CONF, 0, 1);	/* add node 3 */
	for (u32 i = 0; i < 4; i++)
		mlog_append(&ml, 1, RAFT_ENTRY_NORMAL, 4096, 10 + i);
	mlog_truncate(&ml, 4);
	mlog_append(&ml, 2, RAFT_ENTRY_NORMAL, 8192, 20);
	mlog_append(&ml, 2, RAFT_ENTRY_BARRIER, 0, 0);
	mlog_append(&ml, 2, RAFT_ENTRY_NORMAL, 512, 21);
	/* tear the data of the last record (index 7) */
	d = ml.ring + raftblk_ring_off(MLOG_SIZE, ml.ents[ml.n - 1].pos) +
		blk;
	d[10] ^= 0x80;
	f = fopen(path, "w");
	if (!f)
		return -1;
	if (fwrite(ml.sbarea, 1, sizeof(ml.sbarea), f) != sizeof(ml.sbarea) ||
	    fseek(f, ml.sb.log_off, SEEK_SET) ||
	    fwrite(ml.ring, 1, sizeof(ml.ring), f) != sizeof(ml.ring) ||
	    ftruncate(fileno(f), ml.sb.data_off + ml.sb.data_size)) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	u32 rounds = 1500;

	if (argc >= 3 && !strcmp(argv[1], "--image")) {
		if (argc > 3)	/* the record block */
			blk = strtoul(argv[3], NULL, 0);
		return write_image(argv[2]) ? 2 : 0;
	}

	if (argc > 1)
		rng_state = strtoull(argv[1], NULL, 0) | 1;
	if (argc > 2)
		rounds = strtoul(argv[2], NULL, 0);
	diag("seed %" PRIu64 ", %u model rounds", rng_state, rounds);

	test_sb_roundtrip();
	test_sb_fields();
	test_sb_resyncing();
	test_sb_copy_index();
	test_sb_rec_block();
	test_emap();
	test_sb_pick();
	test_layout();
	test_ring_math();
	/* Version 1's 4 KiB record blocks, then 512-byte ones. */
	for (u32 b = RAFTBLK_REC_BLOCK_MAX; b >= RAFTBLK_REC_BLOCK_MIN;
	     b /= 8) {
		set_rec_block(b);
		test_rec_roundtrip();
		test_rec_fields();
		test_ring_basic();
		test_ring_laps();
		test_crash_model(rounds);
	}

	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
