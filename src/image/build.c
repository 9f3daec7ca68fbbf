/* The build: recipe -> steps with cache keys (pure) -> for each step a
 * cached layer or a sandboxed run -> a version directory published by an
 * atomic rename. The ISO's squashfs is extracted once per ISO and reused as
 * it is; only what a step changed is ever compressed. */
#include "image/build.h"

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "image/cache_key.h"
#include "image/features.h"
#include "image/image_store.h"
#include "image/initrd_patch.h"
#include "image/iso_read.h"
#include "image/merge.h"
#include "image/recipe.h"
#include "image/sandbox.h"
#include "image/sqfs_pack.h"
#include "image/step_exec.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define BUILD_MAX_STACK (ISO_MAX_SQUASHFS + RECIPE_MAX_STEPS + 2)

struct layer {
	char path[PATH_MAX];       /* in the cache (or the base extraction) */
	char key[65];
	int step;                  /* recipe step index, -1 base, -2 features */
	uint64_t bytes;
	double seconds;
	bool cached;
	uint64_t pruned;
};

struct build {
	const struct build_opts *o;
	struct image_store store;
	struct recipe *recipe;
	char recipe_dir[PATH_MAX];
	char recipe_real[PATH_MAX];
	char name[IMAGE_NAME_MAX];
	char tmp_version[PATH_MAX];     /* ROOT/NAME/.tmp-XXXXXX */
	int log_fd;
	bool tty;
	/* base */
	char iso_path[PATH_MAX];
	char base_dir[PATH_MAX];
	struct iso_layout layout;
	uint8_t iso_sha[32];
	uint64_t iso_size;
	uint8_t base_key[32];           /* the key of the stack FROM gives */
	char base_rel[BUILD_MAX_STACK][ISO_PATH_MAX]; /* its squashfs, relative to base_dir */
	size_t n_base;
	char empty_layer[PATH_MAX];     /* FROM --empty: what replaces those layers */
	bool base_empty[BUILD_MAX_STACK];
	/* the stack, bottom first */
	struct layer layers[BUILD_MAX_STACK];
	size_t n_layers;
	uint8_t top_key[32];
	char cmdline[4096];
	char initrd[PATH_MAX];          /* the initrd a version links: the ISO's or a patched one */
	double t_start;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A line for the user and the build log. */
__attribute__((format(printf, 2, 3))) static void say(struct build *b, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (b->tty)
		fputs("\r\033[K", stdout);
	fwrite(line, 1, (size_t)n, stdout);
	fflush(stdout);
	if (b->log_fd >= 0)
		(void)!write(b->log_fd, line, (size_t)n);
}

static void human(char *buf, size_t size, uint64_t bytes)
{
	if (bytes >= (1ull << 30))
		snprintf(buf, size, "%.2f GiB", (double)bytes / (1u << 30));
	else if (bytes >= (1u << 20))
		snprintf(buf, size, "%.1f MiB", (double)bytes / (1u << 20));
	else
		snprintf(buf, size, "%.1f KiB", (double)bytes / 1024);
}

/* ---- progress on a terminal --------------------------------------------- */

struct progress {
	struct build *b;
	const char *what;
	double start;
	uint64_t total;
};

static void show_progress(struct progress *p, uint64_t done)
{
	char d[32], t[32];
	double el = now_s() - p->start, eta;

	if (!p->b->tty)
		return;
	human(d, sizeof(d), done);
	if (p->total && done > 0 && done <= p->total) {
		human(t, sizeof(t), p->total);
		eta = el * (double)(p->total - done) / (double)done;
		printf("\r\033[K  %s: %s / %s (%.0f%%), ETA %.0f s", p->what, d, t, 100.0 * (double)done / (double)p->total, eta);
	} else {
		printf("\r\033[K  %s: %s, %.0f s", p->what, d, el);
	}
	fflush(stdout);
}

static void iso_progress(void *ud, uint64_t done, uint64_t total)
{
	struct progress *p = ud;
	p->total = total;
	show_progress(p, done);
}

static void pack_progress(void *ud, uint64_t done)
{
	show_progress(ud, done);
}

/* ---- command output: a pipe whose reader copies to the log and stdout ---- */

struct tee {
	int rfd, wfd;
	struct build *b;
	pthread_t thread;
};

static void *tee_main(void *arg)
{
	struct tee *t = arg;
	char buf[8192];
	ssize_t n;

	while ((n = read(t->rfd, buf, sizeof(buf))) > 0) {
		(void)!write(t->b->log_fd, buf, (size_t)n);
		(void)!write(STDOUT_FILENO, buf, (size_t)n);
	}
	return NULL;
}

static int tee_start(struct tee *t, struct build *b)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	t->rfd = p[0];
	t->wfd = p[1];
	t->b = b;
	if (pthread_create(&t->thread, NULL, tee_main, t) != 0) {
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	return 0;
}

static void tee_stop(struct tee *t)
{
	close(t->wfd);
	pthread_join(t->thread, NULL);
	close(t->rfd);
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

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
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

static int hash_whole_file(const char *path, uint8_t out[32], struct progress *pr)
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

static int pack(struct build *b, const char *dir, const char *out, struct layer *l);

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

static int prepare_base(struct build *b)
{
	const struct recipe_step *from = &b->recipe->steps[0];
	int r;

	if (from->from_kind == RECIPE_FROM_IMAGE)
		return prepare_image(b);
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
	return empty_layers(b);
}

/* ---- layers ------------------------------------------------------------- */

static int layer_path(struct build *b, const uint8_t key[32], char *out, size_t size)
{
	char hex[65], sub[128];

	format_sha256_hex(hex, key);
	snprintf(sub, sizeof(sub), "layers/%s.squashfs", hex);
	return image_store_cache_path(&b->store, out, size, sub);
}

/* zstd at level 6 packs a root about seven times faster than its default
 * (15, mksquashfs's too) for a fifth more bytes: iteration speed first;
 * `[images] level` chooses otherwise. */
static unsigned pack_level(const struct config *cfg)
{
	if (cfg->images_level)
		return cfg->images_level;
	return strcmp(cfg->images_compressor, "zstd") == 0 ? 6 : 0;
}

static int pack(struct build *b, const char *dir, const char *out, struct layer *l)
{
	char tmp[PATH_MAX];
	struct progress pr = { b, "compressing", now_s(), 0 };
	struct sqfs_pack_opts po = { .compressor = b->o->cfg->images_compressor, .level = pack_level(b->o->cfg),
				     .progress = pack_progress, .userdata = &pr };
	struct sqfs_pack_stats stats = { 0 };
	int r;

	if (pathf(tmp, sizeof(tmp), "%s.tmp%d", out, (int)getpid()) < 0)
		return -ENAMETOOLONG;
	r = sqfs_pack_dir(dir, tmp, &po, &stats);
	if (r == 0)
		r = fsync_path(tmp);
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	l->bytes = stats.bytes_out;
	return 0;
}

static void stack_paths(struct build *b, const char **paths)
{
	for (size_t i = 0; i < b->n_layers; i++)
		paths[i] = b->layers[i].path;
}

static int make_workdirs(struct build *b, char *top, char *upper, char *work, char *scratch)
{
	if (image_store_cache_path(&b->store, top, PATH_MAX, "tmp/step-XXXXXX") < 0 || !mkdtemp(top))
		return -errno;
	if (pathf(upper, PATH_MAX, "%s/upper", top) < 0 || pathf(work, PATH_MAX, "%s/work", top) < 0 ||
	    pathf(scratch, PATH_MAX, "%s/mnt", top) < 0)
		return -ENAMETOOLONG;
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(scratch, 0700) < 0)
		return -errno;
	return 0;
}

static int run_layer_step(struct build *b, size_t idx, const uint8_t key[32], struct layer *l)
{
	const struct recipe_step *s = &b->recipe->steps[idx];
	char top[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], scratch[PATH_MAX];
	const char *lowers[BUILD_MAX_STACK];
	struct step_ctx ctx = { .step = s, .recipe_dir = b->recipe_dir };
	struct tee tee;
	int r;

	if ((r = make_workdirs(b, top, upper, work, scratch)) < 0)
		return r;
	stack_paths(b, lowers);
	if ((r = tee_start(&tee, b)) < 0)
		goto out;
	ctx.log_fd = tee.wfd;
	r = step_exec(&ctx, lowers, b->n_layers, upper, work, scratch);
	tee_stop(&tee);
	if (r > 0) {
		say(b, "%s:%u: %s failed with exit status %d", b->o->recipe_path, s->line, recipe_op_name(s->op), r);
		r = -ECANCELED;
		goto out;
	}
	if (r < 0) {
		say(b, "%s:%u: %s: %s", b->o->recipe_path, s->line, recipe_op_name(s->op), strerror(-r));
		goto out;
	}
	l->pruned = ctx.pruned_files;
	r = pack(b, upper, l->path, l);
	if (r < 0)
		say(b, "%s:%u: packing the layer: %s", b->o->recipe_path, s->line, strerror(-r));
out:
	remove_tree(top);
	(void)key;
	return r;
}

/* The instruction without its keyword, cut to fit a line. */
static const char *short_text(const char *s, char *buf, size_t size)
{
	size_t n;

	s += strcspn(s, " \t");
	s += strspn(s, " \t");
	n = strlen(s);
	if (n < size)
		return s;
	snprintf(buf, size, "%.*s...", (int)size - 4, s);
	return buf;
}

static int add_layer_step(struct build *b, size_t idx, size_t n_makes, size_t *k)
{
	const struct recipe_step *s = &b->recipe->steps[idx];
	struct layer *l = &b->layers[b->n_layers];
	uint8_t inputs[32], key[32];
	char txt[80], sz[32];
	struct stat st;
	double t0 = now_s();
	int r;

	if ((r = step_inputs_digest(s, b->recipe_dir, inputs)) < 0) {
		say(b, "%s:%u: %s: %s", b->o->recipe_path, s->line, recipe_op_name(s->op), strerror(-r));
		return r;
	}
	cache_key_step(b->top_key, s, r > 0 ? inputs : NULL, key);
	memset(l, 0, sizeof(*l));
	l->step = (int)idx;
	format_sha256_hex(l->key, key);
	if ((r = layer_path(b, key, l->path, sizeof(l->path))) < 0)
		return r;
	(*k)++;
	if (!b->o->no_cache && stat(l->path, &st) == 0) {
		l->cached = true;
		l->bytes = (uint64_t)st.st_size;
		say(b, "step %zu/%zu: %s %s (cached)", *k, n_makes, recipe_op_name(s->op), short_text(s->text, txt, sizeof(txt)));
	} else {
		say(b, "step %zu/%zu: %s %s", *k, n_makes, recipe_op_name(s->op), short_text(s->text, txt, sizeof(txt)));
		if ((r = run_layer_step(b, idx, key, l)) < 0)
			return r;
		l->seconds = now_s() - t0;
		human(sz, sizeof(sz), l->bytes);
		if (l->pruned)
			say(b, "  done in %.1f s: layer %s (%llu entries the step rewrote unchanged dropped)", l->seconds, sz,
			    (unsigned long long)l->pruned);
		else
			say(b, "  done in %.1f s: layer %s", l->seconds, sz);
	}
	memcpy(b->top_key, key, 32);
	b->n_layers++;
	return 0;
}

static int features_key(struct build *b, uint8_t out[32])
{
	struct sha256_ctx *c = sha256_new();

	if (!c)
		return -ENOMEM;
	sha256_str(c, CACHE_KEY_VERSION);
	sha256_field(c, b->top_key, 32);
	sha256_str(c, "features");
	sha256_str(c, FEATURES_VERSION);
	for (size_t i = 0; i < b->recipe->n_steps; i++)
		if (b->recipe->steps[i].op == RECIPE_FEATURE)
			sha256_str(c, b->recipe->steps[i].text);
	sha256_final(c, out);
	return 0;
}

static int add_features_layer(struct build *b)
{
	struct layer *l = &b->layers[b->n_layers];
	char top[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], scratch[PATH_MAX];
	uint8_t key[32];
	struct stat st;
	int r;

	if ((r = features_key(b, key)) < 0)
		return r;
	memset(l, 0, sizeof(*l));
	l->step = -2;
	format_sha256_hex(l->key, key);
	if ((r = layer_path(b, key, l->path, sizeof(l->path))) < 0)
		return r;
	if (b->o->no_cache || stat(l->path, &st) < 0) {
		if ((r = make_workdirs(b, top, upper, work, scratch)) < 0)
			return r;
		r = features_write_tree(b->recipe, upper);
		if (r == 0)
			r = pack(b, upper, l->path, l);
		remove_tree(top);
		if (r < 0) {
			say(b, "features layer: %s", strerror(-r));
			return r;
		}
	} else {
		l->cached = true;
		l->bytes = (uint64_t)st.st_size;
	}
	memcpy(b->top_key, key, 32);
	b->n_layers++;
	return 0;
}

/* ---- publishing the stack as fewer squashfs (--merge, --flatten) ---------
 * Both make one layer from the whole stack in the sandbox, cached under a
 * key of the stack's key, what was made and how it is compressed. */

struct derive_ctx {
	struct build *b;
	const char *out_dir;        /* an empty directory on the cache's filesystem */
	const char *layer;          /* the squashfs to write */
	struct layer *l;
};

/* --flatten: everything the stack shows, packed (recompressed) whole. */
static int flatten_fn(const char *root, void *ud)
{
	struct derive_ctx *d = ud;
	return pack(d->b, root, d->layer, d->l);
}

/* --merge: the layers above the base folded into one (merge.c); in the
 * sandbox, layer i is mounted alone at l/i (its cwd is the scratch dir). */
static int merge_fn(const char *root, void *ud)
{
	struct derive_ctx *d = ud;
	char *tops[MERGE_MAX_LAYERS], *base[ISO_MAX_SQUASHFS + MERGE_MAX_LAYERS];
	size_t n = 0, nb = 0;
	int r;

	for (size_t i = d->b->n_layers; i-- > d->b->n_base && n < MERGE_MAX_LAYERS;) {
		char p[32];
		snprintf(p, sizeof(p), "l/%zu", i);
		tops[n++] = xstrdup(p);
	}
	for (size_t i = 0; i < d->b->n_base && nb < ARRAY_SIZE(base); i++) {
		char p[32];
		snprintf(p, sizeof(p), "l/%zu", i);
		base[nb++] = xstrdup(p);
	}
	r = merge_layers(tops, n, base, nb, d->out_dir, NULL);
	for (size_t i = 0; i < n; i++)
		free(tops[i]);
	for (size_t i = 0; i < nb; i++)
		free(base[i]);
	return r < 0 ? r : pack(d->b, d->out_dir, d->layer, d->l);
}

static int derive_layer(struct build *b, const char *what, int step, sandbox_fn fn, struct layer *out)
{
	char top[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], scratch[PATH_MAX];
	const char *lowers[BUILD_MAX_STACK];
	struct sha256_ctx *c = sha256_new();
	uint8_t key[32];
	struct stat st;
	int r;

	if (!c)
		return -ENOMEM;
	*out = (struct layer){ .step = step };
	sha256_field(c, b->top_key, 32);
	sha256_str(c, what);
	sha256_str(c, b->o->cfg->images_compressor);
	sha256_field(c, &(unsigned){ pack_level(b->o->cfg) }, sizeof(unsigned));
	sha256_final(c, key);
	format_sha256_hex(out->key, key);
	if ((r = layer_path(b, key, out->path, sizeof(out->path))) < 0)
		return r;
	if (!b->o->no_cache && stat(out->path, &st) == 0) {
		out->cached = true;
		out->bytes = (uint64_t)st.st_size;
		return 0;
	}
	double t0 = now_s();
	struct derive_ctx d = { b, upper, out->path, out };
	struct sandbox sb = { .lowers = lowers, .n_lowers = b->n_layers, .scratch = scratch };

	if (step == -3)
		say(b, "flattening %zu layers into one squashfs", b->n_layers);
	else
		say(b, "merging the %zu layers above the base into one", b->n_layers - b->n_base);
	if ((r = make_workdirs(b, top, upper, work, scratch)) < 0)
		return r;
	stack_paths(b, lowers);
	r = sandbox_run(&sb, fn, NULL, &d);
	remove_tree(top);
	if (r == 0 && stat(out->path, &st) < 0) /* packed in the sandbox's process */
		r = -errno;
	if (r < 0) {
		say(b, "%s: %s", what, strerror(-r));
		return r;
	}
	out->bytes = (uint64_t)st.st_size;
	out->seconds = now_s() - t0;
	return 0;
}

static int merge(struct build *b)
{
	struct layer merged;
	int r;

	if (b->n_layers <= b->n_base + 1)
		return 0; /* nothing to fold */
	if ((r = derive_layer(b, "merge-3", -4, merge_fn, &merged)) < 0) /* bump the tag when the merge changes */
		return r;
	b->layers[b->n_base] = merged;
	b->n_layers = b->n_base + 1;
	return 0;
}

static int flatten(struct build *b)
{
	struct layer flat;
	int r;

	if ((r = derive_layer(b, "flatten", -3, flatten_fn, &flat)) < 0)
		return r;
	b->layers[0] = flat;
	b->n_layers = 1;
	return 0;
}

/* ---- the version directory ----------------------------------------------- */

/* The name a layer gets in the version, in the order the live initramfs
 * stacks them: live-boot reads filesystem.module; casper 22.04 globs (the
 * base "filesystem" sorts before "l01"...); casper 24.04 follows the
 * layer-path chain, one dot component per layer. */
static void layer_name(struct build *b, size_t i, char *out, size_t size)
{
	size_t nbase = b->n_base;
	const char *top = b->base_rel[nbase - 1];
	const char *base = strrchr(top, '/') ? strrchr(top, '/') + 1 : top;

	if (b->o->flatten) {
		snprintf(out, size, "%s", b->layout.kind == ISO_LAYOUT_CASPER_LAYERED ? "minimal.squashfs" : "filesystem.squashfs");
		return;
	}
	if (i < nbase) {
		const char *n = strrchr(b->base_rel[i], '/');
		snprintf(out, size, "%s", n ? n + 1 : b->base_rel[i]);
		return;
	}
	if (b->layout.kind == ISO_LAYOUT_CASPER_LAYERED) {
		size_t n = (size_t)snprintf(out, size, "%.*s", (int)(strlen(base) - strlen(".squashfs")), base);
		for (size_t k = nbase; k <= i && n < size; k++)
			n += (size_t)snprintf(out + n, size - n, ".l%02zu", k - nbase + 1);
		if (n < size)
			snprintf(out + n, size - n, ".squashfs");
		return;
	}
	/* Numbered by position in the whole stack, so the layers of an image
	 * built FROM another sort after its parent's (casper 22.04 globs). */
	snprintf(out, size, "l%02zu-%.12s.squashfs", i, b->layers[i].key);
}

static int link_into(const char *src, const char *dir, const char *rel)
{
	char dst[PATH_MAX];

	if (pathf(dst, sizeof(dst), "%s/%s", dir, rel) < 0)
		return -ENAMETOOLONG;
	return link(src, dst) < 0 ? -errno : 0;
}

static int copy_recipe(struct build *b)
{
	char dst[PATH_MAX], buf[65536];
	_cleanup_close_ int in = open(b->recipe_real, O_RDONLY | O_CLOEXEC), out = -1;
	ssize_t n;

	if (in < 0 || pathf(dst, sizeof(dst), "%s/recipe", b->tmp_version) < 0)
		return -errno;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	return n < 0 ? -errno : 0;
}

static json_t *layers_json(struct build *b, json_t *stack)
{
	json_t *arr = json_array();
	char name[PATH_MAX], rel[PATH_MAX + 16];

	for (size_t i = 0; i < b->n_layers; i++) {
		const struct layer *l = &b->layers[i];
		json_t *o = json_object();
		layer_name(b, i, name, sizeof(name));
		snprintf(rel, sizeof(rel), "%s/%s", b->layout.dir, name);
		json_array_append_new(stack, json_string(rel));
		json_object_set_new(o, "file", json_string(rel));
		json_object_set_new(o, "key", json_string(l->key));
		json_object_set_new(o, "bytes", json_integer((json_int_t)l->bytes));
		json_object_set_new(o, "seconds", json_real(l->seconds));
		json_object_set_new(o, "cached", json_boolean(l->cached));
		if (l->step >= 0) {
			json_object_set_new(o, "line", json_integer(b->recipe->steps[l->step].line));
			json_object_set_new(o, "step", json_string(b->recipe->steps[l->step].text));
			json_object_set_new(o, "unchanged_dropped", json_integer((json_int_t)l->pruned));
		} else {
			json_object_set_new(o, "step", json_string(l->step == -1   ? "base"
								   : l->step == -2 ? "features"
								   : l->step == -3 ? "flatten"
										   : "merge"));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *inputs_json(struct build *b)
{
	json_t *arr = json_array();
	char hex[65];
	uint8_t d[32];

	for (size_t i = 0; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		if (step_inputs_digest(s, b->recipe_dir, d) != 1)
			continue;
		format_sha256_hex(hex, d);
		json_array_append_new(arr, json_pack("{s:i, s:s, s:s}", "line", s->line, "step", s->text, "sha256", hex));
	}
	return arr;
}

static int write_meta(struct build *b, const char *version, const char *cpio_name)
{
	char hex[65], iso_hex[65], rsha[65], p[PATH_MAX];
	json_t *j = json_object(), *stack = json_array(), *initrds = json_array();
	uint8_t rs[32];
	uint64_t total = 0;
	int r;

	format_sha256_hex(hex, b->top_key);
	format_sha256_hex(iso_hex, b->iso_sha);
	for (size_t i = 0; i < b->n_layers; i++)
		total += b->layers[i].bytes;
	json_array_append_new(initrds, json_string("initrd.img"));
	json_array_append_new(initrds, json_string(cpio_name));
	json_object_set_new(j, "name", json_string(b->name));
	json_object_set_new(j, "version", json_string(version));
	json_object_set_new(j, "created", json_integer((json_int_t)time(NULL)));
	json_object_set_new(j, "layout", json_string(iso_layout_name(b->layout.kind)));
	json_object_set_new(j, "dir", json_string(b->layout.dir));
	json_object_set_new(j, "kernel", json_string("vmlinuz"));
	json_object_set_new(j, "initrds", initrds);
	json_object_set_new(j, "layers", layers_json(b, stack));
	json_object_set_new(j, "stack", stack);
	json_object_set_new(j, "flatten", json_boolean(b->o->flatten));
	json_object_set_new(j, "merge", json_boolean(b->o->merge));
	json_object_set_new(j, "compressor", json_string(b->o->cfg->images_compressor));
	json_object_set_new(j, "cmdline", json_string(b->cmdline));
	json_object_set_new(j, "key", json_string(hex));
	json_object_set_new(j, "root_bytes", json_integer((json_int_t)total));
	json_object_set_new(j, "iso", json_pack("{s:s, s:s, s:I}", "path", b->iso_path, "sha256", iso_hex,
						 "bytes", (json_int_t)b->iso_size));
	if (hash_whole_file(b->recipe_real, rs, &(struct progress){ .b = b }) == 0) {
		format_sha256_hex(rsha, rs);
		json_object_set_new(j, "recipe", json_pack("{s:s, s:s}", "path", b->recipe_real, "sha256", rsha));
	}
	json_object_set_new(j, "inputs", inputs_json(b));
	json_object_set_new(j, "seconds", json_real(now_s() - b->t_start));
	if (b->layout.casper_uuid[0])
		json_object_set_new(j, "casper_uuid", json_string(b->layout.casper_uuid));
	r = pathf(p, sizeof(p), "%s/meta.json", b->tmp_version) < 0 ? -ENAMETOOLONG
	    : json_dump_file(j, p, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ? -EIO
									  : 0;
	json_decref(j);
	return r;
}

static int assemble(struct build *b, const char *version)
{
	char src[PATH_MAX], dir[PATH_MAX], name[PATH_MAX], rel[PATH_MAX + 16], module[8192] = "";
	size_t mlen = 0;
	int r = 0;

	if (pathf(dir, sizeof(dir), "%s/%s", b->tmp_version, b->layout.dir) < 0 || mkdir(dir, 0755) < 0)
		return -errno;
	if (pathf(src, sizeof(src), "%s/%s", b->base_dir, b->layout.kernel) < 0 ||
	    (r = link_into(src, b->tmp_version, "vmlinuz")) < 0)
		return r;
	if ((r = link_into(b->initrd, b->tmp_version, "initrd.img")) < 0)
		return r;
	if (b->layout.casper_uuid[0]) {
		char d[PATH_MAX];
		if (pathf(d, sizeof(d), "%s/.disk", b->tmp_version) < 0 || mkdir(d, 0755) < 0 ||
		    pathf(src, sizeof(src), "%s/%s", b->base_dir, b->layout.casper_uuid) < 0 ||
		    (r = link_into(src, b->tmp_version, b->layout.casper_uuid)) < 0)
			return -EIO;
	}
	for (size_t i = 0; i < b->n_layers; i++) {
		layer_name(b, i, name, sizeof(name));
		snprintf(rel, sizeof(rel), "%s/%s", b->layout.dir, name);
		if ((r = link_into(b->layers[i].path, b->tmp_version, rel)) < 0)
			return r;
		mlen += (size_t)snprintf(module + mlen, mlen < sizeof(module) ? sizeof(module) - mlen : 0, "%s\n", name);
	}
	if (mlen >= sizeof(module))
		return -E2BIG;
	if (b->layout.kind == ISO_LAYOUT_LIVE_BOOT) {
		if (pathf(src, sizeof(src), "%s/filesystem.module", dir) < 0 ||
		    (r = write_file(src, module, mlen, 0644)) < 0)
			return r;
	}
	if (pathf(src, sizeof(src), "%s/labboot.cpio", b->tmp_version) < 0 ||
	    (r = features_write_cpio(b->layout.kind, src)) < 0)
		return r;
	if ((r = copy_recipe(b)) < 0)
		return r;
	return write_meta(b, version, "labboot.cpio");
}

/* Is the default version built from exactly this stack? */
static bool up_to_date(struct build *b, char *current, size_t size)
{
	char hex[65];
	json_t *m;
	bool same;

	if (image_store_current(&b->store, b->name, current, size) < 0 ||
	    image_store_meta(&b->store, b->name, current, &m) < 0)
		return false;
	format_sha256_hex(hex, b->top_key);
	same = json_is_true(json_object_get(m, "flatten")) == b->o->flatten &&
	       json_is_true(json_object_get(m, "merge")) == b->o->merge &&
	       strcmp(json_string_value(json_object_get(m, "key")) ?: "", hex) == 0 &&
	       strcmp(json_string_value(json_object_get(m, "cmdline")) ?: "", b->cmdline) == 0;
	json_decref(m);
	return same;
}

static int new_version_name(struct build *b, char *out, size_t size)
{
	char p[PATH_MAX];
	time_t t = time(NULL);
	struct tm tm;

	/* One second apart at most: a build of the same second waits for the next. */
	for (int tries = 0; tries < 3; tries++, t++) {
		char stamp[32];
		localtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		if (snprintf(out, size, "%s-%s", b->name, stamp) >= (int)size)
			return -ENAMETOOLONG;
		if (image_store_path(&b->store, p, sizeof(p), b->name, out) < 0)
			return -EINVAL;
		if (access(p, F_OK) < 0) {
			while (time(NULL) < t)
				usleep(100000);
			return 0;
		}
	}
	return -EEXIST;
}

/* ---- the recipe ---------------------------------------------------------- */

static int read_recipe(struct build *b)
{
	char err[1024], *copy;
	_cleanup_free_ char *buf = malloc(RECIPE_MAX_BYTES + 1);
	_cleanup_close_ int fd = -1;
	ssize_t n, len = 0;
	int r;

	if (!buf)
		return -ENOMEM;
	if (!realpath(b->o->recipe_path, b->recipe_real) || (fd = open(b->recipe_real, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "labboot: %s: %s\n", b->o->recipe_path, strerror(errno));
		return -errno;
	}
	while ((n = read(fd, buf + len, (size_t)(RECIPE_MAX_BYTES + 1 - len))) > 0)
		len += n;
	if (n < 0)
		return -errno;
	if ((r = recipe_parse(b->o->recipe_path, buf, (size_t)len, &b->recipe, err, sizeof(err))) < 0) {
		fprintf(stderr, "%s\n", err);
		return r;
	}
	copy = xstrdup(b->recipe_real);
	copy_string(b->recipe_dir, sizeof(b->recipe_dir), dirname(copy));
	free(copy);
	return 0;
}

/* Everything a build reads is checked before anything runs. */
static int check_inputs(struct build *b)
{
	char p[PATH_MAX];
	int errors = 0;

	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		for (size_t k = 0; k < s->n_sources + (s->op == RECIPE_PATCH); k++) {
			const char *src = s->op == RECIPE_PATCH ? s->arg : s->sources[k];
			if (recipe_path(p, sizeof(p), b->recipe_dir, src) < 0 || access(p, R_OK) < 0) {
				fprintf(stderr, "%s:%u: %s: %s: %s\n", b->o->recipe_path, s->line, recipe_op_name(s->op), src,
					strerror(errno ? errno : ENAMETOOLONG));
				errors++;
			}
		}
	}
	return errors ? -EINVAL : 0;
}

static void name_from_recipe(struct build *b)
{
	const char *base = strrchr(b->o->recipe_path, '/') ? strrchr(b->o->recipe_path, '/') + 1 : b->o->recipe_path;
	size_t n = strlen(base);

	if (n > 7 && strcmp(base + n - 7, ".recipe") == 0)
		n -= 7;
	snprintf(b->name, sizeof(b->name), "%.*s", (int)MIN(n, sizeof(b->name) - 1), base);
}

/* Leftovers of a build that was killed: temp dirs in the cache and the
 * image's directory (the cache's are named for no image: all go, under the
 * image lock only this image's). */
static void clean_leftovers(struct build *b)
{
	char p[PATH_MAX], cmdpath[PATH_MAX];
	DIR *d;
	struct dirent *de;

	if (image_store_path(&b->store, p, sizeof(p), b->name, NULL) < 0 || !(d = opendir(p)))
		return;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, ".tmp-", 5) == 0 && pathf(cmdpath, sizeof(cmdpath), "%s/%s", p, de->d_name) == 0)
			remove_tree(cmdpath);
	closedir(d);
}

/* The initrd's cache key: the ISO's and every PATCH initrd step with the
 * content of its diff, in order. 0 and OUT filled, 1 if there is none. */
static int initrd_key(struct build *b, uint8_t out[32])
{
	struct sha256_ctx *c = sha256_new();
	uint8_t d[32];
	int n = 0, r;

	if (!c)
		return -ENOMEM;
	sha256_str(c, CACHE_KEY_VERSION);
	sha256_str(c, "initrd");
	sha256_field(c, b->base_key, 32);
	sha256_str(c, b->layout.initrd);
	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		if (s->op != RECIPE_PATCH || s->patch_target != RECIPE_PATCH_INITRD)
			continue;
		if ((r = step_inputs_digest(s, b->recipe_dir, d)) < 0) {
			sha256_free(c);
			return r;
		}
		sha256_str(c, s->text);
		sha256_field(c, d, 32);
		n++;
	}
	sha256_final(c, out);
	return n ? 0 : 1;
}

static int prepare_initrd(struct build *b)
{
	const char *patches[RECIPE_MAX_STEPS];
	char top[PATH_MAX], work[PATH_MAX], tmp[PATH_MAX], in[PATH_MAX], hex[65], sub[128], err[512] = "";
	uint8_t key[32];
	size_t n = 0;
	struct stat st;
	double t0 = now_s();
	int r;

	if ((r = initrd_key(b, key)) < 0)
		return r;
	if (r == 1)
		return pathf(b->initrd, sizeof(b->initrd), "%s/%s", b->base_dir, b->layout.initrd);
	format_sha256_hex(hex, key);
	snprintf(sub, sizeof(sub), "layers/%s.initrd", hex);
	if ((r = image_store_cache_path(&b->store, b->initrd, sizeof(b->initrd), sub)) < 0)
		return r;
	if (!b->o->no_cache && stat(b->initrd, &st) == 0) {
		say(b, "PATCH initrd (cached)");
		return 0;
	}
	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		char *p;
		if (s->op != RECIPE_PATCH || s->patch_target != RECIPE_PATCH_INITRD)
			continue;
		if (!(p = malloc(PATH_MAX)) || recipe_path(p, PATH_MAX, b->recipe_dir, s->arg) < 0) {
			free(p);
			r = -ENOMEM;
			goto out;
		}
		patches[n++] = p;
	}
	say(b, "PATCH initrd: %zu patch(es) on %s", n, b->layout.initrd);
	if (image_store_cache_path(&b->store, top, sizeof(top), "tmp/initrd-XXXXXX") < 0 || !mkdtemp(top) ||
	    pathf(work, sizeof(work), "%s/root", top) < 0 || mkdir(work, 0755) < 0 ||
	    pathf(tmp, sizeof(tmp), "%s.tmp%d", b->initrd, (int)getpid()) < 0 ||
	    pathf(in, sizeof(in), "%s/%s", b->base_dir, b->layout.initrd) < 0) {
		r = -errno;
		goto out;
	}
	r = initrd_patch(in, tmp, patches, n, work, b->log_fd, err, sizeof(err));
	if (r == 0 && rename(tmp, b->initrd) < 0)
		r = -errno;
	remove_tree(top);
	unlink(tmp);
	if (r < 0)
		say(b, "%s: PATCH initrd: %s", b->o->recipe_path, err[0] ? err : strerror(-r));
	else
		say(b, "  done in %.1f s", now_s() - t0);
out:
	for (size_t i = 0; i < n; i++)
		free((char *)patches[i]);
	return r;
}

static int build_stack(struct build *b)
{
	size_t n_makes = 0, k = 0;
	int r;

	memcpy(b->top_key, b->base_key, 32);
	b->n_layers = 0;
	for (size_t i = 0; i < b->n_base; i++) {
		struct layer *l = &b->layers[b->n_layers++];
		memset(l, 0, sizeof(*l));
		l->step = -1;
		l->cached = true;
		format_sha256_hex(l->key, b->top_key);
		if (b->base_empty[i] ? pathf(l->path, sizeof(l->path), "%s", b->empty_layer) < 0
				     : pathf(l->path, sizeof(l->path), "%s/%s", b->base_dir, b->base_rel[i]) < 0)
			return -ENAMETOOLONG;
		struct stat st;
		if (stat(l->path, &st) == 0)
			l->bytes = (uint64_t)st.st_size;
	}
	for (size_t i = 1; i < b->recipe->n_steps; i++)
		n_makes += recipe_step_makes_layer(&b->recipe->steps[i]);
	for (size_t i = 1; i < b->recipe->n_steps; i++) {
		const struct recipe_step *s = &b->recipe->steps[i];
		if (s->op == RECIPE_CMDLINE) {
			size_t n = strlen(b->cmdline);
			snprintf(b->cmdline + n, sizeof(b->cmdline) - n, "%s%s", n ? " " : "", s->arg);
		} else if (recipe_step_makes_layer(s) && (r = add_layer_step(b, i, n_makes, &k)) < 0) {
			return r;
		}
	}
	if ((r = features_cmdline(b->recipe, b->layout.kind, b->cmdline, sizeof(b->cmdline))) < 0 ||
	    (r = add_features_layer(b)) < 0 || (r = prepare_initrd(b)) < 0)
		return r;
	return b->o->flatten ? flatten(b) : b->o->merge ? merge(b) : 0;
}

static int publish(struct build *b)
{
	char version[IMAGE_VERSION_MAX], current[IMAGE_VERSION_MAX], sz[32];
	uint64_t total = 0;
	int r;

	if (!b->o->no_cache && up_to_date(b, current, sizeof(current))) {
		say(b, "%s is up to date: %s (%.1f s)", b->name, current, now_s() - b->t_start);
		return 0;
	}
	if ((r = new_version_name(b, version, sizeof(version))) < 0 || (r = assemble(b, version)) < 0) {
		say(b, "publishing: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < b->n_layers; i++)
		total += b->layers[i].bytes;
	human(sz, sizeof(sz), total);
	say(b, "built %s in %.1f s: %zu squashfs (%s)%s", version, now_s() - b->t_start, b->n_layers, sz,
	    b->o->flatten ? ", flattened" : b->o->merge ? ", merged" : "");
	fsync(b->log_fd);
	if ((r = image_store_publish(&b->store, b->name, b->tmp_version, version)) < 0) {
		say(b, "publishing %s: %s", version, strerror(-r));
		return r;
	}
	b->tmp_version[0] = '\0';
	if (b->o->no_promote)
		return 0;
	if ((r = image_store_set_current(&b->store, b->name, version)) < 0)
		say(b, "making %s the default: %s", version, strerror(-r));
	else
		printf("%s is now the default of %s\n", version, b->name);
	return r;
}

int image_check(const char *recipe_path)
{
	struct build_opts o = { .recipe_path = recipe_path };
	struct build *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->o = &o;
	b->log_fd = -1;
	if ((r = read_recipe(b)) == 0 && (r = check_inputs(b)) == 0)
		printf("%s: ok (%zu instructions)\n", recipe_path, b->recipe->n_steps);
	recipe_free(b->recipe);
	free(b);
	return r;
}

int image_build(const struct build_opts *o)
{
	struct build *b = calloc(1, sizeof(*b));
	char p[PATH_MAX];
	int lock = -1, r;

	if (!b)
		return -ENOMEM;
	b->o = o;
	b->log_fd = -1;
	b->t_start = now_s();
	b->tty = isatty(STDOUT_FILENO);
	if ((r = read_recipe(b)) < 0 || (r = check_inputs(b)) < 0)
		goto out;
	if (o->name)
		copy_string(b->name, sizeof(b->name), o->name);
	else
		name_from_recipe(b);
	if (!image_name_valid(b->name)) {
		fprintf(stderr, "labboot: '%s' is not an image name (letters, digits, '.', '_', '-'); use --name\n", b->name);
		r = -EINVAL;
		goto out;
	}
	if ((r = image_store_init(&b->store, o->cfg->images_root)) < 0) {
		fprintf(stderr, "labboot: image store %s: %s\n", o->cfg->images_root, strerror(-r));
		goto out;
	}
	if ((lock = image_store_lock(&b->store, b->name)) < 0) {
		r = lock;
		goto out;
	}
	clean_leftovers(b);
	if ((r = image_store_path(&b->store, p, sizeof(p), b->name, NULL)) < 0 || (mkdir(p, 0755) < 0 && errno != EEXIST) ||
	    pathf(b->tmp_version, sizeof(b->tmp_version), "%s/.tmp-XXXXXX", p) < 0 || !mkdtemp(b->tmp_version) ||
	    pathf(p, sizeof(p), "%s/build.log", b->tmp_version) < 0 ||
	    (b->log_fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
		r = -errno;
		fprintf(stderr, "labboot: %s: %s\n", p, strerror(errno));
		goto out;
	}
	say(b, "building %s from %s", b->name, b->o->recipe_path);
	if ((r = prepare_base(b)) < 0 || (r = build_stack(b)) < 0)
		goto out;
	r = publish(b);
out:
	if (r < 0 && b->tmp_version[0])
		say(b, "nothing published");
	if (b->tmp_version[0])
		remove_tree(b->tmp_version);
	if (b->log_fd >= 0)
		close(b->log_fd);
	if (lock >= 0)
		close(lock);
	recipe_free(b->recipe);
	free(b);
	return r;
}
