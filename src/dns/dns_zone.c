/* Local zone data: a hash table of names (lowercase wire form) with their A
 * addresses, CNAME, PTR and TXT data, built from the reservations and static
 * records of the configuration and updated by lease events. */
#include "dns/dns_zone.h"
#include "core/config.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE_BUCKETS 4096
#define ZONE_MAX_SUBNETS (CONFIG_MAX_POOLS + 1)
#define ZONE_MAX_TXT 16               /* TXT records per name */

struct zone_node {
	struct dns_name name;         /* lowered */
	struct in_addr addrs[DNS_ZONE_MAX_ADDRS];
	bool addr_dynamic[DNS_ZONE_MAX_ADDRS];
	size_t n_addrs;
	bool has_cname, has_ptr, ptr_dynamic, dynamic;
	struct dns_name cname, ptr;
	const char *txt[ZONE_MAX_TXT];  /* borrowed from the configuration */
	size_t n_txt;
	struct zone_node *chain;
};

struct subnet {
	uint32_t net, mask;           /* host order */
	struct dns_name rev_zone;     /* e.g. 0.18.198.in-addr.arpa */
};

struct dns_zone {
	struct zone_node *buckets[ZONE_BUCKETS];
	struct dns_name domain, ns_name, hostmaster;
	char domain_text[DNS_MAX_NAME + 1];
	struct in_addr server;
	uint32_t serial, ttl;
	struct subnet subnets[ZONE_MAX_SUBNETS];
	size_t n_subnets;
	size_t n_dynamic;
};

static uint32_t name_hash(const struct dns_name *n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n->len; i++) {
		uint8_t c = n->data[i];
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
	}
	return h;
}

static struct zone_node *node_find(const struct dns_zone *z, const struct dns_name *n)
{
	for (struct zone_node *e = z->buckets[name_hash(n) % ZONE_BUCKETS]; e; e = e->chain)
		if (dns_name_equal(&e->name, n))
			return e;
	return NULL;
}

static struct zone_node *node_get(struct dns_zone *z, const struct dns_name *n, bool dynamic)
{
	struct zone_node *e = node_find(z, n);
	uint32_t h = name_hash(n) % ZONE_BUCKETS;

	if (e)
		return e;
	if (dynamic && z->n_dynamic >= DNS_ZONE_MAX_DYNAMIC)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->name = *n;
	dns_name_lower(&e->name);
	e->dynamic = dynamic;
	z->n_dynamic += dynamic;
	e->chain = z->buckets[h];
	z->buckets[h] = e;
	return e;
}

static bool node_empty(const struct zone_node *e)
{
	return e->n_addrs == 0 && !e->has_cname && !e->has_ptr && e->n_txt == 0;
}

static void node_drop_if_empty(struct dns_zone *z, struct zone_node *e)
{
	struct zone_node **pp = &z->buckets[name_hash(&e->name) % ZONE_BUCKETS];

	if (!e->dynamic || !node_empty(e))
		return;
	while (*pp && *pp != e)
		pp = &(*pp)->chain;
	if (*pp)
		*pp = e->chain;
	z->n_dynamic--;
	free(e);
}

static int node_add_addr(struct zone_node *e, struct in_addr ip, bool dynamic)
{
	for (size_t i = 0; i < e->n_addrs; i++)
		if (e->addrs[i].s_addr == ip.s_addr)
			return 0;
	if (e->n_addrs >= DNS_ZONE_MAX_ADDRS)
		return -ENOSPC;
	e->addrs[e->n_addrs] = ip;
	e->addr_dynamic[e->n_addrs++] = dynamic;
	return 0;
}

/* "a.b.c.d.in-addr.arpa" of an address (RFC 1035 3.5). */
static void rev_name(struct in_addr ip, struct dns_name *ret)
{
	char text[32];
	uint32_t a = ntohl(ip.s_addr);

	snprintf(text, sizeof(text), "%u.%u.%u.%u.in-addr.arpa", a & 0xff, (a >> 8) & 0xff,
		 (a >> 16) & 0xff, a >> 24);
	(void)dns_name_from_text(text, ret);
}

