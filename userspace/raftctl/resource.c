// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the resource file parser.
 *
 *   # comment (a whole line, or after a value and a blank: "a#b" is a value)
 *   [resource]
 *   device = raftblk0
 *   bootstrap-node = 1           (required)
 *   heartbeat-ms = 100           (optional, and the three below)
 *   election-timeout-ms = 1000
 *   max-batch = 64
 *   read-mode = readindex
 *   resync-rate = 40M            (bytes/s, K/M/G/T; 0: dynamic)
 *   log-memory = 64M             (optional: budget of the in-memory log)
 *   auto-promote = yes           (optional: yes, the default, or no)
 *   auto-promote-timeout-ms = 5000
 *   shared-secret = ...          (optional, or shared-secret-file = PATH:
 *                                 peers authenticate; 16..128 bytes)
 *
 *   [node 1]
 *   host = alpha
 *   address = 10.0.0.1:7789
 *   disk = /dev/vdb
 *   snapshot-pool = /dev/vdc     (optional: COW space for snapshots)
 *
 * Strict: an unknown section or key, a key twice, a node id twice, a host
 * or address used by two nodes, a missing key or a bad value is an error
 * naming the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "resource.h"

struct parser {
	const char *file;
	int line;
	struct resource *r;
	enum { SEC_NONE, SEC_RESOURCE, SEC_NODE } sec;
	struct resource_node *node;	/* SEC_NODE */
	bool seen_resource;
	/* Lines of what the whole-file checks may blame. */
	int resource_line, bootstrap_line, election_line;
	/* Keys seen in the current section, to refuse duplicates. */
	char seen[16][32];
	int n_seen;
};

