/* Built images for the boot scripts (see image_boot.h). */
#include "image/image_boot.h"

#include "core/config.h"
#include "core/util.h"
#include "image/image_cli.h"
#include "image/image_store.h"

#include <errno.h>
#include <stdio.h>

#define BUILT_MAX_STACK 300

int built_image_cmdline(const struct built_image *bi, char *buf, size_t size)
{
	const char *top = bi->n_stack ? bi->stack[bi->n_stack - 1] : "";
	const char *top_name = strrchr(top, '/') ? strrchr(top, '/') + 1 : top;
	int n;

	if (strcmp(bi->layout, "live-boot") == 0) {
		/* One squashfs: live-boot's own fetch=; several: the list, which
		 * labboot's second initrd teaches live-boot to follow. */
		n = snprintf(buf, size, "boot=live components fetch={{url}}/images/%s/%s/%s", bi->name, bi->version,
			     bi->n_stack > 1 ? "live/filesystem.module" : top);
	} else {
		size_t k = strlen(top_name) > 9 ? strlen(top_name) - 9 : 0; /* ".squashfs" */
		n = snprintf(buf, size, "boot=casper ip=dhcp netboot=nfs nfsroot=%s:%s/%s/%s%s%.*s", bi->server,
			     bi->images_root, bi->name, bi->version,
			     strcmp(bi->layout, "casper-layered") == 0 ? " layerfs-path=" : "",
			     strcmp(bi->layout, "casper-layered") == 0 ? (int)(k + 9) : 0, top_name);
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	if (bi->extra && bi->extra[0]) {
		int m = snprintf(buf + n, size - (size_t)n, " %s", bi->extra);
		if (m < 0 || (size_t)m >= size - (size_t)n)
			return -ENOSPC;
		n += m;
	}
	return n;
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

static int fill(const struct config *cfg, json_t *m, const char *name, const char *version, struct image *img)
{
	const char *stack[BUILT_MAX_STACK], *layout = json_string_value(json_object_get(m, "layout"));
	json_t *st = json_object_get(m, "stack"), *initrds = json_object_get(m, "initrds");
	struct built_image bi = { .name = name, .version = version, .layout = layout };
	char cmdline[4096], server[16], ref[IMAGE_NAME_MAX + IMAGE_VERSION_MAX + 2];
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
	bi.server = format_ipv4(server, cfg->address);
	bi.images_root = cfg->images_root;
	if ((n = built_image_cmdline(&bi, cmdline, sizeof(cmdline))) < 0)
		return n;
	snprintf(ref, sizeof(ref), "%s@%s", name, version);
	*img = (struct image){ .name = xstrdup(ref), .cmdline = xstrdup(cmdline), .built = true };
	img->kernel = version_file(name, version, "vmlinuz");
	for (size_t i = 0; i < json_array_size(initrds); i++) {
		const char *f = json_string_value(json_array_get(initrds, i));
		if (!f || strchr(f, '/'))
			return -EBADMSG;
		img->initrds[img->n_initrds++] = version_file(name, version, f);
	}
	return img->kernel ? 0 : -ENAMETOOLONG;
}

int image_boot_resolve(const struct config *cfg, const char *ref, struct image *img)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX];
	json_t *m;
	int r;

	memset(img, 0, sizeof(*img));
	if (copy_string(s.root, sizeof(s.root), cfg->images_root) < 0)
		return -ENAMETOOLONG;
	if ((r = image_store_resolve(&s, ref, name, version)) < 0 || (r = image_store_meta(&s, name, version, &m)) < 0)
		return r;
	r = fill(cfg, m, name, version, img);
	json_decref(m);
	if (r < 0)
		image_boot_free(img);
	return r;
}

void image_boot_free(struct image *img)
{
	free(img->name);
	free(img->kernel);
	free(img->cmdline);
	for (size_t i = 0; i < img->n_initrds; i++)
		free(img->initrds[i]);
	memset(img, 0, sizeof(*img));
}
