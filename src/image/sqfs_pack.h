/* Squashfs images through libsquashfs (squashfs-tools-ng): a directory tree
 * packed into one image (a layer), and an image's entries walked (diff,
 * checks). Owners, modes, mtimes, device nodes (overlayfs whiteouts are
 * character devices 0/0), fifos, sockets, symlinks, hard links and every
 * xattr (trusted.overlay.opaque, security.capability) are kept. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sqfs_pack_opts {
	const char *compressor;   /* "zstd" (NULL: zstd), "xz", "gzip", "lz4" */
	unsigned workers;         /* compressor threads; 0: one per CPU */
	uint32_t block_size;      /* 0: 128 KiB */
	/* Called now and then with the file bytes read so far (may be NULL). */
	void (*progress)(void *userdata, uint64_t bytes_done);
	void *userdata;
};

struct sqfs_pack_stats {
	uint64_t inodes;
	uint64_t bytes_in;        /* file data read */
	uint64_t bytes_out;       /* size of the image written */
};

/* Packs SRC_DIR into a new squashfs at OUT_PATH (created or truncated; the
 * caller renames it into place). Output is the same bytes for the same tree.
 * 0 or -errno. */
int sqfs_pack_dir(const char *src_dir, const char *out_path, const struct sqfs_pack_opts *opts,
		  struct sqfs_pack_stats *ret_stats);

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
};

/* Calls CB for every entry of the squashfs at PATH, parents before children,
 * names sorted. If CB is given a non-NULL sha256 buffer request (want_hash),
 * regular files' contents are hashed into entry_sha256 (32 bytes) before the
 * call. A negative return from CB stops the walk and is returned. */
typedef int (*sqfs_walk_fn)(const struct sqfs_entry *e, const uint8_t *sha256, void *userdata);
int sqfs_walk(const char *path, bool want_hash, sqfs_walk_fn cb, void *userdata);
