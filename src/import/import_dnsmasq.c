/* The dnsmasq reader: lines into directives (following conf-file, conf-dir
 * and the host files through the caller's callback), then the directives
 * into the model, definitions (hosts, ranges, tags) before the options and
 * boot files that refer to them, as dnsmasq itself resolves tags after
 * reading everything. Semantics from dnsmasq(8). */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DM_MAX_FIELDS 64

struct directive {
	struct dm_where at;
	char *name;
	char *value;                  /* NULL: a flag without '=' */
};

struct reader {
	struct dm *dm;
	struct directive *d;
	size_t n, cap;
	char **files;                 /* owned names the directives point to */
	size_t n_files;
	const char *stack[IMPORT_MAX_DEPTH];
	size_t depth;
	bool full;                    /* IMPORT_MAX_DIRECTIVES reached */
};

/* ---- notes ------------------------------------------------------------ */

static void add_note(struct dm *dm, enum import_note_kind kind, const struct dm_where *at, const char *fmt,
		     va_list ap)
{
	struct import_result *res = dm->res;
	char msg[512], text[1024];
	struct import_note *grown;

	if (kind == IMPORT_NOT_TRANSLATED)
		res->n_untranslated++;
	if (res->n_notes > IMPORT_MAX_NOTES)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (res->n_notes == IMPORT_MAX_NOTES)
		snprintf(text, sizeof(text), "%s:%d: note: more notes left out", at->file, at->line);
	else
		snprintf(text, sizeof(text), "%s:%d: %s: %s", at->file, at->line,
			 kind == IMPORT_NOT_TRANSLATED ? "not translated" : "note", msg);
	grown = realloc(res->notes, (res->n_notes + 1) * sizeof(*grown));
	if (!grown)
		abort();
	res->notes = grown;
	res->notes[res->n_notes++] = (struct import_note){ kind, xstrdup(text) };
}

void dm_untranslated(struct dm *dm, const struct dm_where *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(dm, IMPORT_NOT_TRANSLATED, at, fmt, ap);
	va_end(ap);
}

void dm_note(struct dm *dm, const struct dm_where *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(dm, IMPORT_NOTE, at, fmt, ap);
	va_end(ap);
}

/* ---- lexing ----------------------------------------------------------- */

/* dnsmasq's config syntax: "name=value" or "name"; '#' at the start or after
 * a blank starts a comment (not inside quotes). In place; 1 for nothing. */
static int lex_line(char *s, char **ret_name, char **ret_value)
{
	bool quoted = false, blank = true;
	char *eq, *end;

	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '#' && blank) {
			*p = '\0';
			break;
		}
		blank = isspace((unsigned char)*p);
		if (blank)
			*p = ' ';
	}
	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		*--end = '\0';
	if (!*s)
		return 1;
	eq = strchr(s, '=');
	if (eq) {
		char *n = eq;
		*eq = '\0';
		while (n > s && n[-1] == ' ')
			*--n = '\0';
		eq++;
		while (*eq == ' ')
			eq++;
	}
	*ret_name = s;
	*ret_value = eq;
	return 0;
}

/* Splits on commas outside quotes; blanks trimmed; quotes removed and
 * remembered (a quoted value is text). Returns the count or -E2BIG. */
static int split_fields(char *s, char **f, bool *quoted, size_t max)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (;;) {
		char *start = s, *w = s, *end;
		bool q = false, inq = false;
		while (*s == ' ')
			s++;
		start = w = s;
		for (; *s && (inq || *s != ','); s++) {
			if (*s == '"') {
				inq = !inq;
				q = true;
				continue;
			}
			*w++ = *s;
		}
		bool more = *s == ',';
		end = w;
		while (end > start && end[-1] == ' ' && !q)
			end--;
		*end = '\0';
		if (n == max)
			return -E2BIG;
		quoted[n] = q;
		f[n++] = start;
		if (!more)
			return (int)n;
		s++;
	}
}

static bool is_lease_time(const char *s)
{
	size_t len = strlen(s);

	if (strcmp(s, "infinite") == 0)
		return true;
	if (len == 0 || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return isdigit((unsigned char)s[len - 1]) || strchr("smhdw", s[len - 1]);
}

/* dnsmasq lease time as labboot's duration; at least two minutes as dnsmasq. */
static char *lease_text(const char *s)
{
	char buf[32];
	uint64_t v, mult = 1;
	size_t len = strlen(s);

	if (strcmp(s, "infinite") == 0)
		return xstrdup("4294967295");
	switch (s[len - 1]) {
	case 'w': mult = 604800; break;
	case 'd': mult = 86400; break;
	case 'h': mult = 3600; break;
	case 'm': mult = 60; break;
	case 's': mult = 1; break;
	default: len++;
	}
	if (len - 1 >= sizeof(buf))
		return NULL;
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	if (parse_u64(buf, 0, UINT32_MAX, &v) < 0 || __builtin_mul_overflow(v, mult, &v) || v > UINT32_MAX)
		return NULL;
	if (v < 120)
		v = 120;
	if (v % 86400 == 0)
		snprintf(buf, sizeof(buf), "%llud", (unsigned long long)(v / 86400));
	else if (v % 3600 == 0)
		snprintf(buf, sizeof(buf), "%lluh", (unsigned long long)(v / 3600));
	else if (v % 60 == 0)
		snprintf(buf, sizeof(buf), "%llum", (unsigned long long)(v / 60));
	else
		snprintf(buf, sizeof(buf), "%llus", (unsigned long long)v);
	return xstrdup(buf);
}

/* ---- tags ------------------------------------------------------------- */

static struct dm_tag *tag_get(struct dm *dm, const char *name, bool create)
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
static void tag_set_kind(struct dm *dm, const char *name, enum dm_tag_kind kind, unsigned slots, int range)
{
	struct dm_tag *t = tag_get(dm, name, true);

	if (!t)
		return;
	if (t->kind == TAG_UNKNOWN || (t->kind == kind && kind != TAG_RANGE)) {
		t->kind = kind;
		t->slots |= slots;
		t->range = range;
	} else {
		t->kind = TAG_OTHER;
	}
}

static unsigned slots_of_arch(unsigned long arch)
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

static struct dm_host *host_by_name(struct dm *dm, const char *name)
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

static const struct dm_host *host_with_ip(const struct dm *dm, struct in_addr ip)
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
static void h_dhcp_host(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *name = NULL, *lease = NULL, *tags[DM_MAX_HOST_TAGS];
	bool quoted[DM_MAX_FIELDS], has_ip = false, by_id = false;
	uint8_t macs[CONFIG_MAX_HOST_NICS][6];
	size_t n_macs = 0, n_tags = 0;
	struct in_addr ip = { 0 };
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n <= 0) {
		dm_untranslated(dm, at, "dhcp-host=%s (%s)", value ? value : "", n < 0 ? "too many fields" : "empty");
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
					value, f[i] + 4);
			return;
		}
		if (strcmp(f[i], "ignore") == 0) {
			dm_untranslated(dm, at, "dhcp-host=%s (ignore: labboot cannot leave a machine unanswered)", value);
			return;
		}
		if (f[i][0] == '[') {
			dm_untranslated(dm, at, "%s in dhcp-host (IPv6: labboot serves DHCPv4 only)", f[i]);
			continue;
		}
		if ((r = parse_hwaddr(f[i], mac)) >= 0) {
			if (r > 0) {
				dm_untranslated(dm, at, "dhcp-host=%s (MAC %s: labboot matches whole Ethernet addresses)", value, f[i]);
				return;
			}
			if (n_macs == CONFIG_MAX_HOST_NICS) {
				dm_untranslated(dm, at, "MAC %s (more than %d in one host)", f[i], CONFIG_MAX_HOST_NICS);
				continue;
			}
			memcpy(macs[n_macs++], mac, 6);
			continue;
		}
		if (!quoted[i] && strchr(f[i], '.') && parse_ipv4(f[i], &ip) == 0 && isdigit((unsigned char)f[i][0])) {
			has_ip = true;
			continue;
		}
		if (!quoted[i] && is_lease_time(f[i])) {
			lease = f[i];
			continue;
		}
		if (name) {
			dm_untranslated(dm, at, "dhcp-host=%s (\"%s\" is no MAC, address, name or lease time)", value, f[i]);
			return;
		}
		name = f[i];
	}
	if (n_macs == 0) {
		dm_untranslated(dm, at, "dhcp-host=%s (no MAC: labboot matches hosts by MAC, not by %s)", value,
				by_id ? "client identifier" : "name");
		return;
	}
	if (by_id)
		dm_note(dm, at, "dhcp-host=%s: the client identifier is not matched, the MAC is", value);

	char genname[32], *dot;
	if (!name) {
		snprintf(genname, sizeof(genname), "mac-%02x%02x%02x%02x%02x%02x", macs[0][0], macs[0][1], macs[0][2],
			 macs[0][3], macs[0][4], macs[0][5]);
		name = genname;
		dm_note(dm, at, "dhcp-host=%s has no name: labboot's [host] is named %s (sent as option 12, in DNS)",
			value, name);
	}
	dot = strchr(name, '.');
	if (dot) /* the domain part is checked once domain= is known */
		*dot = '\0';
	if (!valid_label(name)) {
		dm_untranslated(dm, at, "dhcp-host=%s (host name \"%s\": labboot's are letters, digits and '-')", value, name);
		return;
	}
	if (dot && dot[1])
		dm_note(dm, at, "dhcp-host=%s: named %s in the labboot domain, not %s.%s", value, name, name, dot + 1);
	if (has_ip && host_with_ip(dm, ip) && strcasecmp(host_with_ip(dm, ip)->name, name) != 0) {
		dm_untranslated(dm, at, "dhcp-host=%s (the address is host %s's too)", value, host_with_ip(dm, ip)->name);
		return;
	}
	struct dm_host *h = host_by_name(dm, name);
	if (!h && !(h = host_add(dm, name, at))) {
		dm_untranslated(dm, at, "dhcp-host=%s (more than %d hosts)", value, CONFIG_MAX_HOSTS);
		return;
	}
	for (size_t i = 0; i < n_macs; i++) {
		const struct dm_host *o = host_with_mac(dm, macs[i]);
		char m[18];
		if (o) {
			dm_untranslated(dm, at, "MAC %s in dhcp-host=%s (already host %s's; dnsmasq picks by subnet)",
					format_mac(m, macs[i]), value, o->name);
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
	if (lease) {
		char *l = lease_text(lease);
		if (!l)
			dm_untranslated(dm, at, "lease time %s (out of range)", lease);
		else if (h->lease && strcmp(h->lease, l) != 0)
			dm_untranslated(dm, at, "lease time %s (host %s has %s: one per host in labboot)", lease, name, h->lease);
		else if (!h->lease)
			h->lease = TAKE_PTR(l);
		free(l);
	}
	for (size_t i = 0; i < n_tags; i++) {
		tag_set_kind(dm, tags[i], TAG_HOST, 0, -1);
		if (h->n_tags < DM_MAX_HOST_TAGS)
			h->tags[h->n_tags++] = xstrdup(tags[i]);
	}
}

/* /etc/ethers: "MAC NAME|IP", as dhcp-host=MAC,NAME|IP. */
static void ethers_line(struct dm *dm, const struct dm_where *at, char *line)
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
	h_dhcp_host(dm, at, line);
}

