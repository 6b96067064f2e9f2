// SPDX-License-Identifier: GPL-2.0
/*
 * transport.c - kernel TCP transport between raftblk nodes (transport.h).
 *
 * Objects:
 *   rb_transport  listener, peers, connections, one workqueue, counters.
 *   rb_peer       a node id, maybe its address, its established
 *                 connection per class, its reconnect timer.
 *   rb_conn       one non-blocking TCP socket. Socket callbacks (softirq)
 *                 only queue work: rx_work connects/handshakes/reads
 *                 frames with a resumable state machine, tx_work drains
 *                 the send queue, close_work tears the connection down.
 *                 A sender that finds the queue empty and nobody sending
 *                 sends its frame itself (conn_send_direct()).
 *
 * Contexts: everything but the socket callbacks and the direct sends
 * runs in process context on t->wq; all of it with memalloc_noio_save()
 * around it: the transport carries block device writes, so reclaim must
 * never recurse into block I/O.
 *
 * Locks:
 *   c->tx_mutex (mutex)      a connection's transmit side (see struct
 *                            rb_conn): t->lock nests inside it; under
 *                            t->lock it is only ever trylocked.
 *   t->lock (mutex)          see struct rb_transport
 *   sk->sk_callback_lock     sk_user_data and the socket callbacks: a
 *                            callback reads sk_user_data under it, and
 *                            detaching sets it to NULL under it, so no
 *                            callback touches a connection being freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <linux/highmem.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "auth.h"
#include "payload.h"
#include "poly1305.h"
#include "transport.h"
#include "wire.h"

#define RB_CLASSES		2	/* control, bulk: index = class - 1 */
#define RB_MAX_PENDING		64	/* accepted, not yet handshaken */
#define RB_MAX_PEERS		(4 * RAFT_MAX_NODES)	/* known nodes */
#define RB_RX_BUDGET		64	/* frames per rx_work run */
#define RB_TX_BUDGET		(4U << 20)	/* bytes per tx_work run */
/*
 * Frames their sender may send itself (conn_send_direct()) at most: the
 * hand-off saved matters for small frames; a larger one goes to tx_work,
 * so that the sender's own work (the node thread's log write) overlaps
 * its sending.
 */
#define RB_DIRECT_MAX		(64U << 10)
#define RB_SMALL_META		256	/* meta parts kept in the conn */
#define RB_TICK_MS		500
#define RB_PROBE_MS		100	/* snap_conn_heard(): probes apart */
/*
 * Receive budget (rb_transport_rx_cost()): a message's fixed cost, and
 * the most one entry may hold besides its data bytes (its slots in the
 * entry and descriptor arrays, its payload struct, the rest of its last
 * page). Bulk connections leave RB_RX_CONTROL_RESERVE of the budget to
 * votes and heartbeats, so that these are read even when APPENDs fill it.
 */
#define RB_RX_MSG_COST		(sizeof(struct raft_msg) + 256)
#define RB_RX_ENTRY_COST	(PAGE_SIZE + 256)
#define RB_RX_CONTROL_RESERVE	(1U << 20)
/* Entry tags read without an allocation (more: kvmalloc'ed). */
#define RB_RX_SMALL_TAGS	8

enum conn_state {
	CS_CONNECTING,		/* dialed, TCP handshake in progress */
	CS_HANDSHAKE,		/* waiting for HELLO (accepted) or ACK */
	CS_UP,
	CS_CLOSING,		/* close_work queued */
};

enum rx_phase {
	RX_HDR,
	RX_ADMIT,		/* RAFT_MSG header read, waiting for budget */
	RX_META,
	RX_DATA,
	RX_MAC,			/* authenticated: the frame's MAC trailer */
	RX_TAGS,		/* authenticated: entry tags and trailer */
};

/* A frame waiting to be sent. */
struct rb_tx {
	struct list_head node;
	u8 *buf;		/* header + meta, kvmalloc'ed */
	size_t len;
	u32 n_pl;		/* payloads whose data follows, in order */
	size_t bytes;		/* len + data bytes (queue accounting) */
	/*
	 * Authenticated: the entry tags (one per payload,
	 * RB_WIRE_ENTRY_TAG_LEN bytes each, in the same allocation after
	 * pl[]) and mac follow buf, before the data.
	 */
	bool has_mac;
	u8 mac[RB_WIRE_FRAME_MAC_LEN];
	u8 *tags;
	struct raft_payload *pl[];
};

struct rb_transport {
	/*
	 * Not a counted reference: a device must not keep its namespace
	 * alive (device.c). The namespace's pre_exit destroys the transport
	 * (io_ops->net_exit) before the namespace goes away.
	 */
	struct net *net;
	struct sockaddr_storage listen_addr;
	/*
	 * ids.peer unused (0). ids.cluster is all zero on a blank node
	 * until it adopts its cluster's (under lock and adopt_lock); read
	 * it with t_ids().
	 */
	struct rb_wire_ids ids;
	struct mutex adopt_lock;	/* serializes cluster adoption */
	struct rb_transport_config cfg;
	const struct rb_transport_ops *ops;
	void *ctx;

	struct socket *listener;
	void (*listen_orig_data_ready)(struct sock *sk);
	struct workqueue_struct *wq;
	struct work_struct accept_work;
	struct work_struct event_work;
	struct delayed_work tick_work;

	/*
	 * lock protects: peers (the list and every rb_peer field but
	 * connect_work), conns (the list), each connection's state,
	 * peer_id, rx_waiting and send queue (txq, q_frames, q_bytes),
	 * n_pending, conn_seq, stopping, rx_used and rx_peak.
	 */
	struct mutex lock;
	struct list_head peers;
	struct list_head conns;
	u32 n_pending;
	u64 conn_seq;
	bool stopping;
	size_t rx_used;			/* receive budget in use */
	size_t rx_peak;
	/*
	 * Shared secrets (also under lock): [0] the current one (this node
	 * authenticates with it), [1] the next or the previous one, also
	 * accepted (rotation). len 0: no secret ([1]: with none set, "no
	 * secret" is held there, else the slot is empty). sec_gen numbers
	 * them.
	 */
	struct rb_auth_secret sec[2];
	u32 sec_gen;
	/*
	 * tag_lock protects tag_gen and tag_em: the entry key of a secret
	 * connections were proven with (the current one's once a
	 * connection proven with it is up; tag_gen 0: none), which
	 * rb_transport_tag_key() copies out for the block submitter.
	 * Set and cleared under lock (tag_lock nests inside it); never
	 * held across anything that sleeps.
	 */
	spinlock_t tag_lock;
	u32 tag_gen;
	struct rb_entry_mac tag_em;

	struct {
		atomic64_t bytes_sent, bytes_received, frames_sent,
			   frames_received, msgs_dropped, bad_frames,
			   refused_peers, refused_by_peer, connects,
			   reconnects, accepted, conns_up, conns_lost,
			   rx_paused, auth_failed, frames_direct;
	} st;
};

struct rb_peer {
	struct list_head node;		/* in t->peers */
	struct rb_transport *t;
	u64 id;
	bool has_addr;
	struct sockaddr_storage addr;
	struct rb_conn *conn[RB_CLASSES];	/* established */
	struct rb_conn *dialing[RB_CLASSES];	/* ours, not yet up */
	u32 failures;		/* consecutive failed attempts */
	bool dialed_before;
	bool up;		/* any conn[] set */
	bool reported_up;	/* last state given to ops->peer_state */
	bool silent;		/* up, nothing received for cfg.silent_ms */
	bool reported_silent;	/* last state given to ops->peer_silent */
	unsigned long last_rx;	/* jiffies, newest frame of a closed conn */
	/*
	 * ktime_get_ns(): when the peer may last have started anew (its
	 * current control connection came up, or it dialed a class this
	 * node already had a connection of): a connection it did not send
	 * on since may belong to its previous life (rebooted, the kernel
	 * forgot it) and must not start a copy (see snap_conn_heard()).
	 * Not jiffies: a bulk connection last heard in the jiffy of the
	 * renewal (a guest whose timer ticks late) counted as heard since.
	 */
	u64 renewed_ns;
	size_t rx_used;		/* receive budget held by its messages */
	struct delayed_work connect_work;
};

struct rb_conn {
	struct list_head node;		/* in t->conns */
	struct rb_transport *t;
	struct socket *sock;
	bool dialed;
	u8 cls;				/* enum rb_wire_class, 0 = not yet */
	enum conn_state state;		/* under t->lock */
	bool was_up;
	bool replaced;			/* closed for a duplicate */
	u64 peer_id;			/* 0 until known (accepted) */
	u64 peer_feat;			/* its HELLO(_ACK)'s feature bits */
	u64 seq;			/* creation order (tie-break) */
	struct sockaddr_storage addr;	/* dialed: where to */
	bool connect_started;		/* dialed: rx_work called connect */
	unsigned long deadline;		/* jiffies, handshake */
	unsigned long last_rx, last_tx;	/* jiffies, READ/WRITE_ONCE */
	/*
	 * ktime_get_ns() of its newest bytes (READ/WRITE_ONCE): against
	 * the peer's renewed_ns, which a jiffy is too coarse to order.
	 */
	u64 last_rx_ns;
	unsigned long probed;		/* jiffies, last probe (t->lock) */

	void (*orig_data_ready)(struct sock *sk);
	void (*orig_state_change)(struct sock *sk);
	void (*orig_write_space)(struct sock *sk);

	struct work_struct rx_work;
	struct work_struct tx_work;
	struct work_struct close_work;

	/* Send queue (t->lock). */
	struct list_head txq;
	u32 q_frames;
	size_t q_bytes;
	/*
	 * tx_mutex protects the transmit side: the frame in progress
	 * (tx_cur, tx_part, tx_off), tx_mac's sequence and the socket's
	 * send calls after the handshake. Held by tx_work while it sends,
	 * or by a sender sending its own frame (conn_send_direct()), which
	 * takes it with a trylock under t->lock while c is up and the
	 * queue empty; close_work takes it once before freeing c. Held
	 * across socket calls that do not wait (MSG_DONTWAIT), never
	 * across a wait for the network.
	 */
	struct mutex tx_mutex;
	struct rb_tx *tx_cur;
	u32 tx_part;			/* 0: buf, i > 0: pl[i - 1] */
	size_t tx_off;			/* bytes of that part sent */

	/* Receive state machine (rx_work only). */
	bool rx_waiting;		/* in RX_ADMIT, woken by rx_done */
	size_t rx_charge;		/* budget held by the frame being read */
	enum rx_phase rx_phase;
	size_t rx_have;
	u8 rx_hdr[RB_WIRE_HDR_LEN];
	struct rb_wire_hdr rx_h;
	u8 *rx_meta;			/* rx_small or kvmalloc'ed */
	u8 rx_small[RB_SMALL_META];
	struct raft_msg rx_msg;
	struct rb_wire_payload_desc *rx_descs;
	u32 rx_cur;			/* entry whose data is being read */
	u32 rx_off;			/* its data bytes read */
	u8 rx_mac_buf[RB_WIRE_FRAME_MAC_LEN]; /* RX_MAC: the trailer read */
	/*
	 * RX_TAGS: the entry tags of the frame being read (rx_ntags, one
	 * per entry with data), then its trailer; rx_tags_small or
	 * kvmalloc'ed.
	 */
	u32 rx_ntags;
	u32 rx_tagi;			/* RX_DATA: next tag to check */
	/* RX_DATA: the entry tag of rx_tagi, MACed as its data arrives */
	struct rb_poly1305 rx_poly;
	u8 *rx_tags;
	u8 rx_tags_small[RB_RX_SMALL_TAGS * RB_WIRE_ENTRY_TAG_LEN +
			 RB_WIRE_FRAME_MAC_LEN];

	/*
	 * Authenticated handshake (rx_work only): hs_auth when it is one,
	 * hs_step how far it got (0: HELLO / HELLO_ACK expected), the
	 * peer and cluster the proofs are bound to, both nonces, the
	 * connection's key (prk) and, blank, whether the cluster is
	 * adopted once the dialer proved the secret.
	 */
	bool hs_auth;
	bool hs_adopt;
	u8 hs_step;
	u64 hs_peer;
	u8 hs_cluster[RB_WIRE_UUID_LEN];
	u8 hs_nonce_d[RB_WIRE_NONCE_LEN];
	u8 hs_nonce_a[RB_WIRE_NONCE_LEN];
	u8 hs_prk[RB_WIRE_MAC_LEN];
	u8 hs_ekey[RB_WIRE_MAC_LEN];	/* the entry key of that secret */
	/*
	 * auth: every frame after the handshake carries a MAC (set by
	 * rx_work before the connection is up, then constant); auth_gen
	 * the secret it was proven with (READ/WRITE_ONCE: rotation reads
	 * it under t->lock). tx_mac is under tx_mutex, rx_mac rx_work's.
	 */
	bool auth;
	u32 auth_gen;
	struct rb_frame_mac tx_mac;
	struct rb_frame_mac rx_mac;
	/* entry tags: the entry key of the secret auth_gen (constant) */
	struct rb_entry_mac entry_mac;
};

static void conn_fail_locked(struct rb_conn *c, int err, const char *why);
static bool t_accepts_plain_locked(struct rb_transport *t);

/* ------------------------------------------------------------------ */
/* Payloads as the wire codec sees them                               */

/*
 * The payload's crc is computed once and remembered in it (the log
 * record and every follower's frame use the same value): only that
 * remembered value is written here, never the data.
 */
static int payload_describe(void *ctx, const struct raft_payload *p,
			    struct rb_wire_payload_desc *d)
{
	d->flags = p->flags;
	d->sector = p->sector;
	d->len = p->len;
	d->data_len = raftblk_payload_data_len(p);
	d->crc = d->data_len ?
		raftblk_payload_crc((struct raft_payload *)p) : 0;
	return 0;
}

