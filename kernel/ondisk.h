/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ondisk.h - raftblk's on-disk format: a portable codec.
 *
 * Builds in the kernel and in userspace (tools/testing/formats/): it
 * includes nothing but the consensus core's environment and portable.h.
 * Documentation/on-disk-format.rst describes the format byte by byte;
 * this file is the reference implementation.
 *
 * The backing device holds, in this order:
 *
 *   [0, 4 KiB)            superblock slot 0
 *   [4 KiB, 8 KiB)        superblock slot 1
 *   [log_off, +log_size)  the log area: a ring of 4 KiB-aligned records
 *   [data_off, +data_size) the data area: the replicated device's sectors
 *
 * Superblock updates alternate between the two slots; the valid slot with
 * the higher sequence number is current, so an update torn by a crash
 * leaves the previous one in force.
 *
 * A log record is a 4 KiB header block followed by the entry's data
 * rounded up to 4 KiB. Records are placed one after the other at
 * "absolute positions" (bytes written to the ring since it was formatted;
 * ring offset = pos % log_size, lap = pos / log_size). A record never
 * crosses the end of the ring: one that does not fit goes to offset 0 of
 * the next lap, and a wrap marker (a header-only record) is made durable
 * where it would have gone before it is written. Every record names its
 * lap, the log's nonce, a truncation epoch and the term of the entry
 * before it, so stale records (from an earlier lap, an earlier format of
 * the disk, or a suffix Raft truncated) are never taken for current ones.
 * See raftblk_ring_scan().
 *
 * Every decoder validates every field, never trusts an on-disk length,
 * and returns a negative errno (the convention of raft/raft.h: -EBADMSG
 * for a checksum or field that is invalid, -ESTALE for a valid record
 * that is not the next one, ...) with a static reason string.
 */
#ifndef RAFTBLK_ONDISK_H
#define RAFTBLK_ONDISK_H

#include "raft/env.h"
#include "raft/raft.h"

#define RAFTBLK_OD_BLOCK	4096U	/* alignment of everything */
#define RAFTBLK_OD_FORMAT_VERSION 1U
/*
 * Superblock version 2: the log's record block (rec_block) is below
 * 4 KiB. A version 1 superblock has no such field and means 4 KiB; the
 * encoder writes version 2 only when it must, so a disk with 4 KiB
 * record blocks stays readable by a module that knows only version 1.
 */
#define RAFTBLK_OD_VERSION_REC_BLOCK 2U

/* ------------------------------------------------------------------ */
/* Superblock                                                         */

#define RAFTBLK_SB_MAGIC	"RAFTBLK\x01"	/* 8 bytes, no NUL */
#define RAFTBLK_SB_SIZE		4096U		/* one slot */
#define RAFTBLK_SB_SLOTS	2U
#define RAFTBLK_SB_AREA		(RAFTBLK_SB_SIZE * RAFTBLK_SB_SLOTS)
#define RAFTBLK_UUID_LEN	16

/* Bounds on the layout, checked on decode and at format time. */
#define RAFTBLK_LOG_MIN_SIZE	(1024ULL * 1024)		/* 1 MiB */
#define RAFTBLK_LOG_MAX_SIZE	(1ULL << 40)			/* 1 TiB */

struct raftblk_sb {
	u64 seq;			/* higher wins; never 0 once written */
	u8 uuid[RAFTBLK_UUID_LEN];	/* cluster */
	u64 node_id;
	struct raft_hard_state hs;	/* term, vote, commit */
	u64 log_off, log_size;		/* bytes from device start */
	u64 data_off, data_size;
	u64 log_nonce;			/* random, chosen at format */
	u64 log_epoch;			/* bumped by every truncation */
	u64 epoch_index;		/* records after it carry log_epoch */
	u64 log_start;			/* abs. position of record snap.index+1 */
	struct raft_snapshot_meta snap;	/* compaction point */
	u32 flags;			/* RAFTBLK_SB_F_* */
	u64 resync_base;		/* with RESYNCING: the index the data
					 * area was exact at before the copy
					 * (0 without the flag)
					 */
	u64 copy_index;			/* the last copy from a leader was
					 * of this index (0: none ever):
					 * snapshot entries up to it were
					 * never applied here
					 */
	u32 rec_block;			/* the log's record block, bytes:
					 * header size and data alignment
					 * (see raftblk_rec_len())
					 */
};

