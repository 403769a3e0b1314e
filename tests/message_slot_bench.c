// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the message_slot character device against the system calls
 * it competes with, all measured in the same boot so that their ratios
 * mean something.
 *
 *   - One channel, 128-byte messages: read, write, write+read and
 *     ioctl+read of a slot; as references a null system call, a read of
 *     /dev/zero, a write to /dev/null, and a write+read through a pipe, an
 *     AF_UNIX datagram socketpair and a POSIX message queue.
 *   - Scaling: 1, 2^10, 2^16 and 2^20 channels in one slot, with dense
 *     (1..N) or random 32-bit ids and 128- or 8-byte messages: ioctl+read
 *     of a random existing channel, and the kernel memory per channel, as
 *     Slab alone and all-in: the drop of free memory, so that vmalloc'd
 *     tables and everything else count.
 *   - Reader scaling: 1, 2 and 4 threads reading one channel, alone and
 *     with one more thread writing it all along.
 *   - Wake-ups: a write to a slot whose other channels have poll()
 *     watchers, and a ping-pong between two threads that wait for each
 *     other's messages in poll(), through a slot and through two pipes.
 *   - The slot against user space: what a program would do instead of
 *     the driver to keep a last value of 128 bytes, read, written and
 *     ping-ponged through its own wake-up: a seqlock in shared memory
 *     with a futex, a tmpfs file replaced by rename(2) with inotify, and
 *     a POSIX message queue of depth 1 (message_slot_lastvalue.c
 *     measures their properties).
 *
 * A figure in ns per operation is the best of several timed loops: the
 * fastest loop is the one least disturbed by interrupts and by the rest
 * of the machine, which is what comparing two operations needs.
 *
 * Output: one "BENCH key value [unit]" line per figure, which
 * scripts/bench.sh turns into tables, and comments starting with '#'.
 * Needs root (mknod, drop_caches) and the driver loaded.
 *
 * Options:
 *   --smoke    few iterations and at most 2^10 channels: proves that the
 *              benchmark runs, in seconds; its numbers mean nothing
 *   --seed N   seed of the random ids and lookups (default: the clock)
 *   --baseline only the single operations that a driver without poll()
 *              supports, with keys prefixed "base_": scripts/bench.sh runs
 *              them with an earlier driver, in the same boot as the rest
 *   --variant NAME
 *              the same, keys prefixed "NAME_", for a variant of the
 *              driver (scripts/bench-variants.sh): another channel store,
 *              or one without an annotation whose cost is measured; with
 *              --icount and without --single, also the sweep and its tails
 *   --icount   the clock counts instructions (QEMU -icount, one vCPU):
 *              only the single operations and the scaling sweep, also
 *              with --baseline, after the kernel has settled (see
 *              settle_kernel()); without --baseline, the sweep also
 *              measures the per-channel tails (see bench_tails())
 *   --single   only the single operations: scripts/bench.sh times them
 *              once more in a boot with hardened_usercopy=off, to measure
 *              what that check costs
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "msg_slot_common.h"
#include "msg_slot_extra.h"
#include "msg_slot_lastvalue.h"

/* Minors of this program only; no test uses them. */
#define MINOR_OPS		180U	/* single-channel operations */
#define MINOR_READERS		181U	/* reader scaling */
#define MINOR_SCALE		182U	/* first of the scaling slots */
#define MINOR_WATCHED		186U	/* a slot with idle watchers */
#define MINOR_PINGPONG		187U	/* the ping-pong through a slot */

#define MSG_LEN			MSG_SLOT_MAX_MSG_LEN
#define SMALL_MSG_LEN		8U
#define CHANNEL			1UL	/* of the single-channel measurements */
#define PONG_CHANNEL		2UL	/* the ping-pong's way back */
/* Files of the watched slot, each watching a channel not written. */
#define NR_IDLE_WATCHERS	8U

/* The scaling sweep: 2^shift channels, up to params.max_shift. */
static const unsigned int scale_shifts[] = { 0, 10, 16, 20 };
#define MAX_SHIFT		20U
#define SMOKE_MAX_SHIFT		10U

/* Settling the kernel after boot under -icount: see settle_kernel(). */
#define SETTLED_LOOPS		20U
#define SETTLED_GAIN		0.002
#define SETTLE_MAX_NS		(60 * NSEC_PER_SEC)

/* A warm-up loop, untimed, of this fraction of a timed one. */
#define WARMUP_DIVISOR		4UL

/*
 * Fewer operations per loop for the slowest: a tmpfs write (a new inode
 * each time) takes some 30,000 instructions, 90 null system calls, and a
 * round trip through two of them and inotify, under TCG, milliseconds.
 */
#define TMPFS_WRITE_DIVISOR	4U
#define TMPFS_PINGPONG_DIVISOR	20U

/* Reader scaling: up to this many readers, doubling from one. */
#define MAX_READERS		4U

#define MQ_NAME			"/message_slot_bench"
#define MQ_LV_NAME		"/message_slot_bench_lv"

struct bench_params {
	const char *mode;
	unsigned long iters;	/* operations per timed loop */
	unsigned int reps;	/* timed loops; the fastest counts */
	unsigned int max_shift;	/* at most 2^max_shift channels */
	unsigned int reader_ms;	/* length of one reader scaling run */
	unsigned int reader_reps;
};

/*
 * Many short loops rather than a few long ones: on a busy host, the more
 * loops, the likelier one of them runs undisturbed.
 */
static const struct bench_params full_params = {
	.mode = "full",
	.iters = 20000,
	.reps = 21,
	.max_shift = MAX_SHIFT,
	.reader_ms = 500,
	.reader_reps = 3,
};

static const struct bench_params smoke_params = {
	.mode = "smoke",
	.iters = 1000,
	.reps = 2,
	.max_shift = SMOKE_MAX_SHIFT,
	.reader_ms = 20,
	.reader_reps = 1,
};

static struct bench_params params;
static struct msg_slot_env env;

static unsigned char msg[MSG_LEN];
static unsigned char buf[MSG_LEN];

/* Descriptors of the single-operation loops. */
static int slot_fd, zero_fd, null_fd, pipe_fds[2], unix_fds[2];
static mqd_t mq;
static int watched_fd, idle_watcher_fds[NR_IDLE_WATCHERS];

