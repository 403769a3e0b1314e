#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the selftests (through their kselftest Makefile) and the sample
# programs as static binaries for the test VMs, and the samples once more
# standalone with the seed's own compiler line, which must stay silent.
# The functional tests are built a second time as a 32-bit (i386) program,
# message_slot_test_32, to cover the driver's compat_ioctl path.
# Prints the output directory on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

# gcc-multilib: gcc -m32 and the static i386 C library.
need_packages build-essential gcc-multilib
tree=$("$MS_TOP/scripts/overlay.sh" "$MS_MAINLINE")
out=$MS_CACHE/userspace
mkdir -p "$out"

stage "building selftests (kselftest lib.mk of $MS_MAINLINE) and samples (static)"
# Not left over from an earlier build: the check below must see this one's.
rm -f "$out/message_slot_test_32"
run_logged userspace-selftests make -B -C "$tree/tools/testing/selftests/message_slot" \
	OUTPUT="$out" KHDR_INCLUDES="-I$MS_TOP/include/uapi" \
	USERLDFLAGS=-static all
! grep -q 'warning:' "$MS_LOGS/userspace-selftests.log" ||
	die "compiler warnings; full log: $MS_LOGS/userspace-selftests.log"
# The Makefile leaves the 32-bit program out when gcc -m32 cannot link;
# here it is required. Byte 4 of an ELF header is 1 for a 32-bit class.
[ -x "$out/message_slot_test_32" ] ||
	die "message_slot_test_32 was not built; log: $MS_LOGS/userspace-selftests.log"
[ "$(od -An -tu1 -j4 -N1 "$out/message_slot_test_32" | tr -d ' ')" = 1 ] ||
	die "message_slot_test_32 is not a 32-bit ELF program"

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
