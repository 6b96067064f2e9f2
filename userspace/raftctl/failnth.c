// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: systematic fault injection for the tests (RAFTCTL_FAIL_NTH=N).
 *
 * With the variable set, the first netlink request arms the fail-nth
 * counter of this thread (/proc/thread-self/fail-nth, kernels built with
 * CONFIG_FAULT_INJECTION): the Nth fault-injection point the kernel passes
 * in this thread from then on fails (a slab or page allocation, when
 * failslab and fail_page_alloc do not ignore sleeping allocations). The
 * kernel side of a raftctl request runs in raftctl's own thread, so
 * N = 1, 2, ... fails each allocation of the command's kernel path in
 * turn. At exit a counter still above zero means the command ended before
 * its Nth point: raftctl says "raftctl: fail-nth N not reached" on stderr,
 * which ends such a sweep. Without the variable nothing happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "raftctl.h"

#define FAIL_NTH_FILE "/proc/thread-self/fail-nth"

static unsigned long fail_nth;	/* the N armed, 0: not armed */

static void rb_fail_nth_report(void)
{
	char buf[32];
	ssize_t len;
	int fd;

	fd = open(FAIL_NTH_FILE, O_RDWR);
	if (fd < 0) {
		/* The open itself met the Nth point: the command did not. */
		fprintf(stderr, "raftctl: fail-nth %lu not reached\n", fail_nth);
		return;
	}
	len = read(fd, buf, sizeof(buf) - 1);
	if (len > 0) {
		buf[len] = '\0';
		if (strtoul(buf, NULL, 10) != 0)
			fprintf(stderr, "raftctl: fail-nth %lu not reached\n",
				fail_nth);
	}
	if (write(fd, "0", 1) != 1)
		fprintf(stderr, "raftctl: cannot disarm fail-nth: %s\n",
			strerror(errno));
	close(fd);
}

void rb_fail_nth_arm(void)
{
	const char *v = getenv("RAFTCTL_FAIL_NTH");
	char *end;
	int fd;

	if (fail_nth || !v || !*v)
		return;
	errno = 0;
	fail_nth = strtoul(v, &end, 10);
	if (errno || *end || !fail_nth || fail_nth > 1000000) {
		fprintf(stderr, "raftctl: RAFTCTL_FAIL_NTH wants 1..1000000, not '%s'\n",
			v);
		exit(2);
	}
	if (atexit(rb_fail_nth_report)) {
		fprintf(stderr, "raftctl: RAFTCTL_FAIL_NTH: atexit failed\n");
		exit(2);
	}
	fd = open(FAIL_NTH_FILE, O_WRONLY);
	if (fd < 0 || dprintf(fd, "%lu", fail_nth) < 0) {
		fprintf(stderr, "raftctl: RAFTCTL_FAIL_NTH: cannot write %s: %s\n",
			FAIL_NTH_FILE, strerror(errno));
		_exit(2);
	}
	close(fd);
}
