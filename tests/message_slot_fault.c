// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection sweep of the message_slot character device.
 *
 * Every allocation and every user copy on the way of open(), of the
 * MSG_SLOT_CHANNEL, MSG_SLOT_CHANNEL_INFO and MSG_SLOT_CLEAR ioctls, of
 * write(), read(), poll() and of adding a file to an epoll set is made to
 * fail in turn. failslab and fail_usercopy are driven per task through
 * /proc/thread-self/fail-nth: writing N there makes the N-th injection
 * point this task reaches fail, and reading it back after the call tells
 * whether the call got that far (0) or finished first (non-zero), which
 * ends the sweep of that call.
 *
 * A call that met its fault must have failed with ENOMEM or EFAULT and
 * changed nothing: the old message and its seq are intact, poll() finds
 * the file as readable as before, and the file still works: a write from
 * another file makes it readable, and wakes an epoll set it is in.
 * Or the kernel absorbed the fault (kvmalloc() falls back to vmalloc(),
 * kmemleak to its own pool, ...) and the call did all it should; those
 * are counted apart. The VM harness checks afterwards that nothing leaked
 * (kmemleak, after rmmod) and that the kernel printed no report.
 *
 * Minors 200 to 239 belong to this test; slots are never freed, so a run
 * continues from what an earlier run in the same boot left behind.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "msg_slot_common.h"

/* One slot for the scenarios that need one that exists. */
#define MINOR_SLOT		200
/* A new minor for each round of the slot creation sweep. */
#define MINOR_FRESH_FIRST	201
#define MINOR_FRESH_LAST	222
/* Slots for the new channel sweep, which cannot remove a channel again. */
#define MINOR_POOL_FIRST	223
#define MINOR_POOL_LAST		239
#define POOL_SLOTS		(MINOR_POOL_LAST - MINOR_POOL_FIRST + 1)

/*
 * New channels are swept at every fill level of a slot from where it
 * stands, so that every growth of the table is crossed without knowing
 * when it happens: up to 480 channels the table passes through the small
 * kmalloc() sizes, the ones that may fall back to vmalloc() and the ones
 * beyond the slab caches.
 */
#define FILL_LEVELS		480

/* A call with more points than this is taken to fail on its own. */
#define MAX_POINTS		1000
/* Wrong outcomes are all counted, but only the first ones described. */
#define MAX_BAD_LOGS		20
#define MAX_SCENARIOS		16
/* Larger than any message, so that a read never fails for size. */
#define READ_BUF		(2 * MSG_SLOT_MAX_MSG_LEN)

#define FAIL_NTH		"/proc/thread-self/fail-nth"
#define FAILSLAB_DIR		"/sys/kernel/debug/failslab"
#define FAIL_USERCOPY_DIR	"/sys/kernel/debug/fail_usercopy"

/*
 * The fault attributes the sweep needs changed, put back afterwards. Our
 * allocations may sleep, which failslab leaves alone by default. And an
 * injected fault must not dump a stack: the harness takes any "Call
 * Trace" on the console for a bug.
 */
static const struct {
	const char *path;
	const char *value;
} knobs[] = {
	{ FAILSLAB_DIR "/ignore-gfp-wait", "N" },
	{ FAILSLAB_DIR "/verbose", "0" },
	{ FAIL_USERCOPY_DIR "/verbose", "0" },
};

#define NR_KNOBS		ARRAY_SIZE(knobs)
#define KNOB_LEN		32

/* What the sweep of one scenario found. */
struct fault_stats {
	char name[32];
	unsigned int points;	/* injection points reached */
	unsigned int enomem;	/* ... where the call failed with ENOMEM */
	unsigned int efault;	/* ... where it failed with EFAULT */
	unsigned int absorbed;	/* ... where the kernel recovered */
	unsigned int bad;	/* wrong errors or state, any attempt */
};

/*
 * Shared by all tests, each of which runs in a process of its own, for
 * the summary at the end.
 */
static struct {
	unsigned int nr;
	struct fault_stats s[MAX_SCENARIOS];
} *tally;

static void __attribute__((constructor)) tally_init(void)
{
	/* Anonymous memory comes zeroed. */
	tally = mmap(NULL, sizeof(*tally), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tally == MAP_FAILED)
		tally = NULL;
}

/* Knuth's multiplicative hash: neighbouring ids get unrelated bytes. */
#define MSG_ID_MIX		2654435761UL
#define MSG_BYTE_STEP		31

/*
 * Messages are a function of their channel id and length, so that any run
 * can check what an earlier one wrote. A @len of 0 picks a length from the
 * id too, which spreads the messages over all size classes.
 */
static size_t fill_msg(unsigned long id, unsigned char *buf, size_t len)
{
	size_t i;

	if (!len)
		len = 1 + id % MSG_SLOT_MAX_MSG_LEN;
	for (i = 0; i < len; i++)
		buf[i] = id * MSG_ID_MIX + len + i * MSG_BYTE_STEP;
	return len;
}

struct fault_ctx;

/* One scenario: a call to sweep and how to judge what it left. */
struct fault_op {
	/* Unarmed: set up the state the call starts from. */
	void (*prepare)(struct fault_ctx *c);
	/* Armed: the call, returning -1 with errno on failure. */
	long (*call)(struct fault_ctx *c);
	/* Unarmed, after a failed call: is everything as before? */
	bool (*unchanged)(struct fault_ctx *c);
	/* Unarmed, after a successful call: did it do all it should? */
	bool (*done)(struct fault_ctx *c, long ret);
};

