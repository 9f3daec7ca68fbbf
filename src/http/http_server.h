/* HTTP server: sockets, timers and policy on top of the http codec. */
#pragma once

struct config;
struct loop;
struct store;
struct http_server;

int http_server_new(const struct config *cfg, struct loop *loop, struct store *st,
		      struct http_server **ret);
void http_server_free(struct http_server *srv);
