// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the message_slot channel store (store.c).
 *
 * Every case gets a slot of its own from msg_slot_alloc(), freed when the
 * case ends. Test messages are made from a seed: each byte derives from the
 * seed, the length and its position, so a read that returns an older, a
 * foreign or a mixed message does not match what the case expects. The
 * allocation failure cases redirect the two allocators of the store with
 * KUnit static stubs, so they need no fault injection configured.
 */

#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/message_slot.h>

#include "store.h"

/* max_channels of the writes that do not test the limit: the default. */
#define MSG_SLOT_TEST_NO_LIMIT		MSG_SLOT_MAX_CHANNELS

/* Length of the messages whose length does not matter to the case. */
#define MSG_SLOT_TEST_LEN		20U
/* One byte more than a channel holds. */
#define MSG_SLOT_TEST_TOO_LONG		(MSG_SLOT_MAX_MSG_LEN + 1U)
/* Shortest and longest message: the smallest and largest size class. */
#define MSG_SLOT_TEST_SHORT_LEN		1U
#define MSG_SLOT_TEST_LONG_LEN		((unsigned int)MSG_SLOT_MAX_MSG_LEN)

/* The id no channel may have. */
#define MSG_SLOT_TEST_ID_INVALID	0U
/* The smallest id, one in the middle (2^20) and the largest. */
#define MSG_SLOT_TEST_ID_MIN		1U
#define MSG_SLOT_TEST_ID_MID		BIT(20)
#define MSG_SLOT_TEST_ID_MAX		U32_MAX
/*
 * Odd, so multiplying by it permutes the 32-bit ids and never maps a
 * non-zero index to id 0: it scatters indices over the whole id space.
 */
#define MSG_SLOT_TEST_ID_SCATTER	0x9e3779b1U

/* Seeds of an old message and of the message that should replace it. */
#define MSG_SLOT_TEST_SEED_OLD		1U
#define MSG_SLOT_TEST_SEED_NEW		2U
/* Initial value of the hash that turns a seed into message bytes. */
#define MSG_SLOT_TEST_HASH_INIT		0x6d736c74U

/* Channels of the case that checks they stay independent. */
#define MSG_SLOT_TEST_MANY_CHANNELS	BIT(16)
/* Channels of the growth case: they take the table through 13 sizes. */
#define MSG_SLOT_TEST_GROWTH_CHANNELS	512U
/* Channels created before a table growth is made to fail. */
#define MSG_SLOT_TEST_PREFILL_CHANNELS	16U

/*
 * Channels of the watcher case: one more than the store has lists of
 * watchers, so that at least two of them share a list.
 */
#define MSG_SLOT_TEST_WATCH_CHANNELS	65U

/* Threads of the race case, and the operations each one performs. */
#define MSG_SLOT_TEST_RACE_WRITERS	2U
#define MSG_SLOT_TEST_RACE_READERS	2U
#define MSG_SLOT_TEST_RACE_THREADS	(MSG_SLOT_TEST_RACE_WRITERS + \
					 MSG_SLOT_TEST_RACE_READERS)
#define MSG_SLOT_TEST_RACE_OPS		BIT(14)
/* Where a race message comes from: the initial write, or a writer. */
#define MSG_SLOT_TEST_RACE_SOURCES	(1U + MSG_SLOT_TEST_RACE_WRITERS)
/* Channels the writers overwrite and the readers check, ids 1 to 4. */
#define MSG_SLOT_TEST_RACE_CHANNELS	4U
/*
 * A race message starts with its seed, and its length derives from the
 * seed too. The shortest (the smallest size class) still has four bytes
 * after the seed to check; consecutive seeds step through the lengths by
 * a prime, so that they change size class most of the time.
 */
#define MSG_SLOT_TEST_RACE_MIN_LEN	8U
#define MSG_SLOT_TEST_RACE_LEN_STEP	37U
#define MSG_SLOT_TEST_RACE_NR_LENS	(MSG_SLOT_MAX_MSG_LEN + 1U - \
					 MSG_SLOT_TEST_RACE_MIN_LEN)

/* How long a case waits for another task to get where it expects. */
#define MSG_SLOT_TEST_TIMEOUT		(10 * HZ)

struct msg_slot_test_bystander;
struct msg_slot_test_grower;

/**
 * struct msg_slot_test - state of one test case
 * @slot: the slot under test, freed when the case ends
 * @nr_stub_calls: calls to the allocator stubs
 * @bystander: the task that runs while an allocator stub waits
 * @grower: the second writer of the case that grows the table twice over
 * @msg: message to write, one byte longer than a channel holds
 * @expected: message the case expects to read
 * @buf: message read back
 * @seq: write count of the message read back
 */
struct msg_slot_test {
	struct msg_slot *slot;
	unsigned int nr_stub_calls;
	struct msg_slot_test_bystander *bystander;
	struct msg_slot_test_grower *grower;
	u8 msg[MSG_SLOT_TEST_TOO_LONG];
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
	test->priv = ctx;
	return kunit_add_action_or_reset(test, msg_slot_test_free, ctx->slot);
}

/* Fill @buf with the @len bytes of the test message made from @seed. */
static void msg_slot_test_fill(u8 *buf, u32 seed, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = jhash_3words(seed, len, i, MSG_SLOT_TEST_HASH_INIT);
}

/* Length 1 to MSG_SLOT_MAX_MSG_LEN of the message of @seed, when it varies. */
static unsigned int msg_slot_test_len(u32 seed)
{
	return MSG_SLOT_TEST_SHORT_LEN + seed % MSG_SLOT_MAX_MSG_LEN;
}

/* Id of the channel of index @index, 1 and up, dense or scattered. */
static u32 msg_slot_test_id(u32 index, bool scatter)
{
	return scatter ? index * MSG_SLOT_TEST_ID_SCATTER : index;
}

/*
 * Write the message of @len bytes made from @seed to channel @id of a slot
 * that may hold @max_channels channels.
 */
static int msg_slot_test_write_limit(struct kunit *test, u32 id, u32 seed,
				     unsigned int len, u32 max_channels)
{
	struct msg_slot_test *ctx = test->priv;

	msg_slot_test_fill(ctx->msg, seed, len);
	return msg_slot_write_message(ctx->slot, msg_slot_key(ctx->slot, id),
				      ctx->msg, len, max_channels);
}

/* The same, when the case does not test the channel limit. */
static int msg_slot_test_write(struct kunit *test, u32 id, u32 seed,
			       unsigned int len)
{
	return msg_slot_test_write_limit(test, id, seed, len,
					 MSG_SLOT_TEST_NO_LIMIT);
}

/* Whether channel @id holds exactly the message of @len bytes of @seed. */
static bool msg_slot_test_holds(struct kunit *test, u32 id, u32 seed,
				unsigned int len)
{
	struct msg_slot_test *ctx = test->priv;

	msg_slot_test_fill(ctx->expected, seed, len);
	return msg_slot_read_message(ctx->slot, msg_slot_key(ctx->slot, id),
				     ctx->buf, &ctx->seq) == len &&
	       !memcmp(ctx->buf, ctx->expected, len);
}

/* Expect channel @id to hold the message of @len bytes made from @seed. */
static void msg_slot_test_expect_holds(struct kunit *test, u32 id, u32 seed,
				       unsigned int len)
{
	struct msg_slot_test *ctx = test->priv;
	unsigned int got;

	msg_slot_test_fill(ctx->expected, seed, len);
	got = msg_slot_read_message(ctx->slot, msg_slot_key(ctx->slot, id),
				    ctx->buf, &ctx->seq);
	KUNIT_EXPECT_EQ_MSG(test, got, len, "length read from channel %u", id);
	if (got == len)
		KUNIT_EXPECT_MEMEQ_MSG(test, ctx->buf, ctx->expected, len,
				       "message read from channel %u", id);
}

