/* Response rate limiting per client address (the idea of BIND's RRL, kept
 * simple): a token bucket per IPv4 address, refilled at `rate` queries per
 * second up to a burst of twice that. Over the rate, a query is dropped,
 * except every DNS_RRL_SLIP-th, which is answered with TC=1 so that a real
 * client behind a forged flood can still get its answer over TCP.
 *
 * The table has DNS_RRL_TABLE entries; an address finds its entry among
 * DNS_RRL_PROBE slots, and when all of them are taken the one idle longest
 * is evicted: a flood from many addresses costs no memory, and at worst
 * hands a fresh (full) bucket to an address whose entry it evicted. Pure:
 * the time is passed in. */
#pragma once
#include <stdint.h>

#define DNS_RRL_TABLE 4096            /* addresses tracked (a power of two) */
#define DNS_RRL_PROBE 8               /* slots an address may take */
#define DNS_RRL_SLIP 2                /* every 2nd query over the rate: TC=1 */

enum dns_rrl_verdict {
	DNS_RRL_PASS,
	DNS_RRL_SLIP_TC,              /* answer with TC=1 only */
	DNS_RRL_DROP,
};

struct dns_rrl_entry {
	uint32_t addr;                /* network order */
	uint32_t over;                /* queries over the rate, for the slip */
	uint64_t tokens;              /* thousandths of a query */
	uint64_t last_ms;             /* 0: slot free */
};

struct dns_rrl {
	uint32_t seed;                /* so that colliding addresses cannot be picked */
	struct dns_rrl_entry e[DNS_RRL_TABLE];
};

void dns_rrl_init(struct dns_rrl *r, uint32_t seed);
/* One query from addr at now_ms (>0, monotonic); rate 0: no limit. */
enum dns_rrl_verdict dns_rrl_check(struct dns_rrl *r, uint32_t addr, uint32_t rate, uint64_t now_ms);
