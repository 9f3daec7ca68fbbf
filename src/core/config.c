/* Configuration file parser: inih does the INI syntax, this file maps each
 * section and key onto struct config through small key tables, then fills
 * defaults and cross-checks the whole (config_finish). */
#include "core/config.h"
#include "core/config_internal.h"
#include "core/log.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#define DEFAULT_LEASE_TIME (60 * 60)

enum section_kind {
	SEC_NONE,
	SEC_SERVER,
	SEC_DHCP,
	SEC_POOL,
	SEC_HOST,
	SEC_TFTP,
	SEC_HTTP,
	SEC_BOOT,
	SEC_IMAGE,
	SEC_ENTRY,
	SEC_DNS,
	SEC_IMAGES,
	SEC_ISOS,
	SEC_NFS,
};

struct parser {
	struct config *cfg;
	FILE *file;
	int line;
	int errors;
	char section[256];            /* raw header text as inih gives it */
	bool in_section;
	enum section_kind kind;
	void *current;                /* pool, host or image being filled */
	size_t hosts_cap;
	bool runtime;                 /* parsing the runtime hosts, not the file */
};

static void parse_error(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void parse_error(struct parser *p, const char *fmt, ...)
{
	FILE *out = p->cfg->errors;
	va_list ap;

	if (p->runtime)
		fprintf(out, "runtime hosts: [%s]: ", p->section);
	else
		fprintf(out, "%s:%d: ", p->cfg->path, p->line);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	p->errors++;
}

const char *dhcp_mode_name(enum dhcp_mode mode)
{
	switch (mode) {
	case DHCP_MODE_OFF: return "off";
	case DHCP_MODE_AUTHORITATIVE: return "authoritative";
	case DHCP_MODE_PROXY: return "proxy";
	}
	return "?";
}

/* ---- typed key tables ------------------------------------------------ */

enum value_type { V_STR, V_BOOL, V_PORT, V_U32, V_DUR_S, V_DUR_MS, V_IPV4, V_ADDRS };

struct key_spec {
	const char *key;
	enum value_type type;
	size_t offset;
	uint64_t min, max;            /* for V_U32 */
};

#define CFG(field) offsetof(struct config, field)
#define PAR(field) offsetof(struct dhcp_params, field)
#define HST(field) offsetof(struct host, field)
#define IMG(field) offsetof(struct image, field)

static const struct key_spec server_keys[] = {
	{ "address", V_IPV4, CFG(address) },
	{ "state-dir", V_STR, CFG(state_dir) },
	{ "user", V_STR, CFG(user) },
};
static const struct key_spec dhcp_keys[] = {
	{ "force", V_BOOL, CFG(dhcp_force) },
	{ "probe-time", V_DUR_MS, CFG(dhcp_probe_ms) },
};
static const struct key_spec params_keys[] = {
	{ "netmask", V_IPV4, PAR(netmask) },
	{ "router", V_ADDRS, PAR(routers) },
	{ "dns", V_ADDRS, PAR(dns) },
	{ "ntp", V_ADDRS, PAR(ntp) },
	{ "domain", V_STR, PAR(domain) },
	{ "lease-time", V_DUR_S, PAR(lease_time) },
};
static const struct key_spec tftp_keys[] = {
	{ "enable", V_BOOL, CFG(tftp_enable) },
	{ "root", V_STR, CFG(tftp_root) },
	{ "port", V_PORT, CFG(tftp_port) },
	{ "max-blksize", V_U32, CFG(tftp_max_blksize), 8, 65464 },
	{ "max-windowsize", V_U32, CFG(tftp_max_windowsize), 1, 65535 },
	{ "timeout", V_DUR_MS, CFG(tftp_timeout_ms) },
	{ "max-per-client", V_U32, CFG(tftp_max_per_client), 0, 65535 },
};
static const struct key_spec http_keys[] = {
	{ "enable", V_BOOL, CFG(http_enable) },
	{ "port", V_PORT, CFG(http_port) },
	{ "root", V_STR, CFG(http_root) },
	{ "threads", V_U32, CFG(http_threads), 1, 64 },
	{ "api-token", V_STR, CFG(http_api_token) },
	{ "max-per-client", V_U32, CFG(http_max_per_client), 0, 65535 },
	{ "request-timeout", V_DUR_S, CFG(http_request_timeout_s) },
};
static const struct key_spec boot_keys[] = {
	{ "ipxe-dir", V_STR, CFG(ipxe_dir) },
	{ "bios", V_STR, CFG(boot_bios) },
	{ "efi64", V_STR, CFG(boot_efi64) },
	{ "arm64", V_STR, CFG(boot_arm64) },
	{ "url", V_STR, CFG(boot_url) },
	{ "image", V_STR, CFG(boot_image) },
	{ "menu", V_STR, CFG(boot_menu) },
	{ "menu-default", V_STR, CFG(boot_menu_default) },
	{ "menu-timeout", V_DUR_MS, CFG(boot_menu_timeout_ms) },
	{ "netbootxyz-url", V_STR, CFG(netbootxyz_url) },
	{ "kernel-args", V_STR, CFG(boot_kernel_args) },
	{ "ipv6-ra", V_BOOL, CFG(boot_ipv6_ra) },
	{ "root", V_STR, CFG(boot_root) },
	{ "toram", V_BOOL, CFG(boot_toram) },
};
static const struct key_spec nfs_keys[] = {
	{ "server", V_STR, CFG(nfs_server) },
	{ "exports", V_STR, CFG(nfs_exports) },
	{ "ganesha-pid", V_STR, CFG(nfs_ganesha_pid) },
	{ "home", V_STR, CFG(nfs_home) },
	{ "address", V_IPV4, CFG(nfs_address) },
	{ "clients", V_STR, CFG(nfs_clients) },
};
static const struct key_spec images_keys[] = {
	{ "root", V_STR, CFG(images_root) },
	{ "compressor", V_STR, CFG(images_compressor) },
	{ "level", V_U32, CFG(images_level), 0, 22 },
	{ "publish", V_STR, CFG(images_publish) },
};
static const struct key_spec isos_keys[] = {
	{ "dir", V_STR, CFG(isos_dir) },
};
static const struct key_spec dns_keys[] = {
	{ "enable", V_BOOL, CFG(dns_enable) },
	{ "port", V_PORT, CFG(dns_port) },
	{ "ttl", V_DUR_S, CFG(dns_ttl) },
	{ "cache-size", V_U32, CFG(dns_cache_size), 0, 1000000 },
	{ "rate-limit", V_U32, CFG(dns_rate_limit), 0, 1000000 },
};
static const struct key_spec host_keys[] = {
	{ "lease-time", V_DUR_S, HST(lease_time) },
	{ "boot-file", V_STR, HST(boot_file) },
	{ "image", V_STR, HST(image) },
	{ "iso", V_STR, HST(iso) },
	{ "menu", V_STR, HST(menu) },
	{ "menu-default", V_STR, HST(menu_default) },
	{ "kernel-args", V_STR, HST(kernel_args) },
	{ "script", V_STR, HST(script) },
	{ "root", V_STR, HST(root) },
};
static const struct key_spec image_keys[] = {
	{ "kernel", V_STR, IMG(kernel) },
	{ "cmdline", V_STR, IMG(cmdline) },
};

static int parse_addr_list(const char *value, struct addr_list *ret)
{
	char buf[256], *words[CONFIG_MAX_ADDRS];
	struct addr_list list = { 0 };
	int n;

	n = split_words_copy(value, buf, sizeof(buf), words, ARRAY_SIZE(words));
	if (n <= 0)
		return n < 0 ? n : -EINVAL;
	for (int i = 0; i < n; i++)
		if (parse_ipv4(words[i], &list.addr[list.n++]) < 0)
			return -EINVAL;
	*ret = list;
	return 0;
}

static int set_typed(void *base, const struct key_spec *k, const char *value)
{
	void *field = (char *)base + k->offset;
	uint64_t v;
	int r;

	switch (k->type) {
	case V_STR:
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case V_BOOL:
		return parse_bool(value, field);
	case V_PORT:
		r = parse_u64(value, 1, 65535, &v);
		if (r == 0)
			*(uint16_t *)field = (uint16_t)v;
		return r;
	case V_U32:
		r = parse_u64(value, k->min, k->max, &v);
		if (r == 0)
			*(uint32_t *)field = (uint32_t)v;
		return r;
	case V_DUR_S:
		return parse_duration_s(value, field);
	case V_DUR_MS: {
		/* "5s", "500ms" or a bare number of seconds */
		size_t len = strlen(value);
		uint32_t s;
		if (len > 2 && strcmp(value + len - 2, "ms") == 0) {
			r = parse_u64(strndupa(value, len - 2), 0, UINT32_MAX, &v);
			if (r == 0)
				*(uint32_t *)field = (uint32_t)v;
			return r;
		}
		r = parse_duration_s(value, &s);
		if (r == 0) {
			if (s > UINT32_MAX / 1000)
				return -ERANGE;
			*(uint32_t *)field = s * 1000;
		}
		return r;
	}
	case V_IPV4:
		return parse_ipv4(value, field);
	case V_ADDRS:
		return parse_addr_list(value, field);
	}
	return -EINVAL;
}

/* Returns 1 if the key was in the table (and sets *ret_r), 0 if not. */
static int try_keys(struct parser *p, const struct key_spec *keys, size_t n_keys,
		    void *base, const char *key, const char *value)
{
	for (size_t i = 0; i < n_keys; i++) {
		if (strcmp(keys[i].key, key) != 0)
			continue;
		int r = set_typed(base, &keys[i], value);
		if (r < 0)
			parse_error(p, "invalid value for %s: \"%s\" (%s)", key, value, strerror(-r));
		return 1;
	}
	return 0;
}
#define TRY_KEYS(p, table, base, k, v) try_keys(p, table, ARRAY_SIZE(table), base, k, v)

/* ---- values with their own syntax ----------------------------------- */

static int hex_decode(const char *s, uint8_t *out, size_t max, size_t *ret_len)
{
	size_t n = 0;

	while (*s) {
		if (*s == ':' || *s == ' ') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n == max)
			return -EINVAL;
		char byte[3] = { s[0], s[1], 0 };
		out[n++] = (uint8_t)strtoul(byte, NULL, 16);
		s += 2;
	}
	*ret_len = n;
	return 0;
}

