// SPDX-License-Identifier: GPL-2.0
/*
 * Differential fuzzer of the message_slot character device.
 *
 * Seeded random sequences of open, close, ioctl (MSG_SLOT_CHANNEL,
 * MSG_SLOT_CHANNEL_INFO, MSG_SLOT_CLEAR and wrong commands), write, read
 * and fork run against the driver and, call by call, against a reference
 * model of the contract of Documentation/userspace-api/message_slot.rst
 * kept in this process. Every return value, errno and byte must match the
 * model. After every op, poll() with no timeout must report each open
 * file exactly as readable as the model says, and after every write or
 * clear the channel's length and seq (MSG_SLOT_CHANNEL_INFO) must be the
 * model's: a write takes the next number of its slot's write sequence, a
 * clear removes the channel, leaving len 0 and seq 0. The first divergence
 * ends the run: the sequence that diverged is shrunk to a minimal one that
 * still diverges, which is printed one call per line with the seed to
 * replay it.
 *
 * A sequence depends on the seed and its own index only, and uses minors
 * reserved for this test with channel ids drawn for it, so it can be
 * replayed alone. Messages and the slots' write sequences outlive files,
 * test runs and earlier sequences, so the model never assumes an empty
 * channel or a fresh slot: before a sequence starts, it learns what each
 * of its channels holds, with its seq, and where each slot's sequence
 * stands, through a file of its own.
 *
 * Environment:
 *   MSG_SLOT_FUZZ_OPS  operations in total (default 1000000)
 *   MSG_SLOT_SEED      seed, printed on each run so that it can be replayed
 *   MSG_SLOT_FUZZ_SEQ  run only this sequence of the seed
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "msg_slot_common.h"
#include "msg_slot_extra.h"

#define DEFAULT_OPS		1000000UL

/* Minors of this test only: the other tests use 0 to 239 and 244 up. */
#define FUZZ_MINOR_BASE		240U
#define FUZZ_MINORS		4U
#define FUZZ_CHANNELS		4U	/* channel ids of one sequence */
#define FUZZ_FILES		4U	/* files open at once, at most */

#define SEQ_MIN_OPS		64U
#define SEQ_MAX_OPS		256U

#define MSG_MAX			MSG_SLOT_MAX_MSG_LEN
/* Longest read or write tried: well past the largest message. */
#define MAX_IO_LEN		300U
/* Normal buffers start up to this many bytes in, to vary alignment. */
#define BUF_SLACK		16U
/* Pointers into the inaccessible page start up to this far into it. */
#define NONE_OFFSET_MAX		64U
/*
 * Buffers that end at the inaccessible page have room for the message
 * length give or take this much, so that both sides of the fault are hit.
 */
#define EDGE_DELTA		3
/* Read sizes relative to the message length vary this much. */
#define REL_DELTA		2
/* Bytes before the inaccessible page that read checks for strays. */
#define EDGE_AREA		(MAX_IO_LEN + BUF_SLACK)

/* A channel of a sequence gets a boundary id once in this many. */
#define EDGE_ID_ODDS		16U

/*
 * The id through which the prologue learns where a slot's write sequence
 * stands, or the next one if the sequence drew it: no boundary id, so
 * that only a random id can be it.
 */
#define STAMP_PROBE_ID		3U

/* Shrinking gives up after this many replays and prints what it has. */
#define MAX_REPLAYS		4096U

/* Runs of at least this many ops must reach every outcome listed below. */
#define COVERAGE_MIN_OPS	100000UL

#define NO_DIVERGENCE		(-1)
#define ALL_SEQUENCES		ULONG_MAX

enum op_kind {
	OP_OPEN,
	OP_CLOSE,
	OP_IOCTL,	/* MSG_SLOT_CHANNEL, or a wrong command */
	OP_INFO,	/* MSG_SLOT_CHANNEL_INFO */
	OP_CLEAR,	/* MSG_SLOT_CLEAR */
	OP_WRITE,
	OP_READ,
	OP_FORK,	/* one of the five before, by a child */
	NR_OP_KINDS
};

/*
 * Weights of the op kinds in generated sequences. A fork costs as much as
 * a hundred other ops or more, so it comes rarely, if still thousands of
 * times in a run of the default length. Clears come seldom enough that
 * most reads still find a message.
 */
static const unsigned int op_weights[NR_OP_KINDS] = {
	[OP_OPEN] = 30,
	[OP_CLOSE] = 25,
	[OP_IOCTL] = 200,
	[OP_INFO] = 60,
	[OP_CLEAR] = 20,
	[OP_WRITE] = 300,
	[OP_READ] = 400,
	[OP_FORK] = 2,
};

/* What a forked child does; a read shows that the file's record is shared. */
static const unsigned int child_weights[NR_OP_KINDS] = {
	[OP_IOCTL] = 3,
	[OP_INFO] = 1,
	[OP_CLEAR] = 1,
	[OP_WRITE] = 3,
	[OP_READ] = 2,
};

static const char *const op_names[NR_OP_KINDS] = {
	[OP_OPEN] = "open",
	[OP_CLOSE] = "close",
	[OP_IOCTL] = "ioctl",
	[OP_INFO] = "info",
	[OP_CLEAR] = "clear",
	[OP_WRITE] = "write",
	[OP_READ] = "read",
	[OP_FORK] = "fork",
};

enum cmd_kind { CMD_CHANNEL, CMD_CHANNEL_UL, CMD_WRONG, CMD_RANDOM,
		NR_CMD_KINDS };

static const unsigned int cmd_weights[NR_CMD_KINDS] = {
	[CMD_CHANNEL] = 45,
	[CMD_CHANNEL_UL] = 40,
	[CMD_WRONG] = 10,	/* from wrong_cmds[] */
	[CMD_RANDOM] = 5,	/* any other command of the device's type */
};

#define INFO_SIZE	sizeof(struct msg_slot_channel_info)

/* Near misses of the valid encodings. */
static const unsigned int wrong_cmds[] = {
	_IOW(MSG_SLOT_IOC_MAGIC, 1, unsigned int),
	_IOR(MSG_SLOT_IOC_MAGIC, 1, unsigned int),
	_IOW(MSG_SLOT_IOC_MAGIC, 1, struct msg_slot_channel_info),
	_IOWR(MSG_SLOT_IOC_MAGIC, 1, struct msg_slot_channel_info),
	_IOR(MSG_SLOT_IOC_MAGIC, 1, char[INFO_SIZE + 8]),
	_IO(MSG_SLOT_IOC_MAGIC, 1),
	_IOW(MSG_SLOT_IOC_MAGIC, 2, unsigned int),
	_IOR(MSG_SLOT_IOC_MAGIC, 2, unsigned int),
	_IO(MSG_SLOT_IOC_MAGIC, 3),
	_IO(MSG_SLOT_IOC_MAGIC - 1, 2),
	_IO(MSG_SLOT_IOC_MAGIC + 1, 2),
	_IOR(MSG_SLOT_IOC_MAGIC + 1, 1, struct msg_slot_channel_info),
	_IOW(MSG_SLOT_IOC_MAGIC, _IOC_NRMASK, unsigned int),
	_IOR(MSG_SLOT_IOC_MAGIC, 0, unsigned int),
	_IOR(MSG_SLOT_IOC_MAGIC, 0, unsigned long),
	_IOWR(MSG_SLOT_IOC_MAGIC, 0, unsigned int),
	_IO(MSG_SLOT_IOC_MAGIC, 0),
	_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned short),
	_IOW(MSG_SLOT_IOC_MAGIC, 0, unsigned char),
	_IOW(MSG_SLOT_IOC_MAGIC, 0, char[2 * sizeof(unsigned long)]),
	_IOW(MSG_SLOT_IOC_MAGIC - 1, 0, unsigned int),
	_IOW(MSG_SLOT_IOC_MAGIC + 1, 0, unsigned int),
	0,
};

enum arg_kind {
	ARG_CHANNEL,	/* the id of one of the sequence's channels */
	ARG_ZERO,
	ARG_ABOVE,	/* a channel's id plus 2^32: valid as an unsigned int */
	ARG_BIG,	/* from big_args[] */
	NR_ARG_KINDS
};

static const unsigned int arg_weights[NR_ARG_KINDS] = {
	[ARG_CHANNEL] = 80,
	[ARG_ZERO] = 7,
	[ARG_ABOVE] = 7,
	[ARG_BIG] = 6,
};

#define U32_LIMIT	((uint64_t)UINT32_MAX + 1)	/* 2^32 */

/* Zero in the low 32 bits, so no encoding of MSG_SLOT_CHANNEL takes them. */
static const uint64_t big_args[] = {
	U32_LIMIT, (uint64_t)INT64_MAX + 1, UINT64_MAX << 32,
	0xdeadbeefULL << 32,
};

/* Boundary ids, used now and then instead of random ones. */
static const uint32_t edge_ids[] = {
	1, 2, MSG_SLOT_MAX_CHANNELS, (uint32_t)INT32_MAX + 1, UINT32_MAX - 1,
	UINT32_MAX,
};

enum buf_kind {
	BUF_NORMAL,
	BUF_NULL,
	BUF_NONE,	/* a pointer into a PROT_NONE page */
	BUF_EDGE,	/* a buffer that runs into a PROT_NONE page */
	NR_BUF_KINDS
};

