// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the set verb, options of a running replicated device.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>
#include <linux/raftblk.h>
#include "raftctl.h"

int parse_read_mode(const char *str, int *mode)
{
	if (!strcmp(str, "readindex"))
		*mode = RAFTBLK_READ_MODE_READINDEX;
	else if (!strcmp(str, "lease"))
		*mode = RAFTBLK_READ_MODE_LEASE;
	else
		return -1;
	return 0;
}

int parse_yes_no(const char *str)
{
	if (!strcmp(str, "yes") || !strcmp(str, "on") || !strcmp(str, "1"))
		return 1;
	if (!strcmp(str, "no") || !strcmp(str, "off") || !strcmp(str, "0"))
		return 0;
	return -1;
}

int parse_size(const char *str, uint64_t min, uint64_t max, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*str))
		return -1;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || end[1])
			return -1;
		shift = 10 * (int)(u - units + 1);
		if (v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_rate(const char *str, uint64_t *rate)
{
	if (parse_size(str, 0, RAFTBLK_RESYNC_RATE_MAX, rate) ||
	    (*rate && *rate < RAFTBLK_RESYNC_RATE_MIN))
		return -1;
	return 0;
}

int dev_set_options(const char *name, const struct dev_options *o)
{
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	char ctx[128];
	int ret = EXIT_OK;

	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_SET, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name) ||
	    (o->defaults && nla_put_flag(msg, RAFTBLK_ATTR_SET_DEFAULTS)) ||
	    (o->heartbeat_ms &&
	     nla_put_u32(msg, RAFTBLK_ATTR_HEARTBEAT_MS, o->heartbeat_ms)) ||
	    (o->election_ms &&
	     nla_put_u32(msg, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS,
			 o->election_ms)) ||
	    (o->max_batch &&
	     nla_put_u32(msg, RAFTBLK_ATTR_MAX_BATCH, o->max_batch)) ||
	    (o->read_mode >= 0 &&
	     nla_put_u32(msg, RAFTBLK_ATTR_READ_MODE, o->read_mode)) ||
	    (o->set_resync_rate &&
	     nla_put_u64(msg, RAFTBLK_ATTR_RESYNC_RATE, o->resync_rate)) ||
	    (o->log_memory &&
	     nla_put_u64(msg, RAFTBLK_ATTR_LOG_MEMORY, o->log_memory)) ||
	    (o->auto_promote >= 0 &&
	     nla_put_u32(msg, RAFTBLK_ATTR_AUTO_PROMOTE, o->auto_promote)) ||
	    (o->auto_promote_ms &&
	     nla_put_u32(msg, RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS,
			 o->auto_promote_ms)) ||
	    (o->secret.len &&
	     nla_put(msg, RAFTBLK_ATTR_SECRET, o->secret.len, o->secret.key)) ||
	    (o->secret_op &&
	     nla_put_u32(msg, RAFTBLK_ATTR_SECRET_OP, o->secret_op))) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return oom();
	}
	if (rb_nl_request(nl, msg, NULL, NULL, &err)) {
		snprintf(ctx, sizeof(ctx), "set %s", name);
		ret = rb_error_print(ctx, &err);
	}
	rb_nl_close(nl);
	return ret;
}

