// SPDX-License-Identifier: GPL-2.0
/*
 * Why a last value in the kernel at all: the properties of message_slot
 * next to those of what user space would build instead, each measured
 * here rather than assumed. The three user-space mechanisms, each holding
 * one 128-byte value (their code is msg_slot_lastvalue.h, which
 * message_slot_bench.c times too):
 *
 *   - shm: a MAP_SHARED mapping of a tmpfs file holding a seqlock-protected
 *     value, with a futex on the sequence word to wake waiters: the
 *     fastest that user space can do;
 *   - tmpfs: a file written under a temporary name and rename(2)d over the
 *     real one, read with open+read+close; inotify (IN_MOVED_TO on the
 *     directory) wakes readers;
 *   - mq: a POSIX message queue of depth 1. A write drops the old value
 *     (a non-blocking receive) and sends the new one; a read receives the
 *     value and sends it back, since a queue has no peek.
 *
 * The tests:
 *
 *   1. Killed writer: a process loops writing values whose 128 bytes all
 *      equal one counter byte; once it has written, it is SIGKILLed after
 *      a random delay; then a reader reads. Over many kills it counts torn
 *      values (unequal bytes), hung readers (a seqlock reader still
 *      retrying after SPIN_LIMIT rounds, a slot read that has not returned
 *      after HANG_SECONDS) and lost values (nothing left to read: a
 *      blocking reader would wait for the next write). The counts depend
 *      on where the kills land: under QEMU's TCG a CPU takes interrupts
 *      only between translated blocks, so a VM finds fewer hung seqlock
 *      readers than hardware. A count above zero is what matters.
 *   2. Read-only reader: a process of another user (nobody), given what it
 *      needs to read the value and no more, tries every way to change it;
 *      then the parent looks at whether the value changed and whether a
 *      reader can still read it.
 *   3. Memory per value: many values, each with a name of its own; the
 *      drop of free memory per value, as message_slot_bench measures the
 *      slot's; and how many queues a user may make.
 *
 * Output: TAP lines, and one "BENCH key value [unit]" line per figure,
 * which scripts/bench.sh puts in bench/results.md. A test fails only
 * where the figure breaks a promise of the slot's (a torn, hung or lost
 * value, a read-only reader that changes anything); the user-space
 * mechanisms are measured, not judged. Needs root: mount, mknod, setuid,
 * drop_caches.
 *
 * Options:
 *   --smoke     few kills and values: proves that it runs, in seconds
 *   --full      the default: thousands of kills, 2^20 and 2^16 values
 *   --seed N    seed of the kill delays (default: the clock). A replay
 *               draws the same delays; where a kill lands also depends on
 *               the scheduler, so counts move a little between replays
 *   --trials N  kills per mechanism
 *   --no-slot   the user-space mechanisms alone, on a machine without the
 *               driver (nothing tries to load it)
 *   --no-mem    no memory test: it drops the page cache, which a shared
 *               machine may not want
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "msg_slot_common.h"
#include "msg_slot_lastvalue.h"

/* Minors of this program only; no test uses them. */
#define MINOR_KILL		190U	/* the killed writers */
#define MINOR_RO		191U	/* the read-only reader */
#define CHANNEL			1U

#define MSG_LEN			MSG_SLOT_MAX_MSG_LEN

/* The overflow uid and gid: a user that owns nothing here. */
#define NOBODY_ID		65534

/*
 * The writer is dead and reaped before the reader starts, so nothing can
 * change the sequence word any more: a reader still retrying after this
 * many rounds would retry forever. Any bound would tell; a small one
 * keeps thousands of hung readers quick under TCG.
 */
#define SPIN_LIMIT		(1U << 16)
/* A slot read that has not returned in this long is hung. */
#define HANG_SECONDS		10U

/*
 * Kill delays, uniform below this: longer than a write of each mechanism
 * under TCG, so that the kills land all over the writer's loop.
 */
#define KILL_MAX_DELAY_NS	200000ULL

#define FULL_TRIALS		2000UL
#define SMOKE_TRIALS		50UL

/*
 * Values of the memory test. A tmpfs file and a queue take kilobytes
 * each: 2^20 of them would not fit in the VM's 2 GiB, so they stop at
 * 2^16 and the figure per value is what 2^20 would take, pro rata (each
 * has an inode, a dentry and a page or a message of its own: nothing is
 * shared that more values would spread thinner).
 */
#define FULL_SHM_VALUES		(1UL << 20)
#define FULL_FILE_VALUES	(1UL << 16)
#define SMOKE_VALUES		(1UL << 10)
/* Queues an unprivileged user tries to make: far past the default limit. */
#define MQ_PROBE_MAX		4096UL

#define MQ_KILL_NAME		"/message_slot_lv_kill"
#define MQ_RO_NAME		"/message_slot_lv_ro"
#define MQ_MEM_FMT		"/message_slot_lv_%lx"

/* Of the read-only test: the byte of the value everyone may read. */
#define RO_BYTE			0x5a

