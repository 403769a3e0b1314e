#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cross-vm.sh ARCH: boot a small mainline kernel of ARCH (i386 or riscv64,
# scripts/cross-kernel.sh) in QEMU and run, as upstream CI does, the
# series' kselftests, installed with the selftests' `make install` and
# started by the installed run_kselftest.sh; then the samples' tests, a
# short stress test and the KUnit suite. All programs are static, built
# for ARCH: with gcc -m32 for i386, with clang-19 and Debian's riscv64
# cross C library for riscv64.
#
# On i386 the driver and its KUnit suite are modules that nothing loads
# before the tests: the selftests load the driver themselves. On riscv64
# they are built in, and the suite runs at boot. Counts go to
# $MS_CACHE/runs/ARCH/counts (see scripts/vm-run.sh).
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: cross-vm.sh i386|riscv64"
arch=$1
case $arch in
i386)
	need_packages gcc-multilib rsync
	cc="gcc -m32"
	;;
riscv64)
	need_packages clang-19 lld-19 rsync libc6-dev-riscv64-cross \
		libgcc-12-dev-riscv64-cross
	cc="clang-19 --target=riscv64-linux-gnu -fuse-ld=lld"
	;;
*) die "no VM for '$arch'" ;;
esac

kernel=$("$MS_TOP/scripts/cross-kernel.sh" "$arch")
busybox=$("$MS_TOP/scripts/busybox.sh" "$arch")
tree=$MS_CACHE/tree-$MS_MAINLINE
ksft=$tree/tools/testing/selftests
userspace=$MS_CACHE/userspace-$arch
installed=$MS_CACHE/kselftest-$arch
rm -rf "$userspace" "$installed"
mkdir -p "$userspace"

stage "building the selftests ($cc, static) and installing them as kselftest does"
# In a build directory of this architecture's own (O=): built in the
# tree, the programs of the last architecture would look up to date.
# The *_32 twins of the tests are for 64-bit kernels: here they would
# only run the same programs twice.
rm -rf "$MS_CACHE/kselftest-build-$arch"
run_logged "kselftest-install-$arch" make -C "$ksft" \
	O="$MS_CACHE/kselftest-build-$arch" \
	TARGETS=drivers/message_slot INSTALL_PATH="$installed" CC="$cc" \
	USERLDFLAGS=-static CAN_BUILD_I386=0 \
	KHDR_INCLUDES="-isystem $kernel/usr/include" install
run_logged "userspace-tests-$arch" make -C "$MS_TOP/tests" KSFT_DIR="$ksft" \
	OUTPUT="$userspace" CC="$cc" USERLDFLAGS=-static CAN_BUILD_I386=0 \
	KHDR_INCLUDES="-isystem $kernel/usr/include" \
	"$userspace/message_slot_samples" "$userspace/message_slot_stress" \
	"$userspace/message_sender" "$userspace/message_reader" \
	"$userspace/message_channel"
for log in "kselftest-install-$arch" "userspace-tests-$arch"; do
	! grep -q 'warning:' "$MS_LOGS/$log.log" ||
		die "compiler warnings; full log: $MS_LOGS/$log.log"
done
[ -x "$installed/run_kselftest.sh" ] ||
	die "no run_kselftest.sh in $installed; log: $MS_LOGS/kselftest-install-$arch.log"
# Byte 18 of an ELF header is its machine: 3 for i386, 243 for RISC-V.
case $arch in i386) machine=3 ;; riscv64) machine=243 ;; esac
for prog in "$installed"/drivers/message_slot/message_slot_* "$userspace"/*; do
	[ "$(od -An -tu1 -j18 -N1 "$prog" | tr -d ' ')" = "$machine" ] ||
		die "$prog is not a program for $arch"
done

modroot=
[ ! -d "$kernel/modroot/lib" ] || modroot=$kernel/modroot
MS_VM_ARCH=$arch MS_BUSYBOX=$busybox MS_USERSPACE=$userspace \
MS_MODROOT=$modroot MS_KSELFTEST=$installed MS_KUNIT=1 \
MS_TESTS="message_slot_samples message_slot_stress" MS_STRESS_OPS=20000 \
MS_VM_TIMEOUT=${MS_VM_TIMEOUT:-900} \
	"$MS_TOP/scripts/vm-run.sh" "$arch" "$kernel/$(cat "$kernel/image")" test
