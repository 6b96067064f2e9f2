/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * raftblk generic netlink interface, shared by the kernel module and raftctl.
 *
 * Documented in Documentation/netlink/specs/raftblk.yaml; keep the two in
 * step. Numbers are ABI: only ever append, never renumber or reuse.
 *
 * Errors are plain negative errno values in the netlink ack, with an
 * extended-ack message (NLMSGERR_ATTR_MSG) naming the cause and, where one
 * attribute is at fault, its offset (NLMSGERR_ATTR_OFFS).
 */
#ifndef _UAPI_LINUX_RAFTBLK_H
#define _UAPI_LINUX_RAFTBLK_H

#define RAFTBLK_GENL_NAME	"raftblk"
#define RAFTBLK_GENL_VERSION	1

/* Longest device name ("raftblk" followed by digits), without the NUL. */
#define RAFTBLK_NAME_MAXLEN	31
/* Longest backing disk path, without the NUL. */
#define RAFTBLK_PATH_MAXLEN	255
#define RAFTBLK_SECRET_MAXLEN	128	/* bytes of a shared secret (at least 16) */
/*
 * Longest snapshot name, without the NUL: letters, digits and "_.+-",
 * starting with a letter or digit.
 */
#define RAFTBLK_SNAPSHOT_NAME_MAXLEN	47
/* Snapshot name and COW device path together, bytes (they share the
 * entry's 48-byte name field, each NUL-terminated).
 */
#define RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN	46
/* Smallest COW size a snapshot may ask for (RAFTBLK_ATTR_SNAPSHOT_COW_SIZE). */
#define RAFTBLK_SNAPSHOT_COW_MIN	1048576	/* 1 MiB */

enum raftblk_cmd {
	RAFTBLK_CMD_UNSPEC,
	/* NAME, DISK_PATH -> creates /dev/NAME over the disk. Admin. */
	RAFTBLK_CMD_DEVICE_CREATE,
	/* NAME -> destroys the device; EBUSY while it is open. Admin. */
	RAFTBLK_CMD_DEVICE_DESTROY,
	/* do: NAME -> one device; dump: every device of the caller's netns. */
	RAFTBLK_CMD_DEVICE_GET,
	/* NAME, PEER (ID, ADDR) -> adds the peer as a learner. Admin. */
	RAFTBLK_CMD_PEER_ADD,
	/* NAME, PEER (ID) -> removes the peer from the cluster. Admin. */
	RAFTBLK_CMD_PEER_REMOVE,
	/* NAME, NODE_ID -> hands leadership to that voter. Admin. */
	RAFTBLK_CMD_LEADER_TRANSFER,
	/*
	 * NAME and at least one of HEARTBEAT_MS, ELECTION_TIMEOUT_MS,
	 * MAX_BATCH, READ_MODE, RESYNC_RATE -> changes those options of a
	 * running replicated device. Admin.
	 */
	RAFTBLK_CMD_DEVICE_SET,
	/*
	 * Notification only (never a request): one event, sent to the
	 * "events" multicast group of the device's network namespace.
	 * EVENT says what changed; see the spec for the attributes.
	 */
	RAFTBLK_CMD_EVENT,
	/*
	 * NAME, SNAPSHOT_NAME [, SNAPSHOT_COW_SIZE] -> appends a snapshot
	 * entry to the log (leader only); the reply carries SNAPSHOT_INDEX
	 * and SNAPSHOT_TERM of the entry. Every node takes its snapshot
	 * when it applies the entry. Admin.
	 */
	RAFTBLK_CMD_SNAPSHOT_CREATE,
	/* NAME, SNAPSHOT_NAME -> appends a snapshot delete entry. Admin. */
	RAFTBLK_CMD_SNAPSHOT_DELETE,
	/*
	 * NAME -> appends a verify entry to the log (leader only); the reply
	 * carries VERIFY (INDEX, TERM). Every node hashes its data area when
	 * it applies the entry and sends the hashes to the leader, which
	 * compares them with its own. Admin.
	 */
	RAFTBLK_CMD_VERIFY_START,
	/* NAME -> VERIFY: the last verify this node took part in. */
	RAFTBLK_CMD_VERIFY_GET,
	/*
	 * NAME, NODE_ID and VERIFY_EXTENTS or VERIFY_ALL_DIFFERING (leader
	 * only) -> that follower is caught up by a copy from the leader of
	 * the data written since its applied index and of these extents
	 * (a delta resync). Admin.
	 */
	RAFTBLK_CMD_RESYNC_EXTENTS,
	/*
	 * NAME, SNAPSHOT_REPORT -> this node's snapshots as its COW pool and
	 * device-mapper have them (raftctl sends it: the helper after each
	 * snapshot entry, list, status, create). The node keeps it and sends
	 * it on to its leader. Admin.
	 */
	RAFTBLK_CMD_SNAPSHOT_REPORT,
	/*
	 * NAME -> SNAPSHOT_NODE, repeated: the reports this node holds: its
	 * own and, on the leader, those its followers sent it.
	 */
	RAFTBLK_CMD_SNAPSHOT_NODES,

	__RAFTBLK_CMD_MAX,
};
#define RAFTBLK_CMD_MAX (__RAFTBLK_CMD_MAX - 1)

/* Role of this node for a device (RAFTBLK_ATTR_ROLE). */
enum raftblk_role {
	RAFTBLK_ROLE_STANDALONE,	/* not replicated: I/O passes through */
	RAFTBLK_ROLE_FOLLOWER,
	RAFTBLK_ROLE_PRE_CANDIDATE,
	RAFTBLK_ROLE_CANDIDATE,
	RAFTBLK_ROLE_LEADER,
	RAFTBLK_ROLE_LEARNER,
};

