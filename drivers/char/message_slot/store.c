// SPDX-License-Identifier: GPL-2.0
/*
 * Channel store of the message_slot driver.
 *
 * A slot maps 32-bit channel ids to messages in an open-addressing hash
 * table with linear probing. Each entry, 24 bytes on 64-bit, holds the id,
 * the message length, how far the entry lies from its home (the entry its
 * hash points at), a tagged pointer to the message buffer and the stamp of
 * the write that stored the message: a slot numbers its writes, and poll()
 * compares a channel's stamp with that of the message a file last read.
 * Beside the entries, the table records the user who holds each channel:
 * the one who wrote its message last. Clearing a channel removes its entry.
 * The table is at most 7/8 full and is replaced by one for half as many
 * channels again when it fills, or when less than a quarter of it is in
 * use, and a slot that holds nothing has no table, so memory follows the
 * number of channels, whether their ids are dense or scattered over the
 * whole 32-bit space, and comes back when they go.
 *
 * A table is made of segments of 128 entries. A table of one segment is
 * replaced whole by another of one segment, at 7/8 load; any other change
 * of table is a resize, since moving every channel at once would stop the
 * writers of the slot for a time that grows with the table. A growth
 * starts it early, at 3/4 load: each write that creates a channel, and
 * each clear, adds one segment to the new table, and once that is whole,
 * moves a small batch of channels to it. Meanwhile readers and writers
 * look in both tables, and new channels go to the new one; the new table
 * has room for every channel created before the resize ends. A slot's
 * work moves the rest when nobody writes, and old tables are freed a
 * batch of segments at a time, by writes and by that work, once readers
 * are done with them. No write then pays for more than one segment and
 * one batch of each, but one: a table that holds one user's max_channels
 * grows only when another user's write finds it full, and that write adds
 * the new table's segments first.
 *
 * Entries are kept in the order of their homes (Robin Hood hashing): a new
 * channel goes before the first entry whose home lies past its own, and the
 * entries from there to the next free one move down by one; a removed
 * channel's followers, up to the next free entry or the next one at its
 * home, move up by one. No entry then lies much further from its home than
 * the others, even at 7/8 load, and a lookup of a channel that does not
 * exist stops at the first entry that lies closer to its home than the
 * channel would, instead of walking on to a free entry. Both bound the
 * slowest lookups, not only the average.
 *
 * Ids are hashed with hsiphash under a random key of the slot, so that ids
 * chosen to collide do not make long probe chains. Callers hash an id
 * once, with msg_slot_key(), and pass that key to every lookup: an open
 * file hashes its channel when it selects it, not on every read and write.
 *
 * Any user who can open the slot's device node may write it, so no user
 * may take the slot from the others: each user holds at most a bound of
 * channels of a slot (the max_channels parameter), counted per slot in
 * msg_slot.users, and every allocation a write makes, table growth
 * included, is charged to the writer's memory cgroup. A slot as a whole is
 * then bounded by its users' bounds and their cgroups.
 *
 * Locking:
 *
 *   msg_slot.grow_lock (mutex): one writer at a time allocates a larger or
 *                          a smaller table; taken only by writers that
 *                          need one
 *   msg_slot.lock (mutex): serialises the writers of a slot, and the
 *                          slot's work; held for bounded work, which
 *                          allocates nothing
 *     msg_slot.stripes[], msg_slot.moves, msg_slot.stats_count
 *                          (seqcount): write side taken under the mutex,
 *                          preemption disabled
 *     msg_slot.users (xarray lock): taken inside the mutex only
 *   msg_slot.watch_lock (spinlock): guards the watcher lists
 *     msg_slot_watcher.wait (wait queue lock): taken to wake a watcher
 *
 * Nothing waits on the mutex but writers: allocations happen before it is
 * taken, and poll(), close() and the counters never take it. A writer
 * that finds it needs memory drops the mutex, allocates, and looks again.
 * Writers that find the table full grow it one at a time, so that however
 * many of them there are, a slot allocates one table at a time.
 *
 * Readers take no lock. They run under rcu_read_lock(), which keeps the
 * table and every message buffer they may see alive, and validate their
 * copy against the seqcount stripe of the channel, retrying if a writer
 * changed that channel meanwhile, and against the slot's moves seqcount,
 * retrying if a new or a removed channel moved entries. A read therefore
 * always returns one whole message, never a mix of two, and never waits
 * for a writer that sleeps in an allocation. Channels are spread over
 * several stripes so that writes to one channel rarely make readers of
 * another retry, without paying a sequence counter in every entry.
 *
 * A writer wakes only the watchers of the channel it wrote, found in a
 * small hash of lists, and looks there only when the slot has watchers:
 * a write nobody waits for pays a barrier, one load and a branch. A
 * watcher registers before it looks at the channel, and a writer looks
 * for watchers after it has stored the message, each with a full barrier
 * in between, so a message is either seen by the watcher or followed by
 * its wake-up. Another task polling the same file, which finds the
 * channel watched and does not register, gets the same from the release
 * that publishes the watcher's channel last and a full barrier between
 * its load of that channel and its look (msg_slot_poll()).
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/bits.h>
#include <linux/cleanup.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

#define MSG_SLOT_MIN_CAPACITY	8

/*
 * A segment is a page: 128 entries and their holders on 4 KiB pages, 28
 * bytes each on 64-bit within 32. Pages, not slab objects, so that the
 * segments of an old table go back to the page allocator when freed, and
 * do not leave holes in slabs that the new table's segments keep. A table
 * of up to one segment's entries is a single segment of its own size, in
 * the allocation of the table.
 */
#define MSG_SLOT_SEGMENT_SHIFT		(PAGE_SHIFT - 5)
#define MSG_SLOT_SEGMENT_ENTRIES	BIT(MSG_SLOT_SEGMENT_SHIFT)
#define MSG_SLOT_SEGMENT_MASK		(MSG_SLOT_SEGMENT_ENTRIES - 1)
/*
 * Entries of the old table that one step of a resize visits: a free one,
 * passed, or a channel, moved. Emptying a table visits each of its
 * channels once and each free entry once: at most twice its capacity.
 */
#define MSG_SLOT_RESIZE_BATCH		32
/* Segments of retired tables that a write, a clear or a work step frees. */
#define MSG_SLOT_FREE_BATCH		16
/*
 * The slot's work takes up to 4 steps a run, the slot lock dropped between
 * two, and runs again a jiffy later while it has work left: an old table
 * of 2^20 channels empties in about a minute with nobody writing.
 */
#define MSG_SLOT_WORK_STEPS		4
#define MSG_SLOT_WORK_DELAY		1

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
 * A failed allocation is reported to the writer as -ENOMEM: it is worth
 * neither an OOM kill nor a warning. Whoever makes the kernel keep memory
 * pays for it: message buffers, a table grown or shrunk, and the record of
 * a user's channels are charged to the memory cgroup of the writer (or the
 * clearer) that allocates them, as the nodes of an xarray are.
 */
#define MSG_SLOT_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
/* Under the slot lock, where only a reserved record may be stored. */
#define MSG_SLOT_USER_GFP	(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN)

struct msg_slot_entry {
	u32 id;			/* channel id; 0 marks a free entry */
	u16 len;		/* length of the message */
	u16 probe;		/* 1 + distance from the home entry; 0 if free */
	unsigned long msg;	/* message buffer | size class */
	u64 seq;		/* stamp of the write that stored the message */
};

