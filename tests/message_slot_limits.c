// SPDX-License-Identifier: GPL-2.0
/*
 * Resource limits of the message_slot character device.
 *
 * Whoever may write to a slot makes the kernel keep memory for as long as
 * the channel holds the message, so two limits bound what a writer can
 * take: the max_channels module parameter caps the channels one user
 * holds in a slot, and every allocation is charged to the writer's memory
 * cgroup, where reaching memory.max must fail the write with ENOMEM rather
 * than wake the OOM killer. Both are checked from unprivileged processes,
 * since that is whom the limits are for, and what one user holds must
 * never stop another. A cleared channel gives all its memory back.
 *
 * Each test has a minor of its own. Channels persist until they are
 * cleared or the module is unloaded, so the tests accept what an earlier
 * run in the same boot left behind, or clear it first.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/membarrier.h>

#include "kselftest_harness.h"
#include "msg_slot_common.h"
#include "msg_slot_extra.h"

/* Minors of this program only: no other test uses them. */
/* Present on a kernel with kmemleak, where debugfs is mounted. */
#define KMEMLEAK_FILE		"/sys/kernel/debug/kmemleak"
#define MINOR_LOCKOUT		244
#define MINOR_LOCKOUT_CLEAR	245
#define MINOR_CHURN		246
#define MINOR_CHARGE		247
#define MINOR_CHANNEL_LIMIT	250
#define MINOR_MEMCG		251
#define MINOR_VICTIM		252

/* The overflow uid and gid: an account that owns nothing here. */
#define NOBODY_ID		65534
/* A second unprivileged user, the first regular uid of most systems. */
#define OTHER_ID		1000

/* Small enough to fill quickly, large enough for a grown table. */
#define TEST_MAX_CHANNELS	1000

/*
 * The writer's cgroup: room for the process itself, which is already
 * charged elsewhere and only adds what it touches after moving, and for a
 * few ten thousand channels.
 */
#define CGROUP_MEMORY_MAX	(8UL << 20)

/*
 * The table growth test: others fill a slot up to the start of the first
 * resize of its table from VICTIM_PREFILL channels on, then a writer in a
 * cgroup of VICTIM_MEMORY_MAX creates channels until a write fails. Each
 * of them adds a segment of TABLE_SEGMENT_BYTES to the new table, for at
 * least 196,608 channels: over 5 MiB in all, beyond the cgroup, which
 * pays for the segments it adds. VICTIM_TRIES bounds the writer.
 */
#define VICTIM_PREFILL		131072UL	/* 2^17 */
#define VICTIM_TRIES		4096UL
#define VICTIM_MEMORY_MAX	(4UL << 20)
#define TABLE_MIN_ENTRIES	8UL
#define TABLE_SEGMENT_ENTRIES	128UL
/* 128 entries of 24 bytes and their holders' uids, on 64-bit. */
#define TABLE_SEGMENT_BYTES	(TABLE_SEGMENT_ENTRIES * 28)

/*
 * The per-user bound of the lockout tests: small, so that filling it is
 * quick (two syscalls a channel), yet past several growths of the table.
 * Each user has a cgroup of LOCKOUT_MEMORY_MAX, many times what its
 * channels take even on the debug kernel, so that only the bound stops
 * it. A's channels are numbered from 1, B's from B_FIRST: far apart, so
 * that which user holds a channel is never in doubt.
 */
#define LOCKOUT_BOUND		4096UL
#define LOCKOUT_MEMORY_MAX	(32UL << 20)
#define A_FIRST			1UL
#define B_FIRST			0x40000000UL

/*
 * The churn test: CHURN_ROUNDS times, CHURN_CHANNELS new channels of
 * MSG_SLOT_MAX_MSG_LEN bytes, then all of them cleared. Every round takes
 * ids of its own, spread over the 32-bit space, so that a driver that
 * keeps anything of a cleared channel accumulates it. Four syscalls a
 * channel and round: 1.3 million in all, some 13 s under TCG, where the
 * memory is also read 22 times. The environment variables
 * MSG_SLOT_CHURN_CHANNELS and MSG_SLOT_CHURN_ROUNDS change both.
 */
#define CHURN_CHANNELS		16384UL
#define CHURN_ROUNDS		20UL
#define CHURN_MAX_ROUNDS	1000UL

/*
 * What the churn test forgives of a figure that must come back: NOISE_FACTOR
 * times what it moved between two settled readings with nothing done in
 * between, but at least FLOOR_PERMILLE of what one fill took (the drop of
 * MemAvailable) and at least FLOOR_MIN_KB. That is less than the smallest
 * table that held the test's channels: 16384 * 8 / 7 entries of at least
 * an id and a pointer, 16 bytes, are 299 kB; a driver that kept it, or
 * one byte per channel and round, would exceed it.
 */
#define NOISE_FACTOR		4
#define FLOOR_PERMILLE		10
#define FLOOR_MIN_KB		256L
/*
 * The kmalloc caches' slabs move in whole slabs, and on a debug kernel
 * with the work of its own facilities: 256 kB over 20 rounds there. A
 * leak of one 8-byte object per channel and round would keep 2,560 kB.
 */
#define KMALLOC_FLOOR_KB	1024L

/*
 * The charging test: one user fills a slot up to a bound of CHARGE_CHANNELS
 * messages of MSG_SLOT_MAX_MSG_LEN bytes, 32 MiB of messages and a table
 * of several MiB, past the 4 MiB that kmalloc() can give: kvmalloc()
 * takes it from vmalloc. The cgroup has room for all of it even on the
 * debug kernel, whose slab objects are twice as large. At least
 * CHARGE_MIN_PERCENT of what the fill took from the system must show in
 * the cgroup's memory.current. The rest is the kernel's bookkeeping, which
 * no cgroup pays for: page tables of the vmalloc area, partly used slab
 * pages, and, on the debug kernel, KASAN's shadow of the vmalloc area
 * (kmemleak's objects are taken out: see kmemleak_slab_kb()). A table
 * left uncharged would be over 10% on its own: 2^18 * 8 / 7 entries of
 * at least 16 bytes are 4.6 MiB, beside 34 MiB of messages with their
 * slab metadata.
 */
#define CHARGE_CHANNELS		262144UL	/* 2^18 */
#define CHARGE_MEMORY_MAX	(512UL << 20)
#define CHARGE_MIN_PERCENT	90

/*
 * Settling the memory figures: see settle(). A round in which
 * MemAvailable rises by less than SETTLE_SLACK_KB freed nothing worth
 * waiting for; SETTLE_STABLE_ROUNDS such rounds in a row end it.
 */
#define SETTLE_MAX_ROUNDS	12U
#define SETTLE_STABLE_ROUNDS	2U
#define SETTLE_SLACK_KB		64L

