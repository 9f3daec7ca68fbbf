/* The dnsmasq importer, table-driven: a dnsmasq text in, lines that must
 * (and must not) be in the labboot.conf out, the count of what was not
 * translated; every output must load with labboot's own parser. Hostile
 * inputs: huge lines, missing fields, bad MACs and addresses, include loops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "import/import_dnsmasq.h"

/* Files the includes see: "/loop.conf" includes itself, "/d" lists a, b. */
static int include(void *userdata, const char *path, enum import_include_kind kind, char **ret)
{
	if (kind == IMPORT_INCLUDE_DIR)
		*ret = strdup(strcmp(path, "/d") == 0 ? "b.conf\na.conf\nc.bak\n.x.conf\n" : "");
	else if (strncmp(path, "/fan", 4) == 0) /* four includes each: 4^8 files without a cap */
		*ret = (asprintf(ret, "conf-file=%s0\nconf-file=%s1\nconf-file=%s2\nconf-file=%s3\n", path, path, path, path) < 0)
			       ? NULL : *ret;
	else if (strcmp(path, "/loop.conf") == 0)
		*ret = strdup("conf-file=/loop.conf\n");
	else if (strcmp(path, "/d/a.conf") == 0)
		*ret = strdup("dhcp-host=52:54:00:00:00:0a,198.18.0.10,fromdira\n");
	else if (strcmp(path, "/d/b.conf") == 0)
		*ret = strdup("dhcp-host=52:54:00:00:00:0b,198.18.0.11,fromdirb\n");
	else if (strcmp(path, "/d/c.bak") == 0)
		*ret = strdup("dhcp-host=52:54:00:00:00:0c,198.18.0.12,bak\n");
	else if (strcmp(path, "/etc/ethers") == 0)
		*ret = strdup("52:54:00:00:00:e1 ethost\nnot-a-mac 1.2.3.4\n");
	else if (strcmp(path, "/etc/hosts") == 0)
		*ret = strdup("127.0.0.1 localhost\n198.18.0.30 ethost\n::1 ip6-localhost\n");
	else
		return -ENOENT;
	return *ret ? 0 : -ENOMEM;
}

struct vector {
	const char *name;
	const char *in;
	const char *want[6];          /* lines the output must hold */
	const char *never;            /* a line it must not */
	size_t untranslated;
};

