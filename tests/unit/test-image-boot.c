/* The command line of built images (image_boot.c's pure part). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "image/image_boot.h"

static void live_boot_layered_fetches_the_module(void **state)
{
	const char *stack[] = { "live/filesystem.squashfs", "live/l01-aa.squashfs", "live/l02-bb.squashfs" };
	struct built_image bi = { "min", "min-20261202-010203", "live-boot", "live", stack, 3, "quiet toram",
				  "198.18.0.1", "/var/lib/labboot/images" };
	char buf[512];

	assert_true(built_image_cmdline(&bi, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=live components fetch={{url}}/images/min/min-20261202-010203/live/filesystem.module quiet toram");
}

static void live_boot_flat_fetches_the_one_squashfs(void **state)
{
	const char *stack[] = { "live/filesystem.squashfs" };
	struct built_image bi = { "f", "f-1", "live-boot", "live", stack, 1, "", "198.18.0.1", "/srv" };
	char buf[512];

	assert_true(built_image_cmdline(&bi, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=live components fetch={{url}}/images/f/f-1/live/filesystem.squashfs");
}

static void casper_mounts_the_version_over_nfs(void **state)
{
	const char *s22[] = { "casper/filesystem.squashfs", "casper/l01-aa.squashfs" };
	const char *s24[] = { "casper/minimal.squashfs", "casper/minimal.standard.squashfs",
			      "casper/minimal.standard.live.squashfs", "casper/minimal.standard.live.l01.squashfs" };
	struct built_image j = { "j", "j-1", "casper", "casper", s22, 2, NULL, "198.18.0.1", "/srv/images" };
	struct built_image n = { "n", "n-1", "casper-layered", "casper", s24, 4, "x=1", "198.18.0.1", "/srv/images" };
	char buf[512];

	assert_true(built_image_cmdline(&j, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=casper ip=dhcp netboot=nfs nfsroot=198.18.0.1:/srv/images/j/j-1");
	assert_true(built_image_cmdline(&n, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=casper ip=dhcp netboot=nfs nfsroot=198.18.0.1:/srv/images/n/n-1 "
				 "layerfs-path=minimal.standard.live.l01.squashfs x=1");
}

static void too_small_a_buffer_is_an_error(void **state)
{
	const char *stack[] = { "live/filesystem.squashfs" };
	struct built_image bi = { "f", "f-1", "live-boot", "live", stack, 1, "a b c", "198.18.0.1", "/srv" };
	char buf[80];

	for (size_t n = 1; n < sizeof(buf); n++)
		assert_true(built_image_cmdline(&bi, buf, n) == -ENOSPC || strlen(buf) < n);
	assert_int_equal(built_image_cmdline(&bi, buf, 20), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_boot_layered_fetches_the_module),
		cmocka_unit_test(live_boot_flat_fetches_the_one_squashfs),
		cmocka_unit_test(casper_mounts_the_version_over_nfs),
		cmocka_unit_test(too_small_a_buffer_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
