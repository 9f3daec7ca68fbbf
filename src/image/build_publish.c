/* The version directory: the layers linked under the names the live
 * initramfs stacks them by, kernel, initrds, meta.json, the recipe and the
 * log, assembled in a temp dir and published by an atomic rename. */
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

/* The initrd, padded with zeros to a multiple of 4 bytes when it is not:
 * the kernel finds a cpio archive that follows (labboot.cpio) only at a
 * 4-byte boundary, and the EFI stub loads initrd= files back to back
 * (iPXE's BIOS loader aligns them itself). Zeros between archives are
 * skipped. An aligned one is hard-linked as it is. */
static int place_initrd(const char *src, const char *dir, bool pad)
{
	static const char zeros[4];
	char dst[PATH_MAX], buf[1 << 16];
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
	struct stat st;
	ssize_t n;

	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	if (st.st_size % 4 == 0 || !pad)
		return link_into(src, dir, "initrd.img");
	if (pathf(dst, sizeof(dst), "%s/initrd.img", dir) < 0)
		return -ENAMETOOLONG;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
	if (n < 0)
		return -errno;
	n = 4 - st.st_size % 4;
	return write(out, zeros, (size_t)n) == n ? 0 : -EIO;
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
	if (recipe_feature_value(b->recipe, FEATURE_ROOT))
		json_object_set_new(j, "root", json_string(recipe_feature_value(b->recipe, FEATURE_ROOT)));
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
	/* live-boot needs labboot.cpio (the layered fetch); casper's holds a
	 * marker only, and its initrd stays as it is (unmkinitramfs reads it) */
	if ((r = place_initrd(b->initrd, b->tmp_version, b->layout.kind == ISO_LAYOUT_LIVE_BOOT)) < 0)
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

/* Versions published before initrds were padded do not boot layered on
 * UEFI: a rebuild replaces them. */
static bool initrd_aligned(const struct image_store *st, const char *name, const char *version)
{
	char p[PATH_MAX];
	struct stat sb;

	return image_store_path(st, p, sizeof(p), name, version) == 0 && strlen(p) + 12 < sizeof(p) &&
	       stat(strcat(p, "/initrd.img"), &sb) == 0 && sb.st_size % 4 == 0;
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
	same = (b->layout.kind != ISO_LAYOUT_LIVE_BOOT || initrd_aligned(&b->store, b->name, current)) && json_is_true(json_object_get(m, "flatten")) == b->o->flatten &&
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

int publish(struct build *b)
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