/* ---- ranges ----------------------------------------------------------- */

static bool same_subnet(struct in_addr a, struct in_addr b, struct in_addr mask)
{
	return ((a.s_addr ^ b.s_addr) & mask.s_addr) == 0;
}

static void h_dhcp_range(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *tag = NULL, *lease = NULL;
	bool quoted[DM_MAX_FIELDS], proxy = false, is_static = false;
	struct in_addr ips[4];
	size_t n_ips = 0;
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	for (int i = 0; i < n; i++) {
		struct in_addr a;
		if (strncmp(f[i], "set:", 4) == 0 || strncmp(f[i], "net:", 4) == 0) {
			tag = f[i] + 4;
		} else if (strncmp(f[i], "tag:", 4) == 0) {
			dm_untranslated(dm, at, "dhcp-range=%s (a range only for clients with tag %s: labboot has no tags)", value, f[i] + 4);
			return;
		} else if (strchr(f[i], ':') && strncmp(f[i], "interface:", 10) != 0) {
			dm_untranslated(dm, at, "dhcp-range=%s (IPv6: labboot serves DHCPv4 only)", value);
			return;
		} else if (strncmp(f[i], "interface:", 10) == 0) {
			dm_note(dm, at, "dhcp-range=%s: %s is not kept (labboot serves [server] interface)", value, f[i]);
		} else if (parse_ipv4(f[i], &a) == 0 && n_ips < 4) {
			ips[n_ips++] = a;
		} else if (strcmp(f[i], "proxy") == 0) {
			proxy = true;
		} else if (strcmp(f[i], "static") == 0) {
			is_static = true;
		} else if (is_lease_time(f[i])) {
			lease = f[i];
		} else {
			dm_untranslated(dm, at, "dhcp-range=%s (\"%s\" is no address, mode or lease time)", value, f[i]);
			return;
		}
	}
	if (n_ips == 0) {
		dm_untranslated(dm, at, "dhcp-range=%s (no start address)", value ? value : "");
		return;
	}
	if (proxy) {
		if (dm->mode == DM_DHCP_RANGES)
			dm_untranslated(dm, at, "dhcp-range=%s (proxy beside address ranges: labboot is one or the other)", value);
		else
			dm->mode = DM_DHCP_PROXY;
		return;
	}
	if (dm->mode == DM_DHCP_PROXY) {
		dm_untranslated(dm, at, "dhcp-range=%s (an address range beside proxy: labboot is one or the other)", value);
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
		dm_untranslated(dm, at, "dhcp-range=%s (no end address)", value);
		return;
	}
	if (ntohl(end.s_addr) < ntohl(ips[0].s_addr)) {
		dm_untranslated(dm, at, "dhcp-range=%s (ends before it starts)", value);
		return;
	}
	if (dm->n_ranges == CONFIG_MAX_POOLS) {
		dm_untranslated(dm, at, "dhcp-range=%s (more than %d ranges)", value, CONFIG_MAX_POOLS);
		return;
	}
	struct dm_range *r = &dm->ranges[dm->n_ranges];
	*r = (struct dm_range){ .start = ips[0], .end = end, .netmask = mask, .at = *at };
	if (dm->n_ranges > 0) {
		const struct dm_range *first = &dm->ranges[0];
		struct in_addr m = first->netmask.s_addr ? first->netmask : (struct in_addr){ htonl(0xffffff00) };
		r->pool = !same_subnet(first->start, r->start, m);
		if (!r->pool && mask.s_addr && mask.s_addr != first->netmask.s_addr)
			dm_untranslated(dm, at, "netmask of dhcp-range=%s (the first range's is kept)", value);
	}
	if (is_static) {
		r->start.s_addr = r->end.s_addr = 0;   /* a subnet without a pool */
		dm->static_seen = true;
	}
	if (lease && !(r->lease = lease_text(lease)))
		dm_untranslated(dm, at, "lease time %s (out of range)", lease);
	if (tag) {
		r->tag = xstrdup(tag);
		tag_set_kind(dm, tag, TAG_RANGE, 0, (int)dm->n_ranges);
	}
	dm->n_ranges++;
}

/* ---- tags from client facts ------------------------------------------- */

