// SPDX-License-Identifier: GPL-2.0
/*
 * Channel store of the message_slot driver.
 *
 * A slot maps 32-bit channel ids to messages in an open-addressing hash
 * table with linear probing. Each entry, 24 bytes on 64-bit, holds the id,
 * the message length, a tagged pointer to the message buffer and the
 * channel's count of writes, which poll() compares with what a file last
 * read. A channel, once written, keeps its entry (and its count) until the
 * slot is freed; clearing it frees only the message. The table grows by
 * half when it is 7/8 full, and never beyond what the channel limit needs,
 * so memory follows the number of channels, whether their ids are dense or
 * scattered over the whole 32-bit space.
 *
 * Locking:
 *
 *   msg_slot.lock (mutex): serialises all writers of a slot, and guards
 *                          its watchers and counters
 *     msg_slot.stripes[] (seqcount): write side taken under the mutex,
 *                                    with preemption disabled
 *     msg_slot_watcher.wait (wait queue lock): taken to wake a watcher
 *
 * Readers take no lock. They run under rcu_read_lock(), which keeps the
 * table and every message buffer they may see alive, and validate their
 * copy against the seqcount stripe of the channel, retrying if a writer
 * changed that channel meanwhile. A read therefore always returns one whole
 * message, never a mix of two, and never waits for a writer that sleeps in
 * an allocation. Channels are spread over several stripes so that writes
 * to one channel rarely make readers of another retry, without paying a
 * sequence counter in every entry.
 *
 * A writer wakes only the watchers of the channel it wrote, found in a
 * small hash of lists, and looks there only when the slot has watchers:
 * a write nobody waits for pays one load and a branch. Watchers register
 * under the same mutex, before they look at the channel, so a message is
 * either seen by the watcher or followed by its wake-up.
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

#define MSG_SLOT_STRIPES	64
#define MSG_SLOT_WATCH_BUCKETS	64
#define MSG_SLOT_MIN_CAPACITY	8

/*
 * A message lives in a kmalloc() buffer of the smallest power-of-two size,
 * from 8 to MSG_SLOT_MAX_MSG_LEN bytes, that holds it. Such buffers are
 * naturally aligned, so the low bits of the address are free to record
 * the size class. A reader that races with a writer may load a length and
 * a buffer from different messages; because it never copies more than the
 * class of the buffer it loaded, the copy stays in bounds until the
 * seqcount throws it away.
 */
#define MSG_SLOT_MIN_CLASS_SHIFT	3
#define MSG_SLOT_CLASS_MASK		7UL

/*
 * Allocations are charged to the writer's memory cgroup. A writer that
 * hits its cgroup limit gets -ENOMEM rather than an OOM kill, and the
 * failure is not worth a warning: the caller reports it.
 */
#define MSG_SLOT_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

struct msg_slot_entry {
	u32 id;			/* channel id; 0 marks a free entry */
	u32 len;		/* length of the message, 0 if cleared */
	unsigned long msg;	/* message buffer | size class, 0 if cleared */
	u64 seq;		/* successful writes to the channel */
};

struct msg_slot_table {
	struct rcu_head rcu;
	u32 capacity;
	struct msg_slot_entry entries[] __counted_by(capacity);
};

struct msg_slot {
	struct mutex lock;	/* serialises writers of this slot */
	struct msg_slot_table __rcu *table;	/* NULL until the first write */
	u32 nr_channels;	/* entries in use; written under lock */
	u32 hash_seed;		/* keeps crafted ids from colliding */
	/* The counters of msg_slot_get_stats(), all under lock. */
	u32 nr_messages;	/* entries that hold a message */
	u64 nr_bytes;		/* their total length */
	u64 nr_writes;		/* successful writes */
	unsigned int nr_watchers;	/* watchers in the lists; lock */
	struct hlist_head watchers[MSG_SLOT_WATCH_BUCKETS];	/* lock */
	/*
	 * Plain seqcounts, not seqcount_mutex_t: on PREEMPT_RT a reader of
	 * the latter takes the mutex to wait for a preempted writer, and
	 * readers here must never sleep (they are inside rcu_read_lock()).
	 * Writers disable preemption instead; see msg_slot_write_begin().
	 */
	seqcount_t stripes[MSG_SLOT_STRIPES];
};

static unsigned int msg_slot_class(unsigned int len)
{
	return max(order_base_2(len), MSG_SLOT_MIN_CLASS_SHIFT) -
	       MSG_SLOT_MIN_CLASS_SHIFT;
}

