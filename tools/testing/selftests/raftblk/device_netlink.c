// SPDX-License-Identifier: GPL-2.0
/*
 * The device commands of the raftblk generic netlink family, driven with
 * raw netlink messages (no libnl, no raftctl), so that malformed requests
 * raftctl would never send can be made: every error is checked for its
 * errno, its extended-ack message and the attribute it blames.
 *
 * Needs raftblk.ko loaded and two free disks, RAFTBLK_TEST_DISK and
 * RAFTBLK_TEST_DISK2 (default /dev/vda and /dev/vdb: the VM "selftests"
 * scenario). Devices are named raftblk50 and up; every test destroys what
 * it made.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/fs.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/raftblk.h>

#include "kselftest_harness.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define BUF_SIZE 32768
#define MAX_DEVS 64

/* ---- a minimal generic netlink client ---- */

struct rb_sock {
	int fd;
	uint16_t family;
	uint32_t seq;
};

struct rb_msg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[2048];
} __attribute__((aligned(NLMSG_ALIGNTO)));

/* What the kernel answered. */
struct rb_ack {
	int error;		/* 0 or a negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG or "" */
	int offs;		/* NLMSGERR_ATTR_OFFS or -1 */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE or -1 */
	int64_t max_len;	/* NL_POLICY_TYPE_ATTR_MAX_LENGTH or -1 */
	int flags;		/* of the NLMSG_ERROR / DONE message */
};

/* One RAFTBLK_CMD_DEVICE_GET reply. */
struct rb_dev {
	char name[64];
	char disk[300];
	uint64_t capacity;
	uint32_t role, open_count, block_size;
	int nattrs;
	/* Replicated devices: */
	uint32_t node_id, heartbeat_ms, election_ms;
	uint32_t listen_ip4;	/* network order */
	uint16_t listen_port;	/* network order */
	bool has_counters;
	int npeers;
	uint32_t peer_id, peer_role;	/* of the first PEER */
};

static const char *disk1(void)
{
	const char *d = getenv("RAFTBLK_TEST_DISK");

	return d ? d : "/dev/vda";
}

static const char *disk2(void)
{
	const char *d = getenv("RAFTBLK_TEST_DISK2");

	return d ? d : "/dev/vdb";
}

static struct nlattr *attr_next(struct nlattr *a, int *rem)
{
	int len = NLA_ALIGN(a->nla_len);

	*rem -= len;
	return (struct nlattr *)((char *)a + len);
}

static bool attr_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

static void *attr_data(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static void msg_init(struct rb_msg *m, struct rb_sock *s, uint8_t cmd,
		     uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->n.nlmsg_type = s->family;
	m->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->n.nlmsg_seq = ++s->seq;
	m->g.cmd = cmd;
	m->g.version = RAFTBLK_GENL_VERSION;
}

/* Append an attribute; returns its offset in the message. */
static int msg_put(struct rb_msg *m, uint16_t type, const void *data,
		   size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m +
					     NLMSG_ALIGN(m->n.nlmsg_len));
	int off = (char *)a - (char *)m;

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(*m))
		abort();
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(attr_data(a), data, len);
	memset((char *)attr_data(a) + len, 0, NLA_ALIGN(len) - len);
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return off;
}

static int msg_put_str(struct rb_msg *m, uint16_t type, const char *s)
{
	return msg_put(m, type, s, strlen(s) + 1);
}

static int msg_put_u32(struct rb_msg *m, uint16_t type, uint32_t v)
{
	return msg_put(m, type, &v, sizeof(v));
}

/* Start a nest; its length is fixed by msg_nest_end(m, off). */
static int msg_nest_start(struct rb_msg *m, uint16_t type)
{
	return msg_put(m, type | NLA_F_NESTED, NULL, 0);
}

static void msg_nest_end(struct rb_msg *m, int off)
{
	struct nlattr *a = (struct nlattr *)((char *)m + off);

	a->nla_len = m->n.nlmsg_len - off;
}

/* An address nest: IPv4 a.b.c.d (host order) and port, either optional. */
static int msg_put_addr4(struct rb_msg *m, uint16_t type, uint32_t ip,
			 uint16_t port, bool with_ip, bool with_port)
{
	uint32_t ip_be = htonl(ip);
	uint16_t port_be = htons(port);
	int off = msg_nest_start(m, type);

	if (with_ip)
		msg_put(m, RAFTBLK_ADDR_ATTR_IPV4, &ip_be, sizeof(ip_be));
	if (with_port)
		msg_put(m, RAFTBLK_ADDR_ATTR_PORT, &port_be, sizeof(port_be));
	msg_nest_end(m, off);
	return off;
}

static int sock_send_recv_family(int fd, const char *name)
{
	struct rb_msg m;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[BUF_SIZE];
	struct nlmsghdr *h;
	struct nlattr *a;
	ssize_t len;
	int rem;

	memset(&m, 0, sizeof(m));
	m.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m.n.nlmsg_type = GENL_ID_CTRL;
	m.n.nlmsg_flags = NLM_F_REQUEST;
	m.n.nlmsg_seq = 1;
	m.g.cmd = CTRL_CMD_GETFAMILY;
	m.g.version = 1;
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, name);
	if (sendto(fd, &m, m.n.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0)
		return -errno;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : -EBADMSG;
		}
		rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
		for (; attr_ok(a, rem); a = attr_next(a, &rem))
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)attr_data(a);
	}
	return -EBADMSG;
}

