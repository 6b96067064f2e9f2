// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: events of the "events" multicast group (events.h).
 *
 * The last published state of each device is kept in dev->events; a
 * report from the node thread or the transport is compared with it and
 * only a difference becomes an event. Every event of a device takes the
 * next number of the device's sequence, under the device's event lock,
 * and is sent under that lock, so listeners get a device's events in
 * order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include "raftblk.h"
#include "node.h"
#include "transport.h"
#include "events.h"

/* Source of device ids; never reused while the module is loaded. */
static atomic64_t raftblk_events_last_id = ATOMIC64_INIT(0);
/*
 * Cleared (under raftblk_devices_lock) at module exit before the family is
 * unregistered: no device is armed afterwards, so nothing is sent.
 */
static bool raftblk_events_enabled = true;

/*
 * Room for the largest event (DEVICE_CREATE: a 255-byte disk path, an
 * IPv6 listen address, a dozen numbers), not a page per event: a slow
 * listener's receive buffer holds more events before it overflows.
 */
#define RAFTBLK_EVENTS_MSG_SIZE	1024

/* What an event says about a peer (bits of @what). */
#define RB_EV_ROLE	0x1
#define RB_EV_CONN	0x2
#define RB_EV_MATCH	0x4
#define RB_EV_ADDR	0x8

static u8 raftblk_events_peer_role(u8 conf_role)
{
	return conf_role == RAFT_LEARNER ? RAFTBLK_PEER_ROLE_LEARNER :
	       RAFTBLK_PEER_ROLE_VOTER;
}

void raftblk_events_init(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;

	mutex_init(&ev->lock);
	ev->id = atomic64_inc_return(&raftblk_events_last_id);
}

/* Does anyone in the device's namespace listen? */
static bool raftblk_events_listened(struct raftblk_dev *dev)
{
	bool ret;

	rcu_read_lock();
	ret = genl_has_listeners(&raftblk_genl_family, READ_ONCE(dev->net),
				 RAFTBLK_MCGRP_EVENTS);
	rcu_read_unlock();
	return ret;
}

/*
 * Number the next event of @dev and start its message, or return NULL
 * (nobody listens, or no memory: the number is used all the same, so a
 * listener sees a gap). Under ev->lock.
 */
static struct sk_buff *raftblk_events_new(struct raftblk_dev *dev, u8 event,
					  void **hdr)
{
	struct raftblk_events *ev = &dev->events;
	struct sk_buff *skb;

	lockdep_assert_held(&ev->lock);
	ev->seq++;
	if (!raftblk_events_listened(dev))
		return NULL;
	skb = genlmsg_new(RAFTBLK_EVENTS_MSG_SIZE, GFP_NOIO);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &raftblk_genl_family, 0,
			   RAFTBLK_CMD_EVENT);
	if (!*hdr)
		goto free;
	if (nla_put_u32(skb, RAFTBLK_ATTR_EVENT, event) ||
	    nla_put_string(skb, RAFTBLK_ATTR_NAME, dev->name) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_DEVICE_ID, ev->id,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_EVENT_SEQ, ev->seq,
			      RAFTBLK_ATTR_PAD))
		goto free;
	return skb;
free:
	nlmsg_free(skb);
	return NULL;
}

/* Send a message built by raftblk_events_new() (consumes @skb). */
static void raftblk_events_send(struct raftblk_dev *dev, struct sk_buff *skb,
				void *hdr)
{
	struct net *net;

	genlmsg_end(skb, hdr);
	/*
	 * The device's namespace may be going away: its pre_exit moves the
	 * device to init_net and the namespace is freed only after an RCU
	 * grace period, so a reference taken here is either valid or fails.
	 */
	rcu_read_lock();
	net = maybe_get_net(READ_ONCE(dev->net));
	rcu_read_unlock();
	if (!net) {
		nlmsg_free(skb);
		return;
	}
	/* -ESRCH (the last listener left) is not an error. */
	genlmsg_multicast_netns(&raftblk_genl_family, net, skb, 0,
				RAFTBLK_MCGRP_EVENTS, GFP_NOIO);
	put_net(net);
}

static int raftblk_events_put_options(struct sk_buff *skb,
				      const struct raftblk_node_status *st)
{
	if (nla_put_u32(skb, RAFTBLK_ATTR_HEARTBEAT_MS, st->heartbeat_ms) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS,
			st->election_ms) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_MAX_BATCH, st->max_batch) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_READ_MODE, st->read_mode))
		return -EMSGSIZE;
	return 0;
}

