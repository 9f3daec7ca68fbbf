/* See lease_clock.h. */
#include "dhcp/lease_clock.h"

void lease_clock_init(struct lease_clock *c, uint64_t wall_ms, uint64_t mono_ms)
{
	c->wall0_ms = wall_ms;
	c->mono0_ms = mono_ms;
}

uint64_t lease_clock_now_ms(const struct lease_clock *c, uint64_t mono_ms)
{
	return c->wall0_ms + (mono_ms - c->mono0_ms);
}

int64_t lease_clock_jump_s(struct lease_clock *c, uint64_t wall_ms, uint64_t mono_ms)
{
	int64_t diff = (int64_t)(wall_ms - lease_clock_now_ms(c, mono_ms));

	if (diff > -LEASE_CLOCK_JUMP_MS && diff < LEASE_CLOCK_JUMP_MS)
		return 0;
	lease_clock_init(c, wall_ms, mono_ms);
	/* whole seconds, rounded towards zero: expiries are in seconds */
	return diff / 1000;
}
