/* The local zone: reservations, bare names, leases, PTR, SOA/NS, NXDOMAIN
 * and NODATA, static records, client policy. Built from a real config. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "conf_file.h"
#include "core/util.h"
#include "dns/dns_zone.h"

static const char conf[] =
	"[server]\ninterface = eth0\naddress = 198.18.5.1\nstate-dir = /tmp\n"
	"[dhcp]\nrange = 198.18.5.100 198.18.5.200\ndomain = lab\n"
	"[pool \"far\"]\nrange = 10.9.0.10 10.9.0.20\nnetmask = 255.255.0.0\n"
	"[dns]\nttl = 120\n"
	"record = www CNAME alpha\n"
	"record = mirror.example.org A 192.0.2.7\n"
	"record = alias CNAME mirror.example.org\n"
	"record = info TXT hello world\n"
	"record = loop1 CNAME loop2\n"
	"record = loop2 CNAME loop1\n"
	"[host \"alpha\"]\nmac = 52:54:00:00:00:01\nip = 198.18.5.10\n"
	"[host \"Beta\"]\nmac = 52:54:00:00:00:02 198.18.5.11\nmac = 52:54:00:00:00:03 198.18.5.12\n";

struct answer {
	unsigned rcode;
	struct dns_response_info info;
	uint8_t buf[1024];
	size_t len;
	bool forward;
};

static struct dns_zone *zone;
static struct config *cfg;

static int setup(void **state)
{
	struct dns_zone_params p = { .serial = 7 };

	cfg = load_conf(conf);
	assert_non_null(cfg);
	inet_pton(AF_INET, "198.18.5.1", &p.server);
	return dns_zone_new(cfg, &p, &zone);
}

static int teardown(void **state)
{
	dns_zone_free(zone);
	config_free(cfg);
	return 0;
}

static void ask(const char *name, uint16_t type, struct answer *a)
{
	struct dns_builder b;
	struct dns_question q = { .qtype = type, .qclass = DNS_CLASS_IN };

	memset(a, 0, sizeof(*a));
	assert_int_equal(dns_name_from_text(name, &q.name), 0);
	dns_builder_init(&b, a->buf, sizeof(a->buf));
	dns_builder_header(&b);
	dns_builder_question(&b, &q);
	a->forward = dns_zone_answer(zone, &q, &b, &a->rcode) == DNS_ZONE_FORWARD;
	a->len = dns_builder_finish(&b, 1, DNS_F_QR | (uint16_t)a->rcode);
	assert_int_equal(dns_response_parse(a->buf, a->len, &a->info), 0);
}

/* The n-th RR of the message (all sections in order). */
static void nth_rr(const struct answer *a, unsigned n, struct dns_rr *rr)
{
	size_t pos = a->info.q_end;

	for (unsigned i = 0; i <= n; i++)
		assert_int_equal(dns_rr_read(a->buf, a->len, &pos, rr), 0);
}

static void expect_a(const struct answer *a, unsigned n, const char *ip)
{
	struct dns_rr rr;
	char text[16];

	nth_rr(a, n, &rr);
	assert_int_equal(rr.type, DNS_TYPE_A);
	assert_int_equal(rr.rdlen, 4);
	inet_ntop(AF_INET, a->buf + rr.rdata_off, text, sizeof(text));
	assert_string_equal(text, ip);
}

static void expect_name_rdata(const struct answer *a, unsigned n, uint16_t type, const char *want)
{
	struct dns_rr rr;
	struct dns_name target;
	char text[DNS_NAME_TEXT_MAX];
	size_t pos;

	nth_rr(a, n, &rr);
	assert_int_equal(rr.type, type);
	pos = rr.rdata_off;
	assert_int_equal(dns_name_read(a->buf, a->len, &pos, &target), 0);
	dns_name_to_text(&target, text, sizeof(text));
	assert_string_equal(text, want);
}

