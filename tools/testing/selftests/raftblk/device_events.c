// SPDX-License-Identifier: GPL-2.0
/*
 * The "events" multicast group and the DEVICE_SET operation of the raftblk
 * family, driven with raw netlink (nl_client.h): a listener sees every
 * device created and destroyed, role and leader changes, membership and
 * options, numbered per device without gaps; DEVICE_GET gives the
 * position in that stream; another network namespace sees none of it.
 * DEVICE_SET: every option, ranges (ERANGE), the heartbeat/election rule,
 * the resync rate (0 or 1 MiB/s..1 TiB/s, reported back and announced),
 * SET_DEFAULTS (the options not given back to their defaults),
 * unknown device, standalone device, unprivileged caller.
 *
 * Needs raftblk.ko loaded and two free disks (RAFTBLK_TEST_DISK,
 * RAFTBLK_TEST_DISK2; default /dev/vda, /dev/vdb). Devices raftblk60..63.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/fs.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/raftblk.h>

#include "kselftest_harness.h"
#include "st_timeout.h"
#include "nl_client.h"

#define LOOPBACK	0x7f000001
#define TEST_PORT	7861

/* One event as received. */
struct rb_event {
	uint32_t event;
	char name[64];
	uint64_t device_id, seq;
	uint32_t role, leader;
	uint64_t term;
	bool has_role, has_options;
	uint32_t heartbeat_ms, election_ms, max_batch, read_mode;
	uint64_t resync_rate;
	bool has_peer;
	uint32_t peer_id, peer_role, peer_state;
	bool has_peer_role, has_peer_state;
};

/* The id of the family's "events" group, or -errno. */
static int events_group(void)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[BUF_SIZE];
	struct nlmsghdr *h;
	struct rb_msg m;
	ssize_t len;
	int fd, ret = -ENOENT;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	memset(&m, 0, sizeof(m));
	m.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m.n.nlmsg_type = GENL_ID_CTRL;
	m.n.nlmsg_flags = NLM_F_REQUEST;
	m.g.cmd = CTRL_CMD_GETFAMILY;
	m.g.version = 1;
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, RAFTBLK_GENL_NAME);
	if (sendto(fd, &m, m.n.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0 ||
	    (len = recv(fd, buf, sizeof(buf), 0)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
	     h = NLMSG_NEXT(h, len)) {
		int rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
						     GENL_HDRLEN);

		if (h->nlmsg_type != GENL_ID_CTRL)
			continue;
		for (; attr_ok(a, rem); a = attr_next(a, &rem)) {
			int grem = attr_len(a);
			struct nlattr *g = attr_data(a);

			if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
				continue;
			for (; attr_ok(g, grem); g = attr_next(g, &grem)) {
				int frem = attr_len(g);
				struct nlattr *f = attr_data(g);
				const char *name = NULL;
				int id = -1;

				for (; attr_ok(f, frem); f = attr_next(f, &frem)) {
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
						name = attr_data(f);
					if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
						id = *(uint32_t *)attr_data(f);
				}
				if (name && id >= 0 &&
				    !strcmp(name, RAFTBLK_MCGRP_EVENTS_NAME))
					ret = id;
			}
		}
	}
	close(fd);
	return ret;
}

/*
 * A socket in the events group: fd or -errno. Bound first: an unbound
 * socket has port id 0, the kernel's, and gets no broadcast from it.
 */
