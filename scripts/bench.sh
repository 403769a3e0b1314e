#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--smoke]: benchmark message_slot in one boot of Debian's 6.12
# cloud kernel, with the module built out of tree, against the system calls
# it competes with (tests/message_slot_bench.c says what it
# measures), and write bench/results.md and bench/scaling.png.
#
# The targets are ratios between figures of the same boot. A missed target
# is reported as "miss", not as an error; the run fails only when the
# benchmark fails or a figure is missing.
#
# --smoke: few iterations and at most 2^10 channels, in seconds, so that
# the benchmark cannot rot; it writes to $MS_CACHE/bench-smoke instead of
# bench/, and its numbers mean nothing.
#
# The same boot first times the single operations with the driver as it
# was at MS_BENCH_BASELINE (a git revision; default: the last one before
# poll() support), so that the cost of a change is measured, not guessed.
# A last boot times the single operations with hardened_usercopy=off, to
# show what that check costs the slot's copies.
#
# Against the slot, what user space would do instead to keep a last value
# (a seqlock in shared memory with a futex, a tmpfs file replaced by
# rename(2) with inotify, a POSIX message queue of depth 1): the benchmark
# times them beside the slot on both lenses, and the wall-time boot then
# runs message_slot_lastvalue, which measures their properties (a killed
# writer, a reader that may only read, memory per value).
set -eu
. "$(dirname "$0")/lib.sh"

