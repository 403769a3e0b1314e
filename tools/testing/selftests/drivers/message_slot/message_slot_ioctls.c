// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: the seq of a channel (the slot-wide write stamp),
 * MSG_SLOT_CHANNEL_INFO and MSG_SLOT_CLEAR.
 *
 * A test that needs an empty channel finds one with fresh_channel(), so
 * the program can run again in the same boot, as its 32-bit build (for
 * the driver's compat_ioctl) does after the 64-bit one. For the same
 * reason a slot's stamp is unknown when a test starts: a test counts seqs
 * from the one a write of its own took (put_str_seq()).
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
	uint64_t seq;
	void *map;
	char *edge;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);
	int fd2 = open_minor(_metadata, &self->env, MINOR_INFO);

	memset(msg, 'w', sizeof(msg));
	id = fresh_channel(_metadata, fd, FRESH_BASE(1));
	other = fresh_channel(_metadata, fd2, id + 1);
	set_channel(_metadata, fd, id);
	seq = put_str_seq(_metadata, fd, "w");

	/* Every successful write takes the next stamp, whatever its length. */
	for (i = 1; i <= 10; i++) {
		len = (i * 37) % MSG_SLOT_MAX_MSG_LEN + 1;
		put_msg(_metadata, fd, msg, len);
		CHECK_INFO(fd, id, len, seq + i);
	}
	/* The same length and content again is another write. */
	put_msg(_metadata, fd, msg, len);
	CHECK_INFO(fd, id, len, seq + 11);
	put_msg(_metadata, fd, msg, MSG_SLOT_MAX_MSG_LEN);
	CHECK_INFO(fd, id, MSG_SLOT_MAX_MSG_LEN, seq + 12);
	put_msg(_metadata, fd, msg, 1);
	CHECK_INFO(fd, id, 1, seq + 13);

	/* Failed writes take no stamp and keep the message. */
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, 0));
	CHECK_INFO(fd, id, 1, seq + 13);
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, MSG_SLOT_MAX_MSG_LEN + 1));
	CHECK_INFO(fd, id, 1, seq + 13);
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	CHECK_INFO(fd, id, 1, seq + 13);
	edge = straddling_buffer(_metadata, 16, &map, &map_len);
	ASSERT_ERRNO(EFAULT, write(fd, edge, 17));
	CHECK_INFO(fd, id, 1, seq + 13);
	munmap(map, map_len);

	/* Writes through another file count on the same channel ... */
	set_channel(_metadata, fd2, id);
	put_msg(_metadata, fd2, msg, 5);
	CHECK_INFO(fd, id, 5, seq + 14);
	CHECK_INFO(fd2, id, 5, seq + 14);
	/*
	 * ... and those to another channel take the next stamps of the
	 * slot, leaving this channel's seq as it is.
	 */
	set_channel(_metadata, fd2, other);
	put_msg(_metadata, fd2, msg, 7);
	CHECK_INFO(fd2, other, 7, seq + 15);
	put_msg(_metadata, fd2, msg, 8);
	CHECK_INFO(fd2, other, 8, seq + 16);
	CHECK_INFO(fd, id, 5, seq + 14);

	/* Reads neither count nor change the length. */
	check_msg(_metadata, fd, msg, 5);
	CHECK_INFO(fd, id, 5, seq + 14);
	/* The next write of the channel comes after the other channel's. */
	put_msg(_metadata, fd, msg, 6);
	CHECK_INFO(fd, id, 6, seq + 17);
	CHECK_INFO(fd2, other, 8, seq + 16);
	close(fd2);
	close(fd);
}

/*
 * On a fresh slot, writing channel A, then B, then A gives A seq 3 and B
 * seq 2: counted here from the stamp of a first write of A.
 */
TEST_F(slot, info_seq_is_slot_wide)
{
	uint32_t a, b;
	uint64_t seq;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);
	int fd2 = open_minor(_metadata, &self->env, MINOR_INFO);

	a = fresh_channel(_metadata, fd, FRESH_BASE(28));
	b = fresh_channel(_metadata, fd2, a + 1);
	seq = put_str_seq(_metadata, fd, "a1");
	put_str(_metadata, fd2, "b2");
	CHECK_INFO(fd2, b, 2, seq + 1);
	put_str(_metadata, fd, "a3");
	CHECK_INFO(fd, a, 2, seq + 2);
	CHECK_INFO(fd2, b, 2, seq + 1);
	/* The same id on another file is the same channel, the same seq. */
	set_channel(_metadata, fd2, a);
	CHECK_INFO(fd2, a, 2, seq + 2);
	check_str(_metadata, fd2, "a3");
	close(fd2);
	close(fd);
}

TEST_F(slot, info_after_clear)
{
	char buf[BIG_BUF];
	uint32_t id, other;
	uint64_t seq;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(2));
	other = fresh_channel(_metadata, fd, id + 1);
	set_channel(_metadata, fd, id);
	seq = put_str_seq(_metadata, fd, "one");
	put_str(_metadata, fd, "two!");
	CHECK_INFO(fd, id, 4, seq + 1);

	/* A clear removes the channel: as if it had never been written. */
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 0);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 0);
	/* A failed write to a cleared channel leaves it empty. */
	ASSERT_ERRNO(EMSGSIZE, write(fd, buf, 0));
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 3));
	CHECK_INFO(fd, id, 0, 0);

	/*
	 * Written again, it takes the slot's next stamp, here after a write
	 * to another channel: larger than any seq it had, where a count of
	 * the channel's own, starting over, would not be.
	 */
	set_channel(_metadata, fd, other);
	put_str(_metadata, fd, "elsewhere");
	set_channel(_metadata, fd, id);
	put_str(_metadata, fd, "three");
	CHECK_INFO(fd, id, 5, seq + 3);
	check_str(_metadata, fd, "three");
	close(fd);
}

