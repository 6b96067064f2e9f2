// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the device verbs create, destroy and status.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <linux/raftblk.h>
#include "raftctl.h"

const char *role_name(uint32_t role)
{
	static const char *const names[] = RAFTBLK_ROLE_NAMES;

	if (role < sizeof(names) / sizeof(names[0]) && names[role])
		return names[role];
	return "unknown";
}

const char *peer_role_name(uint32_t role)
{
	switch (role) {
	case RAFTBLK_PEER_ROLE_VOTER:
		return "voter";
	case RAFTBLK_PEER_ROLE_LEARNER:
		return "learner";
	default:
		return "unknown";
	}
}

const char *peer_state_name(uint32_t state)
{
	switch (state) {
	case RAFTBLK_PEER_STATE_DISCONNECTED:
		return "disconnected";
	case RAFTBLK_PEER_STATE_CONNECTING:
		return "connecting";
	case RAFTBLK_PEER_STATE_CONNECTED:
		return "connected";
	case RAFTBLK_PEER_STATE_UNREACHABLE:
		return "unreachable";
	default:
		return "unknown";
	}
}

const char *read_mode_name(uint32_t mode)
{
	switch (mode) {
	case RAFTBLK_READ_MODE_READINDEX:
		return "readindex";
	case RAFTBLK_READ_MODE_LEASE:
		return "lease";
	default:
		return "unknown";
	}
}

const char *resync_dir_name(uint32_t dir)
{
	switch (dir) {
	case RAFTBLK_RESYNC_DIR_SEND:
		return "send";
	case RAFTBLK_RESYNC_DIR_RECEIVE:
		return "receive";
	default:
		return "unknown";
	}
}

const char *resync_kind_name(uint32_t kind)
{
	switch (kind) {
	case RAFTBLK_RESYNC_KIND_FULL:
		return "full";
	case RAFTBLK_RESYNC_KIND_DELTA:
		return "delta";
	default:
		return "unknown";
	}
}

const char *resync_state_name(uint32_t state)
{
	switch (state) {
	case RAFTBLK_RESYNC_STATE_RUNNING:
		return "running";
	case RAFTBLK_RESYNC_STATE_FINISHED:
		return "finished";
	case RAFTBLK_RESYNC_STATE_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

void format_rate(char *buf, size_t len, uint64_t rate)
{
	char size[24];

	if (!rate) {
		snprintf(buf, len, "dynamic");
		return;
	}
	format_size(size, sizeof(size), rate);
	snprintf(buf, len, "%s/s", size);
}

int resync_parse(struct nlattr *nest, struct resync_info *r)
{
	static struct nla_policy pol[RAFTBLK_RESYNC_ATTR_MAX + 1] = {
		[RAFTBLK_RESYNC_ATTR_PEER] = { .type = NLA_U32 },
		[RAFTBLK_RESYNC_ATTR_DIRECTION] = { .type = NLA_U32 },
		[RAFTBLK_RESYNC_ATTR_KIND] = { .type = NLA_U32 },
		[RAFTBLK_RESYNC_ATTR_STATE] = { .type = NLA_U32 },
		[RAFTBLK_RESYNC_ATTR_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_RESYNC_ATTR_BASE] = { .type = NLA_U64 },
		[RAFTBLK_RESYNC_ATTR_DONE] = { .type = NLA_U64 },
		[RAFTBLK_RESYNC_ATTR_TOTAL] = { .type = NLA_U64 },
		[RAFTBLK_RESYNC_ATTR_RATE] = { .type = NLA_U64 },
		[RAFTBLK_RESYNC_ATTR_ETA] = { .type = NLA_U64 },
		[RAFTBLK_RESYNC_ATTR_PACE] = { .type = NLA_U64 },
	};
	struct nlattr *tb[RAFTBLK_RESYNC_ATTR_MAX + 1];

	memset(r, 0, sizeof(*r));
	if (nla_parse_nested(tb, RAFTBLK_RESYNC_ATTR_MAX, nest, pol) ||
	    !tb[RAFTBLK_RESYNC_ATTR_PEER] || !tb[RAFTBLK_RESYNC_ATTR_DONE] ||
	    !tb[RAFTBLK_RESYNC_ATTR_TOTAL])
		return -1;
	r->peer = nla_get_u32(tb[RAFTBLK_RESYNC_ATTR_PEER]);
	if (tb[RAFTBLK_RESYNC_ATTR_DIRECTION])
		r->dir = nla_get_u32(tb[RAFTBLK_RESYNC_ATTR_DIRECTION]);
	if (tb[RAFTBLK_RESYNC_ATTR_KIND])
		r->kind = nla_get_u32(tb[RAFTBLK_RESYNC_ATTR_KIND]);
	if (tb[RAFTBLK_RESYNC_ATTR_STATE])
		r->state = nla_get_u32(tb[RAFTBLK_RESYNC_ATTR_STATE]);
	if (tb[RAFTBLK_RESYNC_ATTR_INDEX])
		r->index = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_INDEX]);
	if (tb[RAFTBLK_RESYNC_ATTR_BASE])
		r->base = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_BASE]);
	r->done = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_DONE]);
	r->total = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_TOTAL]);
	if (tb[RAFTBLK_RESYNC_ATTR_RATE])
		r->rate = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_RATE]);
	if (tb[RAFTBLK_RESYNC_ATTR_ETA])
		r->eta_s = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_ETA]);
	if (tb[RAFTBLK_RESYNC_ATTR_PACE])
		r->pace = nla_get_u64(tb[RAFTBLK_RESYNC_ATTR_PACE]);
	return 0;
}