/*
 * The data area is being overwritten by a copy from the leader (resync):
 * it is not the state at snap.index, nor at any index. Set durably before
 * the first copied block is written, with resync_base, cleared by the
 * superblock that installs the copy. A node that finds it on open resets
 * its log (raft_reset_log(resync_base)): it is never elected, and the
 * leader copies again what changed after resync_base.
 */
#define RAFTBLK_SB_F_RESYNCING	(1U << 0)
#define RAFTBLK_SB_F_ALL	RAFTBLK_SB_F_RESYNCING

/* Encode into a RAFTBLK_SB_SIZE buffer (whole slot, crc included).
 * Returns 0 or -EINVAL (with *why) when sb itself is invalid: the encoder
 * never writes what the decoder would refuse.
 */
int raftblk_sb_encode(const struct raftblk_sb *sb, void *buf,
		      const char **why);

/* Decode one slot of len bytes. dev_size (bytes, 0 = unknown) bounds the
 * layout. Returns 0, -EBADMSG (corrupt/not a superblock) or -EINVAL
 * (a well-formed superblock that does not fit this device).
 */
int raftblk_sb_decode(const void *buf, u32 len, u64 dev_size,
		      struct raftblk_sb *sb, const char **why);

/* Decode both slots (RAFTBLK_SB_AREA bytes) and pick the current one.
 * *slot is set to its index; the next update goes to the other slot.
 * Returns 0 or the error of slot 0 when neither is valid. Two valid slots
 * with the same sequence number are refused (-EBADMSG): the writer never
 * produces them.
 */
int raftblk_sb_pick(const void *area, u32 len, u64 dev_size,
		    struct raftblk_sb *sb, u32 *slot, const char **why);

/* Check a layout: areas aligned, in order, not overlapping, inside
 * dev_size (0 = unknown).
 */
int raftblk_layout_check(u64 log_off, u64 log_size, u64 data_off,
			 u64 data_size, u64 dev_size, const char **why);

/* Default layout for a device of dev_size bytes: log area at 1 MiB of
 * log_size bytes (0 = default: 1/16 of the device, 16 MiB..1 GiB), data
 * area from the next MiB to the end of the device (rounded down to
 * 4 KiB).
 */
int raftblk_layout_default(u64 dev_size, u64 log_size, u64 *log_off,
			   u64 *log_size_out, u64 *data_off, u64 *data_size,
			   const char **why);

/* ------------------------------------------------------------------ */
/* Log records                                                        */

#define RAFTBLK_REC_MAGIC	"RAFTREC\x01"

/*
 * The record block: a record is a header of one record block followed by
 * the data, padded to a multiple of the record block. Chosen at format
 * (the backing disk's physical block size, at least 512 bytes): a record
 * never shares an atomic write unit of the disk with the one before it,
 * so tearing a record's write cannot damage an acknowledged one.
 */
#define RAFTBLK_REC_BLOCK_MIN	512U
#define RAFTBLK_REC_BLOCK_MAX	4096U	/* also: version 1's */

/* Is b a valid record block (a power of two in [MIN, MAX])? */
static inline bool raftblk_rec_block_ok(u32 b)
{
	return b >= RAFTBLK_REC_BLOCK_MIN && b <= RAFTBLK_REC_BLOCK_MAX &&
		!(b & (b - 1));
}

/* Record type besides enum raft_entry_type: the wrap marker. It stands
 * where the record of its index would have gone had it fit before the end
 * of the ring, and says "that record is at offset 0 of the next lap". It
 * has the index, term and prev_term of that record and no payload.
 */
#define RAFTBLK_REC_WRAP	0x80

/* Payload flags, the same values as RAFTBLK_PL_* (payload.h). */
#define RAFTBLK_REC_F_FUA		(1U << 0)
#define RAFTBLK_REC_F_DISCARD		(1U << 1)
#define RAFTBLK_REC_F_WRITE_ZEROES	(1U << 2)
#define RAFTBLK_REC_F_ALL		0x7U

