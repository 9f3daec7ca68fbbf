/* DHCPv4 server: sockets on the configured interfaces, batching of lease
 * writes, and the policy core (dhcp_policy.h) in between. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct config;
struct loop;
struct store;
struct metrics;
struct dhcp_server;

/* Told about every lease with a hostname that starts (bound) or ends. */
typedef void (*dhcp_lease_hook)(void *userdata, const char *hostname, struct in_addr ip, bool bound);

/* metrics may be NULL. */
int dhcp_server_new(const struct config *cfg, struct loop *loop, struct store *st, struct metrics *metrics,
		    struct dhcp_server **ret);
void dhcp_server_set_lease_hook(struct dhcp_server *srv, dhcp_lease_hook fn, void *userdata);
void dhcp_server_free(struct dhcp_server *srv);
/* A reloaded configuration: hosts, pools and options change, the lease
 * table and the sockets stay. cfg must outlive the server's use of it. */
int dhcp_server_reconfigure(struct dhcp_server *srv, const struct config *cfg);

/* Did this MAC boot from the network through us in the last two minutes? */
bool dhcp_server_recent_netboot(const struct dhcp_server *srv, const uint8_t mac[6]);
