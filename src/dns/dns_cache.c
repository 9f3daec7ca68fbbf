/* Answer cache: chained hash table with a seeded hash (so remote clients
 * cannot aim at one bucket), a cap per chain, and an LRU list. */
#include "dns/dns_cache.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>

struct cache_entry {
	struct dns_question key;      /* name lowered */
	uint8_t *msg;
	size_t len;
	uint64_t stored_ms, expires_ms;
	uint32_t hash;
	struct cache_entry *chain;
	struct cache_entry *lru_prev, *lru_next;  /* head: most recently used */
};

struct dns_cache {
	struct cache_entry **buckets;
	size_t n_buckets;             /* power of two */
	size_t count, max_entries;
	uint64_t seed;
	struct cache_entry *lru_head, *lru_tail;
};

int dns_cache_new(size_t max_entries, uint64_t seed, struct dns_cache **ret)
{
	struct dns_cache *c = calloc(1, sizeof(*c));
	size_t n = 16;

	if (!c)
		return -ENOMEM;
	while (n < max_entries && n < (1u << 20))
		n <<= 1;
	c->buckets = calloc(n, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return -ENOMEM;
	}
	c->n_buckets = n;
	c->max_entries = max_entries;
	c->seed = seed;
	*ret = c;
	return 0;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	for (struct cache_entry *e = c->lru_head, *next; e; e = next) {
		next = e->lru_next;
		free(e->msg);
		free(e);
	}
	free(c->buckets);
	free(c);
}

size_t dns_cache_count(const struct dns_cache *c)
{
	return c->count;
}

/* FNV-1a over the seeded key, finished with a murmur3 mix. */
static uint32_t key_hash(const struct dns_cache *c, const struct dns_question *q)
{
	uint64_t h = 0xcbf29ce484222325ull ^ c->seed;

	for (size_t i = 0; i < q->name.len; i++) {
		uint8_t ch = q->name.data[i];
		h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)) * 0x100000001b3ull;
	}
	h = (h ^ q->qtype) * 0x100000001b3ull;
	h = (h ^ q->qclass) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static void lru_unlink(struct dns_cache *c, struct cache_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct dns_cache *c, struct cache_entry *e)
{
	e->lru_next = c->lru_head;
	e->lru_prev = NULL;
	if (c->lru_head)
		c->lru_head->lru_prev = e;
	c->lru_head = e;
	if (!c->lru_tail)
		c->lru_tail = e;
}

static void entry_remove(struct dns_cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->chain;
	if (*pp)
		*pp = e->chain;
	lru_unlink(c, e);
	free(e->msg);
	free(e);
	c->count--;
}

static struct cache_entry *entry_find(struct dns_cache *c, const struct dns_question *q, uint32_t h)
{
	for (struct cache_entry *e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->chain)
		if (e->hash == h && dns_question_equal(&e->key, q))
			return e;
	return NULL;
}

uint32_t dns_cache_ttl_for(const struct dns_response_info *info)
{
	unsigned rcode = info->hdr.flags & DNS_F_RCODE_MASK;

	if ((info->hdr.flags & DNS_F_TC) || !info->has_question)
		return 0;
	if (rcode == DNS_RCODE_NOERROR && info->hdr.ancount > 0)
		return info->min_ttl == UINT32_MAX ? 0 : MIN(info->min_ttl, (uint32_t)DNS_CACHE_MAX_TTL);
	if (rcode == DNS_RCODE_NXDOMAIN || rcode == DNS_RCODE_NOERROR)
		return info->has_soa ? MIN(info->soa_neg_ttl, (uint32_t)DNS_CACHE_MAX_NEG_TTL) : 0;
	return 0;                     /* SERVFAIL & co.: never cached */
}

int dns_cache_put(struct dns_cache *c, const struct dns_question *q, const uint8_t *msg, size_t len,
		  uint32_t ttl_s, uint64_t now_ms)
{
	uint32_t h = key_hash(c, q);
	struct cache_entry *e, *old;
	size_t chain_len = 0;

	if (c->max_entries == 0 || ttl_s == 0)
		return 0;
	if (len > DNS_CACHE_MAX_MSG)
		return -E2BIG;
	if ((old = entry_find(c, q, h)))
		entry_remove(c, old);
	/* the chain cap: drop the least recently used entry of this bucket */
	struct cache_entry *victim = NULL;
	for (e = c->buckets[h & (c->n_buckets - 1)]; e; e = e->chain, chain_len++)
		victim = e;   /* new entries go to the front: the last is the oldest */
	if (chain_len >= DNS_CACHE_MAX_CHAIN)
		entry_remove(c, victim);
	if (c->count >= c->max_entries)
		entry_remove(c, c->lru_tail);

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->msg = malloc(len);
	if (!e->msg) {
		free(e);
		return -ENOMEM;
	}
	memcpy(e->msg, msg, len);
	e->len = len;
	e->key = *q;
	dns_name_lower(&e->key.name);
	e->hash = h;
	e->stored_ms = now_ms;
	e->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	e->chain = c->buckets[h & (c->n_buckets - 1)];
	c->buckets[h & (c->n_buckets - 1)] = e;
	lru_push_front(c, e);
	c->count++;
	return 0;
}

int dns_cache_get(struct dns_cache *c, const struct dns_question *q, uint64_t now_ms,
		  const uint8_t **ret_msg, size_t *ret_len, uint32_t *ret_age_s)
{
	uint32_t h = key_hash(c, q);
	struct cache_entry *e = entry_find(c, q, h);

	if (!e)
		return -ENOENT;
	if (now_ms >= e->expires_ms) {
		entry_remove(c, e);
		return -ENOENT;
	}
	lru_unlink(c, e);
	lru_push_front(c, e);
	*ret_msg = e->msg;
	*ret_len = e->len;
	*ret_age_s = (uint32_t)((now_ms - e->stored_ms) / 1000);
	return 0;
}
