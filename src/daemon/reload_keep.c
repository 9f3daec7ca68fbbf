/* See reload_keep.h. A table of the fields, so that adding a setting of
 * this kind is one line. */
#include "daemon/reload_keep.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum kind { STR, U16, U32, BOOL, ADDR, INT };

static const struct {
	const char *name;
	size_t off;
	enum kind kind;
} fixed[] = {
	{ "[server] address", offsetof(struct config, address), ADDR },
	{ "[server] state-dir", offsetof(struct config, state_dir), STR },
	{ "[server] user", offsetof(struct config, user), STR },
	{ "[dhcp] mode", offsetof(struct config, dhcp_mode), INT },
	{ "[tftp] enable", offsetof(struct config, tftp_enable), BOOL },
	{ "[tftp] root", offsetof(struct config, tftp_root), STR },
	{ "[tftp] port", offsetof(struct config, tftp_port), U16 },
	{ "[http] enable", offsetof(struct config, http_enable), BOOL },
	{ "[http] port", offsetof(struct config, http_port), U16 },
	{ "[http] root", offsetof(struct config, http_root), STR },
	{ "[http] threads", offsetof(struct config, http_threads), U32 },
	{ "[http] max-per-client", offsetof(struct config, http_max_per_client), U32 },
	{ "[http] request-timeout", offsetof(struct config, http_request_timeout_s), U32 },
	{ "[images] root", offsetof(struct config, images_root), STR },
	{ "[boot] ipxe-dir", offsetof(struct config, ipxe_dir), STR },
	{ "[boot] ipv6-ra", offsetof(struct config, boot_ipv6_ra), BOOL },
	{ "[dns] enable", offsetof(struct config, dns_enable), BOOL },
	{ "[dns] port", offsetof(struct config, dns_port), U16 },
	{ "[dns] cache-size", offsetof(struct config, dns_cache_size), U32 },
};

static size_t kind_size(enum kind k)
{
	switch (k) {
	case STR: return sizeof(char *);
	case U16: return sizeof(uint16_t);
	case U32: return sizeof(uint32_t);
	case BOOL: return sizeof(bool);
	case ADDR: return sizeof(struct in_addr);
	case INT: return sizeof(int);
	}
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int keep_field(struct config *next, const struct config *running, size_t i)
{
	void *dst = (char *)next + fixed[i].off;
	const void *src = (const char *)running + fixed[i].off;

	if (fixed[i].kind == STR) {
		char **d = dst;
		char *const *s = src;
		if (same_str(*d, *s))
			return 0;
		free(*d);
		*d = *s ? xstrdup(*s) : NULL;
	} else {
		if (memcmp(dst, src, kind_size(fixed[i].kind)) == 0)
			return 0;
		memcpy(dst, src, kind_size(fixed[i].kind));
	}
	log_warn("reload: %s changed: it takes effect at the next start", fixed[i].name);
	return 1;
}

static bool same_ifaces(const struct config *a, const struct config *b)
{
	if (a->n_ifaces != b->n_ifaces)
		return false;
	for (size_t i = 0; i < a->n_ifaces; i++)
		if (strcmp(a->ifaces[i], b->ifaces[i]) != 0)
			return false;
	return true;
}

int reload_keep_running(struct config *next, const struct config *running)
{
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		n += keep_field(next, running, i);
	if (!same_ifaces(next, running)) {
		for (size_t i = 0; i < next->n_ifaces; i++)
			free(next->ifaces[i]);
		for (size_t i = 0; i < running->n_ifaces; i++)
			next->ifaces[i] = xstrdup(running->ifaces[i]);
		next->n_ifaces = running->n_ifaces;
		log_warn("reload: [server] interface changed: it takes effect at the next start");
		n++;
	}
	if (next->n_upstreams != running->n_upstreams ||
	    memcmp(next->upstreams, running->upstreams, running->n_upstreams * sizeof(running->upstreams[0])) != 0) {
		memcpy(next->upstreams, running->upstreams, sizeof(next->upstreams));
		next->n_upstreams = running->n_upstreams;
		log_warn("reload: [dns] upstream changed: it takes effect at the next start");
		n++;
	}
	return n;
}
