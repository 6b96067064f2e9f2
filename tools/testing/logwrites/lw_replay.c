// SPDX-License-Identifier: GPL-2.0
/*
 * lw_replay - rebuild a disk from a dm-log-writes log at crash points.
 *
 * dm-log-writes (Documentation/admin-guide/device-mapper/log-writes.rst
 * in the kernel sources) logs every write that reached stable storage,
 * in the order it did: a plain write is logged only when the next flush
 * completes (just before the flush entry), a FUA write when it completes.
 * Marks ("dmsetup message DEV 0 mark TEXT") go in when they are sent.
 * The log: a superblock at offset 0 (magic, version, nr_entries,
 * sectorsize), then per entry one sectorsize block with its header
 * (sector, nr_sectors, flags, data_len; a mark's text follows the
 * header), then nr_sectors sectors of data (none for a discard or mark).
 * Sectors are in units of sectorsize.
 *
 * The crash states replayed (see tools/testing/vm/README.md):
 *
 *  - one per durability point q (a FLUSH or FUA entry; q = 0 is the
 *    empty disk): every entry up to q applied, nothing after it: every
 *    write not yet flushed is lost. The promises a state must keep are
 *    the marks logged before the next durability point: those were made
 *    before it completed, so a crash just before then leaves this state;
 *  - random ones: the state of point q plus a random subset of the data
 *    entries up to the next point (the plain writes flushed by it, or
 *    the FUA write itself), each whole or torn at sector granularity (a
 *    prefix or a random set of its sectors): unflushed writes dropped,
 *    or kept out of order. The same promises as point q.
 *
 * Usage:
 *   lw_replay LOG info                    counts, one line
 *   lw_replay LOG list                    one line per entry
 *   lw_replay LOG run DEV --check CMD [--seed S] [--random N] [--only K]
 *       DEV is the zeroed disk the log was taken of (it is written: the
 *       base state, advanced point by point). For each state, CMD runs
 *       (sh -c) with LW_STATE (number), LW_KIND (point|random), LW_DESC,
 *       LW_MARK (the last mark a state must keep, "" if none),
 *       LW_PARTIAL ("" for a point state, else the arguments of
 *       `partial` after DEV: what CMD applies over the base, on a copy
 *       of DEV) and LW_SEED; exit 0 means the state passed. Prints one
 *       line per state and a summary; exits 1 if any state failed.
 *   lw_replay LOG partial DEV FROM TO SEED
 *       apply the random subset SEED picks of entries FROM..TO (log
 *       indexes, 1-based, inclusive) to DEV, saying what it did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fs.h>

#define LW_MAGIC 0x6a736677736872ULL
#define LW_VERSION 1ULL
#define F_FLUSH (1u << 0)
#define F_FUA (1u << 1)
#define F_DISCARD (1u << 2)
#define F_MARK (1u << 3)
#define F_META (1u << 4)
#define F_KNOWN (F_FLUSH | F_FUA | F_DISCARD | F_MARK | F_META)
#define END_MARK "dm-log-writes-end"

struct entry {
	uint64_t off;		/* byte offset of the header in the log */
	uint64_t sector;	/* in sectorsize units */
	uint64_t nr;		/* sectors */
	uint32_t flags;
	char *mark;		/* NULL unless F_MARK */
};

static int log_fd = -1;
static uint32_t secsz;
static uint64_t n_ents;
static struct entry *ents;	/* ents[1..n_ents] */
static const char *log_path;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lw_replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void xpread(int fd, void *buf, size_t len, uint64_t off,
		   const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done,
				  off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("reading %s at %" PRIu64 ": %s", what, off + done,
			    strerror(errno));
		if (r == 0)
			die("%s ends at %" PRIu64 " (truncated log?)", what,
			    off + done);
		done += r;
	}
}

static void xpwrite(int fd, const void *buf, size_t len, uint64_t off,
		    const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done,
				   off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("writing %s at %" PRIu64 ": %s", what, off + done,
			    r < 0 ? strerror(errno) : "short write");
		done += r;
	}
}

