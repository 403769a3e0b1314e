// SPDX-License-Identifier: GPL-2.0
/*
 * Channel store of the message_slot driver on an rhashtable: the
 * benchmark's answer to "why not an rhashtable?", never part of the
 * series. It keeps the contract of drivers/char/message_slot/store.c (its
 * kernel-doc holds here word for word, but for what it says about the
 * table: the rhashtable's is charged to nobody, see below), its message
 * buffers, its per-user bound and its watchers; only the index differs.
 *
 * The rhashtable holds entry objects, allocated apart, keyed by their id:
 *
 *	rhash_head (chain link)		 8 bytes
 *	id, holder, len, seqcount	16
 *	tagged message buffer		 8
 *	stamp of the message		 8
 *	rcu_head			16
 *
 * 56 bytes, in kmalloc-cg-64 (without lock debugging). A reader finds the
 * entry with rhashtable_lookup() under rcu_read_lock() and copies the
 * message within the entry's seqcount; a writer, under the slot mutex,
 * overwrites the buffer in place when the size class and the holder stay,
 * and otherwise points the entry at a new buffer, the old one freed after
 * a grace period. A clear removes the entry, which then goes after a grace
 * period too.
 *
 * Memory per channel (x86_64, no debug options), beside the buffer, the
 * same in every store: a kmalloc-cg-{8,16,32,64,128} object, the smallest
 * power of two from 8 bytes that holds the message:
 *
 *	entry object			64 bytes (kmalloc-cg-64)
 *	bucket array, 8 bytes a bucket, a power of two of them: the table
 *	doubles above 3/4 load and shrinks below 3/10 to 2/3 at most, so
 *	8 / load = 10.7 to 21.3 bytes, up to 26.7 just before a shrink,
 *	whatever the ids; with a 64-byte header, from kvmalloc(): 64
 *	buckets at first (kmalloc-1k; shrinks go down to 4), 512 in
 *	kmalloc-8k, larger ones in whole pages (1024: 8256 bytes in
 *	16 KiB) or vmalloc
 *
 * store.c has no entry objects: its table takes 28 bytes a slot, 32 to 48
 * bytes a channel at its usual 7/8 to 58% load, up to 112 just before it
 * shrinks at 1/4, whatever the ids.
 *
 * The bucket arrays are the one thing not charged to the writer: the
 * rhashtable allocates them itself, in its worker with GFP_KERNEL, or on
 * an insertion into a table over 100% load with GFP_ATOMIC, and takes no
 * gfp flags from its user. Entries and buffers are charged as in store.c.
 *
 * Cache lines a lookup of a present channel touches: the rhashtable in
 * the slot (1: its table pointer and the key's offset and length), the
 * table's header (1: size, hash seed), the bucket (1), each entry of the
 * chain up to the channel's (1 each: 1 + load / 2 on average, 1.2 to 1.4),
 * the buffer (1, or 2 for 65..128 bytes): 5.2-6.4, whatever the ids.
 *
 * store.c: the slot (table pointer and moves seqcount, 1; the stripe, 1),
 * the table header (1), 1-2 lines of entries, the buffer (1-2): 5-7.
 *
 * Locking is store.c's, without its grow lock and stripes:
 *
 *   msg_slot.lock (mutex): serialises the writers of a slot; held only
 *                          for work that does not sleep
 *     msg_slot_entry.count, msg_slot.stats_count (seqcount): write side
 *                          taken under the mutex, preemption disabled
 *     msg_slot.channels (rhashtable bucket locks), msg_slot.users (xarray
 *                          lock): taken inside the mutex
 *   msg_slot.watch_lock (spinlock): guards the watcher lists
 *     msg_slot_watcher.wait (wait queue lock): taken to wake a watcher
 *
 * As in store.c, a writer allocates the buffer and a new channel's entry
 * before it takes the mutex, so writers never wait for another one's
 * allocation; the rhashtable grows and shrinks in its own worker.
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/cleanup.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

/*
 * Buffers as in store.c: power-of-two kmalloc() buffers of 8 to 128
 * bytes, naturally aligned, so the low bits of the address record the
 * size class, and a reader never copies more than the buffer it loaded.
 */
#define MSG_SLOT_MIN_CLASS_SHIFT	3
#define MSG_SLOT_CLASS_MASK		7UL

