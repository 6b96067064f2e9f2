// SPDX-License-Identifier: GPL-2.0
/*
 * conf.c - cluster configurations and one-server-at-a-time changes.
 */
#include "raft_int.h"

int raft_conf_find(const struct raft_conf *c, raft_id id)
{
	u32 i;

	for (i = 0; i < c->n && i < RAFT_MAX_NODES; i++)
		if (c->nodes[i].id == id)
			return (int)i;
	return -1;
}

bool raft_conf_is_voter(const struct raft_conf *c, raft_id id)
{
	int i = raft_conf_find(c, id);

	return i >= 0 && c->nodes[i].role == RAFT_VOTER;
}

u32 raft_conf_n_voters(const struct raft_conf *c)
{
	u32 i, n = 0;

	for (i = 0; i < c->n; i++)
		if (c->nodes[i].role == RAFT_VOTER)
			n++;
	return n;
}

bool raft_conf_valid(const struct raft_conf *c)
{
	u32 i, j;

	if (c->n > RAFT_MAX_NODES)
		return false;
	for (i = 0; i < c->n; i++) {
		if (c->nodes[i].id == RAFT_NONE)
			return false;
		if (c->nodes[i].role != RAFT_VOTER &&
		    c->nodes[i].role != RAFT_LEARNER)
			return false;
		for (j = 0; j < i; j++)
			if (c->nodes[j].id == c->nodes[i].id)
				return false;
	}
	return true;
}

int raft_conf_check(const struct raft_conf *c, const struct raft_conf_change *cc)
{
	int i = cc->id == RAFT_NONE ? -1 : raft_conf_find(c, cc->id);

	if (cc->id == RAFT_NONE)
		return RAFT_EINVAL;
	switch (cc->op) {
	case RAFT_CONF_ADD_LEARNER:
		return i >= 0 || c->n >= RAFT_MAX_NODES ? RAFT_EINVAL : 0;
	case RAFT_CONF_PROMOTE:
		return i < 0 || c->nodes[i].role != RAFT_LEARNER ?
			RAFT_EINVAL : 0;
	case RAFT_CONF_DEMOTE:
		return i < 0 || c->nodes[i].role != RAFT_VOTER ||
			raft_conf_n_voters(c) <= 1 ? RAFT_EINVAL : 0;
	case RAFT_CONF_REMOVE:
		return i < 0 || (c->nodes[i].role == RAFT_VOTER &&
				 raft_conf_n_voters(c) <= 1) ? RAFT_EINVAL : 0;
	default:
		return RAFT_EINVAL;
	}
}

int raft_conf_apply(struct raft_conf *c, const struct raft_conf_change *cc)
{
	int i;

	if (!c || !cc || c->n > RAFT_MAX_NODES || raft_conf_check(c, cc))
		return RAFT_EINVAL;
	i = raft_conf_find(c, cc->id);
	switch (cc->op) {
	case RAFT_CONF_ADD_LEARNER:
		c->nodes[c->n].id = cc->id;
		c->nodes[c->n].role = RAFT_LEARNER;
		memcpy(c->nodes[c->n].addr, cc->addr, RAFT_ADDR_LEN);
		c->n++;
		return 0;
	case RAFT_CONF_PROMOTE:
		c->nodes[i].role = RAFT_VOTER;
		return 0;
	case RAFT_CONF_DEMOTE:
		c->nodes[i].role = RAFT_LEARNER;
		return 0;
	case RAFT_CONF_REMOVE:
		c->nodes[i] = c->nodes[c->n - 1];
		memset(&c->nodes[c->n - 1], 0, sizeof(c->nodes[0]));
		c->n--;
		return 0;
	default:
		return RAFT_EINVAL;
	}
}

void raft_bootstrap_conf(struct raft_conf *conf, raft_id id,
			 const u8 addr[RAFT_ADDR_LEN])
{
	memset(conf, 0, sizeof(*conf));
	conf->n = 1;
	conf->nodes[0].id = id;
	conf->nodes[0].role = RAFT_VOTER;
	if (addr)
		memcpy(conf->nodes[0].addr, addr, RAFT_ADDR_LEN);
}
