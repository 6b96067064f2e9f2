// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the "raftblk" generic netlink family (include/uapi/linux/raftblk.h,
 * Documentation/netlink/specs/raftblk.yaml).
 *
 * Every operation has its own strict policy: an attribute the operation
 * does not take is rejected, not ignored. Mutating operations need
 * CAP_NET_ADMIN. The family works in every network namespace and a device
 * is visible only in the one that created it. Errors are errno values with
 * an extended-ack message and, where one attribute is at fault, its offset.
 */
#include <linux/capability.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>
#include "raftblk.h"
#include "node.h"
#include "nl_attrs.h"

/* A DEVICE_GET reply to a doit request (a dump fills its own buffers). */
#define RAFTBLK_NL_DEVICE_MSG_SIZE	(12 * 1024)

/*
 * Timer ranges: a heartbeat at least every tick, at most once a minute.
 * Not const: 6.1's struct nla_policy points to them without const.
 */
static struct netlink_range_validation raftblk_heartbeat_range = {
	.min = RAFTBLK_NODE_TICK_MS_DEFAULT,
	.max = 60000,
};

static struct netlink_range_validation raftblk_election_range = {
	.min = 3 * RAFTBLK_NODE_TICK_MS_DEFAULT,
	.max = 600000,
};

/*
 * The resync rate: 0 (dynamic) or RAFTBLK_RESYNC_RATE_MIN..MAX; the policy
 * checks the upper bound, raftblk_nl_device_set() the gap above 0.
 */
static struct netlink_range_validation raftblk_resync_rate_range = {
	.min = 0,
	.max = RAFTBLK_RESYNC_RATE_MAX,
};

/* A network address: IPv4 or IPv6, and a port. */
static const struct nla_policy raftblk_addr_policy[RAFTBLK_ADDR_ATTR_MAX + 1] = {
	[RAFTBLK_ADDR_ATTR_IPV4] = { .type = NLA_BE32 },
	[RAFTBLK_ADDR_ATTR_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[RAFTBLK_ADDR_ATTR_PORT] = { .type = NLA_BE16 },
};

static const struct nla_policy raftblk_create_policy[RAFTBLK_ATTR_SNAPSHOT_POOL + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_DISK_PATH] = { .type = NLA_NUL_STRING,
				     .len = RAFTBLK_PATH_MAXLEN },
	[RAFTBLK_ATTR_NODE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[RAFTBLK_ATTR_LISTEN] = NLA_POLICY_NESTED(raftblk_addr_policy),
	[RAFTBLK_ATTR_BOOTSTRAP] = { .type = NLA_FLAG },
	[RAFTBLK_ATTR_HEARTBEAT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &raftblk_heartbeat_range),
	[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &raftblk_election_range),
	[RAFTBLK_ATTR_READ_MODE] =
		NLA_POLICY_MAX(NLA_U32, RAFTBLK_READ_MODE_LEASE),
	[RAFTBLK_ATTR_SECRET] = { .type = NLA_BINARY,
				  .len = RAFTBLK_SECRET_MAXLEN },
	[RAFTBLK_ATTR_SNAPSHOT_POOL] = { .type = NLA_NUL_STRING,
					 .len = RAFTBLK_PATH_MAXLEN },
};

/* SNAPSHOT_REPORT: its layout is checked by the node (wire.c). */
static const struct nla_policy raftblk_snaprep_policy[RAFTBLK_ATTR_SNAPSHOT_REPORT + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_SNAPSHOT_REPORT] = { .type = NLA_BINARY,
					   .len = RAFTBLK_SNAPREP_MAX_LEN },
};

/* SNAPSHOT_CREATE (the COW size too) and SNAPSHOT_DELETE. */
static const struct nla_policy raftblk_snapshot_policy[RAFTBLK_ATTR_SNAPSHOT_COW_DEVICE + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_SNAPSHOT_NAME] = { .type = NLA_NUL_STRING,
					 .len = RAFTBLK_SNAPSHOT_NAME_MAXLEN },
	[RAFTBLK_ATTR_SNAPSHOT_COW_SIZE] = { .type = NLA_U64 },
	[RAFTBLK_ATTR_SNAPSHOT_COW_DEVICE] = { .type = NLA_NUL_STRING,
					       .len = RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN },
};

static const struct nla_policy raftblk_snapshot_delete_policy[RAFTBLK_ATTR_SNAPSHOT_NAME + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_SNAPSHOT_NAME] = { .type = NLA_NUL_STRING,
					 .len = RAFTBLK_SNAPSHOT_NAME_MAXLEN },
};

