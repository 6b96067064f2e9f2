// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl metrics: every device of the namespace in the Prometheus text
 * exposition format (version 0.0.4), for node_exporter's textfile
 * collector or any scraper. Also parses the kernel's IO_STATS nests.
 *
 * Each metric family is printed once (HELP, TYPE, then its samples for
 * every device), as the format requires. Enumerated states are state
 * sets: one sample per possible value, 1 for the current one, so a
 * series never appears or vanishes when the state changes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netlink/attr.h>
#include "raftctl.h"

const char *io_op_name(uint32_t op)
{
	static const char *const names[] = {
		[RAFTBLK_IO_OP_READ] = "read",
		[RAFTBLK_IO_OP_WRITE] = "write",
		[RAFTBLK_IO_OP_FLUSH] = "flush",
		[RAFTBLK_IO_OP_DISCARD] = "discard",
	};

	return op < IO_OPS ? names[op] : "unknown";
}

const char *io_phase_name(uint32_t phase)
{
	static const char *const names[] = {
		[RAFTBLK_IO_PHASE_WRITE_COPY] = "write-copy",
		[RAFTBLK_IO_PHASE_WRITE_QUEUE] = "write-queue",
		[RAFTBLK_IO_PHASE_WRITE_LOG] = "write-log",
		[RAFTBLK_IO_PHASE_WRITE_COMMIT] = "write-commit",
		[RAFTBLK_IO_PHASE_WRITE_APPLY] = "write-apply",
		[RAFTBLK_IO_PHASE_READ_BARRIER] = "read-barrier",
		[RAFTBLK_IO_PHASE_READ_DATA] = "read-data",
		[RAFTBLK_IO_PHASE_LOG_APPEND] = "log-append",
		[RAFTBLK_IO_PHASE_APPLY_WAIT] = "apply-wait",
	};

	return phase < IO_PHASES ? names[phase] : "unknown";
}

int io_stats_parse(struct nlattr *nest, struct dev_info *d)
{
	struct nlattr *tb[RAFTBLK_IO_ATTR_MAX + 1];
	static struct nla_policy pol[RAFTBLK_IO_ATTR_MAX + 1] = {
		[RAFTBLK_IO_ATTR_OP] = { .type = NLA_U32 },
		[RAFTBLK_IO_ATTR_COUNT] = { .type = NLA_U64 },
		[RAFTBLK_IO_ATTR_ERRORS] = { .type = NLA_U64 },
		[RAFTBLK_IO_ATTR_BYTES] = { .type = NLA_U64 },
		[RAFTBLK_IO_ATTR_LATENCY_SUM] = { .type = NLA_U64 },
		[RAFTBLK_IO_ATTR_PHASE] = { .type = NLA_U32 },
	};
	bool phase = nla_type(nest) == RAFTBLK_ATTR_IO_PHASE;
	int key = phase ? RAFTBLK_IO_ATTR_PHASE : RAFTBLK_IO_ATTR_OP;
	struct io_info *io;
	uint32_t i;

	if (nla_parse_nested(tb, RAFTBLK_IO_ATTR_MAX, nest, pol) ||
	    !tb[key] || !tb[RAFTBLK_IO_ATTR_COUNT] ||
	    (!phase && (!tb[RAFTBLK_IO_ATTR_ERRORS] ||
			!tb[RAFTBLK_IO_ATTR_BYTES])) ||
	    !tb[RAFTBLK_IO_ATTR_LATENCY_SUM] || !tb[RAFTBLK_IO_ATTR_LATENCY] ||
	    nla_len(tb[RAFTBLK_IO_ATTR_LATENCY]) != sizeof(io->latency))
		return -1;
	i = nla_get_u32(tb[key]);
	if (i >= (phase ? IO_PHASES : IO_OPS))
		return 0;	/* a newer kernel's kind: not ours to show */
	io = phase ? &d->phase[i] : &d->io[i];
	io->valid = true;
	io->count = nla_get_u64(tb[RAFTBLK_IO_ATTR_COUNT]);
	if (!phase) {
		io->errors = nla_get_u64(tb[RAFTBLK_IO_ATTR_ERRORS]);
		io->bytes = nla_get_u64(tb[RAFTBLK_IO_ATTR_BYTES]);
	}
	io->latency_sum_ns = nla_get_u64(tb[RAFTBLK_IO_ATTR_LATENCY_SUM]);
	memcpy(io->latency, nla_data(tb[RAFTBLK_IO_ATTR_LATENCY]),
	       sizeof(io->latency));
	return 0;
}

