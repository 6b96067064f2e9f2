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

/* One device as the kernel reports it (RAFTBLK_CMD_DEVICE_GET). */
struct dev_info {
	char name[RAFTBLK_NAME_MAXLEN + 1];
	char disk[RAFTBLK_PATH_MAXLEN + 1];
	uint64_t capacity;
	uint32_t role;
	uint32_t open_count;
	uint32_t block_size;
	bool replicated;	/* the kernel reported the fields below */
	uint64_t term;
	uint32_t leader_id;
	uint64_t commit_index;
	uint64_t applied_index;
};

struct dev_list {
	struct dev_info *v;
	size_t n;
	int parse_errors;
};

static const char *role_name(uint32_t role)
{
	switch (role) {
	case RAFTBLK_ROLE_STANDALONE:
		return "standalone";
	case RAFTBLK_ROLE_FOLLOWER:
		return "follower";
	case RAFTBLK_ROLE_PRE_CANDIDATE:
		return "pre-candidate";
	case RAFTBLK_ROLE_CANDIDATE:
		return "candidate";
	case RAFTBLK_ROLE_LEADER:
		return "leader";
	case RAFTBLK_ROLE_LEARNER:
		return "learner";
	default:
		return "unknown";
	}
}

/* Open the family; on failure print why and return NULL. */
static struct rb_nl *open_family(void)
{
	struct rb_error err;
	struct rb_nl *nl = rb_nl_open(&err);

	if (!nl)
		fprintf(stderr, "%s: %s\n", prog,
			err.msg[0] ? err.msg : strerror(err.err));
	return nl;
}

static int oom(void)
{
	fprintf(stderr, "%s: out of memory\n", prog);
	return EXIT_ERROR;
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

static const struct option help_only_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options of a verb that has none but --help; -1 when help was shown. */
static int parse_no_options(const struct verb *v, int argc, char **argv)
{
	int c;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":h", help_only_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			verb_help(v, stdout);
			return -1;
		default:
			return option_error(v, c, argv);
		}
	}
	return EXIT_OK;
}

int cmd_create(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "disk", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *disk = NULL;
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	char ctx[128];
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			disk = optarg;
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

	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_CREATE, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name) ||
	    nla_put_string(msg, RAFTBLK_ATTR_DISK_PATH, disk)) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return oom();
	}
	ret = EXIT_OK;
	if (rb_nl_request(nl, msg, NULL, NULL, &err)) {
		snprintf(ctx, sizeof(ctx), "create %s", name);
		ret = rb_error_print(ctx, &err);
	}
	rb_nl_close(nl);
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
		[RAFTBLK_ATTR_TERM] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_LEADER_ID] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_COMMIT_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_APPLIED_INDEX] = { .type = NLA_U64 },
	};
	struct nlattr *tb[RAFTBLK_ATTR_MAX + 1];
	struct dev_list *l = arg;
	struct dev_info *d, *nv;

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
	if (tb[RAFTBLK_ATTR_TERM] && tb[RAFTBLK_ATTR_LEADER_ID] &&
	    tb[RAFTBLK_ATTR_COMMIT_INDEX] && tb[RAFTBLK_ATTR_APPLIED_INDEX]) {
		d->replicated = true;
		d->term = nla_get_u64(tb[RAFTBLK_ATTR_TERM]);
		d->leader_id = nla_get_u32(tb[RAFTBLK_ATTR_LEADER_ID]);
		d->commit_index = nla_get_u64(tb[RAFTBLK_ATTR_COMMIT_INDEX]);
		d->applied_index = nla_get_u64(tb[RAFTBLK_ATTR_APPLIED_INDEX]);
	}
	return NL_OK;
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
		printf("\n    }");
	}
	printf("%s]\n}\n", l->n ? "\n  " : "");
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
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	bool json = false;
	int c, ret, attempt, failed = 0;
	char ctx[128];

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
	if (optind < argc)
		name = argv[optind];
	if (optind + 1 < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);

	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	/* A dump that raced with a create or destroy is simply redone. */
	for (attempt = 0; attempt < 5; attempt++) {
		free(list.v);
		memset(&list, 0, sizeof(list));
		msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_GET,
				name ? 0 : NLM_F_DUMP);
		if (!msg ||
		    (name && nla_put_string(msg, RAFTBLK_ATTR_NAME, name))) {
			nlmsg_free(msg);
			rb_nl_close(nl);
			return oom();
		}
		failed = rb_nl_request(nl, msg, on_device, &list, &err);
		if (!failed || err.err != EAGAIN)
			break;
	}
	ret = EXIT_OK;
	if (failed) {
		snprintf(ctx, sizeof(ctx), "status%s%s", name ? " " : "",
			 name ? name : "");
		ret = rb_error_print(ctx, &err);
	} else if (list.parse_errors) {
		fprintf(stderr, "%s: status: malformed reply from the kernel\n",
			prog);
		ret = EXIT_ERROR;
	} else if (json) {
		print_json(&list);
	} else {
		print_table(&list);
	}
	free(list.v);
	rb_nl_close(nl);
	return ret;
}
