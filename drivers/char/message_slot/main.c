// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: a character device of persistent, multi-channel messages.
 *
 * Every minor is a slot of up to MSG_SLOT_MAX_CHANNELS channels. An open
 * file selects a channel with the MSG_SLOT_CHANNEL ioctl; write() then
 * replaces the channel's message and read() returns it without consuming
 * it; poll() waits for a message the file has not read yet. This file is
 * the character device, its device nodes and their statistics; store.c
 * keeps the messages.
 *
 * See Documentation/userspace-api/message_slot.rst.
 */

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/cleanup.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

#define MSG_SLOT_NAME		"message_slot"
#define MSG_SLOT_MINORS		256

/*
 * Programs built against early copies of the header declared the command
 * with an unsigned long size; on 64-bit that is another number. Accept it.
 */
#define MSG_SLOT_CHANNEL_LONG	_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned long)

/* An unsigned int module parameter, with the bounds it accepts. */
struct msg_slot_param {
	unsigned int value;
	unsigned int min;
	unsigned int max;
};

static int msg_slot_param_set(const char *val, const struct kernel_param *kp)
{
	const struct msg_slot_param *param =
		container_of((unsigned int *)kp->arg, struct msg_slot_param,
			     value);

	return param_set_uint_minmax(val, kp, param->min, param->max);
}

static const struct kernel_param_ops msg_slot_param_ops = {
	.set = msg_slot_param_set,
	.get = param_get_uint,
};

static struct msg_slot_param major = {
	.value = MSG_SLOT_MAJOR,
	.max = CHRDEV_MAJOR_MAX - 1,
};
module_param_cb(major, &msg_slot_param_ops, &major.value, 0444);
MODULE_PARM_DESC(major, "Major device number, 0 for a dynamic one (default: "
		 __stringify(MSG_SLOT_MAJOR) ")");

static struct msg_slot_param max_channels = {
	.value = MSG_SLOT_MAX_CHANNELS,
	.min = 1,
	.max = MSG_SLOT_MAX_CHANNELS,
};
module_param_cb(max_channels, &msg_slot_param_ops, &max_channels.value, 0644);
MODULE_PARM_DESC(max_channels, "Most channels a user may hold in a slot, 1 to "
		 __stringify(MSG_SLOT_MAX_CHANNELS) " (default: the maximum)");

static struct msg_slot_param nodes = {
	.value = 1,
	.max = MSG_SLOT_MINORS,
};
module_param_cb(nodes, &msg_slot_param_ops, &nodes.value, 0444);
MODULE_PARM_DESC(nodes, "Minors that get a device node, from minor 0 up, 0 to "
		 __stringify(MSG_SLOT_MINORS) " (default: 1)");

/**
 * struct msg_slot_file - the state of an open file
 * @slot: the slot of the file's minor
 * @lock: serialises changes of @channel and of the seen record
 * @channel: the selected channel, as msg_slot_file_channel() reads it;
 *           id 0 until MSG_SLOT_CHANNEL
 * @seen_count: lets readers of the seen record see it whole, lock-free
 * @seen_channel: channel of the last message the file read, 0 if none
 * @seen: stamp of that message, which numbers it among the slot's writes;
 *        poll() reports the selected channel readable when it holds any
 *        other message
 * @watcher: the channel that wakes this file's poll() waiters
 */
struct msg_slot_file {
	struct msg_slot *slot;
	spinlock_t lock;	/* guards channel, seen_channel and seen */
	atomic64_t channel;
	seqcount_spinlock_t seen_count;
	u32 seen_channel;
	u64 seen;
	struct msg_slot_watcher watcher;
};

/*
 * The selection is a channel key, its id and hash packed in one 64-bit
 * word so that a file's reads, writes and polls, which do not take its
 * lock, never pair the id of one selection with the hash of another.
 */
static struct msg_slot_key msg_slot_file_channel(struct msg_slot_file *state)
{
	u64 packed = atomic64_read(&state->channel);

	return (struct msg_slot_key){
		.id = lower_32_bits(packed),
		.hash = upper_32_bits(packed),
	};
}

