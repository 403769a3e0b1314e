// SPDX-License-Identifier: GPL-2.0
/*
 * Functional tests of the message_slot character device.
 *
 * Channels persist for as long as the module is loaded, so a test never
 * assumes a channel starts empty unless no test ever writes to it: every
 * test area has its own minor, and each test writes before it asserts on
 * content, or looks for a never-written channel (fresh_channel()) when it
 * counts writes. The whole program can therefore be run again in the same
 * boot, as it is when the 32-bit build (message_slot_test_32, for the
 * driver's compat_ioctl) runs after the 64-bit one.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/time_types.h>

#include "../kselftest_harness.h"
#include "msg_slot_common.h"

/*
 * Minors, one per test area, so that areas cannot see each other's
 * channels. The other selftests keep to their own minors: stress 150 to
 * 169, the benchmark 180 to 185, fault injection 200 to 239, the fuzzer
 * 240 to 243 and the resource limits 250 and 251.
 */
#define MINOR_NO_CHANNEL	0	/* errors before any I/O */
#define MINOR_NODE		0	/* has a device node and statistics */
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
#define MINOR_FOLLOW		21	/* message_reader --follow */
#define MINOR_INFO		30	/* MSG_SLOT_CHANNEL_INFO */
#define MINOR_CLEAR		31	/* MSG_SLOT_CLEAR ... */
#define MINOR_CLEAR_OTHER	32
#define MINOR_POLL		33	/* poll() readiness */
#define MINOR_WAKE		34	/* blocking waits ... */
#define MINOR_WAKE_OTHER	35
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

/*
 * The ABI this program was built for, printed so that a log shows which
 * of the two builds ran, and the layout of the info struct, which must be
 * the same in both.
 */
TEST(abi)
{
#if defined(__ILP32__)
	const char *abi = "ILP32 (32-bit)";

	ASSERT_EQ(4, sizeof(long));
	ASSERT_EQ(4, sizeof(void *));
#elif defined(__LP64__)
	const char *abi = "LP64 (64-bit)";

	ASSERT_EQ(8, sizeof(long));
	ASSERT_EQ(8, sizeof(void *));
#else
	const char *abi = "unknown";
#endif
	ksft_print_msg("ABI: %s, sizeof(long) %zu, sizeof(void *) %zu\n",
		       abi, sizeof(long), sizeof(void *));

	ASSERT_EQ(16, sizeof(struct msg_slot_channel_info));
	ASSERT_EQ(0, offsetof(struct msg_slot_channel_info, channel));
	ASSERT_EQ(4, offsetof(struct msg_slot_channel_info, len));
	ASSERT_EQ(8, offsetof(struct msg_slot_channel_info, seq));
	ASSERT_EQ(_IOC_READ, _IOC_DIR(MSG_SLOT_CHANNEL_INFO));
	ASSERT_EQ(MSG_SLOT_IOC_MAGIC, _IOC_TYPE(MSG_SLOT_CHANNEL_INFO));
	ASSERT_EQ(1, _IOC_NR(MSG_SLOT_CHANNEL_INFO));
	ASSERT_EQ(16, _IOC_SIZE(MSG_SLOT_CHANNEL_INFO));
	ASSERT_EQ(_IO(MSG_SLOT_IOC_MAGIC, 2), MSG_SLOT_CLEAR);
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
	/* Only the low 32 bits count: these are all id 0. */
	if (sizeof(unsigned long) > sizeof(uint32_t)) {
		ASSERT_ERRNO(EINVAL, syscall(SYS_ioctl, fd, MSG_SLOT_CHANNEL,
					     ~0UL << 16 << 16));
		ASSERT_ERRNO(EINVAL, syscall(SYS_ioctl, fd, MSG_SLOT_CHANNEL,
					     1UL << 16 << 16));
	}
	/* A rejected id selects nothing. */
	ASSERT_ERRNO(EINVAL, read(fd, buf, sizeof(buf)));
	close(fd);
}

/*
 * The id is an unsigned int passed by value: the upper half of the 64-bit
 * register is undefined in the C ABI (riscv64 and mips64 sign-extend), and
 * must not make a valid id fail. The raw system call sets it here.
 */
TEST_F(slot, ioctl_channel_ignores_upper_half)
{
	static const uint32_t ids[] = { 0x80000005, 1, UINT32_MAX };
	struct msg_slot_channel_info info;
	unsigned long arg;
	unsigned int i;
	int fd;

	/* A 32-bit ABI has no upper half: these are then the ids alone. */
	fd = open_minor(_metadata, &self->env, MINOR_NO_CHANNEL);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		/* As riscv64 passes it: sign-extended from bit 31. */
		arg = (unsigned long)(long)(int32_t)ids[i];
		ASSERT_EQ(0, syscall(SYS_ioctl, fd, MSG_SLOT_CHANNEL, arg))
			TH_LOG("arg %#lx: %s", arg, strerror(errno));
		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info));
		ASSERT_EQ(ids[i], info.channel);
		/* Garbage in the upper half, as a truncated u64 leaves it. */
		arg = 0xdeadbeefUL << 16 << 16 | ids[i];
		ASSERT_EQ(0, syscall(SYS_ioctl, fd, MSG_SLOT_CHANNEL, arg));
		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info));
		ASSERT_EQ(ids[i], info.channel);
	}
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
	/* A comparison, not the pointers: -m32 cannot print them as numbers. */
	ASSERT_TRUE(p != MAP_FAILED);
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
 * Channel state: MSG_SLOT_CHANNEL_INFO and MSG_SLOT_CLEAR.
 *
 * A channel's write count only grows while the module is loaded, and this
 * program runs more than once per boot (the 32-bit build runs after the
 * 64-bit one), so a test that needs a never-written channel looks for one
 * with fresh_channel(), from a base of its own: each test has a range of
 * FRESH_SPAN ids and takes a few of them per run.
 */
#define FRESH_SPAN		0x10000U
#define FRESH_BASE(n)		(0x10000000U + (n) * FRESH_SPAN)

/* Fill @info from @fd, poisoned first so every field must be written. */
static void get_info(struct __test_metadata *_metadata, int fd,
		     struct msg_slot_channel_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_INFO, info))
		TH_LOG("MSG_SLOT_CHANNEL_INFO: %s", strerror(errno));
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
 * Select on @fd the first never-written channel from @base on, and
 * return its id.
 */
static uint32_t fresh_channel(struct __test_metadata *_metadata, int fd,
			      uint32_t base)
{
	struct msg_slot_channel_info info;
	uint32_t id;

	for (id = base; id < base + FRESH_SPAN; id++) {
		set_channel(_metadata, fd, id);
		get_info(_metadata, fd, &info);
		if (!info.seq) {
			ASSERT_EQ(0U, info.len);
			ASSERT_EQ(id, info.channel);
			return id;
		}
	}
	ASSERT_TRUE(false)
		TH_LOG("no never-written channel in %u..%u", base,
		       base + FRESH_SPAN - 1);
	return 0;
}

/* A buffer of one page that the kernel may neither read nor write. */
static void *no_access_page(struct __test_metadata *_metadata)
{
	void *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	return p;
}

TEST_F(slot, info_never_written)
{
	struct msg_slot_channel_info info;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);
	int fd2 = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(0));
	CHECK_INFO(fd, id, 0, 0);
	/* Asking again changes nothing, nor does another file asking. */
	CHECK_INFO(fd, id, 0, 0);
	set_channel(_metadata, fd2, id);
	CHECK_INFO(fd2, id, 0, 0);
	/* The largest id is reported whole. */
	set_channel(_metadata, fd2, UINT32_MAX);
	get_info(_metadata, fd2, &info);
	ASSERT_EQ(UINT32_MAX, info.channel);
	CHECK_INFO(fd, id, 0, 0);
	close(fd2);
	close(fd);
}

