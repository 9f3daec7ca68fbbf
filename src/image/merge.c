/* --merge: the layers above the base folded into one, by overlayfs's own
 * rules applied to the layers themselves (each mounted on its own): for a
 * name, the topmost layer that has it decides; a whiteout stays a
 * whiteout (it hides a base file); a directory merges the same directory
 * of the layers below it down to the first opaque one, and is opaque
 * itself when that chain ends in an opaque directory, a whiteout or a
 * file (then nothing of the base shows through it either). Only what the
 * steps wrote is read and copied, never the base. */
#include "image/merge.h"

#include "core/util.h"
#include "image/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define MERGE_MAX_DEPTH 256
#define MERGE_MAX_LINKS 65536
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct hardlink {
	dev_t dev;
	ino_t ino;
	char *path;                 /* first copy in the output */
};

struct merge {
	char **base;                /* the roots of the layers below, to which whiteouts apply */
	size_t n_base;
	size_t out_len;             /* the output root's length: the rest of a path is relative */
	struct hardlink *links;
	size_t n_links;
	uint64_t copied;
	uint64_t whiteouts;
};

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *dir)
{
	char v[4];
	ssize_t n = lgetxattr(dir, OPAQUE_XATTR, v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static int copy_xattrs(const char *src, const char *dst)
{
	char list[65536], val[65536];
	ssize_t n = llistxattr(src, list, sizeof(list));

	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(list + off) + 1) {
		ssize_t v = lgetxattr(src, list + off, val, sizeof(val));
		if (v >= 0 && lsetxattr(dst, list + off, val, (size_t)v, 0) < 0 && errno != ENOTSUP)
			return -errno;
	}
	return 0;
}

static int copy_meta(const char *src, const char *dst, const struct stat *st)
{
	struct timespec t[2] = { st->st_atim, st->st_mtim };

	if (lchown(dst, st->st_uid, st->st_gid) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777) < 0)
		return -errno;
	if (copy_xattrs(src, dst) < 0)
		return -errno;
	return utimensat(AT_FDCWD, dst, t, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_data(const char *src, const char *dst)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	uint8_t buf[1 << 16];
	ssize_t n;

	if (in < 0 || out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return errno ? -errno : -EIO;
	return n < 0 ? -errno : 0;
}

/* Hard links of one layer stay hard links: 1 if DST was linked to an
 * earlier copy, 0 if it is the first. */
static int link_seen(struct merge *m, const struct stat *st, const char *dst)
{
	if (st->st_nlink < 2)
		return 0;
	for (size_t i = 0; i < m->n_links; i++)
		if (m->links[i].dev == st->st_dev && m->links[i].ino == st->st_ino)
			return link(m->links[i].path, dst) < 0 ? -errno : 1;
	if (m->n_links < MERGE_MAX_LINKS) {
		struct hardlink *nl = realloc(m->links, (m->n_links + 1) * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		m->links = nl;
		m->links[m->n_links++] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup(dst) };
	}
	return 0;
}

static int copy_entry(struct merge *m, const char *src, const char *dst, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;
	int r;

	if (S_ISREG(st->st_mode)) {
		if ((r = link_seen(m, st, dst)) != 0)
			return r < 0 ? r : 0;
		r = copy_data(src, dst);
	} else if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(src, target, sizeof(target) - 1)) < 0)
			return -errno;
		target[n] = '\0';
		r = symlink(target, dst) < 0 ? -errno : 0;
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode)) {
		r = mknod(dst, st->st_mode, st->st_rdev) < 0 ? -errno : 0;
	} else {
		return -EINVAL;
	}
	if (r == 0)
		r = copy_meta(src, dst, st);
	if (is_whiteout(st))
		m->whiteouts++;
	else
		m->copied++;
	return r;
}

static int merge_dirs(struct merge *m, char **dirs, size_t n, const char *out, int depth);

/* Does anything below the merged layers have OUT's path? A whiteout with
 * nothing to hide is dropped: overlayfs lists it in a directory that only
 * one layer has. */
static bool below_has(const struct merge *m, const char *out)
{
	char p[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < m->n_base; i++)
		if (pathf(p, sizeof(p), "%s%s", m->base[i], out + m->out_len) == 0 && lstat(p, &st) == 0)
			return true;
	return false;
}