/* DEVICE_CHANGE with role, term and leader. Under ev->lock. */
static void raftblk_events_send_state(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	struct sk_buff *skb;
	void *hdr;

	skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE, &hdr);
	if (!skb)
		return;
	if (nla_put_u32(skb, RAFTBLK_ATTR_ROLE, ev->role) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_TERM, ev->term,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LEADER_ID, ev->leader)) {
		nlmsg_free(skb);
		return;
	}
	raftblk_events_send(dev, skb, hdr);
}

/*
 * A PEER_* event about @p with the fields in @what (RB_EV_*); @commit is
 * the leader's commit index for RB_EV_MATCH, @addr the address for
 * RB_EV_ADDR. Under ev->lock.
 */
static void raftblk_events_send_peer(struct raftblk_dev *dev, u8 event,
				     const struct raftblk_events_peer *p,
				     unsigned int what, u64 commit,
				     const struct sockaddr_storage *addr)
{
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	skb = raftblk_events_new(dev, event, &hdr);
	if (!skb)
		return;
	if ((what & RB_EV_MATCH) &&
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_COMMIT_INDEX, commit,
			      RAFTBLK_ATTR_PAD))
		goto free;
	nest = nla_nest_start(skb, RAFTBLK_ATTR_PEER);
	if (!nest || nla_put_u32(skb, RAFTBLK_PEER_ATTR_ID, p->id))
		goto free;
	if ((what & RB_EV_ADDR) && addr &&
	    raftblk_nl_put_addr(skb, RAFTBLK_PEER_ATTR_ADDR, addr))
		goto free;
	if ((what & RB_EV_ROLE) &&
	    nla_put_u32(skb, RAFTBLK_PEER_ATTR_ROLE, p->role))
		goto free;
	if ((what & RB_EV_CONN) &&
	    nla_put_u32(skb, RAFTBLK_PEER_ATTR_STATE, p->conn))
		goto free;
	if ((what & RB_EV_MATCH) &&
	    nla_put_u64_64bit(skb, RAFTBLK_PEER_ATTR_MATCH_INDEX, p->match,
			      RAFTBLK_PEER_ATTR_PAD))
		goto free;
	nla_nest_end(skb, nest);
	raftblk_events_send(dev, skb, hdr);
	return;
free:
	nlmsg_free(skb);
}

static struct raftblk_events_peer *
raftblk_events_find_peer(struct raftblk_events *ev, u32 id)
{
	u32 i;

	for (i = 0; i < ev->n_peers; i++)
		if (ev->peers[i].id == id)
			return &ev->peers[i];
	return NULL;
}

static void raftblk_events_drop_peer(struct raftblk_events *ev,
				     struct raftblk_events_peer *p)
{
	*p = ev->peers[--ev->n_peers];
}

/*
 * An entry for peer @id: the existing one, a new one, or one that took
 * the place of a peer outside the configuration (NULL if every slot holds
 * a member, which a configuration of RAFT_MAX_NODES cannot exceed).
 */
static struct raftblk_events_peer *
raftblk_events_get_peer(struct raftblk_events *ev, u32 id)
{
	struct raftblk_events_peer *p = raftblk_events_find_peer(ev, id);
	u32 i;

	if (p)
		return p;
	if (ev->n_peers < RAFTBLK_EVENTS_MAX_PEERS) {
		p = &ev->peers[ev->n_peers++];
	} else {
		for (i = 0; i < ev->n_peers; i++)
			if (!ev->peers[i].member)
				break;
		if (i == ev->n_peers)
			return NULL;
		p = &ev->peers[i];
	}
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->conn = RAFTBLK_PEER_STATE_DISCONNECTED;
	return p;
}

