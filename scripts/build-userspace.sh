#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the kselftests of the series (through their kselftest Makefile),
# the project's heavier tests and the sample programs (tests/Makefile) as
# static binaries for the test VMs, and the samples once more standalone
# with the seed's own compiler line, which must stay silent. The
# functional tests are built a second time as 32-bit (i386) programs,
# *_32, to cover the driver's compat_ioctl path.
# Prints the output directory on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

# gcc-multilib: gcc -m32 and the static i386 C library.
need_packages build-essential gcc-multilib
tree=$("$MS_TOP/scripts/overlay.sh" "$MS_MAINLINE")
out=$MS_CACHE/userspace
mkdir -p "$out"

stage "building selftests (kselftest lib.mk of $MS_MAINLINE), tests/ and samples (static)"
# Not left over from an earlier build: the check below must see this one's.
rm -rf "$out"
mkdir -p "$out"
ksft=$tree/tools/testing/selftests
run_logged userspace-selftests make -B -C "$ksft/drivers/message_slot" \
	OUTPUT="$out" KHDR_INCLUDES="-I$MS_TOP/include/uapi" \
	USERLDFLAGS=-static all
run_logged userspace-tests make -B -C "$MS_TOP/tests" KSFT_DIR="$ksft" \
	OUTPUT="$out" KHDR_INCLUDES="-I$MS_TOP/include/uapi" \
	USERLDFLAGS=-static
for log in userspace-selftests userspace-tests; do
	! grep -q 'warning:' "$MS_LOGS/$log.log" ||
		die "compiler warnings; full log: $MS_LOGS/$log.log"
done
# The Makefiles leave the 32-bit programs out when gcc -m32 cannot link;
# here they are required. Byte 4 of an ELF header is 1 for a 32-bit class.
for prog in $MS_FUNCTIONAL_TESTS_32; do
	[ -x "$out/$prog" ] ||
		die "$prog was not built; logs: $MS_LOGS/userspace-*.log"
	[ "$(od -An -tu1 -j4 -N1 "$out/$prog" | tr -d ' ')" = 1 ] ||
		die "$prog is not a 32-bit ELF program"
done

# The lifecycle lane's opener and failing loader (scripts/vm/lifecycle.sh).
run_logged userspace-slot-opener gcc -O2 -Wall -Werror -static \
	-I"$MS_TOP/include/uapi" -o "$out/slot_opener" \
	"$MS_TOP/scripts/vm/slot_opener.c"

stage "building samples standalone: gcc -O3 -Wall -std=c11"
for prog in message_sender message_reader message_channel; do
	run_logged "userspace-$prog" gcc -O3 -Wall -Werror -std=c11 \
		-I"$MS_TOP/include/uapi" -o "$out/$prog.standalone" \
		"$MS_TOP/samples/message_slot/$prog.c"
done
echo "$out"