static unsigned int msg_slot_class_size(unsigned long msg)
{
	return 1U << ((msg & MSG_SLOT_CLASS_MASK) + MSG_SLOT_MIN_CLASS_SHIFT);
}

static void *msg_slot_buffer(unsigned long msg)
{
	return (void *)(msg & ~MSG_SLOT_CLASS_MASK);
}

static u32 msg_slot_hash(const struct msg_slot *slot, u32 id)
{
	return jhash_1word(id, slot->hash_seed);
}

static seqcount_t *msg_slot_stripe(struct msg_slot *slot, u32 hash)
{
	return &slot->stripes[hash % MSG_SLOT_STRIPES];
}

static struct hlist_head *msg_slot_watchers(struct msg_slot *slot, u32 hash)
{
	return &slot->watchers[hash % MSG_SLOT_WATCH_BUCKETS];
}

/* Bracket a change that readers of the stripe must not see half done. */
static void msg_slot_write_begin(struct msg_slot *slot, seqcount_t *stripe)
{
	lockdep_assert_held(&slot->lock);
	preempt_disable();
	write_seqcount_begin(stripe);
}

static void msg_slot_write_end(seqcount_t *stripe)
{
	write_seqcount_end(stripe);
	preempt_enable();
}

/* Smallest table capacity that keeps @nr entries at most 7/8 full. */
static u32 msg_slot_capacity_for(u32 nr)
{
	return max(nr + nr / 7 + 1, MSG_SLOT_MIN_CAPACITY);
}

/*
 * Find the entry of @id, or else the free entry where it would go; *@found
 * tells which. Every table keeps at least 1/8 of its entries free, so the
 * probe always ends.
 */
static struct msg_slot_entry *msg_slot_probe(struct msg_slot_table *table,
					     u32 hash, u32 id, bool *found)
{
	u32 i = reciprocal_scale(hash, table->capacity);

	for (;;) {
		struct msg_slot_entry *entry = &table->entries[i];
		/* Pairs with the release in msg_slot_insert(). */
		u32 entry_id = smp_load_acquire(&entry->id);

		*found = entry_id == id;
		if (*found || !entry_id)
			return entry;
		if (++i == table->capacity)
			i = 0;
	}
}

/**
 * msg_slot_alloc() - allocate an empty slot
 *
 * Return: the new slot, or NULL when out of memory.
 */
struct msg_slot *msg_slot_alloc(void)
{
	struct msg_slot *slot;
	unsigned int i;

	slot = kzalloc_obj(*slot, GFP_KERNEL);
	if (!slot)
		return NULL;

	mutex_init(&slot->lock);
	for (i = 0; i < MSG_SLOT_STRIPES; i++)
		seqcount_init(&slot->stripes[i]);
	for (i = 0; i < MSG_SLOT_WATCH_BUCKETS; i++)
		INIT_HLIST_HEAD(&slot->watchers[i]);
	slot->hash_seed = get_random_u32();
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc);

/**
 * msg_slot_free() - free a slot and every message in it
 * @slot: the slot; no reader, writer or watcher may use it any more
 */
void msg_slot_free(struct msg_slot *slot)
{
	struct msg_slot_table *table;
	u32 i;

	if (!slot)
		return;

	table = rcu_dereference_protected(slot->table, true);
	if (table) {
		for (i = 0; i < table->capacity; i++)
			kfree(msg_slot_buffer(table->entries[i].msg));
		kvfree(table);
	}
	mutex_destroy(&slot->lock);
	kfree(slot);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_free);

/*
 * Load the length and write count of channel @id, and copy its message to
 * @buf unless @buf is NULL, all from one moment of the channel.
 */
static unsigned int msg_slot_load(struct msg_slot *slot, u32 id, u8 *buf,
				  u64 *seq)
{
	u32 hash = msg_slot_hash(slot, id);
	seqcount_t *stripe = msg_slot_stripe(slot, hash);
	struct msg_slot_table *table;
	struct msg_slot_entry *entry;
	unsigned int len, start;
	unsigned long msg;
	bool found;

	rcu_read_lock();
	do {
		start = read_seqcount_begin(stripe);
		len = 0;
		*seq = 0;
		/* Id 0 would match free entries; no channel ever has it. */
		table = id ? rcu_dereference(slot->table) : NULL;
		if (!table)
			continue;
		entry = msg_slot_probe(table, hash, id, &found);
		if (!found)
			continue;
		*seq = READ_ONCE(entry->seq);
		msg = READ_ONCE(entry->msg);
		/* A cleared channel has no buffer, whatever len says. */
		if (!msg)
			continue;
		len = min(READ_ONCE(entry->len), msg_slot_class_size(msg));
		if (buf)
			memcpy(buf, msg_slot_buffer(msg), len);
	} while (read_seqcount_retry(stripe, start));
	rcu_read_unlock();

	return len;
}

