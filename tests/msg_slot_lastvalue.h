/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What message_slot_bench.c and message_slot_lastvalue.c share, in one
 * place so that the benchmark times the very code whose properties the
 * other measures:
 *
 *   - the three ways user space keeps a last value of its own, instead of
 *     a slot: a seqlock in shared memory with a futex (lv_shm), a tmpfs
 *     file replaced by rename(2) (lv_file) and a POSIX message queue of
 *     depth 1 (lv_mq);
 *   - the clock and the random numbers of both;
 *   - the memory figures: /proc/meminfo with the per-CPU free lists, read
 *     once the kernel has settled.
 *
 * Both programs include it after msg_slot_common.h, with _GNU_SOURCE
 * defined, and each defines die(): its own name in the message and its
 * own cleanup.
 */
#ifndef MSG_SLOT_LASTVALUE_H
#define MSG_SLOT_LASTVALUE_H

#include <limits.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include <linux/futex.h>
#include <linux/membarrier.h>

/* Print the message to stderr, clean up and exit(1). */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define NSEC_PER_SEC		1000000000ULL
#define NSEC_PER_MSEC		1000000ULL

/*
 * Settling the memory figures: see settle(). A round that frees less than
 * SETTLE_SLACK_KB is noise from the rest of the kernel; two such rounds
 * in a row mean that nothing is left to free.
 */
#define SETTLE_MAX_ROUNDS	20U
#define SETTLE_STABLE_ROUNDS	2U
#define SETTLE_PAUSE_MS		50U
#define SETTLE_SLACK_KB		256L

/* ---- Clock and random numbers ------------------------------------------ */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static inline void sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", 2014), as in the fuzzer: any 64-bit state is a good one.
 */
#define SPLITMIX_GAMMA		0x9e3779b97f4a7c15ULL
#define SPLITMIX_MUL1		0xbf58476d1ce4e5b9ULL
#define SPLITMIX_MUL2		0x94d049bb133111ebULL

static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state += SPLITMIX_GAMMA;

	x = (x ^ (x >> 30)) * SPLITMIX_MUL1;
	x = (x ^ (x >> 27)) * SPLITMIX_MUL2;
	return x ^ (x >> 31);
}

/* Uniform in 0..n-1, by multiply and shift rather than a biased modulo. */
static inline uint64_t rng_below(uint64_t *state, uint64_t n)
{
	return ((rng_next(state) >> 32) * n) >> 32;
}

/* ---- The last values of user space ------------------------------------- */

/* Shared (not private) operations: the waiters may be other processes. */
static inline int futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/*
 * shm: a value under a seqlock in a MAP_SHARED mapping of a tmpfs file.
 * The sequence word is odd while a write is in progress; a reader copies
 * the value and retries until it saw the same even sequence before and
 * after. Writers take the word from even to odd with a compare-and-swap,
 * so that several may write. It is also the futex that waiters sleep on;
 * @waiters counts them, so that a write that nobody waits for makes no
 * system call.
 */
struct lv_shm {
	uint32_t seq;
	uint32_t waiters;
	unsigned char value[MSG_SLOT_MAX_MSG_LEN];
};

static inline void lv_shm_init(struct lv_shm *v, unsigned char byte)
{
	v->seq = 0;
	v->waiters = 0;
	memset(v->value, byte, sizeof(v->value));
}

/*
 * @nr values in a MAP_SHARED mapping of a memfd called @name, mapped with
 * @flags besides (MAP_POPULATE: no page faults in what is timed). A new
 * memfd is zeros: values of zeros, at sequence 0, that nobody waits for.
 */
static inline struct lv_shm *lv_shm_map(const char *name, size_t nr,
					int flags)
{
	size_t size = nr * sizeof(struct lv_shm);
	struct lv_shm *v;
	int fd;

	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, size))
		die("memfd: %s", strerror(errno));
	v = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | flags, fd, 0);
	if (v == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	close(fd);
	return v;
}

/*
 * Copy the value into @out, retrying at most @limit times (0: forever).
 * Returns the sequence it read at, or an odd one when it gave up.
 */