static const unsigned int buf_weights[NR_BUF_KINDS] = {
	[BUF_NORMAL] = 85,
	[BUF_NULL] = 4,
	[BUF_NONE] = 4,
	[BUF_EDGE] = 7,
};

enum len_kind {
	LEN_MSG,	/* 1..MSG_MAX */
	LEN_EDGE,	/* from len_edges[] */
	LEN_ANY,	/* 0..MAX_IO_LEN */
	LEN_ROOMY,	/* MSG_MAX..MAX_IO_LEN: always enough to read */
	LEN_REL,	/* reads: the message length give or take REL_DELTA */
	NR_LEN_KINDS
};

static const unsigned int write_len_weights[NR_LEN_KINDS] = {
	[LEN_MSG] = 65,
	[LEN_EDGE] = 20,
	[LEN_ANY] = 15,
};

static const unsigned int read_len_weights[NR_LEN_KINDS] = {
	[LEN_EDGE] = 10,
	[LEN_ANY] = 20,
	[LEN_ROOMY] = 40,
	[LEN_REL] = 30,
};

/*
 * The store keeps a message in a buffer of a power-of-two size class, so
 * the lengths around each class boundary, and around the limits, matter.
 */
static const unsigned int len_edges[] = {
	0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65,
	MSG_MAX - 1, MSG_MAX, MSG_MAX + 1, MAX_IO_LEN,
};

/* op.rel: which sizes of a read are relative to the message length. */
#define REL_LEN		0x1
#define REL_ROOM	0x2

struct op {
	uint8_t kind;		/* enum op_kind */
	uint8_t child;		/* OP_FORK: what the child does */
	uint8_t file;		/* index into model.files */
	uint8_t minor;		/* OP_OPEN: index of the minor */
	uint8_t arg;		/* enum arg_kind */
	uint8_t chan;		/* ARG_CHANNEL, ARG_ABOVE: channel index */
	uint8_t big;		/* ARG_BIG: index into big_args[] */
	uint8_t buf;		/* enum buf_kind */
	uint8_t rel;		/* REL_LEN, REL_ROOM */
	uint8_t offset;		/* into the normal buffer or the PROT_NONE page */
	int16_t len;		/* bytes to write or read, or a delta */
	int16_t room;		/* BUF_EDGE: accessible bytes, or a delta */
	uint32_t cmd;		/* ioctl command */
	uint32_t val;		/* seed of the bytes written or of the canary */
};

struct seq {
	unsigned int nr_ops;
	uint32_t edge_id[FUZZ_CHANNELS];	/* 0: draw a random id */
	struct op ops[SEQ_MAX_OPS];
};

struct model_chan {
	unsigned int len;	/* 0: no message, hence no channel */
	uint64_t seq;		/* the slot's stamp of the message, 0: none */
	unsigned char data[MSG_MAX];
};

struct model_file {
	int fd;			/* -1: closed */
	unsigned int minor;
	int chan;		/* -1: no channel selected */
	int seen_chan;		/* channel of the message last read, -1: none */
	uint64_t seen;		/* that message's seq */
};

struct model {
	uint32_t ids[FUZZ_CHANNELS];
	unsigned int initial_len[FUZZ_MINORS][FUZZ_CHANNELS];
	uint64_t initial_seq[FUZZ_MINORS][FUZZ_CHANNELS];
	/* The number of each slot's last successful write, slot-wide. */
	uint64_t stamp[FUZZ_MINORS];
	uint64_t initial_stamp[FUZZ_MINORS];
	struct model_chan chans[FUZZ_MINORS][FUZZ_CHANNELS];
	struct model_file files[FUZZ_FILES];
};

/* Room for what differed, and for a struct msg_slot_channel_info. */
#define WHY_LEN		160
#define INFO_STR_LEN	64

/* A call's result: ret, and the errno when it is negative. */
struct outcome {
	long ret;
	int err;
};

/* What one op did in a run, for the trace. */
struct op_rec {
	bool done;		/* false: skipped, the file was not as needed */
	unsigned int minor;	/* of the file, before the op */
	int chan;		/* of the file, before the op */
	int len, room;		/* sizes after resolving relative ones */
	unsigned long arg;
	struct outcome want, got;
	char why[WHY_LEN];	/* what differed besides the outcome */
};

enum result { RES_OK, RES_EINVAL, RES_EMSGSIZE, RES_EFAULT, RES_EAGAIN,
	      RES_ENOSPC, RES_OTHER, NR_RESULTS };

static const struct {
	int err;
	const char *name;
} results[NR_RESULTS] = {
	[RES_OK] = { 0, "ok" },
	[RES_EINVAL] = { EINVAL, "EINVAL" },
	[RES_EMSGSIZE] = { EMSGSIZE, "EMSGSIZE" },
	[RES_EFAULT] = { EFAULT, "EFAULT" },
	[RES_EAGAIN] = { EWOULDBLOCK, "EWOULDBLOCK" },
	[RES_ENOSPC] = { ENOSPC, "ENOSPC" },
	[RES_OTHER] = { -1, "other" },
};

#define RES_BIT(r)	(1U << (r))

/* What a long run must have reached, or the generator has gone blind. */
static const unsigned int must_reach[NR_OP_KINDS] = {
	[OP_OPEN] = RES_BIT(RES_OK),
	[OP_CLOSE] = RES_BIT(RES_OK),
	[OP_IOCTL] = RES_BIT(RES_OK) | RES_BIT(RES_EINVAL),
	[OP_INFO] = RES_BIT(RES_OK) | RES_BIT(RES_EINVAL) | RES_BIT(RES_EFAULT),
	[OP_CLEAR] = RES_BIT(RES_OK) | RES_BIT(RES_EINVAL),
	[OP_WRITE] = RES_BIT(RES_OK) | RES_BIT(RES_EINVAL) |
		     RES_BIT(RES_EMSGSIZE) | RES_BIT(RES_EFAULT),
	[OP_READ] = RES_BIT(RES_OK) | RES_BIT(RES_EINVAL) |
		    RES_BIT(RES_EAGAIN) | RES_BIT(RES_ENOSPC) |
		    RES_BIT(RES_EFAULT),
	[OP_FORK] = RES_BIT(RES_OK) | RES_BIT(RES_EINVAL),
};

/* What poll() found of a file, for the statistics. */
enum poll_state {
	POLL_NO_CHANNEL,
	POLL_NO_MESSAGE,
	POLL_READ,		/* the file has read the message held */
	POLL_READABLE,
	NR_POLL_STATES
};

static const char *const poll_names[NR_POLL_STATES] = {
	[POLL_NO_CHANNEL] = "no channel",
	[POLL_NO_MESSAGE] = "no message",
	[POLL_READ] = "read already",
	[POLL_READABLE] = "readable",
};

/* Bits asked for: all that poll() can report, so extra ones show. */
#define POLL_ASKED	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | \
			 POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLMSG | \
			 POLLRDHUP)
#define POLL_WRITABLE	(POLLOUT | POLLWRNORM)
#define POLL_READABLE_BITS	(POLLIN | POLLRDNORM)

/* What a forked child found, in memory shared with the parent. */
struct child_report {
	struct outcome got;
	char why[WHY_LEN];
};

struct fuzz {
	const struct msg_slot_env *env;
	uint32_t seed;
	int probe_fd[FUZZ_MINORS];	/* learns the channels' messages */
	unsigned char *edge_map;	/* an accessible page, then PROT_NONE */
	unsigned char *edge_end;	/* the first byte of the PROT_NONE page */
	size_t page;
	struct child_report *child;	/* shared with forked children */
	bool counting;			/* false while shrinking */
	bool prologue_failed;
	char prologue_why[128];
	unsigned long counts[NR_OP_KINDS][NR_RESULTS];
	unsigned long polls[NR_POLL_STATES];
	unsigned long ops, sequences, probes, new_channels, info_checks;
	unsigned char wbuf[BUF_SLACK + MAX_IO_LEN];
	unsigned char rbuf[BUF_SLACK + MAX_IO_LEN + BUF_SLACK];
	unsigned char ibuf[BUF_SLACK + INFO_SIZE + BUF_SLACK];
	unsigned char pbuf[MSG_MAX];
};

/* Big or repeated state lives here rather than on the stack. */
static struct fuzz fuzz_ctx;
static struct seq cur_seq, shrink_seq, trial_seq;
static struct op_rec cur_recs[SEQ_MAX_OPS], best_recs[SEQ_MAX_OPS];
static struct model cur_model, best_model;

/*
 * splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", 2014): tiny, and any 64-bit state is a good one, so seeds
 * can be combined by plain arithmetic.
 */
#define SPLITMIX_GAMMA		0x9e3779b97f4a7c15ULL
#define SPLITMIX_MUL1		0xbf58476d1ce4e5b9ULL
#define SPLITMIX_MUL2		0x94d049bb133111ebULL

static uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * SPLITMIX_MUL1;
	x = (x ^ (x >> 27)) * SPLITMIX_MUL2;
	return x ^ (x >> 31);
}

