// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: online verify and repair.
 *
 *   raftctl verify NAME [--json] [--timeout SECS] [--show]
 *   raftctl resync-extents NAME NODE (EXTENT... | --all-differing)
 *                          [--timeout SECS] [--no-wait]
 *
 * verify runs on the leader: it appends a verify entry to the log, then
 * waits (progress on stderr) until every node's hashes of its data area
 * at that index came back and were compared with the leader's, and
 * prints which extents differ on which node. --show prints the last
 * verify instead (waiting for it while it runs). resync-extents, on the
 * leader, has a follower caught up by a copy of those extents (and of
 * what it was written since its applied index) from the leader.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netlink/genl/genl.h>
#include <linux/raftblk.h>
#include "raftctl.h"

#define VERIFY_WAIT_S_DEFAULT	600
#define REPAIR_WAIT_S_DEFAULT	300

struct verify_node {
	uint32_t id, state, differing, n_list;
	uint32_t list[256];
};

struct verify_info {
	bool got;
	uint64_t index, term, extent_bytes, elapsed_ms;
	uint32_t state, extents, hashed, differing;
	bool collector;
	uint32_t n_nodes;
	struct verify_node nodes[16];
};

const char *verify_state_name(uint32_t s)
{
	static const char *const names[] = RAFTBLK_VERIFY_STATE_NAMES;

	if (s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "unknown";
}

static const char *verify_node_name(uint32_t s)
{
	static const char *const names[] = RAFTBLK_VERIFY_NODE_NAMES;

	if (s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "unknown";
}

static int verify_node_parse(struct nlattr *nest, struct verify_node *d)
{
	static struct nla_policy pol[RAFTBLK_VERIFY_NODE_ATTR_MAX + 1] = {
		[RAFTBLK_VERIFY_NODE_ATTR_ID] = { .type = NLA_U32 },
		[RAFTBLK_VERIFY_NODE_ATTR_STATE] = { .type = NLA_U32 },
		[RAFTBLK_VERIFY_NODE_ATTR_DIFFERING] = { .type = NLA_U32 },
	};
	struct nlattr *tb[RAFTBLK_VERIFY_NODE_ATTR_MAX + 1];
	struct nlattr *l;

	memset(d, 0, sizeof(*d));
	if (nla_parse_nested(tb, RAFTBLK_VERIFY_NODE_ATTR_MAX, nest, pol) ||
	    !tb[RAFTBLK_VERIFY_NODE_ATTR_ID] ||
	    !tb[RAFTBLK_VERIFY_NODE_ATTR_STATE])
		return -1;
	d->id = nla_get_u32(tb[RAFTBLK_VERIFY_NODE_ATTR_ID]);
	d->state = nla_get_u32(tb[RAFTBLK_VERIFY_NODE_ATTR_STATE]);
	if (tb[RAFTBLK_VERIFY_NODE_ATTR_DIFFERING])
		d->differing = nla_get_u32(tb[RAFTBLK_VERIFY_NODE_ATTR_DIFFERING]);
	l = tb[RAFTBLK_VERIFY_NODE_ATTR_EXTENTS];
	if (l) {
		uint32_t n = nla_len(l) / sizeof(uint32_t);

		if (n > sizeof(d->list) / sizeof(d->list[0]))
			n = sizeof(d->list) / sizeof(d->list[0]);
		memcpy(d->list, nla_data(l), n * sizeof(uint32_t));
		d->n_list = n;
	}
	return 0;
}

static int verify_parse(struct nlattr *nest, struct verify_info *v)
{
	static struct nla_policy pol[RAFTBLK_VERIFY_ATTR_MAX + 1] = {
		[RAFTBLK_VERIFY_ATTR_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_VERIFY_ATTR_TERM] = { .type = NLA_U64 },
		[RAFTBLK_VERIFY_ATTR_STATE] = { .type = NLA_U32 },
		[RAFTBLK_VERIFY_ATTR_COLLECTOR] = { .type = NLA_FLAG },
		[RAFTBLK_VERIFY_ATTR_EXTENT_BYTES] = { .type = NLA_U64 },
		[RAFTBLK_VERIFY_ATTR_EXTENTS] = { .type = NLA_U32 },
		[RAFTBLK_VERIFY_ATTR_HASHED] = { .type = NLA_U32 },
		[RAFTBLK_VERIFY_ATTR_ELAPSED_MS] = { .type = NLA_U64 },
		[RAFTBLK_VERIFY_ATTR_DIFFERING] = { .type = NLA_U32 },
	};
	struct nlattr *tb[RAFTBLK_VERIFY_ATTR_MAX + 1];
	struct nlattr *a;
	int rem;

	memset(v, 0, sizeof(*v));
	if (nla_parse_nested(tb, RAFTBLK_VERIFY_ATTR_MAX, nest, pol))
		return -1;
#define GET(field, attr, kind) \
	do { if (tb[attr]) v->field = nla_get_##kind(tb[attr]); } while (0)
	GET(index, RAFTBLK_VERIFY_ATTR_INDEX, u64);
	GET(term, RAFTBLK_VERIFY_ATTR_TERM, u64);
	GET(state, RAFTBLK_VERIFY_ATTR_STATE, u32);
	GET(extent_bytes, RAFTBLK_VERIFY_ATTR_EXTENT_BYTES, u64);
	GET(extents, RAFTBLK_VERIFY_ATTR_EXTENTS, u32);
	GET(hashed, RAFTBLK_VERIFY_ATTR_HASHED, u32);
	GET(elapsed_ms, RAFTBLK_VERIFY_ATTR_ELAPSED_MS, u64);
	GET(differing, RAFTBLK_VERIFY_ATTR_DIFFERING, u32);
#undef GET
	v->collector = nla_get_flag(tb[RAFTBLK_VERIFY_ATTR_COLLECTOR]);
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != RAFTBLK_VERIFY_ATTR_NODE ||
		    v->n_nodes >= sizeof(v->nodes) / sizeof(v->nodes[0]))
			continue;
		if (verify_node_parse(a, &v->nodes[v->n_nodes]))
			return -1;
		v->n_nodes++;
	}
	v->got = true;
	return 0;
}

int verify_sum_parse(struct nlattr *nest, struct verify_sum *s)
{
	struct verify_info *v = calloc(1, sizeof(*v));

	memset(s, 0, sizeof(*s));
	if (!v || verify_parse(nest, v)) {
		free(v);
		return -1;
	}
	s->valid = true;
	s->collector = v->collector;
	s->index = v->index;
	s->term = v->term;
	s->elapsed_ms = v->elapsed_ms;
	s->state = v->state;
	s->extents = v->extents;
	s->hashed = v->hashed;
	s->differing = v->differing;
	free(v);
	return 0;
}

void verify_sum_line(const struct verify_sum *v, char *buf, size_t len)
{
	int n = snprintf(buf, len, "at index %" PRIu64 ": %s", v->index,
			 verify_state_name(v->state));

	if (n < 0 || (size_t)n >= len)
		return;
	if (v->state == RAFTBLK_VERIFY_STATE_RUNNING)
		snprintf(buf + n, len - n, ", hashed %u of %u extents here",
			 v->hashed, v->extents);
	else if (v->state == RAFTBLK_VERIFY_STATE_DONE && !v->collector)
		snprintf(buf + n, len - n, ", hashes sent to the leader");
	else if (v->state == RAFTBLK_VERIFY_STATE_DONE && v->differing)
		snprintf(buf + n, len - n, ", %u extents differ (raftctl verify --show)",
			 v->differing);
	else if (v->state == RAFTBLK_VERIFY_STATE_DONE)
		snprintf(buf + n, len - n, ", no differences");
}

void verify_sum_json(const struct verify_sum *v)
{
	if (!v->valid)
		return;
	printf(",\n      \"verify\": {\"index\": %" PRIu64 ", \"term\": %" PRIu64
	       ", \"state\": ", v->index, v->term);
	json_string(stdout, verify_state_name(v->state));
	printf(", \"collector\": %s, \"extents\": %u, \"hashed\": %u, \"differing\": %u, \"elapsed_ms\": %" PRIu64 "}",
	       v->collector ? "true" : "false", v->extents, v->hashed,
	       v->differing, v->elapsed_ms);
}

static int on_verify_reply(struct nl_msg *reply, void *arg)
{
	struct nlattr *tb[RAFTBLK_ATTR_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(reply), 0, tb, RAFTBLK_ATTR_MAX, NULL) ||
	    !tb[RAFTBLK_ATTR_VERIFY])
		return NL_SKIP;
	if (verify_parse(tb[RAFTBLK_ATTR_VERIFY], arg))
		return NL_SKIP;
	return NL_OK;
}