/* The family being printed: the output and whether it has a sample. */
struct family {
	FILE *f;
	const char *name;
};

static void family_start(struct family *fam, FILE *f, const char *name,
			 const char *type, const char *help)
{
	fam->f = f;
	fam->name = name;
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample: NAME{device="D",LABELS} VALUE. LABELS is "key", value,
 * "key", value, ..., NULL (values escaped here).
 */
static void sample(struct family *fam, const char *suffix,
		   const struct dev_info *d, double value, ...)
{
	const char *key;
	va_list ap;

	fprintf(fam->f, "%s%s{device=", fam->name, suffix);
	prom_label_value(fam->f, d->name);
	va_start(ap, value);
	while ((key = va_arg(ap, const char *))) {
		fprintf(fam->f, ",%s=", key);
		prom_label_value(fam->f, va_arg(ap, const char *));
	}
	va_end(ap);
	/* Whole numbers (most) exactly, the rest as floats. */
	if (value >= 0 && value < 9007199254740992.0 &&
	    value == (double)(uint64_t)value)
		fprintf(fam->f, "} %" PRIu64 "\n", (uint64_t)value);
	else
		fprintf(fam->f, "} %.9g\n", value);
}

#define U(x) ((double)(x))

static void print_device_families(FILE *f, const struct dev_list *l)
{
	static const uint32_t roles[] = {
		RAFTBLK_ROLE_STANDALONE, RAFTBLK_ROLE_FOLLOWER,
		RAFTBLK_ROLE_PRE_CANDIDATE, RAFTBLK_ROLE_CANDIDATE,
		RAFTBLK_ROLE_LEADER, RAFTBLK_ROLE_LEARNER,
	};
	static const uint32_t disk_states[] = {
		RAFTBLK_DISK_STATE_OK, RAFTBLK_DISK_STATE_FAILING,
		RAFTBLK_DISK_STATE_FAILED,
	};
	struct family fam;
	char num[24];
	size_t i, j;

	family_start(&fam, f, "raftblk_device_info", "gauge",
		     "A raftblk device: its backing disk and node id (0 when standalone).");
	for (i = 0; i < l->n; i++) {
		snprintf(num, sizeof(num), "%" PRIu32, l->v[i].node_id);
		sample(&fam, "", &l->v[i], 1, "disk", l->v[i].disk,
		       "node", num, NULL);
	}
	family_start(&fam, f, "raftblk_role", "gauge",
		     "Role of this node for the device: 1 for the current one.");
	for (i = 0; i < l->n; i++)
		for (j = 0; j < sizeof(roles) / sizeof(roles[0]); j++)
			sample(&fam, "", &l->v[i], l->v[i].role == roles[j],
			       "role", role_name(roles[j]), NULL);
	family_start(&fam, f, "raftblk_capacity_bytes", "gauge",
		     "Size of the device.");
	for (i = 0; i < l->n; i++)
		sample(&fam, "", &l->v[i], U(l->v[i].capacity), NULL);
	family_start(&fam, f, "raftblk_open_count", "gauge",
		     "Openers of the device now (mounts, programs).");
	for (i = 0; i < l->n; i++)
		sample(&fam, "", &l->v[i], U(l->v[i].open_count), NULL);

	/* Replication: only devices that have a node. */
#define EACH_NODE(d) \
	for (i = 0; i < l->n; i++) \
		if ((d = &l->v[i])->replicated)
	{
		const struct dev_info *d;

		family_start(&fam, f, "raftblk_term", "gauge",
			     "Current Raft term.");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->term), NULL);
		family_start(&fam, f, "raftblk_leader_id", "gauge",
			     "Node id of the leader this node knows, 0 if none.");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->leader_id), NULL);
		family_start(&fam, f, "raftblk_commit_index", "gauge",
			     "Highest log index known committed.");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->commit_index), NULL);
		family_start(&fam, f, "raftblk_applied_index", "gauge",
			     "Highest log index applied to the data area.");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->applied_index), NULL);
		family_start(&fam, f, "raftblk_disk_state", "gauge",
			     "Health of the backing disk: 1 for the current state.");
		EACH_NODE(d)
			for (j = 0; j < sizeof(disk_states) /
				    sizeof(disk_states[0]); j++)
				sample(&fam, "", d,
				       d->disk_state == disk_states[j], "state",
				       disk_state_name(disk_states[j]), NULL);
		family_start(&fam, f, "raftblk_waiting_seconds", "gauge",
			     "How long the node has waited for what it waits for (0: nothing).");
		EACH_NODE(d)
			sample(&fam, "", d,
			       d->waiting ? U(d->wait_ms) / 1000 : 0, NULL);
		family_start(&fam, f, "raftblk_log_memory_budget_bytes",
			     "gauge", "Memory budget of the in-memory log.");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->log_memory), NULL);
		family_start(&fam, f, "raftblk_log_record_block_bytes",
			     "gauge",
			     "Record block of the log on the disk (a record's header, its data's unit).");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->log_record_block), NULL);
		family_start(&fam, f, "raftblk_resync_rate_limit_bytes_per_second",
			     "gauge", "Resync rate set (0: dynamic).");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->resync_rate), NULL);
		family_start(&fam, f, "raftblk_secret_set", "gauge",
			     "1 when peers must prove a shared secret.");
		EACH_NODE(d)
			sample(&fam, "", d, d->secret_set, NULL);
		family_start(&fam, f, "raftblk_snapshot_last_index", "gauge",
			     "Log index of the last snapshot entry applied here (0: none).");
		EACH_NODE(d)
			sample(&fam, "", d, U(d->snap.index), NULL);
	}
