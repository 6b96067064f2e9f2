# SPDX-License-Identifier: GPL-2.0
#
# The one userspace platform of the portable code's tests (raft_uenv.h:
# allocation with failure injection, assertions, logging, payloads) and
# the userspace crc32c. Included by tools/testing/{raft,wire,formats}/
# Makefile after they set TOP.

UENV_DIR := $(TOP)/tools/testing/lib
# raft_uenv.h, and portable.h and raft/env.h from kernel/.
UENV_INC := -I$(UENV_DIR) -I$(TOP)/kernel
UENV_SRCS := $(UENV_DIR)/uenv.c $(UENV_DIR)/crc32c.c
UENV_HDRS := $(UENV_DIR)/raft_uenv.h $(TOP)/kernel/portable.h \
	     $(TOP)/kernel/raft/env.h