/* dhcp-match=set:TAG,OPTION[,VALUE] */
static void h_dhcp_match(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS), code;
	uint64_t arch;

	if (n < 2 || (strncmp(f[0], "set:", 4) != 0 && strncmp(f[0], "net:", 4) != 0) || !f[0][4]) {
		dm_untranslated(dm, at, "dhcp-match=%s (want set:TAG,OPTION[,VALUE])", value ? value : "");
		return;
	}
	const char *tag = f[0] + 4;
	if (dm_option_code(f[1], &code) < 0) {
		tag_set_kind(dm, tag, TAG_OTHER, 0, -1);
		return; /* reported where the tag is used */
	}
	if (code == 175 || (code == 77 && n == 3 && strcmp(f[2], "iPXE") == 0)) {
		tag_set_kind(dm, tag, TAG_IPXE, 0, -1);
	} else if (code == 60 && n == 3 && arch_of_vendor_class(f[2]) >= 0 &&
		   slots_of_arch((unsigned long)arch_of_vendor_class(f[2]))) {
		tag_set_kind(dm, tag, TAG_ARCH, slots_of_arch((unsigned long)arch_of_vendor_class(f[2])), -1);
	} else if (code == 60 && n == 3 && strcmp(f[2], "PXEClient") == 0) {
		tag_set_kind(dm, tag, TAG_PXE, 0, -1);
	} else if (code == 93 && n == 3 && parse_u64(f[2], 0, 65535, &arch) == 0 && slots_of_arch(arch)) {
		tag_set_kind(dm, tag, TAG_ARCH, slots_of_arch(arch), -1);
	} else {
		tag_set_kind(dm, tag, TAG_OTHER, 0, -1);
	}
}

/* dhcp-vendorclass=set:TAG,[enterprise:N,]CLASS and dhcp-userclass=set:TAG,CLASS */
static void h_class(struct dm *dm, const struct dm_where *at, char *value, bool user)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);
	long arch;

	if (n != 2 || (strncmp(f[0], "set:", 4) != 0 && strncmp(f[0], "net:", 4) != 0) || !f[0][4]) {
		dm_untranslated(dm, at, "%s=%s (want set:TAG,CLASS)", user ? "dhcp-userclass" : "dhcp-vendorclass",
				value ? value : "");
		return;
	}
	const char *tag = f[0] + 4;
	if (user && strcmp(f[1], "iPXE") == 0)
		tag_set_kind(dm, tag, TAG_IPXE, 0, -1);
	else if (!user && (arch = arch_of_vendor_class(f[1])) >= 0 && slots_of_arch((unsigned long)arch))
		tag_set_kind(dm, tag, TAG_ARCH, slots_of_arch((unsigned long)arch), -1);
	else if (!user && strcmp(f[1], "PXEClient") == 0)
		tag_set_kind(dm, tag, TAG_PXE, 0, -1);
	else
		tag_set_kind(dm, tag, TAG_OTHER, 0, -1);
}
static void h_vendorclass(struct dm *dm, const struct dm_where *at, char *value) { h_class(dm, at, value, false); }
static void h_userclass(struct dm *dm, const struct dm_where *at, char *value) { h_class(dm, at, value, true); }

/* ---- what a list of tag:NAME fields selects ---------------------------- */

enum target_kind { TGT_ALL, TGT_SLOTS, TGT_IPXE, TGT_HOSTS, TGT_POOL, TGT_BAD };

struct target {
	enum target_kind kind;
	unsigned slots;
	const char *tag;              /* TGT_HOSTS */
	int range;                    /* TGT_POOL */
	const char *why;              /* TGT_BAD */
};

/* Leading "tag:X" / "tag:!X" / "net:X" fields; *i moves past them. `boot`:
 * a negated iPXE tag is what labboot does anyway (iPXE gets its script). */
static struct target select_tags(struct dm *dm, char **f, int n, int *i, bool boot)
{
	struct target t = { .kind = TGT_ALL, .range = -1 };
	int positive = 0;

	for (; *i < n && (strncmp(f[*i], "tag:", 4) == 0 || strncmp(f[*i], "net:", 4) == 0); (*i)++) {
		const char *name = f[*i] + 4;
		bool neg = name[0] == '!';
		const struct dm_tag *tag = tag_get(dm, neg ? name + 1 : name, false);
		if (neg) {
			if (!(boot && tag && tag->kind == TAG_IPXE))
				t = (struct target){ .kind = TGT_BAD, .why = "labboot has no tags to exclude clients by" };
			continue;
		}
		if (t.kind == TGT_BAD)
			continue;
		if (++positive > 1) {
			t = (struct target){ .kind = TGT_BAD, .why = "labboot cannot combine tags" };
			continue;
		}
		switch (tag ? tag->kind : TAG_UNKNOWN) {
		case TAG_ARCH: t.kind = TGT_SLOTS; t.slots = tag->slots; break;
		case TAG_IPXE: t.kind = TGT_IPXE; break;
		case TAG_PXE: t.kind = TGT_ALL; break;
		case TAG_HOST: t.kind = TGT_HOSTS; t.tag = tag->name; break;
		case TAG_RANGE:
			if (dm->ranges[tag->range].pool) {
				t.kind = TGT_POOL;
				t.range = tag->range;
			}
			break; /* a tag of the main subnet: every client of [dhcp] */
		case TAG_UNKNOWN:
			t = (struct target){ .kind = TGT_BAD, .why = "a tag nothing sets, or one labboot cannot follow" };
			break;
		default:
			t = (struct target){ .kind = TGT_BAD, .why = "a tag labboot cannot follow" };
		}
	}
	return t;
}

static bool host_has_tag(const struct dm_host *h, const char *tag)
{
	for (size_t i = 0; i < h->n_tags; i++)
		if (strcmp(h->tags[i], tag) == 0)
			return true;
	return false;
}

/* ---- dhcp-option ------------------------------------------------------ */

static void add_opt(struct dm *dm, const struct dm_where *at, struct dm_opt *opts, size_t *n, const char *v)
{
	if (*n == CONFIG_MAX_EXTRA_OPTS) {
		dm_untranslated(dm, at, "option %s (more than %d options in one place)", v, CONFIG_MAX_EXTRA_OPTS);
		return;
	}
	opts[(*n)++] = (struct dm_opt){ xstrdup(v), *at };
}

/* Router, DNS, NTP as labboot's address lists; "" for "send none". */
static int addr_list(struct dm *dm, char **f, int n, char **ret, const char **why)
{
	char out[CONFIG_MAX_ADDRS * 16 + 1] = "";

	if (n > CONFIG_MAX_ADDRS) {
		*why = "labboot sends at most 4 addresses here";
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		struct in_addr a;
		char ip[16];
		if (parse_ipv4(f[i], &a) < 0) {
			*why = "not an IPv4 address";
			return -EINVAL;
		}
		if (!a.s_addr && !dm->address.s_addr) {
			*why = "0.0.0.0 is dnsmasq's own address: give --address";
			return -EINVAL;
		}
		if (!a.s_addr)
			a = dm->address;
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", format_ipv4(ip, a));
	}
	*ret = xstrdup(out);
	return 0;
}

/* netmask, router, dns, ntp, domain of [dhcp] or a pool: keys of their own. */
static bool set_param(struct dm *dm, const struct dm_where *at, int code, char **f, int n, int range)
{
	struct dm_range *r = range >= 0 ? &dm->ranges[range] : NULL;
	char **slot = NULL, *v = NULL;
	const char *why = NULL;

	switch (code) {
	case 3: slot = r ? &r->router : &dm->router; break;
	case 6: slot = r ? &r->dns : &dm->dns; break;
	case 42: slot = r ? &r->ntp : &dm->ntp; break;
	case 15:
		if (n != 1 || !f[0][0])
			return false;
		slot = r ? &r->domain : &dm->domain;
		v = xstrdup(f[0]);
		break;
	case 1:
		if (r || n != 1 || parse_ipv4(f[0], &dm->netmask) < 0)
			return false;
		return true;
	default:
		return false;
	}
	if (!v && addr_list(dm, f, n, &v, &why) < 0) {
		dm_untranslated(dm, at, "option %d (%s)", code, why);
		return true;
	}
	if (*slot && strcmp(*slot, v) != 0)
		dm_untranslated(dm, at, "option %d = %s (given before as %s; the first is kept)", code, v, *slot);
	if (!*slot)
		*slot = TAKE_PTR(v);
	free(v);
	return true;
}

