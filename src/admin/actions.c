/* Operator changes (see actions.h). */
#include "admin/actions.h"
#include "admin/host_edit.h"
#include "admin/wol.h"
#include "boot/next_boot.h"
#include "core/config.h"
#include "core/util.h"
#include "daemon/control.h"
#include "image/image_store.h"
#include "store/store.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int action_tell_daemon(const struct config *cfg, const char *cmd, FILE *out)
{
	int r = control_request(cfg->state_dir, cmd, out);

	if (r == -ENOENT || r == -ECONNREFUSED)
		return 1;
	if (r < 0 && r != -EPROTO)
		fprintf(out, "cannot reach the daemon (%s/%s): %s\n", cfg->state_dir, CONTROL_SOCKET, strerror(-r));
	return r;
}

/* ---- hosts ------------------------------------------------------------- */

static int file_host_refused(const struct config *cfg, const struct host *h, FILE *out)
{
	fprintf(out, "host %s is in %s:%d: change it there\n", h->name, cfg->path, h->line);
	return -EPERM;
}

int action_host_put(const struct config *cfg, struct store *st, bool create, const char *name, const char *mac,
		    const char *ip, char *const *assign, size_t n_assign, FILE *out)
{
	const struct host *h = config_host_by_name(cfg, name);
	_cleanup_free_ char *old = NULL, *settings = NULL;
	char *all[HOST_EDIT_MAX_ASSIGN];
	char macline[96];
	size_t n = 0;
	int r;

	if (create && h) {
		fprintf(out, "host %s exists\n", name);
		return -EEXIST;
	}
	if (!create && h && !h->runtime)
		return file_host_refused(cfg, h, out);
	if (!create && (!h || host_settings_get(st, h->name, &old) < 0)) {
		fprintf(out, "no host %s\n", name);
		return -ENOENT;
	}
	if (n_assign + 1 > HOST_EDIT_MAX_ASSIGN) {
		fprintf(out, "too many settings\n");
		return -E2BIG;
	}
	if (create) {
		if (!mac || snprintf(macline, sizeof(macline), "mac=%s%s%s", mac, ip && *ip ? " " : "", ip ? ip : "") >=
				    (int)sizeof(macline)) {
			fprintf(out, "a new host needs a MAC\n");
			return -EINVAL;
		}
		all[n++] = macline;
	}
	for (size_t i = 0; i < n_assign; i++)
		all[n++] = assign[i];
	if ((r = host_settings_edit(old ? old : "", all, n, &settings)) < 0) {
		fprintf(out, "malformed KEY=VALUE (a lower-case key, no control characters, no \" #\")\n");
		return r;
	}
	return host_change(cfg->path, cfg->text, st, h ? h->name : name, settings, out);
}

int action_host_delete(const struct config *cfg, struct store *st, const char *name, FILE *out)
{
	const struct host *h = config_host_by_name(cfg, name);
	int r;

	if (h && !h->runtime)
		return file_host_refused(cfg, h, out);
	r = host_change(cfg->path, cfg->text, st, h ? h->name : name, NULL, out);
	if (r == -ENOENT)
		fprintf(out, "%s is no runtime host\n", name);
	return r;
}

/* ---- next boot, images ------------------------------------------------------ */

static bool image_exists(const struct config *cfg, const char *ref)
{
	struct image_store s;
	char name[IMAGE_NAME_MAX], version[IMAGE_VERSION_MAX];

	return config_image_by_name(cfg, ref) ||
	       (image_store_init(&s, cfg->images_root) == 0 && image_store_resolve(&s, ref, name, version) == 0);
}

static bool iso_exists(const struct config *cfg, const char *name)
{
	char path[4096];

	return pathf(path, sizeof(path), "%s/%s", cfg->isos_dir, name) == 0 && access(path, R_OK) == 0;
}