static inline uint32_t lv_shm_read(const struct lv_shm *v, unsigned char *out,
				   unsigned int limit)
{
	unsigned int tries = 0;
	uint32_t seq;

	do {
		seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
		memcpy(out, v->value, sizeof(v->value));
		/* The copy before the second look at the sequence. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(seq & 1) &&
		    __atomic_load_n(&v->seq, __ATOMIC_RELAXED) == seq)
			return seq;
	} while (!limit || ++tries < limit);
	return seq | 1;
}

static inline void lv_shm_write(struct lv_shm *v, const unsigned char *in)
{
	uint32_t seq;

	do
		seq = __atomic_load_n(&v->seq, __ATOMIC_RELAXED) & ~1U;
	while (!__atomic_compare_exchange_n(&v->seq, &seq, seq + 1, false,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
	/* The odd sequence before any byte of the value. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(v->value, in, sizeof(v->value));
	/*
	 * Sequentially consistent, with the waiters' increment: either the
	 * waiter's futex sees the new sequence, or this sees the waiter.
	 */
	__atomic_store_n(&v->seq, seq + 2, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->waiters, __ATOMIC_SEQ_CST))
		futex(&v->seq, FUTEX_WAKE, INT_MAX);
}

/*
 * Wait for a value newer than the one read at sequence @seen. A write
 * in progress (odd) is slept through: its end wakes the waiters.
 */
static inline void lv_shm_wait(struct lv_shm *v, uint32_t seen)
{
	uint32_t seq;

	for (;;) {
		seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
		if (seq != seen && !(seq & 1))
			return;
		__atomic_fetch_add(&v->waiters, 1, __ATOMIC_SEQ_CST);
		/* EAGAIN when a write came after the load: look again. */
		futex(&v->seq, FUTEX_WAIT, seq);
		__atomic_fetch_sub(&v->waiters, 1, __ATOMIC_SEQ_CST);
	}
}

/*
 * tmpfs: the value is the file @name of the directory @dirfd. A writer
 * writes a file of its own temporary name and renames it over @name,
 * which replaces the name in one step: a reader opens either the old
 * file or the new one, each complete. Paths relative to an open
 * directory: the cheapest lookup there is.
 */
struct lv_file {
	int dirfd;
	const char *name;
	char tmp[32];
};

static inline void lv_file_tmp_name(struct lv_file *f, pid_t pid)
{
	snprintf(f->tmp, sizeof(f->tmp), "%s.tmp.%d", f->name, (int)pid);
}

/*
 * The value "value" in @dir, a new directory of its own, so that an
 * inotify watch of the directory sees the renames of this value alone.
 * No value yet: the caller writes the first.
 */
static inline void lv_file_open(struct lv_file *f, const char *dir)
{
	if (mkdir(dir, 0755))
		die("mkdir %s: %s", dir, strerror(errno));
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		die("open %s: %s", dir, strerror(errno));
	f->name = "value";
	lv_file_tmp_name(f, getpid());
}

/* Returns the bytes read, or -1 with errno (ENOENT: no value). */
static inline ssize_t lv_file_read(const struct lv_file *f, unsigned char *out)
{
	ssize_t n;
	int fd;

	fd = openat(f->dirfd, f->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, out, MSG_SLOT_MAX_MSG_LEN);
	close(fd);
	return n;
}

static inline int lv_file_write(const struct lv_file *f,
				const unsigned char *in)
{
	ssize_t n;
	int fd;

	fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
	if (fd < 0)
		return -1;
	n = write(fd, in, MSG_SLOT_MAX_MSG_LEN);
	close(fd);
	if (n != MSG_SLOT_MAX_MSG_LEN)
		return -1;
	return renameat(f->dirfd, f->tmp, f->dirfd, f->name);
}

/*
 * mq: a queue of depth 1 (mq_maxmsg = 1), on a non-blocking descriptor.
 * The write replaces: drop whatever the queue holds, then send; a full
 * queue means another writer (or a reader's resend) came in between, and
 * the write tries again, so the last writer wins. The read takes the
 * value out and sends it back, so that it stays for the next reader: a
 * queue has no peek. While the value is out, another reader finds none,
 * and two readers racing a writer can send an older value back after
 * the newer one was taken: the nearest to a last value a queue gives. A
 * reader that only receives (the ping-pong of message_slot_bench.c) has
 * the value to itself: a queue, not a last value.
 */
