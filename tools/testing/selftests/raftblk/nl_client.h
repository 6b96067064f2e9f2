/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl_client.h - a minimal generic netlink client of the raftblk family for
 * the selftests: raw messages (no libnl), so requests raftctl would never
 * send can be made, acks with their extended-ack message, offset, missing
 * attribute and policy, and DEVICE_GET replies parsed into struct rb_dev.
 * Include after kselftest_harness.h and the system headers it needs.
 */
#ifndef RAFTBLK_SELFTEST_NL_CLIENT_H
#define RAFTBLK_SELFTEST_NL_CLIENT_H

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
	uint32_t max_batch, read_mode;
	bool has_resync_rate;
	uint64_t resync_rate;
	bool has_auto_promote;
	uint32_t auto_promote, auto_promote_ms;
	/* Position in the device's event stream: */
	uint64_t device_id, event_seq;
};

static inline const char *disk1(void)
{
	const char *d = getenv("RAFTBLK_TEST_DISK");

	return d ? d : "/dev/vda";
}

static inline const char *disk2(void)
{
	const char *d = getenv("RAFTBLK_TEST_DISK2");

	return d ? d : "/dev/vdb";
}

static inline struct nlattr *attr_next(struct nlattr *a, int *rem)
{
	int len = NLA_ALIGN(a->nla_len);

	*rem -= len;
	return (struct nlattr *)((char *)a + len);
}

static inline bool attr_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

static inline void *attr_data(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline void msg_init(struct rb_msg *m, struct rb_sock *s, uint8_t cmd,
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
static inline int msg_put(struct rb_msg *m, uint16_t type, const void *data,
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

static inline int msg_put_str(struct rb_msg *m, uint16_t type, const char *s)
{
	return msg_put(m, type, s, strlen(s) + 1);
}

static inline int msg_put_u32(struct rb_msg *m, uint16_t type, uint32_t v)
{
	return msg_put(m, type, &v, sizeof(v));
}

static inline int msg_put_u64(struct rb_msg *m, uint16_t type, uint64_t v)
{
	return msg_put(m, type, &v, sizeof(v));
}

/* Start a nest; its length is fixed by msg_nest_end(m, off). */
static inline int msg_nest_start(struct rb_msg *m, uint16_t type)
{
	return msg_put(m, type | NLA_F_NESTED, NULL, 0);
}

static inline void msg_nest_end(struct rb_msg *m, int off)
{
	struct nlattr *a = (struct nlattr *)((char *)m + off);

	a->nla_len = m->n.nlmsg_len - off;
}

/* An address nest: IPv4 a.b.c.d (host order) and port, either optional. */
static inline int msg_put_addr4(struct rb_msg *m, uint16_t type, uint32_t ip,
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

static inline int sock_send_recv_family(int fd, const char *name)
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
static inline int rb_open(struct rb_sock *s)
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

static inline void parse_ext_ack(struct nlmsghdr *h, struct nlmsgerr *e,
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

static inline void parse_dev(struct nlmsghdr *h, struct rb_dev *d)
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
		case RAFTBLK_ATTR_MAX_BATCH:
			d->max_batch = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_READ_MODE:
			d->read_mode = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_RESYNC_RATE:
			d->has_resync_rate = true;
			memcpy(&d->resync_rate, attr_data(a), 8);
			break;
		case RAFTBLK_ATTR_AUTO_PROMOTE:
			d->has_auto_promote = true;
			d->auto_promote = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS:
			d->auto_promote_ms = *(uint32_t *)attr_data(a);
			break;
		case RAFTBLK_ATTR_DEVICE_ID:
			memcpy(&d->device_id, attr_data(a), 8);
			break;
		case RAFTBLK_ATTR_EVENT_SEQ:
			memcpy(&d->event_seq, attr_data(a), 8);
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
static inline int rb_transact(struct rb_sock *s, struct rb_msg *m, struct rb_ack *ack,
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

static inline int rb_create(struct rb_sock *s, const char *name, const char *disk,
		     struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_CREATE, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	msg_put_str(&m, RAFTBLK_ATTR_DISK_PATH, disk);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static inline int rb_destroy(struct rb_sock *s, const char *name, struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	return rb_transact(s, &m, ack, NULL, NULL);
}

static inline int rb_get(struct rb_sock *s, const char *name, struct rb_dev *d,
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
static inline int rb_dump(struct rb_sock *s, const char *name, struct rb_dev *devs,
		   int *n, struct rb_ack *ack)
{
	struct rb_msg m;

	msg_init(&m, s, RAFTBLK_CMD_DEVICE_GET, NLM_F_DUMP);
	if (name)
		msg_put_str(&m, RAFTBLK_ATTR_NAME, name);
	return rb_transact(s, &m, ack, devs, n);
}

static inline bool dump_has(struct rb_sock *s, const char *name)
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

static inline uint64_t disk_bytes(const char *path)
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
static inline bool disk_free(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Run @fn in a child process; its exit status (0 = all its checks held). */
static inline int in_child(int (*fn)(void *), void *arg)
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

/* Zero the first MiB of @path: no raftblk superblock (a blank disk). */
static inline int wipe(const char *path)
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

#endif /* RAFTBLK_SELFTEST_NL_CLIENT_H */