struct fault_ctx {
	struct __test_metadata *metadata;
	struct msg_slot_env *env;
	struct fault_stats *st;
	int nth_fd;		/* this task's fail-nth */
	int fd;			/* a file of MINOR_SLOT */
	unsigned int minor;	/* the minor the open scenarios open */
	char path[128];		/* ... and its node */
	unsigned long channel;	/* the channel the call acts on */
	unsigned long other;	/* the channel MSG_SLOT_CHANNEL selects */
	size_t old_len;		/* message before the call */
	size_t new_len;		/* message the call writes */
	unsigned long long old_seq;	/* seq of the channel before the call */
	unsigned char old_msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned char new_msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned char buf[READ_BUF];	/* the buffer read() fills */
	/* The poll scenarios: a file of their own, and its epoll set. */
	int watch_fd;
	int epfd;
	struct pollfd pfd;
	struct epoll_event ev;
	struct msg_slot_channel_info info;	/* what the info call fills */
	char why[256];		/* what a check found wrong */
};

static bool __printf(2, 3) why(struct fault_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return false;
}

/* Does the selected channel of @fd hold @msg, or nothing if @msg is NULL? */
static bool reads_back(struct fault_ctx *c, int fd, const unsigned char *msg,
		       size_t len)
{
	unsigned char got[READ_BUF];
	ssize_t n;

	memset(got, 0, sizeof(got));
	n = read(fd, got, sizeof(got));
	if (!msg) {
		if (n >= 0 || errno != EWOULDBLOCK)
			return why(c, "read gave %s, not EWOULDBLOCK",
				   n < 0 ? strerror(errno) : "a message");
		return true;
	}
	if (n < 0)
		return why(c, "read: %s", strerror(errno));
	if ((size_t)n != len || memcmp(got, msg, len))
		return why(c, "read %zd bytes, not the %zu bytes expected", n,
			   len);
	return true;
}

/* Is the channel of @fd @len bytes long, with seq @seq? */
static bool info_is(struct fault_ctx *c, int fd, size_t len,
		    unsigned long long seq)
{
	struct msg_slot_channel_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info))
		return why(c, "MSG_SLOT_CHANNEL_INFO: %s", strerror(errno));
	if (info.len != len || info.seq != seq)
		return why(c, "info: len %u seq %llu, not len %zu seq %llu",
			   info.len, (unsigned long long)info.seq, len, seq);
	return true;
}

/* Does poll() report exactly @want of @fd, and count the file only then? */
static bool polls_revents(struct fault_ctx *c, int fd, short want)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	int n;

	n = poll(&pfd, 1, 0);
	if (n != !!want || pfd.revents != want)
		return why(c, "poll: %d (%s), revents %#x, not %#x", n,
			   n < 0 ? strerror(errno) : "files", pfd.revents,
			   want);
	return true;
}

/*
 * Does poll() find @fd readable exactly when @readable? A file with a
 * channel is writable. Call it before any read of @fd, which makes it
 * unreadable.
 */
static bool polls(struct fault_ctx *c, int fd, bool readable)
{
	return polls_revents(c, fd, POLLOUT | (readable ? POLLIN : 0));
}

/* Does poll() find nothing to report of @fd, which has no channel? */
static bool polls_nothing(struct fault_ctx *c, int fd)
{
	return polls_revents(c, fd, 0);
}

static bool holds(struct fault_ctx *c, int fd, unsigned long id,
		  const unsigned char *msg, size_t len)
{
	char what[sizeof(c->why)];

	if (msg_slot_set_channel(fd, id))
		return why(c, "MSG_SLOT_CHANNEL %lu: %s", id, strerror(errno));
	if (reads_back(c, fd, msg, len))
		return true;
	/* Name the channel; why() must not read what it overwrites. */
	memcpy(what, c->why, sizeof(what));
	return why(c, "channel %lu: %.200s", id, what);
}

static void fault_arm(struct fault_ctx *c, unsigned int nth)
{
	struct __test_metadata *_metadata = c->metadata;
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", nth);
	ASSERT_EQ(len, pwrite(c->nth_fd, buf, len, 0))
		TH_LOG("arming %s: %s", FAIL_NTH, strerror(errno));
}

/* Did the armed fault fire? Leaves the task disarmed either way. */
static bool fault_fired(struct fault_ctx *c)
{
	struct __test_metadata *_metadata = c->metadata;
	char buf[16] = "";
	bool fired;
	ssize_t n;

	/*
	 * The count left over is printed before it is copied out, and the
	 * copy is an injection point too: with one point to go it fails,
	 * which also means the call did not reach the fault.
	 */
	n = pread(c->nth_fd, buf, sizeof(buf) - 1, 0);
	ASSERT_TRUE(n > 0 || errno == EFAULT)
		TH_LOG("reading %s: %s", FAIL_NTH, strerror(errno));
	fired = n > 0 && strtoul(buf, NULL, 10) == 0;

	/* The same goes for disarming: if its copy fails, it is done. */
	if (pwrite(c->nth_fd, "0", 1, 0) != 1) {
		ASSERT_EQ(EFAULT, errno)
			TH_LOG("disarming %s: %s", FAIL_NTH, strerror(errno));
		ASSERT_EQ(1, pwrite(c->nth_fd, "0", 1, 0));
	}
	return fired;
}

