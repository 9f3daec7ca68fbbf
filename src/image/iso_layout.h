/* Which live initramfs an ISO is made for, and where its kernel, initrd and
 * root squashfs images are, from the list of its file names alone. Pure. */
#pragma once
#include <stddef.h>

#define ISO_MAX_SQUASHFS 8
#define ISO_PATH_MAX 256

enum iso_layout_kind {
	ISO_LAYOUT_LIVE_BOOT,      /* Debian live-boot: live/ */
	ISO_LAYOUT_CASPER,         /* Ubuntu 22.04 casper: one casper/filesystem.squashfs */
	ISO_LAYOUT_CASPER_LAYERED, /* Ubuntu 24.04 casper: minimal*.squashfs named as a chain */
};

struct iso_layout {
	enum iso_layout_kind kind;
	char dir[16];                                   /* "live" or "casper" */
	char kernel[ISO_PATH_MAX];                      /* paths in the ISO, no leading '/' */
	char initrd[ISO_PATH_MAX];
	char squashfs[ISO_MAX_SQUASHFS][ISO_PATH_MAX];  /* stack order: bottom first */
	size_t n_squashfs;
	char casper_uuid[ISO_PATH_MAX];                 /* .disk/casper-uuid-*, or "" */
};

/* Would the builder need this ISO entry? (Read while streaming the ISO.) */
int iso_entry_wanted(const char *path);
/* Classifies from the entry names (as libarchive gives them; a leading "./"
 * or "/" is ignored). -ENOENT with a message in ERR if no layout fits. */
int iso_layout_classify(const char *const *paths, size_t n, struct iso_layout *ret, char *err, size_t errlen);
const char *iso_layout_name(enum iso_layout_kind k);
/* Normalises an entry name in place ("./live/x" -> "live/x"). */
const char *iso_path_normalise(const char *path);