static struct cdev msg_slot_cdev;
static dev_t msg_slot_devt;

/* Slots are created on first open and live until the module goes away. */
static DEFINE_MUTEX(msg_slot_minors_lock);	/* serialises slot creation */
/* Written under msg_slot_minors_lock, read lock-free by sysfs. */
static struct msg_slot *msg_slot_minors[MSG_SLOT_MINORS];

static struct msg_slot *msg_slot_get(unsigned int minor)
{
	struct msg_slot *slot;

	guard(mutex)(&msg_slot_minors_lock);
	slot = msg_slot_minors[minor];
	if (!slot) {
		slot = msg_slot_alloc();
		/* Pairs with the acquire of msg_slot_dev_stats(). */
		smp_store_release(&msg_slot_minors[minor], slot);
	}
	return slot;
}

static int msg_slot_open(struct inode *inode, struct file *file)
{
	struct msg_slot_file *state;

	state = kzalloc_obj(*state, GFP_KERNEL_ACCOUNT);
	if (!state)
		return -ENOMEM;
	spin_lock_init(&state->lock);
	seqcount_spinlock_init(&state->seen_count, &state->lock);
	msg_slot_watcher_init(&state->watcher);

	state->slot = msg_slot_get(iminor(inode));
	if (!state->slot) {
		kfree(state);
		return -ENOMEM;
	}
	file->private_data = state;
	return stream_open(inode, file);
}

static int msg_slot_release(struct inode *inode, struct file *file)
{
	struct msg_slot_file *state = file->private_data;

	/* epoll has already let go of the watcher's queue (__fput()). */
	msg_slot_unwatch(state->slot, &state->watcher);
	kfree(state);
	return 0;
}

static long msg_slot_select(struct msg_slot_file *state, u32 id)
{
	__poll_t events = EPOLLIN | EPOLLRDNORM;
	struct msg_slot_key key;
	u32 old_id;

	if (!id)
		return -EINVAL;
	/*
	 * Programs often select their channel again before each read or
	 * write; that changes nothing, and need not hash the id again.
	 */
	old_id = msg_slot_file_channel(state).id;
	if (old_id == id)
		return 0;
	/* A file's first channel makes it writable, too. */
	if (!old_id)
		events |= EPOLLOUT | EPOLLWRNORM;

	key = msg_slot_key(state->slot, id);
	/*
	 * Pairs with the lock-free reads of concurrent reads, writes and polls,
	 * and with the check of msg_slot_file_seen(). The record of the last
	 * message read stays: if the file comes back to that channel, the
	 * message it read there is still not new.
	 */
	scoped_guard(spinlock, &state->lock)
		atomic64_set(&state->channel, (u64)key.hash << 32 | key.id);

	/*
	 * A poll() of this file waits on the old channel: wake it to look
	 * at the new one. Pairs with the smp_mb() in msg_slot_poll(), as
	 * wq_has_sleeper() orders the store above before its check.
	 */
	if (wq_has_sleeper(&state->watcher.wait))
		wake_up_interruptible_poll(&state->watcher.wait, events);
	return 0;
}

/*
 * Not inlined into msg_slot_ioctl(): the struct it builds on the stack
 * would make every channel selection pay for a stack canary: 11 of the
 * 1,514 instructions of an ioctl+read on x86-64.
 */
static noinline long
msg_slot_get_info(struct msg_slot_file *state,
		  struct msg_slot_channel_info __user *uinfo)
{
	struct msg_slot_key channel = msg_slot_file_channel(state);
	struct msg_slot_channel_info info = { .channel = channel.id };
	u64 seq;

