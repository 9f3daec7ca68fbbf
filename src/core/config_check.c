/* Defaults, cross-checks and lookups over a parsed configuration. */
#include "core/config.h"
#include "core/config_internal.h"
#include "core/iface_mac.h"
#include "core/util.h"
#include "isos/iso_kind.h"
#include "nfs/nfs_exports.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <unistd.h>

#define DEFAULT_LEASE_TIME (60 * 60)

static int check_error(const struct config *cfg, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int check_error(const struct config *cfg, int line, const char *fmt, ...)
{
	FILE *out = cfg->errors ? cfg->errors : stderr;
	va_list ap;

	if (line > 0)
		fprintf(out, "%s:%d: ", cfg->path, line);
	else if (line < 0)
		fprintf(out, "runtime hosts: ");
	else
		fprintf(out, "%s: ", cfg->path);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return 1;
}

void config_set_defaults(struct config *cfg)
{
	cfg->dhcp_mode = DHCP_MODE_AUTHORITATIVE;
	cfg->dhcp_probe_ms = 1500;
	cfg->tftp_enable = true;
	cfg->tftp_port = 69;
	cfg->tftp_max_blksize = 65464;
	cfg->tftp_max_windowsize = 64;
	cfg->tftp_timeout_ms = 1000;
	cfg->tftp_max_per_client = 32;
	cfg->http_enable = true;
	cfg->http_port = 80;
	cfg->http_threads = 2;
	cfg->http_max_per_client = 64;
	cfg->http_request_timeout_s = 10;
	cfg->boot_menu_timeout_ms = 5000;
	cfg->boot_ipv6_ra = true;
	cfg->dns_enable = true;
	cfg->dns_port = 53;
	cfg->dns_ttl = 60;
	cfg->dns_cache_size = 4096;
	cfg->dns_rate_limit = 100;
}

static void default_str(char **field, const char *value)
{
	if (!*field)
		*field = xstrdup(value);
}

static char *path_join(const char *dir, const char *name)
{
	char *s;
	if (asprintf(&s, "%s/%s", dir, name) < 0)
		abort();
	return s;
}

static void fill_defaults(struct config *cfg)
{
	default_str(&cfg->state_dir, "/var/lib/labboot");
	if (!cfg->tftp_root)
		cfg->tftp_root = path_join(cfg->state_dir, "tftp");
	if (!cfg->http_root)
		cfg->http_root = path_join(cfg->state_dir, "http");
	if (!cfg->images_root)
		cfg->images_root = path_join(cfg->state_dir, "images");
	if (!cfg->isos_dir)
		cfg->isos_dir = path_join(cfg->state_dir, "isos");
	if (!cfg->images_compressor)
		cfg->images_compressor = xstrdup("zstd");
	if (!cfg->images_publish)
		cfg->images_publish = xstrdup("layers");
	default_str(&cfg->ipxe_dir, "/usr/lib/ipxe");
	default_str(&cfg->boot_bios, "undionly.kpxe");
	default_str(&cfg->boot_efi64, "snponly.efi");
	default_str(&cfg->boot_arm64, "snponly-arm64.efi");
	default_str(&cfg->boot_menu, "default");
	default_str(&cfg->boot_menu_default, "image");
	default_str(&cfg->netbootxyz_url, "https://boot.netboot.xyz");
	default_str(&cfg->boot_root, "http");
	default_str(&cfg->nfs_server, "none");
	if (strcmp(cfg->nfs_server, "kernel") == 0)
		default_str(&cfg->nfs_exports, "/etc/exports.d/labboot.exports");
	else
		default_str(&cfg->nfs_exports, "/etc/ganesha/labboot-exports.conf");
	default_str(&cfg->nfs_ganesha_pid, "/run/ganesha/ganesha.pid");
	if (!cfg->nfs_address.s_addr)
		cfg->nfs_address = cfg->address;
	if (!cfg->boot_url && cfg->address.s_addr) {
		char ip[16];
		if (asprintf(&cfg->boot_url, cfg->http_port == 80 ? "http://%s" : "http://%s:%u",
			     format_ipv4(ip, cfg->address), cfg->http_port) < 0)
			abort();
	}
	if (!cfg->dhcp.lease_time)
		cfg->dhcp.lease_time = DEFAULT_LEASE_TIME;
	if (!cfg->dhcp.netmask.s_addr)
		cfg->dhcp.netmask.s_addr = htonl(0xffffff00);
}

static bool netmask_valid(struct in_addr m)
{
	uint32_t v = ntohl(m.s_addr);
	return v != 0 && (~v & (~v + 1)) == 0; /* contiguous ones */
}

static int check_pools(struct config *cfg)
{
	int errors = 0;

	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct pool *a = &cfg->pools[i];
		if (!a->start.s_addr)
			errors += check_error(cfg, a->line, "pool \"%s\" has no range", a->name);
		if (a->params.netmask.s_addr && !netmask_valid(a->params.netmask))
			errors += check_error(cfg, a->line, "pool \"%s\": invalid netmask", a->name);
		for (size_t j = 0; j < i; j++) {
			const struct pool *b = &cfg->pools[j];
			if (ntohl(a->start.s_addr) <= ntohl(b->end.s_addr) &&
			    ntohl(b->start.s_addr) <= ntohl(a->end.s_addr))
				errors += check_error(cfg, a->line, "range overlaps the range on line %d", b->line);
		}
	}
	if (!netmask_valid(cfg->dhcp.netmask))
		errors += check_error(cfg, 0, "[dhcp] netmask is not a valid netmask");
	return errors;
}

