/* One ISO looked at in place: its directory records give the paths and
 * the extents; libarchive, an independent ISO 9660 reader, confirms that
 * the bytes at the kernel's and initrd's extents are the files' own. */
#include "isos/iso_catalog.h"
#include "isos/iso_fs.h"
#include "core/util.h"
#include "image/iso_layout.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct paths {
	char **v;
	size_t n;
};

static int collect(void *userdata, const char *path, const struct iso9660_dirent *e)
{
	struct paths *p = userdata;

	if (e->dir)
		return 0;
	if (p->n == ISO_SCAN_MAX_PATHS)
		return -E2BIG;
	p->v[p->n++] = xstrdup(path);
	return 0;
}

static __attribute__((format(printf, 3, 4))) void fail(struct iso_item *it, int r, const char *fmt, ...)
{
	va_list ap;

	it->status = r;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
}

/* A file we would serve from its extent: in place, uncompressed, whole. */
static int check_extent(const struct iso_fs *fs, const char *path, uint64_t *off, uint64_t *size,
			struct iso_item *it)
{
	struct iso9660_dirent e;
	int r;

	if ((r = iso_fs_lookup(fs, path, &e)) < 0) {
		fail(it, r, "%s: %s", path, strerror(-r));
		return r;
	}
	if (e.zisofs || e.multi_extent || e.symlink || e.dir) {
		fail(it, -ENOTSUP, "%s is %s: it cannot be served from the ISO in place", path,
		     e.zisofs ? "zisofs-compressed" : e.multi_extent ? "split over several extents" : "not a file");
		return -ENOTSUP;
	}
	if ((r = iso_fs_data_offset(fs, &e, off)) < 0) {
		fail(it, r, "%s lies beyond the end of the file: the ISO is truncated", path);
		return r;
	}
	*size = e.size;
	return 0;
}

/* Reads the first bytes of PATH through libarchive and compares them with
 * the bytes at OFF. */
static int verify(int fd, const char *path, uint64_t off, uint64_t size, struct iso_item *it)
{
	size_t want = size < ISO_VERIFY_BYTES ? (size_t)size : ISO_VERIFY_BYTES;
	_cleanup_free_ uint8_t *a_buf = malloc(want ? want : 1), *b_buf = malloc(want ? want : 1);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r = -ENOENT, afd = dup(fd);

	if (!a || !a_buf || !b_buf || afd < 0) {
		if (afd >= 0)
			close(afd);
		archive_read_free(a);
		return -ENOMEM;
	}
	archive_read_support_format_iso9660(a);
	lseek(afd, 0, SEEK_SET);
	if (archive_read_open_fd(a, afd, 1 << 16) != ARCHIVE_OK)
		r = -EBADMSG;
	while (r == -ENOENT && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (strcmp(iso_path_normalise(archive_entry_pathname(e) ? archive_entry_pathname(e) : ""), path) != 0)
			continue;
		la_ssize_t n = archive_read_data(a, a_buf, want);
		r = n == (la_ssize_t)want && pread(fd, b_buf, want, (off_t)off) == (ssize_t)want &&
				memcmp(a_buf, b_buf, want) == 0 ? 0 : -EBADMSG;
	}
	archive_read_free(a);
	close(afd);
	if (r < 0)
		fail(it, r, "%s: %s", path, r == -ENOENT ? "libarchive does not see it" :
			    "libarchive reads other bytes than those at its extent");
	return r;
}

static void classify(int fd, struct iso_item *it)
{
	struct paths p = { .v = calloc(ISO_SCAN_MAX_PATHS, sizeof(char *)) };
	const char *files[2];
	struct iso_fs fs;
	uint64_t off, size;
	int r;

	if (!p.v) {
		fail(it, -ENOMEM, "out of memory");
		return;
	}
	if ((r = iso_fs_open(fd, &fs)) < 0) {
		fail(it, r, "%s", r == -ERANGE ? "truncated: shorter than its volume says" :
				  r == -EBADMSG ? "not an ISO 9660 image" : strerror(-r));
		goto out;
	}
	if ((r = iso_fs_walk(&fs, ISO_SCAN_DEPTH, collect, &p)) < 0 && r != -E2BIG) {
		fail(it, r, "its directories cannot be read: %s",
		     r == -ERANGE ? "the ISO is truncated" : r == -EBADMSG ? "a malformed record" : strerror(-r));
		goto out;
	}
	iso_kind_classify((const char *const *)p.v, p.n, &it->boot);
	files[0] = it->boot.kernel;
	files[1] = it->boot.initrd;
	for (size_t i = 0; i < 2 && it->boot.kind != ISO_KIND_SANBOOT; i++)
		if (check_extent(&fs, files[i], &off, &size, it) < 0 || verify(fd, files[i], off, size, it) < 0)
			goto out;
	it->status = 0;
	if (it->boot.note)
		snprintf(it->reason, sizeof(it->reason), "%s", it->boot.note);
out:
	for (size_t i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
}

void iso_scan(int dir_fd, const char *name, struct iso_item *ret)
{
	struct iso_item it = { 0 };
	struct stat st;
	int fd;

	snprintf(it.name, sizeof(it.name), "%s", name);
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fail(&it, -errno, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		fail(&it, -EISDIR, "not a regular file");
	} else {
		it.size = (uint64_t)st.st_size;
		it.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		if (!iso_name_valid(name))
			fail(&it, -EINVAL, "not served: the name must end in .iso and use only A-Z a-z 0-9 . _ + -");
		else
			classify(fd, &it);
	}
	if (fd >= 0)
		close(fd);
	*ret = it;
}