/* One request for NAME whose reply carries VERIFY into *v. */
static int verify_call(struct rb_nl *nl, uint8_t cmd, const char *name,
		       const char *ctx, struct verify_info *v)
{
	struct rb_error err;
	struct nl_msg *msg = rb_nl_msg(nl, cmd, 0);

	memset(v, 0, sizeof(*v));
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name)) {
		nlmsg_free(msg);
		return oom();
	}
	if (rb_nl_request(nl, msg, on_verify_reply, v, &err))
		return rb_error_print(ctx, &err);
	return EXIT_OK;
}

static uint32_t verify_answered(const struct verify_info *v)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].state != RAFTBLK_VERIFY_NODE_WAITING)
			n++;
	return n;
}

static void verify_progress(const struct verify_info *v, bool tty)
{
	fprintf(stderr, "%sverify at index %" PRIu64 ": hashed %u of %u extents here, %u of %u nodes answered%s",
		tty ? "\r" : "", v->index, v->hashed, v->extents,
		verify_answered(v), v->n_nodes, tty ? "   " : "\n");
	fflush(stderr);
}

/*
 * Wait until the verify at INDEX (0: the last one) is over here. EXIT_OK
 * with *v its report, or an exit code after printing why.
 */
static int verify_wait(struct rb_nl *nl, const char *name, const char *ctx,
		       uint64_t index, int timeout, struct verify_info *v)
{
	time_t end = time(NULL) + timeout, shown = 0;
	bool tty = isatty(STDERR_FILENO), printed = false;
	int ret;

	for (;;) {
		ret = verify_call(nl, RAFTBLK_CMD_VERIFY_GET, name, ctx, v);
		if (ret)
			return ret;
		/* --show: the last one; else this node may not have it yet */
		if (!index)
			index = v->index;
		if (!index) {
			fprintf(stderr, "%s: %s: no verify on this node since it started\n",
				prog, ctx);
			return EXIT_ERROR;
		}
		if (v->index > index) {
			fprintf(stderr, "%s: %s: a later verify (index %" PRIu64
				") replaced the one at %" PRIu64 "\n", prog,
				ctx, v->index, index);
			return EXIT_ERROR;
		}
		if (v->got && v->index == index &&
		    v->state != RAFTBLK_VERIFY_STATE_RUNNING)
			break;
		if (time(NULL) >= end) {
			if (printed && tty)
				fputc('\n', stderr);
			fprintf(stderr, "%s: %s: the verify at index %" PRIu64
				" is not over after %d s\n", prog, ctx, index,
				timeout);
			return EXIT_ERROR;
		}
		if (v->index == index &&
		    (tty || time(NULL) >= shown + 5)) {
			verify_progress(v, tty);
			shown = time(NULL);
			printed = true;
		}
		usleep(200 * 1000);
	}
	if (printed && tty)
		fputc('\n', stderr);
	return EXIT_OK;
}

