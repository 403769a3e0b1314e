#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-oot.sh KDIR OUTDIR: build message_slot.ko as an external module
# against the kernel build tree KDIR (e.g. /lib/modules/$(uname -r)/build),
# with W=1; any warning in our files fails the build. scripts/oot/compat.h
# supplies what the driver takes from mainline and older kernels lack.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: build-oot.sh KDIR OUTDIR"
kdir=$1 out=$2
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir"

mkdir -p "$out"
out=$(cd "$out" && pwd)
# Copy only what changed, so a warm build is a no-op.
for file in "$MS_TOP"/drivers/char/message_slot/*; do
	cmp -s "$file" "$out/${file##*/}" || cp "$file" "$out/"
done
# ...but recompile, so that warnings are always in the log.
touch "$out"/*.c
log=oot-$(basename "$(dirname "$kdir")")-$(basename "$kdir")
run_logged "$log" make -C "$kdir" M="$out" CONFIG_MESSAGE_SLOT=m \
	KCPPFLAGS="-I$MS_TOP/include" KCFLAGS="--include=$MS_TOP/scripts/oot/compat.h" \
	W=1 modules
if grep -iE '(warning|error):' "$MS_LOGS/$log.log"; then
	die "warnings building the module; full log: $MS_LOGS/$log.log"
fi
echo "$out/message_slot.ko"
