#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh BASE OUTDIR: generate the patch series for release series BASE
# (see scripts/bases) from this repository's sources, deterministically
# (fixed identity and dates, zero commit ids, no signature), into OUTDIR.
#
# Each scripts/series/NN-*.msg is one commit: its first line the subject,
# "# path: P" lines the kernel paths it brings over from the overlay
# ("# path: P from F" takes an early version of P from scripts/series/F,
# with the backport's own edit of P applied),
# the rest the message. Every overlaid file must belong to exactly one patch,
# except MAINTAINERS, which each patch extends with its own files. The
# cover letter is scripts/series/cover-letter.txt, with a paragraph on the
# base; a backport's says how it differs (wiring/BASE/README).
#
# The commits are the project's placeholder identity's, unless MS_SENDER
# names the sender: "Name <address>", or "git" for git config's user.name
# and user.email. The sender then authors, signs off and sends the series.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: series.sh BASE OUTDIR"
base_series=$1 out=$2
check_base "$base_series"
"$MS_TOP/scripts/overlay.sh" "$base_series" >/dev/null
base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
base_commit=$(git -C "$base" rev-parse HEAD)
stage=$MS_CACHE/overlay-stage-$base_series
work=$MS_CACHE/series-work-$base_series
# Read the stage whole: a kernel lane beside may be laying it out again.
ms_lock "overlay-$base_series"

# Reuse the work tree: resetting it is much cheaper than a new checkout.
git -C "$work" cat-file -e "$base_commit" 2>/dev/null || rm -rf "$work"
[ -d "$work/.git" ] || run_logged series-clone git clone -q --shared "$base" "$work"
git -C "$work" checkout -q -f -B message_slot "$base_commit"
git -C "$work" clean -q -fdx

placeholder="message_slot developers <devel@message-slot.invalid>"
case ${MS_SENDER:-} in
'') sender=$placeholder ;;
git)
	name=$(git -C "$MS_TOP" config user.name || true)
	email=$(git -C "$MS_TOP" config user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		die "MS_SENDER=git, but git config has no user.name or user.email"
	fi
	sender="$name <$email>"
	;;
*" <"*@*">") sender=$MS_SENDER ;;
*) die "MS_SENDER must be \"Name <address>\" or \"git\", not \"$MS_SENDER\"" ;;
esac
name=${sender% <*} email=${sender##*<}
export GIT_AUTHOR_NAME="$name" GIT_AUTHOR_EMAIL="${email%>}" \
	GIT_COMMITTER_NAME="$name" GIT_COMMITTER_EMAIL="${email%>}"
minute=0
claimed=
for msg in "$MS_TOP"/scripts/series/[0-9]*.msg; do
	grep -q '^# path: ' "$msg" || die "$(basename "$msg") names no path"
	while read -r path from source; do
		# "# path: P from F": this patch's P is scripts/series/F, a
		# file that a later patch completes.
		if [ "${from:-}" = from ]; then
			source=$MS_TOP/scripts/series/$source
		else
			source=$stage/$path
		fi
		[ -e "$source" ] || die "$(basename "$msg"): no $source"
		rm -rf "${work:?}/$path"
		mkdir -p "$work/$(dirname "$path")"
		cp -a "$source" "$work/$path"
		# A backport's edit of one of our files (wiring/BASE/README)
		# applies to the early versions of that file too, unless an
		# early version has an edit of its own (early/, named after it).
		own=$MS_TOP/wiring/$base_series/$(echo "$path" | tr / -).diff
		early_own=$MS_TOP/wiring/$base_series/early/$(echo "${source:-}" | sed "s|^$MS_TOP/scripts/series/||" | tr / -).diff
		if [ "${from:-}" = from ] && [ -f "$early_own" ]; then
			own=$early_own
		fi
		if [ "${from:-}" = from ] && [ -f "$own" ]; then
			# git apply says on stderr that it used less context.
			git -C "$work" apply -C1 "$own" 2>"$MS_LOGS/series-own-edit.log" ||
				die "$(basename "$msg"): ${own#"$MS_TOP"/} does not apply to $source (log: $MS_LOGS/series-own-edit.log)"
		fi
		git -C "$work" add -A -f -- "$path"
		claimed="$claimed $path"
	done <<EOT
$(sed -n 's/^# path: //p' "$msg")
EOT
	# Each patch adds the MAINTAINERS lines of the files it brings, so
	# every patch keeps MAINTAINERS true (and checkpatch quiet).
	if [ -f "$stage/MAINTAINERS" ]; then
		python3 "$MS_TOP/scripts/series-maintainers.py" \
			"$base/MAINTAINERS" "$stage/MAINTAINERS" $claimed \
			>"$work/MAINTAINERS"
		git -C "$work" add MAINTAINERS
	fi
	minute=$((minute + 1))
	date=$(printf '%sT00:%02d:00Z' "$MS_SERIES_DATE" "$minute")
	text=$(cat "$msg")
	text=${text//"Signed-off-by: $placeholder"/"Signed-off-by: $sender"}
	printf '%s\n' "$text" | GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
		git -C "$work" commit -q --cleanup=strip -F - ||
		die "$(basename "$msg") makes an empty or failed commit"
done

# Nothing overlaid may be left out of the series.
missing=$(cd "$stage" && find . -type f | sed 's|^\./||' | while read -r file; do
	cmp -s "$stage/$file" "$work/$file" || printf ' %s' "$file"
done)
[ -z "$missing" ] || die "files in no patch:$missing"

# The base paragraph names the release and the package it came from: the
# base commit is made here, so a base-commit: trailer would name a commit
# nobody else has.
# The base paragraph names the pinned version, so that a base that moved
# to a newer stable release gives the same cover letter.
pinned=$(pinned_version "$base_series")
kernelversion=${pinned%%-*}
blurb=$MS_CACHE/series-blurb-$base_series
{
	sed 1d "$MS_TOP/scripts/series/cover-letter.txt"
	echo
	echo "Base"
	if [ "$base_series" = "$MS_MAINLINE" ]; then
		echo "- Linux $kernelversion, as Debian ships its source in linux-source-$base_series"
		echo "  $pinned; there is no upstream commit to name in a base-commit:"
		echo "  trailer. The series applies with git am to a $base_series tree."
	else
		echo "- This is the series for Linux $MS_MAINLINE backported to Linux $base_series, on"
		echo "  Linux $kernelversion as Debian ships its source in linux-source-$base_series"
		echo "  $pinned; there is no upstream commit to name in a base-commit:"
		echo "  trailer."
		sed -n '/^Differences/,$p' "$MS_TOP/wiring/$base_series/README" |
			sed 1d
	fi
} >"$blurb"
prefix=PATCH
[ "$base_series" = "$MS_MAINLINE" ] || prefix="PATCH $base_series"
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
GIT_AUTHOR_DATE=${MS_SERIES_DATE}T00:00:00Z GIT_COMMITTER_DATE=${MS_SERIES_DATE}T00:00:00Z \
	git -C "$work" format-patch -q --zero-commit --no-signature \
	--subject-prefix="$prefix" --cover-letter -o "$out" "$base_commit..HEAD"
# Fill the cover letter's placeholders.
python3 - "$out"/0000-cover-letter.patch \
	"$MS_TOP/scripts/series/cover-letter.txt" "$blurb" <<'PY2'
import sys
path, cover, blurb = sys.argv[1:]
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', open(cover).readline().strip())
text = text.replace('*** BLURB HERE ***', open(blurb).read().strip())
open(path, 'w').write(text)
PY2
stage "series for $base_series: $(ls "$out"/*.patch | wc -l) files in $out (Linux $kernelversion)"
