/* The dashboard under /ui: server-rendered pages of the hosts and their
 * last boot, discovered machines, leases and pools, images, the recent
 * log; a script that refreshes them; forms that make changes through the
 * actions the CLI and the API use (admin/actions.h).
 *
 * Reads are open like the API's. A change needs the API token, which the
 * login form keeps in the labboot_token cookie (HttpOnly, SameSite=Strict),
 * and must come from a page of this server (Origin, else Referer). Every
 * response carries a Content-Security-Policy that allows scripts and
 * styles from /ui/static/ only. */
#pragma once
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct api_request;

/* "/ui" or under "/ui/". */
bool ui_path(const char *url);
/* The request as the API gets it (http_api.h). */
enum MHD_Result ui_serve(const struct api_request *rq);
