// SPDX-License-Identifier: GPL-2.0
/*
 * A three-node raftblk cluster inside one kernel: one network namespace
 * per node (rbstN, eth0 10.77.N.2/24), joined through a hub namespace
 * (rbst0) that routes between them over veth pairs (hubN, 10.77.N.1),
 * each node with its own loop device on a file in /tmp (tmpfs). Every
 * `raftctl create` runs inside its node's namespace, so the transport's
 * sockets live there. Tests:
 *
 *  - followers_refuse_io: followers refuse reads (EIO) and, while the
 *    leader has its device open for writing, opening for write (EROFS:
 *    auto-promote cannot take the leadership);
 *  - leader_cut_off: write on the leader, cut it off (its veth in the hub
 *    set down), a new leader within ELECTION_BOUND seconds, the old
 *    leader refuses I/O and a write issued on it after the cut never
 *    completes successfully, the new leader takes writes, heal, all three
 *    reach the same applied index with identical data areas.
 *
 * Needs raftblk.ko loaded, raftctl, iproute2's ip at /sbin/ip (busybox's
 * lacks netns), losetup, dd and sha256sum (the VM "selftests" scenario).
 * Environment: RAFTBLK_ST_ELECTION_BOUND (seconds a new leader may take,
 * default 30 times RAFTBLK_ST_TIMEOUT_FACTOR: the default election timeout
 * is 1-2 s, TCG is slow and jittery), RAFTCTL (default /sbin/raftctl).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "st_timeout.h"

#define NODES		3
#define PORT		7789
#define DISK_MB		64
#define BLK		4096
#define IP		"/sbin/ip"
#define CMD_MAX		1024
#define OUT_MAX		16384

/* ---- running commands ---- */

static const char *raftctl(void)
{
	const char *r = getenv("RAFTCTL");

	return r ? r : "/sbin/raftctl";
}

static int election_bound(void)
{
	const char *b = getenv("RAFTBLK_ST_ELECTION_BOUND");
	int v = b ? atoi(b) : 0;

	return v > 0 ? v : st_scaled(30);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Run a shell command; its output goes to out (when given, else to
 * /dev/null). Returns the exit code, or -1. A failing command is logged
 * as a "#" line with its output.
 */
static int __attribute__((format(printf, 3, 4)))
run_out(char *out, size_t len, const char *fmt, ...)
{
	char cmd[CMD_MAX], buf[OUT_MAX];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (strlen(cmd) + 6 >= sizeof(cmd))
		return -1;
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < sizeof(buf)) {
		size_t r = fread(buf + n, 1, sizeof(buf) - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	buf[n] = 0;
	while (fread(cmd, 1, sizeof(cmd), p) > 0)	/* drain */
		;
	st = pclose(p);
	st = (st >= 0 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
	if (out)
		snprintf(out, len, "%s", buf);
	return st;
}

#define run(...) run_out(NULL, 0, __VA_ARGS__)

/* run, logging the command and its output when it fails */
#define run_ok(...) ({							\
	char __o[OUT_MAX];						\
	int __r = run_out(__o, sizeof(__o), __VA_ARGS__);		\
	if (__r)							\
		fprintf(stderr, "# command failed (%d): %s\n", __r, __o); \
	__r;								\
})

/* ---- one node ---- */

struct node {
	int id;
	char ns[16];		/* rbstN */
	char dev[16];		/* raftblk7N */
	char file[64];		/* backing file in /tmp */
	char loop[32];		/* /dev/loopK */
};

static void node_init(struct node *n, int id)
{
	n->id = id;
	snprintf(n->ns, sizeof(n->ns), "rbst%d", id);
	snprintf(n->dev, sizeof(n->dev), "raftblk7%d", id);
	snprintf(n->file, sizeof(n->file), "/tmp/rbst%d.img", id);
	n->loop[0] = 0;
}

/* `raftctl status DEV --json` in the node's namespace. */
static int node_status(const struct node *n, char *out, size_t len)
{
	return run_out(out, len, IP " netns exec %s %s status %s --json",
		       n->ns, raftctl(), n->dev);
}

/*
 * The value of "key" in the device's own part of the JSON (before its
 * "peers"), quotes stripped; false when absent.
 */
static bool json_get(const char *json, const char *key, char *val, size_t len)
{
	char pat[64], *end, *p, *buf;
	size_t i = 0;

	buf = strdup(json);
	if (!buf)
		return false;
	end = strstr(buf, "\"peers\"");
	if (end)
		*end = 0;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(buf, pat);
	if (!p) {
		free(buf);
		return false;
	}
	p += strlen(pat);
	while (*p == ' ' || *p == '"')
		p++;
	while (*p && *p != '"' && *p != ',' && *p != '\n' && *p != '}' &&
	       i + 1 < len)
		val[i++] = *p++;
	val[i] = 0;
	free(buf);
	return i > 0;
}

static bool node_get(const struct node *n, const char *key, char *val,
		     size_t len)
{
	char out[OUT_MAX];

	if (node_status(n, out, sizeof(out)))
		return false;
	return json_get(out, key, val, len);
}

static bool node_is(const struct node *n, const char *role)
{
	char v[32];

	return node_get(n, "role", v, sizeof(v)) && !strcmp(v, role);
}

static long long node_num(const struct node *n, const char *key,
			  const char *alt)
{
	char v[32];

	if (node_get(n, key, v, sizeof(v)) ||
	    (alt && node_get(n, alt, v, sizeof(v))))
		return atoll(v);
	return -1;
}

static long long node_applied(const struct node *n)
{
	return node_num(n, "applied_index", "applied");
}

static long long node_commit(const struct node *n)
{
	return node_num(n, "commit_index", "commit");
}

/* The node's whole status, as "#" lines: what a failed wait saw. */
static void node_log_status(const struct node *n)
{
	char out[OUT_MAX], *line, *save = NULL;

	if (node_status(n, out, sizeof(out))) {
		fprintf(stderr, "# node %d: no status: %s\n", n->id, out);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "# node %d: %s\n", n->id, line);
}

/* Poll cond until true or secs pass; returns the seconds it took or -1. */
#define wait_until(secs, cond) ({					\
	double __t0 = now(), __r = -1;					\
	for (;;) {							\
		if (cond) {						\
			__r = now() - __t0;				\
			break;						\
		}							\
		if (now() - __t0 > (secs))				\
			break;						\
		usleep(200000);						\
	}								\
	__r;								\
})

