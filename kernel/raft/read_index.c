// SPDX-License-Identifier: GPL-2.0
/*
 * read_index.c - linearizable reads without writing the log (Raft
 * dissertation 6.4): ReadIndex confirms leadership with a heartbeat round;
 * lease reads skip the round while a quorum acknowledged a heartbeat sent
 * recently enough that no other leader can exist yet.
 *
 * Every heartbeat round has a sequence number carried in the message
 * context; a follower's answer to round s confirms every read registered
 * before round s was sent.
 */
#include "raft_int.h"

static struct raft_read_req *reqs(struct raft *r)
{
	return r->reads.v;
}

static void emit(struct raft *r, u64 ctx, raft_index index)
{
	struct raft_read_state *rs;

	if (raft_vec_reserve(&r->read_states, 1, sizeof(*rs))) {
		raft_logf(RAFT_LOG_WARN, "raft %llu: read state dropped (no memory)",
			  (unsigned long long)r->id);
		return;
	}
	rs = (struct raft_read_state *)r->read_states.v + r->read_states.n++;
	rs->context = ctx;
	rs->index = index;
}

void raft_reads_reset(struct raft *r)
{
	r->reads.n = 0;
}

static bool confirmed(struct raft *r, u64 seq)
{
	u32 i, acks = 0, nv = raft_conf_n_voters(&r->conf);

	for (i = 0; i < RAFT_MAX_NODES; i++) {
		const struct raft_progress *pr = &r->prs[i];

		if (!pr->used || !pr->voter)
			continue;
		if (pr->id == r->id || pr->hb_acked >= seq)
			acks++;
	}
	return acks >= nv / 2 + 1;
}

/* Release, in order, the reads a quorum has confirmed. */
void raft_reads_on_ack(struct raft *r)
{
	u32 done = 0;

	while (done < r->reads.n && reqs(r)[done].index &&
	       confirmed(r, reqs(r)[done].seq)) {
		emit(r, reqs(r)[done].ctx, reqs(r)[done].index);
		done++;
	}
	if (!done)
		return;
	memmove(reqs(r), reqs(r) + done,
		(r->reads.n - done) * sizeof(struct raft_read_req));
	r->reads.n -= done;
}

/* The leader committed an entry of its term: waiting reads can go. */
void raft_reads_on_commit(struct raft *r)
{
	bool any = false;
	u32 i;

	if (r->commit < r->term_start)
		return;
	for (i = 0; i < r->reads.n; i++)
		if (!reqs(r)[i].index)
			any = true;
	if (!any)
		return;
	raft_bcast_heartbeat(r);
	for (i = 0; i < r->reads.n; i++)
		if (!reqs(r)[i].index) {
			reqs(r)[i].index = r->commit;
			reqs(r)[i].seq = r->hb_seq;
		}
	raft_reads_on_ack(r);
}

/* The caller's options allow lease reads (see raft_set_now()). */
bool raft_lease_timing_ok(u64 tick_ns, bool lease_read, bool check_quorum)
{
	if (!lease_read)
		return true;
	return check_quorum && tick_ns && tick_ns <= RAFT_TICK_NS_MAX;
}

/* Drift and first-tick margin: election timeout / 8 + one tick. */
u64 raft_lease_margin(const struct raft *r)
{
	u64 timeout = (u64)r->opts.election_ticks * r->opts.tick_ns;

	return timeout / 8 + r->opts.tick_ns;
}

/* How long a heartbeat answer lets a lease run (see raft_set_now()). */
static u64 lease_len(const struct raft *r)
{
	return (u64)r->opts.election_ticks * r->opts.tick_ns -
		raft_lease_margin(r);
}

/* Forget every lease (they are renewed by a round sent from now on). */
void raft_lease_drop(struct raft *r)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_NODES; i++)
		r->prs[i].lease_valid = false;
}