/* Open a socket with extended acks and resolve the family: 0 or -errno. */
static int rb_open(struct rb_sock *s)
{
	struct timeval tv = { .tv_sec = 30 };
	int one = 1;
	int ret;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		ret = -errno;
		close(s->fd);
		return ret;
	}
	ret = sock_send_recv_family(s->fd, RAFTBLK_GENL_NAME);
	if (ret < 0) {
		close(s->fd);
		return ret;
	}
	s->family = ret;
	s->seq = 100;
	return 0;
}

static void parse_ext_ack(struct nlmsghdr *h, struct nlmsgerr *e,
			  struct rb_ack *ack)
{
	size_t ack_len = sizeof(*e);
	struct nlattr *a;
	int rem;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		ack_len += e->msg.nlmsg_len - NLMSG_HDRLEN;
	rem = (int)h->nlmsg_len - NLMSG_HDRLEN - (int)ack_len;
	a = (struct nlattr *)((char *)e + ack_len);
	for (; attr_ok(a, rem); a = attr_next(a, &rem)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ack->msg, sizeof(ack->msg), "%.*s",
				 attr_len(a), (char *)attr_data(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			ack->offs = *(uint32_t *)attr_data(a);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			ack->miss_type = *(uint32_t *)attr_data(a);
			break;
		case NLMSGERR_ATTR_POLICY: {
			int prem = attr_len(a);
			struct nlattr *p = attr_data(a);

			for (; attr_ok(p, prem); p = attr_next(p, &prem))
				if ((p->nla_type & NLA_TYPE_MASK) ==
				    NL_POLICY_TYPE_ATTR_MAX_LENGTH)
					ack->max_len = *(uint32_t *)attr_data(p);
			break;
		}
		}
	}
}

static void parse_dev(struct nlmsghdr *h, struct rb_dev *d)
{
	int rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
					     GENL_HDRLEN);

	memset(d, 0, sizeof(*d));
	for (; attr_ok(a, rem); a = attr_next(a, &rem)) {
		d->nattrs++;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case RAFTBLK_ATTR_NAME:
			snprintf(d->name, sizeof(d->name), "%.*s",
				 attr_len(a), (char *)attr_data(a));
			break;
		case RAFTBLK_ATTR_DISK_PATH:
			snprintf(d->disk, sizeof(d->disk), "%.*s",
				 attr_len(a), (char *)attr_data(a));
			break;
		case RAFTBLK_ATTR_CAPACITY:
			memcpy(&d->capacity, attr_data(a), sizeof(d->capacity));
			break;
		case RAFTBLK_ATTR_ROLE:
			d->role = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_OPEN_COUNT:
			d->open_count = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE:
			d->block_size = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_NODE_ID:
			d->node_id = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_HEARTBEAT_MS:
			d->heartbeat_ms = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_ELECTION_TIMEOUT_MS:
			d->election_ms = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_COUNTERS:
			d->has_counters = true;
			break;
		case RAFTBLK_ATTR_LISTEN: {
			int nrem = attr_len(a);
			struct nlattr *n = attr_data(a);

			for (; attr_ok(n, nrem); n = attr_next(n, &nrem)) {
				if (n->nla_type == RAFTBLK_ADDR_ATTR_IPV4)
					memcpy(&d->listen_ip4, attr_data(n), 4);
				if (n->nla_type == RAFTBLK_ADDR_ATTR_PORT)
					memcpy(&d->listen_port, attr_data(n), 2);
			}
			break;
		}
		case RAFTBLK_ATTR_PEER: {
			int nrem = attr_len(a);
			struct nlattr *n = attr_data(a);

			if (d->npeers++)
				break;
			for (; attr_ok(n, nrem); n = attr_next(n, &nrem)) {
				if (n->nla_type == RAFTBLK_PEER_ATTR_ID)
					d->peer_id = *(uint32_t *)attr_data(n);
				if (n->nla_type == RAFTBLK_PEER_ATTR_ROLE)
					d->peer_role = *(uint32_t *)attr_data(n);
			}
			break;
		}
		}
	}
}

/*
 * Send @m and read until its ack or the end of its dump. Device replies go
 * to @devs (up to MAX_DEVS; *ndevs counts them). Returns ack->error.
 */
static int rb_transact(struct rb_sock *s, struct rb_msg *m, struct rb_ack *ack,
		       struct rb_dev *devs, int *ndevs)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static __thread char buf[BUF_SIZE];
	struct nlmsghdr *h;
	ssize_t len;

	memset(ack, 0, sizeof(*ack));
	ack->offs = -1;
	ack->miss_type = -1;
	ack->max_len = -1;
	if (ndevs)
		*ndevs = 0;
	if (sendto(s->fd, m, m->n.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return ack->error = -errno;
	for (;;) {
		len = recv(s->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return ack->error = -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != m->n.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				ack->error = e->error;
				ack->flags = h->nlmsg_flags;
				parse_ext_ack(h, e, ack);
				return ack->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err;

				memcpy(&err, NLMSG_DATA(h), sizeof(err));
				ack->error = err;
				ack->flags = h->nlmsg_flags;
				return ack->error;
			}
			if (h->nlmsg_type == s->family && devs && ndevs &&
			    *ndevs < MAX_DEVS)
				parse_dev(h, &devs[(*ndevs)++]);
		}
	}
}

