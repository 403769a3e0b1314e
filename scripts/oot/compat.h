/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For out-of-tree builds only: what the driver takes from mainline that
 * the distribution kernels it is also built for lack. scripts/build-oot.sh
 * (so `make`) and dkms.conf put it ahead of every source file with
 * KCFLAGS=--include=...; a kernel tree with the series applied never sees
 * it, and the 6.12 series carries the older spelling instead
 * (wiring/6.12/README).
 */
#include <linux/slab.h>

/* Newer than 6.12, which spells it kzalloc(sizeof(obj), gfp). */
#ifndef kzalloc_obj
#define kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif
