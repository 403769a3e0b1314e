#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove `make apply` on copies of the base trees: for every release series
# of scripts/bases it applies that series' patches to a clean git tree and
# to a plain extracted tree, and it refuses, changing nothing, a dirty git
# tree, a tree it has already applied to and a tree of another version.
set -eu
. "$(dirname "$0")/lib.sh"

work=$MS_CACHE/apply-test
apply=$MS_TOP/scripts/apply.sh

fail() {
	printf 'error: make apply: %s\n' "$*" >&2
	exit 1
}

for base_series in $MS_BASES; do
	base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
	base_commit=$(git -C "$base" rev-parse HEAD)
	patches=$(patches_dir "$base_series")
	rm -rf "$work"
	mkdir -p "$work"

	git clone -q --shared "$base" "$work/git"
	"$apply" "$work/git" >"$MS_LOGS/apply-test.log" 2>&1 ||
		fail "refused a clean $base_series git tree"
	grep -q "applied .* of ${patches#"$MS_TOP"/} to" "$MS_LOGS/apply-test.log" ||
		fail "did not apply ${patches#"$MS_TOP"/} to a $base_series tree"
	[ "$(git -C "$work/git" rev-list --count HEAD^0 --not "$base_commit")" = \
		"$(series_patches "$patches" | wc -l)" ] ||
		fail "$base_series git tree does not hold one commit per patch"
	stage "apply on $base_series: clean git tree: ${patches#"$MS_TOP"/} applied"

	git -C "$work/git" checkout -q -f "$base_commit"
	echo "# local change" >>"$work/git/Makefile"
	if "$apply" "$work/git" >/dev/null 2>&1; then
		fail "applied to a dirty $base_series git tree"
	fi
	[ ! -e "$work/git/drivers/char/message_slot" ] ||
		fail "dirty $base_series tree was changed"
	stage "apply on $base_series: dirty git tree: refused"

	# A plain tree as far as the series can tell: the top Makefile, which
	# names the version, and every file the series changes.
	mkdir "$work/plain"
	# Files a patch creates and a later one changes are not in the base.
	# shellcheck disable=SC2046
	git -C "$base" archive HEAD Makefile $(git -C "$base" ls-files -- $(
		cat $(series_patches "$patches") | sed -n 's|^--- a/||p' |
		sort -u)) | tar -x -C "$work/plain"
	"$apply" "$work/plain" >/dev/null 2>&1 ||
		fail "refused a plain $base_series tree"
	# The driver as this base's series has it (wiring/BASE/ included).
	"$MS_TOP/scripts/overlay.sh" "$base_series" >/dev/null 2>&1
	# Under the overlay's lock: a kernel lane beside may be laying the
	# stage out again.
	(flock 9 && cmp -s "$work/plain/drivers/char/message_slot/store.c" \
		"$MS_CACHE/overlay-stage-$base_series/drivers/char/message_slot/store.c") \
		9>"$MS_CACHE/overlay-$base_series.lock" ||
		fail "plain $base_series tree does not hold the driver"
	if "$apply" "$work/plain" >/dev/null 2>&1; then
		fail "applied twice to a plain $base_series tree"
	fi
	stage "apply on $base_series: plain tree: applied, and refused a second time"
done

# A release with no series of its own.
git -C "$work/git" checkout -q -f "$base_commit"
sed -i 's/^VERSION = .*/VERSION = 5/; s/^PATCHLEVEL = .*/PATCHLEVEL = 15/' \
	"$work/git/Makefile"
git -C "$work/git" -c user.name=t -c user.email=t@t.invalid commit -q -am "5.15"
if "$apply" "$work/git" >"$MS_LOGS/apply-test.log" 2>&1; then
	fail "applied to a 5.15 tree"
fi
grep -q "the series is for Linux $MS_BASES_TEXT" \
	"$MS_LOGS/apply-test.log" || fail "refused a 5.15 tree without naming the supported ones"
stage "apply: Linux 5.15 tree: refused, naming $MS_BASES_TEXT"
rm -rf "$work"
