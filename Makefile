# SPDX-License-Identifier: GPL-2.0
#
# message_slot: see README.md.
#
#   make          build message_slot.ko for the running kernel (or KDIR=...)
#                 and the two sample programs, into this directory
#   make demo     boot Debian's 6.12 cloud kernel in QEMU and run the demo
#   make check    the tests CI runs (VMs included), within an hour cold
#   make check-full
#                 make check and the rest: the cross-build matrix, a
#                 riscv64 boot, the debug (KASAN), built-in, coverage and
#                 KCSAN kernels and the benchmark's smoke test
#   make bench    benchmark against pipes, /dev/zero and friends in a VM;
#                 writes bench/results.md and bench/scaling.png
#   make results  rewrite README.md's results table from the last
#                 make check's VM runs
#   make clean    remove what `make` built
#
#   make series                  the series' scratch branches: the base
#                                with patches/ applied by git am
#   make fixup PATCH=N [FILES="..."]
#                                fold what the files change into patch N
#                                of each series (git commit --fixup,
#                                rebase --autosquash)
#   make patches                 write the branches back to patches/
#                                (mainline, 7.3) and patches/6.12/ (the LTS
#                                backport); fails while the files differ
#                                from the series' final tree
#   MS_SENDER=git make patches   the same series, authored and signed off
#                                by git config's identity, into outgoing/
#                                (or MS_SENDER="Name <address>")
#   make move-base               pin the newest release Debian serves as
#                                mainline, and regenerate the patches
#   make apply KERNEL=DIR        apply the series matching your tree's
#                                version (7.3 or 6.12)
#   make kernel [BASE=6.12] [KCONFIG=FILE]
#                                build a kernel with message_slot built in,
#                                on 7.3 by default
#   make kernel-test             boot that kernel and run the selftests
#   make kunit [BASE=6.12]       the KUnit suite on UML (also in make check)
#   make kunit-x86_64            the KUnit suite through kunit.py on x86_64
#                                under QEMU, 7.3 (make check runs the suite
#                                on x86_64 in the coverage boot instead)
#   make kunit-coverage          line coverage of the KUnit suite and the
#                                selftests, with gcov, 7.3 (also in make check)
#   make check-clang             build message_slot on 7.3 with clang-19
#                                for x86_64, W=1, no warnings
#   make cross-build [BASE=6.12] [ARCHS="arm64 i386"]
#                                the cross-build matrix of check-full
#   make cross-vm ARCH=i386|riscv64
#                                boot a small kernel of ARCH and run the
#                                kselftests with run_kselftest.sh, and KUnit
#   make dkms-check              dkms.conf with Debian's dkms: add, build and
#                                install for the 6.12 cloud kernel, boot it
#                                and run the functional tests (also in make
#                                check; needs root, leaves dkms as it was)

KDIR ?= /lib/modules/$(shell uname -r)/build
OUT ?= $(CURDIR)/build
CC ?= gcc
SAMPLES := message_sender message_reader message_channel

KOUT ?= $(OUT)/kernel
# The release series of `make kernel` and `make kunit`: empty for
# mainline, or one of scripts/bases.
BASE ?=

# Empty: the whole matrix of make check-full for that base.
ARCHS ?=
ARCH ?= i386

.PHONY: all module samples demo check check-full cross-build cross-vm results clean series fixup patches move-base apply kernel kernel-test \
	kunit kunit-x86_64 kunit-coverage check-clang bench dkms-check

all: module samples
	@echo "built: $(CURDIR)/message_slot.ko $(addprefix $(CURDIR)/,$(SAMPLES))"

module:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "error: no kernel headers at $(KDIR)." >&2; \
		echo "error: install them (Debian/Ubuntu: apt-get install linux-headers-$$(uname -r)) or set KDIR=/path/to/kernel/build" >&2; \
		exit 1; \
	fi
	@scripts/build-oot.sh "$(KDIR)" "$(OUT)/module" >/dev/null
	@cp "$(OUT)/module/message_slot.ko" message_slot.ko

samples: $(SAMPLES)

$(SAMPLES): %: samples/message_slot/%.c include/uapi/linux/message_slot.h
	$(CC) -O3 -Wall -std=c11 -Iinclude/uapi -o $@ $<

demo:
	@scripts/demo.sh

check:
	@scripts/check.sh

check-full:
	@scripts/check.sh --full

cross-build:
	@scripts/cross-build.sh "$(BASE)" $(ARCHS)

cross-vm:
	@scripts/cross-vm.sh $(ARCH)

bench:
	@scripts/bench.sh

results:
	@scripts/results.sh

series:
	@for base in $$(awk '!/^#/ && NF { print $$1 }' scripts/bases); do \
		scripts/series.sh $$base || exit 1; \
	done

fixup:
	@scripts/fixup.sh "$(PATCH)" $(FILES)

patches:
	@scripts/patches.sh

move-base:
	@scripts/move-base.sh

apply:
	@scripts/apply.sh "$(KERNEL)"

kernel:
	@scripts/kernel.sh "$(KOUT)" "$(KCONFIG)" $(BASE)

kernel-test:
	@[ -f "$(KOUT)/bzImage" ] || { echo "error: no $(KOUT)/bzImage; run make kernel first" >&2; exit 1; }
	@scripts/build-userspace.sh >/dev/null
	@scripts/vm-run.sh kernel-test "$(KOUT)/bzImage" test

kunit:
	@scripts/kunit.sh uml $(BASE)

kunit-x86_64:
	@scripts/kunit.sh x86_64

kunit-coverage:
	@scripts/kunit-coverage.sh

check-clang:
	@scripts/cross-build.sh "" x86_64

dkms-check:
	@scripts/build-userspace.sh >/dev/null
	@scripts/dkms-check.sh

clean:
	rm -rf "$(OUT)" message_slot.ko $(SAMPLES)
