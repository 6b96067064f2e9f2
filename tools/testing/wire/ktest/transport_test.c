// SPDX-License-Identifier: GPL-2.0
/*
 * transport_test.c - in-kernel test of raftblk's TCP transport
 * (kernel/transport.c, linked into this test module with the wire codec
 * and the payloads). Runs at module load, inside a VM (scenario
 * "transport"): several transports in the initial network namespace talk
 * over loopback; raw kernel sockets play misbehaving peers. Results are
 * TAP lines in the kernel log, prefixed "rbtt: ".
 *
 * Parameters: timeout_ms (per wait, default 30000: TCG is slow),
 * base_port (default 17700).
 */
#define pr_fmt(fmt) "rbtt: " fmt

#include <crypto/hash.h>
#include <crypto/poly1305.h>
#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <asm/unaligned.h>

#include "portable.h"
#include "payload.h"
#include "poly1305.h"
#include "transport.h"
#include "wire.h"

static unsigned int timeout_ms = 30000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms, "longest wait for one expected event");
static unsigned int base_port = 17700;
module_param(base_port, uint, 0444);
MODULE_PARM_DESC(base_port, "first loopback TCP port used");

#define MAX_ID 8
#define N_SENDERS 4	/* test_direct_order()'s threads */

static int n_tests, n_failed;

static void tap(bool ok, const char *name)
{
	n_tests++;
	if (!ok)
		n_failed++;
	pr_info("%sok %d - %s\n", ok ? "" : "not ", n_tests, name);
}

/* One node under test and what its callbacks saw. */
struct node {
	struct rb_transport *t;
	u64 id;
	struct sockaddr_storage addr;
	spinlock_t lock;	/* protects msgs, n_msgs, up, up_changes */
	struct list_head msgs;
	u32 n_msgs;
	bool up[MAX_ID];
	u32 up_changes[MAX_ID];
	wait_queue_head_t wq;
	/* adopt_cluster: refuse or record */
	bool refuse_adopt;
	u32 adopt_calls;
	u8 adopted[RB_WIRE_UUID_LEN];
	/*
	 * Receive budget: what queued messages hold (the node releases it
	 * when a message is taken), its peak; with auto_release every
	 * message is consumed at once and only counted (delivered,
	 * next_ctx, disorder: contexts must come 0, 1, 2...; a context
	 * k << 32 | i, k in 1..N_SENDERS, is sender k's i-th message:
	 * each sender's must come 0, 1, 2..., next_seq[k - 1] next).
	 */
	size_t held, held_peak;
	bool auto_release;
	u32 delivered, disorder;
	u64 next_ctx;
	u32 next_seq[N_SENDERS];
};

struct rx_item {
	struct list_head node;
	size_t charge;
	struct raft_msg m;
};

static const u8 cluster[RB_WIRE_UUID_LEN] = "raftblk-test-cl";
static const u8 other_cluster[RB_WIRE_UUID_LEN] = "another-cluster";

static int t_deliver(void *ctx, struct raft_msg *m, size_t charge)
{
	struct node *n = ctx;
	struct rx_item *it;

	if (READ_ONCE(n->auto_release)) {
		spin_lock(&n->lock);
		n->delivered++;
		if (m->context >> 32) {
			u64 k = (m->context >> 32) - 1;

			if (k >= N_SENDERS ||
			    (u32)m->context != n->next_seq[k])
				n->disorder++;
			else
				n->next_seq[k]++;
		} else {
			if (m->context != n->next_ctx)
				n->disorder++;
			n->next_ctx = m->context + 1;
		}
		spin_unlock(&n->lock);
		rb_wire_msg_release(m);
		wake_up(&n->wq);
		return -ECANCELED;	/* the transport takes the charge back */
	}
	it = kmalloc(sizeof(*it), GFP_NOIO);
	if (!it) {
		rb_wire_msg_release(m);
		return -ENOMEM;
	}
	it->m = *m;	/* takes the content over */
	it->charge = charge;
	spin_lock(&n->lock);
	list_add_tail(&it->node, &n->msgs);
	n->n_msgs++;
	n->held += charge;
	n->held_peak = max(n->held_peak, n->held);
	spin_unlock(&n->lock);
	wake_up(&n->wq);
	return 0;
}

static void t_peer_state(void *ctx, u64 id, bool up)
{
	struct node *n = ctx;

	spin_lock(&n->lock);
	if (id < MAX_ID) {
		n->up[id] = up;
		n->up_changes[id]++;
	}
	spin_unlock(&n->lock);
	wake_up(&n->wq);
}

static int t_adopt(void *ctx, const u8 uuid[RB_WIRE_UUID_LEN])
{
	struct node *n = ctx;

	spin_lock(&n->lock);
	n->adopt_calls++;
	if (!n->refuse_adopt)
		memcpy(n->adopted, uuid, RB_WIRE_UUID_LEN);
	spin_unlock(&n->lock);
	return n->refuse_adopt ? -EPERM : 0;
}

static const struct rb_transport_ops t_ops = {
	.deliver = t_deliver,
	.peer_state = t_peer_state,
	.adopt_cluster = t_adopt,
};

static void loopback(struct sockaddr_storage *ss, unsigned int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void loopback6(struct sockaddr_storage *ss, unsigned int port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_addr = in6addr_loopback;
}

/* Node id listening on loopback port base_port + id, with cfg. */
static int node_create(struct node *n, u64 id, const u8 *uuid,
		       const struct rb_transport_config *cfg, bool v6)
{
	n->id = id;
	spin_lock_init(&n->lock);
	INIT_LIST_HEAD(&n->msgs);
	init_waitqueue_head(&n->wq);
	if (v6)
		loopback6(&n->addr, base_port + id);
	else
		loopback(&n->addr, base_port + id);
	return rb_transport_create(&init_net, &n->addr, id, uuid, cfg,
				   &t_ops, n, &n->t);
}

static int node_start_cfg(struct node *n, u64 id, const u8 *uuid,
			  u32 queue_frames, bool v6)
{
	struct rb_transport_config cfg;

	rb_transport_config_default(&cfg);
	cfg.queue_frames = queue_frames;
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 400;
	cfg.keepalive_ms = 1000;
	cfg.dead_ms = 20000;
	return node_create(n, id, uuid, &cfg, v6);
}

static int node_start(struct node *n, u64 id, const u8 *uuid)
{
	return node_start_cfg(n, id, uuid, 1024, false);
}

/* A message taken from the node's queue gives its budget back. */
static void node_release(struct node *n, struct rx_item *it)
{
	spin_lock(&n->lock);
	n->held -= it->charge;
	spin_unlock(&n->lock);
	if (n->t)
		rb_transport_rx_done(n->t, it->m.from, it->charge);
	it->charge = 0;
}

static void node_drain(struct node *n)
{
	struct rx_item *it, *tmp;
	LIST_HEAD(l);

	spin_lock(&n->lock);
	list_splice_init(&n->msgs, &l);
	n->n_msgs = 0;
	spin_unlock(&n->lock);
	list_for_each_entry_safe(it, tmp, &l, node) {
		node_release(n, it);
		rb_wire_msg_release(&it->m);
		kfree(it);
	}
}

static void node_stop(struct node *n)
{
	rb_transport_destroy(n->t);
	n->t = NULL;
	node_drain(n);
}

static long wait_ms(void)
{
	return msecs_to_jiffies(timeout_ms);
}

static bool node_is_up(struct node *n, u64 peer)
{
	bool up;

	spin_lock(&n->lock);
	up = n->up[peer];
	spin_unlock(&n->lock);
	return up;
}

static bool wait_up(struct node *n, u64 peer, bool want)
{
	return wait_event_timeout(n->wq, node_is_up(n, peer) == want,
				  wait_ms()) > 0;
}

static u32 node_count(struct node *n)
{
	u32 c;

	spin_lock(&n->lock);
	c = n->n_msgs;
	spin_unlock(&n->lock);
	return c;
}

static bool wait_msgs(struct node *n, u32 count)
{
	return wait_event_timeout(n->wq, node_count(n) >= count,
				  wait_ms()) > 0;
}

/* Take the oldest received message (caller frees with rx_free()). */
static struct rx_item *node_pop(struct node *n)
{
	struct rx_item *it;

	spin_lock(&n->lock);
	it = list_first_entry_or_null(&n->msgs, struct rx_item, node);
	if (it) {
		list_del(&it->node);
		n->n_msgs--;
	}
	spin_unlock(&n->lock);
	if (it)
		node_release(n, it);
	return it;
}

static void rx_free(struct rx_item *it)
{
	if (it) {
		rb_wire_msg_release(&it->m);
		kfree(it);
	}
}

/* Poll a counter until cond holds (counters have no wait queue). */
#define WAIT_STAT(n, field, cond)					\
	({								\
		struct rb_transport_stats __st;				\
		unsigned long __end = jiffies + wait_ms();		\
		bool __ok;						\
		for (;;) {						\
			rb_transport_get_stats((n)->t, &__st);		\
			__ok = (__st.field cond);			\
			if (__ok || time_after(jiffies, __end))		\
				break;					\
			msleep(20);					\
		}							\
		__ok;							\
	})

/* ------------------------------------------------------------------ */

static void test_addresses(void)
{
	struct sockaddr_storage ss, back;
	u8 blob[RAFT_ADDR_LEN];
	char buf[RB_ADDR_STRLEN];
	static const char * const bad[] = {
		"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
		"10.0.0.256:1", "10.0.0.1:12x", "[fd00::1]7789", "fd00::1:7789",
		"[fd00::1:7789", "[fd00::g]:1", "host:7789", " 10.0.0.1:1",
	};
	bool ok = true;
	size_t i;

	ok &= !rb_addr_parse("10.0.0.1:7789", &ss);
	rb_addr_format(&ss, buf, sizeof(buf));
	ok &= !strcmp(buf, "10.0.0.1:7789");
	ok &= !rb_addr_encode(&ss, blob) && blob[0] == 1 && blob[1] == 4 &&
	      blob[2] == 7789 >> 8 && blob[3] == (7789 & 0xff) &&
	      blob[8] == 10 && blob[11] == 1;
	ok &= !rb_addr_decode(blob, &back) && !memcmp(&ss, &back, sizeof(ss));
	ok &= !rb_addr_parse("[fd00::1]:7789", &ss);
	rb_addr_format(&ss, buf, sizeof(buf));
	ok &= !strcmp(buf, "[fd00::1]:7789");
	ok &= !rb_addr_encode(&ss, blob) && blob[1] == 6 &&
	      blob[8] == 0xfd && blob[23] == 1;
	ok &= !rb_addr_decode(blob, &back) && !memcmp(&ss, &back, sizeof(ss));
	tap(ok, "addresses: parse, format, blob round trip (IPv4, IPv6)");

	ok = true;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (rb_addr_parse(bad[i], &ss) != -EINVAL) {
			pr_info("# accepted bad address '%s'\n", bad[i]);
			ok = false;
		}
	tap(ok, "addresses: malformed notations refused");

	ok = true;
	memset(blob, 0, sizeof(blob));
	ok &= rb_addr_decode(blob, &ss) == -ENOENT;
	rb_addr_parse("10.0.0.1:7789", &ss);
	rb_addr_encode(&ss, blob);
	blob[40] = 1;
	ok &= rb_addr_decode(blob, &ss) == -EINVAL;
	blob[40] = 0;
	blob[1] = 5;
	ok &= rb_addr_decode(blob, &ss) == -EINVAL;
	blob[1] = 4;
	blob[0] = 2;
	ok &= rb_addr_decode(blob, &ss) == -EINVAL;
	blob[0] = 1;
	blob[2] = 0;
	blob[3] = 0;
	ok &= rb_addr_decode(blob, &ss) == -EINVAL;
	tap(ok, "addresses: empty and malformed blobs refused");
}

/* Messages are big (a snapshot's configuration): not on the stack. */
static struct raft_msg msg_buf;

static struct raft_msg *simple_msg(u8 type, u64 from, u64 to, u64 context)
{
	struct raft_msg *m = &msg_buf;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = from;
	m->to = to;
	m->term = 42;
	m->index = 1000;
	m->log_term = 41;
	m->commit = 999;
	m->hint_index = 7;
	m->hint_term = 6;
	m->context = context;
	return m;
}

/* m carries one normal entry e (term 42, the index after m's) of pl. */
static void one_entry(struct raft_msg *m, struct raft_entry *e,
		      struct raft_payload *pl)
{
	memset(e, 0, sizeof(*e));
	e->type = RAFT_ENTRY_NORMAL;
	e->term = 42;
	e->index = m->index + 1;
	e->payload = pl;
	m->n_entries = 1;
	m->entries = e;
}

static bool same_fields(const struct raft_msg *a, const struct raft_msg *b)
{
	return a->type == b->type && a->reject == b->reject &&
	       a->flags == b->flags && a->from == b->from && a->to == b->to &&
	       a->term == b->term && a->index == b->index &&
	       a->log_term == b->log_term && a->commit == b->commit &&
	       a->hint_index == b->hint_index &&
	       a->hint_term == b->hint_term && a->context == b->context &&
	       a->n_entries == b->n_entries;
}

static noinline_for_stack bool send_one(struct node *from, struct node *to,
		     const struct raft_msg *m)
{
	struct rx_item *it;
	bool ok;

	if (rb_transport_send(from->t, m))
		return false;
	if (!wait_msgs(to, 1))
		return false;
	it = node_pop(to);
	ok = it && same_fields(m, &it->m);
	rx_free(it);
	return ok;
}

/*
 * m from a to b once both see each other up, where connections may still
 * be closing: both ends dialed (the duplicate is closed), or a change
 * closed them (a secret retired). A message sent on a connection that
 * is being closed is lost, so m is sent again (up to five times, 3 s
 * each) until it arrives, with every field.
 */
static bool send_one_settled(struct node *a, struct node *b,
			     const struct raft_msg *m)
{
	struct rx_item *it;
	int i;

	for (i = 0; i < 5; i++) {
		if (!wait_up(a, b->id, true) || !wait_up(b, a->id, true))
			return false;
		node_drain(b);	/* what an earlier attempt left there */
		if (rb_transport_send(a->t, m))
			continue;
		if (wait_event_timeout(b->wq, node_count(b) >= 1,
				       msecs_to_jiffies(3000)) > 0) {
			bool ok;

			it = node_pop(b);
			ok = it && same_fields(m, &it->m);
			rx_free(it);
			if (ok)
				return true;
		}
	}
	return false;
}

/* A HEARTBEAT with @context from a to b, by send_one_settled(). */
static noinline_for_stack bool send_settled(struct node *a, struct node *b, u64 context)
{
	return send_one_settled(a, b, simple_msg(RAFT_MSG_HEARTBEAT, a->id,
						 b->id, context));
}

static struct raft_payload *data_payload(u32 len, u64 sector, u8 seed)
{
	struct raft_payload *p = raftblk_payload_alloc(len);
	u8 *buf;
	u32 i;

	if (!p)
		return NULL;
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf) {
		raftblk_payload_put(p);
		return NULL;
	}
	for (i = 0; i < len; i++)
		buf[i] = (u8)(i * 31 + seed + (i >> 12));
	raftblk_payload_copy_in(p, 0, buf, len);
	kvfree(buf);
	p->sector = sector;
	p->flags = RAFTBLK_PL_FUA;
	return p;
}

static bool same_payload(const struct raft_payload *a,
			 const struct raft_payload *b)
{
	u8 *x, *y;
	bool ok;
	u32 len;

	if (!a || !b)
		return a == b;
	len = raftblk_payload_data_len(a);
	if (a->sector != b->sector || a->len != b->len ||
	    a->flags != b->flags || len != raftblk_payload_data_len(b))
		return false;
	if (!len)
		return true;
	x = kvmalloc(len, GFP_KERNEL);
	y = kvmalloc(len, GFP_KERNEL);
	ok = x && y && !raftblk_payload_copy_out(a, 0, x, len) &&
	     !raftblk_payload_copy_out(b, 0, y, len) && !memcmp(x, y, len);
	kvfree(x);
	kvfree(y);
	return ok;
}

static noinline_for_stack void test_append(struct node *a, struct node *b)
{
	static struct raft_entry e[5];
	struct raft_msg *m = simple_msg(RAFT_MSG_APPEND, a->id, b->id, 0);
	struct rb_transport_stats st0, st1;
	struct rx_item *it;
	bool ok;
	int i;

	m->n_entries = 5;
	m->entries = e;
	for (i = 0; i < 5; i++) {
		e[i].index = 1001 + i;
		e[i].term = 42;
		e[i].type = RAFT_ENTRY_NORMAL;
	}
	e[0].payload = data_payload(4096, 8, 1);
	e[1].payload = data_payload(RAFTBLK_PL_MAX_DATA, 1 << 20, 2);
	e[2].payload = raftblk_payload_alloc_nodata(4096, RAFTBLK_PL_MAX_LEN,
						    RAFTBLK_PL_DISCARD);
	e[3].type = RAFT_ENTRY_CONF;
	e[3].cc.op = RAFT_CONF_ADD_LEARNER;
	e[3].cc.id = 3;
	memcpy(e[3].cc.addr, "some address", 12);
	e[4].type = RAFT_ENTRY_NOOP;
	if (!e[0].payload || !e[1].payload || !e[2].payload) {
		tap(false, "APPEND with 4 KiB, 1 MiB, discard, conf, noop");
		goto out;
	}
	rb_transport_get_stats(a->t, &st0);
	ok = !rb_transport_send(a->t, m) && wait_msgs(b, 1);
	it = ok ? node_pop(b) : NULL;
	ok = it && same_fields(m, &it->m);
	for (i = 0; ok && i < 5; i++) {
		const struct raft_entry *r = &it->m.entries[i];

		ok = r->index == e[i].index && r->term == e[i].term &&
		     r->type == e[i].type && same_payload(e[i].payload,
							  r->payload);
	}
	ok = ok && it->m.entries[3].cc.op == RAFT_CONF_ADD_LEARNER &&
	     it->m.entries[3].cc.id == 3 &&
	     !memcmp(it->m.entries[3].cc.addr, e[3].cc.addr, RAFT_ADDR_LEN);
	rx_free(it);
	rb_transport_get_stats(a->t, &st1);
	ok = ok && st1.bytes_sent - st0.bytes_sent >=
		   4096 + RAFTBLK_PL_MAX_DATA;
	tap(ok, "APPEND with 4 KiB, 1 MiB, discard, conf, noop arrives intact");
out:
	for (i = 0; i < 3; i++)
		if (e[i].payload)
			raftblk_payload_put(e[i].payload);
}