/* As in store.c: charged to the writer, worth no OOM kill nor warning. */
#define MSG_SLOT_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
/* Under the slot lock, where only a reserved record may be stored. */
#define MSG_SLOT_LOCKED_GFP	(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN)

/* A channel; see the top of the file. */
struct msg_slot_entry {
	struct rhash_head node;	/* in the chain of its bucket */
	u32 id;			/* channel id: the key */
	u32 holder;		/* uid of the user who wrote it last */
	u16 len;		/* length of the message */
	/*
	 * Brackets changes of @len, @msg and @seq. A plain seqcount: its
	 * readers may not sleep, and writers disable preemption instead.
	 */
	seqcount_t count;
	unsigned long msg;	/* message buffer | size class */
	u64 seq;		/* stamp of the write that stored the message */
	struct rcu_head rcu;
};

/*
 * Keyed by the id, hashed with the rhashtable's default, jhash2() under a
 * random seed of each table; msg_slot_key()'s hash only spreads watchers.
 */
static const struct rhashtable_params msg_slot_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct msg_slot_entry, id),
	.head_offset = offsetof(struct msg_slot_entry, node),
	/* Memory follows the channels, as store.c's table does. */
	.automatic_shrinking = true,
};

/*
 * The entry of channel @id, for a writer: the slot lock, not RCU, keeps
 * it alive, as only writers holding it remove entries.
 */
static struct msg_slot_entry *msg_slot_lookup(struct msg_slot *slot, u32 id)
{
	return rhashtable_lookup_fast(&slot->channels, &id, msg_slot_params);
}

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

static struct hlist_head *msg_slot_watchers(struct msg_slot *slot, u32 hash)
{
	return &slot->watchers[hash % MSG_SLOT_WATCH_BUCKETS];
}

/* Bracket a change that readers of @count must not see half done. */
static void msg_slot_write_begin(struct msg_slot *slot, seqcount_t *count)
{
	lockdep_assert_held(&slot->lock);
	preempt_disable();
	write_seqcount_begin(count);
}

static void msg_slot_write_end(seqcount_t *count)
{
	write_seqcount_end(count);
	preempt_enable();
}

/*
 * The public functions keep the contracts of store.c's kernel-doc; only
 * what differs is said here.
 */

/* Return: the new slot, or NULL when out of memory. */
struct msg_slot *msg_slot_alloc(void)
{
	struct msg_slot *slot;
	unsigned int i;

	slot = kzalloc_obj(*slot, GFP_KERNEL_ACCOUNT);
	if (!slot)
		return NULL;

	/* Its first bucket array, of 64, is charged to nobody. */
	if (rhashtable_init(&slot->channels, &msg_slot_params)) {
		kfree(slot);
		return NULL;
	}
	mutex_init(&slot->lock);
	xa_init(&slot->users);
	seqcount_init(&slot->stats_count);
	spin_lock_init(&slot->watch_lock);
	for (i = 0; i < MSG_SLOT_WATCH_BUCKETS; i++)
		INIT_HLIST_HEAD(&slot->watchers[i]);
	get_random_bytes(&slot->hash_key, sizeof(slot->hash_key));
	return slot;
}

static void msg_slot_free_entry(void *ptr, void *arg)
{
	struct msg_slot_entry *entry = ptr;

	kfree(msg_slot_buffer(entry->msg));
	kfree(entry);
}

/* No reader, writer or watcher may use @slot any more. */
void msg_slot_free(struct msg_slot *slot)
{
	if (!slot)
		return;
	/* It reschedules between buckets: a slot may hold millions. */
	rhashtable_free_and_destroy(&slot->channels, msg_slot_free_entry, NULL);
	xa_destroy(&slot->users);
	mutex_destroy(&slot->lock);
	kfree(slot);
}

/*
 * Load the length and stamp of channel @key, and copy its message to @buf
 * unless @buf is NULL, all from one moment of the channel. The entry, if
 * any, is alive until rcu_read_unlock(), even if a clear removes it, and so
 * is every buffer it pointed to meanwhile.
 */
