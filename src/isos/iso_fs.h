/* An ISO file read in place: its primary volume, a path looked up through
 * the directory records, a walk of the first levels. The bytes come with
 * pread; the records are parsed by iso9660.c. */
#pragma once
#include <stdint.h>

#include "isos/iso9660.h"

#define ISO_FS_DIR_MAX (4u << 20)     /* a directory larger than this is refused */
#define ISO_FS_WALK_BUDGET (64u << 20) /* directory bytes one walk reads at most */
#define ISO_FS_PATH_MAX 1024

struct iso_fs {
	int fd;                       /* not owned */
	uint64_t file_size;
	struct iso9660_dirent root;
};

/* -EBADMSG: not ISO 9660; -ERANGE: shorter than its own volume says. */
int iso_fs_open(int fd, struct iso_fs *ret);
/* PATH ("live/vmlinuz", no leading '/') to its entry. -ENOENT, -EBADMSG. */
int iso_fs_lookup(const struct iso_fs *fs, const char *path, struct iso9660_dirent *ret);
/* The entry's byte offset, if its data lies wholly inside the file:
 * -ERANGE (the ISO is truncated) otherwise. */
int iso_fs_data_offset(const struct iso_fs *fs, const struct iso9660_dirent *e, uint64_t *ret);

/* Calls fn for each entry down to MAX_DEPTH levels (1: the root's
 * entries); a non-zero return from fn stops the walk with it. Directories
 * that point back up would make it exponential: past ISO_FS_WALK_BUDGET
 * bytes of directories it stops with -E2BIG. */
typedef int (*iso_fs_visit_fn)(void *userdata, const char *path, const struct iso9660_dirent *e);
int iso_fs_walk(const struct iso_fs *fs, unsigned max_depth, iso_fs_visit_fn fn, void *userdata);