case ${1:-} in
'') mode=full out=$MS_TOP/bench args='' counts="1 1024 65536 1048576" ;;
--smoke) mode=smoke out=$MS_CACHE/bench-smoke args=--smoke counts="1 1024" ;;
*) die "usage: bench.sh [--smoke]" ;;
esac
# message_slot_lastvalue's arguments: at least one, for scripts/vm/init.
lv_args=--$mode
top=${counts##* }
configs="dense_128 random_128 dense_8 random_8"
base_ops="null_syscall read_zero write_null pipe_wr unix_wr mq_wr"
slot_ops="read_slot write_slot wr_slot ioctl_read_slot"
base_ops="$base_ops $slot_ops"
single_ops="$base_ops write_watched"
ops="$single_ops pingpong_slot pingpong_pipe"
# The user-space last values, timed beside the slot (see above).
lv_mechs="shm tmpfs mq"
lv_ops=
for m in $lv_mechs; do
	lv_ops="$lv_ops read_$m write_$m"
done
baseline_rev=${MS_BENCH_BASELINE:-29d4864}
# The variants of scripts/bench-variants.sh: channel stores, then the
# driver without one of its annotations.
stores="xarray rhashtable"
annotations="get_info_inline stack_zeroed write_alloc_inline bounce_heap"

need_packages build-essential gnuplot-nox
"$MS_TOP/scripts/build-userspace.sh" >/dev/null
release=$(cloud_release)
ko=$("$MS_TOP/scripts/build-oot.sh" "/usr/src/linux-headers-$release" \
	"$MS_CACHE/oot-$release")

# The baseline driver, from git, built the same way.
baseline_src=$MS_CACHE/bench-baseline/src
baseline_sha=$(git -C "$MS_TOP" rev-parse --verify -q "$baseline_rev^{commit}") ||
	die "no git revision $baseline_rev for the baseline (MS_BENCH_BASELINE)"
if [ "$(cat "$baseline_src/.rev" 2>/dev/null)" != "$baseline_sha" ]; then
	stage "baseline driver: $baseline_rev"
	rm -rf "$baseline_src"
	mkdir -p "$baseline_src"
	git -C "$MS_TOP" archive "$baseline_sha" drivers/char/message_slot \
		include/uapi/linux/message_slot.h | tar -x -C "$baseline_src"
	echo "$baseline_sha" >"$baseline_src/.rev"
fi
# Like ours, with the stand-ins for what 6.12 lacks (scripts/oot/compat.h).
run_logged bench-baseline-build make -C "/usr/src/linux-headers-$release" \
	M="$baseline_src/drivers/char/message_slot" CONFIG_MESSAGE_SLOT=m \
	KCPPFLAGS="-I$baseline_src/include" \
	KCFLAGS="--include=$MS_TOP/scripts/oot/compat.h" modules
baseline_ko=$baseline_src/drivers/char/message_slot/message_slot.ko
# TCG times depend on what else the host runs: say how busy it was.
load=$(cut -d ' ' -f 1 /proc/loadavg)
# TCG runs "rep movsb" one byte per step, which makes a 128-byte user
# copy cost more than a whole system call; on hardware that advertises
# ERMS it is the fastest copy there is. Without ERMS the kernel copies
# with "rep movsq", whose cost under TCG is closer to the hardware's.
# MS_CPU overrides the CPU model.
cpu=${MS_CPU:-max,la57=off,-erms}

# boot_bench NAME ARGS...: a boot of the benchmark with the driver and the
# baseline, its output in $MS_CACHE/runs/NAME/output.log. A full boot
# under TCG on a busy host can take more than vm-run.sh's default 600 s.
boot_bench() {
	MS_VM_TIMEOUT=${MS_VM_TIMEOUT:-2400} \
		MS_CPU=$cpu MS_SMP=4 MS_BENCH_ARGS="$2" \
		MS_BASELINE_MODULE=$baseline_ko \
		"$MS_TOP/scripts/vm-run.sh" "$1" "/boot/vmlinuz-$release" bench "$ko"
}

# read_figures NAME PREFIX: fig[PREFIXKEY] for every "BENCH KEY VALUE"
# line of the boot NAME.
declare -A fig
read_figures() {
	while read -r tag key value _; do
		[ "$tag" != BENCH ] || fig[$2$key]=$value
	done <"$MS_CACHE/runs/$1/output.log"
}

# The wall-time lens: 4 vCPUs, the host's clock; then the last-value
# properties, which need several CPUs (a writer killed while it runs).
MS_KERNEL_ARGS="ms_lastvalue=$lv_args" boot_bench "bench-$mode" "$args"
read_figures "bench-$mode" ""
# The instruction lens: one vCPU whose clock counts instructions, so its
# figures do not depend on the host (see MS_ICOUNT in vm-run.sh). The
# same boot then times the variants of the driver: the other channel
# stores with the whole sweep, the annotation variants with the single
# operations (scripts/bench-variants.sh).
bench_variants=$("$MS_TOP/scripts/bench-variants.sh")
for name in $stores; do
	export "MS_VARIANT_ARGS_$name=$args --icount"
done
for name in $annotations; do
	export "MS_VARIANT_ARGS_$name=$args --icount --single"
done
# An xarray of 2^20 random ids takes about 1.1 KiB a channel, and each
# configuration's slot keeps its channels until the module goes: the
# four sweeps of the xarray store take some 2.5 GiB, more than the 2 GiB
# of the other boots.
MS_ICOUNT=1 MS_BENCH_VARIANTS=$bench_variants MS_VM_MEM=6G \
	boot_bench "bench-$mode-icount" "$args --icount"
read_figures "bench-$mode-icount" i_
# The single operations once more, on the instruction lens, without the
# checks of hardened usercopy (Debian's kernel has them): what they cost.
MS_ICOUNT=1 MS_KERNEL_ARGS=hardened_usercopy=off \
	boot_bench "bench-$mode-icount-nohardened" "$args --icount --single"
read_figures "bench-$mode-icount-nohardened" h_

expected="kernel cpus seed iters reps $ops $lv_ops"
for m in $lv_mechs; do
	expected="$expected pingpong_$m i_read_$m i_write_$m"
done
# What message_slot_lastvalue measures (BENCH lv_... lines).
expected="$expected lv_seed lv_kill_tmpfs_leftover lv_kill_shm_torn_in_memory"
for m in slot $lv_mechs; do
	for what in trials torn hung lost; do
		expected="$expected lv_kill_${m}_$what"
	done
	for what in read change hang; do
		expected="$expected lv_ro_${m}_$what"
	done
done
expected="$expected lv_ro_shm_wake lv_ro_shm_register lv_ro_mq_notify"
expected="$expected lv_rw_shm_hang lv_mq_queues_max lv_mq_user_max"
for m in $lv_mechs; do
	expected="$expected lv_mem_${m}_n lv_mem_${m}_allin lv_mem_${m}_slab"
done
for op in $base_ops; do
	expected="$expected base_$op"
done
for n in $counts; do
	for cfg in $configs; do
		expected="$expected scale_${cfg}_${n}_ns mem_${cfg}_${n}_slab"
		expected="$expected mem_${cfg}_${n}_allin"
	done
done
for readers in 1 2 4; do
	expected="$expected readers_${readers}_alone readers_${readers}_writer"
	expected="$expected readers_${readers}_writes"
done
# The instruction lens times the single operations and the scaling sweep.
for op in $single_ops; do
	expected="$expected i_$op"
done
for op in $base_ops; do
	expected="$expected i_base_$op h_$op"
done
tails="read absent create overwrite"
for n in $counts; do
	for cfg in $configs; do
		expected="$expected i_scale_${cfg}_${n}_ns i_base_scale_${cfg}_${n}_ns"
		for store in "" $stores; do
			v=${store:+${store}_}
			expected="$expected i_${v}scale_${cfg}_${n}_ns i_${v}mem_${cfg}_${n}_allin"
			for tail in $tails; do
				for stat in med p99 max; do
					expected="$expected i_${v}tail_${cfg}_${n}_${tail}_$stat"
				done
			done
		done
		for stat in n over4 slabs allmax allmax_at over64 all; do
			expected="$expected i_tail_${cfg}_${n}_create_$stat"
		done
		for store in $stores; do
			expected="$expected i_${store}_tail_${cfg}_${n}_create_allmax"
			expected="$expected i_${store}_tail_${cfg}_${n}_create_over64"
		done
	done
done
for name in $stores $annotations; do
	for op in $slot_ops; do
		expected="$expected i_${name}_$op"
	done
done
missing=
for key in $expected; do
	[ -n "${fig[$key]:-}" ] || missing="$missing $key"
done
[ -z "$missing" ] ||
	die "figures missing from $MS_CACHE/runs/bench-$mode{,-icount,-icount-nohardened}/output.log:$missing"

# calc EXPR: EXPR evaluated in floating point, to two decimals.
calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# calc0 EXPR: the same, rounded to a whole number.
calc0() {
	awk "BEGIN { printf \"%.0f\", $1 }"
}

# target WHAT INSTRUCTIONS WALL LIMIT: a table row of a ratio on each lens
# ("-" where a lens has none), judged on the instruction lens if it has
# the figure: pass when it is at most LIMIT.
target() {
	judged=$2
	[ "$judged" != - ] || judged=$3
	verdict=$(awk "BEGIN { print (($judged <= $4) ? \"pass\" : \"**miss**\") }")
	echo "| $1 | $2 | $3 | ≤ $4 | $verdict |"
}

# pow2 N: N as a power of two.
pow2() {
	awk -v n="$1" 'BEGIN { printf "2^%d", log(n) / log(2) + 0.5 }'
}

# describe CFG: "dense_128" as "dense ids, 128 B".
describe() {
	echo "${1%_*} ids, ${1#*_} B"
}

# ratio KEY1 KEY2: figure KEY1 divided by figure KEY2.
ratio() {
	calc "${fig[$1]} / ${fig[$2]}"
}

# ratios KEY1 KEY2: the ratio on the instruction lens, then on the wall.
ratios() {
	echo "$(ratio "i_$1" "i_$2") $(ratio "$1" "$2")"
}

# cfg_table CELL: a row per channel count and a column per configuration;
# the function CELL, given the configuration and the count, prints a cell.
cfg_table() {
	echo "| channels | dense, 128 B | random, 128 B | dense, 8 B |" \
		"random, 8 B |"
	echo "|---:|---:|---:|---:|---:|"
	for n in $counts; do
		row="| $n"
		for cfg in $configs; do
			row="$row | $("$1" "$cfg" "$n")"
		done
		echo "$row |"
	done
}

ns_cell() {
	echo "${fig[scale_$1_$2_ns]}"
}

instr_cell() {
	echo "${fig[i_scale_$1_$2_ns]}"
}

# before_cell CFG N: the instructions with the baseline driver, now, and
# their ratio.
before_cell() {
	echo "${fig[i_base_scale_$1_$2_ns]} → ${fig[i_scale_$1_$2_ns]}" \
		"($(ratio "i_scale_$1_$2_ns" "i_base_scale_$1_$2_ns"))"
}

mem_cell() {
	echo "${fig[mem_$1_$2_slab]} / ${fig[mem_$1_$2_allin]}"
}

# yes_no FIGURE: "yes" for 1, "no" for 0.
yes_no() {
	case $1 in
	0 | 0.0) echo no ;;
	*) echo yes ;;
	esac
}

