/* DHCP decisions: real configuration files, requests built byte by byte,
 * the clock driven by the test. No sockets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "dhcp/dhcp_policy.h"
#include "dhcp_packet.h"

#define BASE_CONF \
	"[server]\ninterface = br0\naddress = 198.18.0.1\nstate-dir = /tmp\n" \
	"[dhcp]\nmode = %s\nrange = 198.18.0.100 198.18.0.%s\nlease-time = 48h\n" \
	"router = 198.18.0.1\ndns = 198.18.0.1\ndomain = lab\n" \
	"option = 252 text:http://wpad/x\n" \
	"[pool \"remote\"]\nrange = 198.18.5.10 198.18.5.20\nrouter = 198.18.5.1\n" \
	"[host \"beta\"]\nmac = 52:54:00:00:00:01\nip = 198.18.0.12\n" \
	"[host \"zeta\"]\nmac = 3c:ec:ef:de:a5:84 198.18.0.16\nmac = 3c:ec:ef:de:a5:85 198.18.0.17\n" \
	"[host \"bmc\"]\nmac = 52:54:00:00:00:0b\nboot-file = custom.efi\n"

struct fixture {
	struct config *cfg;
	struct lease_table *leases;
	struct dhcp_policy *policy;
	struct dhcp_msg msg;
	struct dhcp_reply out;
	struct dhcp_msg reply;      /* out parsed back */
	uint64_t now;
};

static const uint8_t BETA[6] = { 0x52, 0x54, 0, 0, 0, 1 };
static const uint8_t ZETA2[6] = { 0x3c, 0xec, 0xef, 0xde, 0xa5, 0x85 };
static const uint8_t BMC[6] = { 0x52, 0x54, 0, 0, 0, 0x0b };
static const uint8_t C1[6] = { 0x52, 0x54, 0, 0, 1, 1 };
static const uint8_t C2[6] = { 0x52, 0x54, 0, 0, 1, 2 };
static const uint8_t C3[6] = { 0x52, 0x54, 0, 0, 1, 3 };

static int setup_with(void **state, const char *mode, const char *range_end)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[] = "/tmp/labboot-test-policy.XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fprintf(fp, BASE_CONF, mode, range_end);
	fclose(fp);
	assert_int_equal(config_load(path, &f->cfg), 0);
	unlink(path);
	assert_int_equal(lease_table_new(&f->leases), 0);
	assert_int_equal(dhcp_policy_new(f->cfg, f->leases, &f->policy), 0);
	f->now = 1700000000;
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_with(state, "authoritative", "200"); }
static int setup_tiny(void **state) { return setup_with(state, "authoritative", "101"); }
static int setup_proxy(void **state) { return setup_with(state, "proxy", "200"); }

static int teardown(void **state)
{
	struct fixture *f = *state;

	dhcp_policy_free(f->policy);
	lease_table_free(f->leases);
	config_free(f->cfg);
	free(f);
	return 0;
}

/* Runs the policy on p as if received on br0 (198.18.0.1/24). */
static void handle_from(struct fixture *f, struct pkt *p, const char *src, uint16_t port, bool port_4011)
{
	struct dhcp_rx rx = { .msg = &f->msg, .src_port = port, .port_4011 = port_4011, .now = f->now };

	inet_pton(AF_INET, "198.18.0.1", &rx.iface_addr);
	inet_pton(AF_INET, "255.255.255.0", &rx.iface_mask);
	inet_pton(AF_INET, src, &rx.src);
	pkt_end(p);
	assert_int_equal(dhcp_msg_parse(p->b, p->len, &f->msg), 0);
	assert_int_equal(dhcp_policy_handle(f->policy, &rx, &f->out), 0);
	if (f->out.dest != DHCP_DEST_NONE) {
		f->out.buf[0] = 1; /* parse the reply back through the request parser */
		assert_int_equal(dhcp_msg_parse(f->out.buf, f->out.len, &f->reply), 0);
	}
}

static void handle(struct fixture *f, struct pkt *p)
{
	handle_from(f, p, "0.0.0.0", 68, false);
}

