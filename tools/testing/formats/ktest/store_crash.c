// SPDX-License-Identifier: GPL-2.0
/*
 * store_crash.c - power-cut test of the log store (scenario crash_store).
 *
 * mode=write: format the disk and append, from a kernel thread, batches
 * of entries (random sizes, now and then replacing a suffix with a newer
 * term as Raft does, compacting when the ring is full) until the VM is
 * killed. After each append returns, "rbst: acked INDEX TERM" is logged:
 * the log up to INDEX, whose entry INDEX has term TERM, is durable.
 * Before an append that replaces a suffix, "rbst: truncate INDEX TERM"
 * is logged: from then on, only the log up to INDEX (entry INDEX of term
 * TERM) is promised; the entries after it may be gone.
 *
 * With lw_mark=NAME (the disk is the dm-log-writes device NAME, scenario
 * crash_replay), the same promises also go into the write log as marks,
 * through "dmsetup message NAME 0 mark TEXT" run before the next write:
 * "formatted" once the format returned, then "acked:INDEX:TERM" and
 * "truncate:INDEX:TERM". A replayer rebuilds the disk at any point of
 * the log and knows which promises were made before it. With appends=N
 * the writer stops after N appends ("rbst: writer finished N appends").
 * Every fourth append is eight 128 KiB entries: the ring wraps sooner,
 * and a torn append can leave any of its records whole.
 *
 * mode=verify min_index=I min_term=T (next boot, same disk): open the
 * store and check the recovered log holds entry I with term T (log
 * matching: hence everything acknowledged before it), that every entry's
 * data is the data written for its (index, term), and that the store
 * accepts appends after the recovered end.
 */
#define pr_fmt(fmt) "rbst: " fmt

#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "raftblk.h"
#include "payload.h"
#include "log_store.h"
#include "store_test.h"

static struct task_struct *writer;
static struct rb_store *wstore;
static const char *lw_name;	/* dm-log-writes device to mark, or NULL */
static u32 max_appends;		/* 0: until stopped */

/* A mark in the write log of lw_name (none without it); one word. */
static __printf(1, 2) int lw_mark(const char *fmt, ...)
{
	char *argv[] = { "/sbin/dmsetup", "message", (char *)lw_name, "0",
			 "mark", NULL, NULL };
	va_list ap;
	char *text;
	int ret;

	if (!lw_name)
		return 0;
	va_start(ap, fmt);
	text = kvasprintf(GFP_KERNEL, fmt, ap);
	va_end(ap);
	if (!text)
		return -ENOMEM;
	argv[5] = text;
	ret = rbst_run(argv);
	if (ret)
		pr_info("# dmsetup message %s 0 mark %s failed: %d\n", lw_name,
			text, ret);
	kfree(text);
	return ret;
}

static u8 pat(raft_index index, raft_term term, u32 i)
{
	return (u8)(index * 131 + term * 17 + i * 7 + (i >> 9));
}

static u32 rnd_state;

static u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static struct raft_payload *make_payload(raft_index index, raft_term term,
					 u32 len, sector_t limit)
{
	struct raft_payload *p = raftblk_payload_alloc(len);
	u8 *buf;
	u32 i;

	if (!p)
		return NULL;
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf) {
		raftblk_payload_put(p);
		return NULL;
	}
	for (i = 0; i < len; i++)
		buf[i] = pat(index, term, i);
	raftblk_payload_copy_in(p, 0, buf, len);
	kfree(buf);
	p->sector = (index * 8) % (limit - 256);
	return p;
}

