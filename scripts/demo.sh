#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The seed's "How to use", for real: build the module against Debian's
# 6.12 cloud kernel, boot that kernel in QEMU, and run insmod, mknod,
# message_sender and message_reader inside it; then what came after the
# seed: the device node the module makes, message_reader --follow woken
# by poll(), message_channel, the sysfs statistics, and 32-bit builds of
# the samples. No kernel build needed.
set -eu
. "$(dirname "$0")/lib.sh"

need_packages build-essential gcc-multilib qemu-system-x86 busybox-static cpio
release=$(cloud_release)
ko=$("$MS_TOP/scripts/build-oot.sh" "/usr/src/linux-headers-$release" \
	"$MS_CACHE/oot-$release")

userspace=$MS_CACHE/demo-userspace
mkdir -p "$userspace"
for prog in message_sender message_reader message_channel; do
	for abi in 64 32; do
		name=$prog
		[ $abi = 64 ] || name=${prog}_32
		run_logged "demo-$name" gcc -m$abi -static -O2 -Wall -std=c11 \
			-I"$MS_TOP/include/uapi" -o "$userspace/$name" \
			"$MS_TOP/samples/message_slot/$prog.c"
	done
done

MS_USERSPACE=$userspace "$MS_TOP/scripts/vm-run.sh" demo \
	"/boot/vmlinuz-$release" demo "$ko"
transcript=$MS_CACHE/runs/demo/output.log
echo "Inside the VM (Linux $release):"
grep -v '^MS-' "$transcript"
grep -qx 'hello world' "$transcript" ||
	die "the demo did not read back 'hello world'; see $transcript"
grep -q '^MS-EXIT demo 0$' "$transcript" ||
	die "the demo failed; see $transcript"
