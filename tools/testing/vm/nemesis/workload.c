// SPDX-License-Identifier: GPL-2.0
/*
 * nemesis-wl: the client of the nemesis runs (tools/testing/vm/nemesis/).
 *
 * Runs inside a test VM. Writes and reads stamped 4 KiB blocks on a raftblk
 * device with O_DIRECT, one operation at a time, and appends a history of
 * every operation to a file (on the 9p share, so it survives a power-cut of
 * the VM): the invocation is written before the operation is issued, the
 * outcome after it returned. An invocation without an outcome is an
 * operation whose result is unknown ("info" for the checker).
 *
 * A stamped block:
 *   0  magic "NEMESIS1"        8 bytes
 *   8  writer                  u32 (node << 24 | boot << 8 | worker)
 *  12  reserved (0)            u32
 *  16  sequence                u64 (1, 2, ... per writer)
 *  24  block number            u64 (index in the test range)
 *  32  checksum                u64 (FNV-1a 64 of the 4096 bytes with
 *                                   this field zero)
 *  40  filler                  pseudo-random from (writer, sequence, block)
 *
 * History records, one line each, written with one write(2) (times are
 * this VM's CLOCK_MONOTONIC in ns):
 *   C T0 T1 HOSTNS          clock: a file on the share was touched between
 *                           T0 and T1 and got the host's time HOSTNS
 *   I ID T W BLOCK WRITER SEQ   invoke a write
 *   I ID T R BLOCK              invoke a read
 *   O ID T                      the write completed
 *   O ID T 0                    the read returned a never-written block
 *   O ID T WRITER SEQ           the read returned that stamp
 *   O ID T X REASON             the read returned a corrupt block
 *   F ID T ERRNO                the operation failed
 *   N TEXT                      a note
 *
 * Usage: nemesis-wl --dev DEV --hist FILE --clock FILE --writer W
 *                   [--blocks N] [--base BLOCK] [--seed S] [--final]
 *                   [--read-pct P]
 * Runs until SIGTERM or SIGINT (then finishes the operation in flight);
 * with --final reads every block of the range once (retrying until the
 * device can be opened, at most 120 s) and exits 0 when every read
 * succeeded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLK 4096
#define MAGIC "NEMESIS1"
#define OFF_WRITER 8
#define OFF_SEQ 16
#define OFF_BLOCK 24
#define OFF_SUM 32
#define OFF_FILL 40

static volatile sig_atomic_t stop;
static int hist_fd = -1;
static int clock_fd = -1;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One history record, in one write(2): a power-cut never splits it. */
static void hist(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(hist_fd, line, n) != n) {
		perror("nemesis-wl: history write");
		exit(3);
	}
}

/*
 * Touch the clock file on the share and read back its modification time:
 * the host's clock at a moment between T0 and T1 of ours.
 */
static void calibrate(void)
{
	struct stat st;
	uint64_t t0, t1;

	t0 = mono_ns();
	if (pwrite(clock_fd, "c", 1, 0) != 1 || fstat(clock_fd, &st)) {
		hist("N clock calibration failed: %s", strerror(errno));
		return;
	}
	t1 = mono_ns();
	hist("C %" PRIu64 " %" PRIu64 " %" PRIu64, t0, t1,
	     (uint64_t)st.st_mtim.tv_sec * 1000000000ull +
	     (uint64_t)st.st_mtim.tv_nsec);
}

static uint64_t fnv1a(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void stamp(unsigned char *b, uint32_t writer, uint64_t seq,
		  uint64_t block)
{
	uint64_t s = (uint64_t)writer * 0x9e3779b97f4a7c15ull ^ seq ^
		     (block << 40) ^ 1;
	size_t i;

	memset(b, 0, BLK);
	memcpy(b, MAGIC, 8);
	put_u32(b + OFF_WRITER, writer);
	put_u64(b + OFF_SEQ, seq);
	put_u64(b + OFF_BLOCK, block);
	for (i = OFF_FILL; i + 8 <= BLK; i += 8)
		put_u64(b + i, xorshift(&s));
	put_u64(b + OFF_SUM, fnv1a(b, BLK));
}

/* What a read returned, as the tail of its "O" record. */
static void decode(const unsigned char *b, uint64_t block, char *out,
		   size_t len)
{
	static const unsigned char zero[BLK];
	unsigned char copy[BLK];
	uint64_t sum;

	if (!memcmp(b, zero, BLK)) {
		snprintf(out, len, " 0");
		return;
	}
	if (memcmp(b, MAGIC, 8)) {
		snprintf(out, len, " X no-magic");
		return;
	}
	memcpy(copy, b, BLK);
	put_u64(copy + OFF_SUM, 0);
	sum = fnv1a(copy, BLK);
	if (sum != get_u64(b + OFF_SUM)) {
		snprintf(out, len, " X bad-checksum writer=%" PRIu32
			 " seq=%" PRIu64, get_u32(b + OFF_WRITER),
			 get_u64(b + OFF_SEQ));
		return;
	}
	if (get_u64(b + OFF_BLOCK) != block) {
		snprintf(out, len, " X misplaced-block-%" PRIu64 " writer=%"
			 PRIu32 " seq=%" PRIu64, get_u64(b + OFF_BLOCK),
			 get_u32(b + OFF_WRITER), get_u64(b + OFF_SEQ));
		return;
	}
	snprintf(out, len, " %" PRIu32 " %" PRIu64, get_u32(b + OFF_WRITER),
		 get_u64(b + OFF_SEQ));
}

struct opts {
	const char *dev;
	uint32_t writer;
	uint64_t blocks, base;
	uint64_t seed;
	int final;
	int read_pct;
};

static int open_dev(const struct opts *o)
{
	return open(o->dev, (o->final ? O_RDONLY : O_RDWR) | O_DIRECT);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nemesis-wl --dev DEV --hist FILE --clock FILE --writer W\n"
		"                  [--blocks N] [--base BLOCK] [--seed S] [--final] [--read-pct P]\n");
	exit(2);
}

