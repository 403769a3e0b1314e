#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh [uml|x86_64] [BASE]: run the KUnit suite the way kernel
# developers do,
#   ./tools/testing/kunit/kunit.py run --kunitconfig=drivers/char/message_slot
# in the patched tree of release series BASE (default: mainline), on UML
# (default) or x86_64 under QEMU (TCG, with two CPUs so that the race case
# really races). The build directory is cached. Writes "passed failed" to
# kunit-BASE-ARCH.counts.
set -eu
. "$(dirname "$0")/lib.sh"

arch=${1:-uml}
base_series=${2:-$MS_MAINLINE}
check_base "$base_series"
case $arch in
uml) arch_args= qemu_args= ;;
x86_64)
	# UML has no SMP in 6.12, so .kunitconfig cannot ask for it. With
	# two CPUs the kernel refines the TSC calibration and switches
	# clocksource about when the suite runs, and those console lines
	# can land inside the KTAP output and confuse kunit.py's parser;
	# tsc=unstable skips both.
	arch_args="--arch=x86_64 --kconfig_add CONFIG_SMP=y"
	arch_args="$arch_args --kernel_args=tsc=unstable"
	qemu_args="-smp 2 -accel tcg,thread=multi"
	need_packages qemu-system-x86 libelf-dev
	;;
*) die "usage: kunit.sh [uml|x86_64] [BASE]" ;;
esac
need_packages build-essential flex bison bc python3
tree=$("$MS_TOP/scripts/overlay.sh" "$base_series")
log=$MS_LOGS/kunit-$base_series-$arch.log
counts=$MS_CACHE/kunit-$base_series-$arch.counts
rm -f "$counts"

stage "kunit.py run --kunitconfig=drivers/char/message_slot ${arch_args:-(UML)} on $base_series"
# shellcheck disable=SC2086
if ! (cd "$tree" && ./tools/testing/kunit/kunit.py run $arch_args \
	${qemu_args:+--qemu_args="$qemu_args"} \
	--kunitconfig=drivers/char/message_slot \
	--build_dir="$MS_CACHE/kunit-$base_series-$arch" --jobs="$(nproc)" --timeout=900) \
	>"$log" 2>&1; then
	tail -n 25 "$log" | sed 's/^/    /' >&2
	echo "0 1" >"$counts"
	die "KUnit failed on $arch, $base_series; full log: $log"
fi
# Our files build without a warning, like everywhere else.
if grep -E '(drivers/char/message_slot|message_slot\.h).*(warning|error):' "$log"; then
	echo "0 1" >"$counts"
	die "compiler warnings in message_slot files; full log: $log"
fi
summary=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$log" | tail -n 1)
[ -n "$summary" ] || die "no KUnit summary in $log"
passed=$(echo "$summary" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
failed=$(echo "$summary" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
echo "${passed:-0} ${failed:-0}" >"$counts"
stage "KUnit ($arch, $base_series): ${summary#*Testing complete. }"