void raft_set_now(struct raft *r, u64 now)
{
	bool stall;

	if (!r)
		return;
	if (!r->lease_epoch) {
		r->lease_epoch = 1;
		r->now = now;
		return;
	}
	stall = now < r->now || now - r->now > raft_lease_margin(r);
	if (stall) {
		if (r->role == RAFT_LEADER && r->opts.lease_read)
			raft_logf(RAFT_LOG_INFO,
				  "raft %llu: %s: leases dropped",
				  (unsigned long long)r->id,
				  now < r->now ? "clock went back" : "stalled");
		raft_lease_drop(r);
		/* answers to rounds sent before the stall make no lease */
		r->lease_epoch++;
	}
	if (now > r->now)
		r->now = now;
}

bool raft_lease_valid(struct raft *r)
{
	u32 i, ok = 0, nv = raft_conf_n_voters(&r->conf);
	u64 len;

	if (!r->opts.lease_read || !r->opts.check_quorum || r->lease_off ||
	    !r->lease_epoch || !r->opts.tick_ns)
		return false;
	len = lease_len(r);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		const struct raft_progress *pr = &r->prs[i];

		if (!pr->used || !pr->voter)
			continue;
		if (pr->id == r->id ||
		    (pr->lease_valid && r->now < pr->lease_sent + len))
			ok++;
	}
	return ok >= nv / 2 + 1;
}

/*
 * A leader may answer a read at its commit index now, without a round:
 * it committed an entry of its term (so its commit index covers every
 * entry any earlier leader committed) and it holds a lease.
 */
static bool lease_answers(struct raft *r)
{
	return r->role == RAFT_LEADER && r->commit >= r->term_start &&
		raft_lease_valid(r);
}

bool raft_read_lease(struct raft *r, raft_index *index)
{
	if (!r || !index || !lease_answers(r))
		return false;
	*index = r->commit;
	return true;
}

/*
 * When the lease ends: the time from which fewer than a quorum of voter
 * leases (this leader's own vote never ends) would be running, the
 * quorum-th largest of their ends. Same rule as raft_lease_valid().
 */
static u64 lease_end(const struct raft *r)
{
	u64 ends[RAFT_MAX_NODES], len, t;
	u32 i, j, n = 0, nv = raft_conf_n_voters(&r->conf);

	len = lease_len(r);
	for (i = 0; i < RAFT_MAX_NODES; i++) {
		const struct raft_progress *pr = &r->prs[i];

		if (!pr->used || !pr->voter)
			continue;
		if (pr->id == r->id)
			t = ~0ULL;
		else if (pr->lease_valid)
			t = pr->lease_sent + len;
		else
			t = 0;
		/* insertion sort, largest first */
		for (j = n; j > 0 && ends[j - 1] < t; j--)
			ends[j] = ends[j - 1];
		ends[j] = t;
		n++;
	}
	if (!nv || n < nv / 2 + 1)
		return 0;
	return ends[nv / 2];
}

bool raft_read_lease_end(struct raft *r, struct raft_lease_info *out)
{
	u64 end;

	if (!r || !out)
		return false;
	memset(out, 0, sizeof(*out));
	if (!lease_answers(r))
		return false;
	end = lease_end(r);
	if (end <= r->now)
		return false;
	out->end = end;
	out->floor = r->commit;
	out->term = r->term;
	out->at = r->now;
	out->stall = raft_lease_margin(r);
	return true;
}

int raft_read_index(struct raft *r, u64 context)
{
	struct raft_read_req *q;

	if (!r)
		return RAFT_EINVAL;
	if (r->role != RAFT_LEADER)
		return RAFT_ENOTLEADER;
	if (lease_answers(r)) {
		emit(r, context, r->commit);
		return 0;
	}
	if (raft_vec_reserve(&r->reads, 1, sizeof(*q)))
		return RAFT_ENOMEM;
	q = reqs(r) + r->reads.n++;
	q->ctx = context;
	q->index = 0;
	q->seq = 0;
	if (r->commit >= r->term_start) {
		q->index = r->commit;
		if (raft_conf_n_voters(&r->conf) > 1 || !raft_promotable(r))
			raft_bcast_heartbeat(r);
		q->seq = r->hb_seq;
		raft_reads_on_ack(r);
	}
	return 0;
}