static int check_host_nics(struct config *cfg, const struct host *h)
{
	int errors = 0;

	if (h->n_ips > h->n_nics)
		errors += check_error(cfg, h->line, "host %s has more ip than mac keys", h->name);
	for (size_t i = 0; i < h->n_nics; i++) {
		const struct host_nic *n = &h->nics[i];
		for (size_t k = 0; k < (size_t)(h - cfg->hosts); k++) {
			const struct host *o = &cfg->hosts[k];
			for (size_t j = 0; j < o->n_nics; j++) {
				char mac[18], ip[16];
				if (memcmp(o->nics[j].mac, n->mac, 6) == 0)
					errors += check_error(cfg, h->line, "mac %s of host %s is also host %s's",
							      format_mac(mac, n->mac), h->name, o->name);
				if (n->ip.s_addr && o->nics[j].ip.s_addr == n->ip.s_addr)
					errors += check_error(cfg, h->line, "ip %s of host %s is also host %s's",
							      format_ipv4(ip, n->ip), h->name, o->name);
			}
		}
	}
	return errors;
}

/* A built image is named NAME or NAME@VERSION: letters, digits, '.', '_',
 * '-' (it names directories of the image store). */
bool image_ref_valid(const char *ref)
{
	size_t n = strlen(ref), at = strcspn(ref, "@");

	if (n == 0 || n > 128 || at == 0 || ref[0] == '.' || (at < n && (at + 1 == n || ref[at + 1] == '.')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != at && !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", ref[i]))
			return false;
	return strchr(ref + at + (at < n), '@') == NULL;
}

static int check_hosts(struct config *cfg)
{
	int errors = 0;

	for (size_t i = 0; i < cfg->n_hosts; i++) {
		const struct host *h = &cfg->hosts[i];
		if (h->n_nics == 0)
			errors += check_error(cfg, h->line, "host %s has no mac", h->name);
		errors += check_host_nics(cfg, h);
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(cfg->hosts[k].name, h->name) == 0)
				errors += check_error(cfg, h->line, "host %s defined twice", h->name);
		if (h->image && !config_image_by_name(cfg, h->image) && !image_ref_valid(h->image))
			errors += check_error(cfg, h->line, "host %s: image \"%s\" is neither an [image] section nor a built image NAME[@VERSION]",
					      h->name, h->image);
		if (h->iso && !iso_name_valid(h->iso))
			errors += check_error(cfg, h->line, "host %s: iso \"%s\" is not the file name of an ISO in [isos] dir "
					      "(NAME.iso, letters, digits and ._+-)", h->name, h->iso);
	}
	return errors;
}

static int check_images(struct config *cfg)
{
	int errors = 0;

	for (size_t i = 0; i < cfg->n_images; i++) {
		const struct image *img = &cfg->images[i];
		if (!img->kernel)
			errors += check_error(cfg, img->line, "image %s has no kernel", img->name);
		for (size_t k = 0; k < i; k++)
			if (strcmp(cfg->images[k].name, img->name) == 0)
				errors += check_error(cfg, img->line, "image %s defined twice", img->name);
	}
	if (cfg->boot_image && !config_image_by_name(cfg, cfg->boot_image) && !image_ref_valid(cfg->boot_image))
		errors += check_error(cfg, 0, "[boot] image: \"%s\" is neither an [image] section nor a built image NAME[@VERSION]",
				      cfg->boot_image);
	if (strcmp(cfg->images_compressor, "zstd") && strcmp(cfg->images_compressor, "xz") &&
	    strcmp(cfg->images_compressor, "gzip") && strcmp(cfg->images_compressor, "lz4"))
		errors += check_error(cfg, 0, "[images] compressor: \"%s\" is not zstd, xz, gzip or lz4", cfg->images_compressor);
	if (strcmp(cfg->images_publish, "layers") && strcmp(cfg->images_publish, "merge") &&
	    strcmp(cfg->images_publish, "flatten"))
		errors += check_error(cfg, 0, "[images] publish: \"%s\" is not layers, merge or flatten", cfg->images_publish);
	return errors;
}

static bool root_mode_valid(const char *m)
{
	return strcmp(m, "http") == 0 || strcmp(m, "nfs") == 0;
}

static int check_nfs(struct config *cfg)
{
	enum nfs_backend b = NFS_BACKEND_NONE;
	bool uses_nfs = strcmp(cfg->boot_root, "nfs") == 0;
	int errors = 0;

	if (!root_mode_valid(cfg->boot_root))
		errors += check_error(cfg, 0, "[boot] root: \"%s\" is not http or nfs", cfg->boot_root);
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		if (cfg->hosts[i].root && !root_mode_valid(cfg->hosts[i].root))
			errors += check_error(cfg, cfg->hosts[i].line, "host %s: root: \"%s\" is not http or nfs",
					      cfg->hosts[i].name, cfg->hosts[i].root);
		uses_nfs |= cfg->hosts[i].root && strcmp(cfg->hosts[i].root, "nfs") == 0;
	}
	if ((uses_nfs || cfg->nfs_home) && !cfg->nfs_address.s_addr)
		errors += check_error(cfg, 0, "root = nfs and [nfs] home need the address machines mount from: "
					      "set [server] address or [nfs] address");
	if (nfs_backend_parse(cfg->nfs_server, &b) < 0)
		errors += check_error(cfg, 0, "[nfs] server: \"%s\" is not none, ganesha or kernel", cfg->nfs_server);
	if (cfg->nfs_home && !nfs_path_valid(cfg->nfs_home))
		errors += check_error(cfg, 0, "[nfs] home: \"%s\" is not an absolute path NFS can export", cfg->nfs_home);
	if ((uses_nfs || b != NFS_BACKEND_NONE) && !nfs_path_valid(cfg->images_root))
		errors += check_error(cfg, 0, "[images] root: \"%s\" is not an absolute path NFS can export (no spaces, quotes or ..)",
				      cfg->images_root);
	if (cfg->nfs_clients) {
		char buf[1024], *w[NFS_MAX_CLIENTS];
		struct nfs_client c;
		int n = split_words_copy(cfg->nfs_clients, buf, sizeof(buf), w, ARRAY_SIZE(w));
		for (int i = 0; i < n; i++)
			if (nfs_client_parse(w[i], &c) < 0)
				errors += check_error(cfg, 0, "[nfs] clients: \"%s\" is not a network (198.18.0.0/24)", w[i]);
		if (n <= 0)
			errors += check_error(cfg, 0, "[nfs] clients: want 1 to %d networks", NFS_MAX_CLIENTS);
	}
	return errors;
}

