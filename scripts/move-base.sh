#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# move-base.sh: `make move-base`. Find the newest kernel release whose
# source Debian's archive serves (linux-source-X.Y in the suites of lib.sh,
# release candidates left out), make it the mainline line of scripts/bases,
# pin every base to the newest version served, and regenerate patches/.
# A new mainline release also moves the ABI file's KernelVersion to the
# release after it, where the series would land.
set -eu
. "$(dirname "$0")/lib.sh"

rm -f "$MS_APT/updated"
archive_update
newest=
# shellcheck disable=SC2046
for pkg in $(apt-cache $(ms_apt_opts) pkgnames linux-source- |
	grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -V); do
	[ -z "$(served_versions "$pkg")" ] || newest=${pkg#linux-source-}
done
[ -n "$newest" ] || die "Debian's archive serves no linux-source-X.Y release"

pins=$MS_TOP/scripts/bases
if [ "$newest" != "$MS_MAINLINE" ]; then
	stage "mainline moves from $MS_MAINLINE to $newest"
	# The old mainline line goes; the backports stay.
	awk -v old="$MS_MAINLINE" -v new="$newest" '
		!done && !/^#/ && NF { print new " pending"; done = 1 }
		!/^#/ && $1 == old { next }
		{ print }' "$pins" >"$pins.new"
	mv "$pins.new" "$pins"
	major=${newest%%.*} minor=${newest#*.}
	sed -i "s/^KernelVersion:.*/KernelVersion:\t$major.$((minor + 1))/" \
		"$MS_TOP/Documentation/ABI/testing/sysfs-class-message_slot"
	. "$MS_TOP/scripts/lib.sh"
fi
for base_series in $MS_BASES; do
	version=$(served_versions "linux-source-$base_series" | head -n 1)
	[ -n "$version" ] || die "Debian's archive serves no linux-source-$base_series"
	if [ "$version" != "$(pinned_version "$base_series")" ]; then
		stage "$base_series: pinned to $version"
		sed -i "s/^$base_series .*/$base_series $version/" "$pins"
	else
		stage "$base_series: $version, the newest served, is pinned already"
	fi
done
"$MS_TOP/scripts/patches.sh"
stage "done: review and commit scripts/bases, patches/ and the ABI file; make check builds and tests the new bases"
