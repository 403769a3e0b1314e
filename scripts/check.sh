#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything `make check` verifies, one line per stage; with --full,
# what `make check-full` adds (see README). Each stage's full log is in
# $MS_CACHE/logs; a failed stage prints where. Ends with the line
# "N passed, N failed": tests from every VM run, plus one per build or
# static check.
set -eu
. "$(dirname "$0")/lib.sh"

full=
case ${1:-} in
'') ;;
--full) full=1 ;;
*) die "usage: check.sh [--full]" ;;
esac

passed=0
failed=0
failed_stages=

# check NAME CMD...: run one stage that counts as one check.
check() {
	_name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_stages="$failed_stages $_name"
		printf 'FAILED: %s\n' "$_name" >&2
		return 1
	fi
}

# counted NAME COUNTS CMD...: run a stage that writes "passed failed" to
# the file COUNTS, and add those; a stage that leaves no counts failed.
counted() {
	_name=$1 _counts=$2
	shift 2
	rm -f "$_counts"
	"$@" || failed_stages="$failed_stages $_name"
	if [ -f "$_counts" ]; then
		read -r _p _f _rest <"$_counts"
	else
		_p=0 _f=1
	fi
	passed=$((passed + _p))
	failed=$((failed + _f))
}

# vm_check NAME KERNEL [MODULE]: a selftest VM run, counted by test; not
# booted again when nothing it depends on changed since it last passed.
vm_check() {
	MS_VM_CACHE=1 counted "$1" "$MS_CACHE/runs/$1/counts" \
		"$MS_TOP/scripts/vm-run.sh" "$1" "$2" "${MS_VM_MODE:-test}" ${3:+"$3"}
}

start=$(date +%s)
stage "message_slot check${full:+ (full)} (cache: $MS_CACHE; mainline $MS_MAINLINE, backports:" \
	"${MS_BASES#"$MS_MAINLINE "})"
# The README's table must not show an earlier check's runs.
for run in cloud dkms debug builtin kcsan i386 riscv64; do
	rm -rf "${MS_CACHE:?}/runs/$run"
done
for base_series in $MS_BASES; do
	"$MS_TOP/scripts/base-tree.sh" "$base_series" >/dev/null
done
"$MS_TOP/scripts/build-userspace.sh" >/dev/null

# The driver's barrier pairings, as litmus tests against the kernel's
# memory model: x86-64, where every VM runs, hides a missing barrier.
counted litmus "$MS_CACHE/litmus.counts" "$MS_TOP/scripts/check-litmus.sh" \
	"$MS_CACHE/litmus.counts" || true

# What every base gets: the KUnit suite as kernel developers run it,
# kunit.py on UML, the patch series as users and maintainers receive
# them, and make apply. The series checks mostly keep one CPU busy
# (checkpatch, coccicheck, Sphinx, git, small builds); the kernel lanes
# below keep two busy while they build and about one while a VM boots.
# So the two run side by side, and their lines, each naming its base,
# come as they finish. The series' packages are installed first, so
# that only one apt runs.
# shellcheck disable=SC2086
need_packages $MS_SERIES_PACKAGES
series_counts=$MS_CACHE/series-track.counts
series_track() {
	passed=0 failed=0 failed_stages=
	# make check builds the last patch of each series; check-full
	# builds every patch of both. make check gives a backport the
	# checks in which it differs from mainline (its patches apply,
	# checkpatch, the final tree builds, sparse); check-full also runs
	# its coccicheck and htmldocs, and its KUnit on UML.
	for base_series in $MS_BASES; do
		scope=full
		if [ -z "$full" ]; then
			scope=final
			[ "$base_series" != "$MS_MAINLINE" ] || scope=last
		fi
		[ "$scope" = final ] ||
		counted "kunit-uml-$base_series" \
			"$MS_CACHE/kunit-$base_series-uml.counts" \
			"$MS_TOP/scripts/kunit.sh" uml "$base_series"
		stage "patch series for $base_series ($(patches_dir "$base_series" | sed "s|^$MS_TOP/||"))"
		MS_SERIES_SCOPE=$scope counted "series-$base_series" \
			"$MS_CACHE/series-counts-$base_series" \
			"$MS_TOP/scripts/check-series.sh" "$base_series"
	done
	apply_key=$(cat "$MS_TOP"/patches/*.patch "$MS_TOP"/patches/*/*.patch \
		"$MS_TOP/scripts/apply.sh" "$MS_TOP/scripts/test-apply.sh" \
		"$MS_TOP/scripts/bases" | sha256sum | cut -c1-16)
	if [ -f "$MS_CACHE/verdicts/apply-$apply_key" ]; then
		stage "make apply on $MS_BASES_TEXT: ok (cached)"
		passed=$((passed + 1))
	elif check make-apply "$MS_TOP/scripts/test-apply.sh"; then
		: >"$MS_CACHE/verdicts/apply-$apply_key"
	fi || true
	echo "$passed $failed$failed_stages" >"$series_counts"
}
rm -f "$series_counts"
# In a process group of its own, so that a failed check stops all of it.
set -m
series_track &
series_pid=$!
set +m
trap 'kill -- "-$series_pid" 2>/dev/null || true' EXIT

