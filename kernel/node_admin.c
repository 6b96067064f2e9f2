// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's administration - operations from netlink.
 *
 * Membership changes (a peer added as a learner, a peer removed), leader
 * transfer and options changed online. Process context; each takes the
 * node's lock around its call into the core and wakes the node thread.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "node_int.h"

/*
 * The errno and message netlink reports for an administrative call into
 * the core (a membership change, a leader transfer, a BARRIER entry's
 * proposal). The core's errors are negative errnos already (raft/raft.h)
 * and go back as they are, but for a full proposal queue (-EAGAIN: try
 * again); a code the operation does not name (a leader that removed
 * itself: RAFT_ESHUTDOWN) is a refusal, -EINVAL. busy: the message for
 * RAFT_EBUSY; invalid: the one for RAFT_EINVAL; refused: the one for a
 * refusal.
 */
int raftblk_node_admin_err(int ret, const char *busy, const char *invalid,
			   const char *refused, struct raftblk_err *err)
{
	switch (ret) {
	case 0:
		return 0;
	case RAFT_ENOTLEADER:
		err->msg = "this node is not the leader";
		return ret;
	case RAFT_EBUSY:
		err->msg = busy;
		return ret;
	case RAFT_ETOOBIG:
		err->msg = "too many writes wait for their commit: try again";
		return -EAGAIN;
	case RAFT_ENOMEM:
		err->msg = "out of memory";
		return ret;
	case RAFT_EINVAL:
		err->msg = invalid;
		return ret;
	default:
		err->msg = refused;
		return -EINVAL;
	}
}

/* The message for RAFT_EBUSY from a membership change or a transfer. */
static const char raftblk_node_conf_busy[] =
	"a membership change or leader transfer is in progress";

static int raftblk_node_conf_change(struct raftblk_node *n, struct raft_conf_change *cc,
			       struct raftblk_err *err)
{
	int ret;

	mutex_lock(&n->lock);
	/* the thread publishes it again, for the new configuration */
	raftblk_node_lease_withdraw(n);
	ret = n->frozen ? RAFT_ENOTLEADER : raft_change_conf(n->raft, cc);
	mutex_unlock(&n->lock);
	raftblk_node_kick(n);
	return raftblk_node_admin_err(ret, raftblk_node_conf_busy,
				      "invalid membership change",
				      "membership change refused", err);
}

/*
 * Add a peer: as a learner first; the node thread promotes it to voter
 * once it has caught up (see raftblk_node_promote_learners()).
 */
int raftblk_node_peer_add(struct raftblk_node *n, u32 id,
		     const struct sockaddr_storage *addr,
		     struct raftblk_err *err)
{
	struct raft_conf_change cc = {};

	if (id == 0) {
		err->msg = "node id must not be 0";
		return -EINVAL;
	}
	cc.op = RAFT_CONF_ADD_LEARNER;
	cc.id = id;
	if (rb_addr_encode(addr, cc.addr)) {
		err->msg = "bad peer address";
		return -EINVAL;
	}
	return raftblk_node_conf_change(n, &cc, err);
}

int raftblk_node_peer_remove(struct raftblk_node *n, u32 id, struct raftblk_err *err)
{
	struct raft_conf_change cc = {};

	cc.op = RAFT_CONF_REMOVE;
	cc.id = id;
	return raftblk_node_conf_change(n, &cc, err);
}

int raftblk_node_transfer_leader(struct raftblk_node *n, u32 id,
			    struct raftblk_err *err)
{
	int ret;

	mutex_lock(&n->lock);
	/* the core answers none for the rest of the term once it is sent */
	raftblk_node_lease_withdraw(n);
	ret = n->frozen ? RAFT_ENOTLEADER : raft_transfer_leader(n->raft, id);
	/* No open for writing from now on (node_promote.c). */
	if (!ret)
		WRITE_ONCE(n->transferring, true);
	mutex_unlock(&n->lock);
	raftblk_node_kick(n);
	return raftblk_node_admin_err(ret, raftblk_node_conf_busy,
				      "leader transfer refused",
				      "leader transfer refused", err);
}

/* Install the next secret, then promote or retire (node.h). */
static int raftblk_node_set_secret(struct raftblk_node *n,
				   const struct raftblk_node_opts *o,
				   struct raftblk_err *err)
{
	int ret = 0;

	mutex_lock(&n->tp_lock);
	if (!n->tp) {
		ret = -ENODEV;
		err->msg = "the node's transport is gone";
		goto out;
	}
	if (o->secret) {
		ret = rb_transport_set_secret(n->tp, RB_SECRET_NEXT, o->secret,
					      o->secret_len);
		if (ret) {
			err->attr = RAFTBLK_ATTR_SECRET;
			err->msg = "the secret must be 16 to 128 bytes";
			goto out;
		}
	}
	if (o->secret_op == RAFTBLK_SECRET_OP_NEXT_NONE) {
		ret = rb_transport_set_secret(n->tp, RB_SECRET_NEXT_NONE, NULL,
					      0);
		if (ret)
			err->msg = "authentication is already off: no secret to switch off";
	} else if (o->secret_op == RAFTBLK_SECRET_OP_PROMOTE) {
		ret = rb_transport_set_secret(n->tp, RB_SECRET_PROMOTE, NULL, 0);
		if (ret)
			err->msg = "no next secret to promote: install one first";
	} else if (o->secret_op == RAFTBLK_SECRET_OP_RETIRE) {
		ret = rb_transport_set_secret(n->tp, RB_SECRET_RETIRE, NULL, 0);
		if (ret)
			err->msg = "no second secret to retire";
	}
out:
	mutex_unlock(&n->tp_lock);
	return ret;
}

