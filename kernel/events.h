/* SPDX-License-Identifier: GPL-2.0 */
/*
 * events.h - the "events" multicast group of the raftblk family.
 *
 * Every change of a device that an administrator watches is sent as one
 * RAFTBLK_CMD_EVENT message to the listeners of the device's network
 * namespace: device created/destroyed, role, term, leader, options,
 * backing disk state, what the node waits for, membership (peer added,
 * promoted/demoted, removed), peer connection state and catch-up
 * progress (a peer's match index on the leader, at most every
 * RAFTBLK_EVENTS_PROGRESS_MS, and at once when the peer has caught up),
 * and resyncs (a copy of the data area sent or received: at its start,
 * at most every RAFTBLK_EVENTS_PROGRESS_MS while it progresses, and at
 * its end).
 *
 * Each event carries the device's id (unique per device created) and a
 * sequence number counting that device's events from 1 without gaps (an
 * event that could not be allocated still uses its number, so a listener
 * sees the gap). DEVICE_GET reports the device's id and the number of its
 * last event, read before the rest of the state: a listener that joins
 * the group, then dumps the devices, and then drops the events of each
 * device numbered at or below what the dump gave, misses no change
 * (a change may be reported twice, never lost or out of order).
 *
 * The node reports each status snapshot it publishes (after each ready
 * batch, on a peer's connection change, on an option change) through
 * raftblk_events_node_changed(), the publish function the device gives
 * it: a few comparisons with the last published values unless something
 * changed. Reports run in process context; messages are allocated with
 * GFP_NOIO and never wait for listeners.
 *
 * Calls come from device.c (lifecycle) and netlink.c (position, module
 * exit); events.c calls only the attribute builders (nl_attrs.c) and
 * sends on the family.
 */
#ifndef RAFTBLK_EVENTS_H
#define RAFTBLK_EVENTS_H

#include <linux/mutex.h>
#include <linux/types.h>
#include "node.h"

struct raftblk_dev;
struct net;

/* Progress events of a lagging peer: at most one per this period. */
#define RAFTBLK_EVENTS_PROGRESS_MS	500

/* What was last published about one member. */
struct raftblk_events_peer {
	struct raftblk_node_peer p;	/* id, role, conn, addr, match */
	unsigned long match_at;	/* jiffies of the last match report */
	bool lagging;		/* that report was below the commit index */
};

/* What was last published about one copy of the data area. */
struct raftblk_events_resync {
	struct rb_resync_info r;
	unsigned long at;	/* jiffies of that report */
};

/* Per-device event state, embedded in struct raftblk_dev. */
struct raftblk_events {
	/*
	 * lock protects every field below and orders the events of the
	 * device: a number is taken and its message sent under it. Taken
	 * inside raftblk_devices_lock and inside the node's publish lock,
	 * never the other way round; held only to build and send.
	 */
	struct mutex lock;
	u64 id;			/* unique per device created */
	u64 seq;		/* number of the last event */
	/* Set once DEVICE_CREATE is out, cleared by DEVICE_DESTROY. */
	bool armed;
	/* The node reported (a replicated device); st is its last report. */
	bool replicated;
	struct raftblk_node_status st;
	/* Published: */
	u8 role;		/* enum raftblk_role */
	u64 term;
	u32 leader;
	u8 disk_state;		/* enum raftblk_disk_state */
	u8 waiting;		/* enum raftblk_waiting */
	u64 wait_index;
	u64 snap_count;		/* snapshot entries applied (node_snap.c) */
	u64 verify_index;	/* the last verify (verify.h) and its state */
	u8 verify_state;
	u32 n_peers;		/* members (PEER_CREATE sent) */
	struct raftblk_events_peer peers[RAFTBLK_NODE_MAX_PEERS];
	u32 n_resync;
	struct raftblk_events_resync resync[RAFTBLK_NODE_MAX_RESYNC];
};

/* Device lifecycle (device.c). */
void raftblk_events_init(struct raftblk_dev *dev);
/* Before the device is visible: DEVICE_CREATE and its peers. */
void raftblk_events_device_created(struct raftblk_dev *dev);
/* Under raftblk_devices_lock, as it becomes invisible: DEVICE_DESTROY. */
void raftblk_events_device_destroyed(struct raftblk_dev *dev);
/* The device is freed: nothing reports on it any more. */
void raftblk_events_release(struct raftblk_dev *dev);

/* The node's publish function (raftblk_node_publish_fn). */
void raftblk_events_node_changed(struct raftblk_dev *dev,
				 const struct raftblk_node_status *st);
/* DEVICE_SET succeeded: announce the device's options. */
void raftblk_events_options_changed(struct raftblk_dev *dev);

/* The device's id and the number of its last event (DEVICE_GET). */
void raftblk_events_position(struct raftblk_dev *dev, u64 *id, u64 *seq);

/* Module exit, before the family goes: no event is sent afterwards. */
void raftblk_events_disable(void);

#endif /* RAFTBLK_EVENTS_H */
