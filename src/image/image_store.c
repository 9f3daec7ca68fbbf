/* Image store on disk (see image_store.h). */
#include "image/image_store.h"

#include "core/util.h"
#include "image/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

bool image_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IMAGE_NAME_MAX || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int image_store_init(struct image_store *s, const char *root)
{
	char p[PATH_MAX];
	int r;

	if (pathf(s->root, sizeof(s->root), "%s", root) < 0)
		return -ENAMETOOLONG;
	if ((r = mkdir_all(root, 0755)) < 0)
		return r;
	for (const char *sub = "layers\0base\0tmp\0locks\0"; *sub; sub += strlen(sub) + 1) {
		if ((r = image_store_cache_path(s, p, sizeof(p), sub)) < 0 || (r = mkdir_all(p, 0755)) < 0)
			return r;
	}
	return 0;
}

int image_store_path(const struct image_store *s, char *buf, size_t size, const char *name, const char *version)
{
	if (!image_name_valid(name) || (version && !image_name_valid(version)))
		return -EINVAL;
	return version ? pathf(buf, size, "%s/%s/%s", s->root, name, version) : pathf(buf, size, "%s/%s", s->root, name);
}

int image_store_cache_path(const struct image_store *s, char *buf, size_t size, const char *sub)
{
	return pathf(buf, size, "%s/.cache/%s", s->root, sub);
}

int image_store_lock(const struct image_store *s, const char *name)
{
	char p[PATH_MAX];
	int fd;

	if (!image_name_valid(name) || pathf(p, sizeof(p), "%s/.cache/locks/%s", s->root, name) < 0)
		return -EINVAL;
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "labboot: another build or removal of %s is running; waiting for it\n", name);
		if (flock(fd, LOCK_EX) < 0) {
			close(fd);
			return -errno;
		}
	}
	return fd;
}

int image_store_publish(const struct image_store *s, const char *name, const char *tmp_dir, const char *version)
{
	char dst[PATH_MAX], parent[PATH_MAX];
	int r;

	if ((r = image_store_path(s, dst, sizeof(dst), name, version)) < 0 ||
	    (r = image_store_path(s, parent, sizeof(parent), name, NULL)) < 0)
		return r;
	if ((r = fsync_tree(tmp_dir)) < 0)
		return r;
	if (renameat2(AT_FDCWD, tmp_dir, AT_FDCWD, dst, RENAME_NOREPLACE) < 0)
		return -errno;
	return fsync_path(parent);
}

int image_store_current(const struct image_store *s, const char *name, char *version, size_t size)
{
	char p[PATH_MAX];
	ssize_t n;

	if (!image_name_valid(name) || pathf(p, sizeof(p), "%s/%s/current", s->root, name) < 0)
		return -EINVAL;
	n = readlink(p, version, size - 1);
	if (n < 0)
		return -errno;
	version[n] = '\0';
	return image_name_valid(version) ? 0 : -EINVAL;
}

int image_store_set_current(const struct image_store *s, const char *name, const char *version)
{
	char p[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int r;

	if ((r = image_store_path(s, p, sizeof(p), name, version)) < 0)
		return r;
	if (stat(p, &st) < 0)
		return -errno;
	if ((r = image_store_path(s, dir, sizeof(dir), name, NULL)) < 0 ||
	    pathf(p, sizeof(p), "%s/current", dir) < 0 ||
	    pathf(tmp, sizeof(tmp), "%s/.current.%d", dir, (int)getpid()) < 0)
		return -ENAMETOOLONG;
	unlink(tmp);
	if (symlink(version, tmp) < 0)
		return -errno;
	if (rename(tmp, p) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return fsync_path(dir);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directory entries of PATH that are directories with valid names (not
 * "current", not temp dirs), sorted. */
static int list_dirs(const char *path, char ***ret)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **list;
	int n = 0;

	*ret = NULL;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	list = calloc(IMAGE_MAX_VERSIONS, sizeof(*list));
	if (!list) {
		closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d)) && n < IMAGE_MAX_VERSIONS) {
		if (de->d_type != DT_DIR || !image_name_valid(de->d_name))
			continue;
		list[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(list, (size_t)n, sizeof(*list), cmp_strp);
	*ret = list;
	return n;
}

int image_store_versions(const struct image_store *s, const char *name, char ***versions)
{
	char p[PATH_MAX];
	int r;

	if ((r = image_store_path(s, p, sizeof(p), name, NULL)) < 0)
		return r;
	return list_dirs(p, versions);
}

int image_store_names(const struct image_store *s, char ***names)
{
	return list_dirs(s->root, names);
}

void image_store_free_list(char **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int image_store_meta(const struct image_store *s, const char *name, const char *version, json_t **ret)
{
	char p[PATH_MAX];
	json_error_t e;
	json_t *j;
	int r;

	if ((r = image_store_path(s, p, sizeof(p), name, version)) < 0 ||
	    (r = pathf(p + strlen(p), sizeof(p) - strlen(p), "/meta.json")) < 0)
		return r;
	j = json_load_file(p, 0, &e);
	if (!j)
		return access(p, F_OK) == 0 ? -EBADMSG : -ENOENT;
	*ret = j;
	return 0;
}

int image_store_remove(const struct image_store *s, const char *name, const char *version)
{
	char p[PATH_MAX], cur[IMAGE_VERSION_MAX];
	int r;

	if (image_store_current(s, name, cur, sizeof(cur)) == 0 && strcmp(cur, version) == 0)
		return -EBUSY;
	if ((r = image_store_path(s, p, sizeof(p), name, version)) < 0)
		return r;
	if (access(p, F_OK) < 0)
		return -ENOENT;
	return remove_tree(p);
}

int image_store_resolve(const struct image_store *s, const char *ref, char name[IMAGE_NAME_MAX],
			char version[IMAGE_VERSION_MAX])
{
	const char *at = strchr(ref, '@');
	size_t n = at ? (size_t)(at - ref) : strlen(ref);
	char p[PATH_MAX];
	int r;

	if (n == 0 || n >= IMAGE_NAME_MAX)
		return -EINVAL;
	memcpy(name, ref, n);
	name[n] = '\0';
	if (!image_name_valid(name))
		return -EINVAL;
	if (at) {
		if (copy_string(version, IMAGE_VERSION_MAX, at + 1) < 0 || !image_name_valid(version))
			return -EINVAL;
	} else if ((r = image_store_current(s, name, version, IMAGE_VERSION_MAX)) < 0) {
		return r;
	}
	if ((r = image_store_path(s, p, sizeof(p), name, version)) < 0)
		return r;
	return access(p, F_OK) < 0 ? -ENOENT : 0;
}
