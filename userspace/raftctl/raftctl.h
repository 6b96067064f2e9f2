/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftctl: shared declarations.
 */
#ifndef RAFTCTL_H
#define RAFTCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <netinet/in.h>
#include <netlink/msg.h>
#include <linux/raftblk.h>

#define RAFTCTL_VERSION "0.1"

/* Exit codes (documented in raftctl.8). */
#define EXIT_OK		0
#define EXIT_ERROR	1	/* the kernel refused, or a system error */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_DIFFER	3	/* verify: replicas differ, or went unverified */

/* A verb: "raftctl NAME ARGS...". */
struct verb {
	const char *name;
	/* argv[0] is the verb name; returns an exit code. */
	int (*run)(const struct verb *v, int argc, char **argv);
	const char *args;	/* synopsis after the verb name */
	const char *summary;	/* one line for raftctl --help */
	const char *help;	/* options, for raftctl VERB --help */
};

extern const char *prog;

int usage_error(const struct verb *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void verb_help(const struct verb *v, FILE *f);
/* After getopt_long() with opterr = 0 returned '?' or ':'. */
int option_error(const struct verb *v, int c, char **argv);
/* Options of a verb that has none but --help; -1 when help was shown. */
int parse_no_options(const struct verb *v, int argc, char **argv);

/* nl.c: talking to the raftblk generic netlink family. */

/* What the kernel said when it refused a request. */
struct rb_error {
	int err;		/* positive errno */
	char msg[256];		/* extended-ack message, or "" */
	int bad_attr;		/* RAFTBLK_ATTR_* the kernel blamed, or 0 */
	char bad_value[300];	/* its value if it is a string, or "" */
	int64_t max_len;	/* policy maximum length of it, or -1 */
	int missing_attr;	/* RAFTBLK_ATTR_* reported missing, or 0 */
};

struct rb_nl;

/* Opens a socket and resolves the family; NULL with *err set on failure. */
struct rb_nl *rb_nl_open(struct rb_error *err);
void rb_nl_close(struct rb_nl *nl);
/* A new request for CMD, flags as for genlmsg_put(); NULL on ENOMEM. */
struct nl_msg *rb_nl_msg(struct rb_nl *nl, uint8_t cmd, int flags);
/*
 * Sends MSG, calls CB for every reply message, waits for the ack or the end
 * of the dump. 0, or -1 with *err filled. Frees MSG. A dump during which
 * the kernel's list changed fails with EAGAIN: the caller may retry.
 */
/* failnth.c: RAFTCTL_FAIL_NTH, systematic fault injection for the tests */
void rb_fail_nth_arm(void);

int rb_nl_request(struct rb_nl *nl, struct nl_msg *msg,
		  int (*cb)(struct nl_msg *reply, void *arg), void *arg,
		  struct rb_error *err);
/* "raftctl: CONTEXT: cause (strerror)" on stderr; returns EXIT_ERROR. */
int rb_error_print(const char *context, const struct rb_error *err);

/*
 * disk_check.c: EXIT_OK when PATH holds a raftblk log, no known signature,
 * or cannot be opened (the kernel then says why); else EXIT_ERROR after
 * printing "raftctl: CTX: PATH holds ext4 ...".
 */
int disk_check(const char *ctx, const char *path);

/* output.c: tables for people, JSON for scripts. */
struct table;
struct table *table_new(int ncols, const char *const *headers);
void table_add_row(struct table *t, const char *const *cells);
void table_print(struct table *t, FILE *f);
/* The same with INDENT before every line. */
void table_print_indented(struct table *t, FILE *f, const char *indent);
void table_free(struct table *t);
void json_string(FILE *f, const char *s);
/* S as a quoted Prometheus label value (escaped, valid UTF-8). */
void prom_label_value(FILE *f, const char *s);
void format_size(char *buf, size_t len, uint64_t bytes);

/* addr.c: node addresses, "10.0.0.1:7789" or "[fd00::1]:7789". */
struct rb_addr {
	int family;		/* AF_INET, AF_INET6, or 0: none */
	struct in_addr in4;
	struct in6_addr in6;
	uint16_t port;		/* host byte order */
};

#define ADDR_STRLEN	64

/* NULL, or why STR is not an address (for a usage error). */
const char *addr_parse(const char *str, struct rb_addr *a);
void addr_format(const struct rb_addr *a, char *buf, size_t len);
bool addr_equal(const struct rb_addr *a, const struct rb_addr *b);
/* A RAFTBLK_ADDR_ATTR_* nest of type TYPE; -1 when the message is full. */
int addr_put(struct nl_msg *msg, int type, const struct rb_addr *a);
int addr_get(struct nlattr *nest, struct rb_addr *a);

/*
 * PEER_ADD (addr set) or PEER_REMOVE (addr NULL) of node id on device
 * name, sent again every 200 ms while the kernel answers EBUSY (another
 * membership change still in progress) until deadline. Returns an exit
 * status; a refusal is printed as "ctx: why".
 */
int membership_request(int cmd, const char *name, uint32_t id,
		       const struct rb_addr *addr, time_t deadline,
		       const char *ctx);

/* device.c: device verbs, and what the kernel reports about devices. */

/* Most peers a device reports (the kernel's RAFT_MAX_NODES). */
#define MAX_PEERS	16

struct peer_info {
	uint32_t id;
	struct rb_addr addr;
	uint32_t role;		/* enum raftblk_peer_role */
	uint32_t state;		/* enum raftblk_peer_state */
	uint64_t match_index;
	bool heard;		/* last_heard_ms is known */
	uint32_t last_heard_ms;	/* since its last frame arrived */
};

/* Most copies of the data area a device reports (the kernel's limit). */
#define MAX_RESYNC	4

/* One copy of the data area (RAFTBLK_ATTR_RESYNC). */
struct resync_info {
	uint32_t peer;
	uint32_t dir;		/* enum raftblk_resync_dir */
	uint32_t kind;		/* enum raftblk_resync_kind */
	uint32_t state;		/* enum raftblk_resync_state */
	uint64_t index, base, done, total;
	uint64_t rate;		/* bytes/s */
	uint64_t eta_s;
	uint64_t pace;		/* bytes/s the sender paces it at, 0: none */
};

struct dev_counters {
	uint64_t proposals, commits, elections;
	uint64_t bytes_sent, bytes_received, bad_frames, reconnects;
	uint64_t rx_bytes, rx_bytes_peak, rx_paused;
	uint64_t log_bytes, log_bytes_peak, mem_compactions;
	uint64_t auth_failed;
	uint64_t frames_direct;	/* frames a sender wrote itself */
	/* the log area on the disk: bytes in use, its size, written */
	uint64_t log_area_used, log_area_size, log_area_written;
	/* the payload page pool, module-wide */
	uint64_t pool_pages, pool_reused, pool_fresh, pool_busy, pool_full;
	uint64_t pool_shrunk;
};

/* The last snapshot entry a node applied (RAFTBLK_ATTR_SNAPSHOT_LAST). */
struct snap_last {
	char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
	bool delete;
	uint64_t index, term, time, count;
	uint32_t result;	/* enum raftblk_snapshot_result */
};

/* One SNAPSHOT_LAST nest into S; -1 if malformed. */
int snap_last_parse(struct nlattr *nest, struct snap_last *s);
const char *snap_result_name(uint32_t result);

struct dev_info;
/* This node's snapshots of a device, from its COW pool and device-mapper. */
struct snap_view {
	const char *pool_err;	/* the pool cannot be read: why */
	uint32_t n, taken, invalid, missing;
	struct snap_row {
		char name[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];
		uint64_t index, term, time, cow_size, cow_used;
		char cow_dev[RAFTBLK_SNAPSHOT_NAME_MAXLEN + 1];	/* or "" */
		const char *state;	/* active, invalid, inactive, missing */
		const char *why;	/* for all but active: why, for people */
		uint8_t rep;		/* enum raftblk_snaprep_state */
	} v[32];
};
/* D's snapshots here into V (nothing without a pool). */
void snap_view_load(const struct dev_info *d, struct snap_view *v);
/*
 * V handed to the kernel as D's snapshot report (it sends it on to the
 * leader); quietly, as a side effect of reading the pool: 0 or -1.
 */
int snap_report_push(const struct dev_info *d, const struct snap_view *v);
/* snap_view_load() and snap_report_push() of device NAME (the helper). */
void snap_report_refresh(const char *name);
/* One line on D's snapshots here, for status: "N taken, ..." */
void snap_view_summary(const struct dev_info *d, const struct snap_view *v,
		       char *buf, size_t len);
/* The gist of the last verify of a node (RAFTBLK_ATTR_VERIFY). */
struct verify_sum {
	bool valid;
	bool collector;
	uint64_t index, term, elapsed_ms;
	uint32_t state, extents, hashed, differing;
};
const char *verify_state_name(uint32_t state);
/* verify.c: one VERIFY nest of DEVICE_GET into V; -1 if malformed. */
int verify_sum_parse(struct nlattr *nest, struct verify_sum *v);
/* For status: "at index 12: done, 2 extents differ ..." */
void verify_sum_line(const struct verify_sum *v, char *buf, size_t len);
/* For status --json: ",\n      \"verify\": {...}" (nothing if none). */
void verify_sum_json(const struct verify_sum *v);

/* Requests of one kind a device completed (RAFTBLK_ATTR_IO_STATS). */
#define IO_OPS	(RAFTBLK_IO_OP_DISCARD + 1)
#define IO_PHASES	(RAFTBLK_IO_PHASE_APPLY_WAIT + 1)
struct io_info {
	bool valid;		/* the kernel reported it */
	uint64_t count, errors, bytes, latency_sum_ns;
	uint64_t latency[RAFTBLK_IO_LATENCY_BUCKETS];
};

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
	bool has_node;		/* node id, listen, timers, peers, counters */
	uint32_t node_id;
	struct rb_addr listen;
	uint32_t heartbeat_ms;
	uint32_t election_ms;
	uint32_t max_batch;
	uint32_t read_mode;	/* enum raftblk_read_mode */
	uint64_t resync_rate;	/* bytes/s, 0: dynamic */
	uint64_t log_memory;	/* budget of the in-memory log, bytes */
	uint32_t log_record_block;	/* bytes; 0: not reported */
	bool auto_promote;
	uint32_t auto_promote_ms;	/* its timeout; 0: not reported */
	uint32_t disk_state;	/* enum raftblk_disk_state */
	uint32_t waiting;	/* enum raftblk_waiting */
	uint64_t wait_index;
	uint64_t wait_ms;
	struct dev_counters counters;
	/* Peer authentication: fingerprints of the secrets, if set. */
	bool secret_set, secret_next_set;
	bool secret_next_none;	/* the second is "no secret" */
	uint8_t secret_fp[8], secret_next_fp[8];
	size_t n_peers;
	struct peer_info peers[MAX_PEERS];
	size_t n_resync;
	struct resync_info resync[MAX_RESYNC];
	/* Snapshots: this node's COW pool, and the last entry applied. */
	char snap_pool[RAFTBLK_PATH_MAXLEN + 1];
	struct snap_last snap;
	uint64_t copy_index;	/* the last copy installed here, 0: none */
	struct verify_sum verify;	/* the last verify here */
	/* Requests completed, by enum raftblk_io_op; time by phase. */
	struct io_info io[IO_OPS];
	struct io_info phase[IO_PHASES];
	/* Position in the device's event stream (events.c). */
	uint64_t device_id;
	uint64_t event_seq;
};

