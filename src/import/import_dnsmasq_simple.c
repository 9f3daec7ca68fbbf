/* dnsmasq directives with one labboot key each: interface, listen-address,
 * domain, local, port, cache-size, local-ttl, TFTP and the flags. */
#include "import/import_int.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- the rest of the directives ------------------------------------------ */

void h_interface(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

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

void h_listen_address(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

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

void h_domain(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n != 1 || !dm_valid_dns_name(f[0])) {
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
void h_local(struct dm *dm, const struct dm_where *at, char *value)
{
	char buf[300];

	if (value && dm->domain && (snprintf(buf, sizeof(buf), "/%s/", dm->domain), strcasecmp(buf, value) == 0))
		return;
	dm_untranslated(dm, at, "local=%s (labboot answers locally for [dhcp] domain only)", value ? value : "");
}

void h_port(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 0, 65535, &v) < 0)
		dm_untranslated(dm, at, "port=%s (not a port)", value ? value : "");
	else if (v == 0)
		dm->dns_off = true;
	else
		dm->dns_port = (int)v;
}

void h_cache_size(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 0, 1000000, &v) < 0)
		dm_untranslated(dm, at, "cache-size=%s (0 to 1000000)", value ? value : "");
	else
		dm->cache_size = (long)v;
}

void h_local_ttl(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 0, UINT32_MAX, &v) < 0)
		dm_untranslated(dm, at, "local-ttl=%s (not a number of seconds)", value ? value : "");
	else
		dm->local_ttl = (long)v;
}

void h_tftp_root(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n < 1 || !f[0][0]) {
		dm_untranslated(dm, at, "tftp-root=%s (no directory)", value ? value : "");
		return;
	}
	if (n > 1)
		dm_untranslated(dm, at, "tftp-root=%s (a root per interface: labboot has one)", value);
	if (!dm->tftp_root)
		dm->tftp_root = xstrdup(f[0]);
}

void h_tftp_port(struct dm *dm, const struct dm_where *at, char *value)
{
	uint64_t v;

	if (!value || parse_u64(value, 1, 65535, &v) < 0)
		dm_untranslated(dm, at, "tftp-port=%s (not a port)", value ? value : "");
	else
		dm->tftp_port = (int)v;
}

void h_flag(struct dm *dm, const struct dm_where *at, const char *name, char *value)
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