static int events_open(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int grp = events_group(), fd;

	if (grp < 0)
		return grp;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void parse_event(struct nlmsghdr *h, struct rb_event *ev)
{
	int rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) +
					     GENL_HDRLEN);

	memset(ev, 0, sizeof(*ev));
	for (; attr_ok(a, rem); a = attr_next(a, &rem)) {
		void *d = attr_data(a);

		switch (a->nla_type & NLA_TYPE_MASK) {
		case RAFTBLK_ATTR_EVENT:
			ev->event = *(uint32_t *)d;
			break;
		case RAFTBLK_ATTR_NAME:
			snprintf(ev->name, sizeof(ev->name), "%.*s",
				 attr_len(a), (char *)d);
			break;
		case RAFTBLK_ATTR_DEVICE_ID:
			memcpy(&ev->device_id, d, 8);
			break;
		case RAFTBLK_ATTR_EVENT_SEQ:
			memcpy(&ev->seq, d, 8);
			break;
		case RAFTBLK_ATTR_ROLE:
			ev->role = *(uint32_t *)d;
			ev->has_role = true;
			break;
		case RAFTBLK_ATTR_TERM:
			memcpy(&ev->term, d, 8);
			break;
		case RAFTBLK_ATTR_LEADER_ID:
			ev->leader = *(uint32_t *)d;
			break;
		case RAFTBLK_ATTR_HEARTBEAT_MS:
			ev->heartbeat_ms = *(uint32_t *)d;
			ev->has_options = true;
			break;
		case RAFTBLK_ATTR_ELECTION_TIMEOUT_MS:
			ev->election_ms = *(uint32_t *)d;
			break;
		case RAFTBLK_ATTR_MAX_BATCH:
			ev->max_batch = *(uint32_t *)d;
			break;
		case RAFTBLK_ATTR_READ_MODE:
			ev->read_mode = *(uint32_t *)d;
			break;
		case RAFTBLK_ATTR_RESYNC_RATE:
			memcpy(&ev->resync_rate, d, 8);
			break;
		case RAFTBLK_ATTR_PEER: {
			int nrem = attr_len(a);
			struct nlattr *n = d;

			ev->has_peer = true;
			for (; attr_ok(n, nrem); n = attr_next(n, &nrem)) {
				uint32_t v = *(uint32_t *)attr_data(n);

				switch (n->nla_type) {
				case RAFTBLK_PEER_ATTR_ID:
					ev->peer_id = v;
					break;
				case RAFTBLK_PEER_ATTR_ROLE:
					ev->peer_role = v;
					ev->has_peer_role = true;
					break;
				case RAFTBLK_PEER_ATTR_STATE:
					ev->peer_state = v;
					ev->has_peer_state = true;
					break;
				}
			}
			break;
		}
		}
	}
}

/*
 * The next event of device @name (others are skipped) within @ms
 * milliseconds: 0, -ETIMEDOUT, or -errno (ENOBUFS: events lost).
 */
static int event_next(int fd, const char *name, struct rb_event *ev, int ms)
{
	static char buf[BUF_SIZE];
	static ssize_t len;
	static struct nlmsghdr *h;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		for (; h && NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct genlmsghdr *g = NLMSG_DATA(h);

			if (h->nlmsg_type < NLMSG_MIN_TYPE ||
			    g->cmd != RAFTBLK_CMD_EVENT)
				continue;
			parse_event(h, ev);
			if (name && strcmp(ev->name, name))
				continue;
			h = NLMSG_NEXT(h, len);
			return 0;
		}
		h = NULL;
		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		h = (struct nlmsghdr *)buf;
	}
}

/* Events of @name until one of type @type (and @pred, if given). */
static int event_wait(int fd, const char *name, uint32_t type,
		      bool (*pred)(const struct rb_event *ev),
		      struct rb_event *ev, uint64_t *last_seq, int secs)
{
	time_t end = time(NULL) + secs;
	int ret;

	while (time(NULL) <= end) {
		ret = event_next(fd, name, ev, 1000);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret)
			return ret;
		/* Numbered without gaps. */
		if (last_seq) {
			if (ev->seq != *last_seq + 1)
				return -EILSEQ;
			*last_seq = ev->seq;
		}
		if (ev->event == type && (!pred || pred(ev)))
			return 0;
	}
	return -ETIMEDOUT;
}

static int election_wait(void)
{
	const char *e = getenv("RAFTBLK_TEST_ELECTION_WAIT");

	return e ? atoi(e) : st_scaled(60);
}

static bool ev_leader(const struct rb_event *ev)
{
	return ev->has_role && ev->role == RAFTBLK_ROLE_LEADER;
}

static bool ev_options(const struct rb_event *ev)
{
	return ev->has_options;
}

static bool ev_peer8(const struct rb_event *ev)
{
	return ev->peer_id == 8;
}

static int set_u32(struct rb_sock *s, const char *name, uint16_t type,
		   uint32_t v, struct rb_ack *ack, int *off)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	*off = msg_put_u32(&m, type, v);
	return rb_transact(s, &m, ack, NULL, NULL);
}

