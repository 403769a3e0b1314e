// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: the write count of a channel, MSG_SLOT_CHANNEL_INFO and
 * MSG_SLOT_CLEAR.
 *
 * A test that needs a never-written channel finds one with
 * fresh_channel(), so the program can run again in the same boot, as its
 * 32-bit build (for the driver's compat_ioctl) does after the 64-bit one.
 */

#define _GNU_SOURCE
#include "../../kselftest_harness.h"
#include "msg_slot_test.h"

/* The minors of this program. */
#define MINOR_INFO		30	/* MSG_SLOT_CHANNEL_INFO */
#define MINOR_CLEAR		31	/* MSG_SLOT_CLEAR ... */
#define MINOR_CLEAR_OTHER	32

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
		/* Near MSG_SLOT_CHANNEL: none may select a channel. */
		_IOW(MSG_SLOT_IOC_MAGIC, 1, unsigned int),
		_IOW(MSG_SLOT_IOC_MAGIC, 0xff, unsigned int),
		_IOR(MSG_SLOT_IOC_MAGIC, 0, unsigned int),
		_IOWR(MSG_SLOT_IOC_MAGIC, 0, unsigned int),
		_IO(MSG_SLOT_IOC_MAGIC, 0),
		_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned short),
		_IOW('x', 0, unsigned int),
		0,
		/* Near the other two. */
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

TEST_HARNESS_MAIN
