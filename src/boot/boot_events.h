/* One machine's boot events read from the store into an array, for
 * boot_timeline_find(). */
#pragma once
#include "store/store.h"

#define BOOT_EVENTS_MAX 8192          /* a machine in a boot loop stops here */

struct boot_events {
	struct boot_event *ev;
	size_t n, cap;
};

/* The events of mac since since_ms (unix ms), oldest first; waits for
 * events still queued. 0, -E2BIG beyond BOOT_EVENTS_MAX, or -errno. */
int boot_events_load(struct store *st, const uint8_t mac[6], uint64_t since_ms, struct boot_events *ret);
void boot_events_free(struct boot_events *e);
