/* DNS server: sockets, timers and policy on top of the dns codec. */
#pragma once

struct config;
struct loop;
struct store;
struct metrics;
struct dns_server;

/* metrics may be NULL. */
int dns_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct metrics *metrics,
		   struct dns_server **ret);
void dns_server_free(struct dns_server *srv);
/* A reloaded configuration: the zone is built again (leases from the
 * store); sockets, upstreams and the cache stay. */
int dns_server_reconfigure(struct dns_server *srv, const struct config *cfg);

#include <netinet/in.h>
#include <stdbool.h>
/* Called by the DHCP server when a lease carrying a hostname is bound
 * (bound=true) or ends (bound=false), so the name resolves while it lives. */
void dns_server_lease_changed(struct dns_server *srv, const char *hostname, struct in_addr ip, bool bound);
