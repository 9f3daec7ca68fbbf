/* PATCH initrd: the initrd split into its segments, the main (last)
 * archive unpacked with libarchive, patched with `patch -p1`, and packed
 * again as newc behind the untouched early segments (Ubuntu's microcode),
 * compressed as before where libarchive writes what the kernel reads (gzip,
 * zstd), else with zstd: libarchive's xz uses CRC64 and its lz4 the frame
 * format, neither of which initramfs-tools' kernels expect. */
#include "image/initrd_patch.h"

#include "core/log.h"
#include "core/util.h"
#include "image/image_store.h"
#include "image/initrd_split.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define INITRD_MAX_BYTES (1ull << 30)

static int read_all(const char *path, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > INITRD_MAX_BYTES)
		return -EFBIG;
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		done += (size_t)n;
	}
	*ret = buf;
	*ret_len = done;
	return 0;
}

static int unpack(const uint8_t *buf, size_t len, const char *dir)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	char cwd[PATH_MAX];
	int r = 0, ar;

	if (!a || !w || !getcwd(cwd, sizeof(cwd)) || chdir(dir) < 0) {
		archive_read_free(a);
		archive_write_free(w);
		return -errno ? -errno : -ENOMEM;
	}
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
						  ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		r = -EBADMSG;
	while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const void *block;
		size_t n;
		la_int64_t off;
		if (archive_write_header(w, e) != ARCHIVE_OK) {
			log_err("PATCH initrd: %s: %s", archive_entry_pathname(e), archive_error_string(w));
			r = -EIO;
			break;
		}
		while ((ar = archive_read_data_block(a, &block, &n, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(w, block, n, off) != ARCHIVE_OK)
				ar = ARCHIVE_FATAL;
		if (ar != ARCHIVE_EOF)
			r = -EBADMSG;
		archive_write_finish_entry(w);
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = -EBADMSG;
	archive_read_free(a);
	archive_write_free(w);
	if (chdir(cwd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int run_patch(const char *dir, const char *file, int log_fd)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		dup2(log_fd, 1);
		dup2(log_fd, 2);
		execlp("patch", "patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-d", dir, "-i", file,
		       (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- packing: newc, entries sorted so the same tree gives the same bytes --
 * Hard links stay hard links (initrds are full of them: one busybox, many
 * names): libarchive's link resolver holds back all but the last name of an
 * inode, which carries the data, as newc wants it. */

struct packer {
	struct archive *a;
	struct archive_entry_linkresolver *links;
};

static int write_one(struct packer *p, struct archive_entry *e)
{
	const char *src = archive_entry_sourcepath(e);
	int r = 0;

	if (archive_write_header(p->a, e) != ARCHIVE_OK)
		return -EIO;
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
		_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
		uint8_t buf[65536];
		ssize_t n;
		if (fd < 0)
			return -errno;
		while (r == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (archive_write_data(p->a, buf, (size_t)n) != n)
				r = -EIO;
	}
	return r;
}

/* Hands E to the link resolver (which owns it from then on: it may keep it
 * and give back another) and writes and frees what it gives back. */
static int emit(struct packer *p, struct archive_entry *e)
{
	struct archive_entry *sparse = NULL;
	int r = 0;

	archive_entry_linkify(p->links, &e, &sparse);
	while (e) {
		if (r == 0)
			r = write_one(p, e);
		archive_entry_free(e);
		e = sparse;
		sparse = NULL;
	}
	return r;
}

static int add_entry(struct packer *p, const char *path, const char *name);

static int add_dir(struct packer *p, const char *path, const char *prefix)
{
	char **names;
	int n = list_dir_sorted(path, &names), r = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n && r == 0; i++) {
		char sp[PATH_MAX], rel[PATH_MAX];
		if (pathf(sp, sizeof(sp), "%s/%s", path, names[i]) < 0 ||
		    pathf(rel, sizeof(rel), "%s%s%s", prefix, prefix[0] ? "/" : "", names[i]) < 0)
			r = -ENAMETOOLONG;
		else
			r = add_entry(p, sp, rel);
	}
	free_names(names, n);
	return r;
}

static int add_entry(struct packer *p, const char *path, const char *name)
{
	struct archive_entry *e = archive_entry_new();
	struct stat st;
	char link[PATH_MAX];
	int r = 0;

	if (!e)
		return -ENOMEM;
	if (lstat(path, &st) < 0) {
		archive_entry_free(e);
		return -errno;
	}
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, name);
	archive_entry_copy_sourcepath(e, path);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			r = -errno;
		link[n > 0 ? n : 0] = '\0';
		archive_entry_set_symlink(e, link);
	}
	if (!S_ISREG(st.st_mode))
		archive_entry_set_size(e, 0);
	if (r == 0)
		r = emit(p, e);
	else
		archive_entry_free(e);
	if (r == 0 && S_ISDIR(st.st_mode))
		r = add_dir(p, path, name);
	return r;
}

/* Whatever the resolver still holds: links whose other names never came. */
static int flush_links(struct packer *p)
{
	struct archive_entry *e = NULL, *sparse = NULL;
	int r = 0;

	for (;;) {
		e = NULL;
		archive_entry_linkify(p->links, &e, &sparse);
		if (!e)
			return r;
		if (r == 0)
			r = write_one(p, e);
		archive_entry_free(e);
	}
}

static int pack(const char *dir, enum initrd_segment_kind kind, int out_fd)
{
	struct packer p = { archive_write_new(), archive_entry_linkresolver_new() };
	int r;

	if (!p.a || !p.links) {
		archive_write_free(p.a);
		archive_entry_linkresolver_free(p.links);
		return -ENOMEM;
	}
	archive_write_set_format_cpio_newc(p.a);
	archive_entry_linkresolver_set_strategy(p.links, archive_format(p.a));
	if (kind == INITRD_GZIP)
		archive_write_add_filter_gzip(p.a);
	else if (kind != INITRD_CPIO && archive_write_add_filter_zstd(p.a) == ARCHIVE_OK) {
		/* within a few per cent of initramfs-tools' size, on every core */
		archive_write_set_filter_option(p.a, "zstd", "compression-level", "9");
		archive_write_set_filter_option(p.a, "zstd", "threads", "0");
	}
	archive_write_set_bytes_in_last_block(p.a, 1); /* no padding after the trailer */
	if (archive_write_open_fd(p.a, out_fd) != ARCHIVE_OK) {
		archive_write_free(p.a);
		archive_entry_linkresolver_free(p.links);
		return -EIO;
	}
	r = add_dir(&p, dir, "");
	if (r == 0)
		r = flush_links(&p);
	if (archive_write_close(p.a) != ARCHIVE_OK && r == 0)
		r = -EIO;
	archive_write_free(p.a);
	archive_entry_linkresolver_free(p.links);
	return r;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int initrd_patch(const char *in, const char *out, const char *const *patches, size_t n_patches, const char *work,
		 int log_fd, char *err, size_t errlen)
{
	struct initrd_segment segs[INITRD_MAX_SEGMENTS];
	_cleanup_free_ uint8_t *buf = NULL;
	_cleanup_close_ int fd = -1;
	const struct initrd_segment *main_seg;
	size_t len = 0;
	int n, r;

	if ((r = read_all(in, &buf, &len)) < 0) {
		snprintf(err, errlen, "reading the initrd: %s", strerror(-r));
		return r;
	}
	if ((n = initrd_split(buf, len, segs, ARRAY_SIZE(segs))) <= 0) {
		snprintf(err, errlen, "the initrd is not a (concatenated) cpio archive");
		return n < 0 ? n : -EBADMSG;
	}
	main_seg = &segs[n - 1];
	if (main_seg->kind == INITRD_UNKNOWN) {
		snprintf(err, errlen, "the initrd's main archive has an unknown compression");
		return -EBADMSG;
	}
	if ((r = unpack(buf + main_seg->offset, main_seg->length, work)) < 0) {
		snprintf(err, errlen, "unpacking the initrd's %s archive: %s", initrd_segment_name(main_seg->kind),
			 strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n_patches; i++) {
		if ((r = run_patch(work, patches[i], log_fd)) != 0) {
			snprintf(err, errlen, "%s did not apply to the initrd (patch exit status %d)", patches[i], r);
			return r > 0 ? -ECANCELED : r;
		}
	}
	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	/* The early segments as they were, byte for byte. */
	if ((r = write_all(fd, buf, main_seg->offset)) < 0 || (r = pack(work, main_seg->kind, fd)) < 0 ||
	    fsync(fd) < 0) {
		snprintf(err, errlen, "writing the initrd: %s", strerror(r < 0 ? -r : errno));
		return r < 0 ? r : -errno;
	}
	log_info("PATCH initrd: %d segment(s), main archive %s repacked as %s", n, initrd_segment_name(main_seg->kind),
		 main_seg->kind == INITRD_GZIP ? "gzip" : main_seg->kind == INITRD_CPIO ? "cpio" : "zstd");
	return 0;
}
