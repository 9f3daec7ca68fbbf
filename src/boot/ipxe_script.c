#include "boot/ipxe_script.h"
#include "core/config.h"
#include "core/util.h"
#include "isos/iso_catalog.h"

#include <errno.h>
#include <stdio.h>

#define emit textbuf_printf

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Image paths are relative to the HTTP root unless they are URLs. */
static void emit_url(struct textbuf *o, const struct boot_target *t, const char *path)
{
	if (strstr(path, "://"))
		emit(o, "%s", path);
	else
		emit(o, "%s/%s", t->base_url, path[0] == '/' ? path + 1 : path);
}

static const struct image *target_image(const struct boot_target *t)
{
	const char *name = t->host && t->host->image ? t->host->image : t->cfg->boot_image;

	if (t->image)
		return t->image;
	return name ? config_image_by_name(t->cfg, name) : NULL;
}

static void expand(struct textbuf *o, const struct boot_target *t, const char *tmpl, bool in_cmdline);

/* Command line pieces may use the template variables too (a root
 * filesystem at {{url}}/images/..., a per-host {{hostname}}). */
static void emit_arg(struct textbuf *o, const struct boot_target *t, const char *arg)
{
	if (!arg)
		return;
	expand(o, t, arg, true);
	emit(o, " ");
}

static void emit_cmdline(struct textbuf *o, const struct boot_target *t, const struct image *img)
{
	char mac[18];

	for (size_t i = 0; i < img->n_initrds; i++)
		emit(o, "initrd=%s ", basename_of(img->initrds[i])); /* EFI stub needs it */
	emit_arg(o, t, img->cmdline);
	emit_arg(o, t, t->cfg->boot_kernel_args);
	if (t->host)
		emit_arg(o, t, t->host->kernel_args);
	if (t->host)
		emit(o, "hostname=%s ", t->host->name);
	/* Built images name the system through systemd (live-boot ignores
	 * hostname=, and without live-config nothing else reads it). */
	if (t->host && img->built)
		emit(o, "systemd.hostname=%s ", t->host->name);
	emit(o, "labboot.booted=%s/booted?mac=%s", t->base_url, format_mac(mac, t->mac));
}

int ipxe_kernel_cmdline(const struct boot_target *t, char *buf, size_t size)
{
	struct textbuf o = { .buf = buf, .size = size };
	const struct image *img = target_image(t);

	if (!img)
		return -ENOENT;
	buf[0] = '\0';
	emit_cmdline(&o, t, img);
	return o.overflow ? -ENOSPC : (int)o.len;
}

/* An image that needs more RAM than the machine has would die in the
 * initramfs (a RAM disk too small for the root): say so instead. */
static bool too_little_ram(const struct boot_target *t, const struct image *img)
{
	return t->host && t->host->memory_mib && img->ram_mib > t->host->memory_mib;
}

static void emit_image_entry(struct textbuf *o, const struct boot_target *t, const struct image *img)
{
	if (too_little_ram(t, img)) {
		emit(o, ":image\necho labboot: %s has %u MiB of RAM, %s needs about %u MiB with its root over %s.\n",
		     t->host->name, t->host->memory_mib, img->name, img->ram_mib, img->root_mode ? img->root_mode : "http");
		emit(o, "echo Set root = nfs for this host (the root stays on the server), or give it more memory.\n"
			"goto failed\n\n");
		return;
	}
	emit(o, ":image\necho Booting %s ...\nimgfree\nkernel ", img->name);
	emit_url(o, t, img->kernel);
	emit(o, " ");
	emit_cmdline(o, t, img);
	/* A failed download goes back to the menu and tries again; without
	 * this, iPXE ends the script and the firmware moves on. */
	emit(o, " || goto failed\n");
	for (size_t i = 0; i < img->n_initrds; i++) {
		emit(o, "initrd ");
		emit_url(o, t, img->initrds[i]);
		emit(o, " || goto failed\n");
	}
	emit(o, "boot || goto failed\n\n");
}

