/* ISO directories read with pread (see iso_fs.h). */
#include "isos/iso_fs.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ERANGE;
		done += (size_t)n;
	}
	return 0;
}

int iso_fs_open(int fd, struct iso_fs *ret)
{
	struct iso_fs fs = { .fd = fd };
	uint8_t sector[ISO9660_SECTOR];
	uint32_t blocks = 0;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	fs.file_size = (uint64_t)st.st_size;
	for (uint32_t i = 0; i < ISO9660_MAX_DESCRIPTORS; i++) {
		r = read_at(fd, sector, sizeof(sector), (uint64_t)(ISO9660_PVD_SECTOR + i) * ISO9660_SECTOR);
		if (r == -ERANGE)
			return -EBADMSG; /* too short to hold a volume descriptor */
		if (r < 0)
			return r;
		r = iso9660_descriptor_parse(sector, sizeof(sector), &fs.root, &blocks);
		if (r == 1)
			break;
		if (r < 0)
			return -EBADMSG;
	}
	if (!blocks)
		return -EBADMSG;
	if ((uint64_t)blocks * ISO9660_SECTOR > fs.file_size)
		return -ERANGE;
	*ret = fs;
	return 0;
}

int iso_fs_data_offset(const struct iso_fs *fs, const struct iso9660_dirent *e, uint64_t *ret)
{
	uint64_t off = (uint64_t)e->extent * ISO9660_SECTOR;

	if (off > fs->file_size || e->size > fs->file_size - off)
		return -ERANGE;
	*ret = off;
	return 0;
}

/* A directory's records, whole, and a cursor over them. */
static int read_dir(const struct iso_fs *fs, const struct iso9660_dirent *d, uint8_t **ret,
		    struct iso9660_dir_cursor *ret_cursor)
{
	uint64_t off;
	uint8_t *buf;
	int r;

	if (!d->dir || d->size > ISO_FS_DIR_MAX || d->size == 0)
		return -EBADMSG;
	if ((r = iso_fs_data_offset(fs, d, &off)) < 0)
		return r;
	if (!(buf = malloc(d->size)))
		return -ENOMEM;
	if ((r = read_at(fs->fd, buf, d->size, off)) < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_cursor = (struct iso9660_dir_cursor){ .buf = buf, .len = d->size };
	return 0;
}

/* Calls fn for each entry of directory D; fn's non-zero return stops it. */
static int each_entry(const struct iso_fs *fs, const struct iso9660_dirent *d,
		      int (*fn)(void *userdata, const struct iso9660_dirent *e), void *userdata)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct iso9660_dir_cursor c;
	struct iso9660_dirent e;
	int r;

	if ((r = read_dir(fs, d, &buf, &c)) < 0)
		return r;
	while ((r = iso9660_dir_next(&c, &e)) == 1)
		if ((r = fn(userdata, &e)) != 0)
			return r;
	return r;
}

struct find {
	const char *name;
	size_t len;
	struct iso9660_dirent *ret;
};

static int match_name(void *userdata, const struct iso9660_dirent *e)
{
	struct find *f = userdata;

	if (strlen(e->name) != f->len || memcmp(e->name, f->name, f->len) != 0)
		return 0;
	*f->ret = *e;
	return 1;
}

static int find_in(const struct iso_fs *fs, const struct iso9660_dirent *d, const char *name, size_t len,
		   struct iso9660_dirent *ret)
{
	struct iso9660_dirent found;
	struct find f = { .name = name, .len = len, .ret = &found };
	int r = each_entry(fs, d, match_name, &f);

	if (r == 1)
		*ret = found;
	return r == 1 ? 0 : r < 0 ? r : -ENOENT;
}

int iso_fs_lookup(const struct iso_fs *fs, const char *path, struct iso9660_dirent *ret)
{
	struct iso9660_dirent cur = fs->root;
	unsigned depth = 0;
	int r;

	while (*path) {
		size_t len = strcspn(path, "/");
		if (len == 0 || ++depth > 16)
			return -ENOENT;
		if (!cur.dir)
			return -ENOTDIR;
		if ((r = find_in(fs, &cur, path, len, &cur)) < 0)
			return r;
		path += len;
		path += *path == '/';
	}
	*ret = cur;
	return 0;
}

struct walk {
	const struct iso_fs *fs;
	char path[ISO_FS_PATH_MAX];
	size_t plen;
	unsigned depth;
	uint64_t budget;              /* directory bytes left to read */
	iso_fs_visit_fn fn;
	void *userdata;
};

static int visit(void *userdata, const struct iso9660_dirent *e)
{
	struct walk *w = userdata;
	size_t plen = w->plen;
	int n = snprintf(w->path + plen, sizeof(w->path) - plen, "%s%s", plen ? "/" : "", e->name);
	int r;

	if (n < 0 || (size_t)n >= sizeof(w->path) - plen)
		return 0; /* too deep a path to matter for booting */
	if ((r = w->fn(w->userdata, w->path, e)) == 0 && e->dir && w->depth > 1) {
		if (e->size > w->budget)
			return -E2BIG;
		w->budget -= e->size;
		w->plen += (size_t)n;
		w->depth--;
		r = each_entry(w->fs, e, visit, w);
		w->depth++;
		w->plen = plen;
	}
	w->path[plen] = '\0';
	return r;
}

int iso_fs_walk(const struct iso_fs *fs, unsigned max_depth, iso_fs_visit_fn fn, void *userdata)
{
	struct walk w = { .fs = fs, .depth = max_depth, .budget = ISO_FS_WALK_BUDGET, .fn = fn, .userdata = userdata };

	return max_depth ? each_entry(fs, &fs->root, visit, &w) : 0;
}
