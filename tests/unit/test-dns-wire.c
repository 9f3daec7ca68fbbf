/* DNS codec, relay rewriting and cache: table-driven vectors with hostile
 * cases (compression loops, forward pointers, label overflow, truncation). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "dns/dns_cache.h"
#include "dns/dns_relay.h"
#include "dns/dns_wire.h"

/* ---- names ---------------------------------------------------------- */

struct name_vec {
	const char *what;
	uint8_t buf[300];
	size_t len;
	size_t off;                   /* where the name starts */
	int want;                     /* 0 or -EBADMSG */
	const char *text;             /* expected presentation form */
	size_t next;                  /* expected offset after the name */
};

static const struct name_vec name_vecs[] = {
	{ "plain", { 3, 'w', 'w', 'w', 3, 'l', 'a', 'b', 0 }, 9, 0, 0, "www.lab", 9 },
	{ "root", { 0 }, 1, 0, 0, "", 1 },
	{ "backward pointer", { 3, 'l', 'a', 'b', 0, 1, 'a', 0xc0, 0x00 }, 9, 5, 0, "a.lab", 9 },
	{ "pointer only", { 3, 'l', 'a', 'b', 0, 0xc0, 0x00 }, 7, 5, 0, "lab", 7 },
	{ "pointer to itself", { 0xc0, 0x00 }, 2, 0, -EBADMSG },
	{ "forward pointer", { 0xc0, 0x02, 1, 'a', 0 }, 5, 0, -EBADMSG },
	{ "pointer into own labels", { 1, 'a', 0xc0, 0x00 }, 4, 0, -EBADMSG },
	{ "loop a->b->a", { 1, 'x', 0xc0, 0x04, 1, 'y', 0xc0, 0x00 }, 8, 4, -EBADMSG },
	{ "pointer past end", { 0, 0xc0, 0x40 }, 3, 1, -EBADMSG },
	{ "truncated pointer", { 0, 0xc0 }, 2, 1, -EBADMSG },
	{ "truncated label", { 5, 'a', 'b' }, 3, 0, -EBADMSG },
	{ "missing root", { 1, 'a' }, 2, 0, -EBADMSG },
	{ "label 64 (extended type bits)", { 64 }, 1, 0, -EBADMSG },
	{ "label type 0x80", { 0x80, 0 }, 2, 0, -EBADMSG },
	{ "empty buffer", { 0 }, 0, 0, -EBADMSG },
	{ "escaped bytes", { 3, 'a', '.', 0xff, 0 }, 5, 0, 0, "a\\.\\255", 5 },
};

static void test_name_vectors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_vecs); i++) {
		const struct name_vec *v = &name_vecs[i];
		struct dns_name n;
		size_t off = v->off;
		char text[DNS_NAME_TEXT_MAX];
		int r = dns_name_read(v->buf, v->len, &off, &n);
		print_message("name: %s\n", v->what);
		assert_int_equal(r, v->want);
		if (r < 0) {
			assert_int_equal(off, v->off);   /* untouched on failure */
			continue;
		}
		assert_int_equal(off, v->next);
		assert_true(dns_name_to_text(&n, text, sizeof(text)) >= 0);
		assert_string_equal(text, v->text);
	}
}

static void test_name_long(void **state)
{
	uint8_t buf[600];
	size_t len = 0, off = 0;
	struct dns_name n;

	/* 4 labels of 63 = 256 bytes with the root: one too many */
	for (int l = 0; l < 4; l++) {
		buf[len++] = 63;
		memset(buf + len, 'a', 63);
		len += 63;
	}
	buf[len++] = 0;
	assert_int_equal(dns_name_read(buf, len, &off, &n), -EBADMSG);
	/* 3 x 63 + 61 + root = 255: the maximum */
	buf[3 * 64] = 61;
	buf[3 * 64 + 62] = 0;
	off = 0;
	assert_int_equal(dns_name_read(buf, 3 * 64 + 63, &off, &n), 0);
	assert_int_equal(n.len, 255);
	/* a name over 255 made of pointers to itself-grown suffixes */
	len = 0;
	buf[len++] = 63;
	memset(buf + len, 'b', 63);
	len += 63;
	buf[len++] = 0;
	for (int k = 0; k < 5; k++) {
		size_t prev = k == 0 ? 0 : len - 66;
		buf[len++] = 63;
		memset(buf + len, 'c', 63);
		len += 63;
		buf[len++] = (uint8_t)(0xc0 | prev >> 8);
		buf[len++] = (uint8_t)prev;
	}
	off = len - 66;
	assert_int_equal(dns_name_read(buf, len, &off, &n), -EBADMSG);
}

