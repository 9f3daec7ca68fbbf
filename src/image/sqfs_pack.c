/* Squashfs packer and walker on libsquashfs 1.2's writer and reader objects.
 *
 * Packing runs in four passes: (1) the tree is scanned into memory, entries
 * sorted bytewise within each directory (squashfs looks names up in order),
 * xattrs recorded in that order; (2) hard links are resolved by (st_dev,
 * st_ino); (3) file data goes through the multi-threaded block processor in
 * tree order, which hands back each file's inode once all its blocks are
 * written; (4) inodes are numbered and written children-first, since a
 * directory listing names the inode-table positions of its entries and a
 * directory inode the position of its listing. Then the fragment, id and
 * xattr tables and finally the superblock. Nothing depends on the clock or on
 * readdir order, so the same tree gives the same bytes.
 *
 * Walking reads an image back through the directory, data and xattr readers,
 * checking what a hostile image could use against us: names, order, types,
 * loops, depth and counts. */
#include "image/sqfs_pack.h"

#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <openssl/evp.h>
#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr.h>
#include <sqfs/xattr_reader.h>
#include <sqfs/xattr_writer.h>

#define DEFAULT_BLOCK_SIZE (128u << 10)
#define DEVBLK_SIZE 4096              /* image padded to this, like mksquashfs */
#define MAX_WORKERS 64
#define READ_CHUNK (1u << 20)         /* file data read per read(2) */
#define PROGRESS_STEP (8u << 20)      /* progress callback at most every 8 MiB */
#define NO_XATTR 0xFFFFFFFFu

/* ---- an sqfs_file_t on a file descriptor --------------------------------
 * libsquashfs's own sqfs_open_file() reports every failed read or write as
 * SQFS_ERROR_IO; this one keeps errno (ENOSPC, EDQUOT...) to return it, and
 * opens with O_CLOEXEC. */

struct fd_file {
	sqfs_file_t base;
	int fd;
	int err;         /* errno of the last failed call, 0 if none */
	uint64_t size;
};

