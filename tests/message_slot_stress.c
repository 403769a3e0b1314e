// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress test of the message_slot character device.
 *
 * Writers keep replacing the message of a channel while readers keep
 * reading it; every read must return one whole message that some writer
 * wrote, never a mix of two. Openers meanwhile keep opening and closing
 * files of the busy slot and of other slots. Messages check themselves:
 * the first byte is a tag, and the length and every other byte are
 * derived from the tag and the channel's salt, so a torn read (length of
 * one message, bytes of another, or bytes of two) almost surely fails to
 * verify.
 *
 * Environment:
 *   MSG_SLOT_STRESS_OPS  total reads per test (default 250000, so that
 *                        the four tests read a million times)
 *   MSG_SLOT_SEED        seed of the writers' tag sequence, printed on
 *                        each run so that a failure can be replayed
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "msg_slot_common.h"
#include "msg_slot_extra.h"

#define DEFAULT_OPS	250000UL
#define MAX_THREADS	16U
#define NR_TAGS		256
#define MAX_CHANNELS	2
/* Openers cycle through this many minors after the busy one. */
#define NR_STORM_MINORS	8U

/* Precomputed messages: [salt index][tag]. Salt index = channel index. */
static unsigned char msgs[MAX_CHANNELS][NR_TAGS][MSG_SLOT_MAX_MSG_LEN];
static size_t msg_lens[MAX_CHANNELS][NR_TAGS];

static void build_messages(void)
{
	unsigned int s, t, i;

	for (s = 0; s < MAX_CHANNELS; s++) {
		for (t = 0; t < NR_TAGS; t++) {
			uint32_t base = (s + 1) << 24 | t << 16;

			/* Lengths cover 1..MSG_SLOT_MAX_MSG_LEN. */
			msg_lens[s][t] = 1 + msg_slot_mix32(base) % MSG_SLOT_MAX_MSG_LEN;
			msgs[s][t][0] = t;
			for (i = 1; i < MSG_SLOT_MAX_MSG_LEN; i++)
				msgs[s][t][i] = msg_slot_mix32(base | i) >> 24;
		}
	}
}

static bool valid_for_salt(unsigned int s, const unsigned char *buf,
			   ssize_t len)
{
	unsigned int t = buf[0];

	return len >= 1 && (size_t)len == msg_lens[s][t] &&
	       !memcmp(buf, msgs[s][t], len);
}

struct stress_run {
	const struct msg_slot_env *env;
	unsigned int minor;
	unsigned int nr_channels;
	unsigned long channels[MAX_CHANNELS];
	/* -1, or the one open file every thread goes through */
	int shared_fd;
	pthread_barrier_t start;
	int readers_left;
	int stop;
	struct stress_thread *threads;
	unsigned int nr_threads;
};

enum stress_role { ROLE_WRITER, ROLE_READER, ROLE_SWITCHER, ROLE_OPENER };

struct stress_thread {
	pthread_t tid;
	struct stress_run *run;
	enum stress_role role;
	unsigned int chan;	/* index into run->channels */
	int fd;
	uint32_t rng;
	unsigned long ops;	/* reads to do, for readers */
	unsigned long done;
	unsigned long torn;
	unsigned long errors;
	int first_errno;
	ssize_t torn_len;
	unsigned char torn_sample[MSG_SLOT_MAX_MSG_LEN];
};

static uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static void note_error(struct stress_thread *t, int err)
{
	if (!t->errors++)
		t->first_errno = err;
}

static bool stopped(struct stress_run *run)
{
	return __atomic_load_n(&run->stop, __ATOMIC_RELAXED);
}

static void writer(struct stress_thread *t)
{
	unsigned int s = t->chan;

	while (!stopped(t->run)) {
		unsigned int tag = xorshift32(&t->rng) % NR_TAGS;
		ssize_t n = write(t->fd, msgs[s][tag], msg_lens[s][tag]);

		if (n < 0)
			note_error(t, errno);
		else if ((size_t)n != msg_lens[s][tag])
			note_error(t, EIO);
		t->done++;
	}
}