static struct {
	const char *mode;
	unsigned long trials;
	unsigned long shm_values;
	unsigned long file_values;
	bool slot;
	bool mem;
} params = {
	.mode = "full",
	.trials = FULL_TRIALS,
	.shm_values = FULL_SHM_VALUES,
	.file_values = FULL_FILE_VALUES,
	.slot = true,
	.mem = true,
};

static struct msg_slot_env env;
/* A tmpfs of our own, mode 0755, so that nobody can reach what is in it. */
static char root_dir[64];
static bool root_mounted;

static void cleanup(void)
{
	if (root_mounted)
		umount2(root_dir, MNT_DETACH);
	root_mounted = false;
	if (root_dir[0])
		rmdir(root_dir);
	root_dir[0] = '\0';
	mq_unlink(MQ_KILL_NAME);
	mq_unlink(MQ_RO_NAME);
	if (params.slot)
		msg_slot_env_cleanup(&env);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("message_slot_lastvalue: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

/* The end of a forked child: its output first, then no atexit(). */
static void child_exit(int status)
{
	fflush(stdout);
	_exit(status);
}

static void report(const char *key, double value, const char *unit)
{
	printf("BENCH lv_%s %.1f %s\n", key, value, unit);
}

static void report_count(const char *key, unsigned long value)
{
	printf("BENCH lv_%s %lu\n", key, value);
}

/* Whether all @len bytes of @p equal its first one: not a torn value. */
static bool all_equal(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

/* ---- Test 1: killed writers ------------------------------------------- */

enum lv_outcome { LV_OK, LV_TORN, LV_HUNG, LV_LOST, NR_OUTCOMES };

static const char *const outcome_keys[NR_OUTCOMES] = {
	"ok", "torn", "hung", "lost"
};

/*
 * A mechanism under test 1. write() is one complete write, in the child;
 * read() is a bounded read, in the parent, after the child is reaped.
 * setup() opens the value; kill_reset() then puts a readable value of
 * zeros in it, and again after every kill that left no whole value:
 * through reset() where a write cannot do it, else through write().
 */
struct kill_mech {
	const char *name;
	void (*setup)(void);
	int (*write)(const unsigned char *in);
	enum lv_outcome (*read)(void);
	void (*reset)(void);
	/* After a kill: what the dead writer @pid left behind, if anything. */
	bool (*leftover)(pid_t pid);
	void (*teardown)(void);
};

/* Shared with the writers: set once a writer has written a value. */
static volatile uint32_t *started;
static unsigned char seen[MSG_LEN];

static struct lv_shm *kill_shm;
/* Hung shm readers that found the bytes themselves torn. */
static unsigned long shm_torn_in_memory;

static void shm_setup(void)
{
	kill_shm = lv_shm_map("lv_kill", 1, 0);
	shm_torn_in_memory = 0;
}

static int shm_write(const unsigned char *in)
{
	lv_shm_write(kill_shm, in);
	return 0;
}

static enum lv_outcome shm_read(void)
{
	if (lv_shm_read(kill_shm, seen, SPIN_LIMIT) & 1) {
		shm_torn_in_memory += !all_equal(kill_shm->value, MSG_LEN);
		return LV_HUNG;
	}
	return all_equal(seen, MSG_LEN) ? LV_OK : LV_TORN;
}

/*
 * Not a write, which would wait for the dead writer's odd sequence
 * forever. Only a process that knows that the writer is dead may do
 * this: a library cannot, since the odd word looks the same as a write
 * in progress.
 */
static void shm_reset(void)
{
	lv_shm_init(kill_shm, 0);
}

static void shm_teardown(void)
{
	munmap(kill_shm, sizeof(*kill_shm));
}

/*
 * How a read that returned @n (or -1 with errno) fared: the errno
 * @absent says that it found no value at all, where a blocking reader
 * would wait for the next write.
 */
static enum lv_outcome read_outcome(const char *mech, ssize_t n, int absent)
{
	if (n < 0 && errno == absent)
		return LV_LOST;
	if (n < 0)
		die("%s read: %s", mech, strerror(errno));
	return n == MSG_LEN && all_equal(seen, MSG_LEN) ? LV_OK : LV_TORN;
}

static int slot_wfd, slot_rfd;

static int must_open_channel(unsigned int minor, int flags)
{
	int fd = msg_slot_open(&env, minor, flags);

	if (fd < 0)
		die("open slot %u: %s", minor, strerror(errno));
	if (msg_slot_set_channel(fd, CHANNEL))
		die("ioctl(MSG_SLOT_CHANNEL): %s", strerror(errno));
	return fd;
}

static int slot_write(const unsigned char *in)
{
	return write(slot_wfd, in, MSG_LEN) == MSG_LEN ? 0 : -1;
}

static void slot_setup(void)
{
	slot_wfd = must_open_channel(MINOR_KILL, O_WRONLY);
	slot_rfd = must_open_channel(MINOR_KILL, O_RDONLY);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A read that SIGALRM interrupts after HANG_SECONDS: then it is hung. */
static enum lv_outcome slot_read(void)
{
	ssize_t n;

	alarm(HANG_SECONDS);
	n = read(slot_rfd, seen, MSG_LEN);
	alarm(0);
	if (n < 0 && errno == EINTR)
		return LV_HUNG;
	return read_outcome("slot", n, EWOULDBLOCK);
}

static void slot_teardown(void)
{
	close(slot_wfd);
	close(slot_rfd);
}

static struct lv_file kill_file;

static void file_setup(void)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/kill", root_dir);
	lv_file_open(&kill_file, dir);
}

/* The writer names its temporary file after itself: see file_leftover(). */
static int file_write(const unsigned char *in)
{
	static pid_t pid;

	if (pid != getpid()) {
		pid = getpid();
		lv_file_tmp_name(&kill_file, pid);
	}
	return lv_file_write(&kill_file, in);
}

static enum lv_outcome file_read(void)
{
	return read_outcome("tmpfs", lv_file_read(&kill_file, seen), ENOENT);
}

/* A temporary file that nobody will ever rename or remove. */
static bool file_leftover(pid_t pid)
{
	struct lv_file f = kill_file;

	lv_file_tmp_name(&f, pid);
	if (unlinkat(f.dirfd, f.tmp, 0))
		return false;
	return true;
}

static void file_teardown(void)
{
	close(kill_file.dirfd);
}

static mqd_t kill_mq;

static void mq_setup(void)
{
	mq_unlink(MQ_KILL_NAME);
	kill_mq = lv_mq_open(MQ_KILL_NAME, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (kill_mq == (mqd_t)-1)
		die("mq_open: %s", strerror(errno));
}

static int mq_write(const unsigned char *in)
{
	return lv_mq_write(kill_mq, in);
}

static enum lv_outcome mq_read(void)
{
	return read_outcome("mq", lv_mq_read(kill_mq, seen), EAGAIN);
}

static void mq_teardown(void)
{
	mq_close(kill_mq);
	mq_unlink(MQ_KILL_NAME);
}

static const struct kill_mech kill_mechs[] = {
	{ .name = "slot", .setup = slot_setup, .write = slot_write,
	  .read = slot_read, .teardown = slot_teardown },
	{ .name = "shm", .setup = shm_setup, .write = shm_write,
	  .read = shm_read, .reset = shm_reset, .teardown = shm_teardown },
	{ .name = "tmpfs", .setup = file_setup, .write = file_write,
	  .read = file_read, .leftover = file_leftover,
	  .teardown = file_teardown },
	{ .name = "mq", .setup = mq_setup, .write = mq_write, .read = mq_read,
	  .teardown = mq_teardown },
};

static void kill_reset(const struct kill_mech *m)
{
	if (m->reset) {
		m->reset();
		return;
	}
	memset(seen, 0, sizeof(seen));
	if (m->write(seen))
		die("%s write: %s", m->name, strerror(errno));
}

/* The writer: values of 128 equal bytes, 1, 2, ... 255, 1, ... forever. */
static void __attribute__((noreturn)) kill_writer(const struct kill_mech *m)
{
	unsigned char value[MSG_LEN];
	unsigned int byte = 0;

	for (;;) {
		byte = byte % 255 + 1;
		memset(value, byte, sizeof(value));
		if (m->write(value)) {
			printf("# %s writer: %s\n", m->name, strerror(errno));
			child_exit(1);
		}
		*started = 1;
	}
}

/* One kill: returns how the reader fared, and counts a leftover. */
static enum lv_outcome kill_once(const struct kill_mech *m, uint64_t delay,
				 unsigned long *leftovers)
{
	int status;
	pid_t pid;

	*started = 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid)
		kill_writer(m);
	/* The delay counts from the first value, not from the fork. */
	while (!*started) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			die("the %s writer died on its own", m->name);
		sched_yield();
	}
	if (delay)
		sleep_ns(delay);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		die("the %s writer ended with status %#x", m->name, status);
	if (m->leftover && m->leftover(pid))
		(*leftovers)++;
	return m->read();
}

static void test_killed_writer(const struct kill_mech *m, uint64_t seed)
{
	unsigned long counts[NR_OUTCOMES] = { 0 }, leftovers = 0, trial;
	uint64_t rng = seed;
	enum lv_outcome o;
	unsigned int i;
	char key[64];

	m->setup();
	kill_reset(m);
	for (trial = 0; trial < params.trials; trial++) {
		o = kill_once(m, rng_below(&rng, KILL_MAX_DELAY_NS), &leftovers);
		counts[o]++;
		if (o != LV_OK)
			kill_reset(m);
	}
	m->teardown();

	snprintf(key, sizeof(key), "kill_%s_trials", m->name);
	report_count(key, params.trials);
	for (i = LV_TORN; i < NR_OUTCOMES; i++) {
		snprintf(key, sizeof(key), "kill_%s_%s", m->name,
			 outcome_keys[i]);
		report_count(key, counts[i]);
	}
	if (m->leftover) {
		snprintf(key, sizeof(key), "kill_%s_leftover", m->name);
		report_count(key, leftovers);
	}
	if (m->read == shm_read)
		report_count("kill_shm_torn_in_memory", shm_torn_in_memory);

	/* The slot promises a whole value to every reader, whoever dies. */
	ksft_test_result(strcmp(m->name, "slot") ||
			 (!counts[LV_TORN] && !counts[LV_HUNG] &&
			  !counts[LV_LOST]),
			 "killed writer, %s: %lu torn, %lu hung, %lu lost of %lu\n",
			 m->name, counts[LV_TORN], counts[LV_HUNG],
			 counts[LV_LOST], params.trials);
}

/* ---- Test 2: a reader that may only read -------------------------------- */

/*
 * What the read-only reader found, in memory shared with the parent. The
 * reader prints each attempt on a "#" line; the parent then judges the
 * value itself.
 */
struct ro_result {
	int read;	/* it read the whole value */
	int wake;	/* shm: FUTEX_WAKE through its mapping worked */
	int store;	/* shm: a store through its mapping worked */
	int notify;	/* mq: it took the queue's one mq_notify() */
	unsigned long made;	/* mq: queues it made */
	int err;		/* mq: why it could make no more */
};

static struct ro_result *ro;

/* Print what one attempt gave: "ok" or the errno's name. */
static bool attempt(const char *mech, const char *what, int ret)
{
	printf("# read-only %s reader: %s: %s\n", mech, what,
	       ret < 0 ? strerrorname_np(errno) : "ok");
	return ret >= 0;
}

static void become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY_ID) || setuid(NOBODY_ID)) {
		printf("# cannot become nobody: %s\n", strerror(errno));
		child_exit(1);
	}
}