static int rb_create(struct rb_sock *s, const char *name, const char *disk,
		     struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static int rb_destroy(struct rb_sock *s, const char *name, struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static int rb_get(struct rb_sock *s, const char *name, struct rb_dev *d,
		  struct rb_ack *ack)
{
	struct rb_msg m;
	int n, ret;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_GET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	ret = rb_transact(s, &m, ack, d, &n);
	if (!ret && n != 1)
		return -EBADMSG;
	return ret;
}

/* Dump; *n devices into devs. */
static int rb_dump(struct rb_sock *s, const char *name, struct rb_dev *devs,
		   int *n, struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_GET, NLM_F_DUMP);
	if (name)
		msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	return rb_transact(s, &m, ack, devs, n);
}

static bool dump_has(struct rb_sock *s, const char *name)
{
	static struct rb_dev devs[MAX_DEVS];
	struct rb_ack ack;
	int i, n;

	if (rb_dump(s, NULL, devs, &n, &ack))
		return false;
	for (i = 0; i < n; i++)
		if (!strcmp(devs[i].name, name))
			return true;
	return false;
}

static uint64_t disk_bytes(const char *path)
{
	uint64_t sz = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKGETSIZE64, &sz))
		sz = 0;
	close(fd);
	return sz;
}

/* Nobody holds @path: it can be opened exclusively. */
static bool disk_free(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* ---- tests ---- */

FIXTURE(nl) {
	struct rb_sock s;
};

FIXTURE_SETUP(nl)
{
	int ret = rb_open(&self->s);

	ASSERT_EQ(0, ret)
		TH_LOG("cannot reach the raftblk family (%s): is raftblk.ko loaded?",
		       strerror(-ret));
}

FIXTURE_TEARDOWN(nl)
{
	static const char *const names[] = {
		"raftblk50", "raftblk51", "raftblk52", "raftblk53",
		"raftblk54", "raftblk55", "raftblk56", "raftblk57",
	};
	struct rb_ack ack;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		rb_destroy(&self->s, names[i], &ack);
	close(self->s.fd);
}

TEST_F(nl, create_get_destroy)
{
	struct rb_dev d;
	struct rb_ack ack;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack))
		TH_LOG("create: %s", ack.msg);
	EXPECT_EQ(0, access("/dev/raftblk50", F_OK));
	EXPECT_FALSE(disk_free(disk1()));

	ASSERT_EQ(0, rb_get(&self->s, "raftblk50", &d, &ack));
	EXPECT_STREQ("raftblk50", d.name);
	EXPECT_STREQ(disk1(), d.disk);
	EXPECT_EQ(disk_bytes(disk1()), d.capacity);
	EXPECT_EQ(disk_bytes("/dev/raftblk50"), d.capacity);
	EXPECT_EQ(RAFTBLK_ROLE_STANDALONE, d.role);
	EXPECT_EQ(0, d.open_count);
	EXPECT_EQ(512, d.block_size);
	EXPECT_EQ(6, d.nattrs);

	ASSERT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));
	EXPECT_NE(0, access("/dev/raftblk50", F_OK));
	EXPECT_TRUE(disk_free(disk1()));
	EXPECT_EQ(-ENODEV, rb_get(&self->s, "raftblk50", &d, &ack));
	EXPECT_STREQ("device does not exist", ack.msg);
}

TEST_F(nl, dump_lists_every_device_and_filters_by_name)
{
	static struct rb_dev devs[MAX_DEVS];
	struct rb_ack ack;
	int n, i, seen = 0;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	ASSERT_EQ(0, rb_create(&self->s, "raftblk51", disk2(), &ack))
		TH_LOG("create on %s: %s", disk2(), ack.msg);
	ASSERT_EQ(0, rb_dump(&self->s, NULL, devs, &n, &ack));
	for (i = 0; i < n; i++)
		if (!strcmp(devs[i].name, "raftblk50") ||
		    !strcmp(devs[i].name, "raftblk51"))
			seen++;
	EXPECT_EQ(2, seen);

	ASSERT_EQ(0, rb_dump(&self->s, "raftblk51", devs, &n, &ack));
	ASSERT_EQ(1, n);
	EXPECT_STREQ("raftblk51", devs[0].name);
	EXPECT_STREQ(disk2(), devs[0].disk);
	ASSERT_EQ(0, rb_dump(&self->s, "raftblk59", devs, &n, &ack));
	EXPECT_EQ(0, n);
}