/* "CODE VALUE": VALUE is text:..., hex:..., a list of IPv4 addresses, or a
 * number (always 4 bytes; hex: gives any other width). */
static int parse_extra_option(const char *value, struct dhcp_extra_option *ret)
{
	struct dhcp_extra_option o = { 0 };
	char codebuf[8];
	const char *sp = strchr(value, ' ');
	const char *arg;
	uint64_t v;
	size_t len;

	if (!sp || (size_t)(sp - value) >= sizeof(codebuf))
		return -EINVAL;
	memcpy(codebuf, value, (size_t)(sp - value));
	codebuf[sp - value] = '\0';
	if (parse_u64(codebuf, 1, 254, &v) < 0)
		return -EINVAL;
	o.code = (uint8_t)v;
	arg = sp + strspn(sp, " ");
	if (strncmp(arg, "text:", 5) == 0) {
		len = strlen(arg + 5);
		if (len > 255)
			return -E2BIG;
		memcpy(o.data, arg + 5, len);
	} else if (strncmp(arg, "hex:", 4) == 0) {
		if (hex_decode(arg + 4, o.data, sizeof(o.data), &len) < 0)
			return -EINVAL;
	} else if (strchr(arg, '.')) {
		struct addr_list l;
		if (parse_addr_list(arg, &l) < 0)
			return -EINVAL;
		len = l.n * 4;
		memcpy(o.data, l.addr, len);
	} else {
		if (parse_u64(arg, 0, UINT32_MAX, &v) < 0)
			return -EINVAL;
		wr_be32(o.data, (uint32_t)v);
		len = 4;
	}
	o.len = (uint8_t)len;
	*ret = o;
	return 0;
}

