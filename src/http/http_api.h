/* The JSON API under /api/v1/. Reads are open (leases, hosts, events,
 * discovered machines, images, pools, the recent log); every change needs
 * the credential: "Authorization: Bearer TOKEN" or the dashboard's cookie.
 *   GET    leases | hosts | hosts/NAME | hosts/NAME/events | discovered |
 *          images | log
 *   POST   hosts {"name", "mac", "ip"?, "set": {KEY: VALUE}?}
 *   PUT    hosts/NAME {"set": {KEY: VALUE, KEY: ""}}     ("" removes KEY)
 *   DELETE hosts/NAME
 *   POST   hosts/NAME/next-boot {"entry"}   DELETE hosts/NAME/next-boot
 *   POST   hosts/NAME/wake
 *   POST   images/NAME/current {"version"}  (promote, rollback)
 *   POST   reload */
#pragma once
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct config;
struct store;

#define HTTP_TOKEN_LEN 64     /* hex of 32 random bytes */
#define HTTP_BODY_MAX 65536

struct api_request {
	const struct config *cfg;
	struct store *st;
	struct MHD_Connection *c;
	const char *url, *method;
	const char *body;             /* NUL-terminated, may be empty */
	size_t body_len;
	const char *token;            /* the credential changes need */
};

enum MHD_Result http_api_serve(const struct api_request *rq);

/* STATE/api-token: read, or made (0600) with a new random token. */
int http_api_token_load(const char *state_dir, char token[HTTP_TOKEN_LEN + 1]);
/* a (alen bytes) is the secret b, compared in constant time. */
bool http_same_secret(const char *a, size_t alen, const char *b);
/* The request carries the token (Bearer or the labboot_token cookie). */
bool http_authorized(struct MHD_Connection *c, const char *token);
/* The request comes from a page of this server (ui_same_origin): what a
 * change the labboot_token cookie authorizes needs as well. */
bool http_same_origin(struct MHD_Connection *c);