	if (!channel.id)
		return -EINVAL;
	info.len = msg_slot_channel_info(state->slot, channel, &seq);
	info.seq = seq;
	if (copy_to_user(uinfo, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long msg_slot_clear_channel(struct file *file)
{
	struct msg_slot_file *state = file->private_data;
	struct msg_slot_key channel = msg_slot_file_channel(state);

	/* Clearing destroys a message, as a write replaces one. */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!channel.id)
		return -EINVAL;
	return msg_slot_clear(state->slot, channel);
}

static long msg_slot_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct msg_slot_file *state = file->private_data;

	/*
	 * Not in the switch: on 32-bit the two are the same number. An
	 * unsigned int passed by value fills only the low half of the
	 * register; the C ABI leaves the upper half undefined (riscv64 and
	 * mips64 sign-extend it), so only the low 32 bits count. The
	 * unsigned long encoding carries a real 64-bit value.
	 */
	if (cmd == MSG_SLOT_CHANNEL)
		return msg_slot_select(state, lower_32_bits(arg));
	if (cmd == MSG_SLOT_CHANNEL_LONG)
		return arg > U32_MAX ? -EINVAL : msg_slot_select(state, arg);

	switch (cmd) {
	case MSG_SLOT_CHANNEL_INFO:
		return msg_slot_get_info(state, (void __user *)arg);
	case MSG_SLOT_CLEAR:
		return msg_slot_clear_channel(file);
	default:
		return -EINVAL;
	}
}

#ifdef CONFIG_COMPAT
/*
 * Not compat_ptr_ioctl(): the argument of MSG_SLOT_CHANNEL is the channel
 * id itself, which compat_ptr() may change (on s390 it clears bit 31).
 * A 32-bit id arrives zero-extended, as the native handler expects. Only
 * MSG_SLOT_CHANNEL_INFO takes a pointer, to a struct of the same layout
 * on both ABIs.
 */
static long msg_slot_compat_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	if (cmd == MSG_SLOT_CHANNEL_INFO)
		arg = (unsigned long)compat_ptr(arg);
	return msg_slot_ioctl(file, cmd, arg);
}
#else
#define msg_slot_compat_ioctl NULL
#endif

/* Whether message @seq of @channel is the last message the file read. */
static bool msg_slot_file_has_seen(struct msg_slot_file *state, u32 channel,
				   u64 seq)
{
	unsigned int start;
	bool seen;

	do {
		start = read_seqcount_begin(&state->seen_count);
		seen = READ_ONCE(state->seen_channel) == channel &&
		       READ_ONCE(state->seen) == seq;
	} while (read_seqcount_retry(&state->seen_count, start));
	return seen;
}

/* Record, for poll(), that the file read message @seq of @channel. */
static void msg_slot_file_seen(struct msg_slot_file *state, u32 channel,
			       u64 seq)
{
	/*
	 * Reading the same message again is the common case; a read of
	 * another channel than the last one needs no closer look.
	 */
	if (READ_ONCE(state->seen_channel) == channel &&
	    msg_slot_file_has_seen(state, channel, seq))
		return;

	/*
	 * Only a message of the channel still selected counts, and of two
	 * racing reads of it the newer: then a read never makes the file
	 * readable, which would leave its poll() waiters asleep.
	 */
	scoped_guard(spinlock, &state->lock) {
		if (msg_slot_file_channel(state).id == channel &&
		    (state->seen_channel != channel || state->seen < seq)) {
			write_seqcount_begin(&state->seen_count);
			WRITE_ONCE(state->seen_channel, channel);
			WRITE_ONCE(state->seen, seq);
			write_seqcount_end(&state->seen_count);
		}
	}
}

static ssize_t msg_slot_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct msg_slot_file *state = file->private_data;
	struct msg_slot_key channel = msg_slot_file_channel(state);
	/*
	 * Only the bytes the store copies in are ever copied out, so the
	 * buffer need not be cleared first: CONFIG_INIT_STACK_ALL_ZERO
	 * would do it on every call, 20 of the 903 instructions of a read
	 * on x86-64.
	 */
	u8 msg[MSG_SLOT_MAX_MSG_LEN] __uninitialized;
	unsigned int len;
	u64 seq;

	if (!channel.id)
		return -EINVAL;

	/* Copy out of the store first: it cannot fault on user memory. */
	len = msg_slot_read_message(state->slot, channel, msg, &seq);
	if (!len)
		return -EWOULDBLOCK;
	if (count < len)
		return -ENOSPC;
	if (copy_to_user(buf, msg, len))
		return -EFAULT;
	msg_slot_file_seen(state, channel.id, seq);
	return len;
}

