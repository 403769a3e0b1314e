/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions and helpers of the message_slot tests that use the kselftest
 * harness: open a slot, select a channel, write and read messages, find an
 * empty channel, and ask poll() and select() about a file; and the
 * fixture of the programs, a private directory of device nodes.
 * Include after kselftest_harness.h, with _GNU_SOURCE defined.
 */
#ifndef MSG_SLOT_TEST_H
#define MSG_SLOT_TEST_H

/* With those of msg_slot_common.h, what the test programs use. */
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/time_types.h>

#include "msg_slot_common.h"

#define BIG_BUF			4096

/* A program with a fixture of its own defines MSG_SLOT_TEST_NO_FIXTURE. */
#ifndef MSG_SLOT_TEST_NO_FIXTURE
FIXTURE(slot) {
	struct msg_slot_env env;
};

FIXTURE_SETUP(slot)
{
	msg_slot_env_setup(_metadata, &self->env);
}

/* In the parent, so the nodes go away even if the test crashes. */
FIXTURE_TEARDOWN_PARENT(slot)
{
	msg_slot_env_cleanup(&self->env);
}
#endif

/*
 * Bad user pointers, hidden from the compiler, which would rightly warn
 * about passing them to read() and write().
 */
static inline void *hide_ptr(void *p)
{
	__asm__ ("" : "+r" (p));
	return p;
}

#define null_buf	hide_ptr(NULL)
#define low_buf		hide_ptr((void *)1)

/* Evaluate @expr once and require it to fail with exactly @err. */
#define ASSERT_ERRNO(err, expr) do {					\
	int __want = (err), __err;					\
	long __ret;							\
									\
	errno = 0;							\
	__ret = (long)(expr);						\
	__err = errno;							\
	ASSERT_EQ(-1, __ret)						\
		TH_LOG("%s succeeded, want %s", #expr,			\
		       strerror(__want));				\
	ASSERT_EQ(__want, __err)					\
		TH_LOG("%s: got %s, want %s", #expr,			\
		       strerror(__err), strerror(__want));		\
} while (0)

static inline int open_minor(struct __test_metadata *_metadata,
			     const struct msg_slot_env *env, unsigned int minor)
{
	int fd = msg_slot_open(env, minor, O_RDWR);

	ASSERT_LE(0, fd) TH_LOG("open minor %u: %s", minor, strerror(errno));
	return fd;
}

static inline void set_channel(struct __test_metadata *_metadata, int fd,
			       unsigned long id)
{
	ASSERT_EQ(0, msg_slot_set_channel(fd, id))
		TH_LOG("MSG_SLOT_CHANNEL %lu: %s", id, strerror(errno));
}

static inline void put_msg(struct __test_metadata *_metadata, int fd,
			   const void *buf, size_t len)
{
	ASSERT_EQ((ssize_t)len, write(fd, buf, len))
		TH_LOG("write of %zu bytes: %s", len, strerror(errno));
}

/* Read with a roomy buffer and require exactly @len bytes equal to @buf. */
static inline void check_msg(struct __test_metadata *_metadata, int fd,
			     const void *buf, size_t len)
{
	unsigned char got[BIG_BUF];

	memset(got, 0xa5, sizeof(got));
	ASSERT_EQ((ssize_t)len, read(fd, got, sizeof(got)))
		TH_LOG("read: %s", strerror(errno));
	ASSERT_EQ(0, memcmp(got, buf, len));
}

static inline void put_str(struct __test_metadata *_metadata, int fd,
			   const char *s)
{
	put_msg(_metadata, fd, s, strlen(s));
}

static inline void check_str(struct __test_metadata *_metadata, int fd,
			     const char *s)
{
	check_msg(_metadata, fd, s, strlen(s));
}

/*
 * A message stays until it is overwritten or cleared, and a program may
 * run more than once per boot (the 32-bit builds run after the 64-bit
 * ones), so a test that needs an empty channel looks for one with
 * fresh_channel(), from a base of its own: each test has a range of
 * FRESH_SPAN ids and takes a few of them per run.
 */
#define FRESH_SPAN		0x10000U
#define FRESH_BASE(n)		(0x10000000U + (n) * FRESH_SPAN)

/* Wait for @pid and require a clean exit 0. */
static inline void wait_child(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child failed at step %d", WEXITSTATUS(status));
}

/*
 * Return a buffer whose first @mapped bytes are readable and writable and
 * whose following bytes are unmapped.
 */
static inline char *straddling_buffer(struct __test_metadata *_metadata,
				      size_t mapped, void **map,
				      size_t *map_len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p;

	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* A comparison, not the pointers: -m32 cannot print them as numbers. */
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_EQ(0, munmap(p + page, page));
	*map = p;
	*map_len = page;
	return p + page - mapped;
}

