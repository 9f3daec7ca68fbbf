/* The DHCP server's decisions, without I/O: given a parsed request and where
 * it came from, choose OFFER/ACK/NAK/nothing, update the lease table, build
 * the reply and say where it goes and what must be persisted first.
 * The clock is passed in; tests drive it directly. */
#pragma once
#include "core/config.h"
#include "dhcp/dhcp_lease.h"
#include "dhcp/dhcp_wire.h"

#define DHCP_OFFER_HOLD_S 60          /* an offered address is held this long */
#define DHCP_DECLINE_QUARANTINE_S 600 /* RFC 2131 3.1.5: a declined address rests */

struct dhcp_policy;

int dhcp_policy_new(const struct config *cfg, struct lease_table *leases, struct dhcp_policy **ret);
void dhcp_policy_free(struct dhcp_policy *p);

struct dhcp_rx {
	const struct dhcp_msg *msg;
	struct in_addr iface_addr;    /* our address on the receiving interface */
	struct in_addr iface_mask;    /* its netmask (0: unknown) */
	struct in_addr src;           /* datagram source */
	uint16_t src_port;
	bool port_4011;               /* arrived on the PXE proxy port */
	uint64_t now;                 /* unix seconds */
};

enum dhcp_dest {
	DHCP_DEST_NONE,               /* no reply */
	DHCP_DEST_BROADCAST,          /* 255.255.255.255 on the receiving interface */
	DHCP_DEST_UNICAST,            /* dest_ip: the IP stack resolves it */
	DHCP_DEST_UNICAST_HW,         /* dest_ip at chaddr: client without an address yet */
};

enum dhcp_lease_event { DHCP_LEASE_EVENT_NONE, DHCP_LEASE_EVENT_BOUND, DHCP_LEASE_EVENT_ENDED };

struct dhcp_reply {
	uint8_t buf[DHCP_MAX_MSG];
	size_t len;
	uint8_t type;                 /* OFFER, ACK, NAK */
	enum dhcp_dest dest;
	struct in_addr dest_ip;
	uint16_t dest_port;

	bool persist;                 /* write `lease` to the store before sending */
	struct lease lease;
	enum dhcp_lease_event event;  /* for DNS: lease (ip, hostname) bound or ended */

	/* for the log line and boot events */
	struct in_addr addr;
	char hostname[64];
	char boot_file[256];
	const char *why;              /* reason for NAK or silence */
};

/* Returns 0 with out->dest set (NONE when the request is ignored, out->why
 * says why), or -EBADMSG for a request that makes no sense. */
int dhcp_policy_handle(struct dhcp_policy *p, const struct dhcp_rx *rx, struct dhcp_reply *out);

/* Client architecture from option 93 (RFC 4578), -1 if absent. */
int dhcp_client_arch(const struct dhcp_msg *m);
bool dhcp_client_is_ipxe(const struct dhcp_msg *m);
/* iPXE announces what it was built with in option 175 (one sub-option per
 * feature); 0x14 is HTTPS. Debian's and QEMU's builds have none. */
#define DHCP_IPXE_FEATURE_HTTPS 0x14
bool dhcp_ipxe_has_feature(const struct dhcp_msg *m, uint8_t feature);