TEST_F(slot, info_counts_writes)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN + 1];
	size_t map_len, len = 0;
	unsigned int i;
	uint32_t id, other;
	void *map;
	char *edge;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);
	int fd2 = open_minor(_metadata, &self->env, MINOR_INFO);

	memset(msg, 'w', sizeof(msg));
	id = fresh_channel(_metadata, fd, FRESH_BASE(1));
	other = fresh_channel(_metadata, fd2, id + 1);
	set_channel(_metadata, fd, id);

	/* Every successful write counts once, whatever its length. */
	for (i = 1; i <= 10; i++) {
		len = (i * 37) % MSG_SLOT_MAX_MSG_LEN + 1;
		put_msg(_metadata, fd, msg, len);
		CHECK_INFO(fd, id, len, i);
	}
	/* The same length and content again is another write. */
	put_msg(_metadata, fd, msg, len);
	CHECK_INFO(fd, id, len, 11);
	put_msg(_metadata, fd, msg, MSG_SLOT_MAX_MSG_LEN);
	CHECK_INFO(fd, id, MSG_SLOT_MAX_MSG_LEN, 12);
	put_msg(_metadata, fd, msg, 1);
	CHECK_INFO(fd, id, 1, 13);

	/* Failed writes count nothing and keep the message. */
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, 0));
	CHECK_INFO(fd, id, 1, 13);
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, MSG_SLOT_MAX_MSG_LEN + 1));
	CHECK_INFO(fd, id, 1, 13);
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	CHECK_INFO(fd, id, 1, 13);
	edge = straddling_buffer(_metadata, 16, &map, &map_len);
	ASSERT_ERRNO(EFAULT, write(fd, edge, 17));
	CHECK_INFO(fd, id, 1, 13);
	munmap(map, map_len);

	/* Writes through another file count on the same channel ... */
	set_channel(_metadata, fd2, id);
	put_msg(_metadata, fd2, msg, 5);
	CHECK_INFO(fd, id, 5, 14);
	CHECK_INFO(fd2, id, 5, 14);
	/* ... those to another channel do not. */
	set_channel(_metadata, fd2, other);
	put_msg(_metadata, fd2, msg, 7);
	put_msg(_metadata, fd2, msg, 8);
	CHECK_INFO(fd2, other, 8, 2);
	CHECK_INFO(fd, id, 5, 14);

	/* Reads neither count nor change the length. */
	check_msg(_metadata, fd, msg, 5);
	CHECK_INFO(fd, id, 5, 14);
	close(fd2);
	close(fd);
}

TEST_F(slot, info_after_clear)
{
	char buf[BIG_BUF];
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(2));
	put_str(_metadata, fd, "one");
	put_str(_metadata, fd, "two!");
	CHECK_INFO(fd, id, 4, 2);

	/* A clear keeps the count: the channel was written twice. */
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 2);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 2);
	/* A failed write to a cleared channel leaves it empty. */
	ASSERT_ERRNO(EMSGSIZE, write(fd, buf, 0));
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 3));
	CHECK_INFO(fd, id, 0, 2);

	put_str(_metadata, fd, "three");
	CHECK_INFO(fd, id, 5, 3);
	check_str(_metadata, fd, "three");
	close(fd);
}

TEST_F(slot, info_errors)
{
	struct msg_slot_channel_info info;
	size_t map_len;
	void *map, *none;
	char *edge;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	/* No channel selected: as for read and write, reported first. */
	memset(&info, 0xa5, sizeof(info));
	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info));
	ASSERT_EQ(0xa5a5a5a5U, info.channel);
	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL_INFO, null_buf));
	/* A rejected id selects nothing. */
	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL, 0UL));
	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info));

	id = fresh_channel(_metadata, fd, FRESH_BASE(3));
	put_str(_metadata, fd, "info");

	ASSERT_ERRNO(EFAULT, ioctl(fd, MSG_SLOT_CHANNEL_INFO, null_buf));
	ASSERT_ERRNO(EFAULT, ioctl(fd, MSG_SLOT_CHANNEL_INFO, low_buf));
	none = no_access_page(_metadata);
	ASSERT_ERRNO(EFAULT, ioctl(fd, MSG_SLOT_CHANNEL_INFO, none));
	/* Readable is not enough: the kernel writes the struct. */
	ASSERT_EQ(0, mprotect(none, sysconf(_SC_PAGESIZE), PROT_READ));
	ASSERT_ERRNO(EFAULT, ioctl(fd, MSG_SLOT_CHANNEL_INFO, none));
	munmap(none, sysconf(_SC_PAGESIZE));
	/* Half of the struct on a mapped page, half past it. */
	edge = straddling_buffer(_metadata, 8, &map, &map_len);
	ASSERT_ERRNO(EFAULT, ioctl(fd, MSG_SLOT_CHANNEL_INFO, edge));
	/* The whole struct at the very end of the page is fine. */
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_INFO, edge - 8));
	memcpy(&info, edge - 8, sizeof(info));
	ASSERT_EQ(id, info.channel);
	ASSERT_EQ(4U, info.len);
	ASSERT_EQ(1U, info.seq);
	munmap(map, map_len);

	/* The failures changed nothing. */
	CHECK_INFO(fd, id, 4, 1);
	check_str(_metadata, fd, "info");
	close(fd);
}

/*
 * poll() with a zero timeout: the events of @fd right now. The file is
 * always writable, so poll() always finds it ready.
 */
static short poll_now(struct __test_metadata *_metadata, int fd)
{
	struct pollfd pfd = {
		.fd = fd,
		.events = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
	};

	ASSERT_EQ(1, poll(&pfd, 1, 0)) TH_LOG("poll: %s", strerror(errno));
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
static int select_read(int fd, int timeout_ms)
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
static bool select_readable_now(struct __test_metadata *_metadata, int fd)
{
	int ret = select_read(fd, 0);

	ASSERT_LE(0, ret) TH_LOG("select: %s", strerror(errno));
	return ret;
}

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

TEST_F(slot, info_does_not_mark_read)
{
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(4));
	put_str(_metadata, fd, "unread");
	CHECK_POLL(fd, POLL_READABLE);
	CHECK_INFO(fd, id, 6, 1);
	CHECK_INFO(fd, id, 6, 1);
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "unread");
	CHECK_POLL(fd, POLL_WRITABLE);
	CHECK_INFO(fd, id, 6, 1);
	CHECK_POLL(fd, POLL_WRITABLE);
	close(fd);
}

TEST_F(slot, clear_then_read)
{
	unsigned char buf[BIG_BUF];
	unsigned int i;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);
	int fd2 = open_minor(_metadata, &self->env, MINOR_CLEAR);

	id = fresh_channel(_metadata, fd, FRESH_BASE(5));
	set_channel(_metadata, fd2, id);
	put_str(_metadata, fd, "to be cleared");
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));

	/* Gone for every file of the channel, and nothing is copied out. */
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd2, buf, MSG_SLOT_MAX_MSG_LEN));
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(0x5a, buf[i]) TH_LOG("byte %u changed", i);
	CHECK_INFO(fd2, id, 0, 1);

	/* A write makes the channel readable again. */
	put_str(_metadata, fd2, "back");
	check_str(_metadata, fd, "back");
	check_str(_metadata, fd2, "back");
	CHECK_INFO(fd, id, 4, 2);
	close(fd2);
	close(fd);
}

TEST_F(slot, clear_empty_channel)
{
	char buf[BIG_BUF];
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);

	/* Never written: nothing to clear, not an error. */
	id = fresh_channel(_metadata, fd, FRESH_BASE(6));
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 0);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));

	/* Already cleared: the same. */
	put_str(_metadata, fd, "x");
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 1);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(slot, clear_argument_ignored)
{
	static const unsigned long args[] = { 0, 1, 0xdeadbeefUL, ULONG_MAX };
	unsigned int i;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);

	id = fresh_channel(_metadata, fd, FRESH_BASE(7));
	for (i = 0; i < ARRAY_SIZE(args); i++) {
		put_str(_metadata, fd, "arg");
		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR, args[i]))
			TH_LOG("arg %#lx: %s", args[i], strerror(errno));
		CHECK_INFO(fd, id, 0, i + 1);
	}
	close(fd);
}

