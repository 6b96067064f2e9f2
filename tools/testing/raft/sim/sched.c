// SPDX-License-Identifier: GPL-2.0
/*
 * sched.c - one random schedule on a discrete-event simulation.
 *
 * Time is simulated in microseconds. Every node ticks on its own clock
 * (a per-node drift plus per-tick jitter); messages travel with a random
 * delay (so they reorder), may be dropped or duplicated, and are lost
 * when a link is cut at send or at delivery time; log writes take a
 * random time, during which the node keeps stepping messages and the
 * leader's APPENDs are already on the wire. A chaos process applies the
 * faults of the schedule's class; a client process proposes writes and
 * ReadIndex reads through the leader.
 *
 * A node's thread may stall (a disk stall, a paused VM), as the kernel's
 * node thread does: its monotonic clock runs on, it counts no tick and
 * handles nothing until the stall ends; then it ticks once (the missed
 * ticks are skipped, as kernel/node.c does), steps the messages that
 * arrived meanwhile and then the reads queued meanwhile (each with the
 * writes acknowledged before it started).
 *
 * After the chaos phase the network heals, every member restarts and
 * faults stop: a leader must then be elected and a new write acknowledged
 * within a bounded simulated time (liveness), and all members must
 * converge on the same data.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sched.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#define ULL(x) ((unsigned long long)(x))
#define MS 1000ULL
#define SEC 1000000ULL

const char *const sched_class_names[SC_N] = {
	[SC_LOSSY] = "lossy-net",
	[SC_PARTITION] = "partitions",
	[SC_CRASH] = "crashes",
	[SC_DISK] = "disk-faults",
	[SC_MEMBERSHIP] = "membership",
	[SC_SNAPSHOT] = "snapshots",
	[SC_CHURN] = "churn",
	[SC_MIXED] = "mixed",
	[SC_STALE_HEAL] = "stale-heal",
};

enum ev_kind {
	EV_TICK = 1,
	EV_DELIVER,
	EV_DISK,
	EV_CHAOS,
	EV_CLIENT,
	EV_RESTART,
	EV_SNAP_REPORT,
	EV_UNREACH,
	EV_WQ,			/* a queued async log write completes */
	EV_READ,		/* a read queued while its node was stalled */
	EV_STALE_LEADER,	/* end of chaos_stale_leader(): heal, and the
				 * leader elected meanwhile crashes
				 */
};

struct ev {
	u64 at;
	u64 seq;
	u8 kind;
	u8 node;
	u8 peer;
	u8 ok;
	u32 inc;
	u64 need;		/* EV_READ: acked index when the read started */
	struct sim_msg *msg;
};

struct sched {
	struct sim_cluster c;
	struct sim_rng *g;
	u32 cls;
	u32 n_voters;
	const struct sched_opts *o;

	/* event queue: binary min-heap on (at, seq) */
	struct ev *h;
	u32 hn, hcap;
	u64 seq;

	/* network */
	bool cut[SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];
	/* the bulk connection (SNAPSHOT and its chunks) is in order */
	u64 bulk_last[SIM_MAX_NODES + 1][SIM_MAX_NODES + 1];
	u32 drop_ppm, dup_ppm;
	u64 dmin, dmax;
	/* disk */
	u64 disk_min, disk_max;
	bool async_log;
	/* clocks */
	u64 tick_us;
	/* chaos */
	u64 chaos_mean, client_mean;
	bool healing;
	bool client_off;
	/* chaos leaves the network alone until then (a cut that must last) */
	u64 net_hold_until;
	/* a leader that sent TIMEOUT_NOW and hears nobody: clients read
	 * through it until then (its lease must be void)
	 */
	raft_id stale_reader;
	u64 stale_reader_until;
	/* the term each node was last seen leading (new-leader actions) */
	raft_term led_term[SIM_MAX_NODES + 1];
	u64 events;
};

/* ------------------------------------------------------------------ */
/* Event queue                                                        */

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void ev_push(struct sched *s, struct ev e)
{
	u32 i;

	if (s->hn == s->hcap) {
		s->hcap = s->hcap ? 2 * s->hcap : 1024;
		s->h = realloc(s->h, s->hcap * sizeof(*s->h));
		if (!s->h)
			abort();
	}
	e.seq = s->seq++;
	i = s->hn++;
	while (i) {
		u32 p = (i - 1) / 2;

		if (!ev_less(&e, &s->h[p]))
			break;
		s->h[i] = s->h[p];
		i = p;
	}
	s->h[i] = e;
}

static struct ev ev_pop(struct sched *s)
{
	struct ev top = s->h[0], last = s->h[--s->hn];
	u32 i = 0;

	for (;;) {
		u32 l = 2 * i + 1, r = l + 1, m = i;
		const struct ev *mv = &last;

		if (l < s->hn && ev_less(&s->h[l], mv)) {
			m = l;
			mv = &s->h[l];
		}
		if (r < s->hn && ev_less(&s->h[r], mv))
			m = r;
		if (m == i)
			break;
		s->h[i] = s->h[m];
		i = m;
	}
	if (s->hn)
		s->h[i] = last;
	return top;
}

static void at(struct sched *s, u64 delay, u8 kind, u8 node, u32 inc)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.at = s->c.now + delay;
	e.kind = kind;
	e.node = node;
	e.inc = inc;
	ev_push(s, e);
}

/* exponential-ish delay with the given mean */
static u64 rexp(struct sched *s, u64 mean)
{
	u64 r = sim_rng_below(s->g, 1000) + 1;
	u64 d = 0;

	/* -ln(u) approximated by a piecewise sum: cheap and deterministic */
	while (r < 500 && d < 8) {
		r *= 2;
		d++;
	}
	return mean * d / 2 + sim_rng_below(s->g, mean + 1) / 2 + 1;
}

/* ------------------------------------------------------------------ */
/* Network                                                            */

static void report_unreachable_later(struct sched *s, u8 from, u8 to)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.at = s->c.now + 1;
	e.kind = EV_UNREACH;
	e.node = from;
	e.peer = to;
	e.inc = s->c.nodes[from].inc;
	ev_push(s, e);
}

static void snap_report_later(struct sched *s, const struct sim_msg *m,
			      bool ok)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.at = s->c.now + 1;
	e.kind = EV_SNAP_REPORT;
	e.node = (u8)m->m.from;
	e.peer = (u8)m->m.to;
	e.inc = m->from_inc;
	e.ok = ok;
	ev_push(s, e);
}

static u64 election_us(struct sched *s);
static void isolate(struct sched *s, raft_id id, bool both, u64 hold);

