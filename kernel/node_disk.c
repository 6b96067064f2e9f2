// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's backing disk health.
 *
 * A write of the log or the data area that fails is retried (the log by
 * the core, once per tick; an apply at most every
 * RAFTBLK_NODE_DISK_RETRY_MS) while the node keeps its other work going
 * (disk state "failing"). When it still fails after
 * RAFTBLK_NODE_DISK_RETRIES attempts over at least
 * RAFTBLK_NODE_DISK_GIVEUP_MS, the node gives the disk up ("failed", like
 * DRBD's on-io-error detach): every request fails with EIO, a leader
 * hands its leadership to the most up-to-date voter (or just stops, and
 * the others elect a leader after their timeout), then the node stops
 * calling into the core: no tick, no vote, no acknowledgement, messages
 * dropped. It stays so until it is destroyed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "node_int.h"

static const char *const raftblk_node_area_name[RB_AREAS] = {
	[RB_AREA_LOG] = "log",
	[RB_AREA_DATA] = "data area",
};

/* The disk's errors, not the store refusing for lack of room/memory. */
bool raftblk_node_is_disk_error(int err)
{
	return err && err != -ENOSPC && err != -ENOMEM;
}

static void raftblk_node_set_disk_state(struct raftblk_node *n, u8 state,
					int err)
{
	if (n->disk_state == state)
		return;
	WRITE_ONCE(n->disk_state, state);
	n->disk_error = err;
	mutex_lock(&n->pub_lock);
	spin_lock(&n->pub_spin);
	n->pub.disk_state = state;
	n->pub.disk_error = err;
	spin_unlock(&n->pub_spin);
	raftblk_node_call_publish(n);
	mutex_unlock(&n->pub_lock);
}

/* A write of @area succeeded: the area works (again). */
void raftblk_node_disk_ok(struct raftblk_node *n, int area)
{
	n->failures[area] = 0;
	if (n->disk_state == RAFTBLK_DISK_STATE_FAILING &&
	    !n->failures[area ^ 1])
		raftblk_node_set_disk_state(n, RAFTBLK_DISK_STATE_OK, 0);
}

/* The voter (not us) with the longest log, 0 if none. */
static raft_id raftblk_node_best_voter(struct raftblk_node *n)
{
	struct raft_status *st = &n->st_buf;
	raft_index best = 0;
	raft_id to = 0;
	u32 i;

	raft_get_status(n->raft, st);
	for (i = 0; i < st->n_progress; i++) {
		const struct raft_progress_info *pi = &st->progress[i];

		if (pi->id == n->id || pi->role != RAFT_VOTER ||
		    (to && pi->match <= best))
			continue;
		to = pi->id;
		best = pi->match;
	}
	return to;
}

/* Fail every request the node holds or is handed: the disk is gone. */
static void raftblk_node_fail_all(struct raftblk_node *n)
{
	struct raftblk_node_read *rd, *tmp;

	raftblk_node_fail_list(&n->proposed, BLK_STS_IOERR);
	list_for_each_entry_safe(rd, tmp, &n->reads_waiting, list) {
		list_del(&rd->list);
		raftblk_node_fail_list(&rd->rqs, BLK_STS_IOERR);
		kfree(rd);
	}
}

/*
 * Stop calling into the core: no tick, vote, acknowledgement or
 * campaign from now on. The node reports itself a follower with no known
 * leader (it takes no part any more).
 */
void raftblk_node_freeze(struct raftblk_node *n)
{
	struct raft_status *st = &n->st_buf;

	n->frozen = true;
	n->handing_over = false;
	raftblk_node_lease_withdraw(n);
	raftblk_node_fail_all(n);
	WRITE_ONCE(n->role, RAFT_FOLLOWER);
	WRITE_ONCE(n->leader, 0);
	raft_get_status(n->raft, st);
	st->role = RAFT_FOLLOWER;
	st->leader = 0;
	raftblk_node_publish(n, st);
}

/* Give the disk up (once): see the comment at the top of the file. */
static void raftblk_node_detach(struct raftblk_node *n, int area, int err)
{
	raft_id to = 0;

	raftblk_node_set_disk_state(n, RAFTBLK_DISK_STATE_FAILED, err);
	raftblk_node_lease_withdraw(n);
	if (n->role == RAFT_LEADER)
		to = raftblk_node_best_voter(n);
	if (to && raft_transfer_leader(n->raft, to))
		to = 0;
	pr_err("%s: backing disk %s: %s writes failed %u times (error %d): disk detached, node %u stops serving%s; destroy the device and replace the disk\n",
	       n->dev->name, n->dev->disk_path, raftblk_node_area_name[area],
	       n->failures[area], err, n->id,
	       to ? " (handing leadership over)" : "");
	raftblk_node_fail_all(n);
	if (to) {
		n->handing_over = true;
		n->handover_until = jiffies +
				    msecs_to_jiffies(2 * n->election_ms);
	} else {
		raftblk_node_freeze(n);
	}
}

/* A write of @area failed with @err (not ENOSPC/ENOMEM). */
void raftblk_node_disk_error(struct raftblk_node *n, int area, int err)
{
	if (n->disk_state == RAFTBLK_DISK_STATE_FAILED)
		return;
	if (!n->failures[area]++)
		n->fail_since[area] = jiffies;
	if (area == RB_AREA_DATA)
		n->apply_retry_at = jiffies +
			msecs_to_jiffies(RAFTBLK_NODE_DISK_RETRY_MS);
	if (n->failures[area] >= RAFTBLK_NODE_DISK_RETRIES &&
	    time_after_eq(jiffies, n->fail_since[area] +
			  msecs_to_jiffies(RAFTBLK_NODE_DISK_GIVEUP_MS))) {
		raftblk_node_detach(n, area, err);
		return;
	}
	raftblk_node_set_disk_state(n, RAFTBLK_DISK_STATE_FAILING, err);
}