TEST_F(slot, clear_without_channel)
{
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);

	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CLEAR));
	ASSERT_ERRNO(EINVAL, ioctl(fd, MSG_SLOT_CLEAR, 1UL));
	close(fd);

	/* Write access is checked first, as write(2) does. */
	fd = msg_slot_open(&self->env, MINOR_CLEAR, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(EBADF, ioctl(fd, MSG_SLOT_CLEAR));
	close(fd);
}

TEST_F(slot, clear_only_the_channel)
{
	uint32_t a, b, c;
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);
	int other = open_minor(_metadata, &self->env, MINOR_CLEAR_OTHER);

	a = fresh_channel(_metadata, fd, FRESH_BASE(8));
	b = fresh_channel(_metadata, fd, a + 1);
	c = fresh_channel(_metadata, fd, b + 1);
	set_channel(_metadata, fd, a);
	put_str(_metadata, fd, "a");
	set_channel(_metadata, fd, b);
	put_str(_metadata, fd, "bb");
	set_channel(_metadata, fd, c);
	put_str(_metadata, fd, "ccc");
	/* The same id on another minor is another slot's channel. */
	set_channel(_metadata, other, b);
	put_str(_metadata, other, "b elsewhere");
	put_str(_metadata, other, "b elsewhere, again");

	set_channel(_metadata, fd, b);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, b, 0, 1);

	set_channel(_metadata, fd, a);
	check_str(_metadata, fd, "a");
	CHECK_INFO(fd, a, 1, 1);
	set_channel(_metadata, fd, c);
	check_str(_metadata, fd, "ccc");
	CHECK_INFO(fd, c, 3, 1);
	check_str(_metadata, other, "b elsewhere, again");
	CHECK_INFO(other, b, 18, 2);
	close(other);
	close(fd);
}

/*
 * Clearing destroys a message: it needs a file open for writing, or a
 * reader of a group-readable node could destroy the messages of others.
 */
TEST_F(slot, clear_needs_write_access)
{
	int fd, wr = open_minor(_metadata, &self->env, MINOR_CLEAR);
	uint32_t id;

	id = fresh_channel(_metadata, wr, FRESH_BASE(9));
	put_str(_metadata, wr, "keep me");
	fd = msg_slot_open(&self->env, MINOR_CLEAR, O_RDONLY);
	ASSERT_LE(0, fd);
	/* Selecting and looking stay allowed on a read-only file. */
	set_channel(_metadata, fd, id);
	CHECK_INFO(fd, id, 7, 1);
	ASSERT_ERRNO(EBADF, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 7, 1);
	check_str(_metadata, fd, "keep me");
	close(fd);

	fd = msg_slot_open(&self->env, MINOR_CLEAR, O_WRONLY);
	ASSERT_LE(0, fd);
	set_channel(_metadata, fd, id);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR))
		TH_LOG("O_WRONLY: %s", strerror(errno));
	CHECK_INFO(fd, id, 0, 1);
	close(fd);
	close(wr);
}

TEST_F(slot, ioctl_unknown_command_keeps_state)
{
	static const unsigned long cmds[] = {
		_IO(MSG_SLOT_IOC_MAGIC, 3),
		_IO(MSG_SLOT_IOC_MAGIC, 1),
		_IOR(MSG_SLOT_IOC_MAGIC, 1, int),
		_IOR(MSG_SLOT_IOC_MAGIC, 1, uint64_t),
		_IOW(MSG_SLOT_IOC_MAGIC, 1, struct msg_slot_channel_info),
		_IOWR(MSG_SLOT_IOC_MAGIC, 1, struct msg_slot_channel_info),
		_IOR(MSG_SLOT_IOC_MAGIC, 2, int),
		_IOW(MSG_SLOT_IOC_MAGIC, 2, int),
		_IOR(MSG_SLOT_IOC_MAGIC, 3, struct msg_slot_channel_info),
		_IO(MSG_SLOT_IOC_MAGIC + 1, 2),
		_IOR(MSG_SLOT_IOC_MAGIC + 1, 1, struct msg_slot_channel_info),
		_IOR('x', 1, struct msg_slot_channel_info),
		_IO('x', 2),
	};
	struct msg_slot_channel_info info;
	unsigned int i;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(10));
	put_str(_metadata, fd, "stays");
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		memset(&info, 0xa5, sizeof(info));
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], &info))
			TH_LOG("ioctl cmd %#lx accepted", cmds[i]);
		EXPECT_EQ(EINVAL, errno)
			TH_LOG("ioctl cmd %#lx: %s", cmds[i], strerror(errno));
		/* Nothing was written back, nothing cleared or selected. */
		EXPECT_EQ(0xa5a5a5a5U, info.channel)
			TH_LOG("ioctl cmd %#lx wrote its argument", cmds[i]);
		CHECK_INFO(fd, id, 5, 1);
	}
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "stays");
	close(fd);
}

TEST_F(slot, poll_readiness)
{
	char buf[BIG_BUF];
	uint32_t id, other, empty;
	int fd = open_minor(_metadata, &self->env, MINOR_POLL);
	int wr = open_minor(_metadata, &self->env, MINOR_POLL);

	id = fresh_channel(_metadata, wr, FRESH_BASE(11));
	other = fresh_channel(_metadata, wr, id + 1);
	empty = fresh_channel(_metadata, wr, other + 1);

	/* No channel: writable only, whatever the slot holds. */
	set_channel(_metadata, wr, id);
	put_str(_metadata, wr, "first");
	CHECK_POLL(fd, POLL_WRITABLE);

	/* A message already there is unread for a file selecting it. */
	set_channel(_metadata, fd, id);
	CHECK_POLL(fd, POLL_READABLE);
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "first");
	CHECK_POLL(fd, POLL_WRITABLE);
	check_str(_metadata, fd, "first");
	CHECK_POLL(fd, POLL_WRITABLE);

	/* Any new write is news, even with the same content. */
	put_str(_metadata, wr, "first");
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "first");
	/* Also a write through the file itself. */
	put_str(_metadata, fd, "own");
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "own");
	CHECK_POLL(fd, POLL_WRITABLE);

	/* Writes to another channel are not. */
	set_channel(_metadata, wr, other);
	put_str(_metadata, wr, "other");
	CHECK_POLL(fd, POLL_WRITABLE);
	set_channel(_metadata, wr, id);

	/* A cleared message is gone, unread or not. */
	put_str(_metadata, wr, "cleared unread");
	CHECK_POLL(fd, POLL_READABLE);
	ASSERT_EQ(0, ioctl(wr, MSG_SLOT_CLEAR));
	CHECK_POLL(fd, POLL_WRITABLE);
	put_str(_metadata, wr, "after clear");
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "after clear");
	CHECK_POLL(fd, POLL_WRITABLE);

	/*
	 * A selection keeps the record of the last message read: selecting
	 * the same channel again, or going away and back without reading,
	 * does not make that message new.
	 */
	set_channel(_metadata, fd, id);
	CHECK_POLL(fd, POLL_WRITABLE);
	set_channel(_metadata, fd, empty);
	CHECK_POLL(fd, POLL_WRITABLE);
	set_channel(_metadata, fd, id);
	CHECK_POLL(fd, POLL_WRITABLE);
	set_channel(_metadata, fd, other);
	CHECK_POLL(fd, POLL_READABLE);
	set_channel(_metadata, fd, id);
	CHECK_POLL(fd, POLL_WRITABLE);

	/* Failed reads do not count as reading. */
	put_str(_metadata, wr, "0123456789");
	ASSERT_ERRNO(ENOSPC, read(fd, buf, 9));
	CHECK_POLL(fd, POLL_READABLE);
	ASSERT_ERRNO(EFAULT, read(fd, null_buf, sizeof(buf)));
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "0123456789");
	CHECK_POLL(fd, POLL_WRITABLE);

	/* Reading is per file: wr has not read this message yet. */
	CHECK_POLL(wr, POLL_READABLE);
	/* info is not a read. */
	CHECK_INFO(wr, id, 10, 6);
	CHECK_POLL(wr, POLL_READABLE);
	close(wr);
	close(fd);
}

