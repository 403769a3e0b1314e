#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh VARIANT [BASE]: build the patched tree of release series
# BASE (default: mainline, the first of scripts/bases) for QEMU into the
# cache.
#   debug    tinyconfig + scripts/config/{vm,debug}.config, message_slot=m
#   builtin  the same with scripts/config/{builtin,coverage}.config:
#            message_slot=y, the in-tree samples, and gcov of message_slot
#            with its KUnit suite built in (the coverage lane boots it)
#   kcsan    tinyconfig + scripts/config/{vm,kcsan}.config: the data race
#            detector, message_slot=m
# The build is incremental; W=1 warnings in our files fail it.
# Prints the build directory on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

variant=${1:-}
base_series=${2:-$MS_MAINLINE}
check_base "$base_series"
case $variant in
debug) fragments="vm debug" ;;
builtin) fragments="vm debug builtin coverage" ;;
kcsan) fragments="vm kcsan" ;;
*) die "usage: build-kernel.sh debug|builtin|kcsan [BASE]" ;;
esac

need_packages build-essential flex bison bc libelf-dev libssl-dev \
	python3 kmod cpio
tree=$("$MS_TOP/scripts/overlay.sh" "$base_series")
out=$MS_CACHE/build-$base_series-$variant
frag_files=
for f in $fragments; do
	frag_files="$frag_files $MS_TOP/scripts/config/$f.config"
done

# A builtin build starts as a copy of the debug one: only what the
# option touches is rebuilt.
debug=$MS_CACHE/build-$base_series-debug
if [ "$variant" = builtin ] && [ ! -d "$out" ] && [ -d "$debug" ]; then
	cp -a "$debug" "$out"
	rm -f "$out/.ms-config-key"
fi
mkdir -p "$out"

# shellcheck disable=SC2086
key=$(cat $frag_files "$MS_TOP/wiring/"*.diff | sha256sum | cut -c1-16)
if [ "$(cat "$out/.ms-config-key" 2>/dev/null)" != "$key" ]; then
	stage "configuring the $variant kernel on $base_series ($fragments)"
	run_logged "kernel-$base_series-$variant-config" sh -c "
		make -C '$tree' O='$out' tinyconfig &&
		'$tree/scripts/kconfig/merge_config.sh' -m -O '$out' \
			'$out/.config' $frag_files &&
		make -C '$tree' O='$out' olddefconfig"
	# Every option we asked for must have survived olddefconfig.
	# shellcheck disable=SC2086
	lost=$(lost_options "$out/.config" $frag_files)
	[ -z "$lost" ] ||
		die "$variant kernel config lost:$lost (see $out/.config)"
	echo "$key" >"$out/.ms-config-key"
fi

# Nothing to do when neither the tree nor the configuration changed since
# the last build that passed the W=1 check below.
built_key=$(built_key "$base_series" "$out")
if [ -f "$out/arch/x86/boot/bzImage" ] &&
   [ "$(cat "$out/.ms-built-key" 2>/dev/null)" = "$built_key" ]; then
	stage "the $variant kernel on $base_series is up to date ($out)"
	echo "$out"
	exit 0
fi
rm -f "$out/.ms-built-key"
# First our files with W=1, every time, so that their warnings are always
# in the log. Only ours: W=1 over the whole tree would double its build
# time (on 7.3 it runs the Python kernel-doc on every file) to report
# warnings in code that is not ours. The whole kernel comes second, and
# compiles our files once more without W=1, so that every object in it,
# and every gcov notes file of the built-in kernel, comes from that build.
touch "$tree"/drivers/char/message_slot/*.c "$tree"/samples/message_slot/*.c
stage "building the $variant kernel on $base_series in $out"
log=$MS_LOGS/kernel-$base_series-$variant-w1.log
run_logged "kernel-$base_series-$variant-w1" make -C "$tree" O="$out" W=1 \
	-j"$(nproc)" headers drivers/char/message_slot/ samples/message_slot/
grep -q 'message_slot/main\.o' "$log" ||
	die "the W=1 build did not compile message_slot; log: $log"
if grep -iE '(warning|error):' "$log"; then
	die "W=1 warnings in message_slot files; full log: $log"
fi
run_logged "kernel-$base_series-$variant-build" make -C "$tree" O="$out" \
	-j"$(nproc)" all
echo "$built_key" >"$out/.ms-built-key"
echo "$out"