struct dev_list {
	struct dev_info *v;
	size_t n;
	int parse_errors;
};

/*
 * Every device of this namespace, or only NAME. EXIT_OK, or an exit code
 * after printing why (CTX names the verb in messages).
 */
int dev_list_get(const char *name, const char *ctx, struct dev_list *l);
const char *role_name(uint32_t role);
const char *peer_role_name(uint32_t role);
const char *peer_state_name(uint32_t state);
const char *read_mode_name(uint32_t mode);
const char *disk_state_name(uint32_t state);
const char *waiting_name(uint32_t waiting);
/*
 * What a node waits for, for people: "snapshot install at 1234", "log
 * write up to 1234", "hard state write", "resync from base 1234".
 */
void format_waiting(char *buf, size_t len, uint32_t waiting,
		    uint64_t index);
/* Lag of peer P of D (commit - match), known on the leader only. */
bool peer_lag(const struct dev_info *d, const struct peer_info *p,
	      uint64_t *lag);
/* One RESYNC nest into R; -1 if malformed. */
int resync_parse(struct nlattr *nest, struct resync_info *r);
const char *resync_dir_name(uint32_t dir);
const char *resync_kind_name(uint32_t kind);
const char *resync_state_name(uint32_t state);
/* A rate for people: "40.0M/s", or "dynamic" for 0. */
void format_rate(char *buf, size_t len, uint64_t rate);
/* Peers of a device: a table, or a JSON array at INDENT spaces. */
void print_peers_table(const struct dev_info *d, const char *indent);
void print_peers_json(const struct dev_info *d, int indent);
/* A decimal u32 in [MIN, MAX]; -1 if STR is not one. */
int parse_u32(const char *str, uint32_t min, uint32_t max, uint32_t *out);
/* The value of OPTION, ARG, as a number min..max into *out, else a usage
 * error "OPTION must be MIN..MAX, not 'ARG'" (its exit status).
 */
