#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the patched mainline tree with clang (Debian's clang-16, LLVM=-16), the
# driver as a module and its KUnit test, with W=1: no warning may come
# from message_slot files. Kept out of `make check` for its cost (a whole
# kernel build on the first run).
set -eu
. "$(dirname "$0")/lib.sh"

need_packages clang-16 lld-16 llvm-16 flex bison bc libelf-dev libssl-dev
tree=$("$MS_TOP/scripts/overlay.sh" "$MS_MAINLINE")
out=$MS_CACHE/build-clang-$MS_MAINLINE
llvm="LLVM=-16"
if [ ! -f "$out/.config" ]; then
	stage "configuring the clang kernel (tinyconfig + vm.config)"
	run_logged clang-config sh -c "
		make -C '$tree' O='$out' $llvm tinyconfig &&
		'$tree/scripts/kconfig/merge_config.sh' -m -O '$out' \
			'$out/.config' '$MS_TOP/scripts/config/vm.config' &&
		'$tree/scripts/config' --file '$out/.config' --enable KUNIT \
			--module MESSAGE_SLOT_KUNIT_TEST &&
		make -C '$tree' O='$out' $llvm olddefconfig"
fi
touch "$tree"/drivers/char/message_slot/*.c
stage "building with clang-16, W=1 (log: $MS_LOGS/clang-build.log)"
run_logged clang-build make -C "$tree" O="$out" $llvm W=1 -j"$(nproc)" all
if grep -E 'message_slot.*(warning|error):' "$MS_LOGS/clang-build.log"; then
	die "clang warnings in message_slot files; full log: $MS_LOGS/clang-build.log"
fi
grep -q 'message_slot' "$MS_LOGS/clang-build.log" ||
	die "clang build did not compile message_slot; see $MS_LOGS/clang-build.log"
stage "clang on $MS_MAINLINE: message_slot builds with no warning"
