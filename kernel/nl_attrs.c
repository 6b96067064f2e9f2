// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the attributes that describe a device, for DEVICE_GET and the
 * events (nl_attrs.h). Builders only: they read what they are given and
 * take no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <net/genetlink.h>
#include "raftblk.h"
#include "node.h"
#include "nl_attrs.h"
#include "payload.h"

int raftblk_nl_put_addr(struct sk_buff *skb, int type,
			const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	switch (ss->ss_family) {
	case AF_INET:
		if (nla_put_in_addr(skb, RAFTBLK_ADDR_ATTR_IPV4,
				    s4->sin_addr.s_addr) ||
		    nla_put_be16(skb, RAFTBLK_ADDR_ATTR_PORT, s4->sin_port))
			goto cancel;
		break;
	case AF_INET6:
		if (nla_put_in6_addr(skb, RAFTBLK_ADDR_ATTR_IPV6,
				     &s6->sin6_addr) ||
		    nla_put_be16(skb, RAFTBLK_ADDR_ATTR_PORT, s6->sin6_port))
			goto cancel;
		break;
	default:
		break;	/* unknown: an empty nest */
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* A PEER nest: the id and the fields of @what. */
static int raftblk_nl_put_peer(struct sk_buff *skb,
			       const struct raftblk_node_peer *p,
			       unsigned int what)
{
	struct nlattr *nest = nla_nest_start(skb, RAFTBLK_ATTR_PEER);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, RAFTBLK_PEER_ATTR_ID, p->id) ||
	    ((what & RAFTBLK_NL_PEER_ADDR) &&
	     raftblk_nl_put_addr(skb, RAFTBLK_PEER_ATTR_ADDR, &p->addr)) ||
	    ((what & RAFTBLK_NL_PEER_ROLE) &&
	     nla_put_u32(skb, RAFTBLK_PEER_ATTR_ROLE, p->role)) ||
	    ((what & RAFTBLK_NL_PEER_MATCH) &&
	     nla_put_u64_64bit(skb, RAFTBLK_PEER_ATTR_MATCH_INDEX, p->match,
			       RAFTBLK_PEER_ATTR_PAD)) ||
	    ((what & RAFTBLK_NL_PEER_STATE) &&
	     nla_put_u32(skb, RAFTBLK_PEER_ATTR_STATE, p->conn)) ||
	    ((what & RAFTBLK_NL_PEER_STATE) && p->heard &&
	     nla_put_u32(skb, RAFTBLK_PEER_ATTR_LAST_HEARD_MS, p->heard_ms))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int raftblk_nl_put_peer_event(struct sk_buff *skb,
			      const struct raftblk_node_peer *p,
			      unsigned int what, u64 commit)
{
	if ((what & RAFTBLK_NL_PEER_MATCH) &&
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_COMMIT_INDEX, commit,
			      RAFTBLK_ATTR_PAD))
		return -EMSGSIZE;
	return raftblk_nl_put_peer(skb, p, what);
}

struct raftblk_nl_u64 {
	int type;
	u64 val;
};

static int raftblk_nl_put_u64s(struct sk_buff *skb,
			       const struct raftblk_nl_u64 *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(skb, c[i].type, c[i].val,
				      RAFTBLK_COUNTER_ATTR_PAD))
			return -EMSGSIZE;
	return 0;
}

/* The payload page pool's counters: module-wide, in every device's. */
static int raftblk_nl_put_pool_counters(struct sk_buff *skb)
{
	struct raftblk_payload_pool_stats ps;

	raftblk_payload_pool_stats(&ps);
	{
		const struct raftblk_nl_u64 c[] = {
			{ RAFTBLK_COUNTER_ATTR_POOL_PAGES, ps.pages },
			{ RAFTBLK_COUNTER_ATTR_POOL_REUSED, ps.reused },
			{ RAFTBLK_COUNTER_ATTR_POOL_FRESH, ps.fresh },
			{ RAFTBLK_COUNTER_ATTR_POOL_BUSY, ps.busy },
			{ RAFTBLK_COUNTER_ATTR_POOL_FULL, ps.full },
			{ RAFTBLK_COUNTER_ATTR_POOL_SHRUNK, ps.shrunk },
		};

		return raftblk_nl_put_u64s(skb, c, ARRAY_SIZE(c));
	}
}

