// SPDX-License-Identifier: GPL-2.0
/*
 * slot_opener: the user side of the lifecycle lane's races, run inside
 * the test VM by scripts/vm/lifecycle.sh.
 *
 *   slot_opener open NODE STOPFILE
 *	Open NODE (a message_slot node made by hand) over and over until
 *	STOPFILE exists, while the module is loaded and unloaded. Each open
 *	must succeed, and then a write and a read of channel 1 must too, or
 *	fail with ENXIO (no driver behind the major) or ENODEV (the module
 *	is going). Prints the counts; exits 1 on any other outcome.
 *
 *   slot_opener insmod-fail NTH MODULE [PARAMS]
 *	Load MODULE with the NTH fault injection point of this task failing
 *	(/proc/thread-self/fail-nth). Prints "failed ERRNO" and exits 2 when
 *	the load failed; prints "loaded" and exits 3 when it loaded although
 *	the fault was injected, and exits 0 when it loaded before the NTH
 *	point was reached: then the sweep is over.
 *
 *   slot_opener insmod-count MODULE [PARAMS]
 *	Load MODULE and print how many fault injection points of this task
 *	the load went through; exits 0 when it loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/message_slot.h>

static int open_until_stopped(const char *node, const char *stopfile)
{
	unsigned long opens = 0, enxio = 0, enodev = 0;
	const char msg[] = "race";
	char buf[MSG_SLOT_MAX_MSG_LEN];
	int fd;

	while (access(stopfile, F_OK)) {
		fd = open(node, O_RDWR);
		if (fd < 0) {
			if (errno == ENXIO) {
				enxio++;
				continue;
			}
			if (errno == ENODEV) {
				enodev++;
				continue;
			}
			printf("# open %s: %s\n", node, strerror(errno));
			return 1;
		}
		opens++;
		/* An open file keeps the module: everything must work. */
		if (ioctl(fd, MSG_SLOT_CHANNEL, 1) ||
		    write(fd, msg, sizeof(msg)) != sizeof(msg) ||
		    read(fd, buf, sizeof(buf)) != sizeof(msg) ||
		    memcmp(buf, msg, sizeof(msg))) {
			printf("# open file of %s: %s\n", node, strerror(errno));
			return 1;
		}
		close(fd);
	}
	printf("# opener: %lu opens, %lu ENXIO, %lu ENODEV\n", opens, enxio,
	       enodev);
	return 0;
}

/* Far more points than a load has: counts them without failing one. */
#define COUNT_ONLY_NTH	"1000000"

static int insmod_failing(const char *nth, const char *module,
			  const char *params, bool count)
{
	char left[16] = "";
	int fd, nth_fd, err;

	fd = open(module, O_RDONLY | O_CLOEXEC);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0 || nth_fd < 0) {
		printf("# %s: %s\n", fd < 0 ? module : "fail-nth",
		       strerror(errno));
		return 1;
	}
	if (write(nth_fd, nth, strlen(nth)) != (ssize_t)strlen(nth)) {
		printf("# fail-nth %s: %s\n", nth, strerror(errno));
		return 1;
	}
	err = syscall(SYS_finit_module, fd, params, 0) ? errno : 0;
	/*
	 * What is left of the count: 0 once the fault was injected. Reading
	 * it copies to user memory, an injection point too: with one point
	 * to go, that copy fails (EFAULT) instead, and the load did not
	 * reach the fault.
	 */
	if (pread(nth_fd, left, sizeof(left) - 1, 0) <= 0) {
		if (errno != EFAULT)
			return 1;
		strcpy(left, "1");
	}
	/*
	 * Whatever is left must not hit anything else. Clearing it copies
	 * from user memory: if that copy meets the fault, the count is
	 * spent, which clears it as well.
	 */
	if (pwrite(nth_fd, "0", 1, 0) != 1 &&
	    (errno != EFAULT || pwrite(nth_fd, "0", 1, 0) != 1))
		return 1;
	if (err) {
		printf("failed %d\n", err);
		return 2;
	}
	if (count) {
		printf("%d\n", atoi(nth) - atoi(left));
		return 0;
	}
	printf("loaded\n");
	return atoi(left) ? 0 : 3;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "open"))
		return open_until_stopped(argv[2], argv[3]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "insmod-fail"))
		return insmod_failing(argv[2], argv[3], argc == 5 ? argv[4] : "",
				      false);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "insmod-count"))
		return insmod_failing(COUNT_ONLY_NTH, argv[2],
				      argc == 4 ? argv[3] : "", true);
	fprintf(stderr, "usage: %s open NODE STOPFILE\n"
		"       %s insmod-fail NTH MODULE [PARAMS]\n"
		"       %s insmod-count MODULE [PARAMS]\n", argv[0], argv[0],
		argv[0]);
	return 1;
}