/* Appends the domain to a relative name ("alpha" -> "alpha.lab"). */
static int name_in_domain(const struct dns_zone *z, const char *label, struct dns_name *ret)
{
	char text[DNS_MAX_NAME * 2];

	if ((size_t)snprintf(text, sizeof(text), "%s.%s", label, z->domain_text) >= sizeof(text))
		return -EINVAL;
	return dns_name_from_text(text, ret);
}

/* Config record names: a name without a dot is relative to the domain, one
 * with a dot (or a trailing dot) is absolute. */
static int config_name(const struct dns_zone *z, const char *text, struct dns_name *ret)
{
	if (strchr(text, '.'))
		return dns_name_from_text(text, ret);
	return name_in_domain(z, text, ret);
}

static int add_ptr(struct dns_zone *z, struct in_addr ip, const struct dns_name *target, bool dynamic)
{
	struct dns_name rn;
	struct zone_node *e;

	rev_name(ip, &rn);
	if (!(e = node_get(z, &rn, dynamic)))
		return -ENOSPC;
	if (e->has_ptr && !e->ptr_dynamic)
		return 0;              /* a reservation or static record wins */
	e->has_ptr = true;
	e->ptr_dynamic = dynamic;
	e->ptr = *target;
	return 0;
}

static int zone_add_hosts(struct dns_zone *z, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		const struct host *h = &cfg->hosts[i];
		struct dns_name n;
		struct zone_node *e;
		int r;
		if ((r = name_in_domain(z, h->name, &n)) < 0)
			return r;
		if (!(e = node_get(z, &n, false)))
			return -ENOMEM;
		for (size_t j = 0; j < h->n_nics; j++) {
			if (!h->nics[j].ip.s_addr)
				continue;
			if ((r = node_add_addr(e, h->nics[j].ip, false)) < 0 ||
			    (r = add_ptr(z, h->nics[j].ip, &e->name, false)) < 0)
				return r;
		}
	}
	return 0;
}

static int zone_add_record(struct dns_zone *z, const struct dns_record *rec)
{
	struct dns_name n, target;
	struct zone_node *e;
	int r;

	if ((r = config_name(z, rec->name, &n)) < 0)
		return r;
	if (!(e = node_get(z, &n, false)))
		return -ENOMEM;
	switch (rec->type) {
	case DNS_TYPE_A:
		return node_add_addr(e, rec->a, false);
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		if ((r = config_name(z, rec->target, &target)) < 0)
			return r;
		dns_name_lower(&target);
		if (rec->type == DNS_TYPE_CNAME) {
			e->has_cname = true;
			e->cname = target;
		} else {
			e->has_ptr = true;
			e->ptr_dynamic = false;
			e->ptr = target;
		}
		return 0;
	case DNS_TYPE_TXT:
		if (e->n_txt >= ZONE_MAX_TXT)
			return -ENOSPC;
		e->txt[e->n_txt++] = rec->target;
		return 0;
	}
	return -EINVAL;
}

static void subnet_add(struct dns_zone *z, struct in_addr addr, struct in_addr mask)
{
	uint32_t m = mask.s_addr ? ntohl(mask.s_addr) : 0xffffff00u;
	uint32_t net = ntohl(addr.s_addr) & m;
	unsigned octets = (unsigned)__builtin_popcount(m) / 8;
	char text[64] = "in-addr.arpa";
	struct subnet *s;

	for (size_t i = 0; i < z->n_subnets; i++)
		if (z->subnets[i].net == net && z->subnets[i].mask == m)
			return;
	if (z->n_subnets >= ZONE_MAX_SUBNETS)
		return;
	for (unsigned i = 0; i < octets; i++) {
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%u.%s", (net >> (24 - 8 * i)) & 0xff, text);
		memcpy(text, tmp, sizeof(text));
	}
	s = &z->subnets[z->n_subnets++];
	s->net = net;
	s->mask = m;
	(void)dns_name_from_text(text, &s->rev_zone);
}