/* Expect channel @id to hold no message. */
static void msg_slot_test_expect_empty(struct kunit *test, u32 id)
{
	struct msg_slot_test *ctx = test->priv;
	unsigned int got;

	got = msg_slot_read_message(ctx->slot, msg_slot_key(ctx->slot, id),
				    ctx->buf, &ctx->seq);
	KUNIT_EXPECT_EQ_MSG(test, got, 0U, "length read from channel %u", id);
}

/* Clear channel @id. */
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
 * Seed of the message of the channel of index @index and id @id: the id
 * itself, or its complement for the even indices once @rewritten.
 */
static u32 msg_slot_test_seed(u32 index, u32 id, bool rewritten)
{
	return rewritten && index % 2 == 0 ? ~id : id;
}

/*
 * Count the channels of indices 1 to @count that do not hold the message
 * of their seed, and set *@first_bad to the id of the first of them.
 */
static u32 msg_slot_test_count_bad(struct kunit *test, u32 count,
				   bool scatter, bool rewritten,
				   u32 *first_bad)
{
	u32 index, id, seed, nr_bad = 0;
	unsigned int len;

	*first_bad = MSG_SLOT_TEST_ID_INVALID;
	for (index = 1; index <= count; index++) {
		id = msg_slot_test_id(index, scatter);
		seed = msg_slot_test_seed(index, id, rewritten);
		len = msg_slot_test_len(seed);
		if (msg_slot_test_holds(test, id, seed, len))
			continue;
		if (!nr_bad++)
			*first_bad = id;
	}
	return nr_bad;
}

/*
 * Write to the channels of indices @first to @last the message of their
 * seed, skipping those that already hold it once @rewritten. Return the
 * number of writes that failed.
 */
static u32 msg_slot_test_populate(struct kunit *test, u32 first, u32 last,
				  bool scatter, bool rewritten)
{
	u32 index, id, seed, nr_failed = 0;
	unsigned int len;

	for (index = first; index <= last; index++) {
		id = msg_slot_test_id(index, scatter);
		seed = msg_slot_test_seed(index, id, rewritten);
		if (rewritten && seed == id)
			continue;
		len = msg_slot_test_len(seed);
		if (msg_slot_test_write(test, id, seed, len))
			nr_failed++;
	}
	return nr_failed;
}

/* Parameters: channel ids at both ends of the range and in the middle. */
struct msg_slot_test_id_case {
	const char *desc;
	u32 id;
};

static const struct msg_slot_test_id_case msg_slot_test_id_cases[] = {
	{ .desc = "id 1", .id = MSG_SLOT_TEST_ID_MIN },
	{ .desc = "id 2^20", .id = MSG_SLOT_TEST_ID_MID },
	{ .desc = "id U32_MAX", .id = MSG_SLOT_TEST_ID_MAX },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_ids, msg_slot_test_id_cases, desc);

/* Reading a channel that never got a message returns nothing. */
static void msg_slot_read_message_empty_channel(struct kunit *test)
{
	const struct msg_slot_test_id_case *param = test->param_value;
	u32 other = MSG_SLOT_TEST_ID_MIN;
	int err;

	if (param->id == other)
		other = MSG_SLOT_TEST_ID_MAX;

	/* No channel at all yet. */
	msg_slot_test_expect_empty(test, param->id);

	/* Another channel exists; this one still has no message. */
	err = msg_slot_test_write(test, other, MSG_SLOT_TEST_SEED_OLD,
				  MSG_SLOT_TEST_LEN);
	KUNIT_ASSERT_EQ(test, err, 0);
	msg_slot_test_expect_empty(test, param->id);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);
}

/* A written message reads back exactly, as often as asked. */
static void msg_slot_read_message_after_write(struct kunit *test)
{
	const struct msg_slot_test_id_case *param = test->param_value;
	unsigned int len = msg_slot_test_len(param->id);
	unsigned int i;
	u32 other;
	int err;

	err = msg_slot_test_write(test, param->id, param->id, len);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);
	msg_slot_test_expect_holds(test, param->id, param->id, len);
	/* Reading does not consume the message. */
	msg_slot_test_expect_holds(test, param->id, param->id, len);

	/* Messages written to the other ids leave this channel alone. */
	for (i = 0; i < ARRAY_SIZE(msg_slot_test_id_cases); i++) {
		other = msg_slot_test_id_cases[i].id;
		if (other == param->id)
			continue;
		err = msg_slot_test_write(test, other, ~other,
					  MSG_SLOT_TEST_LEN);
		KUNIT_ASSERT_EQ(test, err, 0);
		msg_slot_test_expect_holds(test, other, ~other,
					   MSG_SLOT_TEST_LEN);
	}
	msg_slot_test_expect_holds(test, param->id, param->id, len);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test),
			(u32)ARRAY_SIZE(msg_slot_test_id_cases));
}

/*
 * Parameters: lengths at both ends of the size classes of message buffers
 * (up to 8, 16, 64 and 128 bytes).
 */
struct msg_slot_test_len_case {
	const char *desc;
	unsigned int len;
};

static const struct msg_slot_test_len_case msg_slot_test_len_cases[] = {
	{ .desc = "from 1 byte", .len = 1 },
	{ .desc = "from 8 bytes", .len = 8 },
	{ .desc = "from 9 bytes", .len = 9 },
	{ .desc = "from 64 bytes", .len = 64 },
	{ .desc = "from 65 bytes", .len = 65 },
	{ .desc = "from 128 bytes", .len = MSG_SLOT_MAX_MSG_LEN },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_lens, msg_slot_test_len_cases, desc);

/*
 * Overwriting replaces the whole message with one of every length in the
 * table: shorter, as long or longer, in the same size class or not.
 */
static void msg_slot_write_message_overwrite(struct kunit *test)
{
	const struct msg_slot_test_len_case *param = test->param_value;
	u32 id = MSG_SLOT_TEST_ID_MID, seed = MSG_SLOT_TEST_SEED_OLD;
	unsigned int i, to;
	int err;

	for (i = 0; i < ARRAY_SIZE(msg_slot_test_len_cases); i++) {
		to = msg_slot_test_len_cases[i].len;

		err = msg_slot_test_write(test, id, ++seed, param->len);
		KUNIT_ASSERT_EQ(test, err, 0);
		msg_slot_test_expect_holds(test, id, seed, param->len);

		err = msg_slot_test_write(test, id, ++seed, to);
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "overwriting with %u bytes",
				    to);
		msg_slot_test_expect_holds(test, id, seed, to);
	}
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);
}

/* Parameters: lengths just inside and just outside the accepted range. */
struct msg_slot_test_bound_case {
	const char *desc;
	unsigned int len;
	int err;
};

static const struct msg_slot_test_bound_case msg_slot_test_bound_cases[] = {
	{ .desc = "0 bytes", .len = 0, .err = -EMSGSIZE },
	{ .desc = "1 byte", .len = 1, .err = 0 },
	{ .desc = "128 bytes", .len = MSG_SLOT_MAX_MSG_LEN, .err = 0 },
	{ .desc = "129 bytes", .len = MSG_SLOT_TEST_TOO_LONG,
	  .err = -EMSGSIZE },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_bounds, msg_slot_test_bound_cases, desc);

/*
 * Messages of 1 to MSG_SLOT_MAX_MSG_LEN bytes are stored; others are
 * refused with -EMSGSIZE and change nothing, whether the channel is new
 * or holds a message.
 */
static void msg_slot_write_message_length_bounds(struct kunit *test)
{
	const struct msg_slot_test_bound_case *param = test->param_value;
	u32 old = MSG_SLOT_TEST_ID_MIN, fresh = MSG_SLOT_TEST_ID_MAX;
	u32 nr = param->err ? 1 : 2;
	int err;

	err = msg_slot_test_write(test, old, MSG_SLOT_TEST_SEED_OLD,
				  MSG_SLOT_TEST_LEN);
	KUNIT_ASSERT_EQ(test, err, 0);

	err = msg_slot_test_write(test, fresh, MSG_SLOT_TEST_SEED_NEW,
				  param->len);
	KUNIT_EXPECT_EQ(test, err, param->err);
	if (param->err)
		msg_slot_test_expect_empty(test, fresh);
	else
		msg_slot_test_expect_holds(test, fresh, MSG_SLOT_TEST_SEED_NEW,
					   param->len);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), nr);

	err = msg_slot_test_write(test, old, MSG_SLOT_TEST_SEED_NEW,
				  param->len);
	KUNIT_EXPECT_EQ(test, err, param->err);
	if (param->err)
		msg_slot_test_expect_holds(test, old, MSG_SLOT_TEST_SEED_OLD,
					   MSG_SLOT_TEST_LEN);
	else
		msg_slot_test_expect_holds(test, old, MSG_SLOT_TEST_SEED_NEW,
					   param->len);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), nr);
}

