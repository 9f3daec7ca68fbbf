/* The boot script a machine gets (see boot_script.h). */
#include "http/boot_script.h"
#include "boot/ipxe_script.h"
#include "boot/next_boot.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http_parse.h"
#include "image/image_boot.h"
#include "isos/iso_catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A host's own script template: a path under the HTTP root, bounded. */
static int read_template(int root_fd, const char *path, char *buf, size_t size)
{
	char rel[1024];
	ssize_t n;
	int fd, r;

	if ((r = http_path_to_relative(path, rel, sizeof(rel))) < 0)
		return r;
	if ((fd = open_beneath(root_fd, rel)) < 0)
		return fd;
	n = read(fd, buf, size - 1);
	r = n < 0 ? -errno : (size_t)n == size - 1 ? -EFBIG : 0;
	close(fd);
	if (r == 0)
		buf[n] = '\0';
	return r;
}

/* A host whose image is not an [image] section boots a built one, looked
 * up in the store for each script, so promotions apply at once. ref: an
 * image the next boot asks for, else NULL: the host's own. */
static int resolve_image(struct boot_script *bs, struct boot_target *t, const char *ref, struct image *img)
{
	char buf[256];
	int r;

	if (!ref)
		ref = image_ref_for_host(bs->cfg, t->host ? t->host->name : NULL, buf, sizeof(buf));
	if (!ref)
		return 0;
	if ((t->image = config_image_by_name(bs->cfg, ref)))
		return 0;
	if ((r = image_boot_resolve(bs->cfg, t->host, ref, img)) < 0) {
		log_ratelimited(bs->rl, LOG_LEVEL_WARN, "http: image %s: %s", ref,
				r == -ENOENT ? "not built (labboot image ls)" : strerror(-r));
		return r;
	}
	t->image = img;
	return 0;
}

/* The host's one-shot next boot, if one is set: bs->once, bs->entry and
 * nb (which t->once points into) are filled. */
static void peek_next_boot(struct boot_script *bs, struct boot_target *t, struct next_boot *nb)
{
	if (!t->host || !bs->st || store_next_boot_get(bs->st, t->host->name, bs->entry, sizeof(bs->entry)) < 0)
		return;
	if (next_boot_parse(bs->cfg, bs->entry, nb) < 0) {
		log_ratelimited(bs->rl, LOG_LEVEL_WARN, "http: %s: next boot \"%s\" no longer means anything, ignored",
				t->host->name, bs->entry);
		return;
	}
	t->once = nb->target;
	bs->once = true;
}

static int render(struct boot_script *bs, const struct boot_target *t, char *script, size_t size)
{
	_cleanup_free_ char *tmpl = NULL;
	int n;

	if (!t->host || !t->host->script || t->once)
		return ipxe_script_render(t, script, size);
	tmpl = malloc(size);
	n = tmpl ? read_template(bs->root_fd, t->host->script, tmpl, size) : -ENOMEM;
	return n == 0 ? ipxe_template_render(t, tmpl, script, size) : n;
}

/* netboot.xyz's own iPXE binaries, dropped into the TFTP root. */
static bool in_tftp_root(const struct config *cfg, const char *file)
{
	char p[4096];

	return pathf(p, sizeof(p), "%s/%s", cfg->tftp_root, file) == 0 && access(p, R_OK) == 0;
}

int boot_script_render(struct boot_script *bs, char *script, size_t size)
{
	struct boot_target t = { .cfg = bs->cfg, .base_url = bs->base_url, .ipxe_https = bs->ipxe_https,
				 .nbxyz_efi = in_tftp_root(bs->cfg, "netboot.xyz.efi"),
				 .nbxyz_kpxe = in_tftp_root(bs->cfg, "netboot.xyz.kpxe") };
	struct next_boot nb = { 0 };
	struct image built = { 0 };
	_cleanup_free_ struct iso_item *isos = NULL;
	char iso_once[sizeof(nb.image)];
	int n;

	memcpy(t.mac, bs->mac, 6);
	bs->host = t.host = config_host_by_mac(bs->cfg, bs->mac, NULL);
	peek_next_boot(bs, &t, &nb);
	if (t.once && strcmp(t.once, "iso") == 0) {
		snprintf(iso_once, sizeof(iso_once), "%s", nb.image);
		t.iso = iso_once;
		nb.image[0] = '\0';
	} else if (t.host) {
		t.iso = t.host->iso;
	}
	if (resolve_image(bs, &t, nb.image[0] ? nb.image : NULL, &built) < 0 && nb.image[0])
		t.once = NULL; /* the image it asked for is gone: the usual boot */
	if (iso_catalog_list(bs->isos, bs->cfg->isos_dir, &isos, &t.n_isos) < 0)
		log_ratelimited(bs->rl, LOG_LEVEL_WARN, "http: %s cannot be read: no ISOs in the menu", bs->cfg->isos_dir);
	t.isos = isos;
	n = render(bs, &t, script, size);
	bs->netbootxyz = (int)netbootxyz_way(&t);
	bs->image_name[0] = '\0';
	if (t.image)
		snprintf(bs->image_name, sizeof(bs->image_name), "%s", t.image->name);
	image_boot_free(&built);
	return n;
}
