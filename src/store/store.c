/* SQLite-backed state. Schema changes are numbered migrations applied in
 * order inside one transaction each; PRAGMA user_version records the last. */
#include "store/store.h"
#include "store/store_internal.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int events_start(struct store *st);
static void events_stop(struct store *st);
static void events_free(struct store *st);

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE leases ("
	"  ip INTEGER PRIMARY KEY,"       /* host byte order */
	"  mac BLOB NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  hostname TEXT NOT NULL DEFAULT '',"
	"  client_id BLOB,"
	"  updated INTEGER NOT NULL);"
	"CREATE INDEX leases_mac ON leases(mac);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  ts INTEGER NOT NULL,"          /* unix ms */
	"  mac BLOB,"
	"  host TEXT NOT NULL DEFAULT '',"
	"  kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX events_mac_ts ON events(mac, ts);",
	/* 2 */
	"CREATE TABLE hosts ("             /* added at runtime: labboot host add */
	"  name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  settings TEXT NOT NULL,"        /* key = value lines of a [host] section */
	"  updated INTEGER NOT NULL);"
	"CREATE TABLE next_boot ("
	"  host TEXT PRIMARY KEY COLLATE NOCASE,"
	"  entry TEXT NOT NULL,"
	"  set_ts INTEGER NOT NULL);"
	"CREATE TABLE machines ("          /* every MAC that netbooted */
	"  mac BLOB PRIMARY KEY,"
	"  first_ts INTEGER NOT NULL,"
	"  last_ts INTEGER NOT NULL,"
	"  detail TEXT NOT NULL);"
	"CREATE INDEX machines_last ON machines(last_ts);",
};

const char *lease_state_name(enum lease_state s)
{
	switch (s) {
	case LEASE_FREE: return "free";
	case LEASE_OFFERED: return "offered";
	case LEASE_BOUND: return "bound";
	case LEASE_RELEASED: return "released";
	case LEASE_DECLINED: return "declined";
	}
	return "?";
}

/* What a failed statement means to the caller: a full or read-only state
 * disk is told apart from a damaged file, so the API can say which. */
static int store_errno(int code)
{
	switch (code & 0xff) {
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return -EBADMSG;
	case SQLITE_NOMEM: return -ENOMEM;
	default: return -EIO;
	}
}

/* A full disk fails every DHCP batch and every event write: one line per
 * failure would flood the log, so they are rate-limited (store-wide). */
static int report(struct store *st, sqlite3 *db, const char *what, const char *msg)
{
	int r = store_errno(sqlite3_errcode(db));

	pthread_mutex_lock(&st->err_lock);
	log_ratelimited(&st->rl_err, LOG_LEVEL_ERR, "store: %.60s: %s", what, msg ? msg : sqlite3_errmsg(db));
	pthread_mutex_unlock(&st->err_lock);
	return r;
}

int sql_err(struct store *st, const char *what)
{
	return report(st, st->db, what, NULL);
}

int sql_read_err(struct store *st, const char *what)
{
	return report(st, st->rd.db, what, NULL);
}

sqlite3 *rd_begin(struct store *st)
{
	pthread_mutex_lock(&st->rd.lock);
	return st->rd.db;
}

void rd_end(struct store *st)
{
	pthread_mutex_unlock(&st->rd.lock);
}

