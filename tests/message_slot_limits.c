// SPDX-License-Identifier: GPL-2.0
/*
 * Resource limits of the message_slot character device.
 *
 * Whoever may write to a slot makes the kernel keep memory for as long as
 * the module is loaded, so two limits bound what a writer can take: the
 * max_channels module parameter caps the channels of one slot, and every
 * allocation is charged to the writer's memory cgroup, where reaching
 * memory.max must fail the write with ENOMEM rather than wake the OOM
 * killer. Both are checked from an unprivileged process, since that is
 * whom the limits are for.
 *
 * Each test has a minor of its own. Channels persist until the module is
 * unloaded, so the tests accept what an earlier run in the same boot left
 * behind.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "msg_slot_common.h"

#define MINOR_CHANNEL_LIMIT	250
#define MINOR_MEMCG		251
#define MINOR_VICTIM		252

/* The overflow uid and gid: an account that owns nothing here. */
#define NOBODY_ID		65534

/* Small enough to fill quickly, large enough for a grown table. */
#define TEST_MAX_CHANNELS	1000

/*
 * The writer's cgroup: room for the process itself, which is already
 * charged elsewhere and only adds what it touches after moving, and for a
 * few ten thousand channels.
 */
#define CGROUP_MEMORY_MAX	(8UL << 20)

/*
 * The table growth test: others fill a slot up to the first growth of its
 * table from VICTIM_PREFILL channels on, then a writer in a cgroup of
 * VICTIM_MEMORY_MAX creates VICTIM_CHANNELS more. The first of them makes
 * the table grow to hold at least 196,608 channels: over 5 MiB, beyond the
 * cgroup, while the writer's own messages take a few hundred bytes.
 */
#define VICTIM_PREFILL		131072UL	/* 2^17 */
#define VICTIM_CHANNELS		16UL
#define VICTIM_MEMORY_MAX	(4UL << 20)
#define TABLE_MIN_ENTRIES	8UL

/* Room for cgroup paths: a mount point, a cgroup and a file name in it. */
#define CG_PATH			256
#define CG_NAME			64
#define CG_FILE_PATH		(CG_PATH + 2 * CG_NAME)

#define MAX_CHANNELS_PARAM \
	"/sys/module/message_slot/parameters/max_channels"
#define NODE_DIR_MODE		0711	/* others may reach the node ... */
#define NODE_MODE		0666	/* ... and open it read-write */

/* What a child found, in memory shared with the test process. */
struct child_report {
	int err;		/* errno of the write that ended the fill */
	unsigned long first;	/* first channel id the child created */
	unsigned long written;	/* channels it created before the error */
	char why[256];		/* set when the child failed */
};

/* Knuth's multiplicative hash: neighbouring ids get unrelated bytes. */
#define MSG_ID_MIX		2654435761UL
#define MSG_BYTE_STEP		31

/*
 * Messages are a function of their channel id, so that any run can check
 * what an earlier one wrote. A @len of 0 picks a length from the id too,
 * which spreads the messages over all size classes.
 */
static size_t fill_msg(unsigned long id, unsigned char *buf, size_t len)
{
	size_t i;

	if (!len)
		len = 1 + id % MSG_SLOT_MAX_MSG_LEN;
	for (i = 0; i < len; i++)
		buf[i] = id * MSG_ID_MIX + i * MSG_BYTE_STEP;
	return len;
}

/* Is @word one of the blank-separated words of @list? */
static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
			return true;
		p += len;
	}
	return false;
}

/*
 * Children report through @rep and their exit status only: they must not
 * use the harness, whose assertions belong to the test process.
 */
static void __printf(2, 3) __noreturn
child_fail(struct child_report *rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
	_exit(1);
}

static void drop_privileges(struct child_report *rep)
{
	/* Groups first: once the uid is gone, they cannot be changed. */
	if (setgroups(0, NULL) || setgid(NOBODY_ID) || setuid(NOBODY_ID))
		child_fail(rep, "cannot drop to uid %d: %s", NOBODY_ID,
			   strerror(errno));
	if (geteuid() != NOBODY_ID || getegid() != NOBODY_ID)
		child_fail(rep, "still euid %d egid %d", geteuid(),
			   getegid());
}