static void __printf(3, 4) bad(struct fault_ctx *c, unsigned int nth,
			       const char *fmt, ...)
{
	struct __test_metadata *_metadata = c->metadata;
	char msg[512];
	va_list ap;

	if (c->st->bad++ >= MAX_BAD_LOGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TH_LOG("%s, point %u: %s", c->st->name, nth, msg);
}

/*
 * Sort out one call armed at point @nth, whose state check gave @ok.
 * Returns whether the fault fired: if not, the sweep is over.
 */
static bool account(struct fault_ctx *c, unsigned int nth, long ret, int err,
		    bool fired, bool ok)
{
	struct fault_stats *st = c->st;

	if (!fired) {
		if (ret < 0)
			bad(c, nth, "failed with %s with no fault injected",
			    strerror(err));
		else if (!ok)
			bad(c, nth, "with no fault injected: %s", c->why);
		return false;
	}

	st->points++;
	if (ret >= 0) {
		st->absorbed++;
		if (!ok)
			bad(c, nth, "succeeded despite the fault, but %s",
			    c->why);
		return true;
	}
	if (err == ENOMEM)
		st->enomem++;
	else if (err == EFAULT)
		st->efault++;
	else
		bad(c, nth, "failed with %s, not ENOMEM or EFAULT",
		    strerror(err));
	if (!ok)
		bad(c, nth, "after failing with %s: %s", strerror(err), c->why);
	return true;
}

static void report(struct fault_ctx *c, const char *note)
{
	struct __test_metadata *_metadata = c->metadata;
	const struct fault_stats *st = c->st;

	TH_LOG("%s: swept %u points: %u failed (ENOMEM %u, EFAULT %u), %u absorbed, %u wrong%s",
	       st->name, st->points, st->enomem + st->efault, st->enomem,
	       st->efault, st->absorbed, st->bad, note);
}

/* Fail point 1, 2, ... of the call until it runs past the last one. */
static void sweep(struct fault_ctx *c, const struct fault_op *op)
{
	struct __test_metadata *_metadata = c->metadata;
	unsigned int nth;
	bool fired, ok;
	long ret;
	int err;

	for (nth = 1; nth <= MAX_POINTS; nth++) {
		if (op->prepare)
			op->prepare(c);
		/* Nothing but the call may run while the fault is armed. */
		fault_arm(c, nth);
		errno = 0;
		ret = op->call(c);
		err = errno;
		fired = fault_fired(c);
		ok = ret < 0 ? op->unchanged(c) : op->done(c, ret);
		if (!account(c, nth, ret, err, fired, ok))
			return;
	}
	ASSERT_TRUE(false) TH_LOG("%s: still reaching faults at point %u",
				  c->st->name, nth);
}

/* The values of the knobs before the test, for those it changed. */
struct knob_state {
	char saved[NR_KNOBS][KNOB_LEN];
	bool changed[NR_KNOBS];
};

FIXTURE(fault) {
	struct msg_slot_env env;
	struct knob_state knobs;
	int nth_fd;
};

static void restore_knobs(struct __test_metadata *_metadata,
			  struct knob_state *ks)
{
	unsigned int i;
	int ret;

	for (i = 0; i < NR_KNOBS; i++) {
		if (!ks->changed[i])
			continue;
		ret = msg_slot_write_file(knobs[i].path, ks->saved[i]);
		if (ret)
			TH_LOG("could not restore %s: %s", knobs[i].path,
			       strerror(-ret));
		EXPECT_EQ(0, ret);
		ks->changed[i] = false;
	}
}

FIXTURE_SETUP(fault)
{
	struct stat st;
	unsigned int i;
	long n;
	int ret;

	if (access(FAIL_NTH, R_OK | W_OK))
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION)", FAIL_NTH);
	/* Both need CONFIG_FAULT_INJECTION_DEBUG_FS and debugfs mounted. */
	if (stat(FAILSLAB_DIR, &st))
		SKIP(return, "no %s (CONFIG_FAILSLAB)", FAILSLAB_DIR);
	if (stat(FAIL_USERCOPY_DIR, &st))
		SKIP(return, "no %s (CONFIG_FAULT_INJECTION_USERCOPY)",
		     FAIL_USERCOPY_DIR);
	ASSERT_NE(NULL, tally);
	/* This thread's: the one that runs the test. */
	self->nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd)
		TH_LOG("opening %s: %s", FAIL_NTH, strerror(errno));

	if (!msg_slot_env_setup(_metadata, &self->env))
		return;

	/*
	 * Last, and undone here on failure: the teardown runs only once the
	 * setup has completed.
	 */
	for (i = 0; i < NR_KNOBS; i++) {
		n = msg_slot_read_file(knobs[i].path, self->knobs.saved[i], KNOB_LEN);
		ret = n > 0 ? msg_slot_write_file(knobs[i].path, knobs[i].value) :
			      n ? n : -EIO;
		if (ret)
			break;
		self->knobs.changed[i] = true;
	}
	if (i < NR_KNOBS) {
		restore_knobs(_metadata, &self->knobs);
		msg_slot_env_cleanup(&self->env);
		ASSERT_EQ(0, ret) TH_LOG("setting %s: %s", knobs[i].path,
					 strerror(-ret));
	}
}

/* In the parent, so that the settings come back even after a crash. */
FIXTURE_TEARDOWN_PARENT(fault)
{
	restore_knobs(_metadata, &self->knobs);
	msg_slot_env_cleanup(&self->env);
}

/* Start a scenario on @minor, with its statistics in the shared tally. */
static void ctx_init(struct __test_metadata *_metadata,
		     struct msg_slot_env *env, int nth_fd, struct fault_ctx *c,
		     unsigned int minor, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->metadata = _metadata;
	c->env = env;
	c->nth_fd = nth_fd;
	ASSERT_GT(MAX_SCENARIOS, tally->nr);
	c->st = &tally->s[tally->nr++];
	snprintf(c->st->name, sizeof(c->st->name), "%s", name);

	c->watch_fd = -1;
	c->epfd = -1;
	c->minor = minor;
	ASSERT_EQ(0, msg_slot_make_node(c->env, minor));
	msg_slot_node_path(c->env, minor, c->path, sizeof(c->path));
	c->fd = open(c->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->fd) TH_LOG("open minor %u: %s", minor,
				   strerror(errno));
}

/* The seq of the channel of @fd, unarmed. */
static unsigned long long seq_of(struct fault_ctx *c, int fd)
{
	struct __test_metadata *_metadata = c->metadata;
	struct msg_slot_channel_info info;

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info))
		TH_LOG("MSG_SLOT_CHANNEL_INFO: %s", strerror(errno));
	return info.seq;
}

/*
 * Write @id's own message of @len bytes, unarmed, and remember it and the
 * seq it got: the slot's write stamp, after which the next successful
 * write of the slot takes old_seq + 1. The file, which selected the
 * channel just before, has not read it.
 */