/*
 * Not a test: how fast 1 MiB APPENDs go from one transport to another
 * over loopback here (a TCG VM: compare only with runs of the same kind).
 */
static void measure_bulk(struct node *a, struct node *b)
{
	const u32 count = 48;
	struct raft_payload *pl = data_payload(RAFTBLK_PL_MAX_DATA, 0, 5);
	static struct raft_entry e;
	struct raft_msg *m;
	ktime_t t0;
	s64 us;
	u32 i;
	bool ok = pl != NULL;

	node_drain(b);
	t0 = ktime_get();
	for (i = 0; ok && i < count; i++) {
		m = simple_msg(RAFT_MSG_APPEND, a->id, b->id, i);
		one_entry(m, &e, pl);
		ok = !rb_transport_send(a->t, m);
	}
	ok = ok && wait_msgs(b, count);
	us = ktime_us_delta(ktime_get(), t0);
	if (ok && us > 0)
		pr_info("# bulk: %u x 1 MiB APPEND in %lld ms: %lld MiB/s (crc32c: %s)\n",
			count, us / 1000, count * 1000000LL / us,
			crc32c_impl());
	else
		pr_info("# bulk: measurement failed\n");
	node_drain(b);
	/* The same in one batch: the sender computes the crc once. */
	if (ok) {
		static struct raft_msg batch[48];

		for (i = 0; i < count; i++) {
			batch[i] = *simple_msg(RAFT_MSG_APPEND, a->id, b->id,
					       i);
			batch[i].n_entries = 1;
			batch[i].entries = &e;
		}
		t0 = ktime_get();
		ok = rb_transport_send_batch(a->t, batch, count) == count &&
		     wait_msgs(b, count);
		us = ktime_us_delta(ktime_get(), t0);
		if (ok && us > 0)
			pr_info("# bulk, one batch (sender crc once): %lld MiB/s\n",
				count * 1000000LL / us);
		node_drain(b);
	}
	/* For comparison: crc32c and memcpy of the same bytes. */
	if (pl) {
		u8 *buf = kvmalloc(RAFTBLK_PL_MAX_DATA, GFP_KERNEL);
		u32 crc = 0;

		t0 = ktime_get();
		for (i = 0; buf && i < count; i++)
			crc ^= crc32c(~0U, buf, RAFTBLK_PL_MAX_DATA);
		us = ktime_us_delta(ktime_get(), t0);
		pr_info("# crc32c of %u MiB: %lld ms (%x)\n", count,
			us / 1000, crc);
		t0 = ktime_get();
		for (i = 0; buf && i < count; i++)
			crc ^= __crc32c_le(~0U, buf, RAFTBLK_PL_MAX_DATA);
		us = ktime_us_delta(ktime_get(), t0);
		pr_info("# table crc32c (lib/crc32.c) of %u MiB: %lld ms (%x)\n",
			count, us / 1000, crc);
		t0 = ktime_get();
		for (i = 0; buf && i < count; i++)
			raftblk_payload_copy_out(pl, 0, buf,
						 RAFTBLK_PL_MAX_DATA);
		us = ktime_us_delta(ktime_get(), t0);
		pr_info("# copy of %u MiB: %lld ms\n", count, us / 1000);
		kvfree(buf);
		raftblk_payload_put(pl);
	}
}

/*
 * A batch: two APPENDs carrying the same payload (its crc computed once),
 * a heartbeat, and a message for an unknown node (dropped).
 */
static void test_batch(struct node *a, struct node *b)
{
	struct raft_payload *pl = data_payload(256 << 10, 77, 6);
	static struct raft_msg batch[4];
	static struct raft_entry e;
	struct rx_item *it;
	bool ok = pl != NULL;
	int i;

	node_drain(b);
	memset(&e, 0, sizeof(e));
	e.type = RAFT_ENTRY_NORMAL;
	e.term = 42;
	e.index = 1001;
	e.payload = pl;
	for (i = 0; i < 4; i++) {
		batch[i] = *simple_msg(i < 2 ? RAFT_MSG_APPEND :
				       RAFT_MSG_HEARTBEAT, a->id,
				       i == 3 ? 6 : b->id, i);
		if (i < 2) {
			batch[i].n_entries = 1;
			batch[i].entries = &e;
		}
	}
	ok = ok && rb_transport_send_batch(a->t, batch, 4) == 3 &&
	     wait_msgs(b, 3);
	for (i = 0; ok && i < 3; i++) {
		it = node_pop(b);
		/* two classes: the heartbeat may come first */
		ok = it && (it->m.type == RAFT_MSG_HEARTBEAT ||
			    (it->m.n_entries == 1 &&
			     same_payload(pl, it->m.entries[0].payload)));
		rx_free(it);
	}
	tap(ok, "batch: shared payload sent twice intact, unknown node dropped");
	if (pl)
		raftblk_payload_put(pl);
}

/* Many messages: all arrive, in order. */
static void test_burst(struct node *a, struct node *b)
{
	const u32 count = 500;
	struct raft_msg *m;
	u64 next = 0;
	bool ok = true;
	u32 i;

	for (i = 0; i < count && ok; i++) {
		m = simple_msg(RAFT_MSG_APPEND_RESP, a->id, b->id, i);
		ok = !rb_transport_send(a->t, m);
	}
	ok = ok && wait_msgs(b, count);
	for (i = 0; ok && i < count; i++) {
		struct rx_item *it = node_pop(b);

		ok = it && it->m.context == next++;
		rx_free(it);
	}
	tap(ok, "500 messages in a row arrive, in order");
	node_drain(b);
}

/*
 * Direct sends (transport.c, conn_send_direct()): a message for an idle
 * connection is sent from the sender's context, counted in
 * frames_direct, and arrives; the same for an APPEND with a 4 KiB entry
 * on the bulk connection.
 */
static noinline_for_stack void test_direct(struct node *a, struct node *b)
{
	struct raft_payload *pl = data_payload(4096, 8, 3);
	struct rb_transport_stats s0, s1;
	static struct raft_entry e;
	struct raft_msg *m;
	struct rx_item *it;
	bool ok;

	node_drain(b);
	/* idle: what was queued before is out */
	msleep(200);
	rb_transport_get_stats(a->t, &s0);
	m = simple_msg(RAFT_MSG_HEARTBEAT, a->id, b->id, 31);
	ok = send_one(a, b, m);
	rb_transport_get_stats(a->t, &s1);
	pr_info("# direct: frames_direct %llu -> %llu, frames_sent %llu -> %llu\n",
		s0.frames_direct, s1.frames_direct, s0.frames_sent,
		s1.frames_sent);
	tap(ok && s1.frames_direct > s0.frames_direct,
	    "idle connection: the sender sends the frame itself (frames_direct), it arrives");

	msleep(200);
	rb_transport_get_stats(a->t, &s0);
	m = simple_msg(RAFT_MSG_APPEND, a->id, b->id, 32);
	one_entry(m, &e, pl);
	ok = pl && !rb_transport_send(a->t, m) && wait_msgs(b, 1);
	it = ok ? node_pop(b) : NULL;
	ok = it && it->m.context == 32 && it->m.n_entries == 1 &&
	     same_payload(pl, it->m.entries[0].payload);
	rx_free(it);
	rb_transport_get_stats(a->t, &s1);
	tap(ok && s1.frames_direct > s0.frames_direct,
	    "idle bulk connection: a 4 KiB APPEND sent by the sender itself arrives intact");
	node_drain(b);
	if (pl)
		raftblk_payload_put(pl);
}

struct sender {
	struct node *from, *to;
	struct raft_payload *pl;
	u32 k, count, busy;
	bool rt;
	int err;
	struct completion done;
};

/*
 * Sender k's count APPENDs of a 512-byte entry (bulk: a full queue
 * refuses, retry). A frame with data takes two socket calls; the rt
 * sender (SCHED_FIFO) pauses after each frame, and when it wakes while
 * another sender is between those calls it preempts it there, tx_mutex
 * held: its frame is queued, and its next one finds the queue not empty
 * and the connection's tx_mutex free (one vCPU: tx_work has not run).
 */
static int sender_fn(void *arg)
{
	struct sender *sd = arg;
	struct raft_entry e;
	struct raft_msg m;
	u32 i;
	int ret;

	if (sd->rt)
		sched_set_fifo_low(current);
	for (i = 0; i < sd->count && !sd->err; i++) {
		memset(&m, 0, sizeof(m));
		m.type = RAFT_MSG_APPEND;
		m.from = sd->from->id;
		m.to = sd->to->id;
		m.term = 42;
		m.index = 1000 + i;
		m.log_term = 42;
		m.context = (u64)sd->k << 32 | i;
		memset(&e, 0, sizeof(e));
		e.type = RAFT_ENTRY_NORMAL;
		e.term = 42;
		e.index = m.index + 1;
		e.payload = sd->pl;
		m.n_entries = 1;
		m.entries = &e;
		while ((ret = rb_transport_send(sd->from->t, &m)) == -ENOBUFS) {
			sd->busy++;
			usleep_range(500, 1000);
		}
		sd->err = ret;
		if (sd->rt)	/* long enough not to starve the workers */
			usleep_range(100, 300);
		else
			cond_resched();
	}
	complete(&sd->done);
	return 0;
}

/*
 * N_SENDERS threads send on one connection at once: some frames go
 * directly, the others are queued behind a frame in progress; every
 * sender's arrive, each sender's in its order (a direct send that
 * overtook a queued frame would break it: seen failing with the
 * queue-empty check of conn_take_direct() left out).
 */
static noinline_for_stack void test_direct_order(struct node *a,
						    struct node *b)
{
	static struct sender sd[N_SENDERS];
	struct raft_payload *pl = data_payload(512, 24, 5);
	struct rb_transport_stats s0, s1;
	const u32 count = 500;	/* the debug kernel delivers ~100 a second */
	struct task_struct *tk;
	bool ok = pl != NULL;
	u32 k, busy = 0;

	if (!pl) {
		tap(false, "4 threads sending on one connection at once (no memory)");
		return;
	}
	node_drain(b);
	spin_lock(&b->lock);
	b->delivered = 0;
	b->disorder = 0;
	memset(b->next_seq, 0, sizeof(b->next_seq));
	spin_unlock(&b->lock);
	WRITE_ONCE(b->auto_release, true);
	rb_transport_get_stats(a->t, &s0);
	for (k = 0; k < N_SENDERS; k++) {
		sd[k] = (struct sender){ .from = a, .to = b, .pl = pl,
					 .k = k + 1, .count = count,
					 .rt = !k };
		init_completion(&sd[k].done);
		tk = kthread_run(sender_fn, &sd[k], "rbtt-send%u", k);
		if (IS_ERR(tk)) {
			sd[k].err = PTR_ERR(tk);
			complete(&sd[k].done);
		}
	}
	for (k = 0; k < N_SENDERS; k++) {
		wait_for_completion(&sd[k].done);
		ok = ok && !sd[k].err;
		busy += sd[k].busy;
	}
	ok = ok && wait_event_timeout(b->wq, READ_ONCE(b->delivered) >=
				      N_SENDERS * count, wait_ms()) > 0;
	WRITE_ONCE(b->auto_release, false);
	rb_transport_get_stats(a->t, &s1);
	spin_lock(&b->lock);
	pr_info("# direct order: delivered %u disorder %u, direct %llu of %llu frames, queue full %u times\n",
		b->delivered, b->disorder, s1.frames_direct - s0.frames_direct,
		s1.frames_sent - s0.frames_sent, busy);
	ok = ok && b->delivered == N_SENDERS * count && !b->disorder;
	spin_unlock(&b->lock);
	tap(ok && s1.frames_direct > s0.frames_direct,
	    "4 threads sending on one connection at once: all arrive, each thread's in order, some sent directly");
	node_drain(b);
	raftblk_payload_put(pl);
}

/* A raw client socket to a node's port. */
static struct socket *raw_connect(struct node *n)
{
	struct socket *s;

	if (sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			     &s))
		return NULL;
	s->sk->sk_rcvtimeo = msecs_to_jiffies(timeout_ms);
	s->sk->sk_sndtimeo = msecs_to_jiffies(timeout_ms);
	if (kernel_connect(s, (struct sockaddr *)&n->addr,
			   sizeof(struct sockaddr_in), 0)) {
		sock_release(s);
		return NULL;
	}
	return s;
}

static int raw_send(struct socket *s, const void *buf, size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_sendmsg(s, &msg, &kv, 1, len);
}

static int raw_recv(struct socket *s, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_recvmsg(s, &msg, &kv, 1, len, MSG_WAITALL);
}

static void test_garbage(struct node *a)
{
	struct rb_transport_stats st;
	struct socket *s;
	u8 junk[64];
	bool ok;

	rb_transport_get_stats(a->t, &st);
	memset(junk, 0xab, sizeof(junk));
	s = raw_connect(a);
	ok = s && raw_send(s, junk, sizeof(junk)) == sizeof(junk) &&
	     WAIT_STAT(a, bad_frames, >= st.bad_frames + 1) &&
	     raw_recv(s, junk, 1) <= 0;
	if (s)
		sock_release(s);
	tap(ok, "garbage instead of a HELLO: counted, connection dropped");
}

/* A peer that says HELLO properly, then sends a corrupt message. */
static void test_bad_frame_after_hello(struct node *a)
{
	struct rb_wire_ids ids = { .local = 5, .peer = a->id };
	struct rb_wire_limits lim;
	struct rb_transport_stats st;
	struct raft_msg *m = simple_msg(RAFT_MSG_HEARTBEAT, 5, a->id, 1);
	u8 buf[RB_WIRE_CTL_MAX + 128];
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct socket *s;
	const char *why;
	size_t flen;
	u32 dlen;
	bool ok;
	int n;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	rb_wire_limits_default(&lim);
	rb_transport_get_stats(a->t, &st);
	s = raw_connect(a);
	n = rb_wire_encode_hello(&ids, RB_WIRE_HELLO, RB_WIRE_CLASS_CONTROL,
				 buf);
	ok = s && raw_send(s, buf, n) == n &&
	     raw_recv(s, buf, RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN) ==
	     RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN &&
	     !rb_wire_decode_header(buf, &lim, &ids, &h, &why) &&
	     h.type == RB_WIRE_HELLO_ACK &&
	     !rb_wire_decode_ctl(&h, buf + RB_WIRE_HDR_LEN, &c, &why) &&
	     c.conn_class == RB_WIRE_CLASS_CONTROL;
	tap(ok, "raw HELLO from an unknown node answered by HELLO_ACK");
	ok = ok && wait_up(a, 5, true);
	tap(ok, "node reports the unknown node up after its HELLO");
	ok = ok && !rb_wire_encode_msg(&ids, m, &lim, NULL, NULL, buf,
				       sizeof(buf), &flen, &dlen, &why);
	if (ok) {
		buf[RB_WIRE_HDR_LEN + 9] ^= 0x10;	/* term, under crc */
		ok = raw_send(s, buf, flen) == flen &&
		     WAIT_STAT(a, bad_frames, >= st.bad_frames + 1) &&
		     raw_recv(s, buf, 1) <= 0 && wait_up(a, 5, false);
	}
	if (s)
		sock_release(s);
	tap(ok, "corrupt message after the handshake: counted, dropped, down");
}

/* Read one frame from a raw socket; its RAFT_MSG context, or -1. */
static s64 raw_read_frame(struct socket *s, const struct rb_wire_ids *ids)
{
	struct rb_wire_payload_desc *d = NULL;
	struct rb_wire_limits lim;
	u8 hdr[RB_WIRE_HDR_LEN];
	struct rb_wire_hdr h;
	struct raft_msg m;
	u8 *meta = NULL, *data = NULL;
	const char *why;
	s64 ret = -1;
	u32 i;

	rb_wire_limits_default(&lim);
	if (raw_recv(s, hdr, sizeof(hdr)) != sizeof(hdr) ||
	    rb_wire_decode_header(hdr, &lim, ids, &h, &why) ||
	    h.type != RB_WIRE_RAFT_MSG)
		return -1;
	meta = kvmalloc(h.meta_len, GFP_KERNEL);
	data = kvmalloc(RAFTBLK_PL_MAX_DATA, GFP_KERNEL);
	if (!meta || !data || raw_recv(s, meta, h.meta_len) != h.meta_len ||
	    rb_wire_decode_msg(&h, meta, &lim, &m, &d, &why))
		goto out;
	ret = m.context;
	for (i = 0; i < m.n_entries; i++) {
		if (!d[i].data_len)
			continue;
		if (raw_recv(s, data, d[i].data_len) != d[i].data_len ||
		    rb_wire_check_data(&d[i],
				       rb_wire_crc_update(rb_wire_crc_begin(),
							  data, d[i].data_len),
				       &why))
			ret = -1;
	}
	rb_wire_msg_release(&m);
	raft_free(d);
out:
	kvfree(meta);
	kvfree(data);
	return ret;
}