static uint64_t fd_size(int fd, const char *what)
{
	struct stat st;
	uint64_t sz;

	if (fstat(fd, &st))
		die("%s: %s", what, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &sz))
			die("%s: BLKGETSIZE64: %s", what, strerror(errno));
		return sz;
	}
	return st.st_size;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* Read the superblock and every entry header (not the data). */
static void load_log(const char *path)
{
	unsigned char sb[32], *hdr;
	uint64_t size, off, i, ver, dlen;

	log_path = path;
	log_fd = open(path, O_RDONLY);
	if (log_fd < 0)
		die("cannot open log %s: %s", path, strerror(errno));
	size = fd_size(log_fd, path);
	if (size < sizeof(sb))
		die("%s: too small for a dm-log-writes log", path);
	xpread(log_fd, sb, sizeof(sb), 0, "the log superblock");
	if (le64(sb) != LW_MAGIC)
		die("%s: not a dm-log-writes log (magic %#" PRIx64 ")", path,
		    le64(sb));
	ver = le64(sb + 8);
	if (ver != LW_VERSION)
		die("%s: log version %" PRIu64 ", only %llu is known", path,
		    ver, LW_VERSION);
	n_ents = le64(sb + 16);
	secsz = (uint32_t)sb[24] | (uint32_t)sb[25] << 8 |
		(uint32_t)sb[26] << 16 | (uint32_t)sb[27] << 24;
	if (secsz < 512 || secsz > 65536 || (secsz & (secsz - 1)))
		die("%s: bad sector size %u", path, secsz);
	if (n_ents > size / secsz)
		die("%s: %" PRIu64 " entries cannot fit in %" PRIu64 " bytes",
		    path, n_ents, size);
	ents = xmalloc((n_ents + 1) * sizeof(*ents));
	hdr = xmalloc(secsz);
	off = secsz;
	for (i = 1; i <= n_ents; i++) {
		struct entry *e = &ents[i];

		if (off + secsz > size)
			die("%s: entry %" PRIu64 " at %" PRIu64
			    " is past the end (%" PRIu64 ")", path, i, off, size);
		xpread(log_fd, hdr, secsz, off, "an entry header");
		e->off = off;
		e->sector = le64(hdr);
		e->nr = le64(hdr + 8);
		e->flags = (uint32_t)le64(hdr + 16);
		dlen = le64(hdr + 24);
		if (le64(hdr + 16) & ~(uint64_t)F_KNOWN)
			die("%s: entry %" PRIu64 ": unknown flags %#" PRIx64,
			    path, i, le64(hdr + 16));
		if (e->flags & F_MARK) {
			if (dlen >= secsz - 32 || e->nr)
				die("%s: entry %" PRIu64 ": bad mark (%" PRIu64
				    " bytes, %" PRIu64 " sectors)", path, i,
				    dlen, e->nr);
			e->mark = xmalloc(dlen + 1);
			memcpy(e->mark, hdr + 32, dlen);
		} else if (dlen) {
			die("%s: entry %" PRIu64 ": inline data (%" PRIu64
			    " bytes) is not supported", path, i, dlen);
		}
		off += secsz;
		if (!(e->flags & (F_DISCARD | F_MARK))) {
			if (e->nr > (size - off) / secsz)
				die("%s: entry %" PRIu64 ": %" PRIu64
				    " sectors of data past the end", path, i,
				    e->nr);
			off += e->nr * secsz;
		}
	}
	free(hdr);
}

static bool is_point(const struct entry *e)
{
	return e->flags & (F_FLUSH | F_FUA);
}

static bool is_data(const struct entry *e)
{
	return !(e->flags & F_MARK) && e->nr;
}

static bool is_promise(const struct entry *e)
{
	return (e->flags & F_MARK) && strcmp(e->mark, END_MARK);
}

static const char *flag_str(uint32_t f)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s%s%s",
		 f & F_MARK ? "mark" : f & F_DISCARD ? "discard" :
		 "write", f & F_FLUSH ? "+flush" : "", f & F_FUA ? "+fua" : "",
		 f & F_META ? "+meta" : "", "");
	return buf;
}

