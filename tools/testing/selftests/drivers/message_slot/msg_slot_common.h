/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the message_slot selftests: load the driver if it is
 * not there, find its major in /proc/devices and create private device
 * nodes for the minors a test uses, on a tmpfs of the test's own, so the
 * tests neither depend on nor disturb nodes under /dev, and work where
 * /tmp is mounted nodev.
 */
#ifndef MSG_SLOT_COMMON_H
#define MSG_SLOT_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/message_slot.h>

#define MSG_SLOT_DRIVER_NAME	"message_slot"
#define MSG_SLOT_MINORS		256

/* The same command declared with an unsigned long argument. */
#define MSG_SLOT_CHANNEL_UL	_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned long)

struct msg_slot_env {
	int major;
	bool private_mount;
	char dir[64];
};

/*
 * Look the driver up by name rather than assuming MSG_SLOT_MAJOR: it may
 * have been loaded with major=0. Returns the major, or -1 if not loaded.
 */
static inline int msg_slot_find_major(void)
{
	char line[256], name[64];
	int in_chr = 0, major = -1, m;
	FILE *f;

	f = fopen("/proc/devices", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character devices:", 18)) {
			in_chr = 1;
			continue;
		}
		/* Block majors share the numbering space: stop before them. */
		if (!strncmp(line, "Block devices:", 14))
			break;
		if (in_chr && sscanf(line, "%d %63s", &m, name) == 2 &&
		    !strcmp(name, MSG_SLOT_DRIVER_NAME)) {
			major = m;
			break;
		}
	}
	fclose(f);
	return major;
}

static inline void msg_slot_node_path(const struct msg_slot_env *env,
				      unsigned int minor, char *buf,
				      size_t size)
{
	snprintf(buf, size, "%s/slot%u", env->dir, minor);
}

/* Create the node of @minor unless it exists. Returns 0 or an errno. */
static inline int msg_slot_make_node(const struct msg_slot_env *env,
				     unsigned int minor)
{
	char path[128];

	msg_slot_node_path(env, minor, path, sizeof(path));
	if (mknod(path, S_IFCHR | 0600, makedev(env->major, minor)) &&
	    errno != EEXIST)
		return errno;
	return 0;
}

/* Open the slot @minor, creating its node on first use. */
static inline int msg_slot_open(const struct msg_slot_env *env,
				unsigned int minor, int flags)
{
	char path[128];
	int err;

	err = msg_slot_make_node(env, minor);
	if (err) {
		errno = err;
		return -1;
	}
	msg_slot_node_path(env, minor, path, sizeof(path));
	return open(path, flags | O_CLOEXEC);
}

/* The channel id goes by value, as the unsigned int the command declares. */
static inline int msg_slot_set_channel(int fd, unsigned int id)
{
	return ioctl(fd, MSG_SLOT_CHANNEL, id);
}

static inline void msg_slot_env_cleanup(struct msg_slot_env *env)
{
	char path[128];
	unsigned int minor;

	if (!env->dir[0])
		return;
	if (env->private_mount)
		umount2(env->dir, MNT_DETACH);
	for (minor = 0; minor < MSG_SLOT_MINORS; minor++) {
		msg_slot_node_path(env, minor, path, sizeof(path));
		unlink(path);
	}
	rmdir(env->dir);
	env->dir[0] = '\0';
}

/*
 * The driver's major, loading the module first if the driver is not there,
 * as a kselftest runner expects of a driver's tests. Returns -1 when it is
 * still not there.
 */
static inline int msg_slot_load_driver(void)
{
	int major = msg_slot_find_major();

	if (major >= 0)
		return major;
	if (system("modprobe -q " MSG_SLOT_DRIVER_NAME) != 0)
		return -1;
	return msg_slot_find_major();
}

/*
 * Mount a tmpfs over @env->dir: a node on a filesystem mounted nodev
 * (systemd mounts /tmp so) can be made but not opened. Not in a mount
 * namespace of the test's own: a fixture's teardown may run in the
 * parent, which must see the mount to remove it. Without CAP_SYS_ADMIN
 * the directory stays as it is, which works where /tmp allows device
 * nodes.
 */
static inline void msg_slot_mount_private(struct msg_slot_env *env)
{
	if (!mount("msg_slot_test", env->dir, "tmpfs", MS_NOSUID | MS_NOEXEC,
		   "mode=0700"))
		env->private_mount = true;
}

/*
 * Prepare a private node directory. Returns 0 when ready, KSFT_SKIP-worthy
 * conditions as 1 and real failures as -1, with a reason in @why.
 */
static inline int msg_slot_env_init(struct msg_slot_env *env,
				    const char **why)
{
	int err;

	memset(env, 0, sizeof(*env));
	env->major = msg_slot_load_driver();
	if (env->major < 0) {
		*why = "message_slot is not loaded and modprobe failed (CONFIG_MESSAGE_SLOT?)";
		return 1;
	}
	snprintf(env->dir, sizeof(env->dir), "/tmp/msg_slot_test.XXXXXX");
	if (!mkdtemp(env->dir)) {
		env->dir[0] = '\0';
		*why = "mkdtemp() failed";
		return -1;
	}
	msg_slot_mount_private(env);
	/* Probe once so a missing CAP_MKNOD skips instead of failing. */
	err = msg_slot_make_node(env, 0);
	if (err) {
		msg_slot_env_cleanup(env);
		if (err == EPERM || err == EACCES) {
			*why = "cannot mknod (need CAP_MKNOD)";
			return 1;
		}
		*why = "mknod() failed";
		return -1;
	}
	return 0;
}

/* Write @val to the file @path, e.g. a sysfs knob. Returns 0 or -errno. */
static inline int msg_slot_write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val), ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, len);
	if (ret != len) {
		ret = ret < 0 ? -errno : -EIO;
		close(fd);
		return ret;
	}
	return close(fd) ? -errno : 0;
}

/*
 * Read the file @path into @buf, NUL-terminated. Returns the length read
 * or -errno.
 */
static inline long msg_slot_read_file(const char *path, char *buf,
				      size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * The setup of a fixture holding a struct msg_slot_env @env: skip the
 * test when the driver is not there, fail it on any other problem.
 * Returns false when the test has thereby ended, as a skip.
 */
static inline bool msg_slot_env_setup(struct __test_metadata *_metadata,
				      struct msg_slot_env *env)
{
	const char *why = "";
	int ret = msg_slot_env_init(env, &why);

	if (ret > 0)
		SKIP(return false, "%s", why);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(errno));
	return true;
}
#endif

#endif /* MSG_SLOT_COMMON_H */
