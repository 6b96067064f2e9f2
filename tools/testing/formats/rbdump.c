// SPDX-License-Identifier: GPL-2.0
/*
 * rbdump - print the raftblk on-disk state of a disk or image: both
 * superblock slots, the current one, and the log as the kernel recovers
 * it (same codec, same scan: kernel/ondisk.c), with the reason the log
 * ends where it does. Read-only.
 *
 * Usage: rbdump [-q] DISK
 *   -q  superblock and summary only, not one line per record
 * Exit code: 0 valid raftblk disk, 1 no valid superblock, 2 usage / I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "ondisk.h"
#include "portable.h"

static const char *type_name(u8 t)
{
	switch (t) {
	case RAFT_ENTRY_NORMAL: return "normal";
	case RAFT_ENTRY_NOOP: return "noop";
	case RAFT_ENTRY_CONF: return "conf";
	case RAFT_ENTRY_BARRIER: return "barrier";
	default: return "?";
	}
}

static const char *conf_op_name(u8 op)
{
	switch (op) {
	case RAFT_CONF_ADD_LEARNER: return "add-learner";
	case RAFT_CONF_PROMOTE: return "promote";
	case RAFT_CONF_REMOVE: return "remove";
	case RAFT_CONF_DEMOTE: return "demote";
	default: return "?";
	}
}

static void print_uuid(const u8 *u)
{
	for (int i = 0; i < RAFTBLK_UUID_LEN; i++)
		printf("%02x%s", u[i], i == 3 || i == 5 || i == 7 || i == 9 ?
		       "-" : "");
}

static void print_sb(const struct raftblk_sb *sb)
{
	printf("  seq %" PRIu64 ", cluster ", sb->seq);
	print_uuid(sb->uuid);
	printf(", node %" PRIu64 "\n", sb->node_id);
	printf("  term %" PRIu64 ", vote %" PRIu64 ", commit %" PRIu64 "\n",
	       sb->hs.term, sb->hs.vote, sb->hs.commit);
	printf("  log area %" PRIu64 " +%" PRIu64 ", data area %" PRIu64
	       " +%" PRIu64 " (bytes), record block %u\n", sb->log_off,
	       sb->log_size, sb->data_off, sb->data_size, sb->rec_block);
	printf("  nonce %016" PRIx64 ", epoch %" PRIu64 " after index %"
	       PRIu64 ", log start %" PRIu64 " (lap %" PRIu64 " offset %"
	       PRIu64 ")\n", sb->log_nonce, sb->log_epoch, sb->epoch_index,
	       sb->log_start, raftblk_ring_lap(sb->log_size, sb->log_start),
	       raftblk_ring_off(sb->log_size, sb->log_start));
	printf("  compaction point: index %" PRIu64 ", term %" PRIu64
	       ", %u member(s)\n", sb->snap.index, sb->snap.term,
	       sb->snap.conf.n);
	for (u32 i = 0; i < sb->snap.conf.n; i++) {
		const struct raft_node *nd = &sb->snap.conf.nodes[i];

		printf("    node %" PRIu64 " %s %.*s\n", nd->id,
		       nd->role == RAFT_VOTER ? "voter" : "learner",
		       RAFT_ADDR_LEN, (const char *)nd->addr);
	}
}

struct dump {
	int fd;
	const struct raftblk_sb *sb;
	bool quiet;
	u8 *data;
};

static int rd(int fd, u64 off, void *buf, u32 len)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	if ((u32)n != len)
		return -EIO;
	return 0;
}

static int d_read_hdr(void *ctx, u64 off, void *buf)
{
	struct dump *d = ctx;

	return rd(d->fd, d->sb->log_off + off, buf, d->sb->rec_block);
}

static int d_load(void *ctx, const struct raftblk_rec *r, u64 pos)
{
	struct dump *d = ctx;
	u64 off = d->sb->log_off + raftblk_ring_off(d->sb->log_size, pos) +
		d->sb->rec_block;
	int err;

	if (r->data_len) {
		err = rd(d->fd, off, d->data, r->data_len);
		if (err)
			return err;
		if (raftblk_crc32c(d->data, r->data_len) != r->data_crc)
			return -EBADMSG;
	}
	if (d->quiet)
		return 0;
	printf("  %8" PRIu64 "  term %-6" PRIu64 " %-8s", r->index, r->term,
	       type_name(r->type));
	if (r->type == RAFT_ENTRY_CONF)
		printf(" %s node %" PRIu64 " %.*s", conf_op_name(r->cc.op),
		       r->cc.id, RAFT_ADDR_LEN, (const char *)r->cc.addr);
	if (r->type == RAFT_ENTRY_NORMAL && r->len)
		printf(" %s sector %" PRIu64 " +%u%s",
		       r->flags & RAFTBLK_REC_F_DISCARD ? "discard" :
		       r->flags & RAFTBLK_REC_F_WRITE_ZEROES ? "zeroes" :
		       "write", r->sector, r->len,
		       r->flags & RAFTBLK_REC_F_FUA ? " fua" : "");
	printf("  [pos %" PRIu64 " lap %" PRIu64 " epoch %" PRIu64 "]\n", pos,
	       r->lap, r->epoch);
	return 0;
}

int main(int argc, char **argv)
{
	static u8 area[RAFTBLK_SB_AREA], hdr[RAFTBLK_REC_BLOCK_MAX];
	static u8 data[RAFTBLK_REC_MAX_DATA];
	const struct raftblk_scan_ops ops = { d_read_hdr, d_load };
	struct raftblk_scan_result res;
	struct raftblk_sb sb;
	struct dump d = { .data = data };
	const char *why = NULL;
	u64 dev_size;
	u32 slot;
	int err, argi = 1;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		d.quiet = true;
		argi++;
	}
	if (argi != argc - 1) {
		fprintf(stderr, "usage: rbdump [-q] DISK\n");
		return 2;
	}
	d.fd = open(argv[argi], O_RDONLY);
	if (d.fd < 0) {
		fprintf(stderr, "rbdump: %s: %s\n", argv[argi], strerror(errno));
		return 2;
	}
	dev_size = (u64)lseek(d.fd, 0, SEEK_END);
	err = rd(d.fd, 0, area, sizeof(area));
	if (err) {
		fprintf(stderr, "rbdump: %s: cannot read the superblocks\n",
			argv[argi]);
		return 2;
	}
	for (slot = 0; slot < RAFTBLK_SB_SLOTS; slot++) {
		err = raftblk_sb_decode(area + slot * RAFTBLK_SB_SIZE,
					RAFTBLK_SB_SIZE, dev_size, &sb, &why);
		printf("superblock slot %u: %s\n", slot, err ? why : "valid");
	}
	err = raftblk_sb_pick(area, sizeof(area), dev_size, &sb, &slot, &why);
	if (err) {
		printf("no usable superblock: %s\n", why);
		return 1;
	}
	printf("current superblock: slot %u\n", slot);
	print_sb(&sb);
	d.sb = &sb;
	printf("log:\n");
	err = raftblk_ring_scan(&sb, &ops, &d, hdr, &res);
	if (err) {
		fprintf(stderr, "rbdump: read error %d in the log area\n", err);
		return 2;
	}
	printf("log: %" PRIu64 " record(s), entries %" PRIu64 "..%" PRIu64
	       ", last term %" PRIu64 ", %" PRIu64 " of %" PRIu64
	       " bytes used\n", res.n_records, sb.snap.index + 1,
	       res.last_index, res.last_term, res.head - sb.log_start,
	       sb.log_size);
	printf("log ends at position %" PRIu64 ": %s\n", res.stop_pos,
	       res.stop_why ? res.stop_why : "-");
	return 0;
}