static int perr(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%d: ", prog, p->file, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* A section header "[resource]" or "[node N]" (brackets stripped). */
static int parse_section(struct parser *p, char *s)
{
	struct resource *r = p->r;
	uint32_t id;
	size_t i;

	s = trim(s);
	p->n_seen = 0;
	if (!strcmp(s, "resource")) {
		if (p->seen_resource)
			return perr(p, "second [resource] section");
		p->seen_resource = true;
		p->resource_line = p->line;
		p->sec = SEC_RESOURCE;
		return 0;
	}
	if (strncmp(s, "node", 4) || !isspace((unsigned char)s[4]))
		return perr(p, "unknown section [%s] (expected [resource] or [node N])",
			    s);
	s = trim(s + 4);
	if (parse_u32(s, 1, UINT32_MAX, &id))
		return perr(p, "node id must be a number 1..%u, not '%s'",
			    UINT32_MAX, s);
	for (i = 0; i < r->n_nodes; i++)
		if (r->nodes[i].id == id)
			return perr(p, "duplicate node %u (first at line %d)",
				    id, r->nodes[i].line);
	if (r->n_nodes == RESOURCE_MAX_NODES)
		return perr(p, "more than %d nodes", RESOURCE_MAX_NODES);
	p->node = &r->nodes[r->n_nodes++];
	memset(p->node, 0, sizeof(*p->node));
	p->node->id = id;
	p->node->line = p->line;
	p->sec = SEC_NODE;
	return 0;
}

static int parse_resource_key(struct parser *p, const char *key,
			      const char *val)
{
	struct resource *r = p->r;
	struct dev_options *o = &r->opts;

	if (!strcmp(key, "device")) {
		size_t i, len = strlen(val);

		if (len <= 7 || len > RAFTBLK_NAME_MAXLEN ||
		    strncmp(val, "raftblk", 7))
			return perr(p, "device must be raftblk followed by digits, not '%s'",
				    val);
		for (i = 7; i < len; i++)
			if (!isdigit((unsigned char)val[i]))
				return perr(p, "device must be raftblk followed by digits, not '%s'",
					    val);
		snprintf(r->device, sizeof(r->device), "%s", val);
	} else if (!strcmp(key, "bootstrap-node")) {
		if (parse_u32(val, 1, UINT32_MAX, &r->bootstrap_node))
			return perr(p, "bootstrap-node must be a node id, not '%s'",
				    val);
		p->bootstrap_line = p->line;
	} else if (!strcmp(key, "heartbeat-ms")) {
		if (parse_u32(val, HEARTBEAT_MS_MIN, HEARTBEAT_MS_MAX,
			      &o->heartbeat_ms))
			return perr(p, "heartbeat-ms must be %u..%u, not '%s'",
				    HEARTBEAT_MS_MIN, HEARTBEAT_MS_MAX, val);
	} else if (!strcmp(key, "election-timeout-ms")) {
		p->election_line = p->line;
		if (parse_u32(val, ELECTION_MS_MIN, ELECTION_MS_MAX,
			      &o->election_ms))
			return perr(p, "election-timeout-ms must be %u..%u, not '%s'",
				    ELECTION_MS_MIN, ELECTION_MS_MAX, val);
	} else if (!strcmp(key, "max-batch")) {
		if (parse_u32(val, MAX_BATCH_MIN, MAX_BATCH_MAX, &o->max_batch))
			return perr(p, "max-batch must be %u..%u, not '%s'",
				    MAX_BATCH_MIN, MAX_BATCH_MAX, val);
	} else if (!strcmp(key, "read-mode")) {
		if (parse_read_mode(val, &o->read_mode))
			return perr(p, "read-mode must be readindex or lease, not '%s'",
				    val);
	} else if (!strcmp(key, "resync-rate")) {
		if (parse_rate(val, &o->resync_rate))
			return perr(p, "resync-rate must be %s, not '%s'",
				    RESYNC_RATE_RANGE, val);
		o->set_resync_rate = true;
	} else if (!strcmp(key, "shared-secret") ||
		   !strcmp(key, "shared-secret-file")) {
		char ctx[sizeof(r->path) + 16];

		if (r->secret.len)
			return perr(p, "shared-secret and shared-secret-file: only one");
		if (key[13] == '-') {
			snprintf(ctx, sizeof(ctx), "%s:%d", r->path, p->line);
			if (secret_read(ctx, val, &r->secret))
				return -1;
		} else if (secret_from_string(val, &r->secret)) {
			/* Never print the secret itself. */
			return perr(p, "shared-secret must be %d to %d bytes",
				    SECRET_MIN, SECRET_MAX);
		}
	} else if (!strcmp(key, "log-memory")) {
		if (parse_size(val, LOG_MEMORY_MIN, LOG_MEMORY_MAX,
			       &o->log_memory))
			return perr(p, "log-memory must be a size from 4M to 1T, not '%s'",
				    val);
	} else if (!strcmp(key, "auto-promote")) {
		o->auto_promote = parse_yes_no(val);
		if (o->auto_promote < 0)
			return perr(p, "auto-promote must be yes or no, not '%s'",
				    val);
	} else if (!strcmp(key, "auto-promote-timeout-ms")) {
		if (parse_u32(val, PROMOTE_MS_MIN, PROMOTE_MS_MAX,
			      &o->auto_promote_ms))
			return perr(p, "auto-promote-timeout-ms must be %u..%u, not '%s'",
				    PROMOTE_MS_MIN, PROMOTE_MS_MAX, val);
	} else {
		return perr(p, "unknown key '%s' in [resource] (device, bootstrap-node, heartbeat-ms, election-timeout-ms, max-batch, read-mode, resync-rate, log-memory, auto-promote, auto-promote-timeout-ms, shared-secret, shared-secret-file)",
			    key);
	}
	return 0;
}

static int parse_node_key(struct parser *p, const char *key, const char *val)
{
	struct resource_node *n = p->node;
	const char *why;

	if (!strcmp(key, "host")) {
		if (strlen(val) > RESOURCE_HOST_MAX || strpbrk(val, " \t"))
			return perr(p, "bad host name '%s'", val);
		snprintf(n->host, sizeof(n->host), "%s", val);
	} else if (!strcmp(key, "address")) {
		why = addr_parse(val, &n->addr);
		if (why)
			return perr(p, "bad address '%s': %s (ADDR:PORT or [ADDR6]:PORT)",
				    val, why);
	} else if (!strcmp(key, "disk")) {
		if (val[0] != '/' || strlen(val) > RAFTBLK_PATH_MAXLEN)
			return perr(p, "disk must be an absolute path of at most %d bytes, not '%s'",
				    RAFTBLK_PATH_MAXLEN, val);
		snprintf(n->disk, sizeof(n->disk), "%s", val);
	} else if (!strcmp(key, "snapshot-pool")) {
		if (val[0] != '/' || strlen(val) > RAFTBLK_PATH_MAXLEN)
			return perr(p, "snapshot-pool must be an absolute path of at most %d bytes, not '%s'",
				    RAFTBLK_PATH_MAXLEN, val);
		snprintf(n->snap_pool, sizeof(n->snap_pool), "%s", val);
	} else {
		return perr(p, "unknown key '%s' in [node %u] (host, address, disk, snapshot-pool)",
			    key, n->id);
	}
	return 0;
}

static int parse_line(struct parser *p, char *s)
{
	char *eq, *key, *val, *hash;
	int i;

	/* A comment starts at a '#' first on the line or after a blank. */
	for (hash = s; (hash = strchr(hash, '#')); hash++)
		if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '[') {
		char *close = strchr(s, ']');

		if (!close || *trim(close + 1))
			return perr(p, "bad section header (expected [resource] or [node N])");
		*close = '\0';
		return parse_section(p, s + 1);
	}
	eq = strchr(s, '=');
	if (!eq)
		return perr(p, "expected 'key = value' or a [section]");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return perr(p, "missing key before '='");
	if (!*val)
		return perr(p, "missing value for '%s'", key);
	if (p->sec == SEC_NONE)
		return perr(p, "'%s' outside a section (start with [resource])",
			    key);
	for (i = 0; i < p->n_seen; i++)
		if (!strcmp(p->seen[i], key))
			return perr(p, "duplicate key '%s'", key);
	if (p->n_seen < (int)(sizeof(p->seen) / sizeof(p->seen[0])) &&
	    strlen(key) < sizeof(p->seen[0]))
		strcpy(p->seen[p->n_seen++], key);
	if (p->sec == SEC_RESOURCE)
		return parse_resource_key(p, key, val);
	return parse_node_key(p, key, val);
}