static uint64_t rng_next(uint64_t *state)
{
	*state += SPLITMIX_GAMMA;
	return mix64(*state);
}

/* Uniform in 0..n-1, by multiply and shift rather than a biased modulo. */
static unsigned int rng_below(uint64_t *state, unsigned int n)
{
	return ((rng_next(state) >> 32) * n) >> 32;
}

static int rng_range(uint64_t *state, int lo, int hi)
{
	return lo + (int)rng_below(state, hi - lo + 1);
}

static unsigned int rng_pick(uint64_t *state, const unsigned int *weights,
			     unsigned int n)
{
	unsigned int i, total = 0, r;

	for (i = 0; i < n; i++)
		total += weights[i];
	r = rng_below(state, total);
	for (i = 0; r >= weights[i]; i++)
		r -= weights[i];
	return i;
}

/* Independent streams of one sequence: its ops, and ids per attempt. */
#define STREAM_OPS	0U
#define STREAM_IDS	1U

static uint64_t seq_rng(uint32_t seed, uint32_t index, unsigned int stream)
{
	return mix64((uint64_t)seed << 32 | index) ^ mix64(stream);
}

/* Hide bad pointers from the compiler, which would warn about them. */
static void *hide_ptr(void *p)
{
	__asm__ ("" : "+r" (p));
	return p;
}

static bool fits_u32(unsigned long v)
{
	return v == (uint32_t)v;
}

/* The number in environment variable @name, or @def when it is unset. */
static unsigned long env_ulong(struct __test_metadata *_metadata,
			       const char *name, unsigned long def)
{
	unsigned long val;

	ASSERT_TRUE(msg_slot_env_ulong(name, def, &val))
		TH_LOG("bad %s='%s'", name, getenv(name));
	return val;
}

static enum result result_of(const struct outcome *o)
{
	unsigned int r;

	for (r = 0; r < RES_OTHER; r++)
		if (results[r].err == o->err)
			return r;
	return RES_OTHER;
}

static bool same_outcome(unsigned int kind, const struct outcome *want,
			 const struct outcome *got)
{
	if (want->err || got->err)
		return want->err == got->err && got->ret == -1;
	/* Any descriptor will do for open. */
	return kind == OP_OPEN ? got->ret >= 0 : want->ret == got->ret;
}

static void fmt_outcome(char *buf, size_t size, const struct outcome *o)
{
	enum result r = result_of(o);

	if (!o->err)
		snprintf(buf, size, "%ld", o->ret);
	else if (r != RES_OTHER)
		snprintf(buf, size, "%ld %s", o->ret, results[r].name);
	else
		snprintf(buf, size, "%ld errno %d (%s)", o->ret, o->err,
			 strerror(o->err));
}

/* ---- Generation ---------------------------------------------------- */

/* What the generator tracks of the files, to make sensible ops. */
struct gen {
	uint64_t rng;
	bool open[FUZZ_FILES];
	bool selected[FUZZ_FILES];	/* a valid ioctl may have succeeded */
	unsigned int nr_open;
};

static unsigned int pick_file(struct gen *g, bool open)
{
	unsigned int f, n = 0, k;

	for (f = 0; f < FUZZ_FILES; f++)
		n += g->open[f] == open;
	k = rng_below(&g->rng, n);
	for (f = 0; f < FUZZ_FILES; f++)
		if (g->open[f] == open && !k--)
			break;
	return f;
}

static void gen_arg(uint64_t *rng, struct op *op)
{
	op->arg = rng_pick(rng, arg_weights, NR_ARG_KINDS);
	/* Ids wider than 32 bits cannot be passed with a 32-bit long. */
	if (sizeof(unsigned long) <= sizeof(uint32_t) &&
	    (op->arg == ARG_ABOVE || op->arg == ARG_BIG))
		op->arg = ARG_ZERO;
	op->chan = rng_below(rng, FUZZ_CHANNELS);
	op->big = rng_below(rng, ARRAY_SIZE(big_args));
}

static void gen_ioctl(uint64_t *rng, struct op *op)
{
	switch (rng_pick(rng, cmd_weights, NR_CMD_KINDS)) {
	case CMD_CHANNEL:
		op->cmd = MSG_SLOT_CHANNEL;
		break;
	case CMD_CHANNEL_UL:
		op->cmd = MSG_SLOT_CHANNEL_UL;
		break;
	case CMD_WRONG:
		op->cmd = wrong_cmds[rng_below(rng, ARRAY_SIZE(wrong_cmds))];
		break;
	default:
		/*
		 * May hit a valid one: the model judges by value anyway. But
		 * MSG_SLOT_CHANNEL_INFO would take a channel id for a pointer,
		 * which may point anywhere: OP_INFO tries that one.
		 */
		do
			op->cmd = _IOC(rng_below(rng, _IOC_DIRMASK + 1),
				       MSG_SLOT_IOC_MAGIC,
				       rng_below(rng, _IOC_NRMASK + 1),
				       rng_below(rng, _IOC_SIZEMASK + 1));
		while (op->cmd == MSG_SLOT_CHANNEL_INFO);
		break;
	}
	gen_arg(rng, op);
}

static int gen_len(uint64_t *rng, enum len_kind kind)
{
	switch (kind) {
	case LEN_MSG:
		return rng_range(rng, 1, MSG_MAX);
	case LEN_EDGE:
		return len_edges[rng_below(rng, ARRAY_SIZE(len_edges))];
	case LEN_ANY:
		return rng_range(rng, 0, MAX_IO_LEN);
	case LEN_ROOMY:
		return rng_range(rng, MSG_MAX, MAX_IO_LEN);
	default:
		return rng_range(rng, -REL_DELTA, REL_DELTA);
	}
}

static void gen_buf(uint64_t *rng, struct op *op)
{
	op->buf = rng_pick(rng, buf_weights, NR_BUF_KINDS);
	op->offset = rng_below(rng, op->buf == BUF_NONE ? NONE_OFFSET_MAX :
				    BUF_SLACK);
	op->room = rng_range(rng, -EDGE_DELTA, EDGE_DELTA);
	op->val = rng_next(rng);
}

static void gen_write(uint64_t *rng, struct op *op)
{
	gen_buf(rng, op);
	op->len = gen_len(rng, rng_pick(rng, write_len_weights, NR_LEN_KINDS));
	/* The length is known now: make the room absolute. */
	op->room = op->len + op->room < 0 ? 0 : op->len + op->room;
}

static void gen_read(uint64_t *rng, struct op *op)
{
	enum len_kind kind = rng_pick(rng, read_len_weights, NR_LEN_KINDS);

	gen_buf(rng, op);
	op->len = gen_len(rng, kind);
	/* The message length is known only when the read runs. */
	op->rel = REL_ROOM | (kind == LEN_REL ? REL_LEN : 0);
}

/* The struct is filled whole or not at all: its end meets the fault. */
static void gen_info(uint64_t *rng, struct op *op)
{
	op->cmd = MSG_SLOT_CHANNEL_INFO;
	gen_buf(rng, op);
	op->len = INFO_SIZE;
	op->room += INFO_SIZE;
}

/* With any argument, which the driver must ignore. */
static void gen_clear(uint64_t *rng, struct op *op)
{
	op->cmd = MSG_SLOT_CLEAR;
	gen_arg(rng, op);
}

static bool selects(const struct op *op)
{
	return (op->cmd == MSG_SLOT_CHANNEL ||
		op->cmd == MSG_SLOT_CHANNEL_UL) && op->arg == ARG_CHANNEL;
}

/* The system call of an op of @kind, also when a child makes it. */
static void gen_call(struct gen *g, struct op *op, unsigned int kind)
{
	uint64_t *rng = &g->rng;

	switch (kind) {
	case OP_IOCTL:
		gen_ioctl(rng, op);
		g->selected[op->file] |= selects(op);
		break;
	case OP_INFO:
		gen_info(rng, op);
		break;
	case OP_CLEAR:
		gen_clear(rng, op);
		break;
	case OP_WRITE:
		gen_write(rng, op);
		break;
	default:
		gen_read(rng, op);
		break;
	}
}

static void gen_op(struct gen *g, struct op *op)
{
	uint64_t *rng = &g->rng;
	unsigned int kind = rng_pick(rng, op_weights, NR_OP_KINDS);

	if (!g->nr_open)
		kind = OP_OPEN;
	else if (kind == OP_OPEN && g->nr_open == FUZZ_FILES)
		kind = OP_CLOSE;

	memset(op, 0, sizeof(*op));
	op->file = pick_file(g, kind != OP_OPEN);
	/*
	 * Calls without a channel only ever get EINVAL: do not spend a
	 * quarter of the run on them, as pure chance would.
	 */
	if (kind != OP_OPEN && kind != OP_CLOSE &&
	    !g->selected[op->file] && rng_below(rng, 2))
		kind = OP_IOCTL;
	op->kind = kind;
	switch (kind) {
	case OP_OPEN:
		op->minor = rng_below(rng, FUZZ_MINORS);
		g->open[op->file] = true;
		g->selected[op->file] = false;
		g->nr_open++;
		break;
	case OP_CLOSE:
		g->open[op->file] = false;
		g->nr_open--;
		break;
	case OP_FORK:
		op->child = rng_pick(rng, child_weights, NR_OP_KINDS);
		gen_call(g, op, op->child);
		break;
	default:
		gen_call(g, op, kind);
		break;
	}
}

