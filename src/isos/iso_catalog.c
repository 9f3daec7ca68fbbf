/* The catalog's cache (see iso_catalog.h): a directory listing is cheap,
 * a scan reads directory records and two blocks through libarchive, so
 * only new or changed files are scanned again. */
#include "isos/iso_catalog.h"
#include "core/log.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct iso_catalog {
	pthread_mutex_t lock;
	char dir[PATH_MAX];
	struct iso_item items[ISO_CATALOG_MAX];
	size_t n;
};

struct iso_catalog *iso_catalog_new(void)
{
	struct iso_catalog *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void iso_catalog_free(struct iso_catalog *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct iso_item *)a)->name, ((const struct iso_item *)b)->name);
}

static const struct iso_item *cached(const struct iso_catalog *c, const char *dir, const char *name,
				     const struct stat *st)
{
	int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;

	if (!c || strcmp(c->dir, dir) != 0)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].name, name) && c->items[i].size == (uint64_t)st->st_size &&
		    c->items[i].mtime_ns == mtime)
			return &c->items[i];
	return NULL;
}

/* A new or changed file: read, and said once in the daemon's log. */
static void scanned(const struct iso_catalog *c, const char *dir, int dir_fd, const char *name, struct iso_item *it)
{
	iso_scan(dir_fd, name, it);
	if (!c)
		return;
	if (it->status < 0)
		log_info("isos: %s/%s: %s", dir, name, it->reason);
	else
		log_info("isos: %s/%s: %s", dir, name, iso_kind_name(it->boot.kind));
}

static int scan_dir(const struct iso_catalog *c, const char *dir, struct iso_item *out, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && n < ISO_CATALOG_MAX) {
		const struct iso_item *hit;
		struct stat st;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0 || S_ISDIR(st.st_mode))
			continue;
		if ((hit = cached(c, dir, de->d_name, &st)))
			out[n++] = *hit;
		else
			scanned(c, dir, dirfd(d), de->d_name, &out[n++]);
	}
	closedir(d);
	qsort(out, n, sizeof(*out), cmp_item);
	*ret_n = n;
	return 0;
}

int iso_catalog_list(struct iso_catalog *c, const char *dir, struct iso_item **ret, size_t *ret_n)
{
	struct iso_item *items = calloc(ISO_CATALOG_MAX, sizeof(*items));
	size_t n = 0;
	int r;

	if (!items)
		return -ENOMEM;
	if (c)
		pthread_mutex_lock(&c->lock);
	r = scan_dir(c, dir, items, &n);
	if (c && r == 0 && copy_string(c->dir, sizeof(c->dir), dir) == 0) {
		memcpy(c->items, items, n * sizeof(*items));
		c->n = n;
	}
	if (c)
		pthread_mutex_unlock(&c->lock);
	if (r < 0) {
		free(items);
		return r;
	}
	*ret = items;
	*ret_n = n;
	return 0;
}