/* xorshift64*, seeded; the same seed gives the same states everywhere. */
static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static void seed_rng(uint64_t s)
{
	rng = s * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
	if (!rng)
		rng = 1;
	rnd();
}

static int dev_fd = -1;
static uint64_t dev_size;
static unsigned char *dbuf;
static size_t dbuf_len;

static void open_dev(const char *path)
{
	dev_fd = open(path, O_RDWR);
	if (dev_fd < 0)
		die("cannot open %s: %s", path, strerror(errno));
	dev_size = fd_size(dev_fd, path);
}

static void close_dev(const char *path)
{
	if (fsync(dev_fd))
		die("fsync %s: %s", path, strerror(errno));
	close(dev_fd);
	dev_fd = -1;
}

static void check_range(uint64_t i, const struct entry *e)
{
	if (e->sector > dev_size / secsz ||
	    e->nr > dev_size / secsz - e->sector)
		die("entry %" PRIu64 " (%" PRIu64 "+%" PRIu64
		    " sectors) is beyond the target (%" PRIu64 " bytes)", i,
		    e->sector, e->nr, dev_size);
}

/* Sectors [from, from + n) of entry i's data onto the target. */
static void put_sectors(uint64_t i, uint64_t from, uint64_t n)
{
	const struct entry *e = &ents[i];
	size_t len = n * secsz;

	if (len > dbuf_len) {
		free(dbuf);
		dbuf = xmalloc(len);
		dbuf_len = len;
	}
	if (e->flags & F_DISCARD)
		memset(dbuf, 0, len);	/* a discard is replayed as zeroes */
	else
		xpread(log_fd, dbuf, len, e->off + secsz + from * secsz,
		       "entry data");
	xpwrite(dev_fd, dbuf, len, (e->sector + from) * secsz, "the target");
}

static void apply_whole(uint64_t from, uint64_t to)
{
	uint64_t i;

	for (i = from; i <= to; i++) {
		if (!is_data(&ents[i]))
			continue;
		check_range(i, &ents[i]);
		put_sectors(i, 0, ents[i].nr);
	}
}

/* The random subset of from..to picked by seed, applied; said on out. */
static void apply_partial(uint64_t from, uint64_t to, uint64_t seed,
			  FILE *out)
{
	uint64_t i, s, k, n;

	seed_rng(seed);
	for (i = from; i <= to; i++) {
		const struct entry *e = &ents[i];

		if (!is_data(e))
			continue;
		check_range(i, e);
		fprintf(out, "entry %" PRIu64 " (%s %" PRIu64 "@%" PRIu64 "): ",
			i, flag_str(e->flags), e->nr, e->sector);
		switch (rnd() % 4) {
		case 0:
		case 1:
			fprintf(out, "dropped\n");
			break;
		case 2:
			put_sectors(i, 0, e->nr);
			fprintf(out, "whole\n");
			break;
		default:
			if (e->nr < 2) {
				fprintf(out, "dropped (one sector: not torn)\n");
				break;
			}
			if (rnd() % 2) {
				k = 1 + rnd() % (e->nr - 1);
				put_sectors(i, 0, k);
				fprintf(out, "torn: first %" PRIu64 " of %" PRIu64
					" sectors\n", k, e->nr);
				break;
			}
			for (s = 0, n = 0; s < e->nr; s++)
				if (rnd() % 2) {
					put_sectors(i, s, 1);
					n++;
				}
			fprintf(out, "torn: %" PRIu64 " of %" PRIu64
				" sectors at random\n", n, e->nr);
		}
	}
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die("bad %s '%s'", what, s);
	return v;
}

static void cmd_info(void)
{
	uint64_t i, w = 0, d = 0, fl = 0, fua = 0, m = 0, bytes = 0;

	for (i = 1; i <= n_ents; i++) {
		const struct entry *e = &ents[i];

		if (e->flags & F_MARK)
			m++;
		else if (e->flags & F_DISCARD)
			d++;
		else if (e->nr) {
			w++;
			bytes += e->nr * secsz;
		}
		if (e->flags & F_FLUSH)
			fl++;
		if (e->flags & F_FUA)
			fua++;
	}
	printf("%" PRIu64 " entries: %" PRIu64 " writes (%" PRIu64
	       " bytes), %" PRIu64 " discards, %" PRIu64 " flushes, %" PRIu64
	       " FUA, %" PRIu64 " marks; sector size %u\n", n_ents, w, bytes,
	       d, fl, fua, m, secsz);
}