/* dhcp-option[-force]=[tag:T,...][encap:|vi-encap:|vendor:...,]OPT[,VALUE...] */
static void dhcp_option(struct dm *dm, const struct dm_where *at, char *value, bool force)
{
	char *f[DM_MAX_FIELDS], *raw = xstrdup(value ? value : ""), *v = NULL;
	bool quoted[DM_MAX_FIELDS];
	const char *why = NULL;
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS), i = 0, code;
	struct target t;

	if (n <= 0) {
		dm_untranslated(dm, at, "dhcp-option=%s (%s)", raw, n < 0 ? "too many fields" : "empty");
		goto out;
	}
	t = select_tags(dm, f, n, &i, false);
	if (i < n && (!strncmp(f[i], "encap:", 6) || !strncmp(f[i], "vi-encap:", 9) || !strncmp(f[i], "vendor:", 7))) {
		dm_untranslated(dm, at, "dhcp-option=%s (encapsulated options: labboot sends plain ones)", raw);
		goto out;
	}
	if (i < n && !strncmp(f[i], "option6:", 8)) {
		dm_untranslated(dm, at, "dhcp-option=%s (DHCPv6: labboot serves DHCPv4 only)", raw);
		goto out;
	}
	if (i == n || dm_option_code(f[i], &code) < 0) {
		dm_untranslated(dm, at, "dhcp-option=%s (no option, or a name dnsmasq does not know)", raw);
		goto out;
	}
	i++;
	if (t.kind == TGT_BAD || t.kind == TGT_SLOTS || t.kind == TGT_IPXE) {
		dm_untranslated(dm, at, "dhcp-option=%s (%s)", raw,
				t.kind == TGT_BAD ? t.why : "options per firmware: labboot's options go to a pool or a host");
		goto out;
	}
	if (force)
		dm_untranslated(dm, at, "dhcp-option-force=%s (labboot sends it only to clients that ask, option 55)", raw);
	if (t.kind == TGT_ALL || t.kind == TGT_POOL) {
		if (set_param(dm, at, code, f + i, n - i, t.kind == TGT_POOL ? t.range : -1))
			goto out;
	}
	if (code == 3 || code == 6 || code == 42 || code == 1) {
		if (n - i == 0)
			goto out; /* send none: what labboot does for a host without them */
	}
	if (dm_option_value(dm, code, f + i, quoted + i, (size_t)(n - i), &v, &why) < 0) {
		dm_untranslated(dm, at, "dhcp-option=%s (%s)", raw, why);
		goto out;
	}
	if (t.kind == TGT_ALL) {
		add_opt(dm, at, dm->opts, &dm->n_opts, v);
	} else if (t.kind == TGT_POOL) {
		add_opt(dm, at, dm->ranges[t.range].opts, &dm->ranges[t.range].n_opts, v);
	} else {
		for (size_t k = 0; k < dm->n_hosts; k++)
			if (host_has_tag(&dm->hosts[k], t.tag))
				add_opt(dm, at, dm->hosts[k].opts, &dm->hosts[k].n_opts, v);
	}
out:
	free(v);
	free(raw);
}
static void h_dhcp_option(struct dm *dm, const struct dm_where *at, char *value) { dhcp_option(dm, at, value, false); }
static void h_dhcp_option_force(struct dm *dm, const struct dm_where *at, char *value) { dhcp_option(dm, at, value, true); }

/* ---- boot files -------------------------------------------------------- */

static void set_slots(struct dm *dm, const struct dm_where *at, unsigned slots, const char *file, const char *what)
{
	static const char *const names[] = { "bios", "efi64", "arm64" };

	for (int s = 0; s < SLOT_COUNT_; s++) {
		if (!(slots & (1u << s)))
			continue;
		if (dm->boot[s] && strcmp(dm->boot[s], file) != 0) {
			dm_untranslated(dm, at, "%s %s for %s (%s:%d gave %s: one file per firmware in labboot)", what, file,
					names[s], dm->boot_at[s].file, dm->boot_at[s].line, dm->boot[s]);
			continue;
		}
		if (!dm->boot[s]) {
			dm->boot[s] = xstrdup(file);
			dm->boot_at[s] = *at;
		}
	}
}

static bool own_server(struct dm *dm, const char *s)
{
	struct in_addr a;

	return parse_ipv4(s, &a) == 0 && (a.s_addr == 0 || a.s_addr == dm->address.s_addr);
}

static void boot_to(struct dm *dm, const struct dm_where *at, const struct target *t, const char *file,
		    const char *raw, const char *what)
{
	switch (t->kind) {
	case TGT_ALL:
		if (dm->boot_default && strcmp(dm->boot_default, file) != 0)
			dm_untranslated(dm, at, "%s=%s (%s:%d gave %s for every firmware)", what, raw,
					dm->boot_default_at.file, dm->boot_default_at.line, dm->boot_default);
		else if (!dm->boot_default) {
			dm->boot_default = xstrdup(file);
			dm->boot_default_at = *at;
		}
		break;
	case TGT_SLOTS:
		set_slots(dm, at, t->slots, file, what);
		break;
	case TGT_IPXE:
		if (dm->ipxe_chain && strcmp(dm->ipxe_chain, file) != 0)
			dm_untranslated(dm, at, "%s=%s (iPXE clients were given %s already)", what, raw, dm->ipxe_chain);
		else if (!dm->ipxe_chain)
			dm->ipxe_chain = xstrdup(file);
		break;
	case TGT_HOSTS:
		for (size_t k = 0; k < dm->n_hosts; k++) {
			struct dm_host *h = &dm->hosts[k];
			if (!host_has_tag(h, t->tag))
				continue;
			if (h->boot_file && strcmp(h->boot_file, file) != 0)
				dm_untranslated(dm, at, "%s=%s for host %s (it boots %s already)", what, raw, h->name, h->boot_file);
			else if (!h->boot_file)
				h->boot_file = xstrdup(file);
		}
		break;
	case TGT_POOL:
		dm_untranslated(dm, at, "%s=%s (boot files per pool: labboot's are per firmware or per host)", what, raw);
		break;
	case TGT_BAD:
		dm_untranslated(dm, at, "%s=%s (%s)", what, raw, t->why);
		break;
	}
}

/* dhcp-boot=[tag:T,]FILE[,SERVERNAME[,SERVERADDRESS]] */
static void h_dhcp_boot(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *raw = xstrdup(value ? value : "");
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS), i = 0;
	struct target t;

	t = n > 0 ? select_tags(dm, f, n, &i, true) : (struct target){ .kind = TGT_BAD };
	if (n <= 0 || i >= n || !f[i][0]) {
		dm_untranslated(dm, at, "dhcp-boot=%s (no file)", raw);
	} else if (n - i == 3 && !own_server(dm, f[i + 2])) {
		dm_untranslated(dm, at, "dhcp-boot=%s (a file on another TFTP server: labboot is the boot server)", raw);
	} else {
		if (n - i >= 2 && f[i + 1][0])
			dm_note(dm, at, "dhcp-boot=%s: the server name %s is not sent", raw, f[i + 1]);
		boot_to(dm, at, &t, f[i], raw, "dhcp-boot");
	}
	free(raw);
}

