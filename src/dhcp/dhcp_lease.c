/* Two chained hash tables over one set of entries. The struct lease is the
 * first member of an entry, so callers hold plain struct lease pointers. */
#include "dhcp/dhcp_lease.h"
#include "core/util.h"

#include <errno.h>

struct lease_entry {
	struct lease lease;
	struct lease_entry *next_by_ip;
	struct lease_entry *next_by_mac;
};

struct lease_table {
	struct lease_entry **by_ip;
	struct lease_entry **by_mac;
	size_t n_buckets;                 /* power of two */
	size_t count;
};

static size_t hash_ip(struct in_addr ip, size_t n)
{
	uint32_t h = ip.s_addr * 2654435761u;
	return (h ^ (h >> 16)) & (n - 1);
}

static size_t hash_mac(const uint8_t mac[6], size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32)) & (n - 1);
}

static int alloc_buckets(struct lease_table *t, size_t n)
{
	struct lease_entry **ip = calloc(n, sizeof(*ip)), **mac = calloc(n, sizeof(*mac));

	if (!ip || !mac) {
		free(ip);
		free(mac);
		return -ENOMEM;
	}
	t->by_ip = ip;
	t->by_mac = mac;
	t->n_buckets = n;
	return 0;
}

int lease_table_new(struct lease_table **ret)
{
	struct lease_table *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	if ((r = alloc_buckets(t, 256)) < 0) {
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

static void link_entry(struct lease_table *t, struct lease_entry *e)
{
	size_t i = hash_ip(e->lease.ip, t->n_buckets), m = hash_mac(e->lease.mac, t->n_buckets);

	e->next_by_ip = t->by_ip[i];
	t->by_ip[i] = e;
	e->next_by_mac = t->by_mac[m];
	t->by_mac[m] = e;
}

static void grow(struct lease_table *t)
{
	struct lease_entry **old_ip = t->by_ip, **old_mac = t->by_mac;
	size_t old_n = t->n_buckets;

	if (alloc_buckets(t, old_n * 2) < 0)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < old_n; i++) {
		struct lease_entry *e = old_ip[i];
		while (e) {
			struct lease_entry *next = e->next_by_ip;
			link_entry(t, e);
			e = next;
		}
	}
	free(old_ip);
	free(old_mac);
}

void lease_table_free(struct lease_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct lease_entry *e = t->by_ip[i];
		while (e) {
			struct lease_entry *next = e->next_by_ip;
			free(e);
			e = next;
		}
	}
	free(t->by_ip);
	free(t->by_mac);
	free(t);
}

size_t lease_table_count(const struct lease_table *t)
{
	return t->count;
}

struct lease *lease_table_by_ip(const struct lease_table *t, struct in_addr ip)
{
	for (struct lease_entry *e = t->by_ip[hash_ip(ip, t->n_buckets)]; e; e = e->next_by_ip)
		if (e->lease.ip.s_addr == ip.s_addr)
			return &e->lease;
	return NULL;
}

struct lease *lease_table_by_mac(const struct lease_table *t, const uint8_t mac[6], uint32_t lo, uint32_t hi)
{
	struct lease *best = NULL;

	for (struct lease_entry *e = t->by_mac[hash_mac(mac, t->n_buckets)]; e; e = e->next_by_mac) {
		uint32_t a = ntohl(e->lease.ip.s_addr);
		if (memcmp(e->lease.mac, mac, 6) != 0 || a < lo || a > hi)
			continue;
		if (e->lease.state == LEASE_DECLINED)
			continue;
		if (!best || e->lease.state == LEASE_BOUND)
			best = &e->lease;
	}
	return best;
}

int lease_table_insert(struct lease_table *t, const struct lease *l, struct lease **ret)
{
	struct lease_entry *e;

	if (lease_table_by_ip(t, l->ip))
		return -EEXIST;
	if (t->count >= LEASE_TABLE_MAX)
		return -E2BIG;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->lease = *l;
	if (t->count >= t->n_buckets)
		grow(t);
	link_entry(t, e);
	t->count++;
	if (ret)
		*ret = &e->lease;
	return 0;
}

static void unlink_mac(struct lease_table *t, struct lease_entry *e)
{
	struct lease_entry **pp = &t->by_mac[hash_mac(e->lease.mac, t->n_buckets)];

	for (; *pp; pp = &(*pp)->next_by_mac) {
		if (*pp == e) {
			*pp = e->next_by_mac;
			return;
		}
	}
}

void lease_table_set_mac(struct lease_table *t, struct lease *l, const uint8_t mac[6])
{
	struct lease_entry *e = (struct lease_entry *)l;
	size_t m;

	if (memcmp(l->mac, mac, 6) == 0)
		return;
	unlink_mac(t, e);
	memcpy(l->mac, mac, 6);
	m = hash_mac(mac, t->n_buckets);
	e->next_by_mac = t->by_mac[m];
	t->by_mac[m] = e;
}

void lease_table_remove(struct lease_table *t, struct lease *l)
{
	struct lease_entry *e = (struct lease_entry *)l;
	struct lease_entry **pp = &t->by_ip[hash_ip(l->ip, t->n_buckets)];

	for (; *pp; pp = &(*pp)->next_by_ip) {
		if (*pp == e) {
			*pp = e->next_by_ip;
			break;
		}
	}
	unlink_mac(t, e);
	free(e);
	t->count--;
}

void lease_table_foreach(struct lease_table *t, lease_table_fn fn, void *userdata)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct lease_entry *e = t->by_ip[i];
		while (e) {
			struct lease_entry *next = e->next_by_ip;
			fn(&e->lease, userdata);
			e = next;
		}
	}
}
