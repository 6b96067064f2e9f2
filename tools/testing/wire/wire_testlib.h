/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire_testlib.h - helpers shared by the wire codec tests and fuzzer:
 * payload ops over the test payloads, valid random messages, field-by-
 * field comparison, whole-frame encoding, and re-sealing a frame's crcs
 * after a deliberate edit (so validation behind the crcs can be tested).
 */
#ifndef WIRE_TESTLIB_H
#define WIRE_TESTLIB_H

#include "raft/raft.h"
#include "wire.h"

extern const struct rb_wire_payload_ops test_payload_ops;
/* ids of node 1 sending to node 2, and of node 2 receiving from node 1 */
extern const struct rb_wire_ids test_tx_ids;
extern const struct rb_wire_ids test_rx_ids;

u64 test_rand(u64 *state);

/*
 * A valid message of the given type from 1 to 2 with random field values;
 * APPEND gets up to max_entries entries of every kind (data, discard,
 * write-zeroes, FUA, NOOP, CONF, BARRIER, NORMAL without payload) with up
 * to max_data bytes of data per payload.
 */
void test_gen_msg(u64 *rng, u8 type, u32 max_entries, u32 max_data,
		  struct raft_msg *m);
/* Free a message built by test_gen_msg(). */
void test_free_msg(struct raft_msg *m);

/* true if a and b are equal in every field the wire carries. */
bool test_msg_equal(const struct raft_msg *a, const struct raft_msg *b,
		    const char **what);

/*
 * Encode m into a freshly allocated contiguous frame (header, meta, data).
 * Returns the frame length and sets *out, or an rb_wire_err.
 */
long test_encode_frame(const struct raft_msg *m,
		       const struct rb_wire_limits *lim, u8 **out);

/* Recompute the header crc of the frame in buf (len bytes, at least a
 * header) and its meta crc if the meta part is inside buf.
 */
void test_reseal(u8 *buf, size_t len);

#endif /* WIRE_TESTLIB_H */
