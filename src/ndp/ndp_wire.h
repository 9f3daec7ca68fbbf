/* IPv6 Neighbor Discovery (RFC 4861) codec, the two messages labboot needs:
 * Router Solicitation in, Router Advertisement out. Pure. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define NDP_ROUTER_SOLICIT 133
#define NDP_ROUTER_ADVERT 134
#define NDP_OPT_SOURCE_LL 1
#define NDP_RA_LEN 16                 /* header without options */
#define NDP_RA_MAX (NDP_RA_LEN + 8)   /* with the source link-layer option */

struct ndp_solicit {
	uint8_t source_mac[6];
	int has_source_mac;
};

/* RFC 4861 6.1.1: ICMP type 133, code 0, length >= 8, options well formed
 * (none of length zero, none past the end). -EBADMSG otherwise. */
int ndp_solicit_parse(const uint8_t *buf, size_t len, struct ndp_solicit *ret);

/* The MAC inside a modified EUI-64 interface identifier (RFC 4291 2.5.1),
 * as in the link-local address of iPXE and most hosts. -ENOENT if the
 * address is not of that form. */
int ndp_mac_from_eui64(const uint8_t addr[16], uint8_t mac[6]);

/* A Router Advertisement that tells a host there is no IPv6 router and no
 * DHCPv6 here (router lifetime 0, M=O=0, no prefixes), with our MAC as the
 * source link-layer option. The checksum is left to the kernel. Returns the
 * length written (size must be >= NDP_RA_MAX). */
int ndp_advert_build(uint8_t *buf, size_t size, const uint8_t our_mac[6]);
