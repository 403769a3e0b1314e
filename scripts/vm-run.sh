#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh NAME KERNEL MODE [MODULE]: boot KERNEL in QEMU with an
# initramfs of busybox, the static test programs and scripts/vm/init, in
# MODE test, demo or coverage (see scripts/vm/init), loading MODULE (a .ko)
# if given.
#
# The kernel console, the test output and the gcov data go to three files
# under $MS_CACHE/runs/NAME. MS_USERSPACE names the directory of static
# programs to include (default: what scripts/build-userspace.sh makes).
# The run fails on a failed or missing test, a non-zero exit, a VM that
# does not finish in time, or any kernel splat.
# Writes "passed failed skipped" to runs/NAME/counts. MS_STRESS_OPS sets
# the reads of each stress test and MS_FUZZ_OPS the operations of the
# fuzzer (the tests' own defaults when unset);
# MS_TESTS lists the test programs to run (default: the functional tests,
# $MS_FUNCTIONAL_TESTS, and message_slot_stress). MS_LIFECYCLE=N adds N load/unload cycles of
# MODULE (scripts/vm/lifecycle.sh); MS_KMEMLEAK=1 fails the run unless
# kmemleak is active from start to end. MS_SMP sets the number of CPUs
# (default 2), MS_CPU the QEMU CPU model (default max,la57=off) and
# MS_BENCH_ARGS the arguments of message_slot_bench. MS_MODULE_ARGS are
# the module parameters MODULE is loaded with, every time (e.g.
# "major=0 nodes=4"). MS_VM_CACHE=1 reuses the last passing run when
# nothing it depends on changed. In bench mode, MS_BASELINE_MODULE is an earlier
# build of the module to time first, and MS_BENCH_VARIANTS lists "NAME
# PATH" lines of variants of it (scripts/bench-variants.sh) to time after
# it, each with the arguments MS_VARIANT_ARGS_NAME (see scripts/vm/init).
# MS_VM_MEM is the guest's memory (default 2G).
# MS_ICOUNT=1 boots one vCPU whose clock counts instructions (QEMU's
# -icount shift=0,sleep=off: one nanosecond per guest instruction), so
# that the times the guest takes are instruction counts, whatever the host
# is doing; it implies MS_SMP=1. MS_KERNEL_ARGS adds parameters to the
# guest kernel's command line (e.g. "hardened_usercopy=off").
# MS_VM_ARCH is the guest's architecture: x86_64 (default), i386 or
# riscv64 (QEMU's virt machine), whose static busybox MS_BUSYBOX names.
# MS_MODROOT is a directory whose lib/modules go into the guest, for
# modprobe; MS_KSELFTEST a kselftest install directory, run with its
# run_kselftest.sh before MS_TESTS; MS_KUNIT=1 then loads the KUnit suite
# (unless built in) and counts its cases.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: vm-run.sh NAME KERNEL test|demo|coverage|bench [MODULE]"
name=$1 kernel=$2 mode=$3 module=${4:-}
[ -f "$kernel" ] || die "no kernel image at $kernel"
[ -z "$module" ] || [ -f "$module" ] || die "no module at $module"
case $mode in test | demo | coverage | bench) ;; *) die "unknown mode '$mode'" ;; esac