/*
 * Options changed online (DEVICE_SET): @o over the current ones, or over
 * the defaults (@o->defaults).
 */
int raftblk_node_set_options(struct raftblk_node *n,
			     const struct raftblk_node_opts *o,
			     struct raftblk_err *err, bool *changed)
{
	bool el_given = o->election_ms, lease;
	struct raftblk_node_opts d;
	u32 hb_ms, el_ms, hb, el;
	u64 rate;
	int ret;

	*changed = false;
	if (o->secret || o->secret_op) {
		ret = raftblk_node_set_secret(n, o, err);
		if (ret)
			return ret;
		*changed = true;
	}

	/* What @o does not give: the current option, or its default. */
	if (o->defaults) {
		d = *o;
		d.heartbeat_ms = o->heartbeat_ms ?:
				 RAFTBLK_NODE_HEARTBEAT_MS_DEFAULT;
		d.election_ms = o->election_ms ?:
				RAFTBLK_NODE_ELECTION_MS_DEFAULT;
		d.max_batch = o->max_batch ?: RAFTBLK_NODE_MAX_BATCH;
		if (!o->set_read_mode)
			d.read_mode = RAFTBLK_NODE_READ_MODE_DEFAULT;
		d.set_read_mode = true;
		if (!o->set_resync_rate)
			d.resync_rate = RAFTBLK_NODE_RESYNC_RATE_DEFAULT;
		d.set_resync_rate = true;
		d.log_memory = o->log_memory ?:
			       raftblk_node_log_memory_default();
		if (!o->set_auto_promote)
			d.auto_promote = RAFTBLK_NODE_AUTO_PROMOTE_DEFAULT;
		d.set_auto_promote = true;
		d.auto_promote_ms = o->auto_promote_ms ?:
				    RAFTBLK_NODE_PROMOTE_MS_DEFAULT;
		o = &d;
	}

	mutex_lock(&n->lock);
	hb_ms = o->heartbeat_ms ?: n->heartbeat_ms;
	el_ms = o->election_ms ?: n->election_ms;
	lease = o->set_read_mode ? o->read_mode == RAFTBLK_READ_MODE_LEASE :
		n->lease_read;
	if (el_ms < 3 * hb_ms) {
		if (el_given) {
			err->attr = RAFTBLK_ATTR_ELECTION_TIMEOUT_MS;
			err->msg = "election timeout must be at least 3 heartbeats";
		} else {
			err->attr = RAFTBLK_ATTR_HEARTBEAT_MS;
			err->msg = "heartbeat must be at most a third of the election timeout";
		}
		mutex_unlock(&n->lock);
		return -EINVAL;
	}
	hb = max(1U, hb_ms / n->tick_ms);
	el = max(hb * 3, el_ms / n->tick_ms);
	rate = rb_resync_rate(n->rs);
	if (hb_ms != n->heartbeat_ms || el_ms != n->election_ms ||
	    lease != n->lease_read ||
	    (o->max_batch && o->max_batch != n->max_batch) ||
	    (o->log_memory && o->log_memory != READ_ONCE(n->log_memory)) ||
	    (o->set_resync_rate && o->resync_rate != rate) ||
	    (o->set_auto_promote &&
	     o->auto_promote != READ_ONCE(n->auto_promote)) ||
	    (o->auto_promote_ms &&
	     o->auto_promote_ms != READ_ONCE(n->promote_ms)))
		*changed = true;
	/* A new read mode or timeout: what the core answers from now on. */
	raftblk_node_lease_withdraw(n);
	ret = raft_set_timing(n->raft, hb, el, lease);
	raftblk_node_lease_publish(n);
	if (!ret) {
		n->heartbeat_ms = hb_ms;
		n->election_ms = el_ms;
		if (o->max_batch)
			n->max_batch = o->max_batch;
		if (o->log_memory)
			WRITE_ONCE(n->log_memory, o->log_memory);
		n->lease_read = lease;
		if (o->set_resync_rate)
			rb_resync_set_rate(n->rs, o->resync_rate);
		if (o->set_auto_promote)
			WRITE_ONCE(n->auto_promote, o->auto_promote);
		if (o->auto_promote_ms)
			WRITE_ONCE(n->promote_ms, o->auto_promote_ms);
		raftblk_node_publish_options(n);
	}
	mutex_unlock(&n->lock);
	if (ret) {
		err->attr = 0;
		err->msg = "the Raft core refused the timers";
		return -EINVAL;
	}
	return 0;
}