static void net_send(struct sim_cluster *c, struct sim_msg *m)
{
	struct sched *s = c->net_priv;
	u8 from = (u8)m->m.from, to = (u8)m->m.to;
	struct ev e;

	if (to < 1 || to > SIM_MAX_NODES || s->cut[from][to] ||
	    sim_rng_ppm(s->g, s->drop_ppm)) {
		sim_trace_msg(c, TR_DROP, &m->m);
		if (sim_msg_bulk_snap(m))
			snap_report_later(s, m, false);
		else if (to <= SIM_MAX_NODES && s->cut[from][to] &&
			 sim_rng_ppm(s->g, 100000))
			report_unreachable_later(s, from, to);
		sim_msg_free(m);
		return;
	}
	if (m->m.type == RAFT_MSG_TIMEOUT_NOW && !s->healing &&
	    (s->cls == SC_MEMBERSHIP || s->cls == SC_MIXED) &&
	    sim_rng_below(s->g, 4)) {
		/* the old leader hears nobody (not the new leader's term):
		 * a lease it kept would serve stale reads
		 */
		isolate(s, from, false, 2 * election_us(s));
		s->stale_reader = from;
		s->stale_reader_until = s->net_hold_until;
	}
	memset(&e, 0, sizeof(e));
	e.kind = EV_DELIVER;
	e.node = to;
	if (sim_msg_bulk_snap(m)) {
		/* TCP: in order, never duplicated */
		e.at = c->now + sim_rng_range(s->g, s->dmin, s->dmax);
		if (e.at <= s->bulk_last[from][to])
			e.at = s->bulk_last[from][to] + 1;
		s->bulk_last[from][to] = e.at;
		e.msg = m;
		ev_push(s, e);
		return;
	}
	if (sim_rng_ppm(s->g, s->dup_ppm)) {
		struct sim_msg *d = sim_msg_dup(c, m);

		sim_trace_msg(c, TR_DUP, &m->m);
		e.at = c->now + sim_rng_range(s->g, s->dmin, s->dmax);
		e.msg = d;
		ev_push(s, e);
	}
	e.at = c->now + sim_rng_range(s->g, s->dmin, s->dmax);
	e.msg = m;
	ev_push(s, e);
}

/* The node's monotonic clock: it runs at the rate of its tick timer. */
static u64 sched_clock(struct sim_cluster *c, const struct sim_node *n)
{
	struct sched *s = c->net_priv;

	if (!n->tick_period)
		return c->now * 1000;
	return c->now * 1000 * s->tick_us / n->tick_period;
}

static const struct sim_net_ops sched_net = {
	.send = net_send,
	.clock = sched_clock,
};

