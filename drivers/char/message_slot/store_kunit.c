// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the message_slot channel store (store.c).
 *
 * Every case gets a slot of its own, freed when the case ends. A test
 * message is made from a seed: each byte derives from the seed, the length
 * and its position, so that an older, a foreign or a mixed message does not
 * match what the case expects. The allocation failure and locking cases
 * redirect the store's two allocators with KUnit static stubs.
 */

#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

/**
 * struct msg_slot_test - state of one test case
 * @slot: the slot under test
 * @nr_stub_calls: calls to the allocator stubs
 * @nr_locked: of them, calls with the slot lock held, or for a table
 *             without the grow lock
 * @fail_alloc: whether the allocator stubs fail
 * @user: the writer of the case's writes
 * @max_channels: most channels @user may hold, for writes
 * @nr_writing: race writers still writing
 * @msg: message to write, one byte longer than a channel holds
 * @expected: message the case expects to read
 * @buf: message read back
 * @seq: stamp of the message read back
 */
struct msg_slot_test {
	struct msg_slot *slot;
	unsigned int nr_stub_calls;
	unsigned int nr_locked;
	bool fail_alloc;
	kuid_t user;
	u32 max_channels;
	atomic_t nr_writing;
	u8 msg[MSG_SLOT_MAX_MSG_LEN + 1];
	u8 expected[MSG_SLOT_MAX_MSG_LEN];
	u8 buf[MSG_SLOT_MAX_MSG_LEN];
	u64 seq;
};

KUNIT_DEFINE_ACTION_WRAPPER(msg_slot_test_free, msg_slot_free,
			    struct msg_slot *);

static int msg_slot_test_init(struct kunit *test)
{
	struct msg_slot_test *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->slot = msg_slot_alloc();
	if (!ctx->slot)
		return -ENOMEM;
	ctx->user = GLOBAL_ROOT_UID;
	ctx->max_channels = MSG_SLOT_MAX_CHANNELS;
	test->priv = ctx;
	return kunit_add_action_or_reset(test, msg_slot_test_free, ctx->slot);
}

/* Fill @buf with the @len bytes of the test message made from @seed. */
static void msg_slot_test_fill(u8 *buf, u32 seed, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = jhash_3words(seed, len, i, 0);
}

/* A length of 1 to 128 that depends on @seed. */
static unsigned int msg_slot_test_len(u32 seed)
{
	return 1 + seed % MSG_SLOT_MAX_MSG_LEN;
}

/* Write the message of @seed, @len bytes, to channel @id. */
static int msg_slot_test_write(struct kunit *test, u32 id, u32 seed,
			       unsigned int len)
{
	struct msg_slot_test *ctx = test->priv;

	msg_slot_test_fill(ctx->msg, seed, len);
	return msg_slot_write_message(ctx->slot, msg_slot_key(ctx->slot, id),
				      ctx->msg, len, ctx->user,
				      ctx->max_channels);
}

static unsigned int msg_slot_test_read(struct kunit *test, u32 id)
{
	struct msg_slot_test *ctx = test->priv;

	return msg_slot_read_message(ctx->slot, msg_slot_key(ctx->slot, id),
				     ctx->buf, &ctx->seq);
}

/* Whether channel @id holds exactly the message of @seed, @len bytes. */
static bool msg_slot_test_holds(struct kunit *test, u32 id, u32 seed,
				unsigned int len)
{
	struct msg_slot_test *ctx = test->priv;

	msg_slot_test_fill(ctx->expected, seed, len);
	return msg_slot_test_read(test, id) == len &&
	       !memcmp(ctx->buf, ctx->expected, len);
}

static void msg_slot_test_expect_holds(struct kunit *test, u32 id, u32 seed,
				       unsigned int len)
{
	KUNIT_EXPECT_TRUE_MSG(test, msg_slot_test_holds(test, id, seed, len),
			      "channel %u should hold %u bytes of seed %u",
			      id, len, seed);
}

static void msg_slot_test_expect_empty(struct kunit *test, u32 id)
{
	KUNIT_EXPECT_EQ_MSG(test, msg_slot_test_read(test, id), 0U,
			    "channel %u should be empty", id);
}

static int msg_slot_test_clear(struct kunit *test, u32 id)
{
	struct msg_slot_test *ctx = test->priv;

	return msg_slot_clear(ctx->slot, msg_slot_key(ctx->slot, id));
}

static u32 msg_slot_test_nr_channels(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;

	return msg_slot_nr_channels(ctx->slot);
}

/*
 * The seed of the @i-th channel of a fill, of id @id: the id, or once
 * @rewritten its complement for the even ones.
 */
static u32 msg_slot_test_seed(u32 i, u32 id, bool rewritten)
{
	return rewritten && i % 2 == 0 ? ~id : id;
}

/*
 * Write their message to channels @step, 2 * @step, ... @count * @step (an
 * odd @step scatters them over the id space); once @rewritten, only to
 * those whose seed changes. Return how many writes failed.
 */
static u32 msg_slot_test_fill_channels(struct kunit *test, u32 count,
				       u32 step, bool rewritten)
{
	u32 i, id, seed, nr_failed = 0;

	for (i = 1; i <= count; i++) {
		id = i * step;
		seed = msg_slot_test_seed(i, id, rewritten);
		if (rewritten && seed == id)
			continue;
		if (msg_slot_test_write(test, id, seed,
					msg_slot_test_len(seed)))
			nr_failed++;
	}
	return nr_failed;
}

/* How many of the channels of a fill do not hold their message. */
static u32 msg_slot_test_count_bad(struct kunit *test, u32 count, u32 step,
				   bool rewritten)
{
	u32 i, id, seed, nr_bad = 0;

	for (i = 1; i <= count; i++) {
		id = i * step;
		seed = msg_slot_test_seed(i, id, rewritten);
		if (!msg_slot_test_holds(test, id, seed,
					 msg_slot_test_len(seed)))
			nr_bad++;
	}
	return nr_bad;
}