/*
 * The name of each role as sysfs and raftctl write it (the spec's names):
 * an initializer of an array indexed by enum raftblk_role.
 */
#define RAFTBLK_ROLE_NAMES {					\
	[RAFTBLK_ROLE_STANDALONE] = "standalone",		\
	[RAFTBLK_ROLE_FOLLOWER] = "follower",			\
	[RAFTBLK_ROLE_PRE_CANDIDATE] = "pre-candidate",		\
	[RAFTBLK_ROLE_CANDIDATE] = "candidate",			\
	[RAFTBLK_ROLE_LEADER] = "leader",			\
	[RAFTBLK_ROLE_LEARNER] = "learner",			\
}

/* Membership of a peer (RAFTBLK_PEER_ATTR_ROLE). */
enum raftblk_peer_role {
	RAFTBLK_PEER_ROLE_VOTER,
	RAFTBLK_PEER_ROLE_LEARNER,
};

/* Connection state of a peer (RAFTBLK_PEER_ATTR_STATE). */
enum raftblk_peer_state {
	RAFTBLK_PEER_STATE_DISCONNECTED,
	RAFTBLK_PEER_STATE_CONNECTING,
	RAFTBLK_PEER_STATE_CONNECTED,
	/* connected, but nothing received for 6 s (PINGs unanswered) */
	RAFTBLK_PEER_STATE_UNREACHABLE,
};

/* How the leader serves reads (RAFTBLK_ATTR_READ_MODE). */
enum raftblk_read_mode {
	RAFTBLK_READ_MODE_READINDEX,	/* a heartbeat round per read barrier */
	RAFTBLK_READ_MODE_LEASE,	/* no round trip while the lease holds */
};

/* State of a replicated node's backing disk (RAFTBLK_ATTR_DISK_STATE). */
enum raftblk_disk_state {
	RAFTBLK_DISK_STATE_OK,		/* every write succeeds */
	RAFTBLK_DISK_STATE_FAILING,	/* writes fail and are being retried */
	RAFTBLK_DISK_STATE_FAILED,	/* gave up: the node stopped serving */
};

/*
 * What a replicated node waits for before it can go on
 * (RAFTBLK_ATTR_WAITING); RAFTBLK_ATTR_WAIT_INDEX says at which index.
 * Votes never wait for any of these.
 */
enum raftblk_waiting {
	RAFTBLK_WAITING_NONE,		/* nothing: it keeps up */
	RAFTBLK_WAITING_SNAPSHOT,	/* the install of the snapshot at the
					 * index (a resync copy from the
					 * leader): no appends, no applies
					 */
	RAFTBLK_WAITING_LOG,		/* its log write up to the index */
	RAFTBLK_WAITING_HARD_STATE,	/* its term/vote or commit index write */
	RAFTBLK_WAITING_RESYNC,		/* its log was reset: a copy from the
					 * leader, a delta from the index (its
					 * base)
					 */
};

/*
 * The name of each waiting state as sysfs and raftctl write it (the
 * spec's names): an initializer of an array indexed by enum
 * raftblk_waiting.
 */
#define RAFTBLK_WAITING_NAMES {					\
	[RAFTBLK_WAITING_NONE] = "none",			\
	[RAFTBLK_WAITING_SNAPSHOT] = "snapshot",		\
	[RAFTBLK_WAITING_LOG] = "log",				\
	[RAFTBLK_WAITING_HARD_STATE] = "hard-state",		\
	[RAFTBLK_WAITING_RESYNC] = "resync",			\
}

/*
 * Resync rate (RAFTBLK_ATTR_RESYNC_RATE), bytes per second: 0 is the
 * dynamic default (as fast as the network and the disks allow, with fewer
 * bytes in flight while application writes wait), else MIN..MAX.
 */
#define RAFTBLK_RESYNC_RATE_MIN	(1ULL << 20)	/* 1 MiB/s */
#define RAFTBLK_RESYNC_RATE_MAX	(1ULL << 40)	/* 1 TiB/s */

/* Which way a copy of the data area goes (RAFTBLK_RESYNC_ATTR_DIRECTION). */
enum raftblk_resync_dir {
	RAFTBLK_RESYNC_DIR_SEND,	/* this leader sends it to the peer */
	RAFTBLK_RESYNC_DIR_RECEIVE,	/* this node receives it from the peer */
};

/* What a copy transfers (RAFTBLK_RESYNC_ATTR_KIND). */
enum raftblk_resync_kind {
	RAFTBLK_RESYNC_KIND_FULL,	/* every written extent */
	RAFTBLK_RESYNC_KIND_DELTA,	/* extents written after the base */
};

/* State of a copy (RAFTBLK_RESYNC_ATTR_STATE). */
enum raftblk_resync_state {
	RAFTBLK_RESYNC_STATE_RUNNING,
	RAFTBLK_RESYNC_STATE_FINISHED,	/* installed / reported installed */
	RAFTBLK_RESYNC_STATE_FAILED,	/* broke off (the leader starts again) */
};

/*
 * What this node made of the last snapshot entry it applied
 * (RAFTBLK_SNAPSHOT_ATTR_RESULT).
 */