/*
 * A table of @capacity entries in @nr_segments segments, of which the
 * first @nr_allocated exist: all of them once readers may see the table.
 * Each segment holds its entries, then the holders of their channels: the
 * uid of the user who holds each one. Only writers look at the holders,
 * so they are kept apart from what readers probe.
 *
 * A table replaced whole is freed after a grace period, by kvfree_rcu();
 * a larger one, on the slot's list of @retired tables, a batch of
 * segments at a time once @retired_state says readers are done with it.
 */
struct msg_slot_table {
	union {
		struct rcu_head rcu;
		struct list_head retired;
	};
	unsigned long retired_state;
	u32 capacity;
	u32 nr_allocated;
	u32 nr_segments;
	struct msg_slot_entry *segments[] __counted_by(nr_segments);
};

static struct msg_slot_entry *msg_slot_entry(const struct msg_slot_table *table,
					     u32 at)
{
	return &table->segments[at >> MSG_SLOT_SEGMENT_SHIFT]
			       [at & MSG_SLOT_SEGMENT_MASK];
}

/* Entries in each segment of @table: all of them, for a small one. */
static u32 msg_slot_segment_len(const struct msg_slot_table *table)
{
	return min(table->capacity, MSG_SLOT_SEGMENT_ENTRIES);
}

static size_t msg_slot_segment_size(u32 len)
{
	return array_size(len, sizeof(struct msg_slot_entry) + sizeof(u32));
}

static u32 *msg_slot_holder(const struct msg_slot_table *table, u32 at)
{
	struct msg_slot_entry *segment;

	segment = table->segments[at >> MSG_SLOT_SEGMENT_SHIFT];
	return (u32 *)(segment + msg_slot_segment_len(table)) +
	       (at & MSG_SLOT_SEGMENT_MASK);
}

static bool msg_slot_table_small(u32 capacity)
{
	return capacity <= MSG_SLOT_SEGMENT_ENTRIES;
}

/* A segment for a table of more than one. */
static struct msg_slot_entry *msg_slot_alloc_segment(void)
{
	BUILD_BUG_ON(MSG_SLOT_SEGMENT_ENTRIES *
		     (sizeof(struct msg_slot_entry) + sizeof(u32)) > PAGE_SIZE);
	return (struct msg_slot_entry *)get_zeroed_page(MSG_SLOT_GFP);
}