static ssize_t msg_slot_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct msg_slot_file *state = file->private_data;
	struct msg_slot_key channel = msg_slot_file_channel(state);
	/*
	 * Only the count bytes copied in are used: no need to clear it, 22
	 * of the 982 instructions of a write on x86-64.
	 */
	u8 msg[MSG_SLOT_MAX_MSG_LEN] __uninitialized;
	int err;

	if (!channel.id)
		return -EINVAL;
	if (!count || count > MSG_SLOT_MAX_MSG_LEN)
		return -EMSGSIZE;

	/* Fetch the whole message first, so a fault changes nothing. */
	if (copy_from_user(msg, buf, count))
		return -EFAULT;
	/* Users are told apart as the kernel's per-user limits do. */
	err = msg_slot_write_message(state->slot, channel, msg, count,
				     current_uid(),
				     READ_ONCE(max_channels.value));
	return err ? err : count;
}

/*
 * Readable when the selected channel holds a message that this file has
 * not read; writable when a channel is selected. A file with no channel
 * reports nothing, as its read() and write() fail; the selection of its
 * first channel wakes the waiters.
 */
static __poll_t msg_slot_poll(struct file *file, poll_table *wait)
{
	struct msg_slot_file *state = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	struct msg_slot_key channel;
	u32 watched;
	u64 seq;

	poll_wait(file, &state->watcher.wait, wait);
	/*
	 * Pairs with wq_has_sleeper() in msg_slot_select(): either this
	 * sees the new channel, or the selection wakes the waiter.
	 */
	smp_mb();
	for (;;) {
		channel = msg_slot_file_channel(state);
		watched = READ_ONCE(state->watcher.channel);
		if (!channel.id || watched == channel.id)
			break;
		/*
		 * Watch the channel before looking at it, so that a message
		 * written after the look wakes the waiter. It cannot fail
		 * for a non-zero id, and never waits for a writer.
		 */
		msg_slot_watch(state->slot, &state->watcher, channel);
		/*
		 * Another poller of this file may have watched a newer
		 * selection, which this moved away from: wake it to watch
		 * again, and look at the selection again.
		 */
		if (watched)
			wake_up_interruptible_poll(&state->watcher.wait,
						   EPOLLIN | EPOLLRDNORM);
	}
	/*
	 * The watcher may be another task's, which this found watching the
	 * channel. Pairs with the release of the watcher's channel in
	 * msg_slot_watch(), which follows its raise of nr_watchers, and with
	 * the smp_mb() in msg_slot_wake(): either the look below sees a
	 * message written meanwhile, or its writer sees the watcher. A full
	 * barrier, as the writer's side is a store, then a load: an acquire
	 * of the watcher's channel, or the smp_rmb() of
	 * read_seqcount_retry() in the look, would not do.
	 */
	smp_mb();
	if (!channel.id)
		return 0;
	if (msg_slot_channel_info(state->slot, channel, &seq) &&
	    !msg_slot_file_has_seen(state, channel.id, seq))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations msg_slot_fops = {
	.owner		= THIS_MODULE,
	.open		= msg_slot_open,
	.release	= msg_slot_release,
	.read		= msg_slot_read,
	.write		= msg_slot_write,
	.poll		= msg_slot_poll,
	.unlocked_ioctl	= msg_slot_ioctl,
	.compat_ioctl	= msg_slot_compat_ioctl,
};

/*
 * Read the counters of the slot behind a device node, without waiting for
 * any writer; all zero until the slot is first opened.
 */
static void msg_slot_dev_stats(struct device *dev, struct msg_slot_stats *stats)
{
	struct msg_slot *slot;

	/* A slot lives until the module goes, after its device. */
	slot = smp_load_acquire(&msg_slot_minors[MINOR(dev->devt)]);
	memset(stats, 0, sizeof(*stats));
	if (slot)
		msg_slot_get_stats(slot, stats);
}

static ssize_t held_messages_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct msg_slot_stats stats;

	msg_slot_dev_stats(dev, &stats);
	return sysfs_emit(buf, "%u\n", stats.channels);
}
static DEVICE_ATTR_RO(held_messages);

