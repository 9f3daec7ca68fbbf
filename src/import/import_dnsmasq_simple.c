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
		if (!f[i][0] || strlen(f[i]) >= 16 ||
		    strspn(f[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:@") != strlen(f[i])) {
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
		dm_untranslated(dm, at, "domain=%s (%s)", dm->raw,
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
	dm_untranslated(dm, at, "local=%s (labboot answers locally for [dhcp] domain only)", dm->raw);
}

/* A number in [min, max] into *field, or a note naming what was wanted. */
static void set_number(struct dm *dm, const struct dm_where *at, const char *name, const char *value, uint64_t min,
		       uint64_t max, const char *want, long *field)
{
	uint64_t v;

	if (!value || parse_u64(value, min, max, &v) < 0)
		dm_untranslated(dm, at, "%s=%s (%s)", name, dm->raw, want);
	else
		*field = (long)v;
}

void h_port(struct dm *dm, const struct dm_where *at, char *value)
{
	set_number(dm, at, "port", value, 0, 65535, "not a port", &dm->dns_port);
	dm->dns_off = dm->dns_off || (value && strcmp(value, "0") == 0); /* port=0: no DNS */
}

void h_cache_size(struct dm *dm, const struct dm_where *at, char *value)
{
	set_number(dm, at, "cache-size", value, 0, 1000000, "0 to 1000000", &dm->cache_size);
}

void h_local_ttl(struct dm *dm, const struct dm_where *at, char *value)
{
	set_number(dm, at, "local-ttl", value, 0, UINT32_MAX, "not a number of seconds", &dm->local_ttl);
}

void h_tftp_port(struct dm *dm, const struct dm_where *at, char *value)
{
	set_number(dm, at, "tftp-port", value, 1, 65535, "not a port", &dm->tftp_port);
}

void h_tftp_root(struct dm *dm, const struct dm_where *at, char *value)
{
	char *f[DM_MAX_FIELDS];
	bool quoted[DM_MAX_FIELDS];
	int n = dm_split_fields(value, f, quoted, DM_MAX_FIELDS);

	if (n < 1 || !f[0][0]) {
		dm_untranslated(dm, at, "tftp-root=%s (no directory)", dm->raw);
		return;
	}
	if (n > 1)
		dm_untranslated(dm, at, "tftp-root=%s (a root per interface: labboot has one)", dm->raw);
	if (!dm->tftp_root)
		dm->tftp_root = xstrdup(f[0]);
}

void h_flag(struct dm *dm, const struct dm_where *at, const char *name, char *value)
{
	if (!strcmp(name, "enable-tftp")) {
		dm->tftp = true;
		if (value)
			dm_untranslated(dm, at, "enable-tftp=%s (TFTP per interface: labboot's serves every address)", dm->raw);
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