static int raftblk_nl_put_counters(struct sk_buff *skb,
				   const struct raftblk_node_status *st)
{
	const struct raftblk_nl_u64 c[] = {
		{ RAFTBLK_COUNTER_ATTR_PROPOSALS, st->proposals },
		{ RAFTBLK_COUNTER_ATTR_COMMITS, st->commits },
		{ RAFTBLK_COUNTER_ATTR_ELECTIONS, st->elections },
		{ RAFTBLK_COUNTER_ATTR_BYTES_SENT, st->bytes_sent },
		{ RAFTBLK_COUNTER_ATTR_BYTES_RECEIVED, st->bytes_received },
		{ RAFTBLK_COUNTER_ATTR_BAD_FRAMES, st->bad_frames },
		{ RAFTBLK_COUNTER_ATTR_RECONNECTS, st->reconnects },
		{ RAFTBLK_COUNTER_ATTR_RX_BYTES, st->rx_bytes },
		{ RAFTBLK_COUNTER_ATTR_RX_BYTES_PEAK, st->rx_bytes_peak },
		{ RAFTBLK_COUNTER_ATTR_RX_PAUSED, st->rx_paused },
		{ RAFTBLK_COUNTER_ATTR_LOG_BYTES, st->log_bytes },
		{ RAFTBLK_COUNTER_ATTR_LOG_BYTES_PEAK, st->log_bytes_peak },
		{ RAFTBLK_COUNTER_ATTR_MEM_COMPACTIONS, st->mem_compactions },
		{ RAFTBLK_COUNTER_ATTR_AUTH_FAILED, st->auth_failed },
		{ RAFTBLK_COUNTER_ATTR_FRAMES_DIRECT, st->frames_direct },
		{ RAFTBLK_COUNTER_ATTR_LOG_AREA_USED, st->log_area_used },
		{ RAFTBLK_COUNTER_ATTR_LOG_AREA_SIZE, st->log_area_size },
		{ RAFTBLK_COUNTER_ATTR_LOG_AREA_WRITTEN, st->log_area_written },
	};
	struct nlattr *nest = nla_nest_start(skb, RAFTBLK_ATTR_COUNTERS);

	if (!nest)
		return -EMSGSIZE;
	if (raftblk_nl_put_u64s(skb, c, ARRAY_SIZE(c)) ||
	    raftblk_nl_put_pool_counters(skb)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int raftblk_nl_put_options(struct sk_buff *skb,
			   const struct raftblk_node_status *st)
{
	if (nla_put_u32(skb, RAFTBLK_ATTR_HEARTBEAT_MS, st->heartbeat_ms) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS,
			st->election_ms) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_MAX_BATCH, st->max_batch) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_READ_MODE, st->read_mode) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_RESYNC_RATE, st->resync_rate,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_LOG_MEMORY, st->log_memory,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_AUTO_PROMOTE, st->auto_promote) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS,
			st->auto_promote_ms))
		return -EMSGSIZE;
	return 0;
}