/*
 * The record is of one message, named by its channel and write count: two
 * channels that hold their first message each have count 1, and reading
 * one of them leaves the other unread, and makes the first unread again.
 */
TEST_F(slot, poll_record_names_the_channel)
{
	uint32_t a, b;
	int fd = open_minor(_metadata, &self->env, MINOR_POLL);

	a = fresh_channel(_metadata, fd, FRESH_BASE(27));
	put_str(_metadata, fd, "on a");
	b = fresh_channel(_metadata, fd, a + 1);
	put_str(_metadata, fd, "on b");
	CHECK_INFO(fd, b, 4, 1);
	set_channel(_metadata, fd, a);
	CHECK_INFO(fd, a, 4, 1);

	check_str(_metadata, fd, "on a");
	CHECK_POLL(fd, POLL_WRITABLE);
	set_channel(_metadata, fd, b);
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "on b");
	CHECK_POLL(fd, POLL_WRITABLE);
	set_channel(_metadata, fd, a);
	CHECK_POLL(fd, POLL_READABLE);
	close(fd);
}

TEST_F(slot, poll_state_is_per_open_file)
{
	uint32_t id, other;
	pid_t pid;
	int fd = open_minor(_metadata, &self->env, MINOR_POLL);
	int wr = open_minor(_metadata, &self->env, MINOR_POLL);
	int dupfd;

	id = fresh_channel(_metadata, fd, FRESH_BASE(12));
	other = fresh_channel(_metadata, wr, id + 1);
	put_str(_metadata, wr, "other");
	set_channel(_metadata, fd, id);
	set_channel(_metadata, wr, id);
	dupfd = dup(fd);
	ASSERT_LE(0, dupfd);

	/* A read through a dup()'d descriptor reads for both. */
	put_str(_metadata, wr, "dup");
	CHECK_POLL(fd, POLL_READABLE);
	CHECK_POLL(dupfd, POLL_READABLE);
	check_str(_metadata, dupfd, "dup");
	CHECK_POLL(fd, POLL_WRITABLE);
	CHECK_POLL(dupfd, POLL_WRITABLE);
	/* Another open file of the channel has its own state. */
	CHECK_POLL(wr, POLL_READABLE);

	/* So does a read in a child, through the inherited file. */
	put_str(_metadata, wr, "fork");
	CHECK_POLL(fd, POLL_READABLE);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[BIG_BUF];

		_exit(read(fd, buf, sizeof(buf)) == 4 ? 0 : 1);
	}
	wait_child(_metadata, pid);
	CHECK_POLL(fd, POLL_WRITABLE);
	CHECK_POLL(dupfd, POLL_WRITABLE);

	/* A selection through one descriptor moves both. */
	set_channel(_metadata, dupfd, other);
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "other");
	CHECK_POLL(dupfd, POLL_WRITABLE);
	set_channel(_metadata, fd, id);
	CHECK_POLL(dupfd, POLL_READABLE);
	close(dupfd);
	close(wr);
	close(fd);
}

/*
 * Blocking waits. A waiter, a child process, blocks in poll(), select()
 * or epoll_wait() on a file it shares with the test; the test waits until
 * the scheduler shows the child asleep (state S in /proc) before it acts,
 * spinning rather than sleeping, so that the action cannot come before
 * the wait. Processes rather than threads: a 32-bit glibc waits for a
 * thread with a futex call of 32-bit times, which a kernel without
 * CONFIG_COMPAT_32BIT_TIME does not have.
 */
#define WAIT_LONG_MS		10000	/* a wait that must end early */
#define SPIN_LIMIT_S		20	/* how long a waiter may take to sleep */

enum wait_kind { WAIT_POLL, WAIT_SELECT, WAIT_EPOLL };

struct waiter {
	enum wait_kind kind;
	int fd;			/* the slot file, or the epoll instance */
	int timeout_ms;
	pid_t pid;
	int report;		/* pipe of the child's report */
	/* Reported by the child: */
	int ret;
	int err;
	unsigned int events;	/* revents, EPOLL* or POLLIN for select() */
	uint64_t data;		/* of the epoll event */
	struct timespec begin, end;
};

/* The child: wait, send the whole struct back through @report, exit. */
static void waiter_main(struct waiter *w, int report)
{
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN | POLLRDNORM };
	struct epoll_event ev = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &w->begin);
	switch (w->kind) {
	case WAIT_POLL:
		w->ret = poll(&pfd, 1, w->timeout_ms);
		w->events = pfd.revents;
		break;
	case WAIT_SELECT:
		w->ret = select_read(w->fd, w->timeout_ms);
		w->events = w->ret > 0 ? POLLIN : 0;
		break;
	case WAIT_EPOLL:
		w->ret = epoll_wait(w->fd, &ev, 1, w->timeout_ms);
		w->events = ev.events;
		w->data = ev.data.u64;
		break;
	}
	w->err = errno;
	clock_gettime(CLOCK_MONOTONIC, &w->end);
	_exit(write(report, w, sizeof(*w)) == sizeof(*w) ? 0 : 1);
}

static void start_waiter(struct __test_metadata *_metadata, struct waiter *w,
			 enum wait_kind kind, int fd, int timeout_ms)
{
	int report[2];

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->fd = fd;
	w->timeout_ms = timeout_ms;
	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	w->pid = fork();
	ASSERT_LE(0, w->pid);
	if (w->pid == 0) {
		/* Not past the test, whatever happens to it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			_exit(1);
		close(report[0]);
		waiter_main(w, report[1]);
	}
	close(report[1]);
	w->report = report[0];
}

static long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000L +
	       (b->tv_nsec - a->tv_nsec) / 1000000L;
}

/* The scheduler state of process @pid, '?' if unknown. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (msg_slot_read_file(path, buf, sizeof(buf)) <= 0)
		return '?';
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* The voluntary context switches of process @pid, -1 if unknown. */
static long proc_nvcsw(pid_t pid)
{
	char path[64], buf[4096], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (msg_slot_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	return p ? strtol(p + 25, NULL, 10) : -1;
}

/* Whether @w has ended its wait and exited; it is left to reap. */
static bool waiter_done(const struct waiter *w)
{
	siginfo_t info = { 0 };

	return !waitid(P_PID, w->pid, &info, WEXITED | WNOHANG | WNOWAIT) &&
	       info.si_pid == w->pid;
}

/*
 * Spin until @w sleeps in its wait. Returns false if it finished the
 * wait first (only a waiter with a short timeout may).
 */
static bool wait_asleep(struct __test_metadata *_metadata, struct waiter *w)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		/* Before its wait, the child does nothing that sleeps. */
		if (proc_state(w->pid) == 'S')
			return true;
		if (waiter_done(w))
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ASSERT_GT(SPIN_LIMIT_S * 1000L, elapsed_ms(&start, &now))
			TH_LOG("the waiter did not go to sleep");
		sched_yield();
	}
}

/* Reap @w and take its report. */
static void join_waiter(struct __test_metadata *_metadata, struct waiter *w)
{
	struct waiter report;
	int status;

	ASSERT_EQ(sizeof(report), read(w->report, &report, sizeof(report)));
	close(w->report);
	ASSERT_EQ(w->pid, waitpid(w->pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	w->ret = report.ret;
	w->err = report.err;
	w->events = report.events;
	w->data = report.data;
	w->begin = report.begin;
	w->end = report.end;
}

/*
 * Join @w and require that it was woken and saw its file readable. A
 * poll() or select() that times out looks at its files once more, and so
 * finds a message that arrived without waking it: only the time taken
 * tells the two apart, as a timed-out wait took the whole timeout.
 */
#define CHECK_WOKEN(w) do {						\
	struct waiter *__w = (w);					\
									\
	join_waiter(_metadata, __w);					\
	ASSERT_GT(__w->timeout_ms, elapsed_ms(&__w->begin, &__w->end))	\
		TH_LOG("not woken: the wait timed out");		\
	ASSERT_EQ(1, __w->ret) TH_LOG("wait: %s", strerror(__w->err));	\
	ASSERT_EQ(__w->kind == WAIT_POLL ? POLLIN | POLLRDNORM :	\
		  __w->kind == WAIT_SELECT ? POLLIN : EPOLLIN,		\
		  __w->events);						\
} while (0)

static void wake_test(struct __test_metadata *_metadata,
		      const struct msg_slot_env *env, enum wait_kind kind,
		      uint32_t base)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
	struct waiter w;
	int fd = open_minor(_metadata, env, MINOR_WAKE);
	int wr = open_minor(_metadata, env, MINOR_WAKE);
	int ep = -1, round;

	set_channel(_metadata, wr, fresh_channel(_metadata, fd, base));
	if (kind == WAIT_EPOLL) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep);
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	}
	/* A first message, then the same message once more after a read. */
	for (round = 0; round < 2; round++) {
		start_waiter(_metadata, &w, kind, kind == WAIT_EPOLL ? ep : fd,
			     WAIT_LONG_MS);
		ASSERT_TRUE(wait_asleep(_metadata, &w));
		put_str(_metadata, wr, "wake up");
		CHECK_WOKEN(&w);
		if (kind == WAIT_EPOLL)
			ASSERT_EQ(7U, w.data);
		check_str(_metadata, fd, "wake up");
	}
	if (ep >= 0)
		close(ep);
	close(wr);
	close(fd);
}