/* Sequence @index of @seed, cut to @max_ops: a prefix of the uncut one. */
static void gen_seq(struct seq *sq, uint32_t seed, uint32_t index,
		    unsigned long max_ops)
{
	struct gen g = { .rng = seq_rng(seed, index, STREAM_OPS) };
	unsigned int i, c, d;

	sq->nr_ops = rng_range(&g.rng, SEQ_MIN_OPS, SEQ_MAX_OPS);
	if (sq->nr_ops > max_ops)
		sq->nr_ops = max_ops;
	for (c = 0; c < FUZZ_CHANNELS; c++) {
		sq->edge_id[c] = 0;
		if (rng_below(&g.rng, EDGE_ID_ODDS))
			continue;
		sq->edge_id[c] = edge_ids[rng_below(&g.rng,
						    ARRAY_SIZE(edge_ids))];
		/* Two channels of a sequence must never share an id. */
		for (d = 0; d < c; d++)
			if (sq->edge_id[d] == sq->edge_id[c])
				sq->edge_id[c] = 0;
	}
	for (i = 0; i < sq->nr_ops; i++)
		gen_op(&g, &sq->ops[i]);
}

/* ---- Execution against the driver and the model ---------------------- */

/*
 * Ids of a run: the sequence's boundary ids, and fresh random ones, drawn
 * per attempt, so that replays while shrinking find them unused.
 */
static void pick_ids(struct model *m, const struct seq *sq, uint32_t seed,
		     uint32_t index, unsigned int attempt)
{
	uint64_t rng = seq_rng(seed, index, STREAM_IDS + attempt);
	unsigned int c, d;
	uint32_t id;

	for (c = 0; c < FUZZ_CHANNELS; c++) {
		id = sq->edge_id[c];
		while (!id) {
			id = rng_next(&rng);
			for (d = 0; d < FUZZ_CHANNELS; d++)
				if ((d < c && m->ids[d] == id) ||
				    sq->edge_id[d] == id)
					id = 0;
		}
		m->ids[c] = id;
	}
}

/*
 * Learn what channel @c of minor @mi holds and how often it has been
 * written, through the probe file; false on a driver error. Read and
 * MSG_SLOT_CHANNEL_INFO must agree on the length.
 */
static bool probe_channel(struct fuzz *fz, struct model *m, unsigned int mi,
			  unsigned int c)
{
	struct model_chan *ch = &m->chans[mi][c];
	struct msg_slot_channel_info info;
	int fd = fz->probe_fd[mi];
	ssize_t n;

	if (msg_slot_set_channel(fd, m->ids[c])) {
		snprintf(fz->prologue_why, sizeof(fz->prologue_why),
			 "MSG_SLOT_CHANNEL %u on slot%u: %s", m->ids[c],
			 FUZZ_MINOR_BASE + mi, strerror(errno));
		return false;
	}
	memset(&info, 0, sizeof(info));
	/* A channel has a seq exactly while it holds a message. */
	if (ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info) ||
	    info.channel != m->ids[c] || info.len > MSG_MAX ||
	    !info.len != !info.seq) {
		snprintf(fz->prologue_why, sizeof(fz->prologue_why),
			 "MSG_SLOT_CHANNEL_INFO of id %u of slot%u: %s, channel %u len %u seq %llu",
			 m->ids[c], FUZZ_MINOR_BASE + mi, strerror(errno),
			 info.channel, info.len,
			 (unsigned long long)info.seq);
		return false;
	}
	n = read(fd, fz->pbuf, sizeof(fz->pbuf));
	if (fz->counting)
		fz->probes++;
	if (n < 0 && errno == EWOULDBLOCK && !info.len) {
		ch->len = 0;
	} else if (n > 0 && n == info.len) {
		ch->len = n;
		memcpy(ch->data, fz->pbuf, n);
	} else {
		snprintf(fz->prologue_why, sizeof(fz->prologue_why),
			 "read of %zu bytes, id %u of slot%u: %zd (%s), info says %u bytes",
			 sizeof(fz->pbuf), m->ids[c], FUZZ_MINOR_BASE + mi, n,
			 n < 0 ? strerror(errno) : "bad length", info.len);
		return false;
	}
	ch->seq = info.seq;
	m->initial_len[mi][c] = ch->len;
	m->initial_seq[mi][c] = ch->seq;
	return true;
}

/* Whether @id is the id of one of the run's channels. */
static bool is_run_id(const struct model *m, uint32_t id)
{
	unsigned int c;

	for (c = 0; c < FUZZ_CHANNELS; c++)
		if (m->ids[c] == id)
			return true;
	return false;
}

/*
 * Learn where the write sequence of minor @mi stands, after its channels:
 * write a byte to a channel that is not one of the run's, take the seq
 * that write got and clear the channel again, which removes it. Nothing
 * else writes to the slot while the sequence runs, so the model numbers
 * the sequence's writes on from there. False on a driver error.
 */
static bool probe_stamp(struct fuzz *fz, struct model *m, unsigned int mi)
{
	struct msg_slot_channel_info info;
	int fd = fz->probe_fd[mi];
	uint32_t id = STAMP_PROBE_ID;
	unsigned int c;

	while (is_run_id(m, id))
		id++;
	memset(&info, 0, sizeof(info));
	if (msg_slot_set_channel(fd, id) || write(fd, "s", 1) != 1 ||
	    ioctl(fd, MSG_SLOT_CHANNEL_INFO, &info) ||
	    ioctl(fd, MSG_SLOT_CLEAR)) {
		snprintf(fz->prologue_why, sizeof(fz->prologue_why),
			 "write, info and clear of id %u of slot%u: %s", id,
			 FUZZ_MINOR_BASE + mi, strerror(errno));
		return false;
	}
	if (info.channel != id || info.len != 1 || !info.seq) {
		snprintf(fz->prologue_why, sizeof(fz->prologue_why),
			 "info of id %u of slot%u after a write: channel %u len %u seq %llu",
			 id, FUZZ_MINOR_BASE + mi, info.channel, info.len,
			 (unsigned long long)info.seq);
		return false;
	}
	for (c = 0; c < FUZZ_CHANNELS; c++) {
		if (m->chans[mi][c].seq < info.seq)
			continue;
		snprintf(fz->prologue_why, sizeof(fz->prologue_why),
			 "id %u of slot%u holds seq %llu, a write after it %llu",
			 m->ids[c], FUZZ_MINOR_BASE + mi,
			 (unsigned long long)m->chans[mi][c].seq,
			 (unsigned long long)info.seq);
		return false;
	}
	m->stamp[mi] = info.seq;
	m->initial_stamp[mi] = info.seq;
	return true;
}

/*
 * Learn what every channel of the run holds, and where each slot's write
 * sequence stands; false on a driver error.
 */
static bool probe_channels(struct fuzz *fz, struct model *m)
{
	unsigned int mi, c;

	for (mi = 0; mi < FUZZ_MINORS; mi++) {
		for (c = 0; c < FUZZ_CHANNELS; c++)
			if (!probe_channel(fz, m, mi, c))
				return false;
		if (!probe_stamp(fz, m, mi))
			return false;
	}
	return true;
}

static unsigned long ioctl_arg(const struct model *m, const struct op *op)
{
	switch (op->arg) {
	case ARG_CHANNEL:
		return m->ids[op->chan];
	case ARG_ZERO:
		return 0;
	case ARG_ABOVE:
		return (unsigned long)(U32_LIMIT + m->ids[op->chan]);
	default:
		return (unsigned long)big_args[op->big];
	}
}

/* A system call an op makes, and what the model says it must return. */
struct call {
	unsigned int kind;	/* of op, or of the forked child */
	int fd;
	unsigned int cmd;
	unsigned long arg;
	void *buf;
	size_t len;
	struct outcome want;
	/*
	 * Read and info: the canary-filled bytes around buf, if it is
	 * accessible, and what a success must leave at buf.
	 */
	unsigned char *area;
	size_t area_len;
	unsigned char canary;
	const unsigned char *expect;
	size_t expect_len;
	struct msg_slot_channel_info info;	/* info: the bytes expected */
};

static void issue(const struct call *call, struct outcome *got)
{
	switch (call->kind) {
	case OP_IOCTL:
	case OP_CLEAR:
		got->ret = ioctl(call->fd, call->cmd, call->arg);
		break;
	case OP_INFO:
		got->ret = ioctl(call->fd, call->cmd, call->buf);
		break;
	case OP_WRITE:
		got->ret = write(call->fd, call->buf, call->len);
		break;
	default:
		got->ret = read(call->fd, call->buf, call->len);
		break;
	}
	got->err = got->ret < 0 ? errno : 0;
}

/* An ioctl that takes no pointer: judged by the command's value. */
static void plan_ioctl(const struct model *m, const struct op *op,
		       struct call *call)
{
	const struct model_file *file = &m->files[op->file];
	bool ok;

