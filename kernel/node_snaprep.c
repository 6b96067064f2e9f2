// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: snapshot reports - what each node holds of each snapshot, seen
 * from one node (the leader).
 *
 * A node's snapshots are the table of its COW pool and device-mapper's
 * state of each, which only userspace reads: raftctl hands them to the
 * kernel (SNAPSHOT_REPORT: the helper after each snapshot entry, list,
 * status, create), which keeps the last report and adds what it knows
 * itself (a pool configured, its applied index, the index of the copy it
 * joined by). A follower sends its report to its leader in a SNAPREPORT
 * copy frame (wire.h): when it changed, when the leader changed, and every
 * RAFTBLK_SNAPREP_RESEND_S seconds, only to a leader that announced
 * RB_WIRE_FEAT_SNAPREP in its handshake. The leader keeps the last report
 * of each node with when it came, and relays them (its own too) to each
 * follower that announced RB_WIRE_FEAT_SNAPRELAY, in SNAPRELAY copy
 * frames: when what it holds changed (at most once a second) and every
 * RAFTBLK_SNAPREP_RESEND_S seconds. SNAPSHOT_NODES hands out this node's
 * report and those it holds (on a follower, those its current leader
 * relayed); raftctl's list makes the per-node table of them on any node.
 * The reports of a node that left the configuration are dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "node_int.h"
#include "portable.h"
#include "wire.h"

static_assert(RB_WIRE_SNAPREP_HDR_LEN == RAFTBLK_SNAPREP_HDR_LEN);
static_assert(RB_WIRE_SNAPREP_ROW_LEN == RAFTBLK_SNAPREP_ROW_LEN);
static_assert(RB_WIRE_SNAPREP_MAX_ROWS == RAFTBLK_SNAPREP_MAX_ROWS);
static_assert(RB_WIRE_SNAPREP_MAX_LEN == RAFTBLK_SNAPREP_MAX_LEN);
static_assert(RB_WIRE_SNAPREP_FLAGS_ALL == RAFTBLK_SNAPREP_F_ALL);
static_assert(RB_WIRE_SNAPREP_STATE_MAX == RAFTBLK_SNAPREP_STATE_MAX);
static_assert(RB_WIRE_SNAPREP_NAME_LEN - 1 == RAFTBLK_SNAPSHOT_NAME_MAXLEN);

/*
 * A follower sends its report, a leader relays what it holds, again this
 * often, changed or not; a leader relays a change at most once a second.
 */
#define RAFTBLK_SNAPREP_RESEND_S	10

void raftblk_node_snaprep_init(struct raftblk_node *n)
{
	spin_lock_init(&n->srep.lock);
}

void raftblk_node_snaprep_free(struct raftblk_node *n)
{
	u32 i;

	kfree(n->srep.own);
	n->srep.own = NULL;
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		kfree(n->srep.peers[i].buf);
		n->srep.peers[i].buf = NULL;
		kfree(n->srep.relay[i].buf);
		n->srep.relay[i].buf = NULL;
	}
}

static bool snaprep_member(struct raftblk_node *n, u64 id)
{
	u32 i;

	for (i = 0; i < n->n_tp_peers; i++)
		if (n->tp_peers[i] == id)
			return true;
	return false;
}

static void snaprep_slot_clear(struct raftblk_node_srep_peer *p)
{
	kfree(p->buf);
	memset(p, 0, sizeof(*p));
}

/*
 * Node thread, after the transport's peers were set to the configuration:
 * drop (and free) what came from or about a node no longer in it.
 */
void raftblk_node_snaprep_prune(struct raftblk_node *n)
{
	struct raftblk_node_srep *s = &n->srep;
	u32 i, gone = 0;

	spin_lock(&s->lock);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		if (s->peers[i].id && !snaprep_member(n, s->peers[i].id)) {
			snaprep_slot_clear(&s->peers[i]);
			gone++;
		}
		if (s->relay[i].id && (!snaprep_member(n, s->relay[i].id) ||
				       !snaprep_member(n, s->relay[i].via)))
			snaprep_slot_clear(&s->relay[i]);
	}
	if (gone)
		s->held++;
	spin_unlock(&s->lock);
	for (i = 0; i < RAFT_MAX_NODES; i++)
		if (s->rsent[i].id && !snaprep_member(n, s->rsent[i].id))
			memset(&s->rsent[i], 0, sizeof(s->rsent[i]));
}

