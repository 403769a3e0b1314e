# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the message_slot scripts: cache paths, logging, and
# package installation. Sourced, never run.

MS_TOP=$(cd "$(dirname "$0")/.." && pwd)
MS_CACHE=${MESSAGE_SLOT_CACHE:-$HOME/.cache/message-slot}
MS_LOGS=$MS_CACHE/logs
mkdir -p "$MS_LOGS"

# The kernel series the patches are for (scripts/bases): mainline first,
# then the backports.
MS_BASES=$(awk '!/^#/ && NF { print $1 }' "$MS_TOP/scripts/bases" | paste -sd ' ')
MS_MAINLINE=${MS_BASES%% *}
# The same list for a sentence: "7.3 and 6.12".
MS_BASES_TEXT=$(echo "$MS_BASES" | sed 's/ / and /g')

# The functional tests: the kselftests of the series (in
# tools/testing/selftests/drivers/message_slot) and the end-to-end tests
# of the samples (tests/); then the same built for i386, which go through
# the driver's compat_ioctl.
MS_FUNCTIONAL_TESTS="message_slot_channels message_slot_ioctls
message_slot_poll message_slot_nodes message_slot_samples"
MS_FUNCTIONAL_TESTS_32=$(for _t in $MS_FUNCTIONAL_TESTS; do printf '%s_32 ' "$_t"; done)
# The date of the series' cover letter; each patch keeps its own.
MS_SERIES_DATE=2026-12-02
# Our files, as paths in a kernel tree.
MS_OWN_PATHS="drivers/char/message_slot include/uapi/linux/message_slot.h
samples/message_slot tools/testing/selftests/drivers/message_slot Documentation"

# Print one progress line.
stage() {
	printf '==> %s\n' "$*" >&2
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# run_logged NAME CMD...: run CMD with all output in $MS_LOGS/NAME.log; on
# failure print the tail and the log's path, then stop.
run_logged() {
	_log=$MS_LOGS/$1.log
	shift
	if ! "$@" >"$_log" 2>&1; then
		printf 'error: %s failed; last lines of %s:\n' "$*" "$_log" >&2
		tail -n 25 "$_log" | sed 's/^/    /' >&2
		printf 'error: full log: %s\n' "$_log" >&2
		exit 1
	fi
}

# ms_lock NAME: hold the lock NAME until the script exits, waiting for
# whoever holds it: make check runs the series checks beside the kernel
# lanes, and both lay out the same trees.
ms_lock() {
	exec 8>"$MS_CACHE/$1.lock"
	flock 8
}

# What scripts/check-series.sh needs; make check installs it before the
# series checks start beside the kernel lanes, so that only one apt runs.
MS_SERIES_PACKAGES="build-essential flex bison bc libelf-dev libssl-dev sparse
coccinelle ocaml-nox python3-sphinx python3-ply python3-git g++ perl codespell"

ms_apt_updated=
# need_packages PKG...: install the Debian packages that are missing.
need_packages() {
	_missing=
	for _pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$_pkg" 2>/dev/null |
			grep -q 'install ok installed' || _missing="$_missing $_pkg"
	done
	[ -n "$_missing" ] || return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$_missing (install them as root)"
	stage "installing:$_missing"
	if [ -z "$ms_apt_updated" ]; then
		run_logged apt-update apt-get update
		ms_apt_updated=1
	fi
	# shellcheck disable=SC2086
	run_logged apt-install env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $_missing
}

# The installed Debian 6.12 cloud kernel release (e.g. 6.12.117+deb12-cloud-amd64),
# installing the newest one apt offers if none is present.
cloud_release() {
	_rel=$(ls -d /usr/src/linux-headers-6.12.*-cloud-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	if [ -z "$_rel" ]; then
		need_packages linux-headers-6.12-cloud-amd64
		_rel=$(ls -d /usr/src/linux-headers-6.12.*-cloud-amd64 |
			sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
	fi
	[ -f "/boot/vmlinuz-$_rel" ] || need_packages "linux-image-$_rel"
	[ -f "/boot/vmlinuz-$_rel" ] || die "no /boot/vmlinuz-$_rel after install"
	echo "$_rel"
}

# check_base BASE: stop unless BASE is one of the series in scripts/bases.
check_base() {
	case " $MS_BASES " in
	*" $1 "*) ;;
	*) die "unknown base '$1'; supported: $MS_BASES" ;;
	esac
}

# pinned_version BASE: the linux-source version patches/ was generated on.
pinned_version() {
	awk -v base="$1" '$1 == base { print $2 }' "$MS_TOP/scripts/bases"
}

# series_patches DIR: the patches of the series in DIR, in order, without
# the cover letter, one a line.
series_patches() {
	for _patch in "$1"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ "${_patch##*/}" = 0000-cover-letter.patch ] || echo "$_patch"
	done
}

# patches_dir BASE: where the series for BASE lives.
patches_dir() {
	if [ "$1" = "$MS_MAINLINE" ]; then
		echo "$MS_TOP/patches"
	else
		echo "$MS_TOP/patches/$1"
	fi
}

# series_branch_dir BASE: the work tree of the series' scratch branch
# (scripts/series.sh).
series_branch_dir() {
	echo "$MS_CACHE/series-branch-$1"
}

# series_source_key BASE: what the scratch branch of BASE is built from.
series_source_key() {
	# shellcheck disable=SC2046 # the paths have no blanks
	cat $(series_patches "$(patches_dir "$1")") "$MS_TOP/scripts/bases" |
		sha256sum | cut -c1-16
}

