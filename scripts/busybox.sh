#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# busybox.sh DEBARCH: print the path of a static busybox for the Debian
# architecture DEBARCH (i386, riscv64), the shell and tools of the
# initramfs of a VM of that architecture. It is Debian's busybox-static
# of the newest stable release that builds it for both (trixie), fetched
# through a private apt configuration of its own, kept apart from the one
# of scripts/lib.sh so that trixie's packages never stand in for the
# kernel sources the project pins. Cached by version; when the archive
# cannot be reached, the newest busybox fetched before is used.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: busybox.sh i386|riscv64"
debarch=$1
case $debarch in i386 | riscv64) ;; *) die "no busybox for '$debarch'" ;; esac

suite=trixie
apt_dir=$MS_CACHE/apt-$suite-foreign
opts="-o Dir::Etc::SourceList=$apt_dir/sources.list
-o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$apt_dir/lists
-o Dir::Cache=$apt_dir/cache -o Dir::State::status=/var/lib/dpkg/status
-o APT::Sandbox::User=root -o APT::Architectures::=i386
-o APT::Architectures::=riscv64"

ms_lock "apt-$suite-foreign"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo "deb [arch=i386,riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
	"http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
if [ -z "$(find "$apt_dir/updated" -mmin -60 2>/dev/null)" ]; then
	# shellcheck disable=SC2086
	if apt-get $opts update >"$MS_LOGS/apt-$suite-foreign.log" 2>&1 &&
	   ! grep -q '^[WE]: ' "$MS_LOGS/apt-$suite-foreign.log"; then
		touch "$apt_dir/updated"
	else
		stage "Debian's archive did not answer in full ($MS_LOGS/apt-$suite-foreign.log)"
	fi
fi
# shellcheck disable=SC2086
version=$(apt-cache $opts madison "busybox-static:$debarch" 2>/dev/null |
	awk -F' *[|] *' '{ print $2; exit }')
if [ -z "$version" ]; then
	found=$(ls -d "$MS_CACHE/busybox-$debarch-"*/busybox 2>/dev/null |
		sort -V | tail -n 1)
	[ -n "$found" ] ||
		die "Debian $suite serves no busybox-static for $debarch; log: $MS_LOGS/apt-$suite-foreign.log"
	stage "Debian $suite serves no busybox-static for $debarch; using $found"
	echo "$found"
	exit 0
fi
dir=$MS_CACHE/busybox-$debarch-$(echo "$version" | tr : _)
if [ ! -x "$dir/busybox" ]; then
	stage "downloading busybox-static $version ($debarch) from Debian $suite"
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	# shellcheck disable=SC2086
	(cd "$dir.tmp" && run_logged "download-busybox-$debarch" \
		apt-get $opts download "busybox-static:$debarch=$version")
	dpkg-deb -x "$dir.tmp"/busybox-static_*.deb "$dir.tmp/root"
	mkdir -p "$dir"
	# bookworm keeps it in /bin, trixie in /usr/bin.
	cp "$(find "$dir.tmp/root" -path "*bin/busybox" -type f | head -n 1)" "$dir/busybox"
	rm -rf "$dir.tmp"
fi
echo "$dir/busybox"
