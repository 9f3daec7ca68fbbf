/* iPXE scripts rendered per host. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "boot/ipxe_script.h"
#include "conf_file.h"
#include "isos/iso_catalog.h"

static const char *CONF =
	"[server]\ninterface = br0\naddress = 198.18.0.1\nstate-dir = /tmp\n"
	"[dhcp]\nrange = 198.18.0.100 198.18.0.200\n"
	"[boot]\nimage = live\nkernel-args = console=ttyS0\n"
	"[image \"live\"]\nkernel = images/live/vmlinuz\ninitrd = images/live/initrd.img\n"
	"initrd = http://other/extra.cpio\ncmdline = boot=live quiet\n"
	"[image \"rescue\"]\nkernel = http://mirror/rescue/linux\n"
	"[image \"net\"]\nkernel = images/net/vmlinuz\n"
	"cmdline = fetch={{url}}/images/net/root.squashfs name={{ hostname }} {{cmdline}} {{nope}}\n"
	"[host \"beta\"]\nmac = 52:54:00:00:00:01\nip = 198.18.0.12\n"
	"[host \"kiosk\"]\nmac = 52:54:00:00:00:02\nmenu = none\nimage = rescue\nkernel-args = nomodeset\n"
	"[host \"disk\"]\nmac = 52:54:00:00:00:03\nmenu-default = local\n"
	"[host \"tester\"]\nmac = 52:54:00:00:00:04\nmenu-default = memtest\n"
	"[host \"netroot\"]\nmac = 52:54:00:00:00:05\nimage = net\nkernel-args = mac={{mac}}\n"
	"[host \"small\"]\nmac = 52:54:00:00:00:06\nmemory = 1G\n"
	"[entry \"memtest\"]\ntitle = Memory test\nrun = kernel http://x/memtest\nrun = boot\n";

static struct config *cfg;
static char buf[IPXE_SCRIPT_MAX];

static int setup(void **state)
{
	cfg = load_conf(CONF);
	assert_non_null(cfg);
	return 0;
}

static int teardown(void **state)
{
	config_free(cfg);
	return 0;
}

static int render(const char *host, const uint8_t last)
{
	struct boot_target t = { .cfg = cfg, .host = host ? config_host_by_name(cfg, host) : NULL,
				 .mac = { 0x52, 0x54, 0, 0, 0, last }, .base_url = "http://198.18.0.1" };
	return ipxe_script_render(&t, buf, sizeof(buf));
}

/* A built image (as image_boot.c resolves it) on a host with too little
 * RAM: a message and back to the menu, never a kernel that cannot fit. */
static void too_little_ram_is_said_not_booted(void **state)
{
	struct image img = { .name = "min@min-1", .kernel = "images/min/min-1/vmlinuz", .cmdline = "boot=live",
			     .built = true, .ram_mib = 1500, .root_mode = "http" };
	struct boot_target t = { .cfg = cfg, .host = config_host_by_name(cfg, "small"), .mac = { 0x52, 0x54, 0, 0, 0, 6 },
				 .base_url = "http://198.18.0.1", .image = &img };

	assert_int_equal(t.host->memory_mib, 1024);
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ":image\necho labboot: small has 1024 MiB of RAM, min@min-1 needs about 1500 MiB "
				    "with its root over http.\n"));
	assert_null(strstr(buf, "kernel http://198.18.0.1/images/min"));
	img.ram_mib = 900;
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "kernel http://198.18.0.1/images/min/min-1/vmlinuz"));
	t.host = config_host_by_name(cfg, "beta"); /* memory unknown: boot */
	img.ram_mib = 100000;
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "kernel http://198.18.0.1/images/min/min-1/vmlinuz"));
}

static void a_fallback_version_is_announced(void **state)
{
	struct image img = { .name = "min@min-1", .kernel = "images/min/min-1/vmlinuz", .built = true,
			     .notice = "min@min-2 cannot boot: its kernel is missing; booting min@min-1 instead" };
	struct boot_target t = { .cfg = cfg, .host = config_host_by_name(cfg, "beta"), .mac = { 0x52, 0x54, 0, 0, 0, 1 },
				 .base_url = "http://198.18.0.1", .image = &img };

	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\necho labboot: min@min-2 cannot boot: its kernel is missing; booting min@min-1 "
				    "instead\nsleep 5\n\n:menu\n"));
}