/* Read channel @id of @fd and require exactly its message. */
static int check_channel(int fd, unsigned long id, size_t len,
			 struct child_report *rep)
{
	unsigned char want[MSG_SLOT_MAX_MSG_LEN], got[MSG_SLOT_MAX_MSG_LEN];
	ssize_t n;

	len = fill_msg(id, want, len);
	if (msg_slot_set_channel(fd, id))
		return -errno;
	n = read(fd, got, sizeof(got));
	if (n < 0)
		return -errno;
	if ((size_t)n != len || memcmp(got, want, len)) {
		snprintf(rep->why, sizeof(rep->why),
			 "channel %lu: read %zd bytes, not its %zu", id, n,
			 len);
		return -EBADMSG;
	}
	return 0;
}

static int put_channel(int fd, unsigned long id, size_t len)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];

	len = fill_msg(id, msg, len);
	if (msg_slot_set_channel(fd, id))
		return -1;
	return write(fd, msg, len) == (ssize_t)len ? 0 : -1;
}

/* What the memory cgroup test set up, to be undone by the parent. */
struct memcg_setup {
	char root[CG_PATH];		/* where cgroup2 is mounted */
	char dir[CG_PATH + CG_NAME];	/* the writer's cgroup, "" if none */
	bool mounted;			/* we mounted root ourselves */
	bool enabled_memory;		/* we enabled memory in root */
};

FIXTURE(limits) {
	struct msg_slot_env env;
	char saved_max[32];
	bool saved_ok;
	struct memcg_setup cg;
	struct child_report *rep;
};

FIXTURE_SETUP(limits)
{
	long n;

	if (geteuid())
		SKIP(return, "must be root to drop to another uid");
	if (!msg_slot_env_setup(_metadata, &self->env))
		return;

	n = msg_slot_read_file(MAX_CHANNELS_PARAM, self->saved_max,
			       sizeof(self->saved_max));
	if (n == -ENOENT) {
		msg_slot_env_cleanup(&self->env);
		SKIP(return, "%s does not exist", MAX_CHANNELS_PARAM);
	}
	ASSERT_LT(0, n)
		TH_LOG("reading %s: %s", MAX_CHANNELS_PARAM, strerror(-n));
	self->saved_ok = true;

	/* Shared with the children, and present before they fork. */
	self->rep = mmap(NULL, sizeof(*self->rep), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->rep);
	memset(self->rep, 0, sizeof(*self->rep));
}

static void memcg_cleanup(struct __test_metadata *_metadata,
			  struct memcg_setup *cg)
{
	char path[CG_FILE_PATH];

	/* The cgroup keeps the slot's memory charged; rmdir still works. */
	if (cg->dir[0] && rmdir(cg->dir))
		TH_LOG("rmdir %s: %s", cg->dir, strerror(errno));
	if (cg->enabled_memory) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control",
			 cg->root);
		/* Fails if someone else uses it meanwhile: then leave it. */
		msg_slot_write_file(path, "-memory");
	}
	if (cg->mounted) {
		if (umount(cg->root))
			TH_LOG("umount %s: %s", cg->root, strerror(errno));
		else
			rmdir(cg->root);
	}
}

/* In the parent, so that the module and the system get their state back. */
FIXTURE_TEARDOWN_PARENT(limits)
{
	int ret;

	memcg_cleanup(_metadata, &self->cg);
	if (self->saved_ok) {
		ret = msg_slot_write_file(MAX_CHANNELS_PARAM, self->saved_max);
		if (ret)
			TH_LOG("could not restore max_channels to %s: %s",
			       self->saved_max, strerror(-ret));
		EXPECT_EQ(0, ret);
	}
	msg_slot_env_cleanup(&self->env);
}

static void set_max_channels(struct __test_metadata *_metadata,
			     unsigned long max)
{
	char val[32];
	int ret;

	snprintf(val, sizeof(val), "%lu\n", max);
	ret = msg_slot_write_file(MAX_CHANNELS_PARAM, val);
	ASSERT_EQ(0, ret)
		TH_LOG("setting max_channels to %lu: %s", max, strerror(-ret));
}

/* A node of @minor that the unprivileged child can open read-write. */
static void make_public_node(struct __test_metadata *_metadata,
			     struct msg_slot_env *env, unsigned int minor,
			     char *path, size_t size)
{
	/* mkdtemp() made the directory 0700, and mknod() obeys the umask. */
	ASSERT_EQ(0, chmod(env->dir, NODE_DIR_MODE));
	ASSERT_EQ(0, msg_slot_make_node(env, minor));
	msg_slot_node_path(env, minor, path, size);
	ASSERT_EQ(0, chmod(path, NODE_MODE));
}

/* Wait for @pid and require a clean exit, with the child's word if not. */
static void reap_child(struct __test_metadata *_metadata, pid_t pid,
		       const struct child_report *rep)
{
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_FALSE(WIFSIGNALED(status))
		TH_LOG("child killed by signal %d%s", WTERMSIG(status),
		       WTERMSIG(status) == SIGKILL ?
		       " (the OOM killer?)" : "");
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child: %s", rep->why);
}

static void channel_limit_child(const char *node, struct child_report *rep)
{
	unsigned char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned long id;
	int fd, ret;

	drop_privileges(rep);

	/* The limit is the administrator's: nobody may raise it. */
	fd = open(MAX_CHANNELS_PARAM, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		child_fail(rep, "opening max_channels for writing: %s",
			   fd >= 0 ? "allowed" : strerror(errno));

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rep, "open %s: %s", node, strerror(errno));

	/* Up to the limit every write works (or overwrites, on a rerun). */
	for (id = 1; id <= TEST_MAX_CHANNELS; id++) {
		if (put_channel(fd, id, 0))
			child_fail(rep, "channel %lu of %d: %s", id,
				   TEST_MAX_CHANNELS, strerror(errno));
	}

	id = TEST_MAX_CHANNELS + 1;
	errno = 0;
	if (!put_channel(fd, id, 0) || errno != ENOSPC)
		child_fail(rep, "channel %lu past the limit: %s", id,
			   errno ? strerror(errno) : "written");
	rep->err = errno;
	/* The refused channel was not created empty either. */
	if (read(fd, buf, sizeof(buf)) >= 0 || errno != EWOULDBLOCK)
		child_fail(rep, "reading channel %lu: %s", id,
			   strerror(errno));

	/* Existing channels stay writable, in another size class too. */
	if (put_channel(fd, 1, MSG_SLOT_MAX_MSG_LEN))
		child_fail(rep, "overwriting channel 1 at the limit: %s",
			   strerror(errno));
	ret = check_channel(fd, 1, MSG_SLOT_MAX_MSG_LEN, rep);
	if (ret)
		child_fail(rep, "channel 1: %s", strerror(-ret));
	for (id = 2; id <= TEST_MAX_CHANNELS; id++) {
		ret = check_channel(fd, id, 0, rep);
		if (ret == -EBADMSG)
			_exit(1);
		if (ret)
			child_fail(rep, "channel %lu: %s", id, strerror(-ret));
	}
	rep->written = TEST_MAX_CHANNELS;
	/* Put channel 1 back, so that a rerun finds what it expects. */
	if (put_channel(fd, 1, 0))
		child_fail(rep, "restoring channel 1: %s", strerror(errno));
	close(fd);
	_exit(0);
}

TEST_F(limits, unprivileged_max_channels)
{
	char node[128];
	pid_t pid;

	set_max_channels(_metadata, TEST_MAX_CHANNELS);
	make_public_node(_metadata, &self->env, MINOR_CHANNEL_LIMIT, node,
			 sizeof(node));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		channel_limit_child(node, self->rep);
	reap_child(_metadata, pid, self->rep);
	ASSERT_EQ(ENOSPC, self->rep->err);
	TH_LOG("uid %d: %lu channels written, channel %d refused: %s",
	       NOBODY_ID, self->rep->written, TEST_MAX_CHANNELS + 1,
	       strerror(self->rep->err));
}

/*
 * Find a cgroup2 mount, or make one. Returns 0, or 1 with @why set when
 * cgroup2 is not available.
 */
static int find_cgroup2(struct __test_metadata *_metadata,
			struct memcg_setup *cg, const char **why)
{
	char line[CG_PATH + 2 * CG_NAME], mnt[CG_PATH], type[CG_NAME];
	FILE *f;