int option_u32(const struct verb *v, const char *option, const char *arg,
	       uint32_t min, uint32_t max, uint32_t *out);
/* An optional NAME operand after the options (NULL if none), no more. */
int optional_name(const struct verb *v, int argc, char **argv,
		  const char **name);
/* The family, opened; NULL after printing why. */
struct rb_nl *open_family(void);
int oom(void);

int cmd_create(const struct verb *v, int argc, char **argv);
int cmd_destroy(const struct verb *v, int argc, char **argv);
int cmd_status(const struct verb *v, int argc, char **argv);

/* Timer ranges and the batch limit, as the kernel's policy (raftblk.yaml). */
#define HEARTBEAT_MS_MIN	50
#define HEARTBEAT_MS_MAX	60000
#define ELECTION_MS_MIN		150
#define ELECTION_MS_MAX		600000
#define MAX_BATCH_MIN		1
#define MAX_BATCH_MAX		64
/* Memory budget of the in-memory log (bytes), as the kernel's policy. */
#define LOG_MEMORY_MIN		(4ULL << 20)
#define LOG_MEMORY_MAX		(1ULL << 40)
#define PROMOTE_MS_MIN		100
#define PROMOTE_MS_MAX		600000
/* yes/on/1 -> 1, no/off/0 -> 0, else -1 (auto-promote). */
int parse_yes_no(const char *str);