int config_finish(struct config *cfg)
{
	int errors = 0;

	fill_defaults(cfg);
	if (cfg->dhcp_mode != DHCP_MODE_OFF && cfg->n_ifaces == 0)
		errors += check_error(cfg, 0, "[server] interface is required to serve DHCP");
	if (cfg->dhcp_mode == DHCP_MODE_AUTHORITATIVE && cfg->n_pools == 0 && cfg->n_hosts == 0)
		errors += check_error(cfg, 0, "[dhcp] authoritative mode needs a range or a host reservation");
	errors += check_pools(cfg);
	errors += check_hosts(cfg);
	errors += check_images(cfg);
	errors += check_nfs(cfg);
	for (size_t i = 0; i < cfg->n_entries; i++)
		if (cfg->entries[i].n_lines == 0)
			errors += check_error(cfg, cfg->entries[i].line, "entry %s has no run line", cfg->entries[i].name);
	if (cfg->http_port == cfg->dns_port && cfg->http_enable && cfg->dns_enable)
		errors += check_error(cfg, 0, "[http] and [dns] use the same port");
	return errors;
}

/* ---- lookups -------------------------------------------------------- */

const struct host *config_host_by_mac(const struct config *cfg, const uint8_t mac[6],
				      const struct host_nic **ret_nic)
{
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		const struct host *h = &cfg->hosts[i];
		for (size_t j = 0; j < h->n_nics; j++) {
			if (memcmp(h->nics[j].mac, mac, 6) == 0) {
				if (ret_nic)
					*ret_nic = &h->nics[j];
				return h;
			}
		}
	}
	return NULL;
}