/**
 * msg_slot_read_message() - copy the current message of a channel
 * @slot: the slot
 * @id: the channel id
 * @buf: destination of at least %MSG_SLOT_MAX_MSG_LEN bytes
 * @seq: set to the channel's write count, which numbers the message
 *
 * Never sleeps. It may spin while a writer of the same stripe copies a
 * message, which the writer does with preemption disabled.
 *
 * Return: the length of the message copied to @buf, or 0 when the channel
 * holds no message.
 */
unsigned int msg_slot_read_message(struct msg_slot *slot, u32 id, u8 *buf,
				   u64 *seq)
{
	return msg_slot_load(slot, id, buf, seq);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_read_message);

/**
 * msg_slot_channel_info() - length and write count of a channel
 * @slot: the slot
 * @id: the channel id
 * @seq: set to the number of successful writes to the channel so far
 *
 * Never sleeps.
 *
 * Return: the length of the channel's message, 0 when it holds none.
 */
unsigned int msg_slot_channel_info(struct msg_slot *slot, u32 id, u64 *seq)
{
	return msg_slot_load(slot, id, NULL, seq);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_channel_info);

/*
 * The two allocations of a write, kept apart so that KUnit can make them
 * fail: a message buffer of size class @class, and a table of @capacity
 * entries.
 */
VISIBLE_IF_KUNIT void *msg_slot_alloc_buffer(unsigned int class)
{
	KUNIT_STATIC_STUB_REDIRECT(msg_slot_alloc_buffer, class);
	return kmalloc(1U << (class + MSG_SLOT_MIN_CLASS_SHIFT), MSG_SLOT_GFP);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc_buffer);

VISIBLE_IF_KUNIT struct msg_slot_table *msg_slot_alloc_table(u32 capacity)
{
	KUNIT_STATIC_STUB_REDIRECT(msg_slot_alloc_table, capacity);
	return kvzalloc(struct_size_t(struct msg_slot_table, entries, capacity),
			MSG_SLOT_GFP);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc_table);

/*
 * Make room for one more entry, moving to a larger table when the current
 * one would pass 7/8 full. Readers may go on using the old table until a
 * grace period has passed; nothing writes to it any more, so what they
 * find there is a consistent, if older, view.
 */
static int msg_slot_reserve(struct msg_slot *slot, u32 max_channels)
{
	struct msg_slot_table *old, *new;
	u32 nr = slot->nr_channels;
	u32 capacity, i;
	bool found;

	old = rcu_dereference_protected(slot->table,
					lockdep_is_held(&slot->lock));
	if (old && msg_slot_capacity_for(nr + 1) <= old->capacity)
		return 0;

	/* Grow by half, but never past what the channel limit needs. */
	capacity = msg_slot_capacity_for(clamp(nr + nr / 2, nr + 1,
					       max(max_channels, nr + 1)));
	new = msg_slot_alloc_table(capacity);
	if (!new)
		return -ENOMEM;
	new->capacity = capacity;

	for (i = 0; old && i < old->capacity; i++) {
		struct msg_slot_entry *entry = &old->entries[i];

		if (entry->id)
			*msg_slot_probe(new, msg_slot_hash(slot, entry->id),
					entry->id, &found) = *entry;
	}

	rcu_assign_pointer(slot->table, new);
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
}

/* Create channel @id holding @msg, a tagged message buffer. */
static int msg_slot_insert(struct msg_slot *slot, u32 hash, u32 id,
			   unsigned long msg, unsigned int len,
			   u32 max_channels)
{
	struct msg_slot_table *table;
	struct msg_slot_entry *entry;
	bool found;
	int err;

	err = msg_slot_reserve(slot, max_channels);
	if (err)
		return err;

	table = rcu_dereference_protected(slot->table,
					  lockdep_is_held(&slot->lock));
	entry = msg_slot_probe(table, hash, id, &found);
	entry->len = len;
	entry->msg = msg;
	entry->seq = 1;
	/*
	 * Publish the id last: a reader that finds it also sees the message,
	 * and a reader that misses it read the channel before it existed.
	 * No reader can be inside a seqcount section for a message it has
	 * not found, so the stripe needs no bump.
	 */
	smp_store_release(&entry->id, id);
	WRITE_ONCE(slot->nr_channels, slot->nr_channels + 1);
	return 0;
}

/*
 * Account a successful write of @len bytes over a message of @old_len (0
 * if the channel held none), and wake whoever watches the channel.
 */
