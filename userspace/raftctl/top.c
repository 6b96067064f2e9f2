// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl top: a live view of the devices, refreshed in place (what
 * drbdmon is for DRBD): per device its role, term, indexes, request
 * rates and latency; per peer its state, lag and last heard; per copy of
 * the data area a progress bar with rate and time left.
 *
 * Each frame is rendered into memory, then drawn over the previous one
 * line by line (cursor home, each line cleared to its end, the rest of
 * the screen cleared), so nothing flickers. Rates are the difference
 * between two frames. On a terminal the view uses the alternate screen
 * and reads single keys (q quits); otherwise (--batch, or output to a
 * pipe or file) frames are printed one after the other without escapes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "raftctl.h"

static volatile sig_atomic_t top_stop;
static struct termios top_saved_tio;
static bool top_raw;		/* the terminal's modes are to be restored */
static bool top_screen;		/* the alternate screen is in use */

static void top_on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Requests/s, bytes/s and the median latency of OP between two frames. */
struct io_rate {
	bool known;
	double iops, bps;
	double p50_s;		/* < 0: no request in between */
};

static const struct dev_info *find_prev(const struct dev_list *prev,
					const struct dev_info *d)
{
	size_t i;

	for (i = 0; prev && i < prev->n; i++)
		if (prev->v[i].device_id == d->device_id &&
		    !strcmp(prev->v[i].name, d->name))
			return &prev->v[i];
	return NULL;
}

static struct io_rate io_rate(const struct dev_info *d,
			      const struct dev_info *p, uint32_t op, double dt)
{
	const struct io_info *a = &d->io[op], *b;
	struct io_rate r = { .p50_s = -1 };
	uint64_t diff[RAFTBLK_IO_LATENCY_BUCKETS], n = 0, half, cum = 0;
	unsigned int i;

	if (!p || dt <= 0 || !a->valid || !p->io[op].valid)
		return r;
	b = &p->io[op];
	if (a->count < b->count)
		return r;	/* not the same device's counters */
	r.known = true;
	r.iops = (a->count - b->count) / dt;
	r.bps = (a->bytes - b->bytes) / dt;
	for (i = 0; i < RAFTBLK_IO_LATENCY_BUCKETS; i++) {
		diff[i] = a->latency[i] - b->latency[i];
		n += diff[i];
	}
	if (!n)
		return r;
	/* The bucket holding the median, reported by its upper bound. */
	half = (n + 1) / 2;
	for (i = 0; i < RAFTBLK_IO_LATENCY_BUCKETS; i++) {
		cum += diff[i];
		if (cum >= half)
			break;
	}
	r.p50_s = ldexp(1.0, (int)i) / 1e6;
	return r;
}

static void format_latency(char *buf, size_t len, double s)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 1e-3)
		snprintf(buf, len, "<%.0fus", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "<%.0fms", s * 1e3);
	else
		snprintf(buf, len, "<%.1fs", s);
}

static void format_io(char *buf, size_t len, const char *what,
		      struct io_rate r)
{
	char size[24], lat[24];

	if (!r.known) {
		snprintf(buf, len, "%s -", what);
		return;
	}
	format_size(size, sizeof(size), (uint64_t)r.bps);
	format_latency(lat, sizeof(lat), r.p50_s);
	snprintf(buf, len, "%s %.0f/s %s/s p50 %s", what, r.iops, size, lat);
}

/* "[#########...........]" for DONE of TOTAL in WIDTH cells. */
static void format_bar(char *buf, size_t len, uint64_t done, uint64_t total,
		       unsigned int width)
{
	unsigned int fill = total ? (unsigned int)((double)done / total *
						   width) : 0, i;

	if (width + 3 > len)
		width = len - 3;
	if (fill > width)
		fill = width;
	buf[0] = '[';
	for (i = 0; i < width; i++)
		buf[1 + i] = i < fill ? '#' : '.';
	buf[1 + width] = ']';
	buf[2 + width] = '\0';
}