static void put_old(struct fault_ctx *c, unsigned long id, size_t len)
{
	struct __test_metadata *_metadata = c->metadata;

	c->old_len = fill_msg(id, c->old_msg, len);
	ASSERT_EQ(0, msg_slot_set_channel(c->fd, id));
	ASSERT_EQ((ssize_t)c->old_len, write(c->fd, c->old_msg, c->old_len))
		TH_LOG("writing channel %lu: %s", id, strerror(errno));
	c->old_seq = seq_of(c, c->fd);
}

/*
 * Select the channel on a new open file of the slot, unarmed, so that
 * the file has read nothing: a selection alone does not forget the last
 * message that a file read.
 */
static void reopen_unread(struct fault_ctx *c)
{
	struct __test_metadata *_metadata = c->metadata;

	close(c->fd);
	c->fd = open(c->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, msg_slot_set_channel(c->fd, c->channel));
}

static void ctx_finish(struct fault_ctx *c, const char *note)
{
	struct __test_metadata *_metadata = c->metadata;

	if (c->watch_fd >= 0)
		close(c->watch_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	close(c->fd);
	report(c, note);
	EXPECT_EQ(0U, c->st->bad);
}

/* open() of a minor whose slot exists. */

#define OPEN_EXISTING		"open, slot exists"

static long open_call(struct fault_ctx *c)
{
	return open(c->path, O_RDWR | O_CLOEXEC);
}

static bool open_existing_unchanged(struct fault_ctx *c)
{
	return holds(c, c->fd, c->channel, c->old_msg, c->old_len);
}

static bool open_existing_done(struct fault_ctx *c, long ret)
{
	/* No channel yet: nothing to report. */
	bool ok = polls_nothing(c, ret) &&
		  holds(c, ret, c->channel, c->old_msg, c->old_len);

	close(ret);
	return ok && open_existing_unchanged(c);
}

static const struct fault_op open_existing_op = {
	.call = open_call,
	.unchanged = open_existing_unchanged,
	.done = open_existing_done,
};

TEST_F_TIMEOUT(fault, open_existing_slot, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 OPEN_EXISTING);
	c.channel = 1;
	put_old(&c, c.channel, 0);
	sweep(&c, &open_existing_op);
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

/* open() of a minor never opened before, which creates its slot. */

static void open_new_prepare(struct fault_ctx *c)
{
	struct __test_metadata *_metadata = c->metadata;

	/* A failed open may have created the slot already: start afresh. */
	c->minor++;
	ASSERT_GE(MINOR_FRESH_LAST, c->minor)
		TH_LOG("minors %u to %u are used up: widen the range",
		       MINOR_FRESH_FIRST, MINOR_FRESH_LAST);
	ASSERT_EQ(0, msg_slot_make_node(c->env, c->minor));
	msg_slot_node_path(c->env, c->minor, c->path, sizeof(c->path));
}

/* The slot, whether the failed call made it or not, is empty and works. */
static bool slot_empty(struct fault_ctx *c, int fd)
{
	return holds(c, fd, 1, NULL, 0);
}

static bool open_new_unchanged(struct fault_ctx *c)
{
	int fd = open(c->path, O_RDWR | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return why(c, "open minor %u again: %s", c->minor,
			   strerror(errno));
	ok = slot_empty(c, fd);
	close(fd);
	return ok;
}

static bool open_new_done(struct fault_ctx *c, long ret)
{
	bool ok = slot_empty(c, ret);

	close(ret);
	return ok;
}

static const struct fault_op open_new_op = {
	.prepare = open_new_prepare,
	.call = open_call,
	.unchanged = open_new_unchanged,
	.done = open_new_done,
};

/* Points of open() of an existing slot, if that scenario ran before. */
static unsigned int open_existing_points(void)
{
	unsigned int i;

	for (i = 0; i < tally->nr; i++)
		if (!strcmp(tally->s[i].name, OPEN_EXISTING))
			return tally->s[i].points;
	return 0;
}

TEST_F_TIMEOUT(fault, open_new_slot, 300)
{
	unsigned int existing = open_existing_points();
	const char *note = "";
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "open, new slot");
	c.minor = MINOR_FRESH_FIRST - 1;
	sweep(&c, &open_new_op);
	EXPECT_LT(0U, c.st->points);
	/*
	 * Creating the slot allocates, so it adds points, unless this boot
	 * has opened these minors before: then say so.
	 */
	if (existing && c.st->points <= existing)
		note = " (no extra point: minors opened before?)";
	ctx_finish(&c, note);
}

/* The MSG_SLOT_CHANNEL ioctl. */

/* The file has selected the channel and read its message. */
static void ioctl_prepare(struct fault_ctx *c)
{
	struct __test_metadata *_metadata = c->metadata;

	ASSERT_EQ(0, msg_slot_set_channel(c->fd, c->channel));
	ASSERT_EQ((ssize_t)c->old_len, read(c->fd, c->buf, sizeof(c->buf)));
}

static long ioctl_call(struct fault_ctx *c)
{
	return msg_slot_set_channel(c->fd, c->other);
}

/* The file still reads the channel selected before, and has read it. */
static bool ioctl_unchanged(struct fault_ctx *c)
{
	return polls(c, c->fd, false) &&
	       reads_back(c, c->fd, c->old_msg, c->old_len);
}

/* The message of the new channel is one the file has not read. */
static bool ioctl_done(struct fault_ctx *c, long ret)
{
	if (ret)
		return why(c, "returned %ld", ret);
	return polls(c, c->fd, true) &&
	       reads_back(c, c->fd, c->new_msg, c->new_len);
}

static const struct fault_op ioctl_op = {
	.prepare = ioctl_prepare,
	.call = ioctl_call,
	.unchanged = ioctl_unchanged,
	.done = ioctl_done,
};

TEST_F_TIMEOUT(fault, ioctl_channel, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "ioctl MSG_SLOT_CHANNEL");
	c.other = 2;
	put_old(&c, c.other, 0);
	c.new_len = c.old_len;
	memcpy(c.new_msg, c.old_msg, c.old_len);
	c.channel = 1;
	put_old(&c, c.channel, 0);
	sweep(&c, &ioctl_op);
	/* It takes the id by value and allocates nothing: likely no point. */
	ctx_finish(&c, "");
}

