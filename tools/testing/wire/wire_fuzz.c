// SPDX-License-Identifier: GPL-2.0
/*
 * wire_fuzz.c - libFuzzer target for the wire decoder.
 *
 * Input: one mode byte, then a frame. Mode bit 0 set: the harness
 * recomputes the header crc and the meta crc before decoding, so mutated
 * inputs get past the crcs and exercise the structural checks. Mode bit 1
 * set: decode against ids that accept any sender (handshake state).
 *
 * Checked properties (abort on violation): no memory error or UB (ASan,
 * UBSan), no leak of allocations or payloads, the streaming decoder
 * (header + meta) accepts what the whole-frame decoder accepts, and an
 * accepted RAFT_MSG re-encodes to exactly the input bytes.
 */
#include "wire_testlib.h"
#include "portable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "wire_fuzz: property violated: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_wire_ids ids = test_rx_ids;
	struct rb_wire_payload_desc *d;
	struct rb_wire_limits lim;
	struct rb_wire_hdr h, h2;
	struct rb_wire_ctl c;
	struct raft_msg m, m2;
	const char *why;
	u8 mode, *b;
	size_t len;
	long ret;

	if (size < 1)
		return 0;
	mode = data[0];
	len = size - 1;
	b = malloc(len ? len : 1);
	check(b != NULL, "malloc");
	memcpy(b, data + 1, len);
	if ((mode & 1) && len >= RB_WIRE_HDR_LEN)
		test_reseal(b, len);
	if (mode & 2)
		ids.peer = 0;
	rb_wire_limits_default(&lim);
	/* Small limits too, so that the limit checks are reachable. */
	if (mode & 4) {
		lim.max_meta_len = 4096;
		lim.max_data_len = 8192;
		lim.max_entries = 8;
		lim.max_payload_data = 4096;
		lim.max_payload_len = 1 << 20;
	}

	/* Mode 8: a snapshot report (node_snaprep.c, netlink) instead. */
	if (mode & 8) {
		why = NULL;
		if (!rb_wire_snaprep_check(b, len, mode & 16, &why)) {
			u32 n = rb_get_le32(b);

			check(n <= RB_WIRE_SNAPREP_MAX_ROWS &&
			      len >= RB_WIRE_SNAPREP_HDR_LEN +
			      n * RB_WIRE_SNAPREP_ROW_LEN &&
			      ((mode & 16) || len == RB_WIRE_SNAPREP_HDR_LEN +
			       n * RB_WIRE_SNAPREP_ROW_LEN),
			      "snapshot report taken with a wrong length");
		} else {
			check(why != NULL, "snapshot report refused without why");
		}
		free(b);
		return 0;
	}
	ret = rb_wire_decode_frame(b, len, &lim, &ids, &test_payload_ops,
				   NULL, &h, &c, &m, &why);
	if (ret > 0 && h.type == RB_WIRE_RAFT_MSG) {
		u8 *again;
		long len2;

		/* The streaming path agrees. */
		check(!rb_wire_decode_header(b, &lim, &ids, &h2, &why),
		      "streaming header");
		check(!rb_wire_decode_msg(&h2, b + RB_WIRE_HDR_LEN, &lim, &m2,
					  &d, &why),
		      "streaming meta");
		raft_free(d);
		rb_wire_msg_release(&m2);
		/* Canonical: re-encoding gives the same bytes. */
		m.from = 1;
		m.to = 2;
		if (h.sender == 1 && h.receiver == 2) {
			len2 = test_encode_frame(&m, &lim, &again);
			check(len2 == ret && !memcmp(again, b, ret),
			      "re-encoding differs");
			free(again);
		}
		rb_wire_msg_release(&m);
	}
	free(b);
	check(raft_uenv_live_allocs() == 0 && raft_payload_live() == 0,
	      "leak");
	return 0;
}
