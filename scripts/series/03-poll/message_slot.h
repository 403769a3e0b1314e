/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * message_slot: a character device of persistent, multi-channel messages.
 *
 * Each minor of the device is an independent slot of channels. A process
 * selects the channel of an open file with MSG_SLOT_CHANNEL, then write(2)
 * stores one message of 1..MSG_SLOT_MAX_MSG_LEN bytes in that channel,
 * replacing the previous one, and read(2) returns the whole current message
 * without consuming it. poll(2), select(2) and epoll(7) report a file
 * readable when its channel holds a message that the file has not read yet.
 *
 * See Documentation/userspace-api/message_slot.rst.
 */
#ifndef _UAPI_LINUX_MESSAGE_SLOT_H
#define _UAPI_LINUX_MESSAGE_SLOT_H

#include <linux/ioctl.h>
#include <linux/types.h>

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

/**
 * struct msg_slot_channel_info - state of the selected channel
 * @channel: the channel id the file has selected
 * @len: length of the message the channel holds, 0 if it holds none
 * @seq: number of successful writes to the channel since the slot was
 *       created, 0 if it has never been written. It only ever grows: a
 *       clear does not reset it. When @len is not 0, the message held is
 *       the one written by write number @seq.
 *
 * The layout is the same for 32-bit and 64-bit programs.
 */
struct msg_slot_channel_info {
	__u32 channel;
	__u32 len;
	__aligned_u64 seq;
};

/**
 * MSG_SLOT_CHANNEL_INFO - get the state of the selected channel
 *
 * ``ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info)`` fills a struct
 * msg_slot_channel_info. It fails with EINVAL when no channel is selected
 * and EFAULT when @info is not writable. A channel that holds no message
 * is not an error: @len is 0. It does not count as reading the message.
 */
#define MSG_SLOT_CHANNEL_INFO	_IOR(MSG_SLOT_IOC_MAGIC, 1, \
				     struct msg_slot_channel_info)

/**
 * MSG_SLOT_CLEAR - remove the message of the selected channel
 *
 * ``ioctl(fd, MSG_SLOT_CLEAR)`` frees the channel's message; a read then
 * fails with EWOULDBLOCK until the next write. Clearing a channel that
 * holds no message succeeds. The argument is ignored. Like write(2), it
 * fails with EBADF on a file not opened for writing; it fails with EINVAL
 * when no channel is selected. The channel keeps its write count (see
 * struct msg_slot_channel_info) and its place among the slot's channels.
 */
#define MSG_SLOT_CLEAR		_IO(MSG_SLOT_IOC_MAGIC, 2)

#endif /* _UAPI_LINUX_MESSAGE_SLOT_H */
