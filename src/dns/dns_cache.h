/* Cache of upstream answers keyed by question (case-insensitive), bounded
 * in entries and message size, LRU eviction, TTLs honoured. Pure: the clock
 * is passed in. */
#pragma once
#include "dns/dns_wire.h"

#define DNS_CACHE_MAX_TTL 86400       /* cap on positive answers (s) */
#define DNS_CACHE_MAX_NEG_TTL 3600    /* RFC 2308 5: cap on negative answers (s) */
#define DNS_CACHE_MAX_MSG 4096        /* larger answers are not cached */
#define DNS_CACHE_MAX_CHAIN 8         /* entries per hash bucket, bounds lookups */

struct dns_cache;

int dns_cache_new(size_t max_entries, uint64_t seed, struct dns_cache **ret);
void dns_cache_free(struct dns_cache *c);

/* How long a response may be cached (0: not at all): min TTL of the answer
 * and authority RRs, or for NXDOMAIN/NODATA the SOA's negative TTL. */
uint32_t dns_cache_ttl_for(const struct dns_response_info *info);

/* Stores a copy of msg (a response without OPT). Replaces an older entry of
 * the same question. -E2BIG if msg is larger than DNS_CACHE_MAX_MSG. */
int dns_cache_put(struct dns_cache *c, const struct dns_question *q, const uint8_t *msg, size_t len,
		  uint32_t ttl_s, uint64_t now_ms);
/* 0 and the stored message (valid until the next put) with its age in
 * seconds; -ENOENT if absent or expired. */
int dns_cache_get(struct dns_cache *c, const struct dns_question *q, uint64_t now_ms,
		  const uint8_t **ret_msg, size_t *ret_len, uint32_t *ret_age_s);
size_t dns_cache_count(const struct dns_cache *c);