static void net_heal(struct sched *s)
{
	memset(s->cut, 0, sizeof(s->cut));
	sim_trace(&s->c, TR_HEAL, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

static u64 member_mask(struct sched *s)
{
	u64 m = 0;

	for (raft_id id = 1; id <= s->c.max_id; id++)
		if (s->c.nodes[id].exists && !s->c.nodes[id].stopped)
			m |= 1ULL << id;
	return m;
}

static void net_partition(struct sched *s)
{
	u64 all = member_mask(s), a = 0, b;
	u32 kind = (u32)sim_rng_below(s->g, 10);

	memset(s->cut, 0, sizeof(s->cut));
	for (raft_id id = 1; id <= s->c.max_id; id++)
		if ((all >> id & 1) && sim_rng_below(s->g, 2))
			a |= 1ULL << id;
	if (!a || a == all) {
		/* isolate one node */
		raft_id id = 1 + sim_rng_below(s->g, s->c.max_id);

		a = 1ULL << id;
	}
	b = all & ~a;
	if (kind < 5) {
		/* symmetric: A | B */
		for (raft_id i = 1; i <= s->c.max_id; i++)
			for (raft_id j = 1; j <= s->c.max_id; j++)
				if ((a >> i & 1) != (a >> j & 1))
					s->cut[i][j] = true;
		sim_trace(&s->c, TR_PARTITION, 0, 0, 0, 1, a, b, 0, 0, 0);
	} else if (kind < 8) {
		/* asymmetric: A hears B, B does not hear A */
		for (raft_id i = 1; i <= s->c.max_id; i++)
			for (raft_id j = 1; j <= s->c.max_id; j++)
				if ((a >> i & 1) && (b >> j & 1))
					s->cut[i][j] = true;
		sim_trace(&s->c, TR_PARTITION, 0, 0, 0, 2, a, b, 0, 0, 0);
	} else {
		/* partial: a few links cut both ways */
		u32 k = 1 + (u32)sim_rng_below(s->g, 3);

		a = b = 0;
		while (k--) {
			raft_id i = 1 + sim_rng_below(s->g, s->c.max_id);
			raft_id j = 1 + sim_rng_below(s->g, s->c.max_id);

			s->cut[i][j] = s->cut[j][i] = i != j;
			a |= 1ULL << i;
			b |= 1ULL << j;
		}
		sim_trace(&s->c, TR_PARTITION, 0, 0, 0, 3, a, b, 0, 0, 0);
	}
}

/* Chaos changes the network only when no cut is being held. */
static void chaos_partition(struct sched *s)
{
	if (s->c.now >= s->net_hold_until)
		net_partition(s);
}

static void chaos_heal(struct sched *s)
{
	if (s->c.now >= s->net_hold_until)
		net_heal(s);
}

static u64 election_us(struct sched *s)
{
	return (u64)s->c.cfg.election_ticks * s->tick_us;
}

/* Nobody reaches node id (and, if both, it reaches nobody) until now +
 * hold: long enough for CheckQuorum to depose it.
 */
static void isolate(struct sched *s, raft_id id, bool both, u64 hold)
{
	memset(s->cut, 0, sizeof(s->cut));
	for (raft_id j = 1; j <= s->c.max_id; j++) {
		if (j == id)
			continue;
		s->cut[j][id] = true;
		if (both)
			s->cut[id][j] = true;
	}
	s->net_hold_until = s->c.now + hold;
	sim_trace(&s->c, TR_PARTITION, 0, 0, 0, both ? 1 : 2, 1ULL << id,
		  0, 0, 0, 0);
}

/*
 * The leader is cut off for 2-4 election timeouts: with CheckQuorum it
 * must step down within two (sim_check_quorum_live); without, it goes on
 * taking writes in its old term while the others elect a new leader.
 */
static void chaos_isolate_leader(struct sched *s)
{
	raft_id l = sim_leader(&s->c);

	if (!l || s->c.now < s->net_hold_until)
		return;
	isolate(s, l, sim_rng_below(s->g, 3) != 0,
		sim_rng_range(s->g, 2 * election_us(s) + 3 * s->tick_us,
			      4 * election_us(s)));
}

/*
 * A stale leader comes back alone: the leader is cut off long enough for
 * the others to elect a new one (it may still take writes in its old
 * term, its log may grow longer than theirs); then the network heals
 * and the new leader crashes at once, so the old one may campaign with
 * its longer log of an older term (the up-to-date check, 5.4.1).
 */
static void chaos_stale_leader(struct sched *s)
{
	raft_id l = sim_leader(&s->c);
	u64 hold = sim_rng_range(s->g, 3 * election_us(s),
				 6 * election_us(s));
	struct ev e;

	if (!l || s->c.now < s->net_hold_until)
		return;
	isolate(s, l, true, hold);
	memset(&e, 0, sizeof(e));
	e.at = s->c.now + hold;
	e.kind = EV_STALE_LEADER;
	e.node = (u8)l;
	ev_push(s, e);
}

static void crash(struct sched *s, raft_id id, u64 down_for);

static void stale_leader_end(struct sched *s, raft_id old)
{
	raft_id l = sim_leader(&s->c);

	if (s->healing)
		return;
	net_heal(s);
	if (l && l != old)
		crash(s, l, sim_rng_range(s->g, 2 * election_us(s),
					  4 * election_us(s)));
}

/* ------------------------------------------------------------------ */
/* Nodes                                                              */

static void schedule_tick(struct sched *s, struct sim_node *n)
{
	/* own drift (tick_period) plus +-10% jitter per tick */
	u64 p = n->tick_period;
	u64 j = p / 10;

	at(s, p - j + sim_rng_below(s->g, 2 * j + 1), EV_TICK, (u8)n->id,
	   n->inc);
}

static void on_new_leader(struct sched *s, raft_id id);

static void touch_obs(struct sched *s, raft_id id, bool force_observe)
{
	struct sim_cluster *c = &s->c;
	struct sim_node *n = &c->nodes[id];

	/* Role, term and commit changes all come with a ready batch (a
	 * step-down without one is caught in node_take_ready); observing only
	 * then (and on every event of a leader) saves most
	 * raft_get_status() calls.
	 */
	if (sim_node_process(c, id, s->disk_max == 0) || force_observe ||
	    n->obs_role == RAFT_LEADER)
		sim_observe_node(c, id);
	if (n->up && n->obs_role == RAFT_LEADER &&
	    s->led_term[id] != n->obs_term) {
		s->led_term[id] = n->obs_term;
		on_new_leader(s, id);
	}
	/* writes complete in the order they were issued */
	u64 tail = c->now;

	for (u32 i = 0; n->up && i < n->wq_n; i++) {
		struct sim_write *w = &n->wq[i];

		if (!w->done_at) {
			w->done_at = c->now + sim_rng_range(s->g, s->disk_min,
							    s->disk_max);
			if (w->done_at < tail)
				w->done_at = tail;
			at(s, w->done_at - c->now, EV_WQ, (u8)id, n->inc);
		}
		tail = w->done_at;
	}
	if (n->up && n->rd_active && n->rd_disk && !n->rd_done_at) {
		n->rd_done_at = c->now + sim_rng_range(s->g, s->disk_min,
						       s->disk_max);
		if (n->rd_done_at < tail)
			n->rd_done_at = tail;
		at(s, n->rd_done_at - c->now, EV_DISK, (u8)id, n->inc);
	}
}

static void touch(struct sched *s, raft_id id)
{
	touch_obs(s, id, false);
}

static void node_up(struct sched *s, raft_id id)
{
	struct sim_node *n = &s->c.nodes[id];

	if (!n->tick_period) {
		/* clock drift up to +-2% */
		u64 d = s->tick_us / 50;

		n->tick_period = s->tick_us - d + sim_rng_below(s->g, 2 * d + 1);
	}
	n->rd_done_at = 0;
	n->stalled_until = 0;
	n->async_log = s->async_log;
	schedule_tick(s, n);
	touch(s, id);
}

static void crash(struct sched *s, raft_id id, u64 down_for)
{
	struct sim_node *n = &s->c.nodes[id];

	if (!n->up)
		return;
	sim_node_crash(&s->c, id);
	n->rd_done_at = 0;
	if (down_for)
		at(s, down_for, EV_RESTART, (u8)id, n->inc);
}

static void restart(struct sched *s, raft_id id)
{
	struct sim_node *n = &s->c.nodes[id];

	if (n->up || n->stopped || !n->exists)
		return;
	if (sim_node_restart(&s->c, id) == 0)
		node_up(s, id);
}

/* The configuration committed as far as anyone applied. */
static const struct raft_conf *committed_conf(struct sched *s)
{
	const struct sim_node *best = NULL;

	for (raft_id id = 1; id <= s->c.max_id; id++) {
		const struct sim_node *n = &s->c.nodes[id];

		if (n->exists && (!best || n->sm.applied > best->sm.applied))
			best = n;
	}
	return best ? &best->aconf : NULL;
}

static bool in_conf(const struct raft_conf *conf, raft_id id, u8 *role)
{
	for (u32 i = 0; i < conf->n; i++)
		if (conf->nodes[i].id == id) {
			if (role)
				*role = conf->nodes[i].role;
			return true;
		}
	return false;
}

/* In neither the committed configuration nor any live node's latest. */
static bool removed(struct sched *s, raft_id id)
{
	const struct raft_conf *cc = committed_conf(s);
	struct sim_node *n = &s->c.nodes[id];

	if (!n->exists || n->stopped || (cc && in_conf(cc, id, NULL)))
		return false;
	for (raft_id j = 1; j <= s->c.max_id; j++) {
		struct sim_node *m = &s->c.nodes[j];
		struct raft_status st;

		if (!m->exists || m->stopped)
			continue;
		if (m->up) {
			raft_get_status(m->r, &st);
		} else {
			/* a crashed node comes back with its disk's conf */
			sim_disk_conf(m, &st.conf);
		}
		if (in_conf(&st.conf, id, NULL))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Chaos                                                              */

static raft_id random_node(struct sched *s, bool up)
{
	for (int tries = 0; tries < 32; tries++) {
		raft_id id = 1 + sim_rng_below(s->g, s->c.max_id);
		struct sim_node *n = &s->c.nodes[id];

		if (n->exists && !n->stopped && (!up || n->up))
			return id;
	}
	return 0;
}

/*
 * A change through leader l: add a fresh learner, promote, demote or
 * remove a member. Returns the core's answer (0 = accepted).
 */
static int membership_change(struct sched *s, raft_id l)
{
	struct sim_cluster *c = &s->c;
	const struct raft_conf *cc = committed_conf(s);
	u32 what = (u32)sim_rng_below(s->g, 7);
	raft_id t;
	u8 role;
	int err;

	if (what <= 1) {
		/* add a fresh learner */
		for (t = 1; t <= SIM_MAX_NODES; t++)
			if (!c->nodes[t].exists)
				break;
		if (t > SIM_MAX_NODES || t > s->n_voters + 3)
			return RAFT_EINVAL;
		err = sim_change_conf(c, l, RAFT_CONF_ADD_LEARNER, t);
		touch(s, l);
		if (!err && c->nodes[t].up)
			node_up(s, t);
		return err;
	}
	t = random_node(s, false);
	if (!t || !cc || !in_conf(cc, t, &role))
		return RAFT_EINVAL;
	if (what <= 3)
		err = sim_change_conf(c, l, role == RAFT_LEARNER ?
				      RAFT_CONF_PROMOTE : RAFT_CONF_DEMOTE, t);
	else
		err = sim_change_conf(c, l, RAFT_CONF_REMOVE, t);
	touch(s, l);
	return err;
}

static void chaos_membership(struct sched *s)
{
	struct sim_cluster *c = &s->c;
	raft_id l = sim_leader(c), t;
	u32 what = (u32)sim_rng_below(s->g, 10);
	int err;

	/* stop a node no configuration has any more */
	if (what == 0) {
		for (raft_id id = 1; id <= c->max_id; id++) {
			if (removed(s, id)) {
				sim_node_stop(c, id);
				return;
			}
		}
	}
	if (!l)
		return;
	if (what <= 2) {
		/* transfer leadership, to a voter (any node, at times) */
		struct raft_status st;
		raft_id v[RAFT_MAX_NODES];
		u32 nv = 0;

		raft_get_status(c->nodes[l].r, &st);
		for (u32 k = 0; k < st.conf.n; k++)
			if (st.conf.nodes[k].role == RAFT_VOTER &&
			    st.conf.nodes[k].id != l)
				v[nv++] = st.conf.nodes[k].id;
		t = nv && sim_rng_below(s->g, 4) ?
			v[sim_rng_below(s->g, nv)] : random_node(s, false);
		if (!t || t == l)
			return;
		err = raft_transfer_leader(c->nodes[l].r, t);
		sim_lease_publish(c, l);
		if (!err)
			sim_check_transfer_started(&c->nodes[l]);
		sim_trace(c, TR_TRANSFER, (u8)l, (u8)t, 0, (u8)err, 0, 0, 0,
			  0, 0);
		touch(s, l);
		return;
	}
	/* sometimes a second change at once: the core must refuse it
	 * while the first is not committed
	 */
	if (!membership_change(s, l) && c->nodes[l].up &&
	    !sim_rng_below(s->g, 3))
		membership_change(s, l);
}

/* A node was just seen leading a new term. */
static void on_new_leader(struct sched *s, raft_id id)
{
	/* a change at once: refused until an entry of the new term
	 * committed (a change of the last leader may still be pending)
	 */
	if ((s->cls == SC_MEMBERSHIP || s->cls == SC_MIXED) && !s->healing &&
	    !sim_rng_below(s->g, 3))
		membership_change(s, id);
}

static void chaos_crash(struct sched *s)
{
	raft_id id = random_node(s, true);

	if (id)
		crash(s, id, sim_rng_range(s->g, 5 * MS, 800 * MS));
}

/*
 * The node's thread stalls for up to three election timeouts (sometimes
 * less than the lease margin); half of the time the others' messages do
 * not reach it either (a new leader's heartbeats would depose it at
 * once), so that it may come back believing it leads.
 */
static void chaos_stall(struct sched *s, raft_id id)
{
	struct sim_node *n = &s->c.nodes[id];
	u64 el = (u64)s->c.cfg.election_ticks * s->tick_us;
	bool cut = sim_rng_below(s->g, 2);
	u64 d;

	if (!id || !n->up || n->stalled_until > s->c.now)
		return;
	d = sim_rng_below(s->g, 4) ? sim_rng_range(s->g, el, 3 * el) :
		sim_rng_range(s->g, 1, s->tick_us);
	n->stalled_until = s->c.now + d;
	if (cut)
		for (raft_id j = 1; j <= s->c.max_id; j++)
			if (j != id)
				s->cut[j][id] = true;
	sim_trace(&s->c, TR_STALL, (u8)id, 0, 0, cut, d, 0, 0, 0, 0);
}

/* A follower crashes and is back at once: it forgets that it heard the
 * leader a moment ago (the leader's lease).
 */
static void chaos_quick_restart(struct sched *s)
{
	raft_id id = random_node(s, true);

	if (id && s->c.nodes[id].obs_role != RAFT_LEADER)
		crash(s, id, sim_rng_range(s->g, 1 * MS, 2 * s->tick_us));
}

static void chaos_compact(struct sched *s)
{
	raft_id id = random_node(s, true);

	if (id && sim_compact(&s->c, id) == 0)
		touch(s, id);
}

static void chaos(struct sched *s)
{
	u32 r = (u32)sim_rng_below(s->g, 100);

	switch (s->cls) {
	case SC_LOSSY:
		/* vary the loss over time */
		s->drop_ppm = (u32)sim_rng_range(s->g, 0, 300000);
		s->dup_ppm = (u32)sim_rng_range(s->g, 0, 100000);
		break;
	case SC_PARTITION:
		if (r < 30)
			chaos_heal(s);
		else if (r < 82)
			chaos_partition(s);
		else if (r < 92)
			chaos_isolate_leader(s);
		else
			chaos_stale_leader(s);
		break;
	case SC_CRASH:
		if (r < 60)
			chaos_crash(s);
		else if (r < 70)
			chaos_quick_restart(s);
		else if (r < 80)
			chaos_compact(s);
		else if (r < 90)
			chaos_stall(s, sim_rng_below(s->g, 2) ?
				    sim_leader(&s->c) : random_node(s, true));
		break;
	case SC_DISK:
		if (r < 50) {
			raft_id id = random_node(s, true);

			if (id)
				s->c.nodes[id].fail_next_write = true;
		} else if (r < 75) {
			chaos_crash(s);
		} else if (r < 85) {
			chaos_partition(s);
		} else {
			chaos_heal(s);
		}
		break;
	case SC_MEMBERSHIP:
		if (r < 60)
			chaos_membership(s);
		else if (r < 68)
			chaos_crash(s);
		else if (r < 77)
			chaos_partition(s);
		else if (r < 87)
			chaos_heal(s);
		else if (r < 91)
			chaos_isolate_leader(s);
		else
			chaos_compact(s);
		break;
	case SC_CHURN: {
		raft_id l = sim_leader(&s->c);

		if (r < 35 && l)
			/* the leader dies soon after it started replicating */
			crash(s, l, sim_rng_range(s->g, 5 * MS, 150 * MS));
		else if (r < 50 && l)
			chaos_stall(s, l);
		else if (r < 72)
			chaos_partition(s);
		else if (r < 94)
			chaos_heal(s);
		else if (r < 97)
			chaos_isolate_leader(s);
		else
			chaos_stale_leader(s);
		break;
	}
	case SC_SNAPSHOT:
		if (r < 50)
			chaos_compact(s);
		else if (r < 65)
			chaos_crash(s);
		else if (r < 80)
			chaos_partition(s);
		else
			chaos_heal(s);
		break;
	default:
		if (r < 15)
			chaos_membership(s);
		else if (r < 25)
			chaos_crash(s);
		else if (r < 30)
			chaos_stall(s, sim_leader(&s->c));
		else if (r < 42)
			chaos_partition(s);
		else if (r < 55)
			chaos_heal(s);
		else if (r < 58)
			chaos_isolate_leader(s);
		else if (r < 60)
			chaos_stale_leader(s);
		else if (r < 75)
			chaos_compact(s);
		else if (r < 85) {
			raft_id id = random_node(s, true);

			if (id)
				s->c.nodes[id].fail_next_write = true;
		} else {
			s->drop_ppm = (u32)sim_rng_range(s->g, 0, 200000);
			s->dup_ppm = (u32)sim_rng_range(s->g, 0, 50000);
		}
		break;
	}
}

static void client(struct sched *s)
{
	struct sim_cluster *c = &s->c;
	raft_id l = sim_leader(c), any[SIM_MAX_NODES];
	u32 r = (u32)sim_rng_below(s->g, 100), na = 0;

	/* Clients are attached to nodes: some keep talking to a node that
	 * still believes it leads (a deposed leader in a minority), which is
	 * where stale reads and lost writes would show.
	 */
	for (raft_id id = 1; id <= c->max_id; id++)
		if (c->nodes[id].up && c->nodes[id].obs_role == RAFT_LEADER)
			any[na++] = id;
	if (na > 1 && sim_rng_below(s->g, 2))
		l = any[sim_rng_below(s->g, na)];
	if (!l || r < 5)
		l = random_node(s, true);
	if (s->stale_reader && c->now < s->stale_reader_until &&
	    c->nodes[s->stale_reader].up && sim_rng_below(s->g, 2) == 0) {
		/* a read through the leader that handed leadership over, of
		 * the block written last (a write the new leader acknowledged
		 * while the old one hears nobody)
		 */
		u32 b = (u32)sim_rng_below(s->g, SIM_BLOCKS);

		for (u32 k = 0; k < SIM_BLOCKS; k++)
			if (c->ck.acked_idx[k] > c->ck.acked_idx[b])
				b = k;
		sim_read(c, s->stale_reader, b);
		touch(s, s->stale_reader);
		return;
	}
	if (!l)
		return;
	if (c->nodes[l].stalled_until > c->now) {
		u32 b = (u32)sim_rng_below(s->g, SIM_BLOCKS);
		struct ev e;

		/* the node handles it after the stall, after the messages
		 * that arrived meanwhile; a write is just refused
		 */
		if (r < 70 || r >= 95)
			return;
		memset(&e, 0, sizeof(e));
		e.at = c->nodes[l].stalled_until + 2;
		e.kind = EV_READ;
		e.node = (u8)l;
		e.peer = (u8)b;
		e.inc = c->nodes[l].inc;
		e.need = c->ck.acked_idx[b];
		ev_push(s, e);
		return;
	}
	if (r < 70) {
		struct sim_node *ln = &c->nodes[l];
		u32 n;

		/* a client keeps a bounded number of writes outstanding */
		if (sim_log_last(&ln->shadow) > ln->obs_commit + 200)
			return;
		n = sim_rng_below(s->g, 4) == 0 ?
			(u32)sim_rng_range(s->g, 2, 8) : 1;

		sim_propose(c, l, n, (u32)sim_rng_below(s->g, SIM_BLOCKS));
	} else if (r < 95) {
		sim_read(c, l, (u32)sim_rng_below(s->g, SIM_BLOCKS));
	} else {
		sim_propose_barrier(c, l);
	}
	touch(s, l);
}

/* ------------------------------------------------------------------ */
/* Events                                                             */

static void handle(struct sched *s, struct ev *e)
{
	struct sim_cluster *c = &s->c;
	struct sim_node *n = &c->nodes[e->node];
	bool failed;

	c->now = e->at;
	s->events++;
	c->n_events++;
	if (e->node && n->up && n->stalled_until > c->now &&
	    e->kind != EV_RESTART && e->kind != EV_STALE_LEADER) {
		/* nothing runs on a stalled node: its first tick comes when
		 * the stall ends (the others are skipped), then what arrived
		 */
		if (e->kind == EV_TICK && e->inc != n->inc)
			return;
		e->at = n->stalled_until + (e->kind != EV_TICK &&
					    e->kind != EV_DISK &&
					    e->kind != EV_WQ);
		ev_push(s, *e);
		return;
	}
	switch (e->kind) {
	case EV_READ:
		if (n->up && e->inc == n->inc) {
			sim_read_need(c, e->node, e->peer, e->need);
			touch(s, e->node);
		}
		break;
	case EV_TICK:
		if (!n->up || e->inc != n->inc)
			break;
		sim_trace(c, TR_TICK, e->node, 0, 0, 0, 0, 0, 0, 0, 0);
		sim_node_tick(c, e->node);
		sim_resync_tick(c, e->node);
		schedule_tick(s, n);
		touch(s, e->node);
		break;
	case EV_DELIVER: {
		struct sim_msg *m = e->msg;
		u8 from = (u8)m->m.from;
		bool snap = sim_msg_bulk_snap(m);

		if (s->cut[from][e->node]) {
			sim_trace_msg(c, TR_DROP, &m->m);
			if (snap)
				snap_report_later(s, m, false);
			sim_msg_free(m);
			break;
		}
		/* the connection breaks when the peer is down: the copy
		 * fails; a complete copy is reported by its sender
		 */
		if (snap && !n->up)
			snap_report_later(s, m, false);
		sim_node_step(c, m);
		touch(s, e->node);
		break;
	}
	case EV_DISK:
		if (!n->up || e->inc != n->inc || !n->rd_done_at)
			break;
		n->rd_done_at = 0;
		failed = n->rd_fail;
		sim_node_complete_write(c, e->node);
		if (failed && !s->healing && sim_rng_below(s->g, 2))
			/* a failed disk is sometimes replaced by a restart */
			crash(s, e->node, 50 * MS);
		else
			touch_obs(s, e->node, true);
		break;
	case EV_WQ:
		if (!n->up || e->inc != n->inc)
			break;
		sim_node_complete_queued(c, e->node, c->now, false);
		touch_obs(s, e->node, true);
		break;
	case EV_CHAOS:
		if (s->healing)
			break;
		chaos(s);
		at(s, rexp(s, s->chaos_mean), EV_CHAOS, 0, 0);
		break;
	case EV_CLIENT:
		if (s->client_off)
			break;
		client(s);
		at(s, rexp(s, s->client_mean), EV_CLIENT, 0, 0);
		break;
	case EV_RESTART:
		if (e->inc == n->inc)
			restart(s, e->node);
		break;
	case EV_STALE_LEADER:
		stale_leader_end(s, e->node);
		break;
	case EV_SNAP_REPORT:
		if (n->up && e->inc == n->inc) {
			sim_resync_abort(c, e->node, e->inc, e->peer);
			touch(s, e->node);
		}
		break;
	case EV_UNREACH:
		if (n->up && e->inc == n->inc) {
			raft_report_unreachable(n->r, e->peer);
			touch(s, e->node);
		}
		break;
	}
}

/* Run events until `until` or stop() says so. */
static bool run_until(struct sched *s, u64 until, u64 max_events,
		      bool (*stop)(struct sched *s, void *arg), void *arg)
{
	u64 n = 0;

	while (s->hn && !s->c.failed) {
		struct ev e;

		if (s->h[0].at > until)
			break;
		e = ev_pop(s);
		handle(s, &e);
		if (stop && stop(s, arg))
			return true;
		if (max_events && ++n >= max_events)
			break;
	}
	if (!s->c.failed)
		s->c.now = until > s->c.now ? until : s->c.now;
	return false;
}

/* ------------------------------------------------------------------ */
/* Liveness and convergence                                           */

struct live {
	u64 first_wid;
	bool acked;
};

static bool live_done(struct sched *s, void *arg)
{
	struct live *lv = arg;
	struct sim_cluster *c = &s->c;

	for (u64 w = lv->first_wid; w < c->next_wid && w < c->props_cap; w++)
		if (c->props[w].acked)
			return lv->acked = true;
	return false;
}

static bool converged(struct sched *s, void *arg)
{
	struct sim_cluster *c = &s->c;
	raft_id l = sim_leader(c);
	struct raft_status st;

	(void)arg;
	if (!l)
		return false;
	raft_get_status(c->nodes[l].r, &st);
	if (st.commit > c->nodes[l].sm.applied)
		return false;
	for (u32 i = 0; i < st.conf.n; i++) {
		raft_id id = st.conf.nodes[i].id;
		struct sim_node *n = &c->nodes[id];

		if (n->stopped && n->exists) {
			/* stopped as removed, but a log that still had it
			 * won (e.g. an APPEND in flight carried the change):
			 * the administrator brings it back
			 */
			sim_trace(c, TR_NOTE, (u8)id, 1, 0, 0, 0, 0, 0, 0, 0);
			n->stopped = false;
			restart(s, id);
		}
		if (!n->up || n->sm.applied != st.commit)
			return false;
	}
	return true;
}

static void heal(struct sched *s)
{
	struct sim_cluster *c = &s->c;

	s->healing = true;
	net_heal(s);
	s->drop_ppm = 0;
	s->dup_ppm = 0;
	if (s->dmax > 5 * MS)
		s->dmax = 5 * MS;
	if (s->dmin > s->dmax)
		s->dmin = s->dmax;
	for (raft_id id = 1; id <= c->max_id; id++) {
		struct sim_node *n = &c->nodes[id];

		n->fail_next_write = false;
		if (!n->exists || n->stopped)
			continue;
		/* nodes every configuration dropped go away */
		if (removed(s, id)) {
			sim_node_stop(c, id);
			continue;
		}
		restart(s, id);
	}
}

/* ------------------------------------------------------------------ */
/* stale-heal: a cut-off leader's stale suffix, then a heal under loss */

/*
 * The kselftest cluster_netns leader_cut_off on the debug kernel (issue
 * 12): the leader is cut off right after it appended entries nobody else
 * has; the others elect a new leader, which commits its NOOP and two
 * writes; the network heals while messages are lost, duplicated and
 * reordered (from a little before the heal to a little after); then no
 * fault and no new write: every node must reach the leader's commit
 * index, last index and applied index within a bound. Nothing after the
 * heal moves replication but the core's own retransmission (heartbeat
 * answers, probes): a follower left behind for good is a failure here,
 * where the random classes' liveness phase (which writes on) hides it.
 */
struct sh_wait {
	raft_id not;		/* a leader other than this one */
	raft_term above;	/* ... in a term above this */
	raft_id l;		/* the leader found / waited on */
	raft_term term;		/* ... its term */
	raft_index idx;		/* commit index to reach */
};

static bool sh_leader(struct sched *s, void *arg)
{
	struct sh_wait *w = arg;
	raft_id l = sim_leader(&s->c);

	if (!l || l == w->not || s->c.nodes[l].obs_term <= w->above)
		return false;
	w->l = l;
	w->term = s->c.nodes[l].obs_term;
	return true;
}

/* w->l committed w->idx, or another leader took over (w->l = 0). */
static bool sh_committed(struct sched *s, void *arg)
{
	struct sh_wait *w = arg;
	raft_id l = sim_leader(&s->c);
	struct raft_status st;

	if (l && s->c.nodes[l].obs_term > w->term) {
		w->l = 0;
		return true;
	}
	raft_get_status(s->c.nodes[w->l].r, &st);
	return st.role == RAFT_LEADER && st.commit >= w->idx;
}

/*
 * Every member at the leader's last index, commit index and applied
 * index (the core's and the state machine's), the leader's log all
 * committed. With why, says what is not.
 */
static bool sh_converged_why(struct sched *s, char *why, size_t len)
{
	struct sim_cluster *c = &s->c;
	raft_id l = sim_leader(c);
	struct raft_status ls, st;
	size_t k = 0;
	bool ok = true;

	if (why)
		why[0] = 0;
	if (!l) {
		if (why)
			snprintf(why, len, "no leader");
		return false;
	}
	raft_get_status(c->nodes[l].r, &ls);
	if (ls.commit != ls.last_index)
		ok = false;
	for (raft_id id = 1; id <= c->max_id; id++) {
		struct sim_node *n = &c->nodes[id];
		const struct raft_progress_info *p = NULL;
		bool good;

		if (!n->exists || n->stopped)
			continue;
		if (!n->up) {
			ok = false;
			continue;
		}
		raft_get_status(n->r, &st);
		good = st.commit == ls.commit && st.last_index == ls.last_index &&
			st.applied == ls.commit && n->sm.applied == ls.commit;
		ok &= good;
		if (!why || k >= len)
			continue;
		for (u32 i = 0; i < ls.n_progress; i++)
			if (ls.progress[i].id == id)
				p = &ls.progress[i];
		k += snprintf(why + k, len - k,
			      "; node %llu%s %s term %llu commit %llu applied %llu/%llu last %llu/%llu persisted %llu",
			      ULL(id), good ? "" : " BEHIND",
			      raft_role_name(st.role), ULL(st.term),
			      ULL(st.commit), ULL(st.applied),
			      ULL(n->sm.applied), ULL(st.last_index),
			      ULL(st.last_term), ULL(st.persisted_index));
		if (p && id != l && k < len)
			k += snprintf(why + k, len - k,
				      " (leader's view: state %u match %llu next %llu%s)",
				      p->state, ULL(p->match), ULL(p->next),
				      p->recent_active ? " active" : "");
	}
	return ok;
}

static bool sh_converged(struct sched *s, void *arg)
{
	(void)arg;
	return sh_converged_why(s, NULL, 0);
}

static bool sh_wait(struct sched *s, u64 bound,
		    bool (*stop)(struct sched *s, void *arg), void *arg,
		    const char *what)
{
	if (run_until(s, s->c.now + bound, 0, stop, arg))
		return true;
	if (!s->c.failed)
		sim_fail(&s->c, "Liveness", "stale-heal: %s within %llu ms",
			 what, ULL(bound / MS));
	return false;
}

/* Cut modes: 0 both ways, 1 nobody reaches the leader, 2 it reaches nobody. */
static u32 sh_pick_cut(struct sched *s, struct sim_config *cfg)
{
	u32 r = (u32)sim_rng_below(s->g, 10), mode = r < 6 ? 0 : r < 8 ? 1 : 2;

	/* the kernel's settings most of the time */
	if (sim_rng_below(s->g, 3)) {
		cfg->pre_vote = true;
		cfg->check_quorum = true;
	}
	/* it still reaches the others: only CheckQuorum deposes it */
	if (mode == 1)
		cfg->check_quorum = true;
	return mode;
}

static void sh_cut(struct sched *s, raft_id l, u32 mode)
{
	memset(s->cut, 0, sizeof(s->cut));
	for (raft_id j = 1; j <= s->c.max_id; j++) {
		if (j == l)
			continue;
		if (mode != 2)
			s->cut[j][l] = true;
		if (mode != 1)
			s->cut[l][j] = true;
	}
	s->net_hold_until = ~0ULL;
	sim_trace(&s->c, TR_PARTITION, 0, 0, 0, mode == 0 ? 1 : 2,
		  1ULL << l, 0, 0, 0, 0);
}

/* Propose cnt writes through l, in one or several proposals. */
static void sh_propose(struct sched *s, raft_id l, u32 cnt)
{
	while (cnt) {
		u32 k = sim_rng_below(s->g, 2) ? cnt :
			(u32)sim_rng_range(s->g, 1, cnt);

		if (sim_propose(&s->c, l, k,
				(u32)sim_rng_below(s->g, SIM_BLOCKS)))
			break;
		touch(s, l);
		cnt -= k;
	}
}

static void stale_heal(struct sched *s, u32 mode)
{
	struct sim_cluster *c = &s->c;
	u64 el = election_us(s), hb = (u64)c->cfg.heartbeat_ticks * s->tick_us;
	u64 bound = 50 * el, before, after;
	struct sh_wait w = { 0 };
	struct raft_status st;
	raft_id old;
	raft_term old_term;
	u32 drop, dup;
	char why[900];

	s->client_off = true;
	/* a leader, a few writes everywhere */
	if (!sh_wait(s, bound, sh_leader, &w, "no first leader"))
		return;
	sh_propose(s, w.l, (u32)sim_rng_range(s->g, 1, 3));
	if (!sh_wait(s, bound, sh_converged, NULL,
		     "the first writes did not reach every node"))
		return;
	old = sim_leader(c);
	old_term = c->nodes[old].obs_term;
	/* cut it off with entries only it has (written or not yet) */
	if (sim_rng_below(s->g, 2)) {
		sh_propose(s, old, (u32)sim_rng_range(s->g, 1, 4));
		sh_cut(s, old, mode);
	} else {
		sh_cut(s, old, mode);
		sh_propose(s, old, (u32)sim_rng_range(s->g, 1, 4));
	}
	/* the others elect a new leader, which commits two writes */
	w.not = old;
	w.above = old_term;
	if (!sh_wait(s, bound, sh_leader, &w, "no new leader after the cut"))
		return;
	/* (again through the next leader if leadership moves meanwhile) */
	for (u32 tries = 0;; tries++) {
		if (tries == 10) {
			sim_fail(c, "Liveness", "stale-heal: leadership moved 10 times before two writes committed");
			return;
		}
		raft_get_status(c->nodes[w.l].r, &st);
		w.idx = st.last_index + 2;
		if (sim_rng_below(s->g, 2)) {
			sh_propose(s, w.l, 2);
		} else {
			sh_propose(s, w.l, 1);
			run_until(s, c->now + sim_rng_below(s->g, 2 * hb + 1),
				  0, NULL, NULL);
			if (sim_leader(c) == w.l)
				sh_propose(s, w.l, 1);
		}
		if (!sh_wait(s, bound, sh_committed, &w,
			     "the new leader did not commit two writes"))
			return;
		if (w.l)
			break;
		w.above = w.term;
		if (!sh_wait(s, bound, sh_leader, &w, "no leader after a change"))
			return;
	}
	/* the old leader may or may not have noticed yet */
	run_until(s, c->now + sim_rng_below(s->g, 3 * el + 1), 0, NULL, NULL);
	/* lossy around the heal */
	s->drop_ppm = drop = (u32)sim_rng_range(s->g, 0, 300000);
	s->dup_ppm = dup = (u32)sim_rng_range(s->g, 0, 100000);
	if (sim_rng_below(s->g, 2))
		s->dmax = s->dmin + sim_rng_range(s->g, 0, 20 * MS);
	before = sim_rng_below(s->g, 2 * hb + 1);
	after = sim_rng_below(s->g, 3 * el + 1);
	run_until(s, c->now + before, 0, NULL, NULL);
	if (c->failed)
		return;
	s->net_hold_until = 0;
	net_heal(s);
	run_until(s, c->now + after, 0, NULL, NULL);
	if (c->failed)
		return;
	s->drop_ppm = 0;
	s->dup_ppm = 0;
	/* no fault, no write: everyone catches up on its own */
	if (run_until(s, c->now + bound, 0, sh_converged, NULL) || c->failed)
		return;
	sh_converged_why(s, why, sizeof(why));
	sim_fail(c, "Liveness",
		 "stale-heal: nodes did not converge within %llu ms of the heal without new writes (old leader %llu, loss %u ppm, dup %u ppm for %llu ms around it, cut mode %u)%s",
		 ULL((after + bound) / MS), ULL(old), drop, dup,
		 ULL((before + after) / MS), mode, why);
}

/* ------------------------------------------------------------------ */

/* The schedule running now, for a crash report (core assertion, sanitizer
 * report, signal): the seed must never be lost.
 */
static struct {
	u64 seed;
	u32 nodes, cls;
	struct sim_cluster *c;
} current;

static void crash_report(void)
{
	static int once;

	if (once++ || !current.c)
		return;
	printf("not ok - %u nodes %s: seed %llu: CRASHED (core assertion, sanitizer report or signal)\n",
	       current.nodes, sched_class_names[current.cls], ULL(current.seed));
	sim_dump_nodes(current.c, stdout);
	sim_trace_dump(current.c, stdout, 100);
	printf("# reproduce: raftsim --seed %llu --nodes %u --class %s\n",
	       ULL(current.seed), current.nodes, sched_class_names[current.cls]);
	fflush(stdout);
}

static void on_signal(int sig)
{
	crash_report();
	signal(sig, SIG_DFL);
	raise(sig);
}

void sched_install_crash_report(void)
{
	signal(SIGABRT, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGFPE, on_signal);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(crash_report);
#endif
}

u32 sched_seed_nodes(u64 seed)
{
	static const u32 sizes[3] = { 3, 5, 7 };

	return sizes[seed % 3];
}

u32 sched_seed_class(u64 seed)
{
	return (u32)((seed / 3) % SC_N);
}

static void configure(struct sched *s, struct sim_config *cfg)
{
	struct sim_rng *g = s->g;

	sim_config_default(cfg);
	cfg->election_ticks = (u32)sim_rng_range(g, 5, 20);
	cfg->heartbeat_ticks = (u32)sim_rng_range(g, 1, cfg->election_ticks / 4);
	cfg->pre_vote = sim_rng_below(g, 10) < 8;
	cfg->check_quorum = sim_rng_below(g, 10) < 8;
	cfg->lease_read = cfg->check_quorum && sim_rng_below(g, 5) < 2;
	cfg->max_inflight_msgs = (u32)sim_rng_range(g, 1, 32);
	if (sim_rng_below(g, 3) == 0)
		/* tiny messages: entries trickle one or two at a time */
		cfg->max_msg_bytes = sim_rng_range(g, 1, 40);
	if (sim_rng_below(g, 4) == 0)
		cfg->max_inflight_bytes = sim_rng_range(g, 32, 512);
	if (sim_rng_below(g, 4) == 0)
		cfg->max_uncommitted_bytes = sim_rng_range(g, 64, 4096);
}

void sched_run(u64 seed, u32 nodes, u32 cls, const struct sched_opts *o,
	       struct sched_result *res, FILE *trace_out)
{
	struct sched *s = calloc(1, sizeof(*s));
	struct sim_cluster *c;
	struct sim_config cfg;
	struct sim_rng g0 = { .s = seed * 0x2545f4914f6cdd1dULL + 1 };
	struct live lv;
	u64 chaos_end, bound;
	u32 sh_mode = 0;

	long live0 = raft_payload_live();

	if (!s)
		abort();
	memset(res, 0, sizeof(*res));
	s->g = &g0;
	s->cls = cls;
	s->n_voters = nodes;
	s->o = o;
	configure(s, &cfg);
	if (cls == SC_STALE_HEAL)
		sh_mode = sh_pick_cut(s, &cfg);
	c = &s->c;
	sim_cluster_init(c, seed, &cfg, &sched_net, s);
	c->ck.rule_checks = o->rule_checks;
	c->resync_model = true;
	c->log = o->log;
	s->g = &c->rng;
	c->rng = g0;

	/* network, disk and clocks of this schedule */
	s->tick_us = 10 * MS;
	c->cfg.tick_ns = s->tick_us * 1000;
	s->dmin = sim_rng_range(s->g, 50, 1000);
	s->dmax = s->dmin + (sim_rng_below(s->g, 3) ?
			     sim_rng_range(s->g, 0, 3 * MS) :
			     sim_rng_range(s->g, 0, 40 * MS));
	if (sim_rng_below(s->g, 4) == 0) {
		s->disk_min = s->disk_max = 0;	/* instant disk */
	} else {
		s->disk_min = sim_rng_range(s->g, 20, 500);
		s->disk_max = s->disk_min + sim_rng_range(s->g, 0, cls == SC_DISK ? 30 * MS : 5 * MS);
	}
	s->async_log = s->disk_max && sim_rng_below(s->g, 2);
	c->torn_writes = sim_rng_below(s->g, 2);
	if (cls == SC_LOSSY || cls == SC_MIXED) {
		s->drop_ppm = (u32)sim_rng_range(s->g, 0, 200000);
		s->dup_ppm = (u32)sim_rng_range(s->g, 0, 50000);
	}
	s->chaos_mean = sim_rng_range(s->g, 20 * MS, 300 * MS);
	if (cls == SC_CHURN) {
		/* about one change per election timeout, tiny messages */
		s->chaos_mean = sim_rng_range(s->g, 30 * MS, 120 * MS);
		if (sim_rng_below(s->g, 2))
			c->cfg.max_msg_bytes = cfg.max_msg_bytes = 16;
	}
	s->client_mean = sim_rng_range(s->g, 1 * MS, 20 * MS);
	chaos_end = sim_rng_range(s->g, 400 * MS, 1500 * MS);

	current.seed = seed;
	current.nodes = nodes;
	current.cls = cls;
	current.c = c;
	if (sim_bootstrap(c, nodes, 0)) {
		sim_fail(c, "setup", "bootstrap failed");
		goto out;
	}
	if (cls == SC_STALE_HEAL && sim_rng_below(s->g, 3))
		s->async_log = false;
	/*
	 * kernel/node.c's way (in stale-heal most of the time, elsewhere
	 * now and then): a synchronous log write reporting its own
	 * entries, applies in part
	 */
	if (cls == SC_STALE_HEAL || !sim_rng_below(s->g, 4)) {
		for (raft_id id = 1; id <= nodes; id++) {
			struct sim_node *n = &c->nodes[id];

			n->kernel_persist = !s->async_log &&
				sim_rng_below(s->g, 4) != 0;
			if (sim_rng_below(s->g, 2))
				n->apply_lag_ppm = (u32)sim_rng_range(s->g,
							100000, 600000);
		}
	}
	for (raft_id id = 1; id <= nodes; id++)
		node_up(s, id);
	if (cls == SC_STALE_HEAL) {
		stale_heal(s, sh_mode);
		if (!c->failed)
			sim_check_final(c);
		goto out;
	}
	at(s, rexp(s, s->chaos_mean), EV_CHAOS, 0, 0);
	at(s, rexp(s, s->client_mean), EV_CLIENT, 0, 0);

	/* chaos */
	run_until(s, chaos_end, o->max_steps, NULL, NULL);
	if (c->failed)
		goto out;

	/* heal, then liveness within a bound */
	heal(s);
	bound = 100ULL * cfg.election_ticks * s->tick_us;
	lv.first_wid = c->next_wid;
	lv.acked = false;
	run_until(s, c->now + bound, 0, live_done, &lv);
	if (!c->failed && !lv.acked) {
		raft_id l = sim_leader(c);

		sim_fail(c, "Liveness", "network healed and all members up, but %s within %llu ms",
			 l ? "no write was acknowledged" : "no leader was elected",
			 ULL(bound / MS));
	}
	if (c->failed)
		goto out;
	s->client_off = true;
	if (!run_until(s, c->now + bound, 0, converged, NULL) && !c->failed)
		sim_fail(c, "Liveness", "members did not converge on the leader's commit index within %llu ms",
			 ULL(bound / MS));
	if (!c->failed)
		sim_check_final(c);
out:
	res->failed = c->failed;
	snprintf(res->why, sizeof(res->why), "%s", c->why);
	res->sim_us = c->now;
	res->digest = c->digest;
	res->events = s->events;
	res->acked = c->n_acked;
	res->resyncs = c->n_resyncs;
	res->chunks = c->n_resync_chunks;
	for (raft_id id = 1; id <= c->max_id; id++)
		res->apply_lags += c->nodes[id].n_apply_lags;
	res->reads = c->ck.n_reads_ok;
	res->reads_direct = c->n_reads_direct;
	for (u64 t = 0; t < c->ck.n_terms; t++)
		res->leaders += c->ck.terms[t].leader != 0;
	if (c->failed && trace_out) {
		fprintf(trace_out, "# seed %llu (%u nodes, %s): %s\n",
			ULL(seed), nodes, sched_class_names[cls], c->why);
		fprintf(trace_out, "# config: election=%u heartbeat=%u prevote=%d checkquorum=%d lease=%d inflight=%u msgbytes=%llu disk=%llu-%lluus%s net=%llu-%lluus\n",
			cfg.election_ticks, cfg.heartbeat_ticks, cfg.pre_vote,
			cfg.check_quorum, cfg.lease_read,
			cfg.max_inflight_msgs, ULL(cfg.max_msg_bytes),
			ULL(s->disk_min), ULL(s->disk_max),
			s->async_log ? " async-log" : "", ULL(s->dmin),
			ULL(s->dmax));
		fprintf(trace_out, "# nodes now:\n");
		sim_dump_nodes(c, trace_out);
		fprintf(trace_out, "# last events (time in s):\n");
		sim_trace_dump(c, trace_out, 300);
		fprintf(trace_out, "# reproduce: raftsim --seed %llu --nodes %u --class %s\n",
			ULL(seed), nodes, sched_class_names[cls]);
	}
	while (s->hn) {
		struct ev e = ev_pop(s);

		sim_msg_free(e.msg);
	}
	free(s->h);
	current.c = NULL;
	sim_cluster_free(c);
	free(s);
	/* everything the core and the simulator held is released now */
	if (!res->failed && raft_payload_live() != live0) {
		res->failed = true;
		snprintf(res->why, sizeof(res->why),
			 "Leak: %ld payload references not released at the end of the schedule",
			 raft_payload_live() - live0);
		if (trace_out)
			fprintf(trace_out, "# seed %llu: %s\n", ULL(seed),
				res->why);
	}
}
