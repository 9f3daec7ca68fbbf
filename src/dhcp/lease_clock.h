/* The clock of lease times: the wall clock read once, then moved by the
 * monotonic clock. When the system clock is set while labboot runs (NTP's
 * first sync on a machine whose RTC was off, an operator's `date -s`), a
 * lease granted for an hour still has the rest of its hour: the jump is
 * found by comparing the two clocks, and the caller moves its absolute
 * times (lease expiries, stored as unix seconds) by it. Pure. */
#pragma once
#include <stdint.h>

/* Smaller differences are the two clocks drifting, or NTP slewing. */
#define LEASE_CLOCK_JUMP_MS 10000

struct lease_clock {
	uint64_t wall0_ms, mono0_ms;
};

void lease_clock_init(struct lease_clock *c, uint64_t wall_ms, uint64_t mono_ms);
/* Unix time in milliseconds by the lease clock. */
uint64_t lease_clock_now_ms(const struct lease_clock *c, uint64_t mono_ms);
/* How far the wall clock jumped since the clock was anchored, in seconds
 * (positive: forward), or 0 within LEASE_CLOCK_JUMP_MS; after a jump the
 * clock follows the wall clock again. */
int64_t lease_clock_jump_s(struct lease_clock *c, uint64_t wall_ms, uint64_t mono_ms);
