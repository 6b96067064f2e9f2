// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: snapshot verbs.
 *
 *   raftctl snapshot create NAME SNAPSHOT [--size SIZE | --cow DEVICE]
 *                                         [--timeout SECS]
 *   raftctl snapshot list NAME [--json]
 *   raftctl snapshot delete NAME SNAPSHOT [--timeout SECS]
 *
 * create and delete run on the leader: they append an entry to the log,
 * then wait until this node applied it and say what it made of it. list
 * shows this node's snapshots: the table of its COW pool (name, index,
 * term, time, COW area) with device-mapper's state of each (active,
 * invalid, inactive, or missing here: no room in the pool), and the index
 * of the copy this node joined by, if any (entries up to it were never
 * applied here, so their snapshots are missing).
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
#include "pool.h"
#include "dm.h"
#include "snapnodes.h"

#define SNAP_WAIT_S_DEFAULT	60

const char *snap_result_name(uint32_t result)
{
	static const char *const names[] = RAFTBLK_SNAPSHOT_RESULT_NAMES;

	if (result < sizeof(names) / sizeof(names[0]) && names[result])
		return names[result];
	return "unknown";
}

int snap_last_parse(struct nlattr *nest, struct snap_last *s)
{
	static struct nla_policy pol[RAFTBLK_SNAPSHOT_ATTR_MAX + 1] = {
		[RAFTBLK_SNAPSHOT_ATTR_NAME] = { .type = NLA_STRING },
		[RAFTBLK_SNAPSHOT_ATTR_DELETE] = { .type = NLA_FLAG },
		[RAFTBLK_SNAPSHOT_ATTR_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_SNAPSHOT_ATTR_TERM] = { .type = NLA_U64 },
		[RAFTBLK_SNAPSHOT_ATTR_TIME] = { .type = NLA_U64 },
		[RAFTBLK_SNAPSHOT_ATTR_RESULT] = { .type = NLA_U32 },
		[RAFTBLK_SNAPSHOT_ATTR_COUNT] = { .type = NLA_U64 },
	};
	struct nlattr *tb[RAFTBLK_SNAPSHOT_ATTR_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (nla_parse_nested(tb, RAFTBLK_SNAPSHOT_ATTR_MAX, nest, pol) ||
	    !tb[RAFTBLK_SNAPSHOT_ATTR_NAME] ||
	    !tb[RAFTBLK_SNAPSHOT_ATTR_INDEX] ||
	    !tb[RAFTBLK_SNAPSHOT_ATTR_RESULT])
		return -1;
	snprintf(s->name, sizeof(s->name), "%s",
		 nla_get_string(tb[RAFTBLK_SNAPSHOT_ATTR_NAME]));
	s->delete = nla_get_flag(tb[RAFTBLK_SNAPSHOT_ATTR_DELETE]);
	s->index = nla_get_u64(tb[RAFTBLK_SNAPSHOT_ATTR_INDEX]);
	if (tb[RAFTBLK_SNAPSHOT_ATTR_TERM])
		s->term = nla_get_u64(tb[RAFTBLK_SNAPSHOT_ATTR_TERM]);
	if (tb[RAFTBLK_SNAPSHOT_ATTR_TIME])
		s->time = nla_get_u64(tb[RAFTBLK_SNAPSHOT_ATTR_TIME]);
	if (tb[RAFTBLK_SNAPSHOT_ATTR_COUNT])
		s->count = nla_get_u64(tb[RAFTBLK_SNAPSHOT_ATTR_COUNT]);
	s->result = nla_get_u32(tb[RAFTBLK_SNAPSHOT_ATTR_RESULT]);
	return 0;
}

/* The same rule as the kernel's (device.c). */
static bool snap_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > RAFTBLK_SNAPSHOT_NAME_MAXLEN ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.+-", *s)))
			return false;
	return true;
}

struct snap_reply {
	uint64_t index, term;
	bool got;
};

static int on_snap_reply(struct nl_msg *reply, void *arg)
{
	struct nlattr *tb[RAFTBLK_ATTR_MAX + 1];
	struct snap_reply *r = arg;

	if (genlmsg_parse(nlmsg_hdr(reply), 0, tb, RAFTBLK_ATTR_MAX, NULL) ||
	    !tb[RAFTBLK_ATTR_SNAPSHOT_INDEX] || !tb[RAFTBLK_ATTR_SNAPSHOT_TERM])
		return NL_SKIP;
	r->index = nla_get_u64(tb[RAFTBLK_ATTR_SNAPSHOT_INDEX]);
	r->term = nla_get_u64(tb[RAFTBLK_ATTR_SNAPSHOT_TERM]);
	r->got = true;
	return NL_OK;
}

