// SPDX-License-Identifier: GPL-2.0
/*
 * mailbox.c - the simplest network: one FIFO per recipient, delivered
 * only when the driver says so (interaction scripts, fuzzer, benchmark).
 */
#include <stdlib.h>
#include "sim.h"

void sim_mailbox_push(struct sim_mailbox *mb, struct sim_msg *m)
{
	raft_id to = m->m.to;

	if (to < 1 || to > SIM_MAX_NODES) {
		sim_msg_free(m);
		return;
	}
	m->next = NULL;
	if (mb->tail[to])
		mb->tail[to]->next = m;
	else
		mb->head[to] = m;
	mb->tail[to] = m;
	mb->n[to]++;
}

struct sim_msg *sim_mailbox_pop(struct sim_mailbox *mb, raft_id to)
{
	struct sim_msg *m;

	if (to < 1 || to > SIM_MAX_NODES || !mb->head[to])
		return NULL;
	m = mb->head[to];
	mb->head[to] = m->next;
	if (!mb->head[to])
		mb->tail[to] = NULL;
	mb->n[to]--;
	m->next = NULL;
	return m;
}

void sim_mailbox_free(struct sim_mailbox *mb)
{
	for (raft_id id = 1; id <= SIM_MAX_NODES; id++) {
		struct sim_msg *m;

		while ((m = sim_mailbox_pop(mb, id)))
			sim_msg_free(m);
	}
}

static void mailbox_send(struct sim_cluster *c, struct sim_msg *m)
{
	sim_mailbox_push(c->net_priv, m);
}

const struct sim_net_ops sim_mailbox_ops = {
	.send = mailbox_send,
};
