// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: events of the "events" multicast group (events.h).
 *
 * The last published state of each device is kept in dev->events; each
 * status snapshot the node reports is compared with it and only a
 * difference becomes an event. Every event of a device takes the next
 * number of the device's sequence, under the device's event lock, and is
 * sent under that lock, so listeners get a device's events in order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include "raftblk.h"
#include "node.h"
#include "nl_attrs.h"
#include "events.h"

/* Source of device ids; never reused while the module is loaded. */
static atomic64_t raftblk_events_last_id = ATOMIC64_INIT(0);
/*
 * raftblk_events_rwsem protects raftblk_events_enabled: a sender holds
 * it for reading across its check and its send, so once module exit
 * cleared the flag (for writing) nothing is sent on the family.
 */
static DECLARE_RWSEM(raftblk_events_rwsem);
static bool raftblk_events_enabled = true;

/*
 * Room for the largest event (DEVICE_CREATE: a 255-byte disk path, an
 * IPv6 listen address, a dozen numbers), not a page per event: a slow
 * listener's receive buffer holds more events before it overflows.
 */
#define RAFTBLK_EVENTS_MSG_SIZE	1024

void raftblk_events_init(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;

	mutex_init(&ev->lock);
	ev->id = atomic64_inc_return(&raftblk_events_last_id);
	ev->st.role = RAFTBLK_ROLE_STANDALONE;
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
	if (!*hdr ||
	    raftblk_nl_put_event_head(skb, event, dev->name, ev->id, ev->seq)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/*
 * Send a message built by raftblk_events_new() (consumes @skb); @ret is
 * what filling it returned (non-zero: dropped).
 */
static void raftblk_events_send(struct raftblk_dev *dev, struct sk_buff *skb,
				void *hdr, int ret)
{
	struct net *net;

	if (ret)
		goto free;
	genlmsg_end(skb, hdr);
	down_read(&raftblk_events_rwsem);
	if (!raftblk_events_enabled) {
		up_read(&raftblk_events_rwsem);
		goto free;
	}
	/*
	 * The device's namespace may be going away: its pre_exit moves the
	 * device to init_net and the namespace is freed only after an RCU
	 * grace period, so a reference taken here is either valid or fails.
	 */
	rcu_read_lock();
	net = maybe_get_net(READ_ONCE(dev->net));
	rcu_read_unlock();
	if (net) {
		/* -ESRCH (the last listener left) is not an error. */
		genlmsg_multicast_netns(&raftblk_genl_family, net, skb, 0,
					RAFTBLK_MCGRP_EVENTS, GFP_NOIO);
		put_net(net);
	} else {
		nlmsg_free(skb);
	}
	up_read(&raftblk_events_rwsem);
	return;
free:
	nlmsg_free(skb);
}

/* DEVICE_CHANGE with role, term and leader. Under ev->lock. */
static void raftblk_events_send_state(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	struct sk_buff *skb;
	void *hdr;

	skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE, &hdr);
	if (skb)
		raftblk_events_send(dev, skb, hdr,
				    raftblk_nl_put_device_state(skb, ev->role,
								ev->term,
								ev->leader));
}

/*
 * A PEER_* event about @p with the fields in @what (RAFTBLK_NL_PEER_*);
 * @commit is the leader's commit index for a match index. Under ev->lock.
 */
static void raftblk_events_send_peer(struct raftblk_dev *dev, u8 event,
				     const struct raftblk_events_peer *p,
				     unsigned int what, u64 commit)
{
	struct sk_buff *skb;
	void *hdr;

	skb = raftblk_events_new(dev, event, &hdr);
	if (skb)
		raftblk_events_send(dev, skb, hdr,
				    raftblk_nl_put_peer_event(skb, &p->p, what,
							      commit));
}

static struct raftblk_events_peer *
raftblk_events_find_peer(struct raftblk_events *ev, u32 id)
{
	u32 i;

	for (i = 0; i < ev->n_peers; i++)
		if (ev->peers[i].p.id == id)
			return &ev->peers[i];
	return NULL;
}

static bool raftblk_events_st_has(const struct raftblk_node_status *st,
				  u32 id)
{
	u32 i;

	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == id)
			return true;
	return false;
}

/*
 * Membership and connections: PEER_CREATE for a new member, PEER_CHANGE
 * of its role or its connection, PEER_DESTROY for one gone.
 */
