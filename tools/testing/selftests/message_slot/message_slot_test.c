// SPDX-License-Identifier: GPL-2.0
/*
 * Functional tests of the message_slot character device.
 *
 * Channels persist for as long as the module is loaded, so a test never
 * assumes a channel starts empty unless no test ever writes to it: every
 * test area has its own minor, and each test writes before it asserts on
 * content. The whole program can therefore be run again in the same boot.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "msg_slot_common.h"

/*
 * Minors, one per test area, so that areas cannot see each other's
 * channels. The other selftests keep to their own minors: stress 150 to
 * 169, fault injection 200 to 239, the fuzzer 240 to 243 and the
 * resource limits 250 and 251.
 */
#define MINOR_NO_CHANNEL	0	/* never written: errors before any I/O */
#define MINOR_IO		1	/* sizes, overwrite, binary data */
#define MINOR_IDS		2	/* channel id boundaries */
#define MINOR_CHANNELS		3	/* channel isolation */
#define MINOR_ISO_A		4	/* minor isolation ... */
#define MINOR_ISO_B		5
#define MINOR_ISO_C		6
#define MINOR_ISO_LAST		255
#define MINOR_FILES		7	/* per-file channel, reopen */
#define MINOR_FORK		8
#define MINOR_FAULT		9
#define MINOR_ULONG		10
#define MINOR_SEEK		11
#define MINOR_EMPTY		12	/* never written: always EWOULDBLOCK */
#define MINOR_SAMPLES		20
#define MINOR_LIMIT		100	/* max_channels, see the limit fixture */
#define MINOR_LIMIT_OTHER	101

#define BIG_BUF			4096

/*
 * Bad user pointers, hidden from the compiler, which would rightly warn
 * about passing them to read() and write().
 */
static void *hide_ptr(void *p)
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

static int open_minor(struct __test_metadata *_metadata,
		      const struct msg_slot_env *env, unsigned int minor)
{
	int fd = msg_slot_open(env, minor, O_RDWR);

	ASSERT_LE(0, fd) TH_LOG("open minor %u: %s", minor, strerror(errno));
	return fd;
}

static void set_channel(struct __test_metadata *_metadata, int fd,
			unsigned long id)
{
	ASSERT_EQ(0, msg_slot_set_channel(fd, id))
		TH_LOG("MSG_SLOT_CHANNEL %lu: %s", id, strerror(errno));
}

static void put_msg(struct __test_metadata *_metadata, int fd,
		    const void *buf, size_t len)
{
	ASSERT_EQ((ssize_t)len, write(fd, buf, len))
		TH_LOG("write of %zu bytes: %s", len, strerror(errno));
}

/* Read with a roomy buffer and require exactly @len bytes equal to @buf. */
static void check_msg(struct __test_metadata *_metadata, int fd,
		      const void *buf, size_t len)
{
	unsigned char got[BIG_BUF];

	memset(got, 0xa5, sizeof(got));
	ASSERT_EQ((ssize_t)len, read(fd, got, sizeof(got)))
		TH_LOG("read: %s", strerror(errno));
	ASSERT_EQ(0, memcmp(got, buf, len));
}

static void put_str(struct __test_metadata *_metadata, int fd, const char *s)
{
	put_msg(_metadata, fd, s, strlen(s));
}

static void check_str(struct __test_metadata *_metadata, int fd,
		      const char *s)
{
	check_msg(_metadata, fd, s, strlen(s));
}

TEST_F(slot, read_write_without_channel)
{
	char buf[BIG_BUF] = "x";
	int fd = open_minor(_metadata, &self->env, MINOR_NO_CHANNEL);

	/* No channel is checked before sizes and buffers. */
	ASSERT_ERRNO(EINVAL, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EINVAL, read(fd, buf, 1));
	ASSERT_ERRNO(EINVAL, read(fd, null_buf, 0));
	ASSERT_ERRNO(EINVAL, read(fd, null_buf, MSG_SLOT_MAX_MSG_LEN));
	ASSERT_ERRNO(EINVAL, write(fd, buf, 1));
	ASSERT_ERRNO(EINVAL, write(fd, buf, 0));
	ASSERT_ERRNO(EINVAL, write(fd, buf, MSG_SLOT_MAX_MSG_LEN + 1));
	ASSERT_ERRNO(EINVAL, write(fd, null_buf, 5));
	close(fd);
}

