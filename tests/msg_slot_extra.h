/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the heavy message_slot tests that the series' selftests do
 * not need: their tunables from the environment, and ids spread over the
 * 32-bit space. Include after msg_slot_common.h.
 */
#ifndef MSG_SLOT_EXTRA_H
#define MSG_SLOT_EXTRA_H

/*
 * Parse the environment variable @name as an unsigned number into *@val,
 * or leave @def there when it is unset or empty. Returns false when it
 * is not a number.
 */
static inline bool msg_slot_env_ulong(const char *name, unsigned long def,
				      unsigned long *val)
{
	const char *s = getenv(name);
	char *end;

	*val = def;
	if (!s || !*s)
		return true;
	errno = 0;
	*val = strtoul(s, &end, 0);
	return !errno && *end == '\0';
}

/*
 * A bijection of the 32-bit integers that mixes well: neighbouring inputs
 * give unrelated outputs, and distinct inputs distinct outputs.
 */
static inline uint32_t msg_slot_mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

#endif /* MSG_SLOT_EXTRA_H */