/* Room for cgroup paths: a mount point, a cgroup and a file name in it. */
#define CG_PATH			256
#define CG_NAME			64
#define CG_FILE_PATH		(CG_PATH + 2 * CG_NAME)
/* Cgroups of one test: the lockout tests have a user in each of two. */
#define MAX_MEMCGS		2

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

/* Become @uid, real and effective, with the group of the same number. */
static void drop_privileges(struct child_report *rep, uid_t uid)
{
	/* Groups first: once the uid is gone, they cannot be changed. */
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
		child_fail(rep, "cannot drop to uid %u: %s", uid,
			   strerror(errno));
	if (getuid() != uid || geteuid() != uid || getegid() != uid)
		child_fail(rep, "still uid %u euid %u egid %u", getuid(),
			   geteuid(), getegid());
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

/* What the memory cgroup tests set up, to be undone by the parent. */
struct memcg_setup {
	char root[CG_PATH];		/* where cgroup2 is mounted */
	/* The writers' cgroups, the first nr_dirs of them made. */
	char dir[MAX_MEMCGS][CG_PATH + CG_NAME];
	unsigned int nr_dirs;
	bool mounted;			/* we mounted root ourselves */
	bool enabled_memory;		/* we enabled memory in root */
};

/*
 * What a child does as an unprivileged user, one step after another, and
 * what the test process expects of each step. Every step stops at its
 * first failure: @done of @count channels, from @first up, went through,
 * and @err is the errno of the one that failed, 0 if none did.
 */
enum user_op_kind {
	OP_CREATE,	/* write the user's message to each channel */
	OP_CLEAR,	/* MSG_SLOT_CLEAR each channel */
	OP_CHECK,	/* read each channel: @writer's message must be there */
	OP_ABSENT,	/* each channel must hold no message at all */
};

struct user_op {
	enum user_op_kind kind;
	unsigned long first;
	unsigned long count;
	uid_t writer;			/* OP_CHECK only */
	unsigned long want_done;
	int want_err;
};

#define CREATE_OP(first, count, done, err) \
	{ OP_CREATE, (first), (count), 0, (done), (err) }
#define CLEAR_OP(first, count, done, err) \
	{ OP_CLEAR, (first), (count), 0, (done), (err) }
#define CHECK_OP(first, count, writer, done, err) \
	{ OP_CHECK, (first), (count), (writer), (done), (err) }
#define ABSENT_OP(first, count, done, err) \
	{ OP_ABSENT, (first), (count), 0, (done), (err) }

struct user_op_result {
	unsigned long done;
	int err;
};

#define MAX_USER_OPS		8

/* The steps of one child and their results, shared with it. */
struct user_run {
	unsigned int nr_ops;
	struct user_op ops[MAX_USER_OPS];
	struct user_op_result res[MAX_USER_OPS];
};

/* An unprivileged user of the lockout tests, in a cgroup of its own. */
struct slot_user {
	uid_t uid;
	char name;			/* 'A' or 'B', as the comments say */
	char procs[CG_FILE_PATH];	/* cgroup.procs of its cgroup */
	const char *cg_dir;
};

FIXTURE(limits) {
	struct msg_slot_env env;
	char saved_max[32];
	bool saved_ok;
	struct memcg_setup cg;
	struct child_report *rep;
	struct user_run *run;
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
	self->run = mmap(NULL, sizeof(*self->run), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->run);
}

static void memcg_cleanup(struct __test_metadata *_metadata,
			  struct memcg_setup *cg)
{
	char path[CG_FILE_PATH];
	unsigned int i;

	/* A cgroup keeps the slot's memory charged; rmdir still works. */
	for (i = cg->nr_dirs; i-- > 0;)
		if (rmdir(cg->dir[i]))
			TH_LOG("rmdir %s: %s", cg->dir[i], strerror(errno));
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

	drop_privileges(rep, NOBODY_ID);

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

	/* Found, or mounted, for an earlier cgroup of the same test. */
	if (cg->root[0])
		return 0;

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
 * Make a writer's cgroup, of @memory_max bytes: the next of @cg->dir[].
 * Returns 0, or 1 with @why for a skip.
 */
static int make_memcg(struct __test_metadata *_metadata,
		      struct memcg_setup *cg, unsigned long memory_max,
		      const char **why)
{
	char path[CG_FILE_PATH], buf[256], *dir;
	long n;
	int ret;

	ASSERT_GT(MAX_MEMCGS, cg->nr_dirs);
	dir = cg->dir[cg->nr_dirs];

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

	snprintf(dir, sizeof(cg->dir[0]), "%s/msg_slot_limits.%d.%u", cg->root,
		 getpid(), cg->nr_dirs);
	ASSERT_EQ(0, mkdir(dir, 0755))
		TH_LOG("mkdir %s: %s", dir, strerror(errno));
	cg->nr_dirs++;

	snprintf(path, sizeof(path), "%s/memory.max", dir);
	snprintf(buf, sizeof(buf), "%lu\n", memory_max);
	ret = msg_slot_write_file(path, buf);
	ASSERT_EQ(0, ret) TH_LOG("writing %s: %s", path, strerror(-ret));

	/* Without swap, nothing but the slot's memory can be reclaimed. */
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
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
 * the report and become the unprivileged user @uid.
 */
static void join_memcg_unprivileged(const char *procs,
				    struct child_report *rep, uid_t uid)
{
	char pid[32];
	int ret;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	ret = msg_slot_write_file(procs, pid);
	if (ret)
		child_fail(rep, "joining %s: %s", procs, strerror(-ret));
	memset(rep, 0, sizeof(*rep));
	errno = 0;
	drop_privileges(rep, uid);
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
	join_memcg_unprivileged(procs, rep, NOBODY_ID);

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

/*
 * The value of @key in the flat-keyed file @file of @cg_dir, such as
 * memory.events or memory.stat, or -1 when the file has no such key.
 */
static long long memcg_key(const char *cg_dir, const char *file,
			   const char *key)
{
	char path[CG_FILE_PATH], line[128], name[64];
	long long val;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg_dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld", name, &val) == 2 &&
		    !strcmp(name, key)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

/* Read the counter @key of the memory.events of @cg_dir. */
static unsigned long memcg_event(struct __test_metadata *_metadata,
				 const char *cg_dir, const char *key)
{
	long long val = memcg_key(cg_dir, "memory.events", key);

	EXPECT_LE(0, val)
		TH_LOG("no %s in %s/memory.events", key, cg_dir);
	return val < 0 ? 0 : val;
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
	snprintf(procs, procs_size, "%s/cgroup.procs",
		 cg->dir[cg->nr_dirs - 1]);
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

	oom = memcg_event(_metadata, self->cg.dir[0], "oom");
	oom_kill = memcg_event(_metadata, self->cg.dir[0], "oom_kill");
	max_hits = memcg_event(_metadata, self->cg.dir[0], "max");
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
 * starts a resize of its table, as Documentation says. A table of
 * table_entries(n) entries holds n channels, and is replaced by one for
 * half again as many channels as it holds: at once when that fits in a
 * segment and the table is full, else by a resize that starts at 3/4
 * load. max_channels is at 2^20.
 */
static unsigned long next_resize_start(unsigned long from)
{
	unsigned long nr, full, want, next, entries = 0;

	for (nr = 0;; nr++) {
		full = 0;
		while (table_entries(full + 1) <= entries)
			full++;
		want = full + full / 2 > full ? full + full / 2 : full + 1;
		if (want > MSG_SLOT_MAX_CHANNELS)
			want = MSG_SLOT_MAX_CHANNELS;
		next = table_entries(want);
		if (next <= TABLE_SEGMENT_ENTRIES) {
			if (!entries || nr == full)
				entries = next;
			continue;
		}
		if ((nr + 1) * 4 <= entries * 3)
			continue;
		if (nr >= from)
			return nr;
		entries = next;
	}
}

/* Create channels from @rep->first on in @procs, until a write fails. */
static void victim_child(const char *procs, const char *node,
			 struct child_report *rep)
{
	unsigned long first = rep->first, id;
	int fd;

	join_memcg_unprivileged(procs, rep, NOBODY_ID);
	rep->first = first;

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rep, "open %s: %s", node, strerror(errno));
	for (id = first; id < first + VICTIM_TRIES; id++)
		if (put_channel(fd, id, 1))
			break;
	rep->err = id < first + VICTIM_TRIES ? errno : 0;
	rep->written = id - first;
	_exit(0);
}

/* Does channel @id of @fd hold a message? */
static bool channel_present(struct __test_metadata *_metadata, int fd,
			    unsigned long id)
{
	unsigned char buf[MSG_SLOT_MAX_MSG_LEN];

	ASSERT_EQ(0, msg_slot_set_channel(fd, id))
		TH_LOG("MSG_SLOT_CHANNEL %lu: %s", id, strerror(errno));
	if (read(fd, buf, sizeof(buf)) >= 0)
		return true;
	ASSERT_EQ(EWOULDBLOCK, errno)
		TH_LOG("reading channel %lu: %s", id, strerror(errno));
	return false;
}

/*
 * Whoever grows a slot's table pays for it, as for the nodes of an xarray:
 * each new channel created while the table is resized adds a segment to
 * the new table, charged to its writer. A writer whose cgroup cannot take
 * more gets ENOMEM after a bounded number of them, well before the new
 * table is whole, and that changes nothing; others still create the same
 * channel.
 */
TEST_F_TIMEOUT(limits, memcg_pays_for_table_growth, 300)
{
	const struct child_report *rep = self->rep;
	char node[128], procs[CG_FILE_PATH];
	unsigned long first, id, start;
	const char *why = "";
	int fd;
	pid_t pid;

	if (memcg_test_start(_metadata, &self->cg, &self->env, VICTIM_MEMORY_MAX,
			     MINOR_VICTIM, node, sizeof(node), procs,
			     sizeof(procs), &why))
		SKIP(return, "%s", why);

	/*
	 * Others' channels, outside the cgroup, up to a resize. Every
	 * channel of this slot was made here, from id 1 up.
	 */
	fd = msg_slot_open(&self->env, MINOR_VICTIM, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	first = first_free_channel(fd, self->rep);
	start = next_resize_start(first - 1 + VICTIM_PREFILL);
	for (id = first; id <= start; id++)
		ASSERT_EQ(0, put_channel(fd, id, 1))
			TH_LOG("prefilling channel %lu: %s", id, strerror(errno));

	/* From the channel that starts the resize on. */
	self->rep->first = start + 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		victim_child(procs, node, self->rep);
	reap_child(_metadata, pid, rep);
	TH_LOG("uid %d, memory.max %lu: %lu new channels after %lu others', from the start of a resize: %s",
	       NOBODY_ID, VICTIM_MEMORY_MAX, rep->written, start,
	       rep->err ? strerror(rep->err) : "no error");
	EXPECT_EQ(ENOMEM, rep->err);
	EXPECT_LT(0, rep->written);
	EXPECT_GE(VICTIM_MEMORY_MAX / TABLE_SEGMENT_BYTES, rep->written);
	id = start + 1 + rep->written;
	EXPECT_FALSE(channel_present(_metadata, fd, id));

	/* Root pays for its own segments. */
	ASSERT_EQ(0, put_channel(fd, id, 1))
		TH_LOG("root creating channel %lu: %s", id, strerror(errno));
	EXPECT_TRUE(channel_present(_metadata, fd, id));
	close(fd);
}

/* As root, clear channels @first to @first + @count - 1 of @fd, last first. */
static void root_clear_fd(struct __test_metadata *_metadata, int fd,
			  unsigned long first, unsigned long count)
{
	unsigned long id;

	/* Downwards: a run cut short leaves @first for the last to clear. */
	for (id = first + count; id-- > first;) {
		ASSERT_EQ(0, msg_slot_set_channel(fd, id))
			TH_LOG("MSG_SLOT_CHANNEL %lu: %s", id, strerror(errno));
		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR))
			TH_LOG("clearing channel %lu: %s", id, strerror(errno));
	}
}

static void root_clear(struct __test_metadata *_metadata,
		       struct msg_slot_env *env, unsigned int minor,
		       unsigned long first, unsigned long count)
{
	int fd = msg_slot_open(env, minor, O_RDWR);

	ASSERT_LE(0, fd) TH_LOG("open minor %u: %s", minor, strerror(errno));
	root_clear_fd(_metadata, fd, first, count);
	close(fd);
}


/*
 * The message @uid writes to channel @id: the id and the writer first, so
 * that a reader can tell whose message it found, then bytes of both. The
 * lengths, USER_MSG_MIN and up, spread the messages over the size classes.
 */
#define USER_MSG_MIN		8U

static size_t user_msg(unsigned long id, uid_t uid, unsigned char *buf)
{
	unsigned int head[2] = { id, uid };
	size_t len, i;

	len = USER_MSG_MIN + id % (MSG_SLOT_MAX_MSG_LEN - USER_MSG_MIN + 1);
	memcpy(buf, head, sizeof(head));
	for (i = sizeof(head); i < len; i++)
		buf[i] = id * MSG_ID_MIX + uid + i * MSG_BYTE_STEP;
	return len;
}

/* Keep the first explanation a child has: the one that matters. */
static void __printf(2, 3) child_note(struct child_report *rep,
				      const char *fmt, ...)
{
	va_list ap;

	if (rep->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
}

/* The steps of a child, on one channel each: 0 or -errno. */
static int op_create(int fd, unsigned long id, uid_t uid)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	size_t len = user_msg(id, uid, msg);
	ssize_t n;

	if (msg_slot_set_channel(fd, id))
		return -errno;
	n = write(fd, msg, len);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static int op_clear(int fd, unsigned long id)
{
	if (msg_slot_set_channel(fd, id) || ioctl(fd, MSG_SLOT_CLEAR))
		return -errno;
	return 0;
}

static int op_check(int fd, unsigned long id, uid_t writer,
		    struct child_report *rep)
{
	unsigned char want[MSG_SLOT_MAX_MSG_LEN], got[MSG_SLOT_MAX_MSG_LEN];
	size_t len = user_msg(id, writer, want);
	unsigned int head[2] = { 0, 0 };
	ssize_t n;

	if (msg_slot_set_channel(fd, id))
		return -errno;
	n = read(fd, got, sizeof(got));
	if (n < 0)
		return -errno;
	if ((size_t)n == len && !memcmp(got, want, len))
		return 0;
	if ((size_t)n >= sizeof(head))
		memcpy(head, got, sizeof(head));
	child_note(rep, "channel %lu: %zd bytes of uid %u for channel %u, not the %zu of uid %u",
		   id, n, head[1], head[0], len, writer);
	return -EBADMSG;
}

/* The channel holds nothing, exactly as one never written (contract 1). */
static int op_absent(int fd, unsigned long id, struct child_report *rep)
{
	unsigned char buf[MSG_SLOT_MAX_MSG_LEN];
	struct msg_slot_channel_info info;
	ssize_t n;

	if (msg_slot_set_channel(fd, id) ||
	    ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info))
		return -errno;
	if (info.len || info.seq) {
		child_note(rep, "channel %lu: len %u, seq %llu", id, info.len,
			   (unsigned long long)info.seq);
		return -EEXIST;
	}
	n = read(fd, buf, sizeof(buf));
	if (n >= 0) {
		child_note(rep, "channel %lu: read %zd bytes", id, n);
		return -EEXIST;
	}
	return errno == EWOULDBLOCK ? 0 : -errno;
}

static int user_op_one(int fd, const struct user_op *op, unsigned long id,
		       uid_t uid, struct child_report *rep)
{
	switch (op->kind) {
	case OP_CREATE:
		return op_create(fd, id, uid);
	case OP_CLEAR:
		return op_clear(fd, id);
	case OP_CHECK:
		return op_check(fd, id, op->writer, rep);
	case OP_ABSENT:
		return op_absent(fd, id, rep);
	}
	return -EINVAL;
}

/* In a child: become @u, in its cgroup, and run the steps of @run. */
static void __noreturn user_child(const char *node, const struct slot_user *u,
				  struct child_report *rep,
				  struct user_run *run)
{
	const struct user_op *op;
	unsigned long i;
	unsigned int k;
	int fd, err;

	join_memcg_unprivileged(u->procs, rep, u->uid);
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rep, "open %s: %s", node, strerror(errno));
	for (k = 0; k < run->nr_ops; k++) {
		op = &run->ops[k];
		err = 0;
		for (i = 0; i < op->count; i++) {
			err = -user_op_one(fd, op, op->first + i, u->uid, rep);
			if (err)
				break;
		}
		run->res[k].done = i;
		run->res[k].err = err;
	}
	close(fd);
	_exit(0);
}

static const char *const op_names[] = {
	[OP_CREATE] = "create",
	[OP_CLEAR] = "clear",
	[OP_CHECK] = "check",
	[OP_ABSENT] = "absent",
};

static const char *err_name(int err)
{
	return err ? strerror(err) : "no error";
}

/*
 * Run @ops as @u in a child of its own, print every result and require
 * what each step expects; a step that differs ends the test, since what
 * follows it assumes it.
 */
static void run_as(struct __test_metadata *_metadata, const char *node,
		   const struct slot_user *u, struct child_report *rep,
		   struct user_run *run, const struct user_op *ops,
		   unsigned int nr_ops)
{
	const struct user_op_result *res;
	const struct user_op *op;
	unsigned int k, bad = 0;
	pid_t pid;

	ASSERT_GE(MAX_USER_OPS, nr_ops);
	memset(run, 0, sizeof(*run));
	memcpy(run->ops, ops, nr_ops * sizeof(*ops));
	run->nr_ops = nr_ops;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		user_child(node, u, rep, run);
	reap_child(_metadata, pid, rep);

	for (k = 0; k < nr_ops; k++) {
		op = &run->ops[k];
		res = &run->res[k];
		TH_LOG("user %c, uid %u: %s %lu..%lu: %lu of %lu, %s (want %lu, %s)",
		       u->name, u->uid, op_names[op->kind], op->first,
		       op->first + op->count - 1, res->done, op->count,
		       err_name(res->err), op->want_done,
		       err_name(op->want_err));
		EXPECT_EQ(op->want_done, res->done);
		EXPECT_EQ(op->want_err, res->err);
		bad += res->done != op->want_done || res->err != op->want_err;
	}
	if (rep->why[0])
		TH_LOG("user %c: %s", u->name, rep->why);
	ASSERT_EQ(0U, bad);
}

/*
 * The start of a lockout test: users A (NOBODY_ID) and B (OTHER_ID), each
 * in a cgroup of its own, a bound of LOCKOUT_BOUND channels per user, and
 * a node of @minor that both may open, without what an earlier run cut
 * short left there. Returns 1 with @why for a skip.
 */
static int lockout_start(struct __test_metadata *_metadata,
			 struct memcg_setup *cg, struct msg_slot_env *env,
			 unsigned int minor, char *node, size_t node_size,
			 struct slot_user *a, struct slot_user *b,
			 const char **why)
{
	static const uid_t uids[] = { NOBODY_ID, OTHER_ID };
	struct slot_user *users[] = { a, b };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(users); i++) {
		if (make_memcg(_metadata, cg, LOCKOUT_MEMORY_MAX, why))
			return 1;
		users[i]->uid = uids[i];
		users[i]->name = 'A' + i;
		users[i]->cg_dir = cg->dir[cg->nr_dirs - 1];
		snprintf(users[i]->procs, sizeof(users[i]->procs),
			 "%s/cgroup.procs", users[i]->cg_dir);
	}
	set_max_channels(_metadata, LOCKOUT_BOUND);
	make_public_node(_metadata, env, minor, node, node_size);
	root_clear(_metadata, env, minor, A_FIRST, LOCKOUT_BOUND + 2);
	root_clear(_metadata, env, minor, B_FIRST, LOCKOUT_BOUND + 1);
	return 0;
}

/* The memory.current of @cg_dir, in bytes, or -1 if it cannot be read. */
static long long memcg_current(const char *cg_dir)
{
	char path[CG_FILE_PATH], buf[64];

	snprintf(path, sizeof(path), "%s/memory.current", cg_dir);
	if (msg_slot_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* Say what each user's cgroup holds, and empty the slot again. */
static void lockout_end(struct __test_metadata *_metadata,
			struct msg_slot_env *env, unsigned int minor,
			const struct slot_user *a, const struct slot_user *b)
{
	TH_LOG("memory.current: user A %lld bytes, user B %lld bytes",
	       memcg_current(a->cg_dir), memcg_current(b->cg_dir));
	root_clear(_metadata, env, minor, A_FIRST, LOCKOUT_BOUND + 2);
	root_clear(_metadata, env, minor, B_FIRST, LOCKOUT_BOUND + 1);
}

/*
 * max_channels bounds each user on its own: one user at its bound stops
 * no one else, and whoever overwrites a channel takes it over, within
 * its own bound. Every count and errno is exact: the slot starts empty.
 */
TEST_F_TIMEOUT(limits, per_user_bound_lockout, 300)
{
	const unsigned long n = LOCKOUT_BOUND;
	struct slot_user a, b;
	const char *why = "";
	char node[128];

	if (lockout_start(_metadata, &self->cg, &self->env, MINOR_LOCKOUT,
			  node, sizeof(node), &a, &b, &why))
		SKIP(return, "%s", why);

	{
		const struct user_op ops[] = {
			/* Exactly the bound, then ENOSPC ... */
			CREATE_OP(A_FIRST, n + 1, n, ENOSPC),
			/* ... which did not create the channel empty ... */
			ABSENT_OP(A_FIRST + n, 1, 1, 0),
			/* ... and no overwrite of its own fails. */
			CREATE_OP(A_FIRST, 1, 1, 0),
		};

		run_as(_metadata, node, &a, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	{
		const struct user_op ops[] = {
			/* A's channels leave B its whole bound. */
			CREATE_OP(B_FIRST, n + 1, n, ENOSPC),
			ABSENT_OP(B_FIRST + n, 1, 1, 0),
			/* At its bound, B cannot take over one of A's ... */
			CREATE_OP(A_FIRST, 1, 0, ENOSPC),
			CHECK_OP(A_FIRST, 1, a.uid, 1, 0),
			/* ... until it gives one of its own up. */
			CLEAR_OP(B_FIRST, 1, 1, 0),
			CREATE_OP(A_FIRST, 1, 1, 0),
			CHECK_OP(A_FIRST, 1, b.uid, 1, 0),
			/* Which took it to its bound again. */
			CREATE_OP(A_FIRST + 1, 1, 0, ENOSPC),
		};

		run_as(_metadata, node, &b, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	{
		const struct user_op ops[] = {
			/* A holds one less: room for exactly one more ... */
			CREATE_OP(A_FIRST + n, 2, 1, ENOSPC),
			ABSENT_OP(A_FIRST + n + 1, 1, 1, 0),
			/* ... and none to take its old channel back. */
			CREATE_OP(A_FIRST, 1, 0, ENOSPC),
			CHECK_OP(A_FIRST, 1, b.uid, 1, 0),
			CHECK_OP(A_FIRST + 1, n, a.uid, n, 0),
			/* Now A clears all it holds: all of it goes. */
			CLEAR_OP(A_FIRST + 1, n, n, 0),
			ABSENT_OP(A_FIRST + 1, n + 1, n + 1, 0),
		};

		run_as(_metadata, node, &a, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	{
		const struct user_op ops[] = {
			/* B keeps all it had, and its bound with it. */
			CHECK_OP(A_FIRST, 1, b.uid, 1, 0),
			CHECK_OP(B_FIRST + 1, n - 1, b.uid, n - 1, 0),
			CREATE_OP(B_FIRST, 1, 0, ENOSPC),
			CREATE_OP(B_FIRST + 1, 1, 1, 0),
		};

		run_as(_metadata, node, &b, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	{
		const struct user_op ops[] = {
			/* A, holding nothing, has its whole bound again. */
			CREATE_OP(A_FIRST + 1, n + 1, n, ENOSPC),
			CHECK_OP(A_FIRST + 1, n, a.uid, n, 0),
			ABSENT_OP(A_FIRST + n + 1, 1, 1, 0),
		};

		run_as(_metadata, node, &a, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	lockout_end(_metadata, &self->env, MINOR_LOCKOUT, &a, &b);
}

/* Channels one user cleared count against no one: not against another. */
TEST_F_TIMEOUT(limits, per_user_bound_after_clear, 300)
{
	const unsigned long n = LOCKOUT_BOUND;
	struct slot_user a, b;
	const char *why = "";
	char node[128];

	if (lockout_start(_metadata, &self->cg, &self->env,
			  MINOR_LOCKOUT_CLEAR, node, sizeof(node), &a, &b, &why))
		SKIP(return, "%s", why);

	{
		const struct user_op ops[] = {
			CREATE_OP(A_FIRST, n + 1, n, ENOSPC),
			CLEAR_OP(A_FIRST, n, n, 0),
			ABSENT_OP(A_FIRST, n + 1, n + 1, 0),
		};

		run_as(_metadata, node, &a, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	{
		const struct user_op ops[] = {
			CREATE_OP(B_FIRST, n + 1, n, ENOSPC),
			CHECK_OP(B_FIRST, n, b.uid, n, 0),
		};

		run_as(_metadata, node, &b, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	{
		const struct user_op ops[] = {
			/* And A's bound is whole again, beside B's. */
			CREATE_OP(A_FIRST, n + 1, n, ENOSPC),
			CHECK_OP(A_FIRST, n, a.uid, n, 0),
		};

		run_as(_metadata, node, &a, self->rep, self->run, ops,
		       ARRAY_SIZE(ops));
	}
	lockout_end(_metadata, &self->env, MINOR_LOCKOUT_CLEAR, &a, &b);
}

/* Memory figures of the whole system, in kB, from /proc/meminfo. */
struct mem_figures {
	long avail_kb;		/* MemAvailable plus the per-CPU free lists */
	long memavailable_kb;	/* MemAvailable alone */
	long pcp_kb;		/* free pages in the per-CPU lists */
	long sunreclaim_kb;	/* SUnreclaim: where kmalloc() objects are */
	long vmalloc_kb;	/* VmallocUsed */
	long kmalloc_kb;	/* the kmalloc caches' slabs (/proc/slabinfo) */
	unsigned int rounds;	/* of settle() it took */
};

/*
 * What the slabs of the kmalloc caches take, in kB: where the driver's
 * message buffers and small tables are, and where a debug kernel's own
 * records (kmemleak's, debugobjects') are not.
 */
static long kmalloc_slab_kb(struct __test_metadata *_metadata)
{
	unsigned long objs, size, total = 0;
	char line[512], name[64];
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	ASSERT_NE(NULL, f) TH_LOG("/proc/slabinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %*u %lu %lu", name, &objs, &size) == 3 &&
		    !strncmp(name, "kmalloc", strlen("kmalloc")))
			total += objs * size;
	fclose(f);
	return total / 1024;
}

/*
 * Free pages held in the per-CPU lists of the page allocator, in kB.
 * MemAvailable leaves them out, and they come and go by megabytes as the
 * lists fill and drain: as much as what a fill of the tests takes.
 */
static long pcp_free_kb(struct __test_metadata *_metadata)
{
	long pages = 0, count;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	ASSERT_NE(NULL, f) TH_LOG("/proc/zoneinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &count) == 1)
			pages += count;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void read_mem(struct __test_metadata *_metadata,
		     struct mem_figures *m)
{
	char line[256];
	long kb;
	FILE *f;

	m->memavailable_kb = -1;
	m->sunreclaim_kb = -1;
	m->vmalloc_kb = -1;
	f = fopen("/proc/meminfo", "r");
	ASSERT_NE(NULL, f) TH_LOG("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			m->memavailable_kb = kb;
		else if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			m->sunreclaim_kb = kb;
		else if (sscanf(line, "VmallocUsed: %ld kB", &kb) == 1)
			m->vmalloc_kb = kb;
	}
	fclose(f);
	ASSERT_LE(0, m->memavailable_kb) TH_LOG("no MemAvailable");
	ASSERT_LE(0, m->sunreclaim_kb) TH_LOG("no SUnreclaim");
	ASSERT_LE(0, m->vmalloc_kb) TH_LOG("no VmallocUsed");
	m->pcp_kb = pcp_free_kb(_metadata);
	m->avail_kb = m->memavailable_kb + m->pcp_kb;
	m->kmalloc_kb = kmalloc_slab_kb(_metadata);
}

/*
 * Have the slab caches that hold the driver's objects give back what
 * they keep: empty slabs on per-CPU and node lists, the kfree_rcu()
 * batches of newer kernels (rcu_free sheaves, handed to RCU here) and,
 * under KASAN, freed objects in its quarantine, which holds up to 1/32 of
 * the memory and lets go of a cache's objects only when it is shrunk.
 * Messages and small tables are kmalloc() objects, from the kmalloc-cg-
 * caches as they are charged; on the debug kernel kmemleak keeps an
 * object for each. Only these caches, as every shrink walks the whole
 * quarantine; the kmalloc-rnd- copies serve only allocations charged to
 * no cgroup.
 */
static void shrink_slab_caches(void)
{
	char path[512];
	struct dirent *de;
	DIR *dir;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if ((strncmp(de->d_name, "kmalloc-", 8) ||
		     !strncmp(de->d_name, "kmalloc-rnd-", 12)) &&
		    strcmp(de->d_name, "kmemleak_object"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 de->d_name);
		/* A cache without the file is one less to shrink. */
		msg_slot_write_file(path, "1\n");
	}
	closedir(dir);
}

/*
 * Bring the kernel to rest, then read its memory into @m. The driver
 * frees with kfree_rcu() and kvfree_rcu(), which batch frees for seconds:
 * right after a clear, much of what it freed is still allocated.
 * drop_caches runs the shrinkers, the kvfree_rcu() one among them, which
 * hands its batches to RCU; shrinking the slab caches hands over theirs;
 * the membarrier waits for a grace period (synchronize_rcu()), after
 * which RCU callbacks and a workqueue free the batches, at their own
 * pace. Hence rounds until MemAvailable stops rising, rather than a sleep
 * of a guessed length.
 */
static void settle(struct __test_metadata *_metadata, struct mem_figures *m)
{
	unsigned int round, stable = 0;
	long prev;
	int ret;

	read_mem(_metadata, m);
	for (round = 1; round <= SETTLE_MAX_ROUNDS; round++) {
		prev = m->avail_kb;
		ret = msg_slot_write_file("/proc/sys/vm/drop_caches", "3\n");
		ASSERT_EQ(0, ret)
			TH_LOG("writing drop_caches: %s", strerror(-ret));
		shrink_slab_caches();
		/* EINVAL under nohz_full: then the next rounds must do. */
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		read_mem(_metadata, m);
		stable = m->avail_kb - prev < SETTLE_SLACK_KB ? stable + 1 : 0;
		if (stable == SETTLE_STABLE_ROUNDS) {
			m->rounds = round;
			return;
		}
	}
	m->rounds = SETTLE_MAX_ROUNDS;
	TH_LOG("memory still moving after %u rounds", SETTLE_MAX_ROUNDS);
}

static void log_mem(struct __test_metadata *_metadata, const char *what,
		    const struct mem_figures *m)
{
	TH_LOG("%s: MemAvailable %ld kB + %ld kB per-CPU free = %ld kB,",
	       what, m->memavailable_kb, m->pcp_kb, m->avail_kb);
	TH_LOG("  SUnreclaim %ld kB, VmallocUsed %ld kB, settled in %u rounds",
	       m->sunreclaim_kb, m->vmalloc_kb, m->rounds);
}

/* Channel @i of round @round of the churn test: never 0, never again. */
static unsigned int churn_id(unsigned long round, unsigned long n,
			     unsigned long i)
{
	return msg_slot_mix32(round * n + i + 1);
}

static void churn_fill(struct __test_metadata *_metadata, int fd,
		       unsigned long round, unsigned long n)
{
	static unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned long i;
	unsigned int id;

	memset(msg, 0x5a, sizeof(msg));
	for (i = 0; i < n; i++) {
		id = churn_id(round, n, i);
		ASSERT_EQ(0, msg_slot_set_channel(fd, id))
			TH_LOG("MSG_SLOT_CHANNEL %u: %s", id, strerror(errno));
		ASSERT_EQ(sizeof(msg), write(fd, msg, sizeof(msg)))
			TH_LOG("round %lu, channel %u (%lu of %lu): %s", round,
			       id, i + 1, n, strerror(errno));
	}
}

/* Downwards: a run cut short leaves the round's first channel in place. */
static void churn_clear(struct __test_metadata *_metadata, int fd,
			unsigned long round, unsigned long n)
{
	unsigned long i;
	unsigned int id;

	for (i = n; i-- > 0;) {
		id = churn_id(round, n, i);
		ASSERT_EQ(0, msg_slot_set_channel(fd, id))
			TH_LOG("MSG_SLOT_CHANNEL %u: %s", id, strerror(errno));
		ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CLEAR))
			TH_LOG("round %lu, clearing channel %u: %s", round, id,
			       strerror(errno));
	}
}

static long max_kb(long a, long b)
{
	return a > b ? a : b;
}

/*
 * A cleared channel gives back all its memory, its entry in the table
 * included, and the table shrinks with the slot until an empty slot has
 * none: filling a slot and clearing it, over and over, leaves the kernel
 * where it was. The figures are the whole system's, so a fill must have
 * visibly cost memory first, and the tolerance is measured.
 *
 * On a kernel with kmemleak, its debug facilities keep memory by design
 * (kmemleak's and debugobjects' own records of every allocation, freed
 * late and in batches), which makes MemAvailable and SUnreclaim drift
 * round after round whatever the driver does: there the test holds the
 * driver's own memory to the same rule instead, the kmalloc caches that
 * its buffers and small tables come from (their KASAN quarantine
 * emptied by settle()) and vmalloc, and kmemleak looks for leaks.
 */
TEST_F_TIMEOUT(limits, cleared_memory_comes_back, 900)
{
	long noise_avail, noise_slab, noise_vmalloc, cost_kb, floor_kb;
	long tol_avail, tol_slab, tol_vmalloc, min_cost_kb;
	struct mem_figures start, again, filled, cleared;
	unsigned long n, rounds, r;
	long noise_kmalloc, tol_kmalloc;
	bool kmemleak = !access(KMEMLEAK_FILE, F_OK);
	int fd;

	ASSERT_TRUE(msg_slot_env_ulong("MSG_SLOT_CHURN_CHANNELS",
				       CHURN_CHANNELS, &n));
	ASSERT_TRUE(msg_slot_env_ulong("MSG_SLOT_CHURN_ROUNDS", CHURN_ROUNDS,
				       &rounds));
	ASSERT_TRUE(n >= 1 && n <= MSG_SLOT_MAX_CHANNELS) TH_LOG("%lu", n);
	ASSERT_TRUE(rounds >= 1 && rounds <= CHURN_MAX_ROUNDS)
		TH_LOG("%lu", rounds);

	/* Root is a user like any other: its bound must not get in the way. */
	set_max_channels(_metadata, MSG_SLOT_MAX_CHANNELS);
	fd = msg_slot_open(&self->env, MINOR_CHURN, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));

	/*
	 * A run cut short left channels of a round, its first one among
	 * them: a fill would then only overwrite them and cost nothing.
	 */
	for (r = 0; r < rounds; r++) {
		if (channel_present(_metadata, fd, churn_id(r, n, 0))) {
			TH_LOG("clearing round %lu of an earlier run", r);
			churn_clear(_metadata, fd, r, n);
		}
	}

	/* Twice with nothing in between: what the figures do on their own. */
	settle(_metadata, &start);
	log_mem(_metadata, "start", &start);
	settle(_metadata, &again);
	log_mem(_metadata, "start, again", &again);
	noise_avail = labs(again.avail_kb - start.avail_kb);
	noise_slab = labs(again.sunreclaim_kb - start.sunreclaim_kb);
	noise_vmalloc = labs(again.vmalloc_kb - start.vmalloc_kb);
	noise_kmalloc = labs(again.kmalloc_kb - start.kmalloc_kb);
	start = again;

	for (r = 0; r < rounds; r++) {
		churn_fill(_metadata, fd, r, n);
		if (!r) {
			settle(_metadata, &filled);
			log_mem(_metadata, "after the first fill", &filled);
		}
		churn_clear(_metadata, fd, r, n);
		settle(_metadata, &cleared);
		TH_LOG("round %lu of %lu: %lu channels written and cleared,",
		       r + 1, rounds, n);
		TH_LOG("  MemAvailable+pcp %ld kB (%+ld), SUnreclaim %ld kB (%+ld),",
		       cleared.avail_kb, cleared.avail_kb - start.avail_kb,
		       cleared.sunreclaim_kb,
		       cleared.sunreclaim_kb - start.sunreclaim_kb);
		TH_LOG("  VmallocUsed %ld kB (%+ld), settled in %u rounds",
		       cleared.vmalloc_kb, cleared.vmalloc_kb - start.vmalloc_kb,
		       cleared.rounds);
	}
	close(fd);

	cost_kb = start.avail_kb - filled.avail_kb;
	min_cost_kb = n * MSG_SLOT_MAX_MSG_LEN / 1024;
	floor_kb = max_kb(cost_kb * FLOOR_PERMILLE / 1000, FLOOR_MIN_KB);
	tol_avail = max_kb(NOISE_FACTOR * noise_avail, floor_kb);
	tol_slab = max_kb(NOISE_FACTOR * noise_slab, floor_kb);
	tol_vmalloc = max_kb(NOISE_FACTOR * noise_vmalloc, floor_kb);
	tol_kmalloc = max_kb(max_kb(NOISE_FACTOR * noise_kmalloc, floor_kb),
			     KMALLOC_FLOOR_KB);
	TH_LOG("one fill of %lu channels: MemAvailable+pcp fell by %ld kB",
	       n, cost_kb);
	TH_LOG("  (messages alone: %ld kB), SUnreclaim %+ld kB, VmallocUsed %+ld kB",
	       min_cost_kb, filled.sunreclaim_kb - start.sunreclaim_kb,
	       filled.vmalloc_kb - start.vmalloc_kb);
	TH_LOG("noise: MemAvailable+pcp %ld kB, SUnreclaim %ld kB, VmallocUsed %ld kB, kmalloc caches %ld kB",
	       noise_avail, noise_slab, noise_vmalloc, noise_kmalloc);
	TH_LOG("floor: max(%d/1000 of the fill, %ld kB) = %ld kB; noise times %d",
	       FLOOR_PERMILLE, FLOOR_MIN_KB, floor_kb, NOISE_FACTOR);
	TH_LOG("kept after %lu rounds, of what each may keep:", rounds);
	TH_LOG("  MemAvailable+pcp %ld of %ld kB, SUnreclaim %ld of %ld kB,",
	       start.avail_kb - cleared.avail_kb, tol_avail,
	       cleared.sunreclaim_kb - start.sunreclaim_kb, tol_slab);
	TH_LOG("  VmallocUsed %ld of %ld kB, kmalloc caches %ld of %ld kB",
	       cleared.vmalloc_kb - start.vmalloc_kb, tol_vmalloc,
	       cleared.kmalloc_kb - start.kmalloc_kb, tol_kmalloc);

	/* Else nothing was measured, and what follows would prove nothing. */
	EXPECT_LE(min_cost_kb, cost_kb);
	/*
	 * Only what stayed counts: the kernel may well have freed something
	 * of its own meanwhile, which says nothing about the driver.
	 */
	EXPECT_GE(tol_vmalloc, cleared.vmalloc_kb - start.vmalloc_kb);
	EXPECT_GE(tol_kmalloc, cleared.kmalloc_kb - start.kmalloc_kb);
	if (kmemleak) {
		TH_LOG("kmemleak is active: MemAvailable and SUnreclaim are not held to it");
		return;
	}
	EXPECT_GE(tol_avail, start.avail_kb - cleared.avail_kb);
	EXPECT_GE(tol_slab, cleared.sunreclaim_kb - start.sunreclaim_kb);
}

/*
 * What the kmemleak_object cache takes, in kB: 0 without kmemleak. The
 * debug kernel's kmemleak keeps an object of its own, charged to no one,
 * for every allocation anyone makes: it is not the driver's memory.
 */
static long kmemleak_slab_kb(void)
{
	unsigned long objs, total, size, per_slab, pages, active, slabs;
	char line[512], name[64];
	long kb = 0;
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   "%63s %lu %lu %lu %lu %lu : tunables %*u %*u %*u : slabdata %lu %lu",
			   name, &objs, &total, &size, &per_slab, &pages,
			   &active, &slabs) == 8 &&
		    !strcmp(name, "kmemleak_object")) {
			kb = slabs * pages * (sysconf(_SC_PAGESIZE) / 1024);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* What the charging test reads of its cgroup, in bytes (-1: absent). */
struct memcg_figures {
	long long current;
	long long kernel;
	long long slab;		/* slab_unreclaimable */
	long long vmalloc;
};

static void read_memcg(struct __test_metadata *_metadata, const char *dir,
		       struct memcg_figures *c)
{
	c->current = memcg_current(dir);
	ASSERT_LE(0, c->current) TH_LOG("no %s/memory.current", dir);
	c->kernel = memcg_key(dir, "memory.stat", "kernel");
	c->slab = memcg_key(dir, "memory.stat", "slab_unreclaimable");
	c->vmalloc = memcg_key(dir, "memory.stat", "vmalloc");
}

/* Wait for the next word of the child @pid, which may have died instead. */
static void charge_wait(struct __test_metadata *_metadata, int fd, pid_t pid,
			const struct child_report *rep)
{
	char c;

	if (read(fd, &c, 1) == 1)
		return;
	reap_child(_metadata, pid, rep);
	ASSERT_TRUE(false) TH_LOG("the child ended before its word");
}

/*
 * In a child: as NOBODY_ID in the cgroup of @procs, fill the slot at
 * @node from channel 1 up to one past the bound. The child says when it
 * is ready (on @up), then when it is done, and each time waits for the
 * word (on @down): its cgroup is read in between, with everything the
 * process itself needs charged before the first reading, and before it
 * exits.
 */
static void __noreturn charge_child(const char *procs, const char *node,
				    struct child_report *rep, int down, int up)
{
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned long id;
	char c;
	int fd;

	join_memcg_unprivileged(procs, rep, NOBODY_ID);
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		child_fail(rep, "open %s: %s", node, strerror(errno));
	memset(msg, 0xa5, sizeof(msg));
	if (write(up, "r", 1) != 1 || read(down, &c, 1) != 1)
		child_fail(rep, "no word from the test: %s", strerror(errno));

	for (id = 1; id <= CHARGE_CHANNELS + 1; id++)
		if (msg_slot_set_channel(fd, id) ||
		    write(fd, msg, sizeof(msg)) != sizeof(msg))
			break;
	rep->err = id <= CHARGE_CHANNELS + 1 ? errno : 0;
	rep->written = id - 1;

	if (write(up, "d", 1) != 1 || read(down, &c, 1) != 1)
		child_fail(rep, "no word from the test: %s", strerror(errno));
	_exit(0);
}

/*
 * Everything a writer makes the kernel allocate is charged to its memory
 * cgroup: the messages, the table the slot needs for them, the records
 * of who holds what. So what one user's fill takes from the system must
 * show in its cgroup, but for the kernel's own bookkeeping.
 */
TEST_F_TIMEOUT(limits, memcg_charged_for_everything, 900)
{
	const struct child_report *rep = self->rep;
	char node[128], procs[CG_FILE_PATH];
	long drop_kb, debug_kb, net_kb, charged_kb, kml0, kml1, min_kb;
	struct memcg_figures cg0, cg1;
	struct mem_figures before, after;
	int down[2], up[2], fd;
	const char *why = "";
	pid_t pid;

	if (memcg_test_start(_metadata, &self->cg, &self->env,
			     CHARGE_MEMORY_MAX, MINOR_CHARGE, node, sizeof(node),
			     procs, sizeof(procs), &why))
		SKIP(return, "%s", why);
	set_max_channels(_metadata, CHARGE_CHANNELS);

	fd = msg_slot_open(&self->env, MINOR_CHARGE, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
	/* A run cut short left channels, which a fill would only overwrite. */
	if (channel_present(_metadata, fd, 1)) {
		TH_LOG("clearing the channels of an earlier run");
		root_clear_fd(_metadata, fd, 1, CHARGE_CHANNELS + 1);
	}

	ASSERT_EQ(0, pipe2(down, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		charge_child(procs, node, self->rep, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);

	charge_wait(_metadata, up[0], pid, rep);
	settle(_metadata, &before);
	read_memcg(_metadata, self->cg.dir[0], &cg0);
	kml0 = kmemleak_slab_kb();
	ASSERT_EQ(1, write(down[1], "g", 1));

	charge_wait(_metadata, up[0], pid, rep);
	settle(_metadata, &after);
	read_memcg(_metadata, self->cg.dir[0], &cg1);
	kml1 = kmemleak_slab_kb();
	ASSERT_EQ(1, write(down[1], "x", 1));
	reap_child(_metadata, pid, rep);
	close(down[1]);
	close(up[0]);

	drop_kb = before.avail_kb - after.avail_kb;
	debug_kb = kml1 - kml0;
	net_kb = drop_kb - debug_kb;
	charged_kb = (cg1.current - cg0.current) / 1024;
	min_kb = CHARGE_CHANNELS * MSG_SLOT_MAX_MSG_LEN / 1024;
	log_mem(_metadata, "before the fill", &before);
	log_mem(_metadata, "after the fill", &after);
	TH_LOG("uid %d: %lu channels of %d bytes, then %s",
	       NOBODY_ID, rep->written, MSG_SLOT_MAX_MSG_LEN,
	       err_name(rep->err));
	TH_LOG("memory.current %lld -> %lld bytes: %+ld kB", cg0.current,
	       cg1.current, charged_kb);
	TH_LOG("  memory.stat: kernel %+lld kB, slab_unreclaimable %+lld kB, vmalloc %+lld kB",
	       (cg1.kernel - cg0.kernel) / 1024, (cg1.slab - cg0.slab) / 1024,
	       (cg1.vmalloc - cg0.vmalloc) / 1024);
	TH_LOG("MemAvailable+pcp fell by %ld kB, kmemleak's objects took %ld kB:",
	       drop_kb, debug_kb);
	TH_LOG("  %ld kB for the fill, %ld kB charged = %ld%% (at least %d%%)",
	       net_kb, charged_kb,
	       net_kb > 0 ? charged_kb * 100 / net_kb : 0L,
	       CHARGE_MIN_PERCENT);
	TH_LOG("  messages alone: %ld kB", min_kb);

	/* Leave the slot empty, for the next run and the other tests. */
	root_clear_fd(_metadata, fd, 1, CHARGE_CHANNELS + 1);
	close(fd);

	EXPECT_EQ(ENOSPC, rep->err);
	EXPECT_EQ(CHARGE_CHANNELS, rep->written);
	/* Else nothing was measured, and the ratio would prove nothing. */
	EXPECT_LE(min_kb, net_kb);
	EXPECT_LE(min_kb, charged_kb);
	EXPECT_LE(net_kb * CHARGE_MIN_PERCENT / 100, charged_kb);
}

TEST_HARNESS_MAIN
