#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the pinned base tree: Debian's linux-source-6.12, extracted into
# the cache and committed once with fixed identity and dates, so the same
# source always gives the same base commit id (and so the same patches).
#
# Prints the path of the base repository on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

need_packages "$MS_SOURCE_PKG" xz-utils git

pkg_version=$(dpkg-query -W -f='${Version}' "$MS_SOURCE_PKG")
base=$MS_CACHE/base-$pkg_version

if [ ! -f "$base/.git/ms-ready" ]; then
	stage "extracting $MS_SOURCE_TARBALL ($MS_SOURCE_PKG $pkg_version)"
	rm -rf "$base" "$base.tmp"
	mkdir -p "$base.tmp"
	run_logged base-extract tar -C "$base.tmp" --strip-components=1 \
		-xf "$MS_SOURCE_TARBALL"
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
		# The tarball ships its own .gitignore files; force-add so the
		# base is exactly the tarball.
		git add -A -f .
		ver=$(make -s kernelversion)
		git commit -q -m "Linux $ver (Debian $MS_SOURCE_PKG $pkg_version)"
		echo "$ver" >.git/ms-kernelversion
	) >"$MS_LOGS/base-commit.log" 2>&1 ||
		die "committing the base failed; full log: $MS_LOGS/base-commit.log"
	mv "$base.tmp" "$base"
	touch "$base/.git/ms-ready"
fi

stage "base: Linux $(cat "$base/.git/ms-kernelversion") from $MS_SOURCE_PKG $pkg_version, commit $(git -C "$base" rev-parse --short=12 HEAD)"
echo "$base"