/* write() replacing a message. */

static void replace_prepare(struct fault_ctx *c)
{
	put_old(c, c->channel, c->old_len);
}

static long write_call(struct fault_ctx *c)
{
	return write(c->fd, c->new_msg, c->new_len);
}

/* A failed write takes no seq. */
static bool replace_unchanged(struct fault_ctx *c)
{
	return polls(c, c->fd, true) &&
	       info_is(c, c->fd, c->old_len, c->old_seq) &&
	       reads_back(c, c->fd, c->old_msg, c->old_len);
}

static bool replace_done(struct fault_ctx *c, long ret)
{
	if ((size_t)ret != c->new_len)
		return why(c, "wrote %ld bytes, not %zu", ret, c->new_len);
	return polls(c, c->fd, true) &&
	       info_is(c, c->fd, c->new_len, c->old_seq + 1) &&
	       reads_back(c, c->fd, c->new_msg, c->new_len);
}

static const struct fault_op replace_op = {
	.prepare = replace_prepare,
	.call = write_call,
	.unchanged = replace_unchanged,
	.done = replace_done,
};

/* Sweep replacing an @old_len message of @channel with a @new_len one. */
static void sweep_replace(struct fault_ctx *c, unsigned long channel,
			  size_t old_len, size_t new_len)
{
	c->channel = channel;
	c->old_len = old_len;
	/* Another pattern than the old message's, at any length. */
	c->new_len = fill_msg(channel + 1, c->new_msg, new_len);
	sweep(c, &replace_op);
}

/* Sizes in one class (17 to 32 bytes) and in other ones. */
#define LEN_SMALL		20
#define LEN_SAME_CLASS		30
#define LEN_TINY		3

TEST_F_TIMEOUT(fault, write_same_class, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "write, same size class");
	sweep_replace(&c, 3, LEN_SMALL, LEN_SAME_CLASS);
	sweep_replace(&c, 3, LEN_SAME_CLASS, LEN_SMALL);
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

TEST_F_TIMEOUT(fault, write_other_class, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "write, other size class");
	/* Up and down, from the smallest class to the largest and back. */
	sweep_replace(&c, 4, LEN_TINY, MSG_SLOT_MAX_MSG_LEN);
	sweep_replace(&c, 4, MSG_SLOT_MAX_MSG_LEN, LEN_TINY);
	sweep_replace(&c, 4, LEN_SMALL, MSG_SLOT_MAX_MSG_LEN / 2);
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

/* read(). */

static void read_prepare(struct fault_ctx *c)
{
	/* Written before arming, so no page fault happens in the call. */
	memset(c->buf, 0, sizeof(c->buf));
	reopen_unread(c);
}

static long read_call(struct fault_ctx *c)
{
	return read(c->fd, c->buf, sizeof(c->buf));
}

/*
 * Reads do not consume: the message is still there in full. A failed
 * read leaves it unread by the file.
 */
static bool read_unchanged(struct fault_ctx *c)
{
	return polls(c, c->fd, true) &&
	       info_is(c, c->fd, c->old_len, c->old_seq) &&
	       reads_back(c, c->fd, c->old_msg, c->old_len);
}

static bool read_done(struct fault_ctx *c, long ret)
{
	if ((size_t)ret != c->old_len || memcmp(c->buf, c->old_msg, ret))
		return why(c, "read %ld bytes, not the %zu expected", ret,
			   c->old_len);
	return polls(c, c->fd, false) &&
	       info_is(c, c->fd, c->old_len, c->old_seq) &&
	       reads_back(c, c->fd, c->old_msg, c->old_len);
}

static const struct fault_op read_op = {
	.prepare = read_prepare,
	.call = read_call,
	.unchanged = read_unchanged,
	.done = read_done,
};

TEST_F_TIMEOUT(fault, read_message, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "read");
	c.channel = 5;
	put_old(&c, c.channel, MSG_SLOT_MAX_MSG_LEN);
	sweep(&c, &read_op);
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

/*
 * write() creating a channel, at every fill level of a slot. A slot at
 * level L holds channels 1 to L, and the call writes channel L + 1. A call
 * that absorbed its fault created the channel. A clear would remove it
 * again, but the slot would then be one that L + 1 writes and a removal
 * made, with memory waiting for a grace period, not one that L writes
 * made: the sweep of the level goes on in another slot, filled up to L
 * first. That is what the pool of slots is for.
 */
struct pool_slot {
	int fd;
	unsigned long level;	/* channels 1 to level exist */
	unsigned long start;	/* level before this run */
	unsigned long long seq;	/* the slot's last write stamp */
};

/*
 * Level of a pool slot: an earlier run may have filled it some way. Its
 * last write is the one with the largest seq: no pool channel is ever
 * cleared.
 */
static void pool_open(struct fault_ctx *c, struct pool_slot *slot,
		      unsigned int minor)
{
	struct __test_metadata *_metadata = c->metadata;
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned long long seq;
	unsigned long id;
	size_t len;

	slot->fd = msg_slot_open(c->env, minor, O_RDWR);
	ASSERT_LE(0, slot->fd) TH_LOG("open minor %u: %s", minor,
				      strerror(errno));
	slot->seq = 0;
	for (id = 1; ; id++) {
		ASSERT_EQ(0, msg_slot_set_channel(slot->fd, id));
		if (reads_back(c, slot->fd, NULL, 0))
			break;
		len = fill_msg(id, msg, 0);
		ASSERT_TRUE(reads_back(c, slot->fd, msg, len))
			TH_LOG("minor %u, channel %lu: %s", minor, id, c->why);
		seq = seq_of(c, slot->fd);
		if (seq > slot->seq)
			slot->seq = seq;
	}
	slot->level = id - 1;
	slot->start = slot->level;
}

