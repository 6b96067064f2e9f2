// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: is a disk safe to give to a node? (create and up)
 *
 * A node formats a disk that does not hold a raftblk log yet, so a disk
 * that carries a filesystem, a partition table or another driver's
 * metadata (LVM, md, DRBD, ...) would be destroyed. libblkid finds those
 * signatures; a disk whose superblock slots carry raftblk's magic holds
 * a raftblk log and restarts from it, whatever else blkid sees in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <blkid/blkid.h>
#include "raftctl.h"

/* Documentation/on-disk-format.rst: two 4 KiB slots, magic first. */
#define SB_MAGIC	"RAFTBLK\x01"
#define SB_MAGIC_LEN	8
#define SB_SLOT_SIZE	4096

static bool holds_raftblk_log(int fd)
{
	char magic[SB_MAGIC_LEN];
	int slot;

	for (slot = 0; slot < 2; slot++)
		if (pread(fd, magic, sizeof(magic),
			  (off_t)slot * SB_SLOT_SIZE) == sizeof(magic) &&
		    !memcmp(magic, SB_MAGIC, sizeof(magic)))
			return true;
	return false;
}

/*
 * The first signature blkid finds on FD, as "TYPE" or "TYPE (LABEL)",
 * into BUF; 1 found, 0 none, -1 the probe failed.
 */
static int find_signature(int fd, char *buf, size_t len)
{
	const char *type = NULL, *label = NULL;
	blkid_probe pr;
	int ret = -1;

	pr = blkid_new_probe();
	if (!pr)
		return -1;
	if (blkid_probe_set_device(pr, fd, 0, 0))
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	/* Ambivalent results (two signatures) count as found too. */
	ret = blkid_do_safeprobe(pr);
	if (ret == -2) {
		snprintf(buf, len, "more than one signature");
		ret = 1;
		goto out;
	}
	if (ret < 0)
		goto out;
	if (ret == 1) {
		ret = 0;
		goto out;
	}
	if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) &&
	    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
		type = "an unknown signature";
	if (blkid_probe_lookup_value(pr, "LABEL", &label, NULL))
		label = NULL;
	if (label && *label)
		snprintf(buf, len, "%s (label '%s')", type, label);
	else
		snprintf(buf, len, "%s", type);
	ret = 1;
out:
	blkid_free_probe(pr);
	return ret;
}

int disk_check(const char *ctx, const char *path)
{
	char what[128];
	int fd, found;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return EXIT_OK;	/* the kernel says why it cannot open it */
	if (holds_raftblk_log(fd)) {
		close(fd);
		return EXIT_OK;
	}
	found = find_signature(fd, what, sizeof(what));
	close(fd);
	if (found < 0) {
		fprintf(stderr, "%s: %s: cannot probe %s for existing data (use --force to skip the check)\n",
			prog, ctx, path);
		return EXIT_ERROR;
	}
	if (found) {
		fprintf(stderr, "%s: %s: %s holds %s; a node would format it and destroy that (use --force if you mean it)\n",
			prog, ctx, path, what);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
