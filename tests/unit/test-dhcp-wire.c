/* DHCP codec: real-shaped packets and hostile ones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <arpa/inet.h>

#include "dhcp/dhcp_wire.h"
#include "dhcp_packet.h"

static const uint8_t MAC[6] = { 0x52, 0x54, 0, 0, 0, 1 };
static struct dhcp_msg msg;

static void parses_discover(void **state)
{
	struct pkt p;
	uint8_t prl[] = { 1, 3, 6, 12, 15 };
	size_t len;

	pkt_init(&p, 1, MAC, 0x11223344);
	pkt_opt(&p, 55, prl, sizeof(prl));
	pkt_opt(&p, 60, "PXEClient:Arch:00000", 20);
	pkt_opt(&p, 93, "\x00\x07", 2);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), 0);
	assert_int_equal(msg.type, DHCP_DISCOVER);
	assert_int_equal(msg.xid, 0x11223344);
	assert_memory_equal(msg.chaddr, MAC, 6);
	assert_non_null(dhcp_msg_option(&msg, 55, &len));
	assert_int_equal(len, 5);
	assert_true(dhcp_msg_option_has_prefix(&msg, 60, "PXEClient"));
	assert_false(dhcp_msg_option_has_prefix(&msg, 60, "HTTPClient"));
	assert_null(dhcp_msg_option(&msg, 50, &len));
}

static void rejects_bad_headers(void **state)
{
	struct pkt p;

	pkt_init(&p, 1, MAC, 1);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, 239, &msg), -EBADMSG);      /* short */
	p.b[236] = 0;
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);    /* cookie */
	pkt_init(&p, 1, MAC, 1);
	pkt_end(&p);
	p.b[2] = 16;
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);    /* hlen */
	p.b[2] = 6;
	p.b[1] = 6;
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);    /* htype */
	p.b[1] = 1;
	p.b[0] = 3;
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);    /* op */
	assert_int_equal(dhcp_msg_parse(p.b, 1501, &msg), -EBADMSG);     /* oversized */
}

static void rejects_option_past_end(void **state)
{
	struct pkt p;

	pkt_init(&p, 1, MAC, 1);
	p.b[p.len++] = 12;
	p.b[p.len++] = 200;  /* claims 200 bytes, 3 follow */
	p.b[p.len++] = 'a'; p.b[p.len++] = 'b'; p.b[p.len++] = 'c';
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);
	pkt_init(&p, 1, MAC, 1);
	p.b[p.len++] = 12;   /* code without length at the very end */
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);
}

static void bad_message_type_length(void **state)
{
	struct pkt p;

	pkt_init(&p, 0, MAC, 1);
	pkt_opt(&p, 53, "\x01\x01", 2);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);
}

/* RFC 3396: instances of one code concatenate, even when interleaved. */
static void concatenates_long_options(void **state)
{
	struct pkt p;
	const uint8_t *v;
	size_t len;

	pkt_init(&p, 1, MAC, 1);
	pkt_opt(&p, 77, "abc", 3);
	pkt_opt(&p, 12, "host", 4);
	pkt_opt(&p, 77, "def", 3);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), 0);
	v = dhcp_msg_option(&msg, 77, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(v, "abcdef", 6);
	v = dhcp_msg_option(&msg, 12, &len);
	assert_memory_equal(v, "host", 4);
}

/* RFC 2131 4.1: option 52 moves options into file and sname; an option 52
 * found there must not be honoured again (no loops). */
static void reads_overload(void **state)
{
	struct pkt p;
	const uint8_t *v;
	size_t len;

	pkt_init(&p, 1, MAC, 1);
	pkt_opt(&p, 52, "\x03", 1);
	pkt_end(&p);
	/* file (offset 108): hostname then 52=3 again then END */
	memcpy(p.b + 108, "\x0c\x03" "abc" "\x34\x01\x03" "\xff", 9);
	/* sname (offset 44): domain */
	memcpy(p.b + 44, "\x0f\x03" "lab" "\xff", 6);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), 0);
	v = dhcp_msg_option(&msg, 12, &len);
	assert_non_null(v);
	assert_memory_equal(v, "abc", 3);
	v = dhcp_msg_option(&msg, 15, &len);
	assert_non_null(v);
	assert_memory_equal(v, "lab", 3);
	assert_int_equal(msg.file[0], 0);
	/* a file area whose option runs past its 128 bytes is malformed */
	memset(p.b + 108, 0, 128);
	p.b[108 + 126] = 12;
	p.b[108 + 127] = 10;
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), -EBADMSG);
}