/* pxe-service=[tag:T,]CSA,MENU TEXT[,BASENAME|TYPE][,SERVER] */
static void h_pxe_service(struct dm *dm, const struct dm_where *at, char *value)
{
	static const struct { const char *csa; unsigned slots; } csas[] = {
		{ "x86PC", 1u << SLOT_BIOS }, { "X86-64_EFI", 1u << SLOT_EFI64 }, { "BC_EFI", 1u << SLOT_EFI64 },
		{ "ARM64_EFI", 1u << SLOT_ARM64 },
	};
	char *f[DM_MAX_FIELDS], *raw = xstrdup(value ? value : ""), file[256];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS), i = 0;
	struct target t = { .kind = TGT_BAD, .why = "want CSA,MENU TEXT,BASENAME" };
	uint64_t v;

	if (n > 0)
		t = select_tags(dm, f, n, &i, true);
	if (t.kind != TGT_ALL || n - i < 2) {
		dm_untranslated(dm, at, "pxe-service=%s (%s)", raw, t.kind == TGT_ALL ? "want CSA,MENU TEXT[,BASENAME]" :
				t.kind == TGT_BAD ? t.why : "PXE menus per tag: labboot's menu is in iPXE");
		goto out;
	}
	unsigned slots = 0;
	for (size_t k = 0; k < ARRAY_SIZE(csas); k++)
		if (strcasecmp(csas[k].csa, f[i]) == 0)
			slots = csas[k].slots;
	if (!slots && parse_u64(f[i], 0, 65535, &v) == 0)
		slots = slots_of_arch(v);
	if (!slots) {
		dm_untranslated(dm, at, "pxe-service=%s (client type %s: labboot boots BIOS, x86-64 and ARM64 UEFI)", raw, f[i]);
		goto out;
	}
	if (n - i < 3 || (parse_u64(f[i + 2], 0, 65535, &v) == 0 && v == 0)) {
		dm_note(dm, at, "pxe-service=%s: the local boot entry is labboot's iPXE menu's \"local\"", raw);
		goto out;
	}
	if (parse_u64(f[i + 2], 0, 65535, &v) == 0) {
		dm_untranslated(dm, at, "pxe-service=%s (a boot service type: labboot is the boot server)", raw);
		goto out;
	}
	if (n - i >= 4 && !own_server(dm, f[i + 3])) {
		dm_untranslated(dm, at, "pxe-service=%s (a file on another server: labboot is the boot server)", raw);
		goto out;
	}
	/* dnsmasq(8): the PXE layer suffix ".0" is added to a basename without one */
	snprintf(file, sizeof(file), "%s%s", f[i + 2], strchr(f[i + 2], '.') ? "" : ".0");
	t.kind = TGT_SLOTS;
	t.slots = slots;
	boot_to(dm, at, &t, file, raw, "pxe-service");
out:
	free(raw);
}

static void h_pxe_prompt(struct dm *dm, const struct dm_where *at, char *value)
{
	dm_untranslated(dm, at, "pxe-prompt=%s (the firmware's PXE menu: labboot's menu is in iPXE, [boot] menu-timeout)",
			value ? value : "");
}

/* ---- DNS --------------------------------------------------------------- */

static void add_record(struct dm *dm, const struct dm_where *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_record(struct dm *dm, const struct dm_where *at, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < dm->n_records; i++)
		if (strcasecmp(dm->records[i], buf) == 0)
			return;
	if (dm->n_records == DM_MAX_RECORDS) {
		dm_untranslated(dm, at, "record %s (more than %d records)", buf, DM_MAX_RECORDS);
		return;
	}
	dm->records[dm->n_records++] = xstrdup(buf);
}

static bool valid_dns_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return false;
	return s[0] != '.' && !strstr(s, "..");
}

/* A name as labboot's record says it: dotted names are absolute; a bare one
 * gets a final dot so it stays bare (labboot would put it in its domain). */
static const char *record_name(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", name, strchr(name, '.') ? "" : ".");
	return buf;
}

static void add_a_ptr(struct dm *dm, const struct dm_where *at, const char *name, struct in_addr ip, bool ptr)
{
	char n[300], ipt[16];
	uint8_t b[4];

	add_record(dm, at, "%s A %s", record_name(name, n, sizeof(n)), format_ipv4(ipt, ip));
	if (!ptr)
		return;
	memcpy(b, &ip, 4);
	add_record(dm, at, "%u.%u.%u.%u.in-addr.arpa PTR %s", b[3], b[2], b[1], b[0], record_name(name, n, sizeof(n)));
}

/* address=/NAME[/NAME...]/IP */
static void h_address(struct dm *dm, const struct dm_where *at, char *value)
{
	char *parts[DM_MAX_FIELDS], *s = value, *ip_text;
	size_t n = 0;
	struct in_addr ip;

	if (!s || *s != '/' || !strrchr(s + 1, '/')) {
		dm_untranslated(dm, at, "address=%s (want /NAME/IP)", value ? value : "");
		return;
	}
	ip_text = strrchr(s, '/') + 1;
	if (!*ip_text || parse_ipv4(ip_text, &ip) < 0) {
		dm_untranslated(dm, at, "address=%s (%s)", value, !*ip_text || !strcmp(ip_text, "#") ?
				"NXDOMAIN / blocking answers: labboot has none" : "not an IPv4 address");
		return;
	}
	ip_text[-1] = '\0';
	for (char *p = strtok(s + 1, "/"); p && n < DM_MAX_FIELDS; p = strtok(NULL, "/"))
		parts[n++] = p;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(parts[i], "#") == 0 || !valid_dns_name(parts[i])) {
			dm_untranslated(dm, at, "address=/%s/ (labboot answers whole names only)", parts[i]);
			continue;
		}
		add_a_ptr(dm, at, parts[i], ip, false);
		dm_note(dm, at, "address=/%s/: names under %s are not answered (labboot's records are exact names)",
			parts[i], parts[i]);
	}
}

/* host-record=NAME[,NAME...],[IPv4][,IPv6][,TTL] */
static void h_host_record(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *names[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);
	size_t n_names = 0;
	struct in_addr ip = { 0 };
	bool have = false;

	for (int i = 0; i < n; i++) {
		struct in_addr a;
		if (parse_ipv4(f[i], &a) == 0) {
			ip = a;
			have = true;
		} else if (strchr(f[i], ':')) {
			dm_untranslated(dm, at, "%s in host-record (AAAA: labboot answers A)", f[i]);
		} else if (i == n - 1 && n_names && strspn(f[i], "0123456789") == strlen(f[i])) {
			dm_note(dm, at, "host-record TTL %s: labboot's [dns] ttl applies", f[i]);
		} else if (valid_dns_name(f[i])) {
			names[n_names++] = f[i];
		} else {
			dm_untranslated(dm, at, "host-record name \"%s\" (not a DNS name)", f[i]);
		}
	}
	if (!have || !n_names) {
		if (!have && n_names)
			return; /* IPv6 only: said above */
		dm_untranslated(dm, at, "host-record=%s (want NAME,IP)", value ? value : "");
		return;
	}
	for (size_t k = 0; k < n_names; k++)
		add_a_ptr(dm, at, names[k], ip, k == 0); /* dnsmasq: PTR to the first name */
}

/* cname=ALIAS[,ALIAS...],TARGET[,TTL] */
static void h_cname(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], a[300], b[300];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n >= 3 && strspn(f[n - 1], "0123456789") == strlen(f[n - 1])) {
		dm_note(dm, at, "cname TTL %s: labboot's [dns] ttl applies", f[n - 1]);
		n--;
	}
	if (n < 2) {
		dm_untranslated(dm, at, "cname=%s (want ALIAS,TARGET)", value ? value : "");
		return;
	}
	for (int i = 0; i < n; i++) {
		if (!valid_dns_name(f[i])) {
			dm_untranslated(dm, at, "cname=%s (\"%s\" is not a DNS name)", value, f[i]);
			return;
		}
	}
	for (int i = 0; i < n - 1; i++)
		add_record(dm, at, "%s CNAME %s", record_name(f[i], a, sizeof(a)), record_name(f[n - 1], b, sizeof(b)));
}

/* ptr-record=NAME,TARGET and txt-record=NAME,TEXT */
static void h_ptr_record(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], a[300], b[300];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n != 2 || !valid_dns_name(f[0]) || !valid_dns_name(f[1])) {
		dm_untranslated(dm, at, "ptr-record=%s (want NAME,TARGET)", value ? value : "");
		return;
	}
	add_record(dm, at, "%s PTR %s", record_name(f[0], a, sizeof(a)), record_name(f[1], b, sizeof(b)));
}

static void h_txt_record(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], a[300];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n != 2 || !valid_dns_name(f[0]) || !f[1][0]) {
		dm_untranslated(dm, at, "txt-record=%s (want NAME,TEXT: one string)", value ? value : "");
		return;
	}
	add_record(dm, at, "%s TXT %s", record_name(f[0], a, sizeof(a)), f[1]);
}

