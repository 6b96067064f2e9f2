// SPDX-License-Identifier: GPL-2.0
/*
 * msg.c - message validation (everything raft_step() accepts from the
 * network is checked here before any state changes), copies and names.
 */
#include "raft_int.h"

bool raft_entry_valid(const struct raft_entry *e)
{
	switch (e->type) {
	case RAFT_ENTRY_NORMAL:
		return true;
	case RAFT_ENTRY_NOOP:
	case RAFT_ENTRY_BARRIER:
		return !e->payload;
	case RAFT_ENTRY_CONF:
		return !e->payload && e->cc.id != RAFT_NONE &&
			e->cc.op >= RAFT_CONF_ADD_LEARNER &&
			e->cc.op <= RAFT_CONF_DEMOTE;
	default:
		return false;
	}
}

int raft_msg_validate(const struct raft *r, const struct raft_msg *m)
{
	u32 i;

	if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_TYPE_MAX)
		return RAFT_EINVAL;
	if (m->from == RAFT_NONE || m->from == r->id || m->to != r->id)
		return RAFT_EINVAL;
	if (m->n_entries && (!m->entries || m->type != RAFT_MSG_APPEND))
		return RAFT_EINVAL;
	if (m->n_entries > (1u << 20))
		return RAFT_EINVAL;
	if (m->reject > 1)
		return RAFT_EINVAL;
	if ((m->flags & RAFT_MSGF_RESYNC) &&
	    (m->type != RAFT_MSG_APPEND_RESP || !m->reject))
		return RAFT_EINVAL;
	/* Never adopt a term that could wrap (see RAFT_TERM_MAX); entry
	 * terms are checked against m->term below.
	 */
	if (m->term > RAFT_TERM_MAX || m->log_term > RAFT_TERM_MAX ||
	    m->hint_term > RAFT_TERM_MAX ||
	    (m->type == RAFT_MSG_SNAPSHOT && m->snap.term > RAFT_TERM_MAX))
		return RAFT_EINVAL;
	switch (m->type) {
	case RAFT_MSG_APPEND:
		if (m->term == 0 || m->log_term > m->term || m->index > ~0ULL - m->n_entries)
			return RAFT_EINVAL;
		for (i = 0; i < m->n_entries; i++) {
			const struct raft_entry *e = &m->entries[i];
			raft_term prev = i ? m->entries[i - 1].term :
				m->log_term;

			if (e->index != m->index + 1 + i || e->term < prev ||
			    e->term > m->term || e->term == 0 ||
			    !raft_entry_valid(e))
				return RAFT_EINVAL;
		}
		if (m->index == 0 && m->log_term != 0)
			return RAFT_EINVAL;
		/* Committed entries never change (Leader Completeness): a
		 * leader that says otherwise is broken or forged.
		 */
		for (i = 0; i < m->n_entries; i++) {
			const struct raft_entry *e = &m->entries[i];

			if (e->index > r->commit)
				break;
			if (raft_log_get(&r->log, e->index) &&
			    raft_log_term(&r->log, e->index) != e->term)
				return RAFT_EINVAL;
		}
		break;
	case RAFT_MSG_VOTE:
	case RAFT_MSG_PREVOTE:
		if (m->log_term > m->term || m->term == 0)
			return RAFT_EINVAL;
		break;
	case RAFT_MSG_SNAPSHOT:
		if (m->term == 0 || m->snap.term > m->term || !raft_conf_valid(&m->snap.conf) ||
		    !m->snap.conf.n || !m->snap.index != !m->snap.term)
			return RAFT_EINVAL;
		break;
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_TIMEOUT_NOW:
		if (m->term == 0)
			return RAFT_EINVAL;
		break;
	default:
		break;
	}
	return 0;
}

int raft_msg_clone(const struct raft_msg *src, struct raft_msg *dst)
{
	u32 i;

	*dst = *src;
	dst->entries = NULL;
	dst->n_entries = 0;
	if (!src->n_entries || !src->entries)
		return 0;
	dst->entries = raft_calloc(src->n_entries, sizeof(*dst->entries));
	if (!dst->entries)
		return RAFT_ENOMEM;
	for (i = 0; i < src->n_entries; i++) {
		dst->entries[i] = src->entries[i];
		if (dst->entries[i].payload)
			raft_payload_get(dst->entries[i].payload);
	}
	dst->n_entries = src->n_entries;
	return 0;
}

const char *raft_role_name(u8 role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRE_CANDIDATE:
		return "pre-candidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	default:
		return "unknown";
	}
}

const char *raft_msg_type_name(u8 type)
{
	static const char * const names[] = {
		[RAFT_MSG_APPEND] = "APPEND",
		[RAFT_MSG_APPEND_RESP] = "APPEND_RESP",
		[RAFT_MSG_VOTE] = "VOTE",
		[RAFT_MSG_VOTE_RESP] = "VOTE_RESP",
		[RAFT_MSG_PREVOTE] = "PREVOTE",
		[RAFT_MSG_PREVOTE_RESP] = "PREVOTE_RESP",
		[RAFT_MSG_HEARTBEAT] = "HEARTBEAT",
		[RAFT_MSG_HEARTBEAT_RESP] = "HEARTBEAT_RESP",
		[RAFT_MSG_SNAPSHOT] = "SNAPSHOT",
		[RAFT_MSG_TIMEOUT_NOW] = "TIMEOUT_NOW",
	};

	if (type < RAFT_MSG_APPEND || type > RAFT_MSG_TYPE_MAX)
		return "UNKNOWN";
	return names[type];
}