TEST_F(slot, poll_wakes_on_write)
{
	wake_test(_metadata, &self->env, WAIT_POLL, FRESH_BASE(13));
}

TEST_F(slot, select_wakes_on_write)
{
	wake_test(_metadata, &self->env, WAIT_SELECT, FRESH_BASE(14));
}

TEST_F(slot, epoll_wakes_on_write)
{
	wake_test(_metadata, &self->env, WAIT_EPOLL, FRESH_BASE(15));
}

/* epoll_wait() with a zero timeout: the number of events, at most one. */
static int epoll_now(struct __test_metadata *_metadata, int ep,
		     unsigned int want_events)
{
	struct epoll_event ev = { 0 };
	int ret = epoll_wait(ep, &ev, 1, 0);

	ASSERT_LE(0, ret) TH_LOG("epoll_wait: %s", strerror(errno));
	if (ret)
		ASSERT_EQ(want_events, ev.events);
	return ret;
}

TEST_F(slot, epoll_level_triggered)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint32_t id, other;
	struct waiter w;
	int fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int wr = open_minor(_metadata, &self->env, MINOR_WAKE);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	id = fresh_channel(_metadata, fd, FRESH_BASE(16));
	other = fresh_channel(_metadata, wr, id + 1);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));

	set_channel(_metadata, wr, id);
	start_waiter(_metadata, &w, WAIT_EPOLL, ep, WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	put_str(_metadata, wr, "level");
	CHECK_WOKEN(&w);
	/* Reported for as long as it is unread ... */
	ASSERT_EQ(1, epoll_now(_metadata, ep, EPOLLIN));
	ASSERT_EQ(1, epoll_now(_metadata, ep, EPOLLIN));
	/* ... and no longer. */
	check_str(_metadata, fd, "level");
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));

	set_channel(_metadata, wr, other);
	put_str(_metadata, wr, "elsewhere");
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	set_channel(_metadata, wr, id);
	put_str(_metadata, wr, "level");
	ASSERT_EQ(1, epoll_now(_metadata, ep, EPOLLIN));
	ASSERT_EQ(0, ioctl(wr, MSG_SLOT_CLEAR));
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	close(ep);
	close(wr);
	close(fd);
}

TEST_F(slot, epoll_edge_triggered)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	uint32_t id, other;
	struct waiter w;
	int i, fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int wr = open_minor(_metadata, &self->env, MINOR_WAKE);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	id = fresh_channel(_metadata, fd, FRESH_BASE(17));
	other = fresh_channel(_metadata, wr, id + 1);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));

	set_channel(_metadata, wr, id);
	start_waiter(_metadata, &w, WAIT_EPOLL, ep, WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	put_str(_metadata, wr, "edge");
	CHECK_WOKEN(&w);
	/* One event per write, though nothing is ever read. */
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	for (i = 0; i < 5; i++) {
		put_str(_metadata, wr, "edge");
		ASSERT_EQ(1, epoll_now(_metadata, ep, EPOLLIN));
		ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	}
	/* Writes to another channel are no edge. */
	set_channel(_metadata, wr, other);
	put_str(_metadata, wr, "elsewhere");
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	/* Nor is reading. */
	check_str(_metadata, fd, "edge");
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));

	set_channel(_metadata, wr, id);
	start_waiter(_metadata, &w, WAIT_EPOLL, ep, WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	put_str(_metadata, wr, "edge");
	CHECK_WOKEN(&w);
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	close(ep);
	close(wr);
	close(fd);
}

#define NR_WAITERS	8

TEST_F(slot, write_wakes_all_waiters)
{
	struct waiter w[NR_WAITERS];
	int fds[NR_WAITERS], eps[NR_WAITERS];
	enum wait_kind kind;
	uint32_t id;
	int i, wr = open_minor(_metadata, &self->env, MINOR_WAKE);

	id = fresh_channel(_metadata, wr, FRESH_BASE(18));
	/* Each its own file; the three kinds of wait mixed. */
	for (i = 0; i < NR_WAITERS; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		fds[i] = open_minor(_metadata, &self->env, MINOR_WAKE);
		set_channel(_metadata, fds[i], id);
		eps[i] = -1;
		kind = i % 3;
		if (kind == WAIT_EPOLL) {
			eps[i] = epoll_create1(EPOLL_CLOEXEC);
			ASSERT_LE(0, eps[i]);
			ASSERT_EQ(0, epoll_ctl(eps[i], EPOLL_CTL_ADD, fds[i],
					       &ev));
		}
		start_waiter(_metadata, &w[i], kind,
			     kind == WAIT_EPOLL ? eps[i] : fds[i],
			     WAIT_LONG_MS);
	}
	for (i = 0; i < NR_WAITERS; i++)
		ASSERT_TRUE(wait_asleep(_metadata, &w[i]));

	put_str(_metadata, wr, "everyone");
	for (i = 0; i < NR_WAITERS; i++) {
		CHECK_WOKEN(&w[i]);
		check_str(_metadata, fds[i], "everyone");
		if (eps[i] >= 0)
			close(eps[i]);
		close(fds[i]);
	}
	close(wr);
}

/*
 * Writes to another channel of the slot, or to the same id in another
 * slot, must not even wake the waiter: the count of its voluntary context
 * switches stays the same while it sleeps.
 */
