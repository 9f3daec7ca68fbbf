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
 * kernel, initrd, booted...). mac may be NULL when unknown. The newest
 * STORE_EVENTS_MAX are kept: a flood of netboot DISCOVERs or TFTP requests
 * must not fill the disk. */
#define STORE_EVENTS_MAX 1000000
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

/* Hosts added at runtime (labboot host add, the API): a name and its
 * settings as "key = value" lines, the grammar of a [host] section. */
#define STORE_HOST_SETTINGS_MAX 4096
int store_host_put(struct store *st, const char *name, const char *settings);
/* -ENOENT if there is no such runtime host. */
int store_host_delete(struct store *st, const char *name);
typedef int (*store_host_fn)(const char *name, const char *settings, void *userdata);
int store_host_foreach(struct store *st, store_host_fn fn, void *userdata);
/* The runtime hosts as [host "NAME"] sections (malloc'd, "" if none). */
int store_hosts_text(struct store *st, char **ret);

/* A host's one-shot next boot (an entry of its menu or an image); the
 * script that uses it clears it, unless it was set again meanwhile. */
#define STORE_ENTRY_MAX 160
int store_next_boot_set(struct store *st, const char *host, const char *entry);
/* 0 and entry filled, -ENOENT if none is set. */
int store_next_boot_get(struct store *st, const char *host, char *entry, size_t size);
/* Clears it if it is still entry (NULL: whatever it is). */
int store_next_boot_clear(struct store *st, const char *host, const char *entry);

/* Machines that netbooted: every MAC's first and last DHCP DISCOVER and
 * the last one's event detail (address, arch, vendor class). At most
 * STORE_MACHINES_MAX are kept, the most recently seen. */
#define STORE_MACHINES_MAX 10000
struct machine {
	uint8_t mac[6];
	uint64_t first_ms, last_ms;
	char detail[256];
};
typedef int (*store_machine_fn)(const struct machine *m, void *userdata);
/* Newest first. */
int store_machine_foreach(struct store *st, store_machine_fn fn, void *userdata);
int store_machine_delete(struct store *st, const uint8_t mac[6]);