/* Create raftblk60 on disk1 as bootstrapped node 7. */
static int create_node(struct rb_sock *s, struct rb_ack *ack)
{
	struct rb_msg m;

	if (wipe(disk1()))
		return -EIO;
	msg_init(&m, s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	msg_put_u32(&m, RAFTBLK_ATTR_NODE_ID, 7);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	msg_put(&m, RAFTBLK_ATTR_BOOTSTRAP, NULL, 0);
	return rb_transact(s, &m, ack, NULL, NULL);
}

FIXTURE(ev) {
	struct rb_sock s;
	int fd;
};

FIXTURE_SETUP(ev)
{
	int ret = rb_open(&self->s);

	ASSERT_EQ(0, ret) TH_LOG("raftblk family: %s", strerror(-ret));
	self->fd = events_open();
	ASSERT_LE(0, self->fd) TH_LOG("events group: %s",
				       strerror(-self->fd));
}

FIXTURE_TEARDOWN(ev)
{
	static const char *const names[] = {
		"raftblk60", "raftblk61", "raftblk62", "raftblk63",
	};
	struct rb_ack ack;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		rb_destroy(&self->s, names[i], &ack);
	close(self->fd);
	close(self->s.fd);
}

TEST_F(ev, create_and_destroy_are_announced)
{
	struct rb_event e;
	struct rb_ack ack;
	struct rb_dev d;
	uint64_t id;

	ASSERT_EQ(0, rb_create(&self->s, "raftblk61", disk1(), &ack));
	ASSERT_EQ(0, event_next(self->fd, "raftblk61", &e, 5000));
	EXPECT_EQ(RAFTBLK_EVENT_DEVICE_CREATE, e.event);
	EXPECT_EQ(1, e.seq);
	EXPECT_TRUE(e.has_role);
	EXPECT_EQ(RAFTBLK_ROLE_STANDALONE, e.role);
	id = e.device_id;
	EXPECT_NE(0, id);
	/* DEVICE_GET: the same device, positioned after its one event. */
	ASSERT_EQ(0, rb_get(&self->s, "raftblk61", &d, &ack));
	EXPECT_EQ(id, d.device_id);
	EXPECT_EQ(1, d.event_seq);

	ASSERT_EQ(0, rb_destroy(&self->s, "raftblk61", &ack));
	ASSERT_EQ(0, event_next(self->fd, "raftblk61", &e, 5000));
	EXPECT_EQ(RAFTBLK_EVENT_DEVICE_DESTROY, e.event);
	EXPECT_EQ(2, e.seq);
	EXPECT_EQ(id, e.device_id);

	/* A device of the same name again: a new id, numbered from 1. */
	ASSERT_EQ(0, rb_create(&self->s, "raftblk61", disk1(), &ack));
	ASSERT_EQ(0, event_next(self->fd, "raftblk61", &e, 5000));
	EXPECT_EQ(RAFTBLK_EVENT_DEVICE_CREATE, e.event);
	EXPECT_EQ(1, e.seq);
	EXPECT_NE(id, e.device_id);
	ASSERT_EQ(0, rb_destroy(&self->s, "raftblk61", &ack));
	/* Failed operations send nothing. */
	EXPECT_EQ(0, event_next(self->fd, "raftblk61", &e, 5000));
	EXPECT_EQ(RAFTBLK_EVENT_DEVICE_DESTROY, e.event);
	EXPECT_EQ(-ENODEV, rb_destroy(&self->s, "raftblk61", &ack));
	EXPECT_EQ(-ENOENT, rb_create(&self->s, "raftblk61", "/dev/nonexistent",
				     &ack));
	EXPECT_EQ(-ETIMEDOUT, event_next(self->fd, "raftblk61", &e, 1000));
}

TEST_F_TIMEOUT(ev, replicated_device_stream, 300)
{
	struct rb_event e;
	struct rb_ack ack;
	struct rb_dev d;
	struct rb_msg m;
	uint64_t seq = 0;
	int off, i;

	ASSERT_EQ(0, create_node(&self->s, &ack)) TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_DEVICE_CREATE, NULL, &e, &seq,
				10));
	EXPECT_EQ(1, e.seq);
	EXPECT_TRUE(e.has_options);
	EXPECT_EQ(100, e.heartbeat_ms);
	EXPECT_EQ(64, e.max_batch);
	/* It elects itself (unless the create event already said so). */
	if (e.role != RAFTBLK_ROLE_LEADER)
		ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
					RAFTBLK_EVENT_DEVICE_CHANGE, ev_leader,
					&e, &seq, election_wait()));
	EXPECT_EQ(RAFTBLK_ROLE_LEADER, e.role);
	EXPECT_EQ(7, e.leader);
	EXPECT_LT(0, e.term);

	/* Membership: node 8 joins as a learner, then leaves. */
	msg_init(&m, &self->s, RAFTBLK_CMD_PEER_ADD, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	off = msg_nest_start(&m, RAFTBLK_ATTR_PEER);
	msg_put_u32(&m, RAFTBLK_PEER_ATTR_ID, 8);
	msg_put_addr4(&m, RAFTBLK_PEER_ATTR_ADDR, LOOPBACK, TEST_PORT + 1,
		      true, true);
	msg_nest_end(&m, off);
	ASSERT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("peer add: %s", ack.msg);
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_PEER_CREATE, ev_peer8, &e, &seq,
				30));
	EXPECT_TRUE(e.has_peer_role);
	EXPECT_EQ(RAFTBLK_PEER_ROLE_LEARNER, e.peer_role);
	EXPECT_TRUE(e.has_peer_state);
	EXPECT_EQ(RAFTBLK_PEER_STATE_DISCONNECTED, e.peer_state);
	for (i = 0; i < 50; i++) {
		msg_init(&m, &self->s, RAFTBLK_CMD_PEER_REMOVE, 0);
		msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
		off = msg_nest_start(&m, RAFTBLK_ATTR_PEER);
		msg_put_u32(&m, RAFTBLK_PEER_ATTR_ID, 8);
		msg_nest_end(&m, off);
		if (rb_transact(&self->s, &m, &ack, NULL, NULL) != -EBUSY)
			break;
		usleep(100000);
	}
	ASSERT_EQ(0, ack.error) TH_LOG("peer remove: %s", ack.msg);
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_PEER_DESTROY, ev_peer8, &e, &seq,
				30));

	/* Options: announced with all four values. */
	ASSERT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_MAX_BATCH, 8,
			     &ack, &off)) TH_LOG("set: %s", ack.msg);
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_DEVICE_CHANGE, ev_options, &e,
				&seq, 10));
	EXPECT_EQ(8, e.max_batch);
	EXPECT_EQ(100, e.heartbeat_ms);
	EXPECT_EQ(1000, e.election_ms);
	EXPECT_EQ(RAFTBLK_READ_MODE_LEASE, e.read_mode);	/* the default */
	/*
	 * A set that changes nothing (raftctl up with the same file)
	 * announces nothing: the next options event is the next change's.
	 */
	ASSERT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_MAX_BATCH, 8,
			     &ack, &off)) TH_LOG("set: %s", ack.msg);
	ASSERT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_MAX_BATCH, 16,
			     &ack, &off)) TH_LOG("set: %s", ack.msg);
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_DEVICE_CHANGE, ev_options, &e,
				&seq, 10));
	EXPECT_EQ(16, e.max_batch);

	/* The dump's position: nothing the stream has not already said. */
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(e.device_id, d.device_id);
	EXPECT_LE(seq, d.event_seq);

	ASSERT_EQ(0, rb_destroy(&self->s, "raftblk60", &ack));
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_DEVICE_DESTROY, NULL, &e, &seq,
				10));
	EXPECT_EQ(d.device_id, e.device_id);
	EXPECT_EQ(0, wipe(disk1()));
}