enum raftblk_snapshot_result {
	RAFTBLK_SNAPSHOT_RESULT_NONE,		/* none applied since start */
	RAFTBLK_SNAPSHOT_RESULT_TAKEN,		/* the snapshot exists here */
	RAFTBLK_SNAPSHOT_RESULT_DELETED,	/* deleted here */
	RAFTBLK_SNAPSHOT_RESULT_NO_COW,		/* no COW pool on this node */
	RAFTBLK_SNAPSHOT_RESULT_NO_SPACE,	/* the COW pool is full */
	RAFTBLK_SNAPSHOT_RESULT_EXISTS,		/* the name was taken here */
	RAFTBLK_SNAPSHOT_RESULT_NOT_FOUND,	/* delete: none of that name */
	RAFTBLK_SNAPSHOT_RESULT_FAILED,		/* the helper failed (kernel log) */
	RAFTBLK_SNAPSHOT_RESULT_REPLAYED,	/* replayed after a restart and
						 * not recorded before it: the
						 * data area may hold later
						 * writes, so not taken here
						 */
};

#define RAFTBLK_SNAPSHOT_RESULT_NAMES {				\
	[RAFTBLK_SNAPSHOT_RESULT_NONE] = "none",		\
	[RAFTBLK_SNAPSHOT_RESULT_TAKEN] = "taken",		\
	[RAFTBLK_SNAPSHOT_RESULT_DELETED] = "deleted",		\
	[RAFTBLK_SNAPSHOT_RESULT_NO_COW] = "no-cow",		\
	[RAFTBLK_SNAPSHOT_RESULT_NO_SPACE] = "no-space",	\
	[RAFTBLK_SNAPSHOT_RESULT_EXISTS] = "exists",		\
	[RAFTBLK_SNAPSHOT_RESULT_NOT_FOUND] = "not-found",	\
	[RAFTBLK_SNAPSHOT_RESULT_FAILED] = "failed",		\
	[RAFTBLK_SNAPSHOT_RESULT_REPLAYED] = "replayed",	\
}

/* What an event reports (RAFTBLK_ATTR_EVENT). */
enum raftblk_event {
	RAFTBLK_EVENT_UNSPEC,
	RAFTBLK_EVENT_DEVICE_CREATE,	/* a device appeared, with its state */
	RAFTBLK_EVENT_DEVICE_CHANGE,	/* role/term/leader, or options */
	RAFTBLK_EVENT_DEVICE_DESTROY,	/* the device is gone */
	RAFTBLK_EVENT_PEER_CREATE,	/* a node joined the configuration */
	RAFTBLK_EVENT_PEER_CHANGE,	/* role, connection or progress */
	RAFTBLK_EVENT_PEER_DESTROY,	/* a node left the configuration */
};

/* Secret rotation (RAFTBLK_ATTR_SECRET_OP of DEVICE_SET). */
enum raftblk_secret_op {
	RAFTBLK_SECRET_OP_NONE,
	RAFTBLK_SECRET_OP_PROMOTE,	/* the next secret becomes the current
					 * one; the old one is still accepted
					 */
	RAFTBLK_SECRET_OP_RETIRE,	/* forget the old (second) secret and
					 * close the connections proven with it
					 */
	RAFTBLK_SECRET_OP_NEXT_NONE,	/* install "no secret" as the next
					 * one: unauthenticated peers are
					 * accepted too; promoted, it switches
					 * authentication off
					 */
};

/*
 * Kinds of request counted in RAFTBLK_ATTR_IO_STATS (RAFTBLK_IO_ATTR_OP).
 * DISCARD counts discards and write-zeroes.
 */
enum raftblk_io_op {
	RAFTBLK_IO_OP_READ,
	RAFTBLK_IO_OP_WRITE,
	RAFTBLK_IO_OP_FLUSH,
	RAFTBLK_IO_OP_DISCARD,
};

/*
 * Phases of a request's life, and of the node's disk work, timed in
 * RAFTBLK_ATTR_IO_PHASE (RAFTBLK_IO_ATTR_PHASE). Per request (the leader,
 * requests that succeeded): WRITE_COPY from blk-mq to its data copied and
 * queued for the node thread, WRITE_QUEUE until the thread proposed it,
 * WRITE_LOG until it was durable in this node's log, WRITE_COMMIT from
 * proposed to committed (durable on a majority), WRITE_APPLY from
 * committed to completed (a write completes once committed, before it is
 * applied: the data-area write is in APPLY_WAIT); READ_BARRIER from blk-mq to its
 * read index confirmed (lease or quorum round), READ_DATA from then to
 * completed. Per batch, on every node: LOG_APPEND one append to the log
 * store, APPLY_WAIT one chain of data-area writes, submitted to completed
 * (the node thread goes on meanwhile).
 */
enum raftblk_io_phase {
	RAFTBLK_IO_PHASE_WRITE_COPY,
	RAFTBLK_IO_PHASE_WRITE_QUEUE,
	RAFTBLK_IO_PHASE_WRITE_LOG,
	RAFTBLK_IO_PHASE_WRITE_COMMIT,
	RAFTBLK_IO_PHASE_WRITE_APPLY,
	RAFTBLK_IO_PHASE_READ_BARRIER,
	RAFTBLK_IO_PHASE_READ_DATA,
	RAFTBLK_IO_PHASE_LOG_APPEND,
	RAFTBLK_IO_PHASE_APPLY_WAIT,
};

/*
 * Buckets of the latency histogram (RAFTBLK_IO_ATTR_LATENCY): bucket 0
 * counts requests that took less than 1 us, bucket i (1..N-2) those that
 * took at least 2^(i-1) and less than 2^i us, the last one the rest.
 */
#define RAFTBLK_IO_LATENCY_BUCKETS	24

/* Multicast group of the family: every event of the namespace. */
#define RAFTBLK_MCGRP_EVENTS_NAME	"events"

