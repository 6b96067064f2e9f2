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
 * of each node with when it came; SNAPSHOT_NODES hands them out and
 * raftctl's list makes the per-node table of them.
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

/* A follower sends its report again this often, changed or not. */
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
	}
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

/* Send our report to @leader: true when the transport took it. */
static bool snaprep_send(struct raftblk_node *n, u32 leader, u64 term,
			 u64 seq)
{
	struct raft_msg m = {};
	struct raft_entry e = {};
	struct raft_payload *p;
	u32 len, plen, age;
	u8 *b;
	int ret;

	/* the node thread: no I/O to our own device to free memory */
	b = kzalloc(round_up(RB_WIRE_SNAPREP_MAX_LEN, 512), GFP_NOIO);
	if (!b)
		return false;
	len = snaprep_own(n, b, &age);
	plen = round_up(len, 512);
	p = raftblk_payload_alloc(plen);
	if (!p) {
		kfree(b);
		return false;
	}
	p->sector = 0;
	ret = raftblk_payload_copy_in(p, 0, b, plen);
	kfree(b);
	if (ret) {
		raftblk_payload_put(p);
		return false;
	}
	raftblk_payload_crc(p);
	m.type = RAFT_MSG_SNAPSHOT;
	m.flags = RB_WIRE_MSGF_COPY;
	m.from = n->id;
	m.to = leader;
	m.term = term;
	m.hint_term = RB_WIRE_COPY_SNAPREPORT;
	m.context = len;
	m.snap.index = seq;
	m.snap.term = term;
	e.index = 1;
	e.term = term;
	e.type = RAFT_ENTRY_NORMAL;
	e.payload = p;
	m.n_entries = 1;
	m.entries = &e;
	ret = rb_transport_send(n->tp, &m);
	raftblk_payload_put(p);
	return !ret;
}

/* Node thread, under n->lock: our report to the leader, when due. */
void raftblk_node_snaprep_tick(struct raftblk_node *n)
{
	struct raftblk_node_srep *s = &n->srep;
	u32 leader = READ_ONCE(n->leader);
	u64 seq, term;

	if (!n->tp || n->role == RAFT_LEADER || !leader || leader == n->id)
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
	if (!term || !snaprep_send(n, leader, term, seq + 1))
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

bool raftblk_node_snaprep_recv(struct raftblk_node *n, struct raft_msg *m)
{
	struct raftblk_node_srep_peer *p;
	const struct raft_payload *pl;
	const char *why = NULL;
	u8 *b = NULL, *old;
	u32 len, rows;

	if (m->type != RAFT_MSG_SNAPSHOT || !(m->flags & RB_WIRE_MSGF_COPY) ||
	    m->hint_term != RB_WIRE_COPY_SNAPREPORT)
		return false;
	pl = m->entries[0].payload;
	len = m->context;
	if (!pl || m->from > U32_MAX || m->from == n->id) {
		why = "not from another node";
		goto drop;
	}
	if (pl->len > round_up(RB_WIRE_SNAPREP_MAX_LEN, 512) ||
	    len > pl->len || len < RB_WIRE_SNAPREP_HDR_LEN) {
		why = "its length does not match its payload";
		goto drop;
	}
	b = kmalloc(pl->len, GFP_NOIO);	/* node thread */
	if (!b) {
		why = "out of memory";
		goto drop;
	}
	if (raftblk_payload_copy_out(pl, 0, b, pl->len)) {
		why = "its payload cannot be read";
		goto drop;
	}
	if (rb_wire_snaprep_check(b, pl->len, true, &why))
		goto drop;
	rows = rb_get_le32(b);
	if (len != RB_WIRE_SNAPREP_HDR_LEN + rows * RB_WIRE_SNAPREP_ROW_LEN) {
		why = "its length does not match its rows";
		goto drop;
	}
	spin_lock(&n->srep.lock);
	p = snaprep_slot(n, m->from);
	old = p->buf;
	p->id = m->from;
	p->buf = b;
	p->len = len;
	p->heard = jiffies;
	spin_unlock(&n->srep.lock);
	kfree(old);
	raft_msg_free(m);
	return true;
drop:
	pr_warn_ratelimited("%s: snapshot report of node %llu dropped: %s\n",
			    n->dev->name, (unsigned long long)m->from, why);
	kfree(b);
	raft_msg_free(m);
	return true;
}

void raftblk_node_snaprep_read(struct raftblk_node *n,
			       struct raftblk_snaprep_view *v)
{
	struct raftblk_snaprep_node *d;
	struct raftblk_node_srep_peer *p;
	u32 i, age;

	memset(v, 0, sizeof(*v));
	d = &v->nodes[v->n++];
	d->id = n->id;
	d->self = true;
	d->len = snaprep_own(n, d->report, &age);
	d->age_ms = age;
	spin_lock(&n->srep.lock);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		p = &n->srep.peers[i];
		if (!p->id || p->id == n->id ||
		    v->n >= ARRAY_SIZE(v->nodes))
			continue;
		d = &v->nodes[v->n++];
		d->id = p->id;
		d->len = p->len;
		memcpy(d->report, p->buf, p->len);
		d->heard_ms = jiffies_to_msecs(jiffies - p->heard);
		d->age_ms = rb_get_le64(p->buf + 24) + d->heard_ms;
	}
	spin_unlock(&n->srep.lock);
}