const char *disk_state_name(uint32_t state)
{
	switch (state) {
	case RAFTBLK_DISK_STATE_OK:
		return "ok";
	case RAFTBLK_DISK_STATE_FAILING:
		return "failing";
	case RAFTBLK_DISK_STATE_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

const char *waiting_name(uint32_t waiting)
{
	static const char *const names[] = RAFTBLK_WAITING_NAMES;

	if (waiting < sizeof(names) / sizeof(names[0]) && names[waiting])
		return names[waiting];
	return "unknown";
}

void format_waiting(char *buf, size_t len, uint32_t waiting, uint64_t index)
{
	switch (waiting) {
	case RAFTBLK_WAITING_NONE:
		snprintf(buf, len, "nothing");
		break;
	case RAFTBLK_WAITING_SNAPSHOT:
		snprintf(buf, len, "snapshot install at %" PRIu64, index);
		break;
	case RAFTBLK_WAITING_LOG:
		snprintf(buf, len, "log write up to %" PRIu64, index);
		break;
	case RAFTBLK_WAITING_HARD_STATE:
		snprintf(buf, len, "hard state write");
		break;
	case RAFTBLK_WAITING_RESYNC:
		snprintf(buf, len, "resync from base %" PRIu64, index);
		break;
	default:
		snprintf(buf, len, "%" PRIu32 " at %" PRIu64, waiting, index);
		break;
	}
}

int parse_u32(const char *str, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*str || strspn(str, "0123456789") != strlen(str))
		return -1;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int option_u32(const struct verb *v, const char *option, const char *arg,
	       uint32_t min, uint32_t max, uint32_t *out)
{
	if (parse_u32(arg, min, max, out))
		return usage_error(v, "%s must be %u..%u, not '%s'", option,
				   min, max, arg);
	return EXIT_OK;
}

/* Open the family; on failure print why and return NULL. */
struct rb_nl *open_family(void)
{
	struct rb_error err;
	struct rb_nl *nl = rb_nl_open(&err);

	if (!nl)
		fprintf(stderr, "%s: %s\n", prog,
			err.msg[0] ? err.msg : strerror(err.err));
	return nl;
}

int oom(void)
{
	fprintf(stderr, "%s: out of memory\n", prog);
	return EXIT_ERROR;
}

int optional_name(const struct verb *v, int argc, char **argv,
		  const char **name)
{
	*name = optind < argc ? argv[optind] : NULL;
	if (optind + 1 < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);
	return EXIT_OK;
}

/* Exactly one NAME operand after the options. */
static int one_name(const struct verb *v, int argc, char **argv,
		    const char **name)
{
	if (optind >= argc)
		return usage_error(v, "missing device name");
	if (optind + 1 < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);
	*name = argv[optind];
	return EXIT_OK;
}

int cmd_create(const struct verb *v, int argc, char **argv)
{
	enum { OPT_HEARTBEAT = 256, OPT_ELECTION, OPT_FORCE, OPT_SECRET, OPT_POOL,
	       OPT_READ_MODE };
	static const struct option opts[] = {
		{ "disk", required_argument, NULL, 'd' },
		{ "node-id", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "bootstrap", no_argument, NULL, 'b' },
		{ "heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT },
		{ "election-timeout-ms", required_argument, NULL, OPT_ELECTION },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "secret-file", required_argument, NULL, OPT_SECRET },
		{ "snapshot-pool", required_argument, NULL, OPT_POOL },
		{ "read-mode", required_argument, NULL, OPT_READ_MODE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *disk = NULL, *listen_str = NULL, *why;
	const char *secret_file = NULL;
	struct secret secret = { 0 };
	const char *pool = NULL;
	uint32_t node_id = 0, heartbeat = 0, election = 0;
	bool bootstrap = false, force = false;
	int read_mode = -1;
	struct rb_addr listen;
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	char ctx[128];
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":d:n:l:bh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			disk = optarg;
			break;
		case 'n':
			if (parse_u32(optarg, 1, UINT32_MAX, &node_id))
				return usage_error(v, "--node-id must be a number 1..%u, not '%s'",
						   UINT32_MAX, optarg);
			break;
		case 'l':
			listen_str = optarg;
			why = addr_parse(optarg, &listen);
			if (why)
				return usage_error(v, "bad --listen address '%s': %s (ADDR:PORT or [ADDR6]:PORT)",
						   optarg, why);
			break;
		case 'b':
			bootstrap = true;
			break;
		case OPT_HEARTBEAT:
			ret = option_u32(v, "--heartbeat-ms", optarg,
					 HEARTBEAT_MS_MIN, HEARTBEAT_MS_MAX,
					 &heartbeat);
			if (ret)
				return ret;
			break;
		case OPT_ELECTION:
			ret = option_u32(v, "--election-timeout-ms", optarg,
					 ELECTION_MS_MIN, ELECTION_MS_MAX,
					 &election);
			if (ret)
				return ret;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_SECRET:
			secret_file = optarg;
			break;
		case OPT_POOL:
			if (optarg[0] != '/' ||
			    strlen(optarg) > RAFTBLK_PATH_MAXLEN)
				return usage_error(v, "--snapshot-pool must be an absolute path of at most %d bytes",
						   RAFTBLK_PATH_MAXLEN);
			pool = optarg;
			break;
		case OPT_READ_MODE:
			if (parse_read_mode(optarg, &read_mode))
				return usage_error(v, "--read-mode must be readindex or lease, not '%s'",
						   optarg);
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	ret = one_name(v, argc, argv, &name);
	if (ret)
		return ret;
	if (!disk)
		return usage_error(v, "--disk PATH is required");
	if (!node_id && (listen_str || bootstrap || heartbeat || election ||
			 pool || read_mode >= 0))
		return usage_error(v, "--listen, --bootstrap, --snapshot-pool, --read-mode and the timers need --node-id");
	if (node_id && !listen_str)
		return usage_error(v, "--node-id needs --listen ADDR:PORT");
	if (heartbeat && election && election < 3 * heartbeat)
		return usage_error(v, "--election-timeout-ms must be at least 3 times --heartbeat-ms");
	if (force && !node_id)
		return usage_error(v, "--force needs --node-id (a standalone device formats nothing)");
	if (secret_file && !node_id)
		return usage_error(v, "--secret-file needs --node-id (a standalone device has no peers)");

	snprintf(ctx, sizeof(ctx), "create %s", name);
	if (secret_file) {
		ret = secret_read(ctx, secret_file, &secret);
		if (ret)
			return ret;
	}
	/* A node formats a disk that holds no raftblk log yet. */
	if (node_id && !force) {
		ret = disk_check(ctx, disk);
		if (ret)
			return ret;
	}
	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_CREATE, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name) ||
	    nla_put_string(msg, RAFTBLK_ATTR_DISK_PATH, disk) ||
	    (node_id &&
	     (nla_put_u32(msg, RAFTBLK_ATTR_NODE_ID, node_id) ||
	      addr_put(msg, RAFTBLK_ATTR_LISTEN, &listen))) ||
	    (bootstrap && nla_put_flag(msg, RAFTBLK_ATTR_BOOTSTRAP)) ||
	    (pool && nla_put_string(msg, RAFTBLK_ATTR_SNAPSHOT_POOL, pool)) ||
	    (heartbeat &&
	     nla_put_u32(msg, RAFTBLK_ATTR_HEARTBEAT_MS, heartbeat)) ||
	    (election &&
	     nla_put_u32(msg, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, election)) ||
	    (read_mode >= 0 &&
	     nla_put_u32(msg, RAFTBLK_ATTR_READ_MODE, read_mode)) ||
	    (secret.len &&
	     nla_put(msg, RAFTBLK_ATTR_SECRET, secret.len, secret.key))) {
		secret_clear(&secret);
		nlmsg_free(msg);
		rb_nl_close(nl);
		return oom();
	}
	secret_clear(&secret);
	ret = EXIT_OK;
	if (rb_nl_request(nl, msg, NULL, NULL, &err))
		ret = rb_error_print(ctx, &err);
	rb_nl_close(nl);
	/* its snapshots, for the leader's list (the kernel had none yet) */
	if (ret == EXIT_OK && pool)
		snap_report_refresh(name);
	return ret;
}

int cmd_destroy(const struct verb *v, int argc, char **argv)
{
	const char *name = NULL;
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	char ctx[128];
	int ret;

	ret = parse_no_options(v, argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = one_name(v, argc, argv, &name);
	if (ret)
		return ret;

	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name)) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return oom();
	}
	ret = EXIT_OK;
	if (rb_nl_request(nl, msg, NULL, NULL, &err)) {
		snprintf(ctx, sizeof(ctx), "destroy %s", name);
		ret = rb_error_print(ctx, &err);
	}
	rb_nl_close(nl);
	return ret;
}