	call->cmd = op->cmd;
	call->arg = ioctl_arg(m, op);
	if (call->cmd == MSG_SLOT_CHANNEL)
		/* An unsigned int by value: only the low 32 bits count. */
		ok = (uint32_t)call->arg != 0;
	else if (call->cmd == MSG_SLOT_CHANNEL_UL)
		ok = call->arg && fits_u32(call->arg);
	else if (call->cmd == MSG_SLOT_CLEAR)
		ok = file->chan >= 0;
	else
		ok = false;
	call->want.ret = ok ? 0 : -1;
	call->want.err = ok ? 0 : EINVAL;
}

/* Bytes a buffer of @kind lets the kernel access from its start. */
static size_t accessible(const struct op *op, size_t room)
{
	switch (op->buf) {
	case BUF_NORMAL:
		return SIZE_MAX;
	case BUF_EDGE:
		return room;
	default:
		return 0;
	}
}

static void *buf_ptr(struct fuzz *fz, const struct op *op, size_t room,
		     unsigned char *normal)
{
	switch (op->buf) {
	case BUF_NORMAL:
		return normal + op->offset;
	case BUF_NULL:
		return hide_ptr(NULL);
	case BUF_NONE:
		return hide_ptr(fz->edge_end + op->offset);
	default:
		return fz->edge_end - room;
	}
}

/*
 * Fill the bytes around the buffer the kernel writes to with a canary, to
 * find any it writes that it should not. @normal is the whole buffer of
 * BUF_NORMAL ops.
 */
static void set_canary(struct fuzz *fz, const struct op *op,
		       unsigned char *normal, size_t normal_len,
		       struct call *call)
{
	call->canary = op->val;
	call->area = NULL;
	if (op->buf == BUF_NORMAL) {
		call->area = normal;
		call->area_len = normal_len;
	} else if (op->buf == BUF_EDGE) {
		call->area = fz->edge_end - EDGE_AREA;
		call->area_len = EDGE_AREA;
	}
	if (call->area)
		memset(call->area, call->canary, call->area_len);
}

static void fill_bytes(unsigned char *p, size_t len, uint32_t val)
{
	uint64_t state = val, r = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i % sizeof(r)))
			r = rng_next(&state);
		p[i] = r;
		r >>= CHAR_BIT;
	}
}

static void plan_write(struct fuzz *fz, const struct model *m,
		       const struct op *op, struct op_rec *rec,
		       struct call *call)
{
	const struct model_file *file = &m->files[op->file];
	size_t len = op->len, room = op->room;

	rec->len = len;
	rec->room = room;
	call->buf = buf_ptr(fz, op, room, fz->wbuf);
	call->len = len;
	/* Whatever the kernel may read holds the message. */
	if (op->buf == BUF_NORMAL)
		fill_bytes(call->buf, len, op->val);
	else if (op->buf == BUF_EDGE)
		fill_bytes(call->buf, len < room ? len : room, op->val);

	call->want.ret = -1;
	if (file->chan < 0)
		call->want.err = EINVAL;
	else if (!len || len > MSG_MAX)
		call->want.err = EMSGSIZE;
	else if (accessible(op, room) < len)
		call->want.err = EFAULT;
	else
		call->want = (struct outcome){ .ret = len, .err = 0 };
}

static void plan_read(struct fuzz *fz, const struct model *m,
		      const struct op *op, struct op_rec *rec,
		      struct call *call)
{
	const struct model_file *file = &m->files[op->file];
	const struct model_chan *ch = NULL;
	int base = MSG_MAX, len, room;

	if (file->chan >= 0) {
		ch = &m->chans[file->minor][file->chan];
		if (ch->len)
			base = ch->len;
	}
	len = op->rel & REL_LEN ? base + op->len : op->len;
	room = op->rel & REL_ROOM ? base + op->room : op->room;
	rec->len = len < 0 ? 0 : len;
	rec->room = room < 0 ? 0 : room;

	call->buf = buf_ptr(fz, op, rec->room, fz->rbuf);
	call->len = rec->len;
	set_canary(fz, op, fz->rbuf, sizeof(fz->rbuf), call);

	call->want.ret = -1;
	if (!ch)
		call->want.err = EINVAL;
	else if (!ch->len)
		call->want.err = EWOULDBLOCK;
	else if (call->len < ch->len)
		call->want.err = ENOSPC;
	else if (accessible(op, rec->room) < ch->len)
		call->want.err = EFAULT;
	else
		call->want = (struct outcome){ .ret = ch->len, .err = 0 };
	if (!call->want.err) {
		call->expect = ch->data;
		call->expect_len = ch->len;
	}
}

/* What MSG_SLOT_CHANNEL_INFO must say of the channel of @file. */
static void model_info(const struct model *m, const struct model_file *file,
		       struct msg_slot_channel_info *info)
{
	const struct model_chan *ch = &m->chans[file->minor][file->chan];

	memset(info, 0, sizeof(*info));
	info->channel = m->ids[file->chan];
	info->len = ch->len;
	info->seq = ch->seq;
}

static void plan_info(struct fuzz *fz, const struct model *m,
		      const struct op *op, struct op_rec *rec,
		      struct call *call)
{
	const struct model_file *file = &m->files[op->file];

	rec->len = INFO_SIZE;
	rec->room = op->room;
	call->cmd = op->cmd;
	call->buf = buf_ptr(fz, op, rec->room, fz->ibuf);
	call->len = INFO_SIZE;
	set_canary(fz, op, fz->ibuf, sizeof(fz->ibuf), call);

	call->want.ret = -1;
	/* No channel: EINVAL, whatever the pointer. */
	if (file->chan < 0) {
		call->want.err = EINVAL;
	} else if (accessible(op, rec->room) < INFO_SIZE) {
		call->want.err = EFAULT;
	} else {
		call->want = (struct outcome){ .ret = 0, .err = 0 };
		model_info(m, file, &call->info);
		call->expect_len = INFO_SIZE;
	}
}

static void fmt_info(char *buf, size_t size,
		     const struct msg_slot_channel_info *info)
{
	snprintf(buf, size, "channel %u len %u seq %llu", info->channel,
		 info->len, (unsigned long long)info->seq);
}

/*
 * After a read or info that went as predicted: what it returned must be
 * in the buffer, and every other byte around it untouched, even after a
 * failure (except a fault, which leaves the buffer undefined).
 */
static bool check_bytes(const struct call *call, char *why, size_t size)
{
	const unsigned char *buf = call->buf, *expect = call->expect;
	struct msg_slot_channel_info got;
	char got_s[INFO_STR_LEN], want_s[INFO_STR_LEN];
	size_t start, end, i;

	if (!call->area || call->want.err == EFAULT)
		return true;
	if (call->kind == OP_INFO)
		expect = (const unsigned char *)&call->info;
	start = buf - call->area;
	end = start;
	if (!call->want.err) {
		end = start + call->expect_len;
		if (call->kind == OP_INFO &&
		    memcmp(buf, expect, call->expect_len)) {
			memcpy(&got, buf, sizeof(got));
			fmt_info(got_s, sizeof(got_s), &got);
			fmt_info(want_s, sizeof(want_s), &call->info);
			snprintf(why, size, "%s, want %s", got_s, want_s);
			return false;
		}
		for (i = 0; i < call->expect_len; i++) {
			if (buf[i] != expect[i]) {
				snprintf(why, size,
					 "byte %zu is 0x%02x, want 0x%02x",
					 i, buf[i], expect[i]);
				return false;
			}
		}
	}
	for (i = 0; i < call->area_len; i++) {
		if ((i < start || i >= end) &&
		    call->area[i] != call->canary) {
			snprintf(why, size,
				 "byte %ld of the buffer changed to 0x%02x",
				 (long)i - (long)start, call->area[i]);
			return false;
		}
	}
	return true;
}

/* Make the call and judge it. Returns false when it diverged. */
static bool make_call(const struct call *call, struct outcome *got,
		      char *why, size_t size)
{
	issue(call, got);
	if (!same_outcome(call->kind, &call->want, got))
		return false;
	return check_bytes(call, why, size);
}

/* The model's side of a call that went as predicted. */
static void apply(struct fuzz *fz, struct model *m, const struct op *op,
		  const struct call *call)
{
	struct model_file *file = &m->files[op->file];
	struct model_chan *ch = NULL;

	if (call->want.err)
		return;
	if (file->chan >= 0)
		ch = &m->chans[file->minor][file->chan];
	switch (call->kind) {
	case OP_IOCTL:
	case OP_CLEAR:
		if (call->cmd == MSG_SLOT_CLEAR) {
			/* The channel goes, as if never written. */
			ch->len = 0;
			ch->seq = 0;
		} else {
			/* The record of the last message read stays. */
			file->chan = op->chan;
		}
		break;
	case OP_WRITE:
		/* A channel with no message is not in the slot. */
		if (!ch->len && fz->counting)
			fz->new_channels++;
		ch->len = call->len;
		memcpy(ch->data, call->buf, call->len);
		ch->seq = ++m->stamp[file->minor];
		break;
	case OP_READ:
		file->seen_chan = file->chan;
		file->seen = ch->seq;
		break;
	}
}