int raftblk_node_snaprep_set(struct raftblk_node *n, const u8 *b, u32 len,
			     struct raftblk_err *err)
{
	const char *why = NULL;
	u8 *copy, *old;

	if (rb_wire_snaprep_check(b, len, false, &why)) {
		err->attr = RAFTBLK_ATTR_SNAPSHOT_REPORT;
		err->msg = why;
		return -EINVAL;
	}
	copy = kmemdup(b, len, GFP_KERNEL);
	if (!copy) {
		err->msg = "out of memory";
		return -ENOMEM;
	}
	/* the kernel's own fields: ours to fill */
	memset(copy + 8, 0, RB_WIRE_SNAPREP_HDR_LEN - 8);
	rb_put_le32(copy + 4, rb_get_le32(copy + 4) &
		    ~(u32)(RAFTBLK_SNAPREP_F_POOL | RAFTBLK_SNAPREP_F_KNOWN));
	spin_lock(&n->srep.lock);
	old = n->srep.own;
	n->srep.own = copy;
	n->srep.own_len = len;
	n->srep.own_at = jiffies;
	n->srep.seq++;
	spin_unlock(&n->srep.lock);
	kfree(old);
	raftblk_node_kick(n);
	return 0;
}

void raftblk_node_snaprep_changed(struct raftblk_node *n)
{
	spin_lock(&n->srep.lock);
	n->srep.seq++;
	spin_unlock(&n->srep.lock);
}

/*
 * This node's report into b (RB_WIRE_SNAPREP_MAX_LEN bytes): its length.
 * *age_ms: how old its rows are.
 */
static u32 snaprep_own(struct raftblk_node *n, u8 *b, u32 *age_ms)
{
	u32 len = RB_WIRE_SNAPREP_HDR_LEN, flags;
	bool known;

	spin_lock(&n->srep.lock);
	*age_ms = 0;
	known = n->srep.own;
	if (known) {
		len = n->srep.own_len;
		memcpy(b, n->srep.own, len);
		*age_ms = jiffies_to_msecs(jiffies - n->srep.own_at);
	} else {
		memset(b, 0, len);
	}
	spin_unlock(&n->srep.lock);
	flags = rb_get_le32(b + 4);
	if (known)
		flags |= RAFTBLK_SNAPREP_F_KNOWN;
	if (n->snap_data)
		flags |= RAFTBLK_SNAPREP_F_POOL;
	rb_put_le32(b + 4, flags);
	rb_put_le64(b + 8, READ_ONCE(n->applied));
	rb_put_le64(b + 16, READ_ONCE(n->copy_index));
	rb_put_le64(b + 24, *age_ms);
	return len;
}

/* A report frame's fields beyond its payload. */
struct snaprep_frame {
	u32 to;
	u64 term;
	u64 kind;			/* RB_WIRE_COPY_SNAPREPORT/SNAPRELAY */
	u64 seq;			/* snap.index, from 1 */
	u64 about;			/* SNAPRELAY: the report's node */
	u64 heard_ms;			/* SNAPRELAY: its age at the leader */
};

/*
 * Send the report in @b (@len bytes, zero-padded to a multiple of 512 in
 * the buffer) as @f says: true when the transport took it.
 */
static bool snaprep_send(struct raftblk_node *n, const struct snaprep_frame *f,
			 const u8 *b, u32 len)
{
	u32 plen = round_up(len, 512);
	struct raft_msg m = {};
	struct raft_entry e = {};
	struct raft_payload *p;
	int ret;

	p = raftblk_payload_alloc(plen);
	if (!p)
		return false;
	p->sector = 0;
	ret = raftblk_payload_copy_in(p, 0, b, plen);
	if (ret) {
		raftblk_payload_put(p);
		return false;
	}
	raftblk_payload_crc(p);
	m.type = RAFT_MSG_SNAPSHOT;
	m.flags = RB_WIRE_MSGF_COPY;
	m.from = n->id;
	m.to = f->to;
	m.term = f->term;
	m.hint_term = f->kind;
	m.hint_index = f->about;
	m.commit = f->heard_ms;
	m.context = len;
	m.snap.index = f->seq;
	m.snap.term = f->term;
	e.index = 1;
	e.term = f->term;
	e.type = RAFT_ENTRY_NORMAL;
	e.payload = p;
	m.n_entries = 1;
	m.entries = &e;
	ret = rb_transport_send(n->tp, &m);
	raftblk_payload_put(p);
	return !ret;
}

