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
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include "raftblk.h"

static struct genl_family raftblk_genl_family;

static const struct nla_policy raftblk_create_policy[RAFTBLK_ATTR_DISK_PATH + 1] = {
	[RAFTBLK_ATTR_NAME] = { .type = NLA_NUL_STRING,
				.len = RAFTBLK_NAME_MAXLEN },
	[RAFTBLK_ATTR_DISK_PATH] = { .type = NLA_NUL_STRING,
				     .len = RAFTBLK_PATH_MAXLEN },
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

static int raftblk_nl_device_create(struct sk_buff *skb,
				    struct genl_info *info)
{
	struct raftblk_err err = {};
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, RAFTBLK_ATTR_DISK_PATH))
		return -EINVAL;

	ret = raftblk_device_create(genl_info_net(info),
				    nla_data(info->attrs[RAFTBLK_ATTR_NAME]),
				    nla_data(info->attrs[RAFTBLK_ATTR_DISK_PATH]),
				    &err);
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

/* Replication state: only for a device whose io_ops report one. */
static int raftblk_nl_put_repl(struct sk_buff *skb,
			       const struct raftblk_repl_info *info)
{
	if (nla_put_u64_64bit(skb, RAFTBLK_ATTR_TERM, info->term,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LEADER_ID, info->leader_id) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_COMMIT_INDEX,
			      info->commit_index, RAFTBLK_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_APPLIED_INDEX,
			      info->applied_index, RAFTBLK_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

/* One RAFTBLK_CMD_DEVICE_GET message. Under raftblk_devices_lock. */
static int raftblk_nl_fill_device(struct sk_buff *skb, struct raftblk_dev *dev,
				  u32 portid, u32 seq, int flags,
				  struct netlink_callback *cb)
{
	struct raftblk_repl_info info;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &raftblk_genl_family, flags,
			  RAFTBLK_CMD_DEVICE_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	raftblk_device_info(dev, &info);
	if (nla_put_string(skb, RAFTBLK_ATTR_NAME, dev->name) ||
	    nla_put_string(skb, RAFTBLK_ATTR_DISK_PATH, dev->disk_path) ||
	    nla_put_u64_64bit(skb, RAFTBLK_ATTR_CAPACITY,
			      (u64)get_capacity(dev->disk) << SECTOR_SHIFT,
			      RAFTBLK_ATTR_PAD) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_ROLE, info.role) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_OPEN_COUNT,
			raftblk_blkdev_openers(dev)) ||
	    nla_put_u32(skb, RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE,
			queue_logical_block_size(dev->disk->queue)) ||
	    (dev->io_ops->get_info && raftblk_nl_put_repl(skb, &info))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
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

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&raftblk_devices_lock);
	dev = raftblk_device_find(genl_info_net(info), nla_data(name));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "device does not exist");
		ret = -ENODEV;
	} else {
		ret = raftblk_nl_fill_device(msg, dev, info->snd_portid,
					     info->snd_seq, 0, NULL);
	}
	mutex_unlock(&raftblk_devices_lock);

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Every device of the caller's namespace (only the one named, if NAME is
 * given). cb->args[0] counts the devices already sent.
 */
static int raftblk_nl_device_get_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *name = info->attrs[RAFTBLK_ATTR_NAME];
	struct net *net = sock_net(skb->sk);
	struct raftblk_dev *dev;
	long idx = 0;

	mutex_lock(&raftblk_devices_lock);
	cb->seq = raftblk_devices_gen;
	list_for_each_entry(dev, &raftblk_devices, list) {
		if (!net_eq(dev->net, net))
			continue;
		if (name && strcmp(dev->name, nla_data(name)))
			continue;
		if (idx++ < cb->args[0])
			continue;
		if (raftblk_nl_fill_device(skb, dev,
					   NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI,
					   cb)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&raftblk_devices_lock);
	cb->args[0] = idx;
	return skb->len;
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
		.dumpit = raftblk_nl_device_get_dumpit,
		.policy = raftblk_name_policy,
		.maxattr = ARRAY_SIZE(raftblk_name_policy) - 1,
	},
};

static struct genl_family raftblk_genl_family __ro_after_init = {
	.name = RAFTBLK_GENL_NAME,
	.version = RAFTBLK_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = raftblk_genl_ops,
	.n_ops = ARRAY_SIZE(raftblk_genl_ops),
	.resv_start_op = RAFTBLK_CMD_DEVICE_CREATE,
	.netnsok = true,
};

int __init raftblk_netlink_init(void)
{
	return genl_register_family(&raftblk_genl_family);
}

void raftblk_netlink_exit(void)
{
	genl_unregister_family(&raftblk_genl_family);
}
