// SPDX-License-Identifier: GPL-2.0
/*
 * ondisk.c - encoder, decoder and recovery scan for raftblk's on-disk
 * format (see ondisk.h and Documentation/on-disk-format.rst).
 *
 * Portable: builds in the kernel and in userspace. All integers are
 * little-endian on disk and are (de)serialised byte by byte
 * (rb_{put,get}_le* in portable.h), so neither host byte order nor
 * alignment matters.
 */
#include "ondisk.h"
#include "portable.h"

/* Set the reason (when asked for) and return the negative code. */
static int od_fail(const char **why, int code, const char *reason)
{
	if (why)
		*why = reason;
	return -code;
}

/* ------------------------------------------------------------------ */
/* Membership                                                         */

int raftblk_conf_check(const struct raft_conf *conf, const char **why)
{
	u32 i, j;

	if (conf->n > RAFT_MAX_NODES)
		return od_fail(why, EINVAL, "membership: too many nodes");
	for (i = 0; i < conf->n; i++) {
		const struct raft_node *nd = &conf->nodes[i];

		if (nd->id == RAFT_NONE)
			return od_fail(why, EINVAL, "membership: node id 0");
		if (nd->role != RAFT_VOTER && nd->role != RAFT_LEARNER)
			return od_fail(why, EINVAL, "membership: unknown role");
		for (j = 0; j < i; j++)
			if (conf->nodes[j].id == nd->id)
				return od_fail(why, EINVAL,
				     "membership: duplicate node id");
	}
	return 0;
}

/* On-disk membership: n (u32) at the given offset - 4, then
 * RAFT_MAX_NODES slots of CONF_NODE_SIZE bytes.
 */
#define CONF_NODE_SIZE		80
#define CONF_NODE_ID		0
#define CONF_NODE_ROLE		8
#define CONF_NODE_RSVD		9	/* 7 bytes, zero */
#define CONF_NODE_ADDR		16
#define CONF_SIZE		(RAFT_MAX_NODES * CONF_NODE_SIZE)

static void conf_encode(u8 *p, const struct raft_conf *conf)
{
	u32 i;

	memset(p, 0, CONF_SIZE);
	for (i = 0; i < conf->n; i++) {
		u8 *q = p + i * CONF_NODE_SIZE;

		rb_put_le64(q + CONF_NODE_ID, conf->nodes[i].id);
		q[CONF_NODE_ROLE] = conf->nodes[i].role;
		memcpy(q + CONF_NODE_ADDR, conf->nodes[i].addr, RAFT_ADDR_LEN);
	}
}

static int conf_decode(const u8 *p, u32 n, struct raft_conf *conf,
		       const char **why)
{
	u32 i;

	memset(conf, 0, sizeof(*conf));
	if (n > RAFT_MAX_NODES)
		return od_fail(why, EBADMSG, "membership: too many nodes");
	conf->n = n;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		const u8 *q = p + i * CONF_NODE_SIZE;

		if (i >= n) {
			if (!rb_all_zero(q, CONF_NODE_SIZE))
				return od_fail(why, EBADMSG,
				     "membership: unused slot not zero");
			continue;
		}
		if (!rb_all_zero(q + CONF_NODE_RSVD, CONF_NODE_ADDR -
			      CONF_NODE_RSVD))
			return od_fail(why, EBADMSG,
			     "membership: reserved bytes not zero");
		conf->nodes[i].id = rb_get_le64(q + CONF_NODE_ID);
		conf->nodes[i].role = q[CONF_NODE_ROLE];
		memcpy(conf->nodes[i].addr, q + CONF_NODE_ADDR, RAFT_ADDR_LEN);
	}
	return raftblk_conf_check(conf, why) ? -EBADMSG : 0;
}

/* ------------------------------------------------------------------ */
/* Layout                                                             */

#define MIB (1024ULL * 1024)

static bool aligned(u64 v)
{
	return !(v & (RAFTBLK_OD_BLOCK - 1));
}

int raftblk_layout_check(u64 log_off, u64 log_size, u64 data_off,
			 u64 data_size, u64 dev_size, const char **why)
{
	if (log_off < RAFTBLK_SB_AREA || !aligned(log_off))
		return od_fail(why, EINVAL, "layout: bad log area offset");
	if (log_size < RAFTBLK_LOG_MIN_SIZE ||
	    log_size > RAFTBLK_LOG_MAX_SIZE || !aligned(log_size))
		return od_fail(why, EINVAL, "layout: bad log area size");
	if (log_off > ~0ULL - log_size)
		return od_fail(why, EINVAL, "layout: log area overflows");
	if (data_off < log_off + log_size || !aligned(data_off))
		return od_fail(why, EINVAL, "layout: bad data area offset");
	if (!data_size || !aligned(data_size))
		return od_fail(why, EINVAL, "layout: bad data area size");
	if (data_off > ~0ULL - data_size)
		return od_fail(why, EINVAL, "layout: data area overflows");
	if (dev_size && data_off + data_size > dev_size)
		return od_fail(why, EINVAL, "layout: data area beyond device end");
	return 0;
}

