#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-variants.sh: build the variants of message_slot.ko that
# scripts/bench.sh times beside the driver, in the same boot. Never part
# of the series. Prints "NAME PATH" for each, one a line:
#
#   xarray, rhashtable   another channel store in place of store.c
#                        (bench/stores/; their store.h stands in for the
#                        driver's, beside an unchanged main.c)
#   get_info_inline      main.c without the noinline of msg_slot_get_info()
#   stack_zeroed         main.c without __uninitialized on the read and
#                        write buffers (Debian's kernel has
#                        CONFIG_INIT_STACK_ALL_ZERO)
#   write_alloc_inline   store.c without the noinline of
#                        msg_slot_write_alloc()
#   bounce_heap          main.c with the read and write buffers in the
#                        open file's state instead of the stack
#
# The annotation variants say what each annotation is worth: a comment
# that justifies one by its cost quotes that figure. Each is built out of
# tree, like scripts/build-oot.sh builds the driver, against Debian's 6.12
# cloud kernel headers with W=1, in $MS_CACHE/bench-variants/NAME/; any
# warning fails, and so does an annotation that is no longer where the
# variant expects it.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: bench-variants.sh"
stores="xarray rhashtable"
annotations="get_info_inline stack_zeroed write_alloc_inline bounce_heap"

need_packages build-essential
release=$(cloud_release)
kdir=/usr/src/linux-headers-$release
src=$MS_TOP/drivers/char/message_slot

# edit FILE PERL-SUBSTITUTION: apply it, and fail unless it changed FILE.
edit() {
	cp "$1" "$1.orig"
	perl -0pi -e "$2" "$1"
	! cmp -s "$1" "$1.orig" ||
		die "variant $name: $2 changes nothing in ${1##*/}; the annotation moved"
	rm "$1.orig"
}

for name in $stores $annotations; do
	out=$MS_CACHE/bench-variants/$name
	stage "bench variant: $name"
	rm -rf "$out"
	mkdir -p "$out"
	cp "$src/main.c" "$out/"
	case $name in
	xarray | rhashtable)
		cp "$MS_TOP/bench/stores/store.h" "$MS_TOP/bench/stores/store_$name.c" "$out/"
		objs="main.o store_$name.o"
		flags="-DMSG_SLOT_STORE_$(echo "$name" | tr '[:lower:]' '[:upper:]')"
		;;
	*)
		cp "$src/store.c" "$src/store.h" "$out/"
		objs="main.o store.o"
		flags=
		;;
	esac
	case $name in
	get_info_inline) edit "$out/main.c" 's/static noinline long\nmsg_slot_get_info/static long\nmsg_slot_get_info/' ;;
	stack_zeroed) edit "$out/main.c" 's/ __uninitialized;/;/g' ;;
	write_alloc_inline) edit "$out/store.c" 's/static noinline int msg_slot_write_alloc/static int msg_slot_write_alloc/' ;;
	bounce_heap)
		# The read and write buffers in the open file's state, a
		# kmalloc() object whose whole size is whitelisted for user
		# copies, instead of the stack: what hardened usercopy's check
		# of a heap object costs against that of a stack buffer. One
		# file's calls would need a lock to share it; the benchmark
		# makes one at a time.
		edit "$out/main.c" 's/(\tstruct msg_slot_watcher watcher;\n)/$1\tu8 bounce[MSG_SLOT_MAX_MSG_LEN];\n/'
		edit "$out/main.c" 's/( \* \@watcher: .*\n)/$1 * \@bounce: the read and write buffer\n/'
		edit "$out/main.c" 's/u8 msg\[MSG_SLOT_MAX_MSG_LEN\] __uninitialized;/u8 *msg = state->bounce;/g'
		;;
	esac
	printf '%s\n' "obj-m := message_slot.o" "message_slot-y := $objs" \
		"ccflags-y := $flags" >"$out/Kbuild"
	log=bench-variant-$name
	run_logged "$log" make -C "$kdir" M="$out" \
		KCPPFLAGS="-I$MS_TOP/include" \
		KCFLAGS="--include=$MS_TOP/scripts/oot/compat.h" W=1 modules
	if grep -iE '(warning|error):' "$MS_LOGS/$log.log" >&2; then
		die "warnings building the $name variant; full log: $MS_LOGS/$log.log"
	fi
done
for name in $stores $annotations; do
	echo "$name $MS_CACHE/bench-variants/$name/message_slot.ko"
done
