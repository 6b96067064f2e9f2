// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the node's online verify and repair - operations from netlink
 * (a verify entry proposed, the last verify's report, extents repaired)
 * and a follower's side of a repair.
 *
 * A verify is carried out by node_snap.c (a BARRIER entry) and verify.c.
 * A repair (resync-extents) reuses the resync: the leader notes the
 * extents to copy to the follower (rb_resync_want()) and asks it to
 * reset its log (a REQUEST copy frame); the follower's core then asks for
 * a copy from its applied index, and the leader's copy holds the extents
 * written since and the ones asked for (resync.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/slab.h>

#include "node_int.h"
#include "extent_map.h"
#include "wire.h"

int raftblk_node_verify_start(struct raftblk_node *n, u64 *index, u64 *term,
			      struct raftblk_err *err)
{
	struct raft_entry e = { .type = RAFT_ENTRY_BARRIER };
	raft_index busy = 0;
	int ret;

	e.mark.op = RAFTBLK_VERIFY_OP;
	mutex_lock(&n->lock);
	if (n->frozen || n->role != RAFT_LEADER) {
		ret = RAFT_ENOTLEADER;
	} else {
		ret = rb_verify_may_start(n->vf, &busy);
		if (ret) {
			mutex_unlock(&n->lock);
			*index = busy;
			err->msg = ret == -EBUSY ?
				"a verify is already running (raftctl verify NAME --show waits for it)" :
				"the data area has too many extents for a verify";
			return ret;
		}
		ret = raft_propose(n->raft, 1, &e);
		if (!ret)
			rb_verify_proposed(n->vf, e.index);
	}
	mutex_unlock(&n->lock);
	raftblk_node_kick(n);
	return raftblk_node_propose_result(ret, &e, index, term,
					   "verify entry refused", err);
}

void raftblk_node_verify_report(struct raftblk_node *n,
				struct rb_verify_report *r)
{
	rb_verify_report(n->vf, r);
}

/* The extents to repair on node id: a bitmap of *n bits, or ERR_PTR. */
static unsigned long *raftblk_node_repair_map(struct raftblk_node *n, u32 id,
					      const u32 *ext, u32 n_ext,
					      u32 *n_bits,
					      struct raftblk_err *err)
{
	u32 count = rb_emap_count(rb_store_emap(n->store)), i;
	unsigned long *map;

	if (!ext) {
		map = rb_verify_differing(n->vf, id, n_bits);
		if (IS_ERR(map))
			err->msg = PTR_ERR(map) == -ENOENT ?
				"no verify compared that node's hashes on this node: run raftctl verify here first" :
				"out of memory";
		return map;
	}
	map = bitmap_zalloc(count, GFP_KERNEL);
	if (!map) {
		err->msg = "out of memory";
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < n_ext; i++) {
		if (ext[i] >= count) {
			bitmap_free(map);
			err->msg = "an extent number is past the end of the data area";
			return ERR_PTR(-ERANGE);
		}
		__set_bit(ext[i], map);
	}
	*n_bits = count;
	return map;
}

int raftblk_node_resync_extents(struct raftblk_node *n, u32 id,
				const u32 *ext, u32 n_ext, u32 *count,
				struct raftblk_err *err)
{
	unsigned long *map;
	u32 bits = 0;
	int ret;

	if (id == n->id) {
		err->msg = "the leader is the source of a repair: name a follower";
		return -EINVAL;
	}
	map = raftblk_node_repair_map(n, id, ext, n_ext, &bits, err);
	if (IS_ERR(map))
		return PTR_ERR(map);
	*count = bitmap_weight(map, bits);
	if (!*count) {
		bitmap_free(map);
		return 0;	/* nothing differs: nothing to do */
	}
	mutex_lock(&n->lock);
	raft_get_status(n->raft, &n->st_buf);
	if (n->frozen || n->st_buf.role != RAFT_LEADER) {
		err->msg = "this node is not the leader";
		ret = RAFT_ENOTLEADER;
	} else if (!raftblk_node_conf_has(&n->st_buf.conf, id, RAFT_VOTER) &&
		   !raftblk_node_conf_has(&n->st_buf.conf, id, RAFT_LEARNER)) {
		err->msg = "no such node in the cluster";
		ret = -ENOENT;
	} else {
		ret = rb_resync_want(n->rs, id, map, bits);
		map = NULL;	/* taken over */
		if (ret)
			err->msg = "cannot note the extents to copy";
		else
			ret = rb_resync_request(n->rs, id, n->st_buf.term,
						n->applied,
						RB_WIRE_COPY_REQUEST);
		if (ret && !err->msg)
			err->msg = "cannot reach the node (is it connected?)";
	}
	mutex_unlock(&n->lock);
	bitmap_free(map);
	if (!ret)
		pr_info("%s: repair of %u extents of node %u: asked it for a copy\n",
			n->dev->name, *count, id);
	raftblk_node_kick(n);
	return ret;
}

/*
 * Leader: follower m->from reset its log for a repair (READY): an entry
 * appended now goes to it, it refuses it and asks for the copy (the
 * leader's core sends appends only for entries the follower lacks). A
 * BARRIER entry of op 0 is a no-op on every node.
 */
static void raftblk_node_repair_ready(struct raftblk_node *n,
				      const struct raft_msg *m)
{
	struct raft_entry e = { .type = RAFT_ENTRY_BARRIER };
	int ret;

	if (n->role != RAFT_LEADER || !rb_resync_wants(n->rs, m->from))
		return;
	ret = raft_propose(n->raft, 1, &e);
	if (ret)
		pr_warn("%s: repair of node %llu: cannot append an entry to start the copy: %d\n",
			n->dev->name, (unsigned long long)m->from, ret);
}

/*
 * Follower: a leader's REQUEST copy frame (resync.h): from the leader of
 * the current term, the log is reset to the applied index, so that the
 * core asks that leader for a copy, and the leader is told (READY).
 */
static void raftblk_node_repair_request(struct raftblk_node *n,
					const struct raft_msg *m)
{
	struct raft_status *st = &n->st_buf;
	int ret;

	raft_get_status(n->raft, st);
	if (st->role == RAFT_LEADER || st->leader != m->from ||
	    st->term != m->term || rb_resync_receiving(n->rs)) {
		pr_info_ratelimited("%s: a copy asked for by node %llu ignored: not the leader of this term, or a copy is in progress\n",
				    n->dev->name, (unsigned long long)m->from);
		return;
	}
	ret = raft_reset_log(n->raft, n->applied);
	if (ret) {
		pr_warn("%s: cannot reset the log for the copy node %llu asked for: %d\n",
			n->dev->name, (unsigned long long)m->from, ret);
		return;
	}
	pr_info("%s: node %llu repairs extents here: asking for a copy from index %llu\n",
		n->dev->name, (unsigned long long)m->from,
		(unsigned long long)n->applied);
	ret = rb_resync_request(n->rs, m->from, m->term, n->applied ?: 1,
				RB_WIRE_COPY_READY);
	if (ret)
		pr_warn("%s: cannot tell node %llu the log is reset: %d (the next write starts the copy)\n",
			n->dev->name, (unsigned long long)m->from, ret);
}

/* REQUEST and READY copy frames are consumed here (true). */
bool raftblk_node_resync_requested(struct raftblk_node *n,
				   struct raft_msg *m)
{
	u8 kind = rb_resync_is_request(m);

	if (!kind)
		return false;
	if (kind == RB_WIRE_COPY_REQUEST)
		raftblk_node_repair_request(n, m);
	else
		raftblk_node_repair_ready(n, m);
	raft_msg_free(m);
	return true;
}