/* Variables in command lines; {{cmdline}} does not recurse there. */
static void cmdline_variables(void **state)
{
	assert_true(render("netroot", 5) > 0);
	assert_non_null(strstr(buf, "kernel http://198.18.0.1/images/net/vmlinuz "
				    "fetch=http://198.18.0.1/images/net/root.squashfs name=netroot {{cmdline}} {{nope}} "
				    "console=ttyS0 mac=52:54:00:00:00:05 hostname=netroot "));
}

static void default_menu_boots_image_after_timeout(void **state)
{
	assert_true(render("beta", 1) > 0);
	assert_non_null(strstr(buf, "#!ipxe\n"));
	assert_non_null(strstr(buf, "choose --timeout 5000 --default image target"));
	assert_non_null(strstr(buf, "kernel http://198.18.0.1/images/live/vmlinuz initrd=initrd.img initrd=extra.cpio "
				    "boot=live quiet console=ttyS0 hostname=beta "
				    "labboot.booted=http://198.18.0.1/booted?mac=52:54:00:00:00:01 || goto failed\n"));
	assert_non_null(strstr(buf, "initrd http://198.18.0.1/images/live/initrd.img || goto failed\n"));
	assert_non_null(strstr(buf, "initrd http://other/extra.cpio || goto failed\n"));
	assert_non_null(strstr(buf, "item local"));
	/* Debian's iPXE (no HTTPS announced) and no netboot.xyz binary: plain HTTP */
	assert_non_null(strstr(buf, ":netbootxyz\necho labboot: this iPXE has no HTTPS: the same URL over plain HTTP\n"
				    "chain --autofree http://boot.netboot.xyz || goto failed\n"));
}

/* The three ways to netboot.xyz: the URL for an iPXE with HTTPS, else
 * netboot.xyz's own iPXE from the TFTP root, else plain HTTP. */
static void netbootxyz_follows_what_ipxe_can(void **state)
{
	struct boot_target t = { .cfg = cfg, .host = config_host_by_name(cfg, "beta"), .mac = { 0x52, 0x54, 0, 0, 0, 1 },
				 .base_url = "http://198.18.0.1:8080", .ipxe_https = true };

	assert_int_equal(netbootxyz_way(&t), NETBOOTXYZ_URL);
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ":netbootxyz\nchain --autofree https://boot.netboot.xyz || goto failed\n"));
	t.ipxe_https = false;
	t.nbxyz_efi = t.nbxyz_kpxe = true;
	assert_int_equal(netbootxyz_way(&t), NETBOOTXYZ_OWN_IPXE);
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "iseq ${platform} efi && chain --autofree tftp://198.18.0.1/netboot.xyz.efi || "
				    "chain --autofree tftp://198.18.0.1/netboot.xyz.kpxe || goto failed\n"));
	t.nbxyz_efi = false;
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "chain --autofree tftp://198.18.0.1/netboot.xyz.kpxe || goto failed\n"));
	assert_null(strstr(buf, "netboot.xyz.efi"));
	t.nbxyz_kpxe = false;
	assert_int_equal(netbootxyz_way(&t), NETBOOTXYZ_PLAIN_HTTP);
}

static void menu_none_goes_straight_to_the_image(void **state)
{
	assert_true(render("kiosk", 2) > 0);
	assert_null(strstr(buf, "choose"));
	assert_non_null(strstr(buf, "goto image\n"));
	assert_non_null(strstr(buf, "kernel http://mirror/rescue/linux console=ttyS0 nomodeset hostname=kiosk "));
}

static void host_default_entry(void **state)
{
	assert_true(render("disk", 3) > 0);
	assert_non_null(strstr(buf, "--default local target"));
}

static void unknown_machine_gets_the_default_image_without_a_name(void **state)
{
	assert_true(render(NULL, 9) > 0);
	assert_non_null(strstr(buf, "unknown host (52:54:00:00:00:09)"));
	assert_null(strstr(buf, "hostname="));
	assert_non_null(strstr(buf, "images/live/vmlinuz"));
}

static void user_entries(void **state)
{
	assert_true(render("tester", 4) > 0);
	assert_non_null(strstr(buf, "item memtest Memory test\n"));
	assert_non_null(strstr(buf, "--default memtest target"));
	assert_non_null(strstr(buf, ":memtest\nkernel http://x/memtest\nboot\ngoto failed\n"));
}