/* Top-level attributes of every command. */
enum raftblk_attr {
	RAFTBLK_ATTR_UNSPEC,
	RAFTBLK_ATTR_PAD,		/* padding for 64-bit attributes */
	RAFTBLK_ATTR_NAME,		/* string: device name, raftblkN */
	RAFTBLK_ATTR_DISK_PATH,		/* string: backing block device */
	RAFTBLK_ATTR_CAPACITY,		/* u64: size in bytes */
	RAFTBLK_ATTR_ROLE,		/* u32: enum raftblk_role */
	RAFTBLK_ATTR_OPEN_COUNT,	/* u32: current openers of the disk */
	RAFTBLK_ATTR_LOGICAL_BLOCK_SIZE, /* u32: bytes */
	/* Replication (DEVICE_CREATE; DEVICE_GET of a replicated device): */
	RAFTBLK_ATTR_NODE_ID,		/* u32: this node's id, non-zero */
	RAFTBLK_ATTR_LISTEN,		/* nest: RAFTBLK_ADDR_ATTR_* */
	RAFTBLK_ATTR_BOOTSTRAP,		/* flag: start a new cluster */
	RAFTBLK_ATTR_PEER,		/* nest: RAFTBLK_PEER_ATTR_*, repeated */
	/* In DEVICE_GET replies of replicated devices only: */
	RAFTBLK_ATTR_TERM,		/* u64 */
	RAFTBLK_ATTR_LEADER_ID,		/* u32: 0 when unknown */
	RAFTBLK_ATTR_COMMIT_INDEX,	/* u64 */
	RAFTBLK_ATTR_APPLIED_INDEX,	/* u64 */
	/* Replication timers (DEVICE_CREATE, DEVICE_GET): */
	RAFTBLK_ATTR_HEARTBEAT_MS,	/* u32: 50..60000 */
	RAFTBLK_ATTR_ELECTION_TIMEOUT_MS, /* u32: 150..600000, >= 3 heartbeats */
	RAFTBLK_ATTR_COUNTERS,		/* nest: RAFTBLK_COUNTER_ATTR_* */
	/* Online options (DEVICE_SET, DEVICE_GET, events): */
	RAFTBLK_ATTR_MAX_BATCH,		/* u32: 1..64 writes per proposal */
	RAFTBLK_ATTR_READ_MODE,		/* u32: enum raftblk_read_mode */
	/* Events (EVENT; DEVICE_GET gives the position of the stream): */
	RAFTBLK_ATTR_EVENT,		/* u32: enum raftblk_event */
	RAFTBLK_ATTR_EVENT_SEQ,		/* u64: per-device event number */
	RAFTBLK_ATTR_DEVICE_ID,		/* u64: unique per device created */
	/* Replicated devices (DEVICE_GET, events): */
	RAFTBLK_ATTR_DISK_STATE,	/* u32: enum raftblk_disk_state */
	RAFTBLK_ATTR_WAITING,		/* u32: enum raftblk_waiting */
	RAFTBLK_ATTR_WAIT_INDEX,	/* u64: index it waits for, 0 if none */
	RAFTBLK_ATTR_WAIT_MS,		/* u64: how long it has waited (get) */
	/* Online option (DEVICE_SET, DEVICE_GET, events): */
	RAFTBLK_ATTR_RESYNC_RATE,	/* u64: bytes/s, 0 = dynamic */
	/* Copies of the data area (DEVICE_GET, device-change events): */
	RAFTBLK_ATTR_RESYNC,		/* nest: RAFTBLK_RESYNC_ATTR_*, repeated */
	/* Online option (DEVICE_SET, DEVICE_GET, events): */
	RAFTBLK_ATTR_LOG_MEMORY,	/* u64: bytes, 4 MiB..1 TiB: budget of
					 * the in-memory log
					 */
	/* LEADER_TRANSFER: even while the device is open for writing here */
	RAFTBLK_ATTR_FORCE,		/* flag */
	/*
	 * Peer authentication (Documentation/wire-protocol.rst, "Peer
	 * authentication"). SECRET, binary, 16..128 bytes: in DEVICE_CREATE
	 * the cluster's shared secret, in DEVICE_SET the next one (also
	 * accepted from then on). Never sent back: DEVICE_GET and events
	 * carry only fingerprints.
	 */
	RAFTBLK_ATTR_SECRET,
	RAFTBLK_ATTR_SECRET_OP,		/* u32: enum raftblk_secret_op (SET) */
	RAFTBLK_ATTR_SECRET_FP,		/* binary, 8 bytes: fingerprint of the
					 * current secret (GET), absent: none
					 */
	RAFTBLK_ATTR_SECRET_NEXT_FP,	/* binary, 8 bytes: of the second
					 * secret also accepted (GET)
					 */
	/* Snapshots (DEVICE_CREATE; DEVICE_GET, events): */
	RAFTBLK_ATTR_SNAPSHOT_POOL,	/* string: this node's COW pool device;
					 * the data area then goes through
					 * device-mapper
					 */
	/* SNAPSHOT_CREATE, SNAPSHOT_DELETE: */
	RAFTBLK_ATTR_SNAPSHOT_NAME,	/* string, RAFTBLK_SNAPSHOT_NAME_MAXLEN */
	RAFTBLK_ATTR_SNAPSHOT_COW_SIZE,	/* u64: bytes of COW per node, 0 or
					 * absent: the helper's default
					 */
	/* SNAPSHOT_CREATE/DELETE replies: the entry's position */
	RAFTBLK_ATTR_SNAPSHOT_INDEX,	/* u64 */
	RAFTBLK_ATTR_SNAPSHOT_TERM,	/* u64 */
	/* DEVICE_GET, events: the last snapshot entry applied here */
	RAFTBLK_ATTR_SNAPSHOT_LAST,	/* nest: RAFTBLK_SNAPSHOT_ATTR_* */
	/* DEVICE_GET: the index of the last copy from a leader this node
	 * installed (resync); absent if none ever. Snapshot entries up to it
	 * that it had not applied before were never applied here.
	 */
	RAFTBLK_ATTR_COPY_INDEX,	/* u64 */
	/* SNAPSHOT_CREATE: the snapshot's COW device, the same path on every
	 * node, instead of an area of the pool (RAFTBLK_SNAPSHOT_COW_SIZE).
	 * Absolute, letters, digits and /_.+-:, and with the snapshot name
	 * at most RAFTBLK_SNAPSHOT_COW_DEV_MAXLEN bytes together.
	 */
	RAFTBLK_ATTR_SNAPSHOT_COW_DEVICE,	/* string */
	/* DEVICE_GET: requests completed, one nest per enum raftblk_io_op */
	RAFTBLK_ATTR_IO_STATS,		/* nest: RAFTBLK_IO_ATTR_*, repeated */
	/* DEVICE_GET: time spent, one nest per enum raftblk_io_phase */
	RAFTBLK_ATTR_IO_PHASE,		/* nest: RAFTBLK_IO_ATTR_*, repeated */
	/* DEVICE_GET: the second secret is "no secret": unauthenticated
	 * peers are accepted too (authentication being switched on or off)
	 */
	RAFTBLK_ATTR_SECRET_NEXT_NONE,	/* flag */
	/*
	 * DEVICE_SET, DEVICE_GET (replicated): opening the device for
	 * writing on a follower asks the leader to hand leadership over
	 * and waits for it (1, the default), or fails with EROFS (0)
	 */
	RAFTBLK_ATTR_AUTO_PROMOTE,	/* u32: 0 or 1 */
	/* ... at most this long (then EBUSY) */
	RAFTBLK_ATTR_AUTO_PROMOTE_TIMEOUT_MS, /* u32: 100..600000 */
	/* VERIFY_START reply, VERIFY_GET, DEVICE_GET (no node list there) */
	RAFTBLK_ATTR_VERIFY,		/* nest: RAFTBLK_VERIFY_ATTR_* */
	/* RESYNC_EXTENTS: extent numbers, u32 each, host order */
	RAFTBLK_ATTR_VERIFY_EXTENTS,	/* binary */
	RAFTBLK_ATTR_VERIFY_ALL_DIFFERING,	/* flag: those the last verify
						 * found differing on the node
						 */
	/* SNAPSHOT_REPORT: the report (layout: RAFTBLK_SNAPREP_*) */
	RAFTBLK_ATTR_SNAPSHOT_REPORT,	/* binary */
	/* SNAPSHOT_NODES reply: nest of RAFTBLK_SNAPNODE_ATTR_*, repeated */
	RAFTBLK_ATTR_SNAPSHOT_NODE,
	/*
	 * DEVICE_SET: every option the message does not give goes back to
	 * its default (the secrets excepted); what raftctl up sends, so the
	 * device ends up with exactly the options of the resource file.
	 */
	RAFTBLK_ATTR_SET_DEFAULTS,	/* flag */
	/*
	 * DEVICE_GET (replicated): the log's record block, bytes (512 to
	 * 4096): every log record is a header of one record block and its
	 * data padded to whole record blocks (set when the disk was
	 * formatted: its physical block size by default)
	 */
	RAFTBLK_ATTR_LOG_RECORD_BLOCK,	/* u32 */

