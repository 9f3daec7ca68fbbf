/* iface_mac: sysfs's addr_assign_type text, which interfaces count as a
 * bridge whose MAC follows its ports, and the warnings over a sysfs tree
 * the test makes (a bridge with a set MAC, one without, a NIC, a name that
 * does not exist); the ARP announcement's bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "core/iface_mac.h"

static void parse(void **state)
{
	assert_int_equal(iface_addr_assign_parse("0\n", 2), 0);
	assert_int_equal(iface_addr_assign_parse("1\n", 2), 1);
	assert_int_equal(iface_addr_assign_parse("3", 1), 3);
	assert_int_equal(iface_addr_assign_parse("", 0), -EINVAL);
	assert_int_equal(iface_addr_assign_parse("4\n", 2), -EINVAL);
	assert_int_equal(iface_addr_assign_parse("13", 2), -EINVAL);
	assert_int_equal(iface_addr_assign_parse("1\n\n", 3), -EINVAL);
	assert_int_equal(iface_addr_assign_parse("x", 1), -EINVAL);
}

static void follows(void **state)
{
	assert_true(iface_mac_follows_ports(true, IFACE_ADDR_RANDOM));
	assert_true(iface_mac_follows_ports(true, IFACE_ADDR_STOLEN));
	assert_false(iface_mac_follows_ports(true, IFACE_ADDR_SET));
	assert_false(iface_mac_follows_ports(false, IFACE_ADDR_RANDOM)); /* a veth's, a tap's: their own */
	assert_false(iface_mac_follows_ports(true, -ENOENT));
}

static char warned[4][512];
static int n_warned;

static void collect(void *userdata, const char *fmt, ...)
{
	va_list ap;

	(void)userdata;
	va_start(ap, fmt);
	if (n_warned < 4)
		vsnprintf(warned[n_warned], sizeof(warned[0]), fmt, ap);
	n_warned++;
	va_end(ap);
}

static void make_iface(const char *root, const char *name, const char *type, bool bridge)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	assert_int_equal(mkdir(p, 0755), 0);
	if (bridge) {
		snprintf(p, sizeof(p), "%s/%s/bridge", root, name);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/%s/addr_assign_type", root, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(type, f);
	fclose(f);
}

static void warnings(void **state)
{
	char root[] = "/tmp/test-iface-mac.XXXXXX", cmd[600];
	char *names[] = { "brset", "brfollow", "eth0", "nosuch" };
	struct config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	assert_non_null(mkdtemp(root));
	make_iface(root, "brset", "3\n", true);
	make_iface(root, "brfollow", "1\n", true);
	make_iface(root, "eth0", "0\n", false);
	for (size_t i = 0; i < 4; i++)
		cfg->ifaces[i] = names[i];
	cfg->n_ifaces = 4;
	n_warned = 0;
	assert_int_equal(iface_mac_warnings(cfg, root, collect, NULL), 1);
	assert_int_equal(n_warned, 1);
	assert_non_null(strstr(warned[0], "interface brfollow is a bridge whose MAC address follows its ports"));
	free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void garp(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0x18, 0, 1 };
	static const uint8_t want[IFACE_GARP_LEN] = {
		0, 1, 0x08, 0, 6, 4, 0, 1,                 /* Ethernet, IPv4, request */
		0x02, 0, 0, 0x18, 0, 1, 198, 18, 0, 1,     /* sender: the new MAC, the server */
		0, 0, 0, 0, 0, 0, 198, 18, 0, 1,           /* target: the server again */
	};
	struct in_addr ip = { .s_addr = htonl(0xc6120001) };
	uint8_t buf[64];

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(iface_garp_build(buf, sizeof(buf), mac, ip), IFACE_GARP_LEN);
	assert_memory_equal(buf, want, IFACE_GARP_LEN);
	assert_int_equal(buf[IFACE_GARP_LEN], 0xaa);
	assert_int_equal(iface_garp_build(buf, IFACE_GARP_LEN - 1, mac, ip), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse),
		cmocka_unit_test(follows),
		cmocka_unit_test(warnings),
		cmocka_unit_test(garp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