static const struct menu_entry *user_entry(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_entries; i++)
		if (strcmp(cfg->entries[i].name, name) == 0)
			return &cfg->entries[i];
	return NULL;
}

/* ---- ISOs: labelled iso-K by their place in the list ---- */

static bool iso_usable(const struct boot_target *t, size_t i)
{
	return i < IPXE_MENU_MAX_ISOS && t->isos[i].status == 0;
}

static const char *iso_label(const struct boot_target *t, const char *name, char *buf, size_t size)
{
	for (size_t i = 0; name && i < t->n_isos; i++)
		if (iso_usable(t, i) && strcmp(t->isos[i].name, name) == 0) {
			snprintf(buf, size, "iso-%zu", i);
			return buf;
		}
	return NULL;
}

static void emit_iso_entry(struct textbuf *o, const struct boot_target *t, size_t i)
{
	const struct iso_item *it = &t->isos[i];
	char url[512], cmdline[1024];

	snprintf(url, sizeof(url), "%s/isos/%s", t->base_url, it->name);
	emit(o, ":iso-%zu\n", i);
	if (it->boot.kind == ISO_KIND_SANBOOT) {
		emit(o, "echo labboot: %s has no known layout: iPXE sanboot, which may not work\n"
			"sanboot --no-describe %s || goto failed\n\n", it->name, url);
		return;
	}
	if (iso_boot_cmdline(&it->boot, url, cmdline, sizeof(cmdline)) < 0)
		cmdline[0] = '\0';
	emit(o, "echo Booting %s (%s) ...\nimgfree\nkernel %s/%s initrd=%s %s ", it->name,
	     iso_kind_name(it->boot.kind), url, it->boot.kernel, basename_of(it->boot.initrd), cmdline);
	emit_arg(o, t, t->cfg->boot_kernel_args);
	if (t->host)
		emit_arg(o, t, t->host->kernel_args);
	emit(o, "|| goto failed\ninitrd %s/%s || goto failed\nboot || goto failed\n\n", url, it->boot.initrd);
}

static void emit_iso_items(struct textbuf *o, const struct boot_target *t)
{
	for (size_t i = 0; i < t->n_isos; i++)
		if (iso_usable(t, i))
			emit(o, "item iso-%zu ISO %s (%s%s)\n", i, t->isos[i].name, iso_kind_name(t->isos[i].boot.kind),
			     t->isos[i].boot.kind == ISO_KIND_SANBOOT ? ", may not work" : "");
}

static const char *default_entry(const struct boot_target *t, const struct image *img)
{
	const char *d = t->host && t->host->menu_default ? t->host->menu_default : t->cfg->boot_menu_default;
	const struct menu_entry *e = user_entry(t->cfg, d);

	if (e)
		return e->name;
	if (strcmp(d, "netboot") == 0 || strcmp(d, "netbootxyz") == 0)
		return "netbootxyz";
	if (strcmp(d, "local") == 0 || !img)
		return "local";
	return "image";
}

static void emit_menu(struct textbuf *o, const struct boot_target *t, const struct image *img, const char *dflt)
{
	const char *who = t->host ? t->host->name : "this machine";

	emit(o, ":menu\nmenu labboot: %s\nitem --gap Default:\n", who);
	if (img)
		emit(o, "item image    Boot %s (%s)\n", who, img->name);
	emit(o, "item local    Boot from local disk\n"
		"item netbootxyz Continue to netboot.xyz\n");
	for (size_t i = 0; i < t->cfg->n_entries; i++) {
		const struct menu_entry *e = &t->cfg->entries[i];
		emit(o, "item %s %s\n", e->name, e->title ? e->title : e->name);
	}
	emit_iso_items(o, t);
	emit(o, "choose --timeout %u --default %s target || goto %s\n"
		"goto ${target}\n\n",
	     t->cfg->boot_menu_timeout_ms, dflt, dflt);
}