static int parse_peer(struct nlattr *nest, struct peer_info *p)
{
	static struct nla_policy pol[RAFTBLK_PEER_ATTR_MAX + 1] = {
		[RAFTBLK_PEER_ATTR_ID] = { .type = NLA_U32 },
		[RAFTBLK_PEER_ATTR_ADDR] = { .type = NLA_NESTED },
		[RAFTBLK_PEER_ATTR_ROLE] = { .type = NLA_U32 },
		[RAFTBLK_PEER_ATTR_MATCH_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_PEER_ATTR_STATE] = { .type = NLA_U32 },
		[RAFTBLK_PEER_ATTR_LAST_HEARD_MS] = { .type = NLA_U32 },
	};
	struct nlattr *tb[RAFTBLK_PEER_ATTR_MAX + 1];

	memset(p, 0, sizeof(*p));
	if (nla_parse_nested(tb, RAFTBLK_PEER_ATTR_MAX, nest, pol) ||
	    !tb[RAFTBLK_PEER_ATTR_ID])
		return -1;
	p->id = nla_get_u32(tb[RAFTBLK_PEER_ATTR_ID]);
	if (tb[RAFTBLK_PEER_ATTR_ADDR] &&
	    addr_get(tb[RAFTBLK_PEER_ATTR_ADDR], &p->addr))
		return -1;
	if (tb[RAFTBLK_PEER_ATTR_ROLE])
		p->role = nla_get_u32(tb[RAFTBLK_PEER_ATTR_ROLE]);
	if (tb[RAFTBLK_PEER_ATTR_MATCH_INDEX])
		p->match_index = nla_get_u64(tb[RAFTBLK_PEER_ATTR_MATCH_INDEX]);
	if (tb[RAFTBLK_PEER_ATTR_STATE])
		p->state = nla_get_u32(tb[RAFTBLK_PEER_ATTR_STATE]);
	if (tb[RAFTBLK_PEER_ATTR_LAST_HEARD_MS]) {
		p->heard = true;
		p->last_heard_ms =
			nla_get_u32(tb[RAFTBLK_PEER_ATTR_LAST_HEARD_MS]);
	}
	return 0;
}

static int parse_counters(struct nlattr *nest, struct dev_counters *c)
{
	struct nlattr *tb[RAFTBLK_COUNTER_ATTR_MAX + 1];
	static const struct {
		int type;
		size_t off;
	} map[] = {
		{ RAFTBLK_COUNTER_ATTR_PROPOSALS,
		  offsetof(struct dev_counters, proposals) },
		{ RAFTBLK_COUNTER_ATTR_COMMITS,
		  offsetof(struct dev_counters, commits) },
		{ RAFTBLK_COUNTER_ATTR_ELECTIONS,
		  offsetof(struct dev_counters, elections) },
		{ RAFTBLK_COUNTER_ATTR_BYTES_SENT,
		  offsetof(struct dev_counters, bytes_sent) },
		{ RAFTBLK_COUNTER_ATTR_BYTES_RECEIVED,
		  offsetof(struct dev_counters, bytes_received) },
		{ RAFTBLK_COUNTER_ATTR_BAD_FRAMES,
		  offsetof(struct dev_counters, bad_frames) },
		{ RAFTBLK_COUNTER_ATTR_RECONNECTS,
		  offsetof(struct dev_counters, reconnects) },
		{ RAFTBLK_COUNTER_ATTR_RX_BYTES,
		  offsetof(struct dev_counters, rx_bytes) },
		{ RAFTBLK_COUNTER_ATTR_RX_BYTES_PEAK,
		  offsetof(struct dev_counters, rx_bytes_peak) },
		{ RAFTBLK_COUNTER_ATTR_RX_PAUSED,
		  offsetof(struct dev_counters, rx_paused) },
		{ RAFTBLK_COUNTER_ATTR_LOG_BYTES,
		  offsetof(struct dev_counters, log_bytes) },
		{ RAFTBLK_COUNTER_ATTR_LOG_BYTES_PEAK,
		  offsetof(struct dev_counters, log_bytes_peak) },
		{ RAFTBLK_COUNTER_ATTR_MEM_COMPACTIONS,
		  offsetof(struct dev_counters, mem_compactions) },
		{ RAFTBLK_COUNTER_ATTR_AUTH_FAILED,
		  offsetof(struct dev_counters, auth_failed) },
		{ RAFTBLK_COUNTER_ATTR_FRAMES_DIRECT,
		  offsetof(struct dev_counters, frames_direct) },
		{ RAFTBLK_COUNTER_ATTR_LOG_AREA_USED,
		  offsetof(struct dev_counters, log_area_used) },
		{ RAFTBLK_COUNTER_ATTR_LOG_AREA_SIZE,
		  offsetof(struct dev_counters, log_area_size) },
		{ RAFTBLK_COUNTER_ATTR_LOG_AREA_WRITTEN,
		  offsetof(struct dev_counters, log_area_written) },
		{ RAFTBLK_COUNTER_ATTR_POOL_PAGES,
		  offsetof(struct dev_counters, pool_pages) },
		{ RAFTBLK_COUNTER_ATTR_POOL_REUSED,
		  offsetof(struct dev_counters, pool_reused) },
		{ RAFTBLK_COUNTER_ATTR_POOL_FRESH,
		  offsetof(struct dev_counters, pool_fresh) },
		{ RAFTBLK_COUNTER_ATTR_POOL_BUSY,
		  offsetof(struct dev_counters, pool_busy) },
		{ RAFTBLK_COUNTER_ATTR_POOL_FULL,
		  offsetof(struct dev_counters, pool_full) },
		{ RAFTBLK_COUNTER_ATTR_POOL_SHRUNK,
		  offsetof(struct dev_counters, pool_shrunk) },
	};
	size_t i;

	memset(c, 0, sizeof(*c));
	if (nla_parse_nested(tb, RAFTBLK_COUNTER_ATTR_MAX, nest, NULL))
		return -1;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct nlattr *a = tb[map[i].type];

		if (!a)
			continue;
		if (nla_len(a) != sizeof(uint64_t))
			return -1;
		*(uint64_t *)((char *)c + map[i].off) = nla_get_u64(a);
	}
	return 0;
}

