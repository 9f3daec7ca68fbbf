/* Built images for the boot scripts (see image_boot.h). */
#include "image/image_boot.h"

#include "core/config.h"
#include "core/util.h"
#include "image/image_cli.h"
#include "image/image_store.h"
#include "nfs/nfs_sync.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>

#define BUILT_MAX_STACK 300

/* Appends A, B and C to the N bytes in BUF. */
static int append(char *buf, size_t size, int n, const char *a, const char *b, const char *c)
{
	int m;

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	m = snprintf(buf + n, size - (size_t)n, "%s%s%s", a, b, c);
	return m < 0 || (size_t)m >= size - (size_t)n ? -ENOSPC : n + m;
}

int built_image_cmdline(const struct built_image *bi, char *buf, size_t size)
{
	const char *top = bi->n_stack ? bi->stack[bi->n_stack - 1] : "";
	const char *top_name = strrchr(top, '/') ? strrchr(top, '/') + 1 : top;
	bool live = strcmp(bi->layout, "live-boot") == 0;
	bool nfs = !live || (bi->root && strcmp(bi->root, "nfs") == 0);
	int n;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (live && !nfs) {
		/* One squashfs: live-boot's own fetch=; several: the list, which
		 * labboot's second initrd teaches live-boot to follow. */
		n = snprintf(buf, size, "boot=live components fetch={{url}}/images/%s/%s/%s", bi->name, bi->version,
			     bi->n_stack > 1 ? "live/filesystem.module" : top);
	} else if (live) {
		/* live-boot stacks the medium's live/filesystem.module itself */
		n = snprintf(buf, size, "boot=live components netboot=nfs nfsroot=%s:%s", bi->nfs_server, bi->nfs_path);
	} else {
		size_t k = strlen(top_name) > 9 ? strlen(top_name) - 9 : 0; /* ".squashfs" */
		bool layered = strcmp(bi->layout, "casper-layered") == 0;
		n = snprintf(buf, size, "boot=casper ip=dhcp netboot=nfs nfsroot=%s:%s%s%.*s", bi->nfs_server, bi->nfs_path,
			     layered ? " layerfs-path=" : "", layered ? (int)(k + 9) : 0, top_name);
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	if (nfs && bi->toram)
		n = append(buf, size, n, " toram", "", "");
	if (bi->home) {
		n = append(buf, size, n, " labboot.home=", bi->nfs_server, ":");
		n = append(buf, size, n, bi->home, "", "");
	}
	if (bi->extra && bi->extra[0])
		n = append(buf, size, n, " ", bi->extra, "");
	return n;
}

uint32_t built_image_ram_mib(uint64_t root_bytes, uint64_t initrd_bytes, bool root_in_ram)
{
	const uint64_t mib = 1024 * 1024;
	/* a minimal live system at multi-user.target, the kernel, and the
	 * initramfs unpacked (about three times its compressed size) */
	uint64_t need = 384 * mib + 3 * initrd_bytes;

	if (root_in_ram)
		need += root_bytes + root_bytes / 20;
	need = (need + mib - 1) / mib;
	return need > UINT32_MAX ? UINT32_MAX : (uint32_t)need;
}

const char *image_ref_for_host(const struct config *cfg, const char *host, char *buf, size_t size)
{
	const struct host *h = host ? config_host_by_name(cfg, host) : NULL;
	struct image_store s;

	if (host && copy_string(s.root, sizeof(s.root), cfg->images_root) == 0 &&
	    image_assignment(&s, host, buf, size) == 0)
		return buf;
	if (h && h->image)
		return h->image;
	return cfg->boot_image;
}

static char *version_file(const char *name, const char *version, const char *file)
{
	char p[PATH_MAX];

	if (pathf(p, sizeof(p), "images/%s/%s/%s", name, version, file) < 0)
		return NULL;
	return xstrdup(p);
}

/* The size of the version's FILE, or -errno. */
static int64_t file_size(const struct image_store *s, const char *name, const char *version, const char *file)
{
	char p[PATH_MAX];
	struct stat st;

	if (pathf(p, sizeof(p), "%s/%s/%s/%s", s->root, name, version, file) < 0)
		return -ENAMETOOLONG;
	return stat(p, &st) < 0 ? -errno : (int64_t)st.st_size;
}

/* A version boots only if its kernel, initrds and every layer are there,
 * each layer as large as it was built. WHY says what is wrong. */
static bool version_good(const struct image_store *s, const char *name, const char *version, json_t *m, char *why,
			 size_t wsize)
{
	json_t *initrds = json_object_get(m, "initrds"), *layers = json_object_get(m, "layers"), *v;
	size_t i;

	if (file_size(s, name, version, "vmlinuz") < 0)
		return snprintf(why, wsize, "its kernel is missing"), false;
	json_array_foreach(initrds, i, v)
		if (!json_is_string(v) || file_size(s, name, version, json_string_value(v)) < 0)
			return snprintf(why, wsize, "an initrd is missing"), false;
	json_array_foreach(layers, i, v) {
		const char *f = json_string_value(json_object_get(v, "file"));
		json_int_t want = json_integer_value(json_object_get(v, "bytes"));
		int64_t got = f ? file_size(s, name, version, f) : -EBADMSG;
		if (got < 0)
			return snprintf(why, wsize, "%s is missing", f ? f : "a layer"), false;
		if (want > 0 && got != want)
			return snprintf(why, wsize, "%s is %lld bytes, not %lld", f, (long long)got, (long long)want), false;
	}
	return true;
}

static const char *root_mode(const struct config *cfg, const struct host *h, json_t *m)
{
	const char *r = json_string_value(json_object_get(m, "root"));

	if (h && h->root)
		return h->root;
	return r && (strcmp(r, "http") == 0 || strcmp(r, "nfs") == 0) ? r : cfg->boot_root;
}

static int fill(const struct config *cfg, const struct host *h, const struct image_store *s, json_t *m,
		const char *name, const char *version, struct image *img)
{
	const char *stack[BUILT_MAX_STACK], *layout = json_string_value(json_object_get(m, "layout"));
	json_t *st = json_object_get(m, "stack"), *initrds = json_object_get(m, "initrds");
	struct built_image bi = { .name = name, .version = version, .layout = layout };
	char cmdline[4096], server[16], ref[IMAGE_NAME_MAX + IMAGE_VERSION_MAX + 2], nfs_path[PATH_MAX], home[PATH_MAX];
	uint64_t initrd_bytes = 0;
	int n;

	bi.dir = json_string_value(json_object_get(m, "dir"));
	bi.extra = json_string_value(json_object_get(m, "cmdline"));
	bi.n_stack = json_array_size(st);
	if (!layout || !bi.dir || bi.n_stack == 0 || bi.n_stack > BUILT_MAX_STACK || !json_is_array(initrds) ||
	    json_array_size(initrds) > CONFIG_MAX_INITRDS)
		return -EBADMSG;
	for (size_t i = 0; i < bi.n_stack; i++)
		if (!(stack[i] = json_string_value(json_array_get(st, i))) || strstr(stack[i], ".."))
			return -EBADMSG;
	bi.stack = stack;
	bi.root = root_mode(cfg, h, m);
	if (strcmp(layout, "live-boot") != 0)
		bi.root = "nfs"; /* casper: see built_image_cmdline */
	bi.toram = h && h->toram >= 0 ? h->toram : cfg->boot_toram;
	bi.nfs_server = format_ipv4(server, cfg->nfs_address);
	if ((n = nfs_version_path(cfg, name, version, nfs_path, sizeof(nfs_path))) < 0)
		return n;
	bi.nfs_path = nfs_path;
	if (cfg->nfs_home)
		bi.home = realpath(cfg->nfs_home, home) ? home : cfg->nfs_home;
	if ((n = built_image_cmdline(&bi, cmdline, sizeof(cmdline))) < 0)
		return n;
	snprintf(ref, sizeof(ref), "%s@%s", name, version);
	*img = (struct image){ .name = xstrdup(ref), .cmdline = xstrdup(cmdline), .built = true,
			       .root_mode = xstrdup(bi.root) };
	img->kernel = version_file(name, version, "vmlinuz");
	for (size_t i = 0; i < json_array_size(initrds); i++) {
		const char *f = json_string_value(json_array_get(initrds, i));
		int64_t sz;
		if (!f || strchr(f, '/'))
			return -EBADMSG;
		if ((sz = file_size(s, name, version, f)) > 0)
			initrd_bytes += (uint64_t)sz;
		img->initrds[img->n_initrds++] = version_file(name, version, f);
	}
	img->ram_mib = built_image_ram_mib((uint64_t)json_integer_value(json_object_get(m, "root_bytes")), initrd_bytes,
					   strcmp(bi.root, "http") == 0 || bi.toram);
	return img->kernel ? 0 : -ENAMETOOLONG;
}

/* NAME@VERSION's metadata if that version can boot; else why not. */
static int load_good(const struct image_store *s, const char *name, const char *version, json_t **ret, char *why,
		     size_t wsize)
{
	int r = image_store_meta(s, name, version, ret);

	if (r < 0) {
		snprintf(why, wsize, r == -ENOENT ? "not in the store (removed?)" : "its meta.json is unreadable");
		return r;
	}
	if (!version_good(s, name, version, *ret, why, wsize)) {
		json_decref(*ret);
		return -EBADMSG;
	}
	return 0;
}

/* The newest version of NAME other than BAD that can boot. */
static int fallback(const struct image_store *s, const char *name, const char *bad, char *version, size_t size,
		    json_t **ret)
{
	char **versions, why[256];
	int n = image_store_versions(s, name, &versions), r = -ENOENT;

	for (int i = n - 1; i >= 0 && r < 0; i--)
		if (strcmp(versions[i], bad) != 0 && load_good(s, name, versions[i], ret, why, sizeof(why)) == 0)
			r = copy_string(version, size, versions[i]);
	if (n > 0)
		image_store_free_list(versions, n);
	return r;
}

static void split_ref(const char *ref, char name[IMAGE_NAME_MAX], char version[IMAGE_VERSION_MAX])
{
	const char *at = strchr(ref, '@');

	snprintf(name, IMAGE_NAME_MAX, "%.*s", at ? (int)(at - ref) : (int)strlen(ref), ref);
	snprintf(version, IMAGE_VERSION_MAX, "%s", at ? at + 1 : "");
}

int image_boot_resolve(const struct config *cfg, const struct host *host, const char *ref, struct image *img)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX], why[256] = "", notice[512] = "";
	json_t *m = NULL;
	int r;

	memset(img, 0, sizeof(*img));
	if (copy_string(s.root, sizeof(s.root), cfg->images_root) < 0)
		return -ENAMETOOLONG;
	r = image_store_resolve(&s, ref, name, version);
	if (r == -ENOENT && strchr(ref, '@'))
		split_ref(ref, name, version); /* a pinned version that was removed */
	else if (r < 0)
		return r;
	if (load_good(&s, name, version, &m, why, sizeof(why)) < 0) {
		char bad[IMAGE_VERSION_MAX];
		snprintf(bad, sizeof(bad), "%s", version);
		if ((r = fallback(&s, name, bad, version, sizeof(version), &m)) < 0)
			return r;
		snprintf(notice, sizeof(notice), "%s@%s cannot boot: %s; booting %s@%s instead", name, bad, why, name,
			 version);
	}
	r = fill(cfg, host, &s, m, name, version, img);
	json_decref(m);
	if (r == 0 && notice[0])
		img->notice = xstrdup(notice);
	if (r < 0)
		image_boot_free(img);
	return r;
}

void image_boot_free(struct image *img)
{
	free(img->name);
	free(img->kernel);
	free(img->cmdline);
	free(img->notice);
	free(img->root_mode);
	for (size_t i = 0; i < img->n_initrds; i++)
		free(img->initrds[i]);
	memset(img, 0, sizeof(*img));
}