int raftblk_layout_default(u64 dev_size, u64 log_size, u64 *log_off,
			   u64 *log_size_out, u64 *data_off, u64 *data_size,
			   const char **why)
{
	u64 doff;

	if (!log_size) {
		log_size = dev_size / 16;
		if (log_size < 16 * MIB)
			log_size = 16 * MIB;
		if (log_size > 1024 * MIB)
			log_size = 1024 * MIB;
		log_size &= ~(MIB - 1);
	}
	if (log_size < RAFTBLK_LOG_MIN_SIZE ||
	    log_size > RAFTBLK_LOG_MAX_SIZE || !aligned(log_size))
		return od_fail(why, EINVAL, "layout: bad log area size");
	/* data area starts on the MiB after the log area */
	doff = (MIB + log_size + MIB - 1) & ~(MIB - 1);
	if (dev_size < doff + MIB)
		return od_fail(why, ENOSPC, "layout: device too small");
	*log_off = MIB;
	*log_size_out = log_size;
	*data_off = doff;
	*data_size = (dev_size - doff) & ~(u64)(RAFTBLK_OD_BLOCK - 1);
	return raftblk_layout_check(*log_off, *log_size_out, *data_off,
				    *data_size, dev_size, why);
}

/* ------------------------------------------------------------------ */
/* Superblock                                                         */

#define SB_MAGIC	0	/* 8 */
#define SB_VERSION	8	/* 4 */
#define SB_LEN		12	/* 4: bytes covered, RAFTBLK_SB_SIZE */
#define SB_SEQ		16
#define SB_UUID		24	/* 16 */
#define SB_NODE_ID	40
#define SB_TERM		48
#define SB_VOTE		56
#define SB_COMMIT	64
#define SB_LOG_OFF	72
#define SB_LOG_SIZE	80
#define SB_DATA_OFF	88
#define SB_DATA_SIZE	96
#define SB_NONCE	104
#define SB_EPOCH	112
#define SB_EPOCH_INDEX	120
#define SB_LOG_START	128
#define SB_SNAP_INDEX	136
#define SB_SNAP_TERM	144
#define SB_FLAGS	152	/* 4, RAFTBLK_SB_F_* */
#define SB_CONF_N	156	/* 4 */
#define SB_CONF		160	/* CONF_SIZE */
#define SB_RESYNC_BASE	(SB_CONF + CONF_SIZE)	/* 8 */
#define SB_COPY_INDEX	(SB_RESYNC_BASE + 8)	/* 8 */
#define SB_REC_BLOCK	(SB_COPY_INDEX + 8)	/* 4, version 2 only */
#define SB_RSVD		(SB_REC_BLOCK + 4)	/* zero up to SB_CRC */
#define SB_CRC		(RAFTBLK_SB_SIZE - 4)

static int sb_check(const struct raftblk_sb *sb, u64 dev_size, int code,
		    const char **why)
{
	int err;

	if (!sb->seq)
		return od_fail(why, code, "superblock: sequence number 0");
	if (sb->node_id == RAFT_NONE)
		return od_fail(why, code, "superblock: node id 0");
	err = raftblk_layout_check(sb->log_off, sb->log_size, sb->data_off,
				   sb->data_size, 0, why);
	if (err)
		return -code;
	if (dev_size && sb->data_off + sb->data_size > dev_size)
		return od_fail(why, EINVAL,
		     "superblock: areas extend beyond the device");
	if (sb->snap.index > sb->hs.commit)
		return od_fail(why, code, "superblock: compaction point beyond commit");
	if (sb->snap.term > sb->hs.term)
		return od_fail(why, code, "superblock: compaction term beyond current term");
	if ((sb->snap.index == 0) != (sb->snap.term == 0))
		return od_fail(why, code, "superblock: compaction index/term mismatch");
	if (sb->snap.index == ~0ULL)
		return od_fail(why, code, "superblock: compaction index overflows");
	if (sb->flags & ~RAFTBLK_SB_F_ALL)
		return od_fail(why, code, "superblock: unknown flags");
	if (sb->resync_base && !(sb->flags & RAFTBLK_SB_F_RESYNCING))
		return od_fail(why, code, "superblock: resync base without the resyncing mark");
	if (sb->copy_index > sb->hs.commit)
		return od_fail(why, code, "superblock: copy index beyond commit");
	/* Room for positions up to two laps past the start. */
	if (sb->log_start > ~0ULL - 2 * sb->log_size)
		return od_fail(why, code, "superblock: log start position overflows");
	if (!raftblk_rec_block_ok(sb->rec_block))
		return od_fail(why, code, "superblock: bad record block size");
	if (sb->log_start & (sb->rec_block - 1))
		return od_fail(why, code, "superblock: log start not on a record block");
	if (raftblk_conf_check(&sb->snap.conf, why))
		return -code;
	return 0;
}

