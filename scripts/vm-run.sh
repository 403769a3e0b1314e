#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh NAME KERNEL MODE [MODULE]: boot KERNEL in QEMU with an
# initramfs of busybox, the static test programs and scripts/vm/init, in
# MODE test or demo, loading MODULE (a .ko) if given.
#
# The kernel console and the test output go to two files under
# $MS_CACHE/runs/NAME. MS_USERSPACE names the directory of static programs
# to include (default: what scripts/build-userspace.sh makes). The run fails on a failed or missing test, a
# non-zero exit, a VM that does not finish in time, or any kernel splat.
# Writes "passed failed skipped" to runs/NAME/counts. MS_STRESS_OPS sets
# the reads of each stress test (the tests' own default when unset).
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: vm-run.sh NAME KERNEL test|demo [MODULE]"
name=$1 kernel=$2 mode=$3 module=${4:-}
[ -f "$kernel" ] || die "no kernel image at $kernel"
[ -z "$module" ] || [ -f "$module" ] || die "no module at $module"
case $mode in test | demo) ;; *) die "unknown mode '$mode'" ;; esac

need_packages qemu-system-x86 busybox-static cpio
userspace=${MS_USERSPACE:-$MS_CACHE/userspace}
[ "$mode" = demo ] || [ -x "$userspace/message_slot_test" ] ||
	die "no test programs in $userspace: run scripts/build-userspace.sh"

run=$MS_CACHE/runs/$name
root=$run/initramfs
rm -rf "$run"
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/lib" \
	"$root/dev" "$root/proc" "$root/sys" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
cp "$MS_TOP/scripts/vm/init" "$root/init"
cp "$MS_TOP/scripts/vm/demo.sh" "$root/demo.sh"
chmod 755 "$root/init" "$root/root"
for prog in message_slot_test message_slot_stress message_sender message_reader; do
	[ ! -f "$userspace/$prog" ] || cp "$userspace/$prog" "$root/bin/"
done
for prog in message_sender message_reader; do
	[ ! -f "$userspace/$prog" ] || cp "$userspace/$prog" "$root/root/"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
append="console=ttyS0 rdinit=/init panic=-1 oops=panic loglevel=7 ms_mode=$mode"
[ -z "${MS_STRESS_OPS:-}" ] || append="$append ms_stress_ops=$MS_STRESS_OPS"
if [ -n "$module" ]; then
	if [ "$mode" = demo ]; then
		cp "$module" "$root/root/message_slot.ko"
	else
		cp "$module" "$root/lib/message_slot.ko"
		append="$append ms_module=/lib/message_slot.ko"
	fi
fi
mknod "$root/dev/console" c 5 1
(cd "$root" && find . | cpio -o -H newc --quiet >"$run/initramfs.cpio")

timeout=${MS_VM_TIMEOUT:-600}
start=$(date +%s)
stage "booting $name ($(basename "$kernel"), $mode)"
set +e
# la57=off: with 5-level paging, the KASAN kernel sometimes reports a
# wild access in an interrupt during early boot under TCG, before any
# of our code runs.
timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg,thread=multi \
	-cpu max,la57=off -smp 2 -m 2G -nodefaults -display none -no-reboot \
	-kernel "$kernel" -initrd "$run/initramfs.cpio" -append "$append" \
	-serial "file:$run/console.log" -serial "file:$run/output.log" \
	>"$run/qemu.log" 2>&1
qemu_status=$?
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

# kselftest TAP: "ok N name", "ok N name # SKIP why", "not ok N name".
passed=$(grep -Ec '^ok [0-9]+ ' "$run/output.log" || true)
skipped=$(grep -Ec '^ok [0-9]+ .*# SKIP' "$run/output.log" || true)
failed=$(grep -Ec '^not ok [0-9]+ ' "$run/output.log" || true)
passed=$((passed - skipped))
echo "$passed $failed $skipped" >"$run/counts"

[ "$qemu_status" != 124 ] && [ "$qemu_status" != 137 ] ||
	fail "VM did not finish within ${timeout}s"
[ "$qemu_status" = 0 ] || fail "qemu exited with status $qemu_status"
splat='BUG:|WARNING:|KASAN|UBSAN|Oops|Call Trace|Kernel panic|kernel BUG|'
splat=$splat'possible (recursive|circular) locking|inconsistent lock state|'
splat=$splat'suspicious RCU usage|unreferenced object|ODEBUG|corruption|'
splat=$splat'general protection|blocked for more than'
if grep -Eq "$splat" "$run/console.log" "$run/output.log"; then
	grep -Eh "$splat" "$run/console.log" "$run/output.log" | head -5 >&2
	fail "kernel splat"
fi
grep -q '^MS-DONE' "$run/output.log" || fail "the VM stopped before the end"
bad_exits=$(grep '^MS-EXIT' "$run/output.log" | grep -v ' 0$' || true)
[ -z "$bad_exits" ] || fail "non-zero exit: $(echo $bad_exits)"
[ "$failed" = 0 ] || fail "$failed tests failed: $(grep '^not ok' "$run/output.log" | head -5)"
[ "$mode" = demo ] || [ "$passed" -gt 0 ] || fail "no test ran"
# Everything the tests need is in the VM: a skip means something is wrong.
[ "$skipped" = 0 ] || fail "$skipped tests skipped: $(grep '# SKIP' "$run/output.log" | head -3)"
if [ "$mode" = test ]; then
	stage "$name: $passed passed, $failed failed, $skipped skipped (${seconds}s)"
else
	stage "$name: finished (${seconds}s)"
fi
