// SPDX-License-Identifier: GPL-2.0
/*
 * Channel store of the message_slot driver on an xarray: the benchmark's
 * answer to "why not an xarray?", never part of the series. It keeps the
 * contract of drivers/char/message_slot/store.c (its kernel-doc holds
 * here word for word, but for what it says about the table), its message
 * buffers, its per-user bound and its watchers; only the index differs.
 *
 * The xarray maps a channel id to an entry object, allocated apart:
 *
 *	id, holder, len, seqcount	16 bytes
 *	tagged message buffer		 8
 *	stamp of the message		 8
 *	rcu_head			16
 *
 * 48 bytes, in kmalloc-cg-64 (without lock debugging). A reader finds the
 * entry under rcu_read_lock() and copies the message within the entry's
 * seqcount; a writer, under the slot mutex, overwrites the buffer in place
 * when the size class and the holder stay, and otherwise points the entry
 * at a new buffer, the old one freed after a grace period. A clear erases
 * the entry, which then goes after a grace period too.
 *
 * Memory per channel (x86_64, no debug options), beside the buffer, the
 * same in every store: a kmalloc-cg-{8,16,32,64,128} object, the smallest
 * power of two from 8 bytes that holds the message:
 *
 *	entry object			64 bytes (kmalloc-cg-64)
 *	xarray nodes (576 bytes each, 64 slots, in radix_tree_node):
 *	  dense ids 1..2^20		~9 bytes: a leaf per 64 ids, plus
 *					1/64 of that above; 4 levels
 *	  random 32-bit ids, 2^20	~945 bytes: 1.64 nodes per channel,
 *					as nearly every id has a leaf of its
 *					own and 63% a node above it too
 *	  random 32-bit ids, 2^16	~1280 bytes (2.2 nodes)
 *	  random 32-bit ids, 2^10	~1850 bytes (3.2 nodes); 6 levels
 *
 * store.c has no entry objects: its table takes 28 bytes a slot, 32 to 48
 * bytes a channel at its usual 7/8 to 58% load, up to 112 just before it
 * shrinks at 1/4, whatever the ids.
 *
 * Cache lines a lookup of a present channel touches: the xarray's head in
 * the slot (1); in each node, its shift (line 0 of the node) and the slot
 * taken (line 0 too only for slots 0-2 of 64), so about 2 a level, a
 * little over 1 for the top node, whose first few slots only are used;
 * then the entry (1) and the buffer (1, or 2 for 65..128 bytes):
 *
 *	dense ids up to 2^20, 4 levels		1 + 1.25 + 3 x 2 + 1 + 1-2 = 10-11
 *	random 32-bit ids, 6 levels		1 + 1.25 + 5 x 2 + 1 + 1-2 = 14-15
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
 *     msg_slot.channels, msg_slot.users (xarray lock): inside the mutex,
 *                          or alone to reserve an index before it
 *   msg_slot.watch_lock (spinlock): guards the watcher lists
 *     msg_slot_watcher.wait (wait queue lock): taken to wake a watcher
 *
 * As in store.c, a writer allocates before it takes the mutex: the
 * buffer, a new channel's entry, and a reservation of the channel's
 * xarray slot (xa_reserve()), which makes the store under the mutex
 * allocation-free, so writers never wait for another one's allocation.
 * Everything is charged to the writer's memory cgroup, the xarray's nodes
 * too (XA_FLAGS_ACCOUNT).
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
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

/* Entries msg_slot_free() visits between two chances to reschedule. */
#define MSG_SLOT_RESCHED_BATCH	1024

/*
 * Buffers as in store.c: power-of-two kmalloc() buffers of 8 to 128
 * bytes, naturally aligned, so the low bits of the address record the
 * size class, and a reader never copies more than the buffer it loaded.
 */
#define MSG_SLOT_MIN_CLASS_SHIFT	3
#define MSG_SLOT_CLASS_MASK		7UL

/* As in store.c: charged to the writer, worth no OOM kill nor warning. */
#define MSG_SLOT_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
/* Under the slot lock, where only a reserved xarray slot may be stored. */
#define MSG_SLOT_LOCKED_GFP	(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN)

/* A channel; see the top of the file. */
struct msg_slot_entry {
	u32 id;			/* channel id */
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

