/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * message_slot: a character device of persistent, multi-channel messages.
 *
 * Each minor of the device is an independent slot of channels. A process
 * selects the channel of an open file with MSG_SLOT_CHANNEL, then write(2)
 * stores one message of 1..MSG_SLOT_MAX_MSG_LEN bytes in that channel,
 * replacing the previous one, and read(2) returns the whole current message
 * without consuming it.
 *
 * See Documentation/userspace-api/message_slot.rst.
 */
#ifndef _UAPI_LINUX_MESSAGE_SLOT_H
#define _UAPI_LINUX_MESSAGE_SLOT_H

#include <linux/ioctl.h>

/**
 * MSG_SLOT_MAJOR - default major number of the message_slot device
 *
 * The driver registers this major unless loaded with ``major=0``, in which
 * case the kernel picks one and /proc/devices shows it.
 */
#define MSG_SLOT_MAJOR		235

/**
 * MSG_SLOT_MAX_MSG_LEN - largest message a channel holds, in bytes
 */
#define MSG_SLOT_MAX_MSG_LEN	128

/**
 * MSG_SLOT_MAX_CHANNELS - most channels a single slot (minor) can hold
 */
#define MSG_SLOT_MAX_CHANNELS	(1U << 20)

/**
 * MSG_SLOT_IOC_MAGIC - ioctl type byte of the message_slot device
 */
#define MSG_SLOT_IOC_MAGIC	0xEB

/**
 * MSG_SLOT_CHANNEL - select the channel of an open file
 *
 * The argument is the channel id itself, passed by value (not a pointer):
 * ``ioctl(fd, MSG_SLOT_CHANNEL, id)``. It is an unsigned int, so only the
 * low 32 bits of the argument count: some ABIs leave the upper half of the
 * register undefined. Id 0 fails with EINVAL. The selection belongs to the
 * open file; later read(2) and write(2) calls on that file act on the
 * channel.
 *
 * The direction and size fields of the encoding are historical: the first
 * users declared the command with _IOW() of an unsigned int, and binaries
 * built that way must keep working. The same command declared with an
 * unsigned long size is accepted too; its argument is a whole unsigned
 * long, and a value above 0xffffffff fails with EINVAL.
 */
#define MSG_SLOT_CHANNEL	_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned int)

#endif /* _UAPI_LINUX_MESSAGE_SLOT_H */