static __always_inline unsigned int
msg_slot_load(struct msg_slot *slot, struct msg_slot_key key, u8 *buf, u64 *seq)
{
	struct msg_slot_entry *entry;
	unsigned int len = 0, start;
	unsigned long msg;

	*seq = 0;
	rcu_read_lock();
	/* No entry ever has id 0. */
	entry = rhashtable_lookup(&slot->channels, &key.id, msg_slot_params);
	if (entry) {
		do {
			start = read_seqcount_begin(&entry->count);
			*seq = READ_ONCE(entry->seq);
			msg = READ_ONCE(entry->msg);
			/* Never more than the buffer loaded holds. */
			len = min_t(unsigned int, READ_ONCE(entry->len),
				    msg_slot_class_size(msg));
			if (buf)
				memcpy(buf, msg_slot_buffer(msg), len);
		} while (read_seqcount_retry(&entry->count, start));
	}
	rcu_read_unlock();
	return len;
}

/*
 * Never sleeps. It may spin while a writer of the same channel, not of
 * the same stripe as in store.c, copies a message, with preemption
 * disabled.
 */
unsigned int msg_slot_read_message(struct msg_slot *slot,
				   struct msg_slot_key key, u8 *buf, u64 *seq)
{
	return msg_slot_load(slot, key, buf, seq);
}

unsigned int msg_slot_channel_info(struct msg_slot *slot,
				   struct msg_slot_key key, u64 *seq)
{
	return msg_slot_load(slot, key, NULL, seq);
}

/* A message buffer of size class @class; apart, so KUnit can fail it. */
VISIBLE_IF_KUNIT void *msg_slot_alloc_buffer(unsigned int class)
{
	KUNIT_STATIC_STUB_REDIRECT(msg_slot_alloc_buffer, class);
	return kmalloc(1U << (class + MSG_SLOT_MIN_CLASS_SHIFT), MSG_SLOT_GFP);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc_buffer);

/*
 * Count a change of the slot: @nr_new channels created (-1 for one
 * removed), and a message of @len bytes in place of one of @old_len (0 for
 * none). A @len other than 0 is a write.
 */
static void msg_slot_count(struct msg_slot *slot, int nr_new,
			   unsigned int old_len, unsigned int len)
{
	msg_slot_write_begin(slot, &slot->stats_count);
	WRITE_ONCE(slot->nr_channels, slot->nr_channels + nr_new);
	slot->nr_bytes = slot->nr_bytes - old_len + len;
	if (len)
		slot->nr_writes++;
	msg_slot_write_end(&slot->stats_count);
}

/* The stamp of the write the slot lock is held for, if it succeeds. */
static u64 msg_slot_next_stamp(struct msg_slot *slot)
{
	lockdep_assert_held(&slot->lock);
	return slot->nr_writes + 1;
}

/* How many channels of @slot user @uid holds. */
static u32 msg_slot_held(struct msg_slot *slot, u32 uid)
{
	void *held = xa_load(&slot->users, uid);

	return xa_is_value(held) ? xa_to_value(held) : 0;
}

/*
 * Record that user @uid holds @held channels of @slot. Storing a count
 * allocates only for a user who held none and has no reservation;
 * lowering one never does.
 *
 * Return: 0, or -ENOMEM when the record needs memory it cannot get
 * without sleeping.
 */
static int msg_slot_set_held(struct msg_slot *slot, u32 uid, u32 held)
{
	lockdep_assert_held(&slot->lock);
	if (!held) {
		xa_erase(&slot->users, uid);
		return 0;
	}
	return xa_err(xa_store(&slot->users, uid, xa_mk_value(held),
			       MSG_SLOT_LOCKED_GFP));
}

/*
 * Wake whoever watches channel @key of @slot, after a write to it. Pairs
 * with the smp_mb() in msg_slot_watch(), for the task that registered the
 * watcher, and with the one in msg_slot_poll() after its load of the
 * watcher's channel, for the other tasks polling the same file: either
 * their look at the channel sees the message stored before, or this sees
 * the watcher.
 */
static void msg_slot_wake(struct msg_slot *slot, struct msg_slot_key key)
{
	struct msg_slot_watcher *watcher;

	/* Order the message stored before against the look at watchers. */
	smp_mb();
	if (!READ_ONCE(slot->nr_watchers))
		return;
	scoped_guard(spinlock, &slot->watch_lock) {
		hlist_for_each_entry(watcher,
				     msg_slot_watchers(slot, key.hash), node)
			if (watcher->channel == key.id)
				wake_up_interruptible_poll(&watcher->wait,
							   EPOLLIN | EPOLLRDNORM);
	}
}