int raftblk_sb_encode(const struct raftblk_sb *sb, void *buf,
		      const char **why)
{
	u8 *p = buf;
	int err;

	err = sb_check(sb, 0, EINVAL, why);
	if (err)
		return err;
	memset(p, 0, RAFTBLK_SB_SIZE);
	memcpy(p + SB_MAGIC, RAFTBLK_SB_MAGIC, 8);
	if (sb->rec_block == RAFTBLK_REC_BLOCK_MAX) {
		rb_put_le32(p + SB_VERSION, RAFTBLK_OD_FORMAT_VERSION);
	} else {
		rb_put_le32(p + SB_VERSION, RAFTBLK_OD_VERSION_REC_BLOCK);
		rb_put_le32(p + SB_REC_BLOCK, sb->rec_block);
	}
	rb_put_le32(p + SB_LEN, RAFTBLK_SB_SIZE);
	rb_put_le64(p + SB_SEQ, sb->seq);
	memcpy(p + SB_UUID, sb->uuid, RAFTBLK_UUID_LEN);
	rb_put_le64(p + SB_NODE_ID, sb->node_id);
	rb_put_le64(p + SB_TERM, sb->hs.term);
	rb_put_le64(p + SB_VOTE, sb->hs.vote);
	rb_put_le64(p + SB_COMMIT, sb->hs.commit);
	rb_put_le64(p + SB_LOG_OFF, sb->log_off);
	rb_put_le64(p + SB_LOG_SIZE, sb->log_size);
	rb_put_le64(p + SB_DATA_OFF, sb->data_off);
	rb_put_le64(p + SB_DATA_SIZE, sb->data_size);
	rb_put_le64(p + SB_NONCE, sb->log_nonce);
	rb_put_le64(p + SB_EPOCH, sb->log_epoch);
	rb_put_le64(p + SB_EPOCH_INDEX, sb->epoch_index);
	rb_put_le64(p + SB_LOG_START, sb->log_start);
	rb_put_le64(p + SB_SNAP_INDEX, sb->snap.index);
	rb_put_le64(p + SB_SNAP_TERM, sb->snap.term);
	rb_put_le32(p + SB_FLAGS, sb->flags);
	rb_put_le64(p + SB_RESYNC_BASE, sb->resync_base);
	rb_put_le64(p + SB_COPY_INDEX, sb->copy_index);
	rb_put_le32(p + SB_CONF_N, sb->snap.conf.n);
	conf_encode(p + SB_CONF, &sb->snap.conf);
	rb_put_le32(p + SB_CRC, raftblk_crc32c(p, SB_CRC));
	return 0;
}

int raftblk_sb_decode(const void *buf, u32 len, u64 dev_size,
		      struct raftblk_sb *sb, const char **why)
{
	const u8 *p = buf;
	u32 version;
	int err;

	memset(sb, 0, sizeof(*sb));
	if (len < RAFTBLK_SB_SIZE)
		return od_fail(why, EBADMSG, "superblock: short buffer");
	if (memcmp(p + SB_MAGIC, RAFTBLK_SB_MAGIC, 8))
		return od_fail(why, EBADMSG, "superblock: bad magic");
	if (rb_get_le32(p + SB_CRC) != raftblk_crc32c(p, SB_CRC))
		return od_fail(why, EBADMSG, "superblock: bad checksum");
	version = rb_get_le32(p + SB_VERSION);
	if (version == RAFTBLK_OD_FORMAT_VERSION) {
		if (rb_get_le32(p + SB_REC_BLOCK))
			return od_fail(why, EBADMSG, "superblock: reserved bytes not zero");
		sb->rec_block = RAFTBLK_REC_BLOCK_MAX;
	} else if (version == RAFTBLK_OD_VERSION_REC_BLOCK) {
		sb->rec_block = rb_get_le32(p + SB_REC_BLOCK);
		/* version 1 says 4 KiB; the encoder never writes this */
		if (sb->rec_block == RAFTBLK_REC_BLOCK_MAX)
			return od_fail(why, EBADMSG, "superblock: version 2 with 4 KiB record blocks");
	} else {
		return od_fail(why, EBADMSG, "superblock: unknown format version");
	}
	if (rb_get_le32(p + SB_LEN) != RAFTBLK_SB_SIZE)
		return od_fail(why, EBADMSG, "superblock: bad length");
	if (rb_get_le32(p + SB_FLAGS) & ~RAFTBLK_SB_F_ALL)
		return od_fail(why, EBADMSG, "superblock: unknown flags");
	if (!rb_all_zero(p + SB_RSVD, SB_CRC - SB_RSVD))
		return od_fail(why, EBADMSG, "superblock: reserved bytes not zero");
	sb->seq = rb_get_le64(p + SB_SEQ);
	memcpy(sb->uuid, p + SB_UUID, RAFTBLK_UUID_LEN);
	sb->node_id = rb_get_le64(p + SB_NODE_ID);
	sb->hs.term = rb_get_le64(p + SB_TERM);
	sb->hs.vote = rb_get_le64(p + SB_VOTE);
	sb->hs.commit = rb_get_le64(p + SB_COMMIT);
	sb->log_off = rb_get_le64(p + SB_LOG_OFF);
	sb->log_size = rb_get_le64(p + SB_LOG_SIZE);
	sb->data_off = rb_get_le64(p + SB_DATA_OFF);
	sb->data_size = rb_get_le64(p + SB_DATA_SIZE);
	sb->log_nonce = rb_get_le64(p + SB_NONCE);
	sb->log_epoch = rb_get_le64(p + SB_EPOCH);
	sb->epoch_index = rb_get_le64(p + SB_EPOCH_INDEX);
	sb->log_start = rb_get_le64(p + SB_LOG_START);
	sb->snap.index = rb_get_le64(p + SB_SNAP_INDEX);
	sb->snap.term = rb_get_le64(p + SB_SNAP_TERM);
	sb->flags = rb_get_le32(p + SB_FLAGS);
	sb->resync_base = rb_get_le64(p + SB_RESYNC_BASE);
	sb->copy_index = rb_get_le64(p + SB_COPY_INDEX);
	err = conf_decode(p + SB_CONF, rb_get_le32(p + SB_CONF_N),
			  &sb->snap.conf, why);
	if (err)
		return err;
	return sb_check(sb, dev_size, EBADMSG, why);
}

