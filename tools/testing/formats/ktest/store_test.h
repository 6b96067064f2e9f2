/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_test.h - shared by the log store test module's files.
 */
#ifndef RBST_STORE_TEST_H
#define RBST_STORE_TEST_H

#include <linux/blkdev.h>
#include <linux/types.h>

/* One TAP line in the kernel log ("rbst: ok N - ..."). */
__printf(2, 3) bool rbst_tap(bool ok, const char *fmt, ...);

/* Run argv[0] (a usermode helper, the VM's PATH), wait; its status. */
int rbst_run(char **argv);

/* store_crash.c: the power-cut test (scenario crash_store). */
int rbst_crash_write_start(struct block_device *bdev, const char *lw,
			   u32 appends);
void rbst_crash_write_stop(void);
void rbst_crash_verify(struct block_device *bdev, u64 min_index, u64 term);

#endif /* RBST_STORE_TEST_H */