static uint32_t ip_of(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void request_ip(struct pkt *p, const uint8_t mac[6], const char *ip, bool with_server_id)
{
	uint32_t a = ip_of(ip), sid = ip_of("198.18.0.1");

	pkt_init(p, DHCP_REQUEST, mac, 7);
	pkt_opt(p, 50, &a, 4);
	if (with_server_id)
		pkt_opt(p, 54, &sid, 4);
}

/* Reservations match the MAC whatever client identifier is sent. */
static void reservation_ignores_client_id(void **state)
{
	struct fixture *f = *state;
	const char *ids[] = { NULL, "\x01\x52\x54\x00\x00\x00\x01", "\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08" };
	struct pkt p;
	size_t len;

	for (size_t i = 0; i < 3; i++) {
		pkt_init(&p, DHCP_DISCOVER, BETA, 1);
		if (ids[i])
			pkt_opt(&p, 61, ids[i], (uint8_t)(i == 1 ? 7 : 10));
		handle(f, &p);
		assert_int_equal(f->out.type, DHCP_OFFER);
		assert_int_equal(f->out.addr.s_addr, ip_of("198.18.0.12"));
		const uint8_t *hn = dhcp_msg_option(&f->reply, 12, &len);
		assert_non_null(hn);
		assert_memory_equal(hn, "beta", 4);
	}
	request_ip(&p, BETA, "198.18.0.12", true);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_ACK);
	assert_true(f->out.persist);
	assert_int_equal(f->out.lease.state, LEASE_BOUND);
	assert_int_equal(f->out.lease.expires, f->now + 48 * 3600);
	assert_int_equal(f->out.event, DHCP_LEASE_EVENT_BOUND);
	assert_string_equal(f->out.lease.hostname, "beta");
}

static void stranger_cannot_take_a_hosts_name(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	size_t len;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 12, "Beta", 4);
	handle(f, &p);
	assert_string_equal(f->out.hostname, "");
	assert_null(dhcp_msg_option(&f->reply, 12, &len));
	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 12, "My_Laptop.example", 17);
	handle(f, &p);
	assert_string_equal(f->out.hostname, "mylaptop"); /* one label, DNS characters only */
}

static void second_nic_gets_its_own_address(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	pkt_init(&p, DHCP_DISCOVER, ZETA2, 1);
	handle(f, &p);
	assert_int_equal(f->out.addr.s_addr, ip_of("198.18.0.17"));
	assert_string_equal(f->out.hostname, "zeta");
}

static void pool_gives_distinct_stable_addresses(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	uint32_t a1, a2;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	a1 = f->out.addr.s_addr;
	pkt_init(&p, DHCP_DISCOVER, C2, 2);
	handle(f, &p);
	a2 = f->out.addr.s_addr;
	assert_int_not_equal(a1, a2);
	assert_true(ntohl(a1) >= ntohl(ip_of("198.18.0.100")) && ntohl(a1) <= ntohl(ip_of("198.18.0.200")));
	pkt_init(&p, DHCP_DISCOVER, C1, 3);
	handle(f, &p);
	assert_int_equal(f->out.addr.s_addr, a1);
	/* not persisted: an offer is held in memory only */
	assert_false(f->out.persist);
}

static void requested_address_honoured_when_free(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	uint32_t want = ip_of("198.18.0.150"), reserved = ip_of("198.18.0.12");

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 50, &want, 4);
	handle(f, &p);
	assert_int_equal(f->out.addr.s_addr, want);
	/* another client asking for a reserved address does not get it */
	pkt_init(&p, DHCP_DISCOVER, C2, 1);
	pkt_opt(&p, 50, &reserved, 4);
	handle(f, &p);
	assert_int_not_equal(f->out.addr.s_addr, reserved);
}

static void nak_for_someone_elses_address(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	char ip[16];

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	inet_ntop(AF_INET, &f->out.addr, ip, sizeof(ip));
	request_ip(&p, C1, ip, true);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_ACK);
	/* C2 in INIT-REBOOT claims C1's address */
	request_ip(&p, C2, ip, false);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_NAK);
	assert_int_equal(f->out.dest, DHCP_DEST_BROADCAST);
	assert_false(f->out.persist);
	/* and a reserved host asking for a pool address is sent to its own */
	request_ip(&p, BETA, "198.18.0.150", false);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_NAK);
}

