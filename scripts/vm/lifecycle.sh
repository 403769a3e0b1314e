#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle.sh MODULE CYCLES [ARGS]: run inside the test VM with MODULE
# loaded with the module parameters ARGS. Checks that rmmod is refused
# while a file is open, then unloads the module and runs CYCLES rounds of
# insmod, traffic through two slots and rmmod, the first NODE_CYCLES of
# them also with device node and statistics checks, and compares the Slab
# line of /proc/meminfo before and after the rounds. Then it races open()
# with the module's load and unload, and with loads that fail at each
# fault injection point in turn (see race_*() below). Leaves MODULE
# loaded again. Prints kselftest TAP lines; leaks of single objects are
# kmemleak's job (the caller scans after the last rmmod), use after free
# is KASAN's (the host fails the run on any report).

module=$1
cycles=$2
args=$3
# Slab may move by this much from unrelated kernel activity (kB), once
# slab_kb() has emptied KASAN's quarantine (see there). This catches a
# leak of 40 kB a cycle; kmemleak, scanning after the last unload,
# catches single objects.
slab_noise_kb=4096
# Rounds that also check nodes and statistics: each check runs programs,
# which take seconds under KASAN.
node_cycles=10
# The races: openers, load/unload rounds, and how many of the last fault
# injection points of a load are made to fail in turn. The module loader
# goes through some hundred points before the driver's init runs, each
# failing load takes seconds under KASAN, and what the race needs is the
# driver's init (with nodes=2, under 60 points) and what follows it.
# The unload race runs twice: on one CPU, where only preemption
# interleaves the openers with rmmod, then on every CPU, where they run
# side by side.
race_openers=2
race_cpu_sets="0 0-$(($(nproc) - 1))"
race_cycles=30
race_window=100
race_nodes=2
# A fixed major, so that a node made by hand stays valid across loads.
race_major=235
# Nodes made by hand go to devtmpfs: init mounts /tmp nodev.
race_node=/dev/lifecycle-race
race_stop=/tmp/lifecycle-race-stop
failslab=/sys/kernel/debug/failslab
fail_usercopy=/sys/kernel/debug/fail_usercopy
node=/dev/lifecycle-slot
other=/dev/lifecycle-slot-other
class=/sys/class/message_slot
nr=0

tap() {
	nr=$((nr + 1))
	if [ "$1" = 0 ]; then
		echo "ok $nr $2"
	else
		echo "not ok $nr $2"
	fi
}

loaded() {
	grep -q '^message_slot ' /proc/modules
}

load() {
	# shellcheck disable=SC2086
	insmod "$module" $args
}