/*
 * The common write, with the slot lock held: @entry is the writer's,
 * @uid's, and its buffer is of the size class of @len bytes, so @msg
 * replaces its message in place.
 *
 * Return: 0, or -EAGAIN, changing nothing, for a write that needs a new
 * buffer: another size class, or another user's channel, whose new
 * holder's memory cgroup pays for a buffer of its own.
 */
static int msg_slot_overwrite(struct msg_slot *slot,
			      struct msg_slot_entry *entry, const u8 *msg,
			      unsigned int len, u32 uid)
{
	unsigned int old_len = entry->len;

	if ((entry->msg & MSG_SLOT_CLASS_MASK) != msg_slot_class(len) ||
	    entry->holder != uid)
		return -EAGAIN;
	msg_slot_write_begin(slot, &entry->count);
	memcpy(msg_slot_buffer(entry->msg), msg, len);
	WRITE_ONCE(entry->len, len);
	WRITE_ONCE(entry->seq, msg_slot_next_stamp(slot));
	msg_slot_write_end(&entry->count);
	msg_slot_count(slot, 0, old_len, len);
	return 0;
}

/* A write that needs memory, all allocated without the slot lock. */
struct msg_slot_write {
	struct msg_slot_key key;
	const u8 *msg;
	unsigned int len;
	unsigned int class;	/* size class of its buffer */
	u32 uid;		/* the writer, who then holds the channel */
	u32 max_channels;	/* most channels @uid may hold */
	void *buffer;		/* of @class; NULL once the channel holds it */
	struct msg_slot_entry *entry;	/* NULL once the index holds it */
	bool new_channel;	/* no channel at the last look: wants @entry */
	bool reserve_user;	/* wants @uid's record reserved */
	bool user_reserved;	/* it was: release it if unused */
	unsigned long old_msg;	/* the buffer replaced, to free after RCU */
};

/* Allocate what msg_slot_store() asked for. */
static int msg_slot_prealloc(struct msg_slot *slot, struct msg_slot_write *w)
{
	if (!w->buffer) {
		w->buffer = msg_slot_alloc_buffer(w->class);
		if (!w->buffer)
			return -ENOMEM;
	}
	if (w->new_channel && !w->entry) {
		w->entry = kzalloc_obj(*w->entry, MSG_SLOT_GFP);
		if (!w->entry)
			return -ENOMEM;
	}
	if (w->reserve_user) {
		if (xa_reserve(&slot->users, w->uid, MSG_SLOT_GFP))
			return -ENOMEM;
		w->reserve_user = false;
		w->user_reserved = true;
	}
	return 0;
}

/*
 * Publish the entry of @w as a new channel, with the slot lock held.
 *
 * Return: 0, or -ENOMEM when the table is over 100% load, its worker has
 * not grown it yet, and the rhashtable cannot get a larger one without
 * sleeping; -ENOSPC when it holds 2^31 entries.
 */
static int msg_slot_add(struct msg_slot *slot, struct msg_slot_write *w)
{
	struct msg_slot_entry *entry = w->entry;
	int err;

	entry->id = w->key.id;
	entry->holder = w->uid;
	entry->len = w->len;
	seqcount_init(&entry->count);
	entry->msg = (unsigned long)w->buffer | w->class;
	entry->seq = msg_slot_next_stamp(slot);
	/*
	 * A release: who finds the entry sees it filled in. No duplicate
	 * check: under the slot lock the channel was just looked up.
	 */
	err = rhashtable_insert_fast(&slot->channels, &entry->node,
				     msg_slot_params);
	if (err)
		return err == -ENOMEM ? -ENOMEM : -ENOSPC;
	w->entry = NULL;
	msg_slot_count(slot, 1, 0, w->len);
	return 0;
}

/*
 * Store the message of @w, with the slot lock held, if it has all the
 * memory it needs.
 *
 * Return: 0, -ENOSPC, -ENOMEM, or -EAGAIN, having changed nothing, when
 * it needs a buffer, an entry, or a reservation first
 * (msg_slot_prealloc()).
 */
