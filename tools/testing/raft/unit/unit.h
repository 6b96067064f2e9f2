/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unit.h - tiny TAP test harness for the consensus core.
 */
#ifndef RAFT_UNIT_H
#define RAFT_UNIT_H

#include <stdio.h>
#include <string.h>

#include "fixture.h"

extern int unit_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("#   %s:%d: check failed: %s\n",		\
			       __FILE__, __LINE__, #cond);		\
			unit_failed = 1;				\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		unsigned long long _a = (a), _b = (b);			\
		if (_a != _b) {						\
			printf("#   %s:%d: %s == %s: %llu != %llu\n",	\
			       __FILE__, __LINE__, #a, #b, _a, _b);	\
			unit_failed = 1;				\
		}							\
	} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Each test file defines a table ending with { NULL, NULL }. */
extern const struct unit_test figure2_tests[];
extern const struct unit_test election_tests[];
extern const struct unit_test replication_tests[];
extern const struct unit_test persistence_tests[];
extern const struct unit_test membership_tests[];
extern const struct unit_test transfer_read_tests[];
extern const struct unit_test snapshot_tests[];
extern const struct unit_test input_tests[];

/* helpers shared by tests */
static inline struct raft_status unit_status(struct fx *f, raft_id id)
{
	struct raft_status st;

	raft_get_status(fx_raft(f, id), &st);
	return st;
}

#endif /* RAFT_UNIT_H */