/* ---- block I/O ---- */

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = seed >> 16;
	}
}

/* O_DIRECT pwrite/pread of len bytes at off; 0 or -errno. */
static int dio(const char *path, bool write, off_t off, size_t len,
	       unsigned int seed)
{
	unsigned char *buf, *want = NULL;
	int fd, ret = 0;
	ssize_t r;

	if (posix_memalign((void **)&buf, BLK, len))
		return -ENOMEM;
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (write) {
		fill(buf, len, seed);
		r = pwrite(fd, buf, len, off);
	} else {
		r = pread(fd, buf, len, off);
	}
	if (r < 0)
		ret = -errno;
	else if ((size_t)r != len)
		ret = -EIO;
	if (!ret && !write && seed) {
		want = malloc(len);
		if (!want) {
			ret = -ENOMEM;
		} else {
			fill(want, len, seed);
			if (memcmp(buf, want, len))
				ret = -EILSEQ;	/* read back other data */
		}
	}
	close(fd);
out:
	free(want);
	free(buf);
	return ret;
}

/* open(O_WRONLY) must fail: returns -errno, or 0 if it was allowed. */
static int open_for_write(const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* sha256 of the data area of the node's loop device (from its superblock). */
static int data_sha(const struct node *n, char *sha, size_t len)
{
	uint64_t off, size;
	unsigned char *sb;
	char out[256];
	int fd, ret;

	if (posix_memalign((void **)&sb, BLK, BLK))
		return -ENOMEM;
	fd = open(n->loop, O_RDONLY | O_DIRECT);
	if (fd < 0 || pread(fd, sb, BLK, 0) != BLK) {
		if (fd >= 0)
			close(fd);
		free(sb);
		return -EIO;
	}
	close(fd);
	/* magic, data_off and data_size, little endian (on-disk-format.rst) */
	ret = memcmp(sb, "RAFTBLK\001", 8);
	memcpy(&off, sb + 88, 8);
	memcpy(&size, sb + 96, 8);
	free(sb);
	if (ret || !size)
		return -EINVAL;
	ret = run_out(out, sizeof(out),
		      "dd if=%s bs=1M iflag=direct,skip_bytes,count_bytes skip=%llu count=%llu 2>/dev/null | sha256sum",
		      n->loop, (unsigned long long)off,
		      (unsigned long long)size);
	if (ret)
		return -EIO;
	snprintf(sha, len, "%.64s", out);
	return strlen(sha) == 64 ? 0 : -EIO;
}

static char *devpath(const struct node *n, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/%s", n->dev);
	return buf;
}

/* ---- the cluster ---- */

static void topology_down(void)
{
	int i;

	for (i = 0; i <= NODES; i++)
		run(IP " netns del rbst%d", i);
}

static void cluster_down(struct node *nodes)
{
	int i;

	for (i = 0; i < NODES; i++) {
		run(IP " netns exec %s %s destroy %s", nodes[i].ns, raftctl(),
		    nodes[i].dev);
		if (nodes[i].loop[0])
			run("losetup -d %s", nodes[i].loop);
		unlink(nodes[i].file);
	}
	topology_down();
}

/* Namespaces, veths, loop devices, the devices; node 1 bootstraps. */
static int cluster_up(struct node *nodes)
{
	char out[256];
	int i;

	mkdir("/var/run", 0755);
	mkdir("/var/run/netns", 0755);
	topology_down();
	if (run_ok(IP " netns add rbst0") ||
	    run_ok(IP " netns exec rbst0 sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'") ||
	    run_ok(IP " -n rbst0 link set lo up"))
		return -1;
	for (i = 0; i < NODES; i++) {
		struct node *n = &nodes[i];
		int id = n->id;

		if (run_ok(IP " netns add %s", n->ns) ||
		    run_ok(IP " link add hub%d netns rbst0 type veth peer name eth0 netns %s",
			   id, n->ns) ||
		    run_ok(IP " -n rbst0 addr add 10.77.%d.1/24 dev hub%d", id, id) ||
		    run_ok(IP " -n rbst0 link set hub%d up", id) ||
		    run_ok(IP " -n %s link set lo up", n->ns) ||
		    run_ok(IP " -n %s addr add 10.77.%d.2/24 dev eth0", n->ns, id) ||
		    run_ok(IP " -n %s link set eth0 up", n->ns) ||
		    run_ok(IP " -n %s route add default via 10.77.%d.1", n->ns, id))
			return -1;
		if (run_ok("dd if=/dev/zero of=%s bs=1M count=0 seek=%d",
			   n->file, DISK_MB))
			return -1;
		if (run_out(out, sizeof(out), "losetup -f") || out[0] != '/')
			return -1;
		out[strcspn(out, "\n")] = 0;
		if (strlen(out) >= sizeof(n->loop))
			return -1;
		memcpy(n->loop, out, strlen(out) + 1);
		if (run_ok("losetup %s %s", n->loop, n->file)) {
			n->loop[0] = 0;
			return -1;
		}
		if (run_ok(IP " netns exec %s %s create %s --disk %s --node-id %d --listen 10.77.%d.2:%d%s",
			   n->ns, raftctl(), n->dev, n->loop, id, id, PORT,
			   id == 1 ? " --bootstrap" : ""))
			return -1;
	}
	/* every node reaches every other */
	for (i = 2; i <= NODES; i++)
		if (run_ok(IP " netns exec rbst1 ping -c 1 -W 5 10.77.%d.2", i))
			return -1;
	return 0;
}

/*
 * Nodes 2 and 3 were added and promoted: followers (a learner reports
 * "learner") that have seen committed entries (a node nobody added has
 * commit 0).
 */
static bool voters(const struct node *nodes)
{
	int i;

	for (i = 1; i < NODES; i++)
		if (!node_is(&nodes[i], "follower") || node_commit(&nodes[i]) <= 0)
			return false;
	return true;
}

/* index of the leader among nodes, or -1 */
static int find_leader(const struct node *nodes, int skip)
{
	int i;

	for (i = 0; i < NODES; i++)
		if (i != skip && node_is(&nodes[i], "leader"))
			return i;
	return -1;
}

FIXTURE(cluster) {
	struct node n[NODES];
};

/*
 * The harness runs the teardown only after a setup that completed: a
 * failing setup cleans up itself, so that the next test starts clean.
 */
FIXTURE_SETUP(cluster)
{
	const char *why = NULL;
	double t = -1;
	int i;

	for (i = 0; i < NODES; i++)
		node_init(&self->n[i], i + 1);
	if (cluster_up(self->n))
		why = "setting up namespaces, loop devices and devices failed";
	if (!why && wait_until(election_bound(), node_is(&self->n[0], "leader")) < 0)
		why = "node 1 did not lead its one-node cluster";
	for (i = 2; !why && i <= NODES; i++)
		if (run_ok(IP " netns exec rbst1 %s peer add %s %d 10.77.%d.2:%d",
			   raftctl(), self->n[0].dev, i, i, PORT))
			why = "peer add failed";
	if (!why) {
		t = wait_until(st_scaled(180), voters(self->n));
		if (t < 0)
			why = "nodes 2 and 3 did not become voters";
	}
	if (why)
		cluster_down(self->n);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	TH_LOG("cluster up: nodes 2 and 3 voters after %.1f s", t);
}

FIXTURE_TEARDOWN(cluster)
{
	cluster_down(self->n);
}

TEST_F_TIMEOUT(cluster, followers_refuse_io, 300)
{
	char p[32];
	int i, fd;

	ASSERT_EQ(0, dio(devpath(&self->n[0], p, sizeof(p)), true, 0, BLK, 1));
	/*
	 * The leader holds its device open for writing: a follower's open
	 * cannot take the leadership (auto-promote, on by default) and
	 * fails with EROFS, as it does without auto-promote.
	 */
	fd = open(p, O_WRONLY);
	ASSERT_GE(fd, 0);
	for (i = 1; i < NODES; i++) {
		EXPECT_GE(wait_until(st_scaled(30),
				     node_is(&self->n[i], "follower")), 0);
		devpath(&self->n[i], p, sizeof(p));
		EXPECT_EQ(-EIO, dio(p, false, 0, BLK, 0))
			TH_LOG("node %d: a read on a follower", i + 1);
		EXPECT_EQ(-EROFS, open_for_write(p))
			TH_LOG("node %d: opening a follower for write", i + 1);
		EXPECT_TRUE(node_is(&self->n[i], "follower"));
	}
	close(fd);
	EXPECT_TRUE(node_is(&self->n[0], "leader"));
}

TEST_F_TIMEOUT(cluster, leader_cut_off, 600)
{
	struct node *n = self->n;
	char p[32], sha[NODES][80];
	long long commit, applied;
	int bound = election_bound();
	int nl = -1, i, st = 0;
	pid_t stale;
	double t;

	/* write on the leader */
	devpath(&n[0], p, sizeof(p));
	ASSERT_EQ(0, dio(p, true, 0, 256 * 1024, 11));
	ASSERT_EQ(0, dio(p, false, 0, 256 * 1024, 11));

	/* cut it off */
	ASSERT_EQ(0, run_ok(IP " -n rbst0 link set hub1 down"));
	t = now();
	/* a write on the cut-off leader must never complete successfully */
	stale = fork();
	ASSERT_GE(stale, 0);
	if (!stale)
		_exit(dio(p, true, 1024 * 1024, BLK, 99) ? 0 : 1);

	ASSERT_GE(wait_until(bound, (nl = find_leader(n, 0)) >= 0), 0)
		TH_LOG("no new leader among nodes 2 and 3 within %d s", bound);
	TH_LOG("node %d leads %.1f s after the cut (bound %d s)", nl + 1,
	       now() - t, bound);

	/* the old leader steps down and refuses I/O */
	EXPECT_GE(wait_until(bound, !node_is(&n[0], "leader")), 0)
		TH_LOG("the cut-off node 1 still says it leads");
	EXPECT_EQ(-EIO, dio(p, false, 0, BLK, 0));
	EXPECT_EQ(-EROFS, open_for_write(p));

	/* the new leader takes writes and has the old ones */
	devpath(&n[nl], p, sizeof(p));
	EXPECT_EQ(0, dio(p, false, 0, 256 * 1024, 11));
	ASSERT_EQ(0, dio(p, true, 512 * 1024, 256 * 1024, 22));

	/* heal: node 1 rejoins and catches up */
	ASSERT_EQ(0, run_ok(IP " -n rbst0 link set hub1 up"));
	commit = node_commit(&n[nl]);
	ASSERT_GT(commit, 0);
	for (i = 0; i < NODES; i++) {
		EXPECT_GE(wait_until(st_scaled(120),
				     node_applied(&n[i]) == commit), 0) {
			TH_LOG("node %d applied %lld, leader's commit %lld",
			       i + 1, node_applied(&n[i]), commit);
			node_log_status(&n[i]);
			node_log_status(&n[nl]);
		}
	}
	EXPECT_GE(wait_until(bound, node_is(&n[0], "follower")), 0);

	/*
	 * The write issued on node 1 after the cut may fail at once or wait
	 * while node 1 is cut off; once it is back it must have failed.
	 */
	EXPECT_GE(wait_until(bound, waitpid(stale, &st, WNOHANG) == stale), 0) {
		TH_LOG("the write on the cut-off leader still hangs after the heal");
		kill(stale, SIGKILL);
		waitpid(stale, &st, 0);
	}
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("the write on the cut-off leader completed successfully (status %#x)", st);
	EXPECT_EQ(commit, node_commit(&n[nl])) TH_LOG("commit moved: no writes were made");

	/* identical data areas at the same applied index */
	for (i = 0; i < NODES; i++) {
		ASSERT_EQ(0, data_sha(&n[i], sha[i], sizeof(sha[i])));
		applied = node_applied(&n[i]);
		EXPECT_EQ(commit, applied);
		TH_LOG("node %d: applied %lld, data area sha256 %s", i + 1,
		       applied, sha[i]);
	}
	EXPECT_STREQ(sha[0], sha[1]);
	EXPECT_STREQ(sha[0], sha[2]);
	/* the stale write is nowhere */
	EXPECT_EQ(0, dio(p, false, 512 * 1024, 256 * 1024, 22));
	EXPECT_EQ(-EILSEQ, dio(p, false, 1024 * 1024, BLK, 99));
}

RAFTBLK_HARNESS_MAIN
