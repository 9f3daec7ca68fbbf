/* The configuration in force while the daemon runs. A reload (SIGHUP, a
 * runtime host added) swaps in a new one; the servers on the loop thread
 * switch at once, and HTTP threads hold the one their request started
 * with until it ends, so an old configuration is freed only once no
 * request reads it. */
#pragma once
#include "core/config.h"

#include <pthread.h>

struct live_config {
	pthread_mutex_t lock;
	struct config *cur;
	struct live_ref *refs;        /* every configuration not yet freed */
};

void live_config_init(struct live_config *lc, struct config *cfg);
/* Frees the current configuration too; no reference may be held. */
void live_config_destroy(struct live_config *lc);

/* A reference to the current configuration, valid until put. */
const struct config *live_config_get(struct live_config *lc);
void live_config_put(struct live_config *lc, const struct config *cfg);

/* Makes cfg current (the live config owns it from now on). */
void live_config_swap(struct live_config *lc, struct config *cfg);
