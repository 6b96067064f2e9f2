// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: who may open the device for writing - auto-promote.
 *
 * Only the leader takes writes, so only the leader's device opens for
 * writing. With auto-promote (on by default, as DRBD 9's), opening it for
 * writing on a follower asks the leader, with a promote frame (an ASK:
 * wire.h, Documentation/wire-protocol.rst "Promote frames"), to hand
 * leadership over to this node, and waits until this node leads, at most
 * the auto-promote timeout:
 *
 *   - the leader's own device is open for writing (a filesystem mounted
 *     there): it answers REFUSED (in use), the open fails with EROFS, as
 *     a follower's always did;
 *   - the leader cannot hand over now (a transfer or membership change in
 *     progress, this node not caught up, it is no longer the leader): it
 *     answers REFUSED (busy), the open fails with EBUSY; so does an open
 *     that times out;
 *   - otherwise it starts a leader transfer (TimeoutNow, raft.h) to this
 *     node, whose open succeeds once it leads.
 *
 * Without auto-promote, with no leader known, or on a node whose disk
 * failed (a leader's included, while it hands over), the open fails at
 * once with EROFS. A leader handing over otherwise refuses opens for
 * writing (EBUSY): its writer would lose the device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/sched/signal.h>

#include "node_int.h"
#include "wire.h"

static void raftblk_node_promote_msg(struct raftblk_node *n, struct raft_msg *m,
				     u32 to, u64 kind, u64 reason, u64 cookie)
{
	memset(m, 0, sizeof(*m));
	m->type = RAFT_MSG_TIMEOUT_NOW;
	m->flags = RB_WIRE_MSGF_PROMOTE;
	m->from = n->id;
	m->to = to;
	m->hint_term = kind;
	m->hint_index = reason;
	m->context = cookie;
}

/* Has the opener of @cookie its answer? *err: 0 when this node leads. */
static bool raftblk_node_promoted(struct raftblk_node *n, u64 cookie,
				  int *err)
{
	bool done = false;

	if (READ_ONCE(n->role) == RAFT_LEADER &&
	    !READ_ONCE(n->transferring)) {
		*err = 0;
		return true;
	}
	spin_lock(&n->in_lock);
	if (n->promote_cookie == cookie && n->promote_err) {
		*err = n->promote_err;
		done = true;
	}
	spin_unlock(&n->in_lock);
	return done;
}

/*
 * The io_ops' open_write: may the device be opened for writing here?
 * Called under the disk's open_mutex (opens one at a time); may wait
 * for this node to lead, at most the auto-promote timeout.
 */
int raftblk_node_open_write(struct raftblk_node *n)
{
	struct raft_msg m;
	u32 leader;
	u64 cookie;
	long left;
	int err = -EBUSY;

	/*
	 * First: a leader that gave its disk up hands its leadership over
	 * (transferring) and takes no write: EROFS as on any node whose
	 * disk failed, not the EBUSY of a transfer that may still leave
	 * it the leader (vm-disk saw EBUSY here).
	 */
	if (READ_ONCE(n->frozen) ||
	    READ_ONCE(n->disk_state) == RAFTBLK_DISK_STATE_FAILED)
		return -EROFS;
	if (READ_ONCE(n->role) == RAFT_LEADER)
		return READ_ONCE(n->transferring) ? -EBUSY : 0;
	leader = READ_ONCE(n->leader);
	if (!READ_ONCE(n->auto_promote) || !leader || leader == n->id)
		return -EROFS;

	cookie = get_random_u64() | 1;
	spin_lock(&n->in_lock);
	n->promote_cookie = cookie;
	n->promote_err = 0;
	spin_unlock(&n->in_lock);

	raftblk_node_promote_msg(n, &m, leader, RB_WIRE_PROMOTE_ASK, 0, cookie);
	mutex_lock(&n->tp_lock);
	if (n->tp && !rb_transport_send(n->tp, &m))
		err = 0;
	mutex_unlock(&n->tp_lock);
	if (err) {
		pr_info_ratelimited("%s: auto-promote: leader %u unreachable\n",
				    n->dev->name, leader);
		goto out;
	}

	left = wait_event_interruptible_timeout(n->promote_wq,
			raftblk_node_promoted(n, cookie, &err),
			msecs_to_jiffies(READ_ONCE(n->promote_ms)));
	if (left == 0) {
		err = -EBUSY;
		pr_info_ratelimited("%s: auto-promote: node %u does not lead after %u ms\n",
				    n->dev->name, n->id,
				    READ_ONCE(n->promote_ms));
	} else if (left < 0) {
		err = left;		/* a signal: -ERESTARTSYS */
	} else if (err == -EROFS) {
		pr_info_ratelimited("%s: auto-promote: refused, the device is open for writing on leader %u\n",
				    n->dev->name, leader);
	} else if (err) {
		pr_info_ratelimited("%s: auto-promote: leader %u cannot hand over now\n",
				    n->dev->name, leader);
	} else {
		pr_info_ratelimited("%s: auto-promote: node %u leads, opened for writing\n",
				    n->dev->name, n->id);
	}
out:
	spin_lock(&n->in_lock);
	n->promote_cookie = 0;
	spin_unlock(&n->in_lock);
	return err;
}

/* The leader: a follower asks to lead (node thread, under n->lock). */
static void raftblk_node_promote_ask(struct raftblk_node *n,
				     const struct raft_msg *ask)
{
	struct raft_msg m;
	u64 reason = 0;

	if (n->role != RAFT_LEADER || n->handing_over)
		reason = RB_WIRE_PROMOTE_BUSY;
	else if (atomic_read(&n->dev->write_openers))
		reason = RB_WIRE_PROMOTE_IN_USE;
	if (!reason) {
		/* no lease read in queue_rq once TIMEOUT_NOW may go */
		raftblk_node_lease_withdraw(n);
		if (raft_transfer_leader(n->raft, ask->from))
			reason = RB_WIRE_PROMOTE_BUSY;
	}
	if (!reason) {
		WRITE_ONCE(n->transferring, true);
		pr_info_ratelimited("%s: auto-promote: handing leadership over to node %llu, where the device is being opened for writing\n",
				    n->dev->name, (unsigned long long)ask->from);
		return;
	}
	/* n->tp is cleared under n->lock, held here. */
	if (!n->tp)
		return;		/* the asker times out */
	raftblk_node_promote_msg(n, &m, ask->from, RB_WIRE_PROMOTE_REFUSED,
				 reason, ask->context);
	rb_transport_send(n->tp, &m);	/* lost: the asker times out */
}

/* A follower: the leader refused an ask (node thread). */
static void raftblk_node_promote_refused(struct raftblk_node *n,
					 const struct raft_msg *m)
{
	spin_lock(&n->in_lock);
	if (n->promote_cookie && m->context == n->promote_cookie &&
	    !n->promote_err)
		n->promote_err = m->hint_index == RB_WIRE_PROMOTE_IN_USE ?
				 -EROFS : -EBUSY;
	spin_unlock(&n->in_lock);
	wake_up_all(&n->promote_wq);
}

/*
 * Handle @m if it is a promote frame (node thread, under n->lock): they
 * are the node's, never the core's. Consumes it and returns true; false
 * for any other message.
 */
bool raftblk_node_promote_recv(struct raftblk_node *n, struct raft_msg *m)
{
	if (m->type != RAFT_MSG_TIMEOUT_NOW ||
	    !(m->flags & RB_WIRE_MSGF_PROMOTE))
		return false;
	if (m->hint_term == RB_WIRE_PROMOTE_ASK)
		raftblk_node_promote_ask(n, m);
	else
		raftblk_node_promote_refused(n, m);
	raft_msg_free(m);
	return true;
}

/*
 * After each ready batch (node thread, under n->lock): whether this
 * leader is handing over, and the waiting opener woken once it leads.
 */
void raftblk_node_promote_role(struct raftblk_node *n, u8 role,
			       raft_id transferee)
{
	WRITE_ONCE(n->transferring,
		   role == RAFT_LEADER && transferee != RAFT_NONE);
	/* After every batch: the wait queue's lock only for an opener. */
	if (role == RAFT_LEADER && wq_has_sleeper(&n->promote_wq))
		wake_up_all(&n->promote_wq);
}
