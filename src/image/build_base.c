/* What FROM gives a build: an ISO read once with libarchive and extracted
 * into the cache under its sha256 (the hash trusted while the file's stat is
 * unchanged), an ISO downloaded from a URL, or a built version's stack. */
#include "image/build_int.h"

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "image/cache_key.h"
#include "image/features.h"
#include "image/image_store.h"
#include "image/iso_read.h"
#include "image/step_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static void iso_progress(void *ud, uint64_t done, uint64_t total)
{
	struct progress *p = ud;
	p->total = total;
	show_progress(p, done);
}

/* ---- the base: the ISO, extracted once per content hash ------------------ */

/* The stat of the ISO when it was last hashed, so an unchanged rebuild
 * trusts the recorded hash instead of reading gigabytes again (as make and
 * git's index do). */
static void stat_line(const struct stat *st, char *buf, size_t size)
{
	snprintf(buf, size, "%llu %llu %lld %lld.%09ld %lld.%09ld\n", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

static bool file_equals(const char *path, const char *text)
{
	char buf[512];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return fsync(fd) < 0 ? -errno : 0;
}

static int base_load_layout(struct build *b)
{
	char p[PATH_MAX];
	json_error_t e;
	json_t *j, *sq;
	const char *kind;
	int r = -EBADMSG;

	if (pathf(p, sizeof(p), "%s/layout.json", b->base_dir) < 0 || !(j = json_load_file(p, 0, &e)))
		return -ENOENT;
	memset(&b->layout, 0, sizeof(b->layout));
	kind = json_string_value(json_object_get(j, "kind"));
	sq = json_object_get(j, "squashfs");
	if (!kind || !json_is_array(sq) || json_array_size(sq) == 0 || json_array_size(sq) > ISO_MAX_SQUASHFS)
		goto out;
	b->layout.kind = !strcmp(kind, "live-boot")        ? ISO_LAYOUT_LIVE_BOOT
			 : !strcmp(kind, "casper-layered") ? ISO_LAYOUT_CASPER_LAYERED
							   : ISO_LAYOUT_CASPER;
	copy_string(b->layout.dir, sizeof(b->layout.dir), json_string_value(json_object_get(j, "dir")) ?: "");
	copy_string(b->layout.kernel, ISO_PATH_MAX, json_string_value(json_object_get(j, "kernel")) ?: "");
	copy_string(b->layout.initrd, ISO_PATH_MAX, json_string_value(json_object_get(j, "initrd")) ?: "");
	copy_string(b->layout.casper_uuid, ISO_PATH_MAX, json_string_value(json_object_get(j, "casper_uuid")) ?: "");
	for (size_t i = 0; i < json_array_size(sq); i++)
		copy_string(b->layout.squashfs[b->layout.n_squashfs++], ISO_PATH_MAX,
			    json_string_value(json_array_get(sq, i)) ?: "");
	b->iso_size = (uint64_t)json_integer_value(json_object_get(j, "iso_size"));
	r = 0;
out:
	json_decref(j);
	return r;
}

static int base_save_layout(const char *dir, const struct iso_read_result *res)
{
	json_t *j = json_object(), *sq = json_array();
	char p[PATH_MAX];
	int r;

	for (size_t i = 0; i < res->layout.n_squashfs; i++)
		json_array_append_new(sq, json_string(res->layout.squashfs[i]));
	json_object_set_new(j, "kind", json_string(iso_layout_name(res->layout.kind)));
	json_object_set_new(j, "dir", json_string(res->layout.dir));
	json_object_set_new(j, "kernel", json_string(res->layout.kernel));
	json_object_set_new(j, "initrd", json_string(res->layout.initrd));
	json_object_set_new(j, "casper_uuid", json_string(res->layout.casper_uuid));
	json_object_set_new(j, "squashfs", sq);
	json_object_set_new(j, "iso_size", json_integer((json_int_t)res->size));
	r = pathf(p, sizeof(p), "%s/layout.json", dir) < 0 ? -ENAMETOOLONG
	    : json_dump_file(j, p, JSON_INDENT(2)) < 0  ? -EIO
							: fsync_path(p);
	json_decref(j);
	return r;
}

int hash_whole_file(const char *path, uint8_t out[32], struct progress *pr)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha256_ctx *c = sha256_new();
	static uint8_t buf[1 << 20];
	uint64_t done = 0;
	ssize_t n;

	if (fd < 0 || !c) {
		sha256_free(c);
		return fd < 0 ? -errno : -ENOMEM;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		sha256_update(c, buf, (size_t)n);
		if (((done += (uint64_t)n) & ((64u << 20) - 1)) == 0)
			show_progress(pr, done);
	}
	if (n < 0) {
		sha256_free(c);
		return -errno;
	}
	sha256_final(c, out);
	return 0;
}

static int base_extract(struct build *b, const struct stat *st, const char *shahex, const char *stamp)
{
	char tmp[PATH_MAX], err[512], got[65];
	struct progress pr = { b, "reading the ISO", now_s(), (uint64_t)st->st_size };
	struct iso_read_result res;
	int r;

	if (image_store_cache_path(&b->store, tmp, sizeof(tmp), "tmp/base-XXXXXX") < 0 || !mkdtemp(tmp))
		return -errno;
	r = iso_read(b->iso_path, tmp, iso_progress, &pr, &res, err, sizeof(err));
	if (r == 0 && memcmp(res.sha256, b->iso_sha, 32) != 0) {
		format_sha256_hex(got, res.sha256);
		snprintf(err, sizeof(err), "sha256 mismatch: the recipe says %s, the file is %s", shahex, got);
		r = -EBADMSG;
	}
	if (r == 0 && (r = base_save_layout(tmp, &res)) == 0) {
		char p[PATH_MAX];
		if (pathf(p, sizeof(p), "%s/source", tmp) == 0)
			r = write_file(p, stamp, strlen(stamp), 0644);
	}
	if (r == 0 && (r = fsync_tree(tmp)) == 0) {
		remove_tree(b->base_dir); /* an older extraction with a stale stamp */
		if (rename(tmp, b->base_dir) < 0)
			r = -errno;
	}
	if (r < 0) {
		say(b, "%s:%u: FROM %s: %s", b->o->recipe_path, b->recipe->steps[0].line, b->recipe->steps[0].arg,
		    err[0] ? err : strerror(-r));
		remove_tree(tmp);
		return r;
	}
	char sz[32];
	human(sz, sizeof(sz), res.size);
	say(b, "  %s ISO, %s, %zu squashfs, read in %.1f s", iso_layout_name(res.layout.kind), sz,
	    res.layout.n_squashfs, now_s() - pr.start);
	return 0;
}

static int prepare_iso(struct build *b)
{
	const struct recipe_step *from = &b->recipe->steps[0];
	char shahex[65], stamp[256], p[PATH_MAX], sub[128];
	struct stat st;
	uint8_t sha[32];
	int r;

	format_sha256_hex(shahex, from->sha256);
	memcpy(b->iso_sha, from->sha256, 32);
	if (stat(b->iso_path, &st) < 0 || !S_ISREG(st.st_mode)) {
		say(b, "%s:%u: FROM %s: %s", b->o->recipe_path, from->line, from->arg,
		    errno ? strerror(errno) : "not a file");
		return -ENOENT;
	}
	stat_line(&st, stamp, sizeof(stamp));
	snprintf(sub, sizeof(sub), "base/%s", shahex);
	if ((r = image_store_cache_path(&b->store, b->base_dir, sizeof(b->base_dir), sub)) < 0 ||
	    pathf(p, sizeof(p), "%s/source", b->base_dir) < 0)
		return -ENAMETOOLONG;
	if (!b->o->no_cache && base_load_layout(b) == 0) {
		if (file_equals(p, stamp)) {
			say(b, "  %s ISO %s (sha256 %.16s..., unchanged since it was read)", iso_layout_name(b->layout.kind),
			    from->arg, shahex);
			return 0;
		}
		/* Touched or copied: the content may still be the same. */
		struct progress pr = { b, "hashing the ISO", now_s(), (uint64_t)st.st_size };
		if ((r = hash_whole_file(b->iso_path, sha, &pr)) < 0)
			return r;
		if (memcmp(sha, b->iso_sha, 32) == 0) {
			say(b, "  %s ISO %s (sha256 checked, %.1f s)", iso_layout_name(b->layout.kind), from->arg,
			    now_s() - pr.start);
			return write_file(p, stamp, strlen(stamp), 0644);
		}
	}
	if ((r = base_extract(b, &st, shahex, stamp)) < 0)
		return r;
	return base_load_layout(b);
}

/* FROM http(s)://...: downloaded once into the cache under its sha256 (the
 * hash is checked as the ISO is read, and a wrong download is removed). */
static int download_iso(struct build *b)
{
	const struct recipe_step *from = &b->recipe->steps[0];
	char shahex[65], sub[128], tmp[PATH_MAX];
	pid_t pid;
	int status;

	format_sha256_hex(shahex, from->sha256);
	snprintf(sub, sizeof(sub), "downloads/%s.iso", shahex);
	if (image_store_cache_path(&b->store, b->iso_path, sizeof(b->iso_path), sub) < 0 ||
	    pathf(tmp, sizeof(tmp), "%s.part", b->iso_path) < 0)
		return -ENAMETOOLONG;
	if (access(b->iso_path, F_OK) == 0)
		return 0;
	image_store_cache_path(&b->store, sub, sizeof(sub), "downloads");
	mkdir(sub, 0755);
	say(b, "  downloading %s", from->arg);
	fflush(NULL);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0) {
		dup2(b->log_fd, 1);
		execlp("curl", "curl", "-fL", "--retry", "3", "-C", "-", b->tty ? "--progress-bar" : "-sS", "-o", tmp,
		       from->arg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say(b, "%s:%u: FROM %s: the download failed (curl exit status %d)", b->o->recipe_path, from->line,
		    from->arg, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -EIO;
	}
	return rename(tmp, b->iso_path) < 0 ? -errno : 0;
}

/* FROM image:NAME[@VERSION]: the version's stack, kernel and initrd as the
 * base, its key as the parent key, its command line carried on. */
static int prepare_image(struct build *b)
{
	const struct recipe_step *from = &b->recipe->steps[0];
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX];
	const char *layout, *key, *iso, *uuid, *cmdline;
	json_t *m, *stack;
	int r;

	if ((r = image_store_resolve(&b->store, from->arg + 6, name, version)) < 0 ||
	    (r = image_store_meta(&b->store, name, version, &m)) < 0) {
		say(b, "%s:%u: FROM %s: %s", b->o->recipe_path, from->line, from->arg,
		    r == -ENOENT ? "no such image or version (labboot image ls)" : strerror(-r));
		return r;
	}
	image_store_path(&b->store, b->base_dir, sizeof(b->base_dir), name, version);
	layout = json_string_value(json_object_get(m, "layout"));
	key = json_string_value(json_object_get(m, "key"));
	iso = json_string_value(json_object_get(json_object_get(m, "iso"), "sha256"));
	uuid = json_string_value(json_object_get(m, "casper_uuid"));
	cmdline = json_string_value(json_object_get(m, "cmdline"));
	stack = json_object_get(m, "stack");
	r = -EBADMSG;
	if (!layout || !key || !iso || parse_sha256_hex(key, b->base_key) < 0 || parse_sha256_hex(iso, b->iso_sha) < 0 ||
	    json_array_size(stack) == 0 || json_array_size(stack) >= BUILD_MAX_STACK - RECIPE_MAX_STEPS - 2)
		goto out;
	memset(&b->layout, 0, sizeof(b->layout));
	b->layout.kind = !strcmp(layout, "live-boot")        ? ISO_LAYOUT_LIVE_BOOT
			 : !strcmp(layout, "casper-layered") ? ISO_LAYOUT_CASPER_LAYERED
							     : ISO_LAYOUT_CASPER;
	copy_string(b->layout.dir, sizeof(b->layout.dir), json_string_value(json_object_get(m, "dir")) ?: "live");
	copy_string(b->layout.kernel, ISO_PATH_MAX, "vmlinuz");
	copy_string(b->layout.initrd, ISO_PATH_MAX, "initrd.img");
	copy_string(b->layout.casper_uuid, ISO_PATH_MAX, uuid ? uuid : "");
	for (size_t i = 0; i < json_array_size(stack); i++) {
		const char *rel = json_string_value(json_array_get(stack, i));
		if (!rel || strstr(rel, "..") || copy_string(b->base_rel[i], ISO_PATH_MAX, rel) < 0)
			goto out;
	}
	b->n_base = json_array_size(stack);
	copy_string(b->cmdline, sizeof(b->cmdline), cmdline ? cmdline : "");
	say(b, "  FROM %s@%s: %zu squashfs", name, version, b->n_base);
	r = 0;
out:
	if (r == -EBADMSG)
		say(b, "%s:%u: FROM %s: its meta.json is not usable", b->o->recipe_path, from->line, from->arg);
	json_decref(m);
	return r;
}

/* FROM --empty=NAME: NAME.squashfs of the ISO becomes an empty squashfs in
 * the stack (the name stays, so casper's layer chain holds). */
static int empty_layers(struct build *b)
{
	const struct recipe_step *from = &b->recipe->steps[0];
	char dir[PATH_MAX], sub[64];
	struct sha256_ctx *c;
	int r;

	if (!from->n_empty)
		return 0;
	for (size_t k = 0; k < from->n_empty; k++) {
		size_t i;
		for (i = 0; i < b->n_base; i++) {
			const char *base = strrchr(b->base_rel[i], '/') ? strrchr(b->base_rel[i], '/') + 1 : b->base_rel[i];
			if (strncmp(base, from->empty[k], strlen(from->empty[k])) == 0 &&
			    strcmp(base + strlen(from->empty[k]), ".squashfs") == 0)
				break;
		}
		if (i == b->n_base) {
			say(b, "%s:%u: FROM --empty=%s: the ISO has no %s/%s.squashfs", b->o->recipe_path, from->line,
			    from->empty[k], b->layout.dir, from->empty[k]);
			return -ENOENT;
		}
		b->base_empty[i] = true;
	}
	snprintf(sub, sizeof(sub), "layers/empty-%s.squashfs", b->o->cfg->images_compressor);
	if ((r = image_store_cache_path(&b->store, b->empty_layer, sizeof(b->empty_layer), sub)) < 0)
		return r;
	if (access(b->empty_layer, F_OK) < 0) {
		struct layer l = { 0 };
		if (image_store_cache_path(&b->store, dir, sizeof(dir), "tmp/empty-XXXXXX") < 0 || !mkdtemp(dir))
			return -errno;
		r = pack(b, dir, b->empty_layer, &l);
		rmdir(dir);
		if (r < 0)
			return r;
	}
	if (!(c = sha256_new()))
		return -ENOMEM;
	sha256_field(c, b->base_key, 32);
	for (size_t k = 0; k < from->n_empty; k++) {
		sha256_str(c, "empty");
		sha256_str(c, from->empty[k]);
	}
	sha256_final(c, b->base_key);
	return 0;
}

/* The layers labboot writes depend on how they are compressed: another
 * compressor or level makes other cache entries, not a reuse of the old. */
static int key_packing(struct build *b)
{
	struct sha256_ctx *c = sha256_new();

	if (!c)
		return -ENOMEM;
	sha256_field(c, b->base_key, 32);
	sha256_str(c, "packing");
	sha256_str(c, b->o->cfg->images_compressor);
	sha256_field(c, &(unsigned){ pack_level(b->o->cfg) }, sizeof(unsigned));
	sha256_final(c, b->base_key);
	return 0;
}

int prepare_base(struct build *b)
{
	const struct recipe_step *from = &b->recipe->steps[0];
	int r;

	if (from->from_kind == RECIPE_FROM_IMAGE)
		return (r = prepare_image(b)) < 0 ? r : key_packing(b);
	if (from->from_kind == RECIPE_FROM_ISO_URL)
		r = download_iso(b);
	else
		r = recipe_path(b->iso_path, sizeof(b->iso_path), b->recipe_dir, from->arg);
	if (r == 0 && (r = prepare_iso(b)) < 0 && from->from_kind == RECIPE_FROM_ISO_URL)
		unlink(b->iso_path); /* a wrong or damaged download is not kept */
	if (r < 0)
		return r;
	for (size_t i = 0; i < b->layout.n_squashfs; i++)
		copy_string(b->base_rel[i], ISO_PATH_MAX, b->layout.squashfs[i]);
	b->n_base = b->layout.n_squashfs;
	cache_key_base(b->iso_sha, iso_layout_name(b->layout.kind), b->base_key);
	return (r = empty_layers(b)) < 0 ? r : key_packing(b);
}

