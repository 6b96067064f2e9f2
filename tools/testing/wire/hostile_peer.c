// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_peer.c - a hostile raftblk peer for the VM tests (issue 9,
 * defects 7 and 8): connects over TCP to a real raftblk node and sends it
 * what a peer must not be able to hurt it with. Frames are built with the
 * real codec (kernel/wire.c, the file that goes into raftblk.ko) through
 * the tests' userspace platform (tools/testing/lib); frames the codec
 * refuses to encode (a term above RAFT_TERM_MAX) are encoded valid, then
 * edited and re-sealed (test_reseal()).
 *
 *   hostile_peer ADDR:PORT NODE_ID CLUSTER ACTION [ARGS...]
 *
 * CLUSTER is the node's cluster id: 32 hex digits, or the path of its
 * backing disk (read from the superblock, O_DIRECT). Actions:
 *
 *   refuse [RECEIVER]        HELLO from node 99 with a cluster id that is
 *                            not the node's, naming RECEIVER (default
 *                            NODE_ID): the node must answer REFUSE with an
 *                            all-zero cluster id, the ids the HELLO named
 *                            echoed back, no byte of its cluster id, and
 *                            close.
 *   term-bomb TERM N TYPE    N connections from node 99 (right cluster),
 *                            each sends one TYPE frame (heartbeat or
 *                            append) carrying term TERM: the node must
 *                            close each connection (bad frame).
 *   entries N COUNT TERM     COUNT APPENDs of N entries (512-byte writes)
 *                            at term TERM from node 99 (TERM below the
 *                            node's: a stale leader): the node must answer
 *                            each with an APPEND_RESP.
 *   send TYPE TERM N         N valid TYPE frames (heartbeat or append
 *                            of one entry) at term TERM from node 99 on
 *                            one connection; 0 if the node kept it open.
 *   flood SECS MIB CONNS TERM
 *                            CONNS connections from nodes 101.. send
 *                            APPENDs of 1 MiB at term TERM as fast as TCP
 *                            takes them, for SECS seconds or MIB MiB per
 *                            connection; MemAvailable is sampled all the
 *                            while. Prints what was sent and the largest
 *                            drop of MemAvailable (KiB).
 *   auth KEYFILE             the node has the shared secret in KEYFILE:
 *                            a HELLO without a secret, a wrong secret, a
 *                            replayed handshake (same nonce, old proof),
 *                            the node's proof reflected back, a replayed
 *                            frame, a frame MACed with the node's own
 *                            direction key, a HEARTBEAT at RAFT_TERM_MAX
 *                            with a forged MAC, an APPEND_RESP in another
 *                            node's name: each refused (REFUSE 6 naming
 *                            nothing) or closed. A connection with the
 *                            secret and a MACed frame stays up (the
 *                            baseline).
 *
 * Exit status: 0 the node behaved, 1 it did not, 2 usage or setup error.
 * One "key=value ..." summary line on stdout; diagnostics on stderr.
 */
#define _GNU_SOURCE	/* memmem, O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "auth_user.h"
#include "wire_testlib.h"
#include "portable.h"

#define HOSTILE_ID	99	/* node id the single-connection attacks use */
#define FLOOD_ID	101	/* first node id of the flood connections */
#define WAIT_MS		20000	/* longest wait for an answer of the node */

static struct sockaddr_storage node_addr;
static socklen_t node_addr_len;
static u64 node_id;
static u8 cluster[RB_WIRE_UUID_LEN];
static struct rb_wire_limits lim;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hostile_peer: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static u64 parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad %s '%s'", what, s);
	return v;
}

static void parse_addr(const char *s)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	size_t hl;

	if (!colon || colon == s)
		die("bad address '%s' (want HOST:PORT)", s);
	hl = colon - s;
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		die("bad address '%s'", s);
	memcpy(host, s, hl);
	host[hl] = 0;
	if (getaddrinfo(host, colon + 1, &hints, &ai))
		die("bad address '%s'", s);
	memcpy(&node_addr, ai->ai_addr, ai->ai_addrlen);
	node_addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

