/* Response rate limiting: the burst, the refill, the slip, addresses kept
 * apart, and a flood from many addresses that must not evict a busy one's
 * limit for good nor grow anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dns/dns_rrl.h"

static struct dns_rrl *rrl_new(void)
{
	struct dns_rrl *r = malloc(sizeof(*r));

	assert_non_null(r);
	dns_rrl_init(r, 0x5eed);
	return r;
}

/* How many of n queries at now_ms pass; slips and drops counted too. */
static unsigned run(struct dns_rrl *r, uint32_t addr, uint32_t rate, uint64_t now_ms, unsigned n, unsigned *slips,
		    unsigned *drops)
{
	unsigned pass = 0;

	for (unsigned i = 0; i < n; i++) {
		enum dns_rrl_verdict v = dns_rrl_check(r, addr, rate, now_ms);
		pass += v == DNS_RRL_PASS;
		if (slips)
			*slips += v == DNS_RRL_SLIP_TC;
		if (drops)
			*drops += v == DNS_RRL_DROP;
	}
	return pass;
}

static void test_burst_and_refill(void **state)
{
	struct dns_rrl *r = rrl_new();
	unsigned slips = 0, drops = 0;

	(void)state;
	/* a burst of twice the rate, then nothing until time passes */
	assert_int_equal(run(r, 0x01020304, 10, 1000, 100, &slips, &drops), 20);
	assert_int_equal(slips + drops, 80);
	assert_int_equal(slips, 40);                 /* every 2nd one over the rate */
	assert_int_equal(run(r, 0x01020304, 10, 1050, 5, NULL, NULL), 0); /* 50 ms: half a query */
	assert_int_equal(run(r, 0x01020304, 10, 1100, 5, NULL, NULL), 1); /* 100 ms: one */
	assert_int_equal(run(r, 0x01020304, 10, 1600, 10, NULL, NULL), 5);
	/* idle long: full again, never more */
	assert_int_equal(run(r, 0x01020304, 10, 1000000, 100, NULL, NULL), 20);
	free(r);
}

static void test_no_limit_and_clock(void **state)
{
	struct dns_rrl *r = rrl_new();

	(void)state;
	assert_int_equal(run(r, 1, 0, 5, 10000, NULL, NULL), 10000);
	/* time 0 and a clock that goes back: no refill, no crash */
	assert_int_equal(run(r, 2, 1, 0, 5, NULL, NULL), 2);
	assert_int_equal(run(r, 2, 1, 0, 5, NULL, NULL), 0);
	/* the largest rate: no overflow */
	assert_int_equal(run(r, 3, 1000000, 10, 100, NULL, NULL), 100);
	assert_int_equal(run(r, 3, 1000000, UINT64_MAX, 100, NULL, NULL), 100);
	free(r);
}

static void test_addresses_apart(void **state)
{
	struct dns_rrl *r = rrl_new();

	(void)state;
	assert_int_equal(run(r, 0x0a000001, 5, 100, 50, NULL, NULL), 10);
	assert_int_equal(run(r, 0x0a000002, 5, 100, 50, NULL, NULL), 10);
	assert_int_equal(run(r, 0x0a000001, 5, 100, 1, NULL, NULL), 0);
	free(r);
}

/* 100 000 forged addresses, each once: the table stays its size, every one
 * of them passes (each is under its rate), and a flooding address that keeps
 * asking is still limited among them. */
static void test_many_addresses(void **state)
{
	struct dns_rrl *r = rrl_new();
	unsigned pass = 0, hog = 0;

	(void)state;
	for (uint32_t i = 0; i < 100000; i++) { /* 100 per ms: 1 s in all */
		pass += dns_rrl_check(r, 0xc6120000u + i, 10, 1000 + i / 100) == DNS_RRL_PASS;
		hog += dns_rrl_check(r, 0xc6300042u, 10, 1000 + i / 100) == DNS_RRL_PASS;
	}
	assert_int_equal(pass, 100000);
	assert_in_range(hog, 20 + 9, 20 + 11);        /* its burst and 1 s of its rate: never evicted */
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_no_limit_and_clock),
		cmocka_unit_test(test_addresses_apart),
		cmocka_unit_test(test_many_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
