#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh OUTDIR: generate the patch series from this repository's
# sources onto the pinned base, deterministically (fixed identity and
# dates, zero commit ids, no signature), into OUTDIR.
#
# Each scripts/series/NN-*.msg is one commit: its first line the subject,
# "# path: P" lines the kernel paths it brings over from the overlay
# ("# path: P from F" takes an early version of P from scripts/series/F),
# the rest the message. Every overlaid file must belong to exactly one patch,
# except MAINTAINERS, which each patch extends with its own files.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: series.sh OUTDIR"
out=$1
"$MS_TOP/scripts/overlay.sh" >/dev/null
base=$("$MS_TOP/scripts/base-tree.sh")
base_commit=$(git -C "$base" rev-parse HEAD)
stage=$MS_CACHE/overlay-stage
work=$MS_CACHE/series-work

# Reuse the work tree: resetting it is much cheaper than a new checkout.
git -C "$work" cat-file -e "$base_commit" 2>/dev/null || rm -rf "$work"
[ -d "$work/.git" ] || run_logged series-clone git clone -q --shared "$base" "$work"
git -C "$work" checkout -q -f -B message_slot "$base_commit"
git -C "$work" clean -q -fdx

export GIT_AUTHOR_NAME="message_slot developers" \
	GIT_AUTHOR_EMAIL="devel@message-slot.invalid" \
	GIT_COMMITTER_NAME="message_slot developers" \
	GIT_COMMITTER_EMAIL="devel@message-slot.invalid"
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
	date=$(printf '2024-11-18T00:%02d:00Z' "$minute")
	GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
		git -C "$work" commit -q --cleanup=strip -F "$msg" ||
		die "$(basename "$msg") makes an empty or failed commit"
done

# Nothing overlaid may be left out of the series.
missing=$(cd "$stage" && find . -type f | sed 's|^\./||' | while read -r file; do
	cmp -s "$stage/$file" "$work/$file" || printf ' %s' "$file"
done)
[ -z "$missing" ] || die "files in no patch:$missing"

cover=$MS_TOP/scripts/series/cover-letter.txt
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
GIT_AUTHOR_DATE=2024-11-18T00:00:00Z GIT_COMMITTER_DATE=2024-11-18T00:00:00Z \
	git -C "$work" format-patch -q --zero-commit --no-signature \
	--cover-letter --base="$base_commit" -o "$out" "$base_commit..HEAD"
# Fill the cover letter's placeholders from scripts/series/cover-letter.txt.
python3 - "$out"/0000-cover-letter.patch "$cover" <<'PY'
import sys
path, cover = sys.argv[1], open(sys.argv[2]).read().split('\n', 1)
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', cover[0].strip())
text = text.replace('*** BLURB HERE ***', cover[1].strip())
open(path, 'w').write(text)
PY
stage "series: $(ls "$out" | wc -l) files in $out (base $(git -C "$base" rev-parse --short=12 HEAD))"
