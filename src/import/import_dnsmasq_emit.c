/* The importer's model written as labboot.conf. Every line is checked
 * against what the INI parser takes (inih reads 199 characters a line, and
 * " #" or " ;" starts a comment): a line it would cut or misread is left
 * out with a note instead of being written wrong. */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	struct dm *dm;
	char *buf;
	size_t len, cap;
};

bool dm_value_safe(const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || v[0] == ' ' || v[0] == '\t' || v[0] == '#' || v[0] == ';' || v[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		if ((c == '#' || c == ';') && (v[i - 1] == ' ' || v[i - 1] == '\t'))
			return false;
	}
	return true;
}

static void append(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 2 > o->cap) {
		size_t cap = (o->cap ? o->cap * 2 : 4096) + n;
		char *grown = realloc(o->buf, cap);
		if (!grown)
			abort();
		o->buf = grown;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len++] = '\n';
	o->buf[o->len] = '\0';
}

/* "KEY = VALUE", or a note saying why not. */
static void kv(struct out *o, const struct dm_where *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void kv(struct out *o, const struct dm_where *at, const char *key, const char *fmt, ...)
{
	char value[2048], line[2100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s = %s", key, value);
	if (strlen(line) > IMPORT_OUT_MAX_LINE)
		dm_untranslated(o->dm, at, "%s (longer than the %d characters of a labboot.conf line)", line,
				IMPORT_OUT_MAX_LINE);
	else if (!dm_value_safe(value))
		dm_untranslated(o->dm, at, "%s (blanks at an end, control characters or \" #\"/\" ;\" that labboot.conf reads as a comment)", line);
	else
		append(o, line);
}

/* "[NAME]"; false (nothing written) when inih would cut NAME. */
static bool section(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool section(struct out *o, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (strlen(line) - 2 > IMPORT_OUT_MAX_SECTION)
		return false;
	if (o->len)
		append(o, "");
	append(o, line);
	return true;
}

static void opts_out(struct out *o, const struct dm_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kv(o, &opts[i].at, "option", "%s", opts[i].value);
}

static void params_out(struct out *o, const struct dm_where *at, const char *router, const char *dns, const char *ntp,
		       const char *domain)
{
	if (router && *router)
		kv(o, at, "router", "%s", router);
	if (dns && *dns)
		kv(o, at, "dns", "%s", dns);
	if (ntp && *ntp)
		kv(o, at, "ntp", "%s", ntp);
	if (domain && *domain)
		kv(o, at, "domain", "%s", domain);
}

static void server_out(struct out *o)
{
	struct dm *dm = o->dm;
	const struct dm_where top = dm->top;
	char ip[16], list[CONFIG_MAX_IFACES * 17] = "";

	section(o, "[server]");
	for (size_t i = 0; i < dm->n_ifaces; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? " " : "", dm->ifaces[i]);
	if (!list[0] && dm->o->interface)
		snprintf(list, sizeof(list), "%s", dm->o->interface);
	if (!list[0] && (dm->mode == DM_DHCP_PROXY || (dm->mode == DM_DHCP_RANGES && (dm->n_ranges || dm->n_hosts)))) {
		/* labboot serves DHCP on named interfaces only; dnsmasq on every one */
		dm_untranslated(dm, &top, "the interfaces (dnsmasq answers DHCP on every one; labboot on those named: "
					  "wrote eth0, give --interface)");
		snprintf(list, sizeof(list), "eth0");
	}
	if (list[0])
		kv(o, &top, "interface", "%s", list);
	if (dm->address.s_addr)
		kv(o, &top, "address", "%s", format_ipv4(ip, dm->address));
}

/* dnsmasq takes a range's netmask from the interface; labboot's default is
 * a /24, right only if every range fits in one. */
static void netmask_note(struct out *o, const struct dm_range *first)
{
	struct dm *dm = o->dm;

	for (size_t i = 0; i < dm->n_ranges; i++) {
		const struct dm_range *r = &dm->ranges[i];
		if (!r->pool && r->start.s_addr && (ntohl(r->start.s_addr) >> 8) != (ntohl(r->end.s_addr) >> 8)) {
			dm_untranslated(dm, &r->at, "the netmask (dnsmasq takes the interface's, and this range is wider "
						    "than labboot's default /24: give it in dhcp-range or option 1)");
			return;
		}
	}
	dm_note(dm, &first->at, "no netmask: dnsmasq takes the interface's, labboot sends 255.255.255.0 ([dhcp] netmask)");
}

static void dhcp_out(struct out *o)
{
	struct dm *dm = o->dm;
	const struct dm_where top = dm->top;
	const struct dm_range *first = NULL;
	char a[16], b[16];
	size_t n_main = 0;

	section(o, "[dhcp]");
	for (size_t i = 0; i < dm->n_ranges; i++)
		if (!dm->ranges[i].pool && dm->ranges[i].start.s_addr)
			n_main++;
	if (dm->mode == DM_DHCP_PROXY) {
		kv(o, &top, "mode", "proxy");
		return;
	}
	if (dm->mode == DM_DHCP_OFF || (n_main == 0 && dm->n_hosts == 0)) {
		kv(o, &top, "mode", "off");
		return;
	}
	kv(o, &top, "mode", "authoritative");
	for (size_t i = 0; i < dm->n_ranges; i++) {
		const struct dm_range *r = &dm->ranges[i];
		if (r->pool)
			continue;
		if (!first)
			first = r;
		if (r->start.s_addr)
			kv(o, &r->at, "range", "%s %s", format_ipv4(a, r->start), format_ipv4(b, r->end));
		if (r->lease && first->lease && strcmp(r->lease, first->lease) != 0)
			dm_untranslated(dm, &r->at, "lease time %s (labboot has one per subnet: %s)", r->lease, first->lease);
	}
	if (dm->netmask.s_addr)
		kv(o, &top, "netmask", "%s", format_ipv4(a, dm->netmask));
	else if (first && first->netmask.s_addr)
		kv(o, &first->at, "netmask", "%s", format_ipv4(a, first->netmask));
	else if (first)
		netmask_note(o, first);
	if (first && first->lease)
		kv(o, &first->at, "lease-time", "%s", first->lease);
	params_out(o, &top, dm->router, dm->dns, dm->ntp, dm->domain);
	if (first)
		params_out(o, &first->at, first->router, first->dns, first->ntp, first->domain);
	opts_out(o, dm->opts, dm->n_opts);
	if (first)
		opts_out(o, first->opts, first->n_opts);
}

static void pools_out(struct out *o)
{
	struct dm *dm = o->dm;
	char a[16], b[16];

	if (dm->mode != DM_DHCP_RANGES)
		return;
	for (size_t i = 0; i < dm->n_ranges; i++) {
		const struct dm_range *r = &dm->ranges[i];
		if (!r->pool)
			continue;
		if (!r->start.s_addr) {
			dm_untranslated(dm, &r->at, "a static subnet %s without a pool (labboot's relayed pools need a range)",
					format_ipv4(a, r->end));
			continue;
		}
		bool plain = r->tag && strlen(r->tag) < 32 && strspn(r->tag, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(r->tag);
		section(o, "[pool \"%s%zu\"]", plain ? r->tag : "pool", i);
		kv(o, &r->at, "range", "%s %s", format_ipv4(a, r->start), format_ipv4(b, r->end));
		if (r->netmask.s_addr)
			kv(o, &r->at, "netmask", "%s", format_ipv4(a, r->netmask));
		if (r->lease)
			kv(o, &r->at, "lease-time", "%s", r->lease);
		params_out(o, &r->at, r->router, r->dns, r->ntp, r->domain);
		opts_out(o, r->opts, r->n_opts);
	}
}

static void boot_out(struct out *o)
{
	static const char *const keys[] = { "bios", "efi64", "arm64" };
	struct dm *dm = o->dm;
	const struct dm_where top = dm->top;
	const char *any = NULL;

	section(o, "[tftp]");
	kv(o, &top, "enable", "%s", dm->tftp ? "yes" : "no");
	if (dm->tftp_root)
		kv(o, &top, "root", "%s", dm->tftp_root);
	if (dm->tftp_port)
		kv(o, &top, "port", "%ld", dm->tftp_port);

	section(o, "[boot]");
	for (int s = 0; s < SLOT_COUNT_; s++) {
		const char *file = dm->boot[s] ? dm->boot[s] : dm->boot_default;
		const struct dm_where *at = dm->boot[s] ? &dm->boot_at[s] : &dm->boot_default_at;
		if (!file)
			continue;
		kv(o, at, keys[s], "%s", file);
		any = file;
	}
	if (dm->ipxe_chain) {
		char run[IMPORT_OUT_MAX_LINE + 2];
		int n = strstr(dm->ipxe_chain, "://") ? snprintf(run, sizeof(run), "chain %s", dm->ipxe_chain)
						      : snprintf(run, sizeof(run), "chain tftp://${next-server}/%s", dm->ipxe_chain);
		if (n < 0 || (size_t)n + strlen("run = ") > IMPORT_OUT_MAX_LINE || !dm_value_safe(run)) {
			dm_untranslated(dm, &dm->ipxe_at, "the file iPXE clients were given, %s (not a line labboot.conf can hold)",
					dm->ipxe_chain);
			return;
		}
		kv(o, &top, "menu", "none");
		kv(o, &top, "menu-default", "dnsmasq");
		section(o, "[entry \"dnsmasq\"]");
		kv(o, &top, "title", "What dnsmasq gave iPXE");
		kv(o, &top, "run", "%s", run);
	} else if (!any && dm->mode != DM_DHCP_OFF) {
		dm_note(dm, &top, "no boot file: labboot still offers PXE clients iPXE, its [boot] defaults");
	} else if (any) {
		const struct dm_where *at = dm->boot_default ? &dm->boot_default_at : &top;
		for (int s = 0; s < SLOT_COUNT_ && !dm->boot_default; s++)
			if (dm->boot[s])
				at = &dm->boot_at[s];
		dm_note(dm, at, "iPXE clients (user class iPXE) get labboot's boot script and menu, not %s again",
			any);
	}
}

static void dns_out(struct out *o)
{
	struct dm *dm = o->dm;
	const struct dm_where top = dm->top;
	char list[CONFIG_MAX_UPSTREAMS * 24] = "";

	section(o, "[dns]");
	if (dm->dns_off) {
		kv(o, &top, "enable", "no");
		return;
	}
	if (dm->dns_port)
		kv(o, &top, "port", "%ld", dm->dns_port);
	kv(o, &top, "ttl", "%lds", dm->local_ttl >= 0 ? dm->local_ttl : 0); /* dnsmasq's local-ttl */
	if (dm->cache_size >= 0)
		kv(o, &top, "cache-size", "%ld", dm->cache_size);
	for (size_t i = 0; i < dm->n_upstreams; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? " " : "", dm->upstreams[i]);
	if (list[0])
		kv(o, &top, "upstream", "%s", list);
	for (size_t i = 0; i < dm->n_records; i++)
		kv(o, &top, "record", "%s", dm->records[i]);
}

static void hosts_out(struct out *o)
{
	struct dm *dm = o->dm;

	for (size_t i = 0; i < dm->n_hosts; i++) {
		const struct dm_host *h = &dm->hosts[i];
		if (h->n_nics == 0)
			continue;
		if (!section(o, "[host \"%s\"]", h->name)) {
			dm_untranslated(dm, &h->at, "host %s (labboot.conf reads section names of at most %d characters: "
						    "[host \"NAME\"] with NAME up to %d)", h->name, IMPORT_OUT_MAX_SECTION,
					IMPORT_OUT_MAX_SECTION - 7);
			continue;
		}
		for (size_t j = 0; j < h->n_nics; j++) {
			char mac[18], ip[16];
			if (h->nics[j].ip.s_addr)
				kv(o, &h->at, "mac", "%s %s", format_mac(mac, h->nics[j].mac), format_ipv4(ip, h->nics[j].ip));
			else
				kv(o, &h->at, "mac", "%s", format_mac(mac, h->nics[j].mac));
		}
		if (h->lease)
			kv(o, &h->at, "lease-time", "%s", h->lease);
		if (h->boot_file)
			kv(o, &h->at, "boot-file", "%s", h->boot_file);
		opts_out(o, h->opts, h->n_opts);
	}
}

char *dm_render(struct dm *dm)
{
	struct out o = { .dm = dm };

	append(&o, "# labboot.conf(5), converted from a dnsmasq configuration by `labboot import dnsmasq`.");
	server_out(&o);
	dhcp_out(&o);
	pools_out(&o);
	boot_out(&o);
	dns_out(&o);
	hosts_out(&o);
	return o.buf;
}

static void opts_free(struct dm_opt *opts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(opts[i].value);
}

void dm_free(struct dm *dm)
{
	for (size_t i = 0; i < dm->n_ifaces; i++)
		free(dm->ifaces[i]);
	for (size_t i = 0; i < dm->n_ranges; i++) {
		struct dm_range *r = &dm->ranges[i];
		free(r->lease), free(r->tag), free(r->router), free(r->dns), free(r->ntp), free(r->domain);
		opts_free(r->opts, r->n_opts);
	}
	opts_free(dm->opts, dm->n_opts);
	free(dm->router), free(dm->dns), free(dm->ntp), free(dm->domain);
	free(dm->tftp_root), free(dm->boot_default), free(dm->ipxe_chain), free(dm->resolv_file);
	for (int s = 0; s < SLOT_COUNT_; s++)
		free(dm->boot[s]);
	for (size_t i = 0; i < dm->n_upstreams; i++)
		free(dm->upstreams[i]);
	for (size_t i = 0; i < dm->n_records; i++)
		free(dm->records[i]);
	for (size_t i = 0; i < dm->n_tags; i++)
		free(dm->tags[i].name);
	for (size_t i = 0; i < dm->n_hosts; i++) {
		struct dm_host *h = &dm->hosts[i];
		free(h->name), free(h->lease), free(h->boot_file), free(h->fqdn_domain);
		opts_free(h->opts, h->n_opts);
		for (size_t j = 0; j < h->n_tags; j++)
			free(h->tags[j]);
	}
	free(dm->hosts);
	for (size_t i = 0; i < dm->n_hosts_file; i++)
		free(dm->hosts_file[i].name);
	free(dm->hosts_file);
}
