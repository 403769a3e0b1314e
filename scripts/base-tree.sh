#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# base-tree.sh BASE: prepare the kernel tree of release series BASE (one of
# scripts/bases): Debian's linux-source-BASE, fetched through the private
# apt configuration of lib.sh, extracted into the cache and committed once
# with fixed identity and dates, so that the same source always gives the
# same base commit.
#
# It takes the version scripts/bases pins while the archive serves it, and
# otherwise the newest one served (Debian drops superseded versions), and
# says which. Prints the path of the base repository on stdout; the
# package version is in its .git/ms-package-version.
set -eu
. "$(dirname "$0")/lib.sh"

base_series=${1:-}
[ -n "$base_series" ] || die "usage: base-tree.sh BASE (one of: $MS_BASES)"
check_base "$base_series"
need_packages xz-utils git debian-archive-keyring
# One at a time: the private apt lists and the base trees are shared.
ms_lock base-tree
pkg=linux-source-$base_series
pinned=$(pinned_version "$base_series")

served=$(served_versions "$pkg")
if printf '%s\n' "$served" | grep -qxF "$pinned"; then
	version=$pinned
	how="pinned"
elif [ -n "$served" ]; then
	version=$(printf '%s\n' "$served" | head -n 1)
	how="newest served; the pinned $pinned is no longer served"
elif [ -f "$MS_CACHE/base-$pinned/.git/ms-ready" ]; then
	version=$pinned
	how="pinned, from the cache: the archive serves no $pkg"
else
	die "Debian's archive serves no $pkg; run: make move-base"
fi
base=$MS_CACHE/base-$version

if [ ! -f "$base/.git/ms-ready" ]; then
	deb_dir=$MS_APT/debs
	stage "downloading $pkg $version from Debian's archive"
	rm -f "$deb_dir"/*.deb
	# shellcheck disable=SC2046
	(cd "$deb_dir" && run_logged "download-$pkg" \
		apt-get $(ms_apt_opts) download "$pkg=$version")
	deb=$(ls "$deb_dir"/"$pkg"_*.deb)
	stage "extracting Linux from $(basename "$deb")"
	rm -rf "$base" "$base.tmp"
	mkdir -p "$base.tmp"
	run_logged "base-extract-$base_series" sh -c "
		dpkg-deb --fsys-tarfile '$deb' |
		tar -xO ./usr/src/$pkg.tar.xz |
		tar -C '$base.tmp' --strip-components=1 -xJ"
	rm -f "$deb"
	stage "committing the base tree"
	(
		cd "$base.tmp"
		export GIT_AUTHOR_NAME="message_slot base" \
			GIT_AUTHOR_EMAIL="base@message-slot.invalid" \
			GIT_AUTHOR_DATE="2024-11-17T00:00:00Z" \
			GIT_COMMITTER_NAME="message_slot base" \
			GIT_COMMITTER_EMAIL="base@message-slot.invalid" \
			GIT_COMMITTER_DATE="2024-11-17T00:00:00Z"
		git init -q -b base .
		git config core.autocrlf false
		git config gc.auto 0
		# Uncompressed objects: zlib would be most of the time of
		# git add, for a repository that lives only in the cache.
		git config core.looseCompression 0
		# The tarball ships its own .gitignore files; force-add so the
		# base is exactly the tarball.
		git add -A -f .
		ver=$(make -s kernelversion)
		git commit -q -m "Linux $ver (Debian $pkg $version)"
		echo "$ver" >.git/ms-kernelversion
		echo "$version" >.git/ms-package-version
	) >"$MS_LOGS/base-commit-$base_series.log" 2>&1 ||
		die "committing the base failed; full log: $MS_LOGS/base-commit-$base_series.log"
	mv "$base.tmp" "$base"
	touch "$base/.git/ms-ready"
fi

stage "base $base_series: Linux $(cat "$base/.git/ms-kernelversion") from Debian $pkg $version ($how)"
echo "$base"