/*
 * The ping-pongs: ping[1] carries the main thread's message to the echo
 * thread, which waits in poll() for it on ping[0]; pong[] the echo back.
 * For a slot, [0] and [1] are two files of the same channel.
 */
struct pingpong {
	int ping[2];
	int pong[2];
	size_t len;
};

static struct pingpong slot_pingpong, pipe_pingpong;
/* The prefix of every key: "base_" with --baseline, "NAME_" with --variant. */
static const char *key_prefix = "";
/* Whether this is the earlier driver of --baseline. */
static bool baseline;
/* Whether the clock counts instructions: see --icount. */
static bool icount;
static bool single_only;

/*
 * The slot and the random channel ids of the scaling lookup loop. Every
 * loop takes fresh ids, so that no loop finds the channels of the one
 * before in the caches: nr_lookups() of them cover the warm-up and all
 * the timed loops.
 */
static int scale_fd;
static unsigned int scale_len;
static uint32_t *lookups;
static unsigned long next_lookup;

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("message_slot_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	msg_slot_env_cleanup(&env);
	exit(1);
}

/* Every transfer of the benchmark moves exactly @len bytes. */
static void must_io(ssize_t ret, size_t len, const char *what)
{
	if (ret < 0)
		die("%s: %s", what, strerror(errno));
	if ((size_t)ret != len)
		die("%s: %zd bytes instead of %zu", what, ret, len);
}

static void must_set_channel(int fd, unsigned long id)
{
	if (msg_slot_set_channel(fd, id))
		die("ioctl(MSG_SLOT_CHANNEL, %lu): %s", id, strerror(errno));
}

static int must_open_slot(unsigned int minor)
{
	int fd = msg_slot_open(&env, minor, O_RDWR);

	if (fd < 0)
		die("open slot %u: %s", minor, strerror(errno));
	return fd;
}

static void report(const char *key, double value, const char *unit)
{
	printf("BENCH %s%s %.1f %s\n", key_prefix, key, value, unit);
}

/* ---- Single operations ---------------------------------------------- */

static void loop_null_syscall(unsigned long n)
{
	/* getppid() has no side effect and glibc does not cache it. */
	while (n--)
		syscall(SYS_getppid);
}

static void loop_read_zero(unsigned long n)
{
	while (n--)
		must_io(read(zero_fd, buf, MSG_LEN), MSG_LEN, "read /dev/zero");
}

static void loop_write_null(unsigned long n)
{
	while (n--)
		must_io(write(null_fd, msg, MSG_LEN), MSG_LEN,
			"write /dev/null");
}

static void loop_pipe(unsigned long n)
{
	while (n--) {
		must_io(write(pipe_fds[1], msg, MSG_LEN), MSG_LEN,
			"pipe write");
		must_io(read(pipe_fds[0], buf, MSG_LEN), MSG_LEN, "pipe read");
	}
}

static void loop_unix(unsigned long n)
{
	while (n--) {
		must_io(write(unix_fds[0], msg, MSG_LEN), MSG_LEN,
			"socket write");
		must_io(read(unix_fds[1], buf, MSG_LEN), MSG_LEN,
			"socket read");
	}
}

static void loop_mq(unsigned long n)
{
	while (n--) {
		if (mq_send(mq, (const char *)msg, MSG_LEN, 0))
			die("mq_send: %s", strerror(errno));
		must_io(mq_receive(mq, (char *)buf, MSG_LEN, NULL), MSG_LEN,
			"mq_receive");
	}
}

static void loop_read_slot(unsigned long n)
{
	while (n--)
		must_io(read(slot_fd, buf, MSG_LEN), MSG_LEN, "slot read");
}

static void loop_write_slot(unsigned long n)
{
	while (n--)
		must_io(write(slot_fd, msg, MSG_LEN), MSG_LEN, "slot write");
}

static void loop_write_read_slot(unsigned long n)
{
	while (n--) {
		must_io(write(slot_fd, msg, MSG_LEN), MSG_LEN, "slot write");
		must_io(read(slot_fd, buf, MSG_LEN), MSG_LEN, "slot read");
	}
}

static void loop_ioctl_read_slot(unsigned long n)
{
	while (n--) {
		must_set_channel(slot_fd, CHANNEL);
		must_io(read(slot_fd, buf, MSG_LEN), MSG_LEN, "slot read");
	}
}

static void loop_write_watched(unsigned long n)
{
	while (n--)
		must_io(write(watched_fd, msg, MSG_LEN), MSG_LEN,
			"watched slot write");
}

/* ---- The slot against user space ---------------------------------- */

/*
 * The three ways user space keeps a last value of its own, the code of
 * msg_slot_lastvalue.h, whose promises message_slot_lastvalue.c measures
 * (a killed writer, a reader that may only read, memory per value).
 */

/*
 * A new queue of depth 1, unlinked at once: a non-blocking descriptor,
 * and a blocking one in @reader unless it is NULL. O_NONBLOCK belongs to
 * the open queue, not to the descriptor: two opens, not dup().
 */
