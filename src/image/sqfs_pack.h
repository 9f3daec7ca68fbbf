/* Squashfs images through libsquashfs (squashfs-tools-ng): a directory tree
 * packed into one image (a layer), and an image's entries walked (diff,
 * checks). Owners, modes, mtimes, device nodes (overlayfs whiteouts are
 * character devices 0/0), fifos, sockets, symlinks, hard links and every
 * xattr squashfs can hold (user.*, trusted.* such as trusted.overlay.opaque,
 * security.* such as security.capability) are kept. system.* xattrs (POSIX
 * ACLs) have no place in squashfs: they are skipped and counted. Sparse files
 * are stored as zeros (libsquashfs stores all-zero blocks as holes). Mtimes
 * outside squashfs's unsigned 32-bit range are clamped into it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Caps on what an input tree (packing) or an image (walking) can make us hold
 * or do; past them the call fails (-E2BIG, -ELOOP, -ENAMETOOLONG, -EFBIG). */
#define SQFS_PACK_MAX_ENTRIES (4u << 20)     /* entries of one tree, the root included */
#define SQFS_PACK_MAX_DEPTH 256              /* directory levels below the root */
#define SQFS_PACK_MAX_PATH 4096              /* "/a/b/c" of one entry, NUL included */
#define SQFS_PACK_MAX_FILE_BLOCKS (512u << 10) /* data blocks of one file: libsquashfs
					      * puts the block list on the stack */
#define SQFS_WALK_MAX_XATTRS 1024            /* xattrs of one entry in an image */

struct sqfs_pack_opts {
	const char *compressor;   /* "zstd" (NULL: zstd), "xz", "gzip", "lz4" */
	unsigned workers;         /* compressor threads; 0: one per CPU */
	unsigned level;           /* compression level; 0: the compressor's default */
	uint32_t block_size;      /* 0: 128 KiB; a power of two, 4 KiB to 1 MiB */
	/* Called now and then with the file bytes read so far (may be NULL). */
	void (*progress)(void *userdata, uint64_t bytes_done);
	void *userdata;
};

struct sqfs_pack_stats {
	uint64_t inodes;
	uint64_t bytes_in;        /* file data read */
	uint64_t bytes_out;       /* size of the image written */
	uint64_t xattrs_skipped;  /* system.* xattrs squashfs cannot hold */
};

/* Packs SRC_DIR into a new squashfs at OUT_PATH (created or truncated, and
 * fsync'ed; the caller renames it into place). Output is the same bytes for
 * the same tree: entries sorted bytewise, the superblock's time is the
 * newest mtime in the tree. Mount points below SRC_DIR are descended into.
 * Needs /proc (xattrs of non-directories are read via /proc/self/fd/N/name).
 * 0 or -errno; on failure OUT_PATH is removed (if it was opened). -ESTALE if
 * a file changed type or identity between the scan and reading its data. */
int sqfs_pack_dir(const char *src_dir, const char *out_path, const struct sqfs_pack_opts *opts,
		  struct sqfs_pack_stats *ret_stats);

struct sqfs_xattr {
	const char *key;          /* "trusted.overlay.opaque" */
	const uint8_t *value;
	size_t size;
};

struct sqfs_entry {
	const char *path;         /* "/etc/motd"; "/" for the root */
	mode_t mode;              /* type and permission bits */
	uid_t uid;
	gid_t gid;
	uint64_t size;            /* regular files */
	uint32_t rdev_major, rdev_minor;
	const char *link_target;  /* symlinks, else NULL */
	int64_t mtime;
	uint64_t ino;             /* same for hard links to one inode */
	unsigned n_xattrs;
	const struct sqfs_xattr *xattrs; /* n_xattrs of them, in the image's order */
};

/* Calls CB for every entry of the squashfs at PATH (a regular file, else
 * -EINVAL), parents before children,
 * names sorted. If WANT_HASH, regular files' contents are hashed and CB gets
 * the SHA-256 (32 bytes); otherwise, and for other entries, sha256 is NULL.
 * Everything CB is given lives only for the call. A negative return from CB
 * stops the walk and is returned. A damaged or hostile image gives -EUCLEAN
 * (inconsistent), -ELOOP (directory loop, too deep), -E2BIG (more than
 * SQFS_PACK_MAX_ENTRIES entries), -EFBIG, -ENAMETOOLONG, -EOPNOTSUPP
 * (unknown compressor or feature) or -EIO. 0 when all entries were seen. */
typedef int (*sqfs_walk_fn)(const struct sqfs_entry *e, const uint8_t *sha256, void *userdata);
int sqfs_walk(const char *path, bool want_hash, sqfs_walk_fn cb, void *userdata);