/* The peer of PEER_ADD: its id and address. */
static const struct nla_policy raftblk_peer_add_nest_policy[RAFTBLK_PEER_ATTR_ADDR + 1] = {
	[RAFTBLK_PEER_ATTR_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[RAFTBLK_PEER_ATTR_ADDR] = NLA_POLICY_NESTED(raftblk_addr_policy),
};

/* The peer of PEER_REMOVE: its id only. */
static const struct nla_policy raftblk_peer_id_nest_policy[RAFTBLK_PEER_ATTR_ID + 1] = {
	[RAFTBLK_PEER_ATTR_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy raftblk_peer_add_policy[RAFTBLK_ATTR_PEER + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_PEER] = NLA_POLICY_NESTED(raftblk_peer_add_nest_policy),
};

static const struct nla_policy raftblk_peer_remove_policy[RAFTBLK_ATTR_PEER + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_PEER] = NLA_POLICY_NESTED(raftblk_peer_id_nest_policy),
};

static const struct nla_policy raftblk_leader_transfer_policy[RAFTBLK_ATTR_FORCE + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_NODE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[RAFTBLK_ATTR_FORCE] = { .type = NLA_FLAG },
};

/* RESYNC_EXTENTS: the follower, and its extents or the verify's. */
static const struct nla_policy raftblk_resync_extents_policy[RAFTBLK_ATTR_VERIFY_ALL_DIFFERING + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_NODE_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[RAFTBLK_ATTR_VERIFY_EXTENTS] = {
		.type = NLA_BINARY,
		.len = RAFTBLK_VERIFY_EXTENTS_MAX * sizeof(u32) },
	[RAFTBLK_ATTR_VERIFY_ALL_DIFFERING] = { .type = NLA_FLAG },
};

/* Memory budget of the in-memory log. */
static struct netlink_range_validation raftblk_log_memory_range = {
	.min = RAFTBLK_NODE_LOG_MEMORY_MIN,
	.max = RAFTBLK_NODE_LOG_MEMORY_MAX,
};

/* How long an open for writing on a follower waits to lead. */
static struct netlink_range_validation raftblk_promote_ms_range = {
	.min = RAFTBLK_NODE_PROMOTE_MS_MIN,
	.max = RAFTBLK_NODE_PROMOTE_MS_MAX,
};

static const struct nla_policy raftblk_set_policy[RAFTBLK_ATTR_SET_DEFAULTS + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_HEARTBEAT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &raftblk_heartbeat_range),
	[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &raftblk_election_range),
	[RAFTBLK_ATTR_MAX_BATCH] =
		NLA_POLICY_RANGE(NLA_U32, 1, RAFTBLK_NODE_MAX_BATCH),
	[RAFTBLK_ATTR_READ_MODE] =
		NLA_POLICY_MAX(NLA_U32, RAFTBLK_READ_MODE_LEASE),
	[RAFTBLK_ATTR_RESYNC_RATE] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &raftblk_resync_rate_range),
	[RAFTBLK_ATTR_LOG_MEMORY] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &raftblk_log_memory_range),
	[RAFTBLK_ATTR_SECRET] = { .type = NLA_BINARY,
				  .len = RAFTBLK_SECRET_MAXLEN },
	[RAFTBLK_ATTR_SECRET_OP] = NLA_POLICY_RANGE(NLA_U32,
						    RAFTBLK_SECRET_OP_PROMOTE,
						    RAFTBLK_SECRET_OP_NEXT_NONE),
	[RAFTBLK_ATTR_AUTO_PROMOTE] = NLA_POLICY_MAX(NLA_U32, 1),
	[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &raftblk_promote_ms_range),
	[RAFTBLK_ATTR_SET_DEFAULTS] = { .type = NLA_FLAG },
};

/* Operations that take only a device name. */
static const struct nla_policy raftblk_name_policy[RAFTBLK_ATTR_NAME + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
};

/* err->msg is a string literal, as NL_SET_ERR_MSG() requires. */
static void raftblk_nl_set_err(struct genl_info *info,
			       const struct raftblk_err *err)
{
	if (!err->msg)
		return;
	if (err->attr && info->attrs[err->attr])
		NL_SET_BAD_ATTR(info->extack, info->attrs[err->attr]);
	info->extack->_msg = err->msg;
}

/*
 * An address nest (already validated against raftblk_addr_policy) into a
 * sockaddr: exactly one of IPv4 and IPv6, a non-zero port, and a
 * specified address (peers must be able to reach it).
 */
static int raftblk_nl_get_addr(struct nlattr *nest, struct sockaddr_storage *ss,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[RAFTBLK_ADDR_ATTR_MAX + 1];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	int ret;

	ret = nla_parse_nested(tb, RAFTBLK_ADDR_ATTR_MAX, nest,
			       raftblk_addr_policy, extack);
	if (ret)
		return ret;
	if (!tb[RAFTBLK_ADDR_ATTR_IPV4] == !tb[RAFTBLK_ADDR_ATTR_IPV6]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "address needs exactly one of IPv4 and IPv6");
		return -EINVAL;
	}
	if (!tb[RAFTBLK_ADDR_ATTR_PORT] ||
	    !nla_get_be16(tb[RAFTBLK_ADDR_ATTR_PORT])) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "address needs a non-zero port");
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	if (tb[RAFTBLK_ADDR_ATTR_IPV4]) {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = nla_get_in_addr(tb[RAFTBLK_ADDR_ATTR_IPV4]);
		s4->sin_port = nla_get_be16(tb[RAFTBLK_ADDR_ATTR_PORT]);
		if (ipv4_is_zeronet(s4->sin_addr.s_addr) ||
		    ipv4_is_multicast(s4->sin_addr.s_addr) ||
		    ipv4_is_lbcast(s4->sin_addr.s_addr)) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "not a unicast IPv4 address");
			return -EINVAL;
		}
		return 0;
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = nla_get_in6_addr(tb[RAFTBLK_ADDR_ATTR_IPV6]);
	s6->sin6_port = nla_get_be16(tb[RAFTBLK_ADDR_ATTR_PORT]);
	if (ipv6_addr_any(&s6->sin6_addr) ||
	    ipv6_addr_is_multicast(&s6->sin6_addr) ||
	    ipv6_addr_v4mapped(&s6->sin6_addr)) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "not a unicast IPv6 address");
		return -EINVAL;
	}
	return 0;
}

