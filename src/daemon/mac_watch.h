/* Watches the served interfaces' MAC addresses and announces a change. */
#pragma once

#include "core/config.h"
#include "core/loop.h"

struct mac_watch;

/* Opens its packet socket (CAP_NET_RAW: call before privileges drop). */
int mac_watch_new(const struct config *cfg, struct loop *loop, struct mac_watch **ret);
void mac_watch_free(struct mac_watch *w);
