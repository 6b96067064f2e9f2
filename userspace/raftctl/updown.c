// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: up and down, a resource from its file (resource.c).
 *
 * up: create the device for this node (listening on its address, over its
 * disk); on a blank disk of the bootstrap node, start the cluster, never on
 * a disk that holds a raftblk log (the kernel refuses, EEXIST, and the node
 * restarts from its log instead). Then apply the options of the file (on
 * a device that was up, every option the file does not give goes back to
 * its default) and,
 * if this node is (or becomes, within --timeout) the leader, add every
 * node of the file that is not a member yet. down: destroy the device.
 * Both do nothing, successfully, when there is nothing to do.
 */
#include <dirent.h>
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
#include "resource.h"

#define DEFAULT_CONFIG_DIR	"/etc/raftblk"
#define DEFAULT_TIMEOUT_S	30

struct updown_args {
	const char *config_dir;
	uint32_t node_id;
	uint32_t timeout_s;
	bool dry_run;
	bool force;
	const char *resource;	/* "all": every DIR/\*.conf */
};

static int parse_updown(const struct verb *v, int argc, char **argv,
			struct updown_args *a, bool is_up)
{
	enum { OPT_CONFIG_DIR = 256, OPT_DRY_RUN, OPT_TIMEOUT, OPT_FORCE };
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
		{ "node-id", required_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->config_dir = DEFAULT_CONFIG_DIR;
	a->timeout_s = DEFAULT_TIMEOUT_S;
	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG_DIR:
			a->config_dir = optarg;
			break;
		case 'n':
			if (parse_u32(optarg, 1, UINT32_MAX, &a->node_id))
				return usage_error(v, "--node-id must be a number 1..%u, not '%s'",
						   UINT32_MAX, optarg);
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_TIMEOUT:
			if (!is_up)
				return usage_error(v, "unknown option '--timeout'");
			if (parse_u32(optarg, 0, 86400, &a->timeout_s))
				return usage_error(v, "--timeout must be 0..86400 seconds, not '%s'",
						   optarg);
			break;
		case OPT_FORCE:
			if (!is_up)
				return usage_error(v, "unknown option '--force'");
			a->force = true;
			break;
		case 'h':
			verb_help(v, stdout);
			return -1;
		default:
			return option_error(v, c, argv);
		}
	}
	if (optind >= argc)
		return usage_error(v, "missing resource name");
	if (optind + 1 < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);
	a->resource = argv[optind];
	if (!strcmp(a->resource, "all") && a->node_id)
		return usage_error(v, "--node-id names a node of one resource, not of all");
	return EXIT_OK;
}

/* The device NAME if it exists: 1 (filled), 0 (absent), or -exit code. */
static int find_device(const char *name, const char *ctx, struct dev_info *d)
{
	struct dev_list l;
	size_t i;
	int ret;

	ret = dev_list_get(NULL, ctx, &l);
	if (ret)
		return -ret;
	ret = 0;
	for (i = 0; i < l.n; i++)
		if (!strcmp(l.v[i].name, name)) {
			*d = l.v[i];
			ret = 1;
		}
	free(l.v);
	return ret;
}

/* DEVICE_CREATE for this node; 0, or -1 with *err filled. */
static int create_node(const struct resource *r,
		       const struct resource_node *self, bool bootstrap,
		       struct rb_error *err)
{
	struct nl_msg *msg;
	struct rb_nl *nl;
	int ret;

