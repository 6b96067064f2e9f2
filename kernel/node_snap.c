// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's snapshots - snapshot entries proposed, applied in
 * the background, and the data area's device-mapper stack set up at start.
 *
 * A snapshot is a BARRIER entry of the log (its marker: op, COW size,
 * name, the leader's time). The data area stops applying at it
 * (rb_store_apply_begin(), stop_at_zero), so every write before it is
 * applied and none after it; snap_work then flushes the data area and
 * runs the helper (snapshot.c), which takes the dm snapshot of the data
 * area as it is: the same log index on every node. A verify entry
 * (verify.h) stops applying the same way, only until its hashing is
 * started (the writes after it wait for their extents to be hashed,
 * rb_verify_gate()). The node thread goes
 * on ticking and exchanging messages meanwhile (as during a zeroing), and
 * applies the entries after it once the helper returned, whatever its
 * result: a node that cannot take the snapshot (no COW pool, pool full,
 * helper failed) says so in its status and keeps serving the origin.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "node_int.h"
#include "portable.h"

/* A marker into a command; false if it is not a snapshot command. */
static bool raftblk_node_snap_decode(const struct raft_entry *e,
				     struct raftblk_snap_cmd *c)
{
	const struct raft_marker *m = &e->mark;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (e->type == RAFT_ENTRY_BARRIER && m->op == RAFTBLK_VERIFY_OP) {
		c->op = m->op;		/* verify.h: no argument */
		c->index = e->index;
		c->term = e->term;
		return true;
	}
	if (e->type != RAFT_ENTRY_BARRIER ||
	    (m->op != RAFTBLK_SNAP_OP_CREATE && m->op != RAFTBLK_SNAP_OP_DELETE))
		return false;
	c->op = m->op;
	c->cow_size = m->arg;
	memcpy(c->name, m->data + RAFTBLK_SNAP_NAME_OFF,
	       RAFTBLK_SNAPSHOT_NAME_MAXLEN);
	c->name[RAFTBLK_SNAPSHOT_NAME_MAXLEN] = '\0';
	/* a COW device's path follows the name's NUL, within 48 bytes */
	len = strlen(c->name);
	if (c->op == RAFTBLK_SNAP_OP_CREATE &&
	    len + 1 < RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1) {
		memcpy(c->cow_dev, m->data + RAFTBLK_SNAP_NAME_OFF + len + 1,
		       RAFTBLK_SNAPSHOT_NAME_MAXLEN - len);
		c->cow_dev[RAFTBLK_SNAPSHOT_NAME_MAXLEN - len] = '\0';
	}
	c->time = rb_get_le64(m->data + RAFTBLK_SNAP_TIME_OFF);
	c->index = e->index;
	c->term = e->term;
	return true;
}

static u8 raftblk_node_snap_result(const struct raftblk_snap_cmd *c, int ret)
{
	switch (ret) {
	case 0:
		return c->op == RAFTBLK_SNAP_OP_CREATE ?
			RAFTBLK_SNAPSHOT_RESULT_TAKEN :
			RAFTBLK_SNAPSHOT_RESULT_DELETED;
	case RAFTBLK_SNAP_EXIT_NO_SPACE:
		return RAFTBLK_SNAPSHOT_RESULT_NO_SPACE;
	case RAFTBLK_SNAP_EXIT_EXISTS:
		return RAFTBLK_SNAPSHOT_RESULT_EXISTS;
	case RAFTBLK_SNAP_EXIT_NOT_FOUND:
		return RAFTBLK_SNAPSHOT_RESULT_NOT_FOUND;
	case RAFTBLK_SNAP_EXIT_REPLAYED:
		return RAFTBLK_SNAPSHOT_RESULT_REPLAYED;
	default:
		return RAFTBLK_SNAPSHOT_RESULT_FAILED;
	}
}

/*
 * What the core's answer to the proposal of a BARRIER entry @e (snapshot
 * or verify) means for the administrator: 0 with its index and term, or
 * the error and err->msg (@refused: the message for any other refusal).
 */
int raftblk_node_propose_result(int ret, const struct raft_entry *e,
				u64 *index, u64 *term, const char *refused,
				struct raftblk_err *err)
{
	if (ret)
		return raftblk_node_admin_err(ret,
				"a leader transfer is in progress",
				refused, refused, err);
	*index = e->index;
	*term = e->term;
	return 0;
}

static void raftblk_node_snap_work(struct work_struct *work)
{
	struct raftblk_node *n = container_of(work, struct raftblk_node,
					      snap_work);
	const struct raftblk_snap_cmd *c = &n->snap_cmd;
	u8 result;
	int ret;

	if (!c->op) {
		result = RAFTBLK_SNAPSHOT_RESULT_NONE;	/* not ours: a no-op */
	} else if (c->op == RAFTBLK_VERIFY_OP) {
		/* hashing runs on (node_snap_start()): nothing to wait for */
		result = RAFTBLK_SNAPSHOT_RESULT_NONE;
	} else if (!n->snap_data) {
		result = c->op == RAFTBLK_SNAP_OP_CREATE ?
			RAFTBLK_SNAPSHOT_RESULT_NO_COW :
			RAFTBLK_SNAPSHOT_RESULT_NOT_FOUND;
	} else {
		/* What was applied before the entry, durable first. */
		ret = c->op == RAFTBLK_SNAP_OP_CREATE ?
			rb_store_flush_data(n->store) : 0;
		if (ret)
			pr_err("%s: flush before snapshot %s failed: %d\n",
			       n->dev->name, c->name, ret);
		else
			ret = raftblk_snap_run(n->dev, n->snap_pool,
					       rb_store_data_offset(n->store),
					       (u64)rb_store_data_sectors(n->store)
					       << SECTOR_SHIFT, c);
		result = raftblk_node_snap_result(c, ret);
	}
	n->snap_result = result;
	/* Pairs with smp_load_acquire() in raftblk_node_snap_check(). */
	smp_store_release(&n->snap_finished, true);
	WRITE_ONCE(n->zero_kick, true);
	wake_up(&n->wait);
}

/* Carry out BARRIER entry @e in the background (node thread). */
void raftblk_node_snap_start(struct raftblk_node *n,
			     const struct raft_entry *e)
{
	if (!raftblk_node_snap_decode(e, &n->snap_cmd)) {
		n->snap_cmd.index = e->index;
		n->snap_cmd.term = e->term;
	}
	n->snap_cmd.replay = e->index <= n->replay_upto;
	if (n->snap_cmd.op == RAFTBLK_VERIFY_OP) {
		/* the members now expected to answer (not: it hashes nothing) */
		raft_get_status(n->raft, &n->st_buf);
		/*
		 * Everything before the entry is applied: the hashing starts
		 * from there; writes after it wait for their extents only.
		 */
		if (!rb_verify_begin(n->vf, e->index, e->term,
				     &n->st_buf.conf))
			rb_verify_hash(n->vf);
	}
	n->snap_busy = true;
	n->snap_finished = false;
	n->snap_ever = true;
	queue_work(system_long_wq, &n->snap_work);
}

/*
 * Where the batch's committed entries stand against a snapshot entry in
 * the background (committed[0], as for a zeroing): *blocked while the
 * helper runs; *first = 1 once it returned, whatever it made of it.
 */
void raftblk_node_snap_check(struct raftblk_node *n,
			     const struct raft_ready *rd, u32 *first,
			     bool *blocked)
{
	const struct raftblk_snap_cmd *c = &n->snap_cmd;
	struct raftblk_node_snap *l = &n->snap_last;
	const struct raft_entry *e = rd->committed;

	if (!n->snap_busy)
		return;
	/* Pairs with smp_store_release() in raftblk_node_snap_work(). */
	if (!smp_load_acquire(&n->snap_finished)) {
		*blocked = true;
		return;
	}
	n->snap_busy = false;
	if (!rd->n_committed || e->index != c->index || e->term != c->term)
		return;		/* not the entry handed out: again when it comes */
	*first = 1;
	if (!c->op)
		return;
	if (c->op == RAFTBLK_VERIFY_OP)
		return;		/* hashing goes on: rb_verify_hash_done() */
	strscpy(l->name, c->name, sizeof(l->name));
	l->delete = c->op == RAFTBLK_SNAP_OP_DELETE;
	l->index = c->index;
	l->term = c->term;
	l->time = c->time;
	l->result = n->snap_result;
	l->count++;
	raftblk_node_snaprep_changed(n);	/* the leader learns it soon */
	pr_info("%s: snapshot %s %s at index %llu term %llu: %s\n",
		n->dev->name, l->delete ? "delete" : "create", l->name,
		(unsigned long long)l->index, (unsigned long long)l->term,
		raftblk_snapshot_result_name(l->result));
}

/* Stop: the helper run in flight, if any, is over before the store goes. */
void raftblk_node_snap_stop(struct raftblk_node *n)
{
	if (n->snap_ever)
		flush_work(&n->snap_work);
}

/*
 * At start, with the store open: with a COW pool configured, the data
 * area goes behind device-mapper (the helper's attach).
 */
int raftblk_node_snap_attach(struct raftblk_node *n,
			     const struct raftblk_node_params *p,
			     struct raftblk_err *err)
{
	int ret;

	INIT_WORK(&n->snap_work, raftblk_node_snap_work);
	if (!p->snap_pool[0])
		return 0;
	if (p->snap_pool[0] != '/') {
		err->attr = RAFTBLK_ATTR_SNAPSHOT_POOL;
		err->msg = "snapshot pool path must be absolute";
		return -EINVAL;
	}
	strscpy(n->snap_pool, p->snap_pool, sizeof(n->snap_pool));
	ret = raftblk_snap_attach(n->dev, n->snap_pool,
				  rb_store_data_offset(n->store),
				  (u64)rb_store_data_sectors(n->store) <<
				  SECTOR_SHIFT, &n->snap_data, err);
	if (ret)
		return ret;
	rb_store_set_data_bdev(n->store, n->snap_data);
	strscpy(n->pub.snap_pool, n->snap_pool, sizeof(n->pub.snap_pool));
	return 0;
}

/* At stop, once the store is closed. */
void raftblk_node_snap_detach(struct raftblk_node *n)
{
	if (!n->snap_data)
		return;
	raftblk_snap_detach(n->dev, n->snap_pool, n->snap_data);
	n->snap_data = NULL;
}

int raftblk_node_snapshot(struct raftblk_node *n, u8 op, const char *name,
			  u64 cow_size, const char *cow_dev, u64 *index,
			  u64 *term, struct raftblk_err *err)
{
	struct raft_entry e = { .type = RAFT_ENTRY_BARRIER };
	size_t len = strlen(name);
	int ret;

	e.mark.op = op;
	e.mark.arg = cow_size;
	strncpy((char *)e.mark.data + RAFTBLK_SNAP_NAME_OFF, name,
		RAFTBLK_SNAPSHOT_NAME_MAXLEN);
	/* checked by the caller: name, NUL, path, NUL fit in 48 bytes */
	if (cow_dev[0])
		memcpy(e.mark.data + RAFTBLK_SNAP_NAME_OFF + len + 1, cow_dev,
		       strlen(cow_dev));
	rb_put_le64(e.mark.data + RAFTBLK_SNAP_TIME_OFF,
		    ktime_get_real_seconds());
	mutex_lock(&n->lock);
	ret = n->frozen ? RAFT_ENOTLEADER : raft_propose(n->raft, 1, &e);
	mutex_unlock(&n->lock);
	raftblk_node_kick(n);
	return raftblk_node_propose_result(ret, &e, index, term,
					   "snapshot entry refused", err);
}
