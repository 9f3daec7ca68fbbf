/* libFuzzer target for the DNS codec: query and response parsing, TTL
 * ageing, the relay rewrite and re-encoding of whatever question parsed. */
#include "dns/dns_relay.h"
#include "dns/dns_wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[DNS_MSG_MAX], out[DNS_MSG_MAX];
	struct dns_response_info info;
	struct dns_query q;
	char text[DNS_NAME_TEXT_MAX];

	if (size > DNS_MSG_MAX)
		return 0;
	memcpy(copy, data, size);
	if (dns_query_parse(data, size, &q) == 0) {
		struct dns_builder b;
		struct dns_name back;
		(void)dns_name_to_text(&q.q.name, text, sizeof(text));
		dns_builder_init(&b, out, sizeof(out));
		if (dns_builder_header(&b) == 0 && dns_builder_question(&b, &q.q) == 0) {
			(void)dns_builder_rr_name(&b, DNS_SEC_ANSWER, &q.q.name, DNS_TYPE_CNAME, 60, &q.q.name);
			(void)dns_builder_opt(&b, DNS_UDP_MAX, 0);
			size_t len = dns_builder_finish(&b, 1, DNS_F_QR);
			if (dns_response_parse(out, len, &info) != 0)
				abort();   /* what we build must parse */
		}
		if (dns_name_from_text(text, &back) == 0 && !strchr(text, '\\') && !dns_name_equal(&back, &q.q.name))
			abort();
	}
	if (dns_response_parse(copy, size, &info) == 0) {
		size_t len = dns_relay_strip_opt(copy, &info);
		if (info.has_question) {
			struct dns_query cq = { .hdr = { .id = 7 }, .q = info.q, .edns = { .present = size & 1 } };
			(void)dns_relay_reply(out, dns_reply_limit(&cq, false), copy, len, &cq, 30);
		}
		(void)dns_msg_age_ttls(copy, len, 5);
	}
	return 0;
}