static void test_name_hop_cap(void **state)
{
	uint8_t buf[2 + 2 * 40];
	size_t len = 0, off;
	struct dns_name n;

	buf[len++] = 0;                          /* root at 0 */
	buf[len++] = 0;                          /* padding */
	for (int i = 0; i < 40; i++) {           /* each points to the one before */
		size_t target = i == 0 ? 0 : len - 2;
		buf[len++] = (uint8_t)(0xc0 | target >> 8);
		buf[len++] = (uint8_t)target;
	}
	off = 2 + 2 * (DNS_MAX_PTR_HOPS - 1);    /* exactly the cap: fine */
	assert_int_equal(dns_name_read(buf, len, &off, &n), 0);
	off = len - 2;                           /* 40 hops: refused */
	assert_int_equal(dns_name_read(buf, len, &off, &n), -EBADMSG);
}

static void test_name_text(void **state)
{
	struct dns_name a, b;
	char long_label[80];

	assert_int_equal(dns_name_from_text("Alpha.LAB.", &a), 0);
	assert_int_equal(dns_name_from_text("alpha.lab", &b), 0);
	assert_true(dns_name_equal(&a, &b));
	assert_int_equal(dns_name_labels(&a), 2);
	assert_int_equal(dns_name_from_text("a..b", &a), -EINVAL);
	assert_int_equal(dns_name_from_text(".a", &a), -EINVAL);
	memset(long_label, 'x', 64);
	long_label[64] = '\0';
	assert_int_equal(dns_name_from_text(long_label, &a), -EINVAL);
	assert_int_equal(dns_name_from_text("", &a), 0);
	assert_int_equal(a.len, 1);
}

/* ---- queries -------------------------------------------------------- */

/* id 0x1234, RD, one question www.lab A IN, optional OPT */
static size_t make_query(uint8_t *buf, uint16_t flags, uint16_t qd, bool opt)
{
	static const uint8_t q[] = { 3, 'w', 'w', 'w', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1 };
	static const uint8_t o[] = { 0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 0 };
	size_t len = DNS_HDR_LEN;
	struct dns_header h = { .id = 0x1234, .flags = flags, .qdcount = qd, .arcount = opt };

	dns_header_write(buf, &h);
	memcpy(buf + len, q, sizeof(q));
	len += sizeof(q);
	if (opt) {
		memcpy(buf + len, o, sizeof(o));
		len += sizeof(o);
	}
	return len;
}

