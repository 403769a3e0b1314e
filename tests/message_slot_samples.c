// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: the sample programs of samples/message_slot, end to end:
 * their output, exit codes and messages on good and bad input.
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

#include "kselftest_harness.h"
/* This program has a fixture of its own. */
#define MSG_SLOT_TEST_NO_FIXTURE
#include "msg_slot_test.h"

/* The minors of this program. */
#define MINOR_SAMPLES		20
#define MINOR_FOLLOW		21	/* message_reader --follow */

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

	/*
	 * clear prints nothing, and the channel is gone for every file: no
	 * message, and seq 0 as for a channel never written.
	 */
	run_sample(_metadata, self->channel,
		   CHANNEL_TOOL(self->dev, "6", "clear"), &run);
	check_success(_metadata, &run, "", 0);
	ASSERT_ERRNO(EWOULDBLOCK, read(fd, buf, sizeof(buf)));
	len = snprintf(want, sizeof(want), "channel=6 len=0 seq=0\n");
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
