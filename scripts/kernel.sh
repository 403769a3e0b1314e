#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh OUTDIR [KCONFIG]: build a kernel image from the pinned base
# with patches/ applied and CONFIG_MESSAGE_SLOT=y, starting from KCONFIG
# (a .config of the user's) or, by default, tinyconfig plus
# scripts/config/vm.config: a small x86_64 kernel that boots in QEMU.
# Writes bzImage, .config and System.map into OUTDIR.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: kernel.sh OUTDIR [KCONFIG]"
dest=$1 kconfig=${2:-}
[ -z "$kconfig" ] || [ -f "$kconfig" ] || die "no config file at $kconfig"
need_packages build-essential flex bison bc libelf-dev libssl-dev

base=$("$MS_TOP/scripts/base-tree.sh")
tree=$MS_CACHE/kernel-tree
build=$MS_CACHE/build-kernel
key=$(cat "$MS_TOP"/patches/*.patch | sha256sum | cut -c1-16)
if [ "$(cat "$tree/.git/ms-series" 2>/dev/null)" != "$key" ]; then
	stage "applying patches/ to a copy of the base"
	git -C "$tree" cat-file -e "$(git -C "$base" rev-parse HEAD)" 2>/dev/null ||
		rm -rf "$tree"
	[ -d "$tree/.git" ] ||
		run_logged kernel-clone git clone -q --shared "$base" "$tree"
	git -C "$tree" checkout -q -f -B kernel "$(git -C "$base" rev-parse HEAD)"
	"$MS_TOP/scripts/apply.sh" "$tree" >/dev/null
	echo "$key" >"$tree/.git/ms-series"
fi

mkdir -p "$build"
if [ -n "$kconfig" ]; then
	stage "configuring from $kconfig, with CONFIG_MESSAGE_SLOT=y"
	cp "$kconfig" "$build/.config"
	run_logged kernel-config make -C "$tree" O="$build" olddefconfig
else
	stage "configuring tinyconfig + scripts/config/vm.config, CONFIG_MESSAGE_SLOT=y"
	run_logged kernel-config sh -c "
		make -C '$tree' O='$build' tinyconfig &&
		'$tree/scripts/kconfig/merge_config.sh' -m -O '$build' \
			'$build/.config' '$MS_TOP/scripts/config/vm.config'"
fi
"$tree/scripts/config" --file "$build/.config" --enable MESSAGE_SLOT
run_logged kernel-olddefconfig make -C "$tree" O="$build" olddefconfig
grep -qx 'CONFIG_MESSAGE_SLOT=y' "$build/.config" ||
	die "CONFIG_MESSAGE_SLOT=y did not survive olddefconfig (see $build/.config)"

stage "building the kernel (log: $MS_LOGS/kernel-build.log)"
run_logged kernel-build make -C "$tree" O="$build" -j"$(nproc)" bzImage
mkdir -p "$dest"
cp "$build/arch/x86/boot/bzImage" "$build/.config" "$build/System.map" "$dest/"
stage "kernel: $(cd "$dest" && pwd)/{bzImage,.config,System.map}"
