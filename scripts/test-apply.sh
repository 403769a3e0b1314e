#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove `make apply` on copies of the pinned base: it applies to a clean
# git tree and to a plain extracted tree, and refuses, changing nothing, a
# dirty git tree and a tree of another version.
set -eu
. "$(dirname "$0")/lib.sh"

base=$("$MS_TOP/scripts/base-tree.sh")
work=$MS_CACHE/apply-test
apply=$MS_TOP/scripts/apply.sh
rm -rf "$work"
mkdir -p "$work"

fail() {
	printf 'error: make apply: %s\n' "$*" >&2
	exit 1
}

git clone -q --shared "$base" "$work/git"
"$apply" "$work/git" >/dev/null 2>&1 || fail "refused a clean git tree"
[ "$(git -C "$work/git" rev-list --count HEAD^0 --not "$(git -C "$base" rev-parse HEAD)")" = \
	"$(ls "$MS_TOP"/patches/0[0-9][0-9][1-9]-*.patch | wc -l)" ] ||
	fail "git tree does not hold one commit per patch"
stage "apply: clean git tree: applied"

git -C "$work/git" checkout -q -f "$(git -C "$base" rev-parse HEAD)"
echo "# local change" >>"$work/git/Makefile"
if "$apply" "$work/git" >/dev/null 2>&1; then
	fail "applied to a dirty git tree"
fi
[ ! -e "$work/git/drivers/char/message_slot" ] || fail "dirty tree was changed"
stage "apply: dirty git tree: refused"

git -C "$work/git" checkout -q -f Makefile
sed -i 's/^PATCHLEVEL = 12$/PATCHLEVEL = 11/' "$work/git/Makefile"
git -C "$work/git" -c user.name=t -c user.email=t@t.invalid commit -q -am "6.11"
if "$apply" "$work/git" >/dev/null 2>&1; then
	fail "applied to a 6.11 tree"
fi
stage "apply: tree of another version: refused"

mkdir "$work/plain"
git -C "$base" archive HEAD | tar -x -C "$work/plain"
"$apply" "$work/plain" >/dev/null 2>&1 || fail "refused a plain tree"
cmp -s "$work/plain/drivers/char/message_slot/store.c" \
	"$MS_TOP/drivers/char/message_slot/store.c" ||
	fail "plain tree does not hold the driver"
if "$apply" "$work/plain" >/dev/null 2>&1; then
	fail "applied twice to a plain tree"
fi
stage "apply: plain tree: applied, and refused a second time"
rm -rf "$work"
