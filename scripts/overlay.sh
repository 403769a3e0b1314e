#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# overlay.sh BASE [--stage-only]: lay this repository's sources over a working copy of
# the base tree of release series BASE (see scripts/bases): our own
# directories, plus the wiring edits (wiring/*.diff) to existing kernel
# files. A backport base may replace a wiring edit whose context differs
# there, or add an edit of our own files, with a diff of its own in
# wiring/BASE/ (wiring/BASE/README says why each one exists). Only files
# whose content changed are rewritten, so kbuild rebuilds no more than it
# must.
#
# Prints the path of the patched tree on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

base_series=${1:-}
case ${2:-} in
'') stage_only= ;;
--stage-only) stage_only=1 ;;
*) die "usage: overlay.sh BASE [--stage-only]" ;;
esac
[ -n "$base_series" ] || die "usage: overlay.sh BASE [--stage-only] (BASE one of: $MS_BASES)"
check_base "$base_series"
base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
tree=$MS_CACHE/tree-$base_series
stage=$MS_CACHE/overlay-stage-$base_series
manifest=$MS_CACHE/overlay-manifest-$base_series
# --stage-only: only the files, for the series scripts to compare with
# the series' final tree (series_tree_diff), in a stage of their own, so
# that a kernel lane building from the tree meanwhile is not disturbed.
if [ -n "$stage_only" ]; then
	stage=$(series_stage_dir "$base_series")
	ms_lock "series-stage-$base_series"
else
	ms_lock "overlay-$base_series"
fi

base_commit=$(git -C "$base" rev-parse HEAD)
if [ -z "$stage_only" ] &&
   [ "$(git -C "$tree" rev-parse HEAD 2>/dev/null)" != "$base_commit" ]; then
	stage "checking out the $base_series base into $tree"
	rm -rf "$tree" "$manifest"
	run_logged "overlay-clone-$base_series" git clone -q --shared "$base" "$tree"
fi

rm -rf "$stage"
mkdir -p "$stage"
for path in $MS_OWN_PATHS; do
	[ -e "$MS_TOP/$path" ] || continue
	(cd "$MS_TOP" && cp -a --parents "$path" "$stage/")
done
for diff in $(wiring_diffs "$base_series"); do
	for file in $(sed -n 's|^+++ b/||p' "$diff"); do
		[ -e "$stage/$file" ] && continue
		mkdir -p "$stage/$(dirname "$file")"
		git -C "$base" show "HEAD:$file" >"$stage/$file"
	done
	(cd "$stage" && git apply -p1 "$diff") ||
		die "${diff#"$MS_TOP/"} does not apply to the $base_series base"
done

if [ -n "$stage_only" ]; then
	echo "$stage"
	exit 0
fi

# Copy what changed; put back base files that are no longer overlaid.
new_manifest=$(cd "$stage" && find . -type f | sed 's|^\./||' | sort)
if [ -f "$manifest" ]; then
	printf '%s\n' "$new_manifest" | comm -13 - "$manifest" |
	while read -r file; do
		if git -C "$tree" cat-file -e "HEAD:$file" 2>/dev/null; then
			git -C "$tree" checkout -q HEAD -- "$file"
		else
			rm -f "$tree/$file"
		fi
	done
fi
changed=0
for file in $new_manifest; do
	if ! cmp -s "$stage/$file" "$tree/$file"; then
		mkdir -p "$tree/$(dirname "$file")"
		cp "$stage/$file" "$tree/$file"
		changed=$((changed + 1))
	fi
done
printf '%s\n' "$new_manifest" >"$manifest"

# Test trees only, not the series: gcov profiles message_slot's directory
# (Documentation/dev-tools/gcov.rst) in the test kernels that enable
# CONFIG_GCOV_KERNEL, and no others. Kbuild reads a directory's Kbuild
# file in preference to its Makefile.
gcov_kbuild=$tree/drivers/char/message_slot/Kbuild
printf '%s\n' '# Written by scripts/overlay.sh for the test kernels.' \
	'include $(srctree)/drivers/char/message_slot/Makefile' \
	'# Profiled only where coverage is read: the built-in kernel.' \
	'ifeq ($(CONFIG_MESSAGE_SLOT),y)' 'GCOV_PROFILE := y' 'endif' \
	>"$stage.kbuild"
cmp -s "$stage.kbuild" "$gcov_kbuild" || cp "$stage.kbuild" "$gcov_kbuild"
stage "overlay on $base_series: $(printf '%s\n' "$new_manifest" | wc -l) files, $changed updated"
echo "$tree"