/* server=IP[#PORT]; server=/DOMAIN/IP is per-domain forwarding */
static void h_server(struct dm *dm, const struct dm_where *at, char *value)
{
	char buf[64], *hash;
	struct in_addr a;
	uint64_t port = 53;

	if (!value || copy_string(buf, sizeof(buf), value) < 0 || value[0] == '/') {
		dm_untranslated(dm, at, "server=%s (per-domain forwarding: labboot forwards everything alike)",
				value ? value : "");
		return;
	}
	if ((hash = strchr(buf, '#'))) {
		*hash = '\0';
		if (parse_u64(hash + 1, 1, 65535, &port) < 0)
			goto bad;
	}
	if (strchr(buf, '@') || parse_ipv4(buf, &a) < 0)
		goto bad;
	if (dm->n_upstreams == CONFIG_MAX_UPSTREAMS) {
		dm_untranslated(dm, at, "server=%s (labboot forwards to at most %d servers)", value, CONFIG_MAX_UPSTREAMS);
		return;
	}
	if (port != 53)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ":%u", (unsigned)port);
	dm->upstreams[dm->n_upstreams++] = xstrdup(buf);
	return;
bad:
	dm_untranslated(dm, at, "server=%s (labboot forwards to IPv4 addresses, with no source address or interface)", value);
}

/* "IP NAME [ALIAS...]" lines of /etc/hosts and addn-hosts */
static void hosts_line(struct dm *dm, const struct dm_where *at, char *line)
{
	char buf[IMPORT_MAX_LINE + 2], *w[DM_MAX_FIELDS];
	struct in_addr ip;
	int n;

	*(line + strcspn(line, "#")) = '\0';
	n = split_words_copy(line, buf, sizeof(buf), w, DM_MAX_FIELDS);
	if (n == 0)
		return;
	if (n < 2 || parse_ipv4(w[0], &ip) < 0) {
		if (n < 0 || !strchr(w[0], ':'))
			dm_untranslated(dm, at, "%s (want: IP NAME...)", line);
		return; /* IPv6 lines: AAAA, which labboot does not serve */
	}
	if ((ntohl(ip.s_addr) >> 24) == 127 || ip.s_addr == 0)
		return; /* the loopback names of the machine that ran dnsmasq */
	for (int i = 1; i < n; i++) {
		if (!valid_dns_name(w[i])) {
			dm_untranslated(dm, at, "name \"%s\" (not a DNS name)", w[i]);
			continue;
		}
		if (dm->n_hosts_file == DM_MAX_HOSTS_ENTRIES) {
			dm_untranslated(dm, at, "name %s (more than %d hosts file names)", w[i], DM_MAX_HOSTS_ENTRIES);
			continue;
		}
		struct dm_hosts_entry *grown = realloc(dm->hosts_file, (dm->n_hosts_file + 1) * sizeof(*grown));
		if (!grown)
			abort();
		dm->hosts_file = grown;
		dm->hosts_file[dm->n_hosts_file++] = (struct dm_hosts_entry){ xstrdup(w[i]), ip, i == 1, *at };
	}
}

/* The hosts files' names as records, but for the names of reservations
 * with that address (labboot's [host] answers those already). With
 * expand-hosts a bare name is also NAME.DOMAIN, as labboot's records are. */
static void hosts_records(struct dm *dm)
{
	for (size_t k = 0; k < dm->n_hosts_file; k++) {
		const struct dm_hosts_entry *e = &dm->hosts_file[k];
		const struct dm_host *h = host_by_name(dm, e->name);
		char n[300];
		bool same = false;
		for (size_t j = 0; h && j < h->n_nics; j++)
			same = same || h->nics[j].ip.s_addr == e->ip.s_addr;
		if (same)
			continue;
		snprintf(n, sizeof(n), "%s%s", e->name, strchr(e->name, '.') || dm->expand_hosts ? "" : ".");
		add_record(dm, &e->at, "%s A %s", n, inet_ntoa(e->ip));
		if (e->ptr) {
			uint8_t b[4];
			memcpy(b, &e->ip, 4);
			add_record(dm, &e->at, "%u.%u.%u.%u.in-addr.arpa PTR %s", b[3], b[2], b[1], b[0], n);
		}
	}
}

static void resolv_line(struct dm *dm, const struct dm_where *at, char *line)
{
	char buf[IMPORT_MAX_LINE + 2], *w[3];
	struct in_addr a;

	if (split_words_copy(line, buf, sizeof(buf), w, 3) < 2 || strcmp(w[0], "nameserver") != 0)
		return;
	if (parse_ipv4(w[1], &a) < 0 || (ntohl(a.s_addr) >> 24) == 127) {
		dm_untranslated(dm, at, "nameserver %s (labboot forwards to IPv4 servers that are not itself)", w[1]);
		return;
	}
	for (size_t i = 0; i < dm->n_upstreams; i++)
		if (strcmp(dm->upstreams[i], w[1]) == 0)
			return;
	h_server(dm, at, w[1]);
}

/* ---- the rest of the directives ------------------------------------------ */

static void h_interface(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	for (int i = 0; i < n; i++) {
		if (!f[i][0] || strlen(f[i]) >= 16 || strpbrk(f[i], "* \t")) {
			dm_untranslated(dm, at, "interface=%s (labboot takes whole interface names)", f[i]);
		} else if (!strcmp(f[i], "lo")) {
			continue; /* dnsmasq's DNS on loopback: labboot's DNS answers every address */
		} else if (dm->n_ifaces == CONFIG_MAX_IFACES) {
			dm_untranslated(dm, at, "interface=%s (at most %d)", f[i], CONFIG_MAX_IFACES);
		} else {
			dm->ifaces[dm->n_ifaces++] = xstrdup(f[i]);
		}
	}
}

static void h_listen_address(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	for (int i = 0; i < n; i++) {
		struct in_addr a;
		if (parse_ipv4(f[i], &a) < 0 || (ntohl(a.s_addr) >> 24) == 127)
			continue;
		if (dm->address.s_addr && dm->address.s_addr != a.s_addr)
			dm_untranslated(dm, at, "listen-address=%s (labboot has one [server] address)", f[i]);
		else
			dm->address = a;
	}
}

static void h_domain(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n != 1 || !valid_dns_name(f[0])) {
		dm_untranslated(dm, at, "domain=%s (%s)", value ? value : "",
				n > 1 ? "a domain per subnet: labboot's [pool] domain is per relayed pool" : "not a domain name");
		return;
	}
	if (dm->domain && strcasecmp(dm->domain, f[0]) != 0) {
		dm_untranslated(dm, at, "domain=%s (the first domain, %s, is kept)", f[0], dm->domain);
		return;
	}
	free(dm->domain);
	dm->domain = xstrdup(f[0]);
}

/* local=/DOMAIN/: answered only locally; labboot does that for its domain. */
static void h_local(struct dm *dm, const struct dm_where *at, char *value)
{
	char buf[300];

	if (value && dm->domain && (snprintf(buf, sizeof(buf), "/%s/", dm->domain), strcasecmp(buf, value) == 0))
		return;
	dm_untranslated(dm, at, "local=%s (labboot answers locally for [dhcp] domain only)", value ? value : "");
}

static void h_port(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 0, 65535, &v) < 0)
		dm_untranslated(dm, at, "port=%s (not a port)", value ? value : "");
	else if (v == 0)
		dm->dns_off = true;
	else
		dm->dns_port = (int)v;
}

static void h_cache_size(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 0, 1000000, &v) < 0)
		dm_untranslated(dm, at, "cache-size=%s (0 to 1000000)", value ? value : "");
	else
		dm->cache_size = (long)v;
}

static void h_local_ttl(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 0, UINT32_MAX, &v) < 0)
		dm_untranslated(dm, at, "local-ttl=%s (not a number of seconds)", value ? value : "");
	else
		dm->local_ttl = (long)v;
}

static void h_tftp_root(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n < 1 || !f[0][0]) {
		dm_untranslated(dm, at, "tftp-root=%s (no directory)", value ? value : "");
		return;
	}
	if (n > 1)
		dm_untranslated(dm, at, "tftp-root=%s (a root per interface: labboot has one)", value);
	if (!dm->tftp_root)
		dm->tftp_root = xstrdup(f[0]);
}

