// SPDX-License-Identifier: GPL-2.0
/*
 * message_channel - show or clear the state of a message_slot channel
 *
 * This sample shows the two channel ioctls beyond MSG_SLOT_CHANNEL: after
 * selecting a channel of the open file, MSG_SLOT_CHANNEL_INFO fills a
 * struct msg_slot_channel_info with the channel id, the length of the
 * message the channel holds and its seq, the number of the write that
 * stored it among all the writes to the slot (both 0 if it holds none),
 * without counting as a read of the message; MSG_SLOT_CLEAR removes the
 * channel with its message, so that a read gets EWOULDBLOCK, and info
 * shows len 0 and seq 0, until the next write. Clearing needs a file open
 * for writing, info does not, so the device is opened write-only for one
 * and read-only for the other.
 *
 * Usage:
 *   message_channel DEVICE CHANNEL info|clear
 *
 * DEVICE is a message_slot node and CHANNEL a decimal id in 1..4294967295.
 * "info" prints one line, "channel=ID len=N seq=N"; "clear" prints nothing,
 * and clearing a channel that holds no message succeeds. The program exits
 * with 0 on success; on any error it prints one line on stderr and exits
 * with 1.
 *
 * Example (as root, right after loading the driver, when its first slot
 * has had no write yet; a seq numbers the writes of the whole slot, to
 * any channel):
 *   ./message_sender /dev/message_slot0 4 "hello"
 *   ./message_sender /dev/message_slot0 7 "world"
 *   ./message_channel /dev/message_slot0 4 info     # channel=4 len=5 seq=1
 *   ./message_channel /dev/message_slot0 7 info     # channel=7 len=5 seq=2
 *   ./message_channel /dev/message_slot0 4 clear
 *   ./message_channel /dev/message_slot0 4 info     # channel=4 len=0 seq=0
 *
 * Build in-tree with CONFIG_SAMPLE_MESSAGE_SLOT=y (after make headers_install)
 * or standalone against the kernel's uapi headers, from this directory:
 *   gcc -O2 -Wall -Wextra -std=c11 -I ../../include/uapi \
 *       -o message_channel message_channel.c
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

static const char prog[] = "message_channel";

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

static int show_info(int fd, const char *dev, unsigned long channel)
{
	struct msg_slot_channel_info info;

	if (ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info) < 0) {
		fprintf(stderr, "%s: cannot get the state of channel %lu on %s: %s\n",
			prog, channel, dev, strerror(errno));
		return 1;
	}
	/*
	 * __u64 is not unsigned long long on every architecture. A full
	 * disk or a closed pipe shows only when stdout is flushed.
	 */
	if (printf("channel=%u len=%u seq=%llu\n", (unsigned int)info.channel,
		   (unsigned int)info.len, (unsigned long long)info.seq) < 0 ||
	    fflush(stdout)) {
		fprintf(stderr, "%s: cannot write to stdout: %s\n",
			prog, strerror(errno));
		return 1;
	}
	return 0;
}

static int clear_channel(int fd, const char *dev, unsigned long channel)
{
	if (ioctl(fd, MSG_SLOT_CLEAR) < 0) {
		fprintf(stderr, "%s: cannot clear channel %lu on %s: %s\n",
			prog, channel, dev, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev, *cmd;
	unsigned long channel;
	int fd, ret;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEVICE CHANNEL info|clear\n", prog);
		return 1;
	}
	dev = argv[1];
	cmd = argv[3];

	if (parse_channel(argv[2], &channel)) {
		fprintf(stderr,
			"%s: invalid channel '%s': expected a decimal id in 1..%u\n",
			prog, argv[2], (unsigned int)UINT32_MAX);
		return 1;
	}
	/* Refuse a bad command before touching the device. */
	if (strcmp(cmd, "info") && strcmp(cmd, "clear")) {
		fprintf(stderr,
			"%s: unknown command '%s': expected info or clear\n",
			prog, cmd);
		return 1;
	}

	/* Clearing destroys a message: the driver wants write access. */
	fd = open(dev, strcmp(cmd, "clear") ? O_RDONLY : O_WRONLY);
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

	if (!strcmp(cmd, "info"))
		ret = show_info(fd, dev, channel);
	else
		ret = clear_channel(fd, dev, channel);
	close(fd);
	return ret;
}
