#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-series.sh BASE: verify the committed series for release series
# BASE (patches/ for mainline, patches/BASE/ for a backport) as a
# maintainer would receive it: applies with git am on the pristine base,
# its final tree is the files of this repository and patches/ is what
# make patches writes, checkpatch --strict on every patch, a module (=m)
# and built-in (=y) build of what each patch touches with W=1, sparse,
# kernel-doc, the uapi header test as C and C++, get_maintainer,
# coccicheck and htmldocs.
#
# Verdicts are cached by the content they depend on, so a warm run only
# repeats what changed. One line per check, each naming the base; logs in
# $MS_CACHE/logs.
set -eu
. "$(dirname "$0")/lib.sh"

base_series=${1:-}
[ -n "$base_series" ] || die "usage: check-series.sh BASE (one of: $MS_BASES)"
check_base "$base_series"
# shellcheck disable=SC2086
need_packages $MS_SERIES_PACKAGES
base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
base_commit=$(git -C "$base" rev-parse HEAD)
patches=$(patches_dir "$base_series")
verdicts=$MS_CACHE/verdicts
mkdir -p "$verdicts"
# Every cache path and log of this script is per base.
b=$base_series

series_passed=0
series_failed=0
# verdict NAME KEY CMD...: run CMD (in a subshell, so that a failing
# run_logged counts as one failure) unless it already passed for KEY.
verdict() {
	_name=$1 _key=$2
	shift 2
	_file=$verdicts/$b-$(echo "$_name" | tr -c 'A-Za-z0-9.=_\n-' _)-$_key
	if [ -f "$_file" ]; then
		stage "$b: $_name: ok (cached)"
	elif ("$@"); then
		: >"$_file"
		stage "$b: $_name: ok"
	else
		printf 'FAILED: %s: %s\n' "$b" "$_name" >&2
		series_failed=$((series_failed + 1))
		return 0
	fi
	series_passed=$((series_passed + 1))
}

# normalize: a patch without what only the base's exact text decides: the
# blob ids of the files it changes and the line numbers of its hunks.
normalize() {
	sed -e '/^index [0-9a-f]*\.\.[0-9a-f]*/d' \
		-e 's/^@@ -[0-9,]* +[0-9,]* @@/@@/' "$@"
}

# Keyed by this script too: how it applies the series may change.
series_key=$(cat "$patches"/*.patch "$0" | sha256sum | cut -c1-16)

# 1. git am onto a pristine copy of the base.
verify=$MS_CACHE/series-verify-$b
if [ "$(cat "$verify/.git/ms-series" 2>/dev/null)" != "$series_key" ]; then
	git -C "$verify" cat-file -e "$base_commit" 2>/dev/null || rm -rf "$verify"
	[ -d "$verify/.git" ] ||
		run_logged "series-verify-clone-$b" git clone -q --shared "$base" "$verify"
	git -C "$verify" am --abort >/dev/null 2>&1 || true
	git -C "$verify" checkout -q -f -B verify "$base_commit"
	git -C "$verify" clean -q -fdx
	# shellcheck disable=SC2046 # the paths have no blanks
	run_logged "series-am-$b" git -C "$verify" \
		-c user.name=verify -c user.email=verify@message-slot.invalid \
		am -q $(series_patches "$patches") ||
		die "$b: patches do not apply to the base with git am"
	echo "$series_key" >"$verify/.git/ms-series"
fi
# A run stopped while it built one patch left that patch checked out.
git -C "$verify" checkout -q -f verify
commits=$(git -C "$verify" rev-list --reverse "$base_commit..HEAD")

# 2. The series is the source of the files: its final tree must be the
# files of this repository (as overlaid on the base), and patches/ must
# be what make patches writes from it. On the base the series was
# written on, to the byte. When Debian no longer serves that version and
# the base moved to a newer stable release, line numbers and blob ids may
# differ; the text of every patch may not.
"$MS_TOP/scripts/overlay.sh" "$base_series" --stage-only >/dev/null
differ=$(series_tree_diff "$base_series" "$verify")
[ -z "$differ" ] ||
	die "$b: the series' final tree differs from the files in:" $differ "-- fold the change into its patch: make fixup PATCH=N, then make patches (README, \"Using the patch series on your own kernel tree\")"
fresh=$MS_CACHE/series-fresh-$b
"$MS_TOP/scripts/series-export.sh" "$base_series" "$verify" "$fresh" >/dev/null
stale_log=$MS_LOGS/series-stale-$b.log
used=$(cat "$base/.git/ms-package-version")
pinned=$(pinned_version "$base_series")
(cd "$patches" && ls ./*.patch) >"$fresh.committed-list"
(cd "$fresh" && ls ./*.patch) | diff - "$fresh.committed-list" >"$stale_log" ||
	die "$b: patches/ is not what make patches writes (diff: $stale_log); run: make patches"
for patch in "$fresh"/*.patch; do
	if [ "$used" = "$pinned" ]; then
		diff "$patch" "$patches/${patch##*/}"
	else
		diff <(normalize "$patch") <(normalize "$patches/${patch##*/}")
	fi