int raftblk_sb_pick(const void *area, u32 len, u64 dev_size,
		    struct raftblk_sb *sb, u32 *slot, const char **why)
{
	const u8 *p = area;
	const char *w[RAFTBLK_SB_SLOTS] = { NULL, NULL };
	int err[RAFTBLK_SB_SLOTS];
	u64 seq[RAFTBLK_SB_SLOTS], node[RAFTBLK_SB_SLOTS];
	u8 uuid[RAFTBLK_UUID_LEN];
	u32 i, best;

	if (len < RAFTBLK_SB_AREA)
		return od_fail(why, EBADMSG, "superblock: short buffer");
	/* Decoded one at a time into *sb: a superblock is too big to keep
	 * two on a kernel stack.
	 */
	for (i = 0; i < RAFTBLK_SB_SLOTS; i++) {
		err[i] = raftblk_sb_decode(p + i * RAFTBLK_SB_SIZE,
					   RAFTBLK_SB_SIZE, dev_size, sb,
					   &w[i]);
		seq[i] = sb->seq;
		node[i] = sb->node_id;
		if (i == 0)
			memcpy(uuid, sb->uuid, RAFTBLK_UUID_LEN);
	}
	if (err[0] && err[1]) {
		memset(sb, 0, sizeof(*sb));
		if (why)
			*why = w[0];
		return err[0];
	}
	if (!err[0] && !err[1]) {
		if (seq[0] == seq[1])
			return od_fail(why, EBADMSG,
			     "superblock: both slots have the same sequence");
		if (memcmp(uuid, sb->uuid, RAFTBLK_UUID_LEN) ||
		    node[0] != node[1])
			return od_fail(why, EBADMSG,
			     "superblock: slots belong to different nodes");
		best = seq[1] > seq[0];
	} else {
		best = err[0] ? 1 : 0;
	}
	*slot = best;
	return raftblk_sb_decode(p + best * RAFTBLK_SB_SIZE, RAFTBLK_SB_SIZE,
				 dev_size, sb, why);
}

/* ------------------------------------------------------------------ */
/* Log records                                                        */

#define REC_MAGIC	0	/* 8 */
#define REC_LEN		8	/* 4 */
#define REC_DATA_LEN	12	/* 4 */
#define REC_NONCE	16
#define REC_EPOCH	24
#define REC_LAP		32
#define REC_INDEX	40
#define REC_TERM	48
#define REC_PREV_TERM	56
#define REC_TYPE	64	/* 1 */
#define REC_CC_OP	65	/* 1 */
#define REC_RSVD1	66	/* 2, zero */
#define REC_DATA_CRC	68	/* 4 */
#define REC_CC_ID	72
#define REC_CC_ADDR	80	/* RAFT_ADDR_LEN */
#define REC_SECTOR	144
#define REC_PL_LEN	152	/* 4 */
#define REC_PL_FLAGS	156	/* 4 */
#define REC_RSVD2	160	/* zero up to REC_CRC */
/* The header crc is in the last 4 bytes of the record block. */
static u32 rec_crc_off(const struct raftblk_rec_ctx *ctx)
{
	return ctx->rec_block - 4;
}