/* Send our report to @leader: true when the transport took it. */
static bool snaprep_send_own(struct raftblk_node *n, u32 leader, u64 term,
			     u64 seq)
{
	struct snaprep_frame f = {
		.to = leader, .term = term, .seq = seq,
		.kind = RB_WIRE_COPY_SNAPREPORT,
	};
	u32 len, age;
	bool ok;
	u8 *b;

	/* the node thread: no I/O to our own device to free memory */
	b = kzalloc(round_up(RB_WIRE_SNAPREP_MAX_LEN, 512), GFP_NOIO);
	if (!b)
		return false;
	len = snaprep_own(n, b, &age);
	ok = snaprep_send(n, &f, b, len);
	kfree(b);
	return ok;
}

/* The follower's relay state slot for @id: its own or a free one. */
static struct raftblk_node_srep_sent *snaprep_rsent(struct raftblk_node *n,
						    u32 id)
{
	struct raftblk_node_srep_sent *free = NULL;
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		if (n->srep.rsent[i].id == id)
			return &n->srep.rsent[i];
		if (!free && !n->srep.rsent[i].id)
			free = &n->srep.rsent[i];
	}
	if (free) {
		memset(free, 0, sizeof(*free));
		free->id = id;
	}
	return free;
}

/*
 * Report @k of what this node holds into @b (zeroed, one report long):
 * k 0 is its own, k 1..RAFT_MAX_NODES the peers' slots. Returns its
 * length (0: an empty slot); *id: its node, *heard_ms: since it came.
 * The age field says how old its rows are now.
 */
static u32 snaprep_held(struct raftblk_node *n, u32 k, u8 *b, u32 *id,
			u64 *heard_ms)
{
	struct raftblk_node_srep_peer *p;
	u32 len = 0, age;

	*heard_ms = 0;
	*id = n->id;
	if (!k)
		return snaprep_own(n, b, &age);
	spin_lock(&n->srep.lock);
	p = &n->srep.peers[k - 1];
	if (p->id && p->id != n->id && snaprep_member(n, p->id)) {
		len = p->len;
		*id = p->id;
		memcpy(b, p->buf, len);
		*heard_ms = jiffies_to_msecs(jiffies - p->heard);
		rb_put_le64(b + 24, rb_get_le64(b + 24) + *heard_ms);
	}
	spin_unlock(&n->srep.lock);
	return len;
}

/*
 * Leader, node thread: relay the reports it holds to each follower that
 * takes them, when what it holds changed since the last relay (at most
 * once a second) or RAFTBLK_SNAPREP_RESEND_S seconds passed.
 */
static void snaprep_relay(struct raftblk_node *n)
{
	struct raftblk_node_srep *s = &n->srep;
	struct raftblk_node_srep_sent *due[RAFT_MAX_NODES];
	struct snaprep_frame f = { .kind = RB_WIRE_COPY_SNAPRELAY };
	u32 i, j, k, n_due = 0, len, id;
	u64 gen;
	u8 *b;

	spin_lock(&s->lock);
	gen = s->seq + s->held;
	spin_unlock(&s->lock);
	for (i = 0; i < n->n_tp_peers; i++) {
		struct raftblk_node_srep_sent *r = snaprep_rsent(n,
							n->tp_peers[i]);

		if (!r)
			continue;
		if (r->at && (r->gen == gen || time_before(jiffies,
							   r->at + HZ)) &&
		    time_before(jiffies, r->at + RAFTBLK_SNAPREP_RESEND_S * HZ))
			continue;
		r->gen = gen;
		r->at = jiffies;
		if (rb_transport_peer_features(n->tp, r->id) &
		    RB_WIRE_FEAT_SNAPRELAY)
			due[n_due++] = r;
	}
	if (!n_due)
		return;
	raft_get_status(n->raft, &n->st_buf);
	f.term = n->st_buf.term;
	if (!f.term)
		goto retry;
	b = kmalloc(round_up(RB_WIRE_SNAPREP_MAX_LEN, 512), GFP_NOIO);
	if (!b)
		goto retry;
	f.seq = gen + 1;
	for (k = 0; k <= RAFT_MAX_NODES; k++) {
		memset(b, 0, round_up(RB_WIRE_SNAPREP_MAX_LEN, 512));
		len = snaprep_held(n, k, b, &id, &f.heard_ms);
		if (!len)
			continue;
		f.about = id;
		for (j = 0; j < n_due; j++) {
			if (due[j]->id == id)
				continue;	/* its own: it has it */
			f.to = due[j]->id;
			if (!snaprep_send(n, &f, b, len))
				due[j]->at = 0;	/* again at the next tick */
		}
	}
	kfree(b);
	return;
retry:
	for (j = 0; j < n_due; j++)
		due[j]->at = 0;
}

