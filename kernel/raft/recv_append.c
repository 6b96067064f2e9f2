// SPDX-License-Identifier: GPL-2.0
/*
 * recv_append.c - a follower receives AppendEntries (Raft paper Figure 2,
 * "AppendEntries RPC, receiver implementation").
 */
#include "raft_int.h"

static void reject(struct raft *r, const struct raft_msg *m)
{
	raft_index hint = m->index < log_last(&r->log) ?
		m->index : log_last(&r->log);
	struct raft_msg *resp;
	raft_term ht;

	hint = raft_log_find_conflict_by_term(&r->log, hint, m->log_term, &ht);
	resp = raft_msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
	if (!resp)
		return;
	resp->reject = 1;
	resp->index = m->index;
	resp->hint_index = hint;
	resp->hint_term = ht;
	resp->commit = raft_own_base(r);
}

/*
 * The log was reset: whatever the leader sends, ask for a snapshot at
 * least as up to date as the end of the log we had, and a delta from our
 * base.
 */
void raft_reject_resync(struct raft *r, raft_id to, raft_index idx)
{
	struct raft_msg *resp = raft_msg_new(r, RAFT_MSG_APPEND_RESP, to);

	if (!resp)
		return;
	resp->reject = 1;
	resp->flags = RAFT_MSGF_RESYNC;
	resp->index = idx;
	resp->hint_index = log_last(&r->log);
	resp->hint_term = raft_log_last_term(&r->log);
	resp->commit = r->resync_base;
}

/* Store m's entries from k on (index ci), truncating ours from ci. */
static int append_from(struct raft *r, struct raft_msg *m, u32 k,
		       raft_index ci)
{
	struct raft_log *l = &r->log;
	bool conf_changed = ci <= log_last(l);
	struct raft_conf *c;
	raft_index i;
	u32 j;

	if (ci <= r->commit) {
		raft_logf(RAFT_LOG_WARN,
			  "raft %llu: append from %llu conflicts with committed entry %llu",
			  (unsigned long long)r->id,
			  (unsigned long long)m->from,
			  (unsigned long long)ci);
		return RAFT_EINVAL;
	}
	for (j = k; j < m->n_entries; j++)
		if (m->entries[j].type == RAFT_ENTRY_CONF)
			conf_changed = true;
	c = conf_changed ? raft_malloc(sizeof(*c)) : NULL;
	if (conf_changed && !c)
		return RAFT_ENOMEM;
	if (c) {
		/* The configuration after the change, checked first. */
		if (ci > log_last(l))
			*c = r->conf;
		else if (raft_conf_at(r, ci - 1, c))
			goto inval;
		for (j = k; j < m->n_entries; j++)
			if (m->entries[j].type == RAFT_ENTRY_CONF &&
			    raft_conf_apply(c, &m->entries[j].cc))
				goto inval;
	}
	if (raft_log_reserve(l, m->n_entries - k)) {
		raft_free(c);
		return RAFT_ENOMEM;
	}
	if (ci <= log_last(l)) {
		raft_logf(RAFT_LOG_INFO, "raft %llu: truncating log from %llu",
			  (unsigned long long)r->id, (unsigned long long)ci);
		raft_log_truncate(l, ci);
		raft_drop_held_from(r, ci);
	}
	for (j = k; j < m->n_entries; j++) {
		raft_log_push(l, &m->entries[j]);
		m->entries[j].payload = NULL;	/* taken over */
	}
	if (c) {
		r->conf = *c;
		/* latest CONF entry, searched backwards */
		r->conf_index = l->snap_index;
		for (i = log_last(l); i >= log_first(l); i--)
			if (raft_log_get(l, i)->type == RAFT_ENTRY_CONF) {
				r->conf_index = i;
				break;
			}
		raft_rebuild_progress(r);
		raft_free(c);
	}
	return 0;
inval:
	raft_free(c);
	return RAFT_EINVAL;
}

int raft_recv_append(struct raft *r, struct raft_msg *m)
{
	struct raft_log *l = &r->log;
	raft_index last_new = m->index + m->n_entries, ci = 0;
	u32 k;

	if (r->resync) {
		raft_reject_resync(r, m->from, m->index);
		return 0;
	}
	if (r->snap_pending || r->snap_installing)
		return 0;	/* busy installing; the leader will retry */
	if (m->index < r->commit) {
		raft_ack_append(r, m->from, r->commit);
		return 0;
	}
	/* A node without any configuration needs the base snapshot first. */
	if (!raft_log_match(l, m->index, m->log_term) ||
	    (r->conf.n == 0 && m->index == 0)) {
		reject(r, m);
		return 0;
	}
	/* First entry that is new or conflicts with ours. */
	for (k = 0; k < m->n_entries; k++) {
		const struct raft_entry *e = &m->entries[k];

		if (!raft_log_match(l, e->index, e->term)) {
			ci = e->index;
			break;
		}
	}
	if (ci) {
		int rc = append_from(r, m, k, ci);

		if (rc)
			return rc;
	}
	raft_commit_to(r, m->commit < last_new ? m->commit : last_new);
	raft_ack_append(r, m->from, last_new);
	return 0;
}