/* A child that runs @fn as nobody, then exits 0, with *ro cleared. */
static pid_t fork_nobody(void (*fn)(void))
{
	pid_t pid;

	memset(ro, 0, sizeof(*ro));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		become_nobody();
		fn();
		child_exit(0);
	}
	return pid;
}

/* Run @fn as nobody in a child; the child's exit status must be 0. */
static void run_as_nobody(void (*fn)(void), const char *what)
{
	pid_t pid = fork_nobody(fn);
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("the %s reader failed (status %#x)", what, status);
}

static char ro_path[128];

static void ro_path_of(const char *name)
{
	snprintf(ro_path, sizeof(ro_path), "%s/%s", root_dir, name);
}

static bool is_ro_value(const unsigned char *p, ssize_t n)
{
	return n == MSG_LEN && p[0] == RO_BYTE && all_equal(p, MSG_LEN);
}

/*
 * The read-only reader's first attempts on the node of @mech: open it to
 * write, which must fail, then to read. Returns the descriptor it may
 * read through, or -1.
 */
static int ro_open(const char *mech)
{
	int fd;

	ro_path_of(mech);
	fd = open(ro_path, O_RDWR | O_CLOEXEC);
	attempt(mech, "open O_RDWR", fd);
	if (fd >= 0)
		close(fd);
	fd = open(ro_path, O_RDONLY | O_CLOEXEC);
	attempt(mech, "open O_RDONLY", fd);
	return fd;
}

