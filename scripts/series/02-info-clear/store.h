/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Channel store of the message_slot driver: maps 32-bit channel ids of one
 * slot (one minor) to their current message. It knows nothing of files or
 * user memory, so KUnit can drive it directly.
 */
#ifndef _MESSAGE_SLOT_STORE_H
#define _MESSAGE_SLOT_STORE_H

#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/types.h>

#define MSG_SLOT_STRIPES	64

struct msg_slot_table;

/**
 * struct msg_slot_key - a channel of one slot, ready to be looked up
 * @id: the channel id
 * @hash: the slot's keyed hash of @id
 *
 * msg_slot_key() makes one. An open file makes it when it selects a
 * channel, so that its reads and writes do not hash the id every time.
 */
struct msg_slot_key {
	u32 id;
	u32 hash;
};

/*
 * A slot: the channels of one minor. Only store.c touches its members; it
 * is defined here for msg_slot_key(), which is inline because open files
 * hash a channel id each time they select one.
 */
struct msg_slot {
	struct mutex grow_lock;	/* one writer at a time grows the table */
	struct mutex lock;	/* serialises writers of this slot */
	struct msg_slot_table __rcu *table;	/* NULL until the first write */
	seqcount_t moves;	/* a new channel moves entries; under lock */
	u32 nr_channels;	/* entries in use; written under lock */
	hsiphash_key_t hash_key;	/* keeps crafted ids from colliding */
	/*
	 * Plain seqcounts, not seqcount_mutex_t: on PREEMPT_RT a reader of
	 * the latter takes the mutex to wait for a preempted writer, and
	 * readers here must never sleep (they are inside rcu_read_lock()).
	 * Writers disable preemption instead; see msg_slot_write_begin().
	 */
	seqcount_t stripes[MSG_SLOT_STRIPES];
};

struct msg_slot *msg_slot_alloc(void);
void msg_slot_free(struct msg_slot *slot);

/**
 * msg_slot_key() - prepare a channel of a slot for lookups
 * @slot: the slot
 * @id: the channel id
 *
 * Return: the key of channel @id, for this slot only.
 */
static inline struct msg_slot_key msg_slot_key(const struct msg_slot *slot,
					       u32 id)
{
	return (struct msg_slot_key){
		.id = id,
		.hash = hsiphash_1u32(id, &slot->hash_key),
	};
}

unsigned int msg_slot_read_message(struct msg_slot *slot,
				   struct msg_slot_key key, u8 *buf);
unsigned int msg_slot_channel_info(struct msg_slot *slot,
				   struct msg_slot_key key, u64 *seq);
int msg_slot_write_message(struct msg_slot *slot, struct msg_slot_key key,
			   const u8 *msg, unsigned int len, u32 max_channels);
int msg_slot_clear(struct msg_slot *slot, struct msg_slot_key key);

#if IS_ENABLED(CONFIG_KUNIT)
/* The allocators of store.c, visible only so that KUnit can stub them. */
void *msg_slot_alloc_buffer(unsigned int class);
struct msg_slot_table *msg_slot_alloc_table(u32 capacity);
#endif

#endif /* _MESSAGE_SLOT_STORE_H */