# What runs on which base: a distribution user has Debian 12's 6.12 cloud
# kernel, and builds the module out of tree, with `make` or DKMS; those
# lanes boot that kernel. The kernels built from source (debug, built in,
# KCSAN, coverage, KUnit on x86_64) are mainline's: they find the same
# bugs in the same driver source on either base, and mainline is where the
# series goes. Every base gets the series checks and KUnit on UML, since
# the series and the KUnit file differ between them.

# The fast path: Debian's cloud kernel and the module built out of tree,
# as a user of a distribution kernel would first build it.
release=$(cloud_release)
stage "out-of-tree module against linux-headers-$release (W=1)"
# Every test program, at full strength: the stress tests read a million
# times and the fuzzer runs a million operations. The *_32 programs are
# the functional suite built with gcc -m32: 32-bit programs go through
# compat_ioctl.
all_tests="$MS_FUNCTIONAL_TESTS $MS_FUNCTIONAL_TESTS_32 message_slot_stress
message_slot_fuzz message_slot_limits"
check oot-build "$MS_TOP/scripts/build-oot.sh" \
	"/usr/src/linux-headers-$release" "$MS_CACHE/oot-$release" >/dev/null &&
MS_TESTS=$all_tests vm_check cloud "/boot/vmlinuz-$release" \
	"$MS_CACHE/oot-$release/message_slot.ko"

# The same headers through Debian's dkms and the repo's dkms.conf, as a
# user installs the driver on a distribution kernel: dkms add, build and
# install, then a boot of the module dkms built (functional tests only).
check dkms "$MS_TOP/scripts/dkms-check.sh" || true

# The user's `make` on their own machine, pointed at the same headers.
stage "default make target (KDIR=linux-headers-$release)"
default_make() {
	(run_logged make-default make -C "$MS_TOP" \
		KDIR="/usr/src/linux-headers-$release" \
		OUT="$MS_CACHE/make-default" all)
}
check default-make default_make || true

# A 32-bit kernel, as upstream CI tests one: i386, built with clang-19
# from tinyconfig and the selftests' config fragment, the driver and its
# KUnit suite as modules that nothing loads before the tests. The
# kselftests are installed with their `make install` and run by the
# installed run_kselftest.sh, and load the driver themselves; then the
# samples' tests, a stress test and the KUnit suite. Its W=1 build of the
# driver is the cross build of make check; check-full adds the matrix.
vm_counts() {
	MS_VM_CACHE=1 counted "$1" "$MS_CACHE/runs/$1/counts" \
		"$MS_TOP/scripts/cross-vm.sh" "$1"
}
vm_counts i386 || true

# check-full: the robot's build matrix, clang with W=1 for seven
# architectures on mainline and two on the LTS, each =m and =y; and a
# riscv64 kernel, whose C ABI passes a 32-bit id sign-extended to 64
# bits, with the same tests as i386 and the KUnit suite built in.
if [ -n "$full" ]; then
	for base_series in $MS_BASES; do
		counted "cross-$base_series" "$MS_CACHE/cross-$base_series.counts" \
			"$MS_TOP/scripts/cross-build.sh" "$base_series" || true
	done
	vm_counts riscv64 || true
fi