static uint64_t num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "nemesis-wl: %s: not a number: '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", 1, 0, 'd' }, { "hist", 1, 0, 'h' },
		{ "clock", 1, 0, 'c' }, { "writer", 1, 0, 'w' },
		{ "blocks", 1, 0, 'n' }, { "base", 1, 0, 'b' },
		{ "seed", 1, 0, 's' }, { "final", 0, 0, 'f' },
		{ "read-pct", 1, 0, 'r' }, { 0, 0, 0, 0 },
	};
	struct opts o = { .blocks = 32, .seed = 1, .read_pct = 50 };
	const char *hist_path = NULL, *clock_path = NULL;
	unsigned char *buf;
	char val[128];
	uint64_t seq = 0, id = 0, rng, last_cal = 0, fblock = 0, t_open;
	int fd = -1, c, failed = 0;
	struct sigaction sa;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dev = optarg; break;
		case 'h': hist_path = optarg; break;
		case 'c': clock_path = optarg; break;
		case 'w': o.writer = num(optarg, "--writer"); break;
		case 'n': o.blocks = num(optarg, "--blocks"); break;
		case 'b': o.base = num(optarg, "--base"); break;
		case 's': o.seed = num(optarg, "--seed"); break;
		case 'f': o.final = 1; break;
		case 'r': o.read_pct = num(optarg, "--read-pct"); break;
		default: usage();
		}
	}
	if (optind != argc || !o.dev || !hist_path || !clock_path ||
	    !o.writer || !o.blocks || o.read_pct > 100)
		usage();
	hist_fd = open(hist_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	clock_fd = open(clock_path, O_RDWR | O_CREAT, 0644);
	if (hist_fd < 0 || clock_fd < 0) {
		perror("nemesis-wl: history or clock file");
		return 3;
	}
	if (posix_memalign((void **)&buf, BLK, BLK)) {
		fprintf(stderr, "nemesis-wl: out of memory\n");
		return 3;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rng = o.seed * 0x9e3779b97f4a7c15ull ^ o.writer;
	if (!rng)
		rng = 1;
	hist("N start writer %" PRIu32 " blocks %" PRIu64 " base %" PRIu64
	     "%s", o.writer, o.blocks, o.base, o.final ? " final" : "");
	calibrate();
	last_cal = t_open = mono_ns();
	while (!stop) {
		uint64_t now = mono_ns(), block;
		int is_write;
		ssize_t r;

		if (now - last_cal > 1000000000ull) {
			calibrate();
			last_cal = now;
		}
		if (o.final && fblock >= o.blocks)
			break;
		if (fd < 0) {
			fd = open_dev(&o);
			if (fd < 0) {
				if (o.final && now - t_open > 120000000000ull) {
					hist("N final: cannot open %s: %s",
					     o.dev, strerror(errno));
					return 1;
				}
				usleep(100000);
				continue;
			}
			hist("N opened %s", o.dev);
		}
		if (o.final) {
			block = fblock;
			is_write = 0;
		} else {
			block = xorshift(&rng) % o.blocks;
			is_write = (int)(xorshift(&rng) % 100) >= o.read_pct;
		}
		id++;
		if (is_write) {
			seq++;
			stamp(buf, o.writer, seq, block);
			hist("I %" PRIu64 " %" PRIu64 " W %" PRIu64 " %" PRIu32
			     " %" PRIu64, id, mono_ns(), block, o.writer, seq);
			r = pwrite(fd, buf, BLK, (off_t)((o.base + block) * BLK));
		} else {
			hist("I %" PRIu64 " %" PRIu64 " R %" PRIu64, id,
			     mono_ns(), block);
			r = pread(fd, buf, BLK, (off_t)((o.base + block) * BLK));
		}
		now = mono_ns();
		if (r != BLK) {
			hist("F %" PRIu64 " %" PRIu64 " %d", id, now,
			     r < 0 ? errno : 0);
			close(fd);
			fd = -1;
			if (o.final) {
				if (++failed > 100)
					return 1;
				usleep(200000);
			}
			continue;
		}
		if (is_write) {
			hist("O %" PRIu64 " %" PRIu64, id, now);
		} else {
			decode(buf, block, val, sizeof(val));
			hist("O %" PRIu64 " %" PRIu64 "%s", id, now, val);
		}
		if (o.final)
			fblock++;
	}
	calibrate();
	hist("N stop after %" PRIu64 " operations", id);
	return o.final && fblock < o.blocks ? 1 : 0;
}
