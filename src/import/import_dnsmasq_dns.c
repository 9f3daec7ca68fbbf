/* dnsmasq's DNS data: address=, host-record, cname, ptr-record, txt-record,
 * server=, the hosts files and resolv.conf, as [dns] record and upstream. */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- DNS --------------------------------------------------------------- */

void dm_add_record(struct dm *dm, const struct dm_where *at, const char *fmt, ...)
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

bool dm_valid_dns_name(const char *s)
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

	dm_add_record(dm, at, "%s A %s", record_name(name, n, sizeof(n)), format_ipv4(ipt, ip));
	if (!ptr)
		return;
	memcpy(b, &ip, 4);
	dm_add_record(dm, at, "%u.%u.%u.%u.in-addr.arpa PTR %s", b[3], b[2], b[1], b[0], record_name(name, n, sizeof(n)));
}

/* address=/NAME[/NAME...]/IP */
void h_address(struct dm *dm, const struct dm_where *at, char *value)
{
	char *parts[DM_MAX_FIELDS], *s = value, *ip_text;
	size_t n = 0;
	struct in_addr ip;

	if (!s || *s != '/' || !strrchr(s + 1, '/')) {
		dm_untranslated(dm, at, "address=%s (want /NAME/IP)", dm->raw);
		return;
	}
	ip_text = strrchr(s, '/') + 1;
	if (!*ip_text || parse_ipv4(ip_text, &ip) < 0) {
		dm_untranslated(dm, at, "address=%s (%s)", dm->raw, !*ip_text || !strcmp(ip_text, "#") ?
				"NXDOMAIN / blocking answers: labboot has none" : "not an IPv4 address");
		return;
	}
	ip_text[-1] = '\0';
	for (char *p = strtok(s + 1, "/"); p && n < DM_MAX_FIELDS; p = strtok(NULL, "/"))
		parts[n++] = p;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(parts[i], "#") == 0 || !dm_valid_dns_name(parts[i])) {
			dm_untranslated(dm, at, "address=/%s/ (labboot answers whole names only)", parts[i]);
			continue;
		}
		add_a_ptr(dm, at, parts[i], ip, false);
		dm_note(dm, at, "address=/%s/: names under %s are not answered (labboot's records are exact names)",
			parts[i], parts[i]);
	}
}

/* host-record=NAME[,NAME...],[IPv4][,IPv6][,TTL] */
void h_host_record(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], *names[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);
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
		} else if (dm_valid_dns_name(f[i])) {
			names[n_names++] = f[i];
		} else {
			dm_untranslated(dm, at, "host-record name \"%s\" (not a DNS name)", f[i]);
		}
	}
	if (!have || !n_names) {
		if (!have && n_names)
			return; /* IPv6 only: said above */
		dm_untranslated(dm, at, "host-record=%s (want NAME,IP)", dm->raw);
		return;
	}
	for (size_t k = 0; k < n_names; k++)
		add_a_ptr(dm, at, names[k], ip, k == 0); /* dnsmasq: PTR to the first name */
}

/* cname=ALIAS[,ALIAS...],TARGET[,TTL] */
void h_cname(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], a[300], b[300];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n >= 3 && strspn(f[n - 1], "0123456789") == strlen(f[n - 1])) {
		dm_note(dm, at, "cname TTL %s: labboot's [dns] ttl applies", f[n - 1]);
		n--;
	}
	if (n < 2) {
		dm_untranslated(dm, at, "cname=%s (want ALIAS,TARGET)", dm->raw);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (!dm_valid_dns_name(f[i])) {
			dm_untranslated(dm, at, "cname=%s (\"%s\" is not a DNS name)", dm->raw, f[i]);
			return;
		}
	}
	/* a bare target naming a reservation means its DHCP name, NAME.DOMAIN in labboot */
	if (!strchr(f[n - 1], '.') && dm_host_by_name(dm, f[n - 1]))
		snprintf(b, sizeof(b), "%s", f[n - 1]);
	else
		record_name(f[n - 1], b, sizeof(b));
	for (int i = 0; i < n - 1; i++)
		dm_add_record(dm, at, "%s CNAME %s", record_name(f[i], a, sizeof(a)), b);
}

/* ptr-record=NAME,TARGET and txt-record=NAME,TEXT */
void h_ptr_record(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], a[300], b[300];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n != 2 || !dm_valid_dns_name(f[0]) || !dm_valid_dns_name(f[1])) {
		dm_untranslated(dm, at, "ptr-record=%s (want NAME,TARGET)", dm->raw);
		return;
	}
	dm_add_record(dm, at, "%s PTR %s", record_name(f[0], a, sizeof(a)), record_name(f[1], b, sizeof(b)));
}

void h_txt_record(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS], a[300];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n != 2 || !dm_valid_dns_name(f[0]) || !f[1][0]) {
		dm_untranslated(dm, at, "txt-record=%s (want NAME,TEXT: one string)", dm->raw);
		return;
	}
	dm_add_record(dm, at, "%s TXT %s", record_name(f[0], a, sizeof(a)), f[1]);
}

/* server=IP[#PORT]; server=/DOMAIN/IP is per-domain forwarding */
void h_server(struct dm *dm, const struct dm_where *at, char *value)
{
	char buf[64], *hash;
	struct in_addr a;
	uint64_t port = 53;

	if (!value || copy_string(buf, sizeof(buf), value) < 0 || value[0] == '/') {
		dm_untranslated(dm, at, "server=%s (per-domain forwarding: labboot forwards everything alike)", dm->raw);
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
		dm_untranslated(dm, at, "server=%s (labboot forwards to at most %d servers)", dm->raw, CONFIG_MAX_UPSTREAMS);
		return;
	}
	if (port != 53)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ":%u", (unsigned)port);
	dm->upstreams[dm->n_upstreams++] = xstrdup(buf);
	return;
bad:
	dm_untranslated(dm, at, "server=%s (labboot forwards to IPv4 addresses, with no source address or interface)", dm->raw);
}

/* "IP NAME [ALIAS...]" lines of /etc/hosts and addn-hosts */
void dm_hosts_line(struct dm *dm, const struct dm_where *at, char *line)
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
		if (!dm_valid_dns_name(w[i])) {
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
void dm_hosts_records(struct dm *dm)
{
	for (size_t k = 0; k < dm->n_hosts_file; k++) {
		const struct dm_hosts_entry *e = &dm->hosts_file[k];
		const struct dm_host *h = dm_host_by_name(dm, e->name);
		char n[300];
		bool same = false;
		for (size_t j = 0; h && j < h->n_nics; j++)
			same = same || h->nics[j].ip.s_addr == e->ip.s_addr;
		if (same)
			continue;
		snprintf(n, sizeof(n), "%s%s", e->name, strchr(e->name, '.') || (dm->expand_hosts && dm->domain) ? "" : ".");
		dm_add_record(dm, &e->at, "%s A %s", n, inet_ntoa(e->ip));
		if (e->ptr) {
			uint8_t b[4];
			memcpy(b, &e->ip, 4);
			dm_add_record(dm, &e->at, "%u.%u.%u.%u.in-addr.arpa PTR %s", b[3], b[2], b[1], b[0], n);
		}
	}
}

void dm_resolv_line(struct dm *dm, const struct dm_where *at, char *line)
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