# lv_what M: how the mechanism M is named in the tables.
lv_what() {
	case $1 in
	slot) echo "message_slot" ;;
	shm) echo "shm: seqlock + futex" ;;
	tmpfs) echo "tmpfs: rename + inotify" ;;
	mq) echo "mq: depth 1" ;;
	esac
}

# lv_killed M: the killed-writer cell of mechanism M.
lv_killed() {
	cell="${fig[lv_kill_$1_torn]} torn, ${fig[lv_kill_$1_hung]} hung,"
	cell="$cell ${fig[lv_kill_$1_lost]} lost"
	case $1 in
	shm) cell="$cell (the value's bytes torn under ${fig[lv_kill_shm_torn_in_memory]} of the hung)" ;;
	tmpfs) cell="$cell; ${fig[lv_kill_tmpfs_leftover]} temporary files left behind" ;;
	esac
	echo "$cell"
}

# lv_readonly M: the read-only reader's cell of mechanism M.
lv_readonly() {
	cell="reads: $(yes_no "${fig[lv_ro_$1_read]}"); value changed or"
	cell="$cell gone: $(yes_no "${fig[lv_ro_$1_change]}"); the next"
	cell="$cell reader finds none or hangs: $(yes_no "${fig[lv_ro_$1_hang]}")"
	case $1 in
	shm)
		cell="$cell; can count itself a waiter:"
		cell="$cell $(yes_no "${fig[lv_ro_shm_register]}");"
		cell="$cell FUTEX_WAKE on others' waiters:"
		cell="$cell $(yes_no "${fig[lv_ro_shm_wake]}"); a reader mapped"
		cell="$cell writable, to count itself a waiter, makes every"
		cell="$cell other hang: $(yes_no "${fig[lv_rw_shm_hang]}")"
		;;
	mq)
		cell="$cell; takes the queue's one mq_notify() from others:"
		cell="$cell $(yes_no "${fig[lv_ro_mq_notify]}")"
		;;
	esac
	echo "$cell"
}

# lv_memory M: the memory cell of mechanism M.
lv_memory() {
	case $1 in
	slot)
		echo "${fig[mem_dense_128_${top}_allin]} B at $(pow2 "$top")" \
			"channels (scaling sweep, dense ids)"
		;;
	shm)
		echo "${fig[lv_mem_shm_allin]} B at" \
			"$(pow2 "${fig[lv_mem_shm_n]}") values, one array" \
			"indexed by a dense id"
		;;
	tmpfs)
		echo "${fig[lv_mem_tmpfs_allin]} B at" \
			"$(pow2 "${fig[lv_mem_tmpfs_n]}") files (Slab" \
			"${fig[lv_mem_tmpfs_slab]} B); 2^20 files:" \
			"$(calc "${fig[lv_mem_tmpfs_allin]} / 1024") GiB, pro rata"
		;;
	mq)
		echo "${fig[lv_mem_mq_allin]} B at" \
			"$(pow2 "${fig[lv_mem_mq_n]}") queues (Slab" \
			"${fig[lv_mem_mq_slab]} B), made by root; 2^20 queues:" \
			"$(calc "${fig[lv_mem_mq_allin]} / 1024") GiB, pro rata." \
			"An unprivileged user made $(calc0 "${fig[lv_mq_user_max]}")" \
			"(fs.mqueue.queues_max $(calc0 "${fig[lv_mq_queues_max]}")" \
			"per IPC namespace)"
		;;
	esac
}

# lv_rights M: who can see and change what, with mechanism M.
lv_rights() {
	case $1 in
	slot) echo "the node's mode (a udev rule) for the whole slot: who" \
		"may open it for reading reads every channel, who may open it" \
		"for writing writes and clears every channel; a file opened" \
		"O_RDONLY cannot write or clear; max_channels bounds what one" \
		"user holds, and the writer's memory cgroup pays" ;;
	shm) echo "the file's mode, for all the values in it: a reader" \
		"maps it read-only and cannot change it, but then cannot" \
		"count itself a waiter, so every write must FUTEX_WAKE;" \
		"whoever may write any byte of it may leave a sequence odd" \
		"and hang every reader and writer" ;;
	tmpfs) echo "a mode per value (file) for reading; replacing needs" \
		"write access to the directory, which lets one replace or" \
		"remove every value in it (the sticky bit aside); a killed" \
		"writer leaves files nobody removes" ;;
	mq) echo "a mode per queue; reading takes the value out, so a" \
		"reader that may not write removes it for everyone;" \
		"queues_max and RLIMIT_MSGQUEUE bound an unprivileged user" ;;
	esac
}

