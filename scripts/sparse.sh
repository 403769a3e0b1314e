#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sparse.sh TREE: print the path of a sparse that can check kernel tree
# TREE. That is Debian 12's when the tree's scripts/checker-valid.sh
# accepts it. Newer trees need a sparse that knows __typeof_unqual__
# (Linux 7.3 does), and Debian ships no such binary that runs on Debian
# 12 (sid's needs a newer glibc): then the newest sparse source Debian's
# archive serves is fetched through a private apt configuration (apt
# checks it against the signed index, as for the kernel sources) and
# built once into the cache.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: sparse.sh TREE"
tree=$1
need_packages sparse build-essential

valid() {
	[ ! -f "$tree/scripts/checker-valid.sh" ] ||
	[ "$(sh "$tree/scripts/checker-valid.sh" "$1" -m64 2>/dev/null)" = 1 ]
}
if valid sparse; then
	command -v sparse
	exit 0
fi

ms_lock sparse
src_apt=$MS_CACHE/apt-src
mkdir -p "$src_apt/lists/partial" "$src_apt/cache/archives/partial" \
	"$src_apt/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
	"http://deb.debian.org/debian sid main" >"$src_apt/sources.list"
opts="-o Dir::Etc::SourceList=$src_apt/sources.list
-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$src_apt/lists
-o Dir::Cache=$src_apt/cache -o Dir::State::status=/var/lib/dpkg/status
-o APT::Sandbox::User=root"
# shellcheck disable=SC2086
if [ -z "$(find "$src_apt/updated" -mmin -60 2>/dev/null)" ]; then
	if apt-get $opts update >"$MS_LOGS/sparse-apt-update.log" 2>&1; then
		touch "$src_apt/updated"
	fi
fi
# shellcheck disable=SC2086
version=$(apt-cache $opts showsrc sparse 2>/dev/null |
	sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$version" ] ||
	die "Debian's archive serves no sparse source; log: $MS_LOGS/sparse-apt-update.log"
out=$MS_CACHE/sparse-$version
if [ ! -x "$out/sparse" ]; then
	stage "building sparse $version from Debian's source: $(sparse --version | head -n 1) cannot check Linux $(make -s -C "$tree" kernelversion 2>/dev/null)"
	rm -rf "$src_apt/src" "$out" "$out.tmp"
	mkdir -p "$src_apt/src" "$out.tmp"
	# shellcheck disable=SC2086
	(cd "$src_apt/src" && run_logged sparse-download \
		apt-get $opts source --download-only "sparse=$version")
	tar -xf "$src_apt/src"/sparse_*.orig.tar.* -C "$out.tmp" \
		--strip-components=1
	run_logged sparse-build make -C "$out.tmp" -j"$(nproc)" sparse \
		HAVE_LIBXML=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LLVM=no
	mv "$out.tmp" "$out"
fi
valid "$out/sparse" ||
	die "sparse $version from Debian's source cannot check $tree either"
echo "$out/sparse"
