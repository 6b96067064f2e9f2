// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: cluster membership verbs.
 *
 *   raftctl peer add NAME ID ADDR:PORT
 *   raftctl peer remove NAME ID
 *   raftctl peer list NAME [--json]
 *   raftctl transfer-leader NAME ID
 *
 * add, remove and transfer-leader run on the leader (the kernel says
 * "this node is not the leader" otherwise).
 */
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

/* Exactly N operands after the options, into ops[]. */
static int operands(const struct verb *v, int argc, char **argv, int n,
		    const char *const *what, const char **ops)
{
	int i;

	for (i = 0; i < n; i++) {
		if (optind + i >= argc)
			return usage_error(v, "missing %s", what[i]);
		ops[i] = argv[optind + i];
	}
	if (optind + n < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + n]);
	return EXIT_OK;
}

static int node_id_arg(const struct verb *v, const char *s, uint32_t *id)
{
	if (parse_u32(s, 1, UINT32_MAX, id))
		return usage_error(v, "node id must be a number 1..%u, not '%s'",
				   UINT32_MAX, s);
	return EXIT_OK;
}

/* Send MSG (which has NAME) and report a refusal as "CTX: why". */
static int send_request(struct rb_nl *nl, struct nl_msg *msg, const char *ctx)
{
	struct rb_error err;
	int ret = EXIT_OK;

	if (rb_nl_request(nl, msg, NULL, NULL, &err))
		ret = rb_error_print(ctx, &err);
	rb_nl_close(nl);
	return ret;
}

/* Longest wait for a membership change already in progress. */
#define MEMBERSHIP_WAIT_S	60

int membership_request(int cmd, const char *name, uint32_t id,
		       const struct rb_addr *addr, time_t deadline,
		       const char *ctx)
{
	struct rb_error err;
	bool told = false;
	struct nlattr *peer;
	struct nl_msg *msg;
	struct rb_nl *nl;
	int ret;

	nl = open_family();
	if (!nl)
		return EXIT_ERROR;	/* open_family() said why */
	for (;;) {
		msg = rb_nl_msg(nl, cmd, 0);
		peer = NULL;
		if (msg && !nla_put_string(msg, RAFTBLK_ATTR_NAME, name))
			peer = nla_nest_start(msg, RAFTBLK_ATTR_PEER);
		if (!peer || nla_put_u32(msg, RAFTBLK_PEER_ATTR_ID, id) ||
		    (addr && addr_put(msg, RAFTBLK_PEER_ATTR_ADDR, addr))) {
			nlmsg_free(msg);
			rb_nl_close(nl);
			return oom();
		}
		nla_nest_end(msg, peer);
		ret = rb_nl_request(nl, msg, NULL, NULL, &err);
		/* EBUSY: one change at a time; the one before is finishing. */
		if (!ret || err.err != EBUSY || time(NULL) >= deadline)
			break;
		if (!told && isatty(STDERR_FILENO))
			fprintf(stderr, "%s: %s: waiting for the membership change in progress...\n",
				prog, name);
		told = true;
		usleep(200 * 1000);
	}
	rb_nl_close(nl);
	return ret ? rb_error_print(ctx, &err) : EXIT_OK;
}

static int peer_add(const struct verb *v, int argc, char **argv)
{
	static const char *const what[] = {
		"device name", "node id", "peer address ADDR:PORT",
	};
	const char *ops[3] = { NULL, NULL, NULL }, *why;
	struct rb_addr addr;
	char ctx[160];
	uint32_t id;
	int ret;

	ret = operands(v, argc, argv, 3, what, ops);
	if (ret)
		return ret;
	ret = node_id_arg(v, ops[1], &id);
	if (ret)
		return ret;
	why = addr_parse(ops[2], &addr);
	if (why)
		return usage_error(v, "bad peer address '%s': %s (ADDR:PORT or [ADDR6]:PORT)",
				   ops[2], why);
	snprintf(ctx, sizeof(ctx), "peer add %s %" PRIu32, ops[0], id);
	return membership_request(RAFTBLK_CMD_PEER_ADD, ops[0], id, &addr,
				  time(NULL) + MEMBERSHIP_WAIT_S, ctx);
}