# series_git DIR ARGS...: git in DIR as the series' committer. What it
# commits keeps the author and date of each patch; the committer is in no
# patch.
series_git() {
	_dir=$1
	shift
	GIT_COMMITTER_NAME="message_slot series" \
	GIT_COMMITTER_EMAIL=series@message-slot.invalid \
	GIT_COMMITTER_DATE="${MS_SERIES_DATE}T00:00:00Z" git -C "$_dir" "$@"
}

# series_stage_dir BASE: the files of this repository as overlaid on BASE,
# for the series scripts (scripts/overlay.sh BASE --stage-only).
series_stage_dir() {
	echo "$MS_CACHE/series-stage-$1"
}

# series_tree_diff BASE DIR: the paths in which the series' final tree in
# DIR differs from the files of this repository as overlaid on BASE
# (scripts/overlay.sh BASE --stage-only, run first), one a line: files
# changed, and files only one of them has. Empty when they are the same.
series_tree_diff() {
	_stage=$(series_stage_dir "$1")
	_commit=$(git -C "$("$MS_TOP/scripts/base-tree.sh" "$1")" rev-parse HEAD)
	{
		(cd "$_stage" && find . -type f | sed 's|^\./||')
		git -C "$2" diff --name-only "$_commit" HEAD
	} | sort -u | while read -r _file; do
		cmp -s "$_stage/$_file" "$2/$_file" 2>/dev/null || echo "$_file"
	done
}

# Debian's archive serves newer kernel sources than this machine's own apt
# sources list: these suites are read through a private configuration in
# the cache, which never touches the machine's apt setup. apt checks every
# list against Debian's archive keyring, so nothing unsigned comes in.
MS_APT=$MS_CACHE/apt
MS_APT_SUITES="debian-security bookworm-security
debian trixie-backports
debian sid
debian experimental"
ms_apt_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$MS_APT/sources.list" \
		-o Dir::Etc::SourceParts=/nonexistent \
		-o "Dir::State::Lists=$MS_APT/lists" \
		-o "Dir::Cache=$MS_APT/cache" \
		-o Dir::State::status=/var/lib/dpkg/status \
		-o APT::Sandbox::User=root
}

# archive_update: fetch the private package lists, unless that was done in
# the last hour. If the archive cannot be reached, lists fetched earlier
# are used.
archive_update() {
	[ -z "$(find "$MS_APT/updated" -mmin -60 2>/dev/null)" ] || return 0
	mkdir -p "$MS_APT/lists/partial" "$MS_APT/cache/archives/partial" \
		"$MS_APT/debs"
	printf '%s\n' "$MS_APT_SUITES" | while read -r _archive _suite; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
			"http://deb.debian.org/$_archive $_suite main"
	done >"$MS_APT/sources.list"
	# shellcheck disable=SC2046
	if ! apt-get $(ms_apt_opts) update >"$MS_LOGS/archive-update.log" 2>&1 ||
	   grep -q '^[WE]: ' "$MS_LOGS/archive-update.log"; then
		ls "$MS_APT/lists/"*_Packages* >/dev/null 2>&1 ||
			die "cannot read Debian's archive; log: $MS_LOGS/archive-update.log"
		stage "Debian's archive did not answer in full; using the package lists fetched before ($MS_LOGS/archive-update.log)"
		return 0
	fi
	touch "$MS_APT/updated"
}

# served_versions PACKAGE: the versions of PACKAGE the archive serves, one a
# line, newest first (apt orders them), release candidates left out.
served_versions() {
	archive_update
	# shellcheck disable=SC2046
	apt-cache $(ms_apt_opts) madison "$1" 2>/dev/null |
		awk -F' *[|] *' '$1 == pkg && $2 !~ /~rc/ { print $2 }' pkg="$1" |
		awk '!seen[$0]++'
}

# wiring_diffs BASE: the wiring edits for BASE, in order: wiring/*.diff,
# each replaced by the file of the same name in wiring/BASE/ where there is
# one, then the edits only wiring/BASE/ has.
wiring_diffs() {
	for _diff in "$MS_TOP"/wiring/*.diff; do
		if [ -f "$MS_TOP/wiring/$1/${_diff##*/}" ]; then
			echo "$MS_TOP/wiring/$1/${_diff##*/}"
		else
			echo "$_diff"
		fi
	done
	for _diff in "$MS_TOP/wiring/$1"/*.diff; do
		[ -f "$_diff" ] && [ ! -f "$MS_TOP/wiring/${_diff##*/}" ] &&
			echo "$_diff"
	done
	return 0
}

# lost_options CONFIG FRAGMENT...: print, on one line, the options the
# fragments ask for that CONFIG (a .config after olddefconfig) does not
# have. A later fragment overrides an earlier one, as in merge_config.
lost_options() {
	_config=$1
	shift
	grep -h '^CONFIG_' "$@" |
		awk -F= '{ last[$1] = $0 } END { for (s in last) print last[s] }' |
		while IFS= read -r _line; do
			case $_line in
			*=n) _want="# ${_line%=n} is not set" ;;
			*) _want=$_line ;;
			esac
			grep -qxF "$_want" "$_config" || printf ' %s' "$_line"
		done
}

# built_key BASE OUT: what a kernel build in OUT from the overlay tree of
# BASE depends on: the base commit, our files and the configuration.
built_key() {
	(git -C "$MS_CACHE/tree-$1" rev-parse HEAD
	 cd "$MS_CACHE/tree-$1" && xargs cat <"$MS_CACHE/overlay-manifest-$1"
	 cat "$2/.config") | sha256sum | cut -c1-16
}