static void fd_file_destroy(sqfs_object_t *obj)
{
	struct fd_file *f = (struct fd_file *)obj;

	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

static int fd_file_read_at(sqfs_file_t *base, sqfs_u64 offset, void *buf, size_t size)
{
	struct fd_file *f = (struct fd_file *)base;

	/* A table said to lie past the end is corruption, not an I/O error. */
	if (offset > f->size || size > f->size - offset)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	while (size > 0) {
		ssize_t n = pread(f->fd, buf, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->err = errno;
			return SQFS_ERROR_IO;
		}
		if (n == 0)
			return SQFS_ERROR_OUT_OF_BOUNDS;
		buf = (uint8_t *)buf + n;
		size -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int fd_file_write_at(sqfs_file_t *base, sqfs_u64 offset, const void *buf, size_t size)
{
	struct fd_file *f = (struct fd_file *)base;

	while (size > 0) {
		ssize_t n = pwrite(f->fd, buf, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			f->err = n < 0 ? errno : EIO;
			return SQFS_ERROR_IO;
		}
		buf = (const uint8_t *)buf + n;
		size -= (size_t)n;
		offset += (uint64_t)n;
	}
	if (offset > f->size)
		f->size = offset;
	return 0;
}

static sqfs_u64 fd_file_get_size(const sqfs_file_t *base)
{
	return ((const struct fd_file *)base)->size;
}

static int fd_file_truncate(sqfs_file_t *base, sqfs_u64 size)
{
	struct fd_file *f = (struct fd_file *)base;

	if (ftruncate(f->fd, (off_t)size) < 0) {
		f->err = errno;
		return SQFS_ERROR_IO;
	}
	f->size = size;
	return 0;
}

/* Opens PATH for reading (WRITE false) or creates/truncates it. -errno. */
static int fd_file_open(const char *path, bool write, struct fd_file **ret)
{
	_cleanup_close_ int fd = -1;
	struct fd_file *f;
	struct stat st;

	fd = open(path, write ? O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDONLY | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->base.base.destroy = fd_file_destroy;
	f->base.read_at = fd_file_read_at;
	f->base.write_at = fd_file_write_at;
	f->base.get_size = fd_file_get_size;
	f->base.truncate = fd_file_truncate;
	f->size = (uint64_t)st.st_size;
	f->fd = TAKE_FD(fd);
	*ret = f;
	return 0;
}

/* libsquashfs error codes to -errno; an I/O error gives the errno we saw. */
static int sqfs_errno(int r, const struct fd_file *f)
{
	switch (r) {
	case 0:
		return 0;
	case SQFS_ERROR_ALLOC:
		return -ENOMEM;
	case SQFS_ERROR_IO:
		return f && f->err ? -f->err : -EIO;
	case SQFS_ERROR_CORRUPTED:
	case SQFS_ERROR_OUT_OF_BOUNDS:
	case SFQS_ERROR_SUPER_MAGIC: /* sic, libsquashfs 1.2 */
	case SQFS_ERROR_SUPER_BLOCK_SIZE:
	case SQFS_ERROR_NOT_DIR:
	case SQFS_ERROR_NOT_FILE:
		return -EUCLEAN;
	case SQFS_ERROR_UNSUPPORTED:
	case SFQS_ERROR_SUPER_VERSION:
		return -EOPNOTSUPP;
	case SQFS_ERROR_OVERFLOW:
		return -EOVERFLOW;
	case SQFS_ERROR_LINK_LOOP:
		return -ELOOP;
	case SQFS_ERROR_NO_ENTRY:
		return -ENOENT;
	case SQFS_ERROR_ARG_INVALID:
		return -EINVAL;
	default: /* SQFS_ERROR_COMPRESSOR on a damaged block, INTERNAL, SEQUENCE */
		return -EIO;
	}
}

/* Compressor names we accept (the ones Debian's libsquashfs is built with). */
static int compressor_id(const char *name, SQFS_COMPRESSOR *ret)
{
	static const struct {
		const char *name;
		SQFS_COMPRESSOR id;
	} table[] = {
		{ "zstd", SQFS_COMP_ZSTD },
		{ "xz", SQFS_COMP_XZ },
		{ "gzip", SQFS_COMP_GZIP },
		{ "lz4", SQFS_COMP_LZ4 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(name ? name : "zstd", table[i].name)) {
			*ret = table[i].id;
			return 0;
		}
	return -EINVAL;
}

/* ---- packing: the tree in memory ---------------------------------------- */

struct node {
	struct node *parent;
	struct node **children;     /* directories: sorted by name, bytewise */
	uint32_t n_children;
	uint32_t n_subdirs;
	struct node *link_to;       /* a hard link's other name that owns the inode */
	char *target;               /* symlinks */
	sqfs_inode_generic_t *inode; /* regular files: built by the block processor */
	uint64_t inode_ref;         /* position in the inode table, once written */
	uint32_t inode_num;         /* 1.., 0 until numbered */
	uint32_t xattr_idx;
	uint32_t nlink;             /* names of this inode within the tree */
	uint32_t seq;               /* scan order, to break ties deterministically */
	bool written;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	dev_t dev, rdev;
	ino_t ino;
	nlink_t st_nlink;
	int64_t mtime;
	char name[];
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->n_children; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->target);
	free(n->inode);
	free(n);
}

static struct node *node_new(struct node *parent, const char *name)
{
	size_t len = strlen(name);
	struct node *n = calloc(1, sizeof(*n) + len + 1);

	if (!n)
		return NULL;
	n->parent = parent;
	n->xattr_idx = NO_XATTR;
	memcpy(n->name, name, len + 1);
	return n;
}

/* A growable array of node pointers. */
struct node_list {
	struct node **v;
	size_t n, cap;
};

static int node_list_add(struct node_list *l, struct node *n)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct node **v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = n;
	return 0;
}

struct packer {
	const struct sqfs_pack_opts *opts;
	uint32_t block_size;
	SQFS_COMPRESSOR comp;
	unsigned level;
	unsigned workers;
	int root_fd;

	struct fd_file *out;
	sqfs_compressor_t *cmp, *uncmp;
	sqfs_super_t super;
	sqfs_block_writer_t *blkwr;
	sqfs_frag_table_t *frag;
	sqfs_block_processor_t *proc;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xwr;
	sqfs_meta_writer_t *im, *dm;
	sqfs_dir_writer_t *dirwr;

	struct node *root;
	size_t n_entries;
	uint32_t next_seq;
	struct node_list files;     /* regular files, tree order */
	struct node_list links;     /* non-directories with st_nlink > 1 */
	uint32_t next_ino, written_ino;
	int64_t max_mtime;
	uint64_t bytes_in, progress_at, xattrs_skipped;
	uint8_t *buf;               /* READ_CHUNK; also xattr values and padding */
	char *xlist;                /* XATTR_LIST_MAX: one entry's xattr names */
	char **xkeys;               /* pointers into xlist */
};

static void packer_done(struct packer *p)
{
	/* The block processor holds pointers into the tree: it goes first. */
	sqfs_destroy(p->proc);
	sqfs_destroy(p->dirwr);
	sqfs_destroy(p->dm);
	sqfs_destroy(p->im);
	sqfs_destroy(p->xwr);
	sqfs_destroy(p->ids);
	sqfs_destroy(p->blkwr);
	sqfs_destroy(p->frag);
	sqfs_destroy(p->uncmp);
	sqfs_destroy(p->cmp);
	sqfs_destroy(p->out);
	node_free(p->root);
	free(p->files.v);
	free(p->links.v);
	free(p->buf);
	free(p->xlist);
	free(p->xkeys);
	if (p->root_fd >= 0)
		close(p->root_fd);
}

static int by_name(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;

	return strcmp(x->name, y->name); /* compares as unsigned char: bytewise */
}

static int by_key(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return strcmp(x, y);
}

/* Records NODE's xattrs: through FD when >= 0 (directories), else through
 * the name below DFD ("/proc/self/fd/N/name": the directory fd pins where we
 * are, and l*xattr does not follow a symlink at the end). Keys are added
 * sorted, so the result does not depend on the filesystem's order. */
static int scan_xattrs(struct packer *p, int fd, int dfd, const char *name, struct node *n)
{
	char path[64 + NAME_MAX], *list = p->xlist, **keys = p->xkeys;
	size_t n_keys = 0;
	ssize_t len;
	int r;

	if (fd < 0 && snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	len = fd >= 0 ? flistxattr(fd, list, XATTR_LIST_MAX) : llistxattr(path, list, XATTR_LIST_MAX);
	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno; /* a filesystem without xattrs */
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1) {
		if (sqfs_get_xattr_prefix_id(list + i) < 0) {
			p->xattrs_skipped++;
			continue;
		}
		keys[n_keys++] = list + i;
	}
	if (n_keys == 0)
		return 0;
	qsort(keys, n_keys, sizeof(keys[0]), by_key);

	r = sqfs_xattr_writer_begin(p->xwr, 0);
	for (size_t i = 0; i < n_keys && r == 0; i++) {
		ssize_t vlen = fd >= 0 ? fgetxattr(fd, keys[i], p->buf, XATTR_SIZE_MAX)
				       : lgetxattr(path, keys[i], p->buf, XATTR_SIZE_MAX);

		if (vlen < 0)
			return errno == ENODATA ? -ESTALE : -errno;
		r = sqfs_xattr_writer_add(p->xwr, keys[i], p->buf, (size_t)vlen);
	}
	if (r == 0)
		r = sqfs_xattr_writer_end(p->xwr, &n->xattr_idx);
	return sqfs_errno(r, NULL);
}

static void take_stat(struct packer *p, struct node *n, const struct stat *st)
{
	n->mode = st->st_mode;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->rdev = st->st_rdev;
	n->st_nlink = st->st_nlink;
	n->mtime = st->st_mtim.tv_sec;
	n->nlink = 1;
	n->seq = p->next_seq++;
	p->max_mtime = MAX(p->max_mtime, n->mtime);
}

/* Reads DIR's names (readdir order is the filesystem's), sorted. */
static int read_names(struct packer *p, int dfd, struct node *dir)
{
	_cleanup_close_ int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	struct node_list l = { 0 };
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	rewinddir(d);
	for (errno = 0; (de = readdir(d)); errno = 0) {
		struct node *c;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (++p->n_entries >= SQFS_PACK_MAX_ENTRIES) {
			r = -E2BIG;
			break;
		}
		c = node_new(dir, de->d_name);
		if (!c || node_list_add(&l, c) < 0) {
			free(c);
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0 && errno)
		r = -errno;
	closedir(d);
	if (l.n > UINT32_MAX)
		r = -E2BIG;
	dir->children = l.v;
	dir->n_children = (uint32_t)l.n; /* freed with DIR even on error */
	if (r == 0 && l.n > 1)
		qsort(l.v, l.n, sizeof(l.v[0]), by_name);
	return r;
}

static int scan_dir(struct packer *p, int dfd, struct node *dir, unsigned depth, size_t path_len);

/* Stats one entry of the directory open as DFD and records it. */
static int scan_entry(struct packer *p, int dfd, struct node *n, unsigned depth, size_t path_len)
{
	struct stat st;
	int r;

	if (path_len + 1 + strlen(n->name) >= SQFS_PACK_MAX_PATH)
		return -ENAMETOOLONG;
	if (fstatat(dfd, n->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	take_stat(p, n, &st);

	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		_cleanup_close_ int fd = openat(dfd, n->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st2;

		if (fd < 0)
			return -errno;
		if (fstat(fd, &st2) < 0)
			return -errno;
		if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
			return -ESTALE; /* swapped between fstatat and open */
		if (depth + 1 > SQFS_PACK_MAX_DEPTH)
			return -ELOOP;
		n->parent->n_subdirs++;
		r = scan_xattrs(p, fd, -1, NULL, n);
		if (r < 0)
			return r;
		return scan_dir(p, fd, n, depth + 1, path_len + 1 + strlen(n->name));
	}
	case S_IFLNK: {
		size_t size = st.st_size > 0 ? (size_t)st.st_size + 1 : SQFS_PACK_MAX_PATH;
		ssize_t len;

		if (size > SQFS_PACK_MAX_PATH)
			return -ENAMETOOLONG;
		n->target = malloc(size);
		if (!n->target)
			return -ENOMEM;
		len = readlinkat(dfd, n->name, n->target, size);
		if (len < 0)
			return -errno;
		if ((size_t)len >= size || len == 0)
			return -ESTALE; /* changed since fstatat */
		n->target[len] = '\0';
		break;
	}
	case S_IFREG:
		r = node_list_add(&p->files, n);
		if (r < 0)
			return r;
		break;
	case S_IFCHR:
	case S_IFBLK:
		/* squashfs keeps 12-bit majors and 20-bit minors. */
		if (major(st.st_rdev) > 0xfff || minor(st.st_rdev) > 0xfffff)
			return -EOVERFLOW;
		break;
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (st.st_nlink > 1) {
		r = node_list_add(&p->links, n);
		if (r < 0)
			return r;
	}
	return scan_xattrs(p, -1, dfd, n->name, n);
}

/* All of DIR's entries first, then its subdirectories: each step in name
 * order, so xattr and file order follow the names alone. */
static int scan_dir(struct packer *p, int dfd, struct node *dir, unsigned depth, size_t path_len)
{
	int r = read_names(p, dfd, dir);

	for (uint32_t i = 0; r == 0 && i < dir->n_children; i++)
		r = scan_entry(p, dfd, dir->children[i], depth, path_len);
	return r;
}

static int scan_tree(struct packer *p, const char *src_dir)
{
	struct stat st;
	int r;

	p->root_fd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->root_fd < 0)
		return -errno;
	if (fstat(p->root_fd, &st) < 0)
		return -errno;
	p->root = node_new(NULL, "");
	if (!p->root)
		return -ENOMEM;
	p->n_entries = 1;
	take_stat(p, p->root, &st);
	r = scan_xattrs(p, p->root_fd, -1, NULL, p->root);
	if (r < 0)
		return r;
	return scan_dir(p, p->root_fd, p->root, 0, 0);
}

static int by_inode(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Names sharing (st_dev, st_ino) become one inode, owned by the first name
 * in scan order; only that one's data is packed. */
static int resolve_hard_links(struct packer *p)
{
	struct node **v = p->links.v;
	size_t out = 0;

	if (p->links.n > 1)
		qsort(v, p->links.n, sizeof(v[0]), by_inode);
	for (size_t i = 0, j; i < p->links.n; i = j) {
		for (j = i + 1; j < p->links.n && v[j]->dev == v[i]->dev && v[j]->ino == v[i]->ino; j++)
			v[j]->link_to = v[i];
		v[i]->nlink = (uint32_t)(j - i);
	}
	for (size_t i = 0; i < p->files.n; i++)
		if (!p->files.v[i]->link_to)
			p->files.v[out++] = p->files.v[i];
	p->files.n = out;
	return 0;
}

/* ---- packing: the image ------------------------------------------------- */

static int open_image(struct packer *p, const char *out_path)
{
	sqfs_block_processor_desc_t desc = { .size = sizeof(desc) };
	sqfs_compressor_config_t cfg;
	struct stat st;
	int r;

	r = fd_file_open(out_path, true, &p->out);
	if (r < 0)
		return r;
	/* An image written into the tree it packs would read itself. */
	if (fstat(p->out->fd, &st) < 0)
		return -errno;
	for (size_t i = 0; i < p->files.n; i++)
		if (p->files.v[i]->dev == st.st_dev && p->files.v[i]->ino == st.st_ino)
			return -EINVAL;
	r = sqfs_compressor_config_init(&cfg, p->comp, p->block_size, 0);
	if (r == 0 && p->level)
		cfg.level = p->level;
	if (r == 0)
		r = sqfs_compressor_create(&cfg, &p->cmp);
	if (r == 0) {
		/* The block processor reads fragment blocks back to confirm a
		 * duplicate tail end byte for byte, not by hash alone. */
		cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
		r = sqfs_compressor_create(&cfg, &p->uncmp);
	}
	if (r == 0)
		r = sqfs_super_init(&p->super, p->block_size, 0, p->comp);
	if (r)
		return sqfs_errno(r, p->out);
	/* A placeholder superblock, then the compressor's options, then data. */
	r = sqfs_super_write(&p->super, &p->out->base);
	if (r)
		return sqfs_errno(r, p->out);
	r = p->cmp->write_options(p->cmp, &p->out->base);
	if (r < 0)
		return sqfs_errno(r, p->out);
	if (r > 0)
		p->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

	p->blkwr = sqfs_block_writer_create(&p->out->base, DEVBLK_SIZE, 0);
	p->frag = sqfs_frag_table_create(0);
	p->ids = sqfs_id_table_create(0);
	p->im = sqfs_meta_writer_create(&p->out->base, p->cmp, 0);
	/* Directories are written after the inodes: kept in memory till then. */
	p->dm = sqfs_meta_writer_create(&p->out->base, p->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	p->dirwr = p->dm ? sqfs_dir_writer_create(p->dm, 0) : NULL;
	if (!p->blkwr || !p->frag || !p->ids || !p->im || !p->dm || !p->dirwr)
		return -ENOMEM;

	desc.max_block_size = p->block_size;
	desc.num_workers = p->workers;
	desc.max_backlog = 10 * p->workers; /* blocks in flight, as gensquashfs */
	desc.cmp = p->cmp;
	desc.wr = p->blkwr;
	desc.tbl = p->frag;
	desc.file = &p->out->base;
	desc.uncmp = p->uncmp;
	r = sqfs_block_processor_create_ex(&desc, &p->proc);
	return sqfs_errno(r, p->out);
}

static void report_progress(struct packer *p, bool force)
{
	if (!p->opts || !p->opts->progress)
		return;
	if (!force && p->bytes_in - p->progress_at < PROGRESS_STEP)
		return;
	p->progress_at = p->bytes_in;
	p->opts->progress(p->opts->userdata, p->bytes_in);
}

/* "a/b/c" of N below the root, into BUF (SQFS_PACK_MAX_PATH). */
static int node_rel_path(const struct node *n, char *buf)
{
	size_t len = 0;

	for (const struct node *it = n; it->parent; it = it->parent)
		len += strlen(it->name) + 1;
	if (len == 0 || len > SQFS_PACK_MAX_PATH)
		return -ENAMETOOLONG; /* the root, or longer than the scan allowed */
	buf[--len] = '\0';
	for (const struct node *it = n; it->parent; it = it->parent) {
		size_t l = strlen(it->name);

		len -= l;
		memcpy(buf + len, it->name, l);
		if (len)
			buf[--len] = '/';
	}
	return 0;
}

/* Opens N's data, refusing symlinks and anything that is no longer the file
 * the scan saw (a racing rename must not pull foreign data in). */
static int open_file(struct packer *p, const struct node *n, struct stat *st)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char rel[SQFS_PACK_MAX_PATH];
	_cleanup_close_ int fd = -1;

	if (node_rel_path(n, rel) < 0)
		return -ENAMETOOLONG;
	fd = (int)syscall(SYS_openat2, p->root_fd, rel, &how, sizeof(how));
	if (fd < 0)
		return errno == ELOOP || errno == EXDEV ? -ESTALE : -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode) || st->st_dev != n->dev || st->st_ino != n->ino)
		return -ESTALE;
	return TAKE_FD(fd);
}

/* Feeds one file through the block processor: at most the size it had when
 * opened, so a file that grows meanwhile cannot make the image grow. */
static int pack_file(struct packer *p, struct node *n)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t left;
	int r;

	fd = open_file(p, n, &st);
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size / p->block_size >= SQFS_PACK_MAX_FILE_BLOCKS)
		return -EFBIG;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	r = sqfs_block_processor_begin_file(p->proc, &n->inode, NULL, 0);
	for (left = (uint64_t)st.st_size; r == 0 && left > 0;) {
		ssize_t got = read(fd, p->buf, MIN(left, READ_CHUNK));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break; /* shrank: keep what there was */
		r = sqfs_block_processor_append(p->proc, p->buf, (size_t)got);
		left -= (uint64_t)got;
		p->bytes_in += (uint64_t)got;
		report_progress(p, false);
	}
	if (r == 0)
		r = sqfs_block_processor_end_file(p->proc);
	return sqfs_errno(r, p->out);
}

static int pack_files(struct packer *p)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < p->files.n; i++)
		r = pack_file(p, p->files.v[i]);
	if (r == 0)
		r = sqfs_errno(sqfs_block_processor_finish(p->proc), p->out);
	report_progress(p, true);
	return r;
}

