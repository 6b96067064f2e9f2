// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

const struct unit_test persistence_tests[] = {
	{ NULL, NULL },
};