	__RAFTBLK_ATTR_MAX,
};
#define RAFTBLK_ATTR_MAX (__RAFTBLK_ATTR_MAX - 1)

/* The last snapshot entry applied on this node (RAFTBLK_ATTR_SNAPSHOT_LAST). */
enum raftblk_snapshot_attr {
	RAFTBLK_SNAPSHOT_ATTR_UNSPEC,
	RAFTBLK_SNAPSHOT_ATTR_PAD,
	RAFTBLK_SNAPSHOT_ATTR_NAME,	/* string */
	RAFTBLK_SNAPSHOT_ATTR_DELETE,	/* flag: a delete entry */
	RAFTBLK_SNAPSHOT_ATTR_INDEX,	/* u64 */
	RAFTBLK_SNAPSHOT_ATTR_TERM,	/* u64 */
	RAFTBLK_SNAPSHOT_ATTR_TIME,	/* u64: seconds since the epoch, the
					 * leader's clock at the request
					 */
	RAFTBLK_SNAPSHOT_ATTR_RESULT,	/* u32: enum raftblk_snapshot_result */
	RAFTBLK_SNAPSHOT_ATTR_COUNT,	/* u64: snapshot entries applied since
					 * the node started
					 */

	__RAFTBLK_SNAPSHOT_ATTR_MAX,
};
#define RAFTBLK_SNAPSHOT_ATTR_MAX (__RAFTBLK_SNAPSHOT_ATTR_MAX - 1)