static const struct rb_wire_payload_ops payload_ops = {
	.describe = payload_describe,
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static struct rb_peer *peer_find(struct rb_transport *t, u64 id)
{
	struct rb_peer *p;

	lockdep_assert_held(&t->lock);
	list_for_each_entry(p, &t->peers, node)
		if (p->id == id)
			return p;
	return NULL;
}

static void peer_connect_work(struct work_struct *w);

static struct rb_peer *peer_new(struct rb_transport *t, u64 id)
{
	struct rb_peer *p;

	lockdep_assert_held(&t->lock);
	/* Anyone with the cluster id may connect: bound what they cost. */
	if (list_count_nodes(&t->peers) >= RB_MAX_PEERS)
		return NULL;
	p = kzalloc(sizeof(*p), GFP_NOIO);
	if (!p)
		return NULL;
	p->t = t;
	p->id = id;
	p->renewed_ns = ktime_get_ns();
	INIT_DELAYED_WORK(&p->connect_work, peer_connect_work);
	list_add_tail(&p->node, &t->peers);
	return p;
}

/*
 * When the newest frame from P arrived (any connection, open or closed):
 * false if nothing was ever received. Under t->lock.
 */
static bool peer_last_rx(struct rb_peer *p, unsigned long *last)
{
	bool heard = p->last_rx != 0;
	unsigned long rx;
	int i;

	*last = p->last_rx;
	for (i = 0; i < RB_CLASSES; i++) {
		if (!p->conn[i])
			continue;
		rx = READ_ONCE(p->conn[i]->last_rx);
		if (!heard || time_after(rx, *last))
			*last = rx;
		heard = true;
	}
	return heard;
}

/* Recompute p->up; have the change reported. */
static void peer_update(struct rb_transport *t, struct rb_peer *p)
{
	p->up = p->conn[0] || p->conn[1];
	if (!p->up)
		p->silent = false;
	if (p->up != p->reported_up || (!p->has_addr && !p->up))
		queue_work(t->wq, &t->event_work);
}

static unsigned long backoff_delay(struct rb_transport *t, u32 failures)
{
	u64 ms = t->cfg.backoff_min_ms;

	ms <<= min_t(u32, failures, 20);
	return msecs_to_jiffies(min_t(u64, ms, t->cfg.backoff_max_ms));
}

static void peer_schedule_connect(struct rb_transport *t, struct rb_peer *p,
				  unsigned long delay)
{
	lockdep_assert_held(&t->lock);
	if (!t->stopping && p->has_addr)
		queue_delayed_work(t->wq, &p->connect_work, delay);
}

static int addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static void tx_free(struct rb_tx *tx)
{
	u32 i;

	for (i = 0; i < tx->n_pl; i++)
		raftblk_payload_put(tx->pl[i]);
	kvfree(tx->buf);
	kfree(tx);
}

static struct rb_tx *tx_alloc(size_t len, u32 n_pl)
{
	size_t sz = struct_size_t(struct rb_tx, pl, n_pl);
	struct rb_tx *tx = kzalloc(sz + (size_t)n_pl * RB_WIRE_ENTRY_TAG_LEN,
				   GFP_NOIO);

	if (!tx)
		return NULL;
	tx->tags = (u8 *)tx + sz;
	/* Under memalloc_noio_save(): GFP_KERNEL means NOIO here. */
	tx->buf = kvmalloc(len, GFP_KERNEL);
	if (!tx->buf) {
		kfree(tx);
		return NULL;
	}
	tx->len = len;
	tx->bytes = len;
	return tx;
}

/* Send a whole small frame on a connection nobody else sends on yet
 * (handshake): a fresh socket's buffer always takes it.
 */
static int send_direct(struct rb_conn *c, void *buf, int len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_sendmsg(c->sock, &msg, &kv, 1, len);
	if (ret == len) {
		atomic64_add(len, &c->t->st.bytes_sent);
		atomic64_inc(&c->t->st.frames_sent);
		WRITE_ONCE(c->last_tx, jiffies);
		return 0;
	}
	return ret < 0 ? ret : -EAGAIN;
}

static void t_ids(struct rb_transport *t, struct rb_wire_ids *ids)
{
	mutex_lock(&t->lock);
	*ids = t->ids;
	mutex_unlock(&t->lock);
}

static void conn_ids(const struct rb_conn *c, struct rb_wire_ids *ids)
{
	t_ids(c->t, ids);
	ids->peer = c->peer_id ?: c->hs_peer;
	/* A blank node in a handshake for the cluster it may adopt. */
	if (c->hs_adopt && !memchr_inv(ids->cluster, 0, RB_WIRE_UUID_LEN))
		memcpy(ids->cluster, c->hs_cluster, RB_WIRE_UUID_LEN);
}

/* ------------------------------------------------------------------ */
/* Socket callbacks: softirq context, they only queue work            */

static void conn_data_ready(struct sock *sk)
{
	struct rb_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c)
		queue_work(c->t->wq, &c->rx_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void conn_state_change(struct sock *sk)
{
	struct rb_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	/* rx_work looks at the state: connected, closed, reset. */
	if (c)
		queue_work(c->t->wq, &c->rx_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void conn_write_space(struct sock *sk)
{
	struct rb_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		queue_work(c->t->wq, &c->tx_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void listen_data_ready(struct sock *sk)
{
	struct rb_transport *t;

	read_lock_bh(&sk->sk_callback_lock);
	t = sk->sk_user_data;
	/* Children inherit this callback until accepted: ignore them. */
	if (t && sk->sk_state == TCP_LISTEN)
		queue_work(t->wq, &t->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void conn_attach(struct rb_conn *c)
{
	struct sock *sk = c->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	c->orig_data_ready = sk->sk_data_ready;
	/* An accepted socket inherited the listener's callback. */
	if (c->orig_data_ready == listen_data_ready)
		c->orig_data_ready = c->t->listen_orig_data_ready;
	c->orig_state_change = sk->sk_state_change;
	c->orig_write_space = sk->sk_write_space;
	sk->sk_user_data = c;
	sk->sk_data_ready = conn_data_ready;
	sk->sk_state_change = conn_state_change;
	sk->sk_write_space = conn_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* After this no callback refers to c (and none into this module). */
static void conn_detach(struct rb_conn *c)
{
	struct sock *sk = c->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == c) {
		sk->sk_user_data = NULL;
		sk->sk_data_ready = c->orig_data_ready;
		sk->sk_state_change = c->orig_state_change;
		sk->sk_write_space = c->orig_write_space;
	}
	write_unlock_bh(&sk->sk_callback_lock);
}

static void sock_setup(struct socket *sock)
{
	struct sock *sk = sock->sk;

	tcp_sock_set_nodelay(sk);
	/* Socket memory for a block device's traffic: no I/O recursion. */
	sk->sk_allocation = GFP_NOIO;
	sk->sk_use_task_frag = false;
}

/* ------------------------------------------------------------------ */
/* Connection life cycle                                              */

static void conn_rx_work(struct work_struct *w);
static void conn_tx_work(struct work_struct *w);
static void conn_close_work(struct work_struct *w);

static struct rb_conn *conn_new(struct rb_transport *t, struct socket *sock,
				bool dialed, u8 cls, u64 peer_id)
{
	struct rb_conn *c = kzalloc(sizeof(*c), GFP_NOIO);

	if (!c)
		return NULL;
	c->t = t;
	c->sock = sock;
	c->dialed = dialed;
	c->cls = cls;
	c->peer_id = peer_id;
	c->state = dialed ? CS_CONNECTING : CS_HANDSHAKE;
	c->deadline = jiffies + msecs_to_jiffies(t->cfg.handshake_ms);
	c->last_rx = jiffies;
	c->last_rx_ns = ktime_get_ns();
	c->last_tx = jiffies;
	c->rx_meta = c->rx_small;
	c->rx_tags = c->rx_tags_small;
	INIT_LIST_HEAD(&c->txq);
	mutex_init(&c->tx_mutex);
	INIT_WORK(&c->rx_work, conn_rx_work);
	INIT_WORK(&c->tx_work, conn_tx_work);
	INIT_WORK(&c->close_work, conn_close_work);
	return c;
}

static void conn_fail_locked(struct rb_conn *c, int err, const char *why)
{
	struct rb_transport *t = c->t;

	lockdep_assert_held(&t->lock);
	if (c->state == CS_CLOSING)
		return;
	/* Peers (or strangers with the cluster id) connect at will. */
	if (c->state == CS_UP && !c->replaced)
		pr_info_ratelimited("node %llu: %s connection to node %llu lost: %s (%d)\n",
				    t->ids.local,
				    c->cls == RB_WIRE_CLASS_BULK ? "bulk" :
				    "control", c->peer_id, why, err);
	else
		pr_debug("node %llu: connection with node %llu failed: %s (%d)\n",
			 t->ids.local, c->peer_id, why, err);
	if (c->state == CS_HANDSHAKE && !c->dialed)
		t->n_pending--;
	c->state = CS_CLOSING;
	queue_work(t->wq, &c->close_work);
}

static void conn_fail(struct rb_conn *c, int err, const char *why)
{
	mutex_lock(&c->t->lock);
	conn_fail_locked(c, err, why);
	mutex_unlock(&c->t->lock);
}

/* Of two established connections of one class with one peer, the one
 * both ends keep (see transport.h).
 */
static struct rb_conn *conn_keep(struct rb_transport *t, struct rb_conn *a,
				 struct rb_conn *b)
{
	u64 da = a->dialed ? t->ids.local : a->peer_id;
	u64 db = b->dialed ? t->ids.local : b->peer_id;

	if (da != db)
		return da < db ? a : b;
	return a->seq > b->seq ? a : b;
}

/*
 * The entry key for rb_transport_tag_payload(): that of an authenticated
 * connection now up, if none is published or if it is the current
 * secret's and the published one is not (rotation). A payload tagged
 * under one secret is tagged again by a connection proven with another
 * (rb_entry_tag_get() compares the generation), so any choice is
 * correct; this one makes the submitter's tag (rb_transport_tag_key())
 * the one the connections use.
 */
static void tag_key_publish_locked(struct rb_transport *t,
				   const struct rb_conn *c)
{
	u32 gen = READ_ONCE(c->auth_gen);

	lockdep_assert_held(&t->lock);
	spin_lock(&t->tag_lock);
	if (gen && (!t->tag_gen ||
		    (gen == t->sec[0].gen && t->tag_gen != gen))) {
		t->tag_em = c->entry_mac;
		WRITE_ONCE(t->tag_gen, gen);
	}
	spin_unlock(&t->tag_lock);
}

/* Forget the published entry key once its secret is no longer held. */
static void tag_key_forget_locked(struct rb_transport *t)
{
	int i;

	lockdep_assert_held(&t->lock);
	spin_lock(&t->tag_lock);
	for (i = 0; i < 2; i++)
		if (t->tag_gen && t->sec[i].len &&
		    t->sec[i].gen == t->tag_gen)
			break;
	if (i == 2) {
		WRITE_ONCE(t->tag_gen, 0);
		memzero_explicit(&t->tag_em, sizeof(t->tag_em));
	}
	spin_unlock(&t->tag_lock);
}

bool rb_transport_tag_key(struct rb_transport *t, struct rb_tag_key *k)
{
	/* Without authentication: one load, nothing else. */
	if (!READ_ONCE(t->tag_gen))
		return false;
	spin_lock(&t->tag_lock);
	k->gen = t->tag_gen;
	k->em = t->tag_em;
	spin_unlock(&t->tag_lock);
	if (k->gen)
		return true;
	memzero_explicit(k, sizeof(*k));
	return false;
}

void rb_tag_key_use(struct rb_tag_key *k, struct raft_payload *p)
{
	u8 tag[RB_WIRE_ENTRY_TAG_LEN];

	if (raftblk_payload_has_data(p))
		rb_entry_tag_get(&k->em, k->gen, p, tag);
	memzero_explicit(k, sizeof(*k));
	memzero_explicit(tag, sizeof(tag));
}

/* Handshake done: c is established with peer_id for class c->cls. */
static int conn_up(struct rb_conn *c, u64 peer_id)
{
	struct rb_transport *t = c->t;
	int idx = c->cls - 1;
	struct rb_conn *old, *keep;
	struct rb_peer *p;
	int i;

	mutex_lock(&t->lock);
	if (c->state == CS_CLOSING || t->stopping) {
		mutex_unlock(&t->lock);
		return -ESHUTDOWN;
	}
	p = peer_find(t, peer_id);
	if (!p)
		p = peer_new(t, peer_id);
	if (!p) {
		conn_fail_locked(c, -ENOMEM, "no memory or too many peers");
		mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	/*
	 * Unauthenticated: "no secret" may have been retired since the
	 * handshake was accepted (the connections then up were closed).
	 */
	if (!c->auth && !t_accepts_plain_locked(t)) {
		conn_fail_locked(c, -EKEYREVOKED,
				 "unauthenticated peers are no longer accepted");
		mutex_unlock(&t->lock);
		return -EKEYREVOKED;
	}
	if (!c->dialed)
		t->n_pending--;
	c->peer_id = peer_id;
	c->state = CS_UP;
	c->was_up = true;
	if (c->auth)
		tag_key_publish_locked(t, c);
	if (p->dialing[idx] == c)
		p->dialing[idx] = NULL;
	p->failures = 0;
	atomic64_inc(&t->st.conns_up);
	old = p->conn[idx];
	keep = old ? conn_keep(t, old, c) : c;
	p->conn[idx] = keep;
	/*
	 * A new control connection, or the peer dialing a class we have a
	 * connection of: it may have restarted, and our connections may
	 * be its previous life's (see snap_conn_heard()).
	 */
	if (keep != c || c->cls == RB_WIRE_CLASS_CONTROL)
		p->renewed_ns = ktime_get_ns();
	if (old && old != keep) {
		old->replaced = true;
		conn_fail_locked(old, 0, "replaced by a duplicate");
	}
	if (keep != c) {
		c->replaced = true;
		conn_fail_locked(c, 0, "duplicate connection");
		/*
		 * The peer dialed although we have a connection: ours may be
		 * stale (the peer restarted), of either class. Probe them at
		 * the next tick; a stale one gets a reset and goes.
		 */
		for (i = 0; i < RB_CLASSES; i++)
			if (p->conn[i])
				WRITE_ONCE(p->conn[i]->last_tx, jiffies -
					   msecs_to_jiffies(t->cfg.keepalive_ms) - 1);
	}
	peer_update(t, p);
	mutex_unlock(&t->lock);
	if (keep == c && !old)
		pr_info_ratelimited("node %llu: %s connection with node %llu up (%s)\n",
				    t->ids.local,
				    c->cls == RB_WIRE_CLASS_BULK ? "bulk" :
				    "control", peer_id,
				    c->dialed ? "dialed" : "accepted");
	/* Frames may have been queued while we were deciding. */
	queue_work(t->wq, &c->tx_work);
	return 0;
}

static void rx_uncharge(struct rb_transport *t, u64 peer_id, size_t charge);

static void rx_reset(struct rb_conn *c)
{
	if (c->rx_charge) {
		rx_uncharge(c->t, c->peer_id, c->rx_charge);
		c->rx_charge = 0;
	}
	rb_wire_msg_release(&c->rx_msg);
	raft_free(c->rx_descs);
	c->rx_descs = NULL;
	if (c->rx_meta != c->rx_small)
		kvfree(c->rx_meta);
	c->rx_meta = c->rx_small;
	if (c->rx_tags != c->rx_tags_small)
		kvfree(c->rx_tags);
	c->rx_tags = c->rx_tags_small;
	c->rx_ntags = 0;
	c->rx_phase = RX_HDR;
	c->rx_have = 0;
	c->rx_cur = 0;
	c->rx_off = 0;
}

static void conn_close_work(struct work_struct *w)
{
	struct rb_conn *c = container_of(w, struct rb_conn, close_work);
	struct rb_transport *t = c->t;
	struct rb_tx *tx, *tmp;
	struct rb_peer *p;
	LIST_HEAD(txq);
	int idx;

	/* No callback, then nobody else (they find conns under t->lock)
	 * queues work for c; then wait for the work already queued.
	 */
	conn_detach(c);
	mutex_lock(&t->lock);
	list_del(&c->node);
	list_splice_init(&c->txq, &txq);
	if (c->was_up && !c->replaced)
		atomic64_inc(&t->st.conns_lost);
	p = c->peer_id ? peer_find(t, c->peer_id) : NULL;
	if (p && c->cls) {
		idx = c->cls - 1;
		if (c->was_up && (!p->last_rx ||
				  time_after(READ_ONCE(c->last_rx), p->last_rx)))
			p->last_rx = READ_ONCE(c->last_rx);
		if (p->conn[idx] == c)
			p->conn[idx] = NULL;
		if (p->dialing[idx] == c) {
			p->dialing[idx] = NULL;
			p->failures++;
		}
		peer_update(t, p);
		if (!p->conn[idx] && !p->dialing[idx])
			peer_schedule_connect(t, p,
					      backoff_delay(t, p->failures));
	}
	mutex_unlock(&t->lock);

	kernel_sock_shutdown(c->sock, SHUT_RDWR);
	/*
	 * A direct sender took tx_mutex while c was up (before this work
	 * was queued) and queues tx_work before it lets go: wait for it.
	 * No sender takes it again: c is closing.
	 */
	mutex_lock(&c->tx_mutex);
	mutex_unlock(&c->tx_mutex);
	/* rx_work may queue tx_work (conn_up): rx_work first. */
	cancel_work_sync(&c->rx_work);
	cancel_work_sync(&c->tx_work);
	list_for_each_entry_safe(tx, tmp, &txq, node)
		tx_free(tx);
	if (c->tx_cur)
		tx_free(c->tx_cur);
	rx_reset(c);
	sock_release(c->sock);
	rb_frame_mac_free(&c->tx_mac);
	rb_frame_mac_free(&c->rx_mac);
	rb_entry_mac_free(&c->entry_mac);
	mutex_destroy(&c->tx_mutex);
	kfree_sensitive(c);	/* hs_prk, hs_ekey, nonces */
}

/* Dial peer p for class cls. */
static void conn_dial(struct rb_transport *t, struct rb_peer *p, u8 cls,
		      const struct sockaddr_storage *addr)
{
	struct socket *sock;
	struct rb_conn *c;
	int idx = cls - 1, ret;

	ret = sock_create_kern(t->net, addr->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret) {
		pr_warn_ratelimited("node %llu: cannot create a socket: %d\n",
				    t->ids.local, ret);
		goto retry;
	}
	sock_setup(sock);
	c = conn_new(t, sock, true, cls, p->id);
	if (!c) {
		sock_release(sock);
		goto retry;
	}
	mutex_lock(&t->lock);
	/* Still wanted? (stopping, peer removed, connection meanwhile) */
	if (t->stopping || peer_find(t, p->id) != p || p->conn[idx] ||
	    p->dialing[idx]) {
		mutex_unlock(&t->lock);
		sock_release(sock);
		kfree(c);
		return;
	}
	c->seq = ++t->conn_seq;
	c->addr = *addr;
	p->dialing[idx] = c;
	list_add_tail(&c->node, &t->conns);
	atomic64_inc(&t->st.connects);
	if (p->dialed_before)
		atomic64_inc(&t->st.reconnects);
	p->dialed_before = true;
	/*
	 * Published: from now on only work items use the socket, so that
	 * close_work (which waits for them) never frees it under a user.
	 * rx_work starts the connect.
	 */
	conn_attach(c);
	queue_work(t->wq, &c->rx_work);
	mutex_unlock(&t->lock);
	return;

retry:
	mutex_lock(&t->lock);
	if (peer_find(t, p->id) == p) {
		p->failures++;
		peer_schedule_connect(t, p, backoff_delay(t, p->failures));
	}
	mutex_unlock(&t->lock);
}

static void peer_connect_work(struct work_struct *w)
{
	struct rb_peer *p = container_of(to_delayed_work(w), struct rb_peer,
					 connect_work);
	struct rb_transport *t = p->t;
	struct sockaddr_storage addr;
	bool need[RB_CLASSES];
	unsigned int noio;
	int i;

	mutex_lock(&t->lock);
	for (i = 0; i < RB_CLASSES; i++)
		need[i] = !t->stopping && p->has_addr && !p->conn[i] &&
			  !p->dialing[i];
	addr = p->addr;
	mutex_unlock(&t->lock);

	noio = memalloc_noio_save();
	for (i = 0; i < RB_CLASSES; i++)
		if (need[i])
			conn_dial(t, p, i + 1, &addr);
	memalloc_noio_restore(noio);
}

static void accept_work(struct work_struct *w)
{
	struct rb_transport *t = container_of(w, struct rb_transport,
					      accept_work);
	unsigned int noio = memalloc_noio_save();
	struct socket *sock;
	struct rb_conn *c;
	int ret;

	for (;;) {
		ret = kernel_accept(t->listener, &sock, O_NONBLOCK);
		if (ret == -EAGAIN)
			break;
		if (ret) {
			pr_warn_ratelimited("node %llu: accept failed: %d\n",
					    t->ids.local, ret);
			break;
		}
		sock_setup(sock);
		c = conn_new(t, sock, false, 0, 0);
		mutex_lock(&t->lock);
		if (!c || t->stopping || t->n_pending >= RB_MAX_PENDING) {
			mutex_unlock(&t->lock);
			/* The child still has the listener's callback. */
			write_lock_bh(&sock->sk->sk_callback_lock);
			sock->sk->sk_user_data = NULL;
			sock->sk->sk_data_ready = t->listen_orig_data_ready;
			write_unlock_bh(&sock->sk->sk_callback_lock);
			sock_release(sock);
			kfree(c);
			continue;
		}
		c->seq = ++t->conn_seq;
		t->n_pending++;
		list_add_tail(&c->node, &t->conns);
		atomic64_inc(&t->st.accepted);
		conn_attach(c);
		queue_work(t->wq, &c->rx_work);
		mutex_unlock(&t->lock);
	}
	memalloc_noio_restore(noio);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */

static void rx_account(struct rb_conn *c, int bytes)
{
	atomic64_add(bytes, &c->t->st.bytes_received);
	WRITE_ONCE(c->last_rx, jiffies);
	WRITE_ONCE(c->last_rx_ns, ktime_get_ns());
}

/* > 0 bytes read, 0 nothing to read now, < 0 error (EOF: -ECONNRESET). */
static int recv_some(struct rb_conn *c, void *buf, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	int ret;

	ret = kernel_recvmsg(c->sock, &msg, &kv, 1, len, msg.msg_flags);
	if (ret == -EAGAIN)
		return 0;
	if (ret == 0)
		return -ECONNRESET;
	if (ret > 0)
		rx_account(c, ret);
	return ret;
}

static int recv_payload(struct rb_conn *c, struct raft_payload *p,
			u32 data_len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int ret;

	ret = raftblk_payload_iter(p, ITER_DEST, c->rx_off,
				   data_len - c->rx_off, &msg.msg_iter);
	if (ret)
		return ret;
	ret = sock_recvmsg(c->sock, &msg, msg.msg_flags);
	if (ret == -EAGAIN)
		return 0;
	if (ret == 0)
		return -ECONNRESET;
	if (ret > 0)
		rx_account(c, ret);
	return ret;
}

/* A frame this end cannot accept: count it, log it, drop the link. */
/* The remote end's address, for messages to the administrator. */
static void conn_remote(struct rb_conn *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (kernel_getpeername(c->sock, (struct sockaddr *)ss) < 0)
		ss->ss_family = AF_UNSPEC;
}

static int bad_frame(struct rb_conn *c, int err, const char *why)
{
	struct sockaddr_storage ss;

	atomic64_inc(&c->t->st.bad_frames);
	conn_remote(c, &ss);
	pr_warn_ratelimited("node %llu: bad frame from node %llu at %pISpc: %s (%s)\n",
			    c->t->ids.local, c->peer_id, &ss, why,
			    rb_wire_err_name(err));
	return -EPROTO;
}

/* Answer a HELLO we do not accept, then close. */
static int refuse(struct rb_conn *c, const struct rb_wire_hdr *h,
		  u16 reason)
{
	u8 buf[RB_WIRE_CTL_MAX];
	struct sockaddr_storage ss;
	int len;

	atomic64_inc(&c->t->st.refused_peers);
	conn_remote(c, &ss);
	pr_warn_ratelimited("node %llu: refused node %llu at %pISpc: %s\n",
			    c->t->ids.local, h->sender, &ss,
			    rb_wire_refuse_name(reason));
	/* Only what the HELLO said: nothing of this node (cluster, id). */
	len = rb_wire_encode_refusal(h, reason, buf);
	if (len > 0)
		send_direct(c, buf, len);
	return -ECONNREFUSED;
}

static bool cluster_unassigned(const u8 *uuid)
{
	return !memchr_inv(uuid, 0, RB_WIRE_UUID_LEN);
}

/*
 * A blank node (no cluster id yet) takes the id of the first cluster
 * that says HELLO, once its owner has made it durable.
 */
static int adopt_cluster(struct rb_transport *t, const u8 *uuid)
{
	bool blank;
	int ret = 0;

	mutex_lock(&t->adopt_lock);
	mutex_lock(&t->lock);
	blank = cluster_unassigned(t->ids.cluster);
	mutex_unlock(&t->lock);
	if (!blank) {
		ret = -EEXIST;
		goto out;
	}
	if (t->ops->adopt_cluster)
		ret = t->ops->adopt_cluster(t->ctx, uuid);
	if (ret)
		goto out;
	mutex_lock(&t->lock);
	memcpy(t->ids.cluster, uuid, RB_WIRE_UUID_LEN);
	mutex_unlock(&t->lock);
	pr_info("node %llu: joined cluster %pU\n", t->ids.local, uuid);
out:
	mutex_unlock(&t->adopt_lock);
	return ret;
}

static int on_header(struct rb_conn *c);

static bool t_blank(struct rb_transport *t)
{
	struct rb_wire_ids ids;

	t_ids(t, &ids);
	return cluster_unassigned(ids.cluster);
}

static bool t_has_secret(struct rb_transport *t, bool current_only)
{
	bool has;

	mutex_lock(&t->lock);
	has = t->sec[0].len || (!current_only && t->sec[1].len);
	mutex_unlock(&t->lock);
	return has;
}

/* Unauthenticated peers are accepted: a slot holds "no secret". */
static bool t_accepts_plain_locked(struct rb_transport *t)
{
	lockdep_assert_held(&t->lock);
	return !t->sec[0].len || t->sec[1].none;
}

static bool t_accepts_plain(struct rb_transport *t)
{
	bool ok;

	mutex_lock(&t->lock);
	ok = t_accepts_plain_locked(t);
	mutex_unlock(&t->lock);
	return ok;
}

/*
 * A peer that failed to authenticate, or whose configuration does not
 * match (one end has a secret, the other not): counted, logged
 * (rate-limited), closed. It learns nothing: the acceptor answers a
 * REFUSE that only echoes the HELLO's ids (refuse()).
 */
static int auth_fail(struct rb_conn *c, const char *why)
{
	struct sockaddr_storage ss;

	atomic64_inc(&c->t->st.auth_failed);
	conn_remote(c, &ss);
	pr_warn_ratelimited("node %llu: authentication with node %llu at %pISpc failed: %s\n",
			    c->t->ids.local, c->peer_id ?: c->hs_peer, &ss,
			    why);
	return -EACCES;
}

/*
 * A peer of an earlier frame MAC: the 32-byte HMAC-SHA256 trailer
 * (RB_WIRE_FEAT_AUTH without RB_WIRE_FEAT_MAC_P1305) or the Poly1305
 * trailer over the data (without RB_WIRE_FEAT_MAC_ENTRY).
 */
static const char old_mac[] =
	"the peer's frame MAC is an earlier one (HMAC-SHA256, or Poly1305 without entry tags): upgrade it";

static int auth_refuse(struct rb_conn *c, const char *why)
{
	auth_fail(c, why);
	return refuse(c, &c->rx_h, RB_WIRE_REFUSE_AUTH);
}

static int on_header_error(struct rb_conn *c, int err, const char *why)
{
	const struct rb_wire_hdr *h = &c->rx_h;
	bool first_hello = c->state == CS_HANDSHAKE && !c->dialed &&
			   !c->hs_step && h->type == RB_WIRE_HELLO;

	if (first_hello && err == RB_WIRE_ECLUSTER) {
		if (cluster_unassigned(h->cluster))
			return refuse(c, h, RB_WIRE_REFUSE_CLUSTER);
		/*
		 * A blank node with a secret adopts the cluster only from a
		 * peer that proved the secret: at the end of the handshake.
		 */
		if (!c->hs_adopt && t_has_secret(c->t, false) &&
		    t_blank(c->t)) {
			c->hs_adopt = true;
			memcpy(c->hs_cluster, h->cluster, RB_WIRE_UUID_LEN);
			return on_header(c);
		}
		/* Decode again with the adopted id (which now matches). */
		if (!c->hs_adopt && !t_has_secret(c->t, false) &&
		    !adopt_cluster(c->t, h->cluster))
			return on_header(c);
		return refuse(c, h, RB_WIRE_REFUSE_CLUSTER);
	}
	if (first_hello && err == RB_WIRE_ENODE)
		return refuse(c, h, RB_WIRE_REFUSE_NODE);
	/* Any future version starts with a version 1 HELLO (see the
	 * documentation); a frame of another version cannot be parsed.
	 */
	if (c->state == CS_HANDSHAKE && !c->dialed &&
	    err == RB_WIRE_EVERSION)
		return refuse(c, h, RB_WIRE_REFUSE_VERSION);
	return bad_frame(c, err, why);
}

/* The frame keys of an authenticated connection, from its prk. */
static int auth_keys(struct rb_conn *c, u64 dialer, u64 acceptor)
{
	u8 kd[RB_WIRE_MAC_LEN], ka[RB_WIRE_MAC_LEN];
	int ret;

	ret = rb_auth_value(c->hs_prk, RB_WIRE_LABEL_DIALER_FRAMES,
			    c->hs_cluster, dialer, acceptor, c->cls, kd);
	if (!ret)
		ret = rb_auth_value(c->hs_prk, RB_WIRE_LABEL_ACCEPTOR_FRAMES,
				    c->hs_cluster, dialer, acceptor, c->cls,
				    ka);
	if (!ret)
		ret = rb_frame_mac_init(&c->tx_mac, c->dialed ? kd : ka);
	if (!ret)
		ret = rb_frame_mac_init(&c->rx_mac, c->dialed ? ka : kd);
	rb_entry_mac_init(&c->entry_mac, c->hs_ekey);
	memzero_explicit(kd, sizeof(kd));
	memzero_explicit(ka, sizeof(ka));
	memzero_explicit(c->hs_prk, sizeof(c->hs_prk));
	memzero_explicit(c->hs_ekey, sizeof(c->hs_ekey));
	if (!ret)
		c->auth = true;
	return ret;
}

/* Send two handshake frames (e.g. HELLO_ACK and AUTH) at once. */
static int send_direct2(struct rb_conn *c, void *a, int alen, void *b,
			int blen)
{
	int ret = send_direct(c, a, alen);

	return ret ?: send_direct(c, b, blen);
}

/* HELLO on an accepted connection. */
static int on_hello(struct rb_conn *c, const struct rb_wire_ctl *ctl)
{
	const struct rb_wire_hdr *h = &c->rx_h;
	bool feat = ctl->features & RB_WIRE_FEAT_AUTH;
	struct rb_wire_ids ids;
	u8 buf[RB_WIRE_CTL_MAX];
	u16 reason;
	int len, ret;

	c->hs_peer = h->sender;		/* for the log lines */
	c->peer_feat = ctl->features;
	reason = rb_wire_hello_refusal(ctl);
	if (!reason && READ_ONCE(c->t->stopping))
		reason = RB_WIRE_REFUSE_SHUTDOWN;
	if (reason)
		return refuse(c, h, reason);
	/*
	 * A node accepts authenticated peers if it holds a secret, and
	 * unauthenticated ones if it holds "no secret" as its current or
	 * second one (authentication being switched on or off cluster-wide:
	 * both). A blank node with a secret adopts a cluster only from a
	 * peer that proves it.
	 */
	if (feat && !t_has_secret(c->t, false))
		return auth_refuse(c, "the peer authenticates, this node has no secret");
	if (feat && (ctl->features & RB_WIRE_FEAT_AUTH_P1305) !=
	    RB_WIRE_FEAT_AUTH_P1305) {
		auth_fail(c, old_mac);
		return refuse(c, h, RB_WIRE_REFUSE_VERSION);
	}
	if (!feat && (c->hs_adopt || !t_accepts_plain(c->t)))
		return auth_refuse(c, "the peer does not authenticate");
	c->cls = ctl->conn_class;
	if (feat) {
		/* Wait for the CHALLENGE; nothing is answered before. */
		c->hs_auth = true;
		memcpy(c->hs_cluster, h->cluster, RB_WIRE_UUID_LEN);
		c->hs_step = 1;
		return 0;
	}
	conn_ids(c, &ids);
	ids.peer = h->sender;
	len = rb_wire_encode_hello_feat(&ids, RB_WIRE_HELLO_ACK, c->cls,
					RB_WIRE_FEAT_OURS, buf);
	if (len < 0)
		return -EINVAL;
	ret = send_direct(c, buf, len);
	if (ret)
		return ret;
	return conn_up(c, h->sender);
}

/*
 * Acceptor: CHALLENGE (the dialer's nonce) is answered with HELLO_ACK
 * and RESPONSE (our nonce, our proof with the current secret, or the
 * next one when there is no current one); PROOF (the dialer's) must
 * match the same secret.
 */
static int on_auth_acceptor(struct rb_conn *c, const struct rb_wire_ctl *ctl)
{
	struct rb_transport *t = c->t;
	const struct rb_wire_hdr *h = &c->rx_h;
	u8 mac[RB_WIRE_MAC_LEN], ack[RB_WIRE_CTL_MAX], buf[RB_WIRE_CTL_MAX];
	struct rb_auth_secret *sec;
	struct rb_wire_ids ids;
	int alen, len, ret;
	u64 local = t->ids.local;

	if (c->hs_step == 1 && ctl->auth_step == RB_WIRE_AUTH_CHALLENGE) {
		sec = kmalloc(sizeof(*sec), GFP_KERNEL);
		if (!sec)
			return -ENOMEM;
		mutex_lock(&t->lock);
		*sec = t->sec[t->sec[0].len ? 0 : 1];
		mutex_unlock(&t->lock);
		memcpy(c->hs_nonce_d, ctl->nonce, RB_WIRE_NONCE_LEN);
		get_random_bytes(c->hs_nonce_a, RB_WIRE_NONCE_LEN);
		ret = sec->len ? 0 : -ENOKEY;
		if (!ret)
			ret = rb_auth_prk(sec, c->hs_nonce_d, c->hs_nonce_a,
					  c->hs_prk);
		if (!ret)
			ret = rb_auth_entry_key(sec, c->hs_cluster,
						c->hs_ekey);
		WRITE_ONCE(c->auth_gen, sec->gen);
		kfree_sensitive(sec);
		if (!ret)
			ret = rb_auth_value(c->hs_prk,
					    RB_WIRE_LABEL_ACCEPTOR_PROOF,
					    c->hs_cluster, h->sender, local,
					    c->cls, mac);
		if (ret == -ENOKEY)
			return auth_refuse(c, "the secret was removed");
		if (ret)
			return ret;
		conn_ids(c, &ids);
		alen = rb_wire_encode_hello_feat(&ids, RB_WIRE_HELLO_ACK,
						 c->cls,
						 RB_WIRE_FEAT_AUTH_P1305 |
						 RB_WIRE_FEAT_OURS, ack);
		len = rb_wire_encode_auth(&ids, RB_WIRE_AUTH_RESPONSE,
					  c->hs_nonce_a, mac, buf);
		memzero_explicit(mac, sizeof(mac));
		if (alen < 0 || len < 0)
			return -EINVAL;
		c->hs_step = 2;
		return send_direct2(c, ack, alen, buf, len);
	}
	if (c->hs_step != 2 || ctl->auth_step != RB_WIRE_AUTH_PROOF)
		return bad_frame(c, RB_WIRE_EBADFRAME,
				 "AUTH frame out of order");
	ret = rb_auth_value(c->hs_prk, RB_WIRE_LABEL_DIALER_PROOF,
			    c->hs_cluster, h->sender, local, c->cls, mac);
	if (ret)
		return ret;
	if (crypto_memneq(mac, ctl->proof, RB_WIRE_MAC_LEN))
		return auth_refuse(c, "its proof does not match the secret");
	if (c->hs_adopt && adopt_cluster(t, c->hs_cluster)) {
		struct rb_wire_ids now;

		t_ids(t, &now);
		if (memcmp(now.cluster, c->hs_cluster, RB_WIRE_UUID_LEN))
			return refuse(c, h, RB_WIRE_REFUSE_CLUSTER);
	}
	ret = auth_keys(c, h->sender, local);
	if (ret)
		return ret;
	return conn_up(c, h->sender);
}

/*
 * Dialer: the acceptor's RESPONSE must prove a secret we hold (current
 * or next: the acceptor may have promoted the next one already); we then
 * prove the same one.
 */
static int on_auth_dialer(struct rb_conn *c, const struct rb_wire_ctl *ctl)
{
	struct rb_transport *t = c->t;
	u8 mac[RB_WIRE_MAC_LEN], buf[RB_WIRE_CTL_MAX];
	struct rb_auth_secret *sec;
	struct rb_wire_ids ids;
	int i, len, found = -1, ret = 0;

	if (c->hs_step != 1 || ctl->auth_step != RB_WIRE_AUTH_RESPONSE)
		return bad_frame(c, RB_WIRE_EBADFRAME,
				 "AUTH frame out of order");
	sec = kmalloc_array(2, sizeof(*sec), GFP_KERNEL);
	if (!sec)
		return -ENOMEM;
	mutex_lock(&t->lock);
	memcpy(sec, t->sec, 2 * sizeof(*sec));
	mutex_unlock(&t->lock);
	memcpy(c->hs_nonce_a, ctl->nonce, RB_WIRE_NONCE_LEN);
	for (i = 0; i < 2 && found < 0 && !ret; i++) {
		if (!sec[i].len)
			continue;
		ret = rb_auth_prk(&sec[i], c->hs_nonce_d, c->hs_nonce_a,
				  c->hs_prk);
		if (!ret)
			ret = rb_auth_value(c->hs_prk,
					    RB_WIRE_LABEL_ACCEPTOR_PROOF,
					    c->hs_cluster, t->ids.local,
					    c->peer_id, c->cls, mac);
		if (!ret && !crypto_memneq(mac, ctl->proof, RB_WIRE_MAC_LEN))
			found = i;
	}
	if (found >= 0) {
		WRITE_ONCE(c->auth_gen, sec[found].gen);
		ret = rb_auth_entry_key(&sec[found], c->hs_cluster,
					c->hs_ekey);
	}
	kfree_sensitive(sec);
	if (ret)
		return ret;
	if (found < 0)
		return auth_fail(c, "its proof matches no secret of this node");
	ret = rb_auth_value(c->hs_prk, RB_WIRE_LABEL_DIALER_PROOF,
			    c->hs_cluster, t->ids.local, c->peer_id, c->cls,
			    mac);
	if (ret)
		return ret;
	conn_ids(c, &ids);
	len = rb_wire_encode_auth(&ids, RB_WIRE_AUTH_PROOF, NULL, mac, buf);
	memzero_explicit(mac, sizeof(mac));
	if (len < 0)
		return -EINVAL;
	ret = send_direct(c, buf, len);
	if (!ret)
		ret = auth_keys(c, t->ids.local, c->peer_id);
	if (ret)
		return ret;
	return conn_up(c, c->peer_id);
}

/* HELLO_ACK, AUTH or REFUSE on a dialed connection. */
static int on_hello_reply(struct rb_conn *c, const struct rb_wire_ctl *ctl)
{
	const struct rb_wire_hdr *h = &c->rx_h;
	bool feat = ctl->features & RB_WIRE_FEAT_AUTH;

	if (h->type == RB_WIRE_REFUSE) {
		atomic64_inc(&c->t->st.refused_by_peer);
		pr_warn_ratelimited("node %llu: node %llu refused the connection: %s\n",
				    c->t->ids.local, c->peer_id,
				    rb_wire_refuse_name(ctl->reason));
		return -ECONNREFUSED;
	}
	if (h->type == RB_WIRE_AUTH && c->hs_auth)
		return on_auth_dialer(c, ctl);
	if (h->type != RB_WIRE_HELLO_ACK || c->hs_step)
		return bad_frame(c, RB_WIRE_EBADFRAME,
				 "expected HELLO_ACK or REFUSE");
	if (ctl->conn_class != c->cls || rb_wire_hello_refusal(ctl))
		return bad_frame(c, RB_WIRE_EBADFRAME,
				 "HELLO_ACK does not match the HELLO");
	c->peer_feat = ctl->features;
	if (feat != c->hs_auth)
		return auth_fail(c, feat ? "the peer authenticates, this node has no secret" :
				 "the peer does not authenticate");
	if (feat && (ctl->features & RB_WIRE_FEAT_AUTH_P1305) !=
	    RB_WIRE_FEAT_AUTH_P1305)
		return auth_fail(c, old_mac);
	if (c->hs_auth) {
		c->hs_step = 1;		/* its RESPONSE follows */
		return 0;
	}
	return conn_up(c, c->peer_id);
}

static int queue_ctl_frame(struct rb_conn *c, u8 type, u64 cookie);

/* A complete meta part of a frame other than RAFT_MSG. */
static int on_control(struct rb_conn *c)
{
	const struct rb_wire_hdr *h = &c->rx_h;
	struct rb_wire_ctl ctl;
	const char *why = "";
	int ret;

	ret = rb_wire_decode_ctl(h, c->rx_meta, &ctl, &why);
	if (ret)
		return bad_frame(c, ret, why);
	atomic64_inc(&c->t->st.frames_received);
	if (c->state == CS_HANDSHAKE && !c->dialed) {
		if (!c->hs_step && h->type == RB_WIRE_HELLO)
			return on_hello(c, &ctl);
		if (c->hs_step && h->type == RB_WIRE_AUTH)
			return on_auth_acceptor(c, &ctl);
		return bad_frame(c, RB_WIRE_EBADFRAME,
				 c->hs_step ? "expected AUTH" :
				 "expected HELLO");
	}
	if (c->state == CS_HANDSHAKE)
		return on_hello_reply(c, &ctl);
	switch (h->type) {
	case RB_WIRE_PING:
		return queue_ctl_frame(c, RB_WIRE_PONG, ctl.cookie);
	case RB_WIRE_PONG:
		return 0;
	default:
		return bad_frame(c, RB_WIRE_EBADFRAME,
				 "handshake frame on an established connection");
	}
}

static void deliver(struct rb_conn *c)
{
	size_t charge = c->rx_charge;

	raft_free(c->rx_descs);
	c->rx_descs = NULL;
	atomic64_inc(&c->t->st.frames_received);
	/* The message's content and its charge now belong to the callee. */
	c->rx_charge = 0;
	if (c->t->ops->deliver(c->t->ctx, &c->rx_msg, charge))
		rx_uncharge(c->t, c->peer_id, charge);
	memset(&c->rx_msg, 0, sizeof(c->rx_msg));
	rx_reset(c);
}

/* Read the data of the RAFT_MSG being received; 1 when complete. */
static int rx_data(struct rb_conn *c)
{
	const char *why = "";
	int ret;

	while (c->rx_cur < c->rx_msg.n_entries) {
		const struct rb_wire_payload_desc *d = &c->rx_descs[c->rx_cur];
		struct raft_entry *e = &c->rx_msg.entries[c->rx_cur];

		if (!d->present) {
			c->rx_cur++;
			continue;
		}
		if (!e->payload) {
			e->payload = d->data_len ?
				raftblk_payload_alloc(d->data_len) :
				raftblk_payload_alloc_nodata(d->sector, d->len,
							     d->flags);
			if (!e->payload)
				return -ENOMEM;
			e->payload->sector = d->sector;
			e->payload->flags = d->flags;
			c->rx_off = 0;
			if (c->auth && d->data_len) {
				/* the tags were read and MACed before */
				if (c->rx_tagi >= c->rx_ntags)
					return bad_frame(c, RB_WIRE_EBADFRAME,
							 "more data than entry tags");
				rb_entry_tag_begin(&c->entry_mac,
						   c->rx_tags + c->rx_tagi *
						   RB_WIRE_ENTRY_TAG_LEN,
						   &c->rx_poly);
			}
		}
		while (c->rx_off < d->data_len) {
			ret = recv_payload(c, e->payload, d->data_len);
			if (ret <= 0)
				return ret;
			/*
			 * MACed now, just copied: at the end only the
			 * last chunk is left, not a pass over it all.
			 */
			if (c->auth)
				rb_entry_tag_update(&c->rx_poly, e->payload,
						    c->rx_off, ret);
			c->rx_off += ret;
		}
		if (d->data_len && c->auth) {
			ret = rb_entry_tag_end(&c->rx_poly, c->auth_gen,
					       e->payload,
					       c->rx_tags + c->rx_tagi *
					       RB_WIRE_ENTRY_TAG_LEN);
			if (ret)
				return auth_fail(c, "entry MAC mismatch");
			c->rx_tagi++;
		}
		if (d->data_len) {
			/*
			 * The crc too, authenticated or not: it goes into
			 * our log record, whose check at restart would
			 * drop the entry (and every one after it) if the
			 * leader's crc did not match its data; refused
			 * here, such an entry never commits.
			 */
			ret = rb_wire_check_data(d,
						 ~raftblk_payload_crc(e->payload),
						 &why);
			if (ret)
				return bad_frame(c, ret, why);
		}
		c->rx_cur++;
		c->rx_off = 0;
	}
	return 1;
}

/* A complete header: check it, prepare for the meta part. */
static int on_header(struct rb_conn *c)
{
	struct rb_wire_ids ids;
	const char *why = "";
	int ret;

	conn_ids(c, &ids);
	ret = rb_wire_decode_header(c->rx_hdr, &c->t->cfg.limits, &ids,
				    &c->rx_h, &why);
	if (ret)
		return on_header_error(c, ret, why);
	c->rx_have = 0;
	if (c->auth) {
		ret = rb_frame_mac_begin(&c->rx_mac);
		if (!ret)
			ret = rb_frame_mac_update(&c->rx_mac, c->rx_hdr,
						  RB_WIRE_HDR_LEN);
		if (ret)
			return ret;
	}
	if (c->rx_h.type == RB_WIRE_RAFT_MSG) {
		if (c->state != CS_UP)
			return bad_frame(c, RB_WIRE_EBADFRAME,
					 "message before the handshake");
		/* Nothing allocated before the budget has room for it. */
		c->rx_phase = RX_ADMIT;
		return 0;
	}
	c->rx_phase = RX_META;	/* a control frame: fits rx_small */
	return 0;
}

/*
 * Take the receive budget for the RAFT_MSG whose header was read, then
 * its meta buffer: true when done; false when it does not fit (the
 * connection stops reading until rx_uncharge() wakes it: TCP pushes back
 * on the sender).
 */
static bool rx_admit(struct rb_conn *c)
{
	struct rb_transport *t = c->t;
	size_t cost = rb_transport_rx_cost(&t->cfg.limits, c->rx_h.meta_len,
					   c->rx_h.data_len);
	size_t room = t->cfg.rx_bytes, peer_room = t->cfg.rx_peer_bytes;
	struct rb_peer *p;
	bool ok;

	if (c->cls != RB_WIRE_CLASS_CONTROL) {
		room -= RB_RX_CONTROL_RESERVE;
		peer_room -= RB_RX_CONTROL_RESERVE;
	}
	mutex_lock(&t->lock);
	p = peer_find(t, c->peer_id);
	ok = t->rx_used + cost <= room &&
	     (!p || p->rx_used + cost <= peer_room);
	if (ok) {
		t->rx_used += cost;
		t->rx_peak = max(t->rx_peak, t->rx_used);
		if (p)
			p->rx_used += cost;
		c->rx_charge = cost;
		c->rx_waiting = false;
	} else if (!c->rx_waiting) {
		c->rx_waiting = true;
		atomic64_inc(&t->st.rx_paused);
	}
	mutex_unlock(&t->lock);
	return ok;
}

static int rx_alloc_meta(struct rb_conn *c)
{
	if (c->rx_h.meta_len > RB_SMALL_META) {
		/* NOIO scope: GFP_KERNEL does not recurse into I/O. */
		c->rx_meta = kvmalloc(c->rx_h.meta_len, GFP_KERNEL);
		if (!c->rx_meta) {
			c->rx_meta = c->rx_small;
			return -ENOMEM;
		}
	}
	c->rx_phase = RX_META;
	return 0;
}

static void rx_uncharge(struct rb_transport *t, u64 peer_id, size_t charge)
{
	struct rb_peer *p;
	struct rb_conn *c;

	if (!charge)
		return;
	mutex_lock(&t->lock);
	t->rx_used -= min(charge, t->rx_used);
	p = peer_find(t, peer_id);
	if (p)
		p->rx_used -= min(charge, p->rx_used);
	/* Whoever waits tries again (and waits again if still too big). */
	list_for_each_entry(c, &t->conns, node) {
		if (c->rx_waiting) {
			c->rx_waiting = false;
			queue_work(t->wq, &c->rx_work);
		}
	}
	mutex_unlock(&t->lock);
}

void rb_transport_rx_done(struct rb_transport *t, u64 peer_id, size_t charge)
{
	rx_uncharge(t, peer_id, charge);
}

size_t rb_transport_rx_cost(const struct rb_wire_limits *lim, u32 meta_len,
			    u32 data_len)
{
	u64 ents = 0;

	if (meta_len > RB_WIRE_MSG_LEN)
		ents = (meta_len - RB_WIRE_MSG_LEN) / RB_WIRE_ENTRY_LEN;
	ents = min_t(u64, ents, lim->max_entries);
	return RB_RX_MSG_COST + (size_t)meta_len + data_len + data_len / 64 +
	       ents * RB_RX_ENTRY_COST;
}

static int rx_alloc_tags(struct rb_conn *c);
static int rx_check_mac(struct rb_conn *c);

/* A complete meta part. */
static int on_meta(struct rb_conn *c)
{
	const char *why = "";
	int ret;

	if (c->auth) {
		ret = rb_frame_mac_update(&c->rx_mac, c->rx_meta,
					  c->rx_h.meta_len);
		if (ret)
			return ret;
	}
	if (c->rx_h.type != RB_WIRE_RAFT_MSG) {
		if (c->auth) {
			/* Handled once its MAC is checked. */
			c->rx_phase = RX_MAC;
			c->rx_have = 0;
			return 0;
		}
		ret = on_control(c);
		rx_reset(c);
		return ret;
	}
	ret = rb_wire_decode_msg(&c->rx_h, c->rx_meta, &c->t->cfg.limits,
				 &c->rx_msg, &c->rx_descs, &why);
	if (ret == RB_WIRE_ENOMEM)
		return -ENOMEM;
	if (ret)
		return bad_frame(c, ret, why);
	if (c->rx_meta != c->rx_small)
		kvfree(c->rx_meta);
	c->rx_meta = c->rx_small;
	c->rx_phase = RX_DATA;
	c->rx_cur = 0;
	c->rx_off = 0;
	if (c->auth)
		return rx_alloc_tags(c);
	return 0;
}

/*
 * Authenticated: a message with data has its entry tags and the MAC
 * trailer after the meta part (RX_TAGS), before the data; one without
 * has the trailer after the meta part (RX_MAC, after RX_DATA's
 * data-less payloads).
 */
static int rx_alloc_tags(struct rb_conn *c)
{
	size_t len;
	u32 i, n = 0;

	for (i = 0; i < c->rx_msg.n_entries; i++)
		if (c->rx_descs[i].present && c->rx_descs[i].data_len)
			n++;
	c->rx_ntags = n;
	c->rx_tagi = 0;
	if (!n)
		return 0;
	len = (size_t)n * RB_WIRE_ENTRY_TAG_LEN + RB_WIRE_FRAME_MAC_LEN;
	if (len > sizeof(c->rx_tags_small)) {
		/* NOIO scope: GFP_KERNEL does not recurse into I/O. */
		c->rx_tags = kvmalloc(len, GFP_KERNEL);
		if (!c->rx_tags) {
			c->rx_tags = c->rx_tags_small;
			return -ENOMEM;
		}
	}
	c->rx_phase = RX_TAGS;
	c->rx_have = 0;
	return 0;
}

/*
 * The entry tags and the trailer read: the frame MAC covers the header,
 * meta part and tags; each entry's data is then checked against its tag
 * as it arrives (rx_data()).
 */
static int rx_check_tags(struct rb_conn *c)
{
	size_t len = (size_t)c->rx_ntags * RB_WIRE_ENTRY_TAG_LEN;
	int ret;

	ret = rb_frame_mac_update(&c->rx_mac, c->rx_tags, len);
	if (ret)
		return ret;
	memcpy(c->rx_mac_buf, c->rx_tags + len, RB_WIRE_FRAME_MAC_LEN);
	ret = rx_check_mac(c);
	if (ret)
		return ret;
	c->rx_phase = RX_DATA;
	c->rx_have = 0;
	return 0;
}

/*
 * The MAC trailer of the frame just read: nothing of a frame whose MAC
 * does not match is used (a forged, replayed, reordered or reflected
 * frame: the sequence number or the key differs).
 */
static int rx_check_mac(struct rb_conn *c)
{
	u8 mac[RB_WIRE_FRAME_MAC_LEN];
	int ret;

	ret = rb_frame_mac_end(&c->rx_mac, mac);
	if (ret)
		return ret;
	ret = crypto_memneq(mac, c->rx_mac_buf, RB_WIRE_FRAME_MAC_LEN);
	memzero_explicit(mac, sizeof(mac));
	if (ret)
		return auth_fail(c, "frame MAC mismatch");
	return 0;
}

/*
 * Read the rest of the MAC trailer (into rx_mac_buf, counted in rx_have)
 * and, in the same call, the next frame's header as far as it is there
 * (*ahead bytes into rx_hdr): one socket call per frame, as without
 * authentication. *drained: the read was short, so nothing more is
 * queued on the socket now (data that comes later wakes rx_work).
 * Returns what recv_some() returns.
 */
static int recv_mac(struct rb_conn *c, size_t *ahead, bool *drained)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	size_t want = RB_WIRE_FRAME_MAC_LEN - c->rx_have;
	struct kvec kv[2] = {
		{ .iov_base = c->rx_mac_buf + c->rx_have, .iov_len = want },
		{ .iov_base = c->rx_hdr, .iov_len = RB_WIRE_HDR_LEN },
	};
	int ret;

	ret = kernel_recvmsg(c->sock, &msg, kv, 2, want + RB_WIRE_HDR_LEN,
			     msg.msg_flags);
	if (ret == -EAGAIN)
		return 0;
	if (ret == 0)
		return -ECONNRESET;
	if (ret < 0)
		return ret;
	rx_account(c, ret);
	*drained = ret < want + RB_WIRE_HDR_LEN;
	*ahead = ret > want ? ret - want : 0;
	c->rx_have += ret - *ahead;
	return ret;
}

/* Read and handle frames: 0 wait for data, 1 budget used, < 0 error. */
static int conn_receive(struct rb_conn *c)
{
	int frames = 0, ret;
	size_t ahead;
	bool drained;

	while (frames < RB_RX_BUDGET) {
		if (READ_ONCE(c->state) == CS_CLOSING)
			return 0;
		switch (c->rx_phase) {
		case RX_HDR:
			/* (part of it may have come with the last trailer) */
			if (c->rx_have < RB_WIRE_HDR_LEN) {
				ret = recv_some(c, c->rx_hdr + c->rx_have,
						RB_WIRE_HDR_LEN - c->rx_have);
				if (ret <= 0)
					return ret;
				c->rx_have += ret;
			}
			if (c->rx_have == RB_WIRE_HDR_LEN) {
				ret = on_header(c);
				if (ret)
					return ret;
			}
			break;
		case RX_ADMIT:
			if (!rx_admit(c))
				return 0;
			ret = rx_alloc_meta(c);
			if (ret)
				return ret;
			break;
		case RX_META:
			if (c->rx_have < c->rx_h.meta_len) {
				ret = recv_some(c, c->rx_meta + c->rx_have,
						c->rx_h.meta_len - c->rx_have);
				if (ret <= 0)
					return ret;
				c->rx_have += ret;
			}
			if (c->rx_have == c->rx_h.meta_len) {
				ret = on_meta(c);
				if (ret)
					return ret;
				if (c->rx_phase == RX_HDR)
					frames++;
			}
			break;
		case RX_TAGS:
			if (c->rx_have < c->rx_ntags * RB_WIRE_ENTRY_TAG_LEN +
			    RB_WIRE_FRAME_MAC_LEN) {
				ret = recv_some(c, c->rx_tags + c->rx_have,
						c->rx_ntags *
						RB_WIRE_ENTRY_TAG_LEN +
						RB_WIRE_FRAME_MAC_LEN -
						c->rx_have);
				if (ret <= 0)
					return ret;
				c->rx_have += ret;
			}
			if (c->rx_have == c->rx_ntags * RB_WIRE_ENTRY_TAG_LEN +
			    RB_WIRE_FRAME_MAC_LEN) {
				ret = rx_check_tags(c);
				if (ret)
					return ret;
			}
			break;
		case RX_DATA:
			ret = rx_data(c);
			if (ret <= 0)
				return ret;
			if (c->auth && !c->rx_ntags) {
				c->rx_phase = RX_MAC;
				c->rx_have = 0;
				break;
			}
			deliver(c);
			frames++;
			break;
		case RX_MAC:
			ret = recv_mac(c, &ahead, &drained);
			if (ret <= 0)
				return ret;
			if (c->rx_have < RB_WIRE_FRAME_MAC_LEN)
				break;
			ret = rx_check_mac(c);
			if (ret)
				return ret;
			if (c->rx_h.type == RB_WIRE_RAFT_MSG) {
				deliver(c);
			} else {
				ret = on_control(c);
				rx_reset(c);
				if (ret)
					return ret;
			}
			frames++;
			/* the next header's first bytes, read with the MAC */
			c->rx_have = ahead;
			if (drained)
				return 0;
			break;
		}
	}
	return 1;
}

/* The dialed socket's TCP handshake: 1 still going, 0 done, < 0 error. */
static int conn_connected(struct rb_conn *c)
{
	struct sock *sk = c->sock->sk;
	struct rb_wire_ids ids;
	u8 buf[RB_WIRE_CTL_MAX], abuf[RB_WIRE_CTL_MAX];
	int len, alen = 0, ret;

	if (!c->connect_started) {
		c->connect_started = true;
		ret = kernel_connect(c->sock, (struct sockaddr *)&c->addr,
				     addr_len(&c->addr), O_NONBLOCK);
		if (ret && ret != -EINPROGRESS)
			return ret;
	}
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_SYN_SENT:
		return 1;
	case TCP_ESTABLISHED:
		break;
	default:
		ret = sock_error(sk);
		return ret ? ret : -ECONNREFUSED;
	}
	conn_ids(c, &ids);
	/* With a current secret, HELLO is followed by our CHALLENGE. */
	c->hs_auth = t_has_secret(c->t, true);
	len = rb_wire_encode_hello_feat(&ids, RB_WIRE_HELLO, c->cls,
					(c->hs_auth ? RB_WIRE_FEAT_AUTH_P1305 :
					 0) | RB_WIRE_FEAT_OURS, buf);
	if (len < 0)
		return -EINVAL;
	if (c->hs_auth) {
		memcpy(c->hs_cluster, ids.cluster, RB_WIRE_UUID_LEN);
		get_random_bytes(c->hs_nonce_d, RB_WIRE_NONCE_LEN);
		alen = rb_wire_encode_auth(&ids, RB_WIRE_AUTH_CHALLENGE,
					   c->hs_nonce_d, NULL, abuf);
		if (alen < 0)
			return -EINVAL;
	}
	mutex_lock(&c->t->lock);
	if (c->state == CS_CONNECTING)
		c->state = CS_HANDSHAKE;
	mutex_unlock(&c->t->lock);
	if (c->hs_auth)
		return send_direct2(c, buf, len, abuf, alen);
	return send_direct(c, buf, len);
}

static void conn_rx_work(struct work_struct *w)
{
	struct rb_conn *c = container_of(w, struct rb_conn, rx_work);
	unsigned int noio = memalloc_noio_save();
	int ret = 0;

	if (READ_ONCE(c->state) == CS_CLOSING)
		goto out;
	if (READ_ONCE(c->state) == CS_CONNECTING) {
		ret = conn_connected(c);
		if (ret > 0)
			goto out;
		if (ret < 0) {
			conn_fail(c, ret, "connect failed");
			goto out;
		}
	}
	ret = conn_receive(c);
	if (ret < 0)
		conn_fail(c, ret, ret == -ECONNRESET ? "closed by the peer" :
			  "receive failed");
	else if (ret > 0)
		queue_work(c->t->wq, &c->rx_work);
out:
	memalloc_noio_restore(noio);
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */

static void txq_add_locked(struct rb_conn *c, struct rb_tx *tx)
{
	list_add_tail(&tx->node, &c->txq);
	c->q_frames++;
	c->q_bytes += tx->bytes;
}

static struct rb_tx *txq_pop(struct rb_conn *c)
{
	struct rb_tx *tx;

	mutex_lock(&c->t->lock);
	tx = list_first_entry_or_null(&c->txq, struct rb_tx, node);
	if (tx) {
		list_del(&tx->node);
		c->q_frames--;
		c->q_bytes -= tx->bytes;
	}
	mutex_unlock(&c->t->lock);
	return tx;
}

static int queue_ctl_frame(struct rb_conn *c, u8 type, u64 cookie)
{
	struct rb_wire_ids ids;
	struct rb_tx *tx;

	conn_ids(c, &ids);
	tx = tx_alloc(RB_WIRE_HDR_LEN + RB_WIRE_PING_LEN, 0);
	if (!tx)
		return -ENOMEM;
	if (rb_wire_encode_ping(&ids, type, cookie, tx->buf) < 0) {
		tx_free(tx);
		return -EINVAL;
	}
	mutex_lock(&c->t->lock);
	if (c->state != CS_UP) {
		mutex_unlock(&c->t->lock);
		tx_free(tx);
		return 0;
	}
	txq_add_locked(c, tx);
	mutex_unlock(&c->t->lock);
	queue_work(c->t->wq, &c->tx_work);
	return 0;
}

/*
 * The parts of a frame: 0 the header and meta part, authenticated
 * followed by the entry tags and the MAC trailer (all in one socket
 * call: the trailer costs no call of its own, with data or without),
 * then each payload's data.
 */
static size_t tx_tags_len(const struct rb_tx *tx)
{
	return tx->has_mac ? (size_t)tx->n_pl * RB_WIRE_ENTRY_TAG_LEN : 0;
}

static size_t tx_part_len(const struct rb_tx *tx, u32 part)
{
	if (!part)
		return tx->len + tx_tags_len(tx) +
		       (tx->has_mac ? sizeof(tx->mac) : 0);
	return raftblk_payload_data_len(tx->pl[part - 1]);
}

/* Send part of the current frame: bytes sent, 0 if the socket is full. */
static int tx_some(struct rb_conn *c, bool last_frame)
{
	struct rb_tx *tx = c->tx_cur;
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	bool last_part = c->tx_part == tx->n_pl;
	int ret;

	if (c->tx_part == 0) {
		/* The header and meta part (and tags and trailer). */
		struct msghdr msg = { .msg_flags = flags };
		const struct kvec seg[3] = {
			{ .iov_base = tx->buf, .iov_len = tx->len },
			{ .iov_base = tx->tags, .iov_len = tx_tags_len(tx) },
			{ .iov_base = tx->mac,
			  .iov_len = tx->has_mac ? sizeof(tx->mac) : 0 },
		};
		struct kvec kv[3];
		size_t off = c->tx_off;
		int i, n = 0;

		for (i = 0; i < 3; i++) {
			if (off >= seg[i].iov_len) {
				off -= seg[i].iov_len;
				continue;
			}
			kv[n].iov_base = seg[i].iov_base + off;
			kv[n++].iov_len = seg[i].iov_len - off;
			off = 0;
		}
		if (!last_part || !last_frame)
			msg.msg_flags |= MSG_MORE;
		ret = kernel_sendmsg(c->sock, &msg, kv, n,
				     tx_part_len(tx, 0) - c->tx_off);
	} else {
		/*
		 * Zero copy: TCP takes a reference on the page and sends
		 * from it, also on retransmission. Payload pages are
		 * immutable once proposed and freed with put_page, so the
		 * bytes stay the ones the crc covers.
		 */
		struct raft_payload *p = tx->pl[c->tx_part - 1];
		u32 dlen = raftblk_payload_data_len(p);
		u32 pg = c->tx_off >> PAGE_SHIFT;
		u32 po = offset_in_page(c->tx_off);
		u32 n = min_t(u32, PAGE_SIZE - po, dlen - c->tx_off);

		if (!last_part || !last_frame || c->tx_off + n < dlen)
			flags |= MSG_MORE;
		if (sendpage_ok(p->pages[pg])) {
			ret = kernel_sendpage(c->sock, p->pages[pg], po, n,
					      flags);
		} else {
			struct msghdr msg = { .msg_flags = flags };
			struct bio_vec bv;

			bvec_set_page(&bv, p->pages[pg], n, po);
			iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, n);
			ret = sock_sendmsg(c->sock, &msg);
		}
	}
	if (ret == -EAGAIN)
		return 0;
	return ret;
}

/*
 * The MAC of the frame about to be sent, with the connection's next
 * sequence number: computed when it leaves the queue, so frames dropped
 * from the queue never leave a gap.
 */
static int tx_seal(struct rb_conn *c, struct rb_tx *tx)
{
	u32 i;
	int ret;

	/* each payload's tag: kept in it, so computed once, not per peer */
	for (i = 0; i < tx->n_pl; i++)
		rb_entry_tag_get(&c->entry_mac, c->auth_gen, tx->pl[i],
				 tx->tags + i * RB_WIRE_ENTRY_TAG_LEN);
	ret = rb_frame_mac_begin(&c->tx_mac);
	if (!ret)
		ret = rb_frame_mac_update(&c->tx_mac, tx->buf, tx->len);
	if (!ret)
		ret = rb_frame_mac_update(&c->tx_mac, tx->tags,
					  (size_t)tx->n_pl *
					  RB_WIRE_ENTRY_TAG_LEN);
	if (!ret)
		ret = rb_frame_mac_end(&c->tx_mac, tx->mac);
	tx->has_mac = !ret;
	return ret;
}

/* tx becomes the frame in progress, sealed with the next sequence. */
static int tx_start(struct rb_conn *c, struct rb_tx *tx)
{
	lockdep_assert_held(&c->tx_mutex);
	c->tx_cur = tx;
	c->tx_part = 0;
	c->tx_off = 0;
	return c->auth ? tx_seal(c, tx) : 0;
}

/*
 * Send the frame in progress, then (not one) queued frames: 0 done or
 * socket full, 1 budget used, < 0 error. Under tx_mutex.
 */
static int conn_send(struct rb_conn *c, bool one)
{
	size_t budget = RB_TX_BUDGET;
	int ret;

	lockdep_assert_held(&c->tx_mutex);
	while (budget) {
		if (READ_ONCE(c->state) != CS_UP)
			return 0;
		if (!c->tx_cur) {
			struct rb_tx *tx = one ? NULL : txq_pop(c);

			if (!tx)
				return 0;
			ret = tx_start(c, tx);
			if (ret)
				return ret;
		}
		ret = tx_some(c, list_empty_careful(&c->txq));
		if (ret <= 0)
			return ret;
		atomic64_add(ret, &c->t->st.bytes_sent);
		budget -= min_t(size_t, budget, ret);
		c->tx_off += ret;
		while (c->tx_cur && c->tx_off == tx_part_len(c->tx_cur,
							     c->tx_part)) {
			c->tx_off = 0;
			if (c->tx_part++ == c->tx_cur->n_pl) {
				tx_free(c->tx_cur);
				c->tx_cur = NULL;
				atomic64_inc(&c->t->st.frames_sent);
				WRITE_ONCE(c->last_tx, jiffies);
			}
		}
	}
	return 1;
}

static void conn_tx_work(struct work_struct *w)
{
	struct rb_conn *c = container_of(w, struct rb_conn, tx_work);
	unsigned int noio = memalloc_noio_save();
	int ret;

	mutex_lock(&c->tx_mutex);
	ret = conn_send(c, false);
	mutex_unlock(&c->tx_mutex);
	if (ret < 0)
		conn_fail(c, ret, "send failed");
	else if (ret > 0)
		queue_work(c->t->wq, &c->tx_work);
	memalloc_noio_restore(noio);
}

/*
 * May a sender send its frame on c itself, now (a frame of at most
 * RB_DIRECT_MAX bytes)? Only if c is up, nothing
 * is queued and nobody sends on c (tx_mutex free, no frame in progress):
 * then every frame queued before is in the socket, and frames queued
 * after it (once t->lock is let go) wait behind it: tx_work sends the
 * frame in progress first. On true, tx_mutex is held: call
 * conn_send_direct(). Under t->lock (trylock: t->lock nests inside
 * tx_mutex).
 */
static bool conn_take_direct(struct rb_conn *c)
{
	lockdep_assert_held(&c->t->lock);
	if (c->state != CS_UP || !list_empty(&c->txq) ||
	    !mutex_trylock(&c->tx_mutex))
		return false;
	if (c->tx_cur) {
		mutex_unlock(&c->tx_mutex);
		return false;
	}
	return true;
}

/*
 * Send tx on c, which conn_take_direct() gave this caller, from the
 * caller's context without waiting: what the socket does not take now
 * (full) is left to tx_work, as are the frames queued meanwhile. Saves
 * the hand-off to tx_work (a wake-up and a context switch per frame and
 * peer) when the connection is idle.
 * Called with tx_mutex held (and maybe the caller's own locks, e.g. the
 * node's), t->lock not held; releases tx_mutex.
 */
static void conn_send_direct(struct rb_conn *c, struct rb_tx *tx)
{
	int ret;

	atomic64_inc(&c->t->st.frames_direct);
	ret = tx_start(c, tx);
	if (!ret)
		ret = conn_send(c, true);
	if (ret < 0)
		conn_fail(c, ret, "send failed");	/* tx freed by close */
	else if (c->tx_cur || !list_empty_careful(&c->txq))
		/* before letting go of tx_mutex: see conn_close_work() */
		queue_work(c->t->wq, &c->tx_work);
	mutex_unlock(&c->tx_mutex);
}

/*
 * Every APPEND goes over the bulk connection, with or without entries:
 * an empty APPEND (a probe, or the new commit index) names the leader's
 * next index as its previous one, so overtaking the entries still on
 * their way it would be rejected and send the leader back to the
 * follower's match index, resending everything in flight.
 */
static u8 msg_class(const struct raft_msg *m)
{
	if (m->type == RAFT_MSG_SNAPSHOT && (m->flags & RB_WIRE_MSGF_COPY) &&
	    (m->hint_term == RB_WIRE_COPY_ABORT ||
	     m->hint_term == RB_WIRE_COPY_SNAPREPORT ||
	     m->hint_term == RB_WIRE_COPY_SNAPRELAY))
		return RB_WIRE_CLASS_CONTROL;	/* small: reports, an abort */
	if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT)
		return RB_WIRE_CLASS_BULK;
	return RB_WIRE_CLASS_CONTROL;
}

/*
 * The connection to send m (of class cls) on: its own, else the other
 * one; but a SNAPSHOT (the message that starts a copy, and the copy's
 * frames) only on the bulk connection: the frames of a copy must arrive
 * in order, and those queued on the control connection while the bulk
 * one was down were overtaken by the next ones once it was up (the
 * follower dropped the copy: "chunk missing or out of order").
 */
static struct rb_conn *peer_pick(struct rb_peer *p, const struct raft_msg *m,
				 u8 cls)
{
	if (p->conn[cls - 1])
		return p->conn[cls - 1];
	if (m->type == RAFT_MSG_SNAPSHOT && cls == RB_WIRE_CLASS_BULK)
		return NULL;
	return p->conn[RB_CLASSES - cls];
}

/* A SNAPSHOT that starts a copy (resync.h); not a copy's own frames. */
static bool msg_starts_copy(const struct raft_msg *m)
{
	return m->type == RAFT_MSG_SNAPSHOT && m->snap.index &&
	       !(m->flags & RB_WIRE_MSGF_COPY);
}

/*
 * May c, p's bulk connection, carry the SNAPSHOT that starts a copy? Only
 * if the peer sent something on it since it may last have started anew
 * (p->renewed_ns): a peer that rebooted while we held its previous life's
 * connections dials us again (or answers on a new control connection)
 * before its core asks for a copy, but our bulk connection to its
 * previous life stays up until a frame sent on it draws a reset. A
 * SNAPSHOT sent there goes nowhere; the copy's next chunks go on the
 * new connection, and the node drops the copy it never heard of (a
 * second copy on every follower reboot). Otherwise c is probed (a PING:
 * the peer's answer proves it, a stale one draws the reset that closes
 * it), at most every RB_PROBE_MS. Under t->lock.
 */
static bool snap_conn_heard(struct rb_transport *t, struct rb_peer *p,
			    struct rb_conn *c)
{
	struct rb_wire_ids ids = t->ids;	/* t->lock held */
	unsigned long now = jiffies;
	struct rb_tx *tx;

	lockdep_assert_held(&t->lock);
	if (READ_ONCE(c->last_rx_ns) > p->renewed_ns)
		return true;
	if (c->probed && time_before(now, c->probed +
				     msecs_to_jiffies(RB_PROBE_MS)))
		return false;
	tx = tx_alloc(RB_WIRE_HDR_LEN + RB_WIRE_PING_LEN, 0);
	if (!tx)
		return false;
	ids.peer = p->id;
	rb_wire_encode_ping(&ids, RB_WIRE_PING, get_jiffies_64(), tx->buf);
	c->probed = now ? now : 1;
	txq_add_locked(c, tx);
	queue_work(t->wq, &c->tx_work);
	return false;
}

static bool peer_reachable(struct rb_transport *t, u64 id)
{
	struct rb_peer *p;
	bool ok;

	mutex_lock(&t->lock);
	p = peer_find(t, id);
	ok = p && p->up;
	mutex_unlock(&t->lock);
	return ok;
}

static int do_send(struct rb_transport *t, const struct raft_msg *m)
{
	struct rb_wire_ids ids;
	size_t size, flen;
	const char *why = "";
	struct rb_conn *c;
	struct rb_peer *p;
	struct rb_tx *tx;
	u32 dlen, i, n_pl = 0;
	u8 cls = msg_class(m);
	int ret;

	if (m->from != t->ids.local || !m->to || m->to == t->ids.local)
		return -EINVAL;
	if (!peer_reachable(t, m->to))
		return -ENOTCONN;
	size = rb_wire_msg_size(m);
	if (!size)
		return -EINVAL;
	for (i = 0; i < m->n_entries; i++)
		if (m->entries[i].payload &&
		    raftblk_payload_has_data(m->entries[i].payload))
			n_pl++;
	tx = tx_alloc(size, n_pl);
	if (!tx)
		return -ENOMEM;
	t_ids(t, &ids);
	ids.peer = m->to;
	ret = rb_wire_encode_msg(&ids, m, &t->cfg.limits, &payload_ops, NULL,
				 tx->buf, size, &flen, &dlen, &why);
	if (ret) {
		tx_free(tx);
		pr_warn_ratelimited("node %llu: cannot encode message type %u for node %llu: %s\n",
				    t->ids.local, m->type, m->to, why);
		return ret == RB_WIRE_ETOOBIG ? -E2BIG : -EINVAL;
	}
	for (i = 0; i < m->n_entries; i++) {
		struct raft_payload *pl = m->entries[i].payload;

		if (pl && raftblk_payload_has_data(pl))
			tx->pl[tx->n_pl++] = raftblk_payload_get(pl);
	}
	tx->len = flen;
	tx->bytes = flen + dlen;

	mutex_lock(&t->lock);
	p = peer_find(t, m->to);
	c = p ? peer_pick(p, m, cls) : NULL;
	if (!c) {
		/* up, but not on the bulk connection a SNAPSHOT needs */
		ret = p && p->up ? -EAGAIN : -ENOTCONN;
		goto drop;
	}
	if (msg_starts_copy(m) && !snap_conn_heard(t, p, c)) {
		ret = -EAGAIN;	/* maybe the peer's previous life's */
		goto drop;
	}
	if (c->q_frames + 1 > t->cfg.queue_frames ||
	    c->q_bytes + tx->bytes > t->cfg.queue_bytes) {
		if (cls != RB_WIRE_CLASS_CONTROL) {
			ret = -ENOBUFS;
			goto drop;
		}
		/* Control traffic: the newest matters, drop the oldest. */
		while (!list_empty(&c->txq) &&
		       (c->q_frames + 1 > t->cfg.queue_frames ||
			c->q_bytes + tx->bytes > t->cfg.queue_bytes)) {
			struct rb_tx *old = list_first_entry(&c->txq,
							     struct rb_tx,
							     node);

			list_del(&old->node);
			c->q_frames--;
			c->q_bytes -= old->bytes;
			atomic64_inc(&t->st.msgs_dropped);
			tx_free(old);
		}
	}
	if (tx->bytes <= RB_DIRECT_MAX && conn_take_direct(c)) {
		mutex_unlock(&t->lock);
		conn_send_direct(c, tx);
		return 0;
	}
	txq_add_locked(c, tx);
	queue_work(t->wq, &c->tx_work);
	mutex_unlock(&t->lock);
	return 0;

drop:
	mutex_unlock(&t->lock);
	tx_free(tx);
	return ret;
}

int rb_transport_send(struct rb_transport *t, const struct raft_msg *m)
{
	unsigned int noio = memalloc_noio_save();
	int ret = do_send(t, m);

	memalloc_noio_restore(noio);
	if (ret)
		atomic64_inc(&t->st.msgs_dropped);
	return ret;
}

u32 rb_transport_send_batch(struct rb_transport *t,
			    const struct raft_msg *msgs, u32 n)
{
	unsigned int noio = memalloc_noio_save();
	u32 i, queued = 0;

	for (i = 0; i < n; i++) {
		if (!do_send(t, &msgs[i]))
			queued++;
		else
			atomic64_inc(&t->st.msgs_dropped);
	}
	memalloc_noio_restore(noio);
	return queued;
}

/* ------------------------------------------------------------------ */
/* Timers and events                                                  */

static void tick_work(struct work_struct *w)
{
	struct rb_transport *t = container_of(to_delayed_work(w),
					      struct rb_transport, tick_work);
	unsigned long now = jiffies;
	unsigned long ka = msecs_to_jiffies(t->cfg.keepalive_ms);
	unsigned long dead = msecs_to_jiffies(t->cfg.dead_ms);
	struct rb_conn *c, *ping[16];
	struct rb_peer *p;
	unsigned int noio = memalloc_noio_save();
	int n = 0, i;

	mutex_lock(&t->lock);
	list_for_each_entry(c, &t->conns, node) {
		switch (c->state) {
		case CS_CONNECTING:
		case CS_HANDSHAKE:
			if (time_after(now, c->deadline))
				conn_fail_locked(c, -ETIMEDOUT,
						 "handshake timed out");
			break;
		case CS_UP:
			if (t->cfg.dead_ms &&
			    time_after(now, READ_ONCE(c->last_rx) + dead))
				conn_fail_locked(c, -ETIMEDOUT,
						 "peer silent");
			else if (t->cfg.keepalive_ms &&
				 n < (int)ARRAY_SIZE(ping) &&
				 list_empty(&c->txq) && !c->tx_cur &&
				 time_after(now, READ_ONCE(c->last_tx) + ka))
				ping[n++] = c;
			break;
		default:
			break;
		}
	}
	/* A peer whose every connection is silent (PINGs unanswered). */
	list_for_each_entry(p, &t->peers, node) {
		unsigned long last;
		bool silent;

		if (!p->up || !t->cfg.silent_ms)
			continue;
		silent = peer_last_rx(p, &last) &&
			 time_after(now, last + msecs_to_jiffies(t->cfg.silent_ms));
		if (silent != p->silent) {
			p->silent = silent;
			queue_work(t->wq, &t->event_work);
		}
	}
	/* Queue the PINGs with the lock held: the conns stay. */
	for (i = 0; i < n; i++) {
		struct rb_wire_ids ids = t->ids;	/* t->lock held */
		struct rb_tx *tx;

		ids.peer = ping[i]->peer_id;
		tx = tx_alloc(RB_WIRE_HDR_LEN + RB_WIRE_PING_LEN, 0);
		if (!tx)
			break;
		rb_wire_encode_ping(&ids, RB_WIRE_PING, get_jiffies_64(),
				    tx->buf);
		txq_add_locked(ping[i], tx);
		queue_work(t->wq, &ping[i]->tx_work);
	}
	if (!t->stopping)
		queue_delayed_work(t->wq, &t->tick_work,
				   msecs_to_jiffies(RB_TICK_MS));
	mutex_unlock(&t->lock);
	memalloc_noio_restore(noio);
}

/* Report peer state changes, in order; forget unaddressed idle peers. */
static void event_work(struct work_struct *w)
{
	struct rb_transport *t = container_of(w, struct rb_transport,
					      event_work);
	struct { u64 id; bool up, silent_change; u32 heard_ms; } ev[8];
	unsigned long last;
	struct rb_peer *p, *tmp;
	int n, i;

	do {
		n = 0;
		mutex_lock(&t->lock);
		if (t->stopping) {
			mutex_unlock(&t->lock);
			return;
		}
		list_for_each_entry_safe(p, tmp, &t->peers, node) {
			if (p->up != p->reported_up &&
			    n < (int)ARRAY_SIZE(ev)) {
				p->reported_up = p->up;
				ev[n].id = p->id;
				ev[n].silent_change = false;
				ev[n++].up = p->up;
			}
			/* Silence is reported only between up and down. */
			if (!p->reported_up)
				p->reported_silent = false;
			else if (p->silent != p->reported_silent &&
				 t->ops->peer_silent &&
				 n < (int)ARRAY_SIZE(ev)) {
				p->reported_silent = p->silent;
				ev[n].id = p->id;
				ev[n].silent_change = true;
				ev[n].heard_ms = peer_last_rx(p, &last) ?
					jiffies_to_msecs(jiffies - last) : 0;
				ev[n++].up = p->silent;
			}
			/* Seen only through its own dialing: forget it. */
			if (!p->has_addr && !p->up && !p->reported_up &&
			    !p->dialing[0] && !p->dialing[1] && !p->rx_used) {
				list_del(&p->node);
				kfree(p);
			}
		}
		mutex_unlock(&t->lock);
		for (i = 0; i < n; i++) {
			if (ev[i].silent_change)
				t->ops->peer_silent(t->ctx, ev[i].id,
						    ev[i].up, ev[i].heard_ms);
			else
				t->ops->peer_state(t->ctx, ev[i].id,
						   ev[i].up);
		}
	} while (n == (int)ARRAY_SIZE(ev));
}

/* ------------------------------------------------------------------ */
/* Peers                                                              */

static bool addr_valid(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port != 0;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port != 0;
	return false;
}

int rb_transport_set_peer(struct rb_transport *t, u64 id,
			  const struct sockaddr_storage *addr)
{
	struct rb_peer *p;
	int ret = 0;

	if (!id || id == t->ids.local || !addr_valid(addr))
		return -EINVAL;
	mutex_lock(&t->lock);
	p = peer_find(t, id);
	if (!p)
		p = peer_new(t, id);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	if (!p->has_addr || memcmp(&p->addr, addr, sizeof(*addr))) {
		p->addr = *addr;
		p->has_addr = true;
		p->failures = 0;
		mod_delayed_work(t->wq, &p->connect_work, 0);
	}
out:
	mutex_unlock(&t->lock);
	return ret;
}

void rb_transport_remove_peer(struct rb_transport *t, u64 id)
{
	struct rb_conn *c;
	struct rb_peer *p;

	mutex_lock(&t->lock);
	p = peer_find(t, id);
	if (p)
		list_del(&p->node);
	list_for_each_entry(c, &t->conns, node)
		if (c->peer_id == id)
			conn_fail_locked(c, 0, "peer removed");
	mutex_unlock(&t->lock);
	if (p) {
		cancel_delayed_work_sync(&p->connect_work);
		kfree(p);
	}
}

int rb_transport_peers(struct rb_transport *t,
		       struct rb_transport_peer_info *info, int max)
{
	unsigned long last;
	struct rb_peer *p;
	struct rb_conn *c;
	int n = 0, i;

	mutex_lock(&t->lock);
	list_for_each_entry(p, &t->peers, node) {
		struct rb_transport_peer_info *pi;

		if (n++ >= max)
			continue;
		pi = &info[n - 1];
		memset(pi, 0, sizeof(*pi));
		pi->id = p->id;
		pi->has_addr = p->has_addr;
		pi->addr = p->addr;
		pi->failures = p->failures;
		pi->rx_bytes = p->rx_used;
		pi->heard = peer_last_rx(p, &last);
		if (pi->heard)
			pi->heard_ms = jiffies_to_msecs(jiffies - last);
		pi->silent = p->silent;
		for (i = 0; i < RB_CLASSES; i++) {
			if (p->conn[i])
				pi->state[i] = RB_CONN_UP;
			else if (p->dialing[i])
				pi->state[i] = RB_CONN_CONNECTING;
		}
		list_for_each_entry(c, &t->conns, node)
			if (c->peer_id == p->id)
				pi->queued_frames += c->q_frames;
	}
	mutex_unlock(&t->lock);
	return n;
}

u64 rb_transport_peer_features(struct rb_transport *t, u64 id)
{
	struct rb_peer *p;
	u64 feat = 0;
	int i;

	mutex_lock(&t->lock);
	p = peer_find(t, id);
	for (i = 0; p && i < RB_CLASSES && !feat; i++)
		if (p->conn[i])
			feat = p->conn[i]->peer_feat;
	mutex_unlock(&t->lock);
	return feat;
}

void rb_transport_get_stats(struct rb_transport *t,
			    struct rb_transport_stats *st)
{
	st->bytes_sent = atomic64_read(&t->st.bytes_sent);
	st->bytes_received = atomic64_read(&t->st.bytes_received);
	st->frames_sent = atomic64_read(&t->st.frames_sent);
	st->frames_received = atomic64_read(&t->st.frames_received);
	st->msgs_dropped = atomic64_read(&t->st.msgs_dropped);
	st->bad_frames = atomic64_read(&t->st.bad_frames);
	st->refused_peers = atomic64_read(&t->st.refused_peers);
	st->refused_by_peer = atomic64_read(&t->st.refused_by_peer);
	st->connects = atomic64_read(&t->st.connects);
	st->reconnects = atomic64_read(&t->st.reconnects);
	st->accepted = atomic64_read(&t->st.accepted);
	st->conns_up = atomic64_read(&t->st.conns_up);
	st->conns_lost = atomic64_read(&t->st.conns_lost);
	st->rx_paused = atomic64_read(&t->st.rx_paused);
	st->auth_failed = atomic64_read(&t->st.auth_failed);
	st->frames_direct = atomic64_read(&t->st.frames_direct);
	mutex_lock(&t->lock);
	st->rx_bytes = t->rx_used;
	st->rx_bytes_peak = t->rx_peak;
	mutex_unlock(&t->lock);
}

/* ------------------------------------------------------------------ */
/* Create / destroy                                                   */

void rb_transport_config_default(struct rb_transport_config *cfg)
{
	cfg->backoff_min_ms = 100;
	cfg->backoff_max_ms = 5000;
	cfg->handshake_ms = 10000;
	cfg->keepalive_ms = 2000;
	cfg->dead_ms = 30000;
	cfg->silent_ms = 6000;
	cfg->queue_frames = 1024;
	cfg->queue_bytes = 64U << 20;
	cfg->rx_bytes = 128U << 20;
	cfg->rx_peer_bytes = 64U << 20;
	rb_wire_limits_default(&cfg->limits);
}

static int config_check(struct rb_transport_config *cfg)
{
	struct rb_wire_limits *l = &cfg->limits;

	if (!cfg->backoff_min_ms || cfg->backoff_max_ms < cfg->backoff_min_ms ||
	    !cfg->handshake_ms || !cfg->queue_frames || !cfg->queue_bytes)
		return -EINVAL;
	if (cfg->dead_ms && cfg->keepalive_ms >= cfg->dead_ms)
		return -EINVAL;
	if (l->max_meta_len < RB_WIRE_MSG_LEN || !l->max_entries ||
	    l->max_payload_data > RAFTBLK_PL_MAX_DATA ||
	    l->max_payload_len > RAFTBLK_PL_MAX_LEN)
		return -EINVAL;
	/* The largest frame fits the budget, also on a bulk connection. */
	if (cfg->rx_peer_bytes > cfg->rx_bytes ||
	    (u64)cfg->rx_peer_bytes < RB_RX_CONTROL_RESERVE +
	    (u64)rb_transport_rx_cost(l, l->max_meta_len, l->max_data_len))
		return -EINVAL;
	return 0;
}

static int listen_start(struct rb_transport *t)
{
	struct socket *sock;
	struct sock *sk;
	int ret;

	ret = sock_create_kern(t->net, t->listen_addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret)
		return ret;
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	sk->sk_allocation = GFP_NOIO;
	ret = kernel_bind(sock, (struct sockaddr *)&t->listen_addr,
			  addr_len(&t->listen_addr));
	if (!ret)
		ret = kernel_listen(sock, RB_MAX_PENDING);
	if (ret) {
		sock_release(sock);
		return ret;
	}
	write_lock_bh(&sk->sk_callback_lock);
	t->listen_orig_data_ready = sk->sk_data_ready;
	sk->sk_user_data = t;
	sk->sk_data_ready = listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	t->listener = sock;
	return 0;
}

static void listen_stop(struct rb_transport *t)
{
	struct sock *sk = t->listener->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = t->listen_orig_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&t->accept_work);
	sock_release(t->listener);
	t->listener = NULL;
}

int rb_transport_create(struct net *net, const struct sockaddr_storage *listen,
			u64 node_id, const u8 cluster_uuid[RB_WIRE_UUID_LEN],
			const struct rb_transport_config *cfg,
			const struct rb_transport_ops *ops, void *ctx,
			struct rb_transport **out)
{
	struct rb_transport *t;
	int ret;

	BUILD_BUG_ON(RB_WIRE_PL_FUA != RAFTBLK_PL_FUA);
	BUILD_BUG_ON(RB_WIRE_PL_DISCARD != RAFTBLK_PL_DISCARD);
	BUILD_BUG_ON(RB_WIRE_PL_WRITE_ZEROES != RAFTBLK_PL_WRITE_ZEROES);
	BUILD_BUG_ON(sizeof(struct raft_entry) +
		     sizeof(struct rb_wire_payload_desc) +
		     sizeof(struct raft_payload) + 2 * sizeof(void *) > 256);

	*out = NULL;
	if (!node_id || !addr_valid(listen) || !ops || !ops->deliver ||
	    !ops->peer_state)
		return -EINVAL;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	if (cfg)
		t->cfg = *cfg;
	else
		rb_transport_config_default(&t->cfg);
	ret = config_check(&t->cfg);
	if (ret)
		goto out_free;
	/* The secret is in force before anyone can connect. */
	if (t->cfg.secret) {
		t->sec[0] = *t->cfg.secret;
		t->sec[0].gen = ++t->sec_gen;
		t->sec[0].none = false;
		t->cfg.secret = NULL;
	}
	t->net = net;
	t->listen_addr = *listen;
	memcpy(t->ids.cluster, cluster_uuid, RB_WIRE_UUID_LEN);
	t->ids.local = node_id;
	t->ops = ops;
	t->ctx = ctx;
	mutex_init(&t->lock);
	mutex_init(&t->adopt_lock);
	spin_lock_init(&t->tag_lock);
	INIT_LIST_HEAD(&t->peers);
	INIT_LIST_HEAD(&t->conns);
	INIT_WORK(&t->accept_work, accept_work);
	INIT_WORK(&t->event_work, event_work);
	INIT_DELAYED_WORK(&t->tick_work, tick_work);
	/* Not ordered: close_work waits for the same conn's rx/tx work. */
	t->wq = alloc_workqueue("raftblk_net%llu", WQ_UNBOUND | WQ_MEM_RECLAIM,
				0, node_id);
	if (!t->wq) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = listen_start(t);
	if (ret)
		goto out_wq;
	queue_delayed_work(t->wq, &t->tick_work, msecs_to_jiffies(RB_TICK_MS));
	*out = t;
	return 0;

out_wq:
	destroy_workqueue(t->wq);
out_free:
	kfree_sensitive(t);
	return ret;
}

void rb_transport_destroy(struct rb_transport *t)
{
	struct rb_peer *p, *tmp;
	struct rb_conn *c;

	if (!t)
		return;
	mutex_lock(&t->lock);
	t->stopping = true;
	mutex_unlock(&t->lock);
	/* No new connection from outside, then no new work from timers. */
	listen_stop(t);
	cancel_delayed_work_sync(&t->tick_work);

	mutex_lock(&t->lock);
	list_for_each_entry(p, &t->peers, node)
		cancel_delayed_work(&p->connect_work);
	list_for_each_entry(c, &t->conns, node) {
		/* From here on only our own work items queue work. */
		conn_detach(c);
		conn_fail_locked(c, -ESHUTDOWN, "shutting down");
	}
	mutex_unlock(&t->lock);

	/* Close works, dials in progress, receives: all finish. */
	drain_workqueue(t->wq);
	WARN_ON_ONCE(!list_empty(&t->conns));

	list_for_each_entry_safe(p, tmp, &t->peers, node) {
		cancel_delayed_work_sync(&p->connect_work);
		list_del(&p->node);
		kfree(p);
	}
	destroy_workqueue(t->wq);
	mutex_destroy(&t->lock);
	mutex_destroy(&t->adopt_lock);
	kfree_sensitive(t);	/* the secrets */
}

/*
 * Close the connections proven with the second secret, which is no
 * longer held: those whose handshake used it, or, if it is "no secret",
 * the unauthenticated ones (those of a plain handshake too; a handshake
 * not yet that far is checked again by conn_up()).
 */
static void close_second_locked(struct rb_transport *t)
{
	const struct rb_auth_secret *s = &t->sec[1];
	struct rb_conn *c;

	lockdep_assert_held(&t->lock);
	list_for_each_entry(c, &t->conns, node) {
		if (s->none ? c->state == CS_UP && !c->auth :
		    s->gen && READ_ONCE(c->auth_gen) == s->gen)
			conn_fail_locked(c, -EKEYREVOKED,
					 s->none ? "unauthenticated peers are no longer accepted" :
					 "its secret was retired");
	}
}

int rb_transport_set_secret(struct rb_transport *t, enum rb_secret_op op,
			    const u8 *key, u32 len)
{
	struct rb_auth_secret tmp;
	int ret = 0;

	if (op == RB_SECRET_NEXT &&
	    (!key || len < RB_AUTH_SECRET_MIN || len > RB_AUTH_SECRET_MAX))
		return -EINVAL;
	mutex_lock(&t->lock);
	switch (op) {
	case RB_SECRET_NEXT:
		/* Replaces a previous one, which is then no longer held. */
		close_second_locked(t);
		memzero_explicit(&t->sec[1], sizeof(t->sec[1]));
		memcpy(t->sec[1].key, key, len);
		t->sec[1].len = len;
		t->sec[1].gen = ++t->sec_gen;
		break;
	case RB_SECRET_NEXT_NONE:
		/* Nothing to switch off without a current secret. */
		if (!t->sec[0].len) {
			ret = -ENOKEY;
			break;
		}
		close_second_locked(t);
		memzero_explicit(&t->sec[1], sizeof(t->sec[1]));
		t->sec[1].none = true;
		t->sec[1].gen = ++t->sec_gen;
		break;
	case RB_SECRET_PROMOTE:
		if (!t->sec[1].len && !t->sec[1].none) {
			ret = -ENOKEY;
			break;
		}
		/*
		 * The old current one is still accepted until retired; if
		 * it was no secret, unauthenticated peers are.
		 */
		tmp = t->sec[0];
		t->sec[0] = t->sec[1];
		t->sec[0].none = false;
		t->sec[1] = tmp;
		t->sec[1].none = !tmp.len;
		memzero_explicit(&tmp, sizeof(tmp));
		break;
	case RB_SECRET_RETIRE:
		if (!t->sec[1].len && !t->sec[1].none) {
			ret = -ENOKEY;
			break;
		}
		close_second_locked(t);
		memzero_explicit(&t->sec[1], sizeof(t->sec[1]));
		break;
	default:
		ret = -EINVAL;
	}
	tag_key_forget_locked(t);
	mutex_unlock(&t->lock);
	return ret;
}

void rb_transport_secret_info(struct rb_transport *t,
			      struct rb_transport_secret_info *si)
{
	struct rb_auth_secret *sec = kmalloc_array(2, sizeof(*sec),
						   GFP_KERNEL);
	int i;

	memset(si, 0, sizeof(*si));
	if (!sec)
		return;
	mutex_lock(&t->lock);
	memcpy(sec, t->sec, 2 * sizeof(*sec));
	mutex_unlock(&t->lock);
	for (i = 0; i < 2; i++) {
		si->set[i] = sec[i].len;
		if (sec[i].len)
			rb_auth_fingerprint(&sec[i], si->fp[i]);
	}
	si->next_none = sec[1].none;
	kfree_sensitive(sec);
}