static int rec_check(const struct raftblk_rec *r,
		     const struct raftblk_rec_ctx *ctx, int code,
		     const char **why)
{
	u32 nodata;

	if (r->data_len > RAFTBLK_REC_MAX_DATA || (r->data_len & 511))
		return od_fail(why, code, "record: bad data length");
	if (r->rec_len != raftblk_rec_len(ctx->rec_block, r->data_len))
		return od_fail(why, code, "record: length does not match data length");
	if (r->rec_len > ctx->log_size)
		return od_fail(why, code, "record: longer than the log area");
	if (!r->data_len && r->data_crc)
		return od_fail(why, code, "record: data checksum without data");
	if (r->nonce != ctx->nonce)
		return od_fail(why, code, "record: belongs to another log (nonce)");
	if (r->lap > (~0ULL - 2 * ctx->log_size) / ctx->log_size)
		return od_fail(why, code, "record: lap number overflows");
	if (!r->index || r->index == ~0ULL)
		return od_fail(why, code, "record: bad index");
	if (!r->term)
		return od_fail(why, code, "record: term 0");
	if (r->prev_term > r->term)
		return od_fail(why, code, "record: previous term above term");
	if ((r->index == 1) != (r->prev_term == 0))
		return od_fail(why, code, "record: bad previous term");

	if (r->type == RAFTBLK_REC_WRAP) {
		if (r->cc.op || r->cc.id ||
		    !rb_all_zero(r->cc.addr, RAFT_ADDR_LEN) || r->sector ||
		    r->len || r->flags || r->data_len)
			return od_fail(why, code, "record: wrap marker with entry fields");
		return 0;
	}
	if (r->type == RAFT_ENTRY_CONF) {
		if (r->cc.op < RAFT_CONF_ADD_LEARNER ||
		    r->cc.op > RAFT_CONF_DEMOTE)
			return od_fail(why, code, "record: unknown membership change");
		if (r->cc.id == RAFT_NONE)
			return od_fail(why, code, "record: membership change for node 0");
	} else {
		if (r->type != RAFT_ENTRY_NORMAL &&
		    r->type != RAFT_ENTRY_NOOP &&
		    r->type != RAFT_ENTRY_BARRIER)
			return od_fail(why, code, "record: unknown entry type");
		/* A barrier's marker is its caller's: any bytes. */
		if (r->type != RAFT_ENTRY_BARRIER &&
		    (r->cc.op || r->cc.id ||
		     !rb_all_zero(r->cc.addr, RAFT_ADDR_LEN)))
			return od_fail(why, code, "record: membership fields in a non-conf entry");
	}

	if (r->type != RAFT_ENTRY_NORMAL || !r->len) {
		if (r->sector || r->len || r->flags || r->data_len)
			return od_fail(why, code, "record: payload fields in an entry without payload");
		return 0;
	}
	if (r->flags & ~RAFTBLK_REC_F_ALL)
		return od_fail(why, code, "record: unknown payload flags");
	nodata = r->flags & (RAFTBLK_REC_F_DISCARD | RAFTBLK_REC_F_WRITE_ZEROES);
	if (nodata == (RAFTBLK_REC_F_DISCARD | RAFTBLK_REC_F_WRITE_ZEROES))
		return od_fail(why, code, "record: both discard and write-zeroes");
	if ((r->len & 511) || r->len > RAFTBLK_REC_MAX_LEN)
		return od_fail(why, code, "record: bad payload length");
	if (nodata ? r->data_len != 0 : r->data_len != r->len)
		return od_fail(why, code, "record: payload length does not match data");
	if (r->sector > (ctx->data_size >> 9) ||
	    r->len > ctx->data_size - (r->sector << 9))
		return od_fail(why, code, "record: payload beyond the data area");
	return 0;
}

int raftblk_rec_encode(const struct raftblk_rec *r,
		       const struct raftblk_rec_ctx *ctx, void *buf,
		       const char **why)
{
	struct raftblk_rec t = *r;
	u8 *p = buf;
	int err;

	if (!raftblk_rec_block_ok(ctx->rec_block))
		return od_fail(why, EINVAL, "record: bad record block size");
	if (t.data_len > RAFTBLK_REC_MAX_DATA)
		return od_fail(why, EINVAL, "record: bad data length");
	t.rec_len = raftblk_rec_len(ctx->rec_block, t.data_len);
	err = rec_check(&t, ctx, EINVAL, why);
	if (err)
		return err;
	memset(p, 0, ctx->rec_block);
	memcpy(p + REC_MAGIC, RAFTBLK_REC_MAGIC, 8);
	rb_put_le32(p + REC_LEN, t.rec_len);
	rb_put_le32(p + REC_DATA_LEN, t.data_len);
	rb_put_le64(p + REC_NONCE, t.nonce);
	rb_put_le64(p + REC_EPOCH, t.epoch);
	rb_put_le64(p + REC_LAP, t.lap);
	rb_put_le64(p + REC_INDEX, t.index);
	rb_put_le64(p + REC_TERM, t.term);
	rb_put_le64(p + REC_PREV_TERM, t.prev_term);
	p[REC_TYPE] = t.type;
	p[REC_CC_OP] = t.cc.op;
	rb_put_le32(p + REC_DATA_CRC, t.data_crc);
	rb_put_le64(p + REC_CC_ID, t.cc.id);
	memcpy(p + REC_CC_ADDR, t.cc.addr, RAFT_ADDR_LEN);
	rb_put_le64(p + REC_SECTOR, t.sector);
	rb_put_le32(p + REC_PL_LEN, t.len);
	rb_put_le32(p + REC_PL_FLAGS, t.flags);
	rb_put_le32(p + rec_crc_off(ctx), raftblk_crc32c(p, rec_crc_off(ctx)));
	return 0;
}