static void fixed_size_accessors(void **state)
{
	struct pkt p;
	struct in_addr a;
	uint16_t u16;

	pkt_init(&p, 3, MAC, 1);
	pkt_opt(&p, 50, "\xc6\x12\x00\x0c", 4);
	pkt_opt(&p, 57, "\x05\xdc", 2);
	pkt_opt(&p, 54, "\xc6\x12", 2);      /* wrong size */
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &msg), 0);
	assert_int_equal(dhcp_msg_option_addr(&msg, 50, &a), 0);
	assert_int_equal(ntohl(a.s_addr), 0xc612000c);
	assert_int_equal(dhcp_msg_option_u16(&msg, 57, &u16), 0);
	assert_int_equal(u16, 1500);
	assert_int_equal(dhcp_msg_option_addr(&msg, 54, &a), -EBADMSG);
	assert_int_equal(dhcp_msg_option_addr(&msg, 3, &a), -ENOENT);
}

static void builder_round_trip_and_splits(void **state)
{
	struct pkt p;
	uint8_t buf[1472], big[600];
	struct dhcp_builder b;
	static struct dhcp_msg req, back;
	const uint8_t *v;
	size_t len;
	int n;

	pkt_init(&p, 1, MAC, 0xabcdef01);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &req), 0);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &req, DHCP_OFFER), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(dhcp_build_option(&b, 43, big, sizeof(big)), 0);  /* 3 instances */
	assert_int_equal(dhcp_build_set_file(&b, "undionly.kpxe"), 0);
	n = dhcp_build_finish(&b);
	assert_true(n >= 300);
	buf[0] = 1; /* parse it as a request to reuse the parser */
	assert_int_equal(dhcp_msg_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.type, DHCP_OFFER);
	assert_int_equal(back.xid, 0xabcdef01);
	v = dhcp_msg_option(&back, 43, &len);
	assert_int_equal(len, 600);
	assert_memory_equal(v, big, 600);
	assert_string_equal((char *)back.file, "undionly.kpxe");
}

static void builder_respects_room(void **state)
{
	struct pkt p;
	uint8_t buf[548];
	struct dhcp_builder b;
	static struct dhcp_msg req;
	uint8_t big[310] = { 0 };
	char longname[200];

	pkt_init(&p, 1, MAC, 1);
	pkt_end(&p);
	assert_int_equal(dhcp_msg_parse(p.b, p.len, &req), 0);
	assert_int_equal(dhcp_build_init(&b, buf, sizeof(buf), &req, DHCP_ACK), 0);
	assert_int_equal(dhcp_build_option(&b, 43, big, 310), -ENOSPC);   /* 314 > 548-243-1 */
	assert_int_equal(dhcp_build_option(&b, 43, big, 200), 0);
	assert_int_equal(dhcp_build_option(&b, 44, big, 200), -ENOSPC);
	assert_int_equal(dhcp_build_option(&b, 0, big, 1), -ENOSPC);      /* PAD is no option */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(dhcp_build_set_file(&b, longname), -ENAMETOOLONG);
	assert_true(dhcp_build_finish(&b) <= (int)sizeof(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_discover),
		cmocka_unit_test(rejects_bad_headers),
		cmocka_unit_test(rejects_option_past_end),
		cmocka_unit_test(bad_message_type_length),
		cmocka_unit_test(concatenates_long_options),
		cmocka_unit_test(reads_overload),
		cmocka_unit_test(fixed_size_accessors),
		cmocka_unit_test(builder_round_trip_and_splits),
		cmocka_unit_test(builder_respects_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