/* Node id, listen address, timers, peers and counters of a reply. */
static int parse_node(struct nl_msg *reply, struct nlattr **tb,
		      struct dev_info *d)
{
	struct nlmsghdr *nlh = nlmsg_hdr(reply);
	struct nlattr *a;
	int rem;

	if (!tb[RAFTBLK_ATTR_NODE_ID])
		return 0;
	d->has_node = true;
	d->node_id = nla_get_u32(tb[RAFTBLK_ATTR_NODE_ID]);
	if (tb[RAFTBLK_ATTR_LISTEN] &&
	    addr_get(tb[RAFTBLK_ATTR_LISTEN], &d->listen))
		return -1;
	if (tb[RAFTBLK_ATTR_HEARTBEAT_MS])
		d->heartbeat_ms = nla_get_u32(tb[RAFTBLK_ATTR_HEARTBEAT_MS]);
	if (tb[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS])
		d->election_ms =
			nla_get_u32(tb[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS]);
	if (tb[RAFTBLK_ATTR_MAX_BATCH])
		d->max_batch = nla_get_u32(tb[RAFTBLK_ATTR_MAX_BATCH]);
	if (tb[RAFTBLK_ATTR_READ_MODE])
		d->read_mode = nla_get_u32(tb[RAFTBLK_ATTR_READ_MODE]);
	if (tb[RAFTBLK_ATTR_LOG_MEMORY])
		d->log_memory = nla_get_u64(tb[RAFTBLK_ATTR_LOG_MEMORY]);
	if (tb[RAFTBLK_ATTR_LOG_RECORD_BLOCK])
		d->log_record_block =
			nla_get_u32(tb[RAFTBLK_ATTR_LOG_RECORD_BLOCK]);
	if (tb[RAFTBLK_ATTR_AUTO_PROMOTE])
		d->auto_promote = nla_get_u32(tb[RAFTBLK_ATTR_AUTO_PROMOTE]);
	if (tb[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS])
		d->auto_promote_ms =
			nla_get_u32(tb[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS]);
	if (tb[RAFTBLK_ATTR_DISK_STATE])
		d->disk_state = nla_get_u32(tb[RAFTBLK_ATTR_DISK_STATE]);
	if (tb[RAFTBLK_ATTR_WAITING])
		d->waiting = nla_get_u32(tb[RAFTBLK_ATTR_WAITING]);
	if (tb[RAFTBLK_ATTR_WAIT_INDEX])
		d->wait_index = nla_get_u64(tb[RAFTBLK_ATTR_WAIT_INDEX]);
	if (tb[RAFTBLK_ATTR_WAIT_MS])
		d->wait_ms = nla_get_u64(tb[RAFTBLK_ATTR_WAIT_MS]);
	if (tb[RAFTBLK_ATTR_RESYNC_RATE])
		d->resync_rate = nla_get_u64(tb[RAFTBLK_ATTR_RESYNC_RATE]);
	if (tb[RAFTBLK_ATTR_COUNTERS] &&
	    parse_counters(tb[RAFTBLK_ATTR_COUNTERS], &d->counters))
		return -1;
	if (tb[RAFTBLK_ATTR_SECRET_FP] &&
	    nla_len(tb[RAFTBLK_ATTR_SECRET_FP]) == sizeof(d->secret_fp)) {
		d->secret_set = true;
		memcpy(d->secret_fp, nla_data(tb[RAFTBLK_ATTR_SECRET_FP]),
		       sizeof(d->secret_fp));
	}
	if (tb[RAFTBLK_ATTR_SECRET_NEXT_FP] &&
	    nla_len(tb[RAFTBLK_ATTR_SECRET_NEXT_FP]) ==
	    sizeof(d->secret_next_fp)) {
		d->secret_next_set = true;
		memcpy(d->secret_next_fp,
		       nla_data(tb[RAFTBLK_ATTR_SECRET_NEXT_FP]),
		       sizeof(d->secret_next_fp));
	}
	d->secret_next_none = !!tb[RAFTBLK_ATTR_SECRET_NEXT_NONE];
	if (tb[RAFTBLK_ATTR_SNAPSHOT_POOL])
		snprintf(d->snap_pool, sizeof(d->snap_pool), "%s",
			 nla_get_string(tb[RAFTBLK_ATTR_SNAPSHOT_POOL]));
	if (tb[RAFTBLK_ATTR_SNAPSHOT_LAST] &&
	    snap_last_parse(tb[RAFTBLK_ATTR_SNAPSHOT_LAST], &d->snap))
		return -1;
	if (tb[RAFTBLK_ATTR_COPY_INDEX])
		d->copy_index = nla_get_u64(tb[RAFTBLK_ATTR_COPY_INDEX]);
	if (tb[RAFTBLK_ATTR_VERIFY] &&
	    verify_sum_parse(tb[RAFTBLK_ATTR_VERIFY], &d->verify))
		return -1;
	/* PEER, RESYNC repeat: walk the attributes, not the parsed table. */
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) == RAFTBLK_ATTR_RESYNC) {
			if (d->n_resync == MAX_RESYNC ||
			    resync_parse(a, &d->resync[d->n_resync]))
				return -1;
			d->n_resync++;
			continue;
		}
		if (nla_type(a) != RAFTBLK_ATTR_PEER)
			continue;
		if (d->n_peers == MAX_PEERS ||
		    parse_peer(a, &d->peers[d->n_peers]))
			return -1;
		d->n_peers++;
	}
	return 0;
}

