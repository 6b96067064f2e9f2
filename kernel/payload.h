/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payload.h - the data of one replicated write: struct raft_payload.
 *
 * The consensus core treats payloads as opaque reference-counted buffers
 * (raft/env.h): it only asks their size (raft_payload_len()) and takes and
 * drops references (raft_payload_get()/raft_payload_put()). This file is
 * the kernel's definition.
 *
 * A payload describes one block-device write in device-relative terms:
 *
 *   sector     first 512-byte sector of the write on the replicated device
 *              (0 = first sector of the data area, not of the backing disk)
 *   len        bytes covered on the device (a multiple of 512)
 *   flags      RAFTBLK_PL_FUA         the request was REQ_FUA
 *              RAFTBLK_PL_DISCARD     discard [sector, sector + len)
 *              RAFTBLK_PL_WRITE_ZEROES  zero   [sector, sector + len)
 *   nr_pages   data pages; len bytes packed from pages[0] offset 0 on,
 *              every page full except possibly the last. Discard and
 *              write-zeroes carry no data: nr_pages == 0.
 *
 * raft_payload_len() is the number of data bytes the payload carries
 * (len for a write, 0 for discard/write-zeroes): it is what flow control
 * (in-flight bytes, uncommitted bytes) counts, and what goes on the wire
 * and into a log record.
 *
 * Lifetime: a payload is created with one reference (the creator's) and
 * freed, pages included, when the last reference is dropped. Its content
 * is immutable once it has been handed to raft_propose() or published to
 * any other user; only the creator fills it (copy from a request, from a
 * socket, from a log record) before that. All helpers may be called from
 * process context; raftblk_payload_put() may also be called from any
 * context that may free pages (softirq included).
 *
 * Allocation uses GFP_NOIO: payloads are created in the block I/O path.
 */
#ifndef RAFTBLK_PAYLOAD_H
#define RAFTBLK_PAYLOAD_H

#include <linux/types.h>
#include <linux/refcount.h>
#include <linux/bvec.h>
#include <linux/uio.h>

#include "ondisk.h"

struct request;

/* Flags and limits are those of the on-disk log record (ondisk.h). */
#define RAFTBLK_PL_FUA		RAFTBLK_REC_F_FUA
#define RAFTBLK_PL_DISCARD	RAFTBLK_REC_F_DISCARD
#define RAFTBLK_PL_WRITE_ZEROES	RAFTBLK_REC_F_WRITE_ZEROES
#define RAFTBLK_PL_NODATA	(RAFTBLK_PL_DISCARD | RAFTBLK_PL_WRITE_ZEROES)
#define RAFTBLK_PL_ALL		(RAFTBLK_PL_FUA | RAFTBLK_PL_NODATA)

/* Largest payload (bytes covered) one entry may describe: 1 GiB. */
#define RAFTBLK_PL_MAX_LEN	RAFTBLK_REC_MAX_LEN
/* Largest data payload (bytes carried) one entry may hold: 1 MiB. The
 * block device must not build larger write requests (max_hw_sectors).
 */
#define RAFTBLK_PL_MAX_DATA	RAFTBLK_REC_MAX_DATA

struct raft_payload {
	refcount_t ref;
	u64 sector;
	u32 len;
	u32 flags;
	u32 nr_pages;
	/*
	 * crc32c of the data bytes (raftblk_crc32c()), computed once by
	 * raftblk_payload_crc() and kept: the log record, the wire frame to
	 * every follower and the receiver's check all use the same value.
	 */
	u32 data_crc;
	bool data_crc_known;	/* data_crc is set (smp_store_release) */
	/*
	 * Authenticated transport: the entry tag of the data (nonce, then
	 * Poly1305 tag, auth.h rb_entry_tag_get()) under the entry key of
	 * the secret whose local generation is tag_gen, computed once and
	 * kept so that the leader MACs the data once for all its
	 * followers. tag_state: 0 none, 1 being set by one thread (others
	 * compute their own), 2 set (tag_gen and tag stay constant).
	 */
	atomic_t tag_state;
	u32 tag_gen;
	u8 tag[32];
	/*
	 * One bvec per page, covering exactly len bytes, built at allocation
	 * and never changed: ready for iov_iter_bvec() (sockets) and bios.
	 * Points into the same allocation, after pages[].
	 */
	struct bio_vec *bvec;
	struct page *pages[];
};

/*
 * Allocate a data payload of len bytes (1..RAFTBLK_PL_MAX_DATA, a multiple
 * of 512) with uninitialised data: its pages may come from the payload
 * page pool and hold an old payload's bytes, so the caller must fill all
 * of [0, len) before publishing it (the bytes past len in the last page
 * are zero). sector and flags are set by the caller. Returns NULL on
 * failure (bad len or no memory).
 */
struct raft_payload *raftblk_payload_alloc(u32 len);

/*
 * A payload without data: discard or write-zeroes of len bytes at sector.
 * flags must contain exactly one of RAFTBLK_PL_DISCARD and
 * RAFTBLK_PL_WRITE_ZEROES (FUA allowed besides).
 */
struct raft_payload *raftblk_payload_alloc_nodata(u64 sector, u32 len,
						  u32 flags);

/*
 * Build a payload from a blk-mq request (REQ_OP_WRITE with data copied
 * from its bios, or REQ_OP_DISCARD / REQ_OP_WRITE_ZEROES). sector is the
 * request's position. Returns an ERR_PTR: -EOPNOTSUPP for other
 * operations, -EINVAL for a bad size, -ENOMEM.
 */
struct raft_payload *raftblk_payload_from_rq(struct request *rq);

/* Bytes of data carried (0 for discard/write-zeroes). */
static inline u32 raftblk_payload_data_len(const struct raft_payload *p)
{
	return p->nr_pages ? p->len : 0;
}

static inline bool raftblk_payload_has_data(const struct raft_payload *p)
{
	return p->nr_pages != 0;
}

/*
 * crc32c of the data bytes, as raftblk_crc32c() computes it (0 without
 * data): computed on the first call, then remembered. Call it only once
 * the data is filled in (the creator's copy is complete): a payload's
 * data never changes afterwards, so the remembered value stays true.
 * Callers of the same payload from two threads at once compute the same
 * value twice, harmlessly.
 */
u32 raftblk_payload_crc(struct raft_payload *p);

/*
 * Copy len bytes between a linear buffer and the payload's data at byte
 * offset off. Return 0 or -EINVAL when [off, off + len) is not inside the
 * data.
 */
int raftblk_payload_copy_in(struct raft_payload *p, u32 off,
			    const void *buf, u32 len);
int raftblk_payload_copy_out(const struct raft_payload *p, u32 off,
			     void *buf, u32 len);

/*
 * Copy the payload's data into the data pages of a request (a read served
 * from a payload), starting at payload offset off. Returns 0 or -EINVAL
 * when the request is longer than the data left.
 */
int raftblk_payload_copy_to_rq(const struct raft_payload *p, u32 off,
			       struct request *rq);

/*
 * Initialise iter over data bytes [off, off + len) of the payload, for
 * direction ITER_SOURCE (send from it) or ITER_DEST (receive into it).
 * The iterator uses the payload's own bvec array: it stays valid while
 * the caller holds a reference. Returns 0 or -EINVAL for a bad range.
 */
int raftblk_payload_iter(struct raft_payload *p, unsigned int direction,
			 u32 off, u32 len, struct iov_iter *iter);

/*
 * The payload page pool (payload.c): freed payloads' pages kept for the
 * next ones. raftblk_payload_pool_init() registers its shrinker (module
 * load); raftblk_payload_pool_exit() unregisters it and empties the pool
 * (module unload, after the last payload was put);
 * raftblk_payload_pool_drain() empties it (removal of the last device).
 * The pool works without init (static), only not shrinkable then.
 */
struct raftblk_payload_pool_stats {
	u64 pages;	/* in the pool now */
	u64 cap;	/* the most it keeps (payload_pool_mib) */
	u64 reused;	/* pages payloads took from the pool */
	u64 fresh;	/* pages payloads took from the page allocator */
	u64 busy;	/* freed pages not pooled: referenced elsewhere */
	u64 full;	/* freed pages not pooled: the pool was full */
	u64 shrunk;	/* pooled pages given back (shrinker, drain) */
};

int raftblk_payload_pool_init(void);
void raftblk_payload_pool_exit(void);
void raftblk_payload_pool_drain(void);
void raftblk_payload_pool_stats(struct raftblk_payload_pool_stats *st);

/* Reference counting (also exported to the core as raft_payload_*). */
static inline struct raft_payload *raftblk_payload_get(struct raft_payload *p)
{
	refcount_inc(&p->ref);
	return p;
}

void raftblk_payload_put(struct raft_payload *p);

#endif /* RAFTBLK_PAYLOAD_H */