static const u32 msg_slot_test_ids[] = { 1, 1 << 20, U32_MAX };

KUNIT_ARRAY_PARAM(msg_slot_test_id, msg_slot_test_ids, NULL);

/*
 * A channel holds nothing until written, then its message, read as often
 * as asked; messages of other channels leave it alone. Messages of 0 or
 * 129 bytes, and channel id 0, are refused and change nothing, whether the
 * channel is new or has a message.
 */
static void msg_slot_read_message_after_write(struct kunit *test)
{
	u32 id = *(const u32 *)test->param_value;
	unsigned int i;
	u32 other;

	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 0, 2, 20), -EINVAL);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, id, 2, 0),
				-EMSGSIZE);
		KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, id, 2, 129),
				-EMSGSIZE);
		if (!i) {
			msg_slot_test_expect_empty(test, id);
			KUNIT_ASSERT_EQ(test,
					msg_slot_test_write(test, id, 7, 33), 0);
		}
		msg_slot_test_expect_holds(test, id, 7, 33);
	}
	msg_slot_test_expect_empty(test, 0);

	for (i = 0; i < ARRAY_SIZE(msg_slot_test_ids); i++) {
		other = msg_slot_test_ids[i];
		if (other == id)
			continue;
		msg_slot_test_expect_empty(test, other);
		KUNIT_ASSERT_EQ(test, msg_slot_test_write(test, other, i, 20),
				0);
	}
	msg_slot_test_expect_holds(test, id, 7, 33);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 3U);
}

/*
 * Overwriting replaces the whole message, from and to every length at the
 * edges of the size classes of message buffers (8, 16, 64 and 128 bytes).
 */
static void msg_slot_write_message_overwrite(struct kunit *test)
{
	static const unsigned int lens[] = { 1, 8, 9, 64, 65, 128 };
	unsigned int from, to;
	u32 seed = 0;
	int err;

	for (from = 0; from < ARRAY_SIZE(lens); from++) {
		for (to = 0; to < ARRAY_SIZE(lens); to++) {
			err = msg_slot_test_write(test, 5, ++seed, lens[from]);
			KUNIT_ASSERT_EQ(test, err, 0);
			err = msg_slot_test_write(test, 5, ++seed, lens[to]);
			KUNIT_ASSERT_EQ(test, err, 0);
			msg_slot_test_expect_holds(test, 5, seed, lens[to]);
		}
	}
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);
}

/*
 * A key hashes its id under the slot's own random key: the same id gets
 * the same hash in one slot and, but by chance, another one elsewhere.
 */
static void msg_slot_key_is_per_slot(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot *other = msg_slot_alloc();
	unsigned int alike = 0;
	u32 id;

	KUNIT_ASSERT_NOT_NULL(test, other);
	for (id = 1; id <= 64; id++) {
		KUNIT_EXPECT_EQ(test, msg_slot_key(ctx->slot, id).id, id);
		KUNIT_EXPECT_EQ(test, msg_slot_key(ctx->slot, id).hash,
				msg_slot_key(ctx->slot, id).hash);
		if (msg_slot_key(other, id).hash ==
		    msg_slot_key(ctx->slot, id).hash)
			alike++;
	}
	msg_slot_free(other);
	/* Two 32-bit hashes match with odds of 2^-32: twice is unheard of. */
	KUNIT_EXPECT_LE(test, alike, 1U);
}

/*
 * 65536 channels, dense or scattered over the id space, keep their own
 * messages while the table grows, and when half of them are overwritten;
 * 65536 others, never written, stay empty.
 */
static void msg_slot_write_message_many_channels(struct kunit *test)
{
	u32 step = *(const u32 *)test->param_value;
	u32 i, nr_found = 0;

	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, 65536, step,
							  false), 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 65536U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_count_bad(test, 65536, step, false),
			0U);
	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, 65536, step,
							  true), 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_count_bad(test, 65536, step, true),
			0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 65536U);
	/* An odd step maps 1 to 2^32 - 1 onto distinct ids. */
	for (i = 65537; i <= 2 * 65536; i++)
		nr_found += msg_slot_test_read(test, i * step) != 0;
	KUNIT_EXPECT_EQ(test, nr_found, 0U);
}

static const u32 msg_slot_test_steps[] = { 1, 0x9e3779b1 };

KUNIT_ARRAY_PARAM(msg_slot_test_step, msg_slot_test_steps, NULL);

/*
 * With a limit of N channels, one user creates N, each keeping its message
 * while the table grows; a new one is refused with -ENOSPC, which changes
 * nothing. The N stay writable, also under a limit lowered below their
 * number, and a raised limit lets the new one in.
 */
static void msg_slot_write_message_channel_limit(struct kunit *test)
{
	u32 limit = *(const u32 *)test->param_value;
	struct msg_slot_test *ctx = test->priv;
	u32 id, nr_bad = 0;
	int err;

	ctx->max_channels = limit;
	for (id = 1; id <= limit; id++) {
		err = msg_slot_test_write(test, id, id, msg_slot_test_len(id));
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "creating channel %u", id);
		nr_bad += msg_slot_test_count_bad(test, id, 1, false);
	}
	KUNIT_EXPECT_EQ(test, nr_bad, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, limit + 1, 1, 20),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, U32_MAX, 1, 20),
			-ENOSPC);
	msg_slot_test_expect_empty(test, limit + 1);
	msg_slot_test_expect_empty(test, U32_MAX);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), limit);

	/* They take new messages, under a limit lowered below their number. */
	ctx->max_channels = limit - 1;
	for (id = 1; id <= limit; id++)
		KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, id, ~id,
							  msg_slot_test_len(~id)),
				0);
	for (id = 1; id <= limit; id++)
		msg_slot_test_expect_holds(test, id, ~id,
					   msg_slot_test_len(~id));

	ctx->max_channels = limit + 1;
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, limit + 1, 1, 20), 0);
	msg_slot_test_expect_holds(test, limit + 1, 1, 20);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), limit + 1);
}

