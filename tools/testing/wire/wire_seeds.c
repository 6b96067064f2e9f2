// SPDX-License-Identifier: GPL-2.0
/*
 * wire_seeds.c - write valid frames of every type into a directory, as the
 * fuzzer's starting corpus (mode byte 0 first, see wire_fuzz.c).
 *
 * Usage: wire_seeds DIR
 */
#include "wire_testlib.h"

static void save(const char *dir, int n, const u8 *b, long len)
{
	char path[512];
	FILE *f;
	u8 mode = 0;

	snprintf(path, sizeof(path), "%s/seed-%03d", dir, n);
	f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 ||
	    fwrite(b, 1, len, f) != (size_t)len || fclose(f)) {
		perror(path);
		exit(1);
	}
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
	return 0;
}