/* Bounds on one entry's payload. */
#define RAFTBLK_REC_MAX_DATA	(1U << 20)	/* bytes carried */
#define RAFTBLK_REC_MAX_LEN	(1U << 30)	/* bytes covered */

struct raftblk_rec {
	u32 rec_len;		/* header + data rounded up, bytes */
	u32 data_len;		/* data bytes following the header block */
	u32 data_crc;		/* crc32c of the data bytes (0 if none) */
	u64 nonce;		/* == superblock log_nonce */
	u64 epoch;
	u64 lap;
	raft_index index;
	raft_term term;
	raft_term prev_term;	/* term of index - 1 (0 if index - 1 == 0) */
	u8 type;		/* enum raft_entry_type or RAFTBLK_REC_WRAP */
	/* CONF: cc; BARRIER: mark (same bytes); else all zero */
	union {
		struct raft_conf_change cc;
		struct raft_marker mark;
	};
	u64 sector;		/* NORMAL with payload only, else 0 */
	u32 len;
	u32 flags;
};

/* Record length for data_len bytes of data, with record block blk. */
static inline u32 raftblk_rec_len(u32 blk, u32 data_len)
{
	return blk + ((data_len + blk - 1) & ~(blk - 1));
}

/* What a record is checked against. */
struct raftblk_rec_ctx {
	u64 log_size;
	u64 data_size;
	u64 nonce;
	u32 rec_block;		/* header size, data alignment */
};

/* Encode the header block (ctx->rec_block bytes). rec_len is
 * computed from data_len; data_crc must be set by the caller
 * (raftblk_crc32c() of the data). Returns 0 or -EINVAL.
 */
int raftblk_rec_encode(const struct raftblk_rec *r,
		       const struct raftblk_rec_ctx *ctx, void *buf,
		       const char **why);

/* Decode and validate a header block of len (>= ctx->rec_block) bytes. -EBADMSG for anything
 * that is not a valid record of this log (bad magic, crc, field, nonce).
 */
int raftblk_rec_decode(const void *buf, u32 len,
		       const struct raftblk_rec_ctx *ctx,
		       struct raftblk_rec *r, const char **why);

/* ------------------------------------------------------------------ */
/* The ring                                                           */

/*
 * Where a record of rec_len bytes goes when the ring's head (next free
 * absolute position) is head: at head, or at the start of the next lap
 * when it would cross the end of the ring. Returns that position. When it
 * is not head, the writer first writes a wrap marker at head and makes it
 * durable (flush) before writing the record.
 */
u64 raftblk_ring_place(u64 log_size, u64 head, u32 rec_len);

/*
 * Would writing a record of rec_len bytes at head keep the ring within
 * one lap of tail (the position of the oldest record still needed)?
 * Returns 0 with *end = new head, or -ENOSPC.
 */
int raftblk_ring_reserve(u64 log_size, u64 tail, u64 head, u32 rec_len,
			 u64 *end);

/* Mapping an absolute position into the ring. */
static inline u64 raftblk_ring_off(u64 log_size, u64 pos)
{
	return pos % log_size;
}

static inline u64 raftblk_ring_lap(u64 log_size, u64 pos)
{
	return pos / log_size;
}

/*
 * Recovery scan, platform-independent. Walks the ring from sb->log_start
 * expecting index sb->snap.index + 1 and stops at the first position that
 * does not hold the next record: that is the end of the log (a torn or
 * never-written tail). A header is the next record when it decodes, its
 * lap is the lap of the position it was read from, its index is the
 * expected one, its prev_term is the term of the previous entry, and its
 * epoch is allowed (<= log_epoch and non-decreasing along the log;
 * == log_epoch past epoch_index). A matching wrap marker sends the scan
 * to offset 0 of the next lap, where the record it announces must be.
 *
 * ops->read_hdr reads the header block (sb->rec_block bytes) at ring
 * offset off into buf.
 * ops->load is called for each record whose header is the next one, with
 * the record's absolute position pos (its data is at ring offset
 * raftblk_ring_off(log_size, pos) + sb->rec_block): it reads and
 * checks the data (crc) and keeps the entry; it returns 0 to accept it,
 * -EBADMSG when the data does not match (the record is torn: end of
 * log), or another negative code to abort the scan (I/O error).
 */
