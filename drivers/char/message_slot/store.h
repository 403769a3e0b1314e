/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Channel store of the message_slot driver: maps 32-bit channel ids of one
 * slot (one minor) to their current message. It knows nothing of files or
 * user memory, so KUnit can drive it directly.
 */
#ifndef _MESSAGE_SLOT_STORE_H
#define _MESSAGE_SLOT_STORE_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#define MSG_SLOT_STRIPES	64
#define MSG_SLOT_WATCH_BUCKETS	64

struct msg_slot_table;

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
 * @bytes: total length of the messages held
 * @writes: successful writes since the slot was created, which is also
 *          the stamp of the last message written
 */
struct msg_slot_stats {
	u32 channels;
	u64 bytes;
	u64 writes;
};

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
	/*
	 * A resize in progress: @resize is the new table, which writers
	 * build a segment at a time; once it has all its segments, it is
	 * published as @next, and channels move there from @table a batch
	 * at a time, @resize_cursor being the entries of @table visited.
	 * Written under lock.
	 */
	struct msg_slot_table *resize;
	struct msg_slot_table __rcu *next;
	u32 resize_cursor;
	bool stepped;		/* a channel came or went since the work ran */
	struct list_head retired;	/* old tables, freed a batch at a time */
	struct delayed_work work;	/* moves and frees while nobody writes */
	seqcount_t moves;	/* channels added, removed or moved */
	u32 nr_channels;	/* entries in use; written under lock */
	hsiphash_key_t hash_key;	/* keeps crafted ids from colliding */
	struct xarray users;	/* uid -> channels held; written under lock */
	/*
	 * The counters of msg_slot_get_stats(), written under lock within
	 * @stats_count, which lets readers see them from one moment.
	 */
	seqcount_t stats_count;
	u64 nr_bytes;		/* total length of the messages */
	u64 nr_writes;		/* successful writes: the last stamp */
	spinlock_t watch_lock;	/* guards the watcher lists */
	unsigned int nr_watchers;	/* watchers in the lists */
	struct hlist_head watchers[MSG_SLOT_WATCH_BUCKETS];
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
				   struct msg_slot_key key, u8 *buf, u64 *seq);
unsigned int msg_slot_channel_info(struct msg_slot *slot,
				   struct msg_slot_key key, u64 *seq);
int msg_slot_write_message(struct msg_slot *slot, struct msg_slot_key key,
			   const u8 *msg, unsigned int len, kuid_t user,
			   u32 max_channels);
int msg_slot_clear(struct msg_slot *slot, struct msg_slot_key key);

void msg_slot_watcher_init(struct msg_slot_watcher *watcher);
int msg_slot_watch(struct msg_slot *slot, struct msg_slot_watcher *watcher,
		   struct msg_slot_key key);
void msg_slot_unwatch(struct msg_slot *slot,
		      struct msg_slot_watcher *watcher);

u32 msg_slot_nr_channels(struct msg_slot *slot);
void msg_slot_get_stats(struct msg_slot *slot, struct msg_slot_stats *stats);

#if IS_ENABLED(CONFIG_KUNIT)
/* The allocators of store.c, visible only so that KUnit can stub them. */
void *msg_slot_alloc_buffer(unsigned int class);
struct msg_slot_table *msg_slot_alloc_table(u32 capacity);
u32 msg_slot_capacity(struct msg_slot *slot);
u32 msg_slot_resize_capacity(struct msg_slot *slot);
#endif

#endif /* _MESSAGE_SLOT_STORE_H */