TEST_F(slot, ioctl_invalid_channel_id)
{
	char buf[MSG_SLOT_MAX_MSG_LEN];
	int fd = open_minor(_metadata, &self->env, MINOR_NO_CHANNEL);

	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL, 0UL));
	if (sizeof(unsigned long) > sizeof(uint32_t)) {
		unsigned long big = (unsigned long)UINT32_MAX + 1;

		/* Must not be truncated to 0 or 1 on the way in. */
		ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL, big));
		ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL, big + 1));
		ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL, ULONG_MAX));
	}
	/* A rejected id selects nothing. */
	ASSERT_ERRNO(EINVAL, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(slot, ioctl_unknown_command)
{
	static const unsigned long cmds[] = {
		_IOW(MSG_SLOT_IOC_MAGIC, 1, unsigned int),
		_IOW(MSG_SLOT_IOC_MAGIC, 0xff, unsigned int),
		_IOR(MSG_SLOT_IOC_MAGIC, 0, unsigned int),
		_IOWR(MSG_SLOT_IOC_MAGIC, 0, unsigned int),
		_IO(MSG_SLOT_IOC_MAGIC, 0),
		_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned short),
		_IOW('x', 0, unsigned int),
		0,
	};
	char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned int i;
	int fd = open_minor(_metadata, &self->env, MINOR_NO_CHANNEL);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], 1UL))
			TH_LOG("ioctl cmd %#lx accepted", cmds[i]);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("ioctl cmd %#lx: %s", cmds[i], strerror(errno));
	}
	/* None of them may have selected channel 1. */
	ASSERT_ERRNO(EINVAL, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(slot, ioctl_unsigned_long_encoding)
{
	int fd = open_minor(_metadata, &self->env, MINOR_ULONG);
	int fd2 = open_minor(_metadata, &self->env, MINOR_ULONG);

	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_UL, 7UL))
		TH_LOG("unsigned long MSG_SLOT_CHANNEL: %s", strerror(errno));
	put_str(_metadata, fd, "via unsigned long");

	/* Both encodings must name the same channel. */
	set_channel(_metadata, fd2, 7);
	check_str(_metadata, fd2, "via unsigned long");
	ASSERT_EQ(0, ioctl(fd2, MSG_SLOT_CHANNEL_UL, 8UL));
	put_str(_metadata, fd2, "channel 8");
	set_channel(_metadata, fd, 8);
	check_str(_metadata, fd, "channel 8");

	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL_UL, 0UL));
	if (sizeof(unsigned long) > sizeof(uint32_t))
		ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL_UL,
					   (unsigned long)UINT32_MAX + 1));
	close(fd2);
	close(fd);
}

TEST_F(slot, channel_id_boundaries)
{
	static const unsigned long ids[] = {
		1, 2, MSG_SLOT_MAX_CHANNELS - 1, MSG_SLOT_MAX_CHANNELS,
		MSG_SLOT_MAX_CHANNELS + 1, 0x80000000UL, UINT32_MAX - 1,
		UINT32_MAX,
	};
	char msg[64];
	unsigned int i;
	int fd = open_minor(_metadata, &self->env, MINOR_IDS);

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		set_channel(_metadata, fd, ids[i]);
		snprintf(msg, sizeof(msg), "channel id %lu", ids[i]);
		put_str(_metadata, fd, msg);
	}
	/* Read back only after all writes: no two ids may alias. */
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		set_channel(_metadata, fd, ids[i]);
		snprintf(msg, sizeof(msg), "channel id %lu", ids[i]);
		check_str(_metadata, fd, msg);
	}
	close(fd);
}

