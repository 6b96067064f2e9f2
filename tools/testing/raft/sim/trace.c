// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - a ring of the last events, formatted only when a run fails.
 */
#include <string.h>
#include "sim.h"

#define ULL(x) ((unsigned long long)(x))

void sim_trace(struct sim_cluster *c, u8 kind, u8 node, u8 peer, u8 mtype,
	       u8 flag, u64 a, u64 b, u64 c2, u64 d, u64 e)
{
	struct sim_tr_ev *ev = &c->tr.ev[c->tr.n++ % SIM_TRACE_LEN];

	ev->t = c->now;
	ev->kind = kind;
	ev->node = node;
	ev->peer = peer;
	ev->mtype = mtype;
	ev->flag = flag;
	ev->a = a;
	ev->b = b;
	ev->c = c2;
	ev->d = d;
	ev->e = e;
	/* a run's fingerprint: same seed, same events, same digest */
	c->digest = (c->digest ^ (ev->t * 31 + kind * 7 + node * 3 + peer +
				  ((u64)mtype << 8) + ((u64)flag << 16))) *
		    0x100000001b3ULL;
	c->digest = (c->digest ^ (a + 3 * b + 5 * c2 + 7 * d + 11 * e)) *
		    0x100000001b3ULL;
	if (c->log)
		sim_trace_dump(c, NULL, 0);
}

void sim_trace_msg(struct sim_cluster *c, u8 kind, const struct raft_msg *m)
{
	u64 extra = m->type == RAFT_MSG_SNAPSHOT ? m->snap.index : m->context;

	sim_trace(c, kind, (u8)m->from, (u8)m->to, m->type, m->reject, m->term,
		  m->index, m->log_term, m->commit,
		  (u64)m->n_entries | (extra << 16));
}

const char *sim_entry_type_name(u8 type)
{
	switch (type) {
	case RAFT_ENTRY_NORMAL: return "NORMAL";
	case RAFT_ENTRY_NOOP: return "NOOP";
	case RAFT_ENTRY_CONF: return "CONF";
	case RAFT_ENTRY_BARRIER: return "BARRIER";
	}
	return "?";
}

static const char *short_type(u8 t)
{
	switch (t) {
	case RAFT_MSG_APPEND: return "APPEND";
	case RAFT_MSG_APPEND_RESP: return "APPEND_RESP";
	case RAFT_MSG_VOTE: return "VOTE";
	case RAFT_MSG_VOTE_RESP: return "VOTE_RESP";
	case RAFT_MSG_PREVOTE: return "PREVOTE";
	case RAFT_MSG_PREVOTE_RESP: return "PREVOTE_RESP";
	case RAFT_MSG_HEARTBEAT: return "HEARTBEAT";
	case RAFT_MSG_HEARTBEAT_RESP: return "HEARTBEAT_RESP";
	case RAFT_MSG_SNAPSHOT: return "SNAPSHOT";
	case RAFT_MSG_TIMEOUT_NOW: return "TIMEOUT_NOW";
	}
	return "?";
}

static const char *conf_op_name(u64 op)
{
	switch (op) {
	case RAFT_CONF_ADD_LEARNER: return "add-learner";
	case RAFT_CONF_PROMOTE: return "promote";
	case RAFT_CONF_REMOVE: return "remove";
	case RAFT_CONF_DEMOTE: return "demote";
	}
	return "?";
}

