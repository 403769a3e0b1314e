#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series-export.sh BASE DIR OUT: write the series on the scratch branch in
# DIR (scripts/series.sh) for release series BASE as patch files into
# OUT, deterministically (zero commit ids, no signature, the cover
# letter dated MS_SERIES_DATE), with the cover letter of
# scripts/series/cover-letter.txt and a paragraph on the base; a
# backport's says how it differs (wiring/BASE/README).
#
# The patches carry the project's placeholder identity, unless MS_SENDER
# names the sender: "Name <address>", or "git" for git config's user.name
# and user.email. The sender then authors, signs off and sends the series.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 3 ] || die "usage: series-export.sh BASE DIR OUT"
base_series=$1 work=$2 out=$3
check_base "$base_series"
base=$("$MS_TOP/scripts/base-tree.sh" "$base_series")
base_commit=$(git -C "$base" rev-parse HEAD)

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

# The base paragraph names the pinned version, so that a base that moved
# to a newer stable release gives the same cover letter. The base commit
# is made here, so a base-commit: trailer would name a commit nobody else
# has.
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
		echo "- Not for posting: stable kernels take no new drivers"
		echo "  (Documentation/process/stable-kernel-rules.rst). This series is for"
		echo "  users of Linux $base_series who build their own kernel."
		sed -n '/^Differences/,$p' "$MS_TOP/wiring/$base_series/README" |
			sed 1d
	fi
} >"$blurb"
prefix=PATCH
[ "$base_series" = "$MS_MAINLINE" ] || prefix="PATCH $base_series"
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Whom the mainline series goes to, as get_maintainer.pl says for the
# whole of it: To the maintainers and reviewers, Cc the lists, and
# linux-api@vger.kernel.org, which new uapi is to be sent to
# (Documentation/process/submitting-patches.rst). Without keyword
# matches: a comment that names PREEMPT_RT or riscv does not make the
# series theirs. The backport is not for posting, and goes to nobody.
addressees=()
if [ "$base_series" = "$MS_MAINLINE" ]; then
	git -C "$work" diff "$base_commit" HEAD >"$out/series.diff"
	maintainers() {
		(cd "$work" && perl scripts/get_maintainer.pl --no-git \
			--no-git-fallback --no-rolestats --no-keywords "$@" \
			"$out/series.diff")
	}
	while read -r to; do
		addressees+=("--to=$to")
	done < <(maintainers --no-l)
	while read -r cc; do
		addressees+=("--cc=$cc")
	done < <(maintainers --no-m --no-r; echo linux-api@vger.kernel.org)
	rm "$out/series.diff"
	[ ${#addressees[@]} -gt 1 ] ||
		die "get_maintainer.pl names nobody for the $base_series series"
fi
GIT_AUTHOR_DATE=${MS_SERIES_DATE}T00:00:00Z GIT_COMMITTER_DATE=${MS_SERIES_DATE}T00:00:00Z \
GIT_AUTHOR_NAME=${placeholder% <*} GIT_AUTHOR_EMAIL=devel@message-slot.invalid \
GIT_COMMITTER_NAME=${placeholder% <*} GIT_COMMITTER_EMAIL=devel@message-slot.invalid \
	git -C "$work" format-patch -q --zero-commit --no-signature \
	--subject-prefix="$prefix" --cover-letter ${addressees[@]+"${addressees[@]}"} \
	-o "$out" "$base_commit..HEAD"
# Fill the cover letter's placeholders, and put the sender in the
# placeholder identity's place.
python3 - "$out" "$MS_TOP/scripts/series/cover-letter.txt" "$blurb" \
	"$placeholder" "$sender" <<'PY'
import pathlib
import sys
out, cover, blurb, placeholder, sender = sys.argv[1:]
for path in sorted(pathlib.Path(out).glob('*.patch')):
    text = path.read_text()
    if path.name == '0000-cover-letter.patch':
        text = text.replace('*** SUBJECT HERE ***',
                            open(cover).readline().strip())
        text = text.replace('*** BLURB HERE ***', open(blurb).read().strip())
    if sender != placeholder:
        text = text.replace('From: ' + placeholder, 'From: ' + sender)
        text = text.replace('Signed-off-by: ' + placeholder,
                            'Signed-off-by: ' + sender)
    path.write_text(text)
PY
stage "series for $base_series: $(ls "$out"/*.patch | wc -l) files in $out (Linux $kernelversion)"
