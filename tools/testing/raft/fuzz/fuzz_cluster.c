// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cluster.c - libFuzzer target: arbitrary bytes drive a small
 * simulated cluster (FIFO mailboxes) one operation per byte group: tick,
 * deliver, drop, duplicate, reorder, propose, campaign, crash, restart,
 * read, compact, transfer, membership change, persist failure, queued
 * (asynchronous) log writes completing, crashes tearing the write in
 * flight, and raw messages stepped straight into a node.
 *
 * Checks:
 *   - every invariant of the simulator (sim/check.c) after every op;
 *   - raw messages that raft.h/README declare malformed (bad type, from 0
 *     or self, wrong recipient, entries on a non-APPEND, ...) return
 *     RAFT_EINVAL and change nothing observable;
 *   - a separate sandbox node takes fully arbitrary messages (which a
 *     correct core may accept: Raft trusts its peers, so no invariant is
 *     checked there) and must survive them: no crash, no sanitizer report,
 *     no raft_assert, no leaked payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../sim/sim.h"

struct rd {
	const u8 *p;
	size_t n;
};

static u8 byte(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static u64 num(struct rd *r, unsigned bytes)
{
	u64 v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | byte(r);
	return v;
}

static void die(struct sim_cluster *c, const char *what)
{
	fprintf(stderr, "fuzz_cluster: %s: %s\n", what, c ? c->why : "");
	if (c) {
		sim_dump_nodes(c, stderr);
		sim_trace_dump(c, stderr, 60);
	}
	abort();
}

static void process(struct sim_cluster *c, raft_id id)
{
	/* async-log nodes queue their log writes (completed by op 17) */
	sim_node_process(c, id, !c->nodes[id].async_log);
	sim_observe_node(c, id);
	if (c->failed)
		die(c, "invariant");
}

static raft_id pick(struct rd *r, struct sim_cluster *c)
{
	return 1 + byte(r) % c->max_id;
}

/* A message the core must reject (README "Bad input"). */
static void malformed(struct rd *r, struct sim_cluster *c, raft_id id)
{
	struct sim_node *n = &c->nodes[id];
	struct raft_status before, after;
	struct raft_msg m;
	u8 kind = byte(r) % 5;
	int err;

	if (!n->up)
		return;
	memset(&m, 0, sizeof(m));
	m.type = 1 + byte(r) % RAFT_MSG_TYPE_MAX;
	m.from = 1 + byte(r) % c->max_id;
	if (m.from == id)
		m.from = id % c->max_id + 1;
	m.to = id;
	m.term = num(r, 1);
	m.index = num(r, 1);
	m.log_term = num(r, 1);
	m.commit = num(r, 1);
	switch (kind) {
	case 0:
		m.type = byte(r) & 1 ? 0 : RAFT_MSG_TYPE_MAX + 1 + byte(r) % 50;
		break;
	case 1:
		m.from = 0;
		break;
	case 2:
		m.from = id;
		break;
	case 3:
		m.to = id % SIM_MAX_NODES + 1;
		break;
	default:
		/* entries on a message type that carries none */
		if (m.type == RAFT_MSG_APPEND)
			m.type = RAFT_MSG_HEARTBEAT;
		m.n_entries = 1;
		m.entries = raft_calloc(1, sizeof(*m.entries));
		if (!m.entries)
			abort();
		m.entries[0].type = RAFT_ENTRY_NOOP;
		m.entries[0].term = m.term;
		m.entries[0].index = m.index + 1;
		break;
	}
	raft_get_status(n->r, &before);
	err = raft_step(n->r, &m);
	raft_msg_free(&m);
	raft_get_status(n->r, &after);
	if (err != RAFT_EINVAL) {
		snprintf(c->why, sizeof(c->why),
			 "malformed message (kind %u, type %u from %llu to %llu) accepted: %d",
			 kind, m.type, (unsigned long long)m.from,
			 (unsigned long long)m.to, err);
		die(c, "bad input");
	}
	if (before.term != after.term || before.vote != after.vote ||
	    before.role != after.role || before.commit != after.commit ||
	    before.last_index != after.last_index ||
	    before.leader != after.leader) {
		snprintf(c->why, sizeof(c->why),
			 "rejected message (kind %u) changed the node's state",
			 kind);
		die(c, "bad input");
	}
	if (raft_has_ready(n->r))
		process(c, id);
}

/* ------------------------------------------------------------------ */
/* Sandbox: one node, arbitrary messages, no invariants                */

static void sandbox(struct rd *r)
{
	struct raft_options o;
	struct raft_restore rs;
	struct raft *x;
	raft_index last = 1;
	raft_term last_term = 1;

	raft_options_default(&o);
	o.id = 1;
	o.rand_seed = 7;
	o.pre_vote = byte(r) & 1;
	o.check_quorum = byte(r) & 1;
	memset(&rs, 0, sizeof(rs));
	rs.hs.term = 1;
	rs.hs.commit = 1;
	rs.snap.index = 1;
	rs.snap.term = 1;
	rs.snap.conf.n = 3;
	for (u32 i = 0; i < 3; i++) {
		rs.snap.conf.nodes[i].id = i + 1;
		rs.snap.conf.nodes[i].role = RAFT_VOTER;
	}
	if (raft_create(&o, &rs, &x))
		abort();
	for (int ops = 0; r->n && ops < 512; ops++) {
		u8 op = byte(r) % 8;

		if (op == 0) {
			raft_tick(x);
		} else if (op == 1) {
			raft_campaign(x);
		} else if (op == 2) {
			struct raft_entry e;

			memset(&e, 0, sizeof(e));
			e.type = RAFT_ENTRY_NORMAL;
			e.payload = sim_payload_make(byte(r), ops);
			raft_propose(x, 1, &e);
			raft_payload_put(e.payload);
		} else {
			struct raft_msg m;
			u32 ne = byte(r) % 4;

			memset(&m, 0, sizeof(m));
			m.type = byte(r) % (RAFT_MSG_TYPE_MAX + 2);
			m.reject = byte(r) & 1;
			m.flags = byte(r) & 3;
			m.from = byte(r) % 5;
			m.to = byte(r) & 0x80 ? byte(r) % 5 : 1;
			m.term = num(r, 1);
			m.index = num(r, 1);
			m.log_term = num(r, 1);
			m.commit = num(r, 1);
			m.hint_index = num(r, 1);
			m.hint_term = num(r, 1);
			m.context = num(r, 1);
			if (m.type == RAFT_MSG_SNAPSHOT) {
				m.snap.index = num(r, 1);
				m.snap.term = num(r, 1);
				m.snap.conf.n = byte(r) % 5;
				for (u32 i = 0; i < m.snap.conf.n; i++) {
					m.snap.conf.nodes[i].id = byte(r) % 6;
					m.snap.conf.nodes[i].role = byte(r) % 3;
				}
			}
			if (ne) {
				m.entries = raft_calloc(ne, sizeof(*m.entries));
				if (!m.entries)
					abort();
				m.n_entries = ne;
				for (u32 i = 0; i < ne; i++) {
					struct raft_entry *e = &m.entries[i];

					e->term = num(r, 1);
					e->index = byte(r) & 1 ? m.index + 1 + i :
						   num(r, 1);
					e->type = byte(r) % 6;
					if (e->type == RAFT_ENTRY_NORMAL)
						e->payload = sim_payload_make(i, ops);
					if (e->type == RAFT_ENTRY_CONF) {
						e->cc.op = byte(r) % 6;
						e->cc.id = byte(r) % 6;
					}
				}
			}
			raft_step(x, &m);
			raft_msg_free(&m);
		}
		/* carry out the ready at once, everything durable */
		while (raft_has_ready(x)) {
			struct raft_ready rd;
			struct raft_advance adv;

			if (raft_ready(x, &rd))
				break;
			memset(&adv, 0, sizeof(adv));
			if (rd.snap_to_install) {
				last = rd.snap.index;
				last_term = rd.snap.term;
			}
			if (rd.n_entries) {
				last = rd.entries[rd.n_entries - 1].index;
				last_term = rd.entries[rd.n_entries - 1].term;
			}
			adv.persisted_index = last;
			adv.persisted_term = last_term;
			adv.hs_persisted = rd.hs_changed;
			adv.snap_installed = rd.snap_to_install;
			adv.applied = rd.n_committed ?
				rd.committed[rd.n_committed - 1].index : 0;
			raft_advance(x, &adv);
		}
	}
	raft_destroy(x);
}

/* ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct sim_cluster c;
	static struct sim_mailbox mb;
	struct rd r = { data, size };
	struct sim_config cfg;
	long live0 = raft_payload_live();
	u8 hdr = byte(&r);
	u32 nodes = 3 + (hdr & 1) * 2;

	if (hdr & 0x80) {
		sandbox(&r);
		if (raft_payload_live() != live0)
			die(NULL, "sandbox leaked payloads");
		return 0;
	}
	sim_config_default(&cfg);
	cfg.election_ticks = 3 + (hdr >> 1 & 3);
	cfg.pre_vote = hdr & 0x08;
	cfg.check_quorum = hdr & 0x10;
	cfg.lease_read = cfg.check_quorum && (hdr & 0x20);
	cfg.max_msg_bytes = hdr & 0x40 ? 16 : 1 << 20;
	cfg.max_inflight_msgs = 4;
	memset(&mb, 0, sizeof(mb));
	sim_cluster_init(&c, 1, &cfg, &sim_mailbox_ops, &mb);
	/* RAFT_FUZZ_VERBOSE=1: print every event (replaying an artifact) */
	if (getenv("RAFT_FUZZ_VERBOSE"))
		c.log = stderr;
	/* second header byte: asynchronous log writes, torn writes */
	u8 hdr2 = byte(&r);

	c.torn_writes = hdr2 & 2;
	if (sim_bootstrap(&c, nodes, 0))
		die(&c, "bootstrap");
	for (raft_id id = 1; id <= nodes; id++)
		c.nodes[id].async_log = hdr2 & 1;
	for (int ops = 0; r.n && ops < 4096; ops++) {
		u8 op = byte(&r) % 19;
		raft_id id = pick(&r, &c);
		struct sim_node *n = &c.nodes[id];
		struct sim_msg *m;

		switch (op) {
		case 0:
		case 1:
			sim_node_tick(&c, id);
			break;
		case 2:
		case 3:
		case 4:
			m = sim_mailbox_pop(&mb, id);
			if (m) {
				raft_id from = m->m.from;
				bool snap = m->m.type == RAFT_MSG_SNAPSHOT;

				sim_node_step(&c, m);
				if (snap && c.nodes[from].up &&
				    !c.nodes[from].rd_active)
					raft_report_snapshot(c.nodes[from].r,
							     id, true);
			}
			break;
		case 5:
			m = sim_mailbox_pop(&mb, id);
			if (m && m->m.type == RAFT_MSG_SNAPSHOT &&
			    c.nodes[m->m.from].up && !c.nodes[m->m.from].rd_active)
				raft_report_snapshot(c.nodes[m->m.from].r, id,
						     false);
			sim_msg_free(m);
			break;
		case 6:
			m = mb.head[id];
			if (m)
				sim_mailbox_push(&mb, sim_msg_dup(&c, m));
			break;
		case 7:
			m = sim_mailbox_pop(&mb, id);
			if (m)
				sim_mailbox_push(&mb, m);
			break;
		case 8:
			if (n->up)
				sim_propose(&c, id, 1 + byte(&r) % 3,
					    byte(&r) % SIM_BLOCKS);
			break;
		case 9:
			if (n->up)
				raft_campaign(n->r);
			break;
		case 10:
			sim_node_crash(&c, id);
			break;
		case 11:
			if (!n->up && !n->stopped && n->exists)
				sim_node_restart(&c, id);
			break;
		case 12:
			if (n->up)
				sim_read(&c, id, byte(&r) % SIM_BLOCKS);
			break;
		case 13:
			sim_compact(&c, id);
			break;
		case 14:
			if (n->up && !raft_transfer_leader(n->r, pick(&r, &c)))
				sim_check_transfer_started(n);
			break;
		case 15: {
			u8 cop = 1 + byte(&r) % 4;
			raft_id t = 1 + byte(&r) % (nodes + 2);

			if (n->up)
				sim_change_conf(&c, id, cop, t);
			break;
		}
		case 17:
			/* queued log writes complete (all, or the oldest) */
			if (n->up && n->wq_n) {
				if (byte(&r) & 1) {
					sim_node_complete_queued(&c, id, 0, true);
				} else {
					n->wq[0].done_at = 1;
					sim_node_complete_queued(&c, id, 1, false);
				}
			}
			break;
		case 16:
			if (n->rd_active && n->rd_disk)
				n->rd_fail = true;
			else
				n->fail_next_write = true;
			break;
		default:
			malformed(&r, &c, id);
			break;
		}
		if (c.failed)
			die(&c, "invariant");
		/* slow disks: a write completes only on some steps */
		if (n->up && n->rd_active && n->rd_disk && (byte(&r) & 1))
			sim_node_complete_write(&c, id);
		if (n->up && !n->rd_active)
			process(&c, id);
		else
			sim_observe_node(&c, id);
		if (c.failed)
			die(&c, "invariant");
	}
	sim_mailbox_free(&mb);
	sim_cluster_free(&c);
	if (raft_payload_live() != live0)
		die(NULL, "cluster leaked payloads");
	return 0;
}