# check-full: the debug kernel (KASAN, lockdep, kmemleak, fault
# injection), with the driver as a module and built in. Its build alone
# takes 20 to 25 minutes cold, which would take make check past an hour
# on the slower machines. KASAN makes every operation ten times slower,
# so the stress tests and the fuzzer run shorter. The module run also
# loads and unloads the driver 100 times, and kmemleak must stay active
# throughout. It loads the module with a dynamic major and four device
# nodes: the tests find the major in /proc/devices and check the nodes
# devtmpfs made. The built-in kernel also has gcov of message_slot and
# its KUnit suite, which runs at boot: it is the coverage lane too,
# booted in coverage mode, which dumps what KUnit covered before the
# selftests run and what everything covered after them.
debug_tests="$all_tests message_slot_fault"
variants=
[ -z "$full" ] || variants="debug builtin"
for variant in $variants; do
	if check "kernel-$variant" "$MS_TOP/scripts/build-kernel.sh" "$variant" \
		"$MS_MAINLINE" >/dev/null; then
		build=$MS_CACHE/build-$MS_MAINLINE-$variant
		module= lifecycle= module_args= mode=coverage
		if [ "$variant" = debug ]; then
			module=$build/drivers/char/message_slot/message_slot.ko
			lifecycle=100
			module_args="major=0 nodes=4"
			mode=test
		fi
		# The debug VM took 15 minutes alone, and more than 20 with
		# the series track building beside it on two CPUs.
		MS_TESTS=$debug_tests MS_STRESS_OPS=50000 MS_FUZZ_OPS=100000 \
		MS_LIFECYCLE=$lifecycle MS_KMEMLEAK=1 MS_MODULE_ARGS=$module_args \
		MS_VM_TIMEOUT=2100 MS_VM_MODE=$mode \
			vm_check "$variant" "$build/arch/x86/boot/bzImage" $module
	fi
done

# check-full: the data race detector, which cannot share a kernel with
# KASAN, on the concurrent tests, and on the functional suite for its
# poll() waiters.
if [ -n "$full" ] && check kernel-kcsan "$MS_TOP/scripts/build-kernel.sh" kcsan "$MS_MAINLINE" \
	>/dev/null; then
	build=$MS_CACHE/build-$MS_MAINLINE-kcsan
	MS_TESTS="$MS_FUNCTIONAL_TESTS message_slot_stress message_slot_fuzz" \
	MS_STRESS_OPS=100000 MS_FUZZ_OPS=200000 \
		vm_check kcsan "$build/arch/x86/boot/bzImage" \
		"$build/drivers/char/message_slot/message_slot.ko"
	# A silent KCSAN must be a KCSAN that was watching.
	check kcsan-active grep -q 'kcsan: selftest: [0-9/]* tests passed' \
		"$MS_CACHE/runs/kcsan/console.log"
fi

# What the KUnit suite and the selftests cover of the driver, with gcov,
# read from the built-in kernel's boot above; KUnit must cover at least
# 95% of the lines of the channel store. The suite ran built in at boot,
# on x86_64 with two CPUs, where its race case really races: that is the
# KUnit lane on x86_64, whose cases count here as well (make kunit-x86_64
# runs the same suite through kunit.py, in a kernel of its own that would
# find nothing more).
if [ -n "$full" ]; then
	stage "line coverage (gcov) and KUnit on x86_64, from the built-in boot on $MS_MAINLINE"
	x86_counts=$MS_CACHE/kunit-$MS_MAINLINE-x86_64.counts
	rm -f "$x86_counts" "$x86_counts.boot"
	check coverage "$MS_TOP/scripts/kunit-coverage.sh" builtin || true
	# counted starts by removing the counts file: take it from a copy.
	cp "$x86_counts" "$x86_counts.boot" 2>/dev/null || true
	counted "kunit-x86_64-$MS_MAINLINE" "$x86_counts" cp "$x86_counts.boot" "$x86_counts"
fi

stage "waiting for KUnit on UML and the series checks"
wait "$series_pid" || true
trap - EXIT
if [ -f "$series_counts" ]; then
	read -r _p _f _stages <"$series_counts"
	passed=$((passed + _p))
	failed=$((failed + _f))
	failed_stages="$failed_stages${_stages:+ $_stages}"
else
	failed=$((failed + 1))
	failed_stages="$failed_stages series"
fi

# check-full: the benchmark in smoke mode, so that it cannot rot; its
# times mean nothing and nothing is asserted about them.
if [ -n "$full" ]; then
	stage "benchmark (smoke mode) on linux-image-$release"
	check bench-smoke "$MS_TOP/scripts/bench.sh" --smoke || true
fi

# A test command changes no tracked file: `make results` turns what the
# VM runs measured into README's table, when asked.
stage "done in $(($(date +%s) - start))s"
[ -z "$failed_stages" ] || printf 'failed stages:%s\n' "$failed_stages"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ -z "$failed_stages" ]
