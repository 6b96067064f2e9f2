/* SPDX-License-Identifier: GPL-2.0 */
/*
 * st_timeout.h - the selftests' time bounds on a slower guest.
 *
 * The VM scenario "selftests" exports RAFTBLK_ST_TIMEOUT_FACTOR, the
 * host's VM_TIMEOUT_FACTOR (1; 3 on the debug kernel, where KASAN and
 * lockdep under TCG make every step several times slower). Every bound a
 * program waits on is multiplied by it:
 *
 *  - st_scaled(): the program's own waits (an election, a leader after a
 *    cut) when the environment does not set them explicitly;
 *  - RAFTBLK_HARNESS_MAIN, used instead of TEST_HARNESS_MAIN: the
 *    harness's per-test alarm (TEST_F_TIMEOUT's, or its 30 s default),
 *    for which 6.1's kselftest_harness.h has no knob.
 *
 * Include after kselftest_harness.h.
 */
#ifndef RAFTBLK_SELFTEST_ST_TIMEOUT_H
#define RAFTBLK_SELFTEST_ST_TIMEOUT_H

#define ST_TIMEOUT_FACTOR_MAX	100

static inline int st_timeout_factor(void)
{
	const char *e = getenv("RAFTBLK_ST_TIMEOUT_FACTOR");
	int v = e ? atoi(e) : 0;

	return v > 0 && v <= ST_TIMEOUT_FACTOR_MAX ? v : 1;
}

static inline int st_scaled(int seconds)
{
	return seconds * st_timeout_factor();
}

/* Every registered test's alarm, times the factor. */
static inline void st_scale_harness_timeouts(void)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	int k = st_timeout_factor();

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= k;
}

/* TEST_HARNESS_MAIN of 6.1, with the timeouts scaled before the run. */
#define RAFTBLK_HARNESS_MAIN \
	static void __attribute__((constructor)) \
	__constructor_order_last(void) \
	{ \
		if (!__constructor_order) \
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	} \
	int main(int argc, char **argv) { \
		st_scale_harness_timeouts(); \
		return test_harness_run(argc, argv); \
	}

#endif