/* One RAFTBLK_CMD_DEVICE_GET reply into the list. */
static int on_device(struct nl_msg *reply, void *arg)
{
	static struct nla_policy pol[RAFTBLK_ATTR_MAX + 1] = {
		[RAFTBLK_ATTR_NAME] = { .type = NLA_STRING },
		[RAFTBLK_ATTR_DISK_PATH] = { .type = NLA_STRING },
		[RAFTBLK_ATTR_CAPACITY] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_ROLE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_OPEN_COUNT] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_NODE_ID] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_LISTEN] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_PEER] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_TERM] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_LEADER_ID] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_COMMIT_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_APPLIED_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_HEARTBEAT_MS] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_COUNTERS] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_MAX_BATCH] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_READ_MODE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_DISK_STATE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_WAITING] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_WAIT_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_WAIT_MS] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_LOG_MEMORY] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_AUTO_PROMOTE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_DEVICE_ID] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_EVENT_SEQ] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_RESYNC_RATE] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_RESYNC] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_SECRET_FP] = { .type = NLA_BINARY },
		[RAFTBLK_ATTR_SECRET_NEXT_FP] = { .type = NLA_BINARY },
		[RAFTBLK_ATTR_SNAPSHOT_POOL] = { .type = NLA_STRING },
		[RAFTBLK_ATTR_SNAPSHOT_LAST] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_COPY_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_VERIFY] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_IO_STATS] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_IO_PHASE] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_LOG_RECORD_BLOCK] = { .type = NLA_U32 },
	};
	struct nlattr *tb[RAFTBLK_ATTR_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(reply);
	struct dev_list *l = arg;
	struct dev_info *d, *nv;
	struct nlattr *a;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(reply), 0, tb, RAFTBLK_ATTR_MAX, pol) ||
	    !tb[RAFTBLK_ATTR_NAME]) {
		l->parse_errors++;
		return NL_SKIP;
	}
	nv = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!nv) {
		l->parse_errors++;
		return NL_SKIP;
	}
	l->v = nv;
	d = &l->v[l->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s",
		 nla_get_string(tb[RAFTBLK_ATTR_NAME]));
	if (tb[RAFTBLK_ATTR_DISK_PATH])
		snprintf(d->disk, sizeof(d->disk), "%s",
			 nla_get_string(tb[RAFTBLK_ATTR_DISK_PATH]));
	if (tb[RAFTBLK_ATTR_CAPACITY])
		d->capacity = nla_get_u64(tb[RAFTBLK_ATTR_CAPACITY]);
	if (tb[RAFTBLK_ATTR_ROLE])
		d->role = nla_get_u32(tb[RAFTBLK_ATTR_ROLE]);
	if (tb[RAFTBLK_ATTR_OPEN_COUNT])
		d->open_count = nla_get_u32(tb[RAFTBLK_ATTR_OPEN_COUNT]);
	if (tb[RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE])
		d->block_size =
			nla_get_u32(tb[RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE]);
	if (tb[RAFTBLK_ATTR_DEVICE_ID])
		d->device_id = nla_get_u64(tb[RAFTBLK_ATTR_DEVICE_ID]);
	if (tb[RAFTBLK_ATTR_EVENT_SEQ])
		d->event_seq = nla_get_u64(tb[RAFTBLK_ATTR_EVENT_SEQ]);
	if (tb[RAFTBLK_ATTR_TERM] && tb[RAFTBLK_ATTR_LEADER_ID] &&
	    tb[RAFTBLK_ATTR_COMMIT_INDEX] && tb[RAFTBLK_ATTR_APPLIED_INDEX]) {
		d->replicated = true;
		d->term = nla_get_u64(tb[RAFTBLK_ATTR_TERM]);
		d->leader_id = nla_get_u32(tb[RAFTBLK_ATTR_LEADER_ID]);
		d->commit_index = nla_get_u64(tb[RAFTBLK_ATTR_COMMIT_INDEX]);
		d->applied_index = nla_get_u64(tb[RAFTBLK_ATTR_APPLIED_INDEX]);
	}
	/* IO_STATS, IO_PHASE repeat: walk the attributes, not the parsed table. */
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		if ((nla_type(a) == RAFTBLK_ATTR_IO_STATS ||
		     nla_type(a) == RAFTBLK_ATTR_IO_PHASE) &&
		    io_stats_parse(a, d))
			l->parse_errors++;
	if (parse_node(reply, tb, d))
		l->parse_errors++;
	return NL_OK;
}

/* Lag of a peer: only the leader knows the peers' match indexes. */
bool peer_lag(const struct dev_info *d, const struct peer_info *p,
	      uint64_t *lag)
{
	if (d->role != RAFTBLK_ROLE_LEADER)
		return false;
	*lag = d->commit_index > p->match_index ?
	       d->commit_index - p->match_index : 0;
	return true;
}