static int zone_init_names(struct dns_zone *z, const struct config *cfg)
{
	const char *domain = cfg->dhcp.domain ? cfg->dhcp.domain : DNS_ZONE_DEFAULT_DOMAIN;
	int r;

	if (strlen(domain) >= sizeof(z->domain_text) || (r = dns_name_from_text(domain, &z->domain)) < 0)
		return -EINVAL;
	dns_name_lower(&z->domain);
	(void)dns_name_to_text(&z->domain, z->domain_text, sizeof(z->domain_text));
	if ((r = name_in_domain(z, "ns", &z->ns_name)) < 0 ||
	    (r = name_in_domain(z, "hostmaster", &z->hostmaster)) < 0)
		return r;
	return 0;
}

int dns_zone_new(const struct config *cfg, const struct dns_zone_params *p, struct dns_zone **ret)
{
	struct dns_zone *z = calloc(1, sizeof(*z));
	int r;

	if (!z)
		return -ENOMEM;
	z->server = p->server;
	z->serial = p->serial;
	z->ttl = cfg->dns_ttl;
	if ((r = zone_init_names(z, cfg)) < 0 || (r = zone_add_hosts(z, cfg)) < 0)
		goto fail;
	for (size_t i = 0; i < cfg->n_dns_records; i++)
		if ((r = zone_add_record(z, &cfg->dns_records[i])) < 0)
			goto fail;
	/* ns.<domain>, unless the configuration names a host "ns" */
	if (z->server.s_addr && !node_find(z, &z->ns_name)) {
		struct zone_node *e = node_get(z, &z->ns_name, false);
		if (!e || (r = node_add_addr(e, z->server, false)) < 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct pool *pool = &cfg->pools[i];
		subnet_add(z, pool->start, pool->params.netmask.s_addr ? pool->params.netmask : cfg->dhcp.netmask);
	}
	if (z->server.s_addr)
		subnet_add(z, z->server, cfg->dhcp.netmask);
	*ret = z;
	return 0;
fail:
	dns_zone_free(z);
	return r;
}

void dns_zone_free(struct dns_zone *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < ZONE_BUCKETS; i++)
		for (struct zone_node *e = z->buckets[i], *next; e; e = next) {
			next = e->chain;
			free(e);
		}
	free(z);
}

const char *dns_zone_domain(const struct dns_zone *z)
{
	return z->domain_text;
}

/* ---- leases -------------------------------------------------------- */

/* The first label of a client's hostname, checked (RFC 952/1123 label). */
static int lease_label(const char *hostname, char out[DNS_MAX_LABEL + 1])
{
	size_t n = strcspn(hostname, ".");

	if (n == 0 || n > DNS_MAX_LABEL || hostname[0] == '-' || hostname[n - 1] == '-')
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)hostname[i]) && hostname[i] != '-')
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)hostname[i]);
	}
	out[n] = '\0';
	return 0;
}

int dns_zone_lease_add(struct dns_zone *z, const char *hostname, struct in_addr ip)
{
	char label[DNS_MAX_LABEL + 1];
	struct dns_name n;
	struct zone_node *e;
	int r;

	if ((r = lease_label(hostname, label)) < 0 || (r = name_in_domain(z, label, &n)) < 0)
		return r;
	if (!(e = node_get(z, &n, true)))
		return -ENOSPC;
	if (e->has_cname)
		return -EEXIST;
	if ((r = node_add_addr(e, ip, true)) < 0)
		return r;
	z->serial++;
	return add_ptr(z, ip, &e->name, true);
}

int dns_zone_lease_remove(struct dns_zone *z, const char *hostname, struct in_addr ip)
{
	char label[DNS_MAX_LABEL + 1];
	struct dns_name n, rn;
	struct zone_node *e;
	int r;

	if ((r = lease_label(hostname, label)) < 0 || (r = name_in_domain(z, label, &n)) < 0)
		return r;
	if ((e = node_find(z, &n))) {
		for (size_t i = 0; i < e->n_addrs; i++) {
			if (e->addrs[i].s_addr != ip.s_addr || !e->addr_dynamic[i])
				continue;
			e->n_addrs--;
			memmove(&e->addrs[i], &e->addrs[i + 1], (e->n_addrs - i) * sizeof(e->addrs[0]));
			memmove(&e->addr_dynamic[i], &e->addr_dynamic[i + 1], (e->n_addrs - i) * sizeof(bool));
			break;
		}
		node_drop_if_empty(z, e);
	}
	rev_name(ip, &rn);
	dns_name_lower(&n);
	if ((e = node_find(z, &rn)) && e->has_ptr && e->ptr_dynamic && dns_name_equal(&e->ptr, &n)) {
		e->has_ptr = false;
		node_drop_if_empty(z, e);
	}
	z->serial++;
	return 0;
}

