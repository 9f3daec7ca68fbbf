/* ISO 9660 directory records (ECMA-119 9.1) with Rock Ridge names (RRIP
 * NM), read from byte buffers the caller fetched: enough to find a file's
 * extent in an ISO and serve it in place. Pure, bounded: a record that does
 * not fit its buffer ends the walk with -EBADMSG, never a read past it.
 * Not handled: Joliet (Rock Ridge wins, plain names are the fallback), SUSP
 * continuation areas (CE: the plain name is used), deep-directory
 * relocation (RE/CL). Zisofs (ZF) and multi-extent files are reported so
 * the caller can refuse them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISO9660_SECTOR 2048u
#define ISO9660_NAME_MAX 256
#define ISO9660_PVD_SECTOR 16u
#define ISO9660_MAX_DESCRIPTORS 32   /* volume descriptors looked at before giving up */

struct iso9660_dirent {
	char name[ISO9660_NAME_MAX];  /* Rock Ridge name, else the ISO name without ";1" */
	uint32_t extent;              /* first logical block */
	uint32_t size;                /* bytes */
	bool dir;
	bool zisofs;                  /* Rock Ridge ZF: the data is compressed */
	bool multi_extent;            /* one part of a file split over several records */
	bool symlink;                 /* Rock Ridge SL */
};

/* One volume descriptor (ISO9660_SECTOR bytes). Returns 1 for the primary
 * one (its root directory in *ret_root), 0 for another kind, -ENODATA for
 * the set terminator, -EBADMSG for anything that is not a descriptor. */
int iso9660_descriptor_parse(const uint8_t *buf, size_t len, struct iso9660_dirent *ret_root,
			     uint32_t *ret_volume_blocks);

/* A cursor over a directory's extent (its bytes in buf). */
struct iso9660_dir_cursor {
	const uint8_t *buf;
	size_t len, pos;
};

/* The next entry, "." and ".." skipped. 1: *ret filled; 0: the end;
 * -EBADMSG: a malformed record. */
int iso9660_dir_next(struct iso9660_dir_cursor *c, struct iso9660_dirent *ret);
