#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ndp/ndp_wire.h"

static void parses_solicit_with_source_mac(void **state)
{
	const uint8_t rs[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x52, 0x54, 0, 0, 0, 1 };
	struct ndp_solicit s;

	assert_int_equal(ndp_solicit_parse(rs, sizeof(rs), &s), 0);
	assert_true(s.has_source_mac);
	assert_memory_equal(s.source_mac, "\x52\x54\x00\x00\x00\x01", 6);
}

static void rejects_malformed(void **state)
{
	const uint8_t zero_len_opt[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t past_end[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0x52, 0x54, 0, 0, 0, 1 };
	const uint8_t wrong_type[] = { 134, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t wrong_code[] = { 133, 1, 0, 0, 0, 0, 0, 0 };
	const uint8_t odd_tail[] = { 133, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct ndp_solicit s;

	assert_int_equal(ndp_solicit_parse(zero_len_opt, sizeof(zero_len_opt), &s), -EBADMSG);
	assert_int_equal(ndp_solicit_parse(past_end, sizeof(past_end), &s), -EBADMSG);
	assert_int_equal(ndp_solicit_parse(wrong_type, sizeof(wrong_type), &s), -EBADMSG);
	assert_int_equal(ndp_solicit_parse(wrong_code, sizeof(wrong_code), &s), -EBADMSG);
	assert_int_equal(ndp_solicit_parse(odd_tail, sizeof(odd_tail), &s), -EBADMSG);
	assert_int_equal(ndp_solicit_parse(wrong_type, 4, &s), -EBADMSG);
}

static void advert_says_no_router(void **state)
{
	uint8_t ra[NDP_RA_MAX + 4];
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };

	assert_int_equal(ndp_advert_build(ra, 8, mac), -ENOSPC);
	assert_int_equal(ndp_advert_build(ra, sizeof(ra), mac), NDP_RA_MAX);
	assert_int_equal(ra[0], 134);
	assert_int_equal(ra[5], 0);               /* M and O flags clear: no DHCPv6 */
	assert_int_equal(ra[6] | ra[7], 0);       /* router lifetime 0 */
	assert_int_equal(ra[16], 1);
	assert_int_equal(ra[17], 1);
	assert_memory_equal(ra + 18, mac, 6);
}

static void mac_from_link_local(void **state)
{
	const uint8_t eui[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0x20, 0, 1 };
	const uint8_t privacy[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
	uint8_t mac[6];

	assert_int_equal(ndp_mac_from_eui64(eui, mac), 0);
	assert_memory_equal(mac, "\x52\x54\x00\x20\x00\x01", 6);
	assert_int_equal(ndp_mac_from_eui64(privacy, mac), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_solicit_with_source_mac),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(advert_says_no_router),
		cmocka_unit_test(mac_from_link_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