TEST_F(slot, info_errors)
{
	struct msg_slot_channel_info info;
	size_t map_len;
	void *map, *none;
	uint64_t seq;
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
	seq = put_str_seq(_metadata, fd, "info");

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
	ASSERT_EQ(seq, info.seq);
	munmap(map, map_len);

	/* The failures changed nothing. */
	CHECK_INFO(fd, id, 4, seq);
	check_str(_metadata, fd, "info");
	close(fd);
}

TEST_F(slot, info_does_not_mark_read)
{
	uint64_t seq;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(4));
	seq = put_str_seq(_metadata, fd, "unread");
	CHECK_POLL(fd, POLL_READABLE);
	CHECK_INFO(fd, id, 6, seq);
	CHECK_INFO(fd, id, 6, seq);
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "unread");
	CHECK_POLL(fd, POLL_WRITABLE);
	CHECK_INFO(fd, id, 6, seq);
	CHECK_POLL(fd, POLL_WRITABLE);
	close(fd);
}

TEST_F(slot, clear_then_read)
{
	unsigned char buf[BIG_BUF];
	unsigned int i;
	uint64_t seq;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);
	int fd2 = open_minor(_metadata, &self->env, MINOR_CLEAR);

	id = fresh_channel(_metadata, fd, FRESH_BASE(5));
	set_channel(_metadata, fd2, id);
	seq = put_str_seq(_metadata, fd, "to be cleared");
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));

	/* Gone for every file of the channel, and nothing is copied out. */
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	ASSERT_ERRNO(EWOULDBLOCK, read(fd2, buf, MSG_SLOT_MAX_MSG_LEN));
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(0x5a, buf[i]) TH_LOG("byte %u changed", i);
	CHECK_INFO(fd2, id, 0, 0);
	CHECK_INFO(fd, id, 0, 0);

	/* A write makes the channel readable again. */
	put_str(_metadata, fd2, "back");
	check_str(_metadata, fd, "back");
	check_str(_metadata, fd2, "back");
	CHECK_INFO(fd, id, 4, seq + 1);
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
	CHECK_INFO(fd, id, 0, 0);
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
		CHECK_INFO(fd, id, 0, 0);
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
	uint64_t seq, other_seq;
	uint32_t a, b, c;
	int fd = open_minor(_metadata, &self->env, MINOR_CLEAR);
	int other = open_minor(_metadata, &self->env, MINOR_CLEAR_OTHER);

	a = fresh_channel(_metadata, fd, FRESH_BASE(8));
	b = fresh_channel(_metadata, fd, a + 1);
	c = fresh_channel(_metadata, fd, b + 1);
	set_channel(_metadata, fd, a);
	seq = put_str_seq(_metadata, fd, "a");
	set_channel(_metadata, fd, b);
	put_str(_metadata, fd, "bb");
	set_channel(_metadata, fd, c);
	put_str(_metadata, fd, "ccc");
	/*
	 * The same id on another minor is another slot's channel, and the
	 * other slot has a sequence of its own.
	 */
	set_channel(_metadata, other, b);
	other_seq = put_str_seq(_metadata, other, "b elsewhere");
	put_str(_metadata, other, "b elsewhere, again");

	set_channel(_metadata, fd, b);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, b, 0, 0);

	set_channel(_metadata, fd, a);
	check_str(_metadata, fd, "a");
	CHECK_INFO(fd, a, 1, seq);
	set_channel(_metadata, fd, c);
	check_str(_metadata, fd, "ccc");
	CHECK_INFO(fd, c, 3, seq + 2);
	check_str(_metadata, other, "b elsewhere, again");
	CHECK_INFO(other, b, 18, other_seq + 1);

	/* Neither the clear nor the other slot's writes took a stamp. */
	set_channel(_metadata, fd, b);
	put_str(_metadata, fd, "bb again");
	CHECK_INFO(fd, b, 8, seq + 3);
	CHECK_INFO(other, b, 18, other_seq + 1);
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
	uint64_t seq;
	uint32_t id;

	id = fresh_channel(_metadata, wr, FRESH_BASE(9));
	seq = put_str_seq(_metadata, wr, "keep me");
	fd = msg_slot_open(&self->env, MINOR_CLEAR, O_RDONLY);
	ASSERT_LE(0, fd);
	/* Selecting and looking stay allowed on a read-only file. */
	set_channel(_metadata, fd, id);
	CHECK_INFO(fd, id, 7, seq);
	ASSERT_ERRNO(EBADF, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 7, seq);
	check_str(_metadata, fd, "keep me");
	close(fd);

	fd = msg_slot_open(&self->env, MINOR_CLEAR, O_WRONLY);
	ASSERT_LE(0, fd);
	set_channel(_metadata, fd, id);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR))
		TH_LOG("O_WRONLY: %s", strerror(errno));
	CHECK_INFO(fd, id, 0, 0);
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
	uint64_t seq;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_INFO);

	id = fresh_channel(_metadata, fd, FRESH_BASE(10));
	seq = put_str_seq(_metadata, fd, "stays");
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
		CHECK_INFO(fd, id, 5, seq);
	}
	CHECK_POLL(fd, POLL_READABLE);
	check_str(_metadata, fd, "stays");
	close(fd);
}

TEST_HARNESS_MAIN
