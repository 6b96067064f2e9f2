/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_kenv.h - kernel platform for the consensus core (see raft/env.h).
 */
#ifndef RAFTBLK_RAFT_KENV_H
#define RAFTBLK_RAFT_KENV_H

#include <linux/types.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/bug.h>
#include <linux/printk.h>

/* The core runs in process context on the device's raft worker, which may
 * be in the block I/O path: never recurse into I/O to reclaim memory.
 * Some arrays grow with the log (the in-memory log ring, the committed
 * entries of a ready batch after a restart: 10^5 entries are MBs), so
 * fall back to vmalloc when contiguous pages are short (6.1's kvmalloc
 * accepts GFP_NOIO).
 */
#ifndef RAFTBLK_TEST_VMALLOC
#define raft_malloc(size)	kvmalloc((size), GFP_NOIO)
#define raft_calloc(n, size)	kvcalloc((n), (size), GFP_NOIO)
#else
/*
 * Test builds (tools/testing/wire ktest) take every array from vmalloc,
 * the fallback kvmalloc uses when pages are fragmented: freeing one with
 * kfree() then breaks at once instead of once in a while in production.
 */
#include <linux/vmalloc.h>
#define raft_malloc(size)	__vmalloc((size), GFP_NOIO)
#define raft_calloc(n, size)	__vcalloc((n), (size), GFP_NOIO)
#endif
#define raft_free(p)		kvfree(p)

#define raft_assert(cond)	WARN_ON_ONCE(!(cond))

#define RAFT_LOG_DEBUG	0
#define RAFT_LOG_INFO	1
#define RAFT_LOG_WARN	2

/*
 * Rate-limited per call site: several lines are reachable from the
 * network (an APPEND at the node's own term from a stranger makes a
 * leader warn "another leader"), so a peer must not flood the log.
 */
#define raft_logf(level, fmt, ...)					\
	do {								\
		if ((level) >= RAFT_LOG_WARN)				\
			pr_warn_ratelimited("raftblk: " fmt "\n",	\
					    ##__VA_ARGS__);		\
		else if ((level) == RAFT_LOG_INFO)			\
			pr_info_ratelimited("raftblk: " fmt "\n",	\
					    ##__VA_ARGS__);		\
		else							\
			pr_debug("raftblk: " fmt "\n", ##__VA_ARGS__);	\
	} while (0)

/* Payload: defined by the data path (kernel/payload.c). */
struct raft_payload;
size_t raft_payload_len(const struct raft_payload *p);
void raft_payload_get(struct raft_payload *p);
void raft_payload_put(struct raft_payload *p);

#endif /* RAFTBLK_RAFT_KENV_H */