/* Attributes only a replicated device takes, each needing NODE_ID. */
static const int raftblk_repl_only_attrs[] = {
	RAFTBLK_ATTR_LISTEN, RAFTBLK_ATTR_BOOTSTRAP, RAFTBLK_ATTR_HEARTBEAT_MS,
	RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, RAFTBLK_ATTR_SECRET,
	RAFTBLK_ATTR_SNAPSHOT_POOL, RAFTBLK_ATTR_READ_MODE,
};

/* A SECRET attribute's length, or -EINVAL (with the message) if wrong. */
static int raftblk_nl_secret_len(struct genl_info *info)
{
	struct nlattr *a = info->attrs[RAFTBLK_ATTR_SECRET];

	BUILD_BUG_ON(RAFTBLK_SECRET_MAXLEN != RB_AUTH_SECRET_MAX);
	if (nla_len(a) < RB_AUTH_SECRET_MIN) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "the secret must be 16 to 128 bytes");
		return -EINVAL;
	}
	return nla_len(a);
}

/*
 * The replication parameters of a DEVICE_CREATE: 1 when NODE_ID is
 * absent (a standalone device), 0 when @p is filled, or an error.
 */
static int raftblk_nl_node_params(struct genl_info *info,
				  struct raftblk_node_params *p)
{
	struct nlattr **attrs = info->attrs;
	struct nlattr *hb = attrs[RAFTBLK_ATTR_HEARTBEAT_MS];
	struct nlattr *el = attrs[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS];
	u32 hb_ms, el_ms;
	size_t i;
	int ret;

	if (!attrs[RAFTBLK_ATTR_NODE_ID]) {
		for (i = 0; i < ARRAY_SIZE(raftblk_repl_only_attrs); i++) {
			struct nlattr *a = attrs[raftblk_repl_only_attrs[i]];

			if (a) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "replication options need a node id");
				return -EINVAL;
			}
		}
		return 1;
	}
	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_LISTEN))
		return -EINVAL;

	memset(p, 0, sizeof(*p));
	p->node_id = nla_get_u32(attrs[RAFTBLK_ATTR_NODE_ID]);
	ret = raftblk_nl_get_addr(attrs[RAFTBLK_ATTR_LISTEN], &p->listen,
				  info->extack);
	if (ret)
		return ret;
	p->bootstrap = nla_get_flag(attrs[RAFTBLK_ATTR_BOOTSTRAP]);
	p->heartbeat_ms = hb ? nla_get_u32(hb) : 0;
	p->election_ms = el ? nla_get_u32(el) : 0;
	/* Range checked by the policy. */
	p->set_read_mode = attrs[RAFTBLK_ATTR_READ_MODE];
	if (p->set_read_mode)
		p->read_mode = nla_get_u32(attrs[RAFTBLK_ATTR_READ_MODE]);
	if (attrs[RAFTBLK_ATTR_SNAPSHOT_POOL])
		nla_strscpy(p->snap_pool, attrs[RAFTBLK_ATTR_SNAPSHOT_POOL],
			    sizeof(p->snap_pool));

	hb_ms = p->heartbeat_ms ?: RAFTBLK_NODE_HEARTBEAT_MS_DEFAULT;
	el_ms = p->election_ms ?: RAFTBLK_NODE_ELECTION_MS_DEFAULT;
	if (el_ms < 3 * hb_ms) {
		NL_SET_ERR_MSG_ATTR(info->extack, el ? el : hb,
				    "election timeout must be at least 3 heartbeats");
		return -EINVAL;
	}
	return 0;
}

static int raftblk_nl_device_create(struct sk_buff *skb,
				    struct genl_info *info)
{
	struct nlattr *secret = info->attrs[RAFTBLK_ATTR_SECRET];
	struct rb_auth_secret *sec = NULL;
	struct raftblk_node_params params;
	struct raftblk_err err = {};
	int ret;

	/*
	 * The disk is opened by path with the kernel's rights: whoever may
	 * create a device may read and write any block device.
	 */
	if (!capable(CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "creating a device needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_DISK_PATH))
		return -EINVAL;
	ret = raftblk_nl_node_params(info, &params);
	if (ret < 0)
		return ret;
	if (!ret && secret) {
		int len = raftblk_nl_secret_len(info);

		if (len < 0)
			return len;
		sec = kzalloc(sizeof(*sec), GFP_KERNEL);
		if (!sec)
			return -ENOMEM;
		sec->len = len;
		nla_memcpy(sec->key, secret, len);
		params.secret = sec;
	}

	ret = raftblk_device_create(genl_info_net(info),
				    nla_data(info->attrs[RAFTBLK_ATTR_NAME]),
				    nla_data(info->attrs[RAFTBLK_ATTR_DISK_PATH]),
				    ret ? NULL : &params, &err);
	kfree_sensitive(sec);	/* the transport keeps its own copy */
	if (ret)
		raftblk_nl_set_err(info, &err);
	return ret;
}

static int raftblk_nl_device_destroy(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct raftblk_err err = {};
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NAME))
		return -EINVAL;

	ret = raftblk_device_destroy(genl_info_net(info),
				     nla_data(info->attrs[RAFTBLK_ATTR_NAME]),
				     &err);
	if (ret)
		raftblk_nl_set_err(info, &err);
	return ret;
}