static const u32 msg_slot_test_limits[] = { 1, 8, 512 };

KUNIT_ARRAY_PARAM(msg_slot_test_limit, msg_slot_test_limits, NULL);

/*
 * Stand-ins for the allocators of the store. They note the calls that find
 * the slot lock held, or for a table the grow lock free; then they fail if
 * the case asks for it, or else allocate.
 */
static void msg_slot_test_note_locks(struct msg_slot_test *ctx, bool table)
{
	ctx->nr_stub_calls++;
	if (mutex_is_locked(&ctx->slot->lock))
		ctx->nr_locked++;
	if (table && !mutex_is_locked(&ctx->slot->grow_lock))
		ctx->nr_locked++;
}

static void *msg_slot_test_note_buffer(unsigned int class)
{
	struct kunit *test = kunit_get_current_test();
	struct msg_slot_test *ctx = test->priv;
	void *buffer;

	msg_slot_test_note_locks(ctx, false);
	if (ctx->fail_alloc)
		return NULL;
	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	buffer = msg_slot_alloc_buffer(class);
	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_note_buffer);
	return buffer;
}

static struct msg_slot_table *msg_slot_test_note_table(u32 capacity)
{
	struct kunit *test = kunit_get_current_test();
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_table *table;

	msg_slot_test_note_locks(ctx, true);
	if (ctx->fail_alloc)
		return NULL;
	kunit_deactivate_static_stub(test, msg_slot_alloc_table);
	table = msg_slot_alloc_table(capacity);
	kunit_activate_static_stub(test, msg_slot_alloc_table,
				   msg_slot_test_note_table);
	return table;
}

/*
 * Creating a channel that needs a table, the first or a larger one, that
 * cannot be allocated fails with -ENOMEM and changes nothing; once memory
 * is back, the same write succeeds.
 */
static void msg_slot_write_message_table_enomem(struct kunit *test)
{
	u32 prefill = *(const u32 *)test->param_value;
	struct msg_slot_test *ctx = test->priv;
	u32 id;
	int err = 0;

	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, prefill, 1,
							  false), 0U);
	ctx->fail_alloc = true;
	kunit_activate_static_stub(test, msg_slot_alloc_table,
				   msg_slot_test_note_table);
	for (id = prefill + 1; id <= 512 && !err; id++)
		err = msg_slot_test_write(test, id, id, msg_slot_test_len(id));
	id--;
	KUNIT_ASSERT_EQ_MSG(test, err, -ENOMEM, "creating channel %u", id);
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 1U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), id - 1);
	msg_slot_test_expect_empty(test, id);
	KUNIT_EXPECT_EQ(test, msg_slot_test_count_bad(test, id - 1, 1, false),
			0U);

	kunit_deactivate_static_stub(test, msg_slot_alloc_table);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, id, id,
						  msg_slot_test_len(id)), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_count_bad(test, id, 1, false), 0U);
}

static const u32 msg_slot_test_prefills[] = { 0, 16 };

KUNIT_ARRAY_PARAM(msg_slot_test_prefill, msg_slot_test_prefills, NULL);

/*
 * Freeing a slot releases it with every message and table in it, also
 * buffers and tables that writes replaced and that wait for a grace
 * period. KASAN and kmemleak report what goes wrong.
 */
static void msg_slot_free_any_slot(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;

	msg_slot_free(NULL);
	msg_slot_free(msg_slot_alloc());
	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, 512,
							  0x9e3779b1, false),
			0U);
	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, 512,
							  0x9e3779b1, true),
			0U);
	kunit_release_action(test, msg_slot_test_free, ctx->slot);
	ctx->slot = NULL;
}

/* Expect channel @id to hold @len bytes, stored by the write of stamp @seq. */
static void msg_slot_test_expect_info(struct kunit *test, u32 id,
				      unsigned int len, u64 seq)
{
	struct msg_slot_test *ctx = test->priv;
	unsigned int got;
	u64 got_seq;

	got = msg_slot_channel_info(ctx->slot, msg_slot_key(ctx->slot, id),
				    &got_seq);
	KUNIT_EXPECT_EQ_MSG(test, got, len, "length of channel %u", id);
	KUNIT_EXPECT_EQ_MSG(test, got_seq, seq, "stamp of channel %u", id);
}

static void msg_slot_test_expect_stats(struct kunit *test, u32 channels,
				       u64 bytes, u64 writes)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_stats stats;

	msg_slot_get_stats(ctx->slot, &stats);
	KUNIT_EXPECT_EQ(test, stats.channels, channels);
	KUNIT_EXPECT_EQ(test, msg_slot_nr_channels(ctx->slot), channels);
	KUNIT_EXPECT_EQ(test, stats.bytes, bytes);
	KUNIT_EXPECT_EQ(test, stats.writes, writes);
}

/*
 * Every successful write takes the slot's next stamp, which numbers the
 * message a read returns: a new channel, a larger and a smaller size
 * class, an overwrite in place, another channel. Failed writes, among them
 * those whose buffer cannot be allocated, for a new channel or another
 * size class, change neither the channels nor the counters of the slot.
 */