int raftblk_nl_put_waiting(struct sk_buff *skb,
			   const struct raftblk_node_status *st)
{
	if (nla_put_u32(skb, RAFTBLK_ATTR_WAITING, st->waiting) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_WAIT_INDEX, st->wait_index,
			      RAFTBLK_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

int raftblk_nl_put_resync(struct sk_buff *skb,
			  const struct rb_resync_info *r)
{
	const struct {
		int type;
		u64 val;
	} c[] = {
		{ RAFTBLK_RESYNC_ATTR_INDEX, r->index },
		{ RAFTBLK_RESYNC_ATTR_BASE, r->base },
		{ RAFTBLK_RESYNC_ATTR_DONE, r->done },
		{ RAFTBLK_RESYNC_ATTR_TOTAL, r->total },
		{ RAFTBLK_RESYNC_ATTR_RATE, r->rate },
		{ RAFTBLK_RESYNC_ATTR_ETA, r->eta_s },
		{ RAFTBLK_RESYNC_ATTR_PACE, r->pace },
	};
	struct nlattr *nest = nla_nest_start(skb, RAFTBLK_ATTR_RESYNC);
	u32 state = r->active ? RAFTBLK_RESYNC_STATE_RUNNING :
		    r->ok ? RAFTBLK_RESYNC_STATE_FINISHED :
		    RAFTBLK_RESYNC_STATE_FAILED;
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, RAFTBLK_RESYNC_ATTR_PEER, r->peer) ||
	    nla_put_u32(skb, RAFTBLK_RESYNC_ATTR_DIRECTION,
			r->sending ? RAFTBLK_RESYNC_DIR_SEND :
			RAFTBLK_RESYNC_DIR_RECEIVE) ||
	    nla_put_u32(skb, RAFTBLK_RESYNC_ATTR_KIND,
			r->full ? RAFTBLK_RESYNC_KIND_FULL :
			RAFTBLK_RESYNC_KIND_DELTA) ||
	    nla_put_u32(skb, RAFTBLK_RESYNC_ATTR_STATE, state))
		goto cancel;
	for (i = 0; i < ARRAY_SIZE(c); i++)
		if (nla_put_u64_64bit(skb, c[i].type, c[i].val,
				      RAFTBLK_RESYNC_ATTR_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

int raftblk_nl_put_device_state(struct sk_buff *skb, u8 role, u64 term,
				u32 leader)
{
	if (nla_put_u32(skb, RAFTBLK_ATTR_ROLE, role) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_TERM, term,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LEADER_ID, leader))
		return -EMSGSIZE;
	return 0;
}

/* The last snapshot entry applied (DEVICE_GET, events), if any. */
int raftblk_nl_put_snapshot(struct sk_buff *skb,
			    const struct raftblk_node_status *st)
{
	const struct raftblk_node_snap *l = &st->snap;
	struct nlattr *nest;

	if (!l->count)
		return 0;
	nest = nla_nest_start(skb, RAFTBLK_ATTR_SNAPSHOT_LAST);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, RAFTBLK_SNAPSHOT_ATTR_NAME, l->name) ||
	    (l->delete && nla_put_flag(skb, RAFTBLK_SNAPSHOT_ATTR_DELETE)) ||
	    nla_put_u64_64bit(skb, RAFTBLK_SNAPSHOT_ATTR_INDEX, l->index,
			      RAFTBLK_SNAPSHOT_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_SNAPSHOT_ATTR_TERM, l->term,
			      RAFTBLK_SNAPSHOT_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_SNAPSHOT_ATTR_TIME, l->time,
			      RAFTBLK_SNAPSHOT_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_SNAPSHOT_ATTR_RESULT, l->result) ||
	    nla_put_u64_64bit(skb, RAFTBLK_SNAPSHOT_ATTR_COUNT, l->count,
			      RAFTBLK_SNAPSHOT_ATTR_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int raftblk_nl_put_verify_summary(struct sk_buff *skb,
					 const struct rb_verify_summary *v)
{
	struct nlattr *nest;

	if (!v->index)
		return 0;
	nest = nla_nest_start(skb, RAFTBLK_ATTR_VERIFY);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_INDEX, v->index,
			      RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_TERM, v->term,
			      RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_STATE, v->state) ||
	    (v->collector &&
	     nla_put_flag(skb, RAFTBLK_VERIFY_ATTR_COLLECTOR)) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_EXTENTS, v->extents) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_HASHED, v->hashed) ||
	    nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_ELAPSED_MS,
			      v->elapsed_ms, RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_DIFFERING, v->differing)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Replication state, node id, listen address, options, counters, peers. */