static void test_query_parse(void **state)
{
	uint8_t buf[128];
	struct dns_query q;
	size_t len;

	len = make_query(buf, DNS_F_RD, 1, true);
	assert_int_equal(dns_query_parse(buf, len, &q), 0);
	assert_int_equal(q.hdr.id, 0x1234);
	assert_int_equal(q.q.qtype, DNS_TYPE_A);
	assert_true(q.edns.present);
	assert_int_equal(q.edns.udp_size, 4096);
	assert_true(q.edns.do_bit);
	assert_int_equal(q.q_end, DNS_HDR_LEN + 13);

	len = make_query(buf, DNS_F_RD, 1, false);
	assert_int_equal(dns_query_parse(buf, len, &q), 0);
	assert_false(q.edns.present);
	assert_int_equal(dns_reply_limit(&q, false), 512);
	assert_int_equal(dns_reply_limit(&q, true), 65535);

	/* hostile and odd ones */
	assert_int_equal(dns_query_parse(buf, 11, &q), -EBADMSG);          /* short header */
	assert_int_equal(dns_query_parse(buf, len - 1, &q), -EBADMSG);     /* cut question */
	len = make_query(buf, DNS_F_RD, 0, false);
	assert_int_equal(dns_query_parse(buf, len, &q), -EBADMSG);         /* QDCOUNT 0 */
	len = make_query(buf, DNS_F_RD, 2, false);
	assert_int_equal(dns_query_parse(buf, len, &q), -EBADMSG);         /* QDCOUNT 2 */
	len = make_query(buf, DNS_F_QR, 1, false);
	assert_int_equal(dns_query_parse(buf, len, &q), -EPROTO);          /* a response */
	len = make_query(buf, 2 << 11, 1, false);
	assert_int_equal(dns_query_parse(buf, len, &q), -ENOTSUP);         /* STATUS opcode */
	assert_int_equal(q.hdr.id, 0x1234);
	len = make_query(buf, 0, 1, true);
	buf[11] = 0;                                                     /* ARCOUNT 0 but OPT */
	assert_int_equal(dns_query_parse(buf, len, &q), 0);              /* trailing bytes ignored */
	assert_false(q.edns.present);
	len = make_query(buf, 0, 1, true);
	buf[7] = 1;                                                      /* OPT in the answer section */
	buf[11] = 0;
	assert_int_equal(dns_query_parse(buf, len, &q), -EBADMSG);
	len = make_query(buf, 0, 1, true);
	memcpy(buf + len, buf + len - 11, 11);                           /* two OPTs */
	buf[11] = 2;
	assert_int_equal(dns_query_parse(buf, len + 11, &q), -EBADMSG);
	len = make_query(buf, 0, 1, false);
	buf[11] = 0xff;                                                  /* counts beyond the data */
	assert_int_equal(dns_query_parse(buf, len, &q), -EBADMSG);
}

/* ---- builder and responses ---------------------------------------- */

static size_t build_answer(uint8_t *buf, size_t cap, bool with_opt, bool *truncated)
{
	struct dns_builder b;
	struct dns_question q = { .qtype = DNS_TYPE_A, .qclass = DNS_CLASS_IN };
	struct dns_name target, zone, ns, host;
	const uint32_t soa[5] = { 1, 2, 3, 4, 30 };
	uint8_t ip[4] = { 198, 18, 5, 10 };

	dns_name_from_text("Www.Lab", &q.name);
	dns_name_from_text("alpha.lab", &target);
	dns_name_from_text("lab", &zone);
	dns_name_from_text("ns.lab", &ns);
	dns_name_from_text("hostmaster.lab", &host);
	dns_builder_init(&b, buf, cap);
	assert_int_equal(dns_builder_header(&b), 0);
	assert_int_equal(dns_builder_question(&b, &q), 0);
	dns_builder_rr_name(&b, DNS_SEC_ANSWER, &q.name, DNS_TYPE_CNAME, 300, &target);
	dns_builder_rr_raw(&b, DNS_SEC_ANSWER, &target, DNS_TYPE_A, 100, ip, 4);
	dns_builder_rr_soa(&b, DNS_SEC_AUTHORITY, &zone, 600, &ns, &host, soa);
	if (with_opt)
		dns_builder_opt(&b, 1232, 0);
	*truncated = b.truncated;
	return dns_builder_finish(&b, 0x4321, DNS_F_QR | DNS_F_RD | DNS_F_RA);
}

static void test_builder_compression(void **state)
{
	uint8_t buf[512];
	struct dns_response_info info;
	bool trunc;
	size_t len = build_answer(buf, sizeof(buf), true, &trunc);

	assert_false(trunc);
	/* answer owner is a pointer to the question */
	assert_int_equal(buf[DNS_HDR_LEN + 9 + 4], 0xc0);
	assert_int_equal(buf[DNS_HDR_LEN + 9 + 5], DNS_HDR_LEN);
	/* CNAME target "alpha.lab": label alpha + pointer to "lab" at 16 */
	assert_int_equal(dns_response_parse(buf, len, &info), 0);
	assert_int_equal(info.hdr.ancount, 2);
	assert_int_equal(info.hdr.nscount, 1);
	assert_int_equal(info.hdr.arcount, 1);
	assert_int_equal(info.min_ttl, 100);
	assert_true(info.has_soa);
	assert_int_equal(info.soa_neg_ttl, 30);
	assert_true(info.has_opt);
	assert_true(info.opt_is_last);
	assert_int_equal(info.opt_end, len);
	assert_int_equal(len, 122);   /* compression: 12+13 + 20 + 16 + 50 + 11 */

	/* too small a buffer: RRs left out, builder consistent, flag set */
	len = build_answer(buf, 60, false, &trunc);
	assert_true(trunc);
	assert_int_equal(dns_response_parse(buf, len, &info), 0);
}