/* Membership: PEER_CREATE, PEER_CHANGE (role), PEER_DESTROY. */
static void raftblk_events_sync_conf(struct raftblk_dev *dev,
				     const struct raft_status *st)
{
	struct raftblk_events *ev = &dev->events;
	struct sockaddr_storage ss;
	u32 i, j;

	for (i = 0; i < st->conf.n; i++) {
		const struct raft_node *cn = &st->conf.nodes[i];
		struct raftblk_events_peer *p;
		u8 role = raftblk_events_peer_role(cn->role);

		if (cn->id == st->id)
			continue;
		p = raftblk_events_find_peer(ev, cn->id);
		if (p && p->member) {
			if (p->role == role)
				continue;
			p->role = role;
			raftblk_events_send_peer(dev,
						 RAFTBLK_EVENT_PEER_CHANGE, p,
						 RB_EV_ROLE, 0, NULL);
			continue;
		}
		p = raftblk_events_get_peer(ev, cn->id);
		if (!p)
			continue;
		p->member = true;
		p->role = role;
		p->match = 0;
		p->match_at = jiffies;
		p->lagging = true;	/* a new member has everything to fetch */
		if (rb_addr_decode(cn->addr, &ss))
			memset(&ss, 0, sizeof(ss));
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_CREATE, p,
					 RB_EV_ROLE | RB_EV_CONN | RB_EV_ADDR,
					 0, &ss);
	}
	for (i = 0; i < ev->n_peers;) {
		struct raftblk_events_peer *p = &ev->peers[i];

		for (j = 0; j < st->conf.n; j++)
			if (st->conf.nodes[j].id == p->id)
				break;
		if (!p->member || j < st->conf.n) {
			i++;
			continue;
		}
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_DESTROY, p,
					 0, 0, NULL);
		raftblk_events_drop_peer(ev, p);
	}
}

/*
 * Catch-up progress (leader): a peer's new match index at most every
 * RAFTBLK_EVENTS_PROGRESS_MS while it lags, at once when it reaches the
 * commit index after a report that it lagged; nothing for a peer that
 * keeps up.
 */
static void raftblk_events_progress(struct raftblk_dev *dev,
				    const struct raft_status *st)
{
	struct raftblk_events *ev = &dev->events;
	unsigned long period = msecs_to_jiffies(RAFTBLK_EVENTS_PROGRESS_MS);
	u32 i;

	for (i = 0; i < st->n_progress; i++) {
		const struct raft_progress_info *pi = &st->progress[i];
		struct raftblk_events_peer *p;
		bool caught_up = pi->match >= st->commit;

		if (pi->id == st->id)
			continue;
		p = raftblk_events_find_peer(ev, pi->id);
		if (!p || !p->member || p->match == pi->match)
			continue;
		if (caught_up ? !p->lagging :
		    time_before(jiffies, p->match_at + period))
			continue;
		p->match = pi->match;
		p->match_at = jiffies;
		p->lagging = !caught_up;
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_CHANGE, p,
					 RB_EV_MATCH, st->commit, NULL);
	}
}

void raftblk_events_node_changed(struct raftblk_dev *dev,
				 const struct raft_status *st)
{
	struct raftblk_events *ev = &dev->events;
	u8 role = raftblk_node_status_role(st);

	mutex_lock(&ev->lock);
	ev->node_gen++;
	if (!ev->armed)
		goto out;
	if (role != ev->role || st->term != ev->term ||
	    st->leader != ev->leader) {
		ev->role = role;
		ev->term = st->term;
		ev->leader = st->leader;
		raftblk_events_send_state(dev);
	}
	raftblk_events_sync_conf(dev, st);
	if (st->role == RAFT_LEADER)
		raftblk_events_progress(dev, st);
out:
	mutex_unlock(&ev->lock);
}

void raftblk_events_peer_conn(struct raftblk_dev *dev, u64 peer_id, bool up)
{
	struct raftblk_events *ev = &dev->events;
	u8 conn = up ? RAFTBLK_PEER_STATE_CONNECTED :
		       RAFTBLK_PEER_STATE_DISCONNECTED;
	struct raftblk_events_peer *p;

	if (!peer_id || peer_id > U32_MAX)
		return;
	mutex_lock(&ev->lock);
	p = raftblk_events_get_peer(ev, peer_id);
	if (p && p->conn != conn) {
		p->conn = conn;
		if (ev->armed && p->member)
			raftblk_events_send_peer(dev,
						 RAFTBLK_EVENT_PEER_CHANGE, p,
						 RB_EV_CONN, 0, NULL);
	}
	mutex_unlock(&ev->lock);
}

/* DEVICE_CREATE with the whole state of the device. Under ev->lock. */
static void raftblk_events_send_create(struct raftblk_dev *dev,
				       const struct raftblk_node_status *st)
{
	struct raftblk_events *ev = &dev->events;
	struct sk_buff *skb;
	void *hdr;

	skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CREATE, &hdr);
	if (!skb)
		return;
	if (nla_put_string(skb, RAFTBLK_ATTR_DISK_PATH, dev->disk_path) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_ROLE, ev->role))
		goto free;
	if (st && (nla_put_u32(skb, RAFTBLK_ATTR_NODE_ID, st->id) ||
		   raftblk_nl_put_addr(skb, RAFTBLK_ATTR_LISTEN,
				       &dev->listen) ||
		   nla_put_u64_64bit(skb, RAFTBLK_ATTR_TERM, ev->term,
				     RAFTBLK_ATTR_PAD) ||
		   nla_put_u32(skb, RAFTBLK_ATTR_LEADER_ID, ev->leader) ||
		   raftblk_events_put_options(skb, st)))
		goto free;
	raftblk_events_send(dev, skb, hdr);
	return;