	/* Its nodes are charged to whoever writes the channel. */
	xa_init_flags(&slot->channels, XA_FLAGS_ACCOUNT);
	mutex_init(&slot->lock);
	xa_init(&slot->users);
	seqcount_init(&slot->stats_count);
	spin_lock_init(&slot->watch_lock);
	for (i = 0; i < MSG_SLOT_WATCH_BUCKETS; i++)
		INIT_HLIST_HEAD(&slot->watchers[i]);
	get_random_bytes(&slot->hash_key, sizeof(slot->hash_key));
	return slot;
}

/* No reader, writer or watcher may use @slot any more. */
void msg_slot_free(struct msg_slot *slot)
{
	struct msg_slot_entry *entry;
	unsigned long id, n = 0;

	if (!slot)
		return;
	xa_for_each(&slot->channels, id, entry) {
		kfree(msg_slot_buffer(entry->msg));
		kfree(entry);
		/* A full slot holds a million messages. */
		if (!(++n % MSG_SLOT_RESCHED_BATCH))
			cond_resched();
	}
	xa_destroy(&slot->channels);
	xa_destroy(&slot->users);
	mutex_destroy(&slot->lock);
	kfree(slot);
}

/*
 * Load the length and stamp of channel @key, and copy its message to @buf
 * unless @buf is NULL, all from one moment of the channel. The entry, if
 * any, is alive until rcu_read_unlock(), even if a clear erases it, and so
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
	/* Nothing is ever stored at id 0; a reserved id reads as NULL. */
	entry = xa_load(&slot->channels, key.id);
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
	bool index_reserved;	/* its xarray slot was: release if unused */
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
	/* The nodes down to the channel's slot: a store there cannot fail. */
	if (w->new_channel && !w->index_reserved) {
		if (xa_reserve(&slot->channels, w->key.id, MSG_SLOT_GFP))
			return -ENOMEM;
		w->index_reserved = true;
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
 * Return: 0, or -EAGAIN when the xarray slot reserved is gone (another
 * writer created the channel in it, and a clear erased it since): then
 * it must be reserved again.
 */
static int msg_slot_add(struct msg_slot *slot, struct msg_slot_write *w)
{
	struct msg_slot_entry *entry = w->entry;

	entry->id = w->key.id;
	entry->holder = w->uid;
	entry->len = w->len;
	seqcount_init(&entry->count);
	entry->msg = (unsigned long)w->buffer | w->class;
	entry->seq = msg_slot_next_stamp(slot);
	/* A release: who finds the entry sees it filled in. */
	if (xa_err(xa_store(&slot->channels, w->key.id, entry,
			    MSG_SLOT_LOCKED_GFP))) {
		w->index_reserved = false;
		return -EAGAIN;
	}
	w->entry = NULL;
	msg_slot_count(slot, 1, 0, w->len);
	return 0;
}

/*
 * Store the message of @w, with the slot lock held, if it has all the
 * memory it needs.
 *
 * Return: 0, -ENOSPC, or -EAGAIN, having changed nothing, when it needs
 * a buffer, an entry, or a reservation first (msg_slot_prealloc()).
 */
static int msg_slot_store(struct msg_slot *slot, struct msg_slot_write *w)
{
	struct msg_slot_entry *entry;
	u32 held = 0, holder;
	unsigned int old_len;
	bool taking;
	int err;

	lockdep_assert_held(&slot->lock);
	entry = xa_load(&slot->channels, w->key.id);
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
	if (!w->buffer || (!entry && (!w->entry || !w->index_reserved)))
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
	/* Each releases only a reservation still unused. */
	if (w.index_reserved)
		xa_release(&slot->channels, key.id);
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
 * length, -ENOSPC when @user would hold more than @max_channels channels,
 * -ENOMEM, or -EINTR when the task was killed while waiting for another
 * writer.
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
	entry = xa_load(&slot->channels, key.id);
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
 * A clear frees the channel's entry too. The xarray frees
 * the nodes left empty.
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
	entry = xa_load(&slot->channels, key.id);
	if (entry) {
		/* Erasing allocates nothing: it cannot fail. */
		xa_erase(&slot->channels, key.id);
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