/*
 * Run @op on the device NAME of the caller's namespace, holding a
 * reference (not the registry lock: @op may wait for the device's node).
 */
static int raftblk_nl_device_op(struct genl_info *info,
				int (*op)(struct raftblk_dev *dev,
					  struct genl_info *info,
					  struct raftblk_err *err))
{
	struct nlattr *name = info->attrs[RAFTBLK_ATTR_NAME];
	struct raftblk_err err = {};
	struct raftblk_dev *dev;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NAME))
		return -EINVAL;

	dev = raftblk_device_get(genl_info_net(info), nla_data(name));
	if (!dev) {
		err.attr = RAFTBLK_ATTR_NAME;
		err.msg = "device does not exist";
		ret = -ENODEV;
	} else {
		ret = op(dev, info, &err);
		raftblk_device_put(dev);
	}
	if (ret)
		raftblk_nl_set_err(info, &err);
	return ret;
}

/* The PEER nest of a request, parsed with @policy into @tb. */
static int raftblk_nl_get_peer(struct genl_info *info,
			       const struct nla_policy *policy, int maxtype,
			       struct nlattr **tb)
{
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_PEER))
		return -EINVAL;
	ret = nla_parse_nested(tb, maxtype, info->attrs[RAFTBLK_ATTR_PEER],
			       policy, info->extack);
	if (ret)
		return ret;
	if (!tb[RAFTBLK_PEER_ATTR_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RAFTBLK_ATTR_PEER],
				    "peer needs an id");
		return -EINVAL;
	}
	return 0;
}

static int raftblk_nl_peer_add_op(struct raftblk_dev *dev,
				  struct genl_info *info,
				  struct raftblk_err *err)
{
	struct nlattr *tb[RAFTBLK_PEER_ATTR_ADDR + 1];
	struct sockaddr_storage addr;
	int ret;

	ret = raftblk_nl_get_peer(info, raftblk_peer_add_nest_policy,
				  RAFTBLK_PEER_ATTR_ADDR, tb);
	if (ret)
		return ret;
	if (!tb[RAFTBLK_PEER_ATTR_ADDR]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[RAFTBLK_ATTR_PEER],
				    "peer needs an address");
		return -EINVAL;
	}
	ret = raftblk_nl_get_addr(tb[RAFTBLK_PEER_ATTR_ADDR], &addr,
				  info->extack);
	if (ret)
		return ret;
	err->attr = RAFTBLK_ATTR_PEER;
	return raftblk_device_peer_add(dev,
				       nla_get_u32(tb[RAFTBLK_PEER_ATTR_ID]),
				       &addr, err);
}

static int raftblk_nl_peer_remove_op(struct raftblk_dev *dev,
				     struct genl_info *info,
				     struct raftblk_err *err)
{
	struct nlattr *tb[RAFTBLK_PEER_ATTR_ID + 1];
	int ret;

	ret = raftblk_nl_get_peer(info, raftblk_peer_id_nest_policy,
				  RAFTBLK_PEER_ATTR_ID, tb);
	if (ret)
		return ret;
	err->attr = RAFTBLK_ATTR_PEER;
	return raftblk_device_peer_remove(dev,
					  nla_get_u32(tb[RAFTBLK_PEER_ATTR_ID]),
					  err);
}

static int raftblk_nl_leader_transfer_op(struct raftblk_dev *dev,
					 struct genl_info *info,
					 struct raftblk_err *err)
{
	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NODE_ID))
		return -EINVAL;
	err->attr = RAFTBLK_ATTR_NODE_ID;
	return raftblk_device_transfer_leader(dev,
			nla_get_u32(info->attrs[RAFTBLK_ATTR_NODE_ID]),
			nla_get_flag(info->attrs[RAFTBLK_ATTR_FORCE]), err);
}

/*
 * A reply to @info with room for @size bytes of attributes, the device's
 * name already in it: the message (its header in *hdr), or NULL when out
 * of memory or room.
 */