static void reader(struct stress_thread *t)
{
	struct stress_run *run = t->run;
	unsigned char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned long i;
	unsigned int s;

	for (i = 0; i < t->ops; i++) {
		ssize_t n = read(t->fd, buf, sizeof(buf));
		bool ok = false;

		t->done++;
		if (n < 0) {
			note_error(t, errno);
			continue;
		}
		/*
		 * Through a private file only this channel's messages may
		 * show up. Through the shared file the channel can change
		 * between a writer's write and ours, so any whole message
		 * of either channel is fine.
		 */
		if (run->shared_fd < 0) {
			ok = valid_for_salt(t->chan, buf, n);
		} else {
			for (s = 0; s < run->nr_channels && !ok; s++)
				ok = valid_for_salt(s, buf, n);
		}
		if (!ok && !t->torn++) {
			t->torn_len = n;
			memcpy(t->torn_sample, buf, n);
		}
	}
	/* The last reader to finish stops the writers and the switcher. */
	if (__atomic_sub_fetch(&run->readers_left, 1, __ATOMIC_SEQ_CST) == 0)
		__atomic_store_n(&run->stop, 1, __ATOMIC_SEQ_CST);
}

static void switcher(struct stress_thread *t)
{
	struct stress_run *run = t->run;
	unsigned int c = 0;

	while (!stopped(run)) {
		c = (c + 1) % run->nr_channels;
		if (msg_slot_set_channel(run->shared_fd, run->channels[c]))
			note_error(t, errno);
		t->done++;
	}
}

/*
 * An opener reads the busy channel through a file of its own each time,
 * and opens and closes a file of another slot in between, so files come
 * and go on every slot while the others work.
 */
static void opener(struct stress_thread *t)
{
	struct stress_run *run = t->run;
	unsigned char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned int other = 0;
	ssize_t n;
	int fd;

	while (!stopped(run)) {
		fd = msg_slot_open(run->env, run->minor, O_RDONLY);
		if (fd < 0) {
			note_error(t, errno);
		} else {
			if (msg_slot_set_channel(fd, run->channels[t->chan]))
				note_error(t, errno);
			n = read(fd, buf, sizeof(buf));
			if (n < 0)
				note_error(t, errno);
			else if (!valid_for_salt(t->chan, buf, n) && !t->torn++)
				memcpy(t->torn_sample, buf, t->torn_len = n);
			close(fd);
		}

		other = (other + 1) % NR_STORM_MINORS;
		fd = msg_slot_open(run->env, run->minor + 1 + other, O_RDWR);
		if (fd < 0)
			note_error(t, errno);
		else
			close(fd);
		t->done++;
	}
}

static void *stress_thread_fn(void *arg)
{
	struct stress_thread *t = arg;

	/* Everyone starts together, so the operations really overlap. */
	pthread_barrier_wait(&t->run->start);
	switch (t->role) {
	case ROLE_WRITER:
		writer(t);
		break;
	case ROLE_READER:
		reader(t);
		break;
	case ROLE_SWITCHER:
		switcher(t);
		break;
	case ROLE_OPENER:
		opener(t);
		break;
	}
	return NULL;
}

/* The number in environment variable @name, or @def when it is unset. */
static unsigned long env_ulong(struct __test_metadata *_metadata,
			       const char *name, unsigned long def)
{
	unsigned long val;

	ASSERT_TRUE(msg_slot_env_ulong(name, def, &val))
		TH_LOG("bad %s='%s'", name, getenv(name));
	return val;
}

FIXTURE(stress) {
	struct msg_slot_env env;
	struct stress_run run;
	struct stress_thread threads[MAX_THREADS];
};

FIXTURE_VARIANT(stress) {
	unsigned int minor;
	unsigned int writers;
	unsigned int readers;
	unsigned int openers;
	unsigned int nr_channels;
	unsigned long channels[MAX_CHANNELS];
	bool shared_fd;		/* also adds a channel switching thread */
};

/* The plain case: readers and writers on one channel, own files each. */
FIXTURE_VARIANT_ADD(stress, one_channel) {
	.minor = 150,
	.writers = 2,
	.readers = 2,
	.nr_channels = 1,
	.channels = { 1 },
	.shared_fd = false,
};

