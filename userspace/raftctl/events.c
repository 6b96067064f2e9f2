// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: the events verb, a live stream of device changes in the style
 * of drbdsetup events2.
 *
 * No change is missed between reading the state and listening: the socket
 * joins the "events" group first, then the devices are dumped and printed
 * as "exists" lines, then "exists -" ends the initial state. Every event
 * carries its device's id and a per-device number (counted from 1 without
 * gaps); the dump gives, per device, the number of its last event, so the
 * events already queued that the dump covers are dropped and the rest are
 * printed in order. When events were lost (the socket overflowed, or a
 * number is missing) a "resync" line is printed, what is still queued is
 * dropped, and the initial state is read and printed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <linux/raftblk.h>
#include "raftctl.h"

/* Receive buffer of the event socket: room for bursts of events. */
#define EVENTS_RCVBUF	(4 << 20)
/* How often, without events, the snapshots' COW state is looked at. */
#define SNAP_POLL_MS	1000

/* Where each known device is in its stream. */
struct ev_dev {
	uint64_t id;
	uint64_t seq;
	bool ghost;		/* gone before the dump: drop its events */
};

/* A snapshot seen invalid (its COW full): reported once. */
struct ev_invalid {
	char dev[RAFTBLK_NAME_MAXLEN + 1];
	char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
	uint64_t index;
};

struct ev_state {
	const char *only;	/* device name filter, or NULL */
	struct ev_invalid *inv;	/* snapshots known invalid */
	size_t n_inv;
	bool json;
	bool resync;		/* events were lost: dump again */
	bool draining;		/* before that: drop what is queued */
	struct ev_dev *devs;
	size_t n_devs;
	int parse_errors;
};

/* ---- one output line: "KIND OBJECT NAME key:value ..." or JSON ---- */

static bool line_json;
static bool line_time;	/* --timestamps: text lines start with the time */

/* Now, "2026-12-02T19:45:01.123456Z" (UTC, microseconds). */
static void format_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static void line_begin(const char *kind, const char *object, const char *name,
		       uint64_t id, uint64_t seq)
{
	char now[40];

	format_now(now, sizeof(now));
	if (line_json) {
		printf("{\"event\": ");
		json_string(stdout, kind);
		printf(", \"object\": ");
		json_string(stdout, object);
		printf(", \"device\": ");
		json_string(stdout, name);
		printf(", \"device_id\": %" PRIu64 ", \"seq\": %" PRIu64
		       ", \"time\": \"%s\"", id, seq, now);
	} else {
		if (line_time)
			printf("%s ", now);
		printf("%s %s %s", kind, object, name);
	}
}

/* KEY is the JSON key; the human one has '-' for '_'. */
static void line_key(const char *key)
{
	const char *k;

	if (line_json) {
		printf(", \"%s\": ", key);
		return;
	}
	putchar(' ');
	for (k = key; *k; k++)
		putchar(*k == '_' ? '-' : *k);
	putchar(':');
}

static void line_str(const char *key, const char *val)
{
	line_key(key);
	if (line_json)
		json_string(stdout, val);
	else
		fputs(val, stdout);
}

static void line_u64(const char *key, uint64_t val)
{
	line_key(key);
	printf("%" PRIu64, val);
}

static void line_end(void)
{
	printf(line_json ? "}\n" : "\n");
	fflush(stdout);
}

/* A marker line: "exists -" / "resync -", or {"event": ...}. */
static void line_marker(const char *human, const char *json)
{
	if (line_json)
		printf("{\"event\": \"%s\"}\n", json);
	else
		printf("%s -\n", human);
	fflush(stdout);
}

/* ---- the initial state ---- */

