/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For out-of-tree builds only: what the driver takes from mainline that
 * the distribution kernels it is also built for lack. scripts/build-oot.sh
 * (so `make`) and dkms.conf put it ahead of every source file with
 * KCFLAGS=--include=...; a kernel tree with the series applied never sees
 * it, and the 6.12 series carries the older spelling instead
 * (wiring/6.12/README).
 */
#include <linux/cleanup.h>
#include <linux/mutex.h>
#include <linux/slab.h>

/* Newer than 6.12, which spells it kzalloc(sizeof(obj), gfp). */
#ifndef kzalloc_obj
#define kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif

/*
 * Newer than 6.12: ACQUIRE() and the killable mutex guard. This stand-in
 * knows only the killable and interruptible mutex guards, whose one
 * failure is -EINTR.
 */
#ifndef ACQUIRE
DEFINE_GUARD_COND(mutex, _kill, mutex_lock_killable(_T) == 0)
#define ACQUIRE(_name, _var)		CLASS(_name, _var)
#define ACQUIRE_ERR(_name, _var)	(__guard_ptr(_name)(_var) ? 0 : -EINTR)
#endif