static void add_extra_option(struct parser *p, struct dhcp_extra_option **opts, size_t *n,
			     const char *value)
{
	struct dhcp_extra_option o, *grown;

	if (parse_extra_option(value, &o) < 0) {
		parse_error(p, "invalid option \"%s\" (want CODE text:STR | hex:AA:BB | IP[,IP] | NUMBER)", value);
		return;
	}
	if (*n >= CONFIG_MAX_EXTRA_OPTS) {
		parse_error(p, "too many options (at most %d)", CONFIG_MAX_EXTRA_OPTS);
		return;
	}
	grown = realloc(*opts, (*n + 1) * sizeof(**opts));
	if (!grown)
		abort();
	grown[(*n)++] = o;
	*opts = grown;
}

static struct pool *add_pool(struct parser *p, const char *name)
{
	struct pool *pool;

	if (p->cfg->n_pools >= CONFIG_MAX_POOLS) {
		parse_error(p, "too many pools (at most %d)", CONFIG_MAX_POOLS);
		return NULL;
	}
	pool = &p->cfg->pools[p->cfg->n_pools++];
	pool->name = xstrdup(name);
	pool->line = p->line;
	return pool;
}

static void set_range(struct parser *p, struct pool *pool, const char *value)
{
	char buf[64], *w[2];

	if (split_words_copy(value, buf, sizeof(buf), w, 2) != 2 ||
	    parse_ipv4(w[0], &pool->start) < 0 || parse_ipv4(w[1], &pool->end) < 0) {
		parse_error(p, "invalid range \"%s\" (want: FIRST LAST)", value);
		return;
	}
	if (ntohl(pool->start.s_addr) > ntohl(pool->end.s_addr))
		parse_error(p, "range \"%s\" ends before it starts", value);
}

static void add_upstream(struct parser *p, const char *value)
{
	char buf[256], *w[CONFIG_MAX_UPSTREAMS];
	int n;

	n = split_words_copy(value, buf, sizeof(buf), w, ARRAY_SIZE(w));
	if (n <= 0)
		goto bad;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
		char *colon = strchr(w[i], ':');
		uint64_t port;
		if (colon) {
			*colon = '\0';
			if (parse_u64(colon + 1, 1, 65535, &port) < 0)
				goto bad;
			sa.sin_port = htons((uint16_t)port);
		}
		if (parse_ipv4(w[i], &sa.sin_addr) < 0)
			goto bad;
		if (p->cfg->n_upstreams >= CONFIG_MAX_UPSTREAMS) {
			parse_error(p, "too many upstream servers (at most %d)", CONFIG_MAX_UPSTREAMS);
			return;
		}
		p->cfg->upstreams[p->cfg->n_upstreams++] = sa;
	}
	return;
bad:
	parse_error(p, "invalid upstream \"%s\" (want: IP[:PORT] ...)", value);
}

/* "NAME A 1.2.3.4", "NAME CNAME target", "NAME TXT text", "NAME PTR target" */
static void add_dns_record(struct parser *p, const char *value)
{
	struct config *cfg = p->cfg;
	char buf[512], *save, *name, *type, *rest;
	struct dns_record rec = { .line = p->line };

	if (cfg->n_dns_records >= CONFIG_MAX_DNS_RECORDS || copy_string(buf, sizeof(buf), value) < 0)
		goto bad;
	name = strtok_r(buf, " \t", &save);
	type = strtok_r(NULL, " \t", &save);
	rest = save ? save + strspn(save, " \t") : NULL;
	if (!name || !type || !rest || !*rest)
		goto bad;
	if (strcasecmp(type, "A") == 0) {
		rec.type = 1;
		if (parse_ipv4(rest, &rec.a) < 0)
			goto bad;
	} else if (strcasecmp(type, "CNAME") == 0) {
		rec.type = 5;
	} else if (strcasecmp(type, "PTR") == 0) {
		rec.type = 12;
	} else if (strcasecmp(type, "TXT") == 0) {
		rec.type = 16;
	} else {
		goto bad;
	}
	if (rec.type != 1)
		rec.target = xstrdup(rest);
	rec.name = xstrdup(name);
	cfg->dns_records[cfg->n_dns_records++] = rec;
	return;
bad:
	parse_error(p, "invalid record \"%s\" (want: NAME A|CNAME|PTR|TXT VALUE)", value);
}

static void add_interfaces(struct parser *p, const char *value)
{
	char buf[256], *w[CONFIG_MAX_IFACES];
	int n;

	n = split_words_copy(value, buf, sizeof(buf), w, ARRAY_SIZE(w));
	if (n <= 0)
		goto bad;
	for (int i = 0; i < n; i++) {
		if (strlen(w[i]) >= 16 || p->cfg->n_ifaces >= CONFIG_MAX_IFACES)
			goto bad;
		p->cfg->ifaces[p->cfg->n_ifaces++] = xstrdup(w[i]);
	}
	return;
bad:
	parse_error(p, "invalid interface list \"%s\"", value);
}

/* ---- per-section handlers ------------------------------------------- */

static void host_set(struct parser *p, struct host *h, const char *key, const char *value)
{
	if (strcmp(key, "mac") == 0) {
		/* "mac = MAC" or "mac = MAC IP": each NIC may have its own address */
		char buf[64], *w[2];
		int n = split_words_copy(value, buf, sizeof(buf), w, 2);
		struct host_nic nic = { 0 };
		if (n < 1 || parse_mac(w[0], nic.mac) < 0 || (n == 2 && parse_ipv4(w[1], &nic.ip) < 0)) {
			parse_error(p, "invalid mac \"%s\" (want: aa:bb:cc:dd:ee:ff [IP])", value);
			return;
		}
		if (h->n_nics >= CONFIG_MAX_HOST_NICS) {
			parse_error(p, "too many NICs for host %s (at most %d)", h->name, CONFIG_MAX_HOST_NICS);
			return;
		}
		h->nics[h->n_nics++] = nic;
	} else if (strcmp(key, "ip") == 0) {
		/* pairs with the NIC of the same position */
		struct in_addr ip;
		if (parse_ipv4(value, &ip) < 0) {
			parse_error(p, "invalid ip \"%s\"", value);
			return;
		}
		if (h->n_ips >= CONFIG_MAX_HOST_NICS) {
			parse_error(p, "too many addresses for host %s", h->name);
			return;
		}
		h->nics[h->n_ips++].ip = ip;
	} else if (strcmp(key, "option") == 0) {
		add_extra_option(p, &h->opts, &h->n_opts, value);
	} else if (strcmp(key, "toram") == 0) {
		bool b;
		if (parse_bool(value, &b) < 0)
			parse_error(p, "invalid value for toram: \"%s\"", value);
		h->toram = b;
	} else if (strcmp(key, "memory") == 0) {
		if (parse_size_mib(value, &h->memory_mib) < 0 || h->memory_mib < 16)
			parse_error(p, "invalid memory \"%s\" (want e.g. 4G, 2048M)", value);
	} else if (!TRY_KEYS(p, host_keys, h, key, value)) {
		parse_error(p, "unknown key \"%s\" in [host \"%s\"]", key, h->name);
	}
}

static void params_set(struct parser *p, struct dhcp_params *par, const char *key,
		       const char *value, const char *where)
{
	if (strcmp(key, "option") == 0)
		add_extra_option(p, &par->opts, &par->n_opts, value);
	else if (!TRY_KEYS(p, params_keys, par, key, value))
		parse_error(p, "unknown key \"%s\" in [%s]", key, where);
}

static void dhcp_set(struct parser *p, const char *key, const char *value)
{
	struct config *cfg = p->cfg;

	if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "authoritative") == 0)
			cfg->dhcp_mode = DHCP_MODE_AUTHORITATIVE;
		else if (strcmp(value, "proxy") == 0)
			cfg->dhcp_mode = DHCP_MODE_PROXY;
		else if (strcmp(value, "off") == 0)
			cfg->dhcp_mode = DHCP_MODE_OFF;
		else
			parse_error(p, "invalid mode \"%s\" (want authoritative, proxy or off)", value);
	} else if (strcmp(key, "range") == 0) {
		struct pool *pool = add_pool(p, "dhcp");
		if (pool)
			set_range(p, pool, value);
	} else if (!TRY_KEYS(p, dhcp_keys, cfg, key, value)) {
		params_set(p, &cfg->dhcp, key, value, "dhcp");
	}
}

static void image_set(struct parser *p, struct image *img, const char *key, const char *value)
{
	if (strcmp(key, "initrd") == 0) {
		if (img->n_initrds >= CONFIG_MAX_INITRDS)
			parse_error(p, "too many initrds (at most %d)", CONFIG_MAX_INITRDS);
		else
			img->initrds[img->n_initrds++] = xstrdup(value);
	} else if (!TRY_KEYS(p, image_keys, img, key, value)) {
		parse_error(p, "unknown key \"%s\" in [image \"%s\"]", key, img->name);
	}
}

static void simple_set(struct parser *p, const char *key, const char *value)
{
	struct config *cfg = p->cfg;
	int found = 0;

	switch (p->kind) {
	case SEC_SERVER:
		if (strcmp(key, "interface") == 0) {
			add_interfaces(p, value);
			return;
		}
		found = TRY_KEYS(p, server_keys, cfg, key, value);
		break;
	case SEC_TFTP: found = TRY_KEYS(p, tftp_keys, cfg, key, value); break;
	case SEC_HTTP: found = TRY_KEYS(p, http_keys, cfg, key, value); break;
	case SEC_IMAGES: found = TRY_KEYS(p, images_keys, cfg, key, value); break;
	case SEC_ISOS: found = TRY_KEYS(p, isos_keys, cfg, key, value); break;
	case SEC_NFS: found = TRY_KEYS(p, nfs_keys, cfg, key, value); break;
	case SEC_BOOT: found = TRY_KEYS(p, boot_keys, cfg, key, value); break;
	case SEC_DNS:
		if (strcmp(key, "upstream") == 0) {
			add_upstream(p, value);
			return;
		}
		if (strcmp(key, "record") == 0) {
			add_dns_record(p, value);
			return;
		}
		found = TRY_KEYS(p, dns_keys, cfg, key, value);
		break;
	default:
		break;
	}
	if (!found)
		parse_error(p, "unknown key \"%s\" in [%s]", key, p->section);
}

/* ---- section headers -------------------------------------------------- */

/* Splits `host "beta"` into kind and name. Returns -EINVAL if malformed. */
static int split_section(const char *section, char *kind, size_t kind_size, char *name, size_t name_size)
{
	const char *q = strchr(section, '"');
	size_t klen, nlen;

	if (!q) {
		if (copy_string(kind, kind_size, section) < 0)
			return -EINVAL;
		name[0] = '\0';
		return 0;
	}
	klen = (size_t)(q - section);
	while (klen > 0 && section[klen - 1] == ' ')
		klen--;
	nlen = strlen(q + 1);
	if (klen == 0 || klen >= kind_size || nlen < 2 || q[nlen] != '"' || nlen - 1 >= name_size)
		return -EINVAL;
	memcpy(kind, section, klen);
	kind[klen] = '\0';
	memcpy(name, q + 1, nlen - 1);
	name[nlen - 1] = '\0';
	return strchr(name, '"') ? -EINVAL : 0;
}

static bool valid_hostname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static struct host *add_host(struct parser *p, const char *name)
{
	struct config *cfg = p->cfg;

	if (!valid_hostname(name)) {
		parse_error(p, "invalid host name \"%s\" (letters, digits and '-', at most 63)", name);
		return NULL;
	}
	if (cfg->n_hosts >= CONFIG_MAX_HOSTS) {
		parse_error(p, "too many hosts (at most %d)", CONFIG_MAX_HOSTS);
		return NULL;
	}
	if (p->runtime) {
		const struct host *o = config_host_by_name(cfg, name);
		if (o && !o->runtime) {
			parse_error(p, "host %s is in %s:%d, which only an edit of the file changes", name, cfg->path, o->line);
			return NULL;
		}
	}
	if (cfg->n_hosts == p->hosts_cap) {
		size_t cap = p->hosts_cap ? p->hosts_cap * 2 : 16;
		struct host *grown = realloc(cfg->hosts, cap * sizeof(*grown));
		if (!grown)
			abort();
		cfg->hosts = grown;
		p->hosts_cap = cap;
	}
	struct host *h = &cfg->hosts[cfg->n_hosts++];
	*h = (struct host){ .name = xstrdup(name), .toram = -1, .line = p->runtime ? -1 : p->line, .runtime = p->runtime };
	return h;
}

static struct image *add_image(struct parser *p, const char *name)
{
	struct config *cfg = p->cfg;

	if (cfg->n_images >= CONFIG_MAX_IMAGES) {
		parse_error(p, "too many images (at most %d)", CONFIG_MAX_IMAGES);
		return NULL;
	}
	struct image *img = &cfg->images[cfg->n_images++];
	*img = (struct image){ .name = xstrdup(name), .line = p->line };
	return img;
}