/* Message fields in the interaction-script style. */
void sim_format_msg(char *buf, size_t len, const struct raft_msg *m)
{
	int k = snprintf(buf, len, "%llu->%llu %s term=%llu", ULL(m->from),
			 ULL(m->to), short_type(m->type), ULL(m->term));

#define ADD(...) do { if (k >= 0 && (size_t)k < len) \
		k += snprintf(buf + k, len - k, __VA_ARGS__); } while (0)
	switch (m->type) {
	case RAFT_MSG_APPEND:
		ADD(" index=%llu log_term=%llu commit=%llu", ULL(m->index),
		    ULL(m->log_term), ULL(m->commit));
		ADD(" entries=[");
		for (u32 i = 0; i < m->n_entries; i++) {
			const struct raft_entry *e = &m->entries[i];

			ADD("%s%llu/%llu %s", i ? " " : "", ULL(e->term),
			    ULL(e->index), sim_entry_type_name(e->type));
			if (e->type == RAFT_ENTRY_NORMAL) {
				u64 b, w;

				sim_payload_decode(e->payload, &b, &w);
				ADD(" b%llu=w%llu", ULL(b), ULL(w));
			} else if (e->type == RAFT_ENTRY_CONF) {
				ADD(" %s %llu", conf_op_name(e->cc.op),
				    ULL(e->cc.id));
			}
		}
		ADD("]");
		break;
	case RAFT_MSG_APPEND_RESP:
		if (m->reject)
			ADD(" reject index=%llu hint=%llu/%llu",
			    ULL(m->index), ULL(m->hint_term),
			    ULL(m->hint_index));
		else
			ADD(" index=%llu", ULL(m->index));
		break;
	case RAFT_MSG_VOTE:
	case RAFT_MSG_PREVOTE:
		ADD(" last=%llu/%llu%s", ULL(m->log_term), ULL(m->index),
		    m->flags & RAFT_MSGF_TRANSFER ? " transfer" : "");
		break;
	case RAFT_MSG_VOTE_RESP:
	case RAFT_MSG_PREVOTE_RESP:
		ADD(" %s", m->reject ? "reject" : "grant");
		break;
	case RAFT_MSG_HEARTBEAT:
		ADD(" commit=%llu", ULL(m->commit));
		if (m->context)
			ADD(" ctx=%llu", ULL(m->context));
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		if (m->context)
			ADD(" ctx=%llu", ULL(m->context));
		break;
	case RAFT_MSG_SNAPSHOT:
		ADD(" snap=%llu/%llu voters=(", ULL(m->snap.term),
		    ULL(m->snap.index));
		for (u32 i = 0, f = 0; i < m->snap.conf.n; i++)
			if (m->snap.conf.nodes[i].role == RAFT_VOTER)
				ADD("%s%llu", f++ ? "," : "",
				    ULL(m->snap.conf.nodes[i].id));
		ADD(")");
		break;
	default:
		break;
	}
#undef ADD
}

static bool noise(const struct sim_tr_ev *e)
{
	if (e->kind == TR_TICK)
		return true;
	if (e->kind >= TR_SEND && e->kind <= TR_DUP)
		return e->mtype == RAFT_MSG_HEARTBEAT ||
		       e->mtype == RAFT_MSG_HEARTBEAT_RESP;
	return false;
}