void print_peers_table(const struct dev_info *d, const char *indent)
{
	static const char *const hdr[] = {
		"ID", "ADDRESS", "ROLE", "STATE", "MATCH", "LAG", "HEARD",
	};
	struct table *t;
	size_t i;

	if (!d->n_peers) {
		printf("%sno peers\n", indent);
		return;
	}
	t = table_new(7, hdr);
	for (i = 0; i < d->n_peers; i++) {
		const struct peer_info *p = &d->peers[i];
		char id[16], addr[ADDR_STRLEN], match[24], lag[24], heard[32];
		const char *row[7];
		uint64_t l;

		snprintf(id, sizeof(id), "%" PRIu32, p->id);
		addr_format(&p->addr, addr, sizeof(addr));
		snprintf(match, sizeof(match), "%" PRIu64, p->match_index);
		if (peer_lag(d, p, &l))
			snprintf(lag, sizeof(lag), "%" PRIu64, l);
		else
			snprintf(lag, sizeof(lag), "-");
		row[0] = id;
		row[1] = addr;
		row[2] = peer_role_name(p->role);
		row[3] = peer_state_name(p->state);
		row[4] = match;
		row[5] = lag;
		if (p->heard)
			snprintf(heard, sizeof(heard), "%" PRIu32 ".%" PRIu32 "s ago",
				 p->last_heard_ms / 1000,
				 p->last_heard_ms % 1000 / 100);
		else
			snprintf(heard, sizeof(heard), "never");
		row[6] = heard;
		table_add_row(t, row);
	}
	table_print_indented(t, stdout, indent);
	table_free(t);
}

void print_peers_json(const struct dev_info *d, int indent)
{
	size_t i;

	printf("[");
	for (i = 0; i < d->n_peers; i++) {
		const struct peer_info *p = &d->peers[i];
		char addr[ADDR_STRLEN];
		uint64_t l;

		addr_format(&p->addr, addr, sizeof(addr));
		printf("%s\n%*s{\n", i ? "," : "", indent + 2, "");
		printf("%*s\"id\": %" PRIu32 ",\n", indent + 4, "", p->id);
		printf("%*s\"address\": ", indent + 4, "");
		json_string(stdout, addr);
		printf(",\n%*s\"role\": ", indent + 4, "");
		json_string(stdout, peer_role_name(p->role));
		printf(",\n%*s\"state\": ", indent + 4, "");
		json_string(stdout, peer_state_name(p->state));
		printf(",\n%*s\"match_index\": %" PRIu64, indent + 4, "",
		       p->match_index);
		printf(",\n%*s\"lag\": ", indent + 4, "");
		if (peer_lag(d, p, &l))
			printf("%" PRIu64, l);
		else
			printf("null");
		printf(",\n%*s\"last_heard_ms\": ", indent + 4, "");
		if (p->heard)
			printf("%" PRIu32, p->last_heard_ms);
		else
			printf("null");
		printf("\n%*s}", indent + 2, "");
	}
	if (d->n_peers)
		printf("\n%*s", indent, "");
	printf("]");
}

/* Copies of the data area: a table. */
static void print_resync_table(const struct dev_info *d, const char *indent)
{
	static const char *const hdr[] = {
		"RESYNC", "PEER", "KIND", "STATE", "DONE", "TOTAL", "RATE",
		"ETA", "PACED AT",
	};
	struct table *t;
	size_t i;

	if (!d->n_resync)
		return;
	t = table_new(9, hdr);
	for (i = 0; i < d->n_resync; i++) {
		const struct resync_info *r = &d->resync[i];
		char peer[16], done[48], total[32], rsz[24], rate[32];
		char eta[24], psz[24], pace[32];
		const char *row[9];

		snprintf(peer, sizeof(peer), "%" PRIu32, r->peer);
		format_size(total, sizeof(total), r->total);
		format_size(done, sizeof(done), r->done);
		if (r->total)
			snprintf(done + strlen(done), sizeof(done) - strlen(done),
				 " (%d%%)", (int)(r->done * 100 / r->total));
		format_size(rsz, sizeof(rsz), r->rate);
		snprintf(rate, sizeof(rate), "%s/s", rsz);
		if (r->state == RAFTBLK_RESYNC_STATE_RUNNING && r->rate)
			snprintf(eta, sizeof(eta), "%" PRIu64 "s", r->eta_s);
		else
			snprintf(eta, sizeof(eta), "-");
		if (r->pace) {
			format_size(psz, sizeof(psz), r->pace);
			snprintf(pace, sizeof(pace), "%s/s", psz);
		} else {
			snprintf(pace, sizeof(pace), "-");
		}
		row[0] = r->dir == RAFTBLK_RESYNC_DIR_SEND ? "to" : "from";
		row[1] = peer;
		row[2] = resync_kind_name(r->kind);
		row[3] = resync_state_name(r->state);
		row[4] = done;
		row[5] = total;
		row[6] = rate;
		row[7] = eta;
		row[8] = pace;
		table_add_row(t, row);
	}
	table_print_indented(t, stdout, indent);
	table_free(t);
}

static void print_resync_json(const struct dev_info *d, int indent)
{
	size_t i;

	printf("[");
	for (i = 0; i < d->n_resync; i++) {
		const struct resync_info *r = &d->resync[i];

		printf("%s\n%*s{\n", i ? "," : "", indent + 2, "");
		printf("%*s\"peer\": %" PRIu32, indent + 4, "", r->peer);
		printf(",\n%*s\"direction\": ", indent + 4, "");
		json_string(stdout, resync_dir_name(r->dir));
		printf(",\n%*s\"kind\": ", indent + 4, "");
		json_string(stdout, resync_kind_name(r->kind));
		printf(",\n%*s\"state\": ", indent + 4, "");
		json_string(stdout, resync_state_name(r->state));
		printf(",\n%*s\"index\": %" PRIu64, indent + 4, "", r->index);
		printf(",\n%*s\"base\": %" PRIu64, indent + 4, "", r->base);
		printf(",\n%*s\"done_bytes\": %" PRIu64, indent + 4, "",
		       r->done);
		printf(",\n%*s\"total_bytes\": %" PRIu64, indent + 4, "",
		       r->total);
		printf(",\n%*s\"rate\": %" PRIu64, indent + 4, "", r->rate);
		printf(",\n%*s\"eta_s\": ", indent + 4, "");
		if (r->state == RAFTBLK_RESYNC_STATE_RUNNING && r->rate)
			printf("%" PRIu64, r->eta_s);
		else
			printf("null");
		printf(",\n%*s\"pace\": %" PRIu64, indent + 4, "", r->pace);
		printf("\n%*s}", indent + 2, "");
	}
	if (d->n_resync)
		printf("\n%*s", indent, "");
	printf("]");
}

static void format_fp(char *buf, const uint8_t *fp)
{
	int i;

	for (i = 0; i < 8; i++)
		sprintf(buf + 2 * i, "%02x", fp[i]);
}

