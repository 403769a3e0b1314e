// SPDX-License-Identifier: GPL-2.0
/*
 * message_slot: a character device of persistent, multi-channel messages.
 *
 * Every minor is a slot of up to MSG_SLOT_MAX_CHANNELS channels. An open
 * file selects a channel with the MSG_SLOT_CHANNEL ioctl; write() then
 * replaces the channel's message and read() returns it without consuming
 * it. This file is the character device; store.c keeps the messages.
 *
 * See Documentation/userspace-api/message_slot.rst.
 */

#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
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

static unsigned int major = MSG_SLOT_MAJOR;

static int major_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, CHRDEV_MAJOR_MAX - 1);
}

static const struct kernel_param_ops major_ops = {
	.set = major_set,
	.get = param_get_uint,
};

module_param_cb(major, &major_ops, &major, 0444);
MODULE_PARM_DESC(major, "Major device number, 0 for a dynamic one (default: "
		 __stringify(MSG_SLOT_MAJOR) ")");

static unsigned int max_channels = MSG_SLOT_MAX_CHANNELS;

static int max_channels_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, MSG_SLOT_MAX_CHANNELS);
}

static const struct kernel_param_ops max_channels_ops = {
	.set = max_channels_set,
	.get = param_get_uint,
};

module_param_cb(max_channels, &max_channels_ops, &max_channels, 0644);
MODULE_PARM_DESC(max_channels, "Most channels one slot may hold, 1 to "
		 __stringify(MSG_SLOT_MAX_CHANNELS) " (default: the maximum)");

/* The state of an open file. */
struct msg_slot_file {
	struct msg_slot *slot;
	u32 channel;	/* selected channel id, 0 until MSG_SLOT_CHANNEL */
};

static struct cdev msg_slot_cdev;
static dev_t msg_slot_devt;

/* Slots are created on first open and live until the module goes away. */
static DEFINE_MUTEX(msg_slot_minors_lock);	/* serialises slot creation */
static struct msg_slot *msg_slot_minors[MSG_SLOT_MINORS];

static struct msg_slot *msg_slot_get(unsigned int minor)
{
	struct msg_slot *slot;

	mutex_lock(&msg_slot_minors_lock);
	slot = msg_slot_minors[minor];
	if (!slot) {
		slot = msg_slot_alloc();
		msg_slot_minors[minor] = slot;
	}
	mutex_unlock(&msg_slot_minors_lock);
	return slot;
}

static int msg_slot_open(struct inode *inode, struct file *file)
{
	struct msg_slot_file *state;

	state = kzalloc(sizeof(*state), GFP_KERNEL_ACCOUNT);
	if (!state)
		return -ENOMEM;

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
	kfree(file->private_data);
	return 0;
}

/*
 * The id is the argument itself, not a pointer to it, so the same handler
 * serves 32-bit callers: their argument arrives zero-extended.
 */
static long msg_slot_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct msg_slot_file *state = file->private_data;

	if (cmd != MSG_SLOT_CHANNEL && cmd != MSG_SLOT_CHANNEL_LONG)
		return -EINVAL;
	if (!arg || arg > U32_MAX)
		return -EINVAL;

	/* Pairs with the READ_ONCE() of concurrent reads and writes. */
	WRITE_ONCE(state->channel, arg);
	return 0;
}

static ssize_t msg_slot_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct msg_slot_file *state = file->private_data;
	u32 channel = READ_ONCE(state->channel);
	/*
	 * Only the bytes the store copies in are ever copied out, so the
	 * buffer need not be cleared first (CONFIG_INIT_STACK_ALL_ZERO
	 * would otherwise do it on every call).
	 */
	u8 msg[MSG_SLOT_MAX_MSG_LEN] __uninitialized;
	unsigned int len;

	if (!channel)
		return -EINVAL;

	/* Copy out of the store first: it cannot fault on user memory. */
	len = msg_slot_read_message(state->slot, channel, msg);
	if (!len)
		return -EWOULDBLOCK;
	if (count < len)
		return -ENOSPC;
	if (copy_to_user(buf, msg, len))
		return -EFAULT;
	return len;
}

static ssize_t msg_slot_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct msg_slot_file *state = file->private_data;
	u32 channel = READ_ONCE(state->channel);
	/* Only the count bytes copied in are used: no need to clear it. */
	u8 msg[MSG_SLOT_MAX_MSG_LEN] __uninitialized;
	int err;

	if (!channel)
		return -EINVAL;
	if (!count || count > MSG_SLOT_MAX_MSG_LEN)
		return -EMSGSIZE;

	/* Fetch the whole message first, so a fault changes nothing. */
	if (copy_from_user(msg, buf, count))
		return -EFAULT;
	err = msg_slot_write_message(state->slot, channel, msg, count,
				     READ_ONCE(max_channels));
	return err ? err : count;
}

static const struct file_operations msg_slot_fops = {
	.owner		= THIS_MODULE,
	.open		= msg_slot_open,
	.release	= msg_slot_release,
	.read		= msg_slot_read,
	.write		= msg_slot_write,
	.unlocked_ioctl	= msg_slot_ioctl,
	.compat_ioctl	= msg_slot_ioctl,
};

static void msg_slot_free_all(void)
{
	unsigned int minor;

	for (minor = 0; minor < MSG_SLOT_MINORS; minor++)
		msg_slot_free(msg_slot_minors[minor]);
}

static int __init msg_slot_init(void)
{
	int err;

	if (major) {
		msg_slot_devt = MKDEV(major, 0);
		err = register_chrdev_region(msg_slot_devt, MSG_SLOT_MINORS,
					     MSG_SLOT_NAME);
	} else {
		err = alloc_chrdev_region(&msg_slot_devt, 0, MSG_SLOT_MINORS,
					  MSG_SLOT_NAME);
	}
	if (err) {
		pr_err("cannot register major %u: %d\n", major, err);
		return err;
	}

	cdev_init(&msg_slot_cdev, &msg_slot_fops);
	err = cdev_add(&msg_slot_cdev, msg_slot_devt, MSG_SLOT_MINORS);
	if (err)
		goto err_unregister_region;

	if (!major)
		pr_info("using dynamic major %u\n", MAJOR(msg_slot_devt));
	return 0;

err_unregister_region:
	unregister_chrdev_region(msg_slot_devt, MSG_SLOT_MINORS);
	return err;
}

static void __exit msg_slot_exit(void)
{
	cdev_del(&msg_slot_cdev);
	unregister_chrdev_region(msg_slot_devt, MSG_SLOT_MINORS);
	msg_slot_free_all();
}

module_init(msg_slot_init);
module_exit(msg_slot_exit);

MODULE_DESCRIPTION("Persistent multi-channel message slots");
MODULE_LICENSE("GPL");