static struct sk_buff *raftblk_nl_reply_new(struct genl_info *info,
					    const struct raftblk_dev *dev,
					    size_t size, void **hdr)
{
	struct sk_buff *msg = genlmsg_new(size, GFP_KERNEL);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &raftblk_genl_family, 0,
				 info->genlhdr->cmd);
	if (!*hdr || nla_put_string(msg, RAFTBLK_ATTR_NAME, dev->name)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Send a reply made by raftblk_nl_reply_new(); it is consumed. */
static int raftblk_nl_reply_send(struct sk_buff *msg, void *hdr,
				 struct genl_info *info)
{
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* SNAPSHOT_CREATE, SNAPSHOT_DELETE: the entry's index and term back. */
static int raftblk_nl_snapshot_op(struct raftblk_dev *dev,
				  struct genl_info *info,
				  struct raftblk_err *err)
{
	bool create = info->genlhdr->cmd == RAFTBLK_CMD_SNAPSHOT_CREATE;
	struct nlattr *cow = NULL, *cow_dev = NULL;
	struct sk_buff *msg;
	u64 index, term;
	void *hdr;
	int ret;

	/*
	 * Only CREATE's policy has the COW attributes. genetlink sizes
	 * info->attrs by the op's maxattr, so DELETE's array ends at
	 * RAFTBLK_ATTR_SNAPSHOT_NAME: reading them there read past it
	 * (KASAN slab-out-of-bounds on the debug kernel), and whatever lay
	 * there became a COW size for the delete.
	 */
	if (create) {
		cow = info->attrs[RAFTBLK_ATTR_SNAPSHOT_COW_SIZE];
		cow_dev = info->attrs[RAFTBLK_ATTR_SNAPSHOT_COW_DEVICE];
	}
	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_SNAPSHOT_NAME))
		return -EINVAL;
	ret = raftblk_device_snapshot(dev, create ? RAFTBLK_SNAP_OP_CREATE :
				      RAFTBLK_SNAP_OP_DELETE,
				      nla_data(info->attrs[RAFTBLK_ATTR_SNAPSHOT_NAME]),
				      cow ? nla_get_u64(cow) : 0,
				      cow_dev ? (char *)nla_data(cow_dev) : "",
				      &index, &term, err);
	if (ret)
		return ret;
	msg = raftblk_nl_reply_new(info, dev, NLMSG_DEFAULT_SIZE, &hdr);
	if (!msg)
		return 0;	/* the entry is in: only the answer is lost */
	if (nla_put_u64_64bit(msg, RAFTBLK_ATTR_SNAPSHOT_INDEX, index,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, RAFTBLK_ATTR_SNAPSHOT_TERM, term,
			      RAFTBLK_ATTR_PAD)) {
		nlmsg_free(msg);
		return 0;
	}
	return raftblk_nl_reply_send(msg, hdr, info);
}

static int raftblk_nl_snapshot(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_snapshot_op);
}

/* VERIFY_START: the entry's index and term back (a VERIFY nest). */
static int raftblk_nl_verify_start_op(struct raftblk_dev *dev,
				      struct genl_info *info,
				      struct raftblk_err *err)
{
	struct sk_buff *msg;
	u64 index = 0, term = 0;
	struct nlattr *nest;
	void *hdr;
	int ret;

	ret = raftblk_device_verify_start(dev, &index, &term, err);
	if (ret)
		return ret;
	msg = raftblk_nl_reply_new(info, dev, NLMSG_DEFAULT_SIZE, &hdr);
	if (!msg)
		return 0;	/* the entry is in: only the answer is lost */
	nest = nla_nest_start(msg, RAFTBLK_ATTR_VERIFY);
	if (!nest ||
	    nla_put_u64_64bit(msg, RAFTBLK_VERIFY_ATTR_INDEX, index,
			      RAFTBLK_VERIFY_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, RAFTBLK_VERIFY_ATTR_TERM, term,
			      RAFTBLK_VERIFY_ATTR_PAD))
		goto cancel;
	nla_nest_end(msg, nest);
	return raftblk_nl_reply_send(msg, hdr, info);
cancel:
	nlmsg_free(msg);
	return 0;
}

/* VERIFY_GET: the last verify this node took part in. */
static int raftblk_nl_verify_get_op(struct raftblk_dev *dev,
				    struct genl_info *info,
				    struct raftblk_err *err)
{
	struct rb_verify_report *r = kmalloc(sizeof(*r), GFP_KERNEL);
	struct sk_buff *msg = NULL;
	void *hdr;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = raftblk_device_verify_report(dev, r, err);
	if (ret)
		goto out;
	ret = -ENOMEM;
	msg = raftblk_nl_reply_new(info, dev,
				   NLMSG_DEFAULT_SIZE + sizeof(r->nodes), &hdr);
	if (!msg)
		goto out;
	ret = -EMSGSIZE;
	if (raftblk_nl_put_verify(msg, r, true))
		goto out;
	ret = raftblk_nl_reply_send(msg, hdr, info);
	msg = NULL;
out:
	nlmsg_free(msg);
	kfree(r);
	return ret;
}

/* RESYNC_EXTENTS: how many extents go back in VERIFY (DIFFERING). */
static int raftblk_nl_resync_extents_op(struct raftblk_dev *dev,
					struct genl_info *info,
					struct raftblk_err *err)
{
	struct nlattr *ext = info->attrs[RAFTBLK_ATTR_VERIFY_EXTENTS];
	bool all = nla_get_flag(info->attrs[RAFTBLK_ATTR_VERIFY_ALL_DIFFERING]);
	struct sk_buff *msg;
	struct nlattr *nest;
	u32 count = 0;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NODE_ID))
		return -EINVAL;
	if (!!ext == all || (ext && (!nla_len(ext) ||
				     nla_len(ext) % sizeof(u32)))) {
		err->attr = RAFTBLK_ATTR_VERIFY_EXTENTS;
		err->msg = "give either extents (u32 each) or all-differing";
		return -EINVAL;
	}
	ret = raftblk_device_resync_extents(dev,
			nla_get_u32(info->attrs[RAFTBLK_ATTR_NODE_ID]),
			ext ? nla_data(ext) : NULL,
			ext ? nla_len(ext) / sizeof(u32) : 0, &count, err);
	if (ret)
		return ret;
	msg = raftblk_nl_reply_new(info, dev, NLMSG_DEFAULT_SIZE, &hdr);
	if (!msg)
		return 0;	/* asked for: only the answer is lost */
	nest = nla_nest_start(msg, RAFTBLK_ATTR_VERIFY);
	if (!nest || nla_put_u32(msg, RAFTBLK_VERIFY_ATTR_DIFFERING, count))
		goto cancel;
	nla_nest_end(msg, nest);
	return raftblk_nl_reply_send(msg, hdr, info);
