/* SPDX-License-Identifier: GPL-2.0 */
/*
 * transport.h - raftblk's kernel TCP transport between Raft nodes.
 *
 * One transport per device. It listens on the device's address in the
 * network namespace that configured the device, keeps two TCP connections
 * with every peer (control: votes, heartbeats, responses, TIMEOUT_NOW;
 * bulk: APPEND with entries and SNAPSHOT, so small urgent messages never
 * wait behind bulk data), frames messages with the wire codec (wire.h,
 * Documentation/wire-protocol.rst), and hands received messages to the
 * node driver. Message loss is normal (Raft retries): a full send queue or
 * a missing connection drops the message and counts it.
 *
 * Connections are symmetric: whichever node knows the other's address
 * dials; a connection accepted from a peer carries messages both ways. If
 * both nodes dial at once, both keep the connection dialed by the node
 * with the smaller id (two connections from the same dialer: the newer),
 * so the two ends always agree.
 *
 * Contexts: every function here may sleep (process context) and none
 * waits for the network. Callbacks (struct rb_transport_ops) run in
 * process context from the transport's workqueue, without transport
 * locks held; they may call rb_transport_send() but not
 * rb_transport_destroy().
 */
#ifndef RAFTBLK_TRANSPORT_H
#define RAFTBLK_TRANSPORT_H

#include <linux/socket.h>
#include <linux/types.h>

#include "auth.h"
#include "raft/raft.h"
#include "wire.h"

struct net;
struct rb_transport;

struct rb_transport_ops {
	/*
	 * A message from peer m->from (already validated by the wire
	 * codec, m->to is this node). Ownership of m's content (the
	 * entries array and the payload references) passes to the callee,
	 * which must hand it to raft_step() (which consumes it) or release
	 * it with raft_msg_free(); the struct itself belongs to the
	 * transport and is reused after the call (copy it to keep it).
	 * Called concurrently for different connections.
	 *
	 * charge: the bytes the message holds against the receive budget
	 * (see rx_bytes). Return 0 when the message is kept: then call
	 * rb_transport_rx_done(t, m->from, charge) once it is consumed;
	 * until then the transport counts it and, over budget, stops
	 * reading (TCP back-pressure). Return non-zero when it was dropped
	 * (its content released): the transport takes the charge back.
	 */
	int (*deliver)(void *ctx, struct raft_msg *m, size_t charge);
	/*
	 * Connectivity to a peer changed: up when a first connection to it
	 * completed its handshake, down when none is left. Calls are
	 * serialized and the last one tells the current state.
	 */
	void (*peer_state)(void *ctx, u64 peer_id, bool up);
	/*
	 * Optional. A connected peer fell silent (nothing received on any
	 * of its connections for cfg.silent_ms, though PINGs were sent), or
	 * is heard again (silent false). Reported after peer_state(up) and
	 * never while the peer is down; heard_ms: how long ago its last
	 * frame arrived. Process context.
	 */
	void (*peer_silent)(void *ctx, u64 peer_id, bool silent, u32 heard_ms);
	/*
	 * Optional. A transport created with an all-zero cluster id (a
	 * blank node waiting to join) adopts the cluster id of the first
	 * node that connects to it. Before that, this is called with the
	 * id: make it durable and return 0, or refuse it (non-zero: the
	 * connecting node is refused as from another cluster). Called once
	 * at a time; may sleep.
	 */
	int (*adopt_cluster)(void *ctx, const u8 cluster[RB_WIRE_UUID_LEN]);
};

struct rb_transport_config {
	u32 backoff_min_ms;	/* first reconnect delay */
	u32 backoff_max_ms;	/* reconnect delay doubles up to this */
	u32 handshake_ms;	/* connect + HELLO must finish within */
	u32 keepalive_ms;	/* PING on a connection idle that long */
	u32 dead_ms;		/* drop a connection silent that long */
	u32 silent_ms;		/* report a peer silent that long (0: never;
				 * more than keepalive_ms, or an idle peer
				 * looks silent)
				 */
	u32 queue_frames;	/* send queue bound per connection */
	u32 queue_bytes;	/* ... and in bytes (frame + data) */
	/*
	 * Receive budget: bytes of received messages held at once, from
	 * the header of a frame being read until the consumer calls
	 * rb_transport_rx_done() (rb_transport_rx_cost() of each frame).
	 * A connection whose next frame does not fit stops reading until
	 * it does. rx_bytes for the whole transport, rx_peer_bytes per peer;
	 * both must hold the largest frame the limits allow.
	 */
	u32 rx_bytes;
	u32 rx_peer_bytes;
	struct rb_wire_limits limits;
	/*
	 * The cluster's shared secret (auth.h), NULL: none. Copied by
	 * rb_transport_create(), in force before it listens; with one,
	 * every connection authenticates (Documentation/wire-protocol.rst,
	 * "Peer authentication").
	 */
	const struct rb_auth_secret *secret;
};

/* Defaults: backoff 100 ms .. 5 s, handshake 10 s, keepalive 2 s,
 * silent 6 s (three keepalives unanswered), dead 30 s (TCG is slow:
 * generous), 1024 frames / 64 MiB per connection,
 * receive budget 128 MiB, 64 MiB per peer.
 */