static int msg_slot_store(struct msg_slot *slot, struct msg_slot_write *w)
{
	struct msg_slot_entry *entry;
	u32 held = 0, holder;
	unsigned int old_len;
	bool taking;
	int err;

	lockdep_assert_held(&slot->lock);
	entry = msg_slot_lookup(slot, w->key.id);
	/* A racing writer may have made it an in-place write. */
	if (entry && !msg_slot_overwrite(slot, entry, w->msg, w->len, w->uid))
		return 0;

	taking = !entry || entry->holder != w->uid;
	if (taking) {
		held = msg_slot_held(slot, w->uid);
		if (held >= w->max_channels)
			return -ENOSPC;
		/* A new holder's record is allocated without the lock. */
		if (!held && !w->user_reserved) {
			w->reserve_user = true;
			return -EAGAIN;
		}
	}
	w->new_channel = !entry;
	if (!w->buffer || (!entry && !w->entry))
		return -EAGAIN;
	/*
	 * First, as it may fail: when a clear of the user's last channel
	 * erased the reservation meanwhile.
	 */
	if (taking && msg_slot_set_held(slot, w->uid, held + 1)) {
		w->reserve_user = true;
		return -EAGAIN;
	}
	memcpy(w->buffer, w->msg, w->len);

	if (!entry) {
		err = msg_slot_add(slot, w);
		if (err) {
			/* Lowers the count stored above: cannot fail. */
			msg_slot_set_held(slot, w->uid, held);
			return err;
		}
	} else {
		if (taking) {
			holder = entry->holder;
			msg_slot_set_held(slot, holder,
					  msg_slot_held(slot, holder) - 1);
			entry->holder = w->uid;
		}
		w->old_msg = entry->msg;
		old_len = entry->len;
		msg_slot_write_begin(slot, &entry->count);
		WRITE_ONCE(entry->msg, (unsigned long)w->buffer | w->class);
		WRITE_ONCE(entry->len, w->len);
		WRITE_ONCE(entry->seq, msg_slot_next_stamp(slot));
		msg_slot_write_end(&entry->count);
		msg_slot_count(slot, 0, old_len, w->len);
	}
	w->buffer = NULL;
	return 0;
}

static int msg_slot_store_locked(struct msg_slot *slot,
				 struct msg_slot_write *w)
{
	int err;

	/* A task that is being killed need not wait for writers. */
	if (mutex_lock_killable(&slot->lock))
		return -EINTR;
	err = msg_slot_store(slot, w);
	mutex_unlock(&slot->lock);
	return err;
}

/*
 * A write that needs memory: allocate it without the slot lock, and store
 * again, until it is stored or fails. Not inlined, so that the in-place
 * writes keep their state in registers.
 */
static noinline int msg_slot_write_alloc(struct msg_slot *slot,
					 struct msg_slot_key key,
					 const u8 *msg, unsigned int len,
					 kuid_t user, u32 max_channels,
					 bool new_channel)
{
	struct msg_slot_write w = {
		.key = key,
		.msg = msg,
		.len = len,
		.class = msg_slot_class(len),
		.uid = __kuid_val(user),
		.max_channels = min(max_channels, MSG_SLOT_MAX_CHANNELS),
		.new_channel = new_channel,
	};
	int err;

	do {
		err = msg_slot_prealloc(slot, &w) ?:
		      msg_slot_store_locked(slot, &w);
	} while (err == -EAGAIN);

	if (!err)
		msg_slot_wake(slot, key);
	/* What a racing writer made unnecessary, or a failure left. */
	kfree(w.buffer);
	kfree(w.entry);
	/* Only while still reserved: a stored count stays. */
	if (w.user_reserved)
		xa_release(&slot->users, w.uid);
	/* Lockless readers may still be copying from the old buffer. */
	if (w.old_msg)
		kfree_rcu_mightsleep(msg_slot_buffer(w.old_msg));
	return err;
}

/*
 * Memory is allocated before the slot lock is taken and charged to the
 * caller's memory cgroup, so writers of a slot never wait for another
 * one's allocation.
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -EINVAL for channel id 0, -EMSGSIZE for a bad
 * length, -ENOSPC when @user would hold more than @max_channels channels
 * (or the rhashtable refuses a new channel, see msg_slot_add()), -ENOMEM,
 * or -EINTR when the task was killed while waiting for another writer.
 */