static void report_ro(const char *mech, bool read, bool changed, bool hang)
{
	char key[64];

	snprintf(key, sizeof(key), "ro_%s_read", mech);
	report_count(key, read);
	snprintf(key, sizeof(key), "ro_%s_change", mech);
	report_count(key, changed);
	snprintf(key, sizeof(key), "ro_%s_hang", mech);
	report_count(key, hang);
}

static void ro_slot_reader(void)
{
	unsigned char buf[MSG_LEN];
	ssize_t n;
	int fd;

	fd = ro_open("slot");
	if (fd < 0)
		return;
	if (msg_slot_set_channel(fd, CHANNEL))
		return;
	n = read(fd, buf, MSG_LEN);
	ro->read = is_ro_value(buf, n);
	memset(buf, 0, sizeof(buf));
	attempt("slot", "write", write(fd, buf, MSG_LEN));
	attempt("slot", "ioctl(MSG_SLOT_CLEAR)", ioctl(fd, MSG_SLOT_CLEAR));
	close(fd);
}

static void test_ro_slot(void)
{
	unsigned char buf[MSG_LEN];
	bool changed, hang;
	ssize_t n;
	int fd;

	ro_path_of("slot");
	if (mknod(ro_path, S_IFCHR | 0644, makedev(env.major, MINOR_RO)))
		die("mknod %s: %s", ro_path, strerror(errno));
	fd = open(ro_path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || msg_slot_set_channel(fd, CHANNEL))
		die("open %s: %s", ro_path, strerror(errno));
	memset(buf, RO_BYTE, sizeof(buf));
	if (write(fd, buf, MSG_LEN) != MSG_LEN)
		die("slot write: %s", strerror(errno));

	run_as_nobody(ro_slot_reader, "slot");

	alarm(HANG_SECONDS);
	n = read(fd, buf, MSG_LEN);
	alarm(0);
	hang = n < 0;
	changed = !is_ro_value(buf, n);
	close(fd);
	report_ro("slot", ro->read, changed, hang);
	ksft_test_result(ro->read && !changed && !hang,
			 "read-only reader, slot: read %d, changed %d, others hang %d\n",
			 ro->read, changed, hang);
}