static void raftblk_events_sync_peers(struct raftblk_dev *dev,
				      const struct raftblk_node_status *st)
{
	struct raftblk_events *ev = &dev->events;
	u32 i;

	for (i = 0; i < st->n_peers; i++) {
		const struct raftblk_node_peer *np = &st->peers[i];
		struct raftblk_events_peer *p;

		p = raftblk_events_find_peer(ev, np->id);
		if (p) {
			if (p->p.role != np->role) {
				p->p.role = np->role;
				raftblk_events_send_peer(dev,
					RAFTBLK_EVENT_PEER_CHANGE, p,
					RAFTBLK_NL_PEER_ROLE, 0);
			}
			if (p->p.conn != np->conn) {
				p->p.conn = np->conn;
				p->p.heard = np->heard;
				p->p.heard_ms = np->heard_ms;
				raftblk_events_send_peer(dev,
					RAFTBLK_EVENT_PEER_CHANGE, p,
					RAFTBLK_NL_PEER_STATE, 0);
			}
			continue;
		}
		if (ev->n_peers == ARRAY_SIZE(ev->peers))
			continue;
		p = &ev->peers[ev->n_peers++];
		p->p = *np;
		p->p.match = 0;
		p->match_at = jiffies;
		p->lagging = true;	/* a new member has everything to fetch */
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_CREATE, p,
					 RAFTBLK_NL_PEER_ROLE |
					 RAFTBLK_NL_PEER_STATE |
					 RAFTBLK_NL_PEER_ADDR, 0);
	}
	for (i = 0; i < ev->n_peers;) {
		struct raftblk_events_peer *p = &ev->peers[i];

		if (raftblk_events_st_has(st, p->p.id)) {
			i++;
			continue;
		}
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_DESTROY, p,
					 0, 0);
		*p = ev->peers[--ev->n_peers];
	}
}

/*
 * Catch-up progress (leader): a peer's new match index at most every
 * RAFTBLK_EVENTS_PROGRESS_MS while it lags, at once when it reaches the
 * commit index after a report that it lagged; nothing for a peer that
 * keeps up.
 */
static void raftblk_events_progress(struct raftblk_dev *dev,
				    const struct raftblk_node_status *st)
{
	struct raftblk_events *ev = &dev->events;
	unsigned long period = msecs_to_jiffies(RAFTBLK_EVENTS_PROGRESS_MS);
	u32 i;

	for (i = 0; i < st->n_peers; i++) {
		const struct raftblk_node_peer *np = &st->peers[i];
		struct raftblk_events_peer *p;
		bool caught_up = np->match >= st->commit;

		p = raftblk_events_find_peer(ev, np->id);
		if (!p || p->p.match == np->match)
			continue;
		if (caught_up ? !p->lagging :
		    time_before(jiffies, p->match_at + period))
			continue;
		p->p.match = np->match;
		p->match_at = jiffies;
		p->lagging = !caught_up;
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_CHANGE, p,
					 RAFTBLK_NL_PEER_MATCH, st->commit);
	}
}

static struct raftblk_events_resync *
raftblk_events_find_resync(struct raftblk_events *ev,
			   const struct rb_resync_info *r)
{
	u32 i;

	for (i = 0; i < ev->n_resync; i++)
		if (ev->resync[i].r.peer == r->peer &&
		    ev->resync[i].r.sending == r->sending)
			return &ev->resync[i];
	return NULL;
}

/*
 * Resyncs: a DEVICE_CHANGE with the RESYNC nest of a copy when it starts
 * or ends, and at most every RAFTBLK_EVENTS_PROGRESS_MS while its byte
 * count moves. A copy first seen ended (at arming) is not news.
 */
static void raftblk_events_resyncs(struct raftblk_dev *dev,
				   const struct raftblk_node_status *st)
{
	struct raftblk_events *ev = &dev->events;
	unsigned long period = msecs_to_jiffies(RAFTBLK_EVENTS_PROGRESS_MS);
	struct raftblk_events_resync next[RAFTBLK_NODE_MAX_RESYNC];
	u32 i, n = 0;

	for (i = 0; i < st->n_resync && n < ARRAY_SIZE(next); i++) {
		const struct rb_resync_info *r = &st->resync[i];
		struct raftblk_events_resync *old;
		struct sk_buff *skb;
		bool news;
		void *hdr;

		old = raftblk_events_find_resync(ev, r);
		if (!old)
			news = r->active;
		else if (old->r.index != r->index || old->r.base != r->base ||
			 old->r.active != r->active || old->r.ok != r->ok)
			news = true;
		else
			news = r->active && old->r.done != r->done &&
			       time_after_eq(jiffies, old->at + period);
		if (!news) {
			next[n++] = old ? *old :
				(struct raftblk_events_resync){ *r, jiffies };
			continue;
		}
		next[n].r = *r;
		next[n++].at = jiffies;
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr,
					    raftblk_nl_put_resync(skb, r));
	}
	memcpy(ev->resync, next, n * sizeof(next[0]));
	ev->n_resync = n;
}