	f = fopen("/proc/self/mounts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		/* Field widths: one less than mnt and type. */
		if (sscanf(line, "%*s %255s %63s", mnt, type) == 2 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(cg->root, sizeof(cg->root), "%s", mnt);
			break;
		}
	}
	fclose(f);
	if (cg->root[0])
		return 0;

	/* The test VM mounts no cgroups: bring our own, for this test. */
	snprintf(cg->root, sizeof(cg->root), "/tmp/msg_slot_cgroup.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(cg->root));
	if (mount("cgroup2", cg->root, "cgroup2", 0, NULL)) {
		ASSERT_EQ(ENODEV, errno)
			TH_LOG("mounting cgroup2: %s", strerror(errno));
		rmdir(cg->root);
		cg->root[0] = '\0';
		*why = "cgroup2 is not available";
		return 1;
	}
	cg->mounted = true;
	return 0;
}

/*
 * Make the writer's cgroup, of @memory_max bytes. Returns 0, or 1 with
 * @why for a skip.
 */
static int make_memcg(struct __test_metadata *_metadata,
		      struct memcg_setup *cg, unsigned long memory_max,
		      const char **why)
{
	char path[CG_FILE_PATH], buf[256];
	long n;
	int ret;

	if (find_cgroup2(_metadata, cg, why))
		return 1;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg->root);
	n = msg_slot_read_file(path, buf, sizeof(buf));
	ASSERT_LE(0, n) TH_LOG("reading %s: %s", path, strerror(-n));
	if (!has_word(buf, "memory")) {
		*why = "no memory controller in cgroup2";
		return 1;
	}

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg->root);
	n = msg_slot_read_file(path, buf, sizeof(buf));
	ASSERT_LE(0, n) TH_LOG("reading %s: %s", path, strerror(-n));
	if (!has_word(buf, "memory")) {
		ret = msg_slot_write_file(path, "+memory");
		ASSERT_EQ(0, ret)
			TH_LOG("enabling memory in %s: %s", path,
			       strerror(-ret));
		cg->enabled_memory = true;
	}

	snprintf(cg->dir, sizeof(cg->dir), "%s/msg_slot_limits.%d", cg->root,
		 getpid());
	ASSERT_EQ(0, mkdir(cg->dir, 0755))
		TH_LOG("mkdir %s: %s", cg->dir, strerror(errno));

	snprintf(path, sizeof(path), "%s/memory.max", cg->dir);
	snprintf(buf, sizeof(buf), "%lu\n", memory_max);
	ret = msg_slot_write_file(path, buf);
	ASSERT_EQ(0, ret) TH_LOG("writing %s: %s", path, strerror(-ret));

	/* Without swap, nothing but the slot's memory can be reclaimed. */
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg->dir);
	ret = msg_slot_write_file(path, "0\n");
	ASSERT_TRUE(!ret || ret == -ENOENT)
		TH_LOG("writing %s: %s", path, strerror(-ret));
	return 0;
}

/* First channel id from which on nothing was written by an earlier run. */
static unsigned long first_free_channel(int fd, struct child_report *rep)
{
	unsigned char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned long id;

	for (id = 1; id <= MSG_SLOT_MAX_CHANNELS; id++) {
		if (msg_slot_set_channel(fd, id))
			child_fail(rep, "MSG_SLOT_CHANNEL %lu: %s", id,
				   strerror(errno));
		if (read(fd, buf, sizeof(buf)) < 0) {
			if (errno != EWOULDBLOCK)
				child_fail(rep, "reading channel %lu: %s", id,
					   strerror(errno));
			return id;
		}
	}
	child_fail(rep, "every channel id is taken");
}

/*
 * In a child: move into the cgroup whose cgroup.procs is @procs, clear
 * the report and become the unprivileged user.
 */
static void join_memcg_unprivileged(const char *procs,
				    struct child_report *rep)
{
	char pid[32];
	int ret;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	ret = msg_slot_write_file(procs, pid);
	if (ret)
		child_fail(rep, "joining %s: %s", procs, strerror(-ret));
	memset(rep, 0, sizeof(*rep));
	errno = 0;
	drop_privileges(rep);
}