int raftblk_rec_decode(const void *buf, u32 len,
		       const struct raftblk_rec_ctx *ctx,
		       struct raftblk_rec *r, const char **why)
{
	const u8 *p = buf;
	u32 crc_off;

	memset(r, 0, sizeof(*r));
	if (!raftblk_rec_block_ok(ctx->rec_block))
		return od_fail(why, EINVAL, "record: bad record block size");
	crc_off = rec_crc_off(ctx);
	if (len < ctx->rec_block)
		return od_fail(why, EBADMSG, "record: short buffer");
	if (memcmp(p + REC_MAGIC, RAFTBLK_REC_MAGIC, 8))
		return od_fail(why, EBADMSG, "record: bad magic");
	if (rb_get_le32(p + crc_off) != raftblk_crc32c(p, crc_off))
		return od_fail(why, EBADMSG, "record: bad checksum");
	if (p[REC_RSVD1] || p[REC_RSVD1 + 1] ||
	    !rb_all_zero(p + REC_RSVD2, crc_off - REC_RSVD2))
		return od_fail(why, EBADMSG, "record: reserved bytes not zero");
	r->rec_len = rb_get_le32(p + REC_LEN);
	r->data_len = rb_get_le32(p + REC_DATA_LEN);
	r->nonce = rb_get_le64(p + REC_NONCE);
	r->epoch = rb_get_le64(p + REC_EPOCH);
	r->lap = rb_get_le64(p + REC_LAP);
	r->index = rb_get_le64(p + REC_INDEX);
	r->term = rb_get_le64(p + REC_TERM);
	r->prev_term = rb_get_le64(p + REC_PREV_TERM);
	r->type = p[REC_TYPE];
	r->cc.op = p[REC_CC_OP];
	r->data_crc = rb_get_le32(p + REC_DATA_CRC);
	r->cc.id = rb_get_le64(p + REC_CC_ID);
	memcpy(r->cc.addr, p + REC_CC_ADDR, RAFT_ADDR_LEN);
	r->sector = rb_get_le64(p + REC_SECTOR);
	r->len = rb_get_le32(p + REC_PL_LEN);
	r->flags = rb_get_le32(p + REC_PL_FLAGS);
	return rec_check(r, ctx, EBADMSG, why);
}

/* ------------------------------------------------------------------ */
/* The ring                                                           */

u64 raftblk_ring_place(u64 log_size, u64 head, u32 rec_len)
{
	u64 off = raftblk_ring_off(log_size, head);

	if (off + rec_len > log_size)
		return head - off + log_size;
	return head;
}

int raftblk_ring_reserve(u64 log_size, u64 tail, u64 head, u32 rec_len,
			 u64 *end)
{
	u64 pos;

	if (head < tail || rec_len > log_size)
		return -ENOSPC;
	pos = raftblk_ring_place(log_size, head, rec_len);
	if (pos + rec_len - tail > log_size)
		return -ENOSPC;
	*end = pos + rec_len;
	return 0;
}

/*
 * Is the record r, read at absolute position pos, the next one of the log?
 * want_index/prev_term/min_epoch describe what the log needs next.
 */
static int scan_match(const struct raftblk_sb *sb, const struct raftblk_rec *r,
		      u64 pos, raft_index want_index, raft_term prev_term,
		      u64 min_epoch, const char **why)
{
	u64 off = raftblk_ring_off(sb->log_size, pos);

	if (r->lap != raftblk_ring_lap(sb->log_size, pos))
		return od_fail(why, ESTALE, "record: from another lap");
	if (r->index != want_index)
		return od_fail(why, ESTALE, "record: not the next index");
	if (r->epoch > sb->log_epoch || r->epoch < min_epoch)
		return od_fail(why, ESTALE, "record: from a truncated suffix (epoch)");
	if (r->index > sb->epoch_index && r->epoch != sb->log_epoch)
		return od_fail(why, ESTALE,
		     "record: written before the last truncation (epoch)");
	if (r->prev_term != prev_term)
		return od_fail(why, ESTALE,
		     "record: does not follow the previous entry (term)");
	if (off + r->rec_len > sb->log_size)
		return od_fail(why, EBADMSG, "record: crosses the end of the ring");
	if (pos + r->rec_len - sb->log_start > sb->log_size)
		return od_fail(why, ESTALE, "record: log longer than the ring");
	return 0;
}