static void msg_slot_write_message_counts_writes(struct kunit *test)
{
	static const unsigned int lens[] = { 1, 128, 20, 21 };
	struct msg_slot_test *ctx = test->priv;
	unsigned int i;

	msg_slot_test_expect_info(test, 9, 0, 0);
	msg_slot_test_expect_stats(test, 0, 0, 0);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		KUNIT_ASSERT_EQ(test, msg_slot_test_write(test, 9, i, lens[i]),
				0);
		msg_slot_test_expect_info(test, 9, lens[i], i + 1);
		msg_slot_test_expect_holds(test, 9, i, lens[i]);
		KUNIT_EXPECT_EQ(test, ctx->seq, i + 1);
		msg_slot_test_expect_stats(test, 1, lens[i], i + 1);
	}

	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 9, 5, 129), -EMSGSIZE);
	ctx->fail_alloc = true;
	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_note_buffer);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 9, 5, 128), -ENOMEM);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 5, 128), -ENOMEM);
	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 2U);
	ctx->max_channels = 1;
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 5, 1), -ENOSPC);
	msg_slot_test_expect_holds(test, 9, 3, 21);
	msg_slot_test_expect_info(test, 9, 21, 4);
	msg_slot_test_expect_info(test, 1, 0, 0);
	msg_slot_test_expect_stats(test, 1, 21, 4);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);

	ctx->max_channels = 2;
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 5, 1), 0);
	msg_slot_test_expect_info(test, 1, 1, 5);
	msg_slot_test_expect_info(test, 9, 21, 4);
	msg_slot_test_expect_stats(test, 2, 22, 5);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 9, 6, 21), 0);
	msg_slot_test_expect_info(test, 9, 21, 6);
	msg_slot_test_expect_info(test, 1, 1, 5);
}

/*
 * A clear removes a channel: it reads as never written, stamp 0, the slot
 * counts it no more, and other channels keep their messages; clearing a
 * channel without a message, or id 0, is no error. A write after a clear
 * creates the channel again, with a stamp newer than any before; one whose
 * buffer cannot be allocated leaves it absent.
 */
static void msg_slot_clear_removes_channel(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;

	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, U32_MAX), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, 0), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 0U);

	KUNIT_ASSERT_EQ(test, msg_slot_test_write(test, U32_MAX, 1, 128), 0);
	KUNIT_ASSERT_EQ(test, msg_slot_test_write(test, 1, 1, 1), 0);
	msg_slot_test_expect_stats(test, 2, 129, 2);

	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, U32_MAX), 0);
	msg_slot_test_expect_empty(test, U32_MAX);
	msg_slot_test_expect_info(test, U32_MAX, 0, 0);
	msg_slot_test_expect_holds(test, 1, 1, 1);
	msg_slot_test_expect_stats(test, 1, 1, 2);
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, U32_MAX), 0);
	msg_slot_test_expect_stats(test, 1, 1, 2);

	ctx->fail_alloc = true;
	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_note_buffer);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, U32_MAX, 2, 128),
			-ENOMEM);
	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	msg_slot_test_expect_info(test, U32_MAX, 0, 0);
	msg_slot_test_expect_stats(test, 1, 1, 2);

	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, U32_MAX, 2, 128), 0);
	msg_slot_test_expect_holds(test, U32_MAX, 2, 128);
	KUNIT_EXPECT_EQ(test, ctx->seq, 3U);
	msg_slot_test_expect_stats(test, 2, 129, 3);

	/* The last channel gone, the slot keeps no table. */
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, 1), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, U32_MAX), 0);
	msg_slot_test_expect_stats(test, 0, 0, 3);
	KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot), 0U);
}

/* The capacity of a table shrunk for @nr channels: 58% full, or none. */
static u32 msg_slot_test_shrunk(u32 nr)
{
	u32 want = max(nr + nr / 2, nr + 1);

	return nr ? max(want + want / 7 + 1, 8U) : 0;
}

/*
 * Clears that leave less than a quarter of the table in use shrink it, to
 * a table 58% full, and the channels left keep their messages at every
 * step; a clear and a refill just after a shrink resize nothing. A table
 * of one segment is replaced at once by another; a larger one by a
 * resize, which starts at the same count and ends some clears later. Ids
 * dense or scattered.
 */
static void msg_slot_clear_shrinks_table(struct kunit *test)
{
	u32 step = *(const u32 *)test->param_value;
	struct msg_slot_test *ctx = test->priv;
	u32 i, capacity, resizing = 0, target, nr_bad = 0, nr_shrinks = 0;
	u32 nr_resizes = 0;
	u64 nr_writes = 4096;

	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, 4096, step,
							  false), 0U);
	/* Grown by half at 7/8, from 8 entries. */
	capacity = msg_slot_capacity(ctx->slot);
	KUNIT_EXPECT_EQ(test, capacity, 6166U);
	KUNIT_EXPECT_EQ(test, msg_slot_resize_capacity(ctx->slot), 0U);

	/* Clear from the top: channel i lives while i <= the count. */
	for (i = 4096; i >= 1; i--) {
		KUNIT_ASSERT_EQ(test, msg_slot_test_clear(test, i * step), 0);
		target = msg_slot_resize_capacity(ctx->slot);
		if (target && !resizing) {
			/* At the first count below a quarter. */
			KUNIT_EXPECT_EQ(test, i - 1, capacity / 4 - 1);
			KUNIT_EXPECT_EQ_MSG(test, target,
					    msg_slot_test_shrunk(i - 1),
					    "resize at %u channels", i - 1);
			resizing = target;
			nr_resizes++;
			nr_shrinks++;
		}
		if (msg_slot_capacity(ctx->slot) == capacity)
			continue;
		if (resizing) {
			KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot),
					resizing);
			resizing = 0;
		} else {
			/* At the first count below a quarter, or at none. */
			KUNIT_EXPECT_EQ(test, i - 1,
					capacity > 8 ? capacity / 4 - 1 : 0);
			KUNIT_EXPECT_EQ_MSG(test, msg_slot_capacity(ctx->slot),
					    msg_slot_test_shrunk(i - 1),
					    "shrunk at %u channels", i - 1);
			nr_shrinks++;
		}
		capacity = msg_slot_capacity(ctx->slot);
		nr_bad += msg_slot_test_count_bad(test, i - 1, step, false);
		if (i - 1 < 2)
			continue;
		KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, (i - 1) * step),
				0);
		nr_bad += msg_slot_test_fill_channels(test, i - 1, step, false);
		nr_writes += i - 1;
		KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot), capacity);
		KUNIT_EXPECT_EQ(test, msg_slot_resize_capacity(ctx->slot), 0U);
	}
	KUNIT_EXPECT_EQ(test, nr_bad, 0U);
	/*
	 * 6166 -> 2641 -> 1130 -> 482 -> 204 -> 86, by resizes; then -> 35
	 * -> 12 -> 8 -> 0, at once.
	 */
	KUNIT_EXPECT_EQ(test, nr_shrinks, 9U);
	KUNIT_EXPECT_EQ(test, nr_resizes, 5U);
	msg_slot_test_expect_stats(test, 0, 0, nr_writes);
}