static void format_ev(char *buf, size_t len, const struct sim_tr_ev *e)
{
	int k = snprintf(buf, len, "%5llu.%06llu ", ULL(e->t / 1000000),
			 ULL(e->t % 1000000));

#define ADD(...) do { if (k >= 0 && (size_t)k < len) \
		k += snprintf(buf + k, len - k, __VA_ARGS__); } while (0)
	switch (e->kind) {
	case TR_SEND:
	case TR_DELIVER:
	case TR_DROP:
	case TR_DUP:
		ADD("%-7s %u->%u %s term=%llu", e->kind == TR_SEND ? "send" :
		    e->kind == TR_DELIVER ? "deliver" :
		    e->kind == TR_DROP ? "drop" : "dup", e->node, e->peer,
		    short_type(e->mtype), ULL(e->a));
		if (e->mtype == RAFT_MSG_APPEND)
			ADD(" index=%llu log_term=%llu commit=%llu n=%llu",
			    ULL(e->b), ULL(e->c), ULL(e->d),
			    ULL(e->e & 0xffff));
		else if (e->mtype == RAFT_MSG_APPEND_RESP)
			ADD(" index=%llu%s", ULL(e->b),
			    e->flag ? " reject" : "");
		else if (e->mtype == RAFT_MSG_VOTE ||
			 e->mtype == RAFT_MSG_PREVOTE)
			ADD(" last=%llu/%llu", ULL(e->c), ULL(e->b));
		else if (e->mtype == RAFT_MSG_VOTE_RESP ||
			 e->mtype == RAFT_MSG_PREVOTE_RESP)
			ADD(" %s", e->flag ? "reject" : "grant");
		else if (e->mtype == RAFT_MSG_SNAPSHOT)
			ADD(" snap=%llu", ULL(e->e >> 16));
		else if (e->mtype == RAFT_MSG_HEARTBEAT)
			ADD(" commit=%llu", ULL(e->d));
		break;
	case TR_TICK:
		ADD("tick    %u", e->node);
		break;
	case TR_CRASH:
		ADD("crash   %u (durable log to %llu, in memory to %llu%s)",
		    e->node, ULL(e->b), ULL(e->c),
		    e->flag ? ", a write in flight lost" : "");
		break;
	case TR_RESTART:
		ADD("restart %u from disk: term=%llu log to %llu snapshot %llu",
		    e->node, ULL(e->b), ULL(e->c), ULL(e->d));
		break;
	case TR_STOP:
		ADD("stop    %u (removed)", e->node);
		break;
	case TR_PERSIST:
		if (e->flag == 2) {
			ADD("torn    %u: %llu entries of the interrupted write reached the disk (log to %llu)",
			    e->node, ULL(e->a), ULL(e->e));
			break;
		}
		ADD("persist %u", e->node);
		if (e->b)
			ADD(" entries %llu..%llu", ULL(e->a),
			    ULL(e->a + e->b - 1));
		if (e->peer)
			ADD(" hs term=%llu vote=%llu", ULL(e->c), ULL(e->d));
		ADD("%s -> durable to %llu", e->flag ? " snapshot" : "",
		    ULL(e->e));
		break;
	case TR_PERSIST_FAIL:
		ADD("persist %u FAILED (entries %llu+%llu)", e->node,
		    ULL(e->a), ULL(e->b));
		break;
	case TR_ROLE:
		ADD("role    %u %s term=%llu leader=%llu commit=%llu last=%llu",
		    e->node, raft_role_name(e->flag), ULL(e->a), ULL(e->b),
		    ULL(e->c), ULL(e->d));
		break;
	case TR_PROPOSE:
		ADD("propose %u w%llu+%llu block %llu -> %d", e->node,
		    ULL(e->a), ULL(e->b), ULL(e->c), e->flag);
		break;
	case TR_ACK:
		ADD("ack     %u w%llu block %llu at %llu/%llu", e->node,
		    ULL(e->a), ULL(e->b), ULL(e->d), ULL(e->c));
		break;
	case TR_READ:
		ADD("read    %u ctx=%llu block %llu (needs index >= %llu) -> %d",
		    e->node, ULL(e->a), ULL(e->b), ULL(e->c), e->flag);
		break;
	case TR_READ_OK:
		ADD("read-ok %u ctx=%llu block %llu at read index %llu: write of %llu (needs >= %llu)",
		    e->node, ULL(e->a), ULL(e->b), ULL(e->c), ULL(e->d),
		    ULL(e->e));
		break;
	case TR_CONF:
		ADD("conf    %u %s %u -> %d", e->node, conf_op_name(e->a),
		    e->peer, e->flag);
		break;
	case TR_TRANSFER:
		ADD("transfer %u -> %u: %d", e->node, e->peer, e->flag);
		break;
	case TR_COMPACT:
		ADD("compact %u at %llu/%llu -> %d", e->node, ULL(e->a),
		    ULL(e->b), e->flag);
		break;
	case TR_PARTITION:
		ADD("net     %s", e->flag == 1 ? "partition" :
		    e->flag == 2 ? "asymmetric cut" :
		    e->flag == 3 ? "partial cut" : "change");
		for (int i = 1; i <= SIM_MAX_NODES; i++)
			if (e->a & (1ULL << i))
				ADD(" %d", i);
		ADD(" |");
		for (int i = 1; i <= SIM_MAX_NODES; i++)
			if (e->b & (1ULL << i))
				ADD(" %d", i);
		break;
	case TR_HEAL:
		ADD("net     heal");
		break;
	case TR_APPLY_SNAP:
		ADD("install %u snapshot %llu/%llu", e->node, ULL(e->a),
		    ULL(e->b));
		break;
	case TR_STALL:
		ADD("stall   %u for %llu us%s", e->node, ULL(e->a),
		    e->flag ? ", cut off from the others' messages" : "");
		break;
	case TR_NOTE:
		if (e->peer == 1)
			ADD("revive  %u (stopped, but still in the leader's configuration)",
			    e->node);
		else
			ADD("INVARIANT BROKEN");
		break;
	default:
		ADD("event %u", e->kind);
	}