static void plan(struct fuzz *fz, const struct model *m, const struct op *op,
		 unsigned int kind, struct op_rec *rec, struct call *call)
{
	memset(call, 0, sizeof(*call));
	call->kind = kind;
	call->fd = m->files[op->file].fd;
	switch (kind) {
	case OP_IOCTL:
	case OP_CLEAR:
		plan_ioctl(m, op, call);
		rec->arg = call->arg;
		break;
	case OP_INFO:
		plan_info(fz, m, op, rec, call);
		break;
	case OP_WRITE:
		plan_write(fz, m, op, rec, call);
		break;
	default:
		plan_read(fz, m, op, rec, call);
		break;
	}
}

/* The child makes the call on the inherited file and judges it itself. */
static bool run_fork(struct fuzz *fz, struct model *m, const struct op *op,
		     struct op_rec *rec)
{
	struct child_report *cr = fz->child;
	struct call call;
	int status;
	pid_t pid;

	plan(fz, m, op, op->child, rec, &call);
	rec->want = call.want;
	memset(cr, 0, sizeof(*cr));
	cr->got.ret = -1;
	pid = fork();
	if (pid < 0) {
		rec->got = (struct outcome){ .ret = -1, .err = errno };
		snprintf(rec->why, sizeof(rec->why), "fork() failed");
		return false;
	}
	if (!pid)
		_exit(make_call(&call, &cr->got, cr->why, sizeof(cr->why)) ?
		      0 : 1);
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(rec->why, sizeof(rec->why), "waitpid(): %s",
			 strerror(errno));
		return false;
	}
	rec->got = cr->got;
	memcpy(rec->why, cr->why, sizeof(rec->why));
	rec->why[sizeof(rec->why) - 1] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!rec->why[0] && same_outcome(call.kind, &call.want,
						 &rec->got))
			snprintf(rec->why, sizeof(rec->why),
				 "child status %#x", status);
		return false;
	}
	apply(fz, m, op, &call);
	return true;
}

/*
 * After a write or a clear, what MSG_SLOT_CHANNEL_INFO tells of the file's
 * channel must be the model's: each successful write takes the next number
 * of its slot, nothing else takes one, and a clear leaves len 0 and seq 0.
 */
static bool check_info(struct fuzz *fz, const struct model *m,
		       const struct op *op, struct op_rec *rec)
{
	const struct model_file *file = &m->files[op->file];
	struct msg_slot_channel_info got, want;
	char got_s[INFO_STR_LEN], want_s[INFO_STR_LEN];

	if (file->chan < 0)
		return true;
	if (fz->counting)
		fz->info_checks++;
	model_info(m, file, &want);
	memset(&got, 0, sizeof(got));
	if (ioctl(file->fd, MSG_SLOT_CHANNEL_INFO, &got)) {
		snprintf(rec->why, sizeof(rec->why),
			 "then MSG_SLOT_CHANNEL_INFO: %s", strerror(errno));
		return false;
	}
	if (!memcmp(&got, &want, sizeof(got)))
		return true;
	fmt_info(got_s, sizeof(got_s), &got);
	fmt_info(want_s, sizeof(want_s), &want);
	snprintf(rec->why, sizeof(rec->why), "then info: %s, want %s", got_s,
		 want_s);
	return false;
}

static enum poll_state poll_state_of(const struct model *m,
				     const struct model_file *file)
{
	const struct model_chan *ch;

	if (file->chan < 0)
		return POLL_NO_CHANNEL;
	ch = &m->chans[file->minor][file->chan];
	if (!ch->len)
		return POLL_NO_MESSAGE;
	if (file->seen_chan == file->chan && ch->seq == file->seen)
		return POLL_READ;
	return POLL_READABLE;
}

/* Every open file must poll exactly as readable as the model says. */
static bool check_poll(struct fuzz *fz, const struct model *m,
		       struct op_rec *rec)
{
	enum poll_state state[FUZZ_FILES];
	struct pollfd pfd[FUZZ_FILES];
	unsigned int f[FUZZ_FILES];
	unsigned int i, n = 0, ready = 0;
	short want;
	int ret;

	for (i = 0; i < FUZZ_FILES; i++) {
		if (m->files[i].fd < 0)
			continue;
		pfd[n].fd = m->files[i].fd;
		pfd[n].events = POLL_ASKED;
		pfd[n].revents = 0;
		state[n] = poll_state_of(m, &m->files[i]);
		f[n++] = i;
	}
	if (!n)
		return true;
	ret = poll(pfd, n, 0);
	if (ret < 0) {
		snprintf(rec->why, sizeof(rec->why), "then poll(): %s",
			 strerror(errno));
		return false;
	}
	for (i = 0; i < n; i++) {
		/* A file with no channel reports nothing. */
		want = state[i] == POLL_NO_CHANNEL ? 0 : POLL_WRITABLE;
		ready += !!want;
		if (state[i] == POLL_READABLE)
			want |= POLL_READABLE_BITS;
		if (pfd[i].revents == want)
			continue;
		snprintf(rec->why, sizeof(rec->why),
			 "then poll() of f%u (%s): revents %#x, want %#x",
			 f[i], poll_names[state[i]], pfd[i].revents, want);
		return false;
	}
	/* Every file with a channel is writable, so every one counts. */
	if (ret != (int)ready) {
		snprintf(rec->why, sizeof(rec->why),
			 "then poll() of %u files returned %d", n, ret);
		return false;
	}
	if (fz->counting)
		for (i = 0; i < n; i++)
			fz->polls[state[i]]++;
	return true;
}

/* Calls that change a channel, after which its info is checked. */
static bool changes_channel(const struct op *op)
{
	unsigned int kind = op->kind == OP_FORK ? op->child : op->kind;

	return kind == OP_WRITE ||
	       ((kind == OP_IOCTL || kind == OP_CLEAR) &&
		op->cmd == MSG_SLOT_CLEAR);
}

/* Run one op on the driver and the model; false when they diverge. */
static bool run_op(struct fuzz *fz, struct model *m, const struct op *op,
		   struct op_rec *rec)
{
	struct model_file *file = &m->files[op->file];
	struct call call;
	bool ok;

	memset(rec, 0, sizeof(*rec));
	rec->minor = file->minor;
	rec->chan = file->chan;
	/* Shrinking may remove the open or close an op relied on. */
	if (op->kind == OP_OPEN ? file->fd >= 0 : file->fd < 0)
		return true;
	rec->done = true;

	switch (op->kind) {
	case OP_OPEN:
		rec->got.ret = msg_slot_open(fz->env,
					     FUZZ_MINOR_BASE + op->minor,
					     O_RDWR);
		rec->got.err = rec->got.ret < 0 ? errno : 0;
		ok = rec->got.ret >= 0;
		if (ok) {
			file->fd = rec->got.ret;
			file->minor = op->minor;
			file->chan = -1;
			file->seen_chan = -1;
			file->seen = 0;
		}
		break;
	case OP_CLOSE:
		rec->got.ret = close(file->fd);
		rec->got.err = rec->got.ret < 0 ? errno : 0;
		ok = !rec->got.ret;
		file->fd = -1;
		break;
	case OP_FORK:
		ok = run_fork(fz, m, op, rec);
		break;
	default:
		plan(fz, m, op, op->kind, rec, &call);
		rec->want = call.want;
		ok = make_call(&call, &rec->got, rec->why, sizeof(rec->why));
		if (ok)
			apply(fz, m, op, &call);
		break;
	}
	if (fz->counting)
		fz->counts[op->kind][result_of(&rec->got)]++;
	if (ok && changes_channel(op))
		ok = check_info(fz, m, op, rec);
	if (ok)
		ok = check_poll(fz, m, rec);
	return ok;
}

static void close_files(struct model *m)
{
	unsigned int f;

	for (f = 0; f < FUZZ_FILES; f++) {
		if (m->files[f].fd >= 0)
			close(m->files[f].fd);
		m->files[f].fd = -1;
		m->files[f].chan = -1;
	}
}

/*
 * Run @sq from a fresh model on the ids of @attempt. Returns the index of
 * the op that diverged, or NO_DIVERGENCE; sets fz->prologue_failed if the
 * channels could not even be probed.
 */
static int run_seq(struct fuzz *fz, const struct seq *sq, uint32_t index,
		   unsigned int attempt, struct model *m,
		   struct op_rec *recs)
{
	unsigned int i;
	int div = NO_DIVERGENCE;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < FUZZ_FILES; i++) {
		m->files[i].fd = -1;
		m->files[i].chan = -1;
	}
	pick_ids(m, sq, fz->seed, index, attempt);
	if (!probe_channels(fz, m)) {
		fz->prologue_failed = true;
		return NO_DIVERGENCE;
	}
	for (i = 0; i < sq->nr_ops; i++) {
		if (!run_op(fz, m, &sq->ops[i], &recs[i])) {
			div = i;
			break;
		}
	}
	close_files(m);
	return div;
}

/* ---- Reporting and shrinking ----------------------------------------- */

static void fmt_buf(char *buf, size_t size, const struct op *op,
		    const struct op_rec *rec)
{
	switch (op->buf) {
	case BUF_NORMAL:
		snprintf(buf, size, "buf+%u", op->offset);
		break;
	case BUF_NULL:
		snprintf(buf, size, "NULL");
		break;
	case BUF_NONE:
		snprintf(buf, size, "PROT_NONE+%u", op->offset);
		break;
	default:
		snprintf(buf, size, "%d bytes before PROT_NONE", rec->room);
		break;
	}
}