static struct node *inode_of(struct node *n)
{
	return n->link_to ? n->link_to : n;
}

/* Numbers inodes in the order serialize() writes them: a directory's
 * entries (subtrees first) before the directory, the root last. A
 * directory's inode needs its parent's number, hence a pass of its own. */
static int number_inodes(struct packer *p, struct node *dir)
{
	for (uint32_t i = 0; i < dir->n_children; i++) {
		struct node *t = inode_of(dir->children[i]);

		if (t->inode_num)
			continue; /* a hard link met before */
		if (S_ISDIR(t->mode)) {
			int r = number_inodes(p, t);

			if (r < 0)
				return r;
		} else {
			if (p->next_ino == UINT32_MAX)
				return -E2BIG;
			t->inode_num = ++p->next_ino;
		}
	}
	if (p->next_ino == UINT32_MAX)
		return -E2BIG;
	dir->inode_num = ++p->next_ino;
	return 0;
}

static uint32_t clamp_time(int64_t t)
{
	return t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* squashfs's device number: Linux's new_encode_dev(). */
static uint32_t encode_dev(dev_t d)
{
	uint32_t ma = major(d), mi = minor(d);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

static sqfs_inode_generic_t *make_inode(const struct node *n)
{
	size_t extra = n->target ? strlen(n->target) : 0;
	sqfs_inode_generic_t *in = calloc(1, sizeof(*in) + extra);

	if (!in)
		return NULL;
	switch (n->mode & S_IFMT) {
	case S_IFLNK:
		in->base.type = SQFS_INODE_SLINK;
		in->data.slink.target_size = (uint32_t)extra;
		memcpy(in->extra, n->target, extra);
		in->payload_bytes_available = in->payload_bytes_used = (uint32_t)extra;
		break;
	case S_IFBLK:
	case S_IFCHR:
		in->base.type = S_ISBLK(n->mode) ? SQFS_INODE_BDEV : SQFS_INODE_CDEV;
		in->data.dev.devno = encode_dev(n->rdev);
		break;
	case S_IFIFO:
		in->base.type = SQFS_INODE_FIFO;
		break;
	default:
		in->base.type = SQFS_INODE_SOCKET;
		break;
	}
	return in;
}

/* A directory's listing (into the directory table) and its inode. */
static sqfs_inode_generic_t *make_dir_inode(struct packer *p, const struct node *dir, int *ret)
{
	sqfs_inode_generic_t *in;
	int r = sqfs_dir_writer_begin(p->dirwr, 0);

	for (uint32_t i = 0; r == 0 && i < dir->n_children; i++) {
		const struct node *c = dir->children[i], *t = inode_of(dir->children[i]);

		r = sqfs_dir_writer_add_entry(p->dirwr, c->name, t->inode_num, t->inode_ref,
					      (sqfs_u16)t->mode);
	}
	if (r == 0)
		r = sqfs_dir_writer_end(p->dirwr);
	if (r) {
		*ret = sqfs_errno(r, p->out);
		return NULL;
	}
	in = sqfs_dir_writer_create_inode(p->dirwr, 0, dir->xattr_idx,
					  dir->parent ? dir->parent->inode_num : 0);
	if (!in) {
		*ret = -ENOMEM;
		return NULL;
	}
	/* POSIX's count, not the library's entries + 2. */
	if (in->base.type == SQFS_INODE_EXT_DIR)
		in->data.dir_ext.nlink = 2 + dir->n_subdirs;
	else
		in->data.dir.nlink = 2 + dir->n_subdirs;
	return in;
}

static void set_nlink(sqfs_inode_generic_t *in, uint32_t nlink)
{
	switch (in->base.type) {
	case SQFS_INODE_FILE:
		if (nlink > 1) {
			sqfs_inode_make_extended(in); /* only extended files count links */
			in->data.file_ext.nlink = nlink;
		}
		break;
	case SQFS_INODE_EXT_FILE:
		in->data.file_ext.nlink = nlink;
		break;
	case SQFS_INODE_DIR:
	case SQFS_INODE_EXT_DIR:
		break;
	default: /* nlink comes first in every other inode, basic or extended */
		in->data.ipc.nlink = nlink;
		break;
	}
}

static int write_inode(struct packer *p, struct node *n)
{
	_cleanup_free_ sqfs_inode_generic_t *in = NULL;
	sqfs_u64 block;
	sqfs_u32 offset;
	int r = -ENOMEM;

	if (S_ISDIR(n->mode))
		in = make_dir_inode(p, n, &r);
	else if (S_ISREG(n->mode))
		in = TAKE_PTR(n->inode);
	else
		in = make_inode(n);
	if (!in)
		return S_ISREG(n->mode) ? -EIO : r;
	/* Written in number order, as number_inodes() promised. */
	if (n->inode_num != ++p->written_ino)
		return -EIO;

	in->base.mode = (sqfs_u16)n->mode;
	in->base.mod_time = clamp_time(n->mtime);
	in->base.inode_number = n->inode_num;
	r = sqfs_inode_set_xattr_index(in, n->xattr_idx);
	if (r == 0)
		r = sqfs_id_table_id_to_index(p->ids, n->uid, &in->base.uid_idx);
	if (r == 0)
		r = sqfs_id_table_id_to_index(p->ids, n->gid, &in->base.gid_idx);
	if (r)
		return sqfs_errno(r, p->out);
	set_nlink(in, n->nlink);

	sqfs_meta_writer_get_position(p->im, &block, &offset);
	n->inode_ref = block << 16 | offset;
	n->written = true;
	return sqfs_errno(sqfs_meta_writer_write_inode(p->im, in), p->out);
}

/* Children before parents: a listing needs its entries' inode positions. */
static int serialize(struct packer *p, struct node *dir)
{
	for (uint32_t i = 0; i < dir->n_children; i++) {
		struct node *t = inode_of(dir->children[i]);
		int r;

		if (t->written)
			continue;
		r = S_ISDIR(t->mode) ? serialize(p, t) : write_inode(p, t);
		if (r < 0)
			return r;
	}
	return write_inode(p, dir);
}

static int write_tables(struct packer *p)
{
	sqfs_file_t *f = &p->out->base;
	uint64_t pad;
	int r;

	r = number_inodes(p, p->root);
	if (r < 0)
		return r;
	p->super.inode_count = p->next_ino;
	p->super.inode_table_start = f->get_size(f);
	r = serialize(p, p->root);
	if (r < 0)
		return r;
	r = sqfs_meta_writer_flush(p->im);
	if (r == 0)
		r = sqfs_meta_writer_flush(p->dm);
	if (r)
		return sqfs_errno(r, p->out);
	p->super.root_inode_ref = p->root->inode_ref;
	p->super.directory_table_start = f->get_size(f);
	r = sqfs_meta_write_write_to_file(p->dm);
	if (r == 0)
		r = sqfs_frag_table_write(p->frag, f, &p->super, p->cmp);
	if (r == 0)
		r = sqfs_id_table_write(p->ids, f, &p->super, p->cmp);
	if (r == 0)
		r = sqfs_xattr_writer_flush(p->xwr, f, &p->super, p->cmp);
	if (r)
		return sqfs_errno(r, p->out);

	/* The tree's newest mtime, not now: the same tree, the same bytes. */
	p->super.modification_time = clamp_time(p->max_mtime);
	p->super.bytes_used = f->get_size(f);
	r = sqfs_super_write(&p->super, f);
	if (r)
		return sqfs_errno(r, p->out);
	/* Loop devices want whole device blocks; bytes_used excludes this. */
	pad = (DEVBLK_SIZE - p->super.bytes_used % DEVBLK_SIZE) % DEVBLK_SIZE;
	if (pad) {
		memset(p->buf, 0, pad);
		r = f->write_at(f, p->super.bytes_used, p->buf, pad);
		if (r)
			return sqfs_errno(r, p->out);
	}
	if (fsync(p->out->fd) < 0)
		return -errno;
	return 0;
}

static int packer_init(struct packer *p, const struct sqfs_pack_opts *opts)
{
	long cpus;
	int r;

	p->root_fd = -1;
	p->opts = opts;
	r = compressor_id(opts ? opts->compressor : NULL, &p->comp);
	if (r < 0)
		return r;
	p->level = opts ? opts->level : 0;
	p->block_size = opts && opts->block_size ? opts->block_size : DEFAULT_BLOCK_SIZE;
	if (p->block_size < SQFS_MIN_BLOCK_SIZE || p->block_size > SQFS_MAX_BLOCK_SIZE ||
	    (p->block_size & (p->block_size - 1)))
		return -EINVAL;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	p->workers = opts && opts->workers ? opts->workers : cpus > 0 ? (unsigned)cpus : 1;
	p->workers = MIN(p->workers, MAX_WORKERS);
	/* READ_CHUNK also serves as the xattr value buffer and the padding. */
	p->buf = malloc(MAX(READ_CHUNK, XATTR_SIZE_MAX));
	p->xlist = malloc(XATTR_LIST_MAX);
	p->xkeys = calloc(XATTR_LIST_MAX / 2, sizeof(char *));
	p->xwr = sqfs_xattr_writer_create(0);
	if (!p->buf || !p->xlist || !p->xkeys || !p->xwr)
		return -ENOMEM;
	return 0;
}

int sqfs_pack_dir(const char *src_dir, const char *out_path, const struct sqfs_pack_opts *opts,
		  struct sqfs_pack_stats *ret_stats)
{
	_cleanup_(packer_done) struct packer p = { .root_fd = -1 };
	int r;

	if (!src_dir || !out_path)
		return -EINVAL;
	r = packer_init(&p, opts);
	if (r < 0)
		return r;
	/* The whole tree is read before the output exists: most failures
	 * leave nothing behind. */
	r = scan_tree(&p, src_dir);
	if (r < 0)
		return r;
	r = resolve_hard_links(&p);
	if (r < 0)
		return r;
	r = open_image(&p, out_path);
	if (r == 0)
		r = pack_files(&p);
	if (r == 0)
		r = write_tables(&p);
	if (r < 0) {
		if (p.out)
			(void)unlink(out_path);
		return r;
	}
	if (ret_stats)
		*ret_stats = (struct sqfs_pack_stats){
			.inodes = p.next_ino,
			.bytes_in = p.bytes_in,
			.bytes_out = p.out->size,
			.xattrs_skipped = p.xattrs_skipped,
		};
	return 0;
}

/* ---- walking an image --------------------------------------------------- */

struct walker {
	struct fd_file *file;
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_id_table_t *ids;
	sqfs_dir_reader_t *dr;
	sqfs_data_reader_t *data;
	sqfs_xattr_reader_t *xr;    /* NULL: the image has no xattrs */
	EVP_MD_CTX *md;
	uint8_t *buf;               /* one block */
	bool want_hash;
	sqfs_walk_fn cb;
	void *userdata;
	size_t entries;
	uint32_t ancestors[SQFS_PACK_MAX_DEPTH + 1]; /* directory inode numbers */
	char path[SQFS_PACK_MAX_PATH];
};

static void walker_done(struct walker *w)
{
	sqfs_destroy(w->data);
	sqfs_destroy(w->dr);
	sqfs_destroy(w->xr);
	sqfs_destroy(w->ids);
	sqfs_destroy(w->cmp);
	sqfs_destroy(w->file);
	EVP_MD_CTX_free(w->md);
	free(w->buf);
}

static int walker_open(struct walker *w, const char *path)
{
	sqfs_compressor_config_t cfg;
	int r;

	r = fd_file_open(path, false, &w->file);
	if (r < 0)
		return r;
	r = sqfs_super_read(&w->super, &w->file->base);
	if (r)
		return sqfs_errno(r, w->file);
	r = sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)w->super.compression_id,
					w->super.block_size, SQFS_COMP_FLAG_UNCOMPRESS);
	if (r == 0)
		r = sqfs_compressor_create(&cfg, &w->cmp);
	if (r)
		return r == SQFS_ERROR_ALLOC ? -ENOMEM : -EOPNOTSUPP;
	if (!(w->super.flags & SQFS_FLAG_NO_XATTRS)) {
		w->xr = sqfs_xattr_reader_create(0);
		if (!w->xr)
			return -ENOMEM;
		r = sqfs_xattr_reader_load(w->xr, &w->super, &w->file->base, w->cmp);
		if (r)
			return sqfs_errno(r, w->file);
	}
	w->ids = sqfs_id_table_create(0);
	if (!w->ids)
		return -ENOMEM;
	r = sqfs_id_table_read(w->ids, &w->file->base, &w->super, w->cmp);
	if (r)
		return sqfs_errno(r, w->file);
	w->dr = sqfs_dir_reader_create(&w->super, w->cmp, &w->file->base, 0);
	w->data = sqfs_data_reader_create(&w->file->base, w->super.block_size, w->cmp, 0);
	w->buf = malloc(w->super.block_size);
	w->md = EVP_MD_CTX_new();
	if (!w->dr || !w->data || !w->buf || !w->md)
		return -ENOMEM;
	r = sqfs_data_reader_load_fragment_table(w->data, &w->super);
	return sqfs_errno(r, w->file);
}