#undef ADD
}

/* Print the last `last` events (all kept when 0); f NULL = c->log, last
 * event only.
 */
void sim_trace_dump(struct sim_cluster *c, FILE *f, u32 last)
{
	char buf[512];
	u64 from;

	if (!f) {
		format_ev(buf, sizeof(buf),
			  &c->tr.ev[(c->tr.n - 1) % SIM_TRACE_LEN]);
		fprintf(c->log, "%s\n", buf);
		return;
	}
	/* the last `last` significant events: ticks and heartbeats are
	 * only counted (-v shows everything)
	 */
	if (!last || last > SIM_TRACE_LEN)
		last = SIM_TRACE_LEN;
	from = c->tr.n > SIM_TRACE_LEN ? c->tr.n - SIM_TRACE_LEN : 0;
	u64 i = c->tr.n, shown = 0;

	while (i > from && shown < last) {
		const struct sim_tr_ev *e = &c->tr.ev[--i % SIM_TRACE_LEN];

		if (!noise(e))
			shown++;
	}
	u64 quiet = 0;

	for (; i < c->tr.n; i++) {
		const struct sim_tr_ev *e = &c->tr.ev[i % SIM_TRACE_LEN];

		if (noise(e)) {
			quiet++;
			continue;
		}
		if (quiet)
			fprintf(f, "#  %*s(%llu ticks/heartbeats)\n", 15, "",
				ULL(quiet));
		quiet = 0;
		format_ev(buf, sizeof(buf), e);
		fprintf(f, "#  %s\n", buf);
	}
}

void sim_dump_nodes(struct sim_cluster *c, FILE *f)
{
	for (raft_id id = 1; id <= c->max_id; id++) {
		struct sim_node *n = &c->nodes[id];
		struct raft_status st;
		char conf[256];
		int k = 0;

		if (!n->exists)
			continue;
		if (!n->up) {
			fprintf(f, "#   node %llu: %s; disk term=%llu vote=%llu log %llu..%llu\n",
				ULL(id), n->stopped ? "stopped" : "down",
				ULL(n->dhs.term), ULL(n->dhs.vote),
				ULL(n->dlog.base), ULL(sim_log_last(&n->dlog)));
			continue;
		}
		raft_get_status(n->r, &st);
		conf[0] = 0;
		for (u32 i = 0; i < st.conf.n && k < 200; i++)
			k += snprintf(conf + k, sizeof(conf) - k, "%s%llu%s",
				      i ? "," : "", ULL(st.conf.nodes[i].id),
				      st.conf.nodes[i].role == RAFT_LEARNER ?
				      "L" : "");
		fprintf(f, "#   node %llu: %s term=%llu vote=%llu leader=%llu commit=%llu applied=%llu log %llu..%llu persisted=%llu conf=(%s) disk log to %llu%s\n",
			ULL(id), raft_role_name(st.role), ULL(st.term),
			ULL(st.vote), ULL(st.leader), ULL(st.commit),
			ULL(n->sm.applied), ULL(st.first_index),
			ULL(st.last_index), ULL(st.persisted_index), conf,
			ULL(sim_log_last(&n->dlog)),
			n->rd_disk ? " (write in flight)" : "");
		for (u32 i = 0; i < st.n_progress; i++) {
			const struct raft_progress_info *p = &st.progress[i];

			fprintf(f, "#     progress %llu: state=%u match=%llu next=%llu active=%d\n",
				ULL(p->id), p->state, ULL(p->match),
				ULL(p->next), p->recent_active);
		}
	}
}