static struct menu_entry *add_entry(struct parser *p, const char *name)
{
	struct config *cfg = p->cfg;
	static const char *const reserved[] = { "menu", "image", "local", "netbootxyz", "failed" };

	for (const char *c = name; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') {
			parse_error(p, "invalid entry name \"%s\" (letters, digits, '-' and '_')", name);
			return NULL;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		if (strcmp(reserved[i], name) == 0) {
			parse_error(p, "entry name \"%s\" is taken by the built-in menu", name);
			return NULL;
		}
	}
	if (cfg->n_entries >= CONFIG_MAX_ENTRIES) {
		parse_error(p, "too many entries (at most %d)", CONFIG_MAX_ENTRIES);
		return NULL;
	}
	struct menu_entry *e = &cfg->entries[cfg->n_entries++];
	*e = (struct menu_entry){ .name = xstrdup(name), .line = p->line };
	return e;
}

/* "title = TEXT"; "run = IPXE COMMAND", repeatable, one line of script each. */
static void entry_set(struct parser *p, struct menu_entry *e, const char *key, const char *value)
{
	if (strcmp(key, "title") == 0) {
		free(e->title);
		e->title = xstrdup(value);
	} else if (strcmp(key, "run") == 0) {
		if (e->n_lines >= CONFIG_MAX_ENTRY_LINES || strchr(value, '\n'))
			parse_error(p, "entry %s: too many run lines (at most %d)", e->name, CONFIG_MAX_ENTRY_LINES);
		else
			e->lines[e->n_lines++] = xstrdup(value);
	} else {
		parse_error(p, "unknown key \"%s\" in [entry \"%s\"]", key, e->name);
	}
}

static void enter_section(struct parser *p, const char *section)
{
	static const struct { const char *name; enum section_kind kind; bool named; } kinds[] = {
		{ "server", SEC_SERVER, false }, { "dhcp", SEC_DHCP, false },
		{ "tftp", SEC_TFTP, false },     { "http", SEC_HTTP, false },
		{ "boot", SEC_BOOT, false },     { "dns", SEC_DNS, false },
		{ "images", SEC_IMAGES, false }, { "nfs", SEC_NFS, false },
		{ "isos", SEC_ISOS, false },
		{ "pool", SEC_POOL, true },      { "host", SEC_HOST, true },
		{ "image", SEC_IMAGE, true },     { "entry", SEC_ENTRY, true },
	};
	char kind[32], name[128];

	snprintf(p->section, sizeof(p->section), "%s", section);
	p->in_section = true;
	p->kind = SEC_NONE;
	p->current = NULL;
	if (section[0] == '\0')
		return;
	if (split_section(section, kind, sizeof(kind), name, sizeof(name)) < 0) {
		parse_error(p, "malformed section header [%s]", section);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (strcmp(kinds[i].name, kind) != 0)
			continue;
		if (p->runtime && kinds[i].kind != SEC_HOST) {
			parse_error(p, "only [host] sections can be added at runtime");
			return;
		}
		if (kinds[i].named != (name[0] != '\0')) {
			parse_error(p, kinds[i].named ? "section [%s] needs a name: [%s \"NAME\"]"
						      : "section [%s] takes no name", kind, kind);
			return;
		}
		p->kind = kinds[i].kind;
		if (p->kind == SEC_HOST)
			p->current = add_host(p, name);
		else if (p->kind == SEC_POOL)
			p->current = add_pool(p, name);
		else if (p->kind == SEC_IMAGE)
			p->current = add_image(p, name);
		else if (p->kind == SEC_ENTRY)
			p->current = add_entry(p, name);
		if (kinds[i].named && !p->current)
			p->kind = SEC_NONE;
		return;
	}
	parse_error(p, "unknown section [%s]", section);
}