static bool is_dir(const sqfs_inode_generic_t *in)
{
	return in->base.type == SQFS_INODE_DIR || in->base.type == SQFS_INODE_EXT_DIR;
}

/* The basic type (1..7) of an inode type; 0 if unknown. */
static int basic_type(int type)
{
	if (type >= SQFS_INODE_DIR && type <= SQFS_INODE_SOCKET)
		return type;
	if (type >= SQFS_INODE_EXT_DIR && type <= SQFS_INODE_EXT_SOCKET)
		return type - (SQFS_INODE_EXT_DIR - SQFS_INODE_DIR);
	return 0;
}

static int hash_file(struct walker *w, const sqfs_inode_generic_t *in, uint64_t size,
		     uint8_t sha256[32])
{
	if (EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	for (uint64_t off = 0; off < size;) {
		uint32_t want = (uint32_t)MIN(size - off, w->super.block_size);
		sqfs_s32 got = sqfs_data_reader_read(w->data, in, off, w->buf, want);

		if (got < 0)
			return sqfs_errno(got, w->file);
		if (got == 0 || (uint32_t)got > want)
			return -EUCLEAN;
		if (EVP_DigestUpdate(w->md, w->buf, (size_t)got) != 1)
			return -ENOMEM;
		off += (uint64_t)got;
	}
	return EVP_DigestFinal_ex(w->md, sha256, NULL) == 1 ? 0 : -ENOMEM;
}

struct xattr_list {
	struct sqfs_xattr v[SQFS_WALK_MAX_XATTRS];
	sqfs_xattr_entry_t *keys[SQFS_WALK_MAX_XATTRS];
	sqfs_xattr_value_t *vals[SQFS_WALK_MAX_XATTRS];
	unsigned n;                 /* slots in use (and to free) */
};

static void xattr_list_done(struct xattr_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		free(l->keys[i]);
		free(l->vals[i]);
	}
}