TEST_F(nl, missing_attributes_are_named)
{
	struct rb_msg m;
	struct rb_ack ack;

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_NAME, ack.miss_type);

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_DISK_PATH, ack.miss_type);

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_NAME, ack.miss_type);

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_GET, 0);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_NAME, ack.miss_type);
	EXPECT_FALSE(dump_has(&self->s, "raftblk50"));
}

TEST_F(nl, attributes_an_operation_does_not_take_are_rejected)
{
	uint64_t cap = 1 << 20;
	uint32_t id = 1;
	struct rb_msg m;
	struct rb_ack ack;
	int off;

	/* A reply attribute create does not take. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	off = msg_put(&m, RAFTBLK_ATTR_CAPACITY, &cap, sizeof(cap));
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/* A reply-only attribute, above create's highest one. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	off = msg_put(&m, RAFTBLK_ATTR_COUNTERS, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/* Below it, but not in its policy (strict: not ignored). */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	off = msg_put(&m, RAFTBLK_ATTR_PAD, NULL, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/* destroy takes only a name. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	off = msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	EXPECT_FALSE(dump_has(&self->s, "raftblk50"));
	EXPECT_TRUE(disk_free(disk1()));
}

TEST_F(nl, malformed_names)
{
	char long_name[64];
	struct rb_msg m;
	struct rb_ack ack;
	int off;

	/* Not NUL-terminated. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	off = msg_put(&m, RAFTBLK_ATTR_NAME, "raftblk50", 9);
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/* 32 characters: one too many, the policy says 31. */
	snprintf(long_name, sizeof(long_name), "raftblk%025d", 50);
	ASSERT_EQ(32, strlen(long_name));
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	off = msg_put_str(&m, RAFTBLK_ATTR_NAME, long_name);
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(RAFTBLK_NAME_MAXLEN, ack.max_len);

	/* The same for get and destroy. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	off = msg_put_str(&m, RAFTBLK_ATTR_NAME, long_name);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/* Empty, and not raftblk<digits>. */
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "", disk1(), &ack));
	EXPECT_STREQ("device name must be raftblk followed by digits", ack.msg);
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "raftblk", disk1(), &ack));
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "raftblk5x", disk1(), &ack));
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "vda", disk1(), &ack));
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "raftblk/5", disk1(), &ack));
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "../raftblk5", disk1(), &ack));
	EXPECT_TRUE(disk_free(disk1()));
}

TEST_F(nl, max_length_name_works)
{
	char name[64];
	char path[80];
	struct rb_dev d;
	struct rb_ack ack;

	snprintf(name, sizeof(name), "raftblk%024d", 50);
	ASSERT_EQ(RAFTBLK_NAME_MAXLEN, strlen(name));
	ASSERT_EQ(0, rb_create(&self->s, name, disk1(), &ack))
		TH_LOG("create: %s", ack.msg);
	snprintf(path, sizeof(path), "/dev/%s", name);
	EXPECT_EQ(0, access(path, F_OK));
	EXPECT_EQ(0, rb_get(&self->s, name, &d, &ack));
	EXPECT_STREQ(name, d.name);
	EXPECT_EQ(0, rb_destroy(&self->s, name, &ack));
}

TEST_F(nl, bad_disks)
{
	struct rb_msg m;
	struct rb_ack ack;
	char long_path[300];
	int off;

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	off = msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, "/dev/raftblk-no-such-disk");
	EXPECT_EQ(-ENOENT, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_STREQ("disk not found", ack.msg);
	EXPECT_EQ(off, ack.offs);

	EXPECT_EQ(-ENOTBLK, rb_create(&self->s, "raftblk50", "/dev/null", &ack));
	EXPECT_STREQ("disk is not a block device", ack.msg);
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "raftblk50", "dev/vda", &ack));
	EXPECT_STREQ("disk path must be absolute", ack.msg);
	EXPECT_EQ(-EINVAL, rb_create(&self->s, "raftblk50", "", &ack));

	memset(long_path, 'a', sizeof(long_path));
	long_path[0] = '/';
	long_path[RAFTBLK_PATH_MAXLEN + 1] = '\0';
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	off = msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, long_path);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(RAFTBLK_PATH_MAXLEN, ack.max_len);

	EXPECT_FALSE(dump_has(&self->s, "raftblk50"));
	EXPECT_NE(0, access("/dev/raftblk50", F_OK));
}

TEST_F(nl, busy_disk_duplicate_name_stacking)
{
	struct rb_msg m;
	struct rb_ack ack;
	int off;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk51");
	off = msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EBUSY, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_STREQ("disk is in use", ack.msg);
	EXPECT_EQ(off, ack.offs);

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	off = msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk2());
	EXPECT_EQ(-EEXIST, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_STREQ("device already exists", ack.msg);
	EXPECT_EQ(off, ack.offs);
	EXPECT_TRUE(disk_free(disk2()));

	EXPECT_EQ(-EINVAL, rb_create(&self->s, "raftblk51", "/dev/raftblk50",
				     &ack));
	EXPECT_STREQ("disk is itself a raftblk device", ack.msg);
	EXPECT_FALSE(dump_has(&self->s, "raftblk51"));
}