	nl = rb_nl_open(err);
	if (!nl)
		return -1;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_CREATE, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, r->device) ||
	    nla_put_string(msg, RAFTBLK_ATTR_DISK_PATH, self->disk) ||
	    nla_put_u32(msg, RAFTBLK_ATTR_NODE_ID, self->id) ||
	    addr_put(msg, RAFTBLK_ATTR_LISTEN, &self->addr) ||
	    (bootstrap && nla_put_flag(msg, RAFTBLK_ATTR_BOOTSTRAP)) ||
	    (self->snap_pool[0] &&
	     nla_put_string(msg, RAFTBLK_ATTR_SNAPSHOT_POOL, self->snap_pool)) ||
	    (r->opts.heartbeat_ms &&
	     nla_put_u32(msg, RAFTBLK_ATTR_HEARTBEAT_MS,
			 r->opts.heartbeat_ms)) ||
	    (r->opts.election_ms &&
	     nla_put_u32(msg, RAFTBLK_ATTR_ELECTION_TIMEOUT_MS,
			 r->opts.election_ms)) ||
	    /* from its first read on, not after the options' DEVICE_SET */
	    (r->opts.read_mode >= 0 &&
	     nla_put_u32(msg, RAFTBLK_ATTR_READ_MODE, r->opts.read_mode)) ||
	    (r->secret.len &&
	     nla_put(msg, RAFTBLK_ATTR_SECRET, r->secret.len,
		     r->secret.key))) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		memset(err, 0, sizeof(*err));
		err->err = ENOMEM;
		return -1;
	}
	ret = rb_nl_request(nl, msg, NULL, NULL, err);
	rb_nl_close(nl);
	/* its snapshots, for the leader's list (the kernel had none yet) */
	if (!ret && self->snap_pool[0])
		snap_report_refresh(r->device);
	return ret;
}

/* PEER_ADD of node N, retried while another change is in progress. */
static int add_peer(const struct resource *r, const struct resource_node *n,
		    time_t deadline)
{
	char ctx[300];
	int ret;

	snprintf(ctx, sizeof(ctx), "up %s: peer add %u", r->name, n->id);
	ret = membership_request(RAFTBLK_CMD_PEER_ADD, r->device, n->id,
				 &n->addr, deadline, ctx);
	if (ret)
		return ret;
	printf("%s: added node %u (%s) as a learner; it becomes a voter once it has caught up\n",
	       r->device, n->id, n->host);
	return EXIT_OK;
}

static bool is_member(const struct dev_info *d, uint32_t id)
{
	size_t i;

	for (i = 0; i < d->n_peers; i++)
		if (d->peers[i].id == id)
			return true;
	return false;
}

static bool has_options(const struct dev_options *o)
{
	return o->heartbeat_ms || o->election_ms || o->max_batch ||
	       o->read_mode >= 0 || o->set_resync_rate ||
	       o->log_memory || o->auto_promote >= 0 || o->auto_promote_ms;
}

static void print_plan(const struct resource *r,
		       const struct resource_node *self)
{
	char addr[ADDR_STRLEN];
	size_t i;

	addr_format(&self->addr, addr, sizeof(addr));
	printf("resource %s (%s): this is node %u (%s)\n", r->name, r->path,
	       self->id, self->host);
	printf("  create %s over %s as node %u listening on %s%s\n",
	       r->device, self->disk, self->id, addr,
	       r->bootstrap_node == self->id ?
	       ", bootstrap if the disk is blank" : "");
	if (has_options(&r->opts))
		printf("  set the options of the file; if it was up, the others back to their defaults\n");
	else
		printf("  if it was up: set every option back to its default (the file gives none)\n");
	for (i = 0; i < r->n_nodes; i++) {
		if (&r->nodes[i] == self)
			continue;
		addr_format(&r->nodes[i].addr, addr, sizeof(addr));
		printf("  if leader: add node %u (%s) at %s\n",
		       r->nodes[i].id, r->nodes[i].host, addr);
	}
}

/*
 * The file against a running node: its own address, and (on the leader)
 * members the file no longer has, which are removed, and members whose
 * address changed, which are refused: a node cannot move while it is a
 * member. An exit status.
 */
