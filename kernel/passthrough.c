// SPDX-License-Identifier: GPL-2.0
/*
 * raftblk: the "standalone" I/O path. Every request passes straight to the
 * backing disk; nothing is replicated. The replication layer replaces these
 * io_ops with its own, which routes writes through the Raft log.
 */
#include "raftblk.h"

static blk_status_t raftblk_passthrough_submit(struct raftblk_dev *dev,
					       struct request *rq)
{
	return raftblk_backing_submit(dev, rq);
}

const struct raftblk_io_ops raftblk_passthrough_ops = {
	.role = RAFTBLK_ROLE_STANDALONE,
	.submit = raftblk_passthrough_submit,
};