void raftblk_events_node_changed(struct raftblk_dev *dev,
				 const struct raftblk_node_status *st)
{
	struct raftblk_events *ev = &dev->events;

	mutex_lock(&ev->lock);
	ev->replicated = true;
	ev->st = *st;
	if (!ev->armed)
		goto out;
	if (st->role != ev->role || st->term != ev->term ||
	    st->leader != ev->leader) {
		ev->role = st->role;
		ev->term = st->term;
		ev->leader = st->leader;
		raftblk_events_send_state(dev);
	}
	if (st->disk_state != ev->disk_state) {
		struct sk_buff *skb;
		void *hdr;

		ev->disk_state = st->disk_state;
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr,
					    nla_put_u32(skb,
							RAFTBLK_ATTR_DISK_STATE,
							st->disk_state));
	}
	if (st->waiting != ev->waiting || st->wait_index != ev->wait_index) {
		struct sk_buff *skb;
		void *hdr;

		ev->waiting = st->waiting;
		ev->wait_index = st->wait_index;
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr,
					    raftblk_nl_put_waiting(skb, st));
	}
	if (st->snap.count != ev->snap_count) {
		struct sk_buff *skb;
		void *hdr;

		ev->snap_count = st->snap.count;
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr,
					    raftblk_nl_put_snapshot(skb, st));
	}
	if (st->verify.index != ev->verify_index ||
	    st->verify.state != ev->verify_state) {
		struct sk_buff *skb;
		void *hdr;

		ev->verify_index = st->verify.index;
		ev->verify_state = st->verify.state;
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr,
					    raftblk_nl_put_verify_summary(skb,
							&st->verify));
	}
	raftblk_events_sync_peers(dev, st);
	if (st->role == RAFTBLK_ROLE_LEADER)
		raftblk_events_progress(dev, st);
	raftblk_events_resyncs(dev, st);
out:
	mutex_unlock(&ev->lock);
}

/*
 * Publish the device: DEVICE_CREATE, then PEER_CREATE for each member,
 * from the node's last report. Reports made after it come in under the
 * same lock, once the device is armed, so none is missed.
 */
void raftblk_events_device_created(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	const struct raftblk_node_status *st = &ev->st;
	struct sk_buff *skb;
	void *hdr;
	u32 i;

	mutex_lock(&ev->lock);
	ev->role = st->role;
	ev->term = st->term;
	ev->leader = st->leader;
	ev->disk_state = st->disk_state;
	ev->waiting = st->waiting;
	ev->wait_index = st->wait_index;
	ev->snap_count = st->snap.count;
	ev->n_resync = min_t(u32, st->n_resync, ARRAY_SIZE(ev->resync));
	for (i = 0; i < ev->n_resync; i++) {
		ev->resync[i].r = st->resync[i];
		ev->resync[i].at = jiffies;
	}
	ev->n_peers = 0;
	for (i = 0; i < st->n_peers && i < ARRAY_SIZE(ev->peers); i++) {
		struct raftblk_events_peer *p = &ev->peers[ev->n_peers++];

		p->p = st->peers[i];
		p->match_at = jiffies;
		p->lagging = p->p.match < st->commit;
	}
	ev->armed = true;
	skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CREATE, &hdr);
	if (skb)
		raftblk_events_send(dev, skb, hdr,
			raftblk_nl_put_device_create(skb, dev->disk_path, st,
						     ev->replicated));
	for (i = 0; i < ev->n_peers; i++)
		raftblk_events_send_peer(dev, RAFTBLK_EVENT_PEER_CREATE,
					 &ev->peers[i],
					 RAFTBLK_NL_PEER_ROLE |
					 RAFTBLK_NL_PEER_STATE |
					 RAFTBLK_NL_PEER_ADDR, 0);
	mutex_unlock(&ev->lock);
}

/* The last event of the device. */
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
			raftblk_events_send(dev, skb, hdr, 0);
	}
	ev->armed = false;
	mutex_unlock(&ev->lock);
}

void raftblk_events_release(struct raftblk_dev *dev)
{
	mutex_destroy(&dev->events.lock);
}

void raftblk_events_options_changed(struct raftblk_dev *dev)
{
	struct raftblk_events *ev = &dev->events;
	struct sk_buff *skb;
	void *hdr;

	mutex_lock(&ev->lock);
	if (ev->armed && ev->replicated) {
		skb = raftblk_events_new(dev, RAFTBLK_EVENT_DEVICE_CHANGE,
					 &hdr);
		if (skb)
			raftblk_events_send(dev, skb, hdr,
					    raftblk_nl_put_options(skb,
								   &ev->st));
	}
	mutex_unlock(&ev->lock);
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
	down_write(&raftblk_events_rwsem);
	raftblk_events_enabled = false;
	up_write(&raftblk_events_rwsem);
}