static void msg_slot_written(struct msg_slot *slot, u32 hash, u32 id,
			     unsigned int old_len, unsigned int len)
{
	struct msg_slot_watcher *watcher;

	lockdep_assert_held(&slot->lock);
	if (!old_len)
		slot->nr_messages++;
	slot->nr_bytes = slot->nr_bytes - old_len + len;
	slot->nr_writes++;

	if (!slot->nr_watchers)
		return;
	hlist_for_each_entry(watcher, msg_slot_watchers(slot, hash), node)
		if (watcher->channel == id)
			wake_up_interruptible_poll(&watcher->wait,
						   EPOLLIN | EPOLLRDNORM);
}

/**
 * msg_slot_write_message() - replace the message of a channel
 * @slot: the slot
 * @id: the channel id, non-zero
 * @msg: the message
 * @len: its length, 1 to %MSG_SLOT_MAX_MSG_LEN
 * @max_channels: most channels the slot may hold, at most
 *                %MSG_SLOT_MAX_CHANNELS
 *
 * The first write to a channel creates it. A failed write changes nothing.
 * A successful one adds one to the channel's write count and wakes the
 * watchers of the channel.
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -EINVAL for channel id 0, -EMSGSIZE for a bad
 * length, -ENOSPC when a new channel would exceed @max_channels, -ENOMEM,
 * or -EINTR when the task was killed while waiting for another writer.
 */