const struct host *config_host_by_name(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_hosts; i++)
		if (strcasecmp(cfg->hosts[i].name, name) == 0)
			return &cfg->hosts[i];
	return NULL;
}

const struct image *config_image_by_name(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_images; i++)
		if (strcmp(cfg->images[i].name, name) == 0)
			return &cfg->images[i];
	return NULL;
}

const struct pool *config_pool_by_addr(const struct config *cfg, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct pool *p = &cfg->pools[i];
		if (a >= ntohl(p->start.s_addr) && a <= ntohl(p->end.s_addr))
			return p;
	}
	return NULL;
}

uint32_t pool_lease_time(const struct config *cfg, const struct pool *pool)
{
	if (pool && pool->params.lease_time)
		return pool->params.lease_time;
	return cfg->dhcp.lease_time;
}

/* ---- teardown ------------------------------------------------------- */

static void params_free(struct dhcp_params *p)
{
	free(p->domain);
	free(p->opts);
}

/* Things that work, but not as the user may think. */
int config_warnings(const struct config *cfg, config_warn_fn fn, void *userdata)
{
	char efi[4096], kpxe[4096];
	int n = 0;

	if (strncmp(cfg->netbootxyz_url, "https://", 8) == 0 &&
	    (pathf(efi, sizeof(efi), "%s/netboot.xyz.efi", cfg->tftp_root) < 0 || access(efi, R_OK) < 0) &&
	    (pathf(kpxe, sizeof(kpxe), "%s/netboot.xyz.kpxe", cfg->tftp_root) < 0 || access(kpxe, R_OK) < 0)) {
		fn(userdata, "[boot] netbootxyz-url is %s, but the iPXE builds Debian and QEMU ship have no HTTPS: "
			     "such machines chain to http://%s instead (plain HTTP). Put netboot.xyz.efi and "
			     "netboot.xyz.kpxe (netboot.xyz's own iPXE, which has HTTPS) into %s to use them, or set an "
			     "http:// URL", cfg->netbootxyz_url, cfg->netbootxyz_url + 8, cfg->tftp_root);
		n++;
	}
	n += iface_mac_warnings(cfg, "/sys/class/net", fn, userdata);
	return n;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->text);
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		free(cfg->ifaces[i]);
	params_free(&cfg->dhcp);
	for (size_t i = 0; i < cfg->n_pools; i++) {
		free(cfg->pools[i].name);
		params_free(&cfg->pools[i].params);
	}
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		struct host *h = &cfg->hosts[i];
		free(h->name); free(h->opts); free(h->boot_file); free(h->image);
		free(h->menu); free(h->menu_default); free(h->kernel_args); free(h->script); free(h->root); free(h->iso);
	}
	free(cfg->hosts);
	for (size_t i = 0; i < cfg->n_images; i++) {
		struct image *img = &cfg->images[i];
		free(img->name); free(img->kernel); free(img->cmdline);
		for (size_t j = 0; j < img->n_initrds; j++)
			free(img->initrds[j]);
	}
	for (size_t i = 0; i < cfg->n_entries; i++) {
		free(cfg->entries[i].name);
		free(cfg->entries[i].title);
		for (size_t j = 0; j < cfg->entries[i].n_lines; j++)
			free(cfg->entries[i].lines[j]);
	}
	for (size_t i = 0; i < cfg->n_dns_records; i++) {
		free(cfg->dns_records[i].name);
		free(cfg->dns_records[i].target);
	}
	char **strs[] = { &cfg->path, &cfg->state_dir, &cfg->user, &cfg->tftp_root, &cfg->http_root, &cfg->images_root, &cfg->images_compressor, &cfg->images_publish, &cfg->isos_dir,
			  &cfg->ipxe_dir, &cfg->boot_bios, &cfg->boot_efi64, &cfg->boot_arm64,
			  &cfg->boot_url, &cfg->boot_image, &cfg->boot_menu, &cfg->boot_menu_default,
			  &cfg->netbootxyz_url, &cfg->boot_kernel_args, &cfg->boot_root,
			  &cfg->nfs_server, &cfg->nfs_exports, &cfg->nfs_ganesha_pid, &cfg->nfs_home, &cfg->nfs_clients,
			  &cfg->http_api_token };
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	free(cfg);
}
