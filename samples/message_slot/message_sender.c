// SPDX-License-Identifier: GPL-2.0
/*
 * message_sender - store one message in a message_slot channel
 *
 * This sample shows the writing half of the message_slot API: open a slot
 * device, select a channel of the open file with the MSG_SLOT_CHANNEL ioctl
 * (the channel id is passed by value), then store the message with a single
 * write(2). The message replaces whatever the channel held before and stays
 * there until it is overwritten or cleared or the module is removed, so it
 * can be read back any number of times, e.g. with the message_reader
 * sample.
 *
 * Usage:
 *   message_sender DEVICE CHANNEL MESSAGE
 *
 * DEVICE is a message_slot node, CHANNEL a decimal id in 1..4294967295 and
 * MESSAGE 1..MSG_SLOT_MAX_MSG_LEN (128) bytes, sent without its terminating
 * NUL. The program prints nothing on success and exits with 0; on any error
 * it prints one line on stderr and exits with 1.
 *
 * Example, as root, with the driver loaded (it creates /dev/message_slot0,
 * which only root may open until a udev rule or an admin opens it up):
 *   ./message_sender /dev/message_slot0 4 "hello"
 *   ./message_reader /dev/message_slot0 4
 *
 * Build in-tree with CONFIG_SAMPLE_MESSAGE_SLOT=y (after make headers_install)
 * or standalone against the kernel's uapi headers, from this directory:
 *   gcc -O2 -Wall -Wextra -std=c11 -I ../../include/uapi \
 *       -o message_sender message_sender.c
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

static const char prog[] = "message_sender";

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

int main(int argc, char **argv)
{
	unsigned long channel;
	const char *dev, *msg;
	size_t len;
	ssize_t ret;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEVICE CHANNEL MESSAGE\n", prog);
		return 1;
	}
	dev = argv[1];
	msg = argv[3];

	if (parse_channel(argv[2], &channel)) {
		fprintf(stderr,
			"%s: invalid channel '%s': expected a decimal id in 1..%u\n",
			prog, argv[2], (unsigned int)UINT32_MAX);
		return 1;
	}

	/* Reject what the driver would refuse before touching the device. */
	len = strlen(msg);
	if (len == 0 || len > MSG_SLOT_MAX_MSG_LEN) {
		fprintf(stderr,
			"%s: message is %zu bytes, must be 1..%d bytes\n",
			prog, len, MSG_SLOT_MAX_MSG_LEN);
		return 1;
	}

	fd = open(dev, O_WRONLY);
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

	/* A message is stored by exactly one write(2), never in pieces. */
	ret = write(fd, msg, len);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot write to channel %lu on %s: %s\n",
			prog, channel, dev, strerror(errno));
		close(fd);
		return 1;
	}
	if ((size_t)ret != len) {
		fprintf(stderr,
			"%s: short write to channel %lu on %s: %zd of %zu bytes\n",
			prog, channel, dev, ret, len);
		close(fd);
		return 1;
	}

	if (close(fd) < 0) {
		fprintf(stderr, "%s: cannot close %s: %s\n",
			prog, dev, strerror(errno));
		return 1;
	}
	return 0;
}