int msg_slot_write_message(struct msg_slot *slot, u32 id, const u8 *msg,
			   unsigned int len, u32 max_channels)
{
	u32 hash = msg_slot_hash(slot, id);
	seqcount_t *stripe = msg_slot_stripe(slot, hash);
	unsigned int class = msg_slot_class(len);
	struct msg_slot_table *table;
	struct msg_slot_entry *entry = NULL;
	unsigned int old_len;
	unsigned long old_msg;
	bool found = false;
	void *buffer;
	int err;

	if (!id)
		return -EINVAL;
	if (!len || len > MSG_SLOT_MAX_MSG_LEN)
		return -EMSGSIZE;
	/* Also keeps the capacity arithmetic far from overflow. */
	max_channels = min(max_channels, MSG_SLOT_MAX_CHANNELS);

	/*
	 * Another writer of the slot may hold the lock through a slow
	 * allocation; a task that is being killed need not wait for it.
	 */
	err = mutex_lock_killable(&slot->lock);
	if (err)
		return err;
	table = rcu_dereference_protected(slot->table,
					  lockdep_is_held(&slot->lock));
	if (table)
		entry = msg_slot_probe(table, hash, id, &found);

	/* The common case: a message of the same size class, in place. */
	if (found && entry->msg &&
	    (entry->msg & MSG_SLOT_CLASS_MASK) == class) {
		old_len = entry->len;
		msg_slot_write_begin(slot, stripe);
		memcpy(msg_slot_buffer(entry->msg), msg, len);
		WRITE_ONCE(entry->len, len);
		WRITE_ONCE(entry->seq, entry->seq + 1);
		msg_slot_write_end(stripe);
		msg_slot_written(slot, hash, id, old_len, len);
		mutex_unlock(&slot->lock);
		return 0;
	}

	err = -ENOSPC;
	if (!found && slot->nr_channels >= max_channels)
		goto err_unlock;

	err = -ENOMEM;
	buffer = msg_slot_alloc_buffer(class);
	if (!buffer)
		goto err_unlock;
	memcpy(buffer, msg, len);

	if (!found) {
		err = msg_slot_insert(slot, hash, id,
				      (unsigned long)buffer | class, len,
				      max_channels);
		if (err)
			goto err_free_buffer;
		msg_slot_written(slot, hash, id, 0, len);
		mutex_unlock(&slot->lock);
		return 0;
	}

	/* Another size class, or a cleared channel: a new buffer. */
	old_msg = entry->msg;
	old_len = entry->len;
	msg_slot_write_begin(slot, stripe);
	WRITE_ONCE(entry->msg, (unsigned long)buffer | class);
	WRITE_ONCE(entry->len, len);
	WRITE_ONCE(entry->seq, entry->seq + 1);
	msg_slot_write_end(stripe);
	msg_slot_written(slot, hash, id, old_len, len);
	mutex_unlock(&slot->lock);
	/* Lockless readers may still be copying from the old buffer. */
	if (old_msg)
		kfree_rcu_mightsleep(msg_slot_buffer(old_msg));
	return 0;

err_free_buffer:
	kfree(buffer);
err_unlock:
	mutex_unlock(&slot->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_write_message);

/**
 * msg_slot_clear() - remove the message of a channel
 * @slot: the slot
 * @id: the channel id
 *
 * Frees the message, if the channel holds one. The channel keeps its
 * write count and its entry, so it still counts against the channel limit.
 *
 * Context: process context; may sleep.
 * Return: 0, also when the channel holds no message, or -EINTR when the
 * task was killed while waiting for a writer.
 */
int msg_slot_clear(struct msg_slot *slot, u32 id)
{
	u32 hash = msg_slot_hash(slot, id);
	struct msg_slot_table *table;
	struct msg_slot_entry *entry;
	unsigned long old_msg;
	bool found;
	int err;

	if (!id)
		return 0;
	err = mutex_lock_killable(&slot->lock);
	if (err)
		return err;
	table = rcu_dereference_protected(slot->table,
					  lockdep_is_held(&slot->lock));
	if (!table)
		goto out_unlock;
	entry = msg_slot_probe(table, hash, id, &found);
	if (!found || !entry->msg)
		goto out_unlock;

	old_msg = entry->msg;
	slot->nr_messages--;
	slot->nr_bytes -= entry->len;
	msg_slot_write_begin(slot, msg_slot_stripe(slot, hash));
	WRITE_ONCE(entry->msg, 0);
	WRITE_ONCE(entry->len, 0);
	msg_slot_write_end(msg_slot_stripe(slot, hash));
	mutex_unlock(&slot->lock);
	kfree_rcu_mightsleep(msg_slot_buffer(old_msg));
	return 0;

out_unlock:
	mutex_unlock(&slot->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_clear);

/**
 * msg_slot_watcher_init() - prepare a watcher that watches nothing yet
 * @watcher: the watcher
 */
void msg_slot_watcher_init(struct msg_slot_watcher *watcher)
{
	INIT_HLIST_NODE(&watcher->node);
	watcher->channel = 0;
	init_waitqueue_head(&watcher->wait);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_watcher_init);

/**
 * msg_slot_watch() - make a watcher watch a channel
 * @slot: the slot
 * @watcher: the watcher, watching nothing or another channel of @slot
 * @id: the channel id, non-zero
 *
 * From then on every successful write to channel @id wakes @watcher->wait.
 * A watcher follows one channel at a time; it leaves the one before.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL for channel id 0, or -EINTR when the task was killed
 * while waiting for a writer.
 */
int msg_slot_watch(struct msg_slot *slot, struct msg_slot_watcher *watcher,
		   u32 id)
{
	int err;

	if (!id)
		return -EINVAL;
	err = mutex_lock_killable(&slot->lock);
	if (err)
		return err;
	if (watcher->channel)
		hlist_del(&watcher->node);
	else
		slot->nr_watchers++;
	hlist_add_head(&watcher->node,
		       msg_slot_watchers(slot, msg_slot_hash(slot, id)));
	/* Pairs with the lockless check of the caller's poll(). */
	WRITE_ONCE(watcher->channel, id);
	mutex_unlock(&slot->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_watch);

/**
 * msg_slot_unwatch() - stop a watcher, if it watches a channel
 * @slot: the slot
 * @watcher: the watcher; nobody may call msg_slot_watch() on it meanwhile
 *
 * Context: process context; may sleep.
 */
void msg_slot_unwatch(struct msg_slot *slot, struct msg_slot_watcher *watcher)
{
	if (!watcher->channel)
		return;
	mutex_lock(&slot->lock);
	hlist_del_init(&watcher->node);
	slot->nr_watchers--;
	WRITE_ONCE(watcher->channel, 0);
	mutex_unlock(&slot->lock);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_unwatch);

/**
 * msg_slot_nr_channels() - number of channels in a slot
 * @slot: the slot
 *
 * Every channel written since the slot was created counts, cleared or not:
 * this is the number that the channel limit bounds.
 *
 * Return: the count at some moment during the call.
 */
u32 msg_slot_nr_channels(struct msg_slot *slot)
{
	return READ_ONCE(slot->nr_channels);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_nr_channels);

/**
 * msg_slot_get_stats() - read the counters of a slot
 * @slot: the slot
 * @stats: filled with the counters, all from the same moment
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINTR when the task was killed while waiting for a writer.
 */
int msg_slot_get_stats(struct msg_slot *slot, struct msg_slot_stats *stats)
{
	int err;

	err = mutex_lock_killable(&slot->lock);
	if (err)
		return err;
	stats->channels = slot->nr_messages;
	stats->bytes = slot->nr_bytes;
	stats->writes = slot->nr_writes;
	mutex_unlock(&slot->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_get_stats);