static mqd_t open_mq_value(mqd_t *reader)
{
	mqd_t q;

	mq_unlink(MQ_LV_NAME);
	q = lv_mq_open(MQ_LV_NAME, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (q != (mqd_t)-1 && reader)
		*reader = mq_open(MQ_LV_NAME, O_RDONLY | O_CLOEXEC);
	if (q == (mqd_t)-1 || (reader && *reader == (mqd_t)-1))
		die("mq_open: %s", strerror(errno));
	mq_unlink(MQ_LV_NAME);
	return q;
}

/* The single operations' values, each holding a message. */
static struct lv_shm *shm_value;
static struct lv_file file_value;
static mqd_t lv_mq;

static void loop_read_shm(unsigned long n)
{
	while (n--)
		lv_shm_read(shm_value, buf, 0);
}

static void loop_write_shm(unsigned long n)
{
	while (n--)
		lv_shm_write(shm_value, msg);
}

static void loop_read_tmpfs(unsigned long n)
{
	while (n--)
		must_io(lv_file_read(&file_value, buf), MSG_LEN, "tmpfs read");
}

static void loop_write_tmpfs(unsigned long n)
{
	while (n--)
		if (lv_file_write(&file_value, msg))
			die("tmpfs write: %s", strerror(errno));
}

static void loop_read_mq(unsigned long n)
{
	while (n--)
		must_io(lv_mq_read(lv_mq, buf), MSG_LEN, "mq read");
}

static void loop_write_mq(unsigned long n)
{
	while (n--)
		if (lv_mq_write(lv_mq, msg))
			die("mq write: %s", strerror(errno));
}

/*
 * The ping-pongs of the user-space mechanisms, each through its own
 * wake-up, [0] the main thread's message to the echo thread, [1] the
 * echo back. Each value has one writer thread.
 */
static struct lv_shm *shm_pingpong;
static uint32_t shm_pong_seen;
static struct lv_file file_pingpong[2];
/* inotify descriptors watching the directories of file_pingpong[]. */
static int file_pingpong_watch[2];
/* [i][0] receives, blocking; [i][1] writes, not blocking. */
static mqd_t mq_pingpong[2][2];

static void *shm_echo_main(void *arg)
{
	unsigned char echo[MSG_LEN], in[MSG_LEN];
	uint32_t seen = 0;

	(void)arg;
	memset(echo, 'e', sizeof(echo));
	for (;;) {
		lv_shm_wait(&shm_pingpong[0], seen);
		seen = lv_shm_read(&shm_pingpong[0], in, 0);
		lv_shm_write(&shm_pingpong[1], echo);
	}
	return NULL;
}

static void loop_pingpong_shm(unsigned long n)
{
	while (n--) {
		lv_shm_write(&shm_pingpong[0], msg);
		lv_shm_wait(&shm_pingpong[1], shm_pong_seen);
		shm_pong_seen = lv_shm_read(&shm_pingpong[1], buf, 0);
	}
}

/*
 * Wait for the rename of a new value into the directory @watch watches:
 * a blocking read of the inotify descriptor is the wait, no poll()
 * needed. Each rename is one event (their cookies differ), so one read
 * takes exactly the one that woke it.
 */
static void wait_renamed(int watch)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(watch, events, sizeof(events)) <= 0)
		if (errno != EINTR)
			die("inotify read: %s", strerror(errno));
}

static void *file_echo_main(void *arg)
{
	unsigned char echo[MSG_LEN], in[MSG_LEN];

	(void)arg;
	memset(echo, 'e', sizeof(echo));
	for (;;) {
		wait_renamed(file_pingpong_watch[0]);
		must_io(lv_file_read(&file_pingpong[0], in), MSG_LEN,
			"echo tmpfs read");
		if (lv_file_write(&file_pingpong[1], echo))
			die("echo tmpfs write: %s", strerror(errno));
	}
	return NULL;
}

static void loop_pingpong_tmpfs(unsigned long n)
{
	while (n--) {
		if (lv_file_write(&file_pingpong[0], msg))
			die("tmpfs write: %s", strerror(errno));
		wait_renamed(file_pingpong_watch[1]);
		must_io(lv_file_read(&file_pingpong[1], buf), MSG_LEN,
			"tmpfs read");
	}
}

/*
 * A queue wakes its reader only by handing it the message: a reader
 * that sent the value back for others (lv_mq_read()) would find it there
 * again at once. So the ping-pong's readers take the value for good, in
 * a blocking receive: the queue's own wake-up, and what a single
 * consumer does. The writers still drop before they send, as a last
 * value's writer must, not knowing whether anyone took the old one.
 */
static void *mq_echo_main(void *arg)
{
	unsigned char echo[MSG_LEN];
	char in[MSG_LEN];

	(void)arg;
	memset(echo, 'e', sizeof(echo));
	for (;;) {
		must_io(mq_receive(mq_pingpong[0][0], in, MSG_LEN, NULL),
			MSG_LEN, "echo mq receive");
		if (lv_mq_write(mq_pingpong[1][1], echo))
			die("echo mq write: %s", strerror(errno));
	}
	return NULL;
}

static void loop_pingpong_mq(unsigned long n)
{
	while (n--) {
		if (lv_mq_write(mq_pingpong[0][1], msg))
			die("mq write: %s", strerror(errno));
		must_io(mq_receive(mq_pingpong[1][0], (char *)buf, MSG_LEN,
				   NULL), MSG_LEN, "mq receive");
	}
}

/* Wait until @fd is readable, then read @len bytes from it. */
static void wait_and_read(int fd, size_t len, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (poll(&pfd, 1, -1) != 1) {
		if (errno != EINTR)
			die("poll %s: %s", what, strerror(errno));
	}
	must_io(read(fd, buf, len), len, what);
}

/* Send a message back for every one that arrives, forever. */
static void *echo_main(void *arg)
{
	const struct pingpong *pp = arg;
	unsigned char echo[MSG_LEN];

	memset(echo, 'e', sizeof(echo));
	for (;;) {
		wait_and_read(pp->ping[0], pp->len, "echo read");
		must_io(write(pp->pong[1], echo, pp->len), pp->len,
			"echo write");
	}
	return NULL;
}

static void loop_pingpong(const struct pingpong *pp, unsigned long n)
{
	while (n--) {
		must_io(write(pp->ping[1], msg, pp->len), pp->len,
			"ping write");
		wait_and_read(pp->pong[0], pp->len, "pong read");
	}
}

static void loop_pingpong_slot(unsigned long n)
{
	loop_pingpong(&slot_pingpong, n);
}

static void loop_pingpong_pipe(unsigned long n)
{
	loop_pingpong(&pipe_pingpong, n);
}

/* ioctl+read of the next @n channels of lookups[]. */
static void loop_lookup(unsigned long n)
{
	const uint32_t *id = &lookups[next_lookup];

	next_lookup += n;
	while (n--) {
		must_set_channel(scale_fd, *id++);
		must_io(read(scale_fd, buf, MSG_LEN), scale_len, "slot read");
	}
}

static size_t nr_lookups(void)
{
	return params.iters / WARMUP_DIVISOR + params.iters * params.reps;
}

/*
 * Time one loop of @n operations of @loop, keeping the best ns per
 * operation in @best.
 */