/*
 * A snapshot report (RAFTBLK_ATTR_SNAPSHOT_REPORT, and the payload of the
 * wire protocol's SNAPREPORT frame): what one node holds of each snapshot.
 * Little-endian; a header, then n rows, nothing after them:
 *
 *   header  0  4  n, rows that follow, at most RAFTBLK_SNAPREP_MAX_ROWS
 *           4  4  flags: RAFTBLK_SNAPREP_F_*
 *           8  8  applied index of the node (set by the kernel)
 *          16  8  copy index: it joined by a copy of this index, or 0
 *                 (set by the kernel)
 *          24  8  age in ms of the rows when sent (set by the kernel)
 *   row     0 48  name, NUL-terminated, NUL-padded (snapshot name rules)
 *          48  8  index of the snapshot entry (not 0)
 *          56  8  term
 *          64  8  time, seconds since the epoch (the leader's clock)
 *          72  8  COW bytes
 *          80  8  COW bytes used (0 if unknown)
 *          88  1  state: enum raftblk_snaprep_state
 *          89  7  reserved, 0
 *
 * raftctl fills n, flags and the rows; the kernel checks every field,
 * and sets applied, copy index and age itself.
 */
#define RAFTBLK_SNAPREP_HDR_LEN		32
#define RAFTBLK_SNAPREP_ROW_LEN		96
#define RAFTBLK_SNAPREP_MAX_ROWS	64
/* the header and the most rows: 32 + 64 * 96 */
#define RAFTBLK_SNAPREP_MAX_LEN		6176
#define RAFTBLK_SNAPREP_F_POOL		0x1	/* a COW pool is configured
						 * (set by the kernel)
						 */
#define RAFTBLK_SNAPREP_F_POOL_ERROR	0x2	/* its table could not be read */
#define RAFTBLK_SNAPREP_F_KNOWN		0x4	/* raftctl reported the rows
						 * since the node started
						 * (set by the kernel; without
						 * it n is 0: not known)
						 */
#define RAFTBLK_SNAPREP_F_ALL		0x7

enum raftblk_snaprep_state {
	RAFTBLK_SNAPREP_UNSPEC,
	RAFTBLK_SNAPREP_ACTIVE,		/* taken, its device is up */
	RAFTBLK_SNAPREP_INVALID,	/* its COW area overflowed */
	RAFTBLK_SNAPREP_INACTIVE,	/* taken, its device is not up */
	RAFTBLK_SNAPREP_NO_SPACE,	/* missing: no room in the pool */
	RAFTBLK_SNAPREP_NO_DEVICE,	/* missing: its COW device is not
					 * usable here
					 */
	__RAFTBLK_SNAPREP_STATE_MAX,
};
#define RAFTBLK_SNAPREP_STATE_MAX (__RAFTBLK_SNAPREP_STATE_MAX - 1)

/* One node's report (RAFTBLK_ATTR_SNAPSHOT_NODE). */
enum raftblk_snapnode_attr {
	RAFTBLK_SNAPNODE_ATTR_UNSPEC,
	RAFTBLK_SNAPNODE_ATTR_PAD,
	RAFTBLK_SNAPNODE_ATTR_ID,	/* u32: the node */
	RAFTBLK_SNAPNODE_ATTR_SELF,	/* flag: this node's own report */
	RAFTBLK_SNAPNODE_ATTR_AGE_MS,	/* u64: how old its rows are now */
	RAFTBLK_SNAPNODE_ATTR_HEARD_MS,	/* u64: since it came (0: own) */
	RAFTBLK_SNAPNODE_ATTR_REPORT,	/* binary: RAFTBLK_SNAPREP_* layout */
	/*
	 * On a follower, a report its leader relayed (not its own): VIA is
	 * that leader, RELAY_MS how long ago the relay came.
	 */
	RAFTBLK_SNAPNODE_ATTR_VIA,	/* u32 */
	RAFTBLK_SNAPNODE_ATTR_RELAY_MS,	/* u64 */

	__RAFTBLK_SNAPNODE_ATTR_MAX,
};
#define RAFTBLK_SNAPNODE_ATTR_MAX (__RAFTBLK_SNAPNODE_ATTR_MAX - 1)

/* A verify (RAFTBLK_ATTR_VERIFY). */
enum raftblk_verify_state {
	RAFTBLK_VERIFY_STATE_NONE,	/* none since the node started */
	RAFTBLK_VERIFY_STATE_RUNNING,	/* hashing, or waiting for hashes */
	RAFTBLK_VERIFY_STATE_DONE,
	RAFTBLK_VERIFY_STATE_FAILED,	/* this node could not hash or send */
};

#define RAFTBLK_VERIFY_STATE_NAMES {				\
	[RAFTBLK_VERIFY_STATE_NONE] = "none",			\
	[RAFTBLK_VERIFY_STATE_RUNNING] = "running",		\
	[RAFTBLK_VERIFY_STATE_DONE] = "done",			\
	[RAFTBLK_VERIFY_STATE_FAILED] = "failed",		\
}

/* One node of a verify (RAFTBLK_VERIFY_NODE_ATTR_STATE). */
enum raftblk_verify_node_state {
	RAFTBLK_VERIFY_NODE_WAITING,	/* its hashes have not come yet */
	RAFTBLK_VERIFY_NODE_SAME,	/* every extent as the leader's */
	RAFTBLK_VERIFY_NODE_DIFFERS,	/* some extents differ */
	RAFTBLK_VERIFY_NODE_NO_ANSWER,	/* no hashes in time */
	RAFTBLK_VERIFY_NODE_REFERENCE,	/* the leader: the others' reference */
};

#define RAFTBLK_VERIFY_NODE_NAMES {				\
	[RAFTBLK_VERIFY_NODE_WAITING] = "waiting",		\
	[RAFTBLK_VERIFY_NODE_SAME] = "same",			\
	[RAFTBLK_VERIFY_NODE_DIFFERS] = "differs",		\
	[RAFTBLK_VERIFY_NODE_NO_ANSWER] = "no-answer",		\
	[RAFTBLK_VERIFY_NODE_REFERENCE] = "reference",		\
}

