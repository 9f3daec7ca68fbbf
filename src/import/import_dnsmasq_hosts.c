/* dnsmasq directives about machines: dhcp-host (and /etc/ethers), dhcp-range,
 * and the tags that dhcp-match, dhcp-vendorclass and dhcp-userclass set. */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- tags ------------------------------------------------------------- */

struct dm_tag *dm_tag_get(struct dm *dm, const char *name, bool create)
{
	for (size_t i = 0; i < dm->n_tags; i++)
		if (strcmp(dm->tags[i].name, name) == 0)
			return &dm->tags[i];
	if (!create || dm->n_tags == DM_MAX_TAGS)
		return NULL;
	dm->tags[dm->n_tags] = (struct dm_tag){ .name = xstrdup(name), .range = -1 };
	return &dm->tags[dm->n_tags++];
}

/* A tag set in two different ways (an arch and a host) is not one labboot can follow. */
static void tag_set_kind(struct dm *dm, const char *name, enum dm_tag_kind kind, long arch, int range)
{
	unsigned slots = arch >= 0 ? dm_slots_of_arch((unsigned long)arch) : 0;
	struct dm_tag *t = dm_tag_get(dm, name, true);

	if (!t)
		return;
	if (t->kind == TAG_UNKNOWN || (t->kind == kind && kind != TAG_RANGE)) {
		t->kind = kind;
		t->slots |= slots;
		t->arches |= arch >= 0 && arch < 32 ? 1u << arch : 0;
		t->range = range;
	} else {
		t->kind = TAG_OTHER;
	}
}

bool dm_netmask_valid(struct in_addr m)
{
	uint32_t v = ntohl(m.s_addr);

	return v != 0 && (~v & (~v + 1)) == 0; /* contiguous ones */
}

unsigned dm_slots_of_arch(unsigned long arch)
{
	switch (arch) {
	case 0: return 1u << SLOT_BIOS;
	case 7: case 9: return 1u << SLOT_EFI64;   /* RFC 4578: EFI BC, EFI x86-64 */
	case 11: return 1u << SLOT_ARM64;
	default: return 0;
	}
}

/* "PXEClient:Arch:00007..." -> 7; -1 if not that form. */
static long arch_of_vendor_class(const char *s)
{
	char digits[6];

	if (strncmp(s, "PXEClient:Arch:", 15) != 0 || strlen(s + 15) < 5)
		return -1;
	memcpy(digits, s + 15, 5);
	digits[5] = '\0';
	for (int i = 0; i < 5; i++)
		if (!isdigit((unsigned char)digits[i]))
			return -1;
	return strtol(digits, NULL, 10);
}

/* ---- hosts ------------------------------------------------------------ */

struct dm_host *dm_host_by_name(struct dm *dm, const char *name)
{
	for (size_t i = 0; i < dm->n_hosts; i++)
		if (strcasecmp(dm->hosts[i].name, name) == 0)
			return &dm->hosts[i];
	return NULL;
}

static struct dm_host *host_add(struct dm *dm, const char *name, const struct dm_where *at)
{
	if (dm->n_hosts == CONFIG_MAX_HOSTS)
		return NULL;
	if (dm->n_hosts == dm->hosts_cap) {
		size_t cap = dm->hosts_cap ? dm->hosts_cap * 2 : 16;
		struct dm_host *grown = realloc(dm->hosts, cap * sizeof(*grown));
		if (!grown)
			abort();
		dm->hosts = grown;
		dm->hosts_cap = cap;
	}
	struct dm_host *h = &dm->hosts[dm->n_hosts++];
	*h = (struct dm_host){ .name = xstrdup(name), .at = *at };
	return h;
}

static const struct dm_host *host_with_mac(const struct dm *dm, const uint8_t mac[6])
{
	for (size_t i = 0; i < dm->n_hosts; i++)
		for (size_t j = 0; j < dm->hosts[i].n_nics; j++)
			if (memcmp(dm->hosts[i].nics[j].mac, mac, 6) == 0)
				return &dm->hosts[i];
	return NULL;
}