# Under KASAN, freed objects wait in a quarantine of up to 1/32 of memory
# and still count as Slab: without a drain, boots of the same kernel
# measured from -21 MB to +12 MB. Shrinking a cache takes its objects out
# of the quarantine (kmem_cache_shrink() calls kasan_cache_shrink()) and
# frees its empty slabs.
slab_kb() {
	echo 3 >/proc/sys/vm/drop_caches
	for shrink in /sys/kernel/slab/*/shrink; do
		echo 1 >"$shrink" 2>/dev/null
	done
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
}

# Private nodes of minors 0 and 1, for the major the module has now: with
# major=0 it may change from one load to the next.
make_nodes() {
	major=$(awk '$2 == "message_slot" { print $1; exit }' /proc/devices)
	rm -f $node $other
	mknod $node c "$major" 0 && mknod $other c "$major" 1
}

# The class made /dev/message_slotN for each of the first "nodes" minors,
# mode 0600 (root's, until a udev rule says otherwise), with the module's
# major, and no more.
nodes_present() {
	count=$(cat /sys/module/message_slot/parameters/nodes) || return 1
	minor=0
	while [ $minor -lt "$count" ]; do
		[ "$(stat -c '%F %t:%T %a' /dev/message_slot$minor)" = \
		  "$(printf 'character special file %x:%x 600' "$major" $minor)" ] ||
			return 1
		minor=$((minor + 1))
	done
	[ ! -e /dev/message_slot$count ]
}

nodes_gone() {
	[ ! -e $class ] && [ -z "$(ls /dev | grep '^message_slot')" ]
}

# One message per slot and channel, read back byte for byte.
traffic() {
	message_sender $node 1 "cycle $1" &&
	message_sender $node 1048576 "second channel $1" &&
	message_sender $other 7 "other slot $1" &&
	[ "$(message_reader $node 1)" = "cycle $1" ] &&
	[ "$(message_reader $node 1048576)" = "second channel $1" ] &&
	[ "$(message_reader $other 7)" = "other slot $1" ]
}

# One more message through /dev/message_slot0, after traffic(): the
# statistics of slot 0 must then count the round's messages exactly.
node_traffic() {
	[ -e /dev/message_slot0 ] || return 0
	message_sender /dev/message_slot0 5 "node $1" &&
	[ "$(message_reader /dev/message_slot0 5)" = "node $1" ] &&
	[ "$(cat $class/message_slot0/held_messages $class/message_slot0/held_bytes \
		$class/message_slot0/writes | tr '\n' ' ')" = \
	  "3 $((3 * ${#1} + 26)) 3 " ]
}

# Unload, retrying while an opener holds a file (EBUSY).
unload() {
	until rmmod message_slot 2>/dev/null; do
		loaded || return 0
	done
}

# Openers loop on a node of the fixed major: each open must succeed, or
# fail with ENXIO or ENODEV while no module is there or it is going.
race_start_openers() {
	rm -f $race_stop $race_node
	mknod $race_node c $race_major 0 || return 1
	openers=
	i=0
	while [ $i -lt $race_openers ]; do
		taskset -c "$race_cpus" slot_opener open $race_node $race_stop &
		openers="$openers $!"
		i=$((i + 1))
	done
}

race_stop_openers() {
	touch $race_stop
	status=0
	for pid in $openers; do
		wait "$pid" || status=1
	done
	rm -f $race_stop $race_node
	return $status
}

# open() racing rmmod: chrdev_open() must pin the module through the cdev
# before it uses the cdev, or rmmod frees it under the opener. The openers
# and this shell, which loads and unloads, run on the CPUs race_cpus.
race_unload() {
	all_cpus=$(taskset -p $$ | sed 's/.*: //')
	taskset -p -c "$race_cpus" $$ >/dev/null || return 1
	race_start_openers || return 1
	failures=0
	cycle=1
	while [ $cycle -le "$race_cycles" ]; do
		insmod "$module" major=$race_major || failures=$((failures + 1))
		unload
		cycle=$((cycle + 1))
	done
	race_stop_openers || failures=$((failures + 1))
	taskset -p "$all_cpus" $$ >/dev/null || failures=$((failures + 1))
	return $failures
}

# open() racing a load that fails: once an open can succeed, nothing may
# fail, or the failure frees slots and module memory that open files use.
# Each of the last race_window fault injection points of the load is made
# to fail in turn, with the openers running; a load that still succeeds is
# unloaded again.
race_failing_load() {
	gfp_wait=$(cat $failslab/ignore-gfp-wait)
	verbose=$(cat $failslab/verbose)
	usercopy_verbose=$(cat $fail_usercopy/verbose)
	echo N >$failslab/ignore-gfp-wait
	# A count the load leaves over runs out in slot_opener's own copies
	# to and from fail-nth, which it expects: no report of that either.
	echo 0 >$failslab/verbose
	echo 0 >$fail_usercopy/verbose
	race_start_openers || return 1
	failures=0
	params="major=$race_major nodes=$race_nodes"
	race_points=$(slot_opener insmod-count "$module" "$params") ||
		failures=$((failures + 1))
	unload
	nth=$((race_points > race_window ? race_points - race_window + 1 : 1))
	race_swept=0
	while [ "$failures" = 0 ] && [ $nth -le "$race_points" ]; do
		slot_opener insmod-fail $nth "$module" "$params" >/dev/null
		case $? in
		0 | 2 | 3) ;;
		*) failures=$((failures + 1)) ;;
		esac
		unload
		nth=$((nth + 1))
		race_swept=$((race_swept + 1))
	done
	# A count that outlasts the load by one or two points runs out when
	# slot_opener reads or clears it: the load itself still succeeds.
	for extra in 1 2; do
		slot_opener insmod-fail $((race_points + extra)) "$module" \
			"$params" >/dev/null
		case $? in
		0 | 2 | 3) ;;
		*) failures=$((failures + 1)) ;;
		esac
		unload
	done
	race_stop_openers || failures=$((failures + 1))
	echo "$gfp_wait" >$failslab/ignore-gfp-wait
	echo "$verbose" >$failslab/verbose
	echo "$usercopy_verbose" >$fail_usercopy/verbose
	return $failures
}

echo "TAP version 13"
echo "1..$((5 + $(echo $race_cpu_sets | wc -w)))"
make_nodes
exec 3<$node
rmmod message_slot 2>/dev/null && status=1 || status=0
exec 3<&-
loaded || status=1
tap $status "lifecycle: rmmod refused while a file is open"

rmmod message_slot
start_kb=$(slab_kb)
failures=0
node_failures=0
cycle=1
while [ $cycle -le "$cycles" ]; do
	if ! load || ! make_nodes; then
		echo "# cycle $cycle: insmod $args failed"
		failures=$((failures + 1))
	else
		checks=$((cycle <= node_cycles))
		[ $checks = 0 ] || nodes_present ||
			node_failures=$((node_failures + 1))
		traffic $cycle || failures=$((failures + 1))
		[ $checks = 0 ] || node_traffic $cycle ||
			node_failures=$((node_failures + 1))
		rmmod message_slot || failures=$((failures + 1))
		[ $checks = 0 ] || nodes_gone ||
			node_failures=$((node_failures + 1))
	fi
	if loaded; then
		echo "# cycle $cycle left the module loaded"
		failures=$((failures + 1))
		rmmod message_slot
	fi
	cycle=$((cycle + 1))
done
end_kb=$(slab_kb)
tap $failures "lifecycle: $cycles insmod/traffic/rmmod cycles ($args), $failures failed"
tap $node_failures "lifecycle: nodes appear at insmod and go at rmmod, statistics count exactly, $node_failures failures in $node_cycles cycles"

delta_kb=$((end_kb - start_kb))
echo "# Slab: ${start_kb} kB before, ${end_kb} kB after $cycles cycles (${delta_kb} kB)"
tap $((delta_kb > slab_noise_kb)) "lifecycle: Slab within ${slab_noise_kb} kB after $cycles cycles (${delta_kb} kB)"
rm -f $node $other

for race_cpus in $race_cpu_sets; do
	race_unload
	tap $? "lifecycle: open() racing $race_cycles insmod/rmmod cycles, $race_openers openers, on CPUs $race_cpus: every open succeeded or failed with ENXIO or ENODEV"
done
race_cpus=$(echo $race_cpu_sets | sed 's/.* //')
race_points=0 race_swept=0
if [ -d $failslab ]; then
	race_failing_load
	tap $? "lifecycle: open() racing loads failing at each of the last $race_swept of $race_points fault injection points (nodes=$race_nodes)"
else
	tap 1 "lifecycle: open() racing failing loads: no $failslab"
fi
load