/* Node thread, under n->lock: our report to the leader, when due. */
void raftblk_node_snaprep_tick(struct raftblk_node *n)
{
	struct raftblk_node_srep *s = &n->srep;
	u32 leader = READ_ONCE(n->leader);
	u64 seq, term;

	if (n->tp && n->role == RAFT_LEADER) {
		snaprep_relay(n);
		return;
	}
	if (!n->tp || !leader || leader == n->id)
		return;
	spin_lock(&s->lock);
	seq = s->seq;
	spin_unlock(&s->lock);
	if (seq == s->sent_seq && leader == s->sent_to &&
	    time_before(jiffies, s->sent_at + RAFTBLK_SNAPREP_RESEND_S * HZ))
		return;
	/* not even tried again before the next resend, whatever the outcome */
	s->sent_seq = seq;
	s->sent_to = leader;
	s->sent_at = jiffies;
	if (!(rb_transport_peer_features(n->tp, leader) &
	      RB_WIRE_FEAT_SNAPREP))
		return;		/* a leader of an earlier version */
	raft_get_status(n->raft, &n->st_buf);
	term = n->st_buf.term;
	/* seq 0 is no report: the wire wants a non-zero index */
	if (!term || !snaprep_send_own(n, leader, term, seq + 1))
		s->sent_at = jiffies - RAFTBLK_SNAPREP_RESEND_S * HZ + HZ;
}

/* The slot for node @id's report: its own, a free one or the oldest. */
static struct raftblk_node_srep_peer *snaprep_slot(struct raftblk_node *n,
						   u32 id)
{
	struct raftblk_node_srep_peer *old = NULL, *p;
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		p = &n->srep.peers[i];
		if (p->id == id)
			return p;
		if (!old || !p->id ||
		    (old->id && time_before(p->heard, old->heard)))
			old = p;
	}
	return old;
}

/*
 * The report a SNAPREPORT or SNAPRELAY frame carries, checked: 0 with
 * *out (kmalloc'd, *len bytes), or -EINVAL with *why.
 */
static int snaprep_take(const struct raft_msg *m, u8 **out, u32 *len,
			const char **why)
{
	const struct raft_payload *pl = m->entries[0].payload;
	u32 rows;
	u8 *b;

	*len = m->context;
	if (!pl || pl->len > round_up(RB_WIRE_SNAPREP_MAX_LEN, 512) ||
	    *len > pl->len || *len < RB_WIRE_SNAPREP_HDR_LEN) {
		*why = "its length does not match its payload";
		return -EINVAL;
	}
	b = kmalloc(pl->len, GFP_NOIO);	/* node thread */
	if (!b) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (raftblk_payload_copy_out(pl, 0, b, pl->len)) {
		*why = "its payload cannot be read";
		goto bad;
	}
	if (rb_wire_snaprep_check(b, pl->len, true, why))
		goto bad;
	rows = rb_get_le32(b);
	if (*len != RB_WIRE_SNAPREP_HDR_LEN + rows * RB_WIRE_SNAPREP_ROW_LEN) {
		*why = "its length does not match its rows";
		goto bad;
	}
	if (rb_get_le64(b + 24) > RB_WIRE_SNAPREP_AGE_MAX) {
		*why = "its age is out of range";
		goto bad;
	}
	*out = b;
	return 0;
bad:
	kfree(b);
	return -EINVAL;
}