int exec_sql(struct store *st, const char *sql)
{
	char *msg = NULL;

	int r;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		r = report(st, st->db, sql, msg ? msg : "error");
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int migrate(struct store *st)
{
	sqlite3_stmt *q;
	int version, r;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		return sql_err(st, "user_version");
	version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	if (version > (int)ARRAY_SIZE(migrations)) {
		log_err("store: database schema %d is newer than this labboot (%zu): run the labboot"
			" that wrote it, or start this one with another [server] state-dir"
			" (README: The state database)", version, ARRAY_SIZE(migrations));
		return -EPROTO;
	}
	for (int v = version; v < (int)ARRAY_SIZE(migrations); v++) {
		char set[64];
		snprintf(set, sizeof(set), "PRAGMA user_version = %d;", v + 1);
		if ((r = exec_sql(st, "BEGIN IMMEDIATE")) < 0)
			return r;
		if ((r = exec_sql(st, migrations[v])) < 0 || (r = exec_sql(st, set)) < 0) {
			exec_sql(st, "ROLLBACK");
			return r;
		}
		if ((r = exec_sql(st, "COMMIT")) < 0)
			return r;
		log_info("store: migrated schema to version %d", v + 1);
	}
	return 0;
}

/* Why the database cannot be used, in a form the operator can act on. */
static int refuse(struct store *st, const char *dir, const char *path, const char *verdict)
{
	int code = sqlite3_errcode(st->db) & 0xff;

	if (verdict || code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
		log_err("store: %s is damaged (%s): labboot will not use it. Stop labboot, move the file"
			" (and its -wal and -shm) aside and start again with an empty state, or restore a copy"
			" (README: The state database)", path, verdict ? verdict : sqlite3_errmsg(st->db));
		return -EBADMSG;
	}
	if (access(dir, W_OK) < 0) {
		int r = -errno;
		log_err("store: cannot write %s (%s): labboot needs its state directory writable", dir, strerror(-r));
		return r;
	}
	log_err("store: cannot use %s: %s", path, sqlite3_errmsg(st->db));
	return store_errno(code);
}

/* A damaged file must stop the start with a message that says what to do,
 * not fail later on a lease write: PRAGMA quick_check reads every page
 * (milliseconds for a lab's database). */
static int check_integrity(struct store *st, const char *dir, const char *path)
{
	sqlite3_stmt *q = NULL;
	char verdict[256] = "";
	int r = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		r = refuse(st, dir, path, NULL);
	} else if (strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0) {
		snprintf(verdict, sizeof(verdict), "%s", (const char *)sqlite3_column_text(q, 0));
		for (char *p = verdict; *p; p++)
			if (*p == '\n')
				*p = ' ';
		r = refuse(st, dir, path, verdict);
	}
	sqlite3_finalize(q);
	return r;
}

