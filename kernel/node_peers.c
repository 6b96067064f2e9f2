// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's peers - its side of the transport.
 *
 * The transport's callbacks (a received message queued for the node
 * thread, a peer's connection going up or down, a blank node adopting
 * its cluster's id), keeping the transport's peer list equal to the
 * configuration, promoting learners that caught up, and dropping the
 * transport when its network namespace goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "node_int.h"

/*
 * A received message, queued for the node thread. Its charge stays on
 * the transport's receive budget until the thread has stepped it
 * (raftblk_node_step_msgs()): while the thread waits on its disk the
 * queue grows only up to that budget, then the transport stops reading
 * (TCP back-pressure) until the thread catches up.
 */
static int raftblk_node_deliver(void *ctx, struct raft_msg *m, size_t charge)
{
	struct raftblk_node *n = ctx;
	struct raftblk_node_msg *nm;

	/* Pairs with smp_store_release() in raftblk_node_start(). */
	if (!smp_load_acquire(&n->started)) {
		raft_msg_free(m);	/* Raft tolerates a lost message */
		return -EAGAIN;
	}
	nm = kmalloc(sizeof(*nm), GFP_NOIO);
	if (!nm) {
		raft_msg_free(m);	/* Raft tolerates a lost message */
		return -ENOMEM;
	}
	nm->m = *m;
	nm->charge = charge;
	spin_lock(&n->in_lock);
	if (n->stopping) {
		spin_unlock(&n->in_lock);
		raft_msg_free(&nm->m);
		kfree(nm);
		return -ESHUTDOWN;
	}
	list_add_tail(&nm->list, &n->in_msgs);
	spin_unlock(&n->in_lock);
	raftblk_node_kick(n);
	return 0;
}

static void raftblk_node_peer_state(void *ctx, u64 peer_id, bool up)
{
	struct raftblk_node *n = ctx;
	u32 i;

	/* Anyone reaching the port can make this happen: rate-limited. */
	pr_info_ratelimited("%s: peer %llu %s\n", n->dev->name,
			    (unsigned long long)peer_id,
			    up ? "connected" : "disconnected");
	if (peer_id && peer_id <= U32_MAX)
		raftblk_node_publish_conn(n, peer_id, up);
	if (up)
		return;
	/* Tell the core on the node thread (never take n->lock here). */
	spin_lock(&n->in_lock);
	for (i = 0; i < n->n_unreachable; i++)
		if (n->unreachable[i] == peer_id)
			break;
	if (i == n->n_unreachable && i < RAFT_MAX_NODES)
		n->unreachable[n->n_unreachable++] = peer_id;
	spin_unlock(&n->in_lock);
	raftblk_node_kick(n);
}

static void raftblk_node_peer_silent(void *ctx, u64 peer_id, bool silent,
				     u32 heard_ms)
{
	struct raftblk_node *n = ctx;

	if (silent)
		pr_info_ratelimited("%s: peer %llu unreachable: nothing heard for %u ms\n",
				    n->dev->name, (unsigned long long)peer_id,
				    heard_ms);
	else
		pr_info_ratelimited("%s: peer %llu heard again\n",
				    n->dev->name, (unsigned long long)peer_id);
	if (peer_id && peer_id <= U32_MAX)
		raftblk_node_publish_silent(n, peer_id, silent, heard_ms);
}

/* A blank node heard from its cluster for the first time: remember it. */
static int raftblk_node_adopt_cluster(void *ctx,
				      const u8 cluster[RB_WIRE_UUID_LEN])
{
	struct raftblk_node *n = ctx;
	int ret;

	/*
	 * Not started (maybe not formatted yet): refuse, the peer connects
	 * again later. Pairs with smp_store_release() in node start.
	 */
	if (!smp_load_acquire(&n->started))
		return -EAGAIN;
	ret = rb_store_set_uuid(n->store, cluster);
	if (ret)
		pr_err_ratelimited("%s: cannot record the cluster id: %d\n",
				   n->dev->name, ret);
	else
		pr_info_ratelimited("%s: joined cluster %pU\n", n->dev->name,
				    cluster);
	return ret;
}

