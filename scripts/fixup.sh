#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fixup.sh N [FILE...]: `make fixup PATCH=N [FILES="..."]`. Fold what the
# files of this repository (all of them, or the FILEs, as kernel paths)
# change against each series' final tree into patch N of that series, as
# a kernel developer folds a fix into the patch it belongs to: git commit
# --fixup on the scratch branch (scripts/series.sh), then git rebase
# --autosquash. The later patches are rebased on it; a change that makes
# one of them conflict stops there, and the branch stays as it was.
# make patches then writes the branches back to patches/.
set -eu
. "$(dirname "$0")/lib.sh"

patch=${1:-}
case $patch in
'' | *[!0-9]*) die "usage: fixup.sh N [FILE...] (N: the number of the patch, 1 for 0001-*.patch)" ;;
esac
shift
patch=$((10#$patch))

for base_series in $MS_BASES; do
	work=$("$MS_TOP/scripts/series.sh" "$base_series")
	stage_dir=$("$MS_TOP/scripts/overlay.sh" "$base_series" --stage-only)
	base_commit=$(git -C "$("$MS_TOP/scripts/base-tree.sh" "$base_series")" rev-parse HEAD)
	commits=$(git -C "$work" rev-list --reverse "$base_commit..message_slot")
	target=$(echo "$commits" | sed -n "${patch}p")
	[ "$patch" -ge 1 ] && [ -n "$target" ] ||
		die "the $base_series series has patches 1 to $(echo "$commits" | wc -l), not $patch"

	files=$*
	[ $# != 0 ] || files=$(series_tree_diff "$base_series" "$work")
	for file in $files; do
		[ -f "$stage_dir/$file" ] ||
			git -C "$work" diff --quiet "$base_commit" HEAD -- "$file" ||
			die "$file is neither one of this repository's files nor in the series"
		if [ -f "$stage_dir/$file" ]; then
			mkdir -p "$work/$(dirname "$file")"
			cp "$stage_dir/$file" "$work/$file"
		else
			rm -f "$work/$file"
		fi
		git -C "$work" add -A -f -- "$file"
	done
	if git -C "$work" diff --cached --quiet; then
		stage "$base_series: nothing to fold"
		continue
	fi
	subject=$(git -C "$work" log -1 --format=%s "$target")
	series_git "$work" commit -q --fixup="$target"
	log=$MS_LOGS/fixup-$base_series.log
	GIT_SEQUENCE_EDITOR=: series_git "$work" rebase -q -i --autosquash \
		"$base_commit" >"$log" 2>&1 || true
	# A later patch that conflicts with the change, in a file that no
	# patch after it touches, ends with that file as the final tree has
	# it: take that, and go on.
	while [ -d "$work/.git/rebase-merge" ]; do
		conflicts=$(git -C "$work" diff --name-only --diff-filter=U)
		later=$(sed -n 's/^\(pick\|fixup\) \([0-9a-f]*\) .*/\2/p' \
			"$work/.git/rebase-merge/git-rebase-todo" |
			while read -r commit; do
				git -C "$work" diff-tree --no-commit-id --name-only -r "$commit"
			done)
		for file in $conflicts; do
			if [ -z "$file" ] || printf '%s\n' "$later" | grep -qxF "$file"; then
				conflicts=unresolved
				break
			fi
			if [ -f "$stage_dir/$file" ]; then
				cp "$stage_dir/$file" "$work/$file"
			else
				rm -f "$work/$file"
			fi
			git -C "$work" add -A -f -- "$file"
		done
		if [ -z "$conflicts" ] || [ "$conflicts" = unresolved ]; then
			git -C "$work" rebase --abort
			git -C "$work" reset -q --hard HEAD~
			die "$base_series: folded into patch $patch, the change conflicts with a later patch that is not the last to touch the file (log: $log); nothing was changed. Fold it into a later patch, split it, or rebase by hand in $work"
		fi
		echo "resolved with the final files: $conflicts" >>"$log"
		GIT_EDITOR=true series_git "$work" rebase --continue >>"$log" 2>&1 || true
	done
	stage "$base_series: folded $(echo "$files" | wc -w) files into patch $patch, \"$subject\""
done
stage "now: make patches"