static void verify_print_json(const char *name, const struct verify_info *v)
{
	printf("{\"name\":");
	json_string(stdout, name);
	printf(",\"index\":%" PRIu64 ",\"term\":%" PRIu64 ",\"state\":",
	       v->index, v->term);
	json_string(stdout, verify_state_name(v->state));
	printf(",\"collector\":%s,\"extent_bytes\":%" PRIu64
	       ",\"extents\":%u,\"elapsed_ms\":%" PRIu64
	       ",\"differing\":%u,\"nodes\":[",
	       v->collector ? "true" : "false", v->extent_bytes, v->extents,
	       v->elapsed_ms, v->differing);
	for (uint32_t i = 0; i < v->n_nodes; i++) {
		const struct verify_node *d = &v->nodes[i];

		printf("%s{\"id\":%u,\"state\":", i ? "," : "", d->id);
		json_string(stdout, verify_node_name(d->state));
		printf(",\"differing\":%u,\"extents\":[", d->differing);
		for (uint32_t k = 0; k < d->n_list; k++)
			printf("%s%u", k ? "," : "", d->list[k]);
		printf("],\"extents_truncated\":%s}",
		       d->n_list < d->differing ? "true" : "false");
	}
	printf("]}\n");
}

static void verify_print(const char *name, const struct verify_info *v)
{
	static const char *const hdr[] = { "NODE", "STATE", "DIFFERING",
					   "EXTENTS" };
	char sz[16];
	struct table *t;
	uint32_t nodes = 0;

	format_size(sz, sizeof(sz), v->extent_bytes);
	printf("verify %s at index %" PRIu64 " term %" PRIu64 ": %s, %u extents of %s, %" PRIu64 ".%01" PRIu64 " s\n",
	       name, v->index, v->term, verify_state_name(v->state),
	       v->extents, sz, v->elapsed_ms / 1000,
	       v->elapsed_ms % 1000 / 100);
	if (!v->collector) {
		printf("this node sent its hashes to the leader: run 'raftctl verify %s --show' there for the result\n",
		       name);
		return;
	}
	t = table_new(4, hdr);
	for (uint32_t i = 0; i < v->n_nodes; i++) {
		const struct verify_node *d = &v->nodes[i];
		char id[16], n[16], list[4096];
		const char *row[4];
		size_t off = 0;

		list[0] = '\0';
		for (uint32_t k = 0; k < d->n_list && off < sizeof(list) - 16;
		     k++)
			off += snprintf(list + off, sizeof(list) - off, "%s%u",
					k ? "," : "", d->list[k]);
		if (d->n_list < d->differing)
			snprintf(list + off, sizeof(list) - off, ",...");
		snprintf(id, sizeof(id), "%u", d->id);
		snprintf(n, sizeof(n), "%u", d->differing);
		row[0] = id;
		row[1] = verify_node_name(d->state);
		row[2] = d->state == RAFTBLK_VERIFY_NODE_SAME ||
			 d->state == RAFTBLK_VERIFY_NODE_DIFFERS ? n : "-";
		row[3] = list[0] ? list : "-";
		table_add_row(t, row);
		if (d->differing)
			nodes++;
	}
	table_print(t, stdout);
	table_free(t);
	if (v->differing) {
		printf("%u extents differ on %u node%s from the leader's: repair with 'raftctl resync-extents %s NODE --all-differing'\n",
		       v->differing, nodes, nodes == 1 ? "" : "s", name);
	} else {
		printf("no differences\n");
	}
	for (uint32_t i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].state == RAFTBLK_VERIFY_NODE_NO_ANSWER)
			printf("node %u sent no hashes in time: not verified\n",
			       v->nodes[i].id);
}