static void ro_shm_reader(void)
{
	unsigned char buf[MSG_LEN];
	struct lv_shm *v;
	int fd, status;
	void *p;
	pid_t pid;

	memset(buf, 0, sizeof(buf));
	fd = ro_open("shm");
	if (fd < 0)
		return;
	p = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	attempt("shm", "mmap PROT_WRITE, MAP_SHARED", p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED)
		munmap(p, sizeof(*v));
	attempt("shm", "pwrite", pwrite(fd, buf, 1, 0));
	v = mmap(NULL, sizeof(*v), PROT_READ, MAP_SHARED, fd, 0);
	if (!attempt("shm", "mmap PROT_READ", v == MAP_FAILED ? -1 : 0))
		return;
	ro->read = !(lv_shm_read(v, buf, SPIN_LIMIT) & 1) &&
		   is_ro_value(buf, MSG_LEN);
	attempt("shm", "mprotect PROT_WRITE",
		mprotect(v, sizeof(*v), PROT_READ | PROT_WRITE));

	/*
	 * A waiter must count itself in @waiters, or the writer does not
	 * wake it: a store, tried in a child that the fault may kill.
	 */
	fflush(stdout);
	pid = fork();
	if (!pid) {
		__atomic_fetch_add(&v->waiters, 1, __ATOMIC_SEQ_CST);
		child_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		child_exit(1);
	ro->store = WIFEXITED(status) && !WEXITSTATUS(status);
	printf("# read-only shm reader: store to the waiters word: %s\n",
	       ro->store ? "ok" :
	       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "failed");

	/* The kernel only reads the word to find the futex. */
	ro->wake = attempt("shm", "FUTEX_WAKE",
			   futex(&v->seq, FUTEX_WAKE, INT_MAX));
	munmap(v, sizeof(*v));
	close(fd);
}

/*
 * The shm value of a read-only test in the file @name, of mode @mode
 * whatever the umask, holding RO_BYTE.
 */
static struct lv_shm *ro_shm_create(const char *name, mode_t mode)
{
	unsigned char buf[MSG_LEN];
	struct lv_shm *v;
	int fd;

	ro_path_of(name);
	fd = open(ro_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) || ftruncate(fd, sizeof(*v)))
		die("%s: %s", ro_path, strerror(errno));
	v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	close(fd);
	lv_shm_init(v, 0);
	memset(buf, RO_BYTE, sizeof(buf));
	lv_shm_write(v, buf);
	return v;
}

static void test_ro_shm(void)
{
	unsigned char buf[MSG_LEN];
	struct lv_shm *v;
	bool changed, hang;
	uint32_t seq;

	v = ro_shm_create("shm", 0644);
	run_as_nobody(ro_shm_reader, "shm");

	seq = lv_shm_read(v, buf, SPIN_LIMIT);
	hang = seq & 1;
	changed = hang || !is_ro_value(buf, MSG_LEN) || v->waiters;
	munmap(v, sizeof(*v));
	report_ro("shm", ro->read, changed, hang);
	report_count("ro_shm_wake", ro->wake);
	report_count("ro_shm_register", ro->store);
	ksft_test_result(ro->read,
			 "read-only reader, shm: read %d, changed %d, others hang %d, wake %d, register as waiter %d\n",
			 ro->read, changed, hang, ro->wake, ro->store);
}

/*
 * The design that lets readers sleep cheaply: they count themselves in
 * the waiters word, so they map the value writable. Such a reader (here
 * one that crashed, or meant harm, between two stores) can leave the
 * sequence odd: every reader and writer after it spins.
 */
static void rw_shm_reader(void)
{
	struct lv_shm *v;
	int fd;

	ro_path_of("shm_rw");
	fd = open(ro_path, O_RDWR | O_CLOEXEC);
	printf("# shm reader that maps the value writable: open O_RDWR: %s\n",
	       fd < 0 ? strerrorname_np(errno) : "ok");
	if (fd < 0)
		return;
	v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (v == MAP_FAILED)
		return;
	ro->store = 1;
	__atomic_fetch_or(&v->seq, 1, __ATOMIC_SEQ_CST);
	munmap(v, sizeof(*v));
}