/*
 * The channels of a resize case: channel i, of id i * @step, holds the
 * message of seeds[i], or nothing when that is 0.
 */
struct msg_slot_test_model {
	u32 step;
	u32 nr_ids;
	u32 *seeds;
};

static int msg_slot_test_model_write(struct kunit *test,
				     struct msg_slot_test_model *model, u32 i,
				     u32 seed)
{
	int err = msg_slot_test_write(test, i * model->step, seed,
				      msg_slot_test_len(seed));

	if (!err)
		model->seeds[i] = seed;
	return err;
}

static int msg_slot_test_model_clear(struct kunit *test,
				     struct msg_slot_test_model *model, u32 i)
{
	model->seeds[i] = 0;
	return msg_slot_test_clear(test, i * model->step);
}

/* How many channels of @model do not hold what they should. */
static u32 msg_slot_test_model_bad(struct kunit *test,
				   struct msg_slot_test_model *model)
{
	u32 i, seed, nr_bad = 0;

	for (i = 1; i < model->nr_ids; i++) {
		seed = model->seeds[i];
		if (seed ? !msg_slot_test_holds(test, i * model->step, seed,
						msg_slot_test_len(seed)) :
			   msg_slot_test_read(test, i * model->step) != 0)
			nr_bad++;
	}
	return nr_bad;
}

/*
 * A table of more than one segment is resized a step at a time: a growth
 * starts at 3/4 load, and while it runs, every channel keeps its message,
 * in the old table or the new one, through new channels, overwrites of
 * another size class and clears, and the resize ends within a bounded
 * number of steps. A shrink met by a burst of new channels has room for
 * them all, and clearing every channel during a resize leaves no table.
 */
static void msg_slot_resize_keeps_channels(struct kunit *test)
{
	struct msg_slot_test_model model = {
		.step = *(const u32 *)test->param_value,
		.nr_ids = 4096,
	};
	struct msg_slot_test *ctx = test->priv;
	u32 i, n = 0, op, capacity, target, nr_bad = 0, nr_failed = 0;
	u32 bound;

	model.seeds = kunit_kcalloc(test, model.nr_ids, sizeof(u32),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, model.seeds);

	/* Grow to a table of several segments, up to its next resize. */
	do {
		capacity = msg_slot_capacity(ctx->slot);
		n++;
		KUNIT_ASSERT_EQ(test, msg_slot_test_model_write(test, &model, n,
								n), 0);
		target = msg_slot_resize_capacity(ctx->slot);
	} while (capacity < 1024 || !target);
	KUNIT_EXPECT_EQ(test, n, capacity * 3 / 4 + 1);
	KUNIT_EXPECT_GT(test, target, capacity);

	/*
	 * Each new channel or clear is a step: a segment of the new table,
	 * then 32 entries of the old one visited, each free one once and each
	 * channel at most twice. The slot's work may take some.
	 */
	bound = DIV_ROUND_UP(target, 128) + DIV_ROUND_UP(capacity * 2, 32);
	for (op = 0; msg_slot_resize_capacity(ctx->slot); op++) {
		KUNIT_ASSERT_LT(test, op, bound);
		n++;
		nr_failed += !!msg_slot_test_model_write(test, &model, n, n);
		i = 1 + op * 7 % n;
		nr_failed += !!msg_slot_test_model_write(test, &model, i,
							 i + 1000000);
		if (op % 3 == 0)
			nr_failed += !!msg_slot_test_model_clear(test, &model,
								 1 + op * 13 % n);
		nr_bad += msg_slot_test_model_bad(test, &model);
	}
	KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot), target);
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, nr_bad, 0U);

	/* Clear down to a shrink, then meet it with new channels. */
	capacity = target;
	for (i = 1; !msg_slot_resize_capacity(ctx->slot); i++)
		nr_failed += !!msg_slot_test_model_clear(test, &model, i);
	KUNIT_EXPECT_LT(test, msg_slot_resize_capacity(ctx->slot), capacity);
	while (msg_slot_resize_capacity(ctx->slot)) {
		KUNIT_ASSERT_LT(test, n + 1, model.nr_ids);
		n++;
		nr_failed += !!msg_slot_test_model_write(test, &model, n, n);
	}
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_model_bad(test, &model), 0U);

	/* Grow again, and clear every channel while the resize runs. */
	while (!msg_slot_resize_capacity(ctx->slot) && n + 1 < model.nr_ids) {
		n++;
		nr_failed += !!msg_slot_test_model_write(test, &model, n, n);
	}
	KUNIT_ASSERT_NE(test, msg_slot_resize_capacity(ctx->slot), 0U);
	for (i = 1; i <= n; i++)
		nr_failed += !!msg_slot_test_model_clear(test, &model, i);
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot), 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_resize_capacity(ctx->slot), 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_model_bad(test, &model), 0U);
}