bool dns_zone_client_allowed(const struct dns_zone *z, struct in_addr src)
{
	uint32_t a = ntohl(src.s_addr);

	if ((a >> 24) == 127 || (z->server.s_addr && src.s_addr == z->server.s_addr))
		return true;
	for (size_t i = 0; i < z->n_subnets; i++)
		if ((a & z->subnets[i].mask) == z->subnets[i].net)
			return true;
	return false;
}

/* ---- answers ------------------------------------------------------- */

/* Is n equal to or below zone? */
static bool name_under(const struct dns_name *n, const struct dns_name *zone)
{
	size_t i = 0;

	if (n->len < zone->len)
		return false;
	/* walk labels until the remaining suffix has the zone's length */
	while (n->len - i > zone->len && i < n->len && n->data[i] != 0)
		i += 1 + (size_t)n->data[i];
	if (n->len - i != zone->len)
		return false;
	struct dns_name suffix = { .len = zone->len };
	memcpy(suffix.data, n->data + i, zone->len);
	return dns_name_equal(&suffix, zone);
}

/* The served subnet whose reverse zone holds n, which must be the full
 * reverse name of one address ("d.c.b.a.in-addr.arpa"). */
static const struct subnet *rev_subnet(const struct dns_zone *z, const struct dns_name *n)
{
	char text[DNS_NAME_TEXT_MAX];
	unsigned o[4];
	char tail[16];
	int used = 0;

	if (dns_name_labels(n) != 6 || dns_name_to_text(n, text, sizeof(text)) < 0)
		return NULL;
	if (sscanf(text, "%3u.%3u.%3u.%3u.%15s%n", &o[0], &o[1], &o[2], &o[3], tail, &used) != 5 ||
	    (size_t)used != strlen(text) || strcasecmp(tail, "in-addr.arpa") != 0)
		return NULL;
	if (o[0] > 255 || o[1] > 255 || o[2] > 255 || o[3] > 255)
		return NULL;
	uint32_t a = o[3] << 24 | o[2] << 16 | o[1] << 8 | o[0];
	for (size_t i = 0; i < z->n_subnets; i++)
		if ((a & z->subnets[i].mask) == z->subnets[i].net)
			return &z->subnets[i];
	return NULL;
}

static void put_soa(const struct dns_zone *z, struct dns_builder *b, enum dns_section sec,
		    const struct dns_name *owner)
{
	/* serial, refresh, retry, expire, minimum (RFC 2308 4: negative TTL) */
	const uint32_t v[5] = { z->serial, 3600, 600, 86400, z->ttl };

	(void)dns_builder_rr_soa(b, sec, owner, z->ttl, &z->ns_name, &z->hostmaster, v);
}

static void put_node_rrs(const struct dns_zone *z, struct dns_builder *b, const struct zone_node *e,
			 const struct dns_name *owner, uint16_t qtype, unsigned *n_written)
{
	bool any = qtype == DNS_TYPE_ANY;

	if (qtype == DNS_TYPE_A || any)
		for (size_t i = 0; i < e->n_addrs; i++, (*n_written)++)
			(void)dns_builder_rr_raw(b, DNS_SEC_ANSWER, owner, DNS_TYPE_A, z->ttl, &e->addrs[i], 4);
	if (e->has_ptr && (qtype == DNS_TYPE_PTR || any)) {
		(void)dns_builder_rr_name(b, DNS_SEC_ANSWER, owner, DNS_TYPE_PTR, z->ttl, &e->ptr);
		(*n_written)++;
	}
	if (qtype == DNS_TYPE_TXT || any)
		for (size_t i = 0; i < e->n_txt; i++, (*n_written)++)
			(void)dns_builder_rr_txt(b, DNS_SEC_ANSWER, owner, z->ttl, e->txt[i]);
}

