# SPDX-License-Identifier: GPL-2.0
#
# raftblk top-level Makefile.
#
#   make            build kernel/raftblk.ko and userspace/raftctl/raftctl
#   make demo       build, boot VMs, show /dev/raftblk0 in use
#   make check      every test; last line "N passed, N failed, N skipped"
#   make check-debug [SUITES="..."]  the kernel suites on a debug kernel
#                   (KASAN, lockdep, kmemleak, fault injection); builds and
#                   caches that kernel first (an hour or more, once)
#   make sim-long SECONDS=3600   long randomized simulator run
#   make crash-long  the log store's power-cuts that lose unflushed writes,
#                    with many more crash states (REPLAY_SEED=N to replay)
#   make mutants    the simulator must catch every planted core mutant
#   make bench      fio benchmarks against plain disk and DRBD
#   make install    module (via kbuild), raftctl, man pages, completion,
#                   systemd unit, modules-load.d entry
#                   (install-module, install-userspace: either part alone)
#   make deb        Debian packages raftblk-dkms and raftctl in build/deb/
#                   (dpkg-buildpackage on a copy of the tree; installs
#                   debhelper and dh-dkms first, as root)
#
# Both demo and check install their Debian dependencies first (as root).

# Kernel to build against: running kernel's headers if present, else the
# newest installed Debian linux-headers-*-amd64.
KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

PREFIX ?= /usr/local
DESTDIR ?=
# systemd searches /usr/local/lib too (systemd.unit(5), modules-load.d(5)).
UNITDIR ?= $(PREFIX)/lib/systemd/system
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d

.PHONY: all module raftctl deps check check-debug demo sim-long crash-long \
	mutants bench nemesis install install-module install-userspace deb \
	clean dkms-build

all: module raftctl

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

raftctl:
	$(MAKE) -C userspace/raftctl

deps:
	@scripts/install-deps

check: deps
	@tools/testing/check

check-debug: deps
	@tools/testing/check-debug $(SUITES)

demo: deps
	$(MAKE) all
	tools/testing/vm/demo

sim-long:
	$(MAKE) -C tools/testing/raft sim-long SECONDS=$(or $(SECONDS),3600)

crash-long:
	$(MAKE) -C tools/testing/formats kreplay-long

# Faults across VMs with a history checker (tools/testing/vm/nemesis/README.md):
# make nemesis MINUTES=N [SEED=S] [NODES=5] [FAULTS=kill,stop,...]
nemesis: deps all
	tools/testing/vm/nemesis/run --minutes $(or $(MINUTES),10) \
		--nodes $(or $(NODES),3) $(if $(SEED),--seed $(SEED)) \
		$(if $(FAULTS),--faults $(FAULTS))

mutants:
	$(MAKE) -C tools/testing/raft mutants

bench: deps all
	tools/testing/bench/run

install: install-module install-userspace

install-module: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR))

install-userspace: raftctl
	$(MAKE) -C userspace/raftctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' userspace/systemd/raftblk@.service.in \
		>userspace/systemd/raftblk@.service
	install -D -m 0644 userspace/systemd/raftblk@.service \
		$(DESTDIR)$(UNITDIR)/raftblk@.service
	install -D -m 0644 userspace/systemd/raftblk.modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/raftblk.conf

# Debian packages (debian/, scripts/build-deb); DEB_OUT= another folder.
deb:
	@scripts/install-deps deb
	scripts/build-deb $(or $(DEB_OUT),build/deb)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace/raftctl clean
	-$(MAKE) -C tools/testing/raft clean
	-$(MAKE) -C tools/testing/logwrites clean
	-$(MAKE) -C tools/testing/vm/nemesis clean
	rm -rf tools/testing/results userspace/systemd/raftblk@.service build/deb