static void test_rw_shm(void)
{
	unsigned char buf[MSG_LEN];
	struct lv_shm *v;
	bool hang;

	/* 0666: a reader that may wait maps the value writable. */
	v = ro_shm_create("shm_rw", 0666);
	run_as_nobody(rw_shm_reader, "shm (mapped writable)");

	hang = lv_shm_read(v, buf, SPIN_LIMIT) & 1;
	munmap(v, sizeof(*v));
	report_count("rw_shm_hang", hang);
	ksft_test_result(ro->store,
			 "reader with a writable mapping, shm: others hang %d\n",
			 hang);
}

static void ro_file_reader(void)
{
	unsigned char buf[MSG_LEN];
	struct lv_file f = { .name = "value" };
	int fd;

	ro_path_of("files");
	f.dirfd = open(ro_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!attempt("tmpfs", "open the directory", f.dirfd))
		return;
	fd = openat(f.dirfd, "value", O_WRONLY | O_CLOEXEC);
	attempt("tmpfs", "open the value O_WRONLY", fd);
	if (fd >= 0)
		close(fd);
	lv_file_tmp_name(&f, getpid());
	memset(buf, 0, sizeof(buf));
	attempt("tmpfs", "write a temporary file and rename it",
		lv_file_write(&f, buf));
	attempt("tmpfs", "rename the value away",
		renameat(f.dirfd, "value", f.dirfd, "value.old"));
	attempt("tmpfs", "unlink the value", unlinkat(f.dirfd, "value", 0));
	fd = inotify_init1(IN_CLOEXEC);
	if (fd >= 0) {
		attempt("tmpfs", "inotify_add_watch IN_MOVED_TO",
			inotify_add_watch(fd, ro_path, IN_MOVED_TO));
		close(fd);
	}
	ro->read = is_ro_value(buf, lv_file_read(&f, buf));
	close(f.dirfd);
}

static void test_ro_file(void)
{
	unsigned char buf[MSG_LEN];
	bool changed, hang;
	struct lv_file f;
	ssize_t n;

	ro_path_of("files");
	lv_file_open(&f, ro_path);
	memset(buf, RO_BYTE, sizeof(buf));
	if (lv_file_write(&f, buf))
		die("tmpfs write: %s", strerror(errno));

	run_as_nobody(ro_file_reader, "tmpfs");

	n = lv_file_read(&f, buf);
	hang = n < 0;
	changed = !is_ro_value(buf, n) ||
		  !faccessat(f.dirfd, "value.old", F_OK, 0);
	close(f.dirfd);
	report_ro("tmpfs", ro->read, changed, hang);
	ksft_test_result(ro->read,
			 "read-only reader, tmpfs: read %d, changed %d, others hang %d\n",
			 ro->read, changed, hang);
}

/* The pipes that hold the mq reader while the parent tries mq_notify(). */
static int ro_sync[2][2];