/* Fill @info from @fd, poisoned first so every field must be written. */
static inline void get_info(struct __test_metadata *_metadata, int fd,
			    struct msg_slot_channel_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_INFO, info))
		TH_LOG("MSG_SLOT_CHANNEL_INFO: %s", strerror(errno));
}

/*
 * Select on @fd the first channel from @base on that holds no message,
 * never written or cleared since, and return its id.
 */
static inline uint32_t fresh_channel(struct __test_metadata *_metadata, int fd,
				     uint32_t base)
{
	struct msg_slot_channel_info info;
	uint32_t id;

	for (id = base; id < base + FRESH_SPAN; id++) {
		set_channel(_metadata, fd, id);
		get_info(_metadata, fd, &info);
		ASSERT_EQ(id, info.channel);
		/* A channel has a seq exactly while it holds a message. */
		ASSERT_EQ(!info.len, !info.seq)
			TH_LOG("channel %u: len %u seq %llu", id, info.len,
			       (unsigned long long)info.seq);
		if (!info.seq)
			return id;
	}
	ASSERT_TRUE(false)
		TH_LOG("no empty channel in %u..%u", base,
		       base + FRESH_SPAN - 1);
	return 0;
}

/*
 * Write @s on the channel of @fd and return the seq the write took: the
 * slot's write stamp, from which a test counts the seqs of its next
 * writes. A program's tests run one at a time and keep to minors of its
 * own, so no other write can take a number in between.
 */
static inline uint64_t put_str_seq(struct __test_metadata *_metadata, int fd,
				   const char *s)
{
	struct msg_slot_channel_info info;

	put_str(_metadata, fd, s);
	get_info(_metadata, fd, &info);
	ASSERT_EQ(strlen(s), info.len);
	ASSERT_NE(0U, info.seq);
	return info.seq;
}

/* A macro, so that a failure names the line of the test. */
#define CHECK_INFO(fd, want_channel, want_len, want_seq) do {		\
	struct msg_slot_channel_info __info;				\
									\
	get_info(_metadata, (fd), &__info);				\
	ASSERT_EQ((uint32_t)(want_channel), __info.channel);		\
	ASSERT_EQ((uint32_t)(want_len), __info.len);			\
	ASSERT_EQ((uint64_t)(want_seq), __info.seq);			\
} while (0)

/*
 * poll() with a zero timeout: the events of @fd right now, 0 for none (a
 * file with no channel selected).
 */
static inline short poll_now(struct __test_metadata *_metadata, int fd)
{
	struct pollfd pfd = {
		.fd = fd,
		.events = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
	};
	int ret = poll(&pfd, 1, 0);

	ASSERT_LE(0, ret) TH_LOG("poll: %s", strerror(errno));
	ASSERT_EQ(ret, !!pfd.revents);
	return pfd.revents;
}

/*
 * select() of @fd for reading, for up to @timeout_ms: 1 if readable, 0 if
 * not, -1 with errno on an error.
 *
 * Where there is a call of 64-bit times (32-bit programs), make that one:
 * glibc would make the old call of 32-bit times whenever the timeout fits,
 * and a kernel without CONFIG_COMPAT_32BIT_TIME has no such call.
 */
static inline int select_read(int fd, int timeout_ms)
{
#ifdef __NR_pselect6_time64
	struct __kernel_timespec timeout = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = timeout_ms % 1000 * 1000000L,
	};
#else
	struct timeval timeout = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = timeout_ms % 1000 * 1000,
	};
#endif
	fd_set rfds;
	int ret;

	FD_ZERO(&rfds);
	FD_SET(fd, &rfds);
#ifdef __NR_pselect6_time64
	ret = syscall(__NR_pselect6_time64, fd + 1, &rfds, NULL, NULL,
		      &timeout, NULL);
#else
	ret = select(fd + 1, &rfds, NULL, NULL, &timeout);
#endif
	if (ret < 0)
		return -1;
	return ret == 1 && FD_ISSET(fd, &rfds);
}

/* Whether select() with a zero timeout finds @fd readable. */
static inline bool select_readable_now(struct __test_metadata *_metadata,
				       int fd)
{
	int ret = select_read(fd, 0);

	ASSERT_LE(0, ret) TH_LOG("select: %s", strerror(errno));
	return ret;
}

#define POLL_NONE	0
#define POLL_WRITABLE	(POLLOUT | POLLWRNORM)
#define POLL_READABLE	(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)

/* poll() and select() must agree on whether @fd is readable. */
#define CHECK_POLL(fd, want) do {					\
	int __fd = (fd);						\
	short __want = (want);						\
									\
	ASSERT_EQ(__want, poll_now(_metadata, __fd));			\
	ASSERT_EQ(!!(__want & POLLIN), select_readable_now(_metadata, __fd)); \
} while (0)

#endif /* MSG_SLOT_TEST_H */