int msg_slot_write_message(struct msg_slot *slot, struct msg_slot_key key,
			   const u8 *msg, unsigned int len, kuid_t user,
			   u32 max_channels)
{
	struct msg_slot_entry *entry;
	int err = -EAGAIN;

	if (!key.id)
		return -EINVAL;
	if (!len || len > MSG_SLOT_MAX_MSG_LEN)
		return -EMSGSIZE;

	/* Most writes replace a message in place, and need no memory. */
	if (mutex_lock_killable(&slot->lock))
		return -EINTR;
	entry = msg_slot_lookup(slot, key.id);
	if (entry)
		err = msg_slot_overwrite(slot, entry, msg, len,
					 __kuid_val(user));
	mutex_unlock(&slot->lock);

	if (err == -EAGAIN)
		return msg_slot_write_alloc(slot, key, msg, len, user,
					    max_channels, !entry);
	msg_slot_wake(slot, key);
	return 0;
}

/*
 * A clear frees the channel's entry too. The rhashtable's
 * worker shrinks a table left below 3/10 load.
 */
int msg_slot_clear(struct msg_slot *slot, struct msg_slot_key key)
{
	struct msg_slot_entry *entry;
	unsigned long msg = 0;
	u32 holder;

	if (!key.id)
		return 0;
	if (mutex_lock_killable(&slot->lock))
		return -EINTR;
	entry = msg_slot_lookup(slot, key.id);
	if (entry) {
		/* Allocates nothing; finds the entry, just looked up. */
		rhashtable_remove_fast(&slot->channels, &entry->node,
				       msg_slot_params);
		holder = entry->holder;
		msg_slot_set_held(slot, holder, msg_slot_held(slot, holder) - 1);
		msg_slot_count(slot, -1, entry->len, 0);
		msg = entry->msg;
	}
	mutex_unlock(&slot->lock);

	if (entry) {
		/* Lockless readers may still be copying from them. */
		kfree_rcu_mightsleep(msg_slot_buffer(msg));
		kfree_rcu(entry, rcu);
	}
	return 0;
}

void msg_slot_watcher_init(struct msg_slot_watcher *watcher)
{
	INIT_HLIST_NODE(&watcher->node);
	watcher->channel = 0;
	init_waitqueue_head(&watcher->wait);
}

/*
 * From then on every successful write to the channel wakes
 * @watcher->wait, and a look at the channel after this call sees every
 * write that does not.
 */
int msg_slot_watch(struct msg_slot *slot, struct msg_slot_watcher *watcher,
		   struct msg_slot_key key)
{
	if (!key.id)
		return -EINVAL;
	scoped_guard(spinlock, &slot->watch_lock) {
		if (watcher->channel)
			hlist_del(&watcher->node);
		else
			WRITE_ONCE(slot->nr_watchers, slot->nr_watchers + 1);
		hlist_add_head(&watcher->node,
			       msg_slot_watchers(slot, key.hash));
		/*
		 * Last, and a release: a task polling the same file that
		 * loads the channel here skips msg_slot_watch(), and then
		 * relies on nr_watchers raised above for msg_slot_wake() to
		 * look; the lock orders nothing for it, as it does not take
		 * it. Pairs with the smp_mb() after that load in
		 * msg_slot_poll().
		 */
		smp_store_release(&watcher->channel, key.id);
	}
	/*
	 * Pairs with the smp_mb() in msg_slot_wake(): the caller's look at
	 * the channel after this sees the message, or the writer sees the
	 * watcher.
	 */
	smp_mb();
	return 0;
}

void msg_slot_unwatch(struct msg_slot *slot, struct msg_slot_watcher *watcher)
{
	if (!watcher->channel)
		return;
	scoped_guard(spinlock, &slot->watch_lock) {
		hlist_del_init(&watcher->node);
		WRITE_ONCE(slot->nr_watchers, slot->nr_watchers - 1);
		WRITE_ONCE(watcher->channel, 0);
	}
}

u32 msg_slot_nr_channels(struct msg_slot *slot)
{
	return READ_ONCE(slot->nr_channels);
}

/* The counters from one moment, never waiting for a writer. */
void msg_slot_get_stats(struct msg_slot *slot, struct msg_slot_stats *stats)
{
	unsigned int start;

	do {
		start = read_seqcount_begin(&slot->stats_count);
		stats->channels = slot->nr_channels;
		stats->bytes = slot->nr_bytes;
		stats->writes = slot->nr_writes;
	} while (read_seqcount_retry(&slot->stats_count, start));
}