TEST_F(nl, destroy_errors)
{
	struct rb_msg m;
	struct rb_ack ack;
	int fd, off;

	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	off = msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk59");
	EXPECT_EQ(-ENODEV, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_STREQ("device does not exist", ack.msg);
	EXPECT_EQ(off, ack.offs);

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	fd = open("/dev/raftblk50", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, rb_destroy(&self->s, "raftblk50", &ack));
	EXPECT_STREQ("device is open", ack.msg);
	EXPECT_TRUE(dump_has(&self->s, "raftblk50"));
	close(fd);
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));
	EXPECT_EQ(-ENODEV, rb_destroy(&self->s, "raftblk50", &ack));
}

TEST_F(nl, open_count_is_reported)
{
	struct rb_dev d;
	struct rb_ack ack;
	int fd1, fd2;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	fd1 = open("/dev/raftblk50", O_RDONLY | O_CLOEXEC);
	fd2 = open("/dev/raftblk50", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk50", &d, &ack));
	EXPECT_EQ(2, d.open_count);
	close(fd1);
	close(fd2);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk50", &d, &ack));
	EXPECT_EQ(0, d.open_count);
}

TEST_F(nl, malformed_messages)
{
	struct rb_msg m;
	struct rb_ack ack;

	/* The reserved byte of the genetlink header must be zero. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_GET, NLM_F_DUMP);
	m.g.reserved = 1;
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));

	/* An unknown command. */
	msg_init(&m, &self->s, 200, 0);
	EXPECT_EQ(-EOPNOTSUPP, rb_transact(&self->s, &m, &ack, NULL, NULL));
	msg_init(&m, &self->s, RAFTBLK_CMD_UNSPEC, 0);
	EXPECT_EQ(-EOPNOTSUPP, rb_transact(&self->s, &m, &ack, NULL, NULL));

	/* Bytes after the attributes that are no attribute. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	m.n.nlmsg_len += 2;
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));

	/* An attribute longer than the message. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	((struct nlattr *)m.buf)->nla_len = 200;
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));

	EXPECT_FALSE(dump_has(&self->s, "raftblk50"));
	EXPECT_TRUE(disk_free(disk1()));
}

/* Run @fn in a child process; its exit status (0 = all its checks held). */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* As nobody: create and destroy are refused, get and dump work. */
static int unprivileged(void *arg)
{
	static struct rb_dev devs[MAX_DEVS];
	struct rb_sock s;
	struct rb_ack ack;
	struct rb_dev d;
	int n;

	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 10;
	if (rb_open(&s))
		return 11;
	if (rb_create(&s, "raftblk51", disk2(), &ack) != -EPERM)
		return 12;
	if (rb_destroy(&s, "raftblk50", &ack) != -EPERM)
		return 13;
	if (rb_get(&s, "raftblk50", &d, &ack) || strcmp(d.name, "raftblk50"))
		return 14;
	if (rb_dump(&s, NULL, devs, &n, &ack) || n < 1)
		return 15;
	return 0;
}

TEST_F(nl, unprivileged_caller)
{
	struct rb_ack ack;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	EXPECT_EQ(0, in_child(unprivileged, NULL));
	EXPECT_TRUE(dump_has(&self->s, "raftblk50"));
	EXPECT_FALSE(dump_has(&self->s, "raftblk51"));
	EXPECT_TRUE(disk_free(disk2()));
}

/* In a new network namespace: raftblk50 of the parent is invisible. */
static int other_netns(void *arg)
{
	static struct rb_dev devs[MAX_DEVS];
	struct rb_sock s;
	struct rb_ack ack;
	struct rb_dev d;
	int i, n;

	(void)arg;
	if (unshare(CLONE_NEWNET))
		return 10;
	if (rb_open(&s))
		return 11;
	if (rb_get(&s, "raftblk50", &d, &ack) != -ENODEV)
		return 12;
	if (rb_destroy(&s, "raftblk50", &ack) != -ENODEV)
		return 13;
	if (rb_dump(&s, NULL, devs, &n, &ack))
		return 14;
	for (i = 0; i < n; i++)
		if (!strcmp(devs[i].name, "raftblk50"))
			return 15;
	if (rb_create(&s, "raftblk50", disk2(), &ack) != -EEXIST ||
	    strcmp(ack.msg, "device already exists in another network namespace"))
		return 16;
	/* Its own device, which moves to init_net when this netns dies. */
	if (rb_create(&s, "raftblk51", disk2(), &ack))
		return 17;
	if (rb_get(&s, "raftblk51", &d, &ack))
		return 18;
	return 0;
}

TEST_F_TIMEOUT(nl, network_namespaces, 120)
{
	struct rb_dev d;
	struct rb_ack ack;
	int i;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	ASSERT_EQ(0, in_child(other_netns, NULL));
	/* The child's namespace is gone (asynchronously): raftblk51 moves. */
	for (i = 0; i < 600; i++) {
		if (!rb_get(&self->s, "raftblk51", &d, &ack))
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(0, rb_get(&self->s, "raftblk51", &d, &ack));
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk51", &ack));
	EXPECT_TRUE(disk_free(disk2()));
}

/* ---- create/destroy races ---- */

struct racer {
	const char *name;
	int iterations;
	int unexpected;		/* results outside the allowed set */
	int created;
	int last_error;
};

/* The same name from every thread: EEXIST and ENODEV are the races. */
static void *race_same_name(void *arg)
{
	struct racer *r = arg;
	struct rb_sock s;
	struct rb_ack ack;
	int i, ret;

	if (rb_open(&s)) {
		r->unexpected++;
		return NULL;
	}
	for (i = 0; i < r->iterations; i++) {
		ret = rb_create(&s, r->name, disk1(), &ack);
		if (!ret)
			r->created++;
		else if (ret != -EEXIST)
			r->unexpected++, r->last_error = ret;
		ret = rb_destroy(&s, r->name, &ack);
		if (ret && ret != -ENODEV)
			r->unexpected++, r->last_error = ret;
	}
	close(s.fd);
	return NULL;
}

TEST_F_TIMEOUT(nl, create_destroy_race_same_name, 300)
{
	struct racer r[4];
	pthread_t t[4];
	int i, created = 0;

	for (i = 0; i < 4; i++) {
		r[i] = (struct racer){ .name = "raftblk52", .iterations = 25 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_same_name, &r[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, r[i].unexpected)
			TH_LOG("thread %d: unexpected result %d", i, r[i].last_error);
		created += r[i].created;
	}
	EXPECT_LT(0, created);
	EXPECT_FALSE(dump_has(&self->s, "raftblk52"));
	EXPECT_TRUE(disk_free(disk1()));
}

/* A name per thread, one disk: EBUSY is the race. */
static void *race_same_disk(void *arg)
{
	struct racer *r = arg;
	struct rb_sock s;
	struct rb_ack ack;
	int i, ret;

	if (rb_open(&s)) {
		r->unexpected++;
		return NULL;
	}
	for (i = 0; i < r->iterations; i++) {
		ret = rb_create(&s, r->name, disk1(), &ack);
		if (!ret) {
			r->created++;
			ret = rb_destroy(&s, r->name, &ack);
			if (ret)
				r->unexpected++, r->last_error = ret;
		} else if (ret != -EBUSY) {
			r->unexpected++, r->last_error = ret;
		}
	}
	close(s.fd);
	return NULL;
}

TEST_F_TIMEOUT(nl, create_destroy_race_same_disk, 300)
{
	static const char *const names[] = {
		"raftblk53", "raftblk54", "raftblk55", "raftblk56",
	};
	struct racer r[4];
	pthread_t t[4];
	int i, created = 0;

	for (i = 0; i < 4; i++) {
		r[i] = (struct racer){ .name = names[i], .iterations = 25 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_same_disk, &r[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, r[i].unexpected)
			TH_LOG("thread %d: unexpected result %d", i, r[i].last_error);
		created += r[i].created;
		EXPECT_FALSE(dump_has(&self->s, names[i]));
	}
	EXPECT_LT(0, created);
	EXPECT_TRUE(disk_free(disk1()));
}

/* ---- replication: create options and membership commands ---- */

#define LOOPBACK	0x7f000001	/* 127.0.0.1 */
#define TEST_PORT	7801

/* A create of raftblk50 over disk1 as node 7, listening on 127.0.0.1. */
static void msg_create_node(struct rb_msg *m, struct rb_sock *s)
{
	msg_init(m, s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(m, RAFTBLK_ATTR_DISK_PATH, disk1());
	msg_put_u32(m, RAFTBLK_ATTR_NODE_ID, 7);
}

/* Zero the first MiB of @path: no raftblk superblock (a blank disk). */
static int wipe(const char *path)
{
	static char zero[1 << 20];
	int fd = open(path, O_WRONLY | O_EXCL | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = pwrite(fd, zero, sizeof(zero), 0);
	if (w != (ssize_t)sizeof(zero) || fsync(fd)) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

TEST_F(nl, replication_options_are_validated)
{
	struct rb_msg m;
	struct rb_ack ack;
	int off;

	/* NODE_ID needs LISTEN. */
	msg_create_node(&m, &self->s);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_LISTEN, ack.miss_type);

	/* Node id 0. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	off = msg_put_u32(&m, RAFTBLK_ATTR_NODE_ID, 0);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	EXPECT_EQ(-ERANGE, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/* A replication option without NODE_ID. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	off = msg_put(&m, RAFTBLK_ATTR_BOOTSTRAP, NULL, 0);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("replication options need a node id", ack.msg);

	/* Timers out of range, and an election shorter than 3 heartbeats. */
	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	off = msg_put_u32(&m, RAFTBLK_ATTR_HEARTBEAT_MS, 10);
	EXPECT_EQ(-ERANGE, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	off = msg_put_u32(&m, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 700000);
	EXPECT_EQ(-ERANGE, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	msg_put_u32(&m, RAFTBLK_ATTR_HEARTBEAT_MS, 100);
	off = msg_put_u32(&m, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 200);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("election timeout must be at least 3 heartbeats", ack.msg);

	/* Addresses: no port, no address, both families, unspecified. */
	msg_create_node(&m, &self->s);
	off = msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, 0, true, false);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("address needs a non-zero port", ack.msg);

	msg_create_node(&m, &self->s);
	off = msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, 0, TEST_PORT, false, true);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("address needs exactly one of IPv4 and IPv6", ack.msg);

	msg_create_node(&m, &self->s);
	{
		uint8_t ip6[16] = { 0xfd, [15] = 1 };
		uint32_t ip4 = htonl(LOOPBACK);
		uint16_t port = htons(TEST_PORT);

		off = msg_nest_start(&m, RAFTBLK_ATTR_LISTEN);
		msg_put(&m, RAFTBLK_ADDR_ATTR_IPV4, &ip4, sizeof(ip4));
		msg_put(&m, RAFTBLK_ADDR_ATTR_IPV6, ip6, sizeof(ip6));
		msg_put(&m, RAFTBLK_ADDR_ATTR_PORT, &port, sizeof(port));
		msg_nest_end(&m, off);
	}
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_STREQ("address needs exactly one of IPv4 and IPv6", ack.msg);

	msg_create_node(&m, &self->s);
	off = msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, 0, TEST_PORT, true, true);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("not a unicast IPv4 address", ack.msg);

	/* An IPv6 address of 15 bytes, and an unknown nested attribute. */
	msg_create_node(&m, &self->s);
	{
		uint8_t ip6[15] = { 0xfd };
		uint16_t port = htons(TEST_PORT);
		int in;

		off = msg_nest_start(&m, RAFTBLK_ATTR_LISTEN);
		in = msg_put(&m, RAFTBLK_ADDR_ATTR_IPV6, ip6, sizeof(ip6));
		msg_put(&m, RAFTBLK_ADDR_ATTR_PORT, &port, sizeof(port));
		msg_nest_end(&m, off);
		EXPECT_EQ(-ERANGE, rb_transact(&self->s, &m, &ack, NULL, NULL));
		EXPECT_EQ(in, ack.offs);
	}
	msg_create_node(&m, &self->s);
	{
		uint32_t x = 1;
		int in;

		off = msg_nest_start(&m, RAFTBLK_ATTR_LISTEN);
		msg_put_u32(&m, RAFTBLK_ADDR_ATTR_IPV4, htonl(LOOPBACK));
		in = msg_put(&m, RAFTBLK_ADDR_ATTR_MAX + 1, &x, sizeof(x));
		msg_nest_end(&m, off);
		EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
		EXPECT_EQ(in, ack.offs);
	}

	EXPECT_FALSE(dump_has(&self->s, "raftblk50"));
	EXPECT_TRUE(disk_free(disk1()));
}

/* PEER_ADD of node @id at 127.0.0.1:@port (@with_addr: with its ADDR). */
static int peer_add(struct rb_sock *s, const char *name, uint32_t id,
		    uint16_t port, bool with_addr, struct rb_ack *ack)
{
	struct rb_msg m;
	int off;

	msg_init(&m, s, RAFTBLK_CMD_PEER_ADD, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	off = msg_nest_start(&m, RAFTBLK_ATTR_PEER);
	msg_put_u32(&m, RAFTBLK_PEER_ATTR_ID, id);
	if (with_addr)
		msg_put_addr4(&m, RAFTBLK_PEER_ATTR_ADDR, LOOPBACK, port,
			      true, true);
	msg_nest_end(&m, off);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static int peer_remove(struct rb_sock *s, const char *name, uint32_t id,
		       struct rb_ack *ack)
{
	struct rb_msg m;
	int off;

	msg_init(&m, s, RAFTBLK_CMD_PEER_REMOVE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	off = msg_nest_start(&m, RAFTBLK_ATTR_PEER);
	msg_put_u32(&m, RAFTBLK_PEER_ATTR_ID, id);
	msg_nest_end(&m, off);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static int leader_transfer(struct rb_sock *s, const char *name, uint32_t id,
			   struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_LEADER_TRANSFER, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	msg_put_u32(&m, RAFTBLK_ATTR_NODE_ID, id);
	return rb_transact(s, &m, ack, NULL, NULL);
}

TEST_F(nl, membership_commands_need_a_replicated_device)
{
	struct rb_msg m;
	struct rb_ack ack;
	int off;

	EXPECT_EQ(-ENODEV, peer_add(&self->s, "raftblk59", 2, TEST_PORT, true,
				    &ack));
	EXPECT_STREQ("device does not exist", ack.msg);

	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	EXPECT_EQ(-EOPNOTSUPP, peer_add(&self->s, "raftblk50", 2, TEST_PORT,
					true, &ack));
	EXPECT_STREQ("device is not replicated", ack.msg);
	EXPECT_EQ(-EOPNOTSUPP, peer_remove(&self->s, "raftblk50", 2, &ack));
	EXPECT_STREQ("device is not replicated", ack.msg);
	EXPECT_EQ(-EOPNOTSUPP, leader_transfer(&self->s, "raftblk50", 2, &ack));
	EXPECT_STREQ("device is not replicated", ack.msg);

	/* Strict policies: what a command does not take is refused. */
	msg_init(&m, &self->s, RAFTBLK_CMD_LEADER_TRANSFER, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_u32(&m, RAFTBLK_ATTR_NODE_ID, 2);
	off = msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	msg_init(&m, &self->s, RAFTBLK_CMD_PEER_REMOVE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	off = msg_nest_start(&m, RAFTBLK_ATTR_PEER);
	msg_put_u32(&m, RAFTBLK_PEER_ATTR_ID, 2);
	{
		int in = msg_put_addr4(&m, RAFTBLK_PEER_ATTR_ADDR, LOOPBACK,
				       TEST_PORT, true, true);

		msg_nest_end(&m, off);
		EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
		EXPECT_EQ(in, ack.offs);
	}

	msg_init(&m, &self->s, RAFTBLK_CMD_PEER_ADD, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	off = msg_nest_start(&m, RAFTBLK_ATTR_PEER);
	{
		int in = msg_put_u32(&m, RAFTBLK_PEER_ATTR_ID, 0);

		msg_nest_end(&m, off);
		EXPECT_EQ(-ERANGE, rb_transact(&self->s, &m, &ack, NULL, NULL));
		EXPECT_EQ(in, ack.offs);
	}
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));
}

/* Poll DEVICE_GET until @ok(d) or about @secs seconds passed. */
static bool get_until(struct rb_sock *s, struct rb_dev *d, int secs,
		      bool (*ok)(const struct rb_dev *d))
{
	struct rb_ack ack;
	int i;

	for (i = 0; i < secs * 5; i++) {
		if (!rb_get(s, "raftblk50", d, &ack) && ok(d))
			return true;
		usleep(200000);
	}
	return false;
}

static bool is_leader(const struct rb_dev *d)
{
	return d->role == RAFTBLK_ROLE_LEADER;
}

static bool no_peers(const struct rb_dev *d)
{
	return d->npeers == 0;
}

static bool one_peer(const struct rb_dev *d)
{
	return d->npeers == 1;
}

static int election_wait(void)
{
	const char *e = getenv("RAFTBLK_TEST_ELECTION_WAIT");

	return e ? atoi(e) : 60;
}

TEST_F_TIMEOUT(nl, replicated_device, 300)
{
	struct rb_msg m;
	struct rb_ack ack;
	struct rb_dev d;
	int off, i;

	ASSERT_EQ(0, wipe(disk1()));
	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	msg_put(&m, RAFTBLK_ATTR_BOOTSTRAP, NULL, 0);
	ASSERT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("create: %s", ack.msg);

	ASSERT_TRUE(get_until(&self->s, &d, election_wait(), is_leader));
	EXPECT_EQ(7, d.node_id);
	EXPECT_EQ(htonl(LOOPBACK), d.listen_ip4);
	EXPECT_EQ(htons(TEST_PORT), d.listen_port);
	EXPECT_EQ(100, d.heartbeat_ms);
	EXPECT_EQ(1000, d.election_ms);
	EXPECT_TRUE(d.has_counters);
	EXPECT_EQ(0, d.npeers);
	EXPECT_GT(disk_bytes(disk1()), d.capacity);

	/* PEER_ADD needs a PEER with an address; not this node itself. */
	msg_init(&m, &self->s, RAFTBLK_CMD_PEER_ADD, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_PEER, ack.miss_type);
	EXPECT_EQ(-EINVAL, peer_add(&self->s, "raftblk50", 8, 0, false, &ack));
	EXPECT_STREQ("peer needs an address", ack.msg);
	EXPECT_EQ(-EINVAL, peer_add(&self->s, "raftblk50", 7, TEST_PORT, true,
				    &ack));
	EXPECT_STREQ("invalid membership change", ack.msg);

	/* Node 8 (nobody listens there) joins as a learner; remove it. */
	EXPECT_EQ(0, peer_add(&self->s, "raftblk50", 8, TEST_PORT + 1, true,
			      &ack)) TH_LOG("peer add: %s", ack.msg);
	EXPECT_TRUE(get_until(&self->s, &d, election_wait(), one_peer));
	EXPECT_EQ(8, d.peer_id);
	EXPECT_EQ(RAFTBLK_PEER_ROLE_LEARNER, d.peer_role);
	EXPECT_EQ(-EINVAL, leader_transfer(&self->s, "raftblk50", 9, &ack));
	EXPECT_STREQ("leader transfer refused", ack.msg);
	/* A change right after another may find it still uncommitted. */
	for (i = 0; i < 50; i++) {
		if (peer_remove(&self->s, "raftblk50", 8, &ack) != -EBUSY)
			break;
		usleep(100000);
	}
	EXPECT_EQ(0, ack.error) TH_LOG("peer remove: %s", ack.msg);
	EXPECT_TRUE(get_until(&self->s, &d, election_wait(), no_peers));

	/* Restart from the disk; bootstrap again is refused. */
	ASSERT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));
	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	off = msg_put(&m, RAFTBLK_ATTR_BOOTSTRAP, NULL, 0);
	EXPECT_EQ(-EEXIST, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_TRUE(disk_free(disk1()));
	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	ASSERT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("restart: %s", ack.msg);
	EXPECT_TRUE(get_until(&self->s, &d, election_wait(), is_leader));
	EXPECT_EQ(0, d.npeers);
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

TEST_HARNESS_MAIN