static void print_options(const struct dev_info *d)
{
	line_u64("heartbeat_ms", d->heartbeat_ms);
	line_u64("election_timeout_ms", d->election_ms);
	line_u64("max_batch", d->max_batch);
	line_str("read_mode", read_mode_name(d->read_mode));
	line_u64("resync_rate", d->resync_rate);
	line_u64("log_memory", d->log_memory);
	if (d->auto_promote_ms) {
		line_str("auto_promote", d->auto_promote ? "yes" : "no");
		line_u64("auto_promote_timeout_ms", d->auto_promote_ms);
	}
}

/* The fields of a copy of the data area ("resync" lines). */
static void print_resync(const struct resync_info *r)
{
	line_u64("peer", r->peer);
	line_str("direction", resync_dir_name(r->dir));
	line_str("kind", resync_kind_name(r->kind));
	line_str("state", resync_state_name(r->state));
	line_u64("index", r->index);
	line_u64("base", r->base);
	line_u64("done", r->done);
	line_u64("total", r->total);
	line_u64("rate", r->rate);
	line_u64("eta", r->eta_s);
	line_u64("pace", r->pace);
}

/* What the node waits for: the index only where it means something. */
static void print_waiting(uint32_t waiting, uint64_t index)
{
	line_str("waiting", waiting_name(waiting));
	if (waiting != RAFTBLK_WAITING_NONE &&
	    waiting != RAFTBLK_WAITING_HARD_STATE)
		line_u64("wait_index", index);
}

static void print_exists(const struct dev_info *d)
{
	char addr[ADDR_STRLEN];
	size_t i;

	line_begin("exists", "device", d->name, d->device_id, d->event_seq);
	line_str("role", role_name(d->role));
	if (d->replicated) {
		line_u64("term", d->term);
		line_u64("leader", d->leader_id);
	}
	line_str("disk", d->disk);
	if (d->has_node) {
		line_u64("node_id", d->node_id);
		addr_format(&d->listen, addr, sizeof(addr));
		line_str("listen", addr);
		print_options(d);
		line_str("disk_state", disk_state_name(d->disk_state));
		print_waiting(d->waiting, d->wait_index);
	}
	line_end();
	for (i = 0; i < d->n_peers; i++) {
		const struct peer_info *p = &d->peers[i];
		uint64_t lag;

		line_begin("exists", "peer", d->name, d->device_id,
			   d->event_seq);
		line_u64("peer", p->id);
		line_str("role", peer_role_name(p->role));
		line_str("connection", peer_state_name(p->state));
		if (p->heard)
			line_u64("last_heard_ms", p->last_heard_ms);
		addr_format(&p->addr, addr, sizeof(addr));
		line_str("address", addr);
		line_u64("match", p->match_index);
		if (peer_lag(d, p, &lag))
			line_u64("lag", lag);
		line_end();
	}
	for (i = 0; i < d->n_resync; i++) {
		line_begin("exists", "resync", d->name, d->device_id,
			   d->event_seq);
		print_resync(&d->resync[i]);
		line_end();
	}
}

/* Dump, print the exists lines and the marker, remember the positions. */
static int initial_state(struct ev_state *st)
{
	struct dev_list l;
	size_t i;
	int ret;

	ret = dev_list_get(NULL, "events", &l);
	if (ret)
		return ret;
	free(st->devs);
	st->devs = calloc(l.n ? l.n : 1, sizeof(*st->devs));
	if (!st->devs) {
		free(l.v);
		return oom();
	}
	st->n_devs = l.n;
	for (i = 0; i < l.n; i++) {
		st->devs[i].id = l.v[i].device_id;
		st->devs[i].seq = l.v[i].event_seq;
		st->devs[i].ghost = false;
		if (!st->only || !strcmp(st->only, l.v[i].name))
			print_exists(&l.v[i]);
	}
	line_marker("exists", "initial-state-done");
	free(l.v);
	return EXIT_OK;
}

/* ---- live events ---- */

static struct ev_dev *ev_find(struct ev_state *st, uint64_t id)
{
	size_t i;

	for (i = 0; i < st->n_devs; i++)
		if (st->devs[i].id == id)
			return &st->devs[i];
	return NULL;
}