#undef EACH_NODE
}

/* The counters of struct dev_counters, and how each is exposed. */
static const struct {
	size_t off;
	const char *name, *type, *help;
} counter_families[] = {
#define C(field, name, type, help) \
	{ offsetof(struct dev_counters, field), name, type, help }
	C(proposals, "raftblk_proposals_total", "counter",
	  "Entries this node proposed as leader."),
	C(commits, "raftblk_commits_total", "counter",
	  "Entries committed."),
	C(elections, "raftblk_elections_total", "counter",
	  "Elections this node started."),
	C(bytes_sent, "raftblk_network_sent_bytes_total", "counter",
	  "Bytes sent to peers."),
	C(bytes_received, "raftblk_network_received_bytes_total", "counter",
	  "Bytes received from peers."),
	C(bad_frames, "raftblk_bad_frames_total", "counter",
	  "Frames from peers that failed to decode."),
	C(reconnects, "raftblk_reconnects_total", "counter",
	  "Connections to peers made again after one was lost."),
	C(rx_bytes, "raftblk_receive_buffer_bytes", "gauge",
	  "Bytes of received messages held now."),
	C(rx_bytes_peak, "raftblk_receive_buffer_peak_bytes", "gauge",
	  "The most bytes of received messages ever held."),
	C(rx_paused, "raftblk_receive_paused_total", "counter",
	  "Times a connection stopped reading for lack of receive budget."),
	C(log_bytes, "raftblk_log_memory_bytes", "gauge",
	  "Payload bytes the in-memory log holds now."),
	C(log_bytes_peak, "raftblk_log_memory_peak_bytes", "gauge",
	  "The most payload bytes the in-memory log held."),
	C(mem_compactions, "raftblk_memory_compactions_total", "counter",
	  "Compactions the memory budget forced."),
	C(auth_failed, "raftblk_auth_failures_total", "counter",
	  "Peers or frames that failed to authenticate."),
	C(frames_direct, "raftblk_network_direct_frames_total", "counter",
	  "Frames a sender wrote itself, the connection idle (no tx work)."),
	C(log_area_used, "raftblk_log_area_used_bytes", "gauge",
	  "Bytes of the log area on the disk in use (full: writes wait for compaction)."),
	C(log_area_size, "raftblk_log_area_size_bytes", "gauge",
	  "Size of the log area on the disk."),
	C(log_area_written, "raftblk_log_area_written_bytes_total", "counter",
	  "Bytes of log records written to the log area since the disk was formatted."),
	C(pool_pages, "raftblk_payload_pool_pages", "gauge",
	  "Pages in the module's payload page pool now (module-wide)."),
	C(pool_reused, "raftblk_payload_pool_reused_pages_total", "counter",
	  "Payload pages taken from the pool (module-wide)."),
	C(pool_fresh, "raftblk_payload_pool_fresh_pages_total", "counter",
	  "Payload pages taken from the page allocator (module-wide)."),
	C(pool_busy, "raftblk_payload_pool_busy_pages_total", "counter",
	  "Freed payload pages not pooled: referenced elsewhere (module-wide)."),
	C(pool_full, "raftblk_payload_pool_full_pages_total", "counter",
	  "Freed payload pages not pooled: the pool was full (module-wide)."),
	C(pool_shrunk, "raftblk_payload_pool_shrunk_pages_total", "counter",
	  "Pooled pages given back to the allocator (module-wide)."),
#undef C
};