/* NAME in the directories DIRS (top first): the topmost one that has it
 * decides. */
static int merge_name(struct merge *m, char **dirs, size_t n, const char *name, const char *out, int depth)
{
	char *sub[MERGE_MAX_LAYERS], path[PATH_MAX], o[PATH_MAX];
	struct stat st, top;
	size_t first = n, k = 0;
	bool opaque = false;
	int r = 0;

	if (pathf(o, sizeof(o), "%s/%s", out, name) < 0)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n && first == n; i++)
		if (pathf(path, sizeof(path), "%s/%s", dirs[i], name) == 0 && lstat(path, &top) == 0)
			first = i;
	if (first == n)
		return 0;
	pathf(path, sizeof(path), "%s/%s", dirs[first], name);
	if (is_whiteout(&top) && !below_has(m, o))
		return 0;
	if (!S_ISDIR(top.st_mode))
		return copy_entry(m, path, o, &top);
	/* A directory: it and the same directory below it, down to where the
	 * chain is cut (an opaque directory, a whiteout or a file). */
	for (size_t i = first; i < n; i++) {
		char p[PATH_MAX];
		if (pathf(p, sizeof(p), "%s/%s", dirs[i], name) < 0 || lstat(p, &st) < 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			opaque = true; /* a whiteout or a file under it: the base's is hidden too */
			break;
		}
		sub[k++] = xstrdup(p);
		if (is_opaque(p)) {
			opaque = true;
			break;
		}
	}
	if (mkdir(o, 0700) < 0)
		r = -errno;
	if (r == 0)
		r = merge_dirs(m, sub, k, o, depth + 1);
	if (r == 0)
		r = copy_meta(sub[0], o, &top);
	if (r == 0 && opaque && lsetxattr(o, OPAQUE_XATTR, "y", 1, 0) < 0)
		r = -errno;
	if (r == 0 && !opaque)
		lremovexattr(o, OPAQUE_XATTR); /* copy_meta took the top one's; the chain says otherwise */
	for (size_t i = 0; i < k; i++)
		free(sub[i]);
	return r;
}

static int merge_dirs(struct merge *m, char **dirs, size_t n, const char *out, int depth)
{
	char **names[MERGE_MAX_LAYERS];
	int counts[MERGE_MAX_LAYERS];
	size_t pos[MERGE_MAX_LAYERS] = { 0 };
	int r = 0;

	if (depth > MERGE_MAX_DEPTH || n > MERGE_MAX_LAYERS)
		return -ELOOP;
	for (size_t i = 0; i < n; i++) {
		counts[i] = list_dir_sorted(dirs[i], &names[i]);
		if (counts[i] < 0) {
			r = counts[i];
			for (size_t k = 0; k < i; k++)
				free_names(names[k], counts[k]);
			return r;
		}
	}
	/* Every name once, in order: a merge of the sorted listings. */
	for (;;) {
		const char *next = NULL;
		for (size_t i = 0; i < n; i++)
			if (pos[i] < (size_t)counts[i] && (!next || strcmp(names[i][pos[i]], next) < 0))
				next = names[i][pos[i]];
		if (!next || r < 0)
			break;
		char name[NAME_MAX + 1];
		copy_string(name, sizeof(name), next);
		r = merge_name(m, dirs, n, name, out, depth);
		for (size_t i = 0; i < n; i++)
			if (pos[i] < (size_t)counts[i] && strcmp(names[i][pos[i]], name) == 0)
				pos[i]++;
	}
	for (size_t i = 0; i < n; i++)
		free_names(names[i], counts[i]);
	return r;
}

int merge_layers(char **layers, size_t n, char **below, size_t n_below, const char *out, struct merge_stats *ret)
{
	struct merge m = { .base = below, .n_base = n_below, .out_len = strlen(out) };
	int r = merge_dirs(&m, layers, n, out, 0);

	for (size_t i = 0; i < m.n_links; i++)
		free(m.links[i].path);
	free(m.links);
	if (ret)
		*ret = (struct merge_stats){ m.copied, m.whiteouts };
	return r;
}