TEST_F(slot, other_channel_does_not_wake)
{
	struct waiter w;
	long switches;
	uint32_t id;
	int i, fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int wr = open_minor(_metadata, &self->env, MINOR_WAKE);
	int far = open_minor(_metadata, &self->env, MINOR_WAKE_OTHER);

	id = fresh_channel(_metadata, fd, FRESH_BASE(19));
	/* wr keeps the next never-written channel. */
	fresh_channel(_metadata, wr, id + 1);
	set_channel(_metadata, far, id);

	start_waiter(_metadata, &w, WAIT_POLL, fd, WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	switches = proc_nvcsw(w.pid);
	ASSERT_LE(0, switches);
	for (i = 0; i < 100; i++) {
		put_str(_metadata, wr, "not for you");
		put_str(_metadata, far, "not for you either");
	}
	ASSERT_EQ('S', proc_state(w.pid));
	ASSERT_EQ(switches, proc_nvcsw(w.pid));
	ASSERT_FALSE(waiter_done(&w));

	set_channel(_metadata, wr, id);
	put_str(_metadata, wr, "for you");
	CHECK_WOKEN(&w);
	close(far);
	close(wr);
	close(fd);
}

/* Nothing unread: each kind of wait times out, after the whole timeout. */
TEST_F(slot, wait_timeout)
{
	static const enum wait_kind kinds[] = {
		WAIT_POLL, WAIT_SELECT, WAIT_EPOLL,
	};
	struct epoll_event ev = { .events = EPOLLIN };
	struct waiter w;
	unsigned int i;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	id = fresh_channel(_metadata, fd, FRESH_BASE(20));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	for (i = 0; i < 2 * ARRAY_SIZE(kinds); i++) {
		/* First a never-written channel, then a read message. */
		if (i == ARRAY_SIZE(kinds)) {
			put_str(_metadata, fd, "seen");
			check_str(_metadata, fd, "seen");
		}
		start_waiter(_metadata, &w, kinds[i % ARRAY_SIZE(kinds)],
			     kinds[i % ARRAY_SIZE(kinds)] == WAIT_EPOLL ? ep : fd,
			     100);
		join_waiter(_metadata, &w);
		ASSERT_EQ(0, w.ret) TH_LOG("wait %u: %s", i, strerror(w.err));
		ASSERT_LE(100, elapsed_ms(&w.begin, &w.end));
	}
	CHECK_INFO(fd, id, 4, 1);
	close(ep);
	close(fd);
}

/*
 * A waiter of one channel times out while another channel of the slot is
 * written over and over.
 */
TEST_F(slot, wait_timeout_other_channel)
{
	struct waiter w;
	uint32_t id;
	int i, fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int wr = open_minor(_metadata, &self->env, MINOR_WAKE);

	id = fresh_channel(_metadata, fd, FRESH_BASE(21));
	fresh_channel(_metadata, wr, id + 1);
	start_waiter(_metadata, &w, WAIT_POLL, fd, 300);
	/* Should the writes below take 300 ms, the wait has ended anyway. */
	wait_asleep(_metadata, &w);
	for (i = 0; i < 200 && !waiter_done(&w); i++)
		put_str(_metadata, wr, "not for you");
	join_waiter(_metadata, &w);
	ASSERT_EQ(0, w.ret) TH_LOG("poll: %s, revents %#x",
				   strerror(w.err), w.events);
	ASSERT_LE(300, elapsed_ms(&w.begin, &w.end));
	CHECK_INFO(fd, id, 0, 0);
	close(wr);
	close(fd);
}

/* A selection made while the file is waited on moves the wait along. */
static void switch_test(struct __test_metadata *_metadata,
			const struct msg_slot_env *env, enum wait_kind kind,
			uint32_t base)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint32_t a, b;
	struct waiter w;
	int fd = open_minor(_metadata, env, MINOR_WAKE);
	int wr = open_minor(_metadata, env, MINOR_WAKE);
	int ep = -1;

	a = fresh_channel(_metadata, fd, base);
	b = fresh_channel(_metadata, wr, a + 1);
	put_str(_metadata, wr, "on b");
	set_channel(_metadata, fd, a);
	if (kind == WAIT_EPOLL) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		ASSERT_LE(0, ep);
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
		ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	}

	start_waiter(_metadata, &w, kind, kind == WAIT_EPOLL ? ep : fd,
		     WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	set_channel(_metadata, fd, b);
	CHECK_WOKEN(&w);
	check_str(_metadata, fd, "on b");

	/* From now on b counts, and a does not. */
	set_channel(_metadata, wr, a);
	put_str(_metadata, wr, "on a");
	CHECK_POLL(fd, POLL_WRITABLE);
	if (ep >= 0)
		ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));
	start_waiter(_metadata, &w, kind, kind == WAIT_EPOLL ? ep : fd,
		     WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	set_channel(_metadata, wr, b);
	put_str(_metadata, wr, "on b again");
	CHECK_WOKEN(&w);
	check_str(_metadata, fd, "on b again");
	if (ep >= 0)
		close(ep);
	close(wr);
	close(fd);
}

TEST_F(slot, poll_follows_channel_switch)
{
	switch_test(_metadata, &self->env, WAIT_POLL, FRESH_BASE(22));
}

TEST_F(slot, epoll_follows_channel_switch)
{
	switch_test(_metadata, &self->env, WAIT_EPOLL, FRESH_BASE(23));
}

/*
 * The device node and statistics of minor 0, which the driver creates
 * with its default nodes=1. Other tests use minor 0 too, so these pick
 * never-written channels and compare statistics with their start.
 */
#define SYSFS_SLOT0		"/sys/class/" MSG_SLOT_DRIVER_NAME "/" \
				MSG_SLOT_DRIVER_NAME "0"
#define DEV_SLOT0		"/dev/" MSG_SLOT_DRIVER_NAME "0"
#define NODES_PARAM		"/sys/module/message_slot/parameters/nodes"

/* The number of minors the driver made device nodes for. */
static unsigned long read_nodes(struct __test_metadata *_metadata)
{
	char buf[32];
	long n = msg_slot_read_file(NODES_PARAM, buf, sizeof(buf));

	ASSERT_LT(0, n) TH_LOG("%s: %s", NODES_PARAM, strerror(-n));
	return strtoul(buf, NULL, 10);
}

/* Read a sysfs file that holds one decimal number and a newline. */
static unsigned long long read_number(struct __test_metadata *_metadata,
				      const char *path)
{
	char buf[64];
	long n, i;

	n = msg_slot_read_file(path, buf, sizeof(buf));
	ASSERT_LT(1, n) TH_LOG("%s: %s", path, strerror(-n));
	ASSERT_EQ('\n', buf[n - 1]) TH_LOG("%s: '%s'", path, buf);
	for (i = 0; i < n - 1; i++)
		ASSERT_TRUE(buf[i] >= '0' && buf[i] <= '9')
			TH_LOG("%s: '%s'", path, buf);
	ASSERT_TRUE(buf[0] != '0' || n == 2) TH_LOG("%s: '%s'", path, buf);
	return strtoull(buf, NULL, 10);
}

struct slot_stats {
	unsigned long long channels, used, bytes, writes;
};

static void read_stats(struct __test_metadata *_metadata,
		       struct slot_stats *st)
{
	st->channels = read_number(_metadata, SYSFS_SLOT0 "/channels");
	st->used = read_number(_metadata, SYSFS_SLOT0 "/channels_used");
	st->bytes = read_number(_metadata, SYSFS_SLOT0 "/bytes");
	st->writes = read_number(_metadata, SYSFS_SLOT0 "/writes");
}

/* The statistics must differ from @start by exactly these amounts. */
#define CHECK_STATS(start, d_channels, d_used, d_bytes, d_writes) do {	\
	const struct slot_stats *__start = (start);			\
	struct slot_stats __now;					\
									\
	read_stats(_metadata, &__now);					\
	ASSERT_EQ((long long)(d_channels),				\
		  (long long)(__now.channels - __start->channels));	\
	ASSERT_EQ((long long)(d_used),					\
		  (long long)(__now.used - __start->used));		\
	ASSERT_EQ((long long)(d_bytes),					\
		  (long long)(__now.bytes - __start->bytes));		\
	ASSERT_EQ((long long)(d_writes),				\
		  (long long)(__now.writes - __start->writes));		\
} while (0)

