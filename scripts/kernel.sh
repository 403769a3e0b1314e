#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh OUTDIR [KCONFIG] [BASE]: build a kernel image of release series
# BASE (default: mainline, the first of scripts/bases) with its series
# applied (patches/, or patches/BASE/ for a backport) and
# CONFIG_MESSAGE_SLOT=y, starting from KCONFIG (a .config of the user's)
# or, by default, tinyconfig plus scripts/config/vm.config: a small x86_64
# kernel that boots in QEMU. Writes bzImage, .config and System.map into
# OUTDIR.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: kernel.sh OUTDIR [KCONFIG] [BASE]"
dest=$1 kconfig=${2:-} base_series=${3:-$MS_MAINLINE}
check_base "$base_series"
[ -z "$kconfig" ] || [ -f "$kconfig" ] || die "no config file at $kconfig"
need_packages build-essential flex bison bc libelf-dev libssl-dev

base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
tree=$MS_CACHE/kernel-tree-$base_series
build=$MS_CACHE/build-kernel-$base_series
patches=$(patches_dir "$base_series")
key=$(cat "$patches"/*.patch | sha256sum | cut -c1-16)
if [ "$(cat "$tree/.git/ms-series" 2>/dev/null)" != "$key" ]; then
	stage "applying ${patches#"$MS_TOP"/} to a copy of the $base_series base"
	git -C "$tree" cat-file -e "$(git -C "$base" rev-parse HEAD)" 2>/dev/null ||
		rm -rf "$tree"
	[ -d "$tree/.git" ] ||
		run_logged "kernel-clone-$base_series" git clone -q --shared "$base" "$tree"
	git -C "$tree" checkout -q -f -B kernel "$(git -C "$base" rev-parse HEAD)"
	"$MS_TOP/scripts/apply.sh" "$tree" >/dev/null
	echo "$key" >"$tree/.git/ms-series"
fi

mkdir -p "$build"
if [ -n "$kconfig" ]; then
	stage "configuring from $kconfig, with CONFIG_MESSAGE_SLOT=y"
	cp "$kconfig" "$build/.config"
	run_logged "kernel-config-$base_series" make -C "$tree" O="$build" olddefconfig
else
	stage "configuring tinyconfig + scripts/config/vm.config, CONFIG_MESSAGE_SLOT=y"
	run_logged "kernel-config-$base_series" sh -c "
		make -C '$tree' O='$build' tinyconfig &&
		'$tree/scripts/kconfig/merge_config.sh' -m -O '$build' \
			'$build/.config' '$MS_TOP/scripts/config/vm.config'"
fi
"$tree/scripts/config" --file "$build/.config" --enable MESSAGE_SLOT
run_logged "kernel-olddefconfig-$base_series" make -C "$tree" O="$build" olddefconfig
grep -qx 'CONFIG_MESSAGE_SLOT=y' "$build/.config" ||
	die "CONFIG_MESSAGE_SLOT=y did not survive olddefconfig (see $build/.config)"

stage "building the $base_series kernel (log: $MS_LOGS/kernel-build-$base_series.log)"
run_logged "kernel-build-$base_series" make -C "$tree" O="$build" -j"$(nproc)" bzImage
mkdir -p "$dest"
cp "$build/arch/x86/boot/bzImage" "$build/.config" "$build/System.map" "$dest/"
stage "kernel: Linux $(make -s -C "$tree" kernelversion) in $(cd "$dest" && pwd)/{bzImage,.config,System.map}"