static int peer_remove(const struct verb *v, int argc, char **argv)
{
	static const char *const what[] = { "device name", "node id" };
	const char *ops[2] = { NULL, NULL };
	char ctx[160];
	uint32_t id;
	int ret;

	ret = operands(v, argc, argv, 2, what, ops);
	if (ret)
		return ret;
	ret = node_id_arg(v, ops[1], &id);
	if (ret)
		return ret;
	snprintf(ctx, sizeof(ctx), "peer remove %s %" PRIu32, ops[0], id);
	return membership_request(RAFTBLK_CMD_PEER_REMOVE, ops[0], id, NULL,
				  time(NULL) + MEMBERSHIP_WAIT_S, ctx);
}

static int peer_list(const struct verb *v, int argc, char **argv,
		     bool json)
{
	static const char *const what[] = { "device name" };
	struct dev_list list;
	const char *ops[1] = { NULL };
	char ctx[160];
	int ret;

	ret = operands(v, argc, argv, 1, what, ops);
	if (ret)
		return ret;
	snprintf(ctx, sizeof(ctx), "peer list %s", ops[0]);
	ret = dev_list_get(ops[0], ctx, &list);
	if (ret)
		return ret;
	if (list.n != 1 || !list.v[0].has_node) {
		fprintf(stderr, "%s: %s: device is not replicated\n", prog, ctx);
		free(list.v);
		return EXIT_ERROR;
	}
	if (json) {
		printf("{\n  \"version\": 1,\n  \"name\": ");
		json_string(stdout, list.v[0].name);
		printf(",\n  \"peers\": ");
		print_peers_json(&list.v[0], 2);
		printf("\n}\n");
	} else {
		print_peers_table(&list.v[0], "");
	}
	free(list.v);
	return EXIT_OK;
}

int cmd_peer(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub;
	bool json = false;
	int c, ret;

	/* "peer --help" and "peer SUB --help" both show the verb's help. */
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
	if (optind >= argc)
		return usage_error(v, "missing subcommand: add, remove or list");
	sub = argv[optind];
	if (strcmp(sub, "list") && json)
		return usage_error(v, "--json is only for 'peer list'");
	/* The subcommand's operands follow it; re-parse them from there. */
	argc -= optind;
	argv += optind;
	ret = parse_no_options(v, argc, argv);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!strcmp(sub, "add"))
		return peer_add(v, argc, argv);
	if (!strcmp(sub, "remove"))
		return peer_remove(v, argc, argv);
	if (!strcmp(sub, "list"))
		return peer_list(v, argc, argv, json);
	return usage_error(v, "unknown subcommand '%s': add, remove or list",
			   sub);
}

int cmd_transfer_leader(const struct verb *v, int argc, char **argv)
{
	enum { OPT_FORCE = 256 };
	static const struct option opts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const what[] = { "device name", "node id" };
	struct nl_msg *msg;
	struct rb_nl *nl;
	const char *ops[2] = { NULL, NULL };
	bool force = false;
	char ctx[160];
	uint32_t id;
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORCE:
			force = true;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	ret = operands(v, argc, argv, 2, what, ops);
	if (ret)
		return ret;
	ret = node_id_arg(v, ops[1], &id);
	if (ret)
		return ret;

	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_LEADER_TRANSFER, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, ops[0]) ||
	    nla_put_u32(msg, RAFTBLK_ATTR_NODE_ID, id) ||
	    (force && nla_put_flag(msg, RAFTBLK_ATTR_FORCE))) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return oom();
	}
	snprintf(ctx, sizeof(ctx), "transfer-leader %s %" PRIu32, ops[0], id);
	return send_request(nl, msg, ctx);
}
