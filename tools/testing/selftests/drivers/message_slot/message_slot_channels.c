// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: channel selection, read(2) and write(2), and their errors.
 *
 * Messages persist until they are overwritten or cleared, for as long as
 * the module is loaded, so a test never assumes a channel starts empty
 * unless no test ever writes to it: each test writes before it asserts on
 * content. The program can therefore run again in the same boot, as its
 * 32-bit build (for the driver's compat_ioctl) does after the 64-bit one,
 * and in any order with the other message_slot tests, which keep to other
 * minors.
 */

#define _GNU_SOURCE
#include "../../kselftest_harness.h"
#include "msg_slot_test.h"

/* The minors of this program: one per area of tests. */
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
#define MINOR_NO_CHANNEL	13	/* errors before any I/O */
#define MINOR_LIMIT		100	/* max_channels, see the limit fixture */
#define MINOR_LIMIT_OTHER	101

/*
 * The ABI this program was built for, printed so that a log shows which
 * of the two builds ran, and the layout of the info struct, which must be
 * the same in both.
 */
TEST(abi)
{
	ksft_print_msg("ABI: sizeof(long) %zu, sizeof(void *) %zu\n",
		       sizeof(long), sizeof(void *));

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
	static const size_t fits[] = { 10, 11, BIG_BUF };
	char buf[BIG_BUF];
	unsigned int i;
	int fd = open_minor(_metadata, &self->env, MINOR_IO);

	set_channel(_metadata, fd, 12);
	put_str(_metadata, fd, "0123456789");

	ASSERT_ERRNO(ENOSPC, read(fd, buf, 0));
	ASSERT_ERRNO(ENOSPC, read(fd, buf, 1));
	ASSERT_ERRNO(ENOSPC, read(fd, buf, 9));
	/* Too small is reported before the buffer is looked at. */
	ASSERT_ERRNO(ENOSPC, read(fd, null_buf, 9));
	ASSERT_ERRNO(ENOSPC, read(fd, null_buf, 0));

	for (i = 0; i < ARRAY_SIZE(fits); i++) {
		memset(buf, 0, sizeof(buf));
		ASSERT_EQ(10, read(fd, buf, fits[i]));
		ASSERT_EQ(0, memcmp(buf, "0123456789", 10));
	}
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

/*
 * The limit is per user and per slot: this test runs as one user, who
 * holds every channel of MINOR_LIMIT.
 */
TEST_F(limit, max_channels)
{
	char msg[32], buf[BIG_BUF];
	unsigned long id;
	int fd, other;

	ASSERT_EQ(0, msg_slot_write_file(MAX_CHANNELS_PARAM, "4\n"));
	ASSERT_LT(0, msg_slot_read_file(MAX_CHANNELS_PARAM, buf, sizeof(buf)));
	ASSERT_EQ(4UL, strtoul(buf, NULL, 10));

	fd = open_minor(_metadata, &self->env, MINOR_LIMIT);
	/*
	 * Start from an empty slot, whatever an earlier run left: a clear
	 * removes a channel, and only ids 1 to 5 are ever written here.
	 */
	for (id = 1; id <= 5; id++) {
		set_channel(_metadata, fd, id);
		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	}
	/* Creating up to the limit works. */
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

	/* A clear gives the channel up: a new one fits in its place ... */
	set_channel(_metadata, fd, 4);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	set_channel(_metadata, fd, 5);
	put_str(_metadata, fd, "limited 5");
	check_str(_metadata, fd, "limited 5");
	/* ... and the slot is full again, now without channel 4. */
	set_channel(_metadata, fd, 4);
	ASSERT_ERRNO(ENOSPC, write(fd, "one too many", 12));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	set_channel(_metadata, fd, 1);
	check_str(_metadata, fd, "limited 1, again");

	/* The limit counts channels per slot, not in total. */
	other = open_minor(_metadata, &self->env, MINOR_LIMIT_OTHER);
	set_channel(_metadata, other, 5);
	put_str(_metadata, other, "other slot");
	check_str(_metadata, other, "other slot");

	close(other);
	close(fd);
}

TEST_HARNESS_MAIN
