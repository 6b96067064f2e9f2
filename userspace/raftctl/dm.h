/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftctl: device-mapper through libdevmapper (dm.c).
 */
#ifndef RAFTCTL_DM_H
#define RAFTCTL_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The helper's exit codes the kernel knows (kernel/raftblk.h). */
#define RAFTBLK_HELPER_FAILED		1
#define RAFTBLK_HELPER_NOT_FOUND	2
#define RAFTBLK_HELPER_SUSPENDED	16
#define RAFTBLK_HELPER_EXISTS		17
#define RAFTBLK_HELPER_NO_SPACE		28
#define RAFTBLK_HELPER_REPLAYED		29

/* Names of the devices: DEV-data[-real], DEV-snap-SNAP[-cow]. */
void dm_name_data(char *buf, size_t len, const char *dev, bool real);
void dm_name_snap(char *buf, size_t len, const char *dev, const char *snap,
		  bool cow);

/* A snapshot device as device-mapper reports it. */
struct dm_snap_state {
	bool active;			/* the device exists */
	bool invalid;			/* its COW overflowed, or it failed */
	uint64_t used, total;		/* COW bytes (data + metadata) */
};

/* 0, or -ENOENT when the snapshot device does not exist. */
int dm_snap_status(const char *dev, const char *snap,
		   struct dm_snap_state *st);

#endif /* RAFTCTL_DM_H */