const struct dm_host *dm_host_with_ip(const struct dm *dm, struct in_addr ip)
{
	for (size_t i = 0; i < dm->n_hosts; i++)
		for (size_t j = 0; j < dm->hosts[i].n_nics; j++)
			if (ip.s_addr && dm->hosts[i].nics[j].ip.s_addr == ip.s_addr)
				return &dm->hosts[i];
	return NULL;
}

static bool valid_label(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* "[TYPE-]aa:bb:cc:dd:ee:ff"; 1 for a form labboot cannot match (wildcards,
 * another hardware type), -EINVAL for no MAC at all. */
static int parse_hwaddr(const char *s, uint8_t mac[6])
{
	if (strlen(s) > 3 && isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) && s[2] == '-' &&
	    strchr(s + 3, ':')) {
		if (strncmp(s, "01-", 3) != 0)
			return 1;
		s += 3;
	}
	if (strchr(s, '*'))
		return strchr(s, ':') ? 1 : -EINVAL;
	if (strlen(s) != 17 || !strchr(s, ':'))
		return -EINVAL;
	return parse_mac(s, mac) < 0 ? -EINVAL : 0;
}

/* dhcp-host=[hwaddr...][,id:*|id:ID][,set:TAG][,tag:TAG][,IP][,NAME][,LEASE][,ignore] */
void h_dhcp_host(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *name = NULL, *lease = NULL, *tags[DM_MAX_HOST_TAGS];
	bool quoted[DM_MAX_FIELDS], has_ip = false, by_id = false;
	uint8_t macs[CONFIG_MAX_HOST_NICS][6];
	size_t n_macs = 0, n_tags = 0;
	struct in_addr ip = { 0 };
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n <= 0) {
		dm_untranslated(dm, at, "dhcp-host=%s (%s)", dm->raw, n < 0 ? "too many fields" : "empty");
		return;
	}
	for (int i = 0; i < n; i++) {
		uint8_t mac[6];
		int r;
		if (strcmp(f[i], "id:*") == 0)
			continue; /* labboot always matches the MAC, whatever the client id */
		if (strncmp(f[i], "id:", 3) == 0) {
			by_id = true;
			continue;
		}
		if (strncmp(f[i], "set:", 4) == 0 || strncmp(f[i], "net:", 4) == 0) {
			if (n_tags < DM_MAX_HOST_TAGS && f[i][4])
				tags[n_tags++] = f[i] + 4;
			continue;
		}
		if (strncmp(f[i], "tag:", 4) == 0) {
			dm_untranslated(dm, at, "dhcp-host=%s (a reservation only for clients with tag %s: labboot has no tags)",
					dm->raw, f[i] + 4);
			return;
		}
		if (strcmp(f[i], "ignore") == 0) {
			dm_untranslated(dm, at, "dhcp-host=%s (ignore: labboot cannot leave a machine unanswered)", dm->raw);
			return;
		}
		if (f[i][0] == '[') {
			dm_untranslated(dm, at, "%s in dhcp-host (IPv6: labboot serves DHCPv4 only)", f[i]);
			continue;
		}
		if ((r = parse_hwaddr(f[i], mac)) >= 0) {
			if (r > 0) {
				dm_untranslated(dm, at, "dhcp-host=%s (MAC %s: labboot matches whole Ethernet addresses)", dm->raw, f[i]);
				return;
			}
			if (n_macs == CONFIG_MAX_HOST_NICS) {
				dm_untranslated(dm, at, "MAC %s (more than %d in one host)", f[i], CONFIG_MAX_HOST_NICS);
				continue;
			}
			memcpy(macs[n_macs++], mac, 6);
			continue;
		}
		if (!quoted[i] && strchr(f[i], '.') && strspn(f[i], "0123456789.") == strlen(f[i])) {
			if (parse_ipv4(f[i], &ip) < 0) {
				dm_untranslated(dm, at, "dhcp-host=%s (%s is not an IPv4 address)", dm->raw, f[i]);
				return;
			}
			has_ip = true;
			continue;
		}
		if (!quoted[i] && dm_is_lease_time(f[i])) {
			lease = f[i];
			continue;
		}
		if (name) {
			dm_untranslated(dm, at, "dhcp-host=%s (\"%s\" is no MAC, address, name or lease time)", dm->raw, f[i]);
			return;
		}
		name = f[i];
	}
	if (n_macs == 0) {
		dm_untranslated(dm, at, "dhcp-host=%s (no MAC: labboot matches hosts by MAC, not by %s)", dm->raw,
				by_id ? "client identifier" : "name");
		return;
	}
	if (by_id)
		dm_note(dm, at, "dhcp-host=%s: the client identifier is not matched, the MAC is", dm->raw);

	char genname[32], *dot;
	if (!name) {
		snprintf(genname, sizeof(genname), "mac-%02x%02x%02x%02x%02x%02x", macs[0][0], macs[0][1], macs[0][2],
			 macs[0][3], macs[0][4], macs[0][5]);
		name = genname;
		dm_note(dm, at, "dhcp-host=%s has no name: labboot's [host] is named %s (sent as option 12, in DNS)",
			dm->raw, name);
	}
	dot = strchr(name, '.');
	if (dot) /* the domain part is checked once domain= is known */
		*dot = '\0';
	if (!valid_label(name)) {
		dm_untranslated(dm, at, "dhcp-host=%s (host name \"%s\": labboot's are letters, digits and '-')", dm->raw, name);
		return;
	}
	if (has_ip && dm_host_with_ip(dm, ip) && strcasecmp(dm_host_with_ip(dm, ip)->name, name) != 0) {
		dm_untranslated(dm, at, "dhcp-host=%s (the address is host %s's too)", dm->raw, dm_host_with_ip(dm, ip)->name);
		return;
	}
	struct dm_host *h = dm_host_by_name(dm, name);
	if (!h && !(h = host_add(dm, name, at))) {
		dm_untranslated(dm, at, "dhcp-host=%s (more than %d hosts)", dm->raw, CONFIG_MAX_HOSTS);
		return;
	}
	for (size_t i = 0; i < n_macs; i++) {
		const struct dm_host *o = host_with_mac(dm, macs[i]);
		char m[18];
		if (o) {
			dm_untranslated(dm, at, "MAC %s in dhcp-host=%s (already host %s's; dnsmasq picks by subnet)",
					format_mac(m, macs[i]), dm->raw, o->name);
			continue;
		}
		if (h->n_nics == CONFIG_MAX_HOST_NICS) {
			dm_untranslated(dm, at, "MAC %s (host %s has %d already)", format_mac(m, macs[i]), name, CONFIG_MAX_HOST_NICS);
			continue;
		}
		memcpy(h->nics[h->n_nics].mac, macs[i], 6);
		h->nics[h->n_nics++].ip = ip;
	}
	h->ip_from_hosts = h->ip_from_hosts || !has_ip;
	if (dot && dot[1] && !h->fqdn_domain)
		h->fqdn_domain = xstrdup(dot + 1);
	if (lease) {
		char *l = dm_lease_text(lease);
		if (!l)
			dm_untranslated(dm, at, "lease time %s (out of range)", lease);
		else if (h->lease && strcmp(h->lease, l) != 0)
			dm_untranslated(dm, at, "lease time %s (host %s has %s: one per host in labboot)", lease, name, h->lease);
		else if (!h->lease)
			h->lease = TAKE_PTR(l);
		free(l);
	}
	for (size_t i = 0; i < n_tags; i++) {
		tag_set_kind(dm, tags[i], TAG_HOST, -1, -1);
		if (h->n_tags < DM_MAX_HOST_TAGS)
			h->tags[h->n_tags++] = xstrdup(tags[i]);
	}
}