/* Whether peers authenticate: fingerprints only, never the secret. */
static void print_secret(const struct dev_info *d)
{
	char fp[17], next[17];

	if (!d->secret_set && !d->secret_next_set) {
		printf("  secret none (peers are not authenticated)\n");
		return;
	}
	format_fp(fp, d->secret_fp);
	format_fp(next, d->secret_next_fp);
	printf("  secret %s%s%s%s%s, %" PRIu64 " authentication failures\n",
	       d->secret_set ? fp : "none",
	       d->secret_next_set ? ", also accepted " : "",
	       d->secret_next_set ? next : "",
	       d->secret_next_none ?
	       ", also accepted none (unauthenticated peers)" : "",
	       d->secret_set ? "" : " (not required yet)",
	       d->counters.auth_failed);
}

/* The node part of `status` for a replicated device. */
static void print_node(const struct dev_info *d)
{
	char listen[ADDR_STRLEN], leader[16], rate[32];

	addr_format(&d->listen, listen, sizeof(listen));
	if (d->leader_id)
		snprintf(leader, sizeof(leader), "%" PRIu32, d->leader_id);
	else
		snprintf(leader, sizeof(leader), "none");
	printf("\n%s: node %" PRIu32 ", %s, term %" PRIu64 ", leader %s, commit %"
	       PRIu64 ", applied %" PRIu64 "\n", d->name, d->node_id,
	       role_name(d->role), d->term, leader, d->commit_index,
	       d->applied_index);
	format_rate(rate, sizeof(rate), d->resync_rate);
	printf("  listen %s, heartbeat %" PRIu32 " ms, election timeout %"
	       PRIu32 " ms, max batch %" PRIu32 ", read mode %s, resync rate %s, disk %s\n",
	       listen, d->heartbeat_ms, d->election_ms, d->max_batch,
	       read_mode_name(d->read_mode), rate,
	       disk_state_name(d->disk_state));
	if (d->waiting != RAFTBLK_WAITING_NONE) {
		char what[64];

		format_waiting(what, sizeof(what), d->waiting, d->wait_index);
		printf("  waiting: %s, for %" PRIu64 ".%" PRIu64 " s\n", what,
		       d->wait_ms / 1000, d->wait_ms % 1000 / 100);
	}
	printf("  log memory %.1f MiB (peak %.1f) of %.1f MiB, %" PRIu64
	       " compactions for memory\n",
	       d->counters.log_bytes / 1048576.0,
	       d->counters.log_bytes_peak / 1048576.0,
	       d->log_memory / 1048576.0, d->counters.mem_compactions);
	if (d->log_record_block)
		printf("  log area %.1f MiB used of %.1f MiB, record block %"
		       PRIu32 " B, %.1f MiB written\n",
		       d->counters.log_area_used / 1048576.0,
		       d->counters.log_area_size / 1048576.0,
		       d->log_record_block,
		       d->counters.log_area_written / 1048576.0);
	if (d->auto_promote_ms)
		printf("  auto-promote %s, timeout %" PRIu32 " ms\n",
		       d->auto_promote ? "yes" : "no", d->auto_promote_ms);
	print_secret(d);
	{
		struct snap_view sv;
		char line[256];

		snap_view_load(d, &sv);
		if (d->has_node)
			snap_report_push(d, &sv);
		snap_view_summary(d, &sv, line, sizeof(line));
		printf("  snapshots %s\n", line);
	}
	if (d->verify.valid) {
		char line[256];

		verify_sum_line(&d->verify, line, sizeof(line));
		printf("  verify %s\n", line);
	}
	print_peers_table(d, "  ");
	print_resync_table(d, "  ");
}

static void print_table(const struct dev_list *l)
{
	static const char *const hdr[] = {
		"NAME", "ROLE", "DISK", "SIZE", "OPEN",
	};
	struct table *t;
	char size[32], open[16];
	size_t i;

	if (!l->n)
		return;
	t = table_new(5, hdr);
	for (i = 0; i < l->n; i++) {
		const struct dev_info *d = &l->v[i];
		const char *row[5];

		format_size(size, sizeof(size), d->capacity);
		snprintf(open, sizeof(open), "%" PRIu32, d->open_count);
		row[0] = d->name;
		row[1] = role_name(d->role);
		row[2] = d->disk;
		row[3] = size;
		row[4] = open;
		table_add_row(t, row);
	}
	table_print(t, stdout);
	table_free(t);
	for (i = 0; i < l->n; i++)
		if (l->v[i].has_node)
			print_node(&l->v[i]);
}

static void print_counters_json(const struct dev_counters *c)
{
	printf("{\n        \"proposals\": %" PRIu64, c->proposals);
	printf(",\n        \"commits\": %" PRIu64, c->commits);
	printf(",\n        \"elections\": %" PRIu64, c->elections);
	printf(",\n        \"bytes_sent\": %" PRIu64, c->bytes_sent);
	printf(",\n        \"bytes_received\": %" PRIu64, c->bytes_received);
	printf(",\n        \"bad_frames\": %" PRIu64, c->bad_frames);
	printf(",\n        \"reconnects\": %" PRIu64, c->reconnects);
	printf(",\n        \"rx_bytes\": %" PRIu64, c->rx_bytes);
	printf(",\n        \"rx_bytes_peak\": %" PRIu64, c->rx_bytes_peak);
	printf(",\n        \"rx_paused\": %" PRIu64, c->rx_paused);
	printf(",\n        \"log_bytes\": %" PRIu64, c->log_bytes);
	printf(",\n        \"log_bytes_peak\": %" PRIu64, c->log_bytes_peak);
	printf(",\n        \"mem_compactions\": %" PRIu64,
	       c->mem_compactions);
	printf(",\n        \"auth_failed\": %" PRIu64, c->auth_failed);
	printf(",\n        \"frames_direct\": %" PRIu64, c->frames_direct);
	printf(",\n        \"log_area_used\": %" PRIu64, c->log_area_used);
	printf(",\n        \"log_area_size\": %" PRIu64, c->log_area_size);
	printf(",\n        \"log_area_written\": %" PRIu64,
	       c->log_area_written);
	printf(",\n        \"pool_pages\": %" PRIu64, c->pool_pages);
	printf(",\n        \"pool_reused\": %" PRIu64, c->pool_reused);
	printf(",\n        \"pool_fresh\": %" PRIu64, c->pool_fresh);
	printf(",\n        \"pool_busy\": %" PRIu64, c->pool_busy);
	printf(",\n        \"pool_full\": %" PRIu64, c->pool_full);
	printf(",\n        \"pool_shrunk\": %" PRIu64, c->pool_shrunk);
	printf("\n      }");
}