TEST_F_TIMEOUT(ev, set_changes_every_option, 300)
{
	struct rb_event e;
	struct rb_ack ack;
	struct rb_dev d;
	struct rb_msg m;
	int off, off2, n;
	uint32_t last_batch = 0;

	ASSERT_EQ(0, create_node(&self->s, &ack)) TH_LOG("%s", ack.msg);

	EXPECT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_HEARTBEAT_MS,
			     200, &ack, &off)) TH_LOG("%s", ack.msg);
	EXPECT_EQ(0, set_u32(&self->s, "raftblk60",
			     RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 3000, &ack,
			     &off)) TH_LOG("%s", ack.msg);
	EXPECT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_MAX_BATCH, 1,
			     &ack, &off)) TH_LOG("%s", ack.msg);
	EXPECT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_READ_MODE,
			     RAFTBLK_READ_MODE_READINDEX, &ack, &off));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(200, d.heartbeat_ms);
	EXPECT_EQ(3000, d.election_ms);
	EXPECT_EQ(1, d.max_batch);
	EXPECT_EQ(RAFTBLK_READ_MODE_READINDEX, d.read_mode);

	/* Several at once. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put_u32(&m, RAFTBLK_ATTR_HEARTBEAT_MS, 100);
	msg_put_u32(&m, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 1000);
	msg_put_u32(&m, RAFTBLK_ATTR_MAX_BATCH, 64);
	msg_put_u32(&m, RAFTBLK_ATTR_READ_MODE, RAFTBLK_READ_MODE_LEASE);
	EXPECT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(100, d.heartbeat_ms);
	EXPECT_EQ(1000, d.election_ms);
	EXPECT_EQ(64, d.max_batch);
	EXPECT_EQ(RAFTBLK_READ_MODE_LEASE, d.read_mode);

	/* Out of range: ERANGE naming the attribute. */
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_HEARTBEAT_MS, 49, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_HEARTBEAT_MS, 60001, &ack,
				   &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 149, &ack,
				   &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 600001,
				   &ack, &off));
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_MAX_BATCH, 0, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_MAX_BATCH, 65, &ack, &off));
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_READ_MODE, 2, &ack, &off));
	EXPECT_EQ(off, ack.offs);

	/* Election timeout under 3 heartbeats, alone or with the other. */
	EXPECT_EQ(-EINVAL, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_HEARTBEAT_MS, 400, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("heartbeat must be at most a third of the election timeout",
		     ack.msg);
	EXPECT_EQ(-EINVAL, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 299, &ack,
				   &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("election timeout must be at least 3 heartbeats", ack.msg);
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put_u32(&m, RAFTBLK_ATTR_HEARTBEAT_MS, 1000);
	off2 = msg_put_u32(&m, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 2000);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off2, ack.offs);
	/* Nothing changed by the refusals. */
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(100, d.heartbeat_ms);
	EXPECT_EQ(1000, d.election_ms);
	EXPECT_EQ(64, d.max_batch);

	/* Nothing to set; an attribute set does not take; no name. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_STREQ("nothing to set: give at least one option", ack.msg);
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	off = msg_put_u32(&m, RAFTBLK_ATTR_NODE_ID, 3);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_u32(&m, RAFTBLK_ATTR_MAX_BATCH, 3);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_NAME, ack.miss_type);

	/* Unknown device, standalone device. */
	EXPECT_EQ(-ENODEV, set_u32(&self->s, "raftblk63",
				   RAFTBLK_ATTR_MAX_BATCH, 3, &ack, &off));
	EXPECT_STREQ("device does not exist", ack.msg);
	ASSERT_EQ(0, rb_create(&self->s, "raftblk61", disk2(), &ack));
	EXPECT_EQ(-EOPNOTSUPP, set_u32(&self->s, "raftblk61",
				       RAFTBLK_ATTR_MAX_BATCH, 3, &ack, &off));
	EXPECT_STREQ("device is not replicated", ack.msg);
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk61", &ack));

	/* Options in the create event and one per accepted set only. */
	n = 0;
	while (!event_next(self->fd, "raftblk60", &e, 500))
		if (e.has_options)
			last_batch = e.max_batch, n++;
	EXPECT_EQ(1 + 5, n);
	EXPECT_EQ(64, last_batch);
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk60", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

/* As nobody: set is refused; joining the events group is allowed. */
static int unprivileged_set(void *arg)
{
	struct rb_sock s;
	struct rb_ack ack;
	int off, fd;

	(void)arg;
	if (setgid(65534) || setuid(65534))
		return 10;
	if (rb_open(&s))
		return 11;
	if (set_u32(&s, "raftblk60", RAFTBLK_ATTR_MAX_BATCH, 3, &ack, &off) !=
	    -EPERM)
		return 12;
	fd = events_open();
	if (fd < 0)
		return 13;
	close(fd);
	return 0;
}

static int set_u64(struct rb_sock *s, const char *name, uint16_t type,
		   uint64_t v, struct rb_ack *ack, int *off)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	*off = msg_put_u64(&m, type, v);
	return rb_transact(s, &m, ack, NULL, NULL);
}