static void msg_slot_free_segment(struct msg_slot_entry *segment)
{
	free_page((unsigned long)segment);
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

/* Most channels that a table of @capacity entries takes: 7/8 of it. */
static u32 msg_slot_capacity_max(u32 capacity)
{
	u32 nr = (capacity - 1) / 8 * 7;

	while (msg_slot_capacity_for(nr + 1) <= capacity)
		nr++;
	return nr;
}

/*
 * Find the entry of @id, or else the entry where it would go: the first
 * one whose home lies past the home of @id, or a free one. *@found tells
 * which. Every table keeps at least 1/8 of its entries free, so the probe
 * always ends.
 *
 * Return: the index of that entry in @table.
 */
static u32 msg_slot_probe(const struct msg_slot_table *table, u32 hash,
			  u32 id, bool *found)
{
	u32 i = reciprocal_scale(hash, table->capacity);
	u32 probe;

	for (probe = 1;; probe++) {
		struct msg_slot_entry *entry = msg_slot_entry(table, i);

		/* Pairs with the release in msg_slot_insert(). */
		*found = smp_load_acquire(&entry->id) == id;
		if (*found || READ_ONCE(entry->probe) < probe)
			return i;
		if (++i == table->capacity)
			i = 0;
	}
}

/*
 * Move entry @from of @table to entry @to, at @probe from its home, with
 * its holder. Readers that may see @table load these fields without a
 * lock: every store is whole, and the caller holds the moves seqcount.
 */
static void msg_slot_move(struct msg_slot_table *table, u32 to, u32 from,
			  u16 probe)
{
	struct msg_slot_entry *dst = msg_slot_entry(table, to);
	struct msg_slot_entry *src = msg_slot_entry(table, from);

	WRITE_ONCE(dst->len, src->len);
	WRITE_ONCE(dst->msg, src->msg);
	WRITE_ONCE(dst->seq, src->seq);
	WRITE_ONCE(dst->probe, probe);
	WRITE_ONCE(dst->id, src->id);
	*msg_slot_holder(table, to) = *msg_slot_holder(table, from);
}

/*
 * Make room in @table at entry @at, where msg_slot_probe() stopped for a
 * new entry of hash @hash: move the entries from there to the next free
 * one down by one entry, which keeps the table in the order of homes, and
 * set the probe of @at for the new entry. The caller fills in the rest of
 * @at, the id last, and brackets the move with the moves seqcount if
 * readers may see @table.
 *
 * Return: false, changing nothing, when an entry would lie further from
 * its home than the probe field can say. With ids hashed under the slot's
 * key, that needs a run of 65535 full entries and does not happen.
 */
static bool msg_slot_make_room(struct msg_slot_table *table, u32 at,
			       u32 hash)
{
	u32 home = reciprocal_scale(hash, table->capacity);
	u32 probe = (at >= home ? at : at + table->capacity) - home + 1;
	u32 free = at, prev;

	if (probe > U16_MAX)
		return false;
	while (msg_slot_entry(table, free)->id) {
		if (msg_slot_entry(table, free)->probe == U16_MAX)
			return false;
		if (++free == table->capacity)
			free = 0;
	}
	/* From the end, so that no entry is ever missing from the table. */
	while (free != at) {
		prev = free ? free - 1 : table->capacity - 1;
		msg_slot_move(table, free, prev,
			      msg_slot_entry(table, prev)->probe + 1);
		free = prev;
	}
	WRITE_ONCE(msg_slot_entry(table, at)->probe, probe);
	return true;
}

/*
 * Remove entry @at from @table (backward-shift deletion): move the entries that
 * follow it up by one, up to the next free entry or the next one at its
 * home, and free the last entry moved. The table stays in the order of
 * homes, with no free entry inside a run that a probe could stop at. The
 * caller brackets the moves with the moves seqcount.
 */
static void msg_slot_remove(struct msg_slot_table *table, u32 at)
{
	struct msg_slot_entry *pos;
	u32 next;

	for (;; at = next) {
		next = at + 1 == table->capacity ? 0 : at + 1;
		/* Free (0) or at its home (1): it stays where it is. */
		if (msg_slot_entry(table, next)->probe <= 1)
			break;
		msg_slot_move(table, at, next,
			      msg_slot_entry(table, next)->probe - 1);
	}
	pos = msg_slot_entry(table, at);
	WRITE_ONCE(pos->id, 0);
	WRITE_ONCE(pos->probe, 0);
	WRITE_ONCE(pos->msg, 0);
	WRITE_ONCE(pos->len, 0);
	WRITE_ONCE(pos->seq, 0);
}

static void msg_slot_work(struct work_struct *work);

/**
 * msg_slot_alloc() - allocate an empty slot
 *
 * Return: the new slot, or NULL when out of memory.
 */
struct msg_slot *msg_slot_alloc(void)
{
	struct msg_slot *slot;
	unsigned int i;

	/* Charged to whoever opens the minor first. */
	slot = kzalloc_obj(*slot, GFP_KERNEL_ACCOUNT);
	if (!slot)
		return NULL;

	mutex_init(&slot->lock);
	mutex_init(&slot->grow_lock);
	seqcount_init(&slot->stats_count);
	seqcount_init(&slot->moves);
	INIT_LIST_HEAD(&slot->retired);
	INIT_DELAYED_WORK(&slot->work, msg_slot_work);
	xa_init(&slot->users);
	spin_lock_init(&slot->watch_lock);
	for (i = 0; i < MSG_SLOT_STRIPES; i++)
		seqcount_init(&slot->stripes[i]);
	for (i = 0; i < MSG_SLOT_WATCH_BUCKETS; i++)
		INIT_HLIST_HEAD(&slot->watchers[i]);
	get_random_bytes(&slot->hash_key, sizeof(slot->hash_key));
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc);

/*
 * Free @table, which nobody can see any more, with the messages of its
 * channels if @messages.
 */
static void msg_slot_free_table(struct msg_slot_table *table, bool messages)
{
	u32 i, at;

	if (!table)
		return;
	for (i = 0; i < table->nr_allocated; i++) {
		for (at = 0; messages && at < msg_slot_segment_len(table); at++)
			kfree(msg_slot_buffer(table->segments[i][at].msg));
		if (!msg_slot_table_small(table->capacity))
			msg_slot_free_segment(table->segments[i]);
		/* A full slot holds a million messages. */
		cond_resched();
	}
	kvfree(table);
}

/**
 * msg_slot_free() - free a slot and every message in it
 * @slot: the slot; no reader, writer or watcher may use it any more
 */
void msg_slot_free(struct msg_slot *slot)
{
	struct msg_slot_table *table, *next;

	if (!slot)
		return;

	cancel_delayed_work_sync(&slot->work);
	msg_slot_free_table(rcu_dereference_protected(slot->table, true), true);
	msg_slot_free_table(slot->resize, true);
	list_for_each_entry_safe(table, next, &slot->retired, retired)
		msg_slot_free_table(table, false);
	xa_destroy(&slot->users);
	mutex_destroy(&slot->grow_lock);
	mutex_destroy(&slot->lock);
	kfree(slot);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_free);

/*
 * Load the length and stamp of channel @key, and copy its message to
 * @buf unless @buf is NULL, all from one moment of the channel.
 */
static inline unsigned int
msg_slot_load(struct msg_slot *slot, struct msg_slot_key key, u8 *buf, u64 *seq)
{
	seqcount_t *stripe = msg_slot_stripe(slot, key.hash);
	struct msg_slot_table *table;
	struct msg_slot_entry *entry;
	unsigned int len, start, moves;
	unsigned long msg;
	bool found;
	u32 at;

	rcu_read_lock();
	do {
		start = read_seqcount_begin(stripe);
		moves = read_seqcount_begin(&slot->moves);
		len = 0;
		*seq = 0;
		/* Id 0 would match free entries; no channel ever has it. */
		table = key.id ? rcu_dereference(slot->table) : NULL;
		if (!table)
			continue;
		at = msg_slot_probe(table, key.hash, key.id, &found);
		if (!found) {
			/*
			 * A resize may have moved the channel, or created it
			 * there. Both move entries within the moves seqcount,
			 * which the new table's publication comes before.
			 */
			table = rcu_dereference(slot->next);
			if (!table)
				continue;
			at = msg_slot_probe(table, key.hash, key.id, &found);
			if (!found)
				continue;
		}
		entry = msg_slot_entry(table, at);
		*seq = READ_ONCE(entry->seq);
		msg = READ_ONCE(entry->msg);
		/* An entry being removed may have no buffer left. */
		if (!msg)
			continue;
		/*
		 * Never more than the buffer loaded holds, which is at most
		 * MSG_SLOT_MAX_MSG_LEN, whatever a racing writer left in len.
		 */
		len = min_t(unsigned int, READ_ONCE(entry->len),
			    msg_slot_class_size(msg));
		if (buf)
			memcpy(buf, msg_slot_buffer(msg), len);
	} while (read_seqcount_retry(&slot->moves, moves) ||
		 read_seqcount_retry(stripe, start));
	rcu_read_unlock();

	return len;
}

/**
 * msg_slot_read_message() - copy the current message of a channel
 * @slot: the slot
 * @key: the channel, from msg_slot_key() of @slot
 * @buf: destination of at least %MSG_SLOT_MAX_MSG_LEN bytes
 * @seq: set to the stamp of the write that stored the message
 *
 * Never sleeps. It may spin while a writer of the same stripe copies a
 * message, which the writer does with preemption disabled.
 *
 * Return: the length of the message copied to @buf, or 0 when the channel
 * holds no message.
 */
unsigned int msg_slot_read_message(struct msg_slot *slot,
				   struct msg_slot_key key, u8 *buf, u64 *seq)
{
	return msg_slot_load(slot, key, buf, seq);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_read_message);

/**
 * msg_slot_channel_info() - length and stamp of a channel's message
 * @slot: the slot
 * @key: the channel, from msg_slot_key() of @slot
 * @seq: set to the stamp of the write that stored the message, 0 if none
 *
 * Never sleeps.
 *
 * Return: the length of the channel's message, 0 when it holds none.
 */
unsigned int msg_slot_channel_info(struct msg_slot *slot,
				   struct msg_slot_key key, u64 *seq)
{
	return msg_slot_load(slot, key, NULL, seq);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_channel_info);

/*
 * The allocations of a write, kept apart so that KUnit can make them
 * fail: a message buffer of size class @class, and a table of @capacity
 * entries. A small table comes whole, its one segment after its segment
 * table; a larger one comes without segments, which a resize adds one at
 * a time (see msg_slot_resize_step()).
 */
VISIBLE_IF_KUNIT void *msg_slot_alloc_buffer(unsigned int class)
{
	KUNIT_STATIC_STUB_REDIRECT(msg_slot_alloc_buffer, class);
	return kmalloc(1U << (class + MSG_SLOT_MIN_CLASS_SHIFT), MSG_SLOT_GFP);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc_buffer);

VISIBLE_IF_KUNIT struct msg_slot_table *msg_slot_alloc_table(u32 capacity)
{
	u32 nr_segments = DIV_ROUND_UP(capacity, MSG_SLOT_SEGMENT_ENTRIES);
	bool small = msg_slot_table_small(capacity);
	struct msg_slot_table *table;
	size_t size;

	KUNIT_STATIC_STUB_REDIRECT(msg_slot_alloc_table, capacity);
	size = struct_size(table, segments, nr_segments);
	if (small)
		size = size_add(size, msg_slot_segment_size(capacity));
	table = kvzalloc(size, MSG_SLOT_GFP);
	if (!table)
		return NULL;
	table->capacity = capacity;
	table->nr_segments = nr_segments;
	if (small) {
		table->segments[0] = (struct msg_slot_entry *)
				     (table->segments + nr_segments);
		table->nr_allocated = 1;
	}
	return table;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_alloc_table);

/* Whether @table, if any, can take channel number @nr + 1. */
static bool msg_slot_table_fits(const struct msg_slot_table *table, u32 nr)
{
	return table && msg_slot_capacity_for(nr + 1) <= table->capacity;
}

/*
 * Whether @table, for @nr channels, is 3/4 full: where the resize of a
 * table that grows a segment at a time starts, so that it ends before the
 * table is 7/8 full.
 */
static bool msg_slot_table_filling(const struct msg_slot_table *table, u32 nr)
{
	return table && (u64)(nr + 1) * 4 > (u64)table->capacity * 3;
}

/*
 * Whether @table, for @nr channels, has become sparse enough to shrink:
 * less than a quarter in use. A shrunk table is 58% full, so it takes
 * half as many channels again before it grows, or losing more than half
 * of them before it shrinks again: a slot that clears and refills does not
 * resize on every step.
 */
static bool msg_slot_table_sparse(const struct msg_slot_table *table, u32 nr)
{
	return table && table->capacity > MSG_SLOT_MIN_CAPACITY &&
	       nr < table->capacity / 4;
}

/*
 * The channels a table replacing a full one of @nr channels is for: half
 * as many again. A growth stops once at @max_channels, the bound of one
 * user, so that one user alone who fills its bound fills the table 7/8.
 */
static u32 msg_slot_next_want(u32 nr, u32 max_channels)
{
	u32 want = nr + nr / 2;

	if (nr < max_channels)
		want = min(want, max_channels);
	return max(want, nr + 1);
}

/*
 * Whether a table of @capacity entries replaces @table whole: both of one
 * segment, which a write copies at the cost of a few.
 */
static bool msg_slot_replaces_whole(const struct msg_slot_table *table,
				    u32 capacity)
{
	return msg_slot_table_small(capacity) &&
	       (!table || msg_slot_table_small(table->capacity));
}

/*
 * The capacity of the table that replaces @table, for @nr channels now
 * and @want later. A resize, unless both tables are of one segment, also
 * leaves room for every channel that may be created before it ends: one
 * a step, while it allocates a segment of the new table a step, and while
 * it visits MSG_SLOT_RESIZE_BATCH entries of @table a step, at most twice
 * its capacity in all. A segment holds 112 channels at 7/8 load, so 1/64
 * of them covers the first.
 */
static u32 msg_slot_new_capacity(const struct msg_slot_table *table, u32 nr,
				 u32 want)
{
	u32 steps;

	if (msg_slot_replaces_whole(table, msg_slot_capacity_for(want)))
		return msg_slot_capacity_for(want);
	steps = table ? DIV_ROUND_UP(table->capacity * 2, MSG_SLOT_RESIZE_BATCH) :
			0;
	want = max(want, nr + steps + (nr + steps) / 64 + 2);
	return msg_slot_capacity_for(want);
}

/* The capacity a growth of @table, for @nr channels, gives it. */
static u32 msg_slot_grown_capacity(const struct msg_slot_table *table, u32 nr,
				   u32 max_channels)
{
	u32 full = table ? msg_slot_capacity_max(table->capacity) : 0;

	return msg_slot_new_capacity(table, nr,
				     msg_slot_next_want(full, max_channels));
}

/* The capacity a shrink of sparse @table, to @nr channels, gives it. */
static u32 msg_slot_shrunk_capacity(const struct msg_slot_table *table, u32 nr)
{
	return msg_slot_new_capacity(table, nr, msg_slot_next_want(nr, nr));
}

static struct msg_slot_table *msg_slot_table_locked(struct msg_slot *slot)
{
	return rcu_dereference_protected(slot->table,
					 lockdep_is_held(&slot->lock));
}

static struct msg_slot_table *msg_slot_next_locked(struct msg_slot *slot)
{
	return rcu_dereference_protected(slot->next,
					 lockdep_is_held(&slot->lock));
}

/*
 * Free @table once readers are done with it: a small one by RCU, a larger
 * one by the slot's work, a batch of segments at a time (see
 * msg_slot_free_retired()), since freeing a million channels' segments at
 * once would stop whoever does it for as long as rehashing them.
 */
static void msg_slot_retire(struct msg_slot *slot, struct msg_slot_table *table)
{
	lockdep_assert_held(&slot->lock);
	if (!table)
		return;
	if (msg_slot_table_small(table->capacity)) {
		kvfree_rcu(table, rcu);
		return;
	}
	table->retired_state = start_poll_synchronize_rcu();
	list_add_tail(&table->retired, &slot->retired);
	schedule_delayed_work(&slot->work, MSG_SLOT_WORK_DELAY);
}

/* Free a batch of segments of retired tables that no reader can see. */
static void msg_slot_free_retired(struct msg_slot *slot)
{
	struct msg_slot_table *table, *next;
	struct msg_slot_entry *segment;
	unsigned int nr_freed = 0;

	lockdep_assert_held(&slot->lock);
	list_for_each_entry_safe(table, next, &slot->retired, retired) {
		if (!poll_state_synchronize_rcu(table->retired_state))
			return;
		while (table->nr_allocated && nr_freed < MSG_SLOT_FREE_BATCH) {
			segment = table->segments[--table->nr_allocated];
			msg_slot_free_segment(segment);
			nr_freed++;
		}
		if (table->nr_allocated)
			return;
		list_del(&table->retired);
		kvfree(table);
	}
}

/*
 * Copy entry @from of @old, a channel of @slot, to @new, or else return
 * false: only where msg_slot_make_room() would. Readers may see @new, if
 * the caller holds the moves seqcount, or not yet.
 */
static bool msg_slot_copy(struct msg_slot *slot, struct msg_slot_table *new,
			  struct msg_slot_table *old, u32 from)
{
	struct msg_slot_entry *src = msg_slot_entry(old, from), *dst;
	u32 hash = msg_slot_key(slot, src->id).hash, at;
	bool found;

	at = msg_slot_probe(new, hash, src->id, &found);
	if (!msg_slot_make_room(new, at, hash))
		return false;
	dst = msg_slot_entry(new, at);
	WRITE_ONCE(dst->len, src->len);
	WRITE_ONCE(dst->msg, src->msg);
	WRITE_ONCE(dst->seq, src->seq);
	*msg_slot_holder(new, at) = *msg_slot_holder(old, from);
	/*
	 * Last, as in msg_slot_insert(): who finds the id sees the message.
	 * Pairs with the acquire in msg_slot_probe().
	 */
	smp_store_release(&dst->id, src->id);
	return true;
}

/*
 * Replace @slot's table with @new, at once, when both are of one segment
 * (see msg_slot_replaces_whole()): copy every channel to it and publish
 * it. Readers may go on using the
 * old table until a grace period has passed; nothing writes to it any
 * more, so what they find there is a consistent, if older, view.
 *
 * Return: false when a channel finds no room (see msg_slot_make_room());
 * the slot then keeps its table.
 */
static bool msg_slot_rehash(struct msg_slot *slot, struct msg_slot_table *new)
{
	struct msg_slot_table *old = msg_slot_table_locked(slot);
	u32 at;

	for (at = 0; old && at < old->capacity; at++)
		if (msg_slot_entry(old, at)->id &&
		    !msg_slot_copy(slot, new, old, at))
			return false;
	rcu_assign_pointer(slot->table, new);
	msg_slot_retire(slot, old);
	return true;
}

/*
 * Start to move @slot's channels to @new. A table of one segment comes
 * whole, and readers may look in it at once (see msg_slot_resize_step()).
 */
static void msg_slot_resize_start(struct msg_slot *slot,
				  struct msg_slot_table *new)
{
	lockdep_assert_held(&slot->lock);
	WRITE_ONCE(slot->resize, new);
	slot->resize_cursor = 0;
	if (new->nr_allocated == new->nr_segments) {
		rcu_assign_pointer(slot->next, new);
		schedule_delayed_work(&slot->work, MSG_SLOT_WORK_DELAY);
	}
}

/*
 * The last entry of the run of entries in use of @table that starts at
 * entry @at: the one before the next free entry.
 */
static u32 msg_slot_run_end(const struct msg_slot_table *table, u32 at)
{
	u32 next;

	for (;; at = next) {
		next = at + 1 == table->capacity ? 0 : at + 1;
		if (!msg_slot_entry(table, next)->id)
			return at;
	}
}

/*
 * One step of the resize in progress, if any, with the slot lock held.
 * While the new table lacks segments, add *@segment to it, if the caller
 * brought one; once the new table is whole, publish it, for readers to
 * look in it too, and visit MSG_SLOT_RESIZE_BATCH entries of the old one
 * from the cursor on. Once the old table is empty, the new one replaces
 * it.
 *
 * The entries of the old table before the cursor are all free: the step
 * empties the run of entries that starts at the cursor before it passes
 * it, new channels go to the new table, and a removal only moves entries
 * back from further on, or to the last entry from the first one, which
 * is free once the cursor has passed it. A run is emptied from its end,
 * where a removal moves no other entry: from its start, each removal
 * would move all the rest of the run back by one.
 */
static void msg_slot_resize_step(struct msg_slot *slot,
				 struct msg_slot_entry **segment)
{
	struct msg_slot_table *new = slot->resize, *old;
	unsigned int visits;
	bool done;
	u32 last;

	lockdep_assert_held(&slot->lock);
	if (!new)
		return;
	if (new->nr_allocated < new->nr_segments) {
		if (!segment || !*segment)
			return;
		new->segments[new->nr_allocated++] = *segment;
		*segment = NULL;
		if (new->nr_allocated < new->nr_segments)
			return;
		/*
		 * Empty, so readers need no seqcount to look in it; channels
		 * come in under the moves seqcount. Pairs with the
		 * rcu_dereference() of slot->next in msg_slot_load(), as
		 * litmus/resize-move.litmus checks. The slot's work ends the
		 * resize if nobody writes.
		 */
		rcu_assign_pointer(slot->next, new);
		schedule_delayed_work(&slot->work, MSG_SLOT_WORK_DELAY);
		return;
	}

	old = msg_slot_table_locked(slot);
	msg_slot_write_begin(slot, &slot->moves);
	visits = 0;
	while (visits < MSG_SLOT_RESIZE_BATCH &&
	       slot->resize_cursor < old->capacity) {
		if (!msg_slot_entry(old, slot->resize_cursor)->id) {
			slot->resize_cursor++;
			visits++;
			continue;
		}
		/* Found once a step: the run's end moves back as it empties. */
		last = msg_slot_run_end(old, slot->resize_cursor);
		for (;;) {
			if (!msg_slot_copy(slot, new, old, last))
				goto moved;
			msg_slot_remove(old, last);
			if (last == slot->resize_cursor ||
			    ++visits == MSG_SLOT_RESIZE_BATCH)
				break;
			last = last ? last - 1 : old->capacity - 1;
		}
	}
moved:
	done = slot->resize_cursor == old->capacity;
	if (done) {
		/*
		 * Inside the moves seqcount: a reader that loaded the old
		 * table, then finds no next one, retries
		 * (litmus/resize-switch.litmus).
		 */
		rcu_assign_pointer(slot->table, new);
		RCU_INIT_POINTER(slot->next, NULL);
		WRITE_ONCE(slot->resize, NULL);
	}
	msg_slot_write_end(&slot->moves);
	if (done)
		msg_slot_retire(slot, old);
}

/*
 * The slot's work: while a resize moves channels or tables wait to be
 * freed, and no write created a channel and no clear removed one since its
 * last run, a few steps of each every jiffy. A slot nobody writes any more then
 * ends its resize and frees its old tables, none of the steps holds the
 * slot lock for long, and a slot that writers resize is left to them.
 */
static void msg_slot_work(struct work_struct *work)
{
	struct msg_slot *slot = container_of(to_delayed_work(work),
					     struct msg_slot, work);
	bool more = true, busy = false;
	unsigned int steps;

	for (steps = 0; more && !busy && steps < MSG_SLOT_WORK_STEPS; steps++) {
		scoped_guard(mutex, &slot->lock) {
			busy = slot->stepped;
			slot->stepped = false;
			if (!busy && msg_slot_next_locked(slot))
				msg_slot_resize_step(slot, NULL);
			if (!busy)
				msg_slot_free_retired(slot);
			more = msg_slot_next_locked(slot) ||
			       !list_empty(&slot->retired);
		}
		cond_resched();
	}
	if (more)
		schedule_delayed_work(&slot->work, MSG_SLOT_WORK_DELAY);
}

/*
 * Drop the tables of @slot, which holds no channel any more, resize and
 * all: an empty slot has none.
 */
static void msg_slot_drop_tables(struct msg_slot *slot)
{
	struct msg_slot_table *table = msg_slot_table_locked(slot);
	struct msg_slot_table *resize = slot->resize;

	msg_slot_write_begin(slot, &slot->moves);
	RCU_INIT_POINTER(slot->table, NULL);
	RCU_INIT_POINTER(slot->next, NULL);
	WRITE_ONCE(slot->resize, NULL);
	msg_slot_write_end(&slot->moves);
	msg_slot_retire(slot, table);
	msg_slot_retire(slot, resize);
}

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
 * allocates only for a user who held none and has no reservation (see
 * msg_slot_prealloc()); lowering one never does.
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
			       MSG_SLOT_USER_GFP));
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