static void h_tftp_port(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 1, 65535, &v) < 0)
		dm_untranslated(dm, at, "tftp-port=%s (not a port)", value ? value : "");
	else
		dm->tftp_port = (int)v;
}

static void h_flag(struct dm *dm, const struct dm_where *at, const char *name, char *value)
{
	if (!strcmp(name, "enable-tftp")) {
		dm->tftp = true;
		if (value)
			dm_untranslated(dm, at, "enable-tftp=%s (TFTP per interface: labboot's serves every address)", value);
	} else if (!strcmp(name, "no-resolv")) {
		dm->no_resolv = true;
	} else if (!strcmp(name, "no-hosts")) {
		dm->no_hosts = true;
	} else if (!strcmp(name, "read-ethers")) {
		dm->read_ethers = true;
	} else if (!strcmp(name, "expand-hosts")) {
		dm->expand_hosts = true;
	} else if (!strcmp(name, "dhcp-authoritative")) {
		dm->authoritative = true;
	} else if (!strcmp(name, "resolv-file")) {
		free(dm->resolv_file);
		dm->resolv_file = value && *value ? xstrdup(value) : NULL;
		if (!value || !*value)
			dm->no_resolv = true;
	}
}

/* Names that change nothing a client sees (logs, files, process). */
static const char *const no_effect[] = {
	"bind-interfaces", "bind-dynamic", "log-queries", "log-dhcp", "log-facility", "log-async", "log-debug",
	"pid-file", "user", "group", "keep-in-foreground", "no-daemon", "dhcp-leasefile", "quiet-dhcp",
	"quiet-dhcp6", "quiet-ra", "quiet-tftp", "no-poll", "strict-order", "no-ping", "dhcp-no-override",
	"dhcp-lease-max", "tftp-secure", "tftp-no-fail", "enable-ra", "dns-loop-detect",
};

enum phase { PH_DEFINE, PH_USE };

static const struct handler {
	const char *name;
	enum phase phase;
	void (*fn)(struct dm *dm, const struct dm_where *at, char *value);
} handlers[] = {
	{ "dhcp-host", PH_DEFINE, h_dhcp_host },
	{ "\001ethers", PH_DEFINE, ethers_line },
	{ "\001hosts", PH_DEFINE, hosts_line },
	{ "\001resolv", PH_DEFINE, resolv_line },
	{ "dhcp-range", PH_DEFINE, h_dhcp_range },
	{ "dhcp-match", PH_DEFINE, h_dhcp_match },
	{ "dhcp-vendorclass", PH_DEFINE, h_vendorclass },
	{ "dhcp-userclass", PH_DEFINE, h_userclass },
	{ "interface", PH_DEFINE, h_interface },
	{ "listen-address", PH_DEFINE, h_listen_address },
	{ "domain", PH_DEFINE, h_domain },
	{ "port", PH_DEFINE, h_port },
	{ "cache-size", PH_DEFINE, h_cache_size },
	{ "local-ttl", PH_DEFINE, h_local_ttl },
	{ "tftp-root", PH_DEFINE, h_tftp_root },
	{ "tftp-port", PH_DEFINE, h_tftp_port },
	{ "server", PH_DEFINE, h_server },
	{ "address", PH_DEFINE, h_address },
	{ "host-record", PH_DEFINE, h_host_record },
	{ "cname", PH_DEFINE, h_cname },
	{ "ptr-record", PH_DEFINE, h_ptr_record },
	{ "txt-record", PH_DEFINE, h_txt_record },
	{ "local", PH_USE, h_local },
	{ "dhcp-option", PH_USE, h_dhcp_option },
	{ "dhcp-option-force", PH_USE, h_dhcp_option_force },
	{ "dhcp-boot", PH_USE, h_dhcp_boot },
	{ "pxe-service", PH_USE, h_pxe_service },
	{ "pxe-prompt", PH_USE, h_pxe_prompt },
};

static const char *const flags[] = {
	"enable-tftp", "no-resolv", "no-hosts", "read-ethers", "expand-hosts", "dhcp-authoritative", "resolv-file",
};

static void run_directive(struct dm *dm, const struct directive *d, enum phase phase)
{
	char *value = d->value ? xstrdup(d->value) : NULL;

	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
		if (strcmp(handlers[i].name, d->name) == 0) {
			if (handlers[i].phase == phase)
				handlers[i].fn(dm, &d->at, value);
			goto out;
		}
	}
	if (phase != PH_DEFINE)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		if (strcmp(flags[i], d->name) == 0) {
			h_flag(dm, &d->at, d->name, value);
			goto out;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(no_effect); i++)
		if (strcmp(no_effect[i], d->name) == 0)
			goto out;
	dm_untranslated(dm, &d->at, "%s%s%s (%s)", d->name, d->value ? "=" : "", d->value ? d->value : "",
			!strcmp(d->name, "dhcp-ignore") ? "labboot answers every client of its ranges" :
			!strcmp(d->name, "domain-needed") || !strcmp(d->name, "bogus-priv") ?
				"labboot forwards what its zone does not answer" :
			"no labboot equivalent");
out:
	free(value);
}

/* ---- reading files ------------------------------------------------------- */

static void push(struct reader *rd, const struct dm_where *at, const char *name, const char *value)
{
	if (rd->n == IMPORT_MAX_DIRECTIVES) {
		if (!rd->full)
			dm_untranslated(rd->dm, at, "%s and what follows (more than %d directives)", name, IMPORT_MAX_DIRECTIVES);
		rd->full = true;
		return;
	}
	if (rd->n == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 64;
		struct directive *grown = realloc(rd->d, cap * sizeof(*grown));
		if (!grown)
			abort();
		rd->d = grown;
		rd->cap = cap;
	}
	rd->d[rd->n++] = (struct directive){ *at, xstrdup(name), value ? xstrdup(value) : NULL };
}

static const char *keep_name(struct reader *rd, const char *path)
{
	char **grown = realloc(rd->files, (rd->n_files + 1) * sizeof(*grown));

	if (!grown)
		abort();
	rd->files = grown;
	return rd->files[rd->n_files++] = xstrdup(path);
}

enum file_kind { FK_CONF, FK_DHCP_HOSTS, FK_HOSTS, FK_ETHERS, FK_RESOLV };

static void read_text(struct reader *rd, const char *path, const char *text, enum file_kind kind);