static const struct vector vectors[] = {
	{ "reference host", "dhcp-range=198.18.0.100,198.18.0.200,48h\ndhcp-host=9c:5c:8e:bb:bb:54,id:*,198.18.0.12,beta,30d\nno-resolv\n",
	  { "range = 198.18.0.100 198.18.0.200", "lease-time = 2d", "[host \"beta\"]", "mac = 9c:5c:8e:bb:bb:54 198.18.0.12", "lease-time = 30d" }, NULL, 0 },
	{ "two NICs, one name", "dhcp-range=198.18.0.100,198.18.0.200\ndhcp-host=52:54:00:00:00:01,198.18.0.5,z\ndhcp-host=52:54:00:00:00:02,198.18.0.6,z\nno-resolv\n",
	  { "mac = 52:54:00:00:00:01 198.18.0.5", "mac = 52:54:00:00:00:02 198.18.0.6" }, NULL, 0 },
	{ "bios/uefi/ipxe split", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\ndhcp-match=set:bios,60,PXEClient:Arch:00000\n"
	  "dhcp-match=set:efi,option:client-arch,9\ndhcp-userclass=set:ipxe,iPXE\ndhcp-boot=tag:bios,tag:!ipxe,a.kpxe\n"
	  "dhcp-boot=tag:efi,b.efi\ndhcp-boot=tag:ipxe,http://198.18.0.1/x.ipxe\n",
	  { "bios = a.kpxe", "efi64 = b.efi", "menu = none", "run = chain http://198.18.0.1/x.ipxe" }, NULL, 0 },
	{ "a later dhcp-boot wins, as in dnsmasq", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\n"
	  "dhcp-host=52:54:00:00:00:01,set:special,198.18.0.5,h\ndhcp-host=52:54:00:00:00:02,set:own,198.18.0.6,k\n"
	  "dhcp-match=set:bios,option:client-arch,0\ndhcp-boot=tag:own,own.efi\ndhcp-boot=tag:special,special.efi\n"
	  "dhcp-boot=tag:bios,first.kpxe\ndhcp-boot=tag:bios,second.kpxe\ndhcp-boot=tag:own,own.efi\n",
	  { "bios = second.kpxe", "[host \"k\"]", "boot-file = own.efi" }, "special.efi", 0 },
	{ "pxe-service adds .0", "dhcp-range=198.18.0.0,proxy\nno-resolv\npxe-service=x86PC,\"Boot\",pxelinux\npxe-service=X86-64_EFI,EFI,grub.efi\n",
	  { "mode = proxy", "bios = pxelinux.0", "efi64 = grub.efi" }, NULL, 0 },
	{ "netboot.xyz's proxy setup", "port=0\ndhcp-range=198.18.0.0,proxy\ndhcp-userclass=set:ipxe,iPXE\n"
	  "dhcp-match=set:bios,option:client-arch,0\ndhcp-match=set:efi64,option:client-arch,9\n"
	  "pxe-service=tag:bios,x86PC,\"Network Boot\",netboot.xyz.kpxe\npxe-service=tag:efi64,x86-64_EFI,\"Network Boot\",netboot.xyz.efi\n"
	  "enable-tftp\ntftp-root=/var/lib/tftpboot\nlog-dhcp\n",
	  { "mode = proxy", "bios = netboot.xyz.kpxe", "efi64 = netboot.xyz.efi", "root = /var/lib/tftpboot", "enable = no" }, NULL, 0 },
	{ "a range wider than /24 without a netmask", "no-resolv\ndhcp-range=198.18.0.10,198.18.3.200\n",
	  { "range = 198.18.0.10 198.18.3.200" }, "netmask", 1 },
	{ "option sizes", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\ndhcp-option=26,1400\ndhcp-option=46,8\ndhcp-option=200,70000\n"
	  "dhcp-option=201,5s\ndhcp-option=66,\"198.18.0.1\"\ndhcp-option=option:root-path,/srv/x\n",
	  { "option = 26 hex:05:78", "option = 46 hex:08", "option = 200 hex:00:01:11:70", "option = 201 hex:00:05", "option = 66 text:198.18.0.1",
	    "option = 17 text:/srv/x" }, NULL, 0 },
	{ "text with a comment sign goes hex", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\ndhcp-option=252,\"a #b\"\n",
	  { "option = 252 hex:61:20:23:62" }, NULL, 0 },
	{ "dns records", "no-resolv\ndomain=lab\nexpand-hosts\naddress=/mirror.example.org/198.18.9.7\nhost-record=nas,198.18.0.40\n"
	  "cname=www,nas\nserver=198.18.1.53#5353\nport=5353\n",
	  { "record = mirror.example.org A 198.18.9.7", "record = nas. A 198.18.0.40", "record = 40.0.18.198.in-addr.arpa PTR nas.",
	    "record = www. CNAME nas.", "upstream = 198.18.1.53:5353", "port = 5353" }, NULL, 0 },
	{ "conf-dir order and filter, hostsdir", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\nconf-dir=/d,.bak\n",
	  { "[host \"fromdira\"]", "[host \"fromdirb\"]" }, "[host \"bak\"]", 0 },
	{ "ethers and hosts", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\nread-ethers\n",
	  { "[host \"ethost\"]", "mac = 52:54:00:00:00:e1 198.18.0.30" }, "localhost", 1 },
	{ "include loop", "no-resolv\nconf-file=/loop.conf\n", { "[dns]" }, NULL, 1 },
	{ "includes fanning out", "no-resolv\nconf-file=/fan\n", { "[dns]" }, NULL, 770 }, /* every include past the 256th file, or deeper than 8, is a note */
	{ "missing include", "no-resolv\nconf-file=/nope.conf\naddn-hosts=/nope\n", { "[dns]" }, NULL, 2 },
	{ "ignore, tag-filtered host, wildcard MAC", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\ndhcp-host=52:54:00:00:00:01,ignore\n"
	  "dhcp-host=tag:x,52:54:00:00:00:02,198.18.0.3\ndhcp-host=52:54:00:*:*:*,198.18.0.4\n", { "mode = authoritative" }, "52:54:00:00:00:01", 3 },
	{ "bad MACs and IPs", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\ndhcp-host=52:54:00:00:00,198.18.0.3,x\n"
	  "dhcp-host=52:54:00:00:00:09,198.18.0.300,y\ndhcp-range=198.18.0.1,nope\ndhcp-option=3,1.2.3\nserver=8.8.8.8.8\n",
	  { "mode = authoritative" }, "[host \"", 5 },
	{ "missing fields", "dhcp-range=\ndhcp-host=\ndhcp-boot=\ndhcp-option=\ndhcp-match=set:x\naddress=\ncname=a\nno-resolv\n",
	  { "mode = off" }, NULL, 7 },
	{ "duplicate MAC and IP", "dhcp-range=198.18.0.100,198.18.0.200\nno-resolv\ndhcp-host=52:54:00:00:00:01,198.18.0.3,a\n"
	  "dhcp-host=52:54:00:00:00:01,198.18.0.4,b\ndhcp-host=52:54:00:00:00:02,198.18.0.3,c\n", { "[host \"a\"]" }, "[host \"c\"]", 2 },
	{ "unknown directive", "no-resolv\nfrobnicate=yes\ndhcp-ignore=tag:!known\n", { "[dns]" }, NULL, 2 },
	{ "port=0: no DNS, no resolv.conf", "port=0\n", { "enable = no" }, NULL, 0 },
	{ "section names inih would cut", "no-resolv\ndhcp-range=198.18.0.100,198.18.0.200\n"
	  "dhcp-host=52:54:00:00:00:01,198.18.0.3,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n"
	  "dhcp-host=52:54:00:00:00:02,198.18.0.4,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac\n",
	  { "[host \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"]" }, "aaac", 1 },
	{ "per-range options of one subnet", "no-resolv\ndhcp-range=set:a,198.18.0.100,198.18.0.150\n"
	  "dhcp-range=set:b,198.18.0.160,198.18.0.200\ndhcp-option=tag:a,26,1400\n", { "range = 198.18.0.160 198.18.0.200" }, "option = 26", 1 },
	{ "relayed pool with its options", "no-resolv\ndhcp-range=198.18.0.100,198.18.0.150\n"
	  "dhcp-range=set:far,198.18.5.10,198.18.5.50,255.255.255.0,2h\ndhcp-option=tag:far,3,198.18.5.1\n",
	  { "[pool \"far1\"]", "range = 198.18.5.10 198.18.5.50", "lease-time = 2h", "router = 198.18.5.1" }, NULL, 0 },
};

static void check_loads(const char *text)
{
	FILE *errors = tmpfile();
	struct config *cfg = NULL;
	struct config_source src = { .path = "out.conf", .text = text, .errors = errors };
	int r = config_load_from(&src, &cfg);

	if (r < 0) {
		char buf[2048] = "";
		rewind(errors);
		size_t n = fread(buf, 1, sizeof(buf) - 1, errors);
		buf[n] = '\0';
		print_error("does not load:\n%s\n%s\n", text, buf);
	}
	assert_int_equal(r, 0);
	config_free(cfg);
	fclose(errors);
}

static void run(const char *in, struct import_result *res)
{
	struct import_options o = { .interface = "br0", .address = "198.18.0.1", .include = include };

	assert_int_equal(import_dnsmasq("t.conf", in, &o, res), 0);
}

static void test_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct import_result res;
		run(v->in, &res);
		for (size_t k = 0; k < 6 && v->want[k]; k++) {
			char line[300];
			snprintf(line, sizeof(line), "\n%s\n", v->want[k]);
			if (!strstr(res.config, line))
				print_error("%s: no line \"%s\" in:\n%s\n", v->name, v->want[k], res.config);
			assert_non_null(strstr(res.config, line));
		}
		if (v->never && strstr(res.config, v->never))
			fail_msg("%s: \"%s\" should not be in:\n%s", v->name, v->never, res.config);
		if (res.n_untranslated != v->untranslated) {
			for (size_t k = 0; k < res.n_notes; k++)
				print_error("%s\n", res.notes[k].text);
			fail_msg("%s: %zu not translated, want %zu", v->name, res.n_untranslated, v->untranslated);
		}
		check_loads(res.config);
		import_result_free(&res);
	}
}