# store_rows CELL: a row per channel count and configuration, a column
# per store (store.c, then $stores); CELL STORE-PREFIX CFG N prints one.
store_rows() {
	echo "| channels | ids, message | store.c | $(echo $stores | sed 's/ / | /g') |"
	echo "|---:|---|---:|$(for _ in $stores; do printf -- '---:|'; done)"
	for n in $counts; do
		for cfg in $configs; do
			row="| $n | $(describe "$cfg")"
			for store in "" $stores; do
				row="$row | $("$1" "${store:+${store}_}" "$cfg" "$n")"
			done
			echo "$row |"
		done
	done
}

lookup_cell() {
	echo "${fig[i_$1scale_$2_$3_ns]}"
}

absent_cell() {
	echo "${fig[i_$1tail_$2_$3_absent_med]}"
}

create_cell() {
	k=i_$1tail_$2_$3_create
	echo "${fig[${k}_med]} / ${fig[${k}_p99]} / ${fig[${k}_max]}"
}

overwrite_cell() {
	k=i_$1tail_$2_$3_overwrite
	echo "${fig[${k}_med]} / ${fig[${k}_max]}"
}

store_mem_cell() {
	echo "${fig[i_$1mem_$2_$3_allin]}"
}

# worst_ratio PREFIX KEY-PATTERN MIN: the largest, over every channel
# count from MIN and configuration, of the figure of the store PREFIX over
# that of store.c; KEY-PATTERN has @ for the configuration and count.
worst_ratio() {
	for n in $counts; do
		[ "$n" -ge "$3" ] || continue
		for cfg in $configs; do
			k=${2//@/${cfg}_$n}
			calc "${fig[i_$1$k]} / ${fig[i_$k]}"
			echo
		done
	done | sort -g | tail -n 1
}

# stores_section: the channel store against the kernel's own structures.
stores_section() {
	echo "## The channel store against xarray and rhashtable (instruction lens)"
	echo
	echo "The same boot loads, after the driver, two builds of it with" \
		"another channel store (bench/stores/, never part of the series):" \
		"an xarray keyed by channel id and an rhashtable, each read under" \
		"RCU, written under a per-slot mutex, with the same message" \
		"buffers, per-user bound and watchers; each entry is an object" \
		"of its own with a seqcount. Each runs the whole sweep above."
	echo
	echo "ioctl+read of a random existing channel, instructions:"
	echo
	store_rows lookup_cell
	echo
	echo "Read of a channel that does not exist, median instructions:"
	echo
	store_rows absent_cell
	echo
	echo "First writes (the last 4096 of each fill), median / p99 / max:"
	echo
	store_rows create_cell
	echo
	echo "Overwrites (4096 ioctl+write pairs), median / max:"
	echo
	store_rows overwrite_cell
	echo
	echo "Kernel memory, all-in bytes per channel (table or nodes," \
		"entries, buffers):"
	echo
	store_rows store_mem_cell
	echo
	# Memory per channel means something once the slot holds enough
	# channels to outweigh what a settle leaves unsettled: on the
	# instruction lens, free memory moves by megabytes while a sweep
	# runs (the driver of the baseline, timed first in the same boot,
	# shows it as much), so only the largest count weighs enough.
	mem_min=$top
	echo "The worst ratio of each alternative to store.c over every" \
		"configuration and every count above 1 ($mem_min for memory:" \
		"below it, free memory moves by megabytes during a sweep on" \
		"this lens, for the baseline driver as much, which makes" \
		"smaller counts noise); the series would take an alternative" \
		"that comes within 10% (≤ 1.10) on all three:"
	echo
	echo "| store | ioctl+read | memory | first write p99 | within 10% |"
	echo "|---|---:|---:|---:|---|"
	for store in $stores; do
		l=$(worst_ratio "${store}_" "scale_@_ns" 2)
		m=$(worst_ratio "${store}_" "mem_@_allin" "$mem_min")
		c=$(worst_ratio "${store}_" "tail_@_create_p99" 2)
		echo "| $store | $l | $m | $c |" \
			"$(awk "BEGIN { print ($l <= 1.1 && $m <= 1.1 && $c <= 1.1) ? \"yes\" : \"no\" }") |"
	done
	echo
}

# write_tails_section: the slowest write against the median write.
write_tails_section() {
	echo "## The slowest write against the median write (instruction lens)"
	echo
	echo "The target: no write, first writes included, costs more than" \
		"64 times the median overwrite of the same run. Every" \
		"ioctl+write that created a channel since the count before is" \
		"timed alone (the last 4096 of them give the p99): the" \
		"costliest, the count of channels it came at, and how many of" \
		"them cost more than 64 median overwrites. The same boot's" \
		"xarray and rhashtable stores, whose first writes never move a" \
		"table's channels in the writer, show what the kernel around" \
		"the driver adds on one vCPU: work of other tasks that lands in" \
		"a timed write, such as rhashtable's deferred rehash."
	echo
	echo "| channels | ids, message | median overwrite | first write p99 | first write max (×), at | over 64× | xarray max, over 64× | rhashtable max, over 64× | overwrite max (×) |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	for n in $counts; do
		[ "$n" != 1 ] || continue
		for cfg in $configs; do
			k=i_tail_${cfg}_${n}
			x=i_xarray_tail_${cfg}_${n}
			r=i_rhashtable_tail_${cfg}_${n}
			echo "| $n | $(describe "$cfg") | ${fig[${k}_overwrite_med]} |" \
				"${fig[${k}_create_p99]} |" \
				"${fig[${k}_create_allmax]} ($(ratio "${k}_create_allmax" "${k}_overwrite_med")), $(calc0 "${fig[${k}_create_allmax_at]}") |" \
				"$(calc0 "${fig[${k}_create_over64]}") of $(calc0 "${fig[${k}_create_all]}") |" \
				"${fig[${x}_create_allmax]}, $(calc0 "${fig[${x}_create_over64]}") |" \
				"${fig[${r}_create_allmax]}, $(calc0 "${fig[${r}_create_over64]}") |" \
				"${fig[${k}_overwrite_max]} ($(ratio "${k}_overwrite_max" "${k}_overwrite_med")) |"
		done
	done
	echo
}

# annotations_section: what each annotation of the driver is worth.
annotations_section() {
	echo "## What the driver's annotations are worth (instruction lens)"
	echo
	echo "The same boot times the single operations with builds of the" \
		"driver that each lack one annotation (scripts/bench-variants.sh):" \
		"get_info_inline has msg_slot_get_info() inlined into the ioctl," \
		"stack_zeroed the read and write buffers cleared by" \
		"CONFIG_INIT_STACK_ALL_ZERO, write_alloc_inline" \
		"msg_slot_write_alloc() inlined, and bounce_heap the read and" \
		"write buffers in the open file's state, a kmalloc() object" \
		"whose whole size is whitelisted for user copies, instead of" \
		"the stack: what hardened usercopy's check of a heap object" \
		"costs against that of a stack buffer. Instructions per" \
		"operation, the variant − the driver:"
	echo
	echo "| operation | with all | $(echo $annotations | sed 's/ / | /g') |"
	echo "|---|---:|$(for _ in $annotations; do printf -- '---:|'; done)"
	for op in $slot_ops; do
		row="| $op | ${fig[i_$op]}"
		for name in $annotations; do
			row="$row | $(calc "${fig[i_${name}_$op]} - ${fig[i_$op]}")"
		done
		echo "$row |"
	done
	echo
}

# lv_section: the section "The slot against user space" of results.md.
lv_section() {
	echo "## The slot against user space"
	echo
	echo "What a program would do instead of the driver to keep a last" \
		"value of 128 bytes, in the same boots as the rest: a seqlock" \
		"in a MAP_SHARED mapping of a tmpfs file, with a futex on the" \
		"sequence word that a write wakes only when a waiter counted" \
		"itself (shm); a tmpfs file written under a temporary name and" \
		"rename(2)d over the value, read with open+read+close, with" \
		"inotify (IN_MOVED_TO) to wake (tmpfs); a POSIX message queue" \
		"of depth 1 whose write drops the old value and sends the new" \
		"one and whose read receives the value and sends it back, since" \
		"a queue has no peek (mq). The code is in" \
		"tests/message_slot_bench.c and tests/message_slot_lastvalue.c."
	echo
	echo "| mechanism | read, instr. | × slot | write, instr. | × slot |" \
		"read, ns (wall) | write, ns (wall) | ping-pong, ns (wall) |" \
		"× slot |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for m in slot $lv_mechs; do
		echo "| $(lv_what "$m") | ${fig[i_read_$m]} |" \
			"$(ratio "i_read_$m" i_read_slot) |" \
			"${fig[i_write_$m]} |" \
			"$(ratio "i_write_$m" i_write_slot) |" \
			"${fig[read_$m]} | ${fig[write_$m]} |" \
			"${fig[pingpong_$m]} |" \
			"$(ratio "pingpong_$m" pingpong_slot) |"
	done
	echo
	echo "Read and write are single operations, timed on both lenses" \
		"like the slot's (the slot's read is of the channel its file" \
		"selected; the shm write finds no waiter, as the slot's finds" \
		"none). The ping-pong bounces a value between two threads that" \
		"each wait for the other's through the mechanism's own" \
		"wake-up: poll() for the slot, the futex for shm, a blocking" \
		"read of the inotify descriptor for tmpfs, and a blocking" \
		"receive for mq, whose readers there take the value for good" \
		"(a queue wakes a reader only by handing it the message):" \
		"wall time only, as it needs two CPUs. The slowest loops run" \
		"fewer operations: a quarter of ${fig[iters]} for the tmpfs" \
		"write, a twentieth for the tmpfs ping-pong."
	echo
	echo "Properties, measured by message_slot_lastvalue in the" \
		"wall-time boot (seed ${fig[lv_seed]}):"
	echo
	echo "| mechanism | killed writer, of $(calc0 "${fig[lv_kill_slot_trials]}")" \
		"kills | a reader that may only read | memory per 128-byte" \
		"value | who can see and change what |"
	echo "|---|---|---|---|---|"
	for m in slot $lv_mechs; do
		echo "| $(lv_what "$m") | $(lv_killed "$m") |" \
			"$(lv_readonly "$m") | $(lv_memory "$m") |" \
			"$(lv_rights "$m") |"
	done
	echo
	echo "Killed writer: a process loops writing values whose 128 bytes" \
		"all equal a counter byte, and is SIGKILLed a random time" \
		"(under 200 µs) after its first write; then a reader reads." \
		"Torn: a value of unequal bytes. Hung: a shm reader still" \
		"retrying after 2^16 rounds (the writer is dead and reaped: the" \
		"sequence it left odd stays odd, and writers spin on it too)," \
		"or a slot read that has not returned after 10 s. Lost: no value" \
		"left to read (a blocking reader would wait for the next write)." \
		"How often a kill lands inside a write decides the counts, and" \
		"under TCG a vCPU takes the kill's interrupt only between" \
		"translated blocks, which the few instructions of a seqlock" \
		"write mostly fall between: the VM counts fewer hung shm" \
		"readers than hardware would. Any count above zero is a reader" \
		"that would wait forever." \
		"A reader that may only read: a process of another user" \
		"(nobody), given read access alone (a node, file or queue of" \
		"mode 0644, a PROT_READ mapping), tries to write, clear," \
		"rename, unlink, store and receive; the parent then checks the" \
		"value. Memory: the drop of free memory (all-in, as the" \
		"scaling sweep measures the slot's), after drop_caches and RCU" \
		"grace periods; a tmpfs file and a queue take kilobytes each," \
		"so they stop at the count given and 2^20 is that figure times" \
		"2^20, which would not fit in the VM's 2 GiB."
}

mkdir -p "$out"
results=$out/results.md
today=$(date -u +%Y-%m-%d)
qemu=$(qemu-system-x86_64 --version | head -n 1)
host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
	echo "# message_slot benchmark"
	echo
	echo "Measured by scripts/bench.sh in $mode mode (\`make bench\`" \
		"runs the full one) on $today, in one boot of Linux" \
		"${fig[kernel]} (Debian's cloud kernel) with message_slot" \
		"built out of tree."
	echo "The VM: $qemu, TCG (no KVM), ${fig[cpus]} vCPUs, 2 GiB;" \
		"the host: $host_cpu, $(nproc) CPUs, load average $load" \
		"before the run."
	echo "Every time is the best of ${fig[reps]} loops of" \
		"${fig[iters]} operations, after a warm-up loop; random ids" \
		"and lookups come from seed ${fig[seed]}."
	echo
	echo "Under TCG every guest instruction is emulated, so absolute" \
		"times are those of the emulator; the targets are ratios" \
		"between operations of the same boot, which is what they" \
		"can support. The CPU model is \`-cpu $cpu\`: TCG runs" \
		"\`rep movsb\`, the kernel's user copy on CPUs with ERMS," \
		"one byte per step, which makes a 128-byte copy cost more" \
		"than a whole system call; without ERMS the kernel copies" \
		"with \`rep movsq\`. \`MS_CPU=max,la57=off make bench\`" \
		"measures with ERMS."
	[ "$mode" = full ] ||
		printf '\n**Smoke mode: %s; these numbers mean nothing.**\n' \
			"a few iterations, at most $top channels"
	echo
	echo "## Two lenses"
	echo
	echo "Each figure is taken twice, in two boots. The wall-time" \
		"lens boots ${fig[cpus]} vCPUs and times with the host's" \
		"clock, through the emulator: its ratios move by up to 10%" \
		"from run to run with what else the host does. The" \
		"instruction lens boots one vCPU with QEMU's" \
		"\`-icount shift=0,sleep=off\`, which advances the guest's" \
		"clock by one nanosecond per guest instruction: its figures" \
		"are instructions, whatever the host does, and two runs agree" \
		"within a fraction of a percent. It times the single" \
		"operations and the scaling sweep, after the kernel has" \
		"settled from its boot (message_slot_bench --icount)."
	echo
	echo "## Single operations (128-byte messages)"
	echo
	echo "| operation | instructions | × null syscall | ns/op (wall) |" \
		"× null syscall |"
	echo "|---|---:|---:|---:|---:|"
	for op in $ops; do
		case " $single_ops " in
		*" $op "*) instr="${fig[i_$op]} | $(ratio "i_$op" i_null_syscall)" ;;
		*) instr="- | -" ;;
		esac
		echo "| $op | $instr | ${fig[$op]} |" \
			"$(ratio "$op" null_syscall) |"
	done
	echo
	echo "null_syscall is getppid(); read_zero reads 128 bytes of" \
		"/dev/zero and write_null writes them to /dev/null; pipe_wr," \
		"unix_wr (AF_UNIX datagram socketpair) and mq_wr (POSIX" \
		"message queue) write then read 128 bytes; the _slot" \
		"operations go through one open file of a slot with one" \
		"channel. write_watched writes a slot in which 8 other files" \
		"watch 8 other channels (each polled once); pingpong_slot and" \
		"pingpong_pipe bounce a 128-byte message between two threads" \
		"that each wait in poll() for the other's message, through" \
		"two channels of a slot and through two pipes (wall time only:" \
		"they need two CPUs)."
	echo
	echo "## Targets"
	echo
	echo "Verdicts are taken on the instruction lens where it has the" \
		"figure."
	echo
	echo "| figure | instructions | wall | target | verdict |"
	echo "|---|---:|---:|---:|---|"
	# shellcheck disable=SC2046 # ratios prints the two figures
	target "slot read / /dev/zero read" \
		$(ratios read_slot read_zero) 1.25
	# shellcheck disable=SC2046
	target "slot write / /dev/null write" \
		$(ratios write_slot write_null) 1.5
	for p in "" i_; do
		fig[${p}zero_null]=$(calc "${fig[${p}read_zero]} + ${fig[${p}write_null]}")
	done
	# shellcheck disable=SC2046
	target "slot write+read / (/dev/zero read + /dev/null write)" \
		$(ratios wr_slot zero_null) 1.35
	# shellcheck disable=SC2046
	target "slot write+read / pipe write+read" \
		$(ratios wr_slot pipe_wr) 0.75
	# Against the earlier driver, each over the reference of its own
	# phase of the boot: a busy host can slow a whole phase down.
	for p in "" i_; do
		fig[${p}write_now]=$(ratio "${p}write_slot" "${p}write_null")
		fig[${p}write_before]=$(ratio "${p}base_write_slot" "${p}base_write_null")
		fig[${p}read_now]=$(ratio "${p}read_slot" "${p}read_zero")
		fig[${p}read_before]=$(ratio "${p}base_read_slot" "${p}base_read_zero")
	done
	# shellcheck disable=SC2046
	target "slot write, nobody waiting, over /dev/null write: now / $baseline_rev" \
		$(ratios write_now write_before) 1.05
	# shellcheck disable=SC2046
	target "slot read, over /dev/zero read: now / $baseline_rev" \
		$(ratios read_now read_before) 1.1
	# shellcheck disable=SC2046
	target "slot write, 8 watchers of other channels / none" \
		$(ratios write_watched write_slot) 1.05
	target "poll() ping-pong, slot / pipe" - \
		"$(ratio pingpong_slot pingpong_pipe)" 1.0
	for cfg in $configs; do
		what="ioctl+read, $(pow2 "$top") / 1 channel"
		many=scale_${cfg}_${top}_ns one=scale_${cfg}_1_ns
		# shellcheck disable=SC2046
		target "$what, $(describe "$cfg")" $(ratios "$many" "$one") 1.5
	done
	# The tails at the top count, over the median read of a channel.
	for cfg in dense_128 random_128; do
		med=i_tail_${cfg}_${top}_read_med
		at="$(pow2 "$top") channels, $(describe "$cfg")"
		for stat in p99 max; do
			limit=1.5
			[ $stat = p99 ] || limit=3
			target "read $stat / median read, $at" \
				"$(ratio "i_tail_${cfg}_${top}_read_$stat" "$med")" - $limit
		done
		for tail in absent create; do
			for stat in p99 max; do
				limit=2
				[ $stat = p99 ] || limit=4
				target "$tail $stat / median read, $at" \
					"$(ratio "i_tail_${cfg}_${top}_${tail}_$stat" "$med")" - $limit
			done
		done
	done
	for cfg in $configs; do
		limit=64
		[ "${cfg#*_}" != 128 ] || limit=160
		what="kernel bytes/channel all-in, $(pow2 "$top") channels"
		target "$what, $(describe "$cfg")" - \
			"${fig[mem_${cfg}_${top}_allin]}" $limit
	done
	echo
	lv_section
	echo
	echo "## What hardened usercopy costs (instruction lens)"
	echo
	echo "A third boot times the single operations again with" \
		"\`hardened_usercopy=off\`: without the check that a user copy" \
		"of a variable length stays within its kernel object, which" \
		"the slot's read and write pay on their stack buffer and" \
		"/dev/zero and /dev/null do not."
	echo
	echo "| operation | instructions | hardened_usercopy=off | difference |"
	echo "|---|---:|---:|---:|"
	for op in $base_ops; do
		echo "| $op | ${fig[i_$op]} | ${fig[h_$op]} |" \
			"$(calc "${fig[i_$op]} - ${fig[h_$op]}") |"
	done
	echo
	fig[h_zero_null]=$(calc "${fig[h_read_zero]} + ${fig[h_write_null]}")
	echo "Without the check, read / /dev/zero read is" \
		"$(ratio h_read_slot h_read_zero) (target 1.25), write /" \
		"/dev/null write $(ratio h_write_slot h_write_null) (1.5)," \
		"write+read / (both) $(ratio h_wr_slot h_zero_null) (1.35) and" \
		"write+read / pipe $(ratio h_wr_slot h_pipe_wr) (0.75)."
	echo
	echo "## First writes (instruction lens)"
	echo
	echo "The writes that created the last channels of each fill (up to" \
		"4096), timed one by one: how many cost more than 4 times the" \
		"median read of a channel at that count, and how many slabs" \
		"the kmalloc cache of their message buffers gained meanwhile" \
		"(/sys/kernel/slab): a write that finds no free object left" \
		"allocates a slab."
	echo
	echo "| channels | ids, message | first writes | over 4x median read |" \
		"new buffer slabs | median / p99 / max |"
	echo "|---:|---|---:|---:|---:|---:|"
	for n in $counts; do
		[ "$n" != 1 ] || continue
		for cfg in $configs; do
			k=i_tail_${cfg}_${n}_create
			echo "| $n | $(describe "$cfg") | $(calc0 "${fig[${k}_n]}") |" \
				"$(calc0 "${fig[${k}_over4]}") |" \
				"$(calc0 "${fig[${k}_slabs]}") |" \
				"${fig[${k}_med]} / ${fig[${k}_p99]} / ${fig[${k}_max]} |"
		done
	done
	echo
	echo "## Against the driver of $baseline_rev"
	echo
	echo "Each boot timed the single operations first with the" \
		"driver of revision $baseline_rev (MS_BENCH_BASELINE), then" \
		"with this one."
	echo
	echo "| operation | before, instr. | now, instr. | now / before |" \
		"before, ns | now, ns | now / before |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for op in $base_ops; do
		echo "| $op | ${fig[i_base_$op]} | ${fig[i_$op]} |" \
			"$(ratio "i_$op" "i_base_$op") | ${fig[base_$op]} |" \
			"${fig[$op]} | $(ratio "$op" "base_$op") |"
	done
	echo
	echo "The references (null_syscall, read_zero, write_null, pipe_wr," \
		"unix_wr, mq_wr) do not involve the driver: on the wall they" \
		"move by what the host did to one phase of the run and not the" \
		"other, which is why the targets compare each operation with a" \
		"reference of its own phase; on the instruction lens they" \
		"should not move at all."
	echo
	echo "ioctl+read of a random existing channel, instructions with" \
		"the driver of $baseline_rev → now (now / before):"
	echo
	cfg_table before_cell
	echo
	echo "## Per-channel tails (instruction lens)"
	echo
	echo "Instructions per operation of single channels: the read of" \
		"each of up to 4096 channels drawn at random from those of the" \
		"slot (the best of 3 loops of 20 reads), the read of 4096" \
		"channels that do not exist (EWOULDBLOCK), and the write that" \
		"created each of the last 4096 channels (one write, timed" \
		"alone, so a write that grows the table is one of them), and" \
		"4096 ioctl+write pairs, each timed alone, that overwrite a" \
		"channel drawn at random with a message of the same length."
	echo "Median / p99 / max:"
	echo
	echo "| channels | ids, message | read | absent read | first write | overwrite |"
	echo "|---:|---|---:|---:|---:|---:|"
	for n in $counts; do
		for cfg in $configs; do
			row="| $n | $(describe "$cfg")"
			for tail in $tails; do
				k=i_tail_${cfg}_${n}_$tail
				row="$row | ${fig[${k}_med]} / ${fig[${k}_p99]} / ${fig[${k}_max]}"
			done
			echo "$row |"
		done
	done
	echo
	stores_section
	write_tails_section
	annotations_section
	echo "## Scaling: ioctl+read of a random existing channel"
	echo
	echo "Instructions per operation:"
	echo
	cfg_table instr_cell
	echo
	echo "Wall time, ns/op:"
	echo
	cfg_table ns_cell
	echo
	echo "## Scaling: kernel memory, bytes per channel (Slab / all-in)"
	echo
	cfg_table mem_cell
	echo
	echo "Each configuration fills a fresh slot. Slab is the growth of" \
		"/proc/meminfo's Slab line; all-in is the drop of free" \
		"memory, so vmalloc'd tables and everything else count:" \
		"MemFree plus the pages in the per-CPU free lists of" \
		"/proc/zoneinfo, which MemFree leaves out and which move by" \
		"megabytes. Both are read after drop_caches and RCU grace" \
		"periods, until free memory stops rising, so that tables" \
		"waiting in kvfree_rcu() do not count." \
		"The kernel counts in kB and pages: at a single channel the" \
		"figure is page noise. The benchmark runs in the root memory" \
		"cgroup, which is not charged; in another cgroup each message" \
		"buffer also carries an 8-byte cgroup pointer."
	echo
	echo "## Reader scaling: one channel, 128-byte messages"
	echo
	echo "| readers | reads/s alone | reads/s with a writer |" \
		"writes/s of the writer |"
	echo "|---:|---:|---:|---:|"
	for readers in 1 2 4; do
		echo "| $readers | ${fig[readers_${readers}_alone]} |" \
			"${fig[readers_${readers}_writer]} |" \
			"${fig[readers_${readers}_writes]} |"
	done
	echo
	echo "Each thread reads through a file of its own; the threads are" \
		"not pinned. The ${fig[cpus]} vCPUs are threads of QEMU on a" \
		"host of $(nproc) CPUs, so more threads than host CPUs cannot" \
		"scale."
	echo
	echo "![ns/op and bytes/channel against channel count](scaling.png)"
} >"$results"