/* Does the kernel list a device with this id now? */
static bool ev_listed(uint64_t id)
{
	struct dev_list l;
	bool ret = false;
	size_t i;

	if (dev_list_get(NULL, "events", &l))
		return true;	/* cannot tell: resync to be sure */
	for (i = 0; i < l.n; i++)
		ret |= l.v[i].device_id == id;
	free(l.v);
	return ret;
}

/*
 * Is event SEQ of device ID new? Tracks positions, detects gaps. A device
 * first seen with a number above 1 was created before the dump and not
 * listed by it: it was destroyed in between (its queued events are
 * history, dropped), or the kernel could not send its creation (then it
 * is listed now, and the state is read again).
 */
static bool ev_is_new(struct ev_state *st, uint64_t id, uint64_t seq)
{
	struct ev_dev *d = ev_find(st, id), *nv;

	if (d) {
		if (seq <= d->seq)
			return false;	/* the dump had it already */
		if (seq != d->seq + 1)
			st->resync = true;	/* lost some */
		d->seq = seq;
		return !st->resync && !d->ghost;
	}
	nv = realloc(st->devs, (st->n_devs + 1) * sizeof(*nv));
	if (!nv) {
		st->resync = true;
		return false;
	}
	st->devs = nv;
	d = &st->devs[st->n_devs++];
	d->id = id;
	d->seq = seq;
	d->ghost = seq != 1;
	if (d->ghost && ev_listed(id))
		st->resync = true;
	return !d->ghost;
}

static void print_peer_event(const char *kind, struct nlattr **tb)
{
	static struct nla_policy pol[RAFTBLK_PEER_ATTR_MAX + 1] = {
		[RAFTBLK_PEER_ATTR_ID] = { .type = NLA_U32 },
		[RAFTBLK_PEER_ATTR_ADDR] = { .type = NLA_NESTED },
		[RAFTBLK_PEER_ATTR_ROLE] = { .type = NLA_U32 },
		[RAFTBLK_PEER_ATTR_MATCH_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_PEER_ATTR_STATE] = { .type = NLA_U32 },
		[RAFTBLK_PEER_ATTR_LAST_HEARD_MS] = { .type = NLA_U32 },
	};
	struct nlattr *pt[RAFTBLK_PEER_ATTR_MAX + 1];
	char addr[ADDR_STRLEN];
	struct rb_addr a;

	(void)kind;
	if (!tb[RAFTBLK_ATTR_PEER] ||
	    nla_parse_nested(pt, RAFTBLK_PEER_ATTR_MAX, tb[RAFTBLK_ATTR_PEER],
			     pol) || !pt[RAFTBLK_PEER_ATTR_ID])
		return;
	line_u64("peer", nla_get_u32(pt[RAFTBLK_PEER_ATTR_ID]));
	if (pt[RAFTBLK_PEER_ATTR_ROLE])
		line_str("role",
			 peer_role_name(nla_get_u32(pt[RAFTBLK_PEER_ATTR_ROLE])));
	if (pt[RAFTBLK_PEER_ATTR_STATE])
		line_str("connection",
			 peer_state_name(nla_get_u32(pt[RAFTBLK_PEER_ATTR_STATE])));
	if (pt[RAFTBLK_PEER_ATTR_LAST_HEARD_MS])
		line_u64("last_heard_ms",
			 nla_get_u32(pt[RAFTBLK_PEER_ATTR_LAST_HEARD_MS]));
	if (pt[RAFTBLK_PEER_ATTR_ADDR] &&
	    !addr_get(pt[RAFTBLK_PEER_ATTR_ADDR], &a) && a.family) {
		addr_format(&a, addr, sizeof(addr));
		line_str("address", addr);
	}
	if (pt[RAFTBLK_PEER_ATTR_MATCH_INDEX]) {
		uint64_t m = nla_get_u64(pt[RAFTBLK_PEER_ATTR_MATCH_INDEX]);

		line_u64("match", m);
		if (tb[RAFTBLK_ATTR_COMMIT_INDEX]) {
			uint64_t c = nla_get_u64(tb[RAFTBLK_ATTR_COMMIT_INDEX]);

			line_u64("lag", c > m ? c - m : 0);
		}
	}
}