static int read_xattrs(struct walker *w, const sqfs_inode_generic_t *in, struct xattr_list *l)
{
	sqfs_xattr_id_t desc;
	sqfs_u32 idx;
	int r;

	if (sqfs_inode_get_xattr_index(in, &idx) || idx == NO_XATTR)
		return 0;
	if (!w->xr)
		return -EUCLEAN;
	r = sqfs_xattr_reader_get_desc(w->xr, idx, &desc);
	if (r == 0 && desc.count > SQFS_WALK_MAX_XATTRS)
		return -E2BIG;
	if (r == 0)
		r = sqfs_xattr_reader_seek_kv(w->xr, &desc);
	for (unsigned i = 0; r == 0 && i < desc.count; i++) {
		const char *prefix;

		l->n = i + 1;
		r = sqfs_xattr_reader_read_key(w->xr, &l->keys[i]);
		if (r == 0)
			r = sqfs_xattr_reader_read_value(w->xr, l->keys[i], &l->vals[i]);
		if (r)
			break;
		/* A NUL inside the key would make it another key. */
		prefix = sqfs_get_xattr_prefix(l->keys[i]->type & SQFS_XATTR_PREFIX_MASK);
		if (!prefix || strlen((const char *)l->keys[i]->key) != strlen(prefix) + l->keys[i]->size)
			return -EUCLEAN;
		l->v[i] = (struct sqfs_xattr){ (const char *)l->keys[i]->key, l->vals[i]->value,
					       l->vals[i]->size };
	}
	return sqfs_errno(r, w->file);
}