static void time_loop(void (*loop)(unsigned long n), unsigned long n,
		      double *best)
{
	uint64_t start = now_ns();
	double ns;

	loop(n);
	ns = (double)(now_ns() - start) / n;
	if (ns < *best)
		*best = ns;
}

/* The best ns per operation of params.reps timed loops of @loop. */
static double best_ns_per_op(void (*loop)(unsigned long n))
{
	double best = DBL_MAX;
	unsigned int rep;

	loop(params.iters / WARMUP_DIVISOR);
	for (rep = 0; rep < params.reps; rep++)
		time_loop(loop, params.iters, &best);
	return best;
}

struct bench_op {
	const char *key;
	const char *what;
	void (*loop)(unsigned long n);
	/*
	 * Not run with --baseline: needs poll(), which the earlier driver
	 * lacks, or does not involve the driver at all.
	 */
	bool no_baseline;
	/*
	 * Operations per loop are params.iters divided by this, if set: an
	 * operation a hundred times slower than a system call gets a loop
	 * of a reasonable time, not minutes under TCG.
	 */
	unsigned int iters_divisor;
};

static unsigned long op_iters(const struct bench_op *op)
{
	return params.iters / (op->iters_divisor ? op->iters_divisor : 1);
}

static const struct bench_op ops[] = {
	{ "null_syscall", "getppid()", loop_null_syscall },
	{ "read_zero", "read 128 B of /dev/zero", loop_read_zero },
	{ "write_null", "write 128 B to /dev/null", loop_write_null },
	{ "pipe_wr", "pipe write+read", loop_pipe },
	{ "unix_wr", "AF_UNIX datagram socketpair write+read", loop_unix },
	{ "mq_wr", "POSIX mqueue send+receive", loop_mq },
	{ "read_slot", "slot read", loop_read_slot },
	{ "write_slot", "slot write", loop_write_slot },
	{ "wr_slot", "slot write+read", loop_write_read_slot },
	{ "ioctl_read_slot", "slot ioctl+read", loop_ioctl_read_slot },
	{ "write_watched", "slot write, other channels watched",
	  loop_write_watched, true },
	{ "read_shm", "shm seqlock read", loop_read_shm, true },
	{ "write_shm", "shm seqlock write, nobody waiting", loop_write_shm,
	  true },
	{ "read_tmpfs", "tmpfs open+read+close", loop_read_tmpfs, true },
	{ "write_tmpfs", "tmpfs temporary file, rename over the value",
	  loop_write_tmpfs, true, TMPFS_WRITE_DIVISOR },
	{ "read_mq", "mqueue of depth 1: receive, send back", loop_read_mq,
	  true },
	{ "write_mq", "mqueue of depth 1: drop, send", loop_write_mq, true },
};

/*
 * Timed apart, after the single operations and the scaling sweep: their
 * threads make glibc's read() and write() take the slower path of a
 * multi-threaded process (cancellation points) for good.
 */
static const struct bench_op pingpong_ops[] = {
	{ "pingpong_slot", "slot write, poll()+read of the reply",
	  loop_pingpong_slot, true },
	{ "pingpong_pipe", "pipe write, poll()+read of the reply",
	  loop_pingpong_pipe, true },
	{ "pingpong_shm", "shm seqlock write, futex wait+read of the reply",
	  loop_pingpong_shm, true },
	{ "pingpong_tmpfs", "tmpfs rename, inotify wait+read of the reply",
	  loop_pingpong_tmpfs, true, TMPFS_PINGPONG_DIVISOR },
	{ "pingpong_mq", "mqueue drop+send, blocking receive of the reply",
	  loop_pingpong_mq, true },
};

static bool run_op(const struct bench_op *op)
{
	return !op->no_baseline || !*key_prefix;
}

/* A slot file on @channel of @minor. */
static int must_open_channel(unsigned int minor, unsigned long channel)
{
	int fd = must_open_slot(minor);

	must_set_channel(fd, channel);
	return fd;
}

/*
 * A slot whose files watch channels nobody writes: a poll() registers a
 * file as the watcher of its channel, and it stays one until it closes.
 */
static void open_watched_slot(void)
{
	struct pollfd pfd = { .events = POLLIN };
	unsigned int i;

	watched_fd = must_open_channel(MINOR_WATCHED, CHANNEL);
	for (i = 0; i < NR_IDLE_WATCHERS; i++) {
		pfd.fd = must_open_channel(MINOR_WATCHED, CHANNEL + 1 + i);
		if (poll(&pfd, 1, 0))
			die("idle watcher %u is readable", i);
		idle_watcher_fds[i] = pfd.fd;
	}
}

static void start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t thread;
	int err;

	err = pthread_create(&thread, NULL, fn, arg);
	if (err)
		die("pthread_create: %s", strerror(err));
	pthread_detach(thread);
}

static void start_echo(struct pingpong *pp)
{
	start_thread(echo_main, pp);
}

/*
 * The value "value" in a directory @dir of its own under the nodes'
 * tmpfs (see msg_slot_env_init()), which goes away with it; the
 * directory's path in @path.
 */
static void open_file_value(struct lv_file *f, const char *dir,
			    char path[128])
{
	snprintf(path, 128, "%s/%s", env.dir, dir);
	lv_file_open(f, path);
	if (lv_file_write(f, msg))
		die("tmpfs write: %s", strerror(errno));
}

/* The values of the single operations, each holding a message. */
static void open_lastvalue(void)
{
	char path[128];

	shm_value = lv_shm_map("message_slot_bench", 1, MAP_POPULATE);
	lv_shm_write(shm_value, msg);
	open_file_value(&file_value, "lv", path);
	lv_mq = open_mq_value(NULL);
	if (lv_mq_write(lv_mq, msg))
		die("mq write: %s", strerror(errno));
}

