/* The local zone: the lab domain (reservations, dynamic leases, static
 * records, SOA/NS), reverse names of the served subnets, and which clients
 * may use the server. Pure: built from the configuration, answers into a
 * dns_builder, no I/O. */
#pragma once
#include "dns/dns_wire.h"

#include <netinet/in.h>

#define DNS_ZONE_MAX_ADDRS 16         /* A records per name */
#define DNS_ZONE_MAX_DYNAMIC 65536    /* names created by leases */
#define DNS_ZONE_MAX_CNAME_CHAIN 8    /* local CNAMEs followed in one answer */
#define DNS_ZONE_DEFAULT_DOMAIN "lab"

struct config;
struct dns_zone;

struct dns_zone_params {
	struct in_addr server;        /* answers ns.<domain>; 0 if unknown */
	uint32_t serial;              /* SOA serial to start from */
};

int dns_zone_new(const struct config *cfg, const struct dns_zone_params *p, struct dns_zone **ret);
void dns_zone_free(struct dns_zone *z);

/* A lease with a client-chosen hostname starts (add) or ends (remove). The
 * first label is used; it must be a valid host label. -EINVAL if not,
 * -ENOSPC when the zone is full. */
int dns_zone_lease_add(struct dns_zone *z, const char *hostname, struct in_addr ip);
int dns_zone_lease_remove(struct dns_zone *z, const char *hostname, struct in_addr ip);

/* Loopback, the server itself, or a host in a served subnet. */
bool dns_zone_client_allowed(const struct dns_zone *z, struct in_addr src);

enum dns_zone_verdict {
	DNS_ZONE_FORWARD,             /* not ours: ask the upstreams */
	DNS_ZONE_ANSWERED,            /* answer/authority written, *ret_rcode set */
};

/* The builder must hold the header and question already. */
enum dns_zone_verdict dns_zone_answer(const struct dns_zone *z, const struct dns_question *q,
				      struct dns_builder *b, unsigned *ret_rcode);
const char *dns_zone_domain(const struct dns_zone *z);