static void print_device_event(struct nlattr **tb)
{
	char addr[ADDR_STRLEN];
	struct rb_addr a;

	if (tb[RAFTBLK_ATTR_ROLE])
		line_str("role", role_name(nla_get_u32(tb[RAFTBLK_ATTR_ROLE])));
	if (tb[RAFTBLK_ATTR_TERM])
		line_u64("term", nla_get_u64(tb[RAFTBLK_ATTR_TERM]));
	if (tb[RAFTBLK_ATTR_LEADER_ID])
		line_u64("leader", nla_get_u32(tb[RAFTBLK_ATTR_LEADER_ID]));
	if (tb[RAFTBLK_ATTR_DISK_PATH])
		line_str("disk", nla_get_string(tb[RAFTBLK_ATTR_DISK_PATH]));
	if (tb[RAFTBLK_ATTR_NODE_ID])
		line_u64("node_id", nla_get_u32(tb[RAFTBLK_ATTR_NODE_ID]));
	if (tb[RAFTBLK_ATTR_LISTEN] &&
	    !addr_get(tb[RAFTBLK_ATTR_LISTEN], &a)) {
		addr_format(&a, addr, sizeof(addr));
		line_str("listen", addr);
	}
	if (tb[RAFTBLK_ATTR_HEARTBEAT_MS])
		line_u64("heartbeat_ms",
			 nla_get_u32(tb[RAFTBLK_ATTR_HEARTBEAT_MS]));
	if (tb[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS])
		line_u64("election_timeout_ms",
			 nla_get_u32(tb[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS]));
	if (tb[RAFTBLK_ATTR_MAX_BATCH])
		line_u64("max_batch", nla_get_u32(tb[RAFTBLK_ATTR_MAX_BATCH]));
	if (tb[RAFTBLK_ATTR_READ_MODE])
		line_str("read_mode",
			 read_mode_name(nla_get_u32(tb[RAFTBLK_ATTR_READ_MODE])));
	if (tb[RAFTBLK_ATTR_RESYNC_RATE])
		line_u64("resync_rate",
			 nla_get_u64(tb[RAFTBLK_ATTR_RESYNC_RATE]));
	if (tb[RAFTBLK_ATTR_LOG_MEMORY])
		line_u64("log_memory",
			 nla_get_u64(tb[RAFTBLK_ATTR_LOG_MEMORY]));
	if (tb[RAFTBLK_ATTR_AUTO_PROMOTE])
		line_str("auto_promote",
			 nla_get_u32(tb[RAFTBLK_ATTR_AUTO_PROMOTE]) ? "yes" : "no");
	if (tb[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS])
		line_u64("auto_promote_timeout_ms",
			 nla_get_u32(tb[RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS]));
	if (tb[RAFTBLK_ATTR_DISK_STATE])
		line_str("disk_state",
			 disk_state_name(nla_get_u32(tb[RAFTBLK_ATTR_DISK_STATE])));
	if (tb[RAFTBLK_ATTR_WAITING])
		print_waiting(nla_get_u32(tb[RAFTBLK_ATTR_WAITING]),
			      tb[RAFTBLK_ATTR_WAIT_INDEX] ?
			      nla_get_u64(tb[RAFTBLK_ATTR_WAIT_INDEX]) : 0);
}

/* A snapshot entry applied here: what became of it. */
static const char *snap_event_kind(const struct snap_last *l)
{
	if (l->result == RAFTBLK_SNAPSHOT_RESULT_TAKEN)
		return "create";
	if (l->result == RAFTBLK_SNAPSHOT_RESULT_DELETED)
		return "destroy";
	return "change";
}

