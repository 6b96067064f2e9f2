// SPDX-License-Identifier: GPL-2.0
/*
 * The loaded raftblk module registers its generic netlink family.
 *
 * Resolves the family with a raw CTRL_CMD_GETFAMILY request to the generic
 * netlink controller (no libnl), then checks its version and that the
 * device commands of include/uapi/linux/raftblk.h are among its
 * operations. A lookup of a family that does not exist must fail with
 * ENOENT, so the resolver itself is known to be able to fail.
 *
 * Needs raftblk.ko loaded (the VM "selftests" scenario loads it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/raftblk.h>

#include "kselftest_harness.h"
#include "st_timeout.h"

#define NL_BUF_SIZE 16384

/* What the controller told about one family. */
struct genl_family_info {
	uint16_t id;
	uint32_t version;
	bool has_cmd[256];
};

static struct nlattr *nla_next_attr(struct nlattr *a, int *rem)
{
	int len = NLA_ALIGN(a->nla_len);

	*rem -= len;
	return (struct nlattr *)((char *)a + len);
}

static bool nla_fits(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

static void *nla_payload(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

/* CTRL_ATTR_OPS: nest of nests, each with CTRL_ATTR_OP_ID. */
static void parse_ops(struct nlattr *ops, struct genl_family_info *info)
{
	int rem = ops->nla_len - NLA_HDRLEN;
	struct nlattr *op = nla_payload(ops);

	for (; nla_fits(op, rem); op = nla_next_attr(op, &rem)) {
		int orem = op->nla_len - NLA_HDRLEN;
		struct nlattr *a = nla_payload(op);

		for (; nla_fits(a, orem); a = nla_next_attr(a, &orem)) {
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_OP_ID &&
			    a->nla_len >= NLA_HDRLEN + sizeof(uint32_t)) {
				uint32_t cmd = *(uint32_t *)nla_payload(a);

				if (cmd < 256)
					info->has_cmd[cmd] = true;
			}
		}
	}
}

/*
 * Ask the controller for family @name. Returns 0 and fills @info, or a
 * negative errno (the controller's, e.g. -ENOENT, or the socket's).
 */
static int genl_resolve(const char *name, struct genl_family_info *info)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	static char buf[NL_BUF_SIZE];
	size_t namelen = strlen(name) + 1;
	struct nlattr *a;
	struct nlmsghdr *h;
	int fd, rem, ret;
	ssize_t len;

	memset(info, 0, sizeof(*info));
	if (NLA_HDRLEN + NLA_ALIGN(namelen) > sizeof(req.buf))
		return -ENAMETOOLONG;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto out;
	}

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = 1;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a = (struct nlattr *)req.buf;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + namelen;
	memcpy(nla_payload(a), name, namelen);
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);

	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0) {
		ret = -errno;
		goto out;
	}

	ret = -EBADMSG;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_seq != 1)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				goto out;
			ret = e->error ? e->error : -EBADMSG;
			goto out;
		}
		if (h->nlmsg_type != GENL_ID_CTRL ||
		    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			continue;
		rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		for (; nla_fits(a, rem); a = nla_next_attr(a, &rem)) {
			switch (a->nla_type & NLA_TYPE_MASK) {
			case CTRL_ATTR_FAMILY_ID:
				if (a->nla_len >= NLA_HDRLEN + sizeof(uint16_t))
					info->id = *(uint16_t *)nla_payload(a);
				break;
			case CTRL_ATTR_VERSION:
				if (a->nla_len >= NLA_HDRLEN + sizeof(uint32_t))
					info->version = *(uint32_t *)nla_payload(a);
				break;
			case CTRL_ATTR_OPS:
				parse_ops(a, info);
				break;
			}
		}
		ret = info->id ? 0 : -EBADMSG;
		goto out;
	}
out:
	close(fd);
	return ret;
}

TEST(family_registered)
{
	struct genl_family_info info;

	ASSERT_EQ(0, genl_resolve(RAFTBLK_GENL_NAME, &info))
		TH_LOG("generic netlink family \"%s\" not found: is raftblk.ko loaded?",
		       RAFTBLK_GENL_NAME);
	EXPECT_GE(info.id, GENL_MIN_ID);
}

TEST(family_version_matches_uapi)
{
	struct genl_family_info info;

	ASSERT_EQ(0, genl_resolve(RAFTBLK_GENL_NAME, &info));
	EXPECT_EQ((uint32_t)RAFTBLK_GENL_VERSION, info.version);
}

TEST(family_has_device_commands)
{
	struct genl_family_info info;

	ASSERT_EQ(0, genl_resolve(RAFTBLK_GENL_NAME, &info));
	EXPECT_TRUE(info.has_cmd[RAFTBLK_CMD_DEVICE_CREATE]);
	EXPECT_TRUE(info.has_cmd[RAFTBLK_CMD_DEVICE_DESTROY]);
	EXPECT_TRUE(info.has_cmd[RAFTBLK_CMD_DEVICE_GET]);
	EXPECT_FALSE(info.has_cmd[RAFTBLK_CMD_UNSPEC]);
}

TEST(unknown_family_is_enoent)
{
	struct genl_family_info info;

	EXPECT_EQ(-ENOENT, genl_resolve("raftblk_none", &info));
}

TEST(module_in_sysfs)
{
	EXPECT_EQ(0, access("/sys/module/raftblk", F_OK))
		TH_LOG("/sys/module/raftblk missing: %s", strerror(errno));
}

RAFTBLK_HARNESS_MAIN