cancel:
	nlmsg_free(msg);
	return 0;
}

/* SNAPSHOT_REPORT: this node's snapshots, as raftctl read them. */
static int raftblk_nl_snaprep_set_op(struct raftblk_dev *dev,
				     struct genl_info *info,
				     struct raftblk_err *err)
{
	struct nlattr *a = info->attrs[RAFTBLK_ATTR_SNAPSHOT_REPORT];

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_SNAPSHOT_REPORT))
		return -EINVAL;
	return raftblk_device_snaprep_set(dev, nla_data(a), nla_len(a), err);
}

static int raftblk_nl_put_snapnode(struct sk_buff *msg,
				   const struct raftblk_snaprep_node *d)
{
	struct nlattr *nest = nla_nest_start(msg, RAFTBLK_ATTR_SNAPSHOT_NODE);

	if (!nest ||
	    nla_put_u32(msg, RAFTBLK_SNAPNODE_ATTR_ID, d->id) ||
	    (d->self && nla_put_flag(msg, RAFTBLK_SNAPNODE_ATTR_SELF)) ||
	    nla_put_u64_64bit(msg, RAFTBLK_SNAPNODE_ATTR_AGE_MS, d->age_ms,
			      RAFTBLK_SNAPNODE_ATTR_PAD) ||
	    nla_put_u64_64bit(msg, RAFTBLK_SNAPNODE_ATTR_HEARD_MS,
			      d->heard_ms, RAFTBLK_SNAPNODE_ATTR_PAD) ||
	    nla_put(msg, RAFTBLK_SNAPNODE_ATTR_REPORT, d->len, d->report) ||
	    (d->via && (nla_put_u32(msg, RAFTBLK_SNAPNODE_ATTR_VIA, d->via) ||
			nla_put_u64_64bit(msg, RAFTBLK_SNAPNODE_ATTR_RELAY_MS,
					  d->relay_ms,
					  RAFTBLK_SNAPNODE_ATTR_PAD))))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* SNAPSHOT_NODES: the reports this node holds, its own first. */
static int raftblk_nl_snaprep_get_op(struct raftblk_dev *dev,
				     struct genl_info *info,
				     struct raftblk_err *err)
{
	struct raftblk_snaprep_view *v = kvmalloc(sizeof(*v), GFP_KERNEL);
	struct sk_buff *msg = NULL;
	void *hdr;
	u32 i;
	int ret;

	if (!v)
		return -ENOMEM;
	ret = raftblk_device_snaprep_read(dev, v, err);
	if (ret)
		goto out;
	ret = -ENOMEM;
	msg = raftblk_nl_reply_new(info, dev, NLMSG_DEFAULT_SIZE + v->n *
				   (RAFTBLK_SNAPREP_MAX_LEN + 64), &hdr);
	if (!msg)
		goto out;
	ret = -EMSGSIZE;
	for (i = 0; i < v->n; i++)
		if (raftblk_nl_put_snapnode(msg, &v->nodes[i]))
			goto out;
	ret = raftblk_nl_reply_send(msg, hdr, info);
	msg = NULL;
out:
	nlmsg_free(msg);
	kvfree(v);
	return ret;
}

static int raftblk_nl_snaprep_set(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_snaprep_set_op);
}

static int raftblk_nl_snaprep_get(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_snaprep_get_op);
}

static int raftblk_nl_verify_start(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_verify_start_op);
}

static int raftblk_nl_verify_get(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_verify_get_op);
}

static int raftblk_nl_resync_extents(struct sk_buff *skb,
				     struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_resync_extents_op);
}

static int raftblk_nl_peer_add(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_peer_add_op);
}

static int raftblk_nl_peer_remove(struct sk_buff *skb, struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_peer_remove_op);
}

static int raftblk_nl_leader_transfer(struct sk_buff *skb,
				      struct genl_info *info)
{
	return raftblk_nl_device_op(info, raftblk_nl_leader_transfer_op);
}

/* The attributes DEVICE_SET changes; at least one is needed. */
static const int raftblk_set_attrs[] = {
	RAFTBLK_ATTR_HEARTBEAT_MS, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS,
	RAFTBLK_ATTR_MAX_BATCH, RAFTBLK_ATTR_READ_MODE,
	RAFTBLK_ATTR_RESYNC_RATE,
	RAFTBLK_ATTR_LOG_MEMORY, RAFTBLK_ATTR_SECRET, RAFTBLK_ATTR_SECRET_OP,
	RAFTBLK_ATTR_AUTO_PROMOTE, RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS,
	RAFTBLK_ATTR_SET_DEFAULTS,
};

