/* See dns_rrl.h. */
#include "dns/dns_rrl.h"

#include <string.h>

#define MILLI 1000u

void dns_rrl_init(struct dns_rrl *r, uint32_t seed)
{
	memset(r, 0, sizeof(*r));
	r->seed = seed;
}

static uint32_t slot_of(const struct dns_rrl *r, uint32_t addr)
{
	uint32_t h = (addr ^ r->seed) * 0x9e3779b1u; /* Fibonacci hashing: the high bits are mixed */

	h ^= h >> 16;
	return (h * 0x85ebca6bu) >> (32 - 12);
}
_Static_assert(DNS_RRL_TABLE == 1u << 12, "slot_of() takes 12 bits");

/* Its entry, else a free slot, else the slot idle longest; of those idle
 * as long, the fullest, whose client loses least with its history. */
static struct dns_rrl_entry *entry_for(struct dns_rrl *r, uint32_t addr, uint64_t burst, uint64_t now_ms)
{
	uint32_t first = slot_of(r, addr);
	struct dns_rrl_entry *victim = NULL;

	for (uint32_t i = 0; i < DNS_RRL_PROBE; i++) {
		struct dns_rrl_entry *e = &r->e[(first + i) & (DNS_RRL_TABLE - 1)];
		if (e->last_ms && e->addr == addr)
			return e;
		if (!victim || e->last_ms < victim->last_ms ||
		    (e->last_ms == victim->last_ms && e->tokens > victim->tokens))
			victim = e;
	}
	*victim = (struct dns_rrl_entry){ .addr = addr, .tokens = burst, .last_ms = now_ms };
	return victim;
}

enum dns_rrl_verdict dns_rrl_check(struct dns_rrl *r, uint32_t addr, uint32_t rate, uint64_t now_ms)
{
	uint64_t burst = 2ull * rate * MILLI, refill;
	struct dns_rrl_entry *e;

	if (rate == 0)
		return DNS_RRL_PASS;
	if (now_ms == 0)
		now_ms = 1; /* 0 marks a free slot */
	e = entry_for(r, addr, burst, now_ms);
	if (now_ms > e->last_ms) {
		/* (ms elapsed) x (queries per s) = thousandths of a query; an idle
		 * entry fills up in 2 s, so the product is capped before it can
		 * overflow */
		uint64_t ms = now_ms - e->last_ms;
		refill = ms > 2000 ? burst : ms * rate;
		e->tokens = e->tokens + refill > burst ? burst : e->tokens + refill;
		e->last_ms = now_ms;
	}
	if (e->tokens >= MILLI) {
		e->tokens -= MILLI;
		e->over = 0;
		return DNS_RRL_PASS;
	}
	return ++e->over % DNS_RRL_SLIP == 0 ? DNS_RRL_SLIP_TC : DNS_RRL_DROP;
}