static void render_device(FILE *f, const struct dev_info *d,
			  const struct dev_info *p, double dt)
{
	char rd[96], wr[96], lag[24], heard[32], addr[ADDR_STRLEN];
	char bar[64], done[24], total[24], rate[24], cap[24];
	size_t i;

	format_size(cap, sizeof(cap), d->capacity);
	fprintf(f, "%s  %s  %s  open %" PRIu32, d->name, role_name(d->role),
		cap, d->open_count);
	if (d->replicated)
		fprintf(f, "  node %" PRIu32 "  term %" PRIu64
			"  leader %" PRIu32 "  commit %" PRIu64
			"  applied %" PRIu64 "  disk %s", d->node_id, d->term,
			d->leader_id, d->commit_index, d->applied_index,
			disk_state_name(d->disk_state));
	fputc('\n', f);
	format_io(rd, sizeof(rd), "read", io_rate(d, p, RAFTBLK_IO_OP_READ, dt));
	format_io(wr, sizeof(wr), "write",
		  io_rate(d, p, RAFTBLK_IO_OP_WRITE, dt));
	fprintf(f, "  %s   %s\n", rd, wr);
	if (d->waiting) {
		char w[96];

		format_waiting(w, sizeof(w), d->waiting, d->wait_index);
		fprintf(f, "  waiting: %s, for %.1f s\n", w, d->wait_ms / 1e3);
	}
	if (d->n_peers) {
		fprintf(f, "  %-4s %-24s %-8s %-12s %10s %8s %8s\n", "PEER",
			"ADDRESS", "ROLE", "STATE", "MATCH", "LAG", "HEARD");
	}
	for (i = 0; i < d->n_peers; i++) {
		const struct peer_info *q = &d->peers[i];
		uint64_t l;

		addr_format(&q->addr, addr, sizeof(addr));
		if (peer_lag(d, q, &l))
			snprintf(lag, sizeof(lag), "%" PRIu64, l);
		else
			snprintf(lag, sizeof(lag), "-");
		if (q->heard)
			snprintf(heard, sizeof(heard), "%.1fs",
				 q->last_heard_ms / 1e3);
		else
			snprintf(heard, sizeof(heard), "never");
		fprintf(f, "  %-4" PRIu32 " %-24s %-8s %-12s %10" PRIu64
			" %8s %8s\n", q->id, addr, peer_role_name(q->role),
			peer_state_name(q->state), q->match_index, lag, heard);
	}
	for (i = 0; i < d->n_resync; i++) {
		const struct resync_info *r = &d->resync[i];

		format_bar(bar, sizeof(bar), r->done, r->total, 20);
		format_size(done, sizeof(done), r->done);
		format_size(total, sizeof(total), r->total);
		format_size(rate, sizeof(rate), r->rate);
		fprintf(f, "  resync %s %" PRIu32 " %s %s %3.0f%% %s/%s %s/s",
			r->dir == RAFTBLK_RESYNC_DIR_SEND ? "to" : "from",
			r->peer, resync_kind_name(r->kind), bar,
			r->total ? 100.0 * r->done / r->total : 0.0, done,
			total, rate);
		if (r->state == RAFTBLK_RESYNC_STATE_RUNNING)
			fprintf(f, " eta %" PRIu64 "s\n", r->eta_s);
		else
			fprintf(f, " %s\n", resync_state_name(r->state));
	}
}