/**
 * struct msg_slot_write - a write in progress
 * @id: the channel id
 * @hash: its hash
 * @msg: the message
 * @len: its length
 * @class: the size class of its buffer
 * @uid: the writer, who holds the channel once the write succeeds
 * @max_channels: most channels @uid may hold in the slot
 * @buffer: a buffer of @class, allocated without the slot lock; NULL once
 *          the channel holds it
 * @table: a new table, allocated without the slot lock; NULL once the
 *         slot uses it
 * @capacity: the capacity of the table to allocate, 0 for none
 * @segment: a segment for the new table of a resize, allocated without
 *           the slot lock; NULL once the table has it
 * @want_segment: whether to allocate @segment
 * @reserve: whether to reserve the record of @uid's channels
 * @reserved: whether a record was reserved, to be released if unused
 * @old_msg: the tagged buffer the write replaced, for freeing after a
 *           grace period
 */
struct msg_slot_write {
	u32 id;
	u32 hash;
	const u8 *msg;
	unsigned int len;
	unsigned int class;
	u32 uid;
	u32 max_channels;
	void *buffer;
	struct msg_slot_table *table;
	u32 capacity;
	struct msg_slot_entry *segment;
	bool want_segment;
	bool reserve;
	bool reserved;
	unsigned long old_msg;
};