/*
 * A peer that does not read: the socket fills, then the send queue
 * (16 frames here); bulk messages are refused, a control message
 * displaces the oldest one. When the peer reads, every frame still
 * queued arrives whole and in order: the non-blocking sender resumes.
 */
static void test_backpressure(void)
{
	struct node *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct rb_wire_ids ids = { .local = 6, .peer = 7 };
	struct raft_payload *pl = data_payload(64 << 10, 0, 9);
	struct rb_transport_stats st0, st1;
	u8 buf[RB_WIRE_CTL_MAX];
	struct raft_entry *ent;
	struct raft_msg *m;
	u32 sent = 0, refused = 0, expect, got = 0, i;
	u64 displaced = 0;
	struct socket *s = NULL;
	s64 last = -1, ctx;
	bool ok;
	int n;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	ent = kcalloc(1, sizeof(*ent), GFP_KERNEL);
	ok = e && pl && ent && !node_start_cfg(e, 7, cluster, 16, false);
	if (ok) {
		s = raw_connect(e);
		ok = s != NULL;
	}
	n = rb_wire_encode_hello(&ids, RB_WIRE_HELLO, RB_WIRE_CLASS_BULK,
				 buf);
	ok = ok && raw_send(s, buf, n) == n &&
	     raw_recv(s, buf, RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN) ==
	     RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN && wait_up(e, 6, true);
	if (!ok)
		goto out;
	rb_transport_get_stats(e->t, &st0);
	ent->type = RAFT_ENTRY_NORMAL;
	ent->term = 42;
	ent->payload = pl;
	/* Until refused (a few MiB in socket buffers, then 16 queued). */
	for (i = 0; i < 4096 && !refused; i++) {
		m = simple_msg(RAFT_MSG_APPEND, 7, 6, i);
		m->index = i;
		ent->index = i + 1;
		m->n_entries = 1;
		m->entries = ent;
		n = rb_transport_send(e->t, m);
		if (!n)
			sent++;
		else if (n == -ENOBUFS)
			refused++;
		else
			ok = false;
		if (!n && !(i % 32))
			usleep_range(500, 1000);	/* let the socket fill */
	}
	m = simple_msg(RAFT_MSG_HEARTBEAT, 7, 6, 100000);
	ok = ok && refused == 1 && !rb_transport_send(e->t, m);
	rb_transport_get_stats(e->t, &st1);
	/*
	 * Dropped: the refused APPEND and, unless the socket took one more
	 * frame meanwhile, the oldest queued one, displaced by the heartbeat.
	 */
	displaced = st1.msgs_dropped - st0.msgs_dropped - 1;
	ok = ok && displaced <= 1;
	tap(ok, "peer not reading: bulk refused when the queue is full, control displaces the oldest");
	expect = sent - displaced + 1;
	pr_info("# backpressure: %u APPENDs of 64 KiB accepted before the refusal, %llu displaced\n",
		sent, displaced);
	for (got = 0; ok && got < expect; got++) {
		ctx = raw_read_frame(s, &ids);
		/* In order; exactly one APPEND missing (displaced). */
		if (ctx < 0 || ctx <= last || (ctx != 100000 && ctx > last + 2))
			ok = false;
		last = ctx;
	}
	tap(ok && last == 100000,
	    "peer reads again: every queued frame arrives whole, in order");
out:
	if (s)
		sock_release(s);
	if (e && e->t)
		node_stop(e);
	kfree(e);
	kfree(ent);
	if (pl)
		raftblk_payload_put(pl);
}

/* The wire codec's view of the kernel payloads, for raw peers. */
/* Xored into every crc t_describe() gives: a frame whose crc is wrong. */
static u32 t_describe_crc_xor;

static int t_describe(void *ctx, const struct raft_payload *p,
		      struct rb_wire_payload_desc *d)
{
	u32 len = raftblk_payload_data_len(p);
	u8 *buf = kvmalloc(len ? len : 1, GFP_KERNEL);

	if (!buf)
		return RB_WIRE_ENOMEM;
	d->flags = p->flags;
	d->sector = p->sector;
	d->len = p->len;
	d->data_len = len;
	raftblk_payload_copy_out(p, 0, buf, len);
	d->crc = len ? rb_wire_crc_end(rb_wire_crc_update(rb_wire_crc_begin(),
							  buf, len)) : 0;
	d->crc ^= t_describe_crc_xor;
	kvfree(buf);
	return 0;
}

static const struct rb_wire_payload_ops test_payload_ops = {
	.describe = t_describe,
};

/* Both connections with peer up (has_addr: the peer is configured). */
static noinline_for_stack bool wait_both_up(struct node *a, u64 peer,
					    bool has_addr)
{
	/* ~1.4 KiB: not inlined into callers (KASAN's 2 KiB frame limit) */
	struct rb_transport_peer_info pi[MAX_ID];
	unsigned long end = jiffies + wait_ms();
	bool ok = false;
	int n, i;

	while (!ok && !time_after(jiffies, end)) {
		n = rb_transport_peers(a->t, pi, MAX_ID);
		for (i = 0; i < n && i < MAX_ID; i++)
			if (pi[i].id == peer && pi[i].has_addr == has_addr &&
			    pi[i].state[0] == RB_CONN_UP &&
			    pi[i].state[1] == RB_CONN_UP)
				ok = true;
		if (!ok)
			msleep(20);
	}
	return ok;
}

static void test_peers_info(struct node *a, u64 peer)
{
	tap(wait_both_up(a, peer, true),
	    "peer list shows control and bulk connections up");
}

/* A raw peer (node id) that completed its HELLO with node a. */
static struct socket *raw_peer(struct node *a, u64 id, u8 cls)
{
	struct rb_wire_ids ids = { .local = id, .peer = a->id };
	u8 buf[RB_WIRE_CTL_MAX];
	struct socket *s = raw_connect(a);
	int n;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	n = rb_wire_encode_hello(&ids, RB_WIRE_HELLO, cls, buf);
	if (s && raw_send(s, buf, n) == n &&
	    raw_recv(s, buf, RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN) ==
	    RB_WIRE_HDR_LEN + RB_WIRE_HELLO_LEN && buf[6] == RB_WIRE_HELLO_ACK)
		return s;
	if (s)
		sock_release(s);
	return NULL;
}

/* An APPEND from id to a->id with a 64 KiB and a 4 KiB payload, as one
 * contiguous frame (kvfree it).
 */
static u8 *raw_append_frame(struct node *a, u64 id, size_t *len)
{
	struct rb_wire_ids ids = { .local = id, .peer = a->id };
	struct raft_payload *p0 = data_payload(64 << 10, 128, 3);
	struct raft_payload *p1 = data_payload(4096, 7, 4);
	static struct raft_entry e[2];
	struct rb_wire_limits lim;
	struct raft_msg *m;
	size_t flen, off;
	const char *why;
	u8 *buf = NULL;
	u32 dlen;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	rb_wire_limits_default(&lim);
	if (!p0 || !p1)
		goto out;
	memset(e, 0, sizeof(e));
	e[0] = (struct raft_entry){ .term = 42, .index = 1001,
				    .type = RAFT_ENTRY_NORMAL, .payload = p0 };
	e[1] = (struct raft_entry){ .term = 42, .index = 1002,
				    .type = RAFT_ENTRY_NORMAL, .payload = p1 };
	m = simple_msg(RAFT_MSG_APPEND, id, a->id, 31337);
	m->n_entries = 2;
	m->entries = e;
	buf = kvmalloc(rb_wire_msg_size(m) + (68 << 10), GFP_KERNEL);
	if (!buf || rb_wire_encode_msg(&ids, m, &lim, &test_payload_ops, NULL,
				       buf, rb_wire_msg_size(m), &flen, &dlen,
				       &why)) {
		kvfree(buf);
		buf = NULL;
		goto out;
	}
	off = flen;
	raftblk_payload_copy_out(p0, 0, buf + off, 64 << 10);
	off += 64 << 10;
	raftblk_payload_copy_out(p1, 0, buf + off, 4096);
	*len = off + 4096;
out:
	if (p0)
		raftblk_payload_put(p0);
	if (p1)
		raftblk_payload_put(p1);
	return buf;
}

/*
 * The receive state machine resumes anywhere: a frame sent in small
 * random pieces (header, meta, payload pages split) arrives intact. Then
 * frames with one random byte changed: each is counted bad and closes
 * its connection; the node keeps working.
 */
/*
 * Which connection each message takes: every APPEND, with entries or
 * without (a probe, or only the new commit index), goes over the bulk
 * connection, so an empty one can never overtake the entries sent
 * before it (the follower would reject it and the leader would send
 * everything in flight again); a HEARTBEAT takes the control one.
 */
static void test_message_classes(void)
{
	struct node *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct rb_wire_ids ids = { .local = 6, .peer = 5 };
	struct raft_payload *pl = data_payload(64 << 10, 0, 3);
	struct raft_entry *ent = kcalloc(1, sizeof(*ent), GFP_KERNEL);
	struct socket *ctl = NULL, *bulk = NULL;
	struct rb_transport_config cfg;
	struct raft_msg *m;
	bool ok = e && pl && ent;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	if (ok) {
		/* no keepalive PING on the raw sockets during the test */
		rb_transport_config_default(&cfg);
		cfg.keepalive_ms = 60000;
		cfg.dead_ms = 120000;
		ok = !node_create(e, 5, cluster, &cfg, false);
	}
	if (ok) {
		ctl = raw_peer(e, 6, RB_WIRE_CLASS_CONTROL);
		bulk = raw_peer(e, 6, RB_WIRE_CLASS_BULK);
		/* The HELLO_ACK goes out just before the node registers
		 * the connection: wait for both, or the HEARTBEAT may take
		 * the bulk one (the only one up yet).
		 */
		ok = ctl && bulk && wait_up(e, 6, true) &&
		     wait_both_up(e, 6, false);
		if (!ok)
			pr_info("# classes: raw peers %d %d\n", !!ctl, !!bulk);
	}
	if (ok) {
		ent->type = RAFT_ENTRY_NORMAL;
		ent->term = 42;
		ent->index = 1001;
		ent->payload = pl;
		m = simple_msg(RAFT_MSG_APPEND, 5, 6, 1);
		m->n_entries = 1;
		m->entries = ent;
		ok = !rb_transport_send(e->t, m);
		m = simple_msg(RAFT_MSG_APPEND, 5, 6, 2);	/* no entries */
		ok = ok && !rb_transport_send(e->t, m);
		m = simple_msg(RAFT_MSG_HEARTBEAT, 5, 6, 3);
		ok = ok && !rb_transport_send(e->t, m);
	}
	if (ok) {
		s64 c1 = raw_read_frame(bulk, &ids), c2 = -9, c3 = -9;

		if (c1 == 1)
			c2 = raw_read_frame(bulk, &ids);
		if (c2 == 2)
			c3 = raw_read_frame(ctl, &ids);
		ok = c3 == 3;
		if (!ok)
			pr_info("# classes: read %lld, %lld, %lld (want 1, 2, 3)\n",
				c1, c2, c3);
	}
	tap(ok, "APPENDs with and without entries take the bulk connection, in order; HEARTBEAT the control one");
	if (ctl)
		sock_release(ctl);
	if (bulk)
		sock_release(bulk);
	if (e && e->t)
		node_stop(e);
	kfree(e);
	kfree(ent);
	if (pl)
		raftblk_payload_put(pl);
}

/* A copy frame (resync) of kind from 5 to 6, context ctx. */
static struct raft_msg *copy_msg(u8 kind, struct raft_entry *ent,
				 struct raft_payload *pl, u64 ctx)
{
	struct raft_msg *m = simple_msg(RAFT_MSG_SNAPSHOT, 5, 6, ctx);

	m->flags = RB_WIRE_MSGF_COPY;
	m->hint_term = kind;
	m->hint_index = 0x1234567;	/* copy id */
	m->index = 0;			/* chunk number */
	m->commit = 0;			/* base: a full copy */
	m->snap.index = 900;
	m->snap.term = 40;
	if (kind == RB_WIRE_COPY_CHUNK) {
		memset(ent, 0, sizeof(*ent));
		ent->type = RAFT_ENTRY_NORMAL;
		ent->term = 42;
		ent->index = 1;
		ent->payload = pl;
		m->n_entries = 1;
		m->entries = ent;
	}
	return m;
}

/*
 * Peek at the next frame on a raw socket: a PING (or PONG) is consumed
 * (its cookie in *cookie, returns its type); else nothing is consumed
 * and 0 is returned (-1: nothing readable).
 */
static int raw_skip_ping(struct socket *s, const struct rb_wire_ids *ids,
			 u64 *cookie)
{
	u8 buf[RB_WIRE_HDR_LEN + RB_WIRE_PING_LEN];
	struct kvec kv = { .iov_base = buf, .iov_len = RB_WIRE_HDR_LEN };
	struct msghdr msg = {};
	struct rb_wire_limits lim;
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	const char *why;

	rb_wire_limits_default(&lim);
	if (kernel_recvmsg(s, &msg, &kv, 1, RB_WIRE_HDR_LEN,
			   MSG_PEEK | MSG_WAITALL) != RB_WIRE_HDR_LEN ||
	    rb_wire_decode_header(buf, &lim, ids, &h, &why))
		return -1;
	if (h.type != RB_WIRE_PING && h.type != RB_WIRE_PONG)
		return 0;
	if (raw_recv(s, buf, sizeof(buf)) != sizeof(buf) ||
	    rb_wire_decode_ctl(&h, buf + RB_WIRE_HDR_LEN, &c, &why))
		return -1;
	*cookie = c.cookie;
	return h.type;
}

/* The SNAPSHOT that starts a copy at 900, from 5 to 6, context ctx. */
static int send_copy_start(struct node *e, u64 ctx)
{
	struct raft_msg *m = simple_msg(RAFT_MSG_SNAPSHOT, 5, 6, ctx);

	m->snap.index = 900;
	m->snap.term = 40;
	return rb_transport_send(e->t, m);
}

/*
 * A peer that restarted while this node still held the bulk connection
 * to its previous life (the kernel there forgot it; here it stays up
 * until a frame sent on it draws a reset): the SNAPSHOT that starts a
 * copy takes the bulk connection only if the peer sent something on it
 * since its current control connection came up (or since it dialed a
 * class this node had a connection of). Until then it is refused
 * (-EAGAIN) and the bulk connection is probed with a PING; its PONG
 * proves it. Without that the SNAPSHOT went on the stale connection,
 * the copy's chunks on the new one, and the restarted node dropped the
 * copy it never heard of: a second copy on every follower reboot
 * (vm-resync-delta).
 */
static void test_copy_start_renewed(void)
{
	struct node *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct rb_wire_ids ids = { .local = 6, .peer = 5 };
	struct socket *ctl = NULL, *ctl2 = NULL, *bulk = NULL;
	struct rb_transport_config cfg;
	int r1 = -9, r2 = -9, r3 = -9, ping = -9;
	s64 c1 = -9, c3 = -9;
	unsigned long end;
	u8 buf[RB_WIRE_CTL_MAX];
	u64 cookie = 0;
	bool ok = e;
	int n;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	if (ok) {
		rb_transport_config_default(&cfg);
		cfg.keepalive_ms = 60000;	/* no PING but the probe */
		cfg.dead_ms = 120000;
		ok = !node_create(e, 5, cluster, &cfg, false);
	}
	if (ok) {
		ctl = raw_peer(e, 6, RB_WIRE_CLASS_CONTROL);
		ok = ctl && wait_up(e, 6, true);
	}
	if (ok) {
		bulk = raw_peer(e, 6, RB_WIRE_CLASS_BULK);
		ok = bulk && wait_both_up(e, 6, false);
	}
	if (ok) {
		/* the bulk connection came up after the control one */
		r1 = send_copy_start(e, 21);
		c1 = raw_read_frame(bulk, &ids);
	}
	tap(ok && r1 == 0 && c1 == 21,
	    "the SNAPSHOT that starts a copy takes a bulk connection that came up after the control one");
	if (ok) {
		/*
		 * The peer's next life dials the control class again: the
		 * newer connection of the same dialer is kept, the old one
		 * closed (then the new one is up).
		 */
		ctl2 = raw_peer(e, 6, RB_WIRE_CLASS_CONTROL);
		ok = ctl2 && raw_recv(ctl, buf, 1) <= 0;
	}
	if (ok) {
		r2 = send_copy_start(e, 22);
		ping = raw_skip_ping(bulk, &ids, &cookie);
	}
	tap(ok && r2 == -EAGAIN && ping == RB_WIRE_PING,
	    "a new control connection: the SNAPSHOT that starts a copy is refused on the bulk connection not heard since (-EAGAIN), which is probed (PING)");
	if (r2 != -EAGAIN || ping != RB_WIRE_PING)
		pr_info("# renewed: send %d, bulk frame %d (want -EAGAIN, PING)\n",
			r2, ping);
	if (ok) {
		n = rb_wire_encode_ping(&ids, RB_WIRE_PONG, cookie, buf);
		ok = n > 0 && raw_send(bulk, buf, n) == n;
	}
	end = jiffies + wait_ms();
	while (ok && r3 && !time_after(jiffies, end)) {
		r3 = send_copy_start(e, 23);
		if (r3)
			msleep(20);
	}
	if (ok && !r3) {
		/* probes sent meanwhile come first */
		while (raw_skip_ping(bulk, &ids, &cookie) > 0)
			;
		c3 = raw_read_frame(bulk, &ids);
	}
	tap(ok && r3 == 0 && c3 == 23,
	    "its PONG heard: the SNAPSHOT that starts a copy takes the bulk connection");
	if (ctl)
		sock_release(ctl);
	if (ctl2)
		sock_release(ctl2);
	if (bulk)
		sock_release(bulk);
	if (e && e->t)
		node_stop(e);
	kfree(e);
}