enum netbootxyz_way netbootxyz_way(const struct boot_target *t)
{
	if (strncmp(t->cfg->netbootxyz_url, "https://", 8) != 0 || t->ipxe_https)
		return NETBOOTXYZ_URL;
	return t->nbxyz_efi || t->nbxyz_kpxe ? NETBOOTXYZ_OWN_IPXE : NETBOOTXYZ_PLAIN_HTTP;
}

const char *netbootxyz_way_text(enum netbootxyz_way w)
{
	switch (w) {
	case NETBOOTXYZ_URL: return "the configured URL";
	case NETBOOTXYZ_OWN_IPXE: return "this iPXE has no HTTPS: netboot.xyz's own iPXE from the TFTP root";
	case NETBOOTXYZ_PLAIN_HTTP: return "this iPXE has no HTTPS: the same URL over plain HTTP";
	}
	return "?";
}

/* The host part of "http://HOST[:PORT]/...", for a tftp:// URL to us. */
static void url_host(const char *url, char *out, size_t size)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	snprintf(out, size, "%.*s", (int)strcspn(h, ":/"), h);
}

/* iPXE builds without HTTPS (Debian's, QEMU's) cannot chain to
 * https://boot.netboot.xyz: they get netboot.xyz's own iPXE binary when
 * the TFTP root has it (it has HTTPS), else the plain HTTP URL. */
static void emit_netbootxyz(struct textbuf *o, const struct boot_target *t)
{
	const char *url = t->cfg->netbootxyz_url;
	char host[128];

	emit(o, ":netbootxyz\n");
	switch (netbootxyz_way(t)) {
	case NETBOOTXYZ_URL:
		emit(o, "chain --autofree %s || goto failed\n\n", url);
		return;
	case NETBOOTXYZ_PLAIN_HTTP:
		emit(o, "echo labboot: %s\nchain --autofree http://%s || goto failed\n\n",
		     netbootxyz_way_text(NETBOOTXYZ_PLAIN_HTTP), url + 8);
		return;
	case NETBOOTXYZ_OWN_IPXE:
		break;
	}
	url_host(t->base_url, host, sizeof(host));
	emit(o, "echo labboot: %s\n", netbootxyz_way_text(NETBOOTXYZ_OWN_IPXE));
	if (t->nbxyz_efi && t->nbxyz_kpxe)
		emit(o, "iseq ${platform} efi && chain --autofree tftp://%s/netboot.xyz.efi || "
			"chain --autofree tftp://%s/netboot.xyz.kpxe || goto failed\n\n", host, host);
	else
		emit(o, "chain --autofree tftp://%s/netboot.xyz.%s || goto failed\n\n", host,
		     t->nbxyz_efi ? "efi" : "kpxe");
}

