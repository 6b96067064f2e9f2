// SPDX-License-Identifier: GPL-2.0
/*
 * fixture.c - in-memory cluster for the unit tests (see fixture.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static void die(const char *what)
{
	fprintf(stderr, "fixture: %s\n", what);
	abort();
}

struct fx_node *fx_node(struct fx *f, raft_id id)
{
	if (id < 1 || id > f->n)
		die("bad node id");
	return &f->nodes[id - 1];
}

struct raft *fx_raft(struct fx *f, raft_id id)
{
	return fx_node(f, id)->r;
}

static void start(struct fx_node *nd)
{
	struct raft_restore rs;
	int rc;

	memset(&rs, 0, sizeof(rs));
	rs.hs = nd->hs;
	rs.snap = nd->snap;
	rs.n_entries = nd->n_log;
	rs.entries = nd->log;
	rc = raft_create(&nd->opts, &rs, &nd->r);
	if (rc)
		die("raft_create failed");
	raft_set_now(nd->r, nd->clock_ns);
	nd->up = true;
	nd->applied_index = nd->snap.index;
}

void fx_init(struct fx *f, u32 n, u32 n_voters,
	     void (*opts_fn)(struct raft_options *o))
{
	struct raft_conf conf;
	u32 i;

	memset(f, 0, sizeof(*f));
	memset(&conf, 0, sizeof(conf));
	f->n = n;
	for (i = 0; i < n_voters; i++) {
		conf.nodes[i].id = i + 1;
		conf.nodes[i].role = RAFT_VOTER;
		conf.nodes[i].addr[0] = (u8)('a' + i);
	}
	conf.n = n_voters;
	for (i = 0; i < n; i++) {
		struct fx_node *nd = &f->nodes[i];

		nd->id = i + 1;
		raft_options_default(&nd->opts);
		nd->opts.id = nd->id;
		nd->opts.rand_seed = 1000 + i;
		nd->opts.tick_ns = FX_TICK_NS;
		nd->clock_ns = 1000 * FX_TICK_NS;
		if (opts_fn)
			opts_fn(&nd->opts);
		if (i < n_voters)
			nd->snap.conf = conf;
		nd->applied = calloc(4096, sizeof(*nd->applied));
		if (!nd->applied)
			die("oom");
		start(nd);
	}
}

static void free_log(struct fx_node *nd, u32 from)
{
	u32 i;

	for (i = from; i < nd->n_log; i++)
		if (nd->log[i].payload)
			raft_payload_put(nd->log[i].payload);
	nd->n_log = from;
}

void fx_crash(struct fx *f, raft_id id)
{
	struct fx_node *nd = fx_node(f, id);
	u32 i = 0;

	raft_destroy(nd->r);
	nd->r = NULL;
	nd->up = false;
	/* messages to it are lost */
	while (i < f->n_net) {
		if (f->net[i].to == id) {
			raft_msg_free(&f->net[i]);
			f->net[i] = f->net[--f->n_net];
		} else {
			i++;
		}
	}
}

void fx_restart(struct fx *f, raft_id id)
{
	struct fx_node *nd = fx_node(f, id);

	if (nd->up)
		fx_crash(f, id);
	/* the state machine restarts from the snapshot and replays */
	nd->n_applied = 0;
	start(nd);
}

void fx_fini(struct fx *f)
{
	u32 i;

	for (i = 0; i < f->n; i++) {
		struct fx_node *nd = &f->nodes[i];

		raft_destroy(nd->r);
		free_log(nd, 0);
		free(nd->log);
		free(nd->applied);
	}
	for (i = 0; i < f->n_net; i++)
		raft_msg_free(&f->net[i]);
	free(f->net);
	memset(f, 0, sizeof(*f));
}

static void queue(struct fx *f, const struct raft_msg *m)
{
	if (f->n_net == f->cap_net) {
		f->cap_net = f->cap_net ? f->cap_net * 2 : 64;
		f->net = realloc(f->net, f->cap_net * sizeof(*f->net));
		if (!f->net)
			die("oom");
	}
	if (raft_msg_clone(m, &f->net[f->n_net]))
		die("clone");
	f->n_net++;
	if (m->type <= RAFT_MSG_TYPE_MAX)
		f->sent[m->type]++;
	if (m->type == RAFT_MSG_SNAPSHOT) {
		f->last_snap = *m;
		f->last_snap.entries = NULL;
	}
}

static void persist(struct fx_node *nd, const struct raft_ready *rd)
{
	u32 i, keep;

	if (!rd->n_entries)
		return;
	keep = (u32)(rd->entries[0].index - nd->snap.index - 1);
	if (keep > nd->n_log)
		die("gap in persisted log");
	free_log(nd, keep);
	nd->log = realloc(nd->log, (nd->n_log + rd->n_entries) *
			  sizeof(*nd->log));
	if (!nd->log)
		die("oom");
	for (i = 0; i < rd->n_entries; i++) {
		nd->log[nd->n_log] = rd->entries[i];
		if (rd->entries[i].payload)
			raft_payload_get(rd->entries[i].payload);
		nd->n_log++;
	}
}

