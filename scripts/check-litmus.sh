#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-litmus.sh [COUNTS_FILE]: check the driver's barrier pairings, the
# litmus tests in litmus/, with herd7 against the Linux-kernel memory
# model of mainline's tree (scripts/herd7.sh).
#
# Each test gives the result it expects as the kernel's own litmus tests
# do (tools/memory-model/litmus-tests), on a line " * Result: Never" (or
# Sometimes, or Always; with DATARACE when herd7 must flag a data race),
# and is named as its file. Prints one line per test, then "N passed, N
# failed", and writes "passed failed" to COUNTS_FILE (default:
# $MS_CACHE/litmus.counts). herd7's output is in $MS_LOGS/litmus.log.
set -eu
. "$(dirname "$0")/lib.sh"

counts=${1:-$MS_CACHE/litmus.counts}
log=$MS_LOGS/litmus.log
rm -f "$counts"
tests=("$MS_TOP"/litmus/*.litmus)
[ -f "${tests[0]}" ] || die "no litmus tests in $MS_TOP/litmus"

start=$(date +%s)
stage "litmus: ${#tests[@]} tests with herd7"
# A failed run leaves the tests it did not get to without a result.
"$MS_TOP/scripts/herd7.sh" "${tests[@]}" >"$log" || true

passed=0 failed=0
for test in "${tests[@]}"; do
	name=$(basename "$test" .litmus)
	result=$(grep -m 1 '^[( ]\* Result: ' "$test" | sed 's/^[( ]\* Result: //') || true
	expected=$(echo "$result" | awk '{ print $1 }')
	case $result in *DATARACE*) expected="$expected DATARACE" ;; esac
	# herd7's lines for this test, from "Test NAME" to "Observation NAME".
	observed=$(awk -v t="$name" '
		$1 == "Test" && $2 == t { on = 1 }
		on && $0 == "Flag data-race" { race = " DATARACE" }
		on && $1 == "Observation" { print $3 race; exit }' "$log")
	if [ "$(awk '{ print $2; exit }' "$test")" != "$name" ]; then
		verdict="FAIL" why="its C line does not name it $name"
	elif [ -z "$expected" ]; then
		verdict="FAIL" why="no \" * Result: \" line"
	elif [ -z "$observed" ]; then
		verdict="FAIL" why="no result from herd7 (see its messages above, and $log)"
	elif [ "$observed" != "$expected" ]; then
		verdict="FAIL" why="$observed, expected $expected"
	else
		verdict="ok" why=$observed
	fi
	if [ "$verdict" = ok ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	printf '%-4s  %-20s  %s\n' "$verdict" "$name" "$why"
done

echo "$passed $failed" >"$counts"
stage "litmus: $passed passed, $failed failed ($(($(date +%s) - start)) s; herd7's output: $log)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