static void open_lastvalue_pingpongs(void)
{
	char path[128];
	unsigned int i;

	shm_pingpong = lv_shm_map("message_slot_bench", 2, MAP_POPULATE);
	start_thread(shm_echo_main, NULL);

	for (i = 0; i < 2; i++) {
		open_file_value(&file_pingpong[i], i ? "lv_pong" : "lv_ping",
				path);
		/* Only a complete value, renamed in, is news. */
		file_pingpong_watch[i] = inotify_init1(IN_CLOEXEC);
		if (file_pingpong_watch[i] < 0 ||
		    inotify_add_watch(file_pingpong_watch[i], path,
				      IN_MOVED_TO) < 0)
			die("inotify %s: %s", path, strerror(errno));
	}
	start_thread(file_echo_main, NULL);

	for (i = 0; i < 2; i++)
		mq_pingpong[i][1] = open_mq_value(&mq_pingpong[i][0]);
	start_thread(mq_echo_main, NULL);
}

/* The two ping-pongs, each with its echo thread. */
static void open_pingpongs(void)
{
	struct pingpong *pp = &slot_pingpong;

	pp->len = MSG_LEN;
	pp->ping[0] = must_open_channel(MINOR_PINGPONG, CHANNEL);
	pp->ping[1] = must_open_channel(MINOR_PINGPONG, CHANNEL);
	pp->pong[0] = must_open_channel(MINOR_PINGPONG, PONG_CHANNEL);
	pp->pong[1] = must_open_channel(MINOR_PINGPONG, PONG_CHANNEL);
	start_echo(pp);

	pp = &pipe_pingpong;
	pp->len = MSG_LEN;
	if (pipe2(pp->ping, O_CLOEXEC) || pipe2(pp->pong, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	start_echo(pp);

	open_lastvalue_pingpongs();
}

static void open_references(void)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = MSG_LEN };

	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (zero_fd < 0 || null_fd < 0)
		die("open /dev/zero or /dev/null: %s", strerror(errno));
	if (pipe2(pipe_fds, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	/* Datagrams: like a slot, the socket keeps message boundaries. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, unix_fds))
		die("socketpair: %s", strerror(errno));
	mq_unlink(MQ_NAME);
	mq = mq_open(MQ_NAME, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
		     &attr);
	if (mq == (mqd_t)-1)
		die("mq_open: %s", strerror(errno));
	mq_unlink(MQ_NAME);
}

/*
 * The best ns per operation of each of the @nr operations @table, timed
 * in turns, so that a busy spell of the machine slows down one loop of
 * every operation rather than all the loops of one: the ratios between
 * operations are what the benchmark is for.
 */
static void time_ops(const struct bench_op *table, unsigned int nr,
		     const char *title)
{
	double best[ARRAY_SIZE(ops)];	/* ops is the longest table */
	unsigned int i, rep;

	for (i = 0; i < nr; i++) {
		if (run_op(&table[i]))
			table[i].loop(op_iters(&table[i]) / WARMUP_DIVISOR);
		best[i] = DBL_MAX;
	}
	for (rep = 0; rep < params.reps; rep++)
		for (i = 0; i < nr; i++)
			if (run_op(&table[i]))
				time_loop(table[i].loop, op_iters(&table[i]),
					  &best[i]);

	printf("# %s, 128-byte messages, ns/op\n", title);
	for (i = 0; i < nr; i++) {
		if (!run_op(&table[i]))
			continue;
		printf("# %s\n", table[i].what);
		report(table[i].key, best[i], "ns/op");
	}
}

static void bench_ops(void)
{
	open_references();
	slot_fd = must_open_channel(MINOR_OPS, CHANNEL);
	must_io(write(slot_fd, msg, MSG_LEN), MSG_LEN, "slot write");
	if (!*key_prefix) {
		open_watched_slot();
		open_lastvalue();
	}
	time_ops(ops, ARRAY_SIZE(ops), "single operations");
	close(slot_fd);
}

static void bench_pingpongs(void)
{
	open_pingpongs();
	time_ops(pingpong_ops, ARRAY_SIZE(pingpong_ops), "ping-pongs");
}

/* ---- Scaling -------------------------------------------------------- */

/* Memory allocated and touched now, so that it is not counted later. */
static void *alloc_populated(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", size, strerror(errno));
	return p;
}

struct scale_cfg {
	const char *ids;	/* "dense" or "random" */
	unsigned int len;	/* message length */
};

static const struct scale_cfg scale_cfgs[] = {
	{ "dense", MSG_LEN },
	{ "random", MSG_LEN },
	{ "dense", SMALL_MSG_LEN },
	{ "random", SMALL_MSG_LEN },
};

/* Dense ids are 1..n; random ones distinct, non-zero and seeded. */
static void make_ids(uint32_t *ids, unsigned long n, bool random,
		     uint64_t seed)
{
	uint32_t salt = seed ^ (seed >> 32);
	uint32_t k = 0;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!random) {
			ids[i] = i + 1;
			continue;
		}
		/* One input maps to 0, which is not a channel id. */
		do
			ids[i] = msg_slot_mix32(++k ^ salt);
		while (!ids[i]);
	}
}

/* ---- Per-channel tails (instruction lens) --------------------------- */

/*
 * At each channel count of the sweep, --icount also times channels one by
 * one: the read of each of TAIL_SAMPLES channels (best of TAIL_REPS loops
 * of TAIL_READS reads), the read of as many absent channels, the write
 * that created each of the last TAIL_SAMPLES channels, and as many
 * overwrites of existing channels, each an ioctl+write timed alone. The
 * median, p99 and max of each show what an average hides: the channels at
 * the end of long probe chains, and the writes that grow the table or
 * pay for what a growth left behind.
 */
#define TAIL_SAMPLES		4096U
#define TAIL_READS		20U
#define TAIL_REPS		3U
#define TAIL_PERCENTILE		99U

/* What a now_ns() pair costs with nothing between: taken off one write. */
static double clock_pair_ns;
/* Cost of each write that created one of the last channels of a fill. */
static double *create_ns;
static unsigned int nr_created;
/*
 * Every write that created a channel of a fill, in order, the ioctl
 * included: the target bounds the costliest against the median
 * overwrite, TAIL_TARGET times it.
 */
static double *all_create_ns;
static unsigned long nr_all_created;
#define TAIL_TARGET		64U
/* Slabs the kmalloc cache of the message buffers gained during them. */
static long created_slabs;
static double *tail_ns;

static void measure_clock_pair(void)
{
	unsigned int i;
	uint64_t start;
	double ns;

	clock_pair_ns = DBL_MAX;
	for (i = 0; i < TAIL_SAMPLES; i++) {
		start = now_ns();
		ns = now_ns() - start;
		if (ns < clock_pair_ns)
			clock_pair_ns = ns;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Report KEY_med, KEY_p99 and KEY_max of the @n figures of @ns. */
static void report_tail(const char *key, double *ns, unsigned int n)
{
	char name[80];

	qsort(ns, n, sizeof(*ns), cmp_double);
	snprintf(name, sizeof(name), "%s_med", key);
	report(name, ns[(n - 1) / 2], "ns/op");
	/* The nearest-rank percentile: the smallest value above 99% of them. */
	snprintf(name, sizeof(name), "%s_p99", key);
	report(name, ns[(n * TAIL_PERCENTILE + 99) / 100 - 1], "ns/op");
	snprintf(name, sizeof(name), "%s_max", key);
	report(name, ns[n - 1], "ns/op");
}

/*
 * The best ns per read of channel @id of the scaling slot, which holds a
 * message of @len bytes, or none (EWOULDBLOCK) when @len is 0.
 */
static double channel_read_ns(uint32_t id, unsigned int len)
{
	double best = DBL_MAX, ns;
	unsigned int rep, i;
	uint64_t start;
	ssize_t ret;

	must_set_channel(scale_fd, id);
	for (rep = 0; rep < TAIL_REPS; rep++) {
		start = now_ns();
		for (i = 0; i < TAIL_READS; i++) {
			ret = read(scale_fd, buf, MSG_LEN);
			if (len)
				must_io(ret, len, "slot read");
			else if (ret != -1 || errno != EWOULDBLOCK)
				die("read of absent channel %u: %zd, %s", id,
				    ret, strerror(errno));
		}
		ns = (double)(now_ns() - start) / TAIL_READS;
		if (ns < best)
			best = ns;
	}
	return best;
}

/*
 * The cost of an ioctl+write that replaces the message of existing channel
 * @id of the scaling slot with one of the same length, @len bytes.
 */
static double channel_overwrite_ns(uint32_t id, unsigned int len)
{
	uint64_t start = now_ns();

	must_set_channel(scale_fd, id);
	must_io(write(scale_fd, msg, len), len, "slot overwrite");
	return now_ns() - start - clock_pair_ns;
}

/* Report @value as figure @what of the first writes of a fill to @n. */
static void report_create(const struct scale_cfg *cfg, unsigned long n,
			  const char *what, double value, const char *unit)
{
	char key[64];

	snprintf(key, sizeof(key), "tail_%s_%u_%lu_create_%s", cfg->ids,
		 cfg->len, n, what);
	report(key, value, unit);
}

/*
 * Every write that created a channel since the count before @n: the
 * costliest, the count of channels before it, and how many cost more
 * than TAIL_TARGET times @overwrite_med, the median overwrite at @n.
 */
static void bench_all_creates(const struct scale_cfg *cfg, unsigned long n,
			      double overwrite_med)
{
	unsigned long i, at = 0, over = 0;
	double max = 0;

	for (i = 0; i < nr_all_created; i++) {
		over += all_create_ns[i] > TAIL_TARGET * overwrite_med;
		if (all_create_ns[i] > max) {
			max = all_create_ns[i];
			at = n - nr_all_created + i;
		}
	}
	report_create(cfg, n, "allmax", max, "ns/op");
	report_create(cfg, n, "allmax_at", at, "channels");
	report_create(cfg, n, "over64", over, "writes");
	report_create(cfg, n, "all", nr_all_created, "writes");
}

/*
 * The tails at @n channels: reads of existing channels ids[0..n-1] (all of
 * them, or TAIL_SAMPLES drawn from @rng), reads of the absent channels
 * @absent, the writes that created the last channels, and overwrites of
 * TAIL_SAMPLES channels drawn from @rng.
 */
static void bench_tails(const struct scale_cfg *cfg, unsigned long n,
			const uint32_t *ids, const uint32_t *absent,
			uint64_t *rng)
{
	unsigned int i, samples = n < TAIL_SAMPLES ? n : TAIL_SAMPLES;
	unsigned int nr_over = 0;
	double med_read;
	char key[64];

	for (i = 0; i < samples; i++)
		tail_ns[i] = channel_read_ns(samples == n ? ids[i] :
					     ids[rng_below(rng, n)], scale_len);
	snprintf(key, sizeof(key), "tail_%s_%u_%lu_read", cfg->ids, cfg->len, n);
	report_tail(key, tail_ns, samples);
	med_read = tail_ns[(samples - 1) / 2];

	for (i = 0; i < TAIL_SAMPLES; i++)
		tail_ns[i] = channel_read_ns(absent[i], 0);
	snprintf(key, sizeof(key), "tail_%s_%u_%lu_absent", cfg->ids, cfg->len,
		 n);
	report_tail(key, tail_ns, TAIL_SAMPLES);

	snprintf(key, sizeof(key), "tail_%s_%u_%lu_create", cfg->ids, cfg->len,
		 n);
	report_tail(key, create_ns, nr_created);

	for (i = 0; i < TAIL_SAMPLES; i++)
		tail_ns[i] = channel_overwrite_ns(ids[rng_below(rng, n)],
						  scale_len);
	snprintf(key, sizeof(key), "tail_%s_%u_%lu_overwrite", cfg->ids,
		 cfg->len, n);
	report_tail(key, tail_ns, TAIL_SAMPLES);
	bench_all_creates(cfg, n, tail_ns[(TAIL_SAMPLES - 1) / 2]);

	/*
	 * The first writes that cost more than 4 reads: how many there are
	 * against how many slabs of message buffers they allocated.
	 */
	for (i = 0; i < nr_created; i++)
		nr_over += create_ns[i] > 4 * med_read;
	report_create(cfg, n, "n", nr_created, "writes");
	report_create(cfg, n, "over4", nr_over, "writes");
	report_create(cfg, n, "slabs", created_slabs, "slabs");
}

/*
 * Slabs of the kmalloc cache that the driver takes the @len-byte message
 * buffers from (charged to memory cgroups, hence "-cg"), or -1 if the
 * kernel does not say. A write that finds the cache's free objects used
 * up allocates a new slab, and pays for the pages.
 */
static long buffer_slabs(unsigned int len)
{
	unsigned int size = SMALL_MSG_LEN;
	char path[64];
	long slabs;
	FILE *f;

	while (size < len)
		size *= 2;
	snprintf(path, sizeof(path), "/sys/kernel/slab/kmalloc-cg-%u/slabs",
		 size);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &slabs) != 1)
		slabs = -1;
	fclose(f);
	return slabs;
}

/*
 * Create channels ids[from..to-1], each with a message of @len bytes, and
 * with --icount time the writes that create the last TAIL_SAMPLES of them
 * and count the slabs of message buffers they allocate; time the others
 * too, for the costliest of them all.
 */
static void fill_channels(int fd, const uint32_t *ids, unsigned long from,
			  unsigned long to, unsigned int len)
{
	long slabs_before = -1, slabs_after;
	bool timed;
	uint64_t start;
	unsigned long i;
	double ns;

	nr_created = 0;
	nr_all_created = 0;
	for (i = from; i < to; i++) {
		timed = create_ns && to - i <= TAIL_SAMPLES;
		if (timed && !nr_created)
			slabs_before = buffer_slabs(len);
		start = create_ns ? now_ns() : 0;
		must_set_channel(fd, ids[i]);
		must_io(write(fd, msg, len), len, "slot write");
		if (!create_ns)
			continue;
		ns = now_ns() - start - clock_pair_ns;
		all_create_ns[nr_all_created++] = ns;
		if (timed)
			create_ns[nr_created++] = ns;
	}
	slabs_after = nr_created ? buffer_slabs(len) : -1;
	created_slabs = slabs_before >= 0 && slabs_after >= 0 ?
			slabs_after - slabs_before : -1;
}

static void bench_scale_cfg(unsigned int c, uint32_t *ids, uint64_t seed)
{
	const struct scale_cfg *cfg = &scale_cfgs[c];
	unsigned long max = 1UL << params.max_shift;
	unsigned long n, filled = 0, i;
	struct meminfo base, now;
	uint64_t rng = seed + c, tail_rng = ~seed + c;
	unsigned int s, rounds;
	char key[64];

	scale_fd = must_open_slot(MINOR_SCALE + c);
	scale_len = cfg->len;
	/* The ids past max are never written: absent channels for the tails. */
	make_ids(ids, max + TAIL_SAMPLES, !strcmp(cfg->ids, "random"), seed);
	rounds = settle(&base);
	printf("# %s ids, %u-byte messages: baseline settled in %u rounds\n",
	       cfg->ids, cfg->len, rounds);

	for (s = 0; s < ARRAY_SIZE(scale_shifts); s++) {
		if (scale_shifts[s] > params.max_shift)
			break;
		n = 1UL << scale_shifts[s];
		fill_channels(scale_fd, ids, filled, n, cfg->len);
		filled = n;

		rounds = settle(&now);
		printf("# %lu channels: settled in %u rounds\n", n, rounds);
		snprintf(key, sizeof(key), "mem_%s_%u_%lu_slab", cfg->ids,
			 cfg->len, n);
		report(key, (now.slab_kb - base.slab_kb) * 1024.0 / n,
		       "B/channel");
		snprintf(key, sizeof(key), "mem_%s_%u_%lu_allin", cfg->ids,
			 cfg->len, n);
		report(key, (base.free_kb - now.free_kb) * 1024.0 / n,
		       "B/channel");
		printf("# MemFree alone: %.1f B/channel\n",
		       (base.memfree_kb - now.memfree_kb) * 1024.0 / n);

		/* Draw the channels outside the timed loops. */
		for (i = 0; i < nr_lookups(); i++)
			lookups[i] = ids[rng_below(&rng, n)];
		next_lookup = 0;
		snprintf(key, sizeof(key), "scale_%s_%u_%lu_ns", cfg->ids,
			 cfg->len, n);
		report(key, best_ns_per_op(loop_lookup), "ns/op");

		if (create_ns)
			bench_tails(cfg, n, ids, ids + max, &tail_rng);
	}
	/* The memory stays with the slot until rmmod; later slots add up. */
	close(scale_fd);
}

static void bench_scaling(uint64_t seed)
{
	size_t nr_ids = (1UL << params.max_shift) + TAIL_SAMPLES;
	size_t tail_size = TAIL_SAMPLES * sizeof(double);
	bool tails = icount && !baseline;
	uint32_t *ids;
	unsigned int c;

	ids = alloc_populated(nr_ids * sizeof(*ids));
	lookups = alloc_populated(nr_lookups() * sizeof(*lookups));
	if (tails) {
		measure_clock_pair();
		create_ns = alloc_populated(tail_size);
		tail_ns = alloc_populated(tail_size);
		all_create_ns = alloc_populated(nr_ids * sizeof(double));
	}
	printf("# scaling: ioctl+read of a random existing channel, ns/op;\n"
	       "# kernel memory per channel, Slab and all-in, B/channel\n");
	for (c = 0; c < ARRAY_SIZE(scale_cfgs); c++)
		bench_scale_cfg(c, ids, seed);
	if (tails) {
		munmap(all_create_ns, nr_ids * sizeof(double));
		munmap(tail_ns, tail_size);
		munmap(create_ns, tail_size);
		create_ns = NULL;
	}
	munmap(lookups, nr_lookups() * sizeof(*lookups));
	munmap(ids, nr_ids * sizeof(*ids));
}

/* ---- Reader scaling ------------------------------------------------- */

struct worker {
	pthread_t tid;
	pthread_barrier_t *start;
	const int *stop;
	bool writer;
	int fd;
	unsigned long done;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned char data[MSG_LEN];

	memset(data, w->writer, sizeof(data));
	pthread_barrier_wait(w->start);
	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		if (w->writer)
			must_io(write(w->fd, data, MSG_LEN), MSG_LEN,
				"slot write");
		else
			must_io(read(w->fd, data, MSG_LEN), MSG_LEN,
				"slot read");
		w->done++;
	}
	return NULL;
}

