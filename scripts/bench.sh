#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--smoke]: benchmark message_slot in one boot of Debian's 6.12
# cloud kernel, with the module built out of tree, against the system calls
# it competes with (message_slot_bench.c in the selftests says what it
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
set -eu
. "$(dirname "$0")/lib.sh"

case ${1:-} in
'') mode=full out=$MS_TOP/bench args='' counts="1 1024 65536 1048576" ;;
--smoke) mode=smoke out=$MS_CACHE/bench-smoke args=--smoke counts="1 1024" ;;
*) die "usage: bench.sh [--smoke]" ;;
esac
top=${counts##* }
configs="dense_128 random_128 dense_8 random_8"
base_ops="null_syscall read_zero write_null pipe_wr unix_wr mq_wr read_slot
write_slot wr_slot ioctl_read_slot"
ops="$base_ops write_watched pingpong_slot pingpong_pipe"
baseline_rev=${MS_BENCH_BASELINE:-29d4864}

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
run_logged bench-baseline-build make -C "/usr/src/linux-headers-$release" \
	M="$baseline_src/drivers/char/message_slot" CONFIG_MESSAGE_SLOT=m \
	KCPPFLAGS="-I$baseline_src/include" modules
baseline_ko=$baseline_src/drivers/char/message_slot/message_slot.ko
# TCG times depend on what else the host runs: say how busy it was.
load=$(cut -d ' ' -f 1 /proc/loadavg)
# TCG runs "rep movsb" one byte per step, which makes a 128-byte user
# copy cost more than a whole system call; on hardware that advertises
# ERMS it is the fastest copy there is. Without ERMS the kernel copies
# with "rep movsq", whose cost under TCG is closer to the hardware's.
# MS_CPU overrides the CPU model.
cpu=${MS_CPU:-max,la57=off,-erms}
MS_CPU=$cpu MS_SMP=4 MS_BENCH_ARGS=$args MS_BASELINE_MODULE=$baseline_ko \
	"$MS_TOP/scripts/vm-run.sh" "bench-$mode" \
	"/boot/vmlinuz-$release" bench "$ko"
log=$MS_CACHE/runs/bench-$mode/output.log

# fig[KEY]: the value of every "BENCH KEY VALUE [UNIT]" line.
declare -A fig
while read -r tag key value _; do
	[ "$tag" != BENCH ] || fig[$key]=$value
done <"$log"

expected="kernel cpus seed iters reps $ops"
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
missing=
for key in $expected; do
	[ -n "${fig[$key]:-}" ] || missing="$missing $key"
done
[ -z "$missing" ] || die "figures missing from $log:$missing"

# calc EXPR: EXPR evaluated in floating point, to two decimals.
calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# target WHAT VALUE LIMIT: a table row, with pass when VALUE <= LIMIT.
target() {
	verdict=$(awk "BEGIN { print (($2 <= $3) ? \"pass\" : \"**miss**\") }")
	echo "| $1 | $2 | ≤ $3 | $verdict |"
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

mem_cell() {
	echo "${fig[mem_$1_$2_slab]} / ${fig[mem_$1_$2_allin]}"
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
	echo "## Single operations (128-byte messages)"
	echo
	echo "| operation | ns/op | × null syscall |"
	echo "|---|---:|---:|"
	for op in $ops; do
		echo "| $op | ${fig[$op]} | $(ratio "$op" null_syscall) |"
	done
	echo
	echo "null_syscall is getppid(); read_zero reads 128 bytes of" \
		"/dev/zero and write_null writes them to /dev/null; pipe_wr," \
		"unix_wr (AF_UNIX datagram socketpair) and mq_wr (POSIX" \
		"message queue) write then read 128 bytes; the _slot" \
		"operations go through one open file of a slot with one" \
		"channel."
	echo
	echo "## Targets"
	echo
	echo "| figure | measured | target | verdict |"
	echo "|---|---:|---:|---|"
	target "slot read / /dev/zero read" \
		"$(ratio read_slot read_zero)" 1.25
	target "slot write / /dev/null write" \
		"$(ratio write_slot write_null)" 1.5
	fig[zero_null]=$(calc "${fig[read_zero]} + ${fig[write_null]}")
	target "slot write+read / (/dev/zero read + /dev/null write)" \
		"$(ratio wr_slot zero_null)" 1.35
	target "slot write+read / pipe write+read" \
		"$(ratio wr_slot pipe_wr)" 0.75
	# Against the earlier driver, each over the reference of its own
	# phase of the boot: a busy host can slow a whole phase down.
	fig[write_now]=$(ratio write_slot write_null)
	fig[write_before]=$(ratio base_write_slot base_write_null)
	fig[read_now]=$(ratio read_slot read_zero)
	fig[read_before]=$(ratio base_read_slot base_read_zero)
	target "slot write, nobody waiting, over /dev/null write: now / before poll()" \
		"$(ratio write_now write_before)" 1.05
	target "slot read, over /dev/zero read: now / before poll()" \
		"$(ratio read_now read_before)" 1.1
	target "slot write, 8 watchers of other channels / none" \
		"$(ratio write_watched write_slot)" 1.05
	target "poll() ping-pong, slot / pipe" \
		"$(ratio pingpong_slot pingpong_pipe)" 1.0
	for cfg in $configs; do
		what="ioctl+read, $(pow2 "$top") / 1 channel"
		many=scale_${cfg}_${top}_ns one=scale_${cfg}_1_ns
		target "$what, $(describe "$cfg")" "$(ratio "$many" "$one")" 1.5
	done
	for cfg in $configs; do
		limit=64
		[ "${cfg#*_}" != 128 ] || limit=160
		what="kernel bytes/channel all-in, $(pow2 "$top") channels"
		target "$what, $(describe "$cfg")" \
			"${fig[mem_${cfg}_${top}_allin]}" $limit
	done
	echo
	echo "## Before and after poll()"
	echo
	echo "The same boot timed the single operations first with the" \
		"driver of revision $baseline_rev, without poll(), write" \
		"counts or device nodes, then with this one."
	echo
	echo "| operation | before, ns/op | now, ns/op | now / before |"
	echo "|---|---:|---:|---:|"
	for op in read_slot write_slot wr_slot ioctl_read_slot; do
		echo "| $op | ${fig[base_$op]} | ${fig[$op]} |" \
			"$(ratio "$op" "base_$op") |"
	done
	echo
	echo "The references moved by: null_syscall" \
		"$(ratio null_syscall base_null_syscall), read_zero" \
		"$(ratio read_zero base_read_zero), write_null" \
		"$(ratio write_null base_write_null) (now / before): what" \
		"the host did to one phase of the run and not the other, which" \
		"is why the targets compare each operation with a reference of" \
		"its own phase (a run of this driver against itself moved the" \
		"references by up to 1.18, and the ratios over them by 1.04)."
	echo "write_watched writes a slot in which 8 other files watch" \
		"8 other channels (each polled once); pingpong_slot and" \
		"pingpong_pipe bounce a 128-byte message between two threads" \
		"that each wait in poll() for the other's message, through" \
		"two channels of a slot and through two pipes."
	echo
	echo "## Scaling: ioctl+read of a random existing channel, ns/op"
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

# Columns 3i+2, 3i+3 and 3i+4 are the ns/op, all-in and Slab figures of
# configuration i. Memory per channel at one channel is page noise: left
# out of the plot.
names="dense,128B random,128B dense,8B random,8B"
run_logged bench-gnuplot gnuplot <<EOF
set terminal pngcairo noenhanced size 1400,600
set output "$out/scaling.png"
set multiplot layout 1,2 title "message_slot, Linux ${fig[kernel]}, \
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
