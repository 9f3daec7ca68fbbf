/* Building a reply message: which options, in what room, and the network
 * boot answer (file, next-server, vendor class, PXE options). Pure. */
#pragma once
#include "dhcp/dhcp_policy.h"

struct reply_params {
	const struct config *cfg;
	const struct dhcp_rx *rx;
	uint8_t type;                 /* OFFER, ACK or NAK */
	struct in_addr server_id;
	uint32_t mask;                /* host order; 0: no address options */
	const struct dhcp_params *pool_par, *dflt_par;
	const struct host *host;      /* reservation, or NULL */
	const char *hostname;         /* "" for none */
	struct in_addr yiaddr, ciaddr;
	uint32_t lease_time;          /* 0: no lease options (INFORM, proxy) */
	bool boot_only;               /* proxyDHCP: boot information only */
	const char *message;          /* NAK reason (option 56) */
};

int dhcp_reply_build(const struct reply_params *rp, struct dhcp_reply *out);
