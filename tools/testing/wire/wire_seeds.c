// SPDX-License-Identifier: GPL-2.0
/*
 * wire_seeds.c - write valid frames of every type into a directory, as the
 * fuzzer's starting corpus (mode byte 0 first, see wire_fuzz.c).
 *
 * Usage: wire_seeds DIR
 */
#include "wire_testlib.h"

static void save_mode(const char *dir, int n, u8 mode, const u8 *b,
		      long len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03d", dir, n);
	f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 ||
	    fwrite(b, 1, len, f) != (size_t)len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void save(const char *dir, int n, const u8 *b, long len)
{
	save_mode(dir, n, 0, b, len);
}

int main(int argc, char **argv)
{
	struct rb_wire_limits lim;
	u8 ctl[RB_WIRE_CTL_MAX], nonce[RB_WIRE_NONCE_LEN];
	u8 proof[RB_WIRE_MAC_LEN];
	u64 rng = 12345;
	int n = 0, i;
	u8 type;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	rb_wire_limits_default(&lim);
	for (type = RAFT_MSG_APPEND; type <= RAFT_MSG_TYPE_MAX; type++) {
		for (i = 0; i < (type == RAFT_MSG_APPEND ? 12 : 2); i++) {
			struct raft_msg m;
			u8 *b;
			long len;

			test_gen_msg(&rng, type, 6, 2048, &m);
			len = test_encode_frame(&m, &lim, &b);
			test_free_msg(&m);
			if (len < 0)
				return 1;
			save(argv[1], n++, b, len);
			free(b);
		}
	}
	/* Promote frames (node-level TIMEOUT_NOW): an ask and a refusal. */
	for (i = 0; i < 2; i++) {
		struct raft_msg m = {
			.type = RAFT_MSG_TIMEOUT_NOW,
			.flags = RB_WIRE_MSGF_PROMOTE,
			.from = test_tx_ids.local,
			.to = test_tx_ids.peer,
			.term = 3,
			.hint_term = i ? RB_WIRE_PROMOTE_REFUSED :
					 RB_WIRE_PROMOTE_ASK,
			.hint_index = i ? RB_WIRE_PROMOTE_IN_USE : 0,
			.context = 77,
		};
		u8 *b;
		long len = test_encode_frame(&m, &lim, &b);

		if (len < 0)
			return 1;
		save(argv[1], n++, b, len);
		free(b);
	}
	save(argv[1], n++, ctl, rb_wire_encode_hello(&test_tx_ids,
			RB_WIRE_HELLO, RB_WIRE_CLASS_BULK, ctl));
	save(argv[1], n++, ctl, rb_wire_encode_hello(&test_tx_ids,
			RB_WIRE_HELLO_ACK, RB_WIRE_CLASS_CONTROL, ctl));
	save(argv[1], n++, ctl, rb_wire_encode_refuse(&test_tx_ids,
			RB_WIRE_REFUSE_NODE, ctl));
	save(argv[1], n++, ctl, rb_wire_encode_ping(&test_tx_ids,
			RB_WIRE_PING, 1, ctl));
	save(argv[1], n++, ctl, rb_wire_encode_ping(&test_tx_ids,
			RB_WIRE_PONG, 2, ctl));
	/* An authenticated handshake (Poly1305 frame MACs) and its steps. */
	save(argv[1], n++, ctl, rb_wire_encode_hello_feat(&test_tx_ids,
			RB_WIRE_HELLO, RB_WIRE_CLASS_BULK,
			RB_WIRE_FEAT_AUTH_P1305, ctl));
	memset(nonce, 0x4e, sizeof(nonce));
	memset(proof, 0x50, sizeof(proof));
	save(argv[1], n++, ctl, rb_wire_encode_auth(&test_tx_ids,
			RB_WIRE_AUTH_CHALLENGE, nonce, NULL, ctl));
	save(argv[1], n++, ctl, rb_wire_encode_auth(&test_tx_ids,
			RB_WIRE_AUTH_RESPONSE, nonce, proof, ctl));
	save(argv[1], n++, ctl, rb_wire_encode_auth(&test_tx_ids,
			RB_WIRE_AUTH_PROOF, NULL, proof, ctl));
	/*
	 * A snapshot report of two rows: alone (mode 8: the report checker)
	 * and as the payload of a SNAPREPORT copy frame.
	 */
	{
		static u8 rep[512];
		struct raft_entry e = {};
		struct raft_msg m = {
			.type = RAFT_MSG_SNAPSHOT,
			.flags = RB_WIRE_MSGF_COPY,
			.from = test_tx_ids.local,
			.to = test_tx_ids.peer,
			.term = 3,
			.hint_term = RB_WIRE_COPY_SNAPREPORT,
			.context = RB_WIRE_SNAPREP_HDR_LEN +
				   2 * RB_WIRE_SNAPREP_ROW_LEN,
			.snap = { .index = 1, .term = 3 },
		};
		u8 *b;
		long len;

		rb_put_le32(rep, 2);
		rb_put_le32(rep + 4, 0x5);
		rb_put_le64(rep + 8, 120);
		for (i = 0; i < 2; i++) {
			u8 *r = rep + RB_WIRE_SNAPREP_HDR_LEN +
				i * RB_WIRE_SNAPREP_ROW_LEN;

			memcpy(r, i ? "nightly" : "b1", i ? 7 : 2);
			rb_put_le64(r + 48, 100 + i);
			rb_put_le64(r + 56, 3);
			rb_put_le64(r + 72, 1 << 22);
			r[88] = 1 + 3 * i;
		}
		save_mode(argv[1], n++, 8, rep, m.context);
		save_mode(argv[1], n++, 8 | 16, rep, sizeof(rep));
		e.index = 1;
		e.term = 3;
		e.type = RAFT_ENTRY_NORMAL;
		e.payload = raft_payload_alloc(0, sizeof(rep), 0, sizeof(rep),
					       rep);
		m.entries = &e;
		m.n_entries = 1;
		len = test_encode_frame(&m, &lim, &b);
		raft_payload_put(e.payload);
		if (len < 0)
			return 1;
		save(argv[1], n++, b, len);
		free(b);
		/* the same report relayed by the leader (SNAPRELAY) */
		m.hint_term = RB_WIRE_COPY_SNAPRELAY;
		m.hint_index = 3;	/* the node it is of */
		m.commit = 2500;	/* its age at the leader */
		e.payload = raft_payload_alloc(0, sizeof(rep), 0, sizeof(rep),
					       rep);
		len = test_encode_frame(&m, &lim, &b);
		raft_payload_put(e.payload);
		if (len < 0)
			return 1;
		save(argv[1], n++, b, len);
		free(b);
	}
	return 0;
}
