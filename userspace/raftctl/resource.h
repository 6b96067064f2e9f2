/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raftctl: resource files, /etc/raftblk/RESOURCE.conf (format in
 * raftctl(8) and Documentation/admin-guide.rst).
 */
#ifndef RAFTCTL_RESOURCE_H
#define RAFTCTL_RESOURCE_H

#include <stdint.h>
#include "raftctl.h"

#define RESOURCE_MAX_NODES	16	/* the kernel's RAFT_MAX_NODES */
#define RESOURCE_HOST_MAX	255

struct resource_node {
	uint32_t id;
	char host[RESOURCE_HOST_MAX + 1];
	struct rb_addr addr;
	char disk[RAFTBLK_PATH_MAXLEN + 1];
	char snap_pool[RAFTBLK_PATH_MAXLEN + 1];	/* "" for none */
	int line;			/* of its [node N] header */
};

struct resource {
	char name[256];			/* RESOURCE, from the file name */
	char path[4096];		/* the file read */
	char device[RAFTBLK_NAME_MAXLEN + 1];
	uint32_t bootstrap_node;	/* 0: none */
	struct dev_options opts;	/* 0 / -1: kernel default */
	struct secret secret;		/* shared-secret(-file), len 0: none */
	size_t n_nodes;
	struct resource_node nodes[RESOURCE_MAX_NODES];
};

/*
 * Read DIR/NAME.conf into R. 0, or -1 after printing
 * "raftctl: FILE:LINE: what is wrong" (or why the file cannot be read).
 */
int resource_load(const char *dir, const char *name, struct resource *r);

/*
 * This host's node: the one with id NODE_ID if non-zero, else the one
 * whose host is this machine's name (uname -n, with or without its
 * domain). NULL after printing why.
 */
const struct resource_node *resource_self(const struct resource *r,
					  uint32_t node_id);

#endif /* RAFTCTL_RESOURCE_H */
