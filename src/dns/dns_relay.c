/* Upstream answer -> cache entry -> client reply. */
#include "dns/dns_relay.h"
#include "core/util.h"

#include <string.h>

#define OPT_RR_LEN 11

size_t dns_relay_strip_opt(uint8_t *msg, const struct dns_response_info *info)
{
	if (!info->has_opt)
		return info->end;
	wr_be16(msg + 10, info->opt_ar_index);
	return info->opt_off;
}

size_t dns_reply_limit(const struct dns_query *cq, bool tcp)
{
	if (tcp)
		return DNS_MSG_MAX;
	if (!cq->edns.present)
		return DNS_UDP_MIN;
	return MAX((size_t)DNS_UDP_MIN, MIN((size_t)cq->edns.udp_size, (size_t)DNS_UDP_MAX));
}

static void put_opt(uint8_t *p)
{
	memset(p, 0, OPT_RR_LEN);
	wr_be16(p + 1, DNS_TYPE_OPT);
	wr_be16(p + 3, DNS_UDP_MAX);
}

size_t dns_relay_reply(uint8_t *out, size_t limit, const uint8_t *msg, size_t len,
		       const struct dns_query *cq, uint32_t age)
{
	size_t opt_len = cq->edns.present ? OPT_RR_LEN : 0;
	struct dns_question q;
	size_t pos = DNS_HDR_LEN;
	struct dns_header h;
	uint16_t flags;

	if (dns_header_parse(msg, len, &h) < 0 || h.qdcount != 1 ||
	    dns_question_read(msg, len, &pos, &q) < 0 || pos != (size_t)DNS_HDR_LEN + cq->q.name.len + 4 ||
	    !dns_question_equal(&q, &cq->q))
		return 0;
	flags = (uint16_t)((h.flags & ~(DNS_F_RD | DNS_F_AA | DNS_F_TC | DNS_F_AD)) |
			   (cq->hdr.flags & DNS_F_RD) | DNS_F_RA | DNS_F_QR);
	if (len + opt_len > limit) {
		/* RFC 2181 9: does not fit: the question alone with TC set */
		size_t qlen = DNS_HDR_LEN + cq->q.name.len + 4;
		if (qlen + opt_len > limit)
			return 0;
		memcpy(out, msg, qlen);
		h = (struct dns_header){ .qdcount = 1 };
		len = qlen;
		flags |= DNS_F_TC;
	} else {
		memcpy(out, msg, len);
		if (dns_msg_age_ttls(out, len, age) < 0)
			return 0;
	}
	/* the question as the client wrote it (0x20 letter case): same length,
	 * and never compressed at offset 12 */
	memcpy(out + DNS_HDR_LEN, cq->q.name.data, cq->q.name.len);
	h.id = cq->hdr.id;
	h.flags = flags;
	if (opt_len) {
		put_opt(out + len);
		len += opt_len;
		h.arcount++;
	}
	dns_header_write(out, &h);
	return len;
}
