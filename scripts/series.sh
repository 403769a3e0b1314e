#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh BASE [--rebuild]: the series' scratch branch for release
# series BASE (see scripts/bases). The series is the source: the branch
# is the base with every patch of patches/ (patches/BASE/ for a backport)
# applied by git am, as a maintainer applies them. It lives in
# $MS_CACHE/series-branch-BASE, branch message_slot, and is kept while
# patches/ is what it was built from, so that work done on it (make
# fixup, or a git rebase -i by hand) stays until make patches writes it
# back; it is built again when patches/ changed, or with --rebuild.
# Prints the path of its work tree.
set -eu
. "$(dirname "$0")/lib.sh"

base_series=${1:-}
case ${2:-} in
'') rebuild= ;;
--rebuild) rebuild=1 ;;
*) die "usage: series.sh BASE [--rebuild]" ;;
esac
[ -n "$base_series" ] || die "usage: series.sh BASE [--rebuild]"
check_base "$base_series"
base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
base_commit=$(git -C "$base" rev-parse HEAD)
work=$(series_branch_dir "$base_series")
source_key=$(series_source_key "$base_series")

if [ -z "$rebuild" ] && [ -d "$work/.git" ] &&
   [ "$(cat "$work/.git/ms-series-source" 2>/dev/null)" = "$source_key" ] &&
   git -C "$work" merge-base --is-ancestor "$base_commit" message_slot 2>/dev/null; then
	echo "$work"
	exit 0
fi

patches=$(patches_dir "$base_series")
stage "series for $base_series: git am of ${patches#"$MS_TOP"/}/ onto linux-source $(pinned_version "$base_series")"
# Resetting a clone is much cheaper than a new one.
git -C "$work" cat-file -e "$base_commit" 2>/dev/null || rm -rf "$work"
[ -d "$work/.git" ] || run_logged "series-clone-$base_series" git clone -q --shared "$base" "$work"
git -C "$work" am --abort >/dev/null 2>&1 || true
git -C "$work" rebase --abort >/dev/null 2>&1 || true
git -C "$work" checkout -q -f -B message_slot "$base_commit"
git -C "$work" clean -q -fdx
# shellcheck disable=SC2046 # the paths have no blanks
series_git "$work" am -q $(series_patches "$patches") \
	>"$MS_LOGS/series-am-$base_series.log" 2>&1 ||
	die "patches/ does not apply to the $base_series base with git am (log: $MS_LOGS/series-am-$base_series.log)"
echo "$source_key" >"$work/.git/ms-series-source"
echo "$work"