enum raftblk_verify_attr {
	RAFTBLK_VERIFY_ATTR_UNSPEC,
	RAFTBLK_VERIFY_ATTR_PAD,
	RAFTBLK_VERIFY_ATTR_INDEX,	/* u64: the verify entry */
	RAFTBLK_VERIFY_ATTR_TERM,	/* u64 */
	RAFTBLK_VERIFY_ATTR_STATE,	/* u32: enum raftblk_verify_state */
	RAFTBLK_VERIFY_ATTR_COLLECTOR,	/* flag: this node compared */
	RAFTBLK_VERIFY_ATTR_EXTENT_BYTES,	/* u64 */
	RAFTBLK_VERIFY_ATTR_EXTENTS,	/* u32: extents of the data area */
	RAFTBLK_VERIFY_ATTR_HASHED,	/* u32: of them, hashed here so far */
	RAFTBLK_VERIFY_ATTR_ELAPSED_MS,	/* u64: since this node applied it */
	/* nest: RAFTBLK_VERIFY_NODE_ATTR_*, repeated (VERIFY_GET only) */
	RAFTBLK_VERIFY_ATTR_NODE,
	RAFTBLK_VERIFY_ATTR_DIFFERING,	/* u32: extents differing, all nodes */

	__RAFTBLK_VERIFY_ATTR_MAX,
};
#define RAFTBLK_VERIFY_ATTR_MAX (__RAFTBLK_VERIFY_ATTR_MAX - 1)

enum raftblk_verify_node_attr {
	RAFTBLK_VERIFY_NODE_ATTR_UNSPEC,
	RAFTBLK_VERIFY_NODE_ATTR_ID,	/* u32 */
	RAFTBLK_VERIFY_NODE_ATTR_STATE,	/* u32: enum raftblk_verify_node_state */
	RAFTBLK_VERIFY_NODE_ATTR_DIFFERING,	/* u32: extents that differ */
	RAFTBLK_VERIFY_NODE_ATTR_EXTENTS,	/* binary: u32 extent numbers,
						 * host order, the first 256
						 */

	__RAFTBLK_VERIFY_NODE_ATTR_MAX,
};
#define RAFTBLK_VERIFY_NODE_ATTR_MAX (__RAFTBLK_VERIFY_NODE_ATTR_MAX - 1)

/* Most extents RESYNC_EXTENTS takes in RAFTBLK_ATTR_VERIFY_EXTENTS. */
#define RAFTBLK_VERIFY_EXTENTS_MAX	4096

/* A network address (RAFTBLK_ATTR_LISTEN, RAFTBLK_PEER_ATTR_ADDR). */
enum raftblk_addr_attr {
	RAFTBLK_ADDR_ATTR_UNSPEC,
	RAFTBLK_ADDR_ATTR_IPV4,		/* u32, network byte order */
	RAFTBLK_ADDR_ATTR_IPV6,		/* binary: 16 bytes */
	RAFTBLK_ADDR_ATTR_PORT,		/* u16, network byte order */

	__RAFTBLK_ADDR_ATTR_MAX,
};
#define RAFTBLK_ADDR_ATTR_MAX (__RAFTBLK_ADDR_ATTR_MAX - 1)

/* One peer (RAFTBLK_ATTR_PEER). */
enum raftblk_peer_attr {
	RAFTBLK_PEER_ATTR_UNSPEC,
	RAFTBLK_PEER_ATTR_PAD,
	RAFTBLK_PEER_ATTR_ID,		/* u32: node id, non-zero */
	RAFTBLK_PEER_ATTR_ADDR,		/* nest: RAFTBLK_ADDR_ATTR_* */
	RAFTBLK_PEER_ATTR_ROLE,		/* u32: enum raftblk_peer_role */
	RAFTBLK_PEER_ATTR_MATCH_INDEX,	/* u64 */
	RAFTBLK_PEER_ATTR_STATE,	/* u32: enum raftblk_peer_state */
	RAFTBLK_PEER_ATTR_LAST_HEARD_MS,/* u32: ms since its last frame */

	__RAFTBLK_PEER_ATTR_MAX,
};
#define RAFTBLK_PEER_ATTR_MAX (__RAFTBLK_PEER_ATTR_MAX - 1)

