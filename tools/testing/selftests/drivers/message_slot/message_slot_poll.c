// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: when poll(2), select(2) and epoll(7) report a file
 * readable, and whom a write wakes.
 */

#define _GNU_SOURCE
#include "../../kselftest_harness.h"
#include "msg_slot_test.h"

/* The minors of this program. */
#define MINOR_POLL		33	/* poll() readiness */
#define MINOR_WAKE		34	/* blocking waits ... */
#define MINOR_WAKE_OTHER	35

TEST_F(slot, poll_readiness)
{
	char buf[BIG_BUF];
	uint32_t id, other, empty;
	uint64_t seq;
	int fd = open_minor(_metadata, &self->env, MINOR_POLL);
	int wr = open_minor(_metadata, &self->env, MINOR_POLL);

	id = fresh_channel(_metadata, wr, FRESH_BASE(11));
	other = fresh_channel(_metadata, wr, id + 1);
	empty = fresh_channel(_metadata, wr, other + 1);

	/*
	 * No channel: nothing to report, whatever the slot holds, as read()
	 * and write() fail with EINVAL.
	 */
	set_channel(_metadata, wr, id);
	seq = put_str_seq(_metadata, wr, "first");
	CHECK_POLL(fd, POLL_NONE);

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
	/* A read message, cleared and written again, is a new message. */
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
	/*
	 * info is not a read. Seven writes of the slot came after the first,
	 * one of them to another channel.
	 */
	CHECK_INFO(wr, id, 10, seq + 7);
	CHECK_POLL(wr, POLL_READABLE);
	close(wr);
	close(fd);
}

/*
 * The record is of one message, not one per channel: of two channels of
 * the slot, whose messages have seqs of their own, reading one leaves the
 * other unread, and reading the other makes the first unread again.
 */
TEST_F(slot, poll_record_names_the_channel)
{
	uint64_t seq;
	uint32_t a, b;
	int fd = open_minor(_metadata, &self->env, MINOR_POLL);

	a = fresh_channel(_metadata, fd, FRESH_BASE(27));
	seq = put_str_seq(_metadata, fd, "on a");
	b = fresh_channel(_metadata, fd, a + 1);
	put_str(_metadata, fd, "on b");
	CHECK_INFO(fd, b, 4, seq + 1);
	set_channel(_metadata, fd, a);
	CHECK_INFO(fd, a, 4, seq);

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

/* WAIT_POLL_OUT waits with poll() for writing, the others for reading. */
enum wait_kind { WAIT_POLL, WAIT_SELECT, WAIT_EPOLL, WAIT_POLL_OUT };

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
	case WAIT_POLL_OUT:
		if (w->kind == WAIT_POLL_OUT)
			pfd.events = POLLOUT | POLLWRNORM;
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
	/* The child's copy has its own view of these two. */
	report.pid = w->pid;
	report.report = -1;
	*w = report;
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
	/*
	 * A first message; the same message once more after a read and a
	 * clear, which removes the channel, so that the write makes it anew,
	 * with a new seq all the same; then once more after a read.
	 */
	for (round = 0; round < 3; round++) {
		if (round == 1)
			ASSERT_EQ(0, ioctl(wr, MSG_SLOT_CLEAR));
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

/*
 * After a read, a clear and a write of the same bytes, the file finds the
 * channel readable again: the write took the next seq of the slot. A clear
 * removes the channel, so a count of the channel's own would start over
 * and give the new message the seq of the one the file read.
 */
TEST_F(slot, poll_clear_then_same_message)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t seq;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_POLL);
	int wr = open_minor(_metadata, &self->env, MINOR_POLL);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	id = fresh_channel(_metadata, fd, FRESH_BASE(29));
	set_channel(_metadata, wr, id);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	seq = put_str_seq(_metadata, wr, "same");
	check_str(_metadata, fd, "same");
	CHECK_POLL(fd, POLL_WRITABLE);
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));

	ASSERT_EQ(0, ioctl(wr, MSG_SLOT_CLEAR));
	CHECK_INFO(fd, id, 0, 0);
	CHECK_POLL(fd, POLL_WRITABLE);
	ASSERT_EQ(0, epoll_now(_metadata, ep, EPOLLIN));

	put_str(_metadata, wr, "same");
	CHECK_INFO(fd, id, 4, seq + 1);
	CHECK_POLL(fd, POLL_READABLE);
	ASSERT_EQ(1, epoll_now(_metadata, ep, EPOLLIN));
	check_str(_metadata, fd, "same");
	CHECK_POLL(fd, POLL_WRITABLE);
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
	/* wr keeps the next empty channel. */
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
	uint64_t seq = 0;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	id = fresh_channel(_metadata, fd, FRESH_BASE(20));
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	for (i = 0; i < 2 * ARRAY_SIZE(kinds); i++) {
		/* First an empty channel, then a read message. */
		if (i == ARRAY_SIZE(kinds)) {
			seq = put_str_seq(_metadata, fd, "seen");
			check_str(_metadata, fd, "seen");
		}
		start_waiter(_metadata, &w, kinds[i % ARRAY_SIZE(kinds)],
			     kinds[i % ARRAY_SIZE(kinds)] == WAIT_EPOLL ? ep : fd,
			     100);
		join_waiter(_metadata, &w);
		ASSERT_EQ(0, w.ret) TH_LOG("wait %u: %s", i, strerror(w.err));
		ASSERT_LE(100, elapsed_ms(&w.begin, &w.end));
	}
	CHECK_INFO(fd, id, 4, seq);
	close(ep);
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

/* The first selection makes a file writable, and wakes a wait for it. */
TEST_F(slot, poll_writable_once_selected)
{
	struct waiter w;
	uint32_t id;
	int fd = open_minor(_metadata, &self->env, MINOR_WAKE);
	int wr = open_minor(_metadata, &self->env, MINOR_WAKE);

	id = fresh_channel(_metadata, wr, FRESH_BASE(30));
	CHECK_POLL(fd, POLL_NONE);
	start_waiter(_metadata, &w, WAIT_POLL_OUT, fd, WAIT_LONG_MS);
	ASSERT_TRUE(wait_asleep(_metadata, &w));
	set_channel(_metadata, fd, id);
	join_waiter(_metadata, &w);
	ASSERT_GT(w.timeout_ms, elapsed_ms(&w.begin, &w.end))
		TH_LOG("not woken: the wait timed out");
	ASSERT_EQ(1, w.ret) TH_LOG("wait: %s", strerror(w.err));
	ASSERT_EQ(POLLOUT | POLLWRNORM, w.events);
	CHECK_POLL(fd, POLL_WRITABLE);
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

TEST_HARNESS_MAIN