static void nak_for_wrong_network(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	request_ip(&p, C1, "10.1.2.3", false);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_NAK);
}

static void other_server_selected(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	uint32_t other = ip_of("198.18.0.2"), a;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	a = f->out.addr.s_addr;
	assert_non_null(lease_table_by_ip(f->leases, f->out.addr));
	pkt_init(&p, DHCP_REQUEST, C1, 1);
	pkt_opt(&p, 50, &a, 4);
	pkt_opt(&p, 54, &other, 4);
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_NONE);
	assert_null(lease_table_by_ip(f->leases, (struct in_addr){ a }));
}

static void renew_after_restart_keeps_address(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	struct lease l = { .state = LEASE_BOUND };

	/* the lease as loaded from the store at start */
	l.ip.s_addr = ip_of("198.18.0.123");
	memcpy(l.mac, C1, 6);
	l.expires = f->now + 1000;
	assert_int_equal(lease_table_insert(f->leases, &l, NULL), 0);
	pkt_init(&p, DHCP_REQUEST, C1, 9);
	memcpy(p.b + 12, &l.ip, 4); /* ciaddr: RENEWING */
	handle_from(f, &p, "198.18.0.123", 68, false);
	assert_int_equal(f->out.type, DHCP_ACK);
	assert_int_equal(f->out.addr.s_addr, l.ip.s_addr);
	assert_int_equal(f->out.dest, DHCP_DEST_UNICAST);
	assert_int_equal(f->out.dest_ip.s_addr, l.ip.s_addr);
	/* and C2 cannot take it */
	request_ip(&p, C2, "198.18.0.123", false);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_NAK);
}

static void decline_quarantines(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	uint32_t a, sid = ip_of("198.18.0.1");
	char ip[16];

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	a = f->out.addr.s_addr;
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	request_ip(&p, C1, ip, true);
	handle(f, &p);
	pkt_init(&p, DHCP_DECLINE, C1, 1);
	pkt_opt(&p, 50, &a, 4);
	pkt_opt(&p, 54, &sid, 4);
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_NONE);
	assert_true(f->out.persist);
	assert_int_equal(f->out.lease.state, LEASE_DECLINED);
	/* neither C1 nor anyone else gets it while quarantined */
	pkt_init(&p, DHCP_DISCOVER, C1, 2);
	pkt_opt(&p, 50, &a, 4);
	handle(f, &p);
	assert_int_not_equal(f->out.addr.s_addr, a);
	pkt_init(&p, DHCP_DISCOVER, C2, 2);
	pkt_opt(&p, 50, &a, 4);
	handle(f, &p);
	assert_int_not_equal(f->out.addr.s_addr, a);
}

static void release_then_same_address(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	uint32_t a;
	char ip[16];

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	a = f->out.addr.s_addr;
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	request_ip(&p, C1, ip, true);
	handle(f, &p);
	/* a release meant for another server changes nothing */
	pkt_init(&p, DHCP_RELEASE, C1, 1);
	memcpy(p.b + 12, &a, 4);
	pkt_opt(&p, 54, &(uint32_t){ ip_of("198.18.0.2") }, 4);
	handle(f, &p);
	assert_false(f->out.persist);
	pkt_init(&p, DHCP_RELEASE, C1, 1);
	memcpy(p.b + 12, &a, 4);
	handle(f, &p);
	assert_true(f->out.persist);
	assert_int_equal(f->out.lease.state, LEASE_RELEASED);
	assert_int_equal(f->out.event, DHCP_LEASE_EVENT_NONE); /* no hostname: DNS not told */
	pkt_init(&p, DHCP_DISCOVER, C1, 2);
	handle(f, &p);
	assert_int_equal(f->out.addr.s_addr, a);
}

static void pool_exhaustion(void **state)
{
	struct fixture *f = *state; /* range .100-.101 */
	struct pkt p;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_OFFER);
	pkt_init(&p, DHCP_DISCOVER, C2, 1);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_OFFER);
	pkt_init(&p, DHCP_DISCOVER, C3, 1);
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_NONE);
	assert_string_equal(f->out.why, "no free address in the range");
	/* offers expire: after the hold time C3 gets one */
	f->now += DHCP_OFFER_HOLD_S + 1;
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_OFFER);
}