static void test_reservations(void **state)
{
	struct answer a;

	ask("alpha.lab", DNS_TYPE_A, &a);
	assert_false(a.forward);
	assert_int_equal(a.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(a.info.hdr.ancount, 1);
	assert_int_equal(a.info.min_ttl, 120);
	expect_a(&a, 0, "198.18.5.10");

	ask("ALPHA", DNS_TYPE_A, &a);            /* bare name, any case */
	assert_int_equal(a.info.hdr.ancount, 1);
	expect_a(&a, 0, "198.18.5.10");

	ask("beta.Lab.", DNS_TYPE_A, &a);        /* two NICs, two addresses */
	assert_int_equal(a.info.hdr.ancount, 2);
	expect_a(&a, 0, "198.18.5.11");
	expect_a(&a, 1, "198.18.5.12");

	ask("alpha.lab", DNS_TYPE_AAAA, &a);     /* NODATA: SOA in authority */
	assert_int_equal(a.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(a.info.hdr.ancount, 0);
	assert_int_equal(a.info.hdr.nscount, 1);
	assert_true(a.info.has_soa);
	assert_int_equal(a.info.soa_neg_ttl, 120);

	ask("nosuch.lab", DNS_TYPE_A, &a);       /* NXDOMAIN with SOA */
	assert_false(a.forward);
	assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
	assert_true(a.info.has_soa);

	ask("deep.nosuch.lab", DNS_TYPE_A, &a);
	assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
}

static void test_apex(void **state)
{
	struct answer a;

	ask("lab", DNS_TYPE_SOA, &a);
	assert_int_equal(a.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(a.info.hdr.ancount, 1);
	ask("lab", DNS_TYPE_NS, &a);
	assert_int_equal(a.info.hdr.ancount, 1);
	expect_name_rdata(&a, 0, DNS_TYPE_NS, "ns.lab");
	assert_int_equal(a.info.hdr.arcount, 1);
	expect_a(&a, 1, "198.18.5.1");
	ask("ns.lab", DNS_TYPE_A, &a);
	expect_a(&a, 0, "198.18.5.1");
	ask("lab", DNS_TYPE_A, &a);              /* NODATA at the apex */
	assert_int_equal(a.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(a.info.hdr.ancount, 0);
	assert_true(a.info.has_soa);
}

static void test_reverse(void **state)
{
	struct answer a;

	ask("10.5.18.198.in-addr.arpa", DNS_TYPE_PTR, &a);
	assert_int_equal(a.info.hdr.ancount, 1);
	expect_name_rdata(&a, 0, DNS_TYPE_PTR, "alpha.lab");
	ask("12.5.18.198.IN-ADDR.ARPA", DNS_TYPE_PTR, &a);
	expect_name_rdata(&a, 0, DNS_TYPE_PTR, "beta.lab");
	ask("99.5.18.198.in-addr.arpa", DNS_TYPE_PTR, &a);   /* served, unknown */
	assert_false(a.forward);
	assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
	assert_true(a.info.has_soa);
	ask("5.3.9.10.in-addr.arpa", DNS_TYPE_PTR, &a);      /* the /16 pool */
	assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
	ask("8.8.8.8.in-addr.arpa", DNS_TYPE_PTR, &a);       /* not ours */
	assert_true(a.forward);
	ask("999.5.18.198.in-addr.arpa", DNS_TYPE_PTR, &a);
	assert_true(a.forward);
}

static void test_forwarded(void **state)
{
	struct answer a;

	ask("example.com", DNS_TYPE_A, &a);
	assert_true(a.forward);
	ask("com", DNS_TYPE_NS, &a);             /* single label, not a host */
	assert_true(a.forward);
	ask("", DNS_TYPE_NS, &a);
	assert_true(a.forward);
	ask("lab.example.com", DNS_TYPE_A, &a);
	assert_true(a.forward);
}

static void test_static_records(void **state)
{
	struct answer a;
	struct dns_rr rr;

	ask("www.lab", DNS_TYPE_A, &a);          /* CNAME chased locally */
	assert_int_equal(a.info.hdr.ancount, 2);
	expect_name_rdata(&a, 0, DNS_TYPE_CNAME, "alpha.lab");
	expect_a(&a, 1, "198.18.5.10");
	ask("mirror.example.org", DNS_TYPE_A, &a);
	assert_false(a.forward);
	expect_a(&a, 0, "192.0.2.7");
	ask("alias.lab", DNS_TYPE_A, &a);
	assert_int_equal(a.info.hdr.ancount, 2);
	ask("info.lab", DNS_TYPE_TXT, &a);
	assert_int_equal(a.info.hdr.ancount, 1);
	nth_rr(&a, 0, &rr);
	assert_int_equal(rr.rdlen, 12);
	assert_memory_equal(a.buf + rr.rdata_off, "\x0bhello world", 12);
	ask("loop1.lab", DNS_TYPE_A, &a);        /* a CNAME loop ends */
	assert_int_equal(a.info.hdr.ancount, DNS_ZONE_MAX_CNAME_CHAIN);
}

static void test_leases(void **state)
{
	struct answer a;
	struct in_addr ip, ip2;

	inet_pton(AF_INET, "198.18.5.150", &ip);
	inet_pton(AF_INET, "198.18.5.151", &ip2);
	assert_int_equal(dns_zone_lease_add(zone, "Laptop.home", ip), 0);
	ask("laptop.lab", DNS_TYPE_A, &a);
	expect_a(&a, 0, "198.18.5.150");
	ask("150.5.18.198.in-addr.arpa", DNS_TYPE_PTR, &a);
	expect_name_rdata(&a, 0, DNS_TYPE_PTR, "laptop.lab");
	/* a lease for a reserved host's address never steals its PTR */
	inet_pton(AF_INET, "198.18.5.10", &ip2);
	assert_int_equal(dns_zone_lease_add(zone, "intruder", ip2), 0);
	ask("10.5.18.198.in-addr.arpa", DNS_TYPE_PTR, &a);
	expect_name_rdata(&a, 0, DNS_TYPE_PTR, "alpha.lab");
	assert_int_equal(dns_zone_lease_remove(zone, "intruder", ip2), 0);
	/* a lease cannot remove a reservation's address */
	assert_int_equal(dns_zone_lease_remove(zone, "alpha", ip2), 0);
	ask("alpha.lab", DNS_TYPE_A, &a);
	expect_a(&a, 0, "198.18.5.10");

	assert_int_equal(dns_zone_lease_remove(zone, "laptop", ip), 0);
	ask("laptop.lab", DNS_TYPE_A, &a);
	assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);
	ask("150.5.18.198.in-addr.arpa", DNS_TYPE_PTR, &a);
	assert_int_equal(a.rcode, DNS_RCODE_NXDOMAIN);

	/* hostile client names */
	assert_int_equal(dns_zone_lease_add(zone, "", ip), -EINVAL);
	assert_int_equal(dns_zone_lease_add(zone, "-x", ip), -EINVAL);
	assert_int_equal(dns_zone_lease_add(zone, "a b", ip), -EINVAL);
	assert_int_equal(dns_zone_lease_add(zone, "evil\\.x", ip), -EINVAL);
	assert_int_equal(dns_zone_lease_add(zone, "x\x01", ip), -EINVAL);
	char longname[80];
	memset(longname, 'a', 64);
	longname[64] = '\0';
	assert_int_equal(dns_zone_lease_add(zone, longname, ip), -EINVAL);
	assert_int_equal(dns_zone_lease_add(zone, "www", ip), -EEXIST);   /* a CNAME */
}

static void test_clients(void **state)
{
	struct in_addr a;

	inet_pton(AF_INET, "198.18.5.77", &a);
	assert_true(dns_zone_client_allowed(zone, a));
	inet_pton(AF_INET, "10.9.200.1", &a);
	assert_true(dns_zone_client_allowed(zone, a));
	inet_pton(AF_INET, "127.0.0.1", &a);
	assert_true(dns_zone_client_allowed(zone, a));
	inet_pton(AF_INET, "198.18.6.1", &a);
	assert_false(dns_zone_client_allowed(zone, a));
	inet_pton(AF_INET, "8.8.8.8", &a);
	assert_false(dns_zone_client_allowed(zone, a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reservations),
		cmocka_unit_test(test_apex),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_static_records),
		cmocka_unit_test(test_leases),
		cmocka_unit_test(test_clients),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
