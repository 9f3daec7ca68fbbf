/* HTTP server: sockets, timers and policy on top of the http codec. */
#pragma once

struct live_config;
struct loop;
struct store;
struct metrics;
struct http_server;

/* Each request reads the configuration current when it started. With
 * metrics (else NULL), GET /metrics serves them. */
int http_server_new(struct live_config *live, struct loop *loop, struct store *st, struct metrics *metrics,
		    struct http_server **ret);
void http_server_free(struct http_server *srv);