/*
 * Run @readers readers of one channel, and a writer of it if @writer, for
 * params.reader_ms. Each thread has a file of its own. Returns the reads
 * per second, and the writes per second in @writes.
 */
static double reader_run(unsigned int readers, bool writer, double *writes)
{
	unsigned int nr = readers + writer, i;
	struct worker workers[MAX_READERS + 1];
	pthread_barrier_t start;
	unsigned long reads = 0;
	uint64_t begin;
	double seconds;
	int stop = 0;

	if (pthread_barrier_init(&start, NULL, nr + 1))
		die("pthread_barrier_init failed");
	for (i = 0; i < nr; i++) {
		struct worker *w = &workers[i];

		w->start = &start;
		w->stop = &stop;
		w->writer = i == readers;
		w->done = 0;
		w->fd = must_open_slot(MINOR_READERS);
		must_set_channel(w->fd, CHANNEL);
		if (pthread_create(&w->tid, NULL, worker_main, w))
			die("pthread_create failed");
	}
	pthread_barrier_wait(&start);
	begin = now_ns();
	sleep_ns(params.reader_ms * NSEC_PER_MSEC);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	seconds = (double)(now_ns() - begin) / NSEC_PER_SEC;

	*writes = 0;
	for (i = 0; i < nr; i++) {
		pthread_join(workers[i].tid, NULL);
		close(workers[i].fd);
		if (workers[i].writer)
			*writes = workers[i].done / seconds;
		else
			reads += workers[i].done;
	}
	pthread_barrier_destroy(&start);
	return reads / seconds;
}

