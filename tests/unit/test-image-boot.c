/* The command line of built images (image_boot.c's pure part). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "image/image_boot.h"

static void live_boot_layered_fetches_the_module(void **state)
{
	const char *stack[] = { "live/filesystem.squashfs", "live/l01-aa.squashfs", "live/l02-bb.squashfs" };
	struct built_image bi = { "min", "min-20261202-010203", "live-boot", "live", stack, 3, "quiet toram", .root = "http",
				  .nfs_server = "198.18.0.1", .nfs_path = "/var/lib/labboot/images/min/min-20261202-010203" };
	char buf[512];

	assert_true(built_image_cmdline(&bi, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=live components fetch={{url}}/images/min/min-20261202-010203/live/filesystem.module quiet toram");
}

static void live_boot_flat_fetches_the_one_squashfs(void **state)
{
	const char *stack[] = { "live/filesystem.squashfs" };
	struct built_image bi = { "f", "f-1", "live-boot", "live", stack, 1, "", .root = "http", .toram = true,
				  .nfs_server = "198.18.0.1", .nfs_path = "/srv/f/f-1" };
	char buf[512];

	assert_true(built_image_cmdline(&bi, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=live components fetch={{url}}/images/f/f-1/live/filesystem.squashfs");
}

static void casper_mounts_the_version_over_nfs(void **state)
{
	const char *s22[] = { "casper/filesystem.squashfs", "casper/l01-aa.squashfs" };
	const char *s24[] = { "casper/minimal.squashfs", "casper/minimal.standard.squashfs",
			      "casper/minimal.standard.live.squashfs", "casper/minimal.standard.live.l01.squashfs" };
	struct built_image j = { "j", "j-1", "casper", "casper", s22, 2, NULL, .root = "http", .nfs_server = "198.18.0.1",
				 .nfs_path = "/srv/images/j/j-1" };
	struct built_image n = { "n", "n-1", "casper-layered", "casper", s24, 4, "x=1", .root = "nfs",
				 .nfs_server = "198.18.0.1", .nfs_path = "/srv/images/n/n-1" };
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
	struct built_image bi = { "f", "f-1", "live-boot", "live", stack, 1, "a b c", .root = "nfs", .toram = true,
				  .nfs_server = "198.18.0.1", .nfs_path = "/srv/f/f-1", .home = "/srv/home" };
	char buf[80];

	for (size_t n = 1; n < sizeof(buf); n++)
		assert_true(built_image_cmdline(&bi, buf, n) == -ENOSPC || strlen(buf) < n);
	assert_int_equal(built_image_cmdline(&bi, buf, 20), -ENOSPC);
}

static void live_boot_over_nfs_mounts_the_version(void **state)
{
	const char *stack[] = { "live/filesystem.squashfs", "live/l01-aa.squashfs" };
	struct built_image bi = { "min", "min-1", "live-boot", "live", stack, 2, "quiet", .root = "nfs", .toram = true,
				  .nfs_server = "198.18.0.1", .nfs_path = "/srv/images/min/min-1", .home = "/srv/home" };
	char buf[512];

	assert_true(built_image_cmdline(&bi, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=live components netboot=nfs nfsroot=198.18.0.1:/srv/images/min/min-1 toram "
				 "labboot.home=198.18.0.1:/srv/home quiet");
	bi.toram = false;
	bi.home = NULL;
	assert_true(built_image_cmdline(&bi, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "boot=live components netboot=nfs nfsroot=198.18.0.1:/srv/images/min/min-1 quiet");
}

static void ram_counts_the_root_only_when_it_is_in_ram(void **state)
{
	const uint64_t mib = 1024 * 1024;

	assert_int_equal(built_image_ram_mib(1000 * mib, 40 * mib, false), 384 + 120);
	assert_int_equal(built_image_ram_mib(1000 * mib, 40 * mib, true), 384 + 120 + 1050);
	assert_int_equal(built_image_ram_mib(0, 1, false), 385);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_boot_layered_fetches_the_module),
		cmocka_unit_test(live_boot_flat_fetches_the_one_squashfs),
		cmocka_unit_test(casper_mounts_the_version_over_nfs),
		cmocka_unit_test(too_small_a_buffer_is_an_error),
		cmocka_unit_test(live_boot_over_nfs_mounts_the_version),
		cmocka_unit_test(ram_counts_the_root_only_when_it_is_in_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