static void test_response_hostile(void **state)
{
	uint8_t buf[512];
	struct dns_response_info info;
	bool trunc;
	size_t len = build_answer(buf, sizeof(buf), false, &trunc);

	for (size_t cut = 0; cut < len; cut++)   /* every truncation fails cleanly */
		assert_int_not_equal(dns_response_parse(buf, cut, &info), 0);
	buf[len - 38 - 2] = 0xff;                /* SOA rdlen beyond the end */
	assert_int_equal(dns_response_parse(buf, len, &info), -EBADMSG);
	len = build_answer(buf, sizeof(buf), false, &trunc);
	buf[2] &= (uint8_t)~(DNS_F_QR >> 8);     /* not a response */
	assert_int_equal(dns_response_parse(buf, len, &info), -EPROTO);
}

static void test_age_ttls(void **state)
{
	uint8_t buf[512];
	struct dns_response_info info;
	bool trunc;
	size_t len = build_answer(buf, sizeof(buf), true, &trunc);

	assert_int_equal(dns_msg_age_ttls(buf, len, 150), 0);
	assert_int_equal(dns_response_parse(buf, len, &info), 0);
	assert_int_equal(info.min_ttl, 0);       /* 100 - 150 floors at 0 */
	assert_int_equal(info.has_opt, true);    /* OPT "TTL" (flags) untouched */
	assert_int_equal(rd_be32(buf + info.opt_off + 5), 0);
}

/* ---- relay ---------------------------------------------------------- */

static void test_relay(void **state)
{
	uint8_t msg[512], out[DNS_MSG_MAX];
	struct dns_response_info info;
	struct dns_query cq = { .hdr = { .id = 0xbeef, .flags = DNS_F_RD } };
	bool trunc;
	size_t len = build_answer(msg, sizeof(msg), true, &trunc), olen;

	assert_int_equal(dns_response_parse(msg, len, &info), 0);
	len = dns_relay_strip_opt(msg, &info);
	assert_int_equal(dns_response_parse(msg, len, &info), 0);
	assert_false(info.has_opt);
	assert_int_equal(info.hdr.arcount, 0);

	dns_name_from_text("WWW.lab", &cq.q.name);
	cq.q.qtype = DNS_TYPE_A;
	cq.q.qclass = DNS_CLASS_IN;
	cq.edns.present = true;
	cq.edns.udp_size = 1232;
	olen = dns_relay_reply(out, dns_reply_limit(&cq, false), msg, len, &cq, 10);
	assert_int_equal(olen, len + 11);
	assert_int_equal(dns_response_parse(out, olen, &info), 0);
	assert_int_equal(info.hdr.id, 0xbeef);
	assert_true(info.has_opt);
	assert_int_equal(info.min_ttl, 90);
	assert_memory_equal(out + DNS_HDR_LEN, cq.q.name.data, cq.q.name.len);  /* client's case */

	/* limit too small: question only, TC */
	olen = dns_relay_reply(out, 60, msg, len, &cq, 0);
	assert_true(olen > 0 && olen <= 60);
	assert_int_equal(dns_response_parse(out, olen, &info), 0);
	assert_true(info.hdr.flags & DNS_F_TC);
	assert_int_equal(info.hdr.ancount, 0);

	/* a different question is never relayed */
	dns_name_from_text("www.lab.evil", &cq.q.name);
	assert_int_equal(dns_relay_reply(out, 512, msg, len, &cq, 0), 0);
}

/* ---- cache ---------------------------------------------------------- */