/*
 * A table can be full with no resize running: one user filled it to its
 * max_channels, which a growth does not go beyond. Once max_channels is
 * raised, the next new channel needs a table of two segments, so it
 * starts a resize and adds both segments before it creates its channel,
 * rather than fail. Nothing changes for the channels there.
 */
static void msg_slot_write_message_full_before_resize(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;

	ctx->max_channels = 111;
	KUNIT_ASSERT_EQ(test, msg_slot_test_fill_channels(test, 111, 1, false),
			0U);
	/* 111 channels fill 127 entries 7/8: one segment, full. */
	KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot), 127U);
	KUNIT_EXPECT_EQ(test, msg_slot_resize_capacity(ctx->slot), 0U);

	ctx->max_channels = MSG_SLOT_MAX_CHANNELS;
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 112, 112,
						  msg_slot_test_len(112)), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_count_bad(test, 112, 1, false), 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 112U);
	KUNIT_EXPECT_GT(test, msg_slot_capacity(ctx->slot) +
			      msg_slot_resize_capacity(ctx->slot), 256U);
}

/*
 * The bound is per user. One user at its bound gets -ENOSPC for a new
 * channel, and for another user's channel too, since overwriting one takes
 * it; another user still creates as many as its own bound, and takes a
 * channel from the first once it holds fewer. Clearing gives a channel
 * back to its holder's bound, whoever clears it. Failed writes change
 * nothing.
 */
static void msg_slot_write_message_bound_per_user(struct kunit *test)
{
	const kuid_t alice = KUIDT_INIT(1000), bob = KUIDT_INIT(65534);
	struct msg_slot_test *ctx = test->priv;
	u32 id, nr_failed = 0;

	ctx->max_channels = 64;
	ctx->user = alice;
	for (id = 1; id <= 64; id++)
		nr_failed += !!msg_slot_test_write(test, id, id, 20);
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 65, 65, 20), -ENOSPC);

	ctx->user = bob;
	for (id = 101; id <= 164; id++)
		nr_failed += !!msg_slot_test_write(test, id, id, 20);
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 165, 1, 20), -ENOSPC);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 1, 20), -ENOSPC);
	msg_slot_test_expect_holds(test, 1, 1, 20);
	msg_slot_test_expect_empty(test, 165);
	/* Overwriting its own channels never hits the bound. */
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 101, 7, 20), 0);

	/* Bob clears one of his, takes one of Alice's. */
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, 164), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 9, 20), 0);
	msg_slot_test_expect_holds(test, 1, 9, 20);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 164, 1, 20), -ENOSPC);

	/* Alice holds 63: room for one more, then none. */
	ctx->user = alice;
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 65, 65, 20), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 66, 66, 20), -ENOSPC);
	/* Bob clears Alice's channel 2: Alice's bound gets it back. */
	ctx->user = bob;
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, 2), 0);
	ctx->user = alice;
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 66, 66, 20), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 128U);

	/* Alice clears all of hers: Bob is untouched, Alice refills. */
	for (id = 1; id <= 66; id++)
		msg_slot_test_clear(test, id);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 63U);
	msg_slot_test_expect_holds(test, 101, 7, 20);
	for (id = 102; id <= 163; id++)
		msg_slot_test_expect_holds(test, id, id, 20);
	for (id = 1; id <= 64; id++)
		nr_failed += !!msg_slot_test_write(test, id, id, 20);
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 65, 65, 20), -ENOSPC);
}

/* A watcher with a waiter on its queue that counts wake-ups. */
struct msg_slot_test_watch {
	struct msg_slot_watcher watcher;
	struct wait_queue_entry wait;
	unsigned int nr_wakeups;
	__poll_t key;	/* of the last wake-up */
};

static int msg_slot_test_wake(struct wait_queue_entry *wait, unsigned int mode,
			      int sync, void *key)
{
	struct msg_slot_test_watch *watch =
		container_of(wait, struct msg_slot_test_watch, wait);

	watch->nr_wakeups++;
	watch->key = key_to_poll(key);
	return 0;
}

static int msg_slot_test_watch(struct kunit *test,
			       struct msg_slot_test_watch *watch, u32 id)
{
	struct msg_slot_test *ctx = test->priv;

	return msg_slot_watch(ctx->slot, &watch->watcher,
			      msg_slot_key(ctx->slot, id));
}

/*
 * A write wakes each watcher of its channel once, with EPOLLIN, and no
 * other: not one of another channel, even one sharing its list (65
 * channels for 64 lists), and not one that moved away or stopped. Failed
 * writes and clears wake nobody.
 */
