/* How a distribution ISO boots over the network, from its file names
 * alone: one table row per layout (the files that identify it, where its
 * kernel and initrd are, the command line its initramfs wants). Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define ISO_KIND_PATH_MAX 256
#define ISO_NAME_MAX 128

enum iso_kind {
	ISO_KIND_LIVE_BOOT,           /* Debian live-boot */
	ISO_KIND_UBUNTU_SERVER,       /* Ubuntu server: casper with the subiquity installer */
	ISO_KIND_CASPER,              /* Ubuntu desktop live */
	ISO_KIND_DRACUT_LIVE,         /* Fedora/RHEL live: LiveOS/squashfs.img */
	ISO_KIND_DRACUT_REPO,         /* Fedora/RHEL installer DVD: the ISO is the package repository */
	ISO_KIND_DRACUT_INSTALLER,    /* Fedora/RHEL netinst: only the installer's stage 2 */
	ISO_KIND_ARCH,                /* archiso */
	ISO_KIND_ALPINE,
	ISO_KIND_DEBIAN_INSTALLER,    /* debian-installer: install.amd/ or a mini.iso */
	ISO_KIND_SANBOOT,             /* none of the above: the whole ISO as an iPXE SAN disk */
};

struct iso_boot {
	enum iso_kind kind;
	char kernel[ISO_KIND_PATH_MAX];   /* paths in the ISO, no leading '/'; "" for sanboot */
	char initrd[ISO_KIND_PATH_MAX];
	char extra[ISO_KIND_PATH_MAX];    /* a third file the command line names (Alpine's modloop) */
	const char *cmdline;              /* template: {iso} the ISO's URL, {extra} the extra path */
	const char *note;                 /* what a user should know, or NULL */
};

/* Classifies from the ISO's paths (any order; "./" or "/" prefixes are
 * ignored). Always succeeds: what fits no row is ISO_KIND_SANBOOT. */
void iso_kind_classify(const char *const *paths, size_t n, struct iso_boot *ret);
const char *iso_kind_name(enum iso_kind k);

/* Is NAME one we serve: a *.iso file name of URL- and menu-safe characters
 * (A-Z a-z 0-9 . _ + -), shorter than ISO_NAME_MAX? */
bool iso_name_valid(const char *name);

/* The command line for ISO_URL (http://SERVER/isos/NAME.iso). Returns its
 * length, or -ENOSPC. */
int iso_boot_cmdline(const struct iso_boot *b, const char *iso_url, char *buf, size_t size);
