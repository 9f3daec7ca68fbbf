/* Runtime host edits, next boot entries, the Wake-on-LAN packet and the
 * reference-counted live configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "admin/host_edit.h"
#include "admin/wol.h"
#include "boot/next_boot.h"
#include "core/config.h"
#include "core/live_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *edit(const char *old, int n, ...)
{
	char *assign[8], *out = NULL;
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assign[i] = va_arg(ap, char *);
	va_end(ap);
	return host_settings_edit(old, assign, (size_t)n, &out) == 0 ? out : NULL;
}

static void test_edit_sets_replaces_removes(void **state)
{
	char *s;

	(void)state;
	s = edit("", 2, "mac=52:54:00:00:00:01 198.18.0.5", "image = live");
	assert_string_equal(s, "mac = 52:54:00:00:00:01 198.18.0.5\nimage = live\n");
	free(s);
	s = edit("mac = 52:54:00:00:00:01\nimage = live\nmenu = none\n", 2, "image=other", "menu=");
	assert_string_equal(s, "mac = 52:54:00:00:00:01\nimage = other\n");
	free(s);
	/* the first mac of a call replaces the old ones, the next adds */
	s = edit("mac = 52:54:00:00:00:01\nimage = a\n", 2, "mac=52:54:00:00:00:02", "mac=52:54:00:00:00:03");
	assert_string_equal(s, "image = a\nmac = 52:54:00:00:00:02\nmac = 52:54:00:00:00:03\n");
	free(s);
	/* a single-valued key given twice: the last one */
	s = edit("", 2, "image=a", "image=b");
	assert_string_equal(s, "image = b\n");
	free(s);
}

static void test_edit_refuses_injection(void **state)
{
	(void)state;
	assert_null(edit("", 1, "image=a\n[server]"));
	assert_null(edit("", 1, "noequals"));
	assert_null(edit("", 1, "=value"));
	assert_null(edit("", 1, "Image=x"));
	assert_null(edit("", 1, "image=a # comment"));
}

static void test_wol_packet(void **state)
{
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x18, 0x00, 0x12 };
	uint8_t p[WOL_PACKET_LEN];

	(void)state;
	wol_packet(mac, p);
	for (int i = 0; i < 6; i++)
		assert_int_equal(p[i], 0xff);
	for (int k = 0; k < 16; k++)
		assert_memory_equal(p + 6 + 6 * k, mac, 6);
}

static struct config *load(const char *text, const char *hosts)
{
	struct config *cfg = NULL;
	FILE *errors = fopen("/dev/null", "w");
	int r = config_load_from(&(struct config_source){ .path = "test.conf", .text = text, .runtime_hosts = hosts,
							 .errors = errors }, &cfg);
	fclose(errors);
	return r == 0 ? cfg : NULL;
}

static const char *base = "[server]\ninterface = br0\naddress = 198.18.0.1\n"
			  "[pool \"lab\"]\nrange = 198.18.0.100 198.18.0.200\n[dhcp]\nnetmask = 255.255.255.0\n"
			  "[host \"alpha\"]\nmac = 52:54:00:00:00:0a\nip = 198.18.0.10\n"
			  "[image \"tiny\"]\nkernel = vmlinuz\n"
			  "[entry \"memtest\"]\ntitle = Memtest\nrun = chain memtest.efi\n";

static void test_runtime_hosts(void **state)
{
	struct config *cfg;
	const struct host *h;

	(void)state;
	cfg = load(base, "[host \"beta\"]\nmac = 52:54:00:00:00:0b 198.18.0.11\nimage = tiny\n");
	assert_non_null(cfg);
	h = config_host_by_name(cfg, "beta");
	assert_non_null(h);
	assert_true(h->runtime);
	assert_int_equal(h->line, -1);
	assert_false(config_host_by_name(cfg, "alpha")->runtime);
	config_free(cfg);
	/* not the file's host, not its MAC or address, no other section */
	assert_null(load(base, "[host \"alpha\"]\nmac = 52:54:00:00:00:0c\n"));
	assert_null(load(base, "[host \"gamma\"]\nmac = 52:54:00:00:00:0a\n"));
	assert_null(load(base, "[host \"gamma\"]\nmac = 52:54:00:00:00:0c 198.18.0.10\n"));
	assert_null(load(base, "[server]\naddress = 198.18.0.2\n"));
	assert_null(load(base, "[host \"gamma\"]\nbogus = 1\nmac = 52:54:00:00:00:0c\n"));
}

static void test_next_boot(void **state)
{
	struct config *cfg = load(base, NULL);
	struct next_boot nb;
	char buf[200];

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(next_boot_parse(cfg, "local", &nb), 0);
	assert_string_equal(nb.target, "local");
	assert_int_equal(next_boot_parse(cfg, "netboot.xyz", &nb), 0);
	assert_string_equal(nb.target, "netbootxyz");
	assert_int_equal(next_boot_parse(cfg, "memtest", &nb), 0);
	assert_string_equal(nb.target, "memtest");
	assert_int_equal(next_boot_format(&nb, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "entry:memtest");
	assert_int_equal(next_boot_parse(cfg, "live@20261202-101010", &nb), 0);
	assert_string_equal(nb.target, "image");
	assert_string_equal(nb.image, "live@20261202-101010");
	assert_int_equal(next_boot_format(&nb, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "image:live@20261202-101010");
	assert_int_equal(next_boot_parse(cfg, buf, &nb), 0);
	assert_string_equal(nb.image, "live@20261202-101010");
	assert_int_equal(next_boot_parse(cfg, "entry:nothing", &nb), -EINVAL);
	assert_int_equal(next_boot_parse(cfg, "../etc", &nb), -EINVAL);
	assert_int_equal(next_boot_parse(cfg, "", &nb), -EINVAL);
	assert_int_equal(next_boot_parse(cfg, "iso:debian-live.iso", &nb), 0);
	assert_string_equal(nb.target, "iso");
	assert_string_equal(nb.image, "debian-live.iso");
	assert_int_equal(next_boot_format(&nb, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "iso:debian-live.iso");
	assert_int_equal(next_boot_parse(cfg, "iso:../x.iso", &nb), -EINVAL);
	assert_int_equal(next_boot_parse(cfg, "iso:notes.txt", &nb), -EINVAL);
	config_free(cfg);
}

static void test_live_config_outlives_swap(void **state)
{
	struct live_config lc;
	const struct config *held;

	(void)state;
	live_config_init(&lc, load(base, NULL));
	held = live_config_get(&lc);
	live_config_swap(&lc, load(base, "[host \"beta\"]\nmac = 52:54:00:00:00:0b\n"));
	/* the request that started before the swap still reads its own (ASan
	 * would catch a use after free) */
	assert_null(config_host_by_name(held, "beta"));
	assert_non_null(config_host_by_name(lc.cur, "beta"));
	live_config_put(&lc, held);
	live_config_destroy(&lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_sets_replaces_removes),
		cmocka_unit_test(test_edit_refuses_injection),
		cmocka_unit_test(test_wol_packet),
		cmocka_unit_test(test_runtime_hosts),
		cmocka_unit_test(test_next_boot),
		cmocka_unit_test(test_live_config_outlives_swap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