/* 0 same, 3 differ (or nodes unverified), else an error. */
static int verify_status(const struct verify_info *v)
{
	if (v->state == RAFTBLK_VERIFY_STATE_FAILED)
		return EXIT_ERROR;
	if (v->differing)
		return EXIT_DIFFER;
	for (uint32_t i = 0; i < v->n_nodes; i++)
		if (v->nodes[i].state == RAFTBLK_VERIFY_NODE_NO_ANSWER)
			return EXIT_DIFFER;
	return EXIT_OK;
}

int cmd_verify(const struct verb *v, int argc, char **argv)
{
	enum { OPT_TIMEOUT = 256, OPT_SHOW };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "show", no_argument, NULL, OPT_SHOW },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t timeout = VERIFY_WAIT_S_DEFAULT;
	struct verify_info *info;
	bool json = false, show = false;
	const char *name;
	struct rb_nl *nl;
	char ctx[128];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case OPT_SHOW:
			show = true;
			break;
		case OPT_TIMEOUT:
			ret = option_u32(v, "--timeout", optarg, 1, 86400,
					 &timeout);
			if (ret)
				return ret;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	if (argc - optind < 1)
		return usage_error(v, "missing device name");
	if (argc - optind > 1)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);
	name = argv[optind];
	snprintf(ctx, sizeof(ctx), "verify %s", name);
	info = calloc(1, sizeof(*info));
	if (!info)
		return oom();
	nl = open_family();
	if (!nl) {
		free(info);
		return EXIT_ERROR;
	}
	ret = EXIT_OK;
	if (!show) {
		ret = verify_call(nl, RAFTBLK_CMD_VERIFY_START, name, ctx,
				  info);
		if (!ret && !info->got) {
			fprintf(stderr, "%s: %s: the entry is in the log, but the kernel's reply was lost\n",
				prog, ctx);
			ret = EXIT_ERROR;
		}
		if (!ret && !json)
			fprintf(stderr, "verify %s: entry at index %" PRIu64
				" term %" PRIu64 ": every node hashes its data area there\n",
				name, info->index, info->term);
	}
	if (!ret)
		ret = verify_wait(nl, name, ctx, show ? 0 : info->index,
				  timeout, info);
	rb_nl_close(nl);
	if (!ret) {
		if (json)
			verify_print_json(name, info);
		else
			verify_print(name, info);
		ret = verify_status(info);
	}
	free(info);
	return ret;
}