static void print_snap_event(const struct snap_last *l)
{
	line_str("name", l->name);
	line_str("op", l->delete ? "delete" : "create");
	line_u64("index", l->index);
	line_u64("term", l->term);
	line_str("result", snap_result_name(l->result));
}

/* A verify started, ended, or failed here. */
static void print_verify_event(const struct verify_sum *v)
{
	line_u64("index", v->index);
	line_u64("term", v->term);
	line_str("state", verify_state_name(v->state));
	line_str("collector", v->collector ? "yes" : "no");
	if (v->collector && v->state == RAFTBLK_VERIFY_STATE_DONE)
		line_u64("differing", v->differing);
}

static bool ev_inv_known(struct ev_state *st, const char *dev,
			 const struct snap_row *r)
{
	for (size_t i = 0; i < st->n_inv; i++)
		if (!strcmp(st->inv[i].dev, dev) &&
		    !strcmp(st->inv[i].name, r->name) &&
		    st->inv[i].index == r->index)
			return true;
	return false;
}

/*
 * Snapshots invalidated since the last look (device-mapper reports it,
 * not raftblk: its COW space overflowed). PRINT false: only note them
 * (the initial state). A device with one newly invalid has its snapshot
 * report pushed to the kernel. EXIT_OK, or an exit code.
 */
