/* ISO extraction through libarchive with a hashing read callback. */
#include "image/iso_read.h"

#include "core/log.h"
#include "core/util.h"
#include "image/cache_key.h"
#include "image/fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#define ISO_READ_CHUNK (1u << 20)
#define ISO_MAX_WANTED 256

struct reader {
	int fd;
	uint8_t *buf;
	struct sha256_ctx *sha;
	uint64_t done, total;
	iso_progress_fn progress;
	void *userdata;
	uint64_t last_report;
};

static la_ssize_t read_cb(struct archive *a, void *ud, const void **out)
{
	struct reader *r = ud;
	ssize_t n;

	do
		n = read(r->fd, r->buf, ISO_READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	sha256_update(r->sha, r->buf, (size_t)n);
	r->done += (uint64_t)n;
	if (r->progress && (r->done - r->last_report >= (64u << 20) || n == 0)) {
		r->last_report = r->done;
		r->progress(r->userdata, r->done, r->total);
	}
	*out = r->buf;
	return n;
}

/* Every byte after the last entry goes through the hash too. */
static int drain(struct reader *r)
{
	const void *p;
	la_ssize_t n;

	while ((n = read_cb(NULL, r, &p)) > 0)
		;
	return n < 0 ? -errno : 0;
}

static int write_entry(struct archive *a, const char *dest, const char *rel, uint64_t *bytes)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	const void *block;
	size_t len;
	la_int64_t off;
	int r;

	if ((r = mkdir_parents(dest, rel, 0755)) < 0)
		return r;
	pathf(path, sizeof(path), "%s/%s", dest, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while ((r = archive_read_data_block(a, &block, &len, &off)) == ARCHIVE_OK) {
		if (pwrite(fd, block, len, off) != (ssize_t)len)
			return errno ? -errno : -EIO;
		*bytes += len;
	}
	if (r != ARCHIVE_EOF)
		return -EIO;
	return fsync(fd) < 0 ? -errno : 0;
}

/* A symlink inside the ISO (live/vmlinuz -> vmlinuz-6.1...) becomes a hard
 * link to its target once everything is out. */
static int resolve_link(const char *dest, const char *rel, const char *target)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	int dirlen = slash ? (int)(slash - rel) : 0;

	if (strstr(target, "..") || target[0] == '/')
		return -EXDEV; /* only links within the same directory are followed */
	pathf(to, sizeof(to), "%s/%.*s/%s", dest, dirlen, rel, target);
	pathf(from, sizeof(from), "%s/%s", dest, rel);
	unlink(from);
	return link(to, from) < 0 ? -errno : 0;
}

/* live/filesystem.module, when present, gives live-boot's stack order. */
static void apply_module_order(const char *dest, struct iso_layout *l)
{
	char path[PATH_MAX], line[ISO_PATH_MAX], sq[ISO_MAX_SQUASHFS][ISO_PATH_MAX];
	size_t n = 0;
	FILE *f;

	pathf(path, sizeof(path), "%s/%s/filesystem.module", dest, l->dir);
	if (l->kind != ISO_LAYOUT_LIVE_BOOT || !(f = fopen(path, "re")))
		return;
	while (n < ISO_MAX_SQUASHFS && fscanf(f, "%255s", line) == 1)
		if (snprintf(sq[n], ISO_PATH_MAX, "%s/%s", l->dir, line) < ISO_PATH_MAX)
			n++;
	fclose(f);
	if (n) {
		memcpy(l->squashfs, sq, sizeof(sq));
		l->n_squashfs = n;
	}
}

struct wanted {
	char *names[ISO_MAX_WANTED];
	char *links[ISO_MAX_WANTED];   /* symlink target or NULL */
	size_t n;
};

static void wanted_free(struct wanted *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->names[i]);
		free(w->links[i]);
	}
}

static int read_entries(struct archive *a, const char *dest, struct wanted *w, uint64_t *bytes, char *err,
			size_t errlen)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *rel;
		mode_t type = archive_entry_filetype(e);

		if (!name || !iso_entry_wanted(name) || (type != AE_IFREG && type != AE_IFLNK))
			continue;
		rel = iso_path_normalise(name);
		if (strstr(rel, "..") || w->n == ISO_MAX_WANTED)
			continue;
		if (type == AE_IFLNK) {
			w->links[w->n] = xstrdup(archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		} else if ((r = write_entry(a, dest, rel, bytes)) < 0) {
			snprintf(err, errlen, "extracting %s: %s", rel,
				 r == -EIO ? "the ISO is truncated or unreadable" : strerror(-r));
			return r;
		}
		w->names[w->n++] = xstrdup(rel);
	}
	if (r != ARCHIVE_EOF) {
		snprintf(err, errlen, "not a readable ISO 9660 image: %s", archive_error_string(a));
		return -EINVAL;
	}
	return 0;
}

int iso_read(const char *iso_path, const char *dest_dir, iso_progress_fn progress, void *userdata,
	     struct iso_read_result *ret, char *err, size_t errlen)
{
	struct reader rd = { .fd = -1, .progress = progress, .userdata = userdata };
	struct wanted w = { 0 };
	struct iso_read_result res = { 0 };
	struct archive *a = NULL;
	struct stat st;
	int r;

	rd.fd = open(iso_path, O_RDONLY | O_CLOEXEC);
	if (rd.fd < 0 || fstat(rd.fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", iso_path, strerror(errno));
		goto out;
	}
	rd.total = (uint64_t)st.st_size;
	rd.buf = malloc(ISO_READ_CHUNK);
	rd.sha = sha256_new();
	a = archive_read_new();
	if (!rd.buf || !rd.sha || !a) {
		r = -ENOMEM;
		goto out;
	}
	posix_fadvise(rd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	archive_read_support_format_iso9660(a);
	if (archive_read_open(a, &rd, NULL, read_cb, NULL) != ARCHIVE_OK) {
		snprintf(err, errlen, "not an ISO 9660 image (%s)", archive_error_string(a));
		r = -EINVAL;
		goto out;
	}
	if ((r = read_entries(a, dest_dir, &w, &res.bytes_extracted, err, errlen)) < 0 || (r = drain(&rd)) < 0)
		goto out;
	sha256_final(rd.sha, res.sha256);
	rd.sha = NULL;
	res.size = rd.done;
	if (res.size != rd.total) {
		snprintf(err, errlen, "%s changed while it was read", iso_path);
		r = -EIO;
		goto out;
	}
	for (size_t i = 0; i < w.n; i++)
		if (w.links[i] && (r = resolve_link(dest_dir, w.names[i], w.links[i])) < 0)
			log_warn("%s: link %s -> %s not followed: %s", iso_path, w.names[i], w.links[i], strerror(-r));
	if ((r = iso_layout_classify((const char *const *)w.names, w.n, &res.layout, err, errlen)) < 0)
		goto out;
	apply_module_order(dest_dir, &res.layout);
	*ret = res;
	r = 0;
out:
	wanted_free(&w);
	if (a)
		archive_read_free(a);
	sha256_free(rd.sha);
	free(rd.buf);
	if (rd.fd >= 0)
		close(rd.fd);
	return r;
}
