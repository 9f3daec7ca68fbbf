/* Rewriting upstream responses: normalised for the cache (no OPT), then
 * turned into a client's reply (its ID, its question's letter case, TTLs
 * aged, its EDNS, truncated to what it can receive). Pure. */
#pragma once
#include "dns/dns_wire.h"

/* In place: drops the OPT RR (and any RR after it) and trailing bytes.
 * Returns the new length. */
size_t dns_relay_strip_opt(uint8_t *msg, const struct dns_response_info *info);

/* The largest reply a client can take: 65535 over TCP, else its EDNS UDP
 * size clamped to [512, DNS_UDP_MAX], 512 without EDNS. */
size_t dns_reply_limit(const struct dns_query *cq, bool tcp);

/* Builds into out (cap >= limit) the reply to cq from a stored response msg
 * (no OPT) that is `age` seconds old. Returns the length, 0 on error. */
size_t dns_relay_reply(uint8_t *out, size_t limit, const uint8_t *msg, size_t len,
		       const struct dns_query *cq, uint32_t age);