/*
 * What this node made of the entry at INDEX/TERM: its result, once it
 * applied it; -1 after TIMEOUT seconds (or when it cannot tell).
 */
static int wait_applied(const char *name, const char *ctx, uint64_t index,
			uint64_t term, int timeout, uint32_t *result)
{
	time_t end = time(NULL) + timeout;

	for (;;) {
		struct dev_list l;
		struct dev_info *d;
		bool done;

		if (dev_list_get(name, ctx, &l))
			return -1;
		d = l.n ? &l.v[0] : NULL;
		done = d && d->applied_index >= index;
		if (done && d->snap.index == index && d->snap.term == term) {
			*result = d->snap.result;
			free(l.v);
			return 0;
		}
		free(l.v);
		if (done) {
			/* A later snapshot entry was applied since. */
			*result = RAFTBLK_SNAPSHOT_RESULT_NONE;
			return 0;
		}
		if (time(NULL) >= end)
			return -1;
		usleep(100 * 1000);
	}
}

static int snap_request(const struct verb *v, bool create, const char *name,
			const char *snap, uint64_t size, const char *cow_dev,
			int timeout)
{
	struct snap_reply r = {};
	struct rb_error err;
	struct nl_msg *msg;
	struct rb_nl *nl;
	uint32_t result;
	char ctx[128];

	(void)v;
	snprintf(ctx, sizeof(ctx), "snapshot %s %s %s",
		 create ? "create" : "delete", name, snap);
	nl = open_family();
	if (!nl)
		return EXIT_ERROR;
	msg = rb_nl_msg(nl, create ? RAFTBLK_CMD_SNAPSHOT_CREATE :
			RAFTBLK_CMD_SNAPSHOT_DELETE, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, name) ||
	    nla_put_string(msg, RAFTBLK_ATTR_SNAPSHOT_NAME, snap) ||
	    (size && nla_put_u64(msg, RAFTBLK_ATTR_SNAPSHOT_COW_SIZE, size)) ||
	    (cow_dev && nla_put_string(msg, RAFTBLK_ATTR_SNAPSHOT_COW_DEVICE,
				       cow_dev))) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		return oom();
	}
	if (rb_nl_request(nl, msg, on_snap_reply, &r, &err)) {
		rb_nl_close(nl);
		return rb_error_print(ctx, &err);
	}
	rb_nl_close(nl);
	if (!r.got) {
		fprintf(stderr, "%s: %s: the entry is in the log, but the kernel's reply was lost\n",
			prog, ctx);
		return EXIT_ERROR;
	}
	if (wait_applied(name, ctx, r.index, r.term, timeout, &result)) {
		fprintf(stderr, "%s: %s: entry at index %" PRIu64 " term %" PRIu64
			" not applied on this node within %d s (the leader changed?)\n",
			prog, ctx, r.index, r.term, timeout);
		return EXIT_ERROR;
	}
	if (result == (create ? RAFTBLK_SNAPSHOT_RESULT_TAKEN :
		       RAFTBLK_SNAPSHOT_RESULT_DELETED) ||
	    result == RAFTBLK_SNAPSHOT_RESULT_NONE) {
		printf("snapshot %s %s at index %" PRIu64 " term %" PRIu64 "\n",
		       snap, create ? "taken" : "deleted", r.index, r.term);
		return EXIT_OK;
	}
	fprintf(stderr, "%s: %s: entry at index %" PRIu64 " term %" PRIu64
		" applied, on this node: %s\n", prog, ctx, r.index, r.term,
		result == RAFTBLK_SNAPSHOT_RESULT_NO_COW ?
		"no COW pool configured (snapshot-pool), not taken" :
		result == RAFTBLK_SNAPSHOT_RESULT_NO_SPACE ?
		"no room left in the COW pool, not taken" :
		result == RAFTBLK_SNAPSHOT_RESULT_FAILED && cow_dev ?
		"not taken: the COW device is missing, too small or in use (see the kernel log)" :
		result == RAFTBLK_SNAPSHOT_RESULT_EXISTS ?
		"the name is taken by an earlier snapshot" :
		result == RAFTBLK_SNAPSHOT_RESULT_NOT_FOUND ?
		"no snapshot of that name" :
		"the helper failed (see the kernel log)");
	return EXIT_ERROR;
}

