#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches.sh: regenerate the committed series, `make patches`: patches/ for
# mainline and patches/BASE/ for each backport (scripts/bases), and record
# in scripts/bases the linux-source version each was generated on.
set -eu
. "$(dirname "$0")/lib.sh"

new=$MS_CACHE/patches-new
rm -rf "$new"
for base_series in $MS_BASES; do
	if [ "$base_series" = "$MS_MAINLINE" ]; then
		dir=$new
	else
		dir=$new/$base_series
	fi
	"$MS_TOP/scripts/series.sh" "$base_series" "$dir.tmp" >/dev/null
	mkdir -p "$dir"
	mv "$dir.tmp"/* "$dir/"
	rmdir "$dir.tmp"
	used=$(cat "$("$MS_TOP/scripts/base-tree.sh" "$base_series" 2>/dev/null)/.git/ms-package-version")
	if [ "$used" != "$(pinned_version "$base_series")" ]; then
		stage "scripts/bases: $base_series now pinned to $used"
		sed -i "s/^$base_series .*/$base_series $used/" "$MS_TOP/scripts/bases"
	fi
	stage "patches for $base_series: $(ls "$dir"/*.patch | wc -l) files"
done
rm -rf "$MS_TOP/patches"
mv "$new" "$MS_TOP/patches"
stage "patches/ regenerated"