static void memcg_child(const char *procs, const char *node,
			struct child_report *rep)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned long id;
	int fd;

	/*
	 * Once the cgroup is full, a page fault would have to charge memory
	 * and could only get it from the OOM killer. So write now to what is
	 * written after the last channel: the report and errno are copies
	 * of the parent's pages until then. The stack of the loop is in
	 * place from its first rounds, and nothing after it goes deeper.
	 */
	join_memcg_unprivileged(procs, rep);

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rep, "open %s: %s", node, strerror(errno));
	rep->first = first_free_channel(fd, rep);

	/* max_channels is at its maximum: only memory can stop this. */
	for (id = rep->first; id <= MSG_SLOT_MAX_CHANNELS; id++) {
		fill_msg(id, msg, sizeof(msg));
		if (msg_slot_set_channel(fd, id) ||
		    write(fd, msg, sizeof(msg)) != sizeof(msg))
			break;
	}
	rep->err = errno;
	rep->written = id - rep->first;
	_exit(0);
}

/* Read the counter @key of the memory.events of @cg_dir. */
static unsigned long memcg_event(struct __test_metadata *_metadata,
				 const char *cg_dir, const char *key)
{
	char path[CG_FILE_PATH], line[128], name[64];
	unsigned long val;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", cg_dir);
	f = fopen(path, "r");
	EXPECT_NE(NULL, f) TH_LOG("opening %s: %s", path, strerror(errno));
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lu", name, &val) == 2 &&
		    !strcmp(name, key)) {
			fclose(f);
			return val;
		}
	}
	if (f)
		fclose(f);
	TH_LOG("no %s in %s", key, path);
	EXPECT_TRUE(false);
	return 0;
}

/*
 * The start of a memory cgroup test: the writer's cgroup of @memory_max
 * bytes, max_channels at its maximum, so that only memory stops writers,
 * and a node of @minor that anyone may open. Returns 1 with @why for a
 * skip.
 */
static int memcg_test_start(struct __test_metadata *_metadata,
			    struct memcg_setup *cg, struct msg_slot_env *env,
			    unsigned long memory_max, unsigned int minor,
			    char *node, size_t node_size, char *procs,
			    size_t procs_size, const char **why)
{
	if (make_memcg(_metadata, cg, memory_max, why))
		return 1;
	set_max_channels(_metadata, MSG_SLOT_MAX_CHANNELS);
	make_public_node(_metadata, env, minor, node, node_size);
	snprintf(procs, procs_size, "%s/cgroup.procs", cg->dir);
	return 0;
}