/* One frame of the view into a string (malloc'd); NULL on ENOMEM. */
static char *render(const struct dev_list *l, const struct dev_list *prev,
		    const char *name, double dt, double interval)
{
	char *buf = NULL, stamp[32];
	size_t len = 0, i, shown;
	time_t t = time(NULL);
	struct tm tm;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "raftctl top  %s  every %.1fs  q: quit\n\n", stamp,
		interval);
	for (i = 0, shown = 0; i < l->n; i++) {
		if (name && strcmp(l->v[i].name, name))
			continue;
		if (shown++)
			fputc('\n', f);
		render_device(f, &l->v[i], find_prev(prev, &l->v[i]), dt);
	}
	if (!shown && name)
		fprintf(f, "%s: no such device (destroyed?)\n", name);
	else if (!shown)
		fprintf(f, "no devices\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Draw FRAME over the previous one, each line cut at COLS. */
static void draw(const char *frame, bool tty)
{
	struct winsize ws = { 0 };
	unsigned int cols = 0, rows = 0, row = 0;
	const char *s = frame, *nl;

	if (!tty) {
		fputs(frame, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws)) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	fputs("\033[H", stdout);
	while (*s && (!rows || row < rows)) {
		size_t n;

		nl = strchr(s, '\n');
		n = nl ? (size_t)(nl - s) : strlen(s);
		fwrite(s, 1, cols && n > cols ? cols : n, stdout);
		fputs("\033[K", stdout);
		row++;
		s += n;
		if (*s == '\n') {
			s++;
			if (*s && (!rows || row < rows))
				fputs("\r\n", stdout);
		}
	}
	fputs("\033[J", stdout);
	fflush(stdout);
}

static void top_restore(void)
{
	if (top_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &top_saved_tio);
	top_raw = false;
	if (top_screen) {
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
	top_screen = false;
}

static void top_enter(void)
{
	struct termios tio;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &top_saved_tio)) {
		tio = top_saved_tio;
		tio.c_lflag &= ~(ICANON | ECHO);
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio))
			top_raw = true;
	}
	/* The alternate screen, the cursor hidden; undone on exit. */
	fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	fflush(stdout);
	top_screen = true;
}

/* Wait up to SECONDS for a key; true when q (or Q) was pressed. */
static bool wait_key(double seconds, bool keys)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	double end = now_s() + seconds;
	char c;

	while (!top_stop) {
		double left = end - now_s();

		if (left <= 0)
			return false;
		if (!keys) {
			struct timespec ts = {
				.tv_sec = (time_t)left,
				.tv_nsec = (long)((left - (time_t)left) * 1e9),
			};

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) > 0 &&
		    read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
			return true;
	}
	return true;
}

static int parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.1 && v <= 3600))
		return -1;
	*out = v;
	return 0;
}

int cmd_top(const struct verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "batch", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dev_list cur = { 0 }, prev = { 0 };
	const char *name = NULL;
	char ctx[128];
	double interval = 1, t_prev = 0, t_cur;
	uint32_t count = 0, frames = 0;
	bool batch = false, tty, have_prev = false;
	struct sigaction sa = { .sa_handler = top_on_signal };
	int c, ret = EXIT_OK;

	optind = 0;	/* glibc: full re-initialization */
	while ((c = getopt_long(argc, argv, ":i:c:bh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_interval(optarg, &interval))
				return usage_error(v, "--interval must be 0.1..3600 seconds, not '%s'",
						   optarg);
			break;
		case 'c':
			ret = option_u32(v, "--count", optarg, 1, UINT32_MAX,
					 &count);
			if (ret)
				return ret;
			break;
		case 'b':
			batch = true;
			break;
		case 'h':
			verb_help(v, stdout);
			return EXIT_OK;
		default:
			return option_error(v, c, argv);
		}
	}
	ret = optional_name(v, argc, argv, &name);
	if (ret)
		return ret;

	tty = !batch && isatty(STDOUT_FILENO);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/*
	 * Fail before taking over the screen if the module or the device
	 * is not there; from then on every device is read and NAME picked
	 * out, so one destroyed while watched shows as such.
	 */
	snprintf(ctx, sizeof(ctx), "top%s%s", name ? " " : "",
		 name ? name : "");
	ret = dev_list_get(name, ctx, &cur);
	if (!ret && name) {
		free(cur.v);
		ret = dev_list_get(NULL, ctx, &cur);
	}
	if (ret)
		return ret;
	t_cur = now_s();
	if (tty)
		top_enter();
	for (;;) {
		char *frame = render(&cur, have_prev ? &prev : NULL, name,
				     t_cur - t_prev, interval);

		if (!frame) {
			ret = oom();
			break;
		}
		draw(frame, tty);
		free(frame);
		if ((count && ++frames >= count) ||
		    wait_key(interval, tty && isatty(STDIN_FILENO)))
			break;
		free(prev.v);
		prev = cur;
		t_prev = t_cur;
		have_prev = true;
		memset(&cur, 0, sizeof(cur));
		ret = dev_list_get(NULL, ctx, &cur);
		t_cur = now_s();
		if (ret)
			break;
	}
	top_restore();
	free(prev.v);
	free(cur.v);
	return ret;
}