/* Allocate what msg_slot_store() asked for. */
static int msg_slot_prealloc(struct msg_slot *slot, struct msg_slot_write *w)
{
	if (!w->buffer) {
		w->buffer = msg_slot_alloc_buffer(w->class);
		if (!w->buffer)
			return -ENOMEM;
	}
	if (w->reserve) {
		if (xa_reserve(&slot->users, w->uid, MSG_SLOT_GFP))
			return -ENOMEM;
		w->reserve = false;
		w->reserved = true;
	}
	if (w->want_segment) {
		w->segment = msg_slot_alloc_segment();
		if (!w->segment)
			return -ENOMEM;
		w->want_segment = false;
	}
	if (w->capacity) {
		kvfree(w->table);
		w->table = msg_slot_alloc_table(w->capacity);
		if (!w->table)
			return -ENOMEM;
		w->capacity = 0;
	}
	return 0;
}

/*
 * Find channel @id, of hash @hash, with the slot lock held: in the slot's
 * table, or in the new one of a resize that moves channels.
 *
 * Return: the table that holds it, its entry in *@at, or NULL.
 */
static struct msg_slot_table *msg_slot_find(struct msg_slot *slot, u32 hash,
					    u32 id, u32 *at)
{
	struct msg_slot_table *table = msg_slot_table_locked(slot);
	bool found = false;

	if (!table)
		return NULL;
	*at = msg_slot_probe(table, hash, id, &found);
	if (found)
		return table;
	table = msg_slot_next_locked(slot);
	if (table)
		*at = msg_slot_probe(table, hash, id, &found);
	return found ? table : NULL;
}