const struct rb_transport_ops raftblk_node_tp_ops = {
	.deliver = raftblk_node_deliver,
	.peer_state = raftblk_node_peer_state,
	.peer_silent = raftblk_node_peer_silent,
	.adopt_cluster = raftblk_node_adopt_cluster,
};

/*
 * Keep the transport's peer list equal to the configuration. A member at
 * this node's own listen address is not dialed: it is a node this one
 * replaces at the same address (a new node installing a copy whose
 * configuration still names the dead one, until it replays its
 * removal); dialing it reaches this node itself.
 */
void raftblk_node_sync_peers(struct raftblk_node *n, const struct raft_conf *c)
{
	u32 i, j, keep = 0;
	u32 now[RAFT_MAX_NODES];
	u8 self[RAFT_ADDR_LEN];
	bool has_self;

	if (!n->tp)
		return;
	has_self = !rb_addr_encode(&n->pub.listen, self);

	for (i = 0; i < c->n; i++) {
		struct sockaddr_storage ss;

		if (c->nodes[i].id == n->id ||
		    (has_self && !memcmp(c->nodes[i].addr, self, sizeof(self))))
			continue;
		if (rb_addr_decode(c->nodes[i].addr, &ss))
			continue;
		if (rb_transport_set_peer(n->tp, c->nodes[i].id, &ss))
			continue;
		now[keep++] = c->nodes[i].id;
	}
	for (i = 0; i < n->n_tp_peers; i++) {
		for (j = 0; j < keep; j++)
			if (now[j] == n->tp_peers[i])
				break;
		if (j == keep)
			rb_transport_remove_peer(n->tp, n->tp_peers[i]);
	}
	memcpy(n->tp_peers, now, sizeof(now[0]) * keep);
	n->n_tp_peers = keep;
	raftblk_node_snaprep_prune(n);
}

bool raftblk_node_conf_has(const struct raft_conf *c, u32 id, u8 role)
{
	u32 i;

	for (i = 0; i < c->n; i++)
		if (c->nodes[i].id == id)
			return !role || c->nodes[i].role == role;
	return false;
}

/* Promote learners that have caught up (leader only). */
void raftblk_node_promote_learners(struct raftblk_node *n)
{
	struct raft_conf_change cc = {};
	struct raft_status *st = &n->st_buf;
	u32 i;

	if (n->role != RAFT_LEADER)
		return;
	raft_get_status(n->raft, st);
	for (i = 0; i < st->n_progress; i++) {
		const struct raft_progress_info *pi = &st->progress[i];

		if (pi->role != RAFT_LEARNER || pi->match < st->commit)
			continue;
		cc.op = RAFT_CONF_PROMOTE;
		cc.id = pi->id;
		/* a new quorum: published again after the next ready */
		raftblk_node_lease_withdraw(n);
		if (!raft_change_conf(n->raft, &cc))
			pr_info_ratelimited("%s: node %llu caught up: promoting it to voter\n",
					    n->dev->name,
					    (unsigned long long)pi->id);
		break;	/* one change at a time */
	}
}

/*
 * The namespace the sockets live in is going away: close them all. The
 * node goes on without a network (it cannot be elected or replicate)
 * until it is destroyed.
 */
void raftblk_node_net_exit(struct raftblk_dev *dev)
{
	struct raftblk_node *n = dev->node;
	struct rb_transport *tp;

	mutex_lock(&n->lock);
	mutex_lock(&n->tp_lock);
	tp = n->tp;
	WRITE_ONCE(n->tp, NULL);
	rb_resync_set_transport(n->rs, NULL);
	rb_verify_set_transport(n->vf, NULL);
	mutex_unlock(&n->tp_lock);
	mutex_unlock(&n->lock);
	if (tp) {
		synchronize_rcu();	/* node_tag_payload() is out of tp */
		rb_transport_destroy(tp);
	}
}
