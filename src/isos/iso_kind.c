/* The layouts (see iso_kind.h). Parameters, from each initramfs's sources:
 * - live-boot: fetch=URL downloads one file, a squashfs or an ISO, into RAM
 *   (9990-networking.sh); it configures the network itself.
 * - casper: url=URL with netboot=url fetches a whole ISO (the URL must end
 *   in .iso) once ip= has configured the network. Ubuntu's server ISO boots
 *   the same way; cloud-config-url=/dev/null keeps cloud-init from
 *   downloading url= a second time (Ubuntu's netboot documentation).
 * - dracut: root=live:URL (90livenet) downloads the image and loop-mounts
 *   an ISO; inst.repo= / inst.stage2= are Anaconda's (a tree with .treeinfo).
 * - archiso: archiso_http_srv=URL/ + archisobasedir fetch
 *   ${srv}${basedir}/x86_64/airootfs.sfs (archiso_pxe_http hook, needs ip=).
 * - Alpine: alpine_repo= an apk repository (the ISO's apks/), modloop= the
 *   kernel modules' squashfs, ip=dhcp (nlplug-findfs / init).
 * - debian-installer: a mini.iso's initrd fetches everything from a mirror;
 *   install.amd/ on a CD image is the CD flavour, which looks for its CD. */
#include "isos/iso_kind.h"
#include "core/util.h"
#include "image/iso_layout.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALTS_MAX 3

struct kind_row {
	enum iso_kind kind;
	const char *name;
	/* each must match a path; a string may list alternatives separated by ' ' */
	const char *needs[2];
	const char *kernel, *initrd, *extra;   /* globs: the first sorted match wins */
	const char *cmdline;
	const char *note;
};

static const struct kind_row rows[] = {
	{ ISO_KIND_LIVE_BOOT, "live-boot", { "live/*.squashfs" }, "live/vmlinuz*", "live/initrd*", NULL,
	  "boot=live fetch={iso}", NULL },
	{ ISO_KIND_UBUNTU_SERVER, "ubuntu-server", { "casper/*server*.squashfs" }, "casper/vmlinuz*", "casper/initrd*",
	  NULL, "boot=casper netboot=url url={iso} ip=dhcp cloud-config-url=/dev/null",
	  "the whole ISO is loaded into RAM: give the machine at least 4 GiB" },
	{ ISO_KIND_CASPER, "casper", { "casper/*.squashfs" }, "casper/vmlinuz*", "casper/initrd*", NULL,
	  "boot=casper netboot=url url={iso} ip=dhcp",
	  "the whole ISO is loaded into RAM: give the machine at least 6 GiB" },
	{ ISO_KIND_DRACUT_LIVE, "dracut-live", { "LiveOS/squashfs.img" },
	  "images/pxeboot/vmlinuz isolinux/vmlinuz", "images/pxeboot/initrd.img isolinux/initrd.img", NULL,
	  "root=live:{iso} rd.live.image rd.neednet=1 ip=dhcp", NULL },
	{ ISO_KIND_DRACUT_REPO, "dracut-installer-repo",
	  { ".treeinfo", "repodata/repomd.xml */repodata/repomd.xml" },
	  "images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", NULL, "inst.repo={iso}/ ip=dhcp", NULL },
	{ ISO_KIND_DRACUT_INSTALLER, "dracut-installer", { ".treeinfo" }, "images/pxeboot/vmlinuz",
	  "images/pxeboot/initrd.img", NULL, "inst.stage2={iso}/ ip=dhcp", "packages come from the network mirrors" },
	{ ISO_KIND_ARCH, "arch", { "arch/x86_64/airootfs.sfs" }, "arch/boot/x86_64/vmlinuz-linux*",
	  "arch/boot/x86_64/initramfs-linux*.img", NULL, "archisobasedir=arch archiso_http_srv={iso}/ ip=dhcp", NULL },
	{ ISO_KIND_ALPINE, "alpine", { "apks/*/APKINDEX.tar.gz" }, "boot/vmlinuz-*", "boot/initramfs-*",
	  "boot/modloop-*", "alpine_repo={iso}/apks modloop={iso}/{extra} modules=loop,squashfs ip=dhcp", NULL },
	{ ISO_KIND_DEBIAN_INSTALLER, "debian-installer", { NULL }, "install.amd/vmlinuz", "install.amd/initrd.gz", NULL,
	  "", "a CD image's installer looks for its CD: choose a network mirror when it asks" },
	{ ISO_KIND_DEBIAN_INSTALLER, "debian-installer", { NULL }, "linux", "initrd.gz", NULL, "", NULL },
};