static void ro_mq_reader(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	unsigned char buf[MSG_LEN];
	char c = 0;
	ssize_t n;
	mqd_t q;

	q = mq_open(MQ_RO_NAME, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	attempt("mq", "mq_open O_RDWR", q == (mqd_t)-1 ? -1 : 0);
	if (q != (mqd_t)-1)
		mq_close(q);
	q = mq_open(MQ_RO_NAME, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (!attempt("mq", "mq_open O_RDONLY", q == (mqd_t)-1 ? -1 : 0))
		goto out;
	memset(buf, 0, sizeof(buf));
	attempt("mq", "mq_send", mq_send(q, (const char *)buf, MSG_LEN, 0));
	ro->notify = attempt("mq", "mq_notify", mq_notify(q, &sev));
	/* The read: receive, then the send back, which O_RDONLY refuses. */
	n = mq_receive(q, (char *)buf, MSG_LEN, NULL);
	ro->read = is_ro_value(buf, n);
	attempt("mq", "mq_receive", n);
	attempt("mq", "mq_send back", mq_send(q, (const char *)buf, MSG_LEN, 0));
out:
	/* Hold the registration until the parent has tried its own. */
	if (write(ro_sync[0][1], &c, 1) != 1 || read(ro_sync[1][0], &c, 1) != 1)
		child_exit(1);
	if (q != (mqd_t)-1)
		mq_close(q);
}

static void test_ro_mq(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	unsigned char buf[MSG_LEN];
	bool changed, hang, lockout;
	int status;
	ssize_t n;
	pid_t pid;
	mqd_t q;
	char c;

	mq_unlink(MQ_RO_NAME);
	q = lv_mq_open(MQ_RO_NAME, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (q == (mqd_t)-1)
		die("mq_open: %s", strerror(errno));
	memset(buf, RO_BYTE, sizeof(buf));
	if (lv_mq_write(q, buf))
		die("mq write: %s", strerror(errno));
	if (pipe2(ro_sync[0], O_CLOEXEC) || pipe2(ro_sync[1], O_CLOEXEC))
		die("pipe: %s", strerror(errno));

	pid = fork_nobody(ro_mq_reader);
	/* Only the child's ends open: a reader that dies ends the read. */
	close(ro_sync[0][1]);
	close(ro_sync[1][0]);
	if (read(ro_sync[0][0], &c, 1) != 1)
		die("the mq reader failed");
	/* A queue has one notification: a reader can take it from others. */
	lockout = mq_notify(q, &sev) && errno == EBUSY;
	if (!lockout)
		mq_notify(q, NULL);
	if (write(ro_sync[1][1], &c, 1) != 1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		die("the mq reader failed");
	close(ro_sync[0][0]);
	close(ro_sync[1][1]);

	n = lv_mq_read(q, buf);
	hang = n < 0;
	changed = !is_ro_value(buf, n);
	mq_close(q);
	mq_unlink(MQ_RO_NAME);
	report_ro("mq", ro->read, changed, hang);
	report_count("ro_mq_notify", ro->notify && lockout);
	ksft_test_result(ro->read,
			 "read-only reader, mq: read %d, changed %d, others hang %d, takes the notification %d\n",
			 ro->read, changed, hang, ro->notify && lockout);
}

/* ---- Test 3: memory per value ------------------------------------------- */

/* Report the memory of @n values from @base to @now, per value. */
static void report_mem(const char *mech, unsigned long n,
		       const struct meminfo *base, const struct meminfo *now)
{
	char key[64];

	snprintf(key, sizeof(key), "mem_%s_n", mech);
	report_count(key, n);
	snprintf(key, sizeof(key), "mem_%s_allin", mech);
	report(key, (base->free_kb - now->free_kb) * 1024.0 / n, "B/value");
	snprintf(key, sizeof(key), "mem_%s_slab", mech);
	report(key, (now->slab_kb - base->slab_kb) * 1024.0 / n, "B/value");
	printf("# %s: Shmem %.1f B/value\n", mech,
	       (now->shmem_kb - base->shmem_kb) * 1024.0 / n);
}

/*
 * shm: one array of values, indexed by a dense id; random ids would need
 * a hash table besides, which is not counted.
 */
static void test_mem_shm(void)
{
	unsigned long n = params.shm_values, i;
	unsigned char value[MSG_LEN];
	struct meminfo base, now;
	struct lv_shm *v;

	settle(&base);
	v = lv_shm_map("lv_mem", n, 0);
	memset(value, 'm', sizeof(value));
	for (i = 0; i < n; i++) {
		lv_shm_init(&v[i], 0);
		lv_shm_write(&v[i], value);
	}
	settle(&now);
	report_mem("shm", n, &base, &now);
	munmap(v, n * sizeof(*v));
	ksft_test_result_pass("memory, shm: %lu values of %zu bytes\n", n,
			      sizeof(*v));
}

/*
 * tmpfs: a file per value, in one directory of a tmpfs of its own; the
 * unmount frees them all at once.
 */
static void test_mem_file(void)
{
	unsigned long n = params.file_values, i;
	unsigned char value[MSG_LEN];
	struct meminfo base, now;
	char dir[128], name[32];
	int dirfd, fd;

	snprintf(dir, sizeof(dir), "%s/mem", root_dir);
	if (mkdir(dir, 0755) || mount("lv_mem", dir, "tmpfs", 0, "mode=0755"))
		die("tmpfs at %s: %s", dir, strerror(errno));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		die("open %s: %s", dir, strerror(errno));
	memset(value, 'm', sizeof(value));
	settle(&base);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%lx", i);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0644);
		if (fd < 0 || write(fd, value, MSG_LEN) != MSG_LEN)
			die("tmpfs value %lu: %s", i, strerror(errno));
		close(fd);
	}
	settle(&now);
	report_mem("tmpfs", n, &base, &now);
	close(dirfd);
	if (umount2(dir, 0) || rmdir(dir))
		die("umount %s: %s", dir, strerror(errno));
	ksft_test_result_pass("memory, tmpfs: %lu files of %u bytes\n", n,
			      MSG_LEN);
}

static long read_long(const char *path)
{
	char buf[32];

	return msg_slot_read_file(path, buf, sizeof(buf)) > 0 ?
	       strtol(buf, NULL, 10) : -1;
}

/* Make queues of one value until @max or an error; returns how many. */
static unsigned long make_queues(unsigned long max, int *err)
{
	unsigned char value[MSG_LEN];
	char name[64];
	unsigned long i;
	mqd_t q;

	memset(value, 'm', sizeof(value));
	*err = 0;
	for (i = 0; i < max; i++) {
		snprintf(name, sizeof(name), MQ_MEM_FMT, i);
		mq_unlink(name);
		q = lv_mq_open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (q == (mqd_t)-1) {
			*err = errno;
			break;
		}
		if (mq_send(q, (const char *)value, MSG_LEN, 0))
			die("mq_send: %s", strerror(errno));
		mq_close(q);
	}
	return i;
}

static void unlink_queues(unsigned long n)
{
	char name[64];
	unsigned long i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), MQ_MEM_FMT, i);
		mq_unlink(name);
	}
}