static void msg_slot_watch_wakes_its_channel(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_watch *watches;
	unsigned int i;

	/* Watch i watches channel i + 1; watch 65 channel 1 too. */
	watches = kunit_kcalloc(test, 66, sizeof(*watches), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, watches);
	for (i = 0; i < 66; i++) {
		msg_slot_watcher_init(&watches[i].watcher);
		init_waitqueue_func_entry(&watches[i].wait, msg_slot_test_wake);
		add_wait_queue(&watches[i].watcher.wait, &watches[i].wait);
		KUNIT_ASSERT_EQ(test, msg_slot_test_watch(test, &watches[i],
							  i < 65 ? i + 1 : 1),
				0);
	}
	KUNIT_EXPECT_EQ(test, msg_slot_test_watch(test, &watches[0], 0),
			-EINVAL);

	for (i = 1; i <= 65; i++)
		KUNIT_ASSERT_EQ(test, msg_slot_test_write(test, i, i, 20), 0);
	for (i = 0; i < 66; i++) {
		KUNIT_EXPECT_EQ_MSG(test, watches[i].nr_wakeups, 1U,
				    "watch %u", i);
		KUNIT_EXPECT_TRUE(test,
				  watches[i].key == (EPOLLIN | EPOLLRDNORM));
	}

	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 1, 129), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[0].nr_wakeups, 1U);
	KUNIT_EXPECT_EQ(test, watches[65].nr_wakeups, 1U);

	/* Watch 65 moves to channel 2, then watch 0 stops. */
	KUNIT_EXPECT_EQ(test, msg_slot_test_watch(test, &watches[65], 2), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[0].nr_wakeups, 2U);
	KUNIT_EXPECT_EQ(test, watches[65].nr_wakeups, 1U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 2, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[1].nr_wakeups, 2U);
	KUNIT_EXPECT_EQ(test, watches[65].nr_wakeups, 2U);
	msg_slot_unwatch(ctx->slot, &watches[0].watcher);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[0].nr_wakeups, 2U);
	for (i = 2; i < 65; i++)
		KUNIT_EXPECT_EQ_MSG(test, watches[i].nr_wakeups, 1U,
				    "watch %u", i);

	for (i = 0; i < 66; i++) {
		msg_slot_unwatch(ctx->slot, &watches[i].watcher);
		remove_wait_queue(&watches[i].watcher.wait, &watches[i].wait);
	}
}

/*
 * The race: two writers overwrite channels 1 to 4, each after every
 * overwrite creating a channel of its own, 2048 in turn, then clearing
 * them in turn, so that the table grows and shrinks four times, by
 * resizes that move channels 1 to 4 between tables a batch at a time,
 * while two readers read channels 1 to 4 in turn. A race message is its 4-byte
 * seed, then bytes made from the seed, with a length the seed sets: a
 * reader can tell a whole message written to the channel it read from
 * anything else.
 */
struct msg_slot_test_racer {
	struct msg_slot_test *ctx;
	struct task_struct *task;
	unsigned int index;	/* among the writers, or the readers */
	unsigned long nr_reads;
	unsigned int nr_bad;	/* failed writes; empty, torn or old reads */
	u64 newest_seq[4];	/* per channel, the newest stamp read */
	u8 msg[MSG_SLOT_MAX_MSG_LEN];
	u8 expected[MSG_SLOT_MAX_MSG_LEN];
};

static unsigned int msg_slot_test_race_fill(u8 *buf, u32 seed)
{
	unsigned int len = 8 + seed * 37 % 121;

	memcpy(buf, &seed, sizeof(seed));
	msg_slot_test_fill(buf + sizeof(seed), seed, len - sizeof(seed));
	return len;
}

/* Whether @len bytes of @msg are one whole race message for channel @id. */
static bool msg_slot_test_race_whole(const u8 *msg, unsigned int len,
				     u8 *expected, u32 id)
{
	u32 seed;

	if (len < 8)
		return false;
	memcpy(&seed, msg, sizeof(seed));
	return 1 + seed % 4 == id &&
	       msg_slot_test_race_fill(expected, seed) == len &&
	       !memcmp(msg, expected, len);
}

static int msg_slot_test_race_writer(void *data)
{
	struct msg_slot_test_racer *racer = data;
	struct msg_slot *slot = racer->ctx->slot;
	unsigned int op, len;
	u32 seed, own;

	for (op = 0; op < 16384; op++) {
		seed = (racer->index + 1) * 16384 + op;
		own = 5 + racer->index * 2048 + op % 2048;
		len = msg_slot_test_race_fill(racer->msg, seed);
		if (msg_slot_write_message(slot, msg_slot_key(slot, 1 + op % 4),
					   racer->msg, len, GLOBAL_ROOT_UID,
					   MSG_SLOT_MAX_CHANNELS) ||
		    (op / 2048 % 2 ?
		     msg_slot_clear(slot, msg_slot_key(slot, own)) :
		     msg_slot_write_message(slot, msg_slot_key(slot, own),
					    racer->msg, len, GLOBAL_ROOT_UID,
					    MSG_SLOT_MAX_CHANNELS)))
			racer->nr_bad++;
		cond_resched();
	}
	atomic_dec(&racer->ctx->nr_writing);
	return 0;
}

static int msg_slot_test_race_reader(void *data)
{
	struct msg_slot_test_racer *racer = data;
	struct msg_slot *slot = racer->ctx->slot;
	unsigned int op, len;
	u64 seq;
	u32 id;

	for (op = 0; op < 16384 || atomic_read(&racer->ctx->nr_writing);
	     op++) {
		id = 1 + (op + racer->index) % 4;
		len = msg_slot_read_message(slot, msg_slot_key(slot, id),
					    racer->msg, &seq);
		if (!msg_slot_test_race_whole(racer->msg, len, racer->expected,
					      id) ||
		    seq < racer->newest_seq[id - 1])
			racer->nr_bad++;
		else
			racer->newest_seq[id - 1] = seq;
		racer->nr_reads++;
		cond_resched();
	}
	return 0;
}

KUNIT_DEFINE_ACTION_WRAPPER(msg_slot_test_join, kthread_stop_put,
			    struct task_struct *);

/*
 * Readers racing with writers, which replace messages in place and in new
 * buffers, add and remove channels and grow and shrink the table, always
 * find the channels that exist and read only whole messages of the channel
 * they read, never a mix, and never an older stamp than before. With
 * several CPUs (kunit.py --arch=x86_64 --qemu_args='-smp 2'), the threads
 * really run at the same time.
 */