/* Channel id 0 is refused with -EINVAL and changes nothing. */
static void msg_slot_write_message_id_zero(struct kunit *test)
{
	int err;

	err = msg_slot_test_write(test, MSG_SLOT_TEST_ID_INVALID,
				  MSG_SLOT_TEST_SEED_NEW, MSG_SLOT_TEST_LEN);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 0U);

	err = msg_slot_test_write(test, MSG_SLOT_TEST_ID_MIN,
				  MSG_SLOT_TEST_SEED_OLD, MSG_SLOT_TEST_LEN);
	KUNIT_ASSERT_EQ(test, err, 0);
	err = msg_slot_test_write(test, MSG_SLOT_TEST_ID_INVALID,
				  MSG_SLOT_TEST_SEED_NEW, MSG_SLOT_TEST_LEN);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);
	msg_slot_test_expect_holds(test, MSG_SLOT_TEST_ID_MIN,
				   MSG_SLOT_TEST_SEED_OLD, MSG_SLOT_TEST_LEN);
}

/*
 * A key hashes its id under the slot's own random key: the same id gets
 * the same hash in one slot and, but by chance, another one elsewhere.
 */
static void msg_slot_key_is_per_slot(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot *other = msg_slot_alloc();
	struct msg_slot_key key;
	unsigned int alike = 0;
	u32 id;

	KUNIT_ASSERT_NOT_NULL(test, other);
	for (id = 1; id <= 64; id++) {
		key = msg_slot_key(ctx->slot, id);
		KUNIT_EXPECT_EQ(test, key.id, id);
		KUNIT_EXPECT_EQ(test, msg_slot_key(ctx->slot, id).hash,
				key.hash);
		if (msg_slot_key(other, id).hash == key.hash)
			alike++;
	}
	msg_slot_free(other);
	/* Two 32-bit hashes match with odds of 2^-32: twice is unheard of. */
	KUNIT_EXPECT_LE(test, alike, 1U);
}

/* Parameters: consecutive ids, or ids scattered over the 32-bit space. */
struct msg_slot_test_spread_case {
	const char *desc;
	bool scatter;
};

static const struct msg_slot_test_spread_case msg_slot_test_spread_cases[] = {
	{ .desc = "dense ids", .scatter = false },
	{ .desc = "scattered ids", .scatter = true },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_spreads, msg_slot_test_spread_cases,
		       desc);

/*
 * MSG_SLOT_TEST_MANY_CHANNELS channels each keep their own message, when
 * all are created and when half of them are overwritten.
 */
static void msg_slot_write_message_many_channels(struct kunit *test)
{
	const struct msg_slot_test_spread_case *param = test->param_value;
	u32 nr_failed, nr_bad, first_bad;

	nr_failed = msg_slot_test_populate(test, 1,
					   MSG_SLOT_TEST_MANY_CHANNELS,
					   param->scatter, false);
	KUNIT_ASSERT_EQ_MSG(test, nr_failed, 0U, "failed writes");
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test),
			MSG_SLOT_TEST_MANY_CHANNELS);
	nr_bad = msg_slot_test_count_bad(test, MSG_SLOT_TEST_MANY_CHANNELS,
					 param->scatter, false, &first_bad);
	KUNIT_EXPECT_EQ_MSG(test, nr_bad, 0U, "first bad channel %u",
			    first_bad);

	/* Overwrite the even ones; the odd ones keep their message. */
	nr_failed = msg_slot_test_populate(test, 1,
					   MSG_SLOT_TEST_MANY_CHANNELS,
					   param->scatter, true);
	KUNIT_ASSERT_EQ_MSG(test, nr_failed, 0U, "failed writes");
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test),
			MSG_SLOT_TEST_MANY_CHANNELS);
	nr_bad = msg_slot_test_count_bad(test, MSG_SLOT_TEST_MANY_CHANNELS,
					 param->scatter, true, &first_bad);
	KUNIT_EXPECT_EQ_MSG(test, nr_bad, 0U, "first bad channel %u",
			    first_bad);
}

/* Parameters: channel limits. */
struct msg_slot_test_limit_case {
	const char *desc;
	u32 max_channels;
};

static const struct msg_slot_test_limit_case msg_slot_test_growth_cases[] = {
	{ .desc = "no channel limit", .max_channels = MSG_SLOT_TEST_NO_LIMIT },
	{ .desc = "limit equal to the channels created",
	  .max_channels = MSG_SLOT_TEST_GROWTH_CHANNELS },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_growths, msg_slot_test_growth_cases,
		       desc);

/*
 * Every channel keeps its message while the table grows again and again
 * under the creation of new ones: check all of them after every write.
 */
static void msg_slot_write_message_table_growth(struct kunit *test)
{
	const struct msg_slot_test_limit_case *param = test->param_value;
	u32 index, id, first_bad, nr_bad;
	int err;

	for (index = 1; index <= MSG_SLOT_TEST_GROWTH_CHANNELS; index++) {
		id = msg_slot_test_id(index, true);
		err = msg_slot_test_write_limit(test, id, id,
						msg_slot_test_len(id),
						param->max_channels);
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "creating channel %u", id);
		KUNIT_ASSERT_EQ(test, msg_slot_test_nr_channels(test), index);
		nr_bad = msg_slot_test_count_bad(test, index, true, false,
						 &first_bad);
		KUNIT_ASSERT_EQ_MSG(test, nr_bad, 0U,
				    "%u channels, first bad channel %u",
				    index, first_bad);
	}

	/* One more channel fits only if the limit leaves room for it. */
	id = msg_slot_test_id(index, true);
	err = msg_slot_test_write_limit(test, id, id, msg_slot_test_len(id),
					param->max_channels);
	if (param->max_channels > MSG_SLOT_TEST_GROWTH_CHANNELS)
		KUNIT_EXPECT_EQ(test, err, 0);
	else
		KUNIT_EXPECT_EQ(test, err, -ENOSPC);
}

static const struct msg_slot_test_limit_case msg_slot_test_limit_cases[] = {
	{ .desc = "limit 1", .max_channels = 1 },
	{ .desc = "limit 8", .max_channels = 8 },
	{ .desc = "limit 100", .max_channels = 100 },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_limits, msg_slot_test_limit_cases, desc);

/*
 * With a limit of N channels, N are created and the next new one is
 * refused with -ENOSPC, which changes nothing; the N stay writable.
 */