/* A file through the caller; `quiet`: a missing default file is no news. */
static void include_file(struct reader *rd, const struct dm_where *at, const char *path, enum file_kind kind, bool quiet)
{
	struct dm *dm = rd->dm;
	char *text = NULL;
	int r;

	for (size_t i = 0; i < rd->depth; i++) {
		if (strcmp(rd->stack[i], path) == 0) {
			dm_untranslated(dm, at, "%s (includes itself)", path);
			return;
		}
	}
	if (rd->depth == IMPORT_MAX_DEPTH) {
		dm_untranslated(dm, at, "%s (includes nested deeper than %d)", path, IMPORT_MAX_DEPTH);
		return;
	}
	if (!dm->o->include) {
		dm_untranslated(dm, at, "%s (not read)", path);
		return;
	}
	r = dm->o->include(dm->o->userdata, path, IMPORT_INCLUDE_FILE, &text);
	if (r < 0) {
		if (!(quiet && r == -ENOENT))
			dm_untranslated(dm, at, "%s (cannot read it: %s)", path, strerror(-r));
		return;
	}
	if (strlen(text) > IMPORT_MAX_FILE)
		dm_untranslated(dm, at, "%s (larger than %u bytes)", path, IMPORT_MAX_FILE);
	else
		read_text(rd, keep_name(rd, path), text, kind);
	free(text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* conf-dir=DIR[,.EXT...][,*.EXT...] and a dhcp-hostsfile naming a directory:
 * the files in alphabetical order, as dnsmasq reads them. */
static void include_dir(struct reader *rd, const struct dm_where *at, char *value, enum file_kind kind)
{
	struct dm *dm = rd->dm;
	char *f[DM_MAX_FIELDS], *list = NULL, *names[1024];
	bool quoted[DM_MAX_FIELDS], only = false;
	int n = split_fields(value, f, quoted, DM_MAX_FIELDS), r;
	size_t n_names = 0;

	if (n < 1 || !f[0][0]) {
		dm_untranslated(dm, at, "conf-dir=%s (no directory)", value ? value : "");
		return;
	}
	if (!dm->o->include) {
		dm_untranslated(dm, at, "%s (not read)", f[0]);
		return;
	}
	if ((r = dm->o->include(dm->o->userdata, f[0], IMPORT_INCLUDE_DIR, &list)) < 0) {
		dm_untranslated(dm, at, "%s (cannot read it: %s)", f[0], strerror(-r));
		return;
	}
	for (int i = 1; i < n; i++)
		only = only || f[i][0] == '*';
	for (char *save = NULL, *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(name);
		bool take = !only;
		if (name[0] == '.' || name[len - 1] == '~' || (name[0] == '#' && name[len - 1] == '#') || strchr(name, '/'))
			continue;
		for (int i = 1; i < n; i++) {
			const char *ext = f[i][0] == '*' ? f[i] + 1 : f[i];
			size_t el = strlen(ext);
			bool match = el && len >= el && strcmp(name + len - el, ext) == 0;
			if (match)
				take = f[i][0] == '*';
		}
		if (!take)
			continue;
		if (n_names == ARRAY_SIZE(names)) {
			dm_untranslated(dm, at, "%s (more than %zu files)", f[0], ARRAY_SIZE(names));
			break;
		}
		names[n_names++] = name;
	}
	qsort(names, n_names, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n_names; i++) {
		char path[4096];
		if (pathf(path, sizeof(path), "%s/%s", f[0], names[i]) < 0)
			continue;
		include_file(rd, at, path, kind, false);
	}
	free(list);
}

static void read_text(struct reader *rd, const char *path, const char *text, enum file_kind kind)
{
	static const char *const kind_names[] = { "", "dhcp-host", "\001hosts", "\001ethers", "\001resolv" };
	struct dm *dm = rd->dm;
	struct dm_where at = { path, 0 };
	const char *p = text;

	rd->stack[rd->depth++] = path;
	while (*p && !rd->full) {
		size_t len = strcspn(p, "\n");
		char *line, *name, *value;
		at.line++;
		if (len > IMPORT_MAX_LINE) {
			dm_untranslated(dm, &at, "a line of %zu bytes (at most %d)", len, IMPORT_MAX_LINE);
			goto next;
		}
		line = strndup(p, len);
		if (!line)
			abort();
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (kind != FK_CONF) {
			char *s = line + strspn(line, " \t");
			if (*s && *s != '#')
				push(rd, &at, kind_names[kind], s);
		} else if (lex_line(line, &name, &value) == 0) {
			if (!strcmp(name, "conf-file") && value && *value)
				include_file(rd, &at, value, FK_CONF, false);
			else if (!strcmp(name, "conf-dir"))
				include_dir(rd, &at, value, FK_CONF);
			else if ((!strcmp(name, "dhcp-hostsfile") || !strcmp(name, "addn-hosts")) && value && *value)
				include_file(rd, &at, value, name[0] == 'd' ? FK_DHCP_HOSTS : FK_HOSTS, false);
			else if (!strcmp(name, "dhcp-hostsdir"))
				include_dir(rd, &at, value, FK_DHCP_HOSTS);
			else
				push(rd, &at, name, value);
		}
		free(line);
	next:
		p += len;
		if (*p == '\n')
			p++;
	}
	rd->depth--;
}

/* ---- after every directive ----------------------------------------------- */

static void finish(struct dm *dm)
{
	/* dhcp-host=MAC,NAME takes NAME's address from /etc/hosts (dnsmasq(8)) */
	for (size_t i = 0; i < dm->n_hosts && !dm->dns_off; i++) {
		struct dm_host *h = &dm->hosts[i];
		if (!h->ip_from_hosts)
			continue;
		for (size_t k = 0; k < dm->n_hosts_file; k++) {
			if (strcasecmp(dm->hosts_file[k].name, h->name) != 0 &&
			    !(dm->domain && !strncasecmp(dm->hosts_file[k].name, h->name, strlen(h->name)) &&
			      dm->hosts_file[k].name[strlen(h->name)] == '.' &&
			      !strcasecmp(dm->hosts_file[k].name + strlen(h->name) + 1, dm->domain)))
				continue;
			const struct dm_host *o = host_with_ip(dm, dm->hosts_file[k].ip);
			if (o && o != h) {
				dm_untranslated(dm, &h->at, "the address of %s from the hosts file (host %s has it)", h->name, o->name);
				break;
			}
			for (size_t j = 0; j < h->n_nics; j++)
				if (!h->nics[j].ip.s_addr)
					h->nics[j].ip = dm->hosts_file[k].ip;
			break;
		}
	}
	if (!dm->dns_off)
		hosts_records(dm);
	if (dm->mode == DM_DHCP_RANGES && dm->n_ranges) {
		const struct dm_where *at = &dm->ranges[0].at;
		char ip[16];
		/* dnsmasq(8): without option 3 / 6 it sends its own address */
		if (!dm->router && dm->address.s_addr)
			dm->router = xstrdup(format_ipv4(ip, dm->address));
		else if (!dm->router)
			dm_untranslated(dm, at, "the default router (dnsmasq sends its own address: give --address)");
		if (!dm->dns && !dm->dns_off && dm->address.s_addr)
			dm->dns = xstrdup(format_ipv4(ip, dm->address));
		else if (!dm->dns && !dm->dns_off)
			dm_untranslated(dm, at, "the default DNS server (dnsmasq sends its own address: give --address)");
		if (!dm->authoritative)
			dm_note(dm, at, "no dhcp-authoritative: labboot NAKs requests for addresses it did not lease");
	}
}

int import_dnsmasq(const char *path, const char *text, const struct import_options *opts,
		   struct import_result *ret)
{
	struct import_result res = { 0 };
	struct dm dm = { .o = opts, .res = &res, .cache_size = -1, .local_ttl = -1, .tftp_port = 0 };
	struct reader rd = { .dm = &dm };
	size_t first_late;

	if (!path || !text || !opts || !ret)
		return -EINVAL;
	if (opts->address && parse_ipv4(opts->address, &dm.address) < 0)
		return -EINVAL;
	read_text(&rd, keep_name(&rd, path), text, FK_CONF);
	for (size_t i = 0; i < rd.n; i++)
		run_directive(&dm, &rd.d[i], PH_DEFINE);
	/* the files dnsmasq reads unless told otherwise */
	first_late = rd.n;
	const struct dm_where none = { path, 0 };
	if (dm.read_ethers)
		include_file(&rd, &none, "/etc/ethers", FK_ETHERS, false);
	if (!dm.no_hosts && !dm.dns_off)
		include_file(&rd, &none, "/etc/hosts", FK_HOSTS, true);
	if (!dm.no_resolv && !dm.dns_off)
		include_file(&rd, &none, dm.resolv_file ? dm.resolv_file : "/etc/resolv.conf", FK_RESOLV, true);
	for (size_t i = first_late; i < rd.n; i++)
		run_directive(&dm, &rd.d[i], PH_DEFINE);
	for (size_t i = 0; i < rd.n; i++)
		run_directive(&dm, &rd.d[i], PH_USE);
	finish(&dm);
	res.config = dm_render(&dm);

	for (size_t i = 0; i < rd.n; i++) {
		free(rd.d[i].name);
		free(rd.d[i].value);
	}
	free(rd.d);
	for (size_t i = 0; i < rd.n_files; i++)
		free(rd.files[i]);
	free(rd.files);
	dm_free(&dm);
	*ret = res;
	return 0;
}

void import_result_free(struct import_result *r)
{
	if (!r)
		return;
	free(r->config);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].text);
	free(r->notes);
	*r = (struct import_result){ 0 };
}