TEST_F(slot, write_sizes)
{
	unsigned char buf[BIG_BUF];
	unsigned int i;
	int fd = open_minor(_metadata, &self->env, MINOR_IO);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 'a' + i % 26;
	set_channel(_metadata, fd, 11);

	put_msg(_metadata, fd, "1", 1);
	check_msg(_metadata, fd, "1", 1);
	put_msg(_metadata, fd, buf, MSG_SLOT_MAX_MSG_LEN);
	check_msg(_metadata, fd, buf, MSG_SLOT_MAX_MSG_LEN);

	/* Rejected writes leave the stored message alone. */
	put_str(_metadata, fd, "keep me");
	ASSERT_ERRNO(EMSGSIZE, write(fd, buf, 0));
	ASSERT_ERRNO(EMSGSIZE, write(fd, buf, MSG_SLOT_MAX_MSG_LEN + 1));
	ASSERT_ERRNO(EMSGSIZE, write(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EMSGSIZE, write(fd, null_buf, 0));
	check_str(_metadata, fd, "keep me");
	close(fd);
}

TEST_F(slot, read_sizes_and_order)
{
	char buf[BIG_BUF];
	int fd = open_minor(_metadata, &self->env, MINOR_IO);

	set_channel(_metadata, fd, 12);
	put_str(_metadata, fd, "0123456789");

	ASSERT_ERRNO(ENOSPC, read(fd, buf, 0));
	ASSERT_ERRNO(ENOSPC, read(fd, buf, 1));
	ASSERT_ERRNO(ENOSPC, read(fd, buf, 9));
	/* Too small is reported before the buffer is looked at. */
	ASSERT_ERRNO(ENOSPC, read(fd, null_buf, 9));
	ASSERT_ERRNO(ENOSPC, read(fd, null_buf, 0));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(10, read(fd, buf, 10));
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(10, read(fd, buf, 11));
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(10, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
	close(fd);
}

TEST_F(slot, read_without_message)
{
	char buf[BIG_BUF];
	int fd = open_minor(_metadata, &self->env, MINOR_EMPTY);

	/* Nothing ever writes to this minor. */
	set_channel(_metadata, fd, 1);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, MSG_SLOT_MAX_MSG_LEN));
	/* No message is reported before a size or buffer problem. */
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, 0));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, null_buf, MSG_SLOT_MAX_MSG_LEN));
	set_channel(_metadata, fd, UINT32_MAX);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(slot, reads_do_not_consume)
{
	int i, fd = open_minor(_metadata, &self->env, MINOR_IO);
	int fd2 = open_minor(_metadata, &self->env, MINOR_IO);

	set_channel(_metadata, fd, 13);
	set_channel(_metadata, fd2, 13);
	put_str(_metadata, fd, "read me twice");
	for (i = 0; i < 3; i++) {
		check_str(_metadata, fd, "read me twice");
		check_str(_metadata, fd2, "read me twice");
	}
	close(fd2);
	close(fd);
}

TEST_F(slot, overwrite_shorter_and_longer)
{
	char longer[MSG_SLOT_MAX_MSG_LEN];
	int fd = open_minor(_metadata, &self->env, MINOR_IO);

	memset(longer, 'L', sizeof(longer));
	set_channel(_metadata, fd, 14);
	put_msg(_metadata, fd, longer, sizeof(longer));
	put_str(_metadata, fd, "short");
	check_str(_metadata, fd, "short");
	put_msg(_metadata, fd, "x", 1);
	check_msg(_metadata, fd, "x", 1);
	put_msg(_metadata, fd, longer, sizeof(longer));
	check_msg(_metadata, fd, longer, sizeof(longer));
	close(fd);
}

TEST_F(slot, binary_data)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned int i;
	int fd = open_minor(_metadata, &self->env, MINOR_IO);

	set_channel(_metadata, fd, 15);
	/* Every byte value, including NULs in the middle and at the end. */
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (i * 7) % 3 ? i * 2 : 0;
	put_msg(_metadata, fd, msg, sizeof(msg));
	check_msg(_metadata, fd, msg, sizeof(msg));

	memset(msg, 0, sizeof(msg));
	put_msg(_metadata, fd, msg, sizeof(msg));
	check_msg(_metadata, fd, msg, sizeof(msg));

	put_msg(_metadata, fd, msg, 1);
	check_msg(_metadata, fd, msg, 1);

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = 0xff - i;
	put_msg(_metadata, fd, msg, sizeof(msg));
	check_msg(_metadata, fd, msg, sizeof(msg));
	close(fd);
}

TEST_F(slot, channel_isolation)
{
	char buf[BIG_BUF];
	int fd = open_minor(_metadata, &self->env, MINOR_CHANNELS);
	int fd2 = open_minor(_metadata, &self->env, MINOR_CHANNELS);

	set_channel(_metadata, fd, 100);
	put_str(_metadata, fd, "hundred");
	set_channel(_metadata, fd, 101);
	put_str(_metadata, fd, "hundred and one");
	set_channel(_metadata, fd, 102);
	put_str(_metadata, fd, "hundred and two");

	/* Switching back on the same file sees the old channel again. */
	set_channel(_metadata, fd, 100);
	check_str(_metadata, fd, "hundred");

	set_channel(_metadata, fd2, 101);
	check_str(_metadata, fd2, "hundred and one");
	set_channel(_metadata, fd2, 102);
	check_str(_metadata, fd2, "hundred and two");

	/* Overwriting one channel leaves its neighbours alone. */
	set_channel(_metadata, fd, 101);
	put_str(_metadata, fd, "101 again");
	check_str(_metadata, fd2, "hundred and two");
	set_channel(_metadata, fd2, 100);
	check_str(_metadata, fd2, "hundred");
	set_channel(_metadata, fd2, 101);
	check_str(_metadata, fd2, "101 again");

	/* Channel 103 of this minor is never written. */
	set_channel(_metadata, fd2, 103);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd2, buf, sizeof(buf)));
	close(fd2);
	close(fd);
}