/* Counters of a device (RAFTBLK_ATTR_COUNTERS), all u64. */
enum raftblk_counter_attr {
	RAFTBLK_COUNTER_ATTR_UNSPEC,
	RAFTBLK_COUNTER_ATTR_PAD,
	RAFTBLK_COUNTER_ATTR_PROPOSALS,
	RAFTBLK_COUNTER_ATTR_COMMITS,
	RAFTBLK_COUNTER_ATTR_ELECTIONS,
	RAFTBLK_COUNTER_ATTR_BYTES_SENT,
	RAFTBLK_COUNTER_ATTR_BYTES_RECEIVED,
	RAFTBLK_COUNTER_ATTR_BAD_FRAMES,
	RAFTBLK_COUNTER_ATTR_RECONNECTS,
	RAFTBLK_COUNTER_ATTR_RX_BYTES,		/* receive budget in use now */
	RAFTBLK_COUNTER_ATTR_RX_BYTES_PEAK,	/* the most of it ever in use */
	RAFTBLK_COUNTER_ATTR_RX_PAUSED,		/* times a connection stopped reading */
	RAFTBLK_COUNTER_ATTR_LOG_BYTES,		/* payload bytes in the in-memory log */
	RAFTBLK_COUNTER_ATTR_LOG_BYTES_PEAK,	/* the most it held */
	RAFTBLK_COUNTER_ATTR_MEM_COMPACTIONS,	/* compactions the budget forced */
	RAFTBLK_COUNTER_ATTR_AUTH_FAILED,	/* peers or frames that failed
						 * to authenticate
						 */
	/*
	 * The payload page pool, module-wide (the same in every device's
	 * counters): pages in it now, pages payloads took from it and from
	 * the page allocator, freed pages not pooled because another
	 * reference was held or the pool was full, pooled pages given
	 * back (shrinker, removal of the last device).
	 */
	RAFTBLK_COUNTER_ATTR_POOL_PAGES,
	RAFTBLK_COUNTER_ATTR_POOL_REUSED,
	RAFTBLK_COUNTER_ATTR_POOL_FRESH,
	RAFTBLK_COUNTER_ATTR_POOL_BUSY,
	RAFTBLK_COUNTER_ATTR_POOL_FULL,
	RAFTBLK_COUNTER_ATTR_POOL_SHRUNK,
	RAFTBLK_COUNTER_ATTR_FRAMES_DIRECT,	/* frames a sender wrote itself
						 * (connection idle), not the
						 * transport's tx work
						 */
	/*
	 * The log area (the ring of log records on the backing disk):
	 * bytes of it in use now (records not yet compacted, the unused
	 * end of a lap included), its size, and bytes of records written
	 * to it since the disk was formatted (the ring's head position:
	 * grows with every record, headers and padding included; a
	 * follower's truncation moves it back). A full area makes writes
	 * wait for a compaction.
	 */
	RAFTBLK_COUNTER_ATTR_LOG_AREA_USED,
	RAFTBLK_COUNTER_ATTR_LOG_AREA_SIZE,
	RAFTBLK_COUNTER_ATTR_LOG_AREA_WRITTEN,

	__RAFTBLK_COUNTER_ATTR_MAX,
};
#define RAFTBLK_COUNTER_ATTR_MAX (__RAFTBLK_COUNTER_ATTR_MAX - 1)

/*
 * One copy of the data area this node sends (on the leader, one per
 * resyncing peer) or receives (RAFTBLK_ATTR_RESYNC): the ones in progress
 * and the last finished one of each peer.
 */
enum raftblk_resync_attr {
	RAFTBLK_RESYNC_ATTR_UNSPEC,
	RAFTBLK_RESYNC_ATTR_PAD,
	RAFTBLK_RESYNC_ATTR_PEER,	/* u32: the follower, or the leader */
	RAFTBLK_RESYNC_ATTR_DIRECTION,	/* u32: enum raftblk_resync_dir */
	RAFTBLK_RESYNC_ATTR_KIND,	/* u32: enum raftblk_resync_kind */
	RAFTBLK_RESYNC_ATTR_STATE,	/* u32: enum raftblk_resync_state */
	RAFTBLK_RESYNC_ATTR_INDEX,	/* u64: the snapshot it installs */
	RAFTBLK_RESYNC_ATTR_BASE,	/* u64: the follower's base (delta) */
	RAFTBLK_RESYNC_ATTR_DONE,	/* u64: bytes copied */
	RAFTBLK_RESYNC_ATTR_TOTAL,	/* u64: bytes to copy */
	RAFTBLK_RESYNC_ATTR_RATE,	/* u64: bytes/s, recent (running) or
					 * average (ended)
					 */
	RAFTBLK_RESYNC_ATTR_ETA,	/* u64: seconds left at that rate */
	RAFTBLK_RESYNC_ATTR_PACE,	/* u64: bytes/s the leader paces the
					 * running copy at now (the set
					 * resync rate, or the dynamic
					 * default's while application writes
					 * wait), 0: no byte budget
					 */

	__RAFTBLK_RESYNC_ATTR_MAX,
};
#define RAFTBLK_RESYNC_ATTR_MAX (__RAFTBLK_RESYNC_ATTR_MAX - 1)

/*
 * Requests of one kind completed since the device was created
 * (RAFTBLK_ATTR_IO_STATS): from the moment blk-mq hands a request to
 * raftblk to its completion, failed ones included.
 */
enum raftblk_io_attr {
	RAFTBLK_IO_ATTR_UNSPEC,
	RAFTBLK_IO_ATTR_PAD,
	RAFTBLK_IO_ATTR_OP,		/* u32: enum raftblk_io_op */
	RAFTBLK_IO_ATTR_COUNT,		/* u64: requests completed */
	RAFTBLK_IO_ATTR_ERRORS,		/* u64: of them, completed with an error */
	RAFTBLK_IO_ATTR_BYTES,		/* u64: bytes they carried */
	RAFTBLK_IO_ATTR_LATENCY_SUM,	/* u64: sum of their latencies, ns */
	RAFTBLK_IO_ATTR_LATENCY,	/* binary: RAFTBLK_IO_LATENCY_BUCKETS
					 * u64 counts, host byte order
					 */
	RAFTBLK_IO_ATTR_PHASE,		/* u32: enum raftblk_io_phase (IO_PHASE
					 * nests: COUNT, LATENCY_SUM, LATENCY)
					 */

	__RAFTBLK_IO_ATTR_MAX,
};
#define RAFTBLK_IO_ATTR_MAX (__RAFTBLK_IO_ATTR_MAX - 1)

#endif /* _UAPI_LINUX_RAFTBLK_H */
