// SPDX-License-Identifier: GPL-2.0
/*
 * message_reader - print the message held by a message_slot channel
 *
 * This sample shows the reading half of the message_slot API: open a slot
 * device, select a channel of the open file with the MSG_SLOT_CHANNEL ioctl
 * (the channel id is passed by value), then fetch the whole message with a
 * single read(2) into a buffer of MSG_SLOT_MAX_MSG_LEN bytes. Reading does
 * not consume the message, so the program can be run again with the same
 * result. The message is copied to stdout byte for byte, without a newline,
 * so binary messages survive a pipe.
 *
 * With --follow it also shows change notification: poll(2) reports the file
 * readable while its channel holds a message that this open file has not
 * read yet, so the program prints the channel's current message, if there
 * is one, then each new message as it is written, each followed by a
 * newline, until it is killed. A channel keeps only its last message: when
 * several writes land before the program reads, it prints the last one.
 *
 * Usage:
 *   message_reader [--follow] DEVICE CHANNEL
 *
 * DEVICE is a message_slot node and CHANNEL a decimal id in 1..4294967295.
 * Without --follow the program exits with 0 after printing the message; on
 * any error, including a channel that holds no message yet, it prints one
 * line on stderr and exits with 1. With --follow an empty channel is not an
 * error: the program waits for the first message. It exits only on an
 * error, with 1 and one line on stderr.
 *
 * Example, as root, with the driver loaded (it creates /dev/message_slot0,
 * which only root may open until a udev rule or an admin opens it up):
 *   ./message_sender /dev/message_slot0 4 "hello"
 *   ./message_reader /dev/message_slot0 4 | od -c
 *   ./message_reader --follow /dev/message_slot0 4 &
 *   ./message_sender /dev/message_slot0 4 "world"
 *
 * Build in-tree with CONFIG_SAMPLE_MESSAGE_SLOT=y (after make headers_install)
 * or standalone against the kernel's uapi headers, from this directory:
 *   gcc -O2 -Wall -Wextra -std=c11 -I ../../include/uapi \
 *       -o message_reader message_reader.c
 */

/* ioctl(), poll() and strerror() need more than strict C11 provides. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/message_slot.h>

static const char prog[] = "message_reader";

/*
 * Accept only plain decimal digits: strtoul() alone would also take
 * leading blanks, a sign ("-1" wraps to ULONG_MAX) and trailing junk.
 */
static int parse_channel(const char *s, unsigned long *id)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v == 0 || v > UINT32_MAX)
		return -1;
	*id = v;
	return 0;
}

/* stdout may be a pipe or a slow terminal: finish partial writes. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Print every message the channel gets from now on, starting with the one
 * it holds. After MSG_SLOT_CHANNEL the file has read nothing of the
 * channel, so a message already there makes the first poll() return at
 * once; a successful read() then marks it as read, and poll() waits for
 * the next write. Returns only on an error.
 */
static int follow(int fd, const char *dev, unsigned long channel)
{
	/* The message and its newline, written in one go. */
	char buf[MSG_SLOT_MAX_MSG_LEN + 1];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t len;

	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: cannot poll %s: %s\n",
				prog, dev, strerror(errno));
			return 1;
		}
		if (!(pfd.revents & POLLIN)) {
			fprintf(stderr, "%s: unexpected poll events %#x on %s\n",
				prog, (unsigned int)pfd.revents, dev);
			return 1;
		}

		len = read(fd, buf, MSG_SLOT_MAX_MSG_LEN);
		if (len < 0) {
			/*
			 * The channel was cleared between poll() and read():
			 * nothing to print, and poll() now waits for a write.
			 */
			if (errno == EWOULDBLOCK)
				continue;
			fprintf(stderr, "%s: cannot read channel %lu on %s: %s\n",
				prog, channel, dev, strerror(errno));
			return 1;
		}

		/* stdout is not buffered here: each line leaves at once. */
		buf[len] = '\n';
		if (write_all(STDOUT_FILENO, buf, len + 1)) {
			fprintf(stderr, "%s: cannot write to stdout: %s\n",
				prog, strerror(errno));
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned long channel;
	bool follow_mode = false;
	const char *dev;
	ssize_t len;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "--follow")) {
		follow_mode = true;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s [--follow] DEVICE CHANNEL\n", prog);
		return 1;
	}
	dev = argv[1];

	if (parse_channel(argv[2], &channel)) {
		fprintf(stderr,
			"%s: invalid channel '%s': expected a decimal id in 1..%u\n",
			prog, argv[2], (unsigned int)UINT32_MAX);
		return 1;
	}

	fd = open(dev, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n",
			prog, dev, strerror(errno));
		return 1;
	}

	if (ioctl(fd, MSG_SLOT_CHANNEL, channel) < 0) {
		fprintf(stderr, "%s: cannot select channel %lu on %s: %s\n",
			prog, channel, dev, strerror(errno));
		close(fd);
		return 1;
	}

	if (follow_mode) {
		int ret = follow(fd, dev, channel);

		close(fd);
		return ret;
	}

	/* One read(2) returns the whole message; a bigger buffer never helps. */
	len = read(fd, buf, sizeof(buf));
	if (len < 0) {
		int err = errno;

		fprintf(stderr, "%s: cannot read channel %lu on %s: %s%s\n",
			prog, channel, dev, strerror(err),
			err == EWOULDBLOCK ? " (no message on this channel)" : "");
		close(fd);
		return 1;
	}
	close(fd);

	if (write_all(STDOUT_FILENO, buf, len)) {
		fprintf(stderr, "%s: cannot write to stdout: %s\n",
			prog, strerror(errno));
		return 1;
	}
	return 0;
}