/*
 * A copy's frames never take the control connection: queued there while
 * the bulk one was not up yet, they were overtaken by the next ones on
 * the bulk connection once it was, and the follower dropped the copy
 * ("chunk missing or out of order"; a new node's first copy often
 * broke). The follower's ABORT of a copy has no data: control.
 */
static void test_copy_bulk_only(void)
{
	struct node *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct rb_wire_ids ids = { .local = 6, .peer = 5 };
	struct raft_payload *pl = data_payload(8192, 0, 5);
	struct raft_entry *ent = kcalloc(1, sizeof(*ent), GFP_KERNEL);
	struct socket *ctl = NULL, *bulk = NULL;
	struct rb_transport_config cfg;
	s64 c1 = -9, c2 = -9, c3 = -9;
	int r1 = -9, r2 = -9;
	bool ok = e && pl && ent;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	if (pl)
		pl->flags = 0;		/* a copy chunk is plain data */
	if (ok) {
		rb_transport_config_default(&cfg);
		cfg.keepalive_ms = 60000;
		cfg.dead_ms = 120000;
		ok = !node_create(e, 5, cluster, &cfg, false);
	}
	if (ok) {
		ctl = raw_peer(e, 6, RB_WIRE_CLASS_CONTROL);
		ok = ctl && wait_up(e, 6, true);
	}
	if (ok) {
		/* only the control connection is up */
		r1 = rb_transport_send(e->t, copy_msg(RB_WIRE_COPY_CHUNK, ent,
						      pl, 10));
		r2 = rb_transport_send(e->t, copy_msg(RB_WIRE_COPY_ABORT, ent,
						      pl, 11));
		ok = !rb_transport_send(e->t,
					simple_msg(RAFT_MSG_HEARTBEAT, 5, 6, 3));
	}
	if (ok) {
		c1 = raw_read_frame(ctl, &ids);
		if (c1 == 11)
			c2 = raw_read_frame(ctl, &ids);
	}
	tap(ok && r1 == -EAGAIN && r2 == 0 && c1 == 11 && c2 == 3,
	    "a copy chunk without the bulk connection: -EAGAIN, not sent on the control one; a copy ABORT and a HEARTBEAT take it");
	if (r1 != -EAGAIN || c1 != 11 || c2 != 3)
		pr_info("# copy: send %d %d, control read %lld, %lld (want -EAGAIN 0, 11, 3)\n",
			r1, r2, c1, c2);
	if (ok) {
		bulk = raw_peer(e, 6, RB_WIRE_CLASS_BULK);
		ok = bulk && wait_both_up(e, 6, false) &&
		     !rb_transport_send(e->t, copy_msg(RB_WIRE_COPY_CHUNK, ent,
						       pl, 12));
		if (ok)
			c3 = raw_read_frame(bulk, &ids);
	}
	tap(ok && c3 == 12, "the bulk connection up: the copy chunk takes it");
	if (ctl)
		sock_release(ctl);
	if (bulk)
		sock_release(bulk);
	if (e && e->t)
		node_stop(e);
	kfree(e);
	kfree(ent);
	if (pl)
		raftblk_payload_put(pl);
}

static int raw_send_nb(struct socket *s, const void *buf, size_t len)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	return kernel_sendmsg(s, &msg, &kv, 1, len);
}

static bool last_ctx_is(struct node *n, u64 ctx)
{
	struct rx_item *it;
	bool y = false;

	spin_lock(&n->lock);
	if (!list_empty(&n->msgs)) {
		it = list_last_entry(&n->msgs, struct rx_item, node);
		y = it->m.context == ctx;
	}
	spin_unlock(&n->lock);
	return y;
}

static u32 delivered(struct node *n)
{
	u32 d;

	spin_lock(&n->lock);
	d = n->delivered;
	spin_unlock(&n->lock);
	return d;
}

/*
 * Frames faster than the node drains them (a node waiting on its disk):
 * a raw peer sends 64 KiB APPENDs without waiting while the node keeps
 * every delivered message queued. What the queued messages hold never
 * exceeds the receive budget: the transport stops reading, TCP pushes
 * back and the sender blocks. A HEARTBEAT on the control connection still
 * gets through (bulk leaves room for it). When the node drains its queue,
 * reading resumes and every frame arrives, in order.
 */
static void test_rx_budget(void)
{
	const u32 count = 400, plen = 64 << 10;
	struct node *e = kzalloc(sizeof(*e), GFP_KERNEL);
	struct rb_wire_ids ids = { .local = 6, .peer = 7 };
	struct raft_payload *pl = data_payload(plen, 0, 11);
	struct raft_entry *ent = kcalloc(1, sizeof(*ent), GFP_KERNEL);
	/* static: ~1.4 KiB, too big for the stack with KASAN's redzones */
	static struct rb_transport_peer_info pi[MAX_ID];
	struct socket *bulk = NULL, *ctl = NULL;
	struct rb_transport_config cfg;
	struct rb_transport_stats st;
	size_t frame_len = 0, off = 0, flen;
	u32 sent = 0, stalls = 0, dlen, i;
	u8 *f = kvmalloc(RB_WIRE_HDR_LEN + 256 + plen, GFP_KERNEL);
	u8 hb[RB_WIRE_HDR_LEN + RB_WIRE_MSG_LEN];
	const char *why = "";
	u64 peer_rx = 0;
	struct raft_msg *m;
	bool ok = e && pl && ent && f, blocked = false;
	int n;

	memcpy(ids.cluster, cluster, sizeof(cluster));
	rb_transport_config_default(&cfg);
	cfg.keepalive_ms = 60000;
	cfg.dead_ms = 120000;
	cfg.limits.max_meta_len = 64 << 10;
	cfg.limits.max_data_len = 1 << 20;
	cfg.limits.max_entries = 64;
	cfg.rx_bytes = 4 << 20;
	cfg.rx_peer_bytes = 4 << 20;
	ok = ok && !node_create(e, 7, cluster, &cfg, false);
	if (ok) {
		bulk = raw_peer(e, 6, RB_WIRE_CLASS_BULK);
		ctl = raw_peer(e, 6, RB_WIRE_CLASS_CONTROL);
		ok = bulk && ctl && wait_both_up(e, 6, false);
	}
	ent->type = RAFT_ENTRY_NORMAL;
	ent->term = 42;
	ent->payload = pl;
	/* As fast as the socket takes them, until it pushes back. */
	while (ok && sent < count && !blocked) {
		if (!frame_len) {
			m = simple_msg(RAFT_MSG_APPEND, 6, 7, sent);
			m->index = sent;
			ent->index = sent + 1;
			m->n_entries = 1;
			m->entries = ent;
			ok = !rb_wire_encode_msg(&ids, m, &cfg.limits,
						 &test_payload_ops, NULL, f,
						 RB_WIRE_HDR_LEN + 256, &flen,
						 &dlen, &why);
			raftblk_payload_copy_out(pl, 0, f + flen, plen);
			frame_len = flen + plen;
			off = 0;
		}
		n = ok ? raw_send_nb(bulk, f + off, frame_len - off) : -EIO;
		if (n == -EAGAIN) {
			/* No room for 2 s: the receiver is not reading. */
			if (++stalls > 200)
				blocked = true;
			else
				usleep_range(10000, 20000);
			continue;
		}
		ok = ok && n > 0;
		stalls = 0;
		off += max(n, 0);
		if (off == frame_len) {
			sent++;
			frame_len = 0;
		}
	}
	ok = ok && blocked && WAIT_STAT(e, rx_paused, >= 1);
	msleep(200);
	rb_transport_get_stats(e->t, &st);
	n = rb_transport_peers(e->t, pi, MAX_ID);
	for (i = 0; i < n && i < MAX_ID; i++)
		if (pi[i].id == 6)
			peer_rx = pi[i].rx_bytes;
	spin_lock(&e->lock);
	pr_info("# rx budget %u KiB: sender blocked after %u of %u frames of 64 KiB; node holds %u messages, %zu KiB (peak %zu KiB); transport peak %llu KiB, peer 6 holds %llu KiB, %llu pauses\n",
		cfg.rx_bytes >> 10, sent, count, e->n_msgs, e->held >> 10,
		e->held_peak >> 10, st.rx_bytes_peak >> 10, peer_rx >> 10,
		st.rx_paused);
	ok = ok && e->held_peak <= cfg.rx_bytes &&
	     st.rx_bytes_peak <= cfg.rx_bytes && peer_rx >= e->held &&
	     peer_rx <= cfg.rx_peer_bytes && e->n_msgs < count;
	spin_unlock(&e->lock);
	tap(ok, "frames faster than the node drains: receive memory stays within the budget, the sender is pushed back");

	/* Votes and heartbeats are still read. */
	m = simple_msg(RAFT_MSG_HEARTBEAT, 6, 7, 424242);
	ids.peer = 7;
	ok = ok && !rb_wire_encode_msg(&ids, m, &cfg.limits, NULL, NULL, hb,
				       sizeof(hb), &flen, &dlen, &why) &&
	     raw_send(ctl, hb, flen) == flen &&
	     wait_event_timeout(e->wq, last_ctx_is(e, 424242),
				wait_ms()) > 0;
	tap(ok, "a HEARTBEAT on the control connection is read while bulk waits for budget");

	/*
	 * The node drains: reading resumes, everything arrives in order.
	 * Nothing is read meanwhile (no budget was given back yet): check
	 * the queue, then consume from here on as messages come.
	 */
	if (ok) {
		struct rx_item *it;
		u64 want = 0;

		spin_lock(&e->lock);
		list_for_each_entry(it, &e->msgs, node) {
			if (it->m.context == 424242)
				continue;
			if (it->m.context != want)
				ok = false;
			want = it->m.context + 1;
		}
		e->next_ctx = want;
		e->delivered = want;
		WRITE_ONCE(e->auto_release, true);
		spin_unlock(&e->lock);
		node_drain(e);
		/* Blocking sends now: the rest of this frame, then more. */
		bulk->sk->sk_sndtimeo = wait_ms();
		if (frame_len && raw_send(bulk, f + off, frame_len - off) !=
		    frame_len - off)
			ok = false;
		else if (frame_len)
			sent++;
		for (i = sent; ok && i < count; i++) {
			m = simple_msg(RAFT_MSG_APPEND, 6, 7, i);
			m->index = i;
			ent->index = i + 1;
			m->n_entries = 1;
			m->entries = ent;
			ok = !rb_wire_encode_msg(&ids, m, &cfg.limits,
						 &test_payload_ops, NULL, f,
						 RB_WIRE_HDR_LEN + 256, &flen,
						 &dlen, &why);
			raftblk_payload_copy_out(pl, 0, f + flen, plen);
			ok = ok && raw_send(bulk, f, flen + plen) == flen + plen;
		}
		ok = ok && wait_event_timeout(e->wq, delivered(e) >= count,
					      wait_ms()) > 0;
		spin_lock(&e->lock);
		ok = ok && !e->disorder && e->delivered == count;
		spin_unlock(&e->lock);
	}
	ok = ok && WAIT_STAT(e, rx_bytes, == 0);
	tap(ok, "the node drains: reading resumes, all 400 frames arrive in order, the budget is all given back");
	if (bulk)
		sock_release(bulk);
	if (ctl)
		sock_release(ctl);
	if (e && e->t)
		node_stop(e);
	kfree(e);
	kfree(ent);
	kvfree(f);
	if (pl)
		raftblk_payload_put(pl);
}

static void test_pieces_and_flips(struct node *a)
{
	struct rb_transport_stats st;
	struct socket *s;
	size_t len = 0, off, n;
	struct rx_item *it;
	u32 i, rnd, flips = 16;
	bool ok;
	u8 *f;

	node_drain(a);
	f = raw_append_frame(a, 5, &len);
	s = f ? raw_peer(a, 5, RB_WIRE_CLASS_BULK) : NULL;
	ok = s != NULL;
	for (off = 0; ok && off < len; off += n) {
		get_random_bytes(&rnd, sizeof(rnd));
		n = min_t(size_t, len - off, 1 + rnd % 1500);
		ok = raw_send(s, f + off, n) == n;
		if (!(rnd & 0x70000))
			usleep_range(200, 400);
	}
	ok = ok && wait_msgs(a, 1);
	it = ok ? node_pop(a) : NULL;
	ok = it && it->m.context == 31337 && it->m.n_entries == 2 &&
	     it->m.entries[0].payload && it->m.entries[1].payload &&
	     it->m.entries[0].payload->sector == 128 &&
	     raftblk_payload_data_len(it->m.entries[0].payload) == 64 << 10 &&
	     raftblk_payload_data_len(it->m.entries[1].payload) == 4096;
	if (ok) {
		u8 *chk = kvmalloc(64 << 10, GFP_KERNEL);

		ok = chk && !raftblk_payload_copy_out(it->m.entries[0].payload,
						      0, chk, 64 << 10) &&
		     !memcmp(chk, f + len - (68 << 10), 64 << 10);
		kvfree(chk);
	}
	rx_free(it);
	if (s)
		sock_release(s);
	tap(ok, "frame sent in random small pieces arrives intact");
	ok = f != NULL;
	for (i = 0; ok && i < flips; i++) {
		u8 bit, junk;

		rb_transport_get_stats(a->t, &st);
		s = raw_peer(a, 5, RB_WIRE_CLASS_BULK);
		get_random_bytes(&rnd, sizeof(rnd));
		bit = 1 << (rnd % 8);
		/* header, meta, first and last payload bytes, anywhere */
		switch (i % 4) {
		case 0:
			off = rnd % RB_WIRE_HDR_LEN;
			break;
		case 1:
			off = RB_WIRE_HDR_LEN + rnd % (len - (68 << 10) -
						       RB_WIRE_HDR_LEN);
			break;
		case 2:
			off = len - 1 - rnd % 16;
			break;
		default:
			off = rnd % len;
			break;
		}
		f[off] ^= bit;
		/* The node may close before all is sent: ignore errors. */
		if (s)
			raw_send(s, f, len);
		ok = s && WAIT_STAT(a, bad_frames, >= st.bad_frames + 1) &&
		     raw_recv(s, &junk, 1) <= 0;
		f[off] ^= bit;
		if (s)
			sock_release(s);
	}
	tap(ok && node_count(a) == 0,
	    "16 frames with one flipped bit: each counted bad, none delivered");
	kvfree(f);
}

/*
 * An APPEND with as many entries as the limit allows (4096, each with a
 * 512-byte payload), from a raw peer. Its entry and descriptor arrays
 * are bigger than a page: the codec takes them from raft_calloc() (here
 * always vmalloc, RAFTBLK_TEST_VMALLOC), and whoever frees them must use
 * the matching call (a kfree() of one crashed the receiver).
 */
static void test_many_entries(struct node *a)
{
	const u32 n = 4096, plen = 512;
	struct rb_wire_ids ids = { .local = 5, .peer = a->id };
	struct raft_payload *pl = data_payload(plen, 64, 8);
	struct raft_entry *e = kvcalloc(n, sizeof(*e), GFP_KERNEL);
	struct rb_wire_limits lim;
	struct rx_item *it = NULL;
	struct socket *s = NULL;
	struct raft_msg *m;
	size_t size, flen, off;
	const char *why = "";
	u8 *buf = NULL;
	u32 dlen, i;
	bool ok;

	node_drain(a);
	memcpy(ids.cluster, cluster, sizeof(cluster));
	rb_wire_limits_default(&lim);
	ok = pl && e && lim.max_entries == n;
	m = simple_msg(RAFT_MSG_APPEND, 5, a->id, 4096);
	for (i = 0; ok && i < n; i++) {
		e[i].term = 42;
		e[i].index = m->index + 1 + i;
		e[i].type = RAFT_ENTRY_NORMAL;
		e[i].payload = pl;
	}
	m->n_entries = n;
	m->entries = e;
	size = ok ? rb_wire_msg_size(m) : 0;
	buf = size ? kvmalloc(size + (size_t)n * plen, GFP_KERNEL) : NULL;
	ok = buf && !rb_wire_encode_msg(&ids, m, &lim, &test_payload_ops,
					NULL, buf, size, &flen, &dlen, &why) &&
	     dlen == n * plen;
	if (!ok)
		pr_info("# many entries: cannot build the frame: %s\n", why);
	for (i = 0, off = flen; ok && i < n; i++, off += plen)
		raftblk_payload_copy_out(pl, 0, buf + off, plen);
	if (ok) {
		s = raw_peer(a, 5, RB_WIRE_CLASS_BULK);
		ok = s && raw_send(s, buf, off) == off && wait_msgs(a, 1);
	}
	it = ok ? node_pop(a) : NULL;
	ok = it && it->m.context == 4096 && it->m.n_entries == n &&
	     it->m.entries[n - 1].index == m->index + n &&
	     same_payload(pl, it->m.entries[0].payload) &&
	     same_payload(pl, it->m.entries[n - 1].payload);
	/* The arrays go back with the matching free (and the payloads). */
	rx_free(it);
	tap(ok, "4096-entry APPEND from a raw peer arrives whole; its arrays are freed with the matching call");
	if (s)
		sock_release(s);
	kvfree(buf);
	kvfree(e);
	if (pl)
		raftblk_payload_put(pl);
}

