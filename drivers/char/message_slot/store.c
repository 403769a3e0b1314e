// SPDX-License-Identifier: GPL-2.0
/*
 * Channel store of the message_slot driver.
 *
 * A slot maps 32-bit channel ids to messages in an open-addressing hash
 * table with linear probing. Each entry is 16 bytes: the id, the message
 * length and a tagged pointer to the message buffer. The table grows by
 * half when it is 7/8 full, and never beyond what the channel limit needs,
 * so memory follows the number of channels, whether their ids are dense or
 * scattered over the whole 32-bit space.
 *
 * Locking:
 *
 *   msg_slot.lock (mutex): serialises all writers of a slot
 *     msg_slot.stripes[] (seqcount): write side taken under the mutex,
 *                                    with preemption disabled
 *
 * Readers take no lock. They run under rcu_read_lock(), which keeps the
 * table and every message buffer they may see alive, and validate their
 * copy against the seqcount stripe of the channel, retrying if a writer
 * changed that channel meanwhile. A read therefore always returns one whole
 * message, never a mix of two, and never waits for a writer that sleeps in
 * an allocation. Channels are spread over several stripes so that writes
 * to one channel rarely make readers of another retry, without paying a
 * sequence counter in every entry.
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

#define MSG_SLOT_STRIPES	64
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
	u32 len;		/* length of the current message */
	unsigned long msg;	/* message buffer | size class */
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

	slot = kzalloc(sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return NULL;

	mutex_init(&slot->lock);
	for (i = 0; i < MSG_SLOT_STRIPES; i++)
		seqcount_init(&slot->stripes[i]);
	slot->hash_seed = get_random_u32();
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc);

/**
 * msg_slot_free() - free a slot and every message in it
 * @slot: the slot; no reader or writer may use it any more
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

/**
 * msg_slot_read_message() - copy the current message of a channel
 * @slot: the slot
 * @id: the channel id
 * @buf: destination of at least %MSG_SLOT_MAX_MSG_LEN bytes
 *
 * Never sleeps. It may spin while a writer of the same stripe copies a
 * message, which the writer does with preemption disabled.
 *
 * Return: the length of the message copied to @buf, or 0 when the channel
 * holds no message.
 */
unsigned int msg_slot_read_message(struct msg_slot *slot, u32 id, u8 *buf)
{
	u32 hash = msg_slot_hash(slot, id);
	seqcount_t *stripe = msg_slot_stripe(slot, hash);
	struct msg_slot_table *table;
	struct msg_slot_entry *entry;
	unsigned int len, seq;
	unsigned long msg;
	bool found;

	/* Id 0 would match free entries; no channel ever has it. */
	if (!id)
		return 0;

	rcu_read_lock();
	do {
		seq = read_seqcount_begin(stripe);
		len = 0;
		table = rcu_dereference(slot->table);
		if (!table)
			continue;
		entry = msg_slot_probe(table, hash, id, &found);
		if (!found)
			continue;
		msg = READ_ONCE(entry->msg);
		len = min(READ_ONCE(entry->len), msg_slot_class_size(msg));
		memcpy(buf, msg_slot_buffer(msg), len);
	} while (read_seqcount_retry(stripe, seq));
	rcu_read_unlock();

	return len;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_read_message);

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
	if (found && (entry->msg & MSG_SLOT_CLASS_MASK) == class) {
		msg_slot_write_begin(slot, stripe);
		memcpy(msg_slot_buffer(entry->msg), msg, len);
		WRITE_ONCE(entry->len, len);
		msg_slot_write_end(stripe);
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
		mutex_unlock(&slot->lock);
		return 0;
	}

	old_msg = entry->msg;
	msg_slot_write_begin(slot, stripe);
	WRITE_ONCE(entry->msg, (unsigned long)buffer | class);
	WRITE_ONCE(entry->len, len);
	msg_slot_write_end(stripe);
	mutex_unlock(&slot->lock);
	/* Lockless readers may still be copying from the old buffer. */
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
 * msg_slot_nr_channels() - number of channels that hold a message
 * @slot: the slot
 *
 * Return: the count at some moment during the call.
 */
u32 msg_slot_nr_channels(struct msg_slot *slot)
{
	return READ_ONCE(slot->nr_channels);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_nr_channels);