static void print_counter_families(FILE *f, const struct dev_list *l)
{
	struct family fam;
	size_t c, i;

	for (c = 0; c < sizeof(counter_families) /
		    sizeof(counter_families[0]); c++) {
		family_start(&fam, f, counter_families[c].name,
			     counter_families[c].type,
			     counter_families[c].help);
		for (i = 0; i < l->n; i++) {
			const struct dev_info *d = &l->v[i];

			if (!d->has_node)
				continue;
			sample(&fam, "", d, U(*(const uint64_t *)
				((const char *)&d->counters +
				 counter_families[c].off)), NULL);
		}
	}
}

/* Upper bound of latency bucket B in seconds (the last one is +Inf). */
static void bucket_le(char *buf, size_t len, unsigned int b)
{
	if (b + 1 >= RAFTBLK_IO_LATENCY_BUCKETS)
		snprintf(buf, len, "+Inf");
	else
		snprintf(buf, len, "%.6f", (double)(1ULL << b) / 1e6);
}

/* The samples of one histogram of family FAM, labelled KEY=VALUE. */
static void histogram(struct family *fam, const struct dev_info *d,
		      const struct io_info *io, const char *key,
		      const char *value)
{
	uint64_t cum = 0;
	unsigned int b;
	char le[32];

	for (b = 0; b < RAFTBLK_IO_LATENCY_BUCKETS; b++) {
		cum += io->latency[b];
		bucket_le(le, sizeof(le), b);
		sample(fam, "_bucket", d, U(cum), key, value, "le", le, NULL);
	}
	sample(fam, "_sum", d, U(io->latency_sum_ns) / 1e9, key, value, NULL);
	/* The buckets' total: consistent with them, not COUNT. */
	sample(fam, "_count", d, U(cum), key, value, NULL);
}