free:
	nlmsg_free(skb);
}

/*
 * Publish the device: DEVICE_CREATE, then PEER_CREATE for each member.
 * The node's state is read under its lock, which its reports are made
 * under; if a report came in meanwhile (node_gen moved) the state read
 * may be older than it, so it is read again.
 */
void raftblk_events_device_created(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	struct raftblk_node_status *st = NULL;
	u64 gen;
	u32 i, tries;

	lockdep_assert_held(&raftblk_devices_lock);
	if (dev->node) {
		st = kmalloc(sizeof(*st), GFP_KERNEL);
		if (!st) {
			/* Listeners see the first event numbered 2. */
			mutex_lock(&ev->lock);
			ev->seq++;
			ev->armed = raftblk_events_enabled;
			mutex_unlock(&ev->lock);
			return;
		}
		for (tries = 0;; tries++) {
			mutex_lock(&ev->lock);
			gen = ev->node_gen;
			mutex_unlock(&ev->lock);
			raftblk_node_get_status(dev->node, st);
			mutex_lock(&ev->lock);
			if (gen == ev->node_gen || tries == 3)
				break;
			mutex_unlock(&ev->lock);
		}
		ev->role = st->role;
		ev->term = st->term;
		ev->leader = st->leader;
		ev->n_peers = 0;
		for (i = 0; i < st->n_peers; i++) {
			struct raftblk_events_peer *p = &ev->peers[ev->n_peers++];

			p->id = st->peers[i].id;
			p->member = true;
			p->role = raftblk_events_peer_role(st->peers[i].role);
			p->conn = st->peers[i].conn ==
				  RAFTBLK_PEER_STATE_CONNECTED ?
				  RAFTBLK_PEER_STATE_CONNECTED :
				  RAFTBLK_PEER_STATE_DISCONNECTED;
			p->match = st->peers[i].match;
			p->match_at = jiffies;
			p->lagging = p->match < st->commit;
		}
	} else {
		mutex_lock(&ev->lock);
		ev->role = dev->io_ops->role;
	}
	ev->armed = raftblk_events_enabled;
	if (ev->armed) {
		raftblk_events_send_create(dev, st);
		for (i = 0; i < ev->n_peers && st; i++)
			raftblk_events_send_peer(dev,
						 RAFTBLK_EVENT_PEER_CREATE,
						 &ev->peers[i],
						 RB_EV_ROLE | RB_EV_CONN |
						 RB_EV_ADDR, 0,
						 &st->peers[i].addr);
	}
	mutex_unlock(&ev->lock);
	kfree(st);
}

/* After the node stopped: the last event of the device. */
void raftblk_events_device_destroyed(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&raftblk_devices_lock);
	mutex_lock(&ev->lock);
	if (ev->armed) {
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_DESTROY,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr);
	}
	ev->armed = false;
	mutex_unlock(&ev->lock);
	mutex_destroy(&ev->lock);
}

void raftblk_events_options_changed(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	struct raftblk_node_status *st;
	struct sk_buff *skb = NULL;
	void *hdr;

	if (!dev->node)
		return;
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (st)
		raftblk_node_get_status(dev->node, st);
	mutex_lock(&ev->lock);
	if (ev->armed)
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
	if (skb) {
		if (st && !raftblk_events_put_options(skb, st))
			raftblk_events_send(dev, skb, hdr);
		else
			nlmsg_free(skb);
	}
	mutex_unlock(&ev->lock);
	kfree(st);
}

void raftblk_events_position(struct raftblk_dev *dev, u64 *id, u64 *seq)
{
	struct raftblk_events *ev = &dev->events;

	mutex_lock(&ev->lock);
	*id = ev->id;
	*seq = ev->seq;
	mutex_unlock(&ev->lock);
}

void raftblk_events_disable(void)
{
	struct raftblk_dev *dev;

	mutex_lock(&raftblk_devices_lock);
	raftblk_events_enabled = false;
	list_for_each_entry(dev, &raftblk_devices, list) {
		mutex_lock(&dev->events.lock);
		dev->events.armed = false;
		mutex_unlock(&dev->events.lock);
	}
	mutex_unlock(&raftblk_devices_lock);
}