/* Read and match the header at absolute position pos. */
static int scan_read(const struct raftblk_sb *sb,
		     const struct raftblk_scan_ops *ops, void *ctx, void *buf,
		     u64 pos, raft_index want_index, raft_term prev_term,
		     u64 min_epoch, struct raftblk_rec *r, const char **why,
		     bool *io_err)
{
	const struct raftblk_rec_ctx rctx = {
		.log_size = sb->log_size,
		.data_size = sb->data_size,
		.nonce = sb->log_nonce,
		.rec_block = sb->rec_block,
	};
	int err;

	err = ops->read_hdr(ctx, raftblk_ring_off(sb->log_size, pos), buf);
	if (err) {
		*io_err = true;
		return err;
	}
	err = raftblk_rec_decode(buf, sb->rec_block, &rctx, r, why);
	if (err)
		return err;
	return scan_match(sb, r, pos, want_index, prev_term, min_epoch, why);
}

int raftblk_ring_scan(const struct raftblk_sb *sb,
		      const struct raftblk_scan_ops *ops, void *ctx,
		      void *buf, struct raftblk_scan_result *res)
{
	raft_term prev_term = sb->snap.term;
	u64 head = sb->log_start;
	u64 min_epoch = 0;
	struct raftblk_rec r;
	int err;

	memset(res, 0, sizeof(*res));
	res->last_index = sb->snap.index;
	res->last_term = sb->snap.term;

	for (;;) {
		raft_index want = res->last_index + 1;
		const char *why = NULL;
		bool io_err = false;
		u64 pos = head;

		err = scan_read(sb, ops, ctx, buf, pos, want, prev_term,
				min_epoch, &r, &why, &io_err);
		if (io_err)
			return err;
		if (!err && r.type == RAFTBLK_REC_WRAP) {
			u64 off = raftblk_ring_off(sb->log_size, head);
			raft_term term = r.term;

			if (!off) {
				why = "record: wrap marker at the start of a lap";
				err = -EBADMSG;
			} else {
				pos = head - off + sb->log_size;
				err = scan_read(sb, ops, ctx, buf, pos, want,
						prev_term, min_epoch, &r, &why,
						&io_err);
				if (io_err)
					return err;
				if (!err && (r.type == RAFTBLK_REC_WRAP ||
					     r.term != term)) {
					why = "record: not the one its wrap marker announced";
					err = -ESTALE;
				} else if (!err &&
					   raftblk_ring_place(sb->log_size, head,
							      r.rec_len) != pos) {
					why = "record: wrapped but fits before the end";
					err = -ESTALE;
				}
			}
		}
		if (err) {
			res->stop_pos = pos;
			res->stop_why = why;
			break;
		}
		err = ops->load(ctx, &r, pos);
		if (err == -EBADMSG) {
			res->stop_pos = pos;
			res->stop_why = "record: data checksum mismatch (torn)";
			break;
		}
		if (err)
			return err;
		res->n_records++;
		res->last_index = r.index;
		res->last_term = r.term;
		prev_term = r.term;
		min_epoch = r.epoch;
		head = pos + r.rec_len;
	}
	res->head = head;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Extent map                                                         */

#define EM_MAGIC	0	/* 8 */
#define EM_VERSION	8	/* 4 */
#define EM_SHIFT	12	/* 4 */
#define EM_SEQ		16
#define EM_DATA_SIZE	24
#define EM_N		32	/* 4 */
#define EM_ARRAY_CRC	36	/* 4 */
#define EM_INDEX	40
#define EM_RSVD		48	/* zero up to EM_CRC */
#define EM_CRC		(RAFTBLK_EMAP_HDR_SIZE - 4)

int raftblk_emap_geometry(u64 log_off, u64 data_size,
			  struct raftblk_emap_geo *geo)
{
	u64 room, slot, n;
	u32 shift;

	memset(geo, 0, sizeof(*geo));
	if (log_off <= RAFTBLK_EMAP_OFF || !data_size)
		return -ENOSPC;
	room = log_off - RAFTBLK_EMAP_OFF;
	slot = (room / 2) & ~(u64)(RAFTBLK_OD_BLOCK - 1);
	if (slot < RAFTBLK_EMAP_HDR_SIZE + RAFTBLK_OD_BLOCK)
		return -ENOSPC;
	for (shift = RAFTBLK_EMAP_MIN_SHIFT; shift <= RAFTBLK_EMAP_MAX_SHIFT;
	     shift++) {
		u64 alen;

		n = (data_size + (1ULL << shift) - 1) >> shift;
		alen = (n * 8 + RAFTBLK_OD_BLOCK - 1) &
			~(u64)(RAFTBLK_OD_BLOCK - 1);
		if (RAFTBLK_EMAP_HDR_SIZE + alen <= slot) {
			geo->shift = shift;
			geo->n = (u32)n;
			geo->array_len = (u32)alen;
			geo->slot_size = RAFTBLK_EMAP_HDR_SIZE + alen;
			geo->slot_off[0] = RAFTBLK_EMAP_OFF;
			geo->slot_off[1] = RAFTBLK_EMAP_OFF + slot;
			return 0;
		}
	}
	return -ENOSPC;
}

int raftblk_emap_hdr_encode(const struct raftblk_emap_hdr *h, void *buf,
			    const char **why)
{
	u8 *p = buf;

	if (!h->seq || !h->n || h->shift < RAFTBLK_EMAP_MIN_SHIFT ||
	    h->shift > RAFTBLK_EMAP_MAX_SHIFT)
		return od_fail(why, EINVAL, "extent map: bad header");
	memset(p, 0, RAFTBLK_EMAP_HDR_SIZE);
	memcpy(p + EM_MAGIC, RAFTBLK_EMAP_MAGIC, 8);
	rb_put_le32(p + EM_VERSION, RAFTBLK_OD_FORMAT_VERSION);
	rb_put_le32(p + EM_SHIFT, h->shift);
	rb_put_le64(p + EM_SEQ, h->seq);
	rb_put_le64(p + EM_DATA_SIZE, h->data_size);
	rb_put_le32(p + EM_N, h->n);
	rb_put_le32(p + EM_ARRAY_CRC, h->array_crc);
	rb_put_le64(p + EM_INDEX, h->index);
	rb_put_le32(p + EM_CRC, raftblk_crc32c(p, EM_CRC));
	return 0;
}

int raftblk_emap_hdr_decode(const void *buf, u32 len,
			    const struct raftblk_emap_geo *geo, u64 data_size,
			    struct raftblk_emap_hdr *h, const char **why)
{
	const u8 *p = buf;

	memset(h, 0, sizeof(*h));
	if (len < RAFTBLK_EMAP_HDR_SIZE)
		return od_fail(why, EBADMSG, "extent map: short buffer");
	if (memcmp(p + EM_MAGIC, RAFTBLK_EMAP_MAGIC, 8))
		return od_fail(why, EBADMSG, "extent map: bad magic");
	if (rb_get_le32(p + EM_CRC) != raftblk_crc32c(p, EM_CRC))
		return od_fail(why, EBADMSG, "extent map: bad checksum");
	if (rb_get_le32(p + EM_VERSION) != RAFTBLK_OD_FORMAT_VERSION)
		return od_fail(why, EBADMSG, "extent map: unknown version");
	if (!rb_all_zero(p + EM_RSVD, EM_CRC - EM_RSVD))
		return od_fail(why, EBADMSG, "extent map: reserved bytes not zero");
	h->seq = rb_get_le64(p + EM_SEQ);
	h->data_size = rb_get_le64(p + EM_DATA_SIZE);
	h->shift = rb_get_le32(p + EM_SHIFT);
	h->n = rb_get_le32(p + EM_N);
	h->array_crc = rb_get_le32(p + EM_ARRAY_CRC);
	h->index = rb_get_le64(p + EM_INDEX);
	if (!h->seq)
		return od_fail(why, EBADMSG, "extent map: sequence number 0");
	if (h->data_size != data_size || h->shift != geo->shift ||
	    h->n != geo->n)
		return od_fail(why, EBADMSG,
			       "extent map: geometry differs from the device's");
	return 0;
}

void raftblk_emap_array_encode(const u64 *v, u32 n, void *buf, u32 len)
{
	u8 *p = buf;
	u32 i;

	memset(p, 0, len);
	for (i = 0; i < n && (u64)i * 8 + 8 <= len; i++)
		rb_put_le64(p + (u64)i * 8, v[i]);
}

int raftblk_emap_array_decode(const void *buf, u32 len, u32 n, u32 crc,
			      u64 *v, const char **why)
{
	const u8 *p = buf;
	u32 i;

	if ((u64)n * 8 > len)
		return od_fail(why, EBADMSG, "extent map: array too short");
	if (raftblk_crc32c(p, len) != crc)
		return od_fail(why, EBADMSG, "extent map: bad array checksum");
	if (!rb_all_zero(p + (u64)n * 8, len - n * 8))
		return od_fail(why, EBADMSG, "extent map: padding not zero");
	for (i = 0; i < n; i++)
		v[i] = rb_get_le64(p + (u64)i * 8);
	return 0;
}