static void msg_slot_write_message_channel_limit(struct kunit *test)
{
	const struct msg_slot_test_limit_case *param = test->param_value;
	u32 limit = param->max_channels;
	u32 refused[] = { limit + 1, MSG_SLOT_TEST_ID_MAX };
	unsigned int i;
	u32 id, seed;
	int err;

	for (id = 1; id <= limit; id++) {
		err = msg_slot_test_write_limit(test, id, id,
						msg_slot_test_len(id), limit);
		KUNIT_ASSERT_EQ_MSG(test, err, 0, "creating channel %u", id);
	}
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), limit);

	/* A new channel is refused, whether its id is next or far away. */
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		err = msg_slot_test_write_limit(test, refused[i],
						MSG_SLOT_TEST_SEED_NEW,
						MSG_SLOT_TEST_LEN, limit);
		KUNIT_EXPECT_EQ(test, err, -ENOSPC);
		KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), limit);
		msg_slot_test_expect_empty(test, refused[i]);
	}

	/*
	 * The channels take new messages, mostly of another size class, and
	 * still do under a limit lowered below their number.
	 */
	for (id = 1; id <= limit; id++) {
		seed = ~id;
		err = msg_slot_test_write_limit(test, id, seed,
						msg_slot_test_len(seed), limit);
		KUNIT_EXPECT_EQ_MSG(test, err, 0, "overwriting channel %u", id);
	}
	seed = MSG_SLOT_TEST_SEED_NEW;
	err = msg_slot_test_write_limit(test, MSG_SLOT_TEST_ID_MIN, seed,
					msg_slot_test_len(seed), limit - 1);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), limit);
	for (id = 1; id <= limit; id++) {
		seed = ~id;
		if (id == MSG_SLOT_TEST_ID_MIN)
			seed = MSG_SLOT_TEST_SEED_NEW;
		msg_slot_test_expect_holds(test, id, seed,
					   msg_slot_test_len(seed));
	}

	/* Raising the limit lets the refused channel in. */
	err = msg_slot_test_write_limit(test, refused[0],
					MSG_SLOT_TEST_SEED_NEW,
					MSG_SLOT_TEST_LEN, limit + 1);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), limit + 1);
	msg_slot_test_expect_holds(test, refused[0], MSG_SLOT_TEST_SEED_NEW,
				   MSG_SLOT_TEST_LEN);
}

/* Stand-ins for the allocators of the store, which always fail. */
static void *msg_slot_test_fail_buffer(unsigned int class)
{
	struct msg_slot_test *ctx = kunit_get_current_test()->priv;

	ctx->nr_stub_calls++;
	return NULL;
}

static struct msg_slot_table *msg_slot_test_fail_table(u32 capacity)
{
	struct msg_slot_test *ctx = kunit_get_current_test()->priv;

	ctx->nr_stub_calls++;
	return NULL;
}

/* Parameters: a write that creates a channel, or one that overwrites. */
struct msg_slot_test_buffer_case {
	const char *desc;
	bool overwrite;
};

static const struct msg_slot_test_buffer_case msg_slot_test_buffer_cases[] = {
	{ .desc = "new channel", .overwrite = false },
	{ .desc = "overwrite", .overwrite = true },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_buffers, msg_slot_test_buffer_cases,
		       desc);

/*
 * A write whose message buffer cannot be allocated fails with -ENOMEM and
 * changes nothing; once memory is back, the same write succeeds.
 */
static void msg_slot_write_message_buffer_enomem(struct kunit *test)
{
	const struct msg_slot_test_buffer_case *param = test->param_value;
	struct msg_slot_test *ctx = test->priv;
	u32 old = MSG_SLOT_TEST_ID_MIN;
	u32 id = param->overwrite ? old : MSG_SLOT_TEST_ID_MAX;
	int err;

	/*
	 * The old message and the new one are in different size classes, so
	 * an overwrite cannot reuse the old buffer.
	 */
	err = msg_slot_test_write(test, old, MSG_SLOT_TEST_SEED_OLD,
				  MSG_SLOT_TEST_SHORT_LEN);
	KUNIT_ASSERT_EQ(test, err, 0);

	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_fail_buffer);
	err = msg_slot_test_write(test, id, MSG_SLOT_TEST_SEED_NEW,
				  MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 1U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 1U);
	msg_slot_test_expect_holds(test, old, MSG_SLOT_TEST_SEED_OLD,
				   MSG_SLOT_TEST_SHORT_LEN);
	if (!param->overwrite)
		msg_slot_test_expect_empty(test, id);

	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	err = msg_slot_test_write(test, id, MSG_SLOT_TEST_SEED_NEW,
				  MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, err, 0);
	msg_slot_test_expect_holds(test, id, MSG_SLOT_TEST_SEED_NEW,
				   MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test),
			param->overwrite ? 1U : 2U);
}

/* Parameters: channels created before a table cannot be allocated. */
struct msg_slot_test_table_case {
	const char *desc;
	u32 prefill;
};

static const struct msg_slot_test_table_case msg_slot_test_table_cases[] = {
	{ .desc = "first table", .prefill = 0 },
	{ .desc = "table growth", .prefill = MSG_SLOT_TEST_PREFILL_CHANNELS },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_tables, msg_slot_test_table_cases, desc);

/*
 * Creating a channel that needs a table, the first or a larger one, that
 * cannot be allocated fails with -ENOMEM and changes nothing; once memory
 * is back, the same write succeeds.
 */
static void msg_slot_write_message_table_enomem(struct kunit *test)
{
	const struct msg_slot_test_table_case *param = test->param_value;
	struct msg_slot_test *ctx = test->priv;
	u32 index, first_bad, nr_bad;
	int err = 0;

	nr_bad = msg_slot_test_populate(test, 1, param->prefill, false, false);
	KUNIT_ASSERT_EQ_MSG(test, nr_bad, 0U, "failed writes");

	/* Create channels until one needs a new table. */
	kunit_activate_static_stub(test, msg_slot_alloc_table,
				   msg_slot_test_fail_table);
	for (index = param->prefill + 1;
	     index <= MSG_SLOT_TEST_GROWTH_CHANNELS; index++) {
		err = msg_slot_test_write(test, index, index,
					  msg_slot_test_len(index));
		if (err)
			break;
	}
	KUNIT_ASSERT_EQ_MSG(test, err, -ENOMEM, "creating channel %u", index);
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 1U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), index - 1);
	msg_slot_test_expect_empty(test, index);
	nr_bad = msg_slot_test_count_bad(test, index - 1, false, false,
					 &first_bad);
	KUNIT_EXPECT_EQ_MSG(test, nr_bad, 0U, "first bad channel %u",
			    first_bad);

	kunit_deactivate_static_stub(test, msg_slot_alloc_table);
	err = msg_slot_test_write(test, index, index, msg_slot_test_len(index));
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), index);
	nr_bad = msg_slot_test_count_bad(test, index, false, false,
					 &first_bad);
	KUNIT_EXPECT_EQ_MSG(test, nr_bad, 0U, "first bad channel %u",
			    first_bad);
}

/* Parameters: slots in every state msg_slot_free() may see. */
struct msg_slot_test_free_case {
	const char *desc;
	bool null;
	u32 nr_channels;
};

static const struct msg_slot_test_free_case msg_slot_test_free_cases[] = {
	{ .desc = "NULL slot", .null = true, .nr_channels = 0 },
	{ .desc = "empty slot", .null = false, .nr_channels = 0 },
	{ .desc = "populated slot", .null = false,
	  .nr_channels = MSG_SLOT_TEST_GROWTH_CHANNELS },
};

KUNIT_ARRAY_PARAM_DESC(msg_slot_test_frees, msg_slot_test_free_cases, desc);

/*
 * Freeing a slot releases it with every message and table in it. Nothing
 * here observes the frees: KASAN and kmemleak report what goes wrong.
 */
static void msg_slot_free_any_slot(struct kunit *test)
{
	const struct msg_slot_test_free_case *param = test->param_value;
	struct msg_slot_test *ctx = test->priv;
	u32 nr_failed;

	if (param->null) {
		msg_slot_free(NULL);
		KUNIT_SUCCEED(test);
		return;
	}

	/*
	 * Messages of every size class in a table that grew many times, half
	 * of them replaced: old buffers and tables wait for a grace period.
	 */
	nr_failed = msg_slot_test_populate(test, 1, param->nr_channels, true,
					   false);
	nr_failed += msg_slot_test_populate(test, 1, param->nr_channels, true,
					    true);
	KUNIT_ASSERT_EQ_MSG(test, nr_failed, 0U, "failed writes");
	KUNIT_ASSERT_EQ(test, msg_slot_test_nr_channels(test),
			param->nr_channels);

	kunit_release_action(test, msg_slot_test_free, ctx->slot);
	ctx->slot = NULL;
}

