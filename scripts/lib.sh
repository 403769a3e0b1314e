# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the message_slot scripts: cache paths, logging, and
# package installation. Sourced, never run.

MS_TOP=$(cd "$(dirname "$0")/.." && pwd)
MS_CACHE=${MESSAGE_SLOT_CACHE:-$HOME/.cache/message-slot}
MS_LOGS=$MS_CACHE/logs
mkdir -p "$MS_LOGS"

# The pinned base: Debian's linux-source package for the 6.12 LTS series.
MS_SOURCE_PKG=linux-source-6.12
MS_SOURCE_TARBALL=/usr/src/linux-source-6.12.tar.xz

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