/*
 * Make sure that the channel of @w can be created, with the slot lock
 * held. A table of one segment is replaced by a larger one, which @w
 * allocates, when full; a larger table starts a resize at 3/4 load, whose
 * new table @w allocates, and while that table lacks segments, each new
 * channel brings one. A table that already takes the channels of a user
 * at @w->max_channels waits until it is full: one user alone never needs
 * more, and the write of another user that needs it builds it whole.
 *
 * Return: 0, -ENOSPC as msg_slot_rehash(), or -EAGAIN with what to
 * allocate first set in @w. Nothing that readers or writers can tell
 * changes in the slot.
 */
static int msg_slot_make_space(struct msg_slot *slot, struct msg_slot_write *w)
{
	struct msg_slot_table *table = msg_slot_table_locked(slot);
	u32 nr = slot->nr_channels, capacity;
	bool small, early;

	if (!slot->resize) {
		capacity = msg_slot_grown_capacity(table, nr, w->max_channels);
		small = msg_slot_replaces_whole(table, capacity);
		early = !small && table &&
			msg_slot_capacity_max(table->capacity) < w->max_channels;
		if (early ? !msg_slot_table_filling(table, nr) :
			    msg_slot_table_fits(table, nr))
			return 0;
		if (!w->table || w->table->capacity < capacity ||
		    msg_slot_replaces_whole(table, w->table->capacity) != small) {
			w->capacity = capacity;
			return -EAGAIN;
		}
		if (small) {
			if (!msg_slot_rehash(slot, w->table))
				return -ENOSPC;
			w->table = NULL;
			return 0;
		}
		msg_slot_resize_start(slot, w->table);
		w->table = NULL;
	}
	while (slot->resize->nr_allocated < slot->resize->nr_segments) {
		if (!w->segment) {
			w->want_segment = true;
			return -EAGAIN;
		}
		if (msg_slot_table_fits(table, nr))
			break;
		/*
		 * The old table is full before the new one is whole: it
		 * held a user's max_channels, or max_channels changed. This
		 * write adds the segments left first, the slot lock dropped
		 * between two of them.
		 */
		msg_slot_resize_step(slot, &w->segment);
	}
	return 0;
}

/*
 * Create the channel of @w in @table, the slot's or the new one of its
 * resize, with its buffer filled in.
 */
static int msg_slot_insert(struct msg_slot *slot, struct msg_slot_table *table,
			   struct msg_slot_write *w)
{
	struct msg_slot_entry *entry;
	bool found, placed;
	u32 at;

	at = msg_slot_probe(table, w->hash, w->id, &found);
	msg_slot_write_begin(slot, &slot->moves);
	placed = msg_slot_make_room(table, at, w->hash);
	if (placed) {
		entry = msg_slot_entry(table, at);
		WRITE_ONCE(entry->len, w->len);
		WRITE_ONCE(entry->msg, (unsigned long)w->buffer | w->class);
		WRITE_ONCE(entry->seq, msg_slot_next_stamp(slot));
		*msg_slot_holder(table, at) = w->uid;
		/*
		 * Publish the id last: who finds it also sees the message.
		 * Pairs with the acquire in msg_slot_probe().
		 */
		smp_store_release(&entry->id, w->id);
	}
	msg_slot_write_end(&slot->moves);
	if (!placed)
		return -ENOSPC;
	msg_slot_count(slot, 1, 0, w->len);
	return 0;
}

/*
 * Store @w in channel @at of @table, or in a new channel if @table is
 * NULL, with the slot lock held, when it needs what the in-place write of
 * msg_slot_store() does not do: a new channel, a new buffer, or to take
 * the channel from the user who holds it.
 */
static int msg_slot_store_new(struct msg_slot *slot, struct msg_slot_write *w,
			      struct msg_slot_table *table, u32 at)
{
	seqcount_t *stripe = msg_slot_stripe(slot, w->hash);
	u32 nr = slot->nr_channels, holder = 0, held = 0;
	struct msg_slot_entry *entry;
	bool taking = true;
	unsigned int old_len;
	int err;

	if (table) {
		holder = *msg_slot_holder(table, at);
		taking = holder != w->uid;
	}
	if (taking) {
		held = msg_slot_held(slot, w->uid);
		if (held >= w->max_channels)
			return -ENOSPC;
		/* A new holder's record is allocated without the lock. */
		if (!held && !w->reserved) {
			w->reserve = true;
			return -EAGAIN;
		}
	}
	if (!table) {
		err = msg_slot_make_space(slot, w);
		if (err)
			return err;
	}
	if (!w->buffer)
		return -EAGAIN;
	/*
	 * First, as only this may fail: when a clear of the user's last
	 * channel erased the reservation meanwhile.
	 */
	if (taking && msg_slot_set_held(slot, w->uid, held + 1)) {
		w->reserve = true;
		return -EAGAIN;
	}
	memcpy(w->buffer, w->msg, w->len);

	if (!table) {
		msg_slot_resize_step(slot, &w->segment);
		msg_slot_free_retired(slot);
		slot->stepped = true;
		table = msg_slot_next_locked(slot) ?:
			msg_slot_table_locked(slot);
		/* Always fits: see msg_slot_new_capacity(). */
		err = -ENOSPC;
		if (msg_slot_table_fits(table, nr))
			err = msg_slot_insert(slot, table, w);
		if (err)
			goto undo_held;
	} else {
		entry = msg_slot_entry(table, at);
		if (taking) {
			msg_slot_set_held(slot, holder,
					  msg_slot_held(slot, holder) - 1);
			*msg_slot_holder(table, at) = w->uid;
		}
		w->old_msg = entry->msg;
		old_len = entry->len;
		msg_slot_write_begin(slot, stripe);
		WRITE_ONCE(entry->msg, (unsigned long)w->buffer | w->class);
		WRITE_ONCE(entry->len, w->len);
		WRITE_ONCE(entry->seq, msg_slot_next_stamp(slot));
		msg_slot_write_end(stripe);
		msg_slot_count(slot, 0, old_len, w->len);
	}
	w->buffer = NULL;
	return 0;

undo_held:
	/* Lowers the count stored above: cannot fail. */
	msg_slot_set_held(slot, w->uid, held);
	return err;
}