/* Fills E from IN and calls back. */
static int emit(struct walker *w, const sqfs_inode_generic_t *in)
{
	struct sqfs_entry e = { .path = w->path[0] ? w->path : "/" };
	_cleanup_(xattr_list_done) struct xattr_list xl = { .n = 0 };
	uint8_t sha[32];
	bool hashed = false;
	sqfs_u32 uid, gid;
	int r;

	static const mode_t types[] = {
		[SQFS_INODE_DIR] = S_IFDIR, [SQFS_INODE_FILE] = S_IFREG, [SQFS_INODE_SLINK] = S_IFLNK,
		[SQFS_INODE_BDEV] = S_IFBLK, [SQFS_INODE_CDEV] = S_IFCHR, [SQFS_INODE_FIFO] = S_IFIFO,
		[SQFS_INODE_SOCKET] = S_IFSOCK,
	};
	int t = basic_type(in->base.type);

	if (!t)
		return -EUCLEAN;
	if (sqfs_id_table_index_to_id(w->ids, in->base.uid_idx, &uid) ||
	    sqfs_id_table_index_to_id(w->ids, in->base.gid_idx, &gid))
		return -EUCLEAN;
	e.mode = types[t] | (in->base.mode & 07777);
	e.uid = uid;
	e.gid = gid;
	e.mtime = in->base.mod_time;
	e.ino = in->base.inode_number;

	switch (t) {
	case SQFS_INODE_FILE:
		sqfs_inode_get_file_size(in, &e.size);
		if (e.size / w->super.block_size >= SQFS_PACK_MAX_FILE_BLOCKS)
			return -EFBIG;
		if (w->want_hash) {
			r = hash_file(w, in, e.size, sha);
			if (r < 0)
				return r;
			hashed = true;
		}
		break;
	case SQFS_INODE_SLINK:
		/* The reader NUL-terminates; an empty or NUL-cut target is bad. */
		e.link_target = (const char *)in->extra;
		if (in->data.slink.target_size == 0 ||
		    strlen(e.link_target) != in->data.slink.target_size)
			return -EUCLEAN;
		break;
	case SQFS_INODE_BDEV:
	case SQFS_INODE_CDEV: {
		uint32_t d = in->data.dev.devno;

		e.rdev_major = (d >> 8) & 0xfff;
		e.rdev_minor = (d & 0xff) | ((d >> 12) & 0xfff00);
		break;
	}
	default:
		break;
	}
	r = read_xattrs(w, in, &xl);
	if (r < 0)
		return r;
	e.n_xattrs = xl.n;
	e.xattrs = xl.v;
	r = w->cb(&e, hashed ? sha : NULL, w->userdata);
	return r < 0 ? r : 0;
}