/* Unarmed: bring @slot to @level. */
static void pool_fill(struct fault_ctx *c, struct pool_slot *slot,
		      unsigned long level)
{
	struct __test_metadata *_metadata = c->metadata;
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	size_t len;

	while (slot->level < level) {
		slot->level++;
		len = fill_msg(slot->level, msg, 0);
		ASSERT_EQ(0, msg_slot_set_channel(slot->fd, slot->level));
		ASSERT_EQ((ssize_t)len, write(slot->fd, msg, len))
			TH_LOG("filling channel %lu: %s", slot->level,
			       strerror(errno));
		slot->seq++;
	}
}

/* A slot at @level: one that is there, or the closest one below. */
static struct pool_slot *pool_get(struct fault_ctx *c,
				  struct pool_slot *pool, unsigned long level)
{
	struct __test_metadata *_metadata = c->metadata;
	struct pool_slot *best = NULL;
	unsigned int i;

	for (i = 0; i < POOL_SLOTS; i++) {
		if (pool[i].level > level)
			continue;
		if (!best || pool[i].level > best->level)
			best = &pool[i];
	}
	ASSERT_NE(NULL, best)
		TH_LOG("all %d slots of the pool are past level %lu: widen it",
		       POOL_SLOTS, level);
	pool_fill(c, best, level);
	return best;
}

/* Sweep writing channel @level + 1. Returns the points found. */
static unsigned int sweep_level(struct fault_ctx *c, struct pool_slot *pool,
				unsigned long level)
{
	struct __test_metadata *_metadata = c->metadata;
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN], prev[MSG_SLOT_MAX_MSG_LEN];
	unsigned long id = level + 1;
	size_t len, prev_len = 0;
	struct pool_slot *slot;
	unsigned int nth;
	bool fired, ok;
	long ret;
	int err;

	len = fill_msg(id, msg, 0);
	if (level)
		prev_len = fill_msg(level, prev, 0);
	for (nth = 1; nth <= MAX_POINTS; nth++) {
		slot = pool_get(c, pool, level);
		ASSERT_EQ(0, msg_slot_set_channel(slot->fd, id));

		fault_arm(c, nth);
		errno = 0;
		ret = write(slot->fd, msg, len);
		err = errno;
		fired = fault_fired(c);

		if (ret >= 0) {
			/* The channel exists now, whatever the check says. */
			slot->level++;
			slot->seq++;
			ok = ret == (long)len || why(c, "wrote %ld bytes", ret);
			ok = ok && info_is(c, slot->fd, len, slot->seq);
			ok = ok && reads_back(c, slot->fd, msg, len);
		} else {
			/* No channel, and the one before it is intact. */
			ok = info_is(c, slot->fd, 0, 0);
			ok = ok && reads_back(c, slot->fd, NULL, 0);
			ok = ok && (!level ||
				    holds(c, slot->fd, level, prev, prev_len));
		}
		if (!account(c, nth, ret, err, fired, ok))
			return nth - 1;
	}
	ASSERT_TRUE(false)
		TH_LOG("level %lu: still reaching faults at point %u", level,
		       nth);
	return 0;
}

/*
 * Every channel of every pool slot holds its message, and the next one
 * does not exist. Returns how many slots this run used.
 */
static unsigned int pool_check(struct fault_ctx *c, struct pool_slot *pool)
{
	struct __test_metadata *_metadata = c->metadata;
	unsigned char msg[MSG_SLOT_MAX_MSG_LEN];
	unsigned int i, used = 0;
	unsigned long id;
	size_t len;

	for (i = 0; i < POOL_SLOTS; i++) {
		for (id = 1; id <= pool[i].level + 1; id++) {
			len = fill_msg(id, msg, 0);
			if (holds(c, pool[i].fd, id,
				  id <= pool[i].level ? msg : NULL, len))
				continue;
			/* One report per slot is enough. */
			TH_LOG("minor %u: %s", MINOR_POOL_FIRST + i, c->why);
			c->st->bad++;
			break;
		}
		used += pool[i].level != pool[i].start;
		close(pool[i].fd);
	}
	return used;
}

/* Room for the levels that took more points than most, as " L:P" each. */
#define LEVELS_NOTE		1024

TEST_F_TIMEOUT(fault, write_new_channel, 600)
{
	unsigned short points[FILL_LEVELS];
	unsigned long first = 0, level;
	char note[LEVELS_NOTE];
	struct pool_slot pool[POOL_SLOTS];
	unsigned int i, fewest = MAX_POINTS, extra = 0, used_slots;
	struct fault_ctx c;
	size_t used = 0;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "write, new channel");
	for (i = 0; i < POOL_SLOTS; i++) {
		pool_open(&c, &pool[i], MINOR_POOL_FIRST + i);
		/* After an earlier run, go on from where it got to. */
		if (pool[i].level > first)
			first = pool[i].level;
	}

	for (level = first; level < first + FILL_LEVELS; level++) {
		i = sweep_level(&c, pool, level);
		points[level - first] = i;
		if (i < fewest)
			fewest = i;
	}
	used_slots = pool_check(&c, pool);

	/*
	 * Levels with more points than the fewest allocated more: a new or
	 * larger table, or a new slab page and its bookkeeping.
	 */
	note[0] = '\0';
	for (level = 0; level < FILL_LEVELS; level++) {
		if (points[level] == fewest)
			continue;
		extra++;
		if (used < sizeof(note))
			used += snprintf(note + used, sizeof(note) - used,
					 " %lu:%u", first + level,
					 points[level]);
	}
	TH_LOG("levels %lu to %lu, in %u of %d slots", first,
	       first + FILL_LEVELS - 1, used_slots, POOL_SLOTS);
	TH_LOG("%u points at most levels, more at %u (level:points):%s",
	       fewest, extra, note);
	/* The first write of a slot allocates its table, and it grows. */
	EXPECT_LT(0U, extra);
	ctx_finish(&c, "");
}