vm_arch=${MS_VM_ARCH:-x86_64}
case $vm_arch in
x86_64 | i386) need_packages qemu-system-x86 busybox-static cpio file ;;
riscv64) need_packages qemu-system-misc cpio file ;;
*) die "unknown MS_VM_ARCH '$vm_arch'" ;;
esac
busybox=${MS_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "no busybox at $busybox"
userspace=${MS_USERSPACE:-$MS_CACHE/userspace}
[ "$mode" = demo ] || [ -n "${MS_KSELFTEST:-}" ] ||
	[ -x "$userspace/message_slot_channels" ] ||
	die "no test programs in $userspace: run scripts/build-userspace.sh"

run=$MS_CACHE/runs/$name
root=$run/initramfs
rm -rf "$run"
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/lib" \
	"$root/dev" "$root/proc" "$root/sys" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
[ -z "${MS_MODROOT:-}" ] || cp -a "$MS_MODROOT/lib" "$root/"
[ -z "${MS_KSELFTEST:-}" ] || cp -a "$MS_KSELFTEST" "$root/kselftest"
cp "$MS_TOP/scripts/vm/init" "$root/init"
cp "$MS_TOP/scripts/vm/demo.sh" "$root/demo.sh"
cp "$MS_TOP/scripts/vm/lifecycle.sh" "$root/lifecycle.sh"
chmod 755 "$root/init" "$root/root"
for prog in "$userspace"/*; do
	case $prog in *.standalone) continue ;; esac
	[ ! -f "$prog" ] || [ ! -x "$prog" ] || cp "$prog" "$root/bin/"
done
for prog in message_sender message_reader message_channel; do
	for file in "$userspace/$prog" "$userspace/${prog}_32"; do
		[ ! -f "$file" ] || cp "$file" "$root/root/"
	done
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
append="console=ttyS0 rdinit=/init panic=-1 oops=panic loglevel=7 ms_mode=$mode"
# The virt machine of riscv64 has one serial port: the tests' output goes
# to a virtio console there.
[ "$vm_arch" != riscv64 ] || append="$append ms_out=hvc0"
[ -z "${MS_KSELFTEST:-}" ] || append="$append ms_kselftest=1"
[ -z "${MS_KUNIT:-}" ] || append="$append ms_kunit=1"
accel=tcg,thread=multi smp=${MS_SMP:-2}
if [ -n "${MS_ICOUNT:-}" ]; then
	# Without a TSC it trusts, the guest keeps time in jiffies, and every
	# time it takes would be a multiple of 4 ms.
	append="$append tsc=reliable clocksource=tsc"
	accel="tcg -icount shift=0,sleep=off" smp=1
fi
[ -z "${MS_KERNEL_ARGS:-}" ] || append="$append $MS_KERNEL_ARGS"
[ -z "${MS_STRESS_OPS:-}" ] || append="$append ms_stress_ops=$MS_STRESS_OPS"
[ -z "${MS_FUZZ_OPS:-}" ] || append="$append ms_fuzz_ops=$MS_FUZZ_OPS"
tests=${MS_TESTS:-$MS_FUNCTIONAL_TESTS message_slot_stress}
append="$append ms_tests=$(echo $tests | tr ' ' ,)"
[ -z "${MS_LIFECYCLE:-}" ] || append="$append ms_lifecycle=$MS_LIFECYCLE"
[ -z "${MS_KMEMLEAK:-}" ] || append="$append ms_kmemleak=$MS_KMEMLEAK"
[ -z "${MS_MODULE_ARGS:-}" ] ||
	append="$append ms_module_args=$(echo $MS_MODULE_ARGS | tr ' ' ,)"
[ -z "${MS_BENCH_ARGS:-}" ] ||
	append="$append ms_bench_args=$(echo $MS_BENCH_ARGS | tr ' ' ,)"
if [ -n "$module" ]; then
	if [ "$mode" = demo ]; then
		cp "$module" "$root/root/message_slot.ko"
	else
		cp "$module" "$root/lib/message_slot.ko"
		append="$append ms_module=/lib/message_slot.ko"
		if [ -n "${MS_BASELINE_MODULE:-}" ]; then
			cp "$MS_BASELINE_MODULE" "$root/lib/baseline.ko"
			append="$append ms_baseline=/lib/baseline.ko"
		fi
		variants=
		while read -r variant variant_ko; do
			[ -n "$variant" ] || continue
			cp "$variant_ko" "$root/lib/variant-$variant.ko"
			args_var=MS_VARIANT_ARGS_$variant
			# shellcheck disable=SC2086 # one word per argument
			variants="$variants${variants:+,}$variant:$(echo ${!args_var:-} | tr ' ' :)"
		done <<<"${MS_BENCH_VARIANTS:-}"
		[ -z "$variants" ] || append="$append ms_variants=$variants"
	fi
fi
mknod "$root/dev/console" c 5 1
(cd "$root" && find . | cpio -o -H newc --quiet >"$run/initramfs.cpio")

timeout=${MS_VM_TIMEOUT:-600}

# MS_VM_CACHE=1: a run whose inputs (kernel, module, programs, scripts and
# settings) are those of the last run of NAME that passed is not booted
# again; that run's results stand, and the stage line says so.
key= saved=$MS_CACHE/vm-passed/$name
if [ -n "${MS_VM_CACHE:-}" ]; then
	# shellcheck disable=SC2086
	key=$( (cat "$kernel" $module "$userspace"/* "$MS_TOP"/scripts/vm/* \
		"$0" "$busybox" 2>/dev/null | sha256sum
		[ -z "${MS_MODROOT:-}${MS_KSELFTEST:-}" ] ||
			find ${MS_MODROOT:-} ${MS_KSELFTEST:-} -type f \
				-exec cat {} + | sha256sum
		echo "$vm_arch $mode $append $accel $smp ${MS_CPU:-} $timeout") |
		sha256sum | cut -c1-16)
	if [ "$(cat "$saved/key" 2>/dev/null)" = "$key" ]; then
		rm -rf "$run"
		cp -a "$saved" "$run"
		read -r passed failed skipped <"$run/counts"
		stage "$name: $passed passed, $failed failed, $skipped skipped (cached: same kernel, module, programs and settings as the last passing run)"
		exit 0
	fi
fi

start=$(date +%s)
version=$(file -bL "$kernel" | sed -n 's/.*, version \([^ ]*\) .*/\1/p')
stage "booting $name: Linux ${version:-?} ($(basename "$kernel")), $mode"
# la57=off: with 5-level paging, the KASAN kernel sometimes reports a
# wild access in an interrupt during early boot under TCG, before any
# of our code runs.
boot() {
	case $vm_arch in
	x86_64)
		set -- qemu-system-x86_64 -cpu "${MS_CPU:-max,la57=off}" -m "${MS_VM_MEM:-2G}"
		;;
	i386)
		# The 32-bit kernel uses at most about 900 MB without HIGHMEM.
		# TCG's max CPU says AMD, and a 32-bit kernel warns that AMD
		# CPUs of its family are not fit for SMP.
		set -- qemu-system-i386 -cpu "${MS_CPU:-max,vendor=GenuineIntel}" -m 1G
		;;
	riscv64)
		set -- qemu-system-riscv64 -M virt -bios default -m 1G \
			-serial "file:$run/console.log" \
			-device virtio-serial-device \
			-chardev "file,id=ms-out,path=$run/output.log" \
			-device virtconsole,chardev=ms-out
		;;
	esac
	[ "$vm_arch" = riscv64 ] ||
		set -- "$@" -serial "file:$run/console.log" \
			-serial "file:$run/output.log" -serial "file:$run/gcov.log"
	# shellcheck disable=SC2086 # $accel is the accelerator and its options
	timeout -k 10 "$timeout" "$@" -accel $accel -smp "$smp" \
		-nodefaults -display none -no-reboot \
		-kernel "$kernel" -initrd "$run/initramfs.cpio" \
		-append "$append" \
		>"$run/qemu.log" 2>&1
}
set +e
boot
qemu_status=$?
# Multi-threaded TCG rarely crashes the guest while the kernel patches
# its own text in early boot (an int3 Oops before init starts). A crash
# before our init printed anything, and before the console named the
# driver (a built-in driver and its KUnit suite run before init), cannot
# involve the driver or the tests: keep that console and boot once more.
if [ ! -s "$run/output.log" ] && grep -q 'Oops' "$run/console.log" &&
   ! grep -q 'msg_slot_\|\[message_slot\]' "$run/console.log"; then
	mv "$run/console.log" "$run/console-early-crash.log"
	stage "$name: guest crashed before init ($run/console-early-crash.log); booting again"
	boot
	qemu_status=$?
