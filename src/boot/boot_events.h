/* One machine's boot events read from the store into an array, for
 * boot_timeline_find(). */
#pragma once
#include "store/store.h"

#define BOOT_EVENTS_MAX 8192          /* kept at most: the newest (a power of two) */

struct boot_events {
	struct boot_event *ev;
	size_t n, cap;
};

/* The events of mac since since_ms (unix ms), oldest first, of which
 * the newest BOOT_EVENTS_MAX / 2 at least; waits for events still queued.
 * 0 or -errno (then *ret is untouched). */
int boot_events_load(struct store *st, const uint8_t mac[6], uint64_t since_ms, struct boot_events *ret);
void boot_events_free(struct boot_events *e);