/* 32 hex digits, or a raftblk disk: the cluster id of its superblock. */
static void parse_cluster(const char *s)
{
	static const u8 magic[8] = { 'R', 'A', 'F', 'T', 'B', 'L', 'K', 1 };
	void *sb;
	int fd, i;

	if (strlen(s) == 2 * RB_WIRE_UUID_LEN && s[0] != '/') {
		for (i = 0; i < RB_WIRE_UUID_LEN; i++) {
			unsigned int b;

			if (sscanf(s + 2 * i, "%2x", &b) != 1)
				die("bad cluster id '%s'", s);
			cluster[i] = (u8)b;
		}
		return;
	}
	fd = open(s, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die("cannot open %s: %s", s, strerror(errno));
	if (posix_memalign(&sb, 4096, 4096))
		die("out of memory");
	if (pread(fd, sb, 4096, 0) != 4096)
		die("cannot read the superblock of %s", s);
	close(fd);
	if (memcmp(sb, magic, sizeof(magic)))
		die("%s holds no raftblk superblock", s);
	memcpy(cluster, (u8 *)sb + 24, RB_WIRE_UUID_LEN);
	free(sb);
}

static int connect_node(void)
{
	int fd = socket(node_addr.ss_family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&node_addr, node_addr_len))
		die("connect: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const u8 *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* 0 read, -1 end of stream or error, -2 nothing within timeout_ms. */
static int read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	u8 *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			return -2;
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The node closed the connection within timeout_ms (what it sent is
 * ignored: it may keep a live connection busy with PINGs).
 */
static bool closed_by_node(int fd, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	u8 buf[1];
	int ret;

	do
		ret = read_full(fd, buf, 1, (int)(end - now_ms()));
	while (ret == 0);
	return ret == -1;
}

/*
 * Read one frame: its header into *h, a control frame's content into
 * *c, a RAFT_MSG into *m (release it with rb_wire_msg_release()); the
 * data part is read and dropped. Returns the type, or -1 (closed or
 * bad frame), -2 (timeout).
 */
static int read_frame(int fd, const struct rb_wire_ids *ids, int timeout_ms,
		      struct rb_wire_hdr *h, struct rb_wire_ctl *c,
		      struct raft_msg *m)
{
	u8 hdr[RB_WIRE_HDR_LEN], *meta, skip[65536];
	struct rb_wire_payload_desc *descs = NULL;
	const char *why = "";
	u32 left;
	int ret;

	ret = read_full(fd, hdr, sizeof(hdr), timeout_ms);
	if (ret)
		return ret;
	ret = rb_wire_decode_header(hdr, &lim, ids, h, &why);
	if (ret) {
		fprintf(stderr, "hostile_peer: bad header from the node: %s\n",
			why);
		return -1;
	}
	meta = malloc(h->meta_len ? h->meta_len : 1);
	if (!meta)
		die("out of memory");
	ret = read_full(fd, meta, h->meta_len, timeout_ms);
	if (ret) {
		free(meta);
		return ret;
	}
	if (h->type == RB_WIRE_RAFT_MSG)
		ret = rb_wire_decode_msg(h, meta, &lim, m, &descs, &why);
	else
		ret = rb_wire_decode_ctl(h, meta, c, &why);
	free(meta);
	raft_free(descs);
	if (ret) {
		fprintf(stderr, "hostile_peer: bad %s from the node: %s\n",
			rb_wire_type_name(h->type), why);
		return -1;
	}
	for (left = h->data_len; left;) {
		u32 n = left < sizeof(skip) ? left : sizeof(skip);

		ret = read_full(fd, skip, n, timeout_ms);
		if (ret) {
			if (h->type == RB_WIRE_RAFT_MSG)
				rb_wire_msg_release(m);
			return ret;
		}
		left -= n;
	}
	return h->type;
}

static void ids_of(struct rb_wire_ids *ids, u64 local)
{
	memcpy(ids->cluster, cluster, RB_WIRE_UUID_LEN);
	ids->local = local;
	ids->peer = node_id;
}

/* A connection from node `local` through HELLO / HELLO_ACK. */
static int open_conn(u64 local, u8 cls)
{
	struct rb_wire_ids ids;
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct raft_msg m;
	u8 buf[RB_WIRE_CTL_MAX];
	int fd = connect_node(), len, type;

	ids_of(&ids, local);
	len = rb_wire_encode_hello(&ids, RB_WIRE_HELLO, cls, buf);
	if (len < 0 || write_all(fd, buf, len))
		die("cannot send HELLO");
	type = read_frame(fd, &ids, WAIT_MS, &h, &c, &m);
	if (type == RB_WIRE_RAFT_MSG)
		rb_wire_msg_release(&m);
	if (type != RB_WIRE_HELLO_ACK)
		die("the node did not accept node %" PRIu64 "'s HELLO (%s)",
		    local, type == RB_WIRE_REFUSE ?
		    rb_wire_refuse_name(c.reason) : "no HELLO_ACK");
	return fd;
}

/*
 * The frame (header, meta and data) of m from `local` to the node, in a
 * malloc'ed buffer; *len its length.
 */
static u8 *encode(u64 local, const struct raft_msg *m, size_t *len)
{
	struct rb_wire_ids ids;
	size_t size = rb_wire_msg_size(m), flen;
	const char *why = "";
	u32 dlen, i;
	u8 *buf, *p;

	ids_of(&ids, local);
	if (!size)
		die("message not encodable");
	buf = malloc(size);
	if (!buf || rb_wire_encode_msg(&ids, m, &lim, &test_payload_ops, NULL,
				       buf, size, &flen, &dlen, &why))
		die("cannot encode: %s", why);
	buf = realloc(buf, flen + dlen);
	if (!buf)
		die("out of memory");
	p = buf + flen;
	for (i = 0; i < m->n_entries; i++) {
		const struct raft_payload *pl = m->entries[i].payload;

		if (pl && pl->data_len) {
			memcpy(p, pl->data, pl->data_len);
			p += pl->data_len;
		}
	}
	*len = flen + dlen;
	return buf;
}

/*
 * An APPEND at term with n entries (each a write of data_len bytes, or
 * no payload when 0) after a made-up prev index far beyond any log;
 * flip >= 0: that bit of the data bytes flipped (before the crcs).
 */
static u8 *append_frame_flip(u64 local, u64 term, u32 n, u32 data_len,
			     long flip, size_t *len)
{
	struct raft_msg m = {
		.type = RAFT_MSG_APPEND, .from = local, .to = node_id,
		.term = term, .index = 1ULL << 40, .log_term = term,
	};
	u8 *data = malloc(data_len ? data_len : 1), *frame;
	u64 rng = 0x5eed;
	u32 i;

	m.entries = calloc(n ? n : 1, sizeof(*m.entries));
	if (!data || !m.entries)
		die("out of memory");
	for (i = 0; i < data_len; i++)
		data[i] = (u8)test_rand(&rng);
	if (flip >= 0 && flip < 8L * data_len)
		data[flip / 8] ^= (u8)(1 << (flip % 8));
	m.n_entries = n;
	for (i = 0; i < n; i++) {
		struct raft_entry *e = &m.entries[i];

		e->term = term;
		e->index = m.index + 1 + i;
		e->type = RAFT_ENTRY_NORMAL;
		if (data_len) {
			e->payload = raft_payload_alloc((u64)i * (data_len / 512),
							data_len, 0, data_len,
							data);
			if (!e->payload)
				die("out of memory");
		}
	}
	frame = encode(local, &m, len);
	for (i = 0; i < n; i++)
		if (m.entries[i].payload)
			raft_payload_put(m.entries[i].payload);
	free(m.entries);
	free(data);
	return frame;
}

static u8 *append_frame(u64 local, u64 term, u32 n, u32 data_len,
			size_t *len)
{
	return append_frame_flip(local, term, n, data_len, -1, len);
}

/* ---- refuse ---- */

static int do_refuse(int argc, char **argv)
{
	u64 named = argc > 0 ? parse_u64(argv[0], "receiver") : node_id;
	struct rb_wire_ids ids;
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	u8 buf[RB_WIRE_CTL_MAX], reply[4096], zero[RB_WIRE_UUID_LEN] = { 0 };
	size_t got = 0;
	const char *why = "";
	int fd, len, i, bad = 0;
	long long end;

	ids.local = HOSTILE_ID;
	ids.peer = named;
	for (i = 0; i < RB_WIRE_UUID_LEN; i++)
		ids.cluster[i] = cluster[i] ^ 0xa5;
	fd = connect_node();
	len = rb_wire_encode_hello(&ids, RB_WIRE_HELLO,
				   RB_WIRE_CLASS_CONTROL, buf);
	if (len < 0 || write_all(fd, buf, len))
		die("cannot send HELLO");
	/* Everything until the node closes. */
	end = now_ms() + WAIT_MS;
	while (got < sizeof(reply)) {
		int ret = read_full(fd, reply + got, 1,
				    (int)(end - now_ms()));

		if (ret == -2) {
			fprintf(stderr, "hostile_peer: the node did not close the refused connection\n");
			return 1;
		}
		if (ret)
			break;
		got++;
	}
	close(fd);
	if (got != RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN) {
		fprintf(stderr, "hostile_peer: the node answered %zu bytes, not one REFUSE (%d)\n",
			got, RB_WIRE_HDR_LEN + RB_WIRE_REFUSE_LEN);
		return 1;
	}
	if (rb_wire_decode_header(reply, &lim, &ids, &h, &why) ||
	    h.type != RB_WIRE_REFUSE ||
	    rb_wire_decode_ctl(&h, reply + RB_WIRE_HDR_LEN, &c, &why)) {
		fprintf(stderr, "hostile_peer: the answer is not a valid REFUSE: %s\n",
			why);
		return 1;
	}
	printf("refuse: reason=%s sender=%" PRIu64 " receiver=%" PRIu64
	       " cluster=", rb_wire_refuse_name(c.reason), h.sender,
	       h.receiver);
	for (i = 0; i < RB_WIRE_UUID_LEN; i++)
		printf("%02x", h.cluster[i]);
	printf("\n");
	if (memcmp(h.cluster, zero, sizeof(zero))) {
		fprintf(stderr, "hostile_peer: the REFUSE carries a cluster id\n");
		bad = 1;
	}
	if (memmem(reply, got, cluster, sizeof(cluster))) {
		fprintf(stderr, "hostile_peer: the REFUSE carries the node's cluster id\n");
		bad = 1;
	}
	if (h.sender != named || h.receiver != HOSTILE_ID) {
		fprintf(stderr, "hostile_peer: the REFUSE does not echo the HELLO's ids (%" PRIu64 " -> %" PRIu64 ")\n",
			named, (u64)HOSTILE_ID);
		bad = 1;
	}
	if (named != node_id && (h.sender == node_id ||
				 h.receiver == node_id)) {
		fprintf(stderr, "hostile_peer: the REFUSE names the node's id\n");
		bad = 1;
	}
	if (c.reason != RB_WIRE_REFUSE_CLUSTER &&
	    (named == node_id || c.reason != RB_WIRE_REFUSE_NODE)) {
		fprintf(stderr, "hostile_peer: unexpected reason %s\n",
			rb_wire_refuse_name(c.reason));
		bad = 1;
	}
	return bad;
}

/* ---- term-bomb ---- */

static int do_term_bomb(int argc, char **argv)
{
	u64 term, count, i;
	bool append;
	u8 *frame;
	size_t len;

	if (argc != 3)
		die("term-bomb TERM N heartbeat|append");
	term = parse_u64(argv[0], "term");
	count = parse_u64(argv[1], "count");
	if (!strcmp(argv[2], "append")) {
		append = true;
	} else if (!strcmp(argv[2], "heartbeat")) {
		append = false;
	} else {
		die("term-bomb: type is heartbeat or append");
	}
	if (append) {
		frame = append_frame(HOSTILE_ID, 1, 1, 512, &len);
	} else {
		struct raft_msg m = {
			.type = RAFT_MSG_HEARTBEAT, .from = HOSTILE_ID,
			.to = node_id, .term = 1,
		};

		frame = encode(HOSTILE_ID, &m, &len);
	}
	/* Message record term: meta offset 8. */
	rb_put_le64(frame + RB_WIRE_HDR_LEN + 8, term);
	test_reseal(frame, len);
	for (i = 0; i < count; i++) {
		int fd = open_conn(HOSTILE_ID, append ? RB_WIRE_CLASS_BULK :
				   RB_WIRE_CLASS_CONTROL);

		if (write_all(fd, frame, len) || !closed_by_node(fd, 5000)) {
			fprintf(stderr, "hostile_peer: the node kept connection %" PRIu64 " open after a %s with term %" PRIu64 "\n",
				i + 1, argv[2], term);
			printf("term-bomb: closed=%" PRIu64 " of=%" PRIu64 "\n",
			       i, count);
			close(fd);
			free(frame);
			return 1;
		}
		close(fd);
	}
	printf("term-bomb: closed=%" PRIu64 " of=%" PRIu64 "\n", count, count);
	free(frame);
	return 0;
}

/* ---- entries ---- */

/* The next RAFT_MSG the node sends on fd (other frames skipped). */
static int node_msg(int fd, struct raft_msg *m)
{
	struct rb_wire_ids ids;
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	int type;

	ids_of(&ids, HOSTILE_ID);
	do
		type = read_frame(fd, &ids, WAIT_MS, &h, &c, m);
	while (type > 0 && type != RB_WIRE_RAFT_MSG);
	return type == RB_WIRE_RAFT_MSG ? 0 : -1;
}

static int do_entries(int argc, char **argv)
{
	u64 n, count, term, i;
	int ctl, bulk;
	u8 *frame;
	size_t len;

	if (argc != 3)
		die("entries N COUNT TERM");
	n = parse_u64(argv[0], "entries");
	count = parse_u64(argv[1], "count");
	term = parse_u64(argv[2], "term");
	if (!n || n > lim.max_entries)
		die("entries: 1..%u", lim.max_entries);
	frame = append_frame(HOSTILE_ID, term, (u32)n, 512, &len);
	/* Answers travel on the control connection. */
	ctl = open_conn(HOSTILE_ID, RB_WIRE_CLASS_CONTROL);
	bulk = open_conn(HOSTILE_ID, RB_WIRE_CLASS_BULK);
	for (i = 0; i < count; i++) {
		struct raft_msg m;

		if (write_all(bulk, frame, len) || node_msg(ctl, &m)) {
			fprintf(stderr, "hostile_peer: no answer to APPEND %" PRIu64 " of %" PRIu64 " entries\n",
				i + 1, n);
			printf("entries: answered=%" PRIu64 " of=%" PRIu64 "\n",
			       i, count);
			return 1;
		}
		if (i == 0)
			fprintf(stderr, "hostile_peer: answer: %s term %" PRIu64 " reject %u\n",
				m.type == RAFT_MSG_APPEND_RESP ?
				"APPEND_RESP" : "message", m.term, m.reject);
		rb_wire_msg_release(&m);
	}
	printf("entries: answered=%" PRIu64 " of=%" PRIu64 " frame_bytes=%zu\n",
	       count, count, len);
	close(bulk);
	close(ctl);
	free(frame);
	return 0;
}

/* ---- send ---- */

static int do_send(int argc, char **argv)
{
	u64 term, count, i;
	bool append;
	int ctl, bulk;
	u8 *frame;
	size_t len;

	if (argc != 3)
		die("send heartbeat|append TERM N");
	append = !strcmp(argv[0], "append");
	if (!append && strcmp(argv[0], "heartbeat"))
		die("send: type is heartbeat or append");
	term = parse_u64(argv[1], "term");
	count = parse_u64(argv[2], "count");
	if (append) {
		frame = append_frame(HOSTILE_ID, term, 1, 512, &len);
	} else {
		struct raft_msg m = {
			.type = RAFT_MSG_HEARTBEAT, .from = HOSTILE_ID,
			.to = node_id, .term = term,
		};

		frame = encode(HOSTILE_ID, &m, &len);
	}
	ctl = open_conn(HOSTILE_ID, RB_WIRE_CLASS_CONTROL);
	bulk = open_conn(HOSTILE_ID, RB_WIRE_CLASS_BULK);
	for (i = 0; i < count; i++) {
		if (write_all(append ? bulk : ctl, frame, len)) {
			fprintf(stderr, "hostile_peer: the node closed the connection after %" PRIu64 " frames\n",
				i);
			printf("send: sent=%" PRIu64 " of=%" PRIu64 "\n", i,
			       count);
			return 1;
		}
	}
	/* Still open a second later: every frame was taken as valid. */
	if (closed_by_node(append ? bulk : ctl, 1000)) {
		fprintf(stderr, "hostile_peer: the node closed the connection\n");
		return 1;
	}
	printf("send: sent=%" PRIu64 " of=%" PRIu64 "\n", count, count);
	close(bulk);
	close(ctl);
	free(frame);
	return 0;
}

/* ---- flood ---- */

static long mem_available_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int do_flood(int argc, char **argv)
{
	enum { MAX_CONNS = 8 };
	struct pollfd pfd[MAX_CONNS];
	u64 sent[MAX_CONNS] = { 0 }, want, total = 0;
	size_t off[MAX_CONNS] = { 0 }, len;
	long long start, end, next_sample = 0;
	long before, low, cur;
	u64 secs, conns, term, i, frames = 0;
	u8 *frame, sink[65536];
	int done;

	if (argc != 4)
		die("flood SECS MIB CONNS TERM");
	secs = parse_u64(argv[0], "seconds");
	want = parse_u64(argv[1], "MiB") << 20;
	conns = parse_u64(argv[2], "connections");
	term = parse_u64(argv[3], "term");
	if (!conns || conns > MAX_CONNS)
		die("flood: 1..%d connections", MAX_CONNS);
	/* The frames of every connection are the same bytes but for the
	 * sender id: build one per connection.
	 */
	before = low = mem_available_kib();
	for (i = 0; i < conns; i++) {
		pfd[i].fd = open_conn(FLOOD_ID + i, RB_WIRE_CLASS_BULK);
		fcntl(pfd[i].fd, F_SETFL, O_NONBLOCK);
	}
	{
		u8 *f1 = append_frame(FLOOD_ID, term, 16, 64 << 10, &len);

		frame = malloc(len * conns);
		if (!frame)
			die("out of memory");
		for (i = 0; i < conns; i++) {
			size_t l;
			u8 *f = i ? append_frame(FLOOD_ID + i, term, 16,
						 64 << 10, &l) : f1;

			memcpy(frame + i * len, f, len);
			if (i)
				free(f);
		}
		free(f1);
	}
	start = now_ms();
	end = start + (long long)secs * 1000;
	for (;;) {
		long long t = now_ms();

		if (t >= next_sample) {
			cur = mem_available_kib();
			if (cur >= 0 && cur < low)
				low = cur;
			next_sample = t + 100;
		}
		if (t >= end)
			break;
		done = 1;
		for (i = 0; i < conns; i++) {
			pfd[i].events = POLLIN;
			if (sent[i] < want) {
				pfd[i].events |= POLLOUT;
				done = 0;
			}
		}
		if (done)
			break;
		if (poll(pfd, conns, 100) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < conns; i++) {
			const u8 *f = frame + i * len;
			ssize_t n;

			if (pfd[i].revents & POLLIN) {
				n = recv(pfd[i].fd, sink, sizeof(sink), 0);
				if (n == 0 || (n < 0 && errno != EAGAIN &&
					       errno != EINTR)) {
					fprintf(stderr, "hostile_peer: the node closed flood connection %" PRIu64 "\n",
						i + 1);
					return 1;
				}
			}
			if (!(pfd[i].revents & POLLOUT))
				continue;
			n = send(pfd[i].fd, f + off[i], len - off[i],
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				fprintf(stderr, "hostile_peer: send: %s\n",
					strerror(errno));
				return 1;
			}
			off[i] += n;
			sent[i] += n;
			total += n;
			if (off[i] == len) {
				off[i] = 0;
				frames++;
			}
		}
	}
	cur = mem_available_kib();
	if (cur >= 0 && cur < low)
		low = cur;
	printf("flood: sent_mib=%" PRIu64 " frames=%" PRIu64 " seconds=%.1f conns=%" PRIu64
	       " mem_before_kib=%ld mem_min_kib=%ld mem_drop_kib=%ld\n",
	       total >> 20, frames, (now_ms() - start) / 1000.0, conns,
	       before, low, before - low);
	for (i = 0; i < conns; i++)
		close(pfd[i].fd);
	free(frame);
	return 0;
}

/* ---- auth: a node with a shared secret ---- */

/* One authenticated (or attempted) connection of the hostile peer. */
struct session {
	int fd;
	u64 local;
	u8 cls;
	u8 nd[RB_WIRE_NONCE_LEN], na[RB_WIRE_NONCE_LEN];
	u8 prk[RB_WIRE_MAC_LEN], proof_a[RB_WIRE_MAC_LEN];
	u8 proof_d[RB_WIRE_MAC_LEN], kd[RB_WIRE_MAC_LEN], ka[RB_WIRE_MAC_LEN];
	bool node_ok;		/* the node's proof matches our secret */
	u64 seq;		/* next frame's sequence number */
};

static u8 secret[RB_WIRE_MAC_LEN * 4];
static size_t secret_len;

static void random_bytes(u8 *b, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0 || read(fd, b, n) != (ssize_t)n)
		die("cannot read /dev/urandom");
	close(fd);
}

/*
 * HELLO (AUTH) and CHALLENGE from s->local with nonce s->nd (random
 * unless keep_nonce), the node's HELLO_ACK and RESPONSE read, the values
 * derived with key: 0, or the REFUSE reason, or -1.
 */
static int auth_start(struct session *s, u64 local, u8 cls, const u8 *key,
		      size_t key_len, bool keep_nonce)
{
	struct rb_wire_ids ids;
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct raft_msg m;
	u8 buf[RB_WIRE_CTL_MAX], v[RB_WIRE_MAC_LEN];
	int len, type;

	s->local = local;
	s->cls = cls;
	s->seq = 0;
	if (!keep_nonce)
		random_bytes(s->nd, sizeof(s->nd));
	ids_of(&ids, local);
	s->fd = connect_node();
	len = rb_wire_encode_hello_feat(&ids, RB_WIRE_HELLO, cls,
					RB_WIRE_FEAT_AUTH_P1305, buf);
	if (len < 0 || write_all(s->fd, buf, len))
		die("cannot send HELLO");
	len = rb_wire_encode_auth(&ids, RB_WIRE_AUTH_CHALLENGE, s->nd, NULL,
				  buf);
	if (len < 0 || write_all(s->fd, buf, len))
		die("cannot send CHALLENGE");
	type = read_frame(s->fd, &ids, WAIT_MS, &h, &c, &m);
	if (type == RB_WIRE_REFUSE)
		return c.reason;
	if (type != RB_WIRE_HELLO_ACK ||
	    (c.features & RB_WIRE_FEAT_AUTH_P1305) != RB_WIRE_FEAT_AUTH_P1305)
		return -1;
	type = read_frame(s->fd, &ids, WAIT_MS, &h, &c, &m);
	if (type != RB_WIRE_AUTH || c.auth_step != RB_WIRE_AUTH_RESPONSE)
		return -1;
	memcpy(s->na, c.nonce, sizeof(s->na));
	memcpy(s->proof_a, c.proof, sizeof(s->proof_a));
	if (au_prk(key, key_len, s->nd, s->na, s->prk) ||
	    au_value(s->prk, RB_WIRE_LABEL_ACCEPTOR_PROOF, cluster, local,
		     node_id, cls, v) ||
	    au_value(s->prk, RB_WIRE_LABEL_DIALER_PROOF, cluster, local,
		     node_id, cls, s->proof_d) ||
	    au_value(s->prk, RB_WIRE_LABEL_DIALER_FRAMES, cluster, local,
		     node_id, cls, s->kd) ||
	    au_value(s->prk, RB_WIRE_LABEL_ACCEPTOR_FRAMES, cluster, local,
		     node_id, cls, s->ka))
		die("HMAC failed");
	s->node_ok = !memcmp(v, s->proof_a, sizeof(v));
	return 0;
}

static void auth_send_proof(struct session *s, const u8 *proof)
{
	struct rb_wire_ids ids;
	u8 buf[RB_WIRE_CTL_MAX];
	int len;

	ids_of(&ids, s->local);
	len = rb_wire_encode_auth(&ids, RB_WIRE_AUTH_PROOF, NULL, proof, buf);
	if (len < 0 || write_all(s->fd, buf, len))
		die("cannot send PROOF");
}

/*
 * The node answers REFUSE reason (naming nothing of itself) and closes.
 */
static bool refused_with(struct session *s, u16 reason)
{
	static const u8 zero[RB_WIRE_UUID_LEN];
	struct rb_wire_ids ids;
	struct rb_wire_hdr h;
	struct rb_wire_ctl c;
	struct raft_msg m;
	int type;

	ids_of(&ids, s->local);
	type = read_frame(s->fd, &ids, WAIT_MS, &h, &c, &m);
	if (type == RB_WIRE_RAFT_MSG)
		rb_wire_msg_release(&m);
	return type == RB_WIRE_REFUSE && c.reason == reason &&
	       !memcmp(h.cluster, zero, sizeof(zero)) &&
	       closed_by_node(s->fd, WAIT_MS);
}

/* REFUSE 6: authentication failed. */
static bool refused_auth(struct session *s)
{
	return refused_with(s, RB_WIRE_REFUSE_AUTH);
}

/* A frame and its MAC trailer (key, seq) sent on s. */
static void send_sealed(struct session *s, const u8 *frame, size_t len,
			const u8 *key, u64 seq)
{
	u8 mac[RB_WIRE_FRAME_MAC_LEN];

	if (au_frame_mac(key, seq, frame, len, mac))
		die("frame MAC failed");
	if (write_all(s->fd, frame, len) || write_all(s->fd, mac, sizeof(mac)))
		fprintf(stderr, "hostile_peer: the node closed early\n");
}

static int bad_count;

static void verdict(bool good, const char *what)
{
	fprintf(stderr, "hostile_peer: auth: %s: %s\n", what,
		good ? "as expected" : "NOT as expected");
	if (!good)
		bad_count++;
}

static int do_auth(int argc, char **argv)
{
	u8 wrong[32];
	u8 zero_mac[RB_WIRE_FRAME_MAC_LEN] = { 0 };
	u8 saved_proof[RB_WIRE_MAC_LEN];
	struct raft_msg hb = {
		.type = RAFT_MSG_HEARTBEAT, .from = HOSTILE_ID, .to = node_id,
		.term = 1,	/* stale: the node ignores it */
	};
	struct session s;
	u8 *frame;
	size_t len;
	int fd, ret, expected = 0;
	ssize_t n;

	if (argc != 1)
		die("auth KEYFILE");
	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		die("cannot open %s: %s", argv[0], strerror(errno));
	n = read(fd, secret, sizeof(secret));
	close(fd);
	if (n < 16)
		die("secret too short");
	secret_len = n;

	/* 1. no secret: a plain HELLO */
	{
		struct rb_wire_ids ids;
		u8 buf[RB_WIRE_CTL_MAX];
		int l;

		ids_of(&ids, HOSTILE_ID);
		s.fd = connect_node();
		s.local = HOSTILE_ID;
		l = rb_wire_encode_hello(&ids, RB_WIRE_HELLO,
					 RB_WIRE_CLASS_CONTROL, buf);
		if (l < 0 || write_all(s.fd, buf, l))
			die("cannot send HELLO");
		verdict(refused_auth(&s), "HELLO without a secret refused");
		close(s.fd);
		expected++;
	}
	/* 2. a wrong secret */
	random_bytes(wrong, sizeof(wrong));
	ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, wrong,
			 sizeof(wrong), false);
	verdict(!ret && !s.node_ok, "the node's proof does not match a wrong secret");
	auth_send_proof(&s, s.proof_d);
	verdict(refused_auth(&s), "proof with a wrong secret refused");
	close(s.fd);
	expected++;
	/* 3. the right secret: accepted (the baseline of what follows) */
	ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, secret,
			 secret_len, false);
	verdict(!ret && s.node_ok, "the node proves the secret");
	memcpy(saved_proof, s.proof_d, sizeof(saved_proof));
	auth_send_proof(&s, s.proof_d);
	frame = encode(HOSTILE_ID, &hb, &len);
	send_sealed(&s, frame, len, s.kd, s.seq++);
	verdict(!closed_by_node(s.fd, 1500),
		"with the secret: handshake and a MACed frame accepted");
	/* 4. that frame again (replayed): closed */
	send_sealed(&s, frame, len, s.kd, 0);
	verdict(closed_by_node(s.fd, WAIT_MS), "replayed frame: closed");
	close(s.fd);
	expected++;
	/* 5. a replayed handshake: same HELLO and CHALLENGE, old PROOF */
	ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, secret,
			 secret_len, true);
	verdict(!ret, "second handshake with the same nonce answered");
	auth_send_proof(&s, saved_proof);
	verdict(refused_auth(&s), "replayed PROOF (new acceptor nonce) refused");
	close(s.fd);
	expected++;
	/* 6. the node's own proof reflected back as ours */
	ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, wrong,
			 sizeof(wrong), false);
	auth_send_proof(&s, s.proof_a);
	verdict(!ret && refused_auth(&s), "reflected proof refused");
	close(s.fd);
	expected++;
	/* 7. a frame MACed with the node's own key (reflection) */
	ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, secret,
			 secret_len, false);
	auth_send_proof(&s, s.proof_d);
	send_sealed(&s, frame, len, s.ka, 0);
	verdict(!ret && closed_by_node(s.fd, WAIT_MS),
		"frame MACed with the node's direction key: closed");
	close(s.fd);
	expected++;
	free(frame);
	/* 8. a forged HEARTBEAT at RAFT_TERM_MAX, no valid MAC */
	hb.term = RAFT_TERM_MAX;
	frame = encode(HOSTILE_ID, &hb, &len);
	ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, secret,
			 secret_len, false);
	auth_send_proof(&s, s.proof_d);
	if (write_all(s.fd, frame, len) ||
	    write_all(s.fd, zero_mac, sizeof(zero_mac)))
		fprintf(stderr, "hostile_peer: the node closed early\n");
	verdict(!ret && closed_by_node(s.fd, WAIT_MS),
		"forged HEARTBEAT at RAFT_TERM_MAX: closed");
	close(s.fd);
	expected++;
	free(frame);
	/* 9. an APPEND_RESP in another node's name, MACed by us: the
	 * connection's identity does not match the header's sender.
	 */
	{
		struct raft_msg r = {
			.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = node_id,
			.term = 1, .index = 1ULL << 40,
		};
		struct rb_wire_ids ids;
		u8 buf[RB_WIRE_HDR_LEN + RB_WIRE_MSG_LEN];
		size_t flen;
		u32 dlen;
		const char *why = "";

		ids_of(&ids, 2);
		if (rb_wire_encode_msg(&ids, &r, &lim, NULL, NULL, buf,
				       sizeof(buf), &flen, &dlen, &why))
			die("cannot encode: %s", why);
		ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_CONTROL, secret,
				 secret_len, false);
		auth_send_proof(&s, s.proof_d);
		send_sealed(&s, buf, flen, s.kd, s.seq++);
		verdict(!ret && closed_by_node(s.fd, WAIT_MS),
			"APPEND_RESP as node 2 on node 99's connection: closed");
		close(s.fd);
	}
	/*
	 * 10. APPENDs of 4 KiB of data, each its header and meta part, its
	 * entry tag (nonce, Poly1305 of the data under the cluster's entry
	 * key), the frame MAC over those, then the data: first as it should
	 * be (accepted: the baseline), then data differing by one bit under
	 * a valid header and meta part (its crcs matching the altered
	 * bytes), the good data's tag and a valid frame MAC: only the entry
	 * tag tells.
	 */
	{
		u8 mac[RB_WIRE_FRAME_MAC_LEN], ekey[RB_WIRE_MAC_LEN];
		u8 tag[RB_WIRE_ENTRY_TAG_LEN], *sealed;
		size_t alen, hlen;
		u8 *good = append_frame(HOSTILE_ID, 1, 1, 4096, &len);
		u8 *bad = append_frame_flip(HOSTILE_ID, 1, 1, 4096, 12345,
					    &alen);
		u64 k;

		hlen = len - 4096;
		sealed = malloc(hlen + sizeof(tag));
		random_bytes(tag, RB_WIRE_ENTRY_NONCE_LEN);
		if (!sealed || alen != len || !memcmp(good + hlen, bad + hlen,
						       4096) ||
		    au_entry_key(secret, secret_len, cluster, ekey) ||
		    au_entry_tag(ekey, tag, good + hlen, 4096,
				 tag + RB_WIRE_ENTRY_NONCE_LEN))
			die("cannot make the flipped APPEND");
		ret = auth_start(&s, HOSTILE_ID, RB_WIRE_CLASS_BULK, secret,
				 secret_len, false);
		auth_send_proof(&s, s.proof_d);
		for (k = 0; k < 2; k++) {
			const u8 *data = (k ? bad : good) + hlen;

			/* the header and meta part of the data sent (crcs) */
			memcpy(sealed, k ? bad : good, hlen);
			memcpy(sealed + hlen, tag, sizeof(tag));
			if (au_frame_mac(s.kd, s.seq++, sealed,
					 hlen + sizeof(tag), mac))
				die("frame MAC failed");
			if (write_all(s.fd, sealed, hlen + sizeof(tag)) ||
			    write_all(s.fd, mac, sizeof(mac)) ||
			    write_all(s.fd, data, 4096))
				fprintf(stderr, "hostile_peer: the node closed early\n");
			if (!k)
				verdict(!ret && !closed_by_node(s.fd, 1500),
					"APPEND with its entry tag and frame MAC accepted");
		}
		verdict(!ret && closed_by_node(s.fd, WAIT_MS),
			"APPEND with one payload bit flipped under a valid header, tag and frame MAC: closed");
		close(s.fd);
		expected++;
		free(sealed);
		free(good);
		free(bad);
	}
	/*
	 * 11. a peer of the HMAC-SHA256 frame MAC (AUTH without MAC_P1305,
	 * earlier raftblk): refused as a version mismatch, nothing derived.
	 */
	{
		struct rb_wire_ids ids;
		u8 buf[RB_WIRE_CTL_MAX];
		int l;

		ids_of(&ids, HOSTILE_ID);
		s.fd = connect_node();
		s.local = HOSTILE_ID;
		random_bytes(s.nd, sizeof(s.nd));
		l = rb_wire_encode_hello_feat(&ids, RB_WIRE_HELLO,
					      RB_WIRE_CLASS_CONTROL,
					      RB_WIRE_FEAT_AUTH, buf);
		if (l < 0 || write_all(s.fd, buf, l))
			die("cannot send HELLO");
		l = rb_wire_encode_auth(&ids, RB_WIRE_AUTH_CHALLENGE, s.nd,
					NULL, buf);
		if (l < 0 || write_all(s.fd, buf, l))
			fprintf(stderr, "hostile_peer: the node closed early\n");
		verdict(refused_with(&s, RB_WIRE_REFUSE_VERSION),
			"a peer of the old HMAC frame MAC refused (version mismatch)");
		close(s.fd);
		expected++;
	}
	printf("auth: attacks=11 auth_failures_expected=%d not_as_expected=%d\n",
	       expected, bad_count);
	return bad_count ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 5) {
		fprintf(stderr, "usage: hostile_peer ADDR:PORT NODE_ID CLUSTER ACTION [ARGS...]\n"
			"  actions: refuse [RECEIVER] | term-bomb TERM N heartbeat|append |\n"
			"           entries N COUNT TERM | send heartbeat|append TERM N |\n"
			"           flood SECS MIB CONNS TERM | auth KEYFILE\n");
		return 2;
	}
	rb_wire_limits_default(&lim);
	parse_addr(argv[1]);
	node_id = parse_u64(argv[2], "node id");
	if (!node_id)
		die("node id 0");
	parse_cluster(argv[3]);
	if (!strcmp(argv[4], "refuse"))
		return do_refuse(argc - 5, argv + 5);
	if (!strcmp(argv[4], "term-bomb"))
		return do_term_bomb(argc - 5, argv + 5);
	if (!strcmp(argv[4], "entries"))
		return do_entries(argc - 5, argv + 5);
	if (!strcmp(argv[4], "send"))
		return do_send(argc - 5, argv + 5);
	if (!strcmp(argv[4], "flood"))
		return do_flood(argc - 5, argv + 5);
	if (!strcmp(argv[4], "auth"))
		return do_auth(argc - 5, argv + 5);
	die("unknown action '%s'", argv[4]);
}
