#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh: the README's DKMS commands, for real. Debian's dkms adds
# this tree, builds message_slot for the 6.12 cloud kernel from its headers
# (dkms build -k RELEASE) and installs it into that kernel's
# /lib/modules/RELEASE/updates/dkms; then the cloud kernel boots in QEMU
# with the module dkms built and runs the functional tests. Never loads
# anything on the host. Needs root.
#
# The host is left as it was found: `dkms remove --all` and the removal of
# /usr/src/message_slot-VERSION run at the end, even after a failure, and
# also first, so a run that was interrupted does not stop the next one.
# (A message_slot of the same version that you registered with dkms
# yourself goes too.)
set -eu
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] ||
	die "dkms-check.sh needs root: dkms writes /usr/src, /var/lib/dkms and /lib/modules"
need_packages dkms
release=$(cloud_release)
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$MS_TOP/dkms.conf")
[ -n "$version" ] || die "no PACKAGE_VERSION in dkms.conf"
pkg=message_slot/$version
grep -q "dkms build $pkg" "$MS_TOP/README.md" ||
	die "README.md's DKMS commands do not name $pkg, dkms.conf's version"
dkms_pkg=/var/lib/dkms/$pkg
built=$dkms_pkg/$release/$(uname -m)

# forget [WHY]: unregister message_slot/VERSION from dkms (uninstalling
# it from every kernel) and delete the source copy `dkms add` made.
forget() {
	if [ -n "$(dkms status "$pkg" 2>/dev/null)" ]; then
		stage "dkms remove $pkg --all${1:+ ($1)}"
		run_logged dkms-remove dkms remove "$pkg" --all
	fi
	rm -rf "/usr/src/message_slot-$version"
}

cleanup() {
	# A failed build leaves its make.log in the build directory, which
	# forget deletes.
	if [ -f "$dkms_pkg/build/make.log" ]; then
		cp "$dkms_pkg/build/make.log" "$MS_LOGS/dkms-make.log"
		printf 'error: dkms make.log: %s\n' "$MS_LOGS/dkms-make.log" >&2
	fi
	rm -rf "$tmp"
	forget
}

stage "dkms $(dpkg-query -W -f='${Version}' dkms): $pkg for $release"
forget "left by an earlier run"
tmp=$(mktemp -d)
trap cleanup EXIT
# dkms signs the module, and generates a key pair the first time, in
# /var/lib/dkms unless framework.conf names one: a throwaway pair leaves
# the host's own key (perhaps enrolled for Secure Boot) alone and none
# behind. The VM's kernel trusts neither.
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub

stage "dkms add $MS_TOP"
run_logged dkms-add dkms add "$MS_TOP"
stage "dkms build $pkg -k $release"
run_logged dkms-build dkms build "$pkg" -k "$release"
cp "$built/log/make.log" "$MS_LOGS/dkms-make.log"
if grep -iE '(warning|error):' "$MS_LOGS/dkms-make.log"; then
	die "warnings building the module; full log: $MS_LOGS/dkms-make.log"
fi
stage "dkms install $pkg -k $release"
run_logged dkms-install dkms install "$pkg" -k "$release"

# dkms compresses the module as the kernel's own modules are (xz for
# Debian's); busybox insmod in the VM wants a plain ELF file. The file
# that depmod registered for the kernel must be the one dkms built.
set -- "$built"/module/message_slot.ko*
if [ $# != 1 ] || [ ! -f "$1" ]; then
	die "no single message_slot.ko* in $built/module"
fi
installed=$(modinfo -k "$release" -n message_slot) ||
	die "modinfo finds no message_slot for $release after dkms install"
case $installed in
"/lib/modules/$release/updates/"*) ;;
*) die "message_slot for $release is $installed, not the one dkms installed" ;;
esac
cmp -s "$1" "$installed" || die "$installed differs from dkms's $1"
case $1 in
*.ko) cp "$1" "$tmp/message_slot.ko" ;;
*.ko.xz) xz -dc "$1" >"$tmp/message_slot.ko" ;;
*.ko.zst) zstd -qdc "$1" >"$tmp/message_slot.ko" ;;
*.ko.gz) gzip -dc "$1" >"$tmp/message_slot.ko" ;;
*) die "unknown module compression: $1" ;;
esac

MS_TESTS=$MS_FUNCTIONAL_TESTS "$MS_TOP/scripts/vm-run.sh" dkms \
	"/boot/vmlinuz-$release" test "$tmp/message_slot.ko"