static inline mqd_t lv_mq_open(const char *name, int flags, mode_t mode)
{
	struct mq_attr attr = {
		.mq_maxmsg = 1,
		.mq_msgsize = MSG_SLOT_MAX_MSG_LEN,
	};

	return mq_open(name, flags | O_NONBLOCK | O_CLOEXEC, mode, &attr);
}

static inline int lv_mq_write(mqd_t q, const unsigned char *in)
{
	char drop[MSG_SLOT_MAX_MSG_LEN];

	for (;;) {
		if (mq_receive(q, drop, sizeof(drop), NULL) < 0 &&
		    errno != EAGAIN)
			return -1;
		if (!mq_send(q, (const char *)in, MSG_SLOT_MAX_MSG_LEN, 0))
			return 0;
		if (errno != EAGAIN)
			return -1;
	}
}

/* Returns the bytes read, or -1 with errno (EAGAIN: no value). */
static inline ssize_t lv_mq_read(mqd_t q, unsigned char *out)
{
	ssize_t n = mq_receive(q, (char *)out, MSG_SLOT_MAX_MSG_LEN, NULL);

	/* EAGAIN: a writer refilled the queue meanwhile, which is newer. */
	if (n > 0 && mq_send(q, (const char *)out, n, 0) && errno != EAGAIN)
		return -1;
	return n;
}

/* ---- Memory ------------------------------------------------------------ */

struct meminfo {
	long free_kb;		/* MemFree plus the per-CPU free lists */
	long memfree_kb;	/* MemFree alone */
	long slab_kb;
	long shmem_kb;
};

/*
 * Free pages held in the per-CPU lists of the page allocator, in kB.
 * MemFree leaves them out, and they come and go by megabytes as the lists
 * fill and drain: several bytes per channel even at 2^20 channels.
 */
static inline long pcp_free_kb(void)
{
	long pages = 0, count;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		die("/proc/zoneinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &count) == 1)
			pages += count;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static inline void read_meminfo(struct meminfo *m)
{
	char line[256];
	long kb;
	FILE *f;

	m->memfree_kb = -1;
	m->slab_kb = -1;
	m->shmem_kb = -1;
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			m->memfree_kb = kb;
		else if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			m->slab_kb = kb;
		else if (sscanf(line, "Shmem: %ld kB", &kb) == 1)
			m->shmem_kb = kb;
	}
	fclose(f);
	if (m->memfree_kb < 0 || m->slab_kb < 0 || m->shmem_kb < 0)
		die("no MemFree, Slab or Shmem in /proc/meminfo");
	m->free_kb = m->memfree_kb + pcp_free_kb();
}

static inline void shrink_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("/proc/sys/vm/drop_caches: %s", strerror(errno));
	if (write(fd, "3\n", 2) != 2)
		die("drop_caches: %s", strerror(errno));
	close(fd);
}

/*
 * Bring the kernel to rest before reading its memory, so that what is
 * freed late does not count as memory of what was just made. The slot's
 * store frees a table it replaced with kvfree_rcu(), which batches frees
 * for seconds: right after a fill, the previous table may still be
 * allocated. drop_caches runs the shrinkers, the kvfree_rcu() one among
 * them, which hands the batch to RCU; the membarrier waits for a grace
 * period (synchronize_rcu()); a workqueue then frees the batch. Repeat
 * until free memory stops rising. Returns the rounds it took, with the
 * final reading in @m.
 */
static inline unsigned int settle(struct meminfo *m)
{
	unsigned int round, stable = 0;
	long prev;

	read_meminfo(m);
	for (round = 1; round <= SETTLE_MAX_ROUNDS; round++) {
		prev = m->free_kb;
		shrink_caches();
		/* EINVAL under nohz_full: then the pause must do. */
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		sleep_ns(SETTLE_PAUSE_MS * NSEC_PER_MSEC);
		read_meminfo(m);
		stable = m->free_kb - prev < SETTLE_SLACK_KB ? stable + 1 : 0;
		if (stable == SETTLE_STABLE_ROUNDS)
			return round;
	}
	printf("# memory still moving after %u rounds\n", SETTLE_MAX_ROUNDS);
	return SETTLE_MAX_ROUNDS;
}

#endif /* MSG_SLOT_LASTVALUE_H */