# The plot: one row per channel count, one column per figure.
data=$MS_CACHE/runs/bench-$mode/scaling.dat
for n in $counts; do
	row=$n
	for cfg in $configs; do
		row="$row ${fig[scale_${cfg}_${n}_ns]}"
		row="$row ${fig[mem_${cfg}_${n}_allin]}"
		row="$row ${fig[mem_${cfg}_${n}_slab]}"
	done
	echo "$row"
done >"$data"

# The tails of the instruction lens, one row per channel count: the read,
# absent read and first write of dense then random ids with 128-byte
# messages, each as median, p99 and max (columns 2 to 19).
tails_data=$MS_CACHE/runs/bench-$mode/tails.dat
for n in $counts; do
	row=$n
	for cfg in dense_128 random_128; do
		for tail in $tails; do
			for stat in med p99 max; do
				row="$row ${fig[i_tail_${cfg}_${n}_${tail}_$stat]}"
			done
		done
	done
	echo "$row"
done >"$tails_data"

# Columns 3i+2, 3i+3 and 3i+4 are the ns/op, all-in and Slab figures of
# configuration i. Memory per channel at one channel is page noise: left
# out of the plot.
names="dense,128B random,128B dense,8B random,8B"
run_logged bench-gnuplot gnuplot <<EOF
set terminal pngcairo noenhanced size 2100,600
set output "$out/scaling.png"
set multiplot layout 1,3 title "message_slot, Linux ${fig[kernel]}, \
QEMU TCG, $today ($mode mode)"
set logscale x 2
set xtics ("1" 1, "2^10" 1024, "2^16" 65536, "2^20" 1048576)
set xlabel "channels in the slot"
set yrange [0:*]
set key below maxrows 3
set ylabel "ns per ioctl+read of a random channel"
plot for [i=0:3] "$data" using 1:3*i+2 with linespoints linecolor i+1 \
	title word("$names", i+1)