fi
set -e
# The guest's tty turns every newline into CR LF.
tr -d '\r' <"$run/output.log" >"$run/output.txt"
mv "$run/output.txt" "$run/output.log"
seconds=$(($(date +%s) - start))

fail() {
	printf 'error: %s: %s\n' "$name" "$*" >&2
	printf 'error: logs: %s/{console,output,qemu}.log\n' "$run" >&2
	echo "$passed $((failed + 1)) $skipped" >"$run/counts"
	exit 1
}

# kselftest TAP: "ok N name", "ok N name # SKIP why", "not ok N name";
# under run_kselftest.sh, each program's lines are prefixed with "# ".
passed=$(grep -Ec '^(# )?ok [0-9]+ ' "$run/output.log" || true)
# An expected failure counts as a skip: no test of ours expects one.
skipped=$(grep -Ec '^(# )?ok [0-9]+ .*# (SKIP|XFAIL)' "$run/output.log" || true)
failed=$(grep -Ec '^(# )?not ok [0-9]+ ' "$run/output.log" || true)
passed=$((passed - skipped))
echo "$passed $failed $skipped" >"$run/counts"

[ "$qemu_status" != 124 ] && [ "$qemu_status" != 137 ] ||
	fail "VM did not finish within ${timeout}s"
[ "$qemu_status" = 0 ] || fail "qemu exited with status $qemu_status"
# KCSAN also reports data races of the rest of the kernel; only those
# with one of our functions in the title or a stack fail the run (not
# those that merely ran in a test task, "Comm: message_slot_..."). The
# others are kept in console.log and counted here.
awk -v dropped="$run/kcsan-ignored" '
	/BUG: KCSAN:/ { in_report = 1; report = ""; ours = 0 }
	in_report {
		report = report $0 "\n"
		if (/msg_slot_|\[message_slot\]/) ours = 1
		if (/========================================/) {
			in_report = 0
			if (ours) printf "%s", report
			else nr_dropped++
		}
		next
	}
	{ print }
	END {
		if (in_report) printf "%s", report
		print nr_dropped + 0 > dropped
	}' "$run/console.log" >"$run/console-checked.log"