static void test_wrong_cluster(struct node *a)
{
	struct node *d = kzalloc(sizeof(*d), GFP_KERNEL);
	struct rb_transport_stats st;
	bool ok;

	if (!d || node_start(d, 4, other_cluster)) {
		kfree(d);
		tap(false, "node of another cluster refused");
		return;
	}
	rb_transport_get_stats(a->t, &st);
	ok = !rb_transport_set_peer(d->t, a->id, &a->addr) &&
	     WAIT_STAT(d, refused_by_peer, >= 1) &&
	     WAIT_STAT(a, refused_peers, >= st.refused_peers + 1) &&
	     !node_is_up(d, a->id) && !node_is_up(a, 4);
	tap(ok, "node of another cluster refused (counted on both ends)");
	node_stop(d);
	kfree(d);
}

static void put_le(u8 *p, u64 v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 get_le(const u8 *p, int n)
{
	u64 v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * A stranger (another cluster, naming a node id that is not this node's)
 * says HELLO: the REFUSE it gets names nothing of the node, neither its
 * cluster id nor its node id; it only echoes the HELLO's ids.
 */
static void test_refuse_contents(struct node *a)
{
	struct rb_wire_ids ids = { .local = 5, .peer = 9 };
	struct rb_transport_stats st;
	u8 buf[RB_WIRE_CTL_MAX];
	struct socket *s;
	bool ok;
	int n, len = RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN;

	memcpy(ids.cluster, other_cluster, sizeof(other_cluster));
	rb_transport_get_stats(a->t, &st);
	s = raw_connect(a);
	n = rb_wire_encode_hello(&ids, RB_WIRE_HELLO, RB_WIRE_CLASS_CONTROL,
				 buf);
	ok = s && raw_send(s, buf, n) == n && raw_recv(s, buf, len) == len &&
	     WAIT_STAT(a, refused_peers, >= st.refused_peers + 1);
	ok = ok && get_le(buf, 4) == RB_WIRE_MAGIC &&
	     buf[6] == RB_WIRE_REFUSE &&
	     get_le(buf + RB_WIRE_HDR_LEN, 2) == RB_WIRE_REFUSE_CLUSTER;
	if (ok && (memchr_inv(buf + 16, 0, RB_WIRE_UUID_LEN) ||
		   get_le(buf + 32, 8) != 9 || get_le(buf + 40, 8) != 5)) {
		pr_info("# REFUSE says cluster %*phN sender %llu receiver %llu\n",
			RB_WIRE_UUID_LEN, buf + 16, get_le(buf + 32, 8),
			get_le(buf + 40, 8));
		ok = false;
	}
	if (s)
		sock_release(s);
	tap(ok, "wrong-cluster HELLO: the REFUSE carries no cluster id and no node id of the node");
}

/*
 * A peer with the cluster id sends a HEARTBEAT with term 2^64-1 (sealed
 * with valid crcs): refused as a bad frame, counted, never delivered
 * (so never adopted), and its connection is closed.
 */
static void test_term_bomb(struct node *a)
{
	struct rb_wire_ids ids = { .local = 5, .peer = a->id };
	struct raft_msg *m = simple_msg(RAFT_MSG_HEARTBEAT, 5, a->id, 66);
	struct rb_transport_stats st;
	struct rb_wire_limits lim;
	u8 buf[RB_WIRE_HDR_LEN + RB_WIRE_MSG_LEN], junk;
	struct socket *s;
	const char *why = "";
	size_t flen;
	u32 dlen;
	bool ok;

	node_drain(a);
	memcpy(ids.cluster, cluster, sizeof(cluster));
	rb_wire_limits_default(&lim);
	ok = !rb_wire_encode_msg(&ids, m, &lim, NULL, NULL, buf, sizeof(buf),
				 &flen, &dlen, &why) && flen == sizeof(buf);
	/* term := 2^64-1, then re-seal: the crcs do not stop it. */
	put_le(buf + RB_WIRE_HDR_LEN + 8, ~0ULL, 8);
	put_le(buf + 48, raftblk_crc32c(buf + RB_WIRE_HDR_LEN,
					RB_WIRE_MSG_LEN), 4);
	put_le(buf + 60, raftblk_crc32c(buf, 60), 4);
	rb_transport_get_stats(a->t, &st);
	s = ok ? raw_peer(a, 5, RB_WIRE_CLASS_CONTROL) : NULL;
	ok = s && wait_up(a, 5, true) && raw_send(s, buf, flen) == flen &&
	     WAIT_STAT(a, bad_frames, >= st.bad_frames + 1) &&
	     raw_recv(s, &junk, 1) <= 0 && wait_up(a, 5, false);
	/* Then a sane HEARTBEAT from the same peer is delivered. */
	if (s)
		sock_release(s);
	s = ok ? raw_peer(a, 5, RB_WIRE_CLASS_CONTROL) : NULL;
	m = simple_msg(RAFT_MSG_HEARTBEAT, 5, a->id, 67);
	ok = ok && s && node_count(a) == 0 &&
	     !rb_wire_encode_msg(&ids, m, &lim, NULL, NULL, buf, sizeof(buf),
				 &flen, &dlen, &why) &&
	     raw_send(s, buf, flen) == flen && wait_msgs(a, 1);
	if (ok) {
		struct rx_item *it = node_pop(a);

		ok = it && it->m.context == 67 && it->m.term == 42;
		rx_free(it);
	}
	if (s)
		sock_release(s);
	wait_up(a, 5, false);
	tap(ok, "HEARTBEAT with term 2^64-1: counted bad, connection closed, never delivered; a sane one then is");
}


/*
 * A blank node (cluster id all zero) takes its cluster's id from the
 * first node that connects, once its owner agreed; then it is in that
 * cluster: another cluster is refused.
 */
static void test_blank_node(struct node *a)
{
	static const u8 zero[RB_WIRE_UUID_LEN];
	struct node *j = kzalloc(sizeof(*j), GFP_KERNEL);
	struct node *d = kzalloc(sizeof(*d), GFP_KERNEL);
	struct rb_transport_stats st;
	bool ok;

	ok = j && d && !node_start(j, 6, zero);
	if (!ok)
		goto out;
	j->refuse_adopt = true;
	rb_transport_get_stats(a->t, &st);
	ok = !rb_transport_set_peer(a->t, 6, &j->addr) &&
	     WAIT_STAT(a, refused_by_peer, >= st.refused_by_peer + 1) &&
	     !node_is_up(j, a->id);
	tap(ok, "blank node whose owner declines the cluster refuses it");
	spin_lock(&j->lock);
	j->refuse_adopt = false;
	spin_unlock(&j->lock);
	ok = ok && wait_up(j, a->id, true) && wait_up(a, 6, true) &&
	     !memcmp(j->adopted, cluster, RB_WIRE_UUID_LEN);
	tap(ok, "blank node adopts the cluster of the node that connects");
	ok = ok && !node_start(d, 4, other_cluster) &&
	     !rb_transport_set_peer(d->t, 6, &j->addr) &&
	     WAIT_STAT(d, refused_by_peer, >= 1) && !node_is_up(j, 4);
	tap(ok, "then another cluster is refused");
	rb_transport_remove_peer(a->t, 6);
out:
	if (d && d->t)
		node_stop(d);
	if (j && j->t)
		node_stop(j);
	kfree(d);
	kfree(j);
}

/* Two nodes over IPv6 loopback. */
static void test_ipv6(void)
{
	struct node *x = kzalloc(2 * sizeof(*x), GFP_KERNEL);
	struct raft_msg *m;
	bool ok;

	ok = x && !node_start_cfg(&x[0], 1, cluster, 1024, true);
	/* Same ports as the IPv4 nodes, other addresses. */
	if (ok) {
		ok = !node_start_cfg(&x[1], 2, cluster, 1024, true);
		if (!ok)
			node_stop(&x[0]);
	}
	tap(ok, "two transports listen on [::1]");
	if (!ok)
		goto out;
	ok = !rb_transport_set_peer(x[0].t, 2, &x[1].addr) &&
	     wait_up(&x[0], 2, true) && wait_up(&x[1], 1, true);
	m = simple_msg(RAFT_MSG_PREVOTE, 1, 2, 0);
	tap(ok && send_one(&x[0], &x[1], m),
	    "IPv6: connected, PREVOTE arrives");
	node_stop(&x[1]);
	node_stop(&x[0]);
out:
	kfree(x);
}

/* ------------------------------------------------------------------ */
/* Peer authentication                                                */

static bool hex_eq(const u8 *got, const char *hex, size_t n)
{
	u8 want[64];

	if (n > sizeof(want) || hex2bin(want, hex, n))
		return false;
	return !memcmp(got, want, n);
}

/* RFC 4231 (HMAC-SHA256) and RFC 5869 A.1 (HKDF-SHA256) vectors. */
static void test_auth_vectors(void)
{
	static const char tc2_key[] = "Jefe";
	static const char tc2_msg[] = "what do ya want for nothing?";
	u8 key[22], salt[13], info[10], out[42], prk[32];
	int i;
	bool ok;

	memset(key, 0x0b, 20);
	ok = !rb_hmac_sha256(key, 20, (const u8 *)"Hi There", 8, out) &&
	     hex_eq(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32);
	ok = ok && !rb_hmac_sha256((const u8 *)tc2_key, 4,
				   (const u8 *)tc2_msg, 28, out) &&
	     hex_eq(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32);
	tap(ok, "HMAC-SHA256: RFC 4231 test cases 1 and 2");
	memset(key, 0x0b, sizeof(key));
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = i;
	for (i = 0; i < sizeof(info); i++)
		info[i] = 0xf0 + i;
	ok = !rb_hkdf_extract(salt, sizeof(salt), key, sizeof(key), prk) &&
	     hex_eq(prk, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", 32) &&
	     !rb_hkdf_expand(prk, info, sizeof(info), out, 42) &&
	     hex_eq(out, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", 42);
	tap(ok, "HKDF-SHA256: RFC 5869 test case 1 (extract and a two-block expand)");
}

/*
 * rb_poly1305 (poly1305.h, what the frame MAC runs): the RFC 8439
 * section 2.5.2 vector (msg, rk), in one piece and in pieces across a
 * block boundary; appendix A.3 vectors 1 and 5 to 11 (the edge cases of
 * the partial and final reductions, as crypto/testmgr.h has them);
 * and the library's generic code on random keys and messages of 0 to 300
 * bytes (all lengths mod 16) cut in random pieces, and on keys whose r
 * and s are all ones (the largest products and the carry out of s).
 */
static void test_rb_poly1305(const char *msg, const u8 *rk)
{
	static const struct {
		const char *key, *msg, *tag;
	} a3[] = {
		{ /* 1 */
		  "00000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "00000000000000000000000000000000"
		  "00000000000000000000000000000000"
		  "00000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "00000000000000000000000000000000" },
		{ /* 5 */
		  "02000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "ffffffffffffffffffffffffffffffff",
		  "03000000000000000000000000000000" },
		{ /* 6 */
		  "02000000000000000000000000000000"
		  "ffffffffffffffffffffffffffffffff",
		  "02000000000000000000000000000000",
		  "03000000000000000000000000000000" },
		{ /* 7 */
		  "01000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "ffffffffffffffffffffffffffffffff"
		  "f0ffffffffffffffffffffffffffffff"
		  "11000000000000000000000000000000",
		  "05000000000000000000000000000000" },
		{ /* 8 */
		  "01000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "ffffffffffffffffffffffffffffffff"
		  "fbfefefefefefefefefefefefefefefe"
		  "01010101010101010101010101010101",
		  "00000000000000000000000000000000" },
		{ /* 9 */
		  "02000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  "fdffffffffffffffffffffffffffffff",
		  "faffffffffffffffffffffffffffffff" },
		{ /* 10 */
		  "01000000000000000400000000000000"
		  "00000000000000000000000000000000",
		  "e33594d7505e43b90000000000000000"
		  "3394d7505e4379cd0100000000000000"
		  "00000000000000000000000000000000"
		  "01000000000000000000000000000000",
		  "14000000000000005500000000000000" },
		{ /* 11 */
		  "01000000000000000400000000000000"
		  "00000000000000000000000000000000",
		  "e33594d7505e43b90000000000000000"
		  "3394d7505e4379cd0100000000000000"
		  "00000000000000000000000000000000",
		  "13000000000000000000000000000000" },
	};
	struct poly1305_desc_ctx *pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	struct rb_poly1305 *st = kzalloc(sizeof(*st), GFP_KERNEL);
	u8 key[32], buf[300], tag[16], want[16];
	size_t mlen = strlen(msg), len, off, n;
	bool ok = pd && st, cross = ok;
	int i, round;

	if (ok) {
		rb_poly1305_init(st, rk);
		rb_poly1305_update(st, msg, mlen);
		rb_poly1305_final(st, tag);
		ok = hex_eq(tag, "a8061dc1305136c6c22b8baf0c0127a9", 16);
		rb_poly1305_init(st, rk);
		rb_poly1305_update(st, msg, 7);
		rb_poly1305_update(st, msg + 7, 13);
		rb_poly1305_update(st, msg + 20, mlen - 20);
		rb_poly1305_final(st, tag);
		ok = ok && hex_eq(tag, "a8061dc1305136c6c22b8baf0c0127a9", 16);
	}
	for (i = 0; ok && i < ARRAY_SIZE(a3); i++) {
		len = strlen(a3[i].msg) / 2;
		ok = !hex2bin(key, a3[i].key, 32) &&
		     !hex2bin(buf, a3[i].msg, len);
		if (!ok)
			break;
		rb_poly1305_init(st, key);
		rb_poly1305_update(st, buf, len);
		rb_poly1305_final(st, tag);
		ok = hex_eq(tag, a3[i].tag, 16);
	}
	tap(ok, "rb_poly1305: RFC 8439 section 2.5.2 and appendix A.3 vectors 1, 5-11");

	for (round = 0; cross && round < 2000; round++) {
		if (round < 16)
			memset(key, 0xff, sizeof(key));
		else
			get_random_bytes(key, sizeof(key));
		len = round < 16 ? 256 + round : get_random_u32() % 301;
		if (round < 8)
			memset(buf, 0xff, len);
		else
			get_random_bytes(buf, len);
		poly1305_init_generic(pd, key);
		poly1305_update_generic(pd, buf, len);
		poly1305_final_generic(pd, want);
		rb_poly1305_init(st, key);
		for (off = 0; off < len; off += n) {
			n = 1 + get_random_u32() % (len - off);
			rb_poly1305_update(st, buf + off, n);
		}
		rb_poly1305_final(st, tag);
		cross = !memcmp(tag, want, sizeof(tag));
	}
	tap(cross, "rb_poly1305: the same tags as the library's generic Poly1305 (2000 random keys, lengths and splits, and all-ones keys and messages)");
	kfree_sensitive(st);
	kfree(pd);
}

/*
 * The frame MAC: the library's generic Poly1305 against RFC 8439
 * section 2.5.2 (then rb_poly1305, which the transport calls, by
 * test_rb_poly1305()), and the whole construction against the
 * vector tools/testing/wire/wire_test.c checks in userspace (computed by
 * an independent implementation): frame key bytes 0..31, seq
 * 0x0102030405060708, frame bytes 7 * i for i < 100.
 */
static void test_frame_mac_vectors(void)
{
	static const char msg[] = "Cryptographic Forum Research Group";
	struct poly1305_desc_ctx *pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	u8 key[32], otk[32], rk[32], frame[100], tag[RB_WIRE_FRAME_MAC_LEN];
	struct rb_frame_mac fm;
	bool ok;
	int i;

	ok = pd && !hex2bin(rk, "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", 32);
	if (ok) {
		poly1305_init_generic(pd, rk);
		/* in two pieces, across a block boundary */
		poly1305_update_generic(pd, msg, 20);
		poly1305_update_generic(pd, msg + 20, sizeof(msg) - 1 - 20);
		poly1305_final_generic(pd, tag);
		ok = hex_eq(tag, "a8061dc1305136c6c22b8baf0c0127a9", 16);
	}
	kfree(pd);
	tap(ok, "Poly1305 (generic): RFC 8439 section 2.5.2 test vector");
	test_rb_poly1305(msg, rk);
	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = 7 * i;
	ok = !rb_frame_mac_init(&fm, key);
	fm.seq = 0x0102030405060708ULL;
	ok = ok && !rb_frame_mac_otk(&fm, fm.seq, otk) &&
	     hex_eq(otk, "db4302f3d56df6c5150c2dd871fa0d26872915136c29b7c0a1ec44c5f78e586b", 32) &&
	     !rb_frame_mac_begin(&fm) &&
	     !rb_frame_mac_update(&fm, frame, 33) &&
	     !rb_frame_mac_update(&fm, frame + 33, sizeof(frame) - 33) &&
	     !rb_frame_mac_end(&fm, tag) &&
	     hex_eq(tag, "d6bafe6af4952bf8ae9d88fe3bdc870d", 16) &&
	     fm.seq == 0x0102030405060709ULL;
	rb_frame_mac_free(&fm);
	tap(ok, "frame MAC: one-time key and Poly1305 tag of a known frame (the userspace vector)");
}

/*
 * The one-time key is HMAC-SHA256 computed by the SHA-256 library from
 * the key's pad states (auth.c): the same bytes as the crypto API's
 * hmac(sha256) (rb_hmac_sha256) of label || le64 seq, for random keys
 * and sequence numbers, the first ones and the largest.
 */
static void test_frame_otk_hmac(void)
{
	static const char label[] = "raftblk-frame-otk-v1";
	u8 key[32], msg[sizeof(label) - 1 + 8], otk[32], want[32];
	struct rb_frame_mac fm;
	bool ok = true;
	u64 seq;
	int i;

	for (i = 0; ok && i < 200; i++) {
		get_random_bytes(key, sizeof(key));
		if (i & 1)
			memset(key, i & 2 ? 0xff : 0, sizeof(key));
		seq = i < 4 ? i : i < 8 ? U64_MAX - (i - 4) :
			get_random_u64() >> (i % 64);
		memcpy(msg, label, sizeof(label) - 1);
		put_unaligned_le64(seq, msg + sizeof(label) - 1);
		ok = !rb_frame_mac_init(&fm, key) &&
		     !rb_frame_mac_otk(&fm, seq, otk) &&
		     !rb_hmac_sha256(key, sizeof(key), msg, sizeof(msg), want) &&
		     !memcmp(otk, want, sizeof(otk));
		rb_frame_mac_free(&fm);
	}
	tap(ok, "frame MAC: the one-time key from the pad states is hmac(sha256) of label || seq (200 random keys and seqs)");
}

/*
 * Not a test: what a 1 MiB frame's MAC costs here, the earlier
 * HMAC-SHA256 construction against the Poly1305 one (rb_poly1305, what
 * the transport runs), and the library's generic Poly1305 it replaced
 * (best of 5 runs; under QEMU TCG only the ratios mean anything).
 */
static void measure_frame_mac(void)
{
	const size_t len = 1 << 20;
	u8 *buf = vmalloc(len), key[32], out[32];
	struct poly1305_desc_ctx *pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	u64 best_h = U64_MAX, best_p = U64_MAX, best_g = U64_MAX, t;
	struct rb_frame_mac fm;
	int i, ret;

	if (!buf || !pd)
		goto out;
	get_random_bytes(key, sizeof(key));
	get_random_bytes(buf, len);
	ret = rb_frame_mac_init(&fm, key);
	for (i = 0; !ret && i < 5; i++) {
		t = ktime_get_ns();
		ret = rb_hmac_sha256(key, sizeof(key), buf, len, out);
		best_h = min(best_h, ktime_get_ns() - t);
		t = ktime_get_ns();
		ret = ret ?: rb_frame_mac_begin(&fm);
		ret = ret ?: rb_frame_mac_update(&fm, buf, len);
		ret = ret ?: rb_frame_mac_end(&fm, out);
		best_p = min(best_p, ktime_get_ns() - t);
		t = ktime_get_ns();
		poly1305_init_generic(pd, key);
		poly1305_update_generic(pd, buf, len);
		poly1305_final_generic(pd, out);
		best_g = min(best_g, ktime_get_ns() - t);
		cond_resched();
	}
	if (!ret)
		pr_info("# MAC of a 1 MiB frame: HMAC-SHA256 %llu us, one-time key + rb_poly1305 %llu us, the library's generic Poly1305 alone %llu us (best of 5)\n",
			best_h / 1000, best_p / 1000, best_g / 1000);
	rb_frame_mac_free(&fm);
out:
	kfree_sensitive(pd);
	vfree(buf);
}

/*
 * Not a test: the MAC work of one APPEND of one entry of len bytes,
 * before (the frame MAC over header, meta and data, per connection) and
 * with entry tags (the entry's tag computed once and kept in the
 * payload, the frame MAC over header, meta and the tag): on the leader
 * for two followers, and on a follower (best of 5 x n).
 */
static void measure_entry_tag_one(u32 len, int n)
{
	struct raft_payload *p = data_payload(len, 0, 3);
	u64 bl = U64_MAX, al = U64_MAX, bf = U64_MAX, af = U64_MAX, t;
	u8 key[32], hdr[160], tag[RB_WIRE_ENTRY_TAG_LEN], mac[16];
	struct rb_frame_mac fm;
	struct rb_entry_mac em;
	int i, j, k, ret;

	if (!p)
		return;
	get_random_bytes(key, sizeof(key));
	get_random_bytes(hdr, sizeof(hdr));
	rb_entry_mac_init(&em, key);
	ret = rb_frame_mac_init(&fm, key);
	for (i = 0; !ret && i < 5; i++) {
		t = ktime_get_ns();
		for (j = 0; j < n; j++)
			for (k = 0; k < 2; k++) {
				rb_frame_mac_begin(&fm);
				rb_frame_mac_update(&fm, hdr, sizeof(hdr));
				rb_frame_mac_update_payload(&fm, p);
				rb_frame_mac_end(&fm, mac);
			}
		bl = min(bl, ktime_get_ns() - t);
		t = ktime_get_ns();
		for (j = 0; j < n; j++) {
			atomic_set(&p->tag_state, 0);	/* a new entry */
			for (k = 0; k < 2; k++) {
				rb_entry_tag_get(&em, 1, p, tag);
				rb_frame_mac_begin(&fm);
				rb_frame_mac_update(&fm, hdr, sizeof(hdr));
				rb_frame_mac_update(&fm, tag, sizeof(tag));
				rb_frame_mac_end(&fm, mac);
			}
		}
		al = min(al, ktime_get_ns() - t);
		t = ktime_get_ns();
		for (j = 0; j < n; j++) {
			rb_frame_mac_begin(&fm);
			rb_frame_mac_update(&fm, hdr, sizeof(hdr));
			rb_frame_mac_update_payload(&fm, p);
			rb_frame_mac_end(&fm, mac);
		}
		bf = min(bf, ktime_get_ns() - t);
		t = ktime_get_ns();
		for (j = 0; j < n; j++) {
			atomic_set(&p->tag_state, 0);	/* a new entry */
			rb_frame_mac_begin(&fm);
			rb_frame_mac_update(&fm, hdr, sizeof(hdr));
			rb_frame_mac_update(&fm, tag, sizeof(tag));
			rb_frame_mac_end(&fm, mac);
			ret = ret ?: rb_entry_tag_check(&em, 1, p, tag);
		}
		af = min(af, ktime_get_ns() - t);
		cond_resched();
	}
	if (!ret)
		pr_info("# MAC work of an APPEND of one %u-byte entry: leader (2 followers) %llu ns before, %llu ns with entry tags; follower %llu ns before, %llu ns with entry tags (best of 5 x %d)\n",
			len, bl / n, al / n, bf / n, af / n, n);
	else
		pr_info("# entry tag: check of its own tag failed\n");
	rb_frame_mac_free(&fm);
	rb_entry_mac_free(&em);
	raftblk_payload_put(p);
}

static void measure_entry_tag(void)
{
	measure_entry_tag_one(4096, 200);
	measure_entry_tag_one(1 << 20, 2);
}

/*
 * Not a test: a frame's fixed cost, its one-time key, by the crypto
 * API's hmac(sha256) with a descriptor kept per connection (the code
 * before) and by the pad states (auth.c now): 1000 keys, best of 5.
 */
static void measure_frame_otk(void)
{
	static const char label[] = "raftblk-frame-otk-v1";
	struct crypto_shash *tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	u64 best_a = U64_MAX, best_p = U64_MAX, t;
	struct shash_desc *desc = NULL;
	u8 key[32], otk[32];
	struct rb_frame_mac fm;
	__le64 le;
	int i, j, ret;

	if (IS_ERR(tfm))
		return;
	get_random_bytes(key, sizeof(key));
	desc = kzalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	ret = desc ? crypto_shash_setkey(tfm, key, sizeof(key)) : -ENOMEM;
	ret = ret ?: rb_frame_mac_init(&fm, key);
	if (ret)
		goto out;
	desc->tfm = tfm;
	for (i = 0; !ret && i < 5; i++) {
		t = ktime_get_ns();
		for (j = 0; !ret && j < 1000; j++) {
			le = cpu_to_le64(j);
			ret = crypto_shash_init(desc) ?:
			      crypto_shash_update(desc, label, sizeof(label) - 1) ?:
			      crypto_shash_update(desc, (u8 *)&le, sizeof(le)) ?:
			      crypto_shash_final(desc, otk);
		}
		best_a = min(best_a, ktime_get_ns() - t);
		t = ktime_get_ns();
		for (j = 0; !ret && j < 1000; j++)
			ret = rb_frame_mac_otk(&fm, j, otk);
		best_p = min(best_p, ktime_get_ns() - t);
		cond_resched();
	}
	if (!ret)
		pr_info("# one-time key of a frame: crypto API hmac(sha256) %llu ns, pad states %llu ns (best of 5 x 1000)\n",
			best_a / 1000, best_p / 1000);
	rb_frame_mac_free(&fm);
out:
	kfree_sensitive(desc);
	crypto_free_shash(tfm);
}

static struct rb_auth_secret secret_a, secret_b;

static void make_secret(struct rb_auth_secret *s, char c)
{
	memset(s, 0, sizeof(*s));
	s->len = 32;
	memset(s->key, c, s->len);
}

static noinline_for_stack int node_start_secret(struct node *n, u64 id, const u8 *uuid,
			     const struct rb_auth_secret *sec)
{
	struct rb_transport_config cfg;

	rb_transport_config_default(&cfg);
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 400;
	cfg.keepalive_ms = 1000;
	cfg.dead_ms = 20000;
	cfg.secret = sec;
	return node_create(n, id, uuid, &cfg, false);
}

/*
 * A raw dialer (node id) authenticating to node a with sec by hand: the
 * frame keys it derives let the test forge, replay and reorder frames.
 */
struct raw_auth {
	struct socket *s;
	struct rb_frame_mac tx;
	struct rb_wire_ids ids;
	bool proven;		/* the node's proof matched our secret */
};

static noinline_for_stack bool raw_auth_dial(struct node *a, u64 id, u8 cls,
			  const struct rb_auth_secret *sec,
			  struct raw_auth *ra, u16 *refused)
{
	u8 buf[RB_WIRE_CTL_MAX], nd[RB_WIRE_NONCE_LEN], prk[32], v[32];
	struct rb_wire_limits lim;
	struct rb_wire_hdr h;
	struct rb_wire_ctl ctl;
	const char *why;
	int n;

	memset(ra, 0, sizeof(*ra));
	*refused = 0;
	rb_wire_limits_default(&lim);
	ra->ids.local = id;
	ra->ids.peer = a->id;
	memcpy(ra->ids.cluster, cluster, sizeof(cluster));
	ra->s = raw_connect(a);
	if (!ra->s)
		return false;
	get_random_bytes(nd, sizeof(nd));
	n = rb_wire_encode_hello_feat(&ra->ids, RB_WIRE_HELLO, cls,
				      RB_WIRE_FEAT_AUTH_P1305, buf);
	if (raw_send(ra->s, buf, n) != n)
		return false;
	n = rb_wire_encode_auth(&ra->ids, RB_WIRE_AUTH_CHALLENGE, nd, NULL,
				buf);
	if (raw_send(ra->s, buf, n) != n)
		return false;
	/* HELLO_ACK, then RESPONSE */
	if (raw_recv(ra->s, buf, RB_WIRE_HDR_LEN) != RB_WIRE_HDR_LEN ||
	    rb_wire_decode_header(buf, &lim, &ra->ids, &h, &why))
		return false;
	if (raw_recv(ra->s, buf + RB_WIRE_HDR_LEN, h.meta_len) != h.meta_len ||
	    rb_wire_decode_ctl(&h, buf + RB_WIRE_HDR_LEN, &ctl, &why))
		return false;
	if (h.type == RB_WIRE_REFUSE) {
		*refused = ctl.reason;
		return false;
	}
	if (h.type != RB_WIRE_HELLO_ACK ||
	    !(ctl.features & RB_WIRE_FEAT_MAC_P1305) ||
	    raw_recv(ra->s, buf, RB_WIRE_HDR_LEN + RB_WIRE_AUTH_LEN) !=
	    RB_WIRE_HDR_LEN + RB_WIRE_AUTH_LEN ||
	    rb_wire_decode_header(buf, &lim, &ra->ids, &h, &why) ||
	    rb_wire_decode_ctl(&h, buf + RB_WIRE_HDR_LEN, &ctl, &why) ||
	    h.type != RB_WIRE_AUTH || ctl.auth_step != RB_WIRE_AUTH_RESPONSE)
		return false;
	if (rb_auth_prk(sec, nd, ctl.nonce, prk) ||
	    rb_auth_value(prk, RB_WIRE_LABEL_ACCEPTOR_PROOF, cluster, id,
			  a->id, cls, v))
		return false;
	ra->proven = !memcmp(v, ctl.proof, sizeof(v));
	/* Our proof, whether or not the node's matches our secret. */
	if (rb_auth_value(prk, RB_WIRE_LABEL_DIALER_PROOF, cluster, id, a->id,
			  cls, v))
		return false;
	n = rb_wire_encode_auth(&ra->ids, RB_WIRE_AUTH_PROOF, NULL, v, buf);
	if (raw_send(ra->s, buf, n) != n)
		return false;
	if (rb_auth_value(prk, RB_WIRE_LABEL_DIALER_FRAMES, cluster, id,
			  a->id, cls, v) ||
	    rb_frame_mac_init(&ra->tx, v))
		return false;
	return true;
}

static void raw_auth_close(struct raw_auth *ra)
{
	if (ra->s)
		sock_release(ra->s);
	rb_frame_mac_free(&ra->tx);
	ra->s = NULL;
}

/* Frame buf (len) and its MAC with the raw dialer's next sequence. */
static bool raw_seal(struct raw_auth *ra, const u8 *buf, size_t len,
		     u8 *mac)
{
	return !rb_frame_mac_begin(&ra->tx) &&
	       !rb_frame_mac_update(&ra->tx, buf, len) &&
	       !rb_frame_mac_end(&ra->tx, mac);
}

static noinline_for_stack bool raw_send_sealed(struct raw_auth *ra, const u8 *buf, size_t len,
			    const u8 *mac)
{
	return raw_send(ra->s, buf, len) == len &&
	       raw_send(ra->s, mac, RB_WIRE_FRAME_MAC_LEN) ==
	       RB_WIRE_FRAME_MAC_LEN;
}

static bool raw_closed(struct raw_auth *ra)
{
	u8 junk[256];
	int n;

	/* Whatever was in flight, then the end of the stream. */
	do {
		n = raw_recv(ra->s, junk, 1);
	} while (n > 0);
	return n <= 0;
}

/*
 * Frames back to back on an authenticated pair: the receiver reads each
 * MAC trailer with the next frame's header in one call (recv_mac() in
 * transport.c) and a data-less frame's trailer goes in its header's
 * send. 200 HEARTBEATs and 40 APPENDs of a 4 KiB entry, sent without
 * waiting: all arrive, in order on each connection, the payloads
 * intact, with no bad frame, no MAC failure and no connection lost.
 */
static noinline_for_stack void test_auth_burst(struct node *a, struct node *b)
{
	struct raft_payload *pl = data_payload(4096, 16, 9);
	struct rb_transport_stats sa0, sb0, sa1, sb1;
	static struct raft_entry e;
	u64 next_hb = 0, next_ap = 200;
	struct raft_msg *m;
	struct rx_item *it;
	bool ok = pl != NULL;
	u32 i;

	node_drain(b);
	rb_transport_get_stats(a->t, &sa0);
	rb_transport_get_stats(b->t, &sb0);
	for (i = 0; ok && i < 240; i++) {
		if (i % 6 == 5) {
			m = simple_msg(RAFT_MSG_APPEND, a->id, b->id,
				       200 + i / 6);
			one_entry(m, &e, pl);
		} else {
			m = simple_msg(RAFT_MSG_HEARTBEAT, a->id, b->id,
				       i - i / 6);
		}
		ok = !rb_transport_send(a->t, m);
	}
	ok = ok && wait_msgs(b, 240);
	for (i = 0; ok && i < 240; i++) {
		it = node_pop(b);
		if (!it) {
			ok = false;
		} else if (it->m.type == RAFT_MSG_APPEND) {
			ok = it->m.context == next_ap++ &&
			     it->m.n_entries == 1 &&
			     same_payload(pl, it->m.entries[0].payload);
		} else {
			ok = it->m.type == RAFT_MSG_HEARTBEAT &&
			     it->m.context == next_hb++;
		}
		rx_free(it);
	}
	rb_transport_get_stats(a->t, &sa1);
	rb_transport_get_stats(b->t, &sb1);
	pr_info("# authenticated burst: %llu of %llu frames sent directly\n",
		sa1.frames_direct - sa0.frames_direct,
		sa1.frames_sent - sa0.frames_sent);
	ok = ok && next_hb == 200 && next_ap == 240 &&
	     sa1.frames_direct > sa0.frames_direct &&
	     sa1.conns_lost == sa0.conns_lost &&
	     sb1.conns_lost == sb0.conns_lost &&
	     sb1.bad_frames == sb0.bad_frames &&
	     sb1.auth_failed == sb0.auth_failed;
	tap(ok, "authenticated: 200 HEARTBEATs and 40 4 KiB APPENDs back to back all arrive, in order, no connection lost");
	node_drain(b);
	if (pl)
		raftblk_payload_put(pl);
}

/*
 * The block submitter's entry tag (node_io.c): the transport gives out
 * the entry key of its authenticated connections, the tag computed with
 * it is kept in the payload, and the APPEND that carries it (the send
 * work reusing it, no pass of its own) is accepted by the receiver.
 */
static noinline_for_stack void test_auth_submitter_tag(struct node *a, struct node *b)
{
	static struct raft_entry e;
	struct raft_payload *pl = data_payload(RAFTBLK_PL_MAX_DATA, 64, 5);
	struct rb_transport_stats sb0, sb1;
	struct raft_msg *m;
	struct rx_item *it;
	struct rb_tag_key k;
	u8 kept[RB_WIRE_ENTRY_TAG_LEN];
	bool ok = pl != NULL;

	node_drain(b);
	ok = ok && rb_transport_tag_key(a->t, &k) && k.gen;
	tap(ok, "submitter tag: an authenticated transport gives out its entry key");
	if (ok)
		rb_tag_key_use(&k, pl);
	ok = ok && atomic_read(&pl->tag_state) == 2 &&
	     !memchr_inv(&k, 0, sizeof(k));
	tap(ok, "submitter tag: computed and kept in the payload, the key's copy wiped");
	if (ok)
		memcpy(kept, pl->tag, sizeof(kept));
	rb_transport_get_stats(b->t, &sb0);
	m = simple_msg(RAFT_MSG_APPEND, a->id, b->id, 77);
	one_entry(m, &e, pl);
	ok = ok && !rb_transport_send(a->t, m) && wait_msgs(b, 1);
	it = ok ? node_pop(b) : NULL;
	ok = ok && it && it->m.type == RAFT_MSG_APPEND &&
	     it->m.n_entries == 1 &&
	     same_payload(pl, it->m.entries[0].payload) &&
	     !memcmp(it->m.entries[0].payload->tag, kept, sizeof(kept));
	rx_free(it);
	rb_transport_get_stats(b->t, &sb1);
	ok = ok && sb1.auth_failed == sb0.auth_failed &&
	     sb1.bad_frames == sb0.bad_frames;
	tap(ok, "submitter tag: a 1 MiB APPEND carrying it is accepted, the receiver keeps that tag");
	node_drain(b);
	if (pl)
		raftblk_payload_put(pl);
}

/*
 * An APPEND of one 4 KiB entry from the raw dialer, as an authenticated
 * node sends it: header and meta part (encoded from pl_meta, so its crcs
 * match pl_meta's bytes), the entry tag (nonce, and the Poly1305 of
 * pl_tag's data under the cluster's entry key of sec), the frame MAC
 * over those, then pl_meta's data. pl_tag != pl_meta forges the data
 * under a valid header, tag and frame MAC.
 */
static noinline_for_stack bool raw_send_append(struct raw_auth *ra, u64 to,
					       const struct rb_auth_secret *sec,
					       struct raft_payload *pl_meta,
					       struct raft_payload *pl_tag)
{
	static struct raft_entry e;
	struct rb_wire_limits lim;
	struct rb_entry_mac em;
	struct raft_msg *m = simple_msg(RAFT_MSG_APPEND, ra->ids.local, to, 77);
	u8 ek[RB_WIRE_MAC_LEN], tag[RB_WIRE_ENTRY_TAG_LEN];
	u8 mac[RB_WIRE_FRAME_MAC_LEN], *buf, *data;
	size_t flen, size;
	const char *why;
	u32 dlen;
	bool ok;

	rb_wire_limits_default(&lim);
	one_entry(m, &e, pl_meta);
	size = rb_wire_msg_size(m);
	buf = kvmalloc(size, GFP_KERNEL);
	data = kvmalloc(4096, GFP_KERNEL);
	ok = buf && data &&
	     !rb_wire_encode_msg(&ra->ids, m, &lim, &test_payload_ops, NULL,
				 buf, size, &flen, &dlen, &why) &&
	     dlen == 4096 &&
	     !raftblk_payload_copy_out(pl_meta, 0, data, 4096) &&
	     !rb_auth_entry_key(sec, cluster, ek);
	if (ok) {
		rb_entry_mac_init(&em, ek);
		get_random_bytes(tag, RB_WIRE_ENTRY_NONCE_LEN);
		rb_entry_tag_compute(&em, pl_tag, tag);
		rb_entry_mac_free(&em);
	}
	ok = ok && !rb_frame_mac_begin(&ra->tx) &&
	     !rb_frame_mac_update(&ra->tx, buf, flen) &&
	     !rb_frame_mac_update(&ra->tx, tag, sizeof(tag)) &&
	     !rb_frame_mac_end(&ra->tx, mac) &&
	     raw_send(ra->s, buf, flen) == flen &&
	     raw_send(ra->s, tag, sizeof(tag)) == sizeof(tag) &&
	     raw_send(ra->s, mac, sizeof(mac)) == sizeof(mac) &&
	     raw_send(ra->s, data, 4096) == 4096;
	memzero_explicit(ek, sizeof(ek));
	kvfree(buf);
	kvfree(data);
	return ok;
}

/*
 * Entry tags: a raw peer's APPEND with its tag is delivered intact; the
 * same header, tag and a valid frame MAC with the data one bit off (its
 * crcs matching the altered bytes) is refused: counted, connection
 * closed, nothing delivered.
 */
static noinline_for_stack void test_auth_entry_tag(struct node *a)
{
	struct raft_payload *good = data_payload(4096, 16, 7);
	struct raft_payload *bad = raftblk_payload_alloc(4096);
	struct rb_transport_stats st;
	struct raw_auth ra = {};
	struct rx_item *it;
	u8 *buf = kvmalloc(4096, GFP_KERNEL);
	u16 refused;
	bool ok = good && bad && buf;

	if (ok) {
		raftblk_payload_copy_out(good, 0, buf, 4096);
		buf[1234] ^= 0x10;
		raftblk_payload_copy_in(bad, 0, buf, 4096);
		bad->sector = good->sector;
		bad->flags = good->flags;
	}
	node_drain(a);
	ok = ok && raw_auth_dial(a, 6, RB_WIRE_CLASS_BULK, &secret_a, &ra,
				 &refused) && ra.proven && wait_up(a, 6, true);
	ok = ok && raw_send_append(&ra, a->id, &secret_a, good, good) &&
	     wait_msgs(a, 1);
	it = ok ? node_pop(a) : NULL;
	ok = ok && it && it->m.type == RAFT_MSG_APPEND &&
	     it->m.n_entries == 1 &&
	     same_payload(good, it->m.entries[0].payload);
	rx_free(it);
	tap(ok, "entry tag: a raw peer's APPEND with 4 KiB of data and its entry tag is delivered intact");
	/*
	 * The crc is checked too: an APPEND whose MACed pl_crc does not
	 * match its data (the leader's crc wrong; tag and frame MAC valid)
	 * would be written into the log with it, and the record's check at
	 * restart would then drop it: refused, closed, not delivered.
	 */
	rb_transport_get_stats(a->t, &st);
	t_describe_crc_xor = 0x5a5a5a5a;
	ok = ok && raw_send_append(&ra, a->id, &secret_a, good, good) &&
	     WAIT_STAT(a, bad_frames, >= st.bad_frames + 1) &&
	     raw_closed(&ra) && node_count(a) == 0;
	t_describe_crc_xor = 0;
	raw_auth_close(&ra);
	tap(ok, "entry tag: a valid tag and frame MAC over a pl_crc that does not match the data: refused as a bad frame, closed, not delivered");
	wait_up(a, 6, false);
	ok = ok && raw_auth_dial(a, 6, RB_WIRE_CLASS_BULK, &secret_a, &ra,
				 &refused) && ra.proven && wait_up(a, 6, true);
	rb_transport_get_stats(a->t, &st);
	ok = ok && raw_send_append(&ra, a->id, &secret_a, bad, good) &&
	     WAIT_STAT(a, auth_failed, >= st.auth_failed + 1) &&
	     raw_closed(&ra) && node_count(a) == 0;
	raw_auth_close(&ra);
	tap(ok, "entry tag: one data bit flipped under a valid header, entry tag and frame MAC: counted, closed, not delivered");
	wait_up(a, 6, false);
	kvfree(buf);
	if (good)
		raftblk_payload_put(good);
	if (bad)
		raftblk_payload_put(bad);
}

/* A raw peer with the secret: frames need their MAC (test_auth). */
static noinline_for_stack void test_auth_raw_frames(struct node *x)
{
	u8 buf[RB_WIRE_HDR_LEN + RB_WIRE_MSG_LEN], mac[RB_WIRE_FRAME_MAC_LEN];
	struct rb_transport_stats st;
	struct rb_wire_limits lim;
	struct raw_auth ra = {};
	struct raft_msg *m;
	const char *why;
	size_t flen;
	u32 dlen;
	u16 refused;
	bool ok;

	rb_wire_limits_default(&lim);
	/* Frames on an authenticated connection need the MAC. */
	node_drain(&x[0]);
	m = simple_msg(RAFT_MSG_HEARTBEAT, 6, 4, 21);
	ok = raw_auth_dial(&x[0], 6, RB_WIRE_CLASS_CONTROL, &secret_a, &ra,
			   &refused) && ra.proven && wait_up(&x[0], 6, true);
	ok = ok && !rb_wire_encode_msg(&ra.ids, m, &lim, NULL, NULL, buf,
				       sizeof(buf), &flen, &dlen, &why) &&
	     raw_seal(&ra, buf, flen, mac) &&
	     raw_send_sealed(&ra, buf, flen, mac) && wait_msgs(&x[0], 1);
	rx_free(node_pop(&x[0]));
	tap(ok, "a raw peer with the secret: its MACed HEARTBEAT is delivered");
	/* The same frame again (a replay): its sequence number is stale. */
	rb_transport_get_stats(x[0].t, &st);
	ok = ok && raw_send_sealed(&ra, buf, flen, mac) &&
	     WAIT_STAT(&x[0], auth_failed, >= st.auth_failed + 1) &&
	     raw_closed(&ra) && node_count(&x[0]) == 0;
	raw_auth_close(&ra);
	tap(ok, "a replayed frame: MAC mismatch, counted, connection closed, not delivered");
	wait_up(&x[0], 6, false);
	ok = raw_auth_dial(&x[0], 6, RB_WIRE_CLASS_CONTROL, &secret_a, &ra,
			   &refused) && wait_up(&x[0], 6, true);
	rb_transport_get_stats(x[0].t, &st);
	m->term = RAFT_TERM_MAX;
	ok = ok && !rb_wire_encode_msg(&ra.ids, m, &lim, NULL, NULL, buf,
				       sizeof(buf), &flen, &dlen, &why) &&
	     raw_seal(&ra, buf, flen, mac);
	/* A forger changes the term and re-seals the crcs, not the MAC. */
	put_le(buf + RB_WIRE_HDR_LEN + 8, 43, 8);
	put_le(buf + 48, raftblk_crc32c(buf + RB_WIRE_HDR_LEN,
					RB_WIRE_MSG_LEN), 4);
	put_le(buf + 60, raftblk_crc32c(buf, 60), 4);
	ok = ok && raw_send_sealed(&ra, buf, flen, mac) &&
	     WAIT_STAT(&x[0], auth_failed, >= st.auth_failed + 1) &&
	     raw_closed(&ra) && node_count(&x[0]) == 0;
	raw_auth_close(&ra);
	tap(ok, "a frame altered after its MAC: counted, connection closed, not delivered");
	wait_up(&x[0], 6, false);
	/* A frame MACed for the other direction (reflection). */
	ok = raw_auth_dial(&x[0], 6, RB_WIRE_CLASS_CONTROL, &secret_a, &ra,
			   &refused) && wait_up(&x[0], 6, true);
	rb_transport_get_stats(x[0].t, &st);
	m->term = 42;
	ok = ok && !rb_wire_encode_msg(&ra.ids, m, &lim, NULL, NULL, buf,
				       sizeof(buf), &flen, &dlen, &why);
	memset(mac, 0x5a, sizeof(mac));
	ok = ok && raw_send_sealed(&ra, buf, flen, mac) &&
	     WAIT_STAT(&x[0], auth_failed, >= st.auth_failed + 1) &&
	     raw_closed(&ra) && node_count(&x[0]) == 0;
	raw_auth_close(&ra);
	tap(ok, "a frame with a made-up MAC: counted, closed, not delivered");
	wait_up(&x[0], 6, false);
}

static void test_auth(void)
{
	struct node *x = kcalloc(3, sizeof(*x), GFP_KERNEL);
	struct rb_transport_stats st, st2;
	struct rb_transport_secret_info si;
	struct raw_auth ra = {};
	struct raft_msg *m;
	u16 refused;
	bool ok;

	make_secret(&secret_a, 'a');
	make_secret(&secret_b, 'b');
	/* Ports of nodes 1 and 2 are taken: ids 4 and 5. */
	ok = x && !node_start_secret(&x[0], 4, cluster, &secret_a) &&
	     !node_start_secret(&x[1], 5, cluster, &secret_a);
	tap(ok, "two transports with a shared secret listen");
	if (!ok)
		goto out;
	ok = !rb_transport_set_peer(x[0].t, 5, &x[1].addr) &&
	     wait_up(&x[0], 5, true) && wait_up(&x[1], 4, true);
	m = simple_msg(RAFT_MSG_HEARTBEAT, 4, 5, 11);
	ok = ok && send_one(&x[0], &x[1], m);
	m = simple_msg(RAFT_MSG_VOTE, 5, 4, 12);
	ok = ok && send_one(&x[1], &x[0], m);
	tap(ok, "same secret: authenticated connection up, messages both ways");
	test_append(&x[0], &x[1]);
	test_auth_burst(&x[0], &x[1]);
	test_auth_submitter_tag(&x[0], &x[1]);
	rb_transport_get_stats(x[0].t, &st);
	tap(!st.auth_failed && !st.bad_frames,
	    "no authentication failure between them");
	rb_transport_secret_info(x[0].t, &si);
	tap(si.set[0] && !si.set[1], "secret info: current set, no second one");

	/* A wrong secret, no secret: refused, counted, nothing delivered. */
	ok = !node_start_secret(&x[2], 6, cluster, &secret_b);
	rb_transport_get_stats(x[0].t, &st);
	ok = ok && !rb_transport_set_peer(x[2].t, 4, &x[0].addr) &&
	     WAIT_STAT(&x[2], auth_failed, >= 2) &&
	     !node_is_up(&x[2], 4) && !node_is_up(&x[0], 6);
	tap(ok, "wrong secret: the dialer finds the acceptor's proof wrong, never up");
	rb_transport_remove_peer(x[2].t, 4);
	node_stop(&x[2]);
	ok = raw_auth_dial(&x[0], 6, RB_WIRE_CLASS_CONTROL, &secret_b, &ra,
			   &refused) && !ra.proven;
	/* The raw dialer sent its (wrong) proof: REFUSE, closed. */
	if (ok) {
		u8 r[RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN];

		ok = raw_recv(ra.s, r, sizeof(r)) == sizeof(r) &&
		     r[6] == RB_WIRE_REFUSE &&
		     r[RB_WIRE_HDR_LEN] == RB_WIRE_REFUSE_AUTH &&
		     !memchr_inv(r + 16, 0, RB_WIRE_UUID_LEN) && raw_closed(&ra);
	}
	raw_auth_close(&ra);
	ok = ok && WAIT_STAT(&x[0], auth_failed, >= st.auth_failed + 1) &&
	     !node_is_up(&x[0], 6);
	tap(ok, "wrong secret: the acceptor refuses the dialer's proof (REFUSE without its cluster id), counted");
	ok = !node_start(&x[2], 6, cluster);
	{
		struct rb_tag_key k;

		tap(ok && !rb_transport_tag_key(x[2].t, &k),
		    "submitter tag: a transport without a secret gives out no entry key");
	}
	rb_transport_get_stats(x[0].t, &st);
	ok = ok && !rb_transport_set_peer(x[2].t, 4, &x[0].addr) &&
	     WAIT_STAT(&x[0], auth_failed, >= st.auth_failed + 1) &&
	     WAIT_STAT(&x[2], refused_by_peer, >= 1) &&
	     !node_is_up(&x[0], 6);
	rb_transport_remove_peer(x[2].t, 4);
	rb_transport_get_stats(x[0].t, &st);
	ok = ok && !rb_transport_set_peer(x[0].t, 6, &x[2].addr) &&
	     WAIT_STAT(&x[0], refused_by_peer, >= st.refused_by_peer + 1) &&
	     WAIT_STAT(&x[2], auth_failed, >= 1) && !node_is_up(&x[0], 6);
	rb_transport_remove_peer(x[0].t, 6);
	node_stop(&x[2]);
	tap(ok, "a node without a secret is refused both ways, counted on both ends");

	test_auth_raw_frames(x);
	test_auth_entry_tag(&x[0]);

	/* Rotation: B (next), promote on 4 then 5, retire: always up. */
	ok = !rb_transport_set_secret(x[0].t, RB_SECRET_NEXT, secret_b.key,
				      secret_b.len) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_NEXT, secret_b.key,
				      secret_b.len) &&
	     !rb_transport_set_secret(x[0].t, RB_SECRET_PROMOTE, NULL, 0);
	rb_transport_get_stats(x[0].t, &st);
	rb_transport_get_stats(x[1].t, &st2);
	/* Both ends' connections go (restart 5: new handshakes). */
	node_stop(&x[1]);
	ok = ok && wait_up(&x[0], 5, false) &&
	     !node_start_secret(&x[1], 5, cluster, &secret_a) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_NEXT, secret_b.key,
				      secret_b.len) &&
	     !rb_transport_set_peer(x[1].t, 4, &x[0].addr) &&
	     wait_up(&x[0], 5, true) && wait_up(&x[1], 4, true);
	m = simple_msg(RAFT_MSG_HEARTBEAT, 4, 5, 31);
	ok = ok && send_one(&x[0], &x[1], m);
	tap(ok, "rotation: one node promoted the next secret, the other not yet: connected");
	ok = !rb_transport_set_secret(x[1].t, RB_SECRET_PROMOTE, NULL, 0) &&
	     !rb_transport_set_secret(x[0].t, RB_SECRET_RETIRE, NULL, 0) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_RETIRE, NULL, 0);
	/* Connections proven with the old secret were closed: they come
	 * back with the new one.
	 */
	ok = ok && send_settled(&x[0], &x[1], 32);
	rb_transport_secret_info(x[0].t, &si);
	tap(ok && si.set[0] && !si.set[1],
	    "rotation: both promoted and the old secret retired: connected with the new one");
	tap(rb_transport_set_secret(x[0].t, RB_SECRET_RETIRE, NULL, 0) ==
	    -ENOKEY &&
	    rb_transport_set_secret(x[0].t, RB_SECRET_NEXT, secret_b.key, 3) ==
	    -EINVAL, "rotation: nothing to retire, a short secret: refused");
	ok = raw_auth_dial(&x[0], 6, RB_WIRE_CLASS_CONTROL, &secret_a, &ra,
			   &refused) && !ra.proven;
	if (ok) {
		u8 r[RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN];

		ok = raw_recv(ra.s, r, sizeof(r)) == sizeof(r) &&
		     r[6] == RB_WIRE_REFUSE && raw_closed(&ra);
	}
	raw_auth_close(&ra);
	tap(ok && !node_is_up(&x[0], 6),
	    "the retired secret no longer gets in (REFUSE, closed)");
out:
	if (x) {
		if (x[1].t)
			node_stop(&x[1]);
		if (x[0].t)
			node_stop(&x[0]);
	}
	kfree(x);
}

/*
 * Authentication switched off and on between running nodes, as
 * rotations to and from "no secret": connected at every step, no
 * failure counted; retiring the secret closes the authenticated
 * connections, retiring "no secret" the unauthenticated ones.
 */
static void test_auth_off_on(void)
{
	struct node *x = kcalloc(2, sizeof(*x), GFP_KERNEL);
	struct rb_transport_secret_info si;
	struct rb_transport_stats st;
	struct raw_auth ra = {};
	struct raft_msg *m;
	u64 lost, refused5, dials5;
	u16 refused;
	bool ok;

	make_secret(&secret_a, 'a');
	ok = x && !node_start_secret(&x[0], 4, cluster, &secret_a) &&
	     !node_start_secret(&x[1], 5, cluster, &secret_a) &&
	     !rb_transport_set_peer(x[0].t, 5, &x[1].addr) &&
	     wait_up(&x[0], 5, true) && wait_up(&x[1], 4, true);
	tap(ok, "off/on: two nodes with a secret, connected");
	if (!ok)
		goto out;

	/* Off: no secret installed on both, promoted on 4 only. */
	ok = !rb_transport_set_secret(x[0].t, RB_SECRET_NEXT_NONE, NULL, 0) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_NEXT_NONE, NULL, 0);
	rb_transport_secret_info(x[0].t, &si);
	tap(ok && si.set[0] && !si.set[1] && si.next_none,
	    "off: no secret installed as the next one (secret info: next_none)");
	ok = !rb_transport_set_secret(x[0].t, RB_SECRET_PROMOTE, NULL, 0);
	/*
	 * New handshakes both ways: 5 restarts at its step (4 dials it
	 * only once it is there, both dial).
	 */
	node_stop(&x[1]);
	ok = ok && wait_up(&x[0], 5, false);
	rb_transport_remove_peer(x[0].t, 5);
	ok = ok && !node_start_secret(&x[1], 5, cluster, &secret_a) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_NEXT_NONE, NULL, 0) &&
	     !rb_transport_set_peer(x[1].t, 4, &x[0].addr) &&
	     !rb_transport_set_peer(x[0].t, 5, &x[1].addr) &&
	     wait_up(&x[0], 5, true) && wait_up(&x[1], 4, true);
	m = simple_msg(RAFT_MSG_HEARTBEAT, 4, 5, 41);
	ok = ok && send_one(&x[0], &x[1], m);
	tap(ok, "off: one node promoted no secret, the other not yet: connected");
	if (!ok || !x[1].t)
		goto out;
	/*
	 * From 4's retire to 5's, a dial 5 makes with the secret is refused
	 * by 4, and counted by both (4: auth_failed, 5: refused_by_peer):
	 * the rotation's order, not a failure between the two.
	 */
	rb_transport_get_stats(x[1].t, &st);
	refused5 = st.refused_by_peer;
	dials5 = st.connects;
	ok = !rb_transport_set_secret(x[0].t, RB_SECRET_RETIRE, NULL, 0) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_PROMOTE, NULL, 0) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_RETIRE, NULL, 0) &&
	     send_settled(&x[0], &x[1], 42) && send_settled(&x[1], &x[0], 42);
	rb_transport_secret_info(x[1].t, &si);
	tap(ok && !si.set[0] && !si.set[1] && !si.next_none,
	    "off: both retired the secret: connected without it, messages both ways");
	ok = !raw_auth_dial(&x[0], 6, RB_WIRE_CLASS_CONTROL, &secret_a, &ra,
			    &refused) && refused == RB_WIRE_REFUSE_AUTH;
	raw_auth_close(&ra);
	tap(ok && !node_is_up(&x[0], 6),
	    "off: a peer that authenticates is refused (REFUSE 6)");
	tap(rb_transport_set_secret(x[0].t, RB_SECRET_NEXT_NONE, NULL, 0) ==
	    -ENOKEY, "off: no secret to switch off again: -ENOKEY");

	/* On: the secret installed and promoted on both, then retired. */
	ok = !rb_transport_set_secret(x[0].t, RB_SECRET_NEXT, secret_a.key,
				      secret_a.len) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_NEXT, secret_a.key,
				      secret_a.len) &&
	     !rb_transport_set_secret(x[0].t, RB_SECRET_PROMOTE, NULL, 0) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_PROMOTE, NULL, 0);
	m = simple_msg(RAFT_MSG_HEARTBEAT, 4, 5, 43);
	ok = ok && node_is_up(&x[0], 5) && send_one(&x[0], &x[1], m);
	rb_transport_secret_info(x[0].t, &si);
	tap(ok && si.set[0] && !si.set[1] && si.next_none,
	    "on: the secret promoted on both, no secret still accepted: the unauthenticated connection stays");
	rb_transport_get_stats(x[0].t, &st);
	lost = st.conns_lost;
	ok = !rb_transport_set_secret(x[0].t, RB_SECRET_RETIRE, NULL, 0) &&
	     WAIT_STAT(&x[0], conns_lost, > lost) &&
	     !rb_transport_set_secret(x[1].t, RB_SECRET_RETIRE, NULL, 0) &&
	     send_settled(&x[0], &x[1], 44) && send_settled(&x[1], &x[0], 44);
	tap(ok, "on: retiring no secret closed the unauthenticated connection; back authenticated");
	/*
	 * 4 counts each refused dial when it refuses it, 5 when it reads
	 * the REFUSE: one closed before 5 read it is counted by 4 only
	 * (seen once in eight runs). So 4's count, beyond the raw peer's
	 * 1, lies between the REFUSEs 5 read and the dials 5 made.
	 */
	rb_transport_get_stats(x[1].t, &st);
	ok = !st.auth_failed;
	refused5 = st.refused_by_peer - refused5;
	dials5 = st.connects - dials5;
	rb_transport_get_stats(x[0].t, &st);
	tap(ok && st.auth_failed >= 1 + refused5 &&
	    st.auth_failed <= 1 + dials5,
	    "off and on: no authentication failure between the two nodes (4 counted only the raw peer and the dials 5 made while it still had the secret)");
	if (refused5)
		pr_info("# %llu dial(s) of 5 refused between the retires\n",
			refused5);