static int writer_fn(void *arg)
{
	struct rb_store *s = arg;
	sector_t limit = rb_store_data_sectors(s);
	raft_index last = 0, snap = 0;
	raft_term term = 1, terms[16] = { 0 };	/* of the last indexes */
	struct raft_entry *e;
	u32 round = 0, i, n;
	int ret = 0;

	e = kcalloc(8, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	while (!kthread_should_stop() && !ret &&
	       (!max_appends || round < max_appends)) {
		raft_index from = last + 1;
		bool big = round % 4 == 3;

		n = big ? 8 : 1 + rnd() % 8;
		/* now and then a new leader replaces up to 3 entries */
		if (round % 10 == 9 && last > snap + 4) {
			from = last - rnd() % 3;
			term++;
			pr_info("truncate %llu %llu\n",
				(unsigned long long)from - 1,
				(unsigned long long)terms[(from - 1) % 16]);
			ret = lw_mark("truncate:%llu:%llu",
				      (unsigned long long)from - 1,
				      (unsigned long long)terms[(from - 1) % 16]);
			if (ret)
				break;
		}
		for (i = 0; i < n; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].index = from + i;
			e[i].term = term;
			e[i].type = RAFT_ENTRY_NORMAL;
			e[i].payload = make_payload(from + i, term,
						    big ? 256 * 512 :
						    (1 + rnd() % 128) * 512,
						    limit);
			if (!e[i].payload)
				ret = -ENOMEM;
		}
		if (!ret)
			ret = rb_store_append(s, e, n);
		if (ret == -ENOSPC && last > snap + 8) {
			/* compaction stays below any later truncation */
			pr_info("compact %llu\n", (unsigned long long)last - 5);
			ret = rb_store_compact(s, last - 5);
			if (!ret) {
				snap = last - 5;
				ret = rb_store_append(s, e, n);
			}
		}
		for (i = 0; i < n; i++)
			raftblk_payload_put(e[i].payload);
		if (ret)
			break;
		last = from + n - 1;
		for (i = 0; i < n; i++)
			terms[(from + i) % 16] = term;
		pr_info("acked %llu %llu\n", (unsigned long long)last,
			(unsigned long long)term);
		ret = lw_mark("acked:%llu:%llu", (unsigned long long)last,
			      (unsigned long long)term);
		round++;
		cond_resched();
	}
	if (ret)
		pr_info("writer stopped: %d\n", ret);
	else
		pr_info("writer finished %u appends\n", round);
	kfree(e);
	/* wait to be stopped (or killed with the VM) */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return ret;
}

int rbst_crash_write_start(struct block_device *bdev, const char *lw,
			   u32 appends)
{
	u8 uuid[RAFTBLK_UUID_LEN] = "crash-test-uuid";
	u8 addr[RAFT_ADDR_LEN] = "10.0.0.1:7789";
	static struct raft_conf conf;
	struct raftblk_err err = {};
	int ret;

	lw_name = lw && *lw ? lw : NULL;
	max_appends = appends;
	rnd_state = get_random_u32() | 1;
	raft_bootstrap_conf(&conf, 1, addr);
	ret = rb_store_format(bdev, uuid, 1, &conf, &wstore, &err);
	if (!ret)
		ret = lw_mark("formatted");
	if (ret) {
		pr_err("format failed: %d\n", ret);
		rb_store_close(wstore);
		wstore = NULL;
		return ret;
	}
	writer = kthread_run(writer_fn, wstore, "rbst-writer");
	if (IS_ERR(writer)) {
		ret = PTR_ERR(writer);
		writer = NULL;
		rb_store_close(wstore);
		wstore = NULL;
	}
	return ret;
}

void rbst_crash_write_stop(void)
{
	if (writer)
		kthread_stop(writer);
	rb_store_close(wstore);
	writer = NULL;
	wstore = NULL;
}

void rbst_crash_verify(struct block_device *bdev, u64 min_index, u64 term)
{
	static struct raft_restore r;
	struct raftblk_err err = {};
	struct rb_store *s = NULL;
	struct raft_entry e = {};
	raft_index last;
	u32 i, k, bad = 0;
	u8 *buf;
	int ret;

	ret = rb_store_open(bdev, 1, &s, &err);
	if (!rbst_tap(!ret, "open after the power-cut (%d, %s)", ret,
		      err.msg ? err.msg : "-"))
		return;
	rb_store_restore(s, &r);
	last = r.snap.index + r.n_entries;
	rbst_tap(last >= min_index,
		 "recovered log %llu..%llu covers the last acknowledged index %llu",
		 (unsigned long long)r.snap.index + 1,
		 (unsigned long long)last, (unsigned long long)min_index);
	rbst_tap(min_index <= r.snap.index ||
		 (min_index <= last &&
		  r.entries[min_index - r.snap.index - 1].term == term),
		 "entry %llu has the acknowledged term %llu",
		 (unsigned long long)min_index, (unsigned long long)term);
	buf = kmalloc(RAFTBLK_PL_MAX_DATA, GFP_KERNEL);
	for (i = 0; buf && i < r.n_entries; i++) {
		const struct raft_entry *en = &r.entries[i];
		const struct raft_payload *p = en->payload;

		if (!p || raftblk_payload_copy_out(p, 0, buf, p->len)) {
			bad++;
			continue;
		}
		for (k = 0; k < p->len; k++)
			if (buf[k] != pat(en->index, en->term, k)) {
				bad++;
				break;
			}
	}
	rbst_tap(buf && !bad, "all %u recovered entries hold their own data (%u bad)",
		 r.n_entries, bad);
	kfree(buf);
	rb_store_restore_free(&r);

	e.index = last + 1;
	e.term = term + 1;
	e.type = RAFT_ENTRY_NOOP;
	ret = rb_store_append(s, &e, 1);
	rbst_tap(!ret, "append after the recovered end (%d)", ret);
	rb_store_close(s);
}