struct child {
	sqfs_dir_entry_t *ent;
	sqfs_inode_generic_t *inode;
};

struct child_list {
	struct child *v;
	size_t n, cap;
};

static void child_list_done(struct child_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].ent);
		free(l->v[i].inode);
	}
	free(l->v);
}

/* Reads DIR's listing whole (the directory reader holds one position), with
 * checks on each name: non-empty, no '/', not "." or "..", strictly
 * increasing, and an entry type that matches its inode. */
static int read_listing(struct walker *w, const sqfs_inode_generic_t *dir, struct child_list *l)
{
	int r = sqfs_dir_reader_open_dir(w->dr, dir, 0);

	if (r)
		return sqfs_errno(r, w->file);
	for (;;) {
		struct child c = { 0 };
		const char *name;

		r = sqfs_dir_reader_read(w->dr, &c.ent);
		if (r > 0)
			return 0;
		if (r < 0)
			return sqfs_errno(r, w->file);
		if (++w->entries > SQFS_PACK_MAX_ENTRIES) {
			free(c.ent);
			return -E2BIG;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct child *v = reallocarray(l->v, cap, sizeof(*v));

			if (!v) {
				free(c.ent);
				return -ENOMEM;
			}
			l->v = v;
			l->cap = cap;
		}
		l->v[l->n++] = c;
		name = (const char *)c.ent->name;
		if (strlen(name) != (size_t)c.ent->size + 1 || strchr(name, '/') || !strcmp(name, ".") ||
		    !strcmp(name, ".."))
			return -EUCLEAN;
		if (l->n > 1 && strcmp((const char *)l->v[l->n - 2].ent->name, name) >= 0)
			return -EUCLEAN;
		r = sqfs_dir_reader_get_inode(w->dr, &l->v[l->n - 1].inode);
		if (r)
			return sqfs_errno(r, w->file);
		if (basic_type(l->v[l->n - 1].inode->base.type) != c.ent->type)
			return -EUCLEAN;
	}
}

