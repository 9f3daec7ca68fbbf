/* The lease clock: follows the monotonic clock from its anchor, ignores
 * drift under LEASE_CLOCK_JUMP_MS, reports a jump of the wall clock either
 * way in seconds and follows the wall clock after it. */
#include "dhcp/lease_clock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define WALL 1765000000000ULL /* unix ms */
#define MONO 5000ULL

static void follows_monotonic(void **state)
{
	struct lease_clock c;

	(void)state;
	lease_clock_init(&c, WALL, MONO);
	assert_int_equal(lease_clock_now_ms(&c, MONO), WALL);
	assert_int_equal(lease_clock_now_ms(&c, MONO + 3600000), WALL + 3600000);
	/* the wall clock agrees, or drifts a little: no jump */
	assert_int_equal(lease_clock_jump_s(&c, WALL + 3600000, MONO + 3600000), 0);
	assert_int_equal(lease_clock_jump_s(&c, WALL + 3609999, MONO + 3600000), 0);
	assert_int_equal(lease_clock_jump_s(&c, WALL + 3590001, MONO + 3600000), 0);
	assert_int_equal(lease_clock_now_ms(&c, MONO + 3600000), WALL + 3600000);
}

static void jump_forward_then_back(void **state)
{
	struct lease_clock c;

	(void)state;
	lease_clock_init(&c, WALL, MONO);
	/* set two days ahead after a minute */
	assert_int_equal(lease_clock_jump_s(&c, WALL + 60000 + 172800000, MONO + 60000), 172800);
	assert_int_equal(lease_clock_now_ms(&c, MONO + 60000), WALL + 60000 + 172800000);
	/* reported once */
	assert_int_equal(lease_clock_jump_s(&c, WALL + 61000 + 172800000, MONO + 61000), 0);
	/* and one day back */
	assert_int_equal(lease_clock_jump_s(&c, WALL + 62000 + 86400000, MONO + 62000), -86400);
	assert_int_equal(lease_clock_now_ms(&c, MONO + 63000), WALL + 63000 + 86400000);
}

static void edge_of_tolerance(void **state)
{
	struct lease_clock c;

	(void)state;
	lease_clock_init(&c, WALL, MONO);
	assert_int_equal(lease_clock_jump_s(&c, WALL + LEASE_CLOCK_JUMP_MS, MONO), LEASE_CLOCK_JUMP_MS / 1000);
	lease_clock_init(&c, WALL, MONO);
	assert_int_equal(lease_clock_jump_s(&c, WALL - LEASE_CLOCK_JUMP_MS, MONO), -(LEASE_CLOCK_JUMP_MS / 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(follows_monotonic),
		cmocka_unit_test(jump_forward_then_back),
		cmocka_unit_test(edge_of_tolerance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
