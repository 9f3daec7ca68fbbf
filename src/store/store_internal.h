/* The store's insides, shared by its files (store.c: leases and events;
 * store_hosts.c: runtime hosts, next boots, seen machines). */
#pragma once
#include "store/store.h"
#include "core/log.h"

#include <pthread.h>
#include <sqlite3.h>

/* Boot events waiting for the writer thread; a full queue makes the caller
 * wait (the writer drains thousands per transaction). */
#define STORE_EVENT_QUEUE_MAX 4096

struct event_queue {
	pthread_mutex_t lock;
	pthread_cond_t more;      /* writer: events queued or stopping */
	pthread_cond_t room;      /* producers and flushers: the writer moved on */
	struct boot_event *ev;    /* STORE_EVENT_QUEUE_MAX slots */
	struct boot_event *batch; /* the writer's copy of ev */
	size_t n;
	uint64_t queued, written; /* counters: a flush waits for written >= queued */
	bool stopping;
	pthread_t writer;
	bool writer_started;
};

/* The read-only connection of the lookups on the request paths (HTTP,
 * TFTP, DNS, the API): in WAL mode a reader sees the last commit and never
 * waits for a DHCP batch, which holds the writer from BEGIN to its fsync. */
struct store_reader {
	sqlite3 *db;
	pthread_mutex_t lock;
	sqlite3_stmt *lease_by_ip, *lease_by_mac;
};

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;     /* recursive: a batch holds it from begin to commit */
	sqlite3_stmt *lease_put, *lease_del, *event_add, *machine_seen;
	struct store_reader rd;
	struct event_queue events;
	pthread_mutex_t err_lock;
	struct ratelimit rl_err;  /* store errors, under err_lock */
};

/* Both log the SQLite error (rate-limited) and return it as a negative
 * errno: -ENOSPC (disk full), -EROFS, -EBUSY, -EBADMSG (damaged), -EIO. */
int sql_err(struct store *st, const char *what);
int exec_sql(struct store *st, const char *sql);
/* The same for the reader's connection. */
int sql_read_err(struct store *st, const char *what);

/* Every read through the reader: rd_begin() locks it and returns its
 * connection, rd_end() unlocks. */
sqlite3 *rd_begin(struct store *st);
void rd_end(struct store *st);

/* Called by the event writer, inside its transaction. */
void machine_seen(struct store *st, const struct boot_event *ev);