/* MSG_SLOT_CLEAR of a channel that holds a message. */

static void clear_prepare(struct fault_ctx *c)
{
	put_old(c, c->channel, c->old_len);
}

static long clear_call(struct fault_ctx *c)
{
	return ioctl(c->fd, MSG_SLOT_CLEAR);
}

/* The message is there, unread by the file, with its seq. */
static bool clear_unchanged(struct fault_ctx *c)
{
	return polls(c, c->fd, true) &&
	       info_is(c, c->fd, c->old_len, c->old_seq) &&
	       reads_back(c, c->fd, c->old_msg, c->old_len);
}

/* The channel is gone: as if never written, with no message and seq 0. */
static bool clear_done(struct fault_ctx *c, long ret)
{
	if (ret)
		return why(c, "returned %ld", ret);
	return polls(c, c->fd, false) && info_is(c, c->fd, 0, 0) &&
	       reads_back(c, c->fd, NULL, 0);
}

static const struct fault_op clear_op = {
	.prepare = clear_prepare,
	.call = clear_call,
	.unchanged = clear_unchanged,
	.done = clear_done,
};

TEST_F_TIMEOUT(fault, ioctl_clear, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "ioctl MSG_SLOT_CLEAR");
	c.channel = 6;
	/* Messages of the smallest, a middle and the largest size class. */
	c.old_len = LEN_TINY;
	sweep(&c, &clear_op);
	c.old_len = LEN_SMALL;
	sweep(&c, &clear_op);
	c.old_len = MSG_SLOT_MAX_MSG_LEN;
	sweep(&c, &clear_op);
	/*
	 * It copies nothing, and allocates at most to shrink a sparse table:
	 * likely no point.
	 */
	ctx_finish(&c, "");
}

/* MSG_SLOT_CHANNEL_INFO. */

static void info_prepare(struct fault_ctx *c)
{
	reopen_unread(c);
	memset(&c->info, 0, sizeof(c->info));
}

static long info_call(struct fault_ctx *c)
{
	return ioctl(c->fd, MSG_SLOT_CHANNEL_INFO, &c->info);
}

/* Info, failed or not, does not count as reading the message. */
static bool info_unchanged(struct fault_ctx *c)
{
	return polls(c, c->fd, true) &&
	       info_is(c, c->fd, c->old_len, c->old_seq) &&
	       reads_back(c, c->fd, c->old_msg, c->old_len);
}

static bool info_done(struct fault_ctx *c, long ret)
{
	const struct msg_slot_channel_info *info = &c->info;

	if (ret)
		return why(c, "returned %ld", ret);
	if (info->channel != c->channel || info->len != c->old_len ||
	    info->seq != c->old_seq)
		return why(c, "gave channel %u len %u seq %llu, not %lu %zu %llu",
			   info->channel, info->len,
			   (unsigned long long)info->seq, c->channel,
			   c->old_len, c->old_seq);
	return info_unchanged(c);
}

static const struct fault_op info_op = {
	.prepare = info_prepare,
	.call = info_call,
	.unchanged = info_unchanged,
	.done = info_done,
};

TEST_F_TIMEOUT(fault, ioctl_info, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "ioctl MSG_SLOT_CHANNEL_INFO");
	c.channel = 7;
	put_old(&c, c.channel, 0);
	sweep(&c, &info_op);
	/* The copy of the struct to the caller. */
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

/*
 * poll() and epoll of a file that has never polled: the driver starts to
 * watch the channel for it. Whether the call failed or not, the file must
 * not be readable, and a write from another file must then make it
 * readable and wake an epoll set it is in: a waiter never misses a write.
 */

#define POLL_EVENT_DATA		0x5107

/* A fresh file of the channel, which has read the channel's message. */
static void watch_prepare(struct fault_ctx *c)
{
	struct __test_metadata *_metadata = c->metadata;

	if (c->watch_fd >= 0)
		close(c->watch_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	c->watch_fd = open(c->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->watch_fd) TH_LOG("open: %s", strerror(errno));
	ASSERT_EQ(0, msg_slot_set_channel(c->watch_fd, c->channel));
	ASSERT_EQ((ssize_t)c->old_len,
		  read(c->watch_fd, c->buf, sizeof(c->buf)));
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, c->epfd) TH_LOG("epoll_create1: %s", strerror(errno));
	c->pfd = (struct pollfd){ .fd = c->watch_fd,
				  .events = POLLIN | POLLOUT };
	c->ev = (struct epoll_event){ .events = EPOLLIN,
				      .data.u64 = POLL_EVENT_DATA };
}

/*
 * How many events epoll_wait() with no timeout reports: -1 on an error,
 * or any event but the one expected.
 */
static int epoll_events(struct fault_ctx *c)
{
	struct epoll_event ev[2];
	int n;

	memset(ev, 0, sizeof(ev));
	n = epoll_wait(c->epfd, ev, 2, 0);
	if (n < 0) {
		why(c, "epoll_wait: %s", strerror(errno));
		return -1;
	}
	if (n && (n != 1 || ev[0].events != EPOLLIN ||
		  ev[0].data.u64 != POLL_EVENT_DATA)) {
		why(c, "epoll_wait: %d events, the first %#x %#llx", n,
		    ev[0].events, (unsigned long long)ev[0].data.u64);
		return -1;
	}
	return n;
}

/*
 * Unarmed: the file is not readable; put it in the epoll set unless
 * @in_set says it is there; a write from c->fd must make it readable and
 * be reported by epoll_wait(). The write has the same bytes: even so it
 * is a new message.
 */
