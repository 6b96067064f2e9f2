/* SPDX-License-Identifier: GPL-2.0 */
/*
 * env.h - the consensus core's only window onto its platform.
 *
 * The core (the .c files in kernel/raft/) includes nothing but this
 * header and its own headers. ../portable.h gives the types (u8 u16 u32
 * u64 s64 bool size_t NULL true false), little-endian helpers and crc32c,
 * the same in the kernel and in userspace; the platform header provides:
 *
 *   memory      raft_malloc(size) raft_calloc(n, size) raft_free(p)
 *               (may fail: return NULL; never sleep-forbidden context
 *               assumptions beyond the caller's)
 *   strings     memcpy memset memcmp
 *   checks      raft_assert(cond): a broken internal invariant; in the
 *               kernel a one-time WARN, in tests an abort with a message
 *   logging     raft_logf(level, fmt, ...) with RAFT_LOG_{DEBUG,INFO,WARN}
 *   payloads    struct raft_payload; raft_payload_len(p) (bytes),
 *               raft_payload_get(p), raft_payload_put(p)
 *
 * Randomness is not taken from the platform: the core runs its own PRNG
 * seeded from raft_options.rand_seed so runs are reproducible.
 */
#ifndef RAFT_ENV_H
#define RAFT_ENV_H

#include "../portable.h"
#ifdef __KERNEL__
#include "../raft_kenv.h"
#else
#include "raft_uenv.h"	/* tools/testing/lib/ */
#endif

#endif /* RAFT_ENV_H */