static ssize_t held_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct msg_slot_stats stats;

	msg_slot_dev_stats(dev, &stats);
	return sysfs_emit(buf, "%llu\n", stats.bytes);
}
static DEVICE_ATTR_RO(held_bytes);

static ssize_t writes_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct msg_slot_stats stats;

	msg_slot_dev_stats(dev, &stats);
	return sysfs_emit(buf, "%llu\n", stats.writes);
}
static DEVICE_ATTR_RO(writes);

static struct attribute *msg_slot_attrs[] = {
	&dev_attr_held_messages.attr,
	&dev_attr_held_bytes.attr,
	&dev_attr_writes.attr,
	NULL
};
ATTRIBUTE_GROUPS(msg_slot);

/*
 * No devnode callback: the nodes get devtmpfs's default mode, 0600 and
 * root's, since a slot is shared by everyone who can open it. Who may is
 * the administrator's choice, made with a udev rule (see the driver's
 * documentation).
 */
static const struct class msg_slot_class = {
	.name		= MSG_SLOT_NAME,
	.dev_groups	= msg_slot_groups,
};

/* Remove the devices of the first @count minors. */
static void msg_slot_destroy_devices(unsigned int count)
{
	while (count--)
		device_destroy(&msg_slot_class, msg_slot_devt + count);
}

static int msg_slot_create_devices(void)
{
	struct device *dev;
	unsigned int minor;

	for (minor = 0; minor < nodes.value; minor++) {
		dev = device_create(&msg_slot_class, NULL,
				    msg_slot_devt + minor, NULL,
				    MSG_SLOT_NAME "%u", minor);
		if (IS_ERR(dev)) {
			msg_slot_destroy_devices(minor);
			return PTR_ERR(dev);
		}
	}
	return 0;
}

static void msg_slot_free_all(void)
{
	unsigned int minor;

	for (minor = 0; minor < MSG_SLOT_MINORS; minor++)
		msg_slot_free(msg_slot_minors[minor]);
}

static int __init msg_slot_init(void)
{
	int err;

	if (major.value) {
		msg_slot_devt = MKDEV(major.value, 0);
		err = register_chrdev_region(msg_slot_devt, MSG_SLOT_MINORS,
					     MSG_SLOT_NAME);
	} else {
		err = alloc_chrdev_region(&msg_slot_devt, 0, MSG_SLOT_MINORS,
					  MSG_SLOT_NAME);
	}
	if (err) {
		pr_err("cannot register major %u (0: dynamic): %d\n",
		       major.value, err);
		return err;
	}

	err = class_register(&msg_slot_class);
	if (err)
		goto err_unregister_region;

	err = msg_slot_create_devices();
	if (err)
		goto err_unregister_class;

	/*
	 * Last: from here on any node of the major, made by hand too, opens
	 * a slot, and a failure would have to free slots in use. Until then
	 * an open fails with ENXIO.
	 */
	cdev_init(&msg_slot_cdev, &msg_slot_fops);
	/* chrdev_open() pins the module through this, not through fops. */
	msg_slot_cdev.owner = THIS_MODULE;
	err = cdev_add(&msg_slot_cdev, msg_slot_devt, MSG_SLOT_MINORS);
	if (err)
		goto err_destroy_devices;

	if (!major.value)
		pr_info("using dynamic major %u\n", MAJOR(msg_slot_devt));
	return 0;

err_destroy_devices:
	msg_slot_destroy_devices(nodes.value);
err_unregister_class:
	class_unregister(&msg_slot_class);
err_unregister_region:
	unregister_chrdev_region(msg_slot_devt, MSG_SLOT_MINORS);
	return err;
}

static void __exit msg_slot_exit(void)
{
	cdev_del(&msg_slot_cdev);
	msg_slot_destroy_devices(nodes.value);
	class_unregister(&msg_slot_class);
	unregister_chrdev_region(msg_slot_devt, MSG_SLOT_MINORS);
	msg_slot_free_all();
}

module_init(msg_slot_init);
module_exit(msg_slot_exit);

MODULE_DESCRIPTION("Persistent multi-channel message slots");
MODULE_LICENSE("GPL");