static void fmt_cmd(char *buf, size_t size, unsigned int cmd)
{
	if (cmd == MSG_SLOT_CHANNEL)
		snprintf(buf, size, "MSG_SLOT_CHANNEL");
	else if (cmd == MSG_SLOT_CHANNEL_UL)
		snprintf(buf, size, "MSG_SLOT_CHANNEL_UL");
	else if (cmd == MSG_SLOT_CHANNEL_INFO)
		snprintf(buf, size, "MSG_SLOT_CHANNEL_INFO");
	else if (cmd == MSG_SLOT_CLEAR)
		snprintf(buf, size, "MSG_SLOT_CLEAR");
	else
		snprintf(buf, size, "%#x", cmd);
}

static void fmt_call(char *buf, size_t size, const struct op *op,
		     unsigned int kind, const struct op_rec *rec)
{
	char what[48], sel[24];

	if (rec->chan >= 0)
		snprintf(sel, sizeof(sel), "slot%u/c%d",
			 FUZZ_MINOR_BASE + rec->minor, rec->chan);
	else
		snprintf(sel, sizeof(sel), "slot%u/-",
			 FUZZ_MINOR_BASE + rec->minor);
	switch (kind) {
	case OP_OPEN:
		snprintf(buf, size, "f%u = open(slot%u, O_RDWR)", op->file,
			 FUZZ_MINOR_BASE + op->minor);
		break;
	case OP_CLOSE:
		snprintf(buf, size, "close(f%u [%s])", op->file, sel);
		break;
	case OP_IOCTL:
	case OP_CLEAR:
		fmt_cmd(what, sizeof(what), op->cmd);
		if (op->arg == ARG_CHANNEL)
			snprintf(buf, size, "ioctl(f%u [%s], %s, c%u)",
				 op->file, sel, what, op->chan);
		else
			snprintf(buf, size, "ioctl(f%u [%s], %s, %#lx)",
				 op->file, sel, what, rec->arg);
		break;
	case OP_INFO:
		fmt_buf(what, sizeof(what), op, rec);
		snprintf(buf, size, "ioctl(f%u [%s], MSG_SLOT_CHANNEL_INFO, %s)",
			 op->file, sel, what);
		break;
	default:
		fmt_buf(what, sizeof(what), op, rec);
		snprintf(buf, size, "%s(f%u [%s], %s, %d)",
			 kind == OP_WRITE ? "write" : "read", op->file, sel,
			 what, rec->len);
		break;
	}
}

static void fmt_op(char *buf, size_t size, const struct op *op,
		   const struct op_rec *rec)
{
	char call[128];

	if (op->kind != OP_FORK) {
		fmt_call(buf, size, op, op->kind, rec);
		return;
	}
	fmt_call(call, sizeof(call), op, op->child, rec);
	snprintf(buf, size, "fork, in the child: %s", call);
}

static void log_divergence(struct __test_metadata *_metadata,
			   const struct op *op, const struct op_rec *rec,
			   const char *prefix)
{
	char desc[192], want[48], got[48];

	fmt_op(desc, sizeof(desc), op, rec);
	fmt_outcome(want, sizeof(want), &rec->want);
	fmt_outcome(got, sizeof(got), &rec->got);
	if (op->kind == OP_OPEN || op->kind == OP_CLOSE)
		snprintf(want, sizeof(want), op->kind == OP_OPEN ? "fd" : "0");
	TH_LOG("%s%s: expected %s, got %s%s%s", prefix, desc, want, got,
	       rec->why[0] ? ": " : "", rec->why);
}

static void log_trace(struct __test_metadata *_metadata,
		      const struct seq *sq, const struct model *m,
		      const struct op_rec *recs, int div)
{
	bool minors[FUZZ_MINORS] = { false }, chans[FUZZ_CHANNELS] = { false };
	char desc[192], res[48];
	const struct op *op;
	unsigned int mi, c;
	size_t used = 0;
	int i;

	for (c = 0; c < FUZZ_CHANNELS; c++)
		used += snprintf(desc + used, sizeof(desc) - used, " c%u=%u",
				 c, m->ids[c]);
	TH_LOG("  channel ids:%s", desc);
	/* What the channels the trace can reach held before it started. */
	for (i = 0; i <= div; i++) {
		op = &sq->ops[i];
		if (op->kind == OP_OPEN)
			minors[op->minor] = true;
		else if (op->kind == OP_IOCTL ||
			 (op->kind == OP_FORK && op->child == OP_IOCTL))
			chans[op->chan] |= op->arg == ARG_CHANNEL;
	}
	for (mi = 0; mi < FUZZ_MINORS; mi++) {
		if (minors[mi])
			TH_LOG("  slot%u had its write %llu last, at the start",
			       FUZZ_MINOR_BASE + mi,
			       (unsigned long long)m->initial_stamp[mi]);
		for (c = 0; c < FUZZ_CHANNELS; c++)
			if (minors[mi] && chans[c])
				TH_LOG("  slot%u/c%u held %u bytes, seq %llu, at the start",
				       FUZZ_MINOR_BASE + mi, c,
				       m->initial_len[mi][c],
				       (unsigned long long)
				       m->initial_seq[mi][c]);
	}
	for (i = 0; i < div; i++) {
		fmt_op(desc, sizeof(desc), &sq->ops[i], &recs[i]);
		if (!recs[i].done) {
			TH_LOG("  %3d: %s: skipped", i, desc);
			continue;
		}
		fmt_outcome(res, sizeof(res), &recs[i].got);
		TH_LOG("  %3d: %s = %s", i, desc, res);
	}
	snprintf(desc, sizeof(desc), "  %3d: ", div);
	log_divergence(_metadata, &sq->ops[div], &recs[div], desc);
}

/* @sq without the @len ops at @start, into @out. */
static void cut(struct seq *out, const struct seq *sq, unsigned int start,
		unsigned int len)
{
	memcpy(out->edge_id, sq->edge_id, sizeof(out->edge_id));
	memcpy(out->ops, sq->ops, start * sizeof(sq->ops[0]));
	memcpy(out->ops + start, sq->ops + start + len,
	       (sq->nr_ops - start - len) * sizeof(sq->ops[0]));
	out->nr_ops = sq->nr_ops - len;
}

/* What shrinking one sequence works with. */
struct shrinker {
	struct fuzz *fz;
	uint32_t index;		/* of the sequence */
	unsigned int attempt;	/* replays so far, and the ids of the next */
};

/*
 * Replay trial_seq on fresh ids. If it still diverges, it becomes the
 * best so far: shrink_seq, cut after its divergence, since what follows
 * cannot matter, with its run in best_model and best_recs.
 */
static bool still_diverges(struct shrinker *sh)
{
	int div;

	if (sh->attempt > MAX_REPLAYS || sh->fz->prologue_failed)
		return false;
	div = run_seq(sh->fz, &trial_seq, sh->index, sh->attempt++,
		      &cur_model, cur_recs);
	if (div == NO_DIVERGENCE || sh->fz->prologue_failed)
		return false;
	shrink_seq = trial_seq;
	shrink_seq.nr_ops = div + 1;
	best_model = cur_model;
	memcpy(best_recs, cur_recs, sizeof(best_recs));
	return true;
}

/*
 * Delete ever smaller blocks of ops while the rest still diverges, down to
 * single ops, until a whole pass deletes none.
 */
static void delete_ops(struct shrinker *sh)
{
	unsigned int chunk, i;
	bool changed = false;

	for (chunk = shrink_seq.nr_ops / 2; chunk; chunk /= 2) {
		/*
		 * The divergent op, the last, stays. Past MAX_REPLAYS nothing
		 * diverges any more, so the loops run out.
		 */
		for (i = 0; i + chunk < shrink_seq.nr_ops;) {
			cut(&trial_seq, &shrink_seq, i, chunk);
			if (still_diverges(sh))
				changed = true;
			else
				i += chunk;
		}
		if (chunk == 1 && changed && sh->attempt <= MAX_REPLAYS)
			chunk = 2;
		changed = false;
	}
}

/*
 * Move one op to another file if that still diverges: a trace that needs
 * one file less then loses its open and ioctl too. Returns true if one
 * moved.
 */
static bool merge_files(struct shrinker *sh)
{
	unsigned int i, f;

	for (i = 0; i < shrink_seq.nr_ops; i++) {
		if (shrink_seq.ops[i].kind == OP_OPEN)
			continue;
		for (f = 0; f < FUZZ_FILES; f++) {
			if (f == shrink_seq.ops[i].file)
				continue;
			trial_seq = shrink_seq;
			trial_seq.ops[i].file = f;
			if (still_diverges(sh))
				return true;
		}
	}
	return false;
}

/*
 * Shrink @sq, which diverged, to a sequence from which no op can be
 * deleted and no op moved to another file without losing the divergence.
 * Every replay uses fresh channel ids, so that the state earlier attempts
 * left in the driver cannot leak in. Leaves the result in shrink_seq and
 * its run in best_recs and best_model. Returns its divergent op, or
 * NO_DIVERGENCE if the divergence does not come back on fresh ids.
 */