struct repair_reply {
	bool got;
	uint32_t count;
};

static int on_repair_reply(struct nl_msg *reply, void *arg)
{
	struct nlattr *tb[RAFTBLK_ATTR_MAX + 1];
	struct repair_reply *r = arg;
	struct verify_info v;

	if (genlmsg_parse(nlmsg_hdr(reply), 0, tb, RAFTBLK_ATTR_MAX, NULL) ||
	    !tb[RAFTBLK_ATTR_VERIFY] ||
	    verify_parse(tb[RAFTBLK_ATTR_VERIFY], &v))
		return NL_SKIP;
	r->count = v.differing;
	r->got = true;
	return NL_OK;
}

/* The copy to NODE after index FROM: EXIT_OK once it finished well. */
static int repair_wait(const char *name, const char *ctx, uint32_t node,
		       uint64_t from, int timeout)
{
	time_t end = time(NULL) + timeout;

	for (;;) {
		struct dev_list l;
		int state = -1;

		if (dev_list_get(name, ctx, &l))
			return EXIT_ERROR;
		for (size_t i = 0; l.n && i < l.v[0].n_resync; i++) {
			const struct resync_info *r = &l.v[0].resync[i];

			if (r->dir == RAFTBLK_RESYNC_DIR_SEND &&
			    r->peer == node && r->index >= from)
				state = r->state;
		}
		free(l.v);
		if (state == RAFTBLK_RESYNC_STATE_FINISHED)
			return EXIT_OK;
		if (state == RAFTBLK_RESYNC_STATE_FAILED)
			fprintf(stderr, "%s: %s: a copy to node %u broke off (the leader starts another)\n",
				prog, ctx, node);
		if (time(NULL) >= end) {
			fprintf(stderr, "%s: %s: the copy to node %u is not done after %d s\n",
				prog, ctx, node, timeout);
			return EXIT_ERROR;
		}
		usleep(200 * 1000);
	}
}