/* "snapshots": this node's, counted (list gives each). */
static void print_snapshots_json(const struct dev_info *d)
{
	struct snap_view sv;

	snap_view_load(d, &sv);
	if (d->has_node)
		snap_report_push(d, &sv);
	printf(",\n      \"snapshots\": {\n        \"pool\": ");
	if (d->snap_pool[0])
		json_string(stdout, d->snap_pool);
	else
		printf("null");
	printf(",\n        \"taken\": %" PRIu32 ",\n        \"invalid\": %"
	       PRIu32 ",\n        \"missing\": %" PRIu32
	       ",\n        \"copy_index\": %" PRIu64 "\n      }",
	       sv.taken, sv.invalid, sv.missing, d->copy_index);
}

/* The schema is documented in raftctl.8; only ever add keys. */
static void print_json(const struct dev_list *l)
{
	size_t i;

	printf("{\n  \"version\": 1,\n  \"devices\": [");
	for (i = 0; i < l->n; i++) {
		const struct dev_info *d = &l->v[i];

		printf("%s\n    {\n      \"name\": ", i ? "," : "");
		json_string(stdout, d->name);
		printf(",\n      \"disk\": ");
		json_string(stdout, d->disk);
		printf(",\n      \"role\": ");
		json_string(stdout, role_name(d->role));
		printf(",\n      \"capacity_bytes\": %" PRIu64, d->capacity);
		printf(",\n      \"logical_block_size\": %" PRIu32,
		       d->block_size);
		printf(",\n      \"open_count\": %" PRIu32, d->open_count);
		if (d->replicated) {
			printf(",\n      \"term\": %" PRIu64, d->term);
			printf(",\n      \"leader_id\": %" PRIu32, d->leader_id);
			printf(",\n      \"commit_index\": %" PRIu64,
			       d->commit_index);
			printf(",\n      \"applied_index\": %" PRIu64,
			       d->applied_index);
		}
		if (d->has_node) {
			char listen[ADDR_STRLEN];

			addr_format(&d->listen, listen, sizeof(listen));
			printf(",\n      \"node_id\": %" PRIu32, d->node_id);
			printf(",\n      \"listen\": ");
			json_string(stdout, listen);
			printf(",\n      \"heartbeat_ms\": %" PRIu32,
			       d->heartbeat_ms);
			printf(",\n      \"election_timeout_ms\": %" PRIu32,
			       d->election_ms);
			printf(",\n      \"max_batch\": %" PRIu32,
			       d->max_batch);
			printf(",\n      \"read_mode\": ");
			json_string(stdout, read_mode_name(d->read_mode));
			printf(",\n      \"resync_rate\": %" PRIu64,
			       d->resync_rate);
			printf(",\n      \"log_memory\": %" PRIu64,
			       d->log_memory);
			printf(",\n      \"log_record_block\": %" PRIu32,
			       d->log_record_block);
			if (d->auto_promote_ms) {
				printf(",\n      \"auto_promote\": %s",
				       d->auto_promote ? "true" : "false");
				printf(",\n      \"auto_promote_timeout_ms\": %"
				       PRIu32, d->auto_promote_ms);
			}
			printf(",\n      \"disk_state\": ");
			json_string(stdout, disk_state_name(d->disk_state));
			printf(",\n      \"waiting\": {\n        \"state\": ");
			json_string(stdout, waiting_name(d->waiting));
			printf(",\n        \"index\": %" PRIu64, d->wait_index);
			printf(",\n        \"for_ms\": %" PRIu64 "\n      }",
			       d->wait_ms);
			printf(",\n      \"secret\": {\n        \"set\": %s",
			       d->secret_set ? "true" : "false");
			if (d->secret_set) {
				char fp[17];

				format_fp(fp, d->secret_fp);
				printf(",\n        \"fingerprint\": \"%s\"", fp);
			}
			if (d->secret_next_set) {
				char fp[17];

				format_fp(fp, d->secret_next_fp);
				printf(",\n        \"next_fingerprint\": \"%s\"",
				       fp);
			}
			if (d->secret_next_none)
				printf(",\n        \"next_none\": true");
			printf("\n      }");
			print_snapshots_json(d);
			verify_sum_json(&d->verify);
			printf(",\n      \"counters\": ");
			print_counters_json(&d->counters);
			printf(",\n      \"peers\": ");
			print_peers_json(d, 6);
			printf(",\n      \"resyncs\": ");
			print_resync_json(d, 6);
		}
		printf("\n    }");
	}
	printf("%s]\n}\n", l->n ? "\n  " : "");
}

int dev_list_get(const char *name, const char *ctx, struct dev_list *l)
{
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	int attempt, failed = 0;

	memset(l, 0, sizeof(*l));
	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	/* A dump that raced with a create or destroy is simply redone. */
	for (attempt = 0; attempt < 5; attempt++) {
		free(l->v);
		memset(l, 0, sizeof(*l));
		msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_GET,
				name ? 0 : NLM_F_DUMP);
		if (!msg ||
		    (name && nla_put_string(msg, RAFTBLK_ATTR_NAME, name))) {
			nlmsg_free(msg);
			rb_nl_close(nl);
			return oom();
		}
		failed = rb_nl_request(nl, msg, on_device, l, &err);
		if (!failed || err.err != EAGAIN)
			break;
	}
	rb_nl_close(nl);
	if (failed) {
		free(l->v);
		memset(l, 0, sizeof(*l));
		return rb_error_print(ctx, &err);
	}
	if (l->parse_errors) {
		fprintf(stderr, "%s: %s: malformed reply from the kernel\n",
			prog, ctx);
		free(l->v);
		memset(l, 0, sizeof(*l));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int cmd_status(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dev_list list = { 0 };
	const char *name = NULL;
	bool json = false;
	char ctx[128];
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	ret = optional_name(v, argc, argv, &name);
	if (ret)
		return ret;
	snprintf(ctx, sizeof(ctx), "status%s%s", name ? " " : "",
		 name ? name : "");
	ret = dev_list_get(name, ctx, &list);
	if (ret)
		return ret;
	if (json)
		print_json(&list);
	else
		print_table(&list);
	free(list.v);
	return EXIT_OK;
}
