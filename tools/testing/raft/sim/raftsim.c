// SPDX-License-Identifier: GPL-2.0
/*
 * raftsim - random schedules of simulated raftblk clusters.
 *
 *   raftsim --schedules N [--seed S] [--nodes 3|5|7] [--class NAME]
 *           [--steps K] [--tap] [--seconds T] [--no-rule-checks]
 *           [--first-failure] [--mix] [-v]
 *   raftsim --seed S            replay one schedule (prints its trace
 *                               on failure; -v prints every event)
 *
 * A schedule is fully determined by its seed: the seed picks the cluster
 * size (3, 5, 7) and the fault class unless --nodes / --class force them.
 * With --schedules N the runs are split evenly over every (size, class)
 * pair, one TAP line per pair; --seconds T keeps going round the pairs
 * until T seconds of wall time have passed. --mix runs the same schedules
 * one pair after the other, one schedule at a time (with
 * --first-failure: a fault only one class shows is met early; the
 * mutation test uses it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sched.h"

#define ULL(x) ((unsigned long long)(x))

static const u32 sizes[3] = { 3, 5, 7 };

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: raftsim --schedules N [--seed S] [--nodes 3|5|7] [--class NAME]\n"
		"               [--steps K] [--tap] [--seconds T] [--no-rule-checks]\n"
		"               [--first-failure] [--mix] [-v]\n"
		"       raftsim --seed S [--nodes N] [--class NAME] [-v]\n"
		"classes:");
	for (int i = 0; i < SC_N; i++)
		fprintf(stderr, " %s", sched_class_names[i]);
	fprintf(stderr, "\n");
	exit(2);
}

static u64 parse_u64(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (!*s || *end)
		usage();
	return v;
}

/* Seed of the k-th schedule of pair (size index si, class cl). */
static u64 pair_seed(u64 base, u64 k, u32 si, u32 cl)
{
	return (base / (3 * SC_N) + k) * (3 * SC_N) + cl * 3 + si;
}

struct totals {
	u64 schedules, sim_us, events, acked, reads, direct, leaders, resyncs;
};

