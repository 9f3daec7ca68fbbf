/* The state store: leases survive close/reopen; boot events queued from
 * many threads are all written, in order per thread, visible to a query
 * at once (it flushes) and to another connection after close; a lookup
 * does not wait for a batch in progress; a damaged, foreign or newer
 * database is refused at open. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define THREADS 4
#define EVENTS_PER_THREAD 3000 /* together more than the queue holds */

struct dir {
	char path[64];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "/tmp/labboot-test-store.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static void leases_survive_reopen(void **state)
{
	struct dir *d = *state;
	struct store *st;
	struct lease l = { .state = LEASE_BOUND, .expires = 1700003600 }, got;

	l.ip.s_addr = htonl(0xc6120063); /* 198.18.0.99 */
	memcpy(l.mac, "\x52\x54\x00\x00\x00\x63", 6);
	snprintf(l.hostname, sizeof(l.hostname), "alpha");
	assert_int_equal(store_open(d->path, &st), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_lease_put(st, &l), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);

	assert_int_equal(store_open(d->path, &st), 0);
	assert_int_equal(store_lease_by_mac(st, l.mac, &got), 0);
	assert_int_equal(got.ip.s_addr, l.ip.s_addr);
	assert_int_equal(got.state, LEASE_BOUND);
	assert_string_equal(got.hostname, "alpha");
	assert_int_equal(store_lease_by_ip(st, (struct in_addr){ htonl(0xc6120064) }, &got), -ENOENT);
	store_close(st);
}

struct producer {
	struct store *st;
	uint8_t mac[6];
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < EVENTS_PER_THREAD; i++)
		if (store_event_add(p->st, p->mac, "h", "test", "%d", i) < 0)
			return (void *)1;
	return NULL;
}

struct count {
	int n;
	int last;
	bool in_order;
};

static int count_event(const struct boot_event *ev, void *userdata)
{
	struct count *c = userdata;
	int v = atoi(ev->detail);

	if (v != c->last + 1)
		c->in_order = false;
	c->last = v;
	c->n++;
	return 0;
}

static void count_of(struct store *st, const uint8_t mac[6], struct count *c)
{
	*c = (struct count){ .last = -1, .in_order = true };
	assert_int_equal(store_event_foreach(st, mac, 0, count_event, c), 0);
}

static void events_from_many_threads(void **state)
{
	struct dir *d = *state;
	struct store *st;
	struct producer p[THREADS];
	pthread_t t[THREADS];
	struct count c;

	assert_int_equal(store_open(d->path, &st), 0);
	for (int i = 0; i < THREADS; i++) {
		p[i].st = st;
		memcpy(p[i].mac, "\x52\x54\x00\x00\x01\x00", 6);
		p[i].mac[5] = (uint8_t)i;
		assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	/* a query sees every event queued before it */
	for (int i = 0; i < THREADS; i++) {
		count_of(st, p[i].mac, &c);
		assert_int_equal(c.n, EVENTS_PER_THREAD);
		assert_true(c.in_order);
	}
	/* close writes what is still queued */
	for (int i = 0; i < 100; i++)
		store_event_add(st, p[0].mac, "h", "test", "%d", EVENTS_PER_THREAD + i);
	store_close(st);
	assert_int_equal(store_open(d->path, &st), 0);
	count_of(st, p[0].mac, &c);
	assert_int_equal(c.n, EVENTS_PER_THREAD + 100);
	assert_true(c.in_order);
	store_close(st);
}

struct lookup {
	struct store *st;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
	int r;
};

static void *lookup_lease(void *arg)
{
	struct lookup *lk = arg;
	struct lease got;
	int r = store_lease_by_ip(lk->st, (struct in_addr){ htonl(0xc6120063) }, &got);

	pthread_mutex_lock(&lk->lock);
	lk->r = r;
	lk->done = true;
	pthread_cond_signal(&lk->done_cond);
	pthread_mutex_unlock(&lk->lock);
	return NULL;
}

/* Another thread's lookup returns the last committed lease while this one
 * holds a batch open (the DHCP server between BEGIN and its fsync); with
 * one shared connection it would wait for the commit, here for 10 s. */
static void lookup_does_not_wait_for_batch(void **state)
{
	struct dir *d = *state;
	struct lookup lk = { .lock = PTHREAD_MUTEX_INITIALIZER, .done_cond = PTHREAD_COND_INITIALIZER };
	struct lease l = { .state = LEASE_BOUND, .expires = 1700003600 };
	struct timespec until;
	pthread_t t;
	int r = 0;

	l.ip.s_addr = htonl(0xc6120063);
	memcpy(l.mac, "\x52\x54\x00\x00\x00\x63", 6);
	assert_int_equal(store_open(d->path, &lk.st), 0);
	assert_int_equal(store_lease_put(lk.st, &l), 0);
	assert_int_equal(store_begin(lk.st), 0);
	l.state = LEASE_RELEASED;
	assert_int_equal(store_lease_put(lk.st, &l), 0);
	assert_int_equal(pthread_create(&t, NULL, lookup_lease, &lk), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&lk.lock);
	while (!lk.done && r == 0)
		r = pthread_cond_timedwait(&lk.done_cond, &lk.lock, &until);
	pthread_mutex_unlock(&lk.lock);
	assert_true(lk.done);
	assert_int_equal(lk.r, 0);
	assert_int_equal(store_commit(lk.st), 0);
	pthread_join(t, NULL);
	store_close(lk.st);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void foreign_file_refused(void **state)
{
	struct dir *d = *state;
	struct store *st = NULL;
	char junk[8192];

	memset(junk, 'x', sizeof(junk));
	write_file(d->path, "labboot.db", junk, sizeof(junk));
	assert_int_equal(store_open(d->path, &st), -EBADMSG);
	assert_null(st);
}

/* A real database cut in the middle of its pages (a disk that lost the
 * end of the file): refused at open, not at the first lease write. */
static void truncated_database_refused(void **state)
{
	struct dir *d = *state;
	struct store *st;
	char path[128];
	int r;

	assert_int_equal(store_open(d->path, &st), 0);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(store_event_add(st, NULL, "h", "dhcp", "event %d with some text to fill pages", i), 0);
	store_close(st);
	snprintf(path, sizeof(path), "%s/labboot.db", d->path);
	assert_int_equal(truncate(path, 3 * 4096), 0);
	st = NULL;
	r = store_open(d->path, &st);
	assert_true(r == -EBADMSG);
	assert_null(st);
}

static void newer_schema_refused(void **state)
{
	struct dir *d = *state;
	struct store *st;
	sqlite3 *db;
	char path[128];

	assert_int_equal(store_open(d->path, &st), 0);
	store_close(st);
	snprintf(path, sizeof(path), "%s/labboot.db", d->path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_int_equal(store_open(d->path, &st), -EPROTO);
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(leases_survive_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(events_from_many_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(lookup_does_not_wait_for_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