/*
 * The common write, with the slot lock held: channel @at of @table is the
 * writer's, @uid's, and its buffer is of the size class of a message of
 * @len bytes, so @msg replaces its message in place.
 *
 * Return: 0, or -EAGAIN, changing nothing, for a write that needs more:
 * msg_slot_store_new(). Another user's channel gets a buffer of its own,
 * which its new holder's memory cgroup pays for.
 */
static inline int msg_slot_overwrite(struct msg_slot *slot,
				     struct msg_slot_table *table, u32 at,
				     u32 hash, const u8 *msg,
				     unsigned int len, u32 uid)
{
	struct msg_slot_entry *entry = msg_slot_entry(table, at);
	seqcount_t *stripe = msg_slot_stripe(slot, hash);
	unsigned int old_len = entry->len;

	if ((entry->msg & MSG_SLOT_CLASS_MASK) != msg_slot_class(len) ||
	    *msg_slot_holder(table, at) != uid)
		return -EAGAIN;
	msg_slot_write_begin(slot, stripe);
	memcpy(msg_slot_buffer(entry->msg), msg, len);
	WRITE_ONCE(entry->len, len);
	WRITE_ONCE(entry->seq, msg_slot_next_stamp(slot));
	msg_slot_write_end(stripe);
	msg_slot_count(slot, 0, old_len, len);
	return 0;
}

/*
 * Store the message of @w, with the slot lock held, if it has all the
 * memory it needs.
 *
 * Return: 0, -ENOSPC, or -EAGAIN when it needs a buffer, a table, a
 * segment or a reserved record of its user first (msg_slot_prealloc()
 * allocates them, without the lock).
 */
static int msg_slot_store(struct msg_slot *slot, struct msg_slot_write *w)
{
	struct msg_slot_table *table;
	u32 at = 0;

	lockdep_assert_held(&slot->lock);
	w->capacity = 0;
	table = msg_slot_find(slot, w->hash, w->id, &at);
	if (table && !msg_slot_overwrite(slot, table, at, w->hash, w->msg,
					 w->len, w->uid))
		return 0;
	return msg_slot_store_new(slot, w, table, at);
}

/* Store @w with the slot lock held; see msg_slot_store(). */
static int msg_slot_store_locked(struct msg_slot *slot,
				 struct msg_slot_write *w)
{
	/* A task that is being killed need not wait for writers. */
	ACQUIRE(mutex_kill, lock)(&slot->lock);
	int err = ACQUIRE_ERR(mutex_kill, &lock);

	return err ?: msg_slot_store(slot, w);
}

/*
 * Allocate, without the slot lock, what msg_slot_store() asked for, and
 * store @w again, until it is stored or fails. Only a writer that is
 * @growing allocates a table; the others get -EAGAIN when they need one.
 */
static int msg_slot_store_retry(struct msg_slot *slot,
				struct msg_slot_write *w, bool growing)
{
	int err;

	do {
		if (w->capacity && !growing)
			return -EAGAIN;
		err = msg_slot_prealloc(slot, w) ?:
		      msg_slot_store_locked(slot, w);
	} while (err == -EAGAIN);
	return err;
}

static void msg_slot_write_init(struct msg_slot_write *w,
				struct msg_slot_key key, const u8 *msg,
				unsigned int len, kuid_t user, u32 max_channels)
{
	*w = (struct msg_slot_write){
		.id = key.id,
		.hash = key.hash,
		.msg = msg,
		.len = len,
		.class = msg_slot_class(len),
		.uid = __kuid_val(user),
		/* Also keeps the capacity arithmetic far from overflow. */
		.max_channels = min(max_channels, MSG_SLOT_MAX_CHANNELS),
	};
}

/*
 * A write that needs memory: allocate it without the slot lock, and store
 * again. Not inlined, so that the state of a write stays in registers on
 * the path of the writes that need none: 6 of the 982 instructions of a
 * write on x86-64.
 */
static noinline int msg_slot_write_alloc(struct msg_slot *slot,
					 struct msg_slot_key key,
					 const u8 *msg, unsigned int len,
					 kuid_t user, u32 max_channels)
{
	struct msg_slot_write w;
	int err;

	msg_slot_write_init(&w, key, msg, len, user, max_channels);
	err = msg_slot_store_retry(slot, &w, false);
	if (err == -EAGAIN) {
		/*
		 * One table at a time: wait for whoever grows it, then look
		 * again, since that growth may have made room.
		 */
		ACQUIRE(mutex_kill, grow)(&slot->grow_lock);
		err = ACQUIRE_ERR(mutex_kill, &grow) ?:
		      msg_slot_store_locked(slot, &w);
		if (err == -EAGAIN)
			err = msg_slot_store_retry(slot, &w, true);
	}

	if (!err)
		msg_slot_wake(slot, key);
	/* What a racing writer made unnecessary, or a failure left. */
	kfree(w.buffer);
	msg_slot_free_segment(w.segment);
	kvfree(w.table);
	/* Only while still reserved: a stored count stays. */
	if (w.reserved)
		xa_release(&slot->users, w.uid);
	/* Lockless readers may still be copying from the old buffer. */
	if (w.old_msg)
		kfree_rcu_mightsleep(msg_slot_buffer(w.old_msg));
	return err;
}

/**
 * msg_slot_write_message() - replace the message of a channel
 * @slot: the slot
 * @key: the channel, from msg_slot_key() of @slot; its id non-zero
 * @msg: the message
 * @len: its length, 1 to %MSG_SLOT_MAX_MSG_LEN
 * @user: the writer, who then holds the channel
 * @max_channels: most channels @user may hold in @slot, at most
 *                %MSG_SLOT_MAX_CHANNELS
 *
 * The first write to a channel creates it. A failed write changes nothing.
 * A successful one gives the message the slot's next write stamp, makes
 * @user the holder of the channel, and wakes the watchers of the channel.
 * Memory is allocated before the slot lock is taken and charged to the
 * caller's memory cgroup, so writers of a slot never wait for another
 * one's allocation, but for writers that need a new table, which wait
 * for the writer that allocates it. A write that creates a channel while
 * the table is resized adds a segment to the new table, or moves a batch
 * of channels to it.
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -EINVAL for channel id 0, -EMSGSIZE for a bad
 * length, -ENOSPC when @user would hold more than @max_channels channels
 * (or a new channel finds no room, see msg_slot_make_room()), -ENOMEM, or
 * -EINTR when the task was killed while waiting for another writer.
 */
int msg_slot_write_message(struct msg_slot *slot, struct msg_slot_key key,
			   const u8 *msg, unsigned int len, kuid_t user,
			   u32 max_channels)
{
	struct msg_slot_table *table;
	int err = -EAGAIN;
	u32 at = 0;

	if (!key.id)
		return -EINVAL;
	if (!len || len > MSG_SLOT_MAX_MSG_LEN)
		return -EMSGSIZE;

	/*
	 * Most writes replace a message of the same size class in their
	 * own channel, in place: they need no memory, and leave nothing to
	 * free. Their state stays in registers; the others start over.
	 */
	scoped_cond_guard(mutex_kill, return -EINTR, &slot->lock) {
		table = msg_slot_find(slot, key.hash, key.id, &at);
		if (table)
			err = msg_slot_overwrite(slot, table, at, key.hash,
						 msg, len, __kuid_val(user));
	}
	if (err == -EAGAIN)
		return msg_slot_write_alloc(slot, key, msg, len, user,
					    max_channels);
	if (!err)
		msg_slot_wake(slot, key);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_write_message);