static void apply(struct fx_node *nd, const struct raft_entry *e)
{
	struct fx_applied *a;

	if (e->index != nd->applied_index + 1)
		die("apply out of order");
	nd->applied_index = e->index;
	if (nd->n_applied >= 4096)
		return;
	a = &nd->applied[nd->n_applied++];
	memset(a, 0, sizeof(*a));
	a->index = e->index;
	a->term = e->term;
	a->type = e->type;
	if (e->payload) {
		size_t len = raft_payload_len(e->payload);

		if (len >= sizeof(a->data))
			len = sizeof(a->data) - 1;
		memcpy(a->data, raft_payload_data(e->payload), len);
	}
}

static void install(struct fx_node *nd, const struct raft_snapshot_meta *s)
{
	free_log(nd, 0);
	nd->snap = *s;
	nd->applied_index = s->index;
	nd->n_applied = 0;
}

void fx_finish_install(struct fx *f, raft_id id)
{
	struct fx_node *nd = fx_node(f, id);
	struct raft_advance adv;

	memset(&adv, 0, sizeof(adv));
	install(nd, &nd->stalled);
	nd->snap_stall = false;
	adv.snap_installed = true;
	adv.applied = nd->applied_index;
	raft_advance(nd->r, &adv);
}

bool fx_ready(struct fx *f, raft_id id)
{
	struct fx_node *nd = fx_node(f, id);
	struct raft_advance adv;
	struct raft_ready rd;
	u32 i;

	if (!nd->up || !raft_has_ready(nd->r))
		return false;
	if (raft_ready(nd->r, &rd))
		die("raft_ready");
	memset(&adv, 0, sizeof(adv));
	if (nd->disk_broken &&
	    (rd.n_entries || rd.hs_changed || rd.snap_to_install)) {
		adv.persist_failed = true;
	} else {
		if (rd.snap_to_install) {
			nd->snap_base = rd.snap_base;
			nd->stalled = rd.snap;
		}
		if (rd.snap_to_install && !nd->snap_stall) {
			install(nd, &rd.snap);
			adv.snap_installed = true;
		}
		if (rd.hs_changed) {
			nd->hs = rd.hs;
			adv.hs_persisted = !nd->defer_persist;
		}
		persist(nd, &rd);
		if (rd.n_entries && !nd->defer_persist) {
			adv.persisted_index =
				rd.entries[rd.n_entries - 1].index;
			adv.persisted_term = rd.entries[rd.n_entries - 1].term;
		}
	}
	for (i = 0; i < rd.n_msgs; i++)
		queue(f, &rd.msgs[i]);
	for (i = 0; i < rd.n_committed; i++) {
		if (rd.committed[i].index == nd->apply_fail_at) {
			nd->apply_fail_at = 0;
			break;
		}
		apply(nd, &rd.committed[i]);
	}
	for (i = 0; i < rd.n_read_states && nd->n_reads < 64; i++)
		nd->reads[nd->n_reads++] = rd.read_states[i];
	adv.applied = nd->applied_index;
	raft_advance(nd->r, &adv);
	return true;
}

void fx_report_persisted(struct fx *f, raft_id id)
{
	struct fx_node *nd = fx_node(f, id);
	struct raft_advance adv;

	memset(&adv, 0, sizeof(adv));
	adv.applied = nd->applied_index;
	if (nd->n_log) {
		adv.persisted_index = nd->log[nd->n_log - 1].index;
		adv.persisted_term = nd->log[nd->n_log - 1].term;
	}
	raft_advance(nd->r, &adv);
}

void fx_ready_all(struct fx *f)
{
	bool any = true;
	u32 i, guard = 0;

	while (any && guard++ < 1000) {
		any = false;
		for (i = 1; i <= f->n; i++)
			any |= fx_ready(f, i);
	}
}

static bool match(const struct raft_msg *m, raft_id from, raft_id to,
		  int type)
{
	return (!from || m->from == from) && (!to || m->to == to) &&
		(type < 0 || m->type == type);
}

u32 fx_deliver_filter(struct fx *f, raft_id from, raft_id to, int type)
{
	u32 n = f->n_net, i, done = 0, keep = 0;
	struct raft_msg *batch = f->net;

	/* take the current queue; new messages queue up behind */
	f->net = NULL;
	f->n_net = 0;
	f->cap_net = 0;
	for (i = 0; i < n; i++) {
		struct raft_msg *m = &batch[i];
		struct fx_node *nd;

		if (!match(m, from, to, type)) {
			batch[keep++] = *m;
			continue;
		}
		done++;
		nd = m->to >= 1 && m->to <= f->n ? fx_node(f, m->to) : NULL;
		if (!nd || !nd->up || f->cut[m->from][m->to]) {
			f->dropped++;
			raft_msg_free(m);
			continue;
		}
		raft_step(nd->r, m);
		raft_msg_free(m);
	}
	/* undelivered first, then the new ones */
	for (i = 0; i < f->n_net; i++) {
		if (keep == n) {
			batch = realloc(batch, (n + f->n_net) *
					sizeof(*batch));
			if (!batch)
				die("oom");
			n += f->n_net;
		}
		batch[keep++] = f->net[i];
	}
	free(f->net);
	f->net = batch;
	f->n_net = keep;
	f->cap_net = n > keep ? n : keep;
	if (!f->cap_net) {
		free(f->net);
		f->net = NULL;
	}
	return done;
}