/* /etc/ethers: "MAC NAME|IP", as dhcp-host=MAC,NAME|IP. */
void dm_ethers_line(struct dm *dm, const struct dm_where *at, char *line)
{
	char buf[IMPORT_MAX_LINE + 2], *w[3];
	int n;

	*(line + strcspn(line, "#")) = '\0';
	if ((n = split_words_copy(line, buf, sizeof(buf), w, 3)) == 0)
		return;
	if (n != 2) {
		dm_untranslated(dm, at, "%s (want: MAC NAME|IP)", line);
		return;
	}
	snprintf(line, strlen(line) + 1, "%s,%s", w[0], w[1]);
	char *as_written = xstrdup(line);
	dm->raw = as_written;
	h_dhcp_host(dm, at, line);
	free(as_written);
}

/* ---- ranges ----------------------------------------------------------- */

static bool same_subnet(struct in_addr a, struct in_addr b, struct in_addr mask)
{
	return ((a.s_addr ^ b.s_addr) & mask.s_addr) == 0;
}

void h_dhcp_range(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *tag = NULL, *lease = NULL;
	bool quoted[DM_MAX_FIELDS], proxy = false, is_static = false;
	struct in_addr ips[4];
	size_t n_ips = 0;
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	for (int i = 0; i < n; i++) {
		struct in_addr a;
		if (strncmp(f[i], "set:", 4) == 0 || strncmp(f[i], "net:", 4) == 0) {
			tag = f[i] + 4;
		} else if (strncmp(f[i], "tag:", 4) == 0) {
			dm_untranslated(dm, at, "dhcp-range=%s (a range only for clients with tag %s: labboot has no tags)", dm->raw, f[i] + 4);
			return;
		} else if (strchr(f[i], ':') && strncmp(f[i], "interface:", 10) != 0) {
			dm_untranslated(dm, at, "dhcp-range=%s (IPv6: labboot serves DHCPv4 only)", dm->raw);
			return;
		} else if (strncmp(f[i], "interface:", 10) == 0) {
			dm_note(dm, at, "dhcp-range=%s: %s is not kept (labboot serves [server] interface)", dm->raw, f[i]);
		} else if (parse_ipv4(f[i], &a) == 0 && n_ips < 4) {
			ips[n_ips++] = a;
		} else if (strcmp(f[i], "proxy") == 0) {
			proxy = true;
		} else if (strcmp(f[i], "static") == 0) {
			is_static = true;
		} else if (dm_is_lease_time(f[i])) {
			lease = f[i];
		} else {
			dm_untranslated(dm, at, "dhcp-range=%s (\"%s\" is no address, mode or lease time)", dm->raw, f[i]);
			return;
		}
	}
	if (n_ips == 0) {
		dm_untranslated(dm, at, "dhcp-range=%s (no start address)", dm->raw);
		return;
	}
	if (proxy) {
		if (dm->mode == DM_DHCP_RANGES)
			dm_untranslated(dm, at, "dhcp-range=%s (proxy beside address ranges: labboot is one or the other)", dm->raw);
		else
			dm->mode = DM_DHCP_PROXY;
		return;
	}
	if (dm->mode == DM_DHCP_PROXY) {
		dm_untranslated(dm, at, "dhcp-range=%s (an address range beside proxy: labboot is one or the other)", dm->raw);
		return;
	}
	dm->mode = DM_DHCP_RANGES;
	/* start [, end] [, netmask [, broadcast]]: with "static" no end */
	struct in_addr end = is_static ? ips[0] : (n_ips >= 2 ? ips[1] : ips[0]);
	struct in_addr mask = { 0 };
	size_t mi = is_static ? 1 : 2;
	if (n_ips > mi)
		mask = ips[mi];
	if (!is_static && n_ips < 2) {
		dm_untranslated(dm, at, "dhcp-range=%s (no end address)", dm->raw);
		return;
	}
	if (ntohl(end.s_addr) < ntohl(ips[0].s_addr)) {
		dm_untranslated(dm, at, "dhcp-range=%s (ends before it starts)", dm->raw);
		return;
	}
	if (mask.s_addr && !dm_netmask_valid(mask)) {
		dm_untranslated(dm, at, "dhcp-range=%s (not a netmask)", dm->raw);
		return;
	}
	for (size_t i = 0; i < dm->n_ranges && !is_static; i++) {
		const struct dm_range *o = &dm->ranges[i];
		if (o->start.s_addr && ntohl(ips[0].s_addr) <= ntohl(o->end.s_addr) && ntohl(o->start.s_addr) <= ntohl(end.s_addr)) {
			dm_untranslated(dm, at, "dhcp-range=%s (overlaps %s:%d: labboot's ranges must not)", dm->raw, o->at.file, o->at.line);
			return;
		}
	}
	if (dm->n_ranges == CONFIG_MAX_POOLS) {
		dm_untranslated(dm, at, "dhcp-range=%s (more than %d ranges)", dm->raw, CONFIG_MAX_POOLS);
		return;
	}
	struct dm_range *r = &dm->ranges[dm->n_ranges];
	*r = (struct dm_range){ .start = ips[0], .end = end, .netmask = mask, .at = *at };
	if (dm->n_ranges > 0) {
		const struct dm_range *first = &dm->ranges[0];
		struct in_addr m = first->netmask.s_addr ? first->netmask : (struct in_addr){ htonl(0xffffff00) };
		r->pool = !same_subnet(first->start, r->start, m);
		if (!r->pool && mask.s_addr && mask.s_addr != first->netmask.s_addr)
			dm_untranslated(dm, at, "netmask of dhcp-range=%s (the first range's is kept)", dm->raw);
	}
	if (is_static) {
		r->start.s_addr = r->end.s_addr = 0;   /* a subnet without a pool */
		dm->static_seen = true;
	}
	if (lease && !(r->lease = dm_lease_text(lease)))
		dm_untranslated(dm, at, "lease time %s (out of range)", lease);
	if (tag) {
		r->tag = xstrdup(tag);
		tag_set_kind(dm, tag, TAG_RANGE, -1, (int)dm->n_ranges);
	}
	dm->n_ranges++;
}