/* Copies value without a trailing " # comment" and trailing blanks. */
static void strip_comment(const char *value, char *out, size_t size)
{
	size_t n = 0;

	for (const char *s = value; *s && n + 1 < size; s++) {
		if (*s == '#' && (s == value || s[-1] == ' ' || s[-1] == '\t'))
			break;
		out[n++] = *s;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
}

static int on_ini_pair(void *user, const char *section, const char *key, const char *raw_value)
{
	struct parser *p = user;
	char value[1024];

	if (strlen(raw_value) >= sizeof(value)) {
		parse_error(p, "value of %s too long (at most %zu bytes)", key, sizeof(value) - 1);
		return 1;
	}
	strip_comment(raw_value, value, sizeof(value));

	if (!p->in_section || strcmp(section, p->section) != 0)
		enter_section(p, section);
	switch (p->kind) {
	case SEC_NONE:
		if (section[0] == '\0')
			parse_error(p, "key \"%s\" outside of any section", key);
		break; /* the bad header was reported already */
	case SEC_DHCP:
		dhcp_set(p, key, value);
		break;
	case SEC_POOL:
		if (strcmp(key, "range") == 0)
			set_range(p, p->current, value);
		else
			params_set(p, &((struct pool *)p->current)->params, key, value, p->section);
		break;
	case SEC_HOST:
		host_set(p, p->current, key, value);
		break;
	case SEC_IMAGE:
		image_set(p, p->current, key, value);
		break;
	case SEC_ENTRY:
		entry_set(p, p->current, key, value);
		break;
	default:
		simple_set(p, key, value);
	}
	return 1;
}

/* inih reads through this so we know the line number of every key. */
static char *line_reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	char *s = fgets(str, num, p->file);
	if (s)
		p->line++;
	return s;
}


#define CONFIG_TEXT_MAX (4u << 20)

/* The whole file, bounded; NULL after saying why. */
static char *read_text(const char *path, FILE *errors)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(errors, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *grown = cap >= CONFIG_TEXT_MAX ? NULL : realloc(text, cap = cap ? cap * 2 : 8192);
			if (!grown) {
				fprintf(errors, "%s: too large (at most %u bytes)\n", path, CONFIG_TEXT_MAX);
				goto fail;
			}
			text = grown;
		}
		size_t got = fread(text + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f) || memchr(text, '\0', n)) {
		fprintf(errors, "%s: %s\n", path, ferror(f) ? "read error" : "contains a NUL byte");
		goto fail;
	}
	text[n] = '\0';
	fclose(f);
	return text;
fail:
	free(text);
	fclose(f);
	return NULL;
}

/* One INI text through the key tables; the file, then the runtime hosts. */
static void parse_text(struct parser *p, const char *text, bool runtime)
{
	size_t len = strlen(text);
	int r;

	p->line = 0;
	p->in_section = false;
	p->kind = SEC_NONE;
	p->runtime = runtime;
	if (len == 0)
		return; /* fmemopen refuses an empty buffer */
	p->file = fmemopen((void *)text, len, "r");
	if (!p->file) {
		fprintf(p->cfg->errors, "%s: %s\n", p->cfg->path, strerror(errno));
		p->errors++;
		return;
	}
	r = ini_parse_stream(line_reader, p, on_ini_pair, p);
	fclose(p->file);
	p->file = NULL;
	if (r > 0) {
		p->line = r;
		parse_error(p, "syntax error (expected [section] or key = value)");
	} else if (r < 0) {
		fprintf(p->cfg->errors, "%s: cannot parse (out of memory)\n", p->cfg->path);
		p->errors++;
	}
}

int config_load_from(const struct config_source *src, struct config **ret)
{
	struct parser p = { 0 };
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return -ENOMEM;
	p.cfg = cfg;
	cfg->path = xstrdup(src->path);
	cfg->errors = src->errors ? src->errors : stderr;
	config_set_defaults(cfg);
	cfg->text = src->text ? xstrdup(src->text) : read_text(src->path, cfg->errors);
	if (!cfg->text) {
		config_free(cfg);
		return -ENOENT;
	}
	parse_text(&p, cfg->text, false);
	if (src->runtime_hosts)
		parse_text(&p, src->runtime_hosts, true);
	if (p.errors == 0)
		p.errors += config_finish(cfg);
	fflush(cfg->errors);
	cfg->errors = NULL;
	if (p.errors) {
		config_free(cfg);
		return -EINVAL;
	}
	*ret = cfg;
	return 0;
}

int config_load(const char *path, struct config **ret)
{
	return config_load_from(&(struct config_source){ .path = path }, ret);
}
