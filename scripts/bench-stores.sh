#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-stores.sh: build message_slot.ko with each alternative channel
# store of bench/stores/ (an xarray, an rhashtable) in place of the
# driver's store.c, so that the benchmark can time them beside it. Never
# part of the series: main.c is the driver's, unchanged, and
# bench/stores/store.h stands in for the driver's store.h beside it.
#
# Each is built out of tree, like scripts/build-oot.sh builds the driver,
# against Debian's 6.12 cloud kernel headers with W=1, in
# $MS_CACHE/bench-stores/NAME/; any warning fails. Prints the paths of the
# modules, one a line, in the order of $stores.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: bench-stores.sh"
stores="xarray rhashtable"

need_packages build-essential
release=$(cloud_release)
kdir=/usr/src/linux-headers-$release
src=$MS_TOP/drivers/char/message_slot

# copy_changed FROM TO: copy FROM to TO unless TO already has its text.
copy_changed() {
	cmp -s "$1" "$2" || cp "$1" "$2"
}

for store in $stores; do
	out=$MS_CACHE/bench-stores/$store
	stage "bench store: $store"
	mkdir -p "$out"
	# Copy only what changed, so a warm build is a no-op...
	copy_changed "$src/main.c" "$out/main.c"
	copy_changed "$MS_TOP/bench/stores/store.h" "$out/store.h"
	copy_changed "$MS_TOP/bench/stores/store_$store.c" "$out/store_$store.c"
	# The header holds the index of the store named here.
	define=MSG_SLOT_STORE_$(echo "$store" | tr '[:lower:]' '[:upper:]')
	kbuild="obj-m := message_slot.o
message_slot-y := main.o store_$store.o
ccflags-y := -D$define"
	[ "$(cat "$out/Kbuild" 2>/dev/null)" = "$kbuild" ] ||
		echo "$kbuild" >"$out/Kbuild"
	# ...but recompile, so that warnings are always in the log.
	touch "$out"/*.c
	log=bench-store-$store
	run_logged "$log" make -C "$kdir" M="$out" \
		KCPPFLAGS="-I$MS_TOP/include" \
		KCFLAGS="--include=$MS_TOP/scripts/oot/compat.h" W=1 modules
	if grep -iE '(warning|error):' "$MS_LOGS/$log.log" >&2; then
		die "warnings building the $store store; full log: $MS_LOGS/$log.log"
	fi
done
for store in $stores; do
	echo "$MS_CACHE/bench-stores/$store/message_slot.ko"
done