TEST_F(slot, minor_isolation)
{
	static const unsigned int minors[] = {
		MINOR_ISO_A, MINOR_ISO_B, MINOR_ISO_C, MINOR_ISO_LAST,
	};
	char msg[32], buf[BIG_BUF];
	int fds[ARRAY_SIZE(minors)];
	unsigned int i;

	/* Same channel id on every minor, different content. */
	for (i = 0; i < ARRAY_SIZE(minors); i++) {
		fds[i] = open_minor(_metadata, &self->env, minors[i]);
		set_channel(_metadata, fds[i], 1);
		snprintf(msg, sizeof(msg), "minor %u", minors[i]);
		put_str(_metadata, fds[i], msg);
	}
	for (i = 0; i < ARRAY_SIZE(minors); i++) {
		snprintf(msg, sizeof(msg), "minor %u", minors[i]);
		check_str(_metadata, fds[i], msg);
	}

	/* Channel 2 exists on the first minor only. */
	set_channel(_metadata, fds[0], 2);
	put_str(_metadata, fds[0], "only on the first minor");
	for (i = 1; i < ARRAY_SIZE(minors); i++) {
		set_channel(_metadata, fds[i], 2);
		ASSERT_ERRNO(EWOULDBLOCK, read(fds[i], buf, sizeof(buf)));
	}
	check_str(_metadata, fds[0], "only on the first minor");

	for (i = 0; i < ARRAY_SIZE(minors); i++)
		close(fds[i]);
}

TEST_F(slot, channel_is_per_open_file)
{
	int fd1 = open_minor(_metadata, &self->env, MINOR_FILES);
	int fd2 = open_minor(_metadata, &self->env, MINOR_FILES);

	set_channel(_metadata, fd1, 1);
	set_channel(_metadata, fd2, 2);
	put_str(_metadata, fd1, "file one");
	put_str(_metadata, fd2, "file two");
	check_str(_metadata, fd1, "file one");
	check_str(_metadata, fd2, "file two");

	/* Changing one file's channel does not move the other. */
	set_channel(_metadata, fd1, 2);
	check_str(_metadata, fd1, "file two");
	put_str(_metadata, fd1, "two via one");
	check_str(_metadata, fd2, "two via one");
	set_channel(_metadata, fd2, 1);
	check_str(_metadata, fd2, "file one");
	close(fd2);
	close(fd1);
}

TEST_F(slot, persists_across_reopen)
{
	char buf[BIG_BUF];
	int fd = open_minor(_metadata, &self->env, MINOR_FILES);

	set_channel(_metadata, fd, 3);
	put_str(_metadata, fd, "still here");
	ASSERT_EQ(0, close(fd));

	fd = open_minor(_metadata, &self->env, MINOR_FILES);
	/* The message persists, the channel selection does not. */
	ASSERT_ERRNO(EINVAL, read(fd, buf, sizeof(buf)));
	set_channel(_metadata, fd, 3);
	check_str(_metadata, fd, "still here");
	ASSERT_EQ(0, close(fd));

	fd = msg_slot_open(&self->env, MINOR_FILES, O_RDONLY);
	ASSERT_LE(0, fd);
	set_channel(_metadata, fd, 3);
	check_str(_metadata, fd, "still here");
	close(fd);
}

/* Wait for @pid and require a clean exit 0. */
static void wait_child(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child failed at step %d", WEXITSTATUS(status));
}

TEST_F(slot, fork_child_writes_inherited_file)
{
	char msg[64];
	pid_t pid;
	int fd = open_minor(_metadata, &self->env, MINOR_FORK);

	set_channel(_metadata, fd, 1);
	put_str(_metadata, fd, "from the parent");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* No ASSERT here: it would unwind into the harness. */
		snprintf(msg, sizeof(msg), "from child %d", getpid());
		_exit(write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg) ?
		      0 : 1);
	}
	wait_child(_metadata, pid);

	snprintf(msg, sizeof(msg), "from child %d", pid);
	check_str(_metadata, fd, msg);
	close(fd);
}

TEST_F(slot, fork_child_switches_shared_channel)
{
	pid_t pid;
	int fd = open_minor(_metadata, &self->env, MINOR_FORK);
	int other = open_minor(_metadata, &self->env, MINOR_FORK);

	set_channel(_metadata, other, 3);
	put_str(_metadata, other, "channel three");
	set_channel(_metadata, fd, 2);
	put_str(_metadata, fd, "channel two");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(msg_slot_set_channel(fd, 3) ? 1 : 0);
	wait_child(_metadata, pid);

	/* Parent and child share one open file, hence one channel. */
	check_str(_metadata, fd, "channel three");
	put_str(_metadata, fd, "three from the parent");
	check_str(_metadata, other, "three from the parent");
	set_channel(_metadata, other, 2);
	check_str(_metadata, other, "channel two");
	close(other);
	close(fd);
}