static int adjust_node(const struct resource *r,
		       const struct resource_node *self,
		       const struct dev_info *d, time_t deadline)
{
	char ctx[300], have[ADDR_STRLEN], want[ADDR_STRLEN];
	const struct resource_node *n;
	int ret = EXIT_OK;
	size_t i, j;

	if (!addr_equal(&d->listen, &self->addr)) {
		addr_format(&d->listen, have, sizeof(have));
		addr_format(&self->addr, want, sizeof(want));
		fprintf(stderr, "%s: up %s: node %u listens on %s, the file says %s: a member keeps its address ('raftctl peer remove' it on the leader, then 'raftctl down' and 'up' it here with a blank disk)\n",
			prog, r->name, self->id, have, want);
		return EXIT_ERROR;
	}
	if (d->role != RAFTBLK_ROLE_LEADER)
		return EXIT_OK;
	for (i = 0; i < d->n_peers; i++) {
		n = NULL;
		for (j = 0; j < r->n_nodes; j++)
			if (r->nodes[j].id == d->peers[i].id)
				n = &r->nodes[j];
		if (n && !addr_equal(&n->addr, &d->peers[i].addr)) {
			addr_format(&d->peers[i].addr, have, sizeof(have));
			addr_format(&n->addr, want, sizeof(want));
			fprintf(stderr, "%s: up %s: node %u is a member at %s, the file says %s: a member keeps its address ('raftctl peer remove %s %u', then 'up' again adds it at the new one)\n",
				prog, r->name, n->id, have, want, r->device,
				n->id);
			ret = EXIT_ERROR;
		}
	}
	if (ret)
		return ret;
	for (i = 0; i < d->n_peers && !ret; i++) {
		for (j = 0; j < r->n_nodes; j++)
			if (r->nodes[j].id == d->peers[i].id)
				break;
		if (j < r->n_nodes)
			continue;
		snprintf(ctx, sizeof(ctx), "up %s: peer remove %u", r->name,
			 d->peers[i].id);
		ret = membership_request(RAFTBLK_CMD_PEER_REMOVE, r->device,
					 d->peers[i].id, NULL, deadline, ctx);
		if (!ret)
			printf("%s: removed node %u, which the file no longer has\n",
			       r->device, d->peers[i].id);
	}
	return ret;
}

static int up_one(const struct updown_args *a, const char *name)
{
	const struct resource_node *self;
	struct rb_error err;
	struct resource *r;
	struct dev_info *d;
	char ctx[300];
	time_t deadline;
	bool bootstrap;
	int ret, found;
	size_t i;

	r = malloc(sizeof(*r));
	d = malloc(sizeof(*d));
	if (!r || !d) {
		free(r);
		free(d);
		return oom();
	}
	ret = EXIT_ERROR;
	if (resource_load(a->config_dir, name, r))
		goto out;
	self = resource_self(r, a->node_id);
	if (!self)
		goto out;
	if (a->dry_run) {
		print_plan(r, self);
		ret = EXIT_OK;
		goto out;
	}
	snprintf(ctx, sizeof(ctx), "up %s", r->name);
	deadline = time(NULL) + a->timeout_s;

	found = find_device(r->device, ctx, d);
	if (found < 0) {
		ret = -found;
		goto out;
	}
	if (found) {
		if (!d->has_node || d->node_id != self->id) {
			fprintf(stderr, "%s: %s: %s exists but is not node %u of this resource (destroy it first)\n",
				prog, ctx, r->device, self->id);
			goto out;
		}
		printf("%s: already up (node %u, %s)\n", r->device, self->id,
		       role_name(d->role));
	} else {
		if (!a->force) {
			ret = disk_check(ctx, self->disk);
			if (ret)
				goto out;
		}
		bootstrap = r->bootstrap_node == self->id;
		if (create_node(r, self, bootstrap, &err)) {
			/* A disk with a log restarts; never bootstrap it. */
			if (bootstrap && err.err == EEXIST &&
			    err.bad_attr == RAFTBLK_ATTR_BOOTSTRAP) {
				bootstrap = false;
				if (create_node(r, self, false, &err)) {
					ret = rb_error_print(ctx, &err);
					goto out;
				}
			} else {
				ret = rb_error_print(ctx, &err);
				goto out;
			}
		}
		printf("%s: created over %s as node %u%s\n", r->device,
		       self->disk, self->id,
		       bootstrap ? ", new cluster (bootstrap)" :
		       ", from the log on the disk or waiting to be added");
	}
	/*
	 * Exactly the options of the file: on a device that was up, those
	 * the file does not give (any more) go back to their defaults, as
	 * drbdadm adjust does. A new device has them already.
	 */
	r->opts.defaults = true;
	if (found || has_options(&r->opts)) {
		ret = dev_set_options(r->device, &r->opts);
		if (ret)
			goto out;
	}

	/* On the leader: add the nodes that are not members yet. */
	for (;;) {
		found = find_device(r->device, ctx, d);
		if (found <= 0) {
			ret = found ? -found : EXIT_ERROR;
			if (!found)
				fprintf(stderr, "%s: %s: %s is gone\n", prog, ctx,
					r->device);
			goto out;
		}
		if (d->role == RAFTBLK_ROLE_LEADER ||
		    (d->leader_id && d->leader_id != self->id) ||
		    time(NULL) >= deadline)
			break;
		usleep(200 * 1000);
	}
	ret = adjust_node(r, self, d, deadline);
	if (ret)
		goto out;
	if (d->role != RAFTBLK_ROLE_LEADER) {
		if (d->leader_id)
			printf("%s: node %u is the leader; 'raftctl up %s' there adds and removes nodes\n",
			       r->device, d->leader_id, r->name);
		else
			printf("%s: no leader yet; the leader adds and removes nodes when 'raftctl up %s' runs there\n",
			       r->device, r->name);
		goto out;
	}
	for (i = 0; i < r->n_nodes && !ret; i++) {
		if (&r->nodes[i] == self || is_member(d, r->nodes[i].id))
			continue;
		ret = add_peer(r, &r->nodes[i], deadline);
	}
out:
	free(r);
	free(d);
	return ret;
}

