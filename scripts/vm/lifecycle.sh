#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# lifecycle.sh MODULE CYCLES: run inside the test VM with MODULE loaded.
# Checks that rmmod is refused while a file is open, then unloads the
# module and runs CYCLES rounds of insmod, traffic through two slots and
# rmmod, and compares the Slab line of /proc/meminfo before and after the
# rounds. Leaves MODULE loaded again. Prints kselftest TAP lines; leaks of
# single objects are kmemleak's job (the caller scans after the last rmmod).

module=$1
cycles=$2
# Slab may move by this much from unrelated kernel activity (kB).
slab_noise_kb=512
node=/tmp/lifecycle-slot
other=/tmp/lifecycle-slot-other
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

slab_kb() {
	echo 3 >/proc/sys/vm/drop_caches
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
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

echo "TAP version 13"
echo "1..3"
major=$(awk '$2 == "message_slot" { print $1; exit }' /proc/devices)
mknod $node c "$major" 0
mknod $other c "$major" 1

exec 3<$node
rmmod message_slot 2>/dev/null && status=1 || status=0
exec 3<&-
loaded || status=1
tap $status "lifecycle: rmmod refused while a file is open"

rmmod message_slot
start_kb=$(slab_kb)
failures=0
cycle=1
while [ $cycle -le "$cycles" ]; do
	if ! insmod "$module" || ! traffic $cycle || ! rmmod message_slot ||
	   loaded; then
		echo "# cycle $cycle failed"
		failures=$((failures + 1))
		loaded && rmmod message_slot
	fi
	cycle=$((cycle + 1))
done
end_kb=$(slab_kb)
tap $failures "lifecycle: $cycles insmod/traffic/rmmod cycles, $failures failed"

delta_kb=$((end_kb - start_kb))
echo "# Slab: ${start_kb} kB before, ${end_kb} kB after $cycles cycles (${delta_kb} kB)"
tap $((delta_kb > slab_noise_kb)) "lifecycle: Slab within ${slab_noise_kb} kB after $cycles cycles (${delta_kb} kB)"
rm -f $node $other
insmod "$module"