/*
 * Return a buffer whose first @mapped bytes are readable and writable and
 * whose following bytes are unmapped.
 */
static char *straddling_buffer(struct __test_metadata *_metadata,
			       size_t mapped, void **map, size_t *map_len)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p;

	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + page, page));
	*map = p;
	*map_len = page;
	return p + page - mapped;
}

TEST_F(slot, write_bad_buffer)
{
	char msg[MSG_SLOT_MAX_MSG_LEN], buf[BIG_BUF];
	size_t map_len;
	void *map;
	char *edge;
	int fd = open_minor(_metadata, &self->env, MINOR_FAULT);

	memset(msg, 'M', sizeof(msg));
	set_channel(_metadata, fd, 1);
	put_str(_metadata, fd, "intact");

	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	check_str(_metadata, fd, "intact");
	ASSERT_ERRNO(EFAULT, write(fd, low_buf, MSG_SLOT_MAX_MSG_LEN));
	check_str(_metadata, fd, "intact");

	/* Half readable: a partial copy must not replace the message. */
	edge = straddling_buffer(_metadata, 64, &map, &map_len);
	memset(edge, 'E', 64);
	ASSERT_ERRNO(EFAULT, write(fd, edge, MSG_SLOT_MAX_MSG_LEN));
	check_str(_metadata, fd, "intact");
	ASSERT_ERRNO(EFAULT, write(fd, edge, 65));
	check_str(_metadata, fd, "intact");
	/* The readable half alone is a fine message. */
	put_msg(_metadata, fd, edge, 64);
	check_msg(_metadata, fd, edge, 64);

	/* A failed first write leaves a channel without a message. */
	set_channel(_metadata, fd, 2);
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	ASSERT_ERRNO(EFAULT, write(fd, edge, MSG_SLOT_MAX_MSG_LEN));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));

	munmap(map, map_len);
	close(fd);
}

TEST_F(slot, read_bad_buffer)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	size_t map_len;
	unsigned int i;
	void *map;
	char *edge;
	int fd = open_minor(_metadata, &self->env, MINOR_FAULT);

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = i ^ 0x5a;
	set_channel(_metadata, fd, 3);
	put_msg(_metadata, fd, msg, sizeof(msg));

	ASSERT_ERRNO(EFAULT, read(fd, null_buf, sizeof(msg)));
	ASSERT_ERRNO(EFAULT, read(fd, low_buf, BIG_BUF));

	edge = straddling_buffer(_metadata, 64, &map, &map_len);
	ASSERT_ERRNO(EFAULT, read(fd, edge, sizeof(msg)));
	ASSERT_ERRNO(EFAULT, read(fd, edge, BIG_BUF));
	/* Size is checked first: 64 bytes cannot hold the message. */
	ASSERT_ERRNO(ENOSPC, read(fd, edge, 64));

	/* A failed read neither consumes nor damages the message. */
	check_msg(_metadata, fd, msg, sizeof(msg));

	/* A short message fits in the mapped half. */
	set_channel(_metadata, fd, 4);
	put_str(_metadata, fd, "fits");
	ASSERT_EQ(4, read(fd, edge + 60, 4));
	ASSERT_EQ(0, memcmp(edge + 60, "fits", 4));

	munmap(map, map_len);
	close(fd);
}

TEST_F(slot, not_seekable)
{
	char buf[BIG_BUF];
	int fd = open_minor(_metadata, &self->env, MINOR_SEEK);

	set_channel(_metadata, fd, 1);
	put_str(_metadata, fd, "no seeking");

	ASSERT_ERRNO(ESPIPE, lseek(fd, 0, SEEK_SET));
	ASSERT_ERRNO(ESPIPE, lseek(fd, 0, SEEK_CUR));
	ASSERT_ERRNO(ESPIPE, lseek(fd, 0, SEEK_END));
	ASSERT_ERRNO(ESPIPE, lseek(fd, 5, SEEK_SET));
	ASSERT_ERRNO(ESPIPE, pread(fd, buf, sizeof(buf), 0));
	ASSERT_ERRNO(ESPIPE, pread(fd, buf, sizeof(buf), 3));
	ASSERT_ERRNO(ESPIPE, pwrite(fd, "other", 5, 0));
	ASSERT_ERRNO(ESPIPE, pwrite(fd, "other", 5, 3));

	/* The failed pwrite()s did not store anything. */
	check_str(_metadata, fd, "no seeking");
	close(fd);
}