static int check_invalid(struct ev_state *st, bool print)
{
	struct dev_list l;
	int ret;

	ret = dev_list_get(NULL, "events", &l);
	if (ret)
		return ret;
	for (size_t i = 0; i < l.n; i++) {
		const struct dev_info *d = &l.v[i];
		struct snap_view v;
		bool pushed;

		if (!d->snap_pool[0] || (st->only && strcmp(st->only, d->name)))
			continue;
		snap_view_load(d, &v);
		pushed = false;
		for (uint32_t j = 0; j < v.n; j++) {
			struct ev_invalid *n;

			if (strcmp(v.v[j].state, "invalid") ||
			    ev_inv_known(st, d->name, &v.v[j]))
				continue;
			/*
			 * The kernel's report of this node now, not at the
			 * pool's next reading: its leader, and through it
			 * every node, lists the snapshot invalid at once.
			 */
			if (!pushed && d->has_node)
				snap_report_push(d, &v);
			pushed = true;
			n = realloc(st->inv, (st->n_inv + 1) * sizeof(*n));
			if (!n) {
				free(l.v);
				return oom();
			}
			st->inv = n;
			n = &st->inv[st->n_inv++];
			snprintf(n->dev, sizeof(n->dev), "%s", d->name);
			snprintf(n->name, sizeof(n->name), "%s", v.v[j].name);
			n->index = v.v[j].index;
			if (!print)
				continue;
			line_begin("change", "snapshot", d->name, d->device_id,
				   0);
			line_str("name", v.v[j].name);
			line_u64("index", v.v[j].index);
			line_u64("term", v.v[j].term);
			line_str("state", "invalid");
			line_str("why", "COW space full");
			line_end();
		}
	}
	free(l.v);
	return EXIT_OK;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	static struct nla_policy pol[RAFTBLK_ATTR_MAX + 1] = {
		[RAFTBLK_ATTR_NAME] = { .type = NLA_STRING },
		[RAFTBLK_ATTR_DISK_PATH] = { .type = NLA_STRING },
		[RAFTBLK_ATTR_ROLE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_NODE_ID] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_LISTEN] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_PEER] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_TERM] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_LEADER_ID] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_COMMIT_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_HEARTBEAT_MS] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_ELECTION_TIMEOUT_MS] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_MAX_BATCH] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_READ_MODE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_DISK_STATE] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_WAITING] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_WAIT_INDEX] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_EVENT] = { .type = NLA_U32 },
		[RAFTBLK_ATTR_EVENT_SEQ] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_DEVICE_ID] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_RESYNC_RATE] = { .type = NLA_U64 },
		[RAFTBLK_ATTR_RESYNC] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_SNAPSHOT_LAST] = { .type = NLA_NESTED },
		[RAFTBLK_ATTR_VERIFY] = { .type = NLA_NESTED },
	};
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[RAFTBLK_ATTR_MAX + 1];
	struct ev_state *st = arg;
	const char *name, *kind, *object;
	struct resync_info r;
	struct snap_last sl;
	struct verify_sum vs;
	uint64_t id, seq;
	uint32_t event;

	if (g->cmd != RAFTBLK_CMD_EVENT || st->resync || st->draining)
		return NL_OK;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, RAFTBLK_ATTR_MAX, pol) ||
	    !tb[RAFTBLK_ATTR_NAME] || !tb[RAFTBLK_ATTR_EVENT] ||
	    !tb[RAFTBLK_ATTR_EVENT_SEQ] || !tb[RAFTBLK_ATTR_DEVICE_ID]) {
		st->parse_errors++;
		return NL_OK;
	}
	name = nla_get_string(tb[RAFTBLK_ATTR_NAME]);
	event = nla_get_u32(tb[RAFTBLK_ATTR_EVENT]);
	id = nla_get_u64(tb[RAFTBLK_ATTR_DEVICE_ID]);
	seq = nla_get_u64(tb[RAFTBLK_ATTR_EVENT_SEQ]);
	if (!ev_is_new(st, id, seq))
		return NL_OK;
	if (st->only && strcmp(st->only, name))
		return NL_OK;
	switch (event) {
	case RAFTBLK_EVENT_DEVICE_CREATE:
		kind = "create", object = "device";
		break;
	case RAFTBLK_EVENT_DEVICE_CHANGE:
		kind = "change", object = "device";
		if (tb[RAFTBLK_ATTR_RESYNC]) {
			if (resync_parse(tb[RAFTBLK_ATTR_RESYNC], &r)) {
				st->parse_errors++;
				return NL_OK;
			}
			object = "resync";
		} else if (tb[RAFTBLK_ATTR_SNAPSHOT_LAST]) {
			if (snap_last_parse(tb[RAFTBLK_ATTR_SNAPSHOT_LAST],
					    &sl)) {
				st->parse_errors++;
				return NL_OK;
			}
			object = "snapshot";
			kind = snap_event_kind(&sl);
		} else if (tb[RAFTBLK_ATTR_VERIFY]) {
			if (verify_sum_parse(tb[RAFTBLK_ATTR_VERIFY], &vs)) {
				st->parse_errors++;
				return NL_OK;
			}
			object = "verify";
		}
		break;
	case RAFTBLK_EVENT_DEVICE_DESTROY:
		kind = "destroy", object = "device";
		break;
	case RAFTBLK_EVENT_PEER_CREATE:
		kind = "create", object = "peer";
		break;
	case RAFTBLK_EVENT_PEER_CHANGE:
		kind = "change", object = "peer";
		break;
	case RAFTBLK_EVENT_PEER_DESTROY:
		kind = "destroy", object = "peer";
		break;
	default:
		return NL_OK;	/* a newer kernel's event: skip it */
	}
	line_begin(kind, object, name, id, seq);
	if (!strcmp(object, "peer"))
		print_peer_event(kind, tb);
	else if (!strcmp(object, "resync"))
		print_resync(&r);
	else if (!strcmp(object, "snapshot"))
		print_snap_event(&sl);
	else if (!strcmp(object, "verify"))
		print_verify_event(&vs);
	else
		print_device_event(tb);
	line_end();
	return NL_OK;
}

/*
 * Drop every event queued on the socket: after a loss, the state is read
 * again, and what was queued before is older than it (a creation whose
 * destruction was lost would otherwise look like a live device).
 */
