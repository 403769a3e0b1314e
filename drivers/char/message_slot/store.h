/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Channel store of the message_slot driver: maps 32-bit channel ids of one
 * slot (one minor) to their current message. It knows nothing of files or
 * user memory, so KUnit can drive it directly.
 */
#ifndef _MESSAGE_SLOT_STORE_H
#define _MESSAGE_SLOT_STORE_H

#include <linux/types.h>

struct msg_slot;

struct msg_slot *msg_slot_alloc(void);
void msg_slot_free(struct msg_slot *slot);

unsigned int msg_slot_read_message(struct msg_slot *slot, u32 id, u8 *buf);
int msg_slot_write_message(struct msg_slot *slot, u32 id, const u8 *msg,
			   unsigned int len, u32 max_channels);

u32 msg_slot_nr_channels(struct msg_slot *slot);

#if IS_ENABLED(CONFIG_KUNIT)
/* The allocators of store.c, visible only so that KUnit can stub them. */
struct msg_slot_table;

void *msg_slot_alloc_buffer(unsigned int class);
struct msg_slot_table *msg_slot_alloc_table(u32 capacity);
#endif

#endif /* _MESSAGE_SLOT_STORE_H */