static void cmd_list(void)
{
	uint64_t i;

	for (i = 1; i <= n_ents; i++) {
		const struct entry *e = &ents[i];

		printf("%" PRIu64 " off %" PRIu64 " %s", i, e->off,
		       flag_str(e->flags));
		if (e->flags & F_MARK)
			printf(" '%s'\n", e->mark);
		else
			printf(" %" PRIu64 "@%" PRIu64 "\n", e->nr, e->sector);
	}
}

struct state {
	uint64_t base;		/* entries 1..base applied */
	uint64_t from, to;	/* random subset of from..to over it */
	uint64_t seed;		/* 0: a point state */
	const char *mark;	/* last promise to keep */
};

static int cmp_state(const void *a, const void *b)
{
	const struct state *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	if (!x->seed != !y->seed)	/* the point state first */
		return x->seed ? 1 : -1;
	return 0;
}

static int run_check(const char *cmd, uint64_t k, const struct state *st,
		     const char *desc, const char *partial)
{
	char num[32], seed[32];
	int rc;

	snprintf(num, sizeof(num), "%" PRIu64, k);
	snprintf(seed, sizeof(seed), "%" PRIu64, st->seed);
	if (setenv("LW_STATE", num, 1) ||
	    setenv("LW_KIND", st->seed ? "random" : "point", 1) ||
	    setenv("LW_DESC", desc, 1) ||
	    setenv("LW_MARK", st->mark ? st->mark : "", 1) ||
	    setenv("LW_PARTIAL", partial, 1) || setenv("LW_SEED", seed, 1))
		die("setenv: %s", strerror(errno));
	fflush(stdout);
	rc = system(cmd);
	if (rc == -1)
		die("cannot run the check: %s", strerror(errno));
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static int cmd_run(int argc, char **argv)
{
	const char *dev, *check = NULL;
	uint64_t seed = 1, n_random = 0, only = 0, n_points = 0;
	uint64_t i, k, n_st, applied = 0, failed = 0, checked = 0;
	uint64_t *points, n_epochs = 0, *epochs;
	const char **bound_mark;
	struct state *st;
	const char *last = NULL;
	char desc[160], partial[96];
	int a;

	if (argc < 1)
		die("run: which device?");
	dev = argv[0];
	for (a = 1; a < argc; a++) {
		if (a + 1 >= argc)
			die("run: %s needs a value", argv[a]);
		if (!strcmp(argv[a], "--check"))
			check = argv[++a];
		else if (!strcmp(argv[a], "--seed"))
			seed = parse_u64(argv[++a], "seed");
		else if (!strcmp(argv[a], "--random"))
			n_random = parse_u64(argv[++a], "number of random states");
		else if (!strcmp(argv[a], "--only"))
			only = parse_u64(argv[++a], "state number");
		else
			die("run: unknown option '%s'", argv[a]);
	}
	if (!check)
		die("run: --check CMD is required");
	if (n_random > 1000000)
		die("run: at most 1000000 random states");

	/* points[0] = 0 (the empty disk), then every FLUSH/FUA entry */
	points = xmalloc((n_ents + 1) * sizeof(*points));
	bound_mark = xmalloc((n_ents + 2) * sizeof(*bound_mark));
	for (i = 1; i <= n_ents; i++)
		if (is_point(&ents[i]))
			points[++n_points] = i;
	/* the promises of point j: the last mark before point j + 1 */
	for (i = 1, k = 0; k <= n_points; k++) {
		uint64_t end = k < n_points ? points[k + 1] : n_ents + 1;

		for (; i < end; i++)
			if (is_promise(&ents[i]))
				last = ents[i].mark;
		bound_mark[k] = last;
	}
	/* epochs with data to drop or tear: point k to point k + 1 */
	epochs = xmalloc((n_points + 1) * sizeof(*epochs));
	for (k = 0; k <= n_points; k++) {
		uint64_t end = k < n_points ? points[k + 1] : n_ents;

		for (i = points[k] + 1; i <= end; i++)
			if (is_data(&ents[i])) {
				epochs[n_epochs++] = k;
				break;
			}
	}
	if (!n_epochs)
		n_random = 0;
	n_st = n_points + 1 + n_random;
	st = xmalloc(n_st * sizeof(*st));
	for (k = 0; k <= n_points; k++)
		st[k] = (struct state){ .base = points[k],
					.mark = bound_mark[k] };
	seed_rng(seed);
	for (i = 0; i < n_random; i++) {
		uint64_t e = epochs[rnd() % n_epochs];

		st[n_points + 1 + i] = (struct state){
			.base = points[e], .from = points[e] + 1,
			.to = e < n_points ? points[e + 1] : n_ents,
			.seed = rnd() | 1, .mark = bound_mark[e] };
	}
	qsort(st, n_st, sizeof(*st), cmp_state);
	printf("lw_replay: %" PRIu64 " states: %" PRIu64
	       " at flush/FUA points (and the empty disk), %" PRIu64
	       " random (seed %" PRIu64 ")\n", n_st, n_points + 1, n_random,
	       seed);

	open_dev(dev);
	for (k = 0; k < n_st; k++) {
		int rc;

		if (only && k + 1 != only)
			continue;
		apply_whole(applied + 1, st[k].base);
		applied = st[k].base;
		close_dev(dev);
		if (st[k].seed) {
			snprintf(desc, sizeof(desc),
				 "entries 1..%" PRIu64 " and a random part of %"
				 PRIu64 "..%" PRIu64 " (seed %" PRIu64 ")",
				 st[k].base, st[k].from, st[k].to, st[k].seed);
			snprintf(partial, sizeof(partial),
				 "%" PRIu64 " %" PRIu64 " %" PRIu64, st[k].from,
				 st[k].to, st[k].seed);
		} else {
			snprintf(desc, sizeof(desc), "entries 1..%" PRIu64 " (%s)",
				 st[k].base, st[k].base ?
				 flag_str(ents[st[k].base].flags) : "empty disk");
			partial[0] = 0;
		}
		rc = run_check(check, k + 1, &st[k], desc, partial);
		checked++;
		printf("state %" PRIu64 ": %s, keeps '%s': %s\n", k + 1, desc,
		       st[k].mark ? st[k].mark : "", rc ? "FAILED" : "ok");
		if (rc)
			failed++;
		open_dev(dev);
	}
	close_dev(dev);
	printf("lw_replay: %" PRIu64 " states checked, %" PRIu64
	       " failed (seed %" PRIu64 ", %" PRIu64 " random)\n", checked,
	       failed, seed, n_random);
	free(st);
	free(epochs);
	free(bound_mark);
	free(points);
	return failed ? 1 : 0;
}

static int cmd_partial(int argc, char **argv)
{
	uint64_t from, to, seed;

	if (argc != 4)
		die("partial DEV FROM TO SEED");
	from = parse_u64(argv[1], "first entry");
	to = parse_u64(argv[2], "last entry");
	seed = parse_u64(argv[3], "seed");
	if (!from || from > to || to > n_ents)
		die("partial: entries %" PRIu64 "..%" PRIu64
		    " not in the log (1..%" PRIu64 ")", from, to, n_ents);
	open_dev(argv[0]);
	apply_partial(from, to, seed, stdout);
	close_dev(argv[0]);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: lw_replay LOG info|list\n"
		"       lw_replay LOG run DEV --check CMD [--seed S] [--random N] [--only K]\n"
		"       lw_replay LOG partial DEV FROM TO SEED\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	load_log(argv[1]);
	if (!strcmp(argv[2], "info") && argc == 3)
		cmd_info();
	else if (!strcmp(argv[2], "list") && argc == 3)
		cmd_list();
	else if (!strcmp(argv[2], "run"))
		return cmd_run(argc - 3, argv + 3);
	else if (!strcmp(argv[2], "partial"))
		return cmd_partial(argc - 3, argv + 3);
	else
		usage();
	return 0;
}