static int drain(struct nl_sock *sk, struct ev_state *st)
{
	int ret;

	if (nl_socket_set_nonblocking(sk) < 0)
		return -1;
	st->draining = true;
	do {
		ret = nl_recvmsgs_default(sk);
	} while (ret >= 0 || ret == -NLE_NOMEM || ret == -NLE_INTR);
	st->draining = false;
	/* libnl has no call to clear O_NONBLOCK again. */
	if (fcntl(nl_socket_get_fd(sk), F_SETFL,
		  fcntl(nl_socket_get_fd(sk), F_GETFL) & ~O_NONBLOCK))
		return -1;
	return ret == -NLE_AGAIN ? 0 : -1;
}

/* A socket in the events group; NULL after printing why. */
static struct nl_sock *events_socket(struct ev_state *st)
{
	struct nl_sock *sk = nl_socket_alloc();
	const char *why = NULL;
	int grp, ret;

	if (!sk) {
		oom();
		return NULL;
	}
	ret = genl_connect(sk);
	if (ret < 0) {
		why = nl_geterror(ret);
		goto fail;
	}
	grp = genl_ctrl_resolve_grp(sk, RAFTBLK_GENL_NAME,
				    RAFTBLK_MCGRP_EVENTS_NAME);
	if (grp < 0) {
		why = grp == -NLE_OBJ_NOTFOUND ?
			"raftblk module not loaded, or too old for events" :
			nl_geterror(grp);
		goto fail;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, st);
	ret = nl_socket_set_buffer_size(sk, EVENTS_RCVBUF, 0);
	if (!ret)
		ret = nl_socket_add_membership(sk, grp);
	if (ret < 0) {
		why = nl_geterror(ret);
		goto fail;
	}
	return sk;
fail:
	fprintf(stderr, "%s: events: %s\n", prog, why);
	nl_socket_free(sk);
	return NULL;
}

int cmd_events(const struct verb *v, int argc, char **argv)
{
	enum { OPT_NOW = 256, OPT_TIMESTAMPS };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timestamps", no_argument, NULL, OPT_TIMESTAMPS },
		{ "now", no_argument, NULL, OPT_NOW },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ev_state st = { 0 };
	struct nl_sock *sk;
	time_t last_look = 0;
	bool now = false;
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			st.json = true;
			break;
		case OPT_NOW:
			now = true;
			break;
		case OPT_TIMESTAMPS:
			line_time = true;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	if (optind < argc)
		st.only = argv[optind];
	if (optind + 1 < argc)
		return usage_error(v, "unexpected argument '%s'",
				   argv[optind + 1]);
	line_json = st.json;

	/* Listen first, then read: nothing falls in between. */
	sk = events_socket(&st);
	if (!sk)
		return EXIT_ERROR;
	ret = initial_state(&st);
	if (!ret)
		ret = check_invalid(&st, false);
	while (!ret && !now) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(sk),
				      .events = POLLIN };

		/* Once a second: has a snapshot overflowed? */
		c = poll(&pfd, 1, SNAP_POLL_MS);
		if (time(NULL) != last_look) {
			last_look = time(NULL);
			ret = check_invalid(&st, true);
			if (ret)
				break;
		}
		if (c <= 0)
			continue;
		ret = nl_recvmsgs_default(sk);
		if (ret == -NLE_NOMEM)	/* ENOBUFS: the socket overflowed */
			st.resync = true;
		else if (ret < 0 && ret != -NLE_INTR && ret != -NLE_AGAIN) {
			fprintf(stderr, "%s: events: %s\n", prog,
				nl_geterror(ret));
			ret = EXIT_ERROR;
			break;
		}
		ret = EXIT_OK;
		if (st.parse_errors) {
			fprintf(stderr, "%s: events: malformed event from the kernel\n",
				prog);
			st.parse_errors = 0;
		}
		if (st.resync) {
			line_marker("resync", "resync");
			st.resync = false;
			if (drain(sk, &st)) {
				fprintf(stderr, "%s: events: cannot drain the socket\n",
					prog);
				ret = EXIT_ERROR;
				break;
			}
			ret = initial_state(&st);
		}
	}
	free(st.devs);
	free(st.inv);
	nl_socket_free(sk);
	return ret;
}
