/* Boot events from the store (see boot_events.h). */
#include "boot/boot_events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int append(const struct boot_event *ev, void *userdata)
{
	struct boot_events *e = userdata;

	if (e->n == BOOT_EVENTS_MAX) { /* the last boot is among the newest: drop the oldest half */
		memmove(e->ev, e->ev + BOOT_EVENTS_MAX / 2, (BOOT_EVENTS_MAX / 2) * sizeof(*e->ev));
		e->n = BOOT_EVENTS_MAX / 2;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct boot_event *grown = realloc(e->ev, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		e->ev = grown;
		e->cap = cap;
	}
	e->ev[e->n++] = *ev;
	return 0;
}

int boot_events_load(struct store *st, const uint8_t mac[6], uint64_t since_ms, struct boot_events *ret)
{
	struct boot_events e = { 0 };
	int r = store_event_foreach(st, mac, since_ms, append, &e);

	if (r < 0) {
		boot_events_free(&e);
		return r;
	}
	*ret = e;
	return 0;
}

void boot_events_free(struct boot_events *e)
{
	free(e->ev);
	e->ev = NULL;
	e->n = e->cap = 0;
}