static int raftblk_nl_put_node(struct sk_buff *skb,
			       const struct raftblk_node_status *st)
{
	u32 i;

	if (nla_put_u64_64bit(skb, RAFTBLK_ATTR_TERM, st->term,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LEADER_ID, st->leader) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_COMMIT_INDEX, st->commit,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_APPLIED_INDEX, st->applied,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_NODE_ID, st->id) ||
	    raftblk_nl_put_addr(skb, RAFTBLK_ATTR_LISTEN, &st->listen) ||
	    raftblk_nl_put_options(skb, st) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_DISK_STATE, st->disk_state) ||
	    raftblk_nl_put_waiting(skb, st) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_WAIT_MS,
			      raftblk_node_wait_ms(st), RAFTBLK_ATTR_PAD) ||
	    raftblk_nl_put_counters(skb, st) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LOG_RECORD_BLOCK,
			st->log_rec_block) ||
	    (st->snap_pool[0] &&
	     nla_put_string(skb, RAFTBLK_ATTR_SNAPSHOT_POOL, st->snap_pool)) ||
	    raftblk_nl_put_snapshot(skb, st) ||
	    (st->copy_index &&
	     nla_put_u64_64bit(skb, RAFTBLK_ATTR_COPY_INDEX, st->copy_index,
			       RAFTBLK_ATTR_PAD)))
		return -EMSGSIZE;
	/* Only fingerprints: a secret never leaves the kernel. */
	if ((st->secret_set[0] &&
	     nla_put(skb, RAFTBLK_ATTR_SECRET_FP, RB_AUTH_FP_LEN,
		     st->secret_fp[0])) ||
	    (st->secret_set[1] &&
	     nla_put(skb, RAFTBLK_ATTR_SECRET_NEXT_FP, RB_AUTH_FP_LEN,
		     st->secret_fp[1])) ||
	    (st->secret_next_none &&
	     nla_put_flag(skb, RAFTBLK_ATTR_SECRET_NEXT_NONE)))
		return -EMSGSIZE;
	for (i = 0; i < st->n_peers; i++)
		if (raftblk_nl_put_peer(skb, &st->peers[i],
					RAFTBLK_NL_PEER_ALL))
			return -EMSGSIZE;
	for (i = 0; i < st->n_resync; i++)
		if (raftblk_nl_put_resync(skb, &st->resync[i]))
			return -EMSGSIZE;
	return raftblk_nl_put_verify_summary(skb, &st->verify);
}

/*
 * One nest of @type: @key_attr = @key, and the counters of @o (errors and
 * bytes for a kind of request only).
 */
static int raftblk_nl_put_io_nest(struct sk_buff *skb, int type,
				  int key_attr, u32 key,
				  const struct raftblk_io_op_snapshot *o)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, key_attr, key) ||
	    nla_put_u64_64bit(skb, RAFTBLK_IO_ATTR_COUNT, o->count,
			      RAFTBLK_IO_ATTR_PAD) ||
	    (type == RAFTBLK_ATTR_IO_STATS &&
	     (nla_put_u64_64bit(skb, RAFTBLK_IO_ATTR_ERRORS, o->errors,
				RAFTBLK_IO_ATTR_PAD) ||
	      nla_put_u64_64bit(skb, RAFTBLK_IO_ATTR_BYTES, o->bytes,
				RAFTBLK_IO_ATTR_PAD))) ||
	    nla_put_u64_64bit(skb, RAFTBLK_IO_ATTR_LATENCY_SUM,
			      o->latency_sum, RAFTBLK_IO_ATTR_PAD) ||
	    nla_put(skb, RAFTBLK_IO_ATTR_LATENCY, sizeof(o->latency),
		    o->latency)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One IO_STATS nest per kind of request, one IO_PHASE per phase. */
static int raftblk_nl_put_io_stats(struct sk_buff *skb,
				   struct raftblk_io_stats *s, bool phases)
{
	struct raftblk_io_op_snapshot o;
	u32 i;

	for (i = 0; i < RAFTBLK_IO_OPS; i++) {
		raftblk_io_stats_read(s, i, &o);
		if (raftblk_nl_put_io_nest(skb, RAFTBLK_ATTR_IO_STATS,
					   RAFTBLK_IO_ATTR_OP, i, &o))
			return -EMSGSIZE;
	}
	for (i = 0; phases && i < RAFTBLK_IO_PHASES; i++) {
		raftblk_io_stats_read_phase(s, i, &o);
		if (raftblk_nl_put_io_nest(skb, RAFTBLK_ATTR_IO_PHASE,
					   RAFTBLK_IO_ATTR_PHASE, i, &o))
			return -EMSGSIZE;
	}
	return 0;
}