TEST_F(slot, device_node)
{
	char path[128], buf[64], want[64];
	unsigned long nodes = read_nodes(_metadata);
	struct stat st;
	uint32_t id;
	pid_t pid;
	int dev, fd;

	if (!nodes)
		SKIP(return, "message_slot was loaded with nodes=0");
	ASSERT_EQ(0, stat(DEV_SLOT0, &st))
		TH_LOG("%s: %s (devtmpfs not mounted?)", DEV_SLOT0,
		       strerror(errno));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0666, st.st_mode & 07777);
	ASSERT_EQ((unsigned int)self->env.major, major(st.st_rdev));
	ASSERT_EQ(0U, minor(st.st_rdev));

	snprintf(want, sizeof(want), "%d:0\n", self->env.major);
	ASSERT_LT(0, msg_slot_read_file(SYSFS_SLOT0 "/dev", buf, sizeof(buf)));
	ASSERT_STREQ(want, buf);
	/* Exactly the first @nodes minors have a device. */
	snprintf(path, sizeof(path), "/sys/class/%s/%s%lu/dev",
		 MSG_SLOT_DRIVER_NAME, MSG_SLOT_DRIVER_NAME, nodes - 1);
	ASSERT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
	snprintf(path, sizeof(path), "/sys/class/%s/%s%lu",
		 MSG_SLOT_DRIVER_NAME, MSG_SLOT_DRIVER_NAME, nodes);
	ASSERT_ERRNO(ENOENT, access(path, F_OK));

	/* The node and a private node of minor 0 are the same slot. */
	dev = open(DEV_SLOT0, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev) TH_LOG("%s: %s", DEV_SLOT0, strerror(errno));
	fd = open_minor(_metadata, &self->env, MINOR_NODE);
	id = fresh_channel(_metadata, fd, FRESH_BASE(24));
	set_channel(_metadata, dev, id);
	put_str(_metadata, dev, "through /dev");
	check_str(_metadata, fd, "through /dev");
	put_str(_metadata, fd, "through the private node");
	check_str(_metadata, dev, "through the private node");
	CHECK_INFO(dev, id, 24, 2);

	/* Mode 0666: anybody may use it. */
	if (geteuid() == 0) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int nobody;

			if (setgid(65534) || setuid(65534))
				_exit(1);
			nobody = open(DEV_SLOT0, O_RDWR);
			if (nobody < 0 || msg_slot_set_channel(nobody, id))
				_exit(2);
			_exit(write(nobody, "from nobody", 11) == 11 ? 0 : 3);
		}
		wait_child(_metadata, pid);
		check_str(_metadata, fd, "from nobody");
		CHECK_INFO(fd, id, 11, 3);
	}
	close(fd);
	close(dev);
}

TEST_F(slot, device_stats)
{
	char msg[MSG_SLOT_MAX_MSG_LEN + 1], buf[BIG_BUF];
	struct slot_stats start;
	size_t map_len;
	uint32_t a, b, c;
	void *map;
	char *edge;
	int fd;

	if (!read_nodes(_metadata))
		SKIP(return, "message_slot was loaded with nodes=0");
	memset(msg, 's', sizeof(msg));
	fd = open_minor(_metadata, &self->env, MINOR_NODE);
	a = fresh_channel(_metadata, fd, FRESH_BASE(25));
	b = fresh_channel(_metadata, fd, a + 1);
	c = fresh_channel(_metadata, fd, b + 1);
	read_stats(_metadata, &start);
	/* Selecting channels and asking about them is no change. */
	CHECK_STATS(&start, 0, 0, 0, 0);

	set_channel(_metadata, fd, a);
	put_msg(_metadata, fd, msg, 10);
	CHECK_STATS(&start, 1, 1, 10, 1);
	/* An overwrite replaces the length. */
	put_msg(_metadata, fd, msg, 100);
	CHECK_STATS(&start, 1, 1, 100, 2);
	put_msg(_metadata, fd, msg, 3);
	CHECK_STATS(&start, 1, 1, 3, 3);

	/* Failed writes change nothing. */
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, 0));
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, MSG_SLOT_MAX_MSG_LEN + 1));
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	edge = straddling_buffer(_metadata, 16, &map, &map_len);
	ASSERT_ERRNO(EFAULT, write(fd, edge, 17));
	munmap(map, map_len);
	set_channel(_metadata, fd, c);
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	CHECK_STATS(&start, 1, 1, 3, 3);
	/* So do reads. */
	set_channel(_metadata, fd, a);
	check_msg(_metadata, fd, msg, 3);
	CHECK_STATS(&start, 1, 1, 3, 3);

	set_channel(_metadata, fd, b);
	put_msg(_metadata, fd, msg, MSG_SLOT_MAX_MSG_LEN);
	CHECK_STATS(&start, 2, 2, 3 + MSG_SLOT_MAX_MSG_LEN, 4);

	/* A clear removes the message but is no write. */
	set_channel(_metadata, fd, a);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 1, 2, MSG_SLOT_MAX_MSG_LEN, 4);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 1, 2, MSG_SLOT_MAX_MSG_LEN, 4);
	set_channel(_metadata, fd, c);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 1, 2, MSG_SLOT_MAX_MSG_LEN, 4);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));

	/* A write to a cleared channel holds a message again. */
	set_channel(_metadata, fd, a);
	put_msg(_metadata, fd, msg, 50);
	CHECK_STATS(&start, 2, 2, 50 + MSG_SLOT_MAX_MSG_LEN, 5);

	/* Leave the slot as it was, but for the write count. */
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	set_channel(_metadata, fd, b);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 0, 2, 0, 5);
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
	char channel[PATH_MAX + 32];
	char dev[128];
	char missing[128];
};

static int find_samples(char *sender, char *reader, char *channel,
			size_t size)
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
	snprintf(channel, size, "%s/message_channel", dir);
	if (access(sender, X_OK) || access(reader, X_OK) ||
	    access(channel, X_OK))
		return -1;
	return 0;
}

