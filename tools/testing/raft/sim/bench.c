// SPDX-License-Identifier: GPL-2.0
/*
 * raftbench - entries committed per second through the consensus core:
 * 3 nodes in one process, free I/O (every write durable at once), messages
 * delivered in order as soon as they are sent (cloned, as a transport
 * would). The leader proposes batches of B entries of 16 bytes, keeping up
 * to `window` batches uncommitted; "committed" means applied on the
 * leader. Not a test: it prints a table and never fails on speed. Rates
 * are per CPU second of this process (the development machines are
 * shared), wall time is shown too.
 *
 *   raftbench [--seconds S]     S CPU seconds per row (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sim.h"

#define N 3

struct q {
	struct raft_msg *v;
	u32 n, cap;
};

static struct raft *nodes[N + 1];
static struct q inbox[N + 1];
static raft_index last_idx[N + 1];
static raft_term last_term[N + 1];
static raft_index applied[N + 1];

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process: meaningful on a shared, loaded machine. */
static double cpu(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void push(const struct raft_msg *m)
{
	struct q *q = &inbox[m->to];

	if (m->to < 1 || m->to > N)
		return;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = realloc(q->v, q->cap * sizeof(*q->v));
		if (!q->v)
			abort();
	}
	if (raft_msg_clone(m, &q->v[q->n++]))
		abort();
}

/* Carry out every ready batch of node i at once (free I/O). */
static void process(int i)
{
	while (raft_has_ready(nodes[i])) {
		struct raft_ready rd;
		struct raft_advance adv;

		if (raft_ready(nodes[i], &rd))
			abort();
		if (rd.snap_to_install) {
			last_idx[i] = rd.snap.index;
			last_term[i] = rd.snap.term;
		}
		if (rd.n_entries) {
			last_idx[i] = rd.entries[rd.n_entries - 1].index;
			last_term[i] = rd.entries[rd.n_entries - 1].term;
		}
		for (u32 k = 0; k < rd.n_msgs; k++)
			push(&rd.msgs[k]);
		if (rd.n_committed)
			applied[i] = rd.committed[rd.n_committed - 1].index;
		memset(&adv, 0, sizeof(adv));
		adv.persisted_index = last_idx[i];
		adv.persisted_term = last_term[i];
		adv.hs_persisted = rd.hs_changed;
		adv.snap_installed = rd.snap_to_install;
		adv.applied = applied[i];
		raft_advance(nodes[i], &adv);
	}
}

/* Deliver everything queued, round-robin, until quiet. */
static void pump(void)
{
	bool any = true;

	while (any) {
		any = false;
		for (int i = 1; i <= N; i++) {
			struct q *q = &inbox[i];
			u32 n = q->n;

			process(i);
			if (!n)
				continue;
			/* step this round's messages; new ones queue behind */
			struct raft_msg *v = q->v;

			q->v = NULL;
			q->n = q->cap = 0;
			for (u32 k = 0; k < n; k++)
				raft_step(nodes[i], &v[k]);
			free(v);
			process(i);
			any = true;
		}
	}
}

static void setup(void)
{
	for (int i = 1; i <= N; i++) {
		struct raft_options o;
		struct raft_restore rs;

		raft_options_default(&o);
		o.id = i;
		o.rand_seed = 42 + i;
		o.max_inflight_msgs = 256;
		memset(&rs, 0, sizeof(rs));
		rs.hs.term = 1;
		rs.hs.commit = 1;
		rs.snap.index = 1;
		rs.snap.term = 1;
		rs.snap.conf.n = N;
		for (int k = 0; k < N; k++) {
			rs.snap.conf.nodes[k].id = k + 1;
			rs.snap.conf.nodes[k].role = RAFT_VOTER;
		}
		if (raft_create(&o, &rs, &nodes[i]))
			abort();
		last_idx[i] = 1;
		last_term[i] = 1;
		applied[i] = 1;
	}
	raft_campaign(nodes[1]);
	pump();
}

static void teardown(void)
{
	for (int i = 1; i <= N; i++) {
		for (u32 k = 0; k < inbox[i].n; k++)
			raft_msg_free(&inbox[i].v[k]);
		free(inbox[i].v);
		memset(&inbox[i], 0, sizeof(inbox[i]));
		raft_destroy(nodes[i]);
	}
}

static void row(u32 batch, u32 window, double secs)
{
	struct raft_entry ents[64];
	u64 proposed = 0, rounds = 0;
	raft_index start;
	double t0, t, c0, ct;
	struct raft_status st;

	setup();
	raft_get_status(nodes[1], &st);
	if (st.role != RAFT_LEADER) {
		fprintf(stderr, "raftbench: no leader\n");
		exit(1);
	}
	start = applied[1];
	t0 = now();
	c0 = cpu();
	do {
		for (int k = 0; k < 64; k++) {
			/* keep `window` batches uncommitted */
			while (last_idx[1] - applied[1] < (u64)batch * window) {
				memset(ents, 0, sizeof(ents));
				for (u32 i = 0; i < batch; i++) {
					ents[i].type = RAFT_ENTRY_NORMAL;
					ents[i].payload =
						sim_payload_make(i, proposed + i);
				}
				if (raft_propose(nodes[1], batch, ents))
					abort();
				for (u32 i = 0; i < batch; i++)
					raft_payload_put(ents[i].payload);
				proposed += batch;
				process(1);
			}
			pump();
			rounds++;
		}
		t = now() - t0;
		ct = cpu() - c0;
	} while (ct < secs);
	printf("| %5u | %6u | %10llu | %6.2f | %6.2f | %12.0f | %12.0f |\n",
	       batch, window, (unsigned long long)(applied[1] - start), t, ct,
	       (applied[1] - start) / ct, rounds / ct);
	teardown();
}

int main(int argc, char **argv)
{
	double secs = 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			secs = atof(argv[++i]);
		} else {
			fprintf(stderr, "usage: raftbench [--seconds S]\n");
			return 2;
		}
	}
	printf("raftbench: 3 nodes, free I/O, in-order delivery, 16-byte entries, %.0f CPU s per row\n\n",
	       secs);
	printf("| batch | window | committed  | wall s | cpu s  | entries/cpu-s| rounds/cpu-s |\n");
	printf("|-------|--------|------------|--------|--------|--------------|--------------|\n");
	row(1, 1, secs);
	row(1, 64, secs);
	row(64, 1, secs);
	row(64, 16, secs);
	return 0;
}
