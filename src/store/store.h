/* Persistent state in SQLite (WAL): leases, boot events. Every function is
 * safe to call from any thread (one connection behind a recursive mutex;
 * boot events go through a queue and a writer thread);
 * store_begin()/store_commit() bracket a batch that becomes durable (fsync)
 * at commit, before any reply that depends on it is sent. */
#pragma once
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_HOSTNAME_MAX 64
#define STORE_CLIENT_ID_MAX 64

struct store;

enum lease_state {
	LEASE_FREE = 0,       /* only in memory: never persisted */
	LEASE_OFFERED = 1,    /* only in memory: held for a client we offered it to */
	LEASE_BOUND = 2,
	LEASE_RELEASED = 3,   /* client gave it back; remembered for its next request */
	LEASE_DECLINED = 4,   /* a client found it in use: quarantined until expiry */
};
const char *lease_state_name(enum lease_state s);

struct lease {
	struct in_addr ip;
	uint8_t mac[6];
	enum lease_state state;
	uint64_t expires;                 /* unix time, seconds */
	char hostname[STORE_HOSTNAME_MAX];
	uint8_t client_id[STORE_CLIENT_ID_MAX];
	uint8_t client_id_len;
};

/* Opens (creating and migrating as needed) DIR/labboot.db. */
int store_open(const char *dir, struct store **ret);
void store_close(struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Leases are keyed by address: an address has at most one lease. */
int store_lease_put(struct store *st, const struct lease *l);
int store_lease_delete(struct store *st, struct in_addr ip);
typedef int (*store_lease_fn)(const struct lease *l, void *userdata);
int store_lease_foreach(struct store *st, store_lease_fn fn, void *userdata);
/* 0 and *ret filled, -ENOENT if none. */
int store_lease_by_ip(struct store *st, struct in_addr ip, struct lease *ret);
int store_lease_by_mac(struct store *st, const uint8_t mac[6], struct lease *ret);

/* Boot events: one row per step of a machine's boot (dhcp, tftp, script,
 * kernel, initrd, booted...). mac may be NULL when unknown. */
struct boot_event {
	int64_t id;
	uint64_t ts_ms;                   /* unix time, milliseconds */
	uint8_t mac[6];
	bool has_mac;
	char host[STORE_HOSTNAME_MAX];
	char kind[32];
	char detail[256];
};
/* Queues the event (timestamped now) for the store's writer thread, which
 * commits queued events in batches; it is in the database within
 * milliseconds, and store_event_foreach() and store_close() wait for it. */
int store_event_add(struct store *st, const uint8_t *mac, const char *host, const char *kind,
		    const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));
/* Returns once every event queued before the call is written. */
void store_event_flush(struct store *st);
typedef int (*store_event_fn)(const struct boot_event *ev, void *userdata);
/* Events of one MAC (mac != NULL) or of all, oldest first, since since_ms. */
int store_event_foreach(struct store *st, const uint8_t *mac, uint64_t since_ms,
			store_event_fn fn, void *userdata);