static void test_cache(void **state)
{
	struct dns_cache *c;
	struct dns_question q = { .qtype = DNS_TYPE_A, .qclass = DNS_CLASS_IN }, q2 = q, q3 = q;
	const uint8_t *msg;
	size_t len;
	uint32_t age;
	uint8_t m1[] = "one", m2[] = "two", m3[] = "three";

	dns_name_from_text("a.example", &q.name);
	dns_name_from_text("b.example", &q2.name);
	dns_name_from_text("c.example", &q3.name);
	assert_int_equal(dns_cache_new(2, 42, &c), 0);
	assert_int_equal(dns_cache_put(c, &q, m1, sizeof(m1), 60, 1000), 0);
	assert_int_equal(dns_cache_put(c, &q2, m2, sizeof(m2), 5, 1000), 0);
	struct dns_question upper = q;
	dns_name_from_text("A.EXAMPLE", &upper.name);
	assert_int_equal(dns_cache_get(c, &upper, 3500, &msg, &len, &age), 0);  /* case-insensitive */
	assert_memory_equal(msg, "one", 4);
	assert_int_equal(age, 2);
	assert_int_equal(dns_cache_get(c, &q2, 6000, &msg, &len, &age), -ENOENT); /* expired */
	assert_int_equal(dns_cache_count(c), 1);
	assert_int_equal(dns_cache_put(c, &q2, m2, sizeof(m2), 60, 6000), 0);
	assert_int_equal(dns_cache_get(c, &q, 6000, &msg, &len, &age), 0);       /* q now most recent */
	assert_int_equal(dns_cache_put(c, &q3, m3, sizeof(m3), 60, 6000), 0);   /* evicts q2 (LRU) */
	assert_int_equal(dns_cache_count(c), 2);
	assert_int_equal(dns_cache_get(c, &q2, 6000, &msg, &len, &age), -ENOENT);
	assert_int_equal(dns_cache_get(c, &q3, 6000, &msg, &len, &age), 0);
	q3.qtype = DNS_TYPE_AAAA;
	assert_int_equal(dns_cache_get(c, &q3, 6000, &msg, &len, &age), -ENOENT);
	uint8_t big[DNS_CACHE_MAX_MSG + 1] = { 0 };
	assert_int_equal(dns_cache_put(c, &q3, big, sizeof(big), 60, 6000), -E2BIG);
	dns_cache_free(c);
	dns_cache_free(NULL);
}

static void test_cache_many(void **state)
{
	struct dns_cache *c;
	uint8_t m[] = "x";

	assert_int_equal(dns_cache_new(100, 7, &c), 0);
	for (int i = 0; i < 5000; i++) {
		struct dns_question q = { .qtype = DNS_TYPE_A, .qclass = DNS_CLASS_IN };
		char name[32];
		snprintf(name, sizeof(name), "n%d.example", i);
		dns_name_from_text(name, &q.name);
		assert_int_equal(dns_cache_put(c, &q, m, sizeof(m), 60, 0), 0);
		assert_true(dns_cache_count(c) <= 100);
	}
	dns_cache_free(c);
}

static void test_cache_ttl_policy(void **state)
{
	struct dns_response_info info = { .has_question = true, .min_ttl = 300 };

	info.hdr.ancount = 1;
	assert_int_equal(dns_cache_ttl_for(&info), 300);
	info.min_ttl = 10 * 86400;
	assert_int_equal(dns_cache_ttl_for(&info), DNS_CACHE_MAX_TTL);
	info.hdr.flags = DNS_F_TC;
	assert_int_equal(dns_cache_ttl_for(&info), 0);              /* truncated: never */
	info.hdr.flags = DNS_RCODE_NXDOMAIN;
	info.hdr.ancount = 0;
	assert_int_equal(dns_cache_ttl_for(&info), 0);              /* no SOA: not cached */
	info.has_soa = true;
	info.soa_neg_ttl = 900;
	assert_int_equal(dns_cache_ttl_for(&info), 900);
	info.soa_neg_ttl = 86400;
	assert_int_equal(dns_cache_ttl_for(&info), DNS_CACHE_MAX_NEG_TTL);
	info.hdr.flags = DNS_RCODE_SERVFAIL;
	assert_int_equal(dns_cache_ttl_for(&info), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_vectors),
		cmocka_unit_test(test_name_long),
		cmocka_unit_test(test_name_hop_cap),
		cmocka_unit_test(test_name_text),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_builder_compression),
		cmocka_unit_test(test_response_hostile),
		cmocka_unit_test(test_age_ttls),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_many),
		cmocka_unit_test(test_cache_ttl_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
