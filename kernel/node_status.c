// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's published status.
 *
 * The node keeps one status snapshot (struct raftblk_node_status) that
 * status readers (DEVICE_GET, the events, sysfs) copy under a spinlock,
 * so a status never waits for the node's lock, which the thread holds
 * across its disk writes. The node thread publishes it after each ready
 * batch, the transport's events when a connection goes up or down, and
 * option changes; each new snapshot is handed to the device's publish
 * function (the events).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "node_int.h"

static enum raftblk_role raftblk_node_role_uapi(u8 role, bool learner)
{
	switch (role) {
	case RAFT_LEADER:
		return RAFTBLK_ROLE_LEADER;
	case RAFT_CANDIDATE:
		return RAFTBLK_ROLE_CANDIDATE;
	case RAFT_PRE_CANDIDATE:
		return RAFTBLK_ROLE_PRE_CANDIDATE;
	default:
		return learner ? RAFTBLK_ROLE_LEARNER : RAFTBLK_ROLE_FOLLOWER;
	}
}

/* Add ID to, or remove it from, the list IDS of *N (at most MAX). */
static void raftblk_node_ids_set(u32 *ids, u32 *n, u32 max, u32 id, bool in)
{
	u32 i;

	for (i = 0; i < *n; i++)
		if (ids[i] == id)
			break;
	if (in && i == *n && i < max)
		ids[(*n)++] = id;
	else if (!in && i < *n)
		ids[i] = ids[--(*n)];
}

static bool raftblk_node_ids_has(const u32 *ids, u32 n, u32 id)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Under pub_lock: a peer's connection as the transport last reported. */
static u8 raftblk_node_conn_state(struct raftblk_node *n, u32 id)
{
	if (raftblk_node_ids_has(n->conn_silent, n->n_conn_silent, id))
		return RAFTBLK_PEER_STATE_UNREACHABLE;
	if (raftblk_node_ids_has(n->conn_up, n->n_conn_up, id))
		return RAFTBLK_PEER_STATE_CONNECTED;
	return RAFTBLK_PEER_STATE_DISCONNECTED;
}

/* Under pub_lock: hand the snapshot to the device. */
void raftblk_node_call_publish(struct raftblk_node *n)
{
	lockdep_assert_held(&n->pub_lock);
	if (n->publish)
		n->publish(n->dev, &n->pub);
}

/* A log or hard-state write lasting this long is published (an event). */
#define RAFTBLK_NODE_WAIT_REPORT_MS	1000

static u8 raftblk_node_waiting_uapi(u8 waiting)
{
	switch (waiting) {
	case RAFT_WAIT_SNAPSHOT:
		return RAFTBLK_WAITING_SNAPSHOT;
	case RAFT_WAIT_LOG:
		return RAFTBLK_WAITING_LOG;
	case RAFT_WAIT_HARD_STATE:
		return RAFTBLK_WAITING_HARD_STATE;
	case RAFT_WAIT_RESYNC:
		return RAFTBLK_WAITING_RESYNC;
	default:
		return RAFTBLK_WAITING_NONE;
	}
}

/* Under pub_lock and pub_spin: the node now waits for @waiting. */
static void raftblk_node_pub_wait(struct raftblk_node_status *pub,
				  u8 waiting, u64 index)
{
	if (pub->waiting == waiting && pub->wait_index == index)
		return;
	pub->waiting = waiting;
	pub->wait_index = index;
	pub->wait_since = jiffies;
}

/*
 * The node thread starts a log write up to @index (RAFTBLK_WAITING_LOG)
 * or a hard-state write: status readers see it at once, the device is
 * told (an event) only if it lasts RAFTBLK_NODE_WAIT_REPORT_MS. Never
 * shown over a wait the core reports; the next publish ends it.
 */
void raftblk_node_io_wait(struct raftblk_node *n, u8 waiting, u64 index)
{
	bool shown = false;

	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	if (n->pub.waiting == RAFTBLK_WAITING_NONE) {
		raftblk_node_pub_wait(&n->pub, waiting, index);
		n->io_wait = true;
		shown = true;
	}
	spin_unlock(&n->pub_spin);
	mutex_unlock(&n->pub_lock);
	/* The write started now: a report is due a full period later. */
	if (shown)
		mod_delayed_work(system_wq, &n->wait_work,
				 msecs_to_jiffies(RAFTBLK_NODE_WAIT_REPORT_MS));
}