static int shrink(struct fuzz *fz, const struct seq *sq, uint32_t index,
		  unsigned int *replays)
{
	struct shrinker sh = { .fz = fz, .index = index, .attempt = 1 };

	trial_seq = *sq;
	if (!still_diverges(&sh)) {
		*replays = sh.attempt - 1;
		return NO_DIVERGENCE;
	}
	do
		delete_ops(&sh);
	while (merge_files(&sh));
	*replays = sh.attempt - 1;
	return shrink_seq.nr_ops - 1;
}

static void report(struct __test_metadata *_metadata, struct fuzz *fz,
		   const struct seq *sq, uint32_t index, int div)
{
	unsigned int replays = 0;
	char prefix[96];
	int best;

	snprintf(prefix, sizeof(prefix),
		 "DIVERGENCE: seed %u, sequence %u, op %d: ", fz->seed, index,
		 div);
	log_divergence(_metadata, &sq->ops[div], &cur_recs[div], prefix);

	fz->counting = false;
	best = shrink(fz, sq, index, &replays);
	if (fz->prologue_failed) {
		TH_LOG("shrinking stopped, prologue: %s", fz->prologue_why);
		return;
	}
	if (best == NO_DIVERGENCE) {
		TH_LOG("gone on fresh channel ids; the trace as run:");
		log_trace(_metadata, sq, &cur_model, cur_recs, div);
	} else {
		TH_LOG("minimal trace, %d ops, found in %u replays:",
		       best + 1, replays);
		log_trace(_metadata, &shrink_seq, &best_model, best_recs,
			  best);
	}
	TH_LOG("replay with MSG_SLOT_SEED=%u MSG_SLOT_FUZZ_SEQ=%u", fz->seed,
	       index);
}

static void log_stats(struct __test_metadata *_metadata,
		      const struct fuzz *fz, double seconds)
{
	unsigned long totals[NR_RESULTS] = { 0 }, n;
	char line[256];
	unsigned int k, r;
	size_t used;

	TH_LOG("%lu ops in %lu sequences, %.1f s, %.2f us/op", fz->ops,
	       fz->sequences, seconds,
	       fz->ops ? seconds * 1e6 / fz->ops : 0.0);
	TH_LOG("%lu prologue reads, %lu channels created, %lu seqs checked",
	       fz->probes, fz->new_channels, fz->info_checks);
	for (k = 0; k < NR_OP_KINDS; k++) {
		used = 0;
		n = 0;
		line[0] = '\0';
		for (r = 0; r < NR_RESULTS; r++) {
			n += fz->counts[k][r];
			totals[r] += fz->counts[k][r];
			if (fz->counts[k][r] && used < sizeof(line))
				used += snprintf(line + used,
						 sizeof(line) - used, " %s %lu",
						 results[r].name,
						 fz->counts[k][r]);
		}
		TH_LOG("%-5s %8lu:%s", op_names[k], n, line);
	}
	used = 0;
	line[0] = '\0';
	for (r = 0; r < NR_RESULTS; r++)
		if (used < sizeof(line))
			used += snprintf(line + used, sizeof(line) - used,
					 " %s %lu", results[r].name, totals[r]);
	TH_LOG("all   results:%s", line);
	used = 0;
	n = 0;
	for (r = 0; r < NR_POLL_STATES; r++) {
		n += fz->polls[r];
		if (used < sizeof(line))
			used += snprintf(line + used, sizeof(line) - used,
					 "%s %s %lu", r ? "," : "",
					 poll_names[r], fz->polls[r]);
	}
	TH_LOG("poll  %8lu files:%s", n, line);
}

/* ---- The test -------------------------------------------------------- */

FIXTURE(fuzz) {
	struct msg_slot_env env;
};

FIXTURE_SETUP(fuzz)
{
	msg_slot_env_setup(_metadata, &self->env);
}

/* In the parent, so the nodes go away even if the test crashes. */
FIXTURE_TEARDOWN_PARENT(fuzz)
{
	msg_slot_env_cleanup(&self->env);
}

/*
 * Keep the test on one CPU: a forked child then runs here as soon as the
 * parent waits for it, rather than on another CPU that must be woken up.
 * That halves the cost of a fork in an emulated VM; nothing else depends
 * on it, so a failure is no reason to stop.
 */
static void stay_on_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void fuzz_start(struct __test_metadata *_metadata, struct fuzz *fz,
		       const struct msg_slot_env *env, uint32_t seed)
{
	unsigned int mi;

	memset(fz, 0, sizeof(*fz));
	fz->env = env;
	fz->seed = seed;
	fz->counting = true;
	stay_on_this_cpu();
	for (mi = 0; mi < FUZZ_MINORS; mi++)
		fz->probe_fd[mi] = -1;
	for (mi = 0; mi < FUZZ_MINORS; mi++) {
		fz->probe_fd[mi] = msg_slot_open(env, FUZZ_MINOR_BASE + mi,
						 O_RDWR);
		ASSERT_LE(0, fz->probe_fd[mi])
			TH_LOG("open slot%u: %s", FUZZ_MINOR_BASE + mi,
			       strerror(errno));
	}

	fz->page = sysconf(_SC_PAGESIZE);
	ASSERT_LE(EDGE_AREA + MSG_MAX, fz->page);
	/* The inaccessible page stays mapped, so nothing can move in. */
	fz->edge_map = mmap(NULL, 2 * fz->page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz->edge_map);
	fz->edge_end = fz->edge_map + fz->page;
	ASSERT_EQ(0, mprotect(fz->edge_end, fz->page, PROT_NONE));

	fz->child = mmap(NULL, sizeof(*fz->child), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fz->child);
}

static void fuzz_stop(struct fuzz *fz)
{
	unsigned int mi;

	for (mi = 0; mi < FUZZ_MINORS; mi++)
		if (fz->probe_fd[mi] >= 0)
			close(fz->probe_fd[mi]);
	munmap(fz->edge_map, 2 * fz->page);
	munmap(fz->child, sizeof(*fz->child));
}

/* Outcomes a long run should reach often, but did not reach at all. */
static unsigned int missed_outcomes(struct __test_metadata *_metadata,
				    const struct fuzz *fz)
{
	unsigned int k, r, missed = 0;

	for (k = 0; k < NR_OP_KINDS; k++) {
		for (r = 0; r < NR_RESULTS; r++) {
			if (!(must_reach[k] & RES_BIT(r)) || fz->counts[k][r])
				continue;
			TH_LOG("no %s ended in %s", op_names[k],
			       results[r].name);
			missed++;
		}
	}
	for (r = 0; r < NR_POLL_STATES; r++) {
		if (fz->polls[r])
			continue;
		TH_LOG("no file polled as %s", poll_names[r]);
		missed++;
	}
	return missed;
}

TEST_F_TIMEOUT(fuzz, differential, 600)
{
	struct fuzz *fz = &fuzz_ctx;
	unsigned long ops, only;
	struct timespec t0, t1;
	unsigned int divergences = 0;
	uint32_t seed, index;
	int div;

	ops = env_ulong(_metadata, "MSG_SLOT_FUZZ_OPS", DEFAULT_OPS);
	seed = env_ulong(_metadata, "MSG_SLOT_SEED",
			 (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16);
	only = env_ulong(_metadata, "MSG_SLOT_FUZZ_SEQ", ALL_SEQUENCES);
	if (only != ALL_SEQUENCES)
		TH_LOG("seed %u (replay with MSG_SLOT_SEED=%u), sequence %lu only",
		       seed, seed, only);
	else
		TH_LOG("seed %u (replay with MSG_SLOT_SEED=%u), %lu ops",
		       seed, seed, ops);

	fuzz_start(_metadata, fz, &self->env, seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	index = only == ALL_SEQUENCES ? 0 : only;
	for (;;) {
		gen_seq(&cur_seq, seed, index, only == ALL_SEQUENCES ?
			ops - fz->ops : SEQ_MAX_OPS);
		div = run_seq(fz, &cur_seq, index, 0, &cur_model, cur_recs);
		/* Count the ops that ran: a divergence ends the sequence. */
		fz->ops += div == NO_DIVERGENCE ? cur_seq.nr_ops :
			   (unsigned int)div + 1;
		fz->sequences++;
		if (div != NO_DIVERGENCE || fz->prologue_failed ||
		    only != ALL_SEQUENCES || fz->ops >= ops)
			break;
		index++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (fz->prologue_failed) {
		TH_LOG("seed %u, sequence %u: prologue: %s", seed, index,
		       fz->prologue_why);
	} else if (div != NO_DIVERGENCE) {
		divergences++;
		report(_metadata, fz, &cur_seq, index, div);
	}

	log_stats(_metadata, fz, (t1.tv_sec - t0.tv_sec) +
		  (t1.tv_nsec - t0.tv_nsec) / 1e9);
	TH_LOG("divergences=%u", divergences);
	fuzz_stop(fz);

	EXPECT_FALSE(fz->prologue_failed);
	EXPECT_EQ(0U, divergences);
	if (only == ALL_SEQUENCES && ops >= COVERAGE_MIN_OPS && !divergences)
		EXPECT_EQ(0U, missed_outcomes(_metadata, fz));
}

TEST_HARNESS_MAIN