/* Two busy channels of one slot must never leak into each other. */
FIXTURE_VARIANT_ADD(stress, two_channels) {
	.minor = 150,
	.writers = 4,
	.readers = 2,
	.nr_channels = 2,
	.channels = { 2, 3 },
	.shared_fd = false,
};

/* One open file whose channel keeps changing under its readers/writers. */
FIXTURE_VARIANT_ADD(stress, shared_fd_switching) {
	.minor = 151,
	.writers = 2,
	.readers = 2,
	.nr_channels = 2,
	.channels = { 1, 2 },
	.shared_fd = true,
};

/* Files of the busy slot and of eight others open and close meanwhile. */
FIXTURE_VARIANT_ADD(stress, open_close_storm) {
	.minor = 160,
	.writers = 2,
	.readers = 2,
	.openers = 2,
	.nr_channels = 1,
	.channels = { 1 },
	.shared_fd = false,
};

FIXTURE_SETUP(stress)
{
	if (!msg_slot_env_setup(_metadata, &self->env))
		return;
	self->run.shared_fd = -1;
}

FIXTURE_TEARDOWN_PARENT(stress)
{
	msg_slot_env_cleanup(&self->env);
}

static int open_on_channel(struct __test_metadata *_metadata,
			   struct stress_run *run, unsigned int chan)
{
	int fd = msg_slot_open(run->env, run->minor, O_RDWR);

	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, msg_slot_set_channel(fd, run->channels[chan]))
		TH_LOG("MSG_SLOT_CHANNEL: %s", strerror(errno));
	return fd;
}

static struct stress_thread *add_thread(struct __test_metadata *_metadata,
					struct stress_run *run,
					enum stress_role role,
					unsigned int chan, uint32_t seed)
{
	struct stress_thread *t;

	ASSERT_GT(MAX_THREADS, run->nr_threads);
	t = &run->threads[run->nr_threads];
	memset(t, 0, sizeof(*t));
	t->run = run;
	t->role = role;
	t->chan = chan;
	/* Distinct, non-zero xorshift state per thread. */
	t->rng = seed ^ (0x9e3779b9U * (run->nr_threads + 1));
	if (!t->rng)
		t->rng = 1;
	if (run->shared_fd >= 0)
		t->fd = run->shared_fd;
	else
		t->fd = open_on_channel(_metadata, run, chan);
	run->nr_threads++;
	return t;
}