/*
 * max_channels is a global module parameter: this fixture saves it and
 * puts it back from the parent, even if the test dies half way.
 */
#define MAX_CHANNELS_PARAM "/sys/module/message_slot/parameters/max_channels"

FIXTURE(limit) {
	struct msg_slot_env env;
	char saved[32];
	int saved_ok;
};

FIXTURE_SETUP(limit)
{
	long n;

	if (!msg_slot_env_setup(_metadata, &self->env))
		return;

	n = msg_slot_read_file(MAX_CHANNELS_PARAM, self->saved, sizeof(self->saved));
	if (n == -ENOENT) {
		msg_slot_env_cleanup(&self->env);
		SKIP(return, "%s does not exist", MAX_CHANNELS_PARAM);
	}
	ASSERT_LT(0, n)
		TH_LOG("reading %s: %s", MAX_CHANNELS_PARAM, strerror(-n));
	self->saved_ok = 1;
}

FIXTURE_TEARDOWN_PARENT(limit)
{
	int ret;

	if (self->saved_ok) {
		ret = msg_slot_write_file(MAX_CHANNELS_PARAM, self->saved);
		/* No TH_LOG() on the EXPECT: it would also fire after an ASSERT. */
		if (ret)
			TH_LOG("could not restore max_channels to %s: %s",
			       self->saved, strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	msg_slot_env_cleanup(&self->env);
}

TEST_F(limit, max_channels)
{
	char msg[32], buf[BIG_BUF];
	unsigned long id;
	int fd, other;

	ASSERT_EQ(0, msg_slot_write_file(MAX_CHANNELS_PARAM, "4\n"));
	ASSERT_LT(0, msg_slot_read_file(MAX_CHANNELS_PARAM, buf, sizeof(buf)));
	ASSERT_EQ(4UL, strtoul(buf, NULL, 10));

	fd = open_minor(_metadata, &self->env, MINOR_LIMIT);
	/* Creating up to the limit works (or overwrites, on a rerun). */
	for (id = 1; id <= 4; id++) {
		set_channel(_metadata, fd, id);
		snprintf(msg, sizeof(msg), "limited %lu", id);
		put_str(_metadata, fd, msg);
	}

	set_channel(_metadata, fd, 5);
	ASSERT_ERRNO(ENOSPC, write(fd, "one too many", 12));
	/* The refused write did not leave an empty channel 5 behind. */
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(ENOSPC, write(fd, "still too many", 14));

	/* Existing channels can still be overwritten at the limit. */
	set_channel(_metadata, fd, 1);
	put_str(_metadata, fd, "limited 1, again");
	check_str(_metadata, fd, "limited 1, again");
	for (id = 2; id <= 4; id++) {
		set_channel(_metadata, fd, id);
		snprintf(msg, sizeof(msg), "limited %lu", id);
		check_str(_metadata, fd, msg);
	}

	/* The limit counts channels per slot, not in total. */
	other = open_minor(_metadata, &self->env, MINOR_LIMIT_OTHER);
	set_channel(_metadata, other, 5);
	put_str(_metadata, other, "other slot");
	check_str(_metadata, other, "other slot");

	close(other);
	close(fd);
}

/*
 * End-to-end runs of samples/message_slot. The binaries are looked up in
 * $MSG_SLOT_SAMPLES, else next to this test (where the selftest Makefile
 * installs them).
 */
#define SAMPLE_OUT_MAX	4096

struct sample_run {
	int status;
	size_t out_len, err_len;
	char cmd[256];		/* for failure messages */
	char out[SAMPLE_OUT_MAX + 1];
	char err[SAMPLE_OUT_MAX + 1];
};

FIXTURE(samples) {
	struct msg_slot_env env;
	char sender[PATH_MAX + 32];
	char reader[PATH_MAX + 32];
	char dev[128];
	char missing[128];
};

static int find_samples(char *sender, char *reader, size_t size)
{
	const char *dir = getenv("MSG_SLOT_SAMPLES");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (!dir || !*dir) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return -1;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (!slash)
			return -1;
		*slash = '\0';
		dir = exe;
	}
	snprintf(sender, size, "%s/message_sender", dir);
	snprintf(reader, size, "%s/message_reader", dir);
	if (access(sender, X_OK) || access(reader, X_OK))
		return -1;
	return 0;
}

FIXTURE_SETUP(samples)
{
	if (!msg_slot_env_setup(_metadata, &self->env))
		return;

	if (find_samples(self->sender, self->reader, sizeof(self->sender))) {
		msg_slot_env_cleanup(&self->env);
		SKIP(return, "message_sender/message_reader not found (set MSG_SLOT_SAMPLES)");
	}
	ASSERT_EQ(0, msg_slot_make_node(&self->env, MINOR_SAMPLES));
	msg_slot_node_path(&self->env, MINOR_SAMPLES, self->dev,
			   sizeof(self->dev));
	snprintf(self->missing, sizeof(self->missing), "%s/no-such-device",
		 self->env.dir);
}

FIXTURE_TEARDOWN_PARENT(samples)
{
	msg_slot_env_cleanup(&self->env);
}

/* Drain both pipes together so neither can fill up and stall the child. */
static void collect_output(struct __test_metadata *_metadata, int out_fd,
			   int err_fd, struct sample_run *run)
{
	struct pollfd pfd[2] = {
		{ .fd = out_fd, .events = POLLIN },
		{ .fd = err_fd, .events = POLLIN },
	};
	char *bufs[2] = { run->out, run->err };
	size_t *lens[2] = { &run->out_len, &run->err_len };
	int open_fds = 2, i;

	while (open_fds) {
		ASSERT_LE(0, poll(pfd, 2, -1));
		for (i = 0; i < 2; i++) {
			char scratch[512];
			size_t room = SAMPLE_OUT_MAX - *lens[i];
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			/* Keep draining past the cap, just drop the bytes. */
			if (room)
				n = read(pfd[i].fd, bufs[i] + *lens[i], room);
			else
				n = read(pfd[i].fd, scratch, sizeof(scratch));
			if (n < 0 && errno == EINTR)
				continue;
			ASSERT_LE(0, n);
			if (n == 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			} else if (room) {
				*lens[i] += n;
			}
		}
	}
	run->out[run->out_len] = '\0';
	run->err[run->err_len] = '\0';
}

static void run_sample(struct __test_metadata *_metadata, const char *path,
		       const char *const *argv, struct sample_run *run)
{
	int out[2], err[2], status, i;
	pid_t pid;

	memset(run, 0, sizeof(*run));
	for (i = 1; argv[i]; i++) {
		size_t used = strlen(run->cmd);

		snprintf(run->cmd + used, sizeof(run->cmd) - used, "%s'%s'",
			 i > 1 ? " " : "", argv[i]);
	}
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(err, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(err[1], STDERR_FILENO) < 0)
			_exit(126);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	collect_output(_metadata, out[0], err[0], run);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	run->status = WEXITSTATUS(status);
	ASSERT_GT(126, run->status) TH_LOG("could not exec %s", path);
}

#define SENDER(...)							\
	((const char *const[]){ self->sender, ##__VA_ARGS__, NULL })
#define READER(...)							\
	((const char *const[]){ self->reader, ##__VA_ARGS__, NULL })

static void check_success(struct __test_metadata *_metadata,
			  const struct sample_run *run, const void *out,
			  size_t out_len)
{
	ASSERT_EQ(0, run->status)
		TH_LOG("[%s] stderr: %s", run->cmd, run->err);
	ASSERT_EQ(0UL, run->err_len)
		TH_LOG("[%s] stderr: %s", run->cmd, run->err);
	ASSERT_EQ(out_len, run->out_len) TH_LOG("[%s]", run->cmd);
	ASSERT_EQ(0, memcmp(run->out, out, out_len)) TH_LOG("[%s]", run->cmd);
}

/* Exit 1, nothing on stdout, one line on stderr naming the program. */
static void check_failure(struct __test_metadata *_metadata,
			  const struct sample_run *run, const char *prog)
{
	ASSERT_EQ(1, run->status)
		TH_LOG("[%s] stderr: %s", run->cmd, run->err);
	ASSERT_EQ(0UL, run->out_len) TH_LOG("[%s]", run->cmd);
	ASSERT_LT(1UL, run->err_len) TH_LOG("[%s]", run->cmd);
	ASSERT_EQ('\n', run->err[run->err_len - 1])
		TH_LOG("[%s] stderr: %s", run->cmd, run->err);
	ASSERT_EQ(NULL, memchr(run->err, '\n', run->err_len - 1))
		TH_LOG("[%s] more than one line: %s", run->cmd, run->err);
	ASSERT_NE(NULL, strstr(run->err, prog))
		TH_LOG("[%s] stderr: %s", run->cmd, run->err);
}

static void sender_fails(struct __test_metadata *_metadata,
			 const char *path, const char *const *argv)
{
	struct sample_run run;

	run_sample(_metadata, path, argv, &run);
	check_failure(_metadata, &run, "message_sender");
}

static void reader_fails(struct __test_metadata *_metadata,
			 const char *path, const char *const *argv)
{
	struct sample_run run;

	run_sample(_metadata, path, argv, &run);
	check_failure(_metadata, &run, "message_reader");
}

TEST_F(samples, round_trip)
{
	unsigned char bin[MSG_SLOT_MAX_MSG_LEN];
	char longest[MSG_SLOT_MAX_MSG_LEN + 1];
	struct sample_run run;
	unsigned int i;
	int fd;

	run_sample(_metadata, self->sender,
		   SENDER(self->dev, "1", "hello, world"), &run);
	check_success(_metadata, &run, "", 0);
	run_sample(_metadata, self->reader, READER(self->dev, "1"), &run);
	check_success(_metadata, &run, "hello, world", 12);
	/* Reading again gives the same message. */
	run_sample(_metadata, self->reader, READER(self->dev, "1"), &run);
	check_success(_metadata, &run, "hello, world", 12);

	/* The sender must not store the terminating NUL. */
	fd = open_minor(_metadata, &self->env, MINOR_SAMPLES);
	set_channel(_metadata, fd, 1);
	check_str(_metadata, fd, "hello, world");

	for (i = 0; i < MSG_SLOT_MAX_MSG_LEN; i++)
		longest[i] = 'a' + i % 26;
	longest[MSG_SLOT_MAX_MSG_LEN] = '\0';
	run_sample(_metadata, self->sender,
		   SENDER(self->dev, "2", longest), &run);
	check_success(_metadata, &run, "", 0);
	run_sample(_metadata, self->reader, READER(self->dev, "2"), &run);
	check_success(_metadata, &run, longest, MSG_SLOT_MAX_MSG_LEN);

	run_sample(_metadata, self->sender,
		   SENDER(self->dev, "4294967295", "top id"), &run);
	check_success(_metadata, &run, "", 0);
	run_sample(_metadata, self->reader,
		   READER(self->dev, "4294967295"), &run);
	check_success(_metadata, &run, "top id", 6);

	/* The reader passes binary messages through untouched. */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = i % 5 ? 0xff - i : 0;
	set_channel(_metadata, fd, 5);
	put_msg(_metadata, fd, bin, sizeof(bin));
	run_sample(_metadata, self->reader, READER(self->dev, "5"), &run);
	check_success(_metadata, &run, bin, sizeof(bin));
	close(fd);
}

TEST_F(samples, bad_argument_count)
{
	sender_fails(_metadata, self->sender, SENDER());
	sender_fails(_metadata, self->sender, SENDER(self->dev));
	sender_fails(_metadata, self->sender, SENDER(self->dev, "1"));
	sender_fails(_metadata, self->sender,
		     SENDER(self->dev, "1", "a", "b"));
	reader_fails(_metadata, self->reader, READER());
	reader_fails(_metadata, self->reader, READER(self->dev));
	reader_fails(_metadata, self->reader, READER(self->dev, "1", "x"));
}

TEST_F(samples, bad_channel)
{
	static const char *const bad[] = {
		"abc", "0", "4294967296", "18446744073709551616", "-1",
		"12abc", "", " 7", "+7", "0x10",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		sender_fails(_metadata, self->sender,
			     SENDER(self->dev, bad[i], "msg"));
		reader_fails(_metadata, self->reader,
			     READER(self->dev, bad[i]));
	}
}

TEST_F(samples, message_too_long)
{
	char msg[MSG_SLOT_MAX_MSG_LEN + 2];

	memset(msg, 'z', MSG_SLOT_MAX_MSG_LEN + 1);
	msg[MSG_SLOT_MAX_MSG_LEN + 1] = '\0';
	sender_fails(_metadata, self->sender, SENDER(self->dev, "3", msg));
	/* Rejected up front, so even a missing device is not reached. */
	sender_fails(_metadata, self->sender,
		     SENDER(self->missing, "3", msg));
	/* Channel 3 of this minor is never written successfully. */
	reader_fails(_metadata, self->reader, READER(self->dev, "3"));
}

TEST_F(samples, empty_message)
{
	sender_fails(_metadata, self->sender, SENDER(self->dev, "3", ""));
	reader_fails(_metadata, self->reader, READER(self->dev, "3"));
}

TEST_F(samples, missing_device)
{
	sender_fails(_metadata, self->sender,
		     SENDER(self->missing, "1", "nobody home"));
	reader_fails(_metadata, self->reader, READER(self->missing, "1"));
}

TEST_F(samples, empty_channel)
{
	/* Channel 4 of this minor is never written. */
	reader_fails(_metadata, self->reader, READER(self->dev, "4"));
}

TEST_HARNESS_MAIN