static void print_io_families(FILE *f, const struct dev_list *l)
{
	struct family fam;
	size_t i;
	uint32_t op;

#define EACH_IO(d, io) \
	for (i = 0; i < l->n; i++) \
		for (op = 0; op < IO_OPS; op++) \
			if ((io = &(d = &l->v[i])->io[op])->valid)
	const struct dev_info *d;
	const struct io_info *io;

	family_start(&fam, f, "raftblk_requests_total", "counter",
		     "Requests completed, failed ones included.");
	EACH_IO(d, io)
		sample(&fam, "", d, U(io->count), "op", io_op_name(op), NULL);
	family_start(&fam, f, "raftblk_request_errors_total", "counter",
		     "Requests completed with an error.");
	EACH_IO(d, io)
		sample(&fam, "", d, U(io->errors), "op", io_op_name(op), NULL);
	family_start(&fam, f, "raftblk_request_bytes_total", "counter",
		     "Bytes of the requests completed.");
	EACH_IO(d, io)
		sample(&fam, "", d, U(io->bytes), "op", io_op_name(op), NULL);
	family_start(&fam, f, "raftblk_request_duration_seconds", "histogram",
		     "Time from raftblk taking a request to its completion.");
	EACH_IO(d, io)
		histogram(&fam, d, io, "op", io_op_name(op));
	family_start(&fam, f, "raftblk_phase_duration_seconds", "histogram",
		     "Time spent in each phase of requests and of the node's disk work.");
	for (i = 0; i < l->n; i++)
		for (op = 0; op < IO_PHASES; op++)
			if (l->v[i].phase[op].valid)
				histogram(&fam, &l->v[i], &l->v[i].phase[op],
					  "phase", io_phase_name(op));
#undef EACH_IO
}

/* The peer's id as a label value; always true (for EACH_PEER). */
static bool peer_id(char *buf, size_t len, const struct peer_info *p)
{
	snprintf(buf, len, "%" PRIu32, p->id);
	return true;
}

static void print_peer_families(FILE *f, const struct dev_list *l)
{
	static const uint32_t states[] = {
		RAFTBLK_PEER_STATE_DISCONNECTED, RAFTBLK_PEER_STATE_CONNECTING,
		RAFTBLK_PEER_STATE_CONNECTED, RAFTBLK_PEER_STATE_UNREACHABLE,
	};
	struct family fam;
	char id[16], addr[ADDR_STRLEN];
	size_t i, j, s;
	uint64_t lag;

#define EACH_PEER(d, p) \
	for (i = 0; i < l->n; i++) \
		for (j = 0; j < (d = &l->v[i])->n_peers; j++) \
			if (peer_id(id, sizeof(id), p = &d->peers[j]))
	const struct dev_info *d;
	const struct peer_info *p;

	family_start(&fam, f, "raftblk_peer_info", "gauge",
		     "A member of the device's cluster: its address and role.");
	EACH_PEER(d, p) {
		addr_format(&p->addr, addr, sizeof(addr));
		sample(&fam, "", d, 1, "peer", id, "address", addr, "role",
		       peer_role_name(p->role), NULL);
	}
	family_start(&fam, f, "raftblk_peer_state", "gauge",
		     "Connection to a peer: 1 for the current state.");
	EACH_PEER(d, p)
		for (s = 0; s < sizeof(states) / sizeof(states[0]); s++)
			sample(&fam, "", d, p->state == states[s], "peer", id,
			       "state", peer_state_name(states[s]), NULL);
	family_start(&fam, f, "raftblk_peer_match_index", "gauge",
		     "Highest log index the leader knows the peer holds.");
	EACH_PEER(d, p)
		sample(&fam, "", d, U(p->match_index), "peer", id, NULL);
	family_start(&fam, f, "raftblk_peer_lag_entries", "gauge",
		     "Commit index minus the peer's match index (leader only).");
	EACH_PEER(d, p)
		if (peer_lag(d, p, &lag))
			sample(&fam, "", d, U(lag), "peer", id, NULL);
	family_start(&fam, f, "raftblk_peer_last_heard_seconds", "gauge",
		     "Time since the peer's last frame arrived.");
	EACH_PEER(d, p)
		if (p->heard)
			sample(&fam, "", d, U(p->last_heard_ms) / 1000,
			       "peer", id, NULL);
#undef EACH_PEER
}

/*
 * The copies of the data area (status's RESYNC table, JSON "resyncs"):
 * one sample per copy and field, labelled by peer, direction and kind.
 */
