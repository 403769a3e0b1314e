/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store interface of drivers/char/message_slot/store.h, for the
 * benchmark's alternative stores only (store_xarray.c, store_rhashtable.c):
 * never part of the series.
 *
 * scripts/bench-stores.sh copies this file as "store.h" beside main.c, so
 * that main.c, unchanged, includes it instead of the driver's. Everything
 * main.c uses is the same as there: the constants, struct
 * msg_slot_watcher, struct msg_slot_stats, struct msg_slot_key and the
 * inline msg_slot_key(), and the prototypes with their contracts (see
 * store.c's kernel-doc). Only struct msg_slot differs, as it holds the
 * index of the store built: the Kbuild defines MSG_SLOT_STORE_XARRAY or
 * MSG_SLOT_STORE_RHASHTABLE, so main.c and the store see one definition.
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
#include <linux/xarray.h>

#if defined(MSG_SLOT_STORE_RHASHTABLE)
#include <linux/rhashtable-types.h>
#elif !defined(MSG_SLOT_STORE_XARRAY)
#error "define MSG_SLOT_STORE_XARRAY or MSG_SLOT_STORE_RHASHTABLE"
#endif

#define MSG_SLOT_WATCH_BUCKETS	64

/* As in the driver: a waiter for new messages on one channel. */
struct msg_slot_watcher {
	struct hlist_node node;
	u32 channel;
	wait_queue_head_t wait;
};

/* As in the driver: the counters of one slot. */
struct msg_slot_stats {
	u32 channels;
	u64 bytes;
	u64 writes;
};

/*
 * As in the driver: a channel and its keyed hash. These stores index by
 * id; the hash only spreads the watchers over their lists.
 */
struct msg_slot_key {
	u32 id;
	u32 hash;
};

/*
 * A slot. The index comes first: it is all a reader touches here. Writers
 * are serialised by @lock; readers take no lock but rcu_read_lock() and
 * the seqcount of the channel's entry.
 */
struct msg_slot {
#if defined(MSG_SLOT_STORE_XARRAY)
	struct xarray channels;		/* id -> struct msg_slot_entry */
#else
	struct rhashtable channels;	/* struct msg_slot_entry, by id */
#endif
	struct mutex lock;	/* serialises writers of this slot */
	hsiphash_key_t hash_key;	/* keeps crafted ids from colliding */
	struct xarray users;	/* uid -> channels held; written under lock */
	/* The counters, written under lock within @stats_count. */
	seqcount_t stats_count;
	u32 nr_channels;	/* channels in the index */
	u64 nr_bytes;		/* total length of the messages */
	u64 nr_writes;		/* successful writes: the last stamp */
	spinlock_t watch_lock;	/* guards the watcher lists */
	unsigned int nr_watchers;	/* watchers in the lists */
	struct hlist_head watchers[MSG_SLOT_WATCH_BUCKETS];
};

struct msg_slot *msg_slot_alloc(void);
void msg_slot_free(struct msg_slot *slot);

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
/*
 * The buffer allocator, for KUnit to stub. The driver's table hooks,
 * msg_slot_alloc_table() and msg_slot_capacity(), have no counterpart:
 * these stores have no table of their own to size.
 */
void *msg_slot_alloc_buffer(unsigned int class);
#endif

#endif /* _MESSAGE_SLOT_STORE_H */