void rb_transport_config_default(struct rb_transport_config *cfg);

/*
 * Create a transport listening on listen (AF_INET or AF_INET6) in net
 * (no reference is taken: destroy the transport before net goes away,
 * e.g. from its pernet pre_exit) for node node_id of the cluster cluster_uuid
 * (all zero: not known yet, see ops->adopt_cluster).
 * cfg NULL: defaults. Returns 0 or a negative errno (-EADDRINUSE, ...).
 */
int rb_transport_create(struct net *net, const struct sockaddr_storage *listen,
			u64 node_id, const u8 cluster_uuid[RB_WIRE_UUID_LEN],
			const struct rb_transport_config *cfg,
			const struct rb_transport_ops *ops, void *ctx,
			struct rb_transport **out);

/* Clean shutdown: closes every socket, waits for every work item; no
 * callback runs after it returns. No other call may run concurrently,
 * and the caller must not hold a lock its callbacks take (it waits for
 * callbacks in progress).
 */
void rb_transport_destroy(struct rb_transport *t);

/*
 * The consumer is done with a message delivered with charge (see
 * rb_transport_ops.deliver): its bytes leave the receive budget, and
 * connections that stopped reading for lack of budget read again. Any
 * context that may sleep, not after rb_transport_destroy().
 */
void rb_transport_rx_done(struct rb_transport *t, u64 peer_id, size_t charge);

/*
 * What a RAFT_MSG frame of meta_len and data_len bytes is charged: its
 * bytes plus an upper bound of what its decoded form holds (the message,
 * entry and descriptor arrays, a page per payload).
 */
size_t rb_transport_rx_cost(const struct rb_wire_limits *lim, u32 meta_len,
			    u32 data_len);

/* Add a peer or change its address; the transport keeps connections to
 * it from then on. 0 or -EINVAL (bad id or address), -ENOMEM.
 */
int rb_transport_set_peer(struct rb_transport *t, u64 id,
			  const struct sockaddr_storage *addr);

/* Forget a peer: close its connections, stop dialing it. */
void rb_transport_remove_peer(struct rb_transport *t, u64 id);

/*
 * Queue m (m->from must be this node) for m->to. Never waits for the
 * network: the frame is encoded now (the payloads are referenced, not
 * copied) and sent by the transport's workqueue; or, a small frame when
 * nothing is queued on its connection and nothing being sent, by the
 * caller now as far as the socket takes it without waiting (the rest by
 * the workqueue), in the same order. Returns 0 when queued,
 * -ENOTCONN (no connection to m->to), -ENOBUFS (queue full), -EAGAIN (a
 * SNAPSHOT while the bulk connection to m->to is down: a copy's frames
 * never take the control connection; or the SNAPSHOT that starts a copy,
 * S > 0 without RB_WIRE_MSGF_COPY, while m->to has sent nothing on that
 * bulk connection since its current control connection came up or it
 * last dialed a class we had a connection of: the connection may be to
 * its previous boot; it is probed with a PING, try again), -EINVAL (not
 * encodable), -ENOMEM; the message is then dropped and counted.
 */
int rb_transport_send(struct rb_transport *t, const struct raft_msg *m);

/*
 * rb_transport_send() for each of msgs[0..n) (e.g. a ready batch), with
 * each payload's data crc computed once for all the messages that carry
 * it (a leader sends the same entries to every follower). Returns the
 * number of messages queued; the others are dropped and counted.
 */
u32 rb_transport_send_batch(struct rb_transport *t,
			    const struct raft_msg *msgs, u32 n);

struct rb_transport_stats {
	u64 bytes_sent;
	u64 bytes_received;
	u64 frames_sent;
	u64 frames_received;
	u64 msgs_dropped;	/* send: no connection, queue full, ... */
	u64 bad_frames;		/* malformed frames received (conn dropped) */
	u64 refused_peers;	/* HELLOs this node refused */
	u64 refused_by_peer;	/* REFUSEs received */
	u64 connects;		/* outgoing connection attempts */
	u64 reconnects;		/* attempts after a failure or a drop */
	u64 accepted;		/* incoming connections accepted */
	u64 conns_up;		/* handshakes completed */
	u64 conns_lost;		/* established connections lost */
	u64 rx_bytes;		/* receive budget in use now */
	u64 rx_bytes_peak;	/* most of it ever in use */
	u64 rx_paused;		/* times a connection stopped reading */
	u64 auth_failed;	/* handshakes or frames that failed to
				 * authenticate (connection closed)
				 */
	u64 frames_direct;	/* frames the sender sent itself (queue
				 * empty, nobody sending), not tx work
				 */
};

void rb_transport_get_stats(struct rb_transport *t,
			    struct rb_transport_stats *st);