/* How many queues nobody may make, and what stops it. */
static void probe_user_queues(void)
{
	ro->made = make_queues(MQ_PROBE_MAX, &ro->err);
	unlink_queues(ro->made);
}

/*
 * mq: a queue per value. The kernel stops an unprivileged user at
 * fs.mqueue.queues_max queues in an IPC namespace (256 by default), and
 * at RLIMIT_MSGQUEUE bytes; root, with CAP_SYS_RESOURCE and the limit
 * raised, at neither: that is how the figure per value is taken.
 */
static void test_mem_mq(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	unsigned long n = params.file_values, made;
	struct meminfo base, now;
	long queues_max;
	int err;

	queues_max = read_long("/proc/sys/fs/mqueue/queues_max");
	report_count("mq_queues_max", queues_max);
	run_as_nobody(probe_user_queues, "mq probe");
	report_count("mq_user_max", ro->made);
	printf("# nobody made %lu queues, then: %s\n", ro->made,
	       ro->err ? strerrorname_np(ro->err) : "stopped trying");

	if (setrlimit(RLIMIT_MSGQUEUE, &unlimited))
		die("setrlimit(RLIMIT_MSGQUEUE): %s", strerror(errno));
	settle(&base);
	made = make_queues(n, &err);
	settle(&now);
	if (made)
		report_mem("mq", made, &base, &now);
	unlink_queues(made);
	if (err)
		printf("# root made %lu queues of %lu, then: %s\n", made, n,
		       strerrorname_np(err));
	ksft_test_result(made == n,
			 "memory, mq: %lu queues of one %u-byte value; nobody may make %lu (queues_max %ld)\n",
			 made, MSG_LEN, ro->made, queues_max);
}

/* ---- Main --------------------------------------------------------------- */

static void setup_root(void)
{
	snprintf(root_dir, sizeof(root_dir), "/tmp/msg_slot_lv.XXXXXX");
	if (!mkdtemp(root_dir)) {
		root_dir[0] = '\0';
		die("mkdtemp: %s", strerror(errno));
	}
	/* Not nodev: the read-only test puts a slot node here. */
	if (mount("msg_slot_lv", root_dir, "tmpfs", MS_NOSUID, "mode=0755"))
		die("mount tmpfs at %s: %s", root_dir, strerror(errno));
	root_mounted = true;
}

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: message_slot_lastvalue [--smoke|--full] [--seed N] [--trials N] [--no-slot] [--no-mem]\n");
	exit(1);
}

static unsigned long parse_ulong(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s)
		bad_usage();
	return v;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	unsigned long trials = 0;
	uint64_t seed = now_ns();
	const char *why;
	unsigned int i;
	int ret;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			params.mode = "smoke";
			params.trials = SMOKE_TRIALS;
			params.shm_values = SMOKE_VALUES;
			params.file_values = SMOKE_VALUES;
		} else if (!strcmp(argv[i], "--full")) {
			continue;
		} else if (!strcmp(argv[i], "--no-slot")) {
			params.slot = false;
		} else if (!strcmp(argv[i], "--no-mem")) {
			params.mem = false;
		} else if (!strcmp(argv[i], "--seed") && i + 1 < (unsigned int)argc) {
			seed = parse_ulong(argv[++i]);
		} else if (!strcmp(argv[i], "--trials") && i + 1 < (unsigned int)argc) {
			trials = parse_ulong(argv[++i]);
		} else {
			bad_usage();
		}
	}
	if (trials)
		params.trials = trials;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(kill_mechs) + 5 + 3);
	printf("# message_slot last-value properties, %s mode, seed %llu (see --seed)\n",
	       params.mode, (unsigned long long)seed);
	report_count("seed", seed);

	if (params.slot) {
		ret = msg_slot_env_init(&env, &why);
		if (ret)
			ksft_exit_fail_msg("%s\n", why);
	}
	/* No SA_RESTART: the alarm must interrupt a hung read. */
	sigaction(SIGALRM, &sa, NULL);
	umask(022);
	setup_root();
	started = mmap(NULL, sizeof(*started), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, sizeof(*ro), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (started == MAP_FAILED || ro == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	for (i = 0; i < ARRAY_SIZE(kill_mechs); i++) {
		if (!params.slot && kill_mechs[i].setup == slot_setup) {
			ksft_test_result_skip("killed writer, slot: --no-slot\n");
			continue;
		}
		/* A seed per mechanism, so that each replays on its own. */
		test_killed_writer(&kill_mechs[i], seed + i);
	}

	if (params.slot)
		test_ro_slot();
	else
		ksft_test_result_skip("read-only reader, slot: --no-slot\n");
	test_ro_shm();
	test_rw_shm();
	test_ro_file();
	test_ro_mq();

	if (params.mem) {
		test_mem_shm();
		test_mem_file();
		test_mem_mq();
	} else {
		for (i = 0; i < 3; i++)
			ksft_test_result_skip("memory: --no-mem\n");
	}

	cleanup();
	ksft_finished();
}