static void bench_readers(void)
{
	unsigned int readers, writer, rep;
	int fd = must_open_slot(MINOR_READERS);
	char key[64];

	must_set_channel(fd, CHANNEL);
	must_io(write(fd, msg, MSG_LEN), MSG_LEN, "slot write");
	close(fd);

	printf("# reader scaling: threads reading one channel, each through\n"
	       "# its own file, alone or with a thread writing it;\n"
	       "# %ld CPUs, threads not pinned; best of %u runs of %u ms\n",
	       sysconf(_SC_NPROCESSORS_ONLN), params.reader_reps,
	       params.reader_ms);
	for (writer = 0; writer <= 1; writer++) {
		for (readers = 1; readers <= MAX_READERS; readers *= 2) {
			double best = 0, best_writes = 0, rate, writes;

			for (rep = 0; rep < params.reader_reps; rep++) {
				rate = reader_run(readers, writer, &writes);
				if (rate > best) {
					best = rate;
					best_writes = writes;
				}
			}
			snprintf(key, sizeof(key), "readers_%u_%s", readers,
				 writer ? "writer" : "alone");
			report(key, best, "reads/s");
			if (writer) {
				snprintf(key, sizeof(key), "readers_%u_writes",
					 readers);
				report(key, best_writes, "writes/s");
			}
		}
	}
}