/*
 * Remove channel @key from @slot, if it exists, and give its holder's
 * count back; then take one step of a resize, with *@segment if it needs
 * one. Return the channel's message.
 */
static unsigned long msg_slot_take(struct msg_slot *slot,
				   struct msg_slot_key key,
				   struct msg_slot_entry **segment)
{
	struct msg_slot_table *table;
	struct msg_slot_entry *entry;
	unsigned long old_msg;
	unsigned int old_len;
	u32 holder, at = 0;

	table = msg_slot_find(slot, key.hash, key.id, &at);
	if (!table)
		return 0;
	entry = msg_slot_entry(table, at);
	old_msg = entry->msg;
	old_len = entry->len;
	holder = *msg_slot_holder(table, at);
	msg_slot_write_begin(slot, &slot->moves);
	msg_slot_remove(table, at);
	msg_slot_write_end(&slot->moves);
	msg_slot_set_held(slot, holder, msg_slot_held(slot, holder) - 1);
	msg_slot_count(slot, -1, old_len, 0);
	if (slot->nr_channels)
		msg_slot_resize_step(slot, segment);
	else
		msg_slot_drop_tables(slot);
	msg_slot_free_retired(slot);
	slot->stepped = true;
	return old_msg;
}

/*
 * Move @slot to @new, a smaller table, if its table is still sparse and
 * larger than @new, no resize runs, and @new still holds every channel:
 * writers may have come and gone since @new was allocated. @new replaces
 * a table of one segment at once, and any other by a resize.
 */
static bool msg_slot_shrink_to(struct msg_slot *slot,
			       struct msg_slot_table *new)
{
	struct msg_slot_table *table = msg_slot_table_locked(slot);
	u32 nr = slot->nr_channels;

	if (slot->resize || !msg_slot_table_sparse(table, nr) ||
	    new->capacity >= table->capacity)
		return false;
	if (msg_slot_replaces_whole(table, new->capacity))
		return msg_slot_table_fits(new, nr) &&
		       msg_slot_rehash(slot, new);
	if (new->capacity < msg_slot_shrunk_capacity(table, nr))
		return false;
	msg_slot_resize_start(slot, new);
	return true;
}

/*
 * Give a sparse table back: move the slot to a smaller one. Best effort:
 * a killed task, or a failed allocation, leaves the table as it is, and a
 * later clear tries again.
 */
static void msg_slot_shrink(struct msg_slot *slot)
{
	struct msg_slot_table *table, *new;
	u32 capacity;

	/* A first look without the locks: most clears leave a full table. */
	scoped_guard(rcu) {
		table = rcu_dereference(slot->table);
		if (READ_ONCE(slot->resize) ||
		    !msg_slot_table_sparse(table, READ_ONCE(slot->nr_channels)))
			return;
		capacity = msg_slot_shrunk_capacity(table,
						    READ_ONCE(slot->nr_channels));
	}

	/* One new table at a time, as for growth. */
	scoped_cond_guard(mutex_kill, return, &slot->grow_lock) {
		new = msg_slot_alloc_table(capacity);
		if (!new)
			return;
		scoped_cond_guard(mutex_kill, break, &slot->lock) {
			if (msg_slot_shrink_to(slot, new))
				new = NULL;
		}
	}
	kvfree(new);
}

/**
 * msg_slot_clear() - remove a channel and its message
 * @slot: the slot
 * @key: the channel, from msg_slot_key() of @slot
 *
 * Frees the message, if the channel holds one, and the channel's entry:
 * the channel is then as if it had never been written, and its holder
 * holds one channel less. A table left sparse shrinks, and a clear takes
 * a step of a resize as a write that creates a channel does.
 *
 * Context: process context; may sleep.
 * Return: 0, also when the channel holds no message, or -EINTR when the
 * task was killed while waiting for a writer.
 */
int msg_slot_clear(struct msg_slot *slot, struct msg_slot_key key)
{
	struct msg_slot_entry *segment = NULL;
	unsigned long old_msg = 0;
	int err = 0;

	if (!key.id)
		return 0;
	/*
	 * A new table that lacks segments gets one from a clear too, when
	 * the clearer's memory cgroup can pay for it: a look without the
	 * lock, checked under it.
	 */
	if (READ_ONCE(slot->resize) && !rcu_access_pointer(slot->next))
		segment = msg_slot_alloc_segment();
	scoped_cond_guard(mutex_kill, err = -EINTR, &slot->lock)
		old_msg = msg_slot_take(slot, key, &segment);
	msg_slot_free_segment(segment);
	if (old_msg) {
		kfree_rcu_mightsleep(msg_slot_buffer(old_msg));
		msg_slot_shrink(slot);
	}
	return err;
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
 * @key: the channel, from msg_slot_key() of @slot; its id non-zero
 *
 * From then on every successful write to the channel wakes @watcher->wait;
 * a look at the channel after this call sees every write that does not.
 * So does a look by another task that loaded @watcher->channel set to the
 * channel, if an smp_mb() separates that load from its look. A watcher
 * follows one channel at a time; it leaves the one before.
 *
 * Context: any context that may take a spinlock; never waits for writers.
 * Return: 0, or -EINVAL for channel id 0.
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
EXPORT_SYMBOL_IF_KUNIT(msg_slot_watch);

/**
 * msg_slot_unwatch() - stop a watcher, if it watches a channel
 * @slot: the slot
 * @watcher: the watcher; nobody may call msg_slot_watch() on it meanwhile
 *
 * Context: any context that may take a spinlock; never waits for writers.
 */
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
EXPORT_SYMBOL_IF_KUNIT(msg_slot_unwatch);

/**
 * msg_slot_nr_channels() - number of channels in a slot
 * @slot: the slot
 *
 * Return: the channels that hold a message, at some moment during the
 * call; a cleared channel no longer counts.
 */
u32 msg_slot_nr_channels(struct msg_slot *slot)
{
	return READ_ONCE(slot->nr_channels);
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_nr_channels);

#if IS_ENABLED(CONFIG_KUNIT)
/* Entries of the slot's table, 0 without one: how KUnit sees it shrink. */
u32 msg_slot_capacity(struct msg_slot *slot)
{
	struct msg_slot_table *table;

	guard(rcu)();
	table = rcu_dereference(slot->table);
	return table ? table->capacity : 0;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_capacity);

/* Entries of the new table of a resize in progress, 0 without one. */
u32 msg_slot_resize_capacity(struct msg_slot *slot)
{
	guard(mutex)(&slot->lock);
	return slot->resize ? slot->resize->capacity : 0;
}
EXPORT_SYMBOL_IF_KUNIT(msg_slot_resize_capacity);
#endif

/**
 * msg_slot_get_stats() - read the counters of a slot
 * @slot: the slot
 * @stats: filled with the counters, all from the same moment
 *
 * Never sleeps, and never waits for a writer that does.
 */
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
EXPORT_SYMBOL_IF_KUNIT(msg_slot_get_stats);
