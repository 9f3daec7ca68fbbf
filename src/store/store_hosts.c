/* Runtime hosts, one-shot next boots and the machines seen netbooting. */
#include "store/store_internal.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOW "CAST(strftime('%s', 'now') AS INTEGER)"
#define MACHINES_MAX_TEXT "10000"
_Static_assert(STORE_MACHINES_MAX == 10000, "MACHINES_MAX_TEXT is STORE_MACHINES_MAX");

/* One statement, bound with text parameters ?1..?n, stepped to the end:
 * the number of rows it changed, or -EIO. */
static int run_text(struct store *st, const char *sql, const char *what, int n, const char *const *args)
{
	sqlite3_stmt *q;
	int r;

	pthread_mutex_lock(&st->lock);
	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
		r = sql_err(st, what);
		goto out;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(q, i + 1, args[i], -1, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_DONE ? sqlite3_changes(st->db) : sql_err(st, what);
	sqlite3_finalize(q);
out:
	pthread_mutex_unlock(&st->lock);
	return r;
}

int store_host_put(struct store *st, const char *name, const char *settings)
{
	const char *args[] = { name, settings };
	int r;

	if (strlen(settings) > STORE_HOST_SETTINGS_MAX)
		return -E2BIG;
	r = run_text(st, "INSERT OR REPLACE INTO hosts(name, settings, updated) VALUES(?1, ?2, " NOW ")", "host put", 2, args);
	return r < 0 ? r : 0;
}

int store_host_delete(struct store *st, const char *name)
{
	int r = run_text(st, "DELETE FROM hosts WHERE name = ?1", "host delete", 1, &name);

	if (r >= 0)
		run_text(st, "DELETE FROM next_boot WHERE host = ?1", "next boot clear", 1, &name);
	return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

int store_host_foreach(struct store *st, store_host_fn fn, void *userdata)
{
	sqlite3_stmt *q;
	int r = 0, s;

	if (sqlite3_prepare_v2(rd_begin(st), "SELECT name, settings FROM hosts ORDER BY name", -1, &q, NULL) != SQLITE_OK) {
		r = sql_read_err(st, "host list");
		goto out;
	}
	while ((s = sqlite3_step(q)) == SQLITE_ROW)
		if ((r = fn((const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1), userdata)) != 0)
			break;
	if (r == 0 && s != SQLITE_DONE)
		r = sql_read_err(st, "host list");
	sqlite3_finalize(q);
out:
	rd_end(st);
	return r;
}

struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static int append_host(const char *name, const char *settings, void *userdata)
{
	struct text *t = userdata;
	size_t n = strlen(settings);

	fprintf(t->f, "[host \"%s\"]\n%s%s\n", name, settings, n && settings[n - 1] != '\n' ? "\n" : "");
	return 0;
}

int store_hosts_text(struct store *st, char **ret)
{
	struct text t = { 0 };
	int r;

	if (!(t.f = open_memstream(&t.buf, &t.len)))
		return -ENOMEM;
	r = store_host_foreach(st, append_host, &t);
	if (fclose(t.f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(t.buf);
		return r;
	}
	*ret = t.buf;
	return 0;
}

int store_next_boot_set(struct store *st, const char *host, const char *entry)
{
	const char *args[] = { host, entry };
	int r;

	if (strlen(entry) >= STORE_ENTRY_MAX)
		return -E2BIG;
	r = run_text(st, "INSERT OR REPLACE INTO next_boot(host, entry, set_ts) VALUES(?1, ?2, " NOW ")", "next boot set", 2, args);
	return r < 0 ? r : 0;
}

int store_next_boot_get(struct store *st, const char *host, char *entry, size_t size)
{
	sqlite3_stmt *q;
	int r;

	if (sqlite3_prepare_v2(rd_begin(st), "SELECT entry FROM next_boot WHERE host = ?1", -1, &q, NULL) != SQLITE_OK) {
		r = sql_read_err(st, "next boot get");
		goto out;
	}
	sqlite3_bind_text(q, 1, host, -1, SQLITE_STATIC);
	switch (sqlite3_step(q)) {
	case SQLITE_ROW:
		snprintf(entry, size, "%s", (const char *)sqlite3_column_text(q, 0));
		r = 0;
		break;
	case SQLITE_DONE: r = -ENOENT; break;
	default: r = sql_read_err(st, "next boot get");
	}
	sqlite3_finalize(q);
out:
	rd_end(st);
	return r;
}

int store_next_boot_clear(struct store *st, const char *host, const char *entry)
{
	const char *args[] = { host, entry };
	int r = entry ? run_text(st, "DELETE FROM next_boot WHERE host = ?1 AND entry = ?2",
				 "next boot clear", 2, args)
		      : run_text(st, "DELETE FROM next_boot WHERE host = ?1", "next boot clear", 1, args);

	return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

/* A DISCOVER from a netbooting machine: remember it (the writer thread,
 * in its batch). Every thousandth, the oldest beyond the bound go. */
void machine_seen(struct store *st, const struct boot_event *ev)
{
	static unsigned n_seen;
	sqlite3_stmt *q = st->machine_seen;

	if (!ev->has_mac || strcmp(ev->kind, "dhcp-discover") != 0)
		return;
	sqlite3_bind_blob(q, 1, ev->mac, 6, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)ev->ts_ms);
	sqlite3_bind_text(q, 3, ev->detail, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		sql_err(st, "machine seen");
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (++n_seen % 1000 == 0)
		exec_sql(st, "DELETE FROM machines WHERE mac IN (SELECT mac FROM machines ORDER BY last_ts DESC"
			     " LIMIT -1 OFFSET " MACHINES_MAX_TEXT ")");
}

int store_machine_foreach(struct store *st, store_machine_fn fn, void *userdata)
{
	sqlite3_stmt *q;
	int r = 0, s;

	store_event_flush(st); /* what this process queued is part of the answer */
	if (sqlite3_prepare_v2(rd_begin(st), "SELECT mac, first_ts, last_ts, detail FROM machines ORDER BY last_ts DESC", -1,
			       &q, NULL) != SQLITE_OK) {
		r = sql_read_err(st, "machine list");
		goto out;
	}
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		struct machine m = { 0 };
		if (sqlite3_column_bytes(q, 0) != 6)
			continue;
		memcpy(m.mac, sqlite3_column_blob(q, 0), 6);
		m.first_ms = (uint64_t)sqlite3_column_int64(q, 1);
		m.last_ms = (uint64_t)sqlite3_column_int64(q, 2);
		snprintf(m.detail, sizeof(m.detail), "%s", (const char *)sqlite3_column_text(q, 3));
		if ((r = fn(&m, userdata)) != 0)
			break;
	}
	if (r == 0 && s != SQLITE_DONE && s != SQLITE_ROW)
		r = sql_read_err(st, "machine list");
	sqlite3_finalize(q);
out:
	rd_end(st);
	return r;
}

int store_machine_delete(struct store *st, const uint8_t mac[6])
{
	sqlite3_stmt *q;
	int r;

	pthread_mutex_lock(&st->lock);
	if (sqlite3_prepare_v2(st->db, "DELETE FROM machines WHERE mac = ?1", -1, &q, NULL) != SQLITE_OK) {
		r = sql_err(st, "machine delete");
		goto out;
	}
	sqlite3_bind_blob(q, 1, mac, 6, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_DONE ? (sqlite3_changes(st->db) ? 0 : -ENOENT) : sql_err(st, "machine delete");
	sqlite3_finalize(q);
out:
	pthread_mutex_unlock(&st->lock);
	return r;
}