int ipxe_script_render(const struct boot_target *t, char *buf, size_t size)
{
	struct textbuf o = { .buf = buf, .size = size };
	const struct image *img = target_image(t);
	const char *menu = t->once ? "none" : t->host && t->host->menu ? t->host->menu : t->cfg->boot_menu;
	const char *dflt = t->once && (img || strcmp(t->once, "image") != 0) ? t->once : default_entry(t, img);
	char mac[18], label[32];
	const char *iso = iso_label(t, t->iso, label, sizeof(label));

	/* an ISO pinned to the host is its default unless it chose another;
	 * a one-shot ISO that is gone falls back to the usual default */
	if (t->once && strcmp(t->once, "iso") == 0)
		dflt = iso ? iso : default_entry(t, img);
	else if (!t->once && iso && !(t->host && t->host->menu_default))
		dflt = iso;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	emit(&o, "#!ipxe\n# labboot: %s (%s)\n\n", t->host ? t->host->name : "unknown host",
	     format_mac(mac, t->mac));
	if (t->once && strcmp(t->once, "iso") == 0 && iso)
		emit(&o, "echo labboot: one-shot next boot: %s\n\n", t->iso);
	else if (t->once)
		emit(&o, "echo labboot: one-shot next boot: %s\n\n", dflt);
	if (img && img->notice)
		emit(&o, "echo labboot: %s\nsleep 5\n\n", img->notice);
	/* iPXE's "choose --timeout 0" waits forever: a zero timeout means no menu */
	if (strcmp(menu, "none") == 0 || t->cfg->boot_menu_timeout_ms == 0)
		emit(&o, "goto %s\n\n", dflt);
	else
		emit_menu(&o, t, img, dflt);
	if (img)
		emit_image_entry(&o, t, img);
	for (size_t i = 0; i < t->cfg->n_entries; i++) {
		const struct menu_entry *e = &t->cfg->entries[i];
		emit(&o, ":%s\n", e->name);
		for (size_t j = 0; j < e->n_lines; j++)
			emit(&o, "%s\n", e->lines[j]);
		emit(&o, "goto failed\n\n");
	}
	for (size_t i = 0; i < t->n_isos; i++)
		if (iso_usable(t, i))
			emit_iso_entry(&o, t, i);
	emit(&o, ":local\necho Booting from local disk ...\nexit 1\n\n");
	emit_netbootxyz(&o, t);
	emit(&o, ":failed\necho Boot failed; back to the menu in 10 seconds.\nsleep 10\n");
	emit(&o, strcmp(menu, "none") == 0 || t->cfg->boot_menu_timeout_ms == 0 ? "goto %s\n" : "goto menu\n", dflt);
	return o.overflow ? -ENOSPC : (int)o.len;
}

/* {{name}} in a user's script template or a command line; unknown names
 * stay as they are, and so does {{cmdline}} inside a command line. */
static void emit_variable(struct textbuf *o, const struct boot_target *t, const char *name, size_t len,
			  bool in_cmdline)
{
	const struct image *img = target_image(t);
	char mac[18], ip[16];

#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
	if (IS("hostname"))
		emit(o, "%s", t->host ? t->host->name : "");
	else if (IS("mac"))
		emit(o, "%s", format_mac(mac, t->mac));
	else if (IS("ip"))
		emit(o, "%s", t->host && t->host->nics[0].ip.s_addr ? format_ipv4(ip, t->host->nics[0].ip) : "");
	else if (IS("url"))
		emit(o, "%s", t->base_url);
	else if (IS("image"))
		emit(o, "%s", img ? img->name : "");
	else if (IS("kernel") && img)
		emit_url(o, t, img->kernel);
	else if (IS("initrd") && img && img->n_initrds)
		emit_url(o, t, img->initrds[0]);
	else if (IS("cmdline") && img && !in_cmdline)
		emit_cmdline(o, t, img);
	else if (!IS("kernel") && !IS("initrd") && (!IS("cmdline") || in_cmdline))
		emit(o, "{{%.*s}}", (int)len, name);
#undef IS
}

static void expand(struct textbuf *o, const struct boot_target *t, const char *tmpl, bool in_cmdline)
{
	const char *p = tmpl;

	while (*p && !o->overflow) {
		const char *open = strstr(p, "{{"), *close;
		if (!open) {
			emit(o, "%s", p);
			break;
		}
		close = strstr(open + 2, "}}");
		if (!close) {
			emit(o, "%s", p);
			break;
		}
		emit(o, "%.*s", (int)(open - p), p);
		const char *name = open + 2;
		size_t len = (size_t)(close - name);
		while (len && *name == ' ') { name++; len--; }
		while (len && name[len - 1] == ' ') len--;
		emit_variable(o, t, name, len, in_cmdline);
		p = close + 2;
	}
}

int ipxe_template_render(const struct boot_target *t, const char *tmpl, char *buf, size_t size)
{
	struct textbuf o = { .buf = buf, .size = size };

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	expand(&o, t, tmpl, false);
	return o.overflow ? -ENOSPC : (int)o.len;
}