done >"$stale_log" 2>&1 ||
	die "$b: patches/ is not what make patches writes (diff: $stale_log); run: make patches"
if [ "$used" = "$pinned" ]; then
	stage "$b: the series' final tree is the files, and ${patches#"$MS_TOP"/} is as make patches writes it"
else
	stage "$b: the series' final tree is the files, and ${patches#"$MS_TOP"/} is as make patches writes it; written on $pinned, checked on $used (make patches would move the pin)"
fi
stage "$b: git am: $(echo "$commits" | wc -l) patches apply to $(git -C "$base" log -1 --format=%s)"

# 3. checkpatch --strict, zero messages but the named exceptions.
exceptions=$MS_TOP/scripts/series/checkpatch-exceptions
checkpatch_one() {
	_patch=$1
	_ignore=$(awk -v n="${_patch##*/}" 'substr(n, 1, 4) == $1 { print $2 }' \
		"$exceptions" | paste -sd, -)
	for _type in ${_ignore//,/ }; do
		grep -q "$_type" "$patches/0000-cover-letter.patch" ||
			{ echo "exception $_type is not explained in the cover letter"; return 1; }
	done
	# checkpatch runs scripts/spdxcheck.py, which needs Debian's python3
	# modules (python3-ply, python3-git), whatever python3 is first in PATH.
	# --codespell: Debian's codespell keeps its dictionary where
	# checkpatch does not look.
	(cd "$base" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --quiet \
		--codespell --codespellfile "$codespell_dictionary" \
		${_ignore:+--ignore "$_ignore"} "$_patch")
}
codespell_dictionary=$(dpkg -L codespell | grep '/codespell_lib/data/dictionary\.txt$' |
	head -n 1)
[ -f "$codespell_dictionary" ] ||
	die "no dictionary.txt in Debian's codespell package"
# shellcheck disable=SC2046 # the paths have no blanks
for patch in $(series_patches "$patches"); do
	key=$(cat "$patch" "$exceptions" "$codespell_dictionary" | sha256sum | cut -c1-16)
	verdict "checkpatch ${patch##*/}" "$key" \
		run_logged "checkpatch-$b-${patch##*/}" checkpatch_one "$patch"
done

# 4. Build what every patch touches, =m and =y, with W=1, in one build
# directory: switching the option rebuilds only what depends on it, and
# the tree is prepared once.
series_build=$MS_CACHE/build-series-$b
prepare_build_dir() {
	[ ! -f "$series_build/.ms-ready" ] || return 0
	stage "$b: preparing the series build directory (once)"
	git -C "$verify" checkout -q HEAD
	run_logged "series-$b-config" sh -c "
		make -C '$verify' O='$series_build' tinyconfig &&
		'$verify/scripts/kconfig/merge_config.sh' -m -O '$series_build' \
			'$series_build/.config' '$MS_TOP/scripts/config/vm.config' \
			'$MS_TOP/scripts/config/builtin.config' &&
		'$verify/scripts/config' --file '$series_build/.config' \
			--enable UAPI_HEADER_TEST --enable KUNIT &&
		make -C '$verify' O='$series_build' olddefconfig"
	: >"$series_build/.ms-ready"
}

# build_patch VARIANT COMMIT: W=1 build of the directories COMMIT touches.
build_patch() {
	_variant=$1 _commit=$2
	_out=$series_build
	_targets=
	for _file in $(git -C "$verify" show --format= --name-only "$_commit"); do
		case $_file in
		drivers/char/*) _targets="$_targets drivers/char/" ;;
		samples/*) _targets="$_targets headers samples/" ;;
		include/uapi/*) _targets="$_targets headers usr/" ;;
		esac
	done
	# Tests and documentation: nothing of the kernel to build.
	[ -n "${_targets// /}" ] || return 0
	_targets=$(printf '%s\n' $_targets | sort -u | tr '\n' ' ')
	git -C "$verify" checkout -q "$_commit"
	"$verify/scripts/config" --file "$_out/.config" \
		--set-val MESSAGE_SLOT "$_variant" --enable SAMPLE_MESSAGE_SLOT \
		--enable KUNIT --set-val MESSAGE_SLOT_KUNIT_TEST "$_variant"
	make -C "$verify" O="$_out" olddefconfig || return 1
	# shellcheck disable=SC2086
	make -C "$verify" O="$_out" W=1 -j"$(nproc)" $_targets || return 1
	# This function's output goes to the log that run_logged names below.
	_log=$MS_LOGS/build-$b-$_variant-${_commit:0:12}.log
	[ -f "$_log" ] && ! grep -E 'message_slot.*(warning|error):' "$_log"
}

prepare_build_dir
# MS_SERIES_SCOPE: full (the default, and make check-full) builds every
# patch; last (make check, mainline) only the last one; final (make
# check, a backport) only the last one, and leaves coccicheck and
# htmldocs, which the mainline series runs on the same files, to make
# check-full.
scope=${MS_SERIES_SCOPE:-full}
case $scope in full | last | final) ;; *) die "MS_SERIES_SCOPE: full, last or final" ;; esac
last=$(echo "$commits" | tail -n 1)
for variant in m y; do
	prefix=
	for commit in $commits; do
		prefix=$prefix$(git -C "$verify" show "$commit" | sha256sum | cut -c1-8)
		key=$(echo "$prefix" | sha256sum | cut -c1-16)
		[ "$scope" = full ] || [ "$commit" = "$last" ] || continue
		subject=$(git -C "$verify" log -1 --format=%s "$commit")
		verdict "build =$variant: $subject" "$key" \
			run_logged "build-$b-$variant-${commit:0:12}" \
			build_patch "$variant" "$commit"
	done
done
git -C "$verify" checkout -q verify

# KUnit at the KUnit patch and after it: the patches after it change no
# kernel code, so the driver and the suite at that patch are those of the
# final tree, which scripts/kunit.sh runs on every base (step 1 shows the
# series makes that tree).
kunit_onward_check() {
	_kunit=$(git -C "$verify" log --diff-filter=A --format=%H \
		"$base_commit..verify" -- drivers/char/message_slot/store_kunit.c)
	[ -n "$_kunit" ] || { echo "no patch adds the KUnit suite"; return 1; }
	_later=$(git -C "$verify" diff --name-only "$_kunit" verify -- \
		drivers include arch lib kernel mm)
	[ -z "$_later" ] ||
		{ echo "patches after the KUnit patch change kernel code: $_later"; return 1; }
	echo "KUnit patch: $(git -C "$verify" log -1 --format=%s "$_kunit")"
}
verdict "KUnit patch onward: the tree KUnit runs on" "$series_key" \
	run_logged "kunit-onward-$b" kunit_onward_check

# 5. No second link of the whole kernel here: step 2 shows that the tree
# the series makes is the tree scripts/overlay.sh lays, and make check
# links that one already (the built-in test kernel on mainline, KUnit on
# UML on every base).

# 6. Static checks on the final tree.
src_key=$(cat "$patches"/*.patch "$0" | sha256sum | cut -c1-16)
sparse=$("$MS_TOP/scripts/sparse.sh" "$verify") ||
	die "$b: no sparse that can check Linux $(cat "$base/.git/ms-kernelversion")"
sparse_check() {
	make -C "$verify" O="$series_build" C=2 W=1 CHECK="$sparse" \
		drivers/char/message_slot/ >"$MS_LOGS/sparse-$b.out" 2>&1 || return 1
	cat "$MS_LOGS/sparse-$b.out"
	grep -Eq 'CHECK +([^ ]*/)?drivers/char/message_slot/main\.c$' "$MS_LOGS/sparse-$b.out" ||
		{ echo "sparse did not check the driver"; return 1; }
	! grep -E 'message_slot.*(warning|error):' "$MS_LOGS/sparse-$b.out"
}
# Debian 12's sparse where the base's scripts/checker-valid.sh accepts
# it; on 7.3, which needs one that knows __typeof_unqual__, one built
# from Debian's newest sparse source (scripts/sparse.sh).
verdict "sparse (${sparse#"$MS_CACHE"/})" "$src_key" \
	run_logged "sparse-$b" sparse_check

