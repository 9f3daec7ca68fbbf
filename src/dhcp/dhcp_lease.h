/* In-memory lease table: every lease the server knows (offered, bound,
 * released, declined), indexed by address and by MAC. The store holds the
 * durable copy of all but offers; this table is rebuilt from it at start. */
#pragma once
#include "store/store.h"

#define LEASE_TABLE_MAX 262144        /* cap: a hostile flood of MACs stops here */

struct lease_table;

int lease_table_new(struct lease_table **ret);
void lease_table_free(struct lease_table *t);
size_t lease_table_count(const struct lease_table *t);

struct lease *lease_table_by_ip(const struct lease_table *t, struct in_addr ip);
/* The MAC's lease with an address in [lo, hi] (host order), preferring a
 * bound one; NULL if none. */
struct lease *lease_table_by_mac(const struct lease_table *t, const uint8_t mac[6], uint32_t lo, uint32_t hi);
/* Inserts a copy; the address must not be in the table. -E2BIG when full. */
int lease_table_insert(struct lease_table *t, const struct lease *l, struct lease **ret);
/* Changes the owner of an existing entry (keeps it indexed correctly). */
void lease_table_set_mac(struct lease_table *t, struct lease *l, const uint8_t mac[6]);
void lease_table_remove(struct lease_table *t, struct lease *l);

typedef void (*lease_table_fn)(struct lease *l, void *userdata);
void lease_table_foreach(struct lease_table *t, lease_table_fn fn, void *userdata);
