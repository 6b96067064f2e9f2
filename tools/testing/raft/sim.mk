# SPDX-License-Identifier: GPL-2.0
#
# Simulator, interaction scripts, fuzzer and benchmark of the consensus
# core (included by Makefile: CORE_DIR, CORE_SRCS, CFLAGS, SAN, BUILD).
#
#   make sim [SIM_SCHEDULES=N] [SIM_SEED=S]   random schedules, TAP
#   make sim-long SECONDS=N                   as long as asked, TAP
#   make scripts [SCRIPTS=testdata/x.txt]     interaction scripts, TAP
#   make scripts-rewrite SCRIPTS=...          regenerate expected output
#   make fuzz-smoke [FUZZ_SECONDS=N]          corpus replay + short run
#   make bench                                entries/s, no sanitizers
#
# A mutated copy of the core builds with CORE_DIR=/path BUILD=/tmp/dir.

SIM_DIR := sim
SIM_LIB_SRCS := $(SIM_DIR)/cluster.c $(SIM_DIR)/check.c $(SIM_DIR)/trace.c \
		$(SIM_DIR)/mailbox.c
SIM_HDRS := $(wildcard $(SIM_DIR)/*.h)
SIM_DEPS := $(SIM_LIB_SRCS) $(SIM_HDRS) $(CORE_SRCS) $(CORE_HDRS) $(UENV_SRCS)

SIM_SCHEDULES ?= 2100
# A new base seed each run (printed: SIM_SEED=S replays the run).
SIM_SEED ?= $(shell echo $$(( $$(date +%s) % 1000000 * 24 )))
SECONDS ?= 60
FUZZ_SECONDS ?= 20
SCRIPTS ?= $(sort $(wildcard testdata/*.txt))

# Core, platform and simulator objects (sanitized) are compiled once and
# shared by raftsim and raftscript.
SOBJ := $(BUILD)/sobj
SIM_OBJS := $(patsubst $(CORE_DIR)/%.c,$(SOBJ)/core/%.o,$(CORE_SRCS)) \
	    $(patsubst $(SIM_DIR)/%.c,$(SOBJ)/sim/%.o,$(SIM_LIB_SRCS)) \
	    $(patsubst $(UENV_DIR)/%.c,$(SOBJ)/lib/%.o,$(UENV_SRCS))

$(SOBJ)/core/%.o: $(CORE_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

$(SOBJ)/sim/%.o: $(SIM_DIR)/%.c $(SIM_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

$(SOBJ)/lib/%.o: $(UENV_DIR)/%.c $(UENV_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/raftsim: $(SIM_DIR)/raftsim.c $(SIM_DIR)/sched.c $(SIM_OBJS) $(SIM_HDRS) | $(BUILD)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(SIM_DIR)/raftsim.c $(SIM_DIR)/sched.c \
		$(SIM_OBJS)

$(BUILD)/raftscript: $(SIM_DIR)/raftscript.c $(SIM_OBJS) $(SIM_HDRS) | $(BUILD)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(SIM_DIR)/raftscript.c $(SIM_OBJS)

# The benchmark is built without sanitizers.
$(BUILD)/raftbench: $(SIM_DIR)/bench.c $(SIM_DEPS) | $(BUILD)
	$(CC) $(CFLAGS) -O2 -DNDEBUG -o $@ $(SIM_DIR)/bench.c \
		$(SIM_LIB_SRCS) $(CORE_SRCS) $(UENV_SRCS)

# libFuzzer needs clang.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	      -fno-sanitize-recover=undefined
$(BUILD)/fuzz_cluster: fuzz/fuzz_cluster.c $(SIM_DEPS) | $(BUILD)
	$(FUZZ_CC) $(filter-out -O2 -g,$(CFLAGS)) $(FUZZ_FLAGS) -o $@ \
		fuzz/fuzz_cluster.c $(SIM_LIB_SRCS) $(CORE_SRCS) $(UENV_SRCS)

# UBSan reports fail the run, LeakSanitizer runs at exit.
SAN_ENV := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	   ASAN_OPTIONS=detect_leaks=1

sim: $(BUILD)/raftsim
	$(SAN_ENV) $(BUILD)/raftsim --tap --schedules $(SIM_SCHEDULES) --seed $(SIM_SEED)

sim-long: $(BUILD)/raftsim
	$(SAN_ENV) $(BUILD)/raftsim --tap --seconds $(SECONDS)

scripts: $(BUILD)/raftscript
	$(SAN_ENV) $(BUILD)/raftscript --tap $(SCRIPTS)

scripts-rewrite: $(BUILD)/raftscript
	$(BUILD)/raftscript --rewrite $(SCRIPTS)

fuzz-smoke: $(BUILD)/fuzz_cluster
	./fuzz/run-smoke $(BUILD)/fuzz_cluster $(FUZZ_SECONDS)

bench: $(BUILD)/raftbench
	$(BUILD)/raftbench

.PHONY: scripts-rewrite
