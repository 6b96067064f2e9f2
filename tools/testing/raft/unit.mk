# SPDX-License-Identifier: GPL-2.0
#
# Unit tests of the consensus core (included by the Makefile here).

UNIT_SRCS := $(wildcard unit/*.c)
UNIT_HDRS := $(wildcard unit/*.h)
UNIT_BIN := $(BUILD)/raft-unit

$(UNIT_BIN): $(CORE_SRCS) $(CORE_HDRS) $(UENV_SRCS) $(UNIT_SRCS) $(UNIT_HDRS) | $(BUILD)
	$(CC) $(CFLAGS) $(SAN) -Iunit -o $@ $(CORE_SRCS) $(UENV_SRCS) \
		$(UNIT_SRCS)

unit: $(UNIT_BIN)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./$(UNIT_BIN)