static u32 raftblk_nl_u32_or_0(const struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int raftblk_nl_device_set_op(struct raftblk_dev *dev,
				    struct genl_info *info,
				    struct raftblk_err *err)
{
	struct nlattr **attrs = info->attrs;
	struct nlattr *mode = attrs[RAFTBLK_ATTR_READ_MODE];
	struct nlattr *rate = attrs[RAFTBLK_ATTR_RESYNC_RATE];
	struct raftblk_node_opts o = {};

	/*
	 * Absent: 0, which keeps the option (none of them takes 0), or
	 * with SET_DEFAULTS puts its default back.
	 */
	o.defaults = nla_get_flag(attrs[RAFTBLK_ATTR_SET_DEFAULTS]);
	o.heartbeat_ms = raftblk_nl_u32_or_0(attrs[RAFTBLK_ATTR_HEARTBEAT_MS]);
	o.election_ms =
		raftblk_nl_u32_or_0(attrs[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS]);
	o.max_batch = raftblk_nl_u32_or_0(attrs[RAFTBLK_ATTR_MAX_BATCH]);
	o.set_read_mode = mode;
	o.read_mode = mode ? nla_get_u32(mode) : 0;
	o.set_resync_rate = rate;
	o.resync_rate = rate ? nla_get_u64(rate) : 0;
	if (attrs[RAFTBLK_ATTR_LOG_MEMORY])
		o.log_memory = nla_get_u64(attrs[RAFTBLK_ATTR_LOG_MEMORY]);
	if (attrs[RAFTBLK_ATTR_SECRET]) {
		/* Length checked by raftblk_nl_device_set(). */
		o.secret = nla_data(attrs[RAFTBLK_ATTR_SECRET]);
		o.secret_len = nla_len(attrs[RAFTBLK_ATTR_SECRET]);
	}
	o.secret_op = raftblk_nl_u32_or_0(attrs[RAFTBLK_ATTR_SECRET_OP]);
	o.set_auto_promote = attrs[RAFTBLK_ATTR_AUTO_PROMOTE];
	o.auto_promote = o.set_auto_promote &&
			 nla_get_u32(attrs[RAFTBLK_ATTR_AUTO_PROMOTE]);
	o.auto_promote_ms =
		raftblk_nl_u32_or_0(attrs[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS]);
	return raftblk_device_set_options(dev, &o, err);
}

static int raftblk_nl_device_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *rate = info->attrs[RAFTBLK_ATTR_RESYNC_RATE];
	bool any = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(raftblk_set_attrs); i++)
		any |= !!info->attrs[raftblk_set_attrs[i]];
	if (info->attrs[RAFTBLK_ATTR_NAME] && !any) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: give at least one option");
		return -EINVAL;
	}
	if (rate && nla_get_u64(rate) &&
	    nla_get_u64(rate) < RAFTBLK_RESYNC_RATE_MIN) {
		NL_SET_ERR_MSG_ATTR(info->extack, rate,
				    "resync rate must be 0 (dynamic) or at least 1 MiB/s");
		return -ERANGE;
	}
	if (info->attrs[RAFTBLK_ATTR_SECRET] && raftblk_nl_secret_len(info) < 0)
		return -EINVAL;
	if (info->attrs[RAFTBLK_ATTR_SECRET] &&
	    info->attrs[RAFTBLK_ATTR_SECRET_OP] &&
	    nla_get_u32(info->attrs[RAFTBLK_ATTR_SECRET_OP]) ==
	    RAFTBLK_SECRET_OP_NEXT_NONE) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[RAFTBLK_ATTR_SECRET_OP],
				    "a next secret and no secret: one at a time");
		return -EINVAL;
	}
	return raftblk_nl_device_op(info, raftblk_nl_device_set_op);
}

/* One RAFTBLK_CMD_DEVICE_GET message, on a reference to @dev. */
static int raftblk_nl_fill_device(struct sk_buff *skb, struct raftblk_dev *dev,
				  u32 portid, u32 seq, int flags,
				  struct netlink_callback *cb)
{
	struct raftblk_node_status *st;
	struct raftblk_dev_info di;
	u64 ev_id, ev_seq;
	void *hdr;
	int ret;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	hdr = genlmsg_put(skb, portid, seq, &raftblk_genl_family, flags,
			  RAFTBLK_CMD_DEVICE_GET);
	if (!hdr) {
		kfree(st);
		return -EMSGSIZE;
	}
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	/*
	 * The event position first, then the state: every change after
	 * the position's event is in the state or in a later event.
	 */
	raftblk_events_position(dev, &ev_id, &ev_seq);
	raftblk_device_status(dev, st);
	raftblk_device_info(dev, &di);
	ret = raftblk_nl_put_device(skb, &di, ev_id, ev_seq, st);
	kfree(st);
	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int raftblk_nl_device_get_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct nlattr *name = info->attrs[RAFTBLK_ATTR_NAME];
	struct raftblk_dev *dev;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NAME))
		return -EINVAL;

	/* 16 peers, copies, counters, io-stats and phases: over a page. */
	msg = genlmsg_new(RAFTBLK_NL_DEVICE_MSG_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	dev = raftblk_device_get(genl_info_net(info), nla_data(name));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "device does not exist");
		ret = -ENODEV;
	} else {
		ret = raftblk_nl_fill_device(msg, dev, info->snd_portid,
					     info->snd_seq, 0, NULL);
		raftblk_device_put(dev);
	}

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Every message of the dump must fit one device: ask for buffers that big
 * from the first one (netlink otherwise starts with a page, unless the
 * reader's earlier receive buffers were larger).
 */
static int raftblk_nl_device_get_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = RAFTBLK_NL_DEVICE_MSG_SIZE;
	return 0;
}

/*
 * Every device of the caller's namespace (only the one named, if NAME is
 * given). cb->args[0] counts the devices already sent. Each device is
 * filled on a reference, without the registry lock.
 */