/**
 * struct msg_slot_test_racer - one thread of the race case
 * @slot: the slot the threads share
 * @done: completed by each thread once it has done all its operations
 * @nr_writing: writers that have not finished yet
 * @index: index of the thread among the writers, or among the readers
 * @nr_reads: reads done by a reader
 * @nr_failed: writes that did not succeed
 * @nr_empty: reads that found no message, although there always is one
 * @nr_torn: reads that found a message no writer wrote to that channel
 * @nr_stale: reads that found an older message of a writer than a previous
 *	read of the same channel did
 * @newest: per race channel and source (the initial messages, then each
 *	writer), one more than the newest seed a reader has seen, 0 for none
 * @newest_seq: per race channel, the newest write count a reader has seen
 * @msg: message written or read
 * @expected: message a read should have found
 */
struct msg_slot_test_racer {
	struct msg_slot *slot;
	struct completion *done;
	atomic_t *nr_writing;
	unsigned int index;
	unsigned int nr_reads;
	unsigned int nr_failed;
	unsigned int nr_empty;
	unsigned int nr_torn;
	unsigned int nr_stale;
	u32 newest[MSG_SLOT_TEST_RACE_CHANNELS][MSG_SLOT_TEST_RACE_SOURCES];
	u64 newest_seq[MSG_SLOT_TEST_RACE_CHANNELS];
	u8 msg[MSG_SLOT_MAX_MSG_LEN];
	u8 expected[MSG_SLOT_MAX_MSG_LEN];
};

/*
 * Id of the race channel of operation or seed @op. Writers' seeds keep the
 * operation's residue, since MSG_SLOT_TEST_RACE_OPS is a multiple of the
 * number of race channels: the seed of a message tells its channel.
 */
static u32 msg_slot_test_race_id(unsigned int op)
{
	return MSG_SLOT_TEST_ID_MIN + op % MSG_SLOT_TEST_RACE_CHANNELS;
}

/* Make in @buf the race message of @seed, and return its length. */
static unsigned int msg_slot_test_race_fill(u8 *buf, u32 seed)
{
	unsigned int len = MSG_SLOT_TEST_RACE_MIN_LEN +
			   seed * MSG_SLOT_TEST_RACE_LEN_STEP %
			   MSG_SLOT_TEST_RACE_NR_LENS;

	memcpy(buf, &seed, sizeof(seed));
	msg_slot_test_fill(buf + sizeof(seed), seed, len - sizeof(seed));
	return len;
}

/*
 * Whether the @len bytes of @msg are one whole race message, and if so
 * its seed in *@seed.
 */
static bool msg_slot_test_race_whole(const u8 *msg, unsigned int len,
				     u8 *expected, u32 *seed)
{
	if (len < MSG_SLOT_TEST_RACE_MIN_LEN)
		return false;
	memcpy(seed, msg, sizeof(*seed));
	return msg_slot_test_race_fill(expected, *seed) == len &&
	       !memcmp(msg, expected, len);
}

/* Keep the task alive until kthread_stop() collects it. */
static void msg_slot_test_wait_for_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

/*
 * A writer overwrites the race channels in turn, and after each overwrite
 * creates a channel of its own, so that the table grows under the readers.
 */
static int msg_slot_test_race_writer(void *data)
{
	struct msg_slot_test_racer *racer = data;
	struct msg_slot_key key;
	unsigned int op, len;
	u32 seed, id;

	for (op = 0; op < MSG_SLOT_TEST_RACE_OPS; op++) {
		/* Seeds below MSG_SLOT_TEST_RACE_OPS are the initial ones. */
		seed = (racer->index + 1) * MSG_SLOT_TEST_RACE_OPS + op;
		len = msg_slot_test_race_fill(racer->msg, seed);
		key = msg_slot_key(racer->slot, msg_slot_test_race_id(op));
		if (msg_slot_write_message(racer->slot, key, racer->msg, len,
					   MSG_SLOT_TEST_NO_LIMIT))
			racer->nr_failed++;

		id = MSG_SLOT_TEST_ID_MIN + MSG_SLOT_TEST_RACE_CHANNELS +
		     racer->index * MSG_SLOT_TEST_RACE_OPS + op;
		key = msg_slot_key(racer->slot, id);
		if (msg_slot_write_message(racer->slot, key, racer->msg, len,
					   MSG_SLOT_TEST_NO_LIMIT))
			racer->nr_failed++;
		cond_resched();
	}
	atomic_dec(racer->nr_writing);
	complete(racer->done);
	msg_slot_test_wait_for_stop();
	return 0;
}

/*
 * Check one message a reader read from race channel @id: it must be whole,
 * written to that channel, and not older than what the reader saw before
 * from the same writer, and its write count @seq must not go back either.
 * Once any writer's message has been seen, the initial message is gone for
 * good.
 */
static void msg_slot_test_race_check(struct msg_slot_test_racer *racer,
				     u32 id, unsigned int len, u64 seq)
{
	u32 *newest = racer->newest[id - MSG_SLOT_TEST_ID_MIN];
	u64 *newest_seq = &racer->newest_seq[id - MSG_SLOT_TEST_ID_MIN];
	unsigned int source, other;
	u32 seed;

	if (!len) {
		racer->nr_empty++;
		return;
	}
	if (!msg_slot_test_race_whole(racer->msg, len, racer->expected,
				      &seed) ||
	    seed >= MSG_SLOT_TEST_RACE_SOURCES * MSG_SLOT_TEST_RACE_OPS ||
	    msg_slot_test_race_id(seed) != id) {
		racer->nr_torn++;
		return;
	}
	source = seed / MSG_SLOT_TEST_RACE_OPS;
	if (seed + 1 < newest[source] || seq < *newest_seq) {
		racer->nr_stale++;
		return;
	}
	if (!source) {
		for (other = 1; other < MSG_SLOT_TEST_RACE_SOURCES; other++) {
			if (newest[other]) {
				racer->nr_stale++;
				return;
			}
		}
	}
	newest[source] = seed + 1;
	*newest_seq = seq;
}

/*
 * A reader reads the race channels in turn and checks every message, at
 * least MSG_SLOT_TEST_RACE_OPS times and then for as long as a writer runs.
 */
static int msg_slot_test_race_reader(void *data)
{
	struct msg_slot_test_racer *racer = data;
	unsigned int op, len;
	u64 seq;
	u32 id;

	for (op = 0; op < MSG_SLOT_TEST_RACE_OPS ||
	     atomic_read(racer->nr_writing); op++) {
		id = msg_slot_test_race_id(op + racer->index);
		len = msg_slot_read_message(racer->slot,
					    msg_slot_key(racer->slot, id),
					    racer->msg, &seq);
		msg_slot_test_race_check(racer, id, len, seq);
		racer->nr_reads++;
		cond_resched();
	}
	complete(racer->done);
	msg_slot_test_wait_for_stop();
	return 0;
}

/*
 * Readers racing with writers, which replace messages in place and in new
 * buffers and grow the table, read only whole messages of the channel they
 * read, never a mix, and never go back in time. On a kernel with several
 * CPUs (for instance kunit.py --arch=x86_64 --qemu_args='-smp 2'), the
 * threads really run at the same time.
 */