struct raftblk_scan_ops {
	int (*read_hdr)(void *ctx, u64 off, void *buf);
	int (*load)(void *ctx, const struct raftblk_rec *r, u64 pos);
};

struct raftblk_scan_result {
	u64 n_records;		/* accepted */
	raft_index last_index;	/* snap.index when none */
	raft_term last_term;
	u64 head;		/* abs. position after the last record */
	u64 stop_pos;		/* where the scan stopped */
	const char *stop_why;	/* why that position ended the log */
};

/* buf: RAFTBLK_REC_BLOCK_MAX bytes of scratch. Returns 0 or the error a
 * callback returned.
 */
int raftblk_ring_scan(const struct raftblk_sb *sb,
		      const struct raftblk_scan_ops *ops, void *ctx,
		      void *buf, struct raftblk_scan_result *res);

/* ------------------------------------------------------------------ */
/* Extent map                                                         */

/*
 * Per extent of the data area (1 MiB, or a larger power of two on big
 * disks), the log index of the last write applied to it (or a larger
 * index: it is an upper bound). The leader of a resync copies only the
 * extents whose index is above the follower's base. Kept in two slots
 * between the superblocks and the log area, written alternately (a torn
 * write leaves the other); each slot is a 4 KiB header then the array of
 * little-endian u64, padded to 4 KiB. See on-disk-format.rst.
 */
#define RAFTBLK_EMAP_MAGIC	"RAFTMAP\x01"
#define RAFTBLK_EMAP_OFF	RAFTBLK_SB_AREA	/* first slot */
#define RAFTBLK_EMAP_HDR_SIZE	4096U
#define RAFTBLK_EMAP_MIN_SHIFT	20U		/* 1 MiB extents */
#define RAFTBLK_EMAP_MAX_SHIFT	40U

struct raftblk_emap_geo {
	u32 shift;		/* extent = 1 << shift bytes */
	u32 n;			/* extents covering the data area */
	u64 slot_size;		/* bytes per slot (header + array) */
	u64 slot_off[2];	/* byte offsets of the two slots */
	u32 array_len;		/* bytes of the array, padded to 4 KiB */
};

/*
 * Geometry of the map for a layout: the smallest extent size >= 1 MiB
 * whose array fits in half of [RAFTBLK_EMAP_OFF, log_off). Returns 0, or
 * -ENOSPC when the layout leaves no room (log_off too small): such a
 * device has no map (every extent counts as written at the compaction
 * point).
 */
int raftblk_emap_geometry(u64 log_off, u64 data_size,
			  struct raftblk_emap_geo *geo);

struct raftblk_emap_hdr {
	u64 seq;		/* higher wins; >= 1 */
	u64 data_size;		/* the data area it describes */
	u32 shift;
	u32 n;
	u64 index;		/* writes up to this index are all covered */
	u32 array_crc;		/* crc32c of the array_len array bytes */
};

/* Encode a header into RAFTBLK_EMAP_HDR_SIZE bytes; 0 or -EINVAL. */
int raftblk_emap_hdr_encode(const struct raftblk_emap_hdr *h, void *buf,
			    const char **why);
/*
 * Decode a header and check it against geo and data_size (a map of
 * another geometry is not this device's: -EBADMSG, like a bad crc).
 */
int raftblk_emap_hdr_decode(const void *buf, u32 len,
			    const struct raftblk_emap_geo *geo, u64 data_size,
			    struct raftblk_emap_hdr *h, const char **why);

/* Array (de)serialisation: n u64 into/from geo->array_len bytes. */
void raftblk_emap_array_encode(const u64 *v, u32 n, void *buf, u32 len);
int raftblk_emap_array_decode(const void *buf, u32 len, u32 n, u32 crc,
			      u64 *v, const char **why);

/* ------------------------------------------------------------------ */
/* Membership helpers                                                 */

/* Validate a configuration: n <= RAFT_MAX_NODES, ids unique and
 * non-zero, roles known.
 */
int raftblk_conf_check(const struct raft_conf *conf, const char **why);

#endif /* RAFTBLK_ONDISK_H */
