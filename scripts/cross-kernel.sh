#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cross-kernel.sh ARCH: build a small bootable mainline kernel for ARCH
# (i386 or riscv64) with clang (LLVM=1, Debian's clang-19): tinyconfig,
# scripts/config/boot.config, the config fragment of the series'
# selftests, as a kselftest runner's CI would configure it, and
# scripts/config/boot-ARCH.config. W=1 warnings in our files fail the build. The
# modules, if any, are installed under the build's modroot/, and the
# uapi headers under usr/include.
# Prints the build directory on stdout; its kernel image is named in the
# file image in it.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: cross-kernel.sh i386|riscv64"
arch=$1
case $arch in
i386) karch=i386 image=arch/x86/boot/bzImage ;;
riscv64) karch=riscv image=arch/riscv/boot/Image ;;
*) die "no bootable kernel for '$arch'" ;;
esac

llvm=LLVM=-19
need_packages clang-19 lld-19 llvm-19 flex bison bc libelf-dev libssl-dev \
	kmod cpio
tree=$("$MS_TOP/scripts/overlay.sh" "$MS_MAINLINE")
out=$MS_CACHE/build-$MS_MAINLINE-boot-$arch
# The architecture's fragment comes last and wins, as in merge_config:
# riscv64 builds the driver in, where the selftests' fragment asks for a
# module.
fragments="$MS_TOP/scripts/config/boot.config
$tree/tools/testing/selftests/drivers/message_slot/config
$MS_TOP/scripts/config/boot-$arch.config"
mkdir -p "$out"

# shellcheck disable=SC2086
key=$(cat $fragments | sha256sum | cut -c1-16)
if [ "$(cat "$out/.ms-config-key" 2>/dev/null)" != "$key" ]; then
	stage "configuring the $arch kernel on $MS_MAINLINE (tinyconfig + boot, boot-$arch and the selftests' config)"
	# shellcheck disable=SC2086
	run_logged "kernel-$MS_MAINLINE-$arch-config" sh -c "
		make -C '$tree' O='$out' ARCH=$karch $llvm tinyconfig &&
		'$tree/scripts/kconfig/merge_config.sh' -m -O '$out' \
			'$out/.config' $(echo $fragments) &&
		make -C '$tree' O='$out' ARCH=$karch $llvm olddefconfig"
	# shellcheck disable=SC2086
	lost=$(lost_options "$out/.config" $fragments)
	[ -z "$lost" ] || die "$arch kernel config lost:$lost (see $out/.config)"
	echo "$key" >"$out/.ms-config-key"
fi

built_key=$(built_key "$MS_MAINLINE" "$out")
if [ -f "$out/$image" ] &&
   [ "$(cat "$out/.ms-built-key" 2>/dev/null)" = "$built_key" ]; then
	stage "the $arch kernel on $MS_MAINLINE is up to date ($out)"
	echo "$out"
	exit 0
fi
rm -f "$out/.ms-built-key"
touch "$tree"/drivers/char/message_slot/*.c
stage "building the $arch kernel on $MS_MAINLINE with clang-19 in $out"
log=$MS_LOGS/kernel-$MS_MAINLINE-$arch-w1.log
run_logged "kernel-$MS_MAINLINE-$arch-w1" make -C "$tree" O="$out" \
	ARCH=$karch $llvm W=1 -j"$(nproc)" drivers/char/message_slot/
if grep -E 'message_slot.*(warning|error):' "$log"; then
	die "W=1 warnings in message_slot files; full log: $log"
fi
run_logged "kernel-$MS_MAINLINE-$arch-build" make -C "$tree" O="$out" \
	ARCH=$karch $llvm -j"$(nproc)" all headers
rm -rf "$out/modroot"
if grep -q '^CONFIG_MODULES=y' "$out/.config"; then
	run_logged "kernel-$MS_MAINLINE-$arch-modules" make -C "$tree" O="$out" \
		ARCH=$karch $llvm INSTALL_MOD_PATH="$out/modroot" modules_install
fi
echo "$image" >"$out/image"
echo "$built_key" >"$out/.ms-built-key"
echo "$out"