static void msg_slot_read_message_concurrent_writes(struct kunit *test)
{
	struct task_struct *tasks[MSG_SLOT_TEST_RACE_THREADS];
	unsigned int nr_failed = 0, nr_empty = 0, nr_torn = 0, nr_stale = 0;
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_racer *racers;
	unsigned int i, len, nr_started;
	int (*threadfn)(void *data);
	unsigned long nr_reads = 0;
	struct completion done;
	atomic_t nr_writing;
	long err = 0;
	u32 id, seed;

	racers = kunit_kcalloc(test, MSG_SLOT_TEST_RACE_THREADS,
			       sizeof(*racers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, racers);

	/* Every race channel holds a message before the race starts. */
	for (i = 0; i < MSG_SLOT_TEST_RACE_CHANNELS; i++) {
		id = msg_slot_test_race_id(i);
		len = msg_slot_test_race_fill(ctx->msg, i);
		err = msg_slot_write_message(ctx->slot,
					     msg_slot_key(ctx->slot, id),
					     ctx->msg, len,
					     MSG_SLOT_TEST_NO_LIMIT);
		KUNIT_ASSERT_EQ_MSG(test, err, 0L, "creating channel %u", id);
	}

	/*
	 * From here until every thread has stopped, no assertion may end the
	 * case: the slot, the racers and the completion must outlive them.
	 */
	init_completion(&done);
	atomic_set(&nr_writing, MSG_SLOT_TEST_RACE_WRITERS);
	for (i = 0; i < MSG_SLOT_TEST_RACE_THREADS; i++) {
		racers[i].slot = ctx->slot;
		racers[i].done = &done;
		racers[i].nr_writing = &nr_writing;
		if (i < MSG_SLOT_TEST_RACE_WRITERS) {
			racers[i].index = i;
			threadfn = msg_slot_test_race_writer;
		} else {
			racers[i].index = i - MSG_SLOT_TEST_RACE_WRITERS;
			threadfn = msg_slot_test_race_reader;
		}
		tasks[i] = kthread_run(threadfn, &racers[i], "msg_slot_race/%u",
				       i);
		if (IS_ERR(tasks[i])) {
			err = PTR_ERR(tasks[i]);
			break;
		}
	}
	nr_started = i;
	/* Readers that started stop looping once no writer is left. */
	for (i = nr_started; i < MSG_SLOT_TEST_RACE_WRITERS; i++)
		atomic_dec(&nr_writing);
	for (i = 0; i < nr_started; i++)
		wait_for_completion(&done);
	for (i = 0; i < nr_started; i++)
		kthread_stop(tasks[i]);
	KUNIT_ASSERT_EQ_MSG(test, err, 0L, "starting thread %u", nr_started);

	for (i = 0; i < MSG_SLOT_TEST_RACE_THREADS; i++) {
		nr_reads += racers[i].nr_reads;
		nr_failed += racers[i].nr_failed;
		nr_empty += racers[i].nr_empty;
		nr_torn += racers[i].nr_torn;
		nr_stale += racers[i].nr_stale;
	}
	kunit_info(test, "%lu reads raced with %lu overwrites on %u CPUs\n",
		   nr_reads, MSG_SLOT_TEST_RACE_WRITERS * MSG_SLOT_TEST_RACE_OPS,
		   num_online_cpus());
	KUNIT_EXPECT_EQ(test, nr_failed, 0U);
	KUNIT_EXPECT_EQ(test, nr_empty, 0U);
	KUNIT_EXPECT_EQ(test, nr_torn, 0U);
	KUNIT_EXPECT_EQ(test, nr_stale, 0U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test),
			MSG_SLOT_TEST_RACE_CHANNELS +
			MSG_SLOT_TEST_RACE_WRITERS * MSG_SLOT_TEST_RACE_OPS);

	/*
	 * What the race leaves behind is whole too: the last message that
	 * one of the writers wrote to each channel.
	 */
	for (i = 0; i < MSG_SLOT_TEST_RACE_CHANNELS; i++) {
		id = msg_slot_test_race_id(i);
		len = msg_slot_read_message(ctx->slot,
					    msg_slot_key(ctx->slot, id),
					    ctx->buf, &ctx->seq);
		KUNIT_EXPECT_TRUE_MSG(test,
				      msg_slot_test_race_whole(ctx->buf, len,
							       ctx->expected,
							       &seed) &&
				      msg_slot_test_race_id(seed) == id &&
				      seed % MSG_SLOT_TEST_RACE_OPS >=
				      MSG_SLOT_TEST_RACE_OPS -
				      MSG_SLOT_TEST_RACE_CHANNELS,
				      "message of channel %u", id);
	}
}

/* Expect channel @id to hold @len bytes and to have been written @seq times. */
static void msg_slot_test_expect_info(struct kunit *test, u32 id,
				      unsigned int len, u64 seq)
{
	struct msg_slot_test *ctx = test->priv;
	unsigned int got;
	u64 got_seq;

	got = msg_slot_channel_info(ctx->slot, msg_slot_key(ctx->slot, id),
				    &got_seq);
	KUNIT_EXPECT_EQ_MSG(test, got, len, "length of channel %u", id);
	KUNIT_EXPECT_EQ_MSG(test, got_seq, seq, "write count of channel %u",
			    id);
}

/* Expect the counters of the slot to be these. */
static void msg_slot_test_expect_stats(struct kunit *test, u32 channels,
				       u64 bytes, u64 writes)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_stats stats;

	msg_slot_get_stats(ctx->slot, &stats);
	KUNIT_EXPECT_EQ(test, stats.channels, channels);
	KUNIT_EXPECT_EQ(test, stats.channels_used,
			msg_slot_nr_channels(ctx->slot));
	KUNIT_EXPECT_EQ(test, stats.bytes, bytes);
	KUNIT_EXPECT_EQ(test, stats.writes, writes);
}

/*
 * Lengths of the counted writes: a new channel, a move to a larger and to a
 * smaller size class, and an overwrite in place.
 */
static const unsigned int msg_slot_test_count_lens[] = {
	MSG_SLOT_TEST_SHORT_LEN, MSG_SLOT_TEST_LONG_LEN, MSG_SLOT_TEST_LEN,
	MSG_SLOT_TEST_LEN + 1,
};

/*
 * Every successful write adds one to the write count of its channel, which
 * numbers the message that a read returns; failed writes, and writes to
 * other channels, change neither the count nor the slot's counters.
 */
static void msg_slot_write_message_counts_writes(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	u32 id = MSG_SLOT_TEST_ID_MID, other = MSG_SLOT_TEST_ID_MIN;
	unsigned int i, len = 0;
	int err;

	msg_slot_test_expect_info(test, id, 0, 0);
	msg_slot_test_expect_stats(test, 0, 0, 0);
	for (i = 0; i < ARRAY_SIZE(msg_slot_test_count_lens); i++) {
		len = msg_slot_test_count_lens[i];
		err = msg_slot_test_write(test, id, i, len);
		KUNIT_ASSERT_EQ(test, err, 0);
		msg_slot_test_expect_info(test, id, len, i + 1);
		msg_slot_test_expect_holds(test, id, i, len);
		KUNIT_EXPECT_EQ(test, ctx->seq, i + 1);
		msg_slot_test_expect_stats(test, 1, len, i + 1);
	}

	err = msg_slot_test_write(test, id, i, MSG_SLOT_TEST_TOO_LONG);
	KUNIT_EXPECT_EQ(test, err, -EMSGSIZE);
	/* The last message is in the middle class; a long one needs a buffer. */
	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_fail_buffer);
	err = msg_slot_test_write(test, id, i, MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	/* A new channel past the limit is refused. */
	err = msg_slot_test_write_limit(test, other, i, len, 1);
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	msg_slot_test_expect_info(test, id, len, i);
	msg_slot_test_expect_info(test, other, 0, 0);
	msg_slot_test_expect_stats(test, 1, len, i);

	err = msg_slot_test_write(test, other, i, MSG_SLOT_TEST_SHORT_LEN);
	KUNIT_EXPECT_EQ(test, err, 0);
	msg_slot_test_expect_info(test, other, MSG_SLOT_TEST_SHORT_LEN, 1);
	msg_slot_test_expect_info(test, id, len, i);
	msg_slot_test_expect_stats(test, 2, len + MSG_SLOT_TEST_SHORT_LEN,
				   i + 1);
}

/*
 * A clear frees the message of a channel and nothing else: the channel
 * keeps its write count and its entry, other channels keep theirs, and
 * clearing a channel without a message is no error. A write after a clear
 * needs a new buffer; when it cannot have one, the channel stays cleared.
 */