static int down_one(const struct updown_args *a, const char *name)
{
	struct rb_error err;
	struct resource *r;
	struct nl_msg *msg;
	struct rb_nl *nl;
	char ctx[300];
	int ret;

	r = malloc(sizeof(*r));
	if (!r)
		return oom();
	ret = EXIT_ERROR;
	if (resource_load(a->config_dir, name, r) ||
	    !resource_self(r, a->node_id))
		goto out;
	if (a->dry_run) {
		printf("resource %s (%s): destroy %s\n", r->name, r->path,
		       r->device);
		ret = EXIT_OK;
		goto out;
	}
	snprintf(ctx, sizeof(ctx), "down %s", r->name);
	nl = open_family();
	if (!nl)
		goto out;
	msg = rb_nl_msg(nl, RAFTBLK_CMD_DEVICE_DESTROY, 0);
	if (!msg || nla_put_string(msg, RAFTBLK_ATTR_NAME, r->device)) {
		nlmsg_free(msg);
		rb_nl_close(nl);
		ret = oom();
		goto out;
	}
	if (!rb_nl_request(nl, msg, NULL, NULL, &err)) {
		printf("%s: destroyed\n", r->device);
		ret = EXIT_OK;
	} else if (err.err == ENODEV) {
		printf("%s: already down\n", r->device);
		ret = EXIT_OK;
	} else {
		ret = rb_error_print(ctx, &err);
	}
	rb_nl_close(nl);
out:
	free(r);
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * ONE for a->resource, or for every DIR/NAME.conf in name order when it
 * is "all", going on after a failure; the first failure's exit status.
 */
static int each_resource(const struct updown_args *a,
			 int (*one)(const struct updown_args *a,
				    const char *name))
{
	char **names = NULL, **grown;
	size_t n = 0, cap = 0, i, len;
	struct dirent *e;
	int ret = EXIT_OK, r;
	DIR *dir;

	if (strcmp(a->resource, "all"))
		return one(a, a->resource);
	dir = opendir(a->config_dir);
	if (!dir) {
		fprintf(stderr, "%s: %s: %s\n", prog, a->config_dir,
			strerror(errno));
		return EXIT_ERROR;
	}
	while ((e = readdir(dir))) {
		len = strlen(e->d_name);
		if (len <= 5 || e->d_name[0] == '.' ||
		    strcmp(e->d_name + len - 5, ".conf"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				break;
			names = grown;
		}
		names[n] = strndup(e->d_name, len - 5);
		if (!names[n])
			break;
		n++;
	}
	closedir(dir);
	if (e) {
		ret = oom();
		goto out;
	}
	if (!n)
		fprintf(stderr, "%s: %s: no resource files (NAME.conf)\n", prog,
			a->config_dir);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		r = one(a, names[i]);
		if (r && !ret)
			ret = r;
	}
	if (!n)
		ret = EXIT_ERROR;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int cmd_up(const struct verb *v, int argc, char **argv)
{
	struct updown_args a;
	int ret;

	ret = parse_updown(v, argc, argv, &a, true);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	return each_resource(&a, up_one);
}

int cmd_down(const struct verb *v, int argc, char **argv)
{
	struct updown_args a;
	int ret;

	ret = parse_updown(v, argc, argv, &a, false);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	return each_resource(&a, down_one);
}