TEST_F_TIMEOUT(limits, unprivileged_memcg_enomem, 300)
{
	const struct child_report *rep = self->rep;
	char node[128], procs[CG_FILE_PATH];
	unsigned long id, oom, oom_kill, max_hits;
	const char *why = "";
	int fd;
	pid_t pid;

	if (memcg_test_start(_metadata, &self->cg, &self->env, CGROUP_MEMORY_MAX,
			     MINOR_MEMCG, node, sizeof(node), procs,
			     sizeof(procs), &why))
		SKIP(return, "%s", why);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		memcg_child(procs, node, self->rep);
	reap_child(_metadata, pid, rep);

	oom = memcg_event(_metadata, self->cg.dir, "oom");
	oom_kill = memcg_event(_metadata, self->cg.dir, "oom_kill");
	max_hits = memcg_event(_metadata, self->cg.dir, "max");
	TH_LOG("uid %d, memory.max %lu: %lu channels of %d bytes from id %lu",
	       NOBODY_ID, CGROUP_MEMORY_MAX, rep->written,
	       MSG_SLOT_MAX_MSG_LEN, rep->first);
	TH_LOG("then %s", strerror(rep->err));
	TH_LOG("memory.events: max %lu, oom %lu, oom_kill %lu", max_hits, oom,
	       oom_kill);
	EXPECT_EQ(ENOMEM, rep->err)
		TH_LOG("channel %lu: %s", rep->first + rep->written,
		       strerror(rep->err));
	ASSERT_LT(0UL, rep->written);
	EXPECT_EQ(0UL, oom);
	EXPECT_EQ(0UL, oom_kill);

	/*
	 * Outside the cgroup the same slot takes the very channel that was
	 * refused, and keeps what the child wrote.
	 */
	fd = msg_slot_open(&self->env, MINOR_MEMCG, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	id = rep->first + rep->written;
	ASSERT_EQ(0, put_channel(fd, id, MSG_SLOT_MAX_MSG_LEN))
		TH_LOG("root writing channel %lu: %s", id, strerror(errno));
	for (id = rep->first; id <= rep->first + rep->written; id++) {
		ASSERT_EQ(0, check_channel(fd, id, MSG_SLOT_MAX_MSG_LEN,
					   self->rep))
			TH_LOG("channel %lu: %s", id, self->rep->why);
	}
	close(fd);
}

/* Table entries that hold @n channels, as Documentation says: 7/8 full. */
static unsigned long table_entries(unsigned long n)
{
	unsigned long entries = n + n / 7 + 1;

	return entries > TABLE_MIN_ENTRIES ? entries : TABLE_MIN_ENTRIES;
}

/*
 * The number of channels, at least @from, at which a slot's next channel
 * makes its table grow. The table holds table_entries(n) entries for n
 * channels, and grows to hold half again as many channels when one more
 * would not fit; max_channels is at 2^20.
 */
static unsigned long next_table_growth(unsigned long from)
{
	unsigned long nr, want, entries = 0;

	for (nr = 0;; nr++) {
		if (entries && table_entries(nr + 1) <= entries)
			continue;
		if (nr >= from)
			return nr;
		want = nr + nr / 2 > nr ? nr + nr / 2 : nr + 1;
		if (want > MSG_SLOT_MAX_CHANNELS)
			want = MSG_SLOT_MAX_CHANNELS;
		entries = table_entries(want);
	}
}

/* Create VICTIM_CHANNELS channels from @rep->first on, in @procs. */
static void victim_child(const char *procs, const char *node,
			 struct child_report *rep)
{
	unsigned long first = rep->first, id;
	int fd;

	join_memcg_unprivileged(procs, rep);
	rep->first = first;

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rep, "open %s: %s", node, strerror(errno));
	for (id = first; id < first + VICTIM_CHANNELS; id++)
		if (put_channel(fd, id, 1))
			break;
	rep->err = id < first + VICTIM_CHANNELS ? errno : 0;
	rep->written = id - first;
	_exit(0);
}

/*
 * The table of a slot serves every channel in it: its growth must not be
 * charged to the writer who happens to cross the threshold, or a small
 * cgroup's first channels fail because of channels others made.
 */
TEST_F_TIMEOUT(limits, memcg_victim_of_table_growth, 300)
{
	const struct child_report *rep = self->rep;
	char node[128], procs[CG_FILE_PATH];
	unsigned long first, id, growth;
	const char *why = "";
	int fd;
	pid_t pid;

	if (memcg_test_start(_metadata, &self->cg, &self->env, VICTIM_MEMORY_MAX,
			     MINOR_VICTIM, node, sizeof(node), procs,
			     sizeof(procs), &why))
		SKIP(return, "%s", why);

	/*
	 * Others' channels, outside the cgroup, up to a growth. Every
	 * channel of this slot was made here, from id 1 up.
	 */
	fd = msg_slot_open(&self->env, MINOR_VICTIM, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	first = first_free_channel(fd, self->rep);
	growth = next_table_growth(first - 1 + VICTIM_PREFILL);
	for (id = first; id <= growth; id++)
		ASSERT_EQ(0, put_channel(fd, id, 1))
			TH_LOG("prefilling channel %lu: %s", id, strerror(errno));
	close(fd);

	self->rep->first = growth + 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		victim_child(procs, node, self->rep);
	reap_child(_metadata, pid, rep);
	TH_LOG("uid %d, memory.max %lu: %lu of %lu new channels after %lu others', %s (%s)",
	       NOBODY_ID, VICTIM_MEMORY_MAX, rep->written, VICTIM_CHANNELS,
	       growth, "the first growing the table",
	       rep->err ? strerror(rep->err) : "no error");
	EXPECT_EQ(0, rep->err);
	EXPECT_EQ(VICTIM_CHANNELS, rep->written);
}

TEST_HARNESS_MAIN