u32 fx_deliver(struct fx *f)
{
	return fx_deliver_filter(f, 0, 0, -1);
}

u32 fx_drop(struct fx *f, raft_id from, raft_id to, int type)
{
	u32 i = 0, n = 0;

	while (i < f->n_net) {
		if (match(&f->net[i], from, to, type)) {
			raft_msg_free(&f->net[i]);
			memmove(&f->net[i], &f->net[i + 1],
				(f->n_net - i - 1) * sizeof(f->net[0]));
			f->n_net--;
			n++;
		} else {
			i++;
		}
	}
	return n;
}

u32 fx_stabilize(struct fx *f)
{
	u32 rounds = 0;

	fx_ready_all(f);
	while (f->n_net && rounds < 10000) {
		fx_deliver(f);
		fx_ready_all(f);
		rounds++;
	}
	return rounds;
}

void fx_tick(struct fx *f, raft_id id, u32 n)
{
	struct fx_node *nd = fx_node(f, id);

	while (n-- && nd->up) {
		nd->clock_ns += FX_TICK_NS;
		raft_set_now(nd->r, nd->clock_ns);
		raft_tick(nd->r);
	}
}

void fx_stall(struct fx *f, raft_id id, u64 ns)
{
	struct fx_node *nd = fx_node(f, id);

	nd->clock_ns += ns;
}

void fx_tick_all(struct fx *f, u32 n)
{
	u32 i;

	while (n--)
		for (i = 1; i <= f->n; i++)
			fx_tick(f, i, 1);
}

void fx_elect(struct fx *f, raft_id id)
{
	raft_campaign(fx_raft(f, id));
	fx_stabilize(f);
}

raft_id fx_leader(struct fx *f)
{
	struct raft_status st;
	raft_id lead = RAFT_NONE;
	raft_term best = 0;
	u32 i;

	for (i = 1; i <= f->n; i++) {
		if (!fx_node(f, i)->up)
			continue;
		raft_get_status(fx_raft(f, i), &st);
		if (st.role == RAFT_LEADER && st.term >= best) {
			best = st.term;
			lead = i;
		}
	}
	return lead;
}

int fx_propose(struct fx *f, raft_id id, const char *data)
{
	struct raft_entry e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.type = RAFT_ENTRY_NORMAL;
	e.payload = raft_payload_new(data, strlen(data));
	if (!e.payload)
		die("oom");
	rc = raft_propose(fx_raft(f, id), 1, &e);
	raft_payload_put(e.payload);
	return rc;
}

void fx_isolate(struct fx *f, raft_id id, bool cut)
{
	u32 i;

	for (i = 1; i <= f->n; i++) {
		f->cut[id][i] = cut;
		f->cut[i][id] = cut;
	}
}

void fx_partition(struct fx *f, const raft_id *side, u32 n_side)
{
	bool in[FX_MAX + 1] = { false };
	u32 i, j;

	for (i = 0; i < n_side; i++)
		in[side[i]] = true;
	for (i = 1; i <= f->n; i++)
		for (j = 1; j <= f->n; j++)
			f->cut[i][j] = in[i] != in[j];
}

void fx_heal(struct fx *f)
{
	memset(f->cut, 0, sizeof(f->cut));
}

u32 fx_count_queued(struct fx *f, int type)
{
	u32 i, n = 0;

	for (i = 0; i < f->n_net; i++)
		if (type < 0 || f->net[i].type == type)
			n++;
	return n;
}

void fx_reset_counts(struct fx *f)
{
	memset(f->sent, 0, sizeof(f->sent));
	f->dropped = 0;
}

bool fx_applied_agree(struct fx *f)
{
	u32 i, j, k;

	for (i = 0; i < f->n; i++)
		for (j = 0; j < f->n; j++) {
			struct fx_node *a = &f->nodes[i], *b = &f->nodes[j];

			for (k = 0; k < a->n_applied; k++) {
				u32 l;

				for (l = 0; l < b->n_applied; l++)
					if (b->applied[l].index ==
					    a->applied[k].index)
						break;
				if (l == b->n_applied)
					continue;
				if (a->applied[k].term != b->applied[l].term ||
				    strcmp(a->applied[k].data,
					   b->applied[l].data))
					return false;
			}
		}
	return true;
}

bool fx_has_applied(struct fx *f, raft_id id, const char *data)
{
	struct fx_node *nd = fx_node(f, id);
	u32 i;

	for (i = 0; i < nd->n_applied; i++)
		if (!strcmp(nd->applied[i].data, data))
			return true;
	return false;
}
