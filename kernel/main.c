// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: a replicated block device. Module entry and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include "raftblk.h"
#include "payload.h"

static int __init raftblk_init(void)
{
	int ret;

	ret = raftblk_payload_pool_init();
	if (ret)
		return ret;
	ret = raftblk_devices_init();
	if (ret) {
		raftblk_payload_pool_exit();
		return ret;
	}
	ret = raftblk_netlink_init();
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		raftblk_devices_exit();
		raftblk_payload_pool_exit();
		return ret;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit raftblk_exit(void)
{
	/* No command can run after this, so the registry stays put. */
	raftblk_netlink_exit();
	raftblk_devices_destroy_all();
	raftblk_devices_exit();
	/* every payload was put with its device */
	raftblk_payload_pool_exit();
	pr_info("unloaded\n");
}

module_init(raftblk_init);
module_exit(raftblk_exit);

MODULE_DESCRIPTION("raftblk: block device replicated with Raft");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1");
MODULE_ALIAS_GENL_FAMILY(RAFTBLK_GENL_NAME);
