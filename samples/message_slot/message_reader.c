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
 * Usage:
 *   message_reader DEVICE CHANNEL
 *
 * DEVICE is a message_slot node and CHANNEL a decimal id in 1..4294967295.
 * The program exits with 0 after printing the message; on any error,
 * including a channel that holds no message yet, it prints one line on
 * stderr and exits with 1.
 *
 * Example (as root, with the driver loaded at its default major 235):
 *   mknod /dev/msgslot0 c 235 0
 *   ./message_sender /dev/msgslot0 4 "hello"
 *   ./message_reader /dev/msgslot0 4 | od -c
 *
 * Build in-tree with CONFIG_SAMPLE_MESSAGE_SLOT=y (after make headers_install)
 * or standalone against the kernel's uapi headers, from this directory:
 *   gcc -O2 -Wall -Wextra -std=c11 -I ../../include/uapi \
 *       -o message_reader message_reader.c
 */

/* ioctl() and strerror() need more than strict C11 provides. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
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

int main(int argc, char **argv)
{
	char buf[MSG_SLOT_MAX_MSG_LEN];
	unsigned long channel;
	const char *dev;
	ssize_t len;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEVICE CHANNEL\n", prog);
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
