/* The ISOs in [isos] dir: each classified in place (no copy), with the
 * reason when it cannot boot. Scanning reads only directory records and the
 * first block of the kernel and initrd; a catalog keeps the results keyed
 * by (path, size, mtime), so a boot script re-reads only what changed.
 * Thread-safe (the HTTP server's threads share one). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "isos/iso_kind.h"

#define ISO_CATALOG_MAX 64            /* files looked at in the directory */
#define ISO_SCAN_DEPTH 4              /* arch/boot/x86_64/vmlinuz-linux */
#define ISO_SCAN_MAX_PATHS 8192
#define ISO_VERIFY_BYTES 65536        /* how much of a file libarchive confirms */

struct iso_item {
	char name[ISO_NAME_MAX];      /* the file name, also its URL: /isos/NAME */
	uint64_t size;
	int64_t mtime_ns;
	int status;                   /* 0: bootable; -errno: listed with the reason only */
	char reason[256];
	struct iso_boot boot;
};

/* Scans one file (DIR_FD: the directory). Never fails: a broken file has
 * status < 0 and a reason. */
void iso_scan(int dir_fd, const char *name, struct iso_item *ret);

struct iso_catalog;
struct iso_catalog *iso_catalog_new(void);
void iso_catalog_free(struct iso_catalog *c);
/* The items of DIR, sorted by name (a copy: free() it). A missing
 * directory is an empty list. c may be NULL: everything is scanned. */
int iso_catalog_list(struct iso_catalog *c, const char *dir, struct iso_item **ret, size_t *ret_n);