static void destinations(void **state)
{
	struct fixture *f = *state;
	struct pkt p;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_UNICAST_HW);
	assert_int_equal(f->out.dest_port, 68);
	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	p.b[10] = 0x80; /* broadcast flag */
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_BROADCAST);
}

static void relayed_request_uses_relay_pool(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	size_t len;
	const uint8_t *router;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	memcpy(p.b + 24, &(uint32_t){ ip_of("198.18.5.1") }, 4); /* giaddr */
	p.b[3] = 1;                                               /* hops */
	handle_from(f, &p, "198.18.5.1", 67, false);
	assert_int_equal(f->out.type, DHCP_OFFER);
	assert_true(ntohl(f->out.addr.s_addr) >= ntohl(ip_of("198.18.5.10")));
	assert_true(ntohl(f->out.addr.s_addr) <= ntohl(ip_of("198.18.5.20")));
	assert_int_equal(f->out.dest, DHCP_DEST_UNICAST);
	assert_int_equal(f->out.dest_ip.s_addr, ip_of("198.18.5.1"));
	assert_int_equal(f->out.dest_port, 67);
	router = dhcp_msg_option(&f->reply, 3, &len);
	assert_non_null(router);
	assert_memory_equal(router, &(uint32_t){ ip_of("198.18.5.1") }, 4);
	/* a relay for an unknown subnet gets nothing */
	memcpy(p.b + 24, &(uint32_t){ ip_of("198.18.77.1") }, 4);
	p.len -= 1; /* drop END added by handle() before adding it again */
	handle_from(f, &p, "198.18.77.1", 67, false);
	assert_int_equal(f->out.dest, DHCP_DEST_NONE);
}

static void pxe_boot_files(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	size_t len;
	const uint8_t *v;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	pkt_opt(&p, 93, "\x00\x00", 2);
	handle(f, &p);
	assert_string_equal((char *)f->reply.file, "undionly.kpxe");
	assert_int_equal(f->reply.siaddr.s_addr, ip_of("198.18.0.1"));
	assert_true(dhcp_msg_option_has_prefix(&f->reply, 60, "PXEClient"));
	assert_non_null(dhcp_msg_option(&f->reply, 43, &len));

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 60, "PXEClient:Arch:00007:UNDI:003016", 32);
	pkt_opt(&p, 93, "\x00\x07", 2);
	handle(f, &p);
	assert_string_equal((char *)f->reply.file, "snponly.efi");

	/* iPXE: its script, not iPXE again */
	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	pkt_opt(&p, 77, "iPXE", 4);
	pkt_opt(&p, 175, "\x13\x01\x01", 3);
	handle(f, &p);
	assert_string_equal((char *)f->reply.file, "http://198.18.0.1/boot.ipxe?mac=52:54:00:00:01:01");
	v = dhcp_msg_option(&f->reply, 175, &len);
	assert_non_null(v);
	assert_int_equal(v[0], 176);

	/* UEFI HTTP boot: a URL and the vendor class echoed */
	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 60, "HTTPClient:Arch:00016:UNDI:003001", 33);
	pkt_opt(&p, 93, "\x00\x10", 2);
	handle(f, &p);
	assert_true(dhcp_msg_option_has_prefix(&f->reply, 60, "HTTPClient"));
	v = dhcp_msg_option(&f->reply, 67, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof("http://198.18.0.1/ipxe/snponly.efi"));
	assert_memory_equal(v, "http://198.18.0.1/ipxe/snponly.efi", len); /* with its NUL */

	/* per-host override */
	pkt_init(&p, DHCP_DISCOVER, BMC, 1);
	pkt_opt(&p, 60, "PXEClient:Arch:00007", 20);
	pkt_opt(&p, 93, "\x00\x07", 2);
	handle(f, &p);
	assert_string_equal((char *)f->reply.file, "custom.efi");

	/* not a netboot client: no boot answer */
	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	assert_int_equal(f->reply.file[0], 0);
	assert_int_equal(f->reply.siaddr.s_addr, 0);
}

/* What EDK2 (OVMF's PXE and HTTP boot drivers) does to a cached offer: when
 * option 67's last byte is not NUL, it writes a NUL after the value, over
 * the tag of the next option. */
