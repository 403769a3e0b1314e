#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the selftests (through their kselftest Makefile) and the sample
# programs as static binaries for the test VMs, and the samples once more
# standalone with the seed's own compiler line, which must stay silent.
# Prints the output directory on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

need_packages build-essential
tree=$("$MS_TOP/scripts/overlay.sh")
out=$MS_CACHE/userspace
mkdir -p "$out"

stage "building selftests and samples (static)"
run_logged userspace-selftests make -B -C "$tree/tools/testing/selftests/message_slot" \
	OUTPUT="$out" KHDR_INCLUDES="-I$MS_TOP/include/uapi" \
	USERLDFLAGS=-static all
! grep -q 'warning:' "$MS_LOGS/userspace-selftests.log" ||
	die "compiler warnings; full log: $MS_LOGS/userspace-selftests.log"

stage "building samples standalone: gcc -O3 -Wall -std=c11"
for prog in message_sender message_reader; do
	run_logged "userspace-$prog" gcc -O3 -Wall -Werror -std=c11 \
		-I"$MS_TOP/include/uapi" -o "$out/$prog.standalone" \
		"$MS_TOP/samples/message_slot/$prog.c"
done
echo "$out"