static void msg_slot_read_message_concurrent_writes(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_racer *racers;
	struct msg_slot_stats stats;
	unsigned int i, len, nr_bad = 0;
	unsigned long nr_reads = 0;
	int err;

	racers = kunit_kcalloc(test, 4, sizeof(*racers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, racers);
	for (i = 0; i < 4; i++) {
		len = msg_slot_test_race_fill(ctx->msg, i);
		err = msg_slot_write_message(ctx->slot,
					     msg_slot_key(ctx->slot, 1 + i),
					     ctx->msg, len, GLOBAL_ROOT_UID,
					     MSG_SLOT_MAX_CHANNELS);
		KUNIT_ASSERT_EQ(test, err, 0);
	}
	/*
	 * Readers stop once both writers are done, so the writers start
	 * first. The case holds each task until it joins it, however the
	 * case ends: a racer may be done before anybody waits for it.
	 */
	atomic_set(&ctx->nr_writing, 2);
	for (i = 0; i < 4; i++) {
		racers[i].ctx = ctx;
		racers[i].index = i % 2;
		racers[i].task = kthread_create(i < 2 ?
						msg_slot_test_race_writer :
						msg_slot_test_race_reader,
						&racers[i], "msg_slot_race/%u",
						i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(racers[i].task));
		get_task_struct(racers[i].task);
		err = kunit_add_action_or_reset(test, msg_slot_test_join,
						racers[i].task);
		KUNIT_ASSERT_EQ(test, err, 0);
		wake_up_process(racers[i].task);
	}
	for (i = 0; i < 4; i++) {
		kunit_release_action(test, msg_slot_test_join, racers[i].task);
		nr_reads += racers[i].nr_reads;
		nr_bad += racers[i].nr_bad;
	}
	kunit_info(test, "%lu reads raced with 65536 writes and clears on %u CPUs\n",
		   nr_reads, num_online_cpus());
	KUNIT_EXPECT_EQ(test, nr_bad, 0U);
	/*
	 * The writers' own channels are all cleared, and the table shrunk
	 * back: for 4 channels, below 4 * 4 + 4 entries.
	 */
	msg_slot_get_stats(ctx->slot, &stats);
	KUNIT_EXPECT_EQ(test, stats.channels, 4U);
	KUNIT_EXPECT_LT(test, msg_slot_capacity(ctx->slot), 20U);
	/* 4 first messages, then 16384 + 8192 writes of each writer. */
	KUNIT_EXPECT_EQ(test, stats.writes, 49156U);
	/* Each channel holds the last message one of the writers wrote. */
	for (i = 1; i <= 4; i++) {
		len = msg_slot_test_read(test, i);
		KUNIT_EXPECT_TRUE_MSG(test,
				      msg_slot_test_race_whole(ctx->buf, len,
							       ctx->expected,
							       i),
				      "message of channel %u", i);
		KUNIT_EXPECT_GT(test, ctx->seq, 4U);
		KUNIT_EXPECT_LE(test, ctx->seq, stats.writes);
	}
}

/*
 * Writers allocate message buffers and tables without the slot lock, so
 * that no other writer, poll() or reader of the counters waits for an
 * allocation, and tables only under the grow lock, so that a slot
 * allocates one table at a time however many writers need one; so do the
 * clears that shrink the table.
 */
static void msg_slot_write_message_allocates_unlocked(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	u32 id, nr_failed = 0;

	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_note_buffer);
	kunit_activate_static_stub(test, msg_slot_alloc_table,
				   msg_slot_test_note_table);
	/* New channels, growing the table; then other size classes. */
	for (id = 1; id <= 100; id++)
		nr_failed += !!msg_slot_test_write(test, id, id, 1);
	for (id = 1; id <= 100; id++)
		nr_failed += !!msg_slot_test_write(test, id, id, 128);
	/* Clears, shrinking the table twice: to 67 and 26 entries. */
	for (id = 100; id > 10; id--)
		nr_failed += !!msg_slot_test_clear(test, id);
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_capacity(ctx->slot), 26U);
	/* 200 buffers, 9 tables (8, 11, 15, 22, ... 162 entries) and 2. */
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 200U + 9U + 2U);
	KUNIT_EXPECT_EQ(test, ctx->nr_locked, 0U);
	msg_slot_test_expect_holds(test, 10, 10, 128);
}

static struct kunit_case msg_slot_store_cases[] = {
	KUNIT_CASE_PARAM(msg_slot_read_message_after_write,
			 msg_slot_test_id_gen_params),
	KUNIT_CASE(msg_slot_write_message_overwrite),
	KUNIT_CASE(msg_slot_key_is_per_slot),
	KUNIT_CASE_PARAM_ATTR(msg_slot_write_message_many_channels,
			      msg_slot_test_step_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(msg_slot_write_message_channel_limit,
			      msg_slot_test_limit_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM(msg_slot_write_message_table_enomem,
			 msg_slot_test_prefill_gen_params),
	KUNIT_CASE(msg_slot_free_any_slot),
	KUNIT_CASE_SLOW(msg_slot_read_message_concurrent_writes),
	KUNIT_CASE(msg_slot_write_message_counts_writes),
	KUNIT_CASE(msg_slot_clear_removes_channel),
	KUNIT_CASE_PARAM_ATTR(msg_slot_clear_shrinks_table,
			      msg_slot_test_step_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM_ATTR(msg_slot_resize_keeps_channels,
			      msg_slot_test_step_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE(msg_slot_write_message_full_before_resize),
	KUNIT_CASE(msg_slot_write_message_bound_per_user),
	KUNIT_CASE(msg_slot_watch_wakes_its_channel),
	KUNIT_CASE(msg_slot_write_message_allocates_unlocked),
	{}
};

static struct kunit_suite msg_slot_store_suite = {
	.name = "message_slot_store",
	.init = msg_slot_test_init,
	.test_cases = msg_slot_store_cases,
};

kunit_test_suite(msg_slot_store_suite);

MODULE_DESCRIPTION("KUnit tests of the message_slot channel store");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