int cmd_resync_extents(const struct verb *v, int argc, char **argv)
{
	enum { OPT_TIMEOUT = 256, OPT_ALL, OPT_NO_WAIT };
	static const struct option opts[] = {
		{ "all-differing", no_argument, NULL, OPT_ALL },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "no-wait", no_argument, NULL, OPT_NO_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t timeout = REPAIR_WAIT_S_DEFAULT, node, *ext = NULL, n_ext = 0;
	struct repair_reply r = {};
	bool all = false, wait = true;
	const char *name;
	struct rb_error err;
	struct nl_msg *msg;
	struct dev_list l;
	uint64_t from = 0;
	struct rb_nl *nl;
	char ctx[160];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ALL:
			all = true;
			break;
		case OPT_NO_WAIT:
			wait = false;
			break;
		case OPT_TIMEOUT:
			ret = option_u32(v, "--timeout", optarg, 1, 86400,
					 &timeout);
			if (ret)
				return ret;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	if (argc - optind < 2)
		return usage_error(v, "missing %s", argc == optind ?
				   "device name" : "node id");
	name = argv[optind];
	if (parse_u32(argv[optind + 1], 1, UINT32_MAX, &node))
		return usage_error(v, "node id must be 1..4294967295, not '%s'",
				   argv[optind + 1]);
	n_ext = argc - optind - 2;
	if (all == !!n_ext)
		return usage_error(v, "give the extents to repair or --all-differing, one or the other");
	if (n_ext > RAFTBLK_VERIFY_EXTENTS_MAX)
		return usage_error(v, "at most %d extents at once",
				   RAFTBLK_VERIFY_EXTENTS_MAX);
	if (n_ext) {
		ext = calloc(n_ext, sizeof(*ext));
		if (!ext)
			return oom();
		for (uint32_t i = 0; i < n_ext; i++)
			if (parse_u32(argv[optind + 2 + i], 0, UINT32_MAX - 1,
				      &ext[i])) {
				ret = usage_error(v, "bad extent number '%s'",
						  argv[optind + 2 + i]);
				free(ext);
				return ret;
			}
	}
	snprintf(ctx, sizeof(ctx), "resync-extents %s %u", name, node);
	/* the copy that repairs starts at or after the applied index now */
	if (wait) {
		ret = dev_list_get(name, ctx, &l);
		if (ret) {
			free(ext);
			return ret;
		}
		from = l.n ? l.v[0].applied_index : 0;
		free(l.v);
	}
	nl = open_family();
	if (!nl) {
		free(ext);
		return EXIT_ERROR;
	}
	msg = rb_nl_msg(nl, RAFTBLK_CMD_RESYNC_EXTENTS, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name) ||
	    nla_put_u32(msg, RAFTBLK_ATTR_NODE_ID, node) ||
	    (all && nla_put_flag(msg, RAFTBLK_ATTR_VERIFY_ALL_DIFFERING)) ||
	    (n_ext && nla_put(msg, RAFTBLK_ATTR_VERIFY_EXTENTS,
			      n_ext * sizeof(*ext), ext))) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		free(ext);
		return oom();
	}
	free(ext);
	ret = rb_nl_request(nl, msg, on_repair_reply, &r, &err);
	rb_nl_close(nl);
	if (ret)
		return rb_error_print(ctx, &err);
	if (r.got && !r.count) {
		printf("%s: node %u: no extent to repair\n", name, node);
		return EXIT_OK;
	}
	printf("%s: node %u: %u extents to repair: the node gets them in a copy from the leader\n",
	       name, node, r.count);
	if (!wait)
		return EXIT_OK;
	ret = repair_wait(name, ctx, node, from, timeout);
	if (!ret)
		printf("%s: node %u: copy done\n", name, node);
	return ret;
}