/* ---- tags from client facts ------------------------------------------- */

/* dhcp-match=set:TAG,OPTION[,VALUE] */
void h_dhcp_match(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS), code;
	uint64_t arch;

	if (n < 2 || (strncmp(f[0], "set:", 4) != 0 && strncmp(f[0], "net:", 4) != 0) || !f[0][4]) {
		dm_untranslated(dm, at, "dhcp-match=%s (want set:TAG,OPTION[,VALUE])", dm->raw);
		return;
	}
	const char *tag = f[0] + 4;
	if (dm_option_code(f[1], &code) < 0) {
		tag_set_kind(dm, tag, TAG_OTHER, -1, -1);
		return; /* reported where the tag is used */
	}
	if (code == 175 || (code == 77 && n == 3 && strcmp(f[2], "iPXE") == 0)) {
		tag_set_kind(dm, tag, TAG_IPXE, -1, -1);
	} else if (code == 60 && n == 3 && arch_of_vendor_class(f[2]) >= 0 &&
		   dm_slots_of_arch((unsigned long)arch_of_vendor_class(f[2]))) {
		tag_set_kind(dm, tag, TAG_ARCH, arch_of_vendor_class(f[2]), -1);
	} else if (code == 60 && n == 3 && strcmp(f[2], "PXEClient") == 0) {
		tag_set_kind(dm, tag, TAG_PXE, -1, -1);
	} else if (code == 93 && n == 3 && parse_u64(f[2], 0, 65535, &arch) == 0 && dm_slots_of_arch(arch)) {
		tag_set_kind(dm, tag, TAG_ARCH, (long)arch, -1);
	} else {
		tag_set_kind(dm, tag, TAG_OTHER, -1, -1);
	}
}