static void msg_slot_clear_keeps_count(struct kunit *test)
{
	u32 id = MSG_SLOT_TEST_ID_MAX, other = MSG_SLOT_TEST_ID_MIN;
	struct msg_slot_test *ctx = test->priv;
	int err;

	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, id), 0);
	KUNIT_EXPECT_EQ(test,
			msg_slot_test_clear(test, MSG_SLOT_TEST_ID_INVALID), 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 0U);

	err = msg_slot_test_write(test, id, MSG_SLOT_TEST_SEED_OLD,
				  MSG_SLOT_TEST_LONG_LEN);
	KUNIT_ASSERT_EQ(test, err, 0);
	err = msg_slot_test_write(test, other, MSG_SLOT_TEST_SEED_OLD,
				  MSG_SLOT_TEST_SHORT_LEN);
	KUNIT_ASSERT_EQ(test, err, 0);
	msg_slot_test_expect_stats(test, 2, MSG_SLOT_TEST_LONG_LEN +
				   MSG_SLOT_TEST_SHORT_LEN, 2);

	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, id), 0);
	msg_slot_test_expect_empty(test, id);
	msg_slot_test_expect_info(test, id, 0, 1);
	msg_slot_test_expect_holds(test, other, MSG_SLOT_TEST_SEED_OLD,
				   MSG_SLOT_TEST_SHORT_LEN);
	KUNIT_EXPECT_EQ(test, msg_slot_test_nr_channels(test), 2U);
	msg_slot_test_expect_stats(test, 1, MSG_SLOT_TEST_SHORT_LEN, 2);

	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, id), 0);
	msg_slot_test_expect_info(test, id, 0, 1);
	msg_slot_test_expect_stats(test, 1, MSG_SLOT_TEST_SHORT_LEN, 2);

	kunit_activate_static_stub(test, msg_slot_alloc_buffer,
				   msg_slot_test_fail_buffer);
	err = msg_slot_test_write(test, id, MSG_SLOT_TEST_SEED_NEW,
				  MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	msg_slot_test_expect_empty(test, id);
	msg_slot_test_expect_info(test, id, 0, 1);

	err = msg_slot_test_write(test, id, MSG_SLOT_TEST_SEED_NEW,
				  MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, err, 0);
	msg_slot_test_expect_holds(test, id, MSG_SLOT_TEST_SEED_NEW,
				   MSG_SLOT_TEST_LONG_LEN);
	KUNIT_EXPECT_EQ(test, ctx->seq, 2U);
	msg_slot_test_expect_stats(test, 2, MSG_SLOT_TEST_LONG_LEN +
				   MSG_SLOT_TEST_SHORT_LEN, 3);
}

/**
 * struct msg_slot_test_watch - a watcher and a waiter on its queue
 * @watcher: the watcher under test
 * @wait: a waiter that counts its wake-ups instead of sleeping
 * @nr_wakeups: wake-ups so far
 * @key: poll mask of the last wake-up
 */
struct msg_slot_test_watch {
	struct msg_slot_watcher watcher;
	struct wait_queue_entry wait;
	unsigned int nr_wakeups;
	__poll_t key;
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

/*
 * A write wakes each watcher of its channel once, with EPOLLIN, and no
 * other watcher: not one of another channel, even when both channels share
 * a list, and not one that moved to another channel or stopped watching.
 * Failed writes and clears wake nobody.
 */
static void msg_slot_watch_wakes_its_channel(struct kunit *test)
{
	const unsigned int nr = MSG_SLOT_TEST_WATCH_CHANNELS;
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_watch *watches;
	unsigned int i;
	int err;

	watches = kunit_kcalloc(test, nr + 1, sizeof(*watches), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, watches);
	/* Watch i watches channel i + 1; the extra one channel 1 too. */
	for (i = 0; i <= nr; i++) {
		msg_slot_watcher_init(&watches[i].watcher);
		init_waitqueue_func_entry(&watches[i].wait, msg_slot_test_wake);
		add_wait_queue(&watches[i].watcher.wait, &watches[i].wait);
		err = msg_slot_watch(ctx->slot, &watches[i].watcher,
				     msg_slot_key(ctx->slot,
						  i < nr ? i + 1 : 1));
		KUNIT_ASSERT_EQ(test, err, 0);
	}
	KUNIT_EXPECT_EQ(test,
			msg_slot_watch(ctx->slot, &watches[0].watcher,
				       msg_slot_key(ctx->slot,
						    MSG_SLOT_TEST_ID_INVALID)),
			-EINVAL);

	/* Each channel in turn: only its watches wake, once. */
	for (i = 0; i < nr; i++) {
		err = msg_slot_test_write(test, i + 1, i, MSG_SLOT_TEST_LEN);
		KUNIT_ASSERT_EQ(test, err, 0);
	}
	for (i = 0; i <= nr; i++) {
		KUNIT_EXPECT_EQ_MSG(test, watches[i].nr_wakeups, 1U,
				    "watch %u", i);
		KUNIT_EXPECT_TRUE(test,
				  watches[i].key == (EPOLLIN | EPOLLRDNORM));
	}

	err = msg_slot_test_write(test, 1, 0, MSG_SLOT_TEST_TOO_LONG);
	KUNIT_EXPECT_EQ(test, err, -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, msg_slot_test_clear(test, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[0].nr_wakeups, 1U);
	KUNIT_EXPECT_EQ(test, watches[nr].nr_wakeups, 1U);

	/* The extra watch moves to channel 2, then watch 0 stops. */
	err = msg_slot_watch(ctx->slot, &watches[nr].watcher,
			     msg_slot_key(ctx->slot, 2));
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[0].nr_wakeups, 2U);
	KUNIT_EXPECT_EQ(test, watches[nr].nr_wakeups, 1U);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 2, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[1].nr_wakeups, 2U);
	KUNIT_EXPECT_EQ(test, watches[nr].nr_wakeups, 2U);
	msg_slot_unwatch(ctx->slot, &watches[0].watcher);
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, watches[0].nr_wakeups, 2U);
	for (i = 2; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, watches[i].nr_wakeups, 1U,
				    "watch %u", i);

	for (i = 0; i <= nr; i++) {
		msg_slot_unwatch(ctx->slot, &watches[i].watcher);
		remove_wait_queue(&watches[i].watcher.wait, &watches[i].wait);
	}
}

/*
 * While a writer allocates, everything else goes on: the allocation stubs
 * below run the bystander task to the end before they allocate, and note
 * whether it got there. Each step of the bystander is one that must never
 * wait for a writer's allocation.
 */
struct msg_slot_test_bystander {
	struct msg_slot *slot;
	struct completion start;
	struct completion done;
	bool finished;	/* within the timeout, while the stub waited */
	int write_err;
};

static int msg_slot_test_bystander_run(void *data)
{
	struct msg_slot_test_bystander *bystander = data;
	struct msg_slot_watcher watcher;
	struct msg_slot_stats stats;
	const u8 msg = 'b';
	u64 seq;

	wait_for_completion(&bystander->start);
	/* A writer of another channel, which exists. */
	bystander->write_err = msg_slot_write_message(
		bystander->slot, msg_slot_key(bystander->slot, 1), &msg,
		sizeof(msg), MSG_SLOT_MAX_CHANNELS);
	/* A poll of a file that selected channel 3: watch, then look. */
	msg_slot_watcher_init(&watcher);
	msg_slot_watch(bystander->slot, &watcher,
		       msg_slot_key(bystander->slot, 3));
	msg_slot_channel_info(bystander->slot, msg_slot_key(bystander->slot, 3),
			      &seq);
	/* Its release, and a reader of the sysfs counters. */
	msg_slot_unwatch(bystander->slot, &watcher);
	msg_slot_get_stats(bystander->slot, &stats);
	complete(&bystander->done);
	msg_slot_test_wait_for_stop();
	return 0;
}

/* Let the bystander run, and note whether it finished meanwhile. */
static void msg_slot_test_meanwhile(struct msg_slot_test *ctx)
{
	struct msg_slot_test_bystander *bystander = ctx->bystander;

	ctx->nr_stub_calls++;
	complete(&bystander->start);
	bystander->finished = wait_for_completion_timeout(&bystander->done,
							  MSG_SLOT_TEST_TIMEOUT);
}

