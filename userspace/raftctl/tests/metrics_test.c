// SPDX-License-Identifier: GPL-2.0
/*
 * Prints `raftctl metrics` for a fixed set of devices (a standalone one
 * and a replicated leader with two peers and a copy in progress), for
 * tests/metrics_check.py to validate. No kernel needed.
 */
#include <string.h>
#include <arpa/inet.h>
#include "../raftctl.h"

static void io(struct dev_info *d, uint32_t op, uint64_t count,
	       uint64_t errors, uint64_t bytes)
{
	struct io_info *i = &d->io[op];
	unsigned int b;

	i->valid = true;
	i->count = count;
	i->errors = errors;
	i->bytes = bytes;
	/* Spread COUNT over buckets 0, 5, 12 and the last (+Inf). */
	for (b = 0; b < count; b++) {
		static const unsigned int at[] = { 0, 5, 12,
			RAFTBLK_IO_LATENCY_BUCKETS - 1 };

		i->latency[at[b % 4]]++;
		i->latency_sum_ns += 1000ULL << at[b % 4];
	}
}

static void phase(struct dev_info *d, uint32_t ph, uint64_t count)
{
	struct io_info *i = &d->phase[ph];

	i->valid = true;
	i->count = count;
	i->latency[10] = count;
	i->latency_sum_ns = count * 1000000;
}

static void peer(struct dev_info *d, uint32_t id, const char *ip,
		 uint32_t role, uint32_t state, uint64_t match, int heard_ms)
{
	struct peer_info *p = &d->peers[d->n_peers++];

	p->id = id;
	p->addr.family = AF_INET;
	inet_pton(AF_INET, ip, &p->addr.in4);
	p->addr.port = 7789;
	p->role = role;
	p->state = state;
	p->match_index = match;
	p->heard = heard_ms >= 0;
	p->last_heard_ms = heard_ms >= 0 ? heard_ms : 0;
}

int main(void)
{
	static struct dev_info v[2];
	struct dev_list l = { .v = v, .n = 2 };
	struct dev_info *d = &v[0];

	snprintf(d->name, sizeof(d->name), "raftblk0");
	snprintf(d->disk, sizeof(d->disk), "/dev/vdb");
	d->capacity = 1ULL << 30;
	d->role = RAFTBLK_ROLE_STANDALONE;
	io(d, RAFTBLK_IO_OP_READ, 7, 0, 7 * 4096);
	io(d, RAFTBLK_IO_OP_WRITE, 0, 0, 0);
	io(d, RAFTBLK_IO_OP_FLUSH, 2, 1, 0);
	io(d, RAFTBLK_IO_OP_DISCARD, 1, 0, 1 << 20);

	d = &v[1];
	snprintf(d->name, sizeof(d->name), "raftblk1");
	/* A path is any bytes: a quote, a backslash, a newline, 0xe9. */
	snprintf(d->disk, sizeof(d->disk), "/dev/odd\"na\\me\nx\xe9y");
	d->capacity = 512ULL << 20;
	d->role = RAFTBLK_ROLE_LEADER;
	d->open_count = 1;
	d->replicated = true;
	d->has_node = true;
	d->node_id = 1;
	d->term = 7;
	d->leader_id = 1;
	d->commit_index = 1000;
	d->applied_index = 998;
	d->disk_state = RAFTBLK_DISK_STATE_OK;
	d->log_memory = 64ULL << 20;
	d->counters.proposals = 1000;
	d->counters.bytes_sent = 123456789012ULL;
	d->counters.frames_direct = 4242;
	d->counters.log_area_used = 3ULL << 20;
	d->counters.log_area_size = 64ULL << 20;
	d->counters.log_area_written = 5ULL << 30;
	d->log_record_block = 512;
	d->counters.log_bytes = 4096;
	d->secret_set = true;
	io(d, RAFTBLK_IO_OP_READ, 3, 0, 3 * 4096);
	io(d, RAFTBLK_IO_OP_WRITE, 9, 2, 9 * 65536);
	io(d, RAFTBLK_IO_OP_FLUSH, 0, 0, 0);
	io(d, RAFTBLK_IO_OP_DISCARD, 0, 0, 0);
	phase(d, RAFTBLK_IO_PHASE_WRITE_COMMIT, 5);
	phase(d, RAFTBLK_IO_PHASE_LOG_APPEND, 3);
	peer(d, 2, "10.0.0.2", RAFTBLK_PEER_ROLE_VOTER,
	     RAFTBLK_PEER_STATE_CONNECTED, 990, 120);
	peer(d, 3, "10.0.0.3", RAFTBLK_PEER_ROLE_LEARNER,
	     RAFTBLK_PEER_STATE_UNREACHABLE, 0, 6500);
	d->n_resync = 2;
	d->resync[0] = (struct resync_info){
		.peer = 3, .dir = RAFTBLK_RESYNC_DIR_SEND,
		.kind = RAFTBLK_RESYNC_KIND_FULL,
		.state = RAFTBLK_RESYNC_STATE_RUNNING, .index = 900,
		.done = 100 << 20, .total = 512 << 20, .rate = 50 << 20,
		.eta_s = 8, .pace = 24 << 20,
	};
	/* the last one of peer 2, ended */
	d->resync[1] = (struct resync_info){
		.peer = 2, .dir = RAFTBLK_RESYNC_DIR_SEND,
		.kind = RAFTBLK_RESYNC_KIND_DELTA,
		.state = RAFTBLK_RESYNC_STATE_FAILED, .index = 700,
		.base = 650, .done = 3 << 20, .total = 4 << 20,
		.rate = 1 << 20,
	};
	metrics_print(stdout, &l);
	return 0;
}