/* set.c: options of a running device. */
/* secret.c: a cluster's shared secret (16..128 bytes). */
#define SECRET_MIN	16
#define SECRET_MAX	128
struct secret {
	size_t len;			/* 0: none */
	uint8_t key[SECRET_MAX + 1];	/* + 1: tells a too long file */
};

/*
 * Read a secret from PATH ("-": stdin): its bytes, a final newline
 * dropped. EXIT_OK, or an exit code after printing why (CTX: the verb).
 */
int secret_read(const char *ctx, const char *path, struct secret *s);
/* A secret given as a string (resource file); -1 if not 16..128 bytes. */
int secret_from_string(const char *val, struct secret *s);
/* Wipe it (not optimized away). */
void secret_clear(struct secret *s);

struct dev_options {
	/* what is unchanged below goes back to its default instead */
	bool defaults;
	uint32_t heartbeat_ms;		/* 0: unchanged */
	uint32_t election_ms;		/* 0: unchanged */
	uint32_t max_batch;		/* 0: unchanged */
	int read_mode;			/* -1: unchanged */
	bool set_resync_rate;
	uint64_t resync_rate;		/* bytes/s, 0: dynamic */
	uint64_t log_memory;		/* 0: unchanged */
	int auto_promote;		/* -1: unchanged, 0 no, 1 yes */
	uint32_t auto_promote_ms;	/* 0: unchanged */
	/* set only: a next secret to install, then a secret op */
	struct secret secret;
	uint32_t secret_op;		/* enum raftblk_secret_op */
};

/*
 * A resync rate in bytes per second: 0 (dynamic), or a number with an
 * optional K, M, G or T suffix (powers of 1024) within
 * RAFTBLK_RESYNC_RATE_MIN..MAX. -1 if STR is not one.
 */
int parse_rate(const char *str, uint64_t *rate);
#define RESYNC_RATE_RANGE "0 (dynamic) or 1M..1T bytes per second"

/*
 * A size in bytes: digits with an optional K, M, G or T suffix (powers
 * of 1024), within min..max. 0, or -1 if STR is not one.
 */
int parse_size(const char *str, uint64_t min, uint64_t max, uint64_t *out);
/* "readindex" or "lease" into *mode; -1 if neither. */
int parse_read_mode(const char *str, int *mode);
/* DEVICE_SET on NAME; EXIT_OK or an exit code after printing why. */
int dev_set_options(const char *name, const struct dev_options *o);
int cmd_set(const struct verb *v, int argc, char **argv);

/* events.c: the event stream. */
int cmd_events(const struct verb *v, int argc, char **argv);

/* resource.c, updown.c: resource files and the up/down verbs. */
int cmd_up(const struct verb *v, int argc, char **argv);
int cmd_down(const struct verb *v, int argc, char **argv);

/* snapshot.c, dm.c: snapshots, and the helper the kernel runs. */
int cmd_snapshot(const struct verb *v, int argc, char **argv);
int cmd_helper(const struct verb *v, int argc, char **argv);

/* metrics.c: the Prometheus text format. */
const char *io_op_name(uint32_t op);
const char *io_phase_name(uint32_t phase);
/* One IO_STATS nest into D->io, or IO_PHASE into D->phase; -1 if malformed. */
int io_stats_parse(struct nlattr *nest, struct dev_info *d);
/* Every device of L, as Prometheus metric families. */
void metrics_print(FILE *f, const struct dev_list *l);
int cmd_metrics(const struct verb *v, int argc, char **argv);
/* top.c: the live view. */
int cmd_top(const struct verb *v, int argc, char **argv);

/* verify.c: online verify and repair. */
int cmd_verify(const struct verb *v, int argc, char **argv);
int cmd_resync_extents(const struct verb *v, int argc, char **argv);

/* peer.c: cluster membership verbs. */
int cmd_peer(const struct verb *v, int argc, char **argv);
int cmd_transfer_leader(const struct verb *v, int argc, char **argv);

#endif /* RAFTCTL_H */