TEST_F_TIMEOUT(ev, set_resync_rate, 300)
{
	const uint64_t mib = 1ULL << 20;
	struct rb_event e;
	struct rb_ack ack;
	struct rb_dev d;
	int off;

	ASSERT_EQ(0, create_node(&self->s, &ack)) TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_TRUE(d.has_resync_rate);
	EXPECT_EQ(0, d.resync_rate);	/* dynamic by default */

	/* Set, reported by DEVICE_GET, announced with the options. */
	EXPECT_EQ(0, set_u64(&self->s, "raftblk60", RAFTBLK_ATTR_RESYNC_RATE,
			     40 * mib, &ack, &off)) TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(40 * mib, d.resync_rate);
	ASSERT_EQ(0, event_wait(self->fd, "raftblk60",
				RAFTBLK_EVENT_DEVICE_CHANGE, ev_options, &e,
				NULL, 10));
	EXPECT_EQ(40 * mib, e.resync_rate);
	EXPECT_EQ(0, set_u64(&self->s, "raftblk60", RAFTBLK_ATTR_RESYNC_RATE,
			     RAFTBLK_RESYNC_RATE_MIN, &ack, &off));
	EXPECT_EQ(0, set_u64(&self->s, "raftblk60", RAFTBLK_ATTR_RESYNC_RATE,
			     RAFTBLK_RESYNC_RATE_MAX, &ack, &off));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(RAFTBLK_RESYNC_RATE_MAX, d.resync_rate);
	EXPECT_EQ(0, set_u64(&self->s, "raftblk60", RAFTBLK_ATTR_RESYNC_RATE,
			     0, &ack, &off));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(0, d.resync_rate);
	EXPECT_EQ(0, set_u64(&self->s, "raftblk60", RAFTBLK_ATTR_RESYNC_RATE,
			     40 * mib, &ack, &off));

	/* Out of range: ERANGE naming the attribute, nothing changed. */
	EXPECT_EQ(-ERANGE, set_u64(&self->s, "raftblk60",
				   RAFTBLK_ATTR_RESYNC_RATE, 1, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("resync rate must be 0 (dynamic) or at least 1 MiB/s",
		     ack.msg);
	EXPECT_EQ(-ERANGE, set_u64(&self->s, "raftblk60",
				   RAFTBLK_ATTR_RESYNC_RATE,
				   RAFTBLK_RESYNC_RATE_MIN - 1, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u64(&self->s, "raftblk60",
				   RAFTBLK_ATTR_RESYNC_RATE,
				   RAFTBLK_RESYNC_RATE_MAX + 1, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	/* A u32 where a u64 belongs. */
	EXPECT_GT(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_RESYNC_RATE,
			     8 << 20, &ack, &off));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(40 * mib, d.resync_rate);

	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk60", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

/* SET_DEFAULTS: every option the message does not give goes back. */
TEST_F_TIMEOUT(ev, set_defaults, 300)
{
	struct rb_ack ack;
	struct rb_dev d;
	struct rb_msg m;
	int off;

	ASSERT_EQ(0, create_node(&self->s, &ack)) TH_LOG("%s", ack.msg);
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put_u32(&m, RAFTBLK_ATTR_HEARTBEAT_MS, 200);
	msg_put_u32(&m, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, 3000);
	msg_put_u32(&m, RAFTBLK_ATTR_MAX_BATCH, 3);
	msg_put_u32(&m, RAFTBLK_ATTR_READ_MODE, RAFTBLK_READ_MODE_READINDEX);
	msg_put_u64(&m, RAFTBLK_ATTR_RESYNC_RATE, 20 << 20);
	msg_put_u32(&m, RAFTBLK_ATTR_AUTO_PROMOTE, 0);
	msg_put_u32(&m, RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS, 7000);
	ASSERT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(3, d.max_batch);
	EXPECT_EQ(20 << 20, d.resync_rate);
	EXPECT_EQ(0, d.auto_promote);

	/* With one option given: that one, the defaults for the others. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put(&m, RAFTBLK_ATTR_SET_DEFAULTS, NULL, 0);
	msg_put_u32(&m, RAFTBLK_ATTR_MAX_BATCH, 5);
	EXPECT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(100, d.heartbeat_ms);
	EXPECT_EQ(1000, d.election_ms);
	EXPECT_EQ(5, d.max_batch);
	EXPECT_EQ(RAFTBLK_READ_MODE_LEASE, d.read_mode);
	EXPECT_EQ(0, d.resync_rate);
	EXPECT_TRUE(d.has_auto_promote);
	EXPECT_EQ(1, d.auto_promote);
	EXPECT_EQ(5000, d.auto_promote_ms);

	/* Alone it is something to set: every option to its default. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put(&m, RAFTBLK_ATTR_SET_DEFAULTS, NULL, 0);
	EXPECT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(64, d.max_batch);

	/* The heartbeat/election rule against the defaults, naming the
	 * option given; nothing changed.
	 */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put(&m, RAFTBLK_ATTR_SET_DEFAULTS, NULL, 0);
	off = msg_put_u32(&m, RAFTBLK_ATTR_HEARTBEAT_MS, 400);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("heartbeat must be at most a third of the election timeout",
		     ack.msg);
	/* A flag with a payload is not one. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_SET, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk60");
	msg_put_u32(&m, RAFTBLK_ATTR_SET_DEFAULTS, 1);
	EXPECT_GT(0, rb_transact(&self->s, &m, &ack, NULL, NULL));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(100, d.heartbeat_ms);
	EXPECT_EQ(64, d.max_batch);

	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk60", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

/*
 * Auto-promote options: on, 5000 ms by default; set and reported by
 * DEVICE_GET; out of range refused naming the attribute, nothing changed.
 * (What they do: vm autopromote.)
 */
TEST_F_TIMEOUT(ev, set_auto_promote, 300)
{
	struct rb_ack ack;
	struct rb_dev d;
	int off;

	ASSERT_EQ(0, create_node(&self->s, &ack)) TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_TRUE(d.has_auto_promote);
	EXPECT_EQ(1, d.auto_promote);
	EXPECT_EQ(5000, d.auto_promote_ms);

	EXPECT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_AUTO_PROMOTE,
			     0, &ack, &off)) TH_LOG("%s", ack.msg);
	EXPECT_EQ(0, set_u32(&self->s, "raftblk60",
			     RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS, 100, &ack,
			     &off)) TH_LOG("%s", ack.msg);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(0, d.auto_promote);
	EXPECT_EQ(100, d.auto_promote_ms);
	/* Setting the timeout alone keeps auto-promote as it is. */
	EXPECT_EQ(0, set_u32(&self->s, "raftblk60",
			     RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS, 600000,
			     &ack, &off));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(0, d.auto_promote);
	EXPECT_EQ(600000, d.auto_promote_ms);
	EXPECT_EQ(0, set_u32(&self->s, "raftblk60", RAFTBLK_ATTR_AUTO_PROMOTE,
			     1, &ack, &off));

	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_AUTO_PROMOTE, 2, &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS, 99,
				   &ack, &off));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(-ERANGE, set_u32(&self->s, "raftblk60",
				   RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS, 600001,
				   &ack, &off));
	EXPECT_EQ(off, ack.offs);
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(1, d.auto_promote);
	EXPECT_EQ(600000, d.auto_promote_ms);

	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk60", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

TEST_F_TIMEOUT(ev, unprivileged_set_is_refused, 120)
{
	struct rb_ack ack;
	struct rb_dev d;

	ASSERT_EQ(0, create_node(&self->s, &ack)) TH_LOG("%s", ack.msg);
	EXPECT_EQ(0, in_child(unprivileged_set, NULL));
	ASSERT_EQ(0, rb_get(&self->s, "raftblk60", &d, &ack));
	EXPECT_EQ(64, d.max_batch);
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk60", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

/*
 * In a new network namespace: a listener there sees its own device's
 * events and none of the parent's (raftblk61, created by the parent while
 * the child listens, after the child said it is ready on @arg's pipe).
 */
static int other_netns_events(void *arg)
{
	int *pipes = arg;	/* [0]: read "go", [1]: write "ready" */
	struct rb_event e;
	struct rb_sock s;
	struct rb_ack ack;
	char c = 'r';
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET))
		return 10;
	if (rb_open(&s))
		return 11;
	fd = events_open();
	if (fd < 0)
		return 12;
	if (write(pipes[1], &c, 1) != 1 || read(pipes[0], &c, 1) != 1)
		return 13;
	/* The parent created raftblk61 by now: nothing of it here. */
	if (event_next(fd, "raftblk61", &e, 2000) != -ETIMEDOUT)
		ret = 14;
	if (!ret && rb_create(&s, "raftblk62", disk2(), &ack))
		ret = 15;
	if (!ret && (event_next(fd, "raftblk62", &e, 5000) ||
		     e.event != RAFTBLK_EVENT_DEVICE_CREATE))
		ret = 16;
	if (!ret && rb_destroy(&s, "raftblk62", &ack))
		ret = 17;
	if (!ret && (event_next(fd, NULL, &e, 5000) ||
		     e.event != RAFTBLK_EVENT_DEVICE_DESTROY ||
		     strcmp(e.name, "raftblk62")))
		ret = 18;
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(ev, other_namespace_gets_no_events, 120)
{
	int to_child[2], to_parent[2], pipes[2];
	struct rb_event e;
	struct rb_ack ack;
	pid_t pid;
	int status;
	char c;

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pipes[0] = to_child[0];
	pipes[1] = to_parent[1];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_netns_events(pipes));
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, rb_create(&self->s, "raftblk61", disk1(), &ack));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Here: raftblk61's creation, never the child's raftblk62. */
	ASSERT_EQ(0, event_next(self->fd, "raftblk61", &e, 5000));
	EXPECT_EQ(RAFTBLK_EVENT_DEVICE_CREATE, e.event);
	EXPECT_EQ(-ETIMEDOUT, event_next(self->fd, "raftblk62", &e, 1000));
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk61", &ack));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* Create and destroy raftblk63 @arg times (a child process). */
static int churn(void *arg)
{
	int i, n = *(int *)arg;
	struct rb_sock s;
	struct rb_ack ack;

	if (rb_open(&s))
		return 10;
	for (i = 0; i < n; i++) {
		if (rb_create(&s, "raftblk63", disk2(), &ack))
			return 11;
		if (rb_destroy(&s, "raftblk63", &ack))
			return 12;
	}
	return 0;
}

/* What the listener learned about one device id. */
struct seen {
	uint64_t id, last_seq;
	bool exists;
};

/*
 * The listener's rule, with a device created and destroyed many times
 * while it joins, dumps and reads: numbers of every device id run from 1
 * without a gap; the dump's device and position agree with the events
 * (created, not destroyed, up to the position); at the end the device is
 * gone, as it is.
 */
TEST_F_TIMEOUT(ev, dump_position_and_stream_agree_under_churn, 300)
{
	static struct rb_dev devs[MAX_DEVS];
	static struct seen seen[512];
	int rounds = 100, nseen = 0, ndevs, i, status, buf = 8 << 20;
	uint64_t dump_id = 0, dump_seq = 0;
	bool dumped = false, done = false;
	struct rb_event e;
	struct rb_ack ack;
	pid_t pid;

	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf,
				sizeof(buf)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(churn(&rounds));
	while (!done) {
		int ret = event_next(self->fd, "raftblk63", &e, 2000);

		if (ret == -ETIMEDOUT) {
			done = waitpid(pid, &status, WNOHANG) == pid;
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("events lost: %s", strerror(-ret));
		for (i = 0; i < nseen && seen[i].id != e.device_id; i++)
			;
		if (i == nseen) {
			ASSERT_LT(nseen, 512);
			seen[nseen].id = e.device_id;
			seen[nseen].last_seq = 0;
			seen[nseen++].exists = false;
		}
		/* From 1, without gaps: the group was joined before. */
		ASSERT_EQ(seen[i].last_seq + 1, e.seq);
		seen[i].last_seq = e.seq;
		if (e.event == RAFTBLK_EVENT_DEVICE_CREATE) {
			EXPECT_EQ(1, e.seq);
			seen[i].exists = true;
		} else if (e.event == RAFTBLK_EVENT_DEVICE_DESTROY) {
			seen[i].exists = false;
		}
		/* The dump's device: created, not destroyed, up to its seq. */
		if (dumped && dump_id == e.device_id && e.seq == dump_seq)
			EXPECT_TRUE(seen[i].exists);
		if (!dumped && nseen >= rounds / 2) {
			ASSERT_EQ(0, rb_dump(&self->s, "raftblk63", devs, &ndevs,
					     &ack));
			dumped = true;
			if (ndevs == 1) {
				dump_id = devs[0].device_id;
				dump_seq = devs[0].event_seq;
				/*
				 * Listed, so not destroyed yet (destroy
				 * unlists it before its event): only its
				 * create is behind the position.
				 */
				EXPECT_EQ(1, dump_seq);
			}
		}
	}
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(dumped);
	EXPECT_EQ(rounds, nseen);
	for (i = 0; i < nseen; i++) {
		EXPECT_EQ(2, seen[i].last_seq);
		EXPECT_FALSE(seen[i].exists);
		if (seen[i].id == dump_id)
			EXPECT_GE(seen[i].last_seq, dump_seq);
	}
	EXPECT_EQ(-ENODEV, rb_get(&self->s, "raftblk63", &devs[0], &ack));
}

RAFTBLK_HARNESS_MAIN