static void *msg_slot_test_bystander_buffer(unsigned int class)
{
	struct kunit *test = kunit_get_current_test();

	msg_slot_test_meanwhile(test->priv);
	kunit_deactivate_static_stub(test, msg_slot_alloc_buffer);
	return msg_slot_alloc_buffer(class);
}

static struct msg_slot_table *msg_slot_test_bystander_table(u32 capacity)
{
	struct kunit *test = kunit_get_current_test();

	msg_slot_test_meanwhile(test->priv);
	kunit_deactivate_static_stub(test, msg_slot_alloc_table);
	return msg_slot_alloc_table(capacity);
}

/* Parameters: the allocation that takes its time. */
static const char * const msg_slot_test_slow_allocs[] = {
	"message buffer", "table",
};

static void msg_slot_test_slow_alloc_desc(const char * const *param,
					  char *desc)
{
	strscpy(desc, *param, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(msg_slot_test_slow_alloc, msg_slot_test_slow_allocs,
		  msg_slot_test_slow_alloc_desc);

/*
 * A writer allocates without the slot lock: another writer, a poll, a
 * release and the counters never wait for its allocation, however slow.
 */
static void msg_slot_write_message_allocates_unlocked(struct kunit *test)
{
	const char * const *param = test->param_value;
	bool table = param == &msg_slot_test_slow_allocs[1];
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_bystander *bystander;
	struct task_struct *task;
	u32 id;
	int err;

	bystander = kunit_kzalloc(test, sizeof(*bystander), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bystander);
	bystander->slot = ctx->slot;
	init_completion(&bystander->start);
	init_completion(&bystander->done);
	ctx->bystander = bystander;
	KUNIT_ASSERT_EQ(test, msg_slot_test_write(test, 1, 1, 1), 0);
	task = kthread_run(msg_slot_test_bystander_run, bystander,
			   "msg_slot_bystander");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));

	if (table)
		kunit_activate_static_stub(test, msg_slot_alloc_table,
					   msg_slot_test_bystander_table);
	else
		kunit_activate_static_stub(test, msg_slot_alloc_buffer,
					   msg_slot_test_bystander_buffer);
	/* New channels, away from the bystander's, until one allocates. */
	for (id = 100, err = 0; !ctx->nr_stub_calls && !err; id++)
		err = msg_slot_test_write(test, id, id, 1);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 1U);
	KUNIT_EXPECT_TRUE_MSG(test, bystander->finished,
			      "the bystander waited for a writer's allocation");

	/* If it did wait, it finishes now that the writer is done. */
	complete(&bystander->start);
	if (!bystander->finished)
		wait_for_completion(&bystander->done);
	kthread_stop(task);
	KUNIT_EXPECT_EQ(test, bystander->write_err, 0);
	msg_slot_test_expect_holds(test, id - 1, id - 1, 1);
}

/*
 * Two writers need a larger table at the same time: the second one waits
 * for the first one's table instead of allocating one of its own, so that
 * however many writers cross the threshold together, a slot allocates one
 * table at a time.
 */
struct msg_slot_test_grower {
	struct msg_slot *slot;
	struct task_struct *task;
	struct completion done;
	bool finished_meanwhile;	/* while the first allocated */
	int err;
};

static int msg_slot_test_grower_run(void *data)
{
	struct msg_slot_test_grower *grower = data;
	const u8 msg = 'g';

	grower->err = msg_slot_write_message(grower->slot,
					     msg_slot_key(grower->slot, 2),
					     &msg, sizeof(msg),
					     MSG_SLOT_TEST_NO_LIMIT);
	complete(&grower->done);
	msg_slot_test_wait_for_stop();
	return 0;
}

/*
 * The first writer's table allocation: start the second writer, and let
 * it run until it finishes, which it can only do by growing the table
 * itself, or sleeps in a killable wait, the one for the first writer.
 */
static struct msg_slot_table *msg_slot_test_first_grower_table(u32 capacity)
{
	struct kunit *test = kunit_get_current_test();
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_grower *grower = ctx->grower;
	unsigned long timeout = jiffies + MSG_SLOT_TEST_TIMEOUT;

	ctx->nr_stub_calls++;
	kunit_deactivate_static_stub(test, msg_slot_alloc_table);
	wake_up_process(grower->task);
	while (!completion_done(&grower->done) &&
	       READ_ONCE(grower->task->__state) != TASK_KILLABLE &&
	       time_before(jiffies, timeout))
		schedule_timeout_uninterruptible(1);
	grower->finished_meanwhile = completion_done(&grower->done);
	return msg_slot_alloc_table(capacity);
}

static void msg_slot_write_message_grows_one_table(struct kunit *test)
{
	struct msg_slot_test *ctx = test->priv;
	struct msg_slot_test_grower *grower;
	unsigned int len;

	grower = kunit_kzalloc(test, sizeof(*grower), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, grower);
	grower->slot = ctx->slot;
	init_completion(&grower->done);
	grower->task = kthread_create(msg_slot_test_grower_run, grower,
				      "msg_slot_grower");
	KUNIT_ASSERT_FALSE(test, IS_ERR(grower->task));
	ctx->grower = grower;
	kunit_activate_static_stub(test, msg_slot_alloc_table,
				   msg_slot_test_first_grower_table);

	/* The first write to a slot allocates its first table. */
	KUNIT_EXPECT_EQ(test, msg_slot_test_write(test, 1, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, ctx->nr_stub_calls, 1U);
	KUNIT_EXPECT_FALSE_MSG(test, grower->finished_meanwhile,
			       "a second writer grew the table meanwhile");

	wake_up_process(grower->task);
	wait_for_completion(&grower->done);
	kthread_stop(grower->task);
	KUNIT_EXPECT_EQ(test, grower->err, 0);
	msg_slot_test_expect_holds(test, 1, 1, 1);
	len = msg_slot_read_message(ctx->slot, msg_slot_key(ctx->slot, 2),
				    ctx->buf, &ctx->seq);
	KUNIT_EXPECT_EQ(test, len, 1U);
	KUNIT_EXPECT_EQ(test, ctx->buf[0], 'g');
}

static struct kunit_case msg_slot_store_cases[] = {
	KUNIT_CASE_PARAM(msg_slot_read_message_empty_channel,
			 msg_slot_test_ids_gen_params),
	KUNIT_CASE_PARAM(msg_slot_read_message_after_write,
			 msg_slot_test_ids_gen_params),
	KUNIT_CASE_PARAM(msg_slot_write_message_overwrite,
			 msg_slot_test_lens_gen_params),
	KUNIT_CASE_PARAM(msg_slot_write_message_length_bounds,
			 msg_slot_test_bounds_gen_params),
	KUNIT_CASE(msg_slot_write_message_id_zero),
	KUNIT_CASE(msg_slot_key_is_per_slot),
	KUNIT_CASE_PARAM(msg_slot_write_message_many_channels,
			 msg_slot_test_spreads_gen_params),
	KUNIT_CASE_PARAM(msg_slot_write_message_table_growth,
			 msg_slot_test_growths_gen_params),
	KUNIT_CASE_PARAM(msg_slot_write_message_channel_limit,
			 msg_slot_test_limits_gen_params),
	KUNIT_CASE_PARAM(msg_slot_write_message_buffer_enomem,
			 msg_slot_test_buffers_gen_params),
	KUNIT_CASE_PARAM(msg_slot_write_message_table_enomem,
			 msg_slot_test_tables_gen_params),
	KUNIT_CASE_PARAM(msg_slot_free_any_slot,
			 msg_slot_test_frees_gen_params),
	KUNIT_CASE(msg_slot_read_message_concurrent_writes),
	KUNIT_CASE(msg_slot_write_message_counts_writes),
	KUNIT_CASE(msg_slot_clear_keeps_count),
	KUNIT_CASE(msg_slot_watch_wakes_its_channel),
	KUNIT_CASE_PARAM(msg_slot_write_message_allocates_unlocked,
			 msg_slot_test_slow_alloc_gen_params),
	KUNIT_CASE(msg_slot_write_message_grows_one_table),
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