/* RFC 1034 4.3.2 step 3: the node's data, following local CNAMEs. */
static void answer_node(const struct dns_zone *z, struct dns_builder *b, const struct zone_node *e,
			const struct dns_name *owner, uint16_t qtype, unsigned *n_written)
{
	for (unsigned hops = 0; e && hops < DNS_ZONE_MAX_CNAME_CHAIN; hops++) {
		if (!e->has_cname || qtype == DNS_TYPE_CNAME) {
			if (e->has_cname) {
				(void)dns_builder_rr_name(b, DNS_SEC_ANSWER, owner, DNS_TYPE_CNAME, z->ttl, &e->cname);
				(*n_written)++;
			}
			put_node_rrs(z, b, e, owner, qtype, n_written);
			return;
		}
		(void)dns_builder_rr_name(b, DNS_SEC_ANSWER, owner, DNS_TYPE_CNAME, z->ttl, &e->cname);
		(*n_written)++;
		owner = &e->cname;
		e = node_find(z, &e->cname);
	}
}

static void answer_apex(const struct dns_zone *z, struct dns_builder *b, const struct dns_name *owner,
			uint16_t qtype, unsigned *n_written)
{
	if (qtype == DNS_TYPE_SOA || qtype == DNS_TYPE_ANY) {
		put_soa(z, b, DNS_SEC_ANSWER, owner);
		(*n_written)++;
	}
	if (qtype == DNS_TYPE_NS || qtype == DNS_TYPE_ANY) {
		(void)dns_builder_rr_name(b, DNS_SEC_ANSWER, owner, DNS_TYPE_NS, z->ttl, &z->ns_name);
		(*n_written)++;
		if (z->server.s_addr)
			(void)dns_builder_rr_raw(b, DNS_SEC_ADDITIONAL, &z->ns_name, DNS_TYPE_A, z->ttl,
						 &z->server, 4);
	}
}

enum dns_zone_verdict dns_zone_answer(const struct dns_zone *z, const struct dns_question *q,
				      struct dns_builder *b, unsigned *ret_rcode)
{
	const struct zone_node *e;
	const struct subnet *sn = NULL;
	struct dns_name n = q->name;
	unsigned n_written = 0;
	bool apex, in_zone, bare = false;

	if (q->qclass != DNS_CLASS_IN && q->qclass != DNS_CLASS_ANY)
		return DNS_ZONE_FORWARD;
	dns_name_lower(&n);
	apex = dns_name_equal(&n, &z->domain);
	in_zone = name_under(&n, &z->domain);
	e = node_find(z, &n);
	if (!e && !in_zone && dns_name_labels(&n) == 1) {
		/* a bare host name: expanded with the domain (dnsmasq expand-hosts) */
		char label[DNS_NAME_TEXT_MAX];
		struct dns_name full;
		if (dns_name_to_text(&n, label, sizeof(label)) < 0 || name_in_domain(z, label, &full) < 0 ||
		    !(e = node_find(z, &full)))
			return DNS_ZONE_FORWARD;
		bare = true;
	}
	if (!in_zone)
		sn = rev_subnet(z, &n);
	if (!e && !in_zone && !sn)
		return DNS_ZONE_FORWARD;

	*ret_rcode = DNS_RCODE_NOERROR;
	if (apex)
		answer_apex(z, b, &q->name, q->qtype, &n_written);
	if (e)
		answer_node(z, b, e, &q->name, q->qtype, &n_written);
	if (!e && !apex)
		*ret_rcode = DNS_RCODE_NXDOMAIN;
	/* RFC 2308 3: NXDOMAIN and NODATA carry the zone's SOA in authority */
	if (n_written == 0) {
		if (sn)
			put_soa(z, b, DNS_SEC_AUTHORITY, &sn->rev_zone);
		else if (in_zone || bare)
			put_soa(z, b, DNS_SEC_AUTHORITY, &z->domain);
	}
	return DNS_ZONE_ANSWERED;
}
