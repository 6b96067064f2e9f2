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
#include "st_timeout.h"
#include "nl_client.h"

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
	/* 8, and one io-stats nest per kind of request */
	EXPECT_EQ(8 + RAFTBLK_IO_OP_DISCARD + 1, d.nattrs);

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

static int leader_transfer_force(struct rb_sock *s, const char *name,
				 uint32_t id, bool force, struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_LEADER_TRANSFER, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	msg_put_u32(&m, RAFTBLK_ATTR_NODE_ID, id);
	if (force)
		msg_put(&m, RAFTBLK_ATTR_FORCE, NULL, 0);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static int leader_transfer(struct rb_sock *s, const char *name, uint32_t id,
			   struct rb_ack *ack)
{
	return leader_transfer_force(s, name, id, false, ack);
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

	return e ? atoi(e) : st_scaled(60);
}

TEST_F_TIMEOUT(nl, replicated_device, 300)
{
	struct rb_msg m;
	struct rb_ack ack;
	struct rb_dev d;
	int off, i, fd, rfd;

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
	/*
	 * Open for writing here (as a mount is): a transfer is refused,
	 * unless forced (which then fails on node 9 as above); a read-only
	 * open does not count, and neither does the writer once closed.
	 */
	fd = open("/dev/raftblk50", O_WRONLY);
	ASSERT_LE(0, fd);
	rfd = open("/dev/raftblk50", O_RDONLY);
	ASSERT_LE(0, rfd);
	EXPECT_EQ(-EBUSY, leader_transfer(&self->s, "raftblk50", 9, &ack));
	EXPECT_STREQ("the device is open for writing here (mounted?): close it first, or force",
		     ack.msg);
	EXPECT_EQ(-EINVAL, leader_transfer_force(&self->s, "raftblk50", 9,
						 true, &ack));
	EXPECT_STREQ("leader transfer refused", ack.msg);
	close(fd);
	EXPECT_EQ(-EINVAL, leader_transfer(&self->s, "raftblk50", 9, &ack));
	EXPECT_STREQ("leader transfer refused", ack.msg);
	close(rfd);
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

/* SNAPSHOT_CREATE of @snap on @name; @cow 0: no COW size attribute. */
static int snapshot_create(struct rb_sock *s, const char *name,
			   const char *snap, uint64_t cow, int *snap_off,
			   struct rb_ack *ack)
{
	struct rb_msg m;
	int off;

	msg_init(&m, s, RAFTBLK_CMD_SNAPSHOT_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	off = msg_put_str(&m, RAFTBLK_ATTR_SNAPSHOT_NAME, snap);
	if (snap_off)
		*snap_off = off;
	if (cow) {
		off = msg_put_u64(&m, RAFTBLK_ATTR_SNAPSHOT_COW_SIZE, cow);
		if (snap_off)
			*snap_off = off;
	}
	return rb_transact(s, &m, ack, NULL, NULL);
}

TEST_F_TIMEOUT(nl, snapshot_commands_are_validated, 300)
{
	static const char *const bad[] = {
		"", "../x", "-x", ".x", "a/b", "a b", "x\n",
	};
	char long_name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 2];
	struct rb_msg m;
	struct rb_ack ack;
	struct rb_dev d;
	size_t i;
	int off;

	EXPECT_EQ(-ENODEV, snapshot_create(&self->s, "raftblk59", "s", 0,
					   NULL, &ack));
	EXPECT_STREQ("device does not exist", ack.msg);
	ASSERT_EQ(0, rb_create(&self->s, "raftblk50", disk1(), &ack));
	EXPECT_EQ(-EOPNOTSUPP, snapshot_create(&self->s, "raftblk50", "s", 0,
					       NULL, &ack));
	EXPECT_STREQ("device is not replicated", ack.msg);
	ASSERT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));

	/* A pool needs a node id, and an absolute path. */
	msg_init(&m, &self->s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk1());
	off = msg_put_str(&m, RAFTBLK_ATTR_SNAPSHOT_POOL, disk2());
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("replication options need a node id", ack.msg);
	ASSERT_EQ(0, wipe(disk1()));
	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	msg_put(&m, RAFTBLK_ATTR_BOOTSTRAP, NULL, 0);
	off = msg_put_str(&m, RAFTBLK_ATTR_SNAPSHOT_POOL, "vdc");
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("snapshot pool path must be absolute", ack.msg);
	EXPECT_FALSE(dump_has(&self->s, "raftblk50"));
	EXPECT_TRUE(disk_free(disk1()));

	/* A one-node cluster without a pool. */
	ASSERT_EQ(0, wipe(disk1()));
	msg_create_node(&m, &self->s);
	msg_put_addr4(&m, RAFTBLK_ATTR_LISTEN, LOOPBACK, TEST_PORT, true, true);
	msg_put(&m, RAFTBLK_ATTR_BOOTSTRAP, NULL, 0);
	ASSERT_EQ(0, rb_transact(&self->s, &m, &ack, NULL, NULL))
		TH_LOG("create: %s", ack.msg);
	ASSERT_TRUE(get_until(&self->s, &d, election_wait(), is_leader));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, snapshot_create(&self->s, "raftblk50",
						   bad[i], 0, &off, &ack))
			TH_LOG("name '%s'", bad[i]);
		EXPECT_EQ(off, ack.offs);
		EXPECT_STREQ("snapshot name: 1 to 47 letters, digits or _.+- starting with a letter or digit",
			     ack.msg);
	}
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	EXPECT_EQ(-EINVAL, snapshot_create(&self->s, "raftblk50", long_name,
					   0, &off, &ack));
	EXPECT_EQ(off, ack.offs);
	EXPECT_EQ(RAFTBLK_SNAPSHOT_NAME_MAXLEN, ack.max_len);
	long_name[RAFTBLK_SNAPSHOT_NAME_MAXLEN] = '\0';
	EXPECT_EQ(-EINVAL, snapshot_create(&self->s, "raftblk50", "s", 4096,
					   &off, &ack));
	EXPECT_EQ(off, ack.offs);
	EXPECT_STREQ("COW size: a multiple of 4 KiB, at least 1 MiB", ack.msg);
	EXPECT_EQ(-EINVAL, snapshot_create(&self->s, "raftblk50", "s",
					   (1 << 20) + 512, &off, &ack));
	EXPECT_EQ(off, ack.offs);

	/* Missing name; an attribute the command does not take. */
	msg_init(&m, &self->s, RAFTBLK_CMD_SNAPSHOT_DELETE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(RAFTBLK_ATTR_SNAPSHOT_NAME, ack.miss_type);
	msg_init(&m, &self->s, RAFTBLK_CMD_SNAPSHOT_DELETE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, "raftblk50");
	msg_put_str(&m, RAFTBLK_ATTR_SNAPSHOT_NAME, "s");
	off = msg_put_u64(&m, RAFTBLK_ATTR_SNAPSHOT_COW_SIZE, 1 << 20);
	EXPECT_EQ(-EINVAL, rb_transact(&self->s, &m, &ack, NULL, NULL));
	EXPECT_EQ(off, ack.offs);

	/*
	 * Valid, on a node without a pool: the entry goes in and is
	 * applied without a snapshot (the device keeps working).
	 */
	EXPECT_EQ(0, snapshot_create(&self->s, "raftblk50", long_name,
				     1 << 20, NULL, &ack))
		TH_LOG("create: %s", ack.msg);
	EXPECT_EQ(0, snapshot_create(&self->s, "raftblk50", "s_1.a+b-c", 0,
				     NULL, &ack))
		TH_LOG("create: %s", ack.msg);
	ASSERT_TRUE(get_until(&self->s, &d, election_wait(), is_leader));
	EXPECT_EQ(0, rb_destroy(&self->s, "raftblk50", &ack));
	EXPECT_EQ(0, wipe(disk1()));
}

RAFTBLK_HARNESS_MAIN
