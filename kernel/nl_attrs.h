/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl_attrs.h - the attributes that describe a device, its node and its
 * peers, for DEVICE_GET (netlink.c) and the events (events.c): one
 * builder per group of attributes, so both say the same thing the same
 * way. Each returns 0 or -EMSGSIZE (a nest it started is cancelled).
 */
#ifndef RAFTBLK_NL_ATTRS_H
#define RAFTBLK_NL_ATTRS_H

#include <linux/types.h>
#include <net/netlink.h>

struct raftblk_dev_info;
struct raftblk_node_peer;
struct raftblk_node_status;
struct rb_resync_info;
struct rb_verify_report;
struct sockaddr_storage;

/* Fields of a PEER nest besides the id (@what of the peer builders). */
#define RAFTBLK_NL_PEER_ADDR	0x1
#define RAFTBLK_NL_PEER_ROLE	0x2
#define RAFTBLK_NL_PEER_MATCH	0x4
#define RAFTBLK_NL_PEER_STATE	0x8
#define RAFTBLK_NL_PEER_ALL	0xf

int raftblk_nl_put_addr(struct sk_buff *skb, int type,
			const struct sockaddr_storage *ss);

/* DEVICE_GET: everything about a device; @st is its status. */
int raftblk_nl_put_device(struct sk_buff *skb,
			  const struct raftblk_dev_info *di,
			  u64 ev_id, u64 ev_seq,
			  const struct raftblk_node_status *st);

/* The head of every event: its kind, the device and the event's number. */
int raftblk_nl_put_event_head(struct sk_buff *skb, u8 event,
			      const char *name, u64 ev_id, u64 ev_seq);
/* DEVICE_CREATE: the device's state (@replicated: and its node's). */
int raftblk_nl_put_device_create(struct sk_buff *skb, const char *disk_path,
				 const struct raftblk_node_status *st,
				 bool replicated);
/* DEVICE_CHANGE of role, term and leader. */
int raftblk_nl_put_device_state(struct sk_buff *skb, u8 role, u64 term,
				u32 leader);
/* DEVICE_CHANGE of what the node waits for: waiting and wait index. */
int raftblk_nl_put_waiting(struct sk_buff *skb,
			   const struct raftblk_node_status *st);
/* DEVICE_CHANGE of the options. */
int raftblk_nl_put_options(struct sk_buff *skb,
			   const struct raftblk_node_status *st);
/* DEVICE_CHANGE of a resync: one RESYNC nest (also in DEVICE_GET). */
int raftblk_nl_put_snapshot(struct sk_buff *skb,
			    const struct raftblk_node_status *st);
int raftblk_nl_put_resync(struct sk_buff *skb,
			  const struct rb_resync_info *r);
/* DEVICE_GET, DEVICE_CHANGE: the gist of the last verify (no NODE nests). */
struct rb_verify_summary;
int raftblk_nl_put_verify_summary(struct sk_buff *skb,
				  const struct rb_verify_summary *v);
/* VERIFY_GET (@nodes: with a NODE nest per node): a VERIFY. */
int raftblk_nl_put_verify(struct sk_buff *skb,
			  const struct rb_verify_report *r, bool nodes);
/*
 * PEER_*: the peer with the fields of @what, preceded by the leader's
 * commit index @commit when the match index is part of it.
 */
int raftblk_nl_put_peer_event(struct sk_buff *skb,
			      const struct raftblk_node_peer *p,
			      unsigned int what, u64 commit);

#endif /* RAFTBLK_NL_ATTRS_H */
