#include "ndp/ndp_wire.h"

#include <errno.h>
#include <string.h>

int ndp_solicit_parse(const uint8_t *buf, size_t len, struct ndp_solicit *ret)
{
	struct ndp_solicit rs = { 0 };
	size_t off = 8;

	if (len < 8 || buf[0] != NDP_ROUTER_SOLICIT || buf[1] != 0)
		return -EBADMSG;
	while (off < len) {
		size_t olen;
		if (len - off < 2)
			return -EBADMSG;
		olen = (size_t)buf[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return -EBADMSG;
		if (buf[off] == NDP_OPT_SOURCE_LL && olen >= 8) {
			memcpy(rs.source_mac, buf + off + 2, 6);
			rs.has_source_mac = 1;
		}
		off += olen;
	}
	*ret = rs;
	return 0;
}

int ndp_advert_build(uint8_t *buf, size_t size, const uint8_t our_mac[6])
{
	if (size < NDP_RA_MAX)
		return -ENOSPC;
	memset(buf, 0, NDP_RA_MAX);
	buf[0] = NDP_ROUTER_ADVERT;
	/* cur hop limit 0 (unspecified), flags 0 (no DHCPv6), router
	 * lifetime 0 (not a default router), reachable and retrans 0 */
	buf[NDP_RA_LEN] = NDP_OPT_SOURCE_LL;
	buf[NDP_RA_LEN + 1] = 1;
	memcpy(buf + NDP_RA_LEN + 2, our_mac, 6);
	return NDP_RA_MAX;
}

int ndp_mac_from_eui64(const uint8_t addr[16], uint8_t mac[6])
{
	if (addr[11] != 0xff || addr[12] != 0xfe)
		return -ENOENT;
	mac[0] = addr[8] ^ 0x02;
	mac[1] = addr[9];
	mac[2] = addr[10];
	mac[3] = addr[13];
	mac[4] = addr[14];
	mac[5] = addr[15];
	return 0;
}
