#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# apply.sh KERNEL: apply the series that matches the version of the user's
# own kernel tree, all or nothing: patches/ to a mainline tree, patches/BASE/
# to a tree of a backport's release series (see scripts/bases). `git am` on
# a git tree (which must be clean), `git apply` on an extracted tarball.
# Then print how to enable the driver and build.
set -eu
. "$(dirname "$0")/lib.sh"

kernel=${1:-}
[ -n "$kernel" ] || die "usage: make apply KERNEL=/path/to/linux (Linux $MS_BASES_TEXT)"
[ -f "$kernel/Makefile" ] && [ -d "$kernel/drivers/char" ] ||
	die "$kernel is not a kernel source tree"
kernel=$(cd "$kernel" && pwd)

version=$(awk -F' = ' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
	$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }' "$kernel/Makefile")
patches=
for base_series in $MS_BASES; do
	case $version in
	"$base_series".*) patches=$(patches_dir "$base_series") ;;
	esac
done
[ -n "$patches" ] ||
	die "$kernel is Linux $version; the series is for Linux $MS_BASES_TEXT"
[ ! -e "$kernel/drivers/char/message_slot" ] ||
	die "$kernel already has drivers/char/message_slot: the series is applied"

# shellcheck disable=SC2046 # the paths have no blanks (scripts/lib.sh)
set -- $(series_patches "$patches")
[ -f "$1" ] || die "no patches in $patches"

if [ "$(git -C "$kernel" rev-parse --show-toplevel 2>/dev/null)" = "$kernel" ]; then
	[ -z "$(git -C "$kernel" status --porcelain --untracked-files=no)" ] ||
		die "$kernel has uncommitted changes; commit or stash them first"
	if ! git -C "$kernel" am -q "$@" >"$MS_LOGS/apply.log" 2>&1; then
		git -C "$kernel" am --abort >/dev/null 2>&1 || true
		die "the series does not apply to $kernel; nothing was applied (log: $MS_LOGS/apply.log)"
	fi
	how="git am"
else
	# Outside git, `git apply` checks every hunk of every patch before it
	# writes anything. Keep it from finding a repository further up.
	if ! (cd "$kernel" && GIT_CEILING_DIRECTORIES=$(dirname "$kernel") \
		git apply "$@") >"$MS_LOGS/apply.log" 2>&1; then
		die "the series does not apply to $kernel; nothing was applied (log: $MS_LOGS/apply.log)"
	fi
	how="git apply"
fi

stage "applied $# patches of ${patches#"$MS_TOP"/} to $kernel (Linux $version) with $how"
cat <<EOT
Now enable the driver and build:
  cd $kernel
  scripts/config --module MESSAGE_SLOT     # or --enable for built in
  make olddefconfig && make -j\$(nproc)
EOT