set ylabel "kernel memory, bytes per channel"
plot for [i=0:3] "$data" every ::1 using 1:3*i+3 with linespoints \
	linecolor i+1 title "all-in, ".word("$names", i+1), \
	for [i=0:3] "$data" every ::1 using 1:3*i+4 with linespoints \
	linecolor i+1 dashtype 2 title "Slab, ".word("$names", i+1), \
	160 with lines linecolor "black" dashtype 3 title "target, 128 B", \
	64 with lines linecolor "gray" dashtype 3 title "target, 8 B"
set ylabel "instructions per operation of one channel (log)"
set yrange [*:*]
set logscale y
set key below maxrows 6
plot for [c=0:1] for [t=0:2] for [s=0:2] "$tails_data" \
	using 1:(column(2 + 9*c + 3*t + s)) with linespoints \
	linecolor t + 1 dashtype s + 1 pointtype 4*c + 5 \
	title word("dense random", c + 1)." ".word("read absent first-write", t + 1)." ".word("median p99 max", s + 1)
unset multiplot
EOF

stage "bench: $results and $out/scaling.png"
[ "$mode" = smoke ] ||
	grep -F '**miss**' "$results" | sed 's/^/missed target: /' >&2 || true

# The README quotes the targets table of a full run, between its
# "bench:begin" and "bench:end" markers.
if [ "$mode" = full ]; then
	table=$(mktemp)
	{
		echo "The last full run ($today, ${fig[kernel]}, from" \
			"bench/results.md):"
		echo
		awk '/^## Targets/ { on = 1; next } on && /^## / { exit }
			on && /^\|/' "$results"
	} >"$table"
	awk -v table="$table" '
		/<!-- bench:begin -->/ { print; while ((getline l < table) > 0) print l; skip = 1; next }
		/<!-- bench:end -->/ { skip = 0 }
		!skip' "$MS_TOP/README.md" >"$MS_TOP/README.md.new"
	mv "$MS_TOP/README.md.new" "$MS_TOP/README.md"
	rm -f "$table"
fi