/* dhcp-vendorclass=set:TAG,[enterprise:N,]CLASS and dhcp-userclass=set:TAG,CLASS */
static void h_class(struct dm *dm, const struct dm_where *at, char *value, bool user)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);
	long arch;

	if (n != 2 || (strncmp(f[0], "set:", 4) != 0 && strncmp(f[0], "net:", 4) != 0) || !f[0][4]) {
		dm_untranslated(dm, at, "%s=%s (want set:TAG,CLASS)", user ? "dhcp-userclass" : "dhcp-vendorclass", dm->raw);
		return;
	}
	const char *tag = f[0] + 4;
	if (user && strcmp(f[1], "iPXE") == 0)
		tag_set_kind(dm, tag, TAG_IPXE, -1, -1);
	else if (!user && (arch = arch_of_vendor_class(f[1])) >= 0 && dm_slots_of_arch((unsigned long)arch))
		tag_set_kind(dm, tag, TAG_ARCH, arch, -1);
	else if (!user && strcmp(f[1], "PXEClient") == 0)
		tag_set_kind(dm, tag, TAG_PXE, -1, -1);
	else
		tag_set_kind(dm, tag, TAG_OTHER, -1, -1);
}
void h_vendorclass(struct dm *dm, const struct dm_where *at, char *value) { h_class(dm, at, value, false); }
void h_userclass(struct dm *dm, const struct dm_where *at, char *value) { h_class(dm, at, value, true); }
