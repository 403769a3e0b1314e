#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches.sh: `make patches`. Write each series' scratch branch
# (scripts/series.sh; built from patches/ if it is not there) back as
# patches/ for mainline and patches/BASE/ for each backport, once its
# final tree is the files of this repository: a change to the files is
# folded into its patch first (make fixup, scripts/fixup.sh). Records in
# scripts/bases the linux-source version each series was written on.
#
# With MS_SENDER set (see scripts/series-export.sh), the series carry the
# sender's identity instead of the project's placeholder, and go to
# outgoing/ rather than patches/, which keeps the placeholder.
set -eu
. "$(dirname "$0")/lib.sh"

dest=$MS_TOP/patches
[ -z "${MS_SENDER:-}" ] || dest=$MS_TOP/outgoing

new=$MS_CACHE/patches-new
rm -rf "$new"
for base_series in $MS_BASES; do
	work=$("$MS_TOP/scripts/series.sh" "$base_series")
	"$MS_TOP/scripts/overlay.sh" "$base_series" --stage-only >/dev/null
	differ=$(series_tree_diff "$base_series" "$work")
	if [ -n "$differ" ]; then
		base_commit=$(git -C "$("$MS_TOP/scripts/base-tree.sh" "$base_series")" rev-parse HEAD)
		for file in $differ; do
			printf '  %s, in patches' "$file"
			git -C "$work" rev-list --reverse "$base_commit..message_slot" |
				awk '{ print NR, $1 }' | while read -r nr commit; do
				git -C "$work" diff --quiet "$commit~" "$commit" -- "$file" ||
					printf ' %s' "$nr"
			done
			echo
		done >&2
		die "the $base_series series' final tree differs from the files above; fold each change into its patch with make fixup PATCH=N [FILES=...], then make patches"
	fi
	if [ "$base_series" = "$MS_MAINLINE" ]; then
		dir=$new
	else
		dir=$new/$base_series
	fi
	"$MS_TOP/scripts/series-export.sh" "$base_series" "$work" "$dir.tmp" >/dev/null
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
# The branches are what patches/ now holds: keep them, and the work on
# them, for the next make fixup.
if [ -z "${MS_SENDER:-}" ]; then
	for base_series in $MS_BASES; do
		series_source_key "$base_series" \
			>"$(series_branch_dir "$base_series")/.git/ms-series-source"
	done
fi
stage "${dest#"$MS_TOP"/}/ regenerated"
