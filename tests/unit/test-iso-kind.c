/* The ISO layout table: file lists as each distribution lays its ISO out,
 * the kernel, initrd and command line each gets, and lists that fit no
 * layout (sanboot). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "isos/iso_kind.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define URL "http://198.18.0.1/isos/x.iso"

static void expect(const char *const *p, size_t n, enum iso_kind kind, const char *kernel, const char *initrd,
		   const char *cmdline)
{
	struct iso_boot b;
	char buf[512];

	iso_kind_classify(p, n, &b);
	assert_string_equal(iso_kind_name(b.kind), iso_kind_name(kind));
	assert_string_equal(b.kernel, kernel);
	assert_string_equal(b.initrd, initrd);
	assert_true(iso_boot_cmdline(&b, URL, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, cmdline);
}

static void debian_live(void **state)
{
	static const char *const p[] = { "./isolinux/isolinux.cfg", "./live/vmlinuz-6.1.0-13-amd64",
					  "./live/initrd.img-6.1.0-13-amd64", "./live/filesystem.squashfs",
					  "install/vmlinuz", "install/initrd.gz" };
	expect(p, N(p), ISO_KIND_LIVE_BOOT, "live/vmlinuz-6.1.0-13-amd64", "live/initrd.img-6.1.0-13-amd64",
	       "boot=live fetch=" URL);
}

static void ubuntu(void **state)
{
	static const char *const desktop[] = { "casper/vmlinuz", "casper/initrd", "casper/filesystem.squashfs",
					       ".disk/casper-uuid-generic" };
	static const char *const server[] = { "casper/vmlinuz", "casper/initrd", "casper/ubuntu-server-minimal.squashfs",
					      "casper/ubuntu-server-minimal.ubuntu-server.squashfs" };
	expect(desktop, N(desktop), ISO_KIND_CASPER, "casper/vmlinuz", "casper/initrd",
	       "boot=casper netboot=url url=" URL " ip=dhcp");
	expect(server, N(server), ISO_KIND_UBUNTU_SERVER, "casper/vmlinuz", "casper/initrd",
	       "boot=casper netboot=url url=" URL " ip=dhcp cloud-config-url=/dev/null");
}

static void fedora(void **state)
{
	static const char *const live[] = { "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
					    "LiveOS/squashfs.img", "EFI/BOOT/grubx64.efi" };
	static const char *const netinst[] = { ".treeinfo", "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
					       "images/install.img" };
	static const char *const dvd[] = { ".treeinfo", "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
					   "images/install.img", "BaseOS/repodata/repomd.xml", "BaseOS/Packages/a.rpm" };
	static const char *const old_live[] = { "isolinux/vmlinuz", "isolinux/initrd.img", "LiveOS/squashfs.img" };
	expect(live, N(live), ISO_KIND_DRACUT_LIVE, "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
	       "root=live:" URL " rd.live.image rd.neednet=1 ip=dhcp");
	expect(old_live, N(old_live), ISO_KIND_DRACUT_LIVE, "isolinux/vmlinuz", "isolinux/initrd.img",
	       "root=live:" URL " rd.live.image rd.neednet=1 ip=dhcp");
	expect(netinst, N(netinst), ISO_KIND_DRACUT_INSTALLER, "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
	       "inst.stage2=" URL "/ ip=dhcp");
	expect(dvd, N(dvd), ISO_KIND_DRACUT_REPO, "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img",
	       "inst.repo=" URL "/ ip=dhcp");
}

static void arch_alpine(void **state)
{
	static const char *const arch[] = { "arch/boot/x86_64/vmlinuz-linux", "arch/boot/x86_64/initramfs-linux.img",
					    "arch/boot/intel-ucode.img", "arch/x86_64/airootfs.sfs",
					    "arch/x86_64/airootfs.sha512" };
	static const char *const alpine[] = { "boot/vmlinuz-lts", "boot/initramfs-lts", "boot/modloop-lts",
					      "apks/x86_64/APKINDEX.tar.gz", "apks/x86_64/musl-1.2.4-r2.apk" };
	expect(arch, N(arch), ISO_KIND_ARCH, "arch/boot/x86_64/vmlinuz-linux", "arch/boot/x86_64/initramfs-linux.img",
	       "archisobasedir=arch archiso_http_srv=" URL "/ ip=dhcp");
	expect(alpine, N(alpine), ISO_KIND_ALPINE, "boot/vmlinuz-lts", "boot/initramfs-lts",
	       "alpine_repo=" URL "/apks modloop=" URL "/boot/modloop-lts modules=loop,squashfs ip=dhcp");
}

static void debian_installer(void **state)
{
	static const char *const netinst[] = { "install.amd/vmlinuz", "install.amd/initrd.gz", "pool/main/a/b.deb" };
	static const char *const mini[] = { "linux", "initrd.gz", "boot/grub/grub.cfg" };
	expect(netinst, N(netinst), ISO_KIND_DEBIAN_INSTALLER, "install.amd/vmlinuz", "install.amd/initrd.gz", "");
	expect(mini, N(mini), ISO_KIND_DEBIAN_INSTALLER, "linux", "initrd.gz", "");
}

static void unknown(void **state)
{
	static const char *const windows[] = { "sources/install.wim", "bootmgr", "efi/boot/bootx64.efi" };
	/* half a layout: a kernel without its root */
	static const char *const half[] = { "live/vmlinuz", "live/initrd.img" };
	static const char *const deep[] = { "live/x/vmlinuz", "live/x/initrd.img", "live/x/filesystem.squashfs" };
	struct iso_boot b;

	expect(windows, N(windows), ISO_KIND_SANBOOT, "", "", "");
	expect(half, N(half), ISO_KIND_SANBOOT, "", "", "");
	expect(deep, N(deep), ISO_KIND_SANBOOT, "", "", "");
	iso_kind_classify(NULL, 0, &b);
	assert_int_equal(b.kind, ISO_KIND_SANBOOT);
	assert_non_null(b.note);
}

static void cmdline_bounds(void **state)
{
	static const char *const p[] = { "arch/boot/x86_64/vmlinuz-linux", "arch/boot/x86_64/initramfs-linux.img",
					 "arch/x86_64/airootfs.sfs" };
	struct iso_boot b;
	char buf[40];

	iso_kind_classify(p, N(p), &b);
	assert_int_equal(iso_boot_cmdline(&b, URL, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(iso_boot_cmdline(&b, URL, buf, 0), -ENOSPC);
}

static void names(void **state)
{
	assert_true(iso_name_valid("debian-live-12.5.0-amd64+standard.iso"));
	assert_true(iso_name_valid("X.ISO"));
	assert_false(iso_name_valid(".iso"));
	assert_false(iso_name_valid(".hidden.iso"));
	assert_false(iso_name_valid("a b.iso"));
	assert_false(iso_name_valid("../a.iso"));
	assert_false(iso_name_valid("a/b.iso"));
	assert_false(iso_name_valid("notes.txt"));
	assert_false(iso_name_valid("a.iso;reboot"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debian_live),
		cmocka_unit_test(ubuntu),
		cmocka_unit_test(fedora),
		cmocka_unit_test(arch_alpine),
		cmocka_unit_test(debian_installer),
		cmocka_unit_test(unknown),
		cmocka_unit_test(cmdline_bounds),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
