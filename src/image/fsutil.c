/* Filesystem helpers (see fsutil.h). */
#include "image/fsutil.h"

#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#define LIST_DIR_MAX (1 << 22)  /* entries of one directory */

static int mkdir_walk(char *p, size_t from, mode_t mode, bool last)
{
	for (char *s = p + from; *s; s++) {
		if (*s != '/' || s == p)
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return last && mkdir(p, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int mkdir_parents(const char *root, const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	if (pathf(p, sizeof(p), "%s/%s", root, rel) < 0)
		return -ENAMETOOLONG;
	return mkdir_walk(p, strlen(root) + 1, mode, false);
}

int mkdir_all(const char *path, mode_t mode)
{
	char p[PATH_MAX];

	if (pathf(p, sizeof(p), "%s", path) < 0)
		return -ENAMETOOLONG;
	return mkdir_walk(p, 1, mode, true);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_dir_sorted(const char *path, char ***ret)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	int n = 0, cap = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn = cap < LIST_DIR_MAX ? realloc(names, (size_t)(cap = cap ? cap * 2 : 32) * sizeof(*nn)) : NULL;
			if (!nn) {
				closedir(d);
				free_names(names, n);
				return -ENOMEM;
			}
			names = nn;
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (names)
		qsort(names, (size_t)n, sizeof(*names), cmp_names);
	*ret = names;
	return n;
}

void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int fsync_path(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ELOOP ? 0 : -errno; /* symlinks: their directory's fsync covers them */
	return fsync(fd) < 0 ? -errno : 0;
}

static int fsync_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_SL)
		return 0;
	return fsync_path(path) < 0 ? -1 : 0;
}

int fsync_tree(const char *dir)
{
	return nftw(dir, fsync_one, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH) < 0 ? -EIO : 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	return nftw(path, remove_one, 32, FTW_PHYS | FTW_MOUNT | FTW_DEPTH) < 0 ? -errno : 0;
}
