/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Channel store of the message_slot driver: maps 32-bit channel ids of one
 * slot (one minor) to their current message. It knows nothing of files or
 * user memory, so KUnit can drive it directly.
 */
#ifndef _MESSAGE_SLOT_STORE_H
#define _MESSAGE_SLOT_STORE_H

#include <linux/list.h>
#include <linux/types.h>
#include <linux/wait.h>

struct msg_slot;

/**
 * struct msg_slot_watcher - a waiter for new messages on one channel
 * @node: entry in the slot's list of watchers; the slot's watch lock
 * @channel: the channel watched, 0 when not watching; written under the
 *           slot's watch lock
 * @wait: woken with EPOLLIN when a message is written to @channel
 *
 * An open file embeds one and polls on @wait, so only the files watching
 * the channel written are woken, and a file's waiters stay on its own
 * queue when it moves to another channel.
 */
struct msg_slot_watcher {
	struct hlist_node node;
	u32 channel;
	wait_queue_head_t wait;
};

/**
 * struct msg_slot_stats - counters of one slot
 * @channels: channels that hold a message
 * @channels_used: channels written since the slot was created, holding a
 *                 message or cleared: what the channel limit bounds
 * @bytes: total length of the messages held
 * @writes: successful writes since the slot was created
 */
struct msg_slot_stats {
	u32 channels;
	u32 channels_used;
	u64 bytes;
	u64 writes;
};

struct msg_slot *msg_slot_alloc(void);
void msg_slot_free(struct msg_slot *slot);

unsigned int msg_slot_read_message(struct msg_slot *slot, u32 id, u8 *buf,
				   u64 *seq);
unsigned int msg_slot_channel_info(struct msg_slot *slot, u32 id, u64 *seq);
int msg_slot_write_message(struct msg_slot *slot, u32 id, const u8 *msg,
			   unsigned int len, u32 max_channels);
int msg_slot_clear(struct msg_slot *slot, u32 id);

void msg_slot_watcher_init(struct msg_slot_watcher *watcher);
int msg_slot_watch(struct msg_slot *slot, struct msg_slot_watcher *watcher,
		   u32 id);
void msg_slot_unwatch(struct msg_slot *slot,
		      struct msg_slot_watcher *watcher);

u32 msg_slot_nr_channels(struct msg_slot *slot);
void msg_slot_get_stats(struct msg_slot *slot, struct msg_slot_stats *stats);

#if IS_ENABLED(CONFIG_KUNIT)
/* The allocators of store.c, visible only so that KUnit can stub them. */
struct msg_slot_table;

void *msg_slot_alloc_buffer(unsigned int class);
struct msg_slot_table *msg_slot_alloc_table(u32 capacity);
#endif

#endif /* _MESSAGE_SLOT_STORE_H */