[ "$(cat "$run/kcsan-ignored")" = 0 ] ||
	stage "$name: $(cat "$run/kcsan-ignored") KCSAN reports outside message_slot ignored (console.log)"
splat='BUG:|WARNING:|KASAN|UBSAN|Oops|Call Trace|Kernel panic|kernel BUG|'
splat=$splat'possible (recursive|circular) locking|inconsistent lock state|'
splat=$splat'suspicious RCU usage|unreferenced object|ODEBUG|corruption|'
splat=$splat'general protection|blocked for more than|soft lockup|'
splat=$splat'leak detector disabled'
if grep -Eq "$splat" "$run/console-checked.log" "$run/output.log"; then
	grep -Eh "$splat" "$run/console-checked.log" "$run/output.log" | head -5 >&2
	fail "kernel splat"
fi
grep -q '^MS-DONE' "$run/output.log" || fail "the VM stopped before the end"
cpus=$(sed -n 's/^MS-CPUS //p' "$run/output.log")
[ "$cpus" = "$smp" ] ||
	fail "the guest saw ${cpus:-no} CPUs instead of $smp"
bad_exits=$(grep '^MS-EXIT' "$run/output.log" | grep -v ' 0$' || true)
[ -z "$bad_exits" ] || fail "non-zero exit: $(echo $bad_exits)"
[ "$failed" = 0 ] || fail "$failed tests failed: $(grep -E '^(# )?not ok' "$run/output.log" | head -5)"
case $mode in test | coverage)
	[ "$passed" -gt 0 ] || fail "no test ran" ;;
esac
# Everything the tests need is in the VM: a skip means something is wrong.
[ "$skipped" = 0 ] || fail "$skipped tests skipped: $(grep -E '# (SKIP|XFAIL)' "$run/output.log" | head -3)"
if [ -n "$key" ]; then
	rm -rf "$saved"
	mkdir -p "$(dirname "$saved")"
	cp -a "$run" "$saved"
	rm -rf "$saved/initramfs" "$saved/initramfs.cpio"
	echo "$key" >"$saved/key"
fi
if [ "$mode" = test ] || [ "$mode" = coverage ]; then
	stage "$name: $passed passed, $failed failed, $skipped skipped (${seconds}s)"
else
	stage "$name: finished (${seconds}s)"
fi