TEST_F_TIMEOUT(stress, concurrent_io, 240)
{
	struct stress_run *run = &self->run;
	unsigned long ops, reads = 0, writes = 0, switches = 0, opens = 0;
	unsigned long torn = 0, errors = 0;
	unsigned int i, c;
	uint32_t seed;
	int fd;

	ops = env_ulong(_metadata, "MSG_SLOT_STRESS_OPS", DEFAULT_OPS);
	seed = env_ulong(_metadata, "MSG_SLOT_SEED",
			 (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16);
	TH_LOG("seed %u (replay with MSG_SLOT_SEED=%u), %lu reads",
	       seed, seed, ops);
	ASSERT_LE(variant->readers, ops);

	build_messages();
	run->env = &self->env;
	run->minor = variant->minor;
	run->nr_channels = variant->nr_channels;
	memcpy(run->channels, variant->channels, sizeof(run->channels));
	run->readers_left = variant->readers;
	run->threads = self->threads;

	/*
	 * Start every channel with a valid message (a previous run may have
	 * left anything there), so no read may ever fail.
	 */
	fd = open_on_channel(_metadata, run, 0);
	for (c = 0; c < run->nr_channels; c++) {
		ASSERT_EQ(0, msg_slot_set_channel(fd, run->channels[c]));
		ASSERT_EQ((ssize_t)msg_lens[c][0],
			  write(fd, msgs[c][0], msg_lens[c][0]));
	}
	if (variant->shared_fd)
		run->shared_fd = fd;
	else
		close(fd);

	for (i = 0; i < variant->writers; i++)
		add_thread(_metadata, run, ROLE_WRITER,
			   i % run->nr_channels, seed);
	for (i = 0; i < variant->readers; i++) {
		struct stress_thread *t;

		t = add_thread(_metadata, run, ROLE_READER,
			       i % run->nr_channels, seed);
		/* Split the reads evenly, the first reader takes the rest. */
		t->ops = ops / variant->readers +
			 (i ? 0 : ops % variant->readers);
	}
	if (variant->shared_fd)
		add_thread(_metadata, run, ROLE_SWITCHER, 0, seed);
	for (i = 0; i < variant->openers; i++) {
		struct stress_thread *t;

		t = add_thread(_metadata, run, ROLE_OPENER, 0, seed);
		/* Openers use files of their own, one per iteration. */
		close(t->fd);
		t->fd = -1;
	}

	ASSERT_EQ(0, pthread_barrier_init(&run->start, NULL,
					  run->nr_threads));
	for (i = 0; i < run->nr_threads; i++)
		ASSERT_EQ(0, pthread_create(&run->threads[i].tid, NULL,
					    stress_thread_fn,
					    &run->threads[i]));
	for (i = 0; i < run->nr_threads; i++)
		ASSERT_EQ(0, pthread_join(run->threads[i].tid, NULL));
	pthread_barrier_destroy(&run->start);

	for (i = 0; i < run->nr_threads; i++) {
		struct stress_thread *t = &run->threads[i];
		static const char *const names[] = {
			[ROLE_WRITER] = "writer",
			[ROLE_READER] = "reader",
			[ROLE_SWITCHER] = "switcher",
			[ROLE_OPENER] = "opener",
		};
		char where[32], dump[3 * 16 + 1] = "";
		ssize_t j;

		if (t->role == ROLE_OPENER)
			snprintf(where, sizeof(where), "%u slots",
				 NR_STORM_MINORS + 1);
		else if (run->shared_fd >= 0)
			snprintf(where, sizeof(where), "shared file");
		else
			snprintf(where, sizeof(where), "channel %lu",
				 run->channels[t->chan]);
		TH_LOG("%s %u (%s): %lu ops, %lu torn, %lu errors%s%s",
		       names[t->role], i, where, t->done, t->torn, t->errors,
		       t->errors ? ", first: " : "",
		       t->errors ? strerror(t->first_errno) : "");
		if (t->torn) {
			for (j = 0; j < t->torn_len && j < 16; j++)
				sprintf(dump + 3 * j, " %02x", t->torn_sample[j]);
			TH_LOG("  first torn read: %zd bytes:%s", t->torn_len,
			       dump);
		}
		if (t->role == ROLE_READER)
			reads += t->done;
		else if (t->role == ROLE_WRITER)
			writes += t->done;
		else if (t->role == ROLE_OPENER)
			opens += t->done;
		else
			switches += t->done;
		torn += t->torn;
		errors += t->errors;
		if (t->fd >= 0 && t->fd != run->shared_fd)
			close(t->fd);
	}
	TH_LOG("total: %lu reads, %lu writes, %lu switches, %lu opens, %lu torn, %lu errors",
	       reads, writes, switches, opens, torn, errors);

	EXPECT_EQ(ops, reads);
	EXPECT_EQ(0UL, torn);
	EXPECT_EQ(0UL, errors);
	/* Writers start with the readers, so some writes must get in. */
	EXPECT_LT(0UL, writes);
	if (variant->shared_fd)
		EXPECT_LT(0UL, switches);
	if (variant->openers)
		EXPECT_LT(0UL, opens);

	/* Afterwards every channel holds one whole message of its own. */
	fd = open_on_channel(_metadata, run, 0);
	for (c = 0; c < run->nr_channels; c++) {
		unsigned char buf[MSG_SLOT_MAX_MSG_LEN];
		ssize_t n;
		bool ok = false;

		ASSERT_EQ(0, msg_slot_set_channel(fd, run->channels[c]));
		n = read(fd, buf, sizeof(buf));
		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
		for (i = 0; i < run->nr_channels && !ok; i++) {
			if (variant->shared_fd || i == c)
				ok = valid_for_salt(i, buf, n);
		}
		EXPECT_TRUE(ok) TH_LOG("channel %lu holds a torn message",
				       run->channels[c]);
	}
	close(fd);
	if (run->shared_fd >= 0)
		close(run->shared_fd);
}

TEST_HARNESS_MAIN