out:
	if (x) {
		if (x[1].t)
			node_stop(&x[1]);
		if (x[0].t)
			node_stop(&x[0]);
	}
	kfree(x);
}

/*
 * A blank node with a secret adopts its cluster only from a peer that
 * proves the secret.
 */
static void test_auth_blank(void)
{
	static const u8 zero[RB_WIRE_UUID_LEN];
	struct node *x = kcalloc(3, sizeof(*x), GFP_KERNEL);
	bool ok;

	make_secret(&secret_a, 'a');
	make_secret(&secret_b, 'b');
	ok = x && !node_start_secret(&x[0], 4, zero, &secret_a) &&
	     !node_start_secret(&x[1], 5, other_cluster, &secret_b) &&
	     !rb_transport_set_peer(x[1].t, 4, &x[0].addr) &&
	     WAIT_STAT(&x[1], auth_failed, >= 1);
	msleep(300);
	ok = ok && x[0].adopt_calls == 0 && !node_is_up(&x[0], 5);
	tap(ok, "blank node with a secret: a cluster without it is not adopted");
	if (x && x[1].t)
		node_stop(&x[1]);
	ok = ok && !node_start_secret(&x[2], 6, cluster, &secret_a) &&
	     !rb_transport_set_peer(x[2].t, 4, &x[0].addr) &&
	     wait_up(&x[0], 6, true) && wait_up(&x[2], 4, true) &&
	     !memcmp(x[0].adopted, cluster, RB_WIRE_UUID_LEN);
	tap(ok, "blank node with a secret adopts the cluster of a peer that proves it");
	if (x) {
		if (x[2].t)
			node_stop(&x[2]);
		if (x[0].t)
			node_stop(&x[0]);
	}
	kfree(x);
}

