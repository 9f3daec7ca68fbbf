/* The state store: leases survive close/reopen; boot events queued from
 * many threads are all written, in order per thread, visible to a query
 * at once (it flushes) and to another connection after close. */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(leases_survive_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(events_from_many_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