/* Whole-file rules, once every line is read. */
static int check_resource(struct parser *p)
{
	struct resource *r = p->r;
	const struct dev_options *o = &r->opts;
	size_t i, j;

	if (!p->seen_resource)
		return perr(p, "no [resource] section");
	if (!r->n_nodes)
		return perr(p, "no [node N] section");
	p->line = p->resource_line;
	if (!r->device[0])
		return perr(p, "[resource] needs device = raftblkN");
	p->line = p->election_line;
	if (o->heartbeat_ms && o->election_ms &&
	    o->election_ms < 3 * o->heartbeat_ms)
		return perr(p, "election-timeout-ms must be at least 3 times heartbeat-ms");
	for (i = 0; i < r->n_nodes; i++) {
		const struct resource_node *n = &r->nodes[i];

		p->line = n->line;
		if (!n->host[0])
			return perr(p, "[node %u] needs host =", n->id);
		if (!n->addr.family)
			return perr(p, "[node %u] needs address = ADDR:PORT",
				    n->id);
		if (!n->disk[0])
			return perr(p, "[node %u] needs disk = /dev/...", n->id);
		for (j = 0; j < i; j++) {
			if (!strcmp(r->nodes[j].host, n->host))
				return perr(p, "[node %u] has the host of node %u",
					    n->id, r->nodes[j].id);
			if (addr_equal(&r->nodes[j].addr, &n->addr))
				return perr(p, "[node %u] has the address of node %u",
					    n->id, r->nodes[j].id);
		}
	}
	/* Without one, every node waits to be added and none starts. */
	if (!r->bootstrap_node) {
		p->line = p->resource_line;
		return perr(p, "[resource] needs bootstrap-node = N, the node that starts the cluster on a blank disk");
	}
	p->line = p->bootstrap_line;
	for (i = 0; i < r->n_nodes; i++)
		if (r->nodes[i].id == r->bootstrap_node)
			return 0;
	return perr(p, "bootstrap-node %u is not a [node N]",
		    r->bootstrap_node);
}

int resource_load(const char *dir, const char *name, struct resource *r)
{
	struct parser p = { 0 };
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->opts.read_mode = -1;
	r->opts.auto_promote = -1;
	if (!*name || strlen(name) >= sizeof(r->name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
	    strlen(name) || name[0] == '.') {
		fprintf(stderr, "%s: bad resource name '%s' (letters, digits, '_', '.', '-')\n",
			prog, name);
		return -1;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	if ((size_t)snprintf(r->path, sizeof(r->path), "%s/%s.conf", dir,
			     name) >= sizeof(r->path)) {
		fprintf(stderr, "%s: config directory path too long\n", prog);
		return -1;
	}
	f = fopen(r->path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, r->path, strerror(errno));
		return -1;
	}
	p.file = r->path;
	p.r = r;
	while (getline(&line, &cap, f) >= 0) {
		p.line++;
		if (strlen(line) > 4096) {
			ret = perr(&p, "line too long");
			break;
		}
		ret = parse_line(&p, line);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		fprintf(stderr, "%s: %s: read error\n", prog, r->path);
		ret = -1;
	}
	free(line);
	fclose(f);
	if (!ret)
		ret = check_resource(&p);
	return ret;
}

const struct resource_node *resource_self(const struct resource *r,
					  uint32_t node_id)
{
	struct utsname u;
	size_t i, len;

	if (node_id) {
		for (i = 0; i < r->n_nodes; i++)
			if (r->nodes[i].id == node_id)
				return &r->nodes[i];
		fprintf(stderr, "%s: %s: no [node %u]\n", prog, r->path,
			node_id);
		return NULL;
	}
	if (uname(&u)) {
		fprintf(stderr, "%s: uname: %s\n", prog, strerror(errno));
		return NULL;
	}
	/* The full name, else the name without its domain. */
	for (i = 0; i < r->n_nodes; i++)
		if (!strcmp(r->nodes[i].host, u.nodename))
			return &r->nodes[i];
	len = strcspn(u.nodename, ".");
	for (i = 0; i < r->n_nodes; i++)
		if (strlen(r->nodes[i].host) == len &&
		    !strncmp(r->nodes[i].host, u.nodename, len))
			return &r->nodes[i];
	fprintf(stderr, "%s: %s: this host (%s) is not a node of resource %s (give --node-id N)\n",
		prog, r->path, u.nodename, r->name);
	return NULL;
}