int cmd_set(const struct verb *v, int argc, char **argv)
{
	enum { OPT_HEARTBEAT = 256, OPT_ELECTION, OPT_BATCH, OPT_READ,
	       OPT_RATE, OPT_LOG_MEMORY, OPT_SECRET, OPT_PROMOTE, OPT_RETIRE,
	       OPT_NO_SECRET, OPT_AUTO_PROMOTE, OPT_PROMOTE_MS, OPT_DEFAULTS };
	static const struct option opts[] = {
		{ "heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT },
		{ "election-timeout-ms", required_argument, NULL, OPT_ELECTION },
		{ "max-batch", required_argument, NULL, OPT_BATCH },
		{ "read-mode", required_argument, NULL, OPT_READ },
		{ "resync-rate", required_argument, NULL, OPT_RATE },
		{ "log-memory", required_argument, NULL, OPT_LOG_MEMORY },
		{ "auto-promote", required_argument, NULL, OPT_AUTO_PROMOTE },
		{ "auto-promote-timeout-ms", required_argument, NULL,
		  OPT_PROMOTE_MS },
		{ "secret-file", required_argument, NULL, OPT_SECRET },
		{ "promote-secret", no_argument, NULL, OPT_PROMOTE },
		{ "retire-secret", no_argument, NULL, OPT_RETIRE },
		{ "no-secret", no_argument, NULL, OPT_NO_SECRET },
		{ "defaults", no_argument, NULL, OPT_DEFAULTS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dev_options o = { .read_mode = -1, .auto_promote = -1 };
	const char *name, *secret_file = NULL;
	bool no_secret = false;
	char ctx[128];
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_HEARTBEAT:
			ret = option_u32(v, "--heartbeat-ms", optarg,
					 HEARTBEAT_MS_MIN, HEARTBEAT_MS_MAX,
					 &o.heartbeat_ms);
			if (ret)
				return ret;
			break;
		case OPT_ELECTION:
			ret = option_u32(v, "--election-timeout-ms", optarg,
					 ELECTION_MS_MIN, ELECTION_MS_MAX,
					 &o.election_ms);
			if (ret)
				return ret;
			break;
		case OPT_BATCH:
			ret = option_u32(v, "--max-batch", optarg, MAX_BATCH_MIN,
					 MAX_BATCH_MAX, &o.max_batch);
			if (ret)
				return ret;
			break;
		case OPT_READ:
			if (parse_read_mode(optarg, &o.read_mode))
				return usage_error(v, "--read-mode must be readindex or lease, not '%s'",
						   optarg);
			break;
		case OPT_RATE:
			if (parse_rate(optarg, &o.resync_rate))
				return usage_error(v, "--resync-rate must be %s, not '%s'",
						   RESYNC_RATE_RANGE, optarg);
			o.set_resync_rate = true;
			break;
		case OPT_LOG_MEMORY:
			if (parse_size(optarg, LOG_MEMORY_MIN, LOG_MEMORY_MAX,
				       &o.log_memory))
				return usage_error(v, "--log-memory must be a size from 4M to 1T (K, M, G, T: binary units), not '%s'",
						   optarg);
			break;
		case OPT_AUTO_PROMOTE:
			o.auto_promote = parse_yes_no(optarg);
			if (o.auto_promote < 0)
				return usage_error(v, "--auto-promote must be yes or no, not '%s'",
						   optarg);
			break;
		case OPT_PROMOTE_MS:
			ret = option_u32(v, "--auto-promote-timeout-ms", optarg,
					 PROMOTE_MS_MIN, PROMOTE_MS_MAX,
					 &o.auto_promote_ms);
			if (ret)
				return ret;
			break;
		case OPT_SECRET:
			secret_file = optarg;
			break;
		case OPT_NO_SECRET:
			no_secret = true;
			break;
		case OPT_DEFAULTS:
			o.defaults = true;
			break;
		case OPT_PROMOTE:
		case OPT_RETIRE:
			if (o.secret_op)
				return usage_error(v, "--promote-secret and --retire-secret: one at a time");
			o.secret_op = c == OPT_PROMOTE ?
				RAFTBLK_SECRET_OP_PROMOTE :
				RAFTBLK_SECRET_OP_RETIRE;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error(v, "missing device name");
	if (optind + 1 < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);
	name = argv[optind];
	if (!o.defaults && !o.heartbeat_ms && !o.election_ms && !o.max_batch &&
	    o.read_mode < 0 && !o.set_resync_rate && !o.log_memory &&
	    o.auto_promote < 0 && !o.auto_promote_ms &&
	    !secret_file && !o.secret_op && !no_secret)
		return usage_error(v, "nothing to set: give at least one option");
	if (o.heartbeat_ms && o.election_ms &&
	    o.election_ms < 3 * o.heartbeat_ms)
		return usage_error(v, "--election-timeout-ms must be at least 3 times --heartbeat-ms");
	if (secret_file && o.secret_op == RAFTBLK_SECRET_OP_RETIRE)
		return usage_error(v, "--secret-file and --retire-secret: one at a time");
	if (no_secret && (secret_file || o.secret_op))
		return usage_error(v, "--no-secret goes alone, without --secret-file, --promote-secret or --retire-secret");
	if (no_secret)
		o.secret_op = RAFTBLK_SECRET_OP_NEXT_NONE;
	if (secret_file) {
		snprintf(ctx, sizeof(ctx), "set %s", name);
		ret = secret_read(ctx, secret_file, &o.secret);
		if (ret)
			return ret;
	}
	ret = dev_set_options(name, &o);
	secret_clear(&o.secret);
	return ret;
}