/* A value labboot.conf could not hold in one line: refused, never cut. */
static void test_long_output_line(void **state)
{
	char in[600];
	struct import_result res;

	snprintf(in, sizeof(in), "no-resolv\ndhcp-range=198.18.0.100,198.18.0.200\ndhcp-option=250,%0190d\ntftp-root=/%0200d\n", 7, 1);
	run(in, &res);
	assert_null(strstr(res.config, "option = 250"));
	assert_null(strstr(res.config, "root = /"));
	assert_int_equal(res.n_untranslated, 2);
	for (char *p = res.config; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		assert_true(strcspn(p, "\n") <= IMPORT_OUT_MAX_LINE);
	check_loads(res.config);
	import_result_free(&res);
}

static void test_huge_input_line(void **state)
{
	size_t n = 100000;
	char *in = malloc(n + 64);
	struct import_result res;

	assert_non_null(in);
	memcpy(in, "no-resolv\ndhcp-host=", 20);
	memset(in + 20, 'a', n);
	memcpy(in + 20 + n, "\n", 2);
	run(in, &res);
	assert_int_equal(res.n_untranslated, 1);
	assert_non_null(strstr(res.notes[0].text, "t.conf:2: not translated: a line of"));
	check_loads(res.config);
	import_result_free(&res);
	free(in);
}

static void test_many_hosts(void **state)
{
	size_t cap = 5000 * 64, len = 0;
	char *in = malloc(cap);
	struct import_result res;

	assert_non_null(in);
	len += (size_t)snprintf(in + len, cap - len, "no-resolv\ndhcp-range=198.18.0.100,198.18.0.200\n");
	for (int i = 0; i < 4200; i++)
		len += (size_t)snprintf(in + len, cap - len, "dhcp-host=52:54:00:00:%02x:%02x,h%d\n", i >> 8, i & 0xff, i);
	run(in, &res);
	assert_int_equal(res.n_untranslated, 4200 - CONFIG_MAX_HOSTS);
	check_loads(res.config);
	import_result_free(&res);
	free(in);
}

static void test_bad_arguments(void **state)
{
	struct import_result res;
	struct import_options o = { .address = "not-an-ip" };

	assert_int_equal(import_dnsmasq("t", "", &o, &res), -EINVAL);
	assert_int_equal(import_dnsmasq("t", NULL, &o, &res), -EINVAL);
	import_result_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_long_output_line),
		cmocka_unit_test(test_huge_input_line),
		cmocka_unit_test(test_many_hosts),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