/* The relay slot for node @id's report: its own or a free one. */
static struct raftblk_node_srep_peer *snaprep_relay_slot(struct raftblk_node *n,
							 u32 id)
{
	struct raftblk_node_srep_peer *free = NULL, *p;
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		p = &n->srep.relay[i];
		if (p->id == id)
			return p;
		if (!free && !p->id)
			free = p;
	}
	return free;
}

bool raftblk_node_snaprep_recv(struct raftblk_node *n, struct raft_msg *m)
{
	struct raftblk_node_srep_peer *p;
	bool relay;
	const char *why = NULL;
	u8 *b = NULL, *old;
	u64 about;
	u32 len;

	if (m->type != RAFT_MSG_SNAPSHOT || !(m->flags & RB_WIRE_MSGF_COPY) ||
	    (m->hint_term != RB_WIRE_COPY_SNAPREPORT &&
	     m->hint_term != RB_WIRE_COPY_SNAPRELAY))
		return false;
	relay = m->hint_term == RB_WIRE_COPY_SNAPRELAY;
	about = relay ? m->hint_index : m->from;
	if (m->from > U32_MAX || m->from == n->id) {
		why = "not from another node";
		goto drop;
	}
	if (!snaprep_member(n, m->from)) {
		why = "its sender is not in the configuration";
		goto drop;
	}
	if (relay && m->from != READ_ONCE(n->leader)) {
		why = "relayed by a node that is not the leader";
		goto drop;
	}
	/* about and its age at the leader are checked by the codec */
	if (relay && !snaprep_member(n, about)) {
		why = "relayed of a node not in the configuration";
		goto drop;
	}
	if (snaprep_take(m, &b, &len, &why))
		goto drop;
	spin_lock(&n->srep.lock);
	p = relay ? snaprep_relay_slot(n, about) : snaprep_slot(n, about);
	if (!p) {
		spin_unlock(&n->srep.lock);
		why = "no room";
		goto drop;
	}
	old = p->buf;
	p->id = about;
	p->buf = b;
	p->len = len;
	p->heard = jiffies;
	p->via = relay ? m->from : 0;
	p->lead_heard_ms = relay ? m->commit : 0;
	if (!relay)
		n->srep.held++;
	spin_unlock(&n->srep.lock);
	kfree(old);
	raft_msg_free(m);
	return true;
drop:
	pr_warn_ratelimited("%s: snapshot %s of node %llu from node %llu dropped: %s\n",
			    n->dev->name, relay ? "relay" : "report",
			    (unsigned long long)about,
			    (unsigned long long)m->from, why);
	kfree(b);
	raft_msg_free(m);
	return true;
}

void raftblk_node_snaprep_read(struct raftblk_node *n,
			       struct raftblk_snaprep_view *v)
{
	u32 leader = READ_ONCE(n->leader);
	bool lead = READ_ONCE(n->role) == RAFT_LEADER;
	struct raftblk_snaprep_node *d;
	struct raftblk_node_srep_peer *p;
	u32 i, age, since;

	memset(v, 0, sizeof(*v));
	d = &v->nodes[v->n++];
	d->id = n->id;
	d->self = true;
	d->len = snaprep_own(n, d->report, &age);
	d->age_ms = age;
	spin_lock(&n->srep.lock);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		/* the leader's: what its followers sent; else the relayed */
		p = lead ? &n->srep.peers[i] : &n->srep.relay[i];
		if (!p->id || p->id == n->id || (!lead && p->via != leader) ||
		    v->n >= ARRAY_SIZE(v->nodes))
			continue;
		since = jiffies_to_msecs(jiffies - p->heard);
		d = &v->nodes[v->n++];
		d->id = p->id;
		d->len = p->len;
		memcpy(d->report, p->buf, p->len);
		d->heard_ms = p->lead_heard_ms + since;
		d->age_ms = rb_get_le64(p->buf + 24) + since;
		if (!lead) {
			d->via = p->via;
			d->relay_ms = since;
		}
	}
	spin_unlock(&n->srep.lock);
}