static void edk2_terminate_bootfile(uint8_t *buf, size_t len)
{
	size_t i = 240; /* after the magic cookie */

	while (i + 1 < len && buf[i] != 255) {
		if (buf[i] == 0) {
			i++;
			continue;
		}
		if (buf[i] == 67 && i + 2 + buf[i + 1] < len && buf[i + 1] > 0 && buf[i + 2 + buf[i + 1] - 1] != 0) {
			buf[i + 2 + buf[i + 1]] = 0;
			return;
		}
		i += 2 + buf[i + 1];
	}
}

/* Every option after the boot file must survive that. */
static void bootfile_survives_edk2_termination(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	struct dhcp_msg edk2;
	size_t len;
	const uint8_t *v;
	uint8_t copy[DHCP_MAX_MSG];

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 60, "PXEClient:Arch:00007:UNDI:003000", 32);
	pkt_opt(&p, 93, "\x00\x07", 2);
	pkt_opt(&p, 55, "\x01\x03\x06\x0c\x0f\x33\x36\x43", 8); /* asks for 67 */
	handle(f, &p);
	v = dhcp_msg_option(&f->reply, 67, &len);
	assert_non_null(v);
	assert_int_equal(len, sizeof("snponly.efi"));
	assert_memory_equal(v, "snponly.efi", len);

	assert_true(f->out.len <= sizeof(copy));
	memcpy(copy, f->out.buf, f->out.len);
	edk2_terminate_bootfile(copy, f->out.len);
	assert_int_equal(dhcp_msg_parse(copy, f->out.len, &edk2), 0);
	assert_non_null(dhcp_msg_option(&edk2, 1, &len));
	assert_non_null(dhcp_msg_option(&edk2, 3, &len));
	assert_non_null(dhcp_msg_option(&edk2, 51, &len));
	assert_memory_equal(copy, f->out.buf, f->out.len); /* nothing to terminate */
}

static void honours_max_message_size_and_prl(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	size_t len;
	uint8_t prl[] = { 1, 3, 6, 15, 252 };

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 57, "\x02\x40", 2); /* 576 */
	pkt_opt(&p, 55, prl, sizeof(prl));
	handle(f, &p);
	assert_true(f->out.len <= 576 - 28);
	assert_non_null(dhcp_msg_option(&f->reply, 252, &len));
	assert_null(dhcp_msg_option(&f->reply, 42, &len));
	/* not requested: the extra option stays out */
	prl[4] = 1;
	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 55, prl, sizeof(prl));
	handle(f, &p);
	assert_null(dhcp_msg_option(&f->reply, 252, &len));
}

static void inform_has_no_lease(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	size_t len;
	uint32_t ci = ip_of("198.18.0.50");

	pkt_init(&p, DHCP_INFORM, C1, 1);
	memcpy(p.b + 12, &ci, 4);
	handle_from(f, &p, "198.18.0.50", 68, false);
	assert_int_equal(f->out.type, DHCP_ACK);
	assert_null(dhcp_msg_option(&f->reply, 51, &len));
	assert_int_equal(f->reply.yiaddr.s_addr, 0);
	assert_int_equal(f->out.dest_ip.s_addr, ci);
	assert_false(f->out.persist);
}

static void proxy_mode(void **state)
{
	struct fixture *f = *state;
	struct pkt p;
	size_t len;

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_NONE); /* not PXE: the router's job */

	pkt_init(&p, DHCP_DISCOVER, C1, 1);
	pkt_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	pkt_opt(&p, 97, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 17);
	handle(f, &p);
	assert_int_equal(f->out.type, DHCP_OFFER);
	assert_int_equal(f->reply.yiaddr.s_addr, 0);
	assert_int_equal(f->reply.siaddr.s_addr, ip_of("198.18.0.1"));
	assert_null(dhcp_msg_option(&f->reply, 51, &len));
	assert_non_null(dhcp_msg_option(&f->reply, 97, &len));
	assert_string_equal((char *)f->reply.file, "undionly.kpxe");
	assert_int_equal(f->out.dest, DHCP_DEST_BROADCAST);
	assert_null(lease_table_by_mac(f->leases, C1, 0, UINT32_MAX));

	/* the PXE boot server request on 4011 is answered where it came from */
	pkt_init(&p, DHCP_REQUEST, C1, 2);
	memcpy(p.b + 12, &(uint32_t){ ip_of("198.18.0.77") }, 4);
	pkt_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	handle_from(f, &p, "198.18.0.77", 68, true);
	assert_int_equal(f->out.type, DHCP_ACK);
	assert_int_equal(f->out.dest, DHCP_DEST_UNICAST);
	assert_int_equal(f->out.dest_ip.s_addr, ip_of("198.18.0.77"));
	assert_int_equal(f->out.dest_port, 68);

	/* REQUESTs on 67 belong to the other server */
	request_ip(&p, C1, "198.18.0.77", false);
	pkt_opt(&p, 60, "PXEClient", 9);
	handle(f, &p);
	assert_int_equal(f->out.dest, DHCP_DEST_NONE);
}

