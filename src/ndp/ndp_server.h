/* Answers IPv6 Router Solicitations from machines that are network booting
 * through us, so iPXE stops waiting for a router advertisement that never
 * comes on an IPv4-only LAN (about 13 s per boot with Debian's iPXE).
 * Only those machines get an answer, by unicast: other hosts, and LANs with
 * a real IPv6 router, see nothing from labboot. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct config;
struct loop;
struct ndp_server;

/* Is this MAC booting through us right now? (The DHCP server knows.) */
typedef bool (*ndp_client_filter)(void *userdata, const uint8_t mac[6]);

int ndp_server_new(const struct config *cfg, struct loop *loop, ndp_client_filter filter, void *userdata,
		   struct ndp_server **ret);
void ndp_server_free(struct ndp_server *srv);
