// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - runs the unit tests, prints TAP, checks that no payload leaked.
 *
 * Usage: raft-unit [NAME-SUBSTRING]
 */
#include <stdlib.h>

#include "unit.h"

int unit_failed;

static const struct unit_test *const suites[] = {
	figure2_tests,
	election_tests,
	replication_tests,
	persistence_tests,
	membership_tests,
	transfer_read_tests,
	snapshot_tests,
	input_tests,
};

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	int n = 0, failed = 0;
	size_t s;

	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct unit_test *t;

		for (t = suites[s]; t->name; t++) {
			long live;

			if (only && !strstr(t->name, only))
				continue;
			unit_failed = 0;
			t->fn();
			live = raft_payload_live();
			if (live) {
				printf("#   %ld payload(s) leaked\n", live);
				unit_failed = 1;
			}
			n++;
			printf("%sok %d - %s\n", unit_failed ? "not " : "", n,
			       t->name);
			fflush(stdout);
			failed += unit_failed;
		}
	}
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
