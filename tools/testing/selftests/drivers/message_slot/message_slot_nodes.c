// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: the device nodes the driver creates and the counters of
 * their slots in sysfs.
 */

#define _GNU_SOURCE
#include <grp.h>

#include "../../kselftest_harness.h"
#include "msg_slot_test.h"

/*
 * The minor of this program: minor 0, whose device node and statistics the
 * driver creates with its default nodes=1. The tests pick empty channels
 * and compare statistics with their start, so that the program can run
 * again in the same boot.
 */
#define MINOR_NODE		0
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
	unsigned long long channels, bytes, writes;
};

static void read_stats(struct __test_metadata *_metadata,
		       struct slot_stats *st)
{
	st->channels = read_number(_metadata, SYSFS_SLOT0 "/held_messages");
	st->bytes = read_number(_metadata, SYSFS_SLOT0 "/held_bytes");
	st->writes = read_number(_metadata, SYSFS_SLOT0 "/writes");
}

/* The statistics must differ from @start by exactly these amounts. */
#define CHECK_STATS(start, d_channels, d_bytes, d_writes) do {		\
	const struct slot_stats *__start = (start);			\
	struct slot_stats __now;					\
									\
	read_stats(_metadata, &__now);					\
	ASSERT_EQ((long long)(d_channels),				\
		  (long long)(__now.channels - __start->channels));	\
	ASSERT_EQ((long long)(d_bytes),					\
		  (long long)(__now.bytes - __start->bytes));		\
	ASSERT_EQ((long long)(d_writes),				\
		  (long long)(__now.writes - __start->writes));		\
} while (0)

/*
 * The channel of @fd took the last write of the slot: its seq is the
 * slot's write count, as sysfs shows it.
 */
#define CHECK_LAST_WRITE(fd, want_len) do {				\
	struct msg_slot_channel_info __info;				\
									\
	get_info(_metadata, (fd), &__info);				\
	ASSERT_EQ((uint32_t)(want_len), __info.len);			\
	ASSERT_EQ(read_number(_metadata, SYSFS_SLOT0 "/writes"),	\
		  (unsigned long long)__info.seq);			\
} while (0)

TEST_F(slot, device_node)
{
	char path[128], buf[64], want[64];
	unsigned long nodes = read_nodes(_metadata);
	struct stat st;
	uint64_t seq;
	uint32_t id;
	pid_t pid;
	int dev, fd;

	if (!nodes)
		SKIP(return, "message_slot was loaded with nodes=0");
	ASSERT_EQ(0, stat(DEV_SLOT0, &st))
		TH_LOG("%s: %s (devtmpfs not mounted?)", DEV_SLOT0,
		       strerror(errno));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	/*
	 * Root's alone, as devtmpfs makes it. Where udev runs, the rule the
	 * documentation recommends may give it to a group (0660): then
	 * still no other user has access.
	 */
	ASSERT_EQ(0U, st.st_uid);
	if (access("/run/udev/control", F_OK)) {
		ASSERT_EQ(0600, st.st_mode & 07777);
		ASSERT_EQ(0U, st.st_gid);
	} else {
		ASSERT_EQ(0, st.st_mode & 07117);
	}
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
	seq = put_str_seq(_metadata, dev, "through /dev");
	check_str(_metadata, fd, "through /dev");
	put_str(_metadata, fd, "through the private node");
	check_str(_metadata, dev, "through the private node");
	CHECK_INFO(dev, id, 24, seq + 1);

	/* No other user may open it, to read or to write. */
	if (geteuid() == 0) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* Without root's groups, which a rule may name. */
			if (setgroups(0, NULL) || setgid(65534) ||
			    setuid(65534))
				_exit(1);
			if (open(DEV_SLOT0, O_RDWR) >= 0 || errno != EACCES)
				_exit(2);
			if (open(DEV_SLOT0, O_RDONLY) >= 0 || errno != EACCES)
				_exit(3);
			_exit(0);
		}
		wait_child(_metadata, pid);
		CHECK_INFO(fd, id, 24, seq + 1);
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
	CHECK_STATS(&start, 0, 0, 0);

	/* Each write's seq is the write count of the slot right after it. */
	set_channel(_metadata, fd, a);
	put_msg(_metadata, fd, msg, 10);
	CHECK_STATS(&start, 1, 10, 1);
	CHECK_LAST_WRITE(fd, 10);
	/* An overwrite replaces the length. */
	put_msg(_metadata, fd, msg, 100);
	CHECK_STATS(&start, 1, 100, 2);
	CHECK_LAST_WRITE(fd, 100);
	put_msg(_metadata, fd, msg, 3);
	CHECK_STATS(&start, 1, 3, 3);
	CHECK_LAST_WRITE(fd, 3);

	/* Failed writes change nothing. */
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, 0));
	ASSERT_ERRNO(EMSGSIZE, write(fd, msg, MSG_SLOT_MAX_MSG_LEN + 1));
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	edge = straddling_buffer(_metadata, 16, &map, &map_len);
	ASSERT_ERRNO(EFAULT, write(fd, edge, 17));
	munmap(map, map_len);
	set_channel(_metadata, fd, c);
	ASSERT_ERRNO(EFAULT, write(fd, null_buf, 5));
	CHECK_STATS(&start, 1, 3, 3);
	CHECK_INFO(fd, c, 0, 0);
	/* So do reads. */
	set_channel(_metadata, fd, a);
	check_msg(_metadata, fd, msg, 3);
	CHECK_STATS(&start, 1, 3, 3);
	CHECK_LAST_WRITE(fd, 3);

	set_channel(_metadata, fd, b);
	put_msg(_metadata, fd, msg, MSG_SLOT_MAX_MSG_LEN);
	CHECK_STATS(&start, 2, 3 + MSG_SLOT_MAX_MSG_LEN, 4);
	CHECK_LAST_WRITE(fd, MSG_SLOT_MAX_MSG_LEN);

	/* A clear removes the channel but is no write. */
	set_channel(_metadata, fd, a);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 1, MSG_SLOT_MAX_MSG_LEN, 4);
	CHECK_INFO(fd, a, 0, 0);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 1, MSG_SLOT_MAX_MSG_LEN, 4);
	set_channel(_metadata, fd, c);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 1, MSG_SLOT_MAX_MSG_LEN, 4);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));

	/* A write to a cleared channel makes it again, with the next seq. */
	set_channel(_metadata, fd, a);
	put_msg(_metadata, fd, msg, 50);
	CHECK_STATS(&start, 2, 50 + MSG_SLOT_MAX_MSG_LEN, 5);
	CHECK_LAST_WRITE(fd, 50);
	set_channel(_metadata, fd, b);
	CHECK_INFO(fd, b, MSG_SLOT_MAX_MSG_LEN, start.writes + 4);

	/* Leave the slot as it was, but for the write count. */
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	set_channel(_metadata, fd, a);
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR));
	CHECK_STATS(&start, 0, 0, 5);
	close(fd);
}

/* The counters are there, each named for what it counts. */
TEST_F(slot, device_stats_files)
{
	static const char *const kept[] = {
		"held_messages", "held_bytes", "writes",
	};
	char path[128];
	unsigned int i;

	if (!read_nodes(_metadata))
		SKIP(return, "message_slot was loaded with nodes=0");
	for (i = 0; i < ARRAY_SIZE(kept); i++) {
		snprintf(path, sizeof(path), "%s/%s", SYSFS_SLOT0, kept[i]);
		ASSERT_EQ(0, access(path, R_OK))
			TH_LOG("%s: %s", path, strerror(errno));
	}
}

TEST_HARNESS_MAIN