static void templates(void **state)
{
	struct boot_target t = { .cfg = cfg, .host = config_host_by_name(cfg, "beta"),
				 .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .base_url = "http://198.18.0.1" };
	char small[16];

	assert_true(ipxe_template_render(&t, "#!ipxe\nset h {{hostname}}\nkernel {{ kernel }} {{cmdline}}\n"
					 "echo {{mac}} {{ip}} {{nope}} {{unterminated", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "set h beta\n"));
	assert_non_null(strstr(buf, "kernel http://198.18.0.1/images/live/vmlinuz initrd=initrd.img"));
	assert_non_null(strstr(buf, "echo 52:54:00:00:00:01 198.18.0.12 {{nope}} {{unterminated"));
	assert_int_equal(ipxe_template_render(&t, "{{cmdline}}", small, sizeof(small)), -ENOSPC);
}

static void bounded_output(void **state)
{
	struct boot_target t = { .cfg = cfg, .host = config_host_by_name(cfg, "beta"),
				 .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .base_url = "http://198.18.0.1" };
	char small[64];

	for (size_t n = 0; n < 400; n += 7)
		assert_int_equal(ipxe_script_render(&t, small, n < sizeof(small) ? n : sizeof(small)), -ENOSPC);
	assert_true(ipxe_kernel_cmdline(&t, buf, sizeof(buf)) > 0);
	assert_int_equal(ipxe_kernel_cmdline(&t, small, 10), -ENOSPC);
	assert_true(strlen(small) < 10);
}

/* ISOs of [isos] dir: a menu item each (broken ones left out), the
 * kernel line with the layout's command line and the kernel-args, sanboot
 * for an unknown layout; a one-shot ISO goes straight to its entry. */
static struct iso_item *isos_fixture(size_t *n)
{
	static const char *const live[] = { "live/vmlinuz", "live/initrd.img", "live/filesystem.squashfs" };
	static struct iso_item it[3];

	memset(it, 0, sizeof(it));
	strcpy(it[0].name, "broken.iso");
	it[0].status = -EBADMSG;
	strcpy(it[1].name, "debian-live.iso");
	iso_kind_classify(live, 3, &it[1].boot);
	strcpy(it[2].name, "windows.iso");
	iso_kind_classify(NULL, 0, &it[2].boot);
	*n = 3;
	return it;
}

static void isos_in_the_menu(void **state)
{
	struct boot_target t = { .cfg = cfg, .host = config_host_by_name(cfg, "netroot"), .mac = { 0x52, 0x54, 0, 0, 0, 5 },
				 .base_url = "http://198.18.0.1" };

	t.isos = isos_fixture(&t.n_isos);
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "item iso-1 ISO debian-live.iso (live-boot)\n"));
	assert_non_null(strstr(buf, "item iso-2 ISO windows.iso (sanboot, may not work)\n"));
	assert_null(strstr(buf, "broken.iso"));
	assert_null(strstr(buf, ":iso-0\n"));
	assert_non_null(strstr(buf, ":iso-1\necho Booting debian-live.iso (live-boot) ...\nimgfree\n"
				    "kernel http://198.18.0.1/isos/debian-live.iso/live/vmlinuz initrd=initrd.img "
				    "boot=live fetch=http://198.18.0.1/isos/debian-live.iso console=ttyS0 "
				    "mac=52:54:00:00:00:05 || goto failed\n"
				    "initrd http://198.18.0.1/isos/debian-live.iso/live/initrd.img || goto failed\n"));
	assert_non_null(strstr(buf, ":iso-2\necho labboot: windows.iso has no known layout: iPXE sanboot, which may not "
				    "work\nsanboot --no-describe http://198.18.0.1/isos/windows.iso || goto failed\n"));
	assert_non_null(strstr(buf, "--default image "));

	t.iso = "debian-live.iso"; /* a pin */
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "choose --timeout 5000 --default iso-1 target || goto iso-1\n"));
	t.iso = "broken.iso"; /* a pin to what cannot boot: the usual default */
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "--default image "));

	t.once = "iso";
	t.iso = "windows.iso";
	assert_true(ipxe_script_render(&t, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "choose"));
	assert_non_null(strstr(buf, "goto iso-2\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_menu_boots_image_after_timeout),
		cmocka_unit_test(cmdline_variables),
		cmocka_unit_test(too_little_ram_is_said_not_booted),
		cmocka_unit_test(a_fallback_version_is_announced),
		cmocka_unit_test(menu_none_goes_straight_to_the_image),
		cmocka_unit_test(host_default_entry),
		cmocka_unit_test(unknown_machine_gets_the_default_image_without_a_name),
		cmocka_unit_test(user_entries),
		cmocka_unit_test(templates),
		cmocka_unit_test(bounded_output),
		cmocka_unit_test(isos_in_the_menu),
		cmocka_unit_test(netbootxyz_follows_what_ipxe_can),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