static int raftblk_nl_device_get_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *name = info->attrs[RAFTBLK_ATTR_NAME];
	struct net *net = sock_net(skb->sk);
	struct raftblk_dev *dev = NULL;
	unsigned int gen;
	bool first = true;
	long idx = 0;
	int ret = 0;

	while ((dev = raftblk_device_next(net, dev, &gen))) {
		if (first) {
			cb->seq = gen;
			first = false;
		}
		if (name && strcmp(dev->name, nla_data(name)))
			continue;
		if (idx++ < cb->args[0])
			continue;
		ret = raftblk_nl_fill_device(skb, dev,
					     NETLINK_CB(cb->skb).portid,
					     cb->nlh->nlmsg_seq, NLM_F_MULTI,
					     cb);
		if (ret) {
			idx--;
			raftblk_device_put(dev);
			break;
		}
	}
	cb->args[0] = idx;
	/* Full: the rest comes in the next message (unless none fit). */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ?: skb->len;
}

static const struct genl_ops raftblk_genl_ops[] = {
	{
		.cmd = RAFTBLK_CMD_DEVICE_CREATE,
		.doit = raftblk_nl_device_create,
		.policy = raftblk_create_policy,
		.maxattr = ARRAY_SIZE(raftblk_create_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_DEVICE_DESTROY,
		.doit = raftblk_nl_device_destroy,
		.policy = raftblk_name_policy,
		.maxattr = ARRAY_SIZE(raftblk_name_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_DEVICE_GET,
		.doit = raftblk_nl_device_get_doit,
		.start = raftblk_nl_device_get_start,
		.dumpit = raftblk_nl_device_get_dumpit,
		.policy = raftblk_name_policy,
		.maxattr = ARRAY_SIZE(raftblk_name_policy) - 1,
	},
	{
		.cmd = RAFTBLK_CMD_PEER_ADD,
		.doit = raftblk_nl_peer_add,
		.policy = raftblk_peer_add_policy,
		.maxattr = ARRAY_SIZE(raftblk_peer_add_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_PEER_REMOVE,
		.doit = raftblk_nl_peer_remove,
		.policy = raftblk_peer_remove_policy,
		.maxattr = ARRAY_SIZE(raftblk_peer_remove_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_LEADER_TRANSFER,
		.doit = raftblk_nl_leader_transfer,
		.policy = raftblk_leader_transfer_policy,
		.maxattr = ARRAY_SIZE(raftblk_leader_transfer_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_DEVICE_SET,
		.doit = raftblk_nl_device_set,
		.policy = raftblk_set_policy,
		.maxattr = ARRAY_SIZE(raftblk_set_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_SNAPSHOT_CREATE,
		.doit = raftblk_nl_snapshot,
		.policy = raftblk_snapshot_policy,
		.maxattr = ARRAY_SIZE(raftblk_snapshot_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_SNAPSHOT_DELETE,
		.doit = raftblk_nl_snapshot,
		.policy = raftblk_snapshot_delete_policy,
		.maxattr = ARRAY_SIZE(raftblk_snapshot_delete_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_VERIFY_START,
		.doit = raftblk_nl_verify_start,
		.policy = raftblk_name_policy,
		.maxattr = ARRAY_SIZE(raftblk_name_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_VERIFY_GET,
		.doit = raftblk_nl_verify_get,
		.policy = raftblk_name_policy,
		.maxattr = ARRAY_SIZE(raftblk_name_policy) - 1,
	},
	{
		.cmd = RAFTBLK_CMD_RESYNC_EXTENTS,
		.doit = raftblk_nl_resync_extents,
		.policy = raftblk_resync_extents_policy,
		.maxattr = ARRAY_SIZE(raftblk_resync_extents_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_SNAPSHOT_REPORT,
		.doit = raftblk_nl_snaprep_set,
		.policy = raftblk_snaprep_policy,
		.maxattr = ARRAY_SIZE(raftblk_snaprep_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RAFTBLK_CMD_SNAPSHOT_NODES,
		.doit = raftblk_nl_snaprep_get,
		.policy = raftblk_name_policy,
		.maxattr = ARRAY_SIZE(raftblk_name_policy) - 1,
	},
};

/*
 * Events go to every listener of the device's namespace; joining needs no
 * privilege (what they carry, DEVICE_GET shows to anyone).
 */
static const struct genl_multicast_group raftblk_mcgrps[] = {
	[RAFTBLK_MCGRP_EVENTS] = { .name = RAFTBLK_MCGRP_EVENTS_NAME },
};

struct genl_family raftblk_genl_family __ro_after_init = {
	.name = RAFTBLK_GENL_NAME,
	.version = RAFTBLK_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = raftblk_genl_ops,
	.n_ops = ARRAY_SIZE(raftblk_genl_ops),
	.mcgrps = raftblk_mcgrps,
	.n_mcgrps = ARRAY_SIZE(raftblk_mcgrps),
	.resv_start_op = RAFTBLK_CMD_DEVICE_CREATE,
	.netnsok = true,
	/*
	 * No genl_mutex around the operations: a command waiting for one
	 * device (its disk, its node) must not hold up the others. They
	 * serialize where they must (registry lock, device references,
	 * the node's lock).
	 */
	.parallel_ops = true,
};

int __init raftblk_netlink_init(void)
{
	return genl_register_family(&raftblk_genl_family);
}

void raftblk_netlink_exit(void)
{
	raftblk_events_disable();
	genl_unregister_family(&raftblk_genl_family);
}
