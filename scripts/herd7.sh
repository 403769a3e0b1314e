#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# herd7.sh FILE.litmus...: run herd7 on litmus tests against the
# Linux-kernel memory model of mainline's tree (tools/memory-model), and
# print herd7's output.
#
# herd7 is Debian sid's herdtools7, fetched through the private apt
# configuration of lib.sh, never installed: its binary needs a newer glibc
# than this machine's, so it runs with sid's libc6 and libgmp10 unpacked
# beside it, through sid's own dynamic loader. It takes the versions sid
# serves, says which, and unpacks each set of versions once, into
# $MS_CACHE/herd7-VERSIONS.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: herd7.sh FILE.litmus..."
tests=()
for test in "$@"; do
	[ -f "$test" ] || die "no litmus test $test"
	# herd7 runs in the model's folder: absolute paths.
	tests+=("$(realpath "$test")")
done
[ "$(dpkg --print-architecture)" = amd64 ] ||
	die "herd7.sh runs Debian's amd64 herd7; this machine is $(dpkg --print-architecture)"
need_packages debian-archive-keyring

# First: base-tree.sh takes the lock that the fetch below takes too.
model=$("$MS_TOP/scripts/base-tree.sh" "$MS_MAINLINE")/tools/memory-model
[ -f "$model/linux-kernel.cfg" ] || die "no $model/linux-kernel.cfg"

# sid_version PACKAGE: the version of PACKAGE that sid serves, if any,
# from $served (apt-cache madison).
sid_version() {
	printf '%s\n' "$served" |
		awk -F' *[|] *' '$1 ~ "^ *" pkg "$" && $3 ~ / sid\// { print $2; exit }' pkg="$1"
}

# fetch_herd7: print the folder of herd7 and sid's libraries, unpacked
# from the packages sid serves now; or, when the archive serves none, from
# the newest set unpacked before.
fetch_herd7() {
	# One at a time: the private apt lists are shared with base-tree.sh.
	ms_lock base-tree
	archive_update
	# shellcheck disable=SC2046
	served=$(apt-cache $(ms_apt_opts) madison herdtools7 libc6 libgmp10 2>/dev/null)
	herd_v=$(sid_version herdtools7)
	libc_v=$(sid_version libc6)
	gmp_v=$(sid_version libgmp10)
	if [ -z "$herd_v" ] || [ -z "$libc_v" ] || [ -z "$gmp_v" ]; then
		dir=$(printf '%s\n' "$MS_CACHE"/herd7-*/ms-ready | sort -V | tail -n 1)
		[ -f "$dir" ] ||
			die "Debian sid serves no herdtools7, libc6 or libgmp10"
		dir=${dir%/ms-ready}
		stage "Debian sid serves no herdtools7, libc6 or libgmp10; using $dir from the cache"
		echo "$dir"
		return 0
	fi
	# A colon, as in an epoch, would split --library-path.
	dir=$MS_CACHE/herd7-$(echo "$herd_v+libc6-$libc_v+libgmp10-$gmp_v" | tr : _)
	if [ ! -f "$dir/ms-ready" ]; then
		stage "downloading herdtools7 $herd_v, libc6 $libc_v and libgmp10 $gmp_v from Debian sid"
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp/debs"
		# shellcheck disable=SC2046
		(cd "$dir.tmp/debs" && run_logged download-herd7 \
			apt-get $(ms_apt_opts) download "herdtools7=$herd_v" \
			"libc6=$libc_v" "libgmp10=$gmp_v")
		stage "unpacking herd7 and sid's libc6 and libgmp10"
		dpkg-deb -x "$dir.tmp"/debs/libc6_*.deb "$dir.tmp"
		dpkg-deb -x "$dir.tmp"/debs/libgmp10_*.deb "$dir.tmp"
		# Only herd7 and its model library, of the suite's 250 MB.
		dpkg-deb --fsys-tarfile "$dir.tmp"/debs/herdtools7_*.deb |
			tar -C "$dir.tmp" -x ./usr/bin/herd7 ./usr/share/herdtools7/herd
		rm -r "$dir.tmp/debs"
		mv "$dir.tmp" "$dir"
		touch "$dir/ms-ready"
	fi
	stage "herd7: Debian sid's herdtools7 $herd_v, with sid's libc6 $libc_v and libgmp10 $gmp_v"
	echo "$dir"
}
herd=$(fetch_herd7)

# run_herd7 ARG...: herd7, through sid's loader and libraries.
run_herd7() {
	_libs=$herd/usr/lib/x86_64-linux-gnu
	"$_libs/ld-linux-x86-64.so.2" --library-path "$_libs" "$herd/usr/bin/herd7" \
		-set-libdir "$herd/usr/share/herdtools7/herd" "$@"
}
run_logged herd7-version run_herd7 -version
stage "herd7 $(cut -d, -f1 "$MS_LOGS/herd7-version.log"), memory model of Linux $(cat "$model/../../.git/ms-kernelversion") ($model)"
cd "$model" && run_herd7 -conf linux-kernel.cfg "${tests[@]}"