int action_next_boot(const struct config *cfg, struct store *st, const char *host, const char *entry, FILE *out)
{
	const struct host *h = config_host_by_name(cfg, host);
	char canonical[STORE_ENTRY_MAX];
	struct next_boot nb;
	int r;

	if (!h) {
		fprintf(out, "no host %s\n", host);
		return -ENOENT;
	}
	if (!entry) {
		r = store_next_boot_clear(st, h->name, NULL);
		return r == -ENOENT ? 0 : r;
	}
	if (next_boot_parse(cfg, entry, &nb) < 0 ||
	    (nb.image[0] && !(strcmp(nb.target, "iso") == 0 ? iso_exists(cfg, nb.image) : image_exists(cfg, nb.image)))) {
		fprintf(out, "%s is neither local, netboot.xyz, an [entry], an image (labboot image ls) "
			     "nor iso:NAME (labboot isos)\n", entry);
		return -EINVAL;
	}
	if ((r = next_boot_format(&nb, canonical, sizeof(canonical))) < 0 ||
	    (r = store_next_boot_set(st, h->name, canonical)) < 0)
		return r;
	fprintf(out, "%s: next boot %s, once\n", h->name, canonical);
	return 0;
}

int action_image_current(const struct config *cfg, const char *name, const char *version, FILE *out)
{
	struct image_store s;
	char **versions = NULL;
	int n, r = -ENOENT;

	if (!image_name_valid(name) || image_store_init(&s, cfg->images_root) < 0 ||
	    (n = image_store_versions(&s, name, &versions)) < 0) {
		fprintf(out, "no image %s\n", name);
		return -ENOENT;
	}
	for (int i = 0; i < n && r == -ENOENT; i++)
		if (strcmp(versions[i], version) == 0)
			r = image_store_set_current(&s, name, version);
	image_store_free_list(versions, n);
	if (r == -ENOENT)
		fprintf(out, "%s has no version %s\n", name, version);
	else if (r < 0)
		fprintf(out, "%s@%s: %s\n", name, version, strerror(-r));
	else
		fprintf(out, "%s@%s is now the default of %s\n", name, version, name);
	return r;
}

/* ---- wake ------------------------------------------------------------- */

/* The configured interface whose subnet holds ip, or NULL. */
static const char *iface_for(const struct config *cfg, struct in_addr ip, char *buf, size_t size)
{
	struct ifaddrs *ifa;
	const char *found = NULL;

	if (!ip.s_addr || getifaddrs(&ifa) < 0)
		return NULL;
	for (struct ifaddrs *i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		uint32_t a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		uint32_t m = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;
		for (size_t k = 0; k < cfg->n_ifaces && !found; k++)
			if (!strcmp(cfg->ifaces[k], i->ifa_name) && (a & m) == (ip.s_addr & m))
				found = copy_string(buf, size, i->ifa_name) == 0 ? buf : NULL;
	}
	freeifaddrs(ifa);
	return found;
}

/* On the interface of its address, else on every served one. */
static int wake_mac(const struct config *cfg, const uint8_t mac[6], struct in_addr ip, FILE *out)
{
	char name[IF_NAMESIZE + 1], m[18];
	const char *ifname = iface_for(cfg, ip, name, sizeof(name));
	int sent = 0, r = 0;

	for (size_t k = 0; k < cfg->n_ifaces; k++) {
		if (ifname && strcmp(ifname, cfg->ifaces[k]) != 0)
			continue;
		if ((r = wol_send(cfg->ifaces[k], mac)) < 0) {
			fprintf(out, "wake %s on %s: %s\n", format_mac(m, mac), cfg->ifaces[k], strerror(-r));
			continue;
		}
		fprintf(out, "magic packet for %s sent on %s\n", format_mac(m, mac), cfg->ifaces[k]);
		sent++;
	}
	return sent ? 0 : r ? r : -ENODEV;
}

int action_wake(const struct config *cfg, const char *who, FILE *out)
{
	const struct host *h = config_host_by_name(cfg, who);
	uint8_t mac[6];
	int r = 0;

	if (cfg->n_ifaces == 0) {
		fprintf(out, "[server] interface is empty: no interface to wake machines on\n");
		return -ENODEV;
	}
	if (!h) {
		if (parse_mac(who, mac) < 0) {
			fprintf(out, "%s is neither a host nor a MAC\n", who);
			return -ENOENT;
		}
		return wake_mac(cfg, mac, (struct in_addr){ 0 }, out);
	}
	for (size_t i = 0; i < h->n_nics && r == 0; i++)
		r = wake_mac(cfg, h->nics[i].mac, h->nics[i].ip, out);
	return r;
}