int raftblk_nl_put_device(struct sk_buff *skb,
			  const struct raftblk_dev_info *di,
			  u64 ev_id, u64 ev_seq,
			  const struct raftblk_node_status *st)
{
	if (nla_put_string(skb, RAFTBLK_ATTR_NAME, di->name) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_DEVICE_ID, ev_id,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_EVENT_SEQ, ev_seq,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_string(skb, RAFTBLK_ATTR_DISK_PATH, di->disk_path) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_CAPACITY, di->capacity,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_ROLE, st->role) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_OPEN_COUNT, di->open_count) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE,
			di->logical_block_size) ||
	    raftblk_nl_put_io_stats(skb, di->io_stats, di->replicated))
		return -EMSGSIZE;
	if (di->replicated)
		return raftblk_nl_put_node(skb, st);
	return 0;
}

int raftblk_nl_put_event_head(struct sk_buff *skb, u8 event,
			      const char *name, u64 ev_id, u64 ev_seq)
{
	if (nla_put_u32(skb, RAFTBLK_ATTR_EVENT, event) ||
	    nla_put_string(skb, RAFTBLK_ATTR_NAME, name) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_DEVICE_ID, ev_id,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_EVENT_SEQ, ev_seq,
			      RAFTBLK_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

int raftblk_nl_put_device_create(struct sk_buff *skb, const char *disk_path,
				 const struct raftblk_node_status *st,
				 bool replicated)
{
	if (nla_put_string(skb, RAFTBLK_ATTR_DISK_PATH, disk_path) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_ROLE, st->role))
		return -EMSGSIZE;
	if (replicated &&
	    (nla_put_u32(skb, RAFTBLK_ATTR_NODE_ID, st->id) ||
	     raftblk_nl_put_addr(skb, RAFTBLK_ATTR_LISTEN, &st->listen) ||
	     nla_put_u64_64bit(skb, RAFTBLK_ATTR_TERM, st->term,
			       RAFTBLK_ATTR_PAD) ||
	     nla_put_u32(skb, RAFTBLK_ATTR_LEADER_ID, st->leader) ||
	     nla_put_u32(skb, RAFTBLK_ATTR_DISK_STATE, st->disk_state) ||
	     raftblk_nl_put_waiting(skb, st) ||
	     raftblk_nl_put_options(skb, st)))
		return -EMSGSIZE;
	return 0;
}

static int raftblk_nl_put_verify_node(struct sk_buff *skb,
				      const struct rb_verify_node_report *d)
{
	struct nlattr *nest = nla_nest_start(skb, RAFTBLK_VERIFY_ATTR_NODE);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, RAFTBLK_VERIFY_NODE_ATTR_ID, d->id) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_NODE_ATTR_STATE, d->state) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_NODE_ATTR_DIFFERING, d->n_differ) ||
	    (d->n_list &&
	     nla_put(skb, RAFTBLK_VERIFY_NODE_ATTR_EXTENTS,
		     d->n_list * sizeof(u32), d->list))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int raftblk_nl_put_verify(struct sk_buff *skb,
			  const struct rb_verify_report *r, bool nodes)
{
	struct nlattr *nest;
	u32 i, differing = 0;

	if (!r->index)
		return 0;
	for (i = 0; i < r->n_nodes; i++)
		differing += r->nodes[i].n_differ;
	nest = nla_nest_start(skb, RAFTBLK_ATTR_VERIFY);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_INDEX, r->index,
			      RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_TERM, r->term,
			      RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_STATE, r->state) ||
	    (r->collector &&
	     nla_put_flag(skb, RAFTBLK_VERIFY_ATTR_COLLECTOR)) ||
	    nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_EXTENT_BYTES,
			      r->extent_bytes, RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_EXTENTS, r->n_extents) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_HASHED, r->hashed) ||
	    nla_put_u64_64bit(skb, RAFTBLK_VERIFY_ATTR_ELAPSED_MS,
			      r->elapsed_ms, RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_VERIFY_ATTR_DIFFERING, differing))
		goto cancel;
	for (i = 0; nodes && i < r->n_nodes; i++)
		if (raftblk_nl_put_verify_node(skb, &r->nodes[i]))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