static struct node nodes[4];

static void run_tests(void)
{
	struct node *a = &nodes[1], *b = &nodes[2], *c = &nodes[3];
	struct rb_transport_stats st;
	struct raft_msg *m;
	bool ok;

	test_addresses();

	ok = !node_start(a, 1, cluster) && !node_start(b, 2, cluster);
	tap(ok, "two transports listen on loopback");
	if (!ok)
		goto out;
	tap(node_start(c, 2, cluster) == -EADDRINUSE,
	    "a third on the same port: -EADDRINUSE");
	c->t = NULL;
	tap(rb_transport_set_peer(a->t, 1, &b->addr) == -EINVAL,
	    "set_peer refuses this node's own id");

	ok = !rb_transport_set_peer(a->t, 2, &b->addr) &&
	     !rb_transport_set_peer(b->t, 1, &a->addr) &&
	     wait_up(a, 2, true) && wait_up(b, 1, true);
	tap(ok, "both know each other: connected, peer up on both ends");
	test_peers_info(a, 2);
	test_peers_info(b, 1);

	m = simple_msg(RAFT_MSG_HEARTBEAT, 1, 2, 77);
	/* the first message: both dialed, a duplicate may be closing */
	tap(send_one_settled(a, b, m), "HEARTBEAT arrives with every field");
	m = simple_msg(RAFT_MSG_VOTE, 2, 1, 0);
	m->flags = RAFT_MSGF_TRANSFER;
	/* the first one that way: a duplicate may still close there too */
	tap(send_one_settled(b, a, m),
	    "VOTE with the transfer flag, the other way");
	m = simple_msg(RAFT_MSG_APPEND_RESP, 2, 1, 0);
	m->reject = 1;
	tap(send_one(b, a, m), "rejecting APPEND_RESP");
	test_append(a, b);
	test_burst(a, b);
	test_direct(a, b);
	test_direct_order(a, b);
	measure_bulk(a, b);
	test_batch(a, b);

	rb_transport_get_stats(a->t, &st);
	m = simple_msg(RAFT_MSG_HEARTBEAT, 1, 6, 0);
	ok = rb_transport_send(a->t, m) == -ENOTCONN;
	m = simple_msg(RAFT_MSG_HEARTBEAT, 3, 2, 0);
	ok &= rb_transport_send(a->t, m) == -EINVAL;
	rb_transport_get_stats(a->t, &st);
	tap(ok && st.msgs_dropped >= 2,
	    "send to an unknown node or with a foreign sender: refused, counted");

	test_garbage(a);
	test_bad_frame_after_hello(a);
	test_wrong_cluster(a);
	test_refuse_contents(a);
	test_term_bomb(a);
	test_backpressure();
	test_message_classes();
	test_copy_bulk_only();
	test_copy_start_renewed();
	test_pieces_and_flips(a);
	test_many_entries(a);
	test_rx_budget();
	test_blank_node(a);
	test_ipv6();
	test_auth_vectors();
	test_frame_mac_vectors();
	test_frame_otk_hmac();
	measure_frame_mac();
	measure_frame_otk();
	measure_entry_tag();
	test_auth();
	test_auth_off_on();
	test_auth_blank();

	/* A node only A's peer knows: it dials, A answers over that. */
	ok = !node_start(c, 3, cluster) &&
	     !rb_transport_set_peer(c->t, 1, &a->addr) &&
	     wait_up(c, 1, true) && wait_up(a, 3, true);
	tap(ok, "node dialing a node that does not know it: up on both ends");
	m = simple_msg(RAFT_MSG_HEARTBEAT, 1, 3, 5);
	tap(ok && send_one(a, c, m),
	    "reply to it over the connection it dialed");
	if (c->t) {
		rb_transport_remove_peer(c->t, 1);
		tap(wait_up(a, 3, false), "peer removed: the other end sees it down");
		node_stop(c);
	}

	/* Restart B: A sees it go and come back. */
	rb_transport_get_stats(a->t, &st);
	node_stop(b);
	ok = wait_up(a, 2, false);
	tap(ok, "peer destroyed: reported down");
	ok = !node_start(b, 2, cluster) &&
	     !rb_transport_set_peer(b->t, 1, &a->addr) &&
	     wait_up(a, 2, true) && wait_up(b, 1, true);
	tap(ok, "peer restarted: reconnected");
	m = simple_msg(RAFT_MSG_HEARTBEAT, 1, 2, 9);
	tap(ok && send_one(a, b, m), "messages flow again after reconnecting");
	rb_transport_get_stats(a->t, &st);
	tap(st.conns_lost >= 2 && st.connects >= 2,
	    "counters: connections lost and made again");
	pr_info("# A: sent %llu B %llu frames, received %llu B %llu frames, bad %llu, refused %llu, connects %llu, reconnects %llu, accepted %llu, up %llu, lost %llu, dropped %llu\n",
		st.bytes_sent, st.frames_sent, st.bytes_received,
		st.frames_received, st.bad_frames, st.refused_peers,
		st.connects, st.reconnects, st.accepted, st.conns_up,
		st.conns_lost, st.msgs_dropped);
out:
	if (b->t)
		node_stop(b);
	if (a->t)
		node_stop(a);
	tap(true, "all transports destroyed");
}

static int __init rbtt_init(void)
{
	struct raftblk_payload_pool_stats ps;
	int ret = raftblk_payload_pool_init();

	if (ret)
		return ret;
	run_tests();
	/*
	 * Every payload sent (zero copy: TCP held its pages) and received
	 * went through the payload page pool: received entries took pages
	 * that earlier ones gave back, and the pool kept to its cap.
	 */
	raftblk_payload_pool_stats(&ps);
	pr_info("# payload pool: reused %llu fresh %llu busy %llu full %llu pages %llu cap %llu\n",
		ps.reused, ps.fresh, ps.busy, ps.full, ps.pages, ps.cap);
	tap(ps.reused > 0 && ps.pages <= ps.cap,
	    "payload pages reused across sends and receives, the pool within its cap");
	pr_info("1..%d\n", n_tests);
	pr_info("done: %d passed, %d failed\n", n_tests - n_failed, n_failed);
	return 0;
}

static void __exit rbtt_exit(void)
{
	raftblk_payload_pool_exit();
}

module_init(rbtt_init);
module_exit(rbtt_exit);
MODULE_DESCRIPTION("raftblk transport test");
MODULE_LICENSE("GPL");
