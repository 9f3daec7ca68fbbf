/* JSON API (read-only): /api/v1/leases, /api/v1/hosts,
 * /api/v1/hosts/NAME/events. */
#pragma once
#include <microhttpd.h>

struct config;
struct store;

enum MHD_Result http_api_serve(const struct config *cfg, struct store *st, struct MHD_Connection *c,
			       const char *url);