/*
 * Secret rotation. A node holds a current secret, with which it
 * authenticates, and a second one it also accepts. Either may be "no
 * secret" (unauthenticated peers): switching authentication on or off
 * is a rotation from or to no secret.
 *   NEXT     install key as the second one (replacing what was there:
 *            connections proven with that one are closed);
 *   NEXT_NONE  install "no secret" as the second one (the same way):
 *            unauthenticated peers are accepted too; -ENOKEY when the
 *            current one is already no secret;
 *   PROMOTE  the second becomes the current one, the old current one
 *            the second (still accepted; no secret too): -ENOKEY
 *            without a second;
 *   RETIRE   forget the second one and close the connections proven
 *            with it (unauthenticated ones, if it was no secret):
 *            -ENOKEY without one.
 * A node dials with its current secret (unauthenticated without one);
 * it accepts authenticated peers if it holds a secret in either slot,
 * unauthenticated ones if either slot holds no secret. -EINVAL: a key
 * outside RB_AUTH_SECRET_MIN..MAX bytes.
 */
enum rb_secret_op {
	RB_SECRET_NEXT = 1,
	RB_SECRET_NEXT_NONE,
	RB_SECRET_PROMOTE,
	RB_SECRET_RETIRE,
};

int rb_transport_set_secret(struct rb_transport *t, enum rb_secret_op op,
			    const u8 *key, u32 len);

struct rb_transport_secret_info {
	bool set[2];			/* [0] current, [1] second */
	bool next_none;			/* the second is "no secret" */
	u8 fp[2][RB_AUTH_FP_LEN];	/* their fingerprints */
};

void rb_transport_secret_info(struct rb_transport *t,
			      struct rb_transport_secret_info *si);

/*
 * Entry tags computed by the block submitter (authenticated transport):
 * rb_transport_tag_key() copies out the entry key of the secret the
 * connections are proven with (false: no authentication, nothing
 * copied); rb_tag_key_use() then computes the entry tag of p, a payload
 * not yet proposed, next to its crc, keeps it in p and wipes the copy.
 * So the send work of the first connection to send p finds the tag
 * (auth.h rb_entry_tag_get()) instead of making a pass over the data
 * before it sends. A tag under a secret a connection was not proven
 * with is not used by it (computed again). Neither sleeps.
 */
struct rb_tag_key {
	u32 gen;
	struct rb_entry_mac em;
};

bool rb_transport_tag_key(struct rb_transport *t, struct rb_tag_key *k);
void rb_tag_key_use(struct rb_tag_key *k, struct raft_payload *p);

enum rb_conn_state {
	RB_CONN_NONE = 0,	/* no connection of that class */
	RB_CONN_CONNECTING,	/* TCP connect or handshake in progress */
	RB_CONN_UP,
};

struct rb_transport_peer_info {
	u64 id;
	bool has_addr;
	struct sockaddr_storage addr;
	u8 state[2];		/* enum rb_conn_state, [0] control [1] bulk */
	u32 queued_frames;	/* waiting in both send queues */
	u32 failures;		/* consecutive failed attempts (backoff) */
	u64 rx_bytes;		/* receive budget this peer holds */
	bool heard;		/* anything ever received from it */
	u32 heard_ms;		/* if heard: ms since the last frame */
	bool silent;		/* connected, silent for cfg.silent_ms */
};

/*
 * Fill up to max entries of info with the known peers (configured or
 * seen connecting). Returns the number of peers known (may exceed max).
 */
int rb_transport_peers(struct rb_transport *t,
		       struct rb_transport_peer_info *info, int max);

/*
 * The feature bits (RB_WIRE_FEAT_*) peer id announced in the handshake of
 * a connection that is up now; 0 when none is.
 */
u64 rb_transport_peer_features(struct rb_transport *t, u64 id);

/* ------------------------------------------------------------------ */
/* Node addresses                                                     */

/*
 * In the Raft configuration a node's address is an opaque RAFT_ADDR_LEN
 * (64) byte blob. raftblk stores a TCP endpoint in it as:
 *
 *   byte 0       format, 1
 *   byte 1       family: 4 (IPv4) or 6 (IPv6)
 *   bytes 2-3    port, big-endian (network order), not 0
 *   bytes 4-7    IPv6 scope id, little-endian (0 for IPv4)
 *   bytes 8-23   address: IPv4 in bytes 8-11 (network order, 12-23 zero),
 *                or the 16 bytes of the IPv6 address
 *   bytes 24-63  zero
 *
 * An all-zero blob means "no address".
 */
#define RB_ADDR_FORMAT		1
#define RB_ADDR_STRLEN		64	/* "[ipv6%scope]:port" and NUL */

int rb_addr_encode(const struct sockaddr_storage *ss, u8 blob[RAFT_ADDR_LEN]);
/* 0, -ENOENT (all-zero blob) or -EINVAL (malformed). */
int rb_addr_decode(const u8 blob[RAFT_ADDR_LEN], struct sockaddr_storage *ss);
/* "10.0.0.1:7789" or "[fd00::1]:7789"; 0 or -EINVAL. */
int rb_addr_parse(const char *str, struct sockaddr_storage *ss);
/* The same notation, into buf of RB_ADDR_STRLEN bytes. */
void rb_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len);

#endif /* RAFTBLK_TRANSPORT_H */