kerneldoc_check() {
	_out=$("$verify/scripts/kernel-doc" -Wall -none \
		"$verify"/drivers/char/message_slot/*.[ch] \
		"$verify/include/uapi/linux/message_slot.h" 2>&1)
	echo "$_out"
	[ -z "$_out" ]
}
verdict kernel-doc "$src_key" run_logged "kernel-doc-$b" kerneldoc_check

uapi_check() {
	_out=$series_build
	# CONFIG_UAPI_HEADER_TEST compiles every exported header on its own.
	make -C "$verify" O="$_out" usr/ &&
	ls "$_out"/usr/include/linux/message_slot.hdrtest* &&
	# Beyond that (C90, no libc), a user's view in C and C++. Not
	# -pedantic: linux/types.h itself declares long long and __int128.
	printf '%s\n' '#include <linux/message_slot.h>' \
		'struct msg_slot_channel_info info;' \
		'unsigned int cmds[] = { MSG_SLOT_CHANNEL,' \
		'	MSG_SLOT_CHANNEL_INFO, MSG_SLOT_CLEAR };' >"$_out/uapi-user.c" &&
	gcc -std=c99 -Wall -Wextra -Werror -fsyntax-only \
		-I"$_out/usr/include" "$_out/uapi-user.c" &&
	g++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only \
		-I"$_out/usr/include" -x c++ "$_out/uapi-user.c"
}
verdict "uapi header (UAPI_HEADER_TEST, C, C++)" "$src_key" \
	run_logged "uapi-$b" uapi_check

maintainer_check() {
	(cd "$verify" && perl scripts/get_maintainer.pl --no-git --no-rolestats \
		--no-git-fallback $(series_patches "$patches")) |
		tee /dev/stderr | grep -q 'devel@message-slot.invalid'
}
verdict get_maintainer "$src_key" run_logged "get-maintainer-$b" maintainer_check

cocci_check() {
	make -C "$verify" O="$series_build" coccicheck MODE=report \
		M="$verify/drivers/char/message_slot" >"$MS_LOGS/cocci-$b.out" 2>&1 ||
		return 1
	# 6.12 names the directory to spatch; 7.3 enters it and scans ".".
	_dir=$verify/drivers/char/message_slot
	grep -q -- "--dir $_dir" "$MS_LOGS/cocci-$b.out" ||
	{ grep -q "Entering directory '$_dir'" "$MS_LOGS/cocci-$b.out" &&
	  grep -q -- "--dir \. " "$MS_LOGS/cocci-$b.out"; } ||
		{ echo "coccicheck did not scan the sources"; return 1; }
	cat "$MS_LOGS/cocci-$b.out"
	# A finding starts with the file and line it is about, relative to
	# the scanned directory or not.
	! grep -E '^[^ :]+\.[ch]:[0-9]+:' "$MS_LOGS/cocci-$b.out"
}
[ "$scope" = final ] ||
	verdict coccicheck "$src_key" run_logged "coccicheck-$b" cocci_check

htmldocs_check() {
	# Not a page an earlier run left: the check below must see this one's.
	rm -rf "$MS_CACHE/build-series-$b-docs/Documentation/output"
	make -C "$verify" O="$MS_CACHE/build-series-$b-docs" \
		SPHINXDIRS=userspace-api htmldocs >"$MS_LOGS/htmldocs-$b.out" 2>&1 ||
		return 1
	cat "$MS_LOGS/htmldocs-$b.out"
	! grep -iE 'message_slot.*(warning|error)' "$MS_LOGS/htmldocs-$b.out" &&
	ls "$MS_CACHE"/build-series-$b-docs/Documentation/output/message_slot.html \
		"$MS_CACHE"/build-series-$b-docs/Documentation/output/userspace-api/message_slot.html \
		2>/dev/null | grep -q .
}
[ "$scope" = final ] ||
	verdict htmldocs "$src_key" run_logged "htmldocs-$b" htmldocs_check

stage "$b: series: $series_passed passed, $series_failed failed"
echo "$series_passed $series_failed" >"$MS_CACHE/series-counts-$b"
[ "$series_failed" = 0 ]