static int walk_dir(struct walker *w, const sqfs_inode_generic_t *dir, size_t path_len, unsigned depth)
{
	_cleanup_(child_list_done) struct child_list l = { 0 };
	int r;

	w->ancestors[depth] = dir->base.inode_number;
	r = read_listing(w, dir, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n; i++) {
		const char *name = (const char *)l.v[i].ent->name;
		const sqfs_inode_generic_t *in = l.v[i].inode;
		size_t len = path_len + 1 + strlen(name);

		if (len >= sizeof(w->path))
			return -ENAMETOOLONG;
		w->path[path_len] = '/';
		memcpy(w->path + path_len + 1, name, len - path_len); /* with the NUL */
		r = emit(w, in);
		if (r < 0)
			return r;
		if (!is_dir(in))
			continue;
		if (depth + 1 > SQFS_PACK_MAX_DEPTH)
			return -ELOOP;
		for (unsigned d = 0; d <= depth; d++)
			if (w->ancestors[d] == in->base.inode_number)
				return -ELOOP;
		r = walk_dir(w, in, len, depth + 1);
		if (r < 0)
			return r;
		w->path[path_len] = '\0';
	}
	return 0;
}

int sqfs_walk(const char *path, bool want_hash, sqfs_walk_fn cb, void *userdata)
{
	_cleanup_(walker_done) struct walker w = { .want_hash = want_hash, .cb = cb, .userdata = userdata };
	_cleanup_free_ sqfs_inode_generic_t *root = NULL;
	int r;

	if (!path || !cb)
		return -EINVAL;
	r = walker_open(&w, path);
	if (r < 0)
		return r;
	r = sqfs_dir_reader_get_root_inode(w.dr, &root);
	if (r)
		return sqfs_errno(r, w.file);
	if (!is_dir(root))
		return -EUCLEAN;
	w.entries = 1;
	r = emit(&w, root);
	if (r < 0)
		return r;
	return walk_dir(&w, root, 0, 0);
}