static bool written_wakes(struct fault_ctx *c, bool in_set)
{
	ssize_t n;

	if (!polls(c, c->watch_fd, false))
		return false;
	if (!in_set && epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->watch_fd, &c->ev))
		return why(c, "epoll_ctl: %s", strerror(errno));
	switch (epoll_events(c)) {
	case 0:
		break;
	case 1:
		return why(c, "epoll reports it readable before the write");
	default:
		return false;
	}
	if (msg_slot_set_channel(c->fd, c->channel))
		return why(c, "MSG_SLOT_CHANNEL: %s", strerror(errno));
	n = write(c->fd, c->old_msg, c->old_len);
	if (n != (ssize_t)c->old_len)
		return why(c, "write: %zd (%s)", n, strerror(errno));
	switch (epoll_events(c)) {
	case 1:
		break;
	case 0:
		return why(c, "the write woke no epoll waiter");
	default:
		return false;
	}
	return polls(c, c->watch_fd, true) &&
	       reads_back(c, c->watch_fd, c->old_msg, c->old_len) &&
	       polls(c, c->watch_fd, false);
}

static long poll_call(struct fault_ctx *c)
{
	return poll(&c->pfd, 1, 0);
}

static bool poll_unchanged(struct fault_ctx *c)
{
	return written_wakes(c, false);
}

static bool poll_done(struct fault_ctx *c, long ret)
{
	if (ret != 1 || c->pfd.revents != POLLOUT)
		return why(c, "returned %ld, revents %#x", ret,
			   c->pfd.revents);
	return written_wakes(c, false);
}

static const struct fault_op poll_op = {
	.prepare = watch_prepare,
	.call = poll_call,
	.unchanged = poll_unchanged,
	.done = poll_done,
};

TEST_F_TIMEOUT(fault, poll_watch, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "poll, new watcher");
	c.channel = 8;
	put_old(&c, c.channel, 0);
	sweep(&c, &poll_op);
	/* The copy of the pollfd array from the caller. */
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

static long epoll_add_call(struct fault_ctx *c)
{
	return epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->watch_fd, &c->ev);
}

/* Not in the set, and the file works as before. */
static bool epoll_add_unchanged(struct fault_ctx *c)
{
	if (!epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->watch_fd, NULL) ||
	    errno != ENOENT)
		return why(c, "epoll_ctl DEL after a failed ADD: %s",
			   strerror(errno));
	return written_wakes(c, false);
}

static bool epoll_add_done(struct fault_ctx *c, long ret)
{
	if (ret)
		return why(c, "returned %ld", ret);
	return written_wakes(c, true);
}

static const struct fault_op epoll_add_op = {
	.prepare = watch_prepare,
	.call = epoll_add_call,
	.unchanged = epoll_add_unchanged,
	.done = epoll_add_done,
};

TEST_F_TIMEOUT(fault, epoll_add, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "epoll_ctl ADD, new watcher");
	c.channel = 9;
	put_old(&c, c.channel, 0);
	sweep(&c, &epoll_add_op);
	/* epoll allocates an item and a wait queue entry. */
	EXPECT_LT(0U, c.st->points);
	ctx_finish(&c, "");
}

/*
 * write() to a cleared channel, which the clear removed: the write makes
 * it anew, with a new buffer.
 */

static void write_cleared_prepare(struct fault_ctx *c)
{
	struct __test_metadata *_metadata = c->metadata;

	put_old(c, c->channel, c->old_len);
	ASSERT_EQ(0, ioctl(c->fd, MSG_SLOT_CLEAR));
}

/* Still cleared: no message and seq 0. */
static bool write_cleared_unchanged(struct fault_ctx *c)
{
	return polls(c, c->fd, false) && info_is(c, c->fd, 0, 0) &&
	       reads_back(c, c->fd, NULL, 0);
}

static bool write_cleared_done(struct fault_ctx *c, long ret)
{
	if ((size_t)ret != c->new_len)
		return why(c, "wrote %ld bytes, not %zu", ret, c->new_len);
	return polls(c, c->fd, true) &&
	       info_is(c, c->fd, c->new_len, c->old_seq + 1) &&
	       reads_back(c, c->fd, c->new_msg, c->new_len);
}

static const struct fault_op write_cleared_op = {
	.prepare = write_cleared_prepare,
	.call = write_call,
	.unchanged = write_cleared_unchanged,
	.done = write_cleared_done,
};

TEST_F_TIMEOUT(fault, write_after_clear, 300)
{
	struct fault_ctx c;

	ctx_init(_metadata, &self->env, self->nth_fd, &c, MINOR_SLOT,
		 "write after clear");
	c.channel = 10;
	/* The old size class must not matter: its buffer is gone. */
	c.old_len = LEN_SMALL;
	c.new_len = fill_msg(c.channel + 1, c.new_msg, LEN_SAME_CLASS);
	sweep(&c, &write_cleared_op);
	c.new_len = fill_msg(c.channel + 1, c.new_msg, LEN_TINY);
	sweep(&c, &write_cleared_op);
	c.new_len = fill_msg(c.channel + 1, c.new_msg, MSG_SLOT_MAX_MSG_LEN);
	sweep(&c, &write_cleared_op);
	EXPECT_LT(0U, c.st->enomem);
	ctx_finish(&c, "");
}

/* Declared last, so it runs last: the total over this run's scenarios. */
TEST_F(fault, summary)
{
	unsigned int i, points = 0, wrong = 0;

	if (!tally->nr)
		SKIP(return, "no sweep ran");
	for (i = 0; i < tally->nr; i++) {
		const struct fault_stats *st = &tally->s[i];

		TH_LOG("%-28s %5u points %5u ENOMEM %5u EFAULT %5u absorbed %3u wrong",
		       st->name, st->points, st->enomem, st->efault,
		       st->absorbed, st->bad);
		points += st->points;
		wrong += st->bad;
	}
	TH_LOG("swept %u injection points in %u scenarios, %u wrong outcomes",
	       points, tally->nr, wrong);
	EXPECT_LT(0U, points);
	EXPECT_EQ(0U, wrong);
}

TEST_HARNESS_MAIN