static void print_resync_families(FILE *f, const struct dev_list *l)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
		{ "raftblk_resync_running",
		  "1 while the copy runs, 0 once it ended." },
		{ "raftblk_resync_done_bytes", "Bytes of the copy done." },
		{ "raftblk_resync_total_bytes", "Bytes the copy transfers." },
		{ "raftblk_resync_rate_bytes_per_second",
		  "Recent rate of the copy (average once ended)." },
		{ "raftblk_resync_eta_seconds",
		  "Estimated time left (0: ended or unknown)." },
		{ "raftblk_resync_pace_bytes_per_second",
		  "Rate the leader paces the running copy at now: the set resync rate, or the dynamic default's while application writes wait (0: no byte budget, or not sending)." },
		{ "raftblk_resync_index",
		  "Log index of the snapshot the copy installs." },
		{ "raftblk_resync_base_index",
		  "The follower's base a delta copy starts from (0: full)." },
	};
	static const uint32_t states[] = {
		RAFTBLK_RESYNC_STATE_RUNNING, RAFTBLK_RESYNC_STATE_FINISHED,
		RAFTBLK_RESYNC_STATE_FAILED,
	};
	const struct resync_info *r;
	const struct dev_info *d;
	struct family fam;
	char peer[16];
	size_t k, i, j, s;

#define EACH_RESYNC(d, r) \
	for (i = 0; i < l->n; i++) \
		for (j = 0; j < (d = &l->v[i])->n_resync; j++) \
			if (r = &d->resync[j], \
			    snprintf(peer, sizeof(peer), "%" PRIu32, r->peer))
#define RESYNC_LABELS(r) "peer", peer, \
	"direction", resync_dir_name(r->dir), "kind", resync_kind_name(r->kind)

	for (k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		family_start(&fam, f, fams[k].name, "gauge", fams[k].help);
		EACH_RESYNC(d, r) {
			double v[] = {
				r->state == RAFTBLK_RESYNC_STATE_RUNNING,
				U(r->done), U(r->total), U(r->rate),
				U(r->eta_s), U(r->pace), U(r->index),
				U(r->base),
			};

			_Static_assert(sizeof(v) / sizeof(v[0]) ==
				       sizeof(fams) / sizeof(fams[0]),
				       "one value per family");

			sample(&fam, "", d, v[k], RESYNC_LABELS(r), NULL);
		}
	}
	family_start(&fam, f, "raftblk_resync_state", "gauge",
		     "State of the copy: 1 for the current one.");
	EACH_RESYNC(d, r)
		for (s = 0; s < sizeof(states) / sizeof(states[0]); s++)
			sample(&fam, "", d, r->state == states[s],
			       RESYNC_LABELS(r), "state",
			       resync_state_name(states[s]), NULL);
#undef RESYNC_LABELS
#undef EACH_RESYNC
}

void metrics_print(FILE *f, const struct dev_list *l)
{
	print_device_families(f, l);
	print_counter_families(f, l);
	print_io_families(f, l);
	print_peer_families(f, l);
	print_resync_families(f, l);
}

/*
 * Write to PATH as node_exporter's textfile collector needs: into
 * PATH.tmp, then renamed over PATH, so a scrape never sees half a file.
 */
static int metrics_write_file(const char *path, const struct dev_list *l)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "%s: metrics: %s: path too long\n", prog, path);
		return EXIT_ERROR;
	}
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "%s: metrics: %s: %s\n", prog, tmp,
			strerror(errno));
		return EXIT_ERROR;
	}
	metrics_print(f, l);
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		fprintf(stderr, "%s: metrics: %s: %s\n", prog, tmp,
			strerror(errno));
		fclose(f);
		unlink(tmp);
		return EXIT_ERROR;
	}
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "%s: metrics: %s: %s\n", prog, path,
			strerror(errno));
		unlink(tmp);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int cmd_metrics(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dev_list list = { 0 };
	const char *name = NULL, *out = NULL;
	char ctx[128];
	int c, ret;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return usage_error(v, "--output needs a file name");
			out = optarg;
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
	snprintf(ctx, sizeof(ctx), "metrics%s%s", name ? " " : "",
		 name ? name : "");
	ret = dev_list_get(name, ctx, &list);
	if (ret)
		return ret;
	if (out) {
		ret = metrics_write_file(out, &list);
	} else {
		metrics_print(stdout, &list);
		ret = fflush(stdout) ? EXIT_ERROR : EXIT_OK;
	}
	free(list.v);
	return ret;
}
