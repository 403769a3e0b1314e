#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches.sh: regenerate the committed series, `make patches`: patches/ for
# mainline and patches/BASE/ for each backport (scripts/bases), and record
# in scripts/bases the linux-source version each was generated on.
#
# With MS_SENDER set (see scripts/series.sh), the series carry the sender's
# identity instead of the project's placeholder, and go to outgoing/
# rather than patches/, which keeps the placeholder.
set -eu
. "$(dirname "$0")/lib.sh"

dest=$MS_TOP/patches
[ -z "${MS_SENDER:-}" ] || dest=$MS_TOP/outgoing

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
rm -rf "$dest"
mv "$new" "$dest"
stage "${dest#"$MS_TOP"/}/ regenerated"
