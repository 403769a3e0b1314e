#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cross-build.sh BASE [ARCH...]: build the driver and its KUnit module
# with clang (LLVM=1, Debian's clang-19), W=1, for each ARCH on the
# patched tree of release series BASE (empty: mainline), as a module and
# then built in, as the 0-day robot builds a posted patch. ARCH is one of
# x86_64 i386 arm64 riscv64 s390x powerpc64le mips64el; without one, all
# of them on mainline, and arm64 and i386 (64 and 32 bits) on a backport.
#
# Each architecture gets a small configuration of its own (tinyconfig,
# scripts/config/cross.config and what the architecture needs to be the
# one named), and only drivers/char/message_slot/ is built in it. Any
# warning from a message_slot file fails, and so does a reference to a
# 64-bit division helper on a 32-bit architecture.
# Writes "passed failed" to $MS_CACHE/cross-BASE.counts: one check per
# architecture and configuration (=m, =y).
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: cross-build.sh BASE [ARCH...]"
base_series=${1:-$MS_MAINLINE}
shift
check_base "$base_series"
if [ $# = 0 ]; then
	if [ "$base_series" = "$MS_MAINLINE" ]; then
		set -- x86_64 i386 arm64 riscv64 s390x powerpc64le mips64el
	else
		set -- arm64 i386
	fi
fi

# 7.3 needs LLVM 17.0.1 or newer (scripts/min-tool-version.sh).
MS_LLVM_VERSION=19
need_packages "clang-$MS_LLVM_VERSION" "lld-$MS_LLVM_VERSION" \
	"llvm-$MS_LLVM_VERSION" flex bison bc libelf-dev libssl-dev
llvm=LLVM=-$MS_LLVM_VERSION
tree=$("$MS_TOP/scripts/overlay.sh" "$base_series")
counts=$MS_CACHE/cross-$base_series.counts
passed=0 failed=0

# arch_setup ARCH: set karch (the kernel's ARCH=) and extra (the options
# that make tinyconfig the named architecture: word size, endianness).
arch_setup() {
	extra=
	case $1 in
	x86_64 | i386 | arm64) karch=$1 ;;
	riscv64) karch=riscv extra="CONFIG_64BIT=y" ;;
	s390x) karch=s390 ;;
	powerpc64le)
		karch=powerpc
		extra="CONFIG_PPC64=y CONFIG_PPC_BOOK3S_64=y CONFIG_CPU_LITTLE_ENDIAN=y"
		;;
	mips64el)
		karch=mips
		extra="CONFIG_MIPS_GENERIC_KERNEL=y CONFIG_64BIT=y
CONFIG_CPU_MIPS64_R2=y CONFIG_CPU_LITTLE_ENDIAN=y"
		;;
	*) die "unknown architecture '$1'" ;;
	esac
}

# set_driver m|y: the driver and its KUnit module as modules or built in.
set_driver() {
	"$tree/scripts/config" --file "$out/.config" \
		--set-val MESSAGE_SLOT "$1" --set-val MESSAGE_SLOT_KUNIT_TEST "$1"
	make -C "$tree" O="$out" ARCH="$karch" $llvm olddefconfig >/dev/null
	grep -qx "CONFIG_MESSAGE_SLOT=$1" "$out/.config" &&
		grep -qx "CONFIG_MESSAGE_SLOT_KUNIT_TEST=$1" "$out/.config"
}

# build_one ARCH m|y: one check of the matrix.
build_one() {
	_name=cross-$base_series-$1-$2
	_log=$MS_LOGS/$_name.log
	if ! set_driver "$2" >"$_log" 2>&1; then
		stage "$1 =$2: the configuration lost message_slot ($out/.config)"
		return 1
	fi
	touch "$tree"/drivers/char/message_slot/*.c
	if ! make -C "$tree" O="$out" ARCH="$karch" $llvm W=1 \
		-j"$(nproc)" drivers/char/message_slot/ >>"$_log" 2>&1; then
		stage "$1 =$2: build failed; log: $_log"
		tail -n 15 "$_log" | sed 's/^/    /' >&2
		return 1
	fi
	if grep -E 'message_slot.*(warning|error):' "$_log" >&2; then
		stage "$1 =$2: warnings in message_slot files; log: $_log"
		return 1
	fi
	_objs=$(find "$out/drivers/char/message_slot" -name '*.o' \
		! -name '*.mod.o' ! -name built-in.a)
	[ -n "$_objs" ] || { stage "$1 =$2: no object built; log: $_log"; return 1; }
	# A 32-bit kernel has no __udivdi3 and friends: u64 division goes
	# through div_u64() and its kin.
	# shellcheck disable=SC2086
	_helpers=$("llvm-nm-$MS_LLVM_VERSION" -u $_objs |
		grep -oE '__(u?div|u?mod)di3' | sort -u | paste -sd ' ')
	if [ -n "$_helpers" ]; then
		stage "$1 =$2: references 64-bit division helpers: $_helpers"
		return 1
	fi
	_nr=$(echo "$_objs" | wc -l)
	stage "$1 =$2: $_nr objects, no warning (W=1, clang-$MS_LLVM_VERSION)"
}

for arch in "$@"; do
	arch_setup "$arch"
	out=$MS_CACHE/build-$base_series-cross-$arch
	fragment=$MS_TOP/scripts/config/cross.config
	key=$( (cat "$fragment"; echo "$extra") | sha256sum | cut -c1-16)
	if [ "$(cat "$out/.ms-config-key" 2>/dev/null)" != "$key" ]; then
		stage "configuring $arch on $base_series (tinyconfig + cross.config${extra:+ + $(echo $extra)})"
		mkdir -p "$out"
		echo "$extra" | tr ' ' '\n' >"$out/arch.config"
		run_logged "cross-$base_series-$arch-config" sh -c "
			make -C '$tree' O='$out' ARCH=$karch $llvm tinyconfig &&
			'$tree/scripts/kconfig/merge_config.sh' -m -O '$out' \
				'$out/.config' '$fragment' '$out/arch.config' &&
			make -C '$tree' O='$out' ARCH=$karch $llvm olddefconfig"
		for option in $extra; do
			grep -qx "$option" "$out/.config" ||
				die "$arch: $option did not survive olddefconfig ($out/.config)"
		done
		echo "$key" >"$out/.ms-config-key"
	fi
	stage "building message_slot for $arch on $base_series (=m, then =y)"
	for driver in m y; do
		if build_one "$arch" "$driver"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
done
echo "$passed $failed" >"$counts"
stage "cross builds on $base_series: $passed passed, $failed failed"
[ "$failed" = 0 ]