/* ---- Main ----------------------------------------------------------- */

/*
 * Under -icount, system calls cost more for a while after boot (about 200
 * instructions each), then settle. Loop getppid() until SETTLED_LOOPS
 * loops in a row fail to beat the best one by more than SETTLED_GAIN, so
 * that the first figures are not taken in that spell.
 */
static void settle_kernel(void)
{
	uint64_t start = now_ns();
	unsigned int loops = 0, calm = 0;
	double best = DBL_MAX, ns;

	while (calm < SETTLED_LOOPS && now_ns() - start < SETTLE_MAX_NS) {
		ns = DBL_MAX;
		time_loop(loop_null_syscall, params.iters, &ns);
		printf("# settling: loop %u, %.1f ns/op\n", loops, ns);
		calm = ns < best * (1 - SETTLED_GAIN) ? 0 : calm + 1;
		if (ns < best)
			best = ns;
		loops++;
	}
	printf("# settled after %u loops of getppid(), %.3f s: %.1f ns/op\n",
	       loops, (now_ns() - start) / 1e9, best);
}

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: message_slot_bench [--smoke] [--seed N] [--baseline | --variant NAME] [--icount] [--single]\n");
	exit(1);
}

/* --variant NAME: keys prefixed "NAME_", NAME letters, digits and '_'. */
static void variant_prefix(const char *name)
{
	static char prefix[32];
	size_t len = strlen(name);

	if (!len || len + 2 > sizeof(prefix) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
		bad_usage();
	snprintf(prefix, sizeof(prefix), "%s_", name);
	key_prefix = prefix;
}

int main(int argc, char **argv)
{
	uint64_t seed = now_ns();
	struct utsname uts;
	const char *why;
	char *end;
	int i;

	params = full_params;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			params = smoke_params;
		} else if (!strcmp(argv[i], "--baseline")) {
			key_prefix = "base_";
			baseline = true;
		} else if (!strcmp(argv[i], "--variant") && i + 1 < argc) {
			variant_prefix(argv[++i]);
		} else if (!strcmp(argv[i], "--icount")) {
			icount = true;
		} else if (!strcmp(argv[i], "--single")) {
			single_only = true;
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			errno = 0;
			seed = strtoull(argv[++i], &end, 0);
			if (errno || *end)
				bad_usage();
		} else {
			bad_usage();
		}
	}

	if (msg_slot_env_init(&env, &why))
		die("%s", why);
	memset(msg, 'm', sizeof(msg));
	uname(&uts);

	printf("# message_slot benchmark, %s mode, seed %llu (see --seed)\n",
	       params.mode, (unsigned long long)seed);
	printf("BENCH kernel %s\n", uts.release);
	printf("BENCH mode %s\n", params.mode);
	printf("BENCH seed %llu\n", (unsigned long long)seed);
	printf("BENCH cpus %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("BENCH iters %lu\n", params.iters);
	printf("BENCH reps %u\n", params.reps);

	if (icount)
		settle_kernel();
	bench_ops();
	/* Instruction counts are exact enough to compare two drivers' sweeps. */
	if ((!*key_prefix || icount) && !single_only)
		bench_scaling(seed);
	if (!*key_prefix && !icount && !single_only) {
		bench_pingpongs();
		bench_readers();
	}

	msg_slot_env_cleanup(&env);
	printf("# done\n");
	return 0;
}