static const char *const sanboot_note =
	"no known layout: offered as an iPXE SAN disk over HTTP, which may not work "
	"(the booted system must find its files without the ISO as a CD)";

const char *iso_kind_name(enum iso_kind k)
{
	if (k == ISO_KIND_SANBOOT)
		return "sanboot";
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (rows[i].kind == k)
			return rows[i].name;
	return "?";
}

bool iso_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 5 || n >= ISO_NAME_MAX || name[0] == '.' || strcasecmp(name + n - 4, ".iso") != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._+-", name[i]))
			return false;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first (sorted) path matching one of GLOBS' space-separated
 * alternatives, tried in their order; NULL if none. */
static const char *first_match(const char *const *sorted, size_t n, const char *globs)
{
	char buf[256], *alts[ALTS_MAX];
	int k = split_words_copy(globs, buf, sizeof(buf), alts, ALTS_MAX);

	for (int a = 0; a < k; a++)
		for (size_t i = 0; i < n; i++)
			if (fnmatch(alts[a], sorted[i], FNM_PATHNAME) == 0)
				return sorted[i];
	return NULL;
}

static bool row_fits(const struct kind_row *row, const char *const *sorted, size_t n, struct iso_boot *b)
{
	const char *k, *i, *x = NULL;

	for (size_t j = 0; j < ARRAY_SIZE(row->needs) && row->needs[j]; j++)
		if (!first_match(sorted, n, row->needs[j]))
			return false;
	if (!(k = first_match(sorted, n, row->kernel)) || !(i = first_match(sorted, n, row->initrd)))
		return false;
	if (row->extra && !(x = first_match(sorted, n, row->extra)))
		return false;
	if (copy_string(b->kernel, sizeof(b->kernel), k) < 0 || copy_string(b->initrd, sizeof(b->initrd), i) < 0 ||
	    copy_string(b->extra, sizeof(b->extra), x ? x : "") < 0)
		return false;
	b->kind = row->kind;
	b->cmdline = row->cmdline;
	b->note = row->note;
	return true;
}

void iso_kind_classify(const char *const *paths, size_t n, struct iso_boot *ret)
{
	const char **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct iso_boot b = { .kind = ISO_KIND_SANBOOT, .cmdline = "", .note = sanboot_note };

	if (sorted) {
		for (size_t i = 0; i < n; i++)
			sorted[i] = iso_path_normalise(paths[i]);
		qsort(sorted, n, sizeof(*sorted), cmp_str);
		for (size_t r = 0; r < ARRAY_SIZE(rows); r++) {
			struct iso_boot t = { 0 };
			if (row_fits(&rows[r], sorted, n, &t)) {
				b = t;
				break;
			}
		}
		free(sorted);
	}
	*ret = b;
}

int iso_boot_cmdline(const struct iso_boot *b, const char *iso_url, char *buf, size_t size)
{
	struct textbuf o = { .buf = buf, .size = size };
	const char *p = b->cmdline;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	while (*p) {
		if (strncmp(p, "{iso}", 5) == 0) {
			textbuf_printf(&o, "%s", iso_url);
			p += 5;
		} else if (strncmp(p, "{extra}", 7) == 0) {
			textbuf_printf(&o, "%s", b->extra);
			p += 7;
		} else {
			textbuf_printf(&o, "%c", *p++);
		}
	}
	return o.overflow ? -ENOSPC : (int)o.len;
}
