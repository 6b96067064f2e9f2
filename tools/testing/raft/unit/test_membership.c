// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

const struct unit_test membership_tests[] = {
	{ NULL, NULL },
};