FIXTURE_SETUP(samples)
{
	if (!msg_slot_env_setup(_metadata, &self->env))
		return;

	if (find_samples(self->sender, self->reader, self->channel,
			 sizeof(self->sender))) {
		msg_slot_env_cleanup(&self->env);
		SKIP(return, "sample programs not found (set MSG_SLOT_SAMPLES)");
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
#define CHANNEL_TOOL(...)						\
	((const char *const[]){ self->channel, ##__VA_ARGS__, NULL })

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
	ASSERT_TRUE(!memchr(run->err, '\n', run->err_len - 1))
		TH_LOG("[%s] more than one line: %s", run->cmd, run->err);
	ASSERT_TRUE(!!strstr(run->err, prog))
		TH_LOG("[%s] stderr: %s", run->cmd, run->err);
}

/* Run a sample, whose path is argv[0], and require check_failure(). */
static void sample_fails(struct __test_metadata *_metadata,
			 const char *const *argv)
{
	const char *slash = strrchr(argv[0], '/');
	struct sample_run run;

	run_sample(_metadata, argv[0], argv, &run);
	check_failure(_metadata, &run, slash ? slash + 1 : argv[0]);
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

/* Channel 6 of this minor: written and cleared by message_channel. */
TEST_F(samples, channel_info_and_clear)
{
	char buf[BIG_BUF], want[64];
	struct msg_slot_channel_info info;
	struct sample_run run;
	int fd, len;

	fd = open_minor(_metadata, &self->env, MINOR_SAMPLES);
	set_channel(_metadata, fd, 6);
	put_str(_metadata, fd, "status");
	get_info(_metadata, fd, &info);

	/* info prints the state in one line. */
	len = snprintf(want, sizeof(want), "channel=6 len=6 seq=%llu\n",
		       (unsigned long long)info.seq);
	run_sample(_metadata, self->channel,
		   CHANNEL_TOOL(self->dev, "6", "info"), &run);
	check_success(_metadata, &run, want, len);
	check_str(_metadata, fd, "status");

	/* clear prints nothing, and the message is gone for every file. */
	run_sample(_metadata, self->channel,
		   CHANNEL_TOOL(self->dev, "6", "clear"), &run);
	check_success(_metadata, &run, "", 0);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	len = snprintf(want, sizeof(want), "channel=6 len=0 seq=%llu\n",
		       (unsigned long long)info.seq);
	run_sample(_metadata, self->channel,
		   CHANNEL_TOOL(self->dev, "6", "info"), &run);
	check_success(_metadata, &run, want, len);

	/* Clearing a channel with no message is no error either. */
	run_sample(_metadata, self->channel,
		   CHANNEL_TOOL(self->dev, "6", "clear"), &run);
	check_success(_metadata, &run, "", 0);
	close(fd);
}

TEST_F(samples, channel_tool_bad_input)
{
	static const char *const bad[] = {
		"abc", "0", "4294967296", "-1", "12abc", "", " 7", "0x10",
	};
	unsigned int i;

	sample_fails(_metadata, CHANNEL_TOOL());
	sample_fails(_metadata, CHANNEL_TOOL(self->dev, "1"));
	sample_fails(_metadata, CHANNEL_TOOL(self->dev, "1", "info", "x"));
	sample_fails(_metadata, CHANNEL_TOOL(self->dev, "1", "read"));
	sample_fails(_metadata, CHANNEL_TOOL(self->dev, "1", ""));
	sample_fails(_metadata, CHANNEL_TOOL(self->missing, "1", "info"));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		sample_fails(_metadata, CHANNEL_TOOL(self->dev, bad[i], "info"));
}

TEST_F(samples, bad_argument_count)
{
	sample_fails(_metadata, SENDER());
	sample_fails(_metadata, SENDER(self->dev));
	sample_fails(_metadata, SENDER(self->dev, "1"));
	sample_fails(_metadata, SENDER(self->dev, "1", "a", "b"));
	sample_fails(_metadata, READER());
	sample_fails(_metadata, READER(self->dev));
	sample_fails(_metadata, READER(self->dev, "1", "x"));
}

TEST_F(samples, bad_channel)
{
	static const char *const bad[] = {
		"abc", "0", "4294967296", "18446744073709551616", "-1",
		"12abc", "", " 7", "+7", "0x10",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		sample_fails(_metadata, SENDER(self->dev, bad[i], "msg"));
		sample_fails(_metadata, READER(self->dev, bad[i]));
	}
}

TEST_F(samples, message_too_long)
{
	char msg[MSG_SLOT_MAX_MSG_LEN + 2];

	memset(msg, 'z', MSG_SLOT_MAX_MSG_LEN + 1);
	msg[MSG_SLOT_MAX_MSG_LEN + 1] = '\0';
	sample_fails(_metadata, SENDER(self->dev, "3", msg));
	/* Rejected up front, so even a missing device is not reached. */
	sample_fails(_metadata, SENDER(self->missing, "3", msg));
	/* Channel 3 of this minor is never written successfully. */
	sample_fails(_metadata, READER(self->dev, "3"));
}

TEST_F(samples, empty_message)
{
	sample_fails(_metadata, SENDER(self->dev, "3", ""));
	sample_fails(_metadata, READER(self->dev, "3"));
}

TEST_F(samples, missing_device)
{
	sample_fails(_metadata, SENDER(self->missing, "1", "nobody home"));
	sample_fails(_metadata, READER(self->missing, "1"));
}

TEST_F(samples, empty_channel)
{
	/* Channel 4 of this minor is never written. */
	sample_fails(_metadata, READER(self->dev, "4"));
}

/* Whether the file @path contains the bytes of @s. */
static bool file_contains(const char *path, const char *s)
{
	size_t len = strlen(s), have = 0;
	char buf[8192];
	bool found = false;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	/* Keep the last len - 1 bytes so a match may span two reads. */
	while (!found && (n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += n;
		found = memmem(buf, have, s, len);
		if (have >= len) {
			memmove(buf, buf + have - (len - 1), len - 1);
			have = len - 1;
		}
	}
	close(fd);
	return found;
}

#define FOLLOW_WAIT_MS	20000	/* for one line of message_reader --follow */

/*
 * Read from @fd until @out holds @want_len bytes in all, failing after
 * FOLLOW_WAIT_MS without progress or at end of file.
 */
static void read_output(struct __test_metadata *_metadata, int fd,
			int err_fd, char *out, size_t *len, size_t want_len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char err[SAMPLE_OUT_MAX + 1];
	ssize_t n;

	while (*len < want_len) {
		ASSERT_EQ(1, poll(&pfd, 1, FOLLOW_WAIT_MS))
			TH_LOG("no output after '%.*s'", (int)*len, out);
		n = read(fd, out + *len, SAMPLE_OUT_MAX - *len);
		ASSERT_LE(0, n) TH_LOG("read: %s", strerror(errno));
		if (n == 0) {
			/* It exited: say why, if it did. */
			n = read(err_fd, err, SAMPLE_OUT_MAX);
			err[n > 0 ? n : 0] = '\0';
			ASSERT_TRUE(false)
				TH_LOG("output ended after '%.*s'; stderr: '%s'",
				       (int)*len, out, err);
		}
		*len += n;
	}
}

TEST_F(samples, reader_follow)
{
	static const char want[] = "m1\nm2\nm3\n";
	char out[SAMPLE_OUT_MAX + 1], dev[128], id_str[16];
	int pipe_out[2], pipe_err[2], status, fd;
	size_t len = 0;
	uint32_t id;
	ssize_t n;
	pid_t pid;

	if (!file_contains(self->reader, "--follow"))
		SKIP(return, "message_reader does not support --follow");
	fd = open_minor(_metadata, &self->env, MINOR_FOLLOW);
	msg_slot_node_path(&self->env, MINOR_FOLLOW, dev, sizeof(dev));
	id = fresh_channel(_metadata, fd, FRESH_BASE(26));
	snprintf(id_str, sizeof(id_str), "%u", id);

	/* A message written before the reader starts is its first line. */
	put_str(_metadata, fd, "m1");
	ASSERT_EQ(0, pipe2(pipe_out, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(pipe_err, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* It runs until killed: not past this test, whatever happens. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || null < 0 ||
		    dup2(null, STDIN_FILENO) < 0 ||
		    dup2(pipe_out[1], STDOUT_FILENO) < 0 ||
		    dup2(pipe_err[1], STDERR_FILENO) < 0)
			_exit(126);
		execl(self->reader, self->reader, "--follow", dev, id_str,
		      (char *)NULL);
		_exit(127);
	}
	close(pipe_out[1]);
	close(pipe_err[1]);

	/* Each write only after the line before it is out: none is lost. */
	read_output(_metadata, pipe_out[0], pipe_err[0], out, &len, 3);
	put_str(_metadata, fd, "m2");
	read_output(_metadata, pipe_out[0], pipe_err[0], out, &len, 6);
	put_str(_metadata, fd, "m3");
	read_output(_metadata, pipe_out[0], pipe_err[0], out, &len, 9);
	out[len] = '\0';
	ASSERT_STREQ(want, out);

	/* Still following until it is killed, with nothing more to say. */
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		TH_LOG("status %#x", status);
	n = read(pipe_out[0], out, SAMPLE_OUT_MAX);
	ASSERT_EQ(0, n) TH_LOG("more output: '%.*s'", (int)n, out);
	n = read(pipe_err[0], out, SAMPLE_OUT_MAX);
	ASSERT_EQ(0, n) TH_LOG("stderr: '%.*s'", (int)n, out);
	close(pipe_out[0]);
	close(pipe_err[0]);
	close(fd);
}

TEST_HARNESS_MAIN