/* iPXE's script URL says whether it announced HTTPS (option 175.20),
 * so the script's netboot.xyz entry can chain to an https:// URL. */
static void ipxe_https_feature_in_script_url(void **state)
{
	struct fixture *f = *state;
	static const uint8_t with_https[] = { 0x13, 1, 1, 0x14, 1, 1, 0x15, 1, 1 }, without[] = { 0x13, 1, 1, 0x15, 1, 1 };
	static const uint8_t truncated[] = { 0x13, 1, 1, 0x14, 4, 1 };
	struct pkt p;

	pkt_init(&p, DHCP_DISCOVER, BETA, 1);
	pkt_opt(&p, 77, "iPXE", 4);
	pkt_opt(&p, 175, with_https, sizeof(with_https));
	handle(f, &p);
	assert_true(dhcp_ipxe_has_feature(&f->msg, DHCP_IPXE_FEATURE_HTTPS));
	assert_non_null(strstr(f->out.boot_file, "/boot.ipxe?mac=52:54:00:00:00:01&https=1"));
	pkt_init(&p, DHCP_DISCOVER, BETA, 2);
	pkt_opt(&p, 77, "iPXE", 4);
	pkt_opt(&p, 175, without, sizeof(without));
	handle(f, &p);
	assert_false(dhcp_ipxe_has_feature(&f->msg, DHCP_IPXE_FEATURE_HTTPS));
	assert_null(strstr(f->out.boot_file, "https"));
	pkt_init(&p, DHCP_DISCOVER, BETA, 3);
	pkt_opt(&p, 77, "iPXE", 4);
	pkt_opt(&p, 175, truncated, sizeof(truncated));
	handle(f, &p);
	assert_false(dhcp_ipxe_has_feature(&f->msg, DHCP_IPXE_FEATURE_HTTPS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reservation_ignores_client_id, setup, teardown),
		cmocka_unit_test_setup_teardown(second_nic_gets_its_own_address, setup, teardown),
		cmocka_unit_test_setup_teardown(stranger_cannot_take_a_hosts_name, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_gives_distinct_stable_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(requested_address_honoured_when_free, setup, teardown),
		cmocka_unit_test_setup_teardown(nak_for_someone_elses_address, setup, teardown),
		cmocka_unit_test_setup_teardown(nak_for_wrong_network, setup, teardown),
		cmocka_unit_test_setup_teardown(other_server_selected, setup, teardown),
		cmocka_unit_test_setup_teardown(renew_after_restart_keeps_address, setup, teardown),
		cmocka_unit_test_setup_teardown(decline_quarantines, setup, teardown),
		cmocka_unit_test_setup_teardown(release_then_same_address, setup, teardown),
		cmocka_unit_test_setup_teardown(ipxe_https_feature_in_script_url, setup, teardown),
		cmocka_unit_test_setup_teardown(pool_exhaustion, setup_tiny, teardown),
		cmocka_unit_test_setup_teardown(destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(relayed_request_uses_relay_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(pxe_boot_files, setup, teardown),
		cmocka_unit_test_setup_teardown(bootfile_survives_edk2_termination, setup, teardown),
		cmocka_unit_test_setup_teardown(honours_max_message_size_and_prl, setup, teardown),
		cmocka_unit_test_setup_teardown(inform_has_no_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(proxy_mode, setup_proxy, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