static int prepare_all(struct store *st)
{
	struct { sqlite3_stmt **stmt; const char *sql; } q[] = {
		{ &st->lease_put, "INSERT OR REPLACE INTO leases(ip, mac, state, expires, hostname, client_id, updated)"
				  " VALUES(?, ?, ?, ?, ?, ?, ?)" },
		{ &st->lease_del, "DELETE FROM leases WHERE ip = ?" },
		{ &st->event_add, "INSERT INTO events(ts, mac, host, kind, detail) VALUES(?, ?, ?, ?, ?)" },
		{ &st->machine_seen, "INSERT INTO machines(mac, first_ts, last_ts, detail) VALUES(?1, ?2, ?2, ?3)"
				     " ON CONFLICT(mac) DO UPDATE SET last_ts = excluded.last_ts, detail = excluded.detail" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(q); i++)
		if (sqlite3_prepare_v3(st->db, q[i].sql, -1, SQLITE_PREPARE_PERSISTENT, q[i].stmt, NULL) != SQLITE_OK)
			return sql_err(st, "prepare");
	return 0;
}

/* After the migrations, so the reader sees the schema it expects. */
static int reader_open(struct store *st, const char *path)
{
	struct { sqlite3_stmt **stmt; const char *sql; } q[] = {
		{ &st->rd.lease_by_ip, "SELECT ip, mac, state, expires, hostname, client_id FROM leases WHERE ip = ?" },
		{ &st->rd.lease_by_mac, "SELECT ip, mac, state, expires, hostname, client_id FROM leases WHERE mac = ?"
					" ORDER BY state = 2 DESC, expires DESC LIMIT 1" },
	};

	if (sqlite3_open_v2(path, &st->rd.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return sql_read_err(st, "read connection");
	sqlite3_busy_timeout(st->rd.db, 5000);
	for (size_t i = 0; i < ARRAY_SIZE(q); i++)
		if (sqlite3_prepare_v3(st->rd.db, q[i].sql, -1, SQLITE_PREPARE_PERSISTENT, q[i].stmt, NULL) != SQLITE_OK)
			return sql_read_err(st, "prepare");
	return 0;
}

int store_open(const char *dir, struct store **ret)
{
	struct store *st;
	pthread_mutexattr_t attr;
	char *path;
	int r;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		r = -errno;
		log_err("store: cannot create %s: %s", dir, strerror(errno));
		return r;
	}
	if (asprintf(&path, "%s/labboot.db", dir) < 0)
		return -ENOMEM;
	st = calloc(1, sizeof(*st));
	if (!st) {
		free(path);
		return -ENOMEM;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutex_init(&st->rd.lock, &attr); /* a reader's callback may read again */
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&st->err_lock, NULL);
	st->rl_err = (struct ratelimit)RATELIMIT_INIT(10000, 10);
	r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (r != SQLITE_OK) {
		log_err("store: cannot open database in %s: %s", dir, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		r = -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* WAL + synchronous=FULL: a commit is on disk (fsynced) when it returns,
	 * so an ACK sent after commit survives kill -9 and power loss. */
	if ((r = check_integrity(st, dir, path)) < 0 ||
	    (r = exec_sql(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")) < 0 ||
	    (r = migrate(st)) < 0 || (r = prepare_all(st)) < 0 || (r = reader_open(st, path)) < 0 ||
	    (r = events_start(st)) < 0)
		goto fail;
	free(path);
	*ret = st;
	return 0;
fail:
	free(path);
	store_close(st);
	return r;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	events_stop(st);
	events_free(st);
	sqlite3_finalize(st->lease_put);
	sqlite3_finalize(st->lease_del);
	sqlite3_finalize(st->event_add);
	sqlite3_finalize(st->machine_seen);
	sqlite3_finalize(st->rd.lease_by_ip);
	sqlite3_finalize(st->rd.lease_by_mac);
	sqlite3_close(st->rd.db);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->rd.lock);
	pthread_mutex_destroy(&st->err_lock);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int store_begin(struct store *st)
{
	int r;

	pthread_mutex_lock(&st->lock);
	r = exec_sql(st, "BEGIN IMMEDIATE");
	if (r < 0)
		pthread_mutex_unlock(&st->lock);
	return r;
}

int store_commit(struct store *st)
{
	int r = exec_sql(st, "COMMIT");

	if (r < 0)
		exec_sql(st, "ROLLBACK");
	pthread_mutex_unlock(&st->lock);
	return r;
}

void store_rollback(struct store *st)
{
	exec_sql(st, "ROLLBACK");
	pthread_mutex_unlock(&st->lock);
}

/* Runs a prepared statement that returns no rows, under the lock. */
static int step_done(struct store *st, sqlite3_stmt *q, const char *what)
{
	int r = sqlite3_step(q) == SQLITE_DONE ? 0 : sql_err(st, what);

	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	pthread_mutex_unlock(&st->lock);
	return r;
}

int store_lease_put(struct store *st, const struct lease *l)
{
	sqlite3_stmt *q = st->lease_put;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_int64(q, 1, ntohl(l->ip.s_addr));
	sqlite3_bind_blob(q, 2, l->mac, 6, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, l->state);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)l->expires);
	sqlite3_bind_text(q, 5, l->hostname, -1, SQLITE_STATIC);
	if (l->client_id_len)
		sqlite3_bind_blob(q, 6, l->client_id, l->client_id_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)(now_realtime_ms() / 1000));
	return step_done(st, q, "lease put");
}

int store_lease_delete(struct store *st, struct in_addr ip)
{
	pthread_mutex_lock(&st->lock);
	sqlite3_bind_int64(st->lease_del, 1, ntohl(ip.s_addr));
	return step_done(st, st->lease_del, "lease delete");
}

static void lease_from_row(sqlite3_stmt *q, struct lease *l)
{
	const void *mac = sqlite3_column_blob(q, 1);
	const void *cid = sqlite3_column_blob(q, 5);
	int cid_len = sqlite3_column_bytes(q, 5);
	const unsigned char *name = sqlite3_column_text(q, 4);

	memset(l, 0, sizeof(*l));
	l->ip.s_addr = htonl((uint32_t)sqlite3_column_int64(q, 0));
	if (mac && sqlite3_column_bytes(q, 1) == 6)
		memcpy(l->mac, mac, 6);
	l->state = (enum lease_state)sqlite3_column_int(q, 2);
	l->expires = (uint64_t)sqlite3_column_int64(q, 3);
	if (name)
		snprintf(l->hostname, sizeof(l->hostname), "%s", name);
	if (cid && cid_len > 0 && cid_len <= STORE_CLIENT_ID_MAX) {
		memcpy(l->client_id, cid, (size_t)cid_len);
		l->client_id_len = (uint8_t)cid_len;
	}
}

int store_lease_foreach(struct store *st, store_lease_fn fn, void *userdata)
{
	sqlite3_stmt *q;
	int r = 0, s;

	if (sqlite3_prepare_v2(rd_begin(st), "SELECT ip, mac, state, expires, hostname, client_id FROM leases ORDER BY ip",
			       -1, &q, NULL) != SQLITE_OK) {
		r = sql_read_err(st, "lease list");
		goto out;
	}
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		struct lease l;
		lease_from_row(q, &l);
		if ((r = fn(&l, userdata)) != 0)
			break;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		r = sql_read_err(st, "lease list");
	sqlite3_finalize(q);
out:
	rd_end(st);
	return r;
}

static int lease_query_one(struct store *st, sqlite3_stmt *q, struct lease *ret)
{
	int s = sqlite3_step(q), r;

	if (s == SQLITE_ROW) {
		lease_from_row(q, ret);
		r = 0;
	} else {
		r = s == SQLITE_DONE ? -ENOENT : sql_read_err(st, "lease lookup");
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	rd_end(st);
	return r;
}

int store_lease_by_ip(struct store *st, struct in_addr ip, struct lease *ret)
{
	rd_begin(st);
	sqlite3_bind_int64(st->rd.lease_by_ip, 1, ntohl(ip.s_addr));
	return lease_query_one(st, st->rd.lease_by_ip, ret);
}

int store_lease_by_mac(struct store *st, const uint8_t mac[6], struct lease *ret)
{
	rd_begin(st);
	sqlite3_bind_blob(st->rd.lease_by_mac, 1, mac, 6, SQLITE_STATIC);
	return lease_query_one(st, st->rd.lease_by_mac, ret);
}

/* ---- boot events: queued by any thread, written by one ------------------- */

#define EVENTS_MAX_TEXT "1000000"
_Static_assert(STORE_EVENTS_MAX == 1000000, "EVENTS_MAX_TEXT is STORE_EVENTS_MAX");

static int event_insert(struct store *st, const struct boot_event *ev)
{
	sqlite3_stmt *q = st->event_add;
	int r;

	sqlite3_bind_int64(q, 1, (sqlite3_int64)ev->ts_ms);
	if (ev->has_mac)
		sqlite3_bind_blob(q, 2, ev->mac, 6, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, ev->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, ev->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, ev->detail, -1, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_DONE ? 0 : sql_err(st, "event add");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return r;
}

/* Events are diagnostics, one per HTTP request or TFTP transfer: written
 * in one transaction per batch with synchronous=NORMAL (WAL: consistent,
 * durable at the next FULL commit or checkpoint), so neither an fsync nor
 * the store lock is on the request path. Leases keep synchronous=FULL. */
static void events_write(struct store *st, const struct boot_event *ev, size_t n)
{
	pthread_mutex_lock(&st->lock);
	exec_sql(st, "PRAGMA synchronous=NORMAL");
	if (exec_sql(st, "BEGIN IMMEDIATE") == 0) {
		for (size_t i = 0; i < n; i++) {
			event_insert(st, &ev[i]);
			machine_seen(st, &ev[i]);
		}
		/* ids only grow (AUTOINCREMENT): a range on the rowid, cheap when empty */
		exec_sql(st, "DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - " EVENTS_MAX_TEXT);
		if (exec_sql(st, "COMMIT") < 0)
			exec_sql(st, "ROLLBACK");
	}
	exec_sql(st, "PRAGMA synchronous=FULL");
	pthread_mutex_unlock(&st->lock);
}

static void *event_writer(void *arg)
{
	struct store *st = arg;
	struct event_queue *eq = &st->events;
	size_t n;

	pthread_mutex_lock(&eq->lock);
	for (;;) {
		while (eq->n == 0 && !eq->stopping)
			pthread_cond_wait(&eq->more, &eq->lock);
		if (eq->n == 0)
			break; /* stopping, nothing left */
		n = eq->n;
		memcpy(eq->batch, eq->ev, n * sizeof(*eq->batch));
		eq->n = 0;
		pthread_mutex_unlock(&eq->lock);
		events_write(st, eq->batch, n);
		pthread_mutex_lock(&eq->lock);
		eq->written += n;
		pthread_cond_broadcast(&eq->room);
	}
	pthread_mutex_unlock(&eq->lock);
	return NULL;
}

static int events_start(struct store *st)
{
	struct event_queue *eq = &st->events;

	pthread_mutex_init(&eq->lock, NULL);
	pthread_cond_init(&eq->more, NULL);
	pthread_cond_init(&eq->room, NULL);
	eq->ev = malloc(STORE_EVENT_QUEUE_MAX * sizeof(*eq->ev));
	eq->batch = malloc(STORE_EVENT_QUEUE_MAX * sizeof(*eq->batch));
	if (!eq->ev || !eq->batch)
		return -ENOMEM;
	if (pthread_create(&eq->writer, NULL, event_writer, st) != 0)
		return -EAGAIN;
	eq->writer_started = true;
	return 0;
}

/* Writes what is queued, then stops the writer. */
static void events_stop(struct store *st)
{
	struct event_queue *eq = &st->events;

	if (!eq->writer_started)
		return;
	pthread_mutex_lock(&eq->lock);
	eq->stopping = true;
	pthread_cond_signal(&eq->more);
	pthread_mutex_unlock(&eq->lock);
	pthread_join(eq->writer, NULL);
	eq->writer_started = false;
}

static void events_free(struct store *st)
{
	struct event_queue *eq = &st->events;

	if (!eq->ev && !eq->batch)
		return;
	pthread_cond_destroy(&eq->room);
	pthread_cond_destroy(&eq->more);
	pthread_mutex_destroy(&eq->lock);
	free(eq->ev);
	free(eq->batch);
	eq->ev = eq->batch = NULL;
}

void store_event_flush(struct store *st)
{
	struct event_queue *eq = &st->events;
	uint64_t target;

	if (!eq->writer_started)
		return;
	pthread_mutex_lock(&eq->lock);
	target = eq->queued;
	while (eq->written < target)
		pthread_cond_wait(&eq->room, &eq->lock);
	pthread_mutex_unlock(&eq->lock);
}

int store_event_add(struct store *st, const uint8_t *mac, const char *host, const char *kind,
		    const char *detail_fmt, ...)
{
	struct event_queue *eq = &st->events;
	struct boot_event ev = { .ts_ms = now_realtime_ms() };
	va_list ap;

	va_start(ap, detail_fmt);
	vsnprintf(ev.detail, sizeof(ev.detail), detail_fmt, ap);
	va_end(ap);
	if (mac) {
		memcpy(ev.mac, mac, 6);
		ev.has_mac = true;
	}
	snprintf(ev.host, sizeof(ev.host), "%s", host ? host : "");
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	if (!eq->writer_started) {
		int r;
		pthread_mutex_lock(&st->lock);
		r = event_insert(st, &ev);
		pthread_mutex_unlock(&st->lock);
		return r;
	}
	pthread_mutex_lock(&eq->lock);
	while (eq->n == STORE_EVENT_QUEUE_MAX && !eq->stopping)
		pthread_cond_wait(&eq->room, &eq->lock);
	if (eq->n == STORE_EVENT_QUEUE_MAX) { /* stopping and full: too late */
		pthread_mutex_unlock(&eq->lock);
		return -ESHUTDOWN;
	}
	eq->ev[eq->n++] = ev;
	eq->queued++;
	pthread_cond_signal(&eq->more);
	pthread_mutex_unlock(&eq->lock);
	return 0;
}

int store_event_foreach(struct store *st, const uint8_t *mac, uint64_t since_ms,
			store_event_fn fn, void *userdata)
{
	sqlite3_stmt *q;
	int r = 0, s;

	store_event_flush(st); /* what this process queued is part of the answer */
	if (sqlite3_prepare_v2(rd_begin(st),
			       mac ? "SELECT id, ts, mac, host, kind, detail FROM events WHERE mac = ?1 AND ts >= ?2 ORDER BY id"
				   : "SELECT id, ts, mac, host, kind, detail FROM events WHERE ts >= ?2 ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK) {
		r = sql_read_err(st, "event list");
		goto out;
	}
	if (mac)
		sqlite3_bind_blob(q, 1, mac, 6, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)since_ms);
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		struct boot_event ev = { 0 };
		const void *m = sqlite3_column_blob(q, 2);
		ev.id = sqlite3_column_int64(q, 0);
		ev.ts_ms = (uint64_t)sqlite3_column_int64(q, 1);
		if (m && sqlite3_column_bytes(q, 2) == 6) {
			memcpy(ev.mac, m, 6);
			ev.has_mac = true;
		}
		snprintf(ev.host, sizeof(ev.host), "%s", (const char *)sqlite3_column_text(q, 3));
		snprintf(ev.kind, sizeof(ev.kind), "%s", (const char *)sqlite3_column_text(q, 4));
		snprintf(ev.detail, sizeof(ev.detail), "%s", (const char *)sqlite3_column_text(q, 5));
		if ((r = fn(&ev, userdata)) != 0)
			break;
	}
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		r = sql_read_err(st, "event list");
	sqlite3_finalize(q);
out:
	rd_end(st);
	return r;
}