int main(int argc, char **argv)
{
	u64 schedules = 0, seed = 0, seconds = 0;
	bool have_seed = false, tap = false, first_failure = false;
	bool mix = false;
	int nodes = 0, cls = -1;
	struct sched_opts o = { .rule_checks = true };
	struct totals tot = { 0 };
	int failures = 0, tap_n = 0;
	double t0 = wall();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--schedules") && i + 1 < argc) {
			schedules = parse_u64(argv[++i]);
		} else if (!strcmp(a, "--seed") && i + 1 < argc) {
			seed = parse_u64(argv[++i]);
			have_seed = true;
		} else if (!strcmp(a, "--nodes") && i + 1 < argc) {
			nodes = (int)parse_u64(argv[++i]);
			if (nodes != 3 && nodes != 5 && nodes != 7)
				usage();
		} else if (!strcmp(a, "--class") && i + 1 < argc) {
			const char *n = argv[++i];

			for (cls = 0; cls < SC_N; cls++)
				if (!strcmp(n, sched_class_names[cls]))
					break;
			if (cls == SC_N)
				usage();
		} else if (!strcmp(a, "--steps") && i + 1 < argc) {
			o.max_steps = parse_u64(argv[++i]);
		} else if (!strcmp(a, "--seconds") && i + 1 < argc) {
			seconds = parse_u64(argv[++i]);
		} else if (!strcmp(a, "--tap")) {
			tap = true;
		} else if (!strcmp(a, "--first-failure")) {
			first_failure = true;
		} else if (!strcmp(a, "--mix")) {
			mix = true;
		} else if (!strcmp(a, "--no-rule-checks")) {
			o.rule_checks = false;
		} else if (!strcmp(a, "-v")) {
			o.log = stderr;
		} else {
			usage();
		}
	}
	sched_install_crash_report();
	if (!schedules && !seconds) {
		struct sched_result r;
		u32 n = nodes ? (u32)nodes : sched_seed_nodes(seed);
		u32 c = cls >= 0 ? (u32)cls : sched_seed_class(seed);

		if (!have_seed)
			usage();
		sched_run(seed, n, c, &o, &r, stdout);
		printf("seed %llu: %u nodes, %s: %s (%.3f simulated s, %llu events, %llu writes acknowledged, %llu reads (%llu direct), %llu leaders, %llu resyncs, %llu extents copied, %llu batches applied in part)\n",
		       ULL(seed), n, sched_class_names[c],
		       r.failed ? "FAILED" : "ok", r.sim_us / 1e6,
		       ULL(r.events), ULL(r.acked), ULL(r.reads),
		       ULL(r.reads_direct),
		       ULL(r.leaders), ULL(r.resyncs), ULL(r.chunks),
		       ULL(r.apply_lags));
		return r.failed ? 1 : 0;
	}

	/* pairs (size, class) to run */
	u32 pairs[3 * SC_N][2], np = 0;

	for (u32 si = 0; si < 3; si++) {
		if (nodes && (int)sizes[si] != nodes)
			continue;
		for (u32 cl = 0; cl < SC_N; cl++) {
			if (cls >= 0 && (int)cl != cls)
				continue;
			pairs[np][0] = si;
			pairs[np][1] = cl;
			np++;
		}
	}
	if (!have_seed)
		seed = seconds ? (u64)time(NULL) * 1000003ULL : 0;
	if (tap && !seconds)
		printf("1..%u\n", np + 1);
	if (tap)
		printf("# base seed %llu (replay: make sim SIM_SEED=%llu, or --seed %llu with these options)\n",
		       ULL(seed), ULL(seed), ULL(seed));

	u64 round = 0;
	bool pair_failed[3 * SC_N] = { false };

	if (mix && schedules && !seconds) {
		/* one schedule of each pair in turn */
		u64 per = (schedules + np - 1) / np;
		struct totals pts[3 * SC_N];
		u64 bads[3 * SC_N];
		char whys[3 * SC_N][200];

		memset(pts, 0, sizeof(pts));
		for (u64 k = 0; k < per; k++) {
			for (u32 p = 0; p < np; p++) {
				u32 si = pairs[p][0], cl = pairs[p][1];
				u64 s = pair_seed(seed, k, si, cl);
				struct sched_result r;

				if (pair_failed[p])
					continue;
				sched_run(s, sizes[si], cl, &o, &r,
					  failures < 5 ? stdout : NULL);
				pts[p].schedules++;
				pts[p].sim_us += r.sim_us;
				pts[p].acked += r.acked;
				pts[p].reads += r.reads;
				pts[p].direct += r.reads_direct;
				pts[p].leaders += r.leaders;
				tot.schedules++;
				tot.sim_us += r.sim_us;
				tot.events += r.events;
				tot.acked += r.acked;
				tot.reads += r.reads;
				tot.leaders += r.leaders;
				if (!r.failed)
					continue;
				if (first_failure) {
					printf("# first failure: %u nodes %s seed %llu after %llu schedules (%llu in this pair), %.1f s: %s\n",
					       sizes[si], sched_class_names[cl],
					       ULL(s), ULL(tot.schedules),
					       ULL(pts[p].schedules),
					       wall() - t0, r.why);
					return 1;
				}
				failures++;
				pair_failed[p] = true;
				bads[p] = s;
				snprintf(whys[p], sizeof(whys[p]), "%.199s", r.why);
			}
		}
		for (u32 p = 0; p < np && tap; p++) {
			u32 si = pairs[p][0], cl = pairs[p][1];

			if (pair_failed[p])
				printf("not ok %d - %u nodes %s: seed %llu: %s\n",
				       ++tap_n, sizes[si], sched_class_names[cl],
				       ULL(bads[p]), whys[p]);
			else
				printf("ok %d - %u nodes %s: %llu schedules, %.1f simulated s, %llu writes acked, %llu reads (%llu direct), %llu leaders\n",
				       ++tap_n, sizes[si], sched_class_names[cl],
				       ULL(pts[p].schedules),
				       pts[p].sim_us / 1e6, ULL(pts[p].acked),
				       ULL(pts[p].reads), ULL(pts[p].direct),
				       ULL(pts[p].leaders));
		}
		schedules = 0;	/* done: skip the pair-by-pair loop */
	}

	do {
		if (!schedules && !seconds)
			break;
		for (u32 p = 0; p < np; p++) {
			u32 si = pairs[p][0], cl = pairs[p][1];
			u64 per = schedules ? (schedules + np - 1) / np : 20;
			struct totals pt = { 0 };
			char why[1200] = "";
			u64 bad = 0;
			bool failed = false;

			if (pair_failed[p])
				continue;
			for (u64 k = 0; k < per; k++) {
				u64 s = pair_seed(seed, round * per + k, si, cl);
				struct sched_result r;

				sched_run(s, sizes[si], cl, &o, &r,
					  failures < 5 ? stdout : NULL);
				pt.schedules++;
				pt.sim_us += r.sim_us;
				pt.events += r.events;
				pt.acked += r.acked;
				pt.reads += r.reads;
				pt.direct += r.reads_direct;
				pt.leaders += r.leaders;
				pt.resyncs += r.resyncs;
				if (r.failed) {
					failed = true;
					bad = s;
					snprintf(why, sizeof(why), "%s", r.why);
					break;
				}
			}
			tot.schedules += pt.schedules;
			tot.sim_us += pt.sim_us;
			tot.events += pt.events;
			tot.acked += pt.acked;
			tot.reads += pt.reads;
			tot.leaders += pt.leaders;
			if (failed && first_failure) {
				printf("# first failure: %u nodes %s seed %llu after %llu schedules (%llu in this pair), %.1f s: %s\n",
				       sizes[si], sched_class_names[cl],
				       ULL(bad), ULL(tot.schedules),
				       ULL(pt.schedules), wall() - t0, why);
				return 1;
			}
			if (failed) {
				failures++;
				/* a timed run keeps exploring the pair */
				pair_failed[p] = !seconds;
				printf("not ok %d - %u nodes %s: seed %llu: %s\n",
				       ++tap_n, sizes[si],
				       sched_class_names[cl], ULL(bad), why);
			} else if (tap && !seconds) {
				printf("ok %d - %u nodes %s: %llu schedules, %.1f simulated s, %llu writes acked, %llu reads (%llu direct), %llu leaders, %llu resyncs\n",
				       ++tap_n, sizes[si],
				       sched_class_names[cl],
				       ULL(pt.schedules), pt.sim_us / 1e6,
				       ULL(pt.acked), ULL(pt.reads),
				       ULL(pt.direct), ULL(pt.leaders),
				       ULL(pt.resyncs));
			}
			fflush(stdout);
			if (seconds && wall() - t0 >= seconds)
				break;
		}
		round++;
	} while (seconds && wall() - t0 < seconds);

	/* determinism: the first schedule again gives the same history */
	if (tap && !seconds) {
		u32 si = pairs[0][0], cl = pairs[0][1];
		u64 s0 = pair_seed(seed, 0, si, cl);
		struct sched_result r1, r2;

		sched_run(s0, sizes[si], cl, &o, &r1, NULL);
		sched_run(s0, sizes[si], cl, &o, &r2, NULL);
		if (r1.digest == r2.digest && r1.events == r2.events &&
		    r1.sim_us == r2.sim_us && r1.acked == r2.acked) {
			printf("ok %d - seed %llu replays identically (%llu events, digest %016llx)\n",
			       ++tap_n, ULL(s0), ULL(r1.events),
			       ULL(r1.digest));
		} else {
			printf("not ok %d - seed %llu does not replay identically (%llu/%llu events, digest %016llx/%016llx)\n",
			       ++tap_n, ULL(s0), ULL(r1.events),
			       ULL(r2.events), ULL(r1.digest),
			       ULL(r2.digest));
			failures++;
		}
	}
	if (seconds && tap) {
		/* failures were numbered 1..tap_n as they happened */
		if (!failures)
			printf("ok %d - random schedules for %llu s\n",
			       ++tap_n, ULL(seconds));
		printf("1..%d\n", tap_n);
	}
	printf("# %llu schedules, %.1f simulated s, %llu events, %llu writes acknowledged, %llu reads checked, %llu leaders, %d failing, %.1f s wall\n",
	       ULL(tot.schedules), tot.sim_us / 1e6, ULL(tot.events),
	       ULL(tot.acked), ULL(tot.reads), ULL(tot.leaders), failures,
	       wall() - t0);
	return failures ? 1 : 0;
}