static void fmt_time(char *buf, size_t len, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

void snap_view_load(const struct dev_info *d, struct snap_view *v)
{
	struct pool t = {};
	uint64_t size;
	bool blank;
	int fd, ret;

	memset(v, 0, sizeof(*v));
	if (!d->snap_pool[0])
		return;
	fd = pool_open(d->snap_pool, false, &size);
	if (fd < 0) {
		v->pool_err = "cannot open the COW pool";
		return;
	}
	ret = pool_read(fd, size, &t, &blank);
	close(fd);
	if (ret) {
		if (!blank)
			v->pool_err = "the COW pool has no valid table";
		return;
	}
	for (uint32_t i = 0; i < t.n && v->n < sizeof(v->v) / sizeof(v->v[0]);
	     i++) {
		struct snap_row *r = &v->v[v->n++];
		struct dm_snap_state st;

		snprintf(r->name, sizeof(r->name), "%s", t.v[i].name);
		r->index = t.v[i].index;
		r->term = t.v[i].term;
		r->time = t.v[i].time;
		r->cow_size = t.v[i].cow_size;
		snprintf(r->cow_dev, sizeof(r->cow_dev), "%s",
			 t.v[i].cow_dev);
		if (t.v[i].state == POOL_SNAP_NO_SPACE ||
		    t.v[i].state == POOL_SNAP_NO_DEVICE) {
			r->state = "missing";
			r->rep = t.v[i].state == POOL_SNAP_NO_SPACE ?
				 RAFTBLK_SNAPREP_NO_SPACE :
				 RAFTBLK_SNAPREP_NO_DEVICE;
			r->why = t.v[i].state == POOL_SNAP_NO_SPACE ?
				 "not taken here: no room in the COW pool" :
				 "not taken here: its COW device is missing, too small or in use (see the kernel log)";
			v->missing++;
			continue;
		}
		dm_snap_status(d->name, t.v[i].name, &st);
		r->cow_used = st.used;
		if (!st.active) {
			r->state = "inactive";
			r->rep = RAFTBLK_SNAPREP_INACTIVE;
			r->why = "taken, but its device could not be set up (see the kernel log)";
		} else if (st.invalid) {
			r->state = "invalid";
			r->rep = RAFTBLK_SNAPREP_INVALID;
			r->why = "its COW space overflowed (or failed): the snapshot is lost";
			v->invalid++;
		} else {
			r->state = "active";
			r->rep = RAFTBLK_SNAPREP_ACTIVE;
			r->why = NULL;
		}
		v->taken++;
	}
}

void snap_view_summary(const struct dev_info *d, const struct snap_view *v,
		       char *buf, size_t len)
{
	int n;

	if (!d->snap_pool[0])
		n = snprintf(buf, len, "none (no COW pool configured)");
	else if (v->pool_err)
		n = snprintf(buf, len, "unknown: %s %s", v->pool_err,
			     d->snap_pool);
	else
		n = snprintf(buf, len, "%" PRIu32 " taken (%" PRIu32
			     " invalid), %" PRIu32 " missing here, pool %s",
			     v->taken, v->invalid, v->missing, d->snap_pool);
	if (d->copy_index && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n,
			 "; joined by a copy of index %" PRIu64, d->copy_index);
}

/* Why the entries up to a copy's index are missing here, for people. */
static void print_copy_note(const struct dev_info *d)
{
	printf("%s node %u: missing: this node joined by a copy of index %"
	       PRIu64 " (resync): snapshots of entries up to %" PRIu64
	       " not listed here were never taken on it\n", d->name,
	       d->node_id, d->copy_index, d->copy_index);
}

static void snap_list_json(const struct dev_info *d,
			   const struct snap_view *v,
			   const struct snap_cluster *c)
{
	printf("{\n  \"device\": ");
	json_string(stdout, d->name);
	printf(",\n  \"node_id\": %u,\n  \"pool\": ", d->node_id);
	if (d->snap_pool[0])
		json_string(stdout, d->snap_pool);
	else
		printf("null");
	printf(",\n  \"pool_error\": ");
	if (v->pool_err)
		json_string(stdout, v->pool_err);
	else
		printf("null");
	/* entries up to it were never applied here (a resync copy) */
	printf(",\n  \"copy_index\": %" PRIu64, d->copy_index);
	printf(",\n  \"missing_before\": ");
	if (d->copy_index) {
		printf("{\"index\": %" PRIu64 ", \"why\": ", d->copy_index);
		json_string(stdout, "node joined by a copy: snapshot entries up to this index were never applied here");
		printf("}");
	} else {
		printf("null");
	}
	printf(",\n  \"last\": ");
	if (d->snap.count) {
		printf("{\"name\": ");
		json_string(stdout, d->snap.name);
		printf(", \"op\": \"%s\", \"index\": %" PRIu64
		       ", \"term\": %" PRIu64 ", \"result\": \"%s\"}",
		       d->snap.delete ? "delete" : "create",
		       d->snap.index, d->snap.term,
		       snap_result_name(d->snap.result));
	} else {
		printf("null");
	}
	printf(",\n  \"snapshots\": [");
	for (uint32_t i = 0; i < v->n; i++) {
		const struct snap_row *r = &v->v[i];
		char dev[300], when[32];

		dm_name_snap(dev, sizeof(dev), d->name, r->name, false);
		fmt_time(when, sizeof(when), r->time);
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_string(stdout, r->name);
		printf(", \"index\": %" PRIu64 ", \"term\": %" PRIu64
		       ", \"time\": %" PRIu64 ", \"time_utc\": \"%s\""
		       ", \"cow_size\": %" PRIu64 ", \"cow_used\": %" PRIu64
		       ", \"state\": \"%s\", \"why\": ", r->index, r->term,
		       r->time, when, r->cow_size, r->cow_used, r->state);
		if (r->why)
			json_string(stdout, r->why);
		else
			printf("null");
		printf(", \"cow_device\": ");
		if (r->cow_dev[0])
			json_string(stdout, r->cow_dev);
		else
			printf("null");
		if (strcmp(r->state, "missing"))
			printf(", \"device\": \"/dev/mapper/%s\"}", dev);
		else
			printf(", \"device\": null}");
	}
	printf("%s]", v->n ? "\n  " : "");
	snap_cluster_json(d, c);
	printf("\n}\n");
}

static int snap_list(const char *name, bool json)
{
	struct snap_cluster *c;
	struct snap_view v;
	struct dev_list l;
	struct dev_info *d;
	int ret;

	ret = dev_list_get(name, "snapshot list", &l);
	if (ret)
		return ret;
	if (!l.n || !l.v[0].has_node) {
		fprintf(stderr, "%s: snapshot list %s: device is not replicated\n",
			prog, name);
		free(l.v);
		return EXIT_ERROR;
	}
	d = &l.v[0];
	snap_view_load(d, &v);
	/* this node's own report is as fresh as what is listed */
	snap_report_push(d, &v);
	c = malloc(sizeof(*c));
	if (!c) {
		free(l.v);
		return oom();
	}
	if (snap_cluster_load(d, c))
		fprintf(stderr, "%s: snapshot list %s: the kernel gave no snapshot reports (an older module?)\n",
			prog, name);
	if (json) {
		snap_list_json(d, &v, c);
		free(c);
		free(l.v);
		return EXIT_OK;
	}
	if (!d->snap_pool[0])
		printf("%s node %u: no COW pool configured (snapshot-pool): snapshot entries are applied without a snapshot here\n",
		       name, d->node_id);
	else if (v.pool_err)
		printf("%s node %u: %s %s\n", name, d->node_id, v.pool_err,
		       d->snap_pool);
	if (d->copy_index)
		print_copy_note(d);
	if (d->snap.count)
		printf("%s node %u: last snapshot entry: %s %s at index %" PRIu64
		       " term %" PRIu64 ": %s\n", name, d->node_id,
		       d->snap.delete ? "delete" : "create", d->snap.name,
		       d->snap.index, d->snap.term,
		       snap_result_name(d->snap.result));
	if (v.n) {
		static const char *const hdr[] = {
			"NAME", "INDEX", "TERM", "TIME", "COW-USED", "COW-SIZE",
			"STATE", "DEVICE",
		};
		struct table *tab = table_new(8, hdr);

		for (uint32_t i = 0; i < v.n; i++) {
			const struct snap_row *r = &v.v[i];
			char idx[24], term[24], when[32], used[16], sz[16];
			char dev[300];
			const char *row[8];
			bool missing = !strcmp(r->state, "missing");

			snprintf(idx, sizeof(idx), "%" PRIu64, r->index);
			snprintf(term, sizeof(term), "%" PRIu64, r->term);
			fmt_time(when, sizeof(when), r->time);
			format_size(used, sizeof(used), r->cow_used);
			format_size(sz, sizeof(sz), r->cow_size);
			snprintf(dev, sizeof(dev), "/dev/mapper/%s-snap-%s",
				 name, r->name);
			row[0] = r->name;
			row[1] = idx;
			row[2] = term;
			row[3] = when;
			row[4] = missing ? "-" : used;
			row[5] = missing ? "-" : sz;
			row[6] = r->state;
			row[7] = missing ? "-" : dev;
			table_add_row(tab, row);
		}
		table_print(tab, stdout);
		table_free(tab);
		for (uint32_t i = 0; i < v.n; i++)
			if (v.v[i].why)
				printf("%s node %u: %s %s: %s\n", name,
				       d->node_id, v.v[i].name, v.v[i].state,
				       v.v[i].why);
	} else if (d->snap_pool[0] && !v.pool_err) {
		printf("%s node %u: no snapshots\n", name, d->node_id);
	}
	snap_cluster_print(d, c);
	free(c);
	free(l.v);
	return EXIT_OK;
}

int cmd_snapshot(const struct verb *v, int argc, char **argv)
{
	enum { OPT_TIMEOUT = 256, OPT_COW };
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "cow", required_argument, NULL, OPT_COW },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub, *name, *snap = NULL, *cow_dev = NULL;
	uint64_t size = 0;
	uint32_t timeout = SNAP_WAIT_S_DEFAULT;
	bool json = false, create, list;
	int c, ret, want;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error(v, "missing create, list or delete");
	sub = argv[optind];
	create = !strcmp(sub, "create");
	list = !strcmp(sub, "list");
	if (!create && !list && strcmp(sub, "delete"))
		return usage_error(v, "unknown snapshot command '%s' (create, list, delete)",
				   sub);
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!create)
				return usage_error(v, "--size is for create");
			if (parse_size(optarg, RAFTBLK_SNAPSHOT_COW_MIN,
				       1ULL << 50, &size) || size % 4096)
				return usage_error(v, "--size must be a multiple of 4K, at least 1M, not '%s'",
						   optarg);
			break;
		case OPT_COW:
			if (!create)
				return usage_error(v, "--cow is for create");
			if (optarg[0] != '/' || !optarg[1] ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.+-:") !=
			    strlen(optarg))
				return usage_error(v, "--cow must be an absolute device path of letters, digits and /_.+-:, not '%s'",
						   optarg);
			cow_dev = optarg;
			break;
		case OPT_TIMEOUT:
			if (list)
				return usage_error(v, "--timeout is for create and delete");
			ret = option_u32(v, "--timeout", optarg, 1, 86400,
					 &timeout);
			if (ret)
				return ret;
			break;
		case 'j':
			if (!list)
				return usage_error(v, "--json is for list");
			json = true;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	want = list ? 1 : 2;
	if (argc - optind < want)
		return usage_error(v, "missing %s", argc == optind ?
				   "device name" : "snapshot name");
	if (argc - optind > want)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + want]);
	name = argv[optind];
	if (!list) {
		snap = argv[optind + 1];
		if (!snap_name_valid(snap))
			return usage_error(v, "bad snapshot name '%s': 1 to %d letters, digits or _.+- starting with a letter or digit",
					   snap, RAFTBLK_SNAPSHOT_NAME_MAXLEN);
		if (cow_dev && size)
			return usage_error(v, "--cow and --size: one or the other");
		if (cow_dev && strlen(snap) + strlen(cow_dev) >
		    RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN)
			return usage_error(v, "--cow: the snapshot name and the device path together must be at most %d bytes (they share the log entry's name field)",
					   RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN);
		return snap_request(v, create, name, snap, size, cow_dev,
				    timeout);
	}
	return snap_list(name, json);
}
