#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit-coverage.sh [RUN]: line coverage of the message_slot sources,
# measured with the kernel's own gcov (Documentation/dev-tools/gcov.rst)
# in an x86_64 QEMU boot of the built-in debug kernel of mainline (the
# first of scripts/bases), which profiles message_slot and runs its KUnit
# suite at boot. The gcov data is dumped once after the suite (what KUnit
# alone covers) and once more after the selftests (what all our tests
# cover), then summarised with lcov. Without RUN it builds that kernel and
# boots it; with RUN it reads the run of that name that make check has
# already booted in coverage mode.
# Fails if KUnit covers less than MS_MIN_COVERAGE percent (default 95) of
# the lines of the channel store. Writes the figures to coverage.txt in
# the run directory and prints it.
set -eu
. "$(dirname "$0")/lib.sh"

min_coverage=${MS_MIN_COVERAGE:-95}
need_packages lcov
out=$("$MS_TOP/scripts/build-kernel.sh" builtin "$MS_MAINLINE")
name=${1:-coverage}
if [ $# = 0 ]; then
	"$MS_TOP/scripts/build-userspace.sh" >/dev/null
	# The stress tests add no lines; a short run of them is enough.
	# The 32-bit suite is what reaches compat_ioctl.
	MS_STRESS_OPS=${MS_STRESS_OPS:-20000} MS_VM_CACHE=1 \
	MS_TESTS="$MS_FUNCTIONAL_TESTS $MS_FUNCTIONAL_TESTS_32 message_slot_stress" \
		"$MS_TOP/scripts/vm-run.sh" "$name" "$out/arch/x86/boot/bzImage" \
		coverage
fi
run=$MS_CACHE/runs/$name
[ -f "$run/gcov.log" ] || die "no gcov data in $run (not a coverage boot)"
objdir=$out/drivers/char/message_slot

# The suite's own KTAP summary line, from the kernel console.
kunit=$(tr -d '\r' <"$run/console.log" |
	sed -n 's/.*# message_slot_store: \(pass:[0-9]* fail:[0-9]* skip:[0-9]* total:[0-9]*\).*/\1/p')
[ -n "$kunit" ] || die "no KUnit results in $run/console.log"
# This boot is also make check's KUnit run on x86_64 with two CPUs: the
# same suite that `kunit.py run --arch=x86_64` builds a kernel of its own
# for (make kunit-x86_64). Its counts, "passed failed", for make check.
echo "$kunit" | sed 's/pass:\([0-9]*\) fail:\([0-9]*\).*/\1 \2/' \
	>"$MS_CACHE/kunit-$MS_MAINLINE-x86_64.counts"
case $kunit in
*" fail:0 skip:0 "*) ;;
*) die "KUnit failed ($kunit); log: $run/console.log" ;;
esac

# Unpack each set of .gcda files next to copies of the .gcno files, and
# turn it into an lcov tracefile.
tr -d '\r' <"$run/gcov.log" >"$run/gcov.txt"
for set in kunit all; do
	dir=$run/gcov-$set
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$objdir"/*.gcno "$dir/"
	awk -v set="$set" -v dir="$dir" '
		$1 == "MS-GCDA" { file = ($2 == set) ? $3 : ""; sub(".*/", "", file)
				  if (file != "") file = dir "/" file ".b64"; next }
		$1 == "MS-GCDA-END" { file = ""; next }
		file != "" { print > file }' "$run/gcov.txt"
	for b64 in "$dir"/*.gcda.b64; do
		[ -f "$b64" ] || die "no gcov data of set $set in $run/gcov.log"
		base64 -d <"$b64" >"${b64%.b64}"
	done
	run_logged "coverage-lcov-$set" lcov --quiet --capture \
		--directory "$dir" --base-directory "$out" \
		--output-file "$run/$set.info"
done

# percent SET FILE: lines hit, lines found and percentage of FILE in SET,
# from the tracefile's per-line DA:line,count records.
percent() {
	awk -v file="/$2" -F'[:,]' '
		/^SF:/ { this = (substr($0, length($0) - length(file) + 1) == file) }
		this && /^DA:/ { found++; if ($3 > 0) hit++ }
		END { if (found) printf "%d/%d lines, %.1f%%\n", hit, found,
			100 * hit / found }' "$run/$1.info"
}
# uncovered SET FILE: the line numbers of FILE that SET never ran.
uncovered() {
	awk -v file="/$2" -F'[:,]' '
		/^SF:/ { this = (substr($0, length($0) - length(file) + 1) == file) }
		this && /^DA:/ && $3 == 0 { printf " %s", $2 }' "$run/$1.info"
}

store_kunit=$(percent kunit store.c)
[ -n "$store_kunit" ] || die "no coverage of store.c in $run/kunit.info"
{
	echo "KUnit (message_slot_store, built in, x86_64): $kunit"
	echo "store.c covered by KUnit:              $store_kunit"
	echo "store.c covered by KUnit + selftests:  $(percent all store.c)"
	echo "main.c covered by KUnit + selftests:   $(percent all main.c)"
	echo "store.c lines KUnit never runs:$(uncovered kunit store.c)"
	echo "main.c lines no test runs:$(uncovered all main.c)"
} >"$run/coverage.txt"
cat "$run/coverage.txt"

pct=${store_kunit##*, }
pct=${pct%.*}
[ "$pct" -ge "$min_coverage" ] ||
	die "KUnit covers ${store_kunit##*, } of store.c, below ${min_coverage}%"