/*
 * The write shown by raftblk_node_io_wait() returned outside a ready batch
 * (no publish follows, e.g. the commit-index save): show nothing again,
 * and tell the device (the events see the end of a wait they were told
 * of; a wait they never saw makes no change for them).
 */
void raftblk_node_io_wait_end(struct raftblk_node *n)
{
	bool ended = false;

	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	if (n->io_wait) {
		raftblk_node_pub_wait(&n->pub, RAFTBLK_WAITING_NONE, 0);
		n->io_wait = false;
		ended = true;
	}
	spin_unlock(&n->pub_spin);
	if (ended)
		raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* The write shown by raftblk_node_io_wait() lasts: publish it. */
void raftblk_node_wait_work(struct work_struct *work)
{
	struct raftblk_node *n = container_of(to_delayed_work(work),
					      struct raftblk_node, wait_work);

	mutex_lock(&n->pub_lock);
	if (n->io_wait)
		raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/*
 * Publish the core's status @st (and the node's counters). Called by the
 * node thread after each ready batch, and once at start.
 */
void raftblk_node_publish(struct raftblk_node *n,
			  const struct raft_status *st)
{
	struct raftblk_node_status *pub = &n->pub;
	struct rb_verify_summary vs = {};
	struct rb_store_ring_info ring;
	u32 i, j;

	if (n->vf)	/* its own lock: not under pub_spin */
		rb_verify_summary(n->vf, &vs);
	/*
	 * The log area, read here by the node (the store's lock is held
	 * across its disk writes: status readers never take it) and not
	 * under pub_lock or pub_spin.
	 */
	rb_store_ring_info(n->store, &ring);
	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	pub->verify = vs;
	pub->role = raftblk_node_role_uapi(st->role,
		raftblk_node_conf_has(&st->conf, n->id, RAFT_LEARNER));
	pub->term = st->term;
	pub->leader = st->leader;
	pub->commit = st->commit;
	pub->applied = st->applied;
	pub->log_bytes = st->log_bytes;
	pub->log_bytes_peak = max(n->log_bytes_peak, st->log_bytes);
	pub->mem_compactions = n->mem_compactions;
	pub->log_area_used = ring.used;
	pub->log_area_size = ring.size;
	pub->log_area_written = ring.head;
	pub->log_rec_block = ring.rec_block;
	pub->snap = n->snap_last;
	pub->copy_index = n->copy_index;
	pub->proposals = n->proposals;
	pub->commits = n->commits;
	pub->elections = n->elections;
	raftblk_node_pub_wait(pub, raftblk_node_waiting_uapi(st->waiting),
			      st->wait_index);
	n->io_wait = false;
	pub->n_peers = 0;
	for (i = 0; i < st->conf.n; i++) {
		const struct raft_node *cn = &st->conf.nodes[i];
		struct raftblk_node_peer *p = &pub->peers[pub->n_peers];

		if (cn->id == n->id)
			continue;
		p->id = cn->id;
		p->role = cn->role == RAFT_LEARNER ? RAFTBLK_PEER_ROLE_LEARNER :
			  RAFTBLK_PEER_ROLE_VOTER;
		p->conn = raftblk_node_conn_state(n, cn->id);
		p->heard = false;
		p->heard_ms = 0;
		if (rb_addr_decode(cn->addr, &p->addr))
			memset(&p->addr, 0, sizeof(p->addr));
		p->match = 0;
		for (j = 0; j < st->n_progress; j++)
			if (st->progress[j].id == cn->id)
				p->match = st->progress[j].match;
		pub->n_peers++;
	}
	pub->n_resync = rb_resync_get(n->rs, pub->resync,
				      RAFTBLK_NODE_MAX_RESYNC);
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* The options in the snapshot, after a change (under n->lock). */
void raftblk_node_publish_options(struct raftblk_node *n)
{
	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	n->pub.heartbeat_ms = n->heartbeat_ms;
	n->pub.election_ms = n->election_ms;
	n->pub.max_batch = n->max_batch;
	n->pub.read_mode = n->lease_read ? RAFTBLK_READ_MODE_LEASE :
			   RAFTBLK_READ_MODE_READINDEX;
	n->pub.resync_rate = rb_resync_rate(n->rs);
	n->pub.log_memory = n->log_memory;
	n->pub.auto_promote = n->auto_promote;
	n->pub.auto_promote_ms = n->promote_ms;
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* Under pub_lock: set peer ID's conn (and heard_ms) in pub. */
static void raftblk_node_pub_conn(struct raftblk_node *n, u32 id,
				  bool heard, u32 heard_ms)
{
	u32 i;

	spin_lock(&n->pub_spin);
	for (i = 0; i < n->pub.n_peers; i++) {
		struct raftblk_node_peer *p = &n->pub.peers[i];

		if (p->id != id)
			continue;
		p->conn = raftblk_node_conn_state(n, id);
		p->heard = heard;
		p->heard_ms = heard_ms;
	}
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
}

/* A peer's connection went up or down (transport event work). */
void raftblk_node_publish_conn(struct raftblk_node *n, u32 id,
			       bool up)
{
	mutex_lock(&n->pub_lock);
	raftblk_node_ids_set(n->conn_up, &n->n_conn_up,
			     ARRAY_SIZE(n->conn_up), id, up);
	raftblk_node_ids_set(n->conn_silent, &n->n_conn_silent,
			     ARRAY_SIZE(n->conn_silent), id, false);
	raftblk_node_pub_conn(n, id, false, 0);
	mutex_unlock(&n->pub_lock);
}

/* A connected peer fell silent, or is heard again (transport events). */
void raftblk_node_publish_silent(struct raftblk_node *n, u32 id,
				 bool silent, u32 heard_ms)
{
	mutex_lock(&n->pub_lock);
	if (raftblk_node_ids_has(n->conn_up, n->n_conn_up, id)) {
		raftblk_node_ids_set(n->conn_silent, &n->n_conn_silent,
				     ARRAY_SIZE(n->conn_silent), id, silent);
		raftblk_node_pub_conn(n, id, silent, heard_ms);
	}
	mutex_unlock(&n->pub_lock);
}

void raftblk_node_read_status(struct raftblk_node *n,
			      struct raftblk_node_status *out)
{
	struct rb_transport_peer_info *pi;
	struct rb_transport_secret_info si;
	struct rb_transport_stats ts;
	int np = 0;
	u32 i, j;

	pi = kcalloc(RAFT_MAX_NODES, sizeof(*pi), GFP_KERNEL);
	spin_lock(&n->pub_spin);
	*out = n->pub;
	spin_unlock(&n->pub_spin);

	memset(&ts, 0, sizeof(ts));
	memset(&si, 0, sizeof(si));
	mutex_lock(&n->tp_lock);
	if (n->tp) {
		if (pi)
			np = min(rb_transport_peers(n->tp, pi, RAFT_MAX_NODES),
				 RAFT_MAX_NODES);
		rb_transport_get_stats(n->tp, &ts);
		rb_transport_secret_info(n->tp, &si);
	}
	mutex_unlock(&n->tp_lock);
	memset(&out->verify, 0, sizeof(out->verify));
	if (n->vf)
		rb_verify_summary(n->vf, &out->verify);
	out->auth_failed = ts.auth_failed;
	memcpy(out->secret_set, si.set, sizeof(si.set));
	memcpy(out->secret_fp, si.fp, sizeof(si.fp));
	out->secret_next_none = si.next_none;
	out->bytes_sent = ts.bytes_sent;
	out->bytes_received = ts.bytes_received;
	out->bad_frames = ts.bad_frames;
	out->reconnects = ts.reconnects;
	out->rx_bytes = ts.rx_bytes;
	out->rx_bytes_peak = ts.rx_bytes_peak;
	out->rx_paused = ts.rx_paused;
	out->frames_direct = ts.frames_direct;
	out->reads_direct = atomic64_read(&n->reads_direct);
	out->reads_thread = atomic64_read(&n->reads_thread);
	/* The transport's view also tells a peer being dialled. */
	for (i = 0; pi && i < out->n_peers; i++) {
		struct raftblk_node_peer *p = &out->peers[i];

		p->conn = RAFTBLK_PEER_STATE_DISCONNECTED;
		for (j = 0; j < np; j++) {
			if (pi[j].id != p->id)
				continue;
			if (pi[j].state[0] == RB_CONN_UP)
				p->conn = pi[j].silent ?
					  RAFTBLK_PEER_STATE_UNREACHABLE :
					  RAFTBLK_PEER_STATE_CONNECTED;
			else if (pi[j].state[0] == RB_CONN_CONNECTING)
				p->conn = RAFTBLK_PEER_STATE_CONNECTING;
			p->heard = pi[j].heard;
			p->heard_ms = pi[j].heard_ms;
		}
	}
	kfree(pi);
}

void raftblk_node_get_status(struct raftblk_dev *dev,
			     struct raftblk_node_status *st)
{
	raftblk_node_read_status(dev->node, st);
}
